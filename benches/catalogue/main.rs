//! Side-by-side benchmark: berthd through its public varlink socket
//! (socket-activated, with its D-Bus API served, as berth.service runs it),
//! and Podman 4.3 with runc on the same work in the same run, both through its
//! CLI and through its REST service. Prints one table and appends it, with the
//! machine and versions, to bench/RESULTS.md. Podman is skipped (and said so)
//! when it is not installed; scripts/bench.sh sets it up. Podman is not taken
//! to 10,000 containers: its create alone would take most of an hour there
//! (see the figures in BENCH.md).

mod berth;
mod podman;

use berth::{Berth, Bus, ColdStart};
use podman::{Cli, Rest};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const STATE: &str = "/var/lib/berth-bench";

/// The row of calls that do no work.
const FLOOR: &str = "a call that does no work (the round trip)";

/// The same work on any engine.
pub trait Engine {
    fn create(&mut self, labelled: bool) -> String;
    /// A call that does no work: the transport's round trip (or, for the
    /// CLI, a process start).
    fn nothing(&mut self);
    fn inspect(&mut self, id: &str);
    fn lookup_prefix(&mut self, prefix: &str) -> String;
    fn rename(&mut self, id: &str, name: &str);
    fn remove(&mut self, id: &str);
    fn list(&mut self, filter: Option<&str>) -> usize;
    fn prune(&mut self) -> usize;
    /// Create /bin/true (removed once it exits), start it, wait for its exit.
    fn run_to_exit(&mut self);
    /// Create a container running `script` under /bin/sh -c.
    fn create_polite(&mut self, script: &str) -> String;
    fn start(&mut self, id: &str);
    fn stop(&mut self, id: &str);
}

/// One measured operation on one engine at one catalogue size.
struct Measured {
    op: &'static str,
    median: Duration,
    /// How many containers the answer held (lists).
    entries: Option<usize>,
}

/// One line of the table: berth, Podman's CLI, Podman's REST service.
struct Row {
    op: &'static str,
    n: usize,
    berth: Option<Duration>,
    cli: Option<Duration>,
    rest: Option<Duration>,
    entries: Option<usize>,
}

/// Repetitions per kind of operation: fewer for slow engines and big catalogues.
#[derive(Clone, Copy)]
struct Reps {
    reads: usize,
    writes: usize,
    lists: usize,
    lifecycle: usize,
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

fn ratio(base: Option<Duration>, other: Option<Duration>) -> String {
    match (base, other) {
        (Some(b), Some(o)) => format!("{:.1}x", o.as_secs_f64() / b.as_secs_f64()),
        _ => "-".into(),
    }
}

/// Start, stop, and run to exit, with the catalogue as it stands.
fn lifecycle(e: &mut dyn Engine, reps: usize) -> Vec<Measured> {
    const POLITE: &str = "trap 'exit 0' TERM; while :; do sleep 0.1; done";
    let run = median((0..reps).map(|_| timed(|| e.run_to_exit())).collect());
    let (mut starts, mut stops) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let id = e.create_polite(POLITE);
        starts.push(timed(|| e.start(&id)));
        stops.push(timed(|| e.stop(&id)));
        e.remove(&id);
    }
    vec![
        Measured { op: "run /bin/true to exit, auto-removed", median: run, entries: None },
        Measured { op: "start", median: median(starts), entries: None },
        Measured { op: "stop (exits on SIGTERM)", median: median(stops), entries: None },
    ]
}

