//! polkit's CheckAuthorization, by hand over zbus: the one question berth
//! asks when someone other than root wants to change something.

use std::collections::HashMap;
use zbus::Variant as Value;

const DEST: &str = "org.freedesktop.PolicyKit1";
const PATH: &str = "/org/freedesktop/PolicyKit1/Authority";
const AUTHORITY: &str = "org.freedesktop.PolicyKit1.Authority";

/// A process asking: polkit identifies it by PID and start time (so that a
/// recycled PID is not mistaken for it) and checks the UID it was told.
pub struct Subject {
    pub pid: u32,
    pub start_time: u64,
    pub uid: u32,
}

pub struct Polkit {
    conn: zbus::Connection,
}

impl Polkit {
    /// Errors say why polkit cannot be asked; the caller says who was refused.
    pub async fn connect() -> Result<Polkit, String> {
        let conn =
            zbus::Connection::system().await.map_err(|e| format!("polkit cannot be asked: the system bus: {e}"))?;
        Ok(Polkit { conn })
    }

    /// Whether polkit grants `action` to `subject` without asking anyone
    /// (berth's callers have no authentication agent in the loop).
    pub async fn check(&self, action: &str, subject: &Subject) -> Result<bool, String> {
        let details: HashMap<&str, Value> = HashMap::from([
            ("pid", Value::from(subject.pid)),
            ("start-time", Value::from(subject.start_time)),
            ("uid", Value::from(subject.uid as i32)),
        ]);
        let no_details: HashMap<&str, &str> = HashMap::new();
        let (flags, cancellation_id) = (0u32, "");
        let reply = self
            .conn
            .call_method(
                Some(DEST),
                PATH,
                Some(AUTHORITY),
                "CheckAuthorization",
                &(("unix-process", details), action, no_details, flags, cancellation_id),
            )
            .await
            .map_err(|e| format!("polkit cannot be asked: {e}"))?;
        let ((authorized, _challenge, _details),): ((bool, bool, HashMap<String, String>),) =
            reply.body().deserialize().map_err(|e| format!("polkit's answer cannot be read: {e}"))?;
        Ok(authorized)
    }
}

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
