//! The one mapping from runtime errors to varlink error replies. Each
//! interface declares the same errors, so the name is `<interface>.<Error>`.

use crate::error::Error;
use serde_json::json;

pub fn error_reply(interface: &str, e: &Error) -> varlink::Reply {
    let (name, params) = match e {
        Error::NoSuchContainer(n) => ("NoSuchContainer", json!({ "nameOrId": n })),
        Error::NoSuchPod(n) => ("NoSuchPod", json!({ "nameOrId": n })),
        Error::NoSuchVolume(n) => ("NoSuchVolume", json!({ "name": n })),
        Error::NoSuchImage(r) => ("NoSuchImage", json!({ "reference": r })),
        Error::AmbiguousName { name_or_id, matches } => {
            ("AmbiguousName", json!({ "nameOrId": name_or_id, "matches": matches }))
        }
        Error::NameInUse(n) => ("NameInUse", json!({ "name": n })),
        Error::InvalidName { name, reason } => ("InvalidName", json!({ "name": name, "reason": reason })),
        Error::InvalidState { id, state, reason } => {
            ("InvalidState", json!({ "id": id, "state": state, "reason": reason }))
        }
        Error::HasDependents { id, dependents } => ("HasDependents", json!({ "id": id, "dependents": dependents })),
        Error::ActiveExecSessions { id, sessions } => ("ActiveExecSessions", json!({ "id": id, "sessions": sessions })),
        Error::InfraContainer { id, pod } => ("InfraContainer", json!({ "id": id, "pod": pod })),
        Error::VolumeInUse { name, users } => ("VolumeInUse", json!({ "name": name, "users": users })),
        Error::RuntimeNotAvailable(r) => ("RuntimeNotAvailable", json!({ "runtime": r })),
        Error::InvalidArgument { field, reason } => ("InvalidArgument", json!({ "field": field, "reason": reason })),
        Error::PermissionDenied(reason) => ("PermissionDenied", json!({ "reason": reason })),
        Error::Storage(reason) => ("Storage", json!({ "reason": reason })),
        Error::Runtime(reason) => ("Runtime", json!({ "reason": reason })),
        Error::Database(err) => ("Storage", json!({ "reason": format!("database: {err}") })),
    };
    varlink::Reply::error(format!("{interface}.{name}"), Some(params))
}
