//! Rename: libpod's `RenameContainer`. Libpod warns that "atomicity is a real
//! problem here" because its names live in two stores; berth keeps the name in
//! one place, the container's row, so the check and the change are one
//! transaction: a concurrent create of the same name either sees the new name
//! taken or takes it first.
//!
//! Steps: validate the name (a leading "/", as Docker writes names, is
//! dropped); in one transaction resolve the container and update (the
//! schema refuses a name held by a container or pod). An infra container
//! may be renamed, as podman allows: its pod knows it by ID.

use super::Runtime;
use crate::db::Kind;
use crate::error::{Error, Result};
use crate::events::{Event, EventType};
use crate::names;

impl Runtime {
    pub async fn rename_container(&self, name_or_id: &str, new_name: &str) -> Result<(String, String)> {
        let new_name = new_name.strip_prefix('/').unwrap_or(new_name);
        names::validate_name(new_name)?;
        let (id, old) = self
            .db
            .write(|tx| {
                let id = tx.resolve(Kind::Container, name_or_id)?;
                let (name, _, _) =
                    tx.container_identity(&id)?.ok_or_else(|| Error::NoSuchContainer(name_or_id.to_string()))?;
                if name == new_name {
                    return Ok((id, name));
                }
                tx.rename_container(&id, new_name)?;
                crate::fault::crash_point("rename.transaction");
                Ok((id, name))
            })
            .await?;
        if old != new_name {
            self.events.emit(Event::new(EventType::Container, "rename", &id, new_name).with("oldName", old));
        }
        Ok((id, new_name.to_string()))
    }
}
