//! Volume rows.

use super::{decode, encode, Tx};
use crate::error::Result;
use crate::model::volume::{VolumeConfig, VolumeInfo};
use rusqlite::{params, OptionalExtension};

impl Tx<'_> {
    pub fn insert_volume(&self, v: &VolumeConfig) -> Result<()> {
        self.0
            .prepare_cached("INSERT INTO volumes (name, anonymous, created, config) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![v.name, v.anonymous, v.created_nanos, encode(v)?])?;
        Ok(())
    }

    pub fn volume(&self, name: &str) -> Result<Option<VolumeConfig>> {
        let json: Option<String> = self
            .0
            .prepare_cached("SELECT config FROM volumes WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?;
        json.map(|j| decode("configuration", &format!("volume {name}"), &j)).transpose()
    }

    /// Containers that mount the volume.
    pub fn volume_users(&self, name: &str) -> Result<Vec<String>> {
        self.strings("SELECT container_id FROM container_volumes WHERE volume_name = ?1 ORDER BY container_id", name)
    }

    /// Every volume with its users.
    pub fn volumes(&self) -> Result<Vec<VolumeInfo>> {
        let mut users = self.all_container_volumes()?.into_iter().fold(
            std::collections::HashMap::<String, Vec<String>>::new(),
            |mut acc, (ctr, vols)| {
                for (vol, _) in vols {
                    acc.entry(vol).or_default().push(ctr.clone());
                }
                acc
            },
        );
        let mut stmt = self.0.prepare_cached("SELECT name, config FROM volumes ORDER BY created, name")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|row| {
            let (name, json) = row?;
            let config: VolumeConfig = decode("configuration", &format!("volume {name}"), &json)?;
            let mut u = users.remove(&name).unwrap_or_default();
            u.sort();
            Ok(VolumeInfo { config, users: u })
        })
        .collect()
    }

    pub fn delete_volume(&self, name: &str) -> Result<()> {
        self.0.prepare_cached("DELETE FROM volumes WHERE name = ?1")?.execute([name])?;
        Ok(())
    }
}
