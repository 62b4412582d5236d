//! One object per network at /io/berth/Berth1/network/<name>
//! (io.berth.Berth1.Network): its record as properties (a network's
//! record does not change once made), and the operations on it. Each
//! method makes one runtime call.

use super::errors::Result;
use super::Ctx;
use crate::model::network::NetworkConfig;
use std::collections::HashMap;
use zbus::message::Header;
use zbus::object_server::SignalEmitter;
use zbus::{interface, Connection, OwnedObjectPath};

/// A network's object path, its name encoded (see `encoded_path`).
pub fn network_path(name: &str) -> OwnedObjectPath {
    super::encoded_path("network", name)
}

pub struct NetworkObject {
    config: NetworkConfig,
    ctx: Ctx,
}

impl NetworkObject {
    pub fn new(config: NetworkConfig, ctx: Ctx) -> NetworkObject {
        NetworkObject { config, ctx }
    }
}

#[interface(name = "io.berth.Berth1.Network")]
impl NetworkObject {
    #[zbus(property)]
    fn name(&self) -> String {
        self.config.name.clone()
    }

    #[zbus(property)]
    fn id(&self) -> String {
        self.config.id.clone()
    }

    #[zbus(property)]
    fn driver(&self) -> String {
        self.config.driver.clone()
    }

    /// The bridge's interface on the host.
    #[zbus(property)]
    fn interface(&self) -> String {
        self.config.interface.clone()
    }

    #[zbus(property)]
    fn subnet(&self) -> String {
        self.config.subnet.clone()
    }

    #[zbus(property)]
    fn gateway(&self) -> String {
        self.config.gateway.clone()
    }

    #[zbus(property)]
    fn internal(&self) -> bool {
        self.config.internal
    }

    #[zbus(property)]
    fn dns_enabled(&self) -> bool {
        self.config.dns_enabled
    }

    #[zbus(property)]
    fn labels(&self) -> HashMap<String, String> {
        self.config.labels.clone().into_iter().collect()
    }

    /// Microseconds since the epoch.
    #[zbus(property)]
    fn created(&self) -> u64 {
        super::bus_time(self.config.created_nanos)
    }

    /// The containers on it now.
    async fn users(
        &self,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<Vec<String>> {
        let inspect = self.ctx.runtime.inspect_network(&self.config.name);
        Ok(self.ctx.call(bus, &call, "io.berth.Network.Inspect", inspect).await?.users)
    }

    /// Remove it (force: with the containers on it); the containers removed.
    async fn remove(
        &self,
        force: bool,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<Vec<String>> {
        let remove = self.ctx.runtime.remove_network(&self.config.name, force);
        Ok(self.ctx.call(bus, &call, "io.berth.Network.Remove", remove).await?.1)
    }

    /// Put a container on it (aliases: names there).
    async fn connect(
        &self,
        container: String,
        aliases: Vec<String>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<()> {
        let connect = self.ctx.runtime.connect_network(&self.config.name, &container, aliases);
        self.ctx.call(bus, &call, "io.berth.Network.Connect", connect).await
    }

    /// Take a container off it (force: whatever netavark says).
    async fn disconnect(
        &self,
        container: String,
        force: bool,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<()> {
        let disconnect = self.ctx.runtime.disconnect_network(&self.config.name, &container, force);
        self.ctx.call(bus, &call, "io.berth.Network.Disconnect", disconnect).await
    }

    /// A container (by name) was put on it.
    #[zbus(signal)]
    pub async fn container_connected(emitter: &SignalEmitter<'_>, container: &str) -> zbus::Result<()>;

    /// A container (by name) was taken off it.
    #[zbus(signal)]
    pub async fn container_disconnected(emitter: &SignalEmitter<'_>, container: &str) -> zbus::Result<()>;
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_become_paths() {
        assert_eq!(super::network_path("berth").as_str(), "/io/berth/Berth1/network/berth");
        assert_eq!(super::network_path("web-net.1").as_str(), "/io/berth/Berth1/network/web_2dnet_2e1");
    }
}
