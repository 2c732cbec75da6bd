//! One function per command: parse-free glue between the arguments, the core and the store.

use crate::args::*;
use crate::config::Config;
use crate::output::{InputError, print, print_json, wrap};
use anyhow::{Context as _, Result, bail};
use jiff::Zoned;
use knots_app::record::{self, Context as Rules};
use knots_app::{Open, Target, WithStore};
use knots_core::atlas::{Atlas, SHIPPED_FILES};
use knots_core::change::{Kind, Record};
use knots_core::finder::{self, Answer, Query};
use knots_core::journal::{
    By, Checkin, Context, Entry, Finding, Journal, Now, PainReport, Profile, Run, Session,
    SessionRecord, Shoe, Side, Treatment, TreatmentKind,
};
use knots_core::safety::{self, RedFlag};
use knots_core::summary::{self, Status};
use knots_core::units::{self, Unit};
use knots_core::{Km, Nrs, Region, TriggerPointId, demo};
use knots_store::Store;
use knots_store::export::Export;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Runs one command.
pub fn run(cli: Cli, config: &Config) -> Result<()> {
    let now = Zoned::now();
    match cli.command {
        Command::Atlas(cmd) => atlas(cmd),
        Command::Clinic(cmd) => crate::clinic::run(cmd, cli.db),
        Command::Serve(a) if a.clinic.clinic => crate::clinic::serve(a.listen, &a.clinic, cli.db),
        Command::Config(cmd) => crate::config::run(cmd),
        Command::Share(cmd) => crate::share::share(cmd, db_path(cli.db, config)?),
        Command::Sync(a) => crate::share::run_sync(&a, &db_path(cli.db, config)?),
        Command::Program(a) => crate::share::run_program(&a, &db_path(cli.db, config)?),
        Command::Completions(a) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut out = std::io::stdout().lock();
            clap_complete::generate(a.shell, &mut cmd, "knots", &mut out);
            Ok(())
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(cmd)
                .render(&mut out)
                .context("writing the man page")?;
            Ok(())
        }
        Command::Serve(a) => {
            let target = Target::parse(match (&cli.db, a.demo) {
                (None, true) => default_path("knots-demo.db")?,
                _ => db_path(cli.db, config)?,
            })
            .map_err(|e| InputError(e.to_string()))?;
            say_if_new(&target);
            target.clone().with(Serve { a, now, target })?
        }
        command => {
            let mut target =
                Target::parse(db_path(cli.db, config)?).map_err(|e| InputError(e.to_string()))?;
            if let Target::Sqlite(path) = &target
                && !path.exists()
            {
                match Access::of(&command) {
                    Access::Read => bail!(InputError(format!(
                        "no journal at `{}`: nothing is recorded there yet (record something with `knots pain add`, `knots run add` or `knots import`, or pass --db)",
                        path.display()
                    ))),
                    Access::ReadOrAtlasOnly => {
                        eprintln!(
                            "knots: no journal at `{}`: ranking from the atlas alone (no findings of yours)",
                            path.display()
                        );
                        target = Target::Sqlite(PathBuf::from(":memory:"));
                    }
                    Access::Write => say_if_new(&target),
                }
            }
            let shown = target.shown();
            let only_reads = only_reads(&command);
            let on = OnJournal {
                command,
                shown: PathBuf::from(&shown),
                now,
            };
            if only_reads {
                target.with_read_only(on)?
            } else {
                target.with(on)?
            }
        }
    }
}

/// What a command needs of the journal.
enum Access {
    /// It only reads: on a journal that does not exist it says so and creates nothing.
    Read,
    /// It reads the runner's findings if there are any, and is useful without (the finder).
    ReadOrAtlasOnly,
    /// It records (and creates the journal when there is none, saying where).
    Write,
}

impl Access {
    fn of(command: &Command) -> Access {
        match command {
            Command::Find(_) => Access::ReadOrAtlasOnly,
            Command::Log(_)
            | Command::Status(_)
            | Command::Report(_)
            | Command::Plan(_)
            | Command::Export(_)
            | Command::Shoe(ShoeCmd::List(_))
            | Command::Profile(ProfileCmd::Show(_))
            | Command::Pain(PainCmd::Edit(_) | PainCmd::Delete(_))
            | Command::Knot(KnotCmd::Edit(_) | KnotCmd::Delete(_))
            | Command::Treat(TreatCmd::Edit(_) | TreatCmd::Delete(_))
            | Command::Session(SessionCmd::Edit(_) | SessionCmd::Delete(_))
            | Command::Run(RunCmd::Edit(_) | RunCmd::Delete(_) | RunCmd::Pain(_))
            | Command::Shoe(ShoeCmd::Edit(_) | ShoeCmd::Delete(_) | ShoeCmd::Retire(_))
            | Command::Activity(_)
            | Command::Checkin(CheckinCmd {
                action: Some(_), ..
            }) => Access::Read,
            _ => Access::Write,
        }
    }
}

