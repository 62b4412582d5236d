//! Side-by-side benchmark of the catalogue: berthd through its public varlink
//! socket (socket-activated, with its D-Bus API on a bus of the bench's own,
//! as berth.service runs it), and Podman (the CLI, BoltDB, runc) on the same
//! work in the same run.
//! Prints one table and appends it, with the machine and versions, to
//! bench/RESULTS.md. Podman is skipped (and said so) when it is not installed;
//! scripts/bench.sh sets it up. Podman is not taken to 10,000 containers: its
//! create alone would take most of an hour there (see ../shared BENCH figures).

use berth::client::Client;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const STATE: &str = "/var/lib/berth-bench";
const PODMAN_IMAGE: &str = "localhost/busybox:latest";

struct Row {
    op: &'static str,
    n: usize,
    berth: Option<Duration>,
    podman: Option<Duration>,
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn timed(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

fn ms(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| format!("{:.3}", d.as_secs_f64() * 1000.0))
}

/// berthd, started for real on its own root and socket.
struct Berth {
    child: Child,
    client: Client,
    rootfs: String,
    next: usize,
}

/// How long a start took: to the first varlink answer, and until
/// io.berth.Berth1 was on the bus.
struct ColdStart {
    varlink: Duration,
    dbus: Duration,
}

/// A bus of the bench's own, for berthd's D-Bus API (as on a system bus).
struct Bus {
    daemon: Child,
    address: String,
}

impl Bus {
    fn start() -> Bus {
        let path = format!("{STATE}/bus");
        let _ = std::fs::remove_file(&path);
        let address = format!("unix:path={path}");
        let daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", &format!("--address={address}")])
            .stdout(Stdio::null())
            .spawn()
            .expect("dbus-daemon is installed (scripts/setup.sh)");
        while !Path::new(&path).exists() {
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
    /// connect, berthd's start, its answer.
    fn start(root: &Path, bus: &Bus) -> (Berth, ColdStart) {
        let socket = format!("{STATE}/io.berth");
        let _ = std::fs::remove_file(&socket);
        let child = Command::new("systemd-socket-activate")
            .args(["-l", &socket, "--fdname=varlink", env!("CARGO_BIN_EXE_berthd"), "--root"])
            .arg(root)
            .args(["--run-root", &format!("{STATE}/run"), "--dbus", &bus.address])
            .args(["--idle-timeout", "0", "--cgroup-manager", "cgroupfs", "--config", "/dev/null"])
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
        (Berth { child, client, rootfs: format!("{STATE}/rootfs"), next: 0 }, ColdStart { varlink, dbus })
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        self.client.call(method, params).unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    fn create(&mut self, labelled: bool) -> String {
        self.next += 1;
        let mut labels = json!({ "bench": "1" });
        if labelled {
            labels["sel"] = json!("yes");
        }
        let options = json!({ "rootfs": self.rootfs, "command": ["/bin/true"], "name": format!("b{}", self.next), "labels": labels });
        self.call("io.berth.Container.Create", json!({ "options": options }))["id"].as_str().unwrap().to_string()
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }

    fn stop(self) {}
}

impl Drop for Berth {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Podman CLI, configured by scripts/bench.sh.
struct Podman {
    next: usize,
}

impl Podman {
    fn available() -> bool {
        Command::new("podman").args(["image", "exists", PODMAN_IMAGE]).status().is_ok_and(|s| s.success())
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("podman").args(args).output().expect("podman");
        assert!(out.status.success(), "podman {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn create(&mut self, labelled: bool) -> String {
        self.next += 1;
        let name = format!("pb{}", self.next);
        let label = if labelled { "sel=yes" } else { "sel=no" };
        self.run(&["create", "--name", &name, "--label", "bench=1", "--label", label, PODMAN_IMAGE, "/bin/true"])
    }

    fn reset(&self) {
        self.run(&["rm", "-a", "-f"]);
    }
}

/// The same measurements on either engine.
trait Engine {
    fn create(&mut self, labelled: bool) -> String;
    fn inspect(&mut self, id: &str);
    fn lookup_prefix(&mut self, prefix: &str) -> String;
    fn rename(&mut self, id: &str, name: &str);
    fn remove(&mut self, id: &str);
    fn list(&mut self, filter: Option<&str>) -> usize;
    fn prune(&mut self) -> usize;
}

impl Engine for Berth {
    fn create(&mut self, labelled: bool) -> String {
        Berth::create(self, labelled)
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
        r["containers"].as_array().map_or(0, |a| a.len())
    }
    fn prune(&mut self) -> usize {
        self.call("io.berth.Container.Prune", json!({}))["reports"].as_array().map_or(0, |a| a.len())
    }
}

impl Engine for Podman {
    fn create(&mut self, labelled: bool) -> String {
        Podman::create(self, labelled)
    }
    fn inspect(&mut self, id: &str) {
        self.run(&["container", "inspect", id]);
    }
    fn lookup_prefix(&mut self, prefix: &str) -> String {
        self.run(&["container", "inspect", "--format", "{{.Id}}", prefix])
    }
    fn rename(&mut self, id: &str, name: &str) {
        self.run(&["rename", id, name]);
    }
    fn remove(&mut self, id: &str) {
        self.run(&["rm", id]);
    }
    fn list(&mut self, filter: Option<&str>) -> usize {
        let mut args = vec!["ps", "-a", "--no-trunc", "--format", "{{.ID}}"];
        if let Some(f) = filter {
            args.extend(["--filter", f]);
        }
        self.run(&args).lines().count()
    }
    fn prune(&mut self) -> usize {
        self.run(&["container", "prune", "-f"]).lines().count()
    }
}

/// Container lifecycle on both engines, and the bare OCI runtime as the floor.
fn lifecycle(berth: &mut Berth, podman: Option<&Podman>, reps: usize) -> Vec<Row> {
    const POLITE: &str = "trap 'exit 0' TERM; while :; do sleep 0.1; done";
    let mut rows = Vec::new();
    // run to exit: create (autoRemove), start, wait.
    let b = median(
        (0..reps)
            .map(|i| {
                timed(|| {
                    let options = json!({ "rootfs": berth.rootfs, "command": ["/bin/true"], "name": format!("run{i}"), "autoRemove": true });
                    let id = berth.call("io.berth.Container.Create", json!({ "options": options }))["id"].clone();
                    berth.call("io.berth.Container.Start", json!({ "nameOrId": id }));
                    berth.call("io.berth.Container.Wait", json!({ "nameOrId": id }));
                })
            })
            .collect(),
    );
    let p = podman.map(|pm| {
        median((0..reps.min(10)).map(|_| timed(|| drop(pm.run(&["run", "--rm", PODMAN_IMAGE, "/bin/true"])))).collect())
    });
    rows.push(Row { op: "run /bin/true to exit, auto-removed", n: 0, berth: Some(b), podman: p });
    // start and stop of a container that exits on SIGTERM.
    let (mut b_start, mut b_stop) = (Vec::new(), Vec::new());
    for i in 0..reps {
        let options =
            json!({ "rootfs": berth.rootfs, "command": ["/bin/sh", "-c", POLITE], "name": format!("svc{i}") });
        let id = berth.call("io.berth.Container.Create", json!({ "options": options }))["id"].clone();
        b_start.push(timed(|| drop(berth.call("io.berth.Container.Start", json!({ "nameOrId": id })))));
        b_stop.push(timed(|| drop(berth.call("io.berth.Container.Stop", json!({ "nameOrId": id })))));
        berth.call("io.berth.Container.Remove", json!({ "nameOrId": id }));
    }
    let (mut p_start, mut p_stop) = (Vec::new(), Vec::new());
    if let Some(pm) = podman {
        for i in 0..reps.min(10) {
            let id = pm.run(&["create", "--name", &format!("psvc{i}"), PODMAN_IMAGE, "/bin/sh", "-c", POLITE]);
            p_start.push(timed(|| drop(pm.run(&["start", &id]))));
            p_stop.push(timed(|| drop(pm.run(&["stop", &id]))));
            pm.run(&["rm", &id]);
        }
    }
    let pm_median = |v: Vec<Duration>| (!v.is_empty()).then(|| median(v));
    rows.push(Row { op: "start", n: 0, berth: Some(median(b_start)), podman: pm_median(p_start) });
    rows.push(Row { op: "stop (exits on SIGTERM)", n: 0, berth: Some(median(b_stop)), podman: pm_median(p_stop) });
    rows.push(Row { op: "bare `runc run` of /bin/true (the floor)", n: 0, berth: Some(bare_runc(reps)), podman: None });
    rows
}

/// `runc run` of /bin/true in a bundle made by `runc spec`, no engine at all.
fn bare_runc(reps: usize) -> Duration {
    let bundle = Path::new(STATE).join("bare");
    std::fs::create_dir_all(&bundle).unwrap();
    let _ = std::fs::remove_file(bundle.join("config.json"));
    assert!(Command::new("runc").arg("spec").current_dir(&bundle).status().unwrap().success());
    let mut spec: Value = serde_json::from_slice(&std::fs::read(bundle.join("config.json")).unwrap()).unwrap();
    spec["process"]["terminal"] = json!(false);
    spec["process"]["args"] = json!(["/bin/true"]);
    spec["root"]["path"] = json!(format!("{STATE}/rootfs"));
    std::fs::write(bundle.join("config.json"), spec.to_string()).unwrap();
    median(
        (0..reps)
            .map(|i| {
                timed(|| {
                    let st = Command::new("runc")
                        .args(["--root", &format!("{STATE}/bare-state"), "run", "--bundle"])
                        .arg(&bundle)
                        .arg(format!("bare{i}"))
                        .stdin(Stdio::null())
                        .status()
                        .unwrap();
                    assert!(st.success());
                })
            })
            .collect(),
    )
}

/// Repetitions per operation: fewer for slow engines and big catalogues.
struct Reps {
    point: usize,
    list: usize,
}

/// Grow the catalogue to `n` (1% labelled sel=yes) and time each operation.
fn measure(e: &mut dyn Engine, ids: &mut Vec<String>, n: usize, reps: &Reps) -> Vec<(&'static str, Duration)> {
    while ids.len() < n {
        let labelled = ids.len().is_multiple_of(100);
        ids.push(e.create(labelled));
    }
    let mut out = Vec::new();
    let mut created = Vec::new();
    let samples = (0..reps.point).map(|_| timed(|| created.push(e.create(false)))).collect();
    out.push(("create", median(samples)));
    let pick = |i: usize| ids[(i * 7919) % ids.len()].clone();
    out.push((
        "inspect",
        median(
            (0..reps.point)
                .map(|i| {
                    let id = pick(i);
                    timed(|| e.inspect(&id))
                })
                .collect(),
        ),
    ));
    let samples = (0..reps.point)
        .map(|i| {
            let id = pick(i + 1);
            let prefix = id[..12].to_string();
            timed(|| assert_eq!(e.lookup_prefix(&prefix), id))
        })
        .collect();
    out.push(("lookup by ID prefix", median(samples)));
    let samples = (0..reps.point)
        .map(|i| {
            let id = created[i].clone();
            timed(|| e.rename(&id, &format!("renamed-{n}-{i}")))
        })
        .collect();
    out.push(("rename", median(samples)));
    out.push(("list all", median((0..reps.list).map(|_| timed(|| assert!(e.list(None) > n))).collect())));
    let label = Some("label=sel=yes");
    out.push((
        "list, label filter (1%)",
        median(
            (0..reps.list)
                .map(|_| {
                    timed(|| {
                        e.list(label);
                    })
                })
                .collect(),
        ),
    ));
    let samples = created.iter().map(|id| timed(|| e.remove(id))).collect();
    out.push(("remove", median(samples)));
    out
}

fn write_rootfs() {
    let bin = Path::new(STATE).join("rootfs/bin");
    std::fs::create_dir_all(&bin).unwrap();
    let _ = std::fs::copy("/bin/busybox", bin.join("busybox"));
    for applet in ["true", "sh", "sleep"] {
        let _ = std::os::unix::fs::symlink("busybox", bin.join(applet));
    }
}

fn version(cmd: &str, arg: &str) -> String {
    Command::new(cmd)
        .arg(arg)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("").to_string())
        .unwrap_or_else(|_| "not installed".into())
}

fn main() {
    let sizes: Vec<usize> = std::env::var("BERTH_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.parse().ok()).collect())
        .unwrap_or_else(|| vec![10, 1000, 10000]);
    let podman_max: usize = std::env::var("BERTH_BENCH_PODMAN_MAX").ok().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let _ = std::fs::remove_dir_all(STATE);
    std::fs::create_dir_all(STATE).unwrap();
    write_rootfs();
    let root = PathBuf::from(STATE).join("root");
    let mut rows: Vec<Row> = Vec::new();

    let bus = Bus::start();
    let (berth, cold_empty) = Berth::start(&root, &bus);
    // Idle: what the daemon holds once started and settled.
    std::thread::sleep(Duration::from_millis(500));
    let idle_rss = berth.rss_kib();
    let mut berth = berth;
    let podman = std::env::var("BERTH_BENCH_PODMAN").map_or(true, |v| v != "0") && Podman::available();
    let mut pm = Podman { next: 0 };
    if podman {
        pm.reset();
    } else {
        eprintln!("podman or its {PODMAN_IMAGE} image is missing: run scripts/bench.sh; berth only");
    }

    eprintln!("lifecycle");
    rows.extend(lifecycle(&mut berth, podman.then_some(&pm), 20));
    let (mut berth_ids, mut podman_ids) = (Vec::new(), Vec::new());
    let mut rss = Vec::new();
    for &n in &sizes {
        let reps = Reps { point: if n >= 10000 { 30 } else { 50 }, list: if n >= 10000 { 5 } else { 20 } };
        eprintln!("berth at {n}");
        let b = measure(&mut berth, &mut berth_ids, n, &reps);
        rss.push((n, berth.rss_kib()));
        let p = if podman && n <= podman_max {
            eprintln!("podman at {n}");
            measure(&mut pm, &mut podman_ids, n, &Reps { point: 10, list: 5 })
                .into_iter()
                .map(|(_, d)| Some(d))
                .collect()
        } else {
            vec![None; b.len()]
        };
        for ((op, bd), pd) in b.into_iter().zip(p) {
            rows.push(Row { op, n, berth: Some(bd), podman: pd });
        }
    }
    // Cold start on the full catalogue: spawn to the first answer.
    let big = *sizes.iter().max().unwrap_or(&10);
    let next = berth.next;
    berth.stop();
    let (mut berth, cold_full) = Berth::start(&root, &bus);
    berth.next = next;

    // Prune of 1,000 containers that have never run.
    let prune_n = 1000;
    let fill = |e: &mut dyn Engine, ids: &mut Vec<String>| {
        while ids.len() < prune_n {
            ids.push(e.create(false));
        }
    };
    berth.prune();
    berth_ids.clear();
    fill(&mut berth, &mut berth_ids);
    let mut pruned = 0;
    let bd = timed(|| pruned = berth.prune());
    assert_eq!(pruned, prune_n);
    let pd = podman.then(|| {
        pm.reset();
        podman_ids.clear();
        fill(&mut pm, &mut podman_ids);
        timed(|| {
            pm.prune();
        })
    });
    rows.push(Row { op: "prune", n: prune_n, berth: Some(bd), podman: pd });
    berth.stop();
    if podman {
        pm.reset();
    }

    let mut table = String::new();
    table.push_str("| operation | N | berth ms | podman ms | podman/berth |\n|---|---:|---:|---:|---:|\n");
    for r in &rows {
        let ratio = match (r.berth, r.podman) {
            (Some(b), Some(p)) => format!("{:.1}x", p.as_secs_f64() / b.as_secs_f64()),
            _ => "-".into(),
        };
        table.push_str(&format!("| {} | {} | {} | {} | {} |\n", r.op, r.n, ms(r.berth), ms(r.podman), ratio));
    }
    for (n, cold) in [(0, &cold_empty), (big, &cold_full)] {
        table.push_str(&format!(
            "| cold start, socket-activated, to the first varlink answer | {n} | {} | - | - |\n",
            ms(Some(cold.varlink))
        ));
        table.push_str(&format!(
            "| cold start, socket-activated, to io.berth.Berth1 on the bus | {n} | {} | - | - |\n",
            ms(Some(cold.dbus))
        ));
    }
    let mut growth =
        String::from("\nberth growth from the smallest to the largest catalogue (time at N / time at smallest N):\n\n");
    let smallest = sizes[0];
    for op in ["create", "inspect", "lookup by ID prefix", "rename", "remove", "list, label filter (1%)", "list all"] {
        let at = |n| rows.iter().find(|r| r.op == op && r.n == n).and_then(|r| r.berth);
        if let (Some(a), Some(b)) = (at(smallest), at(big)) {
            growth.push_str(&format!("- {op}: {:.2}x from {smallest} to {big}\n", b.as_secs_f64() / a.as_secs_f64()));
        }
    }
    let at = |op: &str| rows.iter().find(|r| r.op.starts_with(op)).and_then(|r| r.berth);
    if let (Some(run), Some(bare)) = (at("run /bin/true"), at("bare `runc run`")) {
        growth.push_str(&format!(
            "\nrun to exit through berth: {:.2}x a bare `runc run` of the same rootfs\n",
            run.as_secs_f64() / bare.as_secs_f64()
        ));
    }
    let memory = format!(
        "\nberthd RSS (serving varlink and D-Bus, an object per container): {} KiB idle after start; {}\n",
        idle_rss,
        rss.iter().map(|(n, kib)| format!("{kib} KiB at {n}")).collect::<Vec<_>>().join(", ")
    );
    println!("{table}{growth}{memory}");

    let date = Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d %H:%M UTC")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let machine = format!(
        "{} cores, kernel {}, {}; berth {}, {}, {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        version("uname", "-r"),
        if podman { version("podman", "--version") } else { "podman not installed".into() },
        env!("CARGO_PKG_VERSION"),
        version("runc", "--version"),
        version("conmon", "--version"),
    );
    let section = format!("\n## {date}\n\n{machine}\n\n{table}{growth}{memory}");
    let results = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/RESULTS.md");
    let mut text = std::fs::read_to_string(&results).unwrap_or_else(|_| {
        "# Benchmark results\n\nAppended by `scripts/bench.sh` (benches/catalogue.rs). Medians; berth through its\nvarlink socket, Podman through its CLI, same machine, same run.\n".into()
    });
    text.push_str(&section);
    std::fs::write(&results, text).unwrap();
    let _ = std::fs::remove_dir_all(STATE);
}
