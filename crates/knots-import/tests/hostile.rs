//! Hostile inputs: bombs and huge fields give an error or a truncation with a warning, never a
//! parse that keeps memory out of proportion to what the file can justify. Peak memory of the
//! full-size versions is measured by `examples/hostile.rs` (see BENCHMARKS.md).

mod common;

use std::io::Cursor;

use common::hostile::*;
use knots_import::{
    Error, ExportKind, Limits, MAX_NAME_BYTES, MAX_NOTES_BYTES, MemoryBudget, Outcome, parse_file,
    parse_file_with, parse_fit, parse_zip, parse_zip_with,
};

#[test]
fn fit_bomb_of_fieldless_sessions_keeps_nothing() {
    // 20 MB of one-byte session messages, gzip'd to about 20 KB.
    let gz = gzip(&fit_empty_sessions(20_000_000));
    assert!(gz.len() < 40_000, "{}", gz.len());
    let outcome = parse_file("bomb.fit.gz", &gz).expect("a valid fit file");
    assert_eq!(
        outcome,
        Outcome::Skipped {
            reason: "fit file with no activity data (no session, lap or record)".into()
        }
    );
}

#[test]
fn fit_records_of_one_byte_are_capped() {
    let n = 2_000_000;
    let outcome = parse_fit(&fit_tiny_records(n)).expect("records");
    let Outcome::Parsed(p) = outcome else {
        panic!("expected an activity")
    };
    let a = &p.activities[0];
    assert_eq!(a.track_points, 1 << 20);
    assert_eq!(a.start.to_string(), "2021-09-08T01:46:40Z");
    assert!(
        p.warnings.contains(&format!(
            "the file has {} record messages: kept the first 1048576 and left out {}",
            n + 1,
            n + 1 - (1 << 20)
        )),
        "{:?}",
        p.warnings
    );
}

#[test]
fn gzip_bomb_stops_at_the_cap() {
    static BUDGET: MemoryBudget = MemoryBudget::new(64 << 20);
    let gz = gzip_zeros_mib(40);
    let limits = Limits {
        file_bytes: 32 << 20,
        budget: &BUDGET,
        ..Limits::default()
    };
    let err = parse_file_with("bomb.gpx.gz", &gz, &limits).expect_err("too large");
    assert_eq!(
        err.to_string(),
        "`bomb.gpx.gz` is larger than the limit of 33554432 bytes once decompressed"
    );
    assert_eq!(BUDGET.in_use(), 0);
}

#[test]
fn a_shared_budget_refuses_what_it_cannot_hold() {
    static BUDGET: MemoryBudget = MemoryBudget::new(1 << 20);
    let limits = Limits {
        budget: &BUDGET,
        ..Limits::default()
    };
    let err = parse_file_with("big.fit.gz", &gzip_zeros_mib(2), &limits).expect_err("budget");
    assert!(
        matches!(&err, Error::OverBudget { name, limit: 1_048_576 } if name == "big.fit.gz"),
        "{err}"
    );
    assert_eq!(BUDGET.in_use(), 0, "given back after the failed read");
    // Within the budget the same code path reads (and rejects the zeros as fit data).
    let err = parse_file_with("small.fit.gz", &gzip(&[0u8; 1000]), &limits).expect_err("no fit");
    assert!(matches!(err, Error::Fit { offset: 0, .. }), "{err}");
}

#[test]
fn zip_of_large_members_stops_at_the_archive_total() {
    let zip = zip_of_zeros(5, 4);
    let limits = Limits {
        archive_bytes: 10 << 20,
        ..Limits::default()
    };
    let import = parse_zip_with(Cursor::new(zip), "z.zip", &limits).expect("zip");
    let results: Vec<String> = import
        .entries
        .iter()
        .map(|e| match &e.result {
            Ok(o) => format!("{}: {o:?}", e.path),
            Err(err) => format!("{}: {err}", e.path),
        })
        .collect();
    assert_eq!(results.len(), 5);
    // Two members of 4 MiB are read (and are no fit data); the third passes the 10 MiB total.
    assert!(
        results[0].starts_with("z.zip!bomb0.fit: fit data at byte 0"),
        "{results:?}"
    );
    assert!(
        results[1].starts_with("z.zip!bomb1.fit: fit data at byte 0"),
        "{results:?}"
    );
    assert_eq!(
        results[2],
        "z.zip!bomb2.fit: archive `z.zip!bomb2.fit`: the archive's members decompress to more than the limit of 10485760 bytes together: this member and the rest were not read"
    );
    assert!(results[3].contains("not read: the archive's members already decompressed"));
    assert!(results[4].contains("not read"));

    // Each member is also capped on its own.
    let limits = Limits {
        file_bytes: 1 << 20,
        ..Limits::default()
    };
    let import = parse_zip_with(Cursor::new(zip_of_zeros(2, 2)), "z.zip", &limits).expect("zip");
    for e in &import.entries {
        assert!(
            matches!(
                e.result,
                Err(Error::TooLarge {
                    limit: 1_048_576,
                    ..
                })
            ),
            "{e:?}"
        );
    }
}

#[test]
fn zip_listing_too_many_members_is_refused_before_reading() {
    let names: Vec<String> = (0..50).map(|i| format!("f{i}.json")).collect();
    let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"{}"[..])).collect();
    let limits = Limits {
        archive_members: 10,
        ..Limits::default()
    };
    let err = parse_zip_with(Cursor::new(zip_of(&files)), "many.zip", &limits).expect_err("many");
    assert_eq!(
        err.to_string(),
        "archive `many.zip`: it lists 50 members, past the limit of 10 for one archive with its nested ones"
    );
}

