//! One object per container at /io/berth/Berth1/container/<id>
//! (io.berth.Berth1.Container): its properties, kept from the events, and
//! the operations on it. Each method makes one runtime call.

use super::errors::Result;
use super::{options, Ctx};
use crate::runtime::{ContainerInspect, Removal};
use std::collections::HashMap;
use std::sync::Mutex;
use zbus::message::Header;
use zbus::{interface, Connection, OwnedObjectPath, OwnedVariant, Variant};

pub const INTERFACE: &str = "io.berth.Berth1.Container";

pub fn container_path(id: &str) -> OwnedObjectPath {
    OwnedObjectPath::try_from(format!("{}/container/{id}", super::MANAGER_PATH))
        .expect("container IDs are hexadecimal, valid in an object path")
}

/// What the properties show; compared before and after an event to say
/// which of them changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Props {
    name: String,
    image: String,
    state: String,
    exit_code: i32,
    pid: u32,
    created: u64,
    started: u64,
    pod: String,
    unit: String,
    restart_count: u32,
    health: String,
}

use super::bus_time as usec;

impl Props {
    pub fn of(i: &ContainerInspect) -> Props {
        Props {
            name: i.name.clone(),
            image: i.config.image.clone().unwrap_or_default(),
            state: i.state.state.as_str().to_string(),
            exit_code: i.state.exit_code.unwrap_or(0),
            pid: i.state.pid.unwrap_or(0).max(0) as u32,
            created: usec(i.config.created_nanos),
            started: i.state.started_at.map(usec).unwrap_or(0),
            pod: i.config.pod.clone().unwrap_or_default(),
            unit: i.unit.clone().unwrap_or_default(),
            restart_count: i.restart_count,
            health: i.health.as_ref().map_or("", |h| h.status.as_str()).to_string(),
        }
    }

    /// A container just created, from its create event: the record holds
    /// nothing more yet (configured, never started), so it is not read again.
    pub fn created(e: &crate::events::Event) -> Props {
        Props {
            name: e.name.clone(),
            image: e.attributes.get("image").cloned().unwrap_or_default(),
            state: crate::model::container::State::Configured.as_str().to_string(),
            created: usec(e.time_nanos),
            pod: e.attributes.get("pod_id").cloned().unwrap_or_default(),
            ..Props::default()
        }
    }

    /// The properties that differ from `old`, by their D-Bus names.
    fn changes(&self, old: &Props) -> HashMap<&'static str, Variant<'static>> {
        let mut changed: HashMap<&'static str, Variant<'static>> = HashMap::new();
        let mut put = |name: &'static str, differs: bool, value: Variant<'static>| {
            if differs {
                changed.insert(name, value);
            }
        };
        put("Name", self.name != old.name, self.name.clone().into());
        put("State", self.state != old.state, self.state.clone().into());
        put("ExitCode", self.exit_code != old.exit_code, self.exit_code.into());
        put("Pid", self.pid != old.pid, self.pid.into());
        put("Started", self.started != old.started, self.started.into());
        put("Pod", self.pod != old.pod, self.pod.clone().into());
        put("Unit", self.unit != old.unit, self.unit.clone().into());
        put("RestartCount", self.restart_count != old.restart_count, self.restart_count.into());
        put("Health", self.health != old.health, self.health.clone().into());
        changed
    }
}

pub struct ContainerObject {
    id: String,
    props: Mutex<Props>,
    ctx: Ctx,
}

impl ContainerObject {
    pub fn new(id: String, props: Props, ctx: Ctx) -> Self {
        ContainerObject { id, props: Mutex::new(props), ctx }
    }

    /// Take `new` as the current properties; returns those that changed.
    pub fn take_props(&self, new: Props) -> HashMap<&'static str, Variant<'static>> {
        self.change(|_| new)
    }

    /// Take `name` as the container's name; returns what changed.
    pub fn take_name(&self, name: &str) -> HashMap<&'static str, Variant<'static>> {
        self.change(|props| Props { name: name.to_string(), ..props.clone() })
    }

    /// Replace the properties with what `new` makes of them; returns what changed.
    fn change(&self, new: impl FnOnce(&Props) -> Props) -> HashMap<&'static str, Variant<'static>> {
        let mut props = self.props.lock().unwrap_or_else(|p| p.into_inner());
        let new = new(&props);
        let changed = new.changes(&props);
        *props = new;
        changed
    }

