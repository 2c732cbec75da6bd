//! Which journal `--db` names: a SQLite file or a PostgreSQL database, and how to show it.

use crate::sync::Outcome;
use jiff::Timestamp;
use knots_core::Atlas;
use knots_core::program::Program;
use knots_store::sync::Link;
use knots_store::{PostgresStore, SqliteStore, Store};
use std::fmt;
use std::path::PathBuf;

/// Where the journal is.
#[derive(Clone, PartialEq, Eq)]
pub enum Target {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database, by URL (`postgres://…` or `postgresql://…`, any case).
    Postgres(String),
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown())
    }
}

/// A `--db` value that names neither a file nor a PostgreSQL database. The value itself is not
/// repeated (it may hold a password).
#[derive(Debug, thiserror::Error)]
#[error(
    "`--db` is neither a journal file path nor a PostgreSQL URL (`postgres://…` or `host=… dbname=…`): {0}"
)]
pub struct TargetError(String);

/// The keywords of libpq's `key=value` connection strings.
const KEYWORDS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "sslmode",
    "application_name",
    "connect_timeout",
    "options",
    "target_session_attrs",
];

impl Target {
    /// The target a `--db` value names: a URL whose scheme is `postgres` or `postgresql` in any
    /// case, or a libpq `key=value` string, is PostgreSQL; another `scheme://` is refused; anything
    /// else is a file path.
    ///
    /// # Errors
    /// [`TargetError`] for another scheme, or an empty value.
    pub fn parse(given: PathBuf) -> Result<Target, TargetError> {
        let Some(s) = given.to_str() else {
            return Ok(Target::Sqlite(given));
        };
        if let Some((scheme, rest)) = s.split_once("://") {
            if scheme.eq_ignore_ascii_case("postgres") || scheme.eq_ignore_ascii_case("postgresql")
            {
                return Ok(Target::Postgres(format!("postgresql://{rest}")));
            }
            if !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '+')
            {
                return Err(TargetError(format!(
                    "the scheme `{scheme}` is not supported"
                )));
            }
        }
        let first = s.split_whitespace().next().unwrap_or("");
        if let Some((key, _)) = first.split_once('=')
            && KEYWORDS.contains(&key.trim().to_ascii_lowercase().as_str())
        {
            return Ok(Target::Postgres(s.to_string()));
        }
        if s.trim().is_empty() {
            return Err(TargetError("it is empty".into()));
        }
        Ok(Target::Sqlite(given))
    }

    /// The target as it may be shown in messages: a path, or the connection string as a URL
    /// without its password.
    pub fn shown(&self) -> String {
        match self {
            Target::Sqlite(path) => path.display().to_string(),
            Target::Postgres(url) => redact(url),
        }
    }

    /// Opens the journal and passes it to `use_it`, whichever back end it is on.
    ///
    /// # Errors
    /// The store's error when the journal cannot be opened.
    pub fn with<T>(&self, use_it: impl WithStore<Out = T>) -> Result<T, knots_store::Error> {
        match self {
            Target::Sqlite(path) => Ok(use_it.run(SqliteStore::open(path)?)),
            Target::Postgres(url) => Ok(use_it.run(PostgresStore::open(url)?)),
        }
    }

    /// [`Target::with`] for code that only reads: a SQLite journal is opened read-only (never
    /// created, migrated or written, so a journal on read-only media can be read; an older
    /// journal asks for a command that writes first).
    ///
    /// # Errors
    /// The store's error when the journal cannot be opened.
    pub fn with_read_only<T>(
        &self,
        use_it: impl WithStore<Out = T>,
    ) -> Result<T, knots_store::Error> {
        match self {
            Target::Sqlite(path) if path.as_os_str() != ":memory:" => {
                Ok(use_it.run(SqliteStore::open_with(path, knots_store::Access::ReadOnly)?))
            }
            other => other.with(use_it),
        }
    }
}

/// Code that runs on a journal of either back end (static dispatch: the code is generic over the
/// store type, and [`Target::with`] picks the type).
pub trait WithStore {
    /// What the code returns.
    type Out;
    /// Runs on `store`.
    fn run<S: Open>(self, store: S) -> Self::Out;
}

