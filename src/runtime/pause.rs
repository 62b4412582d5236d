//! Pause and unpause: libpod's `Container.Pause` and `Unpause` (the runtime
//! freezes and thaws the container's cgroup).

use super::{in_oci, Runtime};
use crate::error::Result;
use crate::events::Event;
use crate::model::container::State;

impl Runtime {
    pub async fn pause_container(&self, name_or_id: &str) -> Result<String> {
        self.freeze(name_or_id, true).await
    }

    pub async fn unpause_container(&self, name_or_id: &str) -> Result<String> {
        self.freeze(name_or_id, false).await
    }

    async fn freeze(&self, name_or_id: &str, pause: bool) -> Result<String> {
        let id = self.lookup_container_id(name_or_id).await?;
        let _lock = self.locks.lock(&id).await;
        let (config, mut status) = self.load_container(&id).await?;
        if pause {
            status.state.can_pause(&id)?;
        } else {
            status.state.can_unpause(&id)?;
        }
        let runc = self.runc_for(&config);
        let key = id.clone();
        in_oci(move || if pause { runc.pause(&key) } else { runc.resume(&key) }).await?;
        status.state = if pause { State::Paused } else { State::Running };
        self.set_status(&id, status).await?;
        let action = if pause { "pause" } else { "unpause" };
        self.events.emit(Event::for_container(action, &config));
        Ok(id)
    }
}
