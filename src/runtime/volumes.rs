//! Volumes: libpod's runtime_volume.go (`NewVolume`, `RemoveVolume`,
//! `PruneVolumes`). A volume is a directory `<root>/volumes/NAME/_data`.

use super::remove::RemoveOptions;
use super::Runtime;
use crate::error::{Error, Result};
use crate::events::{now_nanos, Event, EventType};
use crate::model::container::ContainerConfig;
use crate::model::volume::{VolumeConfig, VolumeFilters, VolumeInfo};
use crate::names;
use std::collections::BTreeMap;

/// What pruning did to one volume.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumePruneReport {
    pub name: String,
    pub size: u64,
    pub error: Option<String>,
}

impl Runtime {
    /// The volumes of `c` that mount a file system: (device, type,
    /// options, directory).
    async fn typed_volumes(&self, c: &ContainerConfig) -> Result<Vec<(String, String, String, std::path::PathBuf)>> {
        let names: Vec<String> = c.volumes.iter().map(|v| v.name.clone()).collect();
        self.db
            .read(move |tx| {
                let mut out = Vec::new();
                for name in &names {
                    if let Some(v) = tx.volume(name)? {
                        if let Some((device, typ, options)) = v.file_system() {
                            out.push((device.to_string(), typ.to_string(), options.to_string(), v.mountpoint.clone()));
                        }
                    }
                }
                Ok(out)
            })
            .await
    }

    /// Mount the file systems of `c`'s typed volumes that are not mounted.
    pub(super) async fn mount_typed_volumes(&self, c: &ContainerConfig) -> Result<()> {
        let volumes = self.typed_volumes(c).await?;
        super::blocking(move || {
            for (device, typ, options, dir) in volumes {
                if !crate::storage::overlay::is_mounted(&dir) {
                    crate::storage::volume_mount::mount(&device, &typ, &options, &dir)?;
                }
            }
            Ok(())
        })
        .await
    }

    /// Unmount the file systems of `c`'s typed volumes that no other
    /// container with processes uses (podman's volume unmount at cleanup).
    pub(super) async fn release_typed_volumes(&self, c: &ContainerConfig) {
        let id = c.id.clone();
        let names: Vec<String> = c.volumes.iter().map(|v| v.name.clone()).collect();
        let idle = self.db.read(move |tx| {
            let mut idle = Vec::new();
            for name in &names {
                let Some(v) = tx.volume(name)? else { continue };
                if v.file_system().is_none() {
                    continue;
                }
                let mut busy = false;
                for user in tx.volume_users(name)?.iter().filter(|u| **u != id) {
                    busy |= tx.container(user)?.is_some_and(|r| r.status.state.has_processes());
                }
                if !busy {
                    idle.push(v.mountpoint);
                }
            }
            Ok(idle)
        });
        let result = match idle.await {
            Ok(dirs) => {
                super::blocking(move || dirs.iter().try_for_each(|d| Ok(crate::storage::overlay::unmount(d)?))).await
            }
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            tracing::warn!(id = c.id.as_str(), "unmounting its volumes: {e}");
        }
    }

    pub async fn create_volume(
        &self,
        name: Option<String>,
        labels: BTreeMap<String, String>,
        options: BTreeMap<String, String>,
    ) -> Result<String> {
        if let Some(n) = &name {
            names::validate_volume_name(n)?;
        }
        crate::model::volume::owner(&options)?;
        let root = self.config.root.clone();
        let name = self
            .db
            .write(move |tx| {
                let anonymous = name.is_none();
                let name = name.unwrap_or_else(names::new_id);
                if tx.volume(&name)?.is_some() {
                    return Err(Error::NameInUse(name));
                }
                let mut made = Vec::new();
                let volume = VolumeConfig {
                    name: name.clone(),
                    anonymous,
                    labels,
                    created_nanos: now_nanos(),
                    options,
                    ..Default::default()
                };
                let result = super::create::new_volume(&root, volume, &mut made).and_then(|v| tx.insert_volume(&v));
                if result.is_err() {
                    made.iter().for_each(|d| drop(std::fs::remove_dir_all(d)));
                }
                result.map(|_| name)
            })
            .await?;
        self.events.emit(Event::new(EventType::Volume, "create", &name, &name));
        Ok(name)
    }

    pub async fn inspect_volume(&self, name: &str) -> Result<VolumeInfo> {
        self.db
            .read(|tx| {
                let config = tx.volume(name)?.ok_or_else(|| Error::NoSuchVolume(name.to_string()))?;
                Ok(VolumeInfo { users: tx.volume_users(name)?, config })
            })
            .await
    }

    pub async fn volume_exists(&self, name: &str) -> Result<bool> {
        self.db.read(|tx| Ok(tx.volume(name)?.is_some())).await
    }

    pub async fn list_volumes(&self, filters: &[String]) -> Result<Vec<VolumeInfo>> {
        let filters = VolumeFilters::parse(filters)?;
        Ok(self.db.scan(|tx| tx.volumes()).await?.into_iter().filter(|v| filters.matches(v)).collect())
    }

    /// Remove a volume; refused while containers use it, unless force, which
    /// force-removes those containers first. Returns the removed containers.
    pub async fn remove_volume(&self, name: &str, force: bool) -> Result<Vec<String>> {
        let users = self.inspect_volume(name).await?.users;
        if !users.is_empty() && !force {
            return Err(Error::VolumeInUse { name: name.to_string(), users });
        }
        for user in &users {
            self.remove_by_id(user, RemoveOptions { force: true, ..Default::default() }).await?;
        }
        self.delete_unused_volume(name).await?;
        Ok(users)
    }

    /// Remove every volume no container uses that matches the filters.
    pub async fn prune_volumes(&self, filters: &[String]) -> Result<Vec<VolumePruneReport>> {
        let label_filters = crate::model::filter::PruneFilters::parse(filters, now_nanos())?;
        let unused: Vec<String> = self
            .db
            .read(|tx| tx.volumes())
            .await?
            .into_iter()
            .filter(|v| v.users.is_empty() && label_filters.matches(&v.config.labels, v.config.created_nanos))
            .map(|v| v.config.name)
            .collect();
        let mut reports = Vec::new();
        for name in unused {
            let size = super::tree_size(&self.volume_dir(&name));
            reports.push(match self.delete_unused_volume(&name).await {
                Ok(()) => VolumePruneReport { name, size, error: None },
                Err(e) => VolumePruneReport { name, size: 0, error: Some(e.to_string()) },
            });
        }
        Ok(reports)
    }

    /// Delete the record (only if still unused, checked in the same
    /// transaction), then the directory.
    async fn delete_unused_volume(&self, name: &str) -> Result<()> {
        self.db
            .write(|tx| {
                let users = tx.volume_users(name)?;
                if !users.is_empty() {
                    return Err(Error::VolumeInUse { name: name.to_string(), users });
                }
                tx.volume(name)?.ok_or_else(|| Error::NoSuchVolume(name.to_string()))?;
                tx.delete_volume(name)
            })
            .await?;
        self.events.emit(Event::new(EventType::Volume, "remove", name, name));
        super::remove_tree(&self.volume_dir(name))
    }
}
