//! The two transports, thin over `runtime::Runtime`: varlink (the socket
//! systemd activates) and D-Bus (io.berth.Berth1 on a bus).

pub mod access;
pub mod activity;
pub mod attach_stream;
pub mod dbus;
pub mod request;
pub mod schema;
pub mod varlink;
pub mod view;
