//! Pods: libpod's runtime_pod.go (`NewPod`, `RemovePod`, lookups). A pod shares
//! the name space of containers. With shareCgroup its members' cgroup parent
//! is the pod's own cgroup; with infra it gets an infra container that can
//! only be removed with the pod.

use super::remove::RemoveOptions;
use super::Runtime;
use crate::db::{Kind, NewContainer};
use crate::error::{Error, Result};
use crate::events::{now_nanos, Event, EventType};
use crate::model::container::{ContainerConfig, ContainerStatus};
use crate::model::pod::{pod_cgroup, validate_cgroup_parent, PodConfig, PodFilters, PodSpec};
use crate::names;

/// The infra container holds the pod with busybox-static (a runtime
/// dependency) sleeping for ever (its entrypoint, as podman's catatonit
/// -P is); SIGKILL stops it at once.
const INFRA_COMMAND: [&str; 3] = ["/bin/busybox", "sleep", "2147483647"];
const INFRA_BINARY: &str = "/bin/busybox";

/// A pod with its member containers.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodInfo {
    #[serde(flatten)]
    pub config: PodConfig,
    pub containers: Vec<String>,
}

/// The hostname a pod's UTS namespace gets: the one asked for, else the
/// pod's name when it is a valid hostname (podman's default).
pub(super) fn pod_hostname(pod: &PodConfig) -> Option<String> {
    let name = pod.hostname.clone().unwrap_or_else(|| pod.name.clone());
    crate::model::container::run::check_hostname(&name).is_ok().then_some(name)
}

