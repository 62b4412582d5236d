//! Create: libpod's `NewContainer` + `setupContainer` (runtime_ctr.go).
//!
//! Steps, in order:
//! 1. Check the request alone: root file system, command, name, signal, sizes,
//!    log driver, timezone, runtime, cgroup settings, volumes, secrets.
//! 2. In one transaction: resolve the pod (and take its cgroup as parent when
//!    it shares one) and the dependencies, claim the name (or generate one,
//!    retrying on collision), create missing named and anonymous volumes, and
//!    insert the container as `configured`.
//! 3. New volumes' directories are made inside that step before the commit;
//!    if the commit fails they are removed, and a crash in between leaves
//!    orphans that the next start's check removes. The container's own
//!    directory is made when something is first put there (its bundle at
//!    init, its overlay at a mount): a container that never runs has none,
//!    so its create and its removal touch no directory (a mkdir and an
//!    rmdir would be a large part of either).

use super::Runtime;
use crate::config::{self, runtime_supports_no_cgroups};
use crate::db::{Kind, NewContainer, Tx};
use crate::error::{Error, Result};
use crate::events::{now_nanos, Event, EventType};
use crate::model::container::mount::HostMount;
use crate::model::container::restart::RestartPolicy;
use crate::model::container::{
    notify, run, ContainerConfig, ContainerStatus, CreateSpec, MountedVolume, Network, Resources, SecretKind,
    SecretUse, SecretUseSpec, VolumeSpec,
};
use crate::model::pod::validate_cgroup_parent;
use crate::model::volume::VolumeConfig;
use crate::names;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Mount options a volume may carry.
const VOLUME_OPTIONS: &[&str] = &[
    "ro", "rw", "z", "Z", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "bind", "rbind", "private", "rprivate",
    "shared", "rshared", "slave", "rslave", "U", "copy", "nocopy",
];

/// How many generated names to try before giving up.
const NAME_ATTEMPTS: usize = 64;

impl Runtime {
    pub async fn create_container(&self, mut spec: CreateSpec) -> Result<(String, String)> {
        // Docker writes names as "/name"; podman takes them so.
        if let Some(name) = spec.name.take() {
            spec.name = Some(name.strip_prefix('/').map(str::to_string).unwrap_or(name));
        }
        let base = self.check_spec(&spec)?;
        if let (true, Some(name)) = (spec.replace, &spec.name) {
            self.replace_named(name).await?;
        }
        let cid_file = spec.cid_file.clone();
        let root = self.config.root.clone();
        let manager = self.config.cgroup_manager;
        let (config, new_volumes) = self
            .db
            .write(move |tx| {
                let mut made = Vec::new();
                let result = insert_container(tx, &root, manager, spec, base, &mut made);
                if result.is_err() {
                    for dir in made {
                        let _ = std::fs::remove_dir_all(dir);
                    }
                }
                result
            })
            .await?;
        crate::fault::crash_point("create.recorded");
        for v in new_volumes {
            self.events.emit(Event::new(EventType::Volume, "create", &v, &v));
        }
        let mut event = Event::for_container("create", &config);
        // At the recorded creation time: what listeners (the D-Bus objects)
        // show as Created without reading the record again.
        event.time_nanos = config.created_nanos;
        self.events.emit(event);
        if let Some(path) = cid_file {
            self.write_cid_file(&path, &config.id).await?;
        }
        Ok((config.id, config.name))
    }

    /// `replace`: the container of that name, if there is one, goes first
    /// (forced, its anonymous volumes with it), as podman's --replace does.
    async fn replace_named(&self, name: &str) -> Result<()> {
        let how = super::Removal { force: true, volumes: true, ..Default::default() };
        let id = match self.db.read(|tx| tx.container_id_by_name(name)).await? {
            Some(id) => id,
            None => return Ok(()),
        };
        match self.remove_container(&id, how).await {
            Err(Error::NoSuchContainer(_)) => Ok(()),
            other => other.map(drop),
        }
    }

