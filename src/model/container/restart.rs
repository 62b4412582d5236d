//! Restart policies, as libpod has them (container_internal.go's
//! shouldRestart): a container that exits on its own is started again by
//! `always` and `unless-stopped`, and by `on-failure` when it failed, at most
//! `retries` times in a row; one a user stopped or killed is left alone.
//! At boot `berth-restart.service` starts the `always` containers and the
//! `unless-stopped` ones no user stopped.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    #[default]
    No,
    OnFailure,
    Always,
    UnlessStopped,
}

impl RestartPolicy {
    pub const NAMES: [&'static str; 4] = ["no", "on-failure", "always", "unless-stopped"];

    /// A policy by podman's name ("" is "no"), or InvalidArgument naming it.
    pub fn parse(name: &str) -> Result<RestartPolicy> {
        Ok(match name {
            "" | "no" => RestartPolicy::No,
            "on-failure" => RestartPolicy::OnFailure,
            "always" => RestartPolicy::Always,
            "unless-stopped" => RestartPolicy::UnlessStopped,
            other => {
                return Err(Error::invalid_argument(
                    "restartPolicy",
                    format!("{other:?} is not a restart policy: {}", Self::NAMES.join(", ")),
                ))
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// Check `retries` (only on-failure counts them, as podman's rule).
    pub fn check_retries(self, retries: Option<u32>) -> Result<()> {
        match (self, retries) {
            (RestartPolicy::OnFailure, _) | (_, None) => Ok(()),
            (other, Some(_)) => Err(Error::invalid_argument(
                "restartRetries",
                format!("restart retries can only be given with on-failure, not {}", other.as_str()),
            )),
        }
    }
}

/// What a restart decision reads beside the policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestartState {
    /// Restarts by the policy since a user last started the container.
    pub count: u32,
    /// A user stopped or killed it since it was last started.
    pub stopped_by_user: bool,
}

/// Whether a container that exited with `exit_code` on its own is started
/// again.
pub fn should_restart(policy: RestartPolicy, retries: Option<u32>, state: RestartState, exit_code: i32) -> bool {
    if state.stopped_by_user {
        return false;
    }
    match policy {
        RestartPolicy::No => false,
        RestartPolicy::Always | RestartPolicy::UnlessStopped => true,
        // Without retries (or 0): no limit.
        RestartPolicy::OnFailure => exit_code != 0 && retries.is_none_or(|r| r == 0 || state.count < r),
    }
}

/// Whether `berth-restart.service` starts it at boot.
pub fn starts_at_boot(policy: RestartPolicy, state: RestartState) -> bool {
    match policy {
        RestartPolicy::Always => true,
        RestartPolicy::UnlessStopped => !state.stopped_by_user,
        RestartPolicy::No | RestartPolicy::OnFailure => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podmans_rules() {
        let fresh = RestartState::default();
        let by_user = RestartState { count: 0, stopped_by_user: true };
        for p in RestartPolicy::NAMES {
            assert_eq!(RestartPolicy::parse(p).unwrap().as_str(), p);
        }
        assert!(RestartPolicy::parse("sometimes").is_err());
        assert!(should_restart(RestartPolicy::Always, None, fresh, 0));
        assert!(!should_restart(RestartPolicy::Always, None, by_user, 137));
        assert!(!should_restart(RestartPolicy::OnFailure, None, fresh, 0));
        assert!(should_restart(RestartPolicy::OnFailure, Some(2), RestartState { count: 1, ..fresh }, 1));
        assert!(!should_restart(RestartPolicy::OnFailure, Some(2), RestartState { count: 2, ..fresh }, 1));
        assert!(should_restart(RestartPolicy::OnFailure, None, RestartState { count: 50, ..fresh }, 1));
        assert!(!should_restart(RestartPolicy::No, None, fresh, 1));
        assert!(starts_at_boot(RestartPolicy::Always, by_user));
        assert!(!starts_at_boot(RestartPolicy::UnlessStopped, by_user));
        assert!(starts_at_boot(RestartPolicy::UnlessStopped, fresh));
        assert!(RestartPolicy::Always.check_retries(Some(3)).is_err());
        assert!(RestartPolicy::OnFailure.check_retries(Some(3)).is_ok());
    }
}
