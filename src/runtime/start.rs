//! Init, start and restart: libpod's `Container.Init`, `Start` and `Restart`
//! (container_api.go, container_internal.go).
//!
//! Init: write the bundle (config.json from the stored configuration, hosts,
//! hostname, resolv.conf, secret copies), clear what an earlier run left in
//! the runtime, and have conmon create the container: state `created`.
//! Start: init first when needed, then `<runtime> start`: state `running`.
//! Restart: stop when running, then start.

use super::units;
use super::{blocking, in_oci, Runtime};
use crate::error::{Error, Result};
use crate::events::{now_nanos, Event};
use crate::model::container::{ContainerConfig, ContainerStatus, SecretKind, State};
use crate::oci::conmon::Launch;
use crate::oci::spec::{self, HostFiles};
use std::path::{Path, PathBuf};

impl Runtime {
    pub async fn init_container(&self, name_or_id: &str) -> Result<String> {
        let id = self.lookup_container_id(name_or_id).await?;
        let _lock = self.locks.lock(&id).await;
        let (config, status) = self.load_container(&id).await?;
        status.state.can_init(&id)?;
        self.reset_restarts(&id).await?;
        self.init_locked(&config).await?;
        Ok(id)
    }

    pub async fn start_container(&self, name_or_id: &str) -> Result<String> {
        let id = self.lookup_container_id(name_or_id).await?;
        let _lock = self.locks.lock(&id).await;
        let (config, status) = self.load_container(&id).await?;
        status.state.can_start(&id)?;
        self.reset_restarts(&id).await?;
        if status.state != State::Created {
            self.init_locked(&config).await?;
        }
        self.start_locked(&config).await?;
        Ok(id)
    }

    pub async fn restart_container(&self, name_or_id: &str, timeout: Option<u32>) -> Result<String> {
        let id = self.lookup_container_id(name_or_id).await?;
        let _lock = self.locks.lock(&id).await;
        let (config, status) = self.load_container(&id).await?;
        if status.state == State::Paused {
            return Err(status.state.invalid(&id, "unpause the container before restarting it"));
        }
        if status.state.in_runtime() {
            self.stop_locked(&config, timeout.unwrap_or(config.stop_timeout)).await?;
        }
        self.reset_restarts(&id).await?;
        self.init_locked(&config).await?;
        self.start_locked(&config).await?;
        self.events.emit(Event::for_container("restart", &config));
        Ok(id)
    }

    /// What a pod's container shares: for a member of a pod that shares
    /// namespaces, its infra container (started first when it is not
    /// running, as podman does) and the namespaces to join; for any
    /// container of a pod sharing its IPC namespace, the pod's /dev/shm
    /// (see storage::shm) and its size.
    async fn pod_sharing(&self, c: &ContainerConfig) -> Result<(Option<spec::JoinedInfra>, Option<(PathBuf, u64)>)> {
        if let Some(target) = &c.network_container {
            // podman's --network container:ID: that container's namespace,
            // started first if it is not running.
            let pid = self.running_pid(target).await?;
            return Ok((Some(spec::JoinedInfra { pid, namespaces: vec!["net".into()] }), None));
        }
        let Some(pod_id) = c.pod.as_deref() else { return Ok((None, None)) };
        let pod = self.db.read(|tx| tx.pod(pod_id)).await?.ok_or_else(|| Error::NoSuchPod(pod_id.to_string()))?;
        let size = pod.shm_size.unwrap_or(self.config.shm_size);
        let shm = pod.shares("ipc").then(|| (self.pod_run_dir(pod_id).join("shm"), size));
        Ok((self.infra_to_join(c, pod).await?, shm))
    }

    async fn infra_to_join(
        &self,
        c: &ContainerConfig,
        pod: crate::model::pod::PodConfig,
    ) -> Result<Option<spec::JoinedInfra>> {
        let infra = match pod.infra_id {
            Some(infra) if !c.is_infra && !pod.shared_namespaces.is_empty() => infra,
            _ => return Ok(None),
        };
        let pid = self.running_pid(&infra).await?;
        let mut namespaces = pod.shared_namespaces;
        // A member with a network of its own keeps its own namespace for it.
        namespaces.retain(|ns| !(c.own_network && ns == "net"));
        Ok(Some(spec::JoinedInfra { pid, namespaces }))
    }

