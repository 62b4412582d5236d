//! Exec: libpod's `Container.Exec`, non-interactive. The command runs through
//! the OCI runtime in the running container; while it runs it is recorded as
//! an exec session, which makes remove refuse the container without force.

use super::{in_oci, Runtime};
use crate::error::{Error, Result};
use crate::events::Event;
use crate::names;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct ExecResult {
    pub id: String,
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Runtime {
    pub async fn exec_container(
        &self,
        name_or_id: &str,
        command: Vec<String>,
        env: BTreeMap<String, String>,
        user: Option<String>,
        workdir: Option<String>,
    ) -> Result<ExecResult> {
        if command.first().is_none_or(|c| c.is_empty()) {
            return Err(Error::invalid_argument("command", "exec needs a command"));
        }
        if let Some(w) = workdir.as_deref().filter(|w| !w.starts_with('/')) {
            return Err(Error::invalid_argument("workDir", format!("{w} is not an absolute path")));
        }
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
