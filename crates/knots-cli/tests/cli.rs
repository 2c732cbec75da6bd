//! Drives the real `knots` binary on real SQLite files in temp folders.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;
use common::{json, knots, ok};

use serde_json::Value;
use std::path::{Path, PathBuf};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn db(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

fn refused(db: &Path, args: &[&str], code: i32, needle: &str) {
    if !db.exists() {
        // No journal yet: the refusal may create an empty one (a command that writes opens it
        // first) but must store nothing in it.
        let out = knots(db, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "knots {args:?}: {err}");
        assert!(
            err.contains(needle),
            "knots {args:?}: `{needle}` not in: {err}"
        );
        if db.exists() {
            let after = json(db, &["export"]);
            for kind in [
                "runs",
                "pain_reports",
                "findings",
                "treatments",
                "sessions",
                "shoes",
            ] {
                assert_eq!(
                    after[kind],
                    serde_json::json!([]),
                    "knots {args:?} stored {kind}"
                );
            }
        }
        return;
    }
    let before = ok(db, &["export"]);
    let out = knots(db, args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "knots {args:?}: {err}");
    assert!(
        err.contains(needle),
        "knots {args:?}: `{needle}` not in: {err}"
    );
    assert_eq!(
        before,
        ok(db, &["export"]),
        "knots {args:?} changed the journal"
    );
}

const LATERAL_KNEE: &[&str] = &[
    "find",
    "--region",
    "lateral_knee",
    "--side",
    "left",
    "--context",
    "during_run",
    "--json",
];

fn muscles(find: &Value) -> Vec<String> {
    find["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["muscle"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn find_ranks_the_textbook_lateral_knee_muscles_with_disclaimer() {
    let env = Env::new();
    let d = json(&env.db("k.db"), LATERAL_KNEE);
    let top: Vec<String> = muscles(&d).into_iter().take(5).collect();
    for m in [
        "tensor_fasciae_latae",
        "vastus_lateralis",
        "gluteus_minimus",
    ] {
        assert!(top.contains(&m.to_string()), "{m} not in {top:?}");
    }
    assert!(d["disclaimer"].as_str().unwrap().contains("not diagnosis"));
    assert_eq!(d["red_flags"], Value::Array(vec![]));
    let c = &d["candidates"][0];
    for field in [
        "rank",
        "trigger_point",
        "muscle",
        "score",
        "reasons",
        "landmark",
        "self_treatment",
    ] {
        assert!(!c[field].is_null(), "candidate lacks {field}");
    }
    let several = json(
        &env.db("k.db"),
        &[
            "find",
            "--region",
            "lateral_thigh",
            "--region",
            "lateral_leg",
            "--side",
            "left",
            "--json",
        ],
    );
    assert!(muscles(&several).contains(&"gluteus_minimus".to_string()));
}

#[test]
fn findings_teach_the_finder() {
    let env = Env::new();
    let db = env.db("learn.db");
    let before = json(&db, LATERAL_KNEE);
    let vl = before["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["muscle"] == "vastus_lateralis")
        .unwrap();
    let tp = vl["trigger_point"].as_str().unwrap();
    ok(
        &db,
        &[
            "knot",
            "add",
            "--trigger-point",
            tp,
            "--side",
            "left",
            "--tenderness",
            "8",
            "--reproduces",
        ],
    );
    let after = json(&db, LATERAL_KNEE);
    assert_eq!(after["candidates"][0]["trigger_point"], tp);
    let reasons = after["candidates"][0]["reasons"].to_string();
    assert!(reasons.contains("reproduces the symptom"), "{reasons}");

    let db2 = env.db("sink.db");
    let first = &before["candidates"][0];
    let first_tp = first["trigger_point"].as_str().unwrap();
    ok(
        &db2,
        &[
            "knot",
            "add",
            "--trigger-point",
            first_tp,
            "--side",
            "left",
            "--tenderness",
            "0",
        ],
    );
    let sunk = json(&db2, LATERAL_KNEE);
    let rank = sunk["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["trigger_point"] == first_tp)
        .map_or(999, |c| c["rank"].as_u64().unwrap());
    assert!(
        rank > first["rank"].as_u64().unwrap(),
        "not-tender spot stayed at {rank}"
    );
}

#[test]
fn red_flags_go_first() {
    let env = Env::new();
    let db = env.db("flags.db");
    ok(
        &db,
        &[
            "pain",
            "add",
            "--region",
            "calf",
            "--side",
            "left",
            "--pain",
            "6",
            "--context",
            "rest",
            "--red-flag",
            "swelling",
        ],
    );
    let d = json(
        &db,
        &["find", "--region", "calf", "--side", "left", "--json"],
    );
    assert_eq!(d["red_flags"][0]["id"], "swelling");
    assert!(
        d["warning"]
            .as_str()
            .unwrap()
            .starts_with("SEE A CLINICIAN")
    );
    let text = ok(&db, &["find", "--region", "calf", "--side", "left"]);
    assert!(text.starts_with("!! SEE A CLINICIAN"), "{text}");
    let status = ok(&db, &["status"]);
    assert!(status.starts_with("!! SEE A CLINICIAN"), "{status}");
    // With a red flag active the plan schedules no running, in JSON, in words and in a calendar.
    ok(
        &db,
        &[
            "run",
            "add",
            "--km",
            "7k",
            "--minutes",
            "42",
            "--date",
            "yesterday",
        ],
    );
    let plan = json(&db, &["plan", "--json"]);
    assert_eq!(plan["plan"]["weeks"], Value::Array(vec![]), "{plan}");
    let text = ok(&db, &["plan"]);
    assert!(text.contains("no running planned"), "{text}");
}

#[test]
fn unknown_ids_exit_2_with_the_closest_ids() {
    let env = Env::new();
    let db = env.db("u.db");
    refused(
        &db,
        &["find", "--region", "lateral_kne", "--side", "left"],
        2,
        "lateral_knee",
    );
    refused(
        &db,
        &[
            "knot",
            "add",
            "--trigger-point",
            "vastus_lateralis_dist",
            "--side",
            "left",
            "--tenderness",
            "5",
        ],
        2,
        "vastus_lateralis_distal",
    );
    refused(
        &db,
        &["find", "--region", "calf", "--side", "lft"],
        2,
        "left",
    );
    refused(
        &db,
        &["treat", "add", "--kind", "massage", "--side", "left"],
        2,
        "deep_tissue",
    );
}

#[test]
fn bad_values_name_the_field_and_write_nothing() {
    let env = Env::new();
    let db = env.db("bad.db");
    ok(&db, &["shoe", "add", "Road"]);
    refused(
        &db,
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
        2,
        "--tenderness",
    );
    refused(
        &db,
        &[
            "pain",
            "add",
            "--region",
            "heel",
            "--side",
            "left",
            "--pain",
            "-1",
            "--context",
            "morning",
        ],
        2,
        "--pain",
    );
    refused(&db, &["run", "add", "--km", "-3"], 2, "--km");
    refused(
        &db,
        &["run", "add", "--km", "5", "--date", "2999-01-01"],
        2,
        "is in the future",
    );
    refused(
        &db,
        &["run", "add", "--km", "5", "--pain-onset-km", "6"],
        2,
        "pain_onset_km",
    );
    refused(
        &db,
        &["run", "add", "--km", "5", "--shoe", "Raod"],
        2,
        "Road",
    );
    refused(
        &db,
        &[
            "knot",
            "add",
            "--trigger-point",
            "soleus_1",
            "--side",
            "left",
            "--tenderness",
            "4",
            "--at",
            "2999-01-01T10:00",
        ],
        2,
        "is in the future",
    );
    refused(&db, &["shoe", "add", "Road"], 2, "already exists");
    let session = env.file(
        "too-deep.toml",
        "pressure_ceiling = 7\n[[treatments]]\nkind = \"deep_tissue\"\ntarget = \"vastus_lateralis\"\nside = \"left\"\npressure = 5\n[[treatments]]\nkind = \"deep_tissue\"\nside = \"left\"\npressure = 8\n",
    );
    refused(
        &db,
        &["session", "add", "--file", session.to_str().unwrap()],
        2,
        "treatments[1].pressure",
    );
    let broken = env.file("broken.json", "{\"pressure_ceiling\": 7, \"findings\": [{\"trigger_point\": \"soleus_1\", \"side\": \"left\", \"tenderness\": 12}]}");
    refused(
        &db,
        &["session", "add", "--file", broken.to_str().unwrap()],
        2,
        "0-10",
    );
}

#[test]
fn every_record_command_stores_what_it_says() {
    let env = Env::new();
    let db = env.db("all.db");
    ok(
        &db,
        &[
            "shoe",
            "add",
            "Trail",
            "--started",
            "2026-01-01",
            "--initial-km",
            "650",
        ],
    );
    ok(
        &db,
        &[
            "run",
            "add",
            "--km",
            "60",
            "--minutes",
            "360",
            "--date",
            "2026-03-01",
            "--shoe",
            "Trail",
            "--surface",
            "road",
            "--camber",
            "left",
            "--pain-onset-km",
            "1.6",
            "--max-pain",
            "6",
            "--pain-next-morning",
            "3",
            "--rpe",
            "5",
        ],
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
            "6",
            "--context",
            "during_run",
            "--onset-km",
            "1.6",
            "--no-red-flags",
        ],
    );
    ok(
        &db,
        &[
            "treat",
            "add",
            "--kind",
            "foam_roll",
            "--target",
            "lateral_thigh",
            "--side",
            "left",
            "--minutes",
            "10",
        ],
    );
    ok(
        &db,
        &[
            "treat",
            "add",
            "--kind",
            "deep_tissue",
            "--target",
            "vastus_lateralis_distal",
            "--side",
            "left",
            "--pressure",
            "7",
            "--by",
            "therapist",
        ],
    );
    let session = env.file(
        "s.toml",
        "at = \"2026-03-05T10:00\"\nsubjective = \"outer knee after a mile\"\npressure_ceiling = 7\nrelaxation = 2\nminutes = 60\n[[findings]]\ntrigger_point = \"vastus_lateralis_distal\"\nside = \"left\"\ntenderness = 9\ntaut_band = true\nreproduces = true\n[[treatments]]\nkind = \"ice\"\ntarget = \"lateral_thigh\"\nside = \"left\"\nminutes = 8\n",
    );
    let id = json(
        &db,
        &[
            "session",
            "add",
            "--file",
            session.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(id["id"], 1);
    let json_session = env.file("s.json", r#"{"pressure_ceiling": 6, "treatments": [{"kind": "hot_stone", "side": "left", "minutes": 15}]}"#);
    ok(
        &db,
        &["session", "add", "--file", json_session.to_str().unwrap()],
    );
    ok(
        &db,
        &[
            "checkin",
            "--morning-pain",
            "2",
            "--stiffness",
            "3",
            "--water-l",
            "2.5",
            "--potassium",
            "true",
            "--sleep-h",
            "7.5",
        ],
    );
    ok(&db, &["checkin", "--morning-pain", "1"]);
    ok(
        &db,
        &[
            "profile",
            "set",
            "--leg-length-diff-mm",
            "5",
            "--longer-leg",
            "right",
        ],
    );
    assert!(ok(&db, &["profile", "show"]).contains("5 mm, right leg longer"));

    let shoes = json(&db, &["shoe", "list", "--json"]);
    assert_eq!(shoes["shoes"][0]["km"], 710.0);
    assert_eq!(shoes["shoes"][0]["past_limit"], true);
    ok(&db, &["shoe", "retire", "Trail", "--date", "2026-04-01"]);
    assert!(ok(&db, &["shoe", "list"]).contains("retired 2026-04-01"));

    let export = json(&db, &["export"]);
    assert_eq!(export["format"], "knots-journal");
    assert_eq!(export["version"], 3);
    assert_eq!(
        export["checkins"].as_array().unwrap().len(),
        1,
        "a second check-in of the day merges into the first"
    );
    assert_eq!(export["findings"][0]["session"], 1);
    assert_eq!(export["treatments"].as_array().unwrap().len(), 4);

    let log = json(&db, &["log", "--json"]);
    let kinds: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    for k in ["run", "pain", "treatment", "session", "finding", "checkin"] {
        assert!(kinds.contains(&k), "log lacks {k}: {kinds:?}");
    }
    assert_eq!(
        json(&db, &["log", "--json", "--limit", "2"])["entries"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let status = json(&db, &["status", "--json"]);
    assert_eq!(
        status["knots"][0]["trigger_point"],
        "vastus_lateralis_distal"
    );
    assert_eq!(status["counts"]["sessions"], 2);
}

#[test]
fn demo_tells_the_story_and_refuses_real_journals() {
    let env = Env::new();
    let db = env.db("demo.db");
    let tour = ok(&db, &["demo"]);
    assert!(tour.contains("starting after 1.6 km"), "{tour}");
    assert!(tour.contains("pressure ceiling 7/10"), "{tour}");
    assert!(
        tour.contains("Longest pain-free run since the pain began: 10.0 km"),
        "{tour}"
    );
    let after_session = tour.split("3. After").nth(1).unwrap();
    assert!(
        after_session
            .lines()
            .nth(1)
            .unwrap()
            .contains("vastus_lateralis_distal"),
        "{tour}"
    );
    ok(&db, &["demo"]);
    let status = json(&db, &["status", "--json"]);
    assert_eq!(status["longest_pain_free_run"]["km"], 10.0);

    let real = env.db("real.db");
    ok(
        &real,
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
    refused(&real, &["demo"], 2, "not a demo");
}

#[test]
fn export_import_json_export_is_identical() {
    let env = Env::new();
    let db = env.db("demo.db");
    ok(&db, &["demo"]);
    let first = ok(&db, &["export"]);
    let file = env.file("export.json", &first);
    let copy = env.db("copy.db");
    let said = ok(&copy, &["import-json", file.to_str().unwrap()]);
    let reactions = serde_json::from_str::<Value>(&first).unwrap()["reactions"]
        .as_array()
        .unwrap()
        .len();
    assert!(
        said.contains(&format!(", {reactions} reactions,")),
        "{said}"
    );
    assert_eq!(first, ok(&copy, &["export"]));
    refused(
        &copy,
        &["import-json", file.to_str().unwrap()],
        2,
        "not empty",
    );
    let wrong = env.file("wrong.json", "{\"format\": \"gpx\"}");
    refused(
        &env.db("empty.db"),
        &["import-json", wrong.to_str().unwrap()],
        2,
        "`format` is `gpx`",
    );
    let tampered = env.file(
        "tampered.json",
        &first.replacen("\"tenderness\": 9", "\"tenderness\": 19", 1),
    );
    refused(
        &env.db("empty2.db"),
        &["import-json", tampered.to_str().unwrap()],
        2,
        "0-10",
    );
}

#[test]
fn a_damaged_or_unwritable_journal_is_a_clear_error() {
    let env = Env::new();
    let corrupt = env.file(
        "corrupt.db",
        "this is not a database, it is a text file of some length\n",
    );
    let out = knots(&corrupt, &["status"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("damaged or not a knots journal"));
    let out = knots(Path::new("/proc/no/such/dir/k.db"), &["status"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a read of a journal that does not exist"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no journal at"));
    let out = knots(
        Path::new("/proc/no/such/dir/k.db"),
        &["checkin", "--sleep-h", "7"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open the journal"));
}

#[test]
fn a_negative_number_is_refused_by_its_field() {
    let env = Env::new();
    let db = env.db("neg.db");
    for args in [
        &[
            "pain",
            "add",
            "--region",
            "calf",
            "--side",
            "left",
            "--pain",
            "-1",
            "--context",
            "rest",
            "--no-red-flags",
        ][..],
        &["run", "add", "--km", "5k", "--minutes", "30", "--rpe", "-3"][..],
    ] {
        let out = knots(&db, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("must be an integer 0-10"), "{args:?}: {err}");
    }
}

#[test]
fn atlas_commands_list_show_and_check() {
    let env = Env::new();
    let db = env.db("a.db");
    assert!(ok(&db, &["atlas", "check"]).starts_with("atlas ok"));
    let list = json(&db, &["atlas", "list", "--json"]);
    assert!(list["trigger_points"].as_array().unwrap().len() >= 40);
    assert!(ok(&db, &["atlas", "show", "vastus_lateralis"]).contains("vastus_lateralis_distal"));
    assert_eq!(
        json(&db, &["atlas", "show", "soleus_1", "--json"])["trigger_points"][0]["muscle"],
        "soleus"
    );
    let bad_dir = env.dir.path().join("atlas");
    std::fs::create_dir(&bad_dir).unwrap();
    std::fs::write(
        bad_dir.join("x.toml"),
        "[[muscle]]\nid = \"m\"\nname = \"M\"\narea = \"hip\"\n[[trigger_point]]\nid = \"m_1\"\nmuscle = \"m\"\nname = \"n\"\nview = \"front\"\nx = 1.5\ny = 0.5\nlandmark = \"l\"\nprimary = [\"lateral_kne\"]\nspillover = []\ncontexts = []\nself_treatment = \"s\"\nstretch = \"s\"\nstrengthen = \"s\"\nsources = [\"TS\"]\n",
    )
    .unwrap();
    let out = knots(&db, &["atlas", "check", "--dir", bad_dir.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("x.toml: trigger_point `m_1`: `x` = 1.5 is outside 0..1"),
        "{err}"
    );
    assert!(err.contains("unknown region `lateral_kne`"), "{err}");
}
