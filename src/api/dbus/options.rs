//! `a{sv}` option dictionaries: their keys are the varlink field names, so
//! they are turned into JSON, checked against the varlink definition (which
//! names a wrong key or type) and decoded as the varlink call would be.

use crate::api::schema::{Schema, Verdict};
use crate::error::{Error, Result};
use serde_json::{Map, Value as Json};
use std::collections::HashMap;
use std::sync::OnceLock;
use zbus::{OwnedVariant, Variant};

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        Schema::new(&[
            include_str!("../../../interfaces/io.berth.Container.varlink"),
            include_str!("../../../interfaces/io.berth.Pod.varlink"),
        ])
        .expect("the interface definitions were parsed at build time")
    })
}

/// The JSON form of a D-Bus value (variants unwrapped, dicts as objects).
pub fn to_json(v: &Variant<'_>) -> Json {
    match v {
        Variant::U8(n) => Json::from(*n),
        Variant::Bool(b) => Json::from(*b),
        Variant::I16(n) => Json::from(*n),
        Variant::U16(n) => Json::from(*n),
        Variant::I32(n) => Json::from(*n),
        Variant::U32(n) => Json::from(*n),
        Variant::I64(n) => Json::from(*n),
        Variant::U64(n) => Json::from(*n),
        Variant::F64(n) => Json::from(*n),
        Variant::Str(s) => Json::from(s.as_str()),
        Variant::Signature(s) => Json::from(s.to_string()),
        Variant::ObjectPath(p) => Json::from(p.as_str()),
        Variant::Variant(inner) => to_json(inner),
        Variant::Array(a) => Json::Array(a.inner().iter().map(to_json).collect()),
        Variant::Dict(d) => Json::Object(
            d.iter()
                .map(|(k, v)| {
                    let key = match to_json(k) {
                        Json::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Variant::Structure(s) => Json::Array(s.fields().iter().map(to_json).collect()),
        Variant::Fd(_) => Json::Null,
    }
}

/// Check `options` as the parameters `field` of varlink's `interface.method`
/// and decode them as `T`.
pub fn decode<T: serde::de::DeserializeOwned>(
    interface: &str,
    method: &str,
    field: Option<&str>,
    options: &HashMap<String, OwnedVariant>,
) -> Result<T> {
    only(options, &schema().fields(interface, method, field))?;
    let dict = Json::Object(options.iter().map(|(k, v)| (k.clone(), to_json(v))).collect());
    // Checked where varlink would see it: as the method's parameters, or as
    // the one parameter `field` of them.
    let params = match field {
        Some(f) => Json::Object(Map::from_iter([(f.to_string(), dict)])),
        None => dict,
    };
    if let Verdict::InvalidParameter(p) = schema().check(interface, method, &params) {
        let key = field.map_or(p.as_str(), |f| p.strip_prefix(&format!("{f}.")).unwrap_or(&p));
        return Err(Error::invalid_argument(key, "missing, or a value of the wrong type"));
    }
    let dict = match (field, params) {
        (Some(f), Json::Object(mut outer)) => outer.remove(f).unwrap_or_default(),
        (_, params) => params,
    };
    serde_json::from_value(dict).map_err(|e| Error::invalid_argument("options", e.to_string()))
}

/// Check `options` as the parameters of varlink's `interface.method` that
/// the D-Bus call does not pass as arguments of its own (`given`), and
/// decode all of them together as `T`.
pub fn decode_rest<T: serde::de::DeserializeOwned>(
    interface: &str,
    method: &str,
    given: Map<String, Json>,
    options: &HashMap<String, OwnedVariant>,
) -> Result<T> {
    let fields = schema().fields(interface, method, None);
    only(options, &fields.into_iter().filter(|f| !given.contains_key(*f)).collect::<Vec<_>>())?;
    let mut params = given;
    params.extend(options.iter().map(|(k, v)| (k.clone(), to_json(v))));
    let params = Json::Object(params);
    if let Verdict::InvalidParameter(p) = schema().check(interface, method, &params) {
        return Err(Error::invalid_argument(&p, "missing, or a value of the wrong type"));
    }
    serde_json::from_value(params).map_err(|e| Error::invalid_argument("options", e.to_string()))
}

/// InvalidArgument naming the first key that is not one of `known`.
pub fn only(options: &HashMap<String, OwnedVariant>, known: &[&str]) -> Result<()> {
    match options.keys().find(|k| !known.contains(&k.as_str())) {
        Some(key) => Err(Error::invalid_argument(key, format!("not an option; the options are {}", known.join(", ")))),
        None => Ok(()),
    }
}

/// The option `key` as a `T`, if given; InvalidArgument when of another type.
pub fn get<T>(options: &HashMap<String, OwnedVariant>, key: &str) -> Result<Option<T>>
where
    T: TryFrom<OwnedVariant>,
{
    match options.get(key) {
        None => Ok(None),
        Some(v) => T::try_from(v.clone()).map(Some).map_err(|_| {
            Error::invalid_argument(key, format!("a value of type {} is not expected here", v.value_signature()))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::request::CreateOptions;

    fn dict(entries: Vec<(&str, Variant<'static>)>) -> HashMap<String, OwnedVariant> {
        entries.into_iter().map(|(k, v)| (k.to_string(), OwnedVariant::try_from(v).unwrap())).collect()
    }

    #[test]
    fn create_options_decode_as_varlink_would() {
        let labels: HashMap<String, String> = HashMap::from([("app".into(), "web".into())]);
        let options = dict(vec![
            ("command", Variant::from(vec!["/bin/sh", "-c", "true"])),
            ("name", Variant::from("web")),
            ("labels", Variant::from(labels)),
            ("autoRemove", Variant::from(true)),
        ]);
        let o: CreateOptions = decode("io.berth.Container", "Create", Some("options"), &options).unwrap();
        assert_eq!(o.command, ["/bin/sh", "-c", "true"]);
        assert_eq!(o.name.as_deref(), Some("web"));
        assert_eq!(o.labels.unwrap().get("app").map(String::as_str), Some("web"));
        assert_eq!(o.auto_remove, Some(true));
    }

    #[test]
    fn a_wrong_key_or_type_is_named() {
        let unknown = dict(vec![("command", Variant::from(vec!["true"])), ("colour", Variant::from("red"))]);
        let e = decode::<CreateOptions>("io.berth.Container", "Create", Some("options"), &unknown).unwrap_err();
        assert!(matches!(&e, Error::InvalidArgument { field, .. } if field == "colour"), "{e}");
        let mistyped = dict(vec![("command", Variant::from("true"))]);
        let e = decode::<CreateOptions>("io.berth.Container", "Create", Some("options"), &mistyped).unwrap_err();
        assert!(matches!(&e, Error::InvalidArgument { field, .. } if field == "command"), "{e}");
        let missing = dict(vec![("name", Variant::from("x"))]);
        let e = decode::<CreateOptions>("io.berth.Container", "Create", Some("options"), &missing).unwrap_err();
        assert!(matches!(&e, Error::InvalidArgument { field, .. } if field == "command"), "{e}");
        let tls = dict(vec![("tlsVerify", Variant::from("no"))]);
        assert!(get::<bool>(&tls, "tlsVerify").is_err());
        assert_eq!(get::<bool>(&dict(vec![("tlsVerify", Variant::from(false))]), "tlsVerify").unwrap(), Some(false));
    }
}
