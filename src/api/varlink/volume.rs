//! io.berth.Volume: decode, call one runtime method, encode.

use super::generated::volume as vl;
use super::{answer, Ctx};
use crate::model::volume::VolumeInfo;

const IFACE: &str = "io.berth.Volume";

pub struct VolumeApi(pub Ctx);

fn summary_to(v: VolumeInfo) -> vl::VolumeSummary {
    let c = v.config;
    vl::VolumeSummary {
        name: c.name,
        anonymous: c.anonymous,
        labels: c.labels.into_iter().collect(),
        created: crate::api::view::usec(c.created_nanos),
        mountpoint: c.mountpoint.display().to_string(),
        options: c.options.into_iter().collect(),
        users: v.users,
    }
}

impl vl::VarlinkInterface for VolumeApi {
    fn create(
        &self,
        call: &mut dyn vl::Call_Create,
        name: Option<String>,
        labels: Option<varlink::StringHashMap<String>>,
        options: Option<varlink::StringHashMap<String>>,
    ) -> varlink::Result<()> {
        let (labels, options) = (labels.unwrap_or_default(), options.unwrap_or_default());
        let create = self.0.runtime.create_volume(name, labels.into_iter().collect(), options.into_iter().collect());
        let r = self.0.run(create);
        answer(call, IFACE, r, |c, name| c.reply(name))
    }

    fn exists(&self, call: &mut dyn vl::Call_Exists, name: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.volume_exists(&name));
        answer(call, IFACE, r, |c, e| c.reply(e))
    }

    fn inspect(&self, call: &mut dyn vl::Call_Inspect, name: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.inspect_volume(&name));
        answer(call, IFACE, r, |c, v| c.reply(summary_to(v)))
    }

    fn list(&self, call: &mut dyn vl::Call_List, filters: Option<Vec<String>>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.list_volumes(&filters.unwrap_or_default()));
        answer(call, IFACE, r, |c, vols| c.reply(vols.into_iter().map(summary_to).collect()))
    }

    fn prune(&self, call: &mut dyn vl::Call_Prune, filters: Option<Vec<String>>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.prune_volumes(&filters.unwrap_or_default()));
        answer(call, IFACE, r, |c, reports| {
            c.reply(
                reports
                    .into_iter()
                    .map(|p| vl::VolumePruneReport { name: p.name, size: p.size as i64, error: p.error })
                    .collect(),
            )
        })
    }

    fn remove(&self, call: &mut dyn vl::Call_Remove, name: String, force: Option<bool>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.remove_volume(&name, force.unwrap_or(false)));
        answer(call, IFACE, r, |c, removed| c.reply(name.clone(), removed))
    }
}
