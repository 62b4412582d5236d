//! What create's `-v`, `--mount` and `--tmpfs` say, as the API's volumes
//! (named or anonymous) and mounts (host directories and tmpfs), read as
//! podman reads them. Relative host paths are made absolute here: berthd
//! does not share the caller's working directory.

use crate::container::absolute;
use crate::error::Failure;
use berth::api::varlink::generated::container as vl;

/// All three kinds of flag, in the API's two lists.
pub fn from_flags(
    volumes: &[String],
    mounts: &[String],
    tmpfs: &[String],
) -> Result<(Vec<vl::VolumeMount>, Vec<vl::Mount>), Failure> {
    let (mut named, mut host) = (Vec::new(), Vec::new());
    for v in volumes {
        match bind_of_volume_flag(v) {
            Some(m) => host.push(m),
            None => {
                let (name, destination, options) = crate::container::volume_parts(v);
                named.push(vl::VolumeMount { name, destination, options });
            }
        }
    }
    for m in mounts {
        match mount_flag(m)? {
            Either::Volume(v) => named.push(v),
            Either::Mount(m) => host.push(m),
        }
    }
    for t in tmpfs {
        let (destination, options) = t.split_once(':').unwrap_or((t, ""));
        // podman's --tmpfs defaults: rw,noexec,nosuid,nodev (the engine
        // adds the rest; a later exec wins over this noexec).
        let mut given = vec!["noexec".to_string()];
        given.extend(options.split(',').filter(|o| !o.is_empty()).map(str::to_string));
        host.push(vl::Mount {
            r#type: "tmpfs".into(),
            source: None,
            destination: destination.into(),
            options: Some(given),
        });
    }
    Ok((named, host))
}

// podman's network flags of create, run and pod create.
#[derive(clap::Args, Default)]
pub struct NetworkArgs {
    /// bridge (the default network `berth`, unless berth.conf's netns says
    /// otherwise), none (loopback only), host, a network's name or
    /// container:NAME; again, or a comma-separated list, for more networks.
    #[arg(long, alias = "net", value_delimiter = ',')]
    pub network: Vec<String>,
    /// [[HOSTIP:]HOSTPORT:]CONTAINERPORT[/PROTOCOL], ports as N or N-M.
    #[arg(short, long)]
    pub publish: Vec<String>,
    /// A name it answers to on its networks.
    #[arg(long)]
    pub network_alias: Vec<String>,
    /// Its address on its first network.
    #[arg(long)]
    pub ip: Option<String>,
    /// Publish each port the image exposes at a free host port.
    #[arg(short = 'P', long)]
    pub publish_all: bool,
    /// Its MAC address on its first network.
    #[arg(long)]
    pub mac_address: Option<String>,
    /// A name server, in place of the host's.
    #[arg(long, value_delimiter = ',')]
    pub dns: Vec<String>,
    /// A search domain of resolv.conf.
    #[arg(long, value_delimiter = ',')]
    pub dns_search: Vec<String>,
    /// An option of resolv.conf, such as attempts:5.
    #[arg(long = "dns-option", alias = "dns-opt")]
    pub dns_option: Vec<String>,
    /// NAME:ADDRESS, a line of /etc/hosts.
    #[arg(long)]
    pub add_host: Vec<String>,
    /// Leave the image's /etc/hosts as it is.
    #[arg(long)]
    pub no_hosts: bool,
}

impl NetworkArgs {
    /// Settings of a pod's that its infra container holds.
    pub fn wants_infra(&self) -> bool {
        self.ip.is_some()
            || self.mac_address.is_some()
            || !self.dns.is_empty()
            || !self.dns_search.is_empty()
            || !self.dns_option.is_empty()
            || !self.add_host.is_empty()
            || self.no_hosts
    }

    pub fn ports(&self) -> Result<Vec<vl::PortMapping>, Failure> {
        self.publish.iter().map(|p| port_mapping(p)).collect()
    }

    /// A container's ports, as podman's client takes them: in a network
    /// mode without a namespace of its own on a bridge, they are dropped,
    /// with its warning.
    pub fn ports_for_mode(&self) -> Result<Vec<vl::PortMapping>, Failure> {
        let no_bridge = self.network.first().is_some_and(|n| {
            matches!(n.as_str(), "host" | "none" | "private" | "pod")
                || n.starts_with("container:")
                || n.starts_with("ns:")
        });
        if no_bridge && !self.publish.is_empty() {
            eprintln!(
                "Port mappings have been discarded as one of the Host, Container, Pod, and None network modes are in use"
            );
            return Ok(Vec::new());
        }
        self.ports()
    }
}

