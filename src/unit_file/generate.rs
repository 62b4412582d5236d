//! What `berth-generator` makes of each unit file: a service that runs
//! berthctl, as Quadlet makes one that runs podman. `web.container` becomes
//! `web.service` (a `Type=notify` service whose main PID becomes the
//! container's conmon); `x.volume`, `x.network` and `x.pod` become
//! `x-volume.service`, `x-network.service` and `x-pod.service`, which
//! containers that name them require and follow. `[Unit]` and `[Service]`
//! pass through; `[Install]` becomes the links `systemctl enable` would
//! make, since a generated unit cannot be enabled.

use super::{exec_word, parse_bool, split_words, Entry, FileError, UnitFile};
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Container,
    Volume,
    Network,
    Pod,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Container, Kind::Volume, Kind::Network, Kind::Pod];

    /// The kind and stem of a unit file's name (`web.container`).
    pub fn of_file(name: &str) -> Option<(Kind, &str)> {
        let (stem, extension) = name.rsplit_once('.')?;
        let kind = Kind::ALL.into_iter().find(|k| k.extension() == extension)?;
        (!stem.is_empty()).then_some((kind, stem))
    }

    pub fn extension(self) -> &'static str {
        match self {
            Kind::Container => "container",
            Kind::Volume => "volume",
            Kind::Network => "network",
            Kind::Pod => "pod",
        }
    }

    fn section(self) -> &'static str {
        match self {
            Kind::Container => "Container",
            Kind::Volume => "Volume",
            Kind::Network => "Network",
            Kind::Pod => "Pod",
        }
    }

    /// The key that names the object, whose default is `systemd-<stem>`.
    fn name_key(self) -> &'static str {
        match self {
            Kind::Container => "ContainerName",
            Kind::Volume => "VolumeName",
            Kind::Network => "NetworkName",
            Kind::Pod => "PodName",
        }
    }

    /// The service a unit file becomes.
    pub fn service(self, stem: &str) -> String {
        match self {
            Kind::Container => format!("{stem}.service"),
            other => format!("{stem}-{}.service", other.extension()),
        }
    }
}

/// The container, volume, network or pod a unit file makes, by name.
pub fn object_name(kind: Kind, stem: &str, file: &UnitFile) -> String {
    match file.last(kind.section(), kind.name_key()) {
        Some(entry) => entry.value.clone(),
        None => format!("systemd-{stem}"),
    }
}

/// What the generator needs besides the file.
pub struct Context<'a> {
    /// berthctl's path, as ExecStart= needs it.
    pub berthctl: &'a str,
    /// The unit file's path (SourcePath=).
    pub source: &'a str,
    pub stem: &'a str,
    /// Every unit file by file name -> the name of the object it makes,
    /// so that `Volume=data.volume:/d` finds the volume's name.
    pub objects: &'a BTreeMap<String, String>,
    /// For a pod: the services of the containers that name it.
    pub members: &'a [String],
}

/// A generated service and the links its `[Install]` asks for: (a
/// directory such as `multi-user.target.wants`, or "" for an alias; the
/// link's name).
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    pub service: String,
    pub text: String,
    pub links: Vec<(String, String)>,
}

