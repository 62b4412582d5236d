//! Generates the varlink types and dispatch code from interfaces/*.varlink,
//! the source of truth for the varlink API.

fn main() {
    varlink_generator::cargo_build_many(&[
        "interfaces/io.berth.Container.varlink",
        "interfaces/io.berth.Pod.varlink",
        "interfaces/io.berth.Volume.varlink",
        "interfaces/io.berth.System.varlink",
        "interfaces/io.berth.Image.varlink",
        "interfaces/io.berth.Storage.varlink",
        "interfaces/io.berth.Secret.varlink",
        "interfaces/io.berth.Network.varlink",
    ]);
}
