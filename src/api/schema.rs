//! Parameter checking against the interface definitions, before a call reaches
//! the generated code: a missing or mistyped parameter is answered with
//! `org.varlink.service.InvalidParameter` naming it (`options.labels`,
//! `filters[2]`), and the connection stays usable.

use serde_json::Value;
use std::collections::HashMap;
use varlink_parser::{VStruct, VStructOrEnum, VType, VTypeExt, IDL};

pub struct Schema {
    interfaces: HashMap<&'static str, IDL<'static>>,
}

/// What checking a call found.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    Valid,
    /// The method is not in the interface: let the dispatcher say so.
    UnknownMethod,
    InvalidParameter(String),
}

impl Schema {
    /// Parse the interface definitions the service serves.
    pub fn new(descriptions: &[&'static str]) -> Result<Self, String> {
        let mut interfaces = HashMap::new();
        for d in descriptions {
            let idl = IDL::try_from(*d).map_err(|e| e.to_string())?;
            interfaces.insert(idl.name, idl);
        }
        Ok(Schema { interfaces })
    }

    pub fn check(&self, interface: &str, method: &str, params: &Value) -> Verdict {
        self.check_against(interface, method, params, |m| &m.input)
    }

    /// Whether a reply holds what the method's output says: every field
    /// and no other. (What a client's generated code will decode.)
    pub fn check_reply(&self, interface: &str, method: &str, params: &Value) -> Verdict {
        self.check_against(interface, method, params, |m| &m.output)
    }

    fn check_against(
        &self,
        interface: &str,
        method: &str,
        params: &Value,
        side: impl for<'m> Fn(&'m varlink_parser::Method<'static>) -> &'m VStruct<'static>,
    ) -> Verdict {
        let Some(idl) = self.interfaces.get(interface) else { return Verdict::Valid };
        let Some(m) = idl.methods.get(method) else { return Verdict::UnknownMethod };
        match check_struct(idl, side(m), params, "") {
            Ok(()) => Verdict::Valid,
            Err(path) => Verdict::InvalidParameter(if path.is_empty() { "parameters".into() } else { path }),
        }
    }
}

impl Schema {
    /// The field names of a method's input, or of its input `field` when
    /// that is a struct: what an options dictionary may hold.
    pub fn fields(&self, interface: &str, method: &str, field: Option<&str>) -> Vec<&'static str> {
        let Some(idl) = self.interfaces.get(interface) else { return Vec::new() };
        let Some(m) = idl.methods.get(method) else { return Vec::new() };
        let st = match field {
            None => &m.input,
            Some(f) => match m.input.elts.iter().find(|a| a.name == f).map(|a| &a.vtype) {
                Some(VTypeExt::Plain(VType::Typename(name))) => match idl.typedefs.get(name).map(|t| &t.elt) {
                    Some(VStructOrEnum::VStruct(s)) => s,
                    _ => return Vec::new(),
                },
                Some(VTypeExt::Plain(VType::Struct(s))) => s,
                _ => return Vec::new(),
            },
        };
        st.elts.iter().map(|a| a.name).collect()
    }
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

fn check_struct(idl: &IDL, st: &VStruct, value: &Value, path: &str) -> Result<(), String> {
    let obj = value.as_object().ok_or_else(|| path.to_string())?;
    // A field the interface does not define would be dropped by decoding,
    // and the caller would believe what is not so (a port mapping, a mount).
    if let Some(unknown) = obj.keys().find(|k| !st.elts.iter().any(|a| a.name == k.as_str())) {
        return Err(join(path, unknown));
    }
    for arg in &st.elts {
        let p = join(path, arg.name);
        check_ext(idl, &arg.vtype, obj.get(arg.name).unwrap_or(&Value::Null), &p)?;
    }
    Ok(())
}

fn check_ext(idl: &IDL, t: &VTypeExt, v: &Value, path: &str) -> Result<(), String> {
    match t {
        VTypeExt::Option(inner) => match v {
            Value::Null => Ok(()),
            _ => check_ext(idl, inner, v, path),
        },
        VTypeExt::Array(inner) => {
            let items = v.as_array().ok_or_else(|| path.to_string())?;
            items.iter().enumerate().try_for_each(|(i, item)| check_ext(idl, inner, item, &format!("{path}[{i}]")))
        }
        VTypeExt::Dict(inner) => {
            let map = v.as_object().ok_or_else(|| path.to_string())?;
            map.iter().try_for_each(|(k, item)| check_ext(idl, inner, item, &format!("{path}[{k}]")))
        }
        VTypeExt::Plain(t) => check_type(idl, t, v, path),
    }
}

fn check_type(idl: &IDL, t: &VType, v: &Value, path: &str) -> Result<(), String> {
    let ok = match t {
        VType::Bool => v.is_boolean(),
        VType::Int => v.is_i64(),
        VType::Float => v.is_number(),
        VType::String => v.is_string(),
        VType::Object => !v.is_null(),
        VType::Struct(s) => return check_struct(idl, s, v, path),
        VType::Enum(e) => v.as_str().is_some_and(|s| e.elts.contains(&s)),
        VType::Typename(name) => match idl.typedefs.get(name).map(|t| &t.elt) {
            Some(VStructOrEnum::VStruct(s)) => return check_struct(idl, s, v, path),
            Some(VStructOrEnum::VEnum(e)) => v.as_str().is_some_and(|s| e.elts.contains(&s)),
            None => false,
        },
    };
    if ok {
        Ok(())
    } else {
        Err(path.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const IDL_TEXT: &str = "interface org.example.t\ntype Opt (name: ?string, tags: ?[string]string, list: []int)\nmethod M(a: string, o: ?Opt, mode: ?(x, y)) -> ()\n";

    #[test]
    fn names_the_bad_parameter() {
        let s = Schema::new(&[IDL_TEXT]).unwrap();
        let check = |p: Value| s.check("org.example.t", "M", &p);
        assert_eq!(check(json!({"a": "x"})), Verdict::Valid);
        assert_eq!(check(json!({"a": "x", "o": {"list": [1, 2], "tags": {"k": "v"}}, "mode": "y"})), Verdict::Valid);
        assert_eq!(check(json!({})), Verdict::InvalidParameter("a".into()));
        assert_eq!(check(json!({"a": 5})), Verdict::InvalidParameter("a".into()));
        assert_eq!(check(json!({"a": "x", "o": {}})), Verdict::InvalidParameter("o.list".into()));
        assert_eq!(check(json!({"a": "x", "o": {"list": [1, "2"]}})), Verdict::InvalidParameter("o.list[1]".into()));
        assert_eq!(
            check(json!({"a": "x", "o": {"list": [], "tags": {"k": 1}}})),
            Verdict::InvalidParameter("o.tags[k]".into())
        );
        assert_eq!(check(json!({"a": "x", "mode": "z"})), Verdict::InvalidParameter("mode".into()));
        assert_eq!(check(json!([1])), Verdict::InvalidParameter("parameters".into()));
        assert_eq!(check(json!({"a": "x", "ports": []})), Verdict::InvalidParameter("ports".into()));
        assert_eq!(
            check(json!({"a": "x", "o": {"list": [], "mounts": 1}})),
            Verdict::InvalidParameter("o.mounts".into())
        );
        assert_eq!(s.check("org.example.t", "Nope", &json!({})), Verdict::UnknownMethod);
    }
}
