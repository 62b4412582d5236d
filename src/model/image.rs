//! The image model: an image as the catalogue holds it, what berth uses of
//! its configuration, and one step of a pull as it is reported. The
//! database, the storage code, the runtime and the transports all speak of
//! images in these types.

use serde::Deserialize;

/// A stored image.
#[derive(Debug, Clone)]
pub struct Image {
    pub id: String,
    pub names: Vec<String>,
    /// Unix nanoseconds of the import.
    pub created: i64,
    pub size: u64,
    pub config: ImageConfig,
    /// The manifest (or index) it was pulled or imported by, `sha256:...`.
    pub digest: Option<String>,
}

/// What berth uses of an image configuration.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq)]
pub struct ImageConfig {
    #[serde(default)]
    pub config: RunConfig,
    pub rootfs: RootFs,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub architecture: Option<String>,
    #[serde(default)]
    pub os: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct RunConfig {
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default)]
    pub cmd: Option<Vec<String>>,
    #[serde(default)]
    pub env: Option<Vec<String>>,
    #[serde(default)]
    pub working_dir: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    /// Where the image wants volumes (a set: each path maps to {}).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<std::collections::BTreeMap<String, serde_json::Value>>,
    /// The ports it serves, `PORT[/PROTOCOL]` (a set), which -P publishes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<std::collections::BTreeMap<String, serde_json::Value>>,
    /// Docker's HEALTHCHECK, which a container made from it without a
    /// check of its own gets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<ImageHealthcheck>,
}

/// A health check as a Docker image configuration carries it: durations
/// in nanoseconds (0 or none: the default).
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct ImageHealthcheck {
    #[serde(default)]
    pub test: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_period: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<i64>,
}

impl ImageHealthcheck {
    /// The check it asks for (None for NONE or no test).
    pub fn to_config(&self) -> crate::error::Result<Option<crate::model::container::health::HealthConfig>> {
        if self.test.is_empty() {
            return Ok(None);
        }
        // Whole seconds, rounded up; 0 is the default.
        let secs = |ns: Option<i64>| ns.filter(|n| *n > 0).map(|n| ((n + 999_999_999) / 1_000_000_000) as u32);
        let retries = self.retries.filter(|r| *r > 0).map(|r| r as u32);
        crate::model::container::health::HealthConfig::from_test(
            &self.test,
            secs(self.interval),
            secs(self.timeout),
            retries,
            secs(self.start_period),
            None,
        )
    }
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq)]
pub struct RootFs {
    #[serde(rename = "type")]
    pub kind: String,
    pub diff_ids: Vec<String>,
}

/// One step of a pull, as streamed to the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct PullProgress {
    /// resolving, downloading, exists (a layer stored already), unpacking, done.
    pub status: &'static str,
    pub digest: Option<String>,
    pub current: u64,
    pub total: u64,
}

impl PullProgress {
    pub fn of(status: &'static str, digest: Option<&str>, current: u64, total: u64) -> Self {
        PullProgress { status, digest: digest.map(str::to_string), current, total }
    }
}

/// Normalize a reference the way it is stored: a tag is added when missing
/// (`busybox` -> `busybox:latest`).
pub fn normalize(reference: &str) -> String {
    let last = reference.rsplit('/').next().unwrap_or(reference);
    if last.contains(':') || last.contains('@') {
        reference.to_string()
    } else {
        format!("{reference}:latest")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn normalize_adds_latest() {
        assert_eq!(super::normalize("busybox"), "busybox:latest");
        assert_eq!(super::normalize("localhost:5000/x"), "localhost:5000/x:latest");
        assert_eq!(super::normalize("a/b:1.0"), "a/b:1.0");
    }
}

/// Which instance of a multi-platform image to take (podman's --platform,
/// --os, --arch, --variant); by default this machine's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub arch: String,
    pub variant: Option<String>,
}

impl Platform {
    /// This machine, in the OCI (Go) names: linux/amd64, linux/arm64...
    pub fn host() -> Platform {
        let arch = oci_spec::image::Arch::default().to_string();
        Platform { os: "linux".into(), arch, variant: None }
    }

    /// `os/arch[/variant]`; an empty part is this machine's.
    pub fn parse(s: &str) -> Result<Platform, String> {
        let parts: Vec<&str> = s.split('/').collect();
        if !(2..=3).contains(&parts.len()) {
            return Err(format!("invalid platform {s:?}: expected os/arch[/variant]"));
        }
        let host = Platform::host();
        let or = |part: &str, default: String| if part.is_empty() { default } else { part.to_string() };
        Ok(Platform {
            os: or(parts[0], host.os),
            arch: or(parts[1], host.arch),
            variant: parts.get(2).filter(|v| !v.is_empty()).map(|v| v.to_string()),
        })
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)?;
        match &self.variant {
            Some(v) => write!(f, "/{v}"),
            None => Ok(()),
        }
    }
}
