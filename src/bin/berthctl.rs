//! berthctl: berth's command-line client. Every command is one varlink call to
//! berthd (BERTH_ADDRESS or --address); a failed call prints the error's name
//! and parameters and exits 125, as podman does for engine errors.

use berth::client::{Client, ClientError, DEFAULT_ADDRESS};
use clap::{Parser, Subcommand};
use serde_json::{json, Map, Value};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "berthctl", version, about = "Drive berthd, berth's container engine")]
struct Cli {
    /// The berthd socket.
    #[arg(long, env = "BERTH_ADDRESS", default_value = DEFAULT_ADDRESS, global = true)]
    address: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a container (state "configured").
    Create(Box<CreateArgs>),
    /// List containers.
    Ps {
        /// All containers, not only running ones.
        #[arg(short, long)]
        all: bool,
        /// KEY=VALUE: id, name, label, status, pod, ancestor, before, since, exited, volume.
        #[arg(short, long)]
        filter: Vec<String>,
        /// Only the newest container.
        #[arg(short = 'l', long)]
        latest: bool,
        /// Only IDs.
        #[arg(short, long)]
        quiet: bool,
        /// table or json.
        #[arg(long, default_value = "table")]
        format: String,
    },
    /// Show containers' configuration and state as JSON.
    Inspect {
        names: Vec<String>,
        /// Include the bytes each container wrote.
        #[arg(short, long)]
        size: bool,
    },
    /// Exit 0 if the container exists, 1 if not.
    Exists { name: String },
    /// Rename a container.
    Rename { container: String, new_name: String },
    /// Remove containers.
    Rm {
        names: Vec<String>,
        #[arg(short, long)]
        force: bool,
        /// Also remove anonymous volumes.
        #[arg(short, long)]
        volumes: bool,
    },
    /// Remove a container whose stored configuration cannot be read.
    Evict {
        name: String,
        #[arg(short, long)]
        volumes: bool,
    },
    /// Remove all containers that are not running and not in a pod.
    Prune {
        /// label=KEY[=VALUE], label!=..., until=TIME.
        #[arg(long)]
        filter: Vec<String>,
    },
    /// Create a container and start it; prints its output and exits with its
    /// code unless detached.
    Run {
        /// Start it and print its ID only.
        #[arg(short, long)]
        detach: bool,
        #[command(flatten)]
        create: Box<CreateArgs>,
    },
    /// Create containers in the OCI runtime without starting them.
    Init { names: Vec<String> },
    /// Start containers.
    Start { names: Vec<String> },
    /// Stop containers: stop signal, then SIGKILL after the timeout.
    Stop {
        names: Vec<String>,
        #[arg(short, long)]
        time: Option<i64>,
    },
    /// Send a signal to containers (default SIGKILL).
    Kill {
        names: Vec<String>,
        #[arg(short, long)]
        signal: Option<String>,
    },
    /// Freeze containers.
    Pause { names: Vec<String> },
    /// Thaw containers.
    Unpause { names: Vec<String> },
    /// Stop and start containers.
    Restart {
        names: Vec<String>,
        #[arg(short, long)]
        time: Option<i64>,
    },
    /// Wait for containers to exit; prints their exit codes.
    Wait { names: Vec<String> },
    /// Print a container's output.
    Logs {
        name: String,
        #[arg(short, long)]
        follow: bool,
        #[arg(long)]
        tail: Option<i64>,
    },
    /// Run a command in a running container.
    Exec {
        /// KEY=VALUE
        #[arg(short, long)]
        env: Vec<String>,
        #[arg(short, long)]
        user: Option<String>,
        #[arg(short, long)]
        workdir: Option<String>,
        container: String,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<String>,
    },
    /// Manage pods.
    #[command(subcommand)]
    Pod(PodCommand),
    /// Manage volumes.
    #[command(subcommand)]
    Volume(VolumeCommand),
    /// Manage images.
    #[command(subcommand)]
    Image(ImageCommand),
    /// Mount a container's root file system; prints its path.
    Mount { name: String },
    /// Release a mount of a container's root file system.
    Unmount {
        name: String,
        #[arg(short, long)]
        force: bool,
    },
    /// Stream events until interrupted.
    Events {
        #[arg(short, long)]
        filter: Vec<String>,
        /// Begin with the kept events since then (Unix seconds or e.g. 10m).
        #[arg(long)]
        since: Option<String>,
    },
    /// Show what the engine is and holds.
    Info,
    /// System-wide operations.
    #[command(subcommand)]
    System(SystemCommand),
}