/// Grow the catalogue to `n` (1% labelled sel=yes) and time each operation.
fn measure(e: &mut dyn Engine, ids: &mut Vec<String>, n: usize, reps: Reps) -> Vec<Measured> {
    if ids.len() < n {
        while ids.len() < n {
            let labelled = ids.len().is_multiple_of(100);
            ids.push(e.create(labelled));
        }
        settle();
    }
    let mut out = Vec::new();
    let mut put = |op, samples: Vec<Duration>, entries| out.push(Measured { op, median: median(samples), entries });
    let mut created = Vec::new();
    put("create", (0..reps.writes).map(|_| timed(|| created.push(e.create(false)))).collect(), None);
    // Spread over the whole catalogue, as a client asking about any container.
    let pick = |i: usize| ids[(i * 7919) % ids.len()].clone();
    // Each inspect right after a call that does no work, so both meet the
    // same conditions: on this VM a sub-0.1 ms round trip costs 0.03 ms while
    // its cores are busy and 0.1 ms once they idle (a vCPU woken through the
    // host), whatever N is.
    let (mut floor, mut inspects) = (Vec::new(), Vec::new());
    for id in (0..reps.reads).map(&pick) {
        floor.push(timed(|| e.nothing()));
        inspects.push(timed(|| e.inspect(&id)));
    }
    put(FLOOR, floor, None);
    put("inspect", inspects, None);
    let samples =
        (0..reps.reads).map(|i| pick(i + 1)).map(|id| timed(|| assert_eq!(e.lookup_prefix(&id[..12]), id))).collect();
    put("lookup by ID prefix", samples, None);
    let samples =
        created.iter().enumerate().map(|(i, id)| timed(|| e.rename(id, &format!("renamed-{n}-{i}")))).collect();
    put("rename", samples, None);
    let mut listed = 0;
    put("list all", (0..reps.lists).map(|_| timed(|| listed = e.list(None))).collect(), Some(listed));
    assert!(listed > n);
    let mut listed = 0;
    let label = Some("label=sel=yes");
    put("list, label filter (1%)", (0..reps.lists).map(|_| timed(|| listed = e.list(label))).collect(), Some(listed));
    put("remove", created.iter().map(|id| timed(|| e.remove(id))).collect(), None);
    out.extend(lifecycle(e, reps.lifecycle));
    out
}

/// Let the machine write back what growing the catalogue left dirty (at
/// 10,000 containers, tens of MiB of directories and database pages), so
/// that the kernel's writeback does not share the two cores with what is
/// timed next.
fn settle() {
    let _ = Command::new("sync").status();
    std::thread::sleep(Duration::from_secs(1));
}

/// `runc run` of /bin/true in a bundle made by `runc spec`, no engine at all.
fn bare_runc(reps: usize) -> Duration {
    let bundle = Path::new(STATE).join("bare");
    std::fs::create_dir_all(&bundle).unwrap();
    let _ = std::fs::remove_file(bundle.join("config.json"));
    assert!(Command::new("runc").arg("spec").current_dir(&bundle).status().unwrap().success());
    let mut spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("config.json")).unwrap()).unwrap();
    spec["process"]["terminal"] = false.into();
    spec["process"]["args"] = serde_json::json!(["/bin/true"]);
    spec["root"]["path"] = format!("{STATE}/rootfs").into();
    std::fs::write(bundle.join("config.json"), spec.to_string()).unwrap();
    let run = |i: usize| {
        let st = Command::new("runc")
            .args(["--root", &format!("{STATE}/bare-state"), "run", "--bundle"])
            .arg(&bundle)
            .arg(format!("bare{i}"))
            .stdin(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success());
    };
    median((0..reps).map(|i| timed(|| run(i))).collect())
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

/// Podman both ways, sharing one store.
struct Podman {
    cli: Cli,
    rest: Rest,
    ids: Vec<String>,
}

impl Podman {
    fn start() -> Option<Podman> {
        let cli = Cli::available()?;
        cli.reset();
        Some(Podman { cli, rest: Rest::start(&Path::new(STATE).join("podman.sock")), ids: Vec::new() })
    }

    /// Prune of `n` containers that never ran, through the CLI and then the
    /// service.
    fn prune(&mut self, n: usize) -> (Duration, Duration) {
        self.cli.reset();
        self.ids.clear();
        let cli = self.fill_and_prune(n, |pm| pm.cli.prune());
        let rest = self.fill_and_prune(n, |pm| pm.rest.prune());
        (cli, rest)
    }

