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

/// What start and stop run: a shell that exits on SIGTERM.
const POLITE: &str = "trap 'exit 0' TERM; while :; do sleep 0.1; done";

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
}

/// One line of the table: berth, Podman's CLI, Podman's REST service.
struct Row {
    op: &'static str,
    n: usize,
    berth: Option<Duration>,
    cli: Option<Duration>,
    rest: Option<Duration>,
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
    let run = median((0..reps).map(|_| timed(|| e.run_to_exit())).collect());
    let (starts, stops) = (0..reps).map(|_| start_and_stop(e)).unzip();
    vec![
        Measured { op: "run /bin/true to exit, auto-removed", median: run },
        Measured { op: "start", median: median(starts) },
        Measured { op: "stop (exits on SIGTERM)", median: median(stops) },
    ]
}

/// Create a container that exits on SIGTERM, time its start and its stop,
/// remove it.
fn start_and_stop(e: &mut dyn Engine) -> (Duration, Duration) {
    let id = e.create_polite(POLITE);
    let start = timed(|| e.start(&id));
    let stop = timed(|| e.stop(&id));
    e.remove(&id);
    (start, stop)
}

/// Grow the catalogue to `n` containers, 1% of them labelled sel=yes, and
/// let the machine settle.
fn grow(e: &mut dyn Engine, ids: &mut Vec<String>, n: usize) {
    if ids.len() < n {
        while ids.len() < n {
            let labelled = ids.len().is_multiple_of(100);
            ids.push(e.create(labelled));
        }
        settle();
    }
}

