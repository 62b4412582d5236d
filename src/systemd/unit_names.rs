//! The names of berth's transient units, in one place: what berthd makes
//! (runtime/units.rs), what runc is told to join (oci/spec.rs), and the
//! slice a pod gets (pod.rs) must agree.

/// A container's own scope, holding its processes.
pub fn container_scope(id: &str) -> String {
    format!("berth-{id}.scope")
}

/// The scope of a container's conmon.
pub fn conmon_scope(id: &str) -> String {
    format!("berth-conmon-{id}.scope")
}

/// The timer (and its service) that run a container's health check,
/// without their suffix.
pub fn healthcheck_unit(id: &str) -> String {
    format!("berth-{id}-healthcheck")
}

/// A pod's own slice under `parent` (a slice name): systemd nests slices by
/// their names' prefixes, so `machine.slice` gives `machine-berth_pod_<id>.slice`.
pub fn pod_slice(parent: &str, id: &str) -> String {
    let prefix = parent.strip_suffix(".slice").unwrap_or(parent);
    if prefix == "-" || prefix.is_empty() {
        format!("berth_pod_{id}.slice")
    } else {
        format!("{prefix}-berth_pod_{id}.slice")
    }
}
