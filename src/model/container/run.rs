//! podman run's everyday options (`--user`, `--cap-add`, `--device`,
//! `--ulimit`, `--sysctl`, ...): checked the way podman's specgen checks
//! them, and stored in the container's configuration in one normal form
//! (capabilities upper case without `CAP_`, sorted; ulimits by name).

use super::{ContainerConfig, Device, Network, RunSpec, Ulimit};
use crate::error::{Error, Result};
use std::os::unix::fs::FileTypeExt;

/// Names `--ulimit` takes, as podman's (docker's) units.
pub const ULIMITS: &[&str] = &[
    "as",
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

/// Sysctls that belong to a container's own namespaces (podman's list):
/// the IPC ones, and the network ones when it has its own network.
fn sysctl_allowed(key: &str, network: Network) -> std::result::Result<(), &'static str> {
    const IPC: &[&str] = &["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall"];
    const IPC_MORE: &[&str] = &["kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"];
    if IPC.contains(&key) || IPC_MORE.contains(&key) || key.starts_with("fs.mqueue.") {
        return Ok(());
    }
    if key.starts_with("net.") {
        return match network {
            Network::Host => Err("cannot set a net.* sysctl in the host's network namespace"),
            Network::Private | Network::Bridge | Network::Pasta => Ok(()),
        };
    }
    Err("is not a namespaced sysctl that a container may set")
}

/// Apply the options of `run` to `config`, checking each.
pub fn apply(run: &RunSpec, config: &mut ContainerConfig) -> Result<()> {
    if let Some(user) = &run.user {
        check_user(user)?;
        config.user = Some(user.clone());
    }
    if let Some(entrypoint) = &run.entrypoint {
        config.entrypoint = entrypoint.clone();
    }
    if let Some(dir) = &run.work_dir {
        if !dir.starts_with('/') {
            return Err(Error::invalid_argument("workDir", format!("{dir:?} is not an absolute path")));
        }
        config.workdir = Some(dir.clone());
    }
    if let Some(name) = &run.hostname {
        check_hostname(name)?;
        config.hostname = Some(name.clone());
    }
    config.terminal = run.terminal;
    config.stdin = run.stdin;
    config.log_size_max = run.log_size_max;
    config.sd_notify_mode = super::notify::SdNotifyMode::parse(run.sd_notify_mode.as_deref().unwrap_or(""))?;
    config.sd_notify_socket = run.sd_notify_socket.clone();
    config.cap_add = capabilities("capAdd", &run.cap_add)?;
    config.cap_drop = capabilities("capDrop", &run.cap_drop)?;
    config.privileged = run.privileged;
    config.read_only = run.read_only;
    config.no_new_privileges = run.no_new_privileges;
    config.devices = run.devices.iter().map(|d| device(d)).collect::<Result<_>>()?;
    config.ulimits = ulimits(&run.ulimits)?;
    for key in run.sysctls.keys() {
        sysctl_allowed(key, config.network)
            .map_err(|why| Error::invalid_argument("sysctls", format!("sysctl {key:?} {why}")))?;
    }
    config.sysctls = run.sysctls.clone();
    for g in &run.group_add {
        if g.is_empty() || g.contains(':') {
            return Err(Error::invalid_argument("groupAdd", format!("{g:?} is not a group name or number")));
        }
    }
    config.group_add = run.group_add.clone();
    config.init = run.init;
    if let Some(k) = run.annotations.keys().find(|k| k.is_empty()) {
        return Err(Error::invalid_argument("annotations", format!("{k:?} is not a valid key")));
    }
    config.annotations = run.annotations.clone();
    if let Some(mask) = &run.umask {
        config.umask = umask(mask)?;
    }
    config.unset_env = run.unset_env.clone();
    config.unset_env_all = run.unset_env_all;
    for rule in &run.device_cgroup_rules {
        parse_device_rule(rule)?;
    }
    config.device_cgroup_rules = run.device_cgroup_rules.clone();
    if run.timeout == Some(0) {
        return Err(Error::invalid_argument("timeout", "must be more than zero seconds"));
    }
    config.timeout = run.timeout;
    if let Some(dir) = run.chroot_dirs.iter().find(|d| !d.starts_with('/') || d.split('/').any(|p| p == "..")) {
        return Err(Error::invalid_argument("chrootDirs", format!("{dir:?} is not an absolute path")));
    }
    config.chroot_dirs = run.chroot_dirs.clone();
    config.host_users = run.host_users.clone();
    if let Some(file) = run.conmon_pid_file.as_ref().filter(|f| !f.starts_with('/')) {
        return Err(Error::invalid_argument("conmonPidFile", format!("{file:?} is not an absolute path")));
    }
    config.conmon_pid_file = run.conmon_pid_file.clone();
    if let Some(mode) = &run.pid_namespace {
        config.pid_namespace = namespace_mode("pid", mode)?;
    }
    if let Some(mode) = &run.uts_namespace {
        config.uts_namespace = namespace_mode("uts", mode)?;
        if config.uts_namespace == "host" && config.hostname.is_some() {
            return Err(Error::invalid_argument("hostname", "cannot set a hostname in the host's UTS namespace"));
        }
    }
    if let Some(mode) = &run.ipc_namespace {
        config.ipc_namespace = namespace_mode("ipc", mode)?;
    }
    config.runtime_flags = run.runtime_flags.iter().map(|f| runtime_flag(f)).collect::<Result<_>>()?;
    config.seccomp_profile = seccomp_profile(run.seccomp_profile.as_deref())?;
    Ok(())
}

