//! `knots import` on the real test data (copied into `testdata/`), driving the real binary.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;
use common::knots;

use serde_json::Value;
use std::path::{Path, PathBuf};

fn testdata() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    assert!(
        dir.join("expected.json").is_file(),
        "missing {}",
        dir.display()
    );
    dir
}

fn import(db: &Path, paths: &[PathBuf]) -> (Option<i32>, Value) {
    let mut args: Vec<String> = vec!["import".into(), "--json".into()];
    args.extend(paths.iter().map(|p| p.display().to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = knots(db, &refs);
    (
        out.status.code(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

fn paths_of(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["path"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_test_data_imports_with_reasons_and_reimports_nothing() {
    let t = testdata();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("i.db");
    let all = [
        t.join("fit"),
        t.join("gpx"),
        t.join("tcx"),
        t.join("broken"),
        t.join("strava/export_sample.zip"),
    ];
    let (code, first) = import(&db, &all);
    assert_eq!(code, Some(3), "some files are broken on purpose: exit 3");
    assert!(first["imported"].as_u64().unwrap() >= 20);
    let failed = first["failed"].as_array().unwrap();
    let reason = |name: &str| {
        failed
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .map(|f| f["error"].as_str().unwrap().to_string())
    };
    assert!(reason("random-bytes.fit").unwrap().contains("byte 0"));
    assert!(
        reason("shopping-list.gpx")
            .unwrap()
            .contains("line 1, column 1")
    );
    assert!(reason("empty.fit").is_some());
    let skipped = paths_of(&first, "skipped");
    assert!(
        skipped.iter().any(|p| p.ends_with("Settings.fit"))
            && skipped.iter().any(|p| p.ends_with("route.gpx"))
    );
    let warned = paths_of(&first, "warnings");
    assert!(
        warned.iter().any(|p| p.ends_with("activity-filecrc.fit")),
        "a wrong CRC is a warning: {warned:?}"
    );
    let walk = first["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"].as_str().unwrap().ends_with("fenix-5-walk.fit"))
        .unwrap();
    assert_eq!(walk["sport"], "walking");
    assert!(
        first["activities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["path"].as_str().unwrap().contains("export_sample.zip!"))
    );

    let shoes = String::from_utf8(knots(&db, &["shoe", "list", "--json"]).stdout).unwrap();
    assert!(shoes.contains("Brooks Ghost 5"), "{shoes}");

    let (_, again) = import(&db, &all);
    assert_eq!(again["imported"], 0);
    assert!(again["duplicates"].as_u64().unwrap() > 0);

    // Mark the pain on an imported run.
    let run = first["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["run"].is_i64() && a["distance_m"].as_f64().unwrap_or(0.0) > 4000.0)
        .unwrap();
    let id = run["run"].as_i64().unwrap().to_string();
    let out = knots(
        &db,
        &["run", "pain", &id, "--onset-km", "1.6", "--max", "6"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = knots(&db, &["run", "pain", &id, "--onset-km", "400"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an onset beyond the run is refused"
    );
    let export: Value = serde_json::from_slice(&knots(&db, &["export"]).stdout).unwrap();
    let stored = export["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"].as_i64().map(|i| i.to_string()).as_deref() == Some(id.as_str()))
        .unwrap();
    assert_eq!(stored["pain_onset_km"], 1.6);
    assert_eq!(stored["max_pain"], 6);
    assert!(
        !export["activities"][0]["stream"]
            .as_array()
            .unwrap()
            .is_empty(),
        "the stream is kept"
    );
}

#[test]
fn a_batch_with_three_broken_files_stores_the_rest_and_reports_three() {
    let t = testdata();
    let dir = tempfile::tempdir().unwrap();
    let batch = dir.path().join("batch");
    std::fs::create_dir(&batch).unwrap();
    let src = std::fs::read_to_string(t.join("gpx/cerknicko-jezero.gpx")).unwrap();
    for i in 0..40 {
        let day = jiff::civil::date(2011, 1, 1)
            .checked_add(jiff::Span::new().days(i))
            .unwrap();
        std::fs::write(
            batch.join(format!("run-{i:02}.gpx")),
            src.replace("2010-08-05", &day.to_string()),
        )
        .unwrap();
    }
    std::fs::write(
        batch.join("cut.fit"),
        &std::fs::read(t.join("fit/Activity.fit")).unwrap()[..20],
    )
    .unwrap();
    std::fs::write(batch.join("notes.gpx"), "milk, eggs").unwrap();
    std::fs::write(batch.join("zero.tcx"), "").unwrap();
    let db = dir.path().join("b.db");
    let (code, v) = import(&db, std::slice::from_ref(&batch));
    assert_eq!(code, Some(3));
    assert_eq!(v["imported"], 40, "{v}");
    assert_eq!(v["failed"].as_array().unwrap().len(), 3, "{}", v["failed"]);
    let export: Value = serde_json::from_slice(&knots(&db, &["export"]).stdout).unwrap();
    assert_eq!(export["activities"].as_array().unwrap().len(), 40);
}

#[test]
fn an_absurd_start_is_refused_not_stored() {
    let t = testdata();
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(t.join("gpx/cerknicko-jezero.gpx")).unwrap();
    let old = dir.path().join("1901.gpx");
    std::fs::write(&old, src.replace("2010-08-05", "1901-08-05")).unwrap();
    let db = dir.path().join("a.db");
    let (code, v) = import(&db, &[old]);
    assert_eq!(code, Some(3));
    assert!(
        v["failed"][0]["error"]
            .as_str()
            .unwrap()
            .contains("not a plausible start")
    );
    assert_eq!(v["imported"], 0);
}