/// Whether a command only reads the journal (it is opened read-only: never created, migrated or
/// written).
fn only_reads(command: &Command) -> bool {
    matches!(
        command,
        Command::Find(_)
            | Command::Log(_)
            | Command::Status(_)
            | Command::Report(_)
            | Command::Plan(_)
            | Command::Export(_)
            | Command::Shoe(ShoeCmd::List(_))
            | Command::Profile(ProfileCmd::Show(_))
    )
}

/// Says on stderr where a new SQLite journal is being created.
fn say_if_new(target: &Target) {
    if let Target::Sqlite(path) = target
        && !path.exists()
    {
        eprintln!("knots: creating a new journal at `{}`", path.display());
    }
}

/// A command on an open journal, whichever back end.
struct OnJournal {
    command: Command,
    shown: PathBuf,
    now: Zoned,
}

impl WithStore for OnJournal {
    type Out = Result<()>;
    fn run<S: Open>(self, mut store: S) -> Result<()> {
        with_store(self.command, &mut store, &self.shown, &self.now)
    }
}

/// `knots serve` on an open journal.
struct Serve {
    a: ServeArgs,
    now: Zoned,
    target: Target,
}

impl WithStore for Serve {
    type Out = Result<()>;
    fn run<S: Open>(self, store: S) -> Result<()> {
        serve_with(store, self.target, self.a, &self.now)
    }
}

/// The journal to open: `--db` (or `KNOTS_DB`), else the config file's `db`, else `knots.db` in
/// the platform data directory.
pub fn db_path(given: Option<PathBuf>, config: &Config) -> Result<PathBuf> {
    match given.or_else(|| config.db.clone()) {
        Some(p) => Ok(p),
        None => default_path("knots.db"),
    }
}

fn default_path(file: &str) -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "knots")
        .context("no home directory to keep the journal in: pass --db PATH")?;
    let dir = dirs.data_dir();
    std::fs::create_dir_all(dir).with_context(|| format!("creating `{}`", dir.display()))?;
    Ok(dir.join(file))
}

fn serve_with<S: Open>(mut store: S, target: Target, a: ServeArgs, now: &Zoned) -> Result<()> {
    if a.demo {
        demo_cmd(&mut store, Path::new(&target.shown()), now)?;
    }
    drop(store);
    if !a.listen.ip().is_loopback() {
        eprintln!(
            "warning: listening on {} makes your journal reachable from other machines; knots has no login",
            a.listen
        );
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the web server's runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(a.listen)
            .await
            .with_context(|| format!("listening on {}", a.listen))?;
        let addr = listener.local_addr()?;
        let state = knots_web::AppState::<S>::new(target, addr, crate::config::unit())
            .map_err(|e| anyhow::anyhow!("starting the web app: {e}"))?;
        eprintln!("knots: open http://{addr}/ (Ctrl-C to stop)");
        knots_web::serve(listener, state, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("serving")
    })
}

/// The rules' context for a command run `now`.
pub(crate) fn rules(now: &Zoned, force: bool) -> Rules<'static> {
    Rules {
        atlas: Atlas::shipped(),
        now: now_of(now),
        force,
    }
}

fn now_of(now: &Zoned) -> Now {
    Now {
        at: now.timestamp(),
        today: now.date(),
    }
}

