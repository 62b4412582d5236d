//! `berthctl generate unit NAME`: the unit file for a container like an
//! existing one (`--service`: the service berth-generator makes of it).

use crate::error::Failure;
use crate::Connection;
use berth::api::varlink::generated::container::{VarlinkClient, VarlinkClientInterface};
use berth::unit_file::{describe, generate, UnitFile};
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Print a .container file that runs a new container like this one
    /// (for /etc/berth/systemd/; see berth-generator).
    Unit {
        container: String,
        /// Print the service berth-generator makes of it instead.
        #[arg(long)]
        service: bool,
    },
}

pub fn run(conn: &Connection, cmd: Command) -> Result<ExitCode, Failure> {
    let Command::Unit { container, service } = cmd;
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
