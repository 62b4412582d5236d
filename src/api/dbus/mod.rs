//! The D-Bus transport: berthd owns io.berth.Berth1 and serves the manager
//! at /io/berth/Berth1 (with an ObjectManager there), one object per
//! container and per network below it, and signals that follow the
//! runtime's events. Like
//! the varlink adapters, each method decodes, makes one runtime call and
//! encodes; what a call needs (nothing, io.berth.inspect or io.berth.manage
//! from polkit; root everything) is api::access's to say.

mod container;
mod errors;
mod image;
mod introspect;
mod job;
mod log_stream;
mod manager;
mod network;
mod options;
mod pod;
mod storage;
mod volume;

use super::activity::Activity;
use crate::error::Error;
use crate::events::{Event, EventType};
use crate::runtime::{Caller, Runtime};
use container::{container_path, ContainerObject, Props};
use errors::Result;
use manager::Manager;
use std::collections::HashMap;
use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::broadcast::error::RecvError;
use zbus::message::Header;
use zbus::object_server::SignalEmitter;
use zbus::{Connection, OwnedObjectPath, OwnedVariant};

pub const BUS_NAME: &str = "io.berth.Berth1";
pub const MANAGER_PATH: &str = "/io/berth/Berth1";

/// What every D-Bus object needs: the runtime, and the activity count that
/// keeps berthd from going idle during a call.
#[derive(Clone)]
pub(crate) struct Ctx {
    runtime: Arc<Runtime>,
    activity: Arc<Activity>,
    /// The connection, set once it is made (the manager exists before it).
    bus: Arc<OnceLock<Connection>>,
    /// The containers that have an object.
    objects: Arc<Mutex<HashSet<String>>>,
    /// How many of the runtime's events the objects have followed.
    applied: tokio::sync::watch::Receiver<u64>,
    /// The pod, volume, image and network objects, by path.
    records: Arc<Mutex<HashMap<OwnedObjectPath, Record>>>,
    /// The pull jobs that have an object.
    jobs: Arc<Mutex<HashSet<u32>>>,
}

/// A pod, volume, image or network on the bus: what taking its object off
/// again needs, and says.
#[derive(Clone)]
struct Record {
    kind: EventType,
    id: String,
    name: String,
}

impl Record {
    fn interface(&self) -> &'static str {
        match self.kind {
            EventType::Pod => "io.berth.Berth1.Pod",
            EventType::Volume => "io.berth.Berth1.Volume",
            EventType::Image => "io.berth.Berth1.Image",
            _ => "io.berth.Berth1.Network",
        }
    }
}

impl Ctx {
    /// A call, made only when the caller may: `method` is the varlink
    /// method it mirrors, and api::access says what that needs. `call` is
    /// not polled (so does nothing) before that.
    async fn call<T>(
        &self,
        bus: &Connection,
        header: &Header<'_>,
        method: &str,
        call: impl Future<Output = crate::error::Result<T>>,
    ) -> Result<T> {
        let _busy = self.activity.enter(usize::MAX);
        let access = crate::api::access::required(method);
        if let Some(access) = access {
            let caller = caller(bus, header).await?;
            let interactive = header.primary().flags().contains(zbus::message::Flags::ALLOW_INTERACTIVE_AUTH);
            self.runtime.authorize(caller, access, interactive).await?;
        }
        let outcome = call.await;
        // A change, or the wait for one (an exit).
        if matches!(access, Some(crate::runtime::Access::Manage)) || method == "io.berth.Container.Wait" {
            self.caught_up().await;
        }
        Ok(outcome?)
    }

