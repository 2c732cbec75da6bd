//! `knots reaction add|edit|delete` on a temp journal: dated, tied to its treatment, shown in the
//! log with its note and in the report's "what works" next to the treatment's kind.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;
use common::{json, knots, ok};

#[test]
fn a_reaction_is_recorded_shown_corrected_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let treatment = json(
        &db,
        &[
            "treat",
            "add",
            "--kind",
            "deep_tissue",
            "--target",
            "vastus_lateralis",
            "--side",
            "left",
            "--pressure",
            "6",
            "--at",
            "2026-11-20T10:00:00Z",
            "--json",
        ],
    )["id"]
        .as_i64()
        .unwrap();
    let t = treatment.to_string();
    // Before the treatment it names: refused, exit 2, nothing stored.
    let early = knots(
        &db,
        &[
            "reaction",
            "add",
            "--kind",
            "bruising",
            "--severity",
            "4",
            "--treatment",
            &t,
            "--at",
            "2026-11-20T09:00:00Z",
        ],
    );
    assert_eq!(early.status.code(), Some(2));
    let id = json(
        &db,
        &[
            "reaction",
            "add",
            "--kind",
            "bruising",
            "--severity",
            "4",
            "--hours",
            "48",
            "--treatment",
            &t,
            "--at",
            "2026-11-21T08:00:00Z",
            "--note",
            "outer thigh",
            "--json",
        ],
    )["id"]
        .as_i64()
        .unwrap();
    let log = ok(&db, &["log"]);
    assert!(
        log.contains("reaction: bruising 4/10 for 48 h after treatment 1 — outer thigh"),
        "{log}"
    );
    let report = json(&db, &["report", "--json"]);
    let kinds = report["what_works"]["kinds"].as_array().unwrap();
    let deep = kinds.iter().find(|k| k["kind"] == "deep_tissue").unwrap();
    assert_eq!(deep["reactions"]["count"], 1);
    assert_eq!(deep["reactions"]["worst"], 4);
    let rebounds = report["what_works"]["rebounds"].as_array().unwrap();
    assert!(
        rebounds[0]["what"]
            .as_str()
            .unwrap()
            .starts_with("reported bruising 4/10 for 48 h after deep-tissue work"),
        "{rebounds:?}"
    );
    let id = id.to_string();
    ok(&db, &["reaction", "edit", &id, "--severity", "5"]);
    assert_eq!(json(&db, &["export"])["reactions"][0]["severity"], 5);
    ok(&db, &["reaction", "delete", &id, "--yes"]);
    let export = json(&db, &["export"]);
    assert!(export["reactions"].as_array().unwrap().is_empty());
    let last = export["changes"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (last["kind"].as_str(), last["action"].as_str()),
        (Some("reaction"), Some("delete"))
    );
}
