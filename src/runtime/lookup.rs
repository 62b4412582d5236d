//! Lookup: libpod's `LookupContainer`, `HasContainer`, `GetContainersByList`
//! and the inspect data. A name or ID resolves as: full ID, exact name, then a
//! unique ID prefix; several prefix matches are an AmbiguousName error.

use super::{blocking, Runtime};
use crate::db::{Kind, Tx};
use crate::error::{Error, Result};
use crate::model::container::{ContainerConfig, ContainerStatus};
use serde::Serialize;

/// Everything Inspect shows about a container.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerInspect {
    pub id: String,
    pub name: String,
    pub config: ContainerConfig,
    pub state: ContainerStatus,
    pub pod_name: Option<String>,
    pub dependents: Vec<String>,
    pub exec_sessions: Vec<String>,
    /// The systemd scope holding its processes, while it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Bytes the container wrote, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rw_size: Option<u64>,
    /// Bytes of its whole root file system (its image's layers and what
    /// it wrote), when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_fs_size: Option<u64>,
    /// Where conmon writes its own PID and the container's.
    pub conmon_pid_file: std::path::PathBuf,
    pub pid_file: std::path::PathBuf,
    /// conmon's PID while the container has processes.
    pub conmon_pid: Option<i32>,
    /// Restarts by its policy since a user last started it.
    pub restart_count: u32,
    /// Where its health stands, when it has a health check.
    pub health: Option<crate::model::container::health::HealthState>,
    /// The k8s-file (json-file) log conmon writes; none for other drivers.
    pub log_path: Option<std::path::PathBuf>,
    /// Its volumes as mounted: name, source on the host, destination, options.
    pub mounts: Vec<InspectMount>,
    /// Its place on each bridge network.
    pub networks: Vec<crate::db::Attachment>,
}

/// A mount as inspect shows it.
#[derive(Debug, Serialize)]
pub struct InspectMount {
    /// volume, bind or tmpfs.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: String,
    pub source: std::path::PathBuf,
    pub destination: String,
    pub options: Vec<String>,
    pub rw: bool,
}

impl Runtime {
    pub async fn lookup_container_id(&self, name_or_id: &str) -> Result<String> {
        self.resolve(Kind::Container, name_or_id).await
    }

    pub async fn container_exists(&self, name_or_id: &str) -> Result<bool> {
        match self.lookup_container_id(name_or_id).await {
            Ok(_) => Ok(true),
            Err(Error::NoSuchContainer(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Resolve several names or IDs, in order, in one snapshot.
    pub async fn lookup_container_ids(&self, names_or_ids: Vec<String>) -> Result<Vec<String>> {
        self.db.read(move |tx| names_or_ids.iter().map(|n| tx.resolve(Kind::Container, n)).collect()).await
    }

    pub async fn inspect_container(&self, name_or_id: &str, size: bool) -> Result<ContainerInspect> {
        let mut inspect = self
            .db
            .read(|tx| {
                let id = tx.resolve(Kind::Container, name_or_id)?;
                inspect_in(tx, &id)?.ok_or(Error::NoSuchContainer(name_or_id.to_string()))
            })
            .await?;
        let paths = self.oci_paths(&inspect.id);
        inspect.conmon_pid_file = paths.conmon_pidfile();
        inspect.pid_file = paths.pidfile();
        if inspect.state.state.has_processes() {
            let text = std::fs::read_to_string(paths.conmon_pidfile()).unwrap_or_default();
            inspect.conmon_pid = text.trim().parse().ok();
        }
        let files_log = matches!(inspect.config.log_driver.as_str(), "k8s-file" | "json-file");
        inspect.log_path = files_log.then(|| paths.log.clone());
        inspect.mounts = inspect
            .config
            .volumes
            .iter()
            .map(|v| InspectMount {
                kind: "volume",
                name: v.name.clone(),
                source: self.volume_dir(&v.name).join("_data"),
                destination: v.destination.clone(),
                options: v.options.clone(),
                rw: !v.options.iter().any(|o| o == "ro"),
            })
            .chain(inspect.config.mounts.iter().map(|m| InspectMount {
                kind: m.kind.as_str(),
                name: String::new(),
                source: m.source.as_deref().unwrap_or("tmpfs").into(),
                destination: m.destination.clone(),
                options: m.options.clone(),
                rw: !m.read_only(),
            }))
            .collect();
        if size {
            let rw = self.rw_size(&inspect.id);
            inspect.rw_size = Some(rw);
            inspect.root_fs_size = Some(rw + self.image_size_of(&inspect.config).await);
        }
        Ok(inspect)
    }

    /// Bytes a container wrote, and those of its whole root file system.
    pub async fn container_sizes(&self, id: &str) -> Result<(u64, u64)> {
        let (config, _) = self.load_container(id).await?;
        let rw = self.rw_size(id);
        Ok((rw, rw + self.image_size_of(&config).await))
    }

    /// Bytes of the file system a container starts from: its image's
    /// layers, or its host directory.
    async fn image_size_of(&self, c: &ContainerConfig) -> u64 {
        if let Some(dir) = c.rootfs.clone() {
            return blocking(move || Ok(super::tree_size(&dir))).await.unwrap_or(0);
        }
        let Some(image_id) = c.image_id.clone() else { return 0 };
        let image = self.db.read(move |tx| tx.image(&image_id)).await.ok().flatten();
        let dirs = image.and_then(|i| self.layer_dirs(&i).ok()).unwrap_or_default();
        blocking(move || Ok(dirs.iter().map(|d| super::tree_size(d)).sum())).await.unwrap_or(0)
    }

    /// The IDs of all containers.
    pub async fn container_ids(&self) -> Result<Vec<String>> {
        self.db.scan(|tx| tx.container_ids()).await
    }

    /// The inspect data of the containers in `ids` that exist, read in one
    /// transaction (what the D-Bus objects are made from at start).
    pub async fn inspect_containers(&self, ids: Vec<String>) -> Result<Vec<ContainerInspect>> {
        self.db.scan(move |tx| ids.iter().filter_map(|id| inspect_in(tx, id).transpose()).collect()).await
    }
}

/// A container's inspect data within a transaction; None when it is gone.
fn inspect_in(tx: &Tx, id: &str) -> Result<Option<ContainerInspect>> {
    let Some(record) = tx.container(id)? else { return Ok(None) };
    let config = record.config()?.clone();
    let health = if config.healthcheck.is_some() { Some(tx.health(id)?.unwrap_or_default()) } else { None };
    let unit = (Runtime::uses_units(&config) && record.status.pid.is_some()).then(|| super::units::container_scope(id));
    let networks = match config.network {
        crate::model::container::Network::Bridge => tx.attachments(id)?,
        _ => Vec::new(),
    };
    Ok(Some(ContainerInspect {
        config,
        unit,
        name: record.summary.name,
        pod_name: record.summary.pod_name,
        state: record.status,
        dependents: tx.container_dependents(id)?,
        exec_sessions: tx.exec_sessions(id)?,
        rw_size: None,
        root_fs_size: None,
        conmon_pid_file: Default::default(),
        pid_file: Default::default(),
        log_path: None,
        conmon_pid: None,
        restart_count: tx.restart_state(id)?.unwrap_or_default().count,
        health,
        mounts: Vec::new(),
        networks,
        id: id.to_string(),
    }))
}