    /// For each of its mounts, the layer directories of the image it
    /// mounts, topmost first (none for other mounts).
    async fn image_mount_lowers(&self, c: &ContainerConfig) -> Result<Vec<Vec<PathBuf>>> {
        let mut lowers = Vec::with_capacity(c.mounts.len());
        for m in &c.mounts {
            lowers.push(match &m.image_id {
                Some(id) => self.layer_dirs(&self.lookup_image(id).await?)?,
                None => Vec::new(),
            });
        }
        Ok(lowers)
    }

    /// The PID of a container whose namespaces another joins, started
    /// first if it does not run.
    async fn running_pid(&self, id: &str) -> Result<i32> {
        let (_, status) = self.load_container(id).await?;
        if !matches!(status.state, State::Running | State::Paused) {
            Box::pin(self.start_container(id)).await?;
        }
        let (_, status) = self.load_container(id).await?;
        status.pid.ok_or_else(|| Error::Runtime(format!("container {id}, whose namespaces it joins, has no process")))
    }

    /// The values of a container's secrets, in its configuration's order.
    async fn secret_values(&self, c: &ContainerConfig) -> Result<Vec<Vec<u8>>> {
        if c.secrets.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<String> = c.secrets.iter().map(|s| s.name.clone()).collect();
        self.db
            .read(move |tx| {
                names.iter().map(|n| tx.secret_data(n)?.ok_or_else(|| Error::NoSuchSecret(n.clone()))).collect()
            })
            .await
    }

    /// A container's readable configuration and its status.
    pub(super) async fn load_container(&self, id: &str) -> Result<(ContainerConfig, ContainerStatus)> {
        self.db
            .read(|tx| {
                let record = tx.container(id)?.ok_or_else(|| Error::NoSuchContainer(id.to_string()))?;
                Ok((record.config()?.clone(), record.status))
            })
            .await
    }

    /// What a failed init leaves: the root mount, any unit, its networks,
    /// and its intent.
    async fn undo_init(&self, c: &ContainerConfig) {
        self.teardown_networks(c).await;
        if let Err(e) = self.unmount_rootfs(&c.id, false).await {
            tracing::warn!(id = c.id.as_str(), "unmounting after a failed init: {e}");
        }
        self.release_units(c).await;
        self.release_typed_volumes(c).await;
        if let Err(e) = self.db.write(|tx| tx.set_container_initializing(&c.id, false)).await {
            tracing::warn!(id = c.id.as_str(), "clearing an init's intent (the next start does): {e}");
        }
    }

    pub(super) async fn set_status(&self, id: &str, status: ContainerStatus) -> Result<()> {
        self.db.write(|tx| tx.set_container_status(id, &status)).await
    }

    /// Write the bundle and have conmon create the container (`created`).
    pub(super) async fn init_locked(&self, c: &ContainerConfig) -> Result<()> {
        let conmon = self.conmon.clone().ok_or_else(|| Error::RuntimeNotAvailable("conmon".into()))?;
        // The intent first: a crash from here until the status is recorded
        // leaves a mark that the next start finds (see leftovers.rs).
        self.db.write(|tx| tx.set_container_initializing(&c.id, true)).await?;
        crate::fault::crash_point("init.intent");
        let pid = match self.create_in_runtime(c, conmon).await {
            Ok(pid) => pid,
            Err(e) => {
                self.undo_init(c).await;
                return Err(e);
            }
        };
        crate::fault::crash_point("init.created");
        let status = ContainerStatus {
            state: State::Created,
            exit_code: None,
            pid: Some(pid),
            started_at: None,
            finished_at: None,
        };
        self.set_status(&c.id, status).await?;
        self.events.emit(Event::for_container("init", c));
        Ok(())
    }

