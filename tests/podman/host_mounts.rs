//! run_volume_test.go and create_test.go on host directories and tmpfs
//! (issue 18's mounts): `-v /host:/ctr[:opts]`, `--mount
//! type=bind|tmpfs|volume,...` and `--tmpfs`, checked in the container's
//! /proc/self/mountinfo and by writing through a bind from both sides.

use super::*;

const IMAGE: &str = "quay.io/libpod/alpine:latest";

/// The fields of the container's mountinfo line for `destination`.
fn mountinfo(d: &Daemon, extra: &[&str], destination: &str) -> Vec<String> {
    let mut args = vec!["run", "--rm", "--user", "root"];
    args.extend(extra);
    let script = format!("grep ' {destination} ' /proc/self/mountinfo");
    args.extend([IMAGE, "/bin/sh", "-c", &script]);
    ok(d, &args).split_whitespace().map(str::to_string).collect()
}

fn refused(d: &Daemon, extra: &[&str]) -> String {
    let mut args = vec!["run", "--rm"];
    args.extend(extra);
    args.extend([IMAGE, "true"]);
    let (code, _, err) = run(d, &args);
    assert_eq!(code, 125, "{extra:?} was taken: {err}");
    err
}

/// C-runvol-1..5, 17, 23: `-v` with a host directory, its options, and
/// what is refused; what either side writes, the other reads.
#[test]
fn volume_flag_with_a_host_directory() {
    let d = with_image();
    let dir = d.dir.path().join("hostdir");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("from-host"), "host\n").unwrap();
    let bind = |opts: &str| format!("{}:/unique/path{opts}", dir.display());
    assert!(mountinfo(&d, &["-v", &bind("")], "/unique/path")[5].starts_with("rw"));
    assert!(mountinfo(&d, &["-v", &bind(":ro")], "/unique/path")[5].starts_with("ro"));
    let shared = mountinfo(&d, &["-v", &bind(":shared")], "/unique/path");
    assert!(shared[5].starts_with("rw") && shared[6].starts_with("shared:"), "{shared:?}");
    for hint in ["cached", "delegated"] {
        let fields = mountinfo(&d, &["-v", &bind(&format!(":{hint}"))], "/unique/path");
        assert!(fields[5].starts_with("rw") && !fields.iter().any(|f| f.contains(hint)), "{fields:?}");
    }
    let open = mountinfo(&d, &["-v", &bind(":suid,dev,exec")], "/unique/path").join(" ");
    assert!(!open.contains("noexec") && !open.contains("nodev") && !open.contains("nosuid"), "{open}");
    let closed = mountinfo(&d, &["-v", &bind(":nosuid,nodev,noexec")], "/unique/path").join(" ");
    assert!(closed.contains("noexec") && closed.contains("nodev") && closed.contains("nosuid"), "{closed}");

    // Both ways: the container reads the host's file and writes its own.
    let script = "cat /data/from-host; echo container > /data/from-container";
    let out = ok(
        &d,
        &["run", "--rm", "--user", "root", "-v", &format!("{}:/data", dir.display()), IMAGE, "/bin/sh", "-c", script],
    );
    assert_eq!(out, "host\n");
    assert_eq!(std::fs::read_to_string(dir.join("from-container")).unwrap(), "container\n");
    let script = "echo again > /data/from-container";
    let (code, _, err) = run(
        &d,
        &[
            "run",
            "--rm",
            "--user",
            "root",
            "-v",
            &bind(":ro").replace("/unique/path", "/data"),
            IMAGE,
            "/bin/sh",
            "-c",
            script,
        ],
    );
    assert_ne!(code, 0);
    assert!(err.contains("Read-only file system"), "{err}");

    let err = refused(&d, &["-v", &bind(""), "-v", "/tmp:/unique/path"]);
    assert!(err.contains("/unique/path is mounted twice"), "{err}");
    let err = refused(&d, &["-v", "/nonexistent/dir:/x"]);
    assert!(err.contains("statfs /nonexistent/dir: no such file or directory"), "{err}");
    let err = refused(&d, &["-v", &bind(":bogus")]);
    assert!(err.contains("invalid option \"bogus\" for a bind mount"), "{err}");
}

