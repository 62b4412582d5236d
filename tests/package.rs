//! The Debian package that scripts/package.sh builds into target/debian/
//! (scripts/test.sh builds it first), installed into a booted systemd
//! that has nothing of berth's: a socket-activated berth with its man
//! pages and completions; removed and purged, nothing of it is left but
//! the containers' data.

mod common;

use common::sandbox::{Mode, Sandbox};

fn package() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/debian");
    let found = std::fs::read_dir(&dir).ok().and_then(|entries| {
        entries.flatten().map(|e| e.path()).find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("berth_") && name.ends_with(".deb")
        })
    });
    found.unwrap_or_else(|| panic!("no package in {}: run scripts/package.sh (scripts/test.sh does)", dir.display()))
}

#[test]
fn the_package_installs_a_socket_activated_berth_and_leaves_nothing_when_purged() {
    let deb = package();
    let s = Sandbox::boot_bare("package", Mode::Unified);
    let (host, inside) = s.shared_dir("package");
    std::fs::copy(&deb, host.join("berth.deb")).unwrap();
    assert!(!s.sh("command -v berthctl").status.success(), "the sandbox starts without berth");

    // This machine's image forbids maintainer scripts to start services
    // (policy-rc.d, as in Docker's images); a booted machine does not.
    s.ok("rm -f /usr/sbin/policy-rc.d");
    s.ok(&format!("dpkg -i {inside}/berth.deb"));
    let files = s.ok("dpkg -L berth");
    for file in [
        "/usr/bin/berthd",
        "/usr/bin/berthctl",
        "/lib/systemd/system-generators/berth-generator",
        "/usr/lib/systemd/user-generators/berth-generator",
        "/usr/lib/systemd/user/berth.socket",
        "/usr/lib/systemd/user/berth.service",
        "/usr/share/dbus-1/services/io.berth.Berth1.service",
        "/lib/systemd/system/berth.socket",
        "/lib/systemd/system/berth.service",
        "/lib/systemd/system/berth-restart.service",
        "/usr/share/dbus-1/system-services/io.berth.Berth1.service",
        "/usr/share/dbus-1/system.d/io.berth.Berth1.conf",
        "/usr/share/dbus-1/interfaces/io.berth.Berth1.xml",
        "/usr/share/polkit-1/actions/io.berth.policy",
        "/usr/share/berth/interfaces/io.berth.Container.varlink",
        "/usr/lib/tmpfiles.d/berth.conf",
        "/etc/berth/berth.conf",
        "/usr/share/man/man1/berthctl.1.gz",
        "/usr/share/man/man1/berthctl-run.1.gz",
        "/usr/share/man/man8/berthd.8.gz",
        "/usr/share/man/man5/berth.conf.5.gz",
        "/usr/share/man/man5/berth.container.5.gz",
        "/usr/share/bash-completion/completions/berthctl",
        "/usr/share/zsh/vendor-completions/_berthctl",
        "/usr/share/fish/vendor_completions.d/berthctl.fish",
        "/usr/share/doc/berth/examples/50-berth.rules",
    ] {
        assert!(files.lines().any(|l| l == file), "{file} is not in the package: {files}");
    }
    assert_eq!(s.ok("dpkg-query -W -f '${Conffiles}' berth").split_whitespace().next(), Some("/etc/berth/berth.conf"));

    // Enabled and listening the Debian way; berthd only on the first call.
    assert_eq!(s.ok("systemctl is-enabled berth.socket berth-restart.service"), "enabled\nenabled");
    assert_eq!(s.ok("systemctl is-active berth.socket"), "active");
    assert_eq!(s.ok("systemctl is-active berth.service || true"), "inactive");
    let rootfs = s.busybox_rootfs();
    let said = s.ok(&format!("berthctl run --rm --rootfs {rootfs} /bin/echo from the package"));
    assert_eq!(said, "from the package");
    assert_eq!(s.ok("systemctl is-active berth.service"), "active", "the socket started it");
    s.ok(&format!("berthctl create --name kept --rootfs {rootfs} /bin/true"));
    // D-Bus activation and the bus policy are the package's too.
    let listed = s.ok("busctl call io.berth.Berth1 /io/berth/Berth1 io.berth.Berth1.Manager ListContainers bas true 0");
    assert!(listed.contains("\"kept\""), "{listed}");

    // Each page renders; completions load.
    let pages = s.ok("dpkg -L berth | grep '^/usr/share/man/man./.*\\.gz$'");
    assert!(pages.lines().count() > 20, "a page per command: {pages}");
    for page in pages.lines() {
        let text = s.ok(&format!("man -l {page} 2>&1"));
        assert!(text.contains("NAME") && text.contains("SYNOPSIS"), "{page}: {text}");
    }
    s.ok("bash -c '. /usr/share/bash-completion/completions/berthctl && complete -p berthctl'");

    // Removed: no unit, socket or binary left, the engine stopped, the
    // containers' data and the configuration kept.
    s.ok("dpkg -r berth");
    let left = s.ok(
        "systemctl list-unit-files --no-legend berth.socket berth.service berth-restart.service; ls /usr/bin/berth* /run/berth/io.berth 2>/dev/null || true",
    );
    assert_eq!(left, "", "left after removal");
    assert_eq!(s.ok("systemctl is-active berth.service berth.socket || true"), "inactive\ninactive");
    assert!(s.sh("test -e /etc/berth/berth.conf").status.success(), "a removal keeps the configuration");
    // Purged: the configuration goes too; containers' data never does.
    s.ok("dpkg -P berth");
    assert!(!s.sh("test -e /etc/berth/berth.conf").status.success(), "a purge takes the configuration");
    assert!(!s.sh("dpkg -s berth").status.success(), "dpkg knows nothing of it");
    assert!(s.sh("test -s /var/lib/berth/berth.db").status.success(), "the containers' records stay");
}