fn with_store<S: Store + Send + 'static>(
    command: Command,
    store: &mut S,
    path: &Path,
    now: &Zoned,
) -> Result<()> {
    match command {
        Command::Demo => demo_cmd(store, path, now),
        Command::Init => print(&format!(
            "journal ready at `{}` ({})",
            path.display(),
            if store.is_empty()? {
                "empty"
            } else {
                "it already holds records: nothing changed"
            }
        )),
        Command::Find(a) => find(store, a, now),
        Command::Search(a) => crate::search::run(store, a, now),
        Command::Reaction(c) => crate::reaction::run(store, c, now),
        Command::Pain(PainCmd::Add(a)) => pain_add(store, a, now),
        Command::Knot(KnotCmd::Add(a)) => {
            let finding = Finding {
                at: a.when.at.unwrap_or(now.timestamp()),
                trigger_point: a.trigger_point,
                side: a.side,
                tenderness: a.tenderness,
                taut_band: a.taut_band,
                reproduces: a.reproduces,
                ppt_kg_cm2: a.ppt,
                session: None,
                note: a.note,
            };
            let id = record::add(store, &Record::Finding(finding), rules(now, false))?;
            added("finding", id, a.json)
        }
        Command::Treat(TreatCmd::Add(a)) => {
            let treatment = Treatment {
                at: a.when.at.unwrap_or(now.timestamp()),
                kind: a.kind,
                target: a.target,
                side: a.side,
                pressure: a.pressure,
                minutes: a.minutes,
                by: a.by,
                session: None,
                note: a.note,
            };
            let id = record::add(store, &Record::Treatment(treatment), rules(now, false))?;
            added("treatment", id, a.json)
        }
        Command::Session(SessionCmd::Add(a)) => {
            let record = read_session_file(&a.file, now)?;
            let id = record::add_session(store, &record, rules(now, false))
                .with_context(|| format!("in `{}`", a.file.display()))?;
            added("session", id, a.json)
        }
        Command::Pain(PainCmd::Edit(a)) => crate::edit::edit(store, Kind::Pain, a, now),
        Command::Pain(PainCmd::Delete(a)) => crate::edit::delete(store, Kind::Pain, a, now),
        Command::Knot(KnotCmd::Edit(a)) => crate::edit::edit(store, Kind::Finding, a, now),
        Command::Knot(KnotCmd::Delete(a)) => crate::edit::delete(store, Kind::Finding, a, now),
        Command::Treat(TreatCmd::Edit(a)) => crate::edit::edit(store, Kind::Treatment, a, now),
        Command::Treat(TreatCmd::Delete(a)) => crate::edit::delete(store, Kind::Treatment, a, now),
        Command::Session(SessionCmd::Edit(a)) => crate::edit::edit(store, Kind::Session, a, now),
        Command::Session(SessionCmd::Delete(a)) => {
            crate::edit::delete(store, Kind::Session, a, now)
        }
        Command::Run(RunCmd::Edit(a)) => crate::edit::edit(store, Kind::Run, a, now),
        Command::Run(RunCmd::Delete(a)) => crate::edit::delete(store, Kind::Run, a, now),
        Command::Checkin(CheckinCmd {
            action: Some(EditOrDelete::Edit(a)),
            ..
        }) => crate::edit::edit(store, Kind::Checkin, a, now),
        Command::Checkin(CheckinCmd {
            action: Some(EditOrDelete::Delete(a)),
            ..
        }) => crate::edit::delete(store, Kind::Checkin, a, now),
        Command::Activity(ActivityCmd::Edit(a)) => crate::edit::edit(store, Kind::Activity, a, now),
        Command::Activity(ActivityCmd::Delete(a)) => {
            crate::edit::delete(store, Kind::Activity, a, now)
        }
        Command::Run(RunCmd::Add(a)) => run_add(store, a, now),
        Command::Run(RunCmd::Pain(a)) => run_pain(store, a, now),
        Command::Import(a) => crate::import::import(store, a, now),
        Command::Shoe(cmd) => shoe(store, cmd, now),
        Command::Checkin(CheckinCmd { add: a, .. }) => {
            let checkin = Checkin {
                date: a.date.unwrap_or(now.date()),
                morning_pain: a.morning_pain,
                stiffness: a.stiffness,
                water_l: a.water_l,
                potassium: a.potassium,
                sleep_h: a.sleep_h,
                note: a.note,
            };
            let id = record::checkin(store, &checkin, rules(now, false))?;
            added("check-in", id, a.json)
        }
        Command::Profile(ProfileCmd::Show(f)) => {
            let profile = store.journal()?.profile;
            if f.json {
                return print_json("profile", &profile);
            }
            print(&match profile.leg_length_diff_mm {
                Some(mm) => format!(
                    "leg-length difference: {mm} mm{}",
                    profile
                        .longer_leg
                        .map(|s| format!(", {s} leg longer"))
                        .unwrap_or_default()
                ),
                None => "no leg-length difference recorded".into(),
            })
        }
        Command::Profile(ProfileCmd::Set(a)) => {
            if a.leg_length_diff_mm
                .is_some_and(|v| !(v.is_finite() && (0.0..=100.0).contains(&v)))
            {
                bail!(InputError("`leg_length_diff_mm`: must be 0-100 mm".into()));
            }
            let profile = Profile {
                leg_length_diff_mm: a.leg_length_diff_mm,
                longer_leg: a.longer_leg,
                note: a.note,
            };
            record::edit(
                store,
                Kind::Profile,
                1,
                &Record::Profile(profile).to_json(),
                rules(now, false),
            )?;
            print("profile saved")
        }
        Command::Log(a) => log(store, a, now),
        Command::Status(f) => status(store, f.json, now),
        Command::Report(a) => crate::report::report(&store.journal()?, &a, now),
        Command::Plan(a) => crate::report::plan(&store.journal()?, &a, now),
        Command::Export(ExportArgs {
            csv: Some(dir),
            bom,
            ..
        }) => crate::report::export_csv(&store.journal()?, &dir, bom),
        Command::Export(ExportArgs {
            wellness: Some(file),
            bom,
            ..
        }) => crate::report::export_wellness(&store.journal()?, &file, now, bom),
        Command::Export(ExportArgs {
            originals: Some(dir),
            json,
            ..
        }) => export_originals(store, &dir, json),
        Command::Export(a) => {
            let json = Export::new(store.journal()?, store.is_demo()?).to_json()?;
            match a.out {
                Some(file) => std::fs::write(&file, json)
                    .with_context(|| format!("writing `{}`", file.display())),
                None => print(&json),
            }
        }
        Command::ImportJson(a) => import_json(store, &a.file, now),
        Command::Atlas(_)
        | Command::Serve(_)
        | Command::Clinic(_)
        | Command::Share(_)
        | Command::Sync(_)
        | Command::Program(_)
        | Command::Config(_)
        | Command::Completions(_)
        | Command::Man => no_journal_needed(),
    }
}

fn no_journal_needed() -> Result<()> {
    bail!(
        "`atlas`, `serve`, `config`, `completions` and `man` are dispatched before a journal is opened"
    )
}

