//! Pulls from a real registry on loopback (Debian's docker-registry with
//! token authentication) into which each test pushes the test image.

mod common;

use berth::client::{Client, ClientError};
use common::registry::{cutting_proxy, slow_proxy, TestRegistry, PASSWORD, USER};
use common::{image, Daemon};
use serde_json::{json, Value};

fn creds() -> String {
    format!("{USER}:{PASSWORD}")
}

/// Pull with `more`: every reply, or the error.
fn pull(c: &mut Client, reference: &str, credentials: Option<&str>) -> Result<Vec<Value>, ClientError> {
    let mut replies = Vec::new();
    let params = json!({ "reference": reference, "credentials": credentials, "tlsVerify": false });
    c.stream("io.berth.Image.Pull", params, |r| {
        replies.push(r);
        true
    })?;
    Ok(replies)
}

fn error_name(r: Result<Vec<Value>, ClientError>) -> (String, Value) {
    match r {
        Err(ClientError::Remote { error, parameters }) => (error, parameters),
        other => panic!("expected an error, got {other:?}"),
    }
}

fn statuses(replies: &[Value]) -> Vec<&str> {
    replies.iter().map(|r| r["status"].as_str().unwrap()).collect()
}

/// Entries of a store directory (layers, scratch), none when it is missing.
fn entries(d: &Daemon, dir: &str) -> Vec<String> {
    std::fs::read_dir(d.root().join(dir))
        .map(|r| r.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

fn images(c: &mut Client) -> usize {
    c.call("io.berth.Image.List", json!({})).unwrap()["images"].as_array().unwrap().len()
}

#[test]
fn pull_with_token_auth_streams_progress_and_the_image_runs() {
    let d = Daemon::start();
    let img = image::build(d.dir.path());
    let reg = TestRegistry::start(&d.dir.path().join("registry"));
    reg.push(&img.layout, "berth/testimage", "1");
    let reference = format!("{}/berth/testimage:1", reg.host);
    let mut c = d.client();

    // The token service grants nothing without credentials, or with wrong ones.
    let (error, params) = error_name(pull(&mut c, &reference, None));
    assert_eq!(error, "io.berth.Image.PermissionDenied", "{params}");
    let (error, params) = error_name(pull(&mut c, &reference, Some("berth-tester:wrong")));
    assert_eq!(error, "io.berth.Image.PermissionDenied", "{params}");
    assert!(params["reason"].as_str().unwrap().contains("token service"), "{params}");
    assert_eq!(images(&mut c), 0);

    let replies = pull(&mut c, &reference, Some(&creds())).unwrap();
    let seen = statuses(&replies);
    assert_eq!(seen.first(), Some(&"resolving"), "{seen:?}");
    assert!(seen.contains(&"downloading") && seen.contains(&"unpacking"), "{seen:?}");
    let last = replies.last().unwrap();
    assert_eq!(last["status"], "pulled");
    assert_eq!(last["id"].as_str().unwrap(), &img.config_digest[7..]);
    assert_eq!(last["names"], json!([reference]));
    // Every blob's download reached its full size.
    let done: Vec<&Value> =
        replies.iter().filter(|r| r["status"] == "downloading" && r["current"] == r["total"]).collect();
    assert_eq!(done.len(), 2, "{replies:?}");
    assert!(entries(&d, "storage/tmp").is_empty(), "scratch left: {:?}", entries(&d, "storage/tmp"));

    // A container runs from it, with the image's configuration and whiteouts.
    let id = c
        .call(
            "io.berth.Container.Create",
            json!({ "options": { "image": reference,
        "command": ["/bin/sh", "-c", "echo $IMAGE_VAR; cat /data/new; test -e /etc/removed || echo removed"] } }),
        )
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    c.call("io.berth.Container.Start", json!({ "nameOrId": id })).unwrap();
    assert_eq!(c.call("io.berth.Container.Wait", json!({ "nameOrId": id })).unwrap()["exitCode"], 0);
    let logs = c.call("io.berth.Container.Logs", json!({ "nameOrId": id })).unwrap();
    let text: Vec<&str> = logs["lines"].as_array().unwrap().iter().map(|l| l["text"].as_str().unwrap()).collect();
    assert_eq!(text, ["set-by-image", "from the upper layer", "removed"]);

    // Pulled again: both layers are known, nothing is downloaded.
    let again = pull(&mut c, &reference, Some(&creds())).unwrap();
    assert_eq!(statuses(&again), ["resolving", "exists", "exists", "pulled"]);
    assert_eq!(images(&mut c), 1);

    // Without more: one reply.
    let r =
        c.call("io.berth.Image.Pull", json!({ "reference": reference, "credentials": creds(), "tlsVerify": false }));
    assert_eq!(r.unwrap()["status"], "pulled");

    // A tag the registry does not have; a registry that is not there; TLS
    // verification (the default) against a registry without TLS.
    let missing = format!("{}/berth/testimage:2", reg.host);
    let (error, params) = error_name(pull(&mut c, &missing, Some(&creds())));
    assert_eq!((error.as_str(), params["reference"].as_str()), ("io.berth.Image.NoSuchImage", Some(missing.as_str())));
    let (error, params) = error_name(pull(&mut c, "127.0.0.1:1/berth/testimage:1", None));
    assert_eq!(error, "io.berth.Image.Storage", "{params}");
    assert!(params["reason"].as_str().unwrap().contains("cannot be reached"), "{params}");
    let r = c.call("io.berth.Image.Pull", json!({ "reference": reference, "credentials": creds() }));
    assert!(matches!(r, Err(ClientError::Remote { ref error, .. }) if error == "io.berth.Image.Storage"), "{r:?}");
    let (error, params) = error_name(pull(&mut c, "Not/A/Reference", None));
    assert_eq!(error, "io.berth.Image.InvalidName", "{params}");

    // berthctl: progress on stderr, the ID on stdout.
    let out = d.ctl(&["image", "pull", "--tls-verify=false", "--creds", &creds(), &reference]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), &img.config_digest[7..]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipped: already exists"));
}

#[test]
fn corrupt_or_interrupted_pulls_leave_nothing_half_stored() {
    let d = Daemon::start();
    let img = image::build(d.dir.path());
    let reg = TestRegistry::start(&d.dir.path().join("registry"));
    reg.push(&img.layout, "berth/testimage", "1");
    let mut c = d.client();

    // Cut off mid-transfer: the first layer (about 1 MB) never arrives whole.
    let proxy = cutting_proxy(reg.host.clone(), 200 << 10);
    let (error, params) = error_name(pull(&mut c, &format!("{proxy}/berth/testimage:1"), Some(&creds())));
    assert_eq!(error, "io.berth.Image.Storage", "{params}");
    assert!(params["reason"].as_str().unwrap().starts_with("blob sha256:"), "{params}");
    assert_eq!(images(&mut c), 0);
    assert!(entries(&d, "storage/layers").is_empty(), "{:?}", entries(&d, "storage/layers"));
    assert!(entries(&d, "storage/tmp").is_empty(), "{:?}", entries(&d, "storage/tmp"));

    // The registry serves a tampered second layer: it is refused by its
    // digest before anything is unpacked, and no image is recorded.
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(img.layout.join("blobs/sha256").join({
            let index: Value = serde_json::from_slice(&std::fs::read(img.layout.join("index.json")).unwrap()).unwrap();
            index["manifests"][0]["digest"].as_str().unwrap()[7..].to_string()
        }))
        .unwrap(),
    )
    .unwrap();
    let upper = manifest["layers"][1]["digest"].as_str().unwrap().to_string();
    let stored = reg.blob_path(&upper);
    let original = std::fs::read(&stored).unwrap();
    let mut tampered = original.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 0xff;
    std::fs::write(&stored, &tampered).unwrap();
    let reference = format!("{}/berth/testimage:1", reg.host);
    let (error, params) = error_name(pull(&mut c, &reference, Some(&creds())));
    assert_eq!(error, "io.berth.Image.Storage", "{params}");
    assert!(params["reason"].as_str().unwrap().contains(&upper), "the error names the blob: {params}");
    assert_eq!(images(&mut c), 0);
    assert!(entries(&d, "storage/layers").is_empty(), "{:?}", entries(&d, "storage/layers"));
    assert!(entries(&d, "storage/tmp").is_empty());

    // A layer no image claims (a crash between unpacking and recording) is
    // found by Check and removed by its repair, which start-up runs.
    let stray = d.root().join("storage/layers").join("ab".repeat(32));
    std::fs::create_dir_all(stray.join("diff")).unwrap();
    let problems = c.call("io.berth.System.Check", json!({ "repair": false })).unwrap();
    assert!(problems.to_string().contains("orphan-layer"), "{problems}");
    c.call("io.berth.System.Check", json!({ "repair": true })).unwrap();
    assert!(!stray.exists());

    // Repaired at the registry: the pull succeeds and nothing is left over.
    std::fs::write(&stored, &original).unwrap();
    let replies = pull(&mut c, &reference, Some(&creds())).unwrap();
    assert_eq!(replies.last().unwrap()["status"], "pulled");
    assert_eq!(entries(&d, "storage/layers").len(), 2);
    let problems = c.call("io.berth.System.Check", json!({ "repair": false })).unwrap();
    assert!(!problems.to_string().contains("orphan-layer"), "{problems}");
}

/// A pull whose client went away is work in flight: an idle berthd waits for
/// it to finish before it exits, and the image is there afterwards.
#[test]
fn idle_exit_waits_for_a_pull_whose_client_left() {
    let mut d = Daemon::start_with(&["--idle-timeout", "1"]);
    // Connected from the start: berthd stays while the test sets up.
    let mut c = d.client();
    let img = image::build(d.dir.path());
    let reg = TestRegistry::start(&d.dir.path().join("registry"));
    reg.push(&img.layout, "berth/testimage", "1");
    // About 1 MB in 16 KiB steps 40 ms apart: well over 2 s.
    let proxy = slow_proxy(reg.host.clone(), std::time::Duration::from_millis(40));
    let reference = format!("{proxy}/berth/testimage:1");
    let params = json!({ "reference": reference, "credentials": creds(), "tlsVerify": false });
    // Hang up after the first progress reply.
    c.stream("io.berth.Image.Pull", params, |_| false).unwrap();
    drop(c);
    std::thread::sleep(std::time::Duration::from_millis(2000));
    assert!(d.child.try_wait().unwrap().is_none(), "berthd went idle in the middle of a pull");
    let exited = (0..200).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        d.child.try_wait().unwrap().is_some()
    });
    assert!(exited, "berthd did not go idle after the pull");
    d.restart(&["--idle-timeout", "0"]);
    let images = d.client().call("io.berth.Image.List", json!({})).unwrap();
    assert_eq!(images["images"][0]["names"], json!([reference]), "{images}");
}

