//! Logs: read a container's output back from conmon's k8s-file log (the
//! offset is a byte offset) or from the journal for the `journald` driver
//! (the offset is the last entry's realtime microseconds), whole, as its last
//! lines, or followed as it grows.

use super::{blocking, Runtime};
use crate::error::{Error, Result};
use crate::systemd::journal;
use std::io::{Read, Seek, SeekFrom};
use tokio::sync::mpsc;

/// How often a followed k8s-file log is looked at for new lines.
const FOLLOW_POLL: std::time::Duration = std::time::Duration::from_millis(100);
/// How often a journald follow checks whether its container still runs.
const JOURNAL_CHECK: std::time::Duration = std::time::Duration::from_millis(250);

fn journal_line(e: journal::OutputEntry) -> LogLine {
    LogLine {
        time: journal::rfc3339_micros(e.realtime_usec),
        stream: if e.stderr { "stderr" } else { "stdout" }.into(),
        text: e.text,
    }
}

/// One line of output: when, which stream, what.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub time: String,
    pub stream: String,
    pub text: String,
}

/// Parse k8s-file lines (`TIME STREAM P|F TEXT`); `P` marks a partial line
/// that the next one continues. A trailing line without its newline is left
/// for the next read: the returned count is how many bytes were consumed.
pub fn parse_k8s_file(data: &[u8]) -> (Vec<LogLine>, usize) {
    let mut lines = Vec::new();
    let mut partial: Option<LogLine> = None;
    let mut consumed = 0;
    let mut pending = 0;
    while let Some(nl) = data[consumed + pending..].iter().position(|b| *b == b'\n') {
        let raw = String::from_utf8_lossy(&data[consumed + pending..consumed + pending + nl]).into_owned();
        pending += nl + 1;
        let mut parts = raw.splitn(4, ' ');
        let (Some(time), Some(stream), Some(tag)) = (parts.next(), parts.next(), parts.next()) else { continue };
        let text = parts.next().unwrap_or("");
        let mut line = partial.take().unwrap_or_else(|| LogLine {
            time: time.to_string(),
            stream: stream.to_string(),
            text: String::new(),
        });
        line.text.push_str(text);
        if tag == "P" {
            partial = Some(line);
        } else {
            lines.push(line);
            consumed += pending;
            pending = 0;
        }
    }
    (lines, consumed)
}

