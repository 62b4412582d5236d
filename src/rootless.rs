//! A user's own berthd. It runs as root of a user namespace that maps the
//! user to 0 and the user's subordinate IDs (/etc/subuid, /etc/subgid) from
//! 1 up, as Podman's rootless mode does: image layers keep their owners,
//! containers have many users, and what they write belongs on the host to
//! the user or to the user's subordinate IDs. The namespace, with a mount
//! namespace of its own for the containers' overlays, is held by a pause
//! process that outlives berthd; the next berthd joins it, so containers
//! and their mounts are where it looks for them.

use nix::sched::{setns, unshare, CloneFlags};
use nix::unistd::{ForkResult, Gid, Pid, Uid};
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The user a rootless berthd serves, as the host knows them.
#[derive(Debug, Clone)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
    pub name: String,
    /// `/user.slice/user-UID.slice/user@UID.service`: the cgroup of the
    /// user's systemd manager, under which its scopes are.
    pub manager_cgroup: String,
}

static OWNER: OnceLock<Owner> = OnceLock::new();

/// The user whose berthd this is, or None for the system's.
pub fn owner() -> Option<&'static Owner> {
    OWNER.get()
}

/// A bus connection as the user: inside the namespace berthd's ID is 0,
/// which the bus would refuse for the user's socket (EXTERNAL
/// authentication names the ID the bus sees, the user's).
pub fn bus_builder(builder: zbus::connection::Builder<'_>) -> zbus::connection::Builder<'_> {
    match owner() {
        Some(owner) => builder.user_id(owner.uid),
        None => builder,
    }
}

/// Where a user's berthd keeps things, from the XDG base directories.
pub struct UserDirs {
    /// $XDG_RUNTIME_DIR/berth: sockets, mounts, exit files, the pause PID.
    pub run: PathBuf,
    /// $XDG_DATA_HOME/berth (~/.local/share/berth): database, layers, volumes.
    pub data: PathBuf,
    /// $XDG_CONFIG_HOME/berth (~/.config/berth): berth.conf, unit files.
    pub config: PathBuf,
}

impl UserDirs {
    pub fn from_env() -> Result<UserDirs, String> {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let runtime = var("XDG_RUNTIME_DIR").ok_or(
            "XDG_RUNTIME_DIR is not set: a user's berthd runs in the user's session (systemctl --user start berth.socket)",
        )?;
        let home = var("HOME").ok_or("HOME is not set")?;
        Ok(UserDirs {
            run: runtime.join("berth"),
            data: var("XDG_DATA_HOME").unwrap_or_else(|| home.join(".local/share")).join("berth"),
            config: var("XDG_CONFIG_HOME").unwrap_or_else(|| home.join(".config")).join("berth"),
        })
    }
}

/// Become root of the user's namespace: join the one the pause process
/// recorded in `pause_file` holds, or make it (and the pause process). Must
/// run while the process has one thread: setns and unshare of a user
/// namespace refuse a threaded process.
pub fn enter(pause_file: &Path) -> Result<&'static Owner, String> {
    let (uid, gid) = (Uid::current(), Gid::current());
    let name = nix::unistd::User::from_uid(uid)
        .ok()
        .flatten()
        .map(|u| u.name)
        .ok_or_else(|| format!("uid {uid} has no entry in the user database"))?;
    match live_pause(pause_file, uid) {
        Some(namespaces) => join(namespaces)?,
        None => {
            let uids = subordinate_ids(Path::new("/etc/subuid"), &name, uid.as_raw())?;
            let gids = subordinate_ids(Path::new("/etc/subgid"), &name, gid.as_raw())?;
            make_namespace(uid.as_raw(), gid.as_raw(), uids, gids)?;
            let pid = spawn_pause()?;
            std::fs::write(pause_file, format!("{pid}\n")).map_err(|e| format!("{}: {e}", pause_file.display()))?;
        }
    }
    become_root()?;
    let owner = Owner {
        uid: uid.as_raw(),
        gid: gid.as_raw(),
        name,
        manager_cgroup: format!("/user.slice/user-{uid}.slice/user@{uid}.service"),
    };
    Ok(OWNER.get_or_init(|| owner))
}

