//! Hostile input through the real binary: numbers and dates without bounds, text that would
//! drive the terminal, another program's database, and passwords in `--db`.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use common::{knots, ok};

fn code(out: &std::process::Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

#[test]
fn numbers_and_dates_out_of_bounds_are_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    for args in [
        &["run", "add", "--km", "1e308", "--minutes", "30"][..],
        &["run", "add", "--km", "5000", "--minutes", "30000"],
        &["run", "add", "--km", "42", "--minutes", "0.0001"],
        &[
            "run",
            "add",
            "--km",
            "5",
            "--minutes",
            "30",
            "--date",
            "-009999-01-01",
        ],
        &[
            "run",
            "add",
            "--km",
            "5",
            "--minutes",
            "30",
            "--date",
            "1899-12-31",
        ],
        &["run", "add", "--km", "5", "--rpe", "4"],
        &["checkin", "--water-l", "1e9"],
        &[
            "treat",
            "add",
            "--kind",
            "ball",
            "--side",
            "left",
            "--minutes",
            "1e12",
        ],
    ] {
        let out = knots(&db, args);
        assert_eq!(
            code(&out),
            2,
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let export: serde_json::Value = serde_json::from_str(&ok(&db, &["export"])).unwrap();
    assert!(export["runs"].as_array().unwrap().is_empty());
    assert!(export["checkins"].as_array().unwrap().is_empty());
    assert!(export["treatments"].as_array().unwrap().is_empty());
}

#[test]
fn text_that_would_drive_the_terminal_is_refused_or_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    // A name with an escape sequence, and one of only a zero-width space: refused.
    for name in ["\u{1b}]0;owned\u{7}", "\u{200B}"] {
        let out = knots(&db, &["shoe", "add", name]);
        assert_eq!(code(&out), 2, "{name:?}");
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains('\u{1b}'),
            "the error shows the escape escaped"
        );
    }
    // An error message that repeats a hostile value shows it escaped.
    let out = knots(&db, &["run", "add", "--km", "5", "--shoe", "\u{1b}[2Jx"]);
    assert_eq!(code(&out), 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    assert!(stderr.contains("\\x1b[2J"), "{stderr}");
}

#[test]
fn another_programs_database_is_never_touched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("places.sqlite");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT);")
            .unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    for args in [&["status"][..], &["run", "add", "--km", "5"]] {
        let out = knots(&db, args);
        assert_eq!(code(&out), 1, "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("not a knots journal"));
    }
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[test]
fn a_password_in_db_is_never_printed() {
    // Nothing listens on port 1: every form fails to connect, and its error must not show the
    // password.
    for db in [
        "postgres://knots:s3cretpw@127.0.0.1:1/journal",
        "POSTGRES://knots:s3cretpw@127.0.0.1:1/journal",
        "postgresql://knots@127.0.0.1:1/journal?password=s3cretpw",
        "host=127.0.0.1 port=1 user=knots password=s3cretpw dbname=journal",
        "mysql://knots:s3cretpw@127.0.0.1:1/journal",
    ] {
        let out = knots(db, &["status"]);
        assert!(!out.status.success(), "{db}");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains("s3cretpw"), "{db}: {all}");
        assert!(
            !std::path::Path::new(db).exists(),
            "{db} must not become a file"
        );
    }
}

#[test]
fn a_read_command_never_migrates_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("j.db");
    ok(&db, &["run", "add", "--km", "5", "--minutes", "30"]);
    // Make it a journal written by an older knots: its last migration undone.
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        // The last migration is 0011_programs: its tables and column go.
        let undo = "DROP TABLE home_program_tick_log; DROP TABLE home_program_ticks; \
                    DROP TABLE home_program_items; DROP TABLE home_programs; \
                    ALTER TABLE sync_link DROP COLUMN programs_pulled; \
                    ALTER TABLE sync_link DROP COLUMN ticks_pushed;";
        conn.execute_batch(&format!("{undo} PRAGMA user_version = {};", version - 1))
            .unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    let out = knots(&db, &["status"]);
    assert_eq!(code(&out), 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("older knots"), "{err}");
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "a read migrated nothing"
    );
    // A command that writes upgrades it, and reads work again.
    ok(&db, &["run", "add", "--km", "6", "--minutes", "36"]);
    assert!(ok(&db, &["status"]).contains("Last 28 days"));
}
