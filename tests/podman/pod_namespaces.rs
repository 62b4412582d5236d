//! 200-pod.bats and pod_create_test.go: what a pod's members share, its
//! infra container's namespaces (podman's --share), and its hostname.

use super::*;

const IMAGE: &str = "quay.io/libpod/alpine:latest";

fn in_pod(d: &Daemon, pod: &str, extra: &[&str], script: &str) -> String {
    let mut args = vec!["run", "--rm", "--pod", pod];
    args.extend(extra);
    args.extend([IMAGE, "/bin/sh", "-c", script]);
    ok(d, &args)
}

/// C-podbats-46..49: --share's values, what inspect shows, and a UTS
/// namespace a pod does not share.
#[test]
fn pod_create_share() {
    let d = with_image();
    let (code, _, err) = run(&d, &["pod", "create", "--share", "bogus", "--name", "sharepod"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("invalid kernel namespace to share: bogus. Options are: cgroup, ipc, net, pid, uts or none"),
        "{err}"
    );
    ok(&d, &["pod", "create", "--share", "ipc", "--name", "sharepod"]);
    assert_eq!(ok(&d, &["pod", "inspect", "--format", "{{.SharedNamespaces}}", "sharepod"]), "[ipc]\n");
    assert_eq!(in_pod(&d, "sharepod", &["--hostname", "foobar"], "/bin/busybox hostname"), "foobar\n");
    ok(&d, &["pod", "create", "--share", "+pid", "--replace", "--name", "sharepod"]);
    let shared = ok(&d, &["pod", "inspect", "--format", "{{.SharedNamespaces}}", "sharepod"]);
    assert_eq!(shared, "[ipc net pid uts]\n");
    // Sharing needs an infra container.
    assert_eq!(run(&d, &["pod", "create", "--infra=false", "--share", "ipc"]).0, 125);
}

/// C-podbats-21, 29, 30, 50..52: members share /dev/shm (the IPC
/// namespace) and the pod's hostname, which they may not change; a pod
/// made by `--pod new:` takes the --hostname given, else its name. Also
/// what --share +pid and the default net give members: the infra
/// container's processes and one network namespace.
#[test]
fn members_share_the_infra_containers_namespaces() {
    let d = with_image();
    ok(&d, &["pod", "create", "--name", "mypod", "--hostname", "pod-host"]);
    in_pod(&d, "mypod", &[], "touch /dev/shm/test1");
    assert_eq!(in_pod(&d, "mypod", &[], "ls /dev/shm/test1"), "/dev/shm/test1\n");
    assert_eq!(in_pod(&d, "mypod", &[], "/bin/busybox hostname; cat /etc/hostname"), "pod-host\npod-host\n");
    let (code, _, err) = run(&d, &["run", "--rm", "--pod", "mypod", "--hostname", "foobar", IMAGE, "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("invalid config provided: cannot set hostname when joining the pod UTS namespace"), "{err}");
    let net = |extra: &[&str]| {
        let mut args = vec!["run", "--rm"];
        args.extend(extra);
        args.extend([IMAGE, "/bin/busybox", "readlink", "/proc/self/ns/net"]);
        ok(&d, &args)
    };
    let first = net(&["--pod", "mypod"]);
    assert_eq!(net(&["--pod", "mypod"]), first, "members share one network namespace");
    assert_ne!(net(&[]), first);
    // C-podbats-14, 16, 17: members talk over the pod's loopback. busybox
    // nc ends when the other side shuts its half, which the listener does
    // at once (its input is empty): the client's message comes from a file,
    // read before that, not from a pipe that a loaded machine may fill late.
    ok(&d, &["run", "-d", "--pod", "mypod", "--name", "listener", IMAGE, "/bin/busybox", "nc", "-l", "-p", "5555"]);
    let sent = (0..50).any(|_| {
        let (code, _, _) = run(
            &d,
            &[
                "run",
                "--rm",
                "--pod",
                "mypod",
                IMAGE,
                "/bin/sh",
                "-c",
                "echo over-loopback >/tmp/m && /bin/busybox nc 127.0.0.1 5555 </tmp/m",
            ],
        );
        code == 0 || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            false
        }
    });
    assert!(sent, "nothing listened on the pod's loopback");
    ok(&d, &["wait", "listener"]);
    assert_eq!(ok(&d, &["logs", "listener"]), "over-loopback\n");
    ok(&d, &["rm", "listener"]);
    ok(&d, &["pod", "rm", "-f", "-t", "0", "mypod"]);

    ok(&d, &["pod", "create", "--name", "pidpod", "--share", "+pid"]);
    let ps = in_pod(&d, "pidpod", &[], "/bin/busybox ps -o args");
    assert!(ps.contains("sleep 2147483647"), "the infra container's process is seen: {ps}");
    ok(&d, &["pod", "rm", "-f", "-t", "0", "pidpod"]);

    let hostname =
        ok(&d, &["run", "--rm", "--pod", "new:newpod", "--hostname", "foobar", IMAGE, "/bin/busybox", "hostname"]);
    assert_eq!(hostname, "foobar\n");
    ok(&d, &["pod", "rm", "newpod"]);
    assert_eq!(ok(&d, &["run", "--rm", "--pod", "new:newpod", IMAGE, "/bin/busybox", "hostname"]), "newpod\n");
    ok(&d, &["pod", "rm", "-f", "-t", "0", "newpod"]);
}

/// C-podbats-64..68: exit policies; a pod whose last member exited is
/// Degraded while its infra container runs (continue), Exited when the
/// policy stops it.
#[test]
fn pod_exit_policies() {
    let d = with_image();
    let policy = |pod: &str| ok(&d, &["pod", "inspect", "--format", "{{.ExitPolicy}}", pod]);
    ok(&d, &["pod", "create", "--infra", "--name", "dflt"]);
    assert_eq!(policy("dflt"), "continue\n");
    ok(&d, &["pod", "rm", "dflt"]);
    ok(&d, &["pod", "create", "--exit-policy", "stop", "--name", "stopper"]);
    assert_eq!(policy("stopper"), "stop\n");
    ok(&d, &["pod", "rm", "stopper"]);
    let (code, _, err) = run(&d, &["pod", "create", "--exit-policy", "invalid"]);
    assert_eq!(code, 125);
    assert!(err.contains("running pod create option: invalid pod exit policy: \"invalid\""), "{err}");

    let state = |pod: &str, want: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let now = ok(&d, &["pod", "inspect", "--format", "{{.State}}", pod]);
            if now.trim() == want || std::time::Instant::now() > deadline {
                return now.trim().to_string();
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };
    ok(&d, &["pod", "create", "--exit-policy", "continue", "--name", "cont"]);
    ok(&d, &["run", "--pod", "cont", IMAGE, "true"]);
    assert_eq!(state("cont", "Degraded"), "Degraded");
    ok(&d, &["pod", "create", "--exit-policy", "stop", "--name", "stop"]);
    ok(&d, &["run", "--pod", "stop", IMAGE, "true"]);
    assert_eq!(state("stop", "Exited"), "Exited");
    ok(&d, &["pod", "rm", "stop"]);
    ok(&d, &["pod", "rm", "-f", "-t", "0", "cont"]);
}

/// C-podbats-56..58: `rm --depend` of an infra container takes its pod's
/// members and the pod (whose name is free again); `rm -af` takes infra
/// containers too.
#[test]
fn rm_depend_and_all_force_take_infra_containers() {
    let d = with_image();
    let member = ok(&d, &["create", "--pod", "new:dependpod", IMAGE]).trim().to_string();
    let infra = ok(&d, &["pod", "inspect", "--format", "{{.InfraContainerID}}", "dependpod"]).trim().to_string();
    let out = ok(&d, &["container", "rm", "--depend", &infra]);
    assert!(out.contains(&infra) && out.contains(&member), "{out}");
    assert_eq!(run(&d, &["pod", "exists", "dependpod"]).0, 1);
    let ctr1 = ok(&d, &["create", "--pod", "new:dependpod", IMAGE]).trim().to_string();
    let ctr2 = ok(&d, &["create", "--pod", "dependpod", IMAGE]).trim().to_string();
    let ctr3 = ok(&d, &["create", IMAGE]).trim().to_string();
    let infra = ok(&d, &["pod", "inspect", "--format", "{{.InfraContainerID}}", "dependpod"]).trim().to_string();
    let out = ok(&d, &["container", "rm", "--force", "--all"]);
    for id in [&infra, &ctr1, &ctr2, &ctr3] {
        assert!(out.contains(id.as_str()), "{id}: {out}");
    }
    assert_eq!(count(&d), 0);
}

/// C-podcreate-96..101, 102..104, 105..107, 118..121, 126..129: what a
/// pod's infra container is given, its members have: its volumes (one of
/// theirs beside), those of another container, its devices, the sysctls
/// of the namespaces they join (not of those they do not), and a /dev/shm
/// of the pod's size.
#[test]
fn members_inherit_the_infra_containers_volumes_devices_and_sysctls() {
    let d = with_image();
    ok(&d, &["volume", "create", "testVol"]);
    ok(&d, &["pod", "create", "--volume", "testVol:/tmp1", "--name", "testPod"]);
    assert_eq!(ok(&d, &["pod", "inspect", "--format", "{{(index .Mounts 0).Name}}", "testPod"]), "testVol\n");
    ok(&d, &["create", "--pod", "testPod", "--name", "testCtr", IMAGE]);
    assert_eq!(ok(&d, &["inspect", "--format", "{{(index .Mounts 0).Name}}", "testCtr"]), "testVol\n");
    in_pod(&d, "testPod", &["--user", "0"], "echo hello >> /tmp1/test");
    assert!(in_pod(&d, "testPod", &[], "cat /tmp1/test").contains("hello"));
    in_pod(&d, "testPod", &["--user", "0"], "touch /tmp1/testing.txt");
    assert_eq!(run(&d, &["volume", "rm", "testVol"]).0, 125, "the pod's containers use it");
    ok(&d, &["volume", "create", "testVol2"]);
    let mounts = in_pod(&d, "testPod", &["-v", "testVol2:/vol2"], "cat /proc/self/mountinfo");
    assert!(mounts.contains(" /tmp1 ") && mounts.contains(" /vol2 "), "{mounts}");
    ok(&d, &["rm", "testCtr"]);
    ok(&d, &["pod", "rm", "-f", "-t", "0", "testPod"]);

    ok(&d, &["create", "--volume", "testVol:/tmp1", "--name", "volsrc", IMAGE]);
    ok(&d, &["pod", "create", "--volumes-from", "volsrc", "--name", "fromPod"]);
    assert_eq!(ok(&d, &["pod", "inspect", "--format", "{{(index .Mounts 0).Name}}", "fromPod"]), "testVol\n");
    assert!(in_pod(&d, "fromPod", &[], "cat /tmp1/test").contains("hello"));
    ok(&d, &["pod", "rm", "-f", "-t", "0", "fromPod"]);

    ok(&d, &["pod", "create", "--device", "/dev/null:/dev/bar", "--name", "devPod"]);
    assert_eq!(in_pod(&d, "devPod", &[], "/bin/busybox stat -c %t:%T /dev/bar"), "1:3\n");
    ok(&d, &["pod", "rm", "-f", "-t", "0", "devPod"]);

    let sysctl = |pod_args: &[&str], key: &str| {
        let mut args = vec!["pod", "create", "--name", "sysPod"];
        args.extend(pod_args);
        ok(&d, &args);
        let path = format!("/proc/sys/{}", key.replace('.', "/"));
        let value = in_pod(&d, "sysPod", &[], &format!("cat {path}"));
        ok(&d, &["pod", "rm", "-f", "-t", "0", "sysPod"]);
        value.trim().to_string()
    };
    assert_eq!(sysctl(&["--sysctl", "net.core.somaxconn=65535"], "net.core.somaxconn"), "65535");
    assert_ne!(sysctl(&["--share", "pid", "--sysctl", "net.core.somaxconn=65535"], "net.core.somaxconn"), "65535");
    assert_eq!(sysctl(&["--sysctl", "kernel.msgmax=65535"], "kernel.msgmax"), "65535");
    assert_ne!(sysctl(&["--share", "pid", "--sysctl", "kernel.msgmax=65535"], "kernel.msgmax"), "65535");

    ok(&d, &["pod", "create", "--shm-size", "10mb", "--name", "shmPod"]);
    let mounts = in_pod(&d, "shmPod", &[], "cat /proc/self/mounts");
    let shm = mounts.lines().find(|l| l.starts_with("shm /dev/shm tmpfs")).unwrap_or_default().to_string();
    assert!(shm.contains("size=10240k"), "{mounts}");
    ok(&d, &["pod", "rm", "-f", "-t", "0", "shmPod"]);
    assert_eq!(run(&d, &["pod", "create", "--infra=false", "--volume", "testVol:/x"]).0, 125);
}

/// C-podcreate-47..52, 56..58: what an infra container runs: by default
/// busybox sleeping for ever (podman's is catatonit -P), or the
/// --infra-command given, in berth's root or an --infra-image's. Path is
/// the program and Args the rest (podman repeats the program in Args when
/// the command has no arguments).
#[test]
fn infra_commands_and_images() {
    let d = with_image();
    let infra_of = |pod: &str| ok(&d, &["pod", "inspect", "--format", "{{.InfraContainerID}}", pod]).trim().to_string();
    let show = |pod: &str, template: &str| ok(&d, &["container", "inspect", "--format", template, &infra_of(pod)]);
    ok(&d, &["pod", "create", "--infra", "--name", "test"]);
    ok(&d, &["pod", "inspect", "test"]);
    assert_eq!(show("test", "{{.Config.Entrypoint}}"), "[/bin/busybox sleep 2147483647]\n");
    assert_eq!(show("test", "{{.Path}}:{{.Args}}"), "/bin/busybox:[sleep 2147483647]\n");
    ok(&d, &["pod", "create", "--infra-command", "/pause1", "--name", "pause"]);
    assert_eq!(show("pause", "{{.Config.Entrypoint}}"), "[/pause1]\n");
    assert_eq!(show("pause", "{{.Path}}:{{.Args}}"), "/pause1:[]\n");
    ok(&d, &["pod", "create", "--infra-image", IMAGE, "--infra-command", "/fromcommand", "--name", "fromimage"]);
    assert_eq!(show("fromimage", "{{.Config.Entrypoint}}"), "[/fromcommand]\n");
    assert_eq!(show("fromimage", "{{.Path}}:{{.Args}}"), "/fromcommand:[]\n");
    assert_eq!(show("fromimage", "{{.ImageName}}"), format!("{IMAGE}\n"));
    ok(&d, &["pod", "create", "--infra-image", IMAGE, "--share", "none", "--name", "imagecmd"]);
    assert_eq!(
        show("imagecmd", "{{.Config.Command}}"),
        "[/bin/sh -c echo from the image; pwd; id -u; echo $IMAGE_VAR]\n"
    );
    assert_eq!(run(&d, &["pod", "create", "--infra-image", "no-such-image"]).0, 125);
    assert_eq!(ok(&d, &["pod", "ps", "-q"]).lines().count(), 4, "nothing of a refused pod is left");
}

/// A-create-36, 37 and C-podcreate-53..55: an image's entrypoint and
/// command are kept apart in inspect, and an infra container made from an
/// image with an entrypoint runs it.
#[test]
fn image_entrypoints() {
    let d = with_image();
    let img = common::image::build_with(
        &d.dir.path().join("entrypoint-image"),
        serde_json::json!({ "Entrypoint": ["/fromimage"], "Cmd": ["redis-server"], "Env": ["PATH=/bin"] }),
    );
    ok(&d, &["image", "import", img.layout.to_str().unwrap(), "localhost/infra:latest"]);
    ok(&d, &["create", "--name", "test101", "localhost/infra"]);
    let config = ok(&d, &["inspect", "--format", "{{json .Config}}", "test101"]);
    let config: serde_json::Value = serde_json::from_str(&config).unwrap();
    assert_eq!(
        (config["command"].clone(), config["entrypoint"].clone()),
        (json_list(&["redis-server"]), json_list(&["/fromimage"]))
    );
    ok(&d, &["pod", "create", "--infra-image", "localhost/infra", "--name", "test"]);
    ok(&d, &["pod", "inspect", "test"]);
    let infra = ok(&d, &["pod", "inspect", "--format", "{{.InfraContainerID}}", "test"]).trim().to_string();
    let show = |t: &str| ok(&d, &["container", "inspect", "--format", t, &infra]);
    assert_eq!(show("{{.Config.Entrypoint}}"), "[/fromimage]\n");
    assert_eq!(show("{{.Path}}:{{.Args}}"), "/fromimage:[redis-server]\n");
}

fn json_list(items: &[&str]) -> serde_json::Value {
    serde_json::json!(items)
}

/// C-podbats-8: an infra image that is not there fails the pod's create
/// (berth says the image is not known where podman, which would pull it,
/// names the registry it failed to read) and leaves no pod.
#[test]
fn missing_infra_image() {
    let d = with_image();
    let (code, _, err) = run(&d, &["pod", "create", "--infra-image", "i.do/not/exist:image"]);
    assert_eq!(code, 125);
    assert!(err.contains("i.do/not/exist:image: image not known"), "{err}");
    assert_eq!(ok(&d, &["pod", "ps", "-q"]), "");
}

/// C-podcreate-73..77, 131, 132: a pod's --pid and --uts (private, host,
/// ns:PATH; not pod or container:ID), shown as InfraConfig; members of a
/// pod in the host's UTS namespace see the host's hostname.
#[test]
fn pod_pid_and_uts_namespaces() {
    let d = with_image();
    let infra =
        |pod: &str, field: &str| ok(&d, &["pod", "inspect", "--format", &format!("{{{{.InfraConfig.{field}}}}}"), pod]);
    ok(&d, &["pod", "create", "--pid", "ns:/proc/self/ns/", "--name", "pidPod", "--share", "pid"]);
    assert_eq!(infra("pidPod", "PidNS"), "ns:/proc/self/ns/\n");
    assert_ne!(run(&d, &["pod", "create", "--pid", "pod", "--name", "pidPod2", "--share", "pid"]).0, 0);
    for mode in ["host", "private"] {
        let pod = format!("pid-{mode}");
        ok(&d, &["pod", "create", "--pid", mode, "--name", &pod]);
        assert_eq!(infra(&pod, "PidNS"), format!("{mode}\n"));
    }
    assert_ne!(run(&d, &["pod", "create", "--pid", "container:randomfakeid"]).0, 0);

    ok(&d, &["pod", "create", "--uts", "host", "--name", "utshost"]);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let env = ok(&d, &["run", "--rm", "--pod", "utshost", IMAGE, "/bin/busybox", "env"]);
    assert!(env.lines().any(|l| l == format!("HOSTNAME={}", host.trim())), "{env}");
    assert_eq!(ok(&d, &["run", "--rm", "--pod", "utshost", IMAGE, "/bin/busybox", "hostname"]), host);
    ok(&d, &["pod", "create", "--uts", "ns:/proc/self/ns/", "--name", "utsPod", "--share", "uts"]);
    assert_eq!(infra("utsPod", "UtsNS"), "ns:/proc/self/ns/\n");
    ok(&d, &["pod", "rm", "-af", "-t", "0"]);
    assert_eq!(std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap(), host, "the host's hostname is as it was");
}

/// C-podcreate-69..72: a pod's --cpus and --cpuset-cpus, in pod inspect
/// as podman shows them and in the pod's own cgroup, which its members
/// are in. C-podcreate-122..125: --share-parent=false keeps members out of
/// it, and only then may they share the infra container's cgroup namespace.
#[test]
fn pod_cpu_limits_and_share_parent() {
    let d = with_image();
    ok(&d, &["pod", "create", "--cpus", "1.5", "--cpuset-cpus", "0", "--name", "cpupod"]);
    let limits = ok(&d, &["pod", "inspect", "--format", "{{.CPUPeriod}} {{.CPUQuota}} {{.CPUSetCPUs}}", "cpupod"]);
    assert_eq!(limits, "100000 150000 0\n");
    let path = ok(&d, &["pod", "inspect", "--format", "{{.CgroupPath}}", "cpupod"]).trim().to_string();
    let controller = |name: &str, file: &str| {
        let dir = std::path::Path::new("/sys/fs/cgroup").join(name).join(path.trim_start_matches('/'));
        std::fs::read_to_string(dir.join(file)).map(|v| v.trim().to_string())
    };
    assert_eq!(controller("cpu", "cpu.cfs_quota_us").unwrap(), "150000");
    assert_eq!(controller("cpu", "cpu.cfs_period_us").unwrap(), "100000");
    assert_eq!(controller("cpuset", "cpuset.cpus").unwrap(), "0");
    let member = ok(&d, &["run", "-d", "--pod", "cpupod", IMAGE, "sleep", "600"]).trim().to_string();
    let pid = ok(&d, &["inspect", "--format", "{{.State.Pid}}", &member]).trim().to_string();
    let cgroups = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let cpu_line = cgroups.lines().find(|l| l.contains(":cpu,") || l.contains(":cpu:")).unwrap_or_default();
    assert!(cpu_line.contains(&format!("{path}/")), "the member is under the pod's cgroup: {cgroups}");
    assert_eq!(in_pod(&d, "cpupod", &[], "/bin/busybox nproc"), "1\n", "cpuset 0 leaves one CPU");
    assert_eq!(ok(&d, &["run", "--rm", "--cpuset-cpus", "0", IMAGE, "/bin/busybox", "nproc"]), "1\n");
    ok(&d, &["pod", "rm", "-f", "-t", "0", "cpupod"]);
    assert!(controller("cpu", "cpu.cfs_quota_us").is_err(), "the pod's cgroup goes with it");
    for (bad, says) in [
        (vec!["--cpuset-cpus", "one"], "is not a list of CPUs"),
        (vec!["--cpus", "1", "--share-parent=false"], "a pod's CPU limits are those of its own cgroup"),
    ] {
        let mut args = vec!["pod", "create"];
        args.extend(bad);
        let (code, _, err) = run(&d, &args);
        assert_eq!(code, 125);
        assert!(err.contains(says), "{err}");
    }

    ok(&d, &["pod", "create", "--share-parent=false", "--name", "noparent"]);
    let member = ok(&d, &["run", "-d", "--pod", "noparent", IMAGE, "sleep", "600"]).trim().to_string();
    assert_eq!(ok(&d, &["pod", "inspect", "--format", "{{.CgroupPath}}", "noparent"]), "\n");
    let parent = ok(&d, &["inspect", "--format", "{{.Config.CgroupParent}}", &member]);
    assert_eq!(parent, ok(&d, &["inspect", "--format", "{{.Config.CgroupParent}}", &create(&d, &[], &["true"])]));
    ok(&d, &["pod", "create", "--share", "cgroup,ipc,net,uts", "--share-parent=false", "--infra-name", "cgroupCtr"]);
    let joined = ok(
        &d,
        &[
            "run",
            "-d",
            "--pod",
            ok(&d, &["inspect", "--format", "{{.Config.Pod}}", "cgroupCtr"]).trim(),
            IMAGE,
            "sleep",
            "600",
        ],
    );
    let ns = |name: &str| {
        let pid = ok(&d, &["inspect", "--format", "{{.State.Pid}}", name]).trim().to_string();
        std::fs::read_link(format!("/proc/{pid}/ns/cgroup")).unwrap()
    };
    assert_eq!(ns(joined.trim()), ns("cgroupCtr"), "the member is in the infra container's cgroup namespace");
    let (code, _, err) = run(&d, &["pod", "create", "--share", "cgroup"]);
    assert_eq!(code, 125);
    assert!(
        err.contains(
            "cannot define the pod as the cgroup parent at the same time as joining the infra container's cgroupNS"
        ),
        "{err}"
    );
    ok(&d, &["pod", "rm", "-af", "-t", "0"]);
    ok(&d, &["rm", "-af", "-t", "0"]);
}
