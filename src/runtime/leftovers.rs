//! What a container's run leaves outside its record: its conmon, its state
//! in the OCI runtime, conmon's exit file, its root mount and its units.
//! A removal clears them whatever state the record claimed. The start-up
//! repair and Check clear those no record explains: an init a crash
//! interrupted (conmon may have created the container before berthd could
//! record it), a runtime container or a conmon of a container whose record
//! says it has no processes, or that has no record at all.

use super::{blocking, Runtime};
use crate::error::{Error, Result};
use crate::oci::conmon::{self, Conmon};
use crate::oci::runc::Runc;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::collections::HashSet;

/// What the disk and the process table hold of container runs.
pub(super) struct Runs {
    /// IDs the OCI runtimes hold state for.
    pub in_runtime: Vec<String>,
    /// IDs with an exit file, or an overlay directory (mounted, or being).
    pub exit_files: Vec<String>,
    pub overlays: Vec<String>,
    /// (PID, container ID) of live conmons; only when asked for.
    pub conmons: Vec<(u32, String)>,
}

impl Runtime {
    /// The state roots of the runtimes that hold `id` (each keeps a
    /// directory per container under its root, `<run-root>/runtime/<name>`).
    fn roots_holding(&self, id: &str) -> Vec<std::fs::DirEntry> {
        let roots = self.config.run_root.join("runtime");
        let Ok(entries) = std::fs::read_dir(&roots) else { return Vec::new() };
        entries.flatten().filter(|e| e.path().join(id).exists()).collect()
    }

    /// Whether any runtime holds state for `id`.
    pub(super) fn runtime_holds(&self, id: &str) -> bool {
        !self.roots_holding(id).is_empty()
    }

    /// The runtimes that hold state for `id`, ready to delete it.
    fn runtimes_holding(&self, id: &str) -> Vec<Runc> {
        self.roots_holding(id)
            .into_iter()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                match self.config.resolve_runtime(&name) {
                    Ok((name, path)) => Some(Runc { name, path, root: e.path(), flags: Vec::new() }),
                    Err(err) => {
                        tracing::warn!(id, runtime = name.as_str(), "cannot delete a runtime container: {err}");
                        None
                    }
                }
            })
            .collect()
    }

    /// Whether a run of `id` may have left anything but a directory (cheap:
    /// two stats and a short directory read).
    pub(super) fn may_have_run(&self, id: &str) -> bool {
        let paths = self.oci_paths(id);
        paths.conmon_pidfile().exists() || paths.exit_file.exists() || self.runtime_holds(id)
    }

    /// End and delete everything a run of container `id` may have left:
    /// conmon first (so that it writes no exit and runs no exit command),
    /// then the runtime's container, the exit file, the root mount (unless
    /// the Storage API holds it) and the units.
    pub(super) async fn clear_run(&self, id: &str, known_conmons: &[u32]) -> Result<()> {
        let paths = self.oci_paths(id);
        let runtimes = self.runtimes_holding(id);
        let key = id.to_string();
        let conmons = known_conmons.to_vec();
        blocking(move || {
            let mut pids = conmons;
            if let Conmon::Running(pid, _) = conmon::of(&paths.conmon_pidfile(), &key) {
                pids.push(pid);
            }
            for pid in pids {
                let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
            }
            for runc in runtimes {
                runc.delete(&key)?;
            }
            for file in [paths.conmon_pidfile(), paths.exit_file] {
                match std::fs::remove_file(&file) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(Error::storage(file.display(), e))
                    }
                    _ => {}
                }
            }
            Ok(())
        })
        .await?;
        self.unmount_rootfs(id, false).await?;
        self.teardown_networks_of(id).await;
        self.release_units_of(id).await;
        Ok(())
    }

    /// What the runtimes hold, and with `conmons` which conmons of ours run
    /// (a walk of /proc: Check, and a start after an interrupted init).
    pub(super) fn runs(&self, conmons: bool) -> Runs {
        let run = &self.config.run_root;
        let mut in_runtime = HashSet::new();
        if let Ok(roots) = std::fs::read_dir(run.join("runtime")) {
            for root in roots.flatten() {
                in_runtime.extend(ids_in(&root.path()));
            }
        }
        let conmons = if conmons { crate::oci::conmon::running_for(&self.exits_dir()) } else { Vec::new() };
        Runs {
            in_runtime: in_runtime.into_iter().collect(),
            exit_files: ids_in(&self.exits_dir()),
            overlays: ids_in(&run.join("overlay")),
            conmons,
        }
    }
}

/// The entries of `dir` named like container IDs.
fn ids_in(dir: &std::path::Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.len() == crate::names::ID_LEN && crate::names::is_id_prefix(n))
        .collect()
}
