//! Every file in the workspace's `testdata/` (a copy of the project's shared test data, with its
//! licences) against its entry in `expected.json`. When the folder is missing this test fails:
//! passing without having checked anything would hide that.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use knots_import::{Activity, Error, Format, Outcome, parse_file, parse_zip};
use serde_json::Value;

fn testdata() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    assert!(
        dir.join("expected.json").is_file(),
        "the shared test data is missing: expected {} (see testdata/README.md)",
        dir.display()
    );
    dir
}

fn expected() -> serde_json::Map<String, Value> {
    let text =
        std::fs::read_to_string(testdata().join("expected.json")).expect("read expected.json");
    match serde_json::from_str(&text).expect("parse expected.json") {
        Value::Object(m) => m,
        _ => panic!("expected.json is not an object"),
    }
}

/// The outcome class as expected.json names it.
fn class(result: &Result<Outcome, Error>) -> &'static str {
    match result {
        Ok(Outcome::Parsed(p)) if p.warnings.is_empty() => "imported",
        Ok(Outcome::Parsed(_)) => "imported_with_warning",
        Ok(Outcome::Skipped { .. }) => "skipped",
        Err(_) => "failed",
    }
}

/// Whether `got` satisfies `expect` (`imported_with_warning_or_failed` and the like).
/// Plain `imported` accepts warnings too: it asks for the data, not for silence.
fn allowed(expect: &str, got: &str) -> bool {
    expect
        .split("_or_")
        .any(|e| e == got || (e == "imported" && got == "imported_with_warning"))
}

fn close(got: f64, want: f64, rel: f64, abs: f64) -> bool {
    (got - want).abs() <= (want.abs() * rel).max(abs)
}

fn seconds_between(a: jiff::Timestamp, b: &str) -> f64 {
    let b: jiff::Timestamp = b.parse().expect("expected.json start");
    (a.as_millisecond() - b.as_millisecond()).abs() as f64 / 1000.0
}

/// Checks one activity against one expected object; returns the problems.
fn check_activity(key: &str, i: usize, a: &Activity, want: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut fail = |what: String| problems.push(format!("{key} activity {i}: {what}"));
    if let Some(sport) = want.get("sport").and_then(Value::as_str)
        && a.sport != sport
    {
        fail(format!("sport `{}`, expected `{sport}`", a.sport));
    }
    if let Some(start) = want.get("start").and_then(Value::as_str) {
        let off = seconds_between(a.start, start);
        if off > 2.0 {
            fail(format!("start {}, expected {start} ({off} s off)", a.start));
        }
    }
    if let Some(d) = want.get("distance_m").and_then(Value::as_f64) {
        match a.distance_m {
            Some(got) if close(got, d, 0.005, 1.0) => {}
            got => fail(format!("distance {got:?} m, expected {d} m")),
        }
    }
    if let Some(e) = want.get("elapsed_s").and_then(Value::as_f64)
        && !close(a.elapsed_s, e, 0.0, 1.0)
    {
        fail(format!("elapsed {} s, expected {e} s", a.elapsed_s));
    }
    if let Some(t) = want.get("timer_s").and_then(Value::as_f64) {
        match a.timer_s {
            Some(got) if close(got, t, 0.0, 1.0) => {}
            got => fail(format!("timer {got:?} s, expected {t} s")),
        }
    }
    if let Some(hr) = want.get("avg_hr").and_then(Value::as_f64) {
        match a.avg_hr {
            Some(got) if close(got, hr, 0.0, 1.0) => {}
            got => fail(format!("average heart rate {got:?}, expected {hr}")),
        }
    }
    problems
}

fn check_file(key: &str, entry: &Value, result: &Result<Outcome, Error>) -> Vec<String> {
    let mut problems = Vec::new();
    let expect = entry["expect"].as_str().expect("expect is a string");
    let got = class(result);
    if !allowed(expect, got) {
        problems.push(format!("{key}: {got} ({result:?}), expected {expect}"));
        return problems;
    }
    match result {
        Err(e) => {
            let msg = e.to_string();
            let placed = match e {
                Error::Fit { .. } => msg.contains("at byte "),
                Error::Xml { .. } => msg.contains("at line "),
                _ => !msg.is_empty(),
            };
            if !placed {
                problems.push(format!("{key}: error `{msg}` does not say where"));
            }
        }
        Ok(Outcome::Skipped { reason }) if reason.is_empty() => {
            problems.push(format!("{key}: skipped without a reason"));
        }
        Ok(Outcome::Skipped { .. }) => {}
        Ok(Outcome::Parsed(p)) => {
            if got == "imported_with_warning" && p.warnings.iter().any(String::is_empty) {
                problems.push(format!("{key}: an empty warning"));
            }
            if let Some(want) = entry.get("activities").and_then(Value::as_array) {
                if want.len() != p.activities.len() {
                    problems.push(format!(
                        "{key}: {} activities, expected {}",
                        p.activities.len(),
                        want.len()
                    ));
                } else {
                    for (i, (a, w)) in p.activities.iter().zip(want).enumerate() {
                        problems.extend(check_activity(key, i, a, w));
                    }
                }
            } else if entry.get("distance_m").is_some() && p.activities.len() == 1 {
                // Entries that may fail give their values at the top level.
                problems.extend(check_activity(key, 0, &p.activities[0], entry));
            }
            if let (Some(n), [a]) = (
                entry.get("track_points").and_then(Value::as_u64),
                p.activities.as_slice(),
            ) && a.track_points as u64 != n
            {
                problems.push(format!(
                    "{key}: {} track points, expected {n}",
                    a.track_points
                ));
            }
            for a in &p.activities {
                if a.samples.len() > knots_import::MAX_SAMPLES {
                    problems.push(format!("{key}: {} samples", a.samples.len()));
                }
            }
        }
    }
    problems
}

