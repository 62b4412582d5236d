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
            return Err(self.invalid(id, "running or paused containers cannot be removed without force"));
        }
        Ok(())
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
