//! The real binary on a PostgreSQL journal: `--db postgres://…`. Compiled only with the `pg-tests`
//! feature; `scripts/test` starts a throwaway server and sets `KNOTS_TEST_POSTGRES_URL`.
#![cfg(feature = "pg-tests")]
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;
use common::{knots, ok};

use std::process::Command;

/// A fresh database on the test server, dropped at the end.
struct Db {
    admin: String,
    name: String,
    url: String,
}

impl Db {
    fn new() -> Db {
        let admin = std::env::var("KNOTS_TEST_POSTGRES_URL").expect(
            "set KNOTS_TEST_POSTGRES_URL to a PostgreSQL URL (scripts/test starts a server)",
        );
        let name = format!(
            "knots_cli_{}_{}",
            std::process::id(),
            jiff::Timestamp::now().as_nanosecond() % 1_000_000_000
        );
        psql(&admin, &format!("CREATE DATABASE {name}"));
        let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
        Db { admin, name, url }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        psql(
            &self.admin,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

fn psql(url: &str, sql: &str) {
    let out = Command::new("psql")
        .arg(url)
        .arg("-qc")
        .arg(sql)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_core_loop_runs_on_postgres_and_exports_the_same_journal_as_sqlite() {
    let db = Db::new();
    let tour = ok(&db.url, &["demo"]);
    assert!(
        tour.contains("Longest pain-free run since the pain began: 10.0 km"),
        "{tour}"
    );
    let find = ok(
        &db.url,
        &[
            "find",
            "--region",
            "lateral_knee",
            "--side",
            "left",
            "--json",
        ],
    );
    assert!(find.contains("vastus_lateralis"));
    ok(
        &db.url,
        &[
            "knot",
            "add",
            "--trigger-point",
            "soleus_1",
            "--side",
            "left",
            "--tenderness",
            "4",
        ],
    );
    let out = knots(
        &db.url,
        &[
            "knot",
            "add",
            "--trigger-point",
            "soleus_1",
            "--side",
            "left",
            "--tenderness",
            "11",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let export = ok(&db.url, &["export"]);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pg.json");
    std::fs::write(&file, &export).unwrap();
    let sqlite = dir.path().join("copy.db");
    let sqlite = sqlite.to_str().unwrap();
    ok(sqlite, &["import-json", file.to_str().unwrap()]);
    assert_eq!(
        ok(sqlite, &["export"]),
        export,
        "a PostgreSQL journal exports what SQLite does"
    );
}

#[test]
fn a_wrong_password_is_not_shown() {
    let admin = std::env::var("KNOTS_TEST_POSTGRES_URL").expect("set KNOTS_TEST_POSTGRES_URL");
    let url = admin
        .replacen("postgres://postgres@", "postgres://postgres:hunter2@", 1)
        .replace("/postgres", "/no_such_db");
    let out = knots(&url, &["status"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}
