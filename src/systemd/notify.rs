//! sd_notify(3) through the sd-notify crate: tell the service manager we
//! are ready, what we are doing, or that we are stopping. A no-op when
//! NOTIFY_SOCKET is not set.

pub use sd_notify::NotifyState;

/// Send `states` to NOTIFY_SOCKET, if any; a failure is logged, not fatal
/// (the manager then only misses a status line).
pub fn notify(states: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::warn!("sd_notify: {e}");
    }
}

/// How often to send WATCHDOG=1: half of WATCHDOG_USEC, when the watchdog
/// is on and meant for this process (sd_watchdog_enabled).
pub fn watchdog_interval() -> Option<std::time::Duration> {
    sd_notify::watchdog_enabled().filter(|d| !d.is_zero()).map(|d| d / 2)
}

/// sd_notify_barrier(3): wait until the manager has processed everything
/// sent before. A notification is a datagram that systemd reads when it
/// gets to it; without the barrier a client answered just after READY=1
/// could still see the unit "activating". Bounded by `timeout`.
pub fn barrier(timeout: std::time::Duration) {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    if let Err(e) = send_barrier(std::path::Path::new(&path), timeout) {
        tracing::warn!("sd_notify barrier: {e}");
    }
}

fn send_barrier(path: &std::path::Path, timeout: std::time::Duration) -> nix::Result<()> {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use nix::sys::socket::{sendmsg, socket, AddressFamily, ControlMessage, MsgFlags, SockFlag, SockType, UnixAddr};
    use std::os::fd::{AsFd, AsRawFd};
    use std::os::unix::ffi::OsStrExt;

    let address = match path.as_os_str().as_bytes().strip_prefix(b"@") {
        Some(name) => UnixAddr::new_abstract(name)?,
        None => UnixAddr::new(path)?,
    };
    let socket = socket(AddressFamily::Unix, SockType::Datagram, SockFlag::SOCK_CLOEXEC, None)?;
    // The manager closes its copy of the write end once it has read the
    // message; ours goes right after sending, so POLLHUP means "processed".
    let (read, write) = nix::unistd::pipe()?;
    let fds = [write.as_raw_fd()];
    let message = [std::io::IoSlice::new(b"BARRIER=1")];
    sendmsg(socket.as_raw_fd(), &message, &[ControlMessage::ScmRights(&fds)], MsgFlags::empty(), Some(&address))?;
    drop(write);
    let mut wait = [PollFd::new(read.as_fd(), PollFlags::empty())];
    let timeout = PollTimeout::try_from(timeout).unwrap_or(PollTimeout::MAX);
    poll(&mut wait, timeout)?;
    Ok(())
}
