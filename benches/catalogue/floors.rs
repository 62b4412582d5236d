//! What no engine can beat on this machine, timed beside berth: a bare
//! `runc run` beside its run to exit, a bare durable write beside its
//! rename, and netavark's own setup of a container's network beside its
//! start on one.

use crate::STATE;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

pub struct Floors {
    pub runc: BareRunc,
    pub commit: BareCommit,
    pub netavark: BareNetavark,
}

/// The floors' medians at one catalogue size.
#[derive(Clone, Copy)]
pub struct FloorTimes {
    pub runc: Duration,
    pub commit: Duration,
    /// berth's call that does no work, timed as a write is (after the
    /// machine's dirty data is written back) beside each rename: the round
    /// trip a change meets, from cores that have been idle. On this VM a
    /// thread woken on an idle vCPU costs tens of µs at each end, which
    /// the back-to-back round trip of the table does not meet.
    pub round_trip_as_a_write: Duration,
    /// `netavark setup`, alone (its teardown after, not timed).
    pub netavark: Duration,
}

impl Floors {
    pub fn new() -> Floors {
        Floors { runc: BareRunc::new(), commit: BareCommit::new(), netavark: BareNetavark::new() }
    }
}

/// `runc run` of /bin/true in a bundle made by `runc spec`, no engine at all.
pub struct BareRunc {
    bundle: PathBuf,
    runs: usize,
}

/// A bundle made by `runc spec` in `STATE/name` that runs `args` on the
/// bench's rootfs, without a terminal.
fn bare_bundle(name: &str, args: &[&str]) -> PathBuf {
    let bundle = Path::new(STATE).join(name);
    std::fs::create_dir_all(&bundle).unwrap();
    let _ = std::fs::remove_file(bundle.join("config.json"));
    assert!(Command::new("runc").arg("spec").current_dir(&bundle).status().unwrap().success());
    let mut spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("config.json")).unwrap()).unwrap();
    spec["process"]["terminal"] = false.into();
    spec["process"]["args"] = serde_json::json!(args);
    spec["root"]["path"] = format!("{STATE}/rootfs").into();
    std::fs::write(bundle.join("config.json"), spec.to_string()).unwrap();
    bundle
}

fn bare_runc() -> Command {
    let mut runc = Command::new("runc");
    runc.args(["--root", &format!("{STATE}/bare-state")]).stdin(Stdio::null());
    runc
}

impl BareRunc {
    fn new() -> BareRunc {
        BareRunc { bundle: bare_bundle("bare", &["/bin/true"]), runs: 0 }
    }

    pub fn run(&mut self) {
        self.runs += 1;
        let st = bare_runc().args(["run", "--bundle"]).arg(&self.bundle).arg(format!("bare{}", self.runs)).status();
        assert!(st.unwrap().success());
    }
}

/// `runc exec` of /bin/true in a container runc runs by itself: what any
/// exec through runc costs.
pub struct BareExec;

const BARE_EXEC: &str = "bare-exec";

impl BareExec {
    pub fn new() -> BareExec {
        let bundle = bare_bundle(BARE_EXEC, &["/bin/sleep", "100000"]);
        let st = bare_runc().args(["run", "-d", "--bundle"]).arg(&bundle).arg(BARE_EXEC).stdout(Stdio::null()).status();
        assert!(st.unwrap().success());
        BareExec
    }

    pub fn exec(&mut self) {
        assert!(bare_runc().args(["exec", BARE_EXEC, "/bin/true"]).status().unwrap().success());
    }
}

impl Drop for BareExec {
    fn drop(&mut self) {
        let _ = bare_runc().args(["delete", "-f", BARE_EXEC]).status();
    }
}

/// The least any change that must survive power loss costs here: one 4 KiB
/// page written in place into a file on berth's file system, and an fsync.
/// (A rename through berth commits three pages of SQLite's WAL, with one
/// fsync.) In place, because a file that grows also commits its new size:
/// the cheapest case, as a floor should be.
pub struct BareCommit {
    file: File,
    commits: u64,
}

const PAGE: u64 = 4096;
const PAGES: u64 = 1000;

impl BareCommit {
    fn new() -> BareCommit {
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(Path::new(STATE).join("bare-commit"))
            .unwrap();
        // Real zeros, not a hole or fallocate's unwritten extents: writes
        // into those also change the file's metadata.
        file.write_all_at(&vec![0; (PAGE * PAGES) as usize], 0).unwrap();
        file.sync_all().unwrap();
        BareCommit { file, commits: 0 }
    }

    pub fn write(&mut self) {
        let at = self.commits % PAGES * PAGE;
        self.file.write_all_at(&[self.commits as u8; PAGE as usize], at).unwrap();
        self.file.sync_all().unwrap();
        self.commits += 1;
    }
}

/// `netavark setup` of one container on a bridge network of its own, one
/// port published, as berthd runs it (options on standard input), in a
/// network namespace held by a sleeping process; torn down after each.
pub struct BareNetavark {
    holder: std::process::Child,
    config: PathBuf,
    options: String,
}

impl BareNetavark {
    fn new() -> BareNetavark {
        let holder = Command::new("unshare").args(["--net", "--", "sleep", "infinity"]).spawn().unwrap();
        let ours = std::fs::read_link("/proc/self/ns/net").unwrap();
        while std::fs::read_link(format!("/proc/{}/ns/net", holder.id())).is_ok_and(|ns| ns == ours) {
            std::thread::sleep(Duration::from_millis(1));
        }
        let network = serde_json::json!({
            "name": "floor", "id": "f".repeat(64), "driver": "bridge", "network_interface": "floor0",
            "subnets": [{ "subnet": "10.93.0.0/24", "gateway": "10.93.0.1" }], "ipv6_enabled": false,
            "internal": false, "dns_enabled": false, "ipam_options": { "driver": "host-local" },
        });
        let options = serde_json::json!({
            "container_id": "b".repeat(64), "container_name": "floor",
            "port_mappings": [{ "host_ip": "", "host_port": 48080, "container_port": 80, "protocol": "tcp", "range": 1 }],
            "networks": { "floor": { "static_ips": ["10.93.0.2"], "interface_name": "eth0" } },
            "network_info": { "floor": network },
        });
        BareNetavark { holder, config: Path::new(STATE).join("netavark-floor"), options: options.to_string() }
    }

    fn netavark(&self, command: &str) {
        let mut child = Command::new("/usr/lib/podman/netavark")
            .arg("--config")
            .arg(&self.config)
            .args(["--rootless=false", command])
            .arg(format!("/proc/{}/ns/net", self.holder.id()))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("netavark (scripts/setup.sh)");
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), self.options.as_bytes()).unwrap();
        assert!(child.wait().unwrap().success(), "netavark {command}");
    }

    /// Setup, timed by the caller; the teardown runs before it returns.
    pub fn setup(&mut self) -> Duration {
        let took = crate::timed(|| self.netavark("setup"));
        self.netavark("teardown");
        took
    }
}

impl Drop for BareNetavark {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}
