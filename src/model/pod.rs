//! The pod model: a named group of containers with a shared cgroup parent.

use crate::config::CgroupManager;
use crate::error::{Error, Result};
use crate::model::container::Resources;
use crate::model::filter::{any_of, FilterSet, LabelFilter};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A create request for a pod.
#[derive(Debug, Clone, Default)]
pub struct PodSpec {
    pub name: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub cgroup_parent: Option<String>,
    /// Members go under the pod's own cgroup (libpod's UsePodCgroup); default true.
    pub share_cgroup: Option<bool>,
    /// Add an infra container that holds the pod; default false.
    pub infra: bool,
    /// The infra container's name (default: `<pod ID prefix>-infra`).
    pub infra_name: Option<String>,
    /// podman's --share: namespaces of the infra container its members
    /// join (comma lists; "none"; "+pid" adds to the default).
    pub share: Option<Vec<String>>,
    /// The hostname of the pod's UTS namespace (default: the pod's name).
    pub hostname: Option<String>,
    /// "continue" (the default) or "stop": stop the infra container once
    /// the last other member has exited.
    pub exit_policy: Option<String>,
    /// What the infra container gets and its members inherit (podman's
    /// infra inheritance): volumes, those of other containers, devices;
    /// sysctls set in the namespaces the members join.
    pub volumes: Vec<crate::model::container::VolumeSpec>,
    pub volumes_from: Vec<String>,
    pub devices: Vec<String>,
    pub sysctls: BTreeMap<String, String>,
    /// The size of the /dev/shm its members share (default: berth.conf's).
    pub shm_size: Option<String>,
    /// What the infra container runs (default: busybox sleeping for ever)
    /// and the image it is made from (default: a root of busybox alone).
    pub infra_command: Option<Vec<String>>,
    pub infra_image: Option<String>,
    /// The infra container's PID and UTS namespaces (podman's --pid and
    /// --uts of a pod): private, host or ns:PATH.
    pub pid: Option<String>,
    pub uts: Option<String>,
    /// Limits of the pod's own cgroup: CPU time and CPUs.
    pub resources: Resources,
    /// The infra container's seccomp profile, which members inherit.
    pub seccomp_profile: Option<String>,
    /// The infra container's networks and published ports: the pod's,
    /// since its members are in its network namespace.
    pub network: Option<String>,
    pub networks: Vec<String>,
    pub network_aliases: Vec<String>,
    pub port_mappings: Vec<crate::model::container::PortMapping>,
    /// The infra container's address and MAC on its first network, and
    /// its /etc/hosts and resolv.conf settings, which members share.
    pub ip: Option<String>,
    pub mac_address: Option<String>,
    pub resolution: crate::model::container::resolution::NameResolution,
}

/// podman's pod exit policies.
pub const EXIT_POLICIES: &[&str] = &["continue", "stop"];

pub fn check_exit_policy(policy: &str) -> Result<()> {
    if EXIT_POLICIES.contains(&policy) {
        return Ok(());
    }
    Err(Error::invalid_argument(
        "exitPolicy",
        format!("running pod create option: invalid pod exit policy: {policy:?}"),
    ))
}

fn default_exit_policy() -> String {
    "continue".into()
}

/// The namespaces a pod's members may join: those of its infra container.
pub const NAMESPACES: &[&str] = &["cgroup", "ipc", "net", "pid", "uts"];
/// podman's default (Kubernetes'): the members are in the pod's cgroup
/// (its share-parent) rather than in the infra container's cgroup namespace.
pub const DEFAULT_SHARE: &[&str] = &["ipc", "net", "uts"];

/// podman's --share values as the namespaces shared, sorted: a list
/// replaces the default, one starting with "+" adds to it, "none" is
/// none. Shared namespaces need an infra container to hold them.
pub fn parse_share(given: Option<&[String]>, infra: bool) -> Result<Vec<String>> {
    let Some(given) = given else {
        return Ok(if infra { DEFAULT_SHARE.iter().map(|s| s.to_string()).collect() } else { Vec::new() });
    };
    let items: Vec<&str> = given.iter().flat_map(|g| g.split(',')).map(str::trim).filter(|s| !s.is_empty()).collect();
    let mut shared: Vec<String> = Vec::new();
    for item in &items {
        let (adding, name) = match item.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, *item),
        };
        if adding && shared.is_empty() {
            shared.extend(DEFAULT_SHARE.iter().map(|s| s.to_string()));
        }
        match name {
            "none" => shared.clear(),
            n if NAMESPACES.contains(&n) => shared.push(n.to_string()),
            other => {
                return Err(Error::invalid_argument(
                    "share",
                    format!(
                        "invalid kernel namespace to share: {other}. Options are: cgroup, ipc, net, pid, uts or none"
                    ),
                ))
            }
        }
    }
    shared.sort();
    shared.dedup();
    if !shared.is_empty() && !infra {
        return Err(Error::invalid_argument("share", "you must have an infra container to share namespaces"));
    }
    Ok(shared)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodConfig {
    pub id: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub cgroup_manager: CgroupManager,
    pub cgroup_parent: String,
    pub share_cgroup: bool,
    /// The pod's own cgroup (a slice under systemd) when members share it.
    pub cgroup_path: Option<String>,
    pub infra_id: Option<String>,
    pub created_nanos: i64,
    /// Namespaces of the infra container its members join.
    #[serde(default)]
    pub shared_namespaces: Vec<String>,
    /// The hostname its members see when they share its UTS namespace.
    #[serde(default)]
    pub hostname: Option<String>,
    /// continue, or stop (the infra container once no other member runs).
    #[serde(default = "default_exit_policy")]
    pub exit_policy: String,
    /// Bytes of the /dev/shm its members share (none: berth.conf's).
    #[serde(default)]
    pub shm_size: Option<u64>,
    /// Limits of its own cgroup, which its members share (podman's pod
    /// --cpus and --cpuset-cpus).
    #[serde(default, skip_serializing_if = "Resources::is_empty")]
    pub resources: Resources,
}

