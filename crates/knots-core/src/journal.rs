//! What a runner records: pain reports, palpation findings, treatments, therapist sessions, runs,
//! shoes, daily check-ins and a profile; and [`Journal`], all of it at once.
//!
//! The serde form of these types is the version-1 journal format (`knots export`): changing a field
//! here changes that format, which the export snapshot test in `knots-store` catches.

use crate::atlas::{Atlas, TriggerPointId};
use crate::region::Region;
use crate::safety::RedFlag;
use crate::scale::{Km, Nrs};
use jiff::Timestamp;
use jiff::civil::Date;
use std::fmt;

vocabulary! {
    /// A body side. `Both` is allowed in queries and for symptoms felt on both sides.
    Side, "side" {
        /// The subject's left.
        Left = "left",
        /// The subject's right.
        Right = "right",
        /// Both sides.
        Both = "both",
    }
}

impl Side {
    /// Whether a record made on `self` applies to a question about `asked`.
    ///
    /// # Examples
    /// ```
    /// use knots_core::journal::Side;
    /// assert!(Side::Left.applies_to(Side::Both));
    /// assert!(!Side::Left.applies_to(Side::Right));
    /// ```
    pub fn applies_to(self, asked: Side) -> bool {
        self == asked || self == Side::Both || asked == Side::Both
    }
}

vocabulary! {
    /// When the pain is felt.
    Context, "context" {
        /// At rest.
        Rest = "rest",
        /// During a run.
        DuringRun = "during_run",
        /// After a run.
        AfterRun = "after_run",
        /// On getting up in the morning.
        Morning = "morning",
        /// At night.
        Night = "night",
    }
}

vocabulary! {
    /// The kind of a treatment.
    TreatmentKind, "treatment kind" {
        /// Deep-tissue massage (pressure on the 0-10 scale).
        DeepTissue = "deep_tissue",
        /// Foam roller.
        FoamRoll = "foam_roll",
        /// Massage ball.
        Ball = "ball",
        /// Ice or cold.
        Ice = "ice",
        /// Heat.
        Heat = "heat",
        /// Hot stones.
        HotStone = "hot_stone",
        /// A stretch.
        Stretch = "stretch",
        /// Strengthening exercise.
        Strength = "strength",
        /// Somatic education (pandiculation).
        Somatic = "somatic",
        /// Anything else.
        Other = "other",
    }
}

vocabulary! {
    /// The kind of an adverse reaction to a treatment (domain brief 6: soreness for 24-72 h and
    /// bruising are common after deep work; ice and heat can burn the skin).
    ReactionKind, "reaction kind" {
        /// Soreness, aching or stiffness beyond the treatment itself.
        Soreness = "soreness",
        /// Bruising.
        Bruising = "bruising",
        /// A cold or heat burn of the skin (ice, a heat pack, hot stones).
        Burn = "burn",
        /// Redness, rash or other skin irritation.
        Skin = "skin",
        /// Numbness, tingling or pins and needles.
        Tingling = "tingling",
        /// Swelling.
        Swelling = "swelling",
        /// Anything else (say what in the note).
        Other = "other",
    }
}

vocabulary! {
    /// Who gave a treatment.
    By, "giver" {
        /// The runner themselves.
        SelfCare = "self",
        /// A therapist.
        Therapist = "therapist",
    }
}

vocabulary! {
    /// The surface of a run.
    Surface, "surface" {
        /// Road.
        Road = "road",
        /// Trail.
        Trail = "trail",
        /// Track.
        Track = "track",
        /// Treadmill.
        Treadmill = "treadmill",
        /// Grass.
        Grass = "grass",
        /// Anything else.
        Other = "other",
    }
}

vocabulary! {
    /// Which way the road sloped (camber) under the runner: the side that was lower.
    Camber, "camber" {
        /// The road fell away to the runner's left.
        Left = "left",
        /// The road fell away to the runner's right.
        Right = "right",
        /// Flat, or not cambered.
        None = "none",
    }
}

/// A stored record with the id the journal gave it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Entry<T> {
    /// Id, unique within its kind of record.
    pub id: i64,
    /// The record.
    #[serde(flatten)]
    pub item: T,
}

