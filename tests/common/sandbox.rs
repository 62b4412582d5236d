//! A booted systemd for end-to-end tests (tests/sandbox/boot.sh does the
//! booting, and its comments say why each step is there). The project's units and freshly built
//! binaries are installed in it; the host reaches berth through the socket in
//! `x/run-berth`, the system bus through `x/dbus`, the journal through
//! `journalctl -D x/journal/<machine-id>`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Mode {
    /// A pure cgroup2 hierarchy (what production hosts use).
    Unified,
    /// cgroup v1 hierarchies, where resource limits are enforced here.
    Legacy,
}

pub struct Sandbox {
    pub state: PathBuf,
    pub pid: u32,
    pub mode: Mode,
    cgroup: String,
    launcher: Child,
}

/// What the sandbox may open; `m` (mknod) of any device opens nothing, and
/// runc's default rules for containers ask for it.
const DEVICES: &[&str] = &[
    "c *:* m",
    "b *:* m",
    "c 1:3 rwm",
    "c 1:5 rwm",
    "c 1:7 rwm",
    "c 1:8 rwm",
    "c 1:9 rwm",
    "c 5:0 rwm",
    "c 5:1 rwm",
    "c 5:2 rwm",
    "c 136:* rwm",
    "c 10:229 rwm",
    "c 10:200 rwm",
];

/// v1 hierarchies that get a child for the sandbox (all in legacy mode).
fn v1_hierarchies(mode: Mode) -> Vec<PathBuf> {
    let all = std::fs::read_dir("/sys/fs/cgroup").unwrap().flatten().map(|e| e.path());
    all.filter(|p| {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        name != "unified"
            && p.is_dir()
            && !p.is_symlink()
            && (name == "devices" || mode == Mode::Legacy)
            && p.join("cgroup.procs").exists()
    })
    .collect()
}

impl Sandbox {
    /// A sandbox with berth's freshly built binaries and units installed.
    pub fn boot(name: &str, mode: Mode) -> Sandbox {
        Self::start(name, mode, true)
    }

    /// A sandbox with nothing of berth's (for the package's test).
    pub fn boot_bare(name: &str, mode: Mode) -> Sandbox {
        Self::start(name, mode, false)
    }

    fn start(name: &str, mode: Mode, install: bool) -> Sandbox {
        let tag = format!("{name}-{}", std::process::id());
        let state = PathBuf::from("/var/lib/berth-sandbox").join(&tag);
        let _ = std::fs::remove_dir_all(&state);
        let x = state.join("x");
        for d in ["dbus", "run-berth", "journal", "lib-berth", "bin", "units"] {
            std::fs::create_dir_all(x.join(d)).unwrap();
        }
        for (bin, path) in [
            ("berthd", env!("CARGO_BIN_EXE_berthd")),
            ("berthctl", env!("CARGO_BIN_EXE_berthctl")),
            ("berth-generator", env!("CARGO_BIN_EXE_berth-generator")),
        ] {
            std::fs::copy(path, x.join("bin").join(bin)).unwrap();
        }
        let project = Path::new(env!("CARGO_MANIFEST_DIR"));
        let policy = project.join("packaging/io.berth.policy");
        let units = std::fs::read_dir(project.join("units")).unwrap().flatten().map(|u| u.path());
        for file in units.chain([policy]).filter(|f| f.is_file()) {
            std::fs::copy(&file, x.join("units").join(file.file_name().unwrap())).unwrap();
        }
        std::fs::create_dir_all(x.join("units/user")).unwrap();
        for unit in std::fs::read_dir(project.join("units/user")).unwrap().flatten() {
            std::fs::copy(unit.path(), x.join("units/user").join(unit.file_name())).unwrap();
        }
        let cgroup = format!("berth-sandbox-{tag}");
        std::fs::create_dir_all(Path::new("/sys/fs/cgroup/unified").join(&cgroup)).unwrap();
        for h in v1_hierarchies(mode) {
            let dir = h.join(&cgroup);
            std::fs::create_dir_all(&dir).unwrap();
            if h.ends_with("devices") {
                std::fs::write(dir.join("devices.deny"), "a").unwrap();
                for d in DEVICES {
                    std::fs::write(dir.join("devices.allow"), d).unwrap();
                }
            }
            // cpuset children start empty; give them the parent's.
            for f in ["cpuset.cpus", "cpuset.mems"] {
                if let Ok(v) = std::fs::read_to_string(h.join(f)) {
                    let _ = std::fs::write(dir.join(f), v.trim());
                }
            }
        }
        let boot = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sandbox/boot.sh");
        let mode_arg = if mode == Mode::Legacy { "legacy" } else { "unified" };
        let install_arg = if install { "install" } else { "bare" };
        let command = format!("{} {} {cgroup} {mode_arg} {install_arg}", boot.display(), state.display());
        let console = std::fs::File::create(state.join("console.log")).unwrap();
        let launcher = Command::new("script")
            .args(["-qfec", &command, "/dev/null"])
            .stdin(Stdio::null())
            .stdout(console.try_clone().unwrap())
            .stderr(console)
            .spawn()
            .expect("script (bsdutils) runs the sandbox under a pty");
        let mut sandbox = Sandbox { state, pid: 0, mode, cgroup, launcher };
        let deadline = Instant::now() + Duration::from_secs(30);
        while sandbox.pid == 0 {
            if let Ok(Some(status)) = sandbox.launcher.try_wait() {
                panic!("the sandbox did not boot ({status}): {}", sandbox.console());
            }
            assert!(Instant::now() < deadline, "the sandbox did not start: {}", sandbox.console());
            sandbox.pid = std::fs::read_to_string(sandbox.state.join("pid"))
                .ok()
                .and_then(|p| p.trim().parse().ok())
                .unwrap_or(0);
            std::thread::sleep(Duration::from_millis(20));
        }
        // PID 1 is the boot script until it execs systemd.
        while std::fs::read_to_string(format!("/proc/{}/comm", sandbox.pid)).map_or(true, |c| c.trim() != "systemd") {
            assert!(Instant::now() < deadline, "systemd did not start: {}", sandbox.console());
            std::thread::sleep(Duration::from_millis(10));
        }
        let mut state = String::new();
        while state.is_empty() || state == "offline" {
            assert!(Instant::now() < deadline, "systemd is {state:?}: {}", sandbox.console());
            let out = sandbox.sh("systemctl is-system-running --wait");
            state = String::from_utf8_lossy(&out.stdout).trim().to_string();
        }
        assert!(state == "running" || state == "degraded", "systemd is {state:?}: {}", sandbox.console());
        if state == "degraded" {
            let failed = sandbox.sh("systemctl --failed --no-legend");
            panic!("units failed in the sandbox: {}", String::from_utf8_lossy(&failed.stdout));
        }
        sandbox
    }

