//! Interactive use, side by side: an exec of /bin/true to its exit, a
//! container on a terminal from create to the first byte of its output,
//! and one keystroke's echo through an attach, beside a bare
//! pseudo-terminal's. Streams go over a connection of their own on both
//! engines (varlink's upgrade, HTTP's hijack), as their clients do it.

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::time::Duration;

/// The terminal's answer to a typed DEL in canonical mode: the character
/// erased on screen.
const ERASED: &[u8] = b"\x08 \x08";

/// The interactive work on one engine.
pub trait Interactive {
    /// Run /bin/true in running container `id` through the engine's
    /// one-shot exec, to its exit code.
    fn exec_true(&mut self, id: &str);
    /// The same as an exec session through conmon, as podman runs every
    /// exec: create, start attached, read to the end, its exit code.
    fn exec_session_true(&mut self, id: &str);
    /// Create a container on a terminal that prints a word, attach to it,
    /// start it: until the first byte arrives. Returns the container, for
    /// `clean_up`.
    fn tty_first_byte(&mut self) -> (String, Duration);
    /// An attach to running container `id`, which has a terminal.
    fn attach(&mut self, id: &str) -> Box<dyn ReadWrite>;
    /// Create and start a container on a terminal that waits.
    fn start_tty(&mut self) -> String;
    /// Stop and remove `id`, exited or not.
    fn clean_up(&mut self, id: &str);
    /// A container that waits, for exec.
    fn start_waiting(&mut self) -> String;
    /// A container that waits, with a health check of /bin/true.
    fn start_checked(&mut self) -> String;
    /// Run its health check now.
    fn healthcheck_run(&mut self, id: &str);
    /// One sample of its use.
    fn stats_sample(&mut self, id: &str);
}

pub trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// One keystroke through `stream` to a terminal and its echo back; the
/// character is erased after (not timed), so the line never fills.
pub fn keystroke(stream: &mut dyn ReadWrite) -> Duration {
    let took = crate::timed(|| {
        stream.write_all(b"x").unwrap();
        read_until(stream, b"x");
    });
    stream.write_all(b"\x7f").unwrap();
    read_until(stream, ERASED);
    took
}

/// Read from `stream` until `wanted` has come.
pub fn read_until(stream: &mut dyn Read, wanted: &[u8]) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !seen.windows(wanted.len()).any(|w| w == wanted) {
        let n = stream.read(&mut buf).expect("read from the terminal");
        assert!(n > 0, "the stream ended before {wanted:?}: {seen:?}");
        seen.extend_from_slice(&buf[..n]);
    }
}

/// A bare pseudo-terminal: its main side, and its other side held open
/// (nothing reads it: the line discipline echoes by itself).
pub struct BarePty {
    main: std::fs::File,
    _other: OwnedFd,
}

impl BarePty {
    pub fn open() -> BarePty {
        let pty = nix::pty::openpty(None, None).expect("openpty");
        BarePty { main: std::fs::File::from(pty.master), _other: pty.slave }
    }

    pub fn stream(&mut self) -> &mut std::fs::File {
        &mut self.main
    }
}

/// The medians of the interactive rows for berth and, if given, the
/// other engine, alternated in runs of five samples.
pub struct Figures {
    pub exec: [Option<Duration>; 2],
    /// A bare `runc exec`, timed beside berth's exec.
    pub bare_exec: Duration,
    pub exec_session: [Option<Duration>; 2],
    pub tty_first_byte: [Option<Duration>; 2],
    pub keystroke: [Option<Duration>; 2],
    pub bare_keystroke: Duration,
    pub healthcheck: [Option<Duration>; 2],
    pub stats: [Option<Duration>; 2],
}

const RUN: usize = 5;
const SETTLE: Duration = Duration::from_millis(200);

/// Time `f` on each engine in turn, `reps` samples each, in runs of RUN.
/// Before each run the machine settles: Podman's exec leaves work behind
/// it (its cleanup), which would otherwise land on berth's samples.
fn alternate(
    engines: &mut [&mut dyn Interactive],
    reps: usize,
    mut f: impl FnMut(&mut dyn Interactive, usize) -> Duration,
) -> [Option<Duration>; 2] {
    let mut samples = [Vec::new(), Vec::new()];
    for run in 0..reps.div_ceil(RUN) {
        for (k, engine) in engines.iter_mut().enumerate() {
            nix::unistd::sync();
            std::thread::sleep(SETTLE);
            for _ in 0..RUN.min(reps - run * RUN) {
                samples[k].push(f(&mut **engine, k));
            }
        }
    }
    samples.map(|s| (!s.is_empty()).then(|| crate::median(s)))
}

pub fn measure(engines: &mut [&mut dyn Interactive], reps: usize) -> Figures {
    let waiting: Vec<String> = engines.iter_mut().map(|e| e.start_waiting()).collect();
    let mut bare = crate::floors::BareExec::new();
    let mut bare_execs = Vec::new();
    let exec = alternate(engines, reps, |e, k| {
        if k == 0 {
            bare_execs.push(crate::timed(|| bare.exec()));
        }
        crate::timed(|| e.exec_true(&waiting[k]))
    });
    drop(bare);
    let exec_session = alternate(engines, reps, |e, k| crate::timed(|| e.exec_session_true(&waiting[k])));
    for (e, id) in engines.iter_mut().zip(&waiting) {
        e.clean_up(id);
    }
    let tty_first_byte = alternate(engines, reps, |e, _| {
        let (id, took) = e.tty_first_byte();
        e.clean_up(&id);
        took
    });
    let ttys: Vec<String> = engines.iter_mut().map(|e| e.start_tty()).collect();
    let mut streams: Vec<Box<dyn ReadWrite>> = engines.iter_mut().zip(&ttys).map(|(e, id)| e.attach(id)).collect();
    let mut bare = BarePty::open();
    let mut bare_samples = Vec::new();
    let keystroke = alternate(engines, reps * 10, |_, k| {
        if k == 0 {
            bare_samples.push(self::keystroke(bare.stream()));
        }
        self::keystroke(&mut *streams[k])
    });
    drop(streams);
    for (e, id) in engines.iter_mut().zip(&ttys) {
        e.clean_up(id);
    }
    let checked: Vec<String> = engines.iter_mut().map(|e| e.start_checked()).collect();
    let healthcheck = alternate(engines, reps, |e, k| crate::timed(|| e.healthcheck_run(&checked[k])));
    let stats = alternate(engines, reps, |e, k| crate::timed(|| e.stats_sample(&checked[k])));
    for (e, id) in engines.iter_mut().zip(&checked) {
        e.clean_up(id);
    }
    Figures {
        exec,
        bare_exec: crate::median(bare_execs),
        exec_session,
        tty_first_byte,
        keystroke,
        bare_keystroke: crate::median(bare_samples),
        healthcheck,
        stats,
    }
}
