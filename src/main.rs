use clap::Parser;
use std::process::ExitCode;

/// mimalloc: the snapshot's reader threads allocate rows and body buffers that other threads
/// free; glibc's arenas contend on exactly that pattern (see the README's Benchmarks for the
/// figure). Built with `no_thp` (Cargo.toml): with transparent huge pages mimalloc's purges of
/// freed memory and the faults that follow zero 2 MiB at a time — perf showed 66% of a
/// snapshot's samples in the kernel's `clear_page_erms`, system time 0.06–0.44 s for 200k rows
/// against 0.10–0.14 s without.
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
