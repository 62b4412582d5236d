//! What /proc says of a process, for the parts that must tell one process
//! from a later one with the same PID (authorization, a container's init).

/// A process's start time in clock ticks since boot (field 22 of
/// /proc/PID/stat), None when the process is gone: with the PID, what
/// tells a process from a later one given the same PID (polkit's subject,
/// runc's record of a container's init).
pub fn process_start_time(pid: u32) -> Option<u64> {
    process_state(pid).map(|(_, start)| start)
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
