//! An ordinary user's containers: berth's rootless berthd, started as the
//! user (in the user's namespace on their subordinate IDs), beside
//! rootless Podman for the same user, each through its CLI run as that
//! user (berthctl to the user's socket, podman). The same busybox image on
//! both (Podman's import, saved as an OCI layout that berth imports), no
//! network on either, and no cgroups on either: this machine has no user
//! manager to delegate one, so berth and Podman both run rootless without
//! (Podman's cgroupfs fallback, runc told it is rootless). One shell as
//! the user runs every sample, the engines taking turns: create of a shell
//! that exits on SIGTERM, its start (its stop and removal untimed), and a
//! run of /bin/true to its exit with --rm; the first round is not timed.

use super::{median, POLITE, STATE};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The user the bench makes (useradd gives it subordinate IDs).
const USER: &str = "berth-bench";
const IMAGE: &str = "localhost/busybox:latest";

/// Medians per operation: berth's, Podman's.
pub struct Rootless {
    pub create: (Duration, Duration),
    pub start: (Duration, Duration),
    pub run: (Duration, Duration),
}

/// Run `script` as the user, in `dir` (their runtime directory too).
fn as_user(dir: &Path, script: &str) -> String {
    let out = Command::new("runuser")
        .args(["-u", USER, "--", "env"])
        .arg(format!("XDG_RUNTIME_DIR={}", dir.join("run").display()))
        .arg(format!("BERTH_ADDRESS=unix:{}", dir.join("run/berth/io.berth").display()))
        .args(["sh", "-c", script])
        .current_dir(dir)
        .stderr(Stdio::inherit())
        .output()
        .expect("runuser");
    assert!(out.status.success(), "as {USER}: {script}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The user's own state, gone: their berth's and Podman's (root may remove
/// files of their subordinate IDs), and any process left.
fn reset() {
    let _ = Command::new("pkill").args(["-KILL", "-u", USER]).status();
    std::thread::sleep(Duration::from_millis(200));
    let home = PathBuf::from("/home").join(USER);
    for dir in [".local/share/berth", ".local/share/containers", ".config/containers"] {
        let _ = std::fs::remove_dir_all(home.join(dir));
    }
}

/// `rootfs`: the bench's busybox root file system, which Podman imports.
pub fn measure(reps: usize, rootfs: &Path) -> Rootless {
    let exists = Command::new("id").arg(USER).stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    if !exists {
        assert!(Command::new("useradd").args(["--create-home", USER]).status().unwrap().success());
    }
    reset();
    // Where the user may write: the binaries (target/ is root's), the
    // image, and the runtime directory.
    let dir = Path::new(STATE).join("rootless");
    std::fs::create_dir_all(dir.join("run")).unwrap();
    for bin in [env!("CARGO_BIN_EXE_berthd"), env!("CARGO_BIN_EXE_berthctl")] {
        std::fs::copy(bin, dir.join(Path::new(bin).file_name().unwrap())).unwrap();
    }
    let tar = Command::new("tar").arg("-C").arg(rootfs).arg("-cf").arg(dir.join("busybox.tar")).arg(".").status();
    assert!(tar.unwrap().success());
    let chown = Command::new("chown").args(["-R", &format!("{USER}:")]).arg(&dir).status().unwrap();
    assert!(chown.success());
    let image = dir.join("image");
    as_user(
        &dir,
        &format!("podman import -q busybox.tar {IMAGE} >/dev/null && podman save -q --format oci-dir -o image {IMAGE}"),
    );
    let mut berthd = Command::new("runuser")
        .args(["-u", USER, "--", "env"])
        .arg(format!("XDG_RUNTIME_DIR={}", dir.join("run").display()))
        .arg(dir.join("berthd"))
        .args(["--dbus", "none", "--idle-timeout", "0"])
        .current_dir(&dir)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    while !dir.join("run/berth/io.berth").exists() {
        std::thread::sleep(Duration::from_millis(5));
    }
    as_user(&dir, &format!("./berthctl image import {} {IMAGE} >/dev/null", image.display()));

    let engines = [("berth", "./berthctl"), ("podman", "podman")];
    let polite = POLITE.replace('\'', "'\\''");
    let mut script = format!("for i in $(seq 0 {reps}); do\n");
    for (name, cli) in engines {
        script.push_str(&format!(
            "t0=$(date +%s%N); id=$({cli} create --network none {IMAGE} sh -c '{polite}'); t1=$(date +%s%N)\n\
             {cli} start $id >/dev/null; t2=$(date +%s%N)\n\
             {cli} rm --force --time 0 $id >/dev/null\n\
             t3=$(date +%s%N); {cli} run --rm --network none {IMAGE} true; t4=$(date +%s%N)\n\
             [ $i -gt 0 ] && echo {name} $((t1 - t0)) $((t2 - t1)) $((t4 - t3))\n"
        ));
    }
    script.push_str("done\n");
    let out = as_user(&dir, &script);
    let left = as_user(&dir, "./berthctl ps -a -q; podman ps -a -q");
    assert_eq!(left.trim(), "", "containers left behind");
    let _ = berthd.kill();
    let _ = berthd.wait();
    reset();
    let _ = std::fs::remove_dir_all(&dir);

    let column = |engine: &str, k: usize| {
        let samples: Vec<Duration> = out
            .lines()
            .filter_map(|l| l.strip_prefix(engine)?.split_whitespace().nth(k)?.parse().ok())
            .map(Duration::from_nanos)
            .collect();
        assert_eq!(samples.len(), reps, "{engine}: {out}");
        median(samples)
    };
    let pair = |k: usize| (column("berth ", k), column("podman ", k));
    Rootless { create: pair(0), start: pair(1), run: pair(2) }
}
