//! The container model: what a client asks for (`CreateSpec`), what berth stores
//! (`ContainerConfig`, immutable after create but for the name) and the state.

pub mod filter;
pub mod health;
pub mod mount;
pub mod notify;
pub mod resolution;
pub mod restart;
pub mod run;
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

/// A secret as a container uses it: podman's `--secret NAME[,type=,target=,
/// uid=,gid=,mode=]`. A mounted one is a file at `/run/secrets/<target>`
/// (target defaults to the name; an absolute target is used as is); an env
/// one is the variable `target` (default: the name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretUse {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: SecretKind,
    pub target: String,
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretKind {
    Mount,
    Env,
}

impl SecretUse {
    /// Where a mounted secret appears in the container.
    pub fn path(&self) -> String {
        if self.target.starts_with('/') {
            self.target.clone()
        } else {
            format!("/run/secrets/{}", self.target)
        }
    }
}

/// A host device made visible in the container (`--device
/// HOST[:CONTAINER][:PERMISSIONS]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    pub path_on_host: String,
    pub path_in_container: String,
    /// Some of r, w and m.
    pub permissions: String,
}

/// A resource limit of the process (`--ulimit NAME=SOFT[:HARD]`), named as
/// the kernel names it (`RLIMIT_NOFILE`); -1 is unlimited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ulimit {
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resources {
    pub memory_max: Option<u64>,
    pub pids_max: Option<u64>,
    pub cpu_weight: Option<u64>,
    /// Memory and swap together, in bytes (-1: unlimited swap); podman's
    /// default with a memory limit is twice that limit.
    #[serde(default)]
    pub memory_swap: Option<i64>,
    /// CPU time per second, in billionths of a CPU (podman's --cpus).
    #[serde(default)]
    pub nano_cpus: Option<u64>,
    /// The CPUs it may run on, as a list such as `0-2,4` (--cpuset-cpus).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpuset_cpus: Option<String>,
}

impl Resources {
    pub fn is_empty(&self) -> bool {
        *self == Resources::default()
    }
}

/// The CPUs of a cpuset list (`0-2,4`), as the kernel reads it.
pub fn parse_cpuset(list: &str) -> std::result::Result<Vec<u32>, String> {
    let bad = || format!("{list:?} is not a list of CPUs such as 0-2,4");
    let mut cpus = Vec::new();
    for part in list.split(',') {
        let (first, last) = part.split_once('-').unwrap_or((part, part));
        let (first, last): (u32, u32) =
            (first.trim().parse().map_err(|_| bad())?, last.trim().parse().map_err(|_| bad())?);
        if first > last || last >= 8192 {
            return Err(bad());
        }
        cpus.extend(first..=last);
    }
    cpus.sort_unstable();
    cpus.dedup();
    Ok(cpus)
}

/// The network a container sees.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    /// Its own namespace, holding only loopback (podman's "none").
    #[default]
    Private,
    /// The host's namespace.
    Host,
    /// A namespace of berthd's on bridge networks (`networks`), set up by
    /// netavark.
    Bridge,
    /// A namespace of berthd's that reaches the host's networks through
    /// pasta, which also publishes its ports: a user's containers, for
    /// whom bridges (the host root's) are out of reach.
    Pasta,
}

/// A host port forwarded to the container's (podman's -p), `range` ports
/// from each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortMapping {
    /// The host address it listens on ("": all).
    #[serde(default)]
    pub host_ip: String,
    pub host_port: u16,
    pub container_port: u16,
    /// tcp, udp or sctp.
    pub protocol: String,
    pub range: u16,
}

impl PortMapping {
    /// Whether the two publish a host port in common.
    pub fn collides(&self, other: &PortMapping) -> bool {
        let ips = self.host_ip.is_empty() || other.host_ip.is_empty() || self.host_ip == other.host_ip;
        let (a, b) = (self.host_port as u32, other.host_port as u32);
        ips && self.protocol == other.protocol && a < b + other.range as u32 && b < a + self.range as u32
    }

