//! Prune: libpod's `PruneContainers`. Candidates are containers with nothing
//! running (configured, created, stopped, exited) that are not in a pod and
//! match the filters; each is removed as `remove` would (without force), and
//! every container gets a report, failures included: one failure does not stop
//! the others.

use super::remove::RemoveOptions;
use super::Runtime;
use crate::container::filter::PruneFilters;
use crate::error::Result;
use crate::events::now_nanos;

#[derive(Debug, Clone, PartialEq)]
pub struct PruneReport {
    pub id: String,
    pub size: u64,
    pub error: Option<String>,
}

impl Runtime {
    pub async fn prune_containers(&self, filters: &[String]) -> Result<Vec<PruneReport>> {
        let filters = PruneFilters::parse(filters, now_nanos())?;
        let candidates: Vec<String> = self
            .db
            .read(|tx| tx.container_summaries(false))
            .await?
            .into_iter()
            .filter(|c| c.state.can_prune() && c.pod_id.is_none() && filters.matches(&c.labels, c.created_nanos))
            .map(|c| c.id)
            .collect();
        let mut reports = Vec::with_capacity(candidates.len());
        for id in candidates {
            let result = self.remove_by_id(&id, RemoveOptions::default()).await;
            reports.push(match result {
                Ok(size) => PruneReport { id, size, error: None },
                Err(e) => PruneReport { id, size: 0, error: Some(e.to_string()) },
            });
        }
        Ok(reports)
    }
}
