#![allow(clippy::unwrap_used)]
//! `knots report`, `plan` and `export --csv` on the demo journal, run through the real binary; and
//! the HTML report opened in headless Chromium (screenshot kept at
//! `target/report-screenshot/demo-report.png`).

use std::path::{Path, PathBuf};
use std::process::Command;

fn knots(db: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_knots"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "knots {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn demo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    knots(&db, &["demo"]);
    (dir, db)
}

/// Every (key, value) pair of a JSON tree.
fn walk<'a>(v: &'a serde_json::Value, out: &mut Vec<(&'a str, &'a serde_json::Value)>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                out.push((k, x));
                walk(x, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
        _ => {}
    }
}

#[test]
fn the_demo_report_names_the_mother_knot_and_a_gate_with_reasons() {
    let (_dir, db) = demo();
    let out = knots(&db, &["report", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut pairs = Vec::new();
    walk(&json, &mut pairs);
    assert!(
        pairs
            .iter()
            .any(|(k, v)| k.contains("mother") && *v == "vastus_lateralis_distal")
    );
    let gate = pairs
        .iter()
        .find(|(k, v)| k.contains("gate") && v.is_string())
        .map(|(_, v)| v.as_str().unwrap())
        .unwrap();
    assert!(gate == "green" || gate == "amber", "gate {gate}");
    assert!(!json["gate_reasons"].as_array().unwrap().is_empty());
    let text = String::from_utf8(knots(&db, &["plan"]).stdout).unwrap();
    assert!(text.contains("week 1"), "{text}");
    let plan: serde_json::Value =
        serde_json::from_slice(&knots(&db, &["plan", "--json"]).stdout).unwrap();
    assert!(!plan["plan"]["weeks"].as_array().unwrap().is_empty());
}

#[test]
fn an_empty_journal_reports_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("empty.db");
    let html = dir.path().join("r.html");
    knots(&db, &["init"]);
    let out = knots(&db, &["report", "--html", html.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Missing for a fuller report"), "{text}");
    assert!(text.contains("no runs"));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("Missing for a fuller report"));
}

#[test]
fn export_csv_writes_one_file_per_kind_of_record() {
    let (dir, db) = demo();
    let out = dir.path().join("csv");
    knots(&db, &["export", "--csv", out.to_str().unwrap()]);
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert!(runs.starts_with("id,date,km,minutes,shoe,surface,camber,"));
    assert!(runs.lines().count() > 20);
    for f in [
        "pain_reports.csv",
        "findings.csv",
        "treatments.csv",
        "sessions.csv",
    ] {
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        assert!(text.lines().count() >= 2, "{f}");
    }
    // Free text with commas and quotes stays one field.
    let sessions = std::fs::read_to_string(out.join("sessions.csv")).unwrap();
    assert!(sessions.lines().nth(1).unwrap().contains("\""));
}

#[test]
fn export_csv_covers_activities_shoes_and_checkins_and_guards_formulas() {
    let (dir, db) = demo();
    knots(
        &db,
        &[
            "run",
            "add",
            "--km",
            "3",
            "--note",
            "=HYPERLINK(\"http://x\",\"a, b\")",
            "--force",
        ],
    );
    let gpx = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/gpx/cerknicko-jezero.gpx");
    knots(&db, &["import", gpx.to_str().unwrap()]);
    let out = dir.path().join("csv");
    knots(&db, &["export", "--csv", out.to_str().unwrap(), "--bom"]);
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
    for (f, header) in [
        ("activities.csv", "id,run,sport,start,"),
        ("shoes.csv", "id,name,started,retired,initial_km,limit_km"),
        ("checkins.csv", "id,date,morning_pain,stiffness,"),
    ] {
        let text = read(f);
        assert!(
            text.starts_with(&format!("\u{feff}{header}")),
            "{f}: {text}"
        );
        assert!(text.lines().count() >= 2, "{f}");
    }
    let runs_text = read("runs.csv");
    let mut runs = csv::Reader::from_reader(runs_text.trim_start_matches('\u{feff}').as_bytes());
    let notes: Vec<String> = runs
        .records()
        .map(|r| r.unwrap().get(12).unwrap().to_string())
        .collect();
    assert!(
        notes.contains(&"'=HYPERLINK(\"http://x\",\"a, b\")".to_string()),
        "the formula is defused and stays one field: {notes:?}"
    );
}

#[test]
fn the_html_report_renders_its_plots_in_headless_chromium() {
    let (dir, db) = demo();
    let artefacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/report-screenshot");
    std::fs::create_dir_all(&artefacts).unwrap();
    let html = artefacts.join("demo-report.html");
    knots(&db, &["report", "--html", html.to_str().unwrap()]);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.matches("<svg").count() >= 2);
    for external in ["src=", "href=", "http://", "https://", "@import", "url("] {
        assert!(
            !page.contains(external),
            "the report refers out: {external}"
        );
    }
    // The disclaimer comes before the first plot.
    assert!(page.find("not diagnosis").unwrap() < page.find("<svg").unwrap());

    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok())
        .unwrap_or_else(|| {
            panic!(
                "headless Chromium is needed for this test and was not found on PATH: \
                 install it with `apt-get install -y chromium` (as .ci/run does)"
            )
        });
    let png = artefacts.join("demo-report.png");
    let _ = std::fs::remove_file(&png);
    let profile = dir.path().join("chromium-profile");
    let html_abs = html.canonicalize().unwrap();
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=800,2000")
        .arg(format!("file://{}", html_abs.display()))
        .output()
        .unwrap();
    let bytes = std::fs::read(&png).unwrap_or_else(|e| {
        panic!(
            "chromium wrote no screenshot at {} ({e}): {}",
            png.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    // 800×2000 of text and plots compresses to well over 20 kB; a blank page is a few kB.
    assert!(
        bytes.len() > 20_000,
        "screenshot only {} bytes",
        bytes.len()
    );
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), (800, 2000));
}

#[test]
fn export_wellness_writes_one_row_per_day_in_intervals_icu_columns() {
    let (dir, db) = demo();
    let file = dir.path().join("wellness.csv");
    knots(&db, &["export", "--wellness", file.to_str().unwrap()]);
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("date,soreness,sleepSecs,injury,comments")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.len() >= 30, "{text}");
    let mut dates: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    dates.dedup();
    assert_eq!(dates.len(), rows.len(), "one row per day");
    for r in &rows {
        for cell in [r[1], r[3]] {
            assert!(
                cell.is_empty() || ["1", "2", "3", "4"].contains(&cell),
                "{r:?}"
            );
        }
    }
    assert!(
        rows.iter().any(|r| r[3] == "4" || r[3] == "3"),
        "the demo's pain shows as injury"
    );
    assert!(
        rows.iter()
            .any(|r| r[2].parse::<u32>().is_ok_and(|s| s > 3600))
    );
}