#[derive(clap::Args)]
struct CreateArgs {
    /// A host directory to use as the root file system.
    #[arg(long)]
    rootfs: Option<String>,
    /// An image reference (instead of --rootfs).
    #[arg(long)]
    image: Option<String>,
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    pod: Option<String>,
    /// KEY=VALUE
    #[arg(short, long)]
    env: Vec<String>,
    /// KEY=VALUE
    #[arg(short, long)]
    label: Vec<String>,
    /// [NAME:]DEST[:OPTS], no name for an anonymous volume.
    #[arg(short, long)]
    volume: Vec<String>,
    /// NAME=HOSTFILE, shown at /run/secrets/NAME.
    #[arg(long)]
    secret: Vec<String>,
    #[arg(long)]
    stop_signal: Option<String>,
    #[arg(long)]
    stop_timeout: Option<i64>,
    #[arg(long)]
    shm_size: Option<String>,
    #[arg(long)]
    timezone: Option<String>,
    #[arg(long)]
    log_driver: Option<String>,
    #[arg(long)]
    runtime: Option<String>,
    #[arg(long)]
    cgroup_parent: Option<String>,
    #[arg(long)]
    no_cgroups: bool,
    #[arg(long)]
    depends_on: Vec<String>,
    /// Remove the container when it exits.
    #[arg(long)]
    rm: bool,
    #[arg(long)]
    memory: Option<i64>,
    #[arg(long)]
    pids_limit: Option<i64>,
    #[arg(long)]
    cpu_weight: Option<i64>,
    /// private (loopback only) or host.
    #[arg(long)]
    network: Option<String>,
    /// The command and its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    command: Vec<String>,
}

/// `pod ls` and `volume ls`.
#[derive(clap::Args)]
struct ListArgs {
    #[arg(short, long)]
    filter: Vec<String>,
    /// table or json.
    #[arg(long, default_value = "table")]
    format: String,
}

/// `pod rm` and `volume rm`.
#[derive(clap::Args)]
struct RmArgs {
    names: Vec<String>,
    #[arg(short, long)]
    force: bool,
}

#[derive(Subcommand)]
enum PodCommand {
    Create {
        #[arg(long)]
        name: Option<String>,
        #[arg(short, long)]
        label: Vec<String>,
        #[arg(long)]
        cgroup_parent: Option<String>,
        /// Do not put members under the pod's own cgroup.
        #[arg(long)]
        no_share_cgroup: bool,
        /// Add an infra container.
        #[arg(long)]
        infra: bool,
    },
    Inspect {
        name: String,
    },
    Exists {
        name: String,
    },
    #[command(alias = "ls")]
    List(ListArgs),
    Rm(RmArgs),
    /// Start a pod's containers, infra first.
    Start {
        name: String,
    },
    /// Stop a pod's containers.
    Stop {
        name: String,
        #[arg(short, long)]
        time: Option<i64>,
    },
    /// Signal a pod's containers.
    Kill {
        name: String,
        #[arg(short, long)]
        signal: Option<String>,
    },
}

#[derive(Subcommand)]
enum VolumeCommand {
    Create {
        name: Option<String>,
        #[arg(short, long)]
        label: Vec<String>,
    },
    Inspect {
        name: String,
    },
    Exists {
        name: String,
    },
    #[command(alias = "ls")]
    List(ListArgs),
    Rm(RmArgs),
    Prune {
        #[arg(long)]
        filter: Vec<String>,
    },
}

