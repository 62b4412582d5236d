//! Unpacking a layer: decompress (gzip, zstd or none, told by its first bytes),
//! verify the blob's digest and the uncompressed diff ID, and turn OCI
//! whiteouts into what overlayfs understands: `.wh.NAME` becomes a 0:0
//! character device NAME, `.wh..wh..opq` makes its directory opaque
//! (`trusted.overlay.opaque=y`, or user.overlay.opaque in a user's namespace). Unpacking goes to a temporary directory that
//! is renamed into place only when every check passed, so nothing
//! half-unpacked is ever a layer.

use super::error::{Result, StorageError};
use super::Hashing;
use std::ffi::CString;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

const WHITEOUT: &str = ".wh.";
const OPAQUE: &str = ".wh..wh..opq";

/// Unpack `blob` as the layer `diff_id` into `layers/<hex>` unless it is
/// there already. `blob_digest`, when known, is checked against the blob.
/// Returns the layer's directory.
pub fn unpack(layers: &Path, blob: &Path, blob_digest: Option<&str>, diff_id: &str) -> Result<PathBuf> {
    let hex = super::digest_hex(diff_id)?;
    let dest = layers.join(hex);
    if dest.is_dir() {
        return Ok(dest);
    }
    let tmp = layers.join(format!(".tmp-{hex}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let result = unpack_into(blob, blob_digest, diff_id, &tmp.join("diff"));
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, &dest).or_else(|e| {
        // Another import unpacked the same layer meanwhile.
        let _ = std::fs::remove_dir_all(&tmp);
        if dest.is_dir() {
            Ok(())
        } else {
            Err(StorageError::file(&dest, e))
        }
    })?;
    Ok(dest)
}

fn unpack_into(blob: &Path, blob_digest: Option<&str>, diff_id: &str, dir: &Path) -> Result<()> {
    let io = |e: std::io::Error| {
        // tar wraps the cause; say it too.
        let cause = std::error::Error::source(&e).map(|c| format!(": {c}")).unwrap_or_default();
        StorageError::Invalid(format!("layer {}: {e}{cause}", blob.display()))
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let file = std::fs::File::open(blob).map_err(io)?;
    let mut compressed = BufReader::new(file);
    let head = compressed.fill_buf().map_err(io)?.to_vec();
    let decoder: Box<dyn Read> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::GzDecoder::new(compressed))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(zstd::stream::read::Decoder::with_buffer(compressed).map_err(io)?)
    } else {
        Box::new(compressed)
    };
    let mut archive = tar::Archive::new(Hashing::new(decoder));
    archive.set_preserve_permissions(true);
    archive.set_preserve_ownerships(true);
    archive.set_unpack_xattrs(true);
    archive.set_overwrite(true);
    let owners = super::id_map::Owners::of_self();
    for entry in archive.entries().map_err(io)? {
        let mut entry = entry.map_err(io)?;
        let path = entry.path().map_err(io)?.into_owned();
        // In a user's namespace, a file of an ID it does not map cannot be
        // created (the kernel's EINVAL says nothing of why).
        let header = entry.header();
        if let Some(why) = owners.refuses(header.uid().map_err(io)?, header.gid().map_err(io)?) {
            return Err(StorageError::Invalid(format!("layer {}: {} is {why}", blob.display(), path.display())));
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if let Some(hidden) = name.strip_prefix(WHITEOUT) {
            let parent = safe_join(dir, path.parent().unwrap_or(Path::new("")))?;
            std::fs::create_dir_all(&parent).map_err(io)?;
            if name == OPAQUE {
                set_opaque(&parent).map_err(io)?;
            } else {
                whiteout(&parent.join(hidden)).map_err(io)?;
            }
            continue;
        }
        if safe_join(dir, &path)? == dir {
            // The layer's own root ("./"), which unpack_in skips: its mode
            // and owner become the container's "/" (see root_mode_source).
            if entry.header().entry_type().is_dir() {
                set_root_entry(dir, entry.header()).map_err(io)?;
            }
            continue;
        }
        entry.unpack_in(dir).map_err(io)?;
    }
    // Read what the tar reader left (padding) so both digests cover everything.
    let mut rest = archive.into_inner();
    std::io::copy(&mut rest, &mut std::io::sink()).map_err(io)?;
    let (got_diff, _) = rest.digest();
    if got_diff != diff_id {
        return Err(StorageError::Invalid(format!(
            "layer {}: content digest {got_diff} is not the expected {diff_id}",
            blob.display()
        )));
    }
    if let Some(want) = blob_digest {
        // The blob as stored, compressed: a second pass over the file.
        let mut h = Hashing::new(std::fs::File::open(blob).map_err(io)?);
        std::io::copy(&mut h, &mut std::io::sink()).map_err(io)?;
        let (got, _) = h.digest();
        if got != want {
            return Err(StorageError::Invalid(format!("blob {}: digest {got} does not match {want}", blob.display())));
        }
    }
    Ok(())
}

/// `dir/rel`, refusing paths that climb out of `dir`.
fn safe_join(dir: &Path, rel: &Path) -> Result<PathBuf> {
    let mut out = dir.to_path_buf();
    for c in rel.components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir | Component::RootDir => {}
            _ => return Err(StorageError::Invalid(format!("layer entry {} leaves the layer", rel.display()))),
        }
    }
    Ok(out)
}