impl Runtime {
    /// Log lines from byte `offset` on, with the offset to continue from and
    /// whether the container may still write more.
    pub async fn read_logs(&self, id: &str, offset: u64) -> Result<(Vec<LogLine>, u64, bool)> {
        let (config, status) = self.load_container(id).await?;
        match config.log_driver.as_str() {
            "journald" => {
                let key = id.to_string();
                let entries = blocking(move || Ok(journal::container_output(&key, offset)?)).await?;
                let next = entries.last().map_or(offset, |e| e.realtime_usec);
                let lines = entries.into_iter().map(journal_line).collect();
                return Ok((lines, next, status.state.in_runtime()));
            }
            "none" => {
                return Err(Error::invalid_argument(
                    "logDriver",
                    format!("container {id}: this container is using the 'none' log driver, cannot read logs"),
                ))
            }
            _ => {}
        }
        let path = self.oci_paths(id).log;
        let (lines, consumed) = blocking(move || {
            let mut file = match std::fs::File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
                Err(e) => return Err(Error::storage(path.display(), e)),
            };
            file.seek(SeekFrom::Start(offset)).map_err(|e| Error::storage(path.display(), e))?;
            let mut data = Vec::new();
            file.read_to_end(&mut data).map_err(|e| Error::storage(path.display(), e))?;
            Ok(parse_k8s_file(&data))
        })
        .await?;
        Ok((lines, offset + consumed as u64, status.state.in_runtime()))
    }

    /// Follow a container's log from `offset` (a byte offset, or a journal
    /// time for the journald driver): batches of new lines as they are
    /// written, until the container has stopped and its log is read to the
    /// end (or it is removed). Dropping the receiver ends the follow.
    pub fn follow_logs(self: &std::sync::Arc<Self>, id: String, offset: u64) -> mpsc::Receiver<Vec<LogLine>> {
        let (tx, rx) = mpsc::channel(16);
        let rt = self.clone();
        tokio::spawn(async move {
            match rt.load_container(&id).await {
                Ok((c, _)) if c.log_driver == "journald" => rt.follow_journal(id, offset, tx).await,
                _ => rt.follow_file(id, offset, tx).await,
            }
        });
        rx
    }

    /// The k8s-file log, read again whenever it may have grown.
    async fn follow_file(&self, id: String, mut offset: u64, tx: mpsc::Sender<Vec<LogLine>>) {
        while !tx.is_closed() {
            let Ok((lines, next, running)) = self.read_logs(&id, offset).await else { return };
            offset = next;
            if !lines.is_empty() {
                if tx.send(lines).await.is_err() {
                    return;
                }
            } else if !running {
                return;
            } else {
                tokio::time::sleep(FOLLOW_POLL).await;
            }
        }
    }

    /// The journald driver's output through one `journalctl --follow` (not a
    /// journalctl run per look), until the container has stopped or the
    /// receiver is gone.
    async fn follow_journal(&self, id: String, after: u64, tx: mpsc::Sender<Vec<LogLine>>) {
        use std::sync::atomic::{AtomicU64, Ordering};
        let Ok(mut child) = journal::follow_output(&id, after) else { return };
        let Some(stdout) = child.stdout.take() else { return };
        let last = std::sync::Arc::new(AtomicU64::new(after));
        let (lines, seen) = (tx.clone(), last.clone());
        let reader = tokio::task::spawn_blocking(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout).split(b'\n') {
                let Ok(line) = line else { return };
                if let Some(entry) = journal::parse_entry(&line, after) {
                    seen.store(entry.realtime_usec, Ordering::SeqCst);
                    if lines.blocking_send(vec![journal_line(entry)]).is_err() {
                        return;
                    }
                }
            }
        });
        loop {
            tokio::time::sleep(JOURNAL_CHECK).await;
            let running = matches!(self.load_container(&id).await, Ok((_, status)) if status.state.in_runtime());
            if tx.is_closed() || reader.is_finished() || !running {
                break;
            }
        }
        let _ = tokio::task::spawn_blocking(move || {
            let _ = child.kill();
            child.wait()
        })
        .await;
        let _ = reader.await;
        // journalctl --follow hears of new entries when journald signals a
        // change, up to 250 ms late: read the container's last lines directly.
        if let Ok((rest, _, _)) = self.read_logs(&id, last.load(Ordering::SeqCst)).await {
            if !rest.is_empty() {
                let _ = tx.send(rest).await;
            }
        }
    }

    /// A container's log so far; with `tail`, only its last lines.
    pub async fn container_logs(&self, name_or_id: &str, tail: Option<usize>) -> Result<(String, Vec<LogLine>, u64)> {
        let id = self.lookup_container_id(name_or_id).await?;
        let (mut lines, offset, _) = self.read_logs(&id, 0).await?;
        if let Some(n) = tail {
            lines.drain(..lines.len().saturating_sub(n));
        }
        Ok((id, lines, offset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k8s_file_lines() {
        let data = b"2026-01-01T00:00:00.1+00:00 stdout F hello\n2026-01-01T00:00:00.2+00:00 stderr P par\n2026-01-01T00:00:00.3+00:00 stderr F tial\n2026-01-01T00:00:00.4+00:00 stdout F unfinis";
        let (lines, consumed) = parse_k8s_file(data);
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0].stream.as_str(), lines[0].text.as_str()), ("stdout", "hello"));
        assert_eq!((lines[1].stream.as_str(), lines[1].text.as_str()), ("stderr", "partial"));
        assert_eq!(&data[consumed..], b"2026-01-01T00:00:00.4+00:00 stdout F unfinis");
        // A partial line without its end waits too.
        let (lines, consumed) = parse_k8s_file(b"t stdout P abc\n");
        assert!(lines.is_empty());
        assert_eq!(consumed, 0);
        let (lines, _) = parse_k8s_file(b"t stdout F \n");
        assert_eq!(lines[0].text, "");
    }
}
