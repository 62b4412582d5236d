//! Health checks at work (model/container/health.rs): each running
//! container with a check has it run every interval. Under systemd a
//! transient timer of its own (`berth-<id>-healthcheck.timer`, made with
//! systemd-run as podman makes it) runs `berthctl healthcheck run`, so
//! berthd may exit while idle; the timer goes with the container's other
//! units. Otherwise berthd's own scheduler runs them, and keeps berthd
//! from exiting while idle as long as one is scheduled.
//! A check is an exec of its command; its result is kept with the record,
//! a `health_status` event says it, and a container turning unhealthy gets
//! its on-failure action.

use super::Runtime;
use crate::error::{Error, Result};
use crate::events::{now_nanos, Event};
use crate::model::container::health::{HealthAction, HealthResult, HealthState, HealthStatus};
use crate::model::container::{ContainerConfig, State};
use crate::model::exec::ExecConfig;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the scheduler looks for checks that are due.
const TICK: Duration = Duration::from_millis(250);

/// The containers whose checks berthd runs: when each is next due, and
/// its interval.
#[derive(Default)]
pub(super) struct HealthSchedule(Mutex<HashMap<String, (Instant, Duration)>>, Arc<tokio::sync::Notify>);

impl HealthSchedule {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, (Instant, Duration)>) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The checks due now, each moved to its next time.
    fn take_due(&self) -> Vec<String> {
        let now = Instant::now();
        self.with(|s| {
            s.iter_mut()
                .filter(|(_, (due, _))| *due <= now)
                .map(|(id, (due, interval))| {
                    *due = now + *interval;
                    id.clone()
                })
                .collect()
        })
    }
}

impl Runtime {
    /// Run the scheduler of health checks (for as long as the runtime).
    pub(super) fn schedule_health_checks(self: &Arc<Self>) {
        let runtime = Arc::downgrade(self);
        tokio::spawn(async move {
            // Held while a check is scheduled: berthd stays to run it.
            let mut staying = None;
            loop {
                let Some(rt) = runtime.upgrade() else { return };
                if rt.health_schedule.with(|s| s.is_empty()) {
                    // Nothing to look at until a check is scheduled.
                    staying = None;
                    let scheduling = rt.health_schedule.1.clone();
                    drop(rt);
                    scheduling.notified().await;
                    continue;
                }
                staying.get_or_insert_with(|| rt.in_flight());
                for id in rt.health_schedule.take_due() {
                    let rt = rt.clone();
                    tokio::spawn(async move {
                        if let Err(e) = rt.run_healthcheck(&id).await {
                            tracing::debug!(id = id.as_str(), "scheduled health check: {e}");
                        }
                    });
                }
                drop(rt);
                tokio::time::sleep(TICK).await;
            }
        });
    }

    /// A container with a check started: its health is `starting` again,
    /// and the first check is due an interval from now.
    pub(super) async fn begin_health(&self, c: &ContainerConfig) -> Result<()> {
        if c.healthcheck.is_none() {
            return Ok(());
        }
        let previous = self.db.read(|tx| tx.health(&c.id)).await?.unwrap_or_default();
        let fresh = HealthState { status: HealthStatus::Starting, failing_streak: 0, log: previous.log };
        self.db.write(|tx| tx.set_health(&c.id, Some(&fresh))).await?;
        if let (true, Some(ctl)) = (Self::uses_units(c), &self.config.ctl_command) {
            match self.start_health_timer(c, ctl).await {
                Ok(()) => return Ok(()),
                // The checks still run, from berthd.
                Err(e) => tracing::warn!(id = c.id.as_str(), "no health check timer: {e}"),
            }
        }
        self.schedule_health(c);
        Ok(())
    }