    fn prop<T>(&self, f: impl FnOnce(&Props) -> T) -> T {
        f(&self.props.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The record, for the properties read when asked for.
    async fn record(&self) -> zbus::fdo::Result<ContainerInspect> {
        self.ctx.runtime.inspect_container(&self.id, false).await.map_err(|e| zbus::fdo::Error::Failed(e.to_string()))
    }
}

/// The Networks property's value: (network, address, aliases) for each.
pub fn networks_of(i: &ContainerInspect) -> Vec<(String, String, Vec<String>)> {
    i.networks.iter().map(|a| (a.network.clone(), a.ip.clone(), a.aliases.clone())).collect()
}

#[interface(name = "io.berth.Berth1.Container")]
impl ContainerObject {
    /// The full container ID.
    #[zbus(property(emits_changed_signal = "const"))]
    fn id(&self) -> String {
        self.id.clone()
    }

    #[zbus(property)]
    fn name(&self) -> String {
        self.prop(|p| p.name.clone())
    }

    /// The image reference it was created from ("" for a rootfs).
    #[zbus(property(emits_changed_signal = "const"))]
    fn image(&self) -> String {
        self.prop(|p| p.image.clone())
    }

    /// libpod's words: configured, created, running, paused, stopping,
    /// stopped, exited, removing.
    #[zbus(property)]
    fn state(&self) -> String {
        self.prop(|p| p.state.clone())
    }

    #[zbus(property)]
    fn exit_code(&self) -> i32 {
        self.prop(|p| p.exit_code)
    }

    /// The container's init process (0 when it has none).
    #[zbus(property)]
    fn pid(&self) -> u32 {
        self.prop(|p| p.pid)
    }

    /// When it was created, in microseconds since the epoch.
    #[zbus(property(emits_changed_signal = "const"))]
    fn created(&self) -> u64 {
        self.prop(|p| p.created)
    }

    /// When it last started, in microseconds since the epoch (0: never).
    #[zbus(property)]
    fn started(&self) -> u64 {
        self.prop(|p| p.started)
    }

    /// The ID of its pod ("" for none).
    #[zbus(property)]
    fn pod(&self) -> String {
        self.prop(|p| p.pod.clone())
    }

    /// Its systemd scope while it has processes under the systemd cgroup
    /// manager ("" otherwise).
    #[zbus(property)]
    fn unit(&self) -> String {
        self.prop(|p| p.unit.clone())
    }

    /// starting, healthy or unhealthy; "" without a health check.
    #[zbus(property)]
    fn health(&self) -> String {
        self.prop(|p| p.health.clone())
    }

    /// Its place on each bridge network: the network's name, its address
    /// there, its aliases. Read from the record when asked for; changes
    /// are signalled at each connect and disconnect.
    #[zbus(property)]
    async fn networks(&self) -> zbus::fdo::Result<Vec<(String, String, Vec<String>)>> {
        Ok(networks_of(&self.record().await?))
    }

    /// Its published ports: host address ("" for all), host port,
    /// container port, protocol, and how many ports from each.
    #[zbus(property(emits_changed_signal = "const"))]
    async fn ports(&self) -> zbus::fdo::Result<Vec<(String, u16, u16, String, u16)>> {
        let ports = self.record().await?.config.port_mappings;
        Ok(ports.into_iter().map(|p| (p.host_ip, p.host_port, p.container_port, p.protocol, p.range)).collect())
    }

    /// How often its restart policy restarted it since a user last
    /// started it.
    #[zbus(property)]
    fn restart_count(&self) -> u32 {
        self.prop(|p| p.restart_count)
    }

    /// A sample of its use, as varlink's Stats: cpuNanos, memoryBytes,
    /// memoryLimit, pids, blockRead, blockWrite, netRx, netTx (t each) and
    /// time (x, microseconds since the epoch).
    async fn get_stats(
        &self,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<HashMap<String, OwnedVariant>> {
        let stats = async {
            let mut samples = self.ctx.runtime.container_stats(std::slice::from_ref(&self.id)).await?;
            let s = samples.pop().ok_or_else(|| crate::error::Error::NoSuchContainer(self.id.clone()))?;
            let counters = [
                ("cpuNanos", s.cpu_nanos),
                ("memoryBytes", s.memory_bytes),
                ("memoryLimit", s.memory_limit),
                ("pids", s.pids),
                ("blockRead", s.block_read),
                ("blockWrite", s.block_write),
                ("netRx", s.net_rx),
                ("netTx", s.net_tx),
            ];
            let mut dict: HashMap<String, OwnedVariant> = counters
                .into_iter()
                .filter_map(|(k, v)| Some((k.to_string(), OwnedVariant::try_from(Variant::from(v)).ok()?)))
                .collect();
            if let Ok(time) = OwnedVariant::try_from(Variant::from(crate::api::view::usec(s.time))) {
                dict.insert("time".into(), time);
            }
            Ok(dict)
        };
        self.ctx.call(bus, &call, "io.berth.Container.Stats", stats).await
    }

    /// Change its limits and restart policy (options: resources a{sv},
    /// restartPolicy s, restartRetries x), as varlink's Update.
    async fn update(
        &self,
        options: HashMap<String, OwnedVariant>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<()> {
        let update = async {
            let given = serde_json::Map::from_iter([("nameOrId".to_string(), self.id.clone().into())]);
            let o: crate::api::request::UpdateOptions =
                options::decode_rest("io.berth.Container", "Update", given, &options)?;
            self.ctx.runtime.update_container(&self.id, o.into_update()?).await
        };
        self.ctx.call(bus, &call, "io.berth.Container.Update", update).await.map(drop)
    }

    async fn start(&self, #[zbus(header)] call: Header<'_>, #[zbus(connection)] bus: &Connection) -> Result<()> {
        self.ctx
            .call(bus, &call, "io.berth.Container.Start", self.ctx.runtime.start_container(&self.id))
            .await
            .map(drop)
    }

    /// Stop with SIGTERM (or its stop signal), then SIGKILL after `timeout`
    /// seconds (negative: its own stop timeout).
    async fn stop(
        &self,
        timeout: i32,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<()> {
        let stop = self.ctx.runtime.stop_container(&self.id, super::timeout(timeout));
        self.ctx.call(bus, &call, "io.berth.Container.Stop", stop).await.map(drop)
    }

    /// Send a signal by name or number ("": SIGKILL).
    async fn kill(
        &self,
        signal: String,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<()> {
        let signal = super::given(signal);
        let kill = self.ctx.runtime.kill_container(&self.id, signal.as_deref());
        self.ctx.call(bus, &call, "io.berth.Container.Kill", kill).await.map(drop)
    }

    async fn pause(&self, #[zbus(header)] call: Header<'_>, #[zbus(connection)] bus: &Connection) -> Result<()> {
        self.ctx
            .call(bus, &call, "io.berth.Container.Pause", self.ctx.runtime.pause_container(&self.id))
            .await
            .map(drop)
    }

    async fn unpause(&self, #[zbus(header)] call: Header<'_>, #[zbus(connection)] bus: &Connection) -> Result<()> {
        self.ctx
            .call(bus, &call, "io.berth.Container.Unpause", self.ctx.runtime.unpause_container(&self.id))
            .await
            .map(drop)
    }

    async fn restart(
        &self,
        timeout: i32,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<()> {
        let restart = self.ctx.runtime.restart_container(&self.id, super::timeout(timeout));
        self.ctx.call(bus, &call, "io.berth.Container.Restart", restart).await.map(drop)
    }

    /// Remove it (force: stop it first; volumes: its anonymous volumes too).
    async fn remove(
        &self,
        force: bool,
        volumes: bool,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<()> {
        let remove = self.ctx.runtime.remove_container(&self.id, Removal { force, volumes, ..Default::default() });
        self.ctx.call(bus, &call, "io.berth.Container.Remove", remove).await.map(drop)
    }

    /// Rename it; returns the new name.
    #[zbus(out_args("name"))]
    async fn rename(
        &self,
        new_name: String,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<String> {
        let rename = self.ctx.runtime.rename_container(&self.id, &new_name);
        self.ctx.call(bus, &call, "io.berth.Container.Rename", rename).await.map(|(_, name)| name)
    }

    /// Wait until it exits; its exit code.
    #[zbus(out_args("exitCode"))]
    async fn wait(&self, #[zbus(header)] call: Header<'_>, #[zbus(connection)] bus: &Connection) -> Result<i32> {
        self.ctx.call(bus, &call, "io.berth.Container.Wait", self.ctx.runtime.wait_container(&self.id)).await
    }

    /// Its full configuration and state, the JSON document of varlink's
    /// io.berth.Container.Inspect.
    #[zbus(out_args("json"))]
    async fn inspect(&self, #[zbus(header)] call: Header<'_>, #[zbus(connection)] bus: &Connection) -> Result<String> {
        let inspect = self
            .ctx
            .call(bus, &call, "io.berth.Container.Inspect", self.ctx.runtime.inspect_container(&self.id, false))
            .await?;
        Ok(serde_json::to_string(&crate::api::view::ContainerView::of(&inspect)).unwrap_or_default())
    }

    /// Its processes, as podman's top shows them: the ps descriptors asked
    /// for (none: podman's default columns); the titles and a row each.
    #[zbus(out_args("titles", "processes"))]
    async fn top(
        &self,
        descriptors: Vec<String>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<(Vec<String>, Vec<Vec<String>>)> {
        let top = self.ctx.runtime.top_container(&self.id, &descriptors);
        self.ctx.call(bus, &call, "io.berth.Container.Top", top).await
    }

    /// Attach to it: a unix socket carrying its terminal or stdio, the
    /// stream of varlink's upgraded Attach (options: stdin b, detachKeys s).
    #[zbus(out_args("stream"))]
    async fn attach(
        &self,
        options: HashMap<String, OwnedVariant>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<zbus::OwnedFd> {
        let attach = async {
            options::only(&options, &["stdin", "detachKeys"])?;
            let stdin = options::get::<bool>(&options, "stdin")?.unwrap_or(false);
            let keys = options::get::<String>(&options, "detachKeys")?;
            let attached = self.ctx.runtime.attach_container(&self.id, stdin, keys.as_deref()).await?;
            crate::api::attach_stream::hand_out(attached).map(zbus::OwnedFd::from)
        };
        self.ctx.call(bus, &call, "io.berth.Container.Attach", attach).await
    }

    /// Its log on a descriptor, line by line (options as varlink's Logs:
    /// follow b, tail x, since s, until s, timestamps b); with follow, the
    /// descriptor carries new lines until the container has stopped, or
    /// until the caller closes it.
    #[zbus(out_args("log"))]
    async fn log(
        &self,
        options: HashMap<String, OwnedVariant>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<zbus::OwnedFd> {
        let log = async {
            options::only(&options, &["follow", "tail", "since", "until", "timestamps"])?;
            let follow = options::get::<bool>(&options, "follow")?.unwrap_or(false);
            let timestamps = options::get::<bool>(&options, "timestamps")?.unwrap_or(false);
            let (since, until) =
                (options::get::<String>(&options, "since")?, options::get::<String>(&options, "until")?);
            let tail = options::get::<i64>(&options, "tail")?;
            let now = crate::events::now_nanos();
            let wanted = crate::api::request::log_options(tail, since.as_deref(), until.as_deref(), now)?;
            let (id, lines, position) = self.ctx.runtime.container_logs(&self.id, wanted).await?;
            let follow = follow.then_some((position, wanted));
            super::log_stream::hand_out(&self.ctx.runtime, id, lines, follow, timestamps)
                .map(|stream| zbus::OwnedFd::from(std::os::fd::OwnedFd::from(stream)))
                .map_err(|e| crate::error::Error::Runtime(format!("a stream for the log: {e}")))
        };
        self.ctx.call(bus, &call, "io.berth.Container.Logs", log).await
    }

    /// Run `command` in it as an exec session: the session's ID and a unix
    /// socket carrying its stream, as varlink's ExecCreate and upgraded
    /// ExecStart (options: env a{ss}, user s, workDir s, terminal b,
    /// stdin b, detachKeys s). The session stays for ExecInspect.
    #[zbus(out_args("exec_id", "stream"))]
    async fn exec(
        &self,
        command: Vec<String>,
        options: HashMap<String, OwnedVariant>,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<(String, zbus::OwnedFd)> {
        let exec = async {
            let given = serde_json::Map::from_iter([
                ("nameOrId".to_string(), self.id.clone().into()),
                ("command".to_string(), command.into()),
            ]);
            let config = options::decode_rest("io.berth.Container", "ExecCreate", given, &options)?;
            let (session, attached) = self.ctx.runtime.exec_run_attached(&self.id, config).await?;
            crate::api::attach_stream::hand_out(attached).map(|stream| (session, zbus::OwnedFd::from(stream)))
        };
        self.ctx.call(bus, &call, "io.berth.Container.ExecCreate", exec).await
    }

    /// Set the size of its terminal (rows, columns).
    async fn resize(
        &self,
        height: u32,
        width: u32,
        #[zbus(header)] call: Header<'_>,
        #[zbus(connection)] bus: &Connection,
    ) -> Result<()> {
        let resize = self.ctx.runtime.resize_container(&self.id, height.into(), width.into());
        self.ctx.call(bus, &call, "io.berth.Container.Resize", resize).await.map(drop)
    }
}
