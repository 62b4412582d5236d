//! `berthctl pod ...`

use crate::container::pairs;
use crate::error::Failure;
use crate::output::{self, ago, print_list, short, Format};
use crate::remove::{remove_all, resolve_all, Selection};
use crate::{Connection, InspectArgs, ListArgs};
use berth::api::varlink::generated::pod::{VarlinkClient, VarlinkClientInterface};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Create a pod.
    Create(Box<PodCreateArgs>),
    /// Show pods' configuration and members.
    Inspect(InspectArgs),
    /// Show the processes of a pod's running containers.
    Top { pod: String, descriptors: Vec<String> },
    /// Exit 0 if the pod exists, 1 if not.
    Exists { name: String },
    /// List pods.
    #[command(alias = "ls", alias = "ps")]
    List(ListArgs),
    /// Remove pods and their containers.
    Rm(PodRmArgs),
    /// Remove every pod whose containers have all exited.
    Prune {
        /// Do not ask (berthctl never does).
        #[arg(short, long)]
        force: bool,
        /// label=KEY[=VALUE], label!=..., until=TIME.
        #[arg(long)]
        filter: Vec<String>,
    },
    /// Start pods' containers, infra first.
    Start {
        names: Vec<String>,
        /// Read the pod's ID from this file (as pod create --pod-id-file wrote it).
        #[arg(long)]
        pod_id_file: Vec<String>,
    },
    /// Stop a pod's containers.
    Stop {
        name: String,
        #[arg(short, long)]
        time: Option<i64>,
    },
    /// Signal a pod's containers.
    Kill {
        name: String,
        #[arg(short, long)]
        signal: Option<String>,
    },
}

// `pod create`, with podman's flags.
#[derive(clap::Args, Default)]
pub struct PodCreateArgs {
    #[arg(long)]
    name: Option<String>,
    #[arg(short, long)]
    label: Vec<String>,
    #[arg(long)]
    cgroup_parent: Option<String>,
    /// Do not put members under the pod's own cgroup.
    #[arg(long)]
    no_share_cgroup: bool,
    /// Put members under the pod's own cgroup (podman's name; default true).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    share_parent: Option<bool>,
    /// CPUs' worth of time per second for the whole pod, such as 1.5.
    #[arg(long)]
    cpus: Option<f64>,
    /// The CPUs the pod's containers may run on, such as 0-2,4.
    #[arg(long)]
    cpuset_cpus: Option<String>,
    /// The infra container's networks and ports, so the members' (implies --infra).
    #[command(flatten)]
    net: crate::mounts::NetworkArgs,
    /// no-new-privileges is not a pod's; seccomp=unconfined|PATH is the
    /// infra container's, which members inherit (implies --infra).
    #[arg(long)]
    security_opt: Vec<String>,
    /// Add an infra container (--infra or --infra=true).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    infra: Option<bool>,
    /// The infra container's name (implies --infra).
    #[arg(long)]
    infra_name: Option<String>,
    /// Write the pod's ID to this file.
    #[arg(long)]
    pod_id_file: Option<String>,
    /// Remove a pod of the same name first (with its containers).
    #[arg(long)]
    replace: bool,
    /// Namespaces the members join: cgroup, ipc, net, pid, uts, none,
    /// or +NAME to add to the default (implies --infra).
    #[arg(long)]
    share: Vec<String>,
    /// The hostname its members see (implies --infra).
    #[arg(long)]
    hostname: Option<String>,
    /// continue, or stop: stop the pod when its last container exits
    /// (implies --infra).
    #[arg(long)]
    exit_policy: Option<String>,
    /// [NAME:]DEST[:OPTS]: a volume of the infra container, which
    /// members inherit (implies --infra).
    #[arg(short, long)]
    volume: Vec<String>,
    /// The volumes of these containers, as --volume gives them.
    #[arg(long)]
    volumes_from: Vec<String>,
    /// HOST[:CONTAINER][:PERMISSIONS], inherited by members.
    #[arg(long)]
    device: Vec<String>,
    /// KEY=VALUE, set in the namespaces members join.
    #[arg(long)]
    sysctl: Vec<String>,
    /// The size of the /dev/shm members share, such as 64m.
    #[arg(long)]
    shm_size: Option<String>,
    /// What the infra container runs: a command, or a JSON array.
    #[arg(long)]
    infra_command: Option<String>,
    /// The image the infra container is made from.
    #[arg(long)]
    infra_image: Option<String>,
    /// The infra container's PID namespace: private, host or ns:PATH.
    #[arg(long)]
    pid: Option<String>,
    /// Its UTS namespace: private, host or ns:PATH.
    #[arg(long)]
    uts: Option<String>,
}

