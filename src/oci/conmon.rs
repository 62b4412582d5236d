//! conmon, the container monitor Podman uses. berth starts one per container:
//! conmon runs `<runtime> create`, reports the container's PID over a sync
//! pipe, then stays to hold the container's stdio, write its log and, when
//! the container exits, its exit code to `<exits>/<id>`. conmon runs in its own
//! session, so containers outlive berthd.

use super::error::{OciError, Result};
use super::runc::Runc;
use super::Paths;
use crate::error::CommandFailure;
use nix::fcntl::{fcntl, FcntlArg};
use nix::spawn::{posix_spawn, PosixSpawnAttr, PosixSpawnFileActions, PosixSpawnFlags};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

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
    /// Bytes a k8s-file log may hold before conmon starts it anew.
    pub log_size_max: Option<u64>,
    pub exits_dir: &'a Path,
    pub sockets_dir: &'a Path,
    pub no_cgroups: bool,
    /// Program and arguments conmon runs after the container exits.
    pub exit_command: Option<&'a [String]>,
    /// Seconds the container may run before conmon kills it.
    pub timeout: Option<u32>,
    /// conmon takes the pseudo-terminal's main side from the runtime.
    pub terminal: bool,
    /// Without a terminal: a pipe to the container's stdin that attached
    /// clients write to (a terminal takes their input anyway).
    pub stdin: bool,
    /// The unit's notify socket, to which conmon relays what the program
    /// sends to the socket it binds in the bundle's notify directory.
    pub sdnotify_socket: Option<&'a str>,
}

/// A conmon started and waiting for the word to create its container, so
/// that the caller can first put it where it belongs (its scope). Dropped
/// without `create`, it is killed.
pub struct Waiting {
    pid: Option<Pid>,
    sync: OwnedFd,
    start: OwnedFd,
    stderr_path: PathBuf,
    runtime: String,
    id: String,
}

#[derive(serde::Deserialize)]
struct SyncMessage {
    data: i64,
    #[serde(default)]
    message: Option<String>,
}

/// The arguments every conmon of berth's gets (podman's sharedConmonArgs):
/// the container, the ID conmon names its files by (`cuuid`: the
/// container's, or an exec session's), the runtime, the bundle and the
/// files conmon writes there, the exits directory.
struct Shared<'a> {
    runtime: &'a Runc,
    container_id: &'a str,
    cuuid: &'a str,
    name: &'a str,
    bundle: &'a Path,
    pidfile: &'a Path,
    conmon_pidfile: &'a Path,
    exits_dir: &'a Path,
}

impl Shared<'_> {
    fn args(&self) -> Vec<String> {
        let path = |p: &Path| p.display().to_string();
        let mut args: Vec<String> = vec!["--api-version".into(), "1".into()];
        args.extend(["-c".into(), self.container_id.into(), "-u".into(), self.cuuid.into()]);
        args.extend(["-r".into(), path(&self.runtime.path), "-b".into(), path(self.bundle)]);
        args.extend(["-p".into(), path(self.pidfile), "-n".into(), self.name.into()]);
        args.extend(["--exit-dir".into(), path(self.exits_dir), "--conmon-pidfile".into(), path(self.conmon_pidfile)]);
        args.extend(["--log-level".into(), "warning".into()]);
        args.extend(self.runtime.global_args().into_iter().map(|a| format!("--runtime-arg={a}")));
        args
    }
}

/// A pair of packet sockets for one of conmon's pipes: ours, conmon's.
fn sync_pair() -> Result<(OwnedFd, OwnedFd)> {
    socketpair(AddressFamily::Unix, SockType::SeqPacket, None, SockFlag::SOCK_CLOEXEC)
        .map_err(|e| OciError::Conmon(format!("socketpair: {e}")))
}

/// What conmon reported on its sync socket: the process's PID, or the
/// runtime's refusal to `what` (its words, else conmon's `stderr`). None
/// when conmon said nothing.
fn reported_pid(sync: &OwnedFd, runtime: &str, what: impl FnOnce() -> String, stderr: &Path) -> Option<Result<i32>> {
    Some(match read_sync(sync)? {
        SyncMessage { data, .. } if data > 0 => Ok(data as i32),
        SyncMessage { message, .. } => {
            let why = message.unwrap_or_else(|| conmon_stderr(stderr));
            let command = super::error::command_failure(&why).unwrap_or(CommandFailure::RuntimeRefused);
            Err(OciError::Create { runtime: runtime.to_string(), what: what(), why, command })
        }
    })
}