/// Marks a layer whose tar had a root entry: its directory's mode and owner
/// are the image's, not the default of a directory made to unpack into.
const ROOT_ENTRY: &std::ffi::CStr = c"user.berth.root";

fn set_root_entry(dir: &Path, header: &tar::Header) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let owner = |id: std::io::Result<u64>| id.ok().map(|v| v as u32);
    std::os::unix::fs::chown(dir, owner(header.uid()), owner(header.gid()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(header.mode()? & 0o7777))?;
    set_xattr(dir, ROOT_ENTRY, b"1")
}

/// Of an image's layers (topmost first), the one whose root directory is
/// the image's "/": the topmost that carried a root entry, as
/// containers/storage takes each layer's root from the one below.
pub fn root_mode_source(layers: &[PathBuf]) -> Option<&Path> {
    layers.iter().map(PathBuf::as_path).find(|l| xattr_present(l, ROOT_ENTRY))
}

#[allow(unsafe_code)] // getxattr has no safe wrapper here
fn xattr_present(path: &Path, name: &std::ffi::CStr) -> bool {
    let Ok(path) = CString::new(path.as_os_str().as_bytes()) else { return false };
    // SAFETY: both strings are NUL-terminated and outlive the call; a null
    // buffer of size 0 asks only for the value's length.
    unsafe { nix::libc::getxattr(path.as_ptr(), name.as_ptr(), std::ptr::null_mut(), 0) >= 0 }
}

fn whiteout(path: &Path) -> std::io::Result<()> {
    use nix::sys::stat::{mknod, Mode, SFlag};
    let _ = std::fs::remove_file(path);
    mknod(path, SFlag::S_IFCHR, Mode::empty(), 0).map_err(std::io::Error::from)
}

fn set_opaque(dir: &Path) -> std::io::Result<()> {
    match super::overlay::user_xattrs() {
        true => set_xattr(dir, c"user.overlay.opaque", b"y"),
        false => set_xattr(dir, c"trusted.overlay.opaque", b"y"),
    }
}

#[allow(unsafe_code)] // setxattr has no safe wrapper here
fn set_xattr(dir: &Path, name: &std::ffi::CStr, value: &[u8]) -> std::io::Result<()> {
    let path = CString::new(dir.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
    // SAFETY: both strings are NUL-terminated and outlive the call; the value
    // pointer and length describe a valid buffer.
    let r = unsafe { nix::libc::setxattr(path.as_ptr(), name.as_ptr(), value.as_ptr().cast(), value.len(), 0) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