    /// The container's health check timer, replacing one a crash left.
    async fn start_health_timer(&self, c: &ContainerConfig, ctl: &[String]) -> Result<()> {
        let Some(check) = &c.healthcheck else { return Ok(()) };
        let unit = crate::systemd::unit_names::healthcheck_unit(&c.id);
        let systemd = self.systemd().await?;
        for leftover in [format!("{unit}.timer"), format!("{unit}.service")] {
            systemd.stop(&leftover).await?;
        }
        let interval = format!("{}s", check.interval);
        let mut run = std::process::Command::new("systemd-run");
        run.args(["--quiet", "--collect", &format!("--unit={unit}")])
            .args([format!("--on-active={interval}"), format!("--on-unit-inactive={interval}")])
            .args(["--timer-property=AccuracySec=1s", &format!("--description=berth health check of {}", c.name), "--"])
            .args(ctl)
            .args(["healthcheck", "run", &c.id]);
        let out =
            super::blocking(move || run.output().map_err(|e| Error::Runtime(format!("systemd-run: {e}")))).await?;
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr).trim().to_string();
            return Err(Error::Runtime(format!("the health check timer {unit}.timer: {why}")));
        }
        Ok(())
    }

    /// berthd found `c` running at its start: its checks go on (a timer's
    /// do by themselves).
    pub(super) fn resume_health(&self, c: &ContainerConfig) {
        if !(Self::uses_units(c) && self.config.ctl_command.is_some()) {
            self.schedule_health(c);
        }
    }

    /// Check a running container every interval from now on.
    fn schedule_health(&self, c: &ContainerConfig) {
        if let Some(check) = &c.healthcheck {
            let interval = Duration::from_secs(check.interval.into());
            self.health_schedule.with(|s| s.insert(c.id.clone(), (Instant::now() + interval, interval)));
            self.health_schedule.1.notify_one();
        }
    }

    /// It has no processes any more: no more checks.
    pub(super) fn end_health(&self, id: &str) {
        self.health_schedule.with(|s| s.remove(id));
    }

    /// Run a container's health check now and record it: its status after.
    pub async fn run_healthcheck(&self, name_or_id: &str) -> Result<HealthStatus> {
        let id = self.lookup_container_id(name_or_id).await?;
        let (config, status) = self.load_container(&id).await?;
        let Some(check) = config.healthcheck.clone() else {
            return Err(Error::invalid_argument("healthcheck", format!("container {id} has no defined healthcheck")));
        };
        if status.state != State::Running {
            return Err(status.state.invalid(&id, "a health check runs only in a running container"));
        }
        let start = now_nanos();
        let exec = ExecConfig { command: check.command.clone(), ..Default::default() };
        let limit = Duration::from_secs(check.timeout.into());
        let (exit_code, output) = match self.exec_collected(&id, exec, Some(limit)).await {
            // A check that runs too long (killed), or cannot run, failed.
            Ok(r) if r.timed_out => (1, format!("the health check timed out after {} s", check.timeout)),
            Ok(r) => (r.exit_code, r.stdout + &r.stderr),
            Err(e) => (125, e.to_string()),
        };
        let result = HealthResult { start, end: now_nanos(), exit_code, output };
        // Failures in the start period do not count.
        let counts = status.started_at.is_none_or(|s| start - s >= i64::from(check.start_period) * 1_000_000_000);
        let (health, changed) = {
            let _lock = self.locks.lock(&id).await;
            let mut health = self.db.read(|tx| tx.health(&id)).await?.unwrap_or_default();
            let changed = health.record(result, check.retries, counts);
            self.db.write(|tx| tx.set_health(&id, Some(&health))).await?;
            (health, changed)
        };
        self.events.emit(Event::for_container("health_status", &config).with("health_status", health.status.as_str()));
        if changed && health.status == HealthStatus::Unhealthy {
            self.act_on_unhealthy(&id, check.on_failure).await;
        }
        Ok(health.status)
    }

    /// What `--health-on-failure` asks for, once the container turns
    /// unhealthy.
    async fn act_on_unhealthy(&self, id: &str, action: HealthAction) {
        let acted = match action {
            HealthAction::None => return,
            HealthAction::Kill => self.kill_container(id, None).await,
            HealthAction::Restart => self.restart_container(id, None).await,
            HealthAction::Stop => self.stop_container(id, None).await,
        };
        if let Err(e) = acted {
            tracing::warn!(id, ?action, "acting on an unhealthy container: {e}");
        }
    }
}
