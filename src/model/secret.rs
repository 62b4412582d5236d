//! The secret model: a named value kept by berth (podman's file driver keeps
//! them in a file of its own; berth keeps them in its database, so a secret
//! and the containers that use it change together). A secret's value is
//! never part of what is listed, inspected or sent as an event.

use crate::error::Result;
use crate::model::filter::{any_of, FilterSet, LabelFilter};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct SecretInfo {
    /// 25 hexadecimal characters, as podman's secret IDs.
    pub id: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub created_nanos: i64,
    /// Containers that use it.
    pub users: Vec<String>,
}

/// Secret filters: name, id (prefix), label.
#[derive(Debug, Default)]
pub struct SecretFilters {
    names: Vec<String>,
    ids: Vec<String>,
    labels: Vec<LabelFilter>,
}

impl SecretFilters {
    pub const KEYS: &'static [&'static str] = &["name", "id", "label"];

    pub fn parse(filters: &[String]) -> Result<Self> {
        let f = FilterSet::parse(filters, "secret", Self::KEYS)?;
        Ok(SecretFilters { names: f.strings("name"), ids: f.strings("id"), labels: f.labels("label") })
    }

    pub fn matches(&self, s: &SecretInfo) -> bool {
        any_of(&self.names, |n| *n == s.name)
            && any_of(&self.ids, |i| s.id.starts_with(i.as_str()))
            && self.labels.iter().all(|l| l.matches(&s.labels))
    }
}

/// Secret values are bounded as podman's are (512 KiB).
pub const MAX_SECRET_BYTES: usize = 512 * 1024;