/// C-runvol-6..16, 19..21, 24, A-create-22..28: `--mount` of binds and
/// tmpfs, `--tmpfs`, and inspect's view of them.
#[test]
fn mount_flag_binds_and_tmpfs() {
    let d = with_image();
    let dir = d.dir.path().join("hostdir");
    std::fs::create_dir_all(&dir).unwrap();
    let src = format!("type=bind,src={},target=/unique/path", dir.display());
    let line = |extra: &str| mountinfo(&d, &["--mount", &format!("{src}{extra}")], "/unique/path").join(" ");
    assert!(line("").contains("/unique/path rw"));
    assert!(line(",ro").contains("/unique/path ro"));
    assert!(line(",readonly").contains("/unique/path ro"));
    assert!(line(",ro=false").contains("/unique/path rw"));
    assert!(line(",ro=true").contains("/unique/path ro"));
    let shared = line(",consistency=delegated,shared");
    assert!(shared.contains("/unique/path rw") && shared.contains("shared:"), "{shared}");
    let err = refused(&d, &["--mount", &format!("{src},ro=true,rw=false")]);
    assert!(err.contains("cannot pass 'readonly', 'ro', or 'rw' mount options more than once"), "{err}");
    for copy in ["tmpcopyup", "notmpcopyup"] {
        let err = refused(&d, &["--mount", &format!("type=bind,src=/tmp,target=/tmp,{copy}")]);
        assert!(err.contains(&format!("invalid option \"{copy}\" for a bind mount")), "{err}");
    }
    let err = refused(&d, &["--mount", "type=bind,src=/tmp,dst=relative"]);
    assert!(err.contains("the destination is not an absolute path"), "{err}");

    let tmpfs = mountinfo(&d, &["--mount", "type=tmpfs,target=/unique/path"], "/unique/path").join(" ");
    assert!(tmpfs.contains("/unique/path rw,nosuid,nodev,relatime - tmpfs"), "{tmpfs}");
    let ls_etc = |copy: &str| {
        let mount = format!("type=tmpfs,target=/etc{copy}");
        ok(&d, &["run", "--rm", "--mount", &mount, IMAGE, "/bin/busybox", "ls", "/etc"])
    };
    assert!(ls_etc(",tmpcopyup").contains("passwd"), "the image's /etc is copied up");
    assert!(ls_etc("").contains("passwd"), "by default too");
    assert!(!ls_etc(",notmpcopyup").contains("passwd"));
    let err = refused(&d, &["--mount", "type=tmpfs,target=/etc,tmpcopyup,notmpcopyup"]);
    assert!(err.contains("more than once"), "{err}");
    ok(
        &d,
        &[
            "run",
            "--rm",
            "--mount=type=tmpfs,tmpfs-size=512M,\"destination=/test,\"",
            IMAGE,
            "/bin/busybox",
            "ls",
            "/test,",
        ],
    );
    let flags = mountinfo(&d, &["--tmpfs", "/unique/path:suid,dev,exec"], "/unique/path").join(" ");
    assert!(!flags.contains("noexec") && !flags.contains("nodev") && !flags.contains("nosuid"), "{flags}");
    let run_dir = mountinfo(&d, &["--tmpfs", "/run:size=64m"], "/run").join(" ");
    assert!(run_dir.contains("noexec") && run_dir.contains("size=65536k"), "{run_dir}");

    // Two binds, written through at create's command; inspect's view.
    let (one, two) = (d.dir.path().join("vol1"), d.dir.path().join("vol2"));
    std::fs::create_dir_all(&one).unwrap();
    std::fs::create_dir_all(&two).unwrap();
    let m1 = format!("type=bind,src={},target=/myvol1,z", one.display());
    let m2 = format!("type=bind,src={},target=/myvol2,z", two.display());
    ok(
        &d,
        &[
            "create",
            "--name",
            "test",
            "--user",
            "root",
            "--mount",
            &m1,
            "--mount",
            &m2,
            IMAGE,
            "/bin/busybox",
            "touch",
            "/myvol2/foo.txt",
        ],
    );
    ok(&d, &["start", "test"]);
    assert_eq!(ok(&d, &["wait", "test"]), "0\n");
    assert!(two.join("foo.txt").exists());
    let first = "{{(index .Mounts 0).Type}} {{(index .Mounts 0).Source}} {{(index .Mounts 0).Destination}} {{(index .Mounts 0).RW}}";
    assert_eq!(ok(&d, &["inspect", "--format", first, "test"]).trim(), format!("bind {} /myvol1 true", one.display()));
    ok(&d, &["create", "--name", "tmp", "--tmpfs", "/scratch:ro", IMAGE, "true"]);
    assert_eq!(ok(&d, &["inspect", "--format", first, "tmp"]).trim(), "tmpfs tmpfs /scratch false");
    // --mount type=volume is a named volume.
    ok(
        &d,
        &[
            "run",
            "--rm",
            "--user",
            "root",
            "--mount",
            "type=volume,src=myvol,dst=/v",
            IMAGE,
            "/bin/busybox",
            "touch",
            "/v/x",
        ],
    );
    assert_eq!(ok(&d, &["volume", "ls", "-q"]), "myvol\n");
}

