//! Image storage: layers unpacked once each and shared between images
//! (content-addressed by their diff ID), image sources (OCI layouts, OCI and
//! docker-save archives), and the overlay mounts that give each container a
//! copy-on-write root over its image's layers.

pub mod id_map;
pub mod layers;
pub mod overlay;
pub mod registry;
pub mod shm;
pub mod source;
pub mod volume_mount;

pub mod error;

use error::StorageError;
use sha2::{Digest, Sha256};
use std::io::Read;

/// A reader that hashes what passes through it.
pub struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    pub bytes: u64,
}

impl<R: Read> Hashing<R> {
    pub fn new(inner: R) -> Self {
        Hashing { inner, hasher: Sha256::new(), bytes: 0 }
    }

    /// `sha256:<hex>` of everything read so far.
    pub fn digest(self) -> (String, R) {
        (format!("sha256:{:x}", self.hasher.finalize()), self.inner)
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// `sha256:<hex>` of a byte string.
pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// The hex part of a `sha256:` digest, refusing anything else (it becomes a
/// path component).
pub fn digest_hex(digest: &str) -> Result<&str, StorageError> {
    match digest.strip_prefix("sha256:") {
        Some(hex) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => Ok(hex),
        _ => Err(StorageError::Invalid(format!("unsupported or malformed digest {digest:?}"))),
    }
}
