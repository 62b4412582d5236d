//! Introspection as sd-bus answers it: an object's own interfaces and the
//! names of its children. zbus's own answer nests the whole introspection
//! of every descendant, so the manager's carried each container's (some
//! 7 kB apiece): megabytes for a large catalogue, past the bus's limit on a
//! message, and deeper than busctl parses (it warns of signal arguments
//! "in" and fails its walk of the tree). The D-Bus specification allows
//! both. Only the nodes with children (the root, its path to the manager,
//! the manager and the container/, pod/... nodes) take this answer; a
//! leaf's own is flat already.

use super::manager::Manager;
use super::storage::Storage;
use super::{Ctx, MANAGER_PATH};
use std::collections::BTreeSet;
use std::fmt::Write;
use zbus::message::Header;
use zbus::names::InterfaceName;
use zbus::object_server::{Interface, ObjectServer};
use zbus::Connection;

const NAME: &str = "org.freedesktop.DBus.Introspectable";

const HEAD: &str = r#"<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
"#;

/// org.freedesktop.DBus.Peer, which zbus serves on every node but does not
/// export for others to describe.
const PEER: &str = r#"  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping">
    </method>
    <method name="GetMachineId">
      <arg type="s" direction="out"/>
    </method>
  </interface>
"#;

pub(crate) struct Introspection {
    ctx: Ctx,
}

#[zbus::interface(name = "org.freedesktop.DBus.Introspectable", introspection_docs = false)]
impl Introspection {
    async fn introspect(
        &self,
        #[zbus(object_server)] server: &ObjectServer,
        #[zbus(header)] header: Header<'_>,
    ) -> zbus::fdo::Result<String> {
        let path = header.path().map(|p| p.as_str()).unwrap_or("/");
        let mut xml = String::from(HEAD);
        if path == MANAGER_PATH {
            if let Ok(manager) = server.interface::<_, Manager>(MANAGER_PATH).await {
                manager.get().await.introspect_to_writer(&mut xml, 2);
            }
            if let Ok(storage) = server.interface::<_, Storage>(MANAGER_PATH).await {
                storage.get().await.introspect_to_writer(&mut xml, 2);
            }
        }
        self.introspect_to_writer(&mut xml, 2);
        if path == MANAGER_PATH {
            zbus::fdo::ObjectManager.introspect_to_writer(&mut xml, 2);
        }
        xml.push_str(PEER);
        zbus::fdo::Properties.introspect_to_writer(&mut xml, 2);
        for child in children(path, &self.ctx.object_paths()) {
            let _ = writeln!(xml, "  <node name=\"{child}\"/>");
        }
        xml.push_str("</node>\n");
        Ok(xml)
    }
}

/// The names of `parent`'s children among the objects at `paths` and the
/// nodes on their way.
fn children(parent: &str, paths: &[String]) -> BTreeSet<String> {
    let prefix = match parent {
        "/" => "/".to_string(),
        p => format!("{p}/"),
    };
    let below = paths.iter().filter_map(|p| p.strip_prefix(&prefix));
    below.filter_map(|rest| rest.split('/').next()).filter(|c| !c.is_empty()).map(str::to_string).collect()
}

/// Give the node at `path` this introspection in place of zbus's, unless
/// it has it; a node that has gone (its last child with it) is left alone.
/// Under the manager this is said as InterfacesRemoved and InterfacesAdded
/// of org.freedesktop.DBus.Introspectable on that node.
pub(crate) async fn flatten(ctx: &Ctx, conn: &Connection, path: &str) {
    let server = conn.object_server();
    if server.interface::<_, Introspection>(path).await.is_ok() {
        return;
    }
    let name = InterfaceName::from_static_str_unchecked(NAME);
    if let Ok(false) = server.remove_named(path, name).await {
        let _ = server.at(path, Introspection { ctx: ctx.clone() }).await;
    }
}

/// The node above an object's (container/, pod/, job/...).
pub(crate) fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("/", |(p, _)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_are_the_next_names_down_once_each() {
        let paths: Vec<String> = ["/io/berth/Berth1", "/io/berth/Berth1/container/a", "/io/berth/Berth1/container/b"]
            .iter()
            .chain(&["/io/berth/Berth1/volume/v", "/io/berth/Berth1x/other"])
            .map(|p| p.to_string())
            .collect();
        let names = |parent| children(parent, &paths).into_iter().collect::<Vec<_>>();
        assert_eq!(names("/"), ["io"]);
        assert_eq!(names("/io/berth"), ["Berth1", "Berth1x"]);
        assert_eq!(names("/io/berth/Berth1"), ["container", "volume"]);
        assert_eq!(names("/io/berth/Berth1/container"), ["a", "b"]);
        assert!(names("/io/berth/Berth1/container/a").is_empty());
        assert_eq!(parent("/io/berth/Berth1/container/a"), "/io/berth/Berth1/container");
    }
}
