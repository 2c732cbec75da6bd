//! Apple Health exports: running workouts from `export.xml`, streamed.
//!
//! An export (`export.zip`, folder `apple_health_export/`) holds `export.xml` (every health
//! record the phone has kept, often gigabytes) and `workout-routes/*.gpx`. The XML is read with
//! a streaming reader over a `Read`, one element at a time, so its size does not matter; only
//! `<Workout>` elements and their `<WorkoutStatistics>` and `<FileReference>` children are
//! looked at.

use std::io::{BufRead, Read};

use jiff::Timestamp;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::activity::{Activity, DistanceSource, Format, Outcome, Parsed, check};
use crate::error::Error;

/// The most workouts kept from one export (a run a day for 270 years).
const MAX_WORKOUTS: usize = 100_000;

/// One `<Workout>` of an export.
#[derive(Debug)]
pub(crate) struct Workout {
    /// The activity, for running workouts; `None` for other sports.
    pub(crate) activity: Option<Activity>,
    /// The route's path in the export, relative to `export.xml`'s folder (`workout-routes/…`).
    pub(crate) route: Option<String>,
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .map(|a| a.value.into_owned())
}

fn num(e: &BytesStart<'_>, name: &str) -> Option<f64> {
    attr(e, name)?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

/// Apple's "2020-05-01 07:00:00 +0200".
fn apple_time(s: &str) -> Option<Timestamp> {
    jiff::Zoned::strptime("%Y-%m-%d %H:%M:%S %z", s.trim())
        .ok()
        .map(|z| z.timestamp())
        .or_else(|| s.trim().parse().ok())
}

fn utc_offset(s: &str) -> Option<i32> {
    jiff::Zoned::strptime("%Y-%m-%d %H:%M:%S %z", s.trim())
        .ok()
        .map(|z| z.offset().seconds())
}

fn seconds(value: f64, unit: Option<&str>) -> f64 {
    match unit.map(str::trim) {
        Some("s" | "sec") => value,
        Some("hr" | "h") => value * 3600.0,
        _ => value * 60.0, // Apple writes "min".
    }
}

fn metres(value: f64, unit: Option<&str>) -> Option<f64> {
    match unit.map(str::trim) {
        Some("km") => Some(value * 1000.0),
        Some("m") => Some(value),
        Some("mi") => Some(value * 1609.344),
        Some("yd") => Some(value * 0.9144),
        _ => None,
    }
}

fn kcal(value: f64, unit: Option<&str>) -> Option<f64> {
    match unit.map(str::trim) {
        Some("kcal" | "Cal") => Some(value),
        Some("kJ") => Some(value / 4.184),
        _ => None,
    }
}

fn start_workout(e: &BytesStart<'_>) -> Option<Activity> {
    let kind = attr(e, "workoutActivityType").unwrap_or_default();
    if kind != "HKWorkoutActivityTypeRunning" {
        return None;
    }
    let start_text = attr(e, "startDate").unwrap_or_default();
    let start = apple_time(&start_text)?;
    let end = attr(e, "endDate").and_then(|s| apple_time(&s));
    let duration = num(e, "duration").map(|d| seconds(d, attr(e, "durationUnit").as_deref()));
    let elapsed = end
        .map(|end| (end.as_second() - start.as_second()) as f64)
        .filter(|e| *e >= 0.0)
        .or(duration)
        .unwrap_or(0.0);
    let distance =
        num(e, "totalDistance").and_then(|d| metres(d, attr(e, "totalDistanceUnit").as_deref()));
    let energy = num(e, "totalEnergyBurned")
        .and_then(|v| kcal(v, attr(e, "totalEnergyBurnedUnit").as_deref()));
    let activity = Activity {
        format: Format::AppleHealth,
        sport: "running".into(),
        name: None,
        start,
        utc_offset_s: utc_offset(&start_text),
        elapsed_s: elapsed,
        timer_s: duration,
        distance_m: distance,
        distance_source: distance.map(|_| DistanceSource::Device),
        energy_kcal: energy,
        ascent_m: None,
        descent_m: None,
        avg_hr: None,
        max_hr: None,
        avg_cadence: None,
        max_cadence: None,
        dynamics: None,
        laps: Vec::new(),
        samples: Vec::new(),
        track_points: 0,
    };
    Some(activity)
}

/// Newer exports give distance, energy and heart rate as `<WorkoutStatistics>` children.
fn statistics(e: &BytesStart<'_>, a: &mut Activity) {
    let unit = attr(e, "unit");
    let unit = unit.as_deref();
    match attr(e, "type").as_deref() {
        Some("HKQuantityTypeIdentifierHeartRate") => {
            a.avg_hr = a.avg_hr.or(num(e, "average"));
            a.max_hr = a.max_hr.or(num(e, "maximum"));
        }
        Some("HKQuantityTypeIdentifierDistanceWalkingRunning") if a.distance_m.is_none() => {
            a.distance_m = num(e, "sum").and_then(|d| metres(d, unit));
            a.distance_source = a.distance_m.map(|_| DistanceSource::Device);
        }
        Some("HKQuantityTypeIdentifierActiveEnergyBurned") if a.energy_kcal.is_none() => {
            a.energy_kcal = num(e, "sum").and_then(|v| kcal(v, unit));
        }
        _ => {}
    }
}

/// 1-based line and column (in bytes) of byte `pos`, from the newlines counted so far.
fn place(lines: u64, last_newline: u64, pos: u64) -> (u64, u64) {
    (lines + 1, pos.saturating_sub(last_newline) + 1)
}

/// Reads the workouts of an Apple Health `export.xml`, streaming.
pub(crate) fn read_workouts(
    input: impl BufRead,
    warnings: &mut Vec<String>,
) -> Result<Vec<Workout>, Error> {
    let mut reader = Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut out: Vec<Workout> = Vec::new();
    let mut current: Option<Workout> = None;
    let mut in_route = false;
    let mut seen_root = false;
    let mut dropped = 0usize;
    // Lines are counted over the raw events so that errors can name one.
    let (mut lines, mut last_newline) = (0u64, 0u64);
    loop {
        let pos = reader.buffer_position();
        let event = match reader.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(e) => {
                let (line, column) = place(lines, last_newline, reader.error_position());
                let err = Error::Xml {
                    line,
                    column,
                    reason: e.to_string(),
                };
                if out.is_empty() {
                    return Err(err);
                }
                warnings.push(format!("{err}; kept the {} workouts before it", out.len()));
                break;
            }
        };
        match &event {
            Event::Start(e) | Event::Empty(e) if !seen_root => {
                seen_root = true;
                if e.local_name().as_ref() != "HealthData" {
                    let (line, column) = place(lines, last_newline, pos);
                    return Err(Error::Xml {
                        line,
                        column,
                        reason: format!(
                            "expected a `<HealthData>` root element, found `<{}>`",
                            e.local_name().as_ref()
                        ),
                    });
                }
            }
            Event::Start(e) | Event::Empty(e) => {
                let is_start = matches!(event, Event::Start(_));
                match e.local_name().as_ref() {
                    "Workout" => {
                        let w = Workout {
                            activity: start_workout(e),
                            route: None,
                        };
                        if is_start {
                            current = Some(w);
                        } else if out.len() < MAX_WORKOUTS {
                            out.push(w);
                        } else {
                            dropped += 1;
                        }
                    }
                    "WorkoutStatistics" => {
                        if let Some(a) = current.as_mut().and_then(|w| w.activity.as_mut()) {
                            statistics(e, a);
                        }
                    }
                    "WorkoutRoute" => in_route = is_start,
                    "FileReference" if in_route => {
                        if let (Some(w), Some(path)) = (current.as_mut(), attr(e, "path")) {
                            let path = path.trim_start_matches('/');
                            w.route = Some(crate::activity::truncate(path, 1024).0.to_string());
                        }
                    }
                    _ => {}
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                "Workout" => {
                    if let Some(w) = current.take() {
                        if out.len() < MAX_WORKOUTS {
                            out.push(w);
                        } else {
                            dropped += 1;
                        }
                    }
                }
                "WorkoutRoute" => in_route = false,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        if let Some(i) = buf.iter().rposition(|&b| b == b'\n') {
            lines += buf.iter().filter(|&&b| b == b'\n').count() as u64;
            last_newline = pos + i as u64 + 1;
        }
        buf.clear();
    }
    if !seen_root {
        return Err(Error::Xml {
            line: lines + 1,
            column: 1,
            reason: "expected a `<HealthData>` element, found the end of the file".into(),
        });
    }
    if dropped > 0 {
        warnings.push(format!(
            "the export has {} workouts: kept the first {MAX_WORKOUTS}",
            out.len() + dropped
        ));
    }
    Ok(out)
}

/// Fills what Apple's totals lack from the workout's route, and gives it the route's samples.
pub(crate) fn attach_route(a: &mut Activity, route: &Activity) {
    a.samples = route.samples.clone();
    a.track_points = route.track_points;
    a.ascent_m = a.ascent_m.or(route.ascent_m);
    a.descent_m = a.descent_m.or(route.descent_m);
    a.avg_hr = a.avg_hr.or(route.avg_hr);
    a.max_hr = a.max_hr.or(route.max_hr);
    if a.distance_m.is_none() {
        a.distance_m = route.distance_m;
        a.distance_source = route.distance_source;
    }
}

/// How much of a candidate file is read to tell whether it is an Apple Health export's main XML.
const SNIFF_BYTES: u64 = 4096;

/// Whether the file at `path` (inside an export, `/`-separated) is an Apple Health export's main
/// XML file. Apple names it `export.xml`, or in the phone's language (`Exportieren.xml` on a
/// German iPhone), so any `.xml` file at the top of the export or one folder down may be it (and
/// `export.xml` at any depth), except the clinical `export_cda.xml` and the files in the
/// routes', electrocardiograms' and clinical records' folders; such a candidate is opened with
/// `open` (only then) and is it when its first bytes are Apple's `HealthData` root or doctype.
///
/// # Examples
///
/// ```
/// use knots_import::is_apple_health_main_xml as is_main;
/// let health = &b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE HealthData [\n"[..];
/// assert!(is_main("apple_health_export/Exportieren.xml", || Ok(health)));
/// assert!(!is_main("apple_health_export/export_cda.xml", || Ok(health)));
/// assert!(!is_main("export.xml", || Ok(&b"<?xml version=\"1.0\"?><gpx>"[..])));
/// assert!(!is_main("export.xml", || Err::<&[u8], _>(std::io::Error::other("gone"))));
/// ```
pub fn is_apple_health_main_xml<R: Read>(
    path: &str,
    open: impl FnOnce() -> std::io::Result<R>,
) -> bool {
    if !apple_health_xml_candidate(path) {
        return false;
    }
    let mut head = Vec::new();
    open()
        .and_then(|r| r.take(SNIFF_BYTES).read_to_end(&mut head))
        .is_ok()
        && [&b"<HealthData"[..], b"DOCTYPE HealthData"]
            .iter()
            .any(|needle| head.windows(needle.len()).any(|w| w == *needle))
}

/// Whether `path` may be an export's main XML file by its name alone (see
/// [`is_apple_health_main_xml`]).
pub(crate) fn apple_health_xml_candidate(path: &str) -> bool {
    let lower = path.to_lowercase();
    let parts: Vec<&str> = lower.split('/').collect();
    let Some(file) = parts.last() else {
        return false;
    };
    (parts.len() <= 2 || *file == "export.xml")
        && file.ends_with(".xml")
        && !file.contains("cda")
        && !parts.iter().any(|p| {
            matches!(
                *p,
                "workout-routes" | "electrocardiograms" | "clinical-records"
            )
        })
}

/// Reads the running workouts of an Apple Health `export.xml`, streaming from any reader:
/// start, duration, distance, energy and heart rate where the export has them. Routes are not
/// attached here (they are separate files): read the whole export with
/// [`parse_zip`](crate::parse_zip) or [`parse_export`](crate::parse_export) for that.
///
/// # Errors
///
/// [`Error::Xml`] with line and column when the text is not XML or its root is not
/// `<HealthData>`, before any workout could be read.
///
/// # Examples
///
/// ```
/// let xml = br#"<HealthData locale="en_GB">
///  <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="30" durationUnit="min"
///   totalDistance="5" totalDistanceUnit="km" totalEnergyBurned="350" totalEnergyBurnedUnit="kcal"
///   startDate="2020-05-01 07:00:00 +0200" endDate="2020-05-01 07:31:00 +0200"/>
/// </HealthData>"#;
/// let outcome = knots_import::parse_apple_health(&xml[..])?;
/// let run = &outcome.activities()[0];
/// assert_eq!(run.start.to_string(), "2020-05-01T05:00:00Z");
/// assert_eq!((run.elapsed_s, run.timer_s, run.distance_m), (1860.0, Some(1800.0), Some(5000.0)));
/// assert_eq!(run.energy_kcal, Some(350.0));
/// # Ok::<(), knots_import::Error>(())
/// ```
pub fn parse_apple_health(input: impl BufRead) -> Result<Outcome, Error> {
    let mut warnings = Vec::new();
    let workouts = read_workouts(input, &mut warnings)?;
    let total = workouts.len();
    let activities: Vec<Activity> = workouts.into_iter().filter_map(|w| w.activity).collect();
    if activities.is_empty() {
        return Ok(Outcome::Skipped {
            reason: format!("apple health export with no running workout ({total} workouts)"),
        });
    }
    for a in &activities {
        check(a, &mut warnings);
    }
    Ok(Outcome::Parsed(Parsed {
        activities,
        warnings,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn main_xml_candidates_by_name() {
        let candidate = apple_health_xml_candidate;
        assert!(candidate("apple_health_export/Exportieren.xml"));
        assert!(candidate("export.xml"));
        assert!(!candidate("apple_health_export/export_cda.xml"));
        assert!(!candidate("apple_health_export/workout-routes/route_1.gpx"));
        assert!(candidate("a/b/c/export.xml"));
        assert!(!candidate("a/b/c/other.xml"));
    }
}
