//! Attach and resize: libpod's `Container.Attach` and `AttachResize`
//! (container_api.go, oci_conmon_attach_common.go). conmon holds the
//! container's stdio (or its pseudo-terminal) for the container's whole
//! life and serves it on an attach socket in the bundle, to as many
//! clients as connect; berthd connects one per attached client and the
//! transport carries the stream (api/attach_stream.rs).

use super::Runtime;
use crate::error::{Error, Result};
use crate::model::container::State;
use std::os::fd::OwnedFd;

/// A client's attachment to a container: conmon's socket and how to
/// carry it.
#[derive(Debug)]
pub struct Attached {
    pub id: String,
    /// Raw bytes both ways; without one, output is framed by stream.
    pub terminal: bool,
    /// Whether the client's bytes reach the container (asked for, and the
    /// container keeps its stdin open).
    pub stdin: bool,
    /// The bytes that end the attach (none: it cannot be detached).
    pub detach_keys: Vec<u8>,
    /// Connected to conmon's attach socket (see `oci::conmon::connect_attach`).
    pub socket: OwnedFd,
    /// An exec session's exit file, which conmon writes just after it ends
    /// the stream: the stream ends once it is there, so that a client that
    /// inspects the session after the stream's end finds its exit code.
    pub exit_file: Option<std::path::PathBuf>,
}

/// A terminal size a resize may set (the kernel's are 16-bit), or
/// InvalidArgument naming the side that is not one.
pub(super) fn terminal_size(height: i64, width: i64) -> Result<(u16, u16)> {
    let side = |field: &str, value: i64| {
        u16::try_from(value)
            .ok()
            .filter(|v| *v > 0)
            .ok_or_else(|| Error::invalid_argument(field, format!("{value} is not a terminal size (1 to 65535)")))
    };
    Ok((side("height", height)?, side("width", width)?))
}

impl Runtime {
    /// Attach to a created or running container (podman's states for an
    /// attach: a created one has conmon already, and its output from its
    /// start on reaches a client that attaches before starting it).
    pub async fn attach_container(&self, name_or_id: &str, stdin: bool, detach_keys: Option<&str>) -> Result<Attached> {
        let detach_keys = crate::model::exec::detach_keys(detach_keys)?;
        let id = self.lookup_container_id(name_or_id).await?;
        let _lock = self.locks.lock(&id).await;
        let (config, status) = self.load_container(&id).await?;
        if !matches!(status.state, State::Created | State::Running) {
            return Err(status.state.invalid(&id, "can only attach to created or running containers"));
        }
        let bundle = self.oci_paths(&id).bundle;
        let socket = crate::oci::conmon::connect_attach(&bundle)
            .map_err(|e| Error::Runtime(format!("connecting to the attach socket of {id}: {e}")))?;
        Ok(Attached {
            id,
            terminal: config.terminal,
            stdin: stdin && config.stdin,
            detach_keys,
            socket,
            exit_file: None,
        })
    }

    /// Set the size of a container's terminal.
    pub async fn resize_container(&self, name_or_id: &str, height: i64, width: i64) -> Result<String> {
        let (height, width) = terminal_size(height, width)?;
        let id = self.lookup_container_id(name_or_id).await?;
        let _lock = self.locks.lock(&id).await;
        let (config, status) = self.load_container(&id).await?;
        if !config.terminal {
            return Err(status.state.invalid(&id, "the container has no terminal to resize"));
        }
        if !matches!(status.state, State::Created | State::Running | State::Paused) {
            return Err(status.state.invalid(&id, "can only resize the terminal of a created or running container"));
        }
        crate::oci::conmon::resize(&self.oci_paths(&id).bundle, height, width)
            .map_err(|e| Error::Runtime(format!("resizing the terminal of {id}: {e}")))?;
        Ok(id)
    }
}
