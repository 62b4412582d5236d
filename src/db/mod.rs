//! The catalogue's SQLite database. Every operation runs as one transaction on
//! the caller's thread. Changes share one writing connection behind a mutex,
//! so berthd is the only writer and no writer waits on SQLite's file locks;
//! reads each take one of a fixed set of read-only connections, and WAL gives them the last
//! committed state without waiting for a writer. (Operations used to be handed
//! to a database thread and back: those two thread wake-ups were most of an
//! inspect's time and a third of a rename's.) This module is the only place
//! with SQL.

mod containers;
mod images;
mod networks;
mod pods;
pub mod schema;
mod secrets;
#[cfg(test)]
mod state_tests;
mod storage_containers;
mod volumes;

pub use containers::{ContainerRecord, NewContainer};
pub use networks::Attachment;
pub use storage_containers::StorageContainer;

use crate::error::{Error, Result};
use rusqlite::Connection;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// The writing connection and the read connections; cheap to clone.
#[derive(Clone)]
pub struct Db {
    writer: Arc<Mutex<Connection>>,
    readers: Arc<Readers>,
    /// Changes committed since open: each one durable write.
    commits: Arc<AtomicU64>,
}

/// A fixed set of read-only connections, all opened with the database and
/// never closed; a read takes an idle one or waits for one. A fixed set, not
/// one opened per read beyond a bound: SQLite cannot close a connection's
/// file while another connection of the process holds a lock on it (a POSIX
/// lock dies with any descriptor of the file), so it parks the descriptor
/// until every connection is closed, and berthd's descriptors grew with the
/// most reads it ever ran at once.
struct Readers {
    idle: Mutex<Vec<Connection>>,
    returned: Condvar,
}

/// Reads that run at once: more than the cores of the machines berthd is
/// meant for; a read holds its connection for tens of microseconds.
const READERS: usize = 4;

/// The writer's page cache, in KiB. No other connection writes, so it stays
/// valid; SQLite's default (2 MiB) holds too few containers' pages for the
/// catalogues berthd is meant for.
const WRITER_CACHE_KIB: i64 = 16 << 10;

/// An open transaction, handed to the closure of `Db::write`, `Db::read` or
/// `Db::scan`.
pub struct Tx<'c>(&'c Connection);

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
    /// Open (creating) the database at `path`, migrate it and open the read
    /// connections.
    pub fn open(path: &Path) -> Result<Db> {
        let mut conn = connect(path)?;
        conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        let page_size: u32 = conn.pragma_query_value(None, "page_size", |r| r.get(0))?;
        presize_wal(path, page_size.into())?;
        // The WAL index file of a berthd from before unix-excl: unused now.
        let _ = std::fs::remove_file(companion(path, "-shm"));
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        schema::migrate(&mut conn)?;
        let idle = (0..READERS).map(|_| open_reader(path)).collect::<Result<Vec<_>>>()?;
        let readers = Arc::new(Readers { idle: Mutex::new(idle), returned: Condvar::new() });
        Ok(Db { writer: Arc::new(Mutex::new(conn)), readers, commits: Arc::default() })
    }

    /// Run `f` in one IMMEDIATE transaction, committed when `f` succeeds.
    /// Changes run one at a time.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&Tx) -> Result<T>,
    {
        blocking(|| {
            // A panic inside never reaches the lock (see `transaction`).
            let conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            let result = transaction(&conn, Mode::Write, f);
            if result.is_ok() {
                self.commits.fetch_add(1, Ordering::Relaxed);
            }
            result
        })
    }

    /// How many changes have been committed since the database was opened.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Run `f` in one read transaction on this thread: a consistent snapshot
    /// that includes every write already answered, never committed. For
    /// reads of a few rows: it takes the writing connection when no change
    /// holds it, since the writer's page cache outlives commits (its own)
    /// while a reader's is emptied by every commit, and at 10,000 containers
    /// an inspect from a reader read three pages from the kernel that the
    /// writer held. A read over the whole catalogue is a `scan`.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&Tx) -> Result<T>,
    {
        blocking(|| match self.writer.try_lock() {
            Ok(conn) => transaction(&conn, Mode::Read, f),
            Err(_) => self.on_reader(f),
        })
    }

    /// `read`, on a read connection only: for reads over the whole
    /// catalogue (lists), so that a change never waits for one.
    pub async fn scan<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&Tx) -> Result<T>,
    {
        blocking(|| self.on_reader(f))
    }

    fn on_reader<T>(&self, f: impl FnOnce(&Tx) -> Result<T>) -> Result<T> {
        let conn = self.readers.take();
        let result = transaction(&conn, Mode::Read, f);
        self.readers.give_back(conn);
        result
    }
}

