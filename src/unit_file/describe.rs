//! `berthctl generate unit NAME`: the `.container` file that makes a new
//! container like an existing one when berth-generator reads it (podman
//! generate systemd --new's purpose, in Quadlet's form, which replaced it).

use super::value_word;
use crate::api::varlink::generated::container::ContainerInfo;
use std::fmt::Write as _;

/// The file for `info`. `image_env` is its image's environment, left out
/// (the image gives it again); variables berth sets itself are left out
/// too.
pub fn container_file(info: &ContainerInfo, image_env: &[String]) -> String {
    let c = &info.config;
    let mut out = format!(
        "# {name}.container: a container like {name} ({id}).\n\
         # In /etc/berth/systemd/, after `systemctl daemon-reload`, it is {name}.service.\n",
        name = c.name,
        id = &c.id[..12.min(c.id.len())],
    );
    let _ = writeln!(out, "[Unit]\nDescription=berth container {}\n\n[Container]", c.name);
    let mut line = |key: &str, value: &str| {
        let _ = writeln!(out, "{key}={value}");
    };
    match (&c.image, &c.rootfs) {
        (Some(image), _) => line("Image", image),
        (None, Some(rootfs)) => line("Rootfs", rootfs),
        (None, None) => {}
    }
    line("ContainerName", &c.name);
    if !c.entrypoint.is_empty() {
        line("Entrypoint", &serde_json::to_string(&c.entrypoint).unwrap_or_default());
    }
    if !c.command.is_empty() {
        line("Exec", &words(&c.command));
    }
    const BERTHS: [&str; 4] = ["TERM", "container", "HOSTNAME", "HOME"];
    for (key, value) in &c.env {
        let pair = format!("{key}={value}");
        // Without an image, PATH is berth's default.
        let default_path = key == "PATH" && image_env.is_empty();
        if !(image_env.contains(&pair) || BERTHS.contains(&key.as_str()) || default_path) {
            line("Environment", &value_word(&pair));
        }
    }
    for (key, value) in &c.labels {
        line("Label", &value_word(&format!("{key}={value}")));
    }
    for p in &info.ports {
        let host = |port: i64| match p.range.filter(|r| *r > 1) {
            Some(r) => format!("{port}-{}", port + r - 1),
            None => port.to_string(),
        };
        let ip = p.hostIp.as_deref().filter(|ip| !ip.is_empty()).map(|ip| format!("{ip}:")).unwrap_or_default();
        let proto = p.protocol.as_deref().filter(|p| *p != "tcp").map(|p| format!("/{p}")).unwrap_or_default();
        line("PublishPort", &format!("{ip}{}:{}{proto}", host(p.hostPort), host(p.containerPort)));
    }
    let anonymous = |name: &str| c.volumes.iter().any(|v| v.name == name && v.anonymous);
    for m in &info.mounts {
        let options = m.options.join(",");
        let with = |base: String| if options.is_empty() { base } else { format!("{base}:{options}") };
        match m.r#type.as_str() {
            "volume" if anonymous(&m.name) => {}
            "volume" => line("Volume", &with(format!("{}:{}", m.name, m.destination))),
            "bind" => line("Volume", &with(format!("{}:{}", m.source, m.destination))),
            "tmpfs" => line("Tmpfs", &with(m.destination.clone())),
            _ => {}
        }
    }
    match c.network.as_str() {
        "host" | "none" => line("Network", &c.network),
        _ => info.networks.iter().for_each(|n| line("Network", &n.name)),
    }
    if let Some(user) = &c.user {
        line("User", user);
    }
    if let Some(dir) = &c.workdir {
        line("WorkingDir", dir);
    }
    if let Some(h) = &c.healthcheck {
        // A shell's command line is how it was most likely given.
        let command = match h.command.as_slice() {
            [sh, c, line] if sh == "/bin/sh" && c == "-c" => line.clone(),
            _ => serde_json::to_string(&h.command).unwrap_or_default(),
        };
        line("HealthCmd", &command);
        line("HealthInterval", &format!("{}s", h.interval));
        line("HealthTimeout", &format!("{}s", h.timeout));
        line("HealthRetries", &h.retries.to_string());
        if h.startPeriod > 0 {
            line("HealthStartPeriod", &format!("{}s", h.startPeriod));
        }
        if h.onFailure != "none" {
            line("HealthOnFailure", &h.onFailure);
        }
    }
    if c.readOnly {
        line("ReadOnly", "true");
    }
    if c.init {
        line("RunInit", "true");
    }
    for cap in &c.capAdd {
        line("AddCapability", cap);
    }
    for cap in &c.capDrop {
        line("DropCapability", cap);
    }
    // The restart policy is systemd's to carry out for a unit.
    let restart = match c.restartPolicy.as_str() {
        "always" | "unless-stopped" => "always",
        "on-failure" => "on-failure",
        _ => "no",
    };
    let _ = write!(out, "\n[Service]\nRestart={restart}\n\n[Install]\nWantedBy=default.target\n");
    out
}

/// A command as one Exec= value.
fn words(args: &[String]) -> String {
    args.iter().map(|a| value_word(a)).collect::<Vec<_>>().join(" ")
}
