//! netavark, run as Podman runs it: the options as JSON on its standard
//! input, `setup` or `teardown` of a network namespace given by path, and
//! for setup the addresses and DNS servers it reports. Also the network
//! namespace files berthd keeps for containers (a namespace bind-mounted
//! on a file under the run root, so it outlives berthd as the container
//! does, and netavark can be given its path).

use super::error::{OciError, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// How to run netavark.
#[derive(Debug, Clone)]
pub struct Netavark {
    pub binary: PathBuf,
    pub aardvark: PathBuf,
    /// Its state: firewall bookkeeping and aardvark-dns's files.
    pub config_dir: PathBuf,
}

/// What setup reports of one network.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct StatusBlock {
    #[serde(default)]
    pub dns_server_ips: Vec<String>,
    #[serde(default)]
    pub dns_search_domains: Vec<String>,
    #[serde(default)]
    pub interfaces: BTreeMap<String, Interface>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct Interface {
    #[serde(default)]
    pub mac_address: String,
}

impl Netavark {
    /// `netavark setup`: the options (serialized NetworkOptions) for the
    /// namespace at `netns`; per network, what it set up.
    pub fn setup(&self, netns: &Path, options: &serde_json::Value) -> Result<BTreeMap<String, StatusBlock>> {
        let out = self.run("setup", netns, options)?;
        serde_json::from_str(&out)
            .map_err(|e| OciError::Argument { field: "network", reason: format!("netavark's answer {out:?}: {e}") })
    }

    /// `netavark teardown` with the options setup was given.
    pub fn teardown(&self, netns: &Path, options: &serde_json::Value) -> Result<()> {
        self.run("teardown", netns, options).map(drop)
    }

    fn run(&self, command: &str, netns: &Path, options: &serde_json::Value) -> Result<String> {
        std::fs::create_dir_all(&self.config_dir).map_err(|e| OciError::file(&self.config_dir, e))?;
        // One netavark at a time, as podman runs it: two at once race on
        // the bridge (a teardown removing it while a setup attaches to it)
        // and on the firewall's chains.
        let lock_path = self.config_dir.join("netavark.lock");
        let lock_file = std::fs::File::create(&lock_path).map_err(|e| OciError::file(&lock_path, e))?;
        let _lock = nix::fcntl::Flock::lock(lock_file, nix::fcntl::FlockArg::LockExclusive)
            .map_err(|(_, e)| OciError::file(&lock_path, e.into()))?;
        // aardvark-dns, which setup may start, keeps netavark's standard
        // output: read a file once netavark exits, not a pipe to its end.
        let answer = tempfile_in(&self.config_dir)?;
        let mut child = Command::new(&self.binary)
            .arg("--config")
            .arg(&self.config_dir)
            .arg("--rootless=false")
            .arg(format!("--aardvark-binary={}", self.aardvark.display()))
            .arg(command)
            .arg(netns)
            .env_remove("NOTIFY_SOCKET")
            .env_remove("LISTEN_FDS")
            .env_remove("LISTEN_PID")
            .stdin(Stdio::piped())
            .stdout(answer.try_clone().map_err(|e| OciError::file(&self.config_dir, e))?)
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| OciError::Spawn { program: self.binary.display().to_string(), source })?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(options.to_string().as_bytes()).map_err(|e| OciError::file(&self.binary, e))?;
        }
        let status = child.wait().map_err(|e| OciError::file(&self.binary, e))?;
        let out = std::fs::read_to_string(answer.path()).unwrap_or_default();
        if status.success() {
            return Ok(out);
        }
        #[derive(Deserialize)]
        struct Failed {
            error: String,
        }
        let why = serde_json::from_str::<Failed>(&out).map(|f| f.error).unwrap_or(out);
        Err(OciError::Refused { runtime: "netavark".into(), command: command.into(), stderr: why.trim().to_string() })
    }
}

/// A file that goes when dropped.
struct Scratch {
    file: std::fs::File,
    path: PathBuf,
}

impl Scratch {
    fn path(&self) -> &Path {
        &self.path
    }

    fn try_clone(&self) -> std::io::Result<std::fs::File> {
        self.file.try_clone()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn tempfile_in(dir: &Path) -> Result<Scratch> {
    let path = dir.join(format!(".answer-{}", crate::names::new_id()));
    let file = std::fs::File::create(&path).map_err(|e| OciError::file(&path, e))?;
    Ok(Scratch { file, path })
}

/// Make a network namespace and keep it at `path` (a file bind-mounted
/// over with it), its loopback up.
pub fn create_netns(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| OciError::file(dir, e))?;
    }
    std::fs::File::create(path).map_err(|e| OciError::file(path, e))?;
    let target = path.to_path_buf();
    // A thread of its own enters the new namespace and ends with it mounted,
    // so no thread of berthd's pools is ever left in it.
    let made = std::thread::spawn(move || -> std::io::Result<()> {
        use nix::mount::{mount, MsFlags};
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET)?;
        loopback_up()?;
        mount(Some("/proc/thread-self/ns/net"), &target, None::<&str>, MsFlags::MS_BIND, None::<&str>)?;
        Ok(())
    })
    .join()
    .unwrap_or_else(|_| Err(std::io::Error::other("the namespace's thread panicked")));
    made.map_err(|e| {
        let _ = std::fs::remove_file(path);
        OciError::file(path, e)
    })
}

/// Unmount and remove a namespace file; one that is not there is fine.
pub fn remove_netns(path: &Path) {
    let _ = nix::mount::umount2(path, nix::mount::MntFlags::MNT_DETACH);
    let _ = std::fs::remove_file(path);
}

#[allow(unsafe_code)] // SIOCSIFFLAGS has no safe wrapper
fn loopback_up() -> std::io::Result<()> {
    use nix::libc;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    // SAFETY: socket(2) returns a new descriptor or -1, checked below.
    let raw = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if raw < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `raw` is a descriptor just made and owned by nothing else.
    let socket = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: ifreq is plain data; zeroed is a valid value of it.
    let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in request.ifr_name.iter_mut().zip(b"lo\0") {
        *dst = *src as libc::c_char;
    }
    // SAFETY: the request names an interface and has room for its flags;
    // both calls only read and write that struct.
    unsafe {
        if libc::ioctl(socket.as_raw_fd(), libc::SIOCGIFFLAGS, &mut request) < 0 {
            return Err(std::io::Error::last_os_error());
        }
        request.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
        if libc::ioctl(socket.as_raw_fd(), libc::SIOCSIFFLAGS, &request) < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}
