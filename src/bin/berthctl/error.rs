//! What berthctl says when a call fails, and how it exits: podman's words
//! where podman has them, and its exit codes: 125 for an engine error, 127
//! and 126 for a container command that could not be found or run.

use berth::api::varlink::generated;
use serde_json::Value;
use std::process::ExitCode;

/// podman's exit code when the engine, not the container, failed.
pub const ENGINE_FAILED: u8 = 125;

#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
    /// The API error's name (`NoSuchContainer`), when the engine answered with one.
    pub name: String,
}

impl Failure {
    pub fn engine(message: impl Into<String>) -> Self {
        Failure { message: message.into(), code: ENGINE_FAILED, name: String::new() }
    }

    /// A failed call, from anything whose source chain holds the varlink error.
    fn of(e: &(dyn std::error::Error + 'static)) -> Self {
        let mut next = Some(e);
        while let Some(err) = next {
            if let Some(v) = err.downcast_ref::<varlink::Error>() {
                return Failure::of_varlink(v);
            }
            next = err.source();
        }
        Failure::engine(e.to_string())
    }

    fn of_varlink(e: &varlink::Error) -> Self {
        match e.kind() {
            varlink::ErrorKind::VarlinkErrorReply(reply) => Failure::of_reply(
                reply.error.as_deref().unwrap_or_default(),
                reply.parameters.as_ref().unwrap_or(&Value::Null),
            ),
            varlink::ErrorKind::ConnectionClosed => Failure::engine("berthd closed the connection"),
            _ => Failure::engine(format!("talking to berthd: {}", io_cause(e).unwrap_or_else(|| e.to_string()))),
        }
    }

    /// The error reply `error` with its parameters.
    fn of_reply(error: &str, params: &Value) -> Self {
        let message = message(error, params);
        let name = error.rsplit('.').next().unwrap_or_default().to_string();
        // podman's codes for a container command that could not run.
        let code = match params["cause"].as_str() {
            Some("command-not-found") => 127,
            Some("command-not-runnable" | "runtime-refused" | "port-in-use") => 126,
            _ => ENGINE_FAILED,
        };
        Failure { message, code, name }
    }

    /// A failed call of berth's own small client (an upgraded one).
    pub fn of_client(e: &berth::client::ClientError) -> Self {
        match e {
            berth::client::ClientError::Remote { error, parameters } => Failure::of_reply(error, parameters),
            other => Failure::engine(format!("talking to berthd: {other}")),
        }
    }

    /// berthd could not be reached at `address`.
    pub fn unreachable(address: &str, e: &varlink::Error) -> Self {
        let cause = io_cause(e).unwrap_or_else(|| e.kind().to_string());
        Failure::engine(format!("cannot connect to berthd at {address}: {cause}"))
    }

    pub fn exit(&self) -> ExitCode {
        eprintln!("Error: {}", self.message);
        ExitCode::from(self.code)
    }
}

/// The operating system's words for a failed connection, when that is what it was.
fn io_cause(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = Some(e);
    while let Some(err) = next {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.to_string());
        }
        next = err.source();
    }
    None
}

impl From<varlink::Error> for Failure {
    fn from(e: varlink::Error) -> Self {
        Failure::of_varlink(&e)
    }
}

macro_rules! from_generated {
    ($($interface:ident),*) => {$(
        impl From<generated::$interface::Error> for Failure {
            fn from(e: generated::$interface::Error) -> Self {
                Failure::of(&e)
            }
        }
    )*};
}
from_generated!(container, pod, volume, image, system, storage, secret, network);

/// A person's sentence for an error reply: its name says what failed, its
/// parameters which object (podman's wording where podman has the error).
fn message(error: &str, params: &Value) -> String {
    let text = |key: &str| params[key].as_str().unwrap_or_default().to_string();
    let list = |key: &str| {
        params[key].as_array().into_iter().flatten().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")
    };
    match error.rsplit('.').next().unwrap_or(error) {
        "NoSuchContainer" => format!("no container with name or ID {:?} found: no such container", text("nameOrId")),
        "NoSuchPod" => format!("no pod with name or ID {:?} found: no such pod", text("nameOrId")),
        "NoSuchVolume" => format!("no volume with name {:?} found: no such volume", text("name")),
        "NoSuchImage" => format!("{}: image not known", text("reference")),
        "NoSuchSecret" => format!("no secret with name or id {:?}: no such secret", text("name")),
        "SecretInUse" => format!("secret {} is in use by container(s): {}", text("name"), list("users")),
        "NoSuchNetwork" => format!("unable to find network with name or ID {}: network not found", text("name")),
        "NetworkInUse" => format!("network {} is being used: {}", text("name"), list("users")),
        "AmbiguousName" => format!("more than one object matches {:?}: {}", text("nameOrId"), list("matches")),
        "NameInUse" => format!("the name {:?} is already in use: that name is already in use", text("name")),
        "InvalidName" => format!("invalid name {:?}: {}", text("name"), text("reason")),
        "InvalidState" => format!("{}: container state improper", text("reason")),
        "HasDependents" => {
            format!("{} has dependents which must be removed before it: {}", text("id"), list("dependents"))
        }
        "ActiveExecSessions" => format!("container {} has active exec sessions: {}", text("id"), list("sessions")),
        "InfraContainer" => format!(
            "container {} is the infra container of pod {} and cannot be removed without removing the pod",
            text("id"),
            text("pod")
        ),
        "VolumeInUse" => format!(
            "volume {} is being used by the following container(s): {}: volume is being used",
            text("name"),
            list("users")
        ),
        "RuntimeNotAvailable" => format!("OCI runtime {:?} is not available", text("runtime")),
        "InvalidArgument" => format!("{}: {}", text("field"), text("reason")),
        "PermissionDenied" => format!("{}: permission denied", text("reason")),
        "InteractiveAuthenticationRequired" => {
            format!("{}: interactive authentication required (polkit would ask for a password)", text("reason"))
        }
        "Storage" | "Runtime" => text("reason"),
        _ => format!("{error}: {params}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_name_the_object() {
        assert_eq!(
            message("io.berth.Container.NoSuchContainer", &json!({ "nameOrId": "ghost" })),
            "no container with name or ID \"ghost\" found: no such container"
        );
        assert_eq!(
            message("io.berth.Volume.VolumeInUse", &json!({ "name": "data", "users": ["a", "b"] })),
            "volume data is being used by the following container(s): a, b: volume is being used"
        );
        assert_eq!(
            message("org.varlink.service.InvalidParameter", &json!({ "parameter": "x" })),
            "org.varlink.service.InvalidParameter: {\"parameter\":\"x\"}"
        );
    }
}
