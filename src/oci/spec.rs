//! The OCI runtime spec (config.json) of a container, built with oci-spec from
//! its stored configuration, the way Podman fills one in: Podman's default
//! capabilities, masked and read-only paths, the usual mounts with /dev/shm
//! sized by shmSize, private namespaces (the network one holds only loopback),
//! /etc/hosts, /etc/hostname, /etc/resolv.conf and /etc/localtime, volumes and
//! secrets as bind mounts, the resource limits, and podman run's options
//! (user and groups, capabilities, privileged, read-only root, devices,
//! ulimits, sysctls, init, annotations).

use crate::config::CgroupManager;
use crate::error::{Error, Result};
use crate::model::container::{ContainerConfig, Network};
use crate::storage::overlay;
use oci_spec::runtime::{
    Capability, LinuxBuilder, LinuxCapabilitiesBuilder, LinuxCpuBuilder, LinuxDevice, LinuxDeviceBuilder,
    LinuxDeviceCgroup, LinuxDeviceCgroupBuilder, LinuxDeviceType, LinuxMemoryBuilder, LinuxPidsBuilder,
    LinuxResourcesBuilder, Mount, MountBuilder, PosixRlimitBuilder, PosixRlimitType, ProcessBuilder, RootBuilder, Spec,
    User, UserBuilder,
};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Podman's default capability set (containers.conf default_capabilities).
pub const DEFAULT_CAPABILITIES: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Files made on the host for the container and bind-mounted into it.
pub struct HostFiles {
    pub hosts: PathBuf,
    pub hostname: PathBuf,
    pub resolv_conf: PathBuf,
    /// /run/.containerenv: empty, or who made the container when privileged.
    pub container_env: PathBuf,
    /// Where a mounted secret appears -> its copy in the bundle.
    pub secret_files: Vec<(String, PathBuf)>,
    /// Variables that env secrets give, with their values.
    pub secret_env: Vec<(String, String)>,
    /// Volume name -> its directory on the host.
    pub volume_dirs: Vec<PathBuf>,
    /// For each volume mounted with `:O`, its overlay's upper and work
    /// directories.
    pub volume_layers: Vec<Option<(PathBuf, PathBuf)>>,
    /// The same for each host mount (`mounts`) mounted with `:O`.
    pub mount_layers: Vec<Option<(PathBuf, PathBuf)>>,
    /// Per host mount, the layers of the image it mounts, topmost first.
    pub image_lowers: Vec<Vec<PathBuf>>,
    /// catatonit, when the container runs with an init.
    pub init: Option<PathBuf>,
    /// The infra container of its pod, when it joins its namespaces.
    pub joined: Option<JoinedInfra>,
    /// Its pod's shared /dev/shm, when the pod shares its IPC namespace.
    pub shm: Option<PathBuf>,
    /// Its /etc/passwd with the host's users it asked for.
    pub passwd: Option<PathBuf>,
    /// The network namespace berthd made for its bridge networks.
    pub netns: Option<PathBuf>,
    /// The directory where conmon binds the socket that relays the
    /// program's sd_notify messages to its unit (mounted on /run/notify).
    pub notify_dir: Option<PathBuf>,
}

/// A pod's infra container whose namespaces a member joins.
#[derive(Debug, Clone)]
pub struct JoinedInfra {
    pub pid: i32,
    /// cgroup, ipc, net, pid, uts.
    pub namespaces: Vec<String>,
}

impl JoinedInfra {
    fn joins(&self, namespace: &str) -> bool {
        self.namespaces.iter().any(|n| n == namespace)
    }
}

/// Where the init binary is mounted in a container run with `init`.
pub const INIT_PATH: &str = "/run/berth-init";

fn spec_err(e: impl std::fmt::Display) -> Error {
    Error::Runtime(format!("building the OCI spec: {e}"))
}

fn bind(source: &Path, destination: &str, extra: &[String]) -> Result<Mount> {
    let mut options: Vec<String> = vec!["rbind".into()];
    let ro = extra.iter().any(|o| o == "ro");
    options.extend(extra.iter().filter(|o| !matches!(o.as_str(), "rbind" | "bind" | "ro" | "rw")).cloned());
    options.push(if ro { "ro".into() } else { "rw".into() });
    MountBuilder::default()
        .destination(destination)
        .typ("bind")
        .source(source)
        .options(options)
        .build()
        .map_err(spec_err)
}

/// An image's files (`--mount type=image`): its layers as an overlay,
/// with an upper layer when writable; read-only, one layer is a bind of it
/// (an overlay needs two lower layers without an upper one).
fn image_mount(lowers: &[PathBuf], layer: Option<&(PathBuf, PathBuf)>, destination: &str) -> Result<Mount> {
    let lowerdir = ("lowerdir", lowers.iter().map(|l| l.display().to_string()).collect::<Vec<_>>().join(":"));
    let options = match (layer, lowers) {
        (Some((upper, work)), _) => overlay::options(&[
            lowerdir,
            ("upperdir", upper.display().to_string()),
            ("workdir", work.display().to_string()),
        ]),
        (None, [one]) => return bind(one, destination, &["rprivate".into(), "ro".into()]),
        (None, _) => [overlay::options(&[lowerdir]), vec!["ro".into()]].concat(),
    };
    MountBuilder::default()
        .destination(destination)
        .typ("overlay")
        .source("overlay")
        .options(options)
        .build()
        .map_err(spec_err)
}