/// What conmon wrote to its stderr file.
fn conmon_stderr(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default().trim().to_string()
}

impl Launch<'_> {
    fn args(&self) -> Vec<String> {
        let p = self.paths;
        let shared = Shared {
            runtime: self.runtime,
            container_id: self.id,
            cuuid: self.id,
            name: self.name,
            bundle: &p.bundle,
            pidfile: &p.pidfile(),
            conmon_pidfile: &p.conmon_pidfile(),
            exits_dir: self.exits_dir,
        };
        let mut args = shared.args();
        args.extend(["--socket-dir-path".into(), self.sockets_dir.display().to_string(), "-l".into()]);
        args.push(match self.log_driver {
            "journald" => "journald".into(),
            "none" => "none".into(),
            _ => format!("k8s-file:{}", p.log.display()),
        });
        // As podman: -i only without a terminal, whose input conmon does
        // not close when a client leaves (a detached shell goes on).
        if self.terminal {
            args.push("-t".into());
        } else if self.stdin {
            args.push("-i".into());
        }
        if let Some(seconds) = self.timeout {
            args.extend(["--timeout".into(), seconds.to_string()]);
        }
        if let Some(bytes) = self.log_size_max.filter(|_| !matches!(self.log_driver, "journald" | "none")) {
            args.extend(["--log-size-max".into(), bytes.to_string()]);
        }
        if self.log_driver == "journald" {
            // conmon sets SYSLOG_IDENTIFIER (and CONTAINER_TAG) from the tag.
            args.extend(["--log-tag".into(), self.name.into()]);
        }
        if self.no_cgroups {
            args.extend(["--runtime-arg".into(), "--cgroup-manager".into(), "--runtime-arg".into(), "disabled".into()]);
        }
        if let Some(socket) = self.sdnotify_socket {
            args.push(format!("--sdnotify-socket={socket}"));
        }
        if let Some((program, rest)) = self.exit_command.and_then(|c| c.split_first()) {
            args.extend(["--exit-command".into(), program.clone()]);
            for a in rest {
                args.extend(["--exit-command-arg".into(), a.clone()]);
            }
        }
        args
    }

    /// Start conmon, waiting before it creates the container.
    pub fn spawn_waiting(&self) -> Result<Waiting> {
        let (parent_sync, child_sync) = sync_pair()?;
        let (parent_start, child_start) = sync_pair()?;
        let stderr_path = self.paths.bundle.join("conmon.stderr");
        let stderr = std::fs::File::create(&stderr_path).map_err(|e| OciError::file(&stderr_path, e))?;
        let pid = spawn(self.conmon, self.args(), &stderr, &[&child_sync, &child_start])?;
        Ok(Waiting {
            pid: Some(pid),
            sync: parent_sync,
            start: parent_start,
            stderr_path,
            runtime: self.runtime.name.clone(),
            id: self.id.to_string(),
        })
    }
}

impl Waiting {
    pub fn pid(&self) -> u32 {
        self.pid.map_or(0, |p| p.as_raw() as u32)
    }

    /// Let conmon create the container; the container's PID.
    pub fn create(mut self) -> Result<i32> {
        let Some(pid) = self.pid.take() else { return Err(OciError::Conmon("already told to create".into())) };
        // conmon waits for this byte before it creates the container.
        let _ = nix::unistd::write(&self.start, &[0]);
        let status = match waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, code)) => format!("exit code {code}"),
            Ok(WaitStatus::Signaled(_, signal, _)) => format!("killed by {signal}"),
            Ok(other) => format!("{other:?}"),
            Err(e) => return Err(OciError::Conmon(e.to_string())),
        };
        let what = || format!("create container {}", self.id);
        reported_pid(&self.sync, &self.runtime, what, &self.stderr_path).unwrap_or_else(|| {
            let stderr = conmon_stderr(&self.stderr_path);
            Err(OciError::Conmon(format!("exited ({status}) without creating {}: {stderr}", self.id)))
        })
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Some(pid) = self.pid.take() {
            let _ = nix::sys::signal::kill(pid, Signal::SIGKILL);
            let _ = waitpid(pid, None);
        }
    }
}

