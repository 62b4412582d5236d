//! Container list filters, in the grammar of `model::filter`, with
//! podman's meanings (pkg/domain/filters/containers.go): an all-hex `id` is
//! a prefix (any case), anything else a regex; `status` speaks of created
//! and exited where libpod says configured and stopped; `ancestor` is an
//! image name (`name` alone meaning `name:latest`), an image ID prefix, or
//! a pattern over the whole name.

use super::{State, Summary};
use crate::error::{Error, Result};
use crate::model::filter::{any_of, regex_within_limit, FilterSet, LabelFilter};
use regex::Regex;
use std::collections::HashMap;

/// A parsed container filter set.
#[derive(Debug, Default)]
pub struct ContainerFilters {
    ids: Vec<IdFilter>,
    names: Vec<Regex>,
    labels: Vec<LabelFilter>,
    not_labels: Vec<LabelFilter>,
    statuses: Vec<String>,
    pods: Vec<String>,
    ancestors: Vec<Ancestor>,
    exited: Vec<i32>,
    /// starting, healthy, unhealthy, or none (no status: no check, or
    /// none started yet).
    health: Vec<String>,
    /// Patterns over the command's first word.
    commands: Vec<Regex>,
    /// Unix nanoseconds: only containers created before then.
    until: Option<i64>,
    /// Containers named here must be resolved by the caller (see `Resolved`).
    pub before: Vec<String>,
    pub since: Vec<String>,
    pub volumes: Vec<String>,
    /// `network=NAME` or `network=container:REF` (those that joined REF's).
    pub networks: Vec<String>,
}

/// What matching needs from the catalogue beyond a summary.
#[derive(Debug, Default)]
pub struct Resolved {
    /// Created times (Unix nanoseconds) of the `before` and `since` containers.
    pub before: Vec<i64>,
    pub since: Vec<i64>,
    /// Container ID -> (volume name or bind source, destination), loaded
    /// only for `volume`.
    pub volumes: HashMap<String, Vec<(String, String)>>,
    /// For `network=container:REF`: REF -> the ID it names, and container
    /// ID -> the container whose namespace it joined.
    pub network_targets: HashMap<String, String>,
    pub joiners: HashMap<String, String>,
}

const HEALTH_STATUSES: &[&str] = &["starting", "healthy", "unhealthy", "none"];

const STATUSES: &[&str] = &["created", "running", "paused", "stopping", "stopped", "exited", "removing"];

/// `id=`: a prefix when all hex (podman lowers it), else a pattern.
#[derive(Debug)]
enum IdFilter {
    Prefix(String),
    Pattern(Regex),
}

impl IdFilter {
    fn parse(value: &str) -> Result<IdFilter> {
        if value.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(IdFilter::Prefix(value.to_ascii_lowercase()))
        } else {
            regex_within_limit("id", value).map(IdFilter::Pattern)
        }
    }

    fn matches(&self, id: &str) -> bool {
        match self {
            IdFilter::Prefix(p) => id.starts_with(p.as_str()),
            IdFilter::Pattern(re) => re.is_match(id),
        }
    }
}

/// `ancestor=`: what a container's image must be.
#[derive(Debug)]
struct Ancestor {
    value: String,
    /// The value as a pattern over the whole image name, when it is one.
    whole: Option<Regex>,
}

impl Ancestor {
    fn parse(value: &str) -> Ancestor {
        let whole = regex_within_limit("ancestor", &format!("^(?:{value})$")).ok();
        Ancestor { value: value.to_string(), whole }
    }

    fn matches(&self, c: &Summary) -> bool {
        let v = self.value.as_str();
        let hex = !v.is_empty() && v.bytes().all(|b| b.is_ascii_hexdigit());
        (!c.image.is_empty()
            && (c.image == v
                || c.image.strip_suffix(":latest") == Some(v)
                || self.whole.as_ref().is_some_and(|re| re.is_match(&c.image))))
            || (hex && c.image_id.as_deref().is_some_and(|id| id.starts_with(v)))
    }
}

/// The word a status filter compares: podman's, not libpod's.
fn status_word(state: State) -> &'static str {
    match state {
        State::Stopped => "exited",
        other => other.status_word(),
    }
}

