//! The attached commands' client side: `run` without -d, `start -a`,
//! `attach`. The stream is Container.Attach's (an upgraded varlink
//! connection); this side puts the terminal in raw mode, turns window
//! size changes into Resize calls, passes on signals (`--sig-proxy`) and
//! watches for the detach keys too, to tell a left stream from a finished
//! one.

use crate::error::Failure;
use crate::Connection;
use berth::api::varlink::generated::container::{VarlinkClient, VarlinkClientInterface as _};
use nix::sys::signal::{SigSet, Signal};
use std::io::{IsTerminal, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

// The flags of the attached commands.
#[derive(clap::Args, Debug)]
pub struct AttachArgs {
    /// The keys that leave the container running and end the attach
    /// (ctrl-X or a character, comma-separated; "" for none).
    #[arg(long)]
    detach_keys: Option<String>,
    /// Pass the signals berthctl gets on to the container.
    #[arg(long, default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    sig_proxy: bool,
}

impl AttachArgs {
    pub fn options(&self, stdin: bool) -> Options {
        Options { stdin, stdout: true, stderr: true, detach_keys: self.detach_keys.clone(), sig_proxy: self.sig_proxy }
    }
}

/// How a client attaches.
pub struct Options {
    /// Pass this process's stdin on.
    pub stdin: bool,
    /// Show the container's stdout (with a terminal, all it shows) and
    /// its stderr.
    pub stdout: bool,
    pub stderr: bool,
    pub detach_keys: Option<String>,
    /// Pass the signals this process gets on to the container.
    pub sig_proxy: bool,
}

/// How an attach ended.
#[derive(Debug, PartialEq)]
pub enum Ended {
    /// The detach keys were typed: the container goes on.
    Detached,
    /// The container's process ended (or berthd went).
    Closed,
}

/// The signals passed on to the container (podman's proxy passes all it
/// can catch; these are those a terminal or a supervisor sends).
const PROXIED: [Signal; 6] =
    [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP, Signal::SIGQUIT, Signal::SIGUSR1, Signal::SIGUSR2];

/// What a stream is attached to.
#[derive(Clone)]
pub enum Target {
    /// A container (Container.Attach).
    Container(String),
    /// A created exec session, which the attach starts (Container.ExecStart).
    Exec(String),
}

/// Attach to `target`, call `started` once attached (a start, so that no
/// output is missed), and carry the stream until it ends.
pub fn attach(
    conn: &Connection,
    target: &Target,
    options: &Options,
    started: impl FnOnce() -> Result<(), Failure>,
) -> Result<Ended, Failure> {
    let keys = options.detach_keys.clone().unwrap_or_else(|| berth::detach::DEFAULT.to_string());
    let client = berth::client::Client::connect(&conn.address).map_err(|e| Failure::engine(e.to_string()))?;
    let (method, parameters) = match target {
        Target::Container(id) => (
            "io.berth.Container.Attach",
            serde_json::json!({ "nameOrId": id, "stdin": options.stdin, "detachKeys": keys }),
        ),
        Target::Exec(id) => ("io.berth.Container.ExecStart", serde_json::json!({ "execId": id })),
    };
    let (reply, stream, early) = client.upgrade(method, parameters).map_err(|e| Failure::of_client(&e))?;
    let terminal = reply["terminal"].as_bool().or(reply["session"]["terminal"].as_bool()).unwrap_or(false);
    let resizes = terminal && std::io::stdout().is_terminal();
    if resizes {
        resize(conn, target);
    }
    // Blocked before any thread starts, so that they all leave them to
    // the signal thread.
    let mut signals = SigSet::empty();
    if resizes {
        signals.add(Signal::SIGWINCH);
    }
    // Signals go to a container; an exec session's process has no kill.
    if options.sig_proxy && matches!(target, Target::Container(_)) {
        PROXIED.iter().for_each(|s| signals.add(*s));
    }
    let _ = signals.thread_block();
    started()?;
    let _raw = if terminal && options.stdin { RawMode::enter() } else { None };
    let detached = Arc::new(AtomicBool::new(false));
    if signals != SigSet::empty() {
        let (conn, target) = (conn.another()?, target.clone());
        std::thread::spawn(move || forward_signals(signals, &conn, &target));
    }
    if options.stdin {
        let (stream, detached) = (stream.try_clone().map_err(|e| Failure::engine(e.to_string()))?, detached.clone());
        let matcher = berth::detach::Matcher::new(berth::detach::parse(&keys).map_err(Failure::engine)?);
        std::thread::spawn(move || send_input(stream, matcher, &detached));
    }
    receive_output(stream, early, terminal, (options.stdout, options.stderr));
    Ok(if detached.load(Ordering::SeqCst) { Ended::Detached } else { Ended::Closed })
}

/// This terminal's size, as the container's (or exec session's) terminal's.
fn resize(conn: &Connection, target: &Target) {
    if let Some((rows, cols)) = terminal_size() {
        let mut c = VarlinkClient::new(conn.handle.clone());
        let _ = match target {
            Target::Container(id) => c.resize(id.to_string(), rows.into(), cols.into()).call().map(drop),
            Target::Exec(id) => c.exec_resize(id.to_string(), rows.into(), cols.into()).call().map(drop),
        };
    }
}

/// The rows and columns of the terminal on stdout.
#[allow(unsafe_code)] // TIOCGWINSZ has no safe wrapper in nix
fn terminal_size() -> Option<(u16, u16)> {
    nix::ioctl_read_bad!(window_size, nix::libc::TIOCGWINSZ, nix::libc::winsize);
    let mut size = nix::libc::winsize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCGWINSZ writes one winsize into the struct it is given.
    unsafe { window_size(nix::libc::STDOUT_FILENO, &mut size) }.ok()?;
    (size.ws_row > 0 && size.ws_col > 0).then_some((size.ws_row, size.ws_col))
}

/// Wait for the blocked signals: a window change resizes, the others go
/// to the container.
fn forward_signals(signals: SigSet, conn: &Connection, target: &Target) {
    let mut c = VarlinkClient::new(conn.handle.clone());
    while let Ok(signal) = signals.wait() {
        match target {
            _ if signal == Signal::SIGWINCH => resize(conn, target),
            Target::Container(id) => {
                let _ = c.kill(id.to_string(), Some(signal.as_str().to_string())).call();
            }
            Target::Exec(_) => {}
        }
    }
}

/// This process's stdin to the stream; at its end the container's stdin
/// ends too.
fn send_input(mut stream: UnixStream, mut matcher: berth::detach::Matcher, detached: &AtomicBool) {
    let mut buf = [0u8; 8192];
    let mut ignored = Vec::new();
    let mut stdin = std::io::stdin().lock();
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) | Err(_) => {
                let _ = stream.shutdown(std::net::Shutdown::Write);
                return;
            }
            Ok(n) => n,
        };
        // berthd holds the keys back and ends the stream; this only notes it.
        if matcher.feed(&buf[..n], &mut ignored) {
            detached.store(true, Ordering::SeqCst);
        }
        ignored.clear();
        if stream.write_all(&buf[..n]).is_err() {
            return;
        }
    }
}

