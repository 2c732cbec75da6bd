//! The command line, as clap types. Values are parsed into `knots-core` types here, so a bad id or
//! an out-of-range number is a usage error (exit 2) that names the flag.

use clap::{Args, Parser, Subcommand};
use jiff::Timestamp;
use jiff::civil::Date;
use knots_core::journal::{By, Camber, Context, Side, Surface, TreatmentKind};
use knots_core::safety::RedFlag;
use knots_core::{Atlas, Km, Nrs, Region, TriggerPointId, UnknownId};
use std::path::PathBuf;

/// knots: find the knots behind running pain, record what you find and do, and see if it works.
///
/// Education and self-tracking, not diagnosis. Your journal stays on this machine.
#[derive(Debug, Parser)]
///
/// Distances are typed with a unit (10k, 6.2mi, 800m; a plain number is in the preferred unit,
/// see `knots config`) and durations as minutes, mm:ss, h:mm:ss or 1h05m. Dates are YYYY-MM-DD, `today`
/// or `yesterday`. Exit codes: 0 done, 1 failure, 2 bad input (or no journal), 3 an import
/// stored some files and failed others.
#[command(name = "knots", version)]
pub struct Cli {
    /// The journal: a SQLite file path, or a PostgreSQL URL (postgres://user@host/db).
    /// Default: `db` in the config file (`knots config`), else knots.db in the platform data
    /// directory.
    #[arg(long, global = true, env = "KNOTS_DB", value_name = "PATH|URL")]
    pub db: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create an empty journal (every command that records creates one too, and says where).
    ///
    /// Example: knots --db ~/knots.db init
    Init,
    /// Build the demo journal (refuses to overwrite a journal that is not a demo) and tour it.
    ///
    /// Example: knots --db demo.db demo
    Demo,
    /// Rank the knots that commonly refer pain to where it hurts.
    ///
    /// Example: knots find --region lateral_knee --side left --context during_run --onset-km 5k
    Find(FindArgs),
    /// Guided search: press one spot at a time until the mother knot is found.
    ///
    /// Example: knots search --region lateral_knee --side left
    Search(crate::search::SearchArgs),
    /// Pain reports.
    ///
    /// Example: knots pain add --region lateral_knee --side left --pain 5 --context during_run --onset-km 3k --no-red-flags
    #[command(subcommand)]
    Pain(PainCmd),
    /// Palpation findings: what pressing a trigger point found.
    ///
    /// Example: knots knot add --trigger-point vastus_lateralis_mid --side left --tenderness 7 --reproduces
    #[command(subcommand)]
    Knot(KnotCmd),
    /// Treatments.
    ///
    /// Example: knots treat add --kind foam_roll --target vastus_lateralis --side left --minutes 5:00
    #[command(subcommand)]
    Treat(TreatCmd),
    /// Therapist sessions.
    ///
    /// Example: knots session add --file session.toml
    #[command(subcommand)]
    Session(SessionCmd),
    /// Adverse reactions after a treatment (bruising, a burn, soreness for days).
    #[command(subcommand)]
    Reaction(crate::reaction::ReactionCmd),
    /// Runs.
    ///
    /// Example: knots run add --km 10k --minutes 55:30 --surface road --onset-km 6k --max-pain 3
    #[command(subcommand)]
    Run(RunCmd),
    /// Shoes.
    ///
    /// Example: knots shoe add "Pegasus 41" --limit-km 500mi
    #[command(subcommand)]
    Shoe(ShoeCmd),
    /// Record the day's check-in (a second one the same day merges: the fields given replace
    /// those fields only); `checkin edit ID …` and `checkin delete ID` correct one.
    ///
    /// Example: knots checkin --morning-pain 2 --sleep-h 7.5 --date yesterday
    Checkin(CheckinCmd),
    /// Imported activities: correct or delete one.
    ///
    /// Example: knots activity delete 12 --yes
    #[command(subcommand)]
    Activity(ActivityCmd),
    /// The runner's profile (leg-length difference).
    ///
    /// Example: knots profile set --leg-length-diff-mm 6 --longer-leg right
    #[command(subcommand)]
    Profile(ProfileCmd),
    /// Everything recorded, in time order.
    ///
    /// Example: knots log --limit 20
    Log(LogArgs),
    /// The journal at a glance.
    ///
    /// Example: knots status --json
    Status(JsonFlag),
    /// What the history says: load, pain-free distance, gate, plan, what works, mother knot, causes.
    ///
    /// Example: knots report --html report.html
    Report(crate::report::ReportArgs),
    /// The next weeks of walk-run or run sessions, gated by pain.
    ///
    /// Example: knots plan --ics plan.ics
    Plan(crate::report::PlanArgs),
    /// Print the whole journal as versioned JSON (lossless), or write CSV files with --csv DIR,
    /// or the original activity files with --originals DIR.
    ///
    /// Example: knots export --out journal.json
    Export(ExportArgs),
    /// Restore a JSON export into an empty journal.
    ///
    /// Example: knots --db restored.db import-json journal.json
    ImportJson(ImportJsonArgs),
    /// The trigger-point atlas.
    ///
    /// Example: knots atlas show gluteus_medius
    #[command(subcommand)]
    Atlas(AtlasCmd),
    /// Import activities: FIT, GPX, TCX files (or .gz), folders, zips, and Strava, Garmin Connect
    /// or Apple Health exports (zipped or extracted).
    ///
    /// Example: knots import ~/Downloads/export_12345.zip ~/Garmin/Activities
    Import(crate::import::ImportArgs),
    /// Start the local web app (body map, journal, plots) on 127.0.0.1.
    ///
    /// Example: knots serve --demo
    Serve(ServeArgs),
    /// Clinic mode on PostgreSQL: clinics, accounts, the audit trail.
    #[command(subcommand)]
    Clinic(crate::clinic::ClinicCmd),
    // The help shows these lines as they are: a URL in <…> would show the brackets.
    #[allow(rustdoc::bare_urls)]
    /// Share this journal with your practice's clinic server: link it, or stop sharing.
    ///
    /// Example: knots share link https://practice.example --code ABCD-EFGH-JKLM --email me@example.com --share runs,pain
    #[command(subcommand)]
    Share(crate::share::ShareCmd),
    /// Send what you share to your practice and fetch what your therapist wrote for you.
    ///
    /// Example: knots sync --json
    Sync(crate::share::SyncArgs),
    /// Your home program from your practice (fetched by `knots sync`): the day's checklist.
    ///
    /// Example: knots program --json
    Program(crate::share::ProgramArgs),
    /// Preferences: the unit of distance (km or mi) and the default journal.
    ///
    /// Example: knots config set units mi
    #[command(subcommand)]
    Config(crate::config::ConfigCmd),
    /// Print shell completions for bash, zsh, fish, elvish or powershell.
    ///
    /// Example: knots completions bash > ~/.local/share/bash-completion/completions/knots
    Completions(CompletionsArgs),
    /// Print the man page (roff) on stdout.
    ///
    /// Example: knots man > ~/.local/share/man/man1/knots.1
    Man,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on. Anything but a loopback address exposes your journal to the network.
    #[arg(long, default_value = "127.0.0.1:7878")]
    pub listen: std::net::SocketAddr,
    /// Open the demo journal (built fresh; default file knots-demo.db in the data directory).
    #[arg(long)]
    pub demo: bool,
    #[command(flatten)]
    pub clinic: crate::clinic::ClinicServe,
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FindArgs {
    /// Where it hurts (repeat for several regions).
    #[arg(long = "region", required = true, value_parser = closed::<Region>())]
    pub regions: Vec<Region>,
    /// Which side.
    #[arg(long, value_parser = closed::<Side>())]
    pub side: Side,
    /// When it hurts.
    #[arg(long, value_parser = closed::<Context>())]
    pub context: Option<Context>,
    /// How far into a run it starts: 2k, 1.5mi, 800m, or a number in the preferred unit.
    #[arg(allow_negative_numbers = true, long, value_parser = km, value_name = "DISTANCE", alias = "onset")]
    pub onset_km: Option<Km>,
    /// A red-flag question answered yes now (repeatable); recent pain reports count too.
    #[arg(long = "red-flag", value_parser = closed::<RedFlag>())]
    pub red_flags: Vec<RedFlag>,
    /// How many muscles to show in text output.
    #[arg(long, default_value_t = 8)]
    pub limit: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum PainCmd {
    /// Record where and when it hurts, with the red-flag questions.
    Add(PainAddArgs),
    /// Correct fields of a record: `edit ID --field value…` (`--field null` clears one).
    Edit(EditArgs),
    /// Delete a record (asks on a terminal unless `--yes`).
    Delete(DeleteArgs),
}

#[derive(Debug, Args)]
pub struct PainAddArgs {
    /// Where it hurts (repeatable).
    #[arg(long = "region", required = true, value_parser = closed::<Region>())]
    pub regions: Vec<Region>,
    /// Which side.
    #[arg(long, value_parser = closed::<Side>())]
    pub side: Side,
    /// Pain 0-10.
    #[arg(allow_negative_numbers = true, long, value_parser = nrs)]
    pub pain: Nrs,
    /// When it hurts.
    #[arg(long, value_parser = closed::<Context>())]
    pub context: Context,
    /// How far into a run it starts: 2k, 1.5mi, 800m, or a number in the preferred unit.
    #[arg(allow_negative_numbers = true, long, value_parser = km, value_name = "DISTANCE", alias = "onset")]
    pub onset_km: Option<Km>,
    /// A warning-sign question answered yes (repeatable); each routes you to a clinician.
    #[arg(long = "red-flag", value_parser = closed::<RedFlag>(), conflicts_with = "no_red_flags")]
    pub red_flags: Vec<RedFlag>,
    /// All red-flag questions answered no (skips the questions on a terminal).
    #[arg(long)]
    pub no_red_flags: bool,
    #[command(flatten)]
    pub when: When,
    /// Free text.
    #[arg(long)]
    pub note: Option<String>,
    /// Print the new id as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct When {
    /// When: RFC 3339, `YYYY-MM-DDTHH:MM` or `YYYY-MM-DD` (local time), `today` (now) or
    /// `yesterday`. Default: now.
    #[arg(long, value_parser = timestamp)]
    pub at: Option<Timestamp>,
}

#[derive(Debug, Subcommand)]
pub enum KnotCmd {
    /// Record what pressing a trigger point found.
    Add(KnotAddArgs),
    /// Correct fields of a record: `edit ID --field value…` (`--field null` clears one).
    Edit(EditArgs),
    /// Delete a record (asks on a terminal unless `--yes`).
    Delete(DeleteArgs),
}

#[derive(Debug, Args)]
pub struct KnotAddArgs {
    /// The trigger point (see `knots atlas list`).
    #[arg(long, value_parser = trigger_point)]
    pub trigger_point: TriggerPointId,
    /// Which side.
    #[arg(long, value_parser = closed::<Side>())]
    pub side: Side,
    /// Pressing pain 0-10.
    #[arg(allow_negative_numbers = true, long, value_parser = nrs)]
    pub tenderness: Nrs,
    /// A taut band was felt.
    #[arg(long)]
    pub taut_band: bool,
    /// Pressing it brings on the familiar symptom ("that's the spot").
    #[arg(long)]
    pub reproduces: bool,
    /// Pressure-pain threshold in kg/cm² (algometer).
    #[arg(allow_negative_numbers = true, long)]
    pub ppt: Option<f64>,
    #[command(flatten)]
    pub when: When,
    /// Free text.
    #[arg(long)]
    pub note: Option<String>,
    /// Print the new id as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum TreatCmd {
    /// Record a treatment.
    Add(TreatAddArgs),
    /// Correct fields of a record: `edit ID --field value…` (`--field null` clears one).
    Edit(EditArgs),
    /// Delete a record (asks on a terminal unless `--yes`).
    Delete(DeleteArgs),
}

#[derive(Debug, Args)]
pub struct TreatAddArgs {
    /// What was done.
    #[arg(long, value_parser = closed::<TreatmentKind>())]
    pub kind: TreatmentKind,
    /// A trigger point, muscle or region id.
    #[arg(long, value_parser = target)]
    pub target: Option<String>,
    /// Which side.
    #[arg(long, value_parser = closed::<Side>())]
    pub side: Side,
    /// Pressure 0-10.
    #[arg(allow_negative_numbers = true, long, value_parser = nrs)]
    pub pressure: Option<Nrs>,
    /// Duration: minutes, mm:ss, h:mm:ss or with units (1h05m).
    #[arg(allow_negative_numbers = true, long, value_parser = minutes, value_name = "DURATION")]
    pub minutes: Option<f64>,
    /// Who gave it.
    #[arg(long, value_parser = closed::<By>(), default_value = "self")]
    pub by: By,
    #[command(flatten)]
    pub when: When,
    /// Free text.
    #[arg(long)]
    pub note: Option<String>,
    /// Print the new id as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SessionCmd {
    /// Record a therapist session from a TOML or JSON file (see README).
    Add(SessionAddArgs),
    /// Correct fields of a record: `edit ID --field value…` (`--field null` clears one).
    Edit(EditArgs),
    /// Delete a record (asks on a terminal unless `--yes`).
    Delete(DeleteArgs),
}

#[derive(Debug, Args)]
pub struct SessionAddArgs {
    /// The session file (.toml or .json).
    #[arg(long)]
    pub file: PathBuf,
    /// Print the new id as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum RunCmd {
    /// Record a run.
    Add(RunAddArgs),
    /// Correct fields of a record: `edit ID --field value…` (`--field null` clears one).
    Edit(EditArgs),
    /// Delete a record (asks on a terminal unless `--yes`).
    Delete(DeleteArgs),
    /// Mark where the pain began on a run (e.g. an imported one).
    Pain(RunPainArgs),
}

#[derive(Debug, Args)]
pub struct RunAddArgs {
    /// Distance: 10k, 6.2mi, 800m, or a number in the preferred unit (`knots config`).
    #[arg(allow_negative_numbers = true, long, value_parser = km, value_name = "DISTANCE", alias = "distance")]
    pub km: Km,
    /// Duration: minutes, mm:ss, h:mm:ss or with units (30, 30:00, 1:05:00, 1h05m).
    #[arg(allow_negative_numbers = true, long, value_parser = minutes, value_name = "DURATION")]
    pub minutes: Option<f64>,
    /// The local date. Default: today.
    #[arg(long, value_parser = date)]
    pub date: Option<Date>,
    /// The shoe's name (see `knots shoe list`).
    #[arg(long)]
    pub shoe: Option<String>,
    /// The surface.
    #[arg(long, value_parser = closed::<Surface>())]
    pub surface: Option<Surface>,
    /// The side the road fell away to: left, right or none.
    #[arg(long, value_parser = closed::<Camber>(), default_value = "none")]
    pub camber: Camber,
    /// Where the pain began, from the start: 2k, 1.5mi, or a number in the preferred unit.
    #[arg(allow_negative_numbers = true, long = "onset-km", value_parser = km, value_name = "DISTANCE", aliases = ["pain-onset-km", "onset"])]
    pub pain_onset_km: Option<Km>,
    /// The worst pain during the run, 0-10.
    #[arg(allow_negative_numbers = true, long, value_parser = nrs)]
    pub max_pain: Option<Nrs>,
    /// Pain the next morning, 0-10.
    #[arg(allow_negative_numbers = true, long, value_parser = nrs)]
    pub pain_next_morning: Option<Nrs>,
    /// Session RPE, 0-10 (CR-10).
    #[arg(allow_negative_numbers = true, long, value_parser = nrs)]
    pub rpe: Option<Nrs>,
    /// Free text.
    #[arg(long)]
    pub note: Option<String>,
    /// Store a possible but unusual run (over 100 km, faster than 20 km/h) without asking.
    #[arg(long)]
    pub force: bool,
    /// Print the new id as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RunPainArgs {
    /// The run's id (see `knots log`).
    pub run: i64,
    /// Where the pain began, from the start: 2k, 1.5mi, or a number in the preferred unit.
    #[arg(allow_negative_numbers = true, long, value_parser = km, value_name = "DISTANCE", alias = "onset")]
    pub onset_km: Option<Km>,
    /// The worst pain during the run, 0-10.
    #[arg(allow_negative_numbers = true, long = "max-pain", value_parser = nrs, alias = "max")]
    pub max_pain: Option<Nrs>,
    /// Pain the next morning, 0-10.
    #[arg(allow_negative_numbers = true, long = "pain-next-morning", value_parser = nrs, alias = "next-morning")]
    pub next_morning: Option<Nrs>,
}

#[derive(Debug, Subcommand)]
pub enum ShoeCmd {
    /// Add a shoe.
    Add(ShoeAddArgs),
    /// Correct fields of a record: `edit ID --field value…` (`--field null` clears one).
    Edit(EditArgs),
    /// Delete a record (asks on a terminal unless `--yes`).
    Delete(DeleteArgs),
    /// List shoes with their mileage.
    List(JsonFlag),
    /// Retire a shoe.
    Retire(ShoeRetireArgs),
}

#[derive(Debug, Args)]
pub struct ShoeAddArgs {
    /// A unique name.
    pub name: String,
    /// First worn. Default: today.
    #[arg(long, value_parser = date)]
    pub started: Option<Date>,
    /// Distance already on the shoe (e.g. 120k, 80mi; a number is in the preferred unit).
    #[arg(allow_negative_numbers = true, long, value_parser = km_f64, value_name = "DISTANCE", default_value = "0k")]
    pub initial_km: f64,
    /// Replace after this distance (a convention, not evidence).
    #[arg(allow_negative_numbers = true, long, value_parser = km_f64, value_name = "DISTANCE", default_value = "700k")]
    pub limit_km: f64,
    /// Print the new id as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShoeRetireArgs {
    /// The shoe's name.
    pub name: String,
    /// Retired on. Default: today.
    #[arg(long, value_parser = date)]
    pub date: Option<Date>,
}

#[derive(Debug, Args)]
pub struct CheckinArgs {
    /// The day. Default: today.
    #[arg(long, value_parser = date)]
    pub date: Option<Date>,
    /// Pain on getting up, 0-10.
    #[arg(allow_negative_numbers = true, long, value_parser = nrs)]
    pub morning_pain: Option<Nrs>,
    /// Stiffness, 0-10.
    #[arg(allow_negative_numbers = true, long, value_parser = nrs)]
    pub stiffness: Option<Nrs>,
    /// Water drunk, litres.
    #[arg(allow_negative_numbers = true, long)]
    pub water_l: Option<f64>,
    /// Ate potassium-rich food (true or false).
    #[arg(long)]
    pub potassium: Option<bool>,
    /// Sleep, hours.
    #[arg(allow_negative_numbers = true, long)]
    pub sleep_h: Option<f64>,
    /// Free text.
    #[arg(long)]
    pub note: Option<String>,
    /// Print the new id as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCmd {
    /// Show the profile.
    Show(JsonFlag),
    /// Set the profile (replaces it).
    Set(ProfileSetArgs),
}

#[derive(Debug, Args)]
pub struct ProfileSetArgs {
    /// A measured leg-length difference, mm.
    #[arg(allow_negative_numbers = true, long)]
    pub leg_length_diff_mm: Option<f64>,
    /// Which leg is longer: left or right.
    #[arg(long, value_parser = closed::<Side>())]
    pub longer_leg: Option<Side>,
    /// Free text.
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// List the change events (every edit and delete, with old and new values) instead.
    #[arg(long)]
    pub changes: bool,
    /// Only the last N entries.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write runs, pain reports, findings, treatments, sessions, activities, shoes and check-ins
    /// as CSV files into this folder.
    #[arg(long, value_name = "DIR", conflicts_with = "out")]
    pub csv: Option<PathBuf>,
    /// Write a daily wellness CSV (pain, soreness, sleep, injury status) in intervals.icu's
    /// column names to this file.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["out", "csv"])]
    pub wellness: Option<PathBuf>,
    /// Write the original activity files kept at import into this folder, byte for byte, under
    /// the names they were imported as (a zip member under the zip's name and its path). The
    /// JSON export does not carry them.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["out", "csv", "wellness"])]
    pub originals: Option<PathBuf>,
    /// With --csv or --wellness: start each file with a UTF-8 byte-order mark, for Excel.
    #[arg(long)]
    pub bom: bool,
    /// With --originals: print a JSON summary of the files written.
    #[arg(long, requires = "originals")]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportJsonArgs {
    /// A file written by `knots export`.
    pub file: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum AtlasCmd {
    /// List muscles and trigger points.
    List(JsonFlag),
    /// Show one trigger point or muscle.
    Show(AtlasShowArgs),
    /// Validate the atlas (the shipped one, or the TOML files in --dir).
    Check(AtlasCheckArgs),
}

#[derive(Debug, Args)]
pub struct AtlasShowArgs {
    /// A trigger point or muscle id.
    pub id: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AtlasCheckArgs {
    /// A folder of atlas TOML files to check instead of the shipped atlas.
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// A word of a closed vocabulary typed on the command line.
pub trait Vocab: Clone + Send + Sync + 'static {
    /// Every valid word, for the help and the completions.
    fn words() -> Vec<&'static str>;
    /// Reads one word.
    ///
    /// # Errors
    /// [`UnknownId`] with the closest valid words.
    fn read(s: &str) -> Result<Self, UnknownId>;
}

macro_rules! vocab {
    ($($t:ty),*) => {$(
        impl Vocab for $t {
            fn words() -> Vec<&'static str> {
                <$t>::ALL.iter().map(|v| v.as_str()).collect()
            }
            fn read(s: &str) -> Result<Self, UnknownId> {
                s.parse()
            }
        }
    )*};
}
vocab!(Side, Context, TreatmentKind, By, Surface, Camber, RedFlag);

impl Vocab for Region {
    fn words() -> Vec<&'static str> {
        Region::all().map(Region::id).collect()
    }
    fn read(s: &str) -> Result<Self, UnknownId> {
        Region::parse(s)
    }
}

/// The value parser of a closed vocabulary: every word is listed in `--help` and offered by the
/// completions, and an unknown word gets the "did you mean" error.
#[derive(Clone)]
pub struct Closed<T>(std::marker::PhantomData<T>);

/// The value parser for vocabulary `T`.
pub fn closed<T: Vocab>() -> Closed<T> {
    Closed(std::marker::PhantomData)
}

impl<T: Vocab> clap::builder::TypedValueParser for Closed<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let flag = arg.map(|a| format!("--{}", a.get_long().unwrap_or(a.get_id().as_str())));
        let text = value.to_string_lossy();
        T::read(&text).map_err(|e| {
            clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!("{}: {e}\n", flag.unwrap_or_default()),
            )
            .with_cmd(cmd)
        })
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            T::words()
                .into_iter()
                .map(clap::builder::PossibleValue::new),
        ))
    }
}

