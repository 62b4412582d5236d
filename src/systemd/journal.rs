//! Journal entries in journald's native protocol (sd_journal_sendv): one
//! datagram of `FIELD=value` lines, or `FIELD\n<u64 LE length><value>\n` for a
//! value with a newline. Used for berth's events, so that
//! `journalctl BERTH_EVENT=remove CONTAINER_NAME=web` finds them; a no-op
//! where there is no journal.

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

/// One entry of a container's output, read back from the journal.
pub struct OutputEntry {
    /// Microseconds since the epoch (`__REALTIME_TIMESTAMP`).
    pub realtime_usec: u64,
    pub stderr: bool,
    pub text: String,
}

/// journalctl over container `id`'s output after `after_usec` (0: from the
/// start), oldest first, one JSON entry per line.
fn journalctl(id: &str, after_usec: u64) -> std::process::Command {
    let mut cmd = std::process::Command::new("journalctl");
    cmd.args(["-o", "json", "--no-pager", "-q", "--output-fields=MESSAGE,PRIORITY", "--lines=all"]);
    if after_usec > 0 {
        cmd.arg(format!("--since=@{}.{:06}", after_usec / 1_000_000, after_usec % 1_000_000));
    }
    cmd.arg(format!("CONTAINER_ID_FULL={id}")).stdin(std::process::Stdio::null());
    cmd
}

/// What the `journald` log driver wrote for container `id` after
/// `after_usec` (0: from the start), oldest first, read with journalctl.
pub fn container_output(id: &str, after_usec: u64) -> super::error::Result<Vec<OutputEntry>> {
    use super::error::SystemdError;
    let out = journalctl(id, after_usec).output().map_err(|e| SystemdError::Journal(e.to_string()))?;
    if !out.status.success() {
        return Err(SystemdError::Journal(String::from_utf8_lossy(&out.stderr).trim().to_string()));
    }
    Ok(out.stdout.split(|b| *b == b'\n').filter_map(|line| parse_entry(line, after_usec)).collect())
}

/// `journalctl --follow` over container `id`'s output after `after_usec`:
/// entries as journald stores them, one JSON line each on the child's stdout
/// (read them with `parse_entry`), until the child is killed.
pub fn follow_output(id: &str, after_usec: u64) -> super::error::Result<std::process::Child> {
    journalctl(id, after_usec)
        .arg("--follow")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| super::error::SystemdError::Journal(e.to_string()))
}

/// One line of `journalctl -o json`, if it is an entry after `after_usec`.
pub fn parse_entry(line: &[u8], after_usec: u64) -> Option<OutputEntry> {
    let v = serde_json::from_slice::<serde_json::Value>(line).ok()?;
    let realtime_usec = v["__REALTIME_TIMESTAMP"].as_str().and_then(|t| t.parse().ok()).unwrap_or(0);
    if realtime_usec <= after_usec {
        return None;
    }
    // A MESSAGE that is not valid UTF-8 comes as an array of bytes.
    let text = match &v["MESSAGE"] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(bytes) => {
            String::from_utf8_lossy(&bytes.iter().filter_map(|b| b.as_u64().map(|b| b as u8)).collect::<Vec<_>>())
                .into_owned()
        }
        _ => String::new(),
    };
    // conmon keeps the line's newline; k8s-file lines have none.
    let text = text.strip_suffix('\n').map(str::to_string).unwrap_or(text);
    Some(OutputEntry { realtime_usec, stderr: v["PRIORITY"].as_str() == Some("3"), text })
}

/// `2026-11-28T17:00:00.123456Z` for microseconds since the epoch.
pub fn rfc3339_micros(usec: u64) -> String {
    let secs = usec / 1_000_000;
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        usec % 1_000_000
    )
}

#[cfg(test)]
mod time_tests {
    #[test]
    fn rfc3339_of_known_instants() {
        assert_eq!(super::rfc3339_micros(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(super::rfc3339_micros(1_709_251_199_000_001), "2024-02-29T23:59:59.000001Z");
    }
}
