//! Malformed input, as a hostile client would send it, through the public
//! socket only: every method of every interface with each of its fields of
//! a wrong type, missing or unknown; truncated, oversized and too many
//! frames; huge filters, names and timeouts. Each call gets exactly one
//! answer, the connection stays usable, nothing changes, and berthd's memory
//! stays bounded.

mod common;

use berth::client::{Client, ClientError};
use common::Daemon;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};
use varlink_parser::{VStructOrEnum, VType, VTypeExt, IDL};

/// One connection speaking raw frames, with a bound on every wait.
struct Raw {
    stream: UnixStream,
    reader: BufReader<UnixStream>,
}

impl Raw {
    fn connect(d: &Daemon) -> Raw {
        let stream = UnixStream::connect(d.socket()).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        Raw { reader: BufReader::new(stream.try_clone().unwrap()), stream }
    }

    /// Send one request and return its one reply (a missing reply fails).
    fn ask(&mut self, request: &Value) -> Value {
        let mut frame = serde_json::to_vec(request).unwrap();
        frame.push(0);
        self.stream.write_all(&frame).unwrap();
        let mut buf = Vec::new();
        self.reader.read_until(0, &mut buf).unwrap_or_else(|e| panic!("no reply to {request}: {e}"));
        assert_eq!(buf.pop(), Some(0), "no reply to {request}");
        serde_json::from_slice(&buf).unwrap()
    }
}

/// Values of the wrong type for a field of type `t` (none for `object`,
/// which takes any value).
fn wrong_values(idl: &IDL, t: &VTypeExt) -> Vec<Value> {
    match t {
        VTypeExt::Option(inner) => wrong_values(idl, inner),
        VTypeExt::Array(inner) => {
            let mut v = vec![json!("x"), json!({}), json!(7)];
            v.extend(wrong_values(idl, inner).into_iter().take(1).map(|w| json!([w])));
            v
        }
        VTypeExt::Dict(inner) => {
            let mut v = vec![json!("x"), json!([]), json!(7)];
            v.extend(wrong_values(idl, inner).into_iter().take(1).map(|w| json!({ "k": w })));
            v
        }
        VTypeExt::Plain(t) => match t {
            VType::String => vec![json!(7), json!(true), json!([]), json!({}), json!(1.5)],
            VType::Int => vec![json!("7"), json!(1.5), json!(true), json!([]), json!(1e300)],
            VType::Float => vec![json!("1.5"), json!(true), json!({})],
            VType::Bool => vec![json!("true"), json!(1), json!({})],
            VType::Object => vec![],
            VType::Enum(_) => vec![json!("not-one-of-them"), json!(7)],
            VType::Struct(_) => vec![json!("x"), json!([]), json!(7), json!({ "zzUnknownField": 1 })],
            VType::Typename(name) => match idl.typedefs.get(name).map(|t| &t.elt) {
                Some(VStructOrEnum::VEnum(_)) => vec![json!("not-one-of-them"), json!(7)],
                _ => vec![json!("x"), json!([]), json!(7), json!({ "zzUnknownField": 1 })],
            },
        },
    }
}

/// A value of the right type for a field, so that the others can be checked
/// one at a time.
fn right_value(idl: &IDL, t: &VTypeExt) -> Value {
    match t {
        VTypeExt::Option(_) => Value::Null,
        VTypeExt::Array(_) => json!([]),
        VTypeExt::Dict(_) => json!({}),
        VTypeExt::Plain(t) => match t {
            VType::String => json!("malformed-test-none"),
            VType::Int => json!(1),
            VType::Float => json!(1.0),
            VType::Bool => json!(false),
            VType::Object => json!({}),
            VType::Enum(e) => json!(e.elts[0]),
            VType::Struct(s) => required_fields(idl, &s.elts),
            VType::Typename(name) => match idl.typedefs.get(name).map(|t| &t.elt) {
                Some(VStructOrEnum::VEnum(e)) => json!(e.elts[0]),
                Some(VStructOrEnum::VStruct(s)) => required_fields(idl, &s.elts),
                None => Value::Null,
            },
        },
    }
}

