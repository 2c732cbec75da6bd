//! Drives `knots search --answers … --json` (the non-interactive guided search) on temp journals.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;
use common::{json, knots, ok};

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn findings(db: &Path) -> Vec<Value> {
    json(db, &["export"])["findings"]
        .as_array()
        .unwrap()
        .clone()
}

/// Every candidate for lateral knee pain; only the distal vastus lateralis spot is the runner's.
const LATERAL_KNEE_SPOTS: &[&str] = &[
    "gluteus_minimus_anterior",
    "vastus_lateralis_distal",
    "vastus_lateralis_mid",
    "vastus_lateralis_posterior",
    "vastus_lateralis_proximal",
    "tensor_fasciae_latae",
    "biceps_femoris",
    "gastrocnemius_proximal",
    "plantaris",
    "popliteus",
    "rectus_femoris",
    "vastus_medialis_1",
];

fn answers_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn lateral_knee_answers() -> String {
    let items: Vec<Value> = LATERAL_KNEE_SPOTS
        .iter()
        .map(|&id| {
            let mine = id == "vastus_lateralis_distal";
            serde_json::json!({
                "trigger_point": id,
                "tenderness": if mine { 9 } else { 2 },
                "reproduces": mine,
            })
        })
        .collect();
    serde_json::to_string(&items).unwrap()
}

fn search(db: &Path, answers: &Path) -> Value {
    json(
        db,
        &[
            "search",
            "--region",
            "lateral_knee",
            "--side",
            "left",
            "--context",
            "during_run",
            "--answers",
            answers.to_str().unwrap(),
            "--json",
        ],
    )
}

#[test]
fn replayed_answers_find_the_mother_knot_and_are_saved_as_findings() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let file = answers_file(dir.path(), "a.json", &lateral_knee_answers());
    let out = search(&db, &file);

    let c = &out["conclusion"];
    assert_eq!(c["outcome"], "found", "{out:#}");
    assert_eq!(c["trigger_point"], "vastus_lateralis_distal");
    assert!(c["probability"].as_f64().unwrap() >= 0.9);
    assert!(out["next"].is_null());
    assert!(
        out["disclaimer"]
            .as_str()
            .unwrap()
            .contains("not diagnosis")
    );

    let steps = out["steps"].as_array().unwrap();
    assert!(!steps.is_empty() && steps.len() <= 10, "{steps:#?}");
    for (i, s) in steps.iter().enumerate() {
        assert_eq!(s["step"], i + 1);
        assert_eq!(s["top"].as_array().unwrap().len(), 3);
        assert!(!s["landmark"].as_str().unwrap().is_empty());
    }
    assert_eq!(c["presses"], steps.len());
    let last = steps.last().unwrap();
    assert_eq!(last["top"][0]["trigger_point"], "vastus_lateralis_distal");

    // One finding per answer, on the queried side, with the answer given.
    let saved = findings(&db);
    assert_eq!(saved.len(), steps.len());
    for (s, f) in steps.iter().zip(&saved) {
        assert_eq!(s["finding_id"], f["id"]);
        assert_eq!(s["trigger_point"], f["trigger_point"]);
        assert_eq!(s["tenderness"], f["tenderness"]);
        assert_eq!(s["reproduces"], f["reproduces"]);
        assert_eq!(f["side"], "left");
    }

    // The text form tells the same story.
    let text = ok(
        &db,
        &[
            "search",
            "--region",
            "lateral_knee",
            "--side",
            "left",
            "--answers",
            file.to_str().unwrap(),
        ],
    );
    assert!(text.contains("Most likely mother knot"), "{text}");
    assert!(text.contains("vastus_lateralis_distal"), "{text}");
}

#[test]
fn the_same_answers_give_the_same_questions() {
    let dir = tempfile::tempdir().unwrap();
    let file = answers_file(dir.path(), "a.json", &lateral_knee_answers());
    let a = search(&dir.path().join("a.db"), &file);
    let b = search(&dir.path().join("b.db"), &file);
    assert_eq!(a, b);
}

