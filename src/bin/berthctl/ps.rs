//! `ps`, as podman's: STATUS in its words (Up 5 minutes, Exited (0) 2
//! seconds ago, Created), oldest first unless --sort says otherwise,
//! --pod columns, --no-trunc, and --format json with podman's field names.

use crate::error::Failure;
use crate::output::{self, ago, print_list, short, since, truncate, Format};
use crate::Connection;
use berth::api::varlink::generated::container::{ContainerSummary, VarlinkClient, VarlinkClientInterface};
use serde_json::{json, Value};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct PsArgs {
    /// All containers, not only running ones.
    #[arg(short, long)]
    all: bool,
    /// KEY=VALUE: id, name, label, label!, status, pod, ancestor, before, since, exited, volume.
    #[arg(short, long)]
    filter: Vec<String>,
    /// Only the newest container.
    #[arg(short = 'l', long)]
    latest: bool,
    /// Only IDs.
    #[arg(short, long)]
    quiet: bool,
    /// Whole IDs and commands.
    #[arg(long)]
    no_trunc: bool,
    /// No header line.
    #[arg(short, long)]
    noheading: bool,
    /// Show each container's pod.
    #[arg(short, long)]
    pod: bool,
    /// Show the bytes each container wrote and its root file system's.
    #[arg(short, long)]
    size: bool,
    /// command, created, id, image, names, runningfor or status.
    #[arg(long, default_value = "created")]
    sort: String,
    /// table, json, or a template such as '{{.ID}} {{.Names}}'.
    #[arg(long, default_value = "table")]
    format: String,
    /// Also storage-only containers (made through the Storage API, as a
    /// build's working container is); their STATUS is Storage.
    #[arg(long)]
    external: bool,
    /// Show each running container's namespaces (their inode numbers).
    #[arg(long, alias = "namespace")]
    ns: bool,
    /// Accepted as podman's: berth's catalogue is always in step with the
    /// runtime.
    #[arg(long)]
    sync: bool,
}

/// A container's namespaces as podman's ps shows them: the inode numbers
/// of /proc/PID/ns/* (empty when it has no process).
fn namespaces(pid: Option<i64>) -> Value {
    let read = |ns: &str| -> String {
        let Some(pid) = pid.filter(|p| *p > 0) else { return String::new() };
        std::fs::read_link(format!("/proc/{pid}/ns/{ns}"))
            .ok()
            .and_then(|l| {
                let l = l.to_string_lossy().into_owned();
                Some(l.split_once('[')?.1.trim_end_matches(']').to_string())
            })
            .unwrap_or_default()
    };
    json!({ "Cgroup": read("cgroup"), "IPC": read("ipc"), "MNT": read("mnt"), "NET": read("net"),
            "PIDNS": read("pid"), "User": read("user"), "UTS": read("uts") })
}

/// The storage-only containers as ps rows: state "storage", and the
/// command "storage" where podman's show the tool that made them.
fn external(conn: &Connection) -> Result<Vec<ContainerSummary>, Failure> {
    use berth::api::varlink::generated::storage::{VarlinkClient, VarlinkClientInterface};
    let listed = VarlinkClient::new(conn.handle.clone()).list_external().call()?.containers;
    Ok(listed
        .into_iter()
        .filter_map(|e| {
            Some(ContainerSummary {
                name: e.name?,
                image: e.image.unwrap_or_default(),
                imageId: e.imageId,
                command: vec!["storage".into()],
                state: "storage".into(),
                created: e.created.unwrap_or(0),
                id: e.id,
                startedAt: None,
                finishedAt: None,
                exitCode: None,
                pod: None,
                podName: None,
                labels: Default::default(),
                isInfra: false,
                ports: Vec::new(),
                networks: Vec::new(),
                health: None,
                rwSize: None,
                rootFsSize: None,
            })
        })
        .collect())
}

/// The state word podman's ps shows: created where libpod says configured,
/// exited where it says stopped.
fn podman_state(state: &str) -> &str {
    match state {
        "configured" => "created",
        "stopped" => "exited",
        other => other,
    }
}

