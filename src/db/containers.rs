//! Container rows and the tables that hang off them (volumes, dependencies,
//! exec sessions).

use super::{decode, encode, Tx};
use crate::error::{Error, Result};
use crate::model::container::health::HealthState;
use crate::model::container::restart::RestartState;
use crate::model::container::{ContainerConfig, ContainerStatus, MountedVolume, State, Summary};
use crate::model::exec::{ExecConfig, ExecSession, ExecState};
use rusqlite::{params, OptionalExtension, Row};
use std::collections::{BTreeMap, HashMap};

/// A stored container: its configuration, if it can still be read, and status.
#[derive(Debug)]
pub struct ContainerRecord {
    pub summary: Summary,
    pub config: Result<ContainerConfig>,
    pub status: ContainerStatus,
}

impl ContainerRecord {
    /// The configuration, or the error telling the user to evict.
    pub fn config(&self) -> Result<&ContainerConfig> {
        self.config.as_ref().map_err(|e| Error::Storage(format!("{e}; use evict to remove it")))
    }
}

/// What create inserts in one go.
pub struct NewContainer<'a> {
    pub config: &'a ContainerConfig,
    pub status: &'a ContainerStatus,
}

const SUMMARY_COLUMNS: &str = "c.id, c.name, c.image, c.command, c.state, c.created, c.exit_code, c.pod_id, p.name, \
     c.labels, c.is_infra, c.image_id, c.started_at, c.finished_at, c.ports, json_extract(c.health, '$.status')";
/// How many columns SUMMARY_COLUMNS reads: a query's own columns follow.
const SUMMARY_WIDTH: usize = 16;

/// A summary, with its encoded command, labels, state and ports to finish.
type SummaryRow = (Summary, String, String, String, Option<String>);

fn summary_from_row(r: &Row) -> rusqlite::Result<SummaryRow> {
    let state: String = r.get(4)?;
    Ok((
        Summary {
            id: r.get(0)?,
            name: r.get(1)?,
            image: r.get(2)?,
            command: Vec::new(),
            state: State::parse(&state).unwrap_or(State::Configured),
            created_nanos: r.get(5)?,
            exit_code: r.get(6)?,
            pod_id: r.get(7)?,
            pod_name: r.get(8)?,
            labels: BTreeMap::new(),
            is_infra: r.get(10)?,
            image_id: r.get(11)?,
            started_nanos: r.get(12)?,
            finished_nanos: r.get(13)?,
            ports: Vec::new(),
            networks: Vec::new(),
            health: r.get(15)?,
        },
        r.get(3)?,
        r.get(9)?,
        state,
        r.get(14)?,
    ))
}

fn finish_summary((mut s, command, labels, state, ports): SummaryRow) -> Result<Summary> {
    if State::parse(&state).is_none() {
        return Err(Error::Storage(format!("container {} has an unknown state {state:?}", s.id)));
    }
    s.command = decode("command", &s.id, &command)?;
    s.labels = decode("labels", &s.id, &labels)?;
    if let Some(ports) = ports {
        s.ports = decode("ports", &s.id, &ports)?;
    }
    Ok(s)
}

