//! berth-generator: a systemd generator (systemd.generator(7)) that turns
//! the `.container`, `.volume`, `.network` and `.pod` files in
//! /etc/berth/systemd (then /usr/share/berth/systemd; the first of a name
//! wins) into services, at boot and at each `systemctl daemon-reload`.
//! As a user generator (/usr/lib/systemd/user-generators, run by a user's
//! manager with SYSTEMD_SCOPE=user) it reads the user's
//! ~/.config/berth/systemd, then /etc/berth/systemd/users, and the units
//! run the user's own containers.
//!
//! `berth-generator NORMAL_DIR [EARLY_DIR LATE_DIR]` writes the units into
//! NORMAL_DIR; `--dry-run` prints them instead. BERTH_UNIT_DIRS
//! (colon-separated) replaces the directories read. A file that cannot be
//! turned into a unit is named with its line in the log (stderr and the
//! journal) and skipped; the others are still made, and the exit status
//! is then 1.

use berth::unit_file::generate::{self, Context, Generated, Kind};
use berth::unit_file::UnitFile;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const UNIT_DIRS: [&str; 2] = ["/etc/berth/systemd", "/usr/share/berth/systemd"];
/// What every user's manager reads after the user's own directory.
const USERS_UNIT_DIR: &str = "/etc/berth/systemd/users";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dry_run = args.iter().any(|a| a == "--dry-run");
    let output = args.iter().find(|a| !a.starts_with("--")).map(PathBuf::from);
    if !dry_run && output.is_none() {
        log("usage: berth-generator [--dry-run] NORMAL_DIR [EARLY_DIR LATE_DIR]");
        return ExitCode::from(2);
    }
    let mut failed = false;
    let files = read_files(&mut failed);
    let objects: BTreeMap<String, String> =
        files.iter().map(|(name, f)| (name.clone(), generate::object_name(f.kind, f.stem(), &f.unit))).collect();
    let berthctl = berthctl();
    for (name, f) in &files {
        // A pod's service wants the containers that name it.
        let members: Vec<String> = files
            .values()
            .filter(|c| c.kind == Kind::Container && generate::pod_of(&c.unit).as_deref() == Some(name))
            .map(|c| Kind::Container.service(c.stem()))
            .collect();
        let source = f.path.display().to_string();
        let cx = Context { berthctl: &berthctl, source: &source, stem: f.stem(), objects: &objects, members: &members };
        let written =
            generate::generate(f.kind, &f.unit, &cx).map_err(|e| e.located(&f.path)).and_then(|g| match &output {
                Some(dir) if !dry_run => write_unit(dir, &g).map_err(|e| format!("{}: {e}", f.path.display())),
                _ => {
                    println!("---{}---\n{}", g.service, g.text);
                    Ok(())
                }
            });
        if let Err(message) = written {
            log(&message);
            failed = true;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

struct SourceFile {
    path: PathBuf,
    kind: Kind,
    unit: UnitFile,
}

impl SourceFile {
    fn stem(&self) -> &str {
        let name = self.path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        Kind::of_file(name).map(|(_, stem)| stem).unwrap_or_default()
    }
}

/// Run by a user's manager (systemd says so in SYSTEMD_SCOPE), or by an
/// ordinary user.
fn for_a_user() -> bool {
    std::env::var("SYSTEMD_SCOPE").map_or(!nix::unistd::Uid::current().is_root(), |scope| scope == "user")
}

/// $XDG_CONFIG_HOME, else ~/.config (HOME, else the user database's).
fn user_config_dir() -> PathBuf {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let home = || {
        var("HOME").or_else(|| nix::unistd::User::from_uid(nix::unistd::Uid::current()).ok().flatten().map(|u| u.dir))
    };
    var("XDG_CONFIG_HOME").or_else(|| home().map(|h| h.join(".config"))).unwrap_or_else(|| "/nonexistent".into())
}

/// Every unit file by file name, the first directory's winning.
fn read_files(failed: &mut bool) -> BTreeMap<String, SourceFile> {
    let dirs: Vec<PathBuf> = match std::env::var("BERTH_UNIT_DIRS") {
        Ok(list) => list.split(':').filter(|d| !d.is_empty()).map(PathBuf::from).collect(),
        Err(_) if for_a_user() => vec![user_config_dir().join("berth/systemd"), USERS_UNIT_DIR.into()],
        Err(_) => UNIT_DIRS.iter().map(PathBuf::from).collect(),
    };
    let mut files = BTreeMap::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut names: Vec<String> = entries.flatten().filter_map(|e| e.file_name().into_string().ok()).collect();
        names.sort();
        for name in names {
            let Some((kind, _)) = Kind::of_file(&name) else { continue };
            if files.contains_key(&name) {
                continue;
            }
            let path = dir.join(&name);
            let parsed = std::fs::read_to_string(&path)
                .map_err(|e| format!("{}: {e}", path.display()))
                .and_then(|text| UnitFile::parse(&text).map_err(|e| e.located(&path)));
            match parsed {
                Ok(unit) => {
                    files.insert(name, SourceFile { path, kind, unit });
                }
                Err(message) => {
                    log(&message);
                    *failed = true;
                }
            }
        }
    }
    files
}

/// The unit, and the links its [Install] section asks for (relative, as
/// systemctl enable makes them).
fn write_unit(dir: &Path, g: &Generated) -> std::io::Result<()> {
    std::fs::write(dir.join(&g.service), &g.text)?;
    for (subdir, alias) in &g.links {
        let link = match subdir.is_empty() {
            true => dir.join(alias),
            false => {
                std::fs::create_dir_all(dir.join(subdir))?;
                dir.join(subdir).join(&g.service)
            }
        };
        let target = if subdir.is_empty() { PathBuf::from(&g.service) } else { Path::new("..").join(&g.service) };
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(target, link)?;
    }
    Ok(())
}

/// berthctl beside this program (a build tree, or a package that puts
/// both in one directory), else the installed one.
fn berthctl() -> String {
    let sibling = std::env::current_exe().ok().and_then(|p| Some(p.parent()?.join("berthctl")));
    match sibling.filter(|p| p.is_file()) {
        Some(path) => path.display().to_string(),
        None => "/usr/bin/berthctl".to_string(),
    }
}

/// To stderr, and to the journal when it runs (at daemon-reload; at boot
/// systemd's own log takes the generators' stderr).
fn log(message: &str) {
    eprintln!("berth-generator: {message}");
    if Path::new("/run/systemd/journal/socket").exists() {
        let _ = systemd::journal::send(&[
            &format!("MESSAGE=berth-generator: {message}"),
            "PRIORITY=3",
            "SYSLOG_IDENTIFIER=berth-generator",
        ]);
    }
}
