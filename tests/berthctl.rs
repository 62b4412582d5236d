//! berthctl against a real berthd.

mod common;

use common::Daemon;
use serde_json::Value;

fn ok(out: std::process::Output) -> String {
    assert!(out.status.success(), "berthctl failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn container_lifecycle_of_records() {
    let d = Daemon::start();
    let rootfs = d.rootfs();
    let id = ok(d.ctl(&[
        "create", "--rootfs", &rootfs, "--name", "web", "-l", "app=web", "-v", "/data", "/bin/sh", "-c", "echo hi",
    ]));
    let id = id.trim().to_string();
    assert_eq!(id.len(), 64);

    let table = ok(d.ctl(&["ps", "-a"]));
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    for col in ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "NAMES"] {
        assert!(header.contains(col), "{header}");
    }
    let row = lines.next().unwrap();
    assert!(row.starts_with(&id[..12]) && row.contains("Created") && row.ends_with("web"), "{row}");
    // A long command of many-byte characters is cut at a character.
    ok(d.ctl(&["create", "--rootfs", &rootfs, "--name", "uni", "/bin/echo", "ünïcödé", "ünïcödé", "ünïcödé"]));
    let table = ok(d.ctl(&["ps", "-a"]));
    let row = table.lines().find(|l| l.ends_with("uni")).unwrap();
    assert!(row.contains("/bin/echo ünïcödé..."), "{row}");
    ok(d.ctl(&["rm", "uni"]));
    assert!(ok(d.ctl(&["ps"])).lines().nth(1).is_none(), "nothing running");

    let json: Value =
        serde_json::from_str(&ok(d.ctl(&["ps", "-a", "--format", "json", "--filter", "label=app=web"]))).unwrap();
    assert_eq!(json[0]["Id"], id.as_str());
    let none: Value =
        serde_json::from_str(&ok(d.ctl(&["ps", "-a", "--format", "json", "--filter", "label=app=db"]))).unwrap();
    assert_eq!(none, serde_json::json!([]));

    let inspect: Value = serde_json::from_str(&ok(d.ctl(&["inspect", "web"]))).unwrap();
    assert_eq!(inspect[0]["config"]["command"][2], "echo hi");
    assert_eq!(inspect[0]["config"]["labels"]["app"], "web");

    // logs as podman's: -n, -t, --since, --until.
    ok(d.ctl(&["start", "-a", "web"]));
    ok(d.ctl(&["start", "-a", "web"]));
    assert_eq!(ok(d.ctl(&["logs", "web"])), "hi\nhi\n");
    assert_eq!(ok(d.ctl(&["logs", "-n", "1", "web"])), "hi\n");
    let stamped = ok(d.ctl(&["logs", "-t", "--tail", "1", "web"]));
    let (time, text) = stamped.trim_end().split_once(' ').unwrap();
    assert!(berth::timestamp::parse(time, 0).is_some() && text == "hi", "{stamped}");
    assert_eq!(ok(d.ctl(&["logs", "--since", "10m", "--until", "4000000000", "web"])), "hi\nhi\n");
    assert_eq!(ok(d.ctl(&["logs", "--since", "4000000000", "web"])), "");
    assert!(failed(d.ctl(&["logs", "--until", "soon", "web"]), 125).contains("soon"));

    ok(d.ctl(&["rename", "web", "web2"]));
    assert!(d.ctl(&["exists", "web2"]).status.success());
    assert_eq!(d.ctl(&["exists", "web"]).status.code(), Some(1));
    // rm says the name it was given, as podman's does.
    assert_eq!(ok(d.ctl(&["rm", "-v", "web2"])).trim(), "web2");
    assert_eq!(d.ctl(&["exists", &id]).status.code(), Some(1));
    assert!(ok(d.ctl(&["volume", "ls"])).lines().nth(1).is_none(), "anonymous volume removed with -v");
}