/// An overlay the runtime mounts in the container's mount namespace (so it
/// goes with the container, leaving nothing mounted on the host).
fn overlay(lower: &Path, upper: &Path, work: &Path, destination: &str) -> Result<Mount> {
    let dirs = [("lowerdir", lower), ("upperdir", upper), ("workdir", work)];
    MountBuilder::default()
        .destination(destination)
        .typ("overlay")
        .source("overlay")
        .options(overlay::options(&dirs.map(|(k, d)| (k, d.display().to_string()))))
        .build()
        .map_err(spec_err)
}

fn tmpfs(destination: &str, options: &[&str]) -> Result<Mount> {
    MountBuilder::default()
        .destination(destination)
        .typ("tmpfs")
        .source("tmpfs")
        .options(options.iter().map(|o| o.to_string()).collect::<Vec<_>>())
        .build()
        .map_err(spec_err)
}

/// The cgroups path for the runtime: under systemd, the cgroup of the scope
/// berthd makes for the container (`/machine.slice/berth-<id>.scope`); under
/// cgroupfs, a path under the parent, except in a user's namespace, where
/// no cgroup is writable without a manager to delegate one: there runc
/// (told it is rootless) skips what it cannot make only when given none.
pub fn cgroups_path(c: &ContainerConfig) -> Option<String> {
    let parent = c.cgroup_parent.as_deref()?;
    if c.cgroup_manager == CgroupManager::Cgroupfs && crate::rootless::owner().is_some() {
        return None;
    }
    Some(match c.cgroup_manager {
        CgroupManager::Systemd => {
            // A user manager's slices are under its own cgroup.
            let manager = crate::rootless::owner().map_or("", |o| o.manager_cgroup.as_str());
            format!(
                "{manager}{}/{}",
                crate::systemd::manager::slice_path(parent),
                crate::systemd::unit_names::container_scope(&c.id)
            )
        }
        CgroupManager::Cgroupfs => format!("{}/berth-{}", parent.trim_end_matches('/'), c.id),
    })
}

pub fn build(c: &ContainerConfig, rootfs: &Path, files: &HostFiles) -> Result<Spec> {
    let user = user(rootfs, c.user.as_deref().unwrap_or(""), &c.group_add, &c.umask)?;
    let owner = (user.uid(), user.gid());
    let mut args = Vec::new();
    if files.init.is_some() {
        args.extend([INIT_PATH.to_string(), "--".into()]);
    }
    args.extend(c.args());
    let capabilities = capabilities(c, user.uid())?;
    let seccomp = seccomp(c, &capabilities)?;
    let process = ProcessBuilder::default()
        .terminal(c.terminal)
        .args(args)
        .env(environment(c, rootfs, user.uid(), &files.secret_env, files.notify_dir.is_some()))
        .cwd(c.workdir.as_deref().unwrap_or("/"))
        .no_new_privileges(c.no_new_privileges)
        .capabilities(capabilities)
        .rlimits(rlimits(&c.ulimits)?)
        // Its own score: not the one conmon gives itself (podman does so).
        .oom_score_adj(own_oom_score_adj())
        .user(user)
        .build()
        .map_err(spec_err)?;

    let mut spec = Spec::default();
    // A joined UTS namespace has the pod's hostname already; setting it
    // would change the infra container's.
    let joins_uts = files.joined.as_ref().is_some_and(|j| j.joins("uts"));
    let own_uts = !joins_uts && c.uts_namespace == "private";
    spec.set_hostname(own_uts.then(|| c.hostname().to_string()));
    spec.set_process(Some(process));
    spec.set_root(Some(RootBuilder::default().path(rootfs).readonly(c.read_only).build().map_err(spec_err)?));
    spec.set_mounts(Some(mounts(c, files, owner)?));
    let mut linux = linux(c, files.joined.as_ref(), files.netns.as_deref())?;
    linux.set_seccomp(seccomp);
    spec.set_linux(Some(linux));
    let mut annotations: HashMap<String, String> = c.annotations.clone().into_iter().collect();
    annotations.insert("io.berth.name".to_string(), c.name.clone());
    spec.set_annotations(Some(annotations));
    Ok(spec)
}

