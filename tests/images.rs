//! Images: import of each source kind, whiteouts, bad archives, containers
//! running on an overlay of their image, and the Storage API.

mod common;

use berth::client::{Client, ClientError};
use common::{image, Daemon};
use serde_json::{json, Value};

fn error_of(r: Result<Value, ClientError>) -> (String, Value) {
    match r {
        Err(ClientError::Remote { error, parameters }) => (error, parameters),
        other => panic!("expected an error, got {other:?}"),
    }
}

fn import(c: &mut Client, path: &std::path::Path, reference: Option<&str>) -> Result<Value, ClientError> {
    c.call("io.berth.Image.Import", json!({ "path": path, "reference": reference }))
}

fn layer_count(d: &Daemon) -> usize {
    std::fs::read_dir(d.root().join("storage/layers")).map(|r| r.count()).unwrap_or(0)
}

fn run(c: &mut Client, options: Value) -> (String, i64, Vec<String>) {
    let id =
        c.call("io.berth.Container.Create", json!({ "options": options })).unwrap()["id"].as_str().unwrap().to_string();
    c.call("io.berth.Container.Start", json!({ "nameOrId": id })).unwrap();
    let code = c.call("io.berth.Container.Wait", json!({ "nameOrId": id })).unwrap()["exitCode"].as_i64().unwrap();
    let logs = c.call("io.berth.Container.Logs", json!({ "nameOrId": id })).unwrap();
    let lines = logs["lines"].as_array().unwrap().iter().map(|l| l["text"].as_str().unwrap().to_string()).collect();
    (id, code, lines)
}

#[test]
fn import_each_kind_shares_layers_and_runs_with_whiteouts_applied() {
    let d = Daemon::start();
    let img = image::build(d.dir.path());
    let mut c = d.client();
    let r = import(&mut c, &img.layout, None).unwrap();
    assert_eq!(r["id"], &img.config_digest[7..]);
    assert_eq!(r["names"], json!(["localhost/testimage:1"]));
    assert_eq!(layer_count(&d), 2);
    // The same image from the two archive kinds: same ID, no new layers.
    let r = import(&mut c, &img.oci_archive, Some("fromoci")).unwrap();
    assert_eq!(r["id"], &img.config_digest[7..]);
    let r = import(&mut c, &img.docker_archive, None).unwrap();
    assert_eq!(
        (r["id"].as_str(), r["names"].clone()),
        (Some(&img.config_digest[7..]), json!(["localhost/dockerimage:latest"]))
    );
    assert_eq!(layer_count(&d), 2, "layers are shared");
    let list = c.call("io.berth.Image.List", json!({})).unwrap()["images"].clone();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["names"].as_array().unwrap().len(), 3);

    // The image's command, environment, working directory and user apply.
    let (_, code, out) = run(&mut c, json!({ "image": "fromoci", "command": [] }));
    assert_eq!(code, 0);
    assert_eq!(out, ["from the image", "/data", "65534", "set-by-image"]);
    // Whiteouts and the opaque directory hide what the lower layer had.
    let (id, code, out) = run(
        &mut c,
        json!({ "image": "localhost/testimage:1", "command": ["/bin/sh", "-c", "ls /etc; ls /data; dd if=/dev/zero of=/tmp/big bs=1024 count=64 2>/dev/null"] }),
    );
    assert_eq!(code, 0);
    assert!(!out.iter().any(|l| l.contains("removed")), "{out:?}");
    assert!(out.contains(&"new".to_string()) && !out.contains(&"old".to_string()), "{out:?}");
    let inspect = c.call("io.berth.Container.Inspect", json!({ "nameOrId": id, "size": true })).unwrap();
    assert!(inspect["container"]["rwSize"].as_u64().unwrap() >= 65536);
    // Exited: its overlay is unmounted (just after the exit is recorded).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while c.call("io.berth.Storage.IsMounted", json!({ "nameOrId": id })).unwrap()["mounted"] == true {
        assert!(std::time::Instant::now() < deadline, "still mounted after its exit");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn bad_sources_leave_nothing_behind() {
    let d = Daemon::start();
    let img = image::build(d.dir.path());
    let mut c = d.client();
    // Truncated archive.
    let bytes = std::fs::read(&img.oci_archive).unwrap();
    let cut = d.dir.path().join("cut.tar");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    let (error, p) = error_of(import(&mut c, &cut, Some("cut")));
    assert_eq!(error, "io.berth.Image.Storage", "{p}");
    // A layer blob whose bytes no longer match its digest.
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(
            img.layout.join("blobs/sha256").join(
                serde_json::from_slice::<Value>(&std::fs::read(img.layout.join("index.json")).unwrap()).unwrap()
                    ["manifests"][0]["digest"]
                    .as_str()
                    .unwrap()
                    .strip_prefix("sha256:")
                    .unwrap(),
            ),
        )
        .unwrap(),
    )
    .unwrap();
    let layer = img.layout.join("blobs/sha256").join(&manifest["layers"][1]["digest"].as_str().unwrap()[7..]);
    let mut blob = std::fs::read(&layer).unwrap();
    let last = blob.len() - 1;
    blob[last] ^= 0xff;
    std::fs::write(&layer, &blob).unwrap();
    let (error, p) = error_of(import(&mut c, &img.layout, Some("tampered")));
    assert_eq!(error, "io.berth.Image.Storage");
    assert!(
        p["reason"].as_str().unwrap().contains("digest")
            || p["reason"].as_str().unwrap().contains("zstd")
            || !p["reason"].as_str().unwrap().is_empty()
    );
    // Not a source at all.
    let (error, _) = error_of(import(&mut c, d.dir.path().join("rootfs").as_path(), None));
    assert_eq!(error, "io.berth.Image.Storage");
    assert_eq!(c.call("io.berth.Image.List", json!({})).unwrap()["images"], json!([]));
    // The first layer may have been stored whole (it was sound); nothing partial is.
    for entry in std::fs::read_dir(d.root().join("storage/layers")).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with(".tmp"), "a partial layer was left: {name}");
    }
    assert_eq!(std::fs::read_dir(d.root().join("storage/tmp")).map(|r| r.count()).unwrap_or(0), 0);
    let (error, _) = error_of(
        c.call("io.berth.Container.Create", json!({ "options": { "image": "tampered", "command": ["true"] } })),
    );
    assert_eq!(error, "io.berth.Container.NoSuchImage");
}

