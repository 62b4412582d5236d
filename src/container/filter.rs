//! Podman's `key=value` list filters. Different keys are ANDed, several values of
//! one key are ORed, except `label`, whose values are all required.

use super::{State, Summary};
use crate::error::{Error, Result};
use regex::Regex;
use std::collections::{BTreeMap, HashMap};

/// `label=KEY` or `label=KEY=VALUE`.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelFilter {
    key: String,
    value: Option<String>,
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

/// The most filters one call may give, and the longest one: a filter names
/// a few things, and each is matched against every container listed.
pub const MAX_FILTERS: usize = 64;
pub const MAX_FILTER_LEN: usize = 4096;
/// What a `name=` regex may compile to (the library allows 10 MiB): a
/// pattern over names needs a few KiB.
const REGEX_SIZE_LIMIT: usize = 256 << 10;

/// A `name=` pattern, compiled within `REGEX_SIZE_LIMIT`.
pub fn name_regex(value: &str) -> Result<Regex> {
    regex::RegexBuilder::new(value)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| Error::invalid_argument("filters", format!("name={value}: {e}")))
}

/// Split `key=value` filters into (key, value) pairs, naming a malformed one.
pub fn split_filters(filters: &[String]) -> Result<Vec<(&str, &str)>> {
    if filters.len() > MAX_FILTERS {
        return Err(Error::invalid_argument(
            "filters",
            format!("{} filters given; at most {MAX_FILTERS} are taken", filters.len()),
        ));
    }
    if let Some(long) = filters.iter().find(|f| f.len() > MAX_FILTER_LEN) {
        return Err(Error::invalid_argument(
            "filters",
            format!("a filter of {} bytes; at most {MAX_FILTER_LEN} are taken", long.len()),
        ));
    }
    filters
        .iter()
        .map(|f| {
            f.split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| Error::invalid_argument("filters", format!("{f:?} is not KEY=VALUE")))
        })
        .collect()
}

fn unknown_key(key: &str, known: &str) -> Error {
    Error::invalid_argument("filters", format!("unknown filter {key:?}; known: {known}"))
}

/// A parsed container filter set.
#[derive(Debug, Default)]
pub struct ContainerFilters {
    ids: Vec<String>,
    names: Vec<Regex>,
    labels: Vec<LabelFilter>,
    not_labels: Vec<LabelFilter>,
    statuses: Vec<String>,
    pods: Vec<String>,
    ancestors: Vec<String>,
    exited: Vec<i32>,
    /// Containers named here must be resolved by the caller (see `Resolved`).
    pub before: Vec<String>,
    pub since: Vec<String>,
    pub volumes: Vec<String>,
}

/// What matching needs from the catalogue beyond a summary.
#[derive(Debug, Default)]
pub struct Resolved {
    /// Created times (Unix nanoseconds) of the `before` and `since` containers.
    pub before: Vec<i64>,
    pub since: Vec<i64>,
    /// Container ID -> (volume name, destination), loaded only for `volume`.
    pub volumes: HashMap<String, Vec<(String, String)>>,
}

const STATUSES: &[&str] = &["created", "running", "paused", "stopping", "stopped", "exited", "removing"];

impl ContainerFilters {
    pub fn parse(filters: &[String]) -> Result<Self> {
        let mut f = ContainerFilters::default();
        for (key, value) in split_filters(filters)? {
            match key {
                "id" => f.ids.push(value.to_string()),
                "name" => f.names.push(name_regex(value)?),
                "label" => f.labels.push(LabelFilter::parse(value)),
                "label!" => f.not_labels.push(LabelFilter::parse(value)),
                "status" => {
                    let s = if value == "configured" { "created" } else { value };
                    if !STATUSES.contains(&s) {
                        return Err(Error::invalid_argument(
                            "filters",
                            format!("{value:?} is not a valid status; use one of {}", STATUSES.join(", ")),
                        ));
                    }
                    f.statuses.push(s.to_string());
                }
                "pod" => f.pods.push(value.to_string()),
                "ancestor" => f.ancestors.push(value.to_string()),
                "exited" => f.exited.push(
                    value
                        .parse()
                        .map_err(|_| Error::invalid_argument("filters", format!("exited={value}: not an exit code")))?,
                ),
                "before" => f.before.push(value.to_string()),
                "since" => f.since.push(value.to_string()),
                "volume" => f.volumes.push(value.to_string()),
                other => {
                    return Err(unknown_key(
                        other,
                        "id, name, label, label!, status, pod, ancestor, exited, before, since, volume",
                    ))
                }
            }
        }
        Ok(f)
    }