/// stderr of a failed command, which must have exited `code`.
fn failed(out: std::process::Output, code: i32) -> String {
    assert_eq!(out.status.code(), Some(code), "{out:?}");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn failures_say_what_failed_as_podman_does() {
    let d = Daemon::start();
    // rm's own code for a missing container is 1, as podman's.
    assert_eq!(
        failed(d.ctl(&["rm", "ghost"]), 1),
        "Error: no container with name or ID \"ghost\" found: no such container\n"
    );
    let err = failed(d.ctl(&["create", "--rootfs", "/nonexistent", "/bin/true"]), 125);
    assert!(err.starts_with("Error: rootfs: ") && err.contains("/nonexistent"), "{err}");
    let err = failed(d.ctl(&["--address", "unix:/nonexistent/sock", "info"]), 125);
    assert!(err.starts_with("Error: cannot connect to berthd at unix:/nonexistent/sock: No such file"), "{err}");
    let err = failed(d.ctl(&["ps", "--filter", "colour=red"]), 125);
    assert!(err.contains("unknown container filter \"colour\""), "{err}");
    let err = failed(d.ctl(&["ps", "--format", "{{.Names"]), 125);
    assert!(err.contains("not closed"), "{err}");
}

/// podman's codes: 127 for a command that is not there, 126 for one that
/// cannot be run, from run (whose --rm also removes what did not start)
/// and from exec; a command's own code passes through.
#[test]
fn commands_that_cannot_run_exit_as_podmans_do() {
    let d = Daemon::start();
    let rootfs = d.rootfs();
    let err = failed(d.ctl(&["run", "--rm", "--rootfs", &rootfs, "--", "/nonexistent"]), 127);
    assert!(err.contains("/nonexistent"), "{err}");
    failed(d.ctl(&["run", "--rm", "--rootfs", &rootfs, "--", "/bin"]), 126);
    assert!(ok(d.ctl(&["ps", "-a", "-q"])).trim().is_empty(), "--rm removed what did not start");
    ok(d.ctl(&["run", "-d", "--name", "up", "--rootfs", &rootfs, "--", "/bin/sleep", "600"]));
    assert_eq!(d.ctl(&["exec", "up", "/nonexistent"]).status.code(), Some(127));
    assert_eq!(d.ctl(&["exec", "up", "/bin/sh", "-c", "exit 3"]).status.code(), Some(3));
    assert_eq!(d.ctl(&["exec", "up", "/bin/cat", "/missing"]).status.code(), Some(1));
    ok(d.ctl(&["rm", "-f", "up"]));
}

#[test]
fn formats_json_and_templates() {
    let d = Daemon::start();
    let rootfs = d.rootfs();
    for name in ["one", "two"] {
        ok(d.ctl(&["create", "--rootfs", &rootfs, "--name", name, "-l", &format!("n={name}"), "/bin/true"]));
    }
    let names = ok(d.ctl(&["ps", "-a", "--format", "{{.Names}}"]));
    let mut names: Vec<&str> = names.lines().collect();
    names.sort();
    assert_eq!(names, ["one", "two"]);
    let table =
        ok(d.ctl(&["ps", "-a", "--filter", "name=one", "--format", "table {{.ID}}\\t{{.Names}}\\t{{.Labels}}"]));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("CONTAINER ID  NAMES  LABELS"), "{table}");
    assert!(lines[1].ends_with("one    map[n:one]"), "{table}");
    let pid =
        ok(d.ctl(&["inspect", "--format", "{{.State.State}} {{.Config.Labels.n}} {{json .Config.Command}}", "two"]));
    assert_eq!(pid, "configured two [\"/bin/true\"]\n");
    let inspected: Value = serde_json::from_str(&ok(d.ctl(&["container", "inspect", "one", "two"]))).unwrap();
    assert_eq!(inspected.as_array().unwrap().len(), 2);
    ok(d.ctl(&["volume", "create", "v1"]));
    assert_eq!(ok(d.ctl(&["volume", "ls", "--format", "{{.Name}} {{.Driver}}"])), "v1 local\n");
}

