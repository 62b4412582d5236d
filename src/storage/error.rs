//! What fails in image storage, by kind; the runtime sees each as the
//! crate's error (`From`): a missing image, a refusal and a bad name keep
//! their own names, the rest are Storage errors.

use crate::error::Error;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A file or directory of the store or of a source.
    #[error("{path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// What was read or arrived is not what it must be: a document that
    /// does not parse, a digest or size that does not match, a layer entry
    /// that leaves its layer.
    #[error("{0}")]
    Invalid(String),
    /// The registry answered, but not with what was asked for.
    #[error("{0}")]
    Registry(String),
    /// The registry could not be reached at all.
    #[error("registry {host} cannot be reached: {source}")]
    Unreachable {
        host: String,
        #[source]
        source: Box<ureq::Error>,
    },
    /// Mounting or unmounting an overlay.
    #[error("{what}: {source}")]
    Mount {
        what: String,
        #[source]
        source: nix::Error,
    },
    /// The registry refused the credentials, or asked for some.
    #[error("{0}")]
    Denied(String),
    #[error("no such image: {0}")]
    NoSuchImage(String),
    #[error("invalid name {name:?}: {reason}")]
    InvalidReference { name: String, reason: String },
}

pub type Result<T> = std::result::Result<T, StorageError>;

impl StorageError {
    pub fn file(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        StorageError::File { path: path.as_ref().display().to_string(), source }
    }
}

impl From<StorageError> for Error {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Denied(why) => Error::PermissionDenied(why),
            StorageError::NoSuchImage(name) => Error::NoSuchImage(name),
            StorageError::InvalidReference { name, reason } => Error::InvalidName { name, reason },
            other => Error::Storage(other.to_string()),
        }
    }
}