fn nrs(s: &str) -> Result<Nrs, knots_core::scale::OutOfRange> {
    s.parse()
}
/// A distance with a unit (`10k`, `6.2mi`, `800m`) or a plain number in the preferred unit.
fn km(s: &str) -> Result<Km, knots_core::units::ParseError> {
    knots_core::units::parse_distance(s, crate::config::unit())
}
/// [`km`] as a plain number of kilometres.
fn km_f64(s: &str) -> Result<f64, knots_core::units::ParseError> {
    km(s).map(Km::value)
}
/// A duration: minutes, `mm:ss` or `h:mm:ss`.
fn minutes(s: &str) -> Result<f64, knots_core::units::ParseError> {
    knots_core::units::parse_minutes(s)
}
fn trigger_point(s: &str) -> Result<TriggerPointId, UnknownId> {
    Atlas::shipped().trigger_point(s).map(|t| t.id.clone())
}
fn target(s: &str) -> Result<String, UnknownId> {
    Atlas::shipped().check_target(s).map(|()| s.to_string())
}

/// Parses a date: `YYYY-MM-DD`, `today` or `yesterday` (on this machine's calendar).
pub fn date(s: &str) -> Result<Date, String> {
    let today = || jiff::Zoned::now().date();
    match s.trim().to_ascii_lowercase().as_str() {
        "today" => Ok(today()),
        "yesterday" => today().yesterday().map_err(|e| e.to_string()),
        _ => s
            .parse()
            .map_err(|e| format!("`{s}` is not a date like 2026-11-25, today or yesterday: {e}")),
    }
}

