//! The manager object /io/berth/Berth1 (io.berth.Berth1.Manager): the
//! container, pod, volume, secret and image operations of the varlink API,
//! each one runtime call, and the signals that announce containers and
//! pods. Mounts and storage-only containers are io.berth.Berth1.Storage's.

use super::container::container_path;
use super::errors::Result;
use super::options;
use super::Ctx;
use crate::api::request::{CreateOptions, PodCreate};
use crate::api::view::{usec, ContainerView, PodView};
use crate::runtime::{PullOptions, Removal};
use std::collections::HashMap;
use zbus::message::Header;
use zbus::object_server::SignalEmitter;
use zbus::{interface, Connection, ObjectPath, OwnedObjectPath, OwnedVariant};

pub struct Manager {
    pub(super) ctx: Ctx,
}

/// One container as listed: id, name, image, state, created (microseconds since the epoch),
/// exit code, pod ID, labels, object path.
type ContainerEntry = (String, String, String, String, i64, i32, String, HashMap<String, String>, OwnedObjectPath);
/// One pod as listed: id, name, created (microseconds since the epoch), labels, containers.
type PodEntry = (String, String, i64, HashMap<String, String>, Vec<String>);
/// One volume as listed: name, anonymous, labels, mount point, users.
type VolumeEntry = (String, bool, HashMap<String, String>, String, Vec<String>);
/// One image as listed: id, names, created (microseconds since the epoch), size, containers using it.
type ImageEntry = (String, Vec<String>, i64, u64, u32);
/// One secret as listed: id, name, created (microseconds since the epoch),
/// labels, containers using it.
type SecretEntry = (String, String, i64, HashMap<String, String>, Vec<String>);
/// One network as listed: name, id, subnet, gateway, interface, internal,
/// DNS enabled, labels, containers on it.
type NetworkEntry = (String, String, String, String, String, bool, bool, HashMap<String, String>, Vec<String>);
/// One pruned object: its ID or name, bytes freed, and an error ("": none).
type PruneEntry = (String, u64, String);

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn volume_entry(v: crate::model::volume::VolumeInfo) -> VolumeEntry {
    let c = v.config;
    (c.name, c.anonymous, c.labels.into_iter().collect(), c.mountpoint.display().to_string(), v.users)
}

fn network_entry(n: crate::model::network::NetworkInfo) -> NetworkEntry {
    let c = n.config;
    (c.name, c.id, c.subnet, c.gateway, c.interface, c.internal, c.dns_enabled, c.labels.into_iter().collect(), n.users)
}

fn secret_entry(s: crate::model::secret::SecretInfo) -> SecretEntry {
    (s.id, s.name, usec(s.created_nanos), s.labels.into_iter().collect(), s.users)
}

