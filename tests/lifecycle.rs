//! Running containers for real: conmon and runc, through berthd's varlink API.
//! As root, with the cgroupfs manager (PID 1 here is not systemd).

mod common;

use berth::client::{Client, ClientError};
use common::Daemon;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

fn create(c: &mut Client, d: &Daemon, name: &str, command: &[&str], extra: Value) -> String {
    let mut options = json!({ "rootfs": d.rootfs(), "command": command, "name": name });
    options.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    c.call("io.berth.Container.Create", json!({ "options": options })).unwrap()["id"].as_str().unwrap().to_string()
}

fn call(c: &mut Client, method: &str, name: &str, extra: Value) -> Value {
    let mut params = json!({ "nameOrId": name });
    params.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    c.call(&format!("io.berth.Container.{method}"), params).unwrap_or_else(|e| panic!("{method} {name}: {e}"))
}

fn state(c: &mut Client, name: &str) -> Value {
    call(c, "Inspect", name, json!({}))["container"]["state"].clone()
}

fn error_of(r: Result<Value, ClientError>) -> String {
    match r {
        Err(ClientError::Remote { error, .. }) => error,
        other => panic!("expected an error, got {other:?}"),
    }
}

/// Whether the process runs (a zombie that PID 1 has not reaped yet has ended).
fn pid_alive(pid: i64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
}

fn logs(c: &mut Client, name: &str) -> Vec<String> {
    let r = call(c, "Logs", name, json!({}));
    r["lines"].as_array().unwrap().iter().map(|l| l["text"].as_str().unwrap().to_string()).collect()
}

/// Nothing of a container is left: no record, files, exit file or runtime state.
fn assert_gone(d: &Daemon, c: &mut Client, id: &str) {
    assert_eq!(call(c, "Exists", id, json!({}))["exists"], false);
    assert!(!d.root().join("containers").join(id).exists());
    assert!(!d.dir.path().join("run/exits").join(id).exists());
    assert!(!common::runc_list(d).contains(&id.to_string()), "runc still knows {id}");
    assert!(!common::conmons(d).iter().any(|(_, c)| c == id), "a conmon of {id} still runs");
}

