//! Remove: libpod's `RemoveContainer`/`removeContainer`.
//!
//! Steps, in order:
//! 1. Under the container's lock, in one transaction: refuse an infra
//!    container (unless its pod is being removed), a running or paused one
//!    without force, one that others depend on, and one with exec sessions
//!    without force; record the intent by setting the state `removing`. One
//!    that has processes (forced, or only created) is first stopped, outside
//!    the transaction (stop signal then SIGKILL; a paused one is killed and
//!    thawed), and checked again.
//! 2. End and delete what its runs left (conmon, runtime state, exit file:
//!    see leftovers.rs), unmount its root, stop its units, delete the
//!    container's directory. If
//!    that fails the record stays `removing` and the error is returned;
//!    removing again (or the next start) finishes the job.
//! 3. In one transaction: delete the record (its volume links, dependencies and
//!    exec sessions go with it) and, when asked, its anonymous volumes that no
//!    other container uses. Named volumes are never removed here.
//! 4. Delete the removed volumes' directories and emit the events.
//!
//! A container that was never initialized nor mounted has nothing on the
//! machine but, at most, its directory (made when something is first put
//! there: see create.rs), and the start-up repair deletes a container
//! directory without a record; so its record goes in step 1's transaction
//! (one durable commit, not two) and its directory, if any, after.

use super::Runtime;
use crate::db::{ContainerRecord, Tx};
use crate::error::{Error, Result};
use crate::events::{Event, EventType};
use crate::model::container::State;

/// What step 1's transaction found and did.
enum Step {
    /// The container has processes: stop it (with its configuration), then check again.
    Stop(Box<crate::model::container::ContainerConfig>),
    /// Marked `removing`: steps 2 to 4 follow, then its `remove` event.
    Marked(Box<Event>),
    /// Never initialized nor mounted: its records are deleted already, with these volumes.
    Deleted(Box<Event>, Vec<String>),
}

/// How a caller asks for a removal (libpod's RemoveContainer options).
#[derive(Debug, Clone, Copy, Default)]
pub struct Removal {
    /// Stop a running or paused container first.
    pub force: bool,
    /// Also remove its anonymous volumes no other container uses.
    pub volumes: bool,
    /// Seconds to wait after the stop signal (default: its stop timeout).
    pub timeout: Option<u32>,
    /// First remove every container that depends on it, recursively.
    pub depend: bool,
}

/// How a removal was asked for, within the runtime.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct RemoveOptions {
    pub force: bool,
    pub volumes: bool,
    pub timeout: Option<u32>,
    /// The container's pod is being removed, so its infra container may go.
    pub with_pod: bool,
}

impl Runtime {
    /// Remove a container; returns the IDs removed: with `depend`, its
    /// dependents first (those of a dependent before it), then itself. An
    /// infra container's dependents are its pod's members, so with
    /// `depend` its pod goes, as podman's `rm --depend` takes it.
    pub async fn remove_container(&self, name_or_id: &str, how: Removal) -> Result<Vec<String>> {
        let id = self.lookup_container_id(name_or_id).await?;
        if how.depend {
            let infra_of = self.db.read(|tx| Ok(tx.container(&id)?.filter(|r| r.summary.is_infra))).await?;
            if let Some(pod) = infra_of.and_then(|r| r.summary.pod_id) {
                return Ok(self.remove_pod(&pod, how.force, how.timeout).await?.1);
            }
        }
        let opts = RemoveOptions { force: how.force, volumes: how.volumes, timeout: how.timeout, with_pod: false };
        let order = if how.depend { self.removal_order(&id).await? } else { vec![id] };
        for id in &order {
            match self.remove_by_id(id, opts).await {
                // A dependent that went meanwhile is what was asked for.
                Err(Error::NoSuchContainer(_)) if Some(id) != order.last() => {}
                other => drop(other?),
            }
        }
        Ok(order)
    }

    /// `id` and every container that depends on it, transitively, each
    /// after all that depend on it.
    async fn removal_order(&self, id: &str) -> Result<Vec<String>> {
        let root = id.to_string();
        self.db
            .read(move |tx| {
                let mut order: Vec<String> = Vec::new();
                // Depth first; a container is placed once all its dependents are.
                fn visit(tx: &Tx, id: &str, order: &mut Vec<String>, path: &mut Vec<String>) -> Result<()> {
                    if order.iter().any(|o| o == id) || path.iter().any(|p| p == id) {
                        return Ok(());
                    }
                    path.push(id.to_string());
                    for dependent in tx.container_dependents(id)? {
                        visit(tx, &dependent, order, path)?;
                    }
                    path.pop();
                    order.push(id.to_string());
                    Ok(())
                }
                visit(tx, &root, &mut order, &mut Vec::new())?;
                Ok(order)
            })
            .await
    }