fn required_fields(idl: &IDL, fields: &[varlink_parser::Argument]) -> Value {
    Value::Object(
        fields
            .iter()
            .filter(|a| !matches!(a.vtype, VTypeExt::Option(_)))
            .map(|a| (a.name.to_string(), right_value(idl, &a.vtype)))
            .collect(),
    )
}

fn invalid_parameter(reply: &Value) -> Option<&str> {
    (reply["error"] == "org.varlink.service.InvalidParameter").then(|| reply["parameters"]["parameter"].as_str())?
}

#[test]
fn every_method_with_every_wrong_type_gets_invalid_parameter() {
    let d = Daemon::start();
    let mut raw = Raw::connect(&d);
    let info = raw.ask(&json!({ "method": "org.varlink.service.GetInfo" }));
    let interfaces: Vec<String> = serde_json::from_value(info["parameters"]["interfaces"].clone()).unwrap();
    assert!(interfaces.len() >= 7, "{interfaces:?}");
    let mut calls = 0;
    for interface in &interfaces {
        let described =
            raw.ask(&json!({ "method": "org.varlink.service.GetInterfaceDescription", "parameters": { "interface": interface } }));
        let text = described["parameters"]["description"].as_str().unwrap().to_string();
        let idl = IDL::try_from(text.as_str()).unwrap();
        for (name, method) in &idl.methods {
            let full = format!("{interface}.{name}");
            let fields = &method.input.elts;
            let base = required_fields(&idl, fields);
            let mut expect = |params: Value, field: &str, what: &str| {
                let reply = raw.ask(&json!({ "method": full, "parameters": params }));
                calls += 1;
                let named = invalid_parameter(&reply).unwrap_or_else(|| panic!("{full} with {what}: {reply}"));
                assert!(named.starts_with(field), "{full} with {what}: names {named}, not {field}");
            };
            let mut unknown = base.clone();
            unknown["zzUnknownField"] = json!(1);
            expect(unknown, "zzUnknownField", "an unknown field");
            for arg in fields {
                if !matches!(arg.vtype, VTypeExt::Option(_)) {
                    let mut params = base.clone();
                    params.as_object_mut().unwrap().remove(arg.name);
                    expect(params, "", &format!("{} missing", arg.name));
                }
                for wrong in wrong_values(&idl, &arg.vtype) {
                    let mut params = base.clone();
                    params[arg.name] = wrong.clone();
                    expect(params, arg.name, &format!("{}={wrong}", arg.name));
                }
            }
            // Parameters that are not an object at all.
            if !fields.is_empty() {
                for params in [json!([1]), json!("x"), json!(7)] {
                    let reply = raw.ask(&json!({ "method": full, "parameters": params }));
                    calls += 1;
                    assert!(invalid_parameter(&reply).is_some(), "{full} with {params}: {reply}");
                }
            }
        }
    }
    eprintln!("{calls} malformed calls, each answered with InvalidParameter");
    assert!(calls > 500, "only {calls} calls were made");
    // None of them did anything, and the connection still serves.
    let r = raw.ask(&json!({ "method": "io.berth.System.Info", "parameters": {} }));
    assert_eq!((r["parameters"]["containers"].as_i64(), r["parameters"]["pods"].as_i64()), (Some(0), Some(0)), "{r}");
    let r = raw.ask(&json!({ "method": "io.berth.Volume.List", "parameters": {} }));
    assert_eq!(r["parameters"]["volumes"], json!([]));
}

#[test]
fn the_service_interface_answers_every_call() {
    let d = Daemon::start();
    let mut raw = Raw::connect(&d);
    let describe = "org.varlink.service.GetInterfaceDescription";
    for request in [
        json!({ "method": describe }),
        json!({ "method": describe, "parameters": {} }),
        json!({ "method": describe, "parameters": { "interface": 7 } }),
        json!({ "method": describe, "parameters": { "interface": ["io.berth.Container"] } }),
        json!({ "method": describe, "parameters": { "interface": "io.berth.Container", "extra": 1 } }),
        json!({ "method": "org.varlink.service.GetInfo", "parameters": { "extra": 1 } }),
    ] {
        let reply = raw.ask(&request);
        assert!(invalid_parameter(&reply).is_some(), "{request}: {reply}");
    }
    let reply = raw.ask(&json!({ "method": describe, "parameters": { "interface": "io.berth.Nope" } }));
    assert_eq!(invalid_parameter(&reply), Some("interface"), "{reply}");
    let reply = raw.ask(&json!({ "method": "org.varlink.service.Frobnicate" }));
    assert_eq!(reply["error"], "org.varlink.service.MethodNotFound", "{reply}");
}