/// Start `conmon` with `args` in a session of its own, with /dev/null as
/// stdin and stdout, `stderr`, and `pipes` as descriptors 3 on: the sync,
/// start and (for an attached exec) attach sockets, as conmon's
/// _OCI_SYNCPIPE, _OCI_STARTPIPE and _OCI_ATTACHPIPE.
///
/// posix_spawn rather than fork: a fork copies berthd's page tables and
/// then faults in a copy of every page berthd writes while the child
/// execs, which grows with berthd's memory (and so with the number of
/// containers); posix_spawn shares the memory until the exec.
#[allow(unsafe_code)] // owns a descriptor fcntl made
fn spawn(conmon: &Path, args: Vec<String>, stderr: &std::fs::File, pipes: &[&OwnedFd]) -> Result<Pid> {
    let failed = |what: &str, e: nix::Error| OciError::Conmon(format!("starting {}: {what}: {e}", conmon.display()));
    // Above the descriptors being set, so that no dup2 below overwrites
    // a source that a later one still needs.
    let high = |fd: &OwnedFd| -> Result<OwnedFd> {
        let raw = fcntl(fd, FcntlArg::F_DUPFD_CLOEXEC(10)).map_err(|e| failed("dup", e))?;
        // SAFETY: fcntl just returned this new descriptor; nothing else owns it.
        Ok(unsafe { OwnedFd::from_raw_fd(raw) })
    };
    let pipes = pipes.iter().map(|p| high(p)).collect::<Result<Vec<_>>>()?;
    let mut actions = PosixSpawnFileActions::init().map_err(|e| failed("file actions", e))?;
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .map_err(|e| OciError::file("/dev/null", e))?;
    let stdio = [(&null, 0), (&null, 1), (stderr, 2)].map(|(f, t)| (f.as_raw_fd(), t));
    let numbered = pipes.iter().zip(3..).map(|(p, t)| (p.as_raw_fd(), t));
    for (fd, target) in stdio.into_iter().chain(numbered) {
        actions.add_dup2(fd, target).map_err(|e| failed("dup2", e))?;
    }
    let mut attr = PosixSpawnAttr::init().map_err(|e| failed("attributes", e))?;
    // As std::process does: SIGPIPE (which Rust ignores) back to its
    // default, and no signal blocked.
    let mut pipe = SigSet::empty();
    pipe.add(Signal::SIGPIPE);
    attr.set_sigdefault(&pipe).map_err(|e| failed("signals", e))?;
    attr.set_sigmask(&SigSet::empty()).map_err(|e| failed("signals", e))?;
    let setsid = PosixSpawnFlags::from_bits_retain(nix::libc::POSIX_SPAWN_SETSID as nix::libc::c_int);
    attr.set_flags(setsid | PosixSpawnFlags::POSIX_SPAWN_SETSIGDEF | PosixSpawnFlags::POSIX_SPAWN_SETSIGMASK)
        .map_err(|e| failed("attributes", e))?;
    let cstring = |s: String| {
        CString::new(s)
            .map_err(|_| OciError::Argument { field: "conmon argument", reason: "contains a NUL byte".into() })
    };
    let args = std::iter::once(conmon.display().to_string()).chain(args).map(cstring).collect::<Result<Vec<_>>>()?;
    let names = ["_OCI_SYNCPIPE", "_OCI_STARTPIPE", "_OCI_ATTACHPIPE"];
    let env = std::iter::once("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string())
        .chain(names.iter().zip(3..).take(pipes.len()).map(|(name, fd)| format!("{name}={fd}")))
        .map(cstring)
        .collect::<Result<Vec<_>>>()?;
    posix_spawn(conmon, &actions, &attr, &args, &env).map_err(|e| failed("posix_spawn", e))
}

/// How long the runtime may take to create a container.
const CREATE_TIMEOUT_MS: u16 = 60_000;

/// conmon's first message on the sync pipe, or None if it closed it first
/// (or said nothing in time).
fn read_sync(fd: &OwnedFd) -> Option<SyncMessage> {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let mut fds = [PollFd::new(std::os::fd::AsFd::as_fd(fd), PollFlags::POLLIN)];
    if !matches!(poll(&mut fds, PollTimeout::from(CREATE_TIMEOUT_MS)), Ok(n) if n > 0) {
        return None;
    }
    let mut buf = vec![0u8; 8192];
    let n = nix::unistd::read(fd, &mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf[..n]);
    serde_json::from_str(text.trim()).ok()
}

/// The arguments of process `pid` when it is a conmon (a PID file may name
/// a PID a later process was given).
fn conmon_args(pid: u32) -> Option<Vec<Vec<u8>>> {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args: Vec<Vec<u8>> = cmdline.split(|b| *b == 0).map(<[u8]>::to_vec).collect();
    args.first()?.ends_with(b"conmon").then_some(args)
}

/// The value conmon was given for `flag`.
fn arg<'a>(args: &'a [Vec<u8>], flag: &[u8]) -> Option<&'a [u8]> {
    args.windows(2).find(|w| w[0] == flag).map(|w| w[1].as_slice())
}

