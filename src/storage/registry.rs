//! Pulling from an OCI registry over the distribution API: resolve the
//! reference to a manifest (an index picks this machine's platform), fetch
//! the configuration and every layer blob that is not stored yet, each
//! checked against its digest as it streams to a scratch file. The caller
//! unpacks and records them. Authentication follows the registry's
//! challenge: a bearer token from its token service (anonymous or with
//! credentials), or basic credentials.

use super::error::{Result, StorageError};
use super::source::{self, parse_document};
use super::{digest_hex, digest_of, Hashing};
use crate::model::image::{Platform, PullProgress};
use base64::Engine;
use oci_spec::image::{Descriptor, ImageIndex, ImageManifest, MediaType};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_API: &str = "registry-1.docker.io";

const MANIFEST_TYPES: &str = "application/vnd.oci.image.index.v1+json, \
    application/vnd.oci.image.manifest.v1+json, \
    application/vnd.docker.distribution.manifest.list.v2+json, \
    application/vnd.docker.distribution.manifest.v2+json";

/// The most a manifest or configuration may weigh.
const DOCUMENT_LIMIT: u64 = 8 << 20;

pub use oci_spec::distribution::Reference;

/// Parse an image reference as docker does: `busybox` is
/// `docker.io/library/busybox:latest`. Only sha256 digests: the store
/// keeps nothing else.
pub fn parse_reference(s: &str) -> Result<Reference> {
    let invalid = |why: String| StorageError::InvalidReference { name: s.to_string(), reason: why };
    let reference = Reference::try_from(s).map_err(|e| invalid(format!("not an image reference: {e}")))?;
    if let Some(d) = reference.digest() {
        digest_hex(d).map_err(|_| invalid("the digest is not sha256:<64 hex digits>".into()))?;
    }
    Ok(reference)
}

/// The name an image is stored under, as Podman shows it:
/// `docker.io/library/busybox:latest`, or `host/repo@sha256:...`.
pub fn stored_name(r: &Reference) -> String {
    match (r.tag(), r.digest()) {
        (_, Some(d)) => format!("{}/{}@{d}", r.registry(), r.repository()),
        (Some(t), None) => format!("{}/{}:{t}", r.registry(), r.repository()),
        (None, None) => format!("{}/{}", r.registry(), r.repository()),
    }
}

/// Where the distribution API of the reference's registry answers.
fn api_host(r: &Reference) -> &str {
    if r.registry() == DOCKER_HUB {
        DOCKER_HUB_API
    } else {
        r.registry()
    }
}

/// What the manifest is fetched by: the digest when given, else the tag.
fn manifest_ref(r: &Reference) -> &str {
    r.digest().or(r.tag()).unwrap_or("latest")
}

/// What was fetched: the configuration and the layer blobs still to unpack
/// (None where the layer is stored already), in the image's order.
pub struct Fetched {
    pub config: Vec<u8>,
    pub config_digest: String,
    pub layers: Vec<(Descriptor, Option<PathBuf>)>,
    /// The digest of the manifest or index the reference named.
    pub digest: String,
}

/// A connection to one registry for one repository.
pub struct Registry {
    agent: ureq::Agent,
    /// `https://host` or, when TLS verification is off and the registry does
    /// not speak TLS, `http://host`.
    base: String,
    repository: String,
    credentials: Option<(String, String)>,
    /// The Authorization header that the last challenge asked for.
    authorization: Option<String>,
}

