//! Image rows and their names.

use super::{decode, encode, Lookup, Tx};
use crate::error::Result;
use crate::model::image::{Image, ImageConfig};
use rusqlite::{params, OptionalExtension};

impl Tx<'_> {
    /// Insert an image unless it is there; true when it was new.
    /// Record an image; a known one only takes the digest it came by now.
    pub fn insert_image(
        &self,
        id: &str,
        created: i64,
        size: u64,
        config: &ImageConfig,
        digest: Option<&str>,
    ) -> Result<bool> {
        let n = self
            .0
            .prepare_cached(
                "INSERT OR IGNORE INTO images (id, created, size, config, digest) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![id, created, size as i64, encode(config)?, digest])?;
        if n == 0 && digest.is_some() {
            self.0.prepare_cached("UPDATE images SET digest = ?2 WHERE id = ?1")?.execute(params![id, digest])?;
        }
        Ok(n == 1)
    }

    /// Point `name` at the image, taking it from any other image.
    pub fn set_image_name(&self, name: &str, id: &str) -> Result<()> {
        self.0
            .prepare_cached("INSERT OR REPLACE INTO image_names (name, image_id) VALUES (?1, ?2)")?
            .execute(params![name, id])?;
        Ok(())
    }

    pub fn remove_image_name(&self, name: &str) -> Result<()> {
        self.0.prepare_cached("DELETE FROM image_names WHERE name = ?1")?.execute([name])?;
        Ok(())
    }

    pub fn image(&self, id: &str) -> Result<Option<Image>> {
        let row: Option<(i64, i64, String, Option<String>)> = self
            .0
            .prepare_cached("SELECT created, size, config, digest FROM images WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        let Some((created, size, config, digest)) = row else { return Ok(None) };
        Ok(Some(Image {
            id: id.to_string(),
            names: self.strings("SELECT name FROM image_names WHERE image_id = ?1 ORDER BY name", id)?,
            created,
            size: size as u64,
            config: decode("configuration", &format!("image {id}"), &config)?,
            digest,
        }))
    }

    /// Add `delta` to an image's mount count (not below zero); the new count.
    pub fn add_image_mount_count(&self, id: &str, delta: i64) -> Result<i64> {
        self.0
            .prepare_cached("UPDATE images SET mount_count = MAX(0, mount_count + ?2) WHERE id = ?1")?
            .execute(rusqlite::params![id, delta])?;
        Ok(self.0.prepare_cached("SELECT mount_count FROM images WHERE id = ?1")?.query_row([id], |r| r.get(0))?)
    }

    /// IDs of the images mounted through the API.
    pub fn mounted_images(&self) -> Result<Vec<String>> {
        let mut stmt = self.0.prepare_cached("SELECT id FROM images WHERE mount_count > 0 ORDER BY created, id")?;
        let ids = stmt.query_map([], |r| r.get(0))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    }

    pub fn images(&self) -> Result<Vec<Image>> {
        let mut stmt = self.0.prepare_cached("SELECT id FROM images ORDER BY created, id")?;
        let ids: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        ids.iter().filter_map(|id| self.image(id).transpose()).collect()
    }

    /// Resolve an image reference: a name as given or with `:latest`, an ID,
    /// or a unique ID prefix.
    pub fn lookup_image(&self, reference: &str) -> Result<Lookup> {
        let by_name = "SELECT image_id FROM image_names WHERE name = ?1";
        for candidate in [reference.to_string(), crate::model::image::normalize(reference)] {
            if let Some(id) = self.opt_string(by_name, &candidate)? {
                return Ok(Lookup::Found(id));
            }
        }
        let id = reference.strip_prefix("sha256:").unwrap_or(reference);
        if !crate::names::is_id_prefix(id) {
            return Ok(Lookup::Missing);
        }
        self.lookup_prefix("images", id)
    }

    /// The image a reference resolves to, or NoSuchImage/AmbiguousName.
    pub fn resolve_image(&self, reference: &str) -> Result<Image> {
        let id = self.lookup_image(reference)?.found(reference, crate::error::Error::NoSuchImage)?;
        self.image(&id)?.ok_or_else(|| crate::error::Error::NoSuchImage(reference.to_string()))
    }

    /// Containers made from the image.
    pub fn image_users(&self, id: &str) -> Result<Vec<String>> {
        // Storage-only containers (a build's working container) hold their
        // image as a container does.
        self.strings(
            "SELECT id FROM (SELECT id, created FROM containers WHERE image_id = ?1 \
             UNION ALL SELECT id, created FROM storage_containers WHERE image_id = ?1) ORDER BY created",
            id,
        )
    }

    pub fn delete_image(&self, id: &str) -> Result<()> {
        self.0.prepare_cached("DELETE FROM images WHERE id = ?1")?.execute([id])?;
        Ok(())
    }
}