/// Runs knots with `KNOTS_UNITS` set to `units` and returns its stdout (asserting success).
fn text_in(db: &Path, units: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_knots"))
        .env("KNOTS_UNITS", units)
        .env("KNOTS_CONFIG", "/nonexistent/knots-test/config.toml")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "knots {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Whether `text` holds a number directly followed by ` km` (a distance left in kilometres).
fn has_km_distance(text: &str) -> bool {
    text.match_indices(" km")
        .any(|(i, _)| text[..i].ends_with(|c: char| c.is_ascii_digit()))
}

#[test]
fn the_text_report_and_plan_show_what_the_analysis_knows_in_the_preferred_unit() {
    let (dir, db) = demo();
    // A run without an RPE (its load is estimated) and a reaction after a treatment.
    knots(
        &db,
        &["run", "add", "--km", "5", "--minutes", "30", "--force"],
    );
    knots(
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
        ],
    );
    knots(
        &db,
        &["reaction", "add", "--kind", "bruising", "--severity", "4"],
    );
    let report = text_in(&db, "km", &["report"]);
    // Lines are wrapped at 100 columns: compare with single spaces.
    let flat = report.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        // The plan: its rules and each week's planned distance against its cap.
        "rules:",
        "no week more than 30% above your recent running",
        "week 1: ",
        "planned, cap ",
        // Load estimated for the run without an RPE, with the caveat.
        "estimated runs 1",
        "1 run(s) without an RPE or a duration are estimated, not measured: minutes × your median RPE",
        // What works: kinds done together, the factors, the reactions.
        "reported together with",
        "Factors (check-ins and sessions):",
        "* water: ",
        "* potassium: ",
        "* sleep: ",
        "* relaxation: ",
        "Reactions after treatments:",
        "deep_tissue: 1 reaction reported after it: bruising ×1 (worst 4/10)",
        // The therapist's side.
        "From the therapist:",
        "first deep-tissue session on ",
        "1-2 points below the usual 7",
        "home plan of ",
        "(10.0 km, ",
    ] {
        assert!(flat.contains(needle), "{needle} missing from:\n{report}");
    }
    let miles = text_in(&db, "mi", &["report"]);
    assert!(!has_km_distance(&miles), "a km distance in:\n{miles}");
    assert!(miles.contains("(6.2 mi, "), "the 10K milestone in miles");
    assert!(miles.contains(" mi continuously"), "sessions in miles");
    assert!(
        miles.contains("min/mi"),
        "the estimated runs' pace per mile"
    );
    let plan = text_in(&db, "mi", &["plan"]);
    assert!(!has_km_distance(&plan), "a km distance in:\n{plan}");
    assert!(plan.contains("planned, cap ") && plan.contains(" mi"));
    // JSON stays metric whatever the preference.
    let json: serde_json::Value =
        serde_json::from_str(&text_in(&db, "mi", &["plan", "--json"])).unwrap();
    assert!(json["plan"]["weeks"][0]["km"].as_f64().unwrap() > 0.0);
    // The HTML report in miles too.
    let html = dir.path().join("r.html");
    text_in(&db, "mi", &["report", "--html", html.to_str().unwrap()]);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("Pain-free distance per run (mi)") && !has_km_distance(&page));
}