/// Create a pod as `a` says; print its ID (and write it to --pod-id-file).
fn create(c: &mut VarlinkClient, mut a: PodCreateArgs) -> Result<(), Failure> {
    let pod_id_file = a.pod_id_file.take();
    let id = create_pod(c, a)?;
    if let Some(file) = pod_id_file {
        std::fs::write(&file, &id).map_err(|e| Failure::engine(format!("writing {file}: {e}")))?;
    }
    println!("{id}");
    Ok(())
}

impl PodCreateArgs {
    /// What `run --pod new:NAME` makes: a pod with an infra container, as
    /// podman's, and the hostname asked for.
    pub fn new_for_member(name: String, hostname: Option<String>) -> PodCreateArgs {
        PodCreateArgs { name: Some(name), hostname, infra: Some(true), ..Default::default() }
    }
}

/// Create a pod as `a` says; its ID.
pub fn create_pod(c: &mut VarlinkClient, a: PodCreateArgs) -> Result<String, Failure> {
    if a.replace {
        let Some(name) = &a.name else {
            return Err(Failure::engine("cannot replace pod without --name being set"));
        };
        if let Err(e) = c.remove(name.clone(), Some(true), None).call() {
            let failure = Failure::from(e);
            if failure.name != "NoSuchPod" {
                return Err(failure);
            }
        }
    }
    let (no_new_privileges, seccomp) = crate::container::security_opts(&a.security_opt)?;
    let ports = a.net.ports()?.into_iter().map(|m| berth::api::varlink::generated::pod::PortMapping {
        hostIp: m.hostIp,
        hostPort: m.hostPort,
        containerPort: m.containerPort,
        protocol: m.protocol,
        range: m.range,
    });
    if no_new_privileges {
        return Err(Failure::engine("--security-opt no-new-privileges is a container's, not a pod's"));
    }
    // Sharing namespaces, and what members inherit, need an infra
    // container to hold them.
    let wants_infra = seccomp.is_some()
        || a.net.wants_infra()
        || !a.net.network.is_empty()
        || !a.net.publish.is_empty()
        || !a.share.is_empty()
        || a.hostname.is_some()
        || a.exit_policy.is_some()
        || !a.volume.is_empty()
        || !a.volumes_from.is_empty()
        || !a.device.is_empty()
        || !a.sysctl.is_empty()
        || a.shm_size.is_some()
        || a.infra_command.is_some()
        || a.infra_image.is_some()
        || a.pid.is_some()
        || a.uts.is_some();
    let volumes: Vec<_> = a
        .volume
        .iter()
        .map(|v| {
            let (name, destination, options) = crate::container::volume_parts(v);
            berth::api::varlink::generated::pod::PodVolume { name, destination, options }
        })
        .collect();
    let some = |v: Vec<String>| (!v.is_empty()).then_some(v);
    let r = c
        .create(
            a.name,
            Some(pairs(&a.label)),
            a.cgroup_parent,
            Some(a.share_parent.unwrap_or(!a.no_share_cgroup)),
            a.infra.or(wants_infra.then_some(true)),
            a.infra_name,
            some(a.share),
            a.hostname,
            a.exit_policy,
            (!volumes.is_empty()).then_some(volumes),
            some(a.volumes_from),
            some(a.device),
            Some(pairs(&a.sysctl)),
            a.shm_size,
            a.infra_command.as_deref().map(crate::container::entrypoint),
            a.infra_image,
            a.pid,
            a.uts,
            a.cpus.map(|c| (c * 1e9).round() as i64),
            a.cpuset_cpus,
            seccomp,
            a.net.network.first().cloned(),
            some(a.net.network.iter().skip(1).cloned().collect()),
            some(a.net.network_alias.clone()),
            Some(ports.collect()),
            a.net.ip.clone(),
            a.net.mac_address.clone(),
            some(a.net.dns.clone()),
            some(a.net.dns_search.clone()),
            some(a.net.dns_option.clone()),
            some(a.net.add_host.clone()),
            Some(a.net.no_hosts),
        )
        .call()?;
    Ok(r.id)
}

