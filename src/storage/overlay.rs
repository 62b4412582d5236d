//! Overlay mounts: a container's root is its image's layers (read-only,
//! topmost first) under its own upper and work directories.

use super::error::{Result, StorageError};
use std::path::{Path, PathBuf};

/// In a user's namespace overlayfs keeps its attributes (opaque
/// directories) in user.overlay.* and is told so; trusted.* is the host
/// root's alone.
pub fn user_xattrs() -> bool {
    crate::rootless::owner().is_some()
}

/// An overlay's options: its directories, then what the namespace needs.
pub fn options(dirs: &[(&str, String)]) -> Vec<String> {
    let mut options: Vec<String> = dirs.iter().map(|(key, dir)| format!("{key}={dir}")).collect();
    if user_xattrs() {
        options.push("userxattr".into());
    }
    options
}

fn lowerdir(lowers: &[PathBuf]) -> String {
    lowers.iter().map(|l| l.display().to_string()).collect::<Vec<_>>().join(":")
}

/// Where Debian's fuse-overlayfs is: a user's overlays when the kernel
/// refuses one in a user namespace.
const FUSE_OVERLAYFS: &str = "/usr/bin/fuse-overlayfs";

/// Mount the overlay at `target` (made if missing): by the kernel, or by
/// `program` (berth.conf's mount_program, as containers-storage's), or in a
/// user's namespace whose kernel refuses it, by fuse-overlayfs if installed.
pub fn mount(lowers: &[PathBuf], upper: &Path, work: &Path, target: &Path, program: Option<&Path>) -> Result<()> {
    use nix::mount::{mount, MsFlags};
    if !upper.exists() {
        std::fs::create_dir_all(upper).map_err(|e| StorageError::file(upper, e))?;
        // The merged "/" is the upper directory: it takes the image's root.
        if let Some(root) = super::layers::root_mode_source(lowers) {
            copy_mode_and_owner(root, upper).map_err(|e| StorageError::file(upper, e))?;
        }
    }
    for d in [work, target] {
        std::fs::create_dir_all(d).map_err(|e| StorageError::file(d, e))?;
    }
    let dirs = [
        ("lowerdir", lowerdir(lowers)),
        ("upperdir", upper.display().to_string()),
        ("workdir", work.display().to_string()),
    ];
    if let Some(program) = program {
        return mount_with(program, &dirs, target);
    }
    let options = options(&dirs).join(",");
    match mount(Some("overlay"), target, Some("overlay"), MsFlags::empty(), Some(options.as_str())) {
        Ok(()) => Ok(()),
        Err(nix::errno::Errno::EPERM | nix::errno::Errno::EINVAL)
            if user_xattrs() && Path::new(FUSE_OVERLAYFS).exists() =>
        {
            tracing::info!(target = %target.display(), "the kernel refuses overlay here: fuse-overlayfs");
            mount_with(Path::new(FUSE_OVERLAYFS), &dirs, target)
        }
        Err(e) => Err(StorageError::Mount { what: format!("mounting the overlay at {}", target.display()), source: e }),
    }
}

/// The overlay by a FUSE program taking overlayfs's options
/// (fuse-overlayfs), which serves it in the background once mounted.
fn mount_with(program: &Path, dirs: &[(&str, String)], target: &Path) -> Result<()> {
    let options: Vec<String> = dirs.iter().map(|(key, dir)| format!("{key}={dir}")).collect();
    let out = std::process::Command::new(program)
        .arg("-o")
        .arg(options.join(","))
        .arg(target)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .output()
        .map_err(|e| StorageError::file(program, e))?;
    match out.status.success() {
        true => Ok(()),
        false => Err(StorageError::Invalid(format!(
            "{} could not mount the overlay at {}: {}",
            program.display(),
            target.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))),
    }
}

/// Give `to` the mode and owner of `from`.
pub fn copy_mode_and_owner(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(from)?;
    std::os::unix::fs::chown(to, Some(meta.uid()), Some(meta.gid()))?;
    std::fs::set_permissions(to, meta.permissions())
}

/// Mount `lowers` read-only at `target` (made if missing): an overlay of
/// them, or a read-only bind of the one there is (overlay needs two
/// lowers without an upper).
pub fn mount_read_only(lowers: &[PathBuf], target: &Path) -> Result<()> {
    use nix::mount::{mount, MsFlags};
    std::fs::create_dir_all(target).map_err(|e| StorageError::file(target, e))?;
    let failed = |e| StorageError::Mount { what: format!("mounting an image at {}", target.display()), source: e };
    if let [only] = lowers {
        mount(Some(only.as_path()), target, None::<&str>, MsFlags::MS_BIND, None::<&str>).map_err(failed)?;
        let flags = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY;
        return mount(None::<&str>, target, None::<&str>, flags, None::<&str>).map_err(failed);
    }
    let options = options(&[("lowerdir", lowerdir(lowers))]).join(",");
    mount(Some("overlay"), target, Some("overlay"), MsFlags::MS_RDONLY, Some(options.as_str())).map_err(failed)
}

/// Unmount `target`; one that is not mounted is fine.
pub fn unmount(target: &Path) -> Result<()> {
    use nix::mount::{umount2, MntFlags};
    if !is_mounted(target) {
        return Ok(());
    }
    umount2(target, MntFlags::MNT_DETACH)
        .map_err(|e| StorageError::Mount { what: format!("unmounting {}", target.display()), source: e })
}

/// Whether something is mounted exactly at `target`.
pub fn is_mounted(target: &Path) -> bool {
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else { return false };
    let want = target.display().to_string();
    info.lines().any(|l| l.split(' ').nth(4) == Some(want.as_str()))
}
