//! The `knots` command: argument parsing, opening the journal, and printing. Logic lives in
//! `knots-core` (rules and analytics) and `knots-store` (the journal); this crate is glue.
#![forbid(unsafe_code)]

/// mimalloc, not the system allocator. With glibc's, the import's large per-file buffers were
/// given back to the kernel and faulted in again, zeroed, at random: the same one-core import took
/// 0.66 s or 0.85 s (6,000 or 100,000 page faults) from run to run (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod args;
mod clinic;
mod commands;
mod config;
mod edit;
mod ics;
mod import;
mod output;
mod pipeline;
mod reaction;
mod report;
mod search;
mod share;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // The unit preference is settled before parsing: a plain number typed for a distance is in it.
    let config = match config::load().and_then(|c| config::init(&c).map(|()| c)) {
        Ok(c) => c,
        Err(err) => {
            eprintln!("error: {}", output::terminal_safe(&format!("{err:#}")));
            return ExitCode::from(output::exit_code(&err));
        }
    };
    let cli = args::Cli::parse();
    match commands::run(cli, &config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if output::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {}", output::terminal_safe(&format!("{err:#}")));
            ExitCode::from(output::exit_code(&err))
        }
    }
}
