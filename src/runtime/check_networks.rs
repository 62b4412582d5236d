//! Check's part for bridge networks: what netavark set up for a container
//! that no longer runs. A veth lives as long as its namespace, so
//! namespaces are what is checked for those; forwarding rules and
//! aardvark-dns entries live outside it and are checked apart.
//!
//! - a namespace of a container that does not run: torn down and removed;
//! - the options of a setup kept without its namespace (the namespace was
//!   lost): torn down with them, in a fresh namespace;
//! - a port-forwarding rule (netavark's `dnat name: NET id: ID` comment) on
//!   one of berth's networks for a container of berth's that does not run:
//!   torn down with the record's options. Rules of containers berth does
//!   not know are left alone: podman's have the same form;
//! - an aardvark-dns entry (berth's own files) of a container that does not
//!   run: the line goes and aardvark-dns is told to read its files again;
//! - a network's own firewall chains and rules, or its bridge, while
//!   nothing is on it (netavark removes both with the last container's
//!   teardown, but not when that teardown is of a lost namespace): removed. A chain is the network's when its name is
//!   netavark's for the network's name and its rules name the network's
//!   subnet, so a podman network's chains are left alone.

use super::check::{problem, Problem};
use super::{blocking, Runtime};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

impl Runtime {
    pub(super) async fn check_networks(
        &self,
        repair: bool,
        running: &HashSet<String>,
        known: &HashSet<String>,
    ) -> Vec<Problem> {
        let mut problems = Vec::new();
        let netns = self.config.run_root.join("netns");
        for id in entries(&netns).into_iter().filter(|id| !running.contains(id)) {
            if repair {
                self.teardown_networks_of(&id).await;
            }
            let what = "network namespace of a container that does not run";
            problems.push(problem("leaked-network-namespace", &id, what, repair, Ok(())));
        }
        let kept = self.setup_options_dir();
        for name in entries(&kept) {
            let Some(id) = name.strip_suffix(".json") else { continue };
            if running.contains(id) || netns.join(id).exists() {
                continue;
            }
            if repair {
                self.teardown_networks_of(id).await;
            }
            let what = "network setup of a container that does not run, its namespace lost";
            problems.push(problem("leaked-network-setup", id, what, repair, Ok(())));
        }
        let networks: HashSet<String> = match self.db.read(|tx| tx.network_configs()).await {
            Ok(list) => list.into_iter().map(|n| n.name).collect(),
            Err(_) => HashSet::new(),
        };
        let rules = blocking(|| Ok(forwarding_rules())).await.unwrap_or_default();
        let mut torn: HashSet<String> = HashSet::new();
        for (network, id) in rules {
            if !networks.contains(&network) || !known.contains(&id) || running.contains(&id) || !torn.insert(id.clone())
            {
                continue;
            }
            let result = if repair { self.teardown_with_record(&id).await } else { Ok(()) };
            let what = format!("port forwarding on network {network} of a container that does not run");
            problems.push(problem("leaked-port-forwarding", &id, &what, repair, result));
        }
        problems.extend(self.check_network_leftovers(repair, None).await);
        let dns = self.config.run_root.join("networks/aardvark-dns");
        let leaked = blocking(move || Ok(dns_entries(&dns))).await.unwrap_or_default();
        let mut stale: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
        for (file, id) in leaked.into_iter().filter(|(_, id)| !running.contains(id)) {
            stale.entry(file).or_default().push(id);
        }
        for (file, ids) in stale {
            let failed = if repair { remove_dns_entries(&file, &ids).err().map(|e| e.to_string()) } else { None };
            for id in &ids {
                let what = "aardvark-dns entry of a container that does not run";
                let result = failed.clone().map_or(Ok(()), |e| Err(crate::error::Error::Runtime(e)));
                problems.push(problem("leaked-dns-entry", id, what, repair, result));
            }
        }
        problems
    }

    /// Chains, rules and bridges of berth's networks (of those named, or
    /// all) that nothing is on: none of their containers has a namespace
    /// and their bridge has no port (netavark's own test for its complete
    /// teardown). Found, and removed when `repair`.
    pub(super) async fn check_network_leftovers(&self, repair: bool, named: Option<Vec<String>>) -> Vec<Problem> {
        let Ok(networks) = self.db.read(|tx| tx.networks()).await else { return Vec::new() };
        let netns = self.config.run_root.join("netns");
        blocking(move || {
            let idle: Vec<_> = networks
                .into_iter()
                .filter(|n| {
                    named.as_ref().is_none_or(|names| names.contains(&n.config.name))
                        && !n.users.iter().any(|u| netns.join(u).exists())
                        && bridge_ports(&n.config.interface) == 0
                })
                .map(|n| n.config)
                .collect();
            let mut problems = Vec::new();
            if idle.is_empty() {
                return Ok(problems);
            }
            let firewall = Firewall::read();
            for n in idle {
                let chains = NetworkChains::of(&n.name);
                if firewall.holds(&chains, &n.subnet) {
                    let result = if repair { firewall.remove(&chains, &n.subnet) } else { Ok(()) };
                    let what = "firewall chains and rules of a network nothing is on";
                    problems.push(problem("leaked-network-firewall", &n.name, what, repair, result));
                }
                if interface_exists(&n.interface) {
                    let result = if repair { run("ip", &["link", "delete", &n.interface]) } else { Ok(()) };
                    let what = format!("bridge {} of a network nothing is on", n.interface);
                    problems.push(problem("leaked-bridge", &n.name, &what, repair, result));
                }
            }
            Ok(problems)
        })
        .await
        .unwrap_or_default()
    }

