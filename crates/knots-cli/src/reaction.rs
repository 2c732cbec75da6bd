//! `knots reaction add|edit|delete`: adverse reactions after a treatment (the ice that burned,
//! bruising, soreness for two days after deep work). Glue: the rules are the core's
//! (`Reaction::validate`) and the app's (the treatment named must exist and come first).

use crate::args::{DeleteArgs, EditArgs, When};
use anyhow::Result;
use clap::{Args, Subcommand};
use jiff::Zoned;
use knots_app::record;
use knots_core::change::{Kind, Record};
use knots_core::journal::{Reaction, ReactionKind};
use knots_core::{Nrs, UnknownId};
use knots_store::Store;

/// `knots reaction …`.
#[derive(Debug, Subcommand)]
pub enum ReactionCmd {
    /// Record an adverse reaction after a treatment.
    Add(ReactionAddArgs),
    /// Correct fields of a record: `edit ID --field value…` (`--field null` clears one).
    Edit(EditArgs),
    /// Delete a record (asks on a terminal unless `--yes`).
    Delete(DeleteArgs),
}

/// Arguments of `knots reaction add`.
#[derive(Debug, Args)]
pub struct ReactionAddArgs {
    /// soreness, bruising, burn, skin, tingling, swelling or other.
    #[arg(long, value_parser = reaction_kind)]
    pub kind: ReactionKind,
    /// How bad, 0-10.
    #[arg(long, value_parser = nrs)]
    pub severity: Nrs,
    /// How long it lasted, hours.
    #[arg(long)]
    pub hours: Option<f64>,
    /// The treatment it followed (its id, as `knots log` shows it).
    #[arg(long)]
    pub treatment: Option<i64>,
    /// When it began.
    #[command(flatten)]
    pub when: When,
    /// Free text.
    #[arg(long)]
    pub note: Option<String>,
    /// Print the new id as JSON.
    #[arg(long)]
    pub json: bool,
}

fn reaction_kind(s: &str) -> Result<ReactionKind, UnknownId> {
    s.parse()
}

fn nrs(s: &str) -> Result<Nrs, knots_core::scale::OutOfRange> {
    s.parse()
}

/// Runs `knots reaction …`.
pub fn run<S: Store>(store: &mut S, cmd: ReactionCmd, now: &Zoned) -> Result<()> {
    match cmd {
        ReactionCmd::Add(a) => {
            let reaction = Reaction {
                at: a.when.at.unwrap_or(now.timestamp()),
                kind: a.kind,
                severity: a.severity,
                hours: a.hours,
                treatment: a.treatment,
                note: a.note,
            };
            let id = record::add(
                store,
                &Record::Reaction(reaction),
                crate::commands::rules(now, false),
            )?;
            crate::commands::added("reaction", id, a.json)
        }
        ReactionCmd::Edit(a) => crate::edit::edit(store, Kind::Reaction, a, now),
        ReactionCmd::Delete(a) => crate::edit::delete(store, Kind::Reaction, a, now),
    }
}
