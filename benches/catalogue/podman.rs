//! Podman on the same work, two ways: its CLI (a process per operation, the
//! way most people meet Podman) and its REST service (`podman system service`,
//! the daemon-mode anchor, called over one kept HTTP/1.1 connection, the way a
//! service client calls berthd). Both share one store and one catalogue.

use crate::interactive::{Interactive, ReadWrite};
use crate::{Engine, Net, POLITE};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const IMAGE: &str = "localhost/busybox:latest";

/// The Podman CLI, configured by scripts/bench.sh.
pub struct Cli {
    next: usize,
}

impl Cli {
    /// Podman with the bench's image, if installed.
    pub fn available() -> Option<Cli> {
        let ok = Command::new("podman").args(["image", "exists", IMAGE]).status().is_ok_and(|s| s.success());
        ok.then_some(Cli { next: 0 })
    }

    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("podman").args(args).output().expect("podman");
        assert!(out.status.success(), "podman {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn reset(&self) {
        self.run(&["rm", "-a", "-f"]);
    }
}

impl Engine for Cli {
    fn create(&mut self, labelled: bool) -> String {
        self.next += 1;
        let name = format!("pb{}", self.next);
        let label = if labelled { "sel=yes" } else { "sel=no" };
        self.run(&[
            "create",
            "--name",
            &name,
            "--network",
            "none",
            "--label",
            "bench=1",
            "--label",
            label,
            IMAGE,
            "/bin/true",
        ])
    }
    fn nothing(&mut self) {
        self.run(&["--version"]);
    }
    fn inspect(&mut self, id: &str) {
        self.run(&["container", "inspect", id]);
    }
    fn lookup_prefix(&mut self, prefix: &str) -> String {
        self.run(&["container", "inspect", "--format", "{{.Id}}", prefix])
    }
    fn rename(&mut self, id: &str, name: &str) {
        self.run(&["rename", id, name]);
    }
    fn remove(&mut self, id: &str) {
        self.run(&["rm", id]);
    }
    fn list(&mut self, filter: Option<&str>) -> usize {
        let mut args = vec!["ps", "-a", "--no-trunc", "--format", "{{.ID}}"];
        if let Some(f) = filter {
            args.extend(["--filter", f]);
        }
        self.run(&args).lines().count()
    }
    fn prune(&mut self) -> usize {
        self.run(&["container", "prune", "-f"]).lines().count()
    }
    fn run_to_exit(&mut self, net: Net) {
        let mut args = vec!["run".to_string(), "--rm".into()];
        args.extend(net_args(net));
        args.extend([IMAGE.into(), "/bin/true".into()]);
        self.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    }
    fn create_polite(&mut self, script: &str, net: Net) -> String {
        self.next += 1;
        let mut args = vec!["create".to_string(), "--name".into(), format!("pb{}", self.next)];
        args.extend(net_args(net));
        args.extend([IMAGE.into(), "/bin/sh".into(), "-c".into(), script.into()]);
        self.run(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }
    fn start(&mut self, id: &str) {
        self.run(&["start", id]);
    }
    fn stop(&mut self, id: &str) {
        self.run(&["stop", id]);
    }
    fn network_create(&mut self, name: &str) {
        self.run(&["network", "create", name]);
    }
    fn network_remove(&mut self, name: &str) {
        self.run(&["network", "rm", name]);
    }
}

/// podman's flags for `net`.
fn net_args(net: Net) -> Vec<String> {
    match net {
        Net::None => vec!["--network".into(), "none".into()],
        Net::Bridge(port) => port.map(|p| vec!["-p".into(), format!("{p}:80")]).unwrap_or_default(),
    }
}

/// The libpod API's spec fields for `net`.
fn net_spec(mut spec: Value, net: Net) -> Value {
    match net {
        Net::None => spec["netns"] = json!({ "nsmode": "none" }),
        Net::Bridge(port) => {
            if let Some(port) = port {
                spec["portmappings"] = json!([{ "host_port": port, "container_port": 80 }]);
            }
        }
    }
    spec
}

/// `podman system service` on a socket of the bench's own, and one kept
/// connection to it.
pub struct Rest {
    service: Child,
    conn: BufReader<UnixStream>,
    /// For connections of their own (streams).
    socket: PathBuf,
    next: usize,
}

const API: &str = "/v4.0.0/libpod";

impl Rest {
    pub fn start(socket: &Path) -> Rest {
        let _ = std::fs::remove_file(socket);
        let service = Command::new("podman")
            .args(["system", "service", "--time=0", &format!("unix://{}", socket.display())])
            .stderr(Stdio::null())
            .spawn()
            .expect("podman system service");
        let conn = loop {
            if let Ok(c) = UnixStream::connect(socket) {
                break c;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut rest = Rest { service, conn: BufReader::new(conn), socket: socket.to_path_buf(), next: 0 };
        rest.call("GET", "/_ping", None);
        rest
    }

    /// One request; the response's JSON body (Null when empty). Panics on a
    /// status of 400 or more, naming the request.
    fn call(&mut self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let stream = self.conn.get_mut();
        stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body.as_bytes())).expect("write to podman");
        let (status, length, chunked) = self.read_head();
        let bytes = if chunked { self.read_chunks() } else { self.read_exact(length.unwrap_or(0)) };
        assert!(status < 400, "podman REST {method} {path}: {status} {}", String::from_utf8_lossy(&bytes));
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.conn.read_line(&mut line).expect("read from podman");
        line.trim_end().to_string()
    }