impl ContainerFilters {
    pub const KEYS: &'static [&'static str] = &[
        "id", "name", "label", "label!", "status", "pod", "ancestor", "exited", "before", "since", "volume", "until",
        "command", "network", "health",
    ];

    /// `now_nanos` is what `until=10m` counts back from.
    pub fn parse(filters: &[String], now_nanos: i64) -> Result<Self> {
        let f = FilterSet::parse(filters, "container", Self::KEYS)?;
        let statuses = f
            .values("status")
            .map(|value| {
                let s = match value {
                    "configured" => "created",
                    "stopped" => "exited",
                    other => other,
                };
                STATUSES.iter().find(|known| **known == s).map(|s| s.to_string()).ok_or_else(|| {
                    Error::invalid_argument(
                        "filters",
                        format!("{value:?} is not a valid status; use one of {}", STATUSES.join(", ")),
                    )
                })
            })
            .collect::<Result<_>>()?;
        let health = f
            .values("health")
            .map(|value| match HEALTH_STATUSES.contains(&value) {
                true => Ok(value.to_string()),
                false => Err(Error::invalid_argument(
                    "filters",
                    format!("{value:?} is not a valid health status; use one of {}", HEALTH_STATUSES.join(", ")),
                )),
            })
            .collect::<Result<_>>()?;
        Ok(ContainerFilters {
            health,
            ids: f.values("id").map(IdFilter::parse).collect::<Result<_>>()?,
            names: f.regexes("name")?,
            labels: f.labels("label"),
            not_labels: f.labels("label!"),
            statuses,
            pods: f.strings("pod"),
            ancestors: f.values("ancestor").map(Ancestor::parse).collect(),
            exited: f.parsed("exited", "an exit code")?,
            commands: f.regexes("command")?,
            until: f.time("until", now_nanos)?,
            before: f.strings("before"),
            since: f.strings("since"),
            volumes: f.strings("volume"),
            networks: f.strings("network"),
        })
    }

    /// A status filter lists every container, not only running ones, as
    /// podman's ps does.
    pub fn implies_all(&self) -> bool {
        !self.statuses.is_empty()
    }

    /// A required label (key, value) that an index can narrow the search by.
    pub fn indexed_label(&self) -> Option<(&str, Option<&str>)> {
        self.labels.first().map(|l| (l.key.as_str(), l.value.as_deref()))
    }

    pub fn matches(&self, c: &Summary, r: &Resolved) -> bool {
        any_of(&self.ids, |id| id.matches(&c.id))
            && any_of(&self.names, |re| re.is_match(&c.name))
            && self.labels.iter().all(|l| l.matches(&c.labels))
            && !self.not_labels.iter().any(|l| l.matches(&c.labels))
            && any_of(&self.statuses, |s| s == status_word(c.state))
            && any_of(&self.health, |h| c.health.as_deref().unwrap_or("none") == h)
            && any_of(&self.pods, |p| {
                c.pod_name.as_deref() == Some(p.as_str())
                    || c.pod_id.as_deref().is_some_and(|id| id.starts_with(p.as_str()))
            })
            && any_of(&self.ancestors, |a| a.matches(c))
            && any_of(&self.commands, |re| c.command.first().is_some_and(|first| re.is_match(first)))
            && self.until.is_none_or(|u| c.created_nanos < u)
            && any_of(&self.exited, |code| {
                matches!(c.state, State::Exited | State::Stopped) && c.exit_code == Some(*code)
            })
            && any_of(&r.before, |t| c.created_nanos < *t)
            && any_of(&r.since, |t| c.created_nanos > *t)
            && any_of(&self.networks, |n| match n.strip_prefix("container:") {
                Some(target) => r.network_targets.get(target).is_some_and(|t| r.joiners.get(&c.id) == Some(t)),
                None => c.networks.contains(n),
            })
            && any_of(&self.volumes, |v| {
                // NAME or SOURCE, a destination, or SOURCE:DESTINATION.
                let matches = |(name, dest): &(String, String)| match v.split_once(':') {
                    Some((source, destination)) => name == source && dest == destination,
                    None => name == v || dest == v,
                };
                r.volumes.get(&c.id).is_some_and(|vols| vols.iter().any(matches))
            })
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
            image_id: None,
            started_nanos: None,
            finished_nanos: None,
            ports: Vec::new(),
            networks: Vec::new(),
            health: None,
        }
    }

    fn f(list: &[&str]) -> ContainerFilters {
        ContainerFilters::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>(), 0).unwrap()
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
        let checked = Summary { health: Some("healthy".into()), ..a.clone() };
        assert!(f(&["health=healthy"]).matches(&checked, &r) && !f(&["health=healthy"]).matches(&a, &r));
        assert!(f(&["health=none"]).matches(&a, &r) && !f(&["health=unhealthy", "health=none"]).matches(&checked, &r));
        let bad = ContainerFilters::parse(&["health=fine".to_string()], 0).unwrap_err().to_string();
        assert!(bad.contains("\"fine\" is not a valid health status"), "{bad}");
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
    fn bad_filters_are_named() {
        for bad in ["status=sleeping", "bogus=1", "nokey", "=x", "exited=x", "name=("] {
            match ContainerFilters::parse(&[bad.to_string()], 0) {
                Err(Error::InvalidArgument { field, reason }) => {
                    assert_eq!(field, "filters");
                    assert!(!reason.is_empty());
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
