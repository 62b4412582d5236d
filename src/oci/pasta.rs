//! pasta (passt's namespace mode) for a user's containers, as Podman's
//! rootless networking uses it: it copies the host's addresses and routes
//! into the container's namespace, carries its traffic out through
//! ordinary sockets, and listens on the host's published ports for it.
//! It works as the user, so no host root is needed. It goes into the
//! background once the namespace is set up, and quits when the namespace's
//! file is removed; its PID file lets a teardown stop it first anyway.

use super::error::{OciError, Result};
use crate::model::container::PortMapping;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct Pasta {
    pub binary: PathBuf,
    pub netns: PathBuf,
    pub pid_file: PathBuf,
    pub ports: Vec<PortMapping>,
}

impl Pasta {
    /// Set the namespace up; returns once pasta, in the background, serves it.
    pub fn setup(&self) -> Result<()> {
        let out = Command::new(&self.binary)
            .args(self.args())
            .env_remove("NOTIFY_SOCKET")
            .env_remove("LISTEN_FDS")
            .env_remove("LISTEN_PID")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|source| OciError::Spawn { program: self.binary.display().to_string(), source })?;
        match out.status.success() {
            true => Ok(()),
            false => Err(OciError::Refused {
                runtime: "pasta".into(),
                command: self.args().join(" "),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            }),
        }
    }

    fn args(&self) -> Vec<String> {
        let mut args: Vec<String> = ["--config-net", "--quiet", "--no-map-gw"].map(String::from).into();
        args.extend(["--netns".into(), self.netns.display().to_string()]);
        args.extend(["--pid".into(), self.pid_file.display().to_string()]);
        for (flag, protocol) in [("-t", "tcp"), ("-u", "udp")] {
            let specs: Vec<String> = self.ports.iter().filter(|p| p.protocol == protocol).map(port_spec).collect();
            match specs.is_empty() {
                true => args.extend([flag.to_string(), "none".into()]),
                false => specs.into_iter().for_each(|spec| args.extend([flag.to_string(), spec])),
            }
        }
        // Nothing of the container's own ports is forwarded to the host.
        args.extend(["-T", "none", "-U", "none"].map(String::from));
        args
    }
}

/// pasta's `[ADDRESS/]HOST[-LAST]:CONTAINER[-LAST]`.
fn port_spec(p: &PortMapping) -> String {
    let span = |first: u16| match p.range {
        0 | 1 => first.to_string(),
        n => format!("{first}-{}", first as u32 + n as u32 - 1),
    };
    let address = if p.host_ip.is_empty() { String::new() } else { format!("{}/", p.host_ip) };
    format!("{address}{}:{}", span(p.host_port), span(p.container_port))
}

/// Stop the pasta whose PID file is `pid_file`, if it still runs, and wait
/// (a second at most) until it has closed its ports, so that another
/// container may publish them at once.
pub fn stop(pid_file: &Path) {
    let pid = std::fs::read_to_string(pid_file).ok().and_then(|s| s.trim().parse::<i32>().ok()).filter(|p| *p > 0);
    if let Some(pid) = pid {
        // pasta may run as passt.avx2, the build for the CPU it found.
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let pasta = comm.starts_with("pasta") || comm.starts_with("passt");
        if pasta {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM);
            for _ in 0..100 {
                if !alive(pid) {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
    }
    let _ = std::fs::remove_file(pid_file);
}

/// Running: there, and not a zombie its reaper has yet to collect.
fn alive(pid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.trim_start().chars().next());
    state.is_some_and(|s| s != 'Z' && s != 'X')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(host_ip: &str, host_port: u16, container_port: u16, protocol: &str, range: u16) -> PortMapping {
        PortMapping { host_ip: host_ip.into(), host_port, container_port, protocol: protocol.into(), range }
    }

    #[test]
    fn ports_become_pasta_forwards_by_protocol() {
        let pasta = Pasta {
            binary: "/usr/bin/pasta".into(),
            netns: "/run/ns".into(),
            pid_file: "/run/ns.pid".into(),
            ports: vec![mapping("", 8080, 80, "tcp", 1), mapping("127.0.0.1", 5000, 50, "tcp", 3)],
        };
        let args = pasta.args().join(" ");
        assert!(args.contains("-t 8080:80 -t 127.0.0.1/5000-5002:50-52 -u none -T none -U none"), "{args}");
        assert!(args.starts_with("--config-net --quiet --no-map-gw --netns /run/ns --pid /run/ns.pid"), "{args}");
    }
}