/// A seccomp profile as stored: None for berth's default, "unconfined",
/// or the path of a profile file that reads as one.
pub fn seccomp_profile(given: Option<&str>) -> Result<Option<String>> {
    match given {
        None | Some("default") => Ok(None),
        Some("unconfined") => Ok(Some("unconfined".into())),
        Some(path) if path.starts_with('/') => {
            crate::oci::seccomp::read_profile(std::path::Path::new(path))?;
            Ok(Some(path.to_string()))
        }
        Some(other) => Err(Error::invalid_argument(
            "seccompProfile",
            format!("{other:?} is not default, unconfined or the absolute path of a profile"),
        )),
    }
}

/// podman's --runtime-flag: `flag[=value]`, given to the runtime as
/// `--flag[=value]`.
fn runtime_flag(flag: &str) -> Result<String> {
    let name = flag.trim_start_matches('-');
    if name.is_empty() || name.starts_with('=') || name.chars().any(char::is_whitespace) {
        return Err(Error::invalid_argument("runtimeFlags", format!("{flag:?} is not FLAG[=VALUE]")));
    }
    Ok(format!("--{name}"))
}

/// A device cgroup rule as podman takes it: `TYPE MAJOR:MINOR ACCESS`,
/// type a, b or c, numbers or `*`, access some of r, w and m. Podman's
/// messages for what is wrong.
pub fn parse_device_rule(rule: &str) -> Result<(char, Option<i64>, Option<i64>, String)> {
    let bad = |why: String| Error::invalid_argument("deviceCgroupRules", why);
    let fields: Vec<&str> = rule.split_whitespace().collect();
    let [kind, numbers, access] = fields[..] else {
        return Err(bad(format!("invalid device cgroup rule requires type, major:Minor, and access rules: {rule:?}")));
    };
    let kind = match kind {
        "a" | "b" | "c" => kind.chars().next().unwrap_or('a'),
        other => return Err(bad(format!("invalid device type in device-access-add: {other}"))),
    };
    let number = |n: &str| -> Result<Option<i64>> {
        match n {
            "*" => Ok(None),
            n => n.parse().map(Some).map_err(|_| bad(format!("strconv.ParseUint: parsing {n:?}: invalid syntax"))),
        }
    };
    let (major, minor) = match numbers.split_once(':') {
        Some((major, minor)) => (number(major)?, number(minor)?),
        None => (number(numbers)?, None),
    };
    if let Some(c) = access.chars().find(|c| !"rwm".contains(*c)) {
        return Err(bad(format!("invalid device access in device-access-add: {c}")));
    }
    Ok((kind, major, minor, access.to_string()))
}

