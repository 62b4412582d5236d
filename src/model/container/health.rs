//! Health checks, as libpod has them (healthcheck.go): a command run in
//! the running container every interval; a success makes it healthy, and
//! `retries` failures in a row (those in its start period aside) make it
//! unhealthy, which may kill, restart or stop it.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// How many results a container keeps (podman's MaxHealthCheckLogLength).
pub const KEPT_RESULTS: usize = 5;
/// How much of a check's output a result keeps.
pub const KEPT_OUTPUT: usize = 4096;

/// What an unhealthy container gets (podman's --health-on-failure).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthAction {
    #[default]
    None,
    Kill,
    Restart,
    Stop,
}

impl HealthAction {
    pub fn parse(name: &str) -> Result<HealthAction> {
        Ok(match name {
            "" | "none" => HealthAction::None,
            "kill" => HealthAction::Kill,
            "restart" => HealthAction::Restart,
            "stop" => HealthAction::Stop,
            other => {
                return Err(Error::invalid_argument(
                    "healthcheck.onFailure",
                    format!("{other:?} is not a health check action: none, kill, restart, stop"),
                ))
            }
        })
    }
}

/// A container's health check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthConfig {
    /// The command run in the container.
    pub command: Vec<String>,
    /// Seconds between checks, the most one may take, and before failures
    /// count.
    pub interval: u32,
    pub timeout: u32,
    pub retries: u32,
    pub start_period: u32,
    #[serde(default)]
    pub on_failure: HealthAction,
}

impl HealthConfig {
    /// A check from podman's test form (`CMD-SHELL cmd`, `CMD arg...`,
    /// `NONE`, or a plain command) and its settings, podman's defaults
    /// (30 s, 30 s, 3, 0) for those not given. None for NONE.
    pub fn from_test(
        test: &[String],
        interval: Option<u32>,
        timeout: Option<u32>,
        retries: Option<u32>,
        start_period: Option<u32>,
        on_failure: Option<&str>,
    ) -> Result<Option<HealthConfig>> {
        let command = match test.split_first() {
            Some((first, rest)) if first == "NONE" && rest.is_empty() => return Ok(None),
            Some((first, rest)) if first == "CMD-SHELL" && rest.len() == 1 => {
                vec!["/bin/sh".to_string(), "-c".to_string(), rest[0].clone()]
            }
            Some((first, rest)) if first == "CMD" && !rest.is_empty() => rest.to_vec(),
            Some((first, _)) if !first.is_empty() && first != "CMD" && first != "CMD-SHELL" => test.to_vec(),
            _ => {
                return Err(Error::invalid_argument(
                    "healthcheck.test",
                    format!("{test:?} is not a health check command"),
                ))
            }
        };
        let positive = |field: &str, v: Option<u32>, default: u32| match v {
            Some(0) => Err(Error::invalid_argument(field, "must be at least 1")),
            Some(v) => Ok(v),
            None => Ok(default),
        };
        Ok(Some(HealthConfig {
            command,
            interval: positive("healthcheck.interval", interval, 30)?,
            timeout: positive("healthcheck.timeout", timeout, 30)?,
            retries: positive("healthcheck.retries", retries, 3)?,
            start_period: start_period.unwrap_or(0),
            on_failure: HealthAction::parse(on_failure.unwrap_or(""))?,
        }))
    }
}

/// starting, healthy, unhealthy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    #[default]
    Starting,
    Healthy,
    Unhealthy,
}

impl HealthStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Starting => "starting",
            HealthStatus::Healthy => "healthy",
            HealthStatus::Unhealthy => "unhealthy",
        }
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthResult {
    /// Unix nanoseconds.
    pub start: i64,
    pub end: i64,
    pub exit_code: i32,
    pub output: String,
}

/// Where a container's health stands, kept with its record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthState {
    pub status: HealthStatus,
    pub failing_streak: u32,
    /// The latest results, oldest first.
    pub log: Vec<HealthResult>,
}

impl HealthState {
    /// Take a result in; `counts` is false in the start period, where a
    /// failure does not count. Returns whether the status changed.
    pub fn record(&mut self, mut result: HealthResult, retries: u32, counts: bool) -> bool {
        let before = self.status;
        if result.exit_code == 0 {
            self.failing_streak = 0;
            self.status = HealthStatus::Healthy;
        } else if counts {
            self.failing_streak += 1;
            if self.failing_streak >= retries {
                self.status = HealthStatus::Unhealthy;
            }
        }
        if result.output.len() > KEPT_OUTPUT {
            let mut cut = KEPT_OUTPUT;
            while !result.output.is_char_boundary(cut) {
                cut -= 1;
            }
            result.output.truncate(cut);
        }
        self.log.push(result);
        if self.log.len() > KEPT_RESULTS {
            self.log.remove(0);
        }
        self.status != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(exit_code: i32) -> HealthResult {
        HealthResult { start: 0, end: 1, exit_code, output: "x".repeat(5000) }
    }

    #[test]
    fn podmans_forms_and_rules() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let shell = HealthConfig::from_test(&s(&["CMD-SHELL", "curl -f x"]), None, None, None, None, None).unwrap();
        let shell = shell.unwrap();
        assert_eq!(shell.command, s(&["/bin/sh", "-c", "curl -f x"]));
        assert_eq!((shell.interval, shell.timeout, shell.retries, shell.start_period), (30, 30, 3, 0));
        let plain = HealthConfig::from_test(&s(&["CMD", "true"]), Some(1), None, Some(2), None, Some("kill"));
        assert_eq!(plain.unwrap().unwrap().on_failure, HealthAction::Kill);
        assert_eq!(HealthConfig::from_test(&s(&["NONE"]), None, None, None, None, None).unwrap(), None);
        assert!(HealthConfig::from_test(&s(&["CMD"]), None, None, None, None, None).is_err());
        assert!(HealthConfig::from_test(&s(&["true"]), Some(0), None, None, None, None).is_err());
        assert!(HealthConfig::from_test(&s(&["true"]), None, None, None, None, Some("explode")).is_err());

        let mut h = HealthState::default();
        assert!(!h.record(result(1), 2, false), "the start period does not count");
        assert_eq!((h.status, h.failing_streak), (HealthStatus::Starting, 0));
        assert!(!h.record(result(1), 2, true));
        assert!(h.record(result(1), 2, true));
        assert_eq!(h.status, HealthStatus::Unhealthy);
        assert!(h.record(result(0), 2, true));
        assert_eq!((h.status, h.failing_streak), (HealthStatus::Healthy, 0));
        for _ in 0..5 {
            h.record(result(0), 2, true);
        }
        assert_eq!(h.log.len(), KEPT_RESULTS);
        assert_eq!(h.log[0].output.len(), KEPT_OUTPUT);
    }
}
