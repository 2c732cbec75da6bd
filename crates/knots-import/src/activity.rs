//! The values this crate produces: activities, laps, samples, and the outcome of a parse.

use jiff::Timestamp;

/// The most samples kept per activity: enough for a plot, small enough to store with every run.
pub const MAX_SAMPLES: usize = 500;

/// The longest name kept, in bytes (a GPX track name, a Strava title, a gear or shoe name);
/// longer ones are cut at a character boundary, with a warning.
pub const MAX_NAME_BYTES: usize = 1024;

/// The longest notes kept, in bytes (a TCX `<Notes>`); longer ones are cut, with a warning.
pub const MAX_NOTES_BYTES: usize = 64 * 1024;

/// `s` cut to at most `cap` bytes at a character boundary, and whether it was cut.
pub(crate) fn truncate(s: &str, cap: usize) -> (&str, bool) {
    if s.len() <= cap {
        return (s, false);
    }
    let mut end = cap;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    (&s[..end], true)
}

/// The format an activity was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Garmin's Flexible and Interoperable data Transfer format.
    Fit,
    /// GPS Exchange Format 1.0 or 1.1.
    Gpx,
    /// Garmin Training Center XML.
    Tcx,
    /// A row of a Strava bulk export's `activities.csv` that has no file (a manual entry).
    StravaCsv,
    /// A running workout of an Apple Health export (`export.xml`, with its route when it has one).
    AppleHealth,
}

/// Where [`Activity::distance_m`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DistanceSource {
    /// The device's own total (FIT session, TCX distance, Strava's CSV).
    Device,
    /// The sum of geodesic distances (WGS84, Karney's algorithm) between consecutive track points.
    Track,
}

/// One activity: a FIT session, a GPX file's tracks, a TCX `<Activity>` or a manual Strava row.
///
/// Units are SI and named in the field: metres, seconds, beats per minute. Cadence is in cycles
/// per minute as the device records it: for running that is strides per minute of one foot
/// (double it for steps per minute), for cycling crank revolutions per minute.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    /// The file format the activity was read from.
    pub format: Format,
    /// Lowercase sport in FIT's vocabulary: `running`, `cycling`, `swimming`, `walking`,
    /// `hiking`, `transition`, `generic` and so on. Files that do not say give `generic`.
    pub sport: String,
    /// A name the file gives the activity (GPX track name, TCX notes, Strava's title).
    pub name: Option<String>,
    /// When the activity started, in UTC.
    pub start: Timestamp,
    /// The local time's offset from UTC at the start, in seconds, when the file records it.
    pub utc_offset_s: Option<i32>,
    /// Wall-clock duration from start to end, pauses included, in seconds.
    pub elapsed_s: f64,
    /// Timer (moving) time, pauses excluded, in seconds, when the file records it.
    pub timer_s: Option<f64>,
    /// Distance in metres: the device's total when present, else measured along the track.
    pub distance_m: Option<f64>,
    /// Where `distance_m` came from.
    pub distance_source: Option<DistanceSource>,
    /// Energy burned in kilocalories, when the file records it (Apple Health).
    pub energy_kcal: Option<f64>,
    /// Total ascent in metres: the device's total when present, else from altitudes.
    pub ascent_m: Option<f64>,
    /// Total descent in metres, same sources as `ascent_m`.
    pub descent_m: Option<f64>,
    /// Average heart rate in beats per minute.
    pub avg_hr: Option<f64>,
    /// Maximum heart rate in beats per minute.
    pub max_hr: Option<f64>,
    /// Average cadence in cycles per minute (see the type's notes).
    pub avg_cadence: Option<f64>,
    /// Maximum cadence in cycles per minute.
    pub max_cadence: Option<f64>,
    /// Running dynamics averages, when the device measured them.
    pub dynamics: Option<RunningDynamics>,
    /// Laps in order of start.
    pub laps: Vec<Lap>,
    /// A downsampled stream of at most [`MAX_SAMPLES`] points, in time order.
    pub samples: Vec<Sample>,
    /// How many track points or records the activity had before downsampling.
    pub track_points: usize,
}

