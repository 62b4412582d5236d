//! The one mapping from runtime errors to varlink error replies. Each
//! interface declares the same errors, so the name is `<interface>.<Error>`;
//! only the need for interactive authorization has systemd's name.

use crate::error::Error;
use serde_json::json;

pub fn error_reply(interface: &str, e: &Error) -> varlink::Reply {
    if let Error::InteractiveAuthorizationRequired(reason) = e {
        // systemd's own, which its varlink clients know.
        let params = bounded(json!({ "reason": reason }));
        return varlink::Reply::error("io.systemd.InteractiveAuthenticationRequired", Some(params));
    }
    let params = match e {
        Error::NoSuchContainer(n) => json!({ "nameOrId": n }),
        Error::NoSuchPod(n) => json!({ "nameOrId": n }),
        Error::NoSuchVolume(n) => json!({ "name": n }),
        Error::NoSuchImage(r) => json!({ "reference": r }),
        Error::NoSuchSecret(n) => json!({ "name": n }),
        Error::NoSuchNetwork(n) => json!({ "name": n }),
        Error::AmbiguousName { name_or_id, matches } => {
            json!({ "nameOrId": name_or_id, "matches": matches })
        }
        Error::NameInUse(n) => json!({ "name": n }),
        Error::InvalidName { name, reason } => json!({ "name": name, "reason": reason }),
        Error::InvalidState { id, state, reason } => {
            json!({ "id": id, "state": state, "reason": reason })
        }
        Error::HasDependents { id, dependents } => json!({ "id": id, "dependents": dependents }),
        Error::ActiveExecSessions { id, sessions } => json!({ "id": id, "sessions": sessions }),
        Error::InfraContainer { id, pod } => json!({ "id": id, "pod": pod }),
        Error::VolumeInUse { name, users } => json!({ "name": name, "users": users }),
        Error::SecretInUse { name, users } => json!({ "name": name, "users": users }),
        Error::NetworkInUse { name, users } => json!({ "name": name, "users": users }),
        Error::RuntimeNotAvailable(r) => json!({ "runtime": r }),
        Error::InvalidArgument { field, reason } => json!({ "field": field, "reason": reason }),
        Error::PermissionDenied(reason) | Error::InteractiveAuthorizationRequired(reason) => {
            json!({ "reason": reason })
        }
        Error::Storage(reason) => json!({ "reason": reason }),
        Error::Runtime(reason) => json!({ "reason": reason }),
        Error::Command { reason, cause } => json!({ "reason": reason, "cause": cause.as_str() }),
        Error::Database(err) => json!({ "reason": format!("database: {err}") }),
    };
    varlink::Reply::error(format!("{interface}.{}", e.name()), Some(bounded(params)))
}

/// The parameters with every string cut to what an error may quote, and
/// lists of values (matches, users) to as many as fit in that much.
fn bounded(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(crate::error::shorten(&s).into_owned()),
        Value::Array(items) => Value::Array(items.into_iter().take(crate::error::QUOTE_MAX / 8).map(bounded).collect()),
        Value::Object(fields) => Value::Object(fields.into_iter().map(|(k, v)| (k, bounded(v))).collect()),
        other => other,
    }
}