    /// Write the new container's ID to `path`; when that fails the
    /// container goes again, so that a create either did all or nothing.
    async fn write_cid_file(&self, path: &Path, id: &str) -> Result<()> {
        use std::io::Write;
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|mut f| f.write_all(id.as_bytes()));
        if let Err(e) = written {
            let _ =
                self.remove_container(id, super::Removal { force: true, volumes: true, ..Default::default() }).await;
            return Err(Error::storage(path.display(), e));
        }
        Ok(())
    }

    /// Step 1: everything that can be checked without the catalogue. Returns
    /// the configuration with defaults applied; step 2 fills in the rest.
    fn check_spec(&self, spec: &CreateSpec) -> Result<ContainerConfig> {
        let cfg = &self.config;
        check_source(spec)?;
        if let Some(name) = &spec.name {
            names::validate_name(name)?;
        }
        check_map("env", &spec.env, |k| !k.contains('='))?;
        check_map("labels", &spec.labels, |_| true)?;
        let runtime_name = spec.runtime.as_deref().unwrap_or(&cfg.default_runtime);
        let (runtime, runtime_path) = cfg.resolve_runtime(runtime_name)?;
        check_cgroups(spec, &runtime, cfg.cgroup_manager)?;
        check_volumes(&spec.volumes)?;
        let mounts = check_mounts(&spec.volumes, &spec.mounts)?;
        let (network, networks) = network_mode(spec, &cfg.default_netns)?;
        let secrets = spec.secrets.iter().map(secret_use).collect::<Result<Vec<_>>>()?;
        check_resources(&spec.resources)?;
        check_cid_file(spec.cid_file.as_deref())?;
        spec.resolution.check()?;
        let timezone = spec.timezone.clone().unwrap_or_else(|| cfg.timezone.clone());
        check_timezone(&timezone)?;
        let mut config = ContainerConfig {
            rootfs: spec.rootfs.clone(),
            rootfs_overlay: spec.rootfs.is_some() && spec.rootfs_overlay,
            image: spec.image.clone(),
            command: spec.command.clone(),
            env: spec.env.clone(),
            labels: spec.labels.clone(),
            stop_signal: match &spec.stop_signal {
                Some(s) => config::parse_signal(s)?,
                None => cfg.stop_signal,
            },
            stop_timeout: spec.stop_timeout.unwrap_or(cfg.stop_timeout),
            shm_size: match &spec.shm_size {
                Some(s) => config::parse_size(s)?,
                None => cfg.shm_size,
            },
            timezone,
            log_driver: config::validate_log_driver(spec.log_driver.clone().unwrap_or_else(|| cfg.log_driver.clone()))?,
            runtime,
            runtime_path,
            cgroup_manager: cfg.cgroup_manager,
            cgroup_parent: spec.cgroup_parent.clone(),
            no_cgroups: spec.no_cgroups,
            secrets,
            auto_remove: spec.auto_remove,
            restart_policy: restart_policy(spec)?,
            restart_retries: spec.restart_retries,
            healthcheck: spec.healthcheck.clone(),
            resources: with_swap_default(spec.resources.clone()),
            network,
            networks,
            port_mappings: spec.port_mappings.clone(),
            mac_address: spec.mac_address.clone(),
            resolution: spec.resolution.clone(),
            mounts,
            ..Default::default()
        };
        run::apply(&spec.run, &mut config)?;
        if config.ipc_namespace == "host" && spec.shm_size.is_some() {
            return Err(Error::invalid_argument(
                "shmSize",
                "cannot set shmsize when running in the host IPC namespace",
            ));
        }
        if spec.rootfs.is_some() && config.args().first().is_none_or(|c| c.is_empty()) {
            return Err(Error::invalid_argument("command", "a container made from a rootfs needs a command"));
        }
        Ok(config)
    }
}

/// A cidFile is an absolute path that does not exist yet, in a directory
/// that does: podman refuses to overwrite another container's.
fn check_cid_file(path: Option<&Path>) -> Result<()> {
    let Some(path) = path else { return Ok(()) };
    let invalid = |why: &str| Err(Error::invalid_argument("cidFile", format!("{}: {why}", path.display())));
    if !path.is_absolute() {
        return invalid("not an absolute path");
    }
    if path.symlink_metadata().is_ok() {
        return invalid("the container ID file exists; another container may use it: remove it first");
    }
    if !path.parent().is_some_and(Path::is_dir) {
        return invalid("its directory does not exist");
    }
    Ok(())
}

/// A container is made from a rootfs or from an image, not both (one from
/// a rootfs needs a command; an image's is taken in the transaction).
fn check_source(spec: &CreateSpec) -> Result<()> {
    match (&spec.rootfs, &spec.image) {
        (Some(_), Some(_)) => Err(Error::invalid_argument("rootfs", "give either rootfs or image, not both")),
        (None, None) => Err(Error::invalid_argument("rootfs", "a container needs a rootfs or an image")),
        (None, Some(_)) => Ok(()),
        (Some(rootfs), None) => check_rootfs(rootfs),
    }
}

/// noCgroups needs a runtime that can do without, and no parent; a parent
/// must suit the cgroup manager.
fn check_cgroups(spec: &CreateSpec, runtime: &str, manager: config::CgroupManager) -> Result<()> {
    if spec.no_cgroups {
        if !runtime_supports_no_cgroups(runtime) {
            return Err(Error::invalid_argument(
                "noCgroups",
                format!("the OCI runtime {runtime} cannot run a container without cgroups; use crun"),
            ));
        }
        if spec.cgroup_parent.is_some() {
            return Err(Error::invalid_argument("cgroupParent", "cannot set a cgroup parent with noCgroups"));
        }
    }
    match &spec.cgroup_parent {
        Some(parent) => validate_cgroup_parent(manager, parent),
        None => Ok(()),
    }
}

