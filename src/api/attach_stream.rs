//! The stream of an attach, the same on both transports: an upgraded
//! varlink connection or the socket a D-Bus call hands out. With a
//! terminal it carries raw bytes both ways; without one, output goes in
//! Docker's multiplexed frames (a byte for the stream, 1 stdout or 2
//! stderr, three zero bytes, the length as a big-endian u32, the bytes)
//! and the client's bytes are the container's stdin. The stream ends when
//! the container's conmon closes it (the process ended), when the client
//! types the detach keys, or when the client hangs up.

use crate::oci::conmon::{ATTACH_STDERR, ATTACH_STDOUT};
use crate::runtime::Attached;
use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// conmon's packets carry at most this much output after the stream byte.
const PACKET: usize = 8192 + 1;

/// Docker's frame header for `len` bytes of `stream` (1 stdout, 2 stderr).
pub fn frame_header(stream: u8, len: usize) -> [u8; 8] {
    let n = (len as u32).to_be_bytes();
    [stream, 0, 0, 0, n[0], n[1], n[2], n[3]]
}

/// Carry `attached` over `client` until one side ends; `early` is what the
/// client sent after its request and before the stream began. Blocks.
pub fn carry(client: UnixStream, early: Vec<u8>, attached: Attached) {
    let conmon = UnixStream::from(attached.socket);
    let (Ok(client_in), Ok(conmon_in)) = (client.try_clone(), conmon.try_clone()) else { return };
    let detached = Arc::new(AtomicBool::new(false));
    let input = std::thread::Builder::new().name("attach-input".into()).spawn({
        let matcher = crate::detach::Matcher::new(attached.detach_keys);
        let detached = detached.clone();
        move || carry_input(client_in, early, conmon_in, attached.stdin, matcher, &detached)
    });
    let ended_by_conmon = carry_output(&conmon, &client, attached.terminal);
    if let Some(exit_file) = attached.exit_file.filter(|_| ended_by_conmon && !detached.load(Ordering::SeqCst)) {
        wait_for(&exit_file);
    }
    let _ = client.shutdown(Shutdown::Both);
    let _ = conmon.shutdown(Shutdown::Both);
    if let Ok(input) = input {
        let _ = input.join();
    }
}

/// How long a stream that conmon ended waits for the exit file it writes
/// next (a conmon killed meanwhile writes none).
const EXIT_FILE_WAIT: Duration = Duration::from_secs(2);

fn wait_for(file: &std::path::Path) {
    let deadline = std::time::Instant::now() + EXIT_FILE_WAIT;
    // conmon writes it by a rename: there is whole.
    while !file.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A socket carrying `attached`'s stream, for a client that gets it as a
/// descriptor (over D-Bus); a thread carries the other end.
pub fn hand_out(attached: Attached) -> crate::error::Result<std::os::fd::OwnedFd> {
    let (ours, theirs) = UnixStream::pair()
        .map_err(|e| crate::error::Error::Runtime(format!("a socket for the stream of {}: {e}", attached.id)))?;
    std::thread::Builder::new()
        .name("attach-output".into())
        .spawn(move || carry(ours, Vec::new(), attached))
        .map_err(|e| crate::error::Error::Runtime(format!("a thread for the stream: {e}")))?;
    Ok(theirs.into())
}

/// conmon's packets to the client, until conmon ends the stream (true)
/// or the client is gone (noticed while the container is quiet too).
fn carry_output(mut conmon: &UnixStream, mut client: &UnixStream, terminal: bool) -> bool {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let mut packet = vec![0u8; PACKET];
    loop {
        // POLLHUP on the client: it closed both ways (a client that only
        // ended its input still reads).
        let mut fds = [PollFd::new(conmon.as_fd(), PollFlags::POLLIN), PollFd::new(client.as_fd(), PollFlags::empty())];
        match poll(&mut fds, PollTimeout::NONE) {
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return false,
            Ok(_) => {}
        }
        if fds[1].revents().is_some_and(|r| r.intersects(PollFlags::POLLHUP | PollFlags::POLLERR)) {
            return false;
        }
        let n = match conmon.read(&mut packet) {
            Ok(0) => return true,
            Err(_) => return false,
            Ok(n) => n,
        };
        let (stream, data) = (packet[0], &packet[1..n]);
        let written = if terminal {
            client.write_all(data)
        } else {
            let docker = match stream {
                ATTACH_STDOUT => 1,
                ATTACH_STDERR => 2,
                _ => continue,
            };
            client.write_all(&frame_header(docker, data.len())).and_then(|()| client.write_all(data))
        };
        if written.is_err() {
            return false;
        }
    }
}

/// The client's bytes to the container's stdin, holding back the detach
/// keys. At the client's end of input, the container's stdin is closed
/// (conmon closes it when its client ends its writing); at the detach
/// keys, the whole attach ends and the container goes on.
fn carry_input(
    mut client: UnixStream,
    early: Vec<u8>,
    mut conmon: UnixStream,
    stdin: bool,
    mut matcher: crate::detach::Matcher,
    self_detached: &AtomicBool,
) {
    let mut out = Vec::with_capacity(PACKET - 1);
    // Whether to read on: false once the container cannot take more or
    // the detach keys came.
    let mut pass = |bytes: &[u8]| {
        if !stdin || bytes.is_empty() {
            return true;
        }
        out.clear();
        let detached = matcher.feed(bytes, &mut out);
        // Each write is one packet, which conmon reads whole.
        if out.chunks(PACKET - 1).try_for_each(|piece| conmon.write_all(piece)).is_err() {
            return false;
        }
        if detached {
            // Seen before the output side sees its end.
            self_detached.store(true, Ordering::SeqCst);
            let _ = conmon.shutdown(Shutdown::Both);
        }
        !detached
    };
    if !pass(&early) {
        return;
    }
    let mut buf = vec![0u8; PACKET - 1];
    loop {
        match client.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) if !pass(&buf[..n]) => return,
            Ok(_) => {}
        }
    }
    if stdin {
        let _ = conmon.shutdown(Shutdown::Write);
    }
}
