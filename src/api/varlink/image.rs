//! io.berth.Image: decode, call one runtime method, encode.

use super::generated::image as vl;
use super::{answer, Ctx, Hangup};
use crate::api::view::{usec, ImageView};
use crate::model::image::PullProgress;
use crate::runtime::PullOptions;

const IFACE: &str = "io.berth.Image";

pub struct ImageApi(pub Ctx);

/// The last reply of a pull.
fn pulled<C: vl::Call_Pull + ?Sized>(call: &mut C, (id, names): (String, Vec<String>)) -> varlink::Result<()> {
    call.reply("pulled".into(), None, None, None, Some(id), Some(names))
}

impl vl::VarlinkInterface for ImageApi {
    fn import(&self, call: &mut dyn vl::Call_Import, path: String, reference: Option<String>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.import_image(&path, reference));
        answer(call, IFACE, r, |c, (id, names)| c.reply(id, names))
    }

    fn pull(
        &self,
        call: &mut dyn vl::Call_Pull,
        reference: String,
        credentials: Option<String>,
        tls_verify: Option<bool>,
        platform: Option<String>,
    ) -> varlink::Result<()> {
        let options = PullOptions { credentials, tls_verify, platform };
        if !call.wants_more() {
            let r = self.0.run(self.0.runtime.pull_image(&reference, options, None));
            return answer(call, IFACE, r, pulled);
        }
        let runtime = self.0.runtime.clone();
        let work = move |tx| async move { runtime.pull_image(&reference, options, Some(tx)).await };
        let r = self.0.stream(call, work, Hangup::Finish, |c, p: PullProgress| {
            c.reply(p.status.into(), p.digest, Some(p.current as i64), Some(p.total as i64), None, None)
        })?;
        answer(call, IFACE, r, pulled)
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
                        created: usec(i.created),
                        size: i.size as i64,
                        containers: users as i64,
                    })
                    .collect(),
            )
        })
    }

    fn inspect(&self, call: &mut dyn vl::Call_Inspect, reference: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.lookup_image(&reference));
        answer(call, IFACE, r, |c, i| super::reply_object(c, "image", ImageView::of(&i)))
    }

    fn tag(&self, call: &mut dyn vl::Call_Tag, reference: String, name: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.tag_image(&reference, &name));
        answer(call, IFACE, r, |c, id| c.reply(id))
    }

    fn mount(&self, call: &mut dyn vl::Call_Mount, reference: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.mount_image(&reference));
        answer(call, IFACE, r, |c, (id, path)| c.reply(id, path.display().to_string()))
    }

    fn unmount(&self, call: &mut dyn vl::Call_Unmount, reference: String, force: Option<bool>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.unmount_image(&reference, force.unwrap_or(false)));
        answer(call, IFACE, r, |c, (id, unmounted)| c.reply(id, unmounted))
    }

    fn list_mounted(&self, call: &mut dyn vl::Call_ListMounted) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.list_mounted_images());
        answer(call, IFACE, r, |c, list| {
            c.reply(
                list.into_iter()
                    .map(|(id, names, path)| vl::MountedImage { id, names, path: path.display().to_string() })
                    .collect(),
            )
        })
    }

    fn untag(&self, call: &mut dyn vl::Call_Untag, reference: String, name: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.untag_image(&reference, &name));
        answer(call, IFACE, r, |c, id| c.reply(id))
    }

    fn prune(&self, call: &mut dyn vl::Call_Prune, all: Option<bool>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.prune_images(all.unwrap_or(false)));
        answer(call, IFACE, r, |c, images| c.reply(images))
    }

    fn remove(&self, call: &mut dyn vl::Call_Remove, reference: String, force: Option<bool>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.remove_image(&reference, force.unwrap_or(false)));
        answer(call, IFACE, r, |c, (id, removed)| c.reply(id, removed))
    }
}