impl Runtime {
    pub async fn create_pod(&self, spec: PodSpec) -> Result<(String, String)> {
        for name in spec.name.iter().chain(&spec.infra_name) {
            names::validate_name(name)?;
        }
        let manager = self.config.cgroup_manager;
        let parent = spec.cgroup_parent.clone().unwrap_or_else(|| manager.default_parent().to_string());
        validate_cgroup_parent(manager, &parent)?;
        let shared_namespaces = crate::model::pod::parse_share(spec.share.as_deref(), spec.infra)?;
        let unsupported = match spec.network.as_deref() {
            Some(n) if n.starts_with("container:") => Some("container"),
            Some(n) if n.starts_with("ns:") => Some("path"),
            Some("pod") => Some("pod"),
            _ => None,
        };
        if let Some(mode) = unsupported {
            let why = format!("pods presently do not support network mode {mode}");
            return Err(Error::invalid_argument("network", why));
        }
        if shared_namespaces.iter().any(|n| n == "cgroup") && spec.share_cgroup.unwrap_or(true) {
            return Err(Error::invalid_argument(
                "share",
                "cannot define the pod as the cgroup parent at the same time as joining the infra container's \
                 cgroupNS (shareCgroup false lets members join it)",
            ));
        }
        let exit_policy = spec.exit_policy.clone().unwrap_or_else(|| "continue".into());
        crate::model::pod::check_exit_policy(&exit_policy)?;
        if let Some(h) = &spec.hostname {
            crate::model::container::run::check_hostname(h)?;
        }
        let asks_infra = spec.pid.is_some()
            || spec.uts.is_some()
            || !spec.volumes.is_empty()
            || !spec.volumes_from.is_empty()
            || !spec.devices.is_empty()
            || !spec.sysctls.is_empty()
            || spec.shm_size.is_some()
            || spec.seccomp_profile.is_some()
            || spec.network.is_some()
            || !spec.networks.is_empty()
            || !spec.port_mappings.is_empty()
            || spec.ip.is_some()
            || spec.mac_address.is_some()
            || !spec.resolution.is_empty();
        if asks_infra && !spec.infra {
            return Err(Error::invalid_argument(
                "infra",
                "volumes, devices, sysctls, a shm size, networks, published ports, addresses and DNS and hosts \
                 settings of a pod are its infra container's: the pod needs one",
            ));
        }
        spec.resolution.check()?;
        super::create::check_volumes(&spec.volumes)?;
        let shm_size = spec.shm_size.as_deref().map(crate::config::parse_size).transpose()?;
        let resources = spec.resources.clone();
        super::create::check_resources(&resources)?;
        if !resources.is_empty() && !spec.share_cgroup.unwrap_or(true) {
            return Err(Error::invalid_argument(
                "shareCgroup",
                "a pod's CPU limits are those of its own cgroup, which it has only when its members share it",
            ));
        }
        let infra_template = match spec.infra {
            true => {
                let mut infra = self.infra_config()?;
                if spec.infra_image.is_some() {
                    // Its root and, unless one is given, its command are the image's.
                    infra.rootfs = None;
                    infra.entrypoint = Vec::new();
                    infra.image = spec.infra_image.clone();
                }
                if let Some(command) = &spec.infra_command {
                    if command.first().is_none_or(|c| c.is_empty()) {
                        return Err(Error::invalid_argument("infraCommand", "an infra command needs a program"));
                    }
                    infra.entrypoint = command.clone();
                }
                let run = crate::model::container::RunSpec {
                    devices: spec.devices.clone(),
                    sysctls: spec.sysctls.clone(),
                    pid_namespace: spec.pid.clone(),
                    uts_namespace: spec.uts.clone(),
                    seccomp_profile: spec.seccomp_profile.clone(),
                    ..Default::default()
                };
                crate::model::container::run::apply(&run, &mut infra)?;
                let chosen = super::create::choose_networks(
                    spec.network.as_deref(),
                    &spec.networks,
                    &spec.port_mappings,
                    &self.config.default_netns,
                )?;
                (infra.network, infra.networks) = chosen;
                infra.port_mappings = spec.port_mappings.clone();
                super::create::check_address(infra.network, spec.ip.as_deref(), spec.mac_address.as_deref())?;
                infra.mac_address = spec.mac_address.clone();
                infra.resolution = spec.resolution.clone();
                Some(infra)
            }
            false => None,
        };
        let root = self.config.root.clone();
        let pod = self
            .db
            .write(move |tx| {
                let name = super::create::claim_name(tx, spec.name)?;
                let infra_name = spec.infra_name.map(|n| super::create::claim_name(tx, Some(n))).transpose()?;
                let id = loop {
                    let id = names::new_id();
                    if !tx.id_in_use(&id)? {
                        break id;
                    }
                };
                let share = spec.share_cgroup.unwrap_or(true);
                let mut pod = PodConfig {
                    cgroup_path: share.then(|| pod_cgroup(manager, &parent, &id)),
                    id,
                    name,
                    labels: spec.labels,
                    cgroup_manager: manager,
                    cgroup_parent: parent,
                    share_cgroup: share,
                    infra_id: None,
                    created_nanos: now_nanos(),
                    shared_namespaces,
                    hostname: spec.hostname,
                    exit_policy,
                    shm_size,
                    resources,
                };
                let mut volumes = spec.volumes;
                for from in &spec.volumes_from {
                    let id = tx.resolve(Kind::Container, from)?;
                    let record = tx.container(&id)?.ok_or_else(|| Error::NoSuchContainer(from.clone()))?;
                    volumes.extend(record.config()?.volumes.iter().map(|v| crate::model::container::VolumeSpec {
                        name: Some(v.name.clone()),
                        destination: v.destination.clone(),
                        options: v.options.clone(),
                    }));
                }
                let mut made = Vec::new();
                let infra = match infra_template {
                    Some(mut infra) => {
                        infra.id = names::new_id();
                        infra.name = infra_name.unwrap_or_else(|| format!("{}-infra", &pod.id[..12]));
                        infra.pod = Some(pod.id.clone());
                        infra.cgroup_parent = pod.cgroup_path.clone().or(Some(pod.cgroup_parent.clone()));
                        infra.created_nanos = pod.created_nanos;
                        infra.hostname = pod_hostname(&pod);
                        if let Some(reference) = infra.image.clone() {
                            let own_command = spec.infra_command.is_some();
                            super::create::apply_image(tx, &reference, own_command, &mut infra)?;
                        }
                        let attached = super::create::attach_volumes(tx, &root, &volumes, pod.created_nanos, &mut made);
                        match attached {
                            Ok((mounted, _)) => infra.volumes = mounted,
                            Err(e) => {
                                made.iter().for_each(|d| drop(std::fs::remove_dir_all(d)));
                                return Err(e);
                            }
                        }
                        Some(infra)
                    }
                    None => None,
                };
                pod.infra_id = infra.as_ref().map(|c| c.id.clone());
                tx.insert_pod(&pod)?;
                if let Some(infra) = &infra {
                    tx.insert_container(NewContainer { config: infra, status: &ContainerStatus::new() })?;
                    super::create::join_networks(tx, infra, &spec.network_aliases, spec.ip.as_deref())?;
                }
                Ok(pod)
            })
            .await?;
        if let Err(e) = self.start_pod_slice(&pod).await {
            // No pod without its slice: take back the records, which nothing
            // has seen yet (no event went out, no container started).
            let (id, infra) = (pod.id.clone(), pod.infra_id.clone());
            self.db
                .write(move |tx| {
                    if let Some(infra) = &infra {
                        super::remove::delete_records(tx, infra, true)?;
                    }
                    tx.delete_pod(&id)
                })
                .await?;
            return Err(e);
        }
        self.events.emit(Event::new(EventType::Pod, "create", &pod.id, &pod.name).with_labels(&pod.labels));
        Ok((pod.id, pod.name))
    }