/// C-runvol-25, 34..37, 53, 68..79, 96, C-run030-87, 88: a host directory
/// mounted as an overlay (`:O`: what the container writes stays in a layer
/// of the run's own, or in the upper directory given); noexec; a tmpfs in a
/// read-only container; a bind over an image's volume; a bind of /run
/// gets no .containerenv on the host; a bind as the working directory.
#[test]
fn overlays_of_host_directories_and_other_binds() {
    let d = with_image();
    let host = d.dir.path().join("lower");
    std::fs::create_dir_all(&host).unwrap();
    std::fs::write(host.join("test1"), "one\n").unwrap();
    let lower = format!("{}:/run/test:O", host.display());
    let info = mountinfo(&d, &["-v", &lower], "/run/test");
    assert!(info.contains(&"overlay".to_string()), "{info:?}");
    ok(&d, &["run", "--rm", "-v", &lower, IMAGE, "ls", "/run/test/test1"]);
    ok(&d, &["run", "--rm", "--user", "root", "-v", &lower, IMAGE, "/bin/sh", "-c", "echo x > /run/test/container"]);
    assert!(!host.join("container").exists(), "written in the overlay, not below it");
    let workdir = format!("{}:/data:O", host.display());
    assert_eq!(ok(&d, &["run", "--rm", "-v", &workdir, "--workdir=/data", IMAGE, "echo", "hello"]), "hello\n");
    // Kept for the run only: what a run wrote is gone at the next start.
    let id = ok(&d, &["create", "--user", "root", "-v", &lower, IMAGE, "sleep", "100"]).trim().to_string();
    ok(&d, &["start", &id]);
    ok(&d, &["exec", &id, "/bin/sh", "-c", "echo x > /run/test/container"]);
    ok(&d, &["exec", &id, "ls", "/run/test/container"]);
    ok(&d, &["stop", "-t", "0", &id]);
    ok(&d, &["start", &id]);
    assert_ne!(run(&d, &["exec", &id, "ls", "/run/test/container"]).0, 0, "forgotten at the stop");
    ok(&d, &["rm", "-f", "-t", "0", &id]);
    // An upper directory given keeps what is written.
    let kept = d.dir.path().join("kept");
    for sub in ["upper", "work"] {
        std::fs::create_dir_all(kept.join(sub)).unwrap();
    }
    let given = format!("{}:/data:O,upperdir={}/upper,workdir={}/work", host.display(), kept.display(), kept.display());
    ok(&d, &["run", "--rm", "--user", "root", "-v", &given, IMAGE, "/bin/sh", "-c", "echo hello >> /data/overlay"]);
    assert!(ok(&d, &["run", "--rm", "-v", &given, IMAGE, "ls", "/data"]).contains("overlay"));
    assert!(!ok(&d, &["run", "--rm", "-v", &workdir, IMAGE, "ls", "/data"]).contains("overlay"));
    // Nothing else at the same destination.
    ok(&d, &["volume", "create", "myvol"]);
    refused(&d, &["-v", &lower, "-v", "myvol:/run/test"]);
    refused(&d, &["-v", &lower, "--mount", &format!("type=bind,src={},target=/run/test", host.display())]);
    refused(&d, &["-v", &lower, "--mount", "type=tmpfs,target=/run/test"]);

    let (code, _, _) = run(&d, &["run", "--rm", "-v", "/bin:/hostbin:noexec", IMAGE, "/hostbin/ls", "/"]);
    assert_ne!(code, 0, "noexec");
    ok(
        &d,
        &[
            "run",
            "--rm",
            "--user",
            "root",
            "--read-only",
            "--tmpfs",
            "/unique/path",
            IMAGE,
            "/bin/sh",
            "-c",
            "echo > /unique/path/a",
        ],
    );
    let run_dir = d.dir.path().join("run-src");
    std::fs::create_dir_all(&run_dir).unwrap();
    ok(&d, &["run", "--rm", "-v", &format!("{}:/run", run_dir.display()), IMAGE, "true"]);
    assert!(!run_dir.join(".containerenv").exists());
    std::fs::write(run_dir.join("content"), "random content\n").unwrap();
    let dir_bind = format!("{}:/IamNotOnTheImage:Z", run_dir.display());
    let read = ok(&d, &["run", "--rm", "--workdir", "/IamNotOnTheImage", "-v", &dir_bind, IMAGE, "cat", "content"]);
    assert_eq!(read, "random content\n");
    let file_bind = format!("{}/content:/IamNotOntheImage/foo:Z", run_dir.display());
    let read = ok(&d, &["run", "--rm", "--workdir", "/IamNotOntheImage", "-v", &file_bind, IMAGE, "cat", "foo"]);
    assert_eq!(read, "random content\n");

    // A relative source is the caller's working directory's (C-runvol-101).
    let here = d.dir.path().join("here");
    std::fs::create_dir_all(&here).unwrap();
    std::fs::write(here.join("vol-file-a1b2"), "").unwrap();
    let listed = std::process::Command::new(env!("CARGO_BIN_EXE_berthctl"))
        .env("BERTH_ADDRESS", &d.address)
        .current_dir(&here)
        .args(["run", "--rm", "--security-opt", "label=disable", "-v", "./:/unique/path", IMAGE, "ls", "/unique/path"])
        .output()
        .unwrap();
    assert!(listed.status.success(), "{listed:?}");
    assert!(String::from_utf8_lossy(&listed.stdout).contains("vol-file-a1b2"), "{listed:?}");

    // A bind over a volume the image declares (with a trailing slash).
    let config = serde_json::json!({ "Cmd": ["ls"], "Env": ["PATH=/bin"], "Volumes": { "/test/": {} } });
    let img = common::image::build_with(&d.dir.path().join("vol-image"), config);
    ok(&d, &["image", "import", img.layout.to_str().unwrap(), "localhost/withvolume:1"]);
    ok(&d, &["create", "-v", "/tmp:/test", "--name", "testCtr", "localhost/withvolume:1"]);
    let aliases = "{{(index .Mounts 0).Src}} {{(index .Mounts 0).Dst}}";
    assert_eq!(ok(&d, &["inspect", "--format", aliases, "testCtr"]), "/tmp /test\n", "podman's Src and Dst");
    let mounts: serde_json::Value =
        serde_json::from_str(&ok(&d, &["inspect", "--format", "{{json .Mounts}}", "testCtr"])).unwrap();
    assert_eq!(mounts.as_array().map(Vec::len), Some(1), "{mounts}");
    assert_eq!(
        (mounts[0]["source"].as_str(), mounts[0]["destination"].as_str()),
        (Some("/tmp"), Some("/test")),
        "{mounts}"
    );
}