    /// Mount the root, write the bundle, start conmon, put it into its
    /// scope (under systemd, before it may create the container, so that
    /// the runtime and all they fork start there), let it create the
    /// container, and give the container its own scope: the container's PID.
    async fn create_in_runtime(&self, c: &ContainerConfig, conmon: PathBuf) -> Result<i32> {
        let (network, pending) = match self.prepare_networks(c).await? {
            Some((joined, pending)) => (Some(joined), pending),
            None => (None, None),
        };
        // netavark sets the namespace up while the runtime creates the
        // container, which joins it by path; it is done before the
        // container's process may start (and before any failure is
        // answered, so that the undoing teardown comes after it).
        let setup = pending.map(|p| tokio::task::spawn_blocking(move || p.run()));
        let created = self.create_with_network(c, conmon, network).await;
        let set_up = match setup {
            Some(task) => task.await.unwrap_or_else(|e| Err(Error::Runtime(format!("netavark setup: {e}")))),
            None => Ok(()),
        };
        match (created, set_up) {
            (Ok(pid), Ok(())) => Ok(pid),
            (Ok(_), Err(e)) => {
                let (runc, id) = (self.runc_for(c), c.id.clone());
                let _ = in_oci(move || runc.delete(&id)).await;
                Err(e)
            }
            (Err(e), _) => Err(e),
        }
    }

    async fn create_with_network(
        &self,
        c: &ContainerConfig,
        conmon: PathBuf,
        network: Option<super::network_setup::Joined>,
    ) -> Result<i32> {
        let systemd = if Self::uses_units(c) { Some(self.systemd().await?) } else { None };
        let rootfs = self.mount_rootfs(c).await?;
        self.mount_typed_volumes(c).await?;
        let paths = self.oci_paths(&c.id);
        let runc = self.runc_for(c);
        let volume_dirs: Vec<PathBuf> = c.volumes.iter().map(|v| self.volume_dir(&v.name).join("_data")).collect();
        let (exits_dir, sockets_dir) = (self.exits_dir(), self.config.run_root.join("sockets"));
        let (exit_command, log_size_max) = (self.config.exit_command(), c.log_size_max.or(self.config.log_size_max));
        let secrets = self.secret_values(c).await?;
        let (joined, shm) = self.pod_sharing(c).await?;
        let image_lowers = self.image_mount_lowers(c).await?;
        let init = if c.init { Some(self.config.init_path.clone()) } else { None };
        let config = c.clone();
        let waiting = blocking(move || {
            copy_up_volumes(&config, &rootfs, &volume_dirs)?;
            chown_mounts(&config, &rootfs, &volume_dirs)?;
            check_workdir(&config, &rootfs)?;
            if let Some((dir, size)) = &shm {
                crate::storage::shm::mount(dir, *size)?;
            }
            let shm = shm.map(|(dir, _)| dir);
            let extra = Provided { volume_dirs, secrets, init, joined, shm, network, image_lowers };
            write_bundle(&paths.bundle, &config, &rootfs, extra)?;
            // What an earlier run of this container may have left behind
            // (delete asks the runtime only when it holds something).
            let _ = std::fs::remove_file(&paths.exit_file);
            runc.delete(&config.id)?;
            let launch = Launch {
                conmon: &conmon,
                runtime: &runc,
                id: &config.id,
                name: &config.name,
                paths: &paths,
                log_driver: &config.log_driver,
                log_size_max,
                exits_dir: &exits_dir,
                sockets_dir: &sockets_dir,
                no_cgroups: config.no_cgroups,
                exit_command: exit_command.as_deref(),
                timeout: config.timeout,
                terminal: config.terminal,
                stdin: config.stdin,
                sdnotify_socket: config.sd_notify_socket.as_deref().filter(|_| relays_notify(&config)),
            };
            Ok(launch.spawn_waiting()?)
        })
        .await?;
        if let Some(systemd) = &systemd {
            // An error drops `waiting`, which kills conmon.
            systemd.start_scope(units::conmon_scope_of(c, waiting.pid())).await?;
        }
        let pid = in_oci(move || waiting.create()).await?;
        if let Some(file) = &c.conmon_pid_file {
            // conmon's own file has the PID of the conmon that stays (it
            // forks away from the one spawned).
            let conmon_pid = std::fs::read_to_string(self.oci_paths(&c.id).conmon_pidfile()).unwrap_or_default();
            // The container runs by now: a file that cannot be written is
            // reported, not a failed start.
            if let Err(e) = std::fs::write(file, conmon_pid.trim()) {
                tracing::warn!(id = c.id.as_str(), "writing conmon's PID to {file}: {e}");
            }
        }
        if systemd.is_some() {
            if let Err(e) = self.start_container_scope(c, pid).await {
                let (runc, id) = (self.runc_for(c), c.id.clone());
                let _ = in_oci(move || runc.delete(&id)).await;
                return Err(e);
            }
        }
        Ok(pid)
    }

