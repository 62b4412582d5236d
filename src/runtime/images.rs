//! Images: libimage's import, list, inspect, tag and remove, over berth's own
//! layer store (`<root>/storage/layers/<diff-id hex>/diff`, shared between
//! images) and the `images` table.
//!
//! Import: read the source (an archive is unpacked into a scratch directory
//! first), check the config digest, unpack every layer that is not stored yet
//! (each checked and renamed into place only when whole), then in one
//! transaction record the image and its names. A failure at any step leaves
//! no image record and no partial layer; a crash leaves at most scratch or
//! temporary directories, which the next import or start clears.

use super::remove::RemoveOptions;
use super::{blocking, Runtime};
use crate::error::{Error, Result};
use crate::events::{now_nanos, Event, EventType};
use crate::model::image::{self, Image, ImageConfig};
use crate::storage::{self, layers, source};
use std::path::{Path, PathBuf};

impl Runtime {
    pub(super) fn layers_dir(&self) -> PathBuf {
        self.config.root.join("storage/layers")
    }

    /// The directories of an image's layers, topmost first (overlay's order).
    pub(super) fn layer_dirs(&self, image: &Image) -> Result<Vec<PathBuf>> {
        let mut dirs = image
            .config
            .rootfs
            .diff_ids
            .iter()
            .map(|d| Ok(self.layers_dir().join(storage::digest_hex(d)?).join("diff")))
            .collect::<Result<Vec<_>>>()?;
        dirs.reverse();
        Ok(dirs)
    }

    pub async fn import_image(&self, path: &str, reference: Option<String>) -> Result<(String, Vec<String>)> {
        if let Some(r) = &reference {
            check_reference(r)?;
        }
        let _store = self.layer_store.read().await;
        let path = PathBuf::from(path);
        let (id, config, size, names, digest) =
            self.with_scratch(move |scratch, layers_dir| import_layers(&path, scratch, layers_dir)).await?;
        let names = reference.map_or(names, |r| vec![r]);
        let names: Vec<String> = names.iter().map(|n| image::normalize(n)).collect();
        self.record_image(id, config, size, names, digest, "import").await
    }