    pub fn check(&self) -> crate::error::Result<()> {
        let bad = |why: String| crate::error::Error::invalid_argument("portMappings", why);
        if !matches!(self.protocol.as_str(), "tcp" | "udp" | "sctp") {
            return Err(bad(format!("protocol {:?} is not tcp, udp or sctp", self.protocol)));
        }
        let last = |p: u16| p as u32 + self.range.max(1) as u32 - 1;
        if self.container_port == 0
            || self.host_port == 0
            || last(self.host_port) > 65535
            || last(self.container_port) > 65535
        {
            return Err(bad(format!("port {}:{} is out of range (1-65535)", self.host_port, self.container_port)));
        }
        if !self.host_ip.is_empty() && self.host_ip.parse::<std::net::IpAddr>().is_err() {
            return Err(bad(format!("{:?} is not an IP address", self.host_ip)));
        }
        Ok(())
    }

    /// For a user's container: its host ports are ones an ordinary user may
    /// listen on (from `first`, the kernel's ip_unprivileged_port_start).
    pub fn check_unprivileged(&self, first: u16) -> crate::error::Result<()> {
        match self.host_port < first {
            true => Err(crate::error::Error::invalid_argument(
                "portMappings",
                format!(
                    "host port {} is privileged (below {first}, net.ipv4.ip_unprivileged_port_start): \
                     a user's container cannot publish it",
                    self.host_port
                ),
            )),
            false => Ok(()),
        }
    }
}

/// A create request, transport-neutral. Unset fields take berth.conf defaults.
#[derive(Debug, Clone, Default)]
pub struct CreateSpec {
    pub rootfs: Option<PathBuf>,
    /// podman's `--rootfs DIR:O`: the directory is an overlay's lower layer.
    pub rootfs_overlay: bool,
    /// Host directories and tmpfs mounts (volumes are `volumes`).
    pub mounts: Vec<mount::HostMount>,
    /// The bridge networks it is on (with network "bridge" or a network's
    /// name), its aliases on them, and its published ports.
    pub networks: Vec<String>,
    pub network_aliases: Vec<String>,
    pub port_mappings: Vec<PortMapping>,
    /// Its address on its first network (podman's --ip), and its MAC there.
    pub ip: Option<String>,
    pub mac_address: Option<String>,
    /// What /etc/hosts and /etc/resolv.conf say besides its networks'.
    pub resolution: resolution::NameResolution,
    /// podman's -P: each port the image exposes, at a free host port.
    pub publish_all: bool,
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
    pub secrets: Vec<SecretUseSpec>,
    pub depends_on: Vec<String>,
    pub auto_remove: bool,
    pub restart_policy: Option<String>,
    pub restart_retries: Option<u32>,
    pub healthcheck: Option<health::HealthConfig>,
    pub resources: Resources,
    pub network: Option<String>,
    pub run: RunSpec,
    /// Remove a container of the same name first.
    pub replace: bool,
    /// Where to write the new container's ID (absolute; must not exist).
    pub cid_file: Option<PathBuf>,
}

/// A secret as create is asked to give it; unset fields take podman's
/// defaults (mounted, target = name, uid/gid 0, mode 0444).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecretUseSpec {
    pub name: String,
    pub kind: Option<String>,
    pub target: Option<String>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub mode: Option<u32>,
}

