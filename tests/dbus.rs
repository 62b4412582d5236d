//! The D-Bus API end to end in a booted systemd (tests/sandbox) with its
//! real dbus-daemon and polkitd: D-Bus activation, every manager and
//! container method through `busctl` and `dbus-send`, the signals a desktop
//! program follows, the introspection file, and who may change what on both
//! APIs.

mod common;

use common::sandbox::{Mode, Sandbox};
use serde_json::json;

const DEST: &str = "io.berth.Berth1";
const MANAGER: &str = "/io/berth/Berth1 io.berth.Berth1.Manager";
const CONTAINER: &str = "io.berth.Berth1.Container";
const STORAGE: &str = "/io/berth/Berth1 io.berth.Berth1.Storage";

/// `busctl call` of a manager method, inside; its output.
fn manager(s: &Sandbox, call: &str) -> String {
    s.ok(&format!("busctl -- call {DEST} {MANAGER} {call}"))
}

/// `busctl call` of a container object's method, inside; its output.
fn object(s: &Sandbox, path: &str, call: &str) -> String {
    s.ok(&format!("busctl -- call {DEST} {path} {CONTAINER} {call}"))
}

/// `busctl call` of a method of the Storage interface, inside; its output.
fn storage(s: &Sandbox, call: &str) -> String {
    s.ok(&format!("busctl -- call {DEST} {STORAGE} {call}"))
}

fn property(s: &Sandbox, path: &str, name: &str) -> String {
    s.ok(&format!("busctl get-property {DEST} {path} {CONTAINER} {name}"))
}

/// A failed `dbus-send` call: its error line (name and message).
fn dbus_send_error(s: &Sandbox, path: &str, method: &str, args: &str) -> String {
    let out = s.sh(&format!("dbus-send --system --print-reply --dest={DEST} {path} {method} {args}"));
    assert!(!out.status.success(), "{method} {args} succeeded");
    String::from_utf8_lossy(&out.stderr).trim().to_string()
}

/// The quoted strings of a busctl reply, in order.
fn strings(reply: &str) -> Vec<String> {
    reply.split('"').skip(1).step_by(2).map(str::to_string).collect()
}

fn create(s: &Sandbox, rootfs: &str, name: &str, script: &str) -> (String, String) {
    let reply = manager(
        s,
        &format!("CreateContainer 'a{{sv}}' 3 rootfs s {rootfs} command as 3 /bin/sh -c '{script}' name s {name}"),
    );
    let ids = strings(&reply);
    assert!(reply.starts_with("so "), "{reply}");
    (ids[0].clone(), ids[1].clone())
}

