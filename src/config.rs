//! berth.conf (TOML) and the daemon's settings: defaults for new containers,
//! the OCI runtimes known to the engine, and where state lives.

use crate::error::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const DEFAULT_CONFIG: &str = "/etc/berth/berth.conf";
const PASTA: &str = "/usr/bin/pasta";

/// How container cgroups are managed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CgroupManager {
    Systemd,
    Cgroupfs,
}

impl CgroupManager {
    /// systemd when PID 1 is systemd (sd_booted's test), else cgroupfs.
    pub fn detect() -> Self {
        if Path::new("/run/systemd/system").is_dir() {
            CgroupManager::Systemd
        } else {
            CgroupManager::Cgroupfs
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CgroupManager::Systemd => "systemd",
            CgroupManager::Cgroupfs => "cgroupfs",
        }
    }

    /// The parent a container gets when it asks for none (libpod's
    /// defaults; a user's containers go in the user manager's user.slice).
    pub fn default_parent(self) -> &'static str {
        match self {
            CgroupManager::Systemd if crate::rootless::owner().is_some() => "user.slice",
            CgroupManager::Systemd => "machine.slice",
            CgroupManager::Cgroupfs => "/berth_parent",
        }
    }
}

impl std::str::FromStr for CgroupManager {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "systemd" => Ok(CgroupManager::Systemd),
            "cgroupfs" => Ok(CgroupManager::Cgroupfs),
            other => {
                Err(Error::invalid_argument("cgroupManager", format!("{other:?} is neither systemd nor cgroupfs")))
            }
        }
    }
}

/// The file's contents; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub engine: EngineSection,
    /// Runtime name -> candidate paths, first existing one wins.
    #[serde(default)]
    pub runtimes: BTreeMap<String, Vec<PathBuf>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineSection {
    pub root: Option<PathBuf>,
    pub run_root: Option<PathBuf>,
    pub cgroup_manager: Option<CgroupManager>,
    pub runtime: Option<String>,
    pub shm_size: Option<String>,
    pub stop_signal: Option<String>,
    pub stop_timeout: Option<u32>,
    pub timezone: Option<String>,
    pub log_driver: Option<String>,
    /// The most bytes a container's k8s-file log holds before conmon starts
    /// it anew (containers.conf's log_size_max; -1, the default: no limit).
    pub log_size_max: Option<i64>,
    /// Registry credentials in the containers-auth.json format.
    pub auth_file: Option<PathBuf>,
    /// The init a container created with `init` runs as PID 1.
    pub init_path: Option<PathBuf>,
    /// netavark and aardvark-dns, which set up bridge networks.
    pub netavark_path: Option<PathBuf>,
    pub aardvark_path: Option<PathBuf>,
    /// pasta (Debian's passt), a user's containers' way out.
    pub pasta_path: Option<PathBuf>,
    /// What mounts containers' overlays instead of the kernel
    /// (containers-storage's mount_program: fuse-overlayfs).
    pub mount_program: Option<PathBuf>,
    /// The default network's subnet, and the pool other networks' come from.
    pub default_subnet: Option<String>,
    pub subnet_pool: Option<String>,
    /// The network a container gets when it asks for none (containers.conf's
    /// netns): bridge (the `berth` network), none or host.
    pub netns: Option<String>,
    /// Register running containers with systemd-machined (default true;
    /// only under the systemd cgroup manager).
    pub machined: Option<bool>,
}

/// Settings in force: the file merged with flags and built-in defaults.
#[derive(Debug, Clone)]
pub struct Config {
    pub root: PathBuf,
    pub run_root: PathBuf,
    pub cgroup_manager: CgroupManager,
    pub default_runtime: String,
    pub runtimes: BTreeMap<String, Vec<PathBuf>>,
    pub shm_size: u64,
    pub stop_signal: i32,
    pub stop_timeout: u32,
    pub timezone: String,
    pub log_driver: String,
    /// conmon's --log-size-max for k8s-file logs (None: no limit).
    pub log_size_max: Option<u64>,
    /// Where pulls find registry credentials: by default the file that
    /// `podman login` writes for root.
    pub auth_file: PathBuf,
    /// The init for containers created with `init` (catatonit, as podman's).
    pub init_path: PathBuf,
    pub netavark_path: PathBuf,
    pub aardvark_path: PathBuf,
    pub pasta_path: PathBuf,
    pub mount_program: Option<PathBuf>,
    /// The `berth` network's subnet (podman's default network has 10.88.0.0/16).
    pub default_subnet: String,
    /// Where new networks' /24 subnets come from (podman's 10.89.0.0/16).
    pub subnet_pool: String,
    /// `--network` for a container that names no network: bridge, none or host.
    pub default_netns: String,
    /// berthctl with the address berthd serves, for what calls berthd back:
    /// conmon's exit command (`info`, which only connects, so that a
    /// socket-activated berthd starts and records the exit even when it was
    /// not running) and health check timers. Set by berthd.
    pub ctl_command: Option<Vec<String>>,
    /// Running containers are machines of systemd-machined's.
    pub machined: bool,
}

