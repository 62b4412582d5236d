//! The one error type of berth. Each variant is a failure a user can act on and
//! carries the offending value; the transports map variants to their error names
//! in exactly one place each.

use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum Error {
    #[error("no such container: {0}")]
    NoSuchContainer(String),
    #[error("no such pod: {0}")]
    NoSuchPod(String),
    #[error("no such volume: {0}")]
    NoSuchVolume(String),
    #[error("no such image: {0}")]
    NoSuchImage(String),
    #[error("no such secret: {0}")]
    NoSuchSecret(String),
    #[error("no such network: {0}")]
    NoSuchNetwork(String),
    #[error("{name_or_id} is ambiguous: it matches {}", matches.join(", "))]
    AmbiguousName { name_or_id: String, matches: Vec<String> },
    #[error("the name {0} is already in use")]
    NameInUse(String),
    #[error("invalid name {name:?}: {reason}")]
    InvalidName { name: String, reason: String },
    #[error("{id} is {state}: {reason}")]
    InvalidState { id: String, state: String, reason: String },
    #[error("{id} has dependents: {}", dependents.join(", "))]
    HasDependents { id: String, dependents: Vec<String> },
    #[error("container {id} has active exec sessions: {}", sessions.join(", "))]
    ActiveExecSessions { id: String, sessions: Vec<String> },
    #[error("container {id} is the infra container of pod {pod}; remove the pod instead")]
    InfraContainer { id: String, pod: String },
    #[error("volume {name} is in use by {}", users.join(", "))]
    VolumeInUse { name: String, users: Vec<String> },
    #[error("secret {name} is in use by {}", users.join(", "))]
    SecretInUse { name: String, users: Vec<String> },
    #[error("network {name} is in use by {}", users.join(", "))]
    NetworkInUse { name: String, users: Vec<String> },
    #[error("OCI runtime {0} is not available")]
    RuntimeNotAvailable(String),
    #[error("invalid {field}: {reason}")]
    InvalidArgument { field: String, reason: String },
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// polkit would grant the call once the caller's user authenticates,
    /// and the caller did not allow it to ask (systemd's error names on
    /// both transports: see `Error::name`).
    #[error("interactive authorization required: {0}")]
    InteractiveAuthorizationRequired(String),
    #[error("storage: {0}")]
    Storage(String),
    #[error("runtime: {0}")]
    Runtime(String),
    /// The runtime could not run the container's command.
    #[error("runtime: {reason}")]
    Command { reason: String, cause: CommandFailure },
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
}

impl Error {
    /// The error's name in both APIs (`io.berth.Container.<Name>` on
    /// varlink, `io.berth.Berth1.Error.<Name>` on D-Bus).
    pub fn name(&self) -> &'static str {
        match self {
            Error::NoSuchContainer(_) => "NoSuchContainer",
            Error::NoSuchPod(_) => "NoSuchPod",
            Error::NoSuchVolume(_) => "NoSuchVolume",
            Error::NoSuchImage(_) => "NoSuchImage",
            Error::NoSuchSecret(_) => "NoSuchSecret",
            Error::NoSuchNetwork(_) => "NoSuchNetwork",
            Error::AmbiguousName { .. } => "AmbiguousName",
            Error::NameInUse(_) => "NameInUse",
            Error::InvalidName { .. } => "InvalidName",
            Error::InvalidState { .. } => "InvalidState",
            Error::HasDependents { .. } => "HasDependents",
            Error::ActiveExecSessions { .. } => "ActiveExecSessions",
            Error::InfraContainer { .. } => "InfraContainer",
            Error::VolumeInUse { .. } => "VolumeInUse",
            Error::SecretInUse { .. } => "SecretInUse",
            Error::NetworkInUse { .. } => "NetworkInUse",
            Error::RuntimeNotAvailable(_) => "RuntimeNotAvailable",
            Error::InvalidArgument { .. } => "InvalidArgument",
            Error::PermissionDenied(_) => "PermissionDenied",
            Error::InteractiveAuthorizationRequired(_) => "InteractiveAuthorizationRequired",
            Error::Storage(_) | Error::Database(_) => "Storage",
            Error::Runtime(_) | Error::Command { .. } => "Runtime",
        }
    }

    pub fn invalid_argument(field: &str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument { field: field.to_string(), reason: reason.into() }
    }

    /// What the transports send as the message: cut to `QUOTE_MAX` bytes.
    pub fn message(&self) -> String {
        shorten(&self.to_string()).into_owned()
    }

    /// An I/O failure on a path of berth's storage, naming the path.
    pub fn storage(what: impl std::fmt::Display, err: impl std::fmt::Display) -> Self {
        Error::Storage(format!("{what}: {err}"))
    }
}

/// Why a container's command could not be run, as podman tells them apart
/// (its exit codes 127 and 126; 126 too when the OCI runtime refused to
/// create the container for any other reason, podman's ErrOCIRuntime).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandFailure {
    NotFound,
    NotRunnable,
    RuntimeRefused,
    /// A host port it publishes was taken when it started.
    PortInUse,
}

impl CommandFailure {
    /// The `cause` of a Runtime error.
    pub fn as_str(self) -> &'static str {
        match self {
            CommandFailure::NotFound => "command-not-found",
            CommandFailure::NotRunnable => "command-not-runnable",
            CommandFailure::RuntimeRefused => "runtime-refused",
            CommandFailure::PortInUse => "port-in-use",
        }
    }

    /// The exit code podman gives for it.
    pub fn exit_code(self) -> i32 {
        match self {
            CommandFailure::NotFound => 127,
            CommandFailure::NotRunnable | CommandFailure::RuntimeRefused | CommandFailure::PortInUse => 126,
        }
    }
}

/// The most of an input value that an error repeats back: enough to tell
/// which value it was, and never a multi-megabyte request echoed whole.
pub const QUOTE_MAX: usize = 512;

/// `s` itself when short, else its first `QUOTE_MAX` bytes (at a character
/// boundary) and how long it was.
pub fn shorten(s: &str) -> std::borrow::Cow<'_, str> {
    if s.len() <= QUOTE_MAX {
        return s.into();
    }
    let end = (0..=QUOTE_MAX).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
    format!("{}... ({} bytes)", &s[..end], s.len()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_at_a_character() {
        assert_eq!(shorten("short"), "short");
        let long = "é".repeat(1000);
        let cut = shorten(&long);
        assert!(cut.len() < QUOTE_MAX + 20, "{}", cut.len());
        assert!(cut.ends_with("... (2000 bytes)"), "{cut}");
        let e = Error::NoSuchContainer("x".repeat(5 << 20));
        assert!(e.message().len() < QUOTE_MAX + 40);
    }
}