#[derive(Subcommand)]
enum ImageCommand {
    /// Import an OCI layout directory, OCI archive or docker-save archive.
    Import {
        path: String,
        reference: Option<String>,
    },
    /// Pull an image from a registry.
    Pull {
        reference: String,
        /// user:password for the registry.
        #[arg(long)]
        creds: Option<String>,
        /// Verify the registry's certificate (false: also allow plain HTTP).
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
        tls_verify: bool,
        /// Print only the image ID.
        #[arg(short, long)]
        quiet: bool,
    },
    #[command(alias = "ls")]
    List {
        #[arg(long, default_value = "table")]
        format: String,
    },
    Inspect {
        reference: String,
    },
    Tag {
        reference: String,
        name: String,
    },
    Rm {
        references: Vec<String>,
        #[arg(short, long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum SystemCommand {
    /// Compare the database with the disk.
    Check {
        #[arg(long)]
        repair: bool,
    },
    /// Prune containers, pods and volumes.
    Prune,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(ClientError::Remote { error, parameters }) => {
            eprintln!("Error: {error}: {parameters}");
            ExitCode::from(125)
        }
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::from(125)
        }
    }
}

/// `KEY=VALUE` strings as a JSON object.
fn pairs(items: &[String]) -> Value {
    let map: Map<String, Value> = items
        .iter()
        .map(|i| match i.split_once('=') {
            Some((k, v)) => (k.to_string(), json!(v)),
            None => (i.clone(), json!("")),
        })
        .collect();
    Value::Object(map)
}

/// `[NAME:]DEST[:OPTS]` as a VolumeMount.
fn volume_mount(spec: &str) -> Value {
    let parts: Vec<&str> = spec.split(':').collect();
    let (name, dest, opts) = match parts.as_slice() {
        [dest] => (None, *dest, None),
        [a, b] if a.starts_with('/') => (None, *a, Some(*b)),
        [name, dest] => (Some(*name), *dest, None),
        [name, dest, opts, ..] => (Some(*name), *dest, Some(*opts)),
        [] => (None, "", None),
    };
    json!({ "name": name, "destination": dest, "options": opts.map(|o| o.split(',').collect::<Vec<_>>()) })
}