#[test]
fn manager_and_container_objects_over_the_system_bus() {
    let s = Sandbox::boot("dbus", Mode::Unified);
    let rootfs = s.busybox_rootfs();

    // D-Bus activation: the first call starts berth.service.
    assert_eq!(s.sh("systemctl is-active berth.service").stdout, b"inactive\n");
    assert_eq!(manager(&s, "ListContainers bas true 0"), "a(ssssxisa{ss}o) 0");
    assert_eq!(s.ok("systemctl is-active berth.service"), "active");
    s.ok(&format!("busctl monitor {DEST} >/run/monitor.txt 2>&1 </dev/null & echo $! >/run/monitor.pid"));
    std::thread::sleep(std::time::Duration::from_millis(300));

    // The introspection file is what the service exports.
    let (web, web_path) = create(&s, &rootfs, "web", "echo hi; sleep 1; exit 3");
    let file = common::interface_file();
    let live_manager = s.ok(&format!("busctl introspect --xml-interface {DEST} /io/berth/Berth1"));
    let live_container = s.ok(&format!("busctl introspect --xml-interface {DEST} {web_path}"));
    assert_eq!(
        common::interface_element(&file, "io.berth.Berth1.Manager"),
        common::interface_element(&live_manager, "io.berth.Berth1.Manager")
    );
    assert_eq!(common::interface_element(&file, CONTAINER), common::interface_element(&live_container, CONTAINER));
    let storage_name = "io.berth.Berth1.Storage";
    assert_eq!(common::interface_element(&file, storage_name), common::interface_element(&live_manager, storage_name));
    assert!(live_manager.contains("org.freedesktop.DBus.ObjectManager"));

    // The object and what a desktop program sees of it.
    assert_eq!(web_path, format!("/io/berth/Berth1/container/{web}"));
    assert_eq!(manager(&s, "GetContainer s web"), format!("o \"{web_path}\""));
    let managed =
        s.ok(&format!("busctl call {DEST} /io/berth/Berth1 org.freedesktop.DBus.ObjectManager GetManagedObjects"));
    assert!(managed.contains(&web_path) && managed.contains(CONTAINER), "{managed}");
    assert!(s.ok(&format!("busctl tree {DEST}")).contains(&web_path));
    assert_eq!(property(&s, &web_path, "State"), "s \"configured\"");
    assert_eq!(property(&s, &web_path, "Name"), "s \"web\"");
    assert_eq!(property(&s, &web_path, "Id"), format!("s \"{web}\""));

    // Start, its scope, its exit.
    object(&s, &web_path, "Start");
    assert_eq!(property(&s, &web_path, "State"), "s \"running\"");
    let pid: u32 = property(&s, &web_path, "Pid").trim_start_matches("u ").parse().unwrap();
    assert!(pid > 0);
    let scope = format!("berth-{web}.scope");
    assert_eq!(property(&s, &web_path, "Unit"), format!("s \"{scope}\""));
    assert!(s.ok(&format!("cat /sys/fs/cgroup/machine.slice/{scope}/cgroup.procs")).contains(&pid.to_string()));
    assert_eq!(object(&s, &web_path, "Wait"), "i 3");
    assert_eq!(property(&s, &web_path, "State"), "s \"exited\"");
    assert_eq!(property(&s, &web_path, "ExitCode"), "i 3");
    assert_eq!(property(&s, &web_path, "Unit"), "s \"\"");
    let inspect = manager(&s, "InspectContainer s web");
    assert!(inspect.contains("web") && inspect.contains("exited"), "{inspect}");
    // Mounts in the create dict: an array of dicts with the Mount fields.
    let mounted = manager(
        &s,
        &format!(
            "CreateContainer 'a{{sv}}' 4 rootfs s {rootfs} command as 1 true name s mounted \
             mounts aa{{sv}} 1 3 type s tmpfs destination s /scratch options as 1 size=1m"
        ),
    );
    let shown = manager(&s, "InspectContainer s mounted");
    assert!(shown.contains(r#"\"type\":\"tmpfs\""#) && shown.contains("/scratch"), "{shown}");
    assert_eq!(manager(&s, "RemoveContainer sbb mounted false false"), format!("s \"{}\"", strings(&mounted)[0]));

    // Renames, both ways; restart, kill.
    assert_eq!(object(&s, &web_path, "Rename s web2"), "s \"web2\"");
    assert_eq!(property(&s, &web_path, "Name"), "s \"web2\"");
    assert_eq!(manager(&s, "RenameContainer ss web2 web3"), format!("ss \"{web}\" \"web3\""));
    object(&s, &web_path, "Restart i 1");
    assert_eq!(property(&s, &web_path, "State"), "s \"running\"");
    let (sleeper, sleeper_path) = create(&s, &rootfs, "sleeper", "sleep 100");
    object(&s, &sleeper_path, "Start");
    let top = object(&s, &sleeper_path, "Top as 2 pid args");
    assert!(top.starts_with("asaas 2 \"PID\" \"COMMAND\" 1 ") && top.contains("sleep 100"), "{top}");
    object(&s, &sleeper_path, "Pause");
    assert_eq!(property(&s, &sleeper_path, "State"), "s \"paused\"");
    object(&s, &sleeper_path, "Unpause");
    assert_eq!(property(&s, &sleeper_path, "State"), "s \"running\"");
    object(&s, &sleeper_path, "Kill s SIGKILL");
    assert_eq!(object(&s, &sleeper_path, "Wait"), "i 137");
    object(&s, &sleeper_path, "Start");
    object(&s, &sleeper_path, "Stop i 1");
    assert_eq!(property(&s, &sleeper_path, "State"), "s \"exited\"");
    object(&s, &web_path, "Wait");

    // Listing with filters, errors with their names and values.
    let listed = manager(&s, "ListContainers bas true 1 name=web3");
    assert!(listed.starts_with("a(ssssxisa{ss}o) 1 ") && listed.contains(&web), "{listed}");
    let no_such = dbus_send_error(&s, "/io/berth/Berth1", "io.berth.Berth1.Manager.GetContainer", "string:nope");
    assert_eq!(no_such, "Error io.berth.Berth1.Error.NoSuchContainer: no such container: nope");
    let in_use = dbus_send_error(
        &s,
        "/io/berth/Berth1",
        "io.berth.Berth1.Manager.RenameContainer",
        "string:web3 string:sleeper",
    );
    assert!(in_use.starts_with("Error io.berth.Berth1.Error.NameInUse:") && in_use.contains("sleeper"), "{in_use}");
    let bad = dbus_send_error(
        &s,
        "/io/berth/Berth1",
        "io.berth.Berth1.Manager.RenameContainer",
        "string:web3 string:'no good'",
    );
    assert!(bad.starts_with("Error io.berth.Berth1.Error.InvalidName:") && bad.contains("no good"), "{bad}");
    let state = dbus_send_error(&s, &sleeper_path, "io.berth.Berth1.Container.Pause", "");
    assert!(state.starts_with("Error io.berth.Berth1.Error.InvalidState:"), "{state}");
    let option =
        s.sh(&format!("busctl call {DEST} {MANAGER} CreateContainer 'a{{sv}}' 2 command as 1 /bin/true colour s red"));
    let option = String::from_utf8_lossy(&option.stderr);
    assert!(option.contains("invalid colour: not an option"), "{option}");
    let pull = dbus_send_error(
        &s,
        "/io/berth/Berth1",
        "io.berth.Berth1.Manager.RemoveImage",
        "string:missing.example/none:1 boolean:false",
    );
    assert!(pull.starts_with("Error io.berth.Berth1.Error.NoSuchImage:"), "{pull}");

    // Remove, evict, prune.
    assert!(object(&s, &sleeper_path, "Inspect").contains(&sleeper));
    object(&s, &sleeper_path, "Remove bb false false");
    assert!(manager(&s, "ListContainers bas true 1 name=sleeper").starts_with("a(ssssxisa{ss}o) 0"));
    let (gone, _) = create(&s, &rootfs, "gone", "true");
    assert_eq!(manager(&s, "RemoveContainer sbb gone false false"), format!("s \"{gone}\""));
    let (evictee, _) = create(&s, &rootfs, "evictee", "true");
    assert_eq!(manager(&s, "EvictContainer sb evictee false"), format!("s \"{evictee}\""));
    let pruned = manager(&s, "PruneContainers as 0");
    assert!(pruned.starts_with("a(sts) 1 ") && pruned.contains(&web), "{pruned}");
    assert_eq!(manager(&s, "ListContainers bas true 0"), "a(ssssxisa{ss}o) 0");

    // Pods.
    let pod = strings(&manager(&s, "CreatePod 'a{sv}' 2 name s pod1 labels 'a{ss}' 1 tier web"))[0].clone();
    assert!(manager(&s, "ListPods as 1 label=tier=web").contains(&pod));
    assert!(manager(&s, "InspectPod s pod1").contains("pod1"));
    // Pods, volumes and images are objects too, as the file says.
    let introspected = |path: &str, interface: &str| {
        let live = s.ok(&format!("busctl introspect --xml-interface {DEST} {path}"));
        assert_eq!(common::interface_element(&file, interface), common::interface_element(&live, interface));
    };
    const POD: &str = "io.berth.Berth1.Pod";
    let pod_path = format!("/io/berth/Berth1/pod/{pod}");
    introspected(&pod_path, POD);
    let pod_property = |name: &str| s.ok(&format!("busctl get-property {DEST} {pod_path} {POD} {name}"));
    assert_eq!(pod_property("Name"), "s \"pod1\"");
    assert_eq!(pod_property("Labels"), "a{ss} 1 \"tier\" \"web\"");
    let member = manager(
        &s,
        &format!("CreateContainer 'a{{sv}}' 4 rootfs s {rootfs} command as 2 sleep 100 name s member pod s pod1"),
    );
    let member = strings(&member)[0].clone();
    let members = s.ok(&format!("busctl call {DEST} {pod_path} {POD} Containers"));
    assert!(members.contains(&member), "{members}");
    assert!(manager(&s, "StartPod s pod1").contains(&member));
    assert!(manager(&s, "KillPod ss pod1 SIGKILL").contains(&member));
    manager(&s, "StopPod si pod1 1");
    assert!(manager(&s, "RemovePod sb pod1 true").contains(&member));
    assert!(!s.ok(&format!("busctl tree {DEST}")).contains(&pod_path), "the pod's object goes with it");
    // A pod whose members have all exited is pruned with them.
    let idle = strings(&manager(&s, "CreatePod 'a{sv}' 1 name s idle"))[0].clone();
    let done = manager(&s, &format!("CreateContainer 'a{{sv}}' 3 rootfs s {rootfs} command as 1 true pod s idle"));
    let (done, done_path) = (strings(&done)[0].clone(), strings(&done)[1].clone());
    object(&s, &done_path, "Start");
    assert_eq!(object(&s, &done_path, "Wait"), "i 0");
    assert_eq!(manager(&s, "PrunePods as 0"), format!("asas 1 \"{idle}\" 1 \"{done}\""));
    let pod_error =
        dbus_send_error(&s, "/io/berth/Berth1", "io.berth.Berth1.Manager.RemovePod", "string:pod1 boolean:true");
    assert!(pod_error.starts_with("Error io.berth.Berth1.Error.NoSuchPod:"), "{pod_error}");

    // Volumes.
    assert_eq!(manager(&s, "CreateVolume 'sa{ss}' vol1 1 k v"), "s \"vol1\"");
    assert!(manager(&s, "ListVolumes as 1 label=k=v").contains("vol1"));
    let inspected = manager(&s, "InspectVolume s vol1");
    assert!(inspected.starts_with("sba{ss}sas \"vol1\" false 1 \"k\" \"v\""), "{inspected}");
    const VOLUME: &str = "io.berth.Berth1.Volume";
    introspected("/io/berth/Berth1/volume/vol1", VOLUME);
    let labels = s.ok(&format!("busctl get-property {DEST} /io/berth/Berth1/volume/vol1 {VOLUME} Labels"));
    assert_eq!(labels, "a{ss} 1 \"k\" \"v\"");
    assert_eq!(s.ok(&format!("busctl call {DEST} /io/berth/Berth1/volume/vol1 {VOLUME} Remove b false")), "as 0");
    assert!(!s.ok(&format!("busctl tree {DEST}")).contains("/volume/vol1"), "the volume's object goes with it");
    let anonymous = strings(&manager(&s, "CreateVolume 'sa{ss}' '' 0"))[0].clone();
    assert!(manager(&s, "PruneVolumes as 0").contains(&anonymous));
    let vol_error =
        dbus_send_error(&s, "/io/berth/Berth1", "io.berth.Berth1.Manager.RemoveVolume", "string:vol1 boolean:false");
    assert!(vol_error.starts_with("Error io.berth.Berth1.Error.NoSuchVolume:") && vol_error.contains("vol1"));

    // Networks: their records, and a container on the default one asked
    // to join it again.
    let made = manager(&s, "CreateNetwork 'a{sv}' 2 name s net1 subnet s 10.89.9.0/24");
    assert_eq!(made, "s \"net1\"");
    // Each network is an object, its name encoded in its path.
    const NETWORK: &str = "io.berth.Berth1.Network";
    let live_network = s.ok(&format!("busctl introspect --xml-interface {DEST} /io/berth/Berth1/network/berth"));
    assert_eq!(common::interface_element(&file, NETWORK), common::interface_element(&live_network, NETWORK));
    let dashed = manager(&s, "CreateNetwork 'a{sv}' 1 name s web-net.1");
    assert_eq!(dashed, "s \"web-net.1\"");
    let dashed_path = "/io/berth/Berth1/network/web_2dnet_2e1";
    assert_eq!(manager(&s, "GetNetwork s web-net.1"), format!("o \"{dashed_path}\""));
    let net_property = |path: &str, name: &str| s.ok(&format!("busctl get-property {DEST} {path} {NETWORK} {name}"));
    assert_eq!(net_property("/io/berth/Berth1/network/net1", "Subnet"), "s \"10.89.9.0/24\"");
    assert_eq!(net_property("/io/berth/Berth1/network/berth", "Interface"), "s \"berth0\"");
    assert_eq!(net_property(dashed_path, "Name"), "s \"web-net.1\"");
    assert!(s.ok(&format!("busctl tree {DEST}")).contains(dashed_path));
    assert_eq!(s.ok(&format!("busctl call {DEST} {dashed_path} {NETWORK} Remove b false")), "as 0");
    assert!(!s.ok(&format!("busctl tree {DEST}")).contains(dashed_path), "its object goes with it");
    let listed = manager(&s, "ListNetworks as 1 name=^net1$");
    assert!(listed.starts_with("a(sssssbba{ss}as) 1 \"net1\"") && listed.contains("\"10.89.9.1\""), "{listed}");
    assert!(manager(&s, "InspectNetwork s berth").contains("\"berth0\""));
    assert_eq!(manager(&s, "RemoveNetwork sb net1 false"), "sas \"net1\" 0");
    let net_error = dbus_send_error(&s, "/io/berth/Berth1", "io.berth.Berth1.Manager.InspectNetwork", "string:net1");
    assert!(net_error.starts_with("Error io.berth.Berth1.Error.NoSuchNetwork:"), "{net_error}");
    let (lone, lone_path) = create(&s, &rootfs, "lone", "true");
    let lone_property = |name: &str| s.ok(&format!("busctl get-property {DEST} {lone_path} {CONTAINER} {name}"));
    let on_default = lone_property("Networks");
    assert!(on_default.starts_with("a(ssas) 1 \"berth\" \"10.88.0."), "{on_default}");
    let refused = s.sh(&format!("busctl call {DEST} {MANAGER} ConnectNetwork ssas berth {lone} 0"));
    let refused = String::from_utf8_lossy(&refused.stderr);
    assert!(refused.contains("container lone is already connected to network berth"), "{refused}");
    // Through the network's object, with its signals (seen below).
    manager(&s, "CreateNetwork 'a{sv}' 1 name s signet");
    let signet = "/io/berth/Berth1/network/signet";
    s.ok(&format!("busctl call {DEST} {signet} {NETWORK} Connect sas lone 0"));
    assert!(s.ok(&format!("busctl call {DEST} {signet} {NETWORK} Users")).contains(&lone));
    // Its Networks property follows, with a PropertiesChanged of its own.
    let on_both = lone_property("Networks");
    assert!(on_both.starts_with("a(ssas) 2 \"berth\"") && on_both.contains("\"signet\""), "{on_both}");
    s.ok(&format!("busctl call {DEST} {signet} {NETWORK} Disconnect sb lone false"));
    assert_eq!(manager(&s, "RemoveNetwork sb signet false"), "sas \"signet\" 0");
    manager(&s, "RemoveContainer sbb lone false false");
    let published = manager(
        &s,
        &format!(
            "CreateContainer 'a{{sv}}' 3 rootfs s {rootfs} command as 1 true \
             portMappings aa{{sv}} 1 2 hostPort q 8080 containerPort q 80"
        ),
    );
    let (published, published_path) = (strings(&published)[0].clone(), strings(&published)[1].clone());
    let ports = s.ok(&format!("busctl get-property {DEST} {published_path} {CONTAINER} Ports"));
    assert_eq!(ports, "a(sqqsq) 1 \"\" 8080 80 \"tcp\" 1");
    manager(&s, &format!("RemoveContainer sbb {published} false false"));
    manager(&s, "CreateNetwork 'a{sv}' 1 name s net2");
    assert_eq!(manager(&s, "PruneNetworks as 0"), "as 1 \"net2\"");

    // Images: import an archive, list, remove; a pull that cannot reach its registry.
    let (images, inside) = s.shared_dir("images");
    let built = common::image::build(&images);
    let archive = format!("{inside}/{}", built.oci_archive.file_name().unwrap().to_string_lossy());
    let imported = manager(&s, &format!("ImportImage ss {archive} localhost/test:1"));
    let image_id = strings(&imported)[0].clone();
    assert!(manager(&s, "ListImages").contains(&image_id));
    let inspected = manager(&s, "InspectImage s localhost/test:1");
    assert!(inspected.contains(&image_id) && inspected.contains("\\\"digest\\\":\\\"sha256:"), "{inspected}");
    const IMAGE: &str = "io.berth.Berth1.Image";
    let image_path = format!("/io/berth/Berth1/image/{image_id}");
    introspected(&image_path, IMAGE);
    let names = || s.ok(&format!("busctl get-property {DEST} {image_path} {IMAGE} Names"));
    assert_eq!(names(), "as 1 \"localhost/test:1\"");
    assert_eq!(manager(&s, "TagImage ss localhost/test:1 localhost/other:2"), format!("s \"{image_id}\""));
    assert_eq!(names(), "as 2 \"localhost/other:2\" \"localhost/test:1\"", "Names follows a tag");
    assert_eq!(manager(&s, "UntagImage ss localhost/test:1 localhost/other:2"), format!("s \"{image_id}\""));
    assert_eq!(manager(&s, "PruneImages b false"), "as 0");
    // Storage: an image mounted read-only, a storage-only container mounted.
    let mounted = strings(&storage(&s, "MountImage s localhost/test:1"));
    assert_eq!(mounted[0], image_id);
    assert!(s.ok(&format!("ls {}/bin", mounted[1])).contains("busybox"));
    assert!(storage(&s, "ListMountedImages").contains(&mounted[1]));
    assert_eq!(storage(&s, "UnmountImage sb localhost/test:1 false"), format!("sb \"{image_id}\" true"));
    let made = strings(&storage(&s, "CreateStorage ss localhost/test:1 st1"));
    assert_eq!(made[1], "st1");
    assert!(storage(&s, "ListExternal").contains("\"st1\""));
    let root = strings(&storage(&s, "Mount s st1"))[0].clone();
    assert_eq!(storage(&s, "IsMounted s st1"), format!("bs true \"{root}\""));
    assert!(storage(&s, "ListMounted").contains(&made[0]));
    assert_eq!(storage(&s, "Unmount sb st1 false"), "b true");
    assert_eq!(storage(&s, "RemoveStorage sb st1 false"), format!("s \"{}\"", made[0]));
    // Secrets: never their value.
    let secret = strings(&manager(&s, "CreateSecret 'saya{ss}' s1 3 0x61 0x62 0x63 0"))[0].clone();
    let shown = manager(&s, "InspectSecret s s1");
    assert!(shown.starts_with(&format!("ssxa{{ss}}as \"{secret}\" \"s1\"")) && !shown.contains("abc"), "{shown}");
    assert_eq!(manager(&s, "RemoveSecret s s1"), format!("s \"{secret}\""));

    // A terminal over the bus alone: Attach hands out a socket carrying
    // the container's shell, Resize reaches its terminal.
    let reply = manager(
        &s,
        &format!("CreateContainer 'a{{sv}}' 5 rootfs s {rootfs} command as 1 /bin/sh name s tty terminal b true stdin b true"),
    );
    let tty_path = strings(&reply)[1].clone();
    object(&s, &tty_path, "Start");
    object(&s, &tty_path, "Resize uu 31 97");
    let bus = format!("unix:path={}", s.state.join("x/dbus/system_bus_socket").display());
    let mut shell = attach_over_the_bus(&bus, &tty_path);
    let mut seen = String::new();
    type_and_read(&mut shell, &mut seen, "echo $((6*7))\n", "42\r\n");
    type_and_read(&mut shell, &mut seen, "stty size\n", "31 97\r\n");
    // Exec hands out a second shell in the same container, on a terminal
    // of its own; its session outlives the stream until removed.
    let (exec_id, mut second) = exec_over_the_bus(&bus, &tty_path, &["/bin/sh"]);
    let mut seen_second = String::new();
    type_and_read(&mut second, &mut seen_second, "echo in-$((5+5))\n", "in-10\r\n");
    type_and_read(&mut second, &mut seen_second, "tty\n", "/dev/pts/");
    type_and_read(&mut second, &mut seen_second, "exit 6\n", "exit 6");
    // The echo's line end may come in a read of its own, and a line typed
    // before the shell set its terminal up is echoed twice (by the
    // terminal, then with the shell's prompt); then the end.
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut second, &mut rest).unwrap();
    let unechoed = rest.replace("/ # ", "").replace("exit 6", "");
    assert!(unechoed.trim().is_empty(), "the stream ends with the session, not with {rest:?}");
    assert!(!seen.contains("in-10"), "the sessions' terminals are separate");
    assert_eq!(exec_id.len(), 64, "{exec_id}");
    type_and_read(&mut shell, &mut seen, "exit 5\n", "exit 5");
    assert_eq!(object(&s, &tty_path, "Wait"), "i 5");
    // Log hands out a descriptor: the log so far and, with follow, lines
    // as they are written until the container stops.
    let reply = manager(
        &s,
        &format!("CreateContainer 'a{{sv}}' 3 rootfs s {rootfs} command as 3 /bin/sh -c 'echo one; sleep 1; echo two' name s talker"),
    );
    let talker = strings(&reply)[1].clone();
    object(&s, &talker, "Start");
    let log = |options: &[(&str, zbus::Variant<'static>)]| {
        let options: std::collections::HashMap<&str, zbus::Variant> = options.iter().cloned().collect();
        let fd: zbus::OwnedFd = call_over_the_bus(&bus, &talker, "Log", &(options,));
        let mut text = String::new();
        std::io::Read::read_to_string(&mut socket_of(fd), &mut text).unwrap();
        text
    };
    assert_eq!(log(&[("follow", true.into())]), "one\ntwo\n", "followed to the container's end");
    assert_eq!(log(&[("tail", 1i64.into())]), "two\n");
    let stamped = log(&[("timestamps", true.into())]);
    let first = stamped.lines().next().and_then(|l| l.split_once(' '));
    assert!(
        first.is_some_and(|(time, text)| time.starts_with("20") && time.contains('T') && text == "one"),
        "{stamped}"
    );
    let pulled =
        s.sh(&format!("busctl call {DEST} {MANAGER} PullImage 'sa{{sv}}' 127.0.0.1:1/none:1 1 tlsVerify b false"));
    assert!(!pulled.status.success());
    assert_eq!(manager(&s, "RemoveImage sb localhost/test:1 false"), format!("sb \"{image_id}\" true"));
    assert!(!s.ok(&format!("busctl tree {DEST}")).contains(&image_path), "the image's object goes with it");

    // What the monitor saw: the life of `web` as signals.
    s.ok("kill $(cat /run/monitor.pid)");
    let seen = s.ok("cat /run/monitor.txt");
    let web_changes: Vec<&str> = seen
        .split("‣ Type=")
        .filter(|m| m.contains(&format!("Path={web_path}")) && m.contains("Member=PropertiesChanged"))
        .collect();
    let running = web_changes.iter().position(|m| m.contains("STRING \"running\";")).expect("no change to running");
    let exited = web_changes.iter().position(|m| m.contains("STRING \"exited\";") && m.contains("INT32 3;"));
    assert!(exited.is_some_and(|e| e > running), "{web_changes:?}");
    assert!(web_changes.iter().any(|m| m.contains("STRING \"web2\";")), "no Name change");
    let signals = ["ContainerNew", "ContainerRemoved", "InterfacesAdded", "InterfacesRemoved", "PodNew", "PodRemoved"];
    for member in signals.iter().chain(&["NetworkNew", "NetworkRemoved", "ContainerConnected", "ContainerDisconnected"])
    {
        assert!(seen.contains(&format!("Member={member}")), "no {member} in {seen}");
    }
    let lone_changed = |m: &&str| m.contains(&format!("Path={lone_path}")) && m.contains("Member=PropertiesChanged");
    assert!(seen.split("‣ Type=").filter(lone_changed).any(|m| m.contains("\"signet\"")), "no Networks change");
}

/// Root may do everything; others may read summaries, read configuration
/// and output only with polkit's io.berth.inspect (or io.berth.manage), and
/// change only with io.berth.manage: on D-Bus and on varlink, where the
/// socket's mode is a second wall.
#[test]
fn only_root_or_polkit_may_change_things_on_either_api() {
    let s = Sandbox::boot("authz", Mode::Unified);
    let rootfs = s.busybox_rootfs();
    let nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups --";
    manager(
        &s,
        &format!(
            "CreateContainer 'a{{sv}}' 4 rootfs s {rootfs} command as 2 /bin/echo hello name s mine \
             env 'a{{ss}}' 1 SECRET_TOKEN hunter2"
        ),
    );
    let count = || manager(&s, "ListContainers bas true 0");
    let before = count();

    // D-Bus: reads yes, changes no, and nothing changed.
    let listed = s.ok(&format!("{nobody} busctl call {DEST} {MANAGER} ListContainers bas true 0"));
    assert_eq!(listed, before);
    let path = manager(&s, "GetContainer s mine").trim_start_matches("o ").trim_matches('"').to_string();
    assert_eq!(s.ok(&format!("{nobody} busctl get-property {DEST} {path} {CONTAINER} State")), "s \"configured\"");
    let refused = s.sh(&format!(
        "{nobody} dbus-send --system --print-reply --dest={DEST} /io/berth/Berth1 \
         io.berth.Berth1.Manager.RemoveContainer string:mine boolean:true boolean:false"
    ));
    let refused = String::from_utf8_lossy(&refused.stderr);
    // polkit's default for io.berth.manage is an administrator's password,
    // which dbus-send's call did not allow to be asked for.
    assert!(
        refused.contains(
            "Error org.freedesktop.DBus.Error.InteractiveAuthorizationRequired: interactive authorization required: \
             uid 65534 may not change berth without authenticating for io.berth.manage"
        ),
        "{refused}"
    );
    let start = s.sh(&format!("{nobody} busctl call {DEST} {path} {CONTAINER} Start"));
    assert!(!start.status.success());
    // Configuration (its environment holds the secret) is not a summary.
    let inspect_bus = || s.sh(&format!("{nobody} busctl call {DEST} {MANAGER} InspectContainer s mine"));
    let inspect_object = || s.sh(&format!("{nobody} busctl call {DEST} {path} {CONTAINER} Inspect"));
    for refused in [inspect_bus(), inspect_object()] {
        let err = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success() && err.contains("may not inspect berth"), "{refused:?}");
        assert!(!String::from_utf8_lossy(&refused.stdout).contains("SECRET_TOKEN"));
    }
    assert_eq!(count(), before);
    assert_eq!(property(&s, &path, "State"), "s \"configured\"");

    // varlink: the 0600 socket keeps others out altogether.
    let ctl = |args: &str| s.sh(&format!("{nobody} berthctl --address unix:/run/berth/io.berth {args}"));
    let walled = ctl("ps -a");
    assert!(!walled.status.success());
    assert!(String::from_utf8_lossy(&walled.stderr).contains("ermission denied"), "{walled:?}");
    // With the wall lowered, berthd itself refuses changes by SO_PEERCRED.
    s.ok("mkdir -p /etc/systemd/system/berth.socket.d && printf '[Socket]\\nSocketMode=0666\\n' \
          > /etc/systemd/system/berth.socket.d/open.conf && systemctl daemon-reload \
          && systemctl stop berth.service berth.socket && systemctl start berth.socket");
    let ps = ctl("ps -a");
    assert!(ps.status.success(), "{ps:?}");
    assert!(String::from_utf8_lossy(&ps.stdout).contains("mine"));
    let rm = ctl("rm -f mine");
    assert!(!rm.status.success());
    assert!(String::from_utf8_lossy(&rm.stderr).contains(": interactive authentication required"), "{rm:?}");
    assert_eq!(count(), before);
    for read in ["inspect mine", "logs mine"] {
        let refused = ctl(read);
        assert!(!refused.status.success(), "{read}: {refused:?}");
        assert!(String::from_utf8_lossy(&refused.stderr).contains("may not inspect berth"), "{read}: {refused:?}");
    }

    // A polkit rule grants io.berth.inspect: reads of configuration and
    // output go through on both APIs; changes still do not.
    let rule = |action: &str| {
        format!(
            "cat > /etc/polkit-1/rules.d/50-berth-{action}.rules <<'EOF'
polkit.addRule(function(action, subject) {{
    if (action.id == \"io.berth.{action}\" && subject.user == \"nobody\") {{
        return polkit.Result.YES;
    }}
}});
EOF"
        )
    };
    s.ok(&rule("inspect"));
    // polkitd reads new rules when it notices the file.
    let mut granted = inspect_bus();
    for _ in 0..50 {
        if granted.status.success() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        granted = inspect_bus();
    }
    assert!(String::from_utf8_lossy(&granted.stdout).contains("SECRET_TOKEN"), "{granted:?}");
    assert!(String::from_utf8_lossy(&inspect_object().stdout).contains("SECRET_TOKEN"));
    let inspected = ctl("inspect mine");
    assert!(String::from_utf8_lossy(&inspected.stdout).contains("SECRET_TOKEN"), "{inspected:?}");
    assert!(ctl("logs mine").status.success());
    assert!(!ctl("rm -f mine").status.success());
    s.ok("rm /etc/polkit-1/rules.d/50-berth-inspect.rules");

    // A polkit rule grants io.berth.manage: both APIs let changes through.
    s.ok(&rule("manage"));
    let mut granted = s.sh(&format!("{nobody} busctl call {DEST} {path} {CONTAINER} Start"));
    for _ in 0..50 {
        if granted.status.success() {
            break;
        }
        // polkitd reads new rules when it notices the file.
        std::thread::sleep(std::time::Duration::from_millis(100));
        granted = s.sh(&format!("{nobody} busctl call {DEST} {path} {CONTAINER} Start"));
    }
    assert!(granted.status.success(), "{granted:?}");
    let rm = ctl("rm -f mine");
    assert!(rm.status.success(), "{rm:?}");
    assert_eq!(count(), "a(ssssxisa{ss}o) 0");
}

