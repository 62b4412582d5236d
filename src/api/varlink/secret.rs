//! io.berth.Secret: decode, call one runtime method, encode.

use super::generated::secret as vl;
use super::{answer, Ctx};
use crate::model::secret::SecretInfo;

const IFACE: &str = "io.berth.Secret";

pub struct SecretApi(pub Ctx);

fn info_to(s: SecretInfo) -> vl::SecretInfo {
    vl::SecretInfo {
        id: s.id,
        name: s.name,
        labels: s.labels.into_iter().collect(),
        created: crate::api::view::usec(s.created_nanos),
        users: s.users,
    }
}

impl vl::VarlinkInterface for SecretApi {
    fn create(
        &self,
        call: &mut dyn vl::Call_Create,
        name: String,
        data: String,
        labels: Option<varlink::StringHashMap<String>>,
    ) -> varlink::Result<()> {
        let labels = labels.unwrap_or_default().into_iter().collect();
        let r = self.0.run(self.0.runtime.create_secret(&name, data.into_bytes(), labels));
        answer(call, IFACE, r, |c, id| c.reply(id))
    }

    fn exists(&self, call: &mut dyn vl::Call_Exists, name_or_id: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.secret_exists(&name_or_id));
        answer(call, IFACE, r, |c, e| c.reply(e))
    }

    fn inspect(&self, call: &mut dyn vl::Call_Inspect, name_or_id: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.inspect_secret(&name_or_id));
        answer(call, IFACE, r, |c, s| c.reply(info_to(s)))
    }

    fn list(&self, call: &mut dyn vl::Call_List, filters: Option<Vec<String>>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.list_secrets(&filters.unwrap_or_default()));
        answer(call, IFACE, r, |c, all| c.reply(all.into_iter().map(info_to).collect()))
    }

    fn remove(&self, call: &mut dyn vl::Call_Remove, name_or_id: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.remove_secret(&name_or_id));
        answer(call, IFACE, r, |c, id| c.reply(id))
    }
}