fn check_strava(key: &str, entry: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let path = testdata().join(key);
    let import = match parse_zip(File::open(&path).expect("open zip"), key) {
        Ok(i) => i,
        Err(e) => return vec![format!("{key}: {e}")],
    };
    if !import.is_strava {
        problems.push(format!("{key}: not recognised as a strava export"));
    }
    let shoes: Vec<&str> = import.shoes.iter().map(|s| s.name.as_str()).collect();
    let want_shoes: Vec<&str> = entry["shoes"]
        .as_array()
        .expect("shoes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if shoes != want_shoes {
        problems.push(format!("{key}: shoes {shoes:?}, expected {want_shoes:?}"));
    }
    for row in entry["strava_rows"].as_array().expect("strava_rows") {
        let id = row["activity_id"].as_u64().expect("activity_id");
        let Some(e) = import
            .entries
            .iter()
            .find(|e| e.strava.as_ref().and_then(|r| r.activity_id) == Some(id))
        else {
            problems.push(format!("{key}: no entry for activity {id}"));
            continue;
        };
        let r = e.strava.as_ref().expect("row");
        let gear = row["gear"].as_str().filter(|g| !g.is_empty());
        if r.gear.as_deref() != gear {
            problems.push(format!("{key} {id}: gear {:?}, expected {gear:?}", r.gear));
        }
        let file = row["file"].as_str();
        if r.file.as_deref() != file {
            problems.push(format!("{key} {id}: file {:?}, expected {file:?}", r.file));
        }
        match file {
            Some(f) if e.path != format!("{key}!{f}") => {
                problems.push(format!("{key} {id}: path {}, expected {key}!{f}", e.path));
            }
            _ => {}
        }
        match &e.result {
            Ok(Outcome::Parsed(p)) if p.activities.len() == 1 => {
                let a = &p.activities[0];
                problems.extend(check_activity(&e.path, 0, a, row));
                if file.is_none() && a.format != Format::StravaCsv {
                    problems.push(format!(
                        "{key} {id}: manual entry has format {:?}",
                        a.format
                    ));
                }
                let want_sport = match row["type"].as_str() {
                    Some("Run") => "running",
                    Some("Walk") => "walking",
                    _ => "",
                };
                if a.sport != want_sport {
                    problems.push(format!(
                        "{key} {id}: sport {}, expected {want_sport}",
                        a.sport
                    ));
                }
            }
            other => problems.push(format!("{key} {id}: {other:?}, expected one activity")),
        }
    }
    problems
}

#[test]
fn every_file_meets_its_expected_entry() {
    let dir = testdata();
    let expected = expected();
    let mut problems = Vec::new();
    let mut checked = 0;
    for (key, entry) in &expected {
        if key.ends_with(".zip") {
            problems.extend(check_strava(key, entry));
        } else {
            let bytes = std::fs::read(dir.join(key)).unwrap_or_else(|e| panic!("read {key}: {e}"));
            let result = parse_file(key, &bytes);
            problems.extend(check_file(key, entry, &result));
        }
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} entries in expected.json");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_file_in_testdata_has_an_entry() {
    let dir = testdata();
    let keys: BTreeSet<String> = expected().keys().cloned().collect();
    let mut missing = Vec::new();
    for folder in ["fit", "gpx", "tcx", "broken", "strava"] {
        for f in std::fs::read_dir(dir.join(folder)).expect("read folder") {
            let name = f.expect("entry").file_name().to_string_lossy().into_owned();
            let key = format!("{folder}/{name}");
            if !keys.contains(&key) {
                missing.push(key);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "files without an expected entry: {missing:?}"
    );
}

#[test]
fn failures_name_the_place() {
    let dir = testdata();
    let read = |k: &str| std::fs::read(dir.join(k)).expect("read");
    let err = parse_file("random-bytes.fit", &read("broken/random-bytes.fit")).expect_err("fails");
    assert!(matches!(err, Error::Fit { offset: 0, .. }), "{err}");
    let err =
        parse_file("shopping-list.gpx", &read("broken/shopping-list.gpx")).expect_err("fails");
    assert!(
        matches!(
            err,
            Error::Xml {
                line: 1,
                column: 1,
                ..
            }
        ),
        "{err}"
    );
    // The chained file's corrupt second header is at byte 771.
    let out =
        parse_file("x.fit", &read("fit/activity-settings-corruptheader.fit")).expect("imports");
    assert!(
        out.warnings().iter().any(|w| w.contains("byte 771")),
        "{:?}",
        out.warnings()
    );
}