    /// Create `n` containers (through the service: faster, and not timed),
    /// then time `prune`.
    fn fill_and_prune(&mut self, n: usize, prune: impl FnOnce(&mut Podman) -> usize) -> Duration {
        (0..n).for_each(|_| drop(self.rest.create(false)));
        let mut pruned = 0;
        let took = timed(|| pruned = prune(self));
        assert!(pruned >= n, "podman pruned {pruned} of {n}");
        took
    }
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
    let (mut berth, cold_empty) = Berth::start(&root, &bus);
    // Idle: what the daemon holds once started and settled.
    std::thread::sleep(Duration::from_millis(500));
    let idle_rss = berth.rss_kib();
    let wanted = std::env::var("BERTH_BENCH_PODMAN").map_or(true, |v| v != "0");
    let mut podman = if wanted { Podman::start() } else { None };
    if podman.is_none() {
        eprintln!("podman or its {} image is missing: run scripts/bench.sh; berth only", podman::IMAGE);
    }

    let bare = bare_runc(20);
    let mut berth_ids = Vec::new();
    let mut rss = Vec::new();
    for &n in &sizes {
        let big = n >= 10000;
        let reps =
            Reps { reads: 200, writes: 50, lists: if big { 5 } else { 20 }, lifecycle: if big { 10 } else { 20 } };
        eprintln!("berth at {n}");
        let b = measure(&mut berth, &mut berth_ids, n, reps);
        rss.push((n, berth.rss_kib()));
        let (mut cli, mut rest) = (Vec::new(), Vec::new());
        if let Some(pm) = podman.as_mut().filter(|_| n <= podman_max) {
            eprintln!("podman CLI at {n}");
            cli = measure(&mut pm.cli, &mut pm.ids, n, Reps { reads: 10, writes: 10, lists: 5, lifecycle: 10 });
            eprintln!("podman REST at {n}");
            rest = measure(&mut pm.rest, &mut pm.ids, n, Reps { reads: 20, writes: 20, lists: 5, lifecycle: 10 });
        }
        let of = |v: &[Measured], op| v.iter().find(|m| m.op == op).map(|m| m.median);
        for m in &b {
            rows.push(Row {
                op: m.op,
                n,
                berth: Some(m.median),
                cli: of(&cli, m.op),
                rest: of(&rest, m.op),
                entries: m.entries,
            });
        }
    }
    // Cold start on the full catalogue: spawn to the first answer.
    let big = *sizes.iter().max().unwrap_or(&10);
    let next = berth.next;
    drop(berth);
    let (mut berth, cold_full) = Berth::start(&root, &bus);
    berth.next = next;

    // Prune of 1,000 containers that have never run.
    let prune_n = std::env::var("BERTH_BENCH_PRUNE").ok().and_then(|s| s.parse().ok()).unwrap_or(1000);
    berth.prune();
    (0..prune_n).for_each(|_| drop(berth.create(false)));
    let mut pruned = 0;
    let bd = timed(|| pruned = berth.prune());
    assert_eq!(pruned, prune_n);
    let (pc, pr) = podman.as_mut().map(|pm| pm.prune(prune_n)).unzip();
    rows.push(Row { op: "prune", n: prune_n, berth: Some(bd), cli: pc, rest: pr, entries: None });
    drop(berth);
    if let Some(pm) = podman.as_ref() {
        pm.cli.reset();
    }