/// Where and when it hurts, with the red-flag answers.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PainReport {
    /// When it was reported.
    pub at: Timestamp,
    /// Where it hurts (at least one region).
    pub regions: Vec<Region>,
    /// Which side.
    pub side: Side,
    /// How much, 0-10.
    pub pain: Nrs,
    /// When it hurts.
    pub context: Context,
    /// The distance into a run at which the pain starts.
    pub onset_km: Option<Km>,
    /// Red-flag questions answered yes.
    pub red_flags: Vec<RedFlag>,
    /// Free text.
    pub note: Option<String>,
}

/// What pressing a trigger point found.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    /// When.
    pub at: Timestamp,
    /// Which trigger point of the atlas.
    pub trigger_point: TriggerPointId,
    /// Which side.
    pub side: Side,
    /// Pressing pain, 0-10.
    pub tenderness: Nrs,
    /// A taut band was felt.
    pub taut_band: bool,
    /// Pressing it brings on the familiar symptom (an "active" trigger point).
    pub reproduces: bool,
    /// Pressure-pain threshold in kg/cm², when measured with an algometer.
    pub ppt_kg_cm2: Option<f64>,
    /// The therapist session it was found in.
    pub session: Option<i64>,
    /// Free text.
    pub note: Option<String>,
}

/// A treatment given or done.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Treatment {
    /// When.
    pub at: Timestamp,
    /// What kind.
    pub kind: TreatmentKind,
    /// A trigger point, muscle or region id.
    pub target: Option<String>,
    /// Which side.
    pub side: Side,
    /// Pressure on the 0-10 scale.
    pub pressure: Option<Nrs>,
    /// Duration in minutes.
    pub minutes: Option<f64>,
    /// Who gave it.
    pub by: By,
    /// The therapist session it was part of.
    pub session: Option<i64>,
    /// Free text.
    pub note: Option<String>,
}

/// An adverse reaction after a treatment: the ice that burned, bruising, soreness for two days
/// after deep work. Kept apart from pain reports so that what a treatment costs can be set next to
/// what it seems to do (`analytics::works`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Reaction {
    /// When it began (or was noticed).
    pub at: Timestamp,
    /// What kind of reaction.
    pub kind: ReactionKind,
    /// How bad, 0-10.
    pub severity: Nrs,
    /// How long it lasted, hours (at most [`MAX_REACTION_HOURS`]).
    pub hours: Option<f64>,
    /// The treatment it followed (a treatment id), when known.
    pub treatment: Option<i64>,
    /// Free text.
    pub note: Option<String>,
}

/// The longest a reaction may last, hours (30 days; longer is a case for a clinician, not a
/// journal line).
pub const MAX_REACTION_HOURS: f64 = 720.0;

/// A therapist session, SOAP style (domain brief 6).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Session {
    /// When.
    pub at: Timestamp,
    /// The therapist (optional; knots never needs a name).
    pub therapist: Option<String>,
    /// S: the client's report.
    pub subjective: String,
    /// O: the findings.
    pub objective: String,
    /// A: the therapist's interpretation (not a diagnosis).
    pub assessment: String,
    /// P: the plan.
    pub plan: String,
    /// The agreed pressure ceiling, 0-10; no treatment of the session may exceed it.
    pub pressure_ceiling: Nrs,
    /// How well the client relaxed, 0-10.
    pub relaxation: Option<Nrs>,
    /// Length in minutes.
    pub minutes: Option<f64>,
}

/// A run.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Run {
    /// The local date.
    pub date: Date,
    /// Distance.
    pub km: Km,
    /// Duration in minutes.
    pub minutes: Option<f64>,
    /// The shoe worn (a shoe id).
    pub shoe: Option<i64>,
    /// The surface.
    pub surface: Option<Surface>,
    /// The road's camber.
    pub camber: Camber,
    /// Where the pain started, in km from the start.
    pub pain_onset_km: Option<Km>,
    /// The worst pain during the run, 0-10.
    pub max_pain: Option<Nrs>,
    /// Pain the next morning, 0-10.
    pub pain_next_morning: Option<Nrs>,
    /// Session RPE on the CR-10 scale.
    pub rpe: Option<Nrs>,
    /// Free text.
    pub note: Option<String>,
}