/// A secret as the container will use it, podman's defaults filled in.
fn secret_use(s: &SecretUseSpec) -> Result<SecretUse> {
    names::validate_name(&s.name)?;
    let kind = match s.kind.as_deref() {
        None | Some("mount") => SecretKind::Mount,
        Some("env") => SecretKind::Env,
        Some(other) => {
            return Err(Error::invalid_argument("secrets", format!("type {other:?}: a secret is of type mount or env")))
        }
    };
    let target = s.target.clone().unwrap_or_else(|| s.name.clone());
    let valid_target = match kind {
        SecretKind::Env => !target.is_empty() && !target.contains('='),
        SecretKind::Mount => !target.is_empty() && !target.split('/').any(|p| p == ".."),
    };
    if !valid_target {
        return Err(Error::invalid_argument("secrets", format!("target {target:?} of secret {}", s.name)));
    }
    let env_only = |what: &str, set: bool| {
        if set && kind == SecretKind::Env {
            return Err(Error::invalid_argument("secrets", format!("{what} is only for a mounted secret")));
        }
        Ok(())
    };
    env_only("uid", s.uid.is_some())?;
    env_only("gid", s.gid.is_some())?;
    env_only("mode", s.mode.is_some())?;
    if s.mode.is_some_and(|m| m > 0o777) {
        return Err(Error::invalid_argument("secrets", format!("mode {:o} of secret {}", s.mode.unwrap_or(0), s.name)));
    }
    Ok(SecretUse {
        name: s.name.clone(),
        kind,
        target,
        uid: s.uid.unwrap_or(0),
        gid: s.gid.unwrap_or(0),
        mode: s.mode.unwrap_or(0o444),
    })
}

/// Step 2, inside the transaction. `made` collects directories to undo.
fn insert_container(
    tx: &Tx,
    root: &Path,
    manager: crate::config::CgroupManager,
    spec: CreateSpec,
    mut config: ContainerConfig,
    made: &mut Vec<PathBuf>,
) -> Result<(ContainerConfig, Vec<String>)> {
    let mut volume_specs = spec.volumes.clone();
    if let Some(reference) = &spec.image {
        // The image's VOLUMEs are anonymous volumes where the request
        // mounts nothing of its own, as podman makes them.
        let wanted = apply_image(tx, reference, spec.run.entrypoint.is_some(), &mut config)?;
        if spec.publish_all {
            publish_exposed(&mut config, &wanted.exposed_ports)?;
        }
        for path in wanted.volumes {
            let same = |d: &str| d.trim_end_matches('/') == path.trim_end_matches('/');
            if !volume_specs.iter().any(|v| same(&v.destination)) && !config.mounts.iter().any(|m| same(&m.destination))
            {
                volume_specs.push(VolumeSpec { name: None, destination: path, options: Vec::new() });
            }
        }
    }
    // After the image's HEALTHCHECK: "healthy" may wait on that.
    let socket = config.sd_notify_socket.as_deref();
    notify::check(config.sd_notify_mode, socket, config.healthcheck.is_some())?;
    let secret_ids = spec
        .secrets
        .iter()
        .map(|s| {
            tx.secret(&s.name)?
                .filter(|f| f.name == s.name)
                .map(|f| f.id)
                .ok_or_else(|| Error::NoSuchSecret(s.name.clone()))
        })
        .collect::<Result<Vec<_>>>()?;
    if let Some(pod) = &spec.pod {
        let pod_id = tx.resolve(Kind::Pod, pod)?;
        let pod = tx.pod(&pod_id)?.ok_or_else(|| Error::NoSuchPod(pod_id.clone()))?;
        if config.cgroup_parent.is_none() && !config.no_cgroups {
            config.cgroup_parent = pod.cgroup_path.clone().or(Some(pod.cgroup_parent.clone()));
        }
        join_pod_namespaces(&spec, &pod, &mut config)?;
        config.pod = Some(pod_id);
    }
    if config.cgroup_parent.is_none() && !config.no_cgroups {
        config.cgroup_parent = Some(manager.default_parent().to_string());
    }
    if spec.network.as_deref() == Some("pod") && config.pod.is_none() {
        return Err(Error::invalid_argument("network", "network \"pod\" is for a pod's members"));
    }
    let joined = spec.network.as_deref().and_then(|n| n.strip_prefix("container:")).map(str::to_string);
    if let Some(target) = &joined {
        if config.pod.is_some() {
            return Err(Error::invalid_argument("network", "a pod's member is in its pod's network namespace"));
        }
        config.network_container = Some(tx.resolve(Kind::Container, target)?);
    }
    for dep in spec.depends_on.iter().chain(&joined) {
        let id = tx.resolve(Kind::Container, dep)?;
        // As libpod's state: a dependency lives in the same pod, or
        // neither is in one.
        let dep_pod = tx.container_identity(&id)?.and_then(|(_, pod, _)| pod);
        if dep_pod != config.pod {
            let reason = match (&config.pod, &dep_pod) {
                (Some(_), _) => format!("{dep} is not in the container's pod"),
                (None, _) => format!("{dep} is in a pod, and the container is not"),
            };
            return Err(Error::invalid_argument("dependsOn", reason));
        }
        if !config.depends_on.contains(&id) {
            config.depends_on.push(id);
        }
    }
    for m in config.mounts.iter_mut().filter(|m| m.kind == crate::model::container::mount::MountKind::Image) {
        let reference = m.source.clone().unwrap_or_default();
        m.image_id = Some(tx.resolve_image(&reference)?.id);
    }
    config.name = claim_name(tx, spec.name)?;
    config.id = loop {
        let id = names::new_id();
        if !tx.id_in_use(&id)? {
            break id;
        }
    };
    config.created_nanos = now_nanos();
    let (volumes, new_volumes) = attach_volumes(tx, root, &volume_specs, config.created_nanos, made)?;
    config.volumes = volumes;
    inherit_from_infra(tx, &mut config)?;
    tx.insert_container(NewContainer { config: &config, status: &ContainerStatus::new() })?;
    check_address(config.network, spec.ip.as_deref(), spec.mac_address.as_deref())?;
    join_networks(tx, &config, &spec.network_aliases, spec.ip.as_deref())?;
    for secret in secret_ids {
        tx.add_container_secret(&config.id, &secret)?;
    }
    Ok((config, new_volumes))
}

