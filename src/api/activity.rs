//! What keeps berthd from going idle: calls in progress on either API and
//! the time the last one ended.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Activity {
    active: AtomicUsize,
    last: Mutex<Instant>,
}

/// One connection or call in progress, counted out when dropped (panics
/// included).
pub struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Activity {
    pub fn new() -> Arc<Activity> {
        Arc::new(Activity { active: AtomicUsize::new(0), last: Mutex::new(Instant::now()) })
    }

    /// Count one more in progress, unless `limit` already are.
    pub fn enter(self: &Arc<Self>, limit: usize) -> Option<Busy> {
        if self.active.fetch_add(1, Ordering::SeqCst) >= limit {
            self.active.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Busy(self.clone()))
    }

    /// Start the idle clock again.
    pub fn touch(&self) {
        if let Ok(mut t) = self.last.lock() {
            *t = Instant::now();
        }
    }

    pub fn active(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }

    /// How long nothing has been in progress (zero while something is).
    pub fn quiet_for(&self) -> Duration {
        if self.active() > 0 {
            return Duration::ZERO;
        }
        self.last.lock().map(|t| t.elapsed()).unwrap_or_default()
    }
}
