//! Apple Health exports: running workouts with their routes attached, streamed `export.xml`.

use std::io::{Cursor, Read};
use std::path::Path;

use knots_import::{ExportKind, Format, Outcome, parse_apple_health, parse_zip};

fn testdata(path: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The export zip as the phone writes it (see testdata/README.md).
fn export_zip() -> Vec<u8> {
    export_zip_named("export.xml")
}

/// The export zip with its main file named `xml_name` (phones in other languages name it in
/// theirs: `Exportieren.xml` in German).
fn export_zip_named(xml_name: &str) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (name, bytes) in [
        (
            format!("apple_health_export/{xml_name}").as_str(),
            testdata("apple_health/export.xml"),
        ),
        (
            "apple_health_export/export_cda.xml",
            b"<ClinicalDocument/>".to_vec(),
        ),
        (
            "apple_health_export/workout-routes/route_2010-08-05_4.23pm.gpx",
            testdata("gpx/cerknicko-jezero.gpx"),
        ),
        (
            "apple_health_export/workout-routes/route_2010-08-07_10.00am.gpx",
            testdata("gpx/cerknicko-jezero-without-elevations.gpx"),
        ),
    ] {
        zip.start_file(name, opts).expect("zip");
        zip.write_all(&bytes).expect("zip");
    }
    zip.finish().expect("zip").into_inner()
}

#[test]
fn runs_come_with_their_routes_and_routes_are_not_imported_twice() {
    let import = parse_zip(Cursor::new(export_zip()), "export.zip").expect("export");
    assert_eq!(import.kind, ExportKind::AppleHealth);
    assert_eq!(import.summary(), "Apple Health export: 2 activities");
    let described: Vec<(String, String)> = import
        .entries
        .iter()
        .map(|e| {
            let what = match &e.result {
                Ok(Outcome::Parsed(p)) => format!("{:?}", p.activities[0].format),
                Ok(Outcome::Skipped { reason }) => reason.clone(),
                Err(err) => err.to_string(),
            };
            (e.path.clone(), what)
        })
        .collect();
    let d = |p: &str, w: &str| (format!("export.zip!apple_health_export/{p}"), w.to_string());
    assert_eq!(
        described,
        [
            d(
                "export.xml",
                "the apple health records (3 workouts; the running ones are entries of their own)"
            ),
            d("export.xml#workout1", "AppleHealth"),
            d(
                "workout-routes/route_2010-08-07_10.00am.gpx",
                "the route of workout 2 in apple_health_export/export.xml, which is not a run"
            ),
            d("export.xml#workout3", "AppleHealth"),
            d(
                "export_cda.xml",
                "a .xml file, not an activity file (.fit, .gpx, .tcx, .zip)"
            ),
        ]
    );

    let run = &import.entries[1].result.as_ref().expect("run").activities()[0];
    assert_eq!(run.format, Format::AppleHealth);
    assert_eq!(run.sport, "running");
    assert_eq!(run.start.to_string(), "2010-08-05T14:23:59Z");
    assert_eq!(run.utc_offset_s, Some(7200));
    assert_eq!(run.elapsed_s, 7190.0);
    assert!((run.timer_s.expect("duration") - 7190.0).abs() < 0.01);
    assert_eq!(run.distance_m, Some(4610.0), "Apple's own total");
    assert_eq!(run.energy_kcal, Some(412.5));
    assert_eq!((run.avg_hr, run.max_hr), (Some(151.2), Some(178.0)));
    // From the route: its 296 points, a plot and the climb.
    assert_eq!(run.track_points, 296);
    assert!(!run.samples.is_empty() && run.samples.len() <= knots_import::MAX_SAMPLES);
    assert!(run.ascent_m.is_some());

    // A German phone's export, `Exportieren.xml`: the same runs, with the same routes.
    let german = parse_zip(
        Cursor::new(export_zip_named("Exportieren.xml")),
        "export.zip",
    )
    .expect("German export");
    assert_eq!(german.kind, ExportKind::AppleHealth);
    assert_eq!(german.summary(), "Apple Health export: 2 activities");
    assert_eq!(
        german.entries[1].path,
        "export.zip!apple_health_export/Exportieren.xml#workout1"
    );
    let german_run = &german.entries[1].result.as_ref().expect("run").activities()[0];
    assert_eq!(
        (
            german_run.start,
            german_run.track_points,
            german_run.distance_m
        ),
        (run.start, run.track_points, run.distance_m)
    );

    let old_style = &import.entries[3].result.as_ref().expect("run").activities()[0];
    assert_eq!(old_style.start.to_string(), "2010-08-08T05:00:00Z");
    assert_eq!(
        (old_style.elapsed_s, old_style.timer_s),
        (1560.0, Some(1530.0))
    );
    assert!((old_style.distance_m.expect("distance") - 4988.9664).abs() < 1e-6);
    assert_eq!(old_style.energy_kcal, Some(320.0));
    assert_eq!(old_style.track_points, 0);
}

/// An `export.xml` of `records` health records around one run, produced as it is read.
struct Generated {
    head: Cursor<Vec<u8>>,
    records: usize,
    tail: Cursor<Vec<u8>>,
    pending: Cursor<Vec<u8>>,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.head.read(buf)?;
        if n > 0 {
            return Ok(n);
        }
        loop {
            let n = self.pending.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            if self.records == 0 {
                return self.tail.read(buf);
            }
            self.records -= 1;
            self.pending = Cursor::new(
                br#" <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Watch" unit="count/min" startDate="2010-08-05 16:30:00 +0200" endDate="2010-08-05 16:30:00 +0200" value="142"/>
"#
                .to_vec(),
            );
        }
    }
}

#[test]
fn export_xml_is_streamed() {
    // About 35 MB of records that never exist in memory at once.
    let records = 200_000;
    let xml = Generated {
        head: Cursor::new(b"<HealthData locale=\"en_GB\">\n".to_vec()),
        records,
        tail: Cursor::new(
            br#"<Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="30" durationUnit="min" totalDistance="5" totalDistanceUnit="km" startDate="2020-05-01 07:00:00 +0200" endDate="2020-05-01 07:30:00 +0200"/>
</HealthData>
"#
            .to_vec(),
        ),
        pending: Cursor::new(Vec::new()),
    };
    let outcome = parse_apple_health(std::io::BufReader::new(xml)).expect("export");
    let run = &outcome.activities()[0];
    assert_eq!(run.start.to_string(), "2020-05-01T05:00:00Z");
    assert_eq!((run.elapsed_s, run.distance_m), (1800.0, Some(5000.0)));

    let err = parse_apple_health(&b"\n\n<gpx/>"[..]).expect_err("not health data");
    assert_eq!(
        err.to_string(),
        "xml at line 3, column 1: expected a `<HealthData>` root element, found `<gpx>`"
    );
}