/// podman's --ip and --mac-address: on a bridge network, well formed.
pub(super) fn check_address(network: Network, ip: Option<&str>, mac: Option<&str>) -> Result<()> {
    if ip.is_some() && network != Network::Bridge {
        return Err(Error::invalid_argument("ip", "a static address needs a bridge network"));
    }
    if let Some(mac) = mac {
        if network != Network::Bridge {
            return Err(Error::invalid_argument("macAddress", "a MAC address needs a bridge network"));
        }
        crate::model::container::resolution::check_mac(mac)?;
    }
    Ok(())
}

/// podman's infra inheritance: a pod member gets its infra container's
/// volumes (but where it mounts something of its own) and devices; one
/// that joins a UTS namespace that is the host's is in the host's.
fn inherit_from_infra(tx: &Tx, config: &mut ContainerConfig) -> Result<()> {
    let Some(pod) = config.pod.as_deref().map(|p| tx.pod(p)).transpose()?.flatten() else { return Ok(()) };
    let Some(record) = pod.infra_id.as_deref().map(|i| tx.container(i)).transpose()?.flatten() else { return Ok(()) };
    let infra = record.config()?;
    if pod.shares("net") && !config.own_network && config.resolution.is_empty() {
        // Its /etc/hosts and resolv.conf are written as the infra's are.
        config.resolution = infra.resolution.clone();
    }
    if pod.shares("uts") && infra.uts_namespace == "host" {
        config.uts_namespace = "host".into();
        config.hostname = None;
    }
    if config.seccomp_profile.is_none() {
        config.seccomp_profile = infra.seccomp_profile.clone();
    }
    for v in &infra.volumes {
        if !config.volumes.iter().any(|m| m.destination == v.destination) {
            config.volumes.push(MountedVolume { anonymous: false, ..v.clone() });
        }
    }
    for d in &infra.devices {
        if !config.devices.iter().any(|m| m.path_in_container == d.path_in_container) {
            config.devices.push(d.clone());
        }
    }
    Ok(())
}

