//! Networks as records: libpod's network create, inspect, list, remove and
//! prune over berth's catalogue. What a container's start and exit do with
//! them (netavark's setup and teardown) is network_setup.rs's.

use super::Runtime;
use crate::error::{Error, Result};
use crate::events::{now_nanos, Event, EventType};
use crate::model::filter::FilterSet;
use crate::model::network::{self, NetworkConfig, NetworkInfo, Subnet, DEFAULT_NETWORK};
use std::collections::BTreeMap;

/// What a network is made with (io.berth.Network.Create).
#[derive(Debug, Clone, Default)]
pub struct NetworkSpec {
    pub name: Option<String>,
    pub driver: Option<String>,
    pub subnet: Option<String>,
    pub gateway: Option<String>,
    pub internal: bool,
    pub dns_enabled: Option<bool>,
    pub labels: BTreeMap<String, String>,
}

impl Runtime {
    /// The default network, made on the first start of a catalogue that
    /// has none (as podman's `podman` network always exists).
    pub(super) async fn ensure_default_network(&self) -> Result<()> {
        if self.db.read(|tx| tx.network(DEFAULT_NETWORK)).await?.is_some() {
            return Ok(());
        }
        let spec = NetworkSpec {
            name: Some(DEFAULT_NETWORK.into()),
            subnet: Some(self.config.default_subnet.clone()),
            // As podman's default network: no DNS (names resolve on networks
            // made for it).
            dns_enabled: Some(false),
            ..Default::default()
        };
        self.create_network(spec).await.map(drop)
    }

    pub async fn create_network(&self, spec: NetworkSpec) -> Result<String> {
        let driver = spec.driver.clone().unwrap_or_else(|| "bridge".into());
        if driver != "bridge" {
            return Err(Error::invalid_argument("driver", format!("{driver:?}: berth's networks are bridges")));
        }
        if let Some(name) = &spec.name {
            network::validate_name(name)?;
        }
        let asked = spec.subnet.as_deref().map(Subnet::parse).transpose()?;
        let pool = Subnet::parse(&self.config.subnet_pool)?;
        let gateway = match &spec.gateway {
            Some(g) => Some(
                g.parse::<std::net::Ipv4Addr>()
                    .map_err(|_| Error::invalid_argument("gateway", format!("{g:?} is not an IPv4 address")))?,
            ),
            None => None,
        };
        if gateway.is_some() && asked.is_none() {
            return Err(Error::invalid_argument("gateway", "a gateway needs a subnet"));
        }
        let created_nanos = now_nanos();
        let config = self
            .db
            .write(move |tx| {
                let existing = tx.network_configs()?;
                let name = match spec.name {
                    Some(n) if existing.iter().any(|e| e.name == n) => return Err(Error::NameInUse(n)),
                    Some(n) => n,
                    None => (1..)
                        .map(|i| format!("berth{i}"))
                        .find(|n| !existing.iter().any(|e| e.name == *n))
                        .unwrap_or_default(),
                };
                let taken: Vec<Subnet> = existing.iter().filter_map(|e| Subnet::parse(&e.subnet).ok()).collect();
                let subnet = match asked {
                    Some(s) => {
                        if let Some(other) =
                            existing.iter().find(|e| Subnet::parse(&e.subnet).is_ok_and(|t| t.overlaps(&s)))
                        {
                            return Err(Error::invalid_argument(
                                "subnet",
                                format!(
                                    "subnet {s} is already used on the host or by another config (network {})",
                                    other.name
                                ),
                            ));
                        }
                        s
                    }
                    None => network::free_subnet(&pool, 24, &taken).ok_or_else(|| {
                        Error::invalid_argument("subnet", format!("the pool {pool} has no free /24 left"))
                    })?,
                };
                let gateway = gateway.unwrap_or_else(|| subnet.first_host());
                if !subnet.contains(gateway) {
                    return Err(Error::invalid_argument("gateway", format!("{gateway} is not in {subnet}")));
                }
                let interface = (0..)
                    .map(|i| format!("berth{i}"))
                    .find(|i| !existing.iter().any(|e| e.interface == *i))
                    .unwrap_or_default();
                let config = NetworkConfig {
                    id: crate::names::new_id(),
                    name,
                    driver,
                    interface,
                    subnet: subnet.to_string(),
                    gateway: gateway.to_string(),
                    internal: spec.internal,
                    dns_enabled: spec.dns_enabled.unwrap_or(true),
                    labels: spec.labels,
                    created_nanos,
                };
                tx.insert_network(&config)?;
                Ok(config)
            })
            .await?;
        self.events.emit(Event::new(EventType::Network, "create", &config.id, &config.name));
        Ok(config.name)
    }

    pub async fn inspect_network(&self, name_or_id: &str) -> Result<NetworkInfo> {
        self.db
            .read(|tx| {
                let config = tx.network(name_or_id)?.ok_or_else(|| Error::NoSuchNetwork(name_or_id.to_string()))?;
                Ok(NetworkInfo { users: tx.network_users(&config.name)?, config })
            })
            .await
    }

    pub async fn network_exists(&self, name_or_id: &str) -> Result<bool> {
        Ok(self.db.read(|tx| tx.network(name_or_id)).await?.is_some())
    }