impl Readers {
    fn take(&self) -> Connection {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match idle.pop() {
                Some(conn) => return conn,
                None => idle = self.returned.wait(idle).unwrap_or_else(|e| e.into_inner()),
            }
        }
    }

    fn give_back(&self, conn: Connection) {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
        self.returned.notify_one();
    }
}

/// Pages SQLite appends to the WAL before it checkpoints them and starts the
/// WAL over from its beginning (its default `wal_autocheckpoint`).
const WAL_PAGES: u64 = 1000;

/// Give the WAL file, up front, the size it reaches before SQLite starts it
/// over, so that a commit writes into blocks the file already has: its
/// fsync then flushes data alone, where a growing file also has its new
/// size and blocks written, which made a commit about half again as long as
/// a bare page write and fsync. It costs once, when the database is
/// created: 4 MiB written and flushed (the first start's row of
/// bench/RESULTS.md). Zeros beyond what the WAL holds are never
/// read as frames: SQLite stops at the first frame whose checksum fails,
/// and ignores a WAL whose header is not one. Only one berthd opens the
/// database (berthd.lock), so nothing writes the WAL meanwhile.
fn presize_wal(db: &Path, page_size: u64) -> Result<()> {
    use std::io::Write;
    let path = companion(db, "-wal");
    let grow = || -> std::io::Result<()> {
        let mut wal = std::fs::OpenOptions::new().append(true).create(true).open(&path)?;
        let (have, want) = (wal.metadata()?.len(), 32 + WAL_PAGES * (24 + page_size));
        if have < want {
            // Written, not fallocated: an unwritten extent is converted (a
            // journal commit) on its first write too.
            wal.write_all(&vec![0; (want - have) as usize])?;
            wal.sync_all()?;
        }
        Ok(())
    };
    grow().map_err(|e| Error::storage(path.display(), e))
}

/// The database's companion file named with `suffix` ("-wal", "-shm").
fn companion(db: &Path, suffix: &str) -> PathBuf {
    let mut path = db.as_os_str().to_owned();
    path.push(suffix);
    PathBuf::from(path)
}

/// Keep the WAL file (and its size) when the last connection closes, which
/// SQLite deletes by default; so a daemon started by its socket does not
/// grow the file again after every idle exit. Each connection carries the
/// flag, since whichever closes last decides.
#[allow(unsafe_code)] // SQLite's file control, through its C API
fn persist_wal(conn: &Connection) -> Result<()> {
    let mut on: std::ffi::c_int = 1;
    // SAFETY: the handle is open for the whole call, and this file control
    // reads and writes one int through the pointer.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            rusqlite::ffi::SQLITE_FCNTL_PERSIST_WAL,
            (&raw mut on).cast(),
        )
    };
    match rc {
        rusqlite::ffi::SQLITE_OK => Ok(()),
        rc => Err(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rc), None).into()),
    }
}

/// A connection with the settings every one of ours has.
///
/// SQLite's unix-excl VFS: the process holds the database file exclusively
/// (only one berthd opens it anyway, berthd.lock) and keeps the WAL index in
/// its own memory, shared by its connections, instead of in a -shm file
/// locked with fcntl: a write transaction made four fcntl calls and a read
/// two. Another process cannot open the database while berthd runs.
fn connect(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags_and_vfs(path, rusqlite::OpenFlags::default(), c"unix-excl")?;
    persist_wal(&conn)?;
    // The writer runs reads too (see `Db::read`): room for every statement.
    conn.set_prepared_statement_cache_capacity(128);
    // Statement journals and sorts in memory: a delete that cascades over
    // several tables opened a statement journal, by default a new file in
    // /var/tmp, and wrote 64 KiB to it in every container's removal.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // Plans fixed at prepare time. Without this, bundled SQLite (built with
    // STAT4) re-prepared most cached statements in every transaction, and
    // the parser was a large part of a start with a large catalogue.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(conn)
}

fn open_reader(path: &Path) -> Result<Connection> {
    let conn = connect(path)?;
    conn.pragma_update(None, "query_only", true)?;
    // A reader keeps SQLite's default page cache (2 MiB): it is emptied
    // whenever the writer commits anyway, and pages come back from the
    // kernel's cache with a cheap pread. (Mapping the file instead
    // cost an munmap, with its TLB shootdown, on every read after a write.)
    // Readers wait only while another connection recovers the WAL.
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // A first read opens the WAL now, so every reader holds the same files
    // from the start rather than one more after the first busy moment.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
    Ok(conn)
}