impl Run {
    /// The distance run before pain began: the onset distance, or the whole run when none.
    pub fn pain_free_km(&self) -> f64 {
        self.pain_onset_km.map_or(self.km.value(), Km::value)
    }

    /// Whether the run was pain-free: no onset recorded and no pain above 0.
    pub fn is_pain_free(&self) -> bool {
        self.pain_onset_km.is_none() && self.max_pain.is_none_or(|p| p.value() == 0)
    }
}

/// One point of an activity's downsampled stream (for plots).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StreamPoint {
    /// Seconds from the start.
    pub t: f64,
    /// Distance from the start, metres.
    pub d: Option<f64>,
    /// Heart rate, beats per minute.
    pub hr: Option<f64>,
    /// Cadence as the device records it (strides per minute for running).
    pub cad: Option<f64>,
    /// Altitude, metres.
    pub alt: Option<f64>,
}

/// An activity imported from a file (FIT session, GPX or TCX file, Strava row). Running activities
/// also make a [`Run`] (linked by `run`); other sports are kept because they are training load.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Activity {
    /// The run made from it, for running activities.
    pub run: Option<i64>,
    /// The sport, lowercase (`running`, `cycling`, `walking`, …).
    pub sport: String,
    /// The start (UTC).
    pub start: Timestamp,
    /// The local offset from UTC at the start, seconds, when the file says.
    pub utc_offset_s: Option<i32>,
    /// Where it came from: a file path, or `zipfile!member`.
    pub source: String,
    /// The activity's name, when the file has one.
    pub name: Option<String>,
    /// Distance, metres.
    pub distance_m: Option<f64>,
    /// Elapsed time, seconds.
    pub elapsed_s: f64,
    /// Timer (moving) time, seconds.
    pub timer_s: Option<f64>,
    /// Total ascent, metres.
    pub ascent_m: Option<f64>,
    /// Average heart rate.
    pub avg_hr: Option<f64>,
    /// Maximum heart rate.
    pub max_hr: Option<f64>,
    /// Average cadence.
    pub avg_cadence: Option<f64>,
    /// Maximum cadence.
    pub max_cadence: Option<f64>,
    /// Number of laps.
    pub laps: u32,
    /// The downsampled stream.
    pub stream: Vec<StreamPoint>,
}

impl Activity {
    /// Whether the sport is a kind of running.
    pub fn is_running(&self) -> bool {
        self.sport.contains("run")
    }

    /// Checks that an imported activity is plausible: a start between 1990 and now, a
    /// non-negative duration and distance.
    ///
    /// # Errors
    /// The implausible field.
    pub fn validate(&self, now: Now) -> Result<(), FieldError> {
        // 1990-01-01T00:00:00Z: older starts come from unset device clocks.
        let earliest = Timestamp::constant(631_152_000, 0);
        if self.start < earliest || self.start.as_second() > now.at.as_second() + 86_400 {
            return Err(FieldError::new(
                "start",
                format!("`{}` is not a plausible start", self.start),
            ));
        }
        use crate::bounds::check_number;
        check_number("elapsed_s", self.elapsed_s)?;
        for (field, value) in [
            ("distance_m", self.distance_m),
            ("timer_s", self.timer_s),
            ("ascent_m", self.ascent_m),
            ("avg_hr", self.avg_hr),
            ("max_hr", self.max_hr),
            ("avg_cadence", self.avg_cadence),
            ("max_cadence", self.max_cadence),
        ] {
            if let Some(v) = value {
                check_number(field, v)?;
            }
        }
        Ok(())
    }

    /// Average speed in km/h over the timer (or elapsed) time, when both are known.
    pub fn speed_kmh(&self) -> Option<f64> {
        let secs = self.timer_s.filter(|t| *t > 0.0).unwrap_or(self.elapsed_s);
        match self.distance_m {
            Some(d) if secs > 0.0 => Some(d / 1000.0 / (secs / 3600.0)),
            _ => None,
        }
    }
}

