//! Podman's own tests, ported: each test here carries the assertions of one
//! `It`/`@test` of containers/podman v4.3.1 (ids as in tests/PODMAN.md),
//! run through berthctl with podman's flags against a real berthd. Where
//! podman's test uses an image, berth's test rootfs (busybox) stands in.

mod common;

use common::Daemon;

#[path = "podman/host_mounts.rs"]
mod host_mounts;
#[path = "podman/networks.rs"]
mod networks;
#[path = "podman/pod_namespaces.rs"]
mod pod_namespaces;
#[path = "podman/run_options.rs"]
mod run_options;
#[path = "podman/storage_only.rs"]
mod storage_only;

/// Exit code, stdout and stderr of a berthctl command.
fn run(d: &Daemon, args: &[&str]) -> (i32, String, String) {
    let out = d.ctl(args);
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.code().unwrap_or(-1), text(out.stdout), text(out.stderr))
}

/// stdout of a command that must succeed.
fn ok(d: &Daemon, args: &[&str]) -> String {
    let (code, out, err) = run(d, args);
    assert_eq!(code, 0, "berthctl {args:?}: {err}");
    out
}

/// A container made from the test rootfs; its ID.
fn create(d: &Daemon, extra: &[&str], command: &[&str]) -> String {
    let rootfs = d.rootfs();
    let mut args = vec!["create", "--rootfs", rootfs.as_str()];
    args.extend(extra);
    args.push("--");
    args.extend(command);
    ok(d, &args).trim().to_string()
}

/// `podman run -d ... top`: a running container that stays.
fn run_top(d: &Daemon, name: Option<&str>) -> String {
    let id = create(d, &name.map_or(vec![], |n| vec!["--name", n]), &["/bin/sleep", "600"]);
    ok(d, &["start", &id]);
    id
}

/// Lines of `ps -aq`: podman's NumberOfContainers.
fn count(d: &Daemon) -> usize {
    ok(d, &["ps", "-aq"]).lines().count()
}

// test/e2e/rename_test.go

/// A-rename-1..5: renaming what does not exist fails; a bad new name fails
/// and keeps the old one.
#[test]
fn rename_failures() {
    let d = Daemon::start();
    assert_ne!(run(&d, &["rename", "doesNotExist", "aNewName"]).0, 0);
    create(&d, &["--name", "testCtr"], &["/bin/true"]);
    assert_ne!(run(&d, &["rename", "testCtr", "invalid<>:char"]).0, 0);
    let names = ok(&d, &["ps", "-aq", "--filter", "name=testCtr", "--format", "{{ .Names }}"]);
    assert!(names.contains("testCtr"), "{names}");
}