fn testdata(path: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn garmin_connect_export_with_nested_part_zips() {
    let run = testdata("fit/garmin-fenix-5-run.fit");
    let walk = testdata("fit/garmin-fenix-5-walk.fit");
    let inner = zip_of(&[("run.fit", &run[..]), ("walk.fit", &walk[..])]);
    // A zip inside the part zip, to show any depth works.
    let deeper = zip_of(&[(
        "more/inner.zip",
        &zip_of(&[("walk-again.fit", &walk[..])])[..],
    )]);
    let export = zip_of(&[
        (
            "DI_CONNECT/DI-Connect-Fitness/me_summarizedActivities.json",
            &b"[]"[..],
        ),
        ("DI_CONNECT/DI-Connect-User/user_profile.json", &b"{}"[..]),
        ("DI_CONNECT/DI-Connect-User/shoes.csv", &b"a,b\n"[..]),
        (
            "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip",
            &inner,
        ),
        (
            "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part2.zip",
            &deeper,
        ),
    ]);
    let import = parse_zip(Cursor::new(&export), "garmin.zip").expect("export");
    assert_eq!(import.kind, ExportKind::GarminConnect);
    assert_eq!(import.summary(), "Garmin Connect export: 3 activities");
    let paths: Vec<(&str, &str)> = import
        .entries
        .iter()
        .map(|e| {
            let what = match &e.result {
                Ok(Outcome::Parsed(p)) => p.activities[0].sport.as_str(),
                Ok(Outcome::Skipped { .. }) => "skipped",
                Err(_) => "error",
            };
            (e.path.as_str(), what)
        })
        .collect();
    // Entries come in path order.
    let want = [
        ("DI-Connect-Fitness/me_summarizedActivities.json", "skipped"),
        (
            "DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip!run.fit",
            "running",
        ),
        (
            "DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip!walk.fit",
            "walking",
        ),
        (
            "DI-Connect-Uploaded-Files/UploadedFiles_0-_Part2.zip!more/inner.zip!walk-again.fit",
            "walking",
        ),
        ("DI-Connect-User/shoes.csv", "skipped"),
        ("DI-Connect-User/user_profile.json", "skipped"),
    ];
    let want: Vec<(String, &str)> = want
        .iter()
        .map(|(p, w)| (format!("garmin.zip!DI_CONNECT/{p}"), *w))
        .collect();
    let got: Vec<(String, &str)> = paths.iter().map(|(p, w)| (p.to_string(), *w)).collect();
    assert_eq!(got, want);
    let Ok(Outcome::Skipped { reason }) = &import.entries[0].result else {
        panic!("json is skipped")
    };
    assert_eq!(
        reason,
        "a json file (summaries, settings or profile data), not an activity"
    );

    // One level of nesting allowed: the zip two levels down is refused, the rest read.
    let limits = Limits {
        zip_depth: 1,
        ..Limits::default()
    };
    let import = parse_zip_with(Cursor::new(&export), "garmin.zip", &limits).expect("export");
    assert_eq!(import.activity_count(), 2);
    let refused = import
        .entries
        .iter()
        .find(|e| e.path.ends_with("inner.zip"))
        .expect("an entry for the zip too deep");
    assert_eq!(
        refused.result.as_ref().expect_err("too deep").to_string(),
        "archive `garmin.zip!DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part2.zip!more/inner.zip`: a zip nested 2 deep, past the limit of 1"
    );
}

#[test]
fn huge_text_fields_are_cut_with_a_warning() {
    let outcome = parse_file("notes.tcx", &tcx_with_notes(8 << 20)).expect("tcx");
    let Outcome::Parsed(p) = outcome else {
        panic!("expected a run")
    };
    assert_eq!(
        p.activities[0].name.as_ref().map(String::len),
        Some(MAX_NOTES_BYTES)
    );
    assert_eq!(p.activities[0].distance_m, Some(2000.0));
    assert!(
        p.warnings.contains(&format!(
            "the notes at line 1, column 120 are {} bytes long: kept the first 65536",
            8 << 20
        )),
        "{:?}",
        p.warnings
    );

    let outcome = parse_file("name.gpx", &gpx_with_name(1 << 20)).expect("gpx");
    assert_eq!(
        outcome.activities()[0].name.as_ref().map(String::len),
        Some(MAX_NAME_BYTES)
    );
    assert_eq!(
        outcome.warnings(),
        ["the track name at line 1, column 31 is 1048576 bytes long: kept the first 1024"]
    );

    let title = "t".repeat(5000);
    let csv = format!(
        "Activity ID,Activity Date,Activity Name,Activity Type,Filename\n1,\"Feb 6, 2013, 12:11:14 PM\",{title},Run,\n"
    );
    let zip = zip_of(&[("activities.csv", csv.as_bytes())]);
    let import = parse_zip(Cursor::new(zip), "s.zip").expect("strava");
    let row = import.entries[1].strava.as_ref().expect("row");
    assert_eq!(row.name.as_ref().map(String::len), Some(MAX_NAME_BYTES));
    assert_eq!(
        import.warnings,
        ["the activity name in activities.csv line 2 is 5000 bytes long: kept the first 1024"]
    );
}
