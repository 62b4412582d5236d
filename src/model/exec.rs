//! Exec sessions, as libpod keeps them (libpod/container_exec.go): a
//! command created to run in a running container, started once, recorded
//! with its PID while it runs and its exit code once it ends, until it is
//! removed.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What an exec session runs and how.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecConfig {
    pub command: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_dir: Option<String>,
    #[serde(default)]
    pub terminal: bool,
    #[serde(default)]
    pub stdin: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detach_keys: Option<String>,
}

impl ExecConfig {
    /// Refuse what no session could run: no command, a relative
    /// directory, detach keys that are not keys.
    pub fn check(&self) -> Result<()> {
        if self.command.first().is_none_or(|c| c.is_empty()) {
            return Err(Error::invalid_argument("command", "exec needs a command"));
        }
        if let Some(w) = self.work_dir.as_deref().filter(|w| !w.starts_with('/')) {
            return Err(Error::invalid_argument("workDir", format!("{w} is not an absolute path")));
        }
        detach_keys(self.detach_keys.as_deref()).map(drop)
    }
}

/// The bytes of `keys` (None: podman's default), or InvalidArgument
/// naming the key that is not one.
pub fn detach_keys(keys: Option<&str>) -> Result<Vec<u8>> {
    crate::detach::parse(keys.unwrap_or(crate::detach::DEFAULT)).map_err(|e| Error::invalid_argument("detachKeys", e))
}

/// libpod's exec session states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecState {
    Created,
    Running,
    Stopped,
}

impl ExecState {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecState::Created => "created",
            ExecState::Running => "running",
            ExecState::Stopped => "stopped",
        }
    }

    pub fn parse(s: &str) -> Option<ExecState> {
        [ExecState::Created, ExecState::Running, ExecState::Stopped].into_iter().find(|st| st.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExecSession {
    pub id: String,
    /// Its container (libpod's GetExecSessionContainer).
    pub container_id: String,
    pub config: ExecConfig,
    pub state: ExecState,
    pub pid: Option<i64>,
    pub exit_code: Option<i32>,
    /// Unix nanoseconds.
    pub created: i64,
}

impl ExecSession {
    /// InvalidState for this session: its ID, its state, `reason`.
    pub fn invalid(&self, reason: &str) -> Error {
        Error::InvalidState { id: self.id.clone(), state: self.state.as_str().into(), reason: reason.into() }
    }
}
