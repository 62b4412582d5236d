//! `berthctl image ...`

use crate::error::Failure;
use crate::output::{self, ago, human_size, print_list, short, Format};
use crate::Connection;
use berth::api::varlink::generated::image::{Pull_Reply, VarlinkClient, VarlinkClientInterface};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Import an OCI layout directory, OCI archive or docker-save archive.
    Import { path: String, reference: Option<String> },
    /// Pull an image from a registry.
    Pull {
        reference: String,
        #[command(flatten)]
        how: PullArgs,
    },
    /// List images.
    #[command(alias = "ls")]
    List(ImagesArgs),
    /// Show images' configuration.
    Inspect {
        #[arg(required = true)]
        references: Vec<String>,
        /// json, or a template such as '{{.Id}}'.
        #[arg(short, long, default_value = "json")]
        format: String,
    },
    /// Give an image one more name.
    Tag { reference: String, name: String },
    /// Mount images read-only and print where; with none, list the
    /// mounted ones.
    Mount {
        references: Vec<String>,
        /// Every image, printed with its name.
        #[arg(short, long)]
        all: bool,
        /// json for the list.
        #[arg(long, default_value = "table")]
        format: String,
    },
    /// Release mounts of images; prints the IDs of those now unmounted.
    #[command(alias = "unmount")]
    Umount {
        references: Vec<String>,
        /// Every mounted image.
        #[arg(short, long)]
        all: bool,
        /// Every mount of each, not only one.
        #[arg(short, long)]
        force: bool,
    },
    /// Take names from an image (all of them without NAMEs); the image stays.
    Untag { reference: String, names: Vec<String> },
    /// Exit 0 if the image exists, 1 if not.
    Exists { reference: String },
    /// Remove images without a name (-a: every one no container uses).
    Prune {
        #[arg(short, long)]
        all: bool,
        /// Do not ask (berthctl never does; taken as podman's scripts give it).
        #[arg(short, long)]
        force: bool,
    },
    /// Remove images, or names of them.
    Rm {
        #[arg(required = true)]
        references: Vec<String>,
        #[arg(short, long)]
        force: bool,
    },
}

// How to pull, for `image pull` and for `run` and `create`.
#[derive(clap::Args)]
pub struct PullArgs {
    /// user:password for the registry.
    #[arg(long)]
    pub creds: Option<String>,
    /// Verify the registry's certificate (false: also allow plain HTTP).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub tls_verify: bool,
    /// No progress (image pull prints only the image ID).
    #[arg(short, long)]
    pub quiet: bool,
    /// The instance of a multi-platform image: os/arch[/variant].
    #[arg(long)]
    pub platform: Option<String>,
    /// Its architecture (amd64, arm64...), for this machine's OS.
    #[arg(long)]
    pub arch: Option<String>,
    /// Its operating system.
    #[arg(long)]
    pub os: Option<String>,
    /// Its architecture's variant (v7, v8...).
    #[arg(long)]
    pub variant: Option<String>,
}

impl PullArgs {
    /// The platform asked for, as the engine takes it (os/arch[/variant];
    /// an empty part is the engine's own).
    pub fn platform(&self) -> Result<Option<String>, Failure> {
        if self.platform.is_some() && (self.arch.is_some() || self.os.is_some()) {
            return Err(Failure::engine("--platform option can not be specified with --arch or --os"));
        }
        if let Some(p) = &self.platform {
            return Ok(Some(p.clone()));
        }
        if self.arch.is_none() && self.os.is_none() && self.variant.is_none() {
            return Ok(None);
        }
        let (os, arch) = (self.os.as_deref().unwrap_or(""), self.arch.as_deref().unwrap_or(""));
        Ok(Some(match &self.variant {
            Some(v) => format!("{os}/{arch}/{v}"),
            None => format!("{os}/{arch}"),
        }))
    }
}