impl PodConfig {
    pub fn shares(&self, namespace: &str) -> bool {
        self.infra_id.is_some() && self.shared_namespaces.iter().any(|n| n == namespace)
    }
}

/// The pod's own cgroup under `parent`: a transient slice
/// `<parent prefix>-berth_pod_<id>.slice` under systemd, `<parent>/<id>` under cgroupfs.
pub fn pod_cgroup(manager: CgroupManager, parent: &str, id: &str) -> String {
    match manager {
        CgroupManager::Systemd => crate::systemd::unit_names::pod_slice(parent, id),
        CgroupManager::Cgroupfs => format!("{}/{id}", parent.trim_end_matches('/')),
    }
}

/// Check a cgroup parent against the manager, as libpod does: under systemd it
/// must be a slice, under cgroupfs it must not be.
pub fn validate_cgroup_parent(manager: CgroupManager, parent: &str) -> Result<()> {
    let base = parent.rsplit('/').next().unwrap_or(parent);
    let is_slice = base.len() > ".slice".len() && base.ends_with(".slice");
    match manager {
        CgroupManager::Systemd if !is_slice || parent.contains('/') => Err(Error::invalid_argument(
            "cgroupParent",
            format!("{parent:?} is not a systemd slice; the systemd cgroup manager needs one such as machine.slice"),
        )),
        CgroupManager::Cgroupfs if is_slice => Err(Error::invalid_argument(
            "cgroupParent",
            format!("{parent:?} is a systemd slice, but the cgroup manager is cgroupfs"),
        )),
        CgroupManager::Cgroupfs if !parent.starts_with('/') => Err(Error::invalid_argument(
            "cgroupParent",
            format!("{parent:?} must be an absolute cgroup path under cgroupfs"),
        )),
        _ => Ok(()),
    }
}

/// Pod list filters: id (prefix), name (exact), label.
#[derive(Debug, Default)]
pub struct PodFilters {
    ids: Vec<String>,
    names: Vec<String>,
    labels: Vec<LabelFilter>,
}

impl PodFilters {
    pub const KEYS: &'static [&'static str] = &["id", "name", "label"];

    pub fn parse(filters: &[String]) -> Result<Self> {
        let f = FilterSet::parse(filters, "pod", Self::KEYS)?;
        Ok(PodFilters { ids: f.strings("id"), names: f.strings("name"), labels: f.labels("label") })
    }

    pub fn matches(&self, p: &PodConfig) -> bool {
        any_of(&self.ids, |i| p.id.starts_with(i.as_str()))
            && any_of(&self.names, |n| *n == p.name)
            && self.labels.iter().all(|l| l.matches(&p.labels))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_per_manager() {
        validate_cgroup_parent(CgroupManager::Systemd, "machine.slice").unwrap();
        validate_cgroup_parent(CgroupManager::Systemd, "my-app.slice").unwrap();
        for bad in ["/berth", ".slice", "machine", "a/b.slice"] {
            assert!(validate_cgroup_parent(CgroupManager::Systemd, bad).is_err(), "{bad}");
        }
        validate_cgroup_parent(CgroupManager::Cgroupfs, "/berth_parent").unwrap();
        for bad in ["machine.slice", "/x/machine.slice", "relative"] {
            assert!(validate_cgroup_parent(CgroupManager::Cgroupfs, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shared_namespaces_as_podman_reads_share() {
        let s = |v: &[&str], infra| parse_share(Some(&v.iter().map(|x| x.to_string()).collect::<Vec<_>>()), infra);
        assert_eq!(parse_share(None, true).unwrap(), DEFAULT_SHARE);
        assert!(parse_share(None, false).unwrap().is_empty());
        assert_eq!(s(&["ipc"], true).unwrap(), ["ipc"]);
        assert_eq!(s(&["+pid"], true).unwrap(), ["ipc", "net", "pid", "uts"]);
        assert_eq!(s(&["net,uts"], true).unwrap(), ["net", "uts"]);
        assert!(s(&["none"], false).unwrap().is_empty());
        let e = s(&["bogus"], true).unwrap_err().to_string();
        assert!(e.contains("invalid kernel namespace to share: bogus. Options are"), "{e}");
        assert!(s(&["ipc"], false).is_err());
    }

    #[test]
    fn pod_cgroups() {
        assert_eq!(pod_cgroup(CgroupManager::Systemd, "machine.slice", "ab"), "machine-berth_pod_ab.slice");
        assert_eq!(pod_cgroup(CgroupManager::Systemd, "-.slice", "ab"), "berth_pod_ab.slice");
        assert_eq!(pod_cgroup(CgroupManager::Cgroupfs, "/berth_parent/", "ab"), "/berth_parent/ab");
        // A systemd pod cgroup is itself a valid parent for members.
        validate_cgroup_parent(CgroupManager::Systemd, &pod_cgroup(CgroupManager::Systemd, "machine.slice", "ab"))
            .unwrap();
    }
}