/// Grow the catalogue to `n` and time each operation.
fn measure(e: &mut dyn Engine, ids: &mut Vec<String>, n: usize, reps: Reps) -> Vec<Measured> {
    grow(e, ids, n);
    let mut out = Vec::new();
    let mut put = |op, samples: Vec<Duration>| out.push(Measured { op, median: median(samples) });
    let mut created = Vec::new();
    put("create", (0..reps.writes).map(|_| timed(|| created.push(e.create(false)))).collect());
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
    put(FLOOR, floor);
    put("inspect", inspects);
    let samples =
        (0..reps.reads).map(|i| pick(i + 1)).map(|id| timed(|| assert_eq!(e.lookup_prefix(&id[..12]), id))).collect();
    put("lookup by ID prefix", samples);
    let samples =
        created.iter().enumerate().map(|(i, id)| timed(|| e.rename(id, &format!("renamed-{n}-{i}")))).collect();
    put("rename", samples);
    let mut listed = 0;
    put("list all", (0..reps.lists).map(|_| timed(|| listed = e.list(None))).collect());
    assert!(listed > n);
    let mut listed = 0;
    let label = Some("label=sel=yes");
    put("list, label filter (1%)", (0..reps.lists).map(|_| timed(|| listed = e.list(label))).collect());
    assert!(listed >= n / 100);
    put("remove", created.iter().map(|id| timed(|| e.remove(id))).collect());
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
struct BareRunc {
    bundle: PathBuf,
    runs: usize,
}

impl BareRunc {
    fn new() -> BareRunc {
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
        BareRunc { bundle, runs: 0 }
    }

    fn run(&mut self) {
        self.runs += 1;
        let st = Command::new("runc")
            .args(["--root", &format!("{STATE}/bare-state"), "run", "--bundle"])
            .arg(&self.bundle)
            .arg(format!("bare{}", self.runs))
            .stdin(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success());
    }
}

/// One operation's medians on two daemons called alternately, sample by
/// sample (and which goes first alternates too).
struct Paired {
    op: &'static str,
    big: Duration,
    small: Duration,
    /// Lists: times are per container listed.
    per_container: bool,
}

/// How each operation's cost grows with the catalogue, measured on two live
/// daemons at once: `big` holding the full catalogue and `small` holding
/// few, called alternately. Measured one after the other, sub-millisecond
/// rows moved by up to 2x between phases of a run on this VM (its round
/// trip alone costs 0.03 ms while the cores are busy and 0.1 ms once they
/// idle), more than any growth being looked for.
/// Returns the operations and the bare `runc run` timed beside each run to
/// exit.
fn side_by_side(mut daemons: [&mut Berth; 2], ids: [&[String]; 2], bare: &mut BareRunc) -> (Vec<Paired>, Duration) {
    let mut out = Vec::new();
    let mut pairs = |op, reps: usize, per_container, f: &mut dyn FnMut(&mut Berth, usize, usize) -> Duration| {
        let mut samples = [Vec::new(), Vec::new()];
        for i in 0..reps {
            for k in [i % 2, 1 - i % 2] {
                samples[k].push(f(&mut *daemons[k], k, i));
            }
        }
        let [big, small] = samples.map(median);
        out.push(Paired { op, big, small, per_container });
    };
    let pick = |k: usize, i: usize| ids[k][(i * 7919) % ids[k].len()].clone();
    pairs(FLOOR, 200, false, &mut |e, _, _| timed(|| e.nothing()));
    pairs("inspect", 200, false, &mut |e, k, i| {
        let id = pick(k, i);
        timed(|| e.inspect(&id))
    });
    pairs("lookup by ID prefix", 200, false, &mut |e, k, i| {
        let id = pick(k, i + 1);
        timed(|| assert_eq!(e.lookup_prefix(&id[..12]), id))
    });
    let mut created: [Vec<String>; 2] = Default::default();
    pairs("create", 50, false, &mut |e, k, _| timed(|| created[k].push(e.create(false))));
    pairs("rename", 50, false, &mut |e, k, i| timed(|| e.rename(&created[k][i], &format!("side-{k}-{i}"))));
    for (op, filter) in [("list all", None), ("list, label filter (1%)", Some("label=sel=yes"))] {
        pairs(op, 5, true, &mut |e, _, _| {
            let mut listed = 0;
            let took = timed(|| listed = e.list(filter));
            took / listed.max(1) as u32
        });
    }
    pairs("remove", 50, false, &mut |e, k, i| timed(|| e.remove(&created[k][i])));
    let mut floor = Vec::new();
    pairs("run /bin/true to exit, auto-removed", 20, false, &mut |e, k, _| {
        if k == 0 {
            floor.push(timed(|| bare.run()));
        }
        timed(|| e.run_to_exit())
    });
    let mut stops: [Vec<Duration>; 2] = Default::default();
    pairs("start", 10, false, &mut |e, k, _| {
        let (start, stop) = start_and_stop(e);
        stops[k].push(stop);
        start
    });
    let [big, small] = stops.map(median);
    out.push(Paired { op: "stop (exits on SIGTERM)", big, small, per_container: false });
    (out, median(floor))
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
    let dir = PathBuf::from(STATE).join("berth");
    let mut rows: Vec<Row> = Vec::new();

    let bus = Bus::start(&Path::new(STATE).join("bus"));
    let (mut berth, cold_empty) = Berth::start(&dir, &bus);
    // Idle: what the daemon holds once started and settled.
    std::thread::sleep(Duration::from_millis(500));
    let idle_rss = berth.rss_kib();
    let wanted = std::env::var("BERTH_BENCH_PODMAN").map_or(true, |v| v != "0");
    let mut podman = if wanted { Podman::start() } else { None };
    if podman.is_none() {
        eprintln!("podman or its {} image is missing: run scripts/bench.sh; berth only", podman::IMAGE);
    }

    let mut bare = BareRunc::new();
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
            rows.push(Row { op: m.op, n, berth: Some(m.median), cli: of(&cli, m.op), rest: of(&rest, m.op) });
        }
    }
    // Cold start on the full catalogue: spawn to the first answer.
    let big = *sizes.iter().max().unwrap_or(&10);
    let next = berth.next;
    drop(berth);
    let (mut berth, cold_full) = Berth::start(&dir, &bus);
    berth.next = next;

    // Growth, side by side: a second daemon (on a bus of its own) holding as
    // many containers as the smallest catalogue, called alternately with
    // the full one.
    let smallest = sizes[0];
    let small_bus = Bus::start(&Path::new(STATE).join("small-bus"));
    let (mut small, _) = Berth::start(&Path::new(STATE).join("small"), &small_bus);
    let mut small_ids = Vec::new();
    grow(&mut small, &mut small_ids, smallest);
    eprintln!("growth from {smallest} to {big}, side by side");
    let (paired, floor) = side_by_side([&mut berth, &mut small], [&berth_ids, &small_ids], &mut bare);
    drop(small);

    // Prune of 1,000 containers that have never run.
    let prune_n = std::env::var("BERTH_BENCH_PRUNE").ok().and_then(|s| s.parse().ok()).unwrap_or(1000);
    berth.prune();
    (0..prune_n).for_each(|_| drop(berth.create(false)));
    let mut pruned = 0;
    let bd = timed(|| pruned = berth.prune());
    assert_eq!(pruned, prune_n);
    let (pc, pr) = podman.as_mut().map(|pm| pm.prune(prune_n)).unzip();
    rows.push(Row { op: "prune", n: prune_n, berth: Some(bd), cli: pc, rest: pr });
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
    line("bare `runc run` of /bin/true (the floor)", 0, Some(floor), None, None);
    for r in &rows {
        line(r.op, r.n, r.berth, r.cli, r.rest);
    }
    for (n, cold) in [(0, &cold_empty), (big, &cold_full)] {
        let ColdStart { varlink, dbus } = cold;
        line("cold start, socket-activated, to the first varlink answer", n, Some(*varlink), None, None);
        line("cold start, socket-activated, to io.berth.Berth1 on the bus", n, Some(*dbus), None, None);
    }

    let mut growth = format!(
        "\nberth growth from N = {smallest} to N = {big}, side by side: two daemons, one holding {big} \
         containers and one {smallest}, called alternately (time at {big} / time at {smallest}; lists per \
         container listed, since their answers grow with N):\n\n"
    );
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    for p in &paired {
        let detail = if p.per_container {
            format!(" ({:.1} µs per container at {smallest}, {:.1} µs at {big})", us(p.small), us(p.big))
        } else {
            format!(" ({:.3} ms at {smallest}, {:.3} ms at {big})", us(p.small) / 1e3, us(p.big) / 1e3)
        };
        growth.push_str(&format!("- {}: {:.2}x{detail}\n", p.op, p.big.as_secs_f64() / p.small.as_secs_f64()));
    }
    if let Some(run) = paired.iter().find(|p| p.op.starts_with("run /bin/true")) {
        for (n, t) in [(smallest, run.small), (big, run.big)] {
            growth.push_str(&format!(
                "\nrun to exit through berth at N = {n}: {:.2}x a bare `runc run` of the same rootfs, timed beside it",
                t.as_secs_f64() / floor.as_secs_f64()
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