impl Tx<'_> {
    pub fn insert_container(&self, new: NewContainer) -> Result<()> {
        let c = new.config;
        let s = new.status;
        self.0
            .prepare_cached(
                "INSERT INTO containers (id, name, pod_id, is_infra, image, command, labels, created, state, exit_code, pid, started_at, finished_at, image_id, ports)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?
            .execute(params![
                c.id,
                c.name,
                c.pod,
                c.is_infra,
                c.image.as_deref().unwrap_or(""),
                encode(&c.command)?,
                encode(&c.labels)?,
                c.created_nanos,
                s.state.as_str(),
                s.exit_code,
                s.pid,
                s.started_at,
                s.finished_at,
                c.image_id,
                (!c.port_mappings.is_empty()).then(|| encode(&c.port_mappings)).transpose()?,
            ])?;
        self.0
            .prepare_cached("INSERT INTO container_configs (id, config) VALUES (?1, ?2)")?
            .execute(params![c.id, encode(c)?])?;
        let mut vol = self.0.prepare_cached(
            "INSERT INTO container_volumes (container_id, volume_name, destination) VALUES (?1, ?2, ?3)",
        )?;
        for v in &c.volumes {
            vol.execute(params![c.id, v.name, v.destination])?;
        }
        let mut label =
            self.0.prepare_cached("INSERT INTO container_labels (container_id, key, value) VALUES (?1, ?2, ?3)")?;
        for (k, v) in &c.labels {
            label.execute(params![c.id, k, v])?;
        }
        let mut dep =
            self.0.prepare_cached("INSERT INTO container_dependencies (container_id, depends_on) VALUES (?1, ?2)")?;
        for d in &c.depends_on {
            dep.execute(params![c.id, d])?;
        }
        Ok(())
    }

    /// One container by full ID, or None.
    pub fn container(&self, id: &str) -> Result<Option<ContainerRecord>> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, c.pid, cc.config
             FROM containers c LEFT JOIN pods p ON p.id = c.pod_id LEFT JOIN container_configs cc ON cc.id = c.id
             WHERE c.id = ?1"
        );
        let row = self
            .0
            .prepare_cached(&sql)?
            .query_row([id], |r| {
                Ok((
                    summary_from_row(r)?,
                    r.get::<_, Option<i32>>(SUMMARY_WIDTH)?,
                    r.get::<_, Option<String>>(SUMMARY_WIDTH + 1)?,
                ))
            })
            .optional()?;
        let Some((raw, pid, config)) = row else { return Ok(None) };
        let summary = finish_summary(raw)?;
        let (started_at, finished_at) = (summary.started_nanos, summary.finished_nanos);
        let status =
            ContainerStatus { state: summary.state, exit_code: summary.exit_code, pid, started_at, finished_at };
        let config =
            decode::<ContainerConfig>("configuration", &format!("container {id}"), config.as_deref().unwrap_or(""))
                // The row holds the current name (see `rename_container`).
                .map(|config| ContainerConfig { name: summary.name.clone(), ..config });
        Ok(Some(ContainerRecord { summary, config, status }))
    }

    /// Name, state and PID: what a stats sample needs, without reading the
    /// configuration.
    pub fn container_process(&self, id: &str) -> Result<Option<(String, State, Option<i32>)>> {
        let row: Option<(String, String, Option<i32>)> = self
            .0
            .prepare_cached("SELECT name, state, pid FROM containers WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        Ok(row.map(|(name, state, pid)| (name, State::parse(&state).unwrap_or(State::Configured), pid)))
    }

    /// Name, pod and infra flag: what evict needs, readable whatever else broke.
    pub fn container_identity(&self, id: &str) -> Result<Option<(String, Option<String>, bool)>> {
        Ok(self
            .0
            .prepare_cached("SELECT name, pod_id, is_infra FROM containers WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?)
    }

    /// Every container, oldest first; `running_only` keeps those with processes.
    pub fn container_summaries(&self, running_only: bool) -> Result<Vec<Summary>> {
        let filter = if running_only { "WHERE c.state IN ('running', 'paused', 'stopping')" } else { "" };
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM containers c LEFT JOIN pods p ON p.id = c.pod_id {filter} ORDER BY c.created, c.id"
        );
        let mut stmt = self.0.prepare_cached(&sql)?;
        let rows = stmt.query_map([], summary_from_row)?;
        rows.map(|r| finish_summary(r?)).collect()
    }

    /// Containers carrying label `key` (with `value`, if given), oldest first;
    /// read through the label index, so the cost follows the matches.
    pub fn container_summaries_labelled(
        &self,
        key: &str,
        value: Option<&str>,
        running_only: bool,
    ) -> Result<Vec<Summary>> {
        let filter = if running_only { "AND c.state IN ('running', 'paused', 'stopping')" } else { "" };
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM container_labels l JOIN containers c ON c.id = l.container_id
             LEFT JOIN pods p ON p.id = c.pod_id
             WHERE l.key = ?1 AND (?2 IS NULL OR l.value = ?2) {filter} ORDER BY c.created, c.id"
        );
        let mut stmt = self.0.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![key, value], summary_from_row)?;
        rows.map(|r| finish_summary(r?)).collect()
    }

    /// When a container was created (Unix nanoseconds).
    pub fn container_created(&self, id: &str) -> Result<i64> {
        Ok(self.0.prepare_cached("SELECT created FROM containers WHERE id = ?1")?.query_row([id], |r| r.get(0))?)
    }

    pub fn set_container_state(&self, id: &str, state: State) -> Result<()> {
        self.0
            .prepare_cached("UPDATE containers SET state = ?2 WHERE id = ?1")?
            .execute(params![id, state.as_str()])?;
        Ok(())
    }

    /// Record that an init begins (true) or ended without a status (false).
    pub fn set_container_initializing(&self, id: &str, initializing: bool) -> Result<()> {
        self.0
            .prepare_cached("UPDATE containers SET initializing = ?2 WHERE id = ?1")?
            .execute(params![id, initializing])?;
        Ok(())
    }

    /// A container's state and whether an init of it is in progress, or
    /// None when it has no record.
    pub fn container_run_state(&self, id: &str) -> Result<Option<(State, bool)>> {
        let row: Option<(String, bool)> = self
            .0
            .prepare_cached("SELECT state, initializing FROM containers WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(state, initializing)| {
            State::parse(&state)
                .map(|s| (s, initializing))
                .ok_or_else(|| Error::Storage(format!("container {id} has an unknown state {state:?}")))
        })
        .transpose()
    }

    /// Containers whose init a crash interrupted.
    pub fn containers_initializing(&self) -> Result<Vec<String>> {
        let mut stmt = self.0.prepare_cached("SELECT id FROM containers WHERE initializing = 1")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Record the runtime state: state, exit code, PID and times together
    /// (which ends an init in progress).
    pub fn set_container_status(&self, id: &str, s: &ContainerStatus) -> Result<()> {
        self.0
            .prepare_cached(
                "UPDATE containers SET state = ?2, exit_code = ?3, pid = ?4, started_at = ?5, finished_at = ?6,
                 initializing = 0 WHERE id = ?1",
            )?
            .execute(params![id, s.state.as_str(), s.exit_code, s.pid, s.started_at, s.finished_at])?;
        Ok(())
    }

    /// How often its restart policy restarted the container, and whether a
    /// user stopped it (None: no such container).
    pub fn restart_state(&self, id: &str) -> Result<Option<RestartState>> {
        Ok(self
            .0
            .prepare_cached("SELECT restart_count, stopped_by_user FROM containers WHERE id = ?1")?
            .query_row([id], |r| Ok(RestartState { count: r.get(0)?, stopped_by_user: r.get(1)? }))
            .optional()?)
    }

    pub fn set_restart_state(&self, id: &str, s: RestartState) -> Result<()> {
        self.0
            .prepare_cached("UPDATE containers SET restart_count = ?2, stopped_by_user = ?3 WHERE id = ?1")?
            .execute(params![id, s.count, s.stopped_by_user])?;
        Ok(())
    }

    /// Change the Storage API's mount count by `delta`; the new count.
    pub fn add_mount_count(&self, id: &str, delta: i64) -> Result<i64> {
        self.0
            .prepare_cached("UPDATE containers SET mount_count = max(0, mount_count + ?2) WHERE id = ?1")?
            .execute(params![id, delta])?;
        self.mount_count(id)
    }

    /// How many Storage API mounts hold the container's root; 0 when it has
    /// no record.
    pub fn mount_count(&self, id: &str) -> Result<i64> {
        let sql = "SELECT mount_count FROM containers WHERE id = ?1";
        Ok(self.0.prepare_cached(sql)?.query_row([id], |r| r.get(0)).optional()?.unwrap_or(0))
    }

    pub fn delete_exec_session(&self, id: &str) -> Result<()> {
        self.0.prepare_cached("DELETE FROM exec_sessions WHERE id = ?1")?.execute([id])?;
        Ok(())
    }

    /// Rename: the name lives in the row alone (reads put it into the stored
    /// configuration, which keeps the name given at create), so a rename
    /// commits the row and the name index and nothing else. A name held by
    /// another container (the unique index) or by a pod (a trigger of the
    /// schema) is NameInUse: the constraints check it in the same statement.
    pub fn rename_container(&self, id: &str, new_name: &str) -> Result<()> {
        use rusqlite::ffi::{SQLITE_CONSTRAINT_TRIGGER, SQLITE_CONSTRAINT_UNIQUE};
        match self.0.prepare_cached("UPDATE containers SET name = ?2 WHERE id = ?1")?.execute(params![id, new_name]) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.extended_code, SQLITE_CONSTRAINT_UNIQUE | SQLITE_CONSTRAINT_TRIGGER) =>
            {
                Err(Error::NameInUse(new_name.to_string()))
            }
            result => Ok(result.map(drop)?),
        }
    }

    /// Delete the row; volumes links, dependencies and exec sessions go with it.
    pub fn delete_container(&self, id: &str) -> Result<()> {
        self.0.prepare_cached("DELETE FROM containers WHERE id = ?1")?.execute([id])?;
        Ok(())
    }

    /// Containers that depend on `id`.
    pub fn container_dependents(&self, id: &str) -> Result<Vec<String>> {
        self.strings("SELECT container_id FROM container_dependencies WHERE depends_on = ?1 ORDER BY container_id", id)
    }

    pub fn exec_sessions(&self, id: &str) -> Result<Vec<String>> {
        self.strings("SELECT id FROM exec_sessions WHERE container_id = ?1 ORDER BY id", id)
    }

    /// The sessions of container `id` recorded as running.
    pub fn running_exec_sessions(&self, id: &str) -> Result<Vec<String>> {
        self.strings("SELECT id FROM exec_sessions WHERE container_id = ?1 AND state = 'running' ORDER BY id", id)
    }

    /// Record a created exec session (see model::exec).
    pub fn insert_exec(&self, session: &ExecSession) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO exec_sessions (id, container_id, command, started, config, state) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                session.id,
                session.container_id,
                encode(&session.config.command)?,
                session.created,
                encode(&session.config)?,
                session.state.as_str(),
            ])?;
        Ok(())
    }

    /// An exec session by its ID.
    pub fn exec_session(&self, id: &str) -> Result<Option<ExecSession>> {
        let sql = format!("SELECT {EXEC_COLUMNS} FROM exec_sessions WHERE id = ?1");
        let row = self.0.prepare_cached(&sql)?.query_row([id], exec_row).optional()?;
        row.map(exec_session).transpose()
    }

    /// The sessions of container `id` recorded as running.
    pub fn running_exec_sessions_of(&self, id: &str) -> Result<Vec<ExecSession>> {
        let sql = format!("SELECT {EXEC_COLUMNS} FROM exec_sessions WHERE container_id = ?1 AND state = 'running'");
        let rows = self.0.prepare_cached(&sql)?.query_map([id], exec_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(exec_session).collect()
    }

    /// Record a session's state, PID and exit code.
    pub fn set_exec_state(&self, id: &str, state: ExecState, pid: Option<i64>, exit_code: Option<i32>) -> Result<()> {
        self.0
            .prepare_cached("UPDATE exec_sessions SET state = ?2, pid = ?3, exit_code = ?4 WHERE id = ?1")?
            .execute(params![id, state.as_str(), pid, exit_code])?;
        Ok(())
    }

    /// Record an exec session of a container.
    /// `started` is Unix nanoseconds.
    pub fn insert_exec_session(&self, id: &str, container_id: &str, command: &[String], started: i64) -> Result<()> {
        self.0
            .prepare_cached("INSERT INTO exec_sessions (id, container_id, command, started) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![id, container_id, encode(&command)?, started])?;
        Ok(())
    }

    /// The volumes a container mounts, read from the link table so that they
    /// are known even when its configuration is not.
    pub fn container_volumes(&self, id: &str) -> Result<Vec<MountedVolume>> {
        let mut stmt = self.0.prepare_cached(
            "SELECT cv.volume_name, cv.destination, v.anonymous FROM container_volumes cv
             JOIN volumes v ON v.name = cv.volume_name WHERE cv.container_id = ?1 ORDER BY cv.destination",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(MountedVolume { name: r.get(0)?, destination: r.get(1)?, options: Vec::new(), anonymous: r.get(2)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Container ID -> (volume name, destination) for every container.
    pub fn all_container_volumes(&self) -> Result<HashMap<String, Vec<(String, String)>>> {
        let mut stmt = self.0.prepare_cached("SELECT container_id, volume_name, destination FROM container_volumes")?;
        let mut map: HashMap<String, Vec<(String, String)>> = HashMap::new();
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)))?;
        for row in rows {
            let (ctr, name, dest) = row?;
            map.entry(ctr).or_default().push((name, dest));
        }
        Ok(map)
    }

    /// Container ID -> (source, destination) of each host directory bound
    /// in (podman's volume filter takes them too). A configuration that
    /// cannot be read is passed over: evict is what deals with it.
    pub fn all_container_binds(&self) -> Result<HashMap<String, Vec<(String, String)>>> {
        let mut map: HashMap<String, Vec<(String, String)>> = HashMap::new();
        let mut stmt = self.0.prepare_cached(
            "SELECT id, json_extract(config, '$.mounts') AS mounts FROM container_configs
             WHERE json_valid(config) AND mounts IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (ctr, mounts) = row?;
            let Ok(mounts) = decode::<Vec<crate::model::container::mount::HostMount>>("mounts", &ctr, &mounts) else {
                continue;
            };
            for m in mounts.into_iter().filter(|m| m.kind == crate::model::container::mount::MountKind::Bind) {
                map.entry(ctr.clone()).or_default().push((m.source.unwrap_or_default(), m.destination));
            }
        }
        Ok(map)
    }

    /// Container ID -> the networks it is on, in the order it joined them.
    pub fn all_container_networks(&self) -> Result<HashMap<String, Vec<String>>> {
        let mut stmt = self.0.prepare_cached("SELECT container_id, network FROM container_networks ORDER BY rowid")?;
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))? {
            let (ctr, network) = row?;
            map.entry(ctr).or_default().push(network);
        }
        Ok(map)
    }

    /// Pod ID -> the ports its infra container publishes, which are its
    /// members' too.
    pub fn pod_ports(&self) -> Result<HashMap<String, Vec<crate::model::container::PortMapping>>> {
        let mut stmt = self.0.prepare_cached(
            "SELECT pod_id, ports FROM containers WHERE is_infra AND pod_id IS NOT NULL AND ports IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|row| {
            let (pod, ports) = row?;
            let ports = decode("ports", &pod, &ports)?;
            Ok((pod, ports))
        })
        .collect()
    }

    /// Container ID -> the container whose network namespace it joined
    /// (`--network container:ID`), for those that joined one.
    pub fn network_joiners(&self) -> Result<HashMap<String, String>> {
        let mut stmt = self.0.prepare_cached(
            "SELECT id, json_extract(config, '$.networkContainer') AS target FROM container_configs
             WHERE json_valid(config) AND target IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// IDs of containers in `state`.
    pub fn containers_in_state(&self, state: State) -> Result<Vec<String>> {
        self.strings("SELECT id FROM containers WHERE state = ?1 ORDER BY created", state.as_str())
    }

    /// Containers whose record says they have processes in the runtime
    /// (`State::in_runtime`), oldest first: one scan, not one per state.
    pub fn containers_in_runtime(&self) -> Result<Vec<String>> {
        let states: Vec<&str> = State::ALL.into_iter().filter(|s| s.in_runtime()).map(State::as_str).collect();
        let sql = format!("SELECT id FROM containers WHERE state IN ('{}') ORDER BY created", states.join("', '"));
        let mut stmt = self.0.prepare_cached(&sql)?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every container ID.
    pub fn container_ids(&self) -> Result<Vec<String>> {
        let mut stmt = self.0.prepare_cached("SELECT id FROM containers")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Where a container's health stands (None: never checked, or no
    /// such container).
    pub fn health(&self, id: &str) -> Result<Option<HealthState>> {
        let raw: Option<Option<String>> = self
            .0
            .prepare_cached("SELECT health FROM containers WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        raw.flatten().map(|text| decode("health", &format!("container {id}"), &text)).transpose()
    }

    pub fn set_health(&self, id: &str, health: Option<&HealthState>) -> Result<()> {
        let text = health.map(encode).transpose()?;
        self.0.prepare_cached("UPDATE containers SET health = ?2 WHERE id = ?1")?.execute(params![id, text])?;
        Ok(())
    }

    /// Store a changed configuration (an Update's).
    pub fn set_container_config(&self, c: &ContainerConfig) -> Result<()> {
        self.0
            .prepare_cached("UPDATE container_configs SET config = ?2 WHERE id = ?1")?
            .execute(params![c.id, encode(c)?])?;
        Ok(())
    }

    /// Overwrite a stored configuration with raw text, to corrupt it in tests.
    #[cfg(test)]
    pub fn overwrite_container_config(&self, id: &str, raw: &str) -> Result<()> {
        self.0.prepare_cached("UPDATE container_configs SET config = ?2 WHERE id = ?1")?.execute(params![id, raw])?;
        Ok(())
    }
}

/// The columns `exec_row` reads.
const EXEC_COLUMNS: &str = "id, container_id, config, state, pid, exit_code, started";

/// An exec_sessions row as read: its configuration still text.
type ExecRow = (String, String, Option<String>, String, Option<i64>, Option<i32>, i64);

fn exec_row(r: &Row) -> rusqlite::Result<ExecRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
}

fn exec_session((id, container_id, config, state, pid, exit_code, created): ExecRow) -> Result<ExecSession> {
    // A session of the one-shot Exec has no configuration of its own.
    let config = match config {
        Some(text) => serde_json::from_str(&text).map_err(|e| Error::Storage(format!("exec session {id}: {e}")))?,
        None => ExecConfig::default(),
    };
    let state = ExecState::parse(&state).unwrap_or(ExecState::Running);
    Ok(ExecSession { id, container_id, config, state, pid, exit_code, created })
}