    /// Status, Content-Length, and whether the body is chunked.
    fn read_head(&mut self) -> (u16, Option<usize>, bool) {
        let status = self.line().split(' ').nth(1).and_then(|s| s.parse().ok()).expect("an HTTP status line");
        let (mut length, mut chunked) = (None, false);
        loop {
            let line = self.line().to_ascii_lowercase();
            if line.is_empty() {
                return (status, length, chunked);
            }
            if let Some(v) = line.strip_prefix("content-length:") {
                length = v.trim().parse().ok();
            }
            chunked |= line.starts_with("transfer-encoding:") && line.contains("chunked");
        }
    }

    fn read_exact(&mut self, n: usize) -> Vec<u8> {
        let mut bytes = vec![0; n];
        self.conn.read_exact(&mut bytes).expect("read from podman");
        bytes
    }

    fn read_chunks(&mut self) -> Vec<u8> {
        let mut body = Vec::new();
        loop {
            let size = usize::from_str_radix(self.line().split(';').next().unwrap_or("0"), 16).expect("chunk size");
            body.extend(self.read_exact(size));
            self.line();
            if size == 0 {
                return body;
            }
        }
    }

    fn create_with(&mut self, spec: Value) -> String {
        self.call("POST", &format!("{API}/containers/create"), Some(spec))["Id"].as_str().unwrap().to_string()
    }
}

impl Drop for Rest {
    fn drop(&mut self) {
        let _ = self.service.kill();
        let _ = self.service.wait();
    }
}

impl Engine for Rest {
    fn create(&mut self, labelled: bool) -> String {
        self.next += 1;
        let label = if labelled { "yes" } else { "no" };
        self.create_with(json!({
            "image": IMAGE, "command": ["/bin/true"], "name": format!("pr{}", self.next),
            "labels": { "bench": "1", "sel": label }, "netns": { "nsmode": "none" },
        }))
    }
    fn nothing(&mut self) {
        self.call("GET", "/_ping", None);
    }
    fn inspect(&mut self, id: &str) {
        self.call("GET", &format!("{API}/containers/{id}/json"), None);
    }
    fn lookup_prefix(&mut self, prefix: &str) -> String {
        self.call("GET", &format!("{API}/containers/{prefix}/json"), None)["Id"].as_str().unwrap().to_string()
    }
    fn rename(&mut self, id: &str, name: &str) {
        self.call("POST", &format!("{API}/containers/{id}/rename?name={name}"), None);
    }
    fn remove(&mut self, id: &str) {
        self.call("DELETE", &format!("{API}/containers/{id}"), None);
    }
    fn list(&mut self, filter: Option<&str>) -> usize {
        let query = match filter.and_then(|f| f.strip_prefix("label=")) {
            // {"label":["sel=yes"]}, URL-encoded.
            Some(label) => format!("&filters=%7B%22label%22%3A%5B%22{}%22%5D%7D", label.replace('=', "%3D")),
            None => String::new(),
        };
        self.call("GET", &format!("{API}/containers/json?all=true{query}"), None).as_array().map_or(0, Vec::len)
    }
    fn prune(&mut self) -> usize {
        self.call("POST", &format!("{API}/containers/prune"), None).as_array().map_or(0, Vec::len)
    }
    /// What `podman --remote run --rm` asks of the service: create, start,
    /// wait, remove.
    fn run_to_exit(&mut self, net: Net) {
        self.next += 1;
        let name = format!("pr{}", self.next);
        let id = self.create_with(net_spec(json!({ "image": IMAGE, "command": ["/bin/true"], "name": name }), net));
        self.start(&id);
        self.call("POST", &format!("{API}/containers/{id}/wait"), None);
        self.remove(&id);
    }
    fn create_polite(&mut self, script: &str, net: Net) -> String {
        self.next += 1;
        let spec = json!({ "image": IMAGE, "command": ["/bin/sh", "-c", script], "name": format!("pr{}", self.next) });
        self.create_with(net_spec(spec, net))
    }
    fn start(&mut self, id: &str) {
        self.call("POST", &format!("{API}/containers/{id}/start"), None);
    }
    fn stop(&mut self, id: &str) {
        self.call("POST", &format!("{API}/containers/{id}/stop"), None);
    }
    fn network_create(&mut self, name: &str) {
        self.call("POST", &format!("{API}/networks/create"), Some(json!({ "name": name })));
    }
    fn network_remove(&mut self, name: &str) {
        self.call("DELETE", &format!("{API}/networks/{name}"), None);
    }
}

/// A connection the service hijacked for a stream, past its response's
/// head.
struct Hijacked(BufReader<UnixStream>);

impl Read for Hijacked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Hijacked {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.get_mut().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.get_mut().flush()
    }
}

