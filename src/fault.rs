//! Crash points, for the crash test (tests/crash.rs): in a debug build,
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
