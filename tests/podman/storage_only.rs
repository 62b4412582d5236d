//! Storage-only containers (podman's `ps --external`, rm, mount and
//! exists of what `buildah from` makes): made here through
//! io.berth.Storage.Create, where podman's tests run buildah.

use super::*;
use serde_json::json;

const IMAGE: &str = "quay.io/libpod/alpine:latest";

/// A storage-only container from the test image; its ID.
fn storage_container(d: &Daemon, name: &str) -> String {
    let mut c = d.client();
    let r = c.call("io.berth.Storage.Create", json!({ "image": IMAGE, "name": name })).unwrap();
    assert_eq!(r["name"], name);
    r["id"].as_str().unwrap().to_string()
}

/// B-ps-bats-13, 15..17, 20, 21: `ps --external` shows them (STATUS
/// Storage), `ps -a` does not, `rm -a` leaves them, `rm` of a mounted one
/// needs --force. The command column says "storage" where podman's says
/// "buildah", the tool that made it.
#[test]
fn ps_external() {
    let d = with_image();
    assert_eq!(ok(&d, &["ps", "--external"]).lines().count(), 1);
    let cid = storage_container(&d, "alpine-working-container");
    assert_eq!(ok(&d, &["ps", "-a"]).lines().count(), 1, "not without --external");
    let listed = ok(&d, &["ps", "--external"]);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    let row = lines[1];
    assert!(row.starts_with(&cid[..12]), "{row}");
    for part in [IMAGE, "storage", "ago", "Storage", "alpine-working-container"] {
        assert!(row.contains(part), "{part}: {row}");
    }
    ok(&d, &["rm", "-a"]);
    assert_eq!(ok(&d, &["ps", "--external"]).lines().count(), 2, "rm -a leaves storage-only containers");
    // B-ps-bats-18: the image a storage-only container holds is not pruned.
    assert_eq!(ok(&d, &["image", "prune", "-f", "-a"]), "");
    ok(&d, &["mount", &cid]);
    let (code, _, err) = run(&d, &["rm", &cid[..12]]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is mounted and cannot be removed without using force: container state improper"), "{err}");
    ok(&d, &["rm", "-t", "0", "-f", &cid]);
    assert_eq!(ok(&d, &["ps", "--external"]).lines().count(), 1);
}

/// A-rmbats-9..12 and the name a storage-only container holds: exists
/// only with --external, removed by rm alongside a container; create may
/// not take its name; Storage.Remove refuses berth's own containers.
#[test]
fn rm_and_names_of_storage_only_containers() {
    let d = with_image();
    let rand = "rand-ctr";
    ok(&d, &["create", "--name", rand, IMAGE, "/bin/true"]);
    let external = storage_container(&d, "ext-working");
    assert_eq!(run(&d, &["container", "exists", &external]).0, 1);
    assert_eq!(run(&d, &["container", "exists", "--external", &external]).0, 0);
    assert_eq!(run(&d, &["container", "exists", "--external", "ext-working"]).0, 0);
    let (code, _, err) = run(&d, &["create", "--name", "ext-working", IMAGE]);
    assert_eq!(code, 125);
    assert!(err.contains("already in use"), "{err}");
    let mut c = d.client();
    let refused = c.call("io.berth.Storage.Create", json!({ "image": IMAGE, "name": rand }));
    assert!(format!("{refused:?}").contains("NameInUse"), "{refused:?}");
    let own = c.call("io.berth.Storage.Remove", json!({ "nameOrId": rand }));
    assert!(format!("{own:?}").contains("InvalidArgument"), "{own:?}");
    // The image is in use while the storage-only container holds it.
    let (code, _, _) = run(&d, &["image", "rm", IMAGE]);
    assert_ne!(code, 0);
    assert_eq!(ok(&d, &["rm", rand, &external]), format!("{rand}\n{external}\n"));
    assert_eq!(run(&d, &["container", "exists", "--external", &external]).0, 1);
    assert_eq!(count(&d), 0);
}

/// C-mountbats-28..31: mount a storage-only container, find the image's
/// files there, list it, unmount it.
#[test]
fn mount_a_storage_only_container() {
    let d = with_image();
    let external = storage_container(&d, "mount-working");
    let path = ok(&d, &["mount", &external]).trim().to_string();
    let root = std::path::Path::new(&path);
    assert!(root.is_dir());
    assert_eq!(std::fs::read_to_string(root.join("data/new")).unwrap(), "from the upper layer\n");
    let (_, ext_path) = {
        let mut c = d.client();
        let r = c.call("io.berth.Storage.IsMounted", json!({ "nameOrId": "mount-working" })).unwrap();
        (r["mounted"].as_bool().unwrap(), r["path"].as_str().unwrap().to_string())
    };
    assert_eq!(ext_path, path);
    let listed = ok(&d, &["mount", "--notruncate"]);
    let row = listed.lines().find(|l| l.starts_with(&external)).unwrap_or_default();
    assert_eq!(row.split_whitespace().nth(1), Some(path.as_str()), "{listed}");
    ok(&d, &["umount", &external]);
    assert!(!root.join("data/new").exists(), "umount did not unmount");
    ok(&d, &["rm", &external]);
    // Nothing of it is left for a check to find.
    let mut c = d.client();
    assert_eq!(c.call("io.berth.System.Check", json!({})).unwrap()["problems"], json!([]));
    assert_eq!(c.call("io.berth.Storage.ListExternal", json!({})).unwrap()["containers"], json!([]));
}