/// C-run030-21..33, A-create-4, 6, 8, 38, 39: run's and create's --pull
/// (missing by default, always, never) and --rmi, with podman's words.
#[test]
fn run_and_create_pull_as_their_policy_says() {
    let d = Daemon::start();
    let img = image::build(d.dir.path());
    let reg = TestRegistry::start(&d.dir.path().join("registry"));
    reg.push(&img.layout, "berth/testimage", "1");
    let remote = format!("{}/berth/testimage:1", reg.host);
    let creds = creds();
    let ctl = |args: &[&str]| {
        let out = d.ctl(args);
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let with_registry = |args: &[&str]| -> Vec<String> {
        let mut full: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let at = full.iter().position(|a| a == "--").unwrap();
        full.splice(at..at, ["--creds".to_string(), creds.clone(), "--tls-verify=false".to_string()]);
        full
    };
    let run_with = |args: &[&str]| {
        let full = with_registry(args);
        ctl(&full.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let (code, _, err) = run_with(&["run", "--rm", "--pull=never", "--", &remote, "/bin/true"]);
    assert_eq!(code, 125);
    assert_eq!(err.trim(), format!("Error: {remote}: image not known"));
    let (code, out, err) = run_with(&["run", "--rm", "--pull=missing", "--", &remote, "/bin/true"]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert!(err.contains("Trying to pull"), "{err}");
    let (code, _, err) = run_with(&["run", "--rm", "--pull=missing", "--", &remote, "/bin/true"]);
    assert_eq!((code, err.as_str()), (0, ""), "no pull when it is there");
    let (code, _, err) = run_with(&["run", "--rm", "--pull=never", "--", &remote, "/bin/true"]);
    assert_eq!((code, err.as_str()), (0, ""));
    let (code, _, err) = run_with(&["run", "--rm", "--pull=always", "--", &remote, "/bin/true"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Trying to pull"), "{err}");
    let (code, _, err) = ctl(&["run", "--rm", "--pull=never", "myimage-not-here", "/bin/true"]);
    assert_eq!(code, 125);
    assert_eq!(err.trim(), "Error: myimage-not-here: image not known");
    assert_eq!(ctl(&["image", "rm", &remote]).0, 0);

    // create pulls too (missing); always pulls again.
    let (code, _, err) = run_with(&["create", "--name", "foo", "--", &remote, "/bin/ls"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Trying to pull"), "{err}");
    assert_eq!(ctl(&["ps", "-aq"]).1.lines().count(), 1);
    let (code, _, err) = run_with(&["create", "--pull=always", "-q", "--name", "bar", "--", &remote, "/bin/ls"]);
    assert_eq!((code, err.as_str()), (0, ""), "-q keeps a pull quiet");
    assert_eq!(ctl(&["ps", "-aq"]).1.lines().count(), 2);
    assert_eq!(ctl(&["rm", "foo", "bar"]).0, 0);
    assert_eq!(ctl(&["image", "rm", &remote]).0, 0);

    // --rmi: the image goes with the container, unless another uses it.
    assert_eq!(ctl(&["image", "exists", &remote]).0, 1);
    let (code, _, err) = run_with(&["run", "--name", "keepme", "--", &remote, "/bin/true"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(run_with(&["run", "--rmi", "--rm", "--", &remote, "/bin/true"]).0, 0);
    assert_eq!(ctl(&["image", "exists", &remote]).0, 0, "keepme uses it");
    assert_eq!(ctl(&["rm", "keepme"]).0, 0);
    assert_eq!(run_with(&["run", "--rmi", "--rm", "--", &remote, "/bin/true"]).0, 0);
    assert_eq!(ctl(&["image", "exists", &remote]).0, 1);
}

/// A-create-40..51 and 99..101 (podman's create with --arch and --platform
/// against a multi-platform image), C-run030-80/81 (ImageDigest): an index
/// of an amd64 and an arm64 instance, pulled by tag, by the index's digest
/// and by an instance's digest.
#[test]
fn create_picks_the_platform_of_a_multi_platform_image() {
    let d = Daemon::start();
    let amd64 = image::build(&d.dir.path().join("amd64"));
    let arm64 = image::build_for(&d.dir.path().join("arm64"), json!({ "Cmd": ["/bin/true"] }), "arm64");
    let reg = TestRegistry::start(&d.dir.path().join("registry"));
    reg.push(&amd64.layout, "berth/alpine", "amd64");
    reg.push(&arm64.layout, "berth/alpine", "arm64");
    let list = reg.push_index("berth/alpine", "3.10.2", &[(&amd64, "amd64"), (&arm64, "arm64")]);
    let arm64_id = &arm64.config_digest[7..];
    let creds = creds();
    let ctl = |args: &[&str]| {
        let mut full = vec!["--creds", &creds, "--tls-verify=false"];
        full.splice(0..0, args.iter().take_while(|a| **a != "--").copied());
        full.extend(args.iter().skip_while(|a| **a != "--"));
        let out = d.ctl(&full);
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let show = |what: &str, field: &str| {
        let out = d.ctl(&["inspect", "--format", field, what]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };

    // By tag: the arm64 instance, named as given, with the index's digest.
    let tag = format!("{}/berth/alpine:3.10.2", reg.host);
    let (code, _, err) = ctl(&["create", "--pull=always", "--arch=arm64", "--name=foo", "--", &tag, "/bin/true"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(show("foo", "{{.Image}}"), arm64_id);
    assert_eq!(show("foo", "{{.ImageName}}"), tag);
    assert_eq!(show("foo", "{{.ImageDigest}}"), list);
    let image = d.ctl(&["image", "inspect", "--format", "{{.ID}} {{.Digest}} {{.Config.Architecture}}", &tag]);
    assert_eq!(String::from_utf8_lossy(&image.stdout).trim(), format!("{arm64_id} {list} arm64"));
    assert_eq!(d.ctl(&["rm", "foo"]).status.code(), Some(0));

    // By the index's digest, and by the arm64 instance's own digest.
    for digest in [&list, &arm64.manifest.0] {
        let by_digest = format!("{}/berth/alpine@{digest}", reg.host);
        let (code, _, err) =
            ctl(&["create", "--pull=always", "--arch=arm64", "--name=foo", "--", &by_digest, "/bin/true"]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(show("foo", "{{.Image}}"), arm64_id);
        assert_eq!(show("foo", "{{.ImageName}}"), by_digest);
        assert_eq!(show("foo", "{{.ImageDigest}}"), *digest);
        assert_eq!(d.ctl(&["rm", "foo"]).status.code(), Some(0));
    }

    // A platform the index lacks, and --platform with --os.
    let (code, _, err) = ctl(&["create", "--platform=linux/bogus", "--", &tag, "/bin/true"]);
    assert_eq!(code, 125);
    assert!(err.contains("no image found in manifest list for architecture bogus"), "{err}");
    let (code, _, err) = ctl(&["create", "--platform=linux/arm64", "--os", "windows", "--", &tag, "/bin/true"]);
    assert_eq!(code, 125);
    assert_eq!(err.trim(), "Error: --platform option can not be specified with --arch or --os");

    // missing pulls again when the stored image is of another platform;
    // without one asked for, this machine's (amd64) is taken.
    let (code, _, err) = ctl(&["create", "-q", "--platform=linux/arm64", "--name=bar", "--", &tag, "/bin/true"]);
    assert_eq!((code, err.as_str()), (0, ""), "arm64 is stored: no pull");
    let (code, _, err) = ctl(&["create", "--arch=amd64", "--name=baz", "--", &tag, "/bin/true"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Trying to pull"), "{err}");
    assert_eq!(show("baz", "{{.Image}}"), amd64.config_digest[7..]);
    let mut c = d.client();
    let pulled =
        c.call("io.berth.Image.Pull", json!({ "reference": tag, "credentials": creds, "tlsVerify": false })).unwrap();
    assert_eq!(pulled["id"], amd64.config_digest[7..]);
    let bogus = c.call(
        "io.berth.Image.Pull",
        json!({ "reference": tag, "credentials": creds, "tlsVerify": false, "platform": "linux" }),
    );
    let (name, params) = error_name(bogus.map(|v| vec![v]));
    assert_eq!(name, "io.berth.Image.InvalidArgument", "{params}");
    assert_eq!(params["field"], "platform");
}

/// A desktop program's pull: BeginPullImage answers at once with a job
/// object whose Status, Progress and byte counts follow the pull (each
/// change signalled), and JobRemoved says how it ended, with the image's
/// ID or the error; the object is gone after. On a bus of the test's own.
#[test]
fn a_pull_over_d_bus_is_a_job_with_progress_signals() {
    let bus = common::PrivateBus::start();
    let address = bus.address.clone();
    let d = Daemon::start_env(&["--dbus", &address], &[]);
    let img = image::build(d.dir.path());
    let reg = TestRegistry::start(&d.dir.path().join("registry"));
    reg.push(&img.layout, "berth/testimage", "1");
    let reference = format!("{}/berth/testimage:1", reg.host);
    let busctl = |args: &str| bus.busctl(args);
    bus.wait_for_berth();
    // A job begun while busctl monitors the bus: its path, and what was seen
    // until its JobRemoved.
    let observe = |reference: &str, options: &str| {
        let monitor_file = bus.dir.path().join("monitor");
        let mut monitor = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("exec busctl --address={address} monitor > {}", monitor_file.display()))
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        let manager = "io.berth.Berth1 /io/berth/Berth1 io.berth.Berth1.Manager";
        let begun = busctl(&format!("call {manager} BeginPullImage 'sa{{sv}}' {reference} {options}"));
        let path = begun.split('"').nth(1).unwrap().to_string();
        assert!(begun.starts_with("uo ") && path.starts_with("/io/berth/Berth1/job/"), "{begun}");
        let mut seen = String::new();
        for _ in 0..500 {
            seen = std::fs::read_to_string(&monitor_file).unwrap_or_default();
            if seen.contains("Member=JobRemoved") {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = monitor.kill();
        let _ = monitor.wait();
        let messages: Vec<String> = seen.split("‣ Type=").map(str::to_string).collect();
        (path, messages)
    };
    let (path, messages) = observe(&reference, &format!("2 credentials s {} tlsVerify b false", creds()));
    let changes: Vec<&String> = messages
        .iter()
        .filter(|m| m.contains(&format!("Path={path}")) && m.contains("Member=PropertiesChanged"))
        .collect();
    assert!(changes.iter().any(|m| m.contains("STRING \"downloading\"")), "{changes:?}");
    assert!(changes.iter().any(|m| m.contains("STRING \"Progress\"") && m.contains("DOUBLE 1")), "{changes:?}");
    let new = messages.iter().find(|m| m.contains("Member=JobNew")).expect("no JobNew");
    assert!(new.contains(&format!("OBJECT_PATH \"{path}\"")), "{new}");
    let removed = messages.iter().find(|m| m.contains("Member=JobRemoved")).expect("no JobRemoved");
    let id = &img.config_digest[7..];
    assert!(removed.contains("STRING \"done\"") && removed.contains(&format!("STRING \"{id}\"")), "{removed}");
    assert!(!busctl("tree io.berth.Berth1").contains(&path), "the job's object goes with it");
    let mut c = d.client();
    assert_eq!(images(&mut c), 1);

    // A pull that fails (no credentials) ends the same way, its error said.
    let (failed_path, messages) = observe(&reference, "1 tlsVerify b false");
    assert_ne!(failed_path, path, "each job has a number of its own");
    let removed = messages.iter().find(|m| m.contains("Member=JobRemoved")).expect("no JobRemoved");
    assert!(removed.contains("STRING \"failed\"") && removed.contains("401 Unauthorized"), "{removed}");

    // A job's interface, introspected while one runs (the image pulled
    // again, removed first, through a slow registry), is the file's.
    let manager = "io.berth.Berth1 /io/berth/Berth1 io.berth.Berth1.Manager";
    busctl(&format!("call {manager} RemoveImage sb {reference} false"));
    let slow = slow_proxy(reg.host.clone(), std::time::Duration::from_millis(40));
    let options = format!("2 credentials s {} tlsVerify b false", creds());
    let begun = busctl(&format!("call {manager} BeginPullImage 'sa{{sv}}' {slow}/berth/testimage:1 {options}"));
    let job = begun.split('"').nth(1).unwrap().to_string();
    let live = busctl(&format!("introspect --xml-interface io.berth.Berth1 {job}"));
    let file = common::interface_file();
    let interface = "io.berth.Berth1.Job";
    assert_eq!(common::interface_element(&file, interface), common::interface_element(&live, interface));
    for _ in 0..1500 {
        // The walk fails when the job goes in the middle of it: try again.
        if bus.try_busctl("tree io.berth.Berth1").is_ok_and(|tree| !tree.contains(&job)) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(images(&mut c), 1, "the slow pull stored it again");
}
