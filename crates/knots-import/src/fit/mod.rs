//! FIT files: from bytes to activities, one per session.

mod decode;

use decode::{
    FIT_EPOCH, Kind, MAX_SLOTS, RELATIVE_LIMIT, activity, event, file_id, lap, record, session,
    sport,
};

use crate::activity::{
    Activity, DistanceSource, Format, Lap, Outcome, Parsed, RunningDynamics, Stat, check, finite,
};
use crate::error::Error;
use crate::track::{Point, TrackBuilder};

pub(crate) use decode::crc16;

/// FIT sport numbers to names (FIT SDK profile, type `sport`).
fn sport_name(v: f64) -> Option<&'static str> {
    if !v.is_finite() {
        return None;
    }
    Some(match v as u32 {
        0 => "generic",
        1 => "running",
        2 => "cycling",
        3 => "transition",
        4 => "fitness_equipment",
        5 => "swimming",
        6 => "basketball",
        7 => "soccer",
        8 => "tennis",
        9 => "american_football",
        10 => "training",
        11 => "walking",
        12 => "cross_country_skiing",
        13 => "alpine_skiing",
        14 => "snowboarding",
        15 => "rowing",
        16 => "mountaineering",
        17 => "hiking",
        18 => "multisport",
        19 => "paddling",
        20 => "flying",
        21 => "e_biking",
        22 => "motorcycling",
        23 => "boating",
        24 => "driving",
        25 => "golf",
        26 => "hang_gliding",
        27 => "horseback_riding",
        28 => "hunting",
        29 => "fishing",
        30 => "inline_skating",
        31 => "rock_climbing",
        32 => "sailing",
        33 => "ice_skating",
        34 => "sky_diving",
        35 => "snowshoeing",
        36 => "snowmobiling",
        37 => "stand_up_paddleboarding",
        38 => "surfing",
        39 => "wakeboarding",
        40 => "water_skiing",
        41 => "kayaking",
        42 => "rafting",
        43 => "windsurfing",
        44 => "kitesurfing",
        45 => "tactical",
        46 => "jumpmaster",
        47 => "boxing",
        48 => "floor_climbing",
        49 => "baseball",
        53 => "diving",
        56 => "shooting",
        58 => "winter_sport",
        59 => "grinding",
        62 => "hiit",
        63 => "video_gaming",
        64 => "racket",
        65 => "wheelchair_push_walk",
        66 => "wheelchair_push_run",
        67 => "meditation",
        68 => "para_sport",
        69 => "disc_golf",
        70 => "team_sport",
        71 => "cricket",
        72 => "rugby",
        73 => "hockey",
        74 => "lacrosse",
        75 => "volleyball",
        76 => "water_tubing",
        77 => "wakesurfing",
        78 => "water_sport",
        79 => "archery",
        80 => "mixed_martial_arts",
        81 => "motor_sports",
        82 => "snorkeling",
        83 => "dance",
        84 => "jump_rope",
        85 => "pool_apnea",
        86 => "mobility",
        87 => "geocaching",
        88 => "canoeing",
        _ => return None,
    })
}

/// FIT file type numbers to names (FIT SDK profile, type `file`).
fn file_type_name(v: u8) -> String {
    match v {
        1 => "device",
        2 => "settings",
        3 => "sport",
        4 => "activity",
        5 => "workout",
        6 => "course",
        7 => "schedules",
        9 => "weight",
        10 => "totals",
        11 => "goals",
        14 => "blood_pressure",
        15 => "monitoring_a",
        20 => "activity_summary",
        28 => "monitoring_daily",
        32 => "monitoring_b",
        34 => "segment",
        35 => "segment_list",
        40 => "exd_configuration",
        0xF7..=0xFE => "manufacturer-specific",
        _ => return format!("number {v}"),
    }
    .to_string()
}

const FILE_TYPE_ACTIVITY: u8 = 4;