/// podman's namespace modes berth has: private, host, ns:PATH (an
/// absolute path; the runtime joins it).
fn namespace_mode(kind: &str, mode: &str) -> Result<String> {
    match mode {
        "" | "private" => Ok("private".into()),
        "host" => Ok("host".into()),
        m if m.strip_prefix("ns:").is_some_and(|p| p.starts_with('/')) => Ok(m.to_string()),
        other => Err(Error::invalid_argument(
            kind,
            format!("invalid {kind} namespace {other:?}: berth takes private, host or ns:PATH"),
        )),
    }
}

/// `uid[:gid]` or `name[:group]`: what can be checked before the root is
/// mounted (the names are looked up in its /etc files at start).
fn check_user(user: &str) -> Result<()> {
    let bad = user.is_empty() || user.split(':').count() > 2 || user.split(':').any(str::is_empty);
    if bad {
        return Err(Error::invalid_argument("user", format!("{user:?} is not USER[:GROUP]")));
    }
    Ok(())
}

/// A hostname as the kernel takes it: at most 64 bytes, letters, digits,
/// dots and hyphens.
pub fn check_hostname(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !name.starts_with(['-', '.']);
    if !valid {
        return Err(Error::invalid_argument("hostname", format!("{name:?} is not a valid hostname")));
    }
    Ok(())
}

