//! A pod's own cgroup when berth manages cgroups itself (cgroupfs): the
//! runtime makes each container's directory under it, but the pod's CPU
//! limits belong to the pod's directory, which berth makes and writes
//! here, on the unified hierarchy or on the legacy one's controllers.

use crate::model::container::Resources;
use std::io::{Error, ErrorKind, Result};
use std::path::{Path, PathBuf};

const ROOT: &str = "/sys/fs/cgroup";
/// The CFS period podman gives a --cpus quota.
pub const CPU_PERIOD: u64 = 100_000;

fn unified() -> bool {
    Path::new(ROOT).join("cgroup.controllers").exists()
}

/// The quota for `nano_cpus` billionths of a CPU over CPU_PERIOD.
pub fn cpu_quota(nano_cpus: u64) -> u64 {
    (nano_cpus as u128 * CPU_PERIOD as u128 / 1_000_000_000) as u64
}

fn write(dir: &Path, file: &str, value: &str) -> Result<()> {
    let path = dir.join(file);
    std::fs::write(&path, value).map_err(|e| Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// `ROOT/<hierarchy>/<path>` and each directory above it, from the top.
fn levels(hierarchy: &str, path: &str) -> Vec<PathBuf> {
    let mut dir = Path::new(ROOT).join(hierarchy);
    let mut out = vec![dir.clone()];
    for part in path.split('/').filter(|p| !p.is_empty()) {
        dir.push(part);
        out.push(dir.clone());
    }
    out
}

/// Make the pod's cgroup at `path` (such as `/berth/<pod ID>`) and give it
/// the CPU limits of `r`.
pub fn make_pod_cgroup(path: &str, r: &Resources) -> Result<()> {
    if r.nano_cpus.is_none() && r.cpuset_cpus.is_none() {
        return Ok(());
    }
    if unified() {
        let levels = levels("", path);
        for parent in &levels[..levels.len() - 1] {
            std::fs::create_dir_all(parent)?;
            write(parent, "cgroup.subtree_control", "+cpu +cpuset")?;
        }
        let dir = levels.last().ok_or_else(|| Error::new(ErrorKind::InvalidInput, "no cgroup path"))?;
        std::fs::create_dir_all(dir)?;
        if let Some(nano) = r.nano_cpus {
            write(dir, "cpu.max", &format!("{} {CPU_PERIOD}", cpu_quota(nano)))?;
        }
        if let Some(cpus) = &r.cpuset_cpus {
            write(dir, "cpuset.cpus", cpus)?;
        }
        return Ok(());
    }
    if let Some(nano) = r.nano_cpus {
        let dir = Path::new(ROOT).join("cpu").join(path.trim_start_matches('/'));
        std::fs::create_dir_all(&dir)?;
        write(&dir, "cpu.cfs_period_us", &CPU_PERIOD.to_string())?;
        write(&dir, "cpu.cfs_quota_us", &cpu_quota(nano).to_string())?;
    }
    if let Some(cpus) = &r.cpuset_cpus {
        // A new cpuset directory has no CPUs or memory nodes: each level
        // takes its parent's before a child may be given any.
        let levels = levels("cpuset", path);
        for pair in levels.windows(2) {
            std::fs::create_dir_all(&pair[1])?;
            for file in ["cpuset.cpus", "cpuset.mems"] {
                if std::fs::read_to_string(pair[1].join(file))?.trim().is_empty() {
                    write(&pair[1], file, std::fs::read_to_string(pair[0].join(file))?.trim())?;
                }
            }
        }
        if let Some(dir) = levels.last() {
            write(dir, "cpuset.cpus", cpus)?;
        }
    }
    Ok(())
}

/// Remove the pod's cgroup directories, once its members' are gone.
pub fn remove_pod_cgroup(path: &str) {
    let relative = path.trim_start_matches('/');
    if relative.is_empty() {
        return;
    }
    if unified() {
        let _ = std::fs::remove_dir(Path::new(ROOT).join(relative));
        return;
    }
    if let Ok(hierarchies) = std::fs::read_dir(ROOT) {
        for h in hierarchies.flatten() {
            let _ = std::fs::remove_dir(h.path().join(relative));
        }
    }
}
