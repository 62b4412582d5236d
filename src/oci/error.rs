//! What fails in the OCI layer, by kind. The runtime turns each into the
//! crate's error at its boundary (`From`): a file of the bundle is a
//! Storage error, an argument no program can take an InvalidArgument, the
//! rest a Runtime error that names the program and what it said.

use crate::error::{CommandFailure, Error};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum OciError {
    /// The program could not be run at all.
    #[error("{program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    /// The runtime ran and refused: its command and what it wrote.
    #[error("{runtime} {command}: {stderr}")]
    Refused { runtime: String, command: String, stderr: String },
    /// The runtime answered something that is not what it documents.
    #[error("{runtime} {command}: {why}")]
    Unreadable { runtime: String, command: String, why: String },
    /// A start that did not reach the container's process.
    #[error("{runtime} start {id}: {why}")]
    Start { runtime: String, id: String, why: String },
    /// conmon (or the runtime it ran) did not create the container or
    /// start an exec session's process (`what`); `command` when it was the
    /// process's command that failed.
    #[error("{runtime} could not {what}: {why}")]
    Create { runtime: String, what: String, why: String, command: CommandFailure },
    /// conmon itself failed.
    #[error("conmon: {0}")]
    Conmon(String),
    /// A file the launch needs.
    #[error("{path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An argument no program can be given.
    #[error("{field}: {reason}")]
    Argument { field: &'static str, reason: String },
}

pub type Result<T> = std::result::Result<T, OciError>;

impl OciError {
    pub fn file(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        OciError::File { path: path.into(), source }
    }
}

/// Whether the runtime's words say the container's command could not be
/// found or run. The runtime says so only in text, in the words of Go's
/// exec package (runc) or of libc (crun); podman's getOCIRuntimeError reads
/// the same ones, and this is the one place berth reads a runtime's text.
pub fn command_failure(runtime_said: &str) -> Option<CommandFailure> {
    let said = runtime_said.to_ascii_lowercase();
    if ["permission denied", "operation not permitted", "is a directory"].iter().any(|w| said.contains(w)) {
        Some(CommandFailure::NotRunnable)
    } else if ["executable file not found", "no such file or directory"].iter().any(|w| said.contains(w)) {
        Some(CommandFailure::NotFound)
    } else {
        None
    }
}

impl From<OciError> for Error {
    fn from(e: OciError) -> Self {
        if let OciError::Create { command: cause, .. } = &e {
            return Error::Command { cause: *cause, reason: e.to_string() };
        }
        match e {
            OciError::File { .. } => Error::Storage(e.to_string()),
            OciError::Argument { field, reason } => Error::invalid_argument(field, reason),
            other => Error::Runtime(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_failures_in_the_runtimes_words() {
        let runc = r#"runc create failed: unable to start container process: exec: "nope": executable file not found in $PATH"#;
        assert_eq!(command_failure(runc), Some(CommandFailure::NotFound));
        let crun = "executable file `nope` not found in $PATH: No such file or directory";
        assert_eq!(command_failure(crun), Some(CommandFailure::NotFound));
        let dir = r#"runc create failed: unable to start container process: exec: "/etc": is a directory"#;
        assert_eq!(command_failure(dir), Some(CommandFailure::NotRunnable));
        assert_eq!(command_failure("exec: \"/x\": permission denied"), Some(CommandFailure::NotRunnable));
        assert_eq!(command_failure("cgroup: invalid argument"), None);
    }
}