/// A-rename-6..17: a created and a running container are renamed, ps
/// finds the new name, and the rename is an event.
#[test]
fn rename_created_and_running() {
    let d = Daemon::start();
    create(&d, &["--name", "testCtr"], &["/bin/true"]);
    ok(&d, &["rename", "testCtr", "aNewName"]);
    let names = ok(&d, &["ps", "-aq", "--filter", "name=aNewName", "--format", "{{ .Names }}"]);
    assert!(names.contains("aNewName"), "{names}");
    // A-rename-12, 13: events --stream=false --filter container=aNewName.
    let mut events = std::process::Command::new(env!("CARGO_BIN_EXE_berthctl"))
        .env("BERTH_ADDRESS", &d.address)
        .args(["events", "--since", "1h", "--filter", "container=aNewName"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    events.kill().unwrap();
    let seen = String::from_utf8(events.wait_with_output().unwrap().stdout).unwrap();
    assert!(seen.contains(" rename "), "{seen}");
    run_top(&d, Some("running"));
    ok(&d, &["rename", "running", "aNewRunning"]);
    let names = ok(&d, &["ps", "-aq", "--filter", "name=aNewRunning", "--format", "{{ .Names }}"]);
    assert!(names.contains("aNewRunning"), "{names}");
    ok(&d, &["rm", "-f", "-t", "0", "aNewRunning"]);
}

/// A-rename-18..22: a running container with an exec session is renamed,
/// and the session goes on with it.
#[test]
fn rename_with_an_exec_session() {
    let d = Daemon::start();
    run_top(&d, Some("testCtr"));
    let session = ok(&d, &["exec", "-d", "testCtr", "/bin/sleep", "600"]).trim().to_string();
    ok(&d, &["rename", "testCtr", "aNewName"]);
    let names = ok(&d, &["ps", "-aq", "--filter", "name=aNewName", "--format", "{{ .Names }}"]);
    assert!(names.contains("aNewName"), "{names}");
    let mut c = d.client();
    let s = c.call("io.berth.Container.ExecInspect", serde_json::json!({ "execId": session })).unwrap();
    assert_eq!(s["session"]["state"], "running");
    ok(&d, &["rm", "-f", "-t", "0", "aNewName"]);
}

/// A-rename-23..27: a pod's infra container can be renamed, and both names
/// are free once the pod is gone.
#[test]
fn rename_an_infra_container() {
    let d = Daemon::start();
    ok(&d, &["pod", "create", "--name", "testPod", "--infra-name", "infra1"]);
    ok(&d, &["rename", "infra1", "infra2"]);
    ok(&d, &["pod", "rm", "-f", "testPod"]);
    create(&d, &["--name", "infra2"], &["/bin/true"]);
    create(&d, &["--name", "infra1"], &["/bin/true"]);
}

/// A name given as /name (as Docker writes names) is stored as name, on
/// create and on rename.
#[test]
fn a_leading_slash_is_dropped() {
    let d = Daemon::start();
    create(&d, &["--name", "/slashed"], &["/bin/true"]);
    assert_eq!(ok(&d, &["ps", "-a", "--format", "{{.Names}}"]), "slashed\n");
    ok(&d, &["rename", "slashed", "/renamed"]);
    assert_eq!(ok(&d, &["ps", "-a", "--format", "{{.Names}}"]), "renamed\n");
}

// test/e2e/rm_test.go

/// A-rm-1..11: stopped and created containers go; a running one is refused
/// with exit 2 unless forced.
#[test]
fn rm_by_state() {
    let d = Daemon::start();
    let exited = create(&d, &[], &["/bin/true"]);
    ok(&d, &["start", &exited]);
    ok(&d, &["wait", &exited]);
    ok(&d, &["rm", &exited]);
    let running = run_top(&d, None);
    let (code, _, err) = run(&d, &["rm", &running]);
    assert_eq!(code, 2);
    assert!(err.contains("containers cannot be removed without force"), "{err}");
    ok(&d, &["rm", &create(&d, &[], &["/bin/ls"])]);
    ok(&d, &["container", "rm", &create(&d, &[], &["/bin/ls"])]);
    ok(&d, &["rm", "-t", "0", "-f", &running]);
    assert_eq!(count(&d), 0);
}

/// A-rm-12..20: --all, -af with one running, --latest.
#[test]
fn rm_all_and_latest() {
    let d = Daemon::start();
    for _ in 0..3 {
        create(&d, &[], &["/bin/ls"]);
    }
    ok(&d, &["rm", "-a"]);
    assert_eq!(count(&d), 0);
    create(&d, &[], &["/bin/ls"]);
    create(&d, &[], &["/bin/ls"]);
    run_top(&d, None);
    ok(&d, &["rm", "-af"]);
    assert_eq!(count(&d), 0);
    create(&d, &[], &["/bin/ls"]);
    let latest = create(&d, &["--name", "test1"], &["/bin/ls"]);
    ok(&d, &["start", "test1"]);
    ok(&d, &["wait", "test1"]);
    assert!(ok(&d, &["rm", "-l"]).contains(&latest));
    assert_eq!(count(&d), 1);
}

/// A-rm-21..34: --cidfile, one or several; the flags that cannot go together.
#[test]
fn rm_cidfile() {
    let d = Daemon::start();
    let dir = d.dir.path();
    let (f1, f2) = (dir.join("cid1"), dir.join("cid2"));
    let id1 = create(&d, &["--cidfile", f1.to_str().unwrap()], &["/bin/ls"]);
    assert_eq!(std::fs::read_to_string(&f1).unwrap(), id1);
    assert_eq!(count(&d), 1);
    let id2 = create(&d, &["--cidfile", f2.to_str().unwrap()], &["/bin/ls"]);
    assert_eq!(count(&d), 2);
    let out = ok(&d, &["rm", "--cidfile", f1.to_str().unwrap(), "--cidfile", f2.to_str().unwrap()]);
    assert!(out.contains(&id1) && out.contains(&id2), "{out}");
    assert_eq!(count(&d), 0);
    for (args, message) in [
        (&["rm", "--cidfile", "foobar", "--latest"][..], "--all, --latest, and --cidfile cannot be used together"),
        (&["rm", "--cidfile", "foobar", "--all"], "--all, --latest, and --cidfile cannot be used together"),
        (&["rm", "--cidfile", "foobar", "--all", "--latest"], "--all, --latest, and --cidfile cannot be used together"),
        (&["rm", "--latest", "--all"], "--all and --latest cannot be used together"),
    ] {
        let (code, _, err) = run(&d, args);
        assert_eq!(code, 125, "{args:?}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
    // A cidfile that exists is refused, and nothing is created.
    let f3 = dir.join("cid3");
    create(&d, &["--cidfile", f3.to_str().unwrap()], &["/bin/ls"]);
    let (code, _, err) = run(&d, &["create", "--rootfs", &d.rootfs(), "--cidfile", f3.to_str().unwrap(), "/bin/ls"]);
    assert_eq!(code, 125);
    assert!(err.contains("exists"), "{err}");
    assert_eq!(count(&d), 1);
}

/// A-rm-35..57: --all; a bogus name fails the whole command (exit 1,
/// nothing removed) unless --ignore; --force implies --ignore.
#[test]
fn rm_bogus_names_and_ignore() {
    let d = Daemon::start();
    let cid = create(&d, &[], &["/bin/ls"]);
    let (code, _, err) = run(&d, &["rm", "bogus", &cid]);
    assert_eq!(code, 1);
    assert!(err.contains("\"bogus\" found: no such container"), "{err}");
    assert_eq!(count(&d), 1, "nothing was removed");
    assert_eq!(ok(&d, &["rm", "--ignore", "bogus", &cid]).trim(), cid);
    assert_eq!(count(&d), 0);
    let (code, _, err) = run(&d, &["rm", "bogus"]);
    assert_eq!(code, 1);
    assert!(err.contains("\"bogus\" found: no such container"), "{err}");
    run_top(&d, Some("test1"));
    for args in [["rm", "bogus", "test1"], ["rm", "test1", "bogus"]] {
        let (code, _, err) = run(&d, &args);
        assert_eq!(code, 1, "{args:?}");
        assert!(err.contains("\"bogus\" found: no such container"), "{err}");
    }
    let (code, _, err) = run(&d, &["rm", "--ignore", "test1", "bogus"]);
    assert_eq!(code, 2);
    assert!(err.contains("containers cannot be removed without force"), "{err}");
    assert_eq!(ok(&d, &["rm", "-t", "0", "--force", "--ignore", "bogus", "test1"]), "test1\n");
    // 055-rm.bats A-rmbats-23, 24.
    let (code, _, err) = run(&d, &["container", "rm", "bogus"]);
    assert_eq!((code, err.as_str()), (1, "Error: no container with name or ID \"bogus\" found: no such container\n"));
    assert_eq!(run(&d, &["container", "rm", "--force", "bogus"]), (0, String::new(), String::new()));
}

/// A-rm-58..66: --filter takes no names; with -a or alone it selects.
#[test]
fn rm_filter() {
    let d = Daemon::start();
    let cids: Vec<String> = ["test1", "test2", "test3"].iter().map(|n| run_top(&d, Some(n))).collect();
    let (code, _, err) = run(&d, &["rm", &cids[0], "-f", "--filter", "status=running"]);
    assert_eq!(code, 125);
    assert!(err.contains("--filter takes no arguments"), "{err}");
    let wrong = format!("id={}wrongid", &cids[2][..5]);
    assert_eq!(ok(&d, &["rm", "-a", "-f", "--filter", &wrong]), "");
    let prefix = format!("id={}", &cids[2][..5]);
    assert_eq!(ok(&d, &["rm", "-a", "-f", "-t", "0", "--filter", &prefix]).trim(), cids[2]);
    let exact = format!("id={}", cids[1]);
    assert_eq!(ok(&d, &["rm", "-f", "-t", "0", "--filter", &exact]).trim(), cids[1]);
    ok(&d, &["rm", "-f", "-t", "0", "test1"]);
}

// test/system/055-rm.bats

/// A-rmbats-1..8: rm echoes the name given; inspect of it fails after;
/// a running container's refusal says podman's words.
#[test]
fn rm_echoes_and_refuses_in_podmans_words() {
    let d = Daemon::start();
    let name = "rm-bats-random-name";
    let id = create(&d, &["--name", name], &["/bin/true"]);
    ok(&d, &["start", name]);
    ok(&d, &["wait", name]);
    ok(&d, &["inspect", name]);
    let ps = ok(&d, &["ps", "-a"]);
    assert!(ps.lines().any(|l| l.contains("/bin/true") && l.ends_with(name)), "{ps}");
    assert_eq!(ok(&d, &["rm", name]), format!("{name}\n"));
    assert_eq!(run(&d, &["inspect", name]).0, 125);
    let running = run_top(&d, None);
    let (code, _, err) = run(&d, &["rm", &running]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!(
            "Error: cannot remove container {running} as it is running - running or paused containers cannot be \
             removed without force: container state improper\n"
        )
    );
    ok(&d, &["rm", "-t", "0", "-f", &running]);
    assert_ne!(id, running);
}

/// A-rmbats-13..15: rm -af of a running --rm container leaves nothing in
/// the OCI runtime's state.
#[test]
fn rm_all_force_leaves_no_runtime_state() {
    let d = Daemon::start();
    let id = ok(&d, &["run", "--rm", "-d", "--rootfs", &d.rootfs(), "--", "/bin/sleep", "600"]).trim().to_string();
    ok(&d, &["rm", "-af"]);
    assert!(!common::runc_list(&d).contains(&id), "the OCI runtime still knows {id}");
    assert_eq!(count(&d), 0);
}

/// A-rmbats-16..21: a container others depend on is refused with exit 125
/// and podman's words; --depend removes the dependents first. (podman's
/// test makes the dependency with --net=container:, which is issue 18's;
/// berth's --depends-on makes the same dependency.)
#[test]
fn rm_depend() {
    let d = Daemon::start();
    let depended = create(&d, &[], &["/bin/true"]);
    let joins = format!("--net=container:{depended}");
    let dependent = create(&d, &[&joins], &["/bin/true"]);
    let (code, _, err) = run(&d, &["rm", &depended]);
    assert_eq!(code, 125);
    assert!(err.starts_with(&format!("Error: {depended} has dependents which must be removed before it")), "{err}");
    let out = ok(&d, &["rm", "--depend", &depended]);
    assert_eq!(out, format!("{dependent}\n{depended}\n"));
    assert_eq!(count(&d), 0);
}

/// A-rmbats-22: a container removed by force while `run` waits on it ends
/// that run with 137 (SIGKILL's code).
#[test]
fn run_of_a_container_removed_by_force_exits_137() {
    let d = Daemon::start();
    let runner = std::process::Command::new(env!("CARGO_BIN_EXE_berthctl"))
        .env("BERTH_ADDRESS", &d.address)
        .args(["run", "--name", "doomed", "--rootfs", &d.rootfs(), "--", "/bin/sh", "-c", "trap '' TERM; sleep 30"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !ok(&d, &["ps", "--format", "{{.Names}}"]).contains("doomed") {
        assert!(std::time::Instant::now() < deadline, "the container never ran");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    ok(&d, &["rm", "-t", "0", "-f", "doomed"]);
    let status = runner.wait_with_output().unwrap().status;
    assert_eq!(status.code(), Some(137));
}

/// podman create --replace: a container of the same name goes first.
#[test]
fn create_replace() {
    let d = Daemon::start();
    let old = run_top(&d, Some("same"));
    let new = create(&d, &["--name", "same", "--replace"], &["/bin/true"]);
    assert_ne!(old, new);
    assert_eq!(ok(&d, &["ps", "-aq", "--no-trunc"]).trim(), new);
    let (code, _, err) = run(&d, &["create", "--rootfs", &d.rootfs(), "--name", "same", "/bin/true"]);
    assert_eq!(code, 125);
    assert!(err.contains("already in use"), "{err}");
}

// test/e2e/ps_test.go

/// A container run to its end: `podman run ... ls`.
fn run_ls(d: &Daemon, extra: &[&str], command: &[&str]) -> String {
    let id = create(d, extra, command);
    ok(d, &["start", &id]);
    ok(d, &["wait", &id]);
    id
}

/// B-ps-1..11, 16, 18, 19, 43, 46: the listing forms.
#[test]
fn ps_forms() {
    let d = Daemon::start();
    assert_eq!(ok(&d, &["ps"]).lines().count(), 1, "a header only");
    ok(&d, &["container", "ps"]);
    let top = run_top(&d, Some("testCtr"));
    assert!(ok(&d, &["ps"]).lines().count() > 1);
    let done = run_ls(&d, &[], &["/bin/ls"]);
    for args in [&["ps", "-a"][..], &["container", "list", "-a"], &["container", "ls", "-a"]] {
        assert!(ok(&d, args).lines().count() > 2, "{args:?}");
    }
    let quiet = ok(&d, &["ps", "-a", "-q"]);
    assert!(quiet.lines().any(|l| top.starts_with(l)), "{quiet}");
    assert_eq!(ok(&d, &["ps", "-q", "--latest", "-a"]).lines().count(), 1);
    assert_eq!(ok(&d, &["ps", "-aq", "--no-trunc"]).lines().last().unwrap(), done, "the oldest first");
    // json: podman's fields; Created a number; a human Status.
    let json: serde_json::Value = serde_json::from_str(&ok(&d, &["ps", "-a", "--format", "json"])).unwrap();
    assert!(json[0]["Created"].is_i64(), "{json}");
    assert!(json[1]["Status"].as_str().unwrap().contains("ago"), "{json}");
    assert_eq!(json[1]["Id"], done.as_str());
    assert_eq!(json[0]["Names"], serde_json::json!(["testCtr"]));
    let running_for = ok(&d, &["ps", "-a", "--format", "{{.RunningFor}}"]);
    assert!(running_for.contains("ago") && !running_for.contains("RUNNING FOR"), "{running_for}");
    assert_eq!(ok(&d, &["ps", "-q", "--format", "{{ .Names }}"]), "testCtr\n");
    // B-ps-16: no containers is still valid json.
    ok(&d, &["rm", "-af", "-t", "0"]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&ok(&d, &["ps", "--format", "json"])).unwrap(),
        serde_json::json!([])
    );
}

/// B-ps-20: a `table` template has podman's headers, and no "table".
#[test]
fn ps_table_template_headers() {
    let d = Daemon::start();
    run_top(&d, Some("t"));
    let out = ok(&d, &["ps", "-a", "--format", "table {{.ID}} {{.Image}} {{.ImageID}} {{.Labels}}"]);
    let header = out.lines().next().unwrap();
    assert!(!out.contains("table") && header.contains("CONTAINER ID") && !header.contains("ImageID"), "{out}");
    assert!(header.contains("IMAGE ID"), "{header}");
}

/// B-ps-21..23: ancestor is an image name (alone meaning :latest), not a
/// piece of one.
#[test]
fn ps_ancestor_filter() {
    let d = Daemon::start();
    let img = common::image::build(&d.dir.path().join("img"));
    ok(&d, &["image", "import", img.layout.to_str().unwrap(), "quay.io/libpod/alpine:latest"]);
    let cid = ok(&d, &["create", "--image", "quay.io/libpod/alpine:latest"]).trim().to_string();
    let ps = |f: &str| ok(&d, &["ps", "-q", "--no-trunc", "-a", "--filter", &format!("ancestor={f}")]);
    assert_eq!(ps("quay.io/libpod/alpine:latest").trim(), cid);
    assert_eq!(ps("quay.io/libpod/alpine").trim(), cid);
    assert_eq!(ps("quay.io/libpod/alpi"), "");
    // berth: an image ID prefix, and a pattern over the whole name.
    assert_eq!(ps(&img.config_digest[7..19]).trim(), cid);
    assert_eq!(ps("quay.io/libpod/alp.*").trim(), cid);
}

/// B-ps-24..28: id, status and name filters; a status filter needs no -a.
#[test]
fn ps_id_status_and_name_filters() {
    let d = Daemon::start();
    let top = run_top(&d, None);
    ok(&d, &["ps", "-a", "--filter", &format!("id={top}")]);
    assert_eq!(ok(&d, &["ps", "-aq", "--no-trunc", "--filter", "status=running"]).lines().next().unwrap(), top);
    let t1 = create(&d, &["--name", "test1", "--label", "key1=value1"], &["/bin/sleep", "600"]);
    ok(&d, &["start", &t1]);
    create(&d, &["--name", "test2", "--label", "key1=value1"], &["/bin/true"]);
    let out = ok(&d, &["ps", "-aq", "--no-trunc", "--filter", "name=test1", "--filter", "label=key1=value1"]);
    assert_eq!(out.trim(), t1, "different keys are ANDed");
    let exited = run_ls(&d, &[], &["/bin/ls", "/"]);
    assert_eq!(ok(&d, &["ps", "--no-trunc", "--quiet", "--filter", "status=exited"]).trim(), exited);
    assert_eq!(ok(&d, &["ps", "--no-trunc", "--quiet", "--filter", "status=stopped"]).trim(), exited);
    create(&d, &["--name", "aContainerName"], &["/bin/ls", "/"]);
    let out = ok(&d, &["ps", "--no-trunc", "--quiet", "--format", "{{.Names}}", "--filter", "name=aContainerName"]);
    assert!(!out.contains("aContainerName") && !out.contains("NAMES"), "{out}");
    ok(&d, &["rm", "-af", "-t", "0"]);
}

/// B-ps-33..36: --sort=command; --pod shows the pod's ID and name.
#[test]
fn ps_sort_and_pod() {
    let d = Daemon::start();
    run_top(&d, None);
    run_ls(&d, &[], &["/bin/pwd"]);
    let out = ok(&d, &["ps", "-a", "--sort=command", "--format", "{{.Command}}"]);
    let lines: Vec<&str> = out.lines().collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
    assert!(!out.contains("COMMAND"), "{out}");
    let pod = ok(&d, &["pod", "create", "--name", "testPodName"]).trim().to_string();
    let member = create(&d, &["--pod", "testPodName"], &["/bin/sleep", "600"]);
    ok(&d, &["start", &member]);
    assert!(!ok(&d, &["ps", "--no-trunc"]).contains(&pod));
    let with_pod = ok(&d, &["ps", "--pod", "--no-trunc"]);
    assert!(with_pod.contains(&pod) && with_pod.contains("testPodName"), "{with_pod}");
    ok(&d, &["rm", "-af", "-t", "0"]);
}

/// B-ps-41, 42, 45: a name filter is a pattern; a long command is cut to
/// 17 characters and "...".
#[test]
fn ps_name_patterns_and_long_commands() {
    let d = Daemon::start();
    let t1 = create(&d, &["--name", "test1"], &["/bin/true"]);
    create(&d, &["--name", "test11"], &["/bin/true"]);
    assert_eq!(ok(&d, &["ps", "-aq", "--no-trunc", "--filter", "name=test1"]).lines().count(), 2);
    assert_eq!(ok(&d, &["ps", "-aq", "--no-trunc", "--filter", "name=test1$"]).trim(), t1);
    run_ls(&d, &[], &["/bin/echo", "very", "long", "create", "command"]);
    assert!(ok(&d, &["ps", "-a"]).contains("/bin/echo very lo..."));
}

/// B-ps-47..62 (but 60, a bind mount: issue 18): the filter keys together.
#[test]
fn ps_filter_keys_together() {
    let d = Daemon::start();
    let rootfs = d.rootfs();
    let test1 =
        create(&d, &["--name", "test1", "-l", "foo=1", "-l", "bar=2", "-v", "volume1:/test"], &["/bin/sleep", "600"]);
    ok(&d, &["start", "test1"]);
    let (code, _, _) =
        run(&d, &["run", "--name", "test2", "-l", "foo=1", "--rootfs", &rootfs, "--", "/bin/ls", "/fail"]);
    assert_eq!(code, 1);
    create(&d, &["--name", "test3"], &[&format!("/bin/{test1}")]);
    let (code, _, _) = run(
        &d,
        &["run", "--name", "test4", "-v", "volume1:/test1", "-v", "/:/test2", "--rootfs", &rootfs, "--", "/bin/ls"],
    );
    assert_eq!(code, 0);
    let names = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["ps", "--format", "{{.Names}}"];
        all.extend(args);
        let mut names: Vec<String> = ok(&d, &all).lines().map(str::to_string).collect();
        names.sort();
        names
    };
    assert_eq!(names(&["--all", "--filter", "name=test"]), ["test1", "test2", "test3", "test4"]);
    assert_eq!(names(&["--all", "--filter", "name=test1", "--filter", "name=test2"]), ["test1", "test2"]);
    let id = |f: String| f;
    assert_eq!(
        names(&["--all", "--filter", &id(format!("id={}", &test1[..40])), "--filter", &format!("id={test1}$")]),
        ["test1"]
    );
    assert_eq!(names(&["--filter", "status=created"]), ["test3"]);
    assert_eq!(names(&["--filter", "status=created", "--filter", "status=exited"]), ["test2", "test3", "test4"]);
    assert_eq!(names(&["--all", "--filter", "label=foo=1"]), ["test1", "test2"]);
    assert_eq!(names(&["--filter", "label=foo=1", "--filter", "status=exited"]), ["test2"]);
    assert!(names(&["--all", "--filter", "label=foo=1", "--filter", "label=non=1"]).is_empty());
    assert_eq!(names(&["--all", "--filter", "label=foo=1", "--filter", "label=bar=2"]), ["test1"]);
    assert_eq!(names(&["--all", "--filter", "exited=1"]), ["test2"]);
    assert_eq!(names(&["--all", "--filter", "exited=1", "--filter", "exited=0"]), ["test2", "test4"]);
    assert_eq!(names(&["--all", "--filter", "volume=volume1"]), ["test1", "test4"]);
    assert_eq!(names(&["--all", "--filter", "volume=/:/test2"]), ["test4"], "a bind, as SOURCE:DESTINATION");
    assert_eq!(names(&["--all", "--filter", "volume=volume1:/test"]), ["test1"]);
    assert_eq!(names(&["--all", "--filter", "before=test2"]), ["test1"]);
    assert_eq!(names(&["--all", "--filter", "since=test2"]), ["test3", "test4"]);
    ok(&d, &["rm", "-af", "-t", "0"]);
}

/// B-ps-63..67: pod filters by name, ID and ID prefix, ORed; an unknown pod
/// is no error.
#[test]
fn ps_pod_filter() {
    let d = Daemon::start();
    let pod1 = ok(&d, &["pod", "create", "--name", "pod1", "--infra"]).trim().to_string();
    ok(&d, &["pod", "create", "--name", "pod2", "--infra"]);
    let con1 = create(&d, &["--pod", "pod1"], &["/bin/sleep", "600"]);
    let con2 = create(&d, &["--pod", "pod2"], &["/bin/sleep", "600"]);
    ok(&d, &["pod", "start", "pod1"]);
    ok(&d, &["pod", "start", "pod2"]);
    ok(&d, &["ps", "--filter", "pod=1234"]);
    for f in ["pod=pod1".to_string(), format!("pod={pod1}"), format!("pod={}", &pod1[..12])] {
        let out = ok(&d, &["ps", "-q", "--no-trunc", "--filter", &f]);
        assert_eq!(out.lines().count(), 2, "{f}: {out}");
        assert!(out.contains(&con1), "{f}");
    }
    let both = ok(&d, &["ps", "-q", "--no-trunc", "--filter", "pod=pod1", "--filter", "pod=pod2"]);
    assert_eq!(both.lines().count(), 4);
    assert!(both.contains(&con1) && both.contains(&con2));
    ok(&d, &["pod", "rm", "-f", "pod1"]);
    ok(&d, &["pod", "rm", "-f", "pod2"]);
}

// test/e2e/pod_rm_test.go

/// A pod as podman's tests make theirs (CreatePod), sharing no namespace,
/// but with an infra container, which some of the ported checks name.
fn create_pod(d: &Daemon, name: Option<&str>) -> String {
    let mut args = vec!["pod", "create", "--infra", "--share", "none"];
    if let Some(n) = name {
        args.extend(["--name", n]);
    }
    ok(d, &args).trim().to_string()
}

/// Lines of `pod ps -q`: podman's NumberOfPods.
fn pods(d: &Daemon) -> usize {
    ok(d, &["pod", "ps", "-q"]).lines().count()
}

/// Containers with processes: podman's NumberOfContainersRunning.
fn running(d: &Daemon) -> usize {
    ok(d, &["ps", "-q"]).lines().count()
}

/// C-podrm-1..12: a pod goes with its exited members; a running one needs
/// force; --latest is the newest pod; no cgroup of the pod is left.
#[test]
fn pod_rm_members_and_latest() {
    let d = Daemon::start();
    let podid = create_pod(&d, None);
    ok(&d, &["pod", "rm", &podid]);
    // C-podrm-3: no cgroup directory names the pod once it is gone.
    let leaked =
        std::process::Command::new("find").args(["/sys/fs/cgroup", "-name", &format!("*{podid}*")]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&leaked.stdout), "", "a leaking cgroup path");
    let first = create_pod(&d, None);
    let second = create_pod(&d, Some("pod2"));
    ok(&d, &["pod", "rm", "--latest"]);
    let left = ok(&d, &["pod", "ps", "-q", "--no-trunc"]);
    assert!(left.contains(&first[..12]) && !left.contains(&second[..12]), "{left}");
    ok(&d, &["pod", "rm", &first]);
    let podid = create_pod(&d, None);
    let member = create(&d, &["--pod", &podid], &["/bin/ls"]);
    ok(&d, &["start", &member]);
    ok(&d, &["wait", &member]);
    ok(&d, &["pod", "rm", &podid]);
    assert_eq!(ok(&d, &["ps", "-qa"]), "");
    let podid = create_pod(&d, None);
    ok(&d, &["start", &create(&d, &["--pod", &podid], &["/bin/sleep", "600"])]);
    ok(&d, &["pod", "rm", "-t", "0", "-f", &podid]);
    assert_eq!(ok(&d, &["ps", "-q"]), "");
}

/// C-podrm-13..19, 33..39: pod rm -a removes what it can and refuses a pod
/// with a running member; -fa removes all; a pod of exited members goes
/// without force; --pod new:NAME makes the pod.
#[test]
fn pod_rm_all() {
    let d = Daemon::start();
    let pod1 = create_pod(&d, None);
    create_pod(&d, None);
    ok(&d, &["start", &create(&d, &["--pod", &pod1], &["/bin/sleep", "600"])]);
    assert_eq!((running(&d), pods(&d)), (1, 2));
    let (code, _, err) = run(&d, &["pod", "rm", "-a"]);
    assert_ne!(code, 0);
    assert!(err.contains("cannot be removed"), "{err}");
    assert_eq!((pods(&d), running(&d)), (1, 1));
    let pod2 = create_pod(&d, None);
    create_pod(&d, None);
    create(&d, &["--pod", &pod1], &["/bin/ls"]);
    let done = create(&d, &["--pod", &pod2], &["/bin/ls"]);
    ok(&d, &["start", &done]);
    ok(&d, &["wait", &done]);
    ok(&d, &["start", &create(&d, &["--pod", &pod2], &["/bin/sleep", "600"])]);
    ok(&d, &["pod", "rm", "-t", "0", "-fa"]);
    assert_eq!((ok(&d, &["ps", "-q"]), ok(&d, &["pod", "ps", "-q"])), (String::new(), String::new()));
    let podid = create_pod(&d, None);
    for _ in 0..2 {
        ok(&d, &["run", "--pod", &podid, "--rootfs", &d.rootfs(), "--", "/bin/true"]);
    }
    ok(&d, &["pod", "rm", &podid]);
    ok(
        &d,
        &["run", "-d", "--pod", "new:testPod", "--name", "testCtr", "--rootfs", &d.rootfs(), "--", "/bin/sleep", "600"],
    );
    assert_ne!(run(&d, &["pod", "rm", "-a"]).0, 0);
    assert!(ok(&d, &["pod", "ps"]).contains("testPod"));
    ok(&d, &["pod", "rm", "-af", "-t", "0"]);
    assert!(!ok(&d, &["pod", "ps"]).contains("testPod"));
}

/// C-podrm-20..26: a bogus pod fails the command (exit 1) unless ignored.
#[test]
fn pod_rm_bogus_and_ignore() {
    let d = Daemon::start();
    assert_eq!(run(&d, &["pod", "rm", "bogus"]).0, 1);
    let pod = create_pod(&d, None);
    ok(&d, &["start", &create(&d, &["--pod", &pod, "--name", "test1"], &["/bin/sleep", "600"])]);
    assert_eq!(run(&d, &["pod", "rm", "bogus", "test1"]).0, 1);
    assert_eq!(run(&d, &["pod", "rm", "test1", "bogus"]).0, 1);
    ok(&d, &["pod", "rm", "-t", "0", "--force", "--ignore", "bogus", "test1"]);
    ok(&d, &["pod", "rm", "--ignore", "test1", "bogus"]);
    ok(&d, &["pod", "rm", "-f", "-t", "0", &pod]);
}

/// C-podrm-27..32: --pod-id-file on create, start and rm, one or many.
#[test]
fn pod_rm_pod_id_files() {
    let d = Daemon::start();
    let dir = d.dir.path();
    let file = dir.join("pod-id");
    let f = file.to_str().unwrap();
    ok(&d, &["pod", "create", "--infra", "--name", "rudolph", "--pod-id-file", f]);
    create(&d, &["--pod", "rudolph"], &["/bin/sleep", "600"]);
    ok(&d, &["pod", "start", "--pod-id-file", f]);
    assert_eq!(running(&d), 2);
    ok(&d, &["pod", "rm", "-t", "0", "--pod-id-file", f, "--force"]);
    assert_eq!(running(&d), 0);
    let files: Vec<String> = (0..10).map(|i| dir.join(format!("pod-id-{i}")).display().to_string()).collect();
    for (i, f) in files.iter().enumerate() {
        let name = format!("rudolph{i}");
        ok(&d, &["pod", "create", "--infra", "--name", &name, "--pod-id-file", f]);
        create(&d, &["--pod", &name], &["/bin/sleep", "600"]);
    }
    let with_files = |verb: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = verb.iter().map(|s| s.to_string()).collect();
        files.iter().for_each(|f| args.extend(["--pod-id-file".to_string(), f.clone()]));
        args
    };
    let start = with_files(&["pod", "start"]);
    ok(&d, &start.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(running(&d), 20);
    let rm = with_files(&["pod", "rm", "--time=0", "--force"]);
    ok(&d, &rm.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(running(&d), 0);
}

// test/e2e/events_test.go, test/system/090-events.bats

/// `events --stream=false` with these arguments: its lines.
fn events(d: &Daemon, args: &[&str]) -> Vec<String> {
    let mut all = vec!["events", "--stream=false"];
    all.extend(args);
    ok(d, &all).lines().map(str::to_string).collect()
}

/// B-ev-1..10, 13, 14: filters (keys ANDed, values ORed), --since, --until,
/// json and template formats, pod events, container events' pod_id.
#[test]
fn events_filters_and_formats() {
    let d = Daemon::start();
    let cid = run_ls(&d, &[], &["/bin/ls"]);
    let cid2 = run_ls(&d, &[], &["/bin/ls"]);
    assert!(!events(&d, &[]).is_empty());
    let starts = events(&d, &["--filter", "event=start"]);
    let date = std::process::Command::new("date").args(["-u", "+%Y-%m-%d"]).output().unwrap();
    let date = String::from_utf8(date.stdout).unwrap();
    assert!(starts.iter().any(|l| l.starts_with(date.trim())), "{starts:?}");
    let one = events(&d, &["--filter", "event=start", "--filter", &format!("container={cid}")]);
    assert_eq!(one.len(), 1);
    assert!(one[0].contains(&cid) && !one[0].contains(&cid2));
    assert!(events(&d, &["--filter", "type=pod", "--filter", &format!("container={cid}")]).is_empty());
    ok(&d, &["run", "-d", "--pod", "new:foobarpod", "--rootfs", &d.rootfs(), "--", "/bin/sleep", "600"]);
    ok(&d, &["pod", "stop", "-t", "0", "foobarpod"]);
    let pod_events = events(&d, &["--filter", "type=pod", "--filter", "pod=foobarpod"]);
    assert!(pod_events.len() >= 2, "{pod_events:?}");
    let all = pod_events.join("\n");
    assert!(all.contains(" pod create ") && all.contains(" pod stop ") && all.contains("name=foobarpod"), "{all}");
    events(&d, &["--since", "1m"]);
    events(&d, &["--until", "1h"]);
    for format in ["json", "{{json .}}"] {
        let line = events(&d, &["--format", format]).into_iter().next().unwrap();
        let e: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert!(e["ID"].is_string() && e["Status"].is_string() && e["Type"].is_string(), "{e}");
    }
    let ids = events(&d, &["--filter=type=container", "--format", "ID: {{.ID}}"]);
    assert!(ids.len() > 1);
    assert!(is_full_id_line(&ids[0]), "{}", ids[0]);
    let pod = ok(&d, &["pod", "create", "--name", "quiet-pod"]).trim().to_string();
    let created = events(&d, &["--filter", &format!("pod={pod}")]);
    assert_eq!(created.len(), 1);
    assert!(created[0].contains("create"));
    create(&d, &["--pod", &pod, "--name", "testCtr"], &["/bin/sleep", "600"]);
    let in_pod = events(&d, &["--filter", "container=testCtr", "--since", "30s"]).join("\n");
    assert!(in_pod.contains(&format!("pod_id={pod}")), "{in_pod}");
    ok(&d, &["pod", "rm", "-af", "-t", "0"]);
}

/// `ID: ` and 64 hex digits.
fn is_full_id_line(line: &str) -> bool {
    line.strip_prefix("ID: ").is_some_and(|id| id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// B-ev-11, 12: --until in the future ends the stream then, with what came
/// before it.
#[test]
fn events_until_the_future() {
    let d = Daemon::start();
    create(&d, &["--name", "n1"], &["/bin/true"]);
    let started = std::time::Instant::now();
    let watcher = std::process::Command::new(env!("CARGO_BIN_EXE_berthctl"))
        .env("BERTH_ADDRESS", &d.address)
        .args(["events", "--since", "30s", "--until", "3s"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    create(&d, &["--name", "n2"], &["/bin/true"]);
    create(&d, &["--name", "n3"], &["/bin/true"]);
    let out = watcher.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(started.elapsed() >= std::time::Duration::from_millis(2500), "it ended at {:?}", started.elapsed());
    let text = String::from_utf8(out.stdout).unwrap();
    for n in ["n1", "n2", "n3"] {
        assert!(text.contains(&format!("name={n}")), "{n}: {text}");
    }
}

/// B-ev-bats-1..6, 9, 13, 19, 20: the text line carries the image, the name
/// and the labels; IDs are whole unless --no-trunc=false; a died event
/// carries the labels; status= filters the action.
#[test]
fn events_lines_as_podmans() {
    let d = Daemon::start();
    let img = common::image::build(&d.dir.path().join("img"));
    ok(&d, &["image", "import", img.layout.to_str().unwrap(), "quay.io/libpod/testimage:latest"]);
    let image = "quay.io/libpod/testimage:latest";
    ok(&d, &["run", "--label", "L=V", "--name", "cname", "--rm", "--image", image, "--", "/bin/ls"]);
    for args in [
        &["--filter", "type=container", "-f", "container=cname", "--filter", "label=L=V", "--filter", "event=start"][..],
        &["-f", "type=container", "--filter", "label=L=V", "--filter", "event=start"],
        &["--filter", "type=container", "--filter", "container=cname", "--filter", "event=start"],
    ] {
        let lines = events(&d, args);
        assert_eq!(lines.len(), 1, "{args:?}: {lines:?}");
        let l = &lines[0];
        let start = l.find(" container start ").unwrap();
        assert!(l[start..].contains(&format!("(image={image}, name=cname,")) && l.ends_with(" L=V)"), "{l}");
    }
    let id =
        ok(&d, &["run", "-d", "--name", "echo", "--rm", "--image", image, "--", "/bin/echo", "hi"]).trim().to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while events(&d, &["--filter", "container=echo", "--filter", "event=died"]).is_empty() {
        assert!(std::time::Instant::now() < deadline, "no died event");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let line = events(&d, &["--filter", "container=echo", "--filter", "event=start"]).remove(0);
    assert!(line.contains(&format!(" {id} ")), "{line}");
    let line = events(&d, &["--filter", "container=echo", "--filter", "event=start", "--no-trunc=false"]).remove(0);
    assert!(line.contains(&format!(" {} ", &id[..12])), "{line}");
    let died = events(
        &d,
        &["--filter", "container=echo", "--filter", "event=died", "--format={{.ID}}--{{.Image}}", "--no-trunc=false"],
    );
    assert_eq!(died, [format!("{id}--{image}")]);
    ok(&d, &["run", "--name", "foo", "--rm", "--rootfs", &d.rootfs(), "--", "/bin/ls"]);
    ok(&d, &["run", "--name", "bar", "--rm", "--rootfs", &d.rootfs(), "--", "/bin/ls"]);
    let both = events(&d, &["--filter", "container=foo", "--filter", "container=bar", "--filter", "event=start"]);
    assert!(both.len() == 2 && both[0].contains("name=foo") && both[1].contains("name=bar"), "{both:?}");
    let (code, _, _) = run(
        &d,
        &[
            "run",
            "--rm",
            "--name",
            "c17",
            "--label",
            "l17=v1 v2",
            "--rootfs",
            &d.rootfs(),
            "--",
            "/bin/sh",
            "-c",
            "exit 17",
        ],
    );
    assert_eq!(code, 17);
    let label = events(&d, &["--filter=container=c17", "--filter=status=died", "--format={{.Attributes.l17}}"]);
    assert_eq!(label, ["v1 v2"]);
}

/// podman's remove event carries the exit code, and every exit is followed
/// by a cleanup event.
#[test]
fn events_of_an_exit_and_a_removal() {
    let d = Daemon::start();
    let (code, _, _) =
        run(&d, &["run", "--name", "five", "-l", "k=v", "--rootfs", &d.rootfs(), "--", "/bin/sh", "-c", "exit 5"]);
    assert_eq!(code, 5);
    ok(&d, &["rm", "five"]);
    let lines =
        events(&d, &["--filter", "container=five", "--format", "{{.Status}} {{.ContainerExitCode}} {{.Attributes.k}}"]);
    let tail: Vec<&str> = lines.iter().map(String::as_str).skip_while(|l| !l.starts_with("died")).collect();
    assert_eq!(tail, ["died 5 v", "cleanup  v", "remove 5 v"], "{lines:?}");
}

// test/e2e/prune_test.go (containers, pods, volumes)

/// A-prune-1..11: container prune takes stopped, created and initialized
/// containers, and keeps running ones.
#[test]
fn container_prune() {
    let d = Daemon::start();
    run_top(&d, None);
    let second = run_top(&d, None);
    ok(&d, &["stop", "-t", "0", &second]);
    ok(&d, &["container", "prune", "-f"]);
    assert_eq!(count(&d), 1);
    ok(&d, &["rm", "-af", "-t", "0"]);
    create(&d, &["--name", "test"], &["/bin/ls"]);
    ok(&d, &["container", "prune", "-f"]);
    assert_eq!(count(&d), 0);
    create(&d, &["--name", "test"], &["/bin/ls"]);
    ok(&d, &["init", "test"]);
    ok(&d, &["container", "prune", "-f"]);
    assert_eq!(count(&d), 0);
}

/// A-prune-12..23: system prune takes exited pods and keeps a pod that
/// never ran; with a stopped pod and a created container, nothing is left.
#[test]
fn system_prune_pods() {
    let d = Daemon::start();
    create_pod(&d, Some("never"));
    let pod2 = create_pod(&d, None);
    ok(&d, &["pod", "start", &pod2]);
    ok(&d, &["pod", "stop", "-t", "0", &pod2]);
    assert_eq!(ok(&d, &["pod", "ps"]).lines().count(), 3);
    ok(&d, &["system", "prune", "-f"]);
    let left = ok(&d, &["pod", "ps"]);
    assert_eq!(left.lines().count(), 2, "{left}");
    assert!(left.contains("never"));
    ok(&d, &["pod", "rm", "never"]);
    let pod = create_pod(&d, None);
    ok(&d, &["pod", "start", &pod]);
    ok(&d, &["pod", "stop", "-t", "0", &pod]);
    create(&d, &["--name", "test"], &["/bin/ls"]);
    ok(&d, &["system", "prune", "-f"]);
    assert_eq!((pods(&d), count(&d)), (0, 0));
}

/// A-prune-24..34, 44..49: system prune with a running and an exited pod,
/// --volumes (also the volume of a pruned container) and label filters.
#[test]
fn system_prune_volumes_and_filters() {
    let d = Daemon::start();
    let pod1 = create_pod(&d, None);
    ok(&d, &["pod", "start", &pod1]);
    ok(&d, &["pod", "stop", "-t", "0", &pod1]);
    let pod2 = create_pod(&d, None);
    ok(&d, &["pod", "start", &pod2]);
    assert_eq!(pods(&d), 2);
    run_ls(&d, &["--name", "test1"], &["/bin/ls"]);
    assert_eq!(count(&d), 3);
    ok(&d, &["volume", "create"]);
    create(&d, &["-v", "myvol:/myvol"], &["/bin/ls"]);
    assert_eq!(ok(&d, &["volume", "ls"]).lines().count(), 3);
    ok(&d, &["system", "prune", "--force", "--volumes"]);
    assert_eq!(ok(&d, &["volume", "ls", "-q"]), "");
    assert_eq!((pods(&d), count(&d)), (1, 1));
    ok(&d, &["pod", "rm", "-f", "-t", "0", &pod2]);
    for (labels, name) in [
        (&["--label", "label1=value1"][..], "myvol1"),
        (&["--label", "sharedlabel1=slv1"], "myvol2"),
        (&["--label", "sharedlabel1=slv2"], "myvol3"),
        (&["--label", "sharedlabel1"], "myvol4"),
    ] {
        let mut args = vec!["volume", "create"];
        args.extend(labels);
        args.push(name);
        ok(&d, &args);
    }
    create(&d, &["-v", "myvol5:/myvol5"], &["/bin/ls"]);
    create(&d, &["-v", "myvol6:/myvol6"], &["/bin/ls"]);
    let volumes = |d: &Daemon| ok(d, &["volume", "ls"]).lines().count();
    assert_eq!(volumes(&d), 7);
    ok(&d, &["system", "prune", "--force", "--volumes", "--filter", "label=label1=value1"]);
    assert_eq!(volumes(&d), 6);
    ok(&d, &["system", "prune", "--force", "--volumes", "--filter", "label=sharedlabel1=slv1"]);
    assert_eq!(volumes(&d), 5);
    ok(&d, &["system", "prune", "--force", "--volumes", "--filter", "label=sharedlabel1"]);
    assert_eq!(volumes(&d), 3);
    let left = ok(&d, &["volume", "ls", "-q"]);
    assert_eq!(left, "myvol5\nmyvol6\n");
}

/// pod prune: the exited pods, with their containers.
#[test]
fn pod_prune() {
    let d = Daemon::start();
    let exited = create_pod(&d, None);
    ok(&d, &["pod", "start", &exited]);
    ok(&d, &["pod", "stop", "-t", "0", &exited]);
    create_pod(&d, Some("created"));
    assert_eq!(ok(&d, &["pod", "prune", "-f"]).trim(), exited);
    assert_eq!(ok(&d, &["pod", "ps", "--format", "{{.Name}}"]), "created\n");
}

// test/e2e/mount_test.go, test/system/060-mount.bats

/// A daemon with the test image imported as `quay.io/libpod/alpine:latest`.
fn with_image() -> Daemon {
    let d = Daemon::start();
    let img = common::image::build(&d.dir.path().join("img"));
    ok(&d, &["image", "import", img.layout.to_str().unwrap(), "quay.io/libpod/alpine:latest"]);
    d
}

fn create_from_image(d: &Daemon, extra: &[&str]) -> String {
    let mut args = vec!["create", "--image", "quay.io/libpod/alpine:latest"];
    args.extend(extra);
    args.extend(["--", "/bin/ls"]);
    ok(d, &args).trim().to_string()
}

/// C-mount-1..28: mount and umount one or several, list what is mounted
/// (a running container is), --format json, --no-trunc and --notruncate.
#[test]
fn mount_and_list() {
    let d = with_image();
    let cid = create_from_image(&d, &[]);
    ok(&d, &["mount", &cid]);
    ok(&d, &["umount", &cid]);
    ok(&d, &["container", "mount", &cid]);
    ok(&d, &["container", "umount", &cid]);
    ok(&d, &["mount", &cid]);
    let json: serde_json::Value = serde_json::from_str(&ok(&d, &["mount", "--format=json"])).unwrap();
    assert_eq!(json[0]["id"], cid.as_str());
    let (code, _, err) = run(&d, &["mount", "--format={{.foobar}}"]);
    assert_eq!(code, 125);
    assert!(err.contains("unknown --format"), "{err}");
    ok(&d, &["umount", &cid]);
    let three: Vec<String> = (0..3).map(|_| create_from_image(&d, &[])).collect();
    ok(&d, &["mount", &three[0], &three[1], &three[2]]);
    ok(&d, &["umount", &three[0], &three[1], &three[2]]);
    ok(&d, &["mount", &three[0]]);
    ok(&d, &["mount", &three[1]]);
    ok(&d, &["umount", "--all"]);
    assert_eq!(ok(&d, &["mount", "--no-trunc"]), "");
    ok(&d, &["mount", &cid]);
    assert!(ok(&d, &["mount", "--no-trunc"]).contains(&cid));
    ok(&d, &["umount", &cid]);
    let top =
        ok(&d, &["run", "-d", "--image", "quay.io/libpod/alpine:latest", "--", "/bin/sleep", "600"]).trim().to_string();
    assert!(ok(&d, &["mount", "--no-trunc"]).contains(&top), "a running container is mounted");
    // Its last mount, its own, is not the API's to release; one more is.
    let (code, _, err) = run(&d, &["umount", &top]);
    assert_eq!(code, 125);
    assert!(err.contains("cannot unmount storage for container") && err.contains("as it is running"), "{err}");
    ok(&d, &["mount", &top]);
    ok(&d, &["umount", &top]);
    ok(&d, &["stop", "-t", "0", &top]);
    assert_eq!(ok(&d, &["mount", "--no-trunc"]), "");
    ok(&d, &["mount", &three[0], &three[2]]);
    let listed = ok(&d, &["mount", "--no-trunc"]);
    assert!(listed.contains(&three[0]) && !listed.contains(&three[1]) && listed.contains(&three[2]), "{listed}");
    ok(&d, &["umount", &three[0], &three[2]]);
    assert_eq!(ok(&d, &["mount", "--no-trunc"]), "");
    ok(&d, &["mount", &cid]);
    assert!(ok(&d, &["mount", "--notruncate"]).contains(&cid));
    ok(&d, &["umount", &cid]);
}

/// C-mountbats-1..4: what a container wrote is under its mount path while
/// mounted, and gone from there once unmounted.
#[test]
fn mount_shows_what_the_container_wrote() {
    let d = with_image();
    ok(
        &d,
        &[
            "run",
            "--name",
            "writer",
            "--image",
            "quay.io/libpod/alpine:latest",
            "--",
            "/bin/sh",
            "-c",
            "echo written > /data/file",
        ],
    );
    let path = ok(&d, &["mount", "writer"]).trim().to_string();
    let file = std::path::Path::new(&path).join("data/file");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "written\n");
    let listed = ok(&d, &["mount", "--notruncate"]);
    assert_eq!(listed.split_whitespace().nth(1), Some(path.as_str()));
    ok(&d, &["umount", "writer"]);
    assert!(!file.exists());
}

// test/e2e/inspect_test.go

/// B-insp-2, 6..12, 18: fields podman's scripts read, --size, containers
/// and images together, --latest.
#[test]
fn inspect_fields() {
    let d = with_image();
    let image = "quay.io/libpod/alpine:latest";
    assert_ne!(run(&d, &["inspect", "foobar4321"]).0, 0);
    assert_ne!(run(&d, &["inspect", "--latest"]).0, 0, "no container yet");
    let cid = ok(&d, &["run", "-d", "--name", "test1", "--image", image, "--", "/bin/sleep", "600"]).trim().to_string();
    for field in ["{{.ConmonPidFile}}", "{{.PidFile}}", "{{.Image}}", "{{.ImageName}}"] {
        let out = ok(&d, &["inspect", "--format", field, "test1"]);
        assert_eq!(out.lines().count(), 1, "{field}");
        assert!(!out.contains("<no value>"), "{field}: {out}");
    }
    for field in ["{{.ImageID}}", "{{.Config.CreateCommand}}"] {
        assert_eq!(ok(&d, &["inspect", "--format", field, "test1"]).lines().count(), 1, "{field}");
    }
    let pidfile = ok(&d, &["inspect", "--format", "{{.ConmonPidFile}}", "test1"]);
    assert!(std::path::Path::new(pidfile.trim()).is_file(), "{pidfile}");
    ok(&d, &["exec", "test1", "/bin/sh", "-c", "echo some bytes > /data/written"]);
    let sized: serde_json::Value = serde_json::from_str(&ok(&d, &["inspect", "--size", "test1"])).unwrap();
    assert!(sized[0]["rootFsSize"].as_u64().unwrap() > 0, "{sized}");
    assert!(sized[0]["rwSize"].as_u64().unwrap() > 0);
    assert!(sized[0]["rootFsSize"].as_u64() > sized[0]["rwSize"].as_u64());
    assert_eq!(ok(&d, &["inspect", "--format={{.ID}}", &cid, image]).lines().count(), 2);
    let (code, _, _) = run(&d, &["inspect", "-l", "1234foobar"]);
    assert_eq!(code, 125);
    assert_eq!(ok(&d, &["inspect", "--latest", "--format", "{{.Name}}"]), "test1\n");
    ok(&d, &["rm", "-f", "-t", "0", "test1"]);
}

/// B-insp-13..16 (a named volume where podman's test binds /tmp: host
/// binds are issue 18): a mount's source and destination.
#[test]
fn inspect_mounts() {
    let d = Daemon::start();
    create(&d, &["--name", "test", "-v", "vol:/test1"], &["/bin/true"]);
    let source = ok(&d, &["inspect", "test", "--format", "{{(index .Mounts 0).Source}}"]);
    assert!(source.trim().ends_with("/volumes/vol/_data"), "{source}");
    assert_eq!(ok(&d, &["inspect", "test", "--format", "{{(index .Mounts 0).Destination}}"]), "/test1\n");
}

/// B-insp-19..27, 29..32, 34..39: inspect finds containers, images, pods and
/// volumes (a container before an image of its name); --type narrows it;
/// what is not found fails the command after what is found is printed.
#[test]
fn inspect_kinds() {
    let d = with_image();
    let image = "quay.io/libpod/alpine:latest";
    let whole: serde_json::Value = serde_json::from_str(&ok(&d, &["inspect", image])).unwrap();
    assert_eq!(whole.as_array().unwrap().len(), 1);
    assert_ne!(run(&d, &["container", "inspect", image]).0, 0);
    let img: serde_json::Value = serde_json::from_str(&ok(&d, &["image", "inspect", image])).unwrap();
    assert_eq!(img[0]["id"], whole[0]["id"]);
    create(&d, &["--name", "testCtr"], &["/bin/sh"]);
    let ctr: serde_json::Value = serde_json::from_str(&ok(&d, &["inspect", "testCtr"])).unwrap();
    let same: serde_json::Value = serde_json::from_str(&ok(&d, &["container", "inspect", "testCtr"])).unwrap();
    assert_eq!(ctr[0]["id"], same[0]["id"]);
    assert_ne!(run(&d, &["image", "inspect", "testCtr"]).0, 0);
    let (code, out, _) = run(&d, &["inspect", "doesNotExist"]);
    assert_ne!(code, 0);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap(), serde_json::json!([]));
    let (code, out, _) = run(&d, &["inspect", "testCtr", "doesNotExist"]);
    assert_ne!(code, 0);
    let partial: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((partial.as_array().unwrap().len(), partial[0]["name"].as_str()), (1, Some("testCtr")));
    create(&d, &["--name", "testcontainer"], &["/bin/sh"]);
    ok(&d, &["image", "tag", image, "testcontainer:latest"]);
    let first: serde_json::Value = serde_json::from_str(&ok(&d, &["inspect", "testcontainer"])).unwrap();
    assert_eq!(first[0]["name"], "testcontainer", "the container wins");
    ok(&d, &["pod", "create", "--name", "testpod", "--infra"]);
    for args in [
        &["inspect", "testpod"][..],
        &["inspect", "--type", "pod", "testpod"],
        &["inspect", "--type", "pod", "--latest"],
    ] {
        let pod: serde_json::Value = serde_json::from_str(&ok(&d, args)).unwrap();
        assert_eq!(pod[0]["name"], "testpod", "{args:?}");
    }
    ok(&d, &["volume", "create", "myvol"]);
    serde_json::from_str::<serde_json::Value>(&ok(&d, &["inspect", "myvol"])).unwrap();
    assert_eq!(ok(&d, &["inspect", "--format", "{{.Name}}", "myvol"]), "myvol\n");
    assert_ne!(run(&d, &["inspect", "--type", "container", "testpod"]).0, 0);
    for kind in ["network", "pod", "volume"] {
        assert_ne!(run(&d, &["inspect", "--type", kind, "testCtr"]).0, 0, "{kind}");
    }
}

// test/e2e/create_test.go (the catalogue's part)

/// A-create-1..3, 10..13: `create IMAGE COMMAND` as podman takes it; a
/// name taken twice is refused with 125.
#[test]
fn create_from_an_image_by_position() {
    let d = with_image();
    let image = "quay.io/libpod/alpine:latest";
    let cid = ok(&d, &["create", "--name", "local_image_test", image, "/bin/ls"]).trim().to_string();
    assert_eq!(count(&d), 1);
    let id = ok(&d, &["inspect", "--format", "{{.ID}}", "local_image_test"]);
    assert!(id.contains(&cid), "{id}");
    ok(&d, &["rm", "-a"]);
    ok(&d, &["create", image, "/bin/ls"]);
    assert_eq!(count(&d), 1);
    ok(&d, &["create", "--name=foo", image, "/bin/ls"]);
    assert_eq!(run(&d, &["create", "--name=foo", image, "/bin/ls"]).0, 125);
}

/// A-create-29..35: --pod new:NAME; --pod with --pod-id-file is refused;
/// --pod-id-file joins the pod it names.
#[test]
fn create_in_pods() {
    let d = with_image();
    let image = "quay.io/libpod/alpine:latest";
    ok(&d, &["create", "--pod", "new:foobar", image, "/bin/ls"]);
    assert!(ok(&d, &["pod", "ps", "--no-trunc"]).contains("foobar"));
    let file = d.dir.path().join("pod-id");
    let f = file.to_str().unwrap();
    assert_eq!(run(&d, &["create", "--pod", "foo", "--pod-id-file", "bar", image, "/bin/ls"]).0, 125);
    ok(&d, &["pod", "create", "--pod-id-file", f, "--name", "rudolph"]);
    let pod: serde_json::Value = serde_json::from_str(&ok(&d, &["pod", "inspect", "rudolph"])).unwrap();
    ok(&d, &["create", "--pod-id-file", f, "--name", "prancer", image, "/bin/sleep", "600"]);
    assert_eq!(ok(&d, &["inspect", "--format", "{{.Config.Pod}}", "prancer"]).trim(), pod[0]["id"].as_str().unwrap());
}

/// A-create-55..58: labels with and without values.
#[test]
fn create_labels() {
    let d = with_image();
    let image = "quay.io/libpod/alpine:latest";
    ok(&d, &["create", "--label", "TESTKEY1=", "--label", "TESTKEY2", "--name", "testctr", image, "/bin/sleep", "600"]);
    let labels = ok(&d, &["inspect", "--format", "{{json .Config.Labels}}", "testctr"]);
    assert_eq!(labels.trim(), r#"{"TESTKEY1":"","TESTKEY2":""}"#);
    ok(&d, &["rm", "testctr"]);
    ok(&d, &["create", "--label", "TESTKEY1=value1", "--label", "TESTKEY2=bar", "--name", "testctr", image, "/bin/sh"]);
    let labels = ok(&d, &["inspect", "--format", "{{json .Config.Labels}}", "testctr"]);
    assert_eq!(labels.trim(), r#"{"TESTKEY1":"value1","TESTKEY2":"bar"}"#);
}

/// A-create-68, 69, 96, 97: --replace needs a name and replaces every time;
/// flags create does not have are podman's errors, code 125.
#[test]
fn create_replace_and_unknown_flags() {
    let d = with_image();
    let image = "quay.io/libpod/alpine:latest";
    let (code, _, err) = run(&d, &["create", "--replace", image, "/bin/sh"]);
    assert_eq!(code, 125);
    assert!(err.contains("cannot replace container without --name being set"), "{err}");
    for _ in 0..5 {
        ok(&d, &["create", "--replace", "--name", "testCtr", image, "/bin/sh"]);
    }
    assert_eq!(count(&d), 1);
    let (code, _, err) = run(&d, &["create", "-d", image]);
    assert_eq!(code, 125);
    assert!(err.contains("unknown shorthand flag"), "{err}");
    let (code, _, err) = run(&d, &["create", "--detach", image]);
    assert_eq!(code, 125);
    assert!(err.contains("unknown flag"), "{err}");
}

// test/system/040-ps.bats

/// B-ps-bats-1..12: --noheading; the columns of a running and an exited
/// container; status and exited filters with and without -a; --sort.
#[test]
fn ps_bats() {
    let d = with_image();
    let image = "quay.io/libpod/alpine:latest";
    assert_eq!(ok(&d, &["ps", "--noheading"]), "");
    let name = "ps-bats-name-of-thirty-chars-x";
    let cid = ok(&d, &["run", "-d", "--name", name, image, "/bin/sleep", "5"]).trim().to_string();
    assert!(cid.len() == 64 && cid.bytes().all(|b| b.is_ascii_hexdigit()), "{cid}");
    let line = ok(&d, &["ps", "--no-trunc", "--format", "{{.ID}} {{.Image}} {{.Command}} {{.Names}}"]);
    assert_eq!(line.trim(), format!("{cid} {image} /bin/sleep 5 {name}"));
    let row = ok(&d, &["ps"]).lines().nth(1).unwrap().to_string();
    assert!(row.starts_with(&cid[..12]) && row.contains(image) && row.contains("second"), "{row}");
    ok(&d, &["wait", &cid]);
    let row = ok(&d, &["ps", "-a"]).lines().nth(1).unwrap().to_string();
    assert!(row.starts_with(&cid[..12]) && row.contains("Exited") && row.contains(name), "{row}");
    ok(&d, &["rm", &cid]);
    let runner = ok(&d, &["run", "-d", "--name", "runner", image, "/bin/sleep", "600"]).trim().to_string();
    let stopped = ok(&d, &["run", "-d", "--name", "stopped", image, "/bin/sh", "-c", "exit 0"]).trim().to_string();
    ok(&d, &["wait", "stopped"]);
    ok(&d, &["run", "-d", "--name", "failed", image, "/bin/sh", "-c", "exit 1"]);
    ok(&d, &["wait", "failed"]);
    ok(&d, &["create", "--name", "created", image, "/bin/echo", "hi"]);
    assert_eq!(ok(&d, &["ps", "--filter", "name=runner", "--format", "{{.ID}}"]).trim(), &runner[..12]);
    assert_eq!(ok(&d, &["ps", "--filter", "name=stopped", "--format", "{{.ID}}"]), "");
    assert_eq!(ok(&d, &["ps", "-a", "--filter", "name=stopped", "--format", "{{.ID}}"]).trim(), &stopped[..12]);
    assert_eq!(
        ok(&d, &["ps", "--filter", "status=stopped", "--format", "{{.Names}}", "--sort", "names"]),
        "failed\nstopped\n"
    );
    assert_eq!(
        ok(&d, &["ps", "--filter", "status=exited", "--filter", "exited=0", "--format", "{{.Names}}"]),
        "stopped\n"
    );
    assert_eq!(
        ok(&d, &["ps", "--filter", "status=exited", "--filter", "exited=1", "--format", "{{.Names}}"]),
        "failed\n"
    );
    let order = ok(
        &d,
        &[
            "ps",
            "-a",
            "--filter",
            "status=exited",
            "--filter",
            "status=running",
            "--format",
            "{{.Names}}",
            "--sort",
            "created",
        ],
    );
    assert_eq!(order, "runner\nstopped\nfailed\n");
    ok(&d, &["stop", "-t", "1", "runner"]);
    ok(&d, &["rm", "-a"]);
}

/// podman wait --condition and --ignore (the options issue 17 names).
#[test]
fn wait_conditions_and_ignore() {
    let d = Daemon::start();
    let id = create(&d, &["--name", "w"], &["/bin/sleep", "600"]);
    assert_eq!(ok(&d, &["wait", "--condition", "configured", "w"]), "-1\n");
    let starter = {
        let addr = d.address.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            std::process::Command::new(env!("CARGO_BIN_EXE_berthctl"))
                .env("BERTH_ADDRESS", addr)
                .args(["start", "w"])
                .output()
        })
    };
    assert_eq!(ok(&d, &["wait", "--condition", "running", "w"]), "-1\n");
    assert!(starter.join().unwrap().unwrap().status.success());
    assert_eq!(ok(&d, &["wait", "--ignore", "ghost", "w", "--condition", "running"]), "-1\n-1\n");
    let (code, _, err) = run(&d, &["wait", "ghost"]);
    assert_eq!(code, 125);
    assert!(err.contains("no such container"), "{err}");
    ok(&d, &["kill", &id]);
    assert_eq!(ok(&d, &["wait", "--condition", "exited", "w"]), "137\n");
}

// test/system/200-pod.bats

/// C-podbats-1..3, 11..22, 25, 27, 33..35, 44, 53..55, 75, 76: pod
/// listing, existence, inspect fields, --infra-name, and the infra
/// container's removal refused in podman's words.
#[test]
fn pod_bats() {
    let d = Daemon::start();
    for verb in ["list", "ls", "ps"] {
        assert_eq!(ok(&d, &["pod", verb, "--noheading"]), "", "{verb}");
    }
    assert_eq!(run(&d, &["pod", "exists", "mypod"]).0, 1);
    let file = d.dir.path().join("pod-id");
    let printed = ok(
        &d,
        &[
            "pod",
            "create",
            "--infra=true",
            "--name=mypod",
            "-l",
            "k=v",
            "--pod-id-file",
            file.to_str().unwrap(),
            "--infra-name",
            "infra_name",
        ],
    );
    let pod_id = printed.trim().to_string();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), pod_id);
    assert_eq!(run(&d, &["pod", "exists", "mypod"]).0, 0);
    assert_eq!(run(&d, &["pod", "exists", &pod_id]).0, 0);
    assert!(ok(&d, &["pod", "inspect", "mypod"]).lines().count() >= 10);
    let infra = ok(&d, &["pod", "inspect", "--format", "{{.InfraContainerID}}", "mypod"]).trim().to_string();
    assert_eq!(ok(&d, &["container", "inspect", "--format", "{{.Name}}", &infra]), "infra_name\n");
    let member = create(&d, &["--pod", "mypod"], &["/bin/sleep", "600"]);
    ok(&d, &["pod", "start", "mypod"]);
    let pods = ok(&d, &["ps", "--format", "{{.Pod}}"]);
    assert_eq!(pods, format!("{0}\n{0}\n", &pod_id[..12]));
    let line =
        ok(&d, &["pod", "inspect", "--format", "{{.Name}}: {{.ID}} : {{.NumContainers}} : {{.Labels}}", "mypod"]);
    assert_eq!(line, format!("mypod: {pod_id} : 2 : map[k:v]\n"));
    let line = ok(&d, &["pod", "ps", "--format", "{{.ID}} {{.Name}} {{.Status}} {{.Labels}}"]);
    assert_eq!(line, format!("{} mypod Running map[k:v]\n", &pod_id[..12]));
    assert_eq!(ok(&d, &["pod", "ps", "--no-trunc", "--filter", "label=k=v", "--format", "{{.ID}}"]).trim(), pod_id);
    let (code, _, err) = run(&d, &["pod", "create", "--infra-name", "infra_name"]);
    assert_eq!(code, 125);
    assert!(err.contains("\"infra_name\" is already in use"), "{err}");
    for args in [&["container", "rm", &infra][..], &["container", "rm", "--force", &infra]] {
        let (code, _, err) = run(&d, args);
        assert_eq!(code, 125, "{args:?}");
        assert!(err.contains("and cannot be removed without removing the pod"), "{err}");
    }
    ok(&d, &["rm", "-f", "-t", "0", &member]);
    ok(&d, &["pod", "rm", "-f", "-t", "0", "mypod"]);
    assert_eq!(run(&d, &["pod", "exists", &pod_id]).0, 1);
    assert_eq!(run(&d, &["pod", "exists", "mypod"]).0, 1);
    let (code, _, err) = run(&d, &["pod", "rm", "bogus"]);
    assert_eq!(code, 1);
    assert!(err.contains("bogus") && err.contains("no such pod"), "{err}");
    assert_eq!(run(&d, &["pod", "rm", "--force", "bogus"]), (0, String::new(), String::new()));
}

// test/system/030-run.bats, test/e2e/run_volume_test.go (the catalogue's part)

/// C-run030-16..20, 34, 35, 38, 39, 130, 131: names and IDs of a run
/// container exist until it is removed; --cidfile, and refused when the
/// file exists; run --rm removes a container whose start failed.
#[test]
fn run_bats() {
    let d = with_image();
    let image = "quay.io/libpod/alpine:latest";
    let cid = ok(&d, &["run", "-d", "--name", "randomname", image, "/bin/sleep", "4"]).trim().to_string();
    assert_eq!(ok(&d, &["ps", "--format", "{{.Names}}--{{.ID}}"]), format!("randomname--{}\n", &cid[..12]));
    for who in ["randomname", cid.as_str()] {
        assert_eq!(run(&d, &["container", "exists", who]).0, 0);
    }
    ok(&d, &["wait", &cid]);
    for who in ["randomname", cid.as_str()] {
        assert_eq!(run(&d, &["container", "exists", who]).0, 0);
    }
    ok(&d, &["rm", &cid]);
    for who in ["randomname", cid.as_str()] {
        assert_eq!(run(&d, &["container", "exists", who]).0, 1);
    }
    let cidfile = d.dir.path().join("cidfile");
    let f = cidfile.to_str().unwrap();
    let cid =
        ok(&d, &["run", "--name", "cname", "--cidfile", f, "--detach", image, "/bin/sleep", "600"]).trim().to_string();
    assert_eq!(std::fs::read_to_string(&cidfile).unwrap(), cid);
    ok(&d, &["rm", "-f", "-t", "0", &cid]);
    let (code, _, err) = run(&d, &["run", "--cidfile", f, image, "/bin/true"]);
    assert_eq!(code, 125);
    assert!(
        err.starts_with("Error: container id file exists. ") && err.trim_end().ends_with(&format!("delete {f}")),
        "{err}"
    );
    ok(&d, &["run", "--name", "c_ok", image, "/bin/sh", "-c", "exit 0"]);
    assert_eq!(run(&d, &["run", "--rm", "--name", "c_fail", image, "/bin/nonexistent"]).0, 127);
    assert_eq!(run(&d, &["run", "--name", "c_fail_no_rm", image, "/bin/nonexistent"]).0, 127);
    let left = ok(&d, &["ps", "-a", "--sort", "names", "--format", "{{.Image}}--{{.Names}}"]);
    assert_eq!(left, format!("{image}--c_fail_no_rm\n{image}--c_ok\n"));
    ok(&d, &["container", "rm", "-f", "-t", "0", "c_ok", "c_fail_no_rm"]);
}

/// C-runvol-54..62: an anonymous volume is listed while its container is,
/// and goes with rm -v; a named one stays.
#[test]
fn run_volumes_anonymous_and_named() {
    let d = Daemon::start();
    assert_eq!(ok(&d, &["volume", "list", "--quiet"]), "");
    create(&d, &["-v", "/test"], &["/bin/true"]);
    let listed = ok(&d, &["volume", "list", "--quiet"]);
    assert!(listed.lines().count() == 1 && !listed.trim().is_empty(), "{listed}");
    ok(&d, &["rm", "-a", "-v"]);
    assert_eq!(ok(&d, &["volume", "list", "--quiet"]), "");
    create(&d, &["--name", "testctr", "-v", "/test"], &["/bin/true"]);
    assert_eq!(ok(&d, &["volume", "list", "--quiet"]).lines().count(), 1);
    ok(&d, &["rm", "-v", "testctr"]);
    assert_eq!(ok(&d, &["volume", "list", "--quiet"]), "");
    create(&d, &["--name", "testctr", "-v", "testvol:/test"], &["/bin/true"]);
    assert_eq!(ok(&d, &["volume", "list", "--quiet"]), "testvol\n");
    ok(&d, &["rm", "-v", "testctr"]);
    assert_eq!(ok(&d, &["volume", "list", "--quiet"]), "testvol\n");
}

/// C-run030-74..77: a container's ImageName is the name it was made from,
/// with :latest when none was given.
#[test]
fn run_image_names() {
    let d = with_image();
    let image = "quay.io/libpod/alpine:latest";
    ok(&d, &["image", "tag", image, "localhost/abc/def"]);
    let cid = ok(&d, &["create", "localhost/abc/def", "/bin/true"]).trim().to_string();
    assert_eq!(ok(&d, &["inspect", "--format", "{{.ImageName}}", &cid]), "localhost/abc/def:latest\n");
    ok(&d, &["image", "tag", image, "localhost/ghi/jkl:tag"]);
    ok(&d, &["create", "--name", "cname", "localhost/ghi/jkl:tag", "/bin/true"]);
    assert_eq!(ok(&d, &["inspect", "--format", "{{.ImageName}}", "cname"]), "localhost/ghi/jkl:tag\n");
    ok(&d, &["rm", &cid, "cname"]);
}

/// C-run030-80/81, 90 (its ImageDigest) and 114: a container shows the
/// digest its image came by, one made from a root file system none; "/" in
/// a container has the mode of the image's root.
#[test]
fn run_image_digest_and_root_mode() {
    let d = with_image();
    let image = "quay.io/libpod/alpine:latest";
    let fields = ok(&d, &["image", "inspect", "--format", "{{.ID}} {{.Digest}}", image]);
    let (id, digest) = fields.trim().split_once(' ').unwrap();
    assert!(digest.starts_with("sha256:") && digest.len() == 71, "{digest}");
    ok(&d, &["run", "--name", "withdigest", image, "/bin/true"]);
    let format = "{{.ImageName}} {{.Image}} {{.ImageDigest}}";
    assert_eq!(ok(&d, &["container", "inspect", "withdigest", "--format", format]), format!("{image} {id} {digest}\n"));
    ok(&d, &["create", "--name", "fromrootfs", "--rootfs", &d.rootfs(), "/bin/true"]);
    assert_eq!(ok(&d, &["container", "inspect", "fromrootfs", "--format", "{{.ImageDigest}}"]), "\n");
    assert_eq!(ok(&d, &["run", "--rm", image, "/bin/busybox", "stat", "-c", "%a", "/"]), "555\n");
}

// libpod/state_test.go, through berth's API (berth's state is its catalogue)

/// TestLookup*, TestHasContainer*, TestHasPod*, TestGetAllContainers*,
/// TestAllPods*: containers and pods are found by full ID, name and
/// unique ID prefix, not by an ambiguous prefix or the other kind's name.
#[test]
fn state_lookups() {
    let d = Daemon::start();
    assert_eq!(ok(&d, &["ps", "-aq"]), "", "a new state is empty");
    assert_eq!(ok(&d, &["pod", "ps", "-q"]), "");
    let c1 = create(&d, &["--name", "test1"], &["/bin/true"]);
    for who in [c1.as_str(), "test1", &c1[..10]] {
        assert_eq!(ok(&d, &["inspect", "--type", "container", "--format", "{{.ID}}", who]).trim(), c1, "{who}");
    }
    for bad in ["nonexistent", ""] {
        assert_ne!(run(&d, &["container", "inspect", bad]).0, 0, "{bad:?}");
    }
    let pod = ok(&d, &["pod", "create", "--name", "pod1"]).trim().to_string();
    for who in [pod.as_str(), "pod1", &pod[..10]] {
        assert_eq!(ok(&d, &["pod", "inspect", "--format", "{{.ID}}", who]).trim(), pod, "{who}");
    }
    assert_eq!(run(&d, &["container", "exists", "pod1"]).0, 1, "a pod's name is not a container's");
    assert_eq!(run(&d, &["container", "exists", &pod]).0, 1, "nor its ID");
    assert_eq!(run(&d, &["pod", "exists", "test1"]).0, 1, "a container's name is not a pod's");
    assert_eq!(run(&d, &["pod", "exists", &c1]).0, 1);
    assert_eq!(run(&d, &["pod", "exists", "nonexistent"]).0, 1);
    // Seventeen IDs: two share a first hex digit, which then finds neither.
    let mut ids: Vec<String> = vec![c1];
    for _ in 0..16 {
        ids.push(create(&d, &[], &["/bin/true"]));
    }
    assert_eq!(ok(&d, &["ps", "-aq"]).lines().count(), 17);
    let shared = (0..16u8)
        .map(|h| format!("{h:x}"))
        .find(|p| ids.iter().filter(|id| id.starts_with(p.as_str())).count() > 1)
        .unwrap();
    let (code, _, err) = run(&d, &["container", "inspect", &shared]);
    assert_ne!(code, 0);
    assert!(err.contains("more than one"), "{err}");
}

/// TestAdd*Conflict*, TestAddDuplicate*: a name is held by one container or
/// pod.
#[test]
fn state_name_conflicts() {
    let d = Daemon::start();
    create(&d, &["--name", "taken"], &["/bin/true"]);
    for args in
        [&["create", "--name", "taken", "--rootfs", "ROOTFS", "/bin/true"][..], &["pod", "create", "--name", "taken"]]
    {
        let rootfs = d.rootfs();
        let args: Vec<&str> = args.iter().map(|a| if *a == "ROOTFS" { rootfs.as_str() } else { a }).collect();
        let (code, _, err) = run(&d, &args);
        assert_eq!(code, 125, "{args:?}");
        assert!(err.contains("already in use"), "{err}");
    }
    ok(&d, &["pod", "create", "--name", "pod-taken"]);
    let (_, _, err) = run(&d, &["create", "--name", "pod-taken", "--rootfs", &d.rootfs(), "/bin/true"]);
    assert!(err.contains("already in use"), "{err}");
    assert_eq!((count(&d), pods(&d)), (1, 1));
}

/// TestCannotRemoveContainerWithDependency, TestCanRemoveContainerAfter*,
/// TestContainerInUse*, TestCannotUse*AsDependency, TestAddCtrDepInPodFails,
/// TestAddContainerToPodDependencyOutsidePodFails, TestAddContainerToPodAddsDependencies.
#[test]
fn state_dependencies() {
    let d = Daemon::start();
    let base = create(&d, &["--name", "base"], &["/bin/true"]);
    let a = create(&d, &["--depends-on", "base"], &["/bin/true"]);
    let b = create(&d, &["--depends-on", &base[..12]], &["/bin/true"]);
    let users = ok(&d, &["inspect", "--format", "{{json .Dependents}}", "base"]);
    let users: Vec<String> = serde_json::from_str(&users).unwrap();
    assert_eq!(users.len(), 2);
    assert!(users.contains(&a) && users.contains(&b));
    assert_eq!(run(&d, &["rm", "base"]).0, 125);
    ok(&d, &["rm", &a]);
    assert_eq!(run(&d, &["rm", "base"]).0, 125, "one dependent is left");
    ok(&d, &["rm", &b]);
    ok(&d, &["rm", "base"]);
    assert_ne!(run(&d, &["create", "--depends-on", "bogus", "--rootfs", &d.rootfs(), "/bin/true"]).0, 0);
    ok(&d, &["pod", "create", "--name", "p"]);
    assert_ne!(
        run(&d, &["create", "--depends-on", "p", "--rootfs", &d.rootfs(), "/bin/true"]).0,
        0,
        "a pod is not a dependency"
    );
    let outside = create(&d, &[], &["/bin/true"]);
    let inside = create(&d, &["--pod", "p"], &["/bin/true"]);
    let (code, _, err) =
        run(&d, &["create", "--pod", "p", "--depends-on", &outside, "--rootfs", &d.rootfs(), "/bin/true"]);
    assert_eq!(code, 125);
    assert!(err.contains("not in the container's pod"), "{err}");
    let (code, _, err) = run(&d, &["create", "--depends-on", &inside, "--rootfs", &d.rootfs(), "/bin/true"]);
    assert_eq!(code, 125);
    assert!(err.contains("is in a pod"), "{err}");
    let member = create(&d, &["--pod", "p", "--depends-on", &inside], &["/bin/true"]);
    let deps = ok(&d, &["inspect", "--format", "{{json .Config.DependsOn}}", &member]);
    assert_eq!(deps.trim(), format!("[\"{inside}\"]"));
}

/// TestContainerInUseOneContainerMultipleDependencies,
/// TestAddContainerEmptyNetworkNameErrors, TestRemovePodContainerDependencyInPod:
/// a container that joins another's namespace is its dependent; a network
/// without a name is refused; a pod's members that depend on each other go
/// with the pod.
#[test]
fn state_namespace_dependencies() {
    let d = Daemon::start();
    let first = create(&d, &["--name", "first"], &["/bin/sleep", "100"]);
    let second = create(&d, &["--network", "container:first"], &["/bin/true"]);
    let users = ok(&d, &["inspect", "--format", "{{json .Dependents}}", "first"]);
    assert_eq!(serde_json::from_str::<Vec<String>>(&users).unwrap(), std::slice::from_ref(&second));
    let (code, _, err) = run(&d, &["rm", &first]);
    assert_eq!(code, 125, "in use by the one that joins it: {err}");
    ok(&d, &["rm", &second, &first]);
    let mut c = d.client();
    let r = c.call(
        "io.berth.Container.Create",
        serde_json::json!({ "options": { "rootfs": d.rootfs(), "command": ["true"], "networks": [""] } }),
    );
    assert!(r.is_err(), "a network without a name: {r:?}");

    ok(&d, &["pod", "create", "--name", "deps"]);
    let one = create(&d, &["--pod", "deps"], &["/bin/true"]);
    create(&d, &["--pod", "deps", "--depends-on", &one], &["/bin/true"]);
    ok(&d, &["pod", "rm", "-f", "deps"]);
    assert_eq!(ok(&d, &["ps", "-a", "-q"]), "", "the pod's members went with it");
}

/// TestPodContainers*, TestPodHasContainer*, TestRemovePodContainers*,
/// TestRemoveContainerFromPod*, TestGetPodByCtrID: a pod knows its members;
/// removing them leaves the pod and the containers outside it.
#[test]
fn state_pod_members() {
    let d = Daemon::start();
    let pod = ok(&d, &["pod", "create", "--name", "p"]).trim().to_string();
    assert_eq!(ok(&d, &["pod", "inspect", "--format", "{{.NumContainers}}", "p"]), "0\n");
    let outside = create(&d, &[], &["/bin/true"]);
    let m1 = create(&d, &["--pod", "p"], &["/bin/true"]);
    let m2 = create(&d, &["--pod", &pod[..12]], &["/bin/true"]);
    let members = ok(&d, &["pod", "inspect", "--format", "{{json .Containers}}", "p"]);
    let members: Vec<String> = serde_json::from_str(&members).unwrap();
    assert_eq!(members, [m1.clone(), m2.clone()]);
    assert_eq!(ok(&d, &["inspect", "--format", "{{.Config.Pod}}", &m1]).trim(), pod);
    assert_eq!(ok(&d, &["inspect", "--format", "{{.Config.Pod}}", &outside]).trim(), "");
    ok(&d, &["rm", &m1]);
    assert_eq!(ok(&d, &["pod", "inspect", "--format", "{{json .Containers}}", "p"]).trim(), format!("[\"{m2}\"]"));
    ok(&d, &["rm", &m2]);
    assert_eq!(ok(&d, &["pod", "inspect", "--format", "{{.NumContainers}}", "p"]), "0\n");
    ok(&d, &["pod", "rm", "p"]);
    assert_eq!((pods(&d), count(&d)), (0, 1), "the container outside the pod stays");
}

// pkg/bindings/test/containers_test.go, through berth's varlink API

/// The error name of a failed call.
fn api_error(r: Result<serde_json::Value, berth::client::ClientError>) -> String {
    match r {
        Err(berth::client::ClientError::Remote { error, .. }) => error,
        other => panic!("expected an error, got {other:?}"),
    }
}

/// A call of io.berth.Container, as the Go bindings' tests make them.
fn api_call(
    c: &mut berth::client::Client,
    method: &str,
    params: serde_json::Value,
) -> Result<serde_json::Value, berth::client::ClientError> {
    c.call(&format!("io.berth.Container.{method}"), params)
}

/// The bindings' RunTopContainer: a running container of the test rootfs; its ID.
fn api_top(c: &mut berth::client::Client, d: &Daemon, name: &str) -> String {
    let opts =
        serde_json::json!({ "options": { "rootfs": d.rootfs(), "command": ["/bin/sleep", "600"], "name": name } });
    let id = api_call(c, "Create", opts).unwrap()["id"].as_str().unwrap().to_string();
    api_call(c, "Start", serde_json::json!({ "nameOrId": id })).unwrap();
    id
}

/// A container's state word.
fn api_state(c: &mut berth::client::Client, who: &str) -> String {
    let inspect = api_call(c, "Inspect", serde_json::json!({ "nameOrId": who })).unwrap();
    inspect["container"]["state"]["state"].as_str().unwrap().to_string()
}

/// C-bindctr-4..10, 17, 19, 23, 37..40, 60..75, 77..79: pause and unpause,
/// removal with and without force and volumes, exists by name, ID and
/// short ID, inspect with and without size, list filters and pod names.
#[test]
fn bindings_containers() {
    use serde_json::json;
    let d = Daemon::start();
    let mut c = d.client();
    let (call, state) = (api_call, api_state);
    let top = |c: &mut berth::client::Client, name: &str| api_top(c, &d, name);
    let id = top(&mut c, "topper");
    call(&mut c, "Pause", json!({ "nameOrId": "topper" })).unwrap();
    assert_eq!(state(&mut c, &id), "paused");
    assert_eq!(api_error(call(&mut c, "Remove", json!({ "nameOrId": id }))), "io.berth.Container.InvalidState");
    call(&mut c, "Unpause", json!({ "nameOrId": id })).unwrap();
    assert_eq!(state(&mut c, "topper"), "running");
    call(&mut c, "Pause", json!({ "nameOrId": id })).unwrap();
    let r = call(&mut c, "Remove", json!({ "nameOrId": id, "force": true, "timeout": 0 })).unwrap();
    assert_eq!(r["removed"], json!([id]));
    let id = top(&mut c, "stopper");
    call(&mut c, "Stop", json!({ "nameOrId": "stopper", "timeout": 0 })).unwrap();
    assert!(matches!(state(&mut c, &id).as_str(), "exited" | "stopped"));
    let exists = |c: &mut berth::client::Client, who: &str| {
        call(c, "Exists", json!({ "nameOrId": who })).unwrap()["exists"] == true
    };
    assert!(!exists(&mut c, "foobar"));
    for who in ["stopper", id.as_str(), &id[..12]] {
        assert!(exists(&mut c, who), "{who}");
    }
    for size in [false, true] {
        call(&mut c, "Inspect", json!({ "nameOrId": "stopper", "size": size })).unwrap();
    }
    assert_eq!(
        api_error(call(&mut c, "Inspect", json!({ "nameOrId": "foobar" }))),
        "io.berth.Container.NoSuchContainer"
    );
    assert_eq!(
        api_error(call(&mut c, "Remove", json!({ "nameOrId": "foobar" }))),
        "io.berth.Container.NoSuchContainer"
    );
    for (who, volumes) in [("r1", false), ("r2", true)] {
        let id = top(&mut c, who);
        for target in [who, id.as_str()] {
            let e = api_error(call(&mut c, "Remove", json!({ "nameOrId": target, "volumes": volumes })));
            assert_eq!(e, "io.berth.Container.InvalidState");
        }
        let r =
            call(&mut c, "Remove", json!({ "nameOrId": id, "force": true, "volumes": volumes, "timeout": 0 })).unwrap();
        assert_eq!(r["removed"].as_array().unwrap().len(), 1);
    }
    let listed = call(&mut c, "List", json!({ "all": true, "filters": [format!("id={id}")] })).unwrap();
    assert_eq!(listed["containers"].as_array().unwrap().len(), 1);
    c.call("io.berth.Pod.Create", json!({ "name": "testpod" })).unwrap();
    let opts = json!({ "options": { "rootfs": d.rootfs(), "command": ["/bin/sleep", "600"], "name": "testctr", "pod": "testpod" } });
    call(&mut c, "Create", opts).unwrap();
    let last = call(&mut c, "List", json!({ "all": true, "latest": true })).unwrap();
    assert_eq!(last["containers"][0]["podName"], "testpod");
}

/// C-bindctr-52, 54..61: prune takes stopped containers only, and its
/// filters are label and until, not list filters.
#[test]
fn bindings_prune_and_until() {
    use serde_json::json;
    let d = Daemon::start();
    let mut c = d.client();
    let running = create(&d, &["--name", "running"], &["/bin/sleep", "600"]);
    ok(&d, &["start", &running]);
    let pruned = c.call("io.berth.Container.Prune", json!({})).unwrap();
    assert_eq!(pruned["reports"], json!([]));
    run_ls(&d, &["--name", "done"], &["/bin/true"]);
    for bad in ["status=dummy", "name=top"] {
        let e = api_error(c.call("io.berth.Container.Prune", json!({ "filters": [bad] })));
        assert_eq!(e, "io.berth.Container.InvalidArgument", "{bad}");
    }
    let none = c.call("io.berth.Container.Prune", json!({ "filters": ["label=xyz"] })).unwrap();
    assert_eq!(none["reports"], json!([]));
    let listed = |c: &mut berth::client::Client, until: &str| {
        let r =
            c.call("io.berth.Container.List", json!({ "all": true, "filters": [format!("until={until}")] })).unwrap();
        r["containers"].as_array().unwrap().len()
    };
    assert_eq!(listed(&mut c, "5000000000"), 2);
    assert_eq!(listed(&mut c, "500000"), 0);
    let r = c.call("io.berth.Container.Prune", json!({ "filters": ["until=5000000000"] })).unwrap();
    assert_eq!(r["reports"].as_array().unwrap().len(), 1);
    ok(&d, &["rm", "-f", "-t", "0", "running"]);
}

// test/e2e/pod_create_test.go (the catalogue's part)

/// C-podcreate-1..10, 43..47, 61..63: pod names are unique and shared with
/// containers; --pod-id-file; --replace; the pod's State.
#[test]
fn pod_create() {
    let d = Daemon::start();
    let pod = ok(&d, &["pod", "create"]).trim().to_string();
    let listed = ok(&d, &["pod", "ps", "-q", "--no-trunc"]);
    assert!(listed.contains(&pod) && listed.lines().count() == 1);
    ok(&d, &["pod", "rm", &pod]);
    ok(&d, &["pod", "create", "--name=test"]);
    assert!(ok(&d, &["pod", "ps", "--no-trunc"]).contains("test"));
    assert_ne!(run(&d, &["pod", "create", "--name=test"]).0, 0);
    assert_eq!(ok(&d, &["pod", "ps", "-q"]).lines().count(), 1);
    ok(&d, &["pod", "rm", "test"]);
    create(&d, &["--name", "test"], &["/bin/ls"]);
    assert_ne!(run(&d, &["pod", "create", "--name=test"]).0, 0, "a container holds the name");
    assert_eq!(ok(&d, &["pod", "ps", "-q"]), "");
    let file = d.dir.path().join("target-file");
    ok(&d, &["pod", "create", "--name=abc", "--pod-id-file", file.to_str().unwrap()]);
    assert_eq!(
        ok(&d, &["pod", "inspect", "--format", "{{.ID}}", "abc"]).trim(),
        std::fs::read_to_string(&file).unwrap()
    );
    assert_eq!(run(&d, &["pod", "create", "--replace", "quay.io/libpod/alpine:latest", "/bin/sh"]).0, 125);
    assert_eq!(run(&d, &["pod", "create", "--replace"]).0, 125);
    for _ in 0..5 {
        ok(&d, &["pod", "create", "--replace", "--name", "testCtr"]);
    }
    ok(&d, &["pod", "create", "--name", "testpod"]);
    assert_eq!(ok(&d, &["pod", "inspect", "--format", "{{ .State }}", "testpod"]), "Created\n");
    ok(&d, &["run", "--pod", "testpod", "-d", "--rootfs", &d.rootfs(), "--", "/bin/sleep", "600"]);
    assert_eq!(ok(&d, &["pod", "inspect", "--format", "{{ .State }}", "testpod"]), "Running\n");
    create(&d, &["--pod", "testpod"], &["/bin/sleep", "600"]);
    assert_eq!(ok(&d, &["pod", "inspect", "--format", "{{ .State }}", "testpod"]), "Degraded\n");
    ok(&d, &["pod", "rm", "-af", "-t", "0"]);
}

/// B-ps-7, 29, 31, 32: --size, not with -q; {{.Size}} needs it; --sort=size.
#[test]
fn ps_size() {
    let d = with_image();
    let image = "quay.io/libpod/alpine:latest";
    ok(&d, &["create", image, "/bin/ls"]);
    let big = ok(&d, &["run", "-d", image, "/bin/sh", "-c", "head -c 300000 /bin/busybox > /data/big; sleep 600"])
        .trim()
        .to_string();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(ok(&d, &["ps", "-a", "--size"]).lines().count() > 1);
    assert_ne!(run(&d, &["ps", "-aqs"]).0, 0);
    let (code, _, err) = run(&d, &["ps", "-a", "--format", "{{.Size}}"]);
    assert_eq!(code, 0);
    assert!(err.contains("Size format requires --size option"), "{err}");
    let sizes = ok(&d, &["ps", "-a", "-s", "--sort=size", "--format", "{{.ID}} {{.Size}}"]);
    let lines: Vec<&str> = sizes.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[1].starts_with(&big[..12]) && lines[1].contains("(virtual"), "{sizes}");
    assert!(lines[1].contains(" kB") && lines[0].contains("0 B (virtual"), "{sizes}");
    ok(&d, &["rm", "-af", "-t", "0"]);
}

/// C-podbats-7, 43: --noout prints nothing on standard output.
#[test]
fn noout() {
    let d = Daemon::start();
    assert_eq!(ok(&d, &["--noout", "pod", "create", "--name", "quiet", "--infra-name", "quiet-infra"]), "");
    assert_eq!(ok(&d, &["pod", "ps", "-q"]).lines().count(), 1);
    assert_eq!(ok(&d, &["--noout", "pod", "rm", "-f", "-t", "0", "quiet"]), "");
    assert_eq!(ok(&d, &["pod", "ps", "-q"]), "");
}

/// C-runvol-22, 26, 66, 67: named volumes made on first use, and not
/// filled from the image when not empty.
#[test]
fn run_named_volumes() {
    let d = with_image();
    let image = "quay.io/libpod/alpine:latest";
    let out = ok(
        &d,
        &[
            "run",
            "--rm",
            "-v",
            "testvol1:/testvol1",
            "-v",
            "testvol2:/testvol2",
            image,
            "/bin/sh",
            "-c",
            "grep /testvol /proc/self/mountinfo",
        ],
    );
    assert!(out.contains("/testvol1") && out.contains("/testvol2"), "{out}");
    ok(&d, &["volume", "create", "myvolume"]);
    assert_eq!(ok(&d, &["volume", "ls", "-q"]), "testvol1\ntestvol2\nmyvolume\n", "kept after --rm");
    ok(&d, &["volume", "create", "testVol"]);
    let mountpoint = ok(&d, &["volume", "inspect", "--format", "{{.Mountpoint}}", "testVol"]).trim().to_string();
    std::fs::write(std::path::Path::new(&mountpoint).join("thisIsATestFile"), "x").unwrap();
    // The image's /data holds files; a volume there that holds some is not filled.
    assert!(ok(&d, &["run", "--rm", image, "/bin/sh", "-c", "ls -1 /data"]).contains("new"));
    let listed = ok(&d, &["run", "--rm", "-v", "testVol:/data", image, "/bin/sh", "-c", "ls -1 /data"]);
    assert_eq!(listed, "thisIsATestFile\n", "a volume with files is not filled from the image");
}

/// C-runvol-27, 29, 43..47, 49, 50: a volume empty at its first start gets
/// what the image has at its destination, owner and mode too (so the
/// image's user may write where the image let it), unless `nocopy`.
#[test]
fn run_volume_copy_up() {
    let d = with_image();
    let image = "quay.io/libpod/alpine:latest";
    ok(&d, &["volume", "create", "myvolume"]);
    ok(&d, &["run", "--rm", "--volume", "myvolume:/data", image, "/bin/sh", "-c", "echo hello >> /data/test"]);
    let listed = ok(&d, &["run", "--rm", "--volume", "myvolume:/data", image, "/bin/sh", "-c", "ls /data"]);
    assert!(listed.lines().any(|l| l == "test"), "{listed}");
    let baseline = ok(&d, &["run", "--rm", image, "/bin/sh", "-c", "ls /etc"]);
    assert!(baseline.contains("passwd"), "{baseline}");
    let implicit = ok(&d, &["run", "--rm", "-v", "testvol1:/etc", image, "/bin/sh", "-c", "ls /etc"]);
    assert_eq!(implicit, baseline);
    ok(&d, &["volume", "create", "testvol2"]);
    assert_eq!(ok(&d, &["run", "--rm", "-v", "testvol2:/etc", image, "/bin/sh", "-c", "ls /etc"]), baseline);
    ok(&d, &["run", "--rm", "-v", "testvol3:/etc:copy", image, "/bin/sh", "-c", "stat -c %h /etc/passwd"]);
    let (code, _, _) =
        run(&d, &["run", "--rm", "-v", "testvol4:/etc:nocopy", image, "/bin/sh", "-c", "stat -c %h /etc/passwd"]);
    assert_eq!(code, 1);
    let anonymous = ok(&d, &["run", "-v", "/etc", image, "/bin/sh", "-c", "ls /etc"]);
    assert_eq!(anonymous, baseline);
}

/// C-bindctr-1..3, 5, 7, 9, 11..16, 18, 20..28, 41..51, 53: the lifecycle
/// calls of podman's Go bindings, on varlink: a missing container is
/// NoSuchContainer where podman's REST says 404, a call the state refuses
/// is InvalidState (or InvalidArgument for a bogus signal) where it says
/// 500.
#[test]
fn bindings_lifecycle() {
    use serde_json::json;
    let d = Daemon::start();
    let mut c = d.client();
    let (call, state) = (api_call, api_state);
    let top = |c: &mut berth::client::Client, name: &str| api_top(c, &d, name);
    const MISSING: &str = "io.berth.Container.NoSuchContainer";
    const REFUSED: &str = "io.berth.Container.InvalidState";
    for m in ["Pause", "Unpause", "Wait", "Init"] {
        assert_eq!(api_error(call(&mut c, m, json!({ "nameOrId": "foobar" }))), MISSING, "{m}");
    }
    assert_eq!(api_error(call(&mut c, "Kill", json!({ "nameOrId": "foobar", "signal": "SIGTERM" }))), MISSING);

    let id = top(&mut c, "top");
    for who in ["top", id.as_str()] {
        call(&mut c, "Pause", json!({ "nameOrId": who })).unwrap();
        assert_eq!(api_error(call(&mut c, "Pause", json!({ "nameOrId": who }))), REFUSED, "paused twice");
        call(&mut c, "Unpause", json!({ "nameOrId": who })).unwrap();
    }
    call(&mut c, "Pause", json!({ "nameOrId": id })).unwrap();
    assert_eq!(api_error(call(&mut c, "Remove", json!({ "nameOrId": id }))), REFUSED);
    assert_eq!(api_error(call(&mut c, "Stop", json!({ "nameOrId": "top" }))), REFUSED, "a paused one");
    call(&mut c, "Unpause", json!({ "nameOrId": id })).unwrap();
    call(&mut c, "Stop", json!({ "nameOrId": id, "timeout": 0 })).unwrap();
    assert!(matches!(state(&mut c, &id).as_str(), "exited" | "stopped"));
    assert_eq!(api_error(call(&mut c, "Pause", json!({ "nameOrId": "top" }))), REFUSED, "a stopped one");
    call(&mut c, "Remove", json!({ "nameOrId": id })).unwrap();

    // Wait: the exit code of a stop (SIGTERM: 143, with an init to take
    // the signal as podman's top does); a condition is -1.
    let opts = json!({ "options": { "rootfs": d.rootfs(), "command": ["/bin/sleep", "600"], "name": "waited", "init": true } });
    let id = call(&mut c, "Create", opts).unwrap()["id"].as_str().unwrap().to_string();
    call(&mut c, "Start", json!({ "nameOrId": id })).unwrap();
    let waiter = {
        let mut w = d.client();
        std::thread::spawn(move || w.call("io.berth.Container.Wait", json!({ "nameOrId": "waited" })).unwrap())
    };
    std::thread::sleep(std::time::Duration::from_millis(200));
    call(&mut c, "Stop", json!({ "nameOrId": id })).unwrap();
    assert_eq!(waiter.join().unwrap()["exitCode"], 143);
    call(&mut c, "Start", json!({ "nameOrId": id })).unwrap();
    for (condition, act) in [("paused", "Pause"), ("running", "Unpause")] {
        let addr = d.address.clone();
        let waiting = std::thread::spawn(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_berthctl"))
                .env("BERTH_ADDRESS", addr)
                .args(["wait", "--condition", condition, "waited"])
                .output()
                .unwrap()
        });
        std::thread::sleep(std::time::Duration::from_millis(300));
        call(&mut c, act, json!({ "nameOrId": id })).unwrap();
        let out = waiting.join().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "-1\n", "{condition}");
    }

    // Kill: by name and ID, with SIGINT, SIGTERM, SIGKILL; a bogus signal.
    call(&mut c, "Kill", json!({ "nameOrId": "waited", "signal": "SIGINT" })).unwrap();
    assert!(call(&mut c, "Exists", json!({ "nameOrId": "waited" })).unwrap()["exists"] == true);
    let second = top(&mut c, "second");
    call(&mut c, "Kill", json!({ "nameOrId": second, "signal": "SIGTERM" })).unwrap();
    let third = top(&mut c, "third");
    let bogus = api_error(call(&mut c, "Kill", json!({ "nameOrId": third, "signal": "foobar" })));
    assert_eq!(bogus, "io.berth.Container.InvalidArgument");
    call(&mut c, "Kill", json!({ "nameOrId": third, "signal": "SIGKILL" })).unwrap();
    let latest = call(&mut c, "List", json!({ "all": true, "latest": true })).unwrap()["containers"][0]["name"].clone();
    assert_eq!(latest, "third");

    // Init: once, then refused.
    let opts = json!({ "options": { "rootfs": d.rootfs(), "command": ["/bin/true"] } });
    let fresh = call(&mut c, "Create", opts).unwrap()["id"].as_str().unwrap().to_string();
    call(&mut c, "Init", json!({ "nameOrId": fresh })).unwrap();
    assert!(call(&mut c, "Init", json!({ "nameOrId": fresh })).is_err());

    // Prune takes what stopped, and what the filters let through.
    for name in ["waited", "second", "third"] {
        let _ = call(&mut c, "Stop", json!({ "nameOrId": name, "timeout": 0 }));
    }
    call(&mut c, "Remove", json!({ "nameOrId": fresh, "force": true })).unwrap();
    let opts = json!({ "options": { "rootfs": d.rootfs(), "command": ["/bin/true"], "labels": { "keep": "yes" } } });
    let kept = call(&mut c, "Create", opts).unwrap()["id"].as_str().unwrap().to_string();
    call(&mut c, "Start", json!({ "nameOrId": kept })).unwrap();
    call(&mut c, "Wait", json!({ "nameOrId": kept })).unwrap();
    let pruned = call(&mut c, "Prune", json!({ "filters": ["label!=keep=yes"] })).unwrap()["reports"].clone();
    assert_eq!(pruned.as_array().unwrap().len(), 3, "{pruned}");
    let pruned = call(&mut c, "Prune", json!({})).unwrap()["reports"].clone();
    assert_eq!(pruned[0]["id"], kept.as_str());
}

/// A-prune-35..42: `system prune -f -a` takes exited pods, containers
/// and the images no container uses, and keeps volumes without --volumes;
/// without -a, named images stay.
#[test]
fn system_prune_all() {
    let d = with_image();
    let image = "quay.io/libpod/alpine:latest";
    let pod = create_pod(&d, None);
    ok(&d, &["pod", "start", &pod]);
    ok(&d, &["pod", "stop", &pod]);
    ok(&d, &["create", "--name", "test", image]);
    ok(&d, &["volume", "create"]);
    // A-prune-35: without -a, images with names stay.
    let images = ok(&d, &["images", "-q"]);
    ok(&d, &["system", "prune", "-f"]);
    assert_eq!(ok(&d, &["images", "-q"]), images);
    ok(&d, &["create", "--name", "test", image]);
    let out = ok(&d, &["system", "prune", "-f", "-a"]);
    assert!(out.contains("Deleted Images"), "{out}");
    assert_eq!(pods(&d), 0);
    assert_eq!(count(&d), 0);
    assert_eq!(ok(&d, &["volume", "ls"]).lines().count(), 2);
    assert_eq!(ok(&d, &["images", "--format", "{{.ID}}"]), "");
}

/// B-ps-14, 15, 17, 30, 40: ps --ns (the namespaces of a running
/// container, none empty, as a table, a `with` template and JSON), which
/// does not go with --size, and --sync.
#[test]
fn ps_namespaces_and_sync() {
    let d = Daemon::start();
    let cid = run_top(&d, Some("nsctr"));
    assert!(ok(&d, &["ps", "-a", "--namespace"]).lines().count() > 1);
    let template = "{{with .Namespaces}}{{.Cgroup}}:{{.IPC}}:{{.MNT}}:{{.NET}}:{{.PIDNS}}:{{.User}}:{{.UTS}}{{end}}";
    let line = ok(&d, &["ps", "-a", "--ns", "--format", template]);
    assert!(!line.contains("::") && line.trim().split(':').count() == 7, "{line}");
    let own_net = std::fs::read_link("/proc/self/ns/net").unwrap().to_string_lossy().into_owned();
    assert!(!own_net.contains(line.trim().split(':').nth(3).unwrap()), "a namespace of its own");
    let json: serde_json::Value = serde_json::from_str(&ok(&d, &["ps", "-a", "--ns", "--format", "json"])).unwrap();
    assert!(json[0]["Namespaces"]["NET"].as_str().is_some_and(|n| !n.is_empty()), "{json}");
    assert_ne!(run(&d, &["ps", "-a", "--ns", "-s"]).0, 0);
    assert_eq!(ok(&d, &["ps", "-q", "--no-trunc", "--sync"]).lines().next(), Some(cid.as_str()));
}

/// C-podbats-74: pod ps while pods are being removed answers.
#[test]
fn pod_ps_during_pod_rm() {
    let d = Daemon::start();
    for _ in 0..11 {
        create_pod(&d, None);
    }
    let remover = {
        let addr = d.address.clone();
        std::thread::spawn(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_berthctl"))
                .env("BERTH_ADDRESS", addr)
                .args(["pod", "rm", "-a"])
                .status()
                .unwrap()
        })
    };
    for _ in 0..10 {
        assert_eq!(run(&d, &["pod", "ps", "-q"]).0, 0);
    }
    assert!(remover.join().unwrap().success());
    assert_eq!(pods(&d), 0);
}

/// B-insp-1, 4, 5 and C-run030-78, 79: an image's inspect (JSON with
/// podman's RepoTags, a template, --type image), its full ID in `images
/// -q --no-trunc`, and a run of an untagged image by its ID.
#[test]
fn image_inspect_untag_and_run_by_id() {
    let d = with_image();
    let image = "quay.io/libpod/alpine:latest";
    let json: serde_json::Value = serde_json::from_str(&ok(&d, &["inspect", "--format=json", image])).unwrap();
    assert_eq!(json[0]["RepoTags"][0], image);
    let id = ok(&d, &["inspect", "--format", "{{.ID}}", image]).trim().to_string();
    assert_eq!(ok(&d, &["images", "-q", "--no-trunc", image]), format!("sha256:{id}\n"));
    ok(&d, &["inspect", "--type", "image", image]);
    ok(&d, &["image", "untag", image]);
    assert_eq!(run(&d, &["image", "exists", image]).0, 1);
    assert_eq!(run(&d, &["image", "exists", &id]).0, 0, "an untagged image stays");
    ok(&d, &["run", "--rm", &id, "true"]);
    ok(&d, &["image", "tag", &id, image]);
    assert_eq!(run(&d, &["image", "exists", image]).0, 0);
}

/// C-runvol-80, 94, 95, 97..99 and the setup steps of create_test.go's
/// pod network checks (A-create-81, 83, 85, 88, 90): a volume twice in
/// one container, a volume copied up with the mode and time of what it
/// covers, volumes owned as `--opt o=uid=,gid=` says, and containers run
/// in pods made by `--pod new:`.
#[test]
fn volume_options_and_copy_up() {
    let d = with_image();
    let image = "quay.io/libpod/alpine:latest";
    let sh = |args: &[&str], script: &str| {
        let mut full = vec!["run", "--rm", "--user", "0"];
        full.extend(args);
        full.extend([image, "/bin/sh", "-c", script]);
        ok(&d, &full)
    };
    let mounts =
        sh(&["-v", "testVol1:/test1", "-v", "testVol1:/test2"], "/bin/busybox grep /test /proc/self/mountinfo");
    assert_eq!(mounts.lines().count(), 2, "{mounts}");
    let baseline = sh(&[], "/bin/busybox stat -c '%a %Y' /tmp");
    assert_eq!(sh(&["-v", "test:/tmp"], "/bin/busybox stat -c '%a %Y' /tmp"), baseline);
    for (opt, format, want) in
        [("o=uid=1000", "%u", "1000"), ("o=gid=1000", "%g", "1000"), ("o=uid=1000,gid=1000", "%u:%g", "1000:1000")]
    {
        let name = ok(&d, &["volume", "create", "--opt", opt]).trim().to_string();
        let out = sh(&["-v", &format!("{name}:/test")], &format!("/bin/busybox stat -c {format} /test"));
        assert_eq!(out.trim(), want, "{opt}");
    }
    assert_eq!(run(&d, &["volume", "create", "--opt", "device=/dev/sda1"]).0, 125, "a device needs a type");
    assert_eq!(run(&d, &["volume", "create", "--opt", "o=nodev"]).0, 125);
    assert_eq!(run(&d, &["volume", "create", "--opt", "colour=red"]).0, 125);
    for pod in ["createwithstaticip", "createwithstaticmac", "createwithnetwork", "createwithports"] {
        ok(&d, &["run", "--pod", &format!("new:{pod}"), "-d", image, "/bin/sleep", "600"]);
    }
    ok(&d, &["pod", "rm", "-af", "-t", "0"]);
}

/// C-mount-29..36 and C-mountbats-5..12: image mount and umount: counted
/// mounts, the list (and as JSON), -a on both sides, -f, and podman's
/// words for an image that is not there.
#[test]
fn image_mount() {
    let d = with_image();
    let image = "quay.io/libpod/alpine:latest";
    ok(&d, &["images"]);
    ok(&d, &["image", "mount", image]);
    ok(&d, &["image", "umount", image]);
    assert_eq!(ok(&d, &["image", "mount"]), "");
    for _ in 0..3 {
        ok(&d, &["image", "mount", image]);
    }
    assert!(ok(&d, &["image", "mount"]).contains(image));
    let listed: serde_json::Value = serde_json::from_str(&ok(&d, &["image", "mount", "--format=json"])).unwrap();
    assert_eq!(listed[0]["names"][0], image);
    assert_eq!(ok(&d, &["image", "umount", "--all"]).lines().count(), 1);
    assert_eq!(ok(&d, &["image", "mount"]), "");

    let id = ok(&d, &["image", "inspect", "--format", "{{.Id}}", image]).trim().to_string();
    let path = ok(&d, &["image", "mount", image]).trim().to_string();
    let all = ok(&d, &["image", "mount", "-a"]);
    assert_eq!(all.trim(), format!("{image} {path}"));
    let root = std::path::Path::new(&path);
    assert!(root.is_dir());
    assert_eq!(std::fs::read_to_string(root.join("data/new")).unwrap(), "from the upper layer\n");
    assert!(std::fs::write(root.join("data/new"), "no").is_err(), "an image mount is read-only");
    assert_eq!(ok(&d, &["image", "mount"]).trim(), format!("{image} {path}"));
    assert_eq!(ok(&d, &["image", "umount", "-f", image]).trim(), id);
    assert!(!root.join("data/new").exists());
    assert_eq!(ok(&d, &["image", "umount", image]), "", "no second unmount");
    let (code, _, err) = run(&d, &["image", "umount", "no-such-container"]);
    assert_eq!(code, 125);
    assert_eq!(err.trim(), "Error: no-such-container: image not known");
    assert_eq!(ok(&d, &["image", "mount"]), "");
}

/// C-runvol-38..42, 64, 65: a tmpfs volume is mounted (with its options)
/// while a container that uses it runs and unmounted when it stops (berth
/// cleans up at the exit, where podman's test runs `container cleanup`);
/// one with a bad option is made, and fails the run that mounts it.
#[test]
fn tmpfs_volumes() {
    let d = with_image();
    let image = "quay.io/libpod/alpine:latest";
    ok(&d, &["volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", "o=nodev", "testvol"]);
    let dir = ok(&d, &["volume", "inspect", "--format", "{{.Mountpoint}}", "testvol"]).trim().to_string();
    let host_mounted = || std::fs::read_to_string("/proc/self/mountinfo").unwrap().contains(&format!(" {dir} "));
    assert!(!host_mounted(), "not mounted at create");
    ok(&d, &["run", "-d", "--name", "testctr", "-v", "testvol:/testvol", image, "sleep", "600"]);
    assert!(host_mounted());
    let inside = ok(&d, &["exec", "testctr", "/bin/busybox", "grep", " /testvol ", "/proc/self/mountinfo"]);
    assert!(inside.contains("nodev") && inside.contains("tmpfs"), "{inside}");
    ok(&d, &["stop", "--time", "0", "testctr"]);
    assert!(!host_mounted(), "unmounted when its last user stopped");
    ok(&d, &["volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt", "o=invalid", "testVol"]);
    assert_ne!(run(&d, &["run", "--rm", "-v", "testVol:/tmp", image, "ls"]).0, 0);
    assert_eq!(count(&d), 1, "the failed run left nothing (--rm)");
}

/// C-runvol-63 and the image's VOLUMEs: a container of an image that
/// declares one gets an anonymous volume there (not noexec), unless it
/// mounts something there itself.
#[test]
fn image_volumes() {
    let d = with_image();
    let img = common::image::build_with(
        &d.dir.path().join("volume-image"),
        serde_json::json!({ "Cmd": ["/bin/sh"], "Env": ["PATH=/bin"], "Volumes": { "/data": {} } }),
    );
    ok(&d, &["image", "import", img.layout.to_str().unwrap(), "localhost/redis-like:latest"]);
    let mounts =
        ok(&d, &["run", "--rm", "localhost/redis-like", "/bin/busybox", "grep", " /data ", "/proc/self/mountinfo"]);
    assert!(!mounts.is_empty() && !mounts.contains("noexec"), "{mounts}");
    let id = ok(&d, &["create", "localhost/redis-like"]).trim().to_string();
    assert_eq!(ok(&d, &["inspect", "--format", "{{(index .Mounts 0).Destination}}", &id]), "/data\n");
    ok(&d, &["volume", "create", "mine"]);
    let own = ok(&d, &["create", "-v", "mine:/data", "localhost/redis-like"]).trim().to_string();
    assert_eq!(ok(&d, &["inspect", "--format", "{{(index .Mounts 0).Name}}", &own]), "mine\n");
    // C-runvol-18: a host directory there wins over the image's volume too.
    let host = d.dir.path().join("data-dir");
    std::fs::create_dir_all(&host).unwrap();
    std::fs::write(host.join("test1"), "").unwrap();
    let bind = format!("{}:/data", host.display());
    ok(&d, &["run", "--rm", "-v", &bind, "localhost/redis-like", "/bin/busybox", "ls", "/data/test1"]);
    let id = ok(&d, &["create", "-v", &bind, "localhost/redis-like"]).trim().to_string();
    let mounts: serde_json::Value =
        serde_json::from_str(&ok(&d, &["inspect", "--format", "{{json .Mounts}}", &id])).unwrap();
    assert_eq!(mounts.as_array().unwrap().len(), 1, "{mounts}");
    let mounts: serde_json::Value =
        serde_json::from_str(&ok(&d, &["inspect", "--format", "{{json .Mounts}}", &own])).unwrap();
    assert_eq!(mounts.as_array().unwrap().len(), 1);
}

/// C-bindctr-33..36 and C-podbats-4..6 (sleep where podman's runs top):
/// Top by name and ID, with descriptors (an unknown one shows as itself),
/// of a missing container; pod top lists every member's processes.
#[test]
fn top_containers_and_pods() {
    use serde_json::json;
    let d = with_image();
    let image = "quay.io/libpod/alpine:latest";
    let cid = ok(&d, &["run", "-d", "--name", "topper", "--user", "0", image, "sleep", "600"]).trim().to_string();
    let mut c = d.client();
    for who in ["topper", cid.as_str()] {
        let r = c.call("io.berth.Container.Top", json!({ "nameOrId": who })).unwrap();
        assert_eq!(r["titles"][0], "USER");
        assert_eq!(r["processes"][0][0], "root", "{r}");
        assert_eq!(r["processes"][0][7], "sleep 600");
    }
    let r =
        c.call("io.berth.Container.Top", json!({ "nameOrId": cid, "descriptors": ["user", "pid", "hpid"] })).unwrap();
    assert_eq!(r["titles"], json!(["USER", "PID", "HPID"]));
    assert_eq!(r["processes"][0][1], "1", "its own PID namespace");
    let hpid = r["processes"][0][2].as_str().unwrap().to_string();
    assert_eq!(ok(&d, &["inspect", "--format", "{{.State.Pid}}", "topper"]).trim(), hpid);
    assert_eq!(
        api_error(c.call("io.berth.Container.Top", json!({ "nameOrId": "IdoNotExist" }))),
        "io.berth.Container.NoSuchContainer"
    );
    let r = c.call("io.berth.Container.Top", json!({ "nameOrId": cid, "descriptors": ["Me,Neither"] })).unwrap();
    assert_eq!(r["titles"], json!(["ME", "NEITHER"]));
    let table = ok(&d, &["top", "topper", "user", "pid", "args"]);
    assert!(table.starts_with("USER") && table.contains("sleep 600"), "{table}");
    ok(&d, &["rm", "-f", "-t", "0", "topper"]);

    let pod = ok(&d, &["pod", "create", "--infra=false"]).trim().to_string();
    for _ in 0..2 {
        ok(&d, &["run", "-d", "--pod", &pod, "--user", "0", image, "sleep", "600"]);
    }
    let table = ok(&d, &["pod", "top", &pod]);
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("root") && l.contains("sleep 600")).collect();
    assert_eq!(rows.len(), 2, "{table}");
    ok(&d, &["pod", "rm", "-f", "-t", "0", &pod]);
}

/// C-runvol-28, 30..33: a volume under `:O` is an overlay's lower layer:
/// writes go to the upperdir= given (kept, and seen again with it) or to a
/// layer that the next run does not see. C-run030-89/90: `--rootfs DIR:O`,
/// from a mounted image, leaves the directory as it was.
#[test]
fn overlay_volumes_and_rootfs() {
    let d = with_image();
    let image = "quay.io/libpod/alpine:latest";
    let sh = |extra: &[&str], script: &str| {
        // As root, as in podman's alpine: the upperdir= made here is root's.
        let mut args = vec!["run", "--rm", "--user", "root"];
        args.extend(extra);
        args.extend([image, "/bin/sh", "-c", script]);
        ok(&d, &args)
    };
    ok(&d, &["volume", "create", "myvolume"]);
    sh(&["-v", "myvolume:/data"], "echo hello >> /data/test");
    sh(&["-v", "myvolume:/data:O"], "echo hello >> /data/overlay");
    // "new" is the image's, copied up into the volume at its first use.
    assert_eq!(sh(&["-v", "myvolume:/data"], "ls /data"), "new\ntest\n");
    let (upper, work) = (d.dir.path().join("upper"), d.dir.path().join("work"));
    std::fs::create_dir_all(&upper).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    let kept = format!("myvolume:/data:O,upperdir={},workdir={}", upper.display(), work.display());
    sh(&["-v", &kept], "echo hello >> /data/overlay");
    assert_eq!(sh(&["-v", &kept], "ls /data"), "new\noverlay\ntest\n");
    assert_eq!(sh(&["-v", "myvolume:/data:O"], "ls /data"), "new\ntest\n");
    assert_eq!(std::fs::read_to_string(upper.join("overlay")).unwrap(), "hello\n");
    for bad in [
        "myvolume:/data:upperdir=/u,workdir=/w",
        "myvolume:/data:O,upperdir=/u",
        "myvolume:/data:O,upperdir=u,workdir=w",
    ] {
        let (code, _, err) = run(&d, &["create", "-v", bad, image, "true"]);
        assert_eq!(code, 125, "{bad}");
        assert!(err.contains("upperdir= and workdir="), "{err}");
    }

    let mounted = ok(&d, &["image", "mount", image]).trim().to_string();
    let rootfs = format!("{mounted}:O");
    let script = "echo Hello world; echo written > /written";
    assert_eq!(ok(&d, &["run", "--name", "overlaid", "--rootfs", &rootfs, "/bin/sh", "-c", script]), "Hello world\n");
    assert!(!std::path::Path::new(&mounted).join("written").exists());
    assert_eq!(ok(&d, &["container", "inspect", "overlaid", "--format", "{{.ImageDigest}}"]), "\n");
    ok(&d, &["rm", "-f", "-t0", "overlaid"]);
    ok(&d, &["image", "unmount", image]);
    // A writable directory stays unwritten too.
    let dir = d.rootfs();
    let script = "echo changed > /bin/sh.txt; cat /bin/sh.txt";
    assert_eq!(ok(&d, &["run", "--rm", "--rootfs", &format!("{dir}:O"), "/bin/sh", "-c", script]), "changed\n");
    assert!(!std::path::Path::new(&dir).join("bin/sh.txt").exists());
}

// test/system/030-run.bats, test/e2e/create_test.go and
// pkg/bindings/test/containers_test.go: terminals, stdin and output

/// A-create-98, C-run030-107, C-run030-132, C-run030-91: create takes no
/// detach keys; run -i passes stdin through and closes it; --attach picks
/// the streams shown (stdin alone: the ID is printed); a big output is
/// neither cut nor hangs.
#[test]
fn run_attaches_the_streams_asked_for() {
    let d = Daemon::start();
    let rootfs = d.rootfs();
    let (code, _, err) = run(&d, &["create", "--detach-keys", "ctrl-x", "--rootfs", &rootfs, "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("--detach-keys"), "{err}");
    let random = "sLJqEMvbtLPWHhkzxnJnDsmhBSDY";
    let mut cat = std::process::Command::new(env!("CARGO_BIN_EXE_berthctl"))
        .env("BERTH_ADDRESS", &d.address)
        .args(["run", "-i", "--rm", "--rootfs", &rootfs, "cat"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut cat.stdin.take().unwrap(), format!("{random}\n").as_bytes()).unwrap();
    let out = cat.wait_with_output().unwrap();
    assert_eq!((out.status.code(), String::from_utf8(out.stdout).unwrap()), (Some(0), format!("{random}\n")));
    let printed = ok(&d, &["run", "--name", "quiet", "--attach", "stdin", "--rootfs", &rootfs, "echo", "hello"]);
    let id = ok(&d, &["inspect", "--format", "{{.Id}}", "quiet"]);
    assert_eq!(printed, id);
    ok(&d, &["rm", "quiet"]);
    let dd = ["dd", "if=/dev/zero", "count=700000", "bs=1"];
    let mut args = vec!["run", "--attach", "stderr", "--log-driver", "k8s-file", "--rootfs", &rootfs];
    args.extend(dd);
    let (code, out, err) = run(&d, &args);
    assert_eq!((code, out.as_str()), (0, ""));
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines[..2], ["700000+0 records in", "700000+0 records out"], "{err}");
    let (code, _, err) = run(&d, &["run", "-a", "stdcolour", "--rootfs", &rootfs, "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("stdcolour"), "{err}");
}

/// C-run030-115: --log-opt max-size sets conmon's limit (podman's units,
/// powers of 1000). (differs: berth shows it as .Config.LogSizeMax in
/// bytes where podman has HostConfig.LogConfig.Size as 10MB.)
#[test]
fn log_opt_max_size() {
    let d = Daemon::start();
    let rootfs = d.rootfs();
    let id = ok(&d, &["run", "-d", "--rm", "--log-opt", "max-size=10m", "--rootfs", &rootfs, "sleep", "5"]);
    let size = ok(&d, &["inspect", "--format", "{{.Config.LogSizeMax}}", id.trim()]);
    assert_eq!(size.trim(), "10000000");
    ok(&d, &["rm", "-t", "0", "-f", id.trim()]);
    let (code, _, err) = run(&d, &["create", "--log-opt", "max-file=3", "--rootfs", &rootfs, "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("max-file=3"), "{err}");
}

/// C-bindctr-31, 32: a container on a terminal runs `date -R`; its log,
/// followed, starts with a line in RFC 1123 form.
#[test]
fn a_terminal_containers_output_is_logged() {
    let d = Daemon::start();
    let id = create(&d, &["-t"], &["date", "-R"]);
    ok(&d, &["start", &id]);
    assert_eq!(ok(&d, &["wait", &id]).trim(), "0");
    let logged = ok(&d, &["logs", "-f", &id]);
    let first = logged.lines().next().unwrap_or_default().trim();
    let rfc1123z =
        regex::Regex::new(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$").unwrap();
    assert!(rfc1123z.is_match(first), "{logged:?}");
}

// test/e2e/create_test.go, test/e2e/events_test.go and
// pkg/bindings/test/containers_test.go: restart policies and health checks

/// A-create-59..63: --restart parses podman's forms; retries only with
/// on-failure. (differs: berth shows .Config.RestartPolicy and
/// .Config.RestartRetries where podman has HostConfig.RestartPolicy.)
#[test]
fn create_restart_policies() {
    let d = Daemon::start();
    create(&d, &["-t", "--restart", "on-failure:5", "--name", "testctr"], &["/bin/sh"]);
    let policy = ok(&d, &["inspect", "--format", "{{.Config.RestartPolicy}} {{.Config.RestartRetries}}", "testctr"]);
    assert_eq!(policy.trim(), "on-failure 5");
    let rootfs = d.rootfs();
    assert_ne!(run(&d, &["create", "-t", "--restart", "always:5", "--rootfs", &rootfs, "/bin/sh"]).0, 0);
    create(&d, &["-t", "--restart", "unless-stopped", "--name", "stays"], &["/bin/sh"]);
    assert_eq!(ok(&d, &["inspect", "--format", "{{.Config.RestartPolicy}}", "stays"]).trim(), "unless-stopped");
}

/// B-ev-15, C-bindctr-29, 30: a check run now is a health_status event;
/// a check of no container or of one without a check fails. (differs:
/// berth answers NoSuchContainer and InvalidArgument where podman's REST
/// API answers 404 and 409.)
#[test]
fn healthcheck_run_and_its_event() {
    let d = Daemon::start();
    let rootfs = d.rootfs();
    ok(
        &d,
        &["run", "--name", "test-hc", "-d", "-t", "--health-cmd", "echo working", "--rootfs", &rootfs, "sleep", "600"],
    );
    ok(&d, &["healthcheck", "run", "test-hc"]);
    let mut events = std::process::Command::new(env!("CARGO_BIN_EXE_berthctl"))
        .env("BERTH_ADDRESS", &d.address)
        .args(["events", "--since", "1m", "--filter", "event=health_status"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    events.kill().unwrap();
    let seen = String::from_utf8(events.wait_with_output().unwrap().stdout).unwrap();
    assert!(seen.lines().count() >= 1 && seen.contains("health_status"), "{seen}");
    let mut c = d.client();
    let missing = c.call("io.berth.Container.Healthcheck", serde_json::json!({ "nameOrId": "foobar" }));
    assert!(format!("{missing:?}").contains("NoSuchContainer"), "{missing:?}");
    run_top(&d, Some("top"));
    let unchecked = c.call("io.berth.Container.Healthcheck", serde_json::json!({ "nameOrId": "top" }));
    assert!(format!("{unchecked:?}").contains("InvalidArgument"), "{unchecked:?}");
    ok(&d, &["rm", "-f", "-t", "0", "test-hc", "top"]);
}

/// B-insp-17: an image's Docker HEALTHCHECK shows in its inspect, and a
/// container made from it without a check of its own gets it. (differs:
/// berth shows it as .Config.Config.Healthcheck, in the image
/// configuration's own names, where podman has HealthCheck.)
#[test]
fn an_images_health_check() {
    let d = Daemon::start();
    let test = ["CMD-SHELL", "curl -f http://localhost/ || exit 1"];
    let img = common::image::build_with(
        &d.dir.path().join("healthcheck-image"),
        serde_json::json!({ "Cmd": ["/bin/sh"], "Env": ["PATH=/bin"],
            "Healthcheck": { "Test": test, "Interval": 60_000_000_000u64, "Timeout": 3_000_000_000u64 } }),
    );
    ok(&d, &["image", "import", img.layout.to_str().unwrap(), "quay.io/libpod/alpine_healthcheck:latest"]);
    let mut c = d.client();
    let image = c
        .call("io.berth.Image.Inspect", serde_json::json!({ "reference": "quay.io/libpod/alpine_healthcheck:latest" }));
    let check = image.unwrap()["image"]["config"]["config"]["Healthcheck"].clone();
    assert_eq!((check["Timeout"].as_i64(), check["Interval"].as_i64()), (Some(3_000_000_000), Some(60_000_000_000)));
    assert_eq!(check["Test"], serde_json::json!(test));
    let id = ok(&d, &["create", "quay.io/libpod/alpine_healthcheck:latest"]).trim().to_string();
    let kept =
        ok(&d, &["inspect", "--format", "{{.Config.Healthcheck.Interval}} {{.Config.Healthcheck.Timeout}}", &id]);
    assert_eq!(kept.trim(), "60 3");
    let own =
        ok(&d, &["create", "--health-cmd", "true", "quay.io/libpod/alpine_healthcheck:latest"]).trim().to_string();
    assert_eq!(ok(&d, &["inspect", "--format", "{{.Config.Healthcheck.Interval}}", &own]).trim(), "30");
}