/// A store that can open another connection to the same journal (the web app's pool).
pub trait Open: Store + Send + 'static {
    /// Opens `target` as this back end.
    ///
    /// # Errors
    /// The store's, or [`knots_store::Error::Open`] when `target` is of the other back end.
    fn open(target: &Target) -> Result<Self, knots_store::Error>
    where
        Self: Sized;
    /// This journal's link to a clinic server (`knots share link`), if any.
    ///
    /// # Errors
    /// The store's.
    fn sync_link(&self) -> Result<Option<Link>, knots_store::Error>;
    /// Syncs with the linked clinic server ([`crate::sync::sync`]).
    ///
    /// # Errors
    /// As [`crate::sync::sync`].
    fn sync_now(&mut self, at: Timestamp) -> Result<Outcome, crate::sync::Error>;
    /// The practice's home programs held here (pulled by sync), with their global ids.
    ///
    /// # Errors
    /// The store's.
    fn home_programs(&self) -> Result<Vec<(String, Program)>, knots_store::Error>;
}

impl Open for SqliteStore {
    fn open(target: &Target) -> Result<Self, knots_store::Error> {
        match target {
            Target::Sqlite(path) => SqliteStore::open(path),
            Target::Postgres(_) => Err(knots_store::Error::Open {
                path: target.shown(),
                message: "not a SQLite journal".into(),
            }),
        }
    }
    fn sync_link(&self) -> Result<Option<Link>, knots_store::Error> {
        self.link()
    }
    fn sync_now(&mut self, at: Timestamp) -> Result<Outcome, crate::sync::Error> {
        crate::sync::sync(self, Atlas::shipped(), at)
    }
    fn home_programs(&self) -> Result<Vec<(String, Program)>, knots_store::Error> {
        knots_store::Db::home_programs(self)
    }
}

impl Open for PostgresStore {
    fn open(target: &Target) -> Result<Self, knots_store::Error> {
        match target {
            Target::Postgres(url) => PostgresStore::open(url),
            Target::Sqlite(_) => Err(knots_store::Error::Open {
                path: target.shown(),
                message: "not a PostgreSQL database".into(),
            }),
        }
    }
    fn sync_link(&self) -> Result<Option<Link>, knots_store::Error> {
        self.link()
    }
    fn sync_now(&mut self, at: Timestamp) -> Result<Outcome, crate::sync::Error> {
        crate::sync::sync(self, Atlas::shipped(), at)
    }
    fn home_programs(&self) -> Result<Vec<(String, Program)>, knots_store::Error> {
        knots_store::Db::home_programs(self)
    }
}

/// A PostgreSQL connection string (a URL in any case, with the password in the user part or a
/// `password=` parameter, or the `key=value` form) as it may be shown: without its password. One
/// redaction for every form (`knots_store::postgres::redact`).
pub fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("postgres")
                || scheme.eq_ignore_ascii_case("postgresql") =>
        {
            knots_store::postgres::redact(&format!("postgresql://{rest}"))
        }
        _ => knots_store::postgres::redact(url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_a_postgres_target_is_postgres() {
        for given in [
            "postgres://u@h/db",
            "POSTGRES://u:p@h/db",
            "PostgreSQL://h/db",
            "host=localhost user=knots password='s3 cret' dbname=journal",
            "dbname=journal",
        ] {
            assert!(
                matches!(Target::parse(given.into()), Ok(Target::Postgres(_))),
                "{given}"
            );
        }
        assert!(matches!(
            Target::parse("journal.db".into()),
            Ok(Target::Sqlite(_))
        ));
        assert!(matches!(
            Target::parse("notes=1.db".into()),
            Ok(Target::Sqlite(_))
        ));
    }

    #[test]
    fn other_schemes_are_refused_without_repeating_the_value() {
        let err = Target::parse("mysql://root:s3cret@h/db".into()).unwrap_err();
        assert!(err.to_string().contains("`mysql`"), "{err}");
        assert!(!err.to_string().contains("s3cret"));
    }

    #[test]
    fn the_password_is_never_shown() {
        for given in [
            "postgres://knots:s3cret@db.local:5432/j",
            "POSTGRES://knots:s3cret@db.local/j",
            "postgres://knots@db.local/j?sslmode=disable&password=s3cret",
            "host=db.local user=knots password=s3cret dbname=j",
            "host=db.local password='s3cret' dbname=j",
        ] {
            let shown = Target::parse(given.into()).unwrap().shown();
            assert!(!shown.contains("s3cret"), "{given} -> {shown}");
            assert!(shown.contains("db.local"), "{given} -> {shown}");
        }
        assert_eq!(
            redact("POSTGRES://knots:s3cret@db.local:5432/j"),
            "postgres://knots:***@db.local:5432/j"
        );
    }
}