    /// Tear down a container's networks with its record's options, kept
    /// options or none (a namespace is made for netavark if it is gone).
    async fn teardown_with_record(&self, id: &str) -> crate::error::Result<()> {
        if !self.setup_options_path(id).exists() {
            let (c, _) = self.load_container(id).await?;
            self.save_setup_options(&c).await?;
        }
        self.teardown_networks_of(id).await;
        Ok(())
    }
}

/// Names in a directory (none when it is not there).
fn entries(dir: &Path) -> Vec<String> {
    let Ok(read) = std::fs::read_dir(dir) else { return Vec::new() };
    read.flatten().filter_map(|e| e.file_name().into_string().ok()).collect()
}

/// (network, container ID) of each of netavark's port-forwarding rules in
/// berthd's network namespace; none when iptables cannot be read.
fn forwarding_rules() -> Vec<(String, String)> {
    saved_table("nat").iter().filter_map(|l| forwarding_rule(l)).collect()
}

/// An iptables table as iptables-save writes it, a line each (none when
/// iptables cannot be read).
fn saved_table(name: &str) -> Vec<String> {
    std::process::Command::new("iptables-save")
        .args(["-t", name])
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect())
        .unwrap_or_default()
}

fn forwarding_rule(line: &str) -> Option<(String, String)> {
    let comment = line.split("--comment \"dnat name: ").nth(1)?;
    let (network, rest) = comment.split_once(" id: ")?;
    let id = rest.split('"').next()?;
    Some((network.to_string(), id.to_string()))
}

/// Whether an interface is there, in berthd's network namespace (which
/// /sys/class/net may not show: it is the namespace sysfs was mounted in).
fn interface_exists(name: &str) -> bool {
    nix::net::if_::if_nametoindex(name).is_ok()
}

/// How many interfaces are on a bridge (none when it is not there).
fn bridge_ports(bridge: &str) -> usize {
    if !interface_exists(bridge) {
        return 0;
    }
    let listed = std::process::Command::new("ip").args(["-o", "link", "show", "master", bridge]).output();
    listed.map_or(0, |out| String::from_utf8_lossy(&out.stdout).lines().count())
}

/// netavark's chains for a network: `NETAVARK-` and the first 13 hex
/// digits of the SHA-512 of its name (upper case), and the port
/// forwarding chain with `DN-` before the digits.
struct NetworkChains {
    own: String,
    forwarding: String,
}

impl NetworkChains {
    fn of(network: &str) -> NetworkChains {
        use sha2::Digest;
        let digest = sha2::Sha512::digest(network.as_bytes());
        let hash: String = digest.iter().map(|b| format!("{b:02X}")).collect::<String>()[..13].to_string();
        NetworkChains { own: format!("NETAVARK-{hash}"), forwarding: format!("NETAVARK-DN-{hash}") }
    }
}

/// The nat and filter tables as iptables-save writes them (empty when
/// iptables cannot be read).
#[derive(Default)]
struct Firewall {
    nat: Vec<String>,
    filter: Vec<String>,
}

impl Firewall {
    fn read() -> Firewall {
        Firewall { nat: saved_table("nat"), filter: saved_table("filter") }
    }

    /// Whether the network's chain is there and is this subnet's.
    fn holds(&self, chains: &NetworkChains, subnet: &str) -> bool {
        let declared = format!(":{} ", chains.own);
        let accept = format!("-A {} -d {subnet} -j ACCEPT", chains.own);
        self.nat.iter().any(|l| l.starts_with(&declared)) && self.nat.contains(&accept)
    }