fn run(cli: Cli) -> Result<ExitCode, ClientError> {
    let mut c = Client::connect(&cli.address)?;
    let ok = Ok(ExitCode::SUCCESS);
    match cli.command {
        Command::Create(a) => {
            let r = c.call("io.berth.Container.Create", json!({ "options": create_options(&a) }))?;
            println!("{}", r["id"].as_str().unwrap_or_default());
        }
        Command::Run { detach, create } => return run_container(&mut c, &cli.address, &create, detach),
        Command::Init { names } => each(&mut c, "io.berth.Container.Init", &names, json!({}))?,
        Command::Start { names } => each(&mut c, "io.berth.Container.Start", &names, json!({}))?,
        Command::Stop { names, time } => each(&mut c, "io.berth.Container.Stop", &names, json!({ "timeout": time }))?,
        Command::Kill { names, signal } => {
            each(&mut c, "io.berth.Container.Kill", &names, json!({ "signal": signal }))?
        }
        Command::Pause { names } => each(&mut c, "io.berth.Container.Pause", &names, json!({}))?,
        Command::Unpause { names } => each(&mut c, "io.berth.Container.Unpause", &names, json!({}))?,
        Command::Restart { names, time } => {
            each(&mut c, "io.berth.Container.Restart", &names, json!({ "timeout": time }))?
        }
        Command::Wait { names } => {
            for n in names {
                println!("{}", c.call("io.berth.Container.Wait", json!({ "nameOrId": n }))?["exitCode"]);
            }
        }
        Command::Logs { name, follow, tail } => print_logs(&mut c, &name, follow, tail)?,
        Command::Exec { env, user, workdir, container, command } => {
            let r = c.call(
                "io.berth.Container.Exec",
                json!({ "nameOrId": container, "command": command, "env": pairs(&env), "user": user, "workDir": workdir }),
            )?;
            print!("{}", r["stdout"].as_str().unwrap_or_default());
            eprint!("{}", r["stderr"].as_str().unwrap_or_default());
            return Ok(ExitCode::from(r["exitCode"].as_i64().unwrap_or(0).clamp(0, 255) as u8));
        }
        Command::Ps { all, filter, latest, quiet, format } => {
            let r = c.call("io.berth.Container.List", json!({ "all": all, "filters": filter, "latest": latest }))?;
            let list = r["containers"].as_array().cloned().unwrap_or_default();
            if format == "json" {
                pretty(&list);
            } else if quiet {
                list.iter().for_each(|c| println!("{}", short(&c["id"])));
            } else {
                print_ps(&list);
            }
        }
        Command::Inspect { names, size } => {
            let mut out = Vec::new();
            for n in names {
                out.push(
                    c.call("io.berth.Container.Inspect", json!({ "nameOrId": n, "size": size }))?["container"].take(),
                );
            }
            pretty(&out);
        }
        Command::Exists { name } => {
            let r = c.call("io.berth.Container.Exists", json!({ "nameOrId": name }))?;
            return Ok(exists_code(&r));
        }
        Command::Rename { container, new_name } => {
            c.call("io.berth.Container.Rename", json!({ "nameOrId": container, "newName": new_name }))?;
        }
        Command::Rm { names, force, volumes } => {
            for n in names {
                let r =
                    c.call("io.berth.Container.Remove", json!({ "nameOrId": n, "force": force, "volumes": volumes }))?;
                println!("{}", r["id"].as_str().unwrap_or_default());
            }
        }
        Command::Evict { name, volumes } => {
            let r = c.call("io.berth.Container.Evict", json!({ "nameOrId": name, "volumes": volumes }))?;
            println!("{}", r["id"].as_str().unwrap_or_default());
        }
        Command::Prune { filter } => {
            let r = c.call("io.berth.Container.Prune", json!({ "filters": filter }))?;
            let mut total = 0;
            for rep in r["reports"].as_array().into_iter().flatten() {
                match rep["error"].as_str() {
                    Some(e) => eprintln!("{}: {e}", rep["id"].as_str().unwrap_or_default()),
                    None => println!("{}", rep["id"].as_str().unwrap_or_default()),
                }
                total += rep["size"].as_i64().unwrap_or(0);
            }
            println!("Total reclaimed space: {total} B");
        }
        Command::Pod(p) => return pod(&mut c, p),
        Command::Volume(v) => return volume(&mut c, v),
        Command::Image(i) => return image(&mut c, i),
        Command::Mount { name } => {
            println!(
                "{}",
                c.call("io.berth.Storage.Mount", json!({ "nameOrId": name }))?["path"].as_str().unwrap_or_default()
            );
        }
        Command::Unmount { name, force } => {
            c.call("io.berth.Storage.Unmount", json!({ "nameOrId": name, "force": force }))?;
        }
        Command::Events { mut filter, since } => {
            filter.extend(since.map(|s| format!("since={s}")));
            c.stream("io.berth.System.Events", json!({ "filters": filter }), |r| {
                let e = &r["event"];
                println!(
                    "{} {} {} {} (name={})",
                    e["time"],
                    e["type"].as_str().unwrap_or_default(),
                    e["action"].as_str().unwrap_or_default(),
                    e["id"].as_str().unwrap_or_default(),
                    e["name"].as_str().unwrap_or_default()
                );
                true
            })?;
        }
        Command::Info => {
            let r = c.call("io.berth.System.Info", json!({}))?;
            pretty(&r);
        }
        Command::System(SystemCommand::Check { repair }) => {
            let r = c.call("io.berth.System.Check", json!({ "repair": repair }))?;
            let problems = r["problems"].as_array().cloned().unwrap_or_default();
            for p in &problems {
                println!(
                    "{} {}: {}{}",
                    p["kind"].as_str().unwrap_or_default(),
                    p["id"].as_str().unwrap_or_default(),
                    p["description"].as_str().unwrap_or_default(),
                    if p["repaired"] == json!(true) { " (repaired)" } else { "" }
                );
            }
            if problems.is_empty() {
                println!("no problems found");
            }
        }
        Command::System(SystemCommand::Prune) => {
            let r = c.call("io.berth.System.Prune", json!({}))?;
            pretty(&r);
        }
    }
    ok
}

