//! The `knots` command: argument parsing, opening the journal, and printing. Logic lives in
//! `knots-core` (rules and analytics) and `knots-store` (the journal); this crate is glue.
#![forbid(unsafe_code)]

mod args;
mod clinic;
mod commands;
mod edit;
mod import;
mod output;
mod reaction;
mod report;
mod search;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
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