pub fn run(conn: &Connection, cmd: Command) -> Result<ExitCode, Failure> {
    let mut c = VarlinkClient::new(conn.handle.clone());
    match cmd {
        Command::Create(a) => create(&mut c, *a)?,
        Command::Inspect(InspectArgs { names, format }) => {
            let states = member_states(conn)?;
            output::inspect_each(&format, names, |n| {
                let pod = podman_fields(json!(c.inspect(n).call()?.pod), &states);
                with_infra_mounts(conn, pod)
            })?;
        }
        Command::Exists { name } => return Ok(crate::exists_code(c.exists(name).call()?.exists)),
        Command::Top { pod, descriptors } => {
            use berth::api::varlink::generated::container::{self as ct, VarlinkClientInterface as _};
            let members = c.inspect(pod).call()?.pod.containers;
            let states = member_states(conn)?;
            let mut containers = ct::VarlinkClient::new(conn.handle.clone());
            let (mut titles, mut rows) = (Vec::new(), Vec::new());
            for m in members.iter().filter(|m| states.get(*m).is_some_and(|s| s == "running")) {
                let r = containers.top(m.clone(), Some(descriptors.clone())).call()?;
                titles = r.titles;
                rows.extend(r.processes);
            }
            crate::container::print_top(&titles, rows);
        }
        Command::List(ListArgs { filter, format, quiet, no_trunc, noheading }) => {
            let pods = c.list(Some(filter)).call()?.pods;
            if quiet {
                pods.iter().for_each(|p| println!("{}", if no_trunc { p.id.as_str() } else { short(&p.id) }));
                return Ok(ExitCode::SUCCESS);
            }
            let states = member_states(conn)?;
            let rows: Vec<_> = pods
                .iter()
                .map(|p| {
                    json!({ "ID": if no_trunc { p.id.as_str() } else { short(&p.id) }, "Name": p.name,
                            "Created": ago(p.created), "Labels": p.labels, "Status": status(&p.containers, &states),
                            "InfraId": p.infraId.as_deref().map(short), "NumberOfContainers": p.containers.len(),
                            "CgroupParent": p.cgroupParent })
                })
                .collect();
            const COLUMNS: &[output::Column] = &[
                ("POD ID", "ID"),
                ("NAME", "Name"),
                ("STATUS", "Status"),
                ("CREATED", "Created"),
                ("# OF CONTAINERS", "NumberOfContainers"),
            ];
            let format = match Format::parse(&format)? {
                Format::Table if noheading => {
                    let all: Vec<String> = COLUMNS.iter().map(|(_, f)| format!("{{{{.{f}}}}}")).collect();
                    Format::Template { header: false, template: output::Template::parse(&all.join("\t"))? }
                }
                other => other,
            };
            print_list(&format, COLUMNS, &rows, &json!(pods))?;
        }
        Command::Rm(a) => return remove(&mut c, a),
        Command::Prune { filter, .. } => c.prune(Some(filter)).call()?.pods.iter().for_each(|p| println!("{p}")),
        Command::Start { mut names, pod_id_file } => {
            names.extend(read_id_files(&pod_id_file)?);
            for name in names {
                let r = c.start(name).call()?;
                print_acted(&r.id, &r.containers);
            }
        }
        Command::Stop { name, time } => {
            let r = c.stop(name, time).call()?;
            print_acted(&r.id, &r.containers);
        }
        Command::Kill { name, signal } => {
            let r = c.kill(name, signal).call()?;
            print_acted(&r.id, &r.containers);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A pod command's answer: the pod, then the containers it acted on.
fn print_acted(pod: &str, containers: &[String]) {
    println!("{pod}");
    containers.iter().for_each(|id| println!("  {id}"));
}

// `pod rm`: podman's flags and exit codes (see remove.rs).
#[derive(clap::Args)]
pub struct PodRmArgs {
    #[command(flatten)]
    select: Selection,
    /// Read a pod ID from this file.
    #[arg(long)]
    pod_id_file: Vec<String>,
}

/// The contents of ID files, trimmed.
fn read_id_files(files: &[String]) -> Result<Vec<String>, Failure> {
    files
        .iter()
        .map(|f| {
            std::fs::read_to_string(f)
                .map(|id| id.trim().to_string())
                .map_err(|e| Failure::engine(format!("reading pod ID file {f}: {e}")))
        })
        .collect()
}

fn remove(c: &mut VarlinkClient, a: PodRmArgs) -> Result<ExitCode, Failure> {
    let ignore = a.select.ignore || a.select.force;
    let selecting = a.select.all || a.select.latest;
    if selecting && (!a.select.names.is_empty() || !a.pod_id_file.is_empty()) {
        return Err(Failure::engine("--all and --latest take no pod names or ID files"));
    }
    if !selecting && a.select.names.is_empty() && a.pod_id_file.is_empty() {
        return Err(Failure::engine("must specify at least one pod name or ID"));
    }
    let targets = if selecting {
        let mut pods = c.list(Some(Vec::new())).call()?.pods;
        if a.select.latest {
            pods.sort_by_key(|p| p.created);
            pods = pods.pop().into_iter().collect();
        }
        pods.into_iter().map(|p| (p.id.clone(), p.id)).collect()
    } else {
        let mut given = a.select.names.clone();
        given.extend(read_id_files(&a.pod_id_file)?);
        resolve_all(given, ignore, "NoSuchPod", |name| Ok(c.inspect(name).call()?.pod.id))?
    };
    remove_all(targets, ignore, "NoSuchPod", |id| {
        c.remove(id.clone(), Some(a.select.force), a.select.time).call()?;
        Ok(vec![id])
    })
}

/// A pod's inspect with the fields podman's scripts read: NumContainers,
/// InfraContainerID, State.
pub fn podman_fields(mut pod: Value, states: &HashMap<String, String>) -> Value {
    let members: Vec<String> =
        pod["containers"].as_array().into_iter().flatten().filter_map(|m| m.as_str().map(str::to_string)).collect();
    let infra = pod["infraId"].clone();
    if let Some(o) = pod.as_object_mut() {
        o.insert("NumContainers".into(), json!(members.len()));
        o.insert("InfraContainerID".into(), infra);
        o.insert("State".into(), json!(status(&members, states)));
    }
    pod
}

/// Every container's state word, by ID.
/// podman's pod inspect shows its infra container's volumes as Mounts.
pub fn with_infra_mounts(conn: &Connection, mut pod: Value) -> Result<Value, Failure> {
    use berth::api::varlink::generated::container::{self, VarlinkClientInterface as _};
    let Some(infra) = pod["infraId"].as_str().map(str::to_string) else {
        // Without an infra container, its members have their own networks.
        pod["InfraConfig"] = json!({ "HostNetwork": false });
        return Ok(pod);
    };
    let info = container::VarlinkClient::new(conn.handle.clone()).inspect(infra, None).call()?.container;
    let mounts: Vec<Value> = info
        .config
        .volumes
        .iter()
        .map(|v| json!({ "Name": v.name, "Destination": v.destination, "Options": v.options }))
        .collect();
    pod["Mounts"] = json!(mounts);
    pod["InfraConfig"] = json!({ "PidNS": info.config.pidNamespace, "UtsNS": info.config.utsNamespace,
                                 "HostNetwork": info.config.network == "host" });
    Ok(pod)
}

pub fn member_states(conn: &Connection) -> Result<HashMap<String, String>, Failure> {
    use berth::api::varlink::generated::container::{self, VarlinkClientInterface as _};
    let list = container::VarlinkClient::new(conn.handle.clone()).list(Some(true), None, None, None).call()?;
    Ok(list.containers.into_iter().map(|c| (c.id, c.state)).collect())
}

/// A pod's status as podman's pod ps says it, from its members' states.
fn status(members: &[String], states: &HashMap<String, String>) -> &'static str {
    let states: Vec<&str> = members.iter().filter_map(|m| states.get(m).map(String::as_str)).collect();
    let all = |f: &dyn Fn(&str) -> bool| !states.is_empty() && states.iter().all(|s| f(s));
    if all(&|s| s == "running") {
        "Running"
    } else if states.contains(&"running") {
        "Degraded"
    } else if all(&|s| s == "paused") {
        "Paused"
    } else if all(&|s| matches!(s, "exited" | "stopped")) {
        "Exited"
    } else {
        "Created"
    }
}
