//! IDs and names: the rules of libpod's namespace shared by containers and pods.

use crate::error::{Error, Result};
use rand::RngExt;

/// IDs are 64 lowercase hexadecimal characters, like Podman's.
pub const ID_LEN: usize = 64;

/// A new random ID.
pub fn new_id() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The longest name: a DNS name's length, so that a container's name can be
/// its host name and its alias on a network, and well within a file name
/// (a volume's name is its directory's).
pub const MAX_NAME_LEN: usize = 253;

/// Names must match `^[a-zA-Z0-9][a-zA-Z0-9_.-]*$` and be at most
/// `MAX_NAME_LEN` bytes.
pub fn validate_name(name: &str) -> Result<()> {
    let invalid = |reason: &str| Error::InvalidName { name: name.to_string(), reason: reason.to_string() };
    if name.len() > MAX_NAME_LEN {
        return Err(invalid(&format!("names may be at most {MAX_NAME_LEN} bytes long, not {}", name.len())));
    }
    let mut chars = name.chars();
    match chars.next() {
        None => return Err(invalid("names must not be empty")),
        Some(c) if !c.is_ascii_alphanumeric() => return Err(invalid("names must start with a letter or a digit")),
        _ => {}
    }
    if chars.any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))) {
        return Err(invalid("names may only hold letters, digits, '_', '.' and '-'"));
    }
    // A 64-hex name could shadow another object's ID.
    if name.len() == ID_LEN && name.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid("a name must not look like a full ID"));
    }
    Ok(())
}

/// A volume's name: as a container's, but a full ID is one (volumes have
/// no IDs to shadow, and an unnamed volume is named by one).
pub fn validate_volume_name(name: &str) -> Result<()> {
    if name.len() == ID_LEN && name.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(());
    }
    validate_name(name)
}

/// A generated adjective_noun name; the caller retries on collision.
pub fn generate_name() -> String {
    petname::petname(2, "_").unwrap_or_else(|| format!("berth_{}", &new_id()[..12]))
}

/// Whether a lookup string could be an ID prefix at all.
pub fn is_id_prefix(s: &str) -> bool {
    !s.is_empty() && s.len() <= ID_LEN && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rules() {
        for good in ["web", "a", "9lives", "my_app.v2-beta", "A-B"] {
            validate_name(good).unwrap();
        }
        for bad in ["", "-web", "_x", ".hidden", "a b", "a/b", "é", "a:b"] {
            assert!(matches!(validate_name(bad), Err(Error::InvalidName { .. })), "{bad:?} accepted");
        }
        assert!(validate_name(&"a".repeat(64)).is_err());
        assert!(validate_name(&"a".repeat(63)).is_ok());
        assert!(validate_name(&"a".repeat(MAX_NAME_LEN)).is_ok());
        match validate_name(&"a".repeat(MAX_NAME_LEN + 1)) {
            Err(Error::InvalidName { reason, .. }) => assert!(reason.contains("at most 253 bytes"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ids_are_64_hex() {
        let id = new_id();
        assert_eq!(id.len(), ID_LEN);
        assert!(is_id_prefix(&id));
        assert_ne!(id, new_id());
    }

    #[test]
    fn generated_names_are_valid_adjective_noun() {
        for _ in 0..100 {
            let n = generate_name();
            validate_name(&n).unwrap();
            assert_eq!(n.split('_').count(), 2, "{n}");
        }
    }
}
