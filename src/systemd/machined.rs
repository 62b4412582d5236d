//! systemd-machined registration: a running container is a machine of
//! class "container" (RegisterMachine, its init as the leader; machined
//! takes the unit the leader is in, the container's scope), so that
//! `machinectl list`, `status` and `terminate` see it. machined forgets a
//! machine once its scope is gone, so there is nothing to unregister.

use super::error::{Result, SystemdError};
use super::manager::Systemd;
use std::path::Path;

const DEST: &str = "org.freedesktop.machine1";
const PATH: &str = "/org/freedesktop/machine1";
const MANAGER: &str = "org.freedesktop.machine1.Manager";
/// What the bus answers when machined is not installed.
const NOT_INSTALLED: &str = "org.freedesktop.DBus.Error.ServiceUnknown";

pub struct Machine<'a> {
    pub name: String,
    /// The machine's 128-bit ID: the first half of the container's.
    pub id: Vec<u8>,
    pub leader: u32,
    pub root: &'a Path,
}

impl Machine<'_> {
    /// A container's name where machined takes it as a machine's (a host
    /// name: letters, digits, '-' and '.'), else berth-<short ID>.
    pub fn name_for(name: &str, id: &str) -> String {
        let valid = name.len() <= 64
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            && !name.starts_with(['-', '.'])
            && !name.ends_with(['-', '.'])
            && !name.contains("..");
        match valid {
            true => name.to_string(),
            false => format!("berth-{}", &id[..12.min(id.len())]),
        }
    }

    /// The ID machined shows, from the container's hexadecimal ID.
    pub fn id_for(id: &str) -> Vec<u8> {
        (0..16).filter_map(|i| id.get(2 * i..2 * i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
    }
}

impl Systemd {
    /// Register `m`: whether it was, false when machined is not installed.
    pub async fn register_machine(&self, m: &Machine<'_>) -> Result<bool> {
        let root = m.root.to_string_lossy();
        let body = (m.name.as_str(), &m.id, "berth", "container", m.leader, root.as_ref());
        match self.connection().call_method(Some(DEST), PATH, Some(MANAGER), "RegisterMachine", &body).await {
            Ok(_) => Ok(true),
            Err(zbus::Error::MethodError(name, _, _)) if name.as_str() == NOT_INSTALLED => Ok(false),
            Err(e) => Err(SystemdError::bus(format!("RegisterMachine {}", m.name), e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Machine;

    #[test]
    fn names_and_ids_machined_takes() {
        let id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(Machine::name_for("web-1.example", id), "web-1.example");
        for name in ["under_score", "-dash", "dot.", "a..b", &"x".repeat(65)] {
            assert_eq!(Machine::name_for(name, id), "berth-0123456789ab", "{name}");
        }
        let machine_id = Machine::id_for(id);
        assert_eq!(machine_id.len(), 16);
        assert_eq!(machine_id[..3], [0x01, 0x23, 0x45]);
    }
}
