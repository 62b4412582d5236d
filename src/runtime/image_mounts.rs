//! Image mounts: podman's `image mount` and `image umount`. An image's
//! layers are mounted read-only at `<run-root>/images/<id>/merged`, once
//! however often asked; the mounts are counted in its record, and the last
//! unmount (or a forced one) takes the mount away.

use super::{blocking, Runtime};
use crate::error::Result;
use crate::storage::overlay;
use std::path::PathBuf;

impl Runtime {
    fn image_mount_target(&self, id: &str) -> PathBuf {
        self.config.run_root.join("images").join(id).join("merged")
    }

    /// Mount an image; its ID and where its files are.
    pub async fn mount_image(&self, reference: &str) -> Result<(String, PathBuf)> {
        let image = self.lookup_image(reference).await?;
        let _store = self.layer_store.read().await;
        let _lock = self.locks.lock(&image.id).await;
        let (lowers, target) = (self.layer_dirs(&image)?, self.image_mount_target(&image.id));
        let mounted = target.clone();
        blocking(move || {
            if !overlay::is_mounted(&mounted) {
                overlay::mount_read_only(&lowers, &mounted)?;
            }
            Ok(())
        })
        .await?;
        let id = image.id.clone();
        self.db.write(move |tx| tx.add_image_mount_count(&id, 1)).await?;
        Ok((image.id, target))
    }

    /// Release a mount of an image (every one with force); its ID, and
    /// whether this unmounted it (not when mounts remain or there were none).
    pub async fn unmount_image(&self, reference: &str, force: bool) -> Result<(String, bool)> {
        let image = self.lookup_image(reference).await?;
        let _lock = self.locks.lock(&image.id).await;
        let target = self.image_mount_target(&image.id);
        let id = image.id.clone();
        let left =
            self.db.write(move |tx| tx.add_image_mount_count(&id, if force { i64::MIN / 2 } else { -1 })).await?;
        if left > 0 || !overlay::is_mounted(&target) {
            return Ok((image.id, false));
        }
        blocking(move || {
            overlay::unmount(&target)?;
            if let Some(dir) = target.parent() {
                let _ = std::fs::remove_dir_all(dir);
            }
            Ok(())
        })
        .await?;
        Ok((image.id, true))
    }

    /// The mounted images: (ID, names, path), oldest first.
    pub async fn list_mounted_images(&self) -> Result<Vec<(String, Vec<String>, PathBuf)>> {
        let ids = self.db.read(|tx| tx.mounted_images()).await?;
        let mut out = Vec::new();
        for id in ids {
            let image = self.lookup_image(&id).await?;
            out.push((image.id.clone(), image.names, self.image_mount_target(&image.id)));
        }
        Ok(out)
    }
}