impl Rest {
    /// A POST on a connection of its own, upgraded to the stream it
    /// carries (as podman-remote attaches and starts execs).
    fn hijack(&self, path: &str, body: Value) -> Hijacked {
        let mut conn = UnixStream::connect(&self.socket).expect("connect to podman");
        let body = body.to_string();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nConnection: Upgrade\r\n\
             Upgrade: tcp\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        conn.write_all(head.as_bytes()).and_then(|_| conn.write_all(body.as_bytes())).expect("write to podman");
        let mut reader = BufReader::new(conn);
        let mut line = String::new();
        reader.read_line(&mut line).expect("read from podman");
        assert!(line.contains(" 101 ") || line.contains(" 200 "), "podman REST POST {path}: {line}");
        while line.trim_end() != "" {
            line.clear();
            reader.read_line(&mut line).expect("read from podman");
        }
        Hijacked(reader)
    }

    fn create_tty(&mut self, script: &str) -> String {
        self.next += 1;
        self.create_with(json!({
            "image": IMAGE, "command": ["/bin/sh", "-c", script], "name": format!("pr{}", self.next),
            "terminal": true, "stdin": true, "netns": { "nsmode": "none" },
        }))
    }

    fn attach_stream(&self, id: &str) -> Hijacked {
        self.hijack(&format!("{API}/containers/{id}/attach?stream=true&stdin=true&stdout=true&stderr=true"), json!({}))
    }
}

impl Interactive for Rest {
    /// Podman's exec is always a session.
    fn exec_true(&mut self, id: &str) {
        self.exec_session_true(id);
    }
    /// What `podman --remote exec` asks of the service.
    fn exec_session_true(&mut self, id: &str) {
        let spec = json!({ "Cmd": ["/bin/true"], "AttachStdout": true, "AttachStderr": true });
        let exec_id =
            self.call("POST", &format!("{API}/containers/{id}/exec"), Some(spec))["Id"].as_str().unwrap().to_string();
        let mut stream = self.hijack(&format!("{API}/exec/{exec_id}/start"), json!({ "Detach": false, "Tty": false }));
        stream.read_to_end(&mut Vec::new()).unwrap();
        let inspected = self.call("GET", &format!("{API}/exec/{exec_id}/json"), None);
        assert_eq!(inspected["ExitCode"], 0, "{inspected}");
    }
    /// What `podman --remote run -it` asks: create, attach, start.
    fn tty_first_byte(&mut self) -> (String, Duration) {
        let start = std::time::Instant::now();
        let id = self.create_tty("echo ready");
        let mut stream = self.attach_stream(&id);
        Engine::start(self, &id);
        stream.read_exact(&mut [0u8]).unwrap();
        (id, start.elapsed())
    }
    fn attach(&mut self, id: &str) -> Box<dyn ReadWrite> {
        Box::new(self.attach_stream(id))
    }
    fn start_tty(&mut self) -> String {
        let id = self.create_tty(POLITE);
        Engine::start(self, &id);
        id
    }
    fn clean_up(&mut self, id: &str) {
        self.call("DELETE", &format!("{API}/containers/{id}?force=true"), None);
    }
    fn start_waiting(&mut self) -> String {
        let id = self.create_polite(POLITE, Net::None);
        Engine::start(self, &id);
        id
    }
    fn start_checked(&mut self) -> String {
        self.next += 1;
        let id = self.create_with(json!({
            "image": IMAGE, "command": ["/bin/sh", "-c", POLITE], "name": format!("pr{}", self.next),
            "netns": { "nsmode": "none" },
            "healthconfig": { "Test": ["CMD", "/bin/true"], "Interval": 3_600_000_000_000u64, "Retries": 3,
                "Timeout": 30_000_000_000u64 },
        }));
        Engine::start(self, &id);
        id
    }
    /// What `podman --remote healthcheck run` asks.
    fn healthcheck_run(&mut self, id: &str) {
        let r = self.call("GET", &format!("{API}/containers/{id}/healthcheck"), None);
        assert_eq!(r["Status"], "healthy", "{r}");
    }
    /// What `podman --remote stats --no-stream` asks.
    fn stats_sample(&mut self, id: &str) {
        self.call("GET", &format!("{API}/containers/stats?containers={id}&stream=false"), None);
    }
}
