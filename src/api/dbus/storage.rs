//! io.berth.Berth1.Storage at the manager's path: what varlink's
//! io.berth.Storage and the image mounts of io.berth.Image do (container
//! roots mounted for other tools, storage-only containers, images mounted
//! read-only), kept apart from the manager's life-cycle calls.

use super::errors::Result;
use super::Ctx;
use zbus::message::Header;
use zbus::{interface, Connection};

pub(super) struct Storage {
    pub(super) ctx: Ctx,
}

#[interface(name = "io.berth.Berth1.Storage")]
impl Storage {
    /// Storage without a container record: storage-only containers (oldest
    /// first), then what a crash or another tool left. Each as (id, path,
    /// mounted, name, image ID, image, created in microseconds); "" and 0
    /// where there is no storage-only container.
    #[zbus(out_args("containers"))]
    async fn list_external(
        &self,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<Vec<(String, String, bool, String, String, String, i64)>> {
        let list = self.ctx.runtime.list_external_storage();
        let list = self.ctx.call(bus, &call, "io.berth.Storage.ListExternal", list).await?;
        Ok(list
            .into_iter()
            .map(|e| {
                let r = e.record;
                let (name, image_id, image, created) = match r {
                    Some(r) => (r.name, r.image_id, r.image, crate::api::view::usec(r.created_nanos)),
                    None => Default::default(),
                };
                (e.id, e.path.display().to_string(), e.mounted, name, image_id, image, created)
            })
            .collect())
    }

    /// Make a storage-only container from an image (name "": a generated
    /// one); its ID and name.
    #[zbus(out_args("id", "name"))]
    async fn create_storage(
        &self,
        image: String,
        name: String,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<(String, String)> {
        let create = self.ctx.runtime.create_storage_container(&image, super::given(name));
        self.ctx.call(bus, &call, "io.berth.Storage.Create", create).await
    }

    /// Remove a storage-only container (force: even while mounted).
    #[zbus(out_args("id"))]
    async fn remove_storage(
        &self,
        name_or_id: String,
        force: bool,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<String> {
        let remove = self.ctx.runtime.remove_storage_container(&name_or_id, force);
        self.ctx.call(bus, &call, "io.berth.Storage.Remove", remove).await
    }

    /// Mount a container's root file system (a counted mount); its path.
    #[zbus(out_args("path"))]
    async fn mount(
        &self,
        name_or_id: String,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<String> {
        let mount = self.ctx.runtime.mount_storage(&name_or_id);
        Ok(self.ctx.call(bus, &call, "io.berth.Storage.Mount", mount).await?.display().to_string())
    }

    /// Release one mount (every one with force); whether it is unmounted.
    #[zbus(out_args("unmounted"))]
    async fn unmount(
        &self,
        name_or_id: String,
        force: bool,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<bool> {
        let unmount = self.ctx.runtime.unmount_storage(&name_or_id, force);
        self.ctx.call(bus, &call, "io.berth.Storage.Unmount", unmount).await
    }

    /// Whether a container's root is mounted, and where.
    #[zbus(out_args("mounted", "path"))]
    async fn is_mounted(
        &self,
        name_or_id: String,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<(bool, String)> {
        let mounted = self.ctx.runtime.storage_mounted(&name_or_id);
        let (mounted, path) = self.ctx.call(bus, &call, "io.berth.Storage.IsMounted", mounted).await?;
        Ok((mounted, path.display().to_string()))
    }

    /// The containers whose root is mounted: (id, name, path).
    #[zbus(out_args("containers"))]
    async fn list_mounted(
        &self,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<Vec<(String, String, String)>> {
        let list = self.ctx.call(bus, &call, "io.berth.Storage.ListMounted", self.ctx.runtime.list_mounted()).await?;
        Ok(list.into_iter().map(|(id, name, path)| (id, name, path.display().to_string())).collect())
    }

    /// Mount an image's files read-only (a counted mount); its ID and path.
    #[zbus(out_args("id", "path"))]
    async fn mount_image(
        &self,
        reference: String,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<(String, String)> {
        let mount = self.ctx.runtime.mount_image(&reference);
        let (id, path) = self.ctx.call(bus, &call, "io.berth.Image.Mount", mount).await?;
        Ok((id, path.display().to_string()))
    }

    /// Release a mount of an image (every one with force); its ID and
    /// whether it is unmounted.
    #[zbus(out_args("id", "unmounted"))]
    async fn unmount_image(
        &self,
        reference: String,
        force: bool,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<(String, bool)> {
        let unmount = self.ctx.runtime.unmount_image(&reference, force);
        self.ctx.call(bus, &call, "io.berth.Image.Unmount", unmount).await
    }

    /// The images mounted through MountImage: (id, names, path).
    #[zbus(out_args("images"))]
    async fn list_mounted_images(
        &self,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<Vec<(String, Vec<String>, String)>> {
        let list = self.ctx.runtime.list_mounted_images();
        let list = self.ctx.call(bus, &call, "io.berth.Image.ListMounted", list).await?;
        Ok(list.into_iter().map(|(id, names, path)| (id, names, path.display().to_string())).collect())
    }
}