/// Parses an instant: RFC 3339 with an offset, or a local `YYYY-MM-DDTHH:MM[:SS]`, or a local date
/// (taken at noon, or now when it is today and before noon), or `today` (now) or `yesterday`
/// (this time yesterday).
pub fn timestamp(s: &str) -> Result<Timestamp, String> {
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Ok(ts);
    }
    match s.trim().to_ascii_lowercase().as_str() {
        "today" | "now" => return Ok(Timestamp::now()),
        "yesterday" => {
            return jiff::Zoned::now()
                .yesterday()
                .map(|z| z.timestamp())
                .map_err(|e| e.to_string());
        }
        _ => {}
    }
    let tz = jiff::tz::TimeZone::system();
    // A date alone (no time part: jiff would also read `2026-11-20T08:00` as a date, dropping
    // the time).
    let text = s.trim();
    if !text.contains(['T', 't', ' ', ':'])
        && let Ok(date) = text.parse::<Date>()
    {
        return Ok(knots_core::journal::instant_of_date(
            date,
            &tz,
            Timestamp::now(),
        ));
    }
    let civil = text
        .parse::<jiff::civil::DateTime>()
        .map_err(|_| format!("`{s}` is not a time like 2026-11-25T08:30 or 2026-11-25"))?;
    civil
        .to_zoned(tz)
        .map(|z| z.timestamp())
        .map_err(|e| format!("`{s}`: {e}"))
}

