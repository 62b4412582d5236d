//! An ordinary user's containers: berth's rootless berthd, started as the
//! user (in the user's namespace on their subordinate IDs), beside
//! rootless Podman for the same user, each through its CLI run as that
//! user (berthctl to the user's socket, podman). The same busybox image on
//! both (Podman's import, saved as an OCI layout that berth imports), no
//! network on either, and no cgroups on either: this machine has no user
//! manager to delegate one, so berth and Podman both run rootless without
//! (Podman's cgroupfs fallback, runc told it is rootless). One shell as
//! the user (bash, whose clock is a variable, not a process) runs every
//! sample, the engines taking turns: create of a shell that exits on
//! SIGTERM, its start (its stop and removal untimed), and a run of /bin/true
//! to its exit with --rm; the first round is not timed. Beside them, the
//! floor both engines stand on: a bare `runc run` of /bin/true inside the
//! user's namespace (berthd's, entered with nsenter, which is not timed).

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
    /// A bare `runc run` of /bin/true in the user's namespace.
    pub floor: Duration,
}

/// Run `script` as the user, in `dir` (their runtime directory too).
fn as_user(dir: &Path, script: &str) -> String {
    let out = Command::new("runuser")
        .args(["-u", USER, "--", "env"])
        .arg(format!("XDG_RUNTIME_DIR={}", dir.join("run").display()))
        .arg(format!("BERTH_ADDRESS=unix:{}", dir.join("run/berth/io.berth").display()))
        .args(["bash", "-c", script])
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

    // The floor's bundle: `runc spec`'s, running /bin/true on the image's
    // files, unpacked by the user.
    let bare = dir.join("bare");
    std::fs::create_dir_all(bare.join("rootfs")).unwrap();
    assert!(Command::new("runc").arg("spec").current_dir(&bare).status().unwrap().success());
    let mut spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bare.join("config.json")).unwrap()).unwrap();
    spec["process"]["terminal"] = false.into();
    spec["process"]["args"] = serde_json::json!(["/bin/true"]);
    std::fs::write(bare.join("config.json"), spec.to_string()).unwrap();
    let chown = Command::new("chown").args(["-R", &format!("{USER}:")]).arg(&bare).status().unwrap();
    assert!(chown.success());
    as_user(&dir, "tar -C bare/rootfs -xf busybox.tar");

    let engines = [("berth", "./berthctl"), ("podman", "podman")];
    let polite = POLITE.replace('\'', "'\\''");
    // Times in microseconds, from bash's clock (no process started for it).
    let mut script = format!(
        "bare=\"runc --root=$PWD/run/bare --rootless=true run --bundle $PWD/bare\"\n\
         for i in $(seq 0 {reps}); do\n"
    );
    for (name, cli) in engines {
        script.push_str(&format!(
            "t0=$EPOCHREALTIME; {cli} create --name {name}$i --network none {IMAGE} sh -c '{polite}' >/dev/null; t1=$EPOCHREALTIME\n\
             {cli} start {name}$i >/dev/null; t2=$EPOCHREALTIME\n\
             {cli} rm --force --time 0 {name}$i >/dev/null\n\
             t3=$EPOCHREALTIME; {cli} run --rm --network none {IMAGE} true; t4=$EPOCHREALTIME\n\
             [ $i -gt 0 ] && echo {name} $((${{t1/./}} - ${{t0/./}})) $((${{t2/./}} - ${{t1/./}})) $((${{t4/./}} - ${{t3/./}}))\n"
        ));
    }
    script.push_str(
        "floor=$(nsenter -t $(cat run/berth/pause.pid) -U -m --preserve-credentials bash -c \"a=\\$EPOCHREALTIME; $bare bare$i; b=\\$EPOCHREALTIME; echo \\$((\\${b/./} - \\${a/./}))\")\n\
         [ $i -gt 0 ] && echo floor $floor\n\
         done\n",
    );
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
            .map(Duration::from_micros)
            .collect();
        assert_eq!(samples.len(), reps, "{engine}: {out}");
        median(samples)
    };
    let pair = |k: usize| (column("berth ", k), column("podman ", k));
    Rootless { create: pair(0), start: pair(1), run: pair(2), floor: column("floor ", 0) }
}
