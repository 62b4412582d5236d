//! berthd, started for real on its own root and socket, called through its
//! public varlink socket, with its D-Bus API on a bus of the bench's own (as
//! berth.service runs it).

use crate::interactive::{Interactive, ReadWrite};
use crate::{Engine, Net, POLITE, STATE};
use berth::client::Client;
use serde_json::{json, Value};
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Berth {
    child: Child,
    client: Client,
    /// For connections of their own (streams).
    address: String,
    pub rootfs: String,
    pub next: usize,
}

/// How long a start took: to the first varlink answer, and until
/// io.berth.Berth1 was on the bus.
pub struct ColdStart {
    pub varlink: Duration,
    pub dbus: Duration,
}

/// A bus of the bench's own, for berthd's D-Bus API (as on a system bus).
pub struct Bus {
    daemon: Child,
    address: String,
}

impl Bus {
    pub fn start(path: &Path) -> Bus {
        let _ = std::fs::remove_file(path);
        let address = format!("unix:path={}", path.display());
        let daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", &format!("--address={address}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon is installed (scripts/setup.sh)");
        while !path.exists() {
            std::thread::sleep(Duration::from_millis(5));
        }
        Bus { daemon, address }
    }

    /// Whether io.berth.Berth1 has an owner.
    fn has_berth(&self) -> bool {
        Command::new("busctl")
            .args([&format!("--address={}", self.address), "status", "io.berth.Berth1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

impl Berth {
    /// berthd as berth.socket starts it: systemd-socket-activate listens and,
    /// on the first connection, execs berthd with the socket (LISTEN_FDS),
    /// which serves varlink and D-Bus. The cold start is that first call:
    /// connect, berthd's start, its answer. Its root, run root and socket
    /// are in `dir`.
    pub fn start(dir: &Path, bus: &Bus) -> (Berth, ColdStart) {
        std::fs::create_dir_all(dir).unwrap();
        let socket = dir.join("io.berth").display().to_string();
        let _ = std::fs::remove_file(&socket);
        // Podman's default network has podman's 10.88.0.0/16, in the same
        // namespace: berth's takes another.
        let config = dir.join("berth.conf");
        std::fs::write(&config, "[engine]\ndefault_subnet = \"10.90.0.0/16\"\nsubnet_pool = \"10.91.0.0/16\"\n")
            .unwrap();
        let child = Command::new("systemd-socket-activate")
            .args(["-l", &socket, "--fdname=varlink", env!("CARGO_BIN_EXE_berthd"), "--root"])
            .arg(dir.join("root"))
            .arg("--run-root")
            .arg(dir.join("run"))
            .args(["--dbus", &bus.address])
            .args(["--idle-timeout", "0", "--cgroup-manager", "cgroupfs", "--config"])
            .arg(&config)
            .stderr(Stdio::null())
            .spawn()
            .expect("systemd-socket-activate (systemd) is installed");
        while !Path::new(&socket).exists() {
            std::thread::sleep(Duration::from_millis(1));
        }
        let address = format!("unix:{socket}");
        let start = Instant::now();
        let client = loop {
            if let Ok(mut c) = Client::connect(&address) {
                if c.call("io.berth.System.Info", json!({})).is_ok() {
                    break c;
                }
            }
            std::thread::sleep(Duration::from_micros(200));
        };
        let varlink = start.elapsed();
        while !bus.has_berth() {
            assert!(start.elapsed() < Duration::from_secs(120), "berthd did not take io.berth.Berth1");
            std::thread::sleep(Duration::from_millis(1));
        }
        let dbus = start.elapsed();
        (Berth { child, client, address, rootfs: format!("{STATE}/rootfs"), next: 0 }, ColdStart { varlink, dbus })
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        self.client.call(method, params).unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    fn create_with(&mut self, mut options: Value) -> String {
        self.next += 1;
        options["rootfs"] = json!(self.rootfs);
        options["name"] = json!(format!("b{}", self.next));
        self.call("io.berth.Container.Create", json!({ "options": options }))["id"].as_str().unwrap().to_string()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// berthd's resident memory and, of it, its own (anonymous: heap, D-Bus
    /// objects, SQLite caches; the rest is mapped files, mostly the binary),
    /// in KiB.
    pub fn rss_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("RssAnon:"))
    }
}

impl Drop for Berth {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Engine for Berth {
    fn create(&mut self, labelled: bool) -> String {
        let mut labels = json!({ "bench": "1" });
        if labelled {
            labels["sel"] = json!("yes");
        }
        self.create_with(json!({ "command": ["/bin/true"], "labels": labels, "network": "none" }))
    }
    fn nothing(&mut self) {
        self.call("org.varlink.service.GetInfo", json!({}));
    }
    fn inspect(&mut self, id: &str) {
        self.call("io.berth.Container.Inspect", json!({ "nameOrId": id }));
    }
    fn lookup_prefix(&mut self, prefix: &str) -> String {
        self.call("io.berth.Container.LookupId", json!({ "nameOrId": prefix }))["id"].as_str().unwrap().to_string()
    }
    fn rename(&mut self, id: &str, name: &str) {
        self.call("io.berth.Container.Rename", json!({ "nameOrId": id, "newName": name }));
    }
    fn remove(&mut self, id: &str) {
        self.call("io.berth.Container.Remove", json!({ "nameOrId": id }));
    }
    fn list(&mut self, filter: Option<&str>) -> usize {
        let filters: Vec<&str> = filter.into_iter().collect();
        let r = self.call("io.berth.Container.List", json!({ "all": true, "filters": filters }));
        r["containers"].as_array().map_or(0, Vec::len)
    }
    fn prune(&mut self) -> usize {
        self.call("io.berth.Container.Prune", json!({}))["reports"].as_array().map_or(0, Vec::len)
    }
    fn run_to_exit(&mut self, net: Net) {
        let id = self.create_with(with_net(json!({ "command": ["/bin/true"], "autoRemove": true }), net));
        self.call("io.berth.Container.Start", json!({ "nameOrId": id }));
        self.call("io.berth.Container.Wait", json!({ "nameOrId": id }));
    }
    fn create_polite(&mut self, script: &str, net: Net) -> String {
        self.create_with(with_net(json!({ "command": ["/bin/sh", "-c", script] }), net))
    }
    fn start(&mut self, id: &str) {
        self.call("io.berth.Container.Start", json!({ "nameOrId": id }));
    }
    fn stop(&mut self, id: &str) {
        self.call("io.berth.Container.Stop", json!({ "nameOrId": id }));
    }
    fn network_create(&mut self, name: &str) {
        self.call("io.berth.Network.Create", json!({ "name": name }));
    }
    fn network_remove(&mut self, name: &str) {
        self.call("io.berth.Network.Remove", json!({ "name": name }));
    }
}

/// Create options on `net`: network none, or the default network's with a
/// published port.
fn with_net(mut options: Value, net: Net) -> Value {
    match net {
        Net::None => options["network"] = json!("none"),
        Net::Bridge(port) => {
            if let Some(port) = port {
                options["portMappings"] = json!([{ "hostPort": port, "containerPort": 80 }]);
            }
        }
    }
    options
}

impl Berth {
    /// A connection of its own, upgraded by `method`: the stream.
    fn upgraded(&self, method: &str, params: Value) -> std::os::unix::net::UnixStream {
        let client = Client::connect(&self.address).expect("connect");
        let (_, stream, early) = client.upgrade(method, params).unwrap_or_else(|e| panic!("{method}: {e}"));
        assert!(early.is_empty(), "{method}: stream bytes with the reply");
        stream
    }

    fn create_tty(&mut self, script: &str) -> String {
        self.create_with(
            json!({ "command": ["/bin/sh", "-c", script], "terminal": true, "stdin": true, "network": "none" }),
        )
    }
}

impl Interactive for Berth {
    fn exec_true(&mut self, id: &str) {
        let r = self.call("io.berth.Container.Exec", json!({ "nameOrId": id, "command": ["/bin/true"] }));
        assert_eq!(r["exitCode"], 0);
    }
    fn exec_session_true(&mut self, id: &str) {
        let created = self.call("io.berth.Container.ExecCreate", json!({ "nameOrId": id, "command": ["/bin/true"] }));
        let exec_id = created["execId"].clone();
        let mut stream = self.upgraded("io.berth.Container.ExecStart", json!({ "execId": exec_id }));
        stream.read_to_end(&mut Vec::new()).unwrap();
        let session = self.call("io.berth.Container.ExecInspect", json!({ "execId": exec_id }));
        assert_eq!(session["session"]["exitCode"], 0, "{session}");
    }
    fn tty_first_byte(&mut self) -> (String, Duration) {
        let start = Instant::now();
        let id = self.create_tty("echo ready");
        // As berthctl run -it: its conmon is there to attach to once it is
        // initialized.
        self.call("io.berth.Container.Init", json!({ "nameOrId": id }));
        let mut stream = self.upgraded("io.berth.Container.Attach", json!({ "nameOrId": id, "stdin": true }));
        self.start(&id);
        stream.read_exact(&mut [0u8]).unwrap();
        (id, start.elapsed())
    }
    fn attach(&mut self, id: &str) -> Box<dyn ReadWrite> {
        Box::new(self.upgraded("io.berth.Container.Attach", json!({ "nameOrId": id, "stdin": true })))
    }
    fn start_tty(&mut self) -> String {
        let id = self.create_tty(POLITE);
        self.start(&id);
        id
    }
    fn clean_up(&mut self, id: &str) {
        self.call("io.berth.Container.Remove", json!({ "nameOrId": id, "force": true }));
    }
    fn start_waiting(&mut self) -> String {
        let id = self.create_polite(POLITE, Net::None);
        self.start(&id);
        id
    }
    fn start_checked(&mut self) -> String {
        let check = json!({ "test": ["CMD", "/bin/true"], "interval": 3600 });
        let id =
            self.create_with(json!({ "command": ["/bin/sh", "-c", POLITE], "healthcheck": check, "network": "none" }));
        self.start(&id);
        id
    }
    fn healthcheck_run(&mut self, id: &str) {
        assert_eq!(self.call("io.berth.Container.Healthcheck", json!({ "nameOrId": id }))["status"], "healthy");
    }
    fn stats_sample(&mut self, id: &str) {
        let r = self.call("io.berth.Container.Stats", json!({ "namesOrIds": [id] }));
        assert!(r["stats"][0]["cpuNanos"].as_i64().is_some(), "{r}");
    }
}