/// A member that joins its pod's UTS namespace has the pod's hostname
/// and may not set its own; one that joins its network may not ask for
/// another (podman's rules).
fn join_pod_namespaces(
    spec: &CreateSpec,
    pod: &crate::model::pod::PodConfig,
    config: &mut ContainerConfig,
) -> Result<()> {
    if pod.shares("uts") {
        if spec.run.hostname.is_some() {
            return Err(Error::invalid_argument(
                "hostname",
                "invalid config provided: cannot set hostname when joining the pod UTS namespace",
            ));
        }
        config.hostname = super::pods::pod_hostname(pod);
    }
    // podman's: a member that names a network gets its own namespace on it
    // rather than the pod's.
    config.own_network = pod.shares("net") && spec.network.as_deref().is_some_and(|n| n != "pod");
    let own_network = !spec.port_mappings.is_empty()
        || spec.publish_all
        || !spec.networks.is_empty()
        || spec.ip.is_some()
        || spec.mac_address.is_some();
    if pod.shares("net") && own_network && !config.own_network {
        return Err(Error::invalid_argument(
            "portMappings",
            "invalid config provided: published or exposed ports must be defined when the pod is created: \
             network cannot be configured when it is shared with a pod",
        ));
    }
    if pod.shares("net") && !config.own_network {
        // The default network is the infra container's, not its own.
        config.network = Network::Private;
        config.networks.clear();
    }
    if pod.shares("ipc") && spec.run.ipc_namespace.as_deref().is_some_and(|m| m != "private") {
        return Err(Error::invalid_argument(
            "ipc",
            "invalid config provided: cannot set an IPC namespace when joining the pod's IPC namespace",
        ));
    }
    Ok(())
}

/// What an image asks for besides how to run: volumes (absolute paths)
/// and the ports it serves (`PORT[/PROTOCOL]`, for -P).
pub(super) struct ImageWants {
    pub volumes: Vec<String>,
    pub exposed_ports: Vec<String>,
}

/// Take what the image says about running it: the ID, its entrypoint
/// (unless one was given, which also drops the image's command, as
/// podman's --entrypoint does), its command unless one was given,
/// environment (less what unsetEnv names), working directory and user;
/// what the request gave wins. Returns what else it asks for.
pub(super) fn apply_image(
    tx: &Tx,
    reference: &str,
    own_entrypoint: bool,
    config: &mut ContainerConfig,
) -> Result<ImageWants> {
    let image = tx.resolve_image(reference)?;
    // The name as stored (`x` is `x:latest`), as podman's ImageName; an ID
    // stays as given.
    let named = crate::model::image::normalize(reference);
    if image.names.contains(&named) {
        config.image = Some(named);
    }
    let id = image.id;
    config.image_digest = image.digest;
    let run = image.config.config;
    if !own_entrypoint {
        config.entrypoint = run.entrypoint.unwrap_or_default();
        if config.command.is_empty() {
            config.command = run.cmd.unwrap_or_default();
        }
    }
    if config.args().first().is_none_or(|c| c.is_empty()) {
        return Err(Error::invalid_argument("command", format!("image {reference} has no command; give one")));
    }
    let mut env: BTreeMap<String, String> = run
        .env
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e.split_once('='))
        .filter(|(k, _)| !config.unset_env_all && !config.unset_env.iter().any(|u| u == k))
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    env.extend(std::mem::take(&mut config.env));
    config.image_id = Some(id);
    config.env = env;
    if config.workdir.is_none() {
        config.workdir = run.working_dir.filter(|w| !w.is_empty());
        config.create_workdir = config.workdir.is_some();
    }
    if config.user.is_none() {
        config.user = run.user.filter(|u| !u.is_empty());
    }
    if config.healthcheck.is_none() {
        config.healthcheck = run.healthcheck.as_ref().map(|h| h.to_config()).transpose()?.flatten();
    }
    Ok(ImageWants {
        volumes: run.volumes.unwrap_or_default().into_keys().filter(|v| v.starts_with('/')).collect(),
        exposed_ports: run.exposed_ports.unwrap_or_default().into_keys().collect(),
    })
}

/// The asked-for name if free, else a generated one that is.
pub(super) fn claim_name(tx: &Tx, wanted: Option<String>) -> Result<String> {
    if let Some(name) = wanted {
        if tx.name_in_use(&name)? {
            return Err(Error::NameInUse(name));
        }
        return Ok(name);
    }
    for _ in 0..NAME_ATTEMPTS {
        let name = names::generate_name();
        if !tx.name_in_use(&name)? {
            return Ok(name);
        }
    }
    Err(Error::Runtime("could not generate a free name; give one".into()))
}