/// A lap (a FIT lap message or a TCX `<Lap>`).
#[derive(Debug, Clone, PartialEq)]
pub struct Lap {
    /// When the lap started, in UTC.
    pub start: Timestamp,
    /// Wall-clock duration in seconds.
    pub elapsed_s: f64,
    /// Timer (moving) time in seconds.
    pub timer_s: Option<f64>,
    /// Distance in metres.
    pub distance_m: Option<f64>,
    /// Average heart rate in beats per minute.
    pub avg_hr: Option<f64>,
    /// Maximum heart rate in beats per minute.
    pub max_hr: Option<f64>,
    /// Average cadence in cycles per minute.
    pub avg_cadence: Option<f64>,
}

/// Running dynamics averages (from a chest strap, a running pod or a wrist sensor).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunningDynamics {
    /// Average ground contact (stance) time in milliseconds.
    pub avg_stance_time_ms: Option<f64>,
    /// Average ground contact time balance: the left foot's share, in percent.
    pub avg_stance_time_balance_pct: Option<f64>,
    /// Average vertical oscillation in millimetres.
    pub avg_vertical_oscillation_mm: Option<f64>,
    /// Average vertical ratio (oscillation over step length) in percent.
    pub avg_vertical_ratio_pct: Option<f64>,
    /// Average step length in millimetres.
    pub avg_step_length_mm: Option<f64>,
}

impl RunningDynamics {
    fn is_empty(&self) -> bool {
        self.avg_stance_time_ms.is_none()
            && self.avg_stance_time_balance_pct.is_none()
            && self.avg_vertical_oscillation_mm.is_none()
            && self.avg_vertical_ratio_pct.is_none()
            && self.avg_step_length_mm.is_none()
    }

    /// `Some(self)` when any field is set.
    pub(crate) fn into_option(self) -> Option<Self> {
        if self.is_empty() { None } else { Some(self) }
    }
}

/// One point of the downsampled stream, for plots.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Seconds since [`Activity::start`].
    pub offset_s: f64,
    /// Distance from the start in metres.
    pub distance_m: Option<f64>,
    /// Heart rate in beats per minute.
    pub hr: Option<f64>,
    /// Cadence in cycles per minute.
    pub cadence: Option<f64>,
    /// Altitude in metres.
    pub altitude_m: Option<f64>,
}

/// Activities read from one file, with diagnostics about anything that was repaired or dropped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    /// One activity per FIT session, per GPX file, per TCX `<Activity>`.
    pub activities: Vec<Activity>,
    /// Lowercase sentences about damage that was worked around, for the user to see.
    pub warnings: Vec<String>,
}

/// What reading one file gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// One or more activities, possibly with warnings.
    Parsed(Parsed),
    /// A valid file that is not an activity (settings, workout, route, waypoints): not an error.
    Skipped {
        /// Why the file holds no activity, for the user.
        reason: String,
    },
}

impl Outcome {
    /// The activities, or an empty slice for a skipped file.
    ///
    /// # Examples
    ///
    /// ```
    /// let outcome = knots_import::Outcome::Skipped { reason: "a route".into() };
    /// assert!(outcome.activities().is_empty());
    /// ```
    pub fn activities(&self) -> &[Activity] {
        match self {
            Outcome::Parsed(p) => &p.activities,
            Outcome::Skipped { .. } => &[],
        }
    }

    /// The warnings, or an empty slice for a skipped file.
    ///
    /// # Examples
    ///
    /// ```
    /// let outcome = knots_import::Outcome::Parsed(knots_import::Parsed::default());
    /// assert!(outcome.warnings().is_empty());
    /// ```
    pub fn warnings(&self) -> &[String] {
        match self {
            Outcome::Parsed(p) => &p.warnings,
            Outcome::Skipped { .. } => &[],
        }
    }
}

