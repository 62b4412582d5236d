//! Exits: how berth learns that a container ended, and `Wait`.
//!
//! conmon writes `<run-root>/exits/<id>` when a container exits. A watcher
//! thread (inotify) hands each new file to `handle_exit`, which records the
//! exit code, deletes the container from the OCI runtime, emits `died`, and
//! removes an autoRemove container. At start berthd re-syncs every container
//! the database believes has processes: from its exit file if conmon wrote one
//! meanwhile, else from the runtime's own state.

use super::remove::RemoveOptions;
use super::{blocking, in_oci, Runtime};
use crate::error::{Error, Result};
use crate::events::{now_nanos, Event};
use crate::model::container::{ContainerConfig, ContainerStatus, State};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// The exit code recorded when conmon left none (it was killed with the container).
const UNKNOWN_EXIT: i32 = -1;
/// How long the start-up re-sync waits for a running conmon of an ended
/// container to write its exit file.
const CONMON_WRITING: Duration = Duration::from_secs(3);
/// How many exits of removed autoRemove containers are kept for Wait.
const REMOVED_EXITS_KEPT: usize = 1024;

/// The exit codes of autoRemove containers removed lately, newest last: a
/// Wait that comes after the removal (a client's `run --rm` whose container
/// ended at once) still gets its code, as libpod keeps them for it.
#[derive(Default)]
pub(super) struct RemovedExits(std::sync::Mutex<std::collections::VecDeque<(String, String, i32)>>);

impl RemovedExits {
    fn add(&self, id: &str, name: &str, code: i32) {
        let Ok(mut exits) = self.0.lock() else { return };
        if exits.len() == REMOVED_EXITS_KEPT {
            exits.pop_front();
        }
        exits.push_back((id.to_string(), name.to_string(), code));
    }

    /// The code of the latest removed container with this ID, ID prefix or name.
    fn find(&self, name_or_id: &str) -> Option<i32> {
        let exits = self.0.lock().ok()?;
        let prefix = crate::names::is_id_prefix(name_or_id);
        exits
            .iter()
            .rev()
            .find(|(id, name, _)| name == name_or_id || (prefix && id.starts_with(name_or_id)))
            .map(|(_, _, code)| *code)
    }
}

impl Runtime {
    /// Start the watcher of the exits directory.
    pub(super) fn watch_exits(self: &Arc<Self>) -> Result<()> {
        use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
        let dir = self.exits_dir();
        let inotify = Inotify::init(InitFlags::IN_CLOEXEC).map_err(|e| Error::storage("inotify", e))?;
        inotify
            .add_watch(&dir, AddWatchFlags::IN_CLOSE_WRITE | AddWatchFlags::IN_MOVED_TO)
            .map_err(|e| Error::storage(dir.display(), e))?;
        let runtime: Weak<Runtime> = Arc::downgrade(self);
        let tokio = tokio::runtime::Handle::current();
        std::thread::Builder::new()
            .name("berth-exits".into())
            .spawn(move || loop {
                let Ok(events) = inotify.read_events() else { return };
                let Some(rt) = runtime.upgrade() else { return };
                // conmon writes `<id>.XXXXXX` and renames it to `<id>`: only
                // the final name is an exit.
                let names = events.into_iter().filter_map(|e| e.name?.into_string().ok());
                for name in names.filter(|n| n.len() == crate::names::ID_LEN && crate::names::is_id_prefix(n)) {
                    let _ = rt.exits.send(name.clone());
                    let rt = rt.clone();
                    tokio.spawn(async move {
                        if let Err(e) = rt.handle_exit(&name).await {
                            tracing::warn!(id = name.as_str(), "recording an exit: {e}");
                        }
                    });
                }
            })
            .map_err(|e| Error::storage("exit watcher thread", e))?;
        Ok(())
    }

    /// Record the exit of a container whose exit file appeared.
    pub(super) async fn handle_exit(&self, id: &str) -> Result<()> {
        let _work = self.in_flight();
        let exit_file = self.oci_paths(id).exit_file;
        let lock = self.locks.lock(id).await;
        tracing::debug!(id, exists = exit_file.exists(), "exit file event");
        // Only conmon writes the file, once per run, and init clears a stale
        // one: without it there is no exit to record (stop may have done it).
        if !exit_file.exists() {
            return Ok(());
        }
        let config = match self.load_container(id).await {
            Ok((config, status)) if status.state.in_runtime() => config,
            // Already recorded, or the container is gone: the file is stale.
            other => {
                tracing::debug!(id, state = ?other.map(|(_, s)| s.state), "stale exit file");
                let _ = std::fs::remove_file(&exit_file);
                return Ok(());
            }
        };
        self.finish_exit_then_auto_remove(&config, lock).await
    }

    /// Record an exit under `lock`, then release it and remove an
    /// autoRemove container, keeping its exit code for a late Wait.
    async fn finish_exit_then_auto_remove(&self, c: &ContainerConfig, lock: super::locks::Guard<'_>) -> Result<()> {
        let code = self.finish_exit_locked(c).await?;
        drop(lock);
        self.apply_exit_policy(c).await;
        if self.restart_by_policy(c, code).await {
            return Ok(());
        }
        if c.auto_remove {
            self.remove_by_id(&c.id, RemoveOptions { force: true, volumes: true, ..Default::default() }).await?;
            self.removed_exits.add(&c.id, &c.name, code);
        }
        Ok(())
    }

