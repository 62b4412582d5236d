//! systemd integration: readiness and status notification.

pub mod notify;
