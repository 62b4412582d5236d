//! Check: compare the catalogue with the disk and repair what a crash left
//! behind (libpod's `SystemCheck`). Each problem is reported with whether it
//! was repaired. The daemon runs it with repair on every start.
//!
//! - a container left `removing`: the removal is finished;
//! - a container or volume directory without a record: it is deleted;
//! - an overlay of a container without a record: it is unmounted and deleted;
//! - a volume record without its directory: the directory is made again;
//! - what a run left that no record explains (leftovers.rs): an init a
//!   crash interrupted; a runtime container, exit file or unheld mount of a
//!   container whose record says it has no processes (a crash cut its
//!   exit's cleanup short); a runtime container of no record; and (Check
//!   only, a walk of /proc) a conmon of either: all ended and deleted;
//! - what netavark set up for a container that no longer runs: its
//!   namespace, forwarding rules and aardvark-dns entries (check_networks.rs);
//! - a layer no image uses (a pull or import that failed after storing it),
//!   or scratch left by an interrupted one: it is deleted;
//! - a container whose stored configuration cannot be read: reported only
//!   (evict removes it). Start-up skips this one: it reads every record.

use super::Runtime;
use crate::db::Tx;
use crate::error::{Error, Result};
use crate::model::container::State;
use crate::model::volume::VolumeInfo;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub kind: &'static str,
    pub id: String,
    pub description: String,
    pub repaired: bool,
}

impl Runtime {
    pub async fn check(&self, repair: bool) -> Result<Vec<Problem>> {
        self.check_scope(repair, true).await
    }

    /// What start-up runs: everything but reading every record.
    pub(super) async fn repair_at_start(&self) -> Result<Vec<Problem>> {
        self.check_scope(true, false).await
    }

    async fn check_scope(&self, repair: bool, read_records: bool) -> Result<Vec<Problem>> {
        let records = self.db.read(move |tx| Records::read(tx, read_records)).await?;
        let mut problems = Vec::new();
        for (name, id) in records.removing {
            let event = crate::events::Event::new(crate::events::EventType::Container, "remove", &id, &name);
            let result = if repair { self.finish_removal(&id, event, false).await.map(|_| ()) } else { Ok(()) };
            problems.push(problem("interrupted-removal", &id, "a removal was interrupted", repair, result));
        }
        problems.extend(self.check_runs(repair, read_records, records.initializing, &records.with_processes).await?);
        let ids: HashSet<String> = records.ids.iter().cloned().collect();
        problems.extend(self.check_networks(repair, &records.with_processes, &ids).await);
        let known: HashSet<String> = records.ids.into_iter().chain(records.storage_only).collect();
        problems.extend(self.check_container_dirs(repair, &known)?);
        problems.extend(self.check_volume_dirs(repair, &records.volumes)?);
        for (id, why) in records.unreadable {
            problems.push(Problem { kind: "unreadable-record", id, description: why, repaired: false });
        }
        problems.extend(self.check_layer_store(repair).await?);
        Ok(problems)
    }

    /// Container directories and overlay mounts that no record has.
    fn check_container_dirs(&self, repair: bool, known: &HashSet<String>) -> Result<Vec<Problem>> {
        let mut problems = Vec::new();
        for id in orphans(&self.config.root.join("containers"), known)? {
            let result = if repair { super::remove_tree(&self.container_dir(&id)) } else { Ok(()) };
            problems.push(problem(
                "orphan-container-storage",
                &id,
                "container directory without a record",
                repair,
                result,
            ));
        }
        let overlays = self.config.run_root.join("overlay");
        for id in orphans(&overlays, known).unwrap_or_default() {
            let merged = overlays.join(&id).join("merged");
            let result = if repair {
                crate::storage::overlay::unmount(&merged)
                    .map_err(Error::from)
                    .and_then(|_| super::remove_tree(&overlays.join(&id)))
            } else {
                Ok(())
            };
            problems.push(problem("orphan-overlay", &id, "overlay mount without a container record", repair, result));
        }
        Ok(problems)
    }

    /// Volume directories without a record, and records without a directory.
    fn check_volume_dirs(&self, repair: bool, volumes: &[VolumeInfo]) -> Result<Vec<Problem>> {
        let mut problems = Vec::new();
        let volume_names: HashSet<String> = volumes.iter().map(|v| v.config.name.clone()).collect();
        for name in orphans(&self.config.root.join("volumes"), &volume_names)? {
            let result = if repair { super::remove_tree(&self.volume_dir(&name)) } else { Ok(()) };
            problems.push(problem("orphan-volume-storage", &name, "volume directory without a record", repair, result));
        }
        for v in volumes.iter().filter(|v| !v.config.mountpoint.is_dir()) {
            let mountpoint = &v.config.mountpoint;
            let result = if repair {
                std::fs::create_dir_all(mountpoint).map_err(|e| Error::storage(mountpoint.display(), e))
            } else {
                Ok(())
            };
            problems.push(problem(
                "missing-volume-storage",
                &v.config.name,
                "volume directory is missing",
                repair,
                result,
            ));
        }
        Ok(problems)
    }

