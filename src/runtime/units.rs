//! The systemd units that hold a container under the systemd cgroup manager:
//! `berth-<id>.scope` (the container's processes, delegated),
//! `berth-conmon-<id>.scope` (its conmon), both in the container's slice, and
//! `machine-berth_pod_<id>.slice` for a pod with a cgroup of its own. berthd
//! makes them with StartTransientUnit and waits for each job; they collect
//! themselves when they end (CollectMode=inactive-or-failed), and berthd stops
//! whatever is left when a container exits or is removed.

use super::Runtime;
use crate::config::CgroupManager;
use crate::error::{Error, Result};
use crate::model::container::ContainerConfig;
use crate::model::pod::PodConfig;
use crate::systemd::machined::Machine;
use crate::systemd::manager::{Scope, Systemd};
use std::sync::Arc;

pub use crate::systemd::unit_names::{conmon_scope, container_scope, healthcheck_unit};

/// The slice a container's scopes go into.
fn container_slice(c: &ContainerConfig) -> &str {
    c.cgroup_parent.as_deref().unwrap_or("machine.slice")
}

/// The scope of a container's conmon, which is put there (with everything it
/// will fork: runc, the container's init) before it may create the container.
pub fn conmon_scope_of(c: &ContainerConfig, conmon_pid: u32) -> Scope<'_> {
    Scope {
        unit: conmon_scope(&c.id),
        slice: container_slice(c),
        description: format!("berth conmon of container {} ({})", c.name, c.id),
        pids: vec![conmon_pid],
        delegate: false,
        resources: None,
        stop: None,
    }
}

/// The container's own scope: delegated, with its resources.
fn container_scope_of(c: &ContainerConfig, pid: u32) -> Scope<'_> {
    Scope {
        unit: container_scope(&c.id),
        slice: container_slice(c),
        description: format!("berth container {} ({})", c.name, c.id),
        pids: vec![pid],
        delegate: true,
        resources: Some(&c.resources),
        stop: Some((c.stop_signal, c.stop_timeout)),
    }
}

/// A pod's slice, when it has one that systemd holds.
fn pod_slice(pod: &PodConfig) -> Option<&str> {
    pod.cgroup_path.as_deref().filter(|_| pod.cgroup_manager == CgroupManager::Systemd)
}

impl Runtime {
    /// Whether this container's processes live in systemd units.
    pub(super) fn uses_units(c: &ContainerConfig) -> bool {
        c.cgroup_manager == CgroupManager::Systemd && !c.no_cgroups
    }

    /// The system bus connection, made on first use.
    pub(super) async fn systemd(&self) -> Result<Arc<Systemd>> {
        self.systemd.get_or_try_init(|| async { Ok(Arc::new(Systemd::connect().await?)) }).await.cloned()
    }

    /// Put the container's init process (created, not yet started) into its scope.
    pub(super) async fn start_container_scope(&self, c: &ContainerConfig, pid: i32) -> Result<()> {
        Ok(self.systemd().await?.start_scope(container_scope_of(c, pid as u32)).await?)
    }

    /// Make the running container a machine of machined's (unless
    /// berth.conf says not to). Only logged when it fails: machinectl's
    /// view is a convenience, not a condition for running.
    pub(super) async fn register_machine(&self, c: &ContainerConfig, pid: i32) {
        use std::sync::atomic::Ordering;
        if !self.config.machined || !Self::uses_units(c) || self.machined_missing.load(Ordering::Relaxed) {
            return;
        }
        let Ok(systemd) = self.systemd().await else { return };
        let root = self.rootfs_path(c);
        let machine = Machine {
            name: Machine::name_for(&c.name, &c.id),
            id: Machine::id_for(&c.id),
            leader: pid as u32,
            root: &root,
        };
        match systemd.register_machine(&machine).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!("systemd-machined is not installed: containers are not registered as machines");
                self.machined_missing.store(true, Ordering::Relaxed);
            }
            Err(e) => tracing::warn!(id = c.id.as_str(), "{e}"),
        }
    }

    /// Stop what is left of a container's units; failures are only logged
    /// (the units collect themselves once empty).
    pub(super) async fn release_units(&self, c: &ContainerConfig) {
        if Self::uses_units(c) {
            self.release_units_of(&c.id).await;
        }
    }

    /// The same by ID, when only that is known (a removal being finished).
    pub(super) async fn release_units_of(&self, id: &str) {
        if self.config.cgroup_manager != CgroupManager::Systemd {
            return;
        }
        let Ok(systemd) = self.systemd().await else { return };
        let health = healthcheck_unit(id);
        for unit in [container_scope(id), conmon_scope(id), format!("{health}.timer"), format!("{health}.service")] {
            if let Err(e) = systemd.stop(&unit).await {
                tracing::warn!(unit = unit.as_str(), "stopping: {e}");
            }
        }
    }

    /// Make the pod's own cgroup, with its limits: a slice under systemd,
    /// a directory of berth's under cgroupfs (only when it has limits; else
    /// the runtime makes it with the first member's).
    pub(super) async fn start_pod_slice(&self, pod: &PodConfig) -> Result<()> {
        match (pod_slice(pod), &pod.cgroup_path) {
            (Some(slice), _) => {
                let description = format!("berth pod {} ({})", pod.name, pod.id);
                Ok(self.systemd().await?.start_slice(slice, description, &pod.resources).await?)
            }
            (None, Some(path)) => {
                let (path, resources) = (path.clone(), pod.resources.clone());
                super::blocking(move || {
                    crate::oci::cgroupfs::make_pod_cgroup(&path, &resources)
                        .map_err(|e| Error::Runtime(format!("the pod's cgroup: {e}")))
                })
                .await
            }
            (None, None) => Ok(()),
        }
    }

    pub(super) async fn stop_pod_slice(&self, pod: &PodConfig) -> Result<()> {
        match (pod_slice(pod), &pod.cgroup_path) {
            (Some(slice), _) => Ok(self.systemd().await?.stop(slice).await?),
            (None, Some(path)) => {
                let path = path.clone();
                super::blocking(move || {
                    crate::oci::cgroupfs::remove_pod_cgroup(&path);
                    Ok(())
                })
                .await
            }
            (None, None) => Ok(()),
        }
    }
}