/// Capability names in one form, podman's: `CAP_NET_ADMIN`, `net_admin` and
/// `NET_ADMIN` are `CAP_NET_ADMIN`; `ALL` stays; sorted, each once.
fn capabilities(field: &str, names: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for n in names {
        let upper = n.trim().to_ascii_uppercase();
        let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
        let name = if bare == "ALL" { bare.to_string() } else { format!("CAP_{bare}") };
        if bare != "ALL" && bare.parse::<oci_spec::runtime::Capability>().is_err() {
            return Err(Error::invalid_argument(field, format!("unknown capability {n:?}")));
        }
        out.push(name);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// `HOST[:CONTAINER][:PERMISSIONS]`: the host path must be a device.
fn device(spec: &str) -> Result<Device> {
    let bad = |why: String| Error::invalid_argument("devices", why);
    let parts: Vec<&str> = spec.split(':').collect();
    let is_perms = |p: &str| !p.is_empty() && p.len() <= 3 && p.chars().all(|c| "rwm".contains(c));
    let (host, inside, perms) = match parts.as_slice() {
        [host] => (*host, *host, "rwm"),
        [host, p] if is_perms(p) => (*host, *host, *p),
        [host, inside] => (*host, *inside, "rwm"),
        [host, inside, p] if is_perms(p) => (*host, *inside, *p),
        _ => return Err(bad(format!("{spec:?} is not HOST[:CONTAINER][:PERMISSIONS]"))),
    };
    if !host.starts_with('/') || !inside.starts_with('/') {
        return Err(bad(format!("{spec:?}: device paths must be absolute")));
    }
    let kind = std::fs::metadata(host).map_err(|e| bad(format!("stat {host}: {e}")))?.file_type();
    if !kind.is_char_device() && !kind.is_block_device() {
        return Err(bad(format!("{host} is not a device")));
    }
    Ok(Device { path_on_host: host.into(), path_in_container: inside.into(), permissions: perms.into() })
}

/// `NAME=SOFT[:HARD]`, -1 for unlimited, stored by the kernel's name
/// (`RLIMIT_NOFILE`, as podman's inspect shows it); one per name, the last
/// given wins.
fn ulimits(specs: &[String]) -> Result<Vec<Ulimit>> {
    let bad = |s: &str, why: &str| Error::invalid_argument("ulimits", format!("{s:?}: {why}"));
    let mut out: Vec<Ulimit> = Vec::new();
    for s in specs {
        let (name, values) = s.split_once('=').ok_or_else(|| bad(s, "expected NAME=SOFT[:HARD]"))?;
        let name = name.trim().to_ascii_lowercase();
        if !ULIMITS.contains(&name.as_str()) {
            return Err(bad(s, &format!("unknown ulimit; known: {}", ULIMITS.join(", "))));
        }
        let number = |v: &str| v.trim().parse::<i64>().ok().filter(|n| *n >= -1);
        let (soft, hard) = match values.split_once(':') {
            Some((soft, hard)) => (number(soft), number(hard)),
            None => (number(values), number(values)),
        };
        let (Some(soft), Some(hard)) = (soft, hard) else {
            return Err(bad(s, "limits are numbers, or -1 for unlimited"));
        };
        let above = |a: i64, b: i64| b != -1 && (a == -1 || a > b);
        if above(soft, hard) {
            return Err(bad(s, "the soft limit is above the hard one"));
        }
        let name = format!("RLIMIT_{}", name.to_ascii_uppercase());
        out.retain(|u| u.name != name);
        out.push(Ulimit { name, soft, hard });
    }
    Ok(out)
}

/// Octal, at most 0777, written with four digits.
fn umask(mask: &str) -> Result<String> {
    match u32::from_str_radix(mask, 8) {
        Ok(m) if m <= 0o777 => Ok(format!("{m:04o}")),
        _ => Err(Error::invalid_argument("umask", format!("invalid umask {mask:?}: an octal number up to 0777"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_are_one_form() {
        let names: Vec<String> = ["cap_net_admin", "SYS_ADMIN", "net_admin", "all"].map(String::from).into();
        assert_eq!(capabilities("capAdd", &names).unwrap(), ["ALL", "CAP_NET_ADMIN", "CAP_SYS_ADMIN"]);
        assert!(capabilities("capAdd", &["NOT_A_CAP".into()]).is_err());
    }

    #[test]
    fn ulimits_parse_as_podman_takes_them() {
        let u = ulimits(&["nofile=1024:2048".into(), "core=-1".into(), "NOFILE=10".into()]).unwrap();
        assert_eq!(u[0], Ulimit { name: "RLIMIT_CORE".into(), soft: -1, hard: -1 });
        assert_eq!(u[1], Ulimit { name: "RLIMIT_NOFILE".into(), soft: 10, hard: 10 });
        for bad in ["nofile", "bogus=1", "nofile=2:1", "nofile=x", "nofile=-2"] {
            assert!(ulimits(&[bad.into()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn devices_umasks_and_sysctls() {
        let d = device("/dev/null:/dev/mynull:r").unwrap();
        assert_eq!((d.path_in_container.as_str(), d.permissions.as_str()), ("/dev/mynull", "r"));
        assert_eq!(device("/dev/zero:rw").unwrap().path_in_container, "/dev/zero");
        assert!(device("/etc/passwd").is_err());
        assert!(device("/dev/no-such-device").is_err());
        assert_eq!(umask("22").unwrap(), "0022");
        assert_eq!(umask("0077").unwrap(), "0077");
        assert!(umask("9999").is_err());
        assert!(sysctl_allowed("net.ipv4.ip_forward", Network::Private).is_ok());
        assert!(sysctl_allowed("net.ipv4.ip_forward", Network::Host).is_err());
        assert!(sysctl_allowed("kernel.shmmax", Network::Host).is_ok());
        assert!(sysctl_allowed("vm.swappiness", Network::Private).is_err());
        assert_eq!(parse_device_rule("b 7:* rmw").unwrap(), ('b', Some(7), None, "rmw".into()));
        assert_eq!(parse_device_rule("a 7 rmw").unwrap(), ('a', Some(7), None, "rmw".into()));
        for (rule, message) in [
            ("b 7:* rmX", "invalid device access in device-access-add: X"),
            ("b 7:2", "requires type, major:Minor, and access rules"),
            ("x 7:* rmw", "invalid device type in device-access-add: x"),
            ("a a:* rmw", "parsing \"a\": invalid syntax"),
        ] {
            let e = parse_device_rule(rule).unwrap_err().to_string();
            assert!(e.contains(message), "{rule}: {e}");
        }
    }
}