    /// Run the blocking part of an import or pull off the executor, given a
    /// fresh scratch directory (removed afterwards, whatever happens) and the
    /// layers directory.
    pub(super) async fn with_scratch<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Path, &Path) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let scratch = self.config.root.join("storage/tmp").join(crate::names::new_id());
        let layers_dir = self.layers_dir();
        blocking(move || {
            std::fs::create_dir_all(&scratch).map_err(|e| Error::storage(scratch.display(), e))?;
            std::fs::create_dir_all(&layers_dir).map_err(|e| Error::storage(layers_dir.display(), e))?;
            let result = work(&scratch, &layers_dir);
            let _ = std::fs::remove_dir_all(&scratch);
            result
        })
        .await
    }

    /// Record an image whose layers are stored, under `names`, in one
    /// transaction; `action` names the event (a known image only gains names).
    pub(super) async fn record_image(
        &self,
        id: String,
        config: ImageConfig,
        size: u64,
        names: Vec<String>,
        digest: Option<String>,
        action: &'static str,
    ) -> Result<(String, Vec<String>)> {
        for n in &names {
            check_reference(n)?;
        }
        let (key, stored) = (id.clone(), names.clone());
        let new = self
            .db
            .write(move |tx| {
                let new = tx.insert_image(&key, now_nanos(), size, &config, digest.as_deref())?;
                for n in &stored {
                    tx.set_image_name(n, &key)?;
                }
                Ok(new)
            })
            .await?;
        let first = names.first().cloned().unwrap_or_default();
        self.events.emit(Event::new(EventType::Image, if new { action } else { "tag" }, &id, &first));
        Ok((id, names))
    }

    pub async fn lookup_image(&self, reference: &str) -> Result<Image> {
        self.db.read(|tx| tx.resolve_image(reference)).await
    }

    pub async fn list_images(&self) -> Result<Vec<(Image, usize)>> {
        self.db
            .scan(|tx| {
                tx.images()?
                    .into_iter()
                    .map(|i| Ok((tx.image_users(&i.id)?.len(), i)))
                    .map(|r| r.map(|(n, i)| (i, n)))
                    .collect()
            })
            .await
    }

    /// Take `name` from an image; the image stays, nameless if that was
    /// its last (podman's untag). Its ID.
    pub async fn untag_image(&self, reference: &str, name: &str) -> Result<String> {
        let image = self.lookup_image(reference).await?;
        let name = image::normalize(name);
        if !image.names.contains(&name) {
            return Err(Error::invalid_argument("name", format!("{name} is not a name of image {}", image.id)));
        }
        let n = name.clone();
        self.db.write(move |tx| tx.remove_image_name(&n)).await?;
        self.events.emit(Event::new(EventType::Image, "untag", &image.id, &name));
        Ok(image.id)
    }

    /// podman's image prune: images without a name (dangling), or with
    /// `all` every image no container uses (storage-only ones included);
    /// the IDs removed. An image that cannot go is logged and left.
    pub async fn prune_images(&self, all: bool) -> Result<Vec<String>> {
        let mut removed = Vec::new();
        for (image, users) in self.list_images().await? {
            if users > 0 || (!all && !image.names.is_empty()) {
                continue;
            }
            match self.remove_image(&image.id, false).await {
                Ok((id, true)) => removed.push(id),
                Ok(_) => {}
                Err(e) => tracing::warn!(image = image.id.as_str(), "prune: {e}"),
            }
        }
        Ok(removed)
    }

    pub async fn tag_image(&self, reference: &str, name: &str) -> Result<String> {
        let image = self.lookup_image(reference).await?;
        let name = image::normalize(name);
        check_reference(&name)?;
        let (id, n) = (image.id.clone(), name.clone());
        self.db.write(move |tx| tx.set_image_name(&n, &id)).await?;
        self.events.emit(Event::new(EventType::Image, "tag", &image.id, &name));
        Ok(image.id)
    }

    /// Remove an image, or only the name when it has others. Refused while
    /// containers use it, unless force, which removes them first. Layers no
    /// other image uses go with it. Returns the image ID and whether the image
    /// itself (not just a name) was removed.
    pub async fn remove_image(&self, reference: &str, force: bool) -> Result<(String, bool)> {
        let image = self.lookup_image(reference).await?;
        let named = image.names.iter().find(|n| **n == reference || **n == image::normalize(reference)).cloned();
        if let Some(name) = named.filter(|_| image.names.len() > 1) {
            let n = name.clone();
            self.db.write(move |tx| tx.remove_image_name(&n)).await?;
            self.events.emit(Event::new(EventType::Image, "untag", &image.id, &name));
            return Ok((image.id, false));
        }
        let users = self.db.read(|tx| tx.image_users(&image.id)).await?;
        if !users.is_empty() && !force {
            return Err(Error::HasDependents { id: image.id, dependents: users });
        }
        // An image that goes is no longer mounted.
        if self.list_mounted_images().await?.iter().any(|(id, _, _)| *id == image.id) {
            self.unmount_image(&image.id, true).await?;
        }
        for user in &users {
            let how = RemoveOptions { force: true, volumes: true, ..Default::default() };
            match self.remove_by_id(user, how).await {
                // A storage-only container (a build's) holds the image too.
                Err(Error::NoSuchContainer(_)) => drop(self.remove_storage_container(user, true).await?),
                other => drop(other?),
            }
        }
        // Held from deciding which layers are unused until they are gone.
        let _store = self.layer_store.write().await;
        let still_used: std::collections::HashSet<String> = self
            .db
            .write(|tx| {
                let users = tx.image_users(&image.id)?;
                if !users.is_empty() {
                    return Err(Error::HasDependents { id: image.id.clone(), dependents: users });
                }
                tx.delete_image(&image.id)?;
                Ok(tx.images()?.into_iter().flat_map(|i| i.config.rootfs.diff_ids).collect())
            })
            .await?;
        let layers_dir = self.layers_dir();
        let unused: Vec<String> =
            image.config.rootfs.diff_ids.iter().filter(|d| !still_used.contains(*d)).cloned().collect();
        blocking(move || {
            for d in unused {
                super::remove_tree(&layers_dir.join(storage::digest_hex(&d)?))?;
            }
            Ok(())
        })
        .await?;
        self.events.emit(Event::new(EventType::Image, "remove", &image.id, image.names.first().map_or("", |n| n)));
        Ok((image.id, true))
    }
}

/// The blocking part of import: returns the image ID, its configuration, the
/// size of its layers and the names the source carries.
/// The blocking part of an import: the image ID, its configuration, the
/// bytes of its layer blobs, the names and the digest the source carries.
type Imported = (String, ImageConfig, u64, Vec<String>, Option<String>);

fn import_layers(path: &Path, scratch: &Path, layers_dir: &Path) -> Result<Imported> {
    let src = source::open(path, scratch)?;
    let config = source::image_config(&src.config, &format!("{}: the image configuration", path.display()))?;
    let diff_ids = &config.rootfs.diff_ids;
    if diff_ids.len() != src.layers.len() {
        return Err(Error::Storage(format!(
            "{}: the manifest lists {} layers, the configuration {}",
            path.display(),
            src.layers.len(),
            diff_ids.len()
        )));
    }
    let mut size = 0;
    for (layer, diff_id) in src.layers.iter().zip(diff_ids) {
        size += std::fs::metadata(&layer.path).map(|m| m.len()).unwrap_or(0);
        layers::unpack(layers_dir, &layer.path, layer.digest.as_deref(), diff_id)?;
    }
    let id = storage::digest_hex(&src.config_digest)?.to_string();
    Ok((id, config, size, src.names, src.digest))
}

/// A reference is stored as a name: no spaces or control characters.
fn check_reference(r: &str) -> Result<()> {
    if r.is_empty() || r.len() > 255 || r.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::InvalidName { name: r.to_string(), reason: "not an image reference".into() });
    }
    Ok(())
}
