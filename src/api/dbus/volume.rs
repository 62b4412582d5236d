//! One object per volume at /io/berth/Berth1/volume/<name>
//! (io.berth.Berth1.Volume): its record as properties (it does not change
//! once made) and what may be done to it. Each method makes one runtime
//! call.

use super::errors::Result;
use super::Ctx;
use crate::model::volume::VolumeConfig;
use std::collections::HashMap;
use zbus::message::Header;
use zbus::{interface, Connection, OwnedObjectPath};

pub fn volume_path(name: &str) -> OwnedObjectPath {
    super::encoded_path("volume", name)
}

pub struct VolumeObject {
    config: VolumeConfig,
    ctx: Ctx,
}

impl VolumeObject {
    pub fn new(config: VolumeConfig, ctx: Ctx) -> VolumeObject {
        VolumeObject { config, ctx }
    }
}

#[interface(name = "io.berth.Berth1.Volume")]
impl VolumeObject {
    #[zbus(property(emits_changed_signal = "const"))]
    fn name(&self) -> String {
        self.config.name.clone()
    }

    /// Made for one container (removed with it when asked).
    #[zbus(property(emits_changed_signal = "const"))]
    fn anonymous(&self) -> bool {
        self.config.anonymous
    }

    /// Its directory on the host.
    #[zbus(property(emits_changed_signal = "const"))]
    fn mountpoint(&self) -> String {
        self.config.mountpoint.display().to_string()
    }

    #[zbus(property(emits_changed_signal = "const"))]
    fn labels(&self) -> HashMap<String, String> {
        self.config.labels.clone().into_iter().collect()
    }

    /// podman's --opt: type, device, o.
    #[zbus(property(emits_changed_signal = "const"))]
    fn options(&self) -> HashMap<String, String> {
        self.config.options.clone().into_iter().collect()
    }

    /// Microseconds since the epoch.
    #[zbus(property(emits_changed_signal = "const"))]
    fn created(&self) -> u64 {
        super::bus_time(self.config.created_nanos)
    }

    /// The containers that use it now.
    #[zbus(out_args("containers"))]
    async fn users(
        &self,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<Vec<String>> {
        let inspect = self.ctx.runtime.inspect_volume(&self.config.name);
        Ok(self.ctx.call(bus, &call, "io.berth.Volume.Inspect", inspect).await?.users)
    }

    /// Remove it (force: with the containers that use it); the containers
    /// removed.
    #[zbus(out_args("containers"))]
    async fn remove(
        &self,
        force: bool,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<Vec<String>> {
        let remove = self.ctx.runtime.remove_volume(&self.config.name, force);
        self.ctx.call(bus, &call, "io.berth.Volume.Remove", remove).await
    }
}
