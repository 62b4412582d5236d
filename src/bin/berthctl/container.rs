//! Container commands, at the top level as podman has them and under
//! `berthctl container`.

use crate::error::Failure;
use crate::output;
use crate::Connection;
use berth::api::varlink::generated::container::{self as vl, VarlinkClient, VarlinkClientInterface};
use std::collections::HashMap;
use std::process::ExitCode;

// `healthcheck` subcommands.
#[derive(clap::Subcommand, Debug)]
#[command(defer = true)]
pub enum HealthcheckCommand {
    /// Run it now.
    Run { name: String },
}

#[derive(clap::Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Create a container (state "configured").
    Create(Box<CreateArgs>),
    /// Create a container and start it; prints its output and exits with its
    /// code unless detached.
    Run {
        /// Start it and print its ID only.
        #[arg(short, long)]
        detach: bool,
        /// Attach only these streams: stdin, stdout, stderr (its ID is
        /// printed when neither output is one).
        #[arg(short = 'a', long = "attach", value_parser = ["stdin", "stdout", "stderr"])]
        streams: Vec<String>,
        #[command(flatten)]
        attach: crate::attach::AttachArgs,
        #[command(flatten)]
        create: Box<CreateArgs>,
    },
    /// Attach to a running container's terminal or output (and input).
    Attach {
        /// Do not pass this terminal's input on.
        #[arg(long)]
        no_stdin: bool,
        #[command(flatten)]
        how: crate::attach::AttachArgs,
        name: String,
    },
    /// List containers.
    #[command(alias = "list", alias = "ls")]
    Ps(crate::ps::PsArgs),
    /// What running containers use: CPU, memory, network and block I/O.
    Stats(crate::stats::StatsArgs),
    /// Show containers' configuration and state.
    Inspect(crate::inspect::InspectArgs),
    /// Exit 0 if the container exists, 1 if not.
    Exists {
        name: String,
        /// A storage-only container counts too.
        #[arg(long)]
        external: bool,
    },
    /// Rename a container.
    Rename { container: String, new_name: String },
    /// Remove containers.
    Rm(crate::remove::RmArgs),
    /// Remove a container whose stored configuration cannot be read.
    Evict {
        name: String,
        #[arg(short, long)]
        volumes: bool,
    },
    /// Remove all containers that are not running and not in a pod.
    Prune {
        /// Do not ask (berthctl never does; taken as podman's scripts give it).
        #[arg(short, long)]
        force: bool,
        /// label=KEY[=VALUE], label!=..., until=TIME.
        #[arg(long)]
        filter: Vec<String>,
    },
    /// Create containers in the OCI runtime without starting them.
    Init {
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Start containers.
    Start {
        /// Attach to its output (one container only).
        #[arg(short, long)]
        attach: bool,
        /// With --attach, pass this terminal's input on too.
        #[arg(short, long)]
        interactive: bool,
        #[command(flatten)]
        how: crate::attach::AttachArgs,
        /// Every container that is not running (with --filter, those it
        /// picks).
        #[arg(long, conflicts_with = "names")]
        all: bool,
        /// With --all: restart-policy=POLICY (what berth-restart.service
        /// starts at boot).
        #[arg(long, requires = "all")]
        filter: Vec<String>,
        #[arg(required_unless_present = "all")]
        names: Vec<String>,
    },
    /// Run a container's health check now (exit 1 when not healthy).
    Healthcheck {
        #[command(subcommand)]
        what: HealthcheckCommand,
    },
    /// Change a container's restart policy.
    Update {
        /// no, on-failure[:RETRIES], always or unless-stopped.
        #[arg(long)]
        restart: Option<String>,
        /// Memory limit (b, k, m, g).
        #[arg(short, long)]
        memory: Option<String>,
        /// Memory and swap together (-1: unlimited swap).
        #[arg(long)]
        memory_swap: Option<String>,
        #[arg(long)]
        pids_limit: Option<i64>,
        /// CPUs' worth of time, e.g. 1.5.
        #[arg(long)]
        cpus: Option<f64>,
        #[arg(long)]
        cpuset_cpus: Option<String>,
        name: String,
    },
    /// Stop containers: stop signal, then SIGKILL after the timeout.
    Stop {
        #[arg(required = true)]
        names: Vec<String>,
        #[arg(short, long)]
        time: Option<i64>,
    },
    /// Send a signal to containers (default SIGKILL).
    Kill {
        #[arg(required = true)]
        names: Vec<String>,
        #[arg(short, long)]
        signal: Option<String>,
    },
    /// Freeze containers.
    Pause {
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Thaw containers.
    Unpause {
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Stop and start containers.
    Restart {
        #[arg(required = true)]
        names: Vec<String>,
        #[arg(short, long)]
        time: Option<i64>,
    },
    /// Wait for containers to exit; prints their exit codes.
    Wait {
        #[arg(required = true)]
        names: Vec<String>,
        /// Wait for these states instead of the exit (podman's names:
        /// configured, created, initialized, running, paused, stopping,
        /// stopped, exited); their exit code is printed as -1.
        #[arg(long)]
        condition: Vec<String>,
        /// A container that does not exist prints -1 instead of failing.
        #[arg(short, long)]
        ignore: bool,
    },
    /// Print a container's output.
    Logs {
        name: String,
        #[arg(short, long)]
        follow: bool,
        /// Only the last N lines (-1: all).
        #[arg(short = 'n', long)]
        tail: Option<i64>,
        /// Only lines since then: Unix seconds, an RFC 3339 time, or a
        /// duration back from now (10m).
        #[arg(long)]
        since: Option<String>,
        /// Only lines until then (a follow ends then), as --since.
        #[arg(long)]
        until: Option<String>,
        /// Start each line with its time.
        #[arg(short, long)]
        timestamps: bool,
    },
    /// Run a command in a running container.
    Exec {
        /// KEY=VALUE
        #[arg(short, long)]
        env: Vec<String>,
        #[arg(short, long)]
        user: Option<String>,
        #[arg(short, long)]
        workdir: Option<String>,
        /// Give the command a pseudo-terminal.
        #[arg(short, long)]
        tty: bool,
        /// Pass this terminal's input on.
        #[arg(short, long)]
        interactive: bool,
        /// Run it in the background and print the exec session's ID.
        #[arg(short, long)]
        detach: bool,
        /// The keys that leave the command running and end the attach.
        #[arg(long)]
        detach_keys: Option<String>,
        container: String,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<String>,
    },
    /// Show a running container's processes (podman's descriptors, such as
    /// user pid hpid args).
    Top { container: String, descriptors: Vec<String> },
    /// Mount containers' root file systems and print their paths; with
    /// none, list the mounted ones.
    Mount(crate::mount::MountArgs),
    /// Release mounts of containers' root file systems.
    #[command(alias = "umount")]
    Unmount(crate::mount::UnmountArgs),
}

#[derive(clap::Args)]
pub struct CreateArgs {
    /// A host directory to use as the root file system (DIR:O: the lower
    /// layer of an overlay, so the directory is never written).
    #[arg(long)]
    rootfs: Option<String>,
    /// An image reference (instead of --rootfs).
    #[arg(long)]
    image: Option<String>,
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    pod: Option<String>,
    /// KEY=VALUE
    #[arg(short, long)]
    env: Vec<String>,
    /// KEY=VALUE
    #[arg(short, long)]
    label: Vec<String>,
    /// [NAME:]DEST[:OPTS], no name for an anonymous volume; a host path
    /// (/abs or ./rel) for a NAME binds that directory in.
    #[arg(short, long)]
    volume: Vec<String>,
    /// type=bind|tmpfs|volume,src=...,dst=...[,ro][,...]
    #[arg(long)]
    mount: Vec<String>,
    /// DEST[:OPTS]: a tmpfs (rw,noexec,nosuid,nodev unless OPTS say otherwise).
    #[arg(long)]
    tmpfs: Vec<String>,
    /// NAME[,type=mount|env][,target=T][,uid=U][,gid=G][,mode=OCTAL]: a secret
    /// of `berthctl secret create`, at /run/secrets/T or as the variable T.
    #[arg(long)]
    secret: Vec<String>,
    /// Run as USER[:GROUP] (names or numbers).
    #[arg(short, long)]
    user: Option<String>,
    /// The working directory of the command.
    #[arg(short, long)]
    workdir: Option<String>,
    /// Give the process a pseudo-terminal.
    #[arg(short, long)]
    tty: bool,
    /// Keep its stdin open: an attached client's input reaches it.
    #[arg(short, long)]
    interactive: bool,
    /// Replace the image's entrypoint: a command, or a JSON array.
    #[arg(long)]
    entrypoint: Option<String>,
    #[arg(long)]
    hostname: Option<String>,
    #[arg(long)]
    cap_add: Vec<String>,
    #[arg(long)]
    cap_drop: Vec<String>,
    /// Every capability and host device, no masked paths.
    #[arg(long)]
    privileged: bool,
    /// Mount the root file system read-only.
    #[arg(long)]
    read_only: bool,
    /// HOST[:CONTAINER][:PERMISSIONS]
    #[arg(long)]
    device: Vec<String>,
    /// NAME=SOFT[:HARD]
    #[arg(long)]
    ulimit: Vec<String>,
    /// KEY=VALUE
    #[arg(long)]
    sysctl: Vec<String>,
    #[arg(long)]
    group_add: Vec<String>,
    /// Files of KEY=VALUE lines added to the environment.
    #[arg(long)]
    env_file: Vec<String>,
    /// Run an init (catatonit) as PID 1 that forwards signals and reaps.
    #[arg(long)]
    init: bool,
    /// KEY=VALUE
    #[arg(long)]
    annotation: Vec<String>,
    #[arg(long)]
    umask: Option<String>,
    /// no-new-privileges[=true|false]
    #[arg(long)]
    security_opt: Vec<String>,
    /// Leave this variable out of the default and the image's environment.
    #[arg(long)]
    unsetenv: Vec<String>,
    /// Leave out the whole default and image environment.
    #[arg(long)]
    unsetenv_all: bool,
    #[arg(long)]
    stop_signal: Option<String>,
    #[arg(long)]
    stop_timeout: Option<i64>,
    #[arg(long)]
    shm_size: Option<String>,
    /// A zone of the host's zoneinfo, or "local" (this command's TZ, else
    /// the host's); the last one given wins, as in podman.
    #[arg(long, alias = "tz", overrides_with = "timezone")]
    timezone: Option<String>,
    /// k8s-file (json-file), journald or none; the last one given wins.
    #[arg(long, overrides_with = "log_driver")]
    log_driver: Option<String>,
    /// A command run in it to check its health (podman's CMD-SHELL form),
    /// or a JSON array (["CMD", "arg"...]).
    #[arg(long)]
    health_cmd: Option<String>,
    /// Between checks (30s).
    #[arg(long)]
    health_interval: Option<String>,
    /// The most a check may take (30s).
    #[arg(long)]
    health_timeout: Option<String>,
    /// Failures in a row that make it unhealthy (3).
    #[arg(long)]
    health_retries: Option<i64>,
    /// How long failures do not count after a start (0s).
    #[arg(long)]
    health_start_period: Option<String>,
    /// none, kill, restart or stop, once unhealthy.
    #[arg(long)]
    health_on_failure: Option<String>,
    /// Start it again when it exits on its own: no, on-failure[:RETRIES],
    /// always or unless-stopped.
    #[arg(long)]
    restart: Option<String>,
    /// max-size=SIZE: the most its k8s-file log holds (k, m, g are
    /// powers of 1000, as podman's).
    #[arg(long)]
    log_opt: Vec<String>,
    #[arg(long)]
    runtime: Option<String>,
    #[arg(long)]
    cgroup_parent: Option<String>,
    #[arg(long)]
    no_cgroups: bool,
    #[arg(long)]
    depends_on: Vec<String>,
    /// Remove the container when it exits (done by the engine).
    #[arg(long)]
    rm: bool,
    /// A memory limit: bytes, or a size such as 512m (0: none).
    #[arg(short, long)]
    memory: Option<String>,
    /// Memory and swap together (-1: no swap limit).
    #[arg(long)]
    memory_swap: Option<String>,
    /// CPUs' worth of time per second, such as 1.5.
    #[arg(long)]
    cpus: Option<f64>,
    /// The CPUs it may run on, such as 0-2,4.
    #[arg(long)]
    cpuset_cpus: Option<String>,
    /// Kill the container after this many seconds.
    #[arg(long)]
    timeout: Option<i64>,
    /// TYPE MAJOR:MINOR ACCESS, such as "c 1:3 rwm".
    #[arg(long)]
    device_cgroup_rule: Vec<String>,
    /// Accepted as podman does, and ignored.
    #[arg(long, hide = true)]
    kernel_memory: Option<String>,
    /// A directory the process may chroot into; it gets /etc/hosts,
    /// hostname and resolv.conf too.
    #[arg(long)]
    chrootdirs: Vec<String>,
    /// A user of the host (name or UID) to add to the container's /etc/passwd.
    #[arg(long)]
    hostuser: Vec<String>,
    /// Write conmon's PID to this file at each start.
    #[arg(long)]
    conmon_pidfile: Option<String>,
    /// The PID namespace: private, host or ns:PATH.
    #[arg(long)]
    pid: Option<String>,
    /// The UTS namespace: private, host or ns:PATH.
    #[arg(long)]
    uts: Option<String>,
    /// The IPC namespace: private, host or ns:PATH.
    #[arg(long)]
    ipc: Option<String>,
    /// A global flag for the OCI runtime, FLAG[=VALUE] (podman takes it
    /// before the command; here the runtime is berthd's, so it is the
    /// container's).
    #[arg(long)]
    runtime_flag: Vec<String>,
    #[arg(long)]
    pids_limit: Option<i64>,
    #[arg(long)]
    cpu_weight: Option<i64>,
    #[command(flatten)]
    net: crate::mounts::NetworkArgs,
    /// What the start tells the systemd unit this runs in (NOTIFY_SOCKET):
    /// container (the program inside says READY), conmon (ready once it
    /// runs), healthy (once its health check passes) or ignore.
    #[arg(long, value_parser = SD_NOTIFY_MODES)]
    sdnotify: Option<String>,
    /// Remove a container of the same name first.
    #[arg(long)]
    replace: bool,
    /// Write the container's ID to this file (which must not exist).
    #[arg(long)]
    cidfile: Option<String>,
    /// Join the pod whose ID this file holds (as pod create --pod-id-file wrote it).
    #[arg(long)]
    pod_id_file: Option<String>,
    /// When to pull the image: missing (the default), always, newer or never.
    #[arg(long, default_value = "missing", num_args = 0..=1, require_equals = true, default_missing_value = "always")]
    pull: String,
    #[command(flatten)]
    registry: crate::image::PullArgs,
    /// With --rm, remove the image too once the container is gone (if
    /// nothing else uses it).
    #[arg(long)]
    rmi: bool,
    /// The command and its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    command: Vec<String>,
}

/// `KEY=VALUE` strings as a map (a bare KEY has the empty value).
pub fn pairs(items: &[String]) -> HashMap<String, String> {
    items
        .iter()
        .map(|i| match i.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (i.clone(), String::new()),
        })
        .collect()
}

/// `[NAME:]DEST[:OPTS]`: the volume's name (none: anonymous), where it is
/// mounted, its options.
pub fn volume_parts(spec: &str) -> (Option<String>, String, Option<Vec<String>>) {
    let parts: Vec<&str> = spec.split(':').collect();
    let (name, dest, opts) = match parts.as_slice() {
        [dest] => (None, *dest, None),
        [a, b] if a.starts_with('/') => (None, *a, Some(*b)),
        [name, dest] => (Some(*name), *dest, None),
        [name, dest, opts, ..] => (Some(*name), *dest, Some(*opts)),
        [] => (None, "", None),
    };
    (name.map(str::to_string), dest.to_string(), opts.map(|o| o.split(',').map(str::to_string).collect()))
}

impl CreateArgs {
    /// The image and command: podman's `create IMAGE COMMAND...` when
    /// neither --rootfs nor --image says otherwise.
    fn source(&self) -> (Option<String>, Vec<String>) {
        match (&self.rootfs, &self.image, self.command.split_first()) {
            (None, None, Some((image, command))) => (Some(image.clone()), command.to_vec()),
            _ => (self.image.clone(), self.command.clone()),
        }
    }

    /// Arguments podman refuses together, refused as podman does.
    fn check(&self) -> Result<(), Failure> {
        // What comes first after the flags is an image or a command, never
        // a flag: one create does not know lands here (the command takes
        // hyphens, for its own arguments).
        if let Some(flag) = self.command.first().filter(|a| a.starts_with('-')) {
            return Err(Failure::engine(match flag.strip_prefix("--") {
                Some(_) => format!("unknown flag: {flag}"),
                None => format!("unknown shorthand flag: '{}' in {flag}", flag.chars().nth(1).unwrap_or('-')),
            }));
        }
        if self.replace && self.name.is_none() {
            return Err(Failure::engine("cannot replace container without --name being set"));
        }
        if self.pod.is_some() && self.pod_id_file.is_some() {
            return Err(Failure::engine("cannot specify both --pod and --pod-id-file"));
        }
        // podman checks here, before anything is created (the engine
        // refuses it too).
        if let Some(file) = self.cidfile.as_deref().filter(|f| std::path::Path::new(f).exists()) {
            return Err(Failure::engine(format!(
                "container id file exists. Ensure another container is not using it or delete {file}"
            )));
        }
        Ok(())
    }

    fn options(&self) -> Result<vl::CreateOptions, Failure> {
        self.check()?;
        if self.kernel_memory.is_some() {
            eprintln!("The --kernel-memory flag is no longer supported. This flag is a noop.");
        }
        let some = |v: &[String]| (!v.is_empty()).then(|| v.to_vec());
        let (image, command) = self.source();
        let pod = match &self.pod_id_file {
            Some(file) => Some(
                std::fs::read_to_string(file)
                    .map_err(|e| Failure::engine(format!("reading pod ID file {file}: {e}")))?
                    .trim()
                    .to_string(),
            ),
            None => self.pod.clone(),
        };
        let mut env = env_files(&self.env_file)?;
        env.extend(pairs(&self.env));
        let (volumes, mounts) = crate::mounts::from_flags(&self.volume, &self.mount, &self.tmpfs)?;
        Ok(vl::CreateOptions {
            rootfs: self.rootfs.as_deref().map(|r| r.strip_suffix(":O").unwrap_or(r).to_string()),
            rootfsOverlay: self.rootfs.as_deref().map(|r| r.ends_with(":O")),
            terminal: Some(self.tty),
            stdin: Some(self.interactive),
            image,
            command,
            env: Some(env),
            labels: Some(pairs(&self.label)),
            name: self.name.clone(),
            pod,
            stopSignal: self.stop_signal.clone(),
            stopTimeout: self.stop_timeout,
            shmSize: self.shm_size.clone(),
            timezone: self.timezone.as_deref().map(timezone),
            logDriver: self.log_driver.clone(),
            logSizeMax: log_size_max(&self.log_opt)?,
            healthcheck: self.healthcheck()?,
            restartPolicy: restart_policy(self.restart.as_deref())?.0,
            restartRetries: restart_policy(self.restart.as_deref())?.1,
            runtime: self.runtime.clone(),
            cgroupParent: self.cgroup_parent.clone(),
            noCgroups: Some(self.no_cgroups),
            volumes: Some(volumes),
            mounts: Some(mounts),
            secrets: Some(self.secret.iter().map(|s| secret_use(s)).collect::<Result<_, _>>()?),
            dependsOn: some(&self.depends_on),
            autoRemove: Some(self.rm),
            resources: Some(vl::Resources {
                memoryMax: self.memory.as_deref().map(size).transpose()?.filter(|m| *m > 0),
                pidsMax: self.pids_limit,
                cpuWeight: self.cpu_weight,
                memorySwap: self.memory_swap.as_deref().map(size).transpose()?,
                nanoCpus: self.cpus.map(|c| (c * 1e9).round() as i64),
                cpusetCpus: self.cpuset_cpus.clone(),
            }),
            network: self.net.network.first().cloned(),
            networks: some(&self.net.network[self.net.network.len().min(1)..]),
            networkAliases: some(&self.net.network_alias),
            portMappings: Some(self.net.ports_for_mode()?),
            ip: self.net.ip.clone(),
            publishAll: Some(self.net.publish_all),
            macAddress: self.net.mac_address.clone(),
            dns: some(&self.net.dns),
            dnsSearch: some(&self.net.dns_search),
            dnsOptions: some(&self.net.dns_option),
            addHosts: some(&self.net.add_host),
            noHosts: Some(self.net.no_hosts),
            replace: Some(self.replace),
            // The engine does not share our working directory.
            cidFile: self.cidfile.as_deref().map(absolute),
            user: self.user.clone(),
            workDir: self.workdir.clone(),
            entrypoint: self.entrypoint.as_deref().map(entrypoint),
            hostname: self.hostname.clone(),
            capAdd: some(&self.cap_add),
            capDrop: some(&self.cap_drop),
            privileged: Some(self.privileged),
            readOnly: Some(self.read_only),
            noNewPrivileges: Some(security_opts(&self.security_opt)?.0),
            seccompProfile: security_opts(&self.security_opt)?.1,
            devices: some(&self.device),
            ulimits: some(&self.ulimit),
            sysctls: Some(pairs(&self.sysctl)),
            groupAdd: some(&self.group_add),
            init: Some(self.init),
            annotations: Some(pairs(&self.annotation)),
            umask: self.umask.clone(),
            unsetEnv: some(&self.unsetenv),
            unsetEnvAll: Some(self.unsetenv_all),
            deviceCgroupRules: some(&self.device_cgroup_rule),
            timeout: self.timeout,
            chrootDirs: some(&self.chrootdirs),
            hostUsers: some(&self.hostuser),
            conmonPidFile: self.conmon_pidfile.as_deref().map(absolute),
            pid: self.pid.clone(),
            uts: self.uts.clone(),
            ipc: self.ipc.clone(),
            runtimeFlags: some(&self.runtime_flag),
            sdNotifySocket: self.notify_socket(),
            sdNotifyMode: self.sdnotify.clone(),
        })
    }
}

const SD_NOTIFY_MODES: [&str; 4] = berth::model::container::notify::SdNotifyMode::NAMES;

impl CreateArgs {
    /// The notify socket of the unit this runs in, unless told to ignore it.
    fn notify_socket(&self) -> Option<String> {
        let socket = std::env::var("NOTIFY_SOCKET").ok().filter(|s| !s.is_empty())?;
        (self.sdnotify.as_deref() != Some("ignore")).then_some(socket)
    }

    /// podman's --sdnotify, said from inside the unit (only its own
    /// processes may): conmon's PID becomes the unit's main PID, so the
    /// unit lives as long as the container; READY=1 follows now (conmon),
    /// once the health check passes (healthy), or from the program itself
    /// through conmon's relay (container). In a user's unit conmon is moved
    /// into the unit first: only root may name a main PID outside it.
    fn tell_unit(&self, c: &mut VarlinkClient, id: &str) -> Result<(), Failure> {
        if self.notify_socket().is_none() {
            return Ok(());
        }
        let mode = self.sdnotify.as_deref().unwrap_or("container");
        let mut info = c.inspect(id.to_string(), None).call()?.container;
        while mode == "healthy" && info.state.health.as_ref().is_none_or(|h| h.status != "healthy") {
            if info.state.state != "running" {
                return Err(Failure::engine(format!("container {id} is {} before it was healthy", info.state.state)));
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
            info = c.inspect(id.to_string(), None).call()?.container;
        }
        let Some(conmon) = info.state.conmonPid else {
            return Err(Failure::engine(format!("container {id} has no conmon to stand for it")));
        };
        if !nix::unistd::Uid::effective().is_root() {
            let tokio = tokio::runtime::Builder::new_current_thread().enable_all().build();
            let tokio = tokio.map_err(|e| Failure::engine(format!("notifying the unit: {e}")))?;
            tokio
                .block_on(berth::systemd::manager::attach_to_own_user_unit(&[conmon as u32]))
                .map_err(|e| Failure::engine(format!("moving conmon into the unit: {e}")))?;
        }
        let mut states = vec![sd_notify::NotifyState::MainPid(conmon as u32)];
        if mode != "container" {
            states.push(sd_notify::NotifyState::Ready);
        }
        sd_notify::notify(&states).map_err(|e| Failure::engine(format!("notifying the unit: {e}")))?;
        // Processed while this is still the unit's main process.
        berth::systemd::notify::barrier(std::time::Duration::from_secs(5));
        Ok(())
    }

    /// podman's --pull: the image pulled when the policy says so (missing:
    /// only when it is not there, or not for the platform asked for; always
    /// and newer: every time; never).
    fn ensure_image(&self, conn: &Connection, image: &str) -> Result<(), Failure> {
        use berth::api::varlink::generated::image::{VarlinkClient as Images, VarlinkClientInterface as _};
        let platform = self.registry.platform()?;
        let present = || match Images::new(conn.handle.clone()).inspect(image.to_string()).call() {
            Ok(found) => Ok(platform.as_deref().is_none_or(|p| {
                let config = &found.image.config;
                let mut wanted = p.split('/');
                let same = |want: Option<&str>, have: &Option<String>| {
                    want.is_none_or(|w| w.is_empty() || have.as_deref() == Some(w))
                };
                same(wanted.next(), &config.os) && same(wanted.next(), &config.architecture)
            })),
            Err(e) => match Failure::from(e) {
                f if f.name == "NoSuchImage" => Ok(false),
                f => Err(f),
            },
        };
        let wanted = match self.pull.as_str() {
            "never" => false,
            "missing" => !present()?,
            "always" | "newer" => true,
            other => {
                return Err(Failure::engine(format!(
                    "invalid pull policy {other:?}: use always, missing, never or newer"
                )))
            }
        };
        if wanted {
            crate::image::pull(conn, image.to_string(), &self.registry)?;
        }
        Ok(())
    }
}

/// A process table, aligned, as podman's top prints it.
pub fn print_top(titles: &[String], processes: Vec<Vec<String>>) {
    let lines = std::iter::once(titles.join("\t")).chain(processes.into_iter().map(|p| p.join("\t")));
    output::aligned(lines);
}

/// `--tz local` means this command's zone: its TZ when set (the engine
/// knows only the host's).
fn timezone(tz: &str) -> String {
    match std::env::var("TZ") {
        Ok(zone) if tz == "local" && !zone.is_empty() => zone.trim_start_matches(':').to_string(),
        _ => tz.to_string(),
    }
}

/// A size as podman's --memory takes it: bytes, or a number with b, k, m
/// or g; -1 stays -1.
fn size(text: &str) -> Result<i64, Failure> {
    size_in(text, 1 << 10)
}

/// The containers `start --all` starts: those not running, of the restart
/// policies `filters` name (restart-policy=POLICY, podman's key) if any.
fn not_running(c: &mut VarlinkClient, filters: &[String]) -> Result<Vec<String>, Failure> {
    let mut policies = Vec::new();
    for f in filters {
        match f.split_once('=') {
            Some(("restart-policy", policy)) => policies.push(policy.to_string()),
            _ => return Err(Failure::engine(format!("invalid filter {f:?}: start --all takes restart-policy=POLICY"))),
        }
    }
    let mut ids = Vec::new();
    for s in c.list(Some(true), None, None, None).call()?.containers {
        if matches!(s.state.as_str(), "running" | "paused" | "stopping" | "removing") {
            continue;
        }
        if !policies.is_empty() {
            let config = c.inspect(s.id.clone(), None).call()?.container.config;
            if !policies.contains(&config.restartPolicy) {
                continue;
            }
        }
        ids.push(s.id);
    }
    Ok(ids)
}

impl CreateArgs {
    /// The --health-* flags as the API's check.
    fn healthcheck(&self) -> Result<Option<vl::HealthCheck>, Failure> {
        let Some(cmd) = &self.health_cmd else {
            let given =
                self.health_interval.is_some() || self.health_timeout.is_some() || self.health_retries.is_some();
            return match given {
                true => Err(Failure::engine("the --health-* flags need --health-cmd")),
                false => Ok(None),
            };
        };
        let test = match serde_json::from_str::<Vec<String>>(cmd) {
            Ok(array) => array,
            Err(_) => vec!["CMD-SHELL".to_string(), cmd.clone()],
        };
        Ok(Some(vl::HealthCheck {
            test,
            interval: seconds_of("--health-interval", self.health_interval.as_deref())?,
            timeout: seconds_of("--health-timeout", self.health_timeout.as_deref())?,
            retries: self.health_retries,
            startPeriod: seconds_of("--health-start-period", self.health_start_period.as_deref())?,
            onFailure: self.health_on_failure.clone(),
        }))
    }
}

/// A duration flag (`30s`, `1m30s`, `45`) in whole seconds.
fn seconds_of(flag: &str, value: Option<&str>) -> Result<Option<i64>, Failure> {
    let Some(value) = value else { return Ok(None) };
    let nanos = match value.parse::<i64>() {
        Ok(secs) => Some(secs.saturating_mul(1_000_000_000)),
        Err(_) => berth::timestamp::duration_nanos(value),
    };
    nanos
        .map(|n| Some((n + 999_999_999) / 1_000_000_000))
        .ok_or_else(|| Failure::engine(format!("invalid {flag} {value:?}: a duration such as 30s or 1m")))
}

/// `--restart POLICY[:RETRIES]` as the API's policy and retries.
fn restart_policy(restart: Option<&str>) -> Result<(Option<String>, Option<i64>), Failure> {
    let Some(restart) = restart else { return Ok((None, None)) };
    match restart.split_once(':') {
        None => Ok((Some(restart.to_string()), None)),
        Some((policy, retries)) => {
            let retries = retries
                .parse::<i64>()
                .map_err(|_| Failure::engine(format!("invalid restart retries {retries:?} in --restart {restart}")))?;
            Ok((Some(policy.to_string()), Some(retries)))
        }
    }
}

/// `--log-opt`'s max-size, the last one given (podman's other options,
/// path and tag, berth does not take).
fn log_size_max(options: &[String]) -> Result<Option<i64>, Failure> {
    let mut max = None;
    for option in options {
        match option.split_once('=') {
            Some(("max-size", value)) => max = Some(size_in(value, 1000)?),
            _ => return Err(Failure::engine(format!("invalid log option {option:?}: berth takes max-size=SIZE"))),
        }
    }
    Ok(max)
}

/// A size with an optional unit b, k, m or g, each `base` times the last.
fn size_in(text: &str, base: i64) -> Result<i64, Failure> {
    let bad = || Failure::engine(format!("invalid size {text:?}: a number of bytes, or one with b, k, m or g"));
    if text == "-1" {
        return Ok(-1);
    }
    let lower = text.trim().to_ascii_lowercase();
    let digits = lower.find(|c: char| !c.is_ascii_digit()).unwrap_or(lower.len());
    let (number, unit) = lower.split_at(digits);
    let number: i64 = number.parse().map_err(|_| bad())?;
    let unit = unit.trim_end_matches("ib").trim_end_matches('b');
    let factor: i64 = match unit {
        "" => 1,
        "k" => base,
        "m" => base * base,
        "g" => base * base * base,
        _ => return Err(bad()),
    };
    number.checked_mul(factor).ok_or_else(bad)
}

/// `--entrypoint`: a JSON array of strings, or one command (podman's rule).
pub fn entrypoint(text: &str) -> Vec<String> {
    match serde_json::from_str::<Vec<String>>(text) {
        Ok(list) => list,
        Err(_) if text.is_empty() => Vec::new(),
        Err(_) => vec![text.to_string()],
    }
}

/// `--security-opt`: no-new-privileges and seccomp=unconfined|PATH (podman's
/// other options are SELinux's and AppArmor's, which berth does not apply).
/// Whether no-new-privileges is set, and the seccomp profile asked for.
pub fn security_opts(options: &[String]) -> Result<(bool, Option<String>), Failure> {
    let (mut no_new_privileges, mut seccomp) = (false, None);
    for o in options {
        let (key, value) = o.split_once(['=', ':']).map_or((o.as_str(), "true"), |(k, v)| (k, v));
        match (key, value) {
            ("no-new-privileges", "true") => no_new_privileges = true,
            ("no-new-privileges", "false") => no_new_privileges = false,
            ("seccomp", named @ ("unconfined" | "default")) => seccomp = Some(named.to_string()),
            ("seccomp", path) => seccomp = Some(absolute(path)),
            // berth applies no SELinux labels: not labelling is what it does
            // anyway, a label it cannot give.
            ("label", "disable") => {}
            _ => {
                return Err(Failure::engine(format!(
                    "invalid --security-opt {o:?}: berth takes no-new-privileges, seccomp=unconfined|PATH and \
                     label=disable (it applies no SELinux labels)"
                )))
            }
        }
    }
    Ok((no_new_privileges, seccomp))
}

/// `--secret NAME[,type=...][,target=...][,uid=...][,gid=...][,mode=...]`.
fn secret_use(spec: &str) -> Result<vl::SecretUse, Failure> {
    let mut parts = spec.split(',');
    let name = parts.next().unwrap_or_default().to_string();
    let mut s = vl::SecretUse { name, r#type: None, target: None, uid: None, gid: None, mode: None };
    let bad = |what: &str| Failure::engine(format!("invalid --secret {spec:?}: {what}"));
    for part in parts {
        let (key, value) = part.split_once('=').ok_or_else(|| bad(part))?;
        let number = |radix| i64::from_str_radix(value, radix).map_err(|_| bad(part));
        match key {
            "type" => s.r#type = Some(value.into()),
            "target" => s.target = Some(value.into()),
            "uid" => s.uid = Some(number(10)?),
            "gid" => s.gid = Some(number(10)?),
            "mode" => s.mode = Some(number(8)?),
            _ => return Err(bad(&format!("unknown option {key:?}"))),
        }
    }
    Ok(s)
}

/// The variables of `--env-file` files: KEY=VALUE lines; blank lines and
/// `#` comments skipped; a bare KEY takes this command's value of it.
fn env_files(files: &[String]) -> Result<HashMap<String, String>, Failure> {
    let mut env = HashMap::new();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|e| Failure::engine(format!("reading {file}: {e}")))?;
        for line in text.lines().map(str::trim_start).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            match line.split_once('=') {
                Some((k, v)) => env.insert(k.to_string(), v.to_string()),
                None => env.insert(line.to_string(), std::env::var(line).unwrap_or_default()),
            };
        }
    }
    Ok(env)
}

