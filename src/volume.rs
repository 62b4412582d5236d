//! The volume model: a named directory under the root that containers mount.

use crate::container::filter::{split_filters, LabelFilter};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeConfig {
    pub name: String,
    pub anonymous: bool,
    pub labels: BTreeMap<String, String>,
    pub created_nanos: i64,
    pub mountpoint: PathBuf,
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

fn parse_bool(key: &str, v: &str) -> Result<bool> {
    v.parse().map_err(|_| Error::invalid_argument("filters", format!("{key}={v}: expected true or false")))
}

impl VolumeFilters {
    pub fn parse(filters: &[String]) -> Result<Self> {
        let mut f = VolumeFilters::default();
        for (key, value) in split_filters(filters)? {
            match key {
                "name" => f.names.push(value.into()),
                "label" => f.labels.push(LabelFilter::parse(value)),
                "anonymous" => f.anonymous = Some(parse_bool(key, value)?),
                "dangling" => f.dangling = Some(parse_bool(key, value)?),
                other => {
                    return Err(Error::invalid_argument(
                        "filters",
                        format!("unknown volume filter {other:?}; known: name, label, anonymous, dangling"),
                    ))
                }
            }
        }
        Ok(f)
    }

    pub fn matches(&self, v: &VolumeInfo) -> bool {
        (self.names.is_empty() || self.names.contains(&v.config.name))
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