/// How a `[Container]` key becomes berthctl run's arguments.
#[derive(Clone, Copy)]
enum Arg {
    /// One value, the last given: `--flag=value`.
    One(&'static str),
    /// Each line one `--flag=value`.
    Each(&'static str),
    /// Each word of each line one `--flag=word`.
    Words(&'static str),
    /// A boolean: true gives the argument.
    Flag(&'static str),
}

const CONTAINER_KEYS: &[(&str, Arg)] = &[
    ("AddCapability", Arg::Words("--cap-add")),
    ("AddDevice", Arg::Each("--device")),
    ("Annotation", Arg::Words("--annotation")),
    ("DNS", Arg::Each("--dns")),
    ("DNSOption", Arg::Each("--dns-option")),
    ("DNSSearch", Arg::Each("--dns-search")),
    ("DropCapability", Arg::Words("--cap-drop")),
    ("Entrypoint", Arg::One("--entrypoint")),
    ("Environment", Arg::Words("--env")),
    ("EnvironmentFile", Arg::Each("--env-file")),
    ("GroupAdd", Arg::Words("--group-add")),
    ("HealthCmd", Arg::One("--health-cmd")),
    ("HealthInterval", Arg::One("--health-interval")),
    ("HealthOnFailure", Arg::One("--health-on-failure")),
    ("HealthRetries", Arg::One("--health-retries")),
    ("HealthStartPeriod", Arg::One("--health-start-period")),
    ("HealthTimeout", Arg::One("--health-timeout")),
    ("HostName", Arg::One("--hostname")),
    ("IP", Arg::One("--ip")),
    ("Label", Arg::Words("--label")),
    ("LogDriver", Arg::One("--log-driver")),
    ("Memory", Arg::One("--memory")),
    ("Mount", Arg::Each("--mount")),
    ("NetworkAlias", Arg::Each("--network-alias")),
    ("NoNewPrivileges", Arg::Flag("--security-opt=no-new-privileges")),
    ("PidsLimit", Arg::One("--pids-limit")),
    ("PublishPort", Arg::Each("--publish")),
    ("ReadOnly", Arg::Flag("--read-only")),
    ("RunInit", Arg::Flag("--init")),
    ("Secret", Arg::Each("--secret")),
    ("ShmSize", Arg::One("--shm-size")),
    ("StopSignal", Arg::One("--stop-signal")),
    ("StopTimeout", Arg::One("--stop-timeout")),
    ("Sysctl", Arg::Words("--sysctl")),
    ("Timezone", Arg::One("--tz")),
    ("Tmpfs", Arg::Each("--tmpfs")),
    ("Ulimit", Arg::Each("--ulimit")),
    ("WorkingDir", Arg::One("--workdir")),
];

/// Keys handled one by one below (their values name other units, or
/// several keys make one argument).
const CONTAINER_SPECIAL: &[&str] = &[
    "Image",
    "Rootfs",
    "Exec",
    "ContainerName",
    "Notify",
    "Volume",
    "Network",
    "Pod",
    "User",
    "Group",
    "BerthArgs",
    "PodmanArgs",
];
const VOLUME_KEYS: &[&str] = &["VolumeName", "Driver", "Label", "Device", "Type", "Options", "User", "Group"];
const NETWORK_KEYS: &[&str] = &["NetworkName", "Driver", "Subnet", "Gateway", "Internal", "DisableDNS", "Label"];
const POD_KEYS: &[&str] = &["PodName", "PublishPort", "Network", "BerthArgs", "PodmanArgs"];
const INSTALL_KEYS: &[&str] = &["WantedBy", "RequiredBy", "Alias"];

/// The service `file` (of `kind`) becomes.
pub fn generate(kind: Kind, file: &UnitFile, cx: &Context) -> Result<Generated, FileError> {
    check_sections(kind, file)?;
    let mut unit = Dependencies::default();
    let body = match kind {
        Kind::Container => container(file, cx, &mut unit)?,
        Kind::Volume => volume(file, cx)?,
        Kind::Network => network(file, cx)?,
        Kind::Pod => pod(file, cx, &mut unit)?,
    };
    let service = kind.service(cx.stem);
    let mut text = format!("# Made by berth-generator from {}; edit that file, not this one.\n", cx.source);
    text.push_str("[Unit]\n");
    for e in file.section("Unit") {
        let _ = writeln!(text, "{}={}", e.key, e.value);
    }
    let _ = writeln!(text, "SourcePath={}", cx.source);
    // berthctl reaches berthd through its socket, which activates it.
    text.push_str("Wants=berth.socket\nAfter=berth.socket\n");
    if kind == Kind::Container {
        text.push_str("Wants=network-online.target\nAfter=network-online.target\n");
    }
    for (key, units) in [("Requires", &unit.requires), ("BindsTo", &unit.binds_to), ("Wants", &unit.wants)] {
        for u in units {
            let _ = writeln!(text, "{key}={u}");
        }
    }
    for u in unit.requires.iter().chain(&unit.binds_to) {
        let _ = writeln!(text, "After={u}");
    }
    text.push_str("\n[Service]\n");
    text.push_str(&body);
    // The file's own lines last: a key given once there wins over ours.
    for e in file.section("Service") {
        let _ = writeln!(text, "{}={}", e.key, e.value);
    }
    for section in file.sections.iter().filter(|s| s.name.starts_with("X-")) {
        let _ = writeln!(text, "\n[{}]", section.name);
        for e in &section.entries {
            let _ = writeln!(text, "{}={}", e.key, e.value);
        }
    }
    Ok(Generated { links: install_links(file)?, service, text })
}

#[derive(Default)]
struct Dependencies {
    requires: Vec<String>,
    binds_to: Vec<String>,
    wants: Vec<String>,
}

fn check_sections(kind: Kind, file: &UnitFile) -> Result<(), FileError> {
    let own = kind.section();
    for section in &file.sections {
        let known: Option<Vec<&str>> = match section.name.as_str() {
            "Unit" | "Service" => None,
            n if n.starts_with("X-") => None,
            "Install" => Some(INSTALL_KEYS.to_vec()),
            n if n == own => Some(match kind {
                Kind::Container => {
                    CONTAINER_KEYS.iter().map(|(k, _)| *k).chain(CONTAINER_SPECIAL.iter().copied()).collect()
                }
                Kind::Volume => VOLUME_KEYS.to_vec(),
                Kind::Network => NETWORK_KEYS.to_vec(),
                Kind::Pod => POD_KEYS.to_vec(),
            }),
            other => {
                let line = section.entries.first().map(|e| e.line.saturating_sub(1)).unwrap_or(0);
                return Err(FileError::at(
                    line,
                    format!("unsupported section [{other}] in a .{} file", kind.extension()),
                ));
            }
        };
        if let Some(known) = known {
            if let Some(e) = section.entries.iter().find(|e| !known.contains(&e.key.as_str())) {
                return Err(FileError::at(
                    e.line,
                    format!("unsupported key {:?} in section [{}]", e.key, section.name),
                ));
            }
        }
    }
    if !file.sections.iter().any(|s| s.name == own) {
        return Err(FileError::at(0, format!("no [{own}] section")));
    }
    Ok(())
}

fn install_links(file: &UnitFile) -> Result<Vec<(String, String)>, FileError> {
    let mut links = Vec::new();
    for e in file.section("Install") {
        for word in split_words(e)? {
            links.push(match e.key.as_str() {
                "WantedBy" => (format!("{word}.wants"), String::new()),
                "RequiredBy" => (format!("{word}.requires"), String::new()),
                _ => (String::new(), word),
            });
        }
    }
    Ok(links)
}

/// An Exec= line: berthctl and `args`, each quoted for systemd, after
/// `raw`, which may hold specifiers (%t, %N).
fn exec_line(cx: &Context, raw: &str, args: &[String]) -> String {
    let mut line = exec_word(cx.berthctl);
    for part in raw.split_whitespace() {
        line.push(' ');
        line.push_str(part);
    }
    for a in args {
        line.push(' ');
        line.push_str(&exec_word(a));
    }
    line
}

/// The object another unit file makes, and that unit's service, for a
/// value such as `data.volume`.
fn referenced(cx: &Context, entry: &Entry, name: &str, kind: Kind) -> Result<(String, String), FileError> {
    let object = cx
        .objects
        .get(name)
        .ok_or_else(|| FileError::at(entry.line, format!("{}={name}: there is no unit file {name}", entry.key)))?;
    let stem = name.strip_suffix(&format!(".{}", kind.extension())).unwrap_or(name);
    Ok((object.clone(), kind.service(stem)))
}

/// BerthArgs= (and Quadlet's PodmanArgs=, whose flags berthctl shares):
/// more arguments as they are.
fn extra_args(file: &UnitFile, section: &str) -> Result<Vec<String>, FileError> {
    let mut args = Vec::new();
    for e in file.section(section).filter(|e| e.key == "BerthArgs" || e.key == "PodmanArgs") {
        args.extend(split_words(e)?);
    }
    Ok(args)
}

fn container(file: &UnitFile, cx: &Context, deps: &mut Dependencies) -> Result<String, FileError> {
    let entries: Vec<&Entry> = file.section("Container").collect();
    let last = |key: &str| entries.iter().rev().find(|e| e.key == key).copied();
    let mut args: Vec<String> = Vec::new();
    if let Some(name) = last("ContainerName") {
        args.push(format!("--name={}", name.value));
    }
    let notify = match last("Notify") {
        None => "conmon",
        Some(e) if e.value == "healthy" => "healthy",
        Some(e) => match parse_bool(e)? {
            true => "container",
            false => "conmon",
        },
    };
    args.push(format!("--sdnotify={notify}"));
    for (key, how) in CONTAINER_KEYS {
        let mut given = entries.iter().filter(|e| e.key == *key).peekable();
        if given.peek().is_none() {
            continue;
        }
        match how {
            Arg::One(flag) => args.push(format!("{flag}={}", given.last().map(|e| e.value.as_str()).unwrap_or(""))),
            Arg::Each(flag) => args.extend(given.map(|e| format!("{flag}={}", e.value))),
            Arg::Words(flag) => {
                for e in given {
                    args.extend(split_words(e)?.into_iter().map(|w| format!("{flag}={w}")));
                }
            }
            Arg::Flag(flag) => {
                if let Some(e) = given.last() {
                    if parse_bool(e)? {
                        args.push(flag.to_string());
                    }
                }
            }
        }
    }
    match (last("User"), last("Group")) {
        (Some(user), Some(group)) => args.push(format!("--user={}:{}", user.value, group.value)),
        (Some(user), None) => args.push(format!("--user={}", user.value)),
        (None, Some(group)) => return Err(FileError::at(group.line, "Group= needs User=")),
        (None, None) => {}
    }
    for e in entries.iter().filter(|e| e.key == "Volume") {
        let (source, rest) = e.value.split_once(':').unwrap_or((&e.value, ""));
        if source.ends_with(".volume") {
            let (volume, service) = referenced(cx, e, source, Kind::Volume)?;
            deps.requires.push(service);
            args.push(format!("--volume={volume}:{rest}"));
        } else {
            args.push(format!("--volume={}", e.value));
        }
    }
    for e in entries.iter().filter(|e| e.key == "Network") {
        if e.value.ends_with(".network") {
            let (network, service) = referenced(cx, e, &e.value, Kind::Network)?;
            deps.requires.push(service);
            args.push(format!("--network={network}"));
        } else {
            args.push(format!("--network={}", e.value));
        }
    }
    if let Some(e) = last("Pod") {
        if !e.value.ends_with(".pod") {
            return Err(FileError::at(e.line, format!("Pod={}: a pod is named by its .pod file", e.value)));
        }
        let (pod, service) = referenced(cx, e, &e.value, Kind::Pod)?;
        deps.binds_to.push(service);
        args.push(format!("--pod={pod}"));
    }
    args.extend(extra_args(file, "Container")?);
    match (last("Image"), last("Rootfs")) {
        (Some(image), None) => args.push(image.value.clone()),
        (None, Some(rootfs)) => args.push(format!("--rootfs={}", rootfs.value)),
        (Some(e), Some(_)) => return Err(FileError::at(e.line, "Image= and Rootfs= cannot both be set")),
        (None, None) => return Err(FileError::at(0, "[Container] needs Image= or Rootfs=")),
    }
    if let Some(e) = last("Exec") {
        args.extend(split_words(e)?);
    }
    let name = if last("ContainerName").is_some() { "" } else { " --name=systemd-%N" };
    let cid = "--cidfile=%t/%N.cid";
    let start = format!("run{name} {cid} --replace --rm -d");
    let mut body = String::from("Environment=BERTH_SYSTEMD_UNIT=%n\n");
    // conmon, the main PID, and the container stop through ExecStop;
    // anything left in the unit's own cgroup is killed after.
    body.push_str("KillMode=mixed\nType=notify\nNotifyAccess=all\nSyslogIdentifier=%N\n");
    // Under a user's manager berthctl moves conmon in before naming it the
    // main PID (only root may name one outside the unit), which systemd
    // allows only into a delegated unit.
    body.push_str("Delegate=yes\n");
    let _ = writeln!(body, "ExecStart={}", exec_line(cx, &start, &args));
    let _ = writeln!(body, "ExecStop={}", exec_line(cx, &format!("rm -v -f -i {cid}"), &[]));
    let _ = writeln!(body, "ExecStopPost=-{}", exec_line(cx, &format!("rm -v -f -i {cid}"), &[]));
    Ok(body)
}

/// A oneshot service that makes an object if it is not there, and keeps
/// it when stopped (as Quadlet's volume and network services do).
fn oneshot(cx: &Context, create: &[String]) -> String {
    format!("Type=oneshot\nRemainAfterExit=yes\nSyslogIdentifier=%N\nExecStart={}\n", exec_line(cx, "", create))
}

fn volume(file: &UnitFile, cx: &Context) -> Result<String, FileError> {
    let mut args = vec!["volume".into(), "create".into(), "--ignore".into()];
    let mut mount_options = Vec::new();
    for e in file.section("Volume") {
        match e.key.as_str() {
            "Driver" if e.value != "local" => {
                return Err(FileError::at(e.line, format!("Driver={}: only the local driver is supported", e.value)))
            }
            "Label" => args.extend(split_words(e)?.into_iter().map(|w| format!("--label={w}"))),
            "Device" => args.push(format!("--opt=device={}", e.value)),
            "Type" => args.push(format!("--opt=type={}", e.value)),
            "Options" => mount_options.push(e.value.clone()),
            "User" => mount_options.push(format!("uid={}", e.value)),
            "Group" => mount_options.push(format!("gid={}", e.value)),
            _ => {}
        }
    }
    if !mount_options.is_empty() {
        args.push(format!("--opt=o={}", mount_options.join(",")));
    }
    args.push(object_name(Kind::Volume, cx.stem, file));
    Ok(oneshot(cx, &args))
}

fn network(file: &UnitFile, cx: &Context) -> Result<String, FileError> {
    let mut args = vec!["network".into(), "create".into(), "--ignore".into()];
    for e in file.section("Network") {
        match e.key.as_str() {
            "Driver" => args.push(format!("--driver={}", e.value)),
            "Subnet" => args.push(format!("--subnet={}", e.value)),
            "Gateway" => args.push(format!("--gateway={}", e.value)),
            "Internal" if parse_bool(e)? => args.push("--internal".into()),
            "DisableDNS" if parse_bool(e)? => args.push("--disable-dns".into()),
            "Label" => args.extend(split_words(e)?.into_iter().map(|w| format!("--label={w}"))),
            _ => {}
        }
    }
    args.push(object_name(Kind::Network, cx.stem, file));
    Ok(oneshot(cx, &args))
}

fn pod(file: &UnitFile, cx: &Context, deps: &mut Dependencies) -> Result<String, FileError> {
    let name = object_name(Kind::Pod, cx.stem, file);
    let mut create =
        vec!["pod".into(), "create".into(), "--replace".into(), "--infra".into(), format!("--name={name}")];
    for e in file.section("Pod") {
        match e.key.as_str() {
            "PublishPort" => create.push(format!("--publish={}", e.value)),
            "Network" if e.value.ends_with(".network") => {
                let (network, service) = referenced(cx, e, &e.value, Kind::Network)?;
                deps.requires.push(service);
                create.push(format!("--network={network}"));
            }
            "Network" => create.push(format!("--network={}", e.value)),
            _ => {}
        }
    }
    create.extend(extra_args(file, "Pod")?);
    // Starting the pod's service starts its containers' too.
    deps.wants.extend(cx.members.iter().cloned());
    let mut body = String::from("Type=oneshot\nRemainAfterExit=yes\nSyslogIdentifier=%N\n");
    let _ = writeln!(body, "ExecStartPre={}", exec_line(cx, "", &create));
    let _ = writeln!(body, "ExecStart={}", exec_line(cx, "", &["pod".into(), "start".into(), name.clone()]));
    let _ = writeln!(body, "ExecStop={}", exec_line(cx, "", &["pod".into(), "stop".into(), name.clone()]));
    let remove = ["pod".into(), "rm".into(), "-f".into(), "-i".into(), name];
    let _ = writeln!(body, "ExecStopPost=-{}", exec_line(cx, "", &remove));
    Ok(body)
}

/// The pod file a container file names, if any (for the pod's Wants=).
pub fn pod_of(file: &UnitFile) -> Option<String> {
    file.last("Container", "Pod").map(|e| e.value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(kind: Kind, stem: &str, text: &str) -> Result<Generated, FileError> {
        let objects: BTreeMap<String, String> = [
            ("data.volume".to_string(), "systemd-data".to_string()),
            ("front.network".to_string(), "frontnet".to_string()),
            ("app.pod".to_string(), "systemd-app".to_string()),
        ]
        .into();
        let members = ["web.service".to_string()];
        let cx = Context {
            berthctl: "/usr/bin/berthctl",
            source: "/etc/berth/systemd/x",
            stem,
            objects: &objects,
            members: &members,
        };
        generate(kind, &UnitFile::parse(text).unwrap(), &cx)
    }

    fn line<'a>(g: &'a Generated, key: &str) -> &'a str {
        g.text.lines().find_map(|l| l.strip_prefix(&format!("{key}="))).unwrap_or_else(|| panic!("{key} in {}", g.text))
    }

    #[test]
    fn a_container_file_becomes_a_notify_service_running_berthctl() {
        let text = "[Unit]\nDescription=The web server\n[Container]\nImage=localhost/web:1\nExec=httpd -f -p \"8080\"\n\
                    Environment=A=1 \"B=two words\"\nPublishPort=8080:80\nVolume=data.volume:/srv:ro\nVolume=/etc/x:/x\n\
                    Network=front.network\nNotify=healthy\nHealthCmd=wget -q -O /dev/null localhost:8080\nHealthInterval=2s\n\
                    User=1000\nGroup=100\nReadOnly=yes\nBerthArgs=--memory 64m\n[Service]\nRestart=always\n\
                    [Install]\nWantedBy=multi-user.target default.target\n";
        let g = generated(Kind::Container, "web", text).unwrap();
        assert_eq!(g.service, "web.service");
        assert_eq!(line(&g, "Description"), "The web server");
        assert_eq!(line(&g, "Type"), "notify");
        assert_eq!(line(&g, "NotifyAccess"), "all");
        assert_eq!(line(&g, "Restart"), "always");
        assert!(g.text.contains("Requires=data-volume.service\n") && g.text.contains("After=data-volume.service\n"));
        assert!(g.text.contains("Requires=front-network.service\n"));
        let start = line(&g, "ExecStart");
        assert!(
            start.starts_with("/usr/bin/berthctl run --name=systemd-%N --cidfile=%t/%N.cid --replace --rm -d "),
            "{start}"
        );
        for part in [
            "--sdnotify=healthy",
            "--env=A=1",
            "\"--env=B=two words\"",
            "--publish=8080:80",
            "--volume=systemd-data:/srv:ro",
            "--volume=/etc/x:/x",
            "--network=frontnet",
            "\"--health-cmd=wget -q -O /dev/null localhost:8080\"",
            "--health-interval=2s",
            "--user=1000:100",
            "--read-only",
            " --memory 64m localhost/web:1 httpd -f -p 8080",
        ] {
            assert!(start.contains(part), "{part} in {start}");
        }
        assert_eq!(line(&g, "ExecStop"), "/usr/bin/berthctl rm -v -f -i --cidfile=%t/%N.cid");
        assert_eq!(line(&g, "ExecStopPost"), "-/usr/bin/berthctl rm -v -f -i --cidfile=%t/%N.cid");
        let links =
            [("multi-user.target.wants".to_string(), String::new()), ("default.target.wants".into(), String::new())];
        assert_eq!(g.links, links);
    }

    #[test]
    fn names_notify_and_pods() {
        let g = generated(
            Kind::Container,
            "db",
            "[Container]\nImage=db\nContainerName=main-db\nNotify=true\nPod=app.pod\n",
        )
        .unwrap();
        let start = line(&g, "ExecStart");
        assert!(
            start.contains("run --cidfile=%t/%N.cid --replace --rm -d --name=main-db --sdnotify=container"),
            "{start}"
        );
        assert!(start.contains("--pod=systemd-app"));
        assert!(g.text.contains("BindsTo=app-pod.service\n") && g.text.contains("After=app-pod.service\n"));
        let g = generated(Kind::Container, "db", "[Container]\nImage=db\nNotify=no\n").unwrap();
        assert!(line(&g, "ExecStart").contains("--sdnotify=conmon"));
        let pod = generated(Kind::Pod, "app", "[Pod]\nPublishPort=8080:80\n").unwrap();
        assert_eq!(pod.service, "app-pod.service");
        assert!(
            line(&pod, "ExecStartPre").ends_with("pod create --replace --infra --name=systemd-app --publish=8080:80")
        );
        assert!(pod.text.contains("Wants=web.service\n"));
    }

    #[test]
    fn volumes_and_networks_are_made_once() {
        let v = generated(Kind::Volume, "data", "[Volume]\nLabel=a=b\nUser=1000\nOptions=mode=0750\n").unwrap();
        assert_eq!(v.service, "data-volume.service");
        assert_eq!(
            line(&v, "ExecStart"),
            "/usr/bin/berthctl volume create --ignore --label=a=b --opt=o=uid=1000,mode=0750 systemd-data"
        );
        assert_eq!(line(&v, "RemainAfterExit"), "yes");
        let n =
            generated(Kind::Network, "front", "[Network]\nNetworkName=frontnet\nSubnet=10.89.40.0/24\nInternal=yes\n")
                .unwrap();
        assert_eq!(
            line(&n, "ExecStart"),
            "/usr/bin/berthctl network create --ignore --subnet=10.89.40.0/24 --internal frontnet"
        );
    }

    #[test]
    fn what_cannot_be_made_says_where() {
        let bad = |text: &str| generated(Kind::Container, "web", text).unwrap_err();
        assert_eq!(
            bad("[Container]\nImage=x\nImagee=y\n"),
            FileError::at(3, "unsupported key \"Imagee\" in section [Container]")
        );
        assert_eq!(bad("[Container]\nExec=true\n"), FileError::at(0, "[Container] needs Image= or Rootfs="));
        assert_eq!(bad("[Container]\nImage=x\nVolume=nope.volume:/d\n").line, 3);
        assert!(bad("[Container]\nImage=x\nVolume=nope.volume:/d\n").message.contains("no unit file nope.volume"));
        assert_eq!(bad("[Container]\nImage=x\nGroup=1\n"), FileError::at(3, "Group= needs User="));
        assert_eq!(bad("[Container]\nImage=x\nNotify=maybe\n").line, 3);
        assert!(bad("[Containers]\nImage=x\n").message.contains("unsupported section [Containers]"));
        assert!(bad("[Container]\nImage=x\n[Install]\nAlso=y\n").message.contains("\"Also\""));
        assert_eq!(Kind::of_file("web.container"), Some((Kind::Container, "web")));
        assert_eq!(Kind::of_file("x.conf"), None);
    }
}
