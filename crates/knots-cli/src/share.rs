//! `knots share link|revoke` and `knots sync`: a runner's own journal shared with their practice's
//! clinic server. The work is `knots_app::sync`'s; this module reads arguments and prints.

use crate::output::{InputError, print, print_json};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use knots_app::Target;
use knots_app::sync::{self, LinkRequest};
use knots_core::Atlas;
use knots_core::sync::parse_shares;
use knots_store::SqliteStore;
use std::path::{Path, PathBuf};

/// `knots share …`.
#[derive(Debug, Subcommand)]
pub enum ShareCmd {
    // The help shows these lines as they are: a URL in <…> would show the brackets.
    #[allow(rustdoc::bare_urls)]
    /// Link this journal to your practice's clinic server: redeem the invitation code your
    /// therapist gave you (or log in to your runner account without one) and choose what to share.
    /// Nothing is sent until `knots sync`.
    ///
    /// Example: knots share link https://practice.example --code ABCD-EFGH-JKLM --email me@example.com --password-file pw.txt --share runs,pain,self-care,checkins
    Link(LinkArgs),
    /// Stop sharing: the practice keeps what was shared (its clinical record) and this journal
    /// forgets the link. Your own journal is never touched by the practice.
    ///
    /// Example: knots share revoke --delete-request
    Revoke(RevokeArgs),
}

/// `knots share link`.
#[derive(Debug, Args)]
pub struct LinkArgs {
    /// The clinic server: https://…, or http:// to a server on this machine. A server whose
    /// certificate the practice made itself is trusted with KNOTS_CA_CERT=its-certificate.pem.
    pub url: String,
    /// The invitation code (one use, 7 days); without it, log in to your runner account.
    #[arg(long)]
    pub code: Option<String>,
    /// Your email (your login at the practice).
    #[arg(long)]
    pub email: String,
    /// A file holding your password (first line); without it, a terminal prompt. A new account
    /// needs at least 10 characters.
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// What to share, comma-separated: runs (with their shoes), pain, self-care, checkins.
    #[arg(long, value_name = "KINDS")]
    pub share: String,
}

/// `knots share revoke`.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// Ask the practice to delete what you shared (its admin sees the request).
    #[arg(long)]
    pub delete_request: bool,
}

/// `knots sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Print JSON: {"schema", "pushed", "pulled"}.
    #[arg(long)]
    pub json: bool,
}

/// `knots program tick`.
#[derive(Debug, Subcommand)]
pub enum ProgramCmd {
    /// Tick an item of your home program done (the next `knots sync` sends it to the practice).
    ///
    /// Example: knots program tick 1 --date 2026-11-27
    Tick(TickArgs),
}

/// `knots program tick`.
#[derive(Debug, Args)]
pub struct TickArgs {
    /// The item: its number in `knots program`'s list (1 is the first) or its global id.
    pub item: String,
    /// The day (default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<jiff::civil::Date>,
    /// Take the tick back.
    #[arg(long)]
    pub undo: bool,
}

/// `knots program`.
#[derive(Debug, Args)]
pub struct ProgramArgs {
    /// `tick`, or nothing to show the checklist.
    #[command(subcommand)]
    pub action: Option<ProgramCmd>,
    /// The day of the checklist (default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<jiff::civil::Date>,
    /// Print JSON: {"schema", "date", "programs": [{"uid", "title", "items": [{"uid", "what",
    /// "dose", "per_week", "start", "end", "today", "done_today", "done"}]}]}.
    #[arg(long)]
    pub json: bool,
}

/// One item of `knots program`'s checklist.
#[derive(Debug, serde::Serialize)]
struct ItemLine<'a> {
    uid: &'a str,
    what: &'a str,
    dose: &'a str,
    per_week: u8,
    start: jiff::civil::Date,
    end: jiff::civil::Date,
    /// It runs on the checklist's day.
    today: bool,
    /// It was ticked done that day.
    done_today: bool,
    /// Days ticked so far.
    done: usize,
}

/// One program of `knots program`.
#[derive(Debug, serde::Serialize)]
struct ProgramLine<'a> {
    uid: &'a str,
    title: &'a str,
    items: Vec<ItemLine<'a>>,
}

/// `knots program`'s answer.
#[derive(Debug, serde::Serialize)]
struct Checklist<'a> {
    date: jiff::civil::Date,
    programs: Vec<ProgramLine<'a>>,
}

