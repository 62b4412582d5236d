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
