//! Pod rows.

use super::{decode, encode, Tx};
use crate::error::Result;
use crate::model::pod::PodConfig;
use rusqlite::{params, OptionalExtension};

impl Tx<'_> {
    pub fn insert_pod(&self, pod: &PodConfig) -> Result<()> {
        self.0
            .prepare_cached("INSERT INTO pods (id, name, created, config) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![pod.id, pod.name, pod.created_nanos, encode(pod)?])?;
        Ok(())
    }

    pub fn update_pod(&self, pod: &PodConfig) -> Result<()> {
        self.0.prepare_cached("UPDATE pods SET config = ?2 WHERE id = ?1")?.execute(params![pod.id, encode(pod)?])?;
        Ok(())
    }

    pub fn pod(&self, id: &str) -> Result<Option<PodConfig>> {
        let json: Option<String> =
            self.0.prepare_cached("SELECT config FROM pods WHERE id = ?1")?.query_row([id], |r| r.get(0)).optional()?;
        json.map(|j| decode("configuration", &format!("pod {id}"), &j)).transpose()
    }

    pub fn pods(&self) -> Result<Vec<PodConfig>> {
        let mut stmt = self.0.prepare_cached("SELECT id, config FROM pods ORDER BY created, id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|row| {
            let (id, json) = row?;
            decode("configuration", &format!("pod {id}"), &json)
        })
        .collect()
    }

    /// IDs of a pod's containers, infra last so that members go first.
    pub fn pod_members(&self, pod_id: &str) -> Result<Vec<String>> {
        self.strings("SELECT id FROM containers WHERE pod_id = ?1 ORDER BY is_infra, created", pod_id)
    }

    pub fn delete_pod(&self, id: &str) -> Result<()> {
        self.0.prepare_cached("DELETE FROM pods WHERE id = ?1")?.execute([id])?;
        Ok(())
    }
}
