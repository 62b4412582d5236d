//! `berthctl generate unit NAME`: the unit file for a container like an
//! existing one (`--service`: the service berth-generator makes of it).

use crate::error::Failure;
use crate::Connection;
use berth::api::varlink::generated::container::{VarlinkClient, VarlinkClientInterface};
use berth::unit_file::{describe, generate, UnitFile};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Print a .container file that runs a new container like this one
    /// (for /etc/berth/systemd/; see berth-generator).
    Unit {
        container: String,
        /// Print the service berth-generator makes of it instead.
        #[arg(long)]
        service: bool,
    },
    /// Write berthctl's man pages (berthctl.1, berthctl-SUBCOMMAND.1) into
    /// a directory, as a package does at build time.
    #[command(hide = true)]
    Man { dir: PathBuf },
}

/// Man pages of berthctl and of each (sub)command shown in its help, named
/// as git's are (`berthctl-pod-create.1`): no engine needed.
pub fn man_pages(dir: &Path) -> Result<ExitCode, Failure> {
    let written = |e: std::io::Error| Failure::engine(format!("writing man pages into {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(written)?;
    let mut command = <crate::Cli as clap::CommandFactory>::command();
    command.build();
    let mut pages = vec![("berthctl".to_string(), command.clone())];
    let mut i = 0;
    while i < pages.len() {
        let (name, cmd) = pages[i].clone();
        // `berthctl container X` is `berthctl X`: one page each.
        let nested = name != "berthctl-container";
        for sub in cmd.get_subcommands().filter(|s| nested && !s.is_hide_set() && s.get_name() != "help") {
            let full = format!("{name}-{}", sub.get_name());
            pages.push((full.clone(), sub.clone().name(full.clone()).bin_name(full.replace('-', " "))));
        }
        i += 1;
    }
    for (name, cmd) in pages {
        let mut out = Vec::new();
        clap_mangen::Man::new(cmd)
            .title(name.to_uppercase())
            .section("1")
            .source("berth")
            .render(&mut out)
            .map_err(written)?;
        std::fs::write(dir.join(format!("{name}.1")), out).map_err(written)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `berthctl completion SHELL`, podman's command: the script on stdout.
pub fn completion(shell: clap_complete::Shell) -> ExitCode {
    let mut command = <crate::Cli as clap::CommandFactory>::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "berthctl", &mut script);
    // A closed pipe (`| head`) is the reader's choice, not a failure.
    let _ = std::io::Write::write_all(&mut std::io::stdout(), &script);
    ExitCode::SUCCESS
}

pub fn run(conn: &Connection, cmd: Command) -> Result<ExitCode, Failure> {
    let (container, service) = match cmd {
        Command::Unit { container, service } => (container, service),
        Command::Man { dir } => return man_pages(&dir),
    };
    let info = VarlinkClient::new(conn.handle.clone()).inspect(container, None).call()?.container;
    // Its image gives these again (one since removed gives nothing).
    let image_env = info.config.image.as_ref().and_then(|image| {
        use berth::api::varlink::generated::image::{VarlinkClient as Images, VarlinkClientInterface as _};
        let image = Images::new(conn.handle.clone()).inspect(image.clone()).call().ok()?.image;
        image.config.config.Env
    });
    let image_env = image_env.unwrap_or_default();
    let text = describe::container_file(&info, &image_env);
    if !service {
        print!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    let name = info.config.name.as_str();
    let unit = UnitFile::parse(&text).map_err(|e| Failure::engine(e.message))?;
    let berthctl = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or("/usr/bin/berthctl".into());
    let source = format!("/etc/berth/systemd/{name}.container");
    let objects = Default::default();
    let cx = generate::Context { berthctl: &berthctl, source: &source, stem: name, objects: &objects, members: &[] };
    let generated =
        generate::generate(generate::Kind::Container, &unit, &cx).map_err(|e| Failure::engine(e.message))?;
    print!("{}", generated.text);
    Ok(ExitCode::SUCCESS)
}
