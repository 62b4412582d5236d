//! Per-object locks held across the steps of an operation (libpod's
//! per-container locks, without a shared-memory table that can run out).
//! Order: a pod before its containers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

#[derive(Default)]
pub struct Locks {
    // A std Mutex: held only to find or insert an entry, never across an await.
    map: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
}

pub struct Guard<'a> {
    locks: &'a Locks,
    id: String,
    guard: Option<OwnedMutexGuard<()>>,
}

impl Locks {
    pub async fn lock(&self, id: &str) -> Guard<'_> {
        let entry = self.map.lock().unwrap_or_else(|p| p.into_inner()).entry(id.to_string()).or_default().clone();
        let guard = entry.lock_owned().await;
        Guard { locks: self, id: id.to_string(), guard: Some(guard) }
    }
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        let mut map = self.locks.map.lock().unwrap_or_else(|p| p.into_inner());
        self.guard.take();
        // Forget the entry when nobody else holds or waits for it.
        if map.get(&self.id).is_some_and(|m| Arc::strong_count(m) == 1) {
            map.remove(&self.id);
        }
    }
}
