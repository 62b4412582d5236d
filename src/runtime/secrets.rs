//! Secrets: podman's `secret create/ls/inspect/rm` (libpod's secrets
//! manager). A secret is a named value in berth's database; containers name
//! the secrets they use at create, get them at each start (a file under
//! /run/secrets, or a variable), and hold them: a secret in use is not
//! removed. Its value never leaves berthd but into a container.

use super::Runtime;
use crate::error::{Error, Result};
use crate::events::{now_nanos, Event, EventType};
use crate::model::secret::{SecretFilters, SecretInfo, MAX_SECRET_BYTES};
use crate::names;
use std::collections::BTreeMap;

/// Secret IDs are as long as podman's.
const SECRET_ID_LEN: usize = 25;

impl Runtime {
    pub async fn create_secret(&self, name: &str, data: Vec<u8>, labels: BTreeMap<String, String>) -> Result<String> {
        names::validate_name(name)?;
        if data.is_empty() {
            return Err(Error::invalid_argument("data", "a secret needs a value"));
        }
        if data.len() > MAX_SECRET_BYTES {
            return Err(Error::invalid_argument(
                "data",
                format!("{} bytes; a secret holds at most {MAX_SECRET_BYTES}", data.len()),
            ));
        }
        let mut secret = SecretInfo {
            id: names::new_id()[..SECRET_ID_LEN].to_string(),
            name: name.to_string(),
            labels,
            created_nanos: now_nanos(),
            users: Vec::new(),
        };
        secret = self
            .db
            .write(move |tx| {
                if tx.secret_data(&secret.name)?.is_some() {
                    return Err(Error::NameInUse(secret.name.clone()));
                }
                tx.insert_secret(&secret, &data)?;
                Ok(secret)
            })
            .await?;
        self.events.emit(Event::new(EventType::Secret, "create", &secret.id, &secret.name));
        Ok(secret.id)
    }

    pub async fn inspect_secret(&self, name_or_id: &str) -> Result<SecretInfo> {
        self.db.read(|tx| tx.secret(name_or_id)?.ok_or_else(|| Error::NoSuchSecret(name_or_id.to_string()))).await
    }

    pub async fn secret_exists(&self, name_or_id: &str) -> Result<bool> {
        self.db.read(|tx| Ok(tx.secret(name_or_id)?.is_some())).await
    }

    pub async fn list_secrets(&self, filters: &[String]) -> Result<Vec<SecretInfo>> {
        let filters = SecretFilters::parse(filters)?;
        let all = self.db.read(|tx| tx.secrets()).await?;
        Ok(all.into_iter().filter(|s| filters.matches(s)).collect())
    }

    /// Remove a secret no container uses; its ID.
    pub async fn remove_secret(&self, name_or_id: &str) -> Result<String> {
        let secret = self
            .db
            .write(|tx| {
                let s = tx.secret(name_or_id)?.ok_or_else(|| Error::NoSuchSecret(name_or_id.to_string()))?;
                if !s.users.is_empty() {
                    return Err(Error::SecretInUse { name: s.name, users: s.users });
                }
                tx.delete_secret(&s.id)?;
                Ok(s)
            })
            .await?;
        self.events.emit(Event::new(EventType::Secret, "remove", &secret.id, &secret.name));
        Ok(secret.id)
    }
}