/// The most session messages kept from one file (a multisport race has a handful).
const MAX_SESSIONS: usize = 1_000;
/// The most lap messages kept (one a minute for a week is 10,080).
const MAX_LAPS: usize = 20_000;
/// The most record messages kept: twelve days at one a second.
const MAX_RECORDS: usize = 1 << 20;
/// The most timer events kept.
const MAX_TIMER_EVENTS: usize = 100_000;
/// The most FIT files chained in one input that are read (real chains have two or three).
const MAX_PARTS: usize = 1_000;

/// Pushes `v` unless `list` holds `cap` items already; counts what was left out.
fn push_capped<T>(list: &mut Vec<T>, v: T, cap: usize, dropped: &mut usize) {
    if list.len() < cap {
        list.push(v);
    } else {
        *dropped += 1;
    }
}

/// Messages left out because a cap was reached, per kind.
#[derive(Debug, Default, Clone, Copy)]
struct Dropped {
    sessions: usize,
    laps: usize,
    records: usize,
    events: usize,
}

/// A record message, in SI units (NaN when absent).
#[derive(Debug, Clone, Copy)]
struct Rec {
    ts: f64,
    lat: f64,
    lon: f64,
    alt: f64,
    hr: f64,
    cad: f64,
    dist: f64,
    stance: f64,
    stance_bal: f64,
    vert_osc: f64,
    vert_ratio: f64,
    step_len: f64,
}

type Values = [f64; MAX_SLOTS];

/// Everything read from one FIT file (one part of a chained file).
#[derive(Debug, Default)]
struct Part {
    file_type: Option<u8>,
    sessions: Vec<Values>,
    laps: Vec<Values>,
    records: Vec<Rec>,
    /// (timestamp, event, event_type) of timer events.
    timer_events: Vec<(f64, f64)>,
    sport: Option<f64>,
    /// (timestamp, local_timestamp) of the activity message.
    local_time: Option<(f64, f64)>,
    /// Messages left out at the caps.
    dropped: Dropped,
}

impl Part {
    fn is_activity(&self) -> bool {
        match self.file_type {
            Some(t) => t == FILE_TYPE_ACTIVITY,
            // No file_id message: judge by content.
            None => !self.sessions.is_empty() || !self.records.is_empty(),
        }
    }

    fn has_data(&self) -> bool {
        !self.sessions.is_empty() || !self.records.is_empty() || !self.laps.is_empty()
    }

    fn absorb(&mut self, other: Part) {
        if self.file_type.is_none() {
            self.file_type = other.file_type;
        }
        let d = &mut self.dropped;
        d.sessions += other.dropped.sessions;
        d.laps += other.dropped.laps;
        d.records += other.dropped.records;
        d.events += other.dropped.events;
        for v in other.sessions {
            push_capped(&mut self.sessions, v, MAX_SESSIONS, &mut d.sessions);
        }
        for v in other.laps {
            push_capped(&mut self.laps, v, MAX_LAPS, &mut d.laps);
        }
        for v in other.records {
            push_capped(&mut self.records, v, MAX_RECORDS, &mut d.records);
        }
        for v in other.timer_events {
            push_capped(&mut self.timer_events, v, MAX_TIMER_EVENTS, &mut d.events);
        }
        self.sport = self.sport.or(other.sport);
        self.local_time = self.local_time.or(other.local_time);
    }
}