    /// A required label (key, value) that an index can narrow the search by.
    pub fn indexed_label(&self) -> Option<(&str, Option<&str>)> {
        self.labels.first().map(|l| (l.key.as_str(), l.value.as_deref()))
    }

    pub fn matches(&self, c: &Summary, r: &Resolved) -> bool {
        fn any<T>(values: &[T], pred: impl Fn(&T) -> bool) -> bool {
            values.is_empty() || values.iter().any(pred)
        }
        any(&self.ids, |id| c.id.starts_with(id.as_str()))
            && any(&self.names, |re| re.is_match(&c.name))
            && self.labels.iter().all(|l| l.matches(&c.labels))
            && !self.not_labels.iter().any(|l| l.matches(&c.labels))
            && any(&self.statuses, |s| s == c.state.status_word())
            && any(&self.pods, |p| {
                c.pod_name.as_deref() == Some(p.as_str())
                    || c.pod_id.as_deref().is_some_and(|id| id.starts_with(p.as_str()))
            })
            && any(&self.ancestors, |a| !c.image.is_empty() && (c.image == *a || c.image.starts_with(a.as_str())))
            && any(&self.exited, |code| c.state == State::Exited && c.exit_code == Some(*code))
            && any(&r.before, |t| c.created_nanos < *t)
            && any(&r.since, |t| c.created_nanos > *t)
            && any(&self.volumes, |v| {
                r.volumes.get(&c.id).is_some_and(|vols| vols.iter().any(|(name, dest)| name == v || dest == v))
            })
    }
}

/// Prune filters: `label`, `label!` and `until` (Unix seconds, or a duration
/// such as `90s`, `10m`, `24h` meaning that long ago).
#[derive(Debug, Default)]
pub struct PruneFilters {
    labels: Vec<LabelFilter>,
    not_labels: Vec<LabelFilter>,
    /// Unix nanoseconds: only containers created before this.
    until: Option<i64>,
}

impl PruneFilters {
    pub fn parse(filters: &[String], now_nanos: i64) -> Result<Self> {
        let mut f = PruneFilters::default();
        for (key, value) in split_filters(filters)? {
            match key {
                "label" => f.labels.push(LabelFilter::parse(value)),
                "label!" => f.not_labels.push(LabelFilter::parse(value)),
                "until" => f.until = Some(parse_until(value, now_nanos)?),
                other => return Err(unknown_key(other, "label, label!, until")),
            }
        }
        Ok(f)
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>, created_nanos: i64) -> bool {
        self.labels.iter().all(|l| l.matches(labels))
            && !self.not_labels.iter().any(|l| l.matches(labels))
            && self.until.is_none_or(|u| created_nanos < u)
    }
}