/// podman run's everyday options for the process and its sandbox, as
/// asked for (checked and stored by create as `ContainerConfig` fields).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunSpec {
    pub user: Option<String>,
    pub work_dir: Option<String>,
    /// Replaces the image's entrypoint (and drops its command); empty
    /// means none.
    pub entrypoint: Option<Vec<String>>,
    pub hostname: Option<String>,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub privileged: bool,
    pub read_only: bool,
    pub devices: Vec<String>,
    pub ulimits: Vec<String>,
    pub sysctls: BTreeMap<String, String>,
    pub group_add: Vec<String>,
    pub init: bool,
    pub annotations: BTreeMap<String, String>,
    pub umask: Option<String>,
    pub no_new_privileges: bool,
    pub device_cgroup_rules: Vec<String>,
    pub timeout: Option<u32>,
    pub chroot_dirs: Vec<String>,
    pub host_users: Vec<String>,
    pub conmon_pid_file: Option<String>,
    /// podman's --pid, --uts and --ipc: private (the default), host, ns:PATH.
    pub pid_namespace: Option<String>,
    pub uts_namespace: Option<String>,
    pub ipc_namespace: Option<String>,
    /// Global flags for the OCI runtime, without their leading "--"
    /// (podman's --runtime-flag).
    pub runtime_flags: Vec<String>,
    /// default, unconfined, or the absolute path of a profile file.
    pub seccomp_profile: Option<String>,
    pub unset_env: Vec<String>,
    pub unset_env_all: bool,
    /// A pseudo-terminal for its process (podman's -t).
    pub terminal: bool,
    /// Its stdin stays open for attached clients (podman's -i).
    pub stdin: bool,
    /// Bytes its k8s-file log may hold (podman's --log-opt max-size).
    pub log_size_max: Option<u64>,
    /// podman's --sdnotify, and the NOTIFY_SOCKET of the unit that asked.
    pub sd_notify_mode: Option<String>,
    pub sd_notify_socket: Option<String>,
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

/// podman's `:O` on a volume: the volume is the lower layer of an overlay,
/// so the container's writes go elsewhere: to `upperdir=` (with
/// `workdir=`), where they are kept, or else to a layer emptied at each
/// start.
pub struct VolumeOverlay<'a> {
    pub upper_and_work: Option<(&'a str, &'a str)>,
}

/// The `:O` of mount `options`, checked: upperdir= and workdir= go
/// together, only with O, and are absolute.
pub fn volume_overlay(options: &[String]) -> std::result::Result<Option<VolumeOverlay<'_>>, String> {
    let value = |key: &str| options.iter().find_map(|o| o.strip_prefix(key));
    let (upper, work) = (value("upperdir="), value("workdir="));
    let overlay = options.iter().any(|o| o == "O");
    match (overlay, upper, work) {
        (false, None, None) => Ok(None),
        (false, _, _) => Err("upperdir= and workdir= go with the O option".into()),
        (true, None, None) => Ok(Some(VolumeOverlay { upper_and_work: None })),
        (true, Some(u), Some(w)) if u.starts_with('/') && w.starts_with('/') => {
            Ok(Some(VolumeOverlay { upper_and_work: Some((u, w)) }))
        }
        (true, Some(_), Some(_)) => Err("upperdir= and workdir= must be absolute paths".into()),
        (true, _, _) => Err("upperdir= and workdir= must be given together".into()),
    }
}

