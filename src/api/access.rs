//! Who may call what, said once for both transports. Calls are named by
//! the varlink method they are (`io.berth.Container.Inspect`); each D-Bus
//! method names the varlink method it mirrors. A name in neither table
//! changes something.

use crate::runtime::Access;

/// The methods anyone who can reach the socket may call: summaries and
/// states. (A method in neither table needs Manage.)
const OPEN: &[&str] = &[
    "io.berth.Container.Exists",
    "io.berth.Container.LookupId",
    "io.berth.Container.LookupIds",
    "io.berth.Container.List",
    "io.berth.Container.Wait",
    "io.berth.Image.List",
    "io.berth.Image.ListMounted",
    "io.berth.Network.Exists",
    "io.berth.Network.List",
    "io.berth.Network.Inspect",
    "io.berth.Pod.Exists",
    "io.berth.Pod.List",
    "io.berth.Secret.Exists",
    "io.berth.Secret.List",
    "io.berth.Storage.ListExternal",
    "io.berth.Storage.IsMounted",
    "io.berth.Storage.ListMounted",
    "io.berth.System.Info",
    "io.berth.System.Events",
    "io.berth.Volume.Exists",
    "io.berth.Volume.List",
];

/// The methods that read configuration or output (a container's
/// environment, where secrets live; what it printed): `Access::Inspect`.
const INSPECT: &[&str] = &[
    "io.berth.Container.Inspect",
    "io.berth.Container.Top",
    "io.berth.Container.Logs",
    "io.berth.Container.Stats",
    "io.berth.Image.Inspect",
    "io.berth.Pod.Inspect",
    "io.berth.Secret.Inspect",
    "io.berth.Volume.Inspect",
];

/// What `method` needs beyond reaching an API: None when it is open.
pub fn required(method: &str) -> Option<Access> {
    if OPEN.contains(&method) {
        None
    } else if INSPECT.contains(&method) {
        Some(Access::Inspect)
    } else {
        Some(Access::Manage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `method` (`io.berth.Container.List`) is in the interface files.
    fn is_a_method(method: &str) -> bool {
        let files = [
            include_str!("../../interfaces/io.berth.Container.varlink"),
            include_str!("../../interfaces/io.berth.Pod.varlink"),
            include_str!("../../interfaces/io.berth.Volume.varlink"),
            include_str!("../../interfaces/io.berth.System.varlink"),
            include_str!("../../interfaces/io.berth.Image.varlink"),
            include_str!("../../interfaces/io.berth.Storage.varlink"),
            include_str!("../../interfaces/io.berth.Secret.varlink"),
            include_str!("../../interfaces/io.berth.Network.varlink"),
        ];
        let Some((interface, name)) = method.rsplit_once('.') else { return false };
        files
            .iter()
            .map(|f| varlink_parser::IDL::try_from(*f).unwrap())
            .any(|idl| idl.name == interface && idl.methods.contains_key(name))
    }

    /// A misspelt entry would make a read need authorization: each one must
    /// name a method of the interface files.
    #[test]
    fn open_and_inspect_methods_are_methods() {
        for method in OPEN.iter().chain(INSPECT) {
            assert!(is_a_method(method), "{method} is not a method");
        }
    }

    /// Each D-Bus method names the varlink method it mirrors; a misspelt
    /// name would need io.berth.manage. Every such name in the D-Bus
    /// sources must be a method.
    #[test]
    fn the_varlink_methods_d_bus_names_are_methods() {
        let sources = [include_str!("dbus/manager.rs"), include_str!("dbus/container.rs")];
        let mut named = 0;
        for source in sources {
            for quoted in source.split('"').skip(1).step_by(2).filter(|q| q.starts_with("io.berth.")) {
                if quoted.matches('.').count() == 3 && !quoted.contains(' ') && !quoted.starts_with("io.berth.Berth1") {
                    assert!(is_a_method(quoted), "{quoted} is not a varlink method");
                    named += 1;
                }
            }
        }
        assert!(named >= 30, "only {named} names found");
    }
}
