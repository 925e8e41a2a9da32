use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = smt::cli::Cli::parse();
    smt::app::init_logging(&cli);
    match smt::app::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(smt::error::exit_code_of(&err))
        }
    }
}
