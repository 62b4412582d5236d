//! `rm`, as podman's: which containers (names, `--all`, `--latest`,
//! `--cidfile`, `--filter`), every name resolved before anything is removed,
//! `--force` implying `--ignore`, and podman's exit codes: 1 when a
//! container does not exist, 2 when one is running or paused, 125 for
//! anything else.

use crate::error::Failure;
use crate::Connection;
use berth::api::varlink::generated::container::{VarlinkClient, VarlinkClientInterface};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct RmArgs {
    names: Vec<String>,
    /// Every container.
    #[arg(short, long)]
    all: bool,
    /// Stop running or paused containers first (implies --ignore).
    #[arg(short, long)]
    force: bool,
    /// Go on when a container does not exist.
    #[arg(short, long)]
    ignore: bool,
    /// The newest container.
    #[arg(short, long)]
    latest: bool,
    /// Read a container ID from this file (as create --cidfile wrote it).
    #[arg(long)]
    cidfile: Vec<String>,
    /// Remove the containers these ps filters match.
    #[arg(long)]
    filter: Vec<String>,
    /// Seconds to wait after the stop signal before SIGKILL.
    #[arg(short, long)]
    time: Option<i64>,
    /// Also remove anonymous volumes.
    #[arg(short, long)]
    volumes: bool,
    /// First remove the containers that depend on these.
    #[arg(long)]
    depend: bool,
}

/// podman rm's exit codes.
const NO_SUCH_CONTAINER: u8 = 1;
const STATE_IMPROPER: u8 = 2;

/// What the arguments select, before anything is removed: (what to print
/// once removed, what to remove). podman prints a name as it was given.
fn targets(c: &mut VarlinkClient, a: &RmArgs, ignore: bool) -> Result<Vec<(String, String)>, Failure> {
    if !a.cidfile.is_empty() && (a.all || a.latest) {
        return Err(Failure::engine("--all, --latest, and --cidfile cannot be used together"));
    }
    if a.all && a.latest {
        return Err(Failure::engine("--all and --latest cannot be used together"));
    }
    if !a.filter.is_empty() && !a.names.is_empty() {
        return Err(Failure::engine("--filter takes no arguments"));
    }
    let selecting = a.all || a.latest || !a.filter.is_empty() || !a.cidfile.is_empty();
    if selecting && !a.names.is_empty() {
        return Err(Failure::engine("no arguments are needed with --all, --latest or --cidfile"));
    }
    if !selecting && a.names.is_empty() {
        return Err(Failure::engine("must specify at least one container name or ID"));
    }
    if a.all || a.latest || !a.filter.is_empty() {
        let list = c.list(Some(true), Some(a.filter.clone()), Some(a.latest)).call()?.containers;
        return Ok(list.into_iter().map(|s| (s.id.clone(), s.id)).collect());
    }
    let mut given: Vec<String> = a.names.clone();
    for file in &a.cidfile {
        let id = std::fs::read_to_string(file).map_err(|e| Failure::engine(format!("reading CIDFile {file}: {e}")))?;
        given.push(id.trim().to_string());
    }
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for name in given {
        match c.lookup_id(name.clone()).call() {
            Ok(r) => found.push((name, r.id)),
            Err(e) => {
                let failure = Failure::from(e);
                match failure.name.as_str() {
                    "NoSuchContainer" if ignore => {}
                    "NoSuchContainer" => missing.push(failure),
                    _ => return Err(failure),
                }
            }
        }
    }
    // Nothing is removed unless every name was found.
    if let Some(last) = missing.pop() {
        for m in &missing {
            eprintln!("Error: {}", m.message);
        }
        return Err(Failure { code: NO_SUCH_CONTAINER, ..last });
    }
    Ok(found)
}

pub fn run(conn: &Connection, a: RmArgs) -> Result<ExitCode, Failure> {
    let mut c = VarlinkClient::new(conn.handle.clone());
    let ignore = a.ignore || a.force;
    let mut failed: Option<Failure> = None;
    for (shown, id) in targets(&mut c, &a, ignore)? {
        match c.remove(id, Some(a.force), Some(a.volumes), a.time, Some(a.depend)).call() {
            Ok(r) if a.depend => r.removed.iter().for_each(|id| println!("{id}")),
            Ok(_) => println!("{shown}"),
            Err(e) => {
                let mut failure = Failure::from(e);
                if failure.name == "NoSuchContainer" && ignore {
                    continue;
                }
                failure.code = match failure.name.as_str() {
                    "NoSuchContainer" => NO_SUCH_CONTAINER,
                    "InvalidState" => STATE_IMPROPER,
                    _ => failure.code,
                };
                if let Some(earlier) = failed.replace(failure) {
                    eprintln!("Error: {}", earlier.message);
                }
            }
        }
    }
    match failed {
        Some(f) => Err(f),
        None => Ok(ExitCode::SUCCESS),
    }
}