/// `path` from this process's working directory, as the engine needs it.
pub fn absolute(path: &str) -> String {
    std::path::absolute(path).map_or_else(|_| path.to_string(), |p| p.display().to_string())
}

/// An exit code as a process may have it: its low byte, so that conmon's
/// -1 (a container it killed at its timeout) is 255, as in podman.
pub fn exit_code(code: i64) -> ExitCode {
    ExitCode::from((code & 0xff) as u8)
}

pub fn run(conn: &Connection, cmd: Command) -> Result<ExitCode, Failure> {
    let mut c = VarlinkClient::new(conn.handle.clone());
    match cmd {
        Command::Create(a) => {
            let options = a.options()?;
            if let Some(image) = &options.image {
                a.ensure_image(conn, image)?;
            }
            println!("{}", create(conn, &mut c, options)?)
        }
        Command::Run { detach, streams, attach, create } => {
            return run_container(conn, &create, detach, &attach, &streams)
        }
        Command::Attach { no_stdin, how, name } => {
            let options = how.options(!no_stdin);
            return finish_attach(
                conn,
                &name,
                crate::attach::attach(conn, &crate::attach::Target::Container(name.clone()), &options, || Ok(()))?,
            );
        }
        Command::Init { names } => each(names, |n| Ok(c.init(n).call()?.id))?,
        Command::Start { attach: true, interactive, how, names, .. } => {
            let [name] = <[String; 1]>::try_from(names)
                .map_err(|_| Failure::engine("you cannot start and attach multiple containers at once"))?;
            return start_attached(conn, &name, &how.options(interactive));
        }
        Command::Start { all: true, filter, .. } => {
            for id in not_running(&mut c, &filter)? {
                println!("{}", c.start(id).call()?.id);
            }
        }
        Command::Start { names, .. } => each(names, |n| Ok(c.start(n).call()?.id))?,
        Command::Healthcheck { what: HealthcheckCommand::Run { name } } => {
            let status = c.healthcheck(name).call()?.status;
            if status != "healthy" {
                println!("{status}");
                return Ok(ExitCode::from(1));
            }
        }
        Command::Update { restart, memory, memory_swap, pids_limit, cpus, cpuset_cpus, name } => {
            let (policy, retries) = restart_policy(restart.as_deref())?;
            let limits = vl::Resources {
                memoryMax: memory.as_deref().map(size).transpose()?,
                pidsMax: pids_limit,
                cpuWeight: None,
                memorySwap: memory_swap.as_deref().map(size).transpose()?,
                nanoCpus: cpus.map(|c| (c * 1e9).round() as i64),
                cpusetCpus: cpuset_cpus,
            };
            let given = limits.memoryMax.is_some()
                || limits.pidsMax.is_some()
                || limits.memorySwap.is_some()
                || limits.nanoCpus.is_some()
                || limits.cpusetCpus.is_some();
            if !given && policy.is_none() {
                return Err(Failure::engine("update needs --restart or a limit (--memory, --pids-limit, --cpus...)"));
            }
            println!("{}", c.update(name, given.then_some(limits), policy, retries).call()?.id);
        }
        Command::Stop { names, time } => each(names, |n| Ok(c.stop(n, time).call()?.id))?,
        Command::Kill { names, signal } => each(names, |n| Ok(c.kill(n, signal.clone()).call()?.id))?,
        Command::Pause { names } => each(names, |n| Ok(c.pause(n).call()?.id))?,
        Command::Unpause { names } => each(names, |n| Ok(c.unpause(n).call()?.id))?,
        Command::Restart { names, time } => each(names, |n| Ok(c.restart(n, time).call()?.id))?,
        Command::Wait { names, condition, ignore } => each(names, |n| match wait_for(conn, &mut c, n, &condition) {
            Err(f) if ignore && f.name == "NoSuchContainer" => Ok("-1".into()),
            other => other,
        })?,
        Command::Rm(args) => return crate::remove::run(conn, args),
        Command::Evict { name, volumes } => println!("{}", c.evict(name, Some(volumes)).call()?.id),
        Command::Rename { container, new_name } => {
            c.rename(container, new_name).call()?;
        }
        Command::Exists { name, external } => {
            let mut exists = c.exists(name.clone()).call()?.exists;
            if !exists && external {
                use berth::api::varlink::generated::storage::{self as st, VarlinkClientInterface as _};
                let listed = st::VarlinkClient::new(conn.handle.clone()).list_external().call()?.containers;
                exists = listed.iter().any(|e| e.name.as_deref() == Some(name.as_str()) || e.id.starts_with(&name));
            }
            return Ok(crate::exists_code(exists));
        }
        Command::Logs { name, follow, tail, since, until, timestamps } => {
            print_logs(&mut c, name, follow, LogsWanted { tail, since, until, timestamps })?
        }
        Command::Exec { env, user, workdir, tty, interactive, detach, detach_keys, container, command } => {
            let keys = detach_keys.clone();
            let session = c
                .exec_create(container, command, Some(pairs(&env)), user, workdir, Some(tty), Some(interactive), keys)
                .call()?
                .execId;
            if detach {
                c.exec_start(session.clone()).call()?;
                println!("{session}");
                return Ok(ExitCode::SUCCESS);
            }
            let options = crate::attach::Options {
                stdin: interactive,
                stdout: true,
                stderr: true,
                detach_keys,
                sig_proxy: false,
            };
            let ended =
                crate::attach::attach(conn, &crate::attach::Target::Exec(session.clone()), &options, || Ok(()))?;
            if ended == crate::attach::Ended::Detached {
                return Ok(ExitCode::SUCCESS);
            }
            return exec_exit_code(&mut c, session);
        }
        Command::Ps(args) => return crate::ps::run(conn, args),
        Command::Stats(args) => return crate::stats::run(conn, args),
        Command::Inspect(a) => return crate::inspect::run(conn, a),
        Command::Prune { filter, .. } => {
            let mut total = 0;
            for rep in c.prune(Some(filter)).call()?.reports {
                match rep.error {
                    Some(e) => eprintln!("{}: {e}", rep.id),
                    None => println!("{}", rep.id),
                }
                total += rep.size;
            }
            println!("Total reclaimed space: {}", output::human_size(total.max(0) as u64));
        }
        Command::Top { container, descriptors } => {
            let r = c.top(container, Some(descriptors)).call()?;
            print_top(&r.titles, r.processes);
        }
        Command::Mount(a) => return crate::mount::mount(conn, a),
        Command::Unmount(a) => return crate::mount::unmount(conn, a),
    }
    Ok(ExitCode::SUCCESS)
}

