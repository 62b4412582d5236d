//! berthd: berth's daemon. It opens the catalogue under --root, takes the
//! socket systemd hands it (LISTEN_FDS) or binds --varlink, serves varlink
//! until signalled or idle for --idle-timeout seconds, and exits cleanly.

use berth::api::activity::Activity;
use berth::api::varlink::Server;
use berth::config::{CgroupManager, Config};
use berth::rootless::UserDirs;
use berth::runtime::Runtime;
use berth::systemd::notify::{notify, NotifyState};
use clap::Parser;
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "berthd",
    version,
    about = "berth's container engine, served over varlink",
    long_about = "berth's container engine, served over varlink and D-Bus.\n\n        berthd serves io.berth.Container, Pod, Volume, Image, Secret, Network, Storage and System \
        on /run/berth/io.berth (the socket systemd passes: berth.socket starts berth.service on \
        the first connection) and io.berth.Berth1 on the system bus, and exits after \
        --idle-timeout seconds without a client; containers outlive it. Under the systemd cgroup \
        manager each container runs in a transient scope berth-ID.scope and is registered with \
        systemd-machined. It reads /etc/berth/berth.conf (berth.conf(5)); berthctl(1) is its \
        client, berth.container(5) the unit files of containers.\n\n        Started by an ordinary user \
        (systemctl --user start berth.socket), berthd is that user's: rootless, as root of a user \
        namespace on the user's subordinate IDs (/etc/subuid, /etc/subgid), serving \
        $XDG_RUNTIME_DIR/berth/io.berth and the session bus, with state under \
        ~/.local/share/berth, settings from ~/.config/berth/berth.conf, scopes from the user's \
        manager, and pasta for networks."
)]
struct Args {
    /// Database, images, layers and volumes.
    #[arg(long)]
    root: Option<PathBuf>,
    /// Mounts, exit files and pid files.
    #[arg(long)]
    run_root: Option<PathBuf>,
    /// The varlink address to bind (unix:PATH) when systemd passes no socket.
    #[arg(long)]
    varlink: Option<String>,
    /// The D-Bus bus to serve on: system, session, none or an address
    /// (default: system; a user's berthd, session).
    #[arg(long)]
    dbus: Option<String>,
    /// Exit after this many seconds with no client and nothing in flight (0: never).
    #[arg(long, default_value_t = 60)]
    idle_timeout: u64,
    /// systemd or cgroupfs (default: systemd when PID 1 is systemd).
    #[arg(long)]
    cgroup_manager: Option<CgroupManager>,
    /// Default OCI runtime: runc, crun or a path.
    #[arg(long)]
    runtime: Option<String>,
    /// berth.conf to read (default /etc/berth/berth.conf when it exists).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print berthd's man page (roff) and exit, as a package build does.
    #[arg(long, hide = true)]
    man_page: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.man_page {
        let mut page = Vec::new();
        let man = clap_mangen::Man::new(<Args as clap::CommandFactory>::command()).section("8").source("berth");
        return match man.render(&mut page).and_then(|()| std::io::Write::write_all(&mut std::io::stdout(), &page)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("berthd: {e}");
                ExitCode::FAILURE
            }
        };
    }
    tune_allocator();
    init_logging();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("berthd: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Replies of a few hundred KiB (a list of 1,000 containers) are built and
/// freed on every call; glibc would hand them to mmap/munmap each time and pay
/// page faults for every page. Keep such blocks on the heap instead: the
/// faults were about half of such a list's time, and the heap holds about
/// 1 MiB more when idle.
#[allow(unsafe_code)] // mallopt, before any thread exists
fn tune_allocator() {
    use nix::libc::{mallopt, M_MMAP_THRESHOLD, M_TOP_PAD, M_TRIM_THRESHOLD};
    // SAFETY: mallopt only changes allocator parameters; it is called before
    // any other thread exists.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 8 << 20);
        mallopt(M_TRIM_THRESHOLD, 16 << 20);
        mallopt(M_TOP_PAD, 1 << 20);
    }
}

