//! Who may do what: root everything; anyone else the summaries (lists,
//! states, events) freely, a container's configuration and output (inspect,
//! logs: where its environment and secrets show) when polkit grants
//! `io.berth.inspect` (or `io.berth.manage`, which can read them anyway,
//! through exec), and changes when polkit grants `io.berth.manage`. Both
//! transports ask this before every call that is not open to all.

use super::Runtime;
use crate::error::{Error, Result};
use crate::process::process_start_time;
use crate::systemd::polkit::{Polkit, Subject, Verdict};

/// The polkit action that covers every change (packaging/io.berth.policy).
pub const MANAGE_ACTION: &str = "io.berth.manage";
/// The polkit action that covers reading configuration and output.
pub const INSPECT_ACTION: &str = "io.berth.inspect";

/// What a call needs beyond reaching an API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read a container's (or pod's, volume's, image's) configuration or output.
    Inspect,
    /// Change something.
    Manage,
}

impl Access {
    /// The polkit actions that grant it, asked in order.
    fn actions(self) -> &'static [&'static str] {
        match self {
            Access::Inspect => &[INSPECT_ACTION, MANAGE_ACTION],
            Access::Manage => &[MANAGE_ACTION],
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Access::Inspect => "inspect",
            Access::Manage => "change",
        }
    }
}

/// The process on the other end of a call, as the kernel (SO_PEERCRED) or
/// the bus (GetConnectionCredentials) vouches for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub uid: u32,
    pub pid: u32,
}

impl Runtime {
    /// Ok when `caller` may have `access`. Otherwise, when polkit would
    /// grant it once the caller's user authenticates: with `interactive`
    /// (the caller allowed it), polkit's agent asks the user and the call
    /// waits for the answer; without, InteractiveAuthorizationRequired.
    /// Else PermissionDenied saying who was refused and why.
    pub async fn authorize(&self, caller: Caller, access: Access, interactive: bool) -> Result<()> {
        if caller.uid == 0 {
            return Ok(());
        }
        // A user's berthd is the user's alone: no polkit, no one else. (Over
        // varlink the user is 0 here, as the kernel maps them; the bus
        // daemon names them by their own ID.)
        if let Some(owner) = crate::rootless::owner() {
            return match caller.uid == owner.uid {
                true => Ok(()),
                false => Err(Error::PermissionDenied(format!(
                    "this berthd is {}'s (uid {}); uid {} may not {} it",
                    owner.name,
                    owner.uid,
                    caller.uid,
                    access.verb()
                ))),
            };
        }
        let refused =
            |why: String| Error::PermissionDenied(format!("uid {} may not {} berth: {why}", caller.uid, access.verb()));
        let start_time = (caller.pid != 0)
            .then(|| process_start_time(caller.pid))
            .flatten()
            .ok_or_else(|| refused(format!("its process ({}) cannot be found", caller.pid)))?;
        let polkit = self.polkit.get_or_try_init(Polkit::connect).await.map_err(refused)?;
        let subject = Subject { pid: caller.pid, start_time, uid: caller.uid };
        // Every action without interaction first, so that a user is asked
        // at most once, and only when no action is granted outright.
        let mut challenged = None;
        for action in access.actions() {
            match polkit.check(action, &subject, false).await.map_err(refused)? {
                Verdict::Granted => return Ok(()),
                Verdict::Challenge => challenged = challenged.or(Some(*action)),
                Verdict::Denied => {}
            }
        }
        match challenged {
            Some(action) if interactive => match polkit.check(action, &subject, true).await.map_err(refused)? {
                Verdict::Granted => Ok(()),
                _ => Err(refused(format!("authentication for {action} failed or was dismissed"))),
            },
            Some(action) => Err(Error::InteractiveAuthorizationRequired(format!(
                "uid {} may not {} berth without authenticating for {action}",
                caller.uid,
                access.verb()
            ))),
            None => Err(refused(format!("polkit does not grant {}", access.actions()[0]))),
        }
    }
}