    /// Remove a container by full ID; returns the bytes reclaimed.
    pub(super) async fn remove_by_id(&self, id: &str, opts: RemoveOptions) -> Result<u64> {
        let _lock = self.locks.lock(id).await;
        let (mut stopped, mut sessions_synced) = (false, false);
        loop {
            // Checked under the container's lock: nothing can mount or start
            // it meanwhile.
            let only_a_directory = !self.has_overlay(id) && !self.may_have_run(id);
            let step = self
                .db
                .write(|tx| {
                    let record = check_removable(tx, id, opts)?;
                    let state = record.status.state;
                    if state.in_runtime() {
                        // Stopped outside the write transaction, which
                        // then changes nothing (and writes nothing).
                        return Ok(Step::Stop(Box::new(record.config?)));
                    }
                    let event = Box::new(remove_event(&record));
                    if only_a_directory && state == State::Configured {
                        Ok(Step::Deleted(event, delete_records(tx, id, opts.volumes)?))
                    } else {
                        tx.set_container_state(id, State::Removing)?;
                        Ok(Step::Marked(event))
                    }
                })
                .await;
            let step = match step {
                // Sessions recorded as running may have ended since: their
                // ends are recorded, and the check made again.
                Err(Error::ActiveExecSessions { .. }) if !sessions_synced => {
                    self.sync_exec_sessions(id).await?;
                    sessions_synced = true;
                    continue;
                }
                other => other?,
            };
            match step {
                Step::Stop(_) if stopped => {
                    return Err(Error::Runtime(format!("container {id} still has processes after its stop")))
                }
                Step::Stop(config) => {
                    self.stop_locked(&config, opts.timeout.unwrap_or(config.stop_timeout)).await?;
                    stopped = true;
                }
                Step::Marked(event) => {
                    crate::fault::crash_point("remove.marked");
                    return self.finish_removal(id, *event, opts.volumes).await;
                }
                Step::Deleted(event, removed_volumes) => {
                    let size = self.rw_size(id);
                    let left = super::remove_tree(&self.container_dir(id))
                        .map_err(|e| format!("its directory (the next start deletes it): {e}"));
                    return self.removed(id, *event, removed_volumes, left.err().into_iter().collect()).map(|()| size);
                }
            }
        }
    }

    /// Steps 2 to 4, shared with evict and with the start-up repair of
    /// removals a crash interrupted. The container must be `removing`.
    pub(super) async fn finish_removal(&self, id: &str, event: Event, volumes: bool) -> Result<u64> {
        let dir = self.container_dir(id);
        let size = self.rw_size(id);
        // Whatever state the record claimed: no conmon, runtime state,
        // exit file, mount or unit may outlive it.
        self.clear_run(id, &[]).await?;
        self.unmount_rootfs(id, true).await?;
        super::remove_tree(&dir)?;
        crate::fault::crash_point("remove.files");
        let removed_volumes = self.db.write(|tx| delete_records(tx, id, volumes)).await?;
        self.removed(id, event, removed_volumes, Vec::new()).map(|()| size)
    }

    /// Step 4, once the record is gone: the removed volumes' directories and
    /// the events; an error names what was left behind (`left`, and any
    /// volume directory that could not be deleted).
    fn removed(&self, id: &str, mut event: Event, volumes: Vec<String>, mut left: Vec<String>) -> Result<()> {
        event.time_nanos = crate::events::now_nanos();
        self.events.emit(event);
        for v in volumes {
            if let Err(e) = super::remove_tree(&self.volume_dir(&v)) {
                left.push(format!("volume {v}: {e}"));
            }
            self.events.emit(Event::new(EventType::Volume, "remove", &v, &v));
        }
        if left.is_empty() {
            Ok(())
        } else {
            Err(Error::Storage(format!("container {id} was removed, but not all of its files: {}", left.join("; "))))
        }
    }
}

/// A container's `remove` event, as podman's: with its image, pod, labels
/// and exit code (a record whose configuration cannot be read has its name).
pub(super) fn remove_event(record: &ContainerRecord) -> Event {
    let s = &record.summary;
    let mut event = match &record.config {
        Ok(config) => Event::for_container("remove", config),
        Err(_) => Event::new(EventType::Container, "remove", &s.id, &s.name),
    };
    if let Some(code) = record.status.exit_code {
        event = event.with("exitCode", code.to_string());
    }
    event
}

/// Step 3: delete a container's records and, with `volumes`, its anonymous
/// volumes no other container uses; returns those volumes.
pub(super) fn delete_records(tx: &Tx, id: &str, volumes: bool) -> Result<Vec<String>> {
    let mounted = tx.container_volumes(id)?;
    tx.delete_container(id)?;
    let mut removed = Vec::new();
    for v in mounted.into_iter().filter(|v| volumes && v.anonymous) {
        if tx.volume_users(&v.name)?.is_empty() {
            tx.delete_volume(&v.name)?;
            removed.push(v.name);
        }
    }
    Ok(removed)
}

/// The refusals of step 1; returns the container's record.
pub(super) fn check_removable(tx: &Tx, id: &str, opts: RemoveOptions) -> Result<ContainerRecord> {
    let record = tx.container(id)?.ok_or_else(|| Error::NoSuchContainer(id.to_string()))?;
    record.config()?;
    let state = record.status.state;
    if record.summary.is_infra && !opts.with_pod {
        return Err(Error::InfraContainer {
            id: id.to_string(),
            pod: record.summary.pod_id.clone().unwrap_or_default(),
        });
    }
    state.can_remove(id, opts.force)?;
    let dependents = tx.container_dependents(id)?;
    if !dependents.is_empty() {
        return Err(Error::HasDependents { id: id.to_string(), dependents });
    }
    let sessions = tx.running_exec_sessions(id)?;
    if !sessions.is_empty() && !opts.force {
        return Err(Error::ActiveExecSessions { id: id.to_string(), sessions });
    }
    Ok(record)
}
