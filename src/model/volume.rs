//! The volume model: a named directory under the root that containers mount.

use crate::error::Result;
use crate::model::filter::{any_of, FilterSet, LabelFilter};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeConfig {
    pub name: String,
    pub anonymous: bool,
    pub labels: BTreeMap<String, String>,
    pub created_nanos: i64,
    pub mountpoint: PathBuf,
    /// podman's --opt: `type` and `device` of a file system mounted at
    /// its directory while it is used; `o` its mount options, or without a
    /// type uid= and gid=, the owner of its directory.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
}

impl VolumeConfig {
    /// The file system it mounts: (device, type, options), for a volume
    /// with a type.
    pub fn file_system(&self) -> Option<(&str, &str, &str)> {
        let typ = self.options.get("type")?;
        let device = self.options.get("device").unwrap_or(typ);
        Some((device, typ, self.options.get("o").map_or("", String::as_str)))
    }
}

/// The owner a volume's `o` option gives its directory: (uid, gid).
pub fn owner(options: &BTreeMap<String, String>) -> Result<(Option<u32>, Option<u32>)> {
    use crate::error::Error;
    let bad = |why: String| Error::invalid_argument("options", why);
    if let Some(key) = options.keys().find(|k| !matches!(k.as_str(), "o" | "type" | "device")) {
        return Err(bad(format!("{key:?}: a volume's options are type, device and o")));
    }
    if options.contains_key("device") && !options.contains_key("type") {
        return Err(bad("a device needs a type".into()));
    }
    if options.contains_key("type") {
        // Its options are the file system's: checked when it is mounted.
        return Ok((None, None));
    }
    let (mut uid, mut gid) = (None, None);
    for part in options.get("o").map(String::as_str).unwrap_or("").split(',').filter(|p| !p.is_empty()) {
        let number = |v: &str| v.parse::<u32>().map_err(|_| bad(format!("{part:?} is not a number")));
        match part.split_once('=') {
            Some(("uid", v)) => uid = Some(number(v)?),
            Some(("gid", v)) => gid = Some(number(v)?),
            _ => return Err(bad(format!("mount option {part:?}: berth's volumes take uid= and gid="))),
        }
    }
    Ok((uid, gid))
}

/// A volume with the containers that mount it.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeInfo {
    pub config: VolumeConfig,
    pub users: Vec<String>,
}

/// Volume filters: name (exact), label, anonymous=bool, dangling=bool.
#[derive(Debug, Default)]
pub struct VolumeFilters {
    names: Vec<String>,
    labels: Vec<LabelFilter>,
    anonymous: Option<bool>,
    dangling: Option<bool>,
}

impl VolumeFilters {
    pub const KEYS: &'static [&'static str] = &["name", "label", "anonymous", "dangling"];

    pub fn parse(filters: &[String]) -> Result<Self> {
        let f = FilterSet::parse(filters, "volume", Self::KEYS)?;
        Ok(VolumeFilters {
            names: f.strings("name"),
            labels: f.labels("label"),
            anonymous: f.flag("anonymous")?,
            dangling: f.flag("dangling")?,
        })
    }

    pub fn matches(&self, v: &VolumeInfo) -> bool {
        any_of(&self.names, |n| *n == v.config.name)
            && self.labels.iter().all(|l| l.matches(&v.config.labels))
            && self.anonymous.is_none_or(|a| a == v.config.anonymous)
            && self.dangling.is_none_or(|d| d == v.users.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_filters() {
        let v = VolumeInfo {
            config: VolumeConfig {
                name: "data".into(),
                anonymous: false,
                labels: BTreeMap::from([("k".into(), "v".into())]),
                created_nanos: 0,
                mountpoint: "/x".into(),
                options: BTreeMap::new(),
            },
            users: vec![],
        };
        let f = |s: &[&str]| VolumeFilters::parse(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>()).unwrap();
        assert!(f(&["name=data", "label=k=v", "dangling=true", "anonymous=false"]).matches(&v));
        assert!(!f(&["label=k=w"]).matches(&v));
        assert!(!f(&["dangling=false"]).matches(&v));
        assert!(VolumeFilters::parse(&["dangling=maybe".into()]).is_err());
    }
}
