//! Crashes at every step. berthd kills itself with SIGKILL at a crash point
//! (src/fault.rs: `BERTH_CRASH_AT`, debug builds) between two steps of
//! create, init, start, an exec's start, stop, remove, rename and prune, and is started
//! again. Then: the records the client was told about are there, once; a
//! container whose record says it has no processes has no conmon, runtime
//! container, exit file or mount; Check finds nothing; every container can
//! still be used; and removing them all leaves nothing at all.

mod common;

use berth::client::{Client, ClientError};
use common::{conmons, image, runc_list, Daemon};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::os::unix::process::ExitStatusExt;

const IMAGE: &str = "localhost/crash:1";
const SLEEP: [&str; 3] = ["/bin/busybox", "sleep", "600"];
const TRUE: [&str; 2] = ["/bin/busybox", "true"];
/// An exec that runs until told to end, then exits 7.
const EXEC: [&str; 4] =
    ["/bin/busybox", "sh", "-c", "while [ ! -e /dev/shm/go ]; do /bin/busybox sleep 0.05; done; exit 7"];

/// The exec session the crash case made (its ID is new each time).
static EXEC_ID: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

fn exec_id() -> Value {
    json!({ "execId": *EXEC_ID.lock().unwrap() })
}

fn call(c: &mut Client, method: &str, params: Value) -> Value {
    c.call(method, params.clone()).unwrap_or_else(|e| panic!("{method} {params}: {e}"))
}

fn create(c: &mut Client, name: &str, command: &[&str]) -> String {
    // Stopped (and force-removed) with SIGKILL at once: sleep, as PID 1,
    // ignores the stop signal.
    let options = json!({ "image": IMAGE, "command": command, "name": name, "stopTimeout": 0 });
    call(c, "io.berth.Container.Create", json!({ "options": options }))["id"].as_str().unwrap().to_string()
}

fn on(c: &mut Client, method: &str, name: &str) -> Value {
    call(c, &format!("io.berth.Container.{method}"), json!({ "nameOrId": name }))
}

fn state(c: &mut Client, name: &str) -> String {
    on(c, "Inspect", name)["container"]["state"]["state"].as_str().unwrap().to_string()
}

fn run_to_exit(c: &mut Client, name: &str) {
    create(c, name, &TRUE);
    on(c, "Start", name);
    on(c, "Wait", name);
}

