//! Faults for tests, none in a release build. Crash points, for the crash
//! test (tests/crash.rs): in a debug build,
//! `BERTH_CRASH_AT=POINT` (or `POINT:N`, the Nth time) makes berthd kill
//! itself with SIGKILL when it reaches `crash_point(POINT)`, as a power cut
//! or an OOM kill would, between two steps of an operation. A release
//! build has no crash points.

/// Die here if the environment asks for it.
#[inline]
pub fn crash_point(name: &str) {
    #[cfg(debug_assertions)]
    armed::hit(name);
    #[cfg(not(debug_assertions))]
    let _ = name;
}

#[cfg(debug_assertions)]
mod armed {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::OnceLock;

    /// The point asked for and after how many hits to die.
    fn wanted() -> Option<&'static (String, u32)> {
        static WANTED: OnceLock<Option<(String, u32)>> = OnceLock::new();
        WANTED
            .get_or_init(|| {
                let v = std::env::var("BERTH_CRASH_AT").ok()?;
                Some(match v.split_once(':') {
                    Some((point, n)) => (point.to_string(), n.parse().unwrap_or(1)),
                    None => (v, 1),
                })
            })
            .as_ref()
    }

    pub fn hit(name: &str) {
        static HITS: AtomicU32 = AtomicU32::new(0);
        if let Some((point, n)) = wanted() {
            if point == name && HITS.fetch_add(1, Ordering::SeqCst) + 1 >= *n {
                tracing::warn!(point = name, "crashing at a crash point, as asked");
                let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
            }
        }
    }
}

/// For the test of what follows lost events (tests/dbus.rs): in a debug
/// build, `BERTH_SLOW_AT=POINT:MS` makes each pass through
/// `slow_point(POINT)` sleep MS milliseconds, and `BERTH_EVENT_BACKLOG=N`
/// keeps N events for a slow subscriber (see events.rs) instead of 4,096,
/// so that a few changes leave it behind. A release build has neither.
pub async fn slow_point(name: &str) {
    #[cfg(debug_assertions)]
    if let Some(pause) = slowed::pause(name) {
        tokio::time::sleep(pause).await;
    }
    #[cfg(not(debug_assertions))]
    let _ = name;
}

/// Events kept for each subscriber.
pub fn event_backlog() -> usize {
    const BACKLOG: usize = 4096;
    #[cfg(debug_assertions)]
    if let Some(n) = std::env::var("BERTH_EVENT_BACKLOG").ok().and_then(|v| v.parse().ok()).filter(|n| *n > 0) {
        return n;
    }
    BACKLOG
}

#[cfg(debug_assertions)]
mod slowed {
    use std::sync::OnceLock;
    use std::time::Duration;

    pub fn pause(name: &str) -> Option<Duration> {
        static WANTED: OnceLock<Option<(String, Duration)>> = OnceLock::new();
        let (point, pause) = WANTED
            .get_or_init(|| {
                let v = std::env::var("BERTH_SLOW_AT").ok()?;
                let (point, ms) = v.split_once(':')?;
                Some((point.to_string(), Duration::from_millis(ms.parse().ok()?)))
            })
            .as_ref()?;
        (point == name).then_some(*pause)
    }
}