/// Runs `knots program` on the journal `db`: the home programs the practice sent (by `knots
/// sync`), as the day's checklist.
pub fn run_program(a: &ProgramArgs, db: &Path) -> Result<()> {
    let path = match Target::parse(db.to_path_buf()).map_err(|e| InputError(e.to_string()))? {
        Target::Sqlite(path) => path,
        other => bail!(InputError(format!(
            "`{}` is a PostgreSQL journal: home programs are read on the practice's web app",
            other.shown()
        ))),
    };
    if !path.exists() {
        bail!(InputError(format!(
            "no journal at `{}`: nothing is recorded there yet",
            path.display()
        )));
    }
    if let Some(ProgramCmd::Tick(t)) = &a.action {
        let mut store = SqliteStore::open(&path)?;
        let held = store.home_programs()?;
        let items: Vec<&knots_core::program::ProgramItem> =
            held.iter().flat_map(|(_, p)| &p.items).collect();
        let item = match t.item.parse::<usize>() {
            Ok(n) => items.get(n.wrapping_sub(1)).copied(),
            Err(_) => items.iter().copied().find(|i| i.uid == t.item),
        }
        .ok_or_else(|| {
            InputError(format!(
                "no item `{}` in your home programs: give its number in `knots program` (1 to {}) \
                 or its global id",
                t.item,
                items.len()
            ))
        })?;
        let day = t.date.unwrap_or_else(|| jiff::Zoned::now().date());
        match store.tick_item(&item.uid, day, !t.undo) {
            Err(knots_store::Error::Invalid(f)) => {
                bail!(InputError(format!("--date {day}: {}", f.message)))
            }
            other => other?,
        }
        return print(&format!(
            "{} {}: {} (sent to your practice with the next `knots sync`)",
            if t.undo { "unticked" } else { "ticked" },
            day,
            item.what
        ));
    }
    let store = SqliteStore::open_with(&path, knots_store::Access::ReadOnly)?;
    let held = store.home_programs()?;
    let day = a.date.unwrap_or_else(|| jiff::Zoned::now().date());
    let list = Checklist {
        date: day,
        programs: held
            .iter()
            .map(|(uid, p)| ProgramLine {
                uid,
                title: &p.title,
                items: p
                    .items
                    .iter()
                    .map(|i| ItemLine {
                        uid: &i.uid,
                        what: &i.what,
                        dose: &i.dose,
                        per_week: i.per_week,
                        start: i.start,
                        end: i.end,
                        today: i.runs_on(day),
                        done_today: i.done_on(day),
                        done: i.ticks.iter().filter(|t| **t <= day).count(),
                    })
                    .collect(),
            })
            .collect(),
    };
    if a.json {
        return print_json("program", &list);
    }
    if list.programs.is_empty() {
        return print(
            "no home program from your practice here yet (programs arrive with `knots sync`)",
        );
    }
    let mut out = String::new();
    for p in &list.programs {
        out.push_str(&format!("{} — {day}\n", p.title));
        for i in &p.items {
            let mark = match (i.today, i.done_today) {
                (true, true) => "[x]",
                (true, false) => "[ ]",
                (false, _) => " - ",
            };
            let dose = if i.dose.is_empty() {
                String::new()
            } else {
                format!(", {}", i.dose)
            };
            let when = if i.today {
                String::new()
            } else if day < i.start {
                " (not started)".to_string()
            } else {
                " (ended)".to_string()
            };
            out.push_str(&format!(
                "  {mark} {}{dose}; {} day{} a week, {} to {}{when}\n",
                i.what,
                i.per_week,
                if i.per_week == 1 { "" } else { "s" },
                i.start,
                i.end
            ));
        }
    }
    print(out.trim_end())
}

/// The runner's own journal: a SQLite file (`must_exist`: refuse a path with no journal).
fn journal(db: PathBuf, must_exist: bool) -> Result<SqliteStore> {
    match Target::parse(db).map_err(|e| InputError(e.to_string()))? {
        Target::Sqlite(path) => {
            if must_exist && !path.exists() {
                bail!(InputError(format!(
                    "no journal at `{}`: link it first with `knots share link`",
                    path.display()
                )));
            }
            Ok(SqliteStore::open(&path)?)
        }
        other => bail!(InputError(format!(
            "`{}` is a PostgreSQL journal: sharing links a runner's own SQLite journal to a \
             clinic server",
            other.shown()
        ))),
    }
}

fn sync_error(e: sync::Error) -> anyhow::Error {
    match e {
        sync::Error::Input(m) => InputError(m).into(),
        other => other.into(),
    }
}

/// Runs `knots share …` on the journal `db`.
pub fn share(cmd: ShareCmd, db: PathBuf) -> Result<()> {
    match cmd {
        ShareCmd::Link(a) => {
            let shares = parse_shares(&a.share)?;
            if shares.is_empty() {
                bail!(InputError(
                    "--share: choose at least one of runs, pain, self-care, checkins".into()
                ));
            }
            sync::check_url(&a.url).map_err(sync_error)?;
            let password = crate::clinic::password(a.password_file.as_deref())?;
            let mut store = journal(db, false)?;
            let linked = sync::link(
                &mut store,
                &LinkRequest {
                    url: a.url,
                    code: a.code,
                    email: a.email,
                    password,
                    shares,
                },
            )
            .map_err(sync_error)?;
            let words: Vec<&str> = linked.shares.iter().map(|s| s.as_str()).collect();
            print(&format!(
                "linked to {} ({}), sharing {}: run `knots sync` to send and fetch",
                linked.clinic,
                linked.url,
                words.join(", ")
            ))
        }
        ShareCmd::Revoke(a) => {
            let mut store = journal(db, true)?;
            let url = sync::revoke(&mut store, a.delete_request).map_err(sync_error)?;
            print(&format!(
                "sharing with {url} stopped: the practice keeps what was shared{}",
                if a.delete_request {
                    ", and sees your request to delete it"
                } else {
                    ""
                }
            ))
        }
    }
}

/// Runs `knots sync` on the journal `db`.
pub fn run_sync(a: &SyncArgs, db: &Path) -> Result<()> {
    let mut store = journal(db.to_path_buf(), true)?;
    let out = sync::sync(&mut store, Atlas::shipped(), jiff::Timestamp::now())
        .map_err(sync_error)
        .context("sync did not complete")?;
    if a.json {
        print_json("sync", &out)
    } else {
        print(&format!(
            "synced: {} change{} sent, {} fetched",
            out.pushed,
            if out.pushed == 1 { "" } else { "s" },
            out.pulled
        ))
    }
}