/// The user and mount namespaces of the pause process in `pause_file`, if
/// it is alive, the user's, and in a namespace of its own.
fn live_pause(pause_file: &Path, uid: Uid) -> Option<(std::fs::File, std::fs::File)> {
    use std::os::unix::fs::MetadataExt;
    let pid: i32 = std::fs::read_to_string(pause_file).ok()?.trim().parse().ok().filter(|p| *p > 0)?;
    let proc = PathBuf::from(format!("/proc/{pid}"));
    let ours = proc.metadata().ok()?.uid() == uid.as_raw();
    let comm = std::fs::read_to_string(proc.join("comm")).ok()?;
    let theirs = std::fs::read_link(proc.join("ns/user")).ok()?;
    let mine = std::fs::read_link("/proc/self/ns/user").ok()?;
    if !ours || comm.trim() != "berthd" || theirs == mine {
        return None;
    }
    // Opened before joining either, so that one that just died is no
    // namespace half joined.
    let open = |ns: &str| std::fs::File::open(proc.join("ns").join(ns)).ok();
    Some((open("user")?, open("mnt")?))
}

fn join((user, mount): (std::fs::File, std::fs::File)) -> Result<(), String> {
    setns(user.as_fd(), CloneFlags::CLONE_NEWUSER)
        .map_err(|e| format!("joining the pause process's user namespace: {e}"))?;
    setns(mount.as_fd(), CloneFlags::CLONE_NEWNS)
        .map_err(|e| format!("joining the pause process's mount namespace: {e}"))
}

/// A new user namespace whose maps a child left outside writes with
/// newuidmap and newgidmap (setuid helpers that check /etc/subuid: the
/// kernel lets an ordinary user map only their own ID), then a mount
/// namespace in it that sees the host's mounts but does not change them.
#[allow(unsafe_code)] // fork while the process has one thread
fn make_namespace(uid: u32, gid: u32, uids: (u32, u32), gids: (u32, u32)) -> Result<(), String> {
    let (read_end, write_end) = nix::unistd::pipe().map_err(|e| format!("pipe: {e}"))?;
    // SAFETY: berthd has one thread here, so the child may allocate and
    // spawn; it leaves with _exit.
    match unsafe { nix::unistd::fork() }.map_err(|e| format!("fork: {e}"))? {
        ForkResult::Child => {
            drop(write_end);
            let mut go = [0u8; 1];
            let ready = std::fs::File::from(read_end).read_exact(&mut go).is_ok();
            let parent = nix::unistd::getppid().to_string();
            let map = |tool: &str, id: u32, (start, count): (u32, u32)| {
                let args = [parent.clone(), "0".into(), id.to_string(), "1".into(), "1".into()]
                    .into_iter()
                    .chain([start.to_string(), count.to_string()]);
                std::process::Command::new(tool).args(args).status().is_ok_and(|s| s.success())
            };
            let mapped = ready && map("newuidmap", uid, uids) && map("newgidmap", gid, gids);
            // SAFETY: leaves the forked child without running the parent's
            // exit handlers.
            unsafe { nix::libc::_exit(if mapped { 0 } else { 1 }) }
        }
        ForkResult::Parent { child } => {
            drop(read_end);
            let unshared = unshare(CloneFlags::CLONE_NEWUSER).map_err(|e| format!("a new user namespace: {e}"));
            let mut write_end = std::fs::File::from(write_end);
            if unshared.is_ok() {
                let _ = write_end.write_all(b"1");
            }
            drop(write_end);
            let status = nix::sys::wait::waitpid(child, None).map_err(|e| format!("waiting for newuidmap: {e}"))?;
            unshared?;
            if !matches!(status, nix::sys::wait::WaitStatus::Exited(_, 0)) {
                return Err(format!(
                    "newuidmap/newgidmap could not map uid {uid} and gid {gid} with their subordinate IDs \
                     {uids:?}/{gids:?} (is Debian's uidmap installed?)"
                ));
            }
        }
    }
    become_root()?;
    unshare(CloneFlags::CLONE_NEWNS).map_err(|e| format!("a new mount namespace: {e}"))?;
    use nix::mount::{mount, MsFlags};
    mount(None::<&str>, "/", None::<&str>, MsFlags::MS_REC | MsFlags::MS_SLAVE, None::<&str>)
        .map_err(|e| format!("making / a slave mount: {e}"))
}

