//! What fails in the OCI layer, by kind. The runtime turns each into the
//! crate's error at its boundary (`From`): a file of the bundle is a
//! Storage error, an argument no program can take an InvalidArgument, the
//! rest a Runtime error that names the program and what it said.

use crate::error::Error;
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
    /// conmon (or the runtime it ran) did not create the container.
    #[error("{runtime} could not create container {id}: {why}")]
    Create { runtime: String, id: String, why: String },
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

impl From<OciError> for Error {
    fn from(e: OciError) -> Self {
        match e {
            OciError::File { .. } => Error::Storage(e.to_string()),
            OciError::Argument { field, reason } => Error::invalid_argument(field, reason),
            other => Error::Runtime(other.to_string()),
        }
    }
}
