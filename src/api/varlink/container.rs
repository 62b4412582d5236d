//! io.berth.Container: decode, call one runtime method, encode.

use super::generated::container as vl;
use super::{answer, Ctx, Hangup};
use crate::api::request::{self, seconds};
use crate::api::view::{usec, ContainerView};
use crate::model::container::{State, Summary};
use crate::runtime::{Attached, LogLine, OutputStream, Removal};

const IFACE: &str = "io.berth.Container";

pub struct ContainerApi(pub Ctx);

pub(super) fn summary_to(s: Summary) -> vl::ContainerSummary {
    vl::ContainerSummary {
        id: s.id,
        name: s.name,
        image: s.image,
        imageId: s.image_id,
        command: s.command,
        state: s.state.as_str().to_string(),
        created: usec(s.created_nanos),
        startedAt: s.started_nanos.map(usec),
        finishedAt: s.finished_nanos.map(usec),
        exitCode: s.exit_code.map(i64::from),
        pod: s.pod_id,
        podName: s.pod_name,
        labels: s.labels.into_iter().collect(),
        isInfra: s.is_infra,
        ports: s
            .ports
            .into_iter()
            .map(|p| vl::PortMapping {
                hostIp: Some(p.host_ip).filter(|ip| !ip.is_empty()),
                hostPort: p.host_port.into(),
                containerPort: p.container_port.into(),
                protocol: Some(p.protocol),
                range: Some(p.range.into()),
            })
            .collect(),
        networks: s.networks,
        health: s.health,
        rwSize: None,
        rootFsSize: None,
    }
}

/// The last reply of a wait: the state it ended in and the exit code.
fn waited<C: vl::Call_Wait + ?Sized>(call: &mut C, (state, code): (State, i32)) -> varlink::Result<()> {
    call.reply(state.as_str().into(), Some(code.into()))
}

impl vl::VarlinkInterface for ContainerApi {
    fn create(&self, call: &mut dyn vl::Call_Create, options: vl::CreateOptions) -> varlink::Result<()> {
        let r = self.0.run(async {
            self.0.runtime.create_container(request::from_wire::<request::CreateOptions>(options)?.into_spec()?).await
        });
        answer(call, IFACE, r, |c, (id, name)| c.reply(id, name))
    }