/// Resolve volume mounts: existing named volumes are used, missing named ones
/// and anonymous ones are created (and returned by name).
pub(super) fn attach_volumes(
    tx: &Tx,
    root: &Path,
    specs: &[VolumeSpec],
    created_nanos: i64,
    made: &mut Vec<PathBuf>,
) -> Result<(Vec<MountedVolume>, Vec<String>)> {
    let mut mounts = Vec::with_capacity(specs.len());
    let mut created = Vec::new();
    for spec in specs {
        let anonymous = spec.name.is_none();
        let name = spec.name.clone().unwrap_or_else(names::new_id);
        // --mount's volume-opt=KEY=VALUE: the options of a volume it makes
        // (as volume create's --opt), not of the mount.
        let (driver, options): (Vec<&String>, Vec<&String>) =
            spec.options.iter().partition(|o| o.starts_with("volume-opt="));
        if tx.volume(&name)?.is_none() {
            let driver_options: BTreeMap<String, String> = driver
                .iter()
                .filter_map(|o| o.strip_prefix("volume-opt=")?.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            crate::model::volume::owner(&driver_options)?;
            let blank = VolumeConfig {
                name: name.clone(),
                anonymous,
                created_nanos,
                options: driver_options,
                ..Default::default()
            };
            let volume = new_volume(root, blank, made)?;
            tx.insert_volume(&volume)?;
            created.push(name.clone());
        }
        mounts.push(MountedVolume {
            name,
            destination: spec.destination.clone(),
            options: options.into_iter().cloned().collect(),
            anonymous,
        });
    }
    Ok((mounts, created))
}

/// Make a volume's directory (owned as its options say) and its record
/// (not yet inserted). `volume` has all but the mount point.
pub(super) fn new_volume(root: &Path, mut volume: VolumeConfig, made: &mut Vec<PathBuf>) -> Result<VolumeConfig> {
    let (uid, gid) = crate::model::volume::owner(&volume.options)?;
    let dir = root.join("volumes").join(&volume.name);
    let data = dir.join("_data");
    std::fs::create_dir_all(&data).map_err(|e| Error::storage(data.display(), e))?;
    made.push(dir);
    std::os::unix::fs::chown(&data, uid, gid).map_err(|e| Error::storage(data.display(), e))?;
    volume.mountpoint = data;
    Ok(volume)
}

fn check_rootfs(rootfs: &Path) -> Result<()> {
    if !rootfs.is_absolute() {
        return Err(Error::invalid_argument("rootfs", format!("{} is not an absolute path", rootfs.display())));
    }
    if !rootfs.is_dir() {
        return Err(Error::invalid_argument("rootfs", format!("{} is not a directory", rootfs.display())));
    }
    Ok(())
}

fn check_map(field: &str, map: &BTreeMap<String, String>, key_ok: impl Fn(&str) -> bool) -> Result<()> {
    match map.keys().find(|k| k.is_empty() || !key_ok(k)) {
        Some(k) => Err(Error::invalid_argument(field, format!("{k:?} is not a valid key"))),
        None => Ok(()),
    }
}

/// The network a container asks for: podman's --network (none, host,
/// bridge for the default network, or a network's name) and --network's
/// further networks; published ports alone ask for the default network.
fn network_mode(spec: &CreateSpec, default: &str) -> Result<(Network, Vec<String>)> {
    let (mode, names) = choose_networks(spec.network.as_deref(), &spec.networks, &spec.port_mappings, default)?;
    match (spec.publish_all, mode, spec.network.as_deref()) {
        // -P alone asks for the default network, as -p does.
        (true, Network::Private, None | Some("")) => {
            Ok((Network::Bridge, vec![crate::model::network::DEFAULT_NETWORK.to_string()]))
        }
        (true, Network::Private | Network::Host, _) => {
            Err(Error::invalid_argument("publishAll", "published ports need a bridge network"))
        }
        _ => Ok((mode, names)),
    }
}

/// The first port an ordinary user may listen on.
fn first_unprivileged_port() -> u16 {
    let setting = std::fs::read_to_string("/proc/sys/net/ipv4/ip_unprivileged_port_start");
    setting.ok().and_then(|s| s.trim().parse().ok()).unwrap_or(1024)
}

/// podman's -P: each port the image exposes that is not published yet, at
/// a host port free now (the kernel's pick for a port-0 bind).
fn publish_exposed(config: &mut ContainerConfig, exposed: &[String]) -> Result<()> {
    use crate::model::container::PortMapping;
    for entry in exposed {
        let (port, protocol) = entry.split_once('/').unwrap_or((entry, "tcp"));
        let Ok(container_port) = port.parse::<u16>() else { continue };
        if config.port_mappings.iter().any(|p| p.container_port == container_port && p.protocol == protocol) {
            continue;
        }
        let any = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
        let host_port = match protocol {
            "udp" => std::net::UdpSocket::bind(any).and_then(|s| s.local_addr()),
            _ => std::net::TcpListener::bind(any).and_then(|s| s.local_addr()),
        }
        .map_err(|e| Error::Runtime(format!("finding a free host port: {e}")))?
        .port();
        let mapping =
            PortMapping { host_ip: String::new(), host_port, container_port, protocol: protocol.into(), range: 1 };
        config.port_mappings.push(mapping);
    }
    Ok(())
}

/// The network mode and networks of `network`, `networks` and `ports` as
/// create (and a pod's infra container) takes them; `default` (berth.conf's
/// netns) when they name nothing.
pub(super) fn choose_networks(
    network: Option<&str>,
    networks: &[String],
    ports: &[crate::model::container::PortMapping],
    default: &str,
) -> Result<(Network, Vec<String>)> {
    use crate::model::network::DEFAULT_NETWORK;
    let mut names = networks.to_vec();
    let network = match network {
        // Published ports alone ask for a bridge, or pasta where that is
        // the default (a user's berthd).
        None | Some("") if names.is_empty() && (ports.is_empty() || default == "pasta") => Some(default),
        other => other,
    };
    let mode = match network {
        None | Some("") => Network::Bridge,
        // berth's contract: "private" is "none", loopback alone.
        Some("none" | "private") => Network::Private,
        Some("bridge") => {
            names.insert(0, DEFAULT_NETWORK.to_string());
            Network::Bridge
        }
        // Joined at start (network_container); its own namespace is never made.
        Some(target) if target.starts_with("container:") => Network::Private,
        // A pod member in its pod's namespace (checked with the pod).
        Some("pod") => Network::Private,
        Some("host") => Network::Host,
        Some("pasta") => Network::Pasta,
        Some(name) => {
            names.insert(0, name.to_string());
            Network::Bridge
        }
    };
    if let Some(p) = ports.iter().find(|p| mode == Network::Pasta && p.protocol == "sctp") {
        return Err(Error::invalid_argument(
            "portMappings",
            format!("pasta publishes tcp and udp ports, not sctp port {}", p.host_port),
        ));
    }
    if mode == Network::Bridge && crate::rootless::owner().is_some() {
        return Err(Error::invalid_argument(
            "network",
            format!(
                "a user's containers cannot join bridge networks ({}), which need the host's root: use pasta",
                names.join(", ")
            ),
        ));
    }
    if mode != Network::Bridge && (!names.is_empty() || !(ports.is_empty() || mode == Network::Pasta)) {
        return Err(Error::invalid_argument(
            "network",
            format!("{:?} has no networks to join or publish ports on", network.unwrap_or_default()),
        ));
    }
    if mode == Network::Bridge && names.is_empty() {
        names.push(DEFAULT_NETWORK.to_string());
    }
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
    for p in ports {
        p.check()?;
        if crate::rootless::owner().is_some() {
            p.check_unprivileged(first_unprivileged_port())?;
        }
    }
    if let Some((a, b)) =
        ports.iter().enumerate().find_map(|(i, a)| ports[i + 1..].iter().find(|b| a.collides(b)).map(|b| (a, b)))
    {
        return Err(Error::invalid_argument(
            "portMappings",
            format!(
                "conflicting port mappings for host port {} (protocol {})",
                a.host_port.max(b.host_port),
                a.protocol
            ),
        ));
    }
    Ok((mode, names))
}

/// A place on each of the container's networks: the lowest free address
/// of each network's subnet.
pub(super) fn join_networks(
    tx: &Tx,
    config: &ContainerConfig,
    aliases: &[String],
    static_ip: Option<&str>,
) -> Result<()> {
    use crate::model::network::{free_address, Subnet};
    for (i, name) in config.networks.iter().enumerate() {
        let network = tx.network(name)?.ok_or_else(|| Error::NoSuchNetwork(name.clone()))?;
        let subnet = Subnet::parse(&network.subnet)?;
        let gateway = network.gateway.parse().map_err(|_| Error::Storage(format!("network {name}: bad gateway")))?;
        let ip = match static_ip.filter(|_| i == 0) {
            // podman's --ip: on the first network.
            Some(asked) => {
                let bad = |why: String| Error::invalid_argument("ip", why);
                let ip: std::net::Ipv4Addr =
                    asked.parse().map_err(|_| bad(format!("{asked:?} is not an IPv4 address")))?;
                if !subnet.contains(ip) || ip == gateway || ip == subnet.address {
                    return Err(bad(format!(
                        "requested ip address {ip} is not a host address of {subnet} (network {name})"
                    )));
                }
                if let Some(holder) = tx.address_holder(&network.name, &ip.to_string())? {
                    return Err(bad(format!(
                        "requested ip address {ip} is already allocated to container ID {holder}"
                    )));
                }
                ip
            }
            None => {
                let taken: Vec<std::net::Ipv4Addr> =
                    tx.network_addresses(&network.name)?.iter().filter_map(|a| a.parse().ok()).collect();
                free_address(&subnet, gateway, &taken).ok_or_else(|| {
                    Error::invalid_argument("network", format!("network {name} has no free address left in {subnet}"))
                })?
            }
        };
        let attachment = crate::db::Attachment { network: network.name, ip: ip.to_string(), aliases: aliases.to_vec() };
        tx.attach(&config.id, &attachment)?;
    }
    Ok(())
}

/// Host directories and tmpfs mounts, checked and in the runtime's form;
/// no two mounts, volumes included, at one destination.
fn check_mounts(volumes: &[VolumeSpec], mounts: &[HostMount]) -> Result<Vec<HostMount>> {
    let mounts = mounts.iter().map(crate::model::container::mount::check).collect::<Result<Vec<_>>>()?;
    let mut seen: std::collections::HashSet<&str> =
        volumes.iter().map(|v| v.destination.trim_end_matches('/')).collect();
    for m in &mounts {
        if !seen.insert(m.destination.trim_end_matches('/')) {
            return Err(Error::invalid_argument("mounts", format!("{} is mounted twice", m.destination)));
        }
    }
    Ok(mounts)
}

pub(super) fn check_volumes(volumes: &[VolumeSpec]) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for v in volumes {
        if !v.destination.starts_with('/') {
            return Err(Error::invalid_argument(
                "volumes",
                format!("destination {:?} is not an absolute path", v.destination),
            ));
        }
        if !seen.insert(v.destination.trim_end_matches('/')) {
            return Err(Error::invalid_argument("volumes", format!("{} is mounted twice", v.destination)));
        }
        if let Some(name) = &v.name {
            names::validate_volume_name(name)?;
        }
        let layered = |o: &str| {
            o == "O" || o.starts_with("upperdir=") || o.starts_with("workdir=") || o.starts_with("volume-opt=")
        };
        if let Some(bad) = v.options.iter().find(|o| !VOLUME_OPTIONS.contains(&o.as_str()) && !layered(o)) {
            return Err(Error::invalid_argument(
                "volumes",
                format!("unknown mount option {bad:?} for {}", v.destination),
            ));
        }
        crate::model::container::volume_overlay(&v.options)
            .map_err(|why| Error::invalid_argument("volumes", format!("{}: {why}", v.destination)))?;
    }
    Ok(())
}

