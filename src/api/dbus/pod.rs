//! One object per pod at /io/berth/Berth1/pod/<id> (io.berth.Berth1.Pod):
//! its record as properties (it does not change once made; its members
//! are read on demand), and what may be done to it, as the manager's pod
//! methods do it by name.

use super::errors::Result;
use super::Ctx;
use crate::model::pod::PodConfig;
use std::collections::HashMap;
use zbus::message::Header;
use zbus::{interface, Connection, OwnedObjectPath};

pub fn pod_path(id: &str) -> OwnedObjectPath {
    super::encoded_path("pod", id)
}

pub struct PodObject {
    config: PodConfig,
    ctx: Ctx,
}

impl PodObject {
    pub fn new(config: PodConfig, ctx: Ctx) -> PodObject {
        PodObject { config, ctx }
    }
}

#[interface(name = "io.berth.Berth1.Pod")]
impl PodObject {
    #[zbus(property(emits_changed_signal = "const"))]
    fn id(&self) -> String {
        self.config.id.clone()
    }

    #[zbus(property(emits_changed_signal = "const"))]
    fn name(&self) -> String {
        self.config.name.clone()
    }

    #[zbus(property(emits_changed_signal = "const"))]
    fn labels(&self) -> HashMap<String, String> {
        self.config.labels.clone().into_iter().collect()
    }

    /// Its infra container's ID ("" without one).
    #[zbus(property(emits_changed_signal = "const"))]
    fn infra_id(&self) -> String {
        self.config.infra_id.clone().unwrap_or_default()
    }

    /// The namespaces its members share (net, ipc, uts...).
    #[zbus(property(emits_changed_signal = "const"))]
    fn shared_namespaces(&self) -> Vec<String> {
        self.config.shared_namespaces.clone()
    }

    /// Microseconds since the epoch.
    #[zbus(property(emits_changed_signal = "const"))]
    fn created(&self) -> u64 {
        super::bus_time(self.config.created_nanos)
    }

    /// Its members' IDs now.
    #[zbus(out_args("containers"))]
    async fn containers(
        &self,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<Vec<String>> {
        let inspect = self.ctx.runtime.inspect_pod(&self.config.id);
        Ok(self.ctx.call(bus, &call, "io.berth.Pod.Inspect", inspect).await?.containers)
    }

    /// Start its members; those started.
    #[zbus(out_args("containers"))]
    async fn start(
        &self,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<Vec<String>> {
        let start = self.ctx.runtime.start_pod(&self.config.id);
        Ok(self.ctx.call(bus, &call, "io.berth.Pod.Start", start).await?.1)
    }

    /// Stop its members (timeout in seconds, negative for each one's own);
    /// those stopped.
    #[zbus(out_args("containers"))]
    async fn stop(
        &self,
        timeout: i32,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<Vec<String>> {
        let stop = self.ctx.runtime.stop_pod(&self.config.id, super::timeout(timeout));
        Ok(self.ctx.call(bus, &call, "io.berth.Pod.Stop", stop).await?.1)
    }

    /// Remove it (force: with running members); the containers removed.
    #[zbus(out_args("containers"))]
    async fn remove(
        &self,
        force: bool,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<Vec<String>> {
        let remove = self.ctx.runtime.remove_pod(&self.config.id, force, None);
        Ok(self.ctx.call(bus, &call, "io.berth.Pod.Remove", remove).await?.1)
    }
}