/// A pair of shoes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Shoe {
    /// A unique name.
    pub name: String,
    /// First worn.
    pub started: Date,
    /// Retired, when it was.
    pub retired: Option<Date>,
    /// Distance already on the shoe before knots knew it.
    pub initial_km: f64,
    /// The distance after which to replace it (a convention, not evidence; default 700 km).
    pub limit_km: f64,
}

/// A daily check-in.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Checkin {
    /// The day (one check-in a day).
    pub date: Date,
    /// Pain on getting up, 0-10.
    pub morning_pain: Option<Nrs>,
    /// Stiffness, 0-10.
    pub stiffness: Option<Nrs>,
    /// Water drunk, litres.
    pub water_l: Option<f64>,
    /// Ate potassium-rich food.
    pub potassium: Option<bool>,
    /// Sleep, hours.
    pub sleep_h: Option<f64>,
    /// Free text.
    pub note: Option<String>,
}

/// Facts about the runner that do not change often.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Profile {
    /// A measured leg-length difference in mm.
    pub leg_length_diff_mm: Option<f64>,
    /// Which leg is longer.
    pub longer_leg: Option<Side>,
    /// Free text.
    pub note: Option<String>,
}

/// The whole journal.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Journal {
    /// The profile.
    pub profile: Profile,
    /// Shoes.
    pub shoes: Vec<Entry<Shoe>>,
    /// Runs.
    pub runs: Vec<Entry<Run>>,
    /// Pain reports.
    pub pain_reports: Vec<Entry<PainReport>>,
    /// Therapist sessions.
    pub sessions: Vec<Entry<Session>>,
    /// Palpation findings.
    pub findings: Vec<Entry<Finding>>,
    /// Treatments.
    pub treatments: Vec<Entry<Treatment>>,
    /// Daily check-ins.
    pub checkins: Vec<Entry<Checkin>>,
    /// Activities imported from files.
    #[serde(default)]
    pub activities: Vec<Entry<Activity>>,
    /// Adverse reactions after treatments (export version 3; older exports have none).
    #[serde(default)]
    pub reactions: Vec<Entry<Reaction>>,
    /// Every edit and delete, oldest first (the audit trail).
    #[serde(default)]
    pub changes: Vec<Entry<crate::change::Change>>,
}

