use clap::Parser;
use std::process::ExitCode;

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