#[test]
fn pods_volumes_prune_info() {
    let d = Daemon::start();
    let rootfs = d.rootfs();
    let pod = ok(d.ctl(&["pod", "create", "--name", "p", "-l", "team=a"]));
    ok(d.ctl(&["create", "--rootfs", &rootfs, "--pod", "p", "--name", "member", "/bin/sleep", "600"]));
    let pods = ok(d.ctl(&["pod", "ls"]));
    assert!(pods.contains(&pod.trim()[..12]) && pods.contains(" p "), "{pods}");
    ok(d.ctl(&["start", "member"]));
    let err = failed(d.ctl(&["pod", "rm", "p"]), 2);
    assert!(err.contains("which is running, and it cannot be removed without force"), "{err}");
    ok(d.ctl(&["pod", "rm", "-f", "-t", "0", "p"]));
    assert_eq!(d.ctl(&["exists", "member"]).status.code(), Some(1));

    ok(d.ctl(&["volume", "create", "data"]));
    ok(d.ctl(&["create", "--rootfs", &rootfs, "--name", "user", "-v", "data:/d:ro", "/bin/true"]));
    let err = failed(d.ctl(&["volume", "rm", "data"]), 125);
    assert!(err.contains("volume is being used"), "{err}");
    let vol: Value = serde_json::from_str(&ok(d.ctl(&["volume", "inspect", "data"]))).unwrap();
    assert_eq!(vol[0]["users"].as_array().unwrap().len(), 1);

    ok(d.ctl(&["create", "--rootfs", &rootfs, "--name", "extra", "/bin/true"]));
    let pruned = ok(d.ctl(&["prune"]));
    assert!(pruned.contains("Total reclaimed space"), "{pruned}");
    assert!(ok(d.ctl(&["ps", "-a", "-q"])).trim().is_empty());
    assert_eq!(ok(d.ctl(&["volume", "prune"])).trim(), "data");

    let info: Value = serde_json::from_str(&ok(d.ctl(&["info"]))).unwrap();
    assert_eq!(
        (info["containers"].as_i64(), info["pods"].as_i64(), info["volumes"].as_i64()),
        (Some(0), Some(0), Some(0))
    );
    assert_eq!(ok(d.ctl(&["system", "check"])).trim(), "no problems found");
}