/// A value that breaks a rule, naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field, e.g. `tenderness` or `treatments[2].pressure`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl FieldError {
    /// Builds an error for `field`.
    pub fn new(field: impl Into<String>, message: impl fmt::Display) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.to_string(),
        }
    }

    /// The same error under a parent field, e.g. `pressure` inside `treatments[2]`.
    pub fn within(self, parent: &str) -> FieldError {
        FieldError {
            field: format!("{parent}.{}", self.field),
            message: self.message,
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

/// "Now" as the validation rules need it: the instant and the local date.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    /// The current instant.
    pub at: Timestamp,
    /// Today's local date.
    pub today: Date,
}

/// The earliest date a record may carry: 1900-01-01 (an earlier one is a typo, and a year such as
/// −9999 would make every daily series millions of days long).
pub const EARLIEST_DATE: Date = Date::constant(1900, 1, 1);

/// The instant for an event given by its date alone: noon of `date` in `tz`, or `now` when that
/// is today and noon has not come yet (so today's entry made in the morning is not "in the
/// future").
///
/// # Examples
/// ```
/// use knots_core::journal::instant_of_date;
/// use jiff::tz::TimeZone;
/// let morning = "2026-11-28T08:15:00Z".parse().unwrap();
/// let day = |s: &str| s.parse().unwrap();
/// assert_eq!(instant_of_date(day("2026-11-28"), &TimeZone::UTC, morning), morning);
/// assert_eq!(
///     instant_of_date(day("2026-11-27"), &TimeZone::UTC, morning).to_string(),
///     "2026-11-27T12:00:00Z"
/// );
/// ```
pub fn instant_of_date(date: Date, tz: &jiff::tz::TimeZone, now: Timestamp) -> Timestamp {
    let noon = date
        .at(12, 0, 0, 0)
        .to_zoned(tz.clone())
        .map_or(now, |z| z.timestamp());
    let today = now.to_zoned(tz.clone()).date();
    if date == today { noon.min(now) } else { noon }
}

/// Checks an event's instant as every record's rules do: not before 1900, not in the future
/// (one minute of slack), so an entry path that dates several records by one flag (`knots search
/// --at`) can refuse a bad instant before asking anything.
///
/// # Errors
/// `field`, with the instant, when it is before 1900 or in the future.
///
/// # Examples
/// ```
/// use jiff::Timestamp;
/// use knots_core::journal::{Now, check_instant};
/// let now = Now { at: "2026-11-27T12:00:00Z".parse().unwrap(), today: "2026-11-27".parse().unwrap() };
/// assert!(check_instant("at", "2026-10-01T08:00:00Z".parse().unwrap(), now).is_ok());
/// assert!(check_instant("at", "2026-11-28T08:00:00Z".parse().unwrap(), now).is_err());
/// ```
pub fn check_instant(field: &str, at: Timestamp, now: Now) -> Result<(), FieldError> {
    not_future_at(field, at, now)
}

fn not_future_at(field: &str, at: Timestamp, now: Now) -> Result<(), FieldError> {
    // 1900-01-01T00:00:00Z.
    if at.as_second() < -2_208_988_800 {
        return Err(FieldError::new(field, format!("`{at}` is before 1900")));
    }
    // One minute of slack for clocks and typing.
    if at.as_second() > now.at.as_second() + 60 {
        return Err(FieldError::new(field, format!("`{at}` is in the future")));
    }
    Ok(())
}

fn not_future_date(field: &str, date: Date, now: Now) -> Result<(), FieldError> {
    if date < EARLIEST_DATE {
        return Err(FieldError::new(field, format!("`{date}` is before 1900")));
    }
    if date > now.today {
        return Err(FieldError::new(field, format!("`{date}` is in the future")));
    }
    Ok(())
}

fn non_negative(field: &str, v: Option<f64>) -> Result<(), FieldError> {
    match v {
        Some(v) if !(v.is_finite() && v >= 0.0) => Err(FieldError::new(
            field,
            format!("must be 0 or more, got {v}"),
        )),
        _ => Ok(()),
    }
}

impl PainReport {
    /// Checks the rules a pain report must meet.
    ///
    /// # Errors
    /// The first broken rule: no region, a future time.
    pub fn validate(&self, now: Now) -> Result<(), FieldError> {
        if self.regions.is_empty() {
            return Err(FieldError::new("regions", "name at least one region"));
        }
        not_future_at("at", self.at, now)
    }
}

impl Finding {
    /// Checks the rules a finding must meet.
    ///
    /// # Errors
    /// An unknown trigger point, a negative pressure-pain threshold, a future time.
    pub fn validate(&self, atlas: &Atlas, now: Now) -> Result<(), FieldError> {
        atlas
            .trigger_point(self.trigger_point.as_str())
            .map_err(|e| FieldError::new("trigger_point", e))?;
        non_negative("ppt_kg_cm2", self.ppt_kg_cm2)?;
        not_future_at("at", self.at, now)
    }
}

impl Treatment {
    /// Checks the rules a treatment must meet.
    ///
    /// # Errors
    /// An unknown target, negative minutes, a future time.
    pub fn validate(&self, atlas: &Atlas, now: Now) -> Result<(), FieldError> {
        if let Some(target) = &self.target {
            atlas
                .check_target(target)
                .map_err(|e| FieldError::new("target", e))?;
        }
        non_negative("minutes", self.minutes)?;
        not_future_at("at", self.at, now)
    }
}

impl Reaction {
    /// Checks the rules a reaction must meet on its own.
    ///
    /// # Errors
    /// Negative or implausibly long hours, a future time.
    ///
    /// # Examples
    /// ```
    /// use knots_core::journal::{Now, Reaction, ReactionKind};
    /// use knots_core::Nrs;
    /// let now = Now { at: "2026-11-27T12:00:00Z".parse().unwrap(), today: "2026-11-27".parse().unwrap() };
    /// let r = Reaction { at: "2026-11-26T20:00:00Z".parse().unwrap(), kind: ReactionKind::Bruising,
    ///     severity: Nrs::new(3).unwrap(), hours: Some(48.0), treatment: None, note: None };
    /// assert!(r.validate(now).is_ok());
    /// assert_eq!(Reaction { hours: Some(-1.0), ..r }.validate(now).unwrap_err().field, "hours");
    /// ```
    pub fn validate(&self, now: Now) -> Result<(), FieldError> {
        non_negative("hours", self.hours)?;
        if self.hours.is_some_and(|h| h > MAX_REACTION_HOURS) {
            return Err(FieldError::new(
                "hours",
                format!("must be at most {MAX_REACTION_HOURS} hours (30 days)"),
            ));
        }
        not_future_at("at", self.at, now)
    }

    /// Checks the reaction against the treatment it names: it cannot begin before it.
    ///
    /// # Errors
    /// `at`, when the reaction began before the treatment.
    pub fn validate_after(&self, treatment: &Treatment) -> Result<(), FieldError> {
        if self.at < treatment.at {
            return Err(FieldError::new(
                "at",
                format!(
                    "`{}` is before the treatment it followed (`{}`)",
                    self.at, treatment.at
                ),
            ));
        }
        Ok(())
    }
}

/// A therapist session with the findings and treatments made in it, as entered.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    /// The session.
    pub session: Session,
    /// Its findings (their `session` field is set when stored).
    pub findings: Vec<Finding>,
    /// Its treatments (their `session` field is set when stored).
    pub treatments: Vec<Treatment>,
}

