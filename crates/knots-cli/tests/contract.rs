//! The CLI's contract, through the real binary: every `--json` output is an object naming its
//! schema, completions and the man page are generated, a read never creates a journal, units are
//! typed and shown as preferred, and the demo tour prints only commands that work.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;
use common::{command, json, knots, ok};

use serde_json::Value;
use std::path::{Path, PathBuf};

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
}

/// Runs knots with `KNOTS_UNITS` set and returns stdout (asserting success).
fn with_units(db: &Path, units: &str, args: &[&str]) -> String {
    let out = command()
        .env("KNOTS_UNITS", units)
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_json_output_is_an_object_with_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    ok(&db, &["demo"]);
    let gpx = testdata("gpx/cerknicko-jezero.gpx");
    let gpx = gpx.to_str().unwrap();
    let commands: Vec<(Vec<&str>, &str)> = vec![
        (vec!["status", "--json"], "status"),
        (vec!["log", "--json"], "log"),
        (vec!["log", "--changes", "--json"], "changes"),
        (vec!["shoe", "list", "--json"], "shoes"),
        (vec!["report", "--json"], "report"),
        (vec!["plan", "--json"], "plan"),
        (
            vec![
                "find",
                "--region",
                "lateral_knee",
                "--side",
                "left",
                "--json",
            ],
            "find",
        ),
        (
            vec![
                "search",
                "--region",
                "lateral_knee",
                "--side",
                "left",
                "--json",
            ],
            "search",
        ),
        (vec!["atlas", "list", "--json"], "atlas"),
        (vec!["atlas", "show", "soleus", "--json"], "atlas_show"),
        (vec!["profile", "show", "--json"], "profile"),
        (vec!["import", "--json", gpx], "import"),
        (vec!["run", "add", "--km", "5k", "--json"], "added"),
        (vec!["run", "edit", "1", "--km", "6", "--json"], "change"),
        (vec!["checkin", "delete", "1", "--yes", "--json"], "delete"),
        (vec!["config", "show", "--json"], "config"),
    ];
    let originals = tempfile::tempdir().unwrap();
    let originals = originals.path().join("o");
    let originals = originals.to_str().unwrap();
    let mut commands = commands;
    commands.push((
        vec!["export", "--originals", originals, "--json"],
        "export_originals",
    ));
    for (args, name) in commands {
        let v: Value = json(&db, &args);
        assert!(v.is_object(), "{args:?}: not an object");
        assert_eq!(v["schema"], format!("knots.{name}/1"), "{args:?}");
    }
    // The export keeps its own versioned envelope.
    let export = json(&db, &["export"]);
    assert_eq!(export["format"], "knots-journal");
}

#[test]
fn completions_and_man_page_are_generated() {
    for shell in ["bash", "zsh", "fish"] {
        let out = command().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("knots"), "{shell}");
        // The closed vocabularies are offered.
        assert!(
            text.contains("during_run"),
            "{shell} completions lack the contexts"
        );
    }
    let out = command().arg("man").output().unwrap();
    assert!(out.status.success());
    let man = String::from_utf8(out.stdout).unwrap();
    assert!(
        man.starts_with(".ie") || man.contains("\n.TH knots"),
        "{man}"
    );
    assert!(man.contains("PostgreSQL"), "the man page documents --db");
}

