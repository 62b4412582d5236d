//! berthd over its varlink socket: the protocol, the catalogue operations, and
//! outside clients (the Python varlink package and varlink-cli's `varlink`).

mod common;

use berth::client::{Client, ClientError};
use common::{python_varlink, Daemon};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;

/// Every interface berthd serves besides org.varlink.service.
const INTERFACES: [&str; 7] = [
    "io.berth.Container",
    "io.berth.Pod",
    "io.berth.Volume",
    "io.berth.System",
    "io.berth.Image",
    "io.berth.Storage",
    "io.berth.Secret",
];

fn create(c: &mut Client, d: &Daemon, extra: Value) -> (String, String) {
    let mut options = json!({ "rootfs": d.rootfs(), "command": ["/bin/true"] });
    options.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let r = c.call("io.berth.Container.Create", json!({ "options": options })).unwrap();
    (r["id"].as_str().unwrap().to_string(), r["name"].as_str().unwrap().to_string())
}

fn remote_error(r: Result<Value, ClientError>) -> (String, Value) {
    match r {
        Err(ClientError::Remote { error, parameters }) => (error, parameters),
        other => panic!("expected an error reply, got {other:?}"),
    }
}

/// Send raw bytes, read one NUL-terminated reply.
fn raw(stream: &mut UnixStream, reader: &mut BufReader<UnixStream>, bytes: &[u8]) -> Value {
    stream.write_all(bytes).unwrap();
    let mut buf = Vec::new();
    reader.read_until(0, &mut buf).unwrap();
    assert_eq!(buf.pop(), Some(0), "no reply");
    serde_json::from_slice(&buf).unwrap()
}

