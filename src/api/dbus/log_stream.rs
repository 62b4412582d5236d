//! A container's log handed out as a descriptor (the container object's
//! Log): a desktop program reads lines from it as from a pipe, with no
//! call held open and no polling. One line per output line, its time first
//! when asked; with follow, lines come as they are written until the
//! container has stopped. The descriptor's end is a unix socket, so that
//! the caller closing it ends the follow at once, even while no line comes.

use crate::runtime::{LogLine, LogOptions, Runtime};
use std::os::unix::net::UnixStream;
use std::sync::Arc;

/// The reader's end of a stream carrying `lines`, then, with `follow`,
/// what `id`'s log gets from `position` on.
pub fn hand_out(
    runtime: &Arc<Runtime>,
    id: String,
    lines: Vec<LogLine>,
    follow: Option<(u64, LogOptions)>,
    timestamps: bool,
) -> std::io::Result<UnixStream> {
    let (ours, theirs) = UnixStream::pair()?;
    ours.set_nonblocking(true)?;
    let ours = tokio::net::UnixStream::from_std(ours)?;
    let more = follow.map(|(position, options)| runtime.follow_logs(id, position, options));
    tokio::spawn(carry(ours, lines, more, timestamps));
    Ok(theirs)
}

async fn carry(
    stream: tokio::net::UnixStream,
    lines: Vec<LogLine>,
    more: Option<tokio::sync::mpsc::Receiver<Vec<LogLine>>>,
    timestamps: bool,
) {
    if write(&stream, lines, timestamps).await.is_err() {
        return;
    }
    let Some(mut more) = more else { return };
    loop {
        tokio::select! {
            batch = more.recv() => match batch {
                Some(lines) => if write(&stream, lines, timestamps).await.is_err() { return },
                None => return,
            },
            // The reader sends nothing: the end of its input is its hangup
            // (what it does send is dropped).
            _ = stream.readable() => match stream.try_read(&mut [0u8; 512]) {
                Ok(0) => return,
                Err(e) if e.kind() != std::io::ErrorKind::WouldBlock => return,
                _ => {}
            },
        }
    }
}

async fn write(stream: &tokio::net::UnixStream, lines: Vec<LogLine>, timestamps: bool) -> std::io::Result<()> {
    let mut text = String::new();
    for line in lines {
        if timestamps {
            text.push_str(&line.time);
            text.push(' ');
        }
        text.push_str(&line.text);
        text.push('\n');
    }
    let mut rest = text.as_bytes();
    while !rest.is_empty() {
        stream.writable().await?;
        match stream.try_write(rest) {
            Ok(n) => rest = &rest[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
