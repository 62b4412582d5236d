//! io.berth.System: decode, call one runtime method, encode. Events streams
//! with `more` until the client hangs up.

use super::generated::system as vl;
use super::{answer, error_reply, Ctx};
use crate::events::{Event, EventFilters};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

const IFACE: &str = "io.berth.System";

/// How often a quiet event stream checks whether its client is still there.
const HANGUP_CHECK: Duration = Duration::from_millis(500);

pub struct SystemApi(pub Ctx);

fn event_to(e: &Event) -> vl::Event {
    vl::Event {
        time: crate::api::view::usec(e.time_nanos),
        r#type: e.kind.as_str().to_string(),
        action: e.action.clone(),
        id: e.id.clone(),
        name: e.name.clone(),
        attributes: e.attributes.clone().into_iter().collect(),
    }
}

impl vl::VarlinkInterface for SystemApi {
    fn info(&self, call: &mut dyn vl::Call_Info) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.info());
        answer(call, IFACE, r, |c, i| {
            c.reply(
                i.version.to_string(),
                i.root.display().to_string(),
                i.run_root.display().to_string(),
                i.cgroup_manager.to_string(),
                i.default_runtime,
                i.runtimes.into_iter().collect(),
                i.database_schema,
                i.containers,
                i.pods,
                i.volumes,
            )
        })
    }

    fn events(
        &self,
        call: &mut dyn vl::Call_Events,
        filters: Option<Vec<String>>,
        stream: Option<bool>,
    ) -> varlink::Result<()> {
        if !call.wants_more() {
            return call.reply_struct(varlink::Reply::error("org.varlink.service.ExpectedMore", None));
        }
        let filters = match EventFilters::parse(&filters.unwrap_or_default()) {
            Ok(f) => f,
            Err(e) => return call.reply_struct(error_reply(IFACE, &e)),
        };
        let stream = stream.unwrap_or(true);
        let (past, mut events) = self.0.runtime.events().subscribe_filtered(&filters, !stream);
        call.set_continues(true);
        for event in &past {
            call.reply(Some(event_to(event)))?;
        }
        let ended = || !stream || filters.until.is_some_and(|u| crate::events::now_nanos() > u);
        loop {
            if ended() {
                call.set_continues(false);
                return call.reply(None);
            }
            match self.0.run(async { tokio::time::timeout(HANGUP_CHECK, events.recv()).await }) {
                Ok(Ok(event)) if filters.matches(&event) => call.reply(Some(event_to(&event)))?,
                Ok(Ok(_)) => {}
                Ok(Err(RecvError::Lagged(n))) => tracing::warn!("an event stream fell behind and lost {n} events"),
                Ok(Err(RecvError::Closed)) => return Ok(()),
                Err(_quiet) if super::peer_gone() => return Ok(()),
                Err(_quiet) => {}
            }
        }
    }

    fn check(&self, call: &mut dyn vl::Call_Check, repair: Option<bool>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.check(repair.unwrap_or(false)));
        answer(call, IFACE, r, |c, problems| {
            c.reply(
                problems
                    .into_iter()
                    .map(|p| vl::Problem {
                        kind: p.kind.to_string(),
                        id: p.id,
                        description: p.description,
                        repaired: p.repaired,
                    })
                    .collect(),
            )
        })
    }

    fn prune(
        &self,
        call: &mut dyn vl::Call_Prune,
        volumes: Option<bool>,
        filters: Option<Vec<String>>,
        all: Option<bool>,
    ) -> varlink::Result<()> {
        let (volumes, all) = (volumes.unwrap_or(false), all.unwrap_or(false));
        let r = self.0.run(self.0.runtime.system_prune(volumes, all, &filters.unwrap_or_default()));
        answer(call, IFACE, r, |c, p| c.reply(p.containers, p.pods, p.volumes, p.images))
    }
}