pub(crate) fn added(kind: &str, id: i64, json: bool) -> Result<()> {
    if json {
        return print_json("added", &serde_json::json!({ "kind": kind, "id": id }));
    }
    print(&format!("added {kind} {id}"))
}

fn find(store: &impl Store, a: FindArgs, now: &Zoned) -> Result<()> {
    let query = Query {
        regions: a.regions,
        side: a.side,
        context: a.context,
        onset_km: a.onset_km,
    };
    let answer = finder::answer(
        Atlas::shipped(),
        &query,
        &store.findings()?,
        &store.pain_reports()?,
        now.timestamp(),
        &a.red_flags,
    );
    if a.json {
        return print_json("find", &answer);
    }
    print(&answer_text(&query, &answer, a.limit))
}

fn query_words(q: &Query) -> String {
    let regions: Vec<&str> = q.regions.iter().map(|r| r.id()).collect();
    let mut s = format!("{} ({})", regions.join(" + "), q.side);
    if let Some(c) = q.context {
        s.push_str(&format!(", {c}"));
    }
    if let Some(km) = q.onset_km {
        s.push_str(&format!(
            ", starting after {}",
            units::format_distance(km.value(), crate::config::unit())
        ));
    }
    s
}

fn answer_text(q: &Query, answer: &Answer, limit: usize) -> String {
    let mut out = Vec::new();
    if let Some(w) = &answer.warning {
        out.push(format!("!! {w}"));
        for f in &answer.red_flags {
            out.push(format!("   - {} {}", f.question, f.advice));
        }
        out.push(String::new());
    }
    for c in &answer.cautions {
        out.push(format!("Note: {c}"));
    }
    out.push(format!(
        "Knots that commonly refer pain to {}:",
        query_words(q)
    ));
    if answer.candidates.is_empty() {
        out.push("  none in the atlas for these regions".into());
    }
    for c in answer.candidates.iter().take(limit) {
        out.push(format!(
            "{:>2}. {} — {} [{}]  score {:.2}",
            c.rank, c.muscle_name, c.name, c.trigger_point, c.score
        ));
        let why: Vec<&str> = c.reasons.iter().map(|r| r.text.as_str()).collect();
        out.push(wrap(&format!("why: {}", why.join("; ")), "      ", 100));
        out.push(wrap(&format!("find it: {}", c.landmark), "      ", 100));
        out.push(wrap(&format!("try: {}", c.self_treatment), "      ", 100));
        out.push(wrap(
            &format!("stretch: {}  strengthen: {}", c.stretch, c.strengthen),
            "      ",
            100,
        ));
    }
    out.push(String::new());
    out.push("Press each spot and record it: knots knot add --trigger-point ID --side SIDE --tenderness 0-10 [--reproduces]".into());
    out.push(wrap(answer.disclaimer, "", 100));
    out.join("\n")
}

fn pain_add(store: &mut impl Store, a: PainAddArgs, now: &Zoned) -> Result<()> {
    let answered = a.no_red_flags || !a.red_flags.is_empty();
    let red_flags = if answered {
        a.red_flags
    } else if std::io::stdin().is_terminal() {
        ask_red_flags()?
    } else {
        // No one to ask: stored as no red flag, and said so (a script should answer with
        // `--red-flag ID` or `--no-red-flags`).
        eprintln!(
            "knots: the red-flag questions were not asked (no terminal): stored as none; answer \
             them with --red-flag ID or --no-red-flags"
        );
        a.red_flags
    };
    let report = PainReport {
        at: a.when.at.unwrap_or(now.timestamp()),
        regions: a.regions,
        side: a.side,
        pain: a.pain,
        context: a.context,
        onset_km: a.onset_km,
        red_flags,
        note: a.note,
    };
    let id = record::add(store, &Record::Pain(report.clone()), rules(now, false))?;
    let notices: Vec<_> = report
        .red_flags
        .iter()
        .map(|f| safety::RedFlagNotice::from(*f))
        .collect();
    if let Some(w) = safety::clinician_warning(&notices) {
        eprintln!("!! {w}");
    }
    added("pain report", id, a.json)
}

fn ask_red_flags() -> Result<Vec<RedFlag>> {
    let mut yes = Vec::new();
    eprintln!("Warning-sign questions (answer y or n):");
    for flag in RedFlag::ALL {
        eprint!("  {} [y/N] ", flag.question());
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        if matches!(line.trim().to_lowercase().as_str(), "y" | "yes") {
            yes.push(*flag);
        }
    }
    Ok(yes)
}

fn run_add(store: &mut impl Store, a: RunAddArgs, now: &Zoned) -> Result<()> {
    let shoe = match &a.shoe {
        Some(name) => Some(shoe_by_name(store, name)?.id),
        None => None,
    };
    let run = Run {
        date: a.date.unwrap_or(now.date()),
        km: a.km,
        minutes: a.minutes,
        shoe,
        surface: a.surface,
        camber: a.camber,
        pain_onset_km: a.pain_onset_km,
        max_pain: a.max_pain,
        pain_next_morning: a.pain_next_morning,
        rpe: a.rpe,
        note: a.note,
    };
    let run = Record::Run(run);
    let id = match record::add(store, &run, rules(now, a.force)) {
        Err(knots_app::Error::Unusual { field, reason }) if std::io::stdin().is_terminal() => {
            eprint!("{field}: {reason}. Store it anyway? [y/N] ");
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            if !matches!(line.trim().to_lowercase().as_str(), "y" | "yes") {
                return print("nothing stored");
            }
            record::add(store, &run, rules(now, true))?
        }
        other => other?,
    };
    added("run", id, a.json)
}