impl Registry {
    /// Connect and pick the scheme: HTTPS, verified unless `tls_verify` is
    /// false; then (as Podman's --tls-verify=false) plain HTTP is tried when
    /// the registry does not speak TLS.
    pub fn connect(reference: &Reference, credentials: Option<(String, String)>, tls_verify: bool) -> Result<Self> {
        let tls = ureq::tls::TlsConfig::builder().disable_verification(!tls_verify).build();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .tls_config(tls)
            .user_agent(concat!("berth/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let host = api_host(reference);
        let mut registry = Registry {
            agent,
            base: format!("https://{host}"),
            repository: reference.repository().to_string(),
            credentials,
            authorization: None,
        };
        // The version check: any HTTP answer (401 included) says the scheme works.
        if let Err(e) = registry.agent.get(format!("{}/v2/", registry.base)).call() {
            if tls_verify {
                return Err(unreachable(host, e));
            }
            registry.base = format!("http://{host}");
            registry.agent.get(format!("{}/v2/", registry.base)).call().map_err(|e| unreachable(host, e))?;
        }
        Ok(registry)
    }

    fn host(&self) -> &str {
        self.base.split_once("://").map_or(&self.base, |(_, h)| h)
    }

    /// GET a path of the repository, answering one authentication challenge.
    fn get(&mut self, path: &str, accept: Option<&str>) -> Result<ureq::http::Response<ureq::Body>> {
        let url = format!("{}/v2/{}/{path}", self.base, self.repository);
        for challenged in [false, true] {
            let mut request = self.agent.get(&url);
            if let Some(a) = accept {
                request = request.header("Accept", a);
            }
            if let Some(auth) = &self.authorization {
                request = request.header("Authorization", auth);
            }
            let response = request.call().map_err(|e| unreachable(self.host(), e))?;
            if response.status() == 401 && !challenged {
                let challenge = header(&response, "www-authenticate").unwrap_or_default();
                self.authorization = Some(self.answer_challenge(&challenge)?);
                continue;
            }
            return Ok(response);
        }
        unreachable!("the loop returns on its second pass")
    }

    /// The Authorization header value for a `WWW-Authenticate` challenge.
    fn answer_challenge(&self, challenge: &str) -> Result<String> {
        let (scheme, params) = parse_challenge(challenge);
        let basic = self.credentials.as_ref().map(|(user, password)| {
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
        });
        match scheme.to_ascii_lowercase().as_str() {
            "basic" => basic.ok_or_else(|| {
                StorageError::Denied(format!("registry {} asks for credentials and none were given", self.host()))
            }),
            "bearer" => {
                let realm = params.get("realm").ok_or_else(|| {
                    StorageError::Registry(format!("registry {}: a bearer challenge without a realm", self.host()))
                })?;
                let scope =
                    params.get("scope").cloned().unwrap_or_else(|| format!("repository:{}:pull", self.repository));
                let mut request = self.agent.get(realm).query("scope", &scope);
                if let Some(service) = params.get("service") {
                    request = request.query("service", service);
                }
                if let Some(b) = &basic {
                    request = request.header("Authorization", b);
                }
                let mut response = request.call().map_err(|e| unreachable(realm, e))?;
                if response.status() != 200 {
                    return Err(StorageError::Denied(format!(
                        "the token service {realm} refused {scope}: {}",
                        reason(&mut response)
                    )));
                }
                let body: serde_json::Value = read_json(&mut response, realm)?;
                let token = body["token"].as_str().or(body["access_token"].as_str()).ok_or_else(|| {
                    StorageError::Registry(format!("the token service {realm} answered without a token"))
                })?;
                Ok(format!("Bearer {token}"))
            }
            _ => Err(StorageError::Registry(format!(
                "registry {} asks for authentication berth does not know: {challenge:?}",
                self.host()
            ))),
        }
    }

    /// A manifest or index by tag or digest, with its media type.
    fn manifest_bytes(&mut self, reference: &str, name: &str) -> Result<(Vec<u8>, String)> {
        let mut response = self.get(&format!("manifests/{reference}"), Some(MANIFEST_TYPES))?;
        match response.status().as_u16() {
            200 => {}
            404 => return Err(StorageError::NoSuchImage(name.to_string())),
            401 | 403 => {
                return Err(StorageError::Denied(format!(
                    "registry {} refused {name}: {}",
                    self.host(),
                    reason(&mut response)
                )))
            }
            _ => {
                return Err(StorageError::Registry(format!(
                    "registry {}: {name}: {}",
                    self.host(),
                    reason(&mut response)
                )))
            }
        }
        let media_type = header(&response, "content-type").unwrap_or_default();
        let bytes = read_document(&mut response, &format!("registry {}: reading the manifest of {name}", self.host()))?;
        if reference.starts_with("sha256:") && digest_of(&bytes) != reference {
            return Err(StorageError::Invalid(format!(
                "registry {}: the manifest of {name} has digest {}, not {reference}",
                self.host(),
                digest_of(&bytes)
            )));
        }
        Ok((bytes, media_type))
    }

    /// The image manifest for `reference`, through an index when there is
    /// one (its instance for `platform`), and the digest of what the
    /// reference named (the index, when it is one).
    fn manifest(&mut self, reference: &Reference, platform: &Platform) -> Result<(ImageManifest, String)> {
        let name = stored_name(reference);
        let (mut bytes, mut media_type) = self.manifest_bytes(manifest_ref(reference), &name)?;
        let digest = digest_of(&bytes);
        let what = format!("the manifest of {name}");
        if source::is_index(&MediaType::from(media_type.split(';').next().unwrap_or_default().trim())) {
            let index: ImageIndex = parse_document(&bytes, &what)?;
            let pick = source::pick_platform(&index, platform)?;
            (bytes, media_type) = self.manifest_bytes(pick.digest().as_ref(), &name)?;
        }
        if media_type.starts_with("application/vnd.docker.distribution.manifest.v1") {
            return Err(StorageError::Invalid(format!("{name} has a schema 1 manifest, which berth does not read")));
        }
        Ok((parse_document(&bytes, &what)?, digest))
    }

    /// Stream a blob to `dest`, checking its digest (and size, when the
    /// descriptor has one); `progress` hears of every few hundred KiB.
    fn blob_to_file(&mut self, desc: &Descriptor, dest: &Path, progress: &mut dyn FnMut(PullProgress)) -> Result<()> {
        let digest = desc.digest().to_string();
        let fail = |what: String| StorageError::Invalid(format!("blob {digest}: {what}"));
        digest_hex(&digest)?;
        let mut response = self.get(&format!("blobs/{digest}"), None)?;
        if response.status() != 200 {
            return Err(fail(format!("registry {}: {}", self.host(), reason(&mut response))));
        }
        let total = if desc.size() > 0 { desc.size() } else { content_length(&response).unwrap_or(0) };
        let file = std::fs::File::create(dest).map_err(|e| StorageError::file(dest, e))?;
        let mut out = std::io::BufWriter::new(file);
        let mut body = Hashing::new(response.body_mut().with_config().limit(total.max(1) + 1).reader());
        let mut buf = vec![0u8; 64 << 10];
        let mut reported = 0;
        loop {
            let n = body
                .read(&mut buf)
                .map_err(|e| fail(format!("download interrupted after {} bytes: {e}", body.bytes)))?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n]).map_err(|e| StorageError::file(dest, e))?;
            if body.bytes - reported >= 512 << 10 {
                reported = body.bytes;
                progress(PullProgress::of("downloading", Some(&digest), body.bytes, total));
            }
        }
        out.flush().map_err(|e| StorageError::file(dest, e))?;
        let bytes = body.bytes;
        let (got, _) = body.digest();
        if desc.size() > 0 && bytes != desc.size() {
            return Err(fail(format!("{bytes} bytes arrived, the manifest says {}", desc.size())));
        }
        if got != digest {
            return Err(fail(format!("the bytes that arrived have digest {got}")));
        }
        progress(PullProgress::of("downloading", Some(&digest), bytes, total));
        Ok(())
    }

