//! Journal entries in journald's native protocol (sd_journal_sendv): one
//! datagram of `FIELD=value` lines, or `FIELD\n<u64 LE length><value>\n` for a
//! value with a newline. Used for berth's events, so that
//! `journalctl BERTH_EVENT=remove CONTAINER_NAME=web` finds them; a no-op
//! where there is no journal.

use std::os::unix::net::UnixDatagram;
use std::sync::OnceLock;

pub const SOCKET: &str = "/run/systemd/journal/socket";

/// Whether journald listens here (checked once).
pub fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| std::path::Path::new(SOCKET).exists())
}

/// Encode fields as one native-protocol datagram.
pub fn encode(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (key, value) in fields {
        out.extend_from_slice(key.as_bytes());
        if value.contains('\n') {
            out.push(b'\n');
            out.extend_from_slice(&(value.len() as u64).to_le_bytes());
        } else {
            out.push(b'=');
        }
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
    }
    out
}

/// Send one entry; failures are ignored (the journal is a second record of
/// what berthd also streams and logs).
pub fn send(fields: &[(&str, &str)]) {
    if !available() {
        return;
    }
    if let Ok(socket) = UnixDatagram::unbound() {
        let _ = socket.send_to(&encode(fields), SOCKET);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_with_newlines_are_length_prefixed() {
        let got = super::encode(&[("MESSAGE", "a\nb"), ("BERTH_EVENT", "start")]);
        let mut want = b"MESSAGE\n".to_vec();
        want.extend_from_slice(&3u64.to_le_bytes());
        want.extend_from_slice(b"a\nb\nBERTH_EVENT=start\n");
        assert_eq!(got, want);
    }
}
