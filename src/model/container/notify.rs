//! podman's `--sdnotify`: how the start of a container reaches the systemd
//! unit whose main process ran `berthctl run` (a `Type=notify` service).
//! berthd cannot say it: systemd takes a unit's notifications only from
//! its own processes (and its main PID). So the client in the unit sends
//! `MAINPID=` (conmon's, which then stands for the container) and, per
//! mode, `READY=1`; in `container` mode conmon relays what the program
//! inside sends to the socket berth mounts at /run/notify.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Where the relay's socket appears in the container, as podman's.
pub const CONTAINER_SOCKET: &str = "/run/notify/notify.sock";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SdNotifyMode {
    /// The program in the container says READY itself (podman's default).
    #[default]
    Container,
    /// READY once the container runs.
    Conmon,
    /// READY once its health check first passes.
    Healthy,
    /// Nothing is sent, and the container gets no socket.
    Ignore,
}

impl SdNotifyMode {
    pub const NAMES: [&'static str; 4] = ["container", "conmon", "healthy", "ignore"];

    pub fn parse(name: &str) -> Result<SdNotifyMode> {
        Ok(match name {
            "" | "container" => SdNotifyMode::Container,
            "conmon" => SdNotifyMode::Conmon,
            "healthy" => SdNotifyMode::Healthy,
            "ignore" => SdNotifyMode::Ignore,
            other => {
                return Err(Error::invalid_argument(
                    "sdNotifyMode",
                    format!("invalid sdnotify value {other:?}: must be {}", Self::NAMES.join(", ")),
                ))
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SdNotifyMode::Container => "container",
            SdNotifyMode::Conmon => "conmon",
            SdNotifyMode::Healthy => "healthy",
            SdNotifyMode::Ignore => "ignore",
        }
    }
}

/// The mode and the unit's socket as create is asked for them, checked as
/// libpod checks them.
pub fn check(mode: SdNotifyMode, socket: Option<&str>, has_healthcheck: bool) -> Result<()> {
    if let (SdNotifyMode::Ignore, Some(socket)) = (mode, socket) {
        return Err(Error::invalid_argument(
            "sdNotifySocket",
            format!("cannot set sd-notify socket {socket:?} with sd-notify mode \"ignore\""),
        ));
    }
    // conmon binds a path; systemd's own socket is one.
    if let Some(socket) = socket.filter(|s| !s.starts_with('/')) {
        return Err(Error::invalid_argument("sdNotifySocket", format!("{socket:?} is not an absolute path")));
    }
    if mode == SdNotifyMode::Healthy && !has_healthcheck {
        return Err(Error::invalid_argument(
            "sdNotifyMode",
            "sdnotify policy \"healthy\" requires a healthcheck to be set",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_are_checked_as_podman_checks_them() {
        assert_eq!(SdNotifyMode::parse("").unwrap(), SdNotifyMode::Container);
        for name in SdNotifyMode::NAMES {
            assert_eq!(SdNotifyMode::parse(name).unwrap().as_str(), name);
        }
        assert!(SdNotifyMode::parse("ready").unwrap_err().to_string().contains("invalid sdnotify value \"ready\""));
        assert!(check(SdNotifyMode::Ignore, Some("/run/systemd/notify"), false).is_err());
        assert!(check(SdNotifyMode::Conmon, Some("run/notify"), false).is_err());
        assert!(check(SdNotifyMode::Healthy, None, false).unwrap_err().to_string().contains("requires a healthcheck"));
        assert!(check(SdNotifyMode::Healthy, Some("/run/systemd/notify"), true).is_ok());
        assert!(check(SdNotifyMode::Container, None, false).is_ok());
    }
}
