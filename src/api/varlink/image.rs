//! io.berth.Image: decode, call one runtime method, encode.

use super::generated::image as vl;
use super::{answer, Ctx};
use crate::db::ImageRecord;

const IFACE: &str = "io.berth.Image";

pub struct ImageApi(pub Ctx);

fn inspect_to(i: &ImageRecord) -> serde_json::Value {
    serde_json::json!({
        "id": i.id, "names": i.names, "created": i.created / 1_000_000_000, "size": i.size, "config": i.config,
    })
}

impl vl::VarlinkInterface for ImageApi {
    fn import(&self, call: &mut dyn vl::Call_Import, path: String, reference: Option<String>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.import_image(&path, reference));
        answer(call, IFACE, r, |c, (id, names)| c.reply(id, names))
    }

    fn list(&self, call: &mut dyn vl::Call_List) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.list_images());
        answer(call, IFACE, r, |c, images| {
            c.reply(
                images
                    .into_iter()
                    .map(|(i, users)| vl::ImageSummary {
                        id: i.id,
                        names: i.names,
                        created: i.created / 1_000_000_000,
                        size: i.size as i64,
                        containers: users as i64,
                    })
                    .collect(),
            )
        })
    }

    fn inspect(&self, call: &mut dyn vl::Call_Inspect, reference: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.lookup_image(&reference));
        answer(call, IFACE, r, |c, i| c.reply(inspect_to(&i)))
    }

    fn tag(&self, call: &mut dyn vl::Call_Tag, reference: String, name: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.tag_image(&reference, &name));
        answer(call, IFACE, r, |c, id| c.reply(id))
    }

    fn remove(&self, call: &mut dyn vl::Call_Remove, reference: String, force: Option<bool>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.remove_image(&reference, force.unwrap_or(false)));
        answer(call, IFACE, r, |c, (id, removed)| c.reply(id, removed))
    }
}