    /// Wait until the objects have followed every event sent so far, so
    /// that a change is answered after its objects show it: the path a
    /// creation answers can be called at once, a removed object is gone, a
    /// container that Wait saw end says so in its State. Bounded, as
    /// others' events before it may be many.
    async fn caught_up(&self) {
        let sent = self.runtime.events().sent();
        let mut applied = self.applied.clone();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), applied.wait_for(|a| *a >= sent)).await;
    }

    /// Put a container's object on the bus and say so (ContainerNew);
    /// false when it was there already.
    async fn publish(&self, bus: &Connection, id: &str, props: Props) -> bool {
        if !self.add(bus, id, props).await {
            return false;
        }
        if let Ok(emitter) = SignalEmitter::new(bus, MANAGER_PATH) {
            let _ = Manager::container_new(&emitter, id, container_path(id).as_ref()).await;
        }
        true
    }

    /// `publish` a container from its record, outside the event stream
    /// (a resync after lost events), where it may be removed meanwhile.
    async fn announce(&self, id: &str) {
        let Ok(inspect) = self.runtime.inspect_container(id, false).await else { return };
        let Some(bus) = self.bus.get() else { return };
        // Removed between the read and the registration (its remove event
        // found no object to take away): take it away now.
        if self.publish(bus, id, Props::of(&inspect)).await {
            if let Ok(false) = self.runtime.container_exists(id).await {
                self.retire(bus, id).await;
            }
        }
    }

    /// Register a container's object; false when it was there.
    async fn add(&self, bus: &Connection, id: &str, props: Props) -> bool {
        let object = ContainerObject::new(id.to_string(), props, self.clone());
        let path = container_path(id);
        let added = matches!(bus.object_server().at(&path, object).await, Ok(None));
        if added {
            self.objects.lock().unwrap_or_else(|p| p.into_inner()).insert(id.to_string());
            introspect::flatten(self, bus, introspect::parent(&path)).await;
        }
        added
    }

    /// Every object's path: the manager's, the containers', the records'
    /// and the jobs'.
    fn object_paths(&self) -> Vec<String> {
        let containers = self
            .objects
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|id| container_path(id).to_string())
            .collect::<Vec<_>>();
        let records =
            self.records.lock().unwrap_or_else(|p| p.into_inner()).keys().map(|p| p.to_string()).collect::<Vec<_>>();
        let jobs = self
            .jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|id| job::job_path(*id).to_string())
            .collect::<Vec<_>>();
        [vec![MANAGER_PATH.to_string()], containers, records, jobs].concat()
    }

    /// Take a removed container's object off the bus and say so.
    async fn retire(&self, bus: &Connection, id: &str) {
        let path = container_path(id);
        self.objects.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
        if let Ok(true) = bus.object_server().remove::<ContainerObject, _>(&path).await {
            if let Ok(emitter) = SignalEmitter::new(bus, MANAGER_PATH) {
                let _ = Manager::container_removed(&emitter, id, path.as_ref()).await;
            }
        }
    }
}

/// Emit one PropertiesChanged of `interface` carrying every property in
/// `changed` (none when nothing changed).
async fn emit_changes(
    emitter: &SignalEmitter<'_>,
    interface: &'static str,
    changed: HashMap<&'static str, zbus::Variant<'static>>,
) -> zbus::Result<()> {
    if changed.is_empty() {
        return Ok(());
    }
    let interface = zbus::names::InterfaceName::from_static_str_unchecked(interface);
    let changed: HashMap<&str, zbus::Variant<'_>> = changed.into_iter().collect();
    zbus::fdo::Properties::properties_changed(emitter, interface, changed, std::borrow::Cow::Borrowed(&[])).await
}

/// A time on the bus, as systemd gives them: microseconds since the epoch
/// (0 for none or before it).
pub fn bus_time(nanos: i64) -> u64 {
    crate::api::view::usec(nanos).max(0) as u64
}

/// The object of a `kind` (network, volume) named `name`: the name with
/// each byte outside [A-Za-z0-9] written as _XX (hex), as
/// sd_bus_path_encode does, since names may hold `-` and `.`, which a path
/// may not.
pub fn encoded_path(kind: &str, name: &str) -> OwnedObjectPath {
    let mut encoded = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("_{b:02x}"));
        }
    }
    OwnedObjectPath::try_from(format!("{MANAGER_PATH}/{kind}/{encoded}")).expect("an encoded name is valid in a path")
}