    /// Fetch what `reference` needs into `scratch`: the configuration and
    /// the blobs of every layer `have_layer` does not know.
    pub fn fetch(
        &mut self,
        reference: &Reference,
        platform: &Platform,
        scratch: &Path,
        have_layer: &dyn Fn(&str) -> bool,
        progress: &mut dyn FnMut(PullProgress),
    ) -> Result<Fetched> {
        progress(PullProgress::of("resolving", None, 0, 0));
        let (manifest, digest) = self.manifest(reference, platform)?;
        let config_path = scratch.join("config.json");
        self.blob_to_file(manifest.config(), &config_path, &mut |_| {})?;
        let config = std::fs::read(&config_path).map_err(|e| StorageError::file(config_path, e))?;
        let name = stored_name(reference);
        let diff_ids = source::image_config(&config, &format!("the configuration of {name}"))?.rootfs.diff_ids;
        if diff_ids.len() != manifest.layers().len() {
            return Err(StorageError::Invalid(format!(
                "{name}: the manifest lists {} layers, the configuration {}",
                manifest.layers().len(),
                diff_ids.len()
            )));
        }
        let mut layers = Vec::with_capacity(manifest.layers().len());
        for (desc, diff_id) in manifest.layers().iter().zip(&diff_ids) {
            let digest = desc.digest().to_string();
            if have_layer(diff_id) {
                progress(PullProgress::of("exists", Some(&digest), desc.size(), desc.size()));
                layers.push((desc.clone(), None));
                continue;
            }
            let path = scratch.join(digest_hex(&digest)?);
            self.blob_to_file(desc, &path, progress)?;
            layers.push((desc.clone(), Some(path)));
        }
        Ok(Fetched { config, config_digest: manifest.config().digest().to_string(), layers, digest })
    }
}

fn unreachable(host: &str, e: ureq::Error) -> StorageError {
    StorageError::Unreachable { host: host.to_string(), source: Box::new(e) }
}