#[test]
fn run_to_exit_with_output_and_exit_code() {
    let d = Daemon::start();
    let mut c = d.client();
    create(&mut c, &d, "hello", &["/bin/sh", "-c", "echo out; echo err >&2; exit 3"], json!({}));
    assert_eq!(state(&mut c, "hello")["state"], "configured");
    call(&mut c, "Init", "hello", json!({}));
    let st = state(&mut c, "hello");
    assert_eq!(st["state"], "created");
    assert!(pid_alive(st["pid"].as_i64().unwrap()));
    call(&mut c, "Start", "hello", json!({}));
    assert_eq!(call(&mut c, "Wait", "hello", json!({}))["exitCode"], 3);
    let st = state(&mut c, "hello");
    assert_eq!((st["state"].as_str(), st["exitCode"].as_i64()), (Some("exited"), Some(3)));
    assert!(st["startedAt"].as_i64().unwrap() <= st["finishedAt"].as_i64().unwrap());
    let r = call(&mut c, "Logs", "hello", json!({}));
    let streams: Vec<(&str, &str)> = r["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["stream"].as_str().unwrap(), l["text"].as_str().unwrap()))
        .collect();
    assert_eq!(streams, [("stdout", "out"), ("stderr", "err")]);
    // It can run again, and its log grows.
    call(&mut c, "Start", "hello", json!({}));
    assert_eq!(call(&mut c, "Wait", "hello", json!({}))["exitCode"], 3);
    assert_eq!(logs(&mut c, "hello").len(), 4);
    assert_eq!(call(&mut c, "Logs", "hello", json!({ "tail": 1 }))["lines"].as_array().unwrap().len(), 1);
}

#[test]
fn logs_between_times_with_timestamps_and_within_a_size_limit() {
    let mut d = Daemon::start();
    // containers.conf's log_size_max: conmon starts the file anew beyond it.
    let conf = std::fs::read_to_string(d.config_path()).unwrap();
    std::fs::write(d.config_path(), conf.replace("[engine]\n", "[engine]\nlog_size_max = 2000\n")).unwrap();
    d.restart(&["--idle-timeout", "0"]);
    let mut c = d.client();
    let script =
        "echo early; sleep 1.5; echo late; i=0; while [ $i -lt 300 ]; do echo chatty line $i; i=$((i+1)); done";
    let id = create(&mut c, &d, "times", &["/bin/sh", "-c", script], json!({}));
    call(&mut c, "Start", "times", json!({}));
    assert_eq!(call(&mut c, "Wait", "times", json!({}))["exitCode"], 0);
    let log = d.root().join("containers").join(&id).join("userdata/ctr.log");
    let size = std::fs::metadata(&log).unwrap().len();
    assert!(size <= 2000, "the log holds {size} bytes");
    let texts = |r: Value| -> Vec<String> {
        r["lines"].as_array().unwrap().iter().map(|l| l["text"].as_str().unwrap().to_string()).collect()
    };
    let kept = logs(&mut c, "times");
    assert_eq!(kept.last().map(String::as_str), Some("chatty line 299"));
    assert!(!kept.contains(&"early".to_string()), "the start of the log is gone: {kept:?}");
    assert_eq!(texts(call(&mut c, "Logs", "times", json!({ "tail": -1 }))), kept, "tail -1 is all of it");
    let lines = call(&mut c, "Logs", "times", json!({}))["lines"].as_array().unwrap().clone();
    let (first, last) = (lines[0]["time"].as_str().unwrap(), lines[lines.len() - 1]["time"].as_str().unwrap());
    // since and until take RFC 3339 (as the lines carry), Unix seconds and durations.
    // (conmon stamps what it reads at once with one time.)
    let at = |t: &str| lines.iter().filter(|l| l["time"] == t).count();
    let since_last = texts(call(&mut c, "Logs", "times", json!({ "since": last })));
    assert_eq!(since_last, kept[kept.len() - at(last)..]);
    let until_first = texts(call(&mut c, "Logs", "times", json!({ "until": first })));
    assert_eq!(until_first, kept[..at(first)]);
    assert!(texts(call(&mut c, "Logs", "times", json!({ "since": "1m" }))).len() == kept.len());
    assert!(texts(call(&mut c, "Logs", "times", json!({ "until": "1m" }))).is_empty());
    assert!(texts(call(&mut c, "Logs", "times", json!({ "since": "4000000000" }))).is_empty());
    let stamped = texts(call(&mut c, "Logs", "times", json!({ "tail": 1, "timestamps": true })));
    assert_eq!(stamped, [format!("{last} chatty line 299")]);
    match c.call("io.berth.Container.Logs", json!({ "nameOrId": "times", "since": "last tuesday" })) {
        Err(ClientError::Remote { error, parameters }) => {
            assert_eq!(error, "io.berth.Container.InvalidArgument");
            assert_eq!(parameters["field"], "since", "{parameters}");
        }
        other => panic!("{other:?}"),
    }
    // Before the limit: the lines written between two moments.
    let split = "echo early; sleep 1.2; echo late";
    create(&mut c, &d, "split", &["/bin/sh", "-c", split], json!({}));
    call(&mut c, "Start", "split", json!({}));
    assert_eq!(call(&mut c, "Wait", "split", json!({}))["exitCode"], 0);
    let lines = call(&mut c, "Logs", "split", json!({}))["lines"].as_array().unwrap().clone();
    let early = berth::timestamp::parse(lines[0]["time"].as_str().unwrap(), 0).unwrap();
    let middle = early + 600_000_000;
    let middle = format!("{}.{:09}", middle / 1_000_000_000, middle % 1_000_000_000);
    assert_eq!(texts(call(&mut c, "Logs", "split", json!({ "until": middle }))), ["early"]);
    assert_eq!(texts(call(&mut c, "Logs", "split", json!({ "since": middle }))), ["late"]);
}

#[test]
fn the_spec_gives_what_was_asked_for() {
    let d = Daemon::start();
    let mut c = d.client();
    c.call("io.berth.Secret.Create", json!({ "name": "token", "data": "s3cret" })).unwrap();
    let script = "hostname; cat /etc/hostname; grep -c localhost /etc/hosts; echo $GREETING; \
                  df -k /dev/shm | tail -1 | awk '{print $2}'; cat /run/secrets/token; echo; \
                  echo written > /data/file; ls /proc/1/ns | grep -c net; ip link 2>/dev/null | grep -c LOOPBACK || true";
    let id = create(
        &mut c,
        &d,
        "spec",
        &["/bin/sh", "-c", script],
        json!({ "env": { "GREETING": "hi" }, "shmSize": "8m", "secrets": [ { "name": "token" } ],
                "volumes": [ { "name": "data", "destination": "/data" } ] }),
    );
    call(&mut c, "Start", "spec", json!({}));
    assert_eq!(call(&mut c, "Wait", "spec", json!({}))["exitCode"], 0);
    let out = logs(&mut c, "spec");
    assert_eq!(out[0], &id[..12], "{out:?}");
    assert_eq!(out[1], &id[..12]);
    assert_eq!(out[2], "2");
    assert_eq!(out[3], "hi");
    assert_eq!(out[4], "8192");
    assert_eq!(out[5], "s3cret");
    let vol = c.call("io.berth.Volume.Inspect", json!({ "name": "data" })).unwrap()["volume"]["mountpoint"].clone();
    assert_eq!(std::fs::read_to_string(Path::new(vol.as_str().unwrap()).join("file")).unwrap(), "written\n");
}

#[test]
fn stop_escalates_to_sigkill_after_the_timeout() {
    let d = Daemon::start();
    let mut c = d.client();
    // PID 1 ignores SIGTERM unless it handles it: sleep does not.
    create(&mut c, &d, "stubborn", &["/bin/sleep", "600"], json!({ "stopTimeout": 1 }));
    create(&mut c, &d, "polite", &["/bin/sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"], json!({}));
    call(&mut c, "Start", "stubborn", json!({}));
    call(&mut c, "Start", "polite", json!({}));
    let pid = state(&mut c, "stubborn")["pid"].as_i64().unwrap();
    let t = Instant::now();
    call(&mut c, "Stop", "stubborn", json!({}));
    assert!(t.elapsed() >= Duration::from_secs(1), "waited for the timeout");
    let st = state(&mut c, "stubborn");
    assert_eq!((st["state"].as_str(), st["exitCode"].as_i64()), (Some("exited"), Some(137)));
    assert!(!pid_alive(pid));
    let t = Instant::now();
    call(&mut c, "Stop", "polite", json!({ "timeout": 30 }));
    assert!(t.elapsed() < Duration::from_secs(10));
    assert_eq!(state(&mut c, "polite")["exitCode"], 0);
    assert_eq!(
        error_of(c.call("io.berth.Container.Stop", json!({ "nameOrId": "polite" }))),
        "io.berth.Container.InvalidState"
    );
}

/// A Stop waiting out a long timeout holds nothing: a Kill or a forced
/// Remove acts at once, a plain Remove is refused at once.
#[test]
fn kill_and_force_remove_act_during_a_long_stop() {
    let d = Daemon::start();
    let mut c = d.client();
    let ignores_term = ["/bin/sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"];
    for name in ["k", "rm"] {
        create(&mut c, &d, name, &ignores_term, json!({}));
        call(&mut c, "Start", name, json!({}));
    }
    let stop = |name: &'static str| {
        let mut other = d.client();
        std::thread::spawn(move || {
            let t = Instant::now();
            let r = other.call("io.berth.Container.Stop", json!({ "nameOrId": name, "timeout": 3600 }));
            (r.map(|_| ()).map_err(|e| e.to_string()), t.elapsed())
        })
    };
    let stopping = stop("k");
    let until_stopping = Instant::now() + Duration::from_secs(10);
    while state(&mut c, "k")["state"] != "stopping" {
        assert!(Instant::now() < until_stopping, "the stop never began");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        error_of(c.call("io.berth.Container.Remove", json!({ "nameOrId": "k" }))),
        "io.berth.Container.InvalidState"
    );
    call(&mut c, "Kill", "k", json!({ "signal": "SIGKILL" }));
    let (result, took) = stopping.join().unwrap();
    result.unwrap();
    assert!(took < Duration::from_secs(60), "the stop waited {took:?} after the kill");
    assert_eq!(state(&mut c, "k")["state"], "exited");

    let stopping = stop("rm");
    let until_stopping = Instant::now() + Duration::from_secs(10);
    while state(&mut c, "rm")["state"] != "stopping" {
        assert!(Instant::now() < until_stopping, "the stop never began");
        std::thread::sleep(Duration::from_millis(20));
    }
    let id = call(&mut c, "Remove", "rm", json!({ "force": true }))["id"].as_str().unwrap().to_string();
    let (result, took) = stopping.join().unwrap();
    result.unwrap();
    assert!(took < Duration::from_secs(60), "the stop waited {took:?} after the removal");
    assert_gone(&d, &mut c, &id);
}

