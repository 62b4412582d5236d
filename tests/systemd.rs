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
    s.ok("mkdir -p /etc/systemd/system/berth.service.d && printf '[Service]\\nExecStart=\\nExecStart=/usr/bin/berthd --idle-timeout 1\\n' \
          > /etc/systemd/system/berth.service.d/idle.conf && systemctl daemon-reload");
    let (rootfs, inside) = s.shared_dir("rootfs");
    std::fs::create_dir_all(rootfs.join("bin")).unwrap();
    let pauses = [0u64, 1500, 50, 950, 1000, 0, 2000, 10, 1050, 990, 1600, 0, 1010, 1800, 1002];
    let (mut failed, mut created) = (Vec::new(), Vec::new());
    for (i, pause) in pauses.iter().enumerate() {
        std::thread::sleep(std::time::Duration::from_millis(*pause));
        let result = Client::connect(&s.address()).and_then(|mut c| {
            c.call("io.berth.System.Info", json!({}))?;
            c.call("io.berth.Container.Create", json!({ "options": { "rootfs": inside, "command": ["/bin/true"], "name": format!("c{i}") } }))
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
