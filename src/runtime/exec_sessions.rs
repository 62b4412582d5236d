//! Exec sessions: libpod's `ExecCreate`, `ExecStart`, `ExecInspect`,
//! `ExecResize` and `ExecRemove` (container_exec.go). A session is a
//! record first; its start runs the command through conmon's exec mode, so
//! that the process, its terminal and its attach socket are conmon's and
//! outlive berthd as the container does. conmon writes its exit code to
//! `<session bundle>/exit/<container id>`, which the next look at the
//! session records.

use super::attach::terminal_size;
use super::{blocking, in_oci, Attached, Runtime};
use crate::error::{Error, Result};
use crate::events::{now_nanos, Event};
use crate::model::exec::{detach_keys, ExecConfig, ExecSession, ExecState};
use crate::oci::conmon::Conmon;
use std::os::fd::OwnedFd;
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
        config.check()?;
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
        let mut found = self.db.read(|tx| tx.exec_session(session)).await?.ok_or_else(|| no_such_session(session))?;
        if found.state == ExecState::Created {
            found = self.recover_launch(found).await?;
        }
        if found.state != ExecState::Running {
            return Ok(found);
        }
        let _lock = self.locks.lock(&found.container_id).await;
        self.sync_exec_session(found).await
    }

    /// A session recorded as created whose conmon was started (berthd
    /// ended between the launch and its record) is recorded as running,
    /// with the PID the runtime wrote, so that it is not started twice and
    /// its exit is found.
    async fn recover_launch(&self, mut s: ExecSession) -> Result<ExecSession> {
        let bundle = self.exec_bundle(&s.container_id, &s.id);
        if !bundle.join("conmon.pid").exists() {
            return Ok(s);
        }
        let pid = std::fs::read_to_string(bundle.join("pidfile")).ok().and_then(|p| p.trim().parse::<i64>().ok());
        self.db.write(|tx| tx.set_exec_state(&s.id, ExecState::Running, pid, None)).await?;
        s.state = ExecState::Running;
        s.pid = pid;
        Ok(s)
    }

    /// Record the exit of a running session whose process has ended.
    async fn sync_exec_session(&self, mut s: ExecSession) -> Result<ExecSession> {
        let bundle = self.exec_bundle(&s.container_id, &s.id);
        let exit_file = exit_dir(&bundle).join(&s.container_id);
        let conmon_pidfile = bundle.join("conmon.pid");
        let container = s.container_id.clone();
        let code = blocking(move || {
            let code = std::fs::read_to_string(&exit_file).ok().and_then(|c| c.trim().parse::<i32>().ok());
            // conmon gone without a word: it was killed with the container.
            let gone = || matches!(crate::oci::conmon::of(&conmon_pidfile, &container), Conmon::Gone);
            Ok(code.or_else(|| gone().then_some(-1)))
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

    /// Record the ends of a container's sessions that are recorded as
    /// running but whose processes ended.
    pub(super) async fn sync_exec_sessions(&self, container: &str) -> Result<()> {
        for s in self.db.read(|tx| tx.running_exec_sessions_of(container)).await? {
            self.sync_exec_session(s).await?;
        }
        Ok(())
    }

    /// Start a created session detached.
    pub async fn exec_start(&self, session: &str) -> Result<ExecSession> {
        self.launch_exec(session, false).await.map(|(s, _)| s)
    }

    /// Start a created session attached: the process starts only once the
    /// attach socket is connected, and the caller carries the stream.
    pub async fn exec_start_attached(&self, session: &str) -> Result<(ExecSession, Attached)> {
        let (s, socket) = self.launch_exec(session, true).await?;
        let socket =
            socket.ok_or_else(|| Error::Runtime(format!("exec session {session} started without its stream")))?;
        let detach_keys = detach_keys(s.config.detach_keys.as_deref())?;
        let (terminal, stdin) = (s.config.terminal, s.config.stdin);
        let exit_file = Some(exit_dir(&self.exec_bundle(&s.container_id, &s.id)).join(&s.container_id));
        Ok((s.clone(), Attached { id: s.id, terminal, stdin, detach_keys, socket, exit_file }))
    }

    /// Create a session and start it attached, in one go: its ID and
    /// stream. A session that does not start is removed again.
    pub async fn exec_run_attached(&self, name_or_id: &str, config: ExecConfig) -> Result<(String, Attached)> {
        let session = self.exec_create(name_or_id, config).await?;
        match self.exec_start_attached(&session).await {
            Ok((_, attached)) => Ok((session, attached)),
            Err(e) => {
                let _ = self.exec_remove(&session).await;
                Err(e)
            }
        }
    }

    /// Run a created session's process under its conmon; attaching, the
    /// connected attach socket too.
    async fn launch_exec(&self, session: &str, attach: bool) -> Result<(ExecSession, Option<OwnedFd>)> {
        let mut s = self.db.read(|tx| tx.exec_session(session)).await?.ok_or_else(|| no_such_session(session))?;
        let _lock = self.locks.lock(&s.container_id).await;
        let bundle = self.exec_bundle(&s.container_id, &s.id);
        // A conmon there: launched before, its record lost to a crash.
        if s.state != ExecState::Created || bundle.join("conmon.pid").exists() {
            return Err(s.invalid("an exec session can be started only once"));
        }
        let (config, status) = self.load_container(&s.container_id).await?;
        status.state.can_exec(&s.container_id)?;
        let conmon = self.conmon.clone().ok_or_else(|| Error::RuntimeNotAvailable("conmon".into()))?;
        let container_bundle = self.oci_paths(&s.container_id).bundle;
        let (exits_dir, runc, exec, session_id) =
            (exit_dir(&bundle), self.runc_for(&config), s.config.clone(), s.id.clone());
        let (name, container_id) = (config.name.clone(), config.id.clone());
        blocking({
            let (exits_dir, exec, file) = (exits_dir.clone(), exec.clone(), bundle.join("process.json"));
            move || {
                // The exits directory is in the bundle: both are made.
                std::fs::create_dir_all(&exits_dir).map_err(|e| Error::storage(exits_dir.display(), e))?;
                let process = crate::oci::spec::exec_process(&container_bundle, &exec)?;
                let text = serde_json::to_vec(&process).map_err(|e| Error::Runtime(format!("process.json: {e}")))?;
                std::fs::write(&file, text).map_err(|e| Error::storage(file.display(), e))
            }
        })
        .await?;
        let (pid, socket) = in_oci(move || {
            crate::oci::conmon::ExecLaunch {
                conmon: &conmon,
                runtime: &runc,
                container_id: &container_id,
                container_name: &name,
                session: &session_id,
                bundle: &bundle,
                exits_dir: &exits_dir,
                terminal: exec.terminal,
                stdin: exec.stdin,
                attach,
            }
            .run()
        })
        .await?;
        crate::fault::crash_point("exec.launched");
        self.db.write(|tx| tx.set_exec_state(&s.id, ExecState::Running, Some(pid.into()), None)).await?;
        self.events.emit(Event::for_container("exec", &config).with("execID", s.id.clone()));
        s.state = ExecState::Running;
        s.pid = Some(pid.into());
        Ok((s, socket))
    }

    /// Set the size of a running session's terminal.
    pub async fn exec_resize(&self, session: &str, height: i64, width: i64) -> Result<String> {
        let (height, width) = terminal_size(height, width)?;
        let s = self.exec_inspect(session).await?;
        if !s.config.terminal {
            return Err(s.invalid("the session has no terminal"));
        }
        if s.state != ExecState::Running {
            return Err(s.invalid("the session is not running"));
        }
        crate::oci::conmon::resize(&self.exec_bundle(&s.container_id, &s.id), height, width)
            .map_err(|e| Error::Runtime(format!("resizing the terminal of exec session {session}: {e}")))?;
        Ok(s.id)
    }

    /// Remove a session that is not running (libpod's ExecRemove).
    pub async fn exec_remove(&self, session: &str) -> Result<String> {
        let s = self.exec_inspect(session).await?;
        if s.state == ExecState::Running {
            return Err(s.invalid("the exec session is running"));
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
