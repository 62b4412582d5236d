//! The time from `systemctl start` of a unit to its container running, in
//! a booted systemd (the tests' sandbox, with the freshly built binaries
//! and units installed): berth's unit as berth-generator makes it from a
//! `.container` file, beside Podman's as `podman generate systemd --new`
//! makes it for the same container (Debian 12's Podman 4.3 predates
//! Quadlet). Both say READY once the container runs (--sdnotify=conmon),
//! which is when `systemctl start` returns. Both run the same busybox
//! root file system with no network; each sample is stopped (which
//! removes the container) before the other engine's, and both engines'
//! first start, which activates berthd and fills caches, is not timed.

#[path = "../../tests/common/sandbox.rs"]
#[allow(dead_code)]
mod sandbox;

use sandbox::{Mode, Sandbox};
use std::time::Duration;

/// The container both units run: a shell that exits on SIGTERM.
const SCRIPT: &str = "trap 'exit 0' TERM; while :; do sleep 0.1; done";
/// Podman's store, on the real file system bound into the sandbox (an
/// overlay store cannot sit on the sandbox's overlay root).
const PODMAN: &str = "podman --root /var/lib/berth/podman --runroot /run/podman-bench";

pub struct UnitStarts {
    pub berth: Duration,
    pub podman: Option<Duration>,
}

pub fn measure(reps: usize, with_podman: bool) -> UnitStarts {
    let s = Sandbox::boot("bench-units", Mode::Unified);
    let rootfs = s.busybox_rootfs();
    let exec = SCRIPT.replace('\'', "'\\''");
    s.ok(&format!(
        "mkdir -p /etc/berth/systemd && printf '[Container]\\nRootfs={rootfs}\\nNetwork=none\\n\
         Exec=/bin/sh -c \"{exec}\"\\n' > /etc/berth/systemd/bench.container"
    ));
    let mut units = vec!["bench.service"];
    if with_podman {
        s.ok(&format!(
            "{PODMAN} create -q --name bench --network none --pids-limit 0 --rootfs {rootfs} /bin/sh -c '{exec}' \
             && {PODMAN} generate systemd --new --name bench > /etc/systemd/system/podman-bench.service \
             && {PODMAN} rm bench"
        ));
        units.push("podman-bench.service");
    }
    s.ok("systemctl daemon-reload");
    // Each engine's start in turn, its stop after: nanoseconds per line;
    // the untimed first round says what each unit left running.
    let state = format!(
        "case $u in bench.service) berthctl inspect --format '{{{{.State.State}}}}' systemd-bench;; \
         *) {PODMAN} inspect --format '{{{{.State.Status}}}}' bench;; esac"
    );
    let script = format!(
        "for i in $(seq 0 {reps}); do for u in {units}; do \
           t0=$(date +%s%N); systemctl start $u; t1=$(date +%s%N); \
           if [ $i -gt 0 ]; then echo $u $((t1 - t0)); else echo $u $({state}); fi; systemctl stop $u; done; done",
        units = units.join(" ")
    );
    let out = s.ok(&script);
    for unit in &units {
        assert!(out.contains(&format!("{unit} running")), "{unit} started its container: {out}");
    }
    let median_of = |unit: &str| {
        let mut samples: Vec<u64> = out.lines().filter_map(|l| l.strip_prefix(unit)?.trim().parse().ok()).collect();
        assert_eq!(samples.len(), reps, "{unit}: {out}");
        samples.sort_unstable();
        Duration::from_nanos(samples[samples.len() / 2])
    };
    // The units' stops removed their containers.
    let podman_ps = if with_podman { format!("{PODMAN} ps -a -q") } else { "true".into() };
    let listed = s.ok(&format!("berthctl ps -a -q; {podman_ps}"));
    assert_eq!(listed, "", "containers left behind");
    UnitStarts { berth: median_of("bench.service"), podman: with_podman.then(|| median_of("podman-bench.service")) }
}
