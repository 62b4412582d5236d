//! What no engine can beat on this machine, timed beside berth: a bare
//! `runc run` beside its run to exit, and a bare durable write beside its
//! rename.

use crate::STATE;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

pub struct Floors {
    pub runc: BareRunc,
    pub commit: BareCommit,
}

/// The floors' medians at one catalogue size.
#[derive(Clone, Copy)]
pub struct FloorTimes {
    pub runc: Duration,
    pub commit: Duration,
    /// berth's call that does no work, timed as a write is (after the
    /// machine's dirty data is written back) beside each rename: the round
    /// trip a change meets, from cores that have been idle. On this VM a
    /// thread woken on an idle vCPU costs tens of µs at each end, which
    /// the back-to-back round trip of the table does not meet.
    pub round_trip_as_a_write: Duration,
}

impl Floors {
    pub fn new() -> Floors {
        Floors { runc: BareRunc::new(), commit: BareCommit::new() }
    }
}

/// `runc run` of /bin/true in a bundle made by `runc spec`, no engine at all.
pub struct BareRunc {
    bundle: PathBuf,
    runs: usize,
}

impl BareRunc {
    fn new() -> BareRunc {
        let bundle = Path::new(STATE).join("bare");
        std::fs::create_dir_all(&bundle).unwrap();
        let _ = std::fs::remove_file(bundle.join("config.json"));
        assert!(Command::new("runc").arg("spec").current_dir(&bundle).status().unwrap().success());
        let mut spec: serde_json::Value =
            serde_json::from_slice(&std::fs::read(bundle.join("config.json")).unwrap()).unwrap();
        spec["process"]["terminal"] = false.into();
        spec["process"]["args"] = serde_json::json!(["/bin/true"]);
        spec["root"]["path"] = format!("{STATE}/rootfs").into();
        std::fs::write(bundle.join("config.json"), spec.to_string()).unwrap();
        BareRunc { bundle, runs: 0 }
    }

    pub fn run(&mut self) {
        self.runs += 1;
        let st = Command::new("runc")
            .args(["--root", &format!("{STATE}/bare-state"), "run", "--bundle"])
            .arg(&self.bundle)
            .arg(format!("bare{}", self.runs))
            .stdin(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success());
    }
}

/// The least any change that must survive power loss costs here: one 4 KiB
/// page written in place into a file on berth's file system, and an fsync.
/// (A rename through berth commits three pages of SQLite's WAL, with one
/// fsync.) In place, because a file that grows also commits its new size:
/// the cheapest case, as a floor should be.
pub struct BareCommit {
    file: File,
    commits: u64,
}

const PAGE: u64 = 4096;
const PAGES: u64 = 1000;

impl BareCommit {
    fn new() -> BareCommit {
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(Path::new(STATE).join("bare-commit"))
            .unwrap();
        // Real zeros, not a hole or fallocate's unwritten extents: writes
        // into those also change the file's metadata.
        file.write_all_at(&vec![0; (PAGE * PAGES) as usize], 0).unwrap();
        file.sync_all().unwrap();
        BareCommit { file, commits: 0 }
    }

    pub fn write(&mut self) {
        let at = self.commits % PAGES * PAGE;
        self.file.write_all_at(&[self.commits as u8; PAGE as usize], at).unwrap();
        self.file.sync_all().unwrap();
        self.commits += 1;
    }
}
