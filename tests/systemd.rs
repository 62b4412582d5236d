//! End to end in a booted systemd (tests/sandbox): socket activation,
//! notify, idle exit, transient scopes, journald. Calls come from the host
//! through the exchanged socket, as a client on the machine would make them.

mod common;

use berth::client::Client;
use common::sandbox::{Mode, Sandbox};
use serde_json::json;

fn client(s: &Sandbox) -> Client {
    let mut c = Client::connect(&s.address()).unwrap();
    c.set_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
    c
}

#[test]
fn activation_on_first_call_with_ready_and_status() {
    let s = Sandbox::boot("activation", Mode::Unified);
    assert_eq!(s.ok("systemctl is-active berth.socket"), "active");
    assert_eq!(s.sh("systemctl is-active berth.service").stdout, b"inactive\n");
    let info = client(&s).call("io.berth.System.Info", json!({})).unwrap();
    assert_eq!(info["cgroupManager"], "systemd", "{info}");
    assert_eq!(s.ok("systemctl is-active berth.service"), "active");
    let status = s.ok("systemctl show -p StatusText --value berth.service");
    assert!(status.starts_with("serving varlink on unix:/run/berth/io.berth; 0 containers"), "{status}");

    // The watchdog: pinged while berthd runs (here every second of a 2 s one).
    s.ok("mkdir -p /etc/systemd/system/berth.service.d && printf '[Service]\\nWatchdogSec=2\\n' \
          > /etc/systemd/system/berth.service.d/watchdog.conf && systemctl daemon-reload && systemctl restart berth.service");
    let pinged = || s.ok("systemctl show -p WatchdogTimestampMonotonic --value berth.service");
    let first = pinged();
    std::thread::sleep(std::time::Duration::from_millis(3500));
    assert_ne!(pinged(), first, "no watchdog ping in 3.5 s");
    assert_eq!(s.ok("systemctl is-active berth.service"), "active");
    assert_eq!(s.ok("systemctl show -p NRestarts --value berth.service"), "0");
}

