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

    /// polkit's answer on `action` for `subject`; with `interactive`, polkit
    /// may have the subject's authentication agent ask its user first (and
    /// answers once the user has).
    pub async fn check(&self, action: &str, subject: &Subject, interactive: bool) -> Result<Verdict, String> {
        let details: HashMap<&str, Value> = HashMap::from([
            ("pid", Value::from(subject.pid)),
            ("start-time", Value::from(subject.start_time)),
            ("uid", Value::from(subject.uid as i32)),
        ]);
        let no_details: HashMap<&str, &str> = HashMap::new();
        // CheckAuthorizationFlags: 1 is AllowUserInteraction.
        let (flags, cancellation_id) = (u32::from(interactive), "");
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
        let ((authorized, challenge, _details),): ((bool, bool, HashMap<String, String>),) =
            reply.body().deserialize().map_err(|e| format!("polkit's answer cannot be read: {e}"))?;
        Ok(match (authorized, challenge) {
            (true, _) => Verdict::Granted,
            (false, true) => Verdict::Challenge,
            (false, false) => Verdict::Denied,
        })
    }
}

/// What polkit says of an action for a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Granted,
    /// Granted if the subject's user authenticates (polkit's challenge).
    Challenge,
    Denied,
}