/// Whether the process `pid` that started at `start` still runs (a zombie
/// nobody has reaped yet has ended).
pub fn still_runs(pid: u32, start: u64) -> bool {
    crate::process::process_state(pid).is_some_and(|(state, t)| state != 'Z' && t == start)
}

/// The conmon a container's run has, as its PID file tells.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Conmon {
    /// No PID file: conmon never ran (or has not written it yet).
    Unknown,
    /// Its PID and start time, while it runs.
    Running(u32, u64),
    /// Gone, or a zombie nobody has reaped yet.
    Gone,
}

/// The conmon of container `id` that `pidfile` names: running only when
/// that PID is a live conmon for `id`.
pub fn of(pidfile: &Path, id: &str) -> Conmon {
    let Some(pid) = crate::process::pid_in(pidfile) else {
        return Conmon::Unknown;
    };
    let ours = || conmon_args(pid).is_some_and(|args| arg(&args, b"-c") == Some(id.as_bytes()));
    match crate::process::process_state(pid) {
        Some((state, start)) if state != 'Z' && ours() => Conmon::Running(pid, start),
        _ => Conmon::Gone,
    }
}

/// The conmon processes that report to `exits_dir` (one berthd's), by
/// their command lines: (PID, container ID). What the PID files cannot
/// tell: a conmon whose container has no record, or that has not written
/// its PID file yet.
pub fn running_for(exits_dir: &Path) -> Vec<(u32, String)> {
    let exits = exits_dir.as_os_str().as_encoded_bytes();
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut found = Vec::new();
    for pid in entries.flatten().filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok()) {
        let Some(args) = conmon_args(pid) else { continue };
        let alive = crate::process::process_state(pid).is_some_and(|(state, _)| state != 'Z');
        if alive && arg(&args, b"--exit-dir") == Some(exits) {
            if let Some(id) = arg(&args, b"-c").and_then(|id| std::str::from_utf8(id).ok()) {
                found.push((pid, id.to_string()));
            }
        }
    }
    found
}

/// Connect to the attach socket conmon serves in `bundle`: a packet
/// socket whose packets out are a stream byte (2 stdout, 3 stderr) then
/// output, and whose packets in are the container's input. Reached through
/// a descriptor of the directory, as conmon binds it, so that a long path
/// stays within a socket address's 108 bytes.
pub fn connect_attach(bundle: &Path) -> std::io::Result<OwnedFd> {
    use nix::fcntl::{open, OFlag};
    use nix::sys::socket::{connect, socket, UnixAddr};
    let dir = open(bundle, OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC, nix::sys::stat::Mode::empty())?;
    let socket = socket(AddressFamily::Unix, SockType::SeqPacket, SockFlag::SOCK_CLOEXEC, None)?;
    let address = UnixAddr::new(format!("/proc/self/fd/{}/attach", dir.as_raw_fd()).as_str())?;
    connect(socket.as_raw_fd(), &address)?;
    Ok(socket)
}

/// The first byte of a packet from the attach socket: which stream it is.
pub const ATTACH_STDOUT: u8 = 2;
pub const ATTACH_STDERR: u8 = 3;