    /// Start a created container (`running`; see `Runc::start`).
    pub(super) async fn start_locked(&self, c: &ContainerConfig) -> Result<()> {
        let runc = self.runc_for(c);
        let id = c.id.clone();
        let (_, mut status) = self.load_container(&c.id).await?;
        let init_pid = status.pid;
        if let Err(e) = in_oci(move || runc.start(&id, init_pid)).await {
            // Leave nothing half-started: kill what the runtime created.
            let _ = self.stop_locked(c, 0).await;
            return Err(e);
        }
        crate::fault::crash_point("start.released");
        status.state = State::Running;
        status.started_at = Some(now_nanos());
        self.set_status(&c.id, status).await?;
        if let Some(pid) = init_pid {
            self.register_machine(c, pid).await;
        }
        self.begin_health(c).await?;
        self.events.emit(Event::for_container("start", c));
        Ok(())
    }
}

/// What a start puts into the container besides its root: its volumes'
/// directories, its secrets' values (in the order of its configuration)
/// and the init binary.
struct Provided {
    volume_dirs: Vec<PathBuf>,
    secrets: Vec<Vec<u8>>,
    init: Option<PathBuf>,
    joined: Option<spec::JoinedInfra>,
    shm: Option<PathBuf>,
    network: Option<super::network_setup::Joined>,
    /// Per mount, the layers of the image it mounts (none for the others).
    image_lowers: Vec<Vec<PathBuf>>,
}

/// podman's U (and --mount's U=true, chown=true): what a bind or a volume
/// shows is given to the container's user, all of it, on the host.
fn chown_mounts(config: &ContainerConfig, rootfs: &Path, volume_dirs: &[PathBuf]) -> Result<()> {
    let binds = config.mounts.iter().filter(|m| m.chown && m.kind == crate::model::container::mount::MountKind::Bind);
    let volumes = config.volumes.iter().zip(volume_dirs).filter(|(v, _)| v.options.iter().any(|o| o == "U"));
    let dirs: Vec<PathBuf> = binds
        .filter_map(|m| m.source.as_deref().map(PathBuf::from))
        .chain(volumes.map(|(_, dir)| dir.clone()))
        .collect();
    if dirs.is_empty() {
        return Ok(());
    }
    let (uid, gid) = spec::user_ids(config, rootfs)?;
    dirs.iter().try_for_each(|d| chown_tree(d, uid, gid).map_err(|e| Error::storage(d.display(), e)))
}

/// lchown a directory and everything under it (not following links).
fn chown_tree(path: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
    if path.symlink_metadata()?.is_dir() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path(), uid, gid)?;
        }
    }
    Ok(())
}

/// The upper and work directories of the volumes mounted with `:O`.
fn volume_layers(bundle: &Path, config: &ContainerConfig, dirs: &[PathBuf]) -> Result<Vec<Option<(PathBuf, PathBuf)>>> {
    let mut overlays = Vec::with_capacity(config.volumes.len());
    for (v, dir) in config.volumes.iter().zip(dirs) {
        let overlay = crate::model::container::volume_overlay(&v.options)
            .map_err(|why| Error::invalid_argument("volumes", why))?;
        overlays.push((overlay, dir.as_path()));
    }
    overlay_layers(bundle, "volume-layers", overlays)
}

/// The same for host directories mounted with `:O` and images mounted
/// writable (over their top layer).
fn mount_layers(
    bundle: &Path,
    config: &ContainerConfig,
    image_lowers: &[Vec<PathBuf>],
) -> Result<Vec<Option<(PathBuf, PathBuf)>>> {
    let overlays = config.mounts.iter().zip(image_lowers.iter().map(|l| l.first())).map(|(m, top)| {
        let lower = top.map(PathBuf::as_path).unwrap_or(Path::new(m.source.as_deref().unwrap_or("/")));
        (m.overlay(), lower)
    });
    overlay_layers(bundle, "mount-layers", overlays.collect())
}

