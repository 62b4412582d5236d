//! Evict: libpod's `EvictContainer`, for a container whose stored configuration
//! cannot be read. It needs only the ID and name columns and the link tables.
//!
//! Steps: resolve the name or ID by its columns; under the lock, in one
//! transaction, refuse an infra container or one that others depend on, and
//! mark it `removing`; then finish as remove does (directory, record, and
//! anonymous volumes when asked; named volumes are kept). Processes are not
//! stopped, as in libpod.

use super::Runtime;
use crate::error::{Error, Result};
use crate::events::{Event, EventType};
use crate::model::container::State;

impl Runtime {
    pub async fn evict_container(&self, name_or_id: &str, volumes: bool) -> Result<String> {
        let id = self.lookup_container_id(name_or_id).await?;
        let _lock = self.locks.lock(&id).await;
        let name = self
            .db
            .write(|tx| {
                let (name, pod, is_infra) =
                    tx.container_identity(&id)?.ok_or_else(|| Error::NoSuchContainer(id.clone()))?;
                if is_infra {
                    return Err(Error::InfraContainer { id: id.clone(), pod: pod.unwrap_or_default() });
                }
                let dependents = tx.container_dependents(&id)?;
                if !dependents.is_empty() {
                    return Err(Error::HasDependents { id: id.clone(), dependents });
                }
                tx.set_container_state(&id, State::Removing)?;
                Ok(name)
            })
            .await?;
        // Its configuration may be what cannot be read: the event has its name.
        let event = Event::new(EventType::Container, "remove", &id, &name);
        self.finish_removal(&id, event, volumes).await?;
        Ok(id)
    }
}