    fn evict(&self, call: &mut dyn vl::Call_Evict, name_or_id: String, volumes: Option<bool>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.evict_container(&name_or_id, volumes.unwrap_or(false)));
        answer(call, IFACE, r, |c, id| c.reply(id))
    }

    fn exists(&self, call: &mut dyn vl::Call_Exists, name_or_id: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.container_exists(&name_or_id));
        answer(call, IFACE, r, |c, e| c.reply(e))
    }

    fn inspect(&self, call: &mut dyn vl::Call_Inspect, name_or_id: String, size: Option<bool>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.inspect_container(&name_or_id, size.unwrap_or(false)));
        answer(call, IFACE, r, |c, i| super::reply_object(c, "container", ContainerView::of(&i)))
    }

    fn list(
        &self,
        call: &mut dyn vl::Call_List,
        all: Option<bool>,
        filters: Option<Vec<String>>,
        latest: Option<bool>,
        size: Option<bool>,
    ) -> varlink::Result<()> {
        let filters = filters.unwrap_or_default();
        let r = self.0.run(async {
            let list = self.0.runtime.list_containers(all.unwrap_or(false), &filters, latest.unwrap_or(false)).await?;
            let mut out: Vec<vl::ContainerSummary> = Vec::with_capacity(list.len());
            for s in list {
                let sizes = if size == Some(true) { Some(self.0.runtime.container_sizes(&s.id).await?) } else { None };
                let mut summary = summary_to(s);
                summary.rwSize = sizes.map(|(rw, _)| rw as i64);
                summary.rootFsSize = sizes.map(|(_, root)| root as i64);
                out.push(summary);
            }
            Ok(out)
        });
        answer(call, IFACE, r, |c, list| c.reply(list))
    }

    fn lookup_id(&self, call: &mut dyn vl::Call_LookupId, name_or_id: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.lookup_container_id(&name_or_id));
        answer(call, IFACE, r, |c, id| c.reply(id))
    }

    fn lookup_ids(&self, call: &mut dyn vl::Call_LookupIds, names_or_ids: Vec<String>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.lookup_container_ids(names_or_ids));
        answer(call, IFACE, r, |c, ids| c.reply(ids))
    }

    fn prune(&self, call: &mut dyn vl::Call_Prune, filters: Option<Vec<String>>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.prune_containers(&filters.unwrap_or_default()));
        answer(call, IFACE, r, |c, reports| {
            c.reply(
                reports
                    .into_iter()
                    .map(|p| vl::PruneReport { id: p.id, size: p.size as i64, error: p.error })
                    .collect(),
            )
        })
    }

    fn remove(
        &self,
        call: &mut dyn vl::Call_Remove,
        name_or_id: String,
        force: Option<bool>,
        volumes: Option<bool>,
        timeout: Option<i64>,
        depend: Option<bool>,
    ) -> varlink::Result<()> {
        let r = self.0.run(async {
            let how = Removal {
                force: force.unwrap_or(false),
                volumes: volumes.unwrap_or(false),
                timeout: seconds("timeout", timeout)?,
                depend: depend.unwrap_or(false),
            };
            self.0.runtime.remove_container(&name_or_id, how).await
        });
        answer(call, IFACE, r, |c, removed| c.reply(removed.last().cloned().unwrap_or_default(), removed))
    }

    fn rename(&self, call: &mut dyn vl::Call_Rename, name_or_id: String, new_name: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.rename_container(&name_or_id, &new_name));
        answer(call, IFACE, r, |c, (id, name)| c.reply(id, name))
    }

    fn init(&self, call: &mut dyn vl::Call_Init, name_or_id: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.init_container(&name_or_id));
        answer(call, IFACE, r, |c, id| c.reply(id))
    }

    fn start(&self, call: &mut dyn vl::Call_Start, name_or_id: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.start_container(&name_or_id));
        answer(call, IFACE, r, |c, id| c.reply(id))
    }

    fn stop(&self, call: &mut dyn vl::Call_Stop, name_or_id: String, timeout: Option<i64>) -> varlink::Result<()> {
        let r = self.0.run(async { self.0.runtime.stop_container(&name_or_id, seconds("timeout", timeout)?).await });
        answer(call, IFACE, r, |c, id| c.reply(id))
    }

    fn kill(&self, call: &mut dyn vl::Call_Kill, name_or_id: String, signal: Option<String>) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.kill_container(&name_or_id, signal.as_deref()));
        answer(call, IFACE, r, |c, id| c.reply(id))
    }

    fn pause(&self, call: &mut dyn vl::Call_Pause, name_or_id: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.pause_container(&name_or_id));
        answer(call, IFACE, r, |c, id| c.reply(id))
    }

    fn unpause(&self, call: &mut dyn vl::Call_Unpause, name_or_id: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.unpause_container(&name_or_id));
        answer(call, IFACE, r, |c, id| c.reply(id))
    }

    fn restart(
        &self,
        call: &mut dyn vl::Call_Restart,
        name_or_id: String,
        timeout: Option<i64>,
    ) -> varlink::Result<()> {
        let r = self.0.run(async { self.0.runtime.restart_container(&name_or_id, seconds("timeout", timeout)?).await });
        answer(call, IFACE, r, |c, id| c.reply(id))
    }

    fn wait(&self, call: &mut dyn vl::Call_Wait, name_or_id: String) -> varlink::Result<()> {
        if !call.wants_more() {
            let r = self.0.run(self.0.runtime.watch_container(&name_or_id, None));
            return answer(call, IFACE, r, waited);
        }
        let runtime = self.0.runtime.clone();
        let work = move |tx| async move { runtime.watch_container(&name_or_id, Some(tx)).await };
        let r = self.0.stream(call, work, Hangup::Abort, |c, state: State| c.reply(state.as_str().into(), None))?;
        answer(call, IFACE, r, waited)
    }

    #[allow(clippy::too_many_arguments)]
    fn logs(
        &self,
        call: &mut dyn vl::Call_Logs,
        name_or_id: String,
        follow: Option<bool>,
        tail: Option<i64>,
        since: Option<String>,
        until: Option<String>,
        timestamps: Option<bool>,
    ) -> varlink::Result<()> {
        let follow = follow.unwrap_or(false);
        if follow && !call.wants_more() {
            return call.reply_struct(varlink::Reply::error("org.varlink.service.ExpectedMore", None));
        }
        let now = crate::events::now_nanos();
        let options = request::log_options(tail, since.as_deref(), until.as_deref(), now);
        let found = match options {
            Ok(options) => self.0.run(self.0.runtime.container_logs(&name_or_id, options)).map(|r| (r, options)),
            Err(e) => Err(e),
        };
        let ((id, lines, position), options) = match found {
            Ok(found) => found,
            Err(e) => return call.reply_struct(super::error_reply(IFACE, &e)),
        };
        let to = |lines: Vec<LogLine>| lines.into_iter().map(|l| line_to(l, timestamps.unwrap_or(false))).collect();
        if !follow {
            return call.reply(to(lines));
        }
        call.set_continues(true);
        call.reply(to(lines))?;
        // Inside the tokio runtime: the follow runs as a task there.
        let mut batches = self.0.run(async { self.0.runtime.follow_logs(id, position, options) });
        loop {
            match self.0.run(async { tokio::time::timeout(HANGUP_CHECK, batches.recv()).await }) {
                Ok(Some(lines)) => call.reply(to(lines))?,
                Ok(None) => {
                    call.set_continues(false);
                    return call.reply(Vec::new());
                }
                Err(_quiet) if super::peer_gone() => return Ok(()),
                Err(_quiet) => {}
            }
        }
    }

    fn top(
        &self,
        call: &mut dyn vl::Call_Top,
        name_or_id: String,
        descriptors: Option<Vec<String>>,
    ) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.top_container(&name_or_id, &descriptors.unwrap_or_default()));
        answer(call, IFACE, r, |c, (titles, processes)| c.reply(titles, processes))
    }

    /// Reached only without the upgrade flag (see `attach_upgraded`).
    fn attach(
        &self,
        call: &mut dyn vl::Call_Attach,
        _name_or_id: String,
        _stdin: Option<bool>,
        _detach_keys: Option<String>,
    ) -> varlink::Result<()> {
        call.reply_struct(super::error_reply(IFACE, &needs_upgrade("Attach")))
    }

    #[allow(clippy::too_many_arguments)] // the interface's parameters
    fn stats(
        &self,
        call: &mut dyn vl::Call_Stats,
        names_or_ids: Option<Vec<String>>,
        interval: Option<i64>,
    ) -> varlink::Result<()> {
        let names = names_or_ids.unwrap_or_default();
        if !call.wants_more() {
            let r = self.0.run(self.0.runtime.container_stats(&names));
            return answer(call, IFACE, r, |c, stats| c.reply(stats.into_iter().map(stats_to).collect()));
        }
        let interval = match interval {
            None => std::time::Duration::from_secs(1),
            Some(s) if s > 0 => std::time::Duration::from_secs(s as u64),
            Some(s) => {
                let e = crate::error::Error::invalid_argument("interval", format!("{s}: a number of seconds above 0"));
                return call.reply_struct(super::error_reply(IFACE, &e));
            }
        };
        let runtime = self.0.runtime.clone();
        let work = |tx: tokio::sync::mpsc::UnboundedSender<Vec<crate::runtime::ContainerStats>>| async move {
            loop {
                let stats = runtime.container_stats(&names).await?;
                if stats.is_empty() || tx.send(stats).is_err() {
                    return Ok(());
                }
                tokio::time::sleep(interval).await;
            }
        };
        let ended =
            self.0.stream(call, work, Hangup::Abort, |c, stats| c.reply(stats.into_iter().map(stats_to).collect()))?;
        answer(call, IFACE, ended, |c, ()| c.reply(Vec::new()))
    }

    fn healthcheck(&self, call: &mut dyn vl::Call_Healthcheck, name_or_id: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.run_healthcheck(&name_or_id));
        answer(call, IFACE, r, |c, status| c.reply(status.as_str().into()))
    }

    fn update(
        &self,
        call: &mut dyn vl::Call_Update,
        name_or_id: String,
        resources: Option<vl::Resources>,
        restart_policy: Option<String>,
        restart_retries: Option<i64>,
    ) -> varlink::Result<()> {
        let update = async {
            let wire = serde_json::json!({
                "resources": resources, "restartPolicy": restart_policy, "restartRetries": restart_retries,
            });
            let update = request::from_wire::<request::UpdateOptions>(wire)?.into_update()?;
            self.0.runtime.update_container(&name_or_id, update).await
        };
        answer(call, IFACE, self.0.run(update), |c, id| c.reply(id))
    }

    fn exec_create(
        &self,
        call: &mut dyn vl::Call_ExecCreate,
        name_or_id: String,
        command: Vec<String>,
        env: Option<varlink::StringHashMap<String>>,
        user: Option<String>,
        work_dir: Option<String>,
        terminal: Option<bool>,
        stdin: Option<bool>,
        detach_keys: Option<String>,
    ) -> varlink::Result<()> {
        let config = crate::model::exec::ExecConfig {
            command,
            env: env.unwrap_or_default().into_iter().collect(),
            user,
            work_dir,
            terminal: terminal.unwrap_or(false),
            stdin: stdin.unwrap_or(false),
            detach_keys,
        };
        let r = self.0.run(self.0.runtime.exec_create(&name_or_id, config));
        answer(call, IFACE, r, |c, id| c.reply(id))
    }

    /// Without the upgrade flag: a detached start (see `exec_start_upgraded`).
    fn exec_start(&self, call: &mut dyn vl::Call_ExecStart, exec_id: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.exec_start(&exec_id));
        answer(call, IFACE, r, |c, session| c.reply(exec_session_to(session)))
    }

    fn exec_inspect(&self, call: &mut dyn vl::Call_ExecInspect, exec_id: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.exec_inspect(&exec_id));
        answer(call, IFACE, r, |c, session| c.reply(exec_session_to(session)))
    }

    fn exec_resize(
        &self,
        call: &mut dyn vl::Call_ExecResize,
        exec_id: String,
        height: i64,
        width: i64,
    ) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.exec_resize(&exec_id, height, width));
        answer(call, IFACE, r, |c, id| c.reply(id))
    }

    fn exec_remove(&self, call: &mut dyn vl::Call_ExecRemove, exec_id: String) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.exec_remove(&exec_id));
        answer(call, IFACE, r, |c, id| c.reply(id))
    }

    fn resize(
        &self,
        call: &mut dyn vl::Call_Resize,
        name_or_id: String,
        height: i64,
        width: i64,
    ) -> varlink::Result<()> {
        let r = self.0.run(self.0.runtime.resize_container(&name_or_id, height, width));
        answer(call, IFACE, r, |c, id| c.reply(id))
    }

    fn exec(
        &self,
        call: &mut dyn vl::Call_Exec,
        name_or_id: String,
        command: Vec<String>,
        env: Option<varlink::StringHashMap<String>>,
        user: Option<String>,
        work_dir: Option<String>,
    ) -> varlink::Result<()> {
        let exec = crate::model::exec::ExecConfig {
            command,
            env: env.unwrap_or_default().into_iter().collect(),
            user,
            work_dir,
            ..Default::default()
        };
        if !call.wants_more() {
            let r = self.0.run(self.0.runtime.exec_collected(&name_or_id, exec, None));
            return answer(call, IFACE, r, |c, e| c.reply(e.id, e.exit_code.into(), e.stdout, e.stderr));
        }
        // With `more`: the output as it comes, the exit code last. A client
        // that hangs up stops hearing; the command runs to its end.
        let session = crate::names::new_id();
        let (runtime, id) = (self.0.runtime.clone(), session.clone());
        let work = |tx| async move { runtime.exec_container(&name_or_id, exec, &id, tx).await };
        let mut pending = OutputText::default();
        let ran = self.0.stream(call, work, Hangup::Finish, |c, (stream, bytes)| {
            let (stdout, stderr) = pending.take(stream, bytes);
            c.reply(session.clone(), RUNNING, stdout, stderr)
        })?;
        let (stdout, stderr) = pending.rest();
        answer(call, IFACE, ran, |c, code| c.reply(session, code.into(), stdout, stderr))
    }
}