/// berthd exits after a short idle timeout; the client loop keeps calling
/// across those exits, with pauses on both sides of the timeout.
#[test]
fn idle_exit_and_reactivation_under_a_client_loop_lose_no_call() {
    let s = Sandbox::boot("idle", Mode::Unified);
    s.idle_after_one_second();
    let (rootfs, inside) = s.shared_dir("rootfs");
    std::fs::create_dir_all(rootfs.join("bin")).unwrap();
    let pauses = [0u64, 1500, 50, 950, 1000, 0, 2000, 10, 1050, 990, 1600, 0, 1010, 1800, 1002];
    let (mut failed, mut created) = (Vec::new(), Vec::new());
    for (i, pause) in pauses.iter().enumerate() {
        std::thread::sleep(std::time::Duration::from_millis(*pause));
        let result = Client::connect(&s.address()).and_then(|mut c| {
            c.call("io.berth.System.Info", json!({}))?;
            c.call(
                "io.berth.Container.Create",
                json!({ "options": { "rootfs": inside, "command": ["/bin/true"], "name": format!("c{i}") } }),
            )
        });
        match result {
            Ok(r) => created.push(r["name"].as_str().unwrap().to_string()),
            Err(e) => failed.push(format!("call {i} after {pause} ms: {e}")),
        }
    }
    assert!(failed.is_empty(), "failed calls: {failed:?}");
    let listed = client(&s).call("io.berth.Container.List", json!({ "all": true })).unwrap();
    let mut names: Vec<String> =
        listed["containers"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect();
    names.sort();
    created.sort();
    assert_eq!(names, created, "every container created across the restarts is known");
    let starts = s.journal(&["-u", "berth.service", "-o", "cat"]).lines().filter(|l| l.starts_with("Started")).count();
    assert!(starts >= 4, "berthd was activated {starts} times; expected an idle exit after most long pauses");
    let state = s.sh("systemctl is-failed berth.service berth.socket");
    assert!(!String::from_utf8_lossy(&state.stdout).contains("failed"), "{state:?}");
}

#[test]
fn a_second_berthd_on_the_same_root_refuses_to_start() {
    let s = Sandbox::boot("second", Mode::Unified);
    client(&s).call("io.berth.System.Info", json!({})).unwrap();
    let out = s.sh("berthd --root /var/lib/berth --varlink unix:/run/second.sock --idle-timeout 0");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/var/lib/berth"), "{err}");
    assert_eq!(s.ok("systemctl is-active berth.service"), "active");
}

fn berth_units(s: &Sandbox) -> String {
    s.ok("systemctl list-units --all --no-legend --plain 'berth-*.scope' 'machine-berth*'")
}

#[test]
fn containers_and_conmon_run_in_their_own_scopes_and_leave_no_unit() {
    let s = Sandbox::boot("scopes", Mode::Unified);
    let rootfs = s.busybox_rootfs();
    let mut c = client(&s);
    let create = |c: &mut Client, extra: serde_json::Value| {
        let mut options = json!({ "rootfs": rootfs, "command": ["/bin/sleep", "300"], "stopTimeout": 1 });
        options.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        c.call("io.berth.Container.Create", json!({ "options": options })).unwrap()["id"].as_str().unwrap().to_string()
    };
    let id = create(&mut c, json!({ "name": "scoped" }));
    c.call("io.berth.Container.Start", json!({ "nameOrId": id })).unwrap();
    let pid = c.call("io.berth.Container.Inspect", json!({ "nameOrId": id })).unwrap()["container"]["state"]["pid"]
        .as_i64()
        .unwrap();
    let scope = format!("berth-{id}.scope");
    let props = s.ok(&format!("systemctl show -p ActiveState,Delegate,Slice,Description,ControlGroup {scope}"));
    assert!(props.contains("ActiveState=active") && props.contains("Delegate=yes"), "{props}");
    assert!(props.contains("Slice=machine.slice"), "{props}");
    assert!(props.contains(&format!("Description=berth container scoped ({id})")), "{props}");
    let procs = s.ok(&format!("cat /sys/fs/cgroup/machine.slice/{scope}/cgroup.procs"));
    assert!(procs.lines().any(|p| p == pid.to_string()), "pid {pid} not in {scope}: {procs}");
    let conmon = s.ok(&format!("systemctl show -p ActiveState,Slice berth-conmon-{id}.scope"));
    assert!(conmon.contains("ActiveState=active") && conmon.contains("Slice=machine.slice"), "{conmon}");
    let conmon_procs = s.ok(&format!("cat /sys/fs/cgroup/machine.slice/berth-conmon-{id}.scope/cgroup.procs"));
    let conmon_comm = s.ok(&format!("cat /proc/{}/comm", conmon_procs.lines().next().unwrap_or("0")));
    assert_eq!(conmon_comm, "conmon");

    // The container outlives its service: stopped and started again, berthd
    // finds it running in its scope.
    s.ok("systemctl stop berth.service && systemctl start berth.service");
    let mut c = client(&s);
    let state = c.call("io.berth.Container.Inspect", json!({ "nameOrId": id })).unwrap()["container"]["state"].clone();
    assert_eq!((state["state"].as_str(), state["pid"].as_i64()), (Some("running"), Some(pid)), "{state}");
    let procs = s.ok(&format!("cat /sys/fs/cgroup/machine.slice/{scope}/cgroup.procs"));
    assert!(procs.lines().any(|p| p == pid.to_string()), "pid {pid} left {scope}: {procs}");

    c.call("io.berth.Container.Stop", json!({ "nameOrId": id, "timeout": 0 })).unwrap();
    assert_eq!(berth_units(&s), "", "no unit after stop");
    c.call("io.berth.Container.Start", json!({ "nameOrId": id })).unwrap();
    assert!(berth_units(&s).contains(&scope), "the scope again after a restart");
    c.call("io.berth.Container.Remove", json!({ "nameOrId": id, "force": true })).unwrap();
    assert_eq!(berth_units(&s), "", "no unit after remove");

    // A pod's own slice, with the pod's CPU limits, and its members'
    // scopes in it.
    let limits = json!({ "name": "web", "nanoCpus": 1_500_000_000u64, "cpusetCpus": "0" });
    let pod = c.call("io.berth.Pod.Create", limits).unwrap()["id"].as_str().unwrap().to_string();
    let slice = format!("machine-berth_pod_{pod}.slice");
    assert_eq!(s.ok(&format!("systemctl show -p ActiveState --value {slice}")), "active");
    let shown = s.ok(&format!("systemctl show -p CPUQuotaPerSecUSec -p AllowedCPUs {slice}"));
    // systemd holds them; this sandbox's cgroup2 has no controllers (the
    // host's are on cgroup v1), so tests/podman enforces them under cgroupfs.
    assert_eq!(shown, "CPUQuotaPerSecUSec=1.500000s\nAllowedCPUs=0");
    let member = create(&mut c, json!({ "pod": "web" }));
    c.call("io.berth.Container.Start", json!({ "nameOrId": member })).unwrap();
    assert_eq!(s.ok(&format!("systemctl show -p Slice --value berth-{member}.scope")), slice);
    let procs = s.ok(&format!("cat /sys/fs/cgroup/machine.slice/{slice}/berth-{member}.scope/cgroup.procs"));
    assert!(!procs.is_empty());
    c.call("io.berth.Pod.Remove", json!({ "nameOrId": "web", "force": true })).unwrap();
    assert_eq!(berth_units(&s), "", "no unit after the pod's removal");
}

/// berthd killed between conmon's create (the scopes made) and the record
/// of it (src/fault.rs); the next connection starts it again, and that
/// start ends the run no record explains: its conmon, runtime container
/// and both scopes.
#[test]
fn a_crash_during_a_start_leaves_no_unit_once_berthd_is_back() {
    let s = Sandbox::boot("crash", Mode::Unified);
    let rootfs = s.busybox_rootfs();
    let options = json!({ "rootfs": rootfs, "command": ["/bin/sleep", "300"], "name": "c", "stopTimeout": 0 });
    let id = client(&s).call("io.berth.Container.Create", json!({ "options": options })).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    s.ok("mkdir -p /etc/systemd/system/berth.service.d && printf '[Service]\\nEnvironment=BERTH_CRASH_AT=init.created\\n' \
          > /etc/systemd/system/berth.service.d/crash.conf && systemctl daemon-reload && systemctl restart berth.service");
    let crashed = client(&s).call("io.berth.Container.Start", json!({ "nameOrId": "c" }));
    assert!(crashed.is_err(), "berthd answered instead of crashing: {crashed:?}");
    let units = berth_units(&s);
    assert!(units.contains(&format!("berth-{id}.scope")) && units.contains("berth-conmon-"), "{units}");
    s.ok("rm /etc/systemd/system/berth.service.d/crash.conf && systemctl daemon-reload");

    let mut c = client(&s);
    let state = c.call("io.berth.Container.Inspect", json!({ "nameOrId": "c" })).unwrap()["container"]["state"].clone();
    assert_eq!(state["state"], "configured", "{state}");
    assert_eq!(berth_units(&s), "", "the interrupted start's units outlived the repair");
    assert_eq!(s.ok("pgrep -c conmon || true"), "0");
    assert_eq!(c.call("io.berth.System.Check", json!({})).unwrap()["problems"], json!([]));
    let repaired = s.journal(&["-u", "berth.service", "-o", "verbose", "-g", "an init was interrupted"]);
    assert!(repaired.contains(&id), "{repaired}");
    c.call("io.berth.Container.Start", json!({ "nameOrId": "c" })).unwrap();
    assert!(berth_units(&s).contains(&format!("berth-{id}.scope")));
    c.call("io.berth.Container.Remove", json!({ "nameOrId": "c", "force": true })).unwrap();
    assert_eq!(berth_units(&s), "", "no unit after remove");
}

#[test]
fn events_berthd_logs_and_container_output_reach_the_journal() {
    let s = Sandbox::boot("journal", Mode::Unified);
    let rootfs = s.busybox_rootfs();
    let mut c = client(&s);
    let options = json!({ "rootfs": rootfs, "name": "talker", "logDriver": "journald",
        "conmonPidFile": "/run/talker-conmon.pid",
        "command": ["/bin/sh", "-c", "echo hello from the journal; echo to stderr >&2"] });
    let id =
        c.call("io.berth.Container.Create", json!({ "options": options })).unwrap()["id"].as_str().unwrap().to_string();
    c.call("io.berth.Container.Start", json!({ "nameOrId": id })).unwrap();
    assert_eq!(c.call("io.berth.Container.Wait", json!({ "nameOrId": id })).unwrap()["exitCode"], 0);
    s.ok("journalctl --sync");
    // conmon writes the entries (C-run030-63/64: _PID is conmon's).
    let conmon = s.ok("cat /run/talker-conmon.pid");
    let mut by_conmon: Vec<String> = s
        .journal(&[&format!("_PID={conmon}"), "-o", "cat"])
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    by_conmon.sort();
    assert_eq!(by_conmon, ["hello from the journal", "to stderr"]);
    // Read back through berthd: Logs, and Logs with follow (ends at exit).
    let logs = c.call("io.berth.Container.Logs", json!({ "nameOrId": id })).unwrap();
    let lines: Vec<(String, String)> = logs["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["stream"].as_str().unwrap().to_string(), l["text"].as_str().unwrap().to_string()))
        .collect();
    assert!(lines.contains(&("stdout".into(), "hello from the journal".into())), "{lines:?}");
    assert!(lines.contains(&("stderr".into(), "to stderr".into())), "{lines:?}");
    // Read from the journal's end, and between times.
    let last = c.call("io.berth.Container.Logs", json!({ "nameOrId": id, "tail": 1, "timestamps": true })).unwrap();
    let last = &last["lines"][0];
    assert_eq!(last["text"], format!("{} {}", last["time"].as_str().unwrap(), lines[1].1), "{last}");
    let texts = |r: serde_json::Value| r["lines"].as_array().unwrap().len();
    assert_eq!(texts(c.call("io.berth.Container.Logs", json!({ "nameOrId": id, "tail": 0 })).unwrap()), 0);
    assert_eq!(texts(c.call("io.berth.Container.Logs", json!({ "nameOrId": id, "tail": 5 })).unwrap()), 2);
    assert_eq!(texts(c.call("io.berth.Container.Logs", json!({ "nameOrId": id, "since": "1h" })).unwrap()), 2);
    let after = json!({ "nameOrId": id, "since": last["time"], "until": "4000000000" });
    assert!(texts(c.call("io.berth.Container.Logs", after).unwrap()) >= 1);
    assert_eq!(texts(c.call("io.berth.Container.Logs", json!({ "nameOrId": id, "until": "1h" })).unwrap()), 0);
    let mut followed = Vec::new();
    c.stream("io.berth.Container.Logs", json!({ "nameOrId": id, "follow": true }), |r| {
        followed.extend(r["lines"].as_array().unwrap().iter().map(|l| l["text"].as_str().unwrap().to_string()));
        true
    })
    .unwrap();
    assert_eq!(followed.len(), 2, "{followed:?}");
    c.call("io.berth.Container.Remove", json!({ "nameOrId": id })).unwrap();
    // Followed while it runs: lines arrive as written, the stream ends at exit.
    let options = json!({ "rootfs": rootfs, "name": "slow", "logDriver": "journald",
        "command": ["/bin/sh", "-c", "echo first; sleep 1; echo second; sleep 1; echo third"] });
    let slow = c.call("io.berth.Container.Create", json!({ "options": options })).unwrap()["id"].clone();
    c.call("io.berth.Container.Start", json!({ "nameOrId": slow })).unwrap();
    let started = std::time::Instant::now();
    let mut live = Vec::new();
    client(&s)
        .stream("io.berth.Container.Logs", json!({ "nameOrId": slow, "follow": true }), |r| {
            for l in r["lines"].as_array().unwrap() {
                live.push((l["text"].as_str().unwrap().to_string(), started.elapsed()));
            }
            true
        })
        .unwrap();
    let texts: Vec<&str> = live.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(texts, ["first", "second", "third"], "{live:?}");
    assert!(live[1].1 < std::time::Duration::from_millis(1900), "second came late: {live:?}");
    assert_eq!(
        c.call("io.berth.Container.Inspect", json!({ "nameOrId": slow })).unwrap()["container"]["state"]["state"],
        "exited"
    );

    let removed = s.journal(&["BERTH_EVENT=remove", "CONTAINER_NAME=talker", "-o", "cat"]);
    assert_eq!(removed.trim(), format!("container remove {id} (name=talker)"));
    let started = s.journal(&["BERTH_EVENT=start", &format!("CONTAINER_ID={id}"), "-o", "cat"]);
    assert_eq!(started.lines().count(), 1, "{started}");
    let output = s.journal(&[&format!("CONTAINER_ID_FULL={id}"), "SYSLOG_IDENTIFIER=talker", "-o", "cat"]);
    assert!(output.contains("hello from the journal") && output.contains("to stderr"), "{output}");
    let logs = s.journal(&["SYSLOG_IDENTIFIER=berthd", "-o", "cat"]);
    assert!(logs.contains("berthd serving"), "{logs}");
}

/// cgroup v1 (the legacy variant), where limits are enforced on this VM: the
/// scope carries the requested resources and the kernel applies them.
#[test]
fn legacy_hierarchy_scope_carries_and_enforces_the_resources_and_runs_crun() {
    let s = Sandbox::boot("legacy", Mode::Legacy);
    let rootfs = s.busybox_rootfs();
    let mut c = client(&s);
    let options = json!({ "rootfs": rootfs, "command": ["/bin/sleep", "300"], "stopTimeout": 1,
        "resources": { "memoryMax": 67108864, "pidsMax": 50, "cpuWeight": 200 } });
    let id =
        c.call("io.berth.Container.Create", json!({ "options": options })).unwrap()["id"].as_str().unwrap().to_string();
    c.call("io.berth.Container.Start", json!({ "nameOrId": id })).unwrap();
    let scope = format!("berth-{id}.scope");
    let props = s.ok(&format!("systemctl show -p MemoryMax,TasksMax,CPUWeight,Delegate {scope}"));
    for want in ["MemoryMax=67108864", "TasksMax=50", "CPUWeight=200", "Delegate=yes"] {
        assert!(props.lines().any(|l| l == want), "{want} not in {props}");
    }
    let limit = s.ok(&format!("cat /sys/fs/cgroup/memory/machine.slice/{scope}/memory.limit_in_bytes"));
    assert_eq!(limit, "67108864");
    let pids = s.ok(&format!("cat /sys/fs/cgroup/pids/machine.slice/{scope}/pids.max"));
    assert_eq!(pids, "50");
    c.call("io.berth.Container.Remove", json!({ "nameOrId": id, "force": true })).unwrap();
    assert_eq!(berth_units(&s), "", "no unit after remove");

    // crun, which cannot run on this VM's unified hierarchy, runs here.
    let options = json!({ "rootfs": rootfs, "runtime": "crun", "stopTimeout": 1,
        "command": ["/bin/sh", "-c", "echo hello from crun; sleep 1; exit 5"] });
    let id =
        c.call("io.berth.Container.Create", json!({ "options": options })).unwrap()["id"].as_str().unwrap().to_string();
    c.call("io.berth.Container.Start", json!({ "nameOrId": id })).unwrap();
    let scope = format!("berth-{id}.scope");
    assert_eq!(s.ok(&format!("systemctl show -p ActiveState --value {scope}")), "active");
    let inspect = c.call("io.berth.Container.Inspect", json!({ "nameOrId": id })).unwrap();
    assert_eq!(inspect["container"]["config"]["runtime"], "crun", "{inspect}");
    assert_eq!(c.call("io.berth.Container.Wait", json!({ "nameOrId": id })).unwrap()["exitCode"], 5);
    let logs = c.call("io.berth.Container.Logs", json!({ "nameOrId": id })).unwrap();
    assert_eq!(logs["lines"][0]["text"], "hello from crun", "{logs}");
    c.call("io.berth.Container.Remove", json!({ "nameOrId": id })).unwrap();
    assert_eq!(berth_units(&s), "", "no unit after the crun container's removal");
}

/// Issue 18's test through the real units: busybox httpd in a container on
/// the default network, its port 80 published as 8080 and fetched from the
/// sandbox's own network namespace; berthd killed with SIGKILL and started
/// again by the next call: still served; removed: no rule, link or
/// namespace left (the same lists as before the first start).
#[test]
fn a_published_port_serves_the_sandbox_and_outlives_a_killed_berthd() {
    let s = Sandbox::boot("ports", Mode::Unified);
    let rootfs = s.busybox_rootfs();
    let (host, _) = s.shared_dir("rootfs");
    std::fs::create_dir_all(host.join("www")).unwrap();
    std::fs::write(host.join("www/index.html"), "hello from the sandbox\n").unwrap();
    let rules = "iptables-save | grep -v '^#' | sed 's/\\[[0-9:]*\\]//'";
    let (rules_before, links_before) = (s.ok(rules), s.ok("ip -o link | cut -d: -f2"));
    let mut c = client(&s);
    let options = json!({ "rootfs": rootfs, "name": "web", "stopTimeout": 1,
                          "command": ["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"],
                          "portMappings": [{ "hostPort": 8080, "containerPort": 80 }] });
    let id =
        c.call("io.berth.Container.Create", json!({ "options": options })).unwrap()["id"].as_str().unwrap().to_string();
    c.call("io.berth.Container.Start", json!({ "nameOrId": "web" })).unwrap();
    // curl: busybox's static wget crashes in the sandbox (its libc's NSS).
    let fetch = "for i in $(seq 50); do curl -sf -m 2 http://10.88.0.1:8080/ && exit 0; sleep 0.1; done; exit 1";
    assert_eq!(s.ok(fetch), "hello from the sandbox");
    assert!(s.ok(rules).contains("8080"), "a DNAT rule for the published port");
    assert!(s.ok("ip -o link").contains("berth0"), "the default network's bridge");

    s.ok("systemctl kill -s KILL berth.service; while systemctl is-active -q berth.service; do sleep 0.1; done");
    assert_eq!(s.ok(fetch), "hello from the sandbox", "served while berthd is down");
    let mut c = client(&s);
    let state = c.call("io.berth.Container.Inspect", json!({ "nameOrId": "web" })).unwrap()["container"]["state"]
        ["state"]
        .clone();
    assert_eq!(state, "running");
    assert_eq!(s.ok(fetch), "hello from the sandbox", "served once berthd is back");
    assert_eq!(c.call("io.berth.System.Check", json!({})).unwrap()["problems"], json!([]));

    c.call("io.berth.Container.Remove", json!({ "nameOrId": id, "force": true })).unwrap();
    assert_eq!(s.ok("ls /run/berth/netns | wc -l"), "0", "its namespace is gone");
    // What is left is netavark's shared chains (made once, as podman's
    // are): nothing of the network's or the container's.
    let rules_after = s.ok(rules);
    let shared = ["NETAVARK_FORWARD", "NETAVARK-HOSTPORT-", "COMMIT", "*filter", "*nat", "ACCEPT"];
    let left: Vec<&str> =
        rules_after.lines().filter(|l| !rules_before.contains(l) && !shared.iter().any(|c| l.contains(c))).collect();
    assert!(left.is_empty(), "rules left: {left:?}\n{rules_after}");
    assert!(!rules_after.contains("10.88.") && !rules_after.contains("8080"), "{rules_after}");
    assert_eq!(s.ok("ip -o link | cut -d: -f2"), links_before, "no bridge or veth left");
    assert_eq!(berth_units(&s), "");
}

/// After a power cut (berthd and every container's processes gone, no
/// exit recorded), berth-restart.service brings back what the restart
/// policies say: the `always` container a user stopped (started by
/// `berthctl start --all`), the `unless-stopped` one that was running
/// (restarted by berthd's start); not the one a user stopped, nor one
/// without a policy.
#[test]
fn berth_restart_service_starts_containers_by_policy_at_boot() {
    let s = Sandbox::boot("restart", Mode::Unified);
    let rootfs = s.busybox_rootfs();
    let mut c = client(&s);
    let mut pids = Vec::new();
    for (name, policy, user_stops) in [
        ("kept", "always", true),
        ("was-running", "unless-stopped", false),
        ("user-stopped", "unless-stopped", true),
        ("plain", "no", false),
    ] {
        let options = json!({ "rootfs": rootfs, "command": ["/bin/sleep", "600"], "name": name,
            "restartPolicy": policy, "stopTimeout": 0 });
        c.call("io.berth.Container.Create", json!({ "options": options })).unwrap();
        c.call("io.berth.Container.Start", json!({ "nameOrId": name })).unwrap();
        if user_stops {
            c.call("io.berth.Container.Stop", json!({ "nameOrId": name })).unwrap();
        } else {
            let state = c.call("io.berth.Container.Inspect", json!({ "nameOrId": name })).unwrap()["container"]
                ["state"]
                .clone();
            pids.push(format!("{} {}", state["conmonPid"], state["pid"]));
        }
    }
    drop(c);
    s.ok(&format!("systemctl stop berth.socket berth.service && kill -9 {}", pids.join(" ")));
    s.ok("systemctl start berth-restart.service");
    assert_eq!(s.ok("systemctl is-active berth-restart.service"), "active");
    let mut c = client(&s);
    let state = |c: &mut Client, name: &str| {
        c.call("io.berth.Container.Inspect", json!({ "nameOrId": name })).unwrap()["container"]["state"].clone()
    };
    assert_eq!(state(&mut c, "kept")["state"], "running");
    // Its use, from its scope's cgroup (v2 here).
    let sample = c.call("io.berth.Container.Stats", json!({ "namesOrIds": ["kept"] })).unwrap()["stats"][0].clone();
    assert!(sample["pids"].as_i64() >= Some(1) && sample["memoryBytes"].as_i64() > Some(0), "{sample}");
    assert!(sample["cpuNanos"].as_i64() > Some(0) && sample["memoryLimit"].as_i64() > sample["memoryBytes"].as_i64());
    // Update sets its scope's limits at once.
    let limits = json!({ "nameOrId": "kept", "resources": { "memoryMax": 64 << 20, "pidsMax": 40 } });
    c.call("io.berth.Container.Update", limits).unwrap();
    let kept = c.call("io.berth.Container.LookupId", json!({ "nameOrId": "kept" })).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let shown = s.ok(&format!("systemctl show -P MemoryMax -P TasksMax berth-{kept}.scope"));
    assert_eq!(shown.split_whitespace().collect::<Vec<_>>(), ["67108864", "40"], "{shown}");
    let back = state(&mut c, "was-running");
    assert_eq!((back["state"].as_str(), back["restartCount"].as_i64()), (Some("running"), Some(1)), "{back}");
    assert_eq!(state(&mut c, "user-stopped")["state"], "exited");
    assert_eq!(state(&mut c, "plain")["state"], "exited");
    for name in ["kept", "was-running"] {
        c.call("io.berth.Container.Remove", json!({ "nameOrId": name, "force": true })).unwrap();
    }
}

/// Under systemd a health check runs from a transient timer of berth's,
/// through `berthctl healthcheck run`, while berthd may have exited; an
/// unhealthy container is restarted; the timer goes with the container.
#[test]
fn health_checks_run_from_a_timer_that_goes_with_the_container() {
    let s = Sandbox::boot("health", Mode::Unified);
    let rootfs = s.busybox_rootfs();
    let mut c = client(&s);
    let check =
        json!({ "test": ["CMD-SHELL", "test -e /dev/shm/ok"], "interval": 1, "retries": 2, "onFailure": "restart" });
    let options = json!({ "rootfs": rootfs, "command": ["/bin/sleep", "600"], "name": "checked",
        "healthcheck": check, "stopTimeout": 1 });
    let id =
        c.call("io.berth.Container.Create", json!({ "options": options })).unwrap()["id"].as_str().unwrap().to_string();
    c.call("io.berth.Container.Start", json!({ "nameOrId": id })).unwrap();
    let timer = format!("berth-{id}-healthcheck.timer");
    assert_eq!(s.ok(&format!("systemctl is-active {timer}")), "active");
    let touch = json!({ "nameOrId": id, "command": ["/bin/busybox", "touch", "/dev/shm/ok"] });
    assert_eq!(c.call("io.berth.Container.Exec", touch).unwrap()["exitCode"], 0);
    let state = |c: &mut Client| {
        c.call("io.berth.Container.Inspect", json!({ "nameOrId": "checked" })).unwrap()["container"]["state"].clone()
    };
    let eventually = |c: &mut Client, what: &str, done: &dyn Fn(&serde_json::Value) -> bool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let st = state(c);
            if done(&st) {
                return st;
            }
            assert!(std::time::Instant::now() < deadline, "never {what}: {st}");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };
    eventually(&mut c, "healthy by the timer", &|st| st["health"]["status"] == "healthy");
    // The timer's service ran berthctl, which asked berthd.
    let ran = s.ok(&format!("systemctl show -P LastTriggerUSecMonotonic {timer}"));
    assert_ne!(ran, "0", "the timer never fired");
    let pid = state(&mut c)["pid"].as_i64();
    let rm = json!({ "nameOrId": id, "command": ["/bin/busybox", "rm", "/dev/shm/ok"] });
    assert_eq!(c.call("io.berth.Container.Exec", rm).unwrap()["exitCode"], 0);
    let back =
        eventually(&mut c, "restarted when unhealthy", &|st| st["state"] == "running" && st["pid"].as_i64() != pid);
    assert_eq!(back["health"]["status"], "starting", "{back}");
    // The restart is berthd's own: its record says running just before the
    // new start's timer is made.
    let active = "for i in $(seq 100); do systemctl is-active -q TIMER && exit 0; sleep 0.1; done; exit 1";
    let active = s.sh(&active.replace("TIMER", &timer));
    assert!(active.status.success(), "a new timer with the new start");
    c.call("io.berth.Container.Remove", json!({ "nameOrId": id, "force": true })).unwrap();
    let left = s.ok(&format!("systemctl list-units --all --no-legend 'berth-{id}*'"));
    assert_eq!(left, "", "nothing of it is left");
}

/// berth-generator makes services of unit files at daemon-reload; each
/// runs its container with conmon as the service's main PID, ready as its
/// Notify= says, and stopping the service removes the container.
#[test]
fn unit_files_become_services_ready_as_their_notify_says() {
    let s = Sandbox::boot("units", Mode::Unified);
    let rootfs = s.busybox_rootfs();
    // A program that says READY itself, static for the busybox root.
    let (host_rootfs, _) = s.shared_dir("rootfs");
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sandbox/sd-ready.c");
    let built = std::process::Command::new("cc")
        .args(["-static", "-O2", "-o"])
        .arg(host_rootfs.join("bin/sd-ready"))
        .arg(source)
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let files = [
        (
            "web.container",
            format!(
                "[Unit]\nDescription=web for the test\n[Container]\nRootfs={rootfs}\n\
                 Exec=/bin/sh -c \"trap 'exit 0' TERM; while true; do sleep 1; done\"\n\
                 Volume=data.volume:/data\nLabel=made=generator\n[Install]\nWantedBy=multi-user.target\n"
            ),
        ),
        ("data.volume", "[Volume]\nLabel=for=web\n".to_string()),
        (
            "ready.container",
            format!(
                "[Container]\nRootfs={rootfs}\nNotify=true\nStopTimeout=1\n\
                 Exec=/bin/sh -c \"while ! test -e /dev/shm/go; do sleep 1; done; /bin/sd-ready READY=1; \
                 exec sleep 600\"\n"
            ),
        ),
        (
            "checked.container",
            format!(
                "[Container]\nRootfs={rootfs}\nNotify=healthy\nStopTimeout=1\nHealthCmd=test -e /dev/shm/up\nHealthInterval=1s\n\
                 Exec=/bin/sh -c \"sleep 2; echo > /dev/shm/up; exec sleep 600\"\n"
            ),
        ),
        ("bad.container", format!("[Container]\nRootfs={rootfs}\nImagee=busybox\n")),
    ];
    s.ok("mkdir -p /etc/berth/systemd");
    for (name, text) in &files {
        std::fs::write(host_rootfs.join("unit"), text).unwrap();
        s.ok(&format!("cp /var/lib/berth/rootfs/unit /etc/berth/systemd/{name}"));
    }
    s.ok("systemctl daemon-reload");
    let logged = "/etc/berth/systemd/bad.container:3: unsupported key \"Imagee\" in section [Container]";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut journal = s.journal(&["-t", "berth-generator"]);
    while !journal.contains(logged) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
        journal = s.journal(&["-t", "berth-generator"]);
    }
    assert!(journal.contains(logged), "{journal}");
    assert!(!s.sh("systemctl cat bad.service").status.success(), "no service for a file in error");
    assert_eq!(s.ok("systemctl show -P WantedBy web.service"), "multi-user.target");

    // conmon (the default): ready once it runs; its conmon the main PID.
    s.ok("systemctl start web.service");
    let mut c = client(&s);
    let state = |c: &mut Client, name: &str| {
        c.call("io.berth.Container.Inspect", json!({ "nameOrId": name })).unwrap()["container"].clone()
    };
    let web = state(&mut c, "systemd-web");
    assert_eq!(web["state"]["state"], "running");
    assert_eq!(web["config"]["labels"]["made"], "generator");
    assert_eq!(s.ok("systemctl show -P MainPID web.service"), web["state"]["conmonPid"].to_string());
    let id = web["id"].as_str().unwrap();
    let cgroup = s.ok(&format!("cat /proc/{}/cgroup", web["state"]["pid"]));
    assert!(cgroup.ends_with(&format!("/berth-{id}.scope")), "{cgroup}");
    assert_eq!(s.ok("systemctl is-active data-volume.service"), "active");
    assert_eq!(web["mounts"][0]["name"], "systemd-data");

    // container: the program's own READY, relayed by conmon.
    s.ok("systemctl start --no-block ready.service");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !c.call("io.berth.Container.Exists", json!({ "nameOrId": "systemd-ready" })).unwrap()["exists"]
        .as_bool()
        .unwrap()
    {
        assert!(std::time::Instant::now() < deadline, "the container never came");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(s.ok("systemctl is-active ready.service || true"), "activating", "not ready before it says so");
    let go = json!({ "nameOrId": "systemd-ready", "command": ["/bin/busybox", "touch", "/dev/shm/go"] });
    assert_eq!(c.call("io.berth.Container.Exec", go).unwrap()["exitCode"], 0);
    s.ok("for i in $(seq 100); do systemctl is-active -q ready.service && break; sleep 0.1; done");
    assert_eq!(s.ok("systemctl is-active ready.service"), "active");
    let ready = state(&mut c, "systemd-ready");
    assert_eq!(s.ok("systemctl show -P MainPID ready.service"), ready["state"]["conmonPid"].to_string());
    assert_eq!(ready["config"]["sdNotifySocket"], "/run/systemd/notify");

    // healthy: ready once the first check passes.
    s.ok("systemctl start checked.service");
    assert_eq!(state(&mut c, "systemd-checked")["state"]["health"]["status"], "healthy");

    // ignore: nothing sent, no socket in the container.
    s.ok(&format!(
        "systemd-run --wait -q -p Type=oneshot -p NotifyAccess=all /usr/bin/berthctl run -d --name ignored \
         --sdnotify=ignore \
         --rootfs {rootfs} /bin/sleep 600"
    ));
    let ignored = state(&mut c, "ignored");
    assert_eq!(
        (ignored["config"]["sdNotifyMode"].as_str(), ignored["config"]["sdNotifySocket"].as_str()),
        (Some("ignore"), None)
    );
    let env = json!({ "nameOrId": "ignored", "command": ["/bin/cat", "/proc/1/environ"] });
    let env = c.call("io.berth.Container.Exec", env).unwrap()["stdout"].clone();
    assert!(!env.to_string().contains("NOTIFY_SOCKET"), "{env}");

    // Stopping a service removes its container; the volume stays.
    s.ok("systemctl stop web.service ready.service checked.service");
    for name in ["systemd-web", "systemd-ready", "systemd-checked"] {
        let exists = c.call("io.berth.Container.Exists", json!({ "nameOrId": name })).unwrap();
        assert_eq!(exists["exists"], false, "{name}");
    }
    // As podman's: the unit ends as its container did, cleanly on
    // SIGTERM (web), or failed when killed after its stop timeout.
    assert_eq!(s.ok("systemctl is-active web.service || true"), "inactive");
    assert_eq!(s.ok("systemctl is-active ready.service || true"), "failed");
    let volume = c.call("io.berth.Volume.Exists", json!({ "name": "systemd-data" })).unwrap();
    assert_eq!(volume["exists"], true);
    c.call("io.berth.Container.Remove", json!({ "nameOrId": "ignored", "force": true })).unwrap();
}

/// A running container is a machine of machined's: `machinectl` lists it
/// with its scope, leader and root, and `terminate` stops it (berth records
/// the exit); berth.conf can switch it off.
#[test]
fn running_containers_are_machines_that_machinectl_sees_and_stops() {
    let s = Sandbox::boot("machines", Mode::Unified);
    let rootfs = s.busybox_rootfs();
    let mut c = client(&s);
    let run = |c: &mut Client, name: &str| {
        let options = json!({ "rootfs": rootfs, "command": ["/bin/sleep", "600"], "name": name, "stopTimeout": 1 });
        let id = c.call("io.berth.Container.Create", json!({ "options": options })).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        c.call("io.berth.Container.Start", json!({ "nameOrId": id })).unwrap();
        id
    };
    let id = run(&mut c, "vm-like");
    let odd = run(&mut c, "not_a_hostname");
    let list = s.ok("machinectl list --no-legend");
    assert!(
        list.lines().any(|l| l.split_whitespace().take(3).collect::<Vec<_>>() == ["vm-like", "container", "berth"]),
        "{list}"
    );
    assert!(list.contains(&format!("berth-{}", &odd[..12])), "a name machined refuses is the short ID: {list}");
    let pid =
        c.call("io.berth.Container.Inspect", json!({ "nameOrId": id })).unwrap()["container"]["state"]["pid"].clone();
    let status = s.ok("machinectl status --no-pager vm-like");
    for part in [format!("Unit: berth-{id}.scope"), format!("Leader: {pid}"), format!("Root: {rootfs}")] {
        assert!(status.contains(&part), "{part} in {status}");
    }
    // The scope stops as berth would stop it: its signal, then SIGKILL.
    let scope = s.ok(&format!("systemctl show -P TimeoutStopUSec -P KillSignal berth-{id}.scope"));
    assert_eq!(scope.split_whitespace().collect::<Vec<_>>(), ["1s", "15"], "{scope}");
    s.ok("machinectl terminate vm-like");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let state =
            c.call("io.berth.Container.Inspect", json!({ "nameOrId": id })).unwrap()["container"]["state"].clone();
        if state["state"] == "exited" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "terminate never reached berth: {state}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(!s.ok("machinectl list --no-legend").contains("vm-like"));

    // Switched off in berth.conf.
    drop(c);
    s.ok("mkdir -p /etc/berth && printf '[engine]\\nmachined = false\\n' > /etc/berth/berth.conf \
          && systemctl stop berth.service");
    let mut c = client(&s);
    run(&mut c, "unlisted");
    assert!(!s.ok("machinectl list --no-legend").contains("unlisted"));
    for name in ["vm-like", "not_a_hostname", "unlisted"] {
        c.call("io.berth.Container.Remove", json!({ "nameOrId": name, "force": true })).unwrap();
    }
}

/// Restart policies act where berthd records an exit, also when it had
/// exited idle and conmon's exit command is what starts it again.
#[test]
fn restart_policies_act_when_conmon_wakes_an_idle_berthd() {
    let s = Sandbox::boot("policies", Mode::Unified);
    s.idle_after_one_second();
    let rootfs = s.busybox_rootfs();
    let mut c = client(&s);
    for (name, command, policy, retries) in
        [("steady", "exec sleep 600", "always", None), ("flaky", "sleep 3; exit 1", "on-failure", Some(2))]
    {
        let options = json!({ "rootfs": rootfs, "command": ["/bin/sh", "-c", command], "name": name,
            "restartPolicy": policy, "restartRetries": retries });
        c.call("io.berth.Container.Create", json!({ "options": options })).unwrap();
        c.call("io.berth.Container.Start", json!({ "nameOrId": name })).unwrap();
    }
    let pid = c.call("io.berth.Container.Inspect", json!({ "nameOrId": "steady" })).unwrap()["container"]["state"]
        ["pid"]
        .clone();
    drop(c);
    s.ok("for i in $(seq 100); do [ $(systemctl is-active berth.service) = inactive ] && break; sleep 0.1; done");
    assert_eq!(s.ok("systemctl is-active berth.service || true"), "inactive", "berthd exited idle");
    s.ok(&format!("kill -9 {pid}"));
    let mut c = client(&s);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    let state = |c: &mut Client, name: &str| {
        c.call("io.berth.Container.Inspect", json!({ "nameOrId": name })).unwrap()["container"]["state"].clone()
    };
    loop {
        let (steady, flaky) = (state(&mut c, "steady"), state(&mut c, "flaky"));
        let steady_back = steady["state"] == "running" && steady["pid"] != pid && steady["restartCount"] == 1;
        let flaky_done = flaky["state"] == "exited" && flaky["restartCount"] == 2;
        if steady_back && flaky_done {
            assert_eq!(flaky["exitCode"], 1);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "steady {steady}, flaky {flaky}");
        // Let berthd go idle between looks, as it would with no one asking.
        drop(c);
        std::thread::sleep(std::time::Duration::from_millis(1500));
        c = client(&s);
    }
    c.call("io.berth.Container.Remove", json!({ "nameOrId": "steady", "force": true })).unwrap();
}

/// An ordinary user's own berth, as a desktop user has it: the user units
/// under the user's manager, socket-activated; rootless containers in a
/// user namespace mapping the user's subordinate IDs, in scopes the user's
/// manager makes; the API on the user's session bus; nobody else may
/// change anything; and nothing left once the container is removed.
#[test]
fn a_users_own_berth_runs_rootless_containers_under_their_manager() {
    let s = Sandbox::boot("rootless", Mode::Unified);
    let (image_host, image_inside) = s.shared_dir("image");
    common::image::build(&image_host);
    // useradd gives a new user 65536 subordinate IDs of their own.
    s.ok("useradd --create-home desk");
    let uid = s.ok("id -u desk");
    let first: u32 = s.ok("grep ^desk: /etc/subuid | cut -d: -f2").parse().unwrap();
    assert_eq!(s.ok("grep ^desk: /etc/subgid | cut -d: -f2-"), format!("{first}:65536"));
    // The kernel lets a user namespace mount proc (the container's /proc)
    // only where a proc is fully visible; the sandbox's /proc has its
    // /proc/sys and others covered read-only, a host's has not. A second,
    // uncovered proc, as a host has, mounted before the user's namespace
    // is made (root here can mount proc anyway).
    s.ok("mkdir -p /run/host-proc && mount -t proc -o nosuid,nodev,noexec proc /run/host-proc");
    // A user's containers reach out through pasta, which copies the
    // addresses of the interface with the default route: the sandbox's
    // own namespace gets one, as a host has.
    s.ok("ip link add uplink type veth peer name uplink-peer && ip link set uplink-peer up && \
          ip addr add 10.77.0.2/24 dev uplink && ip link set uplink up && \
          ip route add default via 10.77.0.1");
    s.ok(&format!("systemctl start user@{uid}.service"));
    // Storage on a real file system (an overlay cannot be an overlay's
    // upper, and the sandbox's root is one), set in the user's berth.conf.
    let (_, store) = s.shared_dir("desk-store");
    s.ok(&format!(
        "chown desk: {store} && mkdir -p ~desk/.config/berth && \
         printf '[engine]\\nroot = \"{store}\"\\n' > ~desk/.config/berth/berth.conf && chown -R desk: ~desk/.config"
    ));
    let desk = |script: &str| {
        let env = format!("XDG_RUNTIME_DIR=/run/user/{uid} DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/{uid}/bus");
        s.sh(&format!("cd / && runuser -u desk -- env {env} sh -c '{script}'"))
    };
    let desk_ok = |script: &str| {
        let out = desk(script);
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(out.status.success(), "{script}: {text} {}", String::from_utf8_lossy(&out.stderr));
        text
    };

    desk_ok("systemctl --user enable --now berth.socket");
    assert_eq!(desk_ok("systemctl --user is-active berth.service || true"), "inactive");
    desk_ok(&format!("berthctl image import {image_inside}/layout localhost/test:1"));
    assert_eq!(desk_ok("systemctl --user is-active berth.service"), "active", "the socket started it");
    let script = "id -u; echo hi > /data/new; chown 1000:1000 /data/new; exec sleep 300";
    let id = desk_ok(&format!("berthctl create --image localhost/test:1 --user 0 --name web sh -c \"{script}\""));
    desk_ok(&format!("berthctl start {id}"));
    let pid = desk_ok(&format!("berthctl inspect --format {{{{.State.Pid}}}} {id}"));

    // The user's namespace: the user is 0, their subordinate IDs from 1.
    let map = s.ok(&format!("cat /proc/{pid}/uid_map"));
    let map: Vec<Vec<&str>> = map.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(map, vec![vec!["0", uid.as_str(), "1"], vec!["1", &first.to_string(), "65536"]]);
    assert_eq!(desk_ok(&format!("berthctl exec {id} id -u")), "0");
    let written = s.ok(&format!("stat -c %u:%g {store}/containers/{id}/upper/data/new"));
    let mapped = first + 999;
    assert_eq!(written, format!("{mapped}:{mapped}"), "container uid 1000 is the user's subordinate ID 1000");
    // Its scope is the user manager's, with the container in it.
    let scope = format!("berth-{id}.scope");
    let cgroup = desk_ok(&format!("systemctl --user show -p ControlGroup --value {scope}"));
    assert_eq!(cgroup, format!("/user.slice/user-{uid}.slice/user@{uid}.service/user.slice/{scope}"));
    assert!(s.ok(&format!("cat /sys/fs/cgroup{cgroup}/cgroup.procs")).lines().any(|p| p == pid));

    // The session bus: the same container as an object.
    let manager = "io.berth.Berth1 /io/berth/Berth1 io.berth.Berth1.Manager";
    let path = desk_ok(&format!("busctl --user call {manager} GetContainer s web"));
    assert_eq!(path, format!("o \"/io/berth/Berth1/container/{id}\""));
    let state = desk_ok(&format!(
        "busctl --user get-property io.berth.Berth1 /io/berth/Berth1/container/{id} io.berth.Berth1.Container State"
    ));
    assert_eq!(state, "s \"running\"");

    // A published port, through pasta, served to the sandbox's own
    // namespace.
    let serve = "echo served by desk > /data/index.html; exec busybox httpd -f -p 80 -h /data";
    let web2 = desk_ok(&format!(
        "berthctl create --image localhost/test:1 --user 0 --name web2 -p 8080:80 -p 127.0.0.1:9000:90/udp \
         sh -c \"{serve}\""
    ));
    desk_ok(&format!("berthctl start {web2}"));
    let fetch = "for i in $(seq 50); do curl -sf -m 2 http://10.77.0.2:8080/ && exit 0; sleep 0.1; done; exit 1";
    assert_eq!(s.ok(fetch), "served by desk");
    assert!(s.ok("ss -ulnp").contains("127.0.0.1:9000"), "the udp port, on its address");
    let pasta_pid = s.ok(&format!("cat /run/user/{uid}/berth/netns/{web2}.pasta.pid"));
    let pasta = s.ok(&format!("cat /proc/{pasta_pid}/comm"));
    assert!(pasta.starts_with("pasta") || pasta.starts_with("passt"), "{pasta}");
    // What an ordinary user may not publish: a privileged port, or a bridge.
    let privileged = desk("berthctl create --image localhost/test:1 -p 80:80 true");
    let said = String::from_utf8_lossy(&privileged.stderr);
    assert!(said.contains("host port 80 is privileged"), "{said}");
    let unreadable = desk("berthctl create --image localhost/test:1 -v /root:/secret true");
    let said = String::from_utf8_lossy(&unreadable.stderr);
    assert!(said.contains("/root: the user cannot read it"), "{said}");
    // An image with a file of an ID the user's namespace does not map:
    // refused by name, as Podman's "insufficient UIDs or GIDs" is.
    common::image::docker_archive_owned_by(&image_host.join("far.tar"), 70000);
    let far = desk(&format!("berthctl image import {image_inside}/far.tar"));
    let said = String::from_utf8_lossy(&far.stderr);
    assert!(!far.status.success() && said.contains("far is owned by 70000:70000, outside the IDs"), "{said}");
    assert!(said.contains("user IDs 0-0, 1-65536"), "{said}");
    let bridged = desk("berthctl create --image localhost/test:1 --network bridge true");
    let said = String::from_utf8_lossy(&bridged.stderr);
    assert!(said.contains("cannot join bridge networks"), "{said}");
    desk_ok(&format!("berthctl rm --force --time 0 {web2}"));
    let state = s.ok(&format!("cat /proc/{pasta_pid}/stat 2>/dev/null | sed 's/.*) //' | cut -c1"));
    assert!(state.is_empty() || state == "Z", "pasta went with it: {state}");
    assert!(s.sh(fetch).status.code() == Some(1), "nothing serves the port");

    // A user's own unit file, made a service of the user's manager by the
    // user generator: its container runs while the service does.
    desk_ok(
        "mkdir -p ~/.config/berth/systemd && printf \"[Container]\\nImage=localhost/test:1\\nUser=0\\n\
         Network=none\\nStopTimeout=1\\nExec=sleep 300\\n\" > ~/.config/berth/systemd/desk-app.container",
    );
    let status = || String::from_utf8_lossy(&desk("systemctl --user status desk-app.service").stdout).into_owned();
    let started = desk("systemctl --user daemon-reload && systemctl --user start desk-app.service");
    assert!(started.status.success(), "{}", status());
    let state = desk_ok("berthctl inspect --format {{.State.State}} systemd-desk-app");
    assert_eq!(state, "running", "{}", status());
    desk_ok("systemctl --user stop desk-app.service");
    assert!(!desk("berthctl container exists systemd-desk-app").status.success(), "stopped, its container went");

    // Root is not the user: its changes are refused by name.
    let socket = format!("unix:/run/user/{uid}/berth/io.berth");
    let refused = s.sh(&format!("berthctl --address {socket} stop {id}"));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && said.contains("this berthd is desk's"), "{said}");

    // berthd goes and comes back: it joins the same namespace, where the
    // container still runs.
    let pause = s.ok(&format!("cat /run/user/{uid}/berth/pause.pid"));
    desk_ok("systemctl --user stop berth.service");
    assert_eq!(desk_ok(&format!("berthctl inspect --format {{{{.State.State}}}} {id}")), "running");
    let berthd = desk_ok("systemctl --user show -p MainPID --value berth.service");
    let ns = |pid: &str| s.ok(&format!("readlink /proc/{pid}/ns/user /proc/{pid}/ns/mnt"));
    assert_eq!(ns(&berthd), ns(&pause));

    desk_ok(&format!("berthctl rm --force --time 0 {id}"));
    assert_eq!(desk_ok("systemctl --user list-units --all --no-legend --plain \"berth-*\""), "");
    assert!(!s.ok(&format!("cat /proc/{pause}/mountinfo")).contains(&id), "its overlay is unmounted");
    assert!(s.sh(&format!("test -e {store}/containers/{id}")).status.code() == Some(1), "its files are gone");

    // fuse-overlayfs instead of the kernel's overlay, as berth.conf says
    // (what a kernel that refuses overlays in a user namespace gets).
    desk_ok("echo mount_program = \\\"/usr/bin/fuse-overlayfs\\\" >> ~/.config/berth/berth.conf");
    desk_ok("systemctl --user stop berth.service");
    let fused = desk_ok("berthctl create --image localhost/test:1 --network none --user 0 sleep 300");
    desk_ok(&format!("berthctl start {fused}"));
    let pause = s.ok(&format!("cat /run/user/{uid}/berth/pause.pid"));
    let mounts = || s.ok(&format!("grep {fused} /proc/{pause}/mountinfo || true"));
    assert!(mounts().contains("fuse.fuse-overlayfs"), "{}", mounts());
    assert_eq!(desk_ok(&format!("berthctl exec {fused} id -u")), "0");
    desk_ok(&format!("berthctl rm --force --time 0 {fused}"));
    assert_eq!(mounts(), "", "unmounted with the container");
}