/// Podman's swap default: with a memory limit and no swap limit, as much
/// swap again.
fn with_swap_default(mut r: Resources) -> Resources {
    if let (Some(memory), None) = (r.memory_max, r.memory_swap) {
        r.memory_swap = Some(memory.saturating_mul(2) as i64);
    }
    r
}

pub(super) fn check_resources(r: &Resources) -> Result<()> {
    if r.memory_max == Some(0) {
        return Err(Error::invalid_argument("resources.memoryMax", "must be more than zero"));
    }
    if let Some(swap) = r.memory_swap.filter(|s| *s != -1) {
        if swap < 0 || r.memory_max.is_none_or(|m| (swap as u64) < m) {
            return Err(Error::invalid_argument(
                "resources.memorySwap",
                "must be -1, or at least memoryMax (it counts memory and swap together)",
            ));
        }
    }
    if r.nano_cpus == Some(0) {
        return Err(Error::invalid_argument("resources.nanoCpus", "must be more than zero"));
    }
    if let Some(list) = &r.cpuset_cpus {
        crate::model::container::parse_cpuset(list).map_err(|e| Error::invalid_argument("resources.cpusetCpus", e))?;
    }
    if r.pids_max == Some(0) {
        return Err(Error::invalid_argument("resources.pidsMax", "must be more than zero"));
    }
    if let Some(w) = r.cpu_weight {
        if !(1..=10000).contains(&w) {
            return Err(Error::invalid_argument("resources.cpuWeight", format!("{w} is outside 1..10000")));
        }
    }
    Ok(())
}

/// "" (the host's), "local", or a zone in the host's zoneinfo database.
fn check_timezone(tz: &str) -> Result<()> {
    if tz.is_empty() || tz == "local" {
        return Ok(());
    }
    let valid = !tz.starts_with('/') && !tz.split('/').any(|p| p == ".." || p.is_empty());
    if valid && Path::new("/usr/share/zoneinfo").join(tz).is_file() {
        Ok(())
    } else {
        Err(Error::invalid_argument("timezone", format!("{tz:?} is not a known time zone")))
    }
}

/// The restart policy asked for, checked: retries only with on-failure,
/// and none with autoRemove (podman's rule: --rm conflicts with --restart).
fn restart_policy(spec: &CreateSpec) -> Result<RestartPolicy> {
    let policy = RestartPolicy::parse(spec.restart_policy.as_deref().unwrap_or(""))?;
    policy.check_retries(spec.restart_retries)?;
    if spec.auto_remove && policy != RestartPolicy::No {
        return Err(Error::invalid_argument(
            "restartPolicy",
            format!(
                "{} conflicts with autoRemove: a container removed at its exit cannot be restarted",
                policy.as_str()
            ),
        ));
    }
    Ok(policy)
}
