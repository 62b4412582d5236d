//! Stop and kill: libpod's `Container.Stop` and `Kill`.
//!
//! Stop: record `stopping` and send the stop signal under the container's
//! lock; then wait, without the lock, up to the timeout for conmon's exit
//! file, SIGKILL every process and wait again; finally, under the lock,
//! record the exit (code, runtime state deleted) unless the exit watcher or
//! a forced removal did meanwhile. Waiting without the lock lets a Kill or
//! a forced Remove act at once during a long stop, as Podman's do, and a
//! non-forced Remove be refused at once (InvalidState: stopping).
//!
//! A container whose conmon is gone gets no exit file: the wait notices the
//! conmon's end, kills what the runtime still runs, and the exit is recorded
//! with an unknown code at once.
//!
//! Kill only delivers a signal; the exit, if it comes, is recorded by the
//! exit watcher.

use super::{blocking, in_oci, Runtime};
use crate::config::parse_signal;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::model::container::{ContainerConfig, State};
use crate::oci::conmon::{self, Conmon};
use std::time::Duration;

/// How long SIGKILL may take to end a container.
const KILL_WAIT: Duration = Duration::from_secs(10);
/// How often a wait looks again when no exit was announced.
const POLL: Duration = Duration::from_millis(50);

/// How a wait for a container's end ended.
#[derive(Debug, PartialEq)]
pub(super) enum End {
    /// conmon wrote the exit file (or the watcher recorded it).
    Exited,
    /// conmon is gone without writing one: none will come.
    MonitorGone,
    TimedOut,
}

impl Runtime {
    pub async fn stop_container(&self, name_or_id: &str, timeout: Option<u32>) -> Result<String> {
        let id = self.lookup_container_id(name_or_id).await?;
        let (config, hard) = {
            let _lock = self.locks.lock(&id).await;
            let (config, status) = self.load_container(&id).await?;
            status.state.can_stop(&id)?;
            self.mark_stopped_by_user(&id).await?;
            let timeout = timeout.unwrap_or(config.stop_timeout);
            let hard = self.send_stop_signal(&config, timeout).await?;
            (config, if hard { 0 } else { timeout })
        };
        crate::fault::crash_point("stop.signalled");
        self.wait_until_ended(&config, hard).await;
        crate::fault::crash_point("stop.ended");
        let _lock = self.locks.lock(&id).await;
        match self.load_container(&id).await {
            Ok((_, status)) if status.state.in_runtime() => {
                self.finish_exit_locked(&config).await?;
            }
            // Recorded meanwhile: by the exit watcher, a forced removal.
            Ok(_) => {}
            Err(Error::NoSuchContainer(_)) => return Ok(id),
            Err(e) => return Err(e),
        }
        self.events.emit(Event::for_container("stop", &config));
        Ok(id)
    }

    pub async fn kill_container(&self, name_or_id: &str, signal: Option<&str>) -> Result<String> {
        let id = self.lookup_container_id(name_or_id).await?;
        let _lock = self.locks.lock(&id).await;
        let (config, status) = self.load_container(&id).await?;
        status.state.can_kill(&id)?;
        let signal = parse_signal(signal.unwrap_or("SIGKILL"))?;
        self.mark_stopped_by_user(&id).await?;
        let runc = self.runc_for(&config);
        let key = id.clone();
        in_oci(move || runc.kill(&key, signal, false)).await?;
        self.events.emit(Event::for_container("kill", &config).with("signal", signal.to_string()));
        Ok(id)
    }

    /// Stop a container whose lock the caller holds, and record its exit.
    pub(super) async fn stop_locked(&self, c: &ContainerConfig, timeout: u32) -> Result<i32> {
        let hard = self.send_stop_signal(c, timeout).await?;
        self.wait_until_ended(c, if hard { 0 } else { timeout }).await;
        self.finish_exit_locked(c).await
    }

    /// Record `stopping` and send the first signal: SIGKILL when `timeout`
    /// is 0 or the container cannot act on another (created: its init waits
    /// for start; paused; already stopping: its stop signal was sent).
    /// Returns whether that signal was SIGKILL.
    async fn send_stop_signal(&self, c: &ContainerConfig, timeout: u32) -> Result<bool> {
        let (_, mut status) = self.load_container(&c.id).await?;
        let was_paused = status.state == State::Paused;
        let hard = timeout == 0 || matches!(status.state, State::Paused | State::Created | State::Stopping);
        status.state = State::Stopping;
        self.set_status(&c.id, status).await?;
        let runc = self.runc_for(c);
        let (id, signal) = (c.id.clone(), if hard { libc_sigkill() } else { c.stop_signal });
        // A signal to a process that is already gone fails; the exit file tells.
        let r = runc.clone();
        let _ = in_oci(move || r.kill(&id, signal, signal == libc_sigkill())).await;
        if was_paused {
            // A frozen cgroup (v1) holds the signal until it is thawed.
            let id = c.id.clone();
            let _ = in_oci(move || runc.resume(&id)).await;
        }
        Ok(hard)
    }

    /// Wait up to `timeout` for the container to end, then SIGKILL it and
    /// wait again; with its conmon gone, kill what is left and return.
    async fn wait_until_ended(&self, c: &ContainerConfig, timeout: u32) {
        let runc = self.runc_for(c);
        let end = self.wait_for_end(c, Duration::from_secs(timeout.into())).await;
        let end = if end == End::TimedOut {
            let (r, id) = (runc.clone(), c.id.clone());
            let _ = in_oci(move || r.kill(&id, libc_sigkill(), true)).await;
            self.wait_for_end(c, KILL_WAIT).await
        } else {
            end
        };
        if end == End::MonitorGone {
            // Nobody holds the container's processes: end them here, so
            // that the exit recorded next is true.
            let id = c.id.clone();
            let _ = blocking(move || {
                let _ = runc.kill(&id, libc_sigkill(), true);
                let deadline = std::time::Instant::now() + KILL_WAIT;
                while std::time::Instant::now() < deadline {
                    match runc.state(&id) {
                        Ok(Some(s)) if s.status != "stopped" => std::thread::sleep(POLL),
                        _ => break,
                    }
                }
                Ok(())
            })
            .await;
        }
    }

    /// Wait until conmon has written the exit file or is gone, or `timeout` passes.
    pub(super) async fn wait_for_end(&self, c: &ContainerConfig, timeout: Duration) -> End {
        let paths = self.oci_paths(&c.id);
        let conmon = conmon::of(&paths.conmon_pidfile(), &c.id);
        let mut exits = self.exits.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if paths.exit_file.exists() {
                return End::Exited;
            }
            let gone = match conmon {
                Conmon::Unknown => false,
                Conmon::Running(pid, start) => !conmon::still_runs(pid, start),
                Conmon::Gone => true,
            };
            if gone {
                // It may have written the file just before it ended.
                return if paths.exit_file.exists() { End::Exited } else { End::MonitorGone };
            }
            if tokio::time::Instant::now() >= deadline {
                return End::TimedOut;
            }
            // The watcher says when a file appears (and may have recorded
            // and deleted it by the time this looks); the poll covers a
            // missed one and a conmon that ended.
            if let Ok(Ok(id)) = tokio::time::timeout(POLL, exits.recv()).await {
                if id == c.id {
                    return End::Exited;
                }
            }
        }
    }
}

fn libc_sigkill() -> i32 {
    nix::sys::signal::Signal::SIGKILL as i32
}
