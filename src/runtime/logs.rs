//! Logs: read a container's output back from conmon's k8s-file log (the
//! position is a byte offset) or from the journal for the `journald` driver
//! (the position is the last entry's realtime microseconds), whole or as
//! its last lines, between two times, or followed as it grows.

use super::{blocking, Runtime};
use crate::error::{Error, Result};
use crate::systemd::journal::{self, OutputReader};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use tokio::sync::mpsc;

/// How often a followed k8s-file log is looked at for new lines.
const FOLLOW_POLL: std::time::Duration = std::time::Duration::from_millis(100);
/// How long a journald follow waits for journald before it looks whether
/// its container still runs and its client still listens.
const JOURNAL_WAIT: std::time::Duration = std::time::Duration::from_millis(250);
/// How much of a k8s-file log's end is read first for `tail` (doubled
/// until it holds enough lines).
const TAIL_BLOCK: u64 = 64 * 1024;

/// What of a container's log to read: podman's LogOptions.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogOptions {
    /// Only the last lines; `since` and `until` apply to those, as in podman.
    pub tail: Option<usize>,
    /// Unix nanoseconds: only lines written from then on.
    pub since: Option<i64>,
    /// Unix nanoseconds: only lines written until then; a follow ends then.
    pub until: Option<i64>,
}

impl LogOptions {
    fn admits(&self, line: &LogLine) -> bool {
        self.since.is_none_or(|s| line.nanos >= s) && self.until.is_none_or(|u| line.nanos <= u)
    }
}

/// One line of output: when (RFC 3339, and in Unix nanoseconds), which
/// stream, what.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub time: String,
    pub nanos: i64,
    pub stream: String,
    pub text: String,
}

fn journal_line(e: journal::OutputEntry) -> LogLine {
    LogLine {
        time: crate::timestamp::rfc3339_micros(e.realtime_usec),
        nanos: (e.realtime_usec as i64).saturating_mul(1000),
        stream: if e.stderr { "stderr" } else { "stdout" }.into(),
        text: e.text,
    }
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
            nanos: crate::timestamp::rfc3339_nanos(time).unwrap_or(0),
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

fn open_log(path: &Path) -> Result<Option<std::fs::File>> {
    match std::fs::File::open(path) {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::storage(path.display(), e)),
    }
}

/// The k8s-file log's lines from byte `offset` on, and the offset to read
/// on from. conmon starts the file anew when it reaches its size limit: an
/// offset beyond the end reads the new file from its start.
fn read_k8s_file(path: &Path, offset: u64) -> Result<(Vec<LogLine>, u64)> {
    let Some(mut file) = open_log(path)? else { return Ok((Vec::new(), 0)) };
    let len = file.metadata().map_err(|e| Error::storage(path.display(), e))?.len();
    let offset = if offset > len { 0 } else { offset };
    file.seek(SeekFrom::Start(offset)).map_err(|e| Error::storage(path.display(), e))?;
    let mut data = Vec::new();
    file.read_to_end(&mut data).map_err(|e| Error::storage(path.display(), e))?;
    let (lines, consumed) = parse_k8s_file(&data);
    Ok((lines, offset + consumed as u64))
}

/// The k8s-file log's last `n` lines, read from the end of the file (a
/// long log is not read whole), and the offset to read on from.
fn tail_k8s_file(path: &Path, n: usize) -> Result<(Vec<LogLine>, u64)> {
    let Some(mut file) = open_log(path)? else { return Ok((Vec::new(), 0)) };
    let len = file.metadata().map_err(|e| Error::storage(path.display(), e))?.len();
    let mut block = TAIL_BLOCK;
    loop {
        let start = len.saturating_sub(block);
        file.seek(SeekFrom::Start(start)).map_err(|e| Error::storage(path.display(), e))?;
        let mut data = Vec::new();
        file.read_to_end(&mut data).map_err(|e| Error::storage(path.display(), e))?;
        // Read from the first whole record (the block may start inside one).
        let skip = match start {
            0 => 0,
            _ => data.iter().position(|b| *b == b'\n').map_or(data.len(), |p| p + 1),
        };
        let (mut lines, consumed) = parse_k8s_file(&data[skip..]);
        // The first line may have begun before the block: more than n lines
        // means the last n are whole.
        if lines.len() > n || start == 0 {
            lines.drain(..lines.len().saturating_sub(n));
            return Ok((lines, start + (skip + consumed) as u64));
        }
        block *= 2;
    }
}