/// A point in time as Podman's filters take it: Unix seconds, or a duration
/// such as `90s`, `10m`, `24h` meaning that long before `now_nanos`.
pub fn parse_until(value: &str, now_nanos: i64) -> Result<i64> {
    const NANOS: i64 = 1_000_000_000;
    if let Ok(secs) = value.parse::<i64>() {
        return Ok(secs.saturating_mul(NANOS));
    }
    let (num, unit) = value.split_at(value.find(|c: char| !c.is_ascii_digit()).unwrap_or(value.len()));
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => 0,
    };
    match num.parse::<i64>() {
        Ok(n) if scale > 0 => Ok(now_nanos - n.saturating_mul(scale).saturating_mul(NANOS)),
        _ => Err(Error::invalid_argument(
            "filters",
            format!("until={value}: expected Unix seconds or a duration like 10m"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(id: &str, name: &str, labels: &[(&str, &str)], state: State, created: i64) -> Summary {
        Summary {
            id: id.into(),
            name: name.into(),
            image: String::new(),
            command: vec![],
            state,
            created_nanos: created,
            exit_code: (state == State::Exited).then_some(3),
            pod_id: None,
            pod_name: None,
            labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            is_infra: false,
        }
    }

    fn f(list: &[&str]) -> ContainerFilters {
        ContainerFilters::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn keys_and_values() {
        let a = summary("aaaa", "web-1", &[("app", "web"), ("tier", "front")], State::Configured, 10);
        let b = summary("abbb", "db", &[("app", "db")], State::Exited, 20);
        let r = Resolved::default();
        let names = |fl: &ContainerFilters| -> Vec<&str> {
            [&a, &b].into_iter().filter(|c| fl.matches(c, &r)).map(|c| c.name.as_str()).collect()
        };
        assert_eq!(names(&f(&["id=a"])), ["web-1", "db"]);
        assert_eq!(names(&f(&["id=aa"])), ["web-1"]);
        assert_eq!(names(&f(&["name=^web"])), ["web-1"]);
        // values of one key are ORed
        assert_eq!(names(&f(&["name=^web", "name=^db$"])), ["web-1", "db"]);
        // different keys are ANDed
        assert_eq!(names(&f(&["id=a", "status=exited"])), ["db"]);
        // label values are all required
        assert_eq!(names(&f(&["label=app", "label=tier=front"])), ["web-1"]);
        assert_eq!(names(&f(&["label=app=web", "label=app=db"])), Vec::<&str>::new());
        assert_eq!(names(&f(&["label!=tier"])), ["db"]);
        assert_eq!(names(&f(&["status=created"])), ["web-1"]);
        assert_eq!(names(&f(&["status=configured"])), ["web-1"]);
        assert_eq!(names(&f(&["exited=3"])), ["db"]);
        assert_eq!(names(&f(&["exited=4"])), Vec::<&str>::new());
        let before = Resolved { before: vec![15], ..Default::default() };
        assert!(f(&["before=x"]).matches(&a, &before) && !f(&["before=x"]).matches(&b, &before));
        let since = Resolved { since: vec![15], ..Default::default() };
        assert!(!f(&["since=x"]).matches(&a, &since) && f(&["since=x"]).matches(&b, &since));
        let vols = Resolved {
            volumes: HashMap::from([("abbb".to_string(), vec![("data".to_string(), "/var/lib/db".to_string())])]),
            ..Default::default()
        };
        assert_eq!([&a, &b].iter().filter(|c| f(&["volume=data"]).matches(c, &vols)).count(), 1);
        assert!(f(&["volume=/var/lib/db"]).matches(&b, &vols));
    }

    #[test]
    fn prune_filters() {
        let now = 1_000 * 1_000_000_000;
        let labels: BTreeMap<String, String> = [("keep".to_string(), "no".to_string())].into();
        let p = |s: &[&str]| PruneFilters::parse(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>(), now).unwrap();
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
    fn bad_filters_are_named() {
        for bad in ["status=sleeping", "bogus=1", "nokey", "=x", "exited=x", "name=("] {
            match ContainerFilters::parse(&[bad.to_string()]) {
                Err(Error::InvalidArgument { field, reason }) => {
                    assert_eq!(field, "filters");
                    assert!(!reason.is_empty());
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn filters_are_bounded() {
        let many: Vec<String> = (0..=MAX_FILTERS).map(|i| format!("label=k{i}")).collect();
        assert!(ContainerFilters::parse(&many[..MAX_FILTERS]).is_ok());
        let refused = |f: &[String]| matches!(ContainerFilters::parse(f), Err(Error::InvalidArgument { .. }));
        assert!(refused(&many));
        assert!(refused(&[format!("name={}", "a".repeat(MAX_FILTER_LEN))]));
        // Short, but it would compile to far more than the limit.
        assert!(refused(&["name=\\w{1000}\\w{1000}".to_string()]));
        assert!(ContainerFilters::parse(&["name=^web-[0-9]+$".to_string()]).is_ok());
    }
}
