//! Stats: what a running container uses, read from its cgroup (found from
//! its init's /proc/PID/cgroup, so the same under systemd's scopes and
//! cgroupfs, v2 or v1) and its network namespace's counters.

use super::{blocking, Runtime};
use crate::error::{Error, Result};
use crate::model::container::State;
use std::path::{Path, PathBuf};

/// One sample of a container's use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContainerStats {
    pub id: String,
    pub name: String,
    /// Unix nanoseconds when it was read.
    pub time: i64,
    pub cpu_nanos: u64,
    pub memory_bytes: u64,
    /// Its memory limit, or the host's memory when it has none (podman's).
    pub memory_limit: u64,
    pub pids: u64,
    pub block_read: u64,
    pub block_write: u64,
    pub net_rx: u64,
    pub net_tx: u64,
}

impl Runtime {
    /// A sample of each container named (none: every running one). A
    /// container named that is not running is InvalidState.
    pub async fn container_stats(&self, names_or_ids: &[String]) -> Result<Vec<ContainerStats>> {
        let named = !names_or_ids.is_empty();
        let names = names_or_ids.to_vec();
        // One read for all: who they are and their init's PID.
        let processes = self
            .db
            .read(move |tx| {
                let ids = if names.is_empty() {
                    tx.containers_in_runtime()?
                } else {
                    names.iter().map(|n| tx.resolve(crate::db::Kind::Container, n)).collect::<Result<_>>()?
                };
                let mut found = Vec::new();
                for id in ids {
                    let (name, state, pid) = tx.container_process(&id)?.ok_or(Error::NoSuchContainer(id.clone()))?;
                    found.push((id, name, state, pid));
                }
                Ok(found)
            })
            .await?;
        let mut running = Vec::new();
        for (id, name, state, pid) in processes {
            match (state, pid) {
                (State::Running | State::Paused, Some(pid)) => running.push((pid, id, name)),
                _ if named => return Err(state.invalid(&id, "stats are read only of a running container")),
                _ => {}
            }
        }
        blocking(move || running.into_iter().map(|(pid, id, name)| sample(pid, id, name)).collect()).await
    }
}

fn sample(pid: i32, id: String, name: String) -> Result<ContainerStats> {
    let unreadable = |what: &str, e: std::io::Error| Error::Runtime(format!("stats of {id}: {what}: {e}"));
    let cgroups = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).map_err(|e| unreadable("its cgroup", e))?;
    let mut stats = ContainerStats { time: crate::events::now_nanos(), ..Default::default() };
    match unified_path(&cgroups) {
        Some(dir) => read_v2(&dir, &mut stats),
        None => read_v1(&cgroups, &mut stats),
    }
    if stats.memory_limit == 0 {
        stats.memory_limit = host_memory();
    }
    let net = std::fs::read_to_string(format!("/proc/{pid}/net/dev")).map_err(|e| unreadable("its network", e))?;
    (stats.net_rx, stats.net_tx) = net_bytes(&net);
    Ok(ContainerStats { id, name, ..stats })
}

/// The cgroup v2 directory of a process, from its /proc/PID/cgroup, when
/// /sys/fs/cgroup is the unified hierarchy (a hybrid one lists v1 too, and
/// keeps v2 aside).
fn unified_path(cgroups: &str) -> Option<PathBuf> {
    use nix::sys::statfs::{statfs, CGROUP2_SUPER_MAGIC};
    // The host's hierarchy does not change under berthd: looked at once.
    static UNIFIED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let unified =
        *UNIFIED.get_or_init(|| statfs("/sys/fs/cgroup").is_ok_and(|fs| fs.filesystem_type() == CGROUP2_SUPER_MAGIC));
    let path = cgroups.lines().find_map(|l| l.strip_prefix("0::"))?;
    unified.then(|| Path::new("/sys/fs/cgroup").join(path.trim_start_matches('/')))
}

fn number(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// `key value` lines' value for `key`.
fn keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix(' ')?.trim().parse().ok())
}

