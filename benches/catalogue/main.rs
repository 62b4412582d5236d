//! Side-by-side benchmark: berthd through its public varlink socket
//! (socket-activated, with its D-Bus API served, as berth.service runs it),
//! and Podman 4.3 with runc on the same work in the same run, both through its
//! CLI and through its REST service: berth and one of Podman's two called
//! alternately, in runs of up to ten samples, so that both meet the same machine. Prints one table and writes it, with the
//! machine and versions, at the top of bench/RESULTS.md. Podman is skipped (and said so)
//! when it is not installed; scripts/bench.sh sets it up. Podman is not taken
//! to 10,000 containers: its create alone would take most of an hour there
//! (each of its creates slows as the catalogue grows).

mod berth;
mod floors;
mod interactive;
mod podman;
mod rootless;
mod units;

use berth::{Berth, Bus, ColdStart};
use floors::{FloorTimes, Floors};
use nix::sched::{sched_getaffinity, sched_setaffinity, CpuSet};
use nix::unistd::Pid;
use podman::{Cli, Rest};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub const STATE: &str = "/var/lib/berth-bench";

/// What start and stop run: a shell that exits on SIGTERM.
const POLITE: &str = "trap 'exit 0' TERM; while :; do sleep 0.1; done";

/// A lifecycle container's network. The catalogue's containers and the
/// rows that do not say otherwise have none on both engines (loopback
/// alone), so that those rows time the engines, not netavark.
#[derive(Clone, Copy)]
pub enum Net {
    None,
    /// The engine's default bridge network, with this host port published
    /// to the container's port 80.
    Bridge(Option<u16>),
}

/// The row of calls that do no work.
const FLOOR: &str = "a call that does no work (the round trip)";
/// The rows on the default network; berth's host port (Podman's is 10,000 up).
const CREATE_START_PUBLISHED: &str = "create + start on the default network, one port published";
const START_PUBLISHED: &str = "start on the default network, one port published";
const PUBLISHED: u16 = 18080;
/// The row of units.rs.
const UNIT_START: &str = "`systemctl start` of a container's unit to the container running \
     (berth: berth-generator's from a .container file; podman: `generate systemd --new`'s, in the CLI column)";
/// The rows of rootless.rs: an ordinary user's, each engine's CLI.
const ROOTLESS_CREATE: &str =
    "rootless create, as an ordinary user (berth: berthctl to the user's berthd, in the CLI's row)";
const ROOTLESS_START: &str = "rootless start, as an ordinary user (berthctl; podman)";
const ROOTLESS_RUN: &str = "rootless run /bin/true to exit with --rm, as an ordinary user (berthctl; podman)";
const ROOTLESS_FLOOR: &str =
    "rootless bare `runc run` of /bin/true in the user's namespace, timed beside the rootless rows (their floor)";
/// The rows of the floors (see floors.rs).
const BARE_RUNC: &str = "bare `runc run` of /bin/true, timed beside berth's run to exit (the floor)";
const BARE_COMMIT: &str =
    "bare durable write, a page in place and an fsync, timed beside berth's rename (the floor of a change)";
const BARE_NETAVARK: &str =
    "bare `netavark setup` of one container, one port published, timed beside berth's start on a network (the floor)";
const BARE_EXEC: &str = "bare `runc exec` of /bin/true, timed beside berth's exec (the floor)";
const BARE_PTY: &str = "bare pseudo-terminal's echo of one keystroke, timed beside the attaches' (the floor)";
const ROUND_TRIP_AS_A_WRITE: &str =
    "berth's call that does no work, timed as a write (after sync) beside its rename (a change's round trip)";

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
    fn run_to_exit(&mut self, net: Net);
    /// Create a container running `script` under /bin/sh -c.
    fn create_polite(&mut self, script: &str, net: Net) -> String;
    fn start(&mut self, id: &str);
    fn stop(&mut self, id: &str);
    /// A bridge network with a subnet the engine picks.
    fn network_create(&mut self, name: &str);
    fn network_remove(&mut self, name: &str);
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
    /// berth beside Podman's CLI (or alone where Podman is not measured).
    berth: Option<Duration>,
    cli: Option<Duration>,
    berth_beside_rest: Option<Duration>,
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