/// The container's seccomp filter: berth's default for its bounding set,
/// none when unconfined (or privileged, as podman), or its own profile.
fn seccomp(
    c: &ContainerConfig,
    capabilities: &oci_spec::runtime::LinuxCapabilities,
) -> Result<Option<oci_spec::runtime::LinuxSeccomp>> {
    match c.seccomp_profile.as_deref() {
        Some("unconfined") => Ok(None),
        Some(path) if path.starts_with('/') => Ok(Some(super::seccomp::read_profile(Path::new(path))?)),
        _ if c.privileged => Ok(None),
        _ => {
            let names: Vec<String> = capabilities
                .bounding()
                .iter()
                .flatten()
                .map(|cap| {
                    let name = cap.to_string();
                    if name.starts_with("CAP_") {
                        name
                    } else {
                        format!("CAP_{name}")
                    }
                })
                .collect();
            Ok(Some(super::seccomp::default_profile(&names)?))
        }
    }
}

/// berthd's own OOM score adjustment, which a container keeps.
fn own_oom_score_adj() -> i32 {
    std::fs::read_to_string("/proc/self/oom_score_adj").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0)
}

/// podman's default environment (PATH, TERM, container, HOSTNAME, HOME from
/// the user's passwd entry), less what unsetEnv names, then the
/// container's own, then what its env secrets give.
fn environment(
    c: &ContainerConfig,
    rootfs: &Path,
    uid: u32,
    secrets: &[(String, String)],
    notify: bool,
) -> Vec<String> {
    let hostname = match c.uts_namespace.as_str() {
        "host" => std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default().trim().to_string(),
        _ => c.hostname().to_string(),
    };
    let home = passwd_field(rootfs, |f| f.get(2) == Some(&uid.to_string().as_str()), 5).unwrap_or("/".into());
    let defaults = [
        ("PATH", DEFAULT_PATH.to_string()),
        ("TERM", "xterm".into()),
        ("container", "berth".into()),
        ("HOSTNAME", hostname),
        ("HOME", if home.is_empty() { "/".into() } else { home }),
    ];
    let mut env: Vec<(String, String)> = defaults
        .into_iter()
        .filter(|(k, _)| !c.unset_env_all && !c.unset_env.iter().any(|u| u == k))
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    for (k, v) in c.env.iter().chain(secrets.iter().map(|(k, v)| (k, v))) {
        env.retain(|(key, _)| key != k);
        env.push((k.clone(), v.clone()));
    }
    if notify {
        env.retain(|(key, _)| key != "NOTIFY_SOCKET");
        env.push(("NOTIFY_SOCKET".into(), crate::model::container::notify::CONTAINER_SOCKET.into()));
    }
    env.into_iter().map(|(k, v)| format!("{k}={v}")).collect()
}

/// Capabilities in the kernel's order (bit N of a capability mask).
const CAPABILITY_BITS: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
];

/// What "every capability" is: those in berthd's own bounding set (as
/// podman takes them), since no process can give more.
fn all_capabilities() -> HashSet<Capability> {
    use std::str::FromStr;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let bounding = status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        .unwrap_or(0);
    CAPABILITY_BITS
        .iter()
        .enumerate()
        .filter(|(bit, _)| bounding & (1 << bit) != 0)
        .filter_map(|(_, n)| Capability::from_str(n).ok())
        .collect()
}

/// podman's default set (every one when privileged), with capAdd and
/// capDrop applied. A process of another user than root gets them only
/// in its bounding set, but for those asked for by name, as podman does.
fn capabilities(c: &ContainerConfig, uid: u32) -> Result<oci_spec::runtime::LinuxCapabilities> {
    use std::str::FromStr;
    let parse = |names: &[String]| -> HashSet<Capability> {
        if names.iter().any(|n| n == "ALL") {
            return all_capabilities();
        }
        names.iter().filter_map(|n| Capability::from_str(n.trim_start_matches("CAP_")).ok()).collect()
    };
    let mut set: HashSet<Capability> = if c.privileged {
        all_capabilities()
    } else {
        DEFAULT_CAPABILITIES.iter().filter_map(|n| Capability::from_str(n).ok()).collect()
    };
    let (added, dropped) = (parse(&c.cap_add), parse(&c.cap_drop));
    set.retain(|cap| !dropped.contains(cap));
    set.extend(added.iter().copied());
    let effective = if uid == 0 { set.clone() } else { added.into_iter().filter(|cap| set.contains(cap)).collect() };
    LinuxCapabilitiesBuilder::default()
        .bounding(set)
        .effective(effective.clone())
        .permitted(effective.clone())
        // A capability raised into another user's ambient set must be
        // inheritable as well.
        .inheritable(if uid == 0 { HashSet::new() } else { effective.clone() })
        .ambient(if uid == 0 { HashSet::new() } else { effective })
        .build()
        .map_err(spec_err)
}

