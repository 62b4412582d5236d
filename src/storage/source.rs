//! Image sources: an OCI image layout directory, an OCI archive (a tar of such
//! a directory) or a `docker save` archive. Each is read into the same shape:
//! the image configuration, its layer blobs and the names it carries. Every
//! manifest and configuration is checked against its digest; layers are
//! checked as they are unpacked.

use super::error::{Result, StorageError};
use super::{digest_hex, digest_of};
use crate::model::image::{ImageConfig, Platform, RootFs, RunConfig};
use oci_spec::image::{Descriptor, ImageConfiguration, ImageIndex, ImageManifest, MediaType};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A layer blob and the digest it must have (None: a docker-save layer,
/// checked by its diff ID only).
#[derive(Debug, Clone)]
pub struct LayerBlob {
    pub path: PathBuf,
    pub digest: Option<String>,
}

#[derive(Debug)]
pub struct ImageSource {
    pub config: Vec<u8>,
    pub config_digest: String,
    pub layers: Vec<LayerBlob>,
    pub names: Vec<String>,
    /// The digest of the manifest (or index) named in the source, if it has one.
    pub digest: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifest {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

fn bad(what: &Path, why: impl std::fmt::Display) -> StorageError {
    StorageError::Invalid(format!("{}: {why}", what.display()))
}

/// A layout's or registry's document (index, manifest), parsed by oci-spec.
pub fn parse_document<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &dyn std::fmt::Display) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| StorageError::Invalid(format!("{what} cannot be read: {e}")))
}

/// What berth uses of an image configuration, read by oci-spec (which
/// requires what the image specification does: architecture, os, rootfs).
pub fn image_config(bytes: &[u8], what: &str) -> Result<ImageConfig> {
    let oci: ImageConfiguration = parse_document(bytes, &what)?;
    let run = oci.config().clone().unwrap_or_default();
    // Docker's HEALTHCHECK is not the OCI specification's: read apart.
    let healthcheck = serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| serde_json::from_value(v["config"]["Healthcheck"].clone()).ok());
    Ok(ImageConfig {
        config: RunConfig {
            entrypoint: run.entrypoint().clone(),
            cmd: run.cmd().clone(),
            env: run.env().clone(),
            working_dir: run.working_dir().clone(),
            user: run.user().clone(),
            volumes: run.volumes().clone().map(|paths| paths.into_iter().map(|p| (p, serde_json::json!({}))).collect()),
            exposed_ports: run
                .exposed_ports()
                .clone()
                .map(|ports| ports.into_iter().map(|p| (p, serde_json::json!({}))).collect()),
            healthcheck,
        },
        rootfs: RootFs { kind: oci.rootfs().typ().clone(), diff_ids: oci.rootfs().diff_ids().clone() },
        created: oci.created().clone(),
        architecture: Some(oci.architecture().to_string()),
        os: Some(oci.os().to_string()),
    })
}

