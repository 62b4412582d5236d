//! System-wide operations: information and `system prune`.

use super::Runtime;
use crate::db::schema;
use crate::error::Result;
use crate::model::container::State;
use crate::model::filter::PruneFilters;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Info {
    pub version: &'static str,
    pub root: PathBuf,
    pub run_root: PathBuf,
    pub cgroup_manager: &'static str,
    pub default_runtime: String,
    /// Runtime name -> the binary that would run (only available ones).
    pub runtimes: BTreeMap<String, String>,
    pub database_schema: i64,
    pub containers: i64,
    pub pods: i64,
    pub volumes: i64,
}

#[derive(Debug, Clone, Default)]
pub struct SystemPruneReport {
    pub containers: Vec<String>,
    pub pods: Vec<String>,
    pub volumes: Vec<String>,
    pub images: Vec<String>,
}

impl Runtime {
    /// Ok once a change could be made now: the writing connection is free
    /// (what the watchdog asks; a wedged change holds it).
    pub async fn responsive(&self) -> Result<()> {
        self.db.write(|_| Ok(())).await
    }

    pub async fn info(&self) -> Result<Info> {
        let (containers, pods, volumes) = self.db.scan(|tx| tx.counts()).await?;
        let cfg = &self.config;
        let runtimes = cfg
            .runtimes
            .keys()
            .filter_map(|name| cfg.resolve_runtime(name).ok())
            .map(|(name, path)| (name, path.display().to_string()))
            .collect();
        Ok(Info {
            version: env!("CARGO_PKG_VERSION"),
            root: cfg.root.clone(),
            run_root: cfg.run_root.clone(),
            cgroup_manager: cfg.cgroup_manager.as_str(),
            default_runtime: cfg.default_runtime.clone(),
            runtimes,
            database_schema: schema::VERSION,
            containers,
            pods,
            volumes,
        })
    }

    /// podman's system prune: stopped containers, then exited pods, then
    /// (with `volumes`) volumes no container uses, then images without a
    /// name (with `all_images`, every unused one); `filters` apply to the
    /// containers, pods and volumes. Failures of single objects are logged
    /// and skipped, as prune does.
    pub async fn system_prune(&self, volumes: bool, all_images: bool, filters: &[String]) -> Result<SystemPruneReport> {
        let mut report = SystemPruneReport::default();
        for r in self.prune_containers(filters).await? {
            match r.error {
                None => report.containers.push(r.id),
                Some(e) => tracing::warn!(id = r.id.as_str(), "prune: {e}"),
            }
        }
        let (pods, containers) = self.prune_pods(filters).await?;
        report.pods.extend(pods);
        report.containers.extend(containers);
        if volumes {
            for r in self.prune_volumes(filters).await? {
                match r.error {
                    None => report.volumes.push(r.name),
                    Some(e) => tracing::warn!(name = r.name.as_str(), "prune: {e}"),
                }
            }
        }
        report.images = self.prune_images(all_images).await?;
        Ok(report)
    }

    /// podman's pod prune: every pod whose containers have all exited (a
    /// pod with none, or with one created or running, stays), with its
    /// containers. Returns the pods and the containers removed.
    pub async fn prune_pods(&self, filters: &[String]) -> Result<(Vec<String>, Vec<String>)> {
        let filters = PruneFilters::parse(filters, crate::events::now_nanos())?;
        let summaries = self.db.scan(|tx| tx.container_summaries(false)).await?;
        let (mut pods, mut containers) = (Vec::new(), Vec::new());
        for pod in self.list_pods(&[]).await? {
            let c = &pod.config;
            let members: Vec<_> = summaries.iter().filter(|s| s.pod_id.as_deref() == Some(c.id.as_str())).collect();
            let exited =
                !members.is_empty() && members.iter().all(|m| matches!(m.state, State::Exited | State::Stopped));
            if !exited || !filters.matches(&c.labels, c.created_nanos) {
                continue;
            }
            match self.remove_pod(&c.id, true, None).await {
                Ok((id, removed)) => {
                    containers.extend(removed);
                    pods.push(id);
                }
                Err(e) => tracing::warn!(id = c.id.as_str(), "prune: {e}"),
            }
        }
        Ok((pods, containers))
    }
}
