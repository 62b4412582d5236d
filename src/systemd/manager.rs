//! The few org.freedesktop.systemd1.Manager calls berth makes, by hand over
//! zbus: transient scopes (a container, its conmon) and slices (a pod),
//! waiting for each job to finish (JobRemoved) so that a failed job is an
//! error the caller sees, and stopping them so that nothing is left behind.

use super::error::{Result, SystemdError};
use crate::model::container::Resources;
use futures_util::StreamExt;
use std::time::Duration;
use zbus::{OwnedObjectPath, Variant as Value};

const DEST: &str = "org.freedesktop.systemd1";
const PATH: &str = "/org/freedesktop/systemd1";
const MANAGER: &str = "org.freedesktop.systemd1.Manager";
/// The error systemd answers for a unit it has not loaded.
const NO_SUCH_UNIT: &str = "org.freedesktop.systemd1.NoSuchUnit";
/// How long a job may take before berth gives up waiting.
const JOB_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Systemd {
    conn: zbus::Connection,
}

/// A scope to start: its processes, where it goes, and its limits.
pub struct Scope<'a> {
    pub unit: String,
    pub slice: &'a str,
    pub description: String,
    pub pids: Vec<u32>,
    pub delegate: bool,
    pub resources: Option<&'a Resources>,
    /// The signal that stops it and the seconds before SIGKILL, when
    /// systemd stops the scope itself (machinectl terminate, systemctl
    /// stop): the container's own, as a stop by berth does.
    pub stop: Option<(i32, u32)>,
}

fn bus_error(what: &str, e: zbus::Error) -> SystemdError {
    SystemdError::bus(what, e)
}

impl Systemd {
    /// Connect to the system bus (DBUS_SYSTEM_BUS_ADDRESS, else the default
    /// socket), or for a user's berthd to the user's session bus and so
    /// their own manager, and subscribe to the manager's job signals.
    pub async fn connect() -> Result<Systemd> {
        let (builder, bus) = match crate::rootless::owner() {
            Some(_) => (zbus::connection::Builder::session(), "connecting to the user's session bus"),
            None => (zbus::connection::Builder::system(), "connecting to the system bus"),
        };
        let conn = crate::rootless::bus_builder(builder).build().await.map_err(|e| bus_error(bus, e))?;
        let systemd = Systemd { conn };
        systemd.call("Subscribe", &()).await?;
        Ok(systemd)
    }

    /// The bus connection, for the other services berth calls (machined).
    pub(super) fn connection(&self) -> &zbus::Connection {
        &self.conn
    }

    async fn call<B>(&self, method: &str, body: &B) -> Result<zbus::Message>
    where
        B: serde::Serialize + zbus::zvariant::DynamicType,
    {
        self.request(method, body).await.map_err(|e| bus_error(method, e))
    }

    /// The manager's `method`, not yet sent: `job` sends it once it listens.
    fn request<'a, B>(
        &'a self,
        method: &'a str,
        body: &'a B,
    ) -> impl std::future::Future<Output = zbus::Result<zbus::Message>> + 'a
    where
        B: serde::Serialize + zbus::zvariant::DynamicType,
    {
        self.conn.call_method(Some(DEST), PATH, Some(MANAGER), method, body)
    }

    /// Send `start`, which returns a job, and wait for that job's result.
    /// With `missing_is_done`, a unit systemd has not loaded (its error
    /// name says so: no message text is read) needs no job.
    async fn job(
        &self,
        unit: &str,
        start: impl std::future::Future<Output = zbus::Result<zbus::Message>>,
        missing_is_done: bool,
    ) -> Result<()> {
        let rule = zbus::MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .interface(MANAGER)
            .member("JobRemoved")
            .build()
            .map_err(|e| bus_error("JobRemoved rule", e))?;
        // Listening before the call: the job may end before its reply arrives.
        let mut removed = zbus::MessageStream::for_match_rule(rule, &self.conn, None)
            .await
            .map_err(|e| bus_error("listening for JobRemoved", e))?;
        let reply = match start.await {
            Err(zbus::Error::MethodError(name, _, _)) if missing_is_done && name.as_str() == NO_SUCH_UNIT => {
                return Ok(())
            }
            reply => reply.map_err(|e| bus_error(&format!("the job for {unit}"), e))?,
        };
        let job: OwnedObjectPath = reply.body().deserialize().map_err(|e| bus_error("reading the job path", e))?;
        let wait = async {
            while let Some(Ok(msg)) = removed.next().await {
                let Ok((_, path, _, result)) = msg.body().deserialize::<(u32, OwnedObjectPath, String, String)>()
                else {
                    continue;
                };
                if path == job {
                    return Ok(result);
                }
            }
            Err(SystemdError::BusClosed)
        };
        let result = tokio::time::timeout(JOB_TIMEOUT, wait)
            .await
            .map_err(|_| SystemdError::JobTimedOut { unit: unit.to_string(), after: JOB_TIMEOUT })??;
        match result.as_str() {
            "done" => Ok(()),
            other => Err(SystemdError::JobFailed { unit: unit.to_string(), result: other.to_string() }),
        }
    }

    pub async fn start_scope(&self, scope: Scope<'_>) -> Result<()> {
        let mut props: Vec<(&str, Value)> = vec![
            ("Description", scope.description.into()),
            ("Slice", scope.slice.into()),
            ("PIDs", scope.pids.into()),
            ("Delegate", scope.delegate.into()),
            // Gone when it ends, failed or not: nothing for anyone to reset.
            ("CollectMode", "inactive-or-failed".into()),
        ];
        if let Some(r) = scope.resources {
            props.extend(resource_properties(r));
        }
        if let Some((signal, seconds)) = scope.stop {
            props.push(("KillSignal", signal.into()));
            // 0 would mean no timeout to systemd; to berth it means at once.
            props.push(("TimeoutStopUSec", (u64::from(seconds) * 1_000_000).max(1).into()));
        }
        let aux: Vec<(&str, Vec<(&str, Value)>)> = Vec::new();
        let body = (scope.unit.as_str(), "fail", props, aux);
        self.job(&scope.unit, self.request("StartTransientUnit", &body), false).await
    }

    /// Start a slice (a pod's) with `resources` as its limits.
    pub async fn start_slice(&self, unit: &str, description: String, resources: &Resources) -> Result<()> {
        let mut props: Vec<(&str, Value)> =
            vec![("Description", description.into()), ("CollectMode", "inactive-or-failed".into())];
        props.extend(resource_properties(resources));
        let aux: Vec<(&str, Vec<(&str, Value)>)> = Vec::new();
        let body = (unit, "fail", props, aux);
        self.job(unit, self.request("StartTransientUnit", &body), false).await
    }

    /// Set a running unit's limits (until it goes: the record keeps them).
    pub async fn set_resources(&self, unit: &str, resources: &Resources) -> Result<()> {
        let props = resource_properties(resources);
        self.call("SetUnitProperties", &(unit, true, props)).await.map(drop)
    }

    /// Stop a unit and wait; a unit that is not there is already stopped.
    pub async fn stop(&self, unit: &str) -> Result<()> {
        self.job(unit, self.request("StopUnit", &(unit, "replace")), true).await
    }
}

