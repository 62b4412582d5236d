//! A container's bridge networks while it runs: at start berthd makes its
//! network namespace (a file under the run root, so it outlives berthd as
//! the container does) and netavark sets it up with the container's
//! addresses and published ports; at exit, stop, removal and the start-up
//! repair of a crash, netavark tears it down with the same options and the
//! namespace goes. The options setup was given are kept beside the
//! namespace, so a teardown undoes exactly what was set up even when the
//! record has changed or gone, or the namespace was lost.

use super::{blocking, Runtime};
use crate::error::{Error, Result};
use crate::model::container::{ContainerConfig, Network, PortMapping};
use crate::oci::netavark::{self, Netavark};
use crate::oci::pasta::{self, Pasta};
use crate::oci::spec::NetworkFiles;
use serde_json::json;
use std::path::PathBuf;

/// The search domain aardvark-dns serves names under (podman's).
const AARDVARK_DOMAIN: &str = "dns.podman";

/// What a started container's networks gave it.
pub(super) struct Joined {
    pub netns: PathBuf,
    pub files: NetworkFiles,
}

/// A namespace made and a `netavark setup` (or pasta) still to run in it:
/// run while the runtime creates the container, which only joins the
/// namespace, and done before the container's process may start.
pub(super) enum PendingSetup {
    Netavark { netavark: Netavark, netns: PathBuf, options: serde_json::Value },
    Pasta(Pasta),
}

impl PendingSetup {
    pub fn run(self) -> Result<()> {
        match self {
            PendingSetup::Netavark { netavark, netns, options } => netavark.setup(&netns, &options).map(drop),
            PendingSetup::Pasta(pasta) => pasta.setup(),
        }
        .map_err(Error::from)
    }
}

fn port_taken(p: &PortMapping, why: &str) -> Error {
    let address = if p.host_ip.is_empty() { "0.0.0.0" } else { &p.host_ip };
    Error::Command {
        reason: format!(
            "cannot listen on the {} port: listen {address}:{}: bind: address already in use ({why})",
            p.protocol.to_uppercase(),
            p.host_port
        ),
        cause: crate::error::CommandFailure::PortInUse,
    }
}

/// Bind each host port of `p` for a moment: one a process holds is taken.
fn probe_port(p: &PortMapping) -> Result<()> {
    let ip: std::net::IpAddr =
        if p.host_ip.is_empty() { [0, 0, 0, 0].into() } else { p.host_ip.parse().unwrap_or([0, 0, 0, 0].into()) };
    for port in p.host_port..=p.host_port.saturating_add(p.range.max(1) - 1) {
        let address = std::net::SocketAddr::new(ip, port);
        let taken = match p.protocol.as_str() {
            "udp" => std::net::UdpSocket::bind(address).err(),
            "tcp" => std::net::TcpListener::bind(address).err(),
            _ => None,
        };
        if taken.is_some_and(|e| e.kind() == std::io::ErrorKind::AddrInUse) {
            let one = PortMapping { host_port: port, range: 1, ..p.clone() };
            return Err(port_taken(&one, "a process listens on it"));
        }
    }
    Ok(())
}

impl Runtime {
    fn netns_path(&self, id: &str) -> PathBuf {
        self.config.run_root.join("netns").join(id)
    }

    fn pasta_pid_path(&self, id: &str) -> PathBuf {
        self.config.run_root.join("netns").join(format!("{id}.pasta.pid"))
    }

    /// Where the options of containers' last setups are kept.
    pub(super) fn setup_options_dir(&self) -> PathBuf {
        self.config.run_root.join("netns-options")
    }

    pub(super) fn setup_options_path(&self, id: &str) -> PathBuf {
        self.setup_options_dir().join(format!("{id}.json"))
    }

    /// Keep the options of what is set up now (after a setup, connect or
    /// disconnect).
    pub(super) async fn save_setup_options(&self, c: &ContainerConfig) -> Result<()> {
        let (options, _) = self.network_options(c).await?;
        let path = self.setup_options_path(&c.id);
        blocking(move || {
            let dir = path.parent().expect("under the run root");
            std::fs::create_dir_all(dir).map_err(|e| Error::storage(dir.display(), e))?;
            let next = path.with_extension("next");
            std::fs::write(&next, options.to_string()).map_err(|e| Error::storage(next.display(), e))?;
            std::fs::rename(&next, &path).map_err(|e| Error::storage(path.display(), e))
        })
        .await
    }

    fn netavark(&self) -> Netavark {
        Netavark {
            binary: self.config.netavark_path.clone(),
            aardvark: self.config.aardvark_path.clone(),
            config_dir: self.config.run_root.join("networks"),
        }
    }

    /// netavark's options for the container, from its record: each
    /// network, its address there (berth's IPAM), aliases (its short ID
    /// among them, as podman's) and its published ports.
    async fn network_options(&self, c: &ContainerConfig) -> Result<(serde_json::Value, NetworkFiles)> {
        self.network_options_for(c, None).await
    }