/// Create the container; with `--pod new:NAME`, first the pod (with an
/// infra container, as podman makes it), which goes again if the create fails.
fn create(conn: &Connection, c: &mut VarlinkClient, mut options: vl::CreateOptions) -> Result<String, Failure> {
    use berth::api::varlink::generated::pod;
    use pod::VarlinkClientInterface as _;
    let Some(name) = options.pod.as_deref().and_then(|p| p.strip_prefix("new:")).map(str::to_string) else {
        return Ok(c.create(options).call()?.id);
    };
    let mut pods = pod::VarlinkClient::new(conn.handle.clone());
    // As podman: the hostname asked for is the new pod's, which its
    // members share.
    let hostname = options.hostname.take();
    let pod_id = crate::pod::create_pod(&mut pods, crate::pod::PodCreateArgs::new_for_member(name, hostname))?;
    options.pod = Some(pod_id.clone());
    c.create(options).call().map(|r| r.id).map_err(|e| {
        let _ = pods.remove(pod_id, Some(true), None).call();
        e.into()
    })
}

/// podman's wait: the exit code once the container exits, or -1 once it
/// is in one of `conditions` (followed through Wait's replies with more).
fn wait_for(conn: &Connection, c: &mut VarlinkClient, name: String, conditions: &[String]) -> Result<String, Failure> {
    let exit_only = conditions.iter().all(|s| s == "stopped" || s == "exited");
    if exit_only {
        return Ok(c.wait(name).call()?.exitCode.map_or(String::new(), |code| code.to_string()));
    }
    let wanted = |state: &str| {
        conditions.iter().any(|s| match s.as_str() {
            "initialized" => state == "created",
            "stopped" | "exited" => matches!(state, "stopped" | "exited"),
            other => other == state,
        })
    };
    // A connection of its own: this stream is left before its end.
    let own = conn.another()?;
    for reply in VarlinkClient::new(own.handle).wait(name).more()? {
        let reply = reply?;
        if wanted(&reply.state) {
            return Ok(if reply.exitCode.is_some() && matches!(reply.state.as_str(), "stopped" | "exited") {
                reply.exitCode.unwrap_or(-1).to_string()
            } else {
                "-1".into()
            });
        }
    }
    Err(Failure::engine("the container went before reaching the condition"))
}

