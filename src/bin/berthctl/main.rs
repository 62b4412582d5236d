//! berthctl: berth's command-line client. Each command is one varlink call
//! (or a few) to berthd, at BERTH_ADDRESS or --address, made through the
//! client code generated from interfaces/*.varlink. Flags, messages and exit
//! codes follow podman's: 125 when the engine failed, 127 and 126 when the
//! container's command could not be found or run, the container's own code
//! for `run`, `exec` and `wait`, 1 for "no" from `exists`.

mod attach;
mod container;
mod error;
mod generate;
mod image;
mod inspect;
mod mount;
mod mounts;
mod network;
mod output;
mod pod;
mod ps;
mod remove;
mod secret;
mod stats;
mod system;
mod volume;

use berth::client::default_address;
use clap::{Parser, Subcommand};
use error::Failure;
use std::process::ExitCode;
use std::sync::{Arc, RwLock};

#[derive(Parser)]
#[command(name = "berthctl", version, about = "Drive berthd, berth's container engine")]
struct Cli {
    /// The berthd socket (root's system berthd; an ordinary user's own at
    /// $XDG_RUNTIME_DIR/berth/io.berth).
    #[arg(long, env = "BERTH_ADDRESS", default_value_t = default_address(), global = true)]
    address: String,
    /// Print nothing on standard output (errors still go to standard error).
    #[arg(long, global = true)]
    noout: bool,
    #[command(subcommand)]
    command: Command,
}

// Every subcommand enum is deferred: clap then builds the arguments of the
// invoked command alone, not of all of them, which was most of berthctl's
// own start-up time. A deferred command takes its help from its variant's
// doc comment only if the Args structs it flattens have none (their doc
// would replace it), so theirs are plain comments.
#[derive(Subcommand)]
#[command(defer = true)]
enum Command {
    #[command(flatten)]
    Container(container::Command),
    /// Manage containers (the same commands as at the top level).
    #[command(subcommand, name = "container")]
    ContainerNoun(container::Command),
    /// Manage pods.
    #[command(subcommand)]
    Pod(pod::Command),
    /// Manage volumes.
    #[command(subcommand)]
    Volume(volume::Command),
    /// Manage networks.
    #[command(subcommand)]
    Network(network::Command),
    /// Manage images.
    #[command(subcommand)]
    Image(image::Command),
    /// Manage secrets.
    #[command(subcommand)]
    Secret(secret::Command),
    /// List images (image ls).
    Images(image::ImagesArgs),
    /// Stream events until interrupted.
    Events(system::EventsArgs),
    /// Show what the engine is and holds.
    Info,
    /// System-wide operations.
    #[command(subcommand)]
    System(system::Command),
    /// Unit files for containers.
    #[command(subcommand)]
    Generate(generate::Command),
    /// Print a completion script for a shell (bash, zsh, fish...).
    Completion { shell: clap_complete::Shell },
}

// `pod ls` and `volume ls`.
#[derive(clap::Args)]
pub struct ListArgs {
    #[arg(short, long)]
    filter: Vec<String>,
    /// Only IDs (pods) or names (volumes).
    #[arg(short, long)]
    quiet: bool,
    /// Whole IDs.
    #[arg(long)]
    no_trunc: bool,
    /// No header line.
    #[arg(short, long)]
    noheading: bool,
    /// table, json, or a template such as '{{.Name}}'.
    #[arg(long, default_value = "table")]
    format: String,
}

// `pod inspect` and `volume inspect`.
#[derive(clap::Args)]
pub struct InspectArgs {
    #[arg(required = true)]
    names: Vec<String>,
    /// json, or a template such as '{{.Name}}'.
    #[arg(short, long, default_value = "json")]
    format: String,
}

// `pod rm` and `volume rm`.
#[derive(clap::Args)]
pub struct RmArgs {
    #[arg(required = true)]
    names: Vec<String>,
    #[arg(short, long)]
    force: bool,
}

/// A connection to berthd, shared by the generated clients of every interface.
pub struct Connection {
    address: String,
    handle: Arc<RwLock<varlink::Connection>>,
}

impl Connection {
    fn open(address: &str) -> Result<Connection, Failure> {
        let handle = varlink::Connection::with_address(address).map_err(|e| Failure::unreachable(address, &e))?;
        Ok(Connection { address: address.to_string(), handle })
    }

    /// A second connection, for a call made while this one streams.
    fn another(&self) -> Result<Connection, Failure> {
        Connection::open(&self.address)
    }
}

/// `exists` commands answer with their exit code: 0 yes, 1 no.
fn exists_code(exists: bool) -> ExitCode {
    if exists {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// A command line clap refuses, said as podman says it, with its code 125
/// (help and --version still print and exit 0).
fn refused(e: clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let unknown = match (e.kind(), e.get(ContextKind::InvalidArg)) {
        (ErrorKind::UnknownArgument, Some(ContextValue::String(arg))) => Some(arg.clone()),
        _ => None,
    };
    match unknown {
        Some(arg) if !arg.starts_with("--") && arg.starts_with('-') => {
            eprintln!("Error: unknown shorthand flag: '{}' in {arg}", &arg[1..2]);
        }
        Some(arg) => eprintln!("Error: unknown flag: {arg}"),
        None => {
            let _ = e.print();
        }
    }
    ExitCode::from(error::ENGINE_FAILED)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return refused(e),
    };
    if cli.noout {
        let silenced = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/null")
            .and_then(|null| nix::unistd::dup2_stdout(null).map_err(std::io::Error::from));
        if let Err(e) = silenced {
            return Failure::engine(format!("--noout: {e}")).exit();
        }
    }
    // What needs no engine.
    match cli.command {
        Command::Completion { shell } => return generate::completion(shell),
        Command::Generate(generate::Command::Man { dir }) => {
            return generate::man_pages(&dir).unwrap_or_else(|f| f.exit())
        }
        _ => {}
    }
    let result = Connection::open(&cli.address).and_then(|conn| match cli.command {
        Command::ContainerNoun(container::Command::Inspect(a)) => inspect::run(&conn, a.containers_only()),
        Command::Container(c) | Command::ContainerNoun(c) => container::run(&conn, c),
        Command::Pod(p) => pod::run(&conn, p),
        Command::Volume(v) => volume::run(&conn, v),
        Command::Network(n) => network::run(&conn, n),
        Command::Image(i) => image::run(&conn, i),
        Command::Secret(s) => secret::run(&conn, s),
        Command::Images(a) => image::run(&conn, image::Command::List(a)),
        Command::Events(e) => system::events(&conn, e),
        Command::Info => system::info(&conn),
        Command::System(s) => system::run(&conn, s),
        Command::Generate(g) => generate::run(&conn, g),
        Command::Completion { .. } => unreachable!("answered above"),
    });
    result.unwrap_or_else(|failure| failure.exit())
}