fn run_pain(store: &mut impl Store, a: RunPainArgs, now: &Zoned) -> Result<()> {
    let mut patch = serde_json::Map::new();
    if let Some(km) = a.onset_km {
        patch.insert("pain_onset_km".into(), km.value().into());
    }
    if let Some(p) = a.max_pain {
        patch.insert("max_pain".into(), p.value().into());
    }
    if let Some(p) = a.next_morning {
        patch.insert("pain_next_morning".into(), p.value().into());
    }
    if patch.is_empty() {
        bail!(InputError(
            "give --onset-km, --max-pain or --pain-next-morning".into()
        ));
    }
    let change = record::edit(
        store,
        Kind::Run,
        a.run,
        &serde_json::Value::Object(patch),
        rules(now, false),
    )?;
    print(&format!(
        "marked run {} ({} on {})",
        a.run,
        units::format_distance(
            change.new["km"].as_f64().unwrap_or(0.0),
            crate::config::unit()
        ),
        change.new["date"].as_str().unwrap_or("?")
    ))
}

fn shoe_by_name(store: &impl Store, name: &str) -> Result<Entry<Shoe>> {
    let shoes = store.shoes()?;
    match shoes.iter().find(|s| s.item.name == name) {
        Some(s) => Ok(s.clone()),
        None => Err(knots_core::UnknownId::new(
            "shoe",
            name,
            shoes.iter().map(|s| s.item.name.as_str()),
        )
        .into()),
    }
}

fn shoe(store: &mut impl Store, cmd: ShoeCmd, now: &Zoned) -> Result<()> {
    match cmd {
        ShoeCmd::Edit(a) => crate::edit::edit(store, Kind::Shoe, a, now),
        ShoeCmd::Delete(a) => crate::edit::delete(store, Kind::Shoe, a, now),
        ShoeCmd::Add(a) => {
            let shoe = Shoe {
                name: a.name,
                started: a.started.unwrap_or(now.date()),
                retired: None,
                initial_km: a.initial_km,
                limit_km: a.limit_km,
            };
            let id = record::add(store, &Record::Shoe(shoe), rules(now, false))?;
            added("shoe", id, a.json)
        }
        ShoeCmd::List(f) => {
            let unit = crate::config::unit();
            let journal = store.journal()?;
            let shoes = summary::shoe_mileage(&journal);
            if f.json {
                return print_json("shoes", &serde_json::json!({ "shoes": shoes }));
            }
            if shoes.is_empty() {
                return print("no shoes yet: knots shoe add NAME");
            }
            let lines: Vec<String> = shoes
                .iter()
                .map(|s| {
                    format!(
                        "{:<24} {:>7} {unit} of {}{}{}",
                        s.shoe.name,
                        units::number(s.km / unit.km(), 1),
                        units::number(s.shoe.limit_km / unit.km(), 0),
                        if s.past_limit { "  PAST ITS LIMIT" } else { "" },
                        s.shoe
                            .retired
                            .map(|d| format!("  (retired {d})"))
                            .unwrap_or_default()
                    )
                })
                .collect();
            print(&lines.join("\n"))
        }
        ShoeCmd::Retire(a) => {
            let shoe = shoe_by_name(store, &a.name)?;
            let date = a.date.unwrap_or(now.date());
            record::edit(
                store,
                Kind::Shoe,
                shoe.id,
                &serde_json::json!({ "retired": date.to_string() }),
                rules(now, false),
            )?;
            print(&format!("retired shoe `{}`", shoe.item.name))
        }
    }
}

