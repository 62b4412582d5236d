//! Podman's own tests, ported: each test here carries the assertions of one
//! `It`/`@test` of containers/podman v4.3.1 (ids as in tests/PODMAN.md),
//! run through berthctl with podman's flags against a real berthd. Where
//! podman's test uses an image, berth's test rootfs (busybox) stands in.

mod common;

use common::Daemon;

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

/// A-rename-23..27: a pod's infra container can be renamed, and both names
/// are free once the pod is gone. (podman's --infra-name is not berth's
/// yet: the infra container is found by the pod's infraId.)
#[test]
fn rename_an_infra_container() {
    let d = Daemon::start();
    ok(&d, &["pod", "create", "--name", "testPod", "--infra"]);
    let infra = ok(&d, &["pod", "inspect", "--format", "{{.InfraId}}", "testPod"]).trim().to_string();
    ok(&d, &["rename", &infra, "infra1"]);
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
    let dependent = create(&d, &["--depends-on", &depended], &["/bin/true"]);
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