/// How a transaction begins and ends.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Takes the write lock at BEGIN (IMMEDIATE), so it never fails half-way
    /// for want of it; committed when its closure succeeds.
    Write,
    /// A snapshot from its first read on (DEFERRED); never committed, and
    /// one that writes is an error on any connection.
    Read,
}

/// Run `f` in a transaction on `conn`; a panic in `f` becomes an error (and
/// rolls back) instead of taking a thread down. BEGIN and COMMIT are cached
/// statements like any other: through rusqlite's `Transaction` SQLite parsed
/// both again in every transaction.
fn transaction<T>(conn: &Connection, mode: Mode, f: impl FnOnce(&Tx) -> Result<T>) -> Result<T> {
    let run = || -> Result<T> {
        let begin = if mode == Mode::Write { "BEGIN IMMEDIATE" } else { "BEGIN DEFERRED" };
        conn.prepare_cached(begin)?.execute([])?;
        let before = conn.total_changes();
        let value = f(&Tx(conn))?;
        match mode {
            Mode::Write => conn.prepare_cached("COMMIT")?.execute([]).map(drop)?,
            // A reader refuses writes itself (query_only); the writing
            // connection, lent to a read, is held to the same rule here.
            Mode::Read if conn.total_changes() != before => {
                return Err(Error::Runtime(format!(
                    "a read changed {} rows; rolled back",
                    conn.total_changes() - before
                )))
            }
            Mode::Read => {}
        }
        Ok(value)
    };
    let result = std::panic::catch_unwind(AssertUnwindSafe(run))
        .unwrap_or_else(|_| Err(Error::Runtime("internal error in a database operation".into())));
    // Whatever did not commit (a read, an error, a panic, a failed COMMIT)
    // ends here, so the connection goes back with no transaction open.
    if !conn.is_autocommit() {
        if let Err(e) = conn.prepare_cached("ROLLBACK").and_then(|mut s| s.execute([])) {
            tracing::error!("rolling back a transaction: {e}");
        }
    }
    result
}

/// Run `f`, which blocks on SQLite, from async code. On a worker of the
/// multi-threaded runtime the worker's other tasks move elsewhere meanwhile;
/// on a varlink connection's thread or a single-threaded runtime it just runs.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