/// STATUS as podman's ps says it.
fn status(c: &ContainerSummary) -> String {
    match podman_state(&c.state) {
        "running" => match &c.health {
            Some(health) => format!("Up {} ({health})", since(c.startedAt.unwrap_or(c.created))),
            None => format!("Up {}", since(c.startedAt.unwrap_or(c.created))),
        },
        "exited" => format!("Exited ({}) {} ago", c.exitCode.unwrap_or(0), since(c.finishedAt.unwrap_or(c.created))),
        other => {
            let mut word = other.to_string();
            word[..1].make_ascii_uppercase();
            word
        }
    }
}

/// One container as a template sees it (podman's field names).
fn row(c: &ContainerSummary, no_trunc: bool) -> Value {
    let command = c.command.join(" ");
    json!({
        "ID": if no_trunc { c.id.as_str() } else { short(&c.id) },
        "Image": c.image, "ImageID": c.imageId,
        "Command": if no_trunc { command } else { truncate(&command, 20) },
        "Created": c.created / 1_000_000, "CreatedHuman": ago(c.created), "CreatedAt": ago(c.created),
        "RunningFor": ago(c.created), "Status": status(c), "State": podman_state(&c.state),
        "Names": c.name, "Labels": c.labels, "ExitCode": c.exitCode.unwrap_or(0),
        "Pod": c.pod.as_deref().map(|p| if no_trunc { p } else { short(p) }).unwrap_or_default(),
        "PodName": c.podName.as_deref().unwrap_or_default(), "IsInfra": c.isInfra, "Ports": ports(c),
        "Size": size(c), "Networks": c.networks.join(","),
    })
}

