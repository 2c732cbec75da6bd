//! Test support (cargo feature `pg-tests`): a throwaway PostgreSQL database per test, on the
//! server named by `KNOTS_TEST_POSTGRES_URL` (`scripts/test` starts one). Without the variable a
//! test fails rather than passing without having run.

use std::hash::{BuildHasher, RandomState};

const URL_VAR: &str = "KNOTS_TEST_POSTGRES_URL";

/// A database made for one test, dropped (with any connection still open to it) on drop. Its
/// `Debug` shows the name only.
pub struct TestDb {
    admin_url: String,
    /// The database's name.
    pub name: String,
}

impl TestDb {
    /// Creates a database with a fresh random name.
    ///
    /// # Panics
    /// Without `KNOTS_TEST_POSTGRES_URL`, or when the server refuses.
    #[allow(clippy::unwrap_used)] // test support: a panic is the failure report
    pub fn new() -> TestDb {
        let admin_url = std::env::var(URL_VAR).unwrap_or_else(|_| {
            panic!(
                "{URL_VAR} is not set, but knots-store was built with the `postgres` feature: \
                 set it to a PostgreSQL server URL whose user may create databases (e.g. \
                 postgres://postgres@127.0.0.1:5432/postgres), or run scripts/test, which starts \
                 a throwaway server"
            )
        });
        let name = format!(
            "knots_test_{}_{:016x}",
            std::process::id(),
            RandomState::new().hash_one(std::time::SystemTime::now())
        );
        let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot connect to {URL_VAR}: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        TestDb { admin_url, name }
    }

    /// The URL of this database: the server URL with the database name replaced.
    /// # Panics
    /// When `KNOTS_TEST_POSTGRES_URL` is not a URL.
    pub fn url(&self) -> String {
        let (base, query) = match self.admin_url.split_once('?') {
            Some((base, query)) => (base, format!("?{query}")),
            None => (self.admin_url.as_str(), String::new()),
        };
        let (scheme, rest) = base
            .split_once("://")
            .unwrap_or_else(|| panic!("{URL_VAR} must be a postgres:// URL"));
        let authority = rest.split_once('/').map_or(rest, |(a, _)| a);
        format!("{scheme}://{authority}/{}{query}", self.name)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let dropped =
            postgres::Client::connect(&self.admin_url, postgres::NoTls).and_then(|mut c| {
                c.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ))
            });
        if let Err(e) = dropped {
            eprintln!("could not drop the test database {}: {e}", self.name);
        }
    }
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb").field("name", &self.name).finish()
    }
}

impl Default for TestDb {
    fn default() -> TestDb {
        TestDb::new()
    }
}