/// Everything a container was created with, stored as one JSON document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerConfig {
    pub id: String,
    pub name: String,
    pub rootfs: Option<PathBuf>,
    /// The root directory is the lower layer of an overlay of the
    /// container's own, so the directory itself is never written.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rootfs_overlay: bool,
    pub image: Option<String>,
    /// The image's ID when made from one.
    #[serde(default)]
    pub image_id: Option<String>,
    /// The digest the image was pulled by when the container was made
    /// (podman's ImageDigest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_digest: Option<String>,
    /// What runs before the command (the image's or the one asked for).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entrypoint: Vec<String>,
    /// The command: its arguments after the entrypoint.
    pub command: Vec<String>,
    pub env: BTreeMap<String, String>,
    /// The working directory of its process (the image's, else /).
    #[serde(default)]
    pub workdir: Option<String>,
    /// The working directory is the image's, made at start when missing (one
    /// asked for must exist).
    #[serde(default, skip_serializing_if = "is_false")]
    pub create_workdir: bool,
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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretUse>,
    /// IDs of the containers this one depends on.
    pub depends_on: Vec<String>,
    pub auto_remove: bool,
    /// Whether it is started again when it exits on its own.
    #[serde(default, skip_serializing_if = "is_default")]
    pub restart_policy: restart::RestartPolicy,
    /// on-failure's most restarts in a row (None or 0: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_retries: Option<u32>,
    /// Its health check, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<health::HealthConfig>,
    pub resources: Resources,
    #[serde(default)]
    pub network: Network,
    /// Unix nanoseconds.
    pub created_nanos: i64,
    /// Its hostname (default: the ID's first 12 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Capabilities added to and dropped from podman's default set
    /// (`CAP_NET_ADMIN`; "ALL" for every one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cap_add: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cap_drop: Vec<String>,
    /// Every capability, the host's devices, no masked paths.
    #[serde(default, skip_serializing_if = "is_false")]
    pub privileged: bool,
    /// The root file system is mounted read-only.
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub no_new_privileges: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<Device>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ulimits: Vec<Ulimit>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sysctls: BTreeMap<String, String>,
    /// Supplementary groups (numbers, or names in the container's /etc/group).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_add: Vec<String>,
    /// catatonit runs as PID 1 and reaps what the command leaves.
    #[serde(default, skip_serializing_if = "is_false")]
    pub init: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// The process's umask, four octal digits.
    #[serde(default = "default_umask", skip_serializing_if = "is_default_umask")]
    pub umask: String,
    /// Variables of the default environment (and the image's) left out;
    /// with unsetEnvAll, all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unset_env: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub unset_env_all: bool,
    /// Device cgroup rules (`TYPE MAJOR:MINOR ACCESS`) added to those of
    /// the devices it gets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_cgroup_rules: Vec<String>,
    /// Seconds it may run before conmon kills it (podman's --timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u32>,
    /// Directories its process may chroot into, which get the hosts,
    /// hostname and resolv.conf files too (podman's --chrootdirs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chroot_dirs: Vec<String>,
    /// Users of the host (names or UIDs) added to its /etc/passwd.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host_users: Vec<String>,
    /// A file of the caller's where conmon's PID is written at each start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conmon_pid_file: Option<String>,
    /// Its PID and UTS namespaces: private (its own), host, or ns:PATH.
    #[serde(default = "private", skip_serializing_if = "is_private")]
    pub pid_namespace: String,
    #[serde(default = "private", skip_serializing_if = "is_private")]
    pub uts_namespace: String,
    #[serde(default = "private", skip_serializing_if = "is_private")]
    pub ipc_namespace: String,
    /// Global flags for each call of the OCI runtime, as `--flag[=value]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runtime_flags: Vec<String>,
    /// Its seccomp profile: berth's default (None), "unconfined", or the
    /// path of a profile file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seccomp_profile: Option<String>,
    /// Its process has a pseudo-terminal, which conmon holds and serves
    /// to attached clients.
    #[serde(default, skip_serializing_if = "is_false")]
    pub terminal: bool,
    /// Attached clients may write to its stdin (without a terminal, a
    /// pipe that closes when the last client that wrote ends).
    #[serde(default, skip_serializing_if = "is_false")]
    pub stdin: bool,
    /// The most bytes its k8s-file log holds before conmon starts it anew
    /// (None: berth.conf's log_size_max).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_size_max: Option<u64>,
    /// What its start tells the systemd unit that ran it, and that unit's
    /// notify socket (given only from inside a unit).
    #[serde(default, skip_serializing_if = "is_default")]
    pub sd_notify_mode: notify::SdNotifyMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sd_notify_socket: Option<String>,
    /// Host directories and tmpfs mounts, in the runtime's form.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<mount::HostMount>,
    /// With network Bridge: the networks (its addresses on them are the
    /// catalogue's) and its published ports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub networks: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub port_mappings: Vec<PortMapping>,
    /// podman's --network container:ID: the container whose network
    /// namespace it joins (a dependency: started first, not removed while
    /// this one is there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_container: Option<String>,
    /// A pod member given a network of its own: it does not join the
    /// pod's network namespace.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub own_network: bool,
    /// Its MAC address on its first network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    #[serde(default, skip_serializing_if = "resolution::NameResolution::is_empty")]
    pub resolution: resolution::NameResolution,
}

