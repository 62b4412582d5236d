//! Exec: libpod's `Container.Exec`, non-interactive. The command runs through
//! the OCI runtime in the running container; while it runs it is recorded as
//! an exec session, which makes remove refuse the container without force.

use super::{in_oci, Runtime};
use crate::error::Result;
use crate::events::Event;
use crate::model::exec::ExecConfig;
use crate::names;

#[derive(Debug, Clone)]
pub struct ExecResult {
    pub id: String,
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Runtime {
    /// Run `exec`'s command (terminal, stdin and detach keys aside) and
    /// collect its output.
    pub async fn exec_container(&self, name_or_id: &str, exec: ExecConfig) -> Result<ExecResult> {
        exec.check()?;
        let ExecConfig { command, env, user, work_dir: workdir, .. } = exec;
        let id = self.lookup_container_id(name_or_id).await?;
        let session = names::new_id();
        let config = {
            let _lock = self.locks.lock(&id).await;
            let (config, status) = self.load_container(&id).await?;
            status.state.can_exec(&id)?;
            self.db.write(|tx| tx.insert_exec_session(&session, &id, &command, crate::events::now_nanos())).await?;
            config
        };
        self.events.emit(Event::for_container("exec", &config).with("execID", session.clone()));
        let runc = self.runc_for(&config);
        let env: Vec<String> = env.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        let key = id.clone();
        let output = in_oci(move || runc.exec(&key, &command, &env, user.as_deref(), workdir.as_deref())).await;
        self.db.write(|tx| tx.delete_exec_session(&session)).await?;
        let output = output?;
        self.events.emit(
            Event::for_container("exec_died", &config)
                .with("execID", session.clone())
                .with("exitCode", output.exit_code.to_string()),
        );
        Ok(ExecResult { id: session, exit_code: output.exit_code, stdout: output.stdout, stderr: output.stderr })
    }
}
