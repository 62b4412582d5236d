//! `berthctl info`, `events` and `system ...`

use crate::error::Failure;
use crate::output::pretty;
use crate::Connection;
use berth::api::varlink::generated::system::{VarlinkClient, VarlinkClientInterface};
use berth::systemd::journal::rfc3339_micros;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Compare the database with the disk.
    Check {
        #[arg(long)]
        repair: bool,
    },
    /// Prune containers, pods and volumes.
    Prune,
}

/// `events`: stream until interrupted.
#[derive(clap::Args)]
pub struct EventsArgs {
    #[arg(short, long)]
    filter: Vec<String>,
    /// Begin with the kept events since then (Unix seconds or e.g. 10m).
    #[arg(long)]
    since: Option<String>,
}

pub fn info(conn: &Connection) -> Result<ExitCode, Failure> {
    pretty(&VarlinkClient::new(conn.handle.clone()).info().call()?);
    Ok(ExitCode::SUCCESS)
}

pub fn events(conn: &Connection, a: EventsArgs) -> Result<ExitCode, Failure> {
    let mut filters = a.filter;
    filters.extend(a.since.map(|s| format!("since={s}")));
    for reply in VarlinkClient::new(conn.handle.clone()).events(Some(filters)).more()? {
        let e = reply?.event;
        // podman's line: time, type, action, ID, and the name.
        println!("{} {} {} {} (name={})", rfc3339_micros(e.time.max(0) as u64), e.r#type, e.action, e.id, e.name);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run(conn: &Connection, cmd: Command) -> Result<ExitCode, Failure> {
    let mut c = VarlinkClient::new(conn.handle.clone());
    match cmd {
        Command::Check { repair } => {
            let problems = c.check(Some(repair)).call()?.problems;
            for p in &problems {
                let repaired = if p.repaired { " (repaired)" } else { "" };
                println!("{} {}: {}{repaired}", p.kind, p.id, p.description);
            }
            if problems.is_empty() {
                println!("no problems found");
            }
        }
        Command::Prune => pretty(&c.prune().call()?),
    }
    Ok(ExitCode::SUCCESS)
}