#[test]
fn images_and_run_from_an_image() {
    let d = Daemon::start();
    let img = common::image::build(d.dir.path());
    let id = ok(d.ctl(&["image", "import", img.oci_archive.to_str().unwrap(), "demo:1"]));
    assert_eq!(id.trim(), &img.config_digest[7..]);
    let table = ok(d.ctl(&["image", "ls"]));
    let header: Vec<&str> =
        table.lines().next().unwrap().split("  ").map(str::trim).filter(|c| !c.is_empty()).collect();
    assert_eq!(header, ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"], "{table}");
    let row: Vec<&str> = table.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(row[..3], ["demo", "1", &id.trim()[..12]], "{table}");
    let out = d.ctl(&["run", "--rm", "--image", "demo:1", "--", "/bin/cat", "/data/new"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from the upper layer\n");
    assert!(out.status.success());
    let out = d.ctl(&["run", "--rm", "--image", "demo:1", "--", "/bin/sh", "-c", "exit 42"]);
    assert_eq!(out.status.code(), Some(42));
    assert!(ok(d.ctl(&["ps", "-a", "-q"])).trim().is_empty(), "--rm removed both");
    ok(d.ctl(&["image", "tag", "demo:1", "demo:2"]));
    assert!(ok(d.ctl(&["image", "rm", "demo:1"])).starts_with("Untagged"));
    assert!(ok(d.ctl(&["image", "rm", "demo:2"])).starts_with("Deleted"));
    assert_eq!(failed(d.ctl(&["image", "inspect", "demo:2"]), 125), "Error: demo:2: image not known\n");
}

#[test]
fn events_evict_and_system_prune() {
    let d = Daemon::start();
    let rootfs = d.rootfs();
    let id = ok(d.ctl(&["create", "--rootfs", &rootfs, "--name", "watched", "/bin/true"])).trim().to_string();
    ok(d.ctl(&["evict", "watched"]));
    // `berthctl events` streams until it is stopped; --since replays first.
    let mut events = std::process::Command::new(env!("CARGO_BIN_EXE_berthctl"))
        .env("BERTH_ADDRESS", &d.address)
        .args(["events", "--filter", "type=container", "--since", "1h"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    events.kill().unwrap();
    let out = events.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("container create {id} (name=watched)")), "{text}");
    assert!(text.contains(&format!("container remove {id} (name=watched)")), "{text}");

    ok(d.ctl(&["create", "--rootfs", &rootfs, "--name", "stale", "-v", "/anon", "/bin/true"]));
    ok(d.ctl(&["pod", "create", "--name", "empty"]));
    ok(d.ctl(&["volume", "create", "unused"]));
    // podman's system prune: the volumes only with --volumes; a pod with no
    // containers is not an exited one, and stays.
    let report = ok(d.ctl(&["system", "prune", "-f", "--volumes"]));
    let section = |name: &str| -> usize {
        report
            .lines()
            .skip_while(|l| *l != format!("Deleted {name}"))
            .skip(1)
            .take_while(|l| !l.starts_with("Deleted"))
            .count()
    };
    assert_eq!((section("Containers"), section("Pods"), section("Volumes")), (1, 0, 2), "{report}");
    let info: Value = serde_json::from_str(&ok(d.ctl(&["info"]))).unwrap();
    assert_eq!(
        (info["containers"].as_i64(), info["pods"].as_i64(), info["volumes"].as_i64()),
        (Some(0), Some(1), Some(0))
    );
}

/// What `ps -a` says of container `name` (its STATUS column onwards), or
/// None once it is gone.
fn ps_row(d: &Daemon, name: &str) -> Option<String> {
    ok(d.ctl(&["ps", "-a"])).lines().find(|l| l.ends_with(&format!(" {name}"))).map(str::to_string)
}

/// Wait (10 s at most) until `done` holds.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "{what}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_shell_on_a_terminal_detaches_and_attaches_again() {
    let mut d = Daemon::start();
    let rootfs = d.rootfs();
    let mut t = d.ctl_on_terminal(&["run", "-it", "--name", "box", "--rootfs", &rootfs, "sh"]);
    t.expect("/ # ");
    t.type_keys(b"echo $((6*7))\r");
    assert!(t.expect("/ # ").contains("\r\n42\r\n"));
    t.resize(33, 101);
    // The resize reaches the container's terminal through berthd.
    eventually("stty size follows the resize", || {
        t.type_keys(b"stty size\r");
        t.expect("/ # ").contains("33 101")
    });
    t.type_keys(b"\x10\x11");
    assert_eq!(t.exit_code(), 0, "detached");
    assert!(ps_row(&d, "box").unwrap().contains("Up"), "the shell goes on");

    // A second terminal attaches to the same shell, its variables kept.
    let mut t = d.ctl_on_terminal(&["attach", "box"]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    t.type_keys(b"x=$((20+1)); echo $((x*2))\r");
    t.expect("42\r\n");
    // berthd killed and started again: the container goes on, and
    // berthctl can attach to it again.
    d.restart(&[]);
    assert_ne!(t.exit_code(), 0, "the stream broke, no exit code came");
    assert!(ps_row(&d, "box").unwrap().contains("Up"), "the shell outlives berthd");
    let mut t = d.ctl_on_terminal(&["attach", "--detach-keys", "ctrl-x", "box"]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    t.type_keys(b"echo $((x*3))\r");
    t.expect("63\r\n");
    t.type_keys(b"exit 3\r");
    assert_eq!(t.exit_code(), 3, "the container's exit code is berthctl's");
    assert!(ps_row(&d, "box").unwrap().contains("Exited (3)"));

    // start -a -i: the same shell again, from its start.
    let mut t = d.ctl_on_terminal(&["start", "-a", "-i", "box"]);
    t.expect("/ # ");
    t.type_keys(b"exit 4\r");
    assert_eq!(t.exit_code(), 4);
}

#[test]
fn attached_runs_pass_input_signals_and_remove_with_the_engine() {
    use std::io::Write;
    let d = Daemon::start();
    let rootfs = d.rootfs();
    // stdin piped through to a container without a terminal.
    let mut cat = std::process::Command::new(env!("CARGO_BIN_EXE_berthctl"))
        .env("BERTH_ADDRESS", &d.address)
        .args(["run", "-i", "--rm", "--rootfs", &rootfs, "sh", "-c", "cat; echo done >&2; exit 7"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    cat.stdin.take().unwrap().write_all(b"hi\nthere\n").unwrap();
    let out = cat.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\nthere\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "done\n");
    assert_eq!(out.status.code(), Some(7));
    // Output goes to stdout and stderr apart, without a terminal.
    let out = d.ctl(&["run", "--rm", "--rootfs", &rootfs, "sh", "-c", "echo out; echo err >&2"]);
    assert_eq!((out.stdout.as_slice(), out.stderr.as_slice()), (&b"out\n"[..], &b"err\n"[..]));

    // ctrl-c on an attached run: the signal goes to the container, which
    // ends, and the engine removes it.
    let script = "trap 'echo caught; exit 130' INT; echo ready; while :; do sleep 0.1; done";
    let mut t = d.ctl_on_terminal(&["run", "--rm", "--name", "trap", "--rootfs", &rootfs, "sh", "-c", script]);
    t.expect("ready");
    t.type_keys(b"\x03");
    t.expect("caught");
    assert_eq!(t.exit_code(), 130);
    eventually("the engine removes it", || ps_row(&d, "trap").is_none());

    // berthctl killed outright: the container goes on; when it ends, the
    // engine removes it all the same.
    let mut t = d.ctl_on_terminal(&["run", "--rm", "--name", "orphan", "--rootfs", &rootfs, "sh", "-c", script]);
    t.expect("ready");
    t.signal("KILL");
    t.exit_code();
    assert!(ps_row(&d, "orphan").unwrap().contains("Up"));
    ok(d.ctl(&["kill", "-s", "INT", "orphan"]));
    eventually("the engine removes the orphan", || ps_row(&d, "orphan").is_none());

    // --sig-proxy=false: berthctl's signal is its own.
    let mut t =
        d.ctl_on_terminal(&["run", "--sig-proxy=false", "--name", "noproxy", "--rootfs", &rootfs, "sh", "-c", script]);
    t.expect("ready");
    t.signal("TERM");
    t.exit_code();
    assert!(ps_row(&d, "noproxy").unwrap().contains("Up"), "the signal did not reach it");
}

#[test]
fn attach_refuses_what_it_cannot_do_and_names_it() {
    let d = Daemon::start();
    let rootfs = d.rootfs();
    ok(d.ctl(&["create", "--name", "plain", "--rootfs", &rootfs, "sleep", "100"]));
    let e = failed(d.ctl(&["attach", "plain"]), 125);
    assert!(e.contains("can only attach to created or running containers"), "{e}");
    ok(d.ctl(&["start", "plain"]));
    let e = failed(d.ctl(&["attach", "--detach-keys", "ctrl-1", "plain"]), 125);
    assert!(e.contains("detachKeys") && e.contains("ctrl-1"), "{e}");
    let e = failed(d.ctl(&["start", "-a", "plain", "other"]), 125);
    assert!(e.contains("multiple containers"), "{e}");
}

#[test]
fn exec_sessions_on_terminals_and_in_the_background() {
    let mut d = Daemon::start();
    let rootfs = d.rootfs();
    ok(d.ctl(&["run", "-d", "--name", "host", "--rootfs", &rootfs, "sleep", "1000"]));
    // Two shells in the same container at once, each on its terminal.
    let mut one = d.ctl_on_terminal(&["exec", "-it", "host", "sh"]);
    let mut two = d.ctl_on_terminal(&["exec", "-it", "host", "sh"]);
    one.expect("/ # ");
    two.expect("/ # ");
    one.type_keys(b"echo $((6*7))\r");
    two.type_keys(b"echo $((7*8))\r");
    one.expect("42\r\n");
    two.expect("56\r\n");
    two.resize(40, 120);
    eventually("stty size follows the resize", || {
        two.type_keys(b"stty size\r");
        two.expect("/ # ").contains("40 120")
    });
    one.type_keys(b"exit 6\r");
    assert_eq!(one.exit_code(), 6);
    // Without a terminal: output apart, the command's exit code.
    let out = d.ctl(&["exec", "host", "sh", "-c", "echo out; echo err >&2; exit 4"]);
    assert_eq!(
        (out.stdout.as_slice(), out.stderr.as_slice(), out.status.code()),
        (&b"out\n"[..], &b"err\n"[..], Some(4))
    );
    let e = failed(d.ctl(&["exec", "host", "nonesuch"]), 127);
    assert!(e.contains("executable file not found"), "{e}");

    // In the background: a record with its container, running until it ends.
    let session = ok(d.ctl(&["exec", "-d", "host", "sh", "-c", "read x < /dev/null; sleep 2; exit 9"]));
    let mut c = d.client();
    let inspect = |c: &mut berth::client::Client| {
        c.call("io.berth.Container.ExecInspect", serde_json::json!({ "execId": session.trim() })).unwrap()["session"]
            .clone()
    };
    let s = inspect(&mut c);
    let host_id = ok(d.ctl(&["inspect", "--format", "{{.Id}}", "host"]));
    assert_eq!((s["state"].as_str(), s["containerId"].as_str()), (Some("running"), Some(host_id.trim())));
    assert!(s["pid"].as_i64().unwrap() > 0);
    let refused = c.call("io.berth.Container.ExecRemove", serde_json::json!({ "execId": session.trim() }));
    assert!(format!("{refused:?}").contains("InvalidState"), "{refused:?}");
    // berthd goes and comes back: the attached client's stream breaks,
    // the session goes on.
    d.restart(&[]);
    assert_ne!(two.exit_code(), 0);
    let mut c = d.client();
    assert_eq!(inspect(&mut c)["state"], "running");
    eventually("the background session ends", || inspect(&mut c)["state"] == "stopped");
    assert_eq!(inspect(&mut c)["exitCode"], 9);
    c.call("io.berth.Container.ExecRemove", serde_json::json!({ "execId": session.trim() })).unwrap();
    let gone = c.call("io.berth.Container.ExecInspect", serde_json::json!({ "execId": session.trim() }));
    assert!(
        format!("{gone:?}").contains("InvalidArgument") && format!("{gone:?}").contains(session.trim()),
        "{gone:?}"
    );
    // A paused container takes no exec.
    ok(d.ctl(&["pause", "host"]));
    let e = failed(d.ctl(&["exec", "host", "true"]), 125);
    assert!(e.contains("only be executed in running containers"), "{e}");
}

#[test]
fn restart_flags_update_and_start_all() {
    let d = Daemon::start();
    let rootfs = d.rootfs();
    ok(d.ctl(&["create", "--name", "flaky", "--restart", "on-failure:1", "--rootfs", &rootfs, "sh", "-c", "exit 3"]));
    ok(d.ctl(&["create", "--name", "keeper", "--rootfs", &rootfs, "sleep", "600"]));
    ok(d.ctl(&["update", "--restart", "always", "keeper"]));
    let policy =
        |name: &str| ok(d.ctl(&["inspect", "--format", "{{.Config.RestartPolicy}} {{.Config.RestartRetries}}", name]));
    assert_eq!(policy("flaky").trim(), "on-failure 1");
    assert_eq!(policy("keeper").trim(), "always");
    // What berth-restart.service runs at boot: the `always` ones start.
    ok(d.ctl(&["start", "--all", "--filter", "restart-policy=always"]));
    let states = ok(d.ctl(&["ps", "-a", "--format", "{{.Names}} {{.State}}"]));
    assert!(states.contains("keeper running") && states.contains("flaky created"), "{states}");
    assert!(failed(d.ctl(&["create", "--restart", "on-failure:x", "--rootfs", &rootfs, "true"]), 125)
        .contains("on-failure:x"));
    assert!(failed(d.ctl(&["update", "--restart", "sometimes", "keeper"]), 125).contains("sometimes"));
    ok(d.ctl(&["rm", "-f", "-t", "0", "keeper"]));
}

#[test]
fn health_flags_and_healthcheck_run() {
    let d = Daemon::start();
    let rootfs = d.rootfs();
    let flags = ["--health-cmd", "test -e /dev/shm/ok", "--health-interval", "1m", "--health-retries", "1"];
    let mut args = vec!["run", "-d", "--name", "h", "--health-start-period", "0s", "--rootfs", &rootfs];
    args.extend(flags);
    args.extend(["sleep", "600"]);
    ok(d.ctl(&args));
    let config =
        ok(d.ctl(&["inspect", "--format", "{{.Config.Healthcheck.Interval}} {{.Config.Healthcheck.Retries}}", "h"]));
    assert_eq!(config.trim(), "60 1");
    let out = d.ctl(&["healthcheck", "run", "h"]);
    assert_eq!((out.status.code(), String::from_utf8_lossy(&out.stdout).trim()), (Some(1), "unhealthy"));
    ok(d.ctl(&["exec", "h", "touch", "/dev/shm/ok"]));
    assert_eq!(ok(d.ctl(&["healthcheck", "run", "h"])), "");
    assert_eq!(ok(d.ctl(&["inspect", "--format", "{{.State.Health.Status}}", "h"])).trim(), "healthy");
    let row = ps_row(&d, "h").unwrap();
    assert!(row.contains("Up ") && row.contains("(healthy)"), "ps says the health as podman's does: {row}");
    assert_eq!(
        ok(d.ctl(&["ps", "-a", "-q", "--no-trunc", "--filter", "health=healthy", "--format", "{{.Names}}"])).trim(),
        "h"
    );
    assert_eq!(ok(d.ctl(&["ps", "-a", "-q", "--filter", "health=unhealthy"])).trim(), "");
    assert!(failed(d.ctl(&["create", "--health-interval", "1s", "--rootfs", &rootfs, "true"]), 125)
        .contains("--health-cmd"));
    assert!(failed(
        d.ctl(&["create", "--health-cmd", "true", "--health-timeout", "soon", "--rootfs", &rootfs, "true"]),
        125
    )
    .contains("soon"));
    ok(d.ctl(&["rm", "-f", "-t", "0", "h"]));
}

/// `generate unit` writes the file berth-generator reads back into a
/// service that runs the same container; the generator names a bad file's
/// line and still makes the good ones.
#[test]
fn generated_unit_files_round_trip_through_the_generator() {
    let d = Daemon::start();
    let rootfs = d.rootfs();
    let args = [
        "create",
        "--name",
        "web",
        "-e",
        "GREETING=hello there",
        "-l",
        "app=web",
        "--health-cmd",
        "true",
        "--health-interval",
        "5s",
        "--restart",
        "always",
        "-w",
        "/",
        "--rootfs",
        &rootfs,
        "sleep",
        "600",
    ];
    ok(d.ctl(&args));
    let file = ok(d.ctl(&["generate", "unit", "web"]));
    for line in [
        "Rootfs=",
        "ContainerName=web",
        "Exec=sleep 600",
        "Environment=\"GREETING=hello there\"",
        "Label=app=web",
        "HealthCmd=true",
        "HealthInterval=5s",
        "WorkingDir=/",
        "Restart=always",
        "WantedBy=default.target",
    ] {
        assert!(file.contains(line), "{line} in {file}");
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("web.container"), &file).unwrap();
    std::fs::write(dir.path().join("bad.container"), "[Container]\nImage=x\nPublishPorts=80\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_berth-generator"))
        .arg("--dry-run")
        .env("BERTH_UNIT_DIRS", dir.path())
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "a bad file fails the run: {stderr}");
    let bad = format!(
        "{}:3: unsupported key \"PublishPorts\" in section [Container]",
        dir.path().join("bad.container").display()
    );
    assert!(stderr.contains(&bad), "{stderr}");
    assert!(stdout.contains("---web.service---") && !stdout.contains("bad.service"), "{stdout}");
    let start = stdout.lines().find(|l| l.starts_with("ExecStart=")).unwrap();
    for part in [
        "run --cidfile=%t/%N.cid --replace --rm -d --name=web --sdnotify=conmon",
        "\"--env=GREETING=hello there\"",
        "--health-cmd=true",
        "--label=app=web",
        "sleep 600",
    ] {
        assert!(start.contains(part), "{part} in {start}");
    }
    // The service's own run makes the same container.
    ok(d.ctl(&["rm", "web"]));
    let value = start.trim_start_matches("ExecStart=").to_string();
    let words = berth::unit_file::split_words(&berth::unit_file::Entry { key: "ExecStart".into(), value, line: 1 });
    let words: Vec<String> = words.unwrap().into_iter().skip(1).filter(|w| !w.contains('%')).collect();
    ok(d.ctl(&words.iter().map(String::as_str).collect::<Vec<_>>()));
    assert_eq!(ok(d.ctl(&["inspect", "--format", "{{.State.State}}", "web"])).trim(), "running");
    assert_eq!(ok(d.ctl(&["exec", "web", "sh", "-c", "echo $GREETING"])).trim(), "hello there");
    ok(d.ctl(&["rm", "-f", "-t", "0", "web"]));
}

/// Each command's help opens with what that command does: clap builds a
/// command's arguments only when it is invoked (deferred), and a doc
/// comment on an argument struct it flattens would then replace it.
#[test]
fn each_commands_help_says_what_it_does() {
    let cases: &[(&[&str], &str)] = &[
        (&["create"], "Create a container (state \"configured\")"),
        (&["run"], "Create a container and start it"),
        (&["attach"], "Attach to a running container's terminal"),
        (&["start"], "Start containers"),
        (&["container", "rm"], "Remove containers"),
        (&["healthcheck"], "Run a container's health check now"),
        (&["pod", "ls"], "List pods"),
        (&["pod", "rm"], "Remove pods and their containers"),
        (&["pod", "create"], "Create a pod"),
        (&["volume", "inspect"], "Show volumes and the containers that mount them"),
        (&["image", "pull"], "Pull an image from a registry"),
        (&["events"], "Stream events until interrupted"),
    ];
    for (command, about) in cases {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_berthctl")).args(*command).arg("--help").output();
        let help = ok(out.unwrap());
        assert!(help.starts_with(about), "berthctl {} --help: {help}", command.join(" "));
    }
    // Arguments of deferred commands are still checked.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_berthctl")).args(["pod", "ls", "--nope"]).output();
    assert!(failed(out.unwrap(), 125).contains("--nope"));
}