fn header(response: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

fn content_length(response: &ureq::http::Response<ureq::Body>) -> Option<u64> {
    header(response, "content-length")?.parse().ok()
}

/// A manifest or token document, up to DOCUMENT_LIMIT bytes.
fn read_document(response: &mut ureq::http::Response<ureq::Body>, from: &str) -> Result<Vec<u8>> {
    response
        .body_mut()
        .with_config()
        .limit(DOCUMENT_LIMIT)
        .read_to_vec()
        .map_err(|e| StorageError::Invalid(format!("{from}: {e}")))
}

fn read_json(response: &mut ureq::http::Response<ureq::Body>, from: &str) -> Result<serde_json::Value> {
    let bytes = read_document(response, from)?;
    serde_json::from_slice(&bytes).map_err(|e| StorageError::Invalid(format!("{from}: not JSON: {e}")))
}

/// The status and, when the body is the distribution API's error document,
/// its first code and message.
fn reason(response: &mut ureq::http::Response<ureq::Body>) -> String {
    let status = response.status();
    let body = response.body_mut().with_config().limit(64 << 10).read_to_vec().unwrap_or_default();
    let detail = serde_json::from_slice::<serde_json::Value>(&body).ok().and_then(|v| {
        let e = &v["errors"][0];
        Some(format!("{}: {}", e["code"].as_str()?, e["message"].as_str().unwrap_or_default()))
    });
    match detail {
        Some(d) => format!("{status} ({d})"),
        None => status.to_string(),
    }
}

/// `Bearer realm="https://auth/token",service="reg",scope="repository:a:pull"`
/// -> ("Bearer", {realm, service, scope}); quoted values may hold commas.
pub fn parse_challenge(challenge: &str) -> (String, HashMap<String, String>) {
    let challenge = challenge.trim();
    let (scheme, mut rest) = challenge.split_once(' ').unwrap_or((challenge, ""));
    let mut params = HashMap::new();
    loop {
        rest = rest.trim_start_matches([' ', ',']);
        let Some((key, after)) = rest.split_once('=') else { break };
        let (value, tail) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"').unwrap_or(quoted.len());
                (&quoted[..end], quoted.get(end + 1..).unwrap_or(""))
            }
            None => after.split_at(after.find(',').unwrap_or(after.len())),
        };
        params.insert(key.trim().to_ascii_lowercase(), value.to_string());
        rest = tail;
    }
    (scheme.to_string(), params)
}

/// `user:password` for `host` from a containers-auth.json file (the file
/// `podman login` writes), if it has an entry.
pub fn stored_credentials(auth_file: &Path, host: &str) -> Option<(String, String)> {
    let text = std::fs::read(auth_file).ok()?;
    let doc: serde_json::Value = serde_json::from_slice(&text).ok()?;
    let entry = doc["auths"].get(host).or_else(|| doc["auths"].get(format!("https://{host}")))?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(entry["auth"].as_str()?).ok()?;
    split_credentials(std::str::from_utf8(&decoded).ok()?)
}

/// `user:password` split at its first colon.
pub fn split_credentials(s: &str) -> Option<(String, String)> {
    s.split_once(':').map(|(u, p)| (u.to_string(), p.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_as_docker_does() {
        let parts = |r: &Reference| (r.registry().to_string(), r.repository().to_string(), r.tag().map(str::to_string));
        let r = parse_reference("busybox").unwrap();
        assert_eq!(parts(&r), ("docker.io".into(), "library/busybox".into(), Some("latest".into())));
        assert_eq!(stored_name(&r), "docker.io/library/busybox:latest");
        assert_eq!(api_host(&r), "registry-1.docker.io");
        let r = parse_reference("localhost:5000/team/app:v1.2").unwrap();
        assert_eq!(parts(&r), ("localhost:5000".into(), "team/app".into(), Some("v1.2".into())));
        assert_eq!(api_host(&r), "localhost:5000");
        let d = format!("sha256:{}", "a".repeat(64));
        let r = parse_reference(&format!("quay.io/x/y@{d}")).unwrap();
        assert_eq!((r.tag(), r.digest(), manifest_ref(&r)), (None, Some(d.as_str()), d.as_str()));
        assert_eq!(stored_name(&r), format!("quay.io/x/y@{d}"));
        assert_eq!(stored_name(&parse_reference("user/app").unwrap()), "docker.io/user/app:latest");
        let sha512 = format!("x@sha512:{}", "a".repeat(128));
        for bad in ["Busybox", "a//b", "x:", "x:-bad", "x@sha256:12", "/x", "x/", sha512.as_str()] {
            assert!(matches!(parse_reference(bad), Err(StorageError::InvalidReference { .. })), "{bad}");
        }
    }

    #[test]
    fn challenges_keep_quoted_commas() {
        let (scheme, p) = parse_challenge(
            r#"Bearer realm="http://127.0.0.1:1/token",service="reg",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(scheme, "Bearer");
        assert_eq!(p["realm"], "http://127.0.0.1:1/token");
        assert_eq!(p["service"], "reg");
        assert_eq!(p["scope"], "repository:a/b:pull,push");
        let (scheme, p) = parse_challenge(r#"Basic realm="basic-realm""#);
        assert_eq!((scheme.as_str(), p["realm"].as_str()), ("Basic", "basic-realm"));
    }

    #[test]
    fn auth_file_entries_are_found_by_host() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("auth.json");
        std::fs::write(&file, r#"{"auths":{"localhost:5000":{"auth":"dXNlcjpwYTpzcw=="}}}"#).unwrap();
        assert_eq!(stored_credentials(&file, "localhost:5000"), Some(("user".into(), "pa:ss".into())));
        assert_eq!(stored_credentials(&file, "quay.io"), None);
    }
}