/// A container whose conmon was killed has no exit file coming: a stop
/// ends it and records the exit at once, and a second stop is refused.
#[test]
fn stop_after_conmon_was_killed_ends_at_once() {
    let d = Daemon::start();
    let mut c = d.client();
    let id = create(&mut c, &d, "orphan", &["/bin/sleep", "600"], json!({ "stopTimeout": 600 }));
    for timeout in [600, 0] {
        call(&mut c, "Start", "orphan", json!({}));
        let pid = state(&mut c, "orphan")["pid"].as_i64().unwrap();
        let conmons = common::conmons(&d);
        assert_eq!(conmons.iter().filter(|(_, c)| *c == id).count(), 1, "{conmons:?}");
        for (conmon, _) in conmons {
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(conmon as i32), nix::sys::signal::Signal::SIGKILL)
                .unwrap();
        }
        let t = Instant::now();
        call(&mut c, "Stop", "orphan", json!({ "timeout": timeout }));
        assert!(t.elapsed() < Duration::from_secs(30), "stop took {:?}", t.elapsed());
        let st = state(&mut c, "orphan");
        assert_eq!(st["state"], "exited", "{st}");
        assert!(!pid_alive(pid), "the container's process outlived its stop");
        assert_eq!(runc_status(&d, &id), None);
        let t = Instant::now();
        assert_eq!(
            error_of(c.call("io.berth.Container.Stop", json!({ "nameOrId": "orphan", "timeout": 0 }))),
            "io.berth.Container.InvalidState"
        );
        assert!(t.elapsed() < Duration::from_secs(5), "a second stop took {:?}", t.elapsed());
    }
}

