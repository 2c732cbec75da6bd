//! GPX 1.0 and 1.1: every track point of every track becomes part of one activity.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::activity::{Activity, DistanceSource, Format, MAX_NAME_BYTES, Outcome, Parsed, check};
use crate::error::Error;
use crate::time::{TimeLog, timestamp};
use crate::track::{Point, TrackBuilder};
use crate::xml;

/// The element whose text is being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    None,
    Elevation,
    Time,
    HeartRate,
    Cadence,
    TrackName,
    TrackType,
}

/// Reads a GPX file (1.0 or 1.1) into one activity made of all its tracks.
///
/// Distance is the sum of geodesic distances (WGS84, Karney's algorithm) between consecutive
/// track points of each segment (the gaps between segments and tracks are pauses); elapsed time runs from the earliest to the latest point time. Heart rate and
/// cadence come from Garmin's `TrackPointExtension` (any prefix). A file with no track of two
/// or more points (only waypoints, or a route) is [`Outcome::Skipped`]. XML that breaks off
/// after some whole track points keeps them and warns.
///
/// # Errors
///
/// [`Error::Xml`] with line and column when the text is not XML, its root is not `<gpx>`, or it
/// breaks before two whole track points; [`Error::Empty`] for no bytes.
///
/// # Examples
///
/// ```
/// let gpx = br#"<gpx version="1.1"><trk><trkseg>
///   <trkpt lat="45.0" lon="14.0"><time>2010-08-05T14:00:00Z</time></trkpt>
///   <trkpt lat="45.001" lon="14.0"><time>2010-08-05T14:01:00Z</time></trkpt>
/// </trkseg></trk></gpx>"#;
/// let outcome = knots_import::parse_gpx(gpx)?;
/// let run = &outcome.activities()[0];
/// assert_eq!(run.elapsed_s, 60.0);
/// assert_eq!(run.distance_m.map(|d| d.round()), Some(111.0));
/// # Ok::<(), knots_import::Error>(())
/// ```
pub fn parse_gpx(bytes: &[u8]) -> Result<Outcome, Error> {
    let (text, decode_warning) = xml::decode(bytes)?;
    let text: &str = &text;
    let mut warnings: Vec<String> = decode_warning.into_iter().collect();

    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);

    let mut track = TrackBuilder::new();
    let mut point = Point::default();
    let mut in_trkpt = false;
    let mut in_trk = false;
    let mut seen_root = false;
    let mut target = Target::None;
    let mut depth = 0usize;
    let mut waypoints = 0usize;
    let mut route_points = 0usize;
    let mut name: Option<String> = None;
    let mut name_start: Option<usize> = None;
    let mut kind: Option<String> = None;
    let mut times = TimeLog::default();

    loop {
        let pos = reader.buffer_position() as usize;
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                let err = xml::error_at(text, reader.error_position() as usize, e.to_string());
                if track.len() >= 2 {
                    warnings.push(format!(
                        "{err}; kept the {} whole track points before it",
                        track.len()
                    ));
                    break;
                }
                return Err(err);
            }
        };
        match event {
            Event::Start(e) | Event::Empty(e) if !seen_root => {
                xml::expect_root(text, pos, e.local_name().as_ref(), "gpx")?;
                seen_root = true;
                depth += 1;
            }
            Event::Text(t) if !seen_root && !t.trim().is_empty() => {
                return Err(xml::error_at(
                    text,
                    xml::skip_ws(text, pos),
                    format!("expected an xml element, found text `{}`", xml::excerpt(&t)),
                ));
            }
            Event::Start(e) => {
                depth += 1;
                target = Target::None;
                let local = e.local_name();
                match local.as_ref() {
                    "trkpt" => {
                        in_trkpt = true;
                        point = Point::default();
                        read_lat_lon(&e, &mut point);
                    }
                    "trk" => {
                        in_trk = true;
                        track.break_segment();
                    }
                    "trkseg" => track.break_segment(),
                    "wpt" => waypoints += 1,
                    "rtept" => route_points += 1,
                    "ele" if in_trkpt => target = Target::Elevation,
                    "time" if in_trkpt => target = Target::Time,
                    "hr" | "heartrate" if in_trkpt => target = Target::HeartRate,
                    "cad" | "cadence" if in_trkpt => target = Target::Cadence,
                    "name" if in_trk && !in_trkpt && name.is_none() => {
                        target = Target::TrackName;
                        name_start = Some(reader.buffer_position() as usize);
                    }
                    "type" if in_trk && !in_trkpt && kind.is_none() => target = Target::TrackType,
                    _ => {}
                }
            }
            Event::Empty(e) => {
                let local = e.local_name();
                match local.as_ref() {
                    "trkpt" => {
                        let mut p = Point::default();
                        read_lat_lon(&e, &mut p);
                        track.push(p);
                    }
                    "wpt" => waypoints += 1,
                    "rtept" => route_points += 1,
                    _ => {}
                }
            }
            Event::Text(t) => {
                let s: &str = &t;
                match target {
                    Target::None => {}
                    Target::Elevation => point.altitude = s.trim().parse().unwrap_or(f64::NAN),
                    Target::HeartRate => point.hr = s.trim().parse().unwrap_or(f64::NAN),
                    Target::Cadence => point.cadence = s.trim().parse().unwrap_or(f64::NAN),
                    Target::Time => {
                        if let Some(pt) = times.read(s, pos) {
                            point.time = pt.unix;
                        }
                    }
                    Target::TrackName => {}
                    Target::TrackType => {
                        // Only a keyword is looked for in the type; the rest need not be kept.
                        let kind = kind.get_or_insert_with(String::new);
                        let room = MAX_NAME_BYTES.saturating_sub(kind.len());
                        kind.push_str(crate::activity::truncate(s, room).0);
                    }
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                if target == Target::TrackName
                    && let Some(start) = name_start.take()
                {
                    let raw = text.get(start..pos).unwrap_or("");
                    let (kept, cut) = xml::unescape_capped(raw, MAX_NAME_BYTES);
                    if let Some(len) = cut {
                        let (line, column) = xml::line_col(text, start);
                        warnings.push(format!(
                            "the track name at line {line}, column {column} is {len} bytes long: kept the first {MAX_NAME_BYTES}"
                        ));
                    }
                    name = Some(kept);
                }
                target = Target::None;
                match e.local_name().as_ref() {
                    "trkpt" if in_trkpt => {
                        in_trkpt = false;
                        track.push(point);
                    }
                    "trk" => in_trk = false,
                    _ => {}
                }
            }
            Event::Eof => {
                if !seen_root {
                    return Err(xml::error_at(
                        text,
                        pos,
                        "expected a `<gpx>` element, found the end of the file",
                    ));
                }
                if depth > 0 {
                    let (line, column) = xml::line_col(text, pos);
                    warnings.push(format!(
                        "the file ends at line {line}, column {column} with {depth} elements still open (cut off?): kept the {} whole track points",
                        track.len()
                    ));
                }
                break;
            }
            _ => {}
        }
    }

    times.warn(text, "track point times", &mut warnings);
    track.warn_dropped(&mut warnings);

    if track.len() < 2 {
        let mut what = Vec::new();
        if waypoints > 0 {
            what.push(format!("{waypoints} waypoints"));
        }
        if route_points > 0 {
            what.push(format!("a route of {route_points} points"));
        }
        if track.len() == 1 {
            what.push("a track of 1 point".to_string());
        }
        let has = if what.is_empty() {
            "nothing".to_string()
        } else {
            what.join(" and ")
        };
        return Ok(Outcome::Skipped {
            reason: format!("gpx file with no track of two or more points (it has {has})"),
        });
    }
    let Some((first, last)) = track.time_span() else {
        return Ok(Outcome::Skipped {
            reason: format!(
                "gpx track of {} points without times: a planned route, not a recorded activity",
                track.len()
            ),
        });
    };
    if track.timed() < 2 {
        return Err(Error::no_activity(format!(
            "only {} of the {} track points has a time: no start and duration",
            track.timed(),
            track.len()
        )));
    }
    if track.timed() < track.len() {
        warnings.push(format!(
            "only {} of the {} track points have a time: the duration covers those points only",
            track.timed(),
            track.len()
        ));
    }
    let start = timestamp(first).ok_or_else(|| Error::no_activity("track time out of range"))?;
    let (ascent, descent) = track.climb.totals();
    let activity = Activity {
        format: Format::Gpx,
        sport: kind
            .as_deref()
            .map_or("generic", sport_from_type)
            .to_string(),
        name: name.filter(|n| !n.is_empty()),
        start,
        utc_offset_s: times.offset_s,
        elapsed_s: last - first,
        timer_s: None,
        distance_m: (track.positions() >= 2).then(|| track.geodesic_m()),
        distance_source: (track.positions() >= 2).then_some(DistanceSource::Track),
        ascent_m: ascent,
        energy_kcal: None,
        descent_m: descent,
        avg_hr: track.hr.mean(),
        max_hr: track.hr.max(),
        avg_cadence: track.cadence.mean(),
        max_cadence: track.cadence.max(),
        dynamics: None,
        laps: Vec::new(),
        samples: track.samples(first),
        track_points: track.len(),
    };
    check(&activity, &mut warnings);
    Ok(Outcome::Parsed(Parsed {
        activities: vec![activity],
        warnings,
    }))
}