    /// podman's exit policy "stop": once a member has exited and no other
    /// one but the infra container has processes, the infra container
    /// stops too, and the pod is exited.
    pub(super) async fn apply_exit_policy(&self, member: &ContainerConfig) {
        let Some(pod_id) = member.pod.as_deref().filter(|_| !member.is_infra) else { return };
        let infra = self.db.read(|tx| {
            let Some(pod) = tx.pod(pod_id)?.filter(|p| p.exit_policy == "stop") else { return Ok(None) };
            let Some(infra) = pod.infra_id else { return Ok(None) };
            for m in tx.pod_members(pod_id)?.iter().filter(|m| **m != infra) {
                if tx.container(m)?.is_some_and(|r| r.status.state.has_processes()) {
                    return Ok(None);
                }
            }
            Ok(Some(infra))
        });
        match infra.await {
            Ok(Some(infra)) => {
                if let Err(e) = self.stop_container(&infra, None).await {
                    tracing::warn!(pod = pod_id, "stopping the infra container by the pod's exit policy: {e}");
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(pod = pod_id, "reading the pod for its exit policy: {e}"),
        }
    }

    /// Where a pod keeps what lives as long as it does: the shared memory
    /// of its members (`shm`), under the run root.
    pub(super) fn pod_run_dir(&self, pod_id: &str) -> std::path::PathBuf {
        self.config.run_root.join("pods").join(pod_id)
    }

    /// An infra container's configuration, but for its identity and pod. Its
    /// root holds only a copy of busybox, made the first time it is needed.
    fn infra_config(&self) -> Result<ContainerConfig> {
        let cfg = &self.config;
        let (runtime, runtime_path) = cfg.resolve_runtime(&cfg.default_runtime)?;
        let bin = cfg.root.join("infra-rootfs/bin");
        if !bin.join("busybox").is_file() {
            if !std::path::Path::new(INFRA_BINARY).is_file() {
                return Err(Error::RuntimeNotAvailable(format!(
                    "{INFRA_BINARY} (busybox-static), for infra containers"
                )));
            }
            std::fs::create_dir_all(&bin).map_err(|e| Error::storage(bin.display(), e))?;
            std::fs::copy(INFRA_BINARY, bin.join("busybox")).map_err(|e| Error::storage(bin.display(), e))?;
        }
        Ok(ContainerConfig {
            rootfs: Some(cfg.root.join("infra-rootfs")),
            entrypoint: INFRA_COMMAND.iter().map(|s| s.to_string()).collect(),
            is_infra: true,
            stop_signal: nix::sys::signal::Signal::SIGKILL as i32,
            stop_timeout: cfg.stop_timeout,
            shm_size: cfg.shm_size,
            log_driver: "none".into(),
            runtime,
            runtime_path,
            cgroup_manager: cfg.cgroup_manager,
            ..Default::default()
        })
    }

    pub async fn lookup_pod_id(&self, name_or_id: &str) -> Result<String> {
        self.resolve(Kind::Pod, name_or_id).await
    }

    pub async fn pod_exists(&self, name_or_id: &str) -> Result<bool> {
        match self.lookup_pod_id(name_or_id).await {
            Ok(_) => Ok(true),
            Err(Error::NoSuchPod(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub async fn inspect_pod(&self, name_or_id: &str) -> Result<PodInfo> {
        self.db
            .read(|tx| {
                let id = tx.resolve(Kind::Pod, name_or_id)?;
                let config = tx.pod(&id)?.ok_or_else(|| Error::NoSuchPod(name_or_id.to_string()))?;
                Ok(PodInfo { containers: tx.pod_members(&id)?, config })
            })
            .await
    }

    pub async fn list_pods(&self, filters: &[String]) -> Result<Vec<PodInfo>> {
        let filters = PodFilters::parse(filters)?;
        self.db
            .scan(move |tx| {
                tx.pods()?
                    .into_iter()
                    .filter(|p| filters.matches(p))
                    .map(|config| Ok(PodInfo { containers: tx.pod_members(&config.id)?, config }))
                    .collect()
            })
            .await
    }

    /// Remove a pod and its members, as libpod's RemovePod: without force a
    /// member with processes refuses it (and nothing is removed), but for
    /// the infra container, which a member's start started and which is
    /// stopped with the pod; created and exited members go with it.
    /// `timeout` is the stop timeout of forced members. Returns the pod ID
    /// and the removed containers.
    pub async fn remove_pod(
        &self,
        name_or_id: &str,
        force: bool,
        timeout: Option<u32>,
    ) -> Result<(String, Vec<String>)> {
        let id = self.lookup_pod_id(name_or_id).await?;
        let _lock = self.locks.lock(&id).await;
        let (pod, members, running) = self
            .db
            .read(|tx| {
                let pod = tx.pod(&id)?.ok_or_else(|| Error::NoSuchPod(id.clone()))?;
                let members = tx.pod_members(&id)?;
                let mut running = None;
                for m in members.iter().filter(|m| Some(*m) != pod.infra_id.as_ref()) {
                    if let Some(record) = tx.container(m)?.filter(|r| r.status.state.has_processes()) {
                        running = Some((m.clone(), record.status.state));
                        break;
                    }
                }
                Ok((pod, members, running))
            })
            .await?;
        if let (Some((member, state)), false) = (running, force) {
            // podman's words, which its scripts match.
            let reason =
                format!("pod {id} has container {member} which is {state}, and it cannot be removed without force");
            return Err(state.invalid(&member, &reason));
        }
        let mut removed = Vec::new();
        let mut failures = Vec::new();
        let opts = RemoveOptions { force: true, with_pod: true, timeout, ..Default::default() };
        // Members that others depend on go after those others, as podman's
        // RemovePodContainers removes them all whatever their order.
        let mut pending = members.clone();
        loop {
            let before = pending.len();
            let mut waiting = Vec::new();
            for member in pending {
                match self.remove_by_id(&member, opts).await {
                    Ok(_) => removed.push(member),
                    Err(Error::HasDependents { .. }) => waiting.push(member),
                    Err(e) => failures.push(format!("{member}: {e}")),
                }
            }
            if waiting.is_empty() {
                break;
            }
            if waiting.len() == before {
                // None went this round: what they wait on is not the pod's.
                failures.extend(waiting.iter().map(|m| format!("{m}: it has dependents outside the pod")));
                break;
            }
            pending = waiting;
        }
        if !failures.is_empty() {
            return Err(Error::Runtime(format!(
                "pod {id} kept: removing its containers failed: {}",
                failures.join("; ")
            )));
        }
        self.db
            .write(|tx| {
                // A container may have joined while the members were removed.
                let joined = tx.pod_members(&id)?;
                if !joined.is_empty() {
                    return Err(Error::HasDependents { id: id.clone(), dependents: joined });
                }
                tx.delete_pod(&id)
            })
            .await?;
        if let Err(e) = self.stop_pod_slice(&pod).await {
            tracing::warn!(pod = id.as_str(), "stopping the pod's slice: {e}");
        }
        let run_dir = self.pod_run_dir(&id);
        let cleaned = super::blocking(move || {
            crate::storage::overlay::unmount(&run_dir.join("shm"))?;
            super::remove_tree(&run_dir)
        });
        if let Err(e) = cleaned.await {
            tracing::warn!(pod = id.as_str(), "removing the pod's run directory: {e}");
        }
        self.events.emit(Event::new(EventType::Pod, "remove", &id, &pod.name));
        Ok((id, removed))
    }

    /// Start a pod: its infra container first, then the others in the order
    /// they were created; running ones are left as they are. Every member is
    /// tried; failures are reported together. Returns the started IDs.
    pub async fn start_pod(&self, name_or_id: &str) -> Result<(String, Vec<String>)> {
        self.pod_each(name_or_id, "start", true, |rt, id| {
            Box::pin(async move {
                let (_, status) = rt.load_container(&id).await?;
                if matches!(
                    status.state,
                    crate::model::container::State::Running | crate::model::container::State::Paused
                ) {
                    return Ok(false);
                }
                rt.start_container(&id).await.map(|_| true)
            })
        })
        .await
    }

    /// Stop a pod's running members, infra last.
    pub async fn stop_pod(&self, name_or_id: &str, timeout: Option<u32>) -> Result<(String, Vec<String>)> {
        self.pod_each(name_or_id, "stop", false, move |rt, id| {
            Box::pin(async move {
                let (_, status) = rt.load_container(&id).await?;
                if status.state.can_stop(&id).is_err() {
                    return Ok(false);
                }
                rt.stop_container(&id, timeout).await.map(|_| true)
            })
        })
        .await
    }

    /// Signal a pod's members that have processes.
    pub async fn kill_pod(&self, name_or_id: &str, signal: Option<String>) -> Result<(String, Vec<String>)> {
        self.pod_each(name_or_id, "kill", false, move |rt, id| {
            let signal = signal.clone();
            Box::pin(async move {
                let (_, status) = rt.load_container(&id).await?;
                if status.state.can_kill(&id).is_err() {
                    return Ok(false);
                }
                rt.kill_container(&id, signal.as_deref()).await.map(|_| true)
            })
        })
        .await
    }

    /// Apply `act` to every member of a pod under the pod's lock (infra first
    /// when `infra_first`, else last); the IDs it acted on.
    async fn pod_each<F>(
        &self,
        name_or_id: &str,
        action: &str,
        infra_first: bool,
        act: F,
    ) -> Result<(String, Vec<String>)>
    where
        F: for<'a> Fn(
            &'a Runtime,
            String,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<bool>> + Send + 'a>>,
    {
        let id = self.lookup_pod_id(name_or_id).await?;
        let _lock = self.locks.lock(&id).await;
        // pod_members lists the infra container last.
        let mut members = self.db.read(|tx| tx.pod_members(&id)).await?;
        let pod = self.inspect_pod(&id).await?.config;
        if infra_first {
            if let Some(infra) = &pod.infra_id {
                members.retain(|m| m != infra);
                members.insert(0, infra.clone());
            }
        }
        let mut done = Vec::new();
        let mut failures = Vec::new();
        for member in members {
            match act(self, member.clone()).await {
                Ok(true) => done.push(member),
                Ok(false) => {}
                Err(e) => failures.push(format!("{member}: {e}")),
            }
        }
        self.events.emit(Event::new(EventType::Pod, action, &id, &pod.name));
        if failures.is_empty() {
            Ok((id, done))
        } else {
            Err(Error::Runtime(format!("pod {id}: {action} failed for {}", failures.join("; "))))
        }
    }
}