/// C-mountbats-13..27: `--mount type=image`: the image's files, read-only
/// unless rw=true (then what is written stays in the run's own layer);
/// mounted by the runtime in the container alone, so an `image mount` of
/// the host's is neither used nor disturbed; inspect shows it.
#[test]
fn mount_type_image() {
    let d = with_image();
    let image_mount = format!("type=image,src={IMAGE},dst=/image-mount");
    let in_image = |extra: &str, script: &str| {
        let mount = format!("{image_mount}{extra}");
        run(&d, &["run", "--rm", "--user", "root", "--mount", &mount, IMAGE, "/bin/sh", "-c", script])
    };
    let (code, out, err) = in_image("", "/bin/busybox diff /etc/passwd /image-mount/etc/passwd");
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = in_image("", "/bin/busybox touch /image-mount/read-only");
    assert_eq!(code, 1);
    assert_eq!(format!("{out}{err}").trim(), "touch: /image-mount/read-only: Read-only file system");
    for writable in [",rw=true", ",readwrite=true"] {
        let (code, _, err) = in_image(writable, "/bin/busybox touch /image-mount/readwrite");
        assert_eq!(code, 0, "{writable}: {err}");
    }
    let (code, _, _) = in_image("", "ls /image-mount/readwrite");
    assert_ne!(code, 0, "written in the run's own layer, not in the image");
    assert_eq!(ok(&d, &["image", "umount", IMAGE]), "", "no mount of the host's was made");

    // A mount of the host's is another matter: it stays as it was.
    let id = ok(&d, &["image", "inspect", "--format", "{{.ID}}", IMAGE]).trim().to_string();
    ok(&d, &["image", "mount", IMAGE]);
    assert_eq!(in_image("", "/bin/busybox diff /etc/passwd /image-mount/etc/passwd").0, 0);
    assert_eq!(ok(&d, &["image", "umount", IMAGE]).trim(), id, "the host's mount survived the container");
    assert_eq!(ok(&d, &["image", "umount", IMAGE]), "");

    let writable = format!("{image_mount},rw=true");
    let cid = ok(&d, &["run", "-d", "--mount", &writable, IMAGE, "sleep", "100"]).trim().to_string();
    ok(&d, &["exec", &cid, "/bin/busybox", "diff", "/etc/passwd", "/image-mount/etc/passwd"]);
    let field = |f: &str| ok(&d, &["inspect", "--format", &format!("{{{{(index .Mounts 0).{f}}}}}"), &cid]);
    assert_eq!(field("Type"), "image\n");
    assert_eq!(field("Source"), format!("{IMAGE}\n"));
    assert_eq!(field("Destination"), "/image-mount\n");
    assert_eq!(field("RW"), "true\n");
    ok(&d, &["rm", "-t", "0", "-f", &cid]);
    let (code, _, err) = run(&d, &["create", "--mount", "type=image,src=no/such:image,dst=/x", IMAGE, "true"]);
    assert_eq!(code, 125, "{err}");
    assert!(err.contains("no/such:image"), "{err}");
}