/// A desktop user's call that polkit grants once the user authenticates:
/// with interaction allowed (D-Bus's header flag, varlink's
/// allowInteractiveAuthentication) the user's polkit agent asks for the
/// password and the call waits for the answer: granted with the right one,
/// refused with a wrong one; without, the caller is told interaction is
/// required. polkit's own text agent, pkttyagent, answers on a terminal.
#[test]
fn interactive_authorization_asks_the_users_agent() {
    let s = Sandbox::boot("interactive", Mode::Unified);
    let rootfs = s.busybox_rootfs();
    let (host, inside) = s.shared_dir("agent");
    for helper in ["agent-answers", "varlink-call"] {
        let source = format!("{}/tests/sandbox/{helper}.py", env!("CARGO_MANIFEST_DIR"));
        std::fs::copy(source, host.join(helper)).unwrap();
        s.ok(&format!("install -m 0755 {inside}/{helper} /usr/local/bin/{helper}"));
    }
    s.ok("useradd --create-home desk && echo desk:correct-horse | chpasswd");
    // The desktop's usual rule: its user may manage berth after giving
    // their own password.
    s.ok("cat > /etc/polkit-1/rules.d/50-berth-desk.rules <<'EOF'
polkit.addRule(function(action, subject) {
    if (action.id == \"io.berth.manage\" && subject.user == \"desk\") {
        return polkit.Result.AUTH_SELF;
    }
});
EOF");
    s.ok("mkdir -p /etc/systemd/system/berth.socket.d && printf '[Socket]\\nSocketMode=0666\\n' \
          > /etc/systemd/system/berth.socket.d/open.conf && systemctl daemon-reload \
          && systemctl stop berth.service berth.socket && systemctl start berth.socket");
    manager(&s, &format!("CreateContainer 'a{{sv}}' 3 rootfs s {rootfs} command as 1 true name s first"));
    manager(&s, &format!("CreateContainer 'a{{sv}}' 3 rootfs s {rootfs} command as 1 true name s second"));
    let desk = "setpriv --reuid=desk --regid=desk --init-groups --reset-env --";
    let exists = |name: &str| s.sh(&format!("busctl call {DEST} {MANAGER} GetContainer s {name}")).status.success();
    // polkitd reads the new rule when it notices the file: wait for it.
    let mut required = String::new();
    for _ in 0..50 {
        let out = s.sh(&format!("{desk} busctl call --allow-interactive-authorization=no {DEST} {MANAGER} RemoveContainer sbb first false false"));
        required = String::from_utf8_lossy(&out.stderr).into_owned();
        if required.contains("without authenticating") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        required.contains("Interactive authorization required")
            || required.contains("interactive authorization required"),
        "{required}"
    );
    assert!(exists("first"));

    // D-Bus, busctl allowing interaction (its default): the agent asks.
    // polkit's check of a password (PAM) can take longer than busctl's 25 s
    // while the other tests load both cores.
    let remove = |name: &str, password: &str| {
        s.sh(&format!(
            "{desk} agent-answers {password} busctl --timeout=120 call {DEST} {MANAGER} RemoveContainer sbb {name} false false"
        ))
    };
    let wrong = remove("first", "wrong-password");
    let shown = String::from_utf8_lossy(&wrong.stdout);
    assert!(!wrong.status.success() && shown.contains("Password:"), "{wrong:?}");
    assert!(shown.contains("authentication for io.berth.manage failed or was dismissed"), "{shown}");
    assert!(exists("first"));
    let right = remove("first", "correct-horse");
    let shown = String::from_utf8_lossy(&right.stdout);
    assert!(right.status.success() && shown.contains("AUTHENTICATION COMPLETE"), "{right:?}");
    assert!(!exists("first"));

    // varlink: the same with systemd's parameter; its error without it.
    let remove = "varlink-call /run/berth/io.berth io.berth.Container.Remove";
    let plain = s.ok(&format!("{desk} {remove} '{{\"nameOrId\": \"second\"}}'"));
    assert!(plain.contains("\"error\":\"io.systemd.InteractiveAuthenticationRequired\""), "{plain}");
    let asking = format!("{remove} '{{\"nameOrId\": \"second\", \"allowInteractiveAuthentication\": true}}'");
    let typed = s.sh(&format!("{desk} agent-answers correct-horse {asking}"));
    let shown = String::from_utf8_lossy(&typed.stdout);
    assert!(shown.contains("Password:") && shown.contains("\"parameters\""), "{typed:?}");
    assert!(!exists("second"));
}

/// D-Bus activation across idle exits: calls with pauses around the idle
/// timeout all succeed, each exit giving the name back first.
#[test]
fn bus_calls_across_idle_exits_all_succeed() {
    let s = Sandbox::boot("dbus-idle", Mode::Unified);
    s.idle_after_one_second();
    let pauses = [0u64, 1500, 50, 1100, 2000, 10, 1200, 990, 0, 1600];
    let mut failed = Vec::new();
    for (i, pause) in pauses.iter().enumerate() {
        std::thread::sleep(std::time::Duration::from_millis(*pause));
        let out = s.sh(&format!("busctl call {DEST} {MANAGER} CreateVolume 'sa{{ss}}' v{i} 0"));
        if !out.status.success() {
            failed.push((i, String::from_utf8_lossy(&out.stderr).into_owned()));
        }
    }
    assert!(failed.is_empty(), "failed calls: {failed:?}");
    let volumes = manager(&s, "ListVolumes as 0");
    assert!(volumes.starts_with(&format!("a(sba{{ss}}sas) {} ", pauses.len())), "{volumes}");
    let starts = s.journal(&["-u", "berth.service", "-g", "serving D-Bus"]);
    assert!(starts.lines().count() >= 4, "berthd did not go idle and come back: {starts}");
}

/// What one load client did: calls made, and the failures.
type Tally = (usize, Vec<String>);

/// A varlink client from the host: create, inspect, list, rename, sometimes
/// run, remove; a new connection every tenth round.
fn varlink_load(address: String, rootfs: String, me: usize, until: std::time::Instant) -> Tally {
    let (mut calls, mut failures) = (0, Vec::new());
    let mut client = berth::client::Client::connect(&address).unwrap();
    let mut round = 0;
    while std::time::Instant::now() < until {
        round += 1;
        if round % 10 == 0 {
            client = berth::client::Client::connect(&address).unwrap();
        }
        let name = format!("vl{me}-{round}");
        let run = round % 10 == 5;
        let command = if run { json!(["/bin/true"]) } else { json!(["/bin/sleep", "1"]) };
        let mut steps = vec![
            (
                "io.berth.Container.Create",
                json!({ "options": { "rootfs": rootfs, "command": command, "name": name, "labels": { "load": "yes" } } }),
            ),
            ("io.berth.Container.Inspect", json!({ "nameOrId": name })),
            ("io.berth.Container.List", json!({ "all": true, "filters": ["label=load=yes"] })),
            ("io.berth.Container.Rename", json!({ "nameOrId": name, "newName": format!("{name}r") })),
        ];
        if run {
            steps.push(("io.berth.Container.Start", json!({ "nameOrId": format!("{name}r") })));
            steps.push(("io.berth.Container.Wait", json!({ "nameOrId": format!("{name}r") })));
        }
        steps.push(("io.berth.Container.Remove", json!({ "nameOrId": format!("{name}r"), "force": true })));
        for (method, params) in steps {
            calls += 1;
            if let Err(e) = client.call(method, params) {
                failures.push(format!("{method} {name}: {e}"));
            }
        }
    }
    (calls, failures)
}

/// A D-Bus client from the host, on the sandbox's system bus: the same
/// rounds through the manager and the container objects.
fn dbus_load(bus: String, rootfs: String, me: usize, until: std::time::Instant) -> Tally {
    use std::collections::HashMap;
    use zbus::{OwnedObjectPath, Variant};
    let tokio = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    tokio.block_on(async {
        let connect = || async { zbus::connection::Builder::address(bus.as_str()).build().await.unwrap() };
        let (mut calls, mut failures) = (0, Vec::new());
        let mut conn = connect().await;
        let mut round = 0;
        while std::time::Instant::now() < until {
            round += 1;
            if round % 10 == 0 {
                conn = connect().await;
            }
            let name = format!("db{me}-{round}");
            let run = round % 10 == 5;
            let command: Vec<&str> = if run { vec!["/bin/true"] } else { vec!["/bin/sleep", "1"] };
            let options: HashMap<&str, Variant> = HashMap::from([
                ("rootfs", Variant::from(rootfs.as_str())),
                ("command", Variant::from(command)),
                ("name", Variant::from(name.as_str())),
            ]);
            let mut tally = |what: &str, r: zbus::Result<zbus::Message>| {
                calls += 1;
                r.map_err(|e| failures.push(format!("{what} {name}: {e}"))).ok()
            };
            let created = conn
                .call_method(
                    Some(DEST),
                    "/io/berth/Berth1",
                    Some("io.berth.Berth1.Manager"),
                    "CreateContainer",
                    &(options,),
                )
                .await;
            let Some(reply) = tally("CreateContainer", created) else { continue };
            let (_, path): (String, OwnedObjectPath) = reply.body().deserialize().unwrap();
            let state = conn
                .call_method(
                    Some(DEST),
                    path.as_str(),
                    Some("org.freedesktop.DBus.Properties"),
                    "Get",
                    &(CONTAINER, "State"),
                )
                .await;
            tally("Get State", state);
            let listed = conn
                .call_method(
                    Some(DEST),
                    "/io/berth/Berth1",
                    Some("io.berth.Berth1.Manager"),
                    "ListContainers",
                    &(true, Vec::<String>::new()),
                )
                .await;
            tally("ListContainers", listed);
            let renamed = conn
                .call_method(
                    Some(DEST),
                    "/io/berth/Berth1",
                    Some("io.berth.Berth1.Manager"),
                    "RenameContainer",
                    &(name.as_str(), format!("{name}r")),
                )
                .await;
            tally("RenameContainer", renamed);
            if run {
                let started = conn.call_method(Some(DEST), path.as_str(), Some(CONTAINER), "Start", &()).await;
                tally("Start", started);
                let waited = conn.call_method(Some(DEST), path.as_str(), Some(CONTAINER), "Wait", &()).await;
                tally("Wait", waited);
            }
            let removed = conn.call_method(Some(DEST), path.as_str(), Some(CONTAINER), "Remove", &(true, false)).await;
            tally("Remove", removed);
        }
        (calls, failures)
    })
}

/// 16 clients, half on varlink and half on D-Bus, for `time`: how many calls
/// they made and the ones that failed.
fn sixteen_clients(s: &Sandbox, bus: &str, rootfs: &str, time: std::time::Duration) -> Tally {
    let until = std::time::Instant::now() + time;
    let clients: Vec<_> = (0..16)
        .map(|me| {
            let (address, bus, rootfs) = (s.address(), bus.to_string(), rootfs.to_string());
            std::thread::spawn(move || {
                if me % 2 == 0 {
                    varlink_load(address, rootfs, me, until)
                } else {
                    dbus_load(bus, rootfs, me, until)
                }
            })
        })
        .collect();
    let (mut calls, mut failures) = (0, Vec::new());
    for c in clients {
        let (n, f) = c.join().unwrap();
        calls += n;
        failures.extend(f);
    }
    (calls, failures)
}

/// 16 clients, half on each API, for a minute: no failed call, and berthd
/// holds as many descriptors afterwards as before.
#[test]
fn sixteen_clients_on_both_apis_for_a_minute() {
    let s = Sandbox::boot("load", Mode::Unified);
    let rootfs = s.busybox_rootfs();
    // The same load for a few seconds first, so that what berthd keeps open
    // for good is there before counting: its bus connections and, once a
    // container has run, its connection to systemd. (Its database readers
    // are a fixed set, opened with the database.)
    let bus = format!("unix:path={}", s.state.join("x/dbus/system_bus_socket").display());
    let (_, failures) = sixteen_clients(&s, &bus, &rootfs, std::time::Duration::from_secs(3));
    assert!(failures.is_empty(), "warm-up: {failures:?}");
    let pid = s.ok("systemctl show -p MainPID --value berth.service");
    let fds = || s.ok(&format!("ls /proc/{pid}/fd | wc -l")).parse::<usize>().unwrap();
    let open = || s.ok(&format!("ls -l /proc/{pid}/fd | awk '{{print $NF}}' | sort | uniq -c"));
    // The warm-up's connections close asynchronously too.
    std::thread::sleep(std::time::Duration::from_secs(1));
    let before = fds();
    let open_before = open();

    let (calls, failures) = sixteen_clients(&s, &bus, &rootfs, std::time::Duration::from_secs(60));
    assert!(failures.is_empty(), "{} of {calls} calls failed: {failures:?}", failures.len());
    assert!(calls > 16 * 20, "only {calls} calls in a minute");
    assert_eq!(s.ok("systemctl show -p MainPID --value berth.service"), pid, "berthd restarted");
    assert_eq!(manager(&s, "ListContainers bas true 0"), "a(ssssxisa{ss}o) 0");
    // Connections close asynchronously: give them a moment.
    let mut after = fds();
    for _ in 0..50 {
        if after <= before {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        after = fds();
    }
    assert!(
        after <= before,
        "berthd holds {after} descriptors after the load, {before} before:\n{}\nbefore:\n{open_before}",
        open()
    );
    eprintln!("load: {calls} calls in 60 s by 16 clients; descriptors {before} before, {after} after");
}

/// Container.Attach over the bus `bus` with stdin: the socket it returns.
fn attach_over_the_bus(bus: &str, path: &str) -> std::os::unix::net::UnixStream {
    let options = std::collections::HashMap::from([("stdin", zbus::Variant::from(true))]);
    let fd: zbus::OwnedFd = call_over_the_bus(bus, path, "Attach", &(options,));
    socket_of(fd)
}

/// `command` run in the container at `path` by the object's Exec, with a
/// terminal and stdin: its session's ID and the socket carrying it.
fn exec_over_the_bus(bus: &str, path: &str, command: &[&str]) -> (String, std::os::unix::net::UnixStream) {
    use zbus::Variant;
    let options = std::collections::HashMap::from([("terminal", Variant::from(true)), ("stdin", Variant::from(true))]);
    let (id, fd): (String, zbus::OwnedFd) = call_over_the_bus(bus, path, "Exec", &(command, options));
    (id, socket_of(fd))
}

fn call_over_the_bus<B, R>(bus: &str, path: &str, method: &str, body: &B) -> R
where
    B: serde::Serialize + zbus::zvariant::DynamicType,
    R: for<'d> serde::Deserialize<'d> + zbus::zvariant::Type,
{
    let tokio = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    tokio.block_on(async {
        let conn = zbus::connection::Builder::address(bus).build().await.unwrap();
        let reply = conn.call_method(Some(DEST), path, Some(CONTAINER), method, body).await.unwrap();
        reply.body().deserialize().unwrap()
    })
}

fn socket_of(fd: zbus::OwnedFd) -> std::os::unix::net::UnixStream {
    let stream = std::os::unix::net::UnixStream::from(std::os::fd::OwnedFd::from(fd));
    stream.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
    stream
}

/// Type `keys` into `stream` and read into `seen` until it holds `until`.
fn type_and_read(stream: &mut std::os::unix::net::UnixStream, seen: &mut String, keys: &str, until: &str) {
    use std::io::{Read, Write};
    stream.write_all(keys.as_bytes()).unwrap();
    let mut buf = [0u8; 1024];
    while !seen.contains(until) {
        let n = stream.read(&mut buf).unwrap_or_else(|e| panic!("{until:?} did not come: {e}; got {seen:?}"));
        assert!(n > 0, "the stream ended before {until:?}: {seen:?}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}

/// The objects follow the records even after the D-Bus side lost events.
/// A debug build's fault knobs keep two events for it and slow it to one
/// event per 50 ms, so a burst of changes, each a few milliseconds, leaves
/// it behind: the oldest events, the removals, are dropped, and only the
/// re-reading of every record that follows takes their objects away.
#[test]
fn objects_follow_the_records_after_lost_events() {
    let bus = common::PrivateBus::start();
    let env = [("BERTH_EVENT_BACKLOG", "2"), ("BERTH_SLOW_AT", "dbus.follow:50")];
    let d = common::Daemon::start_env(&["--dbus", &bus.address], &env);
    bus.wait_for_berth();
    let mut c = d.client();
    // busctl tree fails when an object goes between its listing and its
    // introspection, as they do here while the objects catch up: try again.
    let tree = || bus.try_busctl("tree --list io.berth.Berth1");
    let eventually = |what: &str, done: &dyn Fn(&str) -> bool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let now = tree();
            if now.as_deref().is_ok_and(done) {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "never {what}: {now:?}");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };
    let pod = |c: &mut berth::client::Client, name: &str| {
        c.call("io.berth.Pod.Create", json!({ "name": name, "infra": false })).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for name in ["old", "kept"] {
        c.call("io.berth.Volume.Create", json!({ "name": name })).unwrap();
    }
    let old_pod = pod(&mut c, "oldpod");
    c.call("io.berth.Network.Create", json!({ "name": "oldnet" })).unwrap();
    let old = ["/io/berth/Berth1/volume/old".to_string(), format!("/io/berth/Berth1/pod/{old_pod}")];
    let old_net = "/io/berth/Berth1/network/oldnet";
    eventually("the first objects", &|t| old.iter().all(|p| t.contains(p.as_str())) && t.contains(old_net));

    // The burst: removals first, then creations.
    c.call("io.berth.Volume.Remove", json!({ "name": "old" })).unwrap();
    c.call("io.berth.Pod.Remove", json!({ "nameOrId": "oldpod" })).unwrap();
    c.call("io.berth.Network.Remove", json!({ "name": "oldnet" })).unwrap();
    let mut new: Vec<String> = (1..=8)
        .map(|i| {
            let name = format!("v{i}");
            c.call("io.berth.Volume.Create", json!({ "name": name })).unwrap();
            format!("/io/berth/Berth1/volume/{name}")
        })
        .collect();
    new.extend((1..=3).map(|i| format!("/io/berth/Berth1/pod/{}", pod(&mut c, &format!("p{i}")))));
    c.call("io.berth.Network.Create", json!({ "name": "newnet" })).unwrap();
    new.push("/io/berth/Berth1/network/newnet".into());

    eventually("the records' objects again", &|t| {
        let lines: Vec<&str> = t.lines().collect();
        new.iter().all(|p| lines.contains(&p.as_str()))
            && lines.contains(&"/io/berth/Berth1/volume/kept")
            && !old.iter().any(|p| lines.contains(&p.as_str()))
            && !lines.contains(&old_net)
    });
    // The manager's listings agree.
    let pods = bus.busctl("call io.berth.Berth1 /io/berth/Berth1 io.berth.Berth1.Manager ListPods as 0");
    assert!(!pods.contains("oldpod") && pods.contains("\"p3\""), "{pods}");
}

/// Introspect answers as sd-bus does: a node's own interfaces and its
/// children's names, never their interfaces, so that the manager's answer
/// does not grow with the catalogue and busctl walks the tree without a
/// complaint (zbus's own answer nests every descendant, which busctl
/// misreads as signal arguments "in").
#[test]
fn introspection_names_children_without_their_interfaces() {
    let bus = common::PrivateBus::start();
    let d = common::Daemon::start_with(&["--dbus", &bus.address]);
    bus.wait_for_berth();
    let mut c = d.client();
    for name in ["n1", "n2"] {
        c.call("io.berth.Network.Create", json!({ "name": name })).unwrap();
        c.call("io.berth.Volume.Create", json!({ "name": format!("v-{name}") })).unwrap();
    }
    let options = json!({ "rootfs": d.rootfs(), "command": ["/bin/true"], "name": "c1" });
    let id =
        c.call("io.berth.Container.Create", json!({ "options": options })).unwrap()["id"].as_str().unwrap().to_string();
    let introspect = |path: &str| {
        let reply = bus.busctl(&format!("call io.berth.Berth1 {path} org.freedesktop.DBus.Introspectable Introspect"));
        reply.replace("\\\"", "\"").replace("\\n", "\n")
    };

    let manager = introspect("/io/berth/Berth1");
    for own in ["io.berth.Berth1.Manager", "io.berth.Berth1.Storage", "org.freedesktop.DBus.ObjectManager"] {
        assert!(manager.contains(&format!("<interface name=\"{own}\">")), "no {own} in {manager}");
    }
    for kind in ["container", "network", "volume"] {
        assert!(manager.contains(&format!("<node name=\"{kind}\"/>")), "no {kind} child in {manager}");
    }
    assert!(!manager.contains("io.berth.Berth1.Volume") && !manager.contains("<node name=\"n1\""), "{manager}");
    let networks = introspect("/io/berth/Berth1/network");
    assert!(["berth", "n1", "n2"].iter().all(|n| networks.contains(&format!("<node name=\"{n}\"/>"))), "{networks}");
    assert!(!networks.contains("io.berth.Berth1.Network"), "{networks}");
    assert!(introspect("/").contains("<node name=\"io\"/>"));
    let container = introspect(&format!("/io/berth/Berth1/container/{id}"));
    assert!(container.contains("<interface name=\"io.berth.Berth1.Container\">"), "{container}");

    let tree = bus.busctl("tree --list io.berth.Berth1 2>&1");
    assert!(!tree.contains("Unexpected") && !tree.contains("Failed"), "{tree}");
    for path in [format!("/io/berth/Berth1/container/{id}"), "/io/berth/Berth1/volume/v_2dn2".into()] {
        assert!(tree.lines().any(|l| l == path), "no {path} in {tree}");
    }
}

/// A change over D-Bus is answered once the objects show it, however far
/// behind the runtime's events they run (here 30 ms an event): the path a
/// creation answers is there at once, and a removed object is gone.
#[test]
fn a_change_is_answered_once_the_objects_show_it() {
    let bus = common::PrivateBus::start();
    let d = common::Daemon::start_env(&["--dbus", &bus.address], &[("BERTH_SLOW_AT", "dbus.follow:30")]);
    bus.wait_for_berth();
    let manager = "io.berth.Berth1 /io/berth/Berth1 io.berth.Berth1.Manager";
    for name in ["v1", "v2", "v3"] {
        bus.busctl(&format!("call {manager} CreateVolume 'sa{{ss}}' {name} 0"));
        let path = format!("/io/berth/Berth1/volume/{name}");
        let named = bus.busctl(&format!("get-property io.berth.Berth1 {path} io.berth.Berth1.Volume Name"));
        assert_eq!(named.trim(), format!("s \"{name}\""));
        bus.busctl(&format!("call {manager} RemoveVolume sb {name} false"));
        let tree = bus.busctl("tree --list io.berth.Berth1");
        assert!(!tree.lines().any(|l| l == path), "{path} is still there: {tree}");
    }
    let create = format!("CreateContainer 'a{{sv}}' 2 rootfs s {} command as 1 /bin/true", d.rootfs());
    let created = bus.busctl(&format!("call {manager} {create}"));
    let path = created.split('"').nth(3).expect("an object path").to_string();
    let state = bus.busctl(&format!("get-property io.berth.Berth1 {path} io.berth.Berth1.Container State"));
    assert_eq!(state.trim(), "s \"configured\"");
    bus.busctl(&format!("call io.berth.Berth1 {path} io.berth.Berth1.Container Start"));
    bus.busctl(&format!("call io.berth.Berth1 {path} io.berth.Berth1.Container Wait"));
    let state = bus.busctl(&format!("get-property io.berth.Berth1 {path} io.berth.Berth1.Container State"));
    assert_eq!(state.trim(), "s \"exited\"");
}
