//! The requests both transports decode into, with the field names of
//! `interfaces/` (varlink takes them as parameters, D-Bus as the keys of an
//! options dictionary), and what each becomes for the runtime. Neither
//! transport knows the other: each decodes into these.

use crate::error::{Error, Result};
use crate::model::container::{CreateSpec, Resources as SpecResources, RunSpec, SecretUseSpec, VolumeSpec};
use crate::model::pod::PodSpec;
use serde::Deserialize;
use std::collections::BTreeMap;

/// io.berth.Container.CreateOptions.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOptions {
    pub rootfs: Option<String>,
    pub rootfs_overlay: Option<bool>,
    pub image: Option<String>,
    pub command: Vec<String>,
    pub env: Option<BTreeMap<String, String>>,
    pub labels: Option<BTreeMap<String, String>>,
    pub name: Option<String>,
    pub pod: Option<String>,
    pub stop_signal: Option<String>,
    pub stop_timeout: Option<i64>,
    pub shm_size: Option<String>,
    pub timezone: Option<String>,
    pub log_driver: Option<String>,
    pub runtime: Option<String>,
    pub cgroup_parent: Option<String>,
    pub no_cgroups: Option<bool>,
    pub volumes: Option<Vec<VolumeMount>>,
    pub secrets: Option<Vec<SecretUse>>,
    pub depends_on: Option<Vec<String>>,
    pub auto_remove: Option<bool>,
    pub restart_policy: Option<String>,
    pub restart_retries: Option<i64>,
    pub healthcheck: Option<HealthCheck>,
    pub resources: Option<Resources>,
    pub network: Option<String>,
    pub replace: Option<bool>,
    pub cid_file: Option<String>,
    pub user: Option<String>,
    pub work_dir: Option<String>,
    pub entrypoint: Option<Vec<String>>,
    pub hostname: Option<String>,
    pub cap_add: Option<Vec<String>>,
    pub cap_drop: Option<Vec<String>>,
    pub privileged: Option<bool>,
    pub read_only: Option<bool>,
    pub no_new_privileges: Option<bool>,
    pub devices: Option<Vec<String>>,
    pub ulimits: Option<Vec<String>>,
    pub sysctls: Option<BTreeMap<String, String>>,
    pub group_add: Option<Vec<String>>,
    pub init: Option<bool>,
    pub annotations: Option<BTreeMap<String, String>>,
    pub umask: Option<String>,
    pub unset_env: Option<Vec<String>>,
    pub unset_env_all: Option<bool>,
    pub device_cgroup_rules: Option<Vec<String>>,
    pub timeout: Option<i64>,
    pub chroot_dirs: Option<Vec<String>>,
    pub host_users: Option<Vec<String>>,
    pub conmon_pid_file: Option<String>,
    pub pid: Option<String>,
    pub uts: Option<String>,
    pub ipc: Option<String>,
    pub runtime_flags: Option<Vec<String>>,
    pub seccomp_profile: Option<String>,
    pub terminal: Option<bool>,
    pub stdin: Option<bool>,
    pub log_size_max: Option<i64>,
    pub sd_notify_mode: Option<String>,
    pub sd_notify_socket: Option<String>,
    pub mounts: Option<Vec<Mount>>,
    pub networks: Option<Vec<String>>,
    pub network_aliases: Option<Vec<String>>,
    pub port_mappings: Option<Vec<PortMapping>>,
    pub ip: Option<String>,
    pub publish_all: Option<bool>,
    pub mac_address: Option<String>,
    #[serde(flatten)]
    pub resolution: Resolution,
}

/// podman's --dns, --dns-search, --dns-option, --add-host and --no-hosts,
/// of a container or a pod.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolution {
    pub dns: Option<Vec<String>>,
    pub dns_search: Option<Vec<String>>,
    pub dns_options: Option<Vec<String>>,
    pub add_hosts: Option<Vec<String>>,
    pub no_hosts: Option<bool>,
}