/// The Create options of `create` and `run`.
fn create_options(a: &CreateArgs) -> Value {
    json!({
        "rootfs": a.rootfs, "image": a.image, "command": a.command, "name": a.name, "pod": a.pod,
        "env": pairs(&a.env), "labels": pairs(&a.label),
        "volumes": a.volume.iter().map(|v| volume_mount(v)).collect::<Vec<_>>(),
        "secrets": a.secret.iter().filter_map(|s| s.split_once('=')).map(|(n, p)| json!({"name": n, "source": p})).collect::<Vec<_>>(),
        "stopSignal": a.stop_signal, "stopTimeout": a.stop_timeout, "shmSize": a.shm_size,
        "timezone": a.timezone, "logDriver": a.log_driver, "runtime": a.runtime,
        "cgroupParent": a.cgroup_parent, "noCgroups": a.no_cgroups, "dependsOn": a.depends_on,
        "autoRemove": a.rm, "network": a.network,
        "resources": { "memoryMax": a.memory, "pidsMax": a.pids_limit, "cpuWeight": a.cpu_weight },
    })
}

/// Call `method` for each name, printing the IDs, as podman's verbs do.
fn each(c: &mut Client, method: &str, names: &[String], extra: Value) -> Result<(), ClientError> {
    for n in names {
        let mut params = extra.clone();
        params["nameOrId"] = json!(n);
        println!("{}", c.call(method, params)?["id"].as_str().unwrap_or_default());
    }
    Ok(())
}

