//! The runtime: libpod's container runtime (runtime_ctr.go and friends) over
//! berth's database. One file per operation; each is an `impl Runtime` block.
//! Transports call these methods and nothing else.

mod attach;
mod authorize;
mod check;
mod check_networks;
mod create;
mod evict;
mod exec;
mod exec_sessions;
mod exits;
mod health;
mod image_mounts;
mod images;
mod leftovers;
mod list;
mod locks;
mod logs;
mod lookup;
mod network_setup;
mod networks;
mod pause;
mod pods;
mod prune;
mod pull;
mod remove;
mod rename;
mod restart;
mod secrets;
mod start;
mod stats;
mod stop;
mod storage_ctrs;
mod system;
mod top;
mod units;
mod update;
mod volumes;

pub use attach::Attached;
pub use authorize::{Access, Caller, INSPECT_ACTION, MANAGE_ACTION};
pub use check::Problem;
pub use exec::{ExecResult, OutputStream};
pub use logs::{LogLine, LogOptions};
pub use lookup::{ContainerInspect, InspectMount};
pub use networks::NetworkSpec;
pub use pods::PodInfo;
pub use prune::PruneReport;
pub use pull::PullOptions;
pub use remove::Removal;
pub use stats::ContainerStats;
pub use storage_ctrs::ExternalStorage;
pub use system::{Info, SystemPruneReport};
pub use update::Update;
pub use volumes::VolumePruneReport;

use crate::config::Config;
use crate::db::{Db, Kind};
use crate::error::{Error, Result};
use crate::events::EventBus;
use crate::model::container::ContainerConfig;
use crate::oci::runc::Runc;
use locks::Locks;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::broadcast;

pub struct Runtime {
    config: Config,
    db: Db,
    events: EventBus,
    locks: Locks,
    /// conmon, when installed; running containers needs it.
    conmon: Option<PathBuf>,
    /// IDs whose exit file conmon has just written.
    exits: broadcast::Sender<String>,
    /// Imports and pulls hold it shared while they add layers and record
    /// their image; what deletes layers no image uses holds it alone.
    layer_store: tokio::sync::RwLock<()>,
    /// The system bus, for the systemd cgroup manager's units; made on first use.
    systemd: tokio::sync::OnceCell<Arc<crate::systemd::manager::Systemd>>,
    /// polkit, asked when a caller other than root wants a change.
    polkit: tokio::sync::OnceCell<crate::systemd::polkit::Polkit>,
    /// Work that may outlive the call that began it (see `busy`).
    in_flight: Arc<AtomicUsize>,
    /// The exits of autoRemove containers removed lately (see exits.rs).
    removed_exits: exits::RemovedExits,
    /// The health checks berthd runs (see health.rs).
    health_schedule: health::HealthSchedule,
    /// Set once the bus said machined is not there: no more asking.
    machined_missing: std::sync::atomic::AtomicBool,
}

/// Counts one piece of work in flight while it lives.
pub(crate) struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Runtime {
    /// Open the catalogue under `config.root`, then repair what an interrupted
    /// run left behind (unfinished removals, orphaned directories).
    pub async fn open(config: Config) -> Result<Arc<Runtime>> {
        let run = &config.run_root;
        for dir in [
            config.root.clone(),
            config.root.join("containers"),
            config.root.join("volumes"),
            run.clone(),
            run.join("exits"),
            run.join("sockets"),
            run.join("runtime"),
        ] {
            std::fs::create_dir_all(&dir).map_err(|e| Error::storage(dir.display(), e))?;
        }
        let db = Db::open(&config.root.join("berth.db"))?;
        let rt = Arc::new(Runtime {
            config,
            db,
            events: EventBus::new(),
            locks: Locks::default(),
            conmon: crate::oci::conmon::find(),
            exits: broadcast::channel(1024).0,
            layer_store: tokio::sync::RwLock::new(()),
            systemd: tokio::sync::OnceCell::new(),
            polkit: tokio::sync::OnceCell::new(),
            machined_missing: Default::default(),
            in_flight: Arc::new(AtomicUsize::new(0)),
            removed_exits: Default::default(),
            health_schedule: Default::default(),
        });
        for problem in rt.repair_at_start().await? {
            tracing::warn!(
                kind = problem.kind,
                id = problem.id.as_str(),
                repaired = problem.repaired,
                "{}",
                problem.description
            );
        }
        rt.watch_exits()?;
        rt.sync_at_start().await?;
        rt.schedule_health_checks();
        rt.ensure_default_network().await?;
        Ok(rt)
    }

    fn exits_dir(&self) -> PathBuf {
        self.config.run_root.join("exits")
    }

    fn oci_paths(&self, id: &str) -> crate::oci::Paths {
        crate::oci::Paths::new(&self.container_dir(id), &self.exits_dir(), id)
    }

    /// The OCI runtime a container was created with.
    fn runc_for(&self, c: &ContainerConfig) -> Runc {
        Runc {
            name: c.runtime.clone(),
            path: c.runtime_path.clone(),
            root: self.config.run_root.join("runtime").join(&c.runtime),
            flags: c.runtime_flags.clone(),
        }
    }

    /// Whether work is in flight that no client waits for (a pull whose
    /// client left, the cleanup after a container's exit): an idle berthd
    /// must not exit under it.
    pub fn busy(&self) -> bool {
        self.in_flight.load(Ordering::SeqCst) > 0
    }

    fn in_flight(&self) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self.in_flight.clone())
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn events(&self) -> &EventBus {
        &self.events
    }

    fn container_dir(&self, id: &str) -> PathBuf {
        self.config.root.join("containers").join(id)
    }

    fn volume_dir(&self, name: &str) -> PathBuf {
        self.config.root.join("volumes").join(name)
    }

    /// Resolve a name or ID of `kind` to a full ID, or the typed error.
    async fn resolve(&self, kind: Kind, name_or_id: &str) -> Result<String> {
        self.db.read(|tx| tx.resolve(kind, name_or_id)).await
    }
}

/// Run blocking work (runc, conmon, file reads) off the async executor.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Error::Runtime(format!("a blocking task failed: {e}")))?
}

/// `blocking` for a call into the OCI layer (conmon, the runtime), whose
/// error becomes the crate's.
async fn in_oci<T: Send + 'static>(f: impl FnOnce() -> crate::oci::error::Result<T> + Send + 'static) -> Result<T> {
    blocking(move || f().map_err(Error::from)).await
}

/// Remove a directory tree; one that is already gone is fine.
fn remove_tree(path: &Path) -> Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::storage(path.display(), e)),
        _ => Ok(()),
    }
}

/// Bytes used by the files under `path` (0 when it is gone).
fn tree_size(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else { return 0 };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path).map(|entries| entries.flatten().map(|e| tree_size(&e.path())).sum()).unwrap_or(0)
}

#[cfg(test)]
mod tests;