#[test]
fn plan_ics_writes_one_calendar_event_per_session() {
    let (dir, db) = demo();
    let file = dir.path().join("plan.ics");
    knots(&db, &["plan", "--ics", file.to_str().unwrap()]);
    let bytes = std::fs::read(&file).unwrap();
    let ics = String::from_utf8(bytes).unwrap();
    // CRLF after every line, none longer than 75 octets, folded lines start with a space.
    assert!(ics.ends_with("\r\n"));
    let physical: Vec<&str> = ics.trim_end_matches("\r\n").split("\r\n").collect();
    assert!(physical.iter().all(|l| !l.contains('\n') && l.len() <= 75));
    let mut lines: Vec<String> = Vec::new();
    for l in physical {
        match l.strip_prefix(' ') {
            Some(rest) => lines.last_mut().unwrap().push_str(rest),
            None => lines.push(l.to_string()),
        }
    }
    let plan: serde_json::Value =
        serde_json::from_slice(&knots(&db, &["plan", "--json"]).stdout).unwrap();
    let sessions = plan["plan"]["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["sessions"].as_array().unwrap().len())
        .sum::<usize>();
    assert!(sessions > 0);
    let count = |p: &str| lines.iter().filter(|l| l.starts_with(p)).count();
    assert_eq!(count("BEGIN:VEVENT"), sessions);
    assert_eq!(count("END:VEVENT"), sessions);
    assert_eq!(count("DTSTART;VALUE=DATE:"), sessions);
    assert_eq!(count("DTSTAMP:"), sessions);
    let description = lines
        .iter()
        .find_map(|l| l.strip_prefix("DESCRIPTION:"))
        .unwrap();
    // Escaped: commas and semicolons carry a backslash, newlines are `\n`.
    assert!(description.contains("\\n\\nRules:\\n- no week more than 30%"));
    assert!(description.contains("\\,"));
    for c in [',', ';'] {
        let escaped = description
            .match_indices(c)
            .all(|(i, _)| description[..i].ends_with('\\'));
        assert!(escaped, "an unescaped {c} in {description}");
    }
    assert!(description.contains("not diagnosis or treatment"));
}