/// For each overlay asked for, over its lower directory: the upper and
/// work directories given, else a fresh pair in the bundle under `kind`
/// (what an earlier run wrote there goes, as podman's overlays forget it),
/// whose top takes the lower directory's mode and owner, as the mount
/// point shows the upper layer's.
fn overlay_layers(
    bundle: &Path,
    kind: &str,
    overlays: Vec<(Option<crate::model::container::VolumeOverlay>, &Path)>,
) -> Result<Vec<Option<(PathBuf, PathBuf)>>> {
    let mut layers = Vec::with_capacity(overlays.len());
    for (i, (overlay, volume)) in overlays.into_iter().enumerate() {
        layers.push(match overlay.map(|o| o.upper_and_work) {
            None => None,
            Some(Some((upper, work))) => Some((PathBuf::from(upper), PathBuf::from(work))),
            Some(None) => {
                let dir = bundle.join(kind).join(i.to_string());
                let _ = std::fs::remove_dir_all(&dir);
                let (upper, work) = (dir.join("upper"), dir.join("work"));
                for d in [&upper, &work] {
                    std::fs::create_dir_all(d).map_err(|e| Error::storage(d.display(), e))?;
                }
                crate::storage::overlay::copy_mode_and_owner(volume, &upper)
                    .map_err(|e| Error::storage(upper.display(), e))?;
                Some((upper, work))
            }
        });
    }
    Ok(layers)
}

/// The bundle conmon and the runtime read: config.json, the hosts,
/// hostname, resolv.conf and .containerenv files it mounts, and its
/// mounted secrets (each a file of the mode and owner asked for, in a
/// directory only root reads).
fn write_bundle(bundle: &Path, config: &ContainerConfig, rootfs: &Path, provided: Provided) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let net_files = provided.network.as_ref().map(|n| &n.files);
    let secrets_dir = bundle.join("secrets");
    std::fs::create_dir_all(&secrets_dir).map_err(|e| Error::storage(bundle.display(), e))?;
    std::fs::set_permissions(&secrets_dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| Error::storage(secrets_dir.display(), e))?;
    let write = |name: &str, text: &[u8]| {
        let path = bundle.join(name);
        std::fs::write(&path, text).map_err(|e| Error::storage(path.display(), e)).map(|_| path)
    };
    let (mut secret_files, mut secret_env) = (Vec::new(), Vec::new());
    for (i, (s, value)) in config.secrets.iter().zip(provided.secrets).enumerate() {
        match s.kind {
            SecretKind::Env => secret_env.push((s.target.clone(), String::from_utf8_lossy(&value).into_owned())),
            SecretKind::Mount => {
                let copy = write(&format!("secrets/{i}"), &value)?;
                std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(s.mode))
                    .and_then(|_| std::os::unix::fs::chown(&copy, Some(s.uid), Some(s.gid)))
                    .map_err(|e| Error::storage(copy.display(), e))?;
                secret_files.push((s.path(), copy));
            }
        }
    }
    let files = HostFiles {
        hosts: write("hosts", spec::hosts_file(config, net_files).as_bytes())?,
        hostname: write("hostname", format!("{}\n", config.hostname()).as_bytes())?,
        resolv_conf: write("resolv.conf", spec::resolv_conf(config, net_files).as_bytes())?,
        container_env: write("containerenv", spec::container_env(config).as_bytes())?,
        passwd: match config.host_users.is_empty() {
            true => None,
            false => Some(write("passwd", spec::passwd_with_host_users(rootfs, &config.host_users)?.as_bytes())?),
        },
        secret_files,
        secret_env,
        volume_layers: volume_layers(bundle, config, &provided.volume_dirs)?,
        mount_layers: mount_layers(bundle, config, &provided.image_lowers)?,
        image_lowers: provided.image_lowers,
        volume_dirs: provided.volume_dirs,
        init: provided.init,
        joined: provided.joined,
        shm: provided.shm,
        netns: provided.network.as_ref().map(|n| n.netns.clone()),
        notify_dir: match relays_notify(config) {
            true => {
                let dir = bundle.join("notify");
                std::fs::create_dir_all(&dir).map_err(|e| Error::storage(dir.display(), e))?;
                Some(dir)
            }
            false => None,
        },
    };
    let spec = spec::build(config, rootfs, &files)?;
    spec.save(bundle.join("config.json")).map_err(|e| Error::storage(bundle.display(), e))
}

