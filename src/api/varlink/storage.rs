//! io.berth.Storage: decode, call one runtime method, encode.

use super::generated::storage as vl;
use super::{answer, Ctx};
use crate::runtime::ExternalStorage;

const IFACE: &str = "io.berth.Storage";

pub struct StorageApi(pub Ctx);

fn external_to(e: ExternalStorage) -> vl::ExternalContainer {
    let record = e.record;
    vl::ExternalContainer {
        id: e.id,
        path: e.path.display().to_string(),
        mounted: e.mounted,
        name: record.as_ref().map(|r| r.name.clone()),
        image: record.as_ref().map(|r| r.image.clone()),
        imageId: record.as_ref().map(|r| r.image_id.clone()),
        created: record.map(|r| crate::api::view::usec(r.created_nanos)),
    }
}

impl vl::VarlinkInterface for StorageApi {
    fn list_external(&self, call: &mut dyn vl::Call_ListExternal) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.list_external_storage());
        answer(call, IFACE, r, |c, list| c.reply(list.into_iter().map(external_to).collect()))
    }

    fn create(&self, call: &mut dyn vl::Call_Create, image: String, name: Option<String>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.create_storage_container(&image, name));
        answer(call, IFACE, r, |c, (id, name)| c.reply(id, name))
    }

    fn remove(&self, call: &mut dyn vl::Call_Remove, name_or_id: String, force: Option<bool>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.remove_storage_container(&name_or_id, force.unwrap_or(false)));
        answer(call, IFACE, r, |c, id| c.reply(id))
    }

    fn mount(&self, call: &mut dyn vl::Call_Mount, name_or_id: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.mount_storage(&name_or_id));
        answer(call, IFACE, r, |c, path| c.reply(path.display().to_string()))
    }

    fn unmount(&self, call: &mut dyn vl::Call_Unmount, name_or_id: String, force: Option<bool>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.unmount_storage(&name_or_id, force.unwrap_or(false)));
        answer(call, IFACE, r, |c, unmounted| c.reply(unmounted))
    }

    fn list_mounted(&self, call: &mut dyn vl::Call_ListMounted) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.list_mounted());
        answer(call, IFACE, r, |c, list| {
            c.reply(
                list.into_iter()
                    .map(|(id, name, path)| vl::MountedContainer { id, name, path: path.display().to_string() })
                    .collect(),
            )
        })
    }

    fn is_mounted(&self, call: &mut dyn vl::Call_IsMounted, name_or_id: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.storage_mounted(&name_or_id));
        answer(call, IFACE, r, |c, (mounted, path)| c.reply(mounted, path.display().to_string()))
    }
}