impl Config {
    /// What conmon runs when a container exits (see `ctl_command`).
    pub fn exit_command(&self) -> Option<Vec<String>> {
        self.ctl_command.clone().map(|mut ctl| {
            ctl.push("info".into());
            ctl
        })
    }
}

/// json-file is podman's alias of k8s-file (conmon writes the same file).
pub const LOG_DRIVERS: &[&str] = &["k8s-file", "json-file", "journald", "none"];

impl Config {
    /// Built-in defaults, then the file (if `path` exists or was asked for).
    pub fn load(path: Option<&Path>) -> Result<Self> {
        let file = match path {
            Some(p) => Self::read_file(p)?,
            None if Path::new(DEFAULT_CONFIG).exists() => Self::read_file(Path::new(DEFAULT_CONFIG))?,
            None => ConfigFile::default(),
        };
        Self::from_file(file)
    }

    /// A user's berthd: the file under the user's XDG config directory,
    /// and state under their data and runtime directories. What needs the
    /// host's root is off: machined, bridge networks.
    pub fn load_for_user(path: Option<&Path>, dirs: &crate::rootless::UserDirs) -> Result<Self> {
        let default = dirs.config.join("berth.conf");
        let mut file = match path {
            Some(p) => Self::read_file(p)?,
            None if default.exists() => Self::read_file(&default)?,
            None => ConfigFile::default(),
        };
        let e = &mut file.engine;
        e.root.get_or_insert_with(|| dirs.data.clone());
        e.run_root.get_or_insert_with(|| dirs.run.clone());
        e.machined.get_or_insert(false);
        // The user's manager makes the scopes when there is one to ask.
        let session_bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
            || dirs.run.parent().is_some_and(|runtime| runtime.join("bus").exists());
        e.cgroup_manager.get_or_insert(match CgroupManager::detect() {
            CgroupManager::Systemd if session_bus => CgroupManager::Systemd,
            _ => CgroupManager::Cgroupfs,
        });
        let pasta = e.pasta_path.clone().unwrap_or_else(|| PASTA.into());
        e.netns.get_or_insert_with(|| if pasta.exists() { "pasta" } else { "none" }.into());
        let auth = dirs.run.parent().map(|r| r.join("containers/auth.json"));
        if let (None, Some(auth)) = (&e.auth_file, auth) {
            e.auth_file = Some(auth);
        }
        Self::from_file(file)
    }

    fn read_file(path: &Path) -> Result<ConfigFile> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::storage(path.display(), e))?;
        toml::from_str(&text).map_err(|e| Error::invalid_argument("config", format!("{}: {e}", path.display())))
    }

    pub fn from_file(file: ConfigFile) -> Result<Self> {
        let e = file.engine;
        let mut runtimes = default_runtimes();
        runtimes.extend(file.runtimes);
        Ok(Config {
            root: e.root.unwrap_or_else(|| "/var/lib/berth".into()),
            run_root: e.run_root.unwrap_or_else(|| "/run/berth".into()),
            cgroup_manager: e.cgroup_manager.unwrap_or_else(CgroupManager::detect),
            default_runtime: e.runtime.unwrap_or_else(|| "runc".into()),
            runtimes,
            shm_size: parse_size(e.shm_size.as_deref().unwrap_or("64m"))?,
            stop_signal: parse_signal(e.stop_signal.as_deref().unwrap_or("15"))?,
            stop_timeout: e.stop_timeout.unwrap_or(10),
            timezone: e.timezone.unwrap_or_default(),
            log_driver: validate_log_driver(e.log_driver.unwrap_or_else(|| "k8s-file".into()))?,
            log_size_max: e.log_size_max.and_then(|n| u64::try_from(n).ok()).filter(|n| *n > 0),
            auth_file: e.auth_file.unwrap_or_else(|| "/run/containers/0/auth.json".into()),
            init_path: e.init_path.unwrap_or_else(|| "/usr/bin/catatonit".into()),
            netavark_path: e.netavark_path.unwrap_or_else(|| "/usr/lib/podman/netavark".into()),
            aardvark_path: e.aardvark_path.unwrap_or_else(|| "/usr/lib/podman/aardvark-dns".into()),
            pasta_path: e.pasta_path.unwrap_or_else(|| PASTA.into()),
            mount_program: e.mount_program,
            default_subnet: e.default_subnet.unwrap_or_else(|| "10.88.0.0/16".into()),
            subnet_pool: e.subnet_pool.unwrap_or_else(|| "10.89.0.0/16".into()),
            default_netns: validate_netns(e.netns.unwrap_or_else(|| "bridge".into()))?,
            ctl_command: None,
            machined: e.machined.unwrap_or(true),
        })
    }

    /// Resolve a runtime given by name (from [runtimes]) or by absolute path to
    /// the binary that will run containers.
    pub fn resolve_runtime(&self, runtime: &str) -> Result<(String, PathBuf)> {
        let unavailable = || Error::RuntimeNotAvailable(runtime.to_string());
        if runtime.starts_with('/') {
            let path = PathBuf::from(runtime);
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).ok_or_else(unavailable)?;
            return is_executable(&path).then_some((name, path)).ok_or_else(unavailable);
        }
        let candidates = self.runtimes.get(runtime).ok_or_else(unavailable)?;
        let path = candidates.iter().find(|p| is_executable(p)).ok_or_else(unavailable)?;
        Ok((runtime.to_string(), path.clone()))
    }
}

