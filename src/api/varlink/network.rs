//! io.berth.Network: decode, call one runtime method, encode.

use super::generated::network as vl;
use super::{answer, Ctx};
use crate::model::network::NetworkInfo;
use crate::runtime::NetworkSpec;

const IFACE: &str = "io.berth.Network";

pub struct NetworkApi(pub Ctx);

fn summary_to(n: NetworkInfo) -> vl::NetworkSummary {
    let c = n.config;
    vl::NetworkSummary {
        name: c.name,
        id: c.id,
        driver: c.driver,
        interface: c.interface,
        subnet: c.subnet,
        gateway: c.gateway,
        internal: c.internal,
        dnsEnabled: c.dns_enabled,
        labels: c.labels.into_iter().collect(),
        created: crate::api::view::usec(c.created_nanos),
        containers: n.users,
    }
}

impl vl::VarlinkInterface for NetworkApi {
    #[allow(clippy::too_many_arguments)] // the interface's parameters, one each
    fn create(
        &self,
        call: &mut dyn vl::Call_Create,
        name: Option<String>,
        driver: Option<String>,
        subnet: Option<String>,
        gateway: Option<String>,
        internal: Option<bool>,
        dns_enabled: Option<bool>,
        labels: Option<varlink::StringHashMap<String>>,
    ) -> varlink::Result<()> {
        let labels = labels.unwrap_or_default().into_iter().collect();
        let spec =
            NetworkSpec { name, driver, subnet, gateway, internal: internal.unwrap_or(false), dns_enabled, labels };
        let r = self.0.run(self.0.runtime.create_network(spec));
        answer(call, IFACE, r, |c, name| c.reply(name))
    }

    fn inspect(&self, call: &mut dyn vl::Call_Inspect, name: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.inspect_network(&name));
        answer(call, IFACE, r, |c, n| c.reply(summary_to(n)))
    }

    fn exists(&self, call: &mut dyn vl::Call_Exists, name: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.network_exists(&name));
        answer(call, IFACE, r, |c, e| c.reply(e))
    }

    fn list(&self, call: &mut dyn vl::Call_List, filters: Option<Vec<String>>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.list_networks(&filters.unwrap_or_default()));
        answer(call, IFACE, r, |c, list| c.reply(list.into_iter().map(summary_to).collect()))
    }

    fn remove(&self, call: &mut dyn vl::Call_Remove, name: String, force: Option<bool>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.remove_network(&name, force.unwrap_or(false)));
        answer(call, IFACE, r, |c, (name, removed)| c.reply(name, removed))
    }

    fn connect(
        &self,
        call: &mut dyn vl::Call_Connect,
        name: String,
        container: String,
        aliases: Option<Vec<String>>,
    ) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.connect_network(&name, &container, aliases.unwrap_or_default()));
        answer(call, IFACE, r, |c, ()| c.reply())
    }

    fn disconnect(
        &self,
        call: &mut dyn vl::Call_Disconnect,
        name: String,
        container: String,
        force: Option<bool>,
    ) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.disconnect_network(&name, &container, force.unwrap_or(false)));
        answer(call, IFACE, r, |c, ()| c.reply())
    }

    fn prune(&self, call: &mut dyn vl::Call_Prune, filters: Option<Vec<String>>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.prune_networks(&filters.unwrap_or_default()));
        answer(call, IFACE, r, |c, names| c.reply(names))
    }
}
