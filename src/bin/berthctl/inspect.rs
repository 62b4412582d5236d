//! `inspect`, as podman's: a name is looked for among containers, then
//! images, pods and volumes (or only the `--type` given); what is found is
//! printed as one JSON array even when some name is not, and then the
//! command fails.

use crate::error::Failure;
use crate::output::{pretty, Format};
use crate::Connection;
use berth::api::varlink::generated::{container, image, network, pod, volume};
use serde_json::{json, Value};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct InspectArgs {
    names: Vec<String>,
    /// container, image, pod, volume or all.
    #[arg(short, long, default_value = "all")]
    r#type: String,
    /// The newest container (or pod, with --type pod).
    #[arg(short, long)]
    latest: bool,
    /// Include the bytes each container wrote and its root file system's.
    #[arg(short, long)]
    size: bool,
    /// json, or a template such as '{{.State.Pid}}'.
    #[arg(short, long, default_value = "json")]
    format: String,
}

impl InspectArgs {
    /// `container inspect`: containers only.
    pub fn containers_only(mut self) -> Self {
        self.r#type = "container".into();
        self
    }
}

/// One lookup of a name as one kind: the object, or why not.
fn find(conn: &Connection, kind: &str, name: &str, size: bool) -> Result<Value, Failure> {
    use container::VarlinkClientInterface as _;
    use image::VarlinkClientInterface as _;
    use network::VarlinkClientInterface as _;
    use pod::VarlinkClientInterface as _;
    use volume::VarlinkClientInterface as _;
    let h = || conn.handle.clone();
    Ok(match kind {
        "container" => {
            let c = json!(container::VarlinkClient::new(h()).inspect(name.into(), Some(size)).call()?.container);
            // A member in its pod's namespace is on the pod's networks.
            let pod_networks = match (c["config"]["pod"].as_str(), c["config"]["network"].as_str()) {
                (Some(pod), Some("private")) => {
                    let infra = pod::VarlinkClient::new(h()).inspect(pod.into()).call()?.pod.infraId;
                    match infra.filter(|i| Some(i.as_str()) != c["id"].as_str()) {
                        Some(infra) => {
                            let infra = container::VarlinkClient::new(h()).inspect(infra, None).call()?.container;
                            Some(json!(infra.networks))
                        }
                        None => None,
                    }
                }
                _ => None,
            };
            podman_fields(c, pod_networks)
        }
        "image" => {
            let mut image = json!(image::VarlinkClient::new(h()).inspect(name.into()).call()?.image);
            // podman's field for the names, which its scripts read.
            image["RepoTags"] = image["names"].clone();
            image
        }
        "pod" => {
            let pod = json!(pod::VarlinkClient::new(h()).inspect(name.into()).call()?.pod);
            crate::pod::with_infra_mounts(conn, crate::pod::podman_fields(pod, &crate::pod::member_states(conn)?))?
        }
        "volume" => json!(volume::VarlinkClient::new(h()).inspect(name.into()).call()?.volume),
        "network" => json!(network::VarlinkClient::new(h()).inspect(name.into()).call()?.network),
        other => return Err(invalid_type(other)),
    })
}

fn invalid_type(kind: &str) -> Failure {
    Failure::engine(format!("invalid type {kind:?}: use container, image, pod, volume, network or all"))
}

/// podman's names for what its scripts read of a container: each mount's
/// Src and Dst, and NetworkSettings (its first address, its networks and
/// its published ports as `PORT/PROTO: [{HostIp, HostPort}]`).
fn podman_fields(mut c: Value, pod_networks: Option<Value>) -> Value {
    let networks_shown = pod_networks.unwrap_or_else(|| c["networks"].clone());
    if let Some(mounts) = c["mounts"].as_array_mut() {
        for m in mounts {
            m["Src"] = m["source"].clone();
            m["Dst"] = m["destination"].clone();
        }
    }
    let mut ports = serde_json::Map::new();
    for p in c["ports"].as_array().into_iter().flatten() {
        let (host, container) = (p["hostPort"].as_i64().unwrap_or(0), p["containerPort"].as_i64().unwrap_or(0));
        let protocol = p["protocol"].as_str().unwrap_or("tcp");
        for k in 0..p["range"].as_i64().unwrap_or(1).max(1) {
            let binding = json!([{ "HostIp": p["hostIp"].as_str().unwrap_or(""), "HostPort": (host + k).to_string() }]);
            ports.insert(format!("{}/{protocol}", container + k), binding);
        }
    }
    let networks: serde_json::Map<String, Value> = networks_shown
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| (n["name"].as_str().unwrap_or_default().to_string(), json!({ "IPAddress": n["ipAddress"] })))
        .collect();
    let address = networks_shown[0]["ipAddress"].as_str().unwrap_or_default().to_string();
    c["NetworkSettings"] = json!({ "IPAddress": address, "Ports": ports, "Networks": networks });
    c
}

/// The newest container, or pod: its ID.
fn latest(conn: &Connection, kind: &str) -> Result<String, Failure> {
    use container::VarlinkClientInterface as _;
    use pod::VarlinkClientInterface as _;
    let newest = if kind == "pod" {
        let pods = pod::VarlinkClient::new(conn.handle.clone()).list(None).call()?.pods;
        pods.into_iter().max_by_key(|p| p.created).map(|p| p.id)
    } else {
        let list =
            container::VarlinkClient::new(conn.handle.clone()).list(Some(true), None, Some(true), None).call()?;
        list.containers.into_iter().next().map(|c| c.id)
    };
    newest.ok_or_else(|| Failure::engine(format!("no {kind} to inspect")))
}

pub fn run(conn: &Connection, a: InspectArgs) -> Result<ExitCode, Failure> {
    let format = Format::parse(&a.format)?;
    let kinds: &[&str] = match a.r#type.as_str() {
        "all" => &["container", "image", "pod", "volume", "network"],
        "container" => &["container"],
        "image" => &["image"],
        "pod" => &["pod"],
        "volume" => &["volume"],
        "network" => &["network"],
        other => return Err(invalid_type(other)),
    };
    if a.latest && !a.names.is_empty() {
        return Err(Failure::engine("--latest and names cannot be used together"));
    }
    let mut names = a.names.clone();
    if a.latest {
        names.push(latest(conn, if a.r#type == "pod" { "pod" } else { "container" })?);
    }
    if names.is_empty() {
        return Err(Failure::engine("inspect needs a name or --latest"));
    }
    let mut found = Vec::new();
    let mut missing: Option<Failure> = None;
    for name in &names {
        let mut hit = None;
        for kind in kinds {
            match find(conn, kind, name, a.size) {
                Ok(v) => {
                    hit = Some(v);
                    break;
                }
                Err(f) if f.name.starts_with("NoSuch") => {}
                Err(f) => return Err(f),
            }
        }
        match hit {
            Some(v) => found.push(v),
            None => missing = Some(Failure::engine(format!("no such object: {name:?}"))),
        }
    }
    match format {
        Format::Template { template, .. } => found.iter().for_each(|o| println!("{}", template.render(o))),
        _ => pretty(&found),
    }
    match missing {
        Some(f) => Err(f),
        None => Ok(ExitCode::SUCCESS),
    }
}
