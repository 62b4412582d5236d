//! Journal entries in journald's native protocol (sd_journal_sendv): one
//! datagram of `FIELD=value` lines, or `FIELD\n<u64 LE length><value>\n` for a
//! value with a newline. Used for berth's events, so that
//! `journalctl BERTH_EVENT=remove CONTAINER_NAME=web` finds them; a no-op
//! where there is no journal.

use super::error::{Result, SystemdError};
use crate::events::Event;
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

/// The event as a journal entry: `journalctl BERTH_EVENT=remove` finds it,
/// and CONTAINER_ID/CONTAINER_NAME (or POD_/VOLUME_/IMAGE_) say what of.
pub fn send_event(event: &Event) {
    let kind = event.kind.as_str();
    let upper = kind.to_ascii_uppercase();
    let (id_field, name_field) = (format!("{upper}_ID"), format!("{upper}_NAME"));
    let message = format!("{kind} {} {} (name={})", event.action, event.id, event.name);
    let mut fields: Vec<(&str, &str)> = vec![
        ("MESSAGE", &message),
        ("PRIORITY", "6"),
        ("SYSLOG_IDENTIFIER", "berthd"),
        ("BERTH_EVENT", &event.action),
        ("BERTH_EVENT_TYPE", kind),
        (&id_field, &event.id),
        (&name_field, &event.name),
    ];
    let attributes: Vec<(String, &str)> = event
        .attributes
        .iter()
        .map(|(k, v)| {
            (format!("BERTH_{}", k.to_ascii_uppercase().replace(|c: char| !c.is_ascii_alphanumeric(), "_")), v.as_str())
        })
        .collect();
    fields.extend(attributes.iter().map(|(k, v)| (k.as_str(), *v)));
    send(&fields);
}

/// One entry of a container's output, read back from the journal.
pub struct OutputEntry {
    /// Microseconds since the epoch (`__REALTIME_TIMESTAMP`).
    pub realtime_usec: u64,
    pub stderr: bool,
    pub text: String,
}

/// What the `journald` log driver wrote for one container, read in-process
/// with sd-journal (no journalctl to spawn, and a follow wakes when
/// journald writes). Not to be moved between threads: open it where it is
/// read.
pub struct OutputReader(systemd::journal::Journal);

fn journal_error(e: systemd::Error) -> SystemdError {
    SystemdError::Journal(e.to_string())
}

impl OutputReader {
    /// The entries that carry container `id`'s full ID.
    pub fn open(id: &str) -> Result<Self> {
        let mut journal =
            systemd::journal::OpenOptions::default().system(true).local_only(true).open().map_err(journal_error)?;
        journal.match_add("CONTAINER_ID_FULL", id).map_err(journal_error)?;
        Ok(OutputReader(journal))
    }

    /// Read on from just after `after_usec` (0: from the start).
    pub fn seek_after(&mut self, after_usec: u64) -> Result<()> {
        match after_usec {
            0 => self.0.seek_head(),
            t => self.0.seek_realtime_usec(t + 1),
        }
        .map_err(journal_error)
    }

    /// The next entry, if there is one yet.
    pub fn next_entry(&mut self) -> Result<Option<OutputEntry>> {
        if self.0.next().map_err(journal_error)? == 0 {
            return Ok(None);
        }
        self.current().map(Some)
    }

    /// The last `n` entries, oldest first, and the time of the very last
    /// (0: none), to follow from; reading on continues after it.
    pub fn last(&mut self, n: usize) -> Result<(Vec<OutputEntry>, u64)> {
        self.0.seek_tail().map_err(journal_error)?;
        let mut entries = Vec::new();
        let mut newest = 0;
        while self.0.previous().map_err(journal_error)? > 0 {
            let entry = self.current()?;
            newest = newest.max(entry.realtime_usec);
            if entries.len() == n {
                break;
            }
            entries.push(entry);
        }
        entries.reverse();
        self.seek_after(newest)?;
        Ok((entries, newest))
    }

    /// Wait up to `timeout` for journald to write.
    pub fn wait(&mut self, timeout: std::time::Duration) -> Result<()> {
        self.0.wait(Some(timeout)).map(drop).map_err(journal_error)
    }

    fn current(&mut self) -> Result<OutputEntry> {
        let realtime_usec = self.0.timestamp_usec().map_err(journal_error)?;
        let mut field = |name: &str| -> Result<Vec<u8>> {
            let data = self.0.get_data(name).map_err(journal_error)?;
            Ok(data.and_then(|d| d.value().map(<[u8]>::to_vec)).unwrap_or_default())
        };
        let stderr = field("PRIORITY")? == b"3";
        let message = field("MESSAGE")?;
        // conmon keeps the line's newline; k8s-file lines have none.
        let text = message.strip_suffix(b"\n").unwrap_or(&message);
        Ok(OutputEntry { realtime_usec, stderr, text: String::from_utf8_lossy(text).into_owned() })
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
