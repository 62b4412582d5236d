//! What berth keeps: containers, pods, volumes, images and secrets, side by side, and
//! the one filter grammar their list calls share.

pub mod container;
pub mod exec;
pub mod filter;
pub mod image;
pub mod network;
pub mod pod;
pub mod secret;
pub mod volume;
