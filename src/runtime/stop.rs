//! Stop and kill: libpod's `Container.Stop` and `Kill`.
//!
//! Stop: record `stopping`, send the stop signal, wait up to the timeout for
//! conmon's exit file, then SIGKILL every process and wait again; finally
//! record the exit (code, runtime state deleted) as an exit seen by the
//! watcher would be. Kill only delivers a signal; the exit, if it comes, is
//! recorded by the exit watcher.

use super::{blocking, Runtime};
use crate::config::parse_signal;
use crate::container::{ContainerConfig, State};
use crate::error::Result;
use crate::events::{Event, EventType};
use std::time::Duration;

/// How long SIGKILL may take to end a container.
const KILL_WAIT: Duration = Duration::from_secs(10);

impl Runtime {
    pub async fn stop_container(&self, name_or_id: &str, timeout: Option<u32>) -> Result<String> {
        let id = self.lookup_container_id(name_or_id).await?;
        let _lock = self.locks.lock(&id).await;
        let (config, status) = self.load_container(&id).await?;
        status.state.can_stop(&id)?;
        self.stop_locked(&config, timeout.unwrap_or(config.stop_timeout)).await?;
        self.events.emit(Event::new(EventType::Container, "stop", &id, &config.name));
        Ok(id)
    }

    pub async fn kill_container(&self, name_or_id: &str, signal: Option<&str>) -> Result<String> {
        let id = self.lookup_container_id(name_or_id).await?;
        let _lock = self.locks.lock(&id).await;
        let (config, status) = self.load_container(&id).await?;
        status.state.can_kill(&id)?;
        let signal = parse_signal(signal.unwrap_or("SIGKILL"))?;
        let runc = self.runc_for(&config);
        let key = id.clone();
        blocking(move || runc.kill(&key, signal, false)).await?;
        self.events
            .emit(Event::new(EventType::Container, "kill", &id, &config.name).with("signal", signal.to_string()));
        Ok(id)
    }

    /// Stop a container whose lock the caller holds, and record its exit.
    pub(super) async fn stop_locked(&self, c: &ContainerConfig, timeout: u32) -> Result<i32> {
        let (_, mut status) = self.load_container(&c.id).await?;
        let was_paused = status.state == State::Paused;
        // A created container's init waits for start and only dies by SIGKILL.
        let hard = timeout == 0 || was_paused || status.state == State::Created;
        status.state = State::Stopping;
        self.set_status(&c.id, status).await?;
        let runc = self.runc_for(c);
        let (id, signal) = (c.id.clone(), c.stop_signal);
        let exit_file = self.oci_paths(&c.id).exit_file;
        let first = if hard { libc_sigkill() } else { signal };
        // A signal to a process that is already gone fails; the exit file tells.
        let r = runc.clone();
        let _ = blocking(move || r.kill(&id, first, first == libc_sigkill())).await;
        if was_paused {
            // A frozen cgroup (v1) holds the signal until it is thawed.
            let (r, id) = (runc.clone(), c.id.clone());
            let _ = blocking(move || r.resume(&id)).await;
        }
        if !self.wait_for_exit_file(&exit_file, Duration::from_secs(timeout.into())).await {
            let (r, id) = (runc.clone(), c.id.clone());
            let _ = blocking(move || r.kill(&id, libc_sigkill(), true)).await;
            self.wait_for_exit_file(&exit_file, KILL_WAIT).await;
        }
        self.finish_exit_locked(c).await
    }

    /// Wait until conmon has written the exit file, or `timeout` passes.
    pub(super) async fn wait_for_exit_file(&self, path: &std::path::Path, timeout: Duration) -> bool {
        let mut exits = self.exits.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if path.exists() {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            // The watcher says when a file appears; the poll covers a missed one.
            let _ = tokio::time::timeout(Duration::from_millis(50), exits.recv()).await;
        }
    }
}

fn libc_sigkill() -> i32 {
    nix::sys::signal::Signal::SIGKILL as i32
}
