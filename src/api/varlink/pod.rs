//! io.berth.Pod: decode, call one runtime method, encode.

use super::generated::pod as vl;
use super::{answer, Ctx};
use crate::api::request::{seconds, PodCreate};
use crate::api::view::{usec, PodView};
use crate::runtime::PodInfo;

const IFACE: &str = "io.berth.Pod";

pub struct PodApi(pub Ctx);

fn summary_to(p: PodInfo) -> vl::PodSummary {
    let c = p.config;
    vl::PodSummary {
        id: c.id,
        name: c.name,
        created: usec(c.created_nanos),
        labels: c.labels.into_iter().collect(),
        cgroupParent: c.cgroup_parent,
        shareCgroup: c.share_cgroup,
        infraId: c.infra_id,
        containers: p.containers,
    }
}

impl vl::VarlinkInterface for PodApi {
    fn create(
        &self,
        call: &mut dyn vl::Call_Create,
        name: Option<String>,
        labels: Option<varlink::StringHashMap<String>>,
        cgroup_parent: Option<String>,
        share_cgroup: Option<bool>,
        infra: Option<bool>,
        infra_name: Option<String>,
        share: Option<Vec<String>>,
        hostname: Option<String>,
        exit_policy: Option<String>,
        volumes: Option<Vec<vl::PodVolume>>,
        volumes_from: Option<Vec<String>>,
        devices: Option<Vec<String>>,
        sysctls: Option<varlink::StringHashMap<String>>,
        shm_size: Option<String>,
        infra_command: Option<Vec<String>>,
        infra_image: Option<String>,
        pid: Option<String>,
        uts: Option<String>,
        nano_cpus: Option<i64>,
        cpuset_cpus: Option<String>,
        seccomp_profile: Option<String>,
        network: Option<String>,
        networks: Option<Vec<String>>,
        network_aliases: Option<Vec<String>>,
        port_mappings: Option<Vec<vl::PortMapping>>,
        ip: Option<String>,
        mac_address: Option<String>,
        dns: Option<Vec<String>>,
        dns_search: Option<Vec<String>>,
        dns_options: Option<Vec<String>>,
        add_hosts: Option<Vec<String>>,
        no_hosts: Option<bool>,
    ) -> varlink::Result<()> {
        let labels = labels.map(|l| l.into_iter().collect());
        let volumes = match volumes.map(crate::api::request::from_wire).transpose() {
            Ok(v) => v,
            Err(e) => return answer(call, IFACE, Err::<(), _>(e), |_, _| Ok(())),
        };
        let create = PodCreate {
            name,
            labels,
            cgroup_parent,
            share_cgroup,
            infra,
            infra_name,
            share,
            hostname,
            exit_policy,
            volumes,
            volumes_from,
            devices,
            sysctls: sysctls.map(|s| s.into_iter().collect()),
            shm_size,
            infra_command,
            infra_image,
            pid,
            uts,
            nano_cpus,
            cpuset_cpus,
            seccomp_profile,
            network,
            networks,
            network_aliases,
            port_mappings: match port_mappings.map(crate::api::request::from_wire).transpose() {
                Ok(p) => p,
                Err(e) => return answer(call, IFACE, Err::<(), _>(e), |_, _| Ok(())),
            },
            ip,
            mac_address,
            resolution: crate::api::request::Resolution { dns, dns_search, dns_options, add_hosts, no_hosts },
        };
        let r = match create.into_spec() {
            Ok(spec) => self.0.run(self.0.runtime.create_pod(spec)),
            Err(e) => Err(e),
        };
        answer(call, IFACE, r, |c, (id, name)| c.reply(id, name))
    }

    fn exists(&self, call: &mut dyn vl::Call_Exists, name_or_id: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.pod_exists(&name_or_id));
        answer(call, IFACE, r, |c, e| c.reply(e))
    }

    fn inspect(&self, call: &mut dyn vl::Call_Inspect, name_or_id: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.inspect_pod(&name_or_id));
        answer(call, IFACE, r, |c, p| super::reply_object(c, "pod", PodView::of(&p)))
    }

    fn list(&self, call: &mut dyn vl::Call_List, filters: Option<Vec<String>>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.list_pods(&filters.unwrap_or_default()));
        answer(call, IFACE, r, |c, pods| c.reply(pods.into_iter().map(summary_to).collect()))
    }

    fn prune(&self, call: &mut dyn vl::Call_Prune, filters: Option<Vec<String>>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.prune_pods(&filters.unwrap_or_default()));
        answer(call, IFACE, r, |c, (pods, containers)| c.reply(pods, containers))
    }

    fn remove(
        &self,
        call: &mut dyn vl::Call_Remove,
        name_or_id: String,
        force: Option<bool>,
        timeout: Option<i64>,
    ) -> varlink::Result<()> {
        let r = self.0.run(async {
            self.0.runtime.remove_pod(&name_or_id, force.unwrap_or(false), seconds("timeout", timeout)?).await
        });
        answer(call, IFACE, r, |c, (id, removed)| c.reply(id, removed))
    }

    fn start(&self, call: &mut dyn vl::Call_Start, name_or_id: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.start_pod(&name_or_id));
        answer(call, IFACE, r, |c, (id, ids)| c.reply(id, ids))
    }

    fn stop(&self, call: &mut dyn vl::Call_Stop, name_or_id: String, timeout: Option<i64>) -> varlink::Result<()> {
        let r = self.0.run(async { self.0.runtime.stop_pod(&name_or_id, seconds("timeout", timeout)?).await });
        answer(call, IFACE, r, |c, (id, ids)| c.reply(id, ids))
    }

    fn kill(&self, call: &mut dyn vl::Call_Kill, name_or_id: String, signal: Option<String>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.kill_pod(&name_or_id, signal));
        answer(call, IFACE, r, |c, (id, ids)| c.reply(id, ids))
    }
}
