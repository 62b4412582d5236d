//! Network rows, and the containers' addresses on them.

use super::{decode, encode, Tx};
use crate::error::Result;
use crate::model::network::{NetworkConfig, NetworkInfo};
use rusqlite::{params, OptionalExtension};

/// A container's place on a network: the network's name, its address,
/// its aliases.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Attachment {
    pub network: String,
    pub ip: String,
    pub aliases: Vec<String>,
}

impl Tx<'_> {
    pub fn insert_network(&self, n: &NetworkConfig) -> Result<()> {
        self.0
            .prepare_cached("INSERT INTO networks (name, id, created, config) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![n.name, n.id, n.created_nanos, encode(n)?])?;
        Ok(())
    }

    /// A network by name, or by ID or a unique ID prefix.
    pub fn network(&self, name_or_id: &str) -> Result<Option<NetworkConfig>> {
        let json: Option<String> = self
            .0
            .prepare_cached("SELECT config FROM networks WHERE name = ?1")?
            .query_row([name_or_id], |r| r.get(0))
            .optional()?;
        let json = match json {
            Some(j) => Some(j),
            None if name_or_id.len() >= 3 && name_or_id.bytes().all(|b| b.is_ascii_hexdigit()) => {
                let mut stmt = self.0.prepare_cached("SELECT config FROM networks WHERE id LIKE ?1 || '%' LIMIT 2")?;
                let found: Vec<String> =
                    stmt.query_map([name_or_id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
                (found.len() == 1).then(|| found.into_iter().next()).flatten()
            }
            None => None,
        };
        json.map(|j| decode("configuration", &format!("network {name_or_id}"), &j)).transpose()
    }

    pub fn networks(&self) -> Result<Vec<NetworkInfo>> {
        self.network_configs()?
            .into_iter()
            .map(|config| Ok(NetworkInfo { users: self.network_users(&config.name)?, config }))
            .collect()
    }

    /// The networks' records alone (what a new network must not collide with).
    pub fn network_configs(&self) -> Result<Vec<NetworkConfig>> {
        let mut stmt = self.0.prepare_cached("SELECT name, config FROM networks ORDER BY created, name")?;
        let rows: Vec<(String, String)> =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        rows.into_iter().map(|(name, json)| decode("configuration", &format!("network {name}"), &json)).collect()
    }

    /// Containers on the network.
    pub fn network_users(&self, name: &str) -> Result<Vec<String>> {
        self.strings("SELECT container_id FROM container_networks WHERE network = ?1 ORDER BY container_id", name)
    }

    /// Addresses given out on the network.
    pub fn network_addresses(&self, name: &str) -> Result<Vec<String>> {
        self.strings("SELECT ip FROM container_networks WHERE network = ?1", name)
    }

    /// The container holding `ip` on the network, if any.
    pub fn address_holder(&self, network: &str, ip: &str) -> Result<Option<String>> {
        Ok(self
            .0
            .prepare_cached("SELECT container_id FROM container_networks WHERE network = ?1 AND ip = ?2")?
            .query_row([network, ip], |r| r.get(0))
            .optional()?)
    }

    /// Take the container off the network; false when it was not on it.
    pub fn detach(&self, container_id: &str, network: &str) -> Result<bool> {
        let n = self
            .0
            .prepare_cached("DELETE FROM container_networks WHERE container_id = ?1 AND network = ?2")?
            .execute([container_id, network])?;
        Ok(n == 1)
    }

    pub fn delete_network(&self, name: &str) -> Result<()> {
        self.0.prepare_cached("DELETE FROM networks WHERE name = ?1")?.execute([name])?;
        Ok(())
    }

    pub fn attach(&self, container_id: &str, a: &Attachment) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO container_networks (container_id, network, ip, aliases) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![container_id, a.network, a.ip, encode(&a.aliases)?])?;
        Ok(())
    }

    /// The container's networks, in the order it joined them.
    pub fn attachments(&self, container_id: &str) -> Result<Vec<Attachment>> {
        let mut stmt = self.0.prepare_cached(
            "SELECT network, ip, aliases FROM container_networks WHERE container_id = ?1 ORDER BY rowid",
        )?;
        let rows: Vec<(String, String, String)> = stmt
            .query_map([container_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(network, ip, aliases)| {
                let aliases = decode("aliases", &format!("container {container_id}"), &aliases)?;
                Ok(Attachment { network, ip, aliases })
            })
            .collect()
    }
}