/// The usual mounts (/dev/shm sized by shmSize), volumes, the files berth
/// provides, secrets, the init; a read-only root gets podman's tmpfs on
/// /tmp, /var/tmp and /run.
/// `owner`: the container's user, who owns a tmpfs mounted with chown.
fn mounts(c: &ContainerConfig, files: &HostFiles, owner: (u32, u32)) -> Result<Vec<Mount>> {
    let mut mounts: Vec<Mount> = oci_spec::runtime::get_default_mounts()
        .into_iter()
        .map(|mut m| {
            let host_ipc = c.ipc_namespace == "host";
            let shm = if host_ipc { Some(PathBuf::from("/dev/shm")) } else { files.shm.clone() };
            if let (true, Some(shm)) = (m.destination() == Path::new("/dev/shm"), shm) {
                m.set_typ(Some("bind".into()));
                m.set_source(Some(shm));
                m.set_options(Some(vec!["rbind".into(), "nosuid".into(), "nodev".into(), "rw".into()]));
            } else if m.destination() == Path::new("/dev/shm") {
                m.set_options(Some(vec![
                    "nosuid".into(),
                    "noexec".into(),
                    "nodev".into(),
                    "mode=1777".into(),
                    format!("size={}", c.shm_size),
                ]));
            }
            if c.privileged && m.destination() == Path::new("/sys") {
                m.set_options(Some(vec!["nosuid".into(), "noexec".into(), "nodev".into(), "rw".into()]));
            }
            m
        })
        .collect();
    if c.read_only {
        for dir in ["/tmp", "/var/tmp"] {
            mounts.push(tmpfs(dir, &["rw", "rprivate", "nosuid", "nodev", "tmpcopyup"])?);
        }
        mounts.push(tmpfs("/run", &["rw", "rprivate", "nosuid", "nodev", "tmpcopyup"])?);
    }
    // Volumes first: the files berth provides go on top of them, so that
    // a volume on /etc still shows the container's hosts, as podman's does.
    for ((v, dir), layer) in c.volumes.iter().zip(&files.volume_dirs).zip(&files.volume_layers) {
        mounts.push(match layer {
            Some((upper, work)) => overlay(dir, upper, work, &v.destination)?,
            None => bind(dir, &v.destination, &v.options)?,
        });
    }
    for (i, (m, layer)) in c.mounts.iter().zip(files.mount_layers.iter().chain(std::iter::repeat(&None))).enumerate() {
        if let Some(lowers) = files.image_lowers.get(i).filter(|l| !l.is_empty()) {
            mounts.push(image_mount(lowers, layer.as_ref(), &m.destination)?);
            continue;
        }
        if let (Some((upper, work)), Some(source)) = (layer, &m.source) {
            mounts.push(overlay(Path::new(source), upper, work, &m.destination)?);
            continue;
        }
        // Checked at create: the options are the runtime's own.
        let (typ, source) = match m.kind {
            crate::model::container::mount::MountKind::Bind => ("bind", m.source.as_deref().unwrap_or_default()),
            crate::model::container::mount::MountKind::Tmpfs => ("tmpfs", "tmpfs"),
            // Its layers are found at start (above): none means none were.
            crate::model::container::mount::MountKind::Image => {
                return Err(Error::invalid_argument("mounts", format!("{}: the image has no layers", m.destination)))
            }
        };
        let mut options = m.options.clone();
        if m.chown && typ == "tmpfs" {
            options.extend([format!("uid={}", owner.0), format!("gid={}", owner.1)]);
        }
        let mount = MountBuilder::default()
            .destination(&m.destination)
            .typ(typ)
            .source(source)
            .options(options)
            .build()
            .map_err(spec_err)?;
        mounts.push(mount);
    }
    for root in std::iter::once("").chain(c.chroot_dirs.iter().map(|d| d.trim_end_matches('/'))) {
        if !c.resolution.no_hosts {
            mounts.push(bind(&files.hosts, &format!("{root}/etc/hosts"), &[])?);
        }
        mounts.push(bind(&files.hostname, &format!("{root}/etc/hostname"), &[])?);
        mounts.push(bind(&files.resolv_conf, &format!("{root}/etc/resolv.conf"), &[])?);
    }
    // Not into a directory of the host's mounted on /run: podman leaves it
    // out then rather than make a file there.
    let run_mounted = c.mounts.iter().map(|m| &m.destination).chain(c.volumes.iter().map(|v| &v.destination));
    if !run_mounted.into_iter().any(|d| d.trim_end_matches('/') == "/run") {
        mounts.push(bind(&files.container_env, "/run/.containerenv", &[])?);
    }
    if let Some(passwd) = &files.passwd {
        mounts.push(bind(passwd, "/etc/passwd", &[])?);
    }
    if let Some(zone) = localtime(&c.timezone) {
        mounts.push(bind(&zone, "/etc/localtime", &["ro".into()])?);
    }
    for (target, copy) in &files.secret_files {
        mounts.push(bind(copy, target, &["ro".into()])?);
    }
    if let Some(init) = &files.init {
        mounts.push(bind(init, INIT_PATH, &["ro".into()])?);
    }
    if let Some(dir) = &files.notify_dir {
        mounts.push(bind(dir, "/run/notify", &[])?);
    }
    Ok(mounts)
}

