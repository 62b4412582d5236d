//! `berthctl volume ...`

use crate::container::pairs;
use crate::error::Failure;
use crate::output::{self, print_list, Format};
use crate::{Connection, InspectArgs, ListArgs, RmArgs};
use berth::api::varlink::generated::volume::{VarlinkClient, VarlinkClientInterface};
use serde_json::json;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Create a volume (a generated name when none is given).
    Create {
        name: Option<String>,
        #[arg(short, long)]
        label: Vec<String>,
        /// KEY=VALUE: o=uid=N,gid=N owns its directory.
        #[arg(short, long)]
        opt: Vec<String>,
        /// Succeed when a volume of that name exists (keeping it as it is).
        #[arg(long)]
        ignore: bool,
    },
    /// Show volumes and the containers that mount them.
    Inspect(InspectArgs),
    /// Exit 0 if the volume exists, 1 if not.
    Exists { name: String },
    /// List volumes.
    #[command(alias = "ls")]
    List(ListArgs),
    /// Remove volumes.
    Rm(RmArgs),
    /// Remove every volume no container mounts.
    Prune {
        #[arg(long)]
        filter: Vec<String>,
    },
}

pub fn run(conn: &Connection, cmd: Command) -> Result<ExitCode, Failure> {
    let mut c = VarlinkClient::new(conn.handle.clone());
    match cmd {
        Command::Create { name: Some(name), ignore: true, .. } if c.exists(name.clone()).call()?.exists => {
            println!("{name}")
        }
        Command::Create { name, label, opt, .. } => {
            println!("{}", c.create(name, Some(pairs(&label)), Some(pairs(&opt))).call()?.name)
        }
        Command::Inspect(InspectArgs { names, format }) => {
            output::inspect_each(&format, names, |n| Ok(c.inspect(n).call()?.volume))?;
        }
        Command::Exists { name } => return Ok(crate::exists_code(c.exists(name).call()?.exists)),
        Command::List(ListArgs { filter, format, quiet, .. }) => {
            let volumes = c.list(Some(filter)).call()?.volumes;
            if quiet {
                volumes.iter().for_each(|v| println!("{}", v.name));
                return Ok(ExitCode::SUCCESS);
            }
            let rows: Vec<_> = volumes
                .iter()
                .map(|v| {
                    json!({ "Driver": "local", "Name": v.name, "Mountpoint": v.mountpoint, "Labels": v.labels,
                            "Anonymous": v.anonymous, "Users": v.users })
                })
                .collect();
            const COLUMNS: &[output::Column] = &[("DRIVER", "Driver"), ("VOLUME NAME", "Name")];
            print_list(&Format::parse(&format)?, COLUMNS, &rows, &json!(volumes))?;
        }
        Command::Rm(RmArgs { names, force }) => {
            for n in names {
                println!("{}", c.remove(n, Some(force)).call()?.name);
            }
        }
        Command::Prune { filter } => {
            for rep in c.prune(Some(filter)).call()?.reports {
                match rep.error {
                    Some(e) => eprintln!("{}: {e}", rep.name),
                    None => println!("{}", rep.name),
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