impl SessionRecord {
    /// Checks the session and everything in it, including that no treatment's pressure exceeds the
    /// session's pressure ceiling (domain brief 6: beyond it clients guard).
    ///
    /// # Errors
    /// The first broken rule, naming the field, e.g. `treatments[1].pressure`.
    pub fn validate(&self, atlas: &Atlas, now: Now) -> Result<(), FieldError> {
        not_future_at("at", self.session.at, now)?;
        non_negative("minutes", self.session.minutes)?;
        for (i, f) in self.findings.iter().enumerate() {
            f.validate(atlas, now)
                .map_err(|e| e.within(&format!("findings[{i}]")))?;
        }
        let ceiling = self.session.pressure_ceiling;
        for (i, t) in self.treatments.iter().enumerate() {
            let parent = format!("treatments[{i}]");
            t.validate(atlas, now).map_err(|e| e.within(&parent))?;
            if let Some(p) = t.pressure.filter(|p| *p > ceiling) {
                return Err(FieldError::new(
                    format!("{parent}.pressure"),
                    format!("{p} is above the session's pressure ceiling of {ceiling}"),
                ));
            }
        }
        Ok(())
    }
}

/// The longest distance knots believes for one run, km (longer is a typo, e.g. 500 for 5.00).
pub const MAX_RUN_KM: f64 = 250.0;
/// The fastest average speed knots believes over more than 1 km, km/h (the marathon world record
/// is about 21 km/h).
pub const MAX_RUN_KMH: f64 = 25.0;
/// The slowest average speed that is still moving, km/h.
pub const MIN_RUN_KMH: f64 = 1.0;
/// The longest duration knots believes for one run, minutes (two days).
pub const MAX_RUN_MINUTES: f64 = 2880.0;