/// The memory, pids and CPU limits of `r`, in the runtime's form (a
/// container's spec, and `runc update` of a running one).
pub fn resource_limits(r: &crate::model::container::Resources) -> Result<LinuxResourcesBuilder> {
    let mut resources = LinuxResourcesBuilder::default();
    if r.memory_max.is_some() || r.memory_swap.is_some() {
        let mut memory = LinuxMemoryBuilder::default();
        if let Some(limit) = r.memory_max {
            memory = memory.limit(limit as i64);
        }
        if let Some(swap) = r.memory_swap {
            memory = memory.swap(swap);
        }
        resources = resources.memory(memory.build().map_err(spec_err)?);
    }
    if let Some(p) = r.pids_max {
        resources = resources.pids(LinuxPidsBuilder::default().limit(p as i64).build().map_err(spec_err)?);
    }
    if r.cpu_weight.is_some() || r.nano_cpus.is_some() || r.cpuset_cpus.is_some() {
        let mut cpu = LinuxCpuBuilder::default();
        if let Some(w) = r.cpu_weight {
            // cgroup v1 shares from a v2 weight, as systemd and runc convert them.
            cpu = cpu.shares(2 + ((w.saturating_sub(1)) * 262_142) / 9_999);
        }
        if let Some(nano) = r.nano_cpus {
            cpu = cpu.period(super::cgroupfs::CPU_PERIOD).quota(super::cgroupfs::cpu_quota(nano) as i64);
        }
        if let Some(cpus) = &r.cpuset_cpus {
            cpu = cpu.cpus(cpus.clone());
        }
        resources = resources.cpu(cpu.build().map_err(spec_err)?);
    }
    Ok(resources)
}

/// Namespaces, resources, devices, sysctls, masked paths (none when
/// privileged) and the cgroup.
fn linux(c: &ContainerConfig, joined: Option<&JoinedInfra>, netns: Option<&Path>) -> Result<oci_spec::runtime::Linux> {
    let mut resources = resource_limits(&c.resources)?;
    let (devices, mut rules) = devices(c)?;
    for rule in &c.device_cgroup_rules {
        let (kind, major, minor, access) = crate::model::container::run::parse_device_rule(rule)?;
        let typ = match kind {
            'b' => LinuxDeviceType::B,
            'c' => LinuxDeviceType::C,
            _ => LinuxDeviceType::A,
        };
        let mut b = LinuxDeviceCgroupBuilder::default().allow(true).typ(typ).access(access);
        if let Some(major) = major {
            b = b.major(major);
        }
        if let Some(minor) = minor {
            b = b.minor(minor);
        }
        rules.push(b.build().map_err(spec_err)?);
    }
    resources = resources.devices(rules);
    let mut linux = LinuxBuilder::default()
        .resources(resources.build().map_err(spec_err)?)
        .namespaces(namespaces(c, joined, netns))
        .devices(devices);
    if !c.privileged {
        linux = linux
            .masked_paths(oci_spec::runtime::get_default_maskedpaths())
            .readonly_paths(oci_spec::runtime::get_default_readonly_paths());
    }
    let mut sysctls: HashMap<String, String> = c.sysctls.clone().into_iter().collect();
    // podman's default: in a network namespace of its own, root's group
    // may ping without CAP_NET_RAW (ICMP sockets). Not in one it joins:
    // that is its owner's to set.
    let own_netns = c.network != Network::Host && !joined.is_some_and(|j| j.joins("net"));
    if own_netns && c.network_container.is_none() {
        sysctls.entry("net.ipv4.ping_group_range".into()).or_insert_with(|| "0 0".into());
    }
    if !sysctls.is_empty() {
        linux = linux.sysctl(sysctls);
    }
    if let Some(path) = cgroups_path(c) {
        linux = linux.cgroups_path(PathBuf::from(path));
    }
    linux.build().map_err(spec_err)
}

/// The devices a container gets (each asked for; every host device when
/// privileged) and the cgroup rules that let it use them.
fn devices(c: &ContainerConfig) -> Result<(Vec<LinuxDevice>, Vec<LinuxDeviceCgroup>)> {
    let mut rules = vec![LinuxDeviceCgroupBuilder::default().allow(false).access("rwm").build().map_err(spec_err)?];
    let mut devices = Vec::new();
    let wanted: Vec<(PathBuf, String, String)> = if c.privileged {
        rules = vec![LinuxDeviceCgroupBuilder::default().allow(true).access("rwm").build().map_err(spec_err)?];
        host_devices(Path::new("/dev"))
            .into_iter()
            .map(|p| (p.clone(), p.display().to_string(), "rwm".into()))
            .collect()
    } else {
        c.devices
            .iter()
            .map(|d| (PathBuf::from(&d.path_on_host), d.path_in_container.clone(), d.permissions.clone()))
            .collect()
    };
    for (host, inside, perms) in wanted {
        let Some(device) = linux_device(&host, &inside)? else { continue };
        if !c.privileged {
            rules.push(
                LinuxDeviceCgroupBuilder::default()
                    .allow(true)
                    .typ(device.typ())
                    .major(device.major())
                    .minor(device.minor())
                    .access(perms)
                    .build()
                    .map_err(spec_err)?,
            );
        }
        devices.push(device);
    }
    Ok((devices, rules))
}