impl Resolution {
    fn into_model(self) -> crate::model::container::resolution::NameResolution {
        crate::model::container::resolution::NameResolution {
            dns_servers: self.dns.unwrap_or_default(),
            dns_search: self.dns_search.unwrap_or_default(),
            dns_options: self.dns_options.unwrap_or_default(),
            add_hosts: self.add_hosts.unwrap_or_default(),
            no_hosts: self.no_hosts.unwrap_or(false),
        }
    }
}

/// A published port (podman's -p): containerPort (and range-1 after it)
/// reached at hostPort on hostIp (default: every address), tcp by default.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortMapping {
    pub host_ip: Option<String>,
    pub host_port: i64,
    pub container_port: i64,
    pub protocol: Option<String>,
    pub range: Option<i64>,
}

impl PortMapping {
    fn all(given: Option<Vec<PortMapping>>) -> Result<Vec<crate::model::container::PortMapping>> {
        given.unwrap_or_default().into_iter().map(PortMapping::into_spec).collect()
    }

    fn into_spec(self) -> Result<crate::model::container::PortMapping> {
        let port = |p: i64| {
            u16::try_from(p)
                .map_err(|_| Error::invalid_argument("portMappings", format!("port {p} is out of range (1-65535)")))
        };
        Ok(crate::model::container::PortMapping {
            host_ip: self.host_ip.unwrap_or_default(),
            host_port: port(self.host_port)?,
            container_port: port(self.container_port)?,
            protocol: self.protocol.unwrap_or_else(|| "tcp".into()),
            range: port(self.range.unwrap_or(1))?,
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct VolumeMount {
    pub name: Option<String>,
    pub destination: String,
    pub options: Option<Vec<String>>,
}

impl VolumeMount {
    fn into_spec(self) -> VolumeSpec {
        // --mount's chown[=true] and U[=true] are -v's U.
        let options = self
            .options
            .unwrap_or_default()
            .into_iter()
            .filter(|o| !matches!(o.as_str(), "chown=false" | "U=false"))
            .map(|o| if matches!(o.as_str(), "chown" | "chown=true" | "U=true") { "U".to_string() } else { o })
            .collect();
        VolumeSpec { name: self.name, destination: self.destination, options }
    }
}

/// A mount: type "bind" (a host path), "tmpfs" or "volume" (source its
/// name; none: an anonymous one), as podman's --mount.
#[derive(Debug, Deserialize)]
pub struct Mount {
    #[serde(rename = "type")]
    pub kind: String,
    pub source: Option<String>,
    pub destination: String,
    pub options: Option<Vec<String>>,
}

/// Mounts split by what they are: volumes, and the others.
fn split_mounts(mounts: Vec<Mount>) -> Result<(Vec<VolumeSpec>, Vec<crate::model::container::mount::HostMount>)> {
    use crate::model::container::mount::{HostMount, MountKind};
    let (mut volumes, mut others) = (Vec::new(), Vec::new());
    for m in mounts {
        let options = m.options.unwrap_or_default();
        let kind = match m.kind.as_str() {
            "bind" => MountKind::Bind,
            "tmpfs" => MountKind::Tmpfs,
            "image" => MountKind::Image,
            "volume" => {
                volumes.push(
                    VolumeMount { name: m.source, destination: m.destination, options: Some(options) }.into_spec(),
                );
                continue;
            }
            other => {
                return Err(Error::invalid_argument(
                    "mounts",
                    format!("{}: type {other:?} is not bind, tmpfs, volume or image", m.destination),
                ))
            }
        };
        others.push(HostMount {
            kind,
            source: m.source,
            destination: m.destination,
            options,
            image_id: None,
            chown: false,
        });
    }
    Ok((volumes, others))
}

#[derive(Debug, Deserialize)]
pub struct SecretUse {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub target: Option<String>,
    pub uid: Option<i64>,
    pub gid: Option<i64>,
    pub mode: Option<i64>,
}

impl SecretUse {
    fn into_spec(self) -> Result<SecretUseSpec> {
        let id = |field: &str, v: Option<i64>| {
            v.map(|v| u32::try_from(v).map_err(|_| Error::invalid_argument(field, format!("{v} is not a valid ID"))))
                .transpose()
        };
        Ok(SecretUseSpec {
            name: self.name,
            kind: self.kind,
            target: self.target,
            uid: id("secrets.uid", self.uid)?,
            gid: id("secrets.gid", self.gid)?,
            mode: id("secrets.mode", self.mode)?,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resources {
    pub memory_max: Option<i64>,
    pub pids_max: Option<i64>,
    pub cpu_weight: Option<i64>,
    pub memory_swap: Option<i64>,
    pub nano_cpus: Option<i64>,
    pub cpuset_cpus: Option<String>,
}

impl Resources {
    fn into_model(self) -> SpecResources {
        SpecResources {
            memory_max: self.memory_max.map(|v| v.max(0) as u64),
            pids_max: self.pids_max.map(|v| v.max(0) as u64),
            cpu_weight: self.cpu_weight.map(|v| v.max(0) as u64),
            memory_swap: self.memory_swap,
            nano_cpus: self.nano_cpus.map(|v| v.max(0) as u64),
            cpuset_cpus: self.cpuset_cpus,
        }
    }
}

impl CreateOptions {
    /// The container the runtime is asked to create.
    pub fn into_spec(self) -> Result<CreateSpec> {
        let (mount_volumes, mounts) = split_mounts(self.mounts.unwrap_or_default())?;
        if self.stop_timeout.is_some_and(|t| t < 0) {
            return Err(Error::invalid_argument("stopTimeout", "must not be negative"));
        }
        Ok(CreateSpec {
            rootfs: self.rootfs.map(Into::into),
            rootfs_overlay: self.rootfs_overlay.unwrap_or(false),
            image: self.image,
            command: self.command,
            env: self.env.unwrap_or_default(),
            labels: self.labels.unwrap_or_default(),
            name: self.name,
            pod: self.pod,
            stop_signal: self.stop_signal,
            stop_timeout: seconds("stopTimeout", self.stop_timeout)?,
            shm_size: self.shm_size,
            timezone: self.timezone,
            log_driver: self.log_driver,
            runtime: self.runtime,
            cgroup_parent: self.cgroup_parent,
            no_cgroups: self.no_cgroups.unwrap_or(false),
            volumes: self
                .volumes
                .unwrap_or_default()
                .into_iter()
                .map(VolumeMount::into_spec)
                .chain(mount_volumes)
                .collect(),
            mounts,
            networks: self.networks.unwrap_or_default(),
            network_aliases: self.network_aliases.unwrap_or_default(),
            port_mappings: PortMapping::all(self.port_mappings)?,
            ip: self.ip,
            mac_address: self.mac_address,
            resolution: self.resolution.into_model(),
            publish_all: self.publish_all.unwrap_or(false),
            secrets: self.secrets.unwrap_or_default().into_iter().map(SecretUse::into_spec).collect::<Result<_>>()?,
            depends_on: self.depends_on.unwrap_or_default(),
            auto_remove: self.auto_remove.unwrap_or(false),
            restart_policy: self.restart_policy,
            restart_retries: restart_retries(self.restart_retries)?,
            healthcheck: self.healthcheck.map(HealthCheck::into_config).transpose()?.flatten(),
            resources: self.resources.map(Resources::into_model).unwrap_or_default(),
            network: self.network,
            replace: self.replace.unwrap_or(false),
            cid_file: self.cid_file.map(Into::into),
            run: RunSpec {
                user: self.user,
                work_dir: self.work_dir,
                entrypoint: self.entrypoint,
                hostname: self.hostname,
                cap_add: self.cap_add.unwrap_or_default(),
                cap_drop: self.cap_drop.unwrap_or_default(),
                privileged: self.privileged.unwrap_or(false),
                read_only: self.read_only.unwrap_or(false),
                devices: self.devices.unwrap_or_default(),
                ulimits: self.ulimits.unwrap_or_default(),
                sysctls: self.sysctls.unwrap_or_default(),
                group_add: self.group_add.unwrap_or_default(),
                init: self.init.unwrap_or(false),
                annotations: self.annotations.unwrap_or_default(),
                umask: self.umask,
                no_new_privileges: self.no_new_privileges.unwrap_or(false),
                unset_env: self.unset_env.unwrap_or_default(),
                unset_env_all: self.unset_env_all.unwrap_or(false),
                device_cgroup_rules: self.device_cgroup_rules.unwrap_or_default(),
                timeout: seconds("timeout", self.timeout)?,
                chroot_dirs: self.chroot_dirs.unwrap_or_default(),
                host_users: self.host_users.unwrap_or_default(),
                conmon_pid_file: self.conmon_pid_file,
                pid_namespace: self.pid,
                uts_namespace: self.uts,
                ipc_namespace: self.ipc,
                runtime_flags: self.runtime_flags.unwrap_or_default(),
                seccomp_profile: self.seccomp_profile,
                terminal: self.terminal.unwrap_or(false),
                stdin: self.stdin.unwrap_or(false),
                // Negative: no limit (podman's -1).
                log_size_max: self.log_size_max.and_then(|n| u64::try_from(n).ok()).filter(|n| *n > 0),
                sd_notify_mode: self.sd_notify_mode,
                sd_notify_socket: self.sd_notify_socket,
            },
        })
    }
}

/// io.berth.Pod.Create's parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodCreate {
    pub name: Option<String>,
    pub labels: Option<BTreeMap<String, String>>,
    pub cgroup_parent: Option<String>,
    pub share_cgroup: Option<bool>,
    pub infra: Option<bool>,
    pub infra_name: Option<String>,
    pub share: Option<Vec<String>>,
    pub hostname: Option<String>,
    pub exit_policy: Option<String>,
    pub volumes: Option<Vec<VolumeMount>>,
    pub volumes_from: Option<Vec<String>>,
    pub devices: Option<Vec<String>>,
    pub sysctls: Option<BTreeMap<String, String>>,
    pub shm_size: Option<String>,
    pub infra_command: Option<Vec<String>>,
    pub infra_image: Option<String>,
    pub pid: Option<String>,
    pub uts: Option<String>,
    pub nano_cpus: Option<i64>,
    pub cpuset_cpus: Option<String>,
    pub seccomp_profile: Option<String>,
    pub network: Option<String>,
    pub networks: Option<Vec<String>>,
    pub network_aliases: Option<Vec<String>>,
    pub port_mappings: Option<Vec<PortMapping>>,
    pub ip: Option<String>,
    pub mac_address: Option<String>,
    #[serde(flatten)]
    pub resolution: Resolution,
}

impl PodCreate {
    /// The pod the runtime is asked to create.
    pub fn into_spec(self) -> Result<PodSpec> {
        Ok(PodSpec {
            name: self.name,
            labels: self.labels.unwrap_or_default(),
            cgroup_parent: self.cgroup_parent,
            share_cgroup: self.share_cgroup,
            // Naming the infra container asks for one, as in podman.
            infra: self.infra.unwrap_or(self.infra_name.is_some()),
            infra_name: self.infra_name,
            share: self.share,
            hostname: self.hostname,
            exit_policy: self.exit_policy,
            volumes: self.volumes.unwrap_or_default().into_iter().map(VolumeMount::into_spec).collect(),
            volumes_from: self.volumes_from.unwrap_or_default(),
            devices: self.devices.unwrap_or_default(),
            sysctls: self.sysctls.unwrap_or_default(),
            shm_size: self.shm_size,
            infra_command: self.infra_command,
            infra_image: self.infra_image,
            pid: self.pid,
            uts: self.uts,
            resources: crate::model::container::Resources {
                nano_cpus: self.nano_cpus.map(|v| v.max(0) as u64),
                cpuset_cpus: self.cpuset_cpus,
                ..Default::default()
            },
            seccomp_profile: self.seccomp_profile,
            network: self.network,
            networks: self.networks.unwrap_or_default(),
            network_aliases: self.network_aliases.unwrap_or_default(),
            port_mappings: PortMapping::all(self.port_mappings)?,
            ip: self.ip,
            mac_address: self.mac_address,
            resolution: self.resolution.into_model(),
        })
    }
}

/// A request as decoded by one transport's generated types, taken as one of
/// these (the same field names, so the same JSON).
pub fn from_wire<T: serde::de::DeserializeOwned>(value: impl serde::Serialize) -> Result<T> {
    serde_json::to_value(value)
        .and_then(serde_json::from_value)
        .map_err(|e| Error::invalid_argument("options", e.to_string()))
}

/// A timeout in seconds from the wire (negative means none given). More
/// than a u32 of seconds (Podman's limit too, 136 years) cannot be
/// honoured: InvalidArgument naming `field`.
pub fn seconds(field: &str, t: Option<i64>) -> Result<Option<u32>> {
    match t.filter(|t| *t >= 0) {
        None => Ok(None),
        Some(t) => u32::try_from(t)
            .map(Some)
            .map_err(|_| Error::invalid_argument(field, format!("{t} seconds; at most {} are taken", u32::MAX))),
    }
}

/// What of a log to read, from the wire: a negative tail is all of it
/// (podman's -1); since and until as `timestamp::parse` takes them,
/// InvalidArgument naming the one that is not a time.
pub fn log_options(
    tail: Option<i64>,
    since: Option<&str>,
    until: Option<&str>,
    now_nanos: i64,
) -> Result<crate::runtime::LogOptions> {
    let time = |field: &str, value: Option<&str>| -> Result<Option<i64>> {
        value
            .map(|v| {
                crate::timestamp::parse(v, now_nanos).ok_or_else(|| {
                    Error::invalid_argument(
                        field,
                        format!("{v}: expected Unix seconds, an RFC 3339 time or a duration like 10m"),
                    )
                })
            })
            .transpose()
    };
    Ok(crate::runtime::LogOptions {
        tail: tail.and_then(|t| usize::try_from(t).ok()),
        since: time("since", since)?,
        until: time("until", until)?,
    })
}

/// on-failure's retries from the wire: a count a u32 holds.
pub fn restart_retries(retries: Option<i64>) -> Result<Option<u32>> {
    retries
        .map(|r| u32::try_from(r).map_err(|_| Error::invalid_argument("restartRetries", format!("{r} is not a count"))))
        .transpose()
}

/// Update's changes, as both transports decode them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateOptions {
    pub resources: Option<Resources>,
    pub restart_policy: Option<String>,
    pub restart_retries: Option<i64>,
}

impl UpdateOptions {
    /// What the runtime is asked to change.
    pub fn into_update(self) -> Result<crate::runtime::Update> {
        Ok(crate::runtime::Update {
            resources: self.resources.map(Resources::into_model),
            restart_policy: self.restart_policy,
            restart_retries: restart_retries(self.restart_retries)?,
        })
    }
}

/// A health check from the wire: podman's test form, seconds.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheck {
    pub test: Vec<String>,
    pub interval: Option<i64>,
    pub timeout: Option<i64>,
    pub retries: Option<i64>,
    pub start_period: Option<i64>,
    pub on_failure: Option<String>,
}

impl HealthCheck {
    fn into_config(self) -> Result<Option<crate::model::container::health::HealthConfig>> {
        let count = |field: &str, v: Option<i64>| -> Result<Option<u32>> {
            v.map(|n| {
                u32::try_from(n).map_err(|_| Error::invalid_argument(field, format!("{n} is not a count of seconds")))
            })
            .transpose()
        };
        crate::model::container::health::HealthConfig::from_test(
            &self.test,
            count("healthcheck.interval", self.interval)?,
            count("healthcheck.timeout", self.timeout)?,
            count("healthcheck.retries", self.retries)?,
            count("healthcheck.startPeriod", self.start_period)?,
            self.on_failure.as_deref(),
        )
    }
}
