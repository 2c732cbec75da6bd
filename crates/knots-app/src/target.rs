//! Which journal `--db` names: a SQLite file or a PostgreSQL database, and how to show it.

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

impl Target {
    /// The target a `--db` value names. A URL scheme of `postgres` or `postgresql`, in any case,
    /// is PostgreSQL; anything else is a file path.
    pub fn parse(given: PathBuf) -> Target {
        match given.to_str() {
            Some(s) if is_postgres_url(s) => Target::Postgres(s.to_string()),
            _ => Target::Sqlite(given),
        }
    }

    /// The target as it may be shown in messages: a path, or the URL without its password.
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
}

fn is_postgres_url(s: &str) -> bool {
    s.split_once("://").is_some_and(|(scheme, _)| {
        scheme.eq_ignore_ascii_case("postgres") || scheme.eq_ignore_ascii_case("postgresql")
    })
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
}

/// A PostgreSQL URL with its password (in the user part or a `password=` parameter) replaced by
/// `***`, for messages. Text that does not parse as a URL is not shown at all.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(a database URL)".into();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => p.to_string(),
                })
                .collect();
            format!("{path}?{}", params.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}://{authority}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_in_any_case_are_postgres() {
        for url in [
            "postgres://u@h/db",
            "POSTGRES://u:p@h/db",
            "PostgreSQL://h/db",
        ] {
            assert!(
                matches!(Target::parse(url.into()), Target::Postgres(_)),
                "{url}"
            );
        }
        assert!(matches!(
            Target::parse("journal.db".into()),
            Target::Sqlite(_)
        ));
    }

    #[test]
    fn the_password_is_never_shown() {
        for (url, shown) in [
            (
                "postgres://knots:s3cret@db.local:5432/j",
                "postgres://knots:***@db.local:5432/j",
            ),
            (
                "POSTGRES://knots:s3cret@db.local/j",
                "POSTGRES://knots:***@db.local/j",
            ),
            (
                "postgres://knots@db.local/j?sslmode=disable&password=s3cret",
                "postgres://knots@db.local/j?sslmode=disable&password=***",
            ),
            ("postgres://db.local/j", "postgres://db.local/j"),
        ] {
            assert_eq!(redact(url), shown);
            assert_eq!(Target::parse(url.into()).shown(), shown);
        }
        assert!(!redact("host=h password=s3cret").contains("s3cret"));
    }
}
