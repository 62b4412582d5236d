//! Update: libpod's, changing a container's resource limits and restart
//! policy, running or not. Limits reach a running container at once: its
//! scope's properties under systemd (SetUnitProperties), `runc update`
//! under cgroupfs; the record keeps them for its next start.

use super::{in_oci, Runtime};
use crate::error::{Error, Result};
use crate::events::Event;
use crate::model::container::restart::RestartPolicy;
use crate::model::container::{ContainerConfig, Resources};

/// What an Update changes; what is not given stays.
#[derive(Debug, Default)]
pub struct Update {
    /// Each limit given replaces the one kept (a new memory limit without a
    /// swap limit gets podman's default, twice it).
    pub resources: Option<Resources>,
    /// A new policy drops the old one's retries.
    pub restart_policy: Option<String>,
    pub restart_retries: Option<u32>,
}

impl Runtime {
    /// Change a container as `update` says: its ID.
    pub async fn update_container(&self, name_or_id: &str, update: Update) -> Result<String> {
        let id = self.lookup_container_id(name_or_id).await?;
        let _lock = self.locks.lock(&id).await;
        let (mut config, status) = self.load_container(&id).await?;
        if let Some(policy) = update.restart_policy.as_deref() {
            config.restart_policy = RestartPolicy::parse(policy)?;
            config.restart_retries = None;
        }
        if update.restart_retries.is_some() {
            config.restart_retries = update.restart_retries;
        }
        config.restart_policy.check_retries(config.restart_retries)?;
        if config.auto_remove && config.restart_policy != RestartPolicy::No {
            return Err(Error::invalid_argument(
                "restartPolicy",
                "an autoRemove container cannot have a restart policy",
            ));
        }
        if let Some(limits) = &update.resources {
            config.resources = merged(&config.resources, limits);
            super::create::check_resources(&config.resources)?;
            if status.state.has_processes() {
                self.apply_limits(&config).await?;
            }
        }
        self.db.write(|tx| tx.set_container_config(&config)).await?;
        self.events.emit(Event::for_container("update", &config));
        Ok(id)
    }

    /// Set a running container's limits where they are enforced.
    async fn apply_limits(&self, c: &ContainerConfig) -> Result<()> {
        if Self::uses_units(c) {
            let scope = super::units::container_scope(&c.id);
            return Ok(self.systemd().await?.set_resources(&scope, &c.resources).await?);
        }
        let limits = crate::oci::spec::resource_limits(&c.resources)?
            .build()
            .map_err(|e| Error::Runtime(format!("the limits of {}: {e}", c.id)))?;
        let json =
            serde_json::to_string(&limits).map_err(|e| Error::Runtime(format!("the limits of {}: {e}", c.id)))?;
        let (runc, id) = (self.runc_for(c), c.id.clone());
        in_oci(move || runc.update(&id, &json)).await
    }
}

/// `kept` with each limit `given` has replacing it.
fn merged(kept: &Resources, given: &Resources) -> Resources {
    let mut r = Resources {
        memory_max: given.memory_max.or(kept.memory_max),
        pids_max: given.pids_max.or(kept.pids_max),
        cpu_weight: given.cpu_weight.or(kept.cpu_weight),
        memory_swap: given.memory_swap.or(kept.memory_swap),
        nano_cpus: given.nano_cpus.or(kept.nano_cpus),
        cpuset_cpus: given.cpuset_cpus.clone().or_else(|| kept.cpuset_cpus.clone()),
    };
    if let (Some(memory), None) = (given.memory_max, given.memory_swap) {
        r.memory_swap = Some(memory.saturating_mul(2) as i64);
    }
    r
}
