//! A container's root file system, and the Storage API: libpod's
//! `mountStorage`/`cleanupStorage` and the runtime's `StorageContainers`,
//! `Mount`/`Unmount`/`IsStorageContainerMounted`; and storage-only
//! containers, what `buildah from` makes in podman's storage: a root made
//! from an image, under a name no container may take, with no container
//! record (podman's `ps --external`).
//!
//! A container made from a host directory runs in it as is. One made from an
//! image gets an overlay at `<run-root>/overlay/<id>/merged`: its image's
//! layers read-only under its own `upper` and `work` directories (kept in its
//! container directory, so what it wrote is its RW size). The overlay is
//! mounted when the container is initialized or mounted through the API, and
//! unmounted when it exits, unless the API still holds it (a reference count
//! kept with the container), and always before the container is removed.

use super::{blocking, Runtime};
use crate::db::{Kind, StorageContainer};
use crate::error::{Error, Result};
use crate::model::container::ContainerConfig;
use crate::storage::overlay;
use std::path::PathBuf;

/// Storage without a container record: a storage-only container (with
/// its record of the storage), or what a crash or another tool left.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalStorage {
    pub id: String,
    pub path: PathBuf,
    pub mounted: bool,
    pub record: Option<StorageContainer>,
}

/// A name or ID that is a container, or a storage-only container.
enum Target {
    Container(String),
    Storage(StorageContainer),
}

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

    /// Where the container's root is: the host directory it was given, or
    /// its overlay's mount point.
    pub(super) fn rootfs_path(&self, c: &ContainerConfig) -> PathBuf {
        match &c.rootfs {
            Some(dir) if !c.rootfs_overlay => dir.clone(),
            _ => self.overlay_target(&c.id),
        }
    }

    /// The root the OCI runtime gets: the host directory, or the overlay,
    /// mounted if it is not yet.
    pub(super) async fn mount_rootfs(&self, c: &ContainerConfig) -> Result<PathBuf> {
        let lowers = match &c.rootfs {
            Some(dir) if c.rootfs_overlay => vec![dir.clone()],
            Some(_) => return Ok(self.rootfs_path(c)),
            None => {
                let image_id =
                    c.image_id.clone().ok_or_else(|| Error::NoSuchImage(c.image.clone().unwrap_or_default()))?;
                let image = self.db.read(|tx| tx.image(&image_id)).await?.ok_or(Error::NoSuchImage(image_id))?;
                self.layer_dirs(&image)?
            }
        };
        let (dir, target) = (self.container_dir(&c.id), self.rootfs_path(c));
        let program = self.config.mount_program.clone();
        blocking(move || {
            if !overlay::is_mounted(&target) {
                overlay::mount(&lowers, &dir.join("upper"), &dir.join("work"), &target, program.as_deref())?;
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

    /// A container, else a storage-only container, by name or ID.
    async fn storage_target(&self, name_or_id: &str) -> Result<Target> {
        match self.lookup_container_id(name_or_id).await {
            Ok(id) => Ok(Target::Container(id)),
            Err(Error::NoSuchContainer(n)) => {
                let found = self.db.read(|tx| tx.storage_container(name_or_id)).await?;
                found.map(Target::Storage).ok_or(Error::NoSuchContainer(n))
            }
            Err(e) => Err(e),
        }
    }

    /// What mounting a storage-only container's root needs to know.
    fn storage_config(c: &StorageContainer) -> ContainerConfig {
        ContainerConfig {
            id: c.id.clone(),
            name: c.name.clone(),
            image_id: Some(c.image_id.clone()),
            ..Default::default()
        }
    }

    /// Mount a container's root for a caller (the API's Mount); its path.
    /// A storage-only container's root is mounted once, however often asked.
    pub async fn mount_storage(&self, name_or_id: &str) -> Result<PathBuf> {
        let id = match self.storage_target(name_or_id).await? {
            Target::Container(id) => id,
            Target::Storage(c) => {
                let _lock = self.locks.lock(&c.id).await;
                return self.mount_rootfs(&Self::storage_config(&c)).await;
            }
        };
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
        let id = match self.storage_target(name_or_id).await? {
            Target::Container(id) => id,
            Target::Storage(c) => {
                let _lock = self.locks.lock(&c.id).await;
                let mounted = overlay::is_mounted(&self.overlay_target(&c.id));
                self.unmount_rootfs(&c.id, true).await?;
                return Ok(mounted);
            }
        };
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
        let id = match self.storage_target(name_or_id).await? {
            Target::Container(id) => id,
            Target::Storage(c) => {
                let target = self.overlay_target(&c.id);
                return Ok((overlay::is_mounted(&target), target));
            }
        };
        let (config, _) = self.load_container(&id).await?;
        match &config.rootfs {
            Some(dir) if !config.rootfs_overlay => Ok((true, dir.clone())),
            _ => {
                let target = self.overlay_target(&id);
                Ok((overlay::is_mounted(&target), target))
            }
        }
    }

    /// The containers made from an image whose overlay is mounted, then
    /// the storage-only containers that are: (ID, name, path), oldest first.
    pub async fn list_mounted(&self) -> Result<Vec<(String, String, PathBuf)>> {
        let (summaries, storage_only) =
            self.db.scan(|tx| Ok((tx.container_summaries(false)?, tx.storage_containers()?))).await?;
        let overlays = self.config.run_root.join("overlay");
        blocking(move || {
            let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
            let mounted: std::collections::HashSet<&str> =
                mountinfo.lines().filter_map(|l| l.split(' ').nth(4)).collect();
            let containers = summaries.into_iter().filter(|s| s.image_id.is_some()).map(|s| (s.id, s.name));
            let storage = storage_only.into_iter().map(|c| (c.id, c.name));
            Ok(containers
                .chain(storage)
                .map(|(id, name)| (overlays.join(&id).join("merged"), id, name))
                .filter(|(target, _, _)| target.to_str().is_some_and(|t| mounted.contains(t)))
                .map(|(target, id, name)| (id, name, target))
                .collect())
        })
        .await
    }

    /// Storage without a container record: the storage-only containers,
    /// then directories under `<root>/containers` and overlays under
    /// `<run-root>/overlay` that nothing records (a crash between steps, or
    /// another tool).
    pub async fn list_external_storage(&self) -> Result<Vec<ExternalStorage>> {
        let (known, records) = self
            .db
            .scan(|tx| {
                Ok((
                    tx.container_ids()?.into_iter().collect::<std::collections::HashSet<_>>(),
                    tx.storage_containers()?,
                ))
            })
            .await?;
        let (containers, overlays) = (self.config.root.join("containers"), self.config.run_root.join("overlay"));
        let run_overlays = overlays.clone();
        blocking(move || {
            let mut out: Vec<ExternalStorage> = records
                .into_iter()
                .map(|r| {
                    let merged = run_overlays.join(&r.id).join("merged");
                    ExternalStorage {
                        id: r.id.clone(),
                        mounted: overlay::is_mounted(&merged),
                        path: merged,
                        record: Some(r),
                    }
                })
                .collect();
            let recorded: std::collections::HashSet<String> = out.iter().map(|e| e.id.clone()).collect();
            for (dir, is_overlay) in [(containers, false), (overlays, true)] {
                for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if known.contains(&name) || recorded.contains(&name) {
                        continue;
                    }
                    let merged = entry.path().join("merged");
                    let mounted = is_overlay && overlay::is_mounted(&merged);
                    let path = if is_overlay { merged } else { entry.path() };
                    out.push(ExternalStorage { id: name, path, mounted, record: None });
                }
            }
            Ok(out)
        })
        .await
    }

    /// Make a storage-only container from an image (podman's `buildah
    /// from`): its ID and name. Nothing is mounted until it is asked for.
    pub async fn create_storage_container(&self, image: &str, name: Option<String>) -> Result<(String, String)> {
        let name = name.map(|n| n.strip_prefix('/').map(str::to_string).unwrap_or(n));
        if let Some(n) = &name {
            crate::names::validate_name(n)?;
        }
        let reference = image.to_string();
        let image = self.lookup_image(image).await?;
        let named = crate::model::image::normalize(&reference);
        let shown = if image.names.contains(&named) { named } else { image.id.clone() };
        let record = self
            .db
            .write(move |tx| {
                let name = super::create::claim_name(tx, name)?;
                let id = loop {
                    let id = crate::names::new_id();
                    if !tx.id_in_use(&id)? {
                        break id;
                    }
                };
                let record = StorageContainer {
                    id,
                    name,
                    image_id: image.id,
                    image: shown,
                    created_nanos: crate::events::now_nanos(),
                };
                tx.insert_storage_container(&record)?;
                Ok(record)
            })
            .await?;
        Ok((record.id, record.name))
    }

    /// Remove a storage-only container and its storage: refused for one of
    /// berth's containers (Container.Remove is for those), and, unless
    /// forced, for one whose root is mounted (podman's rule). Its ID.
    pub async fn remove_storage_container(&self, name_or_id: &str, force: bool) -> Result<String> {
        if let Ok(id) = self.resolve(Kind::Container, name_or_id).await {
            return Err(Error::invalid_argument(
                "nameOrId",
                format!("{id} is a container of berth's, not only storage: remove it as a container"),
            ));
        }
        let c = self
            .db
            .read(|tx| tx.storage_container(name_or_id))
            .await?
            .ok_or_else(|| Error::NoSuchContainer(name_or_id.to_string()))?;
        let _lock = self.locks.lock(&c.id).await;
        if !force && overlay::is_mounted(&self.overlay_target(&c.id)) {
            let reason = format!("container {} is mounted and cannot be removed without using force", c.id);
            return Err(Error::InvalidState { id: c.id, state: "mounted".into(), reason });
        }
        self.unmount_rootfs(&c.id, true).await?;
        let dir = self.container_dir(&c.id);
        blocking(move || super::remove_tree(&dir)).await?;
        let id = c.id.clone();
        self.db.write(move |tx| tx.delete_storage_container(&id)).await?;
        Ok(c.id)
    }
}