fn stats_to(s: crate::runtime::ContainerStats) -> vl::ContainerStats {
    let int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    vl::ContainerStats {
        id: s.id,
        name: s.name,
        time: usec(s.time),
        cpuNanos: int(s.cpu_nanos),
        memoryBytes: int(s.memory_bytes),
        memoryLimit: int(s.memory_limit),
        pids: int(s.pids),
        blockRead: int(s.block_read),
        blockWrite: int(s.block_write),
        netRx: int(s.net_rx),
        netTx: int(s.net_tx),
    }
}

/// The exit code of a streamed Exec's replies before its last.
const RUNNING: i64 = -1;

/// Streamed output as text: bytes up to the last whole UTF-8 character go
/// out, the start of a character split between reads waits for its rest.
#[derive(Default)]
struct OutputText {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl OutputText {
    /// `bytes` added to `stream`'s: the text of each stream that is whole.
    fn take(&mut self, stream: OutputStream, bytes: Vec<u8>) -> (String, String) {
        match stream {
            OutputStream::Stdout => self.stdout.extend(bytes),
            OutputStream::Stderr => self.stderr.extend(bytes),
        }
        (whole_text(&mut self.stdout), whole_text(&mut self.stderr))
    }

    /// What is left once the output has ended.
    fn rest(self) -> (String, String) {
        let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
        (text(self.stdout), text(self.stderr))
    }
}

/// The text of `pending` up to an unfinished UTF-8 character at its end,
/// which stays in `pending`.
fn whole_text(pending: &mut Vec<u8>) -> String {
    let mut cut = pending.len();
    for back in 1..=pending.len().min(3) {
        let byte = pending[pending.len() - back];
        if byte & 0xC0 == 0x80 {
            continue;
        }
        let needs = match byte {
            0xF0..=0xF4 => 4,
            0xE0..=0xEF => 3,
            0xC2..=0xDF => 2,
            // ASCII, or a byte no character starts with: as it is.
            _ => 1,
        };
        if needs > back {
            cut = pending.len() - back;
        }
        break;
    }
    let rest = pending.split_off(cut);
    String::from_utf8_lossy(&std::mem::replace(pending, rest)).into_owned()
}

/// How often a quiet followed log checks whether its client is still there.
const HANGUP_CHECK: std::time::Duration = std::time::Duration::from_millis(500);

fn line_to(l: LogLine, timestamps: bool) -> vl::LogLine {
    let text = if timestamps { format!("{} {}", l.time, l.text) } else { l.text };
    vl::LogLine { time: l.time, stream: l.stream, text }
}

/// A stream's method called without varlink's upgrade flag.
fn needs_upgrade(method: &str) -> crate::error::Error {
    crate::error::Error::invalid_argument(
        "upgrade",
        format!("{method} carries a stream: call it with varlink's upgrade flag"),
    )
}

/// Attach with upgrade: the reply, then the stream (api/attach_stream.rs).
pub(super) fn attach_upgraded(
    ctx: &Ctx,
    call: &mut varlink::Call,
    parameters: serde_json::Value,
) -> varlink::Result<Option<super::Upgraded>> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Args {
        name_or_id: String,
        stdin: Option<bool>,
        detach_keys: Option<String>,
    }
    use varlink::CallTrait as _;
    // The parameters were checked against the interface already.
    let args: Args = match serde_json::from_value(parameters) {
        Ok(args) => args,
        Err(e) => return call.reply_invalid_parameter(e.to_string()).map(|()| None),
    };
    let r = ctx.run(ctx.runtime.attach_container(
        &args.name_or_id,
        args.stdin.unwrap_or(false),
        args.detach_keys.as_deref(),
    ));
    let r = r.map(|a| (serde_json::json!({ "id": a.id, "terminal": a.terminal }), a));
    reply_then_stream(call, r)
}

