//! Container states (libpod's words) and the one table of what each allows.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Configured,
    Created,
    Running,
    Paused,
    Stopping,
    Stopped,
    Exited,
    Removing,
}

impl State {
    pub const ALL: [State; 8] = [
        State::Configured,
        State::Created,
        State::Running,
        State::Paused,
        State::Stopping,
        State::Stopped,
        State::Exited,
        State::Removing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Configured => "configured",
            State::Created => "created",
            State::Running => "running",
            State::Paused => "paused",
            State::Stopping => "stopping",
            State::Stopped => "stopped",
            State::Exited => "exited",
            State::Removing => "removing",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Processes may exist: the container must be stopped before removal.
    pub fn has_processes(self) -> bool {
        matches!(self, State::Running | State::Paused | State::Stopping)
    }

    /// Remove is refused for running, paused or stopping containers unless
    /// forced (libpod's removeContainer).
    pub fn can_remove(self, id: &str, force: bool) -> Result<()> {
        if self.has_processes() && !force {
            // podman's words, which scripts match.
            let reason = format!(
                "cannot remove container {id} as it is {self} - running or paused containers cannot be removed without force"
            );
            return Err(self.invalid(id, &reason));
        }
        Ok(())
    }

    /// Init creates the container in the OCI runtime (libpod's `Init`).
    pub fn can_init(self, id: &str) -> Result<()> {
        self.require(
            id,
            &[State::Configured, State::Stopped, State::Exited],
            "only configured, stopped or exited containers can be initialized",
        )
    }

    /// Start runs it; a container that is not created yet is initialized first.
    pub fn can_start(self, id: &str) -> Result<()> {
        self.require(
            id,
            &[State::Configured, State::Created, State::Stopped, State::Exited],
            "only configured, created, stopped or exited containers can be started",
        )
    }

    /// Stop: created, running or already stopping containers. A paused one
    /// must be unpaused first (libpod refuses it too).
    pub fn can_stop(self, id: &str) -> Result<()> {
        self.require(
            id,
            &[State::Created, State::Running, State::Stopping],
            "only created or running containers can be stopped",
        )
    }

    /// Kill: a signal needs a process.
    pub fn can_kill(self, id: &str) -> Result<()> {
        self.require(
            id,
            &[State::Created, State::Running, State::Paused, State::Stopping],
            "only containers with processes can be signalled",
        )
    }

    pub fn can_pause(self, id: &str) -> Result<()> {
        self.require(id, &[State::Running], "only running containers can be paused")
    }

    pub fn can_unpause(self, id: &str) -> Result<()> {
        self.require(id, &[State::Paused], "only paused containers can be unpaused")
    }

    pub fn can_exec(self, id: &str) -> Result<()> {
        self.require(id, &[State::Running], "commands can only be executed in running containers")
    }

    /// Ok when the state is one of `allowed`, else InvalidState with `reason`.
    fn require(self, id: &str, allowed: &[State], reason: &str) -> Result<()> {
        if allowed.contains(&self) {
            Ok(())
        } else {
            Err(self.invalid(id, reason))
        }
    }

    /// Processes exist in the OCI runtime (or may: created has its init waiting).
    pub fn in_runtime(self) -> bool {
        matches!(self, State::Created | State::Running | State::Paused | State::Stopping)
    }

    /// Prune takes only containers with nothing running (libpod's PruneContainers).
    pub fn can_prune(self) -> bool {
        matches!(self, State::Configured | State::Created | State::Stopped | State::Exited)
    }

    /// The name `podman ps --filter status=` uses: configured shows as created.
    pub fn status_word(self) -> &'static str {
        match self {
            State::Configured => "created",
            other => other.as_str(),
        }
    }

    pub fn invalid(self, id: &str, reason: &str) -> Error {
        Error::InvalidState { id: id.to_string(), state: self.as_str().to_string(), reason: reason.to_string() }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_table() {
        for st in State::ALL {
            let refused = st.can_remove("c", false).is_err();
            assert_eq!(refused, matches!(st, State::Running | State::Paused | State::Stopping), "{st}");
            st.can_remove("c", true).unwrap();
        }
        match State::Running.can_remove("abc", false) {
            Err(Error::InvalidState { id, state, .. }) => assert_eq!((id.as_str(), state.as_str()), ("abc", "running")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lifecycle_table() {
        use State::*;
        let allowed = |f: fn(State, &str) -> Result<()>| -> Vec<State> {
            State::ALL.into_iter().filter(|s| f(*s, "c").is_ok()).collect()
        };
        assert_eq!(allowed(State::can_init), [Configured, Stopped, Exited]);
        assert_eq!(allowed(State::can_start), [Configured, Created, Stopped, Exited]);
        assert_eq!(allowed(State::can_stop), [Created, Running, Stopping]);
        assert_eq!(allowed(State::can_kill), [Created, Running, Paused, Stopping]);
        assert_eq!(allowed(State::can_pause), [Running]);
        assert_eq!(allowed(State::can_unpause), [Paused]);
        assert_eq!(allowed(State::can_exec), [Running]);
    }

    #[test]
    fn prune_table() {
        let prunable: Vec<_> = State::ALL.into_iter().filter(|s| s.can_prune()).collect();
        assert_eq!(prunable, [State::Configured, State::Created, State::Stopped, State::Exited]);
    }

    #[test]
    fn words_round_trip() {
        for st in State::ALL {
            assert_eq!(State::parse(st.as_str()), Some(st));
        }
        assert_eq!(State::parse("bogus"), None);
    }
}
