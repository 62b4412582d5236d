//! List: libpod's `GetContainers`/`GetAllContainers`/`GetLatestContainer` with
//! Podman's ps filters.

use super::Runtime;
use crate::db::Kind;
use crate::error::Result;
use crate::model::container::filter::{ContainerFilters, Resolved};
use crate::model::container::Summary;

impl Runtime {
    /// Containers oldest first: only those with processes unless `all`; with
    /// `latest`, only the newest of those that match.
    pub async fn list_containers(&self, all: bool, filters: &[String], latest: bool) -> Result<Vec<Summary>> {
        let filters = ContainerFilters::parse(filters, crate::events::now_nanos())?;
        self.db
            .scan(move |tx| {
                let mut resolved = Resolved::default();
                for (refs, times) in [(&filters.before, &mut resolved.before), (&filters.since, &mut resolved.since)] {
                    for r in refs {
                        let id = tx.resolve(Kind::Container, r)?;
                        times.push(tx.container_created(&id)?);
                    }
                }
                if !filters.volumes.is_empty() {
                    resolved.volumes = tx.all_container_volumes()?;
                    for (id, binds) in tx.all_container_binds()? {
                        resolved.volumes.entry(id).or_default().extend(binds);
                    }
                }
                for target in filters.networks.iter().filter_map(|n| n.strip_prefix("container:")) {
                    let id = tx.resolve(Kind::Container, target)?;
                    resolved.network_targets.insert(target.to_string(), id);
                }
                if !resolved.network_targets.is_empty() {
                    resolved.joiners = tx.network_joiners()?;
                }
                let mut networks = tx.all_container_networks()?;
                let pod_ports = tx.pod_ports()?;
                let running_only = !all && !latest && !filters.implies_all();
                let candidates = match filters.indexed_label() {
                    Some((key, value)) => tx.container_summaries_labelled(key, value, running_only)?,
                    None => tx.container_summaries(running_only)?,
                };
                let mut list: Vec<Summary> = candidates
                    .into_iter()
                    .map(|mut c| {
                        c.networks = networks.remove(&c.id).unwrap_or_default();
                        if let Some(ports) =
                            c.pod_id.as_ref().filter(|_| c.ports.is_empty()).and_then(|p| pod_ports.get(p))
                        {
                            c.ports = ports.clone();
                        }
                        c
                    })
                    .filter(|c| filters.matches(c, &resolved))
                    .collect();
                if latest {
                    list = list.pop().into_iter().collect();
                }
                Ok(list)
            })
            .await
    }
}
