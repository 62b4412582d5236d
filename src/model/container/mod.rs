//! The container model: what a client asks for (`CreateSpec`), what berth stores
//! (`ContainerConfig`, immutable after create but for the name) and the state.

pub mod filter;
pub mod state;

use crate::config::CgroupManager;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

pub use state::State;

/// A volume mount as asked for: no name means an anonymous volume.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSpec {
    pub name: Option<String>,
    pub destination: String,
    pub options: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Secret {
    pub name: String,
    pub source: PathBuf,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resources {
    pub memory_max: Option<u64>,
    pub pids_max: Option<u64>,
    pub cpu_weight: Option<u64>,
}

/// The network a container sees.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    /// Its own namespace, holding only loopback.
    #[default]
    Private,
    /// The host's namespace.
    Host,
}

impl std::str::FromStr for Network {
    type Err = crate::error::Error;
    fn from_str(s: &str) -> crate::error::Result<Self> {
        match s {
            "private" | "" => Ok(Network::Private),
            "host" => Ok(Network::Host),
            other => {
                Err(crate::error::Error::invalid_argument("network", format!("{other:?} is neither private nor host")))
            }
        }
    }
}

/// A create request, transport-neutral. Unset fields take berth.conf defaults.
#[derive(Debug, Clone, Default)]
pub struct CreateSpec {
    pub rootfs: Option<PathBuf>,
    pub image: Option<String>,
    pub command: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub name: Option<String>,
    pub pod: Option<String>,
    pub stop_signal: Option<String>,
    pub stop_timeout: Option<u32>,
    pub shm_size: Option<String>,
    pub timezone: Option<String>,
    pub log_driver: Option<String>,
    pub runtime: Option<String>,
    pub cgroup_parent: Option<String>,
    pub no_cgroups: bool,
    pub volumes: Vec<VolumeSpec>,
    pub secrets: Vec<Secret>,
    pub depends_on: Vec<String>,
    pub auto_remove: bool,
    pub resources: Resources,
    pub network: Option<String>,
    /// Remove a container of the same name first.
    pub replace: bool,
    /// Where to write the new container's ID (absolute; must not exist).
    pub cid_file: Option<PathBuf>,
}

/// A volume as the container mounts it, after create resolved its name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MountedVolume {
    pub name: String,
    pub destination: String,
    pub options: Vec<String>,
    pub anonymous: bool,
}

/// Everything a container was created with, stored as one JSON document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerConfig {
    pub id: String,
    pub name: String,
    pub rootfs: Option<PathBuf>,
    pub image: Option<String>,
    /// The image's ID when made from one.
    #[serde(default)]
    pub image_id: Option<String>,
    pub command: Vec<String>,
    pub env: BTreeMap<String, String>,
    /// The working directory of its process (the image's, else /).
    #[serde(default)]
    pub workdir: Option<String>,
    /// The user its process runs as: uid[:gid] or a name from its /etc/passwd.
    #[serde(default)]
    pub user: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub pod: Option<String>,
    pub is_infra: bool,
    pub stop_signal: i32,
    pub stop_timeout: u32,
    pub shm_size: u64,
    pub timezone: String,
    pub log_driver: String,
    pub runtime: String,
    pub runtime_path: PathBuf,
    pub cgroup_manager: CgroupManager,
    /// None with noCgroups.
    pub cgroup_parent: Option<String>,
    pub no_cgroups: bool,
    pub volumes: Vec<MountedVolume>,
    pub secrets: Vec<Secret>,
    /// IDs of the containers this one depends on.
    pub depends_on: Vec<String>,
    pub auto_remove: bool,
    pub resources: Resources,
    #[serde(default)]
    pub network: Network,
    /// Unix nanoseconds.
    pub created_nanos: i64,
}

/// The mutable part of a container, kept in columns of its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStatus {
    pub state: State,
    pub exit_code: Option<i32>,
    pub pid: Option<i32>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

impl ContainerStatus {
    pub fn new() -> Self {
        ContainerStatus { state: State::Configured, exit_code: None, pid: None, started_at: None, finished_at: None }
    }
}

impl Default for ContainerStatus {
    fn default() -> Self {
        Self::new()
    }
}

/// A container as listed: the columns that stay readable even when the
/// stored configuration does not.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub id: String,
    pub name: String,
    pub image: String,
    pub command: Vec<String>,
    pub state: State,
    /// Unix nanoseconds.
    pub created_nanos: i64,
    pub exit_code: Option<i32>,
    pub pod_id: Option<String>,
    pub pod_name: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub is_infra: bool,
    /// The image's ID when made from one.
    pub image_id: Option<String>,
    /// Unix nanoseconds of its last start and exit.
    pub started_nanos: Option<i64>,
    pub finished_nanos: Option<i64>,
}
