//! A pod's shared memory: a tmpfs on the host that its infra container and
//! every member mount at /dev/shm (a mount inside one container's namespace
//! cannot be bound into another's), sized as the pod asks, as podman's
//! userdata/shm is.

use super::error::{Result, StorageError};
use super::overlay::is_mounted;
use std::path::Path;

/// Mount the tmpfs at `target` unless it is there.
pub fn mount(target: &Path, size: u64) -> Result<()> {
    use nix::mount::{mount, MsFlags};
    if is_mounted(target) {
        return Ok(());
    }
    std::fs::create_dir_all(target).map_err(|e| StorageError::file(target, e))?;
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    let options = format!("mode=1777,size={size}");
    mount(Some("shm"), target, Some("tmpfs"), flags, Some(options.as_str()))
        .map_err(|e| StorageError::Mount { what: format!("mounting a pod's shm at {}", target.display()), source: e })
}