    /// Record an exit under the caller's lock: the code from conmon's exit
    /// file, state `exited`; then the runtime's state is deleted. The record
    /// and the `died` event come first, so that waiters are not held up by the
    /// runtime. A delete that fails is reported (the watcher logs it) and is
    /// repeated by the next init.
    pub(super) async fn finish_exit_locked(&self, c: &ContainerConfig) -> Result<i32> {
        let paths = self.oci_paths(&c.id);
        let exit_file = paths.exit_file.clone();
        let code = blocking(move || {
            Ok(std::fs::read_to_string(&exit_file)
                .ok()
                .and_then(|s| s.trim().parse::<i32>().ok())
                .unwrap_or(UNKNOWN_EXIT))
        })
        .await?;
        let (_, old) = self.load_container(&c.id).await?;
        let status = ContainerStatus {
            state: State::Exited,
            exit_code: Some(code),
            pid: None,
            started_at: old.started_at,
            finished_at: Some(now_nanos()),
        };
        self.set_status(&c.id, status).await?;
        self.end_health(&c.id);
        self.events.emit(Event::for_container("died", c).with("exitCode", code.to_string()));
        let runc = self.runc_for(c);
        let id = c.id.clone();
        blocking(move || {
            runc.delete(&id)?;
            let _ = std::fs::remove_file(&paths.exit_file);
            Ok(())
        })
        .await?;
        self.unmount_rootfs(&c.id, false).await?;
        self.teardown_networks(c).await;
        self.release_units(c).await;
        self.release_typed_volumes(c).await;
        // podman's `container cleanup` says so once an exit is cleaned up.
        self.events.emit(Event::for_container("cleanup", c));
        Ok(code)
    }

    /// Bring every container the database thinks has processes in line with
    /// the runtime and conmon's exit files.
    pub(super) async fn sync_at_start(&self) -> Result<()> {
        let ids = self.db.read(|tx| tx.containers_in_runtime()).await?;
        for id in ids {
            if let Err(e) = self.sync_one(&id).await {
                tracing::warn!(id = id.as_str(), "re-syncing: {e}");
            }
        }
        Ok(())
    }

    async fn sync_one(&self, id: &str) -> Result<()> {
        if self.oci_paths(id).exit_file.exists() {
            return self.handle_exit(id).await;
        }
        let (config, mut status) = self.load_container(id).await?;
        let runc = self.runc_for(&config);
        let key = id.to_string();
        let state = in_oci(move || runc.state(&key)).await?;
        let now = match state.as_ref().map(|s| s.status.as_str()) {
            Some("running") => State::Running,
            Some("paused") => State::Paused,
            Some("created") => State::Created,
            // Stopped or unknown to the runtime, and conmon left no exit
            // file: none yet, if conmon still runs (it drains the output and
            // syncs the log before it writes the file); its code is worth a
            // short wait, the unknown code is what is left without it.
            _ => {
                let conmon = crate::oci::conmon::of(&self.oci_paths(id).conmon_pidfile(), id);
                let conmon_runs = matches!(conmon, crate::oci::conmon::Conmon::Running(..));
                if conmon_runs && self.wait_for_end(&config, CONMON_WRITING).await == super::stop::End::Exited {
                    return self.handle_exit(id).await;
                }
                let lock = self.locks.lock(id).await;
                return self.finish_exit_then_auto_remove(&config, lock).await;
            }
        };
        if now == State::Running {
            self.resume_health(&config);
        }
        if status.state != now {
            status.state = now;
            self.set_status(id, status).await?;
        }
        Ok(())
    }

    /// Wait until the container has exited and return its exit code
    /// (libpod's `Wait`). A container that is not running waits for its next
    /// run to end, as Podman's does.
    pub async fn wait_container(&self, name_or_id: &str) -> Result<i32> {
        self.watch_container(name_or_id, None).await.map(|(_, code)| code)
    }

    /// `wait_container`, telling `states` of the state the container is in
    /// and of each change before the last; returns that last state (exited
    /// or stopped) and the exit code.
    pub async fn watch_container(
        &self,
        name_or_id: &str,
        states: Option<UnboundedSender<State>>,
    ) -> Result<(State, i32)> {
        let mut events = self.events.subscribe();
        // Gone before or while it is watched: the code it was removed with.
        let removed = |key: &str| {
            self.removed_exits
                .find(key)
                .map(|code| (State::Exited, code))
                .ok_or_else(|| Error::NoSuchContainer(name_or_id.to_string()))
        };
        let id = match self.lookup_container_id(name_or_id).await {
            Err(Error::NoSuchContainer(_)) => return removed(name_or_id),
            other => other?,
        };
        let mut seen_running = false;
        let mut told = None;
        loop {
            let (_, status) = match self.load_container(&id).await {
                Ok(found) => found,
                Err(Error::NoSuchContainer(_)) => return removed(&id),
                Err(e) => return Err(e),
            };
            seen_running |= status.state.in_runtime();
            if matches!(status.state, State::Exited | State::Stopped) && (seen_running || status.exit_code.is_some()) {
                return Ok((status.state, status.exit_code.unwrap_or(UNKNOWN_EXIT)));
            }
            if let Some(tx) = states.as_ref().filter(|_| told != Some(status.state)) {
                told = Some(status.state);
                let _ = tx.send(status.state);
            }
            // An autoRemove container may be gone by the time we look again:
            // its died event carries the code.
            match tokio::time::timeout(Duration::from_millis(500), events.recv()).await {
                Ok(Ok(e)) if e.id == id && e.action == "died" => {
                    if let Some(code) = e.attributes.get("exitCode").and_then(|c| c.parse().ok()) {
                        return Ok((State::Exited, code));
                    }
                }
                Ok(Ok(e)) if e.id == id && e.action == "remove" => {
                    return Err(Error::NoSuchContainer(name_or_id.to_string()))
                }
                _ => {
                    if self.oci_paths(&id).exit_file.exists() {
                        self.handle_exit(&id).await?;
                    }
                }
            }
        }
    }
}
