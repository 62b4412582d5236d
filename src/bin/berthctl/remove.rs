//! `rm` and `pod rm`, as podman's: which objects (names, `--all`,
//! `--latest`, an ID file, `--filter`), every name resolved before anything
//! is removed, `--force` implying `--ignore`, and podman's exit codes: 1
//! when one does not exist, 2 when one is running or paused, 125 for
//! anything else.

use crate::error::Failure;
use crate::Connection;
use berth::api::varlink::generated::container::{VarlinkClient, VarlinkClientInterface};
use std::process::ExitCode;

// What `rm` and `pod rm` share: which objects, and how hard to try.
#[derive(clap::Args)]
pub struct Selection {
    pub names: Vec<String>,
    /// Every one.
    #[arg(short, long)]
    pub all: bool,
    /// Stop running or paused containers first (implies --ignore).
    #[arg(short, long)]
    pub force: bool,
    /// Go on when one does not exist.
    #[arg(short, long)]
    pub ignore: bool,
    /// The newest.
    #[arg(short, long)]
    pub latest: bool,
    /// Seconds to wait after the stop signal before SIGKILL.
    #[arg(short, long)]
    pub time: Option<i64>,
}

#[derive(clap::Args)]
pub struct RmArgs {
    #[command(flatten)]
    select: Selection,
    /// Read a container ID from this file (as create --cidfile wrote it).
    #[arg(long)]
    cidfile: Vec<String>,
    /// Remove the containers these ps filters match.
    #[arg(long)]
    filter: Vec<String>,
    /// Also remove anonymous volumes.
    #[arg(short, long)]
    volumes: bool,
    /// First remove the containers that depend on these.
    #[arg(long)]
    depend: bool,
}

/// podman rm's exit codes (pod rm's too).
const NO_SUCH_OBJECT: u8 = 1;
const STATE_IMPROPER: u8 = 2;

/// What the arguments select, before anything is removed: (what to print
/// once removed, what to remove). podman prints a name as it was given.
fn targets(
    conn: &Connection,
    c: &mut VarlinkClient,
    a: &RmArgs,
    ignore: bool,
) -> Result<Vec<(String, String)>, Failure> {
    if !a.cidfile.is_empty() && (a.select.all || a.select.latest) {
        return Err(Failure::engine("--all, --latest, and --cidfile cannot be used together"));
    }
    if a.select.all && a.select.latest {
        return Err(Failure::engine("--all and --latest cannot be used together"));
    }
    if !a.filter.is_empty() && !a.select.names.is_empty() {
        return Err(Failure::engine("--filter takes no arguments"));
    }
    let selecting = a.select.all || a.select.latest || !a.filter.is_empty() || !a.cidfile.is_empty();
    if selecting && !a.select.names.is_empty() {
        return Err(Failure::engine("no arguments are needed with --all, --latest or --cidfile"));
    }
    if !selecting && a.select.names.is_empty() {
        return Err(Failure::engine("must specify at least one container name or ID"));
    }
    if a.select.all || a.select.latest || !a.filter.is_empty() {
        let mut list = c.list(Some(true), Some(a.filter.clone()), Some(a.select.latest), None).call()?.containers;
        // podman's rm -af takes infra containers too, with their pods,
        // after the other containers; without force they stay.
        list.retain(|s| !s.isInfra || a.select.force);
        list.sort_by_key(|s| s.isInfra);
        return Ok(list.into_iter().map(|s| (s.id.clone(), s.id)).collect());
    }
    let mut given: Vec<String> = a.select.names.clone();
    for file in &a.cidfile {
        match std::fs::read_to_string(file) {
            Ok(id) => given.push(id.trim().to_string()),
            // A unit's ExecStopPost after its ExecStop removed it.
            Err(e) if ignore && e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Failure::engine(format!("reading CIDFile {file}: {e}"))),
        }
    }
    let mut external = None;
    resolve_all(given, ignore, "NoSuchContainer", |name| match c.lookup_id(name.clone()).call() {
        Ok(r) => Ok(r.id),
        Err(e) => {
            let failure = Failure::from(e);
            let list = match &external {
                Some(list) => list,
                None => external.insert(storage_only(conn)?),
            };
            let hit = list.iter().find(|(id, n)| *n == name || id.starts_with(name.as_str()));
            hit.map(|(id, _)| format!("{STORAGE_ONLY}{id}")).ok_or(failure)
        }
    })
}

