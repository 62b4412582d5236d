//! System-wide operations: information and `system prune`.

use super::Runtime;
use crate::db::schema;
use crate::error::Result;
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

    /// Prune containers, then pods none of whose containers has processes,
    /// then volumes no container uses. Failures of single objects are logged
    /// and skipped, as prune does.
    pub async fn system_prune(&self) -> Result<SystemPruneReport> {
        let mut report = SystemPruneReport::default();
        for r in self.prune_containers(&[]).await? {
            match r.error {
                None => report.containers.push(r.id),
                Some(e) => tracing::warn!(id = r.id.as_str(), "prune: {e}"),
            }
        }
        let summaries = self.db.scan(|tx| tx.container_summaries(true)).await?;
        for pod in self.list_pods(&[]).await? {
            let busy = summaries.iter().any(|c| c.pod_id.as_deref() == Some(pod.config.id.as_str()));
            if busy {
                continue;
            }
            match self.remove_pod(&pod.config.id, true, None).await {
                Ok((id, removed)) => {
                    report.containers.extend(removed);
                    report.pods.push(id);
                }
                Err(e) => tracing::warn!(id = pod.config.id.as_str(), "prune: {e}"),
            }
        }
        for r in self.prune_volumes(&[]).await? {
            match r.error {
                None => report.volumes.push(r.name),
                Some(e) => tracing::warn!(name = r.name.as_str(), "prune: {e}"),
            }
        }
        Ok(report)
    }
}
