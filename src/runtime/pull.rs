//! Pull: libimage's pull from a registry. The blobs stream into a scratch
//! directory, each checked against its digest; every layer is unpacked (and
//! checked against its diff ID) into a temporary directory renamed into place
//! only when whole; the image is recorded last, in one transaction. An
//! interrupted or corrupt pull therefore leaves no image and no partial layer:
//! at most whole layers that a retry reuses, and that start-up's check
//! removes when no image has claimed them.

use super::Runtime;
use crate::error::{Error, Result};
use crate::model::image::{ImageConfig, Platform, PullProgress};
use crate::storage::registry::{self, Reference, Registry};
use crate::storage::{digest_hex, layers, source};
use std::path::Path;
use tokio::sync::mpsc::UnboundedSender;

#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    /// `user:password`; else the entry for the registry in the auth file.
    pub credentials: Option<String>,
    /// False: accept any certificate, and plain HTTP when TLS fails.
    /// Verified unless said otherwise.
    pub tls_verify: Option<bool>,
    /// The instance of a multi-platform image to take, `os/arch[/variant]`;
    /// else this machine's.
    pub platform: Option<String>,
}

impl Runtime {
    /// Pull `reference`; progress, when asked for, hears of each step.
    /// Returns the image ID and the name it is stored under.
    pub async fn pull_image(
        &self,
        reference: &str,
        options: PullOptions,
        progress: Option<UnboundedSender<PullProgress>>,
    ) -> Result<(String, Vec<String>)> {
        let reference = registry::parse_reference(reference)?;
        let credentials = match &options.credentials {
            Some(c) => Some(
                registry::split_credentials(c)
                    .ok_or_else(|| Error::invalid_argument("credentials", "expected user:password"))?,
            ),
            None => registry::stored_credentials(&self.config.auth_file, reference.registry()),
        };
        let _work = self.in_flight();
        let _store = self.layer_store.read().await;
        let name = registry::stored_name(&reference);
        let tls_verify = options.tls_verify.unwrap_or(true);
        let platform = match options.platform.as_deref() {
            Some(p) => Platform::parse(p).map_err(|e| Error::invalid_argument("platform", e))?,
            None => Platform::host(),
        };
        let (id, config, size, digest) = self
            .with_scratch(move |scratch, layers_dir| {
                let mut report = |p: PullProgress| {
                    if let Some(tx) = &progress {
                        let _ = tx.send(p);
                    }
                };
                fetch_and_unpack(&reference, &platform, credentials, tls_verify, scratch, layers_dir, &mut report)
            })
            .await?;
        self.record_image(id, config, size, vec![name], Some(digest), "pull").await
    }
}

/// The blocking part: returns the image ID, its configuration, the bytes
/// of its layer blobs and the digest of what the reference named.
fn fetch_and_unpack(
    reference: &Reference,
    platform: &Platform,
    credentials: Option<(String, String)>,
    tls_verify: bool,
    scratch: &Path,
    layers_dir: &Path,
    progress: &mut dyn FnMut(PullProgress),
) -> Result<(String, ImageConfig, u64, String)> {
    let mut registry = Registry::connect(reference, credentials, tls_verify)?;
    let stored = |diff_id: &str| digest_hex(diff_id).is_ok_and(|hex| layers_dir.join(hex).is_dir());
    let fetched = registry.fetch(reference, platform, scratch, &stored, progress)?;
    let config =
        source::image_config(&fetched.config, &format!("the configuration of {}", registry::stored_name(reference)))?;
    for ((desc, blob), diff_id) in fetched.layers.iter().zip(&config.rootfs.diff_ids) {
        if let Some(blob) = blob {
            let digest = desc.digest().to_string();
            progress(PullProgress::of("unpacking", Some(&digest), desc.size(), desc.size()));
            layers::unpack(layers_dir, blob, Some(&digest), diff_id)?;
            // Scratch space goes as soon as the layer is stored.
            let _ = std::fs::remove_file(blob);
        }
    }
    let size = fetched.layers.iter().map(|(d, _)| d.size()).sum();
    Ok((digest_hex(&fetched.config_digest)?.to_string(), config, size, fetched.digest))
}