fn read_lat_lon(e: &BytesStart<'_>, p: &mut Point) {
    for a in e.attributes().with_checks(false).flatten() {
        match a.key.local_name().as_ref() {
            "lat" => p.lat = a.value.trim().parse().unwrap_or(f64::NAN),
            "lon" => p.lon = a.value.trim().parse().unwrap_or(f64::NAN),
            _ => {}
        }
    }
}

/// Maps a GPX `<type>` (free text; Strava writes numbers) to FIT's sport vocabulary.
fn sport_from_type(t: &str) -> &'static str {
    let t = t.trim().to_ascii_lowercase();
    match t.as_str() {
        "9" => return "running",
        "1" => return "cycling",
        "10" => return "walking",
        _ => {}
    }
    if t.contains("run") {
        "running"
    } else if t.contains("bik") || t.contains("cycl") || t.contains("ride") {
        "cycling"
    } else if t.contains("walk") {
        "walking"
    } else if t.contains("hik") {
        "hiking"
    } else if t.contains("swim") {
        "swimming"
    } else {
        "generic"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(gpx: &str) -> (Activity, Vec<String>) {
        match parse_gpx(gpx.as_bytes()) {
            Ok(Outcome::Parsed(mut p)) => (p.activities.remove(0), p.warnings),
            other => panic!("expected an activity, got {other:?}"),
        }
    }

    fn point(lat: f64, time: &str, extra: &str) -> String {
        format!(r#"<trkpt lat="{lat}" lon="14.0"><ele>500</ele><time>{time}</time>{extra}</trkpt>"#)
    }

    #[test]
    fn reads_garmin_extensions_and_offsets() {
        let ext = |hr: u32, cad: u32| {
            format!(
                "<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{hr}</gpxtpx:hr><gpxtpx:cad>{cad}</gpxtpx:cad></gpxtpx:TrackPointExtension></extensions>"
            )
        };
        let gpx = format!(
            r#"<?xml version="1.0"?><gpx version="1.1" xmlns:gpxtpx="x"><trk><name>Tom &amp; Jerry</name><type>running</type><trkseg>{}{}</trkseg></trk></gpx>"#,
            point(45.0, "2020-05-01T08:00:00+02:00", &ext(140, 80)),
            point(45.001, "2020-05-01T08:01:00+02:00", &ext(160, 90)),
        );
        let (a, warnings) = parsed(&gpx);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(a.start.to_string(), "2020-05-01T06:00:00Z");
        assert_eq!(a.utc_offset_s, Some(7200));
        assert_eq!((a.avg_hr, a.max_hr), (Some(150.0), Some(160.0)));
        assert_eq!((a.avg_cadence, a.max_cadence), (Some(85.0), Some(90.0)));
        assert_eq!(a.sport, "running");
        assert_eq!(a.name.as_deref(), Some("Tom & Jerry"));
        assert_eq!(a.samples.len(), 2);
        assert_eq!(a.samples[1].hr, Some(160.0));
    }

    #[test]
    fn tracks_and_segments_do_not_add_their_gaps() {
        let seg = |lat: f64, minute: u32| {
            format!(
                "<trkseg>{}{}</trkseg>",
                point(lat, &format!("2020-05-01T08:{minute:02}:00Z"), ""),
                point(
                    lat + 0.001,
                    &format!("2020-05-01T08:{:02}:00Z", minute + 1),
                    ""
                )
            )
        };
        let gpx = format!(
            "<gpx><trk>{}{}</trk><trk>{}</trk></gpx>",
            seg(45.0, 0),
            seg(46.0, 10),
            seg(47.0, 20)
        );
        let (a, _) = parsed(&gpx);
        let d = a.distance_m.expect("distance");
        assert!(
            (d - 333.5).abs() < 1.0,
            "three 111 m segments, not the jumps between: {d}"
        );
        assert_eq!(a.elapsed_s, 21.0 * 60.0);
    }

    #[test]
    fn waypoints_routes_and_untimed_tracks_are_skipped() {
        for gpx in [
            r#"<gpx><wpt lat="1" lon="2"/></gpx>"#,
            r#"<gpx><rte><rtept lat="1" lon="2"/><rtept lat="1" lon="3"/></rte></gpx>"#,
            r#"<gpx><trk><trkseg><trkpt lat="1" lon="2"/><trkpt lat="1" lon="3"/></trkseg></trk></gpx>"#,
        ] {
            assert!(
                matches!(parse_gpx(gpx.as_bytes()), Ok(Outcome::Skipped { .. })),
                "{gpx}"
            );
        }
    }

    #[test]
    fn a_cut_keeps_whole_points_and_a_bad_root_fails() {
        let gpx = format!(
            "<gpx><trk><trkseg>{}{}<trkpt lat=\"45",
            point(45.0, "2020-05-01T08:00:00Z", ""),
            point(45.001, "2020-05-01T08:01:00Z", "")
        );
        let (a, warnings) = parsed(&gpx);
        assert_eq!(a.track_points, 2);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let err = parse_gpx(b"<?xml version=\"1.0\"?>\n<kml/>").expect_err("not gpx");
        assert_eq!(
            err.to_string(),
            "xml at line 2, column 1: expected a `<gpx>` root element, found `<kml>`"
        );
    }
}
