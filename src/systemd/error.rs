//! What fails when berth talks to systemd and journald, by kind; all are
//! Runtime errors to a caller (`From`), and the kind says what to look at.

use crate::error::Error;

#[derive(Debug, thiserror::Error)]
pub enum SystemdError {
    /// A call on the bus failed: what was asked, and the bus's error.
    #[error("systemd: {what}: {source}")]
    Bus {
        what: String,
        #[source]
        source: zbus::Error,
    },
    /// The manager ran the job and it did not end `done`.
    #[error("systemd: the job for {unit} ended {result:?}")]
    JobFailed { unit: String, result: String },
    /// The job did not end in time.
    #[error("systemd: the job for {unit} did not finish in {after:?}")]
    JobTimedOut { unit: String, after: std::time::Duration },
    /// The bus went away while a job was awaited.
    #[error("systemd: the bus connection closed while waiting for a job")]
    BusClosed,
    /// The journal could not be opened or read.
    #[error("the journal: {0}")]
    Journal(String),
}

pub type Result<T> = std::result::Result<T, SystemdError>;

impl SystemdError {
    pub fn bus(what: impl Into<String>, source: zbus::Error) -> Self {
        SystemdError::Bus { what: what.into(), source }
    }
}

impl From<SystemdError> for Error {
    fn from(e: SystemdError) -> Self {
        Error::Runtime(e.to_string())
    }
}
