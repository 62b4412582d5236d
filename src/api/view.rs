//! What Inspect shows, as both transports send it: the `ContainerInfo`,
//! `PodInfo` and `ImageInfo` of the interface files. The models keep times
//! in nanoseconds for ordering; callers get systemd's rule, microseconds
//! since the epoch, so that a time means the same on varlink, on D-Bus and
//! beside systemd's own properties. The views borrow from the runtime's
//! answer: an inspect is serialized once, straight from the record.

use crate::model::container::{Device, MountedVolume, Resources, SecretUse, Ulimit};
use crate::model::image::{Image, ImageConfig};
use crate::runtime::{ContainerInspect, InspectMount, PodInfo};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Microseconds since the epoch, from the models' nanoseconds.
pub fn usec(nanos: i64) -> i64 {
    nanos / 1_000
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerView<'a> {
    id: &'a str,
    name: &'a str,
    /// The program and its arguments (podman's Path and Args).
    path: &'a str,
    args: Vec<&'a str>,
    /// The image's ID and name, as podman's Image and ImageName.
    image: &'a Option<String>,
    image_name: &'a Option<String>,
    image_digest: &'a Option<String>,
    conmon_pid_file: &'a Path,
    pid_file: &'a Path,
    log_path: Option<&'a Path>,
    mounts: &'a [InspectMount],
    /// Its bridge networks (its address and aliases on each) and published ports.
    networks: Vec<NetworkView<'a>>,
    ports: &'a [crate::model::container::PortMapping],
    config: ContainerConfigView<'a>,
    state: ContainerStateView<'a>,
    pod_name: &'a Option<String>,
    dependents: &'a [String],
    exec_sessions: &'a [String],
    unit: &'a Option<String>,
    rw_size: Option<u64>,
    root_fs_size: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NetworkView<'a> {
    name: &'a str,
    ip_address: &'a str,
    aliases: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContainerConfigView<'a> {
    id: &'a str,
    name: &'a str,
    rootfs: Option<&'a Path>,
    image: &'a Option<String>,
    image_id: &'a Option<String>,
    entrypoint: &'a [String],
    command: &'a [String],
    env: &'a BTreeMap<String, String>,
    workdir: &'a Option<String>,
    user: &'a Option<String>,
    labels: &'a BTreeMap<String, String>,
    pod: &'a Option<String>,
    is_infra: bool,
    stop_signal: i32,
    stop_timeout: u32,
    shm_size: u64,
    timezone: &'a str,
    log_driver: &'a str,
    runtime: &'a str,
    runtime_path: &'a Path,
    cgroup_manager: crate::config::CgroupManager,
    cgroup_parent: &'a Option<String>,
    no_cgroups: bool,
    volumes: &'a [MountedVolume],
    secrets: &'a [SecretUse],
    depends_on: &'a [String],
    auto_remove: bool,
    resources: &'a Resources,
    network: crate::model::container::Network,
    created: i64,
    hostname: &'a str,
    cap_add: &'a [String],
    cap_drop: &'a [String],
    privileged: bool,
    read_only: bool,
    no_new_privileges: bool,
    devices: &'a [Device],
    ulimits: &'a [Ulimit],
    sysctls: &'a BTreeMap<String, String>,
    group_add: &'a [String],
    init: bool,
    annotations: &'a BTreeMap<String, String>,
    umask: &'a str,
    unset_env: &'a [String],
    unset_env_all: bool,
    device_cgroup_rules: &'a [String],
    timeout: Option<u32>,
    chroot_dirs: &'a [String],
    host_users: &'a [String],
    conmon_pid_file: &'a Option<String>,
    pid_namespace: &'a str,
    uts_namespace: &'a str,
    ipc_namespace: &'a str,
    runtime_flags: &'a [String],
    seccomp_profile: &'a str,
    terminal: bool,
    stdin: bool,
    log_size_max: Option<u64>,
    sd_notify_mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sd_notify_socket: &'a Option<String>,
    restart_policy: &'static str,
    restart_retries: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    healthcheck: &'a Option<crate::model::container::health::HealthConfig>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContainerStateView<'a> {
    state: &'a str,
    exit_code: Option<i32>,
    pid: Option<i32>,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    conmon_pid: Option<i32>,
    restart_count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    health: Option<HealthView<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HealthView<'a> {
    status: &'static str,
    failing_streak: u32,
    log: Vec<HealthResultView<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HealthResultView<'a> {
    start: i64,
    end: i64,
    exit_code: i32,
    output: &'a str,
}

impl<'a> HealthView<'a> {
    fn of(h: &'a crate::model::container::health::HealthState) -> Self {
        HealthView {
            status: h.status.as_str(),
            failing_streak: h.failing_streak,
            log: h
                .log
                .iter()
                .map(|r| HealthResultView {
                    start: usec(r.start),
                    end: usec(r.end),
                    exit_code: r.exit_code,
                    output: &r.output,
                })
                .collect(),
        }
    }
}

impl<'a> ContainerView<'a> {
    pub fn of(i: &'a ContainerInspect) -> Self {
        let c = &i.config;
        let s = &i.state;
        let mut argv = c.entrypoint.iter().chain(&c.command).map(String::as_str);
        ContainerView {
            id: &i.id,
            name: &i.name,
            path: argv.next().unwrap_or_default(),
            args: argv.collect(),
            image: &c.image_id,
            image_name: &c.image,
            image_digest: &c.image_digest,
            conmon_pid_file: &i.conmon_pid_file,
            pid_file: &i.pid_file,
            log_path: i.log_path.as_deref(),
            mounts: &i.mounts,
            networks: i
                .networks
                .iter()
                .map(|a| NetworkView { name: &a.network, ip_address: &a.ip, aliases: &a.aliases })
                .collect(),
            ports: &c.port_mappings,
            config: ContainerConfigView {
                id: &c.id,
                name: &c.name,
                rootfs: c.rootfs.as_deref(),
                image: &c.image,
                image_id: &c.image_id,
                entrypoint: &c.entrypoint,
                command: &c.command,
                env: &c.env,
                workdir: &c.workdir,
                user: &c.user,
                labels: &c.labels,
                pod: &c.pod,
                is_infra: c.is_infra,
                stop_signal: c.stop_signal,
                stop_timeout: c.stop_timeout,
                shm_size: c.shm_size,
                timezone: &c.timezone,
                log_driver: &c.log_driver,
                runtime: &c.runtime,
                runtime_path: &c.runtime_path,
                cgroup_manager: c.cgroup_manager,
                cgroup_parent: &c.cgroup_parent,
                no_cgroups: c.no_cgroups,
                volumes: &c.volumes,
                secrets: &c.secrets,
                depends_on: &c.depends_on,
                auto_remove: c.auto_remove,
                resources: &c.resources,
                network: c.network,
                created: usec(c.created_nanos),
                hostname: c.hostname(),
                cap_add: &c.cap_add,
                cap_drop: &c.cap_drop,
                privileged: c.privileged,
                read_only: c.read_only,
                no_new_privileges: c.no_new_privileges,
                devices: &c.devices,
                ulimits: &c.ulimits,
                sysctls: &c.sysctls,
                group_add: &c.group_add,
                init: c.init,
                annotations: &c.annotations,
                umask: &c.umask,
                unset_env: &c.unset_env,
                unset_env_all: c.unset_env_all,
                device_cgroup_rules: &c.device_cgroup_rules,
                timeout: c.timeout,
                chroot_dirs: &c.chroot_dirs,
                host_users: &c.host_users,
                conmon_pid_file: &c.conmon_pid_file,
                pid_namespace: &c.pid_namespace,
                uts_namespace: &c.uts_namespace,
                ipc_namespace: &c.ipc_namespace,
                runtime_flags: &c.runtime_flags,
                seccomp_profile: c.seccomp_profile.as_deref().unwrap_or(if c.privileged {
                    "unconfined"
                } else {
                    "default"
                }),
                terminal: c.terminal,
                stdin: c.stdin,
                log_size_max: c.log_size_max,
                sd_notify_mode: c.sd_notify_mode.as_str(),
                sd_notify_socket: &c.sd_notify_socket,
                restart_policy: c.restart_policy.as_str(),
                restart_retries: c.restart_retries,
                healthcheck: &c.healthcheck,
            },
            state: ContainerStateView {
                state: s.state.as_str(),
                exit_code: s.exit_code,
                pid: s.pid,
                started_at: s.started_at.map(usec),
                finished_at: s.finished_at.map(usec),
                conmon_pid: i.conmon_pid,
                restart_count: i.restart_count,
                health: i.health.as_ref().map(HealthView::of),
            },
            pod_name: &i.pod_name,
            dependents: &i.dependents,
            exec_sessions: &i.exec_sessions,
            unit: &i.unit,
            rw_size: i.rw_size,
            root_fs_size: i.root_fs_size,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodView<'a> {
    id: &'a str,
    name: &'a str,
    labels: &'a BTreeMap<String, String>,
    cgroup_manager: crate::config::CgroupManager,
    cgroup_parent: &'a str,
    share_cgroup: bool,
    cgroup_path: &'a Option<String>,
    infra_id: &'a Option<String>,
    created: i64,
    shared_namespaces: &'a [String],
    hostname: &'a Option<String>,
    exit_policy: &'a str,
    shm_size: Option<u64>,
    /// podman's CPUPeriod, CPUQuota and CPUSetCPUs of the pod.
    cpu_period: Option<u64>,
    cpu_quota: Option<u64>,
    cpuset_cpus: &'a Option<String>,
    containers: &'a [String],
}

impl<'a> PodView<'a> {
    pub fn of(p: &'a PodInfo) -> Self {
        let c = &p.config;
        PodView {
            id: &c.id,
            name: &c.name,
            labels: &c.labels,
            cgroup_manager: c.cgroup_manager,
            cgroup_parent: &c.cgroup_parent,
            share_cgroup: c.share_cgroup,
            cgroup_path: &c.cgroup_path,
            infra_id: &c.infra_id,
            created: usec(c.created_nanos),
            shared_namespaces: &c.shared_namespaces,
            hostname: &c.hostname,
            exit_policy: &c.exit_policy,
            shm_size: c.shm_size,
            cpu_period: c.resources.nano_cpus.map(|_| crate::oci::cgroupfs::CPU_PERIOD),
            cpu_quota: c.resources.nano_cpus.map(crate::oci::cgroupfs::cpu_quota),
            cpuset_cpus: &c.resources.cpuset_cpus,
            containers: &p.containers,
        }
    }
}

#[derive(Serialize)]
pub struct ImageView<'a> {
    id: &'a str,
    names: &'a [String],
    created: i64,
    size: u64,
    digest: &'a Option<String>,
    config: &'a ImageConfig,
}

impl<'a> ImageView<'a> {
    pub fn of(i: &'a Image) -> Self {
        ImageView {
            id: &i.id,
            names: &i.names,
            created: usec(i.created),
            size: i.size,
            digest: &i.digest,
            config: &i.config,
        }
    }
}