    /// Remove what netavark set up for the network as a whole (as its
    /// complete teardown does): the jumps to its chains, its forwarding
    /// rules, then the chains. The port-forwarding chain stays while
    /// another container's rule (one berth does not know) jumps to it.
    fn remove(&self, chains: &NetworkChains, subnet: &str) -> crate::error::Result<()> {
        let inside_own = format!("-A {} ", chains.own);
        for rule in self.nat.iter().filter(|l| jumps_to(l, &chains.own) && !l.starts_with(&inside_own)) {
            delete_rule("nat", rule)?;
        }
        let forwarding_used = self.nat.iter().any(|l| jumps_to(l, &chains.forwarding));
        for chain in std::iter::once(&chains.own).chain((!forwarding_used).then_some(&chains.forwarding)) {
            if self.nat.iter().any(|l| l.starts_with(&format!(":{chain} "))) {
                run("iptables", &["-t", "nat", "-F", chain])?;
                run("iptables", &["-t", "nat", "-X", chain])?;
            }
        }
        let (to, from) = (format!(" -d {subnet} "), format!(" -s {subnet} "));
        for rule in self.filter.iter().filter(|l| l.starts_with("-A NETAVARK_FORWARD ")) {
            if rule.contains(&to) || rule.contains(&from) {
                delete_rule("filter", rule)?;
            }
        }
        Ok(())
    }
}

/// Whether a rule, as iptables-save writes it, jumps to `chain`.
fn jumps_to(rule: &str, chain: &str) -> bool {
    let target = format!("-j {chain}");
    rule.starts_with("-A ") && (rule.ends_with(&target) || rule.contains(&format!("{target} ")))
}

/// Delete a rule written as iptables-save writes it (`-A CHAIN ...`);
/// the rules of a network as a whole hold no quoted words.
fn delete_rule(table: &str, rule: &str) -> crate::error::Result<()> {
    let words: Vec<&str> = rule.trim_start_matches("-A ").split_whitespace().collect();
    let mut args = vec!["-t", table, "-D"];
    args.extend(words);
    run("iptables", &args)
}

fn run(program: &str, args: &[&str]) -> crate::error::Result<()> {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .map_err(|e| crate::error::Error::Runtime(format!("{program}: {e}")))?;
    match out.status.success() {
        true => Ok(()),
        false => Err(crate::error::Error::Runtime(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))),
    }
}

/// (file, container ID) of each entry in aardvark-dns's per-network files:
/// a first line of the network's own addresses, then one line per
/// container, its ID first.
fn dns_entries(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    for name in entries(dir).into_iter().filter(|n| !n.ends_with(".pid")) {
        let file = dir.join(name);
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        for line in text.lines().skip(1) {
            if let Some(id) = line.split_whitespace().next() {
                found.push((file.clone(), id.to_string()));
            }
        }
    }
    found
}

fn remove_dns_entries(file: &Path, ids: &[String]) -> crate::error::Result<()> {
    let storage = |e| crate::error::Error::storage(file.display(), e);
    let text = std::fs::read_to_string(file).map_err(storage)?;
    let kept: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(i, line)| *i == 0 || !line.split_whitespace().next().is_some_and(|id| ids.iter().any(|x| x == id)))
        .map(|(_, line)| line)
        .collect();
    std::fs::write(file, kept.join("\n") + "\n").map_err(storage)?;
    // aardvark-dns reads its files again on SIGHUP.
    let pid_file = file.with_file_name("aardvark.pid");
    if let Some(pid) = crate::process::pid_in(&pid_file) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::Signal::SIGHUP);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarding_rules_name_their_network_and_container() {
        let line = "-A NETAVARK-HOSTPORT-DNAT -p tcp -m tcp --dport 8080 -m comment --comment \"dnat name: berth id: 507ebeee\" -j NETAVARK-DN-F2F75A88498C7";
        assert_eq!(forwarding_rule(line), Some(("berth".into(), "507ebeee".into())));
        assert_eq!(forwarding_rule("-A NETAVARK-HOSTPORT-SETMARK -j MARK --set-xmark 0x2000/0x2000"), None);
    }

    #[test]
    fn chains_are_named_as_netavark_names_them() {
        // As netavark 1.4 named a network "floor"'s chains.
        let chains = NetworkChains::of("floor");
        assert_eq!(
            (chains.own.as_str(), chains.forwarding.as_str()),
            ("NETAVARK-EA8C2A0EBBC8B", "NETAVARK-DN-EA8C2A0EBBC8B")
        );
    }

    #[test]
    fn a_chain_is_the_networks_only_with_its_subnet() {
        let chains = NetworkChains::of("floor");
        let firewall = Firewall {
            nat: vec![
                ":NETAVARK-EA8C2A0EBBC8B - [0:0]".into(),
                "-A NETAVARK-EA8C2A0EBBC8B -d 10.93.0.0/24 -j ACCEPT".into(),
            ],
            filter: Vec::new(),
        };
        assert!(firewall.holds(&chains, "10.93.0.0/24"));
        assert!(!firewall.holds(&chains, "10.94.0.0/24"));
        assert!(!Firewall::default().holds(&chains, "10.93.0.0/24"));
    }
}