#[interface(name = "io.berth.Berth1.Manager")]
impl Manager {
    /// Create a container. The options are the fields of varlink's
    /// io.berth.Container.CreateOptions (command, image or rootfs, name,
    /// labels, env, resources...). Returns its ID and object path.
    #[zbus(out_args("id", "path"))]
    async fn create_container(
        &self,
        options: HashMap<String, OwnedVariant>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<(String, OwnedObjectPath)> {
        let create = async {
            let o: CreateOptions = options::decode("io.berth.Container", "Create", Some("options"), &options)?;
            self.ctx.runtime.create_container(o.into_spec()?).await
        };
        let id = self.ctx.call(bus, &call, "io.berth.Container.Create", create).await?.0;
        let path = container_path(&id);
        Ok((id, path))
    }

    /// Containers (all: stopped ones too), with Podman's filters (id=, name=,
    /// label=, status=, pod=, ancestor=, before=, since=, exited=, volume=).
    #[zbus(out_args("containers"))]
    async fn list_containers(
        &self,
        all: bool,
        filters: Vec<String>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<Vec<ContainerEntry>> {
        let list = self
            .ctx
            .call(bus, &call, "io.berth.Container.List", self.ctx.runtime.list_containers(all, &filters, false))
            .await?;
        Ok(list
            .into_iter()
            .map(|s| {
                let path = container_path(&s.id);
                (
                    s.id,
                    s.name,
                    s.image,
                    s.state.as_str().to_string(),
                    usec(s.created_nanos),
                    s.exit_code.unwrap_or(0),
                    s.pod_id.unwrap_or_default(),
                    s.labels.into_iter().collect(),
                    path,
                )
            })
            .collect())
    }

    /// The object path of a container by name, ID or unique ID prefix.
    #[zbus(out_args("path"))]
    async fn get_container(
        &self,
        name_or_id: String,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<OwnedObjectPath> {
        let id = self
            .ctx
            .call(bus, &call, "io.berth.Container.LookupId", self.ctx.runtime.lookup_container_id(&name_or_id))
            .await?;
        Ok(container_path(&id))
    }

    /// The object path of a network, by name or ID.
    async fn get_network(
        &self,
        name: String,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<OwnedObjectPath> {
        let inspect = self.ctx.runtime.inspect_network(&name);
        let network = self.ctx.call(bus, &call, "io.berth.Network.Inspect", inspect).await?;
        Ok(super::network::network_path(&network.config.name))
    }

    /// A container's configuration and state as JSON (varlink's Inspect).
    #[zbus(out_args("json"))]
    async fn inspect_container(
        &self,
        name_or_id: String,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<String> {
        let inspect = self
            .ctx
            .call(bus, &call, "io.berth.Container.Inspect", self.ctx.runtime.inspect_container(&name_or_id, false))
            .await?;
        Ok(json(&ContainerView::of(&inspect)))
    }

    /// Remove a container (force: stop it first; volumes: its anonymous
    /// volumes too). Returns its ID.
    #[zbus(out_args("id"))]
    async fn remove_container(
        &self,
        name_or_id: String,
        force: bool,
        volumes: bool,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<String> {
        let remove = self.ctx.runtime.remove_container(&name_or_id, Removal { force, volumes, ..Default::default() });
        let removed = self.ctx.call(bus, &call, "io.berth.Container.Remove", remove).await?;
        Ok(removed.last().cloned().unwrap_or_default())
    }

    /// Drop a container's record even when its storage or runtime state is
    /// broken. Returns its ID.
    #[zbus(out_args("id"))]
    async fn evict_container(
        &self,
        name_or_id: String,
        volumes: bool,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<String> {
        let evict = self.ctx.runtime.evict_container(&name_or_id, volumes);
        self.ctx.call(bus, &call, "io.berth.Container.Evict", evict).await
    }

    #[zbus(out_args("id", "name"))]
    async fn rename_container(
        &self,
        name_or_id: String,
        new_name: String,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<(String, String)> {
        let rename = self.ctx.runtime.rename_container(&name_or_id, &new_name);
        self.ctx.call(bus, &call, "io.berth.Container.Rename", rename).await
    }

    /// Remove stopped containers matching the filters.
    #[zbus(out_args("reports"))]
    async fn prune_containers(
        &self,
        filters: Vec<String>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<Vec<PruneEntry>> {
        let reports =
            self.ctx.call(bus, &call, "io.berth.Container.Prune", self.ctx.runtime.prune_containers(&filters)).await?;
        Ok(reports.into_iter().map(|r| (r.id, r.size, r.error.unwrap_or_default())).collect())
    }

    /// Create a pod; options are varlink's io.berth.Pod.Create parameters
    /// (name, labels, cgroupParent, shareCgroup, infra).
    #[zbus(out_args("id", "name"))]
    async fn create_pod(
        &self,
        options: HashMap<String, OwnedVariant>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<(String, String)> {
        let create = async {
            let args: PodCreate = options::decode("io.berth.Pod", "Create", None, &options)?;
            self.ctx.runtime.create_pod(args.into_spec()?).await
        };
        self.ctx.call(bus, &call, "io.berth.Pod.Create", create).await
    }

    #[zbus(out_args("pods"))]
    async fn list_pods(
        &self,
        filters: Vec<String>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<Vec<PodEntry>> {
        let pods = self.ctx.call(bus, &call, "io.berth.Pod.List", self.ctx.runtime.list_pods(&filters)).await?;
        Ok(pods
            .into_iter()
            .map(|p| {
                let c = p.config;
                (c.id, c.name, usec(c.created_nanos), c.labels.into_iter().collect(), p.containers)
            })
            .collect())
    }

    /// A pod's configuration as JSON (varlink's Inspect).
    #[zbus(out_args("json"))]
    async fn inspect_pod(
        &self,
        name_or_id: String,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<String> {
        let pod = self.ctx.call(bus, &call, "io.berth.Pod.Inspect", self.ctx.runtime.inspect_pod(&name_or_id)).await?;
        Ok(json(&PodView::of(&pod)))
    }

    #[zbus(out_args("id", "removedContainers"))]
    async fn remove_pod(
        &self,
        name_or_id: String,
        force: bool,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<(String, Vec<String>)> {
        self.ctx.call(bus, &call, "io.berth.Pod.Remove", self.ctx.runtime.remove_pod(&name_or_id, force, None)).await
    }

    #[zbus(out_args("id", "containers"))]
    async fn start_pod(
        &self,
        name_or_id: String,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<(String, Vec<String>)> {
        self.ctx.call(bus, &call, "io.berth.Pod.Start", self.ctx.runtime.start_pod(&name_or_id)).await
    }

    /// Stop a pod's containers; timeout in seconds, negative for each
    /// container's own.
    #[zbus(out_args("id", "containers"))]
    async fn stop_pod(
        &self,
        name_or_id: String,
        timeout: i32,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<(String, Vec<String>)> {
        let stop = self.ctx.runtime.stop_pod(&name_or_id, super::timeout(timeout));
        self.ctx.call(bus, &call, "io.berth.Pod.Stop", stop).await
    }

    /// Signal a pod's containers ("": SIGKILL).
    #[zbus(out_args("id", "containers"))]
    async fn kill_pod(
        &self,
        name_or_id: String,
        signal: String,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<(String, Vec<String>)> {
        let kill = self.ctx.runtime.kill_pod(&name_or_id, super::given(signal));
        self.ctx.call(bus, &call, "io.berth.Pod.Kill", kill).await
    }

    /// Remove the pods none of whose containers run (and those containers)
    /// matching the filters; the pods' and the containers' IDs.
    #[zbus(out_args("pods", "containers"))]
    async fn prune_pods(
        &self,
        filters: Vec<String>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<(Vec<String>, Vec<String>)> {
        self.ctx.call(bus, &call, "io.berth.Pod.Prune", self.ctx.runtime.prune_pods(&filters)).await
    }

    /// Create a volume ("" for a generated name); returns its name.
    #[zbus(out_args("name"))]
    async fn create_volume(
        &self,
        name: String,
        labels: HashMap<String, String>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<String> {
        self.ctx
            .call(
                bus,
                &call,
                "io.berth.Volume.Create",
                self.ctx.runtime.create_volume(super::given(name), labels.into_iter().collect(), Default::default()),
            )
            .await
    }

    /// Volumes matching the filters (name=, label=, anonymous=, dangling=).
    #[zbus(out_args("volumes"))]
    async fn list_volumes(
        &self,
        filters: Vec<String>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<Vec<VolumeEntry>> {
        let volumes =
            self.ctx.call(bus, &call, "io.berth.Volume.List", self.ctx.runtime.list_volumes(&filters)).await?;
        Ok(volumes.into_iter().map(volume_entry).collect())
    }

    /// One volume, as ListVolumes gives it.
    #[zbus(out_args("volume"))]
    async fn inspect_volume(
        &self,
        name: String,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<VolumeEntry> {
        let volume =
            self.ctx.call(bus, &call, "io.berth.Volume.Inspect", self.ctx.runtime.inspect_volume(&name)).await?;
        Ok(volume_entry(volume))
    }

    /// Remove a volume (force: with the containers using it); returns the
    /// containers removed.
    #[zbus(out_args("removedContainers"))]
    async fn remove_volume(
        &self,
        name: String,
        force: bool,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<Vec<String>> {
        self.ctx.call(bus, &call, "io.berth.Volume.Remove", self.ctx.runtime.remove_volume(&name, force)).await
    }

    /// Remove unused volumes matching the filters.
    #[zbus(out_args("reports"))]
    async fn prune_volumes(
        &self,
        filters: Vec<String>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<Vec<PruneEntry>> {
        let reports =
            self.ctx.call(bus, &call, "io.berth.Volume.Prune", self.ctx.runtime.prune_volumes(&filters)).await?;
        Ok(reports.into_iter().map(|r| (r.name, r.size, r.error.unwrap_or_default())).collect())
    }

    /// Create a bridge network; options: name, subnet, gateway, internal
    /// (b), dnsEnabled (b), labels (a{ss}). Returns its name.
    #[zbus(out_args("name"))]
    async fn create_network(
        &self,
        options: HashMap<String, OwnedVariant>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<String> {
        let create = async {
            options::only(&options, &["name", "subnet", "gateway", "internal", "dnsEnabled", "labels"])?;
            let spec = crate::runtime::NetworkSpec {
                name: options::get::<String>(&options, "name")?,
                driver: None,
                subnet: options::get::<String>(&options, "subnet")?,
                gateway: options::get::<String>(&options, "gateway")?,
                internal: options::get::<bool>(&options, "internal")?.unwrap_or(false),
                dns_enabled: options::get::<bool>(&options, "dnsEnabled")?,
                labels: options::get::<HashMap<String, String>>(&options, "labels")?
                    .unwrap_or_default()
                    .into_iter()
                    .collect(),
            };
            self.ctx.runtime.create_network(spec).await
        };
        self.ctx.call(bus, &call, "io.berth.Network.Create", create).await
    }

    /// Networks matching the filters (name=, id=, label=, driver=).
    #[zbus(out_args("networks"))]
    async fn list_networks(
        &self,
        filters: Vec<String>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<Vec<NetworkEntry>> {
        let list = self.ctx.call(bus, &call, "io.berth.Network.List", self.ctx.runtime.list_networks(&filters)).await?;
        Ok(list.into_iter().map(network_entry).collect())
    }

    /// One network, as ListNetworks gives it.
    #[zbus(out_args("network"))]
    async fn inspect_network(
        &self,
        name: String,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<NetworkEntry> {
        let inspect = self.ctx.runtime.inspect_network(&name);
        Ok(network_entry(self.ctx.call(bus, &call, "io.berth.Network.Inspect", inspect).await?))
    }

    /// Remove a network (force: with the containers on it); its name and
    /// the containers removed.
    #[zbus(out_args("name", "removedContainers"))]
    async fn remove_network(
        &self,
        name: String,
        force: bool,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<(String, Vec<String>)> {
        self.ctx.call(bus, &call, "io.berth.Network.Remove", self.ctx.runtime.remove_network(&name, force)).await
    }

    /// Put a container on one more network (aliases: names there).
    async fn connect_network(
        &self,
        name: String,
        container: String,
        aliases: Vec<String>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<()> {
        let connect = self.ctx.runtime.connect_network(&name, &container, aliases);
        self.ctx.call(bus, &call, "io.berth.Network.Connect", connect).await
    }

    /// Take a container off a network (force: whatever the teardown says).
    async fn disconnect_network(
        &self,
        name: String,
        container: String,
        force: bool,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<()> {
        let disconnect = self.ctx.runtime.disconnect_network(&name, &container, force);
        self.ctx.call(bus, &call, "io.berth.Network.Disconnect", disconnect).await
    }

    /// Remove the networks no container is on; their names.
    #[zbus(out_args("networks"))]
    async fn prune_networks(
        &self,
        filters: Vec<String>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<Vec<String>> {
        self.ctx.call(bus, &call, "io.berth.Network.Prune", self.ctx.runtime.prune_networks(&filters)).await
    }

    /// Store a secret (its value as bytes of UTF-8 text); returns its ID.
    #[zbus(out_args("id"))]
    async fn create_secret(
        &self,
        name: String,
        data: Vec<u8>,
        labels: HashMap<String, String>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<String> {
        let create = self.ctx.runtime.create_secret(&name, data, labels.into_iter().collect());
        self.ctx.call(bus, &call, "io.berth.Secret.Create", create).await
    }

    /// Secrets matching the filters (name=, id=, label=), never their values.
    #[zbus(out_args("secrets"))]
    async fn list_secrets(
        &self,
        filters: Vec<String>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<Vec<SecretEntry>> {
        let all = self.ctx.call(bus, &call, "io.berth.Secret.List", self.ctx.runtime.list_secrets(&filters)).await?;
        Ok(all.into_iter().map(secret_entry).collect())
    }

    /// One secret, as ListSecrets gives it (never its value).
    #[zbus(out_args("secret"))]
    async fn inspect_secret(
        &self,
        name_or_id: String,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<SecretEntry> {
        let inspect = self.ctx.runtime.inspect_secret(&name_or_id);
        Ok(secret_entry(self.ctx.call(bus, &call, "io.berth.Secret.Inspect", inspect).await?))
    }

    /// Remove a secret no container uses; returns its ID.
    #[zbus(out_args("id"))]
    async fn remove_secret(
        &self,
        name_or_id: String,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<String> {
        self.ctx.call(bus, &call, "io.berth.Secret.Remove", self.ctx.runtime.remove_secret(&name_or_id)).await
    }

    #[zbus(out_args("images"))]
    async fn list_images(
        &self,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<Vec<ImageEntry>> {
        let images = self.ctx.call(bus, &call, "io.berth.Image.List", self.ctx.runtime.list_images()).await?;
        Ok(images.into_iter().map(|(i, users)| (i.id, i.names, usec(i.created), i.size, users as u32)).collect())
    }

    /// An image's ID, names, digest and configuration as JSON (varlink's Inspect).
    #[zbus(out_args("json"))]
    async fn inspect_image(
        &self,
        reference: String,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<String> {
        let image =
            self.ctx.call(bus, &call, "io.berth.Image.Inspect", self.ctx.runtime.lookup_image(&reference)).await?;
        Ok(json(&crate::api::view::ImageView::of(&image)))
    }

    /// Give an image one more name; its ID.
    #[zbus(out_args("id"))]
    async fn tag_image(
        &self,
        reference: String,
        name: String,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<String> {
        self.ctx.call(bus, &call, "io.berth.Image.Tag", self.ctx.runtime.tag_image(&reference, &name)).await
    }

    /// Take a name from an image; its ID.
    #[zbus(out_args("id"))]
    async fn untag_image(
        &self,
        reference: String,
        name: String,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<String> {
        self.ctx.call(bus, &call, "io.berth.Image.Untag", self.ctx.runtime.untag_image(&reference, &name)).await
    }

    /// Remove the images without a name (all: every image no container
    /// uses); their IDs.
    #[zbus(out_args("images"))]
    async fn prune_images(
        &self,
        all: bool,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<Vec<String>> {
        self.ctx.call(bus, &call, "io.berth.Image.Prune", self.ctx.runtime.prune_images(all)).await
    }

    /// Import an OCI layout directory, OCI archive or docker-save archive
    /// (reference "": the names it carries).
    #[zbus(out_args("id", "names"))]
    async fn import_image(
        &self,
        path: String,
        reference: String,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<(String, Vec<String>)> {
        self.ctx
            .call(bus, &call, "io.berth.Image.Import", self.ctx.runtime.import_image(&path, super::given(reference)))
            .await
    }

    /// Pull from a registry; options: credentials (user:password),
    /// tlsVerify (b), platform (os/arch[/variant]).
    #[zbus(out_args("id", "names"))]
    async fn pull_image(
        &self,
        reference: String,
        options: HashMap<String, OwnedVariant>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<(String, Vec<String>)> {
        let pull = async { self.ctx.runtime.pull_image(&reference, pull_options(&options)?, None).await };
        self.ctx.call(bus, &call, "io.berth.Image.Pull", pull).await
    }

    /// Pull as a job (options as PullImage's): its number and object at
    /// once; the object's properties follow the pull, and JobRemoved says
    /// how it ended.
    #[zbus(out_args("job_id", "job_path"))]
    async fn begin_pull_image(
        &self,
        reference: String,
        options: HashMap<String, OwnedVariant>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<(u32, OwnedObjectPath)> {
        let begin = async {
            let options = pull_options(&options)?;
            super::job::begin_pull(&self.ctx, bus, reference, options).await
        };
        self.ctx.call(bus, &call, "io.berth.Image.Pull", begin).await
    }

    /// Remove an image, or one of its names; returns its ID and whether the
    /// image itself went (not only a name).
    #[zbus(out_args("id", "removed"))]
    async fn remove_image(
        &self,
        reference: String,
        force: bool,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<(String, bool)> {
        self.ctx.call(bus, &call, "io.berth.Image.Remove", self.ctx.runtime.remove_image(&reference, force)).await
    }

    #[zbus(signal)]
    pub async fn container_new(emitter: &SignalEmitter<'_>, id: &str, path: ObjectPath<'_>) -> zbus::Result<()>;

    #[zbus(signal)]
    pub async fn container_removed(emitter: &SignalEmitter<'_>, id: &str, path: ObjectPath<'_>) -> zbus::Result<()>;

    #[zbus(signal)]
    pub async fn pod_new(emitter: &SignalEmitter<'_>, id: &str, name: &str) -> zbus::Result<()>;

    #[zbus(signal)]
    pub async fn pod_removed(emitter: &SignalEmitter<'_>, id: &str, name: &str) -> zbus::Result<()>;

    #[zbus(signal)]
    pub async fn network_new(emitter: &SignalEmitter<'_>, id: &str, name: &str) -> zbus::Result<()>;

    #[zbus(signal)]
    pub async fn network_removed(emitter: &SignalEmitter<'_>, id: &str, name: &str) -> zbus::Result<()>;

    /// A job began (BeginPullImage).
    #[zbus(signal)]
    pub async fn job_new(emitter: &SignalEmitter<'_>, id: u32, path: ObjectPath<'_>) -> zbus::Result<()>;

    /// A job ended and its object went: result "done" (with the image's
    /// ID) or "failed" (with the error's message).
    #[zbus(signal)]
    pub async fn job_removed(
        emitter: &SignalEmitter<'_>,
        id: u32,
        path: ObjectPath<'_>,
        result: &str,
        image_id: &str,
        error: &str,
    ) -> zbus::Result<()>;
}

/// A pull's options: credentials (user:password), tlsVerify (b), platform.
fn pull_options(options: &HashMap<String, OwnedVariant>) -> crate::error::Result<PullOptions> {
    options::only(options, &["credentials", "tlsVerify", "platform"])?;
    Ok(PullOptions {
        credentials: options::get::<String>(options, "credentials")?,
        tls_verify: options::get::<bool>(options, "tlsVerify")?,
        platform: options::get::<String>(options, "platform")?,
    })
}
