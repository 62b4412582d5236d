//! berth: a container engine that lives as a systemd service. This crate holds
//! the runtime (libpod's container runtime over SQLite), the varlink transport,
//! and a small client used by berthctl.

pub mod api;
pub mod client;
pub mod config;
pub mod db;
pub mod detach;
pub mod error;
pub mod events;
pub mod fault;
pub mod model;
pub mod names;
pub mod oci;
pub mod process;
pub mod rootless;
pub mod runtime;
pub mod storage;
pub mod systemd;
pub mod timestamp;
pub mod unit_file;