    /// The same for `only` one of its networks (connect and disconnect).
    async fn network_options_for(
        &self,
        c: &ContainerConfig,
        only: Option<&str>,
    ) -> Result<(serde_json::Value, NetworkFiles)> {
        let id = c.id.clone();
        let (attachments, networks) = self
            .db
            .read(move |tx| {
                let attachments = tx.attachments(&id)?;
                let networks = attachments
                    .iter()
                    .map(|a| tx.network(&a.network)?.ok_or_else(|| Error::NoSuchNetwork(a.network.clone())))
                    .collect::<Result<Vec<_>>>()?;
                Ok((attachments, networks))
            })
            .await?;
        let mut per_network = serde_json::Map::new();
        let mut info = serde_json::Map::new();
        for (i, (a, n)) in
            attachments.iter().zip(&networks).enumerate().filter(|(_, (a, _))| only.is_none_or(|o| o == a.network))
        {
            let mut aliases = a.aliases.clone();
            aliases.push(c.id[..12].to_string());
            let mut per = json!({ "static_ips": [a.ip], "aliases": aliases, "interface_name": format!("eth{i}") });
            if let Some(mac) = c.mac_address.as_ref().filter(|_| i == 0) {
                per["static_mac"] = json!(mac);
            }
            per_network.insert(n.name.clone(), per);
            info.insert(
                n.name.clone(),
                json!({ "name": n.name, "id": n.id, "driver": n.driver, "network_interface": n.interface,
                        "subnets": [{ "subnet": n.subnet, "gateway": n.gateway }], "ipv6_enabled": false,
                        "internal": n.internal, "dns_enabled": n.dns_enabled,
                        "ipam_options": { "driver": "host-local" } }),
            );
        }
        let ports: Vec<serde_json::Value> = c
            .port_mappings
            .iter()
            .map(|p| {
                json!({ "host_ip": p.host_ip, "host_port": p.host_port, "container_port": p.container_port,
                        "protocol": p.protocol, "range": p.range })
            })
            .collect();
        let options = json!({ "container_id": c.id, "container_name": c.name, "port_mappings": ports,
                              "networks": per_network, "network_info": info });
        // What netavark reports of aardvark-dns, known before it runs: it
        // answers at the gateway of each network with DNS, for podman's
        // search domain.
        let dns_servers: Vec<String> = networks.iter().filter(|n| n.dns_enabled).map(|n| n.gateway.clone()).collect();
        let dns_search = if dns_servers.is_empty() { Vec::new() } else { vec![AARDVARK_DOMAIN.to_string()] };
        let files = NetworkFiles {
            addresses: attachments.iter().map(|a| a.ip.clone()).collect(),
            gateway: networks.first().map(|n| n.gateway.clone()),
            dns_servers,
            dns_search,
        };
        Ok((options, files))
    }

    /// Refuse to publish a host port that is taken: by a running container
    /// of berth's (whose forwarding rules hold no socket) or by a process
    /// that listens on it.
    async fn check_ports_free(&self, c: &ContainerConfig) -> Result<()> {
        if c.port_mappings.is_empty() {
            return Ok(());
        }
        let id = c.id.clone();
        let others = self
            .db
            .read(move |tx| {
                let mut configs = Vec::new();
                for s in tx.container_summaries(true)?.into_iter().filter(|s| s.id != id) {
                    if let Some(record) = tx.container(&s.id)? {
                        configs.push(record.config()?.clone());
                    }
                }
                Ok(configs)
            })
            .await?;
        for p in &c.port_mappings {
            if let Some(other) = others.iter().find(|o| o.port_mappings.iter().any(|q| q.collides(p))) {
                return Err(port_taken(p, &format!("container {} publishes it", other.name)));
            }
        }
        let ports = c.port_mappings.clone();
        blocking(move || ports.iter().try_for_each(probe_port)).await
    }

    /// Make the container's namespace and what its files say of its
    /// networks; the netavark setup to run in it (see PendingSetup). None
    /// for a container without bridge networks.
    pub(super) async fn prepare_networks(&self, c: &ContainerConfig) -> Result<Option<(Joined, Option<PendingSetup>)>> {
        match c.network {
            Network::Bridge => {}
            Network::Pasta => return self.prepare_pasta(c).await.map(Some),
            Network::Private | Network::Host => return Ok(None),
        }
        self.check_ports_free(c).await?;
        // Kept first: a crash during setup leaves what a teardown needs.
        self.save_setup_options(c).await?;
        let (options, files) = self.network_options(c).await?;
        let (path, netavark) = (self.netns_path(&c.id), self.netavark());
        let made = blocking(move || {
            // One a crash left is torn down before it is made again.
            if path.exists() {
                let _ = netavark.teardown(&path, &options);
                netavark::remove_netns(&path);
            }
            netavark::create_netns(&path)?;
            // Disconnected from every network: loopback alone.
            let pending = options["networks"]
                .as_object()
                .is_some_and(|n| !n.is_empty())
                .then(|| PendingSetup::Netavark { netavark, netns: path.clone(), options });
            Ok((Joined { netns: path, files }, pending))
        })
        .await;
        if made.is_err() {
            let _ = std::fs::remove_file(self.setup_options_path(&c.id));
        }
        made.map(Some)
    }

