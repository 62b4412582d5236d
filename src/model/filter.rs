//! Podman's `key=value` list filters, one grammar for every model: different
//! keys are ANDed, several values of one key are ORed (a model may say
//! otherwise for a key, as `label` does: all its values are required). Each
//! model names its keys once; this module splits, bounds and checks them, and
//! reads values as the types the model wants.

use crate::error::{Error, Result};
use regex::Regex;
use std::collections::BTreeMap;
use std::str::FromStr;

/// The most filters one call may give, and the longest one: a filter names
/// a few things, and each is matched against every object listed.
pub const MAX_FILTERS: usize = 64;
pub const MAX_FILTER_LEN: usize = 4096;
/// What a `name=` regex may compile to (the library allows 10 MiB): a
/// pattern over names needs a few KiB.
const REGEX_SIZE_LIMIT: usize = 256 << 10;

fn invalid(reason: String) -> Error {
    Error::invalid_argument("filters", reason)
}

/// A filter list split into pairs, every key one the model knows.
#[derive(Debug)]
pub struct FilterSet<'a> {
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> FilterSet<'a> {
    /// Split `filters`, refusing one that is not `KEY=VALUE`, a key not in
    /// `known` (named with the list, for `what` objects), or a list over the bounds.
    pub fn parse(filters: &'a [String], what: &str, known: &[&str]) -> Result<Self> {
        if filters.len() > MAX_FILTERS {
            return Err(invalid(format!("{} filters given; at most {MAX_FILTERS} are taken", filters.len())));
        }
        if let Some(long) = filters.iter().find(|f| f.len() > MAX_FILTER_LEN) {
            return Err(invalid(format!("a filter of {} bytes; at most {MAX_FILTER_LEN} are taken", long.len())));
        }
        let pairs = filters
            .iter()
            .map(|f| {
                let (key, value) = f
                    .split_once('=')
                    .filter(|(k, _)| !k.is_empty())
                    .ok_or_else(|| invalid(format!("{f:?} is not KEY=VALUE")))?;
                if !known.contains(&key) {
                    return Err(invalid(format!("unknown {what} filter {key:?}; known: {}", known.join(", "))));
                }
                Ok((key, value))
            })
            .collect::<Result<_>>()?;
        Ok(FilterSet { pairs })
    }

    /// The values given for `key`, in order.
    pub fn values(&self, key: &str) -> impl Iterator<Item = &'a str> + '_ {
        let key = key.to_owned();
        self.pairs.iter().filter(move |(k, _)| *k == key).map(|(_, v)| *v)
    }

    pub fn strings(&self, key: &str) -> Vec<String> {
        self.values(key).map(str::to_owned).collect()
    }

    pub fn labels(&self, key: &str) -> Vec<LabelFilter> {
        self.values(key).map(LabelFilter::parse).collect()
    }

    /// Each value parsed as `T`; a value that is not one is named as `expected`.
    pub fn parsed<T: FromStr>(&self, key: &str, expected: &str) -> Result<Vec<T>> {
        self.values(key).map(|v| v.parse().map_err(|_| invalid(format!("{key}={v}: expected {expected}")))).collect()
    }

    /// The last value given for a `true`/`false` key.
    pub fn flag(&self, key: &str) -> Result<Option<bool>> {
        Ok(self.parsed::<bool>(key, "true or false")?.pop())
    }

    /// Each value compiled as a regex within `REGEX_SIZE_LIMIT`.
    pub fn regexes(&self, key: &str) -> Result<Vec<Regex>> {
        self.values(key).map(|v| regex_within_limit(key, v)).collect()
    }

    /// The last value given as a point in time (see `parse_time`).
    pub fn time(&self, key: &str, now_nanos: i64) -> Result<Option<i64>> {
        self.values(key).map(|v| parse_time(key, v, now_nanos)).last().transpose()
    }
}

/// A pattern over names, compiled within `REGEX_SIZE_LIMIT`.
pub fn regex_within_limit(key: &str, value: &str) -> Result<Regex> {
    regex::RegexBuilder::new(value)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| invalid(format!("{key}={value}: {e}")))
}

/// A point in time as Podman's filters take it (see `timestamp::parse`),
/// in Unix nanoseconds.
pub fn parse_time(key: &str, value: &str, now_nanos: i64) -> Result<i64> {
    crate::timestamp::parse(value, now_nanos).ok_or_else(|| {
        invalid(format!("{key}={value}: expected Unix seconds, an RFC 3339 time or a duration like 10m"))
    })
}

