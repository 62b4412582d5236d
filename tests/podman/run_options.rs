//! create_test.go and 030-run.bats: podman run's everyday options, checked
//! in the container and in the OCI spec berth wrote for it (config.json),
//! against what podman puts there.

use super::*;
use serde_json::Value;

const IMAGE: &str = "quay.io/libpod/alpine:latest";

/// The config.json of an initialized container.
fn oci_spec(d: &Daemon, name: &str) -> Value {
    ok(d, &["init", name]);
    let pidfile = ok(d, &["inspect", "--format", "{{.ConmonPidFile}}", name]);
    let bundle = std::path::Path::new(pidfile.trim()).parent().unwrap().to_path_buf();
    serde_json::from_str(&std::fs::read_to_string(bundle.join("config.json")).unwrap()).unwrap()
}

fn field(d: &Daemon, name: &str, template: &str) -> String {
    ok(d, &["inspect", "--format", template, name]).trim().to_string()
}

/// A-create-14..21, 70, 71: annotations, entrypoints (a command, none, a
/// JSON list), the default stop signal. Entrypoint prints as the list it
/// is, as podman 5 (HEAD) prints it; 4.3.1 joined it into one string.
#[test]
fn create_annotations_entrypoints_stop_signal() {
    let d = with_image();
    ok(&d, &["create", "--annotation", "HELLO=WORLD", "--name", "annotate_test", IMAGE, "ls"]);
    assert_eq!(count(&d), 1);
    assert_eq!(field(&d, "annotate_test", "{{.Config.Annotations}}"), "map[HELLO:WORLD]");
    assert_eq!(oci_spec(&d, "annotate_test")["annotations"]["HELLO"], "WORLD");
    ok(&d, &["create", "--name", "entrypoint_test", "--entrypoint", "/bin/foobar", IMAGE]);
    assert_eq!(field(&d, "entrypoint_test", "{{.Config.Entrypoint}}"), "[/bin/foobar]");
    // The image's command goes with its entrypoint.
    assert_eq!(field(&d, "entrypoint_test", "{{.Config.Command}}"), "[]");
    let none = ok(&d, &["create", "--entrypoint", "", IMAGE, "ls"]).trim().to_string();
    assert_eq!(field(&d, &none, "{{.Config.Entrypoint}}"), "[]");
    ok(&d, &["create", "--name", "entrypoint_json", "--entrypoint", r#"[ "/bin/foo", "-c"]"#, IMAGE]);
    assert_eq!(field(&d, "entrypoint_json", "{{.Config.Entrypoint}}"), "[/bin/foo -c]");
    let echo = ok(&d, &["create", "--entrypoint", r#"["/bin/echo", "-n"]"#, IMAGE, "a", "b"]).trim().to_string();
    assert_eq!(oci_spec(&d, &echo)["process"]["args"], serde_json::json!(["/bin/echo", "-n", "a", "b"]));
    ok(&d, &["create", "--name", "testCtr", IMAGE, "/bin/sh"]);
    assert_eq!(field(&d, "testCtr", "{{.Config.StopSignal}}"), "15");
    // An entrypoint with a command: both, in that order.
    let both = ok(&d, &["run", "--rm", "--entrypoint", "/bin/echo", IMAGE, "from", "the", "command"]);
    assert_eq!(both, "from the command\n");
    assert_eq!(count(&d), 6);
}

/// A-create-72..80: --tz and --umask (podman runs the umask checks with
/// crun only; berth stores it with either and gives it to the runtime).
#[test]
fn create_tz_and_umask() {
    let d = with_image();
    assert_ne!(run(&d, &["create", "--tz", "foo", "--name", "bad", IMAGE, "date"]).0, 0);
    assert_ne!(run(&d, &["create", "--tz", "America", "--name", "dir", IMAGE, "date"]).0, 0);
    ok(&d, &["create", "--tz", "Pacific/Honolulu", "--name", "zone", IMAGE, "date"]);
    assert_eq!(field(&d, "zone", "{{.Config.Timezone}}"), "Pacific/Honolulu");
    ok(&d, &["create", "--tz", "local", "--name", "lcl", IMAGE, "date"]);
    assert_eq!(field(&d, "lcl", "{{.Config.Timezone}}"), "local");
    ok(&d, &["create", "--name", "default", IMAGE]);
    assert_eq!(field(&d, "default", "{{.Config.Umask}}"), "0022");
    ok(&d, &["create", "--umask", "0002", "--name", "umask", IMAGE]);
    assert_eq!(field(&d, "umask", "{{.Config.Umask}}"), "0002");
    assert_eq!(oci_spec(&d, "umask")["process"]["user"]["umask"], 2);
    ok(&d, &["create", "--umask", "0077", "--name", "fedora", IMAGE]);
    assert_eq!(field(&d, "fedora", "{{.Config.Umask}}"), "0077");
    ok(&d, &["create", "--umask", "22", "--name", "umask-short", IMAGE]);
    assert_eq!(field(&d, "umask-short", "{{.Config.Umask}}"), "0022");
    let (code, _, err) = run(&d, &["create", "--umask", "9999", "--name", "bad", IMAGE]);
    assert_eq!(code, 125);
    assert!(err.contains("invalid umask"), "{err}");
}

/// C-run030-1..6, 13..15: exit codes of run, with and without --rm.
#[test]
fn run_basic_exit_codes() {
    let d = with_image();
    let rand = "r4nd0m-text";
    for (args, code, out) in [
        (vec!["true"], 0, ""),
        (vec!["/bin/sh", "-c", "exit 1"], 1, ""),
        (vec!["/bin/sh", "-c", "exit 32"], 32, ""),
        (vec!["echo", rand], 0, "r4nd0m-text\n"),
    ] {
        let mut full = vec!["run", IMAGE];
        full.extend(&args);
        let (c, o, e) = run(&d, &full);
        assert_eq!((c, o.as_str()), (code, out), "{args:?}: {e}");
    }
    let (code, _, err) = run(&d, &["run", IMAGE, "/no/such/command"]);
    assert_eq!(code, 127, "{err}");
    assert!(err.contains("/no/such/command") && err.to_lowercase().contains("no such file or directory"), "{err}");
    let (code, _, err) = run(&d, &["run", IMAGE, "/etc"]);
    assert_eq!(code, 126, "{err}");
    assert!(err.contains("permission denied"), "{err}");
    let before = count(&d);
    assert_eq!(run(&d, &["run", "--rm", IMAGE, "/bin/true"]).0, 0);
    assert_eq!(run(&d, &["run", "--rm", IMAGE, "/bin/sh", "-c", "exit 1"]).0, 1);
    assert_eq!(run(&d, &["run", "--rm", IMAGE, "/bin/sh", "-c", "/bin/true"]).0, 0);
    assert_eq!(run(&d, &["run", "--rm", IMAGE, "/bin/sh", "-c", "exit 1"]).0, 1);
    assert_eq!(count(&d), before, "--rm removed each");
}

/// C-run030-82..84, 86, 93, 108..111, 121..124: .containerenv, a workdir
/// that is not there, HOME, the default environment and unsetenv, and
/// --security-opt no-new-privileges in its four spellings. berth's
/// container variable and engine name are berth's own ("container=berth",
/// "berth-VERSION") where podman writes podman's.
#[test]
fn run_environment_and_containerenv() {
    let d = with_image();
    let sh = |args: &[&str], script: &str| {
        let mut full = vec!["run", "--rm"];
        full.extend(args);
        full.extend([IMAGE, "/bin/sh", "-c", script]);
        ok(&d, &full)
    };
    assert_eq!(sh(&[], "/bin/busybox stat -c %s /run/.containerenv"), "0\n");
    let env = sh(
        &["--privileged", "--name", "cenv"],
        ". /run/.containerenv; echo $engine; echo $name; echo $image; echo $id; echo $imageid; echo $rootless",
    );
    let lines: Vec<&str> = env.lines().collect();
    let image_id = field(&d, IMAGE, "{{.Id}}");
    assert!(lines[0].starts_with("berth-"), "{env}");
    assert_eq!(&lines[1..3], ["cenv", IMAGE]);
    assert!(lines[3].len() == 64 && lines[3].bytes().all(|b| b.is_ascii_hexdigit()), "{env}");
    assert_eq!(&lines[4..], [image_id.as_str(), "0"]);

    let (code, _, err) = run(&d, &["run", "--rm", "--workdir", "/i/do/not/exist", IMAGE, "pwd"]);
    assert_eq!(code, 126, "{err}");
    assert!(err.contains("workdir \"/i/do/not/exist\" does not exist on container"), "{err}");
    assert_eq!(ok(&d, &["run", "--rm", "--workdir", "/etc", IMAGE, "pwd"]), "/etc\n");

    assert!(sh(&["--user", "100"], "/bin/busybox env").lines().any(|l| l == "HOME=/"));
    let printenv = sh(&[], "/bin/busybox env");
    assert!(printenv.lines().any(|l| l == "TERM=xterm"), "{printenv}");
    assert!(printenv.lines().any(|l| l == "container=berth"), "{printenv}");
    let unset = sh(&["--unsetenv=TERM"], "/bin/busybox env");
    assert!(unset.lines().any(|l| l == "container=berth") && !unset.contains("TERM"), "{unset}");
    let all = ok(&d, &["run", "--rm", "--unsetenv-all", IMAGE, "/bin/busybox", "env"]);
    assert!(!all.contains("TERM") && !all.contains("container") && !all.contains("PATH"), "{all}");
    let term = ok(&d, &["run", "--rm", "--unsetenv-all", "--env", "TERM=abc", IMAGE, "/bin/busybox", "env"]);
    assert!(term.lines().any(|l| l == "TERM=abc"), "{term}");

    for opt in ["no-new-privileges=true", "no-new-privileges:true", "no-new-privileges=false", "no-new-privileges"] {
        let id = ok(&d, &["create", "--security-opt", opt, IMAGE]).trim().to_string();
        let spec = oci_spec(&d, &id);
        assert_eq!(spec["process"]["noNewPrivileges"], !opt.ends_with("false"), "{opt}");
        ok(&d, &["rm", &id]);
    }
    // SELinux's and AppArmor's options: berth applies neither, so it can
    // leave a container unlabelled but not label it.
    ok(&d, &["create", "--security-opt", "label=disable", IMAGE]);
    let (code, _, err) = run(&d, &["create", "--security-opt", "label=type:spc_t", IMAGE]);
    assert_eq!(code, 125);
    assert!(err.contains("berth takes no-new-privileges, seccomp=unconfined|PATH and label=disable"), "{err}");
}

/// /proc/self/status's CapEff of a container run with `args`.
fn cap_eff(d: &Daemon, args: &[&str]) -> u64 {
    let mut full = vec!["run", "--rm"];
    full.extend(args);
    full.extend([IMAGE, "/bin/sh", "-c", "/bin/busybox grep CapEff /proc/self/status"]);
    let out = ok(d, &full);
    u64::from_str_radix(out.split_whitespace().nth(1).unwrap(), 16).unwrap()
}

/// B-insp-43, 44 and the capability options: dropped capabilities stored
/// sorted in podman's form, unlimited ulimits as -1; what the process has
/// in the container and what the spec says.
#[test]
fn capabilities_privileged_and_ulimits() {
    let d = with_image();
    ok(
        &d,
        &[
            "run",
            "-d",
            "--name",
            "drop",
            "--cap-drop",
            "CAP_NET_RAW",
            "--cap-drop",
            "mknod",
            "--cap-drop",
            "CAP_AUDIT_WRITE",
            IMAGE,
            "/bin/sleep",
            "600",
        ],
    );
    assert_eq!(field(&d, "drop", "{{.Config.CapDrop}}"), "[CAP_AUDIT_WRITE CAP_MKNOD CAP_NET_RAW]");
    ok(&d, &["rm", "-f", "-t", "0", "drop"]);
    ok(&d, &["run", "-d", "--name", "ulim", "--ulimit", "core=-1:-1", IMAGE, "/bin/sleep", "600"]);
    let ulimits: Value = serde_json::from_str(&field(&d, "ulim", "{{json .Config.Ulimits}}")).unwrap();
    assert_eq!(ulimits, serde_json::json!([{ "name": "RLIMIT_CORE", "soft": -1, "hard": -1 }]));
    assert_eq!(ok(&d, &["exec", "ulim", "/bin/sh", "-c", "ulimit -c"]).trim(), "unlimited");
    ok(&d, &["rm", "-f", "-t", "0", "ulim"]);
    assert_eq!(
        ok(&d, &["run", "--rm", "--ulimit", "nofile=1024:2048", IMAGE, "/bin/sh", "-c", "ulimit -n; ulimit -Hn"]),
        "1024\n2048\n"
    );

    // podman's default set for root: 11 capabilities.
    assert_eq!(cap_eff(&d, &["--user", "0"]).count_ones(), 11);
    assert_eq!(cap_eff(&d, &["--user", "0", "--cap-drop", "ALL"]), 0);
    let net_admin = 1u64 << 12;
    assert_eq!(cap_eff(&d, &["--user", "0", "--cap-drop", "ALL", "--cap-add", "NET_ADMIN"]), net_admin);
    // A user other than root has only what it is given by name.
    assert_eq!(cap_eff(&d, &["--user", "100"]), 0);
    assert_eq!(cap_eff(&d, &["--user", "100", "--cap-add", "net_admin"]), net_admin);
    // Privileged: every capability this machine lets berthd have.
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let bounding = status.lines().find_map(|l| l.strip_prefix("CapBnd:")).unwrap().trim();
    assert_eq!(cap_eff(&d, &["--user", "0", "--privileged"]), u64::from_str_radix(bounding, 16).unwrap());
    assert!(ok(&d, &["run", "--rm", "--privileged", IMAGE, "/bin/sh", "-c", "ls /dev"]).lines().count() > 10);
    assert_ne!(run(&d, &["create", "--cap-add", "NOT_A_CAPABILITY", IMAGE]).0, 0);
}

/// --user, --group-add, --workdir, --hostname, --read-only, --device,
/// --sysctl, --init, --env-file: in the container, and in its config.json
/// as podman writes them.
#[test]
fn process_and_sandbox_options_reach_the_spec() {
    let d = with_image();
    let env_file = d.dir.path().join("env");
    std::fs::write(&env_file, "# comment\n\nFROM_FILE=yes\nOVERRIDDEN=file\n").unwrap();
    let id = ok(
        &d,
        &[
            "create",
            "--name",
            "opts",
            "--user",
            "nobody:root",
            "--group-add",
            "1234",
            "--group-add",
            "nogroup",
            "--workdir",
            "/etc",
            "--hostname",
            "web1",
            "--read-only",
            "--device",
            "/dev/null:/dev/mynull:rw",
            "--sysctl",
            "net.ipv4.ip_forward=1",
            "--sysctl",
            "kernel.shmmax=4096",
            "--init",
            "--env-file",
            env_file.to_str().unwrap(),
            "--env",
            "OVERRIDDEN=flag",
            IMAGE,
            "/bin/sleep",
            "600",
        ],
    )
    .trim()
    .to_string();
    let spec = oci_spec(&d, "opts");
    let p = &spec["process"];
    assert_eq!(p["user"]["uid"], 65534);
    assert_eq!(p["user"]["gid"], 0);
    assert_eq!(p["user"]["additionalGids"], serde_json::json!([1234, 65534]));
    assert_eq!(p["cwd"], "/etc");
    assert_eq!(p["args"], serde_json::json!(["/run/berth-init", "--", "/bin/sleep", "600"]));
    assert!(p["env"].as_array().unwrap().contains(&"FROM_FILE=yes".into()));
    assert!(p["env"].as_array().unwrap().contains(&"OVERRIDDEN=flag".into()));
    assert_eq!(spec["hostname"], "web1");
    assert_eq!(spec["root"]["readonly"], true);
    assert_eq!(spec["linux"]["sysctl"]["net.ipv4.ip_forward"], "1");
    let device = &spec["linux"]["devices"][0];
    assert_eq!(
        (device["path"].as_str(), device["type"].as_str(), device["major"].as_i64()),
        (Some("/dev/mynull"), Some("c"), Some(1))
    );
    let rules = spec["linux"]["resources"]["devices"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["allow"] == true && r["major"] == 1 && r["minor"] == 3 && r["access"] == "rw"));

    ok(&d, &["start", "opts"]);
    let inside = ok(
        &d,
        &[
            "exec",
            "opts",
            "/bin/sh",
            "-c",
            "id -u; id -G; pwd; /bin/busybox hostname; cat /proc/sys/net/ipv4/ip_forward; \
             cat /proc/sys/kernel/shmmax; /bin/busybox tr '\\0' ' ' < /proc/1/cmdline; echo; \
             test -c /dev/mynull && echo device; touch /etc/x 2>/dev/null || echo read-only; \
             touch /tmp/x && echo tmp-writable; echo $FROM_FILE",
        ],
    );
    assert_eq!(
        inside,
        "65534\n0 1234 65534\n/etc\nweb1\n1\n4096\n/run/berth-init -- /bin/sleep 600 \ndevice\nread-only\ntmp-writable\nyes\n"
    );
    ok(&d, &["rm", "-f", "-t", "0", &id]);
    // C-runvol-52: a volume stays writable under a read-only root.
    ok(
        &d,
        &[
            "run",
            "--rm",
            "--user",
            "0",
            "--read-only",
            "-v",
            "tmp_volume:/unique/path",
            IMAGE,
            "/bin/sh",
            "-c",
            "touch /unique/path/a",
        ],
    );
    ok(&d, &["volume", "rm", "tmp_volume"]);
    for (flag, value) in [
        ("--sysctl", "vm.swappiness=10"),
        ("--device", "/etc/passwd"),
        ("--ulimit", "bogus=1"),
        ("--hostname", "no spaces"),
        ("--workdir", "relative"),
    ] {
        let (code, _, err) = run(&d, &["create", flag, value, IMAGE]);
        assert_eq!(code, 125, "{flag} {value}: {err}");
    }
    // Host networking takes no net.* sysctl.
    assert_eq!(run(&d, &["create", "--network", "host", "--sysctl", "net.ipv4.ip_forward=1", IMAGE]).0, 125);
    assert_eq!(count(&d), 0, "nothing was left by a refused create");
}

/// Secrets (podman's secret commands and --secret): a file under
/// /run/secrets with its owner and mode, or a variable; never shown by
/// inspect, listings or events; a secret in use is not removed.
#[test]
fn secrets() {
    let d = with_image();
    let file = d.dir.path().join("pw");
    std::fs::write(&file, "hunter2-value").unwrap();
    let id = ok(&d, &["secret", "create", "--label", "app=web", "pw", file.to_str().unwrap()]).trim().to_string();
    assert_eq!(id.len(), 25);
    assert_eq!(run(&d, &["secret", "create", "pw", file.to_str().unwrap()]).0, 125, "the name is taken");
    assert_eq!(ok(&d, &["secret", "ls", "--format", "{{.Name}}"]), "pw\n");
    assert_eq!(ok(&d, &["secret", "ls", "-q", "--filter", "label=app=web"]).trim(), id);
    assert_eq!(ok(&d, &["secret", "ls", "-q", "--filter", "name=other"]), "");
    let inspected = ok(&d, &["secret", "inspect", "pw"]);
    assert!(inspected.contains(&id) && !inspected.contains("hunter2"), "{inspected}");
    assert_eq!(run(&d, &["secret", "exists", "pw"]).0, 0);
    assert_eq!(run(&d, &["secret", "exists", "nope"]).0, 1);

    let shown = ok(
        &d,
        &[
            "run",
            "--name",
            "user",
            "--secret",
            "pw",
            "--secret",
            "pw,type=env,target=PASSWORD",
            "--secret",
            "pw,target=/etc/app.pw,uid=65534,gid=65534,mode=0400",
            IMAGE,
            "/bin/sh",
            "-c",
            "cat /run/secrets/pw; echo; echo $PASSWORD; /bin/busybox stat -c '%u %g %a' /etc/app.pw /run/secrets/pw",
        ],
    );
    assert_eq!(shown, "hunter2-value\nhunter2-value\n65534 65534 400\n0 0 444\n");
    let inspect = ok(&d, &["inspect", "user"]);
    assert!(!inspect.contains("hunter2") && inspect.contains("PASSWORD"), "{inspect}");
    let events = ok(&d, &["events", "--stream=false", "--format", "json"]);
    assert!(!events.contains("hunter2") && events.contains("\"secret\""), "{events}");

    let (code, _, err) = run(&d, &["secret", "rm", "pw"]);
    assert_eq!(code, 125);
    assert!(err.contains("in use"), "{err}");
    assert_eq!(run(&d, &["create", "--secret", "missing", IMAGE]).0, 125);
    assert_eq!(run(&d, &["create", "--secret", "pw,type=env,mode=0400", IMAGE]).0, 125);
    ok(&d, &["rm", "user"]);
    assert_eq!(ok(&d, &["secret", "rm", "pw"]).trim(), id);
    assert_eq!(ok(&d, &["secret", "ls", "-q"]), "");
    let (code, _, err) = run(&d, &["secret", "rm", "pw"]);
    assert_eq!(code, 125);
    assert!(err.contains("no such secret"), "{err}");
}

/// A-create-64..67 (without -t, a terminal being issue 19's): podman's
/// swap default and --cpus, in berth's resources.
#[test]
fn create_memory_swap_and_cpus() {
    let d = with_image();
    ok(&d, &["create", "-t", "-m", "1000000b", "--name", "testCtr", IMAGE, "/bin/sh"]);
    assert_eq!(field(&d, "testCtr", "{{.Config.Resources.MemorySwap}}"), "2000000");
    ok(&d, &["create", "-m", "64m", "--name", "swap", IMAGE, "/bin/sh"]);
    let memory = &oci_spec(&d, "swap")["linux"]["resources"]["memory"];
    assert_eq!((memory["limit"].as_i64(), memory["swap"].as_i64()), (Some(64 << 20), Some(128 << 20)));
    ok(&d, &["create", "-t", "--cpus", "5", "--name", "cpus", IMAGE, "/bin/sh"]);
    assert_eq!(field(&d, "cpus", "{{.Config.Resources.NanoCpus}}"), "5000000000");
    let cpu = &oci_spec(&d, "cpus")["linux"]["resources"]["cpu"];
    assert_eq!((cpu["quota"].as_i64(), cpu["period"].as_u64()), (Some(500_000), Some(100_000)));
    assert_eq!(run(&d, &["create", "-m", "1m", "--memory-swap", "1k", IMAGE]).0, 125, "swap below memory");
}

/// C-run030-9, 40, 57, 58, 60..62, 65..67, 70..73, 94..96, 102..106,
/// 116, 118: --memory=0, an entrypoint as JSON, log drivers, --tz (the
/// last one given wins; local is this command's TZ), --noout, --timeout,
/// device cgroup rules, --kernel-memory, the OOM score.
#[test]
fn run_bats_options() {
    let d = with_image();
    assert_eq!(ok(&d, &["run", "--memory=0", "--rm", IMAGE, "echo", "hello"]), "hello\n");
    let expect = "entrypoint-as-json";
    let json = format!(r#"["/bin/echo","{expect}"]"#);
    assert_eq!(ok(&d, &["run", "--name", "myc", &format!("--entrypoint={json}"), IMAGE]), format!("{expect}\n"));
    ok(&d, &["rm", "myc"]);

    for driver in ["k8s-file", "json-file"] {
        assert_eq!(ok(&d, &["run", "--name", "myctr", "--log-driver", driver, IMAGE, "echo", "logged"]), "logged\n");
        assert_eq!(field(&d, "myctr", "{{.Config.LogDriver}}"), driver);
        assert_eq!(ok(&d, &["logs", "myctr"]), "logged\n");
        ok(&d, &["rm", "myctr"]);
    }
    // With none, an attached run still shows the output: it comes through
    // conmon's attach socket, not the log.
    assert_eq!(ok(&d, &["run", "--rm", "--log-driver", "none", IMAGE, "echo", "attached"]), "attached\n");
    ok(&d, &["create", "--name", "quiet", "--log-driver", "journald", "--log-driver", "none", IMAGE, "true"]);
    assert_eq!(field(&d, "quiet", "{{.Config.LogDriver}}"), "none", "the last --log-driver wins");
    let (code, _, err) = run(&d, &["logs", "quiet"]);
    assert_eq!(code, 125);
    assert!(err.contains("this container is using the 'none' log driver, cannot read logs"), "{err}");
    let (code, _, err) = run(&d, &["run", "--log-driver=InvalidDriver", IMAGE, "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("invalid log driver"), "{err}");

    // The image's files were written at 1700000000 (2023-11-14 22:13:20 UTC).
    let date = |args: &[&str], env: Option<(&str, &str)>| {
        let mut full = vec!["run", "--rm"];
        full.extend(args);
        full.extend([IMAGE, "/bin/busybox", "date"]);
        full.extend(if env.is_some() { vec!["-Iseconds", "-r", "/etc/passwd"] } else { vec!["-r", "/etc/passwd"] });
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_berthctl"));
        cmd.env("BERTH_ADDRESS", &d.address).args(&full);
        if let Some((k, v)) = env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{full:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(date(&[], None), "Tue Nov 14 22:13:20 UTC 2023\n");
    assert_eq!(date(&["--tz=US/Eastern", "--tz=Iceland", "--tz=MST7MDT"], None), "Tue Nov 14 15:13:20 MST 2023\n");
    assert_eq!(date(&["--tz=local"], Some(("TZ", "Pacific/Chatham"))), "2023-11-15T11:58:20+13:45\n");

    assert_eq!(ok(&d, &["--noout", "run", "-d", "--name", "test", IMAGE, "echo", "hi"]), "");
    ok(&d, &["wait", "test"]);
    assert_eq!(ok(&d, &["--noout", "rm", "test"]), "");
    assert_eq!(ok(&d, &["--noout", "create", "--name", "test", IMAGE, "echo", "hi"]), "");
    assert_eq!(ok(&d, &["--noout", "rm", "test"]), "");

    let started = std::time::Instant::now();
    let (code, _, err) = run(&d, &["run", "--name", "timeouttest", "--timeout", "2", IMAGE, "sleep", "60"]);
    let elapsed = started.elapsed().as_secs_f64();
    let state = field(&d, "timeouttest", "{{.State.State}} {{.State.ExitCode}}");
    assert_eq!(code, 255, "{err} {elapsed} {state}");
    assert!(elapsed > 1.5 && elapsed < 30.0, "{elapsed}");
    // conmon records -1 for what it killed at the timeout (podman's test
    // takes -1 or 255).
    assert_eq!(state, "exited -1");
    ok(&d, &["rm", "timeouttest"]);

    for rule in ["b 7:* rmw", "c 7:* rmw", "a 7:1 rmw", "a 7 rmw"] {
        ok(&d, &["run", "--rm", "--device-cgroup-rule", rule, IMAGE, "true"]);
    }
    for (rule, message) in [
        ("b 7:* rmX", "invalid device access in device-access-add: X"),
        ("b 7:2", "invalid device cgroup rule requires type, major:Minor, and access rules: \"b 7:2\""),
        ("x 7:* rmw", "invalid device type in device-access-add: x"),
        ("a a:* rmw", "strconv.ParseUint: parsing \"a\": invalid syntax"),
    ] {
        let (code, _, err) = run(&d, &["run", "--rm", "--device-cgroup-rule", rule, IMAGE, "true"]);
        assert_eq!(code, 125, "{rule}");
        assert!(err.contains(message), "{rule}: {err}");
    }
    let id = ok(&d, &["create", "--device-cgroup-rule", "c 1:3 r", IMAGE]).trim().to_string();
    let rules = oci_spec(&d, &id)["linux"]["resources"]["devices"].clone();
    assert!(
        rules.as_array().unwrap().iter().any(|r| r["major"] == 1 && r["minor"] == 3 && r["access"] == "r"),
        "{rules}"
    );
    ok(&d, &["rm", &id]);

    let (_, _, err) = run(&d, &["run", "--rm", "--kernel-memory", "100", IMAGE, "/bin/sh", "-c", "exit 1"]);
    assert!(err.contains("The --kernel-memory flag is no longer supported. This flag is a noop."), "{err}");
    let own = std::fs::read_to_string("/proc/self/oom_score_adj").unwrap();
    assert_eq!(ok(&d, &["run", "--rm", IMAGE, "cat", "/proc/self/oom_score_adj"]), own);
}

/// C-run030-59, 68, 69, 133, 134: where a k8s-file log is (and what its
/// lines are), none for journald or none; a runtime given by a path of
/// its own stays that path; a privileged container gets the host's
/// terminals.
#[test]
fn log_path_runtime_path_and_terminals() {
    let d = with_image();
    for driver in ["k8s-file", "json-file"] {
        ok(&d, &["run", "--name", "logged", "--log-driver", driver, IMAGE, "echo", "a-message"]);
        let path = field(&d, "logged", "{{.LogPath}}");
        assert!(path.starts_with('/'), "{path}");
        let text = std::fs::read_to_string(&path).unwrap();
        let line = text.lines().next().unwrap();
        let (time, rest) = line.split_once(' ').unwrap();
        assert!(time.contains('T') && time.bytes().all(|b| b.is_ascii_digit() || b"T:.+-Z".contains(&b)), "{line}");
        assert_eq!(rest, "stdout F a-message");
        ok(&d, &["rm", "logged"]);
    }
    for driver in ["none", "journald"] {
        ok(&d, &["create", "--name", "unlogged", "--log-driver", driver, IMAGE, "true"]);
        assert_eq!(field(&d, "unlogged", "{{.LogPath}}"), "");
        ok(&d, &["rm", "unlogged"]);
    }

    let copy = d.dir.path().join("my-runc");
    std::fs::copy("/usr/sbin/runc", &copy).or_else(|_| std::fs::copy("/usr/bin/runc", &copy)).unwrap();
    let runtime = copy.to_str().unwrap();
    ok(&d, &["run", "-d", "--name", "own-runtime", "--runtime", runtime, IMAGE, "sleep", "60"]);
    assert_eq!(field(&d, "own-runtime", "{{.Config.RuntimePath}}"), runtime);
    ok(&d, &["kill", "own-runtime"]);
    ok(&d, &["wait", "own-runtime"]);
    ok(&d, &["rm", "own-runtime"]);

    let host: Vec<String> = std::fs::read_dir("/dev")
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("tty") && n != "tty")
        .collect();
    if !host.is_empty() {
        let seen = ok(&d, &["run", "--rm", "--privileged", IMAGE, "/bin/sh", "-c", "ls /dev/tty*"]);
        assert_ne!(seen.trim(), "/dev/tty", "the host's terminals");
    }
}

/// A-create-104..108 (sleep where podman's test runs cat on a terminal,
/// which is issue 19's): --chrootdirs is kept, and its directory gets the
/// container's resolv.conf.
#[test]
fn chrootdirs() {
    let d = with_image();
    let id = ok(&d, &["create", "--chrootdirs", "/var/local/qwerty", IMAGE]).trim().to_string();
    assert_eq!(field(&d, &id, "{{.Config.ChrootDirs}}"), "[/var/local/qwerty]");
    let id = ok(&d, &["create", "-t", "--chrootdirs", "/var/local/qwerty", IMAGE, "/bin/cat"]).trim().to_string();
    ok(&d, &["start", &id]);
    ok(&d, &["exec", &id, "/bin/busybox", "cmp", "/etc/resolv.conf", "/var/local/qwerty/etc/resolv.conf"]);
    ok(&d, &["rm", "-f", "-t", "0", &id]);
    assert_eq!(run(&d, &["create", "--chrootdirs", "relative", IMAGE]).0, 125);
}

/// C-run030-99..101 (as root, with the host's daemon user, which the test
/// image lacks, where podman's rootless test uses the caller): --hostuser
/// by name and UID, with --user; a user the host lacks cannot run (126).
#[test]
fn hostuser() {
    let d = with_image();
    let host = std::fs::read_to_string("/etc/passwd").unwrap();
    let Some(entry) = host.lines().find(|l| l.starts_with("daemon:")) else { return };
    let uid = entry.split(':').nth(2).unwrap();
    let grep = |args: &[&str], what: &str| {
        let mut full = vec!["run", "--rm"];
        full.extend(args);
        full.extend([IMAGE, "/bin/busybox", "grep", what, "/etc/passwd"]);
        run(&d, &full)
    };
    assert_eq!(grep(&[], "daemon").0, 1, "the image has no daemon user");
    assert_eq!(grep(&["--hostuser=daemon"], "daemon"), (0, format!("{entry}\n"), String::new()));
    assert_eq!(grep(&[&format!("--hostuser={uid}")], &format!(":{uid}:")).0, 0);
    assert_eq!(grep(&[&format!("--hostuser={uid}"), "--user", uid], &format!(":{uid}:")).0, 0);
    assert_eq!(grep(&["--hostuser=bogus"], "bogus").0, 126);
}

/// C-run030-36, 37: --conmon-pidfile holds conmon's PID, which inspect
/// shows as State.ConmonPid.
#[test]
fn conmon_pidfile() {
    let d = with_image();
    let pidfile = d.dir.path().join("conmon.pid");
    let cid = ok(&d, &["run", "--conmon-pidfile", pidfile.to_str().unwrap(), "-d", IMAGE, "sleep", "600"]);
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    assert_eq!(field(&d, cid.trim(), "{{.State.ConmonPid}}"), pid.trim());
    let exe = std::fs::read_link(format!("/proc/{}/exe", pid.trim())).unwrap();
    assert!(exe.to_string_lossy().ends_with("/conmon"), "{exe:?}");
    ok(&d, &["rm", "-f", "-t", "0", cid.trim()]);
}

/// C-run030-8 (a runtime flag; here the container's, since the runtime is
/// berthd's), C-podcreate-130 (--ipc host against a pod's /dev/shm) and
/// --ipc's modes, C-run030-92 (700,000 NULs reach the log whole).
#[test]
fn runtime_flags_ipc_and_big_output() {
    let d = with_image();
    let (code, _, err) = run(&d, &["run", "--rm", "--runtime-flag", "invalidflag", IMAGE, "true"]);
    assert_eq!(code, 126, "{err}");
    assert!(err.contains("invalidflag"), "{err}");
    assert_eq!(count(&d), 0, "--rm removes a container whose start failed");
    ok(&d, &["create", "--name", "logjson", "--runtime-flag", "log-format=json", IMAGE, "true"]);
    assert_eq!(field(&d, "logjson", "{{.Config.RuntimeFlags}}"), "[--log-format=json]");
    ok(&d, &["start", "logjson"]);
    assert_eq!(ok(&d, &["wait", "logjson"]), "0\n");
    ok(&d, &["rm", "logjson"]);

    let ours = std::fs::read_link("/proc/self/ns/ipc").unwrap().to_string_lossy().into_owned();
    let ns = |args: &[&str]| {
        let mut all = vec!["run", "--rm"];
        all.extend(args);
        all.extend([IMAGE, "/bin/busybox", "readlink", "/proc/self/ns/ipc"]);
        ok(&d, &all).trim().to_string()
    };
    assert_eq!(ns(&["--ipc", "host"]), ours);
    assert_ne!(ns(&[]), ours);
    let (code, _, err) = run(&d, &["run", "--rm", "--ipc", "host", "--shm-size", "10m", IMAGE, "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("cannot set shmsize when running in the host IPC namespace"), "{err}");
    let (code, _, err) = run(&d, &["run", "--rm", "--ipc", "bogus", IMAGE, "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("invalid ipc namespace \"bogus\""), "{err}");
    ok(&d, &["pod", "create", "--shm-size", "10mb", "--name", "shmpod"]);
    let (code, _, err) = run(&d, &["run", "-d", "--pod", "shmpod", "--ipc", "host", IMAGE, "top"]);
    assert_ne!(code, 0);
    assert!(err.contains("cannot set an IPC namespace when joining the pod's IPC namespace"), "{err}");

    ok(&d, &["run", "--name", "big", IMAGE, "dd", "if=/dev/zero", "count=700", "bs=1000"]);
    let log = std::fs::read(field(&d, "big", "{{.LogPath}}")).unwrap();
    assert_eq!(log.iter().filter(|b| **b == 0).count(), 700_000);
}

/// C-podcreate-114/115 and podman's --security-opt seccomp: berth's default
/// profile filters every container (lifted by seccomp=unconfined and by
/// --privileged) and denies what needs a capability it lacks, such as a
/// user namespace; a profile file is applied as written; a pod's profile
/// is its members'.
#[test]
fn seccomp_profiles() {
    let d = with_image();
    let seccomp = |args: &[&str]| {
        let mut all = vec!["run", "--rm", "--user", "root"];
        all.extend(args);
        all.extend([IMAGE, "/bin/sh", "-c", "grep ^Seccomp: /proc/self/status"]);
        ok(&d, &all).trim().to_string()
    };
    assert_eq!(seccomp(&[]), "Seccomp:\t2");
    assert_eq!(seccomp(&["--security-opt", "seccomp=unconfined"]), "Seccomp:\t0");
    assert_eq!(seccomp(&["--privileged"]), "Seccomp:\t0");
    let userns = |extra: &[&str]| {
        let mut all = vec!["run", "--rm", "--user", "root"];
        all.extend(extra);
        all.extend([IMAGE, "/bin/busybox", "unshare", "-U", "true"]);
        run(&d, &all)
    };
    let (code, _, err) = userns(&[]);
    assert_ne!(code, 0);
    assert!(err.contains("Operation not permitted"), "{err}");
    assert_eq!(userns(&["--security-opt", "seccomp=unconfined"]).0, 0);
    assert_eq!(userns(&["--cap-add", "SYS_ADMIN"]).0, 0, "the capability lifts the denial");

    let profile = d.dir.path().join("no-mkdir.json");
    let rules = r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}"#;
    std::fs::write(&profile, rules).unwrap();
    let opt = format!("seccomp={}", profile.display());
    ok(&d, &["create", "--name", "nomkdir", "--security-opt", &opt, IMAGE, "/bin/busybox", "mkdir", "/x"]);
    assert_eq!(field(&d, "nomkdir", "{{.Config.SeccompProfile}}"), profile.display().to_string());
    ok(&d, &["start", "nomkdir"]);
    assert_eq!(ok(&d, &["wait", "nomkdir"]), "1\n");
    let (_, _, said) = run(&d, &["logs", "nomkdir"]);
    assert!(said.contains("Operation not permitted"), "{said}");
    let (code, _, err) = run(&d, &["create", "--security-opt", "seccomp=/nonexistent.json", IMAGE, "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("/nonexistent.json"), "{err}");

    ok(&d, &["pod", "create", "--security-opt", "seccomp=unconfined", "--name", "sp"]);
    let member = ok(&d, &["create", "--pod", "sp", IMAGE, "true"]).trim().to_string();
    assert_eq!(field(&d, &member, "{{.Config.SeccompProfile}}"), "unconfined");
    assert_eq!(seccomp(&["--pod", "sp"]), "Seccomp:\t0");
    assert_eq!(field(&d, "nomkdir", "{{.Config.SeccompProfile}}"), profile.display().to_string());
}