impl Run {
    /// Checks the rules a run must meet, plausibility included: at most [`MAX_RUN_KM`], an average
    /// speed between [`MIN_RUN_KMH`] and [`MAX_RUN_KMH`] (over more than 1 km), at most
    /// [`MAX_RUN_MINUTES`], and minutes whenever an RPE is given (session load is RPE × minutes).
    ///
    /// # Errors
    /// A future date, a pain onset beyond the distance run, negative minutes, an implausible
    /// distance, speed or duration, an RPE without minutes.
    pub fn validate(&self, now: Now) -> Result<(), FieldError> {
        not_future_date("date", self.date, now)?;
        non_negative("minutes", self.minutes)?;
        let km = self.km.value();
        if km > MAX_RUN_KM {
            return Err(FieldError::new(
                "km",
                format!(
                    "{km} km is more than the {MAX_RUN_KM} km knots believes for one run (a typo?)"
                ),
            ));
        }
        if let Some(minutes) = self.minutes {
            if minutes > MAX_RUN_MINUTES {
                return Err(FieldError::new(
                    "minutes",
                    format!("{minutes} minutes is more than two days"),
                ));
            }
            if km > 0.0 && minutes <= 0.0 {
                return Err(FieldError::new(
                    "minutes",
                    "a run with a distance must take more than 0 minutes",
                ));
            }
            if let Some(kmh) = self.speed_kmh() {
                if km > 1.0 && kmh > MAX_RUN_KMH {
                    return Err(FieldError::new(
                        "minutes",
                        format!(
                            "{} km in {} is {kmh:.1} km/h, faster than the {MAX_RUN_KMH} km/h anyone runs over more than 1 km",
                            crate::units::number(km, 3),
                            crate::units::format_minutes(minutes)
                        ),
                    ));
                }
                if km > 0.0 && kmh < MIN_RUN_KMH {
                    return Err(FieldError::new(
                        "minutes",
                        format!(
                            "{} km in {} is {kmh:.2} km/h, slower than {MIN_RUN_KMH} km/h",
                            crate::units::number(km, 3),
                            crate::units::format_minutes(minutes)
                        ),
                    ));
                }
            }
        }
        if self.rpe.is_some() && self.minutes.is_none() {
            return Err(FieldError::new(
                "rpe",
                "an RPE needs the run's minutes too (the session load is RPE x minutes)",
            ));
        }
        if let Some(onset) = self.pain_onset_km.filter(|o| o.value() > km) {
            return Err(FieldError::new(
                "pain_onset_km",
                format!("{onset} is beyond the run's {}", self.km),
            ));
        }
        Ok(())
    }

    /// Average speed in km/h, when the minutes are known and above 0.
    pub fn speed_kmh(&self) -> Option<f64> {
        self.minutes
            .filter(|m| *m > 0.0)
            .map(|m| self.km.value() / (m / 60.0))
    }

    /// A value that is possible but unusual enough to ask about before storing (over 100 km,
    /// faster than 20 km/h over more than 1 km, slower than walking): the reason in words.
    pub fn unusual(&self) -> Option<String> {
        let km = self.km.value();
        if km > 100.0 {
            return Some(format!("{km} km is further than most ultramarathons"));
        }
        match self.speed_kmh() {
            Some(kmh) if km > 1.0 && kmh > 20.0 => {
                Some(format!("{kmh:.1} km/h is faster than elite marathon pace"))
            }
            Some(kmh) if km > 0.0 && kmh < 4.0 => {
                Some(format!("{kmh:.1} km/h is slower than walking"))
            }
            _ => None,
        }
    }
}

impl Shoe {
    /// Checks the rules a shoe must meet.
    ///
    /// # Errors
    /// An empty name, a future start, retirement before the start, negative distances.
    pub fn validate(&self, now: Now) -> Result<(), FieldError> {
        if self.name.trim().is_empty() {
            return Err(FieldError::new("name", "must not be empty"));
        }
        not_future_date("started", self.started, now)?;
        if let Some(retired) = self.retired {
            not_future_date("retired", retired, now)?;
            if retired < self.started {
                return Err(FieldError::new(
                    "retired",
                    format!(
                        "`{retired}` is before the shoe was first worn (`{}`)",
                        self.started
                    ),
                ));
            }
        }
        non_negative("initial_km", Some(self.initial_km))?;
        if !(self.limit_km.is_finite() && self.limit_km > 0.0) {
            return Err(FieldError::new(
                "limit_km",
                format!("must be above 0, got {}", self.limit_km),
            ));
        }
        Ok(())
    }
}

