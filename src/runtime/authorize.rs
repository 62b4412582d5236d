//! Who may change berth: root always; anyone else when polkit grants the
//! action `io.berth.manage`. Both transports ask this before every call that
//! changes something (reads are open to whoever can reach an API at all).

use super::Runtime;
use crate::error::{Error, Result};
use crate::process::process_start_time;
use crate::systemd::polkit::{Polkit, Subject};

/// The polkit action that covers every change (packaging/io.berth.policy).
pub const MANAGE_ACTION: &str = "io.berth.manage";

/// The process on the other end of a call, as the kernel (SO_PEERCRED) or
/// the bus (GetConnectionCredentials) vouches for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub uid: u32,
    pub pid: u32,
}

impl Runtime {
    /// Ok when `caller` may change containers, pods, volumes and images;
    /// otherwise PermissionDenied saying who was refused and why.
    pub async fn authorize(&self, caller: Caller) -> Result<()> {
        if caller.uid == 0 {
            return Ok(());
        }
        let refused = |why: String| Error::PermissionDenied(format!("uid {} may not change berth: {why}", caller.uid));
        let start_time = (caller.pid != 0)
            .then(|| process_start_time(caller.pid))
            .flatten()
            .ok_or_else(|| refused(format!("its process ({}) cannot be found", caller.pid)))?;
        let polkit = self.polkit.get_or_try_init(Polkit::connect).await.map_err(refused)?;
        let subject = Subject { pid: caller.pid, start_time, uid: caller.uid };
        match polkit.check(MANAGE_ACTION, &subject).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(refused(format!("polkit does not grant {MANAGE_ACTION}"))),
            Err(why) => Err(refused(why)),
        }
    }
}