/// Act on each name in turn, printing what each answers (podman's verbs
/// print the IDs); the first failure ends it.
fn each(names: Vec<String>, mut act: impl FnMut(String) -> Result<String, Failure>) -> Result<(), Failure> {
    for n in names {
        println!("{}", act(n)?);
    }
    Ok(())
}

/// `run`: create and start; attached (without -d), through an attach
/// made before the start, so that all output is seen, exiting with the
/// container's code. `--rm` is the engine's autoRemove, which holds
/// however this client ends.
fn run_container(
    conn: &Connection,
    a: &CreateArgs,
    detach: bool,
    how: &crate::attach::AttachArgs,
    streams: &[String],
) -> Result<ExitCode, Failure> {
    let mut c = VarlinkClient::new(conn.handle.clone());
    let mut options = a.options()?;
    options.autoRemove = Some(a.rm);
    let image = options.image.clone();
    if let Some(image) = &image {
        a.ensure_image(conn, image)?;
    }
    let id = create(conn, &mut c, options)?;
    // podman's --rm also removes a container whose start failed.
    let unstarted = |e: Failure| {
        if a.rm {
            let _ =
                VarlinkClient::new(conn.handle.clone()).remove(id.clone(), Some(true), Some(true), None, None).call();
        }
        e
    };
    if detach {
        c.start(id.clone()).call().map_err(|e| unstarted(e.into()))?;
        a.tell_unit(&mut c, &id)?;
        println!("{id}");
        return Ok(ExitCode::SUCCESS);
    }
    c.init(id.clone()).call().map_err(|e| unstarted(e.into()))?;
    let mut options = how.options(a.interactive);
    if !streams.is_empty() {
        let has = |s: &str| streams.iter().any(|x| x == s);
        (options.stdin, options.stdout, options.stderr) = (a.interactive && has("stdin"), has("stdout"), has("stderr"));
        // As podman's: with no output shown, the ID says what ran.
        if !options.stdout && !options.stderr {
            println!("{id}");
        }
    }
    let started = || {
        c.start(id.clone()).call().map(drop).map_err(|e| unstarted(e.into()))?;
        a.tell_unit(&mut c, &id)
    };
    let ended = crate::attach::attach(conn, &crate::attach::Target::Container(id.clone()), &options, started)?;
    let detached = ended == crate::attach::Ended::Detached;
    let code = finish_attach(conn, &id, ended)?;
    if a.rm && !detached {
        // As podman's, a run --rm returns once the container is gone: the
        // engine removes it right after recording its exit.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while c.exists(id.clone()).call().is_ok_and(|r| r.exists) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        if let (true, Some(image)) = (a.rmi, image) {
            use berth::api::varlink::generated::image::{VarlinkClient as Images, VarlinkClientInterface as _};
            // Another container may use it: then it stays, as with podman.
            let _ = Images::new(conn.handle.clone()).remove(image, Some(false)).call();
        }
    }
    Ok(code)
}