/// How a target that is a storage-only container is marked among the IDs.
const STORAGE_ONLY: &str = "storage:";

/// (ID, name) of the storage-only containers: `rm` removes them by name or
/// ID as podman's does (through Storage.Remove), but never with --all.
fn storage_only(conn: &Connection) -> Result<Vec<(String, String)>, Failure> {
    use berth::api::varlink::generated::storage::{VarlinkClient, VarlinkClientInterface};
    let listed = VarlinkClient::new(conn.handle.clone()).list_external().call()?.containers;
    Ok(listed.into_iter().filter_map(|e| Some((e.id, e.name?))).collect())
}

/// Resolve every name before anything is removed, as podman does: a name
/// that is not found fails the command with exit 1 (unless `ignore`),
/// naming each one missing. `missing` is the error name that means so.
pub fn resolve_all(
    given: Vec<String>,
    ignore: bool,
    missing: &str,
    mut lookup: impl FnMut(String) -> Result<String, Failure>,
) -> Result<Vec<(String, String)>, Failure> {
    let mut found = Vec::new();
    let mut not_found = Vec::new();
    for name in given {
        match lookup(name.clone()) {
            Ok(id) => found.push((name, id)),
            Err(f) if f.name == missing && ignore => {}
            Err(f) if f.name == missing => not_found.push(f),
            Err(f) => return Err(f),
        }
    }
    if let Some(last) = not_found.pop() {
        for m in &not_found {
            eprintln!("Error: {}", m.message);
        }
        return Err(Failure { code: NO_SUCH_OBJECT, ..last });
    }
    Ok(found)
}

/// Remove each target in turn, printing what `remove` says was removed
/// (nothing: the name as given); every failure but the last is printed,
/// the last returned, with podman's exit code (1 gone, 2 in use).
pub fn remove_all(
    targets: Vec<(String, String)>,
    ignore: bool,
    missing: &str,
    mut remove: impl FnMut(String) -> Result<Vec<String>, Failure>,
) -> Result<ExitCode, Failure> {
    let mut failed: Option<Failure> = None;
    for (shown, id) in targets {
        match remove(id) {
            Ok(removed) if removed.is_empty() => println!("{shown}"),
            Ok(removed) => removed.iter().for_each(|id| println!("{id}")),
            Err(f) if f.name == missing && ignore => {}
            Err(mut f) => {
                f.code = match f.name.as_str() {
                    n if n == missing => NO_SUCH_OBJECT,
                    "InvalidState" => STATE_IMPROPER,
                    _ => f.code,
                };
                if let Some(earlier) = failed.replace(f) {
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

pub fn run(conn: &Connection, a: RmArgs) -> Result<ExitCode, Failure> {
    let mut c = VarlinkClient::new(conn.handle.clone());
    let ignore = a.select.ignore || a.select.force;
    let targets = targets(conn, &mut c, &a, ignore)?;
    let mut storage = berth::api::varlink::generated::storage::VarlinkClient::new(conn.handle.clone());
    let removed = remove_all(targets, ignore, "NoSuchContainer", |id| {
        if let Some(id) = id.strip_prefix(STORAGE_ONLY) {
            use berth::api::varlink::generated::storage::VarlinkClientInterface as _;
            storage.remove(id.to_string(), Some(a.select.force)).call()?;
            return Ok(Vec::new());
        }
        // With -af an infra container goes with its pod (its dependents).
        let depend = a.depend || (a.select.all && a.select.force);
        let r = c.remove(id, Some(a.select.force), Some(a.volumes), a.select.time, Some(depend)).call()?;
        Ok(if depend { r.removed } else { Vec::new() })
    });
    if removed.is_ok() {
        // Their containers are gone: a unit's next run may write them anew.
        for file in &a.cidfile {
            let _ = std::fs::remove_file(file);
        }
    }
    removed
}
