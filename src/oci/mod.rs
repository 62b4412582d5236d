//! The OCI layer: the runtime spec of a container (`spec`), conmon as its
//! monitor (`conmon`) and the OCI runtime's CLI (`runc`, which also drives crun).
//! This is the only module that spawns conmon or the runtime.

pub mod cgroupfs;
pub mod conmon;
pub mod error;
pub mod netavark;
pub mod pasta;
pub mod runc;
pub mod seccomp;
pub mod spec;

use std::path::{Path, PathBuf};

/// Where the files of one container's run live.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The bundle: config.json, hosts, hostname, resolv.conf, secrets, pid files.
    pub bundle: PathBuf,
    /// conmon's k8s-file log.
    pub log: PathBuf,
    /// The file conmon writes the exit code to.
    pub exit_file: PathBuf,
}

impl Paths {
    pub fn new(container_dir: &Path, exits_dir: &Path, id: &str) -> Paths {
        let bundle = container_dir.join("userdata");
        Paths { log: bundle.join("ctr.log"), exit_file: exits_dir.join(id), bundle }
    }

    pub fn pidfile(&self) -> PathBuf {
        self.bundle.join("pidfile")
    }

    pub fn conmon_pidfile(&self) -> PathBuf {
        self.bundle.join("conmon.pid")
    }
}
