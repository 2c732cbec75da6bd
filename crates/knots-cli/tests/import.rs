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

/// Writes `files` (path under `root`, bytes) as a folder tree.
fn write_tree(root: &Path, files: &[(&str, Vec<u8>)]) {
    for (path, bytes) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

/// The same files as a zip, in memory.
fn zip_of(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in files {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// What a journal holds after an import, without ids and source paths: runs (date, km, shoe
/// name, note), activities (sport, start, distance, stream length) and shoe names, sorted.
fn journal_key(db: &Path) -> Value {
    let export: Value = serde_json::from_slice(&knots(db, &["export"]).stdout).unwrap();
    let shoe_name = |id: &Value| {
        export["shoes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| &s["id"] == id)
            .map(|s| s["name"].clone())
            .unwrap_or(Value::Null)
    };
    let mut runs: Vec<String> = export["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r["date"],
                r["km"],
                shoe_name(&r["shoe"]),
                r["note"]
            )
        })
        .collect();
    runs.sort();
    let mut activities: Vec<String> = export["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{} {} {} {} {}",
                a["sport"],
                a["start"],
                a["distance_m"],
                a["name"],
                a["stream"].as_array().map_or(0, Vec::len)
            )
        })
        .collect();
    activities.sort();
    let mut shoes: Vec<String> = export["shoes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].to_string())
        .collect();
    shoes.sort();
    serde_json::json!({ "runs": runs, "activities": activities, "shoes": shoes })
}

fn garmin_export() -> Vec<(&'static str, Vec<u8>)> {
    let t = testdata();
    let run = std::fs::read(t.join("fit/garmin-fenix-5-run.fit")).unwrap();
    let walk = std::fs::read(t.join("fit/garmin-fenix-5-walk.fit")).unwrap();
    let bike = std::fs::read(t.join("fit/garmin-fenix-5-bike.fit")).unwrap();
    let part1 = zip_of(&[("run.fit", run), ("walk.fit", walk)]);
    let part2 = zip_of(&[("nested/inner.zip", zip_of(&[("bike.fit", bike)]))]);
    vec![
        (
            "DI_CONNECT/DI-Connect-Fitness/me_summarizedActivities.json",
            b"[{\"summarizedActivitiesExport\": []}]".to_vec(),
        ),
        (
            "DI_CONNECT/DI-Connect-User/user_profile.json",
            b"{}".to_vec(),
        ),
        (
            "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip",
            part1,
        ),
        (
            "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part2.zip",
            part2,
        ),
    ]
}

#[test]
fn a_garmin_export_imports_the_same_zipped_and_extracted() {
    let dir = tempfile::tempdir().unwrap();
    let files = garmin_export();
    let folder = dir.path().join("garmin");
    write_tree(&folder, &files);
    let zip = dir.path().join("garmin.zip");
    std::fs::write(&zip, zip_of(&files)).unwrap();

    let from_folder = dir.path().join("f.db");
    let (code, v) = import(&from_folder, std::slice::from_ref(&folder));
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["schema"], "knots.import/1");
    assert_eq!(v["imported"], 3, "{v}");
    assert_eq!(v["exports"][0]["kind"], "garmin_connect");
    assert_eq!(
        v["exports"][0]["summary"],
        "Garmin Connect export: 3 activities"
    );
    let skipped = paths_of(&v, "skipped");
    assert!(
        skipped
            .iter()
            .any(|p| p.ends_with("summarizedActivities.json")),
        "the JSON summaries are skipped with a reason: {skipped:?}"
    );
    assert!(paths_of(&v, "failed").is_empty(), "{v}");

    let from_zip = dir.path().join("z.db");
    let (code, v) = import(&from_zip, &[zip]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(journal_key(&from_folder), journal_key(&from_zip));

    // The `DI_CONNECT` folder itself, given instead of the export's top folder.
    let from_inner = dir.path().join("i.db");
    let (code, v) = import(&from_inner, &[folder.join("DI_CONNECT")]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(
        v["exports"][0]["summary"],
        "Garmin Connect export: 3 activities"
    );
    assert_eq!(journal_key(&from_folder), journal_key(&from_inner));

    // The text output names the export.
    let text = String::from_utf8(
        knots(
            &dir.path().join("t.db"),
            &["import", folder.to_str().unwrap()],
        )
        .stdout,
    )
    .unwrap();
    assert!(
        text.contains("Garmin Connect export: 3 activities"),
        "{text}"
    );
}

#[test]
fn files_that_are_not_activities_are_skipped_with_why_not_failed() {
    let t = testdata();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("watch");
    write_tree(
        &folder,
        &[
            (
                "run.gpx",
                std::fs::read(t.join("gpx/cerknicko-jezero.gpx")).unwrap(),
            ),
            ("notes.txt", b"easy run, left knee fine".to_vec()),
            ("photo.jpg", vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F']),
            ("broken.fit", b"not a fit file at all".to_vec()),
            // What a Mac leaves beside a file on a watch's or a USB disk's FAT volume.
            (
                "._run.gpx",
                b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ".to_vec(),
            ),
        ],
    );
    let (code, v) = import(&dir.path().join("j.db"), &[folder]);
    // The file named as an activity that is not one fails (exit 3); the others are skipped.
    assert_eq!(code, Some(3), "{v}");
    assert_eq!(v["imported"], 1, "{v}");
    let skipped = paths_of(&v, "skipped");
    assert!(
        skipped.iter().any(|p| p.ends_with("notes.txt"))
            && skipped.iter().any(|p| p.ends_with("photo.jpg")),
        "{v}"
    );
    let reason = |name: &str| {
        v["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["path"].as_str().unwrap().ends_with(name))
            .map(|s| s["reason"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert!(reason("notes.txt").contains("holds neither"), "{v}");
    assert!(reason("photo.jpg").contains("holds neither"), "{v}");
    assert!(reason("._run.gpx").contains("AppleDouble"), "{v}");
    assert_eq!(paths_of(&v, "failed").len(), 1, "{v}");
    assert!(paths_of(&v, "failed")[0].ends_with("broken.fit"), "{v}");
}

#[test]
fn a_strava_export_folder_gives_the_journal_its_zip_gives() {
    let t = testdata();
    let dir = tempfile::tempdir().unwrap();
    let zip = t.join("strava/export_sample.zip");
    let folder = dir.path().join("export_12345");
    zip::ZipArchive::new(std::fs::File::open(&zip).unwrap())
        .unwrap()
        .extract(&folder)
        .unwrap();
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    let (code_zip, vz) = import(&a, &[zip]);
    let (code_folder, vf) = import(&b, &[folder]);
    assert_eq!((code_zip, code_folder), (Some(0), Some(0)), "{vz}\n{vf}");
    assert_eq!(vz["imported"], vf["imported"]);
    assert_eq!(vf["exports"][0]["kind"], "strava");
    let key = journal_key(&a);
    assert_eq!(key, journal_key(&b));
    assert!(
        key["shoes"].as_array().unwrap().len() >= 2,
        "gear becomes shoes: {key}"
    );
    assert!(
        key["runs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains("Brooks Ghost 5")),
        "runs keep their gear: {key}"
    );
}

/// The sample export's `activities.csv` and `shoes.csv` as Strava writes them for an account
/// in German: headers, dates ("06.02.2013, 12:11:14") and the first distance ("4,84") in the
/// account's language; names and files as they are.
const GERMAN_ACTIVITIES_CSV: &str = "\
Aktivitäts-ID,Aktivitätsdatum,Name der Aktivität,Aktivitätsart,Aktivitätsbeschreibung,Verstrichene Zeit,Distanz,Max. Herzfrequenz,Relativer Aufwand,Pendelfahrt,Private Notiz zur Aktivität,Aktivitätsausrüstung,Dateiname,Gewicht des Sportlers,Fahrradgewicht,Verstrichene Zeit,Bewegungszeit,Distanz,Höchstgeschw.,Durchschnittliche Geschwindigkeit,Höhenzunahme
8123456701,\"06.02.2013, 12:11:14\",Morning Run,Lauf,,2625,\"4,84\",,,false,,Brooks Ghost 5,activities/8123456701.fit.gz,,,2625.1,2625.1,4835.4,,,
8123456702,\"15.08.2015, 14:45:08\",Long slow run,Lauf,,2832,\"9,01\",,,false,,Brooks Ghost 5,activities/8123456702.fit.gz,,,2832.0,2832.0,9008.2,,,
8123456703,\"26.12.2012, 21:29:53\",Evening Run,Lauf,,1992,\"4,69\",,,false,,Saucony Kinvara 3,activities/8123456703.tcx.gz,,,1992.8,1992.8,4686.3,,,
8123456704,\"05.08.2010, 14:23:59\",Lake walk,Spaziergang,,7190,\"4,58\",,,false,,,activities/8123456704.gpx.gz,,,7190.0,7190.0,4576.9,,,
8123456705,\"17.01.2017, 17:06:47\",Track session,Lauf,,3424,\"6,75\",,,false,,Saucony Kinvara 3,activities/8123456705.fit,,,3424.0,3424.0,6754.0,,,
8123456706,\"08.02.2013, 07:00:00\",Treadmill (manual entry),Lauf,,1800,\"5,00\",,,false,,Brooks Ghost 5,,,,1800.0,1800.0,5000.0,,,
";

#[test]
fn a_strava_export_in_german_gives_the_journal_the_english_one_gives() {
    let t = testdata();
    let dir = tempfile::tempdir().unwrap();
    let zip = t.join("strava/export_sample.zip");
    let folder = dir.path().join("export_de");
    zip::ZipArchive::new(std::fs::File::open(&zip).unwrap())
        .unwrap()
        .extract(&folder)
        .unwrap();
    std::fs::write(folder.join("activities.csv"), GERMAN_ACTIVITIES_CSV).unwrap();
    let shoes = std::fs::read_to_string(folder.join("shoes.csv")).unwrap();
    let german_shoes = shoes.replacen(
        "Shoe Name,Shoe Brand,Shoe Model,Shoe Default Sport Types",
        "Schuhname,Schuhmarke,Schuhmodell,Standardsportarten",
        1,
    );
    assert_ne!(shoes, german_shoes, "the sample's shoes.csv header changed");
    std::fs::write(folder.join("shoes.csv"), german_shoes).unwrap();
    let (a, b) = (dir.path().join("en.db"), dir.path().join("de.db"));
    let (code_en, ven) = import(&a, &[zip]);
    let (code_de, vde) = import(&b, &[folder]);
    assert_eq!((code_en, code_de), (Some(0), Some(0)), "{ven}\n{vde}");
    assert_eq!(vde["exports"][0]["summary"], ven["exports"][0]["summary"]);
    assert_eq!(journal_key(&a), journal_key(&b));
}

#[test]
fn an_apple_health_export_attaches_the_route_zipped_or_extracted() {
    let t = testdata();
    let dir = tempfile::tempdir().unwrap();
    let files = vec![
        (
            "apple_health_export/export.xml",
            std::fs::read(t.join("apple_health/export.xml")).unwrap(),
        ),
        ("apple_health_export/export_cda.xml", b"<cda/>".to_vec()),
        (
            "apple_health_export/workout-routes/route_2010-08-05_4.23pm.gpx",
            std::fs::read(t.join("gpx/cerknicko-jezero.gpx")).unwrap(),
        ),
        (
            "apple_health_export/workout-routes/route_2010-08-07_10.00am.gpx",
            std::fs::read(t.join("gpx/cerknicko-jezero-without-elevations.gpx")).unwrap(),
        ),
    ];
    let folder = dir.path().join("unzipped");
    write_tree(&folder, &files);
    let zip = dir.path().join("export.zip");
    std::fs::write(&zip, zip_of(&files)).unwrap();
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    let (code, v) = import(&a, &[folder]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["exports"][0]["kind"], "apple_health", "{v}");
    // Two running workouts (the walk's route is skipped with its reason), the routes not
    // imported a second time as activities of their own.
    assert_eq!(v["imported"], 2, "{v}");
    assert_eq!(
        v["exports"][0]["summary"],
        "Apple Health export: 2 activities"
    );
    let (code, _) = import(&b, &[zip]);
    assert_eq!(code, Some(0));
    let key = journal_key(&a);
    assert_eq!(key, journal_key(&b));
    // A German phone names the main file `Exportieren.xml`: found all the same, extracted.
    let german = dir.path().join("entpackt");
    let german_files: Vec<(&str, Vec<u8>)> = files
        .iter()
        .map(|(name, bytes)| {
            let name = if *name == "apple_health_export/export.xml" {
                "apple_health_export/Exportieren.xml"
            } else {
                name
            };
            (name, bytes.clone())
        })
        .collect();
    write_tree(&german, &german_files);
    let c = dir.path().join("c.db");
    let (code, v) = import(&c, &[german]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["exports"][0]["kind"], "apple_health", "{v}");
    assert_eq!(key, journal_key(&c));
    let with_route = key["activities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| !a.as_str().unwrap().ends_with(" 0"))
        .count();
    assert!(with_route >= 1, "the run's route is attached: {key}");
}

#[cfg(unix)]
#[test]
fn fifos_and_links_to_devices_are_skipped_unread() {
    let t = testdata();
    let dir = tempfile::tempdir().unwrap();
    let batch = dir.path().join("batch");
    std::fs::create_dir(&batch).unwrap();
    std::fs::copy(t.join("gpx/cerknicko-jezero.gpx"), batch.join("run.gpx")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", batch.join("zero.fit")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(batch.join("pipe.gpx"))
        .status()
        .unwrap();
    assert!(made.success());
    let db = dir.path().join("f.db");
    let (code, v) = import(&db, &[batch]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["imported"], 1);
    let skipped = v["skipped"].as_array().unwrap();
    let reason = |name: &str| {
        skipped
            .iter()
            .find(|s| s["path"].as_str().unwrap().ends_with(name))
            .map(|s| s["reason"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{name} not skipped: {v}"))
    };
    assert!(reason("pipe.gpx").contains("FIFO"));
    assert!(reason("zero.fit").contains("device"));
}

/// The bytes of `member` in the zip at `zip`.
fn zip_member(zip: &Path, member: &str) -> Vec<u8> {
    use std::io::Read as _;
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut file = archive.by_name(member).unwrap();
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).unwrap();
    bytes
}

#[test]
fn export_originals_gives_back_every_imported_file_byte_for_byte() {
    use std::io::Write as _;
    let t = testdata();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("o.db");
    // A .gz of its own (a GPX no other input holds), and two files called the same.
    let gz = dir.path().join("walk.gpx.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&std::fs::read(t.join("gpx/track-with-less-sec-time.gpx")).unwrap())
        .unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::copy(
        t.join("fit/garmin-fenix-5-run.fit"),
        other.join("Activity.fit"),
    )
    .unwrap();
    let zip = t.join("strava/export_sample.zip");
    let inputs = [
        t.join("fit/Activity.fit"),
        other.join("Activity.fit"),
        t.join("gpx/cerknicko-jezero.gpx"),
        t.join("tcx/test.tcx"),
        gz.clone(),
        zip.clone(),
    ];
    let (code, summary) = import(&db, &inputs);
    assert_eq!(code, Some(0), "{summary}");
    let out = dir.path().join("originals");
    let v = common::json(
        &db,
        &["export", "--originals", out.to_str().unwrap(), "--json"],
    );
    assert_eq!(v["schema"], "knots.export_originals/1");
    let files = v["files"].as_array().unwrap();
    // Every file that added an activity is kept once; the zip's copies of the GPX and the TCX
    // are duplicates of the files imported before, and keep nothing.
    let mut written: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    written.sort_unstable();
    assert_eq!(
        written,
        [
            "Activity-2.fit",
            "Activity.fit",
            "cerknicko-jezero.gpx",
            "export_sample.zip/activities/8123456701.fit.gz",
            "export_sample.zip/activities/8123456702.fit.gz",
            "export_sample.zip/activities/8123456705.fit",
            "test.tcx",
            "walk.gpx.gz",
        ]
    );
    for f in files {
        let name = f["name"].as_str().unwrap();
        let original = match name.split_once('!') {
            Some((z, member)) => zip_member(Path::new(z), member),
            None => std::fs::read(name).unwrap(),
        };
        let back = std::fs::read(out.join(f["path"].as_str().unwrap())).unwrap();
        assert!(back == original, "{name} differs from what was imported");
        assert_eq!(f["bytes"].as_u64(), Some(original.len() as u64));
    }
    // Again into the same folder: nothing is overwritten, names get suffixes.
    let again = common::json(
        &db,
        &["export", "--originals", out.to_str().unwrap(), "--json"],
    );
    assert!(
        again["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "test-2.tcx"),
        "{again}"
    );
    // Deleting an activity deletes its original.
    let tcx = files.iter().find(|f| f["path"] == "test.tcx").unwrap()["activity"]
        .as_i64()
        .unwrap()
        .to_string();
    common::ok(&db, &["activity", "delete", &tcx, "--yes"]);
    let after = common::json(
        &db,
        &[
            "export",
            "--originals",
            dir.path().join("after").to_str().unwrap(),
            "--json",
        ],
    );
    let after = after["files"].as_array().unwrap();
    assert_eq!(after.len(), files.len() - 1);
    assert!(
        after
            .iter()
            .all(|f| f["activity"].as_i64().unwrap().to_string() != tcx)
    );
    // Without originals, none are kept.
    let bare = dir.path().join("bare.db");
    common::ok(
        &bare,
        &[
            "import",
            "--no-originals",
            t.join("tcx/test.tcx").to_str().unwrap(),
        ],
    );
    let none = common::json(
        &bare,
        &[
            "export",
            "--originals",
            dir.path().join("none").to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(none["files"].as_array().unwrap().len(), 0);
}

/// A small GPX run `day` days after 2020-01-01 (a distinct activity per day).
fn gpx_run(day: u32) -> String {
    let start = jiff::civil::date(2020, 1, 1)
        .at(7, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        + jiff::SignedDuration::from_hours(24 * i64::from(day));
    let mut points = String::new();
    for i in 0..60 {
        let t = start + jiff::SignedDuration::from_secs(10 * i64::from(i));
        // About 28 m every 10 s at this latitude: a 10 km/h run.
        let lon = 14.0 + 0.000_363 * f64::from(i);
        points.push_str(&format!(
            "<trkpt lat=\"46.0\" lon=\"{lon:.6}\"><time>{t}</time></trkpt>"
        ));
    }
    format!(
        "<?xml version=\"1.0\"?><gpx version=\"1.1\" creator=\"knots test\" \
         xmlns=\"http://www.topografix.com/GPX/1/1\"><trk><type>running</type><trkseg>{points}\
         </trkseg></trk></gpx>"
    )
}

/// What a journal holds: (activities, runs, kept originals).
fn held(db: &Path) -> (usize, usize, usize) {
    use knots_store::Store as _;
    let store = knots_store::SqliteStore::open_with(db, knots_store::Access::ReadOnly).unwrap();
    let j = store.journal().unwrap();
    (
        j.activities.len(),
        j.runs.len(),
        store.originals().unwrap().len(),
    )
}

/// How many activities the journal holds, if it can be read yet (it may not exist, or its schema
/// may still be being made).
fn activities_now(db: &Path) -> Option<usize> {
    use knots_store::Store as _;
    let store = knots_store::SqliteStore::open_with(db, knots_store::Access::ReadOnly).ok()?;
    Some(store.journal().ok()?.activities.len())
}

#[test]
fn an_import_killed_part_way_keeps_whole_files_and_running_it_again_completes_it() {
    const FILES: u32 = 1500;
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    std::fs::create_dir(&runs).unwrap();
    for day in 0..FILES {
        std::fs::write(runs.join(format!("run-{day:04}.gpx")), gpx_run(day)).unwrap();
    }
    let db = dir.path().join("k.db");
    let mut stored = 0;
    for round in 0..3 {
        let mut child = common::command()
            .arg("--db")
            .arg(&db)
            .args(["import", "--json"])
            .arg(&runs)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Killed (SIGKILL: no chance to clean up) once it has stored more than the last round.
        let killed_at = loop {
            std::thread::sleep(std::time::Duration::from_millis(5));
            if let Some(count) = activities_now(&db)
                && count > stored
            {
                child.kill().unwrap();
                break count;
            }
            assert!(
                child.try_wait().unwrap().is_none(),
                "round {round}: the import ended before it could be killed"
            );
        };
        child.wait().unwrap();
        let (activities, runs_held, originals) = held(&db);
        assert!(
            activities >= killed_at,
            "round {round}: committed files stay"
        );
        assert!(
            activities < FILES as usize,
            "round {round}: killed part way ({activities} of {FILES})"
        );
        // Whole files only: each stored file has its activity, its run and its original.
        assert_eq!(
            (runs_held, originals),
            (activities, activities),
            "round {round}"
        );
        stored = activities;
    }
    let (code, report) = import(&db, &[runs]);
    assert_eq!(code, Some(0), "{}", report["failed"]);
    assert_eq!(
        report["imported"].as_u64().unwrap() + report["duplicates"].as_u64().unwrap(),
        u64::from(FILES)
    );
    assert_eq!(report["duplicates"].as_u64().unwrap(), stored as u64);
    let n = FILES as usize;
    assert_eq!(held(&db), (n, n, n));
}