/// Keeps at most [`MAX_SAMPLES`] evenly spaced samples, always the first and the last.
pub(crate) fn downsample(samples: Vec<Sample>) -> Vec<Sample> {
    let n = samples.len();
    if n <= MAX_SAMPLES {
        return samples;
    }
    let mut out = Vec::with_capacity(MAX_SAMPLES);
    let mut next = 0usize;
    for (i, s) in samples.into_iter().enumerate() {
        // Index `k` of the output takes input `round(k * (n - 1) / (MAX - 1))`.
        let want = (next * (n - 1) + (MAX_SAMPLES - 1) / 2) / (MAX_SAMPLES - 1);
        if i == want {
            out.push(s);
            next += 1;
            if next == MAX_SAMPLES {
                break;
            }
        }
    }
    out
}

/// Ascent and descent from a series of altitudes, ignoring changes smaller than a threshold.
///
/// Raw GPS and barometric altitudes jitter by a metre or two; summing every rise would count
/// that noise as climbing. A hysteresis of 3 m keeps real climbs and drops the jitter (the same
/// idea as Garmin's and Strava's smoothing, in its simplest form).
#[derive(Debug, Default)]
pub(crate) struct Climb {
    reference: Option<f64>,
    ascent: f64,
    descent: f64,
}

const CLIMB_HYSTERESIS_M: f64 = 3.0;

impl Climb {
    pub(crate) fn push(&mut self, altitude: f64) {
        if !altitude.is_finite() {
            return;
        }
        match self.reference {
            None => self.reference = Some(altitude),
            Some(r) => {
                let d = altitude - r;
                if d >= CLIMB_HYSTERESIS_M {
                    self.ascent += d;
                    self.reference = Some(altitude);
                } else if d <= -CLIMB_HYSTERESIS_M {
                    self.descent -= d;
                    self.reference = Some(altitude);
                }
            }
        }
    }

    /// (ascent, descent) in metres, `None` when no altitude was seen.
    pub(crate) fn totals(&self) -> (Option<f64>, Option<f64>) {
        match self.reference {
            None => (None, None),
            Some(_) => (Some(self.ascent), Some(self.descent)),
        }
    }
}

/// Running mean and maximum of a positive quantity (heart rate, cadence); zeros are "no reading".
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Stat {
    sum: f64,
    n: u64,
    max: f64,
}

impl Stat {
    pub(crate) fn push(&mut self, v: f64) {
        if v.is_finite() && v > 0.0 {
            self.sum += v;
            self.n += 1;
            if v > self.max {
                self.max = v;
            }
        }
    }

    pub(crate) fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }

    pub(crate) fn max(&self) -> Option<f64> {
        (self.n > 0).then_some(self.max)
    }
}

/// Geodesic distance in metres between two (lat, lon) points in degrees, on WGS84.
pub(crate) fn geodesic_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    use geo::{Distance, Geodesic, Point};
    if a == b {
        return 0.0;
    }
    Geodesic.distance(Point::new(a.1, a.0), Point::new(b.1, b.0))
}

