//! A real registry on loopback: Debian's docker-registry (the distribution
//! project) with token authentication, its token service
//! (token_server.py), a push of an OCI layout into it, and a proxy that cuts
//! transfers short.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::image::TestImage;

pub const USER: &str = "berth-tester";
pub const PASSWORD: &str = "s3cret:with-colon";

pub struct TestRegistry {
    pub dir: PathBuf,
    /// host:port of the registry.
    pub host: String,
    registry: Child,
    tokens: Child,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl TestRegistry {
    /// Start the token service and the registry, with their state under `dir`.
    pub fn start(dir: &Path) -> TestRegistry {
        std::fs::create_dir_all(dir).unwrap();
        let (key, cert) = (dir.join("token.key"), dir.join("token.crt"));
        let made = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=berth-test-tokens"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(made.success(), "openssl made no key");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/common/token_server.py");
        let mut tokens = Command::new(super::python())
            .arg(script)
            .args([&key, &cert])
            .args([USER, PASSWORD, "berth-test-issuer"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(tokens.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let token_port: u16 = line.trim().parse().expect("the token service printed its port");
        let port = free_port();
        let config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {data}\n  \
             delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\nauth:\n  token:\n    \
             realm: http://127.0.0.1:{token_port}/token\n    service: berth-test-registry\n    \
             issuer: berth-test-issuer\n    rootcertbundle: {cert}\n",
            data = dir.join("data").display(),
            cert = cert.display()
        );
        std::fs::write(dir.join("config.yml"), config).unwrap();
        let registry = Command::new("docker-registry")
            .arg("serve")
            .arg(dir.join("config.yml"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("registry.log")).unwrap())
            .spawn()
            .expect("docker-registry is installed");
        let host = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(&host).is_err() {
            assert!(
                Instant::now() < deadline,
                "the registry did not start: {:?}",
                std::fs::read_to_string(dir.join("registry.log"))
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        TestRegistry { dir: dir.to_path_buf(), host, registry, tokens }
    }

    /// Where the registry keeps a blob.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = &digest[7..];
        self.dir.join("data/docker/registry/v2/blobs/sha256").join(&hex[..2]).join(hex).join("data")
    }

    /// A token for `repository` from the token service, with the tester's
    /// credentials, by the challenge the registry gives.
    fn token(&self, agent: &ureq::Agent, repository: &str) -> String {
        let r = agent.get(format!("http://{}/v2/", self.host)).call().unwrap();
        let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_string();
        let (_, params) = berth::storage::registry::parse_challenge(&challenge);
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
        let mut r = agent
            .get(&params["realm"])
            .query("service", &params["service"])
            .query("scope", format!("repository:{repository}:pull,push"))
            .header("Authorization", format!("Basic {basic}"))
            .call()
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&r.body_mut().read_to_vec().unwrap()).unwrap();
        format!("Bearer {}", body["token"].as_str().unwrap())
    }

    /// Push the image of an OCI layout as `repository:tag`.
    pub fn push(&self, layout: &Path, repository: &str, tag: &str) {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let auth = self.token(&agent, repository);
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
        let blob = |digest: &str| std::fs::read(layout.join("blobs/sha256").join(&digest[7..])).unwrap();
        let manifest_digest = index["manifests"][0]["digest"].as_str().unwrap();
        let manifest_bytes = blob(manifest_digest);
        let manifest: serde_json::Value = serde_json::from_slice(&manifest_bytes).unwrap();
        let mut digests = vec![manifest["config"]["digest"].as_str().unwrap().to_string()];
        digests
            .extend(manifest["layers"].as_array().unwrap().iter().map(|l| l["digest"].as_str().unwrap().to_string()));
        for digest in digests {
            let r = agent
                .post(format!("http://{}/v2/{repository}/blobs/uploads/", self.host))
                .header("Authorization", &auth)
                .send_empty()
                .unwrap();
            assert_eq!(r.status(), 202, "upload refused");
            let location = r.headers()["location"].to_str().unwrap().to_string();
            let location = if location.starts_with('/') { format!("http://{}{location}", self.host) } else { location };
            let sep = if location.contains('?') { '&' } else { '?' };
            let r = agent
                .put(format!("{location}{sep}digest={digest}"))
                .header("Authorization", &auth)
                .header("Content-Type", "application/octet-stream")
                .send(&blob(&digest)[..])
                .unwrap();
            assert_eq!(r.status(), 201, "blob {digest} refused");
        }
        self.put_manifest(&agent, &auth, repository, tag, manifest["mediaType"].as_str().unwrap(), &manifest_bytes);
    }

    /// Push an OCI index of images pushed before, each with its platform
    /// (linux/ARCH), as `repository:tag`; its digest.
    pub fn push_index(&self, repository: &str, tag: &str, instances: &[(&TestImage, &str)]) -> String {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let auth = self.token(&agent, repository);
        let manifests: Vec<serde_json::Value> = instances
            .iter()
            .map(|(image, arch)| {
                serde_json::json!({ "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": image.manifest.0, "size": image.manifest.1,
                    "platform": { "os": "linux", "architecture": arch } })
            })
            .collect();
        let media_type = "application/vnd.oci.image.index.v1+json";
        let index = serde_json::json!({ "schemaVersion": 2, "mediaType": media_type, "manifests": manifests });
        let bytes = index.to_string().into_bytes();
        self.put_manifest(&agent, &auth, repository, tag, media_type, &bytes);
        use sha2::Digest;
        format!("sha256:{:x}", sha2::Sha256::digest(&bytes))
    }

    fn put_manifest(&self, agent: &ureq::Agent, auth: &str, repository: &str, tag: &str, kind: &str, bytes: &[u8]) {
        let r = agent
            .put(format!("http://{}/v2/{repository}/manifests/{tag}", self.host))
            .header("Authorization", auth)
            .header("Content-Type", kind)
            .send(bytes)
            .unwrap();
        assert_eq!(r.status(), 201, "manifest refused");
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.registry.kill();
        let _ = self.tokens.kill();
        let _ = self.registry.wait();
        let _ = self.tokens.wait();
    }
}

/// A TCP proxy to `upstream` that closes each connection once `limit` bytes
/// of answers have passed: a transfer cut off mid-way. Returns its host:port.
pub fn cutting_proxy(upstream: String, limit: usize) -> String {
    proxy(upstream, limit, Duration::ZERO)
}

/// A TCP proxy to `upstream` that passes answers 16 KiB at a time, `pause`
/// apart: a slow registry. Returns its host:port.
pub fn slow_proxy(upstream: String, pause: Duration) -> String {
    proxy(upstream, usize::MAX, pause)
}

fn proxy(upstream: String, limit: usize, pause: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(&upstream) else { continue };
            let (mut to_server, mut from_server) = (server.try_clone().unwrap(), server);
            let mut from_client = client.try_clone().unwrap();
            let mut to_client = client;
            std::thread::spawn(move || std::io::copy(&mut from_client, &mut to_server));
            std::thread::spawn(move || {
                let mut buf = [0u8; 16 << 10];
                let mut passed = 0;
                while passed < limit {
                    let n = match from_server.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n.min(limit - passed),
                    };
                    if to_client.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    passed += n;
                    std::thread::sleep(pause);
                }
                let _ = to_client.shutdown(std::net::Shutdown::Both);
                let _ = from_server.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    address
}