/// A host device as the runtime makes it: type, numbers, mode and owner.
fn linux_device(host: &Path, inside: &str) -> Result<Option<LinuxDevice>> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let meta =
        std::fs::metadata(host).map_err(|e| Error::invalid_argument("devices", format!("{}: {e}", host.display())))?;
    let typ = match meta.file_type() {
        t if t.is_char_device() => LinuxDeviceType::C,
        t if t.is_block_device() => LinuxDeviceType::B,
        _ => return Ok(None),
    };
    let rdev = meta.rdev();
    let device = LinuxDeviceBuilder::default()
        .path(inside)
        .typ(typ)
        .major(nix::sys::stat::major(rdev) as i64)
        .minor(nix::sys::stat::minor(rdev) as i64)
        .file_mode(meta.mode() & 0o777)
        .uid(meta.uid())
        .gid(meta.gid())
        .build()
        .map_err(spec_err)?;
    Ok(Some(device))
}

/// The host's device nodes under `dir`, as a privileged container gets
/// them (podman's list, its terminals too: not the console, nor what the
/// usual mounts provide).
fn host_devices(dir: &Path) -> Vec<PathBuf> {
    use std::os::unix::fs::FileTypeExt;
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        let name = entry.file_name().to_string_lossy().into_owned();
        if kind.is_dir() && !matches!(name.as_str(), "pts" | "shm" | "mqueue" | "fd") {
            out.extend(host_devices(&path));
        } else if (kind.is_char_device() || kind.is_block_device())
            && !(dir == Path::new("/dev") && (name == "console" || name == "ptmx" || name == "tty"))
        {
            out.push(path);
        }
    }
    out
}

/// The container's user and primary group, as its process runs.
pub fn user_ids(c: &ContainerConfig, rootfs: &Path) -> Result<(u32, u32)> {
    let user = user(rootfs, c.user.as_deref().unwrap_or(""), &c.group_add, &c.umask)?;
    Ok((user.uid(), user.gid()))
}

/// The process's user: `uid[:gid]` or names looked up in the root's
/// /etc/passwd and /etc/group (empty: root), with the supplementary groups
/// (numbers or names) and the umask.
fn user(rootfs: &Path, spec: &str, group_add: &[String], umask: &str) -> Result<User> {
    let (u, g) = spec.split_once(':').map_or((spec, None), |(u, g)| (u, Some(g)));
    let unknown = |what: &str| Error::invalid_argument("user", format!("{what} is not in the container's /etc files"));
    let numeric = |n: &str| n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty();
    let field = |f: &[&str], i: usize| f.get(i).and_then(|v| v.parse::<u32>().ok());
    let (uid, primary) = match u {
        "" => (0, 0),
        n if numeric(n) => {
            let uid: u32 = n.parse().map_err(spec_err)?;
            let gid = passwd_field(rootfs, |f| f.get(2) == Some(&n), 3).and_then(|g| g.parse().ok());
            (uid, gid.unwrap_or(0))
        }
        name => {
            let entry = etc_entry(rootfs, "passwd", |f| f.first() == Some(&name)).ok_or_else(|| unknown(name))?;
            let fields: Vec<&str> = entry.split(':').collect();
            (field(&fields, 2).ok_or_else(|| unknown(name))?, field(&fields, 3).unwrap_or(0))
        }
    };
    let group = |name: &str| -> Result<u32> {
        if numeric(name) {
            return name.parse().map_err(spec_err);
        }
        let entry = etc_entry(rootfs, "group", |f| f.first() == Some(&name)).ok_or_else(|| unknown(name))?;
        field(&entry.split(':').collect::<Vec<_>>(), 2).ok_or_else(|| unknown(name))
    };
    let gid = match g {
        None => primary,
        Some(name) => group(name)?,
    };
    let additional = group_add.iter().map(|g| group(g)).collect::<Result<Vec<u32>>>()?;
    let mut b = UserBuilder::default().uid(uid).gid(gid).umask(u32::from_str_radix(umask, 8).unwrap_or(0o022));
    if !additional.is_empty() {
        b = b.additional_gids(additional);
    }
    b.build().map_err(spec_err)
}

/// The first line of the root's /etc/`file` whose fields `pick` accepts.
fn etc_entry(rootfs: &Path, file: &str, pick: impl Fn(&[&str]) -> bool) -> Option<String> {
    let text = std::fs::read_to_string(rootfs.join("etc").join(file)).ok()?;
    text.lines().find(|l| pick(&l.split(':').collect::<Vec<_>>())).map(str::to_string)
}

/// Field `index` of the passwd entry `pick` accepts.
fn passwd_field(rootfs: &Path, pick: impl Fn(&[&str]) -> bool, index: usize) -> Option<String> {
    etc_entry(rootfs, "passwd", pick)?.split(':').nth(index).map(str::to_string)
}

