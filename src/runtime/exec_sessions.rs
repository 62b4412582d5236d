//! Exec sessions: libpod's `ExecCreate`, `ExecStart`, `ExecInspect`,
//! `ExecResize` and `ExecRemove` (container_exec.go). A session is a
//! record first; its start runs the command through conmon's exec mode, so
//! that the process, its terminal and its attach socket are conmon's and
//! outlive berthd as the container does. conmon writes its exit code to
//! `<session bundle>/exit/<container id>`, which the next look at the
//! session records.

use super::{blocking, in_oci, Attached, Runtime};
use crate::error::{Error, Result};
use crate::events::{now_nanos, Event};
use crate::model::exec::{ExecConfig, ExecSession, ExecState};
use std::path::PathBuf;

/// Where conmon writes a session's exit code, in a file named by the
/// container's ID (conmon names it so in exec mode too).
fn exit_dir(bundle: &std::path::Path) -> PathBuf {
    bundle.join("exit")
}

/// The error for an exec session ID berth does not know.
fn no_such_session(id: &str) -> Error {
    Error::invalid_argument("execId", format!("no exec session {id}"))
}

impl Runtime {
    /// The directory of a session's process.json, attach socket and
    /// control FIFO (conmon's bundle for it).
    fn exec_bundle(&self, container_id: &str, session: &str) -> PathBuf {
        self.container_dir(container_id).join("exec").join(session)
    }

    /// Create a session in a running container: its ID.
    pub async fn exec_create(&self, name_or_id: &str, config: ExecConfig) -> Result<String> {
        if config.command.first().is_none_or(|c| c.is_empty()) {
            return Err(Error::invalid_argument("command", "exec needs a command"));
        }
        if let Some(w) = config.work_dir.as_deref().filter(|w| !w.starts_with('/')) {
            return Err(Error::invalid_argument("workDir", format!("{w} is not an absolute path")));
        }
        if let Some(keys) = &config.detach_keys {
            crate::detach::parse(keys).map_err(|e| Error::invalid_argument("detachKeys", e))?;
        }
        let id = self.lookup_container_id(name_or_id).await?;
        let _lock = self.locks.lock(&id).await;
        let (_, status) = self.load_container(&id).await?;
        status.state.can_exec(&id)?;
        let session = ExecSession {
            id: crate::names::new_id(),
            container_id: id,
            config,
            state: ExecState::Created,
            pid: None,
            exit_code: None,
            created: now_nanos(),
        };
        self.db.write(|tx| tx.insert_exec(&session)).await?;
        Ok(session.id)
    }

    /// A session as it is now (a running one whose process ended is
    /// recorded as stopped first).
    pub async fn exec_inspect(&self, session: &str) -> Result<ExecSession> {
        let found = self.db.read(|tx| tx.exec_session(session)).await?.ok_or_else(|| no_such_session(session))?;
        if found.state != ExecState::Running {
            return Ok(found);
        }
        let _lock = self.locks.lock(&found.container_id).await;
        self.sync_exec_session(found).await
    }

    /// Record the exit of a running session whose process has ended.
    async fn sync_exec_session(&self, mut s: ExecSession) -> Result<ExecSession> {
        let bundle = self.exec_bundle(&s.container_id, &s.id);
        let exit_file = exit_dir(&bundle).join(&s.container_id);
        let conmon_pidfile = bundle.join("conmon.pid");
        let container = s.container_id.clone();
        let code = blocking(move || {
            let code = std::fs::read_to_string(&exit_file).ok().and_then(|c| c.trim().parse::<i32>().ok());
            let gone = matches!(crate::oci::conmon::of(&conmon_pidfile, &container), crate::oci::conmon::Conmon::Gone);
            // conmon gone without a word: it was killed with the container.
            Ok(code.or(gone.then_some(-1)))
        })
        .await?;
        let Some(code) = code else { return Ok(s) };
        self.db.write(|tx| tx.set_exec_state(&s.id, ExecState::Stopped, s.pid, Some(code))).await?;
        let (config, _) = self.load_container(&s.container_id).await?;
        self.events.emit(
            Event::for_container("exec_died", &config).with("execID", s.id.clone()).with("exitCode", code.to_string()),
        );
        s.state = ExecState::Stopped;
        s.exit_code = Some(code);
        Ok(s)
    }

    /// Record the ends of a container's running sessions; the ones that
    /// still run.
    pub(super) async fn running_exec_sessions(&self, container: &str) -> Result<Vec<String>> {
        let ids = self.db.read(|tx| tx.running_exec_sessions(container)).await?;
        let mut running = Vec::new();
        for id in ids {
            if let Some(s) = self.db.read(|tx| tx.exec_session(&id)).await? {
                if self.sync_exec_session(s).await?.state == ExecState::Running {
                    running.push(id);
                }
            }
        }
        Ok(running)
    }