#[test]
fn kill_pause_unpause_restart() {
    let d = Daemon::start();
    let mut c = d.client();
    let script = "trap 'exit 7' HUP; echo > /trapped; while true; do sleep 0.1; done";
    create(&mut c, &d, "k", &["/bin/sh", "-c", script], json!({}));
    call(&mut c, "Start", "k", json!({}));
    // As PID 1, the shell ignores a HUP that comes before its trap.
    let mut trapped = || {
        let r = call(&mut c, "Exec", "k", json!({ "command": ["/bin/sh", "-c", "test -e /trapped"] }));
        r["exitCode"] == 0
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !trapped() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    call(&mut c, "Kill", "k", json!({ "signal": "HUP" }));
    assert_eq!(call(&mut c, "Wait", "k", json!({}))["exitCode"], 7);
    assert_eq!(
        error_of(c.call("io.berth.Container.Kill", json!({ "nameOrId": "k" }))),
        "io.berth.Container.InvalidState"
    );

    create(&mut c, &d, "p", &["/bin/sleep", "600"], json!({}));
    call(&mut c, "Start", "p", json!({}));
    call(&mut c, "Pause", "p", json!({}));
    assert_eq!(state(&mut c, "p")["state"], "paused");
    assert_eq!(
        error_of(c.call("io.berth.Container.Exec", json!({ "nameOrId": "p", "command": ["true"] }))),
        "io.berth.Container.InvalidState"
    );
    assert_eq!(
        error_of(c.call("io.berth.Container.Pause", json!({ "nameOrId": "p" }))),
        "io.berth.Container.InvalidState"
    );
    call(&mut c, "Unpause", "p", json!({}));
    assert_eq!(state(&mut c, "p")["state"], "running");
    let before = state(&mut c, "p")["pid"].as_i64().unwrap();
    call(&mut c, "Restart", "p", json!({ "timeout": 0 }));
    let after = state(&mut c, "p");
    assert_eq!(after["state"], "running");
    assert_ne!(after["pid"].as_i64().unwrap(), before);
    assert!(!pid_alive(before));
    call(&mut c, "Kill", "p", json!({ "signal": "9" }));
    assert_eq!(call(&mut c, "Wait", "p", json!({}))["exitCode"], 137);
}

#[test]
fn exec_runs_in_the_container_and_is_a_session_while_it_runs() {
    let d = Daemon::start();
    let mut c = d.client();
    create(&mut c, &d, "e", &["/bin/sleep", "600"], json!({}));
    call(&mut c, "Start", "e", json!({}));
    let r = c
        .call(
            "io.berth.Container.Exec",
            json!({ "nameOrId": "e", "command": ["/bin/sh", "-c", "echo $X; pwd; id -u; echo oops >&2; exit 9"],
                    "env": { "X": "from-exec" }, "workDir": "/proc", "user": "65534" }),
        )
        .unwrap();
    assert_eq!(r["exitCode"], 9);
    assert_eq!(r["stdout"], "from-exec\n/proc\n65534\n");
    assert_eq!(r["stderr"], "oops\n");
    let addr = d.address.clone();
    let long = std::thread::spawn(move || {
        let mut c = Client::connect(&addr).unwrap();
        c.call("io.berth.Container.Exec", json!({ "nameOrId": "e", "command": ["/bin/sleep", "2"] })).unwrap()
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while call(&mut c, "Inspect", "e", json!({}))["container"]["execSessions"].as_array().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the exec session was never recorded");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        error_of(c.call("io.berth.Container.Remove", json!({ "nameOrId": "e" }))),
        "io.berth.Container.InvalidState",
        "running: refused before the sessions are even looked at"
    );
    assert_eq!(long.join().unwrap()["exitCode"], 0);
    assert!(call(&mut c, "Inspect", "e", json!({}))["container"]["execSessions"].as_array().unwrap().is_empty());
    assert_eq!(
        error_of(c.call("io.berth.Container.Exec", json!({ "nameOrId": "e", "command": [] }))),
        "io.berth.Container.InvalidArgument"
    );
}

#[test]
fn exec_with_more_streams_output_as_it_is_written() {
    let d = Daemon::start();
    let mut c = d.client();
    create(&mut c, &d, "s", &["/bin/sleep", "600"], json!({}));
    call(&mut c, "Start", "s", json!({}));
    // The command waits for a file the test makes only once the first line
    // has arrived: a held-back reply would hang here.
    let script = "echo first; echo warn >&2; while [ ! -e /dev/shm/go ]; do sleep 0.05; done; printf 'last \\342\\202\\254'; exit 4";
    let mut replies = Vec::new();
    c.stream("io.berth.Container.Exec", json!({ "nameOrId": "s", "command": ["/bin/sh", "-c", script] }), |r| {
        if r["stdout"].as_str().is_some_and(|o| o.contains("first")) {
            let mut other = Client::connect(&d.address).unwrap();
            let touch = json!({ "nameOrId": "s", "command": ["/bin/touch", "/dev/shm/go"] });
            assert_eq!(other.call("io.berth.Container.Exec", touch).unwrap()["exitCode"], 0);
        }
        replies.push(r);
        true
    })
    .unwrap();
    let last = replies.pop().unwrap();
    assert_eq!(last["exitCode"], 4);
    assert!(replies.iter().all(|r| r["exitCode"] == -1 && r["execId"] == last["execId"]), "{replies:?}");
    let text = |key: &str| replies.iter().chain([&last]).map(|r| r[key].as_str().unwrap()).collect::<String>();
    assert_eq!(text("stdout"), "first\nlast €");
    assert_eq!(text("stderr"), "warn\n");
    let (mut c, rejected) = (d.client(), json!({ "nameOrId": "s", "command": [] }));
    let streamed = c.stream("io.berth.Container.Exec", rejected, |_| true);
    assert_eq!(error_of(streamed.map(|()| json!(null))), "io.berth.Container.InvalidArgument");
}

#[test]
fn force_remove_of_running_and_paused_leaves_nothing() {
    let d = Daemon::start();
    let mut c = d.client();
    let run = create(
        &mut c,
        &d,
        "r",
        &["/bin/sleep", "600"],
        json!({ "stopTimeout": 1, "volumes": [ { "destination": "/v" } ] }),
    );
    let paused = create(&mut c, &d, "pz", &["/bin/sleep", "600"], json!({}));
    call(&mut c, "Start", "r", json!({}));
    call(&mut c, "Start", "pz", json!({}));
    call(&mut c, "Pause", "pz", json!({}));
    let pids = [state(&mut c, "r")["pid"].as_i64().unwrap(), state(&mut c, "pz")["pid"].as_i64().unwrap()];
    assert_eq!(
        error_of(c.call("io.berth.Container.Remove", json!({ "nameOrId": "pz" }))),
        "io.berth.Container.InvalidState"
    );
    call(&mut c, "Remove", "r", json!({ "force": true, "volumes": true }));
    call(&mut c, "Remove", "pz", json!({ "force": true }));
    for id in [&run, &paused] {
        assert_gone(&d, &mut c, id);
    }
    for pid in pids {
        assert!(!pid_alive(pid), "process {pid} outlived its container");
    }
    assert_eq!(c.call("io.berth.Volume.List", json!({})).unwrap()["volumes"], json!([]));
}

/// runc's view of a container: its status, or None when it does not know it.
fn runc_status(d: &Daemon, id: &str) -> Option<String> {
    let out = std::process::Command::new("runc")
        .arg("--root")
        .arg(d.dir.path().join("run/runtime/runc"))
        .args(["state", id])
        .output()
        .unwrap();
    let state: Value = serde_json::from_slice(&out.stdout).ok()?;
    Some(state["status"].as_str()?.to_string())
}

/// Start releases runc's waiting init itself (see `Runc::start`): runc then
/// reports the container running, as after `runc start`.
#[test]
fn start_of_a_created_container() {
    let d = Daemon::start();
    let mut c = d.client();
    let id = create(&mut c, &d, "held", &["/bin/sleep", "600"], json!({}));
    call(&mut c, "Init", "held", json!({}));
    assert_eq!(state(&mut c, "held")["state"], "created");
    assert_eq!(runc_status(&d, &id).as_deref(), Some("created"));
    call(&mut c, "Start", "held", json!({}));
    assert_eq!(state(&mut c, "held")["state"], "running");
    assert_eq!(runc_status(&d, &id).as_deref(), Some("running"));
    let pid = state(&mut c, "held")["pid"].as_i64().unwrap();
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    assert!(cmdline.starts_with(b"/bin/sleep\x00600"), "{}", String::from_utf8_lossy(&cmdline));
    call(&mut c, "Kill", "held", json!({ "signal": "9" }));
    assert_eq!(call(&mut c, "Wait", "held", json!({}))["exitCode"], 137);
}

/// `Runc::start` on containers runc created directly (through berthd, an
/// init killed before Start is seen exiting first, and Start runs the
/// container anew): an init that ends before its start is an error naming
/// it, at once, where waiting for its byte would never end; a live one is
/// released and runs.
#[test]
fn runc_start_of_an_init_that_died_is_an_error() {
    let d = Daemon::start();
    let runc = berth::oci::runc::Runc {
        name: "runc".into(),
        path: "runc".into(),
        root: d.dir.path().join("direct-runc"),
        flags: Vec::new(),
    };
    let bundle = d.dir.path().join("direct-bundle");
    std::fs::create_dir_all(&bundle).unwrap();
    let ran = |cmd: &mut std::process::Command| {
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    ran(std::process::Command::new("runc").arg("spec").current_dir(&bundle));
    let mut spec: Value = serde_json::from_slice(&std::fs::read(bundle.join("config.json")).unwrap()).unwrap();
    spec["process"]["terminal"] = json!(false);
    spec["process"]["args"] = json!(["/bin/true"]);
    spec["root"] = json!({ "path": d.rootfs() });
    std::fs::write(bundle.join("config.json"), spec.to_string()).unwrap();
    let created = |id: &str| -> i32 {
        let runc_cmd = || {
            let mut cmd = std::process::Command::new("runc");
            cmd.arg("--root").arg(&runc.root);
            cmd
        };
        // The container's init keeps runc's standard streams: not pipes
        // that would be read to their end.
        let status = runc_cmd()
            .args(["create", "--bundle"])
            .arg(&bundle)
            .arg(id)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "runc create {id}: {status}");
        let state: Value = serde_json::from_str(&ran(runc_cmd().args(["state", id]))).unwrap();
        assert_eq!(state["status"], "created");
        state["pid"].as_i64().unwrap() as i32
    };

    let live = created("direct-live");
    runc.start("direct-live", Some(live)).unwrap();
    assert!(!runc.root.join("direct-live/exec.fifo").exists());
    assert_ne!(runc.state("direct-live").unwrap().unwrap().status, "created");
    runc.delete("direct-live").unwrap();

    let dead = created("direct-dead");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(dead), nix::sys::signal::Signal::SIGKILL).unwrap();
    let started = Instant::now();
    match runc.start("direct-dead", Some(dead)) {
        Err(berth::oci::error::OciError::Start { why, .. }) => {
            assert!(why.contains("ended before it started"), "{why}")
        }
        other => panic!("expected a start error, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(5), "a start waited {:?}", started.elapsed());
    runc.delete("direct-dead").unwrap();
}

#[test]
fn auto_remove_after_exit() {
    let d = Daemon::start();
    let mut c = d.client();
    let id = create(&mut c, &d, "once", &["/bin/sh", "-c", "exit 2"], json!({ "autoRemove": true }));
    call(&mut c, "Start", "once", json!({}));
    assert_eq!(call(&mut c, "Wait", &id, json!({}))["exitCode"], 2);
    let deadline = Instant::now() + Duration::from_secs(5);
    while call(&mut c, "Exists", &id, json!({}))["exists"] == true {
        assert!(Instant::now() < deadline, "not removed");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_gone(&d, &mut c, &id);
    // A Wait that comes after the removal (a `run --rm` whose container
    // ended before its client asked) still gets the exit code, by ID,
    // prefix or name; an unknown name is still unknown.
    for name in [id.as_str(), &id[..12], "once"] {
        assert_eq!(call(&mut c, "Wait", name, json!({}))["exitCode"], 2, "{name}");
    }
    assert_eq!(
        error_of(c.call("io.berth.Container.Wait", json!({ "nameOrId": "never" }))),
        "io.berth.Container.NoSuchContainer"
    );
}

#[test]
fn logs_follow_until_the_container_exits() {
    let d = Daemon::start();
    let mut c = d.client();
    create(&mut c, &d, "talk", &["/bin/sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.2; done"], json!({}));
    call(&mut c, "Start", "talk", json!({}));
    let mut lines = Vec::new();
    let mut replies = 0;
    c.stream("io.berth.Container.Logs", json!({ "nameOrId": "talk", "follow": true }), |r| {
        replies += 1;
        lines.extend(r["lines"].as_array().unwrap().iter().map(|l| l["text"].as_str().unwrap().to_string()));
        true
    })
    .unwrap();
    assert_eq!(lines, ["line1", "line2", "line3"]);
    assert!(replies >= 2, "lines came as they were written");
    assert_eq!(
        error_of(c.call("io.berth.Container.Logs", json!({ "nameOrId": "talk", "follow": true }))),
        "org.varlink.service.ExpectedMore"
    );
}

#[test]
fn containers_outlive_a_killed_daemon_and_are_resynced() {
    let mut d = Daemon::start();
    let mut c = d.client();
    create(&mut c, &d, "stays", &["/bin/sleep", "600"], json!({}));
    create(&mut c, &d, "ends", &["/bin/sh", "-c", "sleep 1; exit 5"], json!({}));
    let gone = create(&mut c, &d, "gone", &["/bin/sh", "-c", "sleep 1; exit 6"], json!({ "autoRemove": true }));
    for n in ["stays", "ends", "gone"] {
        call(&mut c, "Start", n, json!({}));
    }
    let pid = state(&mut c, "stays")["pid"].as_i64().unwrap();
    drop(c);
    // kill -9: no chance to clean up.
    d.child.kill().unwrap();
    d.child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(pid_alive(pid), "the container died with berthd");
    d.restart(&["--idle-timeout", "0"]);
    let mut c = d.client();
    let st = state(&mut c, "stays");
    assert_eq!((st["state"].as_str(), st["pid"].as_i64()), (Some("running"), Some(pid)));
    let st = state(&mut c, "ends");
    assert_eq!((st["state"].as_str(), st["exitCode"].as_i64()), (Some("exited"), Some(5)));
    assert_eq!(call(&mut c, "Exists", &gone, json!({}))["exists"], false);
    // And the restarted daemon still drives the survivor.
    call(&mut c, "Stop", "stays", json!({ "timeout": 0 }));
    assert!(!pid_alive(pid));
}

#[test]
fn private_network_has_only_loopback_host_network_has_the_hosts() {
    let d = Daemon::start();
    let mut c = d.client();
    // /proc/net/dev: two header lines, then one line per interface.
    let count = |c: &mut Client, name: &str, network: &str| -> usize {
        create(c, &d, name, &["/bin/cat", "/proc/net/dev"], json!({ "network": network }));
        call(c, "Start", name, json!({}));
        assert_eq!(call(c, "Wait", name, json!({}))["exitCode"], 0);
        logs(c, name).len() - 2
    };
    assert_eq!(count(&mut c, "none", "none"), 1);
    let host_interfaces = std::fs::read_to_string("/proc/net/dev").unwrap().lines().count() - 2;
    assert_eq!(count(&mut c, "host", "host"), host_interfaces);
    let r = c.call(
        "io.berth.Container.Create",
        json!({ "options": { "rootfs": d.rootfs(), "command": ["true"], "network": "nowhere" } }),
    );
    assert_eq!(error_of(r), "io.berth.Container.NoSuchNetwork");
    let r = c.call(
        "io.berth.Container.Create",
        json!({ "options": { "rootfs": d.rootfs(), "command": ["true"], "network": "host", "networks": ["berth"] } }),
    );
    assert_eq!(error_of(r), "io.berth.Container.InvalidArgument");
}

#[test]
fn prune_takes_created_and_exited_and_keeps_running() {
    let d = Daemon::start();
    let mut c = d.client();
    let created = create(&mut c, &d, "created", &["/bin/sleep", "600"], json!({}));
    let exited = create(&mut c, &d, "exited", &["/bin/true"], json!({}));
    let running = create(&mut c, &d, "running", &["/bin/sleep", "600"], json!({}));
    let configured = create(&mut c, &d, "configured", &["/bin/true"], json!({}));
    call(&mut c, "Init", "created", json!({}));
    let init_pid = state(&mut c, "created")["pid"].as_i64().unwrap();
    call(&mut c, "Start", "exited", json!({}));
    call(&mut c, "Wait", "exited", json!({}));
    call(&mut c, "Start", "running", json!({}));
    let reports = c.call("io.berth.Container.Prune", json!({})).unwrap()["reports"].clone();
    let mut pruned: Vec<&str> = reports.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    pruned.sort();
    let mut want = vec![created.as_str(), exited.as_str(), configured.as_str()];
    want.sort();
    assert_eq!(pruned, want);
    assert!(reports.as_array().unwrap().iter().all(|r| r["error"].is_null()), "{reports}");
    for id in [&created, &exited, &configured] {
        assert_gone(&d, &mut c, id);
    }
    assert!(!pid_alive(init_pid), "the created container's init was stopped");
    assert_eq!(state(&mut c, &running)["state"], "running");
}

#[test]
fn pods_start_stop_and_kill_their_containers_infra_first() {
    let d = Daemon::start();
    let mut c = d.client();
    let pod = c.call("io.berth.Pod.Create", json!({ "name": "p", "infra": true })).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let infra = c.call("io.berth.Pod.Inspect", json!({ "nameOrId": "p" })).unwrap()["pod"]["infraId"]
        .as_str()
        .unwrap()
        .to_string();
    let a = create(&mut c, &d, "a", &["/bin/sleep", "600"], json!({ "pod": "p", "stopTimeout": 1 }));
    let b = create(
        &mut c,
        &d,
        "b",
        &["/bin/sh", "-c", "trap 'exit 3' TERM; while :; do sleep 0.1; done"],
        json!({ "pod": "p" }),
    );
    let started = c.call("io.berth.Pod.Start", json!({ "nameOrId": "p" })).unwrap();
    assert_eq!(started["id"], pod.as_str());
    assert_eq!(started["containers"], json!([infra, a, b]));
    for id in [&infra, &a, &b] {
        assert_eq!(state(&mut c, id)["state"], "running");
    }
    // Starting again starts nothing new.
    assert_eq!(c.call("io.berth.Pod.Start", json!({ "nameOrId": "p" })).unwrap()["containers"], json!([]));
    let stopped = c.call("io.berth.Pod.Stop", json!({ "nameOrId": "p" })).unwrap();
    assert_eq!(stopped["containers"], json!([a, b, infra]), "infra last");
    assert_eq!(state(&mut c, &b)["exitCode"], 3);
    assert_eq!(state(&mut c, &a)["exitCode"], 137);
    c.call("io.berth.Pod.Start", json!({ "nameOrId": "p" })).unwrap();
    let killed = c.call("io.berth.Pod.Kill", json!({ "nameOrId": "p", "signal": "KILL" })).unwrap();
    assert_eq!(killed["containers"].as_array().unwrap().len(), 3);
    for id in [&infra, &a, &b] {
        assert_eq!(call(&mut c, "Wait", id, json!({}))["exitCode"], 137);
    }
    c.call("io.berth.Pod.Start", json!({ "nameOrId": "p" })).unwrap();
    let removed = c.call("io.berth.Pod.Remove", json!({ "nameOrId": "p", "force": true })).unwrap();
    assert_eq!(removed["removedContainers"].as_array().unwrap().len(), 3);
    for id in [&infra, &a, &b] {
        assert_gone(&d, &mut c, id);
    }
}

/// As systemd does for berth.socket: hold the listening socket while berthd
/// is down, and start berthd with it (LISTEN_FDS) when a client connects.
#[test]
#[allow(unsafe_code)] // hands berthd the socket as systemd would (pre_exec)
fn an_exit_while_berthd_is_down_wakes_it_through_its_socket() {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let mut d = Daemon::start();
    let mut c = d.client();
    create(&mut c, &d, "late", &["/bin/sh", "-c", "sleep 1; exit 4"], json!({}));
    let gone = create(&mut c, &d, "gone", &["/bin/sh", "-c", "sleep 1; exit 5"], json!({ "autoRemove": true }));
    call(&mut c, "Start", "late", json!({}));
    call(&mut c, "Start", "gone", json!({}));
    drop(c);
    d.child.kill().unwrap();
    d.child.wait().unwrap();
    let _ = std::fs::remove_file(d.socket());
    let listener = std::os::unix::net::UnixListener::bind(d.socket()).unwrap();
    // conmon's exit command connects: the socket becomes readable.
    let mut fds = [nix::poll::PollFd::new(std::os::fd::AsFd::as_fd(&listener), nix::poll::PollFlags::POLLIN)];
    let ready = nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(10_000u16)).unwrap();
    assert_eq!(ready, 1, "no exit command connected");
    let fd = listener.as_raw_fd();
    let mut cmd = std::process::Command::new("/bin/sh");
    cmd.args(["-c", "export LISTEN_PID=$$ LISTEN_FDS=1; exec \"$0\" \"$@\"", env!("CARGO_BIN_EXE_berthd")])
        .arg("--root")
        .arg(d.root())
        .arg("--run-root")
        .arg(d.dir.path().join("run"))
        .args(["--idle-timeout", "0", "--dbus", "none", "--cgroup-manager", "cgroupfs", "--config"])
        .arg(d.config_path())
        .stdout(std::process::Stdio::null());
    // SAFETY: dup2 and fcntl are async-signal-safe; the listener outlives
    // the spawn. dup2 onto itself would keep close-on-exec, hence the fcntl.
    unsafe {
        cmd.pre_exec(move || {
            let r = if fd == 3 { nix::libc::fcntl(3, nix::libc::F_SETFD, 0) } else { nix::libc::dup2(fd, 3) };
            if r == -1 {
                Err(std::io::Error::last_os_error())
            } else {
                Ok(())
            }
        });
    }
    d.child = cmd.spawn().unwrap();
    let mut c = d.client();
    let st = state(&mut c, "late");
    assert_eq!((st["state"].as_str(), st["exitCode"].as_i64()), (Some("exited"), Some(4)));
    // The other one may exit a moment after the wake-up; then it is removed.
    let deadline = Instant::now() + Duration::from_secs(10);
    while call(&mut c, "Exists", &gone, json!({}))["exists"] == true {
        assert!(Instant::now() < deadline, "the autoRemove container was not removed");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `state`'s once `done` holds of it, within 10 seconds.
fn state_when(c: &mut Client, name: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let s = state(c, name);
        if done(&s) {
            return s;
        }
        assert!(Instant::now() < deadline, "{name}: never {what}: {s}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Kill a container's process from outside berth, as a crash would.
fn kill_from_outside(pid: i64) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::Signal::SIGKILL).unwrap();
}

#[test]
fn restart_policies_start_again_what_exits_on_its_own() {
    let mut d = Daemon::start();
    let mut c = d.client();
    // on-failure:2 exiting 1: started twice more, then left exited.
    create(
        &mut c,
        &d,
        "flaky",
        &["/bin/sh", "-c", "exit 1"],
        json!({ "restartPolicy": "on-failure", "restartRetries": 2 }),
    );
    call(&mut c, "Start", "flaky", json!({}));
    let s = state_when(&mut c, "flaky", "restarted twice", |s| s["restartCount"] == 2 && s["state"] == "exited");
    assert_eq!(s["exitCode"], 1);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(state(&mut c, "flaky")["restartCount"], 2, "no third restart");
    let config = call(&mut c, "Inspect", "flaky", json!({}))["container"]["config"].clone();
    assert_eq!((config["restartPolicy"].as_str(), config["restartRetries"].as_i64()), (Some("on-failure"), Some(2)));
    // A user's start counts from nothing again.
    call(&mut c, "Start", "flaky", json!({}));
    state_when(&mut c, "flaky", "restarted twice again", |s| s["restartCount"] == 2 && s["state"] == "exited");

    // always: killed from outside, back with another process.
    create(&mut c, &d, "steady", &["/bin/sleep", "600"], json!({ "restartPolicy": "always" }));
    call(&mut c, "Start", "steady", json!({}));
    let pid = state(&mut c, "steady")["pid"].as_i64().unwrap();
    kill_from_outside(pid);
    let s = state_when(&mut c, "steady", "back", |s| s["state"] == "running" && s["pid"].as_i64() != Some(pid));
    assert_eq!(s["restartCount"], 1);
    // A user's stop or kill is not undone.
    call(&mut c, "Stop", "steady", json!({ "timeout": 0 }));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(state(&mut c, "steady")["state"], "exited");
    create(&mut c, &d, "polite", &["/bin/sleep", "600"], json!({ "restartPolicy": "unless-stopped" }));
    call(&mut c, "Start", "polite", json!({}));
    call(&mut c, "Kill", "polite", json!({}));
    state_when(&mut c, "polite", "exited", |s| s["state"] == "exited");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(state(&mut c, "polite")["state"], "exited", "a user's kill is not restarted");

    // Update gives a live container a policy; an exit berthd learns of
    // when it starts again is restarted then.
    create(&mut c, &d, "later", &["/bin/sleep", "600"], json!({}));
    call(&mut c, "Start", "later", json!({}));
    call(&mut c, "Update", "later", json!({ "restartPolicy": "always" }));
    let pid = state(&mut c, "later")["pid"].as_i64().unwrap();
    drop(c);
    d.stop();
    kill_from_outside(pid);
    std::thread::sleep(Duration::from_millis(300));
    d.restart(&["--idle-timeout", "0"]);
    let mut c = d.client();
    let s = state_when(&mut c, "later", "restarted at berthd's start", |s| s["state"] == "running");
    assert_eq!(s["restartCount"], 1);
    assert_ne!(s["pid"].as_i64(), Some(pid));

    // Bad policies, by name.
    let bad = |c: &mut Client, options: Value| match c.call("io.berth.Container.Create", json!({ "options": options }))
    {
        Err(ClientError::Remote { error, parameters }) => {
            (error, parameters["field"].as_str().unwrap_or("").to_string())
        }
        other => panic!("{other:?}"),
    };
    let base = json!({ "rootfs": d.rootfs(), "command": ["/bin/true"] });
    let with = |extra: Value| {
        let mut o = base.clone();
        o.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        o
    };
    let invalid = |field: &str| ("io.berth.Container.InvalidArgument".to_string(), field.to_string());
    assert_eq!(bad(&mut c, with(json!({ "restartPolicy": "sometimes" }))), invalid("restartPolicy"));
    assert_eq!(bad(&mut c, with(json!({ "restartPolicy": "always", "restartRetries": 3 }))), invalid("restartRetries"));
    assert_eq!(bad(&mut c, with(json!({ "restartPolicy": "always", "autoRemove": true }))), invalid("restartPolicy"));
    match c.call("io.berth.Container.Update", json!({ "nameOrId": "later", "restartPolicy": "never" })) {
        Err(ClientError::Remote { parameters, .. }) => assert_eq!(parameters["field"], "restartPolicy"),
        other => panic!("{other:?}"),
    }
    call(&mut c, "Remove", "later", json!({ "force": true }));
}

#[test]
fn health_checks_run_on_schedule_and_act_on_unhealthy() {
    let d = Daemon::start();
    let mut c = d.client();
    let check =
        json!({ "test": ["CMD-SHELL", "test -e /dev/shm/ok"], "interval": 1, "retries": 2, "onFailure": "restart" });
    create(&mut c, &d, "checked", &["/bin/sleep", "600"], json!({ "healthcheck": check, "stopTimeout": 1 }));
    let config = call(&mut c, "Inspect", "checked", json!({}))["container"]["config"]["healthcheck"].clone();
    assert_eq!(config["command"], json!(["/bin/sh", "-c", "test -e /dev/shm/ok"]));
    assert_eq!((config["timeout"].as_i64(), config["onFailure"].as_str()), (Some(30), Some("restart")));
    assert_eq!(
        error_of(c.call("io.berth.Container.Healthcheck", json!({ "nameOrId": "checked" }))),
        "io.berth.Container.InvalidState",
        "not running"
    );
    call(&mut c, "Start", "checked", json!({}));
    assert_eq!(state(&mut c, "checked")["health"]["status"], "starting");
    // One failure of two allowed: still starting; then healthy.
    assert_eq!(call(&mut c, "Healthcheck", "checked", json!({}))["status"], "starting");
    let touch = json!({ "command": ["/bin/touch", "/dev/shm/ok"] });
    assert_eq!(call(&mut c, "Exec", "checked", touch)["exitCode"], 0);
    assert_eq!(call(&mut c, "Healthcheck", "checked", json!({}))["status"], "healthy");
    let health = state(&mut c, "checked")["health"].clone();
    let codes: Vec<i64> = health["log"].as_array().unwrap().iter().map(|r| r["exitCode"].as_i64().unwrap()).collect();
    assert_eq!(codes, [1, 0]);
    assert_eq!(health["failingStreak"], 0);
    // The scheduler checks every second: without the file, two failures
    // make it unhealthy, and on-failure restarts it (starting again).
    let pid = state(&mut c, "checked")["pid"].as_i64();
    let rm = json!({ "command": ["/bin/rm", "/dev/shm/ok"] });
    assert_eq!(call(&mut c, "Exec", "checked", rm)["exitCode"], 0);
    let s = state_when(&mut c, "checked", "restarted when unhealthy", |s| {
        s["state"] == "running" && s["pid"].as_i64() != pid
    });
    assert_eq!(s["health"]["status"], "starting", "{s}");
    let codes =
        s["health"]["log"].as_array().unwrap().iter().map(|r| r["exitCode"].as_i64().unwrap()).collect::<Vec<_>>();
    assert!(codes.ends_with(&[1, 1]), "{codes:?}");

    // A check past its timeout fails, and its process is killed.
    let slow = json!({ "test": ["CMD", "/bin/sleep", "77"], "interval": 3600, "timeout": 1 });
    create(&mut c, &d, "slow", &["/bin/sleep", "600"], json!({ "healthcheck": slow, "stopTimeout": 1 }));
    call(&mut c, "Start", "slow", json!({}));
    let started = Instant::now();
    call(&mut c, "Healthcheck", "slow", json!({}));
    assert!(started.elapsed() < Duration::from_secs(10), "the check ended at its timeout");
    let last = state(&mut c, "slow")["health"]["log"][0].clone();
    assert_eq!(last["exitCode"], 1);
    assert!(last["output"].as_str().unwrap().contains("timed out after 1 s"), "{last}");
    let top = call(&mut c, "Top", "slow", json!({ "descriptors": ["args"] }))["processes"].to_string();
    assert!(!top.contains("sleep 77"), "the check's process is gone: {top}");
    assert_eq!(call(&mut c, "Inspect", "slow", json!({}))["container"]["execSessions"], json!([]));
    call(&mut c, "Remove", "slow", json!({ "force": true }));

    create(&mut c, &d, "unchecked", &["/bin/sleep", "600"], json!({}));
    call(&mut c, "Start", "unchecked", json!({}));
    let no_check = c.call("io.berth.Container.Healthcheck", json!({ "nameOrId": "unchecked" }));
    assert_eq!(error_of(no_check), "io.berth.Container.InvalidArgument");
    let bad = json!({ "options": { "rootfs": d.rootfs(), "command": ["/bin/true"],
        "healthcheck": { "test": ["CMD", "true"], "onFailure": "explode" } } });
    match c.call("io.berth.Container.Create", bad) {
        Err(ClientError::Remote { parameters, .. }) => assert_eq!(parameters["field"], "healthcheck.onFailure"),
        other => panic!("{other:?}"),
    }
    for name in ["checked", "unchecked"] {
        call(&mut c, "Remove", name, json!({ "force": true }));
    }
}

#[test]
fn stats_read_a_running_containers_use_from_its_cgroup() {
    let d = Daemon::start();
    let mut c = d.client();
    let script = "while [ ! -e /dev/shm/go ]; do sleep 0.05; done; x=$(head -c 30000000 /dev/zero | tr '\\0' a); touch /dev/shm/held; sleep 600; echo ${#x}";
    create(&mut c, &d, "hungry", &["/bin/sh", "-c", script], json!({ "stopTimeout": 1 }));
    create(&mut c, &d, "idle", &["/bin/true"], json!({}));
    call(&mut c, "Start", "hungry", json!({}));
    let sample = |c: &mut Client| {
        c.call("io.berth.Container.Stats", json!({ "namesOrIds": ["hungry"] })).unwrap()["stats"][0].clone()
    };
    let before = sample(&mut c);
    assert_eq!(before["name"], "hungry");
    assert!(before["pids"].as_i64().unwrap() >= 1 && before["cpuNanos"].as_i64().unwrap() > 0, "{before}");
    assert!(before["memoryLimit"].as_i64().unwrap() > before["memoryBytes"].as_i64().unwrap(), "{before}");
    let go = json!({ "command": ["/bin/touch", "/dev/shm/go"] });
    assert_eq!(call(&mut c, "Exec", "hungry", go)["exitCode"], 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    while call(&mut c, "Exec", "hungry", json!({ "command": ["/bin/test", "-e", "/dev/shm/held"] }))["exitCode"] != 0 {
        assert!(Instant::now() < deadline, "the container never held its memory");
        std::thread::sleep(Duration::from_millis(50));
    }
    let after = sample(&mut c);
    let grew = after["memoryBytes"].as_i64().unwrap() - before["memoryBytes"].as_i64().unwrap();
    assert!(grew > 20_000_000, "memory grew by {grew}: {before} then {after}");
    // Every running one without names; a stream with more.
    let all = c.call("io.berth.Container.Stats", json!({})).unwrap()["stats"].as_array().unwrap().len();
    assert_eq!(all, 1, "only the running one");
    let mut replies = 0;
    c.stream("io.berth.Container.Stats", json!({ "namesOrIds": ["hungry"], "interval": 1 }), |r| {
        assert_eq!(r["stats"][0]["name"], "hungry");
        replies += 1;
        replies < 2
    })
    .unwrap();
    let mut c = d.client();
    let stopped = c.call("io.berth.Container.Stats", json!({ "namesOrIds": ["idle"] }));
    assert_eq!(error_of(stopped), "io.berth.Container.InvalidState");
    let shown = d.ctl(&["stats", "--no-stream", "hungry"]);
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(text.contains("MEM USAGE / LIMIT") && text.lines().nth(1).is_some_and(|l| l.contains("hungry")), "{text}");
    call(&mut c, "Remove", "hungry", json!({ "force": true }));
}

#[test]
fn update_changes_a_running_containers_limits_at_once() {
    let d = Daemon::start();
    let mut c = d.client();
    create(&mut c, &d, "limited", &["/bin/sleep", "600"], json!({ "stopTimeout": 1 }));
    call(&mut c, "Start", "limited", json!({}));
    let limits = json!({ "resources": { "memoryMax": 64 << 20, "pidsMax": 50 } });
    call(&mut c, "Update", "limited", limits);
    let resources = call(&mut c, "Inspect", "limited", json!({}))["container"]["config"]["resources"].clone();
    assert_eq!((resources["memoryMax"].as_i64(), resources["pidsMax"].as_i64()), (Some(64 << 20), Some(50)));
    assert_eq!(resources["memorySwap"].as_i64(), Some(128 << 20), "podman's default swap with a new memory limit");
    // What the kernel enforces now, and what a sample says.
    let sample = c.call("io.berth.Container.Stats", json!({ "namesOrIds": ["limited"] })).unwrap()["stats"][0].clone();
    assert_eq!(sample["memoryLimit"].as_i64(), Some(64 << 20), "{sample}");
    let pid = state(&mut c, "limited")["pid"].as_i64().unwrap();
    let cgroups = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let pids_dir = cgroups.lines().find_map(|l| l.split_once(":pids:").map(|(_, p)| p.to_string()));
    let pids_max = match pids_dir {
        Some(dir) => std::fs::read_to_string(format!("/sys/fs/cgroup/pids{dir}/pids.max")).unwrap(),
        None => {
            let dir = cgroups.lines().find_map(|l| l.strip_prefix("0::")).unwrap();
            std::fs::read_to_string(format!("/sys/fs/cgroup{dir}/pids.max")).unwrap()
        }
    };
    assert_eq!(pids_max.trim(), "50");
    let zero = c.call("io.berth.Container.Update", json!({ "nameOrId": "limited", "resources": { "memoryMax": 0 } }));
    match zero {
        Err(ClientError::Remote { parameters, .. }) => assert_eq!(parameters["field"], "resources.memoryMax"),
        other => panic!("{other:?}"),
    }
    assert_eq!(d.ctl(&["update", "--cpus", "0.5", "limited"]).status.code(), Some(0));
    let nano = call(&mut c, "Inspect", "limited", json!({}))["container"]["config"]["resources"]["nanoCpus"].clone();
    assert_eq!(nano, 500_000_000);
    call(&mut c, "Remove", "limited", json!({ "force": true }));
}