/// Podman's namespaces: private pid, mount, ipc, uts, cgroup, and network
/// unless the host's is asked for; those a pod shares are its infra
/// container's.
fn namespaces(
    c: &ContainerConfig,
    joined: Option<&JoinedInfra>,
    netns: Option<&Path>,
) -> Vec<oci_spec::runtime::LinuxNamespace> {
    use oci_spec::runtime::LinuxNamespaceType as Ns;
    let joins_net = joined.is_some_and(|j| j.joins("net"));
    // The namespace berthd made and netavark set up, for a bridge network.
    let bridged = netns.map(|p| format!("ns:{}", p.display()));
    let mode = |typ: Ns| match typ {
        Ns::Pid => c.pid_namespace.as_str(),
        Ns::Uts => c.uts_namespace.as_str(),
        Ns::Ipc => c.ipc_namespace.as_str(),
        Ns::Network => bridged.as_deref().unwrap_or("private"),
        _ => "private",
    };
    oci_spec::runtime::get_default_namespaces()
        .into_iter()
        .filter(|ns| c.network != Network::Host || joins_net || ns.typ() != Ns::Network)
        .filter(|ns| mode(ns.typ()) != "host")
        .map(|mut ns| {
            if let Some(path) = mode(ns.typ()).strip_prefix("ns:") {
                ns.set_path(Some(PathBuf::from(path)));
                return ns;
            }
            let name = match ns.typ() {
                Ns::Cgroup => "cgroup",
                Ns::Ipc => "ipc",
                Ns::Network => "net",
                Ns::Pid => "pid",
                Ns::Uts => "uts",
                _ => return ns,
            };
            if let Some(j) = joined.filter(|j| j.joins(name)) {
                ns.set_path(Some(PathBuf::from(format!("/proc/{}/ns/{name}", j.pid))));
            }
            ns
        })
        .collect()
}

/// The zone file for /etc/localtime: none for "", the host's for "local".
fn localtime(tz: &str) -> Option<PathBuf> {
    match tz {
        "" => None,
        "local" => Some(PathBuf::from("/etc/localtime")),
        zone => Some(Path::new("/usr/share/zoneinfo").join(zone)),
    }
}

/// Open files and processes as high as berthd's own hard limits allow
/// (podman's default is 1048576, more than some hosts permit); then the
/// ulimits asked for (-1: unlimited).
fn rlimits(ulimits: &[crate::model::container::Ulimit]) -> Result<Vec<oci_spec::runtime::PosixRlimit>> {
    use nix::sys::resource::{getrlimit, Resource};
    use std::str::FromStr;
    let mut out = Vec::new();
    for (typ, res, want) in [
        (PosixRlimitType::RlimitNofile, Resource::RLIMIT_NOFILE, 1_048_576u64),
        (PosixRlimitType::RlimitNproc, Resource::RLIMIT_NPROC, 4_194_304u64),
    ] {
        let (_, hard) = getrlimit(res).map_err(spec_err)?;
        let limit = want.min(hard);
        out.push(PosixRlimitBuilder::default().typ(typ).soft(limit).hard(limit).build().map_err(spec_err)?);
    }
    let value = |v: i64| if v < 0 { u64::MAX } else { v as u64 };
    for u in ulimits {
        let typ = PosixRlimitType::from_str(&u.name).map_err(spec_err)?;
        out.retain(|r| r.typ() != typ);
        out.push(
            PosixRlimitBuilder::default().typ(typ).soft(value(u.soft)).hard(value(u.hard)).build().map_err(spec_err)?,
        );
    }
    Ok(out)
}

/// /etc/hosts for a container: loopback names and its own hostname.
/// What a container's bridge networks gave it, for its /etc files.
#[derive(Debug, Clone, Default)]
pub struct NetworkFiles {
    /// Its address on each network, and the first network's gateway.
    pub addresses: Vec<String>,
    pub gateway: Option<String>,
    /// aardvark-dns's servers and search domain, on networks with DNS.
    pub dns_servers: Vec<String>,
    pub dns_search: Vec<String>,
}

/// podman's /etc/hosts: the --add-host entries, localhost, and on bridge
/// networks the gateway as host.containers.internal and the container's
/// addresses under its hostname and name.
pub fn hosts_file(c: &ContainerConfig, net: Option<&NetworkFiles>) -> String {
    let mut hosts = c.resolution.host_lines();
    hosts.push_str("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    match net {
        Some(n) => {
            if let Some(gateway) = &n.gateway {
                hosts.push_str(&format!("{gateway}\thost.containers.internal\n"));
            }
            for ip in &n.addresses {
                hosts.push_str(&format!("{ip}\t{} {}\n", c.hostname(), c.name));
            }
        }
        None => hosts.push_str(&format!("127.0.1.1\t{}\n", c.hostname())),
    }
    hosts
}

