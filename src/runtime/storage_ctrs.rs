//! A container's root file system, and the Storage API: libpod's
//! `mountStorage`/`cleanupStorage` and the runtime's `StorageContainers`,
//! `Mount`/`Unmount`/`IsStorageContainerMounted`.
//!
//! A container made from a host directory runs in it as is. One made from an
//! image gets an overlay at `<run-root>/overlay/<id>/merged`: its image's
//! layers read-only under its own `upper` and `work` directories (kept in its
//! container directory, so what it wrote is its RW size). The overlay is
//! mounted when the container is initialized or mounted through the API, and
//! unmounted when it exits, unless the API still holds it (a reference count
//! kept with the container), and always before the container is removed.

use super::{blocking, Runtime};
use crate::error::{Error, Result};
use crate::model::container::ContainerConfig;
use crate::storage::overlay;
use std::path::PathBuf;

impl Runtime {
    fn overlay_target(&self, id: &str) -> PathBuf {
        self.config.run_root.join("overlay").join(id).join("merged")
    }

    /// Whether the container's overlay has a directory under the run root:
    /// it is, or was, mounted.
    pub(super) fn has_overlay(&self, id: &str) -> bool {
        self.overlay_target(id).parent().is_some_and(|p| p.exists())
    }

    /// Bytes a container wrote: its overlay's upper directory.
    pub(super) fn rw_size(&self, id: &str) -> u64 {
        super::tree_size(&self.container_dir(id).join("upper"))
    }

    /// The root the OCI runtime gets: the host directory, or the overlay,
    /// mounted if it is not yet.
    pub(super) async fn mount_rootfs(&self, c: &ContainerConfig) -> Result<PathBuf> {
        if let Some(dir) = &c.rootfs {
            return Ok(dir.clone());
        }
        let image_id = c.image_id.clone().ok_or_else(|| Error::NoSuchImage(c.image.clone().unwrap_or_default()))?;
        let image = self.db.read(|tx| tx.image(&image_id)).await?.ok_or(Error::NoSuchImage(image_id))?;
        let lowers = self.layer_dirs(&image)?;
        let (dir, target) = (self.container_dir(&c.id), self.overlay_target(&c.id));
        blocking(move || {
            if !overlay::is_mounted(&target) {
                overlay::mount(&lowers, &dir.join("upper"), &dir.join("work"), &target)?;
            }
            Ok(target)
        })
        .await
    }

    /// Unmount a container's overlay, unless the Storage API holds it and
    /// this is not `force`d.
    pub(super) async fn unmount_rootfs(&self, id: &str, force: bool) -> Result<()> {
        if !self.has_overlay(id) {
            // Never mounted (a host-directory root, or not initialized).
            return Ok(());
        }
        let target = self.overlay_target(id);
        let held = self.db.read(|tx| tx.mount_count(id)).await?;
        if held > 0 && !force {
            return Ok(());
        }
        blocking(move || {
            overlay::unmount(&target)?;
            if let Some(parent) = target.parent() {
                let _ = std::fs::remove_dir_all(parent);
            }
            Ok(())
        })
        .await
    }

    /// Mount a container's root for a caller (the API's Mount); its path.
    pub async fn mount_storage(&self, name_or_id: &str) -> Result<PathBuf> {
        let id = self.lookup_container_id(name_or_id).await?;
        let _lock = self.locks.lock(&id).await;
        let (config, _) = self.load_container(&id).await?;
        let path = self.mount_rootfs(&config).await?;
        if config.image_id.is_some() {
            self.db.write(|tx| tx.add_mount_count(&id, 1)).await?;
        }
        Ok(path)
    }

    /// Release a mount (all of them with force). The overlay is unmounted
    /// when no mount is left and the container is not running. Whether it was.
    /// As libpod's Unmount, the last mount of a container with processes
    /// (its own) is refused.
    pub async fn unmount_storage(&self, name_or_id: &str, force: bool) -> Result<bool> {
        let id = self.lookup_container_id(name_or_id).await?;
        let _lock = self.locks.lock(&id).await;
        let (config, status) = self.load_container(&id).await?;
        if config.image_id.is_none() {
            return Ok(false);
        }
        if status.state.has_processes() && self.db.read(|tx| tx.mount_count(&id)).await? == 0 {
            let reason = format!("cannot unmount storage for container {id} as it is {}", status.state);
            return Err(status.state.invalid(&id, &reason));
        }
        let left = self.db.write(|tx| tx.add_mount_count(&id, if force { i64::MIN / 2 } else { -1 })).await?;
        if left > 0 || status.state.in_runtime() {
            return Ok(false);
        }
        self.unmount_rootfs(&id, true).await?;
        Ok(true)
    }

    /// Whether a container's root is mounted, and where.
    pub async fn storage_mounted(&self, name_or_id: &str) -> Result<(bool, PathBuf)> {
        let id = self.lookup_container_id(name_or_id).await?;
        let (config, _) = self.load_container(&id).await?;
        match &config.rootfs {
            Some(dir) => Ok((true, dir.clone())),
            None => {
                let target = self.overlay_target(&id);
                Ok((overlay::is_mounted(&target), target))
            }
        }
    }

    /// The containers made from an image whose overlay is mounted: (ID,
    /// name, path), oldest first.
    pub async fn list_mounted(&self) -> Result<Vec<(String, String, PathBuf)>> {
        let summaries = self.db.scan(|tx| tx.container_summaries(false)).await?;
        let overlays = self.config.run_root.join("overlay");
        blocking(move || {
            let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
            let mounted: std::collections::HashSet<&str> =
                mountinfo.lines().filter_map(|l| l.split(' ').nth(4)).collect();
            Ok(summaries
                .into_iter()
                .filter(|s| s.image_id.is_some())
                .map(|s| (overlays.join(&s.id).join("merged"), s))
                .filter(|(target, _)| target.to_str().is_some_and(|t| mounted.contains(t)))
                .map(|(target, s)| (s.id, s.name, target))
                .collect())
        })
        .await
    }

    /// Container storage the runtime does not know: directories under
    /// `<root>/containers` and overlays under `<run-root>/overlay` without a
    /// record (a crash between steps, or another tool). ID and path each.
    pub async fn list_external_storage(&self) -> Result<Vec<(String, PathBuf, bool)>> {
        let known: std::collections::HashSet<String> =
            self.db.scan(|tx| tx.container_ids()).await?.into_iter().collect();
        let (containers, overlays) = (self.config.root.join("containers"), self.config.run_root.join("overlay"));
        blocking(move || {
            let mut out = Vec::new();
            for (dir, mounted) in [(containers, false), (overlays, true)] {
                for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if !known.contains(&name) {
                        let merged = entry.path().join("merged");
                        let is_mounted = mounted && overlay::is_mounted(&merged);
                        out.push((name, if mounted { merged } else { entry.path() }, is_mounted));
                    }
                }
            }
            Ok(out)
        })
        .await
    }
}