/// An upgraded call's answer: on success its reply, then `attached`'s
/// stream on the connection; else the error.
fn reply_then_stream(
    call: &mut varlink::Call,
    result: crate::error::Result<(serde_json::Value, Attached)>,
) -> varlink::Result<Option<super::Upgraded>> {
    use varlink::CallTrait as _;
    match result {
        Ok((reply, attached)) => {
            call.reply_struct(varlink::Reply::parameters(Some(reply)))?;
            Ok(Some(Box::new(move |stream, early| crate::api::attach_stream::carry(stream, early, attached))))
        }
        Err(e) => call.reply_struct(super::error_reply(IFACE, &e)).map(|()| None),
    }
}

fn exec_session_to(s: crate::model::exec::ExecSession) -> vl::ExecSession {
    vl::ExecSession {
        id: s.id,
        containerId: s.container_id,
        command: s.config.command,
        state: s.state.as_str().into(),
        pid: s.pid,
        exitCode: s.exit_code.map(i64::from),
        terminal: s.config.terminal,
        stdin: s.config.stdin,
    }
}

/// ExecStart with upgrade: the process starts once conmon's attach socket
/// is connected; the reply, then the stream.
pub(super) fn exec_start_upgraded(
    ctx: &Ctx,
    call: &mut varlink::Call,
    parameters: serde_json::Value,
) -> varlink::Result<Option<super::Upgraded>> {
    use varlink::CallTrait as _;
    let Some(exec_id) = parameters["execId"].as_str() else {
        return call.reply_invalid_parameter("execId".into()).map(|()| None);
    };
    let r = ctx.run(ctx.runtime.exec_start_attached(exec_id));
    reply_then_stream(call, r.map(|(session, a)| (serde_json::json!({ "session": exec_session_to(session) }), a)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_character_split_between_reads_waits_for_its_rest() {
        let mut pending = "ab€".as_bytes().to_vec();
        pending.pop();
        assert_eq!(super::whole_text(&mut pending), "ab");
        assert_eq!(pending, [0xE2, 0x82]);
        pending.push(0xAC);
        assert_eq!(super::whole_text(&mut pending), "€");
        assert!(pending.is_empty());
        let mut invalid = vec![b'x', 0xFF];
        assert_eq!(super::whole_text(&mut invalid), "x\u{FFFD}");
    }
}