fn become_root() -> Result<(), String> {
    let root = (Gid::from_raw(0), Uid::from_raw(0));
    nix::unistd::setresgid(root.0, root.0, root.0).map_err(|e| format!("setresgid(0): {e}"))?;
    nix::unistd::setgroups(&[]).map_err(|e| format!("setgroups: {e}"))?;
    nix::unistd::setresuid(root.1, root.1, root.1).map_err(|e| format!("setresuid(0): {e}"))
}

/// The process that holds the namespaces while no berthd runs: it sleeps
/// in pause(2) with nothing open, in a session of its own.
#[allow(unsafe_code)] // fork while the process has one thread
fn spawn_pause() -> Result<Pid, String> {
    // SAFETY: one thread; the child only closes descriptors and pauses.
    match unsafe { nix::unistd::fork() }.map_err(|e| format!("fork: {e}"))? {
        ForkResult::Parent { child } => Ok(child),
        ForkResult::Child => {
            let _ = nix::unistd::setsid();
            let _ = nix::unistd::chdir("/");
            let open: Vec<i32> = std::fs::read_dir("/proc/self/fd")
                .map(|d| d.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect())
                .unwrap_or_default();
            for fd in open.into_iter().filter(|fd| *fd > 2) {
                let _ = nix::unistd::close(fd);
            }
            if let Ok(null) = std::fs::OpenOptions::new().read(true).write(true).open("/dev/null") {
                let _ = nix::unistd::dup2_stdin(&null);
                let _ = nix::unistd::dup2_stdout(&null);
                let _ = nix::unistd::dup2_stderr(&null);
            }
            loop {
                nix::unistd::pause();
            }
        }
    }
}

/// The first range of subordinate IDs `/etc/subuid` or `/etc/subgid` gives
/// the user, by name or number: (start, count).
pub fn subordinate_ids(file: &Path, name: &str, id: u32) -> Result<(u32, u32), String> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    parse_subordinate(&text, name, id).ok_or_else(|| {
        format!(
            "{} gives {name} (id {id}) no subordinate IDs: add a range (usermod --add-subuids and \
             --add-subgids) for rootless containers",
            file.display()
        )
    })
}

fn parse_subordinate(text: &str, name: &str, id: u32) -> Option<(u32, u32)> {
    text.lines().find_map(|line| {
        let mut fields = line.trim().split(':');
        let who = fields.next()?;
        if who != name && who.parse::<u32>().ok() != Some(id) {
            return None;
        }
        let start = fields.next()?.parse().ok()?;
        let count = fields.next()?.parse().ok().filter(|c: &u32| *c > 0)?;
        Some((start, count))
    })
}

#[cfg(test)]
mod tests {
    use super::parse_subordinate;

    #[test]
    fn subordinate_ids_are_found_by_name_or_number() {
        let file = "# comment\nalice:100000:65536\n1001:165536:65536\nbob:231072:0\n";
        assert_eq!(parse_subordinate(file, "alice", 1000), Some((100000, 65536)));
        assert_eq!(parse_subordinate(file, "carol", 1001), Some((165536, 65536)));
        assert_eq!(parse_subordinate(file, "bob", 1002), None, "an empty range maps nothing");
        assert_eq!(parse_subordinate(file, "dave", 1003), None);
    }
}
