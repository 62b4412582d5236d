//! The OCI runtime's command line (runc; crun takes the same verbs). berth
//! keeps each daemon's runtime state under its own `--root`.

use super::error::{OciError, Result};
use crate::process::{process_start_time, process_state};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

#[derive(Debug, Clone)]
pub struct Runc {
    pub name: String,
    pub path: PathBuf,
    /// The runtime's state directory (`--root`).
    pub root: PathBuf,
    /// More global flags (a container's --runtime-flag), `--flag[=value]`.
    pub flags: Vec<String>,
}

/// What `runc state` reports.
#[derive(Debug, Clone, Deserialize)]
pub struct RuntimeState {
    pub status: String,
    pub pid: i32,
}

/// What `exec` runs: the command, its environment (KEY=VALUE), user and
/// working directory, and where runc writes its PID.
pub struct ExecProcess<'a> {
    pub command: &'a [String],
    pub env: &'a [String],
    pub user: Option<&'a str>,
    pub workdir: Option<&'a str>,
    pub pid_file: Option<&'a std::path::Path>,
}

/// Whether a container's init, its PID and its start time as runc records
/// them, still runs: a PID taken by another process since is not the init,
/// and a zombie has ended (its parent has not yet collected it).
fn init_alive(pid: u32, start_time: Option<u64>) -> bool {
    process_state(pid).is_some_and(|(state, start)| state != 'Z' && Some(start) == start_time)
}

/// Which of a command's output streams some bytes came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputStream {
    Stdout,
    Stderr,
}

/// How much of an exec's stderr is kept to tell the runtime's own failure
/// (it says so first) from the command's.
const STDERR_HEAD: usize = 4096;