fn private() -> String {
    "private".into()
}

// What the options take by default is not stored: a record stays as small
// (and as quick to read) as one of a container that uses none of them.
fn is_private(mode: &str) -> bool {
    mode == "private"
}

fn is_default_umask(umask: &str) -> bool {
    umask == "0022"
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

fn default_umask() -> String {
    "0022".into()
}

impl Default for ContainerConfig {
    /// The empty configuration create fills in: podman's defaults where a
    /// field has one of its own.
    fn default() -> Self {
        ContainerConfig {
            id: String::new(),
            name: String::new(),
            rootfs: None,
            rootfs_overlay: false,
            image: None,
            image_id: None,
            image_digest: None,
            entrypoint: Vec::new(),
            command: Vec::new(),
            env: BTreeMap::new(),
            workdir: None,
            create_workdir: false,
            user: None,
            labels: BTreeMap::new(),
            pod: None,
            is_infra: false,
            stop_signal: 15,
            stop_timeout: 10,
            shm_size: 64 << 20,
            timezone: String::new(),
            log_driver: "k8s-file".into(),
            runtime: String::new(),
            runtime_path: PathBuf::new(),
            cgroup_manager: CgroupManager::Systemd,
            cgroup_parent: None,
            no_cgroups: false,
            volumes: Vec::new(),
            secrets: Vec::new(),
            depends_on: Vec::new(),
            auto_remove: false,
            restart_policy: restart::RestartPolicy::No,
            restart_retries: None,
            healthcheck: None,
            resources: Resources::default(),
            network: Network::default(),
            created_nanos: 0,
            hostname: None,
            cap_add: Vec::new(),
            cap_drop: Vec::new(),
            privileged: false,
            read_only: false,
            no_new_privileges: false,
            devices: Vec::new(),
            ulimits: Vec::new(),
            sysctls: BTreeMap::new(),
            group_add: Vec::new(),
            init: false,
            annotations: BTreeMap::new(),
            umask: default_umask(),
            unset_env: Vec::new(),
            unset_env_all: false,
            device_cgroup_rules: Vec::new(),
            timeout: None,
            chroot_dirs: Vec::new(),
            host_users: Vec::new(),
            conmon_pid_file: None,
            pid_namespace: private(),
            uts_namespace: private(),
            ipc_namespace: private(),
            runtime_flags: Vec::new(),
            seccomp_profile: None,
            terminal: false,
            stdin: false,
            log_size_max: None,
            sd_notify_mode: notify::SdNotifyMode::Container,
            sd_notify_socket: None,
            mounts: Vec::new(),
            networks: Vec::new(),
            port_mappings: Vec::new(),
            network_container: None,
            own_network: false,
            mac_address: None,
            resolution: Default::default(),
        }
    }
}

impl ContainerConfig {
    /// Its hostname: the one asked for, or the first 12 characters of its ID.
    /// (In the host's UTS namespace it has the host's, which this is not.)
    pub fn hostname(&self) -> &str {
        self.hostname.as_deref().unwrap_or(&self.id[..self.id.len().min(12)])
    }

    /// The process's arguments: the entrypoint, then the command.
    pub fn args(&self) -> Vec<String> {
        self.entrypoint.iter().chain(&self.command).cloned().collect()
    }
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
    /// Its published ports (podman's PORTS).
    pub ports: Vec<PortMapping>,
    /// The bridge networks it is on (filled in by a list).
    pub networks: Vec<String>,
    /// Its health status, when it has a health check that has run or been
    /// started.
    pub health: Option<String>,
}