impl Runtime {
    /// A container's log so far, as `options` asks: its ID, the lines and
    /// where a follow goes on from.
    pub async fn container_logs(&self, name_or_id: &str, options: LogOptions) -> Result<(String, Vec<LogLine>, u64)> {
        let id = self.lookup_container_id(name_or_id).await?;
        let (config, _) = self.load_container(&id).await?;
        let path = self.oci_paths(&id).log;
        let key = id.clone();
        let (mut lines, position) = match (config.log_driver.as_str(), options.tail) {
            ("none", _) => {
                return Err(Error::invalid_argument(
                    "logDriver",
                    format!("container {id}: this container is using the 'none' log driver, cannot read logs"),
                ))
            }
            ("journald", tail) => {
                blocking(move || {
                    let mut reader = OutputReader::open(&key)?;
                    // Without tail, since is where the journal is read from.
                    let from = options.since.map_or(0, |s| (s / 1000).saturating_sub(1).max(0) as u64);
                    let (entries, newest) = match tail {
                        Some(n) => reader.last(n)?,
                        None => read_journal(&mut reader, from)?,
                    };
                    Ok((entries.into_iter().map(journal_line).collect::<Vec<_>>(), newest))
                })
                .await?
            }
            (_, Some(n)) => blocking(move || tail_k8s_file(&path, n)).await?,
            (_, None) => blocking(move || read_k8s_file(&path, 0)).await?,
        };
        lines.retain(|l| options.admits(l));
        Ok((id, lines, position))
    }

    /// Follow container `id`'s log from `position` (from container_logs):
    /// batches of new lines as they are written, until the container has
    /// stopped and its log is read to the end, until `options.until` has
    /// passed, or until it is removed. Dropping the receiver ends it.
    pub fn follow_logs(
        self: &std::sync::Arc<Self>,
        id: String,
        position: u64,
        options: LogOptions,
    ) -> mpsc::Receiver<Vec<LogLine>> {
        let (tx, rx) = mpsc::channel(16);
        let rt = self.clone();
        tokio::spawn(async move {
            match rt.load_container(&id).await {
                Ok((c, _)) if c.log_driver == "journald" => rt.follow_journal(id, position, options, tx).await,
                _ => rt.follow_file(id, position, options, tx).await,
            }
        });
        rx
    }

    /// Whether a follow of `id`'s log should go on: the container may
    /// still write and `until` has not passed.
    async fn still_writing(&self, id: &str, options: &LogOptions) -> bool {
        let running = matches!(self.load_container(id).await, Ok((_, status)) if status.state.in_runtime());
        running && options.until.is_none_or(|u| crate::events::now_nanos() <= u)
    }

    /// The k8s-file log, read again whenever it may have grown.
    async fn follow_file(&self, id: String, mut offset: u64, options: LogOptions, tx: mpsc::Sender<Vec<LogLine>>) {
        let path = self.oci_paths(&id).log;
        while !tx.is_closed() {
            let file = path.clone();
            let Ok((mut lines, next)) = blocking(move || read_k8s_file(&file, offset)).await else { return };
            offset = next;
            lines.retain(|l| options.admits(l));
            if !lines.is_empty() {
                if tx.send(lines).await.is_err() {
                    return;
                }
            } else if !self.still_writing(&id, &options).await {
                return;
            } else {
                tokio::time::sleep(FOLLOW_POLL).await;
            }
        }
    }