/// `run`: create, start, then (attached) follow the output and exit with the
/// container's code. Attached, `--rm` removes the container after its output
/// is read; detached, the engine removes it when it exits (autoRemove).
fn run_container(c: &mut Client, address: &str, a: &CreateArgs, detach: bool) -> Result<ExitCode, ClientError> {
    let mut options = create_options(a);
    options["autoRemove"] = json!(a.rm && detach);
    let id = c.call("io.berth.Container.Create", json!({ "options": options }))?["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    c.call("io.berth.Container.Start", json!({ "nameOrId": id }))?;
    if detach {
        println!("{id}");
        return Ok(ExitCode::SUCCESS);
    }
    let mut waiter = Client::connect(address)?;
    let waited = id.clone();
    let wait = std::thread::spawn(move || waiter.call("io.berth.Container.Wait", json!({ "nameOrId": waited })));
    let _ = print_logs(c, &id, true, None);
    let code = wait.join().map_err(|_| ClientError::Protocol("wait thread".into()))??;
    if a.rm {
        c.call("io.berth.Container.Remove", json!({ "nameOrId": id, "force": true, "volumes": true }))?;
    }
    Ok(ExitCode::from(code["exitCode"].as_i64().unwrap_or(0).clamp(0, 255) as u8))
}

fn print_logs(c: &mut Client, name: &str, follow: bool, tail: Option<i64>) -> Result<(), ClientError> {
    let print = |r: Value| {
        for l in r["lines"].as_array().into_iter().flatten() {
            let text = l["text"].as_str().unwrap_or_default();
            if l["stream"] == "stderr" {
                eprintln!("{text}");
            } else {
                println!("{text}");
            }
        }
        true
    };
    let params = json!({ "nameOrId": name, "follow": follow, "tail": tail });
    if follow {
        c.stream("io.berth.Container.Logs", params, print)
    } else {
        print(c.call("io.berth.Container.Logs", params)?);
        Ok(())
    }
}

fn pod(c: &mut Client, cmd: PodCommand) -> Result<ExitCode, ClientError> {
    match cmd {
        PodCommand::Create { name, label, cgroup_parent, no_share_cgroup, infra } => {
            let r = c.call(
                "io.berth.Pod.Create",
                json!({ "name": name, "labels": pairs(&label), "cgroupParent": cgroup_parent,
                        "shareCgroup": !no_share_cgroup, "infra": infra }),
            )?;
            println!("{}", r["id"].as_str().unwrap_or_default());
        }
        PodCommand::Inspect { name } => {
            let r = c.call("io.berth.Pod.Inspect", json!({ "nameOrId": name }))?;
            pretty(&r["pod"]);
        }
        PodCommand::Exists { name } => {
            let r = c.call("io.berth.Pod.Exists", json!({ "nameOrId": name }))?;
            return Ok(exists_code(&r));
        }
        PodCommand::List(ListArgs { filter, format }) => {
            let r = c.call("io.berth.Pod.List", json!({ "filters": filter }))?;
            let pods = r["pods"].as_array().cloned().unwrap_or_default();
            if format == "json" {
                pretty(&pods);
            } else {
                println!("{:<14}{:<24}{:<16}# OF CONTAINERS", "POD ID", "NAME", "CREATED");
                for p in pods {
                    println!(
                        "{:<14}{:<24}{:<16}{}",
                        short(&p["id"]),
                        p["name"].as_str().unwrap_or_default(),
                        ago(p["created"].as_i64().unwrap_or(0)),
                        p["containers"].as_array().map_or(0, |a| a.len())
                    );
                }
            }
        }
        PodCommand::Start { name } => print_ids(c.call("io.berth.Pod.Start", json!({ "nameOrId": name }))?),
        PodCommand::Stop { name, time } => {
            print_ids(c.call("io.berth.Pod.Stop", json!({ "nameOrId": name, "timeout": time }))?)
        }
        PodCommand::Kill { name, signal } => {
            print_ids(c.call("io.berth.Pod.Kill", json!({ "nameOrId": name, "signal": signal }))?)
        }
        PodCommand::Rm(RmArgs { names, force }) => {
            for n in names {
                let r = c.call("io.berth.Pod.Remove", json!({ "nameOrId": n, "force": force }))?;
                println!("{}", r["id"].as_str().unwrap_or_default());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn volume(c: &mut Client, cmd: VolumeCommand) -> Result<ExitCode, ClientError> {
    match cmd {
        VolumeCommand::Create { name, label } => {
            let r = c.call("io.berth.Volume.Create", json!({ "name": name, "labels": pairs(&label) }))?;
            println!("{}", r["name"].as_str().unwrap_or_default());
        }
        VolumeCommand::Inspect { name } => {
            let r = c.call("io.berth.Volume.Inspect", json!({ "name": name }))?;
            pretty(&r["volume"]);
        }
        VolumeCommand::Exists { name } => {
            let r = c.call("io.berth.Volume.Exists", json!({ "name": name }))?;
            return Ok(exists_code(&r));
        }
        VolumeCommand::List(ListArgs { filter, format }) => {
            let r = c.call("io.berth.Volume.List", json!({ "filters": filter }))?;
            let vols = r["volumes"].as_array().cloned().unwrap_or_default();
            if format == "json" {
                pretty(&vols);
            } else {
                println!("{:<10}VOLUME NAME", "DRIVER");
                vols.iter().for_each(|v| println!("{:<10}{}", "local", v["name"].as_str().unwrap_or_default()));
            }
        }
        VolumeCommand::Rm(RmArgs { names, force }) => {
            for n in names {
                let r = c.call("io.berth.Volume.Remove", json!({ "name": n, "force": force }))?;
                println!("{}", r["name"].as_str().unwrap_or_default());
            }
        }
        VolumeCommand::Prune { filter } => {
            let r = c.call("io.berth.Volume.Prune", json!({ "filters": filter }))?;
            for rep in r["reports"].as_array().into_iter().flatten() {
                println!("{}", rep["name"].as_str().unwrap_or_default());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn image(c: &mut Client, cmd: ImageCommand) -> Result<ExitCode, ClientError> {
    match cmd {
        ImageCommand::Import { path, reference } => {
            let path = std::fs::canonicalize(&path).map_or(path, |p| p.display().to_string());
            let r = c.call("io.berth.Image.Import", json!({ "path": path, "reference": reference }))?;
            println!("{}", r["id"].as_str().unwrap_or_default());
        }
        ImageCommand::Pull { reference, creds, tls_verify, quiet } => {
            let params = json!({ "reference": reference, "credentials": creds, "tlsVerify": tls_verify });
            c.stream("io.berth.Image.Pull", params, |r| {
                let digest = r["digest"].as_str().unwrap_or_default();
                match r["status"].as_str().unwrap_or_default() {
                    "pulled" => println!("{}", r["id"].as_str().unwrap_or_default()),
                    _ if quiet => {}
                    "resolving" => eprintln!("Resolving {reference}"),
                    "exists" => eprintln!("Layer {digest} already stored"),
                    "unpacking" => eprintln!("Unpacking {digest}"),
                    "downloading" if r["current"] == r["total"] => {
                        eprintln!("Copied blob {digest} ({} bytes)", r["total"])
                    }
                    _ => {}
                }
                true
            })?;
        }
        ImageCommand::List { format } => {
            let r = c.call("io.berth.Image.List", json!({}))?;
            let images = r["images"].as_array().cloned().unwrap_or_default();
            if format == "json" {
                pretty(&images);
            } else {
                println!("{:<40}{:<14}{:<16}SIZE", "REPOSITORY:TAG", "IMAGE ID", "CREATED");
                for i in images {
                    let names: Vec<&str> =
                        i["names"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                    for name in if names.is_empty() { vec!["<none>"] } else { names } {
                        println!(
                            "{:<40}{:<14}{:<16}{}",
                            name,
                            short(&i["id"]),
                            ago(i["created"].as_i64().unwrap_or(0)),
                            i["size"]
                        );
                    }
                }
            }
        }
        ImageCommand::Inspect { reference } => {
            let r = c.call("io.berth.Image.Inspect", json!({ "reference": reference }))?;
            pretty(&r["image"]);
        }
        ImageCommand::Tag { reference, name } => {
            c.call("io.berth.Image.Tag", json!({ "reference": reference, "name": name }))?;
        }
        ImageCommand::Rm { references, force } => {
            for r in references {
                let out = c.call("io.berth.Image.Remove", json!({ "reference": r, "force": force }))?;
                let verb = if out["removed"] == json!(true) { "Deleted" } else { "Untagged" };
                println!("{verb}: {}", if verb == "Deleted" { out["id"].as_str().unwrap_or_default() } else { &r });
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A pod command's answer: the pod, then the containers it acted on.
fn print_ids(reply: Value) {
    println!("{}", reply["id"].as_str().unwrap_or_default());
    for id in reply["containers"].as_array().into_iter().flatten() {
        println!("  {}", id.as_str().unwrap_or_default());
    }
}

/// `exists` commands answer with their exit code: 0 yes, 1 no.
fn exists_code(reply: &Value) -> ExitCode {
    if reply["exists"] == json!(true) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn pretty(value: &impl serde::Serialize) {
    println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}

fn short(id: &Value) -> &str {
    let id = id.as_str().unwrap_or_default();
    &id[..id.len().min(12)]
}

/// "5 seconds ago", as podman ps shows creation times (given in microseconds).
fn ago(usec: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let s = (now - usec / 1_000_000).max(0);
    let (n, unit) = match s {
        0..60 => (s, "second"),
        60..3600 => (s / 60, "minute"),
        3600..86400 => (s / 3600, "hour"),
        _ => (s / 86400, "day"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

fn print_ps(list: &[Value]) {
    println!("{:<14}{:<22}{:<22}{:<16}{:<16}NAMES", "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS");
    for c in list {
        let command: Vec<&str> = c["command"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        let mut command = command.join(" ");
        // Cut at a character, not a byte: a command may be any text.
        if command.chars().count() > 20 {
            command = command.chars().take(17).chain("...".chars()).collect();
        }
        let state = c["state"].as_str().unwrap_or_default();
        let status = match (state, c["exitCode"].as_i64()) {
            ("exited", Some(code)) => format!("Exited ({code})"),
            (s, _) => s.to_string(),
        };
        println!(
            "{:<14}{:<22}{:<22}{:<16}{:<16}{}",
            short(&c["id"]),
            c["image"].as_str().unwrap_or_default(),
            command,
            ago(c["created"].as_i64().unwrap_or(0)),
            status,
            c["name"].as_str().unwrap_or_default()
        );
    }
}
