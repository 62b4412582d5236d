//! Storage-only containers: a root file system made from an image for a
//! tool other than berth's runtime (podman's `buildah from`), with a name
//! that no container may take.

use super::Tx;
use crate::error::{Error, Result};
use rusqlite::{params, OptionalExtension};

/// A storage-only container's record.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageContainer {
    pub id: String,
    pub name: String,
    pub image_id: String,
    /// The image as it was named (its ID when it was given by ID).
    pub image: String,
    /// Unix nanoseconds.
    pub created_nanos: i64,
}

fn row(r: &rusqlite::Row) -> rusqlite::Result<StorageContainer> {
    Ok(StorageContainer {
        id: r.get(0)?,
        name: r.get(1)?,
        image_id: r.get(2)?,
        image: r.get(3)?,
        created_nanos: r.get(4)?,
    })
}

impl Tx<'_> {
    pub fn insert_storage_container(&self, c: &StorageContainer) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO storage_containers (id, name, image_id, image, created) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![c.id, c.name, c.image_id, c.image, c.created_nanos])?;
        Ok(())
    }

    /// A storage-only container by name, ID or unique ID prefix.
    pub fn storage_container(&self, name_or_id: &str) -> Result<Option<StorageContainer>> {
        const COLUMNS: &str = "SELECT id, name, image_id, image, created FROM storage_containers";
        let by_name =
            self.0.prepare_cached(&format!("{COLUMNS} WHERE name = ?1 OR id = ?1"))?.query_row([name_or_id], row);
        if let Some(c) = by_name.optional()? {
            return Ok(Some(c));
        }
        if name_or_id.is_empty() || !name_or_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let mut stmt = self.0.prepare_cached(&format!("{COLUMNS} WHERE id >= ?1 AND id < ?1 || 'g' LIMIT 2"))?;
        let found: Vec<StorageContainer> =
            stmt.query_map([name_or_id.to_ascii_lowercase()], row)?.collect::<rusqlite::Result<_>>()?;
        match found.len() {
            0 => Ok(None),
            1 => Ok(found.into_iter().next()),
            _ => Err(Error::AmbiguousName {
                name_or_id: name_or_id.to_string(),
                matches: found.into_iter().map(|c| c.id).collect(),
            }),
        }
    }

    /// Every storage-only container, oldest first.
    pub fn storage_containers(&self) -> Result<Vec<StorageContainer>> {
        let mut stmt = self
            .0
            .prepare_cached("SELECT id, name, image_id, image, created FROM storage_containers ORDER BY created, id")?;
        let rows = stmt.query_map([], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn delete_storage_container(&self, id: &str) -> Result<()> {
        self.0.prepare_cached("DELETE FROM storage_containers WHERE id = ?1")?.execute([id])?;
        Ok(())
    }
}
