//! `berthctl secret ...`: podman's secret commands.

use crate::container::pairs;
use crate::error::Failure;
use crate::output::{self, print_list, Format};
use crate::{Connection, InspectArgs, ListArgs};
use berth::api::varlink::generated::secret::{VarlinkClient, VarlinkClientInterface};
use serde_json::json;
use std::io::Read;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Store a secret: the contents of FILE, or of standard input for "-"
    /// (with --env, of the environment variable FILE names).
    Create {
        name: String,
        file: String,
        /// FILE names an environment variable of this command.
        #[arg(long)]
        env: bool,
        #[arg(short, long)]
        label: Vec<String>,
    },
    /// Show secrets (never their values).
    Inspect(InspectArgs),
    /// Exit 0 if the secret exists, 1 if not.
    Exists { name: String },
    /// List secrets.
    #[command(alias = "ls")]
    List(ListArgs),
    /// Remove secrets; refused for one that containers use.
    Rm {
        names: Vec<String>,
        /// Every secret.
        #[arg(short, long)]
        all: bool,
    },
}

/// A secret's value from where `create` was told to take it.
fn value(file: &str, env: bool) -> Result<String, Failure> {
    let read = |what: &str, r: std::io::Result<String>| r.map_err(|e| Failure::engine(format!("reading {what}: {e}")));
    if env {
        return std::env::var(file).map_err(|_| Failure::engine(format!("environment variable {file} is not set")));
    }
    if file == "-" {
        let mut text = String::new();
        return read("standard input", std::io::stdin().read_to_string(&mut text).map(|_| text));
    }
    read(file, std::fs::read_to_string(file))
}

pub fn run(conn: &Connection, cmd: Command) -> Result<ExitCode, Failure> {
    let mut c = VarlinkClient::new(conn.handle.clone());
    match cmd {
        Command::Create { name, file, env, label } => {
            println!("{}", c.create(name, value(&file, env)?, Some(pairs(&label))).call()?.id)
        }
        Command::Inspect(InspectArgs { names, format }) => {
            output::inspect_each(&format, names, |n| Ok(c.inspect(n).call()?.secret))?;
        }
        Command::Exists { name } => return Ok(crate::exists_code(c.exists(name).call()?.exists)),
        Command::List(ListArgs { filter, format, quiet, .. }) => {
            let secrets = c.list(Some(filter)).call()?.secrets;
            if quiet {
                secrets.iter().for_each(|s| println!("{}", s.id));
                return Ok(ExitCode::SUCCESS);
            }
            let rows: Vec<_> = secrets
                .iter()
                .map(|s| {
                    json!({ "ID": s.id, "Name": s.name, "Driver": "berth", "CreatedAt": output::ago(s.created),
                            "UpdatedAt": output::ago(s.created), "Labels": s.labels })
                })
                .collect();
            const COLUMNS: &[output::Column] = &[
                ("ID", "ID"),
                ("NAME", "Name"),
                ("DRIVER", "Driver"),
                ("CREATED", "CreatedAt"),
                ("UPDATED", "UpdatedAt"),
            ];
            print_list(&Format::parse(&format)?, COLUMNS, &rows, &json!(secrets))?;
        }
        Command::Rm { names, all } => {
            let names = if all { c.list(None).call()?.secrets.into_iter().map(|s| s.name).collect() } else { names };
            if names.is_empty() {
                return Err(Failure::engine("`secret rm` requires a name or --all"));
            }
            for n in names {
                println!("{}", c.remove(n).call()?.id);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
