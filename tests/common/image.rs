//! Test images, built offline from busybox-static: an OCI image layout with
//! two layers (gzip, then zstd with whiteouts), and the same image as an OCI
//! archive and as a docker-save archive.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn sha(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// A tar of (path, content) files, symlinks (content "->target") and
/// character-device-free whiteout markers (plain empty files named .wh.*).
fn tar_of(entries: &[(&str, Vec<u8>, u32)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data, mode) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_700_000_000);
        if let Some(target) = data.strip_prefix(b"->") {
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            h.set_mode(0o777);
            h.set_cksum();
            b.append_link(&mut h, path, std::str::from_utf8(target).unwrap()).unwrap();
        } else if path.ends_with('/') {
            h.set_entry_type(tar::EntryType::Directory);
            h.set_size(0);
            h.set_mode(*mode);
            h.set_cksum();
            b.append_data(&mut h, path, &[][..]).unwrap();
        } else {
            h.set_size(data.len() as u64);
            h.set_mode(*mode);
            h.set_cksum();
            b.append_data(&mut h, path, &data[..]).unwrap();
        }
    }
    b.into_inner().unwrap()
}

pub struct TestImage {
    pub layout: PathBuf,
    pub oci_archive: PathBuf,
    pub docker_archive: PathBuf,
    pub config_digest: String,
    /// The image manifest's digest and size.
    pub manifest: (String, usize),
}

/// Build the test image under `dir`.
pub fn build(dir: &Path) -> TestImage {
    build_with(
        dir,
        serde_json::json!({ "Cmd": ["/bin/sh", "-c", "echo from the image; pwd; id -u; echo $IMAGE_VAR"],
                            "Env": ["PATH=/bin", "IMAGE_VAR=set-by-image"], "WorkingDir": "/data", "User": "nobody" }),
    )
}

/// The test image's files with another run configuration (its "config":
/// Entrypoint, Cmd, Env...), so another image.
pub fn build_with(dir: &Path, run_config: serde_json::Value) -> TestImage {
    build_for(dir, run_config, "amd64")
}

/// The test image as made for another architecture (its configuration says
/// so; the files are this machine's).
pub fn build_for(dir: &Path, run_config: serde_json::Value, architecture: &str) -> TestImage {
    let busybox = std::fs::read("/bin/busybox").expect("busybox-static is installed");
    let mut lower: Vec<(&str, Vec<u8>, u32)> = vec![
        // podman's test image has a read-only root, which "/" shows.
        ("./", vec![], 0o555),
        ("bin/", vec![], 0o755),
        ("bin/busybox", busybox, 0o755),
        ("etc/", vec![], 0o755),
        ("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n".to_vec(), 0o644),
        ("etc/group", b"root:x:0:\nnogroup:x:65534:\n".to_vec(), 0o644),
        ("etc/removed", b"gone in the upper layer\n".to_vec(), 0o644),
        ("data/", vec![], 0o777),
        ("data/old", b"hidden by an opaque directory\n".to_vec(), 0o644),
        ("tmp/", vec![], 0o1777),
    ];
    for applet in ["sh", "echo", "cat", "ls", "id", "pwd", "sleep", "true", "dd", "test"] {
        lower.push((Box::leak(format!("bin/{applet}").into_boxed_str()), b"->busybox".to_vec(), 0o777));
    }
    let upper = vec![
        ("etc/.wh.removed", vec![], 0o644),
        ("data/", vec![], 0o777),
        ("data/.wh..wh..opq", vec![], 0o644),
        ("data/new", b"from the upper layer\n".to_vec(), 0o644),
    ];
    let (lower_tar, upper_tar) = (tar_of(&lower), tar_of(&upper));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &lower_tar).unwrap();
    let lower_blob = gz.finish().unwrap();
    let upper_blob = zstd::encode_all(&upper_tar[..], 3).unwrap();
    let config = serde_json::json!({
        "architecture": architecture, "os": "linux",
        "config": run_config,
        "rootfs": { "type": "layers", "diff_ids": [sha(&lower_tar), sha(&upper_tar)] },
    })
    .to_string()
    .into_bytes();
    let manifest = serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&config), "size": config.len() },
        "layers": [
            { "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(&lower_blob), "size": lower_blob.len() },
            { "mediaType": "application/vnd.oci.image.layer.v1.tar+zstd", "digest": sha(&upper_blob), "size": upper_blob.len() },
        ],
    })
    .to_string()
    .into_bytes();
    let layout = dir.join("layout");
    let blobs = layout.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    for b in [&lower_blob, &upper_blob, &config, &manifest] {
        std::fs::write(blobs.join(&sha(b)[7..]), b).unwrap();
    }
    std::fs::write(layout.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let index = serde_json::json!({ "schemaVersion": 2, "manifests": [ {
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(&manifest), "size": manifest.len(),
        "annotations": { "org.opencontainers.image.ref.name": "localhost/testimage:1" } } ] });
    std::fs::write(layout.join("index.json"), index.to_string()).unwrap();

    let oci_archive = dir.join("oci.tar");
    let mut b = tar::Builder::new(std::fs::File::create(&oci_archive).unwrap());
    b.append_dir_all(".", &layout).unwrap();
    b.finish().unwrap();

    let docker_archive = dir.join("docker.tar");
    let dm = serde_json::json!([ { "Config": format!("{}.json", &sha(&config)[7..]),
        "RepoTags": ["localhost/dockerimage:latest"], "Layers": ["l1/layer.tar", "l2/layer.tar"] } ]);
    let files: Vec<(String, Vec<u8>)> = vec![
        ("manifest.json".into(), dm.to_string().into_bytes()),
        (format!("{}.json", &sha(&config)[7..]), config.clone()),
        ("l1/layer.tar".into(), lower_tar),
        ("l2/layer.tar".into(), upper_tar),
    ];
    write_archive(&docker_archive, files.iter().map(|(name, data)| (name.as_str(), &data[..])));
    TestImage {
        layout,
        oci_archive,
        docker_archive,
        config_digest: sha(&config),
        manifest: (sha(&manifest), manifest.len()),
    }
}

/// A docker-save archive at `path` of one layer holding one file, `far`,
/// owned by `id`:`id`: for a user's namespace that does not map `id`.
pub fn docker_archive_owned_by(path: &Path, id: u64) {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_uid(id);
    h.set_gid(id);
    h.set_mtime(1_700_000_000);
    h.set_size(4);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "far", &b"far\n"[..]).unwrap();
    let layer = b.into_inner().unwrap();
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": { "type": "layers", "diff_ids": [sha(&layer)] },
    })
    .to_string()
    .into_bytes();
    let config_name = format!("{}.json", &sha(&config)[7..]);
    let manifest =
        serde_json::json!([ { "Config": config_name, "RepoTags": ["localhost/far:1"], "Layers": ["l/layer.tar"] } ]);
    let manifest = manifest.to_string().into_bytes();
    write_archive(path, [("manifest.json", &manifest[..]), (&config_name, &config[..]), ("l/layer.tar", &layer[..])]);
}

/// A tar at `path` of (name, content) files, owned by root.
fn write_archive<'a>(path: &Path, files: impl IntoIterator<Item = (&'a str, &'a [u8])>) {
    let mut b = tar::Builder::new(std::fs::File::create(path).unwrap());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_700_000_000);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, data).unwrap();
    }
    b.finish().unwrap();
}