#[test]
fn unknown_fields_are_refused_not_ignored() {
    let d = Daemon::start();
    let mut c = d.client();
    let options = json!({ "rootfs": d.rootfs(), "command": ["/bin/true"], "name": "ports",
        "portMapings": [{ "hostPort": 8080, "containerPort": 80 }] });
    match c.call("io.berth.Container.Create", json!({ "options": options })) {
        Err(ClientError::Remote { error, parameters }) => {
            assert_eq!(error, "org.varlink.service.InvalidParameter");
            assert_eq!(parameters["parameter"], "options.portMapings");
        }
        other => panic!("{other:?}"),
    }
    let r = c.call("io.berth.Container.Exists", json!({ "nameOrId": "ports" })).unwrap();
    assert_eq!(r["exists"], false, "a refused create left a container");
}

/// systemd's allowInteractiveAuthentication is taken by every method (root,
/// who needs no authorization, may pass it too); a value that is not a
/// boolean is refused by name.
#[test]
fn allow_interactive_authentication_is_a_boolean_on_any_method() {
    let d = Daemon::start();
    let mut c = d.client();
    let asked = json!({ "name": "asked", "allowInteractiveAuthentication": true });
    assert_eq!(c.call("io.berth.Volume.Create", asked).unwrap()["name"], "asked");
    let listed = c.call("io.berth.Volume.List", json!({ "allowInteractiveAuthentication": false })).unwrap();
    assert!(listed.to_string().contains("asked"), "{listed}");
    let (error, parameters) =
        remote(c.call("io.berth.Volume.Create", json!({ "name": "x", "allowInteractiveAuthentication": "yes" })));
    assert_eq!(
        (error.as_str(), &parameters["parameter"]),
        ("org.varlink.service.InvalidParameter", &json!("allowInteractiveAuthentication"))
    );
    let r = c.call("io.berth.Volume.Exists", json!({ "name": "x" })).unwrap();
    assert_eq!(r["exists"], false);
}

fn remote(r: Result<Value, ClientError>) -> (String, Value) {
    match r {
        Err(ClientError::Remote { error, parameters }) => (error, parameters),
        other => panic!("expected an error, got {other:?}"),
    }
}

/// berthd's resident memory, in MiB.
fn rss_mib(d: &Daemon) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", d.child.id())).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .unwrap()
        .trim()
        .trim_end_matches(" kB")
        .trim()
        .parse()
        .unwrap();
    kib >> 10
}