/// Who sent `header`'s call, as the bus daemon vouches for it.
async fn caller(bus: &Connection, header: &Header<'_>) -> Result<Caller> {
    let denied = |why: String| Error::PermissionDenied(format!("the caller cannot be identified: {why}"));
    let sender = header.sender().ok_or_else(|| denied("the call has no sender".into()))?;
    let reply = bus
        .call_method(
            Some("org.freedesktop.DBus"),
            "/org/freedesktop/DBus",
            Some("org.freedesktop.DBus"),
            "GetConnectionCredentials",
            &(sender.as_str(),),
        )
        .await
        .map_err(|e| denied(e.to_string()))?;
    let creds: HashMap<String, OwnedVariant> = reply.body().deserialize().map_err(|e| denied(e.to_string()))?;
    let number = |key: &str| creds.get(key).and_then(|v| u32::try_from(v.clone()).ok());
    // The PID may be unknown (a caller in another PID namespace); only a
    // caller other than root needs it, for polkit.
    let uid = number("UnixUserID").ok_or_else(|| denied(format!("the bus does not know the UID of {sender}")))?;
    Ok(Caller { uid, pid: number("ProcessID").unwrap_or(0) })
}

/// A timeout in seconds from the wire; negative means the container's own.
fn timeout(seconds: i32) -> Option<u32> {
    u32::try_from(seconds).ok()
}