#[test]
fn outside_client_sees_info_and_exact_interface_texts() {
    let d = Daemon::start();
    let addr = format!("unix:{}", d.socket().display());
    let info = python_varlink(&["info", &addr]);
    for iface in INTERFACES.iter().chain(&["org.varlink.service"]) {
        assert!(info.contains(iface), "{iface} missing from {info}");
    }
    let mut c = d.client();
    for name in INTERFACES {
        let file =
            std::fs::read_to_string(format!("{}/interfaces/{name}.varlink", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let r = c.call("org.varlink.service.GetInterfaceDescription", json!({ "interface": name })).unwrap();
        assert_eq!(r["description"].as_str().unwrap(), file, "{name}");
        // The python client parses every interface we serve.
        let help = python_varlink(&["help", &format!("{addr}/{name}")]);
        assert!(help.contains(&format!("interface {name}")));
    }
}

/// `varlink` (varlink-cli): whether it succeeded (it exits 1 on an error
/// reply), and its stdout and stderr.
fn varlink_cli(args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new("timeout")
        .args(["20", "varlink", "--color=off"])
        .args(args)
        .output()
        .expect("varlink-cli is installed (scripts/setup.sh)");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

#[test]
fn varlink_cli_sees_every_method_served_and_the_errors() {
    let d = Daemon::start();
    let addr = format!("unix:{}", d.socket().display());
    let (ok, info) = varlink_cli(&["info", &addr]);
    assert!(ok && INTERFACES.iter().all(|i| info.contains(i)), "{info}");
    for name in INTERFACES {
        let text =
            std::fs::read_to_string(format!("{}/interfaces/{name}.varlink", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let (ok, help) = varlink_cli(&["help", &format!("{addr}/{name}")]);
        assert!(ok && help.contains(&format!("interface {name}")), "{help}");
        // Every method of the file is served: called with no parameters, each
        // one answers (a result, a domain error, InvalidParameter or
        // ExpectedMore), never MethodNotFound, and the daemon stays up.
        let idl = varlink_parser::IDL::try_from(text.as_str()).unwrap();
        for method in idl.method_keys {
            let (_, out) = varlink_cli(&["call", &format!("{addr}/{name}.{method}"), "{}"]);
            assert!(!out.contains("MethodNotFound") && !out.contains("Connection refused"), "{name}.{method}: {out}");
            assert!(!out.is_empty(), "{name}.{method}: no answer");
        }
    }
    let (ok, out) = varlink_cli(&["call", &format!("{addr}/io.berth.Container.Inspect"), r#"{"nameOrId":"nope"}"#]);
    assert!(!ok && out.contains("io.berth.Container.NoSuchContainer") && out.contains("\"nope\""), "{out}");
    let (ok, out) = varlink_cli(&["call", &format!("{addr}/io.berth.Container.Rename"), r#"{"nameOrId":"x"}"#]);
    assert!(!ok && out.contains("InvalidParameter: newName"), "{out}");
    let (ok, out) = varlink_cli(&["call", &format!("{addr}/io.berth.Volume.Create"), r#"{"name":"cli"}"#]);
    assert!(ok && out.contains("\"cli\""), "{out}");
    let (ok, out) = varlink_cli(&["call", "--more", &format!("{addr}/io.berth.Container.Logs"), r#"{"nameOrId":"x"}"#]);
    assert!(!ok && out.contains("NoSuchContainer"), "{out}");
}

/// Wait with more: the current state, each change, then the exit code.
#[test]
fn wait_streams_the_states_with_more() {
    let d = Daemon::start();
    let mut c = d.client();
    let (id, _) = create(&mut c, &d, json!({ "command": ["/bin/sh", "-c", "sleep 2; exit 4"] }));
    let mut watcher = d.client();
    let watched = id.clone();
    let replies = std::thread::spawn(move || {
        let mut replies = Vec::new();
        watcher.stream("io.berth.Container.Wait", json!({ "nameOrId": watched }), |r| {
            replies.push(r);
            true
        })?;
        Ok::<_, ClientError>(replies)
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    c.call("io.berth.Container.Start", json!({ "nameOrId": id })).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(600));
    c.call("io.berth.Container.Pause", json!({ "nameOrId": id })).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(600));
    c.call("io.berth.Container.Unpause", json!({ "nameOrId": id })).unwrap();
    let replies = replies.join().unwrap().unwrap();
    let states: Vec<&str> = replies.iter().map(|r| r["state"].as_str().unwrap()).collect();
    let (last, before) = replies.split_last().unwrap();
    assert_eq!(last, &json!({ "state": "exited", "exitCode": 4 }), "{replies:?}");
    assert!(before.iter().all(|r| r.get("exitCode").is_none()), "{replies:?}");
    assert_eq!(states.first(), Some(&"configured"), "{states:?}");
    let changes: Vec<&str> = states.iter().copied().filter(|s| *s != "created" && *s != "stopping").collect();
    assert_eq!(changes, ["configured", "running", "paused", "running", "exited"], "{states:?}");
    // Without more: one reply, the same last one.
    assert_eq!(c.call("io.berth.Container.Wait", json!({ "nameOrId": id })).unwrap(), *last);
}

#[test]
fn outside_client_drives_the_catalogue() {
    let d = Daemon::start();
    let addr = format!("unix:{}", d.socket().display());
    let call = |method: &str, params: Value| -> Value {
        let out = python_varlink(&["call", &format!("{addr}/{method}"), &params.to_string()]);
        serde_json::from_str(&out).unwrap_or_else(|_| panic!("{method}: not a reply: {out}"))
    };
    let opts = json!({ "options": { "rootfs": d.rootfs(), "command": ["/bin/sh", "-c", "echo hi"], "name": "py",
        "labels": { "app": "web" }, "volumes": [ { "destination": "/data" } ] } });
    let created = call("io.berth.Container.Create", opts);
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["name"], "py");
    let list = call("io.berth.Container.List", json!({ "all": true, "filters": ["label=app=web"] }));
    assert_eq!(list["containers"][0]["id"], id.as_str());
    assert_eq!(list["containers"][0]["state"], "configured");
    let inspect = call("io.berth.Container.Inspect", json!({ "nameOrId": &id[..8], "size": true }));
    assert_eq!(inspect["container"]["config"]["command"], json!(["/bin/sh", "-c", "echo hi"]));
    assert_eq!(inspect["container"]["rwSize"], 0);
    let renamed = call("io.berth.Container.Rename", json!({ "nameOrId": "py", "newName": "py2" }));
    assert_eq!(renamed["name"], "py2");
    assert_eq!(call("io.berth.Container.Exists", json!({ "nameOrId": "py" }))["exists"], false);
    assert_eq!(call("io.berth.Container.LookupId", json!({ "nameOrId": "py2" }))["id"], id.as_str());
    // The python client prints error replies (and exits 0): check the text.
    let out = python_varlink(&["call", &format!("{addr}/io.berth.Container.Remove"), r#"{"nameOrId": "nope"}"#]);
    assert!(out.contains("io.berth.Container.NoSuchContainer") && out.contains("nope"), "{out}");
    let removed = call("io.berth.Container.Remove", json!({ "nameOrId": "py2", "volumes": true }));
    assert_eq!(removed["id"], id.as_str());
    assert_eq!(call("io.berth.Volume.List", json!({}))["volumes"], json!([]));
}

#[test]
fn protocol_errors_keep_the_connection_usable() {
    let d = Daemon::start();
    let mut stream = UnixStream::connect(d.socket()).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut ask = |bytes: &[u8]| raw(&mut stream, &mut reader, bytes);

    let r = ask(b"{\"method\":\"io.berth.Container.Frobnicate\",\"parameters\":{}}\0");
    assert_eq!(r["error"], "org.varlink.service.MethodNotFound");
    assert_eq!(r["parameters"]["method"], "io.berth.Container.Frobnicate");
    let r = ask(b"{\"method\":\"io.berth.Nothing.Here\"}\0");
    assert_eq!(r["error"], "org.varlink.service.InterfaceNotFound");
    assert_eq!(r["parameters"]["interface"], "io.berth.Nothing");
    let r = ask(b"{\"method\":\"io.berth.Container.Inspect\",\"parameters\":{}}\0");
    assert_eq!(r["error"], "org.varlink.service.InvalidParameter");
    assert_eq!(r["parameters"]["parameter"], "nameOrId");
    let r = ask(b"{\"method\":\"io.berth.Container.Inspect\",\"parameters\":{\"nameOrId\":42}}\0");
    assert_eq!(r["parameters"]["parameter"], "nameOrId");
    let r = ask(b"{\"method\":\"io.berth.Container.List\",\"parameters\":{\"filters\":[\"a=b\",7]}}\0");
    assert_eq!(r["parameters"]["parameter"], "filters[1]");
    let r = ask(b"{\"method\":\"io.berth.Container.Create\",\"parameters\":{\"options\":{\"command\":\"sh\"}}}\0");
    assert_eq!(r["parameters"]["parameter"], "options.command");
    let r = ask(b"this is not json\0");
    assert_eq!(r["error"], "org.varlink.service.InvalidParameter");
    let r = ask(b"{\"method\":\"io.berth.System.Events\",\"parameters\":{}}\0");
    assert_eq!(r["error"], "org.varlink.service.ExpectedMore");
    // Parameters may be left out when all are optional.
    let r = ask(b"{\"method\":\"io.berth.Container.List\"}\0");
    assert_eq!(r["parameters"]["containers"], json!([]));
    // A oneway call gets no reply; the next call's reply is the next frame.
    let r = ask(b"{\"method\":\"io.berth.Volume.Create\",\"parameters\":{\"name\":\"ow\"},\"oneway\":true}\0{\"method\":\"io.berth.Volume.Exists\",\"parameters\":{\"name\":\"ow\"}}\0");
    assert_eq!(r["parameters"]["exists"], true);
    // Two requests in one write are answered in order.
    stream_two_requests(&d);

    // Oversized and truncated frames close only their own connection.
    let mut big = UnixStream::connect(d.socket()).unwrap();
    let junk = vec![b'x'; 9 << 20];
    let _ = big.write_all(&junk);
    let mut rest = Vec::new();
    let _ = BufReader::new(big).read_until(0, &mut rest);
    let mut cut = UnixStream::connect(d.socket()).unwrap();
    cut.write_all(b"{\"method\":\"io.berth.Container.Li").unwrap();
    drop(cut);
    let r = d.client().call("io.berth.System.Info", json!({})).unwrap();
    assert_eq!(r["containers"], 0);
}

fn stream_two_requests(d: &Daemon) {
    let mut s = UnixStream::connect(d.socket()).unwrap();
    s.write_all(b"{\"method\":\"io.berth.Volume.Exists\",\"parameters\":{\"name\":\"ow\"}}\0{\"method\":\"io.berth.Volume.Exists\",\"parameters\":{\"name\":\"nope\"}}\0").unwrap();
    let mut r = BufReader::new(s);
    let mut frames = Vec::new();
    for _ in 0..2 {
        let mut buf = Vec::new();
        r.read_until(0, &mut buf).unwrap();
        buf.pop();
        frames.push(serde_json::from_slice::<Value>(&buf).unwrap()["parameters"]["exists"].clone());
    }
    assert_eq!(frames, [json!(true), json!(false)]);
}

#[test]
fn domain_errors_carry_the_offending_value() {
    let d = Daemon::start();
    let mut c = d.client();
    let (error, p) = remote_error(c.call("io.berth.Container.Inspect", json!({ "nameOrId": "ghost" })));
    assert_eq!((error.as_str(), &p["nameOrId"]), ("io.berth.Container.NoSuchContainer", &json!("ghost")));
    create(&mut c, &d, json!({ "name": "web" }));
    let (error, p) = remote_error(c.call(
        "io.berth.Container.Create",
        json!({ "options": { "rootfs": d.rootfs(), "command": ["x"], "name": "web" } }),
    ));
    assert_eq!((error.as_str(), &p["name"]), ("io.berth.Container.NameInUse", &json!("web")));
    let (error, p) = remote_error(c.call("io.berth.Pod.Create", json!({ "name": "web" })));
    assert_eq!((error.as_str(), &p["name"]), ("io.berth.Pod.NameInUse", &json!("web")));
    let (error, p) =
        remote_error(c.call("io.berth.Container.Rename", json!({ "nameOrId": "web", "newName": "no/slash" })));
    assert_eq!((error.as_str(), &p["name"]), ("io.berth.Container.InvalidName", &json!("no/slash")));
    let (error, p) = remote_error(c.call(
        "io.berth.Container.Create",
        json!({ "options": { "rootfs": d.rootfs(), "command": ["x"], "runtime": "nosuchruntime" } }),
    ));
    assert_eq!((error.as_str(), &p["runtime"]), ("io.berth.Container.RuntimeNotAvailable", &json!("nosuchruntime")));
    let (error, p) = remote_error(c.call(
        "io.berth.Container.Create",
        json!({ "options": { "rootfs": d.rootfs(), "command": ["x"], "noCgroups": true, "runtime": "runc" } }),
    ));
    assert_eq!((error.as_str(), &p["field"]), ("io.berth.Container.InvalidArgument", &json!("noCgroups")));
    let (error, p) = remote_error(c.call(
        "io.berth.Container.Create",
        json!({ "options": { "rootfs": d.rootfs(), "command": ["x"], "cgroupParent": "machine.slice" } }),
    ));
    assert_eq!((error.as_str(), &p["field"]), ("io.berth.Container.InvalidArgument", &json!("cgroupParent")));
    let (error, _) = remote_error(c.call("io.berth.Container.List", json!({ "filters": ["status=dreaming"] })));
    assert_eq!(error, "io.berth.Container.InvalidArgument");
    let (error, p) = remote_error(c.call("io.berth.Volume.Inspect", json!({ "name": "none" })));
    assert_eq!((error.as_str(), &p["name"]), ("io.berth.Volume.NoSuchVolume", &json!("none")));
    // Ambiguous prefixes: 17 IDs over 16 first characters must collide.
    let ids: Vec<String> = (0..17).map(|_| create(&mut c, &d, json!({})).0).collect();
    let p1 = ids.iter().map(|i| &i[..1]).find(|p| ids.iter().filter(|i| i.starts_with(*p)).count() > 1).unwrap();
    let (error, p) = remote_error(c.call("io.berth.Container.LookupId", json!({ "nameOrId": p1 })));
    assert_eq!(error, "io.berth.Container.AmbiguousName");
    assert_eq!(p["nameOrId"], p1);
    assert!(p["matches"].as_array().unwrap().len() >= 2);
}

#[test]
fn remove_rules_over_the_wire() {
    let d = Daemon::start();
    let mut c = d.client();
    let (base, _) = create(&mut c, &d, json!({ "name": "base" }));
    let (dep, _) = create(&mut c, &d, json!({ "name": "dep", "dependsOn": ["base"] }));
    let (error, p) = remote_error(c.call("io.berth.Container.Remove", json!({ "nameOrId": "base", "force": true })));
    assert_eq!(error, "io.berth.Container.HasDependents");
    assert_eq!((p["id"].as_str().unwrap(), p["dependents"].clone()), (base.as_str(), json!([dep])));
    c.call("io.berth.Pod.Create", json!({ "name": "pod", "infra": true })).unwrap();
    let infra = c.call("io.berth.Pod.Inspect", json!({ "nameOrId": "pod" })).unwrap()["pod"]["infraId"].clone();
    let (error, p) = remote_error(c.call("io.berth.Container.Remove", json!({ "nameOrId": infra, "force": true })));
    assert_eq!((error.as_str(), &p["id"]), ("io.berth.Container.InfraContainer", &infra));
    create(&mut c, &d, json!({ "name": "member", "pod": "pod", "command": ["/bin/sleep", "600"] }));
    c.call("io.berth.Container.Start", json!({ "nameOrId": "member" })).unwrap();
    let (error, p) = remote_error(c.call("io.berth.Pod.Remove", json!({ "nameOrId": "pod" })));
    assert_eq!((error.as_str(), p["state"].as_str()), ("io.berth.Pod.InvalidState", Some("running")));
    let r = c.call("io.berth.Pod.Remove", json!({ "nameOrId": "pod", "force": true, "timeout": 0 })).unwrap();
    assert_eq!(r["removedContainers"].as_array().unwrap().len(), 2);
    c.call("io.berth.Container.Remove", json!({ "nameOrId": "dep" })).unwrap();
    c.call("io.berth.Container.Remove", json!({ "nameOrId": "base" })).unwrap();
    assert_eq!(c.call("io.berth.System.Info", json!({})).unwrap()["containers"], 0);
    assert_eq!(std::fs::read_dir(d.root().join("containers")).unwrap().count(), 0, "nothing left on disk");
}

#[test]
fn prune_reports_each_container() {
    let d = Daemon::start();
    let mut c = d.client();
    let (a, _) = create(&mut c, &d, json!({}));
    let (b, _) = create(&mut c, &d, json!({ "labels": { "keep": "1" } }));
    c.call("io.berth.Pod.Create", json!({ "name": "p" })).unwrap();
    let (m, _) = create(&mut c, &d, json!({ "pod": "p" }));
    let r = c.call("io.berth.Container.Prune", json!({ "filters": ["label!=keep"] })).unwrap();
    assert_eq!(r["reports"], json!([{ "id": a, "size": 0, "error": null }]));
    let left = c.call("io.berth.Container.List", json!({ "all": true })).unwrap();
    let ids: Vec<&str> = left["containers"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [b.as_str(), m.as_str()]);
}

#[test]
fn events_stream_with_more() {
    let d = Daemon::start();
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let mut c = d.client();
    c.call("io.berth.Volume.Create", json!({ "name": "not-a-container" })).unwrap();
    let (id, _) = create(&mut c, &d, json!({ "name": "ev", "labels": { "tier": "x" } }));
    c.call("io.berth.Container.Rename", json!({ "nameOrId": "ev", "newName": "ev2" })).unwrap();
    // Subscribing after the fact: `since` replays what happened, then the
    // stream goes on live.
    let addr = d.address.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let watcher = std::thread::spawn(move || {
        let mut c = Client::connect(&addr).unwrap();
        let mut n = 0;
        c.stream("io.berth.System.Events", json!({ "filters": ["type=container", format!("since={since}")] }), |r| {
            tx.send(r["event"].clone()).unwrap();
            n += 1;
            n < 3
        })
        .unwrap();
    });
    let first = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
    c.call("io.berth.Container.Remove", json!({ "nameOrId": "ev2" })).unwrap();
    watcher.join().unwrap();
    let events: Vec<Value> = std::iter::once(first).chain(rx.iter()).collect();
    let actions: Vec<&str> = events.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "rename", "remove"]);
    assert!(events.iter().all(|e| e["id"] == id.as_str()
        && e["type"] == "container"
        && e["time"].as_i64().unwrap() > since as i64 * 1_000_000));
    assert_eq!(events[0]["attributes"]["tier"], "x");
    assert_eq!(events[1]["attributes"]["oldName"], "ev");
}

/// The interface texts as berthd serves them, for checking replies.
fn schema() -> berth::api::schema::Schema {
    let texts: Vec<&'static str> = INTERFACES
        .iter()
        .map(|i| &*std::fs::read_to_string(format!("interfaces/{i}.varlink")).unwrap().leak())
        .collect();
    berth::api::schema::Schema::new(&texts).unwrap()
}

/// Inspect answers with the typed structures of the interface files, every
/// field and no other (what a generated client decodes), and every time in
/// microseconds since the epoch.
#[test]
fn inspect_replies_are_what_the_interfaces_say() {
    use berth::api::schema::Verdict;
    let d = Daemon::start();
    let mut c = d.client();
    let schema = schema();
    let checked = |c: &mut Client, iface: &str, method: &str, params: Value| -> Value {
        let reply = c.call(&format!("{iface}.{method}"), params).unwrap();
        assert_eq!(schema.check_reply(iface, method, &reply), Verdict::Valid, "{method}: {reply:#}");
        reply
    };
    let usec = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros() as i64;
    let before = usec();
    c.call("io.berth.Secret.Create", json!({ "name": "token", "data": "s3cret" })).unwrap();
    c.call("io.berth.Pod.Create", json!({ "name": "typed-pod", "infra": true })).unwrap();
    let (id, _) = create(
        &mut c,
        &d,
        json!({ "name": "typed", "pod": "typed-pod", "env": { "A": "1" }, "labels": { "k": "v" },
                "volumes": [ { "destination": "/data" }, { "name": "named", "destination": "/named", "options": ["ro"] } ],
                "secrets": [ { "name": "token", "type": "env", "target": "TOKEN" } ], "resources": { "pidsMax": 64 },
                "mounts": [ { "type": "bind", "source": d.root(), "destination": "/host", "options": ["ro"] },
                            { "type": "tmpfs", "destination": "/scratch", "options": ["size=1m"] },
                            { "type": "volume", "source": "viamount", "destination": "/vm" } ] }),
    );
    c.call("io.berth.Container.Start", json!({ "nameOrId": id })).unwrap();
    c.call("io.berth.Container.Wait", json!({ "nameOrId": id })).unwrap();
    let after = usec();
    let info =
        checked(&mut c, "io.berth.Container", "Inspect", json!({ "nameOrId": id, "size": true }))["container"].take();
    for t in [&info["config"]["created"], &info["state"]["startedAt"], &info["state"]["finishedAt"]] {
        assert!((before..=after).contains(&t.as_i64().unwrap()), "{t} not in {before}..{after}");
    }
    assert_eq!(info["config"]["volumes"][1]["options"], json!(["ro"]));
    let kinds: Vec<&str> = info["mounts"].as_array().unwrap().iter().map(|m| m["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["volume", "volume", "volume", "bind", "tmpfs"]);
    assert_eq!(info["mounts"][2]["name"], "viamount");
    assert_eq!(
        (info["mounts"][3]["source"].as_str(), info["mounts"][3]["rw"].as_bool()),
        (d.root().to_str(), Some(false))
    );
    let image_mount =
        json!({ "rootfs": d.rootfs(), "command": ["true"], "mounts": [ { "type": "image", "destination": "/i" } ] });
    let r = c.call("io.berth.Container.Create", json!({ "options": image_mount }));
    assert!(
        matches!(&r, Err(ClientError::Remote { error, .. }) if error == "io.berth.Container.InvalidArgument"),
        "{r:?}"
    );
    let pod = checked(&mut c, "io.berth.Pod", "Inspect", json!({ "nameOrId": "typed-pod" }))["pod"].take();
    assert!((before..=after).contains(&pod["created"].as_i64().unwrap()));
    assert_eq!(pod["containers"].as_array().unwrap().len(), 2);
    let listed = c.call("io.berth.Container.List", json!({ "all": true, "filters": ["name=^typed$"] })).unwrap();
    assert_eq!(listed["containers"][0]["created"], info["config"]["created"]);
    let img = common::image::build(&d.root().join("img"));
    c.call("io.berth.Image.Import", json!({ "path": img.layout, "reference": "typed:1" })).unwrap();
    let image = checked(&mut c, "io.berth.Image", "Inspect", json!({ "reference": "typed:1" }))["image"].take();
    let with_volume = common::image::build_with(
        &d.root().join("img-volume"),
        json!({ "Cmd": ["/bin/sh"], "Volumes": { "/data": {} } }),
    );
    c.call("io.berth.Image.Import", json!({ "path": with_volume.layout, "reference": "typed:2" })).unwrap();
    let volumes = checked(&mut c, "io.berth.Image", "Inspect", json!({ "reference": "typed:2" }))["image"].take();
    assert_eq!(volumes["config"]["config"]["Volumes"], json!({ "/data": {} }));
    assert!((before..=usec()).contains(&image["created"].as_i64().unwrap()));
    checked(&mut c, "io.berth.Volume", "Inspect", json!({ "name": "named" }));
    let secret = checked(&mut c, "io.berth.Secret", "Inspect", json!({ "nameOrId": "token" }))["secret"].take();
    assert_eq!(secret["users"], json!([id]));
}

#[test]
fn state_survives_a_restart_and_a_corrupt_record_can_be_evicted() {
    let mut d = Daemon::start();
    let mut c = d.client();
    let (id, _) = create(
        &mut c,
        &d,
        json!({ "name": "keep", "volumes": [ { "destination": "/x" }, { "name": "named", "destination": "/n" } ] }),
    );
    let (broken, _) = create(&mut c, &d, json!({ "name": "broken", "volumes": [ { "destination": "/y" } ] }));
    drop(c);
    d.stop();
    // Corrupt one stored record behind berthd's back while it is stopped.
    let db = d.root().join("berth.db");
    let script = format!(
        "import sqlite3; c = sqlite3.connect({:?}); c.execute(\"UPDATE container_configs SET config = '{{garbage' WHERE id = (SELECT id FROM containers WHERE name = 'broken')\"); c.commit()",
        db.display().to_string()
    );
    assert!(std::process::Command::new(common::python()).args(["-c", &script]).status().unwrap().success());
    d.restart(&["--idle-timeout", "0"]);
    let mut c = d.client();
    assert_eq!(c.call("io.berth.Container.LookupId", json!({ "nameOrId": "keep" })).unwrap()["id"], id.as_str());
    let (error, _) = remote_error(c.call("io.berth.Container.Inspect", json!({ "nameOrId": "broken" })));
    assert_eq!(error, "io.berth.Container.Storage");
    let problems = c.call("io.berth.System.Check", json!({})).unwrap()["problems"].clone();
    assert_eq!(problems[0]["kind"], "unreadable-record");
    assert_eq!(problems[0]["id"], broken.as_str());
    // Filters that read configurations pass over the one that cannot be read.
    for filter in ["volume=/:/x", "network=container:keep"] {
        let listed = c.call("io.berth.Container.List", json!({ "all": true, "filters": [filter] }));
        assert!(listed.is_ok(), "{filter}: {listed:?}");
    }
    let r = c.call("io.berth.Container.Evict", json!({ "nameOrId": "broken", "volumes": true })).unwrap();
    assert_eq!(r["id"], broken.as_str());
    let vols = c.call("io.berth.Volume.List", json!({})).unwrap()["volumes"].clone();
    assert_eq!(vols.as_array().unwrap().len(), 2, "keep's anonymous volume and the named one remain");
    assert_eq!(c.call("io.berth.System.Check", json!({})).unwrap()["problems"], json!([]));
}

#[test]
fn one_daemon_per_root_and_idle_exit() {
    let d = Daemon::start();
    let second = std::process::Command::new(env!("CARGO_BIN_EXE_berthd"))
        .arg("--root")
        .arg(d.root())
        .args(["--varlink", "unix:/run/berth-test-second.sock", "--dbus", "none", "--config", "/dev/null"])
        .output()
        .unwrap();
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("another berthd"), "{second:?}");

    let mut idle = Daemon::start_with(&["--idle-timeout", "1"]);
    // A connected client keeps it alive past the timeout.
    let mut c = idle.client();
    std::thread::sleep(std::time::Duration::from_millis(1800));
    c.call("io.berth.System.Info", json!({})).unwrap();
    drop(c);
    let status = idle.child.wait().unwrap();
    assert!(status.success(), "idle exit is a clean exit: {status}");
    assert!(!idle.socket().exists(), "its socket is removed");
}

/// Read Docker-framed output until the stream ends: (stream, bytes) per frame.
fn frames(stream: &mut UnixStream, mut pending: Vec<u8>) -> Vec<(u8, String)> {
    use std::io::Read;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => pending.extend_from_slice(&buf[..n]),
            Err(e) => panic!("the stream did not end: {e}; got {pending:?}"),
        }
    }
    let mut out = Vec::new();
    while !pending.is_empty() {
        assert!(pending.len() >= 8 && pending[1..4] == [0, 0, 0], "not a frame header: {pending:?}");
        let len = u32::from_be_bytes(pending[4..8].try_into().unwrap()) as usize;
        out.push((pending[0], String::from_utf8_lossy(&pending[8..8 + len]).into_owned()));
        pending.drain(..8 + len);
    }
    out
}

#[test]
fn attach_upgrades_the_connection_to_framed_stdio() {
    let d = Daemon::start();
    let mut c = d.client();
    let script = "read line; echo \"got $line\"; echo oops >&2; exit 2";
    let (id, _) = create(&mut c, &d, json!({ "command": ["/bin/sh", "-c", script], "stdin": true }));
    c.call("io.berth.Container.Init", json!({ "nameOrId": id })).unwrap();
    // A client of its own: the request, by hand, with the upgrade flag;
    // stdin follows it at once, before the reply.
    let mut stream = UnixStream::connect(d.socket()).unwrap();
    let request = json!({ "method": "io.berth.Container.Attach", "parameters": { "nameOrId": id, "stdin": true }, "upgrade": true });
    let mut bytes = serde_json::to_vec(&request).unwrap();
    bytes.push(0);
    bytes.extend_from_slice(b"hello\n");
    stream.write_all(&bytes).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut reply = Vec::new();
    reader.read_until(0, &mut reply).unwrap();
    reply.pop();
    let reply: Value = serde_json::from_slice(&reply).unwrap();
    assert_eq!(reply["parameters"], json!({ "id": id, "terminal": false }));
    let early = reader.buffer().to_vec();
    c.call("io.berth.Container.Start", json!({ "nameOrId": id })).unwrap();
    let got = frames(&mut stream, early);
    assert_eq!(got, vec![(1, "got hello\n".to_string()), (2, "oops\n".to_string())]);
    let waited = c.call("io.berth.Container.Wait", json!({ "nameOrId": id })).unwrap();
    assert_eq!(waited["exitCode"], 2);

    // Two clients at once see the same output; without stdin, a client's
    // bytes do not reach the container.
    let (id, _) =
        create(&mut c, &d, json!({ "command": ["/bin/sh", "-c", "read line; echo \"line $line\""], "stdin": true }));
    c.call("io.berth.Container.Init", json!({ "nameOrId": id })).unwrap();
    let attach = |stdin: bool| {
        let params = json!({ "nameOrId": id, "stdin": stdin });
        d.client().upgrade("io.berth.Container.Attach", params).unwrap()
    };
    let (_, mut watcher, watcher_early) = attach(false);
    let (_, mut typist, typist_early) = attach(true);
    watcher.write_all(b"ignored\n").unwrap();
    c.call("io.berth.Container.Start", json!({ "nameOrId": id })).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    typist.write_all(b"typed\n").unwrap();
    assert_eq!(frames(&mut watcher, watcher_early), vec![(1, "line typed\n".to_string())]);
    assert_eq!(frames(&mut typist, typist_early), vec![(1, "line typed\n".to_string())]);
}

#[test]
fn an_exec_session_streams_framed_and_is_inspected_at_its_end() {
    let d = Daemon::start();
    let mut c = d.client();
    let (id, _) = create(&mut c, &d, json!({ "command": ["/bin/sleep", "600"] }));
    c.call("io.berth.Container.Start", json!({ "nameOrId": id })).unwrap();
    let script = "echo out; echo err >&2; exit 3";
    let created =
        c.call("io.berth.Container.ExecCreate", json!({ "nameOrId": id, "command": ["/bin/sh", "-c", script] }));
    let exec_id = created.unwrap()["execId"].as_str().unwrap().to_string();
    let (reply, mut stream, early) =
        d.client().upgrade("io.berth.Container.ExecStart", json!({ "execId": exec_id })).unwrap();
    assert_eq!(
        (reply["session"]["state"].as_str(), reply["session"]["containerId"].as_str()),
        (Some("running"), Some(id.as_str()))
    );
    assert_eq!(frames(&mut stream, early), vec![(1, "out\n".to_string()), (2, "err\n".to_string())]);
    // The stream ended once the exit was known: no waiting for it.
    let session = c.call("io.berth.Container.ExecInspect", json!({ "execId": exec_id })).unwrap()["session"].clone();
    assert_eq!((session["state"].as_str(), session["exitCode"].as_i64()), (Some("stopped"), Some(3)));
    let (error, _) = remote_error(
        d.client().upgrade("io.berth.Container.ExecStart", json!({ "execId": exec_id })).map(|(r, _, _)| r),
    );
    assert_eq!(error, "io.berth.Container.InvalidState");
    c.call("io.berth.Container.ExecRemove", json!({ "execId": exec_id })).unwrap();
    let (error, params) = remote_error(c.call("io.berth.Container.ExecInspect", json!({ "execId": exec_id })));
    assert_eq!((error.as_str(), params["field"].as_str()), ("io.berth.Container.InvalidArgument", Some("execId")));
}

#[test]
fn attach_and_resize_refuse_bad_input_by_name() {
    let d = Daemon::start();
    let mut c = d.client();
    let (id, _) = create(&mut c, &d, json!({ "command": ["/bin/sleep", "100"] }));
    let attach = |params: Value| d.client().upgrade("io.berth.Container.Attach", params).map(|(r, _, _)| r);
    let (error, params) = remote_error(attach(json!({ "nameOrId": id })));
    assert_eq!(error, "io.berth.Container.InvalidState");
    assert_eq!(params["state"], "configured");
    c.call("io.berth.Container.Start", json!({ "nameOrId": id })).unwrap();
    let (error, params) = remote_error(attach(json!({ "nameOrId": id, "detachKeys": "ctrl-p,nope" })));
    assert_eq!(error, "io.berth.Container.InvalidArgument");
    assert_eq!(params["field"], "detachKeys");
    assert!(params["reason"].as_str().unwrap().contains("\"nope\""), "{params}");
    // Without the upgrade flag there is nothing to carry the stream.
    let (error, params) = remote_error(c.call("io.berth.Container.Attach", json!({ "nameOrId": id })));
    assert_eq!((error.as_str(), &params["field"]), ("io.berth.Container.InvalidArgument", &json!("upgrade")));
    // A container without a terminal has none to resize.
    let resize = json!({ "nameOrId": id, "height": 24, "width": 80 });
    let (error, params) = remote_error(c.call("io.berth.Container.Resize", resize));
    assert_eq!(error, "io.berth.Container.InvalidState");
    assert!(params["reason"].as_str().unwrap().contains("no terminal"), "{params}");
    let (error, params) =
        remote_error(c.call("io.berth.Container.Resize", json!({ "nameOrId": id, "height": 0, "width": 80 })));
    assert_eq!((error.as_str(), &params["field"]), ("io.berth.Container.InvalidArgument", &json!("height")));
    let (error, _) = remote_error(attach(json!({ "nameOrId": "nonesuch" })));
    assert_eq!(error, "io.berth.Container.NoSuchContainer");
}
