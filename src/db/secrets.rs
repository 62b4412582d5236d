//! Secret rows and who uses them.

use super::{decode, encode, Tx};
use crate::error::Result;
use crate::model::secret::SecretInfo;
use rusqlite::{params, OptionalExtension};

impl Tx<'_> {
    pub fn insert_secret(&self, s: &SecretInfo, data: &[u8]) -> Result<()> {
        self.0
            .prepare_cached("INSERT INTO secrets (id, name, data, labels, created) VALUES (?1, ?2, ?3, ?4, ?5)")?
            .execute(params![s.id, s.name, data, encode(&s.labels)?, s.created_nanos])?;
        Ok(())
    }

    /// A secret by name, full ID or unique ID prefix (names first, as podman
    /// looks them up).
    pub fn secret(&self, name_or_id: &str) -> Result<Option<SecretInfo>> {
        let row = |sql: &str, p: &str| -> Result<Option<(String, String, String, i64)>> {
            Ok(self
                .0
                .prepare_cached(sql)?
                .query_row([p], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .optional()?)
        };
        let found = match row("SELECT id, name, labels, created FROM secrets WHERE name = ?1", name_or_id)? {
            Some(r) => Some(r),
            None if name_or_id.bytes().all(|b| b.is_ascii_hexdigit()) && !name_or_id.is_empty() => {
                let mut stmt = self.0.prepare_cached(
                    "SELECT id, name, labels, created FROM secrets WHERE id >= ?1 AND id < ?1 || 'g' LIMIT 2",
                )?;
                let rows: Vec<(String, String, String, i64)> = stmt
                    .query_map([name_or_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                match rows.len() {
                    1 => rows.into_iter().next(),
                    _ => None,
                }
            }
            None => None,
        };
        found.map(|(id, name, labels, created)| self.secret_info(id, name, &labels, created)).transpose()
    }

    fn secret_info(&self, id: String, name: String, labels: &str, created_nanos: i64) -> Result<SecretInfo> {
        let users =
            self.strings("SELECT container_id FROM container_secrets WHERE secret_id = ?1 ORDER BY container_id", &id)?;
        let labels = decode("labels", &id, labels)?;
        Ok(SecretInfo { id, name, labels, created_nanos, users })
    }

    /// Every secret, oldest first.
    pub fn secrets(&self) -> Result<Vec<SecretInfo>> {
        let mut stmt = self.0.prepare_cached("SELECT id, name, labels, created FROM secrets ORDER BY created, id")?;
        let rows: Vec<(String, String, String, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter().map(|(id, name, labels, created)| self.secret_info(id, name, &labels, created)).collect()
    }

    /// A secret's value, by name.
    pub fn secret_data(&self, name: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .0
            .prepare_cached("SELECT data FROM secrets WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?)
    }

    pub fn delete_secret(&self, id: &str) -> Result<()> {
        self.0.prepare_cached("DELETE FROM secrets WHERE id = ?1")?.execute([id])?;
        Ok(())
    }

    /// Record that a container uses a secret (removed with the container).
    pub fn add_container_secret(&self, container_id: &str, secret_id: &str) -> Result<()> {
        self.0
            .prepare_cached("INSERT OR IGNORE INTO container_secrets (container_id, secret_id) VALUES (?1, ?2)")?
            .execute([container_id, secret_id])?;
        Ok(())
    }
}