impl decode::Sink for Part {
    fn message(&mut self, kind: Kind, v: &Values) {
        match kind {
            Kind::FileId => {
                if self.file_type.is_none() && v[file_id::TYPE].is_finite() {
                    self.file_type = Some(v[file_id::TYPE] as u8);
                }
            }
            // A session or lap with neither a start nor a timestamp cannot be placed in time,
            // and a record without a timestamp cannot be placed in a session or a plot: none
            // is kept (a message with no fields is one byte in the file).
            Kind::Session if v[session::START].is_finite() || v[session::TS].is_finite() => {
                push_capped(
                    &mut self.sessions,
                    *v,
                    MAX_SESSIONS,
                    &mut self.dropped.sessions,
                );
            }
            Kind::Lap if v[lap::START].is_finite() || v[lap::TS].is_finite() => {
                push_capped(&mut self.laps, *v, MAX_LAPS, &mut self.dropped.laps);
            }
            Kind::Session | Kind::Lap => {}
            Kind::Record if v[record::TS].is_finite() => {
                if self.records.len() >= MAX_RECORDS {
                    self.dropped.records += 1;
                    return;
                }
                let alt = if v[record::ENH_ALT].is_finite() {
                    v[record::ENH_ALT]
                } else {
                    v[record::ALT]
                };
                let cad = if v[record::FRAC_CAD].is_finite() {
                    v[record::CAD] + v[record::FRAC_CAD] / 128.0
                } else {
                    v[record::CAD]
                };
                const SEMICIRCLE: f64 = 180.0 / 2_147_483_648.0;
                self.records.push(Rec {
                    ts: v[record::TS],
                    lat: v[record::LAT] * SEMICIRCLE,
                    lon: v[record::LON] * SEMICIRCLE,
                    alt: alt / 5.0 - 500.0,
                    hr: v[record::HR],
                    cad,
                    dist: v[record::DIST] / 100.0,
                    stance: v[record::STANCE] / 10.0,
                    stance_bal: v[record::STANCE_BAL] / 100.0,
                    vert_osc: v[record::VERT_OSC] / 10.0,
                    vert_ratio: v[record::VERT_RATIO] / 100.0,
                    step_len: v[record::STEP_LEN] / 10.0,
                });
            }
            Kind::Record => {}
            Kind::Event => {
                // Event 0 is the timer; its types 0 (start), 1 (stop), 4 (stop all) matter.
                if v[event::EVENT] == 0.0 && v[event::TS].is_finite() {
                    push_capped(
                        &mut self.timer_events,
                        (v[event::TS], v[event::EVENT_TYPE]),
                        MAX_TIMER_EVENTS,
                        &mut self.dropped.events,
                    );
                }
            }
            Kind::Sport => {
                if self.sport.is_none() && v[sport::SPORT].is_finite() {
                    self.sport = Some(v[sport::SPORT]);
                }
            }
            Kind::Activity => {
                if v[activity::TS].is_finite() && v[activity::LOCAL_TS].is_finite() {
                    self.local_time = Some((v[activity::TS], v[activity::LOCAL_TS]));
                }
            }
            Kind::Other => {}
        }
    }
}

