//! A real berthd on a temporary socket and root, for the integration tests.

#![allow(dead_code)]

use berth::client::Client;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub struct Daemon {
    pub child: Child,
    pub dir: tempfile::TempDir,
    pub address: String,
    /// With start_in_netns: a process holding berthd's network namespace,
    /// so that a restarted berthd finds what the last one set up there.
    netns_holder: Option<Child>,
}

impl Daemon {
    pub fn start() -> Daemon {
        Self::start_with(&["--idle-timeout", "0"])
    }

    pub fn start_with(extra: &[&str]) -> Daemon {
        Self::start_env(extra, &[])
    }

    /// A daemon in a network namespace of its own (unshare -n), where its
    /// bridge networks may be set up without touching the host's.
    pub fn start_in_netns() -> Daemon {
        Self::start_env(&["--idle-timeout", "0"], &[(IN_NETNS, "1")])
    }

    /// A command run in the daemon's network namespace.
    pub fn in_netns(&self, script: &str) -> Output {
        let holder = self.netns_holder.as_ref().map_or(self.child.id(), Child::id);
        Command::new("nsenter")
            .arg(format!("--net=/proc/{holder}/ns/net"))
            .args(["/bin/sh", "-c", script])
            .output()
            .unwrap()
    }

    /// A daemon with `env` set besides its arguments.
    pub fn start_env(extra: &[&str], env: &[(&str, &str)]) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("rootfs/bin");
        std::fs::create_dir_all(&bin).unwrap();
        // A root file system with busybox and its applets (busybox-static).
        std::fs::copy("/bin/busybox", bin.join("busybox")).expect("busybox-static is installed");
        let applets = Command::new("/bin/busybox").arg("--list").output().unwrap();
        for applet in String::from_utf8_lossy(&applets.stdout).lines().filter(|a| *a != "busybox") {
            std::os::unix::fs::symlink("busybox", bin.join(applet)).unwrap();
        }
        let netns_holder = env.iter().any(|(k, _)| *k == IN_NETNS).then(new_netns_holder);
        let holder = netns_holder.as_ref().map(Child::id);
        let child = spawn(dir.path(), extra, env, holder);
        let mut d = Daemon { child, address: address(dir.path()), dir, netns_holder };
        d.wait_ready();
        d
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// The berth.conf it was started with (see `spawn`).
    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("berth.conf")
    }

    pub fn rootfs(&self) -> String {
        self.dir.path().join("rootfs").display().to_string()
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("berth.sock")
    }

    /// A client that fails a call rather than hang the suite.
    pub fn client(&self) -> Client {
        let mut c = Client::connect(&self.address).unwrap();
        c.set_timeout(Some(Duration::from_secs(60))).unwrap();
        c
    }

    /// Stop (SIGTERM) and wait.
    pub fn stop(&mut self) {
        // One that has ended (and been waited for) is not signalled: its
        // PID may belong to another process by now.
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }

    /// Start again on the same root and socket.
    pub fn restart(&mut self, extra: &[&str]) {
        self.restart_env(extra, &[]);
    }

    /// Start again with `env` set.
    pub fn restart_env(&mut self, extra: &[&str], env: &[(&str, &str)]) {
        self.stop();
        self.child = spawn(self.dir.path(), extra, env, self.netns_holder.as_ref().map(Child::id));
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Client::connect(&self.address).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("berthd exited early: {status}");
            }
            assert!(Instant::now() < deadline, "berthd did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Run berthctl against this daemon.
    pub fn ctl(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_berthctl")).env("BERTH_ADDRESS", &self.address).args(args).output().unwrap()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // Containers outlive berthd by design: remove them first, so that a
        // test (passing or not) leaves no processes or mounts behind.
        if let Ok(mut c) = Client::connect(&self.address) {
            let _ = c.set_timeout(Some(Duration::from_secs(30)));
            let listed = c.call("io.berth.Container.List", serde_json::json!({ "all": true }));
            for ctr in listed.ok().and_then(|r| r["containers"].as_array().cloned()).unwrap_or_default() {
                // SIGKILL at once rather than wait out a stop timeout.
                let _ = c.call("io.berth.Container.Stop", serde_json::json!({ "nameOrId": ctr["id"], "timeout": 0 }));
                let _ = c.call(
                    "io.berth.Container.Remove",
                    serde_json::json!({ "nameOrId": ctr["id"], "force": true, "volumes": true }),
                );
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(holder) = &mut self.netns_holder {
            let _ = holder.kill();
            let _ = holder.wait();
        }
    }
}

fn address(dir: &Path) -> String {
    format!("unix:{}", dir.join("berth.sock").display())
}

/// Set in a spawn's `env` to run berthd in a network namespace of its own.
const IN_NETNS: &str = "BERTH_TEST_IN_NETNS";

/// A process in a network namespace of its own, once it is in it: until
/// unshare has run, its namespace is still the host's.
fn new_netns_holder() -> Child {
    let ours = std::fs::read_link("/proc/self/ns/net").unwrap();
    let mut holder =
        Command::new("unshare").args(["--net", "--", "sleep", "infinity"]).spawn().expect("unshare (util-linux)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_link(format!("/proc/{}/ns/net", holder.id())).ok().is_none_or(|ns| ns == ours) {
        if Instant::now() > deadline {
            let _ = holder.kill();
            panic!("unshare --net did not make a network namespace");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    // Its loopback up, as a host's is: published ports answer on 127.0.0.1.
    let up = Command::new("nsenter")
        .arg(format!("--net=/proc/{}/ns/net", holder.id()))
        .args(["ip", "link", "set", "lo", "up"])
        .status()
        .expect("nsenter and ip (iproute2)");
    assert!(up.success(), "lo did not come up in the test's namespace");
    holder
}

/// berthd; in the network namespace of `netns_holder` when there is one.
fn spawn(dir: &Path, extra: &[&str], env: &[(&str, &str)], netns_holder: Option<u32>) -> Child {
    let in_netns = netns_holder.is_some();
    // Outside a namespace of its own, a container's default network would
    // be set up in the host's: there it gets loopback alone, and a test
    // that asks for a bridge anyway fails instead (no netavark to run).
    let config = if in_netns { "" } else { "[engine]\nnetns = \"none\"\nnetavark_path = \"/nonexistent/netavark\"\n" };
    // Written once: a test may change it before a restart.
    if !dir.join("berth.conf").exists() {
        std::fs::write(dir.join("berth.conf"), config).unwrap();
    }
    let mut command = if let Some(holder) = netns_holder {
        let mut c = Command::new("nsenter");
        c.arg(format!("--net=/proc/{holder}/ns/net")).arg("--").arg(env!("CARGO_BIN_EXE_berthd"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_berthd"))
    };
    // A tiny runtime table: runc is resolved from the host (CI installs it).
    command
        .arg("--root")
        .arg(dir.join("root"))
        .arg("--run-root")
        .arg(dir.join("run"))
        .arg("--varlink")
        .arg(address(dir))
        .args(["--dbus", "none", "--cgroup-manager", "cgroupfs", "--config"])
        .arg(dir.join("berth.conf"))
        .args(extra)
        .env("BERTH_LOG", std::env::var("BERTH_TEST_LOG").unwrap_or_else(|_| "warn".into()))
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// The conmon processes of this daemon's containers: (PID, container ID),
/// found by their command lines, whatever the records say.
pub fn conmons(d: &Daemon) -> Vec<(u32, String)> {
    let exits = d.dir.path().join("run/exits").display().to_string();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let args: Vec<String> = cmdline.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        let is_zombie = std::fs::read_to_string(entry.path().join("stat")).is_ok_and(|s| s.contains(") Z "));
        if args.first().is_some_and(|a| a.ends_with("conmon")) && args.contains(&exits) && !is_zombie {
            let id = args.iter().skip_while(|a| *a != "-c").nth(1).cloned().unwrap_or_default();
            found.push((pid, id));
        }
    }
    found
}

/// The containers runc holds state for under this daemon.
pub fn runc_list(d: &Daemon) -> Vec<String> {
    let out = Command::new("runc")
        .arg("--root")
        .arg(d.dir.path().join("run/runtime/runc"))
        .args(["list", "-q"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
}

/// Call through the Python varlink package, an implementation that is not ours.
/// Its error replies go to stderr (with exit status 0), so both are returned.
pub fn python_varlink(args: &[&str]) -> String {
    let out = Command::new("python3").args(["-m", "varlink.cli"]).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "python3 -m varlink.cli failed (install it: pip install varlink): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap()
}
pub mod image;
pub mod registry;
pub mod sandbox;