/// `-p [[HOSTIP:]HOSTPORT:]CONTAINERPORT[/PROTOCOL]` (podman's), a port or
/// a range N-M on either side; without a host port, the container's.
pub fn port_mapping(spec: &str) -> Result<vl::PortMapping, Failure> {
    let bad = |why: &str| Failure::engine(format!("invalid --publish {spec:?}: {why}"));
    let (ports, protocol) = spec.split_once('/').map_or((spec, None), |(p, proto)| (p, Some(proto.to_string())));
    // An IPv6 host address is in brackets: [::1]:8080:80.
    let (host_ip, rest) = match ports.strip_prefix('[') {
        Some(v6) => {
            let (ip, rest) = v6.split_once("]:").ok_or_else(|| bad("an IPv6 address in [] and then ports"))?;
            (Some(ip.to_string()), rest)
        }
        None => (None, ports),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let (host_ip, host, container) = match (host_ip, parts.as_slice()) {
        (None, [container]) => (None, None, *container),
        (None, [host, container]) => (None, Some(*host), *container),
        (None, [ip, host, container]) => (Some(ip.to_string()), Some(*host), *container),
        (Some(ip), [host, container]) => (Some(ip), Some(*host), *container),
        _ => return Err(bad("expected [[HOSTIP:]HOSTPORT:]CONTAINERPORT[/PROTOCOL]")),
    };
    let range = |text: &str| -> Result<(i64, i64), Failure> {
        let (first, last) = text.split_once('-').unwrap_or((text, text));
        let number = |n: &str| n.parse::<i64>().map_err(|_| bad("a port is a number of 1 to 65535"));
        let (first, last) = (number(first)?, number(last)?);
        if last < first {
            return Err(bad("a range runs from the lower port to the higher"));
        }
        Ok((first, last - first + 1))
    };
    let (container_port, count) = range(container)?;
    let (host_port, host_count) = match host.filter(|h| !h.is_empty()) {
        Some(h) => range(h)?,
        None => (container_port, count),
    };
    if host_count != count {
        return Err(bad("the host's and the container's ranges differ in length"));
    }
    Ok(vl::PortMapping {
        hostIp: host_ip.filter(|ip| !ip.is_empty()),
        hostPort: host_port,
        containerPort: container_port,
        protocol,
        range: Some(count),
    })
}

/// `-v SRC:DEST[:OPTS]` whose source is a path (absolute, or `.`-relative)
/// is a bind mount; a name is a volume's.
fn bind_of_volume_flag(spec: &str) -> Option<vl::Mount> {
    let mut parts = spec.splitn(3, ':');
    let (source, destination) = (parts.next()?, parts.next()?);
    if !(source.starts_with('/') || source.starts_with('.')) || !destination.starts_with('/') {
        return None;
    }
    let options = parts.next().map(|o| o.split(',').map(str::to_string).collect());
    Some(vl::Mount { r#type: "bind".into(), source: Some(absolute(source)), destination: destination.into(), options })
}

enum Either {
    Volume(vl::VolumeMount),
    Mount(vl::Mount),
}

/// `--mount type=bind|tmpfs|volume,source=,destination=,...`: comma-separated
/// fields, each of which may be double-quoted (as CSV is).
fn mount_flag(spec: &str) -> Result<Either, Failure> {
    let bad = |why: String| Failure::engine(format!("invalid --mount {spec:?}: {why}"));
    let (mut kind, mut source, mut destination) = (None, None, None);
    let mut options = Vec::new();
    for field in csv_fields(spec) {
        let (key, value) = field.split_once('=').map_or((field.as_str(), None), |(k, v)| (k, Some(v)));
        match (key, value) {
            ("type", Some(v)) => kind = Some(v.to_string()),
            ("source" | "src", Some(v)) => source = Some(v.to_string()),
            ("destination" | "dst" | "target", Some(v)) => destination = Some(v.to_string()),
            ("volume-nocopy", None) => options.push("nocopy".to_string()),
            _ => options.push(field.clone()),
        }
    }
    let destination = destination.ok_or_else(|| bad("it names no destination (dst=)".into()))?;
    match kind.as_deref() {
        Some("bind") => {
            let source = source.ok_or_else(|| bad("a bind mount needs a source (src=)".into()))?;
            let source = Some(absolute(&source));
            Ok(Either::Mount(vl::Mount { r#type: "bind".into(), source, destination, options: Some(options) }))
        }
        Some("tmpfs") => {
            Ok(Either::Mount(vl::Mount { r#type: "tmpfs".into(), source: None, destination, options: Some(options) }))
        }
        Some("volume") => Ok(Either::Volume(vl::VolumeMount { name: source, destination, options: Some(options) })),
        Some("image") => {
            Ok(Either::Mount(vl::Mount { r#type: "image".into(), source, destination, options: Some(options) }))
        }
        Some(other) => Err(bad(format!("type {other:?} is not bind, tmpfs, volume or image"))),
        None => Err(bad("it names no type (type=bind, tmpfs, volume or image)".into())),
    }
}

/// A line of comma-separated fields, a field in double quotes keeping its
/// commas (podman reads --mount with Go's CSV reader).
fn csv_fields(line: &str) -> Vec<String> {
    let (mut fields, mut field, mut quoted) = (Vec::new(), String::new(), false);
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields.into_iter().filter(|f| !f.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_as_podman_reads_them() {
        assert_eq!(
            csv_fields(r#"type=tmpfs,"destination=/test,",tmpfs-size=1m"#),
            ["type=tmpfs", "destination=/test,", "tmpfs-size=1m"]
        );
        let bind = bind_of_volume_flag("/srv:/data:ro,z").unwrap();
        assert_eq!((bind.source.as_deref(), bind.destination.as_str()), (Some("/srv"), "/data"));
        assert!(bind_of_volume_flag("data:/data").is_none(), "a name is a volume");
        assert!(bind_of_volume_flag("/data:ro").is_none(), "an anonymous volume with options");
        assert!(bind_of_volume_flag("./site:/srv").unwrap().source.unwrap().starts_with('/'));
    }
}
