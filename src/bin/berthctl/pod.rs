//! `berthctl pod ...`

use crate::container::pairs;
use crate::error::Failure;
use crate::output::{self, ago, print_list, short, Format};
use crate::{Connection, InspectArgs, ListArgs, RmArgs};
use berth::api::varlink::generated::pod::{VarlinkClient, VarlinkClientInterface};
use serde_json::json;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Create a pod.
    Create {
        #[arg(long)]
        name: Option<String>,
        #[arg(short, long)]
        label: Vec<String>,
        #[arg(long)]
        cgroup_parent: Option<String>,
        /// Do not put members under the pod's own cgroup.
        #[arg(long)]
        no_share_cgroup: bool,
        /// Add an infra container.
        #[arg(long)]
        infra: bool,
    },
    /// Show pods' configuration and members.
    Inspect(InspectArgs),
    /// Exit 0 if the pod exists, 1 if not.
    Exists { name: String },
    /// List pods.
    #[command(alias = "ls", alias = "ps")]
    List(ListArgs),
    /// Remove pods.
    Rm(RmArgs),
    /// Start a pod's containers, infra first.
    Start { name: String },
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

pub fn run(conn: &Connection, cmd: Command) -> Result<ExitCode, Failure> {
    let mut c = VarlinkClient::new(conn.handle.clone());
    match cmd {
        Command::Create { name, label, cgroup_parent, no_share_cgroup, infra } => {
            let r = c.create(name, Some(pairs(&label)), cgroup_parent, Some(!no_share_cgroup), Some(infra)).call()?;
            println!("{}", r.id);
        }
        Command::Inspect(InspectArgs { names, format }) => {
            output::inspect_each(&format, names, |n| Ok(c.inspect(n).call()?.pod))?;
        }
        Command::Exists { name } => return Ok(crate::exists_code(c.exists(name).call()?.exists)),
        Command::List(ListArgs { filter, format }) => {
            let pods = c.list(Some(filter)).call()?.pods;
            let rows: Vec<_> = pods
                .iter()
                .map(|p| {
                    json!({ "ID": short(&p.id), "Name": p.name, "Created": ago(p.created), "Labels": p.labels,
                            "InfraId": p.infraId.as_deref().map(short), "NumberOfContainers": p.containers.len(),
                            "CgroupParent": p.cgroupParent })
                })
                .collect();
            const COLUMNS: &[output::Column] = &[
                ("POD ID", "ID"),
                ("NAME", "Name"),
                ("CREATED", "Created"),
                ("# OF CONTAINERS", "NumberOfContainers"),
            ];
            print_list(&Format::parse(&format)?, COLUMNS, &rows, &json!(pods))?;
        }
        Command::Rm(RmArgs { names, force }) => {
            for n in names {
                println!("{}", c.remove(n, Some(force)).call()?.id);
            }
        }
        Command::Start { name } => {
            let r = c.start(name).call()?;
            print_acted(&r.id, &r.containers);
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
