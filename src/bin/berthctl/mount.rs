//! `mount` and `umount`, as podman's: several containers at once, `mount`
//! alone lists the mounted ones, `umount --all` releases them all.

use crate::error::Failure;
use crate::output::{pretty, short};
use crate::Connection;
use berth::api::varlink::generated::storage::{VarlinkClient, VarlinkClientInterface};
use serde_json::json;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct MountArgs {
    names: Vec<String>,
    /// Whole IDs in the list.
    #[arg(long, alias = "notruncate")]
    no_trunc: bool,
    /// json: the list as JSON.
    #[arg(long)]
    format: Option<String>,
}

#[derive(clap::Args)]
pub struct UnmountArgs {
    names: Vec<String>,
    /// Every mounted container.
    #[arg(short, long)]
    all: bool,
    /// Release every mount of each, not only one.
    #[arg(short, long)]
    force: bool,
}

pub fn mount(conn: &Connection, a: MountArgs) -> Result<ExitCode, Failure> {
    let mut c = VarlinkClient::new(conn.handle.clone());
    if let Some(f) = a.format.as_deref().filter(|f| *f != "json") {
        return Err(Failure::engine(format!("unknown --format argument: {f}")));
    }
    if !a.names.is_empty() {
        for name in a.names {
            println!("{}", c.mount(name).call()?.path);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mounted = c.list_mounted().call()?.containers;
    if a.format.is_some() {
        pretty(
            &mounted.iter().map(|m| json!({ "id": m.id, "names": [m.name], "mountpoint": m.path })).collect::<Vec<_>>(),
        );
    } else {
        for m in mounted {
            println!("{} {}", if a.no_trunc { m.id.as_str() } else { short(&m.id) }, m.path);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn unmount(conn: &Connection, a: UnmountArgs) -> Result<ExitCode, Failure> {
    let mut c = VarlinkClient::new(conn.handle.clone());
    if a.all != a.names.is_empty() {
        return Err(Failure::engine("give container names or --all, not both"));
    }
    let names = if a.all { c.list_mounted().call()?.containers.into_iter().map(|m| m.id).collect() } else { a.names };
    for name in names {
        c.unmount(name.clone(), Some(a.force)).call()?;
        println!("{name}");
    }
    Ok(ExitCode::SUCCESS)
}