#[test]
fn huge_filters_names_and_timeouts_are_refused_briefly() {
    let d = Daemon::start();
    let mut c = d.client();
    let before = rss_mib(&d);
    // A 5 MB regex: refused before it is compiled, and not echoed back.
    let started = Instant::now();
    let (error, params) = remote(
        c.call("io.berth.Container.List", json!({ "all": true, "filters": [format!("name={}", "a".repeat(5 << 20))] })),
    );
    assert_eq!(error, "io.berth.Container.InvalidArgument");
    assert_eq!(params["field"], "filters");
    assert!(params.to_string().len() < 2048, "the error repeats {} bytes", params.to_string().len());
    // A short pattern that would compile to a huge program.
    let (_, params) =
        remote(c.call("io.berth.Container.List", json!({ "filters": ["name=\\w{500}\\w{500}\\w{500}"] })));
    assert_eq!(params["field"], "filters");
    let many: Vec<String> = (0..1000).map(|i| format!("label=k{i}")).collect();
    let (_, params) = remote(c.call("io.berth.Container.List", json!({ "filters": many })));
    assert_eq!(params["field"], "filters");
    let (_, params) =
        remote(c.call("io.berth.Volume.Prune", json!({ "filters": [format!("label={}", "b".repeat(1 << 20))] })));
    assert_eq!(params["field"], "filters");
    assert!(started.elapsed() < Duration::from_secs(10));
    // Names: a megabyte is an InvalidName that says why, quoted briefly.
    let huge = "n".repeat(1 << 20);
    let create = |name: &str| json!({ "options": { "rootfs": d.rootfs(), "command": ["/bin/true"], "name": name } });
    let (error, params) = remote(c.call("io.berth.Container.Create", create(&huge)));
    assert_eq!(error, "io.berth.Container.InvalidName");
    assert!(params["reason"].as_str().unwrap().contains("at most 253 bytes"), "{params}");
    assert!(params.to_string().len() < 2048);
    let (error, _) = remote(c.call("io.berth.Pod.Create", json!({ "name": huge })));
    assert_eq!(error, "io.berth.Pod.InvalidName");
    let (error, params) = remote(c.call("io.berth.Volume.Create", json!({ "name": "v".repeat(300) })));
    assert_eq!(error, "io.berth.Volume.InvalidName", "{params}");
    let id = c.call("io.berth.Container.Create", create("short")).unwrap()["id"].as_str().unwrap().to_string();
    let (error, _) = remote(c.call("io.berth.Container.Rename", json!({ "nameOrId": id, "newName": "r".repeat(254) })));
    assert_eq!(error, "io.berth.Container.InvalidName");
    // A lookup of a huge name is a NoSuchContainer that does not repeat it.
    let (error, params) = remote(c.call("io.berth.Container.Inspect", json!({ "nameOrId": huge })));
    assert_eq!(error, "io.berth.Container.NoSuchContainer");
    assert!(params.to_string().len() < 2048);
    // Timeouts beyond what a u32 of seconds holds cannot be honoured.
    let (error, params) = remote(c.call("io.berth.Container.Stop", json!({ "nameOrId": id, "timeout": 1i64 << 62 })));
    assert_eq!((error.as_str(), params["field"].as_str()), ("io.berth.Container.InvalidArgument", Some("timeout")));
    let (_, params) = remote(c.call("io.berth.Container.Restart", json!({ "nameOrId": id, "timeout": 1i64 << 33 })));
    assert_eq!(params["field"], "timeout");
    let (_, params) = remote(c.call("io.berth.Pod.Stop", json!({ "nameOrId": "nopod", "timeout": 1i64 << 40 })));
    assert_eq!(params["field"], "timeout");
    let mut options = create("late")["options"].clone();
    options["stopTimeout"] = json!(1i64 << 62);
    let (_, params) = remote(c.call("io.berth.Container.Create", json!({ "options": options.clone() })));
    assert_eq!(params["field"], "stopTimeout");
    options["stopTimeout"] = json!(u32::MAX);
    c.call("io.berth.Container.Create", json!({ "options": options })).unwrap();
    let r = c.call("io.berth.Container.Inspect", json!({ "nameOrId": "late" })).unwrap();
    assert_eq!(r["container"]["config"]["stopTimeout"], u32::MAX, "{r}");
    assert!(rss_mib(&d) < before + 64, "berthd grew from {before} to {} MiB", rss_mib(&d));
}

#[test]
fn unfinished_frames_of_many_clients_are_bounded_together() {
    let d = Daemon::start();
    let before = rss_mib(&d);
    // 24 clients each sending 7 MiB without ending the frame: 168 MiB if
    // each were let hold its share.
    let chunk = vec![b' '; 1 << 20];
    let mut clients: Vec<UnixStream> = (0..24).map(|_| UnixStream::connect(d.socket()).unwrap()).collect();
    for _ in 0..7 {
        for s in &mut clients {
            s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
            // A client whose connection was closed for going over sees an error.
            let _ = s.write_all(&chunk);
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    let during = rss_mib(&d);
    eprintln!("berthd: {before} MiB before, {during} MiB holding unfinished frames");
    assert!(during < before + 100, "berthd grew from {before} to {during} MiB holding unfinished frames");
    // Others are still served meanwhile.
    let r = d.client().call("io.berth.System.Info", json!({})).unwrap();
    assert_eq!(r["containers"], 0);
    drop(clients);
    // A truncated frame closes only its connection.
    let mut cut = UnixStream::connect(d.socket()).unwrap();
    cut.write_all(b"{\"method\":\"io.berth.Container.List\",\"param").unwrap();
    drop(cut);
    let mut c = Client::connect(&d.address).unwrap();
    assert_eq!(c.call("io.berth.Container.List", json!({})).unwrap()["containers"], json!([]));
}
