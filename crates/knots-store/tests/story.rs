//! One story that walks every method of the `Store` trait, generic over the back end
//! (`common/mod.rs`); here it runs on a temp SQLite file, in `postgres_story.rs` on PostgreSQL.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use common::{import_story, story};
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
fn export_parse_names_what_is_wrong() {
    assert!(Export::parse("{").unwrap_err().contains("line 1"));
    let newer = Export::parse("{\"format\": \"knots-journal\", \"version\": 9}").unwrap_err();
    assert!(newer.contains("`version` 9"), "{newer}");
    assert!(Export::parse("[]").unwrap_err().contains("no `format`"));
}
