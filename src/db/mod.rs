//! The catalogue's SQLite database. One thread owns the connection and runs every
//! operation as one transaction, so berthd is the only writer and nothing waits
//! on SQLite's file locks. This module is the only place with SQL.

mod containers;
mod images;
mod pods;
pub mod schema;
mod volumes;

pub use containers::{ContainerRecord, NewContainer};
pub use images::ImageRecord;

use crate::error::{Error, Result};
use rusqlite::{Connection, TransactionBehavior};
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::mpsc;
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A handle to the database thread; cheap to clone.
#[derive(Clone)]
pub struct Db {
    jobs: mpsc::Sender<Job>,
}

/// An open transaction, handed to the closure of `Db::write` or `Db::read`.
pub struct Tx<'c>(rusqlite::Transaction<'c>);

/// Which table of the shared name space a lookup searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Container,
    Pod,
}

impl Kind {
    fn table(self) -> &'static str {
        match self {
            Kind::Container => "containers",
            Kind::Pod => "pods",
        }
    }
}

/// What a name-or-ID resolved to.
#[derive(Debug, PartialEq)]
pub enum Lookup {
    Found(String),
    Missing,
    Ambiguous(Vec<String>),
}

impl Lookup {
    /// The ID, or the error naming what was asked for: `missing` when nothing
    /// matched, AmbiguousName with the matches when several did.
    pub fn found(self, name_or_id: &str, missing: fn(String) -> Error) -> Result<String> {
        match self {
            Lookup::Found(id) => Ok(id),
            Lookup::Missing => Err(missing(name_or_id.to_string())),
            Lookup::Ambiguous(matches) => Err(Error::AmbiguousName { name_or_id: name_or_id.to_string(), matches }),
        }
    }
}

impl Db {
    /// Open (creating) the database at `path`, migrate it, and start its thread.
    pub fn open(path: &Path) -> Result<Db> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.set_prepared_statement_cache_capacity(64);
        // Plans fixed at prepare time. Without this, bundled SQLite (built
        // with STAT4) re-prepared most cached statements in every
        // transaction: the parser was 35% of a 10,000-container start.
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        schema::migrate(&mut conn)?;
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("berth-db".into())
            .spawn(move || {
                for job in rx {
                    job(&mut conn);
                }
            })
            .map_err(|e| Error::storage("database thread", e))?;
        Ok(Db { jobs })
    }

    /// Run `f` in one IMMEDIATE transaction, committed when `f` succeeds.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Tx) -> Result<T> + Send + 'static,
    {
        self.run(TransactionBehavior::Immediate, true, f).await
    }

    /// Run `f` in one read transaction: a consistent snapshot, never committed.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Tx) -> Result<T> + Send + 'static,
    {
        self.run(TransactionBehavior::Deferred, false, f).await
    }

    async fn run<T, F>(&self, behavior: TransactionBehavior, commit: bool, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Tx) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let run = || -> Result<T> {
                let tx = Tx(conn.transaction_with_behavior(behavior)?);
                let value = f(&tx)?;
                if commit {
                    tx.0.commit()?;
                }
                Ok(value)
            };
            // A panic must not take the database thread down with it; the
            // transaction rolls back as it unwinds.
            let result = std::panic::catch_unwind(AssertUnwindSafe(run))
                .unwrap_or_else(|_| Err(Error::Runtime("internal error in a database operation".into())));
            let _ = reply.send(result);
        });
        let stopped = || Error::Storage("the database thread has stopped".into());
        self.jobs.send(job).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

impl Tx<'_> {
    /// Resolve a name or ID of `kind` the way libpod does: full ID, then exact
    /// name, then a unique ID prefix.
    pub fn lookup(&self, kind: Kind, name_or_id: &str) -> Result<Lookup> {
        let table = kind.table();
        let exact = format!("SELECT id FROM {table} WHERE id = ?1 OR name = ?1 ORDER BY id = ?1 DESC LIMIT 1");
        if let Some(id) = self.opt_string(&exact, name_or_id)? {
            return Ok(Lookup::Found(id));
        }
        if !crate::names::is_id_prefix(name_or_id) {
            return Ok(Lookup::Missing);
        }
        self.lookup_prefix(table, name_or_id)
    }

    /// The IDs in `table` starting with `prefix`: one, none, or several.
    fn lookup_prefix(&self, table: &str, prefix: &str) -> Result<Lookup> {
        // IDs are lowercase hex, so every ID with this prefix sorts below prefix+"g".
        let sql = format!("SELECT id FROM {table} WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT 16");
        let mut stmt = self.0.prepare_cached(&sql)?;
        let ids: Vec<String> =
            stmt.query_map([prefix, &format!("{prefix}g")], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(match ids.len() {
            0 => Lookup::Missing,
            1 => Lookup::Found(ids.into_iter().next().unwrap_or_default()),
            _ => Lookup::Ambiguous(ids),
        })
    }

    /// The full ID a name or ID of `kind` resolves to, or the typed error.
    pub fn resolve(&self, kind: Kind, name_or_id: &str) -> Result<String> {
        let missing = match kind {
            Kind::Container => Error::NoSuchContainer,
            Kind::Pod => Error::NoSuchPod,
        };
        self.lookup(kind, name_or_id)?.found(name_or_id, missing)
    }

    /// Whether a container or a pod already has this name.
    pub fn name_in_use(&self, name: &str) -> Result<bool> {
        let sql =
            "SELECT EXISTS(SELECT 1 FROM containers WHERE name = ?1) OR EXISTS(SELECT 1 FROM pods WHERE name = ?1)";
        Ok(self.0.prepare_cached(sql)?.query_row([name], |r| r.get(0))?)
    }

    /// Whether a container or a pod already has this ID.
    pub fn id_in_use(&self, id: &str) -> Result<bool> {
        let sql = "SELECT EXISTS(SELECT 1 FROM containers WHERE id = ?1) OR EXISTS(SELECT 1 FROM pods WHERE id = ?1)";
        Ok(self.0.prepare_cached(sql)?.query_row([id], |r| r.get(0))?)
    }

    fn opt_string(&self, sql: &str, param: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self.0.prepare_cached(sql)?.query_row([param], |r| r.get(0)).optional()?)
    }

    fn strings(&self, sql: &str, param: &str) -> Result<Vec<String>> {
        let mut stmt = self.0.prepare_cached(sql)?;
        let rows = stmt.query_map([param], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn count(&self, table: &str) -> Result<i64> {
        Ok(self.0.prepare_cached(&format!("SELECT count(*) FROM {table}"))?.query_row([], |r| r.get(0))?)
    }

    /// How many containers, pods and volumes the catalogue holds.
    pub fn counts(&self) -> Result<(i64, i64, i64)> {
        Ok((self.count("containers")?, self.count("pods")?, self.count("volumes")?))
    }
}

/// Decode a JSON column, naming the object whose record is unreadable.
fn decode<T: serde::de::DeserializeOwned>(what: &str, id: &str, json: &str) -> Result<T> {
    serde_json::from_str(json).map_err(|e| Error::Storage(format!("the stored {what} of {id} cannot be read: {e}")))
}

fn encode<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Storage(format!("cannot encode a record: {e}")))
}
