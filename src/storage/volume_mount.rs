//! A volume with a type (podman's `volume create --opt type=tmpfs --opt
//! device=tmpfs --opt o=...`): its file system is mounted at the volume's
//! directory while a container that uses it runs, and unmounted after.

use super::error::{Result, StorageError};
use std::path::Path;

/// Mount `device` as `fstype` at `target` with podman's `o` options (the
/// flags among them as flags, the rest for the file system).
pub fn mount(device: &str, fstype: &str, options: &str, target: &Path) -> Result<()> {
    use nix::mount::{mount, MsFlags};
    let mut flags = MsFlags::empty();
    let mut data = Vec::new();
    for o in options.split(',').filter(|o| !o.is_empty()) {
        match o {
            "ro" => flags |= MsFlags::MS_RDONLY,
            "nodev" => flags |= MsFlags::MS_NODEV,
            "nosuid" => flags |= MsFlags::MS_NOSUID,
            "noexec" => flags |= MsFlags::MS_NOEXEC,
            "rw" | "dev" | "suid" | "exec" => {}
            other => data.push(other),
        }
    }
    let data = data.join(",");
    mount(Some(device), target, Some(fstype), flags, Some(data.as_str())).map_err(|e| StorageError::Mount {
        what: format!("mounting {device} ({fstype}, {options:?}) at {}", target.display()),
        source: e,
    })
}
