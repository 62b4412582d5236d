//! `berthctl info`, `events` and `system ...`

use crate::error::Failure;
use crate::output::pretty;
use crate::output::{short, Template};
use crate::Connection;
use berth::api::varlink::generated::system::{Event, VarlinkClient, VarlinkClientInterface};
use berth::timestamp::rfc3339_micros;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Compare the database with the disk.
    Check {
        #[arg(long)]
        repair: bool,
    },
    /// Prune stopped containers, exited pods and (with --volumes) unused volumes.
    Prune {
        /// Do not ask (berthctl never does; taken as podman's scripts give it).
        #[arg(short, long)]
        force: bool,
        /// Also prune volumes no container uses.
        #[arg(long)]
        volumes: bool,
        /// Prune every image no container uses, not only those without a name.
        #[arg(short, long)]
        all: bool,
        /// label=KEY[=VALUE], label!=..., until=TIME.
        #[arg(long)]
        filter: Vec<String>,
    },
}

// `events`: stream until interrupted (or --until), as podman's.
#[derive(clap::Args)]
pub struct EventsArgs {
    #[arg(short, long)]
    filter: Vec<String>,
    /// Begin with the kept events since then (Unix seconds or e.g. 10m ago).
    #[arg(long)]
    since: Option<String>,
    /// End then (Unix seconds or e.g. 10s from now).
    #[arg(long)]
    until: Option<String>,
    /// false: print the kept events and end.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    stream: bool,
    /// Whole IDs (the default); false: 12 characters.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    no_trunc: bool,
    /// json (a JSON object per line), or a template such as '{{.ID}} {{.Status}}'.
    #[arg(long)]
    format: Option<String>,
}

pub fn info(conn: &Connection) -> Result<ExitCode, Failure> {
    pretty(&VarlinkClient::new(conn.handle.clone()).info().call()?);
    Ok(ExitCode::SUCCESS)
}

pub fn events(conn: &Connection, a: EventsArgs) -> Result<ExitCode, Failure> {
    let mut filters = a.filter;
    filters.extend(a.since.map(|s| format!("since={s}")));
    filters.extend(a.until.map(|u| format!("until={u}")));
    let template = match a.format.as_deref() {
        None | Some("json") => None,
        Some(t) => Some(Template::parse(t)?),
    };
    for reply in VarlinkClient::new(conn.handle.clone()).events(Some(filters), Some(a.stream)).more()? {
        let Some(e) = reply?.event else { continue };
        let object = podman_event(&e);
        match (&template, a.format.as_deref()) {
            (Some(t), _) => println!("{}", t.render(&object)),
            (None, Some("json")) => println!("{object}"),
            _ => println!("{}", event_line(&e, a.no_trunc)),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// podman's text line: time, type, action, ID, then (image=..., name=...,
/// and the other attributes in order).
fn event_line(e: &Event, no_trunc: bool) -> String {
    let id = if no_trunc { e.id.as_str() } else { short(&e.id) };
    let image = e.attributes.get("image").filter(|i| !i.is_empty()).map(|i| format!("image={i}, "));
    let mut rest: Vec<(&String, &String)> = e.attributes.iter().filter(|(k, _)| k.as_str() != "image").collect();
    rest.sort();
    let rest: String = rest.iter().map(|(k, v)| format!(", {k}={v}")).collect();
    let time = rfc3339_micros(e.time.max(0) as u64);
    format!("{time} {} {} {id} ({}name={}{rest})", e.r#type, e.action, image.unwrap_or_default(), e.name)
}

/// An event with podman's field names, for --format.
fn podman_event(e: &Event) -> serde_json::Value {
    serde_json::json!({
        "ID": e.id, "Name": e.name, "Type": e.r#type, "Status": e.action, "Action": e.action,
        "Image": e.attributes.get("image").cloned().unwrap_or_default(),
        "Time": rfc3339_micros(e.time.max(0) as u64), "TimeNano": e.time.saturating_mul(1000),
        "ContainerExitCode": e.attributes.get("exitCode").and_then(|c| c.parse::<i64>().ok()),
        "Attributes": e.attributes,
    })
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
        Command::Prune { volumes, all, filter, .. } => {
            let r = c.prune(Some(volumes), Some(filter), Some(all)).call()?;
            print_deleted("Containers", &r.containers);
            print_deleted("Pods", &r.pods);
            print_deleted("Volumes", &r.volumes);
            print_deleted("Images", &r.images);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One section of podman's prune report: a heading and what went.
pub fn print_deleted(what: &str, removed: &[String]) {
    if !removed.is_empty() {
        println!("Deleted {what}");
        removed.iter().for_each(|r| println!("{r}"));
    }
}
