//! systemd integration: readiness and status notification, and the
//! transient units that hold containers, their conmon and pods, and
//! machined's record of running containers.

pub mod error;
pub mod journal;
pub mod machined;
pub mod manager;
pub mod notify;
pub mod polkit;
pub mod unit_names;
