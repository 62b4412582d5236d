//! conmon, the container monitor Podman uses. berth starts one per container:
//! conmon runs `<runtime> create`, reports the container's PID over a sync
//! pipe, then stays to hold the container's stdio, write its log and, when
//! the container exits, its exit code to `<exits>/<id>`. conmon runs in its own
//! session, so containers outlive berthd.

use super::runc::Runc;
use super::Paths;
use crate::error::{Error, Result};
use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where conmon is looked for, first found wins.
const CONMON_PATHS: &[&str] = &["/usr/bin/conmon", "/usr/libexec/podman/conmon", "/usr/local/bin/conmon"];

pub fn find() -> Option<PathBuf> {
    CONMON_PATHS.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// One container's conmon invocation.
pub struct Launch<'a> {
    pub conmon: &'a Path,
    pub runtime: &'a Runc,
    pub id: &'a str,
    pub name: &'a str,
    pub paths: &'a Paths,
    pub log_driver: &'a str,
    pub exits_dir: &'a Path,
    pub sockets_dir: &'a Path,
    pub no_cgroups: bool,
    /// Program and arguments conmon runs after the container exits.
    pub exit_command: Option<&'a [String]>,
    /// Called with conmon's PID before it may create the container (to put
    /// it into its scope); an error stops the launch.
    pub before_start: Option<&'a dyn Fn(u32) -> Result<()>>,
}

#[derive(serde::Deserialize)]
struct SyncMessage {
    data: i64,
    #[serde(default)]
    message: Option<String>,
}

impl Launch<'_> {
    fn args(&self) -> Vec<String> {
        let p = self.paths;
        let mut args: Vec<String> = vec![
            "--api-version".into(),
            "1".into(),
            "-c".into(),
            self.id.into(),
            "-u".into(),
            self.id.into(),
            "-r".into(),
            self.runtime.path.display().to_string(),
            "-b".into(),
            p.bundle.display().to_string(),
            "-p".into(),
            p.pidfile().display().to_string(),
            "-n".into(),
            self.name.into(),
            "--exit-dir".into(),
            self.exits_dir.display().to_string(),
            "--socket-dir-path".into(),
            self.sockets_dir.display().to_string(),
            "--conmon-pidfile".into(),
            p.conmon_pidfile().display().to_string(),
            "--log-level".into(),
            "warning".into(),
            "-l".into(),
            match self.log_driver {
                "journald" => "journald".into(),
                "none" => "none".into(),
                _ => format!("k8s-file:{}", p.log.display()),
            },
        ];
        if self.log_driver == "journald" {
            // conmon sets SYSLOG_IDENTIFIER (and CONTAINER_TAG) from the tag.
            args.extend(["--log-tag".into(), self.name.into()]);
        }
        for a in self.runtime.global_args() {
            args.push(format!("--runtime-arg={a}"));
        }
        if self.no_cgroups {
            args.extend(["--runtime-arg".into(), "--cgroup-manager".into(), "--runtime-arg".into(), "disabled".into()]);
        }
        if let Some((program, rest)) = self.exit_command.and_then(|c| c.split_first()) {
            args.extend(["--exit-command".into(), program.clone()]);
            for a in rest {
                args.extend(["--exit-command-arg".into(), a.clone()]);
            }
        }
        args
    }

    /// Start conmon, let it create the container, and return the container's PID.
    pub fn create(&self) -> Result<i32> {
        let pair = || {
            socketpair(AddressFamily::Unix, SockType::SeqPacket, None, SockFlag::SOCK_CLOEXEC)
                .map_err(|e| Error::Runtime(format!("socketpair for conmon: {e}")))
        };
        let (parent_sync, child_sync) = pair()?;
        let (parent_start, child_start) = pair()?;
        let (sync_fd, start_fd) = (child_sync.as_raw_fd(), child_start.as_raw_fd());
        let stderr_path = self.paths.bundle.join("conmon.stderr");
        let stderr = std::fs::File::create(&stderr_path).map_err(|e| Error::storage(stderr_path.display(), e))?;
        let mut cmd = Command::new(self.conmon);
        cmd.args(self.args())
            .current_dir(&self.paths.bundle)
            .env_clear()
            .env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
            .env("_OCI_SYNCPIPE", "3")
            .env("_OCI_STARTPIPE", "4")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        // SAFETY: between fork and exec only async-signal-safe calls are made
        // (setsid, fcntl, dup2), on descriptors this process owns.
        unsafe {
            cmd.pre_exec(move || {
                nix::unistd::setsid().map_err(std::io::Error::from)?;
                // Move both out of the way first, in case either is 3 or 4.
                let high_sync = nix::libc::fcntl(sync_fd, nix::libc::F_DUPFD, 10);
                let high_start = nix::libc::fcntl(start_fd, nix::libc::F_DUPFD, 10);
                if high_sync < 0
                    || high_start < 0
                    || nix::libc::dup2(high_sync, 3) < 0
                    || nix::libc::dup2(high_start, 4) < 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|e| Error::Runtime(format!("{}: {e}", self.conmon.display())))?;
        drop(child_sync);
        drop(child_start);
        if let Some(hook) = self.before_start {
            if let Err(e) = hook(child.id()) {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        }
        // conmon waits for this byte before it creates the container.
        let mut start = std::fs::File::from(parent_start);
        let _ = start.write_all(&[0]);
        let status = child.wait().map_err(|e| Error::Runtime(format!("conmon: {e}")))?;
        let message = read_sync(parent_sync);
        let conmon_err = || std::fs::read_to_string(&stderr_path).unwrap_or_default().trim().to_string();
        match message {
            Some(SyncMessage { data, .. }) if data > 0 => Ok(data as i32),
            Some(SyncMessage { message, .. }) => Err(Error::Runtime(format!(
                "{} could not create container {}: {}",
                self.runtime.name,
                self.id,
                message.unwrap_or_else(conmon_err)
            ))),
            None => {
                Err(Error::Runtime(format!("conmon exited ({status}) without creating {}: {}", self.id, conmon_err())))
            }
        }
    }
}

/// How long the runtime may take to create a container.
const CREATE_TIMEOUT_MS: u16 = 60_000;

/// conmon's first message on the sync pipe, or None if it closed it first
/// (or said nothing in time).
fn read_sync(fd: OwnedFd) -> Option<SyncMessage> {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let mut fds = [PollFd::new(std::os::fd::AsFd::as_fd(&fd), PollFlags::POLLIN)];
    if !matches!(poll(&mut fds, PollTimeout::from(CREATE_TIMEOUT_MS)), Ok(n) if n > 0) {
        return None;
    }
    let mut file = std::fs::File::from(fd);
    let mut buf = vec![0u8; 8192];
    let n = file.read(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf[..n]);
    serde_json::from_str(text.trim()).ok()
}