/// Read the source at `path`; `scratch` is an empty directory an archive is
/// unpacked into (the caller removes it).
pub fn open(path: &Path, scratch: &Path) -> Result<ImageSource> {
    let meta = std::fs::metadata(path).map_err(|e| bad(path, e))?;
    let dir = if meta.is_dir() {
        path.to_path_buf()
    } else {
        let file = std::fs::File::open(path).map_err(|e| bad(path, e))?;
        let mut archive = tar::Archive::new(file);
        archive.unpack(scratch).map_err(|e| bad(path, format!("not a readable tar archive: {e}")))?;
        scratch.to_path_buf()
    };
    if dir.join("index.json").is_file() {
        oci_layout(&dir)
    } else if dir.join("manifest.json").is_file() {
        docker_archive(&dir)
    } else {
        Err(bad(path, "neither an OCI image layout (index.json) nor a docker-save archive (manifest.json)"))
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = std::fs::read(path).map_err(|e| bad(path, e))?;
    parse_document(&bytes, &path.display())
}

/// A blob of an OCI layout, read and checked against its digest.
fn blob(dir: &Path, digest: &str) -> Result<(PathBuf, Vec<u8>)> {
    let path = dir.join("blobs/sha256").join(digest_hex(digest)?);
    let bytes = std::fs::read(&path).map_err(|e| bad(&path, e))?;
    let got = digest_of(&bytes);
    if got != digest {
        return Err(bad(&path, format!("digest {got} does not match {digest}")));
    }
    Ok((path, bytes))
}

/// Whether a descriptor names an index (OCI's, or docker's manifest list)
/// rather than an image manifest.
pub fn is_index(media_type: &MediaType) -> bool {
    match media_type {
        MediaType::ImageIndex => true,
        MediaType::Other(t) => t.starts_with("application/vnd.docker.distribution.manifest.list.v2+json"),
        _ => false,
    }
}

fn oci_layout(dir: &Path) -> Result<ImageSource> {
    let index: ImageIndex = read_json(&dir.join("index.json"))?;
    let top = index.manifests().first().ok_or_else(|| bad(dir, "index.json lists no image"))?;
    let names: Vec<String> = index
        .manifests()
        .iter()
        .filter_map(|m| m.annotations().as_ref()?.get("org.opencontainers.image.ref.name").cloned())
        .collect();
    let mut desc = top.clone();
    // A nested index (multi-platform): take this machine's platform.
    while is_index(desc.media_type()) {
        let (_, bytes) = blob(dir, desc.digest().as_ref())?;
        let nested: ImageIndex = parse_document(&bytes, &"an image index")?;
        desc = pick_platform(&nested, &Platform::host())?.clone();
    }
    let (_, bytes) = blob(dir, desc.digest().as_ref())?;
    let manifest: ImageManifest = parse_document(&bytes, &"the image manifest")?;
    let config_digest = manifest.config().digest().to_string();
    let (_, config) = blob(dir, &config_digest)?;
    let layers = manifest
        .layers()
        .iter()
        .map(|l| {
            let digest = l.digest().to_string();
            Ok(LayerBlob { path: dir.join("blobs/sha256").join(digest_hex(&digest)?), digest: Some(digest) })
        })
        .collect::<Result<_>>()?;
    Ok(ImageSource { config, config_digest, layers, names, digest: Some(top.digest().to_string()) })
}

fn docker_archive(dir: &Path) -> Result<ImageSource> {
    let manifests: Vec<DockerManifest> = read_json(&dir.join("manifest.json"))?;
    let m = manifests.into_iter().next().ok_or_else(|| bad(dir, "manifest.json lists no image"))?;
    let config_path = dir.join(&m.config);
    let config = std::fs::read(&config_path).map_err(|e| bad(&config_path, e))?;
    let config_digest = digest_of(&config);
    // The file is named after its digest (`<hex>.json` or blobs/sha256/<hex>).
    let named = Path::new(&m.config).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    if !config_digest.ends_with(&named) {
        return Err(bad(&config_path, format!("digest {config_digest} does not match its name")));
    }
    let layers = m.layers.iter().map(|l| LayerBlob { path: dir.join(l), digest: None }).collect();
    Ok(ImageSource { config, config_digest, layers, names: m.repo_tags.unwrap_or_default(), digest: None })
}

/// The manifest of an index for `platform` (the variant only when one is
/// asked for). An index whose entries name no platform gives its first;
/// otherwise a platform it lacks is an error, in podman's words.
pub fn pick_platform<'a>(index: &'a ImageIndex, platform: &Platform) -> Result<&'a Descriptor> {
    let matches = |p: &oci_spec::image::Platform| {
        p.os().to_string() == platform.os
            && p.architecture().to_string() == platform.arch
            && (platform.variant.is_none() || *p.variant() == platform.variant)
    };
    let manifests = index.manifests();
    if let Some(m) = manifests.iter().find(|m| m.platform().as_ref().is_some_and(matches)) {
        return Ok(m);
    }
    match manifests.first() {
        Some(first) if manifests.iter().all(|m| m.platform().is_none()) => Ok(first),
        None => Err(StorageError::Invalid("the image index lists no manifest".into())),
        Some(_) => Err(StorageError::Invalid(format!(
            "choosing image instance: no image found in manifest list for architecture {}, variant {:?}, OS {}",
            platform.arch,
            platform.variant.as_deref().unwrap_or_default(),
            platform.os
        ))),
    }
}