/// Pull an image, showing podman's "Trying to pull" and progress on
/// standard error unless quiet; its ID.
pub fn pull(conn: &Connection, reference: String, how: &PullArgs) -> Result<String, Failure> {
    let mut c = VarlinkClient::new(conn.handle.clone());
    let mut progress = Progress::new(how.quiet);
    if !how.quiet {
        eprintln!("Trying to pull {reference}...");
    }
    for step in c.pull(reference, how.creds.clone(), Some(how.tls_verify), how.platform()?).more()? {
        let step = step?;
        if step.status == "pulled" {
            progress.finish();
            return Ok(step.id.unwrap_or_default());
        }
        progress.show(&step);
    }
    Err(Failure::engine("the pull ended without an image"))
}

// `images` and `image ls`.
#[derive(clap::Args)]
pub struct ImagesArgs {
    /// Only these images (names or IDs).
    references: Vec<String>,
    /// table, json, or a template such as '{{.Repository}}:{{.Tag}}'.
    #[arg(long, default_value = "table")]
    format: String,
    /// Only IDs.
    #[arg(short, long)]
    quiet: bool,
    /// Whole IDs, as sha256:ID.
    #[arg(long)]
    no_trunc: bool,
}

pub fn run(conn: &Connection, cmd: Command) -> Result<ExitCode, Failure> {
    let mut c = VarlinkClient::new(conn.handle.clone());
    match cmd {
        Command::Import { path, reference } => {
            // The engine reads the path: make it absolute from here.
            let path = std::fs::canonicalize(&path).map_or(path, |p| p.display().to_string());
            println!("{}", c.import(path, reference).call()?.id);
        }
        Command::Pull { reference, how } => println!("{}", pull(conn, reference, &how)?),
        Command::List(ImagesArgs { references, format, quiet, no_trunc }) => {
            let mut images = c.list().call()?.images;
            if !references.is_empty() {
                let wanted: Vec<String> = references
                    .into_iter()
                    .map(|r| c.inspect(r).call().map(|i| i.image.id))
                    .collect::<Result<_, _>>()?;
                images.retain(|i| wanted.contains(&i.id));
            }
            let id = |i: &str| if no_trunc { format!("sha256:{i}") } else { short(i).to_string() };
            if quiet {
                images.iter().for_each(|i| println!("{}", id(&i.id)));
                return Ok(ExitCode::SUCCESS);
            }
            let mut rows = Vec::new();
            for i in &images {
                let names = if i.names.is_empty() { vec!["<none>:<none>".to_string()] } else { i.names.clone() };
                for name in names {
                    let (repository, tag) = split_name(&name);
                    rows.push(json!({ "Repository": repository, "Tag": tag, "ID": id(&i.id),
                        "Created": ago(i.created), "Size": human_size(i.size.max(0) as u64), "Containers": i.containers }));
                }
            }
            const COLUMNS: &[output::Column] = &[
                ("REPOSITORY", "Repository"),
                ("TAG", "Tag"),
                ("IMAGE ID", "ID"),
                ("CREATED", "Created"),
                ("SIZE", "Size"),
            ];
            print_list(&Format::parse(&format)?, COLUMNS, &rows, &json!(images))?;
        }
        Command::Inspect { references, format } => {
            output::inspect_each(&format, references, |r| Ok(c.inspect(r).call()?.image))?;
        }
        Command::Tag { reference, name } => {
            c.tag(reference, name).call()?;
        }
        Command::Mount { references, all, format } => {
            if all {
                for image in c.list().call()?.images {
                    let path = c.mount(image.id.clone()).call()?.path;
                    println!("{} {path}", image.names.first().unwrap_or(&image.id));
                }
                return Ok(ExitCode::SUCCESS);
            }
            if references.is_empty() {
                let mounted = c.list_mounted().call()?.images;
                if format == "json" {
                    output::pretty(&mounted);
                } else {
                    for m in mounted {
                        println!("{} {}", m.names.first().unwrap_or(&m.id), m.path);
                    }
                }
            }
            for r in references {
                println!("{}", c.mount(r).call()?.path);
            }
        }
        Command::Umount { references, all, force } => {
            let references =
                if all { c.list_mounted().call()?.images.into_iter().map(|m| m.id).collect() } else { references };
            for r in references {
                let out = c.unmount(r, Some(force || all)).call()?;
                if out.unmounted {
                    println!("{}", out.id);
                }
            }
        }
        Command::Untag { reference, names } => {
            let image = c.inspect(reference).call()?.image;
            let names = if names.is_empty() { image.names } else { names };
            for name in names {
                c.untag(image.id.clone(), name).call()?;
            }
        }
        Command::Exists { reference } => {
            return match c.inspect(reference).call() {
                Ok(_) => Ok(crate::exists_code(true)),
                Err(e) => match Failure::from(e) {
                    f if f.name == "NoSuchImage" => Ok(crate::exists_code(false)),
                    f => Err(f),
                },
            };
        }
        Command::Prune { all, .. } => c.prune(Some(all)).call()?.images.iter().for_each(|id| println!("{id}")),
        Command::Rm { references, force } => {
            for r in references {
                let out = c.remove(r.clone(), Some(force)).call()?;
                if out.removed {
                    println!("Deleted: {}", out.id);
                } else {
                    println!("Untagged: {r}");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `registry/repo:tag` as (repository, tag), as podman images shows them.
fn split_name(name: &str) -> (&str, &str) {
    let last = name.rfind('/').map_or(0, |i| i + 1);
    match name[last..].rfind(':') {
        Some(i) => (&name[..last + i], &name[last + i + 1..]),
        None => (name, "<none>"),
    }
}

/// A pull's steps as podman shows them: on a terminal a bar per layer
/// with its bytes; elsewhere one line per layer when it is done.
struct Progress {
    quiet: bool,
    bars: Option<(MultiProgress, HashMap<String, ProgressBar>)>,
}

impl Progress {
    fn new(quiet: bool) -> Self {
        let terminal = !quiet && std::io::stderr().is_terminal();
        let bars = terminal.then(|| (MultiProgress::with_draw_target(ProgressDrawTarget::stderr()), HashMap::new()));
        Progress { quiet, bars }
    }

    fn show(&mut self, step: &Pull_Reply) {
        if self.quiet {
            return;
        }
        let digest = step.digest.clone().unwrap_or_default();
        let Some((multi, bars)) = &mut self.bars else {
            match step.status.as_str() {
                "exists" => eprintln!("Copying blob {} skipped: already exists", short_digest(&digest)),
                "downloading" if step.current == step.total => {
                    eprintln!("Copying blob {} done ({})", short_digest(&digest), human_size(total(step)))
                }
                _ => {}
            }
            return;
        };
        let bar = bars.entry(digest.clone()).or_insert_with(|| {
            let bar = multi.add(ProgressBar::new(total(step)));
            bar.set_style(
                ProgressStyle::with_template("Copying blob {msg} [{bar:30}] {bytes} / {total_bytes}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_message(short_digest(&digest).to_string());
            bar
        });
        match step.status.as_str() {
            "downloading" => {
                bar.set_length(total(step));
                bar.set_position(step.current.unwrap_or(0).max(0) as u64);
            }
            "exists" => bar.finish_with_message(format!("{} skipped: already exists", short_digest(&digest))),
            "unpacking" => bar.finish_with_message(format!("{} done", short_digest(&digest))),
            _ => {}
        }
    }

    fn finish(&mut self) {
        if let Some((multi, _)) = &self.bars {
            let _ = multi.clear();
        }
        if !self.quiet {
            eprintln!("Writing manifest to image destination");
        }
    }
}

fn total(step: &Pull_Reply) -> u64 {
    step.total.unwrap_or(0).max(0) as u64
}

/// `sha256:` and the first 12 hex digits, as podman names blobs.
fn short_digest(digest: &str) -> &str {
    &digest[..digest.len().min("sha256:".len() + 12)]
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_split_at_the_tag() {
        assert_eq!(super::split_name("demo:1"), ("demo", "1"));
        assert_eq!(super::split_name("localhost:5000/a/b:v2"), ("localhost:5000/a/b", "v2"));
        assert_eq!(super::split_name("localhost:5000/a"), ("localhost:5000/a", "<none>"));
    }
}
