//! Image sources: an OCI image layout directory, an OCI archive (a tar of such
//! a directory) or a `docker save` archive. Each is read into the same shape:
//! the image configuration, its layer blobs and the names it carries. Every
//! manifest and configuration is checked against its digest; layers are
//! checked as they are unpacked.

use super::{digest_hex, digest_of};
use crate::error::{Error, Result};
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
}

#[derive(Debug, Deserialize)]
pub struct Descriptor {
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    pub digest: String,
    /// Bytes; 0 when the source does not say.
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    annotations: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    platform: Option<Platform>,
}

#[derive(Debug, Deserialize)]
struct Platform {
    architecture: String,
    os: String,
}

#[derive(Deserialize)]
pub struct Index {
    manifests: Vec<Descriptor>,
}

#[derive(Deserialize)]
pub struct Manifest {
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifest {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

fn bad(what: &Path, why: impl std::fmt::Display) -> Error {
    Error::Storage(format!("{}: {why}", what.display()))
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

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<(T, Vec<u8>)> {
    let bytes = std::fs::read(path).map_err(|e| bad(path, e))?;
    let value = serde_json::from_slice(&bytes).map_err(|e| bad(path, e))?;
    Ok((value, bytes))
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

pub const INDEX_TYPES: &[&str] =
    &["application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"];

fn oci_layout(dir: &Path) -> Result<ImageSource> {
    let (index, _) = read_json::<Index>(&dir.join("index.json"))?;
    let top = index.manifests.first().ok_or_else(|| bad(dir, "index.json lists no image"))?;
    let names: Vec<String> = index
        .manifests
        .iter()
        .filter_map(|m| m.annotations.get("org.opencontainers.image.ref.name").cloned())
        .collect();
    let mut desc_digest = top.digest.clone();
    let mut media_type = top.media_type.clone();
    // A nested index (multi-platform): take this machine's platform.
    while INDEX_TYPES.contains(&media_type.as_str()) {
        let (_, bytes) = blob(dir, &desc_digest)?;
        let nested: Index = serde_json::from_slice(&bytes).map_err(|e| bad(dir, e))?;
        let pick = pick_platform(&nested).ok_or_else(|| bad(dir, "an image index lists no manifest"))?;
        desc_digest = pick.digest.clone();
        media_type = pick.media_type.clone();
    }
    let (_, bytes) = blob(dir, &desc_digest)?;
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| bad(dir, e))?;
    let (_, config) = blob(dir, &manifest.config.digest)?;
    let layers = manifest
        .layers
        .iter()
        .map(|l| {
            Ok(LayerBlob {
                path: dir.join("blobs/sha256").join(digest_hex(&l.digest)?),
                digest: Some(l.digest.clone()),
            })
        })
        .collect::<Result<_>>()?;
    Ok(ImageSource { config, config_digest: manifest.config.digest, layers, names })
}

fn docker_archive(dir: &Path) -> Result<ImageSource> {
    let (manifests, _) = read_json::<Vec<DockerManifest>>(&dir.join("manifest.json"))?;
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
    Ok(ImageSource { config, config_digest, layers, names: m.repo_tags.unwrap_or_default() })
}

/// The manifest of an index for this machine's platform (else the first).
pub fn pick_platform(index: &Index) -> Option<&Descriptor> {
    index
        .manifests
        .iter()
        .find(|m| m.platform.as_ref().is_some_and(|p| p.os == "linux" && p.architecture == host_arch()))
        .or(index.manifests.first())
}

fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}
