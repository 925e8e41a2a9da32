//! One function per subcommand, wiring the pure modules to the I/O modules.

use crate::cli::{Cli, Command};

pub fn init_logging(cli: &Cli) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&cli.log_level));
    let json = matches!(&cli.command, Command::Sync(a) if a.format == crate::cli::Format::Json);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Run a command; Ok(exit code).
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Generate(_a) => todo_cmd("generate"),
        Command::Apply(_a) => todo_cmd("apply"),
        Command::Sync(_a) => todo_cmd("sync"),
    }
}

fn todo_cmd(name: &str) -> anyhow::Result<u8> {
    Err(crate::error::fail(
        crate::error::Kind::Config,
        format!("`smt {name}` is not wired yet"),
    ))
}
