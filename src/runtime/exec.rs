//! Exec: libpod's `Container.Exec`, non-interactive. The command runs through
//! the OCI runtime in the running container; while it runs it is recorded as
//! an exec session, which makes remove refuse the container without force.

use super::{in_oci, Runtime};
use crate::error::Result;
use crate::events::Event;
use crate::model::exec::ExecConfig;
use crate::names;
pub use crate::oci::runc::OutputStream;
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
        let exit_code = in_oci(move || {
            let mut send = |stream, bytes: &[u8]| drop(output.send((stream, bytes.to_vec())));
            runc.exec(&key, &command, &env, user.as_deref(), workdir.as_deref(), &mut send)
        })
        .await;
        self.db.write(|tx| tx.delete_exec_session(session)).await?;
        let exit_code = exit_code?;
        self.events.emit(
            Event::for_container("exec_died", &config).with("execID", session).with("exitCode", exit_code.to_string()),
        );
        Ok(exit_code)
    }

    /// Run `exec`'s command to its end and collect its output.
    pub async fn exec_collected(&self, name_or_id: &str, exec: ExecConfig) -> Result<ExecResult> {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let id = names::new_id();
        let exit_code = self.exec_container(name_or_id, exec, &id, tx).await?;
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        while let Ok((stream, bytes)) = rx.try_recv() {
            match stream {
                OutputStream::Stdout => stdout.extend(bytes),
                OutputStream::Stderr => stderr.extend(bytes),
            }
        }
        let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
        Ok(ExecResult { id, exit_code, stdout: text(stdout), stderr: text(stderr) })
    }
}
