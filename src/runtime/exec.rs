//! Exec: libpod's `Container.Exec`, non-interactive. The command runs through
//! the OCI runtime in the running container; while it runs it is recorded as
//! an exec session, which makes remove refuse the container without force.

use super::{in_oci, Runtime};
use crate::error::Result;
use crate::events::Event;
use crate::model::exec::ExecConfig;
use crate::names;
use crate::oci::runc::ExecProcess;
pub use crate::oci::runc::OutputStream;
use std::time::Duration;
use tokio::sync::mpsc;

/// Some of an exec's output, as it came.
pub type ExecOutput = (OutputStream, Vec<u8>);

/// An exec that ran to its end, its output collected.
#[derive(Debug, Clone)]
pub struct ExecResult {
    pub id: String,
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
    /// Killed for running past its time limit.
    pub timed_out: bool,
}

impl Runtime {
    /// Run `exec`'s command (terminal, stdin and detach keys aside),
    /// recorded as exec session `session` while it runs, sending its output
    /// to `output` as it comes: the command's exit code.
    pub async fn exec_container(
        &self,
        name_or_id: &str,
        exec: ExecConfig,
        session: &str,
        output: mpsc::UnboundedSender<ExecOutput>,
    ) -> Result<i32> {
        Ok(self.exec_limited(name_or_id, exec, session, output, None).await?.0)
    }

    /// `exec_container`, the process killed once it has run `limit` (runc
    /// exec does not pass SIGKILL on, so by the PID it wrote): the exit
    /// code, and whether it was killed so.
    async fn exec_limited(
        &self,
        name_or_id: &str,
        exec: ExecConfig,
        session: &str,
        output: mpsc::UnboundedSender<ExecOutput>,
        limit: Option<Duration>,
    ) -> Result<(i32, bool)> {
        exec.check()?;
        let ExecConfig { command, env, user, work_dir: workdir, .. } = exec;
        let id = self.lookup_container_id(name_or_id).await?;
        let config = {
            let _lock = self.locks.lock(&id).await;
            let (config, status) = self.load_container(&id).await?;
            status.state.can_exec(&id)?;
            self.db.write(|tx| tx.insert_exec_session(session, &id, &command, crate::events::now_nanos())).await?;
            config
        };
        self.events.emit(Event::for_container("exec", &config).with("execID", session));
        let runc = self.runc_for(&config);
        let env: Vec<String> = env.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        let key = id.clone();
        let pid_file = limit.map(|_| self.config.run_root.join(format!("exec-{session}.pid")));
        let file = pid_file.clone();
        let mut ran = std::pin::pin!(in_oci(move || {
            let mut send = |stream, bytes: &[u8]| drop(output.send((stream, bytes.to_vec())));
            let process = ExecProcess {
                command: &command,
                env: &env,
                user: user.as_deref(),
                workdir: workdir.as_deref(),
                pid_file: file.as_deref(),
            };
            runc.exec(&key, &process, &mut send)
        }));
        let (exit_code, timed_out) = match limit {
            Some(limit) => match tokio::time::timeout(limit, &mut ran).await {
                Ok(code) => (code, false),
                Err(_) => {
                    if let Some(pid) = pid_file.as_deref().and_then(crate::process::pid_in) {
                        let pid = nix::unistd::Pid::from_raw(pid as i32);
                        if let Err(e) = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL) {
                            tracing::warn!(session, "killing a timed-out exec: {e}");
                        }
                    }
                    (ran.await, true)
                }
            },
            None => (ran.await, false),
        };
        if let Some(file) = &pid_file {
            let _ = std::fs::remove_file(file);
        }
        self.db.write(|tx| tx.delete_exec_session(session)).await?;
        let exit_code = exit_code?;
        self.events.emit(
            Event::for_container("exec_died", &config).with("execID", session).with("exitCode", exit_code.to_string()),
        );
        Ok((exit_code, timed_out))
    }

    /// Run `exec`'s command to its end (or `limit`) and collect its output.
    pub async fn exec_collected(
        &self,
        name_or_id: &str,
        exec: ExecConfig,
        limit: Option<Duration>,
    ) -> Result<ExecResult> {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let id = names::new_id();
        let (exit_code, timed_out) = self.exec_limited(name_or_id, exec, &id, tx, limit).await?;
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        while let Ok((stream, bytes)) = rx.try_recv() {
            match stream {
                OutputStream::Stdout => stdout.extend(bytes),
                OutputStream::Stderr => stderr.extend(bytes),
            }
        }
        let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
        Ok(ExecResult { id, exit_code, stdout: text(stdout), stderr: text(stderr), timed_out })
    }
}
