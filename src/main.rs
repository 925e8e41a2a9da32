use clap::Parser;
use std::process::ExitCode;

/// mimalloc: the snapshot's reader thread allocates what the loading thread frees; glibc's
/// arenas contend on exactly that pattern (see the README's Benchmarks for the figure).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = smt::cli::Cli::parse();
    smt::app::init_logging(&cli);
    let json = cli.command.format() == smt::cli::Format::Json;
    match smt::app::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {}", smt::error::display(&err));
            if json {
                println!("{}", smt::error::to_json(&err));
            }
            ExitCode::from(smt::error::exit_code_of(&err))
        }
    }
}
