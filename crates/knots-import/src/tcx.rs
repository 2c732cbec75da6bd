//! Garmin Training Center XML (TCX): one activity per `<Activity>`.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::activity::{
    Activity, DistanceSource, Format, Lap, MAX_NOTES_BYTES, Outcome, Parsed, check, finite,
};
use crate::error::Error;
use crate::time::{TimeLog, timestamp};
use crate::track::{Point, TrackBuilder};
use crate::xml;

/// The TCX elements that matter; everything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Activity,
    Id,
    Notes,
    Lap,
    TotalTimeSeconds,
    DistanceMeters,
    AverageHeartRateBpm,
    MaximumHeartRateBpm,
    HeartRateBpm,
    Value,
    Cadence,
    Trackpoint,
    Time,
    LatitudeDegrees,
    LongitudeDegrees,
    AltitudeMeters,
    RunCadence,
    AvgRunCadence,
    Other,
}

impl Tag {
    fn of(local: &str) -> Tag {
        match local {
            "Activity" => Tag::Activity,
            "Id" => Tag::Id,
            "Notes" => Tag::Notes,
            "Lap" => Tag::Lap,
            "TotalTimeSeconds" => Tag::TotalTimeSeconds,
            "DistanceMeters" => Tag::DistanceMeters,
            "AverageHeartRateBpm" => Tag::AverageHeartRateBpm,
            "MaximumHeartRateBpm" => Tag::MaximumHeartRateBpm,
            "HeartRateBpm" => Tag::HeartRateBpm,
            "Value" => Tag::Value,
            "Cadence" => Tag::Cadence,
            "Trackpoint" => Tag::Trackpoint,
            "Time" => Tag::Time,
            "LatitudeDegrees" => Tag::LatitudeDegrees,
            "LongitudeDegrees" => Tag::LongitudeDegrees,
            "AltitudeMeters" => Tag::AltitudeMeters,
            "RunCadence" => Tag::RunCadence,
            "AvgRunCadence" => Tag::AvgRunCadence,
            _ => Tag::Other,
        }
    }
}

/// A `<Lap>` being read.
#[derive(Debug, Clone, Copy)]
struct LapAcc {
    start: Option<f64>,
    total_s: f64,
    distance: f64,
    avg_hr: f64,
    max_hr: f64,
    cadence: f64,
}

impl Default for LapAcc {
    fn default() -> Self {
        LapAcc {
            start: None,
            total_s: f64::NAN,
            distance: f64::NAN,
            avg_hr: f64::NAN,
            max_hr: f64::NAN,
            cadence: f64::NAN,
        }
    }
}

/// The most `<Activity>` elements kept from one file, and the most laps kept per activity.
const MAX_ACTIVITIES: usize = 10_000;
const MAX_LAPS: usize = 20_000;

/// Keeps a finished activity unless it is empty (nothing to build from) or the cap is reached.
fn keep(done: &mut Vec<ActivityAcc>, a: ActivityAcc, dropped: &mut usize) {
    if a.laps.is_empty() && a.track.len() == 0 && a.id.is_none() {
        return;
    }
    if done.len() < MAX_ACTIVITIES {
        done.push(a);
    } else {
        *dropped += 1;
    }
}

/// An `<Activity>` being read.
#[derive(Debug)]
struct ActivityAcc {
    sport: &'static str,
    id: Option<f64>,
    notes: Option<String>,
    laps: Vec<LapAcc>,
    track: TrackBuilder,
}

