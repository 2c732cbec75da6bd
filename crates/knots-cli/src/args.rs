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
#[command(name = "knots", version, about, long_about = None)]
pub struct Cli {
    /// The journal file (SQLite). Default: knots.db in the platform data directory.
    #[arg(long, global = true, env = "KNOTS_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the demo journal (refuses to overwrite a journal that is not a demo) and tour it.
    Demo,
    /// Rank the knots that commonly refer pain to where it hurts.
    Find(FindArgs),
    /// Guided search: press one spot at a time until the mother knot is found.
    Search(crate::search::SearchArgs),
    /// Pain reports.
    #[command(subcommand)]
    Pain(PainCmd),
    /// Palpation findings: what pressing a trigger point found.
    #[command(subcommand)]
    Knot(KnotCmd),
    /// Treatments.
    #[command(subcommand)]
    Treat(TreatCmd),
    /// Therapist sessions.
    #[command(subcommand)]
    Session(SessionCmd),
    /// Adverse reactions after a treatment (bruising, a burn, soreness for days).
    #[command(subcommand)]
    Reaction(crate::reaction::ReactionCmd),
    /// Runs.
    #[command(subcommand)]
    Run(RunCmd),
    /// Shoes.
    #[command(subcommand)]
    Shoe(ShoeCmd),
    /// Record the day's check-in (a second one the same day merges: the fields given replace
    /// those fields only); `checkin edit ID …` and `checkin delete ID` correct one.
    Checkin(CheckinCmd),
    /// Imported activities: correct or delete one.
    #[command(subcommand)]
    Activity(ActivityCmd),
    /// The runner's profile (leg-length difference).
    #[command(subcommand)]
    Profile(ProfileCmd),
    /// Everything recorded, in time order.
    Log(LogArgs),
    /// The journal at a glance.
    Status(JsonFlag),
    /// What the history says: load, pain-free distance, gate, plan, what works, mother knot, causes.
    Report(crate::report::ReportArgs),
    /// The next weeks of walk-run or run sessions, gated by pain.
    Plan(JsonFlag),
    /// Print the whole journal as versioned JSON (lossless), or write CSV files with --csv DIR.
    Export(ExportArgs),
    /// Restore a JSON export into an empty journal.
    ImportJson(ImportJsonArgs),
    /// The trigger-point atlas.
    #[command(subcommand)]
    Atlas(AtlasCmd),
    /// Import activities: FIT, GPX, TCX files (or .gz), folders, zips (a Strava bulk export).
    Import(crate::import::ImportArgs),
    /// Start the local web app (body map, journal, plots) on 127.0.0.1.
    Serve(ServeArgs),
    /// Clinic mode on PostgreSQL: clinics, accounts, the audit trail.
    #[command(subcommand)]
    Clinic(crate::clinic::ClinicCmd),
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
    #[arg(long = "region", required = true, value_parser = region)]
    pub regions: Vec<Region>,
    /// Which side.
    #[arg(long, value_parser = side)]
    pub side: Side,
    /// When it hurts.
    #[arg(long, value_parser = context)]
    pub context: Option<Context>,
    /// How far into a run it starts, km.
    #[arg(long, value_parser = km)]
    pub onset_km: Option<Km>,
    /// A red-flag question answered yes now (repeatable); recent pain reports count too.
    #[arg(long = "red-flag", value_parser = red_flag)]
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
    #[arg(long = "region", required = true, value_parser = region)]
    pub regions: Vec<Region>,
    /// Which side.
    #[arg(long, value_parser = side)]
    pub side: Side,
    /// Pain 0-10.
    #[arg(long, value_parser = nrs)]
    pub pain: Nrs,
    /// When it hurts.
    #[arg(long, value_parser = context)]
    pub context: Context,
    /// How far into a run it starts, km.
    #[arg(long, value_parser = km)]
    pub onset_km: Option<Km>,
    /// A red-flag question answered yes (repeatable): see `knots pain add --help`.
    #[arg(long = "red-flag", value_parser = red_flag, conflicts_with = "no_red_flags")]
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
    /// When: RFC 3339, `YYYY-MM-DDTHH:MM` or `YYYY-MM-DD` (local time). Default: now.
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
    #[arg(long, value_parser = side)]
    pub side: Side,
    /// Pressing pain 0-10.
    #[arg(long, value_parser = nrs)]
    pub tenderness: Nrs,
    /// A taut band was felt.
    #[arg(long)]
    pub taut_band: bool,
    /// Pressing it brings on the familiar symptom ("that's the spot").
    #[arg(long)]
    pub reproduces: bool,
    /// Pressure-pain threshold in kg/cm² (algometer).
    #[arg(long)]
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
    /// deep_tissue, foam_roll, ball, ice, heat, hot_stone, stretch, strength, somatic or other.
    #[arg(long, value_parser = treatment_kind)]
    pub kind: TreatmentKind,
    /// A trigger point, muscle or region id.
    #[arg(long, value_parser = target)]
    pub target: Option<String>,
    /// Which side.
    #[arg(long, value_parser = side)]
    pub side: Side,
    /// Pressure 0-10.
    #[arg(long, value_parser = nrs)]
    pub pressure: Option<Nrs>,
    /// Minutes.
    #[arg(long)]
    pub minutes: Option<f64>,
    /// self or therapist.
    #[arg(long, value_parser = by, default_value = "self")]
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
    /// Distance, km.
    #[arg(long, value_parser = km)]
    pub km: Km,
    /// Duration, minutes.
    #[arg(long)]
    pub minutes: Option<f64>,
    /// The local date. Default: today.
    #[arg(long, value_parser = date)]
    pub date: Option<Date>,
    /// The shoe's name (see `knots shoe list`).
    #[arg(long)]
    pub shoe: Option<String>,
    /// road, trail, track, treadmill, grass or other.
    #[arg(long, value_parser = surface)]
    pub surface: Option<Surface>,
    /// The side the road fell away to: left, right or none.
    #[arg(long, value_parser = camber, default_value = "none")]
    pub camber: Camber,
    /// Where the pain began, km from the start.
    #[arg(long, value_parser = km)]
    pub pain_onset_km: Option<Km>,
    /// The worst pain during the run, 0-10.
    #[arg(long, value_parser = nrs)]
    pub max_pain: Option<Nrs>,
    /// Pain the next morning, 0-10.
    #[arg(long, value_parser = nrs)]
    pub pain_next_morning: Option<Nrs>,
    /// Session RPE, 0-10 (CR-10).
    #[arg(long, value_parser = nrs)]
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
    /// Where the pain began, km from the start.
    #[arg(long, value_parser = km)]
    pub onset_km: Option<Km>,
    /// The worst pain during the run, 0-10.
    #[arg(long = "max", value_parser = nrs)]
    pub max_pain: Option<Nrs>,
    /// Pain the next morning, 0-10.
    #[arg(long, value_parser = nrs)]
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
    /// Distance already on the shoe, km.
    #[arg(long, default_value_t = 0.0)]
    pub initial_km: f64,
    /// Replace after this distance, km (a convention, not evidence).
    #[arg(long, default_value_t = 700.0)]
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
    #[arg(long, value_parser = nrs)]
    pub morning_pain: Option<Nrs>,
    /// Stiffness, 0-10.
    #[arg(long, value_parser = nrs)]
    pub stiffness: Option<Nrs>,
    /// Water drunk, litres.
    #[arg(long)]
    pub water_l: Option<f64>,
    /// Ate potassium-rich food (true or false).
    #[arg(long)]
    pub potassium: Option<bool>,
    /// Sleep, hours.
    #[arg(long)]
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
    #[arg(long)]
    pub leg_length_diff_mm: Option<f64>,
    /// Which leg is longer: left or right.
    #[arg(long, value_parser = side)]
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
    /// Write runs, pain reports, findings, treatments and sessions as CSV files into this folder.
    #[arg(long, value_name = "DIR", conflicts_with = "out")]
    pub csv: Option<PathBuf>,
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

fn region(s: &str) -> Result<Region, UnknownId> {
    Region::parse(s)
}
fn side(s: &str) -> Result<Side, UnknownId> {
    s.parse()
}
fn context(s: &str) -> Result<Context, UnknownId> {
    s.parse()
}
fn red_flag(s: &str) -> Result<RedFlag, UnknownId> {
    s.parse()
}
fn treatment_kind(s: &str) -> Result<TreatmentKind, UnknownId> {
    s.parse()
}
fn by(s: &str) -> Result<By, UnknownId> {
    s.parse()
}
fn surface(s: &str) -> Result<Surface, UnknownId> {
    s.parse()
}
fn camber(s: &str) -> Result<Camber, UnknownId> {
    s.parse()
}
fn nrs(s: &str) -> Result<Nrs, knots_core::scale::OutOfRange> {
    s.parse()
}
fn km(s: &str) -> Result<Km, knots_core::scale::OutOfRange> {
    s.parse()
}
fn trigger_point(s: &str) -> Result<TriggerPointId, UnknownId> {
    Atlas::shipped().trigger_point(s).map(|t| t.id.clone())
}
fn target(s: &str) -> Result<String, UnknownId> {
    Atlas::shipped().check_target(s).map(|()| s.to_string())
}

/// Parses a date `YYYY-MM-DD`.
pub fn date(s: &str) -> Result<Date, String> {
    s.parse()
        .map_err(|e| format!("`{s}` is not a date like 2026-11-25: {e}"))
}

/// Parses an instant: RFC 3339 with an offset, or a local `YYYY-MM-DDTHH:MM[:SS]`, or a local date
/// (taken at noon).
pub fn timestamp(s: &str) -> Result<Timestamp, String> {
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Ok(ts);
    }
    let tz = jiff::tz::TimeZone::system();
    let civil = s
        .parse::<jiff::civil::DateTime>()
        .or_else(|_| s.parse::<Date>().map(|d| d.at(12, 0, 0, 0)))
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