/// One crash: what is there before, the call berthd dies in, and what the
/// restarted berthd must show besides the common checks.
#[derive(Clone, Copy)]
struct Case {
    point: &'static str,
    prepare: fn(&mut Client),
    /// The method and parameters of the call that crashes.
    crash: (&'static str, fn() -> Value),
    after: fn(&mut Client),
}

/// The same case at each of `points`.
fn at(points: &[&'static str], case: Case) -> Vec<Case> {
    points.iter().map(|point| Case { point, ..case }).collect()
}

fn start_c() -> Value {
    json!({ "nameOrId": "c" })
}

fn cases() -> Vec<Case> {
    let mut cases = vec![Case {
        point: "create.recorded",
        prepare: |_| {},
        crash: ("io.berth.Container.Create", || json!({ "options": { "image": IMAGE, "command": TRUE, "name": "c" } })),
        // Committed before the crash: there, once, and usable.
        after: |c| {
            assert_eq!(state(c, "c"), "configured");
            on(c, "Start", "c");
            assert_eq!(on(c, "Wait", "c")["exitCode"], 0);
        },
    }];
    // Before conmon runs, and once conmon and runc have created the
    // container but berthd has not recorded it.
    cases.extend(at(
        &["init.intent", "init.created"],
        Case {
            point: "",
            prepare: |c| drop(create(c, "c", &SLEEP)),
            crash: ("io.berth.Container.Start", start_c),
            after: |c| {
                assert_eq!(state(c, "c"), "configured");
                on(c, "Start", "c");
                assert_eq!(state(c, "c"), "running");
            },
        },
    ));
    cases.extend([
        Case {
            // The same, for a container started again after an exit.
            point: "init.created",
            prepare: |c| run_to_exit(c, "c"),
            crash: ("io.berth.Container.Start", start_c),
            after: |c| {
                assert_eq!(state(c, "c"), "exited");
                on(c, "Start", "c");
                assert_eq!(on(c, "Wait", "c")["exitCode"], 0);
            },
        },
        Case {
            // The runtime started it: adopted as running.
            point: "start.released",
            prepare: |c| drop(create(c, "c", &SLEEP)),
            crash: ("io.berth.Container.Start", start_c),
            after: |c| {
                assert_eq!(state(c, "c"), "running");
                call(c, "io.berth.Container.Stop", json!({ "nameOrId": "c", "timeout": 0 }));
                assert_eq!(state(c, "c"), "exited");
            },
        },
    ]);
    cases.extend(at(
        &["stop.signalled", "stop.ended"],
        Case {
            point: "",
            prepare: |c| {
                create(c, "c", &SLEEP);
                on(c, "Start", "c");
            },
            crash: ("io.berth.Container.Stop", || json!({ "nameOrId": "c", "timeout": 0 })),
            after: |c| assert_eq!(state(c, "c"), "exited"),
        },
    ));
    cases.extend([
        Case {
            point: "remove.marked",
            prepare: |c| {
                create(c, "c", &SLEEP);
                on(c, "Start", "c");
            },
            crash: ("io.berth.Container.Remove", || json!({ "nameOrId": "c", "force": true })),
            after: |c| assert_eq!(on(c, "Exists", "c")["exists"], false),
        },
        Case {
            point: "remove.files",
            prepare: |c| run_to_exit(c, "c"),
            crash: ("io.berth.Container.Remove", start_c),
            after: |c| assert_eq!(on(c, "Exists", "c")["exists"], false),
        },
        Case {
            point: "rename.transaction",
            prepare: |c| drop(create(c, "c", &TRUE)),
            crash: ("io.berth.Container.Rename", || json!({ "nameOrId": "c", "newName": "renamed" })),
            after: |c| {
                assert_eq!(on(c, "Exists", "c")["exists"], true);
                assert_eq!(on(c, "Exists", "renamed")["exists"], false);
                call(c, "io.berth.Container.Rename", json!({ "nameOrId": "c", "newName": "renamed" }));
            },
        },
    ]);
    cases.push(Case {
        // conmon runs the exec session; berthd had not recorded it running:
        // found running, not started twice, its exit found.
        point: "exec.launched",
        prepare: |c| {
            create(c, "c", &SLEEP);
            on(c, "Start", "c");
            let made = call(c, "io.berth.Container.ExecCreate", json!({ "nameOrId": "c", "command": EXEC }));
            *EXEC_ID.lock().unwrap() = made["execId"].as_str().unwrap().to_string();
        },
        crash: ("io.berth.Container.ExecStart", exec_id),
        after: |c| {
            let session = call(c, "io.berth.Container.ExecInspect", exec_id())["session"].clone();
            assert_eq!(session["state"], "running", "{session}");
            assert!(session["pid"].as_i64().is_some_and(|p| p > 0), "{session}");
            match c.call("io.berth.Container.ExecStart", exec_id()) {
                Err(ClientError::Remote { error, .. }) => assert_eq!(error, "io.berth.Container.InvalidState"),
                other => panic!("started twice: {other:?}"),
            }
            // It ends (the file it waits for), and its exit is found.
            let touch = json!({ "nameOrId": "c", "command": ["/bin/busybox", "touch", "/dev/shm/go"] });
            assert_eq!(call(c, "io.berth.Container.Exec", touch)["exitCode"], 0);
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            loop {
                let session = call(c, "io.berth.Container.ExecInspect", exec_id())["session"].clone();
                if session["state"] == "stopped" {
                    assert_eq!(session["exitCode"], 7);
                    break;
                }
                assert!(std::time::Instant::now() < deadline, "the session never ended: {session}");
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        },
    });
    cases.extend(at(
        &["prune.marked", "prune.files"],
        Case {
            point: "",
            prepare: |c| ["p1", "p2", "p3"].into_iter().for_each(|n| run_to_exit(c, n)),
            crash: ("io.berth.Container.Prune", || json!({})),
            after: |c| assert_eq!(call(c, "io.berth.Container.List", json!({ "all": true }))["containers"], json!([])),
        },
    ));
    cases
}

/// Overlay mounts under this daemon's directories.
fn mounts(d: &Daemon) -> Vec<String> {
    let dir = d.dir.path().display().to_string();
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .filter(|m| m.starts_with(&dir))
        .map(str::to_string)
        .collect()
}

fn exit_files(d: &Daemon) -> Vec<String> {
    std::fs::read_dir(d.dir.path().join("run/exits"))
        .map(|e| e.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

/// What every restart must show: nothing of a run outlives a record that
/// says it has no processes, and Check agrees.
fn assert_consistent(d: &Daemon, c: &mut Client, point: &str) {
    let listed = call(c, "io.berth.Container.List", json!({ "all": true }))["containers"].as_array().unwrap().clone();
    let names: Vec<&str> = listed.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names.iter().collect::<HashSet<_>>().len(), names.len(), "{point}: a name twice: {names:?}");
    let with_processes: HashSet<String> = listed
        .iter()
        .filter(|s| matches!(s["state"].as_str(), Some("created" | "running" | "paused" | "stopping")))
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    // An exit is announced before the runtime's state is deleted, and
    // conmon ends after its exit command: give those a moment.
    let leftovers = || {
        let mut left: Vec<String> = conmons(d)
            .into_iter()
            .filter(|(_, id)| !with_processes.contains(id))
            .map(|(pid, id)| format!("conmon {pid} of {id}"))
            .collect();
        left.extend(
            runc_list(d).into_iter().filter(|id| !with_processes.contains(id)).map(|id| format!("runc holds {id}")),
        );
        left.extend(
            exit_files(d).into_iter().filter(|id| !with_processes.contains(id)).map(|id| format!("exit file {id}")),
        );
        left.extend(mounts(d).into_iter().filter(|m| !with_processes.iter().any(|id| m.contains(id.as_str()))));
        left
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !leftovers().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(leftovers(), Vec::<String>::new(), "{point}: left of runs that ended: {listed:?}");
    let problems = call(c, "io.berth.System.Check", json!({}))["problems"].clone();
    assert_eq!(problems, json!([]), "{point}: Check finds problems after the restart");
}

#[test]
fn a_crash_at_every_step_is_repaired_by_the_next_start() {
    let cases = cases();
    for case in &cases {
        let mut d = Daemon::start();
        let img = image::build(d.dir.path());
        let mut c = d.client();
        call(&mut c, "io.berth.Image.Import", json!({ "path": img.layout, "reference": IMAGE }));
        (case.prepare)(&mut c);
        drop(c);

        d.restart_env(&["--idle-timeout", "0"], &[("BERTH_CRASH_AT", case.point)]);
        let (method, params) = (case.crash.0, (case.crash.1)());
        match d.client().call(method, params) {
            Err(ClientError::Io(_)) => {}
            other => panic!("{}: berthd answered instead of crashing: {other:?}", case.point),
        }
        let status = d.child.wait().unwrap();
        assert_eq!(status.signal(), Some(9), "{}: berthd ended by {status}, not its crash point", case.point);

        d.restart(&["--idle-timeout", "0"]);
        let mut c = d.client();
        assert_consistent(&d, &mut c, case.point);
        (case.after)(&mut c);
        assert_consistent(&d, &mut c, case.point);

        for s in call(&mut c, "io.berth.Container.List", json!({ "all": true }))["containers"].as_array().unwrap() {
            call(&mut c, "io.berth.Container.Remove", json!({ "nameOrId": s["id"], "force": true }));
        }
        assert_eq!(conmons(&d), vec![], "{}: conmons left after removing everything", case.point);
        assert_eq!(runc_list(&d), Vec::<String>::new(), "{}", case.point);
        assert_eq!(exit_files(&d), Vec::<String>::new(), "{}", case.point);
        assert_eq!(mounts(&d), Vec::<String>::new(), "{}", case.point);
        eprintln!("crash at {}: repaired", case.point);
    }
    eprintln!("{} crash points, each repaired by the next start", cases.len());
}
