//! Bridge networks through netavark (issue 18), with berthd in a network
//! namespace the test made (never the host's): records, a published port
//! reached from berthd's namespace, names resolved by aardvark-dns, the
//! /etc files, and a teardown that leaves no interface or namespace.

use super::*;
use std::process::Command;

const IMAGE: &str = "quay.io/libpod/alpine:latest";

fn with_image_in_netns() -> Daemon {
    let d = Daemon::start_in_netns();
    let img = common::image::build(&d.dir.path().join("img"));
    ok(&d, &["image", "import", img.layout.to_str().unwrap(), IMAGE]);
    d
}

/// `sh` in berthd's network namespace: its output, asserting success.
fn in_ns(d: &Daemon, script: &str) -> String {
    let out = d.in_netns(script);
    assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn bridge_networks_publish_ports_and_resolve_names() {
    let d = with_image_in_netns();
    assert_eq!(ok(&d, &["network", "ls", "-q"]), "berth\n", "the default network exists from the start");
    assert_eq!(ok(&d, &["network", "create", "--subnet", "10.89.7.0/24", "web-net"]), "web-net\n");
    let shown = ok(
        &d,
        &["network", "inspect", "--format", "{{.Subnet}} {{.Gateway}} {{.Interface}} {{.DnsEnabled}}", "web-net"],
    );
    assert_eq!(shown, "10.89.7.0/24 10.89.7.1 berth1 true\n");
    let (code, _, err) = run(&d, &["network", "create", "--subnet", "10.89.7.128/25", "overlap"]);
    assert_eq!(code, 125);
    assert!(err.contains("subnet 10.89.7.128/25 is already used"), "{err}");

    // A web server on web-net, its port 80 published as 8080.
    let serve = "mkdir -p /tmp/www && echo hello from web > /tmp/www/index.html && exec /bin/busybox httpd -f -p 80 -h /tmp/www";
    ok(
        &d,
        &[
            "run",
            "-d",
            "--name",
            "web",
            "--user",
            "root",
            "--network",
            "web-net",
            "-p",
            "8080:80",
            IMAGE,
            "/bin/sh",
            "-c",
            serve,
        ],
    );
    let listed = ok(&d, &["ps", "--format", "{{.Names}} {{.Ports}}", "--filter", "name=^web$"]);
    assert_eq!(listed, "web 0.0.0.0:8080->80/tcp\n");
    let placed = "{{(index .Networks 0).Name}} {{(index .Networks 0).IpAddress}} {{(index .Ports 0).HostPort}}";
    assert_eq!(ok(&d, &["inspect", "--format", placed, "web"]), "web-net 10.89.7.2 8080\n");
    let hosts = ok(&d, &["exec", "web", "/bin/busybox", "cat", "/etc/hosts"]);
    assert!(
        hosts.contains("10.89.7.2\t")
            && hosts.contains(" web\n")
            && hosts.contains("10.89.7.1\thost.containers.internal"),
        "{hosts}"
    );
    let resolv = ok(&d, &["exec", "web", "/bin/busybox", "cat", "/etc/resolv.conf"]);
    assert!(resolv.contains("nameserver 10.89.7.1") && resolv.contains("search dns.podman"), "{resolv}");
    let fetch = |url: &str| {
        let script = format!("for i in $(seq 50); do /bin/busybox wget -qO- {url} && exit 0; sleep 0.1; done; exit 1");
        in_ns(&d, &script)
    };
    assert_eq!(fetch("http://10.89.7.2:80/"), "hello from web\n", "straight to the container");
    assert_eq!(fetch("http://10.89.7.1:8080/"), "hello from web\n", "through the published port");
    // Another container on the network reaches it by name.
    let by_name =
        ok(&d, &["run", "--rm", "--network", "web-net", IMAGE, "/bin/busybox", "wget", "-qO-", "http://web/"]);
    assert_eq!(by_name, "hello from web\n");
    // --network container:web: in web's namespace, so its localhost.
    let args = ["create", "--name", "joiner", "--network", "container:web", IMAGE];
    ok(&d, &[&args[..], &["/bin/busybox", "wget", "-qO-", "http://127.0.0.1:80/"]].concat());
    ok(&d, &["start", "joiner"]);
    assert_eq!(ok(&d, &["wait", "joiner"]), "0\n");
    assert_eq!(ok(&d, &["logs", "joiner"]), "hello from web\n");
    let (code, _, err) = run(&d, &["rm", "-f", "web"]);
    assert_ne!(code, 0, "web has a dependent: {err}");
    ok(&d, &["rm", "joiner"]);

    // Connected to a second network while it runs, then taken off it.
    ok(&d, &["network", "create", "--subnet", "10.89.6.0/24", "back-net"]);
    ok(&d, &["network", "connect", "--alias", "www", "back-net", "web"]);
    let names =
        ok(&d, &["inspect", "--format", "{{(index .Networks 1).Name}} {{(index .Networks 1).IpAddress}}", "web"]);
    assert_eq!(names, "back-net 10.89.6.2\n");
    assert_eq!(fetch("http://10.89.6.2:80/"), "hello from web\n", "reached on the network it joined");
    assert!(ok(&d, &["exec", "web", "cat", "/etc/hosts"]).contains("10.89.6.2\t"), "its new address in /etc/hosts");
    let (code, _, err) = run(&d, &["network", "connect", "back-net", "web"]);
    assert_eq!(code, 125);
    assert!(err.contains("container web is already connected to network back-net"), "{err}");
    ok(&d, &["network", "disconnect", "back-net", "web"]);
    assert!(!d.in_netns("/bin/busybox wget -T 1 -qO- http://10.89.6.2:80/").status.success(), "gone from it");
    assert_eq!(fetch("http://10.89.7.2:80/"), "hello from web\n", "still on web-net");
    assert!(!ok(&d, &["exec", "web", "cat", "/etc/hosts"]).contains("10.89.6.2"), "and gone from /etc/hosts");
    let lone = ok(&d, &["create", "--network", "none", IMAGE, "true"]).trim().to_string();
    let (code, _, err) = run(&d, &["network", "connect", "back-net", &lone]);
    assert_eq!(code, 125);
    assert!(err.contains("has no bridge networks of its own"), "{err}");
    ok(&d, &["rm", &lone]);
    ok(&d, &["network", "rm", "back-net"]);

    // A static address, and one already given out.
    let fixed = ok(&d, &["create", "--network", "web-net", "--ip", "10.89.7.50", IMAGE, "true"]).trim().to_string();
    assert_eq!(ok(&d, &["inspect", "--format", "{{(index .Networks 0).IpAddress}}", &fixed]), "10.89.7.50\n");
    let (code, _, err) = run(&d, &["create", "--network", "web-net", "--ip", "10.89.7.50", IMAGE, "true"]);
    assert_eq!(code, 125);
    assert!(
        err.contains(&format!("requested ip address 10.89.7.50 is already allocated to container ID {fixed}")),
        "{err}"
    );
    ok(&d, &["rm", &fixed]);

    // A host port taken: by a running container, by a listening process;
    // the start fails (podman's 126), and --rm removes what it created
    // (C-run030-127..129).
    let (code, _, err) = run(
        &d,
        &["run", "--rm", "-d", "--name", "c_fail_with_rm", "--network", "web-net", "-p", "8080:80", IMAGE, "true"],
    );
    assert_eq!(code, 126);
    assert!(err.contains("listen 0.0.0.0:8080: bind: address already in use (container web publishes it)"), "{err}");
    let (code, _, _) =
        run(&d, &["run", "-d", "--name", "c_fail_no_rm", "--network", "web-net", "-p", "8080:80", IMAGE, "true"]);
    assert_eq!(code, 126);
    let names = ok(&d, &["ps", "-a", "--format", "{{.Names}}", "--filter", "name=c_fail"]);
    assert_eq!(names, "c_fail_no_rm\n", "the one without --rm stays");
    ok(&d, &["rm", "c_fail_no_rm"]);
    let listener = Command::new("nsenter")
        .arg(format!("--net=/proc/{}/ns/net", d.child.id()))
        .args(["/bin/busybox", "nc", "-l", "-p", "9090"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let (code, _, err) = run(&d, &["run", "--rm", "--network", "web-net", "-p", "9090:80", IMAGE, "true"]);
    let mut listener = listener;
    let _ = listener.kill();
    let _ = listener.wait();
    assert_eq!(code, 126);
    assert!(err.contains("listen 0.0.0.0:9090: bind: address already in use (a process listens on it)"), "{err}");
    assert_eq!(std::fs::read_dir(d.dir.path().join("run/netns")).unwrap().count(), 1, "only web's namespace");

    // Bad input: an unknown network, a port out of range, a network in use.
    let (code, _, err) = run(&d, &["create", "--network", "nowhere", IMAGE, "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("unable to find network with name or ID nowhere"), "{err}");
    let (code, _, err) = run(&d, &["create", "-p", "70000:80", IMAGE, "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("out of range"), "{err}");
    let (code, _, err) = run(&d, &["network", "rm", "web-net"]);
    assert_eq!(code, 125);
    assert!(err.contains("network web-net is being used"), "{err}");

    // Stopping tears it down: no namespace file, no bridge once nothing is on it.
    let netns = d.dir.path().join("run/netns");
    ok(&d, &["stop", "-t", "0", "web"]);
    assert_eq!(std::fs::read_dir(&netns).unwrap().count(), 0);
    assert!(!in_ns(&d, "ip -o link").contains("berth1"));
    ok(&d, &["start", "web"]);
    assert_eq!(fetch("http://10.89.7.1:8080/"), "hello from web\n", "the same address and port after a restart");
    ok(&d, &["rm", "-f", "-t", "0", "web"]);
    assert_eq!(std::fs::read_dir(&netns).unwrap().count(), 0);
    assert_eq!(ok(&d, &["network", "rm", "web-net"]), "web-net\n");
    assert!(!in_ns(&d, "ip -o link").contains("berth1"));
    assert!(!in_ns(&d, "iptables -t nat -S").contains("10.89.7."), "no rule for the network is left");

    // A namespace file no running container owns (what a crash between
    // setup and the record could leave): Check finds it, repair removes it.
    let stray = netns.join("0123456789ab");
    let made = std::process::Command::new("unshare")
        .args(["--net", "/bin/sh", "-c", &format!("touch {0} && mount --bind /proc/self/ns/net {0}", stray.display())])
        .status()
        .unwrap();
    assert!(made.success());
    assert!(ok(&d, &["system", "check"]).contains("leaked-network-namespace"));
    ok(&d, &["system", "check", "--repair"]);
    assert!(!stray.exists());
    assert!(!ok(&d, &["system", "check"]).contains("leaked-network-namespace"));
}

/// C-podcreate-11..17, 64 and A-create-91: a pod's published ports are its infra container's,
/// on the pod's network, and reach any member; not without an infra
/// container, and not without -p (nothing listens on the host then).
#[test]
fn pods_publish_ports_for_their_members() {
    let d = with_image_in_netns();
    ok(&d, &["network", "create", "--subnet", "10.89.8.0/24", "pod-net"]);
    let id_file = d.dir.path().join("pod-id");
    ok(
        &d,
        &[
            "pod",
            "create",
            "--name",
            "webpod",
            "--network",
            "pod-net",
            "-p",
            "8081:80",
            "--pod-id-file",
            id_file.to_str().unwrap(),
        ],
    );
    let serve = "mkdir -p /tmp/www && echo hello from the pod > /tmp/www/index.html && exec /bin/busybox httpd -f -p 80 -h /tmp/www";
    ok(&d, &["run", "-d", "--pod-id-file", id_file.to_str().unwrap(), "--user", "root", IMAGE, "/bin/sh", "-c", serve]);
    let script =
        "for i in $(seq 50); do /bin/busybox wget -qO- http://10.89.8.1:8081/ && exit 0; sleep 0.1; done; exit 1";
    assert_eq!(in_ns(&d, script), "hello from the pod\n");
    // Without -p the port is not published.
    ok(&d, &["pod", "create", "--name", "quiet", "--network", "pod-net"]);
    ok(&d, &["run", "-d", "--pod", "quiet", "--user", "root", IMAGE, "/bin/sh", "-c", serve]);
    let quiet = d.in_netns("/bin/busybox wget -T 2 -qO- http://10.89.8.1:80/");
    assert!(!quiet.status.success(), "nothing is published on the host's port 80");
    // A member's ports are the pod's (A-create-91).
    for publish in ["-P", "--publish=8082:80"] {
        let (code, _, err) = run(&d, &["create", "--pod", "webpod", publish, IMAGE, "true"]);
        assert_eq!(code, 125);
        assert!(err.contains("published or exposed ports must be defined when the pod is created"), "{err}");
    }
    let (code, _, err) = run(&d, &["pod", "create", "--network", "container:doesnotmatter"]);
    assert_eq!(code, 125);
    assert!(err.contains("pods presently do not support network mode container"), "{err}");
    let (code, _, err) = run(&d, &["pod", "create", "--infra=false", "--name", "test", "-p", "80:80"]);
    assert_eq!(code, 125);
    assert!(err.contains("the pod needs one"), "{err}");
    ok(&d, &["pod", "rm", "-f", "-t", "0", "webpod", "quiet"]);
    assert_eq!(std::fs::read_dir(d.dir.path().join("run/netns")).unwrap().count(), 0);
    assert_eq!(ok(&d, &["network", "rm", "pod-net"]), "pod-net\n");
}

/// podman's -P: each port the image exposes, at a free host port, on the
/// default network when none is named.
#[test]
fn publish_all_exposed_ports() {
    let d = Daemon::start_in_netns();
    let serve =
        "mkdir -p /tmp/www && echo exposed > /tmp/www/index.html && exec /bin/busybox httpd -f -p 80 -h /tmp/www";
    let config = serde_json::json!({ "Cmd": ["/bin/sh", "-c", serve], "Env": ["PATH=/bin"], "User": "root",
                                     "ExposedPorts": { "80/tcp": {} } });
    let img = common::image::build_with(&d.dir.path().join("web-image"), config);
    ok(&d, &["image", "import", img.layout.to_str().unwrap(), "localhost/web:1"]);
    let id = ok(&d, &["run", "-d", "-P", "localhost/web:1"]).trim().to_string();
    let ports = ok(&d, &["ps", "--format", "{{.Ports}}", "--filter", &format!("id={id}")]);
    let host_port = ports.trim().strip_prefix("0.0.0.0:").and_then(|p| p.strip_suffix("->80/tcp")).expect(&ports);
    let script = format!("for i in $(seq 50); do /bin/busybox wget -qO- http://10.88.0.1:{host_port}/ && exit 0; sleep 0.1; done; exit 1");
    assert_eq!(in_ns(&d, &script), "exposed\n");
    ok(&d, &["rm", "-f", "-t", "0", &id]);
    let (code, _, err) = run(&d, &["create", "-P", "--network", "none", "localhost/web:1"]);
    assert_eq!(code, 125);
    assert!(err.contains("published ports need a bridge network"), "{err}");
}

/// B-insp-41/42, B-ps-12/13, 37..39, 44, 68..70: a container that names no
/// network is on the default one, running or not; ps shows and filters
/// networks and ports as podman's does.
#[test]
fn default_network_in_ps_and_inspect() {
    let d = with_image_in_netns();
    let networks = |c: &str| -> serde_json::Value {
        serde_json::from_str(&ok(&d, &["inspect", "--format", "{{json .Networks}}", c])).unwrap()
    };
    ok(&d, &["run", "-d", "--name", "testctr", IMAGE, "sleep", "1000"]);
    ok(&d, &["create", "--name", "stopped", IMAGE, "sleep", "1000"]);
    for c in ["testctr", "stopped"] {
        let on = networks(c);
        assert_eq!(on.as_array().map(Vec::len), Some(1), "{c}: {on}");
        assert_eq!(on[0]["name"], "berth");
    }
    assert_eq!(ok(&d, &["ps", "--all", "--format", "{{ .Networks }}", "--filter", "name=stopped"]), "berth\n");
    ok(&d, &["network", "create", "net1"]);
    ok(&d, &["network", "create", "net2"]);
    let two = ok(&d, &["create", "--network", "net1,net2", IMAGE]).trim().to_string();
    let shown = ok(&d, &["ps", "--all", "--format", "{{ .Networks }}", "--filter", &format!("id={two}")]);
    assert_eq!(shown, "net1,net2\n");
    let on_net1 = ok(&d, &["ps", "--all", "--no-trunc", "--filter", "network=net1", "--format", "{{.ID}}"]);
    assert_eq!(on_net1, format!("{two}\n"), "only the container on net1");
    assert_eq!(ok(&d, &["inspect", "net1", "--format", "{{.Driver}}"]), "bridge\n", "inspect finds networks too");
    ok(&d, &["create", "--name", "Ctnr_ports", "-p", "8084:80", IMAGE]);
    let ports = ok(&d, &["inspect", "--format=\"{{json .NetworkSettings.Ports}}\"", "Ctnr_ports"]);
    assert_eq!(ports, "\"{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8084\"}]}\"\n");
    ok(&d, &["rm", "Ctnr_ports"]);

    // One that joined another's namespace (network=container:NAME or ID).
    let alpha = ok(&d, &["run", "-d", "--name", "alpha", IMAGE, "sleep", "1000"]).trim().to_string();
    ok(&d, &["run", "-d", "--network", "container:alpha", "--name", "bravo", IMAGE, "sleep", "1000"]);
    for target in ["alpha", alpha.as_str()] {
        let filter = format!("network=container:{target}");
        let shown = ok(&d, &["ps", "-a", "--format", "table {{.Names}}", "--filter", &filter]);
        assert_eq!(shown, "NAMES\nbravo\n");
    }
    ok(&d, &["rm", "-f", "-t", "0", "bravo", "alpha", "testctr", "stopped", &two]);

    // Ranges, shown merged and by host port.
    let ranged = ok(&d, &["run", "-d", "-p", "2000-2006:2000-2006", IMAGE, "sleep", "1000"]).trim().to_string();
    let ports = ok(&d, &["ps", "--format", "{{.Ports}}", "--filter", &format!("id={ranged}")]);
    assert_eq!(ports, "0.0.0.0:2000-2006->2000-2006/tcp\n");
    let (code, _, err) = run(&d, &["run", "-p", "1000-2000:2000-3000", "-p", "1999-2999:3001-4001", IMAGE]);
    assert_eq!(code, 125);
    assert!(err.contains("conflicting port mappings for host port 1999"), "{err}");
    let many = [
        "-p",
        "3000-3001:3000-3001",
        "-p",
        "3100-3102:4000-4002",
        "-p",
        "30080:30080",
        "-p",
        "30443:30443",
        "-p",
        "8000:8080",
    ];
    let mut args = vec!["create"];
    args.extend(many);
    args.push(IMAGE);
    let several = ok(&d, &args).trim().to_string();
    let ports = ok(&d, &["ps", "-a", "--format", "{{.Ports}}", "--filter", &format!("id={several}")]);
    assert_eq!(
        ports,
        "0.0.0.0:3000-3001->3000-3001/tcp, 0.0.0.0:3100-3102->4000-4002/tcp, 0.0.0.0:8000->8080/tcp, \
         0.0.0.0:30080->30080/tcp, 0.0.0.0:30443->30443/tcp\n"
    );
    // A pod member shows its pod's ports.
    ok(&d, &["pod", "create", "-p", "8085:80", "--name", "testPod"]);
    ok(&d, &["run", "--name", "testCtr", "-d", "--pod", "testPod", IMAGE, "sleep", "1000"]);
    let ports = ok(&d, &["ps", "--filter", "name=testCtr", "--format", "{{.Ports}}"]);
    assert_eq!(ports, "0.0.0.0:8085->80/tcp\n");
    ok(&d, &["pod", "rm", "-f", "-t", "0", "testPod"]);
    ok(&d, &["rm", "-f", "-t", "0", &ranged, &several]);
    assert_eq!(std::fs::read_dir(d.dir.path().join("run/netns")).unwrap().count(), 0);
}

/// What netavark set up outside a container's namespace (forwarding rules,
/// an aardvark-dns entry) goes when the namespace is lost: at the repair of
/// a berthd killed with SIGKILL while its container died, and, for what no
/// teardown could reach, at System.Check.
#[test]
fn forwarding_rules_and_dns_entries_outlive_no_lost_namespace() {
    let mut d = with_image_in_netns();
    ok(&d, &["network", "create", "--subnet", "10.89.9.0/24", "dnsnet"]);
    let rules = |d: &Daemon| in_ns(d, "iptables-save -t nat");
    let dns_file = d.dir.path().join("run/networks/aardvark-dns/dnsnet");
    let lose_namespace = |d: &Daemon, id: &str| {
        let netns = d.dir.path().join("run/netns").join(id);
        assert!(Command::new("umount").arg("-l").arg(&netns).status().unwrap().success());
        std::fs::remove_file(netns).unwrap();
    };

    let id = ok(&d, &["run", "-d", "--name", "web", "--network", "dnsnet", "-p", "8090:80", IMAGE, "sleep", "1000"])
        .trim()
        .to_string();
    assert!(rules(&d).contains(&format!("id: {id}")), "{}", rules(&d));
    assert!(std::fs::read_to_string(&dns_file).unwrap().contains(&id));
    let pid = ok(&d, &["inspect", "--format", "{{.State.Pid}}", &id]).trim().to_string();
    d.child.kill().unwrap();
    d.child.wait().unwrap();
    for (conmon, _) in common::conmons(&d).into_iter().filter(|(_, c)| *c == id) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(conmon as i32), nix::sys::signal::Signal::SIGKILL).unwrap();
    }
    let _ = Command::new("kill").args(["-9", &pid]).status();
    lose_namespace(&d, &id);
    d.restart(&["--idle-timeout", "0"]);
    assert_eq!(ok(&d, &["inspect", "--format", "{{.State.State}}", &id]), "exited\n");
    assert!(!rules(&d).contains(&id), "{}", rules(&d));
    assert!(!std::fs::read_to_string(&dns_file).unwrap_or_default().contains(&id));
    assert_eq!(ok(&d, &["system", "check"]), "no problems found\n");

    // Namespace and kept options both lost: the rules and the entry stay
    // after the exit, and Check finds and removes them.
    let short = ok(&d, &["run", "-d", "--network", "dnsnet", "-p", "8091:80", IMAGE, "sleep", "2"]).trim().to_string();
    std::fs::remove_file(d.dir.path().join("run/netns-options").join(format!("{short}.json"))).unwrap();
    lose_namespace(&d, &short);
    ok(&d, &["wait", &short]);
    assert!(rules(&d).contains(&format!("id: {short}")));
    let found = ok(&d, &["system", "check"]);
    assert!(found.contains(&format!("leaked-port-forwarding {short}")), "{found}");
    assert!(found.contains(&format!("leaked-dns-entry {short}")), "{found}");
    let repaired = ok(&d, &["system", "check", "--repair"]);
    assert!(repaired.contains("(repaired)"), "{repaired}");
    assert!(!rules(&d).contains(&short), "{}", rules(&d));
    assert!(!std::fs::read_to_string(&dns_file).unwrap_or_default().contains(&short));
    assert_eq!(ok(&d, &["system", "check"]), "no problems found\n");
}

/// A network's own chains, rules and bridge outlive its last container
/// when that container's teardown never ran: System.Check finds and
/// removes them, and leaves alone those of a network berth does not have
/// (podman's chains have the same form). netavark sets both up here, for
/// a namespace that then goes away without a teardown.
#[test]
fn network_chains_and_bridges_without_containers_are_leaks() {
    let d = with_image_in_netns();
    ok(&d, &["network", "create", "--subnet", "10.89.11.0/24", "leaky"]);
    let bridge = ok(&d, &["network", "inspect", "--format", "{{.Interface}}", "leaky"]).trim().to_string();
    let setup_without_teardown = |network: &str, subnet: &str, interface: &str| {
        let options = serde_json::json!({
            "container_id": "c".repeat(64), "container_name": "gone",
            "networks": { network: { "static_ips": [subnet.replace(".0/24", ".5")], "interface_name": "eth0" } },
            "network_info": { network: {
                "name": network, "id": "e".repeat(64), "driver": "bridge", "network_interface": interface,
                "subnets": [{ "subnet": subnet, "gateway": subnet.replace(".0/24", ".1") }], "ipv6_enabled": false,
                "internal": false, "dns_enabled": false, "ipam_options": { "driver": "host-local" },
            }},
        });
        let file = d.dir.path().join(format!("{network}.json"));
        std::fs::write(&file, options.to_string()).unwrap();
        let config = d.dir.path().join("netavark-by-hand");
        in_ns(
            &d,
            &format!(
                "unshare -n sleep 1000 >/dev/null 2>&1 & holder=$!; sleep 0.2; \
                 /usr/lib/podman/netavark --config {} setup /proc/$holder/ns/net < {} >/dev/null; \
                 status=$?; kill $holder; exit $status",
                config.display(),
                file.display()
            ),
        );
    };
    setup_without_teardown("leaky", "10.89.11.0/24", &bridge);
    setup_without_teardown("podmans", "10.89.12.0/24", "podman9");
    let chains = |d: &Daemon| {
        let nat = in_ns(d, "iptables-save -t nat");
        nat.lines().filter(|l| l.starts_with(":NETAVARK-")).count()
    };
    let links = |d: &Daemon| in_ns(d, "ip -o link show");
    assert!(links(&d).contains(&format!("{bridge}:")), "{}", links(&d));
    let before_rules = in_ns(&d, "iptables-save -t filter");
    assert!(before_rules.contains("10.89.11.0/24"), "{before_rules}");

    let found = ok(&d, &["system", "check"]);
    assert!(found.contains("leaked-network-firewall leaky"), "{found}");
    assert!(found.contains("leaked-bridge leaky"), "{found}");
    assert!(!found.contains("podmans"), "{found}");
    let with_leak = chains(&d);
    let repaired = ok(&d, &["system", "check", "--repair"]);
    assert!(repaired.contains("(repaired)") && !repaired.contains("repair failed"), "{repaired}");
    let nat = in_ns(&d, "iptables-save -t nat");
    assert!(!nat.contains("7178FF81357FF"), "no chain of leaky's stays:\n{nat}");
    assert!(!nat.contains("10.89.11.0/24") && nat.contains("10.89.12.0/24"), "{nat}");
    assert!(chains(&d) < with_leak, "{nat}");
    let filter = in_ns(&d, "iptables-save -t filter");
    assert!(!filter.contains("10.89.11.0/24") && filter.contains("10.89.12.0/24"), "{filter}");
    assert!(!links(&d).contains(&format!("{bridge}:")) && links(&d).contains("podman9:"), "{}", links(&d));
    assert_eq!(ok(&d, &["system", "check"]), "no problems found\n");

    // The network is whole again for the next container.
    let out =
        ok(&d, &["run", "--rm", "--network", "leaky", IMAGE, "/bin/sh", "-c", "/bin/busybox ip -4 -o addr show eth0"]);
    assert!(out.contains("10.89.11."), "{out}");
}

/// C-podcreate-18..36, 38..41, 65..67, C-podbats-28, 31, 32, 59..63,
/// A-create-82, 84, 86, 87: a pod's address, MAC, DNS and hosts settings
/// are its infra container's, which its members see; not without an infra
/// container; a member may not have its own address but may have a
/// network of its own.
#[test]
fn pod_addresses_dns_and_hosts() {
    let d = with_image_in_netns();
    let member = |pod: &str, script: &str| ok(&d, &["run", "--rm", "--pod", pod, IMAGE, "/bin/sh", "-c", script]);
    let hosts = "cat /etc/hosts; echo rc=$?";
    ok(&d, &["pod", "create", "--no-hosts", "--name", "nohosts"]);
    let baseline = ok(&d, &["run", "--rm", "--no-hosts", IMAGE, "/bin/sh", "-c", hosts]);
    assert_eq!(member("nohosts", hosts), baseline, "the image's /etc/hosts, as --no-hosts gives");
    assert!(!baseline.contains("localhost"), "{baseline}");

    let settings = [
        "--add-host=test.example.com:12.34.56.78",
        "--dns=12.34.56.78",
        "--dns-opt=attempts:5",
        "--dns-search=example.com",
        "--no-hosts",
        "--ip=10.88.0.50",
        "--mac-address=92:d0:c6:0a:29:35",
    ];
    for setting in settings {
        let (code, _, err) = run(&d, &["pod", "create", setting, "--infra=false"]);
        assert_eq!(code, 125, "{setting}: {err}");
        assert!(err.contains("the pod needs one"), "{setting}: {err}");
    }
    ok(
        &d,
        &["pod", "create", "--name", "mypod", "--hostname", "podhost"]
            .into_iter()
            .chain(settings.into_iter().filter(|s| *s != "--no-hosts"))
            .collect::<Vec<_>>(),
    );
    let etc_hosts = member("mypod", "cat /etc/hosts");
    assert!(etc_hosts.lines().any(|l| l == "12.34.56.78\ttest.example.com"), "{etc_hosts}");
    assert!(etc_hosts.lines().any(|l| l.ends_with("\tpodhost mypod-infra") || l.contains("\tpodhost")), "{etc_hosts}");
    let resolv = member("mypod", "cat /etc/resolv.conf");
    for line in ["nameserver 12.34.56.78", "search example.com", "options attempts:5"] {
        assert!(resolv.lines().any(|l| l == line), "{line}: {resolv}");
    }
    let addresses = member("mypod", "/bin/busybox ip addr");
    assert!(addresses.contains("inet 10.88.0.50/16"), "{addresses}");
    assert!(member("mypod", "/bin/busybox ip link show").contains("link/ether 92:d0:c6:0a:29:35 "));
    ok(&d, &["run", "--name", "testCtr", "--pod", "mypod", "-d", IMAGE, "sleep", "100"]);
    let shown = ok(&d, &["inspect", "--format", "{{.NetworkSettings.IPAddress}}", "testCtr"]);
    assert_eq!(shown, "10.88.0.50\n", "a member shows its pod's address");
    for own in ["--ip=10.88.0.51", "--mac-address=52:54:00:6d:2f:82", "-p=8086:80"] {
        let (code, _, err) = run(&d, &["create", "--pod", "mypod", own, IMAGE, "true"]);
        assert_eq!(code, 125, "{own}: {err}");
    }
    // A member naming a network gets its own namespace on it.
    ok(&d, &["network", "create", "--subnet", "10.89.11.0/24", "podnet"]);
    let own = ok(&d, &["run", "-d", "--pod", "mypod", "--network", "podnet", IMAGE, "sleep", "100"]).trim().to_string();
    let on = ok(&d, &["exec", &own, "/bin/busybox", "ip", "addr"]);
    assert!(on.contains("inet 10.89.11.2/24") && !on.contains("10.88.0.50"), "{on}");
    ok(&d, &["pod", "rm", "-f", "-t", "0", "mypod", "nohosts"]);

    let (code, _, err) = run(&d, &["pod", "create", "--network", "ns:/does/not/matter"]);
    assert_eq!(code, 125);
    assert!(err.contains("pods presently do not support network mode path"), "{err}");
    ok(&d, &["pod", "create", "--network", "none", "--name", "testPod"]);
    let lo = member("testPod", "/bin/busybox ip -o -4 addr");
    assert_eq!(lo.lines().count(), 1, "{lo}");
    assert!(lo.contains("inet 127.0.0.1/8 scope host lo"), "{lo}");
    let host_network = |pod: &str| ok(&d, &["pod", "inspect", pod, "--format", "{{.InfraConfig.HostNetwork}}"]);
    for (args, host) in [
        (vec!["--name", "p1"], "false"),
        (vec!["--share", "ipc", "--network", "private", "--name", "p2"], "false"),
        (vec!["--share", "net", "--network", "private", "--name", "p3"], "false"),
        (vec!["--share", "net", "--network", "host", "--name", "p4"], "true"),
        (vec!["--share", "ipc", "--network", "host", "--name", "p5"], "true"),
    ] {
        let name = args[args.len() - 1];
        ok(&d, &[&["pod", "create"][..], &args].concat());
        assert_eq!(host_network(name), format!("{host}\n"), "{args:?}");
        ok(&d, &["pod", "rm", name]);
    }
    ok(&d, &["pod", "rm", "-f", "-t", "0", "testPod"]);
    assert_eq!(std::fs::read_dir(d.dir.path().join("run/netns")).unwrap().count(), 0);
}

/// C-run030-85: published ports where there is no bridge to publish them
/// on are dropped, with podman's warning, and the container runs.
#[test]
fn ports_without_a_bridge_are_discarded_with_a_warning() {
    let d = with_image();
    let (code, out, err) = run(&d, &["run", "--rm", "-p", "8080", "--net=host", IMAGE, "echo", "hello-host"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "hello-host\n");
    assert_eq!(
        err.trim(),
        "Port mappings have been discarded as one of the Host, Container, Pod, and None network modes are in use"
    );
}

/// C-podcreate-108..110: berth.conf's netns (containers.conf's key) is the
/// network of a pod's infra container that names none.
#[test]
fn the_configured_default_network_mode_holds_for_pods() {
    let mut d = with_image();
    let config = std::fs::read_to_string(d.config_path()).unwrap().replace("netns = \"none\"", "netns = \"host\"");
    std::fs::write(d.config_path(), config).unwrap();
    d.restart(&["--idle-timeout", "0"]);
    ok(&d, &["pod", "create", "--name", "test", "--infra-name", "test-infra"]);
    assert_eq!(ok(&d, &["inspect", "--format", "{{.Config.Network}}", "test-infra"]), "host\n");
    ok(&d, &["pod", "rm", "test"]);
}

/// C-podbats-36..40: a member listens on the pod's published port; a
/// second member cannot bind it (one namespace); members reach localhost
/// and the pod's hostname; ps shows the pod's port; what is sent to the
/// host's port reaches the listener.
#[test]
fn pod_members_serve_on_the_pods_published_port() {
    let d = with_image_in_netns();
    ok(&d, &["pod", "create", "--name", "mypod", "--hostname", "podhost", "-p", "8090:5000"]);
    let cid =
        ok(&d, &["run", "-d", "--pod", "mypod", "--name", "listener", IMAGE, "/bin/busybox", "nc", "-l", "-p", "5000"])
            .trim()
            .to_string();
    let mut bound = false;
    for _ in 0..50 {
        let (code, out, err) =
            run(&d, &["run", "--rm", "--pod", "mypod", IMAGE, "/bin/busybox", "nc", "-l", "-p", "5000"]);
        // Alpine's musl says "Address in use"; this busybox's glibc says
        // "Address already in use".
        if code == 1 && format!("{out}{err}").trim() == "nc: bind: Address already in use" {
            bound = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let last = run(&d, &["run", "--rm", "--pod", "mypod", IMAGE, "/bin/busybox", "nc", "-l", "-p", "5000"]);
    assert!(bound, "the second listener met the first's port: {last:?}");
    // podman's default sysctl lets root's group ping over ICMP sockets;
    // this busybox (Debian's) pings over a raw socket only, so it is given
    // CAP_NET_RAW, which podman's defaults leave out too.
    let range = ok(&d, &["run", "--rm", "--pod", "mypod", IMAGE, "cat", "/proc/sys/net/ipv4/ping_group_range"]);
    assert_eq!(range.split_whitespace().collect::<Vec<_>>(), ["0", "0"]);
    for target in ["127.0.0.1", "podhost"] {
        let ping = ["run", "--rm", "--user", "root", "--cap-add", "NET_RAW", "--pod", "mypod", IMAGE];
        ok(&d, &[&ping[..], &["/bin/busybox", "ping", "-c1", target]].concat());
    }
    let line = ok(&d, &["ps", "--filter", &format!("id={cid}"), "--format", "{{.ID}} {{.Ports}} {{.Names}}"]);
    assert_eq!(line, format!("{} 0.0.0.0:8090->5000/tcp listener\n", &cid[..12]));
    // From a file: busybox nc ends when the listener shuts its half, which
    // it does at once, perhaps before a pipe would have brought the line.
    in_ns(&d, "m=$(mktemp) && echo test-string >$m && /bin/busybox nc 127.0.0.1 8090 <$m; r=$?; rm -f $m; exit $r");
    let mut logs = String::new();
    for _ in 0..50 {
        logs = ok(&d, &["logs", &cid]);
        if !logs.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(logs, "test-string\n");
    ok(&d, &["pod", "rm", "-f", "-t", "0", "mypod"]);
}

/// C-run030-112, 113: --add-host in an image without /etc/hosts: the
/// entry comes first in the one berth provides.
#[test]
fn add_host_without_an_image_hosts_file() {
    let d = with_image();
    let hosts = ok(&d, &["run", "--rm", "--add-host", "foo.com:1.2.3.4", IMAGE, "cat", "/etc/hosts"]);
    assert!(hosts.starts_with("1.2.3.4\tfoo.com\n"), "{hosts}");
}
