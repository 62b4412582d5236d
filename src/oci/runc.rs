//! The OCI runtime's command line (runc; crun takes the same verbs). berth
//! keeps each daemon's runtime state under its own `--root`.

use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

#[derive(Debug, Clone)]
pub struct Runc {
    pub name: String,
    pub path: PathBuf,
    /// The runtime's state directory (`--root`).
    pub root: PathBuf,
}

/// What `runc state` reports.
#[derive(Debug, Clone, Deserialize)]
pub struct RuntimeState {
    pub status: String,
    pub pid: i32,
}

/// The output of an exec'd command.
#[derive(Debug, Clone)]
pub struct ExecOutput {
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Runc {
    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.path);
        cmd.arg("--root").arg(&self.root);
        // systemd's variables are berthd's, not the container's: with
        // NOTIFY_SOCKET set, runc would proxy sd_notify for the container.
        for var in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"] {
            cmd.env_remove(var);
        }
        cmd.stdin(Stdio::null());
        cmd
    }

    /// The global arguments conmon must pass to the runtime.
    pub fn global_args(&self) -> Vec<String> {
        vec![format!("--root={}", self.root.display())]
    }

    fn run(&self, args: &[&str]) -> Result<Output> {
        let out = self
            .command()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| Error::Runtime(format!("{}: {e}", self.path.display())))?;
        if out.status.success() {
            Ok(out)
        } else {
            Err(Error::Runtime(format!(
                "{} {}: {}",
                self.name,
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }

    pub fn start(&self, id: &str) -> Result<()> {
        self.run(&["start", id]).map(drop)
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
    pub fn delete(&self, id: &str) -> Result<()> {
        match self.run(&["delete", "--force", id]) {
            Err(Error::Runtime(msg)) if msg.contains("does not exist") || msg.contains("not found") => Ok(()),
            other => other.map(drop),
        }
    }

    /// The runtime's view of a container, or None when it does not know it.
    pub fn state(&self, id: &str) -> Result<Option<RuntimeState>> {
        match self.run(&["state", id]) {
            Ok(out) => serde_json::from_slice(&out.stdout)
                .map(Some)
                .map_err(|e| Error::Runtime(format!("{} state {id}: {e}", self.name))),
            Err(Error::Runtime(msg)) if msg.contains("does not exist") || msg.contains("not found") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Run a command in a running container, non-interactively, and collect
    /// its output and exit code.
    pub fn exec(
        &self,
        id: &str,
        command: &[String],
        env: &[String],
        user: Option<&str>,
        workdir: Option<&str>,
    ) -> Result<ExecOutput> {
        let mut cmd = self.command();
        cmd.arg("exec");
        for e in env {
            cmd.arg("--env").arg(e);
        }
        if let Some(u) = user {
            cmd.arg("--user").arg(u);
        }
        if let Some(w) = workdir {
            cmd.arg("--cwd").arg(w);
        }
        cmd.arg(id).args(command);
        let out = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| Error::Runtime(format!("{}: {e}", self.path.display())))?;
        Ok(ExecOutput {
            exit_code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
}
