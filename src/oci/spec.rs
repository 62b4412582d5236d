//! The OCI runtime spec (config.json) of a container, built with oci-spec from
//! its stored configuration, the way Podman fills one in: Podman's default
//! capabilities, masked and read-only paths, the usual mounts with /dev/shm
//! sized by shmSize, private namespaces (the network one holds only loopback),
//! /etc/hosts, /etc/hostname, /etc/resolv.conf and /etc/localtime, volumes and
//! secrets as bind mounts, and the resource limits.

use crate::config::CgroupManager;
use crate::error::{Error, Result};
use crate::model::container::{ContainerConfig, Network};
use oci_spec::runtime::{
    Capability, LinuxBuilder, LinuxCapabilitiesBuilder, LinuxCpuBuilder, LinuxMemoryBuilder, LinuxPidsBuilder,
    LinuxResourcesBuilder, Mount, MountBuilder, PosixRlimitBuilder, PosixRlimitType, ProcessBuilder, RootBuilder, Spec,
    User, UserBuilder,
};
use std::collections::HashSet;
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
    /// Secret name -> the copy in the bundle.
    pub secrets: Vec<(String, PathBuf)>,
    /// Volume name -> its directory on the host.
    pub volume_dirs: Vec<PathBuf>,
}

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

/// The hostname a container gets: the first 12 characters of its ID.
pub fn hostname(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// The cgroups path for the runtime: under systemd, the cgroup of the scope
/// berthd makes for the container (`/machine.slice/berth-<id>.scope`); under
/// cgroupfs, a path under the parent.
pub fn cgroups_path(c: &ContainerConfig) -> Option<String> {
    let parent = c.cgroup_parent.as_deref()?;
    Some(match c.cgroup_manager {
        CgroupManager::Systemd => {
            format!(
                "{}/{}",
                crate::systemd::manager::slice_path(parent),
                crate::systemd::unit_names::container_scope(&c.id)
            )
        }
        CgroupManager::Cgroupfs => format!("{}/berth-{}", parent.trim_end_matches('/'), c.id),
    })
}

pub fn build(c: &ContainerConfig, rootfs: &Path, files: &HostFiles) -> Result<Spec> {
    let host = hostname(&c.id);
    let mut env = vec![DEFAULT_PATH.to_string(), "container=berth".into(), format!("HOSTNAME={host}")];
    for (k, v) in &c.env {
        env.retain(|e| !e.starts_with(&format!("{k}=")));
        env.push(format!("{k}={v}"));
    }
    let caps: HashSet<Capability> = DEFAULT_CAPABILITIES.iter().filter_map(|c| c.parse().ok()).collect();
    let capabilities = LinuxCapabilitiesBuilder::default()
        .bounding(caps.clone())
        .effective(caps.clone())
        .permitted(caps)
        .inheritable(HashSet::new())
        .ambient(HashSet::new())
        .build()
        .map_err(spec_err)?;
    let process = ProcessBuilder::default()
        .terminal(false)
        .args(c.command.clone())
        .env(env)
        .cwd(c.workdir.as_deref().unwrap_or("/"))
        .user(user(rootfs, c.user.as_deref().unwrap_or(""))?)
        .no_new_privileges(false)
        .capabilities(capabilities)
        .rlimits(rlimits()?)
        .build()
        .map_err(spec_err)?;

    let mut mounts: Vec<Mount> = oci_spec::runtime::get_default_mounts()
        .into_iter()
        .map(|mut m| {
            if m.destination() == Path::new("/dev/shm") {
                m.set_options(Some(vec![
                    "nosuid".into(),
                    "noexec".into(),
                    "nodev".into(),
                    "mode=1777".into(),
                    format!("size={}", c.shm_size),
                ]));
            }
            m
        })
        .collect();
    // Volumes first: the files berth provides go on top of them, so that
    // a volume on /etc still shows the container's hosts, as podman's does.
    for (v, dir) in c.volumes.iter().zip(&files.volume_dirs) {
        mounts.push(bind(dir, &v.destination, &v.options)?);
    }
    mounts.push(bind(&files.hosts, "/etc/hosts", &[])?);
    mounts.push(bind(&files.hostname, "/etc/hostname", &[])?);
    mounts.push(bind(&files.resolv_conf, "/etc/resolv.conf", &[])?);
    if let Some(zone) = localtime(&c.timezone) {
        mounts.push(bind(&zone, "/etc/localtime", &["ro".into()])?);
    }
    for (name, copy) in &files.secrets {
        mounts.push(bind(copy, &format!("/run/secrets/{name}"), &["ro".into()])?);
    }

    let mut resources = LinuxResourcesBuilder::default();
    if let Some(m) = c.resources.memory_max {
        resources = resources.memory(LinuxMemoryBuilder::default().limit(m as i64).build().map_err(spec_err)?);
    }
    if let Some(p) = c.resources.pids_max {
        resources = resources.pids(LinuxPidsBuilder::default().limit(p as i64).build().map_err(spec_err)?);
    }
    if let Some(w) = c.resources.cpu_weight {
        // cgroup v1 shares from a v2 weight, as systemd and runc convert them.
        let shares = 2 + ((w.saturating_sub(1)) * 262_142) / 9_999;
        resources = resources.cpu(LinuxCpuBuilder::default().shares(shares).build().map_err(spec_err)?);
    }
    let mut linux = LinuxBuilder::default()
        .resources(resources.build().map_err(spec_err)?)
        .namespaces(namespaces(c.network))
        .masked_paths(oci_spec::runtime::get_default_maskedpaths())
        .readonly_paths(oci_spec::runtime::get_default_readonly_paths());
    if let Some(path) = cgroups_path(c) {
        linux = linux.cgroups_path(PathBuf::from(path));
    }

    let mut spec = Spec::default();
    spec.set_hostname(Some(host.to_string()));
    spec.set_process(Some(process));
    spec.set_root(Some(RootBuilder::default().path(rootfs).readonly(false).build().map_err(spec_err)?));
    spec.set_mounts(Some(mounts));
    spec.set_linux(Some(linux.build().map_err(spec_err)?));
    spec.set_annotations(Some([("io.berth.name".to_string(), c.name.clone())].into()));
    Ok(spec)
}

/// The process's user: `uid[:gid]` or names looked up in the root's
/// /etc/passwd and /etc/group (empty: root).
fn user(rootfs: &Path, spec: &str) -> Result<User> {
    let (u, g) = spec.split_once(':').map_or((spec, None), |(u, g)| (u, Some(g)));
    let lookup = |file: &str, name: &str| -> Option<(u32, u32)> {
        let text = std::fs::read_to_string(rootfs.join("etc").join(file)).ok()?;
        text.lines()
            .map(|l| l.split(':').collect::<Vec<_>>())
            .find(|f| f.first() == Some(&name))
            .and_then(|f| Some((f.get(2)?.parse().ok()?, f.get(3).and_then(|g| g.parse().ok()).unwrap_or(0))))
    };
    let unknown = |what: &str| Error::invalid_argument("user", format!("{what} is not in the container's /etc files"));
    let (uid, primary) = match u {
        "" => (0, 0),
        n if n.bytes().all(|b| b.is_ascii_digit()) => (n.parse().map_err(spec_err)?, lookup_gid_of_uid(rootfs, n)),
        name => lookup("passwd", name).ok_or_else(|| unknown(name))?,
    };
    let gid = match g {
        None => primary,
        Some(n) if n.bytes().all(|b| b.is_ascii_digit()) => n.parse().map_err(spec_err)?,
        Some(name) => lookup("group", name).map(|(gid, _)| gid).ok_or_else(|| unknown(name))?,
    };
    UserBuilder::default().uid(uid).gid(gid).build().map_err(spec_err)
}

/// The primary group of a numeric user, when /etc/passwd knows it.
fn lookup_gid_of_uid(rootfs: &Path, uid: &str) -> u32 {
    std::fs::read_to_string(rootfs.join("etc/passwd"))
        .ok()
        .and_then(|t| {
            t.lines().map(|l| l.split(':').collect::<Vec<_>>()).find(|f| f.get(2) == Some(&uid))?.get(3)?.parse().ok()
        })
        .unwrap_or(0)
}

/// Podman's namespaces: private pid, mount, ipc, uts, cgroup, and network
/// unless the host's is asked for.
fn namespaces(network: Network) -> Vec<oci_spec::runtime::LinuxNamespace> {
    oci_spec::runtime::get_default_namespaces()
        .into_iter()
        .filter(|ns| network == Network::Private || ns.typ() != oci_spec::runtime::LinuxNamespaceType::Network)
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

/// Open files and processes: as high as berthd's own hard limits allow
/// (Podman's default is 1048576, more than some hosts permit).
fn rlimits() -> Result<Vec<oci_spec::runtime::PosixRlimit>> {
    use nix::sys::resource::{getrlimit, Resource};
    let mut out = Vec::new();
    for (typ, res, want) in [
        (PosixRlimitType::RlimitNofile, Resource::RLIMIT_NOFILE, 1_048_576u64),
        (PosixRlimitType::RlimitNproc, Resource::RLIMIT_NPROC, 4_194_304u64),
    ] {
        let (_, hard) = getrlimit(res).map_err(spec_err)?;
        let limit = want.min(hard);
        out.push(PosixRlimitBuilder::default().typ(typ).soft(limit).hard(limit).build().map_err(spec_err)?);
    }
    Ok(out)
}

/// /etc/hosts for a container: loopback names and its own hostname.
pub fn hosts_file(id: &str) -> String {
    format!("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t{}\n", hostname(id))
}

/// resolv.conf: the host's; in a private network without the loopback
/// resolvers it cannot reach.
pub fn resolv_conf(network: Network) -> String {
    let host = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    if network == Network::Host {
        return host;
    }
    let usable: Vec<&str> = host
        .lines()
        .filter(|l| !(l.starts_with("nameserver") && (l.contains(" 127.") || l.contains(" ::1"))))
        .collect();
    usable.join("\n") + "\n"
}
