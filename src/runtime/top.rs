//! Top: podman's `top`, the processes of a running container, read from
//! /proc on the host (never with a program of the container's, which it
//! could have replaced): those in the PID namespace of its first process,
//! each described by podman's AIX-style descriptors.

use super::{blocking, Runtime};
use crate::error::{Error, Result};
use std::path::Path;

/// podman's default descriptors.
const DEFAULT: &[&str] = &["user", "pid", "ppid", "pcpu", "etime", "tty", "time", "args"];

/// A descriptor's column header.
fn header(descriptor: &str) -> String {
    match descriptor {
        "user" => "USER",
        "huser" => "HUSER",
        "group" => "GROUP",
        "hgroup" => "HGROUP",
        "pid" => "PID",
        "hpid" => "HPID",
        "ppid" => "PPID",
        "pcpu" => "%CPU",
        "etime" => "ELAPSED",
        "tty" => "TTY",
        "time" => "TIME",
        "args" => "COMMAND",
        "comm" => "COMMAND",
        other => return other.to_uppercase(),
    }
    .to_string()
}

/// What /proc says of one process.
struct Process {
    host_pid: u32,
    pid: String,
    ppid: String,
    uid: u32,
    gid: u32,
    comm: String,
    args: String,
    /// Seconds since it started, and of CPU it used.
    elapsed: f64,
    cpu: f64,
}

fn read_process(host_pid: u32, boot_seconds: f64, ticks: f64) -> Option<Process> {
    let dir = Path::new("/proc").join(host_pid.to_string());
    let status = std::fs::read_to_string(dir.join("status")).ok()?;
    let field = |name: &str| status.lines().find_map(|l| l.strip_prefix(name)).map(str::trim);
    // The last NSpid is the PID in its own namespace.
    let pid = field("NSpid:")?.split_whitespace().last()?.to_string();
    let ids = |name: &str| field(name).and_then(|v| v.split_whitespace().next()?.parse().ok());
    let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
    let after_comm: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let number = |i: usize| after_comm.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    let cmdline = std::fs::read(dir.join("cmdline")).ok()?;
    let args: Vec<String> =
        cmdline.split(|b| *b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    let comm = std::fs::read_to_string(dir.join("comm")).ok()?.trim().to_string();
    Some(Process {
        host_pid,
        pid,
        ppid: String::new(),
        uid: ids("Uid:")?,
        gid: ids("Gid:")?,
        args: if args.is_empty() { format!("[{comm}]") } else { args.join(" ") },
        comm,
        // Fields after the comm: utime 11, stime 12, starttime 19 (0-based).
        cpu: (number(11) + number(12)) / ticks,
        elapsed: (boot_seconds - number(19) / ticks).max(0.0),
    })
}

/// Name of `id` in an /etc/passwd or /etc/group text, else the number.
fn name_of(text: &str, id: u32) -> String {
    text.lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.get(2) == Some(&id.to_string().as_str()))
        .and_then(|f| f.first().map(|n| n.to_string()))
        .unwrap_or_else(|| id.to_string())
}

fn clock(seconds: f64) -> String {
    let s = seconds as u64;
    format!("{}m{}.{:09}s", s / 60, s % 60, ((seconds - s as f64) * 1e9) as u64)
}

impl Runtime {
    /// The processes of a running container: the column headers and a row
    /// per process, as `descriptors` (podman's, default its own list) say.
    /// A descriptor berth does not know shows as its name, with "?" values.
    pub async fn top_container(
        &self,
        name_or_id: &str,
        descriptors: &[String],
    ) -> Result<(Vec<String>, Vec<Vec<String>>)> {
        let id = self.lookup_container_id(name_or_id).await?;
        let (_, status) = self.load_container(&id).await?;
        let init = match (status.state.has_processes(), status.pid) {
            (true, Some(pid)) => pid as u32,
            _ => return Err(status.state.invalid(&id, "top needs a running container")),
        };
        let descriptors: Vec<String> = match descriptors.is_empty() {
            true => DEFAULT.iter().map(|d| d.to_string()).collect(),
            false => descriptors.iter().flat_map(|d| d.split(',')).map(str::to_string).collect(),
        };
        blocking(move || {
            let namespace = |pid: u32| std::fs::read_link(format!("/proc/{pid}/ns/pid")).ok();
            let own = namespace(init).ok_or_else(|| Error::Runtime(format!("container {id} has no process {init}")))?;
            let ticks = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).ok().flatten().unwrap_or(100) as f64;
            let uptime: f64 = std::fs::read_to_string("/proc/uptime")
                .ok()
                .and_then(|u| u.split_whitespace().next()?.parse().ok())
                .unwrap_or(0.0);
            let mut processes: Vec<Process> = std::fs::read_dir("/proc")
                .map_err(|e| Error::storage("/proc", e))?
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
                .filter(|pid| namespace(*pid).as_ref() == Some(&own))
                .filter_map(|pid| read_process(pid, uptime, ticks))
                .collect();
            processes.sort_by_key(|p| p.host_pid);
            // PPID in the container's terms: the parent's own PID, 0 outside.
            let parents: Vec<(u32, String)> = processes.iter().map(|p| (p.host_pid, p.pid.clone())).collect();
            for p in &mut processes {
                let host_parent = std::fs::read_to_string(format!("/proc/{}/stat", p.host_pid))
                    .ok()
                    .and_then(|s| s.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse::<u32>().ok());
                p.ppid = parents
                    .iter()
                    .find(|(host, _)| Some(*host) == host_parent)
                    .map_or("0".to_string(), |(_, pid)| pid.clone());
            }
            // The container's own files, through its first process's root.
            let etc = |file: &str| std::fs::read_to_string(format!("/proc/{init}/root/etc/{file}")).unwrap_or_default();
            let (passwd, group) = (etc("passwd"), etc("group"));
            let (host_passwd, host_group) = (
                std::fs::read_to_string("/etc/passwd").unwrap_or_default(),
                std::fs::read_to_string("/etc/group").unwrap_or_default(),
            );
            let rows = processes
                .iter()
                .map(|p| {
                    descriptors
                        .iter()
                        .map(|d| match d.as_str() {
                            "user" => name_of(&passwd, p.uid),
                            "huser" => name_of(&host_passwd, p.uid),
                            "group" => name_of(&group, p.gid),
                            "hgroup" => name_of(&host_group, p.gid),
                            "pid" => p.pid.clone(),
                            "hpid" => p.host_pid.to_string(),
                            "ppid" => p.ppid.clone(),
                            "pcpu" => format!("{:.3}", if p.elapsed > 0.0 { 100.0 * p.cpu / p.elapsed } else { 0.0 }),
                            "etime" => clock(p.elapsed),
                            "tty" => "?".to_string(),
                            "time" => clock(p.cpu),
                            "args" => p.args.clone(),
                            "comm" => p.comm.clone(),
                            _ => "?".to_string(),
                        })
                        .collect()
                })
                .collect();
            Ok((descriptors.iter().map(|d| header(d)).collect(), rows))
        })
        .await
    }
}