/// The container's /etc/passwd with the entries of the host's `users`
/// (names or UIDs) it lacks (podman's --hostuser); a user the host does not
/// have is an error naming it.
pub fn passwd_with_host_users(rootfs: &Path, users: &[String]) -> Result<String> {
    let mut passwd = std::fs::read_to_string(rootfs.join("etc/passwd")).unwrap_or_default();
    let host = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    for user in users {
        let entry = host
            .lines()
            .find(|l| {
                let f: Vec<&str> = l.split(':').collect();
                f.first() == Some(&user.as_str()) || f.get(2) == Some(&user.as_str())
            })
            .ok_or_else(|| Error::Command {
                reason: format!("unable to find user {user:?} on the host for --hostuser"),
                cause: crate::error::CommandFailure::NotRunnable,
            })?;
        let name = entry.split(':').next().unwrap_or_default();
        if !passwd.lines().any(|l| l.split(':').next() == Some(name)) {
            if !passwd.is_empty() && !passwd.ends_with('\n') {
                passwd.push('\n');
            }
            passwd.push_str(entry);
            passwd.push('\n');
        }
    }
    Ok(passwd)
}

/// /run/.containerenv: empty, as podman leaves it, but for a privileged
/// container, which is told what made it.
pub fn container_env(c: &ContainerConfig) -> String {
    if !c.privileged {
        return String::new();
    }
    format!(
        "engine=\"berth-{}\"\nname=\"{}\"\nid=\"{}\"\nimage=\"{}\"\nimageid=\"{}\"\nrootless={}\n",
        env!("CARGO_PKG_VERSION"),
        c.name,
        c.id,
        c.image.as_deref().unwrap_or(""),
        c.image_id.as_deref().unwrap_or(""),
        u8::from(crate::rootless::owner().is_some())
    )
}

/// resolv.conf: the host's (in a namespace of its own, without the
/// loopback resolvers it cannot reach), aardvark-dns first on networks
/// with DNS; --dns, --dns-search and --dns-option replace the host's
/// servers, search domains and options.
pub fn resolv_conf(c: &ContainerConfig, net: Option<&NetworkFiles>) -> String {
    let host = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let own = &c.resolution;
    let reachable = |l: &&str| {
        c.network == Network::Host || !(l.starts_with("nameserver") && (l.contains(" 127.") || l.contains(" ::1")))
    };
    let mut servers: Vec<String> = net.map(|n| n.dns_servers.clone()).unwrap_or_default();
    let mut search: Vec<String> = net.map(|n| n.dns_search.clone()).unwrap_or_default();
    let mut options: Vec<String> = Vec::new();
    let mut rest: Vec<&str> = Vec::new();
    for line in host.lines().filter(reachable) {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("nameserver") if own.dns_servers.is_empty() => servers.extend(words.map(str::to_string)),
            Some("search" | "domain") if own.dns_search.is_empty() => search.extend(words.map(str::to_string)),
            Some("options") if own.dns_options.is_empty() => options.extend(words.map(str::to_string)),
            Some("nameserver" | "search" | "domain" | "options") => {}
            _ => rest.push(line),
        }
    }
    servers.extend(own.dns_servers.iter().cloned());
    search.extend(own.dns_search.iter().cloned());
    options.extend(own.dns_options.iter().cloned());
    let mut conf = String::new();
    if !search.is_empty() {
        conf.push_str(&format!("search {}\n", search.join(" ")));
    }
    for server in &servers {
        conf.push_str(&format!("nameserver {server}\n"));
    }
    if !options.is_empty() {
        conf.push_str(&format!("options {}\n", options.join(" ")));
    }
    for line in rest {
        conf.push_str(line);
        conf.push('\n');
    }
    conf
}

/// The process of an exec session in the container whose bundle is
/// `bundle`: the container's own process (its capabilities, limits,
/// environment and user) running `exec`'s command, with its environment
/// added, its user (looked up in the container's root) and directory.
pub fn exec_process(bundle: &Path, exec: &crate::model::exec::ExecConfig) -> Result<oci_spec::runtime::Process> {
    let spec = Spec::load(bundle.join("config.json")).map_err(spec_err)?;
    let mut process = spec.process().clone().ok_or_else(|| Error::Runtime("the container has no process".into()))?;
    process.set_args(Some(exec.command.clone()));
    process.set_terminal(Some(exec.terminal));
    process.set_console_size(None);
    let mut env = process.env().clone().unwrap_or_default();
    for (key, value) in &exec.env {
        env.retain(|e| e.split_once('=').map_or(e.as_str(), |(k, _)| k) != key);
        env.push(format!("{key}={value}"));
    }
    process.set_env(Some(env));
    if let Some(dir) = &exec.work_dir {
        process.set_cwd(dir.into());
    }
    if let Some(name) = &exec.user {
        let rootfs = spec.root().as_ref().map(|r| r.path().clone()).unwrap_or_default();
        let rootfs = if rootfs.is_relative() { bundle.join(rootfs) } else { rootfs };
        let umask = process.user().umask().map_or(DEFAULT_EXEC_UMASK.to_string(), |m| format!("{m:04o}"));
        process.set_user(user(&rootfs, name, &[], &umask)?);
    }
    Ok(process)
}

/// The umask of an exec session whose container's process names none.
const DEFAULT_EXEC_UMASK: &str = "0022";