/// podman's PORTS: `0.0.0.0:8080->80/tcp`, a range as `8080-8081->80-81`.
fn ports(c: &ContainerSummary) -> String {
    let span = |first: i64, n: i64| if n > 1 { format!("{first}-{}", first + n - 1) } else { first.to_string() };
    let mut ports: Vec<_> = c.ports.iter().collect();
    ports.sort_by_key(|p| p.hostPort);
    ports
        .into_iter()
        .map(|p| {
            let n = p.range.unwrap_or(1);
            let ip = p.hostIp.as_deref().unwrap_or("0.0.0.0");
            let proto = p.protocol.as_deref().unwrap_or("tcp");
            format!("{ip}:{}->{}/{proto}", span(p.hostPort, n), span(p.containerPort, n))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// podman's SIZE: what it wrote, and (virtual) its whole root.
fn size(c: &ContainerSummary) -> String {
    match (c.rwSize, c.rootFsSize) {
        (Some(rw), Some(root)) => {
            format!("{} (virtual {})", output::human_size(rw.max(0) as u64), output::human_size(root.max(0) as u64))
        }
        _ => String::new(),
    }
}

/// One container as podman's `ps --format json` gives it.
fn podman_json(c: &ContainerSummary) -> Value {
    let exited = podman_state(&c.state) == "exited";
    json!({
        "Id": c.id, "Names": [c.name], "Image": c.image, "ImageID": c.imageId.as_deref().unwrap_or_default(),
        "Command": c.command, "Created": c.created / 1_000_000, "CreatedAt": ago(c.created),
        "StartedAt": c.startedAt.map_or(0, |t| t / 1_000_000), "Exited": exited,
        "ExitedAt": c.finishedAt.map_or(0, |t| t / 1_000_000), "ExitCode": c.exitCode.unwrap_or(0),
        "State": podman_state(&c.state), "Status": status(c), "Labels": c.labels,
        "Pod": c.pod.as_deref().unwrap_or_default(), "PodName": c.podName.as_deref().unwrap_or_default(),
        "IsInfra": c.isInfra,
    })
}

/// Sort as `--sort` says; podman's default, created, is the oldest first.
fn sort(list: &mut [ContainerSummary], by: &str) -> Result<(), Failure> {
    match by {
        "created" => list.sort_by_key(|c| c.created),
        "runningfor" => list.sort_by_key(|c| std::cmp::Reverse(c.created)),
        "command" => list.sort_by_key(|c| c.command.join(" ")),
        "id" => list.sort_by(|a, b| a.id.cmp(&b.id)),
        "image" => list.sort_by(|a, b| a.image.cmp(&b.image)),
        "names" => list.sort_by(|a, b| a.name.cmp(&b.name)),
        "status" => list.sort_by_key(|c| podman_state(&c.state).to_string()),
        "size" => list.sort_by_key(|c| c.rootFsSize),
        other => {
            return Err(Failure::engine(format!(
            "invalid option for --sort, options are: command, created, id, image, names, runningfor, size, status: {other}"
        )))
        }
    }
    Ok(())
}

pub fn run(conn: &Connection, a: PsArgs) -> Result<ExitCode, Failure> {
    let format = Format::parse(&a.format)?;
    if a.quiet && a.size {
        return Err(Failure::engine("quiet and size cannot be used together"));
    }
    if a.ns && a.size {
        return Err(Failure::engine("size and namespace options conflict"));
    }
    if !a.size && a.format.contains(".Size") {
        // podman warns and goes on, with the sizes empty.
        eprintln!("Warning: Size format requires --size option");
    }
    let mut client = VarlinkClient::new(conn.handle.clone());
    let mut list = client.list(Some(a.all), Some(a.filter), Some(a.latest), Some(a.size)).call()?.containers;
    if a.external {
        list.extend(external(conn)?);
    }
    sort(&mut list, &a.sort)?;
    // A --format wins over -q, as in podman.
    if a.quiet && matches!(format, Format::Table) {
        list.iter().for_each(|c| println!("{}", if a.no_trunc { c.id.as_str() } else { short(&c.id) }));
        return Ok(ExitCode::SUCCESS);
    }
    let mut rows: Vec<Value> = list.iter().map(|c| row(c, a.no_trunc)).collect();
    let mut json_rows: Vec<Value> = list.iter().map(podman_json).collect();
    if a.ns {
        for ((c, r), j) in list.iter().zip(&mut rows).zip(&mut json_rows) {
            let pid = client.inspect(c.id.clone(), None).call().ok().and_then(|i| i.container.state.pid);
            for v in [&mut *r, &mut *j] {
                v["Namespaces"] = namespaces(pid);
                v["Pid"] = json!(pid.unwrap_or(0));
            }
            for (column, key) in [
                ("CgroupNS", "Cgroup"),
                ("IPC", "IPC"),
                ("MNT", "MNT"),
                ("NET", "NET"),
                ("PIDNS", "PIDNS"),
                ("UserNS", "User"),
                ("UTS", "UTS"),
            ] {
                r[column] = r["Namespaces"][key].clone();
            }
        }
    }
    let mut columns: Vec<output::Column> = vec![
        ("CONTAINER ID", "ID"),
        ("IMAGE", "Image"),
        ("COMMAND", "Command"),
        ("CREATED", "CreatedHuman"),
        ("STATUS", "Status"),
        ("PORTS", "Ports"),
        ("NAMES", "Names"),
    ];
    if a.ns {
        columns = vec![
            ("CONTAINER ID", "ID"),
            ("NAMES", "Names"),
            ("PID", "Pid"),
            ("CGROUPNS", "CgroupNS"),
            ("IPC", "IPC"),
            ("MNT", "MNT"),
            ("NET", "NET"),
            ("PIDNS", "PIDNS"),
            ("USERNS", "UserNS"),
            ("UTS", "UTS"),
        ];
    }
    if a.pod {
        columns.extend([("POD ID", "Pod"), ("PODNAME", "PodName")]);
    }
    if a.size {
        columns.push(("SIZE", "Size"));
    }
    let json = Value::Array(json_rows);
    let format = match format {
        Format::Table if a.noheading => {
            let all: Vec<String> = columns.iter().map(|(_, f)| format!("{{{{.{f}}}}}")).collect();
            Format::Template { header: false, template: output::Template::parse(&all.join("\t"))? }
        }
        other => other,
    };
    print_list(&format, &columns, &rows, &json)?;
    Ok(ExitCode::SUCCESS)
}
