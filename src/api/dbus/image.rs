//! One object per image at /io/berth/Berth1/image/<id>
//! (io.berth.Berth1.Image): its record as properties, Names changing as it
//! is tagged and untagged, and its removal.

use super::errors::Result;
use super::Ctx;
use crate::model::image::Image;
use std::sync::Mutex;
use zbus::message::Header;
use zbus::{interface, Connection, OwnedObjectPath};

pub fn image_path(id: &str) -> OwnedObjectPath {
    super::encoded_path("image", id)
}

pub struct ImageObject {
    image: Image,
    names: Mutex<Vec<String>>,
    ctx: Ctx,
}

impl ImageObject {
    pub fn new(image: Image, ctx: Ctx) -> ImageObject {
        ImageObject { names: Mutex::new(image.names.clone()), image, ctx }
    }

    /// Take the names it has now; whether they changed.
    pub fn take_names(&self, names: Vec<String>) -> bool {
        let mut held = self.names.lock().unwrap_or_else(|p| p.into_inner());
        let changed = *held != names;
        *held = names;
        changed
    }
}

#[interface(name = "io.berth.Berth1.Image")]
impl ImageObject {
    #[zbus(property(emits_changed_signal = "const"))]
    fn id(&self) -> String {
        self.image.id.clone()
    }

    /// Its references (registry/repository:tag).
    #[zbus(property)]
    fn names(&self) -> Vec<String> {
        self.names.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The manifest it was pulled or imported by ("" if none).
    #[zbus(property(emits_changed_signal = "const"))]
    fn digest(&self) -> String {
        self.image.digest.clone().unwrap_or_default()
    }

    /// Bytes of its layers.
    #[zbus(property(emits_changed_signal = "const"))]
    fn size(&self) -> u64 {
        self.image.size
    }

    /// When it was stored, in microseconds since the epoch.
    #[zbus(property(emits_changed_signal = "const"))]
    fn created(&self) -> u64 {
        super::bus_time(self.image.created)
    }

    /// Remove it (force: even if containers use it); whether it went.
    #[zbus(out_args("removed"))]
    async fn remove(
        &self,
        force: bool,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<bool> {
        let remove = self.ctx.runtime.remove_image(&self.image.id, force);
        Ok(self.ctx.call(bus, &call, "io.berth.Image.Remove", remove).await?.1)
    }
}
