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
    /// The clinic server: https://…, or http:// to a server on this machine.
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