/// Reads a TCX file into activities, one per `<Activity>`.
///
/// Totals follow python-tcxparser's conventions: distance is the device's cumulative distance
/// at the last track point (else the sum of lap distances, else measured along the track),
/// timer time is the sum of the laps' `TotalTimeSeconds`, average heart rate is the mean over
/// track points. Elapsed time runs from the first lap's start to the end of the last lap or
/// track point, and is never less than the timer time. A file without activities (a course) is
/// [`Outcome::Skipped`]; a track point whose time cannot be read loses its time, with a warning.
///
/// # Errors
///
/// [`Error::Xml`] with line and column when the text is not XML, its root is not
/// `<TrainingCenterDatabase>`, or it breaks before any whole activity data; [`Error::Empty`].
///
/// # Examples
///
/// ```
/// let tcx = br#"<TrainingCenterDatabase><Activities><Activity Sport="Running">
///   <Id>2012-12-26T21:29:53Z</Id>
///   <Lap StartTime="2012-12-26T21:29:53Z"><TotalTimeSeconds>600</TotalTimeSeconds>
///     <DistanceMeters>1609.3</DistanceMeters></Lap>
/// </Activity></Activities></TrainingCenterDatabase>"#;
/// let outcome = knots_import::parse_tcx(tcx)?;
/// let run = &outcome.activities()[0];
/// assert_eq!((run.sport.as_str(), run.timer_s, run.distance_m), ("running", Some(600.0), Some(1609.3)));
/// # Ok::<(), knots_import::Error>(())
/// ```
pub fn parse_tcx(bytes: &[u8]) -> Result<Outcome, Error> {
    let (text, decode_warning) = xml::decode(bytes)?;
    let text: &str = &text;
    let mut warnings: Vec<String> = decode_warning.into_iter().collect();

    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);

    let mut stack: Vec<Tag> = Vec::with_capacity(16);
    let mut seen_root = false;
    let mut done: Vec<ActivityAcc> = Vec::new();
    let mut current: Option<ActivityAcc> = None;
    let mut lap: Option<LapAcc> = None;
    let mut point: Option<Point> = None;
    let mut times = TimeLog::default();
    let mut courses = 0usize;
    let mut notes_start: Option<usize> = None;
    let mut dropped_activities = 0usize;
    let mut dropped_laps = 0usize;

    loop {
        let pos = reader.buffer_position() as usize;
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                let err = xml::error_at(text, reader.error_position() as usize, e.to_string());
                let has_data = current
                    .as_ref()
                    .is_some_and(|a| a.track.len() > 0 || !a.laps.is_empty());
                if has_data || !done.is_empty() {
                    warnings.push(format!("{err}; kept what came before it"));
                    break;
                }
                return Err(err);
            }
        };
        match event {
            Event::Start(e) | Event::Empty(e) if !seen_root => {
                xml::expect_root(text, pos, e.local_name().as_ref(), "TrainingCenterDatabase")?;
                seen_root = true;
                stack.push(Tag::Other);
            }
            Event::Text(t) if !seen_root && !t.trim().is_empty() => {
                return Err(xml::error_at(
                    text,
                    xml::skip_ws(text, pos),
                    format!("expected an xml element, found text `{}`", xml::excerpt(&t)),
                ));
            }
            Event::Start(e) => {
                let local = e.local_name();
                let tag = Tag::of(local.as_ref());
                match tag {
                    Tag::Activity => {
                        if let Some(a) = current.take() {
                            keep(&mut done, a, &mut dropped_activities);
                        }
                        current = Some(ActivityAcc {
                            sport: sport_of(&e),
                            id: None,
                            notes: None,
                            laps: Vec::new(),
                            track: TrackBuilder::new(),
                        });
                    }
                    Tag::Lap if current.is_some() => {
                        let mut l = LapAcc::default();
                        if let Some(s) = attr(&e, "StartTime") {
                            l.start = times.read(&s, pos).map(|t| t.unix);
                        }
                        lap = Some(l);
                    }
                    Tag::Trackpoint if current.is_some() => point = Some(Point::default()),
                    Tag::Notes if stack.last() == Some(&Tag::Activity) => {
                        notes_start = Some(reader.buffer_position() as usize);
                    }
                    Tag::Other if local.as_ref() == "Track" => {
                        if let Some(a) = current.as_mut() {
                            a.track.break_segment();
                        }
                    }
                    Tag::Other if local.as_ref() == "Course" => courses += 1,
                    _ => {}
                }
                stack.push(tag);
            }
            Event::Empty(e) if e.local_name().as_ref() == "Course" => courses += 1,
            Event::Text(t) => {
                let s: &str = &t;
                let n = stack.len();
                let top = stack.last().copied().unwrap_or(Tag::Other);
                let parent = if n >= 2 { stack[n - 2] } else { Tag::Other };
                let num = || s.trim().parse::<f64>().unwrap_or(f64::NAN);
                if let Some(p) = point.as_mut() {
                    match (top, parent) {
                        (Tag::Time, _) => {
                            if let Some(t) = times.read(s, pos) {
                                p.time = t.unix;
                            }
                        }
                        (Tag::LatitudeDegrees, _) => p.lat = num(),
                        (Tag::LongitudeDegrees, _) => p.lon = num(),
                        (Tag::AltitudeMeters, _) => p.altitude = num(),
                        (Tag::DistanceMeters, Tag::Trackpoint) => p.distance = num(),
                        (Tag::Value, Tag::HeartRateBpm) => p.hr = num(),
                        (Tag::Cadence, Tag::Trackpoint) => p.cadence = num(),
                        (Tag::RunCadence, _) if p.cadence.is_nan() => p.cadence = num(),
                        _ => {}
                    }
                } else if let Some(l) = lap.as_mut() {
                    match (top, parent) {
                        (Tag::TotalTimeSeconds, Tag::Lap) => l.total_s = num(),
                        (Tag::DistanceMeters, Tag::Lap) => l.distance = num(),
                        (Tag::Value, Tag::AverageHeartRateBpm) => l.avg_hr = num(),
                        (Tag::Value, Tag::MaximumHeartRateBpm) => l.max_hr = num(),
                        (Tag::Cadence, Tag::Lap) => l.cadence = num(),
                        (Tag::AvgRunCadence, _) if l.cadence.is_nan() => l.cadence = num(),
                        _ => {}
                    }
                } else if let Some(a) = current.as_mut()
                    && (top, parent) == (Tag::Id, Tag::Activity)
                {
                    a.id = times.read(s, pos).map(|t| t.unix);
                }
            }
            Event::End(_) => match stack.pop() {
                Some(Tag::Notes) => {
                    if let (Some(start), Some(a)) = (notes_start.take(), current.as_mut()) {
                        let raw = text.get(start..pos).unwrap_or("");
                        let (notes, cut) = xml::unescape_capped(raw, MAX_NOTES_BYTES);
                        if let Some(len) = cut {
                            let (line, column) = xml::line_col(text, start);
                            warnings.push(format!(
                                "the notes at line {line}, column {column} are {len} bytes long: kept the first {MAX_NOTES_BYTES}"
                            ));
                        }
                        a.notes = Some(notes);
                    }
                }
                Some(Tag::Trackpoint) => {
                    if let (Some(p), Some(a)) = (point.take(), current.as_mut()) {
                        a.track.push(p);
                    }
                }
                Some(Tag::Lap) => {
                    if let (Some(l), Some(a)) = (lap.take(), current.as_mut()) {
                        if a.laps.len() < MAX_LAPS {
                            a.laps.push(l);
                        } else {
                            dropped_laps += 1;
                        }
                    }
                }
                Some(Tag::Activity) => {
                    if let Some(a) = current.take() {
                        keep(&mut done, a, &mut dropped_activities);
                    }
                }
                _ => {}
            },
            Event::Eof => {
                if !seen_root {
                    return Err(xml::error_at(
                        text,
                        pos,
                        "expected a `<TrainingCenterDatabase>` element, found the end of the file",
                    ));
                }
                if !stack.is_empty() {
                    let (line, column) = xml::line_col(text, pos);
                    warnings.push(format!(
                        "the file ends at line {line}, column {column} with {} elements still open (cut off?): kept what came before",
                        stack.len()
                    ));
                }
                break;
            }
            _ => {}
        }
    }
    // An activity cut off by an error or the end of the file keeps its whole laps and points.
    if let Some(mut a) = current.take() {
        if let Some(l) = lap.take()
            && a.laps.len() < MAX_LAPS
        {
            a.laps.push(l);
        }
        keep(&mut done, a, &mut dropped_activities);
    }
    if dropped_activities > 0 {
        warnings.push(format!(
            "the file has {} activities: kept the first {MAX_ACTIVITIES} and left out {dropped_activities}",
            done.len() + dropped_activities
        ));
    }
    if dropped_laps > 0 {
        warnings.push(format!(
            "left out {dropped_laps} laps past the first {MAX_LAPS} of an activity"
        ));
    }

    times.warn(text, "times", &mut warnings);

    let mut activities = Vec::new();
    for a in done {
        if let Some(activity) = build(a, times.offset_s, &mut warnings) {
            activities.push(activity);
        }
    }
    if activities.is_empty() {
        return Ok(Outcome::Skipped {
            reason: if courses > 0 {
                format!("tcx file with {courses} courses and no recorded activity")
            } else {
                "tcx file with no activity that has a start time".to_string()
            },
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

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .map(|a| a.value.into_owned())
}

fn sport_of(e: &BytesStart<'_>) -> &'static str {
    match attr(e, "Sport").as_deref().map(str::trim) {
        Some("Running") => "running",
        Some("Biking") => "cycling",
        Some(s) if s.eq_ignore_ascii_case("walking") => "walking",
        Some(s) if s.eq_ignore_ascii_case("swimming") => "swimming",
        _ => "generic",
    }
}

fn build(
    a: ActivityAcc,
    utc_offset_s: Option<i32>,
    warnings: &mut Vec<String>,
) -> Option<Activity> {
    let mut a = a;
    let track = &mut a.track;
    track.warn_dropped(warnings);
    let first_lap = a.laps.iter().filter_map(|l| l.start).reduce(f64::min);
    let Some(start) = first_lap.or(a.id).or(track.time_span().map(|s| s.0)) else {
        warnings.push("skipped a tcx activity with no readable start time".to_string());
        return None;
    };
    let timer: Option<f64> = if a.laps.iter().any(|l| l.total_s.is_finite()) {
        Some(
            a.laps
                .iter()
                .map(|l| finite(l.total_s).unwrap_or(0.0))
                .sum(),
        )
    } else {
        None
    };
    let lap_end = a
        .laps
        .iter()
        .filter_map(|l| Some(l.start? + finite(l.total_s)?))
        .reduce(f64::max);
    let end = [lap_end, track.time_span().map(|s| s.1)]
        .into_iter()
        .flatten()
        .reduce(f64::max);
    let elapsed = end
        .map_or(0.0, |e| (e - start).max(0.0))
        .max(timer.unwrap_or(0.0));

    let lap_distance: Option<f64> = if a.laps.iter().any(|l| l.distance.is_finite()) {
        Some(
            a.laps
                .iter()
                .map(|l| finite(l.distance).unwrap_or(0.0))
                .sum(),
        )
    } else {
        None
    };
    let (distance, source) = if let Some(d) = track.device_distance() {
        (Some(d), Some(DistanceSource::Device))
    } else if let Some(d) = lap_distance {
        (Some(d), Some(DistanceSource::Device))
    } else if track.positions() >= 2 {
        (Some(track.geodesic_m()), Some(DistanceSource::Track))
    } else {
        (None, None)
    };

    // Heart rate: track points first (python-tcxparser), else the laps weighted by time.
    let lap_hr = {
        let (mut sum, mut w) = (0.0, 0.0);
        for l in &a.laps {
            if l.avg_hr.is_finite() && l.total_s.is_finite() {
                sum += l.avg_hr * l.total_s;
                w += l.total_s;
            }
        }
        (w > 0.0).then(|| sum / w)
    };
    let lap_max_hr = a
        .laps
        .iter()
        .map(|l| l.max_hr)
        .filter(|v| v.is_finite())
        .reduce(f64::max);
    let (ascent, descent) = track.climb.totals();

    let laps = a
        .laps
        .iter()
        .filter_map(|l| {
            Some(Lap {
                start: timestamp(l.start?)?,
                elapsed_s: finite(l.total_s)?,
                timer_s: finite(l.total_s),
                distance_m: finite(l.distance),
                avg_hr: finite(l.avg_hr),
                max_hr: finite(l.max_hr),
                avg_cadence: finite(l.cadence),
            })
        })
        .collect();

    Some(Activity {
        format: Format::Tcx,
        sport: a.sport.to_string(),
        name: a
            .notes
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty()),
        start: timestamp(start)?,
        utc_offset_s,
        elapsed_s: elapsed,
        timer_s: timer,
        distance_m: distance,
        distance_source: source,
        ascent_m: ascent,
        energy_kcal: None,
        descent_m: descent,
        avg_hr: track.hr.mean().or(lap_hr),
        max_hr: track.hr.max().or(lap_max_hr),
        avg_cadence: track.cadence.mean(),
        max_cadence: track.cadence.max(),
        dynamics: None,
        laps,
        samples: track.samples(start),
        track_points: track.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trackpoint(time: &str, dist: f64, hr: u32) -> String {
        format!(
            "<Trackpoint><Time>{time}</Time><Position><LatitudeDegrees>45</LatitudeDegrees><LongitudeDegrees>14</LongitudeDegrees></Position><AltitudeMeters>100</AltitudeMeters><DistanceMeters>{dist}</DistanceMeters><HeartRateBpm><Value>{hr}</Value></HeartRateBpm><Extensions><ns3:TPX><ns3:RunCadence>88</ns3:RunCadence></ns3:TPX></Extensions></Trackpoint>"
        )
    }

    #[test]
    fn laps_trackpoints_and_extensions() {
        let tcx = format!(
            r#"<TrainingCenterDatabase><Activities><Activity Sport="Running"><Id>2020-05-01T08:00:00Z</Id>
            <Lap StartTime="2020-05-01T08:00:00Z"><TotalTimeSeconds>60</TotalTimeSeconds><DistanceMeters>200</DistanceMeters>
              <AverageHeartRateBpm><Value>140</Value></AverageHeartRateBpm><Track>{}{}</Track></Lap>
            <Lap StartTime="2020-05-01T08:05:00Z"><TotalTimeSeconds>60.5</TotalTimeSeconds><DistanceMeters>210</DistanceMeters>
              <Track>{}</Track></Lap>
            </Activity></Activities></TrainingCenterDatabase>"#,
            trackpoint("2020-05-01T08:00:00Z", 0.0, 130),
            trackpoint("2020-05-01T08:01:00Z", 200.0, 150),
            trackpoint("2020-05-01T08:06:00Z", 405.0, 170),
        );
        let out = parse_tcx(tcx.as_bytes()).expect("parses");
        assert!(out.warnings().is_empty(), "{:?}", out.warnings());
        let a = &out.activities()[0];
        assert_eq!(a.sport, "running");
        assert_eq!(a.timer_s, Some(120.5));
        assert_eq!(
            a.elapsed_s, 360.5,
            "first lap start to the end of the last lap"
        );
        assert_eq!(a.distance_m, Some(405.0), "the last track point's distance");
        assert_eq!(a.avg_hr, Some(150.0));
        assert_eq!(a.avg_cadence, Some(88.0));
        assert_eq!(a.laps.len(), 2);
        assert_eq!(a.laps[0].avg_hr, Some(140.0));
        assert_eq!(a.laps[1].distance_m, Some(210.0));
    }

    #[test]
    fn courses_are_skipped_and_plain_text_fails() {
        let course = b"<TrainingCenterDatabase><Courses><Course><Name>x</Name></Course></Courses></TrainingCenterDatabase>";
        assert!(matches!(parse_tcx(course), Ok(Outcome::Skipped { .. })));
        assert!(matches!(
            parse_tcx(b"\n\nhello"),
            Err(Error::Xml {
                line: 3,
                column: 1,
                ..
            })
        ));
    }
}