#[test]
fn answers_keyed_by_spot_that_run_out_stop_with_the_next_question() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    // The search's first question for lateral knee pain, answered; nothing else.
    let first = search(
        &db,
        &answers_file(dir.path(), "all.json", &lateral_knee_answers()),
    )["steps"][0]["trigger_point"]
        .as_str()
        .unwrap()
        .to_string();
    let db2 = dir.path().join("k2.db");
    let keyed = format!(r#"{{"{first}": {{"tenderness": 3, "reproduces": false}}}}"#);
    let out = search(&db2, &answers_file(dir.path(), "one.json", &keyed));
    assert_eq!(out["steps"].as_array().unwrap().len(), 1);
    assert!(out["conclusion"].is_null(), "{out:#}");
    assert!(out["next"]["trigger_point"].is_string());
    assert_ne!(out["next"]["trigger_point"], first.as_str());
    assert_eq!(findings(&db2).len(), 1);
}

#[test]
fn a_bad_answers_file_is_refused_with_exit_2_and_saves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    for (name, text, needle) in [
        (
            "unknown.json",
            r#"[{"trigger_point": "vastus_lateralis_distl", "tenderness": 5, "reproduces": true}]"#,
            "vastus_lateralis_distal",
        ),
        (
            "range.json",
            r#"[{"trigger_point": "vastus_lateralis_distal", "tenderness": 11, "reproduces": true}]"#,
            "expected a list",
        ),
        ("shape.json", r#"{"answers": 3}"#, "expected a list"),
    ] {
        let file = answers_file(dir.path(), name, text);
        let out = knots(
            &db,
            &[
                "search",
                "--region",
                "lateral_knee",
                "--side",
                "left",
                "--answers",
                file.to_str().unwrap(),
                "--json",
            ],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(needle), "{name}: `{needle}` not in {err}");
    }
    assert!(findings(&db).is_empty());
}

#[test]
fn interactive_search_reads_answers_from_stdin() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_knots"))
        .arg("--db")
        .arg(&db)
        .args(["search", "--region", "heel", "--side", "right"])
        .env_remove("KNOTS_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Two answers (one retyped after a bad value), then the input ends.
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"12\n4\nn\n2\nmaybe\nn\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("press here:"), "{err}");
    assert!(err.contains("how tender, 0-10?"), "{err}");
    assert!(err.contains("does it bring on your pain? y/n"), "{err}");
    assert_eq!(findings(&db).len(), 2);
}

fn search_at(db: &Path, answers: &Path, at: &str) -> std::process::Output {
    knots(
        db,
        &[
            "search",
            "--region",
            "lateral_knee",
            "--side",
            "left",
            "--context",
            "during_run",
            "--answers",
            answers.to_str().unwrap(),
            "--at",
            at,
            "--json",
        ],
    )
}

fn pressed(out: &std::process::Output) -> Vec<String> {
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["trigger_point"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn search_at_dates_its_findings_and_ignores_later_ones() {
    let dir = tempfile::tempdir().unwrap();
    let file = answers_file(dir.path(), "a.json", &lateral_knee_answers());
    // A fresh journal: the order of questions from the atlas alone.
    let fresh = dir.path().join("fresh.db");
    let alone = search_at(&fresh, &file, "2026-03-01T09:00:00Z");
    assert!(alone.status.success());
    // A journal that already holds a later search: catching up on an earlier day must ask the
    // same questions (the later findings are not known yet on that day).
    let db = dir.path().join("k.db");
    ok(
        &db,
        &[
            "search",
            "--region",
            "lateral_knee",
            "--side",
            "left",
            "--context",
            "during_run",
            "--answers",
            file.to_str().unwrap(),
            "--json",
        ],
    );
    let later = findings(&db).len();
    let caught_up = search_at(&db, &file, "2026-03-01T09:00:00Z");
    assert!(caught_up.status.success());
    assert_eq!(pressed(&caught_up), pressed(&alone));
    let all = findings(&db);
    for f in &all[later..] {
        assert_eq!(f["at"], "2026-03-01T09:00:00Z");
    }
    // A future instant is refused before anything is saved.
    let refused = search_at(&db, &file, "2999-01-01T00:00:00Z");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("future"));
    assert_eq!(findings(&db).len(), all.len());
}