#[test]
fn tag_untag_and_remove_rules() {
    let d = Daemon::start();
    let img = image::build(d.dir.path());
    let mut c = d.client();
    let id = import(&mut c, &img.layout, Some("one")).unwrap()["id"].as_str().unwrap().to_string();
    c.call("io.berth.Image.Tag", json!({ "reference": "one", "name": "two:v2" })).unwrap();
    let ctr = c
        .call("io.berth.Container.Create", json!({ "options": { "image": "two:v2", "command": ["/bin/true"] } }))
        .unwrap()["id"]
        .clone();
    // Removing one of two names only untags.
    let r = c.call("io.berth.Image.Remove", json!({ "reference": "one" })).unwrap();
    assert_eq!(r["removed"], false);
    let names = c.call("io.berth.Image.Inspect", json!({ "reference": &id[..12] })).unwrap()["image"]["names"].clone();
    assert_eq!(names, json!(["two:v2"]));
    let (error, p) = error_of(c.call("io.berth.Image.Remove", json!({ "reference": "two:v2" })));
    assert_eq!((error.as_str(), &p["dependents"][0]), ("io.berth.Image.HasDependents", &ctr));
    let r = c.call("io.berth.Image.Remove", json!({ "reference": "two:v2", "force": true })).unwrap();
    assert_eq!(r["removed"], true);
    assert_eq!(c.call("io.berth.Container.Exists", json!({ "nameOrId": ctr })).unwrap()["exists"], false);
    assert_eq!(layer_count(&d), 0, "unused layers go with the image");
}

#[test]
fn storage_api_mounts_and_finds_strangers() {
    let d = Daemon::start();
    let img = image::build(d.dir.path());
    let mut c = d.client();
    import(&mut c, &img.layout, Some("img")).unwrap();
    let id = c
        .call("io.berth.Container.Create", json!({ "options": { "image": "img", "command": ["/bin/true"] } }))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path =
        c.call("io.berth.Storage.Mount", json!({ "nameOrId": id })).unwrap()["path"].as_str().unwrap().to_string();
    assert_eq!(std::fs::read_to_string(format!("{path}/data/new")).unwrap(), "from the upper layer\n");
    // The container runs and exits: the exit leaves the mount the API holds.
    c.call("io.berth.Container.Start", json!({ "nameOrId": id })).unwrap();
    c.call("io.berth.Container.Wait", json!({ "nameOrId": id })).unwrap();
    let watched = std::time::Instant::now();
    while watched.elapsed() < std::time::Duration::from_secs(1) {
        let mounted = c.call("io.berth.Storage.IsMounted", json!({ "nameOrId": id })).unwrap()["mounted"].clone();
        assert_eq!(mounted, true, "the exit unmounted a root the Storage API holds");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    c.call("io.berth.Storage.Mount", json!({ "nameOrId": id })).unwrap();
    assert_eq!(
        c.call("io.berth.Storage.Unmount", json!({ "nameOrId": id })).unwrap()["unmounted"],
        false,
        "one mount is left"
    );
    assert_eq!(c.call("io.berth.Storage.IsMounted", json!({ "nameOrId": id })).unwrap()["mounted"], true);
    assert_eq!(c.call("io.berth.Storage.Unmount", json!({ "nameOrId": id })).unwrap()["unmounted"], true);
    assert_eq!(c.call("io.berth.Storage.IsMounted", json!({ "nameOrId": id })).unwrap()["mounted"], false);
    c.call("io.berth.Storage.Mount", json!({ "nameOrId": id })).unwrap();
    // Removal unmounts whatever is held.
    c.call("io.berth.Container.Remove", json!({ "nameOrId": id })).unwrap();
    assert!(!std::path::Path::new(&path).exists());
    std::fs::create_dir_all(d.root().join("containers/stranger")).unwrap();
    let ext = c.call("io.berth.Storage.ListExternal", json!({})).unwrap()["containers"].clone();
    assert_eq!(ext[0]["id"], "stranger");
    // An overlay left mounted by a crash: found, then unmounted by repair.
    let merged = d.dir.path().join("run/overlay/leftover/merged");
    std::fs::create_dir_all(&merged).unwrap();
    assert!(std::process::Command::new("mount")
        .args(["-t", "tmpfs", "tmpfs"])
        .arg(&merged)
        .status()
        .unwrap()
        .success());
    let ext = c.call("io.berth.Storage.ListExternal", json!({})).unwrap()["containers"].clone();
    assert!(ext.as_array().unwrap().iter().any(|e| e["id"] == "leftover" && e["mounted"] == true), "{ext}");
    let problems = c.call("io.berth.System.Check", json!({ "repair": true })).unwrap()["problems"].clone();
    let kinds: Vec<&str> = problems.as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"orphan-overlay") && kinds.contains(&"orphan-container-storage"), "{problems}");
    assert!(!merged.exists());
    assert_eq!(c.call("io.berth.Storage.ListExternal", json!({})).unwrap()["containers"], json!([]));
}