#[test]
fn help_lists_every_closed_value_set_and_an_example_per_command() {
    let help = |args: &[&str]| {
        let out = command().args(args).arg("--help").output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let top = help(&[]);
    assert!(!top.starts_with("The knots command-line program"), "{top}");
    assert!(top.contains("PostgreSQL URL"), "{top}");
    let pain = help(&["pain", "add"]);
    for word in ["lateral_knee", "both", "during_run", "night_pain"] {
        assert!(pain.contains(word), "pain add --help lacks {word}");
    }
    assert!(help(&["treat", "add"]).contains("foam_roll"));
    assert!(help(&["run", "add"]).contains("treadmill"));
    let commands = <Vec<&str>>::from([
        "init",
        "demo",
        "find",
        "search",
        "pain",
        "knot",
        "treat",
        "session",
        "run",
        "shoe",
        "checkin",
        "activity",
        "profile",
        "log",
        "status",
        "report",
        "plan",
        "export",
        "import-json",
        "atlas",
        "import",
        "serve",
        "config",
        "completions",
        "man",
    ]);
    for c in commands {
        assert!(
            help(&[c]).contains("Example: knots"),
            "`knots {c} --help` has no example"
        );
    }
}

#[test]
fn a_read_on_a_missing_journal_says_so_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("none").join("j.db");
    for args in [
        &["status"][..],
        &["log"],
        &["report"],
        &["plan"],
        &["export"],
        &["shoe", "list"],
    ] {
        let out = knots(&db, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("no journal at"));
        assert!(!db.exists() && !db.parent().unwrap().exists(), "{args:?}");
    }
    let db = dir.path().join("new.db");
    let out = knots(&db, &["run", "add", "--km", "5"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("creating a new journal at") && err.contains("new.db"),
        "{err}"
    );
    let again = knots(&db, &["run", "add", "--km", "5", "--date", "yesterday"]);
    assert!(!String::from_utf8_lossy(&again.stderr).contains("creating"));
}

#[test]
fn distances_are_typed_with_units_and_shown_in_the_preferred_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("u.db");
    ok(&db, &["init"]);
    let status = ok(&db, &["status"]);
    assert!(
        status.contains("0.0 km") && !status.contains("-0"),
        "{status}"
    );
    ok(
        &db,
        &[
            "pain",
            "add",
            "--region",
            "lateral_knee",
            "--side",
            "left",
            "--pain",
            "5",
            "--context",
            "during_run",
            "--no-red-flags",
            "--onset-km",
            "1mi",
        ],
    );
    let export = json(&db, &["export"]);
    let onset = export["pain_reports"][0]["onset_km"].as_f64().unwrap();
    assert!((onset - 1.609_344).abs() < 1e-9, "{onset}");
    let find = with_units(
        &db,
        "mi",
        &[
            "find",
            "--region",
            "lateral_knee",
            "--side",
            "left",
            "--onset-km",
            "1mi",
        ],
    );
    assert!(find.contains("after 1.0 mi"), "{find}");
    ok(
        &db,
        &[
            "run",
            "add",
            "--km",
            "10k",
            "--minutes",
            "55:00",
            "--date",
            "today",
        ],
    );
    let log = with_units(&db, "mi", &["log"]);
    assert!(log.contains("6.2 mi run in 55:00 (8:51 /mi)"), "{log}");
    let log = ok(&db, &["log"]);
    assert!(log.contains("10.0 km run in 55:00 (5:30 /km)"), "{log}");
    // Each line shows the id that `edit`, `delete` and `reaction --treatment` take.
    assert!(log.contains(" run          #1  10.0 km"), "{log}");
    // A plain number is in the preferred unit; JSON stays metric.
    with_units(
        &db,
        "mi",
        &["run", "add", "--km", "2", "--date", "2026-01-02"],
    );
    let runs = json(&db, &["export"])["runs"].clone();
    let km: Vec<f64> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["km"].as_f64().unwrap())
        .collect();
    assert!(
        km.iter().any(|k| (k - 2.0 * 1.609_344).abs() < 1e-9),
        "{km:?}"
    );
    let bad = knots(&db, &["run", "add", "--km", "10 furlongs"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("6.2mi"));
}

#[test]
fn the_demo_tour_prints_only_commands_that_work() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("my demo.db");
    let tour = ok(&db, &["demo"]);
    let commands: Vec<&str> = tour
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("$ "))
        .collect();
    assert!(commands.len() >= 4, "{tour}");
    for line in commands {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "\"$KNOTS\" {}",
                line.strip_prefix("knots ").unwrap()
            ))
            .env("KNOTS", env!("CARGO_BIN_EXE_knots"))
            .env_remove("KNOTS_DB")
            .env("KNOTS_CONFIG", "/nonexistent/knots-test/config.toml")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "`{line}` from the tour fails: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn edit_values_take_units_like_the_add_commands() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e.db");
    let id = json(
        &db,
        &["run", "add", "--km", "5", "--minutes", "30", "--json"],
    )["id"]
        .as_i64()
        .unwrap()
        .to_string();
    ok(
        &db,
        &["run", "edit", &id, "--km", "6.2mi", "--minutes", "1:02:30"],
    );
    let run = &json(&db, &["export"])["runs"][0];
    assert!((run["km"].as_f64().unwrap() - 6.2 * 1.609_344).abs() < 1e-9);
    assert_eq!(run["minutes"].as_f64(), Some(62.5));
    // A plain number is in the preferred unit.
    with_units(&db, "mi", &["run", "edit", &id, "--km", "5"]);
    let run = &json(&db, &["export"])["runs"][0];
    assert!((run["km"].as_f64().unwrap() - 5.0 * 1.609_344).abs() < 1e-9);
    // A distance that does not parse is bad input (exit 2), naming the flag; nothing changes.
    let bad = knots(&db, &["run", "edit", &id, "--km", "6 furlongs"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--km"));
}
