//! `stats`, as podman's: a line per running container with its CPU share,
//! memory against its limit, network and block I/O and processes; once
//! with --no-stream (CPU since its start), else every second (CPU since the
//! last sample) until interrupted or none runs.

use crate::error::Failure;
use crate::output::{human_size, short};
use crate::Connection;
use berth::api::varlink::generated::container::{ContainerStats, VarlinkClient, VarlinkClientInterface};
use std::collections::HashMap;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct StatsArgs {
    /// One sample, not a stream.
    #[arg(long)]
    no_stream: bool,
    /// Full container IDs.
    #[arg(long)]
    no_trunc: bool,
    /// Containers (none: every running one).
    names: Vec<String>,
}

pub fn run(conn: &Connection, a: StatsArgs) -> Result<ExitCode, Failure> {
    let mut c = VarlinkClient::new(conn.handle.clone());
    let names = (!a.names.is_empty()).then(|| a.names.clone());
    // The CPU figure of a first sample is since the container's start.
    let started: HashMap<String, i64> = c
        .list(Some(true), None, None, None)
        .call()?
        .containers
        .into_iter()
        .filter_map(|s| Some((s.id, s.startedAt?)))
        .collect();
    let mut last: HashMap<String, (i64, i64)> = started.iter().map(|(id, at)| (id.clone(), (*at, 0))).collect();
    let mut show = |samples: Vec<ContainerStats>| {
        println!(
            "{:<12}  {:<20}  {:>7}  {:>22}  {:>7}  {:>22}  {:>22}  {:>4}",
            "ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET IO", "BLOCK IO", "PIDS"
        );
        for s in samples {
            let (then, cpu_then) = last.get(&s.id).copied().unwrap_or((s.time, 0));
            let wall_nanos = (s.time - then).max(1) * 1000;
            let cpu = (s.cpuNanos - cpu_then) as f64 * 100.0 / wall_nanos as f64;
            last.insert(s.id.clone(), (s.time, s.cpuNanos));
            let memory = s.memoryBytes as f64 * 100.0 / s.memoryLimit.max(1) as f64;
            let pair = |a: i64, b: i64| format!("{} / {}", human_size(a.max(0) as u64), human_size(b.max(0) as u64));
            let id = if a.no_trunc { s.id.clone() } else { short(&s.id).to_string() };
            println!(
                "{id:<12}  {:<20}  {:>6.2}%  {:>22}  {:>6.2}%  {:>22}  {:>22}  {:>4}",
                s.name,
                cpu,
                pair(s.memoryBytes, s.memoryLimit),
                memory,
                pair(s.netRx, s.netTx),
                pair(s.blockRead, s.blockWrite),
                s.pids
            );
        }
    };
    if a.no_stream {
        show(c.stats(names, None).call()?.stats);
        return Ok(ExitCode::SUCCESS);
    }
    for reply in c.stats(names, Some(1)).more()? {
        let samples = reply?.stats;
        if samples.is_empty() {
            break;
        }
        show(samples);
    }
    Ok(ExitCode::SUCCESS)
}