    /// Networks matching podman's filters: name (a regex), id (a prefix),
    /// label, driver.
    pub async fn list_networks(&self, filters: &[String]) -> Result<Vec<NetworkInfo>> {
        let set = FilterSet::parse(filters, "network", &["name", "id", "label", "driver"])?;
        let names = set.regexes("name")?;
        let labels = set.labels("label");
        let (ids, drivers) = (set.strings("id"), set.strings("driver"));
        let all = self.db.read(|tx| tx.networks()).await?;
        Ok(all
            .into_iter()
            .filter(|n| {
                let c = &n.config;
                (names.is_empty() || names.iter().any(|r| r.is_match(&c.name)))
                    && (ids.is_empty() || ids.iter().any(|i| c.id.starts_with(i.as_str())))
                    && (drivers.is_empty() || drivers.contains(&c.driver))
                    && labels.iter().all(|l| l.matches(&c.labels))
            })
            .collect())
    }

    /// Remove a network; one with containers on it is refused unless
    /// force, which removes them first. The default network stays.
    pub async fn remove_network(&self, name_or_id: &str, force: bool) -> Result<(String, Vec<String>)> {
        let info = self.inspect_network(name_or_id).await?;
        let name = info.config.name.clone();
        if name == DEFAULT_NETWORK {
            return Err(Error::invalid_argument(
                "name",
                format!("{name} is the default network and cannot be removed"),
            ));
        }
        if !info.users.is_empty() && !force {
            return Err(Error::NetworkInUse { name, users: info.users });
        }
        let mut removed = Vec::new();
        for id in &info.users {
            let how = super::Removal { force: true, volumes: false, timeout: None, depend: false };
            removed.extend(self.remove_container(id, how).await?);
        }
        let key = name.clone();
        self.db
            .write(move |tx| {
                let users = tx.network_users(&key)?;
                if !users.is_empty() {
                    return Err(Error::NetworkInUse { name: key.clone(), users });
                }
                tx.delete_network(&key)
            })
            .await?;
        self.events.emit(Event::new(EventType::Network, "remove", &info.config.id, &name));
        Ok((name, removed))
    }

    /// podman's network connect: the container (on bridge networks) joins
    /// another one, at once when it runs.
    pub async fn connect_network(&self, network: &str, container: &str, aliases: Vec<String>) -> Result<()> {
        let id = self.lookup_container_id(container).await?;
        let _lock = self.locks.lock(&id).await;
        let (c, status) = self.load_container(&id).await?;
        if c.network != crate::model::container::Network::Bridge {
            return Err(Error::invalid_argument(
                "container",
                format!("container {} has no bridge networks of its own: it cannot be connected", c.name),
            ));
        }
        let (config, wanted) = (c.clone(), network.to_string());
        let (name, network_id) = self
            .db
            .write(move |tx| {
                let n = tx.network(&wanted)?.ok_or_else(|| Error::NoSuchNetwork(wanted.clone()))?;
                if tx.attachments(&config.id)?.iter().any(|a| a.network == n.name) {
                    return Err(Error::invalid_argument(
                        "network",
                        format!("container {} is already connected to network {}", config.name, n.name),
                    ));
                }
                let one = crate::model::container::ContainerConfig { networks: vec![n.name.clone()], ..config };
                super::create::join_networks(tx, &one, &aliases, None)?;
                Ok((n.name, n.id))
            })
            .await?;
        if status.state.has_processes() {
            if let Err(e) = self.change_network(&c, &name, true).await {
                let (id, network) = (id.clone(), name.clone());
                self.db.write(move |tx| tx.detach(&id, &network).map(drop)).await?;
                return Err(e);
            }
            self.network_changed(&c).await;
        }
        self.events
            .emit(Event::new(EventType::Network, "connect", &network_id, &name).with("container", c.name.clone()));
        Ok(())
    }

    /// podman's network disconnect: off the network, at once when it runs
    /// (with force, whatever netavark says of the teardown).
    pub async fn disconnect_network(&self, network: &str, container: &str, force: bool) -> Result<()> {
        let id = self.lookup_container_id(container).await?;
        let _lock = self.locks.lock(&id).await;
        let (c, status) = self.load_container(&id).await?;
        let found = self.inspect_network(network).await?.config;
        let (name, network_id) = (found.name, found.id);
        let on = self.db.read({
            let (id, name) = (id.clone(), name.clone());
            move |tx| Ok(tx.attachments(&id)?.iter().any(|a| a.network == name))
        });
        if !on.await? {
            return Err(Error::invalid_argument(
                "network",
                format!("container {} is not connected to network {name}", c.name),
            ));
        }
        if status.state.has_processes() {
            if let Err(e) = self.change_network(&c, &name, false).await {
                if !force {
                    return Err(e);
                }
                tracing::warn!(id = id.as_str(), "disconnecting by force: {e}");
            }
        }
        let (key, network_name) = (id.clone(), name.clone());
        self.db.write(move |tx| tx.detach(&key, &network_name).map(drop)).await?;
        if status.state.has_processes() {
            self.network_changed(&c).await;
        }
        self.events
            .emit(Event::new(EventType::Network, "disconnect", &network_id, &name).with("container", c.name.clone()));
        Ok(())
    }

    /// Remove every network no container is on (but the default one),
    /// matching label filters; their names.
    pub async fn prune_networks(&self, filters: &[String]) -> Result<Vec<String>> {
        let set = FilterSet::parse(filters, "network", &["label"])?;
        let labels = set.labels("label");
        let mut pruned = Vec::new();
        for n in self.db.read(|tx| tx.networks()).await? {
            let matches = labels.iter().all(|l| l.matches(&n.config.labels));
            if n.users.is_empty() && n.config.name != DEFAULT_NETWORK && matches {
                match self.remove_network(&n.config.name, false).await {
                    Ok((name, _)) => pruned.push(name),
                    Err(Error::NetworkInUse { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(pruned)
    }
}
