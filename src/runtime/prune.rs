//! Prune: libpod's `PruneContainers`. Candidates are containers with nothing
//! running (configured, created, stopped, exited) that are not in a pod and
//! match the filters; each is removed as `remove` would (without force), and
//! every container gets a report, failures included: one failure does not stop
//! the others.
//!
//! Containers the OCI runtime does not hold (all but `created`) are removed
//! together, in remove's steps but with one transaction for the lot at each
//! step: every candidate checked and marked `removing`, then the files of
//! each, then every record deleted. So pruning 1,000 costs two commits, not
//! two thousand; a crash in between leaves `removing` records that the next
//! start finishes.

use super::remove::{check_removable, delete_records, RemoveOptions};
use super::Runtime;
use crate::error::Result;
use crate::events::{now_nanos, Event, EventType};
use crate::model::container::State;
use crate::model::filter::PruneFilters;

fn report(id: String, result: Result<u64>) -> PruneReport {
    match result {
        Ok(size) => PruneReport { id, size, error: None },
        Err(e) => PruneReport { id, size: 0, error: Some(e.to_string()) },
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PruneReport {
    pub id: String,
    pub size: u64,
    pub error: Option<String>,
}

impl Runtime {
    pub async fn prune_containers(&self, filters: &[String]) -> Result<Vec<PruneReport>> {
        let filters = PruneFilters::parse(filters, now_nanos())?;
        let candidates: Vec<_> = self
            .db
            .scan(|tx| tx.container_summaries(false))
            .await?
            .into_iter()
            .filter(|c| c.state.can_prune() && c.pod_id.is_none() && filters.matches(&c.labels, c.created_nanos))
            .collect();
        let (in_runtime, records): (Vec<_>, Vec<_>) = candidates.into_iter().partition(|c| c.state.in_runtime());
        let mut reports = self.prune_records(records.into_iter().map(|c| c.id).collect()).await?;
        for c in in_runtime {
            let result = self.remove_by_id(&c.id, RemoveOptions::default()).await;
            reports.push(report(c.id, result));
        }
        Ok(reports)
    }

    /// Remove containers that are records only, a step at a time for all.
    async fn prune_records(&self, mut ids: Vec<String>) -> Result<Vec<PruneReport>> {
        ids.sort();
        let mut _locks = Vec::with_capacity(ids.len());
        for id in &ids {
            _locks.push(self.locks.lock(id).await);
        }
        // Step 1 for all: check and mark.
        let checked: Vec<(String, Result<String>)> = self
            .db
            .write(move |tx| {
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    let marked = match check_removable(tx, &id, RemoveOptions::default()) {
                        Ok(r) if r.status.state.in_runtime() => {
                            Err(r.status.state.invalid(&id, "it was started meanwhile"))
                        }
                        Ok(r) => tx.set_container_state(&id, State::Removing).map(|_| r.summary.name),
                        Err(e) => Err(e),
                    };
                    out.push((id, marked));
                }
                Ok(out)
            })
            .await?;
        crate::fault::crash_point("prune.marked");
        // Step 2 for each: its files.
        let mut reports = Vec::new();
        let mut removed = Vec::new();
        for (id, marked) in checked {
            let files = match marked {
                Ok(name) => {
                    let size = self.rw_size(&id);
                    let gone = match self.unmount_rootfs(&id, true).await {
                        Ok(()) => super::remove_tree(&self.container_dir(&id)),
                        Err(e) => Err(e),
                    };
                    gone.map(|_| (name, size))
                }
                Err(e) => Err(e),
            };
            match files {
                Ok((name, size)) => removed.push((id, name, size)),
                Err(e) => reports.push(report(id, Err(e))),
            }
        }
        crate::fault::crash_point("prune.files");
        // Step 3 for all: the records.
        let ids: Vec<String> = removed.iter().map(|(id, _, _)| id.clone()).collect();
        self.db
            .write(move |tx| {
                for id in &ids {
                    delete_records(tx, id, false)?;
                }
                Ok(())
            })
            .await?;
        for (id, name, size) in removed {
            self.events.emit(Event::new(EventType::Container, "remove", &id, &name));
            reports.push(PruneReport { id, size, error: None });
        }
        Ok(reports)
    }
}
