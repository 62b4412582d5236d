//! The network model: a bridge network of berth's, as netavark takes it,
//! and the address arithmetic of its subnets (IPv4: berth hands out
//! subnets from a pool and addresses from a subnet itself, as Podman's
//! libnetwork does before it calls netavark).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// The network a container is on when it asks for "bridge".
pub const DEFAULT_NETWORK: &str = "berth";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkConfig {
    pub name: String,
    /// 64 hexadecimal characters, as Podman's network IDs.
    pub id: String,
    /// "bridge": the only driver.
    pub driver: String,
    /// The bridge's interface on the host (berth0, berth1...).
    pub interface: String,
    /// CIDR, such as 10.89.0.0/24.
    pub subnet: String,
    pub gateway: String,
    /// No route out: containers reach only each other.
    pub internal: bool,
    /// Names resolve through aardvark-dns at the gateway.
    pub dns_enabled: bool,
    pub labels: BTreeMap<String, String>,
    pub created_nanos: i64,
}

/// A network with the containers on it.
#[derive(Debug, Clone)]
pub struct NetworkInfo {
    pub config: NetworkConfig,
    pub users: Vec<String>,
}

/// An IPv4 subnet: its network address and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet {
    pub address: Ipv4Addr,
    pub prefix: u8,
}

impl Subnet {
    /// `a.b.c.d/n`, with no host bits set (as `ip` and Podman want it).
    pub fn parse(text: &str) -> Result<Subnet> {
        let bad = |why: &str| Error::invalid_argument("subnet", format!("{text:?} {why}"));
        let (address, prefix) = text.split_once('/').ok_or_else(|| bad("is not a CIDR such as 10.89.0.0/24"))?;
        let address: Ipv4Addr = address.parse().map_err(|_| bad("is not an IPv4 CIDR"))?;
        let prefix: u8 =
            prefix.parse().ok().filter(|p| (8..=30).contains(p)).ok_or_else(|| bad("needs a prefix of 8 to 30"))?;
        let subnet = Subnet { address, prefix };
        if u32::from(address) & !subnet.mask() != 0 {
            return Err(bad("has host bits set"));
        }
        Ok(subnet)
    }

    fn mask(&self) -> u32 {
        u32::MAX << (32 - self.prefix)
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & self.mask() == u32::from(self.address)
    }

    pub fn overlaps(&self, other: &Subnet) -> bool {
        let shorter = self.prefix.min(other.prefix);
        let mask = u32::MAX << (32 - shorter);
        u32::from(self.address) & mask == u32::from(other.address) & mask
    }

    /// The first address after the network's: the gateway by default.
    pub fn first_host(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.address) + 1)
    }

    /// Host addresses, lowest first, without the network and broadcast ones.
    pub fn hosts(&self) -> impl Iterator<Item = Ipv4Addr> {
        let first = u32::from(self.address) + 1;
        let broadcast = u32::from(self.address) | !self.mask();
        (first..broadcast).map(Ipv4Addr::from)
    }
}

impl std::fmt::Display for Subnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix)
    }
}

/// The first subnet of `prefix` bits in `pool` that overlaps none of `taken`.
pub fn free_subnet(pool: &Subnet, prefix: u8, taken: &[Subnet]) -> Option<Subnet> {
    if prefix < pool.prefix {
        return None;
    }
    let step = 1u64 << (32 - prefix);
    let count = 1u64 << (prefix - pool.prefix);
    (0..count)
        .map(|i| Subnet { address: Ipv4Addr::from((u32::from(pool.address) as u64 + i * step) as u32), prefix })
        .find(|candidate| !taken.iter().any(|t| t.overlaps(candidate)))
}

/// The lowest address of `subnet` that is neither the gateway nor `taken`.
pub fn free_address(subnet: &Subnet, gateway: Ipv4Addr, taken: &[Ipv4Addr]) -> Option<Ipv4Addr> {
    subnet.hosts().find(|ip| *ip != gateway && !taken.contains(ip))
}

/// A network name as Podman takes it.
pub fn validate_name(name: &str) -> Result<()> {
    crate::names::validate_volume_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets_and_addresses() {
        let pool = Subnet::parse("10.89.0.0/16").unwrap();
        let first = free_subnet(&pool, 24, &[]).unwrap();
        assert_eq!(first.to_string(), "10.89.0.0/24");
        let second = free_subnet(&pool, 24, &[first, Subnet::parse("10.89.1.0/25").unwrap()]).unwrap();
        assert_eq!(second.to_string(), "10.89.2.0/24");
        assert!(Subnet::parse("10.89.0.1/24").is_err(), "host bits");
        assert!(Subnet::parse("10.89.0.0").is_err());
        let gateway = first.first_host();
        assert_eq!(gateway, Ipv4Addr::new(10, 89, 0, 1));
        let taken = [Ipv4Addr::new(10, 89, 0, 2)];
        assert_eq!(free_address(&first, gateway, &taken), Some(Ipv4Addr::new(10, 89, 0, 3)));
        let tiny = Subnet::parse("10.1.0.0/30").unwrap();
        assert_eq!(free_address(&tiny, tiny.first_host(), &[Ipv4Addr::new(10, 1, 0, 2)]), None);
        assert!(pool.overlaps(&first) && !first.overlaps(&Subnet::parse("10.90.0.0/24").unwrap()));
    }
}
