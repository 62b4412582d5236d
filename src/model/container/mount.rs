//! Mounts that are not named volumes: a host directory bound in (podman's
//! `-v /host:/ctr` and `--mount type=bind`), a tmpfs (`--tmpfs` and
//! `--mount type=tmpfs`) and an image's files (`--mount type=image`,
//! read-only unless rw=true, then with a layer of the run's own). The runtime makes them in the container's mount
//! namespace, so nothing of them is left on the host when it goes. Their
//! options are checked here the way podman's specgen checks them, and
//! stored in one form: what the OCI runtime is given.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MountKind {
    Bind,
    Tmpfs,
    Image,
}

impl MountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MountKind::Bind => "bind",
            MountKind::Tmpfs => "tmpfs",
            MountKind::Image => "image",
        }
    }
}

/// A mount as create takes it and the configuration keeps it; `options`
/// are the runtime's once checked (`mount`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostMount {
    pub kind: MountKind,
    /// The host directory or file (bind), or the image as named (image);
    /// none for a tmpfs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub destination: String,
    pub options: Vec<String>,
    /// An image mount's image, resolved at create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// podman's U (bind) and chown (tmpfs): owned by the container's user.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub chown: bool,
}

impl HostMount {
    pub fn read_only(&self) -> bool {
        self.options.iter().any(|o| o == "ro")
    }

    /// A bind mounted as an overlay (podman's `:O`): the host directory is
    /// the lower layer, and what the container writes goes to an upper
    /// directory (given, or one of the run's own, forgotten at its end).
    pub fn overlay(&self) -> Option<super::VolumeOverlay<'_>> {
        match self.kind {
            MountKind::Bind => super::volume_overlay(&self.options).ok().flatten(),
            // A writable image mount: a layer of the run's own over it.
            MountKind::Image if !self.read_only() => Some(super::VolumeOverlay { upper_and_work: None }),
            MountKind::Tmpfs | MountKind::Image => None,
        }
    }
}

const PROPAGATIONS: &[&str] = &["shared", "rshared", "slave", "rslave", "private", "rprivate"];
/// Flags that go to the runtime as they are.
const FLAGS: &[&str] = &["nosuid", "suid", "nodev", "dev", "noexec", "exec"];
/// Accepted and without effect: SELinux labels (berth applies none) and
/// docker's consistency hints, which podman ignores too.
const IGNORED: &[&str] = &["z", "Z", "cached", "delegated", "consistent"];

fn bad(destination: &str, why: impl std::fmt::Display) -> Error {
    Error::invalid_argument("mounts", format!("{destination}: {why}"))
}

/// An I/O error as podman (Go) prints it: "no such file or directory".
fn os_reason(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).desc().to_lowercase(),
        None => e.to_string(),
    }
}

/// A `key=true|false` option's value.
fn flag_value(destination: &str, option: &str, value: &str) -> Result<bool> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad(destination, format!("{option}: {value:?} is not true or false"))),
    }
}