/// A string argument where "" means none given (D-Bus has no optional
/// arguments).
fn given(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// berthd's presence on a bus.
pub struct Service {
    bus: Connection,
}

impl Service {
    /// Give up the name before an idle exit: calls sent after this start
    /// berthd again (D-Bus activation) instead of reaching a leaving process.
    pub async fn release(&self) {
        let _ = self.bus.release_name(BUS_NAME).await;
    }
}

/// Connect to `bus` (system, session or an address), put every container on
/// it, then take the name, so that whoever sees the name sees everything.
pub async fn serve(runtime: Arc<Runtime>, activity: Arc<Activity>, bus: &str) -> zbus::Result<Service> {
    // Subscribed before the first listing: nothing created meanwhile is missed.
    let (sent, events) = runtime.events().subscribe_counted();
    let (applying, applied) = tokio::sync::watch::channel(sent);
    let ctx = Ctx {
        runtime: runtime.clone(),
        activity,
        bus: Default::default(),
        objects: Default::default(),
        applied,
        records: Default::default(),
        jobs: Default::default(),
    };
    let builder = crate::rootless::bus_builder(match bus {
        "system" => zbus::connection::Builder::system(),
        "session" => zbus::connection::Builder::session(),
        address => zbus::connection::Builder::address(address),
    });
    let conn = builder.serve_at(MANAGER_PATH, Manager { ctx: ctx.clone() }).build().await?;
    let _ = ctx.bus.set(conn.clone());
    add_all(&conn, &ctx).await;
    add_networks(&conn, &ctx).await;
    add_records(&conn, &ctx).await;
    // Before the ObjectManager, whose InterfacesAdded would say it.
    for path in ["/", "/io", "/io/berth", MANAGER_PATH] {
        introspect::flatten(&ctx, &conn, path).await;
    }
    conn.object_server().at(MANAGER_PATH, zbus::fdo::ObjectManager).await?;
    conn.object_server().at(MANAGER_PATH, storage::Storage { ctx: ctx.clone() }).await?;
    conn.request_name(BUS_NAME).await?;
    tokio::spawn(follow(conn.clone(), ctx, events, applying));
    Ok(Service { bus: conn })
}

/// Containers read per transaction when putting them all on the bus, so
/// that start-up reading yields to calls between pages: read at once, the
/// thousands of a large catalogue held up a socket-activated berthd's first
/// varlink answer until all were on the bus; small pages let it answer as
/// soon as without D-Bus.
const PAGE: usize = 50;

/// Objects for all containers that have none yet.
async fn add_all(conn: &Connection, ctx: &Ctx) {
    let Ok(ids) = ctx.runtime.container_ids().await else { return };
    for page in ids.chunks(PAGE) {
        let Ok(inspects) = ctx.runtime.inspect_containers(page.to_vec()).await else { continue };
        for inspect in inspects {
            ctx.add(conn, &inspect.id, Props::of(&inspect)).await;
        }
    }
}

/// Objects for every network.
async fn add_networks(conn: &Connection, ctx: &Ctx) {
    let Ok(networks) = ctx.runtime.list_networks(&[]).await else { return };
    for n in networks {
        add_network(conn, ctx, n.config).await;
    }
}

async fn add_network(conn: &Connection, ctx: &Ctx, config: crate::model::network::NetworkConfig) -> bool {
    let record = Record { kind: EventType::Network, id: config.id.clone(), name: config.name.clone() };
    add_record(conn, ctx, network::network_path(&config.name), record, network::NetworkObject::new(config, ctx.clone()))
        .await
}

/// Put a pod's, volume's, image's or network's object on the bus; false
/// when it was there.
async fn add_record(
    conn: &Connection,
    ctx: &Ctx,
    path: OwnedObjectPath,
    record: Record,
    object: impl zbus::object_server::Interface,
) -> bool {
    let added = matches!(conn.object_server().at(&path, object).await, Ok(None));
    if added {
        let parent = introspect::parent(path.as_str()).to_string();
        ctx.records.lock().unwrap_or_else(|p| p.into_inner()).insert(path, record);
        introspect::flatten(ctx, conn, &parent).await;
    }
    added
}

/// Take a pod's, volume's, image's or network's object off the bus, and
/// say so (pods and networks have the manager's signals).
async fn retire_record(conn: &Connection, ctx: &Ctx, path: OwnedObjectPath, record: Record) {
    ctx.records.lock().unwrap_or_else(|p| p.into_inner()).remove(&path);
    let interface = zbus::names::InterfaceName::from_static_str_unchecked(record.interface());
    let _ = conn.object_server().remove_named(&path, interface).await;
    let Ok(emitter) = SignalEmitter::new(conn, MANAGER_PATH) else { return };
    let _ = match record.kind {
        EventType::Pod => Manager::pod_removed(&emitter, &record.id, &record.name).await,
        EventType::Network => Manager::network_removed(&emitter, &record.id, &record.name).await,
        _ => Ok(()),
    };
}

/// Objects for every pod, volume and image.
async fn add_records(conn: &Connection, ctx: &Ctx) {
    for pod in ctx.runtime.list_pods(&[]).await.unwrap_or_default() {
        add_pod(conn, ctx, pod.config).await;
    }
    for volume in ctx.runtime.list_volumes(&[]).await.unwrap_or_default() {
        add_volume(conn, ctx, volume.config).await;
    }
    for (image, _) in ctx.runtime.list_images().await.unwrap_or_default() {
        add_image(conn, ctx, image).await;
    }
}

async fn add_pod(conn: &Connection, ctx: &Ctx, config: crate::model::pod::PodConfig) -> bool {
    let record = Record { kind: EventType::Pod, id: config.id.clone(), name: config.name.clone() };
    add_record(conn, ctx, pod::pod_path(&config.id), record, pod::PodObject::new(config, ctx.clone())).await
}

async fn add_volume(conn: &Connection, ctx: &Ctx, config: crate::model::volume::VolumeConfig) {
    let record = Record { kind: EventType::Volume, id: config.name.clone(), name: config.name.clone() };
    let path = volume::volume_path(&config.name);
    add_record(conn, ctx, path, record, volume::VolumeObject::new(config, ctx.clone())).await;
}

async fn add_image(conn: &Connection, ctx: &Ctx, image: crate::model::image::Image) {
    let record = Record { kind: EventType::Image, id: image.id.clone(), name: String::new() };
    add_record(conn, ctx, image::image_path(&image.id), record, image::ImageObject::new(image, ctx.clone())).await;
}

/// An image was stored, tagged or untagged: its object, with its names now.
async fn image_changed(conn: &Connection, ctx: &Ctx, id: &str) {
    let Ok(now) = ctx.runtime.lookup_image(id).await else { return };
    let path = image::image_path(id);
    let Ok(object) = conn.object_server().interface::<_, image::ImageObject>(&path).await else {
        return add_image(conn, ctx, now).await;
    };
    if object.get().await.take_names(now.names.clone()) {
        let changed = HashMap::from([("Names", zbus::Variant::from(now.names))]);
        let _ = emit_changes(object.signal_emitter(), "io.berth.Berth1.Image", changed).await;
    }
}

/// Keep the objects in step with the runtime's events.
/// `applied` counts the events followed, lost ones once the resync
/// after them is done.
async fn follow(
    conn: Connection,
    ctx: Ctx,
    mut events: tokio::sync::broadcast::Receiver<Arc<Event>>,
    applied: tokio::sync::watch::Sender<u64>,
) {
    loop {
        crate::fault::slow_point("dbus.follow").await;
        let followed = match events.recv().await {
            Ok(event) => {
                apply(&conn, &ctx, &event).await;
                1
            }
            // Events were dropped: look at everything again.
            Err(RecvError::Lagged(lost)) => {
                tracing::warn!(lost, "the D-Bus objects fell behind the events; reading every record again");
                resync(&conn, &ctx).await;
                lost
            }
            Err(RecvError::Closed) => return,
        };
        applied.send_modify(|n| *n += followed);
    }
}

async fn apply(conn: &Connection, ctx: &Ctx, event: &Event) {
    let Ok(emitter) = SignalEmitter::new(conn, MANAGER_PATH) else { return };
    match (event.kind, event.action.as_str()) {
        // Events come in order: a removal of this container comes after.
        (EventType::Container, "create") => {
            ctx.publish(conn, &event.id, Props::created(event)).await;
        }
        (EventType::Container, "remove") => ctx.retire(conn, &event.id).await,
        // The name is all a rename changes, and its event carries it: the
        // record is not read again (that read was a third of the D-Bus
        // work a rename caused).
        (EventType::Container, "rename") => {
            change_object(conn, &event.id, |object| object.take_name(&event.name)).await;
        }
        (EventType::Container, _) => refresh(conn, ctx, &event.id).await,
        (EventType::Pod, "create") => {
            if let Ok(pod) = ctx.runtime.inspect_pod(&event.id).await {
                add_pod(conn, ctx, pod.config).await;
            }
            let _ = Manager::pod_new(&emitter, &event.id, &event.name).await;
        }
        (kind @ (EventType::Pod | EventType::Volume | EventType::Image | EventType::Network), "remove") => {
            let record = Record { kind, id: event.id.clone(), name: event.name.clone() };
            retire_record(conn, ctx, record_path(&record), record).await;
        }
        (EventType::Volume, "create") => {
            if let Ok(v) = ctx.runtime.inspect_volume(&event.name).await {
                add_volume(conn, ctx, v.config).await;
            }
        }
        (EventType::Image, _) => image_changed(conn, ctx, &event.id).await,
        (EventType::Network, "create") => {
            if let Ok(n) = ctx.runtime.inspect_network(&event.name).await {
                add_network(conn, ctx, n.config).await;
            }
            let _ = Manager::network_new(&emitter, &event.id, &event.name).await;
        }
        (EventType::Network, action @ ("connect" | "disconnect")) => {
            let container = event.attributes.get("container").cloned().unwrap_or_default();
            let Ok(on) = SignalEmitter::new(conn, network::network_path(&event.name)) else { return };
            let _ = match action {
                "connect" => network::NetworkObject::container_connected(&on, &container).await,
                _ => network::NetworkObject::container_disconnected(&on, &container).await,
            };
            if let Ok(inspect) = ctx.runtime.inspect_container(&container, false).await {
                let networks = container::networks_of(&inspect).into();
                change_object(conn, &inspect.id, |_| HashMap::from([("Networks", networks)])).await;
            }
        }
        _ => {}
    }
}

/// Read a container's state again and announce what changed.
async fn refresh(conn: &Connection, ctx: &Ctx, id: &str) {
    let Ok(inspect) = ctx.runtime.inspect_container(id, false).await else { return };
    change_object(conn, id, |object| object.take_props(Props::of(&inspect))).await;
}

/// Change a container's object, if it has one, and announce what changed.
async fn change_object(
    conn: &Connection,
    id: &str,
    change: impl FnOnce(&ContainerObject) -> HashMap<&'static str, zbus::zvariant::Variant<'static>>,
) {
    let path = container_path(id);
    let Ok(object) = conn.object_server().interface::<_, ContainerObject>(&path).await else { return };
    let changed = change(&*object.get().await);
    let _ = emit_changes(object.signal_emitter(), container::INTERFACE, changed).await;
}

/// The path of a record's object: pods and images by ID, volumes and
/// networks by name.
fn record_path(record: &Record) -> OwnedObjectPath {
    match record.kind {
        EventType::Pod => pod::pod_path(&record.id),
        EventType::Volume => volume::volume_path(&record.name),
        EventType::Image => image::image_path(&record.id),
        _ => network::network_path(&record.name),
    }
}

/// After lost events, for pods, volumes, images and networks: objects for
/// what has none (said as their events would have), images' names again,
/// and none for what is gone. Nothing is taken away unless every list
/// was read.
async fn resync_records(conn: &Connection, ctx: &Ctx) {
    let runtime = &ctx.runtime;
    let (Ok(pods), Ok(volumes), Ok(images), Ok(networks)) = (
        runtime.list_pods(&[]).await,
        runtime.list_volumes(&[]).await,
        runtime.list_images().await,
        runtime.list_networks(&[]).await,
    ) else {
        return;
    };
    let Ok(emitter) = SignalEmitter::new(conn, MANAGER_PATH) else { return };
    let mut now = HashSet::new();
    for pod in pods {
        let (id, name) = (pod.config.id.clone(), pod.config.name.clone());
        now.insert(pod::pod_path(&id));
        if add_pod(conn, ctx, pod.config).await {
            let _ = Manager::pod_new(&emitter, &id, &name).await;
        }
    }
    for volume in volumes {
        now.insert(volume::volume_path(&volume.config.name));
        add_volume(conn, ctx, volume.config).await;
    }
    for (image, _) in images {
        now.insert(image::image_path(&image.id));
        image_changed(conn, ctx, &image.id).await;
    }
    for n in networks {
        let (id, name) = (n.config.id.clone(), n.config.name.clone());
        now.insert(network::network_path(&name));
        if add_network(conn, ctx, n.config).await {
            let _ = Manager::network_new(&emitter, &id, &name).await;
        }
    }
    let gone: Vec<(OwnedObjectPath, Record)> = {
        let records = ctx.records.lock().unwrap_or_else(|p| p.into_inner());
        records.iter().filter(|(path, _)| !now.contains(*path)).map(|(p, r)| (p.clone(), r.clone())).collect()
    };
    for (path, record) in gone {
        retire_record(conn, ctx, path, record).await;
    }
}

/// After lost events: add what is missing, drop what is gone, refresh the rest.
async fn resync(conn: &Connection, ctx: &Ctx) {
    resync_records(conn, ctx).await;
    let Ok(ids) = ctx.runtime.container_ids().await else { return };
    let ids: HashSet<String> = ids.into_iter().collect();
    let known = ctx.objects.lock().unwrap_or_else(|p| p.into_inner()).clone();
    for gone in known.difference(&ids) {
        ctx.retire(conn, gone).await;
    }
    for id in &ids {
        if known.contains(id) {
            refresh(conn, ctx, id).await;
        } else {
            ctx.announce(id).await;
        }
    }
}
