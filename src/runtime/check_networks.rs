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
//!   run: the line goes and aardvark-dns is told to read its files again.

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
        let networks: HashSet<String> = match self.db.read(|tx| tx.networks()).await {
            Ok(list) => list.into_iter().map(|n| n.config.name).collect(),
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
    let Ok(out) = std::process::Command::new("iptables-save").args(["-t", "nat"]).output() else { return Vec::new() };
    String::from_utf8_lossy(&out.stdout).lines().filter_map(forwarding_rule).collect()
}

fn forwarding_rule(line: &str) -> Option<(String, String)> {
    let comment = line.split("--comment \"dnat name: ").nth(1)?;
    let (network, rest) = comment.split_once(" id: ")?;
    let id = rest.split('"').next()?;
    Some((network.to_string(), id.to_string()))
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
}