impl Runc {
    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.path);
        cmd.args(self.global_args());
        // systemd's variables are berthd's, not the container's: with
        // NOTIFY_SOCKET set, runc would proxy sd_notify for the container.
        for var in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"] {
            cmd.env_remove(var);
        }
        cmd.stdin(Stdio::null());
        cmd
    }

    /// The global arguments conmon must pass to the runtime. In a user's
    /// namespace runc is told it is rootless: as root there it would take
    /// a cgroup it cannot write for an error, not skip it.
    pub fn global_args(&self) -> Vec<String> {
        let mut args = vec![format!("--root={}", self.root.display())];
        if crate::rootless::owner().is_some() {
            args.push("--rootless=true".into());
        }
        args.extend(self.flags.iter().cloned());
        args
    }

    fn spawn_failed(&self, source: std::io::Error) -> OciError {
        OciError::Spawn { program: self.path.display().to_string(), source }
    }

    fn run(&self, args: &[&str]) -> Result<Output> {
        let out = self
            .command()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| self.spawn_failed(e))?;
        if out.status.success() {
            Ok(out)
        } else {
            Err(OciError::Refused {
                runtime: self.name.clone(),
                command: args.join(" "),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            })
        }
    }

    /// Start a created container whose init process is `init_pid`.
    pub fn start(&self, id: &str, init_pid: Option<i32>) -> Result<()> {
        match init_pid {
            Some(pid) if self.name == "runc" => self.release_init(id, pid),
            _ => self.run(&["start", id]).map(drop),
        }
    }

    /// What `runc start` does, without starting runc: after `create`, runc's
    /// init waits to open `exec.fifo` in the container's state directory for
    /// writing; once a reader opens it, the init writes a byte and execs the
    /// container's process, which closes the FIFO. Removing the FIFO then
    /// makes runc report the container running (runc tells created from
    /// running by that file). A `runc start` process was most of what a
    /// container's start cost beyond a bare `runc run` (bench/RESULTS.md);
    /// this is a FIFO read and an unlink.
    fn release_init(&self, id: &str, init_pid: i32) -> Result<()> {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        use std::io::Read;
        use std::os::unix::fs::OpenOptionsExt;
        let failed = |why: String| OciError::Start { runtime: self.name.clone(), id: id.to_string(), why };
        let path = self.root.join(id).join("exec.fifo");
        // The init is its PID and its start time, as runc records them: a
        // PID taken by another process since is not the init.
        let pid = init_pid as u32;
        let start_time = std::fs::read(self.root.join(id).join("state.json"))
            .ok()
            .and_then(|state| serde_json::from_slice::<serde_json::Value>(&state).ok()?["init_process_start"].as_u64())
            .or_else(|| process_start_time(pid));
        let alive = || init_alive(pid, start_time);
        // Non-blocking: with no init left to write, a blocking open would
        // wait for ever.
        let mut fifo = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_CLOEXEC)
            .open(&path)
            .map_err(|e| failed(format!("{}: {e} (the container is not created)", path.display())))?;
        let ended = || failed(format!("the container's process ({pid}) ended before it started"));
        let (mut written, mut hung_up) = (Vec::new(), false);
        loop {
            // Looked at before reading: an init that wrote its byte, then
            // ran and ended (a /bin/true does in well under a millisecond),
            // left the byte for this read.
            let gone = !alive();
            match fifo.read_to_end(&mut written) {
                // The init's byte, then the end of the file: it has exec'd
                // (its end is close-on-exec).
                Ok(_) if !written.is_empty() => break,
                // Its writer left without a byte: the init ended.
                Ok(_) if hung_up => return Err(ended()),
                // No writer: the init has not opened its end yet (runc
                // create returns just before it does), or never will.
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(failed(format!("{}: {e}", path.display()))),
            }
            if gone {
                return Err(ended());
            }
            // Look at the init again every 100 ms, as runc does.
            let mut fds = [PollFd::new(std::os::fd::AsFd::as_fd(&fifo), PollFlags::POLLIN)];
            match poll(&mut fds, PollTimeout::from(100u8)) {
                // A writer came and went: the next read has all it wrote.
                Ok(_) => hung_up = fds[0].revents().is_some_and(|r| r.contains(PollFlags::POLLHUP)),
                Err(nix::errno::Errno::EINTR) => {}
                Err(e) => return Err(failed(format!("poll: {e}"))),
            }
        }
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(failed(format!("{}: {e}", path.display()))),
            _ => Ok(()),
        }
    }

    /// Send a signal to the container's init process (all its processes with `all`).
    pub fn kill(&self, id: &str, signal: i32, all: bool) -> Result<()> {
        let sig = signal.to_string();
        let mut args = vec!["kill"];
        if all {
            args.push("--all");
        }
        args.extend([id, sig.as_str()]);
        self.run(&args).map(drop)
    }

    /// Change a running container's limits: `limits` is the runtime spec's
    /// LinuxResources as JSON.
    pub fn update(&self, id: &str, limits: &str) -> Result<()> {
        use std::io::Write;
        let mut child = self
            .command()
            .args(["update", "--resources", "-", id])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| self.spawn_failed(e))?;
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(limits.as_bytes());
        }
        let out = child.wait_with_output().map_err(|e| self.spawn_failed(e))?;
        if out.status.success() {
            return Ok(());
        }
        Err(OciError::Refused {
            runtime: self.name.clone(),
            command: format!("update {id}"),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }

    pub fn pause(&self, id: &str) -> Result<()> {
        self.run(&["pause", id]).map(drop)
    }

    pub fn resume(&self, id: &str) -> Result<()> {
        self.run(&["resume", id]).map(drop)
    }

    /// Whether the runtime holds state for `id`: runc and crun keep a
    /// directory per container under their root.
    pub fn knows(&self, id: &str) -> bool {
        self.root.join(id).exists()
    }

    /// Forget the container in the runtime; one it does not know is fine.
    /// Whether it knows it is told by its state directory, before and after
    /// a failure (the runtime's messages are not read): a container it does
    /// not hold costs a stat, not a runtime process.
    pub fn delete(&self, id: &str) -> Result<()> {
        if !self.knows(id) || self.forget_ended(id) {
            return Ok(());
        }
        match self.run(&["delete", "--force", id]) {
            Err(_) if !self.knows(id) => Ok(()),
            other => other.map(drop),
        }
    }

    /// What `runc delete` does for a container whose process has ended and
    /// that left nothing else behind, without starting runc: remove its
    /// state directory. That is all runc's delete does when it has no
    /// cgroup to remove (a user's berthd without a delegated one), no
    /// poststop hook to run and a PID namespace of its own, whose processes
    /// ended with its init; a runc process was a third of what clean-up
    /// after an exit cost. Whether it applied (otherwise runc is asked).
    fn forget_ended(&self, id: &str) -> bool {
        if self.name != "runc" {
            return false;
        }
        let dir = self.root.join(id);
        let Some(state) = std::fs::read(dir.join("state.json"))
            .ok()
            .and_then(|state| serde_json::from_slice::<serde_json::Value>(&state).ok())
        else {
            return false;
        };
        let ended = match (state["init_process_pid"].as_u64(), state["init_process_start"].as_u64()) {
            (Some(pid), Some(start)) => !init_alive(pid as u32, Some(start)),
            _ => false,
        };
        let no_cgroup = state["cgroup_paths"]
            .as_object()
            .is_some_and(|paths| paths.values().all(|p| p.as_str().is_some_and(|p| !Path::new(p).exists())));
        let config = &state["config"];
        let no_poststop = config["Hooks"]["poststop"].as_array().is_none_or(Vec::is_empty);
        let own_pid_namespace = config["namespaces"].as_array().is_some_and(|namespaces| {
            namespaces.iter().any(|ns| ns["type"] == "NEWPID" && ns["path"].as_str().is_none_or(str::is_empty))
        });
        let no_rdt = state["intel_rdt_path"].as_str().is_none_or(str::is_empty);
        ended && no_cgroup && no_poststop && own_pid_namespace && no_rdt && std::fs::remove_dir_all(&dir).is_ok()
    }

    /// The runtime's view of a container, or None when it does not know it.
    pub fn state(&self, id: &str) -> Result<Option<RuntimeState>> {
        if !self.knows(id) {
            return Ok(None);
        }
        match self.run(&["state", id]) {
            Ok(out) => serde_json::from_slice(&out.stdout).map(Some).map_err(|e| OciError::Unreadable {
                runtime: self.name.clone(),
                command: format!("state {id}"),
                why: e.to_string(),
            }),
            Err(_) if !self.knows(id) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Run a command in a running container, non-interactively: its output
    /// goes to `output` as it comes; the exit code is returned.
    pub fn exec(&self, id: &str, p: &ExecProcess, output: &mut dyn FnMut(OutputStream, &[u8])) -> Result<i32> {
        let mut cmd = self.command();
        cmd.arg("exec");
        if let Some(file) = p.pid_file {
            cmd.arg("--pid-file").arg(file);
        }
        for e in p.env {
            cmd.arg("--env").arg(e);
        }
        if let Some(u) = p.user {
            cmd.arg("--user").arg(u);
        }
        if let Some(w) = p.workdir {
            cmd.arg("--cwd").arg(w);
        }
        cmd.arg(id).args(p.command);
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| self.spawn_failed(e))?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            unreachable!("both were piped")
        };
        let mut stderr_head = Vec::new();
        let pumped = crate::process::pump(
            [(OutputStream::Stdout, stdout.into()), (OutputStream::Stderr, stderr.into())],
            &mut |stream, bytes| {
                if stream == OutputStream::Stderr && stderr_head.len() < STDERR_HEAD {
                    stderr_head.extend_from_slice(&bytes[..bytes.len().min(STDERR_HEAD - stderr_head.len())]);
                }
                output(stream, bytes)
            },
        );
        let status = child.wait().map_err(|e| self.spawn_failed(e))?;
        pumped.map_err(|e| self.spawn_failed(e))?;
        let mut exit_code = status.code().unwrap_or(-1);
        // The runtime's own failure to start the command (it exits 255:
        // a command's own exit 1 with a missing file is not one), in
        // podman's codes 127 and 126.
        if exit_code == 255 {
            if let Some(failure) = super::error::command_failure(&String::from_utf8_lossy(&stderr_head)) {
                exit_code = failure.exit_code();
            }
        }
        Ok(exit_code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A runc state directory for `id` under `root` whose init is `pid`
    /// started at `start`, with `state` changed by `edit`.
    fn state_dir(root: &Path, id: &str, pid: u32, start: u64, edit: impl FnOnce(&mut serde_json::Value)) {
        let mut state = serde_json::json!({
            "id": id,
            "init_process_pid": pid,
            "init_process_start": start,
            "cgroup_paths": { "": root.join("no-such-cgroup").display().to_string() },
            "intel_rdt_path": "",
            "config": {
                "Hooks": null,
                "namespaces": [{ "type": "NEWPID", "path": "" }, { "type": "NEWNS", "path": "" }],
            },
        });
        edit(&mut state);
        std::fs::create_dir_all(root.join(id)).unwrap();
        std::fs::write(root.join(id).join("state.json"), state.to_string()).unwrap();
    }

    #[test]
    fn only_an_ended_container_that_left_nothing_else_is_forgotten_without_runc() {
        let root = std::env::temp_dir().join(format!("berth-runc-forget-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let runc = Runc { name: "runc".into(), path: "/nonexistent/runc".into(), root: root.clone(), flags: vec![] };
        // A process that has ended and been collected: its PID is free.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let (ended, ended_start) = (child.id(), process_start_time(child.id()).unwrap_or(1));
        child.wait().unwrap();
        let (me, my_start) = (std::process::id(), process_start_time(std::process::id()).unwrap());

        state_dir(&root, "ended", ended, ended_start, |_| {});
        assert!(runc.forget_ended("ended") && !root.join("ended").exists());
        // The PID of a running process, recorded with another start time:
        // not the init, which has ended.
        state_dir(&root, "reused", me, my_start + 1, |_| {});
        assert!(runc.forget_ended("reused"));

        // Still running; or ended, having left what only runc removes.
        state_dir(&root, "running", me, my_start, |_| {});
        assert!(!runc.forget_ended("running"));
        type Edit = fn(&mut serde_json::Value);
        let kept: [(&str, Edit); 4] = [
            ("hooked", |s| s["config"]["Hooks"] = serde_json::json!({"poststop": [{"path": "/x"}]})),
            ("cgroup", |s| s["cgroup_paths"] = serde_json::json!({"memory": "/"})),
            ("joined", |s| {
                s["config"]["namespaces"] = serde_json::json!([{"type": "NEWPID", "path": "/proc/1/ns/pid"}])
            }),
            ("rdt", |s| s["intel_rdt_path"] = "/sys/fs/resctrl/x".into()),
        ];
        for (id, edit) in kept {
            state_dir(&root, id, ended, ended_start, edit);
            assert!(!runc.forget_ended(id) && root.join(id).join("state.json").exists(), "{id}");
        }
        // crun's state is crun's to remove.
        let crun = Runc { name: "crun".into(), ..runc };
        state_dir(&root, "crun", ended, ended_start, |_| {});
        assert!(!crun.forget_ended("crun"));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