    /// The journald driver's output, read by one sd-journal reader that
    /// wakes when journald writes, until the container has stopped (then
    /// once more, for what journald had not written yet) or the receiver
    /// is gone.
    async fn follow_journal(&self, id: String, after: u64, options: LogOptions, tx: mpsc::Sender<Vec<LogLine>>) {
        use std::sync::atomic::{AtomicBool, Ordering};
        let stopped = std::sync::Arc::new(AtomicBool::new(false));
        let (lines, stop, key) = (tx.clone(), stopped.clone(), id.clone());
        let reader = tokio::task::spawn_blocking(move || -> Result<()> {
            let mut reader = OutputReader::open(&key)?;
            let mut newest = after;
            loop {
                // Seen before reading: entries written before the stop are
                // all read by the pass after it.
                let last_pass = stop.load(Ordering::SeqCst);
                let (entries, last) = read_journal(&mut reader, newest)?;
                newest = last;
                let batch: Vec<LogLine> = entries.into_iter().map(journal_line).filter(|l| options.admits(l)).collect();
                if !batch.is_empty() && lines.blocking_send(batch).is_err() {
                    return Ok(());
                }
                if last_pass || lines.is_closed() {
                    return Ok(());
                }
                reader.wait(JOURNAL_WAIT)?;
            }
        });
        while !reader.is_finished() {
            if tx.is_closed() || !self.still_writing(&id, &options).await {
                // journald writes what conmon sent a moment after: wait a
                // little before the last pass.
                tokio::time::sleep(JOURNAL_WAIT).await;
                stopped.store(true, Ordering::SeqCst);
                break;
            }
            tokio::time::sleep(JOURNAL_WAIT).await;
        }
        if let Ok(Err(e)) = reader.await {
            tracing::warn!(container = %id, error = %e, "following the journal failed");
        }
    }
}

/// The reader's entries after `after_usec` up to the journal's end, and
/// the newest one's time (`after_usec` if none).
fn read_journal(reader: &mut OutputReader, after_usec: u64) -> Result<(Vec<journal::OutputEntry>, u64)> {
    reader.seek_after(after_usec)?;
    let mut entries = Vec::new();
    let mut newest = after_usec;
    while let Some(entry) = reader.next_entry()? {
        newest = newest.max(entry.realtime_usec);
        entries.push(entry);
    }
    Ok((entries, newest))
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
        assert_eq!(lines[0].nanos, 1_767_225_600_100_000_000);
        assert_eq!((lines[1].stream.as_str(), lines[1].text.as_str()), ("stderr", "partial"));
        assert_eq!(&data[consumed..], b"2026-01-01T00:00:00.4+00:00 stdout F unfinis");
        // A partial line without its end waits too.
        let (lines, consumed) = parse_k8s_file(b"t stdout P abc\n");
        assert!(lines.is_empty());
        assert_eq!(consumed, 0);
        let (lines, _) = parse_k8s_file(b"t stdout F \n");
        assert_eq!(lines[0].text, "");
    }

    #[test]
    fn tail_reads_the_end_of_a_long_log_and_whole_lines() {
        let dir = std::env::temp_dir().join(format!("berth-tail-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ctr.log");
        let mut log = String::new();
        for i in 0..20_000 {
            log.push_str(&format!("2026-01-01T00:00:00.{i:09}+00:00 stdout F line {i}\n"));
        }
        // A last line in two parts, the first far from the second.
        log.push_str(&format!("2026-01-01T00:00:01+00:00 stdout P {}\n", "x".repeat(100_000)));
        log.push_str("2026-01-01T00:00:01+00:00 stdout F end\n");
        std::fs::write(&path, &log).unwrap();
        let (lines, offset) = tail_k8s_file(&path, 3).unwrap();
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts[..2], ["line 19998", "line 19999"]);
        assert_eq!(texts[2].len(), 100_003);
        assert_eq!(offset, log.len() as u64);
        assert_eq!(tail_k8s_file(&path, 0).unwrap(), (Vec::new(), log.len() as u64));
        assert_eq!(tail_k8s_file(&path, 50_000).unwrap().0.len(), 20_001);
        // conmon started the file anew: an old offset reads it from the start.
        std::fs::write(&path, "2026-01-01T00:00:02+00:00 stdout F fresh\n").unwrap();
        assert_eq!(read_k8s_file(&path, offset).unwrap().0[0].text, "fresh");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