    /// A namespace for pasta to serve, and the pasta to start in it.
    async fn prepare_pasta(&self, c: &ContainerConfig) -> Result<(Joined, Option<PendingSetup>)> {
        self.check_ports_free(c).await?;
        let pasta = Pasta {
            binary: self.config.pasta_path.clone(),
            netns: self.netns_path(&c.id),
            pid_file: self.pasta_pid_path(&c.id),
            ports: c.port_mappings.clone(),
        };
        blocking(move || {
            // One a crash left goes first.
            pasta::stop(&pasta.pid_file);
            netavark::remove_netns(&pasta.netns);
            netavark::create_netns(&pasta.netns)?;
            let joined = Joined { netns: pasta.netns.clone(), files: NetworkFiles::default() };
            Ok((joined, Some(PendingSetup::Pasta(pasta))))
        })
        .await
    }

    /// Tear down what setup made, if it made anything (so twice is
    /// harmless); failures are logged, as a teardown has no caller to tell.
    pub(super) async fn teardown_networks(&self, c: &ContainerConfig) {
        if matches!(c.network, Network::Bridge | Network::Pasta) {
            self.teardown_networks_of(&c.id).await;
        }
    }

    /// The same, for a container known by ID, with the options its setup
    /// was given: its record may be gone (a removal being finished) or its
    /// namespace lost, and the forwarding rules and name-server entries
    /// setup made outside the namespace still go (netavark is given a
    /// fresh, empty namespace to tear down then).
    pub(super) async fn teardown_networks_of(&self, id: &str) {
        let (path, saved) = (self.netns_path(id), self.setup_options_path(id));
        let kept = saved.clone();
        let mut options = blocking(move || Ok(std::fs::read(&kept).ok()))
            .await
            .ok()
            .flatten()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
        if options.is_none() && path.exists() {
            // Set up by a berthd that kept no options: the record's.
            if let Ok((c, _)) = self.load_container(id).await {
                options = self.network_options(&c).await.ok().map(|(o, _)| o);
            }
        }
        let (netavark, id, pasta_pid) = (self.netavark(), id.to_string(), self.pasta_pid_path(id));
        let lost = !path.exists();
        let networks: Vec<String> = options
            .as_ref()
            .and_then(|o| o["networks"].as_object())
            .map(|n| n.keys().cloned().collect())
            .unwrap_or_default();
        let set_up = !networks.is_empty();
        let _ = blocking(move || {
            if let Some(options) = options.filter(|_| set_up) {
                if lost {
                    let _ = netavark::create_netns(&path);
                }
                if let Err(e) = netavark.teardown(&path, &options) {
                    // A lost namespace's interfaces went with it.
                    if !lost {
                        tracing::warn!(id = id.as_str(), "netavark teardown: {e}");
                    }
                }
            }
            pasta::stop(&pasta_pid);
            netavark::remove_netns(&path);
            let _ = std::fs::remove_file(&saved);
            Ok(())
        })
        .await;
        if lost && set_up {
            // netavark's teardown of a fresh namespace stops at the missing
            // interface, before the network's own chains and bridge, which
            // its complete teardown would remove.
            for p in self.check_network_leftovers(true, Some(networks)).await {
                tracing::info!(network = p.id.as_str(), "{}", p.description);
            }
        }
    }

    /// Set up (connect) or tear down (disconnect) one network of a
    /// running container, in its namespace.
    pub(super) async fn change_network(&self, c: &ContainerConfig, network: &str, connect: bool) -> Result<()> {
        let (options, _) = self.network_options_for(c, Some(network)).await?;
        let (path, netavark) = (self.netns_path(&c.id), self.netavark());
        blocking(move || {
            if connect { netavark.setup(&path, &options).map(drop) } else { netavark.teardown(&path, &options) }
                .map_err(Error::from)
        })
        .await
    }

    /// After a connect or disconnect has been recorded: what is set up now
    /// is kept, and the container's /etc/hosts lists its addresses now (the
    /// file is rewritten in place: the container sees it through a bind).
    pub(super) async fn network_changed(&self, c: &ContainerConfig) {
        if let Err(e) = self.save_setup_options(c).await {
            tracing::warn!(id = c.id.as_str(), "keeping its network options: {e}");
        }
        if c.resolution.no_hosts {
            return;
        }
        let Ok((_, files)) = self.network_options(c).await else { return };
        let hosts = crate::oci::spec::hosts_file(c, Some(&files));
        let path = self.oci_paths(&c.id).bundle.join("hosts");
        let _ = blocking(move || std::fs::write(&path, hosts).map_err(|e| Error::storage(path.display(), e))).await;
    }
}