/// `start --attach`: attached before it starts (a created container has
/// its conmon; another is initialized first).
fn start_attached(conn: &Connection, name: &str, options: &crate::attach::Options) -> Result<ExitCode, Failure> {
    let mut c = VarlinkClient::new(conn.handle.clone());
    let state = c.inspect(name.to_string(), None).call()?.container.state.state;
    if !matches!(state.as_str(), "created" | "running") {
        c.init(name.to_string()).call()?;
    }
    let started =
        || if state == "running" { Ok(()) } else { c.start(name.to_string()).call().map(drop).map_err(Into::into) };
    let ended = crate::attach::attach(conn, &crate::attach::Target::Container(name.to_string()), options, started)?;
    finish_attach(conn, name, ended)
}

/// An attached exec session's exit code (its stream ends once the code
/// is known); the session goes then, as podman's exec removes it.
fn exec_exit_code(c: &mut VarlinkClient, session: String) -> Result<ExitCode, Failure> {
    match c.exec_inspect(session.clone()).call()?.session.exitCode {
        Some(code) => {
            let _ = c.exec_remove(session).call();
            Ok(exit_code(code))
        }
        None => Err(Failure::engine(format!("exec session {session} ended without an exit code"))),
    }
}

/// The exit code of an attached command: 0 when detached, else the
/// container's.
fn finish_attach(conn: &Connection, name: &str, ended: crate::attach::Ended) -> Result<ExitCode, Failure> {
    if ended == crate::attach::Ended::Detached {
        return Ok(ExitCode::SUCCESS);
    }
    let waited = VarlinkClient::new(conn.handle.clone()).wait(name.to_string()).call()?;
    Ok(exit_code(waited.exitCode.unwrap_or(0)))
}

/// What of a log `berthctl logs` asks for.
struct LogsWanted {
    tail: Option<i64>,
    since: Option<String>,
    until: Option<String>,
    timestamps: bool,
}

fn print_logs(c: &mut VarlinkClient, name: String, follow: bool, wanted: LogsWanted) -> Result<(), Failure> {
    let print = |lines: Vec<vl::LogLine>| {
        for l in lines {
            if l.stream == "stderr" {
                eprintln!("{}", l.text);
            } else {
                println!("{}", l.text);
            }
        }
    };
    let LogsWanted { tail, since, until, timestamps } = wanted;
    let mut call = c.logs(name, Some(follow), tail, since, until, Some(timestamps));
    if follow {
        for reply in call.more()? {
            print(reply?.lines);
        }
    } else {
        print(call.call()?.lines);
    }
    Ok(())
}