    /// Start a created session. Attached, the process starts only once
    /// the attach socket is connected, and the caller carries the stream.
    pub async fn exec_start(&self, session: &str, attach: bool) -> Result<(ExecSession, Option<Attached>)> {
        let mut s = self.db.read(|tx| tx.exec_session(session)).await?.ok_or_else(|| no_such_session(session))?;
        let _lock = self.locks.lock(&s.container_id).await;
        if s.state != ExecState::Created {
            return Err(Error::InvalidState {
                id: s.id.clone(),
                state: s.state.as_str().into(),
                reason: "an exec session can be started only once".into(),
            });
        }
        let (config, status) = self.load_container(&s.container_id).await?;
        status.state.can_exec(&s.container_id)?;
        let conmon = self.conmon.clone().ok_or_else(|| Error::RuntimeNotAvailable("conmon".into()))?;
        let detach_keys = crate::detach::parse(s.config.detach_keys.as_deref().unwrap_or(crate::detach::DEFAULT))
            .map_err(|e| Error::invalid_argument("detachKeys", e))?;
        let bundle = self.exec_bundle(&s.container_id, &s.id);
        let container_bundle = self.oci_paths(&s.container_id).bundle;
        let (exits_dir, runc, exec, session_id) =
            (exit_dir(&bundle), self.runc_for(&config), s.config.clone(), s.id.clone());
        let (name, container_id) = (config.name.clone(), config.id.clone());
        blocking({
            let (bundle, exits_dir) = (bundle.clone(), exits_dir.clone());
            move || {
                std::fs::create_dir_all(&bundle).map_err(|e| Error::storage(bundle.display(), e))?;
                std::fs::create_dir_all(&exits_dir).map_err(|e| Error::storage(exits_dir.display(), e))?;
                let process = crate::oci::spec::exec_process(&container_bundle, &exec)?;
                let text = serde_json::to_vec(&process).map_err(|e| Error::Runtime(format!("process.json: {e}")))?;
                std::fs::write(bundle.join("process.json"), text).map_err(|e| Error::storage(bundle.display(), e))
            }
        })
        .await?;
        let terminal = s.config.terminal;
        let stdin = s.config.stdin;
        let (pid, socket) = in_oci(move || {
            crate::oci::conmon::ExecLaunch {
                conmon: &conmon,
                runtime: &runc,
                container_id: &container_id,
                container_name: &name,
                session: &session_id,
                bundle: &bundle,
                exits_dir: &exits_dir,
                terminal,
                stdin,
                attach,
            }
            .run()
        })
        .await?;
        self.db.write(|tx| tx.set_exec_state(&s.id, ExecState::Running, Some(pid.into()), None)).await?;
        self.events.emit(Event::for_container("exec", &config).with("execID", s.id.clone()));
        s.state = ExecState::Running;
        s.pid = Some(pid.into());
        let attached = socket.map(|socket| Attached { id: s.id.clone(), terminal, stdin, detach_keys, socket });
        Ok((s, attached))
    }

    /// Set the size of a running session's terminal.
    pub async fn exec_resize(&self, session: &str, height: i64, width: i64) -> Result<String> {
        let (height, width) = (super::attach::dimension("height", height)?, super::attach::dimension("width", width)?);
        let s = self.exec_inspect(session).await?;
        if !s.config.terminal || s.state != ExecState::Running {
            let reason = if s.config.terminal { "the session is not running" } else { "the session has no terminal" };
            return Err(Error::InvalidState { id: s.id, state: s.state.as_str().into(), reason: reason.into() });
        }
        crate::oci::conmon::resize(&self.exec_bundle(&s.container_id, &s.id), height, width)
            .map_err(|e| Error::Runtime(format!("resizing the terminal of exec session {session}: {e}")))?;
        Ok(s.id)
    }

    /// Remove a session that is not running (libpod's ExecRemove).
    pub async fn exec_remove(&self, session: &str) -> Result<String> {
        let s = self.exec_inspect(session).await?;
        if s.state == ExecState::Running {
            return Err(Error::InvalidState {
                id: s.id,
                state: s.state.as_str().into(),
                reason: "the exec session is running".into(),
            });
        }
        self.db.write(|tx| tx.delete_exec_session(&s.id)).await?;
        let bundle = self.exec_bundle(&s.container_id, &s.id);
        blocking(move || {
            let _ = std::fs::remove_dir_all(&bundle);
            Ok(())
        })
        .await?;
        Ok(s.id)
    }
}