/// The stream to stdout (and stderr, from frames), until it ends.
fn receive_output(mut stream: UnixStream, early: Vec<u8>, terminal: bool, (shows_out, shows_err): (bool, bool)) {
    // What is not shown goes nowhere.
    let (mut out, mut err): (Box<dyn Write>, Box<dyn Write>) = (
        if shows_out { Box::new(std::io::stdout().lock()) } else { Box::new(std::io::sink()) },
        if shows_err { Box::new(std::io::stderr()) } else { Box::new(std::io::sink()) },
    );
    let mut pending = early;
    let mut buf = [0u8; 32 * 1024];
    loop {
        if terminal {
            if out.write_all(&pending).and_then(|()| out.flush()).is_err() {
                return;
            }
            pending.clear();
        } else {
            // Whole frames only; a partial one waits for the rest.
            while pending.len() >= 8 {
                let len = u32::from_be_bytes([pending[4], pending[5], pending[6], pending[7]]) as usize;
                if pending.len() < 8 + len {
                    break;
                }
                let data = &pending[8..8 + len];
                let written = match pending[0] {
                    2 => err.write_all(data),
                    _ => out.write_all(data).and_then(|()| out.flush()),
                };
                if written.is_err() {
                    return;
                }
                pending.drain(..8 + len);
            }
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => pending.extend_from_slice(&buf[..n]),
        }
    }
}

/// The terminal on stdin in raw mode (keys reach the container as typed,
/// ctrl-c included) until dropped.
struct RawMode(nix::sys::termios::Termios);

impl RawMode {
    fn enter() -> Option<RawMode> {
        use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return None;
        }
        let saved = tcgetattr(&stdin).ok()?;
        let mut raw = saved.clone();
        cfmakeraw(&mut raw);
        tcsetattr(&stdin, SetArg::TCSANOW, &raw).ok()?;
        Some(RawMode(saved))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = nix::sys::termios::tcsetattr(std::io::stdin(), nix::sys::termios::SetArg::TCSANOW, &self.0);
    }
}