fn read_v2(dir: &Path, stats: &mut ContainerStats) {
    let cpu = std::fs::read_to_string(dir.join("cpu.stat")).unwrap_or_default();
    stats.cpu_nanos = keyed(&cpu, "usage_usec").unwrap_or(0) * 1000;
    // Without the memory and pids controllers (a hybrid host keeps them in
    // v1): its processes, and their resident memory.
    let procs: Vec<u32> = std::fs::read_to_string(dir.join("cgroup.procs"))
        .unwrap_or_default()
        .lines()
        .filter_map(|p| p.trim().parse().ok())
        .collect();
    stats.memory_bytes =
        number(&dir.join("memory.current")).unwrap_or_else(|| procs.iter().map(|p| resident(*p)).sum());
    // "max" is no limit: 0, for the host's.
    stats.memory_limit = number(&dir.join("memory.max")).unwrap_or(0);
    stats.pids = number(&dir.join("pids.current")).unwrap_or(procs.len() as u64);
    let io = std::fs::read_to_string(dir.join("io.stat")).unwrap_or_default();
    for field in io.split_whitespace() {
        if let Some(n) = field.strip_prefix("rbytes=").and_then(|n| n.parse::<u64>().ok()) {
            stats.block_read += n;
        } else if let Some(n) = field.strip_prefix("wbytes=").and_then(|n| n.parse::<u64>().ok()) {
            stats.block_write += n;
        }
    }
}

fn read_v1(cgroups: &str, stats: &mut ContainerStats) {
    let dir = |controller: &str| {
        cgroups.lines().find_map(|l| {
            let mut parts = l.splitn(3, ':');
            let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
            controllers
                .split(',')
                .any(|c| c == controller)
                .then(|| Path::new("/sys/fs/cgroup").join(controller).join(path.trim_start_matches('/')))
        })
    };
    if let Some(d) = dir("cpuacct") {
        stats.cpu_nanos = number(&d.join("cpuacct.usage")).unwrap_or(0);
    }
    if let Some(d) = dir("memory") {
        stats.memory_bytes = number(&d.join("memory.usage_in_bytes")).unwrap_or(0);
        // v1 says no limit with a huge number.
        stats.memory_limit = number(&d.join("memory.limit_in_bytes")).filter(|l| *l < 1 << 62).unwrap_or(0);
    }
    if let Some(d) = dir("pids") {
        stats.pids = number(&d.join("pids.current")).unwrap_or(0);
    }
    if let Some(d) = dir("blkio") {
        let io = std::fs::read_to_string(d.join("blkio.throttle.io_service_bytes")).unwrap_or_default();
        for line in io.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            match fields[..] {
                [_, "Read", n] => stats.block_read += n.parse::<u64>().unwrap_or(0),
                [_, "Write", n] => stats.block_write += n.parse::<u64>().unwrap_or(0),
                _ => {}
            }
        }
    }
}

/// Bytes received and sent on every interface but loopback, from
/// /proc/PID/net/dev.
fn net_bytes(dev: &str) -> (u64, u64) {
    dev.lines()
        .skip(2)
        .filter_map(|l| {
            let (name, counters) = l.split_once(':')?;
            if name.trim() == "lo" {
                return None;
            }
            let c: Vec<u64> = counters.split_whitespace().filter_map(|n| n.parse().ok()).collect();
            Some((*c.first()?, *c.get(8)?))
        })
        .fold((0, 0), |(rx, tx), (r, t)| (rx + r, tx + t))
}

/// A process's resident memory in bytes (VmRSS).
fn resident(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:")?.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

/// The host's memory (read once: it does not change under berthd).
fn host_memory() -> u64 {
    static TOTAL: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TOTAL.get_or_init(|| {
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:")?.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
            .map_or(0, |kib| kib * 1024)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_as_the_kernel_writes_them() {
        let dev = "Inter-|   Receive                                                |  Transmit\n \
                   face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    \
                   lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0\n  \
                   eth0:    1500      10    0    0    0     0          0         0      700       5    0    0    0     0       0          0\n";
        assert_eq!(net_bytes(dev), (1500, 700));
        assert_eq!(keyed("usage_usec 1234\nuser_usec 5", "usage_usec"), Some(1234));
    }
}