/// To the journal when berthd runs under systemd (its stderr is then the
/// journal too, but without fields or priorities), else to stderr.
fn init_logging() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_from_env("BERTH_LOG").unwrap_or_else(|_| "info".into());
    let journal = std::env::var_os("JOURNAL_STREAM")
        .is_some()
        .then(|| tracing_journald::layer().ok().map(|l| l.with_syslog_identifier("berthd".into())))
        .flatten();
    match journal {
        Some(layer) => tracing_subscriber::registry().with(filter).with(layer).init(),
        None => tracing_subscriber::registry()
            .with(filter)
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
            .init(),
    }
}

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    // Before any thread starts: it edits the environment.
    let activated = activated_fd()?;
    // An ordinary user's berthd: rootless, in the user's namespace.
    let user = (!nix::unistd::Uid::current().is_root()).then(UserDirs::from_env).transpose()?;
    if let Some(dirs) = &user {
        std::fs::create_dir_all(&dirs.run).map_err(|e| format!("{}: {e}", dirs.run.display()))?;
        let owner = berth::rootless::enter(&dirs.run.join("pause.pid"))?;
        tracing::info!(user = owner.name, uid = owner.uid, "rootless: root of the user's namespace");
    }
    let mut config = configure(&args, user.as_ref())?;
    std::fs::create_dir_all(&config.root)?;
    let _instance = lock_root(&config.root)?;

    let default_address = format!("unix:{}", config.run_root.join("io.berth").display());
    let address = args.varlink.clone().unwrap_or(default_address);
    config.ctl_command = ctl_command(&address);
    let tokio = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    notify(&[NotifyState::Status("starting: repairing storage, syncing containers with the runtime")]);
    let runtime = tokio.block_on(Runtime::open(config.clone()))?;
    let (listener, owned_path) = listener(activated, &address)?;
    tokio.spawn(stop_on_signal(runtime.clone(), owned_path.clone()));
    if let Some(interval) = berth::systemd::notify::watchdog_interval() {
        tokio.spawn(feed_watchdog(runtime.clone(), interval));
    }
    let counts = tokio.block_on(runtime.info()).map(|i| (i.containers, i.pods)).unwrap_or_default();
    let activity = Activity::new();
    tracing::info!(root = %config.root.display(), cgroup_manager = config.cgroup_manager.as_str(), "berthd serving");
    let status = format!("serving varlink on {address}; {} containers, {} pods", counts.0, counts.1);
    notify(&[NotifyState::Ready, NotifyState::Status(&status)]);
    // The bus name goes up only once systemd has seen READY=1, so a call
    // that D-Bus activation queued is answered by a unit that is active.
    berth::systemd::notify::barrier(Duration::from_secs(5));
    let bus = args.dbus.as_deref().unwrap_or(if user.is_some() { "session" } else { "system" });
    let dbus = serve_dbus(&tokio, &runtime, &activity, bus);
    let server = Server::new(runtime, activity.clone(), tokio.handle().clone());
    let idle = (args.idle_timeout > 0).then(|| Duration::from_secs(args.idle_timeout));
    server.serve(listener, idle)?;
    tracing::info!("idle for {}s with no clients; exiting", args.idle_timeout);
    notify(&[NotifyState::Stopping, NotifyState::Status("idle; exiting until the next connection")]);
    if let Some(dbus) = dbus.get() {
        // Calls the bus routed to us before the name went are still answered.
        tokio.block_on(async {
            dbus.release().await;
            tokio::time::sleep(Duration::from_millis(100)).await;
            while activity.active() > 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
    }
    if let Some(path) = owned_path {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// berth.conf, with what the command line sets over it.
fn configure(args: &Args, user: Option<&UserDirs>) -> Result<Config, Box<dyn std::error::Error>> {
    let mut config = match user {
        Some(dirs) => Config::load_for_user(args.config.as_deref(), dirs)?,
        None => Config::load(args.config.as_deref())?,
    };
    if let Some(root) = &args.root {
        config.root = root.clone();
    }
    if let Some(run_root) = &args.run_root {
        config.run_root = run_root.clone();
    }
    if let Some(m) = args.cgroup_manager {
        config.cgroup_manager = m;
    }
    if let Some(r) = &args.runtime {
        config.default_runtime = r.clone();
    }
    Ok(config)
}

/// On SIGTERM or SIGINT: finish what no client waits for (an exit being
/// recorded and cleaned up), so that a stop leaves nothing for the next
/// start to repair, bounded well within systemd's stop timeout; then exit.
async fn stop_on_signal(runtime: Arc<Runtime>, socket_path: Option<PathBuf>) {
    shutdown_signal().await;
    notify(&[NotifyState::Stopping, NotifyState::Status("stopping: finishing the cleanup of exits")]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while runtime.busy() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    if let Some(path) = socket_path {
        let _ = std::fs::remove_file(&path);
    }
    std::process::exit(0);
}

/// WATCHDOG=1 every `interval`, only while the executor answers and a
/// change could be made.
async fn feed_watchdog(runtime: Arc<Runtime>, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    loop {
        tick.tick().await;
        if runtime.responsive().await.is_ok() {
            notify(&[NotifyState::Watchdog]);
        }
    }
}

/// Serve io.berth.Berth1 on `bus` (none: not at all), in the background:
/// putting thousands of containers on the bus takes a while, and varlink
/// answers meanwhile. A bus that cannot be reached (a machine without one,
/// another owner of the name) is logged; berthd then serves varlink alone.
fn serve_dbus(
    tokio: &tokio::runtime::Runtime,
    runtime: &Arc<Runtime>,
    activity: &Arc<Activity>,
    bus: &str,
) -> Arc<OnceLock<berth::api::dbus::Service>> {
    let service = Arc::new(OnceLock::new());
    if bus == "none" {
        return service;
    }
    let (runtime, activity, bus, slot) = (runtime.clone(), activity.clone(), bus.to_string(), service.clone());
    tokio.spawn(async move {
        match berth::api::dbus::serve(runtime, activity, &bus).await {
            Ok(s) => {
                tracing::info!(bus, name = berth::api::dbus::BUS_NAME, "serving D-Bus");
                let _ = slot.set(s);
            }
            Err(e) => tracing::warn!(bus, "not serving D-Bus: {e}"),
        }
    });
    service
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

/// `berthctl --address ADDRESS`, for conmon's exit command (`info`, which
/// only connects: a running berthd learns of the exit from its watcher
/// anyway; a stopped one behind a listening socket, systemd's, is started by
/// the connection and records the exit in its start-up re-sync) and health
/// check timers. None when berthctl is not installed next to berthd.
fn ctl_command(address: &str) -> Option<Vec<String>> {
    let ctl = std::env::current_exe().ok()?.with_file_name("berthctl");
    ctl.is_file().then(|| vec![ctl.display().to_string(), "--address".into(), address.into()])
}

/// One berthd per root: hold an exclusive lock on ROOT/berthd.lock.
fn lock_root(root: &Path) -> Result<nix::fcntl::Flock<std::fs::File>, String> {
    use nix::fcntl::{Flock, FlockArg};
    let path = root.join("berthd.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Flock::lock(file, FlockArg::LockExclusiveNonblock)
        .map_err(|_| format!("another berthd is already using {}", root.display()))
}

/// The socket to serve: the one systemd passed, or a new one at `address`
/// (whose path is returned so that it can be removed on exit).
#[allow(unsafe_code)] // the descriptor systemd passed
fn listener(activated: Option<i32>, address: &str) -> Result<(UnixListener, Option<PathBuf>), String> {
    if let Some(fd) = activated {
        use nix::sys::stat::{fstat, SFlag};
        // SAFETY: the descriptor is only looked at here, not taken.
        let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
        let is_socket = fstat(borrowed)
            .is_ok_and(|st| SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits()) == SFlag::S_IFSOCK);
        if !is_socket {
            return Err(format!("LISTEN_FDS names descriptor {fd}, which is not a socket"));
        }
        // SAFETY: systemd passed this descriptor to us alone (LISTEN_PID is
        // our PID), it is a socket, and nothing else in the process owns it.
        return Ok((unsafe { UnixListener::from_raw_fd(fd) }, None));
    }
    let path = PathBuf::from(berth::client::socket_path(address));
    if UnixStream::connect(&path).is_ok() {
        return Err(format!("{address} is already served by another process"));
    }
    let _ = std::fs::remove_file(&path);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let listener = UnixListener::bind(&path).map_err(|e| format!("{address}: {e}"))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(|e| format!("{address}: {e}"))?;
    Ok((listener, Some(path)))
}

/// The varlink socket from systemd's socket activation, if we were given
/// one. Must run before any thread starts: it unsets LISTEN_* so that
/// children (conmon, runc) do not see them.
#[allow(unsafe_code)] // std::env::remove_var, before threads exist
fn activated_fd() -> Result<Option<RawFd>, String> {
    // SAFETY: called first thing in `run`, while berthd has one thread.
    let passed = unsafe { sd_notify::listen_fds_with_names_and_unset_env() }
        .map_err(|e| format!("the sockets systemd passed: {e}"))?;
    pick_varlink(&passed.collect::<Vec<_>>())
}

/// Of the descriptors systemd passed, the one named `varlink` (berth.socket's
/// FileDescriptorName), or the only one when there is one: a unit that
/// passes several must say which is ours.
fn pick_varlink(passed: &[(RawFd, String)]) -> Result<Option<RawFd>, String> {
    match passed {
        [] => Ok(None),
        [(fd, _)] => Ok(Some(*fd)),
        many => many.iter().find(|(_, name)| name == "varlink").map(|(fd, _)| Some(*fd)).ok_or_else(|| {
            let names: Vec<&str> = many.iter().map(|(_, n)| n.as_str()).collect();
            format!("systemd passed {} sockets ({}) and none is named varlink", many.len(), names.join(", "))
        }),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_varlink_socket_is_picked_by_name() {
        let named = |list: &[(i32, &str)]| list.iter().map(|(fd, n)| (*fd, n.to_string())).collect::<Vec<_>>();
        assert_eq!(super::pick_varlink(&[]), Ok(None));
        assert_eq!(super::pick_varlink(&named(&[(3, "unknown")])), Ok(Some(3)));
        assert_eq!(super::pick_varlink(&named(&[(3, "metrics"), (4, "varlink")])), Ok(Some(4)));
        let refused = super::pick_varlink(&named(&[(3, "a"), (4, "b")])).unwrap_err();
        assert!(refused.contains("(a, b)"), "{refused}");
    }
}