impl Tx<'_> {
    /// Resolve a name or ID of `kind` the way libpod does: full ID, then exact
    /// name, then a unique ID prefix.
    pub fn lookup(&self, kind: Kind, name_or_id: &str) -> Result<Lookup> {
        let table = kind.table();
        // One probe of a unique index each (a single query with OR cost a
        // sort of its matches, as much as both probes).
        for column in ["id", "name"] {
            if let Some(id) = self.opt_string(&format!("SELECT id FROM {table} WHERE {column} = ?1"), name_or_id)? {
                return Ok(Lookup::Found(id));
            }
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

    /// The ID of the container with exactly this name, if any.
    pub fn container_id_by_name(&self, name: &str) -> Result<Option<String>> {
        self.opt_string("SELECT id FROM containers WHERE name = ?1", name)
    }

    /// Whether a container, a pod or a storage-only container has this name.
    pub fn name_in_use(&self, name: &str) -> Result<bool> {
        let sql =
            "SELECT EXISTS(SELECT 1 FROM containers WHERE name = ?1) OR EXISTS(SELECT 1 FROM pods WHERE name = ?1) \
             OR EXISTS(SELECT 1 FROM storage_containers WHERE name = ?1)";
        Ok(self.0.prepare_cached(sql)?.query_row([name], |r| r.get(0))?)
    }

    /// Whether a container, a pod or a storage-only container has this ID.
    pub fn id_in_use(&self, id: &str) -> Result<bool> {
        let sql = "SELECT EXISTS(SELECT 1 FROM containers WHERE id = ?1) OR EXISTS(SELECT 1 FROM pods WHERE id = ?1) \
                   OR EXISTS(SELECT 1 FROM storage_containers WHERE id = ?1)";
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

#[cfg(test)]
mod tests {
    use super::{Db, READERS, WAL_PAGES};
    use crate::model::volume::VolumeConfig;
    use std::time::Duration;

    fn volume(name: &str) -> VolumeConfig {
        VolumeConfig { name: name.into(), mountpoint: format!("/nowhere/{name}").into(), ..Default::default() }
    }

    /// Reads run beside a change in progress and see the state before it;
    /// once a change is answered every read sees it; a failed change leaves
    /// nothing; changes run one at a time.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_see_answered_changes_and_never_wait_for_one() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("berth.db")).unwrap();
        let count = |db: Db| async move { db.read(|tx| tx.volumes()).await.unwrap().len() };
        db.write(|tx| tx.insert_volume(&volume("a"))).await.unwrap();
        assert_eq!(count(db.clone()).await, 1);

        let (inside, go_on) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
        let (entered, release) = (inside.0, go_on.1);
        let writer = db.clone();
        let slow = tokio::spawn(async move {
            writer
                .write(move |tx| {
                    tx.insert_volume(&volume("b"))?;
                    entered.send(()).unwrap();
                    release.recv().unwrap();
                    Ok(())
                })
                .await
        });
        inside.1.recv_timeout(Duration::from_secs(10)).unwrap();
        // The change holds the writer: a read still answers, without "b".
        let read = tokio::time::timeout(Duration::from_secs(10), count(db.clone())).await;
        assert_eq!(read.expect("a read waited for a change in progress"), 1);
        // A second change waits for the first rather than failing.
        let second = tokio::spawn({
            let db = db.clone();
            async move { db.write(|tx| tx.insert_volume(&volume("c"))).await }
        });
        go_on.0.send(()).unwrap();
        slow.await.unwrap().unwrap();
        second.await.unwrap().unwrap();
        assert_eq!(count(db.clone()).await, 3);

        let failed: crate::error::Result<()> = db
            .write(|tx| {
                tx.insert_volume(&volume("d"))?;
                Err(crate::error::Error::Runtime("changed my mind".into()))
            })
            .await;
        assert!(failed.is_err());
        assert_eq!(count(db.clone()).await, 3);
        // A panic inside a change is an error, what it wrote is rolled back,
        // and the writer stays usable.
        let panicked = db
            .write(|tx| -> crate::error::Result<()> {
                tx.insert_volume(&volume("p"))?;
                panic!("inside a change")
            })
            .await;
        assert!(panicked.is_err());
        assert_eq!(count(db.clone()).await, 3);
        db.write(|tx| tx.insert_volume(&volume("e"))).await.unwrap();
        assert_eq!(count(db).await, 4);
    }

    /// A scan holds a read connection, never the writer: a change runs to
    /// its end while a scan is in progress, which still sees the state
    /// before it. A read runs on the writer when no change holds it, and a
    /// read that writes is refused there as on a reader, leaving nothing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn changes_never_wait_for_a_scan_and_reads_never_commit() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("berth.db")).unwrap();
        db.write(|tx| tx.insert_volume(&volume("a"))).await.unwrap();
        let (changed, told) = std::sync::mpsc::channel();
        let (began, beginning) = std::sync::mpsc::channel();
        let scanning = db.clone();
        let scan = tokio::spawn(async move {
            scanning
                .scan(move |tx| {
                    let before = tx.volumes()?.len();
                    began.send(()).unwrap();
                    // The change below ends while this scan is open.
                    told.recv_timeout(Duration::from_secs(10)).expect("a change waited for a scan");
                    Ok((before, tx.volumes()?.len()))
                })
                .await
        });
        beginning.recv_timeout(Duration::from_secs(10)).unwrap();
        db.write(|tx| tx.insert_volume(&volume("b"))).await.unwrap();
        changed.send(()).unwrap();
        assert_eq!(scan.await.unwrap().unwrap(), (1, 1), "a scan saw a change made after it began");

        // The writer was free, so the read ran there: the refusal is ours,
        // not a reader's "attempt to write a readonly database".
        let wrote = db.read(|tx| tx.insert_volume(&volume("c"))).await;
        assert!(matches!(&wrote, Err(e) if e.to_string().contains("a read changed 1 rows")), "{wrote:?}");
        let names: Vec<String> = db.read(|tx| tx.volumes()).await.unwrap().into_iter().map(|v| v.config.name).collect();
        assert_eq!(names, ["a", "b"], "a read committed what it wrote");
    }

    /// Sixteen threads reading at once, each read holding its connection a
    /// while, all get answers, and the database file and its WAL stay open
    /// exactly once per connection from the start: no descriptor appears or
    /// is left behind however many read at once.
    #[test]
    fn many_concurrent_reads_share_the_fixed_readers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("berth.db");
        let db = Db::open(&path).unwrap();
        let wal = dir.path().join("berth.db-wal");
        let opened = || {
            let targets: Vec<_> = std::fs::read_dir("/proc/self/fd")
                .unwrap()
                .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
                .collect();
            let count = |file: &std::path::Path| targets.iter().filter(|t| *t == file).count();
            (count(&path), count(&wal))
        };
        assert_eq!(opened(), (1 + READERS, 1 + READERS));
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let db = db.clone();
                std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
                    for _ in 0..20 {
                        let read = db.read(|tx| {
                            std::thread::sleep(Duration::from_millis(1));
                            tx.volumes()
                        });
                        assert!(runtime.block_on(read).unwrap().is_empty());
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(opened(), (1 + READERS, 1 + READERS));
    }

    /// The WAL is allocated whole when the database opens and kept when it
    /// closes; a change a crash left only in a shorter WAL (as an older
    /// berthd wrote it) survives the zeros appended to it.
    #[test]
    fn wal_is_allocated_once_and_what_it_holds_survives() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("berth.db");
        let wal = dir.path().join("berth.db-wal");
        let full = 32 + WAL_PAGES * (24 + 4096);
        let db = Db::open(&path).unwrap();
        assert_eq!(std::fs::metadata(&wal).unwrap().len(), full);
        now(db.write(|tx| tx.insert_volume(&volume("a")))).unwrap();
        drop(db);
        assert_eq!(std::fs::metadata(&wal).unwrap().len(), full, "the WAL was not kept");

        // A process that dies right after its change: the change is only in
        // the WAL, never checkpointed.
        let crashed = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "db::tests::crash_after_a_change", "--ignored", "--nocapture"])
            .env("BERTH_TEST_CRASH_DB", &path)
            .output()
            .unwrap();
        assert!(!crashed.status.success(), "the child did not crash: {crashed:?}");
        let held = std::fs::read(&wal).unwrap();
        // Cut the WAL after its last frame, as a WAL that was never presized.
        let frame = 24 + 4096;
        let used = held.iter().rposition(|b| *b != 0).unwrap() as u64 + 1;
        std::fs::OpenOptions::new()
            .write(true)
            .open(&wal)
            .unwrap()
            .set_len(32 + (used - 32).div_ceil(frame) * frame)
            .unwrap();
        assert!(std::fs::metadata(&wal).unwrap().len() < full);

        let db = Db::open(&path).unwrap();
        assert_eq!(std::fs::metadata(&wal).unwrap().len(), full);
        let names: Vec<String> = now(db.read(|tx| tx.volumes())).unwrap().into_iter().map(|v| v.config.name).collect();
        assert_eq!(names, ["a", "b"]);
    }

    /// The child of the test above: run only by it.
    #[test]
    #[ignore]
    fn crash_after_a_change() {
        let Some(path) = std::env::var_os("BERTH_TEST_CRASH_DB") else { return };
        let db = Db::open(std::path::Path::new(&path)).unwrap();
        now(db.write(|tx| tx.insert_volume(&volume("b")))).unwrap();
        std::process::abort();
    }

    /// While the database is open, it is this process's alone (unix-excl:
    /// the WAL index is in this process's memory, not in a file another
    /// could map, and one an older berthd left is removed); once closed,
    /// another process reads what it holds.
    #[test]
    fn no_other_process_opens_the_database_while_it_is_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("berth.db");
        let shm = dir.path().join("berth.db-shm");
        std::fs::write(&shm, [0; 32]).unwrap();
        let other_reads = || {
            std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "db::tests::read_from_another_process", "--ignored"])
                .env("BERTH_TEST_READ_DB", &path)
                .output()
                .unwrap()
        };
        let db = Db::open(&path).unwrap();
        assert!(!shm.exists());
        now(db.write(|tx| tx.insert_volume(&volume("a")))).unwrap();
        let refused = other_reads();
        assert!(!refused.status.success(), "another process read the open database");
        assert!(String::from_utf8_lossy(&refused.stdout).contains("database is locked"), "{refused:?}");
        drop(db);
        let read = other_reads();
        assert!(read.status.success(), "{read:?}");
    }

    /// The child of the test above: run only by it.
    #[test]
    #[ignore]
    fn read_from_another_process() {
        let Some(path) = std::env::var_os("BERTH_TEST_READ_DB") else { return };
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.busy_timeout(Duration::ZERO).unwrap();
        let volumes: i64 = conn.query_row("SELECT count(*) FROM volumes", [], |r| r.get(0)).unwrap();
        assert_eq!(volumes, 1);
    }

    /// A database future, which never waits on anything but SQLite.
    fn now<T>(f: impl std::future::Future<Output = T>) -> T {
        futures_util::FutureExt::now_or_never(f).expect("a database call waited")
    }
}
