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
    assert!(status.starts_with("serving"), "{status}");
}
