//! One story that walks every method of the `Store` trait, generic over the back end
//! (`common/mod.rs`); here it runs on a temp SQLite file, in `postgres_story.rs` on PostgreSQL.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use common::{import_files_story, import_story, originals_story, story};
use knots_store::export::Export;
use knots_store::{SqliteStore, Store};

#[test]
fn sqlite_story() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("story.db")).unwrap();
    story(&mut store);
    drop(store);
    let reopened = SqliteStore::open(&dir.path().join("story.db")).unwrap();
    assert!(reopened.is_demo().unwrap(), "reopening keeps everything");
}

#[test]
fn sqlite_import_story() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("import.db")).unwrap();
    import_story(&mut store);
}

#[test]
fn sqlite_import_files_story() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("files.db")).unwrap();
    import_files_story(&mut store);
}

#[test]
fn sqlite_originals_story() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("originals.db")).unwrap();
    originals_story(&mut store);
}

#[test]
fn export_parse_names_what_is_wrong() {
    assert!(Export::parse("{").unwrap_err().contains("line 1"));
    let newer = Export::parse("{\"format\": \"knots-journal\", \"version\": 9}").unwrap_err();
    assert!(newer.contains("`version` 9"), "{newer}");
    assert!(Export::parse("[]").unwrap_err().contains("no `format`"));
    let typo = r#"{"format": "knots-journal", "version": 2, "demo": false,
        "profile": {"leg_length_diff_mm": null, "longer_leg": null, "note": null},
        "shoes": [], "runs": [{"id": 3, "date": "2026-01-10", "km": 5.0, "minutes": 30.0,
        "shoe": null, "surface": null, "camber": "none", "pain_onset_km": null,
        "max_pian": 4, "pain_next_morning": null, "rpe": null, "note": null}],
        "pain_reports": [], "sessions": [], "findings": [], "treatments": [], "checkins": []}"#;
    assert_eq!(
        Export::parse(typo).unwrap_err(),
        "unknown field `runs[0].max_pian`"
    );
}

/// The export format, pinned: one record of every kind, written as `knots export` writes it, must
/// equal `tests/snapshots/export_v3.json` byte for byte, so a renamed or retyped field fails here
/// (and needs a new format version). `KNOTS_BLESS=1` rewrites the snapshot after a deliberate
/// change.
#[test]
fn the_export_format_is_pinned_by_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("snap.db")).unwrap();
    common::story(&mut store);
    let mut journal = store.journal().unwrap();
    // The import story's activity gives the activity fields.
    let mut other = SqliteStore::open(&dir.path().join("imp.db")).unwrap();
    common::import_story_first(&mut other);
    journal.activities = other.journal().unwrap().activities;
    let text = Export::new(journal, false).to_json().unwrap();
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/export_v3.json");
    if std::env::var_os("KNOTS_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let pinned = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text, pinned,
        "the export format changed: bump export::VERSION and migrate"
    );
}

/// The previous format's pinned snapshot (version 2, before `reactions`) still restores, with no
/// reactions, and everything else as written.
#[test]
fn a_version_2_export_still_restores() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/export_v2.json");
    let text = std::fs::read_to_string(path).unwrap();
    let export = Export::parse(&text).unwrap();
    assert_eq!(export.version, 2);
    assert!(export.journal.reactions.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("v2.db")).unwrap();
    store.replace_all(&export.journal, false).unwrap();
    assert_eq!(store.journal().unwrap(), export.journal);
}

#[test]
fn a_version_1_export_still_restores() {
    let v1 = r#"{"format": "knots-journal", "version": 1, "demo": false,
        "profile": {"leg_length_diff_mm": null, "longer_leg": null, "note": null},
        "shoes": [], "runs": [{"id": 3, "date": "2026-01-10", "km": 5.0, "minutes": 30.0,
        "shoe": null, "surface": null, "camber": "none", "pain_onset_km": null,
        "max_pain": null, "pain_next_morning": null, "rpe": null, "note": null}],
        "pain_reports": [], "sessions": [], "findings": [], "treatments": [], "checkins": []}"#;
    let export = Export::parse(v1).unwrap();
    assert!(export.journal.changes.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("v1.db")).unwrap();
    store.replace_all(&export.journal, false).unwrap();
    assert_eq!(store.journal().unwrap().runs[0].id, 3);
}

#[test]
fn another_programs_sqlite_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("places.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT); INSERT INTO moz_places (url) VALUES ('x');")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    for access in [
        knots_store::Access::ReadWrite,
        knots_store::Access::ReadOnly,
    ] {
        let err = SqliteStore::open_with(&path, access).unwrap_err();
        assert!(
            matches!(&err, knots_store::Error::Corrupt { message, .. } if message.contains("moz_places")),
            "{err}"
        );
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "not a byte changed");
    assert!(
        !dir.path().join("places.sqlite-wal").exists(),
        "no WAL made"
    );
}

#[test]
fn concurrent_first_writers_on_a_new_journal_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("race.db");
    let handles: Vec<_> = (0..20)
        .map(|i| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut store = SqliteStore::open(&path)?;
                store.add_shoe(&knots_core::journal::Shoe {
                    name: format!("shoe {i}"),
                    started: "2026-01-01".parse().unwrap(),
                    retired: None,
                    initial_km: 0.0,
                    limit_km: 700.0,
                })
            })
        })
        .collect();
    let failures: Vec<String> = handles
        .into_iter()
        .filter_map(|h| h.join().unwrap().err().map(|e| e.to_string()))
        .collect();
    assert!(failures.is_empty(), "{failures:?}");
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.shoes().unwrap().len(), 20);
}

#[test]
fn a_read_only_open_reads_and_never_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ro.db");
    let mut store = SqliteStore::open(&path).unwrap();
    common::import_story_first(&mut store);
    store.sync().unwrap();
    drop(store);
    let before = std::fs::read(&path).unwrap();
    let mut ro = SqliteStore::open_with(&path, knots_store::Access::ReadOnly).unwrap();
    assert_eq!(ro.journal().unwrap().runs.len(), 1);
    let err = ro
        .add_shoe(&knots_core::journal::Shoe {
            name: "x".into(),
            started: "2026-01-01".parse().unwrap(),
            retired: None,
            initial_km: 0.0,
            limit_km: 700.0,
        })
        .unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
    drop(ro);
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let missing =
        SqliteStore::open_with(&dir.path().join("none.db"), knots_store::Access::ReadOnly);
    assert!(matches!(missing, Err(knots_store::Error::Open { .. })));
    assert!(
        !dir.path().join("none.db").exists(),
        "a read never creates a journal"
    );
}