/// `label=KEY` or `label=KEY=VALUE`.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelFilter {
    pub key: String,
    pub value: Option<String>,
}

impl LabelFilter {
    pub fn parse(s: &str) -> Self {
        match s.split_once('=') {
            Some((k, v)) => LabelFilter { key: k.to_string(), value: Some(v.to_string()) },
            None => LabelFilter { key: s.to_string(), value: None },
        }
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match (labels.get(&self.key), &self.value) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(v), Some(want)) => v == want,
        }
    }
}

/// True when `values` is empty (the key was not given) or one matches.
pub fn any_of<T>(values: &[T], pred: impl Fn(&T) -> bool) -> bool {
    values.is_empty() || values.iter().any(pred)
}

/// Prune filters, shared by containers, pods, volumes and images: `label`,
/// `label!` and `until` (only objects created before then).
#[derive(Debug, Default)]
pub struct PruneFilters {
    labels: Vec<LabelFilter>,
    not_labels: Vec<LabelFilter>,
    /// Unix nanoseconds.
    until: Option<i64>,
}

impl PruneFilters {
    pub const KEYS: &'static [&'static str] = &["label", "label!", "until"];

    pub fn parse(filters: &[String], now_nanos: i64) -> Result<Self> {
        let f = FilterSet::parse(filters, "prune", Self::KEYS)?;
        Ok(PruneFilters {
            labels: f.labels("label"),
            not_labels: f.labels("label!"),
            until: f.time("until", now_nanos)?,
        })
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>, created_nanos: i64) -> bool {
        self.labels.iter().all(|l| l.matches(labels))
            && !self.not_labels.iter().any(|l| l.matches(labels))
            && self.until.is_none_or(|u| created_nanos < u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn grammar() {
        let given = list(&["a=1", "b=x=y", "a=2", "c=true", "c=false"]);
        let f = FilterSet::parse(&given, "test", &["a", "b", "c"]).unwrap();
        assert_eq!(f.strings("a"), ["1", "2"]);
        assert_eq!(f.labels("b"), [LabelFilter { key: "x".into(), value: Some("y".into()) }]);
        assert_eq!(f.parsed::<i32>("a", "a number").unwrap(), [1, 2]);
        assert_eq!(f.flag("c").unwrap(), Some(false));
        assert!(f.flag("b").unwrap_err().to_string().contains("b=x=y"));
        for bad in ["nokey", "=x", "d=1"] {
            let e = FilterSet::parse(&list(&[bad]), "test", &["a"]).unwrap_err();
            assert!(matches!(&e, Error::InvalidArgument { field, .. } if field == "filters"), "{bad}: {e:?}");
        }
        let e = FilterSet::parse(&list(&["d=1"]), "pod", &["a", "b"]).unwrap_err();
        assert!(e.to_string().contains("unknown pod filter \"d\"; known: a, b"), "{e}");
    }

    #[test]
    fn prune_filters() {
        let now = 1_000 * 1_000_000_000;
        let labels: BTreeMap<String, String> = [("keep".to_string(), "no".to_string())].into();
        let p = |s: &[&str]| PruneFilters::parse(&list(s), now).unwrap();
        assert!(p(&[]).matches(&labels, now));
        assert!(p(&["label=keep=no"]).matches(&labels, now));
        assert!(!p(&["label!=keep"]).matches(&labels, now));
        assert!(p(&["until=10m"]).matches(&labels, now - 11 * 60 * 1_000_000_000));
        assert!(!p(&["until=10m"]).matches(&labels, now - 9 * 60 * 1_000_000_000));
        assert!(p(&["until=500"]).matches(&labels, 499 * 1_000_000_000));
        for bad in ["until=soon", "status=exited"] {
            assert!(PruneFilters::parse(&[bad.to_string()], now).is_err(), "{bad}");
        }
    }

    #[test]
    fn filters_are_bounded() {
        let many: Vec<String> = (0..=MAX_FILTERS).map(|i| format!("a=k{i}")).collect();
        assert!(FilterSet::parse(&many[..MAX_FILTERS], "test", &["a"]).is_ok());
        assert!(FilterSet::parse(&many, "test", &["a"]).is_err());
        assert!(FilterSet::parse(&[format!("a={}", "x".repeat(MAX_FILTER_LEN))], "test", &["a"]).is_err());
        // Short, but it would compile to far more than the limit.
        assert!(regex_within_limit("name", "\\w{1000}\\w{1000}").is_err());
        assert!(regex_within_limit("name", "^web-[0-9]+$").is_ok());
    }
}
