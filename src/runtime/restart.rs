//! Restart policies at work (model/container/restart.rs): a container that
//! exits on its own is started again when berthd records the exit, as its
//! policy says, whether berthd saw the exit or conmon's exit command woke
//! it for it. A user's stop or kill marks the container so that no policy
//! undoes it; a user's start clears the mark and the count.

use super::Runtime;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::model::container::restart::{should_restart, RestartPolicy, RestartState};
use crate::model::container::{ContainerConfig, State};

impl Runtime {
    /// A user stops or kills `id`: marked before the signal goes, so that
    /// the exit it causes is not restarted.
    pub(super) async fn mark_stopped_by_user(&self, id: &str) -> Result<()> {
        self.db
            .write(|tx| {
                let state = tx.restart_state(id)?.unwrap_or_default();
                tx.set_restart_state(id, RestartState { stopped_by_user: true, ..state })
            })
            .await
    }

    /// A user starts `id`: its policy counts from nothing again.
    pub(super) async fn reset_restarts(&self, id: &str) -> Result<()> {
        self.db.write(|tx| tx.set_restart_state(id, RestartState::default())).await
    }

    /// After an exit of `c` was recorded (no lock held): start it again
    /// if its policy says so. Whether it did.
    pub(super) async fn restart_by_policy(&self, c: &ContainerConfig, exit_code: i32) -> bool {
        if c.restart_policy == RestartPolicy::No {
            return false;
        }
        match self.restart_locked_if_due(&c.id, exit_code).await {
            Ok(restarted) => restarted,
            Err(e) => {
                tracing::warn!(id = c.id.as_str(), "restarting by the restart policy: {e}");
                false
            }
        }
    }

    async fn restart_locked_if_due(&self, id: &str, exit_code: i32) -> Result<bool> {
        let _lock = self.locks.lock(id).await;
        // What holds now decides: it may have been removed, started, or
        // given another policy meanwhile.
        let (config, status) = match self.load_container(id).await {
            Ok(found) => found,
            Err(Error::NoSuchContainer(_)) => return Ok(false),
            Err(e) => return Err(e),
        };
        let state = self.db.read(|tx| tx.restart_state(id)).await?.unwrap_or_default();
        if status.state != State::Exited
            || !should_restart(config.restart_policy, config.restart_retries, state, exit_code)
        {
            return Ok(false);
        }
        self.db.write(|tx| tx.set_restart_state(id, RestartState { count: state.count + 1, ..state })).await?;
        self.events.emit(Event::for_container("restart", &config));
        self.init_locked(&config).await?;
        self.start_locked(&config).await?;
        Ok(true)
    }
}