/// The session file: TOML or JSON (see README). Findings and treatments default to the session's
/// time; treatments default to `by = "therapist"`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionFile {
    at: Option<String>,
    therapist: Option<String>,
    #[serde(default)]
    subjective: String,
    #[serde(default)]
    objective: String,
    #[serde(default)]
    assessment: String,
    #[serde(default)]
    plan: String,
    pressure_ceiling: Nrs,
    relaxation: Option<Nrs>,
    minutes: Option<f64>,
    #[serde(default)]
    findings: Vec<SessionFinding>,
    #[serde(default)]
    treatments: Vec<SessionTreatment>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionFinding {
    trigger_point: String,
    side: Side,
    tenderness: Nrs,
    #[serde(default)]
    taut_band: bool,
    #[serde(default)]
    reproduces: bool,
    ppt_kg_cm2: Option<f64>,
    note: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionTreatment {
    kind: TreatmentKind,
    target: Option<String>,
    side: Side,
    pressure: Option<Nrs>,
    minutes: Option<f64>,
    by: Option<By>,
    note: Option<String>,
}

fn read_session_file(file: &Path, now: &Zoned) -> Result<SessionRecord> {
    // A file that is missing or unreadable is input to fix (exit 2), like one that does not parse.
    let text = std::fs::read_to_string(file)
        .map_err(|e| InputError(format!("reading `{}`: {e}", file.display())))?;
    let is_json = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let parsed: SessionFile = if is_json {
        serde_json::from_str(&text).map_err(|e| InputError(format!("`{}`: {e}", file.display())))?
    } else {
        toml::from_str(&text).map_err(|e| InputError(format!("`{}`: {e}", file.display())))?
    };
    let at = match &parsed.at {
        Some(s) => crate::args::timestamp(s)
            .map_err(|e| InputError(format!("`{}`: `at`: {e}", file.display())))?,
        None => now.timestamp(),
    };
    Ok(SessionRecord {
        session: Session {
            at,
            therapist: parsed.therapist,
            subjective: parsed.subjective,
            objective: parsed.objective,
            assessment: parsed.assessment,
            plan: parsed.plan,
            pressure_ceiling: parsed.pressure_ceiling,
            relaxation: parsed.relaxation,
            minutes: parsed.minutes,
        },
        findings: parsed
            .findings
            .into_iter()
            .map(|f| Finding {
                at,
                trigger_point: TriggerPointId(f.trigger_point),
                side: f.side,
                tenderness: f.tenderness,
                taut_band: f.taut_band,
                reproduces: f.reproduces,
                ppt_kg_cm2: f.ppt_kg_cm2,
                session: None,
                note: f.note,
            })
            .collect(),
        treatments: parsed
            .treatments
            .into_iter()
            .map(|t| Treatment {
                at,
                kind: t.kind,
                target: t.target,
                side: t.side,
                pressure: t.pressure,
                minutes: t.minutes,
                by: t.by.unwrap_or(By::Therapist),
                session: None,
                note: t.note,
            })
            .collect(),
    })
}

/// `knots export --originals DIR`.
fn export_originals(store: &impl Store, dir: &Path, json: bool) -> Result<()> {
    let written = knots_app::originals::export(store, dir)?;
    if json {
        return print_json(
            "export_originals",
            &serde_json::json!({ "dir": dir.display().to_string(), "files": written }),
        );
    }
    let bytes: u64 = written.iter().map(|w| w.bytes).sum();
    print(&format!(
        "wrote {} original file{} ({bytes} bytes) to {}",
        written.len(),
        if written.len() == 1 { "" } else { "s" },
        dir.display()
    ))
}

fn import_json(store: &mut impl Store, file: &Path, now: &Zoned) -> Result<()> {
    // A file that is missing or unreadable is input to fix (exit 2), like one that does not parse.
    let text = std::fs::read_to_string(file)
        .map_err(|e| InputError(format!("reading `{}`: {e}", file.display())))?;
    let export =
        Export::parse(&text).map_err(|e| InputError(format!("`{}`: {e}", file.display())))?;
    export
        .journal
        .validate(Atlas::shipped(), now_of(now))
        .with_context(|| format!("`{}` was not imported", file.display()))?;
    if !store.is_empty()? {
        bail!(InputError(
            "the journal is not empty: import-json restores an export into an empty journal (use a new --db)".into()
        ));
    }
    store.replace_all(&export.journal, export.demo)?;
    let j = &export.journal;
    print(&format!(
        "imported {} runs, {} pain reports, {} findings, {} treatments, {} reactions, {} sessions, {} shoes, {} check-ins{}",
        j.runs.len(),
        j.pain_reports.len(),
        j.findings.len(),
        j.treatments.len(),
        j.reactions.len(),
        j.sessions.len(),
        j.shoes.len(),
        j.checkins.len(),
        if j.activities.is_empty() {
            String::new()
        } else {
            format!(
                ", {} activities (without their original files: a JSON export does not carry them)",
                j.activities.len()
            )
        }
    ))
}

fn log(store: &impl Store, a: LogArgs, now: &Zoned) -> Result<()> {
    if a.changes {
        return crate::edit::changes(&store.changes()?, a.json);
    }
    let unit = if a.json {
        Unit::Km
    } else {
        crate::config::unit()
    };
    let mut lines = summary::timeline_in(&store.journal()?, now.time_zone(), unit);
    if let Some(n) = a.limit {
        let skip = lines.len().saturating_sub(n);
        lines.drain(..skip);
    }
    if a.json {
        return print_json("log", &serde_json::json!({ "entries": lines }));
    }
    if lines.is_empty() {
        return print("the journal is empty: start with `knots find` or `knots pain add`");
    }
    let text: Vec<String> = lines
        .iter()
        .map(|l| {
            format!(
                "{:<16}  {:<9} {:>5}  {}",
                l.when,
                l.kind,
                format!("#{}", l.id),
                l.summary
            )
        })
        .collect();
    print(&text.join("\n"))
}

fn status(store: &impl Store, json: bool, now: &Zoned) -> Result<()> {
    let s = summary::status(&store.journal()?, now);
    if json {
        return print_json("status", &s);
    }
    print(&status_text(&s, now))
}

fn status_text(s: &Status, now: &Zoned) -> String {
    let unit = crate::config::unit();
    let dist = |km: f64| units::format_distance(km, unit);
    let mut out = Vec::new();
    if let Some(w) = &s.warning {
        out.push(format!("!! {w}"));
    }
    match &s.latest_pain {
        Some(p) => {
            let regions: Vec<&str> = p.item.regions.iter().map(|r| r.id()).collect();
            out.push(format!(
                "Latest pain: {} {} {} ({}){} on {}",
                p.item.side,
                regions.join("+"),
                p.item.pain,
                p.item.context,
                p.item
                    .onset_km
                    .map(|k| format!(", from {}", dist(k.value())))
                    .unwrap_or_default(),
                p.item.at.to_zoned(now.time_zone().clone()).date()
            ));
        }
        None => out.push("No pain reported.".into()),
    }
    if !s.knots.is_empty() {
        out.push("Knots (tenderness over time, latest last):".into());
        for k in &s.knots {
            let series: Vec<String> = k.points.iter().map(|p| p.tenderness.to_string()).collect();
            let active = k.latest().is_some_and(|p| p.reproduces);
            out.push(format!(
                "  {:<34} {:<5} {}{}",
                k.trigger_point.as_str(),
                k.side.as_str(),
                series.join(" → "),
                if active {
                    "  (reproduces the symptom)"
                } else {
                    ""
                }
            ));
        }
    }
    out.push(format!(
        "Last 28 days: {} runs, {}",
        s.runs_28d,
        dist(s.km_28d)
    ));
    match &s.longest_pain_free_run {
        Some(r) => out.push(format!(
            "Longest pain-free run{}: {} on {}",
            s.pain_since
                .map(|d| format!(" since the pain began ({d})"))
                .unwrap_or_default(),
            dist(r.item.km.value()),
            r.item.date
        )),
        None => out.push("No pain-free run recorded yet.".into()),
    }
    for shoe in &s.shoes {
        if shoe.shoe.retired.is_none() {
            out.push(format!(
                "Shoe {}: {} of {} {unit}{}",
                shoe.shoe.name,
                units::number(shoe.km / unit.km(), 0),
                units::number(shoe.shoe.limit_km / unit.km(), 0),
                if shoe.past_limit {
                    " — past its limit"
                } else {
                    ""
                }
            ));
        }
    }
    let c = &s.counts;
    out.push(format!(
        "Journal: {} pain reports, {} findings, {} treatments, {} sessions, {} runs, {} check-ins",
        c.pain_reports, c.findings, c.treatments, c.sessions, c.runs, c.checkins
    ));
    out.join("\n")
}

fn demo_cmd(store: &mut impl Store, path: &Path, now: &Zoned) -> Result<()> {
    if !store.is_empty()? && !store.is_demo()? {
        bail!(InputError(format!(
            "refusing to overwrite `{}`: it holds a journal that is not a demo one (use another --db)",
            path.display()
        )));
    }
    let journal = demo::journal(now.date(), now.time_zone().clone());
    store.replace_all(&journal, true)?;
    print(&demo_tour(&journal, path, now))
}

fn demo_tour(j: &Journal, path: &Path, now: &Zoned) -> String {
    let atlas = Atlas::shipped();
    let tz = now.time_zone().clone();
    let mut out = vec![format!(
        "Demo journal written to {} ({} runs, {} pain reports, {} findings, {} treatments, {} sessions).",
        path.display(),
        j.runs.len(),
        j.pain_reports.len(),
        j.findings.len(),
        j.treatments.len(),
        j.sessions.len()
    )];
    if let Some(first) = j.pain_reports.first() {
        out.push(format!(
            "\n1. The pain ({}): left outer knee, {} during runs, starting after {}.",
            first.item.at.to_zoned(tz.clone()).date(),
            first.item.pain,
            units::format_distance(
                first.item.onset_km.unwrap_or(Km::ZERO).value(),
                crate::config::unit()
            )
        ));
    }
    let query = Query {
        regions: Region::parse("lateral_knee").into_iter().collect(),
        side: Side::Left,
        context: Some(Context::DuringRun),
        onset_km: first_onset(j),
    };
    let top = |findings: &[Entry<Finding>]| -> Vec<String> {
        finder::rank(atlas, &query, findings)
            .iter()
            .take(5)
            .map(|c| {
                format!(
                    "   {}. {} ({}) score {:.2}",
                    c.rank, c.muscle_name, c.trigger_point, c.score
                )
            })
            .collect()
    };
    // Every command shown is a whole command line that works on this journal (a test runs them).
    let knots = format!("knots --db {}", shell_word(&path.display().to_string()));
    out.push("\n2. The finder before any palpation:".into());
    out.push(format!(
        "   $ {knots} find --region lateral_knee --side left --context during_run"
    ));
    out.extend(top(&[]));
    if let Some(session) = j.sessions.first() {
        let found: Vec<Entry<Finding>> = j
            .findings
            .iter()
            .filter(|f| f.item.session == Some(session.id))
            .cloned()
            .collect();
        out.push(format!(
            "\n3. After the deep-tissue session of {} (pressure ceiling {}, relaxation {}): the mother knot reproduces the pain",
            session.item.at.to_zoned(tz.clone()).date(),
            session.item.pressure_ceiling,
            session.item.relaxation.map(|r| r.to_string()).unwrap_or_else(|| "-".into())
        ));
        out.extend(top(&found));
    }
    out.push("\n4. The knots over time (tenderness, oldest first):".into());
    for k in summary::knots_over_time(j) {
        let series: Vec<String> = k.points.iter().map(|p| p.tenderness.to_string()).collect();
        out.push(format!(
            "   {:<28} {}",
            k.trigger_point.as_str(),
            series.join(" → ")
        ));
    }
    let since = summary::first_pain_date(j, &tz);
    if let Some(r) = summary::longest_pain_free_run(&j.runs, since) {
        out.push(format!(
            "\n5. Longest pain-free run since the pain began: {} on {}.",
            units::format_distance(r.item.km.value(), crate::config::unit()),
            r.item.date
        ));
    }
    out.push("\nNext:".into());
    for command in ["status", "log --limit 10", "report", "plan"] {
        out.push(format!("   $ {knots} {command}"));
    }
    out.push(wrap(safety::DISCLAIMER, "", 100));
    out.join("\n")
}

/// `s` quoted for a POSIX shell when it holds anything but plain path characters.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:,=@%".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn first_onset(j: &Journal) -> Option<Km> {
    j.pain_reports.first().and_then(|p| p.item.onset_km)
}

