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
        // No bus unless the test gives one.
        .args(["--dbus", "none"].iter().filter(|_| !extra.contains(&"--dbus")))
        .args(["--cgroup-manager", "cgroupfs", "--config"])
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

/// The Python of the tests' virtual environment (scripts/setup-tests.sh
/// makes it, with the varlink package), else the system's.
pub fn python() -> &'static str {
    const VENV: &str = "/var/lib/berth-tests/venv/bin/python3";
    if std::path::Path::new(VENV).exists() {
        VENV
    } else {
        "python3"
    }
}

/// Call through the Python varlink package, an implementation that is not ours.
/// Its error replies go to stderr (with exit status 0), so both are returned.
pub fn python_varlink(args: &[&str]) -> String {
    let out = Command::new(python()).args(["-m", "varlink.cli"]).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "python3 -m varlink.cli failed (scripts/setup-tests.sh installs it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap()
}
pub mod image;
pub mod registry;
pub mod sandbox;

/// berthctl on a pseudo-terminal of its own, as it runs for a person at a
/// terminal: the terminal is its controlling one (setsid -c), so that it
/// gets SIGWINCH when the size changes.
pub struct Terminal {
    main: std::fs::File,
    /// The path of the terminal's other side, for stty.
    tty: String,
    child: Child,
    /// What it printed and `expect` has not consumed.
    seen: Vec<u8>,
}

impl Daemon {
    pub fn ctl_on_terminal(&self, args: &[&str]) -> Terminal {
        let pty = nix::pty::openpty(None, None).expect("a pseudo-terminal");
        let tty = std::fs::read_link(format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&pty.slave)))
            .unwrap()
            .display()
            .to_string();
        let side = |fd: &std::os::fd::OwnedFd| std::process::Stdio::from(fd.try_clone().unwrap());
        let child = Command::new("setsid")
            .arg("-c")
            .arg(env!("CARGO_BIN_EXE_berthctl"))
            .args(args)
            .env("BERTH_ADDRESS", &self.address)
            .stdin(side(&pty.slave))
            .stdout(side(&pty.slave))
            .stderr(side(&pty.slave))
            .spawn()
            .expect("setsid (util-linux)");
        drop(pty.slave);
        Terminal { main: std::fs::File::from(pty.master), tty, child, seen: Vec::new() }
    }
}

impl Terminal {
    /// Read until `text` appears (20 s at most); what came up to its end.
    pub fn expect(&mut self, text: &str) -> String {
        use std::io::Read;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(at) = self.seen.windows(text.len()).position(|w| w == text.as_bytes()) {
                let upto: Vec<u8> = self.seen.drain(..at + text.len()).collect();
                return String::from_utf8_lossy(&upto).into_owned();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "{text:?} did not appear; the terminal shows {:?}",
                String::from_utf8_lossy(&self.seen)
            );
            let mut fds = [nix::poll::PollFd::new(std::os::fd::AsFd::as_fd(&self.main), nix::poll::PollFlags::POLLIN)];
            let ms = u16::try_from(left.as_millis().min(1000)).unwrap_or(1000);
            if nix::poll::poll(&mut fds, ms).unwrap_or(0) == 0 {
                continue;
            }
            let mut buf = [0u8; 4096];
            match self.main.read(&mut buf) {
                // EIO: every process let go of the terminal.
                Ok(0) | Err(_) => {
                    panic!("the terminal closed before {text:?}; it showed {:?}", String::from_utf8_lossy(&self.seen))
                }
                Ok(n) => self.seen.extend_from_slice(&buf[..n]),
            }
        }
    }

    /// Type `keys`.
    pub fn type_keys(&mut self, keys: &[u8]) {
        use std::io::Write;
        self.main.write_all(keys).unwrap();
    }

    /// Change the terminal's size, as a terminal emulator's window does.
    pub fn resize(&self, rows: u16, cols: u16) {
        let out = Command::new("stty")
            .args(["-F", &self.tty, "rows", &rows.to_string(), "cols", &cols.to_string()])
            .output()
            .unwrap();
        assert!(out.status.success(), "stty: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// berthctl's exit code, once it exits (20 s at most).
    pub fn exit_code(&mut self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(20);
        // The terminal is kept drained, so that berthctl is not blocked writing.
        let _ = nix::fcntl::fcntl(&self.main, nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK));
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            let _ = std::io::Read::read(&mut self.main, &mut [0u8; 4096]);
            assert!(Instant::now() < deadline, "berthctl did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Send berthctl a signal, as a terminal's ctrl-c or a kill does.
    pub fn signal(&self, signal: &str) {
        Command::new("kill").args(["-s", signal, &self.child.id().to_string()]).status().unwrap();
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A helper process of a test's own (a bus daemon, say), killed when the
/// test ends, passed or not.
pub struct Reaped(pub std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A dbus-daemon of a test's own, its socket in a directory of its own.
pub struct PrivateBus {
    pub address: String,
    pub dir: tempfile::TempDir,
    _daemon: Reaped,
}

impl PrivateBus {
    pub fn start() -> PrivateBus {
        let dir = tempfile::tempdir().unwrap();
        let address = format!("unix:path={}", dir.path().join("bus").display());
        let daemon = Reaped(
            Command::new("dbus-daemon")
                .args(["--session", "--nofork", "--nopidfile", &format!("--address={address}")])
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("dbus-daemon (scripts/setup-tests.sh)"),
        );
        while !dir.path().join("bus").exists() {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        PrivateBus { address, dir, _daemon: daemon }
    }

    /// busctl's output for `args` on this bus, which must succeed.
    pub fn busctl(&self, args: &str) -> String {
        self.try_busctl(args).unwrap_or_else(|e| panic!("busctl {args}: {e}"))
    }

    /// busctl's output for `args`, or what it said when it failed.
    pub fn try_busctl(&self, args: &str) -> Result<String, String> {
        let out = Command::new("sh").arg("-c").arg(format!("busctl --address={} {args}", self.address)).output();
        let out = out.unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        match out.status.success() {
            true => Ok(stdout),
            false => Err(format!("{stdout}{}", String::from_utf8_lossy(&out.stderr))),
        }
    }

    /// Wait for berthd's name: it takes it once its objects are up.
    pub fn wait_for_berth(&self) {
        for _ in 0..500 {
            if self.busctl("list --acquired").contains("io.berth.Berth1") {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("io.berth.Berth1 never appeared on the bus");
    }
}

/// The D-Bus introspection file the package installs.
pub fn interface_file() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/interfaces/io.berth.Berth1.xml")).unwrap()
}

/// The `<interface name="NAME">` element of an introspection document.
pub fn interface_element<'a>(xml: &'a str, name: &str) -> &'a str {
    let open = format!("<interface name=\"{name}\">");
    let start = xml.find(&open).unwrap_or_else(|| panic!("{name} is not in {xml}"));
    let end = start + xml[start..].find("</interface>").unwrap() + "</interface>".len();
    &xml[start..end]
}