    let mut table = String::from(
        "| operation | N | berth ms | podman CLI ms | CLI/berth | podman REST ms | REST/berth |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut line = |op: &str, n: usize, b: Option<Duration>, c: Option<Duration>, r: Option<Duration>| {
        table.push_str(&format!(
            "| {op} | {n} | {} | {} | {} | {} | {} |\n",
            ms(b),
            ms(c),
            ratio(b, c),
            ms(r),
            ratio(b, r)
        ))
    };
    line("bare `runc run` of /bin/true (the floor)", 0, Some(bare), None, None);
    for r in &rows {
        line(r.op, r.n, r.berth, r.cli, r.rest);
    }
    for (n, cold) in [(0, &cold_empty), (big, &cold_full)] {
        let ColdStart { varlink, dbus } = cold;
        line("cold start, socket-activated, to the first varlink answer", n, Some(*varlink), None, None);
        line("cold start, socket-activated, to io.berth.Berth1 on the bus", n, Some(*dbus), None, None);
    }

    let smallest = sizes[0];
    let mut growth = format!(
        "\nberth growth from N = {smallest} to N = {big} (time at {big} / time at {smallest}; \
         lists per container listed, since their answers grow with N):\n\n"
    );
    let at = |op: &str, n| rows.iter().find(|r| r.op == op && r.n == n);
    for r in rows.iter().filter(|r| r.n == smallest) {
        let Some(b) = at(r.op, big) else { continue };
        let (Some(small), Some(large)) = (r.berth, b.berth) else { continue };
        let per = |d: Duration, entries: Option<usize>| d.as_secs_f64() / entries.unwrap_or(1).max(1) as f64;
        let (s, l) = (per(small, r.entries), per(large, b.entries));
        let floor = |n| at(FLOOR, n).and_then(|f| f.berth).map_or(0.0, |d| d.as_secs_f64());
        let unit = match (r.entries, b.entries) {
            (Some(a), Some(b)) => format!(" ({:.1} µs per container for {a}, {:.1} µs for {b})", s * 1e6, l * 1e6),
            _ if ["inspect", "lookup by ID prefix"].contains(&r.op) => format!(
                " (above the round trip measured beside it: {:.1} µs at {smallest}, {:.1} µs at {big})",
                (s - floor(smallest)) * 1e6,
                (l - floor(big)) * 1e6
            ),
            _ => String::new(),
        };
        growth.push_str(&format!("- {}: {:.2}x{unit}\n", r.op, l / s));
    }
    let run_at = |n| at("run /bin/true to exit, auto-removed", n).and_then(|r| r.berth);
    for n in &sizes {
        if let Some(run) = run_at(*n) {
            growth.push_str(&format!(
                "\nrun to exit through berth at N = {n}: {:.2}x a bare `runc run` of the same rootfs",
                run.as_secs_f64() / bare.as_secs_f64()
            ));
        }
    }
    let memory = format!(
        "\n\nberthd RSS (serving varlink and D-Bus, an object per container) and, in brackets, its anonymous \
         part (heap, not mapped files): {} KiB ({} KiB) idle after start; {}\n",
        idle_rss.0,
        idle_rss.1,
        rss.iter().map(|(n, (all, file))| format!("{all} KiB ({file} KiB) at {n}")).collect::<Vec<_>>().join(", ")
    );
    println!("{table}{growth}{memory}");

    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let machine = format!(
        "{} cores, kernel {}, {}; berth {}, {}, {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        version("uname", "-r"),
        if podman.is_some() { version("podman", "--version") } else { "podman not installed".into() },
        env!("CARGO_PKG_VERSION"),
        version("runc", "--version"),
        version("conmon", "--version"),
    );
    drop(podman);
    let section = format!("\n## {date}\n\n{machine}\n\n{table}{growth}{memory}");
    let results = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/RESULTS.md");
    let mut text = std::fs::read_to_string(&results).unwrap_or_else(|_| {
        "# Benchmark results\n\nAppended by `scripts/bench.sh` (benches/catalogue). Medians; berth through its\n\
         varlink socket, Podman through its CLI and its REST service, same machine, same run.\n"
            .into()
    });
    text.push_str(&section);
    std::fs::write(&results, text).unwrap();
    let _ = std::fs::remove_dir_all(STATE);
}