/// Set the size of the pseudo-terminal conmon holds for the process whose
/// bundle is `bundle`, through its control FIFO (message 1: a resize).
pub fn resize(bundle: &Path, height: u16, width: u16) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    // Non-blocking: a FIFO whose reader (conmon) is gone fails at once
    // instead of waiting for one.
    let mut ctl =
        std::fs::OpenOptions::new().write(true).custom_flags(nix::libc::O_NONBLOCK).open(bundle.join("ctl"))?;
    ctl.write_all(format!("1 {height} {width}\n").as_bytes())
}

/// An exec session's conmon (`conmon -e`): it runs `<runtime> exec` with
/// the process in `<bundle>/process.json` and then holds that process's
/// stdio, terminal and attach socket as a container's conmon does, in the
/// session's own bundle, writing the exit code to `<exits_dir>/<container id>`.
/// It runs in a session of its own, so the process outlives berthd.
pub struct ExecLaunch<'a> {
    pub conmon: &'a Path,
    pub runtime: &'a Runc,
    pub container_id: &'a str,
    pub container_name: &'a str,
    pub session: &'a str,
    pub bundle: &'a Path,
    pub exits_dir: &'a Path,
    pub terminal: bool,
    pub stdin: bool,
    /// Connect to the attach socket before the process starts.
    pub attach: bool,
}

impl ExecLaunch<'_> {
    fn args(&self) -> Vec<String> {
        let shared = Shared {
            runtime: self.runtime,
            container_id: self.container_id,
            cuuid: self.session,
            name: self.container_name,
            bundle: self.bundle,
            pidfile: &self.bundle.join("pidfile"),
            conmon_pidfile: &self.bundle.join("conmon.pid"),
            exits_dir: self.exits_dir,
        };
        let mut args = shared.args();
        // The attach socket in the session's bundle itself; the output
        // goes to attached clients only.
        args.extend(["--full-attach".into(), "-l".into(), "none".into(), "-e".into()]);
        args.extend(["--exec-process-spec".into(), self.bundle.join("process.json").display().to_string()]);
        let flags = [(self.attach, "--exec-attach"), (self.terminal, "-t"), (self.stdin, "-i")];
        args.extend(flags.into_iter().filter(|(on, _)| *on).map(|(_, flag)| flag.to_string()));
        args
    }

    /// Run the process: its PID, and (attaching) the attach socket,
    /// connected before the process started so that none of its output
    /// is missed.
    pub fn run(&self) -> Result<(i32, Option<OwnedFd>)> {
        let (sync, child_sync) = sync_pair()?;
        let (start, child_start) = sync_pair()?;
        let (attach, child_attach) = sync_pair()?;
        let stderr_path = self.bundle.join("conmon.stderr");
        let stderr = std::fs::File::create(&stderr_path).map_err(|e| OciError::file(&stderr_path, e))?;
        let mut pipes = vec![&child_sync, &child_start];
        if self.attach {
            pipes.push(&child_attach);
        }
        let pid = spawn(self.conmon, self.args(), &stderr, &pipes)?;
        drop((child_sync, child_start, child_attach));
        // conmon waits for a first byte before it forks away.
        let _ = nix::unistd::write(&start, &[0]);
        let _ = waitpid(pid, None);
        let socket = if self.attach {
            if read_sync(&attach).is_none() {
                let stderr = conmon_stderr(&stderr_path);
                return Err(OciError::Conmon(format!("exec {}: no attach socket: {stderr}", self.session)));
            }
            let socket = connect_attach(self.bundle).map_err(|e| OciError::Conmon(format!("attach socket: {e}")))?;
            // The second byte lets the runtime exec the process.
            let _ = nix::unistd::write(&start, &[0]);
            Some(socket)
        } else {
            None
        };
        let what = || format!("start exec session {} in container {}", self.session, self.container_id);
        let pid = reported_pid(&sync, &self.runtime.name, what, &stderr_path).unwrap_or_else(|| {
            Err(OciError::Conmon(format!("exec {} did not start: {}", self.session, conmon_stderr(&stderr_path))))
        })?;
        Ok((pid, socket))
    }
}