/// Check a mount asked for (options as podman takes them, from -v,
/// --mount or --tmpfs) and give it in the form the runtime takes: a bind
/// is recursive and private unless said otherwise; a tmpfs is
/// rw,nosuid,nodev and copies up what the image has at its destination
/// (podman's defaults), --tmpfs adding noexec.
pub fn check(m: &HostMount) -> Result<HostMount> {
    let d = m.destination.as_str();
    if !d.starts_with('/') {
        return Err(bad(d, "the destination is not an absolute path"));
    }
    let mut read_only: Option<bool> = None;
    let mut propagation: Option<&str> = None;
    let (mut recursive, mut copy_up) = (true, None::<bool>);
    let mut out: Vec<String> = Vec::new();
    let mut layered: Vec<String> = Vec::new();
    let mut chown = false;
    for option in &m.options {
        let (key, value) = option.split_once('=').map_or((option.as_str(), None), |(k, v)| (k, Some(v)));
        let once = |set: &mut Option<bool>, to: bool| {
            if set.replace(to).is_some() {
                return Err(bad(d, "cannot pass 'readonly', 'ro', or 'rw' mount options more than once"));
            }
            Ok(())
        };
        match (key, value, m.kind) {
            ("ro" | "readonly", None, _) => once(&mut read_only, true)?,
            ("ro" | "readonly", Some(v), _) => once(&mut read_only, flag_value(d, key, v)?)?,
            ("rw", None, _) => once(&mut read_only, false)?,
            ("rw", Some(v), _) => once(&mut read_only, !flag_value(d, key, v)?)?,
            ("readwrite", Some(v), MountKind::Image) => once(&mut read_only, !flag_value(d, key, v)?)?,
            (p, None, MountKind::Bind) if PROPAGATIONS.contains(&p) => {
                if propagation.replace(p).is_some() {
                    return Err(bad(d, "only one mount propagation may be given"));
                }
            }
            ("bind-propagation", Some(p), MountKind::Bind) if PROPAGATIONS.contains(&p) => {
                if propagation.replace(p).is_some() {
                    return Err(bad(d, "only one mount propagation may be given"));
                }
            }
            ("O", None, MountKind::Bind) | ("upperdir" | "workdir", Some(_), MountKind::Bind) => {
                layered.push(option.clone())
            }
            ("U", None, MountKind::Bind) | ("chown", None, MountKind::Tmpfs) => chown = true,
            ("U", Some(v), MountKind::Bind) | ("chown", Some(v), MountKind::Tmpfs) => chown = flag_value(d, key, v)?,
            ("bind", None, MountKind::Bind) => recursive = false,
            ("rbind", None, MountKind::Bind) => recursive = true,
            ("bind-nonrecursive", v, MountKind::Bind) => recursive = !v.map_or(Ok(true), |v| flag_value(d, key, v))?,
            (f, None, _) if FLAGS.contains(&f) => out.push(f.to_string()),
            (i, None, _) if IGNORED.contains(&i) => {}
            ("consistency" | "relabel", Some(_), _) => {}
            ("tmpcopyup" | "notmpcopyup", None, MountKind::Tmpfs) => {
                if copy_up.replace(key == "tmpcopyup").is_some() {
                    return Err(bad(d, "cannot pass 'tmpcopyup' and 'notmpcopyup' mount options more than once"));
                }
            }
            ("size" | "tmpfs-size", Some(size), MountKind::Tmpfs) => {
                let bytes = crate::config::parse_size(size).map_err(|_| bad(d, format!("invalid size {size:?}")))?;
                out.push(format!("size={bytes}"));
            }
            ("mode" | "tmpfs-mode", Some(mode), MountKind::Tmpfs) => {
                u32::from_str_radix(mode, 8).map_err(|_| bad(d, format!("invalid mode {mode:?}: not octal")))?;
                out.push(format!("mode={mode}"));
            }
            _ => return Err(bad(d, format!("invalid option {option:?} for a {} mount", m.kind.as_str()))),
        }
    }
    let mut options = match m.kind {
        MountKind::Bind => {
            let source = m.source.as_deref().filter(|s| s.starts_with('/'));
            let source = source.ok_or_else(|| bad(d, "a bind mount needs an absolute source path"))?;
            if let Err(e) = std::fs::metadata(source) {
                // podman's words for a source that is not there.
                return Err(bad(d, format!("statfs {source}: {}", os_reason(&e))));
            }
            // A user's berthd is root only over what the user's namespace
            // maps: a path the user cannot read would be bound unreadable.
            let readable = nix::unistd::access(source, nix::unistd::AccessFlags::R_OK);
            if crate::rootless::owner().is_some() && readable.is_err() {
                return Err(bad(d, format!("{source}: the user cannot read it (permission denied)")));
            }
            if !layered.is_empty() {
                super::volume_overlay(&layered).map_err(|why| bad(d, why))?;
                return Ok(HostMount { options: layered, ..m.clone() });
            }
            vec![if recursive { "rbind" } else { "bind" }.to_string(), propagation.unwrap_or("rprivate").to_string()]
        }
        MountKind::Image => {
            if m.source.as_deref().is_none_or(str::is_empty) {
                return Err(bad(d, "an image mount needs an image (src=)"));
            }
            Vec::new()
        }
        MountKind::Tmpfs => {
            if m.source.is_some() {
                return Err(bad(d, "a tmpfs mount takes no source"));
            }
            let mut base = vec!["nosuid".to_string(), "nodev".to_string()];
            if copy_up.unwrap_or(true) {
                base.push("tmpcopyup".into());
            }
            base
        }
    };
    for o in out {
        if !options.contains(&o) {
            options.push(o);
        }
    }
    // The last of a pair wins, as mount(8) reads them: drop the other.
    for (on, off) in [("nosuid", "suid"), ("nodev", "dev"), ("noexec", "exec")] {
        let last = options.iter().rposition(|o| o == on || o == off);
        if let Some(last) = last {
            let keep = options[last].clone();
            options.retain(|o| (o != on && o != off) || *o == keep);
        }
    }
    // An image's files are read-only unless asked otherwise.
    options.push(if read_only.unwrap_or(m.kind == MountKind::Image) { "ro" } else { "rw" }.into());
    Ok(HostMount { options, chown, ..m.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bind(options: &[&str]) -> Result<Vec<String>> {
        let m = HostMount {
            kind: MountKind::Bind,
            source: Some("/tmp".into()),
            destination: "/x".into(),
            options: options.iter().map(|o| o.to_string()).collect(),
            image_id: None,
            chown: false,
        };
        check(&m).map(|m| m.options)
    }

    fn tmpfs(options: &[&str]) -> Result<Vec<String>> {
        let m = HostMount {
            kind: MountKind::Tmpfs,
            source: None,
            destination: "/x".into(),
            options: options.iter().map(|o| o.to_string()).collect(),
            image_id: None,
            chown: false,
        };
        check(&m).map(|m| m.options)
    }

    #[test]
    fn podmans_option_rules() {
        assert_eq!(bind(&[]).unwrap(), ["rbind", "rprivate", "rw"]);
        assert_eq!(bind(&["ro", "shared", "z"]).unwrap(), ["rbind", "shared", "ro"]);
        assert_eq!(bind(&["readonly=true"]).unwrap(), ["rbind", "rprivate", "ro"]);
        assert_eq!(bind(&["ro=false", "cached"]).unwrap(), ["rbind", "rprivate", "rw"]);
        assert_eq!(bind(&["nosuid", "suid", "noexec"]).unwrap(), ["rbind", "rprivate", "suid", "noexec", "rw"]);
        assert!(bind(&["ro=true", "rw=false"]).unwrap_err().to_string().contains("more than once"));
        assert!(bind(&["tmpcopyup"]).is_err());
        assert!(bind(&["shared", "slave"]).is_err());
        assert_eq!(tmpfs(&[]).unwrap(), ["nosuid", "nodev", "tmpcopyup", "rw"]);
        assert_eq!(tmpfs(&["notmpcopyup", "size=1m"]).unwrap(), ["nosuid", "nodev", "size=1048576", "rw"]);
        assert!(tmpfs(&["tmpcopyup", "notmpcopyup"]).unwrap_err().to_string().contains("more than once"));
        assert!(tmpfs(&["shared"]).is_err());
    }
}