/// C-runvol-81, 84..89: U (and --mount's U=true, chown=true) give what a
/// bind or a volume shows to the container's user, on the host; a tmpfs
/// with chown is the user's; U=false leaves it alone.
#[test]
fn u_and_chown_give_mounts_to_the_containers_user() {
    let d = with_image();
    let owner = |extra: &[&str]| {
        let mut args = vec!["run", "--rm", "--user", "888:888"];
        args.extend(extra);
        args.extend([IMAGE, "/bin/busybox", "stat", "-c", "%u:%g", "/unique/path"]);
        ok(&d, &args).trim().to_string()
    };
    let dir = d.dir.path().join("owned");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let bind = format!("type=bind,src={},dst=/unique/path", dir.display());
    assert_ne!(owner(&["--mount", &format!("{bind},U=false")]), "888:888");
    let (code, _, err) = run(&d, &["run", "--rm", "--mount", &format!("{bind},U=invalid"), IMAGE, "true"]);
    assert_eq!(code, 125, "{err}");
    assert_eq!(owner(&["--mount", &format!("{bind},U=true")]), "888:888");
    use std::os::unix::fs::MetadataExt;
    let sub = std::fs::metadata(dir.join("sub")).unwrap();
    assert_eq!((sub.uid(), sub.gid()), (888, 888), "all of it, on the host");
    let again = d.dir.path().join("again");
    std::fs::create_dir_all(&again).unwrap();
    assert_eq!(owner(&["-v", &format!("{}:/unique/path:U", again.display())]), "888:888");
    assert_eq!(owner(&["--mount", "type=tmpfs,dst=/unique/path,chown"]), "888:888");
    assert_eq!(owner(&["--mount", "type=volume,dst=/unique/path"]), "888:888", "a new volume is its user's");
    ok(&d, &["volume", "create", "foo"]);
    assert_eq!(owner(&["--mount", "type=volume,src=foo,dst=/unique/path,chown=true"]), "888:888");

    // C-runvol-90, 91: volume-opt= are the options of the volume it makes.
    let typed =
        "type=volume,source=test_vol,dst=/test,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=nodev";
    let mounted =
        ok(&d, &["run", "--rm", "--mount", typed, IMAGE, "/bin/sh", "-c", "grep ' /test ' /proc/self/mountinfo"]);
    assert!(mounted.contains("tmpfs") && mounted.contains("nodev"), "{mounted}");
    assert!(ok(&d, &["volume", "inspect", "test_vol"]).contains("nodev"));
}