    fn console(&self) -> String {
        std::fs::read_to_string(self.state.join("console.log")).unwrap_or_default()
    }

    /// Run a shell script inside (in init.scope), and wait for it.
    pub fn sh(&self, script: &str) -> Output {
        let moved = "for f in /sys/fs/cgroup/init.scope/cgroup.procs /sys/fs/cgroup/systemd/init.scope/cgroup.procs; \
                     do [ -e $f ] && echo $$ > $f; done; ";
        Command::new("nsenter")
            .args(["--target", &self.pid.to_string(), "--mount", "--uts", "--ipc", "--net", "--pid", "--cgroup"])
            .args(["--root", "--wd", "/bin/sh", "-c"])
            .arg(format!("{moved}{script}"))
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// `sh`, asserting success; its stdout, trimmed.
    pub fn ok(&self, script: &str) -> String {
        let out = self.sh(script);
        assert!(
            out.status.success(),
            "{script}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// berth's varlink address, seen from the host.
    pub fn address(&self) -> String {
        format!("unix:{}", self.state.join("x/run-berth/io.berth").display())
    }

    /// A directory that berthd inside sees at `/var/lib/berth/<name>`.
    pub fn shared_dir(&self, name: &str) -> (PathBuf, String) {
        let host = self.state.join("x/lib-berth").join(name);
        std::fs::create_dir_all(&host).unwrap();
        (host, format!("/var/lib/berth/{name}"))
    }

    /// Make berthd exit after one idle second. Activations then come every
    /// second or two, more than systemd's default start limit (5 in 10 s)
    /// allows, a limit meant for crash loops, not for a daemon that comes and
    /// goes on demand: the drop-in raises it.
    pub fn idle_after_one_second(&self) {
        self.ok("mkdir -p /etc/systemd/system/berth.service.d && printf '[Unit]\\nStartLimitBurst=1000\\n\
             [Service]\\nExecStart=\\nExecStart=/usr/bin/berthd --idle-timeout 1\\n' \
             > /etc/systemd/system/berth.service.d/idle.conf && systemctl daemon-reload");
    }

    /// A busybox root file system that berthd inside can use.
    pub fn busybox_rootfs(&self) -> String {
        let (host, inside) = self.shared_dir("rootfs");
        let bin = host.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::copy("/bin/busybox", bin.join("busybox")).unwrap();
        for applet in ["sh", "sleep", "echo", "true", "cat"] {
            let _ = std::os::unix::fs::symlink("busybox", bin.join(applet));
        }
        inside
    }

    /// journalctl on the host, over the sandbox's journal files.
    pub fn journal(&self, args: &[&str]) -> String {
        let machine = self.ok("cat /etc/machine-id");
        let out = Command::new("journalctl")
            .arg("-D")
            .arg(self.state.join("x/journal").join(machine))
            .args(["--no-pager", "-q"])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // SIGKILL to PID 1 ends the namespace, every process and every mount in it.
        if self.pid != 0 {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid as i32), nix::sys::signal::SIGKILL);
        }
        let _ = self.launcher.kill();
        let _ = self.launcher.wait();
        let mut hierarchies = v1_hierarchies(self.mode);
        hierarchies.push("/sys/fs/cgroup/unified".into());
        let deadline = Instant::now() + Duration::from_secs(10);
        for h in hierarchies {
            while remove_cgroup(&h.join(&self.cgroup)).is_err() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        if std::env::var_os("BERTH_KEEP_SANDBOX").is_none() {
            let _ = std::fs::remove_dir_all(&self.state);
        }
    }
}

/// rmdir a cgroup and its children, deepest first.
fn remove_cgroup(dir: &Path) -> std::io::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    for child in std::fs::read_dir(dir)?.flatten() {
        if child.file_type()?.is_dir() {
            remove_cgroup(&child.path())?;
        }
    }
    std::fs::remove_dir(dir)
}