    /// Runs no record explains. Each suspect is judged again under its
    /// lock: an init, start or stop in progress explains what it holds, and
    /// holds the lock until its record says so.
    async fn check_runs(
        &self,
        repair: bool,
        walk_processes: bool,
        initializing: Vec<String>,
        with_processes: &HashSet<String>,
    ) -> Result<Vec<Problem>> {
        let runs = self.runs(walk_processes || !initializing.is_empty());
        let mut suspects: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let unexplained = |id: &String| !with_processes.contains(id);
        let on_disk = runs.in_runtime.iter().chain(&runs.exit_files).chain(&runs.overlays);
        for id in initializing.into_iter().chain(on_disk.filter(|id| unexplained(id)).cloned()) {
            suspects.entry(id).or_default();
        }
        for (pid, id) in runs.conmons.iter().filter(|(_, id)| unexplained(id)) {
            suspects.entry(id.clone()).or_default().push(*pid);
        }
        let mut problems = Vec::new();
        for (id, conmons) in suspects {
            let _lock = self.locks.lock(&id).await;
            let record = self.db.read(|tx| tx.container_run_state(&id)).await?;
            let (kind, what) = match record {
                Some((_, true)) => ("interrupted-init", "an init was interrupted"),
                Some((state, false)) if state.in_runtime() => continue,
                _ if self.runtime_holds(&id) => {
                    ("unexplained-runtime-container", "the runtime holds a container whose record has no processes")
                }
                // The rest of an exit's cleanup (runtime state, exit file,
                // mount, units) follows its record: a crash can cut it short.
                Some(_) if self.oci_paths(&id).exit_file.exists() => {
                    ("leftover-exit-file", "an exit was recorded, but its cleanup was interrupted")
                }
                Some(_) if self.has_overlay(&id) && self.db.read(|tx| tx.mount_count(&id)).await? == 0 => {
                    ("leftover-mount", "the root of a container without processes is mounted, and no one holds it")
                }
                // A conmon outlives the exit it reported by the moment its
                // exit command takes: only one that stays is a problem.
                _ if still_running(&conmons).await => {
                    ("unexplained-conmon", "a conmon runs for a container whose record has no processes")
                }
                _ => continue,
            };
            let result = if repair { self.clear_interrupted_run(&id, &conmons).await } else { Ok(()) };
            problems.push(problem(kind, &id, what, repair, result));
        }
        Ok(problems)
    }

    /// End what a run no record explains left, and its intent mark.
    async fn clear_interrupted_run(&self, id: &str, conmons: &[u32]) -> Result<()> {
        self.clear_run(id, conmons).await?;
        let id = id.to_string();
        self.db.write(move |tx| tx.set_container_initializing(&id, false)).await
    }

    async fn check_layer_store(&self, repair: bool) -> Result<Vec<Problem>> {
        let _store = self.layer_store.write().await;
        let used: HashSet<String> = self
            .db
            .read(|tx| {
                let diff_ids = tx.images()?.into_iter().flat_map(|i| i.config.rootfs.diff_ids);
                Ok(diff_ids.filter_map(|d| crate::storage::digest_hex(&d).ok().map(str::to_string)).collect())
            })
            .await?;
        let mut problems = Vec::new();
        let layers = self.layers_dir();
        for hex in orphans(&layers, &used).unwrap_or_default() {
            let result = if repair { super::remove_tree(&layers.join(&hex)) } else { Ok(()) };
            problems.push(problem("orphan-layer", &hex, "layer that no image uses", repair, result));
        }
        let scratch = self.config.root.join("storage/tmp");
        for name in orphans(&scratch, &HashSet::new()).unwrap_or_default() {
            let result = if repair { super::remove_tree(&scratch.join(&name)) } else { Ok(()) };
            problems.push(problem(
                "leftover-scratch",
                &name,
                "scratch of an interrupted import or pull",
                repair,
                result,
            ));
        }
        Ok(problems)
    }
}

/// Whether any of `pids` still runs after a second's grace.
async fn still_running(pids: &[u32]) -> bool {
    let running = || pids.iter().any(|p| crate::process::process_state(*p).is_some_and(|(s, _)| s != 'Z'));
    for _ in 0..50 {
        if !running() {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    true
}

pub(super) fn problem(kind: &'static str, id: &str, what: &str, repair: bool, result: Result<()>) -> Problem {
    match result {
        Ok(()) => Problem { kind, id: id.to_string(), description: what.to_string(), repaired: repair },
        Err(e) => {
            Problem { kind, id: id.to_string(), description: format!("{what}; repair failed: {e}"), repaired: false }
        }
    }
}

/// Entries of `dir` that are not in `known`.
fn orphans(dir: &Path, known: &HashSet<String>) -> Result<Vec<String>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::storage(dir.display(), e))?;
    Ok(entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| !known.contains(name))
        .collect())
}

/// What a check compares with the disk, read in one snapshot.
struct Records {
    /// (name, ID) of containers whose removal was interrupted.
    removing: Vec<(String, String)>,
    ids: Vec<String>,
    /// IDs of storage-only containers: their storage is theirs, not left over.
    storage_only: Vec<String>,
    volumes: Vec<VolumeInfo>,
    /// (ID, why) of records whose configuration cannot be read (only when asked).
    unreadable: Vec<(String, String)>,
    initializing: Vec<String>,
    with_processes: HashSet<String>,
}

impl Records {
    fn read(tx: &Tx, read_records: bool) -> Result<Records> {
        let removing = tx
            .containers_in_state(State::Removing)?
            .into_iter()
            .map(|id| Ok((tx.container_identity(&id)?.map(|(n, _, _)| n).unwrap_or_default(), id)))
            .collect::<Result<Vec<_>>>()?;
        let ids = tx.container_ids()?;
        let storage_only = tx.storage_containers()?.into_iter().map(|c| c.id).collect();
        let unreadable = ids
            .iter()
            .filter(|_| read_records)
            .filter_map(|id| match tx.container(id) {
                Ok(Some(r)) => r.config.err().map(|e| (id.clone(), e.to_string())),
                Ok(None) => None,
                Err(e) => Some((id.clone(), e.to_string())),
            })
            .collect();
        Ok(Records {
            storage_only,
            removing,
            unreadable,
            ids,
            volumes: tx.volumes()?,
            initializing: tx.containers_initializing()?,
            with_processes: tx.containers_in_runtime()?.into_iter().collect(),
        })
    }
}
