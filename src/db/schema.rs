//! The database schema, as an ordered list of migrations. `PRAGMA user_version`
//! records how many have run; each runs in its own transaction at start-up.

use crate::error::{Error, Result};
use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    // 1: containers, pods, volumes and what links them.
    r#"
CREATE TABLE pods (
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE,
    created INTEGER NOT NULL,
    config  TEXT NOT NULL
);
CREATE TABLE containers (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    pod_id      TEXT REFERENCES pods(id),
    is_infra    INTEGER NOT NULL DEFAULT 0,
    image       TEXT NOT NULL,
    command     TEXT NOT NULL,
    labels      TEXT NOT NULL,
    created     INTEGER NOT NULL,
    state       TEXT NOT NULL,
    exit_code   INTEGER,
    pid         INTEGER,
    started_at  INTEGER,
    finished_at INTEGER
);
CREATE INDEX containers_pod ON containers(pod_id);
CREATE INDEX containers_created ON containers(created, id);
-- The full configuration lives apart, so that listing scans only slim rows.
CREATE TABLE container_configs (
    id     TEXT PRIMARY KEY REFERENCES containers(id) ON DELETE CASCADE,
    config TEXT NOT NULL
);
-- Labels again, one row each, so that a label filter reads only its matches.
CREATE TABLE container_labels (
    container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    value        TEXT NOT NULL,
    PRIMARY KEY (container_id, key)
);
CREATE INDEX container_labels_key_value ON container_labels(key, value);
CREATE TABLE volumes (
    name      TEXT PRIMARY KEY,
    anonymous INTEGER NOT NULL,
    created   INTEGER NOT NULL,
    config    TEXT NOT NULL
);
CREATE TABLE container_volumes (
    container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
    volume_name  TEXT NOT NULL REFERENCES volumes(name),
    destination  TEXT NOT NULL,
    PRIMARY KEY (container_id, destination)
);
CREATE INDEX container_volumes_volume ON container_volumes(volume_name);
CREATE TABLE container_dependencies (
    container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
    depends_on   TEXT NOT NULL REFERENCES containers(id),
    PRIMARY KEY (container_id, depends_on)
);
CREATE INDEX container_dependencies_target ON container_dependencies(depends_on);
CREATE TABLE exec_sessions (
    id           TEXT PRIMARY KEY,
    container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
    command      TEXT NOT NULL,
    pid          INTEGER,
    started      INTEGER NOT NULL
);
CREATE INDEX exec_sessions_container ON exec_sessions(container_id);
-- Containers and pods share one space of names and IDs.
CREATE TRIGGER containers_insert_namespace BEFORE INSERT ON containers
    WHEN EXISTS (SELECT 1 FROM pods WHERE name = NEW.name OR id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'name or ID in use by a pod'); END;
CREATE TRIGGER containers_rename_namespace BEFORE UPDATE OF name ON containers
    WHEN EXISTS (SELECT 1 FROM pods WHERE name = NEW.name)
    BEGIN SELECT RAISE(ABORT, 'name in use by a pod'); END;
CREATE TRIGGER pods_insert_namespace BEFORE INSERT ON pods
    WHEN EXISTS (SELECT 1 FROM containers WHERE name = NEW.name OR id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'name or ID in use by a container'); END;
"#,
    // 2: images, their names, and what containers take from them.
    r#"
CREATE TABLE images (
    id      TEXT PRIMARY KEY,
    created INTEGER NOT NULL,
    size    INTEGER NOT NULL,
    config  TEXT NOT NULL
);
CREATE TABLE image_names (
    name     TEXT PRIMARY KEY,
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE
);
CREATE INDEX image_names_image ON image_names(image_id);
ALTER TABLE containers ADD COLUMN image_id TEXT REFERENCES images(id);
CREATE INDEX containers_image ON containers(image_id);
-- Mounts of a container's root through the Storage API (a reference count).
ALTER TABLE containers ADD COLUMN mount_count INTEGER NOT NULL DEFAULT 0;
"#,
    // 3: an init in progress (conmon may be running the runtime's create),
    // so that a crash during it is found and cleaned at the next start.
    r#"
ALTER TABLE containers ADD COLUMN initializing INTEGER NOT NULL DEFAULT 0;
"#,
    // 4: secrets and who uses them; storage-only containers (a root file
    // system made from an image for another tool, without a container's
    // record), which hold their names against containers.
    r#"
CREATE TABLE secrets (
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE,
    data    BLOB NOT NULL,
    labels  TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE TABLE container_secrets (
    container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
    secret_id    TEXT NOT NULL REFERENCES secrets(id),
    PRIMARY KEY (container_id, secret_id)
);
CREATE INDEX container_secrets_secret ON container_secrets(secret_id);
CREATE TABLE storage_containers (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE,
    image_id TEXT NOT NULL REFERENCES images(id),
    image    TEXT NOT NULL,
    created  INTEGER NOT NULL
);
-- Mounts of an image's layers through the API (podman's image mount).
ALTER TABLE images ADD COLUMN mount_count INTEGER NOT NULL DEFAULT 0;
"#,
    // 5: the digest of the manifest an image was pulled or imported by
    // (podman's .Digest and a container's .ImageDigest).
    r#"
ALTER TABLE images ADD COLUMN digest TEXT;
"#,
    // 6: bridge networks, and each container's place on them (its address
    // in the network's subnet, given out by berth as podman's IPAM does).
    r#"
CREATE TABLE networks (
    name    TEXT PRIMARY KEY,
    id      TEXT NOT NULL UNIQUE,
    created INTEGER NOT NULL,
    config  TEXT NOT NULL
);
CREATE TABLE container_networks (
    container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
    network      TEXT NOT NULL REFERENCES networks(name),
    ip           TEXT NOT NULL,
    aliases      TEXT NOT NULL,
    PRIMARY KEY (container_id, network)
);
CREATE UNIQUE INDEX container_networks_address ON container_networks(network, ip);
"#,
    // 7: a container's published ports, which lists show (podman's PORTS),
    // kept beside the summary so a list reads no configuration.
    r#"
ALTER TABLE containers ADD COLUMN ports TEXT;
"#,
    // 8: exec sessions as libpod has them: created, then running, then
    // stopped with an exit code, until removed.
    r#"
ALTER TABLE exec_sessions ADD COLUMN config TEXT;
ALTER TABLE exec_sessions ADD COLUMN state TEXT NOT NULL DEFAULT 'running';
ALTER TABLE exec_sessions ADD COLUMN exit_code INTEGER;
"#,
    // 9: restart policies: how often a container's policy restarted it, and
    // whether a user stopped it (which no policy undoes).
    r#"
ALTER TABLE containers ADD COLUMN restart_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE containers ADD COLUMN stopped_by_user INTEGER NOT NULL DEFAULT 0;
"#,
    // 10: health checks: where a container's health stands (JSON), kept
    // apart from its configuration, which does not change.
    r#"
ALTER TABLE containers ADD COLUMN health TEXT;
"#,
];

/// The schema version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Bring the database up to `VERSION`; refuse a database from a newer berth.
pub fn migrate(conn: &mut Connection) -> Result<i64> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > VERSION {
        return Err(Error::Storage(format!("database schema {current} is newer than this berth knows ({VERSION})")));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(VERSION)
}