fn atlas(cmd: AtlasCmd) -> Result<()> {
    match cmd {
        AtlasCmd::Check(a) => atlas_check(a.dir.as_deref()),
        AtlasCmd::List(f) => {
            let atlas = Atlas::shipped();
            if f.json {
                return print_json(
                    "atlas",
                    &serde_json::json!({
                        "muscles": atlas.muscles(),
                        "trigger_points": atlas.trigger_points(),
                    }),
                );
            }
            let mut out = Vec::new();
            for m in atlas.muscles() {
                out.push(format!("{} ({})", m.name, m.id));
                for tp in atlas.trigger_points_of(&m.id) {
                    let primary: Vec<&str> = tp.primary.iter().map(|r| r.id()).collect();
                    out.push(format!(
                        "  {:<34} refers to {}",
                        tp.id.as_str(),
                        primary.join(", ")
                    ));
                }
            }
            print(&out.join("\n"))
        }
        AtlasCmd::Show(a) => {
            let atlas = Atlas::shipped();
            let points: Vec<_> = match atlas.trigger_point(&a.id) {
                Ok(tp) => vec![tp],
                Err(tp_err) => match atlas.muscle(&a.id) {
                    Ok(m) => atlas.trigger_points_of(&m.id).collect(),
                    Err(_) => return Err(tp_err.into()),
                },
            };
            if a.json {
                return print_json(
                    "atlas_show",
                    &serde_json::json!({ "trigger_points": points }),
                );
            }
            let mut out = Vec::new();
            for tp in points {
                let ids = |rs: &[Region]| rs.iter().map(|r| r.id()).collect::<Vec<_>>().join(", ");
                out.push(format!("{} — {} [{}]", tp.muscle, tp.name, tp.id));
                out.push(wrap(&format!("find it: {}", tp.landmark), "  ", 100));
                out.push(format!("  refers to: {}", ids(&tp.primary)));
                if !tp.spillover.is_empty() {
                    out.push(format!("  spill-over: {}", ids(&tp.spillover)));
                }
                out.push(wrap(
                    &format!("self-treatment: {}", tp.self_treatment),
                    "  ",
                    100,
                ));
                out.push(wrap(&format!("stretch: {}", tp.stretch), "  ", 100));
                out.push(wrap(&format!("strengthen: {}", tp.strengthen), "  ", 100));
                out.push(format!("  sources: {}", tp.sources.join(", ")));
            }
            out.push(wrap(safety::DISCLAIMER, "", 100));
            print(&out.join("\n"))
        }
    }
}

fn atlas_check(dir: Option<&Path>) -> Result<()> {
    let owned: Vec<(String, String)> = match dir {
        None => SHIPPED_FILES
            .iter()
            .map(|(n, t)| ((*n).to_string(), (*t).to_string()))
            .collect(),
        Some(dir) => {
            let mut files = Vec::new();
            for entry in
                std::fs::read_dir(dir).with_context(|| format!("reading `{}`", dir.display()))?
            {
                let path = entry?.path();
                if path.extension().is_some_and(|e| e == "toml") {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading `{}`", path.display()))?;
                    files.push((path.display().to_string(), text));
                }
            }
            files.sort();
            if files.is_empty() {
                bail!(InputError(format!("no .toml files in `{}`", dir.display())));
            }
            files
        }
    };
    let files: Vec<(&str, &str)> = owned
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    match Atlas::parse(&files) {
        Ok(atlas) => print(&format!(
            "atlas ok: {} muscles, {} trigger points in {} files",
            atlas.muscles().len(),
            atlas.trigger_points().len(),
            files.len()
        )),
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            bail!(InputError(format!(
                "the atlas has {} fault(s)",
                errors.len()
            )))
        }
    }
}