/// Resource limits as unit properties.
fn resource_properties(r: &Resources) -> Vec<(&'static str, Value<'static>)> {
    let mut props: Vec<(&str, Value)> = Vec::new();
    props.extend(r.memory_max.map(|v| ("MemoryMax", Value::from(v))));
    props.extend(r.pids_max.map(|v| ("TasksMax", Value::from(v))));
    props.extend(r.cpu_weight.map(|v| ("CPUWeight", Value::from(v))));
    // systemd counts swap apart from memory; podman's swap limit is both.
    let swap_only = r.memory_swap.filter(|s| *s >= 0).map(|s| (s as u64).saturating_sub(r.memory_max.unwrap_or(0)));
    props.extend(swap_only.map(|v| ("MemorySwapMax", Value::from(v))));
    props.extend(r.nano_cpus.map(|n| ("CPUQuotaPerSecUSec", Value::from(n / 1_000))));
    if let Some(cpus) = r.cpuset_cpus.as_deref().and_then(|l| crate::model::container::parse_cpuset(l).ok()) {
        props.push(("AllowedCPUs", Value::from(cpu_mask(&cpus))));
    }
    props
}

/// systemd's CPU set: a bit per CPU, CPU 0 the lowest bit of the first byte.
fn cpu_mask(cpus: &[u32]) -> Vec<u8> {
    let mut mask = vec![0u8; cpus.iter().max().map_or(0, |m| *m as usize / 8 + 1)];
    for c in cpus {
        mask[*c as usize / 8] |= 1 << (c % 8);
    }
    mask
}

/// Move `pids` into the calling process's own unit on the user's manager
/// (the session bus; an empty unit name is the caller's). A user's manager
/// takes a main PID from outside the unit's cgroup only from root, so a
/// user's unit has conmon moved in before naming it.
pub async fn attach_to_own_user_unit(pids: &[u32]) -> Result<()> {
    let conn = zbus::Connection::session().await.map_err(|e| bus_error("connecting to the user's session bus", e))?;
    conn.call_method(Some(DEST), PATH, Some(MANAGER), "AttachProcessesToUnit", &("", "", pids))
        .await
        .map_err(|e| bus_error("AttachProcessesToUnit", e))?;
    Ok(())
}

/// The cgroup path of a slice: `a-b.slice` -> `/a.slice/a-b.slice`.
pub fn slice_path(slice: &str) -> String {
    let name = slice.strip_suffix(".slice").unwrap_or(slice);
    if name.is_empty() || name == "-" {
        return String::new();
    }
    let mut path = String::new();
    let mut prefix = String::new();
    for part in name.split('-') {
        if !prefix.is_empty() {
            prefix.push('-');
        }
        prefix.push_str(part);
        path.push_str(&format!("/{prefix}.slice"));
    }
    path
}

#[cfg(test)]
mod tests {
    #[test]
    fn slice_paths_follow_the_dashes() {
        assert_eq!(super::slice_path("machine.slice"), "/machine.slice");
        assert_eq!(super::slice_path("machine-berth_pod_ab.slice"), "/machine.slice/machine-berth_pod_ab.slice");
        assert_eq!(super::slice_path("-.slice"), "");
    }
}