/// `timed`, for a call that writes: the machine's dirty data written back
/// first, so that an engine's fsync does not also carry what another
/// engine, called just before, left to write (they share the file system).
fn timed_write(f: impl FnOnce()) -> Duration {
    nix::unistd::sync();
    timed(f)
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

/// Create a container that exits on SIGTERM, time its start and its stop,
/// remove it.
fn start_and_stop(e: &mut dyn Engine) -> (Duration, Duration) {
    let id = e.create_polite(POLITE, Net::None);
    let start = timed_write(|| e.start(&id));
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

/// One engine in a measurement: the catalogue it picks from and how many
/// samples it gives of each kind of operation.
struct Lane<'a> {
    engine: &'a mut dyn Engine,
    ids: &'a [String],
    reps: Reps,
}

/// The most consecutive samples an engine gives before the next engine's
/// turn; fewer when that would leave the lane with the most samples fewer
/// than `TURNS` turns.
const RUN: usize = 10;
const TURNS: usize = 10;

/// Time `f` on every lane in turn, in runs of up to `RUN` consecutive samples,
/// with the order rotating from run to run and a lane with fewer samples
/// spread evenly over the others': all lanes meet the same machine.
/// Measured one after the other instead, sub-millisecond rows moved by up
/// to 2x between phases of one run on this VM (its round trip alone costs
/// 0.03 ms while the cores are busy and 0.1 ms once they idle). Alternated
/// sample by sample, every berth sample came right after a call to Podman,
/// and paid for it: right after a rename through Podman's REST service,
/// each part of berth's rename (its parsing and statements in berthd, its
/// page writes, its fsync, the wakes at both ends) took about 1.5x as long
/// as after a call to berth, back to normal within 3 ms, while a Podman
/// sample after berth's met no such thing. In runs, all but the first
/// sample of each follow a call to the same engine. `f` gets the lane, its
/// index and its sample number; returns the medians, lane by lane.
fn alternate(
    lanes: &mut [Lane],
    reps: impl Fn(&Reps) -> usize,
    mut f: impl FnMut(&mut Lane, usize, usize) -> Duration,
) -> Vec<Duration> {
    let most = lanes.iter().map(|l| reps(&l.reps)).max().unwrap_or(0);
    let mut samples: Vec<Vec<Duration>> = lanes.iter().map(|_| Vec::new()).collect();
    let run_length = (most / TURNS).clamp(1, RUN);
    for (run, first) in (0..most).step_by(run_length).enumerate() {
        for turn in 0..lanes.len() {
            let k = (run + turn) % lanes.len();
            let r = reps(&lanes[k].reps);
            for step in first..(first + run_length).min(most) {
                if (step + 1) * r / most > step * r / most {
                    let i = samples[k].len();
                    samples[k].push(f(&mut lanes[k], k, i));
                }
            }
        }
    }
    samples.into_iter().map(median).collect()
}

/// Time every operation on every lane, alternately (see `alternate`); with
/// `floors`, a bare durable write and berth's no-op call timed as a write
/// beside each rename of the first lane and a bare `runc run` beside each of
/// its runs to exit, and their medians returned. The catalogues are as grown; what this creates it
/// removes.
fn measure(
    lanes: &mut [Lane],
    n: usize,
    mut floors: Option<&mut Floors>,
    networks: bool,
) -> (Vec<Vec<Measured>>, Option<FloorTimes>) {
    let mut out: Vec<Vec<Measured>> = lanes.iter().map(|_| Vec::new()).collect();
    let mut put = |op, medians: Vec<Duration>, entries: &[usize]| {
        for (k, median) in medians.into_iter().enumerate() {
            out[k].push(Measured { op, median, entries: entries.get(k).copied() });
        }
    };
    let mut created: Vec<Vec<String>> = lanes.iter().map(|_| Vec::new()).collect();
    put(
        "create",
        alternate(lanes, |r| r.writes, |l, k, _| timed_write(|| created[k].push(l.engine.create(false)))),
        &[],
    );
    // Spread over the whole catalogue, as a client asking about any container.
    let pick = |l: &Lane, i: usize| l.ids[(i * 7919) % l.ids.len()].clone();
    put(FLOOR, alternate(lanes, |r| r.reads, |l, _, _| timed(|| l.engine.nothing())), &[]);
    let inspects = alternate(
        lanes,
        |r| r.reads,
        |l, _, i| {
            let id = pick(l, i);
            timed(|| l.engine.inspect(&id))
        },
    );
    put("inspect", inspects, &[]);
    let lookups = alternate(
        lanes,
        |r| r.reads,
        |l, _, i| {
            let id = pick(l, i + 1);
            timed(|| assert_eq!(l.engine.lookup_prefix(&id[..12]), id))
        },
    );
    put("lookup by ID prefix", lookups, &[]);
    let (mut commits, mut round_trips) = (Vec::new(), Vec::new());
    let renames = alternate(
        lanes,
        |r| r.writes,
        |l, k, i| {
            beside(&mut floors, k, &mut commits, |f| f.commit.write());
            beside(&mut floors, k, &mut round_trips, |_| l.engine.nothing());
            timed_write(|| l.engine.rename(&created[k][i], &format!("renamed-{n}-{k}-{i}")))
        },
    );
    put("rename", renames, &[]);
    for (op, filter) in [("list all", None), ("list, label filter (1%)", Some("label=sel=yes"))] {
        let mut listed = vec![0; lanes.len()];
        let lists = alternate(lanes, |r| r.lists, |l, k, _| timed(|| listed[k] = l.engine.list(filter)));
        for (l, &count) in lanes.iter().zip(&listed) {
            let labelled = l.ids.len().div_ceil(100);
            assert!(count >= if filter.is_some() { labelled } else { l.ids.len() }, "{op} listed {count}");
        }
        put(op, lists, &listed);
    }
    put("remove", alternate(lanes, |r| r.writes, |l, k, i| timed_write(|| l.engine.remove(&created[k][i]))), &[]);
    let mut bare_runs = Vec::new();
    let runs = alternate(
        lanes,
        |r| r.lifecycle,
        |l, k, _| {
            beside(&mut floors, k, &mut bare_runs, |f| f.runc.run());
            timed_write(|| l.engine.run_to_exit(Net::None))
        },
    );
    put("run /bin/true to exit, auto-removed", runs, &[]);
    let mut stops: Vec<Vec<Duration>> = lanes.iter().map(|_| Vec::new()).collect();
    let starts = alternate(
        lanes,
        |r| r.lifecycle,
        |l, k, _| {
            let (start, stop) = start_and_stop(l.engine);
            stops[k].push(stop);
            start
        },
    );
    put("start", starts, &[]);
    put("stop (exits on SIGTERM)", stops.into_iter().map(median).collect(), &[]);

    // The same on each engine's default bridge network (netavark's), a
    // port published; netavark's own setup of the same timed beside berth.
    // (Not for two berthds side by side: their default networks would be
    // one bridge, set up by two netavarks that do not know of each other.)
    if !networks {
        let floors = floors.map(|_| FloorTimes {
            runc: median(bare_runs),
            commit: median(commits),
            round_trip_as_a_write: median(round_trips),
            netavark: Duration::ZERO,
        });
        return (out, floors);
    }
    let mut network_starts: Vec<Vec<Duration>> = lanes.iter().map(|_| Vec::new()).collect();
    let mut bare_setups = Vec::new();
    let created_and_started = alternate(
        lanes,
        |r| r.lifecycle,
        |l, k, _| {
            if let Some(f) = floors.as_deref_mut().filter(|_| k == 0) {
                nix::unistd::sync();
                bare_setups.push(f.netavark.setup());
            }
            let port = PUBLISHED + 10_000 * k as u16;
            let (mut id, mut start) = (String::new(), Duration::ZERO);
            let both = timed_write(|| {
                id = l.engine.create_polite(POLITE, Net::Bridge(Some(port)));
                start = timed(|| l.engine.start(&id));
            });
            network_starts[k].push(start);
            l.engine.stop(&id);
            l.engine.remove(&id);
            both
        },
    );
    put(CREATE_START_PUBLISHED, created_and_started, &[]);
    put(START_PUBLISHED, network_starts.into_iter().map(median).collect(), &[]);
    let runs = alternate(lanes, |r| r.lifecycle, |l, _, _| timed_write(|| l.engine.run_to_exit(Net::Bridge(None))));
    put("run /bin/true to exit on the default network, auto-removed", runs, &[]);
    let mut removes: Vec<Vec<Duration>> = lanes.iter().map(|_| Vec::new()).collect();
    let creates = alternate(
        lanes,
        |r| r.lifecycle,
        |l, k, i| {
            let name = format!("bench-net-{n}-{k}-{i}");
            let made = timed_write(|| l.engine.network_create(&name));
            removes[k].push(timed_write(|| l.engine.network_remove(&name)));
            made
        },
    );
    put("network create", creates, &[]);
    put("network remove", removes.into_iter().map(median).collect(), &[]);

    let floors = floors.map(|_| FloorTimes {
        runc: median(bare_runs),
        commit: median(commits),
        round_trip_as_a_write: median(round_trips),
        netavark: median(bare_setups),
    });
    (out, floors)
}

/// The interactive rows (interactive.rs), beside Podman's REST service
/// when given: there is no CLI lane (a terminal client's process start
/// would dwarf what is timed).
fn interactive_rows(berth: &mut Berth, rest: Option<&mut Rest>, n: usize) -> Vec<Row> {
    const REPS: usize = 20;
    let beside_rest = rest.is_some();
    let figures = match rest {
        Some(rest) => interactive::measure(&mut [berth, rest], REPS),
        None => interactive::measure(&mut [berth], REPS),
    };
    let row = |op, [b, r]: [Option<Duration>; 2]| {
        let (berth, berth_beside_rest) = if beside_rest { (None, b) } else { (b, None) };
        Row { op, n, berth, cli: None, berth_beside_rest, rest: r }
    };
    let bare = Some(figures.bare_keystroke);
    vec![
        row(BARE_EXEC, [Some(figures.bare_exec), None]),
        row(
            "exec /bin/true in a running container, to its exit code (berth: Exec; podman: its exec session)",
            figures.exec,
        ),
        row("exec session of /bin/true through conmon: create, attached start, its exit code", figures.exec_session),
        row("create, attach and start on a terminal, to the first byte of output", figures.tty_first_byte),
        row("one keystroke's echo through an attach to a terminal", figures.keystroke),
        row(BARE_PTY, [bare, None]),
        row("run a health check now (/bin/true)", figures.healthcheck),
        row("one stats sample of a running container", figures.stats),
    ]
}

/// With `floors`, on the first lane (berth), time `floor` just before the
/// lane's own sample, into `samples`.
fn beside(floors: &mut Option<&mut Floors>, lane: usize, samples: &mut Vec<Duration>, floor: impl FnOnce(&mut Floors)) {
    if let Some(floors) = floors.as_deref_mut().filter(|_| lane == 0) {
        samples.push(timed_write(|| floor(floors)));
    }
}

/// Let the machine write back what growing the catalogue left dirty (at
/// 10,000 containers, tens of MiB of directories and database pages), so
/// that the kernel's writeback does not share the two cores with what is
/// timed next.
fn settle() {
    let _ = Command::new("sync").status();
    std::thread::sleep(Duration::from_secs(1));
}

/// The bench and some daemons on one CPU, every thread of them (what the
/// daemons start inherits it), until dropped. Two daemons compared side by
/// side met the scheduler's placement, not only their own work: a thread
/// that had last run on the other CPU of this VM stays there while that CPU
/// idles, and a call that wakes it there costs 40-60 µs more than one that
/// wakes it beside its client (this VM halts an idle vCPU without polling
/// first, so the wake is a VM exit and the host's) (a call that does no work: 17 µs on the
/// client's CPU, 53-67 on the other, 10 or 10,000 containers alike), so one
/// daemon's luck at its first connection decided the comparison.
struct Placement {
    pids: Vec<u32>,
    before: CpuSet,
}

impl Placement {
    fn one_cpu(pids: &[u32]) -> Placement {
        let before = sched_getaffinity(Pid::from_raw(0)).unwrap();
        let cpu = (0..CpuSet::count()).find(|&c| before.is_set(c).unwrap_or(false)).unwrap();
        let mut one = CpuSet::new();
        one.set(cpu).unwrap();
        let placement = Placement { pids: pids.to_vec(), before };
        placement.apply(&one);
        placement
    }

    fn apply(&self, cpus: &CpuSet) {
        sched_setaffinity(Pid::from_raw(0), cpus).unwrap();
        for pid in &self.pids {
            let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { continue };
            for tid in tasks.flatten().filter_map(|t| t.file_name().to_str()?.parse().ok()) {
                // A thread may end meanwhile.
                let _ = sched_setaffinity(Pid::from_raw(tid), cpus);
            }
        }
    }
}

impl Drop for Placement {
    fn drop(&mut self) {
        self.apply(&self.before);
    }
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
    // Containers on bridge networks: both engines' netavark sets up a
    // bridge and firewall rules in the bench's network namespace, which
    // must not be the machine's own (scripts/bench.sh makes one).
    let netns = |pid: &str| std::fs::read_link(format!("/proc/{pid}/ns/net")).ok();
    assert_ne!(netns("self"), netns("1"), "run the bench in a network namespace of its own: scripts/bench.sh");
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
    // The first start creates the database (and allocates its WAL, 4 MiB,
    // once); the cold start of an installed service is the next one.
    let (first, first_start) = Berth::start(&dir, &bus);
    drop(first);
    let (mut berth, cold_empty) = Berth::start(&dir, &bus);
    // Idle: what the daemon holds once started and settled.
    std::thread::sleep(Duration::from_millis(500));
    let idle_rss = berth.rss_kib();
    let wanted = std::env::var("BERTH_BENCH_PODMAN").map_or(true, |v| v != "0");
    let mut podman = if wanted { Podman::start() } else { None };
    if podman.is_none() {
        eprintln!("podman or its {} image is missing: run scripts/bench.sh; berth only", podman::IMAGE);
    }

    let mut bare = Floors::new();
    let mut berth_ids = Vec::new();
    let mut rss = Vec::new();
    let mut floors = Vec::new();
    for &n in &sizes {
        let big = n >= 10000;
        let reps =
            Reps { reads: 200, writes: 50, lists: if big { 5 } else { 20 }, lifecycle: if big { 10 } else { 20 } };
        eprintln!("at {n}");
        grow(&mut berth, &mut berth_ids, n);
        // Podman's CLI and its service share a store, and each disturbed the
        // other when called alternately (the service's inspect at 1,000 went
        // from 1.3 to 10 ms), so berth is measured beside each in turn.
        // The floors are timed in each measurement: a change's round trip
        // depends on what ran before it (busy cores after Podman's CLI, idle
        // ones while its service answers).
        let (with_cli, with_rest, floor, rest_floor) = match podman.as_mut().filter(|_| n <= podman_max) {
            Some(Podman { cli, rest, ids }) => {
                // Grown through the service: faster, and not timed.
                grow(rest, ids, n);
                let cli_reps = Reps { reads: 10, writes: 10, lists: 5, lifecycle: 10 };
                // The service's writes as many as berth's, so that a ratio of
                // two medians rests on as many samples on each side.
                let rest_reps = Reps { reads: 50, writes: 50, lists: 5, lifecycle: 10 };
                let mut beside_rest =
                    [Lane { engine: &mut berth, ids: &berth_ids, reps }, Lane { engine: rest, ids, reps: rest_reps }];
                let (with_rest, rest_floor) = measure(&mut beside_rest, n, Some(&mut bare), true);
                let mut beside_cli =
                    [Lane { engine: &mut berth, ids: &berth_ids, reps }, Lane { engine: cli, ids, reps: cli_reps }];
                let (with_cli, floor) = measure(&mut beside_cli, n, Some(&mut bare), true);
                (with_cli, Some(with_rest), floor, rest_floor)
            }
            None => {
                let (alone, floor) =
                    measure(&mut [Lane { engine: &mut berth, ids: &berth_ids, reps }], n, Some(&mut bare), true);
                (alone, None, floor, None)
            }
        };
        floors.push((n, floor.unwrap(), rest_floor));
        // Both measurements time the same operations in the same order.
        for (k, m) in with_cli[0].iter().enumerate() {
            let cli = with_cli.get(1).map(|c| c[k].median);
            let (berth_beside_rest, rest) = with_rest.as_ref().map(|w| (w[0][k].median, w[1][k].median)).unzip();
            rows.push(Row { op: m.op, n, berth: Some(m.median), cli, berth_beside_rest, rest });
        }
        rss.push((n, berth.rss_kib()));
        if n == sizes[0] {
            eprintln!("interactive, at {n}");
            rows.extend(interactive_rows(
                &mut berth,
                podman.as_mut().filter(|_| n <= podman_max).map(|pm| &mut pm.rest),
                n,
            ));
            if podman.is_some() {
                eprintln!("rootless, as an ordinary user");
                let r = rootless::measure(10, &Path::new(STATE).join("rootfs"));
                rows.push(Row {
                    op: ROOTLESS_FLOOR,
                    n: 0,
                    berth: Some(r.floor),
                    cli: None,
                    berth_beside_rest: None,
                    rest: None,
                });
                for (op, (b, p)) in [(ROOTLESS_CREATE, r.create), (ROOTLESS_START, r.start), (ROOTLESS_RUN, r.run)] {
                    rows.push(Row { op, n: 0, berth: Some(b), cli: Some(p), berth_beside_rest: None, rest: None });
                }
            }
            eprintln!("units in a booted systemd");
            let starts = units::measure(10, podman.is_some());
            rows.push(Row {
                op: UNIT_START,
                n: 0,
                berth: Some(starts.berth),
                cli: starts.podman,
                berth_beside_rest: None,
                rest: None,
            });
        }
    }
    let big = *sizes.iter().max().unwrap_or(&10);
    // Growth, side by side: a second daemon (on a bus of its own) holding as
    // many containers as the smallest catalogue, called alternately with
    // the full one, both on the bench's CPU (see `Placement`).
    let smallest = sizes[0];
    let small_bus = Bus::start(&Path::new(STATE).join("small-bus"));
    let (mut small, _) = Berth::start(&Path::new(STATE).join("small"), &small_bus);
    let mut small_ids = Vec::new();
    grow(&mut small, &mut small_ids, smallest);
    eprintln!("growth from {smallest} to {big}, side by side");
    let reps = Reps { reads: 200, writes: 50, lists: 5, lifecycle: 20 };
    let placed = Placement::one_cpu(&[berth.pid(), small.pid()]);
    let mut lanes =
        [Lane { engine: &mut berth, ids: &berth_ids, reps }, Lane { engine: &mut small, ids: &small_ids, reps }];
    let (paired, _) = measure(&mut lanes, big, None, false);
    drop(small);
    drop(placed);

    // Cold start on the full catalogue: spawn to the first answer. After
    // the growth above, which compares the daemon as it has been running: a
    // daemon just started reads its pages from the kernel the first time it
    // meets each container (about one pread and one page fault per call),
    // which made its inspect at 10,000 1.4-1.8x the 10-container daemon's
    // there, against 1.1-1.15x for the daemon that ran the table.
    let next = berth.next;
    drop(berth);
    let (mut berth, cold_full) = Berth::start(&dir, &bus);
    berth.next = next;

    // Prune of 1,000 containers that have never run.
    let prune_n = std::env::var("BERTH_BENCH_PRUNE").ok().and_then(|s| s.parse().ok()).unwrap_or(1000);
    berth.prune();
    (0..prune_n).for_each(|_| drop(berth.create(false)));
    let mut pruned = 0;
    let bd = timed(|| pruned = berth.prune());
    assert_eq!(pruned, prune_n);
    let (pc, pr) = podman.as_mut().map(|pm| pm.prune(prune_n)).unzip();
    rows.push(Row { op: "prune", n: prune_n, berth: Some(bd), cli: pc, berth_beside_rest: pr.map(|_| bd), rest: pr });
    drop(berth);
    if let Some(pm) = podman.as_ref() {
        pm.cli.reset();
    }

    let mut table = String::from(
        "| operation | N | berth ms | podman CLI ms | CLI/berth | berth ms, beside REST | podman REST ms | REST/berth |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut line = |op: &str, n: usize, b: Option<Duration>, c, br, r| {
        table.push_str(&format!(
            "| {op} | {n} | {} | {} | {} | {} | {} | {} |\n",
            ms(b),
            ms(c),
            ratio(b, c),
            ms(br),
            ms(r),
            ratio(br, r)
        ))
    };
    for &(n, floor, rest) in &floors {
        line(BARE_RUNC, n, Some(floor.runc), None, rest.map(|r| r.runc), None);
        line(BARE_COMMIT, n, Some(floor.commit), None, rest.map(|r| r.commit), None);
        let round_trip = |f: FloorTimes| f.round_trip_as_a_write;
        line(ROUND_TRIP_AS_A_WRITE, n, Some(round_trip(floor)), None, rest.map(round_trip), None);
        line(BARE_NETAVARK, n, Some(floor.netavark), None, rest.map(|r| r.netavark), None);
    }
    for r in &rows {
        line(r.op, r.n, r.berth, r.cli, r.berth_beside_rest, r.rest);
    }
    line(
        "first start, creating its database, to the first varlink answer",
        0,
        Some(first_start.varlink),
        None,
        None,
        None,
    );
    for (n, cold) in [(0, &cold_empty), (big, &cold_full)] {
        let ColdStart { varlink, dbus } = cold;
        line("cold start, socket-activated, to the first varlink answer", n, Some(*varlink), None, None, None);
        line("cold start, socket-activated, to io.berth.Berth1 on the bus", n, Some(*dbus), None, None, None);
    }

    let mut growth = format!(
        "\nberth growth from N = {smallest} to N = {big}, side by side: two daemons, one holding {big} \
         containers and one {smallest}, called alternately, both on the bench's CPU (time at {big} / time at {smallest}; lists per \
         container listed, since their answers grow with N):\n\n"
    );
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    for (big_m, small_m) in paired[0].iter().zip(&paired[1]) {
        let per = |m: &Measured| m.median / m.entries.unwrap_or(1).max(1) as u32;
        let (l, s) = (per(big_m), per(small_m));
        let detail = if big_m.entries.is_some() {
            format!(" ({:.1} µs per container at {smallest}, {:.1} µs at {big})", us(s), us(l))
        } else {
            format!(" ({:.3} ms at {smallest}, {:.3} ms at {big})", us(s) / 1e3, us(l) / 1e3)
        };
        growth.push_str(&format!("- {}: {:.2}x{detail}\n", big_m.op, l.as_secs_f64() / s.as_secs_f64()));
    }
    let row = |n, op: &str| rows.iter().find(|r| r.n == n && r.op.starts_with(op));
    let secs = |d: Duration| d.as_secs_f64();
    // The fastest a durable rename through a service can be: a change's
    // round trip and a commit; what berth takes beyond them is its own.
    let beyond_floor = |rename: Option<Duration>, f: FloorTimes| {
        let best = f.round_trip_as_a_write + f.commit;
        let own = rename.map(|r| r.saturating_sub(best));
        let text = format!(
            "{} ms, against {} ms for a change's round trip and a bare durable write timed beside it: {} ms of \
             berth's own work",
            ms(rename),
            ms(Some(best)),
            ms(own)
        );
        (best, text)
    };
    for &(n, floor, rest) in &floors {
        if let Some(run) = row(n, "run /bin/true").and_then(|r| r.berth) {
            growth.push_str(&format!(
                "\nrun to exit through berth at N = {n}: {:.2}x a bare `runc run` of the same rootfs, timed beside it",
                secs(run) / secs(floor.runc)
            ));
        }
        let exact = |op: &str| rows.iter().find(|r| r.n == n && r.op == op).and_then(|r| r.berth);
        if let (Some(on), Some(off)) = (exact(START_PUBLISHED), exact("start")) {
            growth.push_str(&format!(
                "\nstart on the default network through berth at N = {n}: {} ms, {:.2}x its start without a network \
                 plus netavark's own setup timed beside it ({} + {} ms)",
                ms(Some(on)),
                secs(on) / (secs(off) + secs(floor.netavark)),
                ms(Some(off)),
                ms(Some(floor.netavark))
            ));
        }
        let Some(rename) = row(n, "rename") else { continue };
        growth.push_str(&format!("\nrename through berth at N = {n}: {}", beyond_floor(rename.berth, floor).1));
        if let Some(rest) = rest {
            let (best, text) = beyond_floor(rename.berth_beside_rest, rest);
            growth.push_str(&format!(
                "; beside Podman's REST service, {text}, and Podman's REST rename ({} ms) is {} that floor, the \
                 most that any engine answering a rename only once it is on disk could be faster here",
                ms(rename.rest),
                ratio(Some(best), rename.rest),
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
    // The newest run first, under the file's introduction: the runs before
    // it and the history of headline figures follow.
    let at = text.find("\n## ").unwrap_or(text.len());
    text.insert_str(at, &section);
    std::fs::write(&results, text).unwrap();
    let _ = std::fs::remove_dir_all(STATE);
}
