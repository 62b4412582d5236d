//! What a container's /etc/hosts and /etc/resolv.conf say beyond its
//! networks' (podman's --dns, --dns-search, --dns-option, --add-host,
//! --no-hosts), and its MAC address (--mac-address): for a pod, its infra
//! container's, which its members share.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NameResolution {
    /// Name servers, in place of the host's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_servers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_search: Vec<String>,
    /// resolv.conf's options (`attempts:5`, `ndots:2`...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_options: Vec<String>,
    /// `NAME:ADDRESS` lines of /etc/hosts, first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_hosts: Vec<String>,
    /// Leave the image's /etc/hosts alone.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_hosts: bool,
}

impl NameResolution {
    pub fn is_empty(&self) -> bool {
        *self == NameResolution::default()
    }

    /// podman's checks, in its words.
    pub fn check(&self) -> Result<()> {
        for server in &self.dns_servers {
            if server.parse::<std::net::IpAddr>().is_err() {
                return Err(Error::invalid_argument("dns", format!("{server} is not an ip address")));
            }
        }
        for entry in &self.add_hosts {
            self::host_entry(entry)?;
        }
        if self.no_hosts && !self.add_hosts.is_empty() {
            return Err(Error::invalid_argument("noHosts", "--no-hosts and --add-host cannot be set together"));
        }
        Ok(())
    }

    /// The /etc/hosts lines of `add_hosts`: `ADDRESS<TAB>NAME`.
    pub fn host_lines(&self) -> String {
        self.add_hosts
            .iter()
            .filter_map(|e| host_entry(e).ok())
            .map(|(name, address)| format!("{address}\t{name}\n"))
            .collect()
    }
}

/// `NAME:ADDRESS` (the address may be IPv6, so split at the first colon).
fn host_entry(entry: &str) -> Result<(&str, &str)> {
    let bad = || Error::invalid_argument("addHosts", format!("invalid IP address in add-host: {entry:?}"));
    let (name, address) = entry.split_once(':').ok_or_else(bad)?;
    if name.is_empty() || address.parse::<std::net::IpAddr>().is_err() {
        return Err(bad());
    }
    Ok((name, address))
}

/// A unicast MAC address in colon notation, as netavark takes it.
pub fn check_mac(mac: &str) -> Result<()> {
    let octets: Vec<&str> = mac.split(':').collect();
    let hex = octets.len() == 6 && octets.iter().all(|o| o.len() == 2 && u8::from_str_radix(o, 16).is_ok());
    let multicast = hex && u8::from_str_radix(octets[0], 16).is_ok_and(|b| b & 1 == 1);
    if !hex || multicast {
        return Err(Error::invalid_argument("macAddress", format!("invalid MAC address {mac:?}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_servers_and_macs() {
        let r = NameResolution {
            dns_servers: vec!["12.34.56.78".into(), "fd00::1".into()],
            add_hosts: vec!["test.example.com:12.34.56.78".into(), "six:fd00::2".into()],
            ..Default::default()
        };
        assert!(r.check().is_ok());
        assert_eq!(r.host_lines(), "12.34.56.78\ttest.example.com\nfd00::2\tsix\n");
        let bad = NameResolution { add_hosts: vec!["foo.com".into()], ..Default::default() };
        assert!(bad.check().unwrap_err().to_string().contains("invalid IP address in add-host"));
        let bad = NameResolution { dns_servers: vec!["nameserver".into()], ..Default::default() };
        assert!(bad.check().unwrap_err().to_string().contains("nameserver is not an ip address"));
        assert!(check_mac("92:d0:c6:0a:29:35").is_ok());
        assert!(check_mac("93:d0:c6:0a:29:35").is_err(), "multicast");
        assert!(check_mac("92:d0:c6:0a:29").is_err());
    }
}