impl Checkin {
    /// Checks the rules a check-in must meet.
    ///
    /// # Errors
    /// A future date, negative water or sleep, more than 24 h of sleep.
    pub fn validate(&self, now: Now) -> Result<(), FieldError> {
        not_future_date("date", self.date, now)?;
        non_negative("water_l", self.water_l)?;
        non_negative("sleep_h", self.sleep_h)?;
        if self.sleep_h.is_some_and(|h| h > 24.0) {
            return Err(FieldError::new("sleep_h", "must be at most 24 hours"));
        }
        Ok(())
    }
}

impl Journal {
    /// Checks every record and the references between them (shoe and session ids), as
    /// `knots import-json` must before it writes anything.
    ///
    /// # Errors
    /// The first broken rule, naming the record, e.g. `runs[id 12].pain_onset_km`.
    pub fn validate(&self, atlas: &Atlas, now: Now) -> Result<(), FieldError> {
        fn each<T: serde::Serialize>(
            kind: &str,
            items: &[Entry<T>],
            mut check: impl FnMut(&T) -> Result<(), FieldError>,
        ) -> Result<(), FieldError> {
            let mut seen = std::collections::BTreeSet::new();
            for e in items {
                let parent = format!("{kind}[id {}]", e.id);
                if !seen.insert(e.id) {
                    return Err(FieldError::new(format!("{parent}.id"), "duplicate id"));
                }
                check(&e.item).map_err(|err| err.within(&parent))?;
                let value = serde_json::to_value(&e.item)
                    .map_err(|err| FieldError::new(parent.clone(), err))?;
                crate::bounds::check_record(&value).map_err(|err| err.within(&parent))?;
            }
            Ok(())
        }
        let shoes: Vec<i64> = self.shoes.iter().map(|s| s.id).collect();
        let sessions: Vec<i64> = self.sessions.iter().map(|s| s.id).collect();
        let session_ref = |s: Option<i64>| match s {
            Some(id) if !sessions.contains(&id) => Err(FieldError::new(
                "session",
                format!("no session with id {id}"),
            )),
            _ => Ok(()),
        };
        each("shoes", &self.shoes, |s| s.validate(now))?;
        each("runs", &self.runs, |r| {
            r.validate(now)?;
            match r.shoe {
                Some(id) if !shoes.contains(&id) => {
                    Err(FieldError::new("shoe", format!("no shoe with id {id}")))
                }
                _ => Ok(()),
            }
        })?;
        each("pain_reports", &self.pain_reports, |p| p.validate(now))?;
        each("sessions", &self.sessions, |s| {
            not_future_at("at", s.at, now)?;
            non_negative("minutes", s.minutes)
        })?;
        each("findings", &self.findings, |f| {
            f.validate(atlas, now)?;
            session_ref(f.session)
        })?;
        each("treatments", &self.treatments, |t| {
            t.validate(atlas, now)?;
            session_ref(t.session)?;
            let ceiling = t.session.and_then(|id| {
                self.sessions
                    .iter()
                    .find(|s| s.id == id)
                    .map(|s| s.item.pressure_ceiling)
            });
            match (t.pressure, ceiling) {
                (Some(p), Some(c)) if p > c => Err(FieldError::new(
                    "pressure",
                    format!("{p} is above the session's pressure ceiling of {c}"),
                )),
                _ => Ok(()),
            }
        })?;
        each("checkins", &self.checkins, |c| c.validate(now))?;
        each("reactions", &self.reactions, |r| {
            r.validate(now)?;
            match r.treatment {
                Some(id) => match self.treatments.iter().find(|t| t.id == id) {
                    Some(t) => r.validate_after(&t.item),
                    None => Err(FieldError::new(
                        "treatment",
                        format!("no treatment with id {id}"),
                    )),
                },
                None => Ok(()),
            }
        })?;
        let runs: Vec<i64> = self.runs.iter().map(|r| r.id).collect();
        each("activities", &self.activities, |a| {
            a.validate(now)?;
            match a.run {
                Some(id) if !runs.contains(&id) => {
                    Err(FieldError::new("run", format!("no run with id {id}")))
                }
                _ => Ok(()),
            }
        })
    }
}
