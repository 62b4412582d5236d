//! What /proc says of a process, for the parts that must tell one process
//! from a later one with the same PID (authorization, a container's init).

/// A process's start time in clock ticks since boot (field 22 of
/// /proc/PID/stat), None when the process is gone: with the PID, what
/// tells a process from a later one given the same PID (polkit's subject,
/// runc's record of a container's init).
pub fn process_start_time(pid: u32) -> Option<u64> {
    process_state(pid).map(|(_, start)| start)
}

/// The PID a PID file holds (as conmon and runc write them); None when
/// the file is missing, empty or holds no positive number, which must
/// never be signalled (0 and negative PIDs are process groups).
pub fn pid_in(file: &std::path::Path) -> Option<u32> {
    std::fs::read_to_string(file).ok()?.trim().parse::<u32>().ok().filter(|pid| *pid > 0)
}

/// A process's state letter (`Z` for a zombie) and its start time; None
/// when the process is gone.
pub fn process_state(pid: u32) -> Option<(char, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: count from its end.
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = fields.next()?.chars().next()?;
    Some((state, fields.nth(18)?.parse().ok()?))
}

/// Read `pipes` until each has ended, handing what comes to `sink` with
/// the pipe's label, in the order it comes.
pub fn pump<L: Copy>(pipes: [(L, std::os::fd::OwnedFd); 2], sink: &mut dyn FnMut(L, &[u8])) -> std::io::Result<()> {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::io::Read;
    use std::os::fd::AsFd;
    let mut open: Vec<(L, std::fs::File)> = pipes.into_iter().map(|(l, fd)| (l, std::fs::File::from(fd))).collect();
    let mut buf = vec![0u8; 16384];
    while !open.is_empty() {
        let mut fds: Vec<PollFd> = open.iter().map(|(_, f)| PollFd::new(f.as_fd(), PollFlags::POLLIN)).collect();
        match poll(&mut fds, PollTimeout::NONE) {
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
        let ready: Vec<usize> = (0..fds.len()).filter(|i| fds[*i].revents().is_some_and(|r| !r.is_empty())).collect();
        drop(fds);
        for i in ready.into_iter().rev() {
            match open[i].1.read(&mut buf) {
                Ok(0) => drop(open.remove(i)),
                Ok(n) => sink(open[i].0, &buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn start_time_is_read_after_the_command_name() {
        let own = super::process_start_time(std::process::id()).expect("this process has a start time");
        assert!(own > 0);
        assert_eq!(super::process_start_time(u32::MAX), None);
        // Sleeping or running (its main thread waits for the test's), not a zombie.
        assert!(matches!(super::process_state(std::process::id()), Some((s, t)) if s != 'Z' && t == own));
    }
}