/// Reads a FIT file (or several FIT files back to back) into activities, one per session.
///
/// A file whose `file_id` says it is not an activity (settings, workout, weight, monitoring…)
/// is [`Outcome::Skipped`]. Damage that leaves whole messages behind gives warnings, not an
/// error: a file CRC that does not match, a chained part that is corrupt or cut off, a file
/// cut off in the middle of a message. A file with records but no session gets an activity
/// computed from the records.
///
/// # Errors
///
/// [`Error::Empty`] for no bytes, [`Error::Fit`] with the byte offset when the data is not FIT
/// or nothing whole can be read, and [`Error::NoActivity`] when the file's times are relative
/// to the device's power-on and so give no calendar date.
///
/// # Examples
///
/// ```
/// let err = knots_import::parse_fit(b"this is no fit file").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "fit data at byte 0: expected `.FIT` at bytes 8 to 11 of a fit header, found `no f`"
/// );
/// ```
pub fn parse_fit(bytes: &[u8]) -> Result<Outcome, Error> {
    if bytes.is_empty() {
        return Err(Error::Empty);
    }
    let mut warnings = Vec::new();
    // Parts are merged as they are read, so a chain of thousands of tiny files costs no more
    // than one.
    let mut merged = Part::default();
    let mut other_type: Option<u8> = None;
    let mut parts = 0usize;
    let mut pos = 0usize;
    while pos < bytes.len() {
        let first = parts == 0;
        if parts == MAX_PARTS {
            warnings.push(format!(
                "ignored the last {} bytes, from byte {pos}: more than {MAX_PARTS} fit files are chained in this one",
                bytes.len() - pos
            ));
            break;
        }
        let header = match decode::read_header(&bytes[pos..]) {
            Ok(h) => h,
            Err(reason) if first => return Err(Error::fit(pos, reason)),
            Err(reason) => {
                // Some devices pad the end of a file with zeros; that is not worth a warning.
                if !bytes[pos..].iter().all(|&b| b == 0) {
                    warnings.push(format!(
                        "ignored the last {} bytes, from byte {pos}: {reason}",
                        bytes.len() - pos
                    ));
                }
                break;
            }
        };
        if header.bad_header_crc {
            warnings.push(format!("the fit header at byte {pos} has a wrong crc"));
        }
        let data_start = pos + header.size;
        let mut data_end = data_start.saturating_add(header.data_size);
        if header.data_size == 0 && bytes.len() > data_start + 2 {
            // A file the device never finalised: read up to the last two bytes (the CRC).
            data_end = bytes.len() - 2;
            warnings.push(format!(
                "the fit header at byte {pos} gives no data size (an unfinished file): read to the end"
            ));
        }
        let mut part = Part::default();
        let mut decoder = decode::Decoder::new();
        let result = decoder.run(bytes, data_start, data_end, &mut part);
        let truncated = data_end > bytes.len();
        match result {
            Ok(()) if truncated => warnings.push(format!(
                "the file ends at byte {}, {} bytes short of the size its header at byte {pos} gives: kept the whole messages",
                bytes.len(),
                data_end - bytes.len()
            )),
            Ok(()) => {
                if let Some(stored) = bytes.get(data_end..data_end + 2) {
                    let stored = u16::from_le_bytes([stored[0], stored[1]]);
                    let computed = crc16(0, &bytes[pos..data_end]);
                    // A stored CRC of 0 means the writer did not compute one.
                    if stored != computed && stored != 0 {
                        warnings.push(format!(
                            "the file crc at byte {data_end} is 0x{stored:04x} but the data gives 0x{computed:04x}: kept the data as read"
                        ));
                    }
                } else {
                    warnings.push(format!(
                        "the file ends at byte {} before its 2-byte crc",
                        bytes.len()
                    ));
                }
            }
            Err((offset, reason)) => {
                if first && !part.has_data() {
                    return Err(Error::fit(offset, reason));
                }
                if part.has_data() {
                    warnings.push(format!(
                        "stopped reading at byte {offset}: {reason}; kept the {} messages before it",
                        decoder.messages
                    ));
                } else {
                    warnings.push(format!(
                        "ignored the fit data from byte {pos}: at byte {offset}, {reason}"
                    ));
                }
            }
        }
        parts += 1;
        if part.is_activity() {
            merged.absorb(part);
        } else if other_type.is_none() {
            other_type = part.file_type;
        }
        if truncated || data_end + 2 > bytes.len() {
            break;
        }
        pos = data_end + 2;
    }

    let d = merged.dropped;
    for (n, what, cap) in [
        (d.sessions, "session", MAX_SESSIONS),
        (d.laps, "lap", MAX_LAPS),
        (d.records, "record", MAX_RECORDS),
        (d.events, "timer event", MAX_TIMER_EVENTS),
    ] {
        if n > 0 {
            warnings.push(format!(
                "the file has {} {what} messages: kept the first {cap} and left out {n}",
                cap + n
            ));
        }
    }
    if merged.file_type.is_none() && !merged.has_data() {
        return Ok(Outcome::Skipped {
            reason: match other_type {
                Some(t) => format!("fit file of type {}, not an activity", file_type_name(t)),
                None => "fit file with no activity data (no session, lap or record)".to_string(),
            },
        });
    }
    let activities = build(merged, &mut warnings)?;
    if activities.is_empty() {
        return Ok(Outcome::Skipped {
            reason:
                "fit activity file with no session, lap or timestamped record: nothing to import"
                    .to_string(),
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

fn fit_time(t: f64) -> Option<jiff::Timestamp> {
    crate::time::timestamp(t + FIT_EPOCH as f64)
}

/// Session values in SI units, NaN when absent.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: f64,
    end: f64,
    values: Option<Values>,
}

/// Turns the messages of a FIT activity into activities.
fn build(mut part: Part, warnings: &mut Vec<String>) -> Result<Vec<Activity>, Error> {
    let absolute = |t: f64| t.is_finite() && t >= RELATIVE_LIMIT;
    // A record without a time cannot be placed in a session or a plot.
    part.records.retain(|r| r.ts.is_finite());
    if !part.records.is_sorted_by(|a, b| a.ts <= b.ts) {
        part.records.sort_by(|a, b| a.ts.total_cmp(&b.ts));
    }
    let mut spans: Vec<Span> = Vec::new();
    let mut relative = false;
    for s in &part.sessions {
        let elapsed = s[session::ELAPSED] / 1000.0;
        let mut start = s[session::START];
        if !start.is_finite() && s[session::TS].is_finite() && elapsed.is_finite() {
            start = s[session::TS] - elapsed.round();
        }
        if !start.is_finite() {
            continue;
        }
        if !absolute(start) {
            relative = true;
            continue;
        }
        let mut end = start
            + if elapsed.is_finite() {
                elapsed.ceil()
            } else {
                0.0
            };
        if absolute(s[session::TS])
            && s[session::TS] > end
            && s[session::TS] - start < 86_400.0 * 7.0
        {
            end = s[session::TS];
        }
        spans.push(Span {
            start,
            end,
            values: Some(*s),
        });
    }
    if spans.is_empty() {
        // No usable session: make one activity from the records and laps.
        let first = part.records.iter().map(|r| r.ts).find(|&t| absolute(t));
        let last = part
            .records
            .iter()
            .rev()
            .map(|r| r.ts)
            .find(|&t| absolute(t));
        let lap_start = part
            .laps
            .iter()
            .map(|l| l[lap::START])
            .filter(|&t| absolute(t))
            .reduce(f64::min);
        let lap_end = part
            .laps
            .iter()
            .map(|l| l[lap::TS])
            .filter(|&t| absolute(t))
            .reduce(f64::max);
        let start = [first, lap_start].into_iter().flatten().reduce(f64::min);
        let end = [last, lap_end].into_iter().flatten().reduce(f64::max);
        match (start, end) {
            (Some(start), Some(end)) => {
                warnings.push(format!(
                    "the file has no session message: totals were computed from its {} records and {} laps",
                    part.records.len(),
                    part.laps.len()
                ));
                spans.push(Span {
                    start,
                    end,
                    values: None,
                });
            }
            _ => {
                let any_relative = part
                    .records
                    .iter()
                    .any(|r| r.ts.is_finite() && !absolute(r.ts));
                if relative || any_relative {
                    return Err(Error::no_activity(
                        "every timestamp in the file is relative to the device's power-on (below 0x10000000): it has no calendar date",
                    ));
                }
                return Ok(Vec::new());
            }
        }
    } else if relative {
        warnings.push("ignored sessions whose times are relative to the device's power-on".into());
    }
    spans.sort_by(|a, b| a.start.total_cmp(&b.start));

    let utc_offset_s = part.local_time.and_then(|(ts, local)| {
        let o = local - ts;
        (o.abs() <= 14.0 * 3600.0).then_some(o as i32)
    });
    let mut laps: Vec<&Values> = part.laps.iter().collect();
    laps.sort_by(|a, b| lap_start(a).total_cmp(&lap_start(b)));

    let mut out = Vec::with_capacity(spans.len());
    for (i, span) in spans.iter().enumerate() {
        // Records and laps belong to the session whose time range holds them; a point on the
        // boundary between two sessions goes to the later one.
        let upper = spans.get(i + 1).map_or(f64::INFINITY, |n| n.start);
        let in_span = |t: f64| t >= span.start && t <= span.end && t < upper;
        let lo = part.records.partition_point(|r| r.ts < span.start);
        let hi = part
            .records
            .partition_point(|r| r.ts <= span.end && r.ts < upper);
        let recs = part.records.get(lo..hi.max(lo)).unwrap_or(&[]);
        let span_laps: Vec<&Values> = laps
            .iter()
            .copied()
            .filter(|l| in_span(lap_middle(l)))
            .collect();
        let sport_fallback = part.sport.or_else(|| {
            span_laps
                .iter()
                .map(|l| l[lap::SPORT])
                .find(|v| v.is_finite())
        });
        let event_timer = timer_from_events(&part.timer_events, span.start, span.end);
        out.push(build_one(
            span,
            recs,
            &span_laps,
            sport_fallback,
            utc_offset_s,
            event_timer,
        )?);
    }
    Ok(out)
}

/// Seconds the timer ran between `start` and `end`, from timer events (event 0; type 0 starts,
/// types 1 and 4 stop); `None` when no event falls in the range.
fn timer_from_events(events: &[(f64, f64)], start: f64, end: f64) -> Option<f64> {
    let mut running_since: Option<f64> = None;
    let mut total = 0.0;
    let mut seen = false;
    for &(t, kind) in events.iter().filter(|(t, _)| *t >= start && *t <= end) {
        seen = true;
        match kind as u8 {
            0 => {
                running_since.get_or_insert(t);
            }
            1 | 4 => {
                if let Some(s) = running_since.take() {
                    total += t - s;
                }
            }
            _ => {}
        }
    }
    if let Some(s) = running_since {
        total += end - s;
    }
    (seen && total > 0.0).then_some(total)
}

/// The middle of a lap, which decides its session: some devices start the first lap of a
/// multisport file before the first session.
fn lap_middle(l: &Values) -> f64 {
    let start = lap_start(l);
    let end = l[lap::TS];
    if end.is_finite() && end >= start {
        start + (end - start) / 2.0
    } else {
        start
    }
}

fn lap_start(l: &Values) -> f64 {
    let s = l[lap::START];
    if s.is_finite() {
        s
    } else {
        l[lap::TS] - (l[lap::ELAPSED] / 1000.0).round()
    }
}

fn mean_of(recs: &[Rec], f: impl Fn(&Rec) -> f64) -> Option<f64> {
    let mut s = Stat::default();
    for r in recs {
        s.push(f(r));
    }
    s.mean()
}

fn build_one(
    span: &Span,
    recs: &[Rec],
    laps: &[&Values],
    sport_fallback: Option<f64>,
    utc_offset_s: Option<i32>,
    event_timer: Option<f64>,
) -> Result<Activity, Error> {
    let nan = [f64::NAN; MAX_SLOTS];
    let s = span.values.as_ref().unwrap_or(&nan);
    let start =
        fit_time(span.start).ok_or_else(|| Error::no_activity("session start out of range"))?;

    let mut track = TrackBuilder::new();
    for r in recs {
        track.push(Point {
            time: r.ts,
            lat: r.lat,
            lon: r.lon,
            altitude: r.alt,
            hr: r.hr,
            cadence: r.cad,
            distance: r.dist,
        });
    }

    let sport = sport_name(s[session::SPORT])
        .or_else(|| sport_fallback.and_then(sport_name))
        .unwrap_or("generic")
        .to_string();

    let elapsed = finite(s[session::ELAPSED] / 1000.0)
        .or_else(|| finite(s[session::TS] - span.start).filter(|e| *e >= 0.0))
        .or_else(|| track.time_span().map(|(a, b)| b - a))
        .unwrap_or(span.end - span.start);
    let lap_timer: Option<f64> = if laps.is_empty() {
        None
    } else {
        laps.iter().map(|l| finite(l[lap::TIMER] / 1000.0)).sum()
    };
    // Without a session, the timer time is the laps' sum, else the time between the timer's
    // start and stop events.
    let timer = finite(s[session::TIMER] / 1000.0).or(if span.values.is_none() {
        lap_timer.or(event_timer)
    } else {
        None
    });

    let (distance, source) = if let Some(d) = finite(s[session::DISTANCE] / 100.0) {
        (Some(d), Some(DistanceSource::Device))
    } else if let Some(d) = track.device_distance() {
        (Some(d), Some(DistanceSource::Device))
    } else if track.positions() >= 2 {
        (Some(track.geodesic_m()), Some(DistanceSource::Track))
    } else {
        (None, None)
    };

    let (climb_up, climb_down) = track.climb.totals();
    let ascent = finite(s[session::ASCENT]).or(climb_up);
    let descent = finite(s[session::DESCENT]).or(climb_down);

    let frac = |whole: f64, frac: f64| {
        if frac.is_finite() {
            whole + frac / 128.0
        } else {
            whole
        }
    };
    let avg_cadence =
        finite(frac(s[session::AVG_CAD], s[session::AVG_FRAC_CAD])).or(track.cadence.mean());
    let max_cadence =
        finite(frac(s[session::MAX_CAD], s[session::MAX_FRAC_CAD])).or(track.cadence.max());

    // Running dynamics computed from records only for sports on foot: a chest strap keeps
    // sending them on a bike or in a transition, where they mean nothing.
    let on_foot = matches!(sport.as_str(), "running" | "walking" | "hiking");
    let recs_dyn = if on_foot { recs } else { &[] };
    let dynamics = RunningDynamics {
        avg_stance_time_ms: finite(s[session::STANCE] / 10.0)
            .or_else(|| mean_of(recs_dyn, |r| r.stance)),
        avg_stance_time_balance_pct: finite(s[session::STANCE_BAL] / 100.0)
            .or_else(|| mean_of(recs_dyn, |r| r.stance_bal)),
        avg_vertical_oscillation_mm: finite(s[session::VERT_OSC] / 10.0)
            .or_else(|| mean_of(recs_dyn, |r| r.vert_osc)),
        avg_vertical_ratio_pct: finite(s[session::VERT_RATIO] / 100.0)
            .or_else(|| mean_of(recs_dyn, |r| r.vert_ratio)),
        avg_step_length_mm: finite(s[session::STEP_LEN] / 10.0)
            .or_else(|| mean_of(recs_dyn, |r| r.step_len)),
    }
    .into_option();

    let laps = laps
        .iter()
        .filter_map(|l| {
            let ls = lap_start(l);
            let start = fit_time(ls)?;
            let elapsed = finite(l[lap::ELAPSED] / 1000.0).or_else(|| finite(l[lap::TS] - ls))?;
            Some(Lap {
                start,
                elapsed_s: elapsed,
                timer_s: finite(l[lap::TIMER] / 1000.0),
                distance_m: finite(l[lap::DISTANCE] / 100.0),
                avg_hr: finite(l[lap::AVG_HR]),
                max_hr: finite(l[lap::MAX_HR]),
                avg_cadence: finite(frac(l[lap::AVG_CAD], l[lap::AVG_FRAC_CAD])),
            })
        })
        .collect();

    Ok(Activity {
        format: Format::Fit,
        sport,
        name: None,
        start,
        utc_offset_s,
        elapsed_s: elapsed,
        timer_s: timer,
        distance_m: distance,
        distance_source: source,
        ascent_m: ascent,
        energy_kcal: None,
        descent_m: descent,
        avg_hr: finite(s[session::AVG_HR]).or(track.hr.mean()),
        max_hr: finite(s[session::MAX_HR]).or(track.hr.max()),
        avg_cadence,
        max_cadence,
        dynamics,
        laps,
        samples: track.samples(span.start),
        track_points: recs.len(),
    })
}