/// Whether a runtime can run a container without cgroups (libpod: only crun).
pub fn runtime_supports_no_cgroups(name: &str) -> bool {
    name == "crun" || name.starts_with("crun-")
}

fn default_runtimes() -> BTreeMap<String, Vec<PathBuf>> {
    let paths = |n: &str| {
        ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", "/sbin", "/bin"]
            .iter()
            .map(|d| Path::new(d).join(n))
            .collect()
    };
    BTreeMap::from([("runc".to_string(), paths("runc")), ("crun".to_string(), paths("crun"))])
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

fn validate_netns(mode: String) -> Result<String> {
    match mode.as_str() {
        "bridge" | "private" | "none" | "host" | "pasta" => Ok(mode),
        _ => Err(Error::invalid_argument(
            "config",
            format!("netns {mode:?} is none of bridge, private, none, host, pasta"),
        )),
    }
}

pub fn validate_log_driver(driver: String) -> Result<String> {
    if LOG_DRIVERS.contains(&driver.as_str()) {
        Ok(driver)
    } else {
        Err(Error::invalid_argument(
            "logDriver",
            format!("invalid log driver {driver:?}: berth has {}", LOG_DRIVERS.join(", ")),
        ))
    }
}

/// A human size as Podman takes it: `65536`, `64k`, `64m`, `1g`, `64MiB`, `64mb`.
pub fn parse_size(s: &str) -> Result<u64> {
    let bad = |why: &str| Error::invalid_argument("shmSize", format!("{s:?}: {why}"));
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| bad("expected a number with an optional unit (b, k, m, g)"))?;
    let unit = unit.trim().to_ascii_lowercase();
    let mult: u64 = match unit.trim_end_matches("ib").trim_end_matches('b') {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        _ => return Err(bad("unknown unit")),
    };
    let size = n.checked_mul(mult).ok_or_else(|| bad("too large"))?;
    if size == 0 {
        return Err(bad("must be more than zero"));
    }
    Ok(size)
}

/// A signal by number (`15`) or name (`TERM`, `SIGTERM`, `sigterm`).
pub fn parse_signal(s: &str) -> Result<i32> {
    use nix::sys::signal::Signal;
    let bad = || Error::invalid_argument("stopSignal", format!("{s:?} is not a signal"));
    if let Ok(n) = s.parse::<i32>() {
        return Signal::try_from(n).map(|sig| sig as i32).map_err(|_| bad());
    }
    let upper = s.to_ascii_uppercase();
    let name = if upper.starts_with("SIG") { upper } else { format!("SIG{upper}") };
    name.parse::<Signal>().map(|sig| sig as i32).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64m").unwrap(), 64 << 20);
        assert_eq!(parse_size("64MiB").unwrap(), 64 << 20);
        assert_eq!(parse_size("64mb").unwrap(), 64 << 20);
        assert_eq!(parse_size("1g").unwrap(), 1 << 30);
        assert_eq!(parse_size("65536").unwrap(), 65536);
        assert_eq!(parse_size("4k").unwrap(), 4096);
        for bad in ["", "m", "64x", "-1", "0", "99999999999999999999g"] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn signals() {
        assert_eq!(parse_signal("15").unwrap(), 15);
        assert_eq!(parse_signal("TERM").unwrap(), 15);
        assert_eq!(parse_signal("SIGKILL").unwrap(), 9);
        assert_eq!(parse_signal("sigint").unwrap(), 2);
        assert!(parse_signal("NOPE").is_err());
        assert!(parse_signal("0").is_err());
        assert!(parse_signal("99").is_err());
    }

    #[test]
    fn file_overrides_defaults() {
        let f: ConfigFile = toml::from_str(
            "[engine]\nshm_size = \"128m\"\nstop_timeout = 3\ncgroup_manager = \"cgroupfs\"\n[runtimes]\nmyrt = [\"/bin/true\"]\n",
        )
        .unwrap();
        let c = Config::from_file(f).unwrap();
        assert_eq!(c.shm_size, 128 << 20);
        assert_eq!(c.stop_timeout, 3);
        assert_eq!(c.stop_signal, 15);
        assert_eq!(c.cgroup_manager, CgroupManager::Cgroupfs);
        assert_eq!(c.resolve_runtime("myrt").unwrap().1, PathBuf::from("/bin/true"));
        assert!(matches!(c.resolve_runtime("nope"), Err(Error::RuntimeNotAvailable(_))));
        assert!(matches!(c.resolve_runtime("/no/such/runtime"), Err(Error::RuntimeNotAvailable(_))));
        assert!(toml::from_str::<ConfigFile>("[engine]\nbogus = 1\n").is_err());
    }
}