/// `knots checkin`: record the day's check-in, or correct one.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CheckinCmd {
    #[command(subcommand)]
    pub action: Option<EditOrDelete>,
    #[command(flatten)]
    pub add: CheckinArgs,
}

/// Edit or delete (for commands whose default action records something).
#[derive(Debug, Subcommand)]
pub enum EditOrDelete {
    /// Correct fields of a record: `edit ID --field value…` (`--field null` clears one).
    Edit(EditArgs),
    /// Delete a record (asks on a terminal unless `--yes`).
    Delete(DeleteArgs),
}

#[derive(Debug, Subcommand)]
pub enum ActivityCmd {
    /// Correct fields of an imported activity: `edit ID --field value…`.
    Edit(EditArgs),
    /// Delete an imported activity (its run stays).
    Delete(DeleteArgs),
}

/// `edit ID --field value…`: the fields are the record's own (as in `knots export`), with dashes
/// or underscores: `knots run edit 12 --km 7 --minutes 40`, `knots pain edit 3 --pain 4`,
/// `knots shoe edit 2 --limit-km 600`. `--force` stores an unusual value; `--json` prints the
/// change event.
#[derive(Debug, Args)]
pub struct EditArgs {
    /// The record's id (see `knots log --json` or `knots export`).
    pub id: i64,
    /// `--field value` pairs, and `--force` / `--json`.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "--FIELD VALUE"
    )]
    pub fields: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The record's id.
    pub id: i64,
    /// Delete without asking.
    #[arg(long, short)]
    pub yes: bool,
    /// For a shoe that runs still wear: delete it and leave those runs without a shoe.
    #[arg(long)]
    pub detach: bool,
    /// Print what was deleted as JSON.
    #[arg(long)]
    pub json: bool,
}
