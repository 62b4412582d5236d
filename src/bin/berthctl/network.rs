//! `berthctl network ...`, with podman's flags.

use crate::container::pairs;
use crate::error::Failure;
use crate::output::{self, print_list, Format};
use crate::{Connection, InspectArgs, ListArgs, RmArgs};
use berth::api::varlink::generated::network::{VarlinkClient, VarlinkClientInterface};
use serde_json::json;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Create a bridge network (a generated name when none is given).
    Create {
        name: Option<String>,
        /// bridge, the only driver.
        #[arg(short, long)]
        driver: Option<String>,
        /// Its subnet, such as 10.89.7.0/24 (default: a free /24 of the pool).
        #[arg(long)]
        subnet: Option<String>,
        /// Its gateway (default: the subnet's first address).
        #[arg(long)]
        gateway: Option<String>,
        /// No route out of the network.
        #[arg(long)]
        internal: bool,
        /// Containers on it do not resolve each other's names.
        #[arg(long)]
        disable_dns: bool,
        #[arg(long)]
        label: Vec<String>,
        /// Succeed when a network of that name exists (keeping it as it is).
        #[arg(long)]
        ignore: bool,
    },
    /// Show networks and the containers on them.
    Inspect(InspectArgs),
    /// Exit 0 if the network exists, 1 if not.
    Exists { name: String },
    /// List networks.
    #[command(alias = "ls")]
    List(ListArgs),
    /// Remove networks (with force, and the containers on them).
    Rm(RmArgs),
    /// Put a container on one more network.
    Connect {
        network: String,
        container: String,
        /// A name it answers to there.
        #[arg(long)]
        alias: Vec<String>,
    },
    /// Take a container off a network.
    Disconnect {
        network: String,
        container: String,
        #[arg(short, long)]
        force: bool,
    },
    /// Remove every network no container is on.
    Prune {
        #[arg(long)]
        filter: Vec<String>,
        /// Ask nothing (berthctl never asks).
        #[arg(short, long)]
        force: bool,
    },
}

pub fn run(conn: &Connection, cmd: Command) -> Result<ExitCode, Failure> {
    let mut c = VarlinkClient::new(conn.handle.clone());
    match cmd {
        Command::Create { name: Some(name), ignore: true, .. } if c.exists(name.clone()).call()?.exists => {
            println!("{name}")
        }
        Command::Create { name, driver, subnet, gateway, internal, disable_dns, label, .. } => {
            let dns = Some(!disable_dns);
            println!(
                "{}",
                c.create(name, driver, subnet, gateway, Some(internal), dns, Some(pairs(&label))).call()?.name
            )
        }
        Command::Inspect(InspectArgs { names, format }) => {
            output::inspect_each(&format, names, |n| Ok(c.inspect(n).call()?.network))?;
        }
        Command::Exists { name } => return Ok(crate::exists_code(c.exists(name).call()?.exists)),
        Command::List(ListArgs { filter, format, quiet, .. }) => {
            let networks = c.list(Some(filter)).call()?.networks;
            if quiet {
                networks.iter().for_each(|n| println!("{}", n.name));
                return Ok(ExitCode::SUCCESS);
            }
            let rows: Vec<_> = networks
                .iter()
                .map(|n| {
                    json!({ "ID": &n.id[..12], "Name": n.name, "Driver": n.driver, "Subnet": n.subnet,
                            "Gateway": n.gateway, "Labels": n.labels, "Internal": n.internal,
                            "DNSEnabled": n.dnsEnabled, "NetworkInterface": n.interface })
                })
                .collect();
            const COLUMNS: &[output::Column] = &[("NETWORK ID", "ID"), ("NAME", "Name"), ("DRIVER", "Driver")];
            print_list(&Format::parse(&format)?, COLUMNS, &rows, &json!(networks))?;
        }
        Command::Rm(RmArgs { names, force }) => {
            for n in names {
                println!("{}", c.remove(n, Some(force)).call()?.name);
            }
        }
        Command::Connect { network, container, alias } => {
            c.connect(network, container, Some(alias)).call().map(drop)?
        }
        Command::Disconnect { network, container, force } => {
            c.disconnect(network, container, Some(force)).call().map(drop)?
        }
        Command::Prune { filter, .. } => c.prune(Some(filter)).call()?.networks.iter().for_each(|n| println!("{n}")),
    }
    Ok(ExitCode::SUCCESS)
}