/// The working directory must be there: the image's is made when missing
/// (podman's CreateWorkingDir), one asked for is not (podman's error, and
/// its exit code 126), unless a volume or mount provides it: the runtime
/// makes a mount's destination, and the directories above it.
fn check_workdir(config: &ContainerConfig, rootfs: &Path) -> Result<()> {
    let Some(dir) = config.workdir.as_deref().filter(|d| *d != "/") else { return Ok(()) };
    let under_volume = config.volumes.iter().any(|v| Path::new(dir).starts_with(&v.destination))
        || config.mounts.iter().any(|m| {
            let destination = Path::new(&m.destination);
            Path::new(dir).starts_with(destination) || destination.starts_with(dir)
        });
    let path = rootfs.join(dir.trim_start_matches('/'));
    if under_volume || path.exists() {
        return Ok(());
    }
    if config.create_workdir {
        return std::fs::create_dir_all(&path).map_err(|e| Error::storage(path.display(), e));
    }
    Err(Error::Command {
        reason: format!("workdir {dir:?} does not exist on container {}", config.id),
        cause: crate::error::CommandFailure::NotRunnable,
    })
}

/// podman's copy-up: a volume that is empty when its container starts gets
/// what the container's root holds at its destination (files, links,
/// modes and owners), unless it is mounted `nocopy`; so a volume on
/// /etc/ssl starts with the image's certificates, owned as they were.
fn copy_up_volumes(config: &ContainerConfig, rootfs: &Path, volume_dirs: &[PathBuf]) -> Result<()> {
    for (volume, dir) in config.volumes.iter().zip(volume_dirs) {
        if volume.options.iter().any(|o| o == "nocopy") {
            continue;
        }
        let source = rootfs.join(volume.destination.trim_start_matches('/'));
        let empty = std::fs::read_dir(dir).map(|mut d| d.next().is_none()).unwrap_or(false);
        if empty && source.is_dir() {
            copy_tree(&source, dir)
                .map_err(|e| Error::storage(format!("copying {} into volume {}", source.display(), volume.name), e))?;
        } else if empty && !source.exists() && owned_by_root(dir) {
            // podman's: a new volume with nothing of the image's to take is
            // its first container's user's (unless its options gave it an
            // owner: then it is not root's).
            let (uid, gid) = spec::user_ids(config, rootfs)?;
            std::os::unix::fs::lchown(dir, Some(uid), Some(gid)).map_err(|e| Error::storage(dir.display(), e))?;
        }
    }
    Ok(())
}

fn owned_by_root(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).is_ok_and(|m| m.uid() == 0 && m.gid() == 0)
}

/// Copy `from`'s contents into the existing directory `to`, keeping modes,
/// owners, modification times and symbolic links, and giving `to` the
/// mode, owner and time of `from` (podman's copy-up: a volume on /var/tmp
/// looks as the image's /var/tmp did).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    copy_entries(from, to)?;
    keep_time(from, to)
}

/// `to` gets the modification time of `from`.
fn keep_time(from: &Path, to: &Path) -> std::io::Result<()> {
    let modified = std::fs::metadata(from)?.modified()?;
    std::fs::File::open(to)?.set_modified(modified)
}

fn copy_entries(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let meta = std::fs::symlink_metadata(from)?;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(meta.mode() & 0o7777))?;
    std::os::unix::fs::lchown(to, Some(meta.uid()), Some(meta.gid()))?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            std::fs::create_dir(&target)?;
            copy_tree(&source, &target)?;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&source)?, &target)?;
            let m = std::fs::symlink_metadata(&source)?;
            std::os::unix::fs::lchown(&target, Some(m.uid()), Some(m.gid()))?;
        } else if kind.is_file() {
            std::fs::copy(&source, &target)?;
            let m = std::fs::metadata(&source)?;
            std::os::unix::fs::lchown(&target, Some(m.uid()), Some(m.gid()))?;
            keep_time(&source, &target)?;
        }
    }
    Ok(())
}

/// Whether conmon relays the program's own sd_notify messages to the unit
/// that ran the container (podman's --sdnotify=container, in a unit).
fn relays_notify(c: &ContainerConfig) -> bool {
    c.sd_notify_mode == crate::model::container::notify::SdNotifyMode::Container && c.sd_notify_socket.is_some()
}