/// `Some(v)` when `v` is a finite number.
pub(crate) fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// Plausibility checks that flag, but do not drop, absurd values.
pub(crate) fn check(activity: &Activity, warnings: &mut Vec<String>) {
    let year = activity.start.to_zoned(jiff::tz::TimeZone::UTC).year();
    if year < 1995 {
        warnings.push(format!(
            "start `{}` is before 1995: the device clock was probably not set",
            activity.start
        ));
    }
    if activity.elapsed_s > 7.0 * 86_400.0 {
        warnings.push(format!(
            "activity starting `{}` lasts {:.0} hours: check the file's times",
            activity.start,
            activity.elapsed_s / 3600.0
        ));
    }
    let time = activity.timer_s.unwrap_or(activity.elapsed_s);
    if let Some(d) = activity.distance_m
        && time > 0.0
        && d > 0.0
    {
        let speed = d / time;
        let limit = match activity.sport.as_str() {
            "running" | "walking" | "hiking" | "swimming" => 12.0,
            "cycling" | "e_biking" => 30.0,
            _ => 100.0,
        };
        if speed > limit {
            warnings.push(format!(
                "{} starting `{}` averages {:.0} km/h: too fast for the sport, check the file",
                activity.sport,
                activity.start,
                speed * 3.6
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn activity(sport: &str, start: &str, distance_m: f64, elapsed_s: f64) -> Activity {
        Activity {
            format: Format::Gpx,
            sport: sport.into(),
            name: None,
            start: start.parse().unwrap(),
            utc_offset_s: None,
            elapsed_s,
            timer_s: None,
            distance_m: Some(distance_m),
            distance_source: None,
            ascent_m: None,
            energy_kcal: None,
            descent_m: None,
            avg_hr: None,
            max_hr: None,
            avg_cadence: None,
            max_cadence: None,
            dynamics: None,
            laps: Vec::new(),
            samples: Vec::new(),
            track_points: 0,
        }
    }

    #[test]
    fn truncates_at_character_boundaries() {
        assert_eq!(truncate("abc", 3), ("abc", false));
        assert_eq!(truncate("abcd", 3), ("abc", true));
        // `é` is two bytes: a cut in its middle moves before it.
        assert_eq!(truncate("aé", 2), ("a", true));
    }

    #[test]
    fn implausible_values_are_flagged_not_dropped() {
        let check_of = |a: &Activity| {
            let mut w = Vec::new();
            check(a, &mut w);
            w
        };
        // 10 km in 50 min: nothing to say.
        assert!(
            check_of(&activity(
                "running",
                "2020-05-01T07:00:00Z",
                10_000.0,
                3000.0
            ))
            .is_empty()
        );
        // 10 km in 2 min of "running" is 300 km/h.
        let fast = check_of(&activity(
            "running",
            "2020-05-01T07:00:00Z",
            10_000.0,
            120.0,
        ));
        assert!(
            fast[0].contains("300 km/h: too fast for the sport"),
            "{fast:?}"
        );
        // The same speed on a bike is flagged too; a plausible ride is not.
        assert!(
            !check_of(&activity(
                "cycling",
                "2020-05-01T07:00:00Z",
                10_000.0,
                120.0
            ))
            .is_empty()
        );
        assert!(
            check_of(&activity(
                "cycling",
                "2020-05-01T07:00:00Z",
                30_000.0,
                3600.0
            ))
            .is_empty()
        );
        // A clock that was never set.
        let old = check_of(&activity(
            "running",
            "1989-12-31T00:00:00Z",
            5_000.0,
            1800.0,
        ));
        assert!(old[0].contains("before 1995"), "{old:?}");
        // Eight days long.
        let long = check_of(&activity(
            "walking",
            "2020-05-01T07:00:00Z",
            5_000.0,
            8.0 * 86_400.0,
        ));
        assert!(long[0].contains("lasts 192 hours"), "{long:?}");
    }

    fn sample(i: usize) -> Sample {
        Sample {
            offset_s: i as f64,
            distance_m: None,
            hr: None,
            cadence: None,
            altitude_m: None,
        }
    }

    #[test]
    fn downsample_keeps_ends_and_caps_length() {
        for n in [0, 1, 2, 499, 500, 501, 997, 1000, 12345] {
            let out = downsample((0..n).map(sample).collect());
            assert_eq!(out.len(), n.min(MAX_SAMPLES), "n = {n}");
            if n > 0 {
                assert_eq!(out[0].offset_s, 0.0);
                assert_eq!(out[out.len() - 1].offset_s, (n - 1) as f64, "n = {n}");
            }
            assert!(out.windows(2).all(|w| w[0].offset_s < w[1].offset_s));
        }
    }

    #[test]
    fn climb_ignores_jitter() {
        let mut c = Climb::default();
        for a in [
            100.0,
            101.0,
            100.0,
            101.5,
            104.0,
            110.0,
            109.0,
            105.0,
            f64::NAN,
        ] {
            c.push(a);
        }
        assert_eq!(c.totals(), (Some(10.0), Some(5.0)));
        assert_eq!(Climb::default().totals(), (None, None));
    }

    #[test]
    fn geodesic_matches_geographiclib() {
        // The check value from GeographicLib (see shared/CRATES.md).
        let d = geodesic_m((-41.32, 174.81), (40.96, -5.50));
        assert!((d - 19_959_679.267).abs() < 0.01, "{d}");
    }
}
