//! The PostgreSQL back end (cargo feature `postgres`), for a clinic's shared server: the same
//! [`Store`] trait as [`crate::SqliteStore`], its own SQL, migrations applied on open, one
//! transaction per call.
//!
//! Writers take one transaction-scoped advisory lock, so two clients writing at once are
//! serialised as SQLite's `BEGIN IMMEDIATE` serialises them (the duplicate check of `import_file`
//! stays correct). Reads run in one `REPEATABLE READ` read-only transaction, so `journal()` is a
//! single snapshot. Instants and dates are stored as the same RFC 3339 / ISO 8601 text SQLite
//! holds, so values read back equal to what was written; floats are `DOUBLE PRECISION`.

use crate::shared::{TABLES, decode_stream, encode_stream, same_activity};
use crate::{DUPLICATE_WINDOW_S, Error, ImportItem, Imported, Result, Store};
use knots_core::journal::{
    Activity, Checkin, Entry, Finding, Journal, PainReport, Profile, Run, Session, SessionRecord,
    Shoe, Treatment,
};
use knots_core::{Km, Nrs, TriggerPointId};
use postgres::config::Host;
use postgres::types::{FromSql, ToSql};
use postgres::{Client, Config, IsolationLevel, NoTls, Row, Transaction};
use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The migrations, in order; a migration's version is its position counted from 1. The file names
/// mirror `migrations/sqlite/`: a schema change adds a file to both folders.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "20261125_0001_init",
        include_str!("../migrations/postgres/20261125_0001_init.sql"),
    ),
    (
        "20261125_0002_activities",
        include_str!("../migrations/postgres/20261125_0002_activities.sql"),
    ),
];

/// The advisory lock every write (and the migration run) holds until it commits: "knots" in ASCII.
const WRITE_LOCK: i64 = 0x6b_6e6f_7473;

/// A journal in a PostgreSQL database.
///
/// Its `Debug` form shows the server and database, never the password.
pub struct PostgresStore {
    // Reads take `&self` but a client needs `&mut`; the mutex also keeps the store `Sync`.
    client: Mutex<Client>,
    /// The connection URL with the password replaced, for messages.
    shown: String,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/dbname`, or the
    /// `key=value` form) and brings its schema up to date. The database must exist.
    ///
    /// The connection is not encrypted (`NoTls`): use a local server, a private network or a
    /// tunnel.
    ///
    /// # Errors
    /// [`Error::Open`] when the URL is not valid or the server cannot be reached or refuses the
    /// login, [`Error::Corrupt`] when the database holds another program's `schema_migrations` or
    /// was migrated by a newer knots.
    pub fn open(url: &str) -> Result<PostgresStore> {
        let shown = redact(url);
        let open_err = |message: String| Error::Open {
            path: shown.clone(),
            message,
        };
        let config = Config::from_str(url).map_err(|e| open_err(e.to_string()))?;
        let mut client = config.connect(NoTls).map_err(|e| open_err(e.to_string()))?;
        migrate(&mut client).map_err(|e| match e {
            // Tables or columns not as the migrations made them (42501, no privilege, is not that).
            Fault::Pg(pg)
                if pg
                    .code()
                    .is_some_and(|c| c.code().starts_with("42") && c.code() != "42501") =>
            {
                Error::Corrupt {
                    path: shown.clone(),
                    message: format!("not a knots database: {}", message(&pg)),
                }
            }
            other => classify(&shown, other),
        })?;
        Ok(PostgresStore {
            client: Mutex::new(client),
            shown,
        })
    }

    fn client(&self) -> MutexGuard<'_, Client> {
        // A panic while the lock was held left at most an unfinished transaction, which the
        // client rolls back before its next statement.
        self.client.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn write<T>(&self, f: impl FnOnce(&mut Transaction<'_>) -> Res<T>) -> Result<T> {
        let mut client = self.client();
        let run = |client: &mut Client| -> Res<T> {
            let mut tx = client.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
            let out = f(&mut tx)?;
            tx.commit()?;
            Ok(out)
        };
        run(&mut client).map_err(|e| classify(&self.shown, e))
    }

    fn read<T>(&self, f: impl FnOnce(&mut Transaction<'_>) -> Res<T>) -> Result<T> {
        let mut client = self.client();
        let run = |client: &mut Client| -> Res<T> {
            let mut tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?;
            let out = f(&mut tx)?;
            tx.commit()?;
            Ok(out)
        };
        run(&mut client).map_err(|e| classify(&self.shown, e))
    }
}

/// The URL as it may be shown: parsed, then written back without the password. A URL that does
/// not parse is not shown at all (it could be mostly password).
fn redact(url: &str) -> String {
    let Ok(config) = Config::from_str(url) else {
        return "(an invalid PostgreSQL URL)".into();
    };
    let mut out = String::from("postgres://");
    if let Some(user) = config.get_user() {
        out.push_str(user);
        if config.get_password().is_some() {
            out.push_str(":***");
        }
        out.push('@');
    }
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let name = match host {
                Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                Host::Unix(dir) => dir.display().to_string(),
            };
            match ports.get(i).or(ports.first()) {
                Some(port) => format!("{name}:{port}"),
                None => name,
            }
        })
        .collect();
    out.push_str(&hosts.join(","));
    if let Some(db) = config.get_dbname() {
        out.push('/');
        out.push_str(db);
    }
    out
}

/// Why a call failed, before it is named for the caller by [`classify`].
#[derive(Debug)]
enum Fault {
    Pg(postgres::Error),
    /// A stored value that is not what the column should hold.
    Bad {
        column: &'static str,
        message: String,
    },
    /// The database is not (this version of) a knots journal.
    Schema(String),
    /// A value could not be encoded.
    Encode(String),
}

type Res<T> = std::result::Result<T, Fault>;

impl From<postgres::Error> for Fault {
    fn from(e: postgres::Error) -> Fault {
        Fault::Pg(e)
    }
}

/// The server's message (with its detail), or the client's.
fn message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_string(),
        },
        None => e.to_string(),
    }
}

fn classify(shown: &str, fault: Fault) -> Error {
    let corrupt = |message: String| Error::Corrupt {
        path: shown.into(),
        message,
    };
    match fault {
        Fault::Bad { column, message } => corrupt(format!("column `{column}`: {message}")),
        Fault::Schema(message) => corrupt(message),
        Fault::Encode(message) => Error::Backend(message),
        Fault::Pg(e) => {
            let text = message(&e);
            let Some(code) = e.code().map(|c| c.code()) else {
                return if e.is_closed() {
                    Error::Open {
                        path: shown.into(),
                        message: format!("the connection to the server was lost: {text}"),
                    }
                } else {
                    Error::Backend(text)
                };
            };
            match code {
                // Integrity constraint violations: unique, foreign key, check, not null.
                c if c.starts_with("23") => Error::Conflict(text),
                // Connection exceptions, refused logins, a missing database, no privilege on it,
                // a server going down.
                c if c.starts_with("08")
                    || c == "42501"
                    || c.starts_with("28")
                    || c.starts_with("3D")
                    || c.starts_with("57P") =>
                {
                    Error::Open {
                        path: shown.into(),
                        message: text,
                    }
                }
                "XX001" | "XX002" => corrupt(text),
                _ => Error::Backend(text),
            }
        }
    }
}

/// Applies the migrations not yet recorded in `schema_migrations`, all in one transaction under
/// the write lock (two clients opening a new database at once do not race).
fn migrate(client: &mut Client) -> Res<()> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
         version BIGINT PRIMARY KEY, \
         name TEXT NOT NULL, \
         applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )?;
    let applied = tx.query(
        "SELECT version, name FROM schema_migrations ORDER BY version",
        &[],
    )?;
    for (i, row) in applied.iter().enumerate() {
        let version: i64 = get(row, "version")?;
        let name: &str = get(row, "name")?;
        match MIGRATIONS.get(i) {
            Some((known, _)) if *known == name && usize::try_from(version) == Ok(i + 1) => {}
            Some(_) => {
                return Err(Fault::Schema(format!(
                    "`schema_migrations` lists `{name}` as version {version}, which this knots does \
                     not know: not a knots database"
                )));
            }
            None => {
                return Err(Fault::Schema(format!(
                    "the schema is at version {version}, newer than this knots knows ({}): \
                     update knots",
                    MIGRATIONS.len()
                )));
            }
        }
    }
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(applied.len()) {
        tx.batch_execute(sql)?;
        let version = i64::try_from(i + 1).map_err(|e| Fault::Encode(e.to_string()))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[&version, name],
        )?;
    }
    tx.commit()?;
    Ok(())
}

fn bad(column: &'static str, message: impl ToString) -> Fault {
    Fault::Bad {
        column,
        message: message.to_string(),
    }
}

fn get<'a, T: FromSql<'a>>(row: &'a Row, column: &'static str) -> Res<T> {
    row.try_get(column).map_err(|e| bad(column, e))
}

fn parsed<T: FromStr>(row: &Row, column: &'static str) -> Res<T>
where
    T::Err: ToString,
{
    let text: &str = get(row, column)?;
    text.parse().map_err(|e: T::Err| bad(column, e))
}

fn parsed_opt<T: FromStr>(row: &Row, column: &'static str) -> Res<Option<T>>
where
    T::Err: ToString,
{
    let text: Option<&str> = get(row, column)?;
    text.map(|t| t.parse().map_err(|e: T::Err| bad(column, e)))
        .transpose()
}

fn nrs_opt(row: &Row, column: &'static str) -> Res<Option<Nrs>> {
    let Some(v) = get::<Option<i32>>(row, column)? else {
        return Ok(None);
    };
    u8::try_from(v)
        .ok()
        .and_then(|v| Nrs::new(v).ok())
        .map(Some)
        .ok_or_else(|| bad(column, format!("{v} is not 0-10")))
}

fn nrs(row: &Row, column: &'static str) -> Res<Nrs> {
    nrs_opt(row, column)?.ok_or_else(|| bad(column, "missing"))
}

fn km_opt(row: &Row, column: &'static str) -> Res<Option<Km>> {
    get::<Option<f64>>(row, column)?
        .map(|v| Km::new(v).map_err(|e| bad(column, e)))
        .transpose()
}

fn km(row: &Row, column: &'static str) -> Res<Km> {
    km_opt(row, column)?.ok_or_else(|| bad(column, "missing"))
}

fn json<T: serde::de::DeserializeOwned>(row: &Row, column: &'static str) -> Res<T> {
    let text: &str = get(row, column)?;
    serde_json::from_str(text).map_err(|e| bad(column, e))
}

fn to_json<T: serde::Serialize>(v: &T) -> Res<String> {
    serde_json::to_string(v).map_err(|e| Fault::Encode(e.to_string()))
}

fn text<T: ToString>(v: Option<T>) -> Option<String> {
    v.map(|v| v.to_string())
}

fn num(v: Option<Nrs>) -> Option<i32> {
    v.map(|v| i32::from(v.value()))
}

fn dist(v: Option<Km>) -> Option<f64> {
    v.map(Km::value)
}

const SHOES: &str =
    "SELECT id, name, started, retired, initial_km, limit_km FROM shoes ORDER BY id";
const RUNS: &str = "SELECT id, date, km, minutes, shoe_id, surface, camber, pain_onset_km, max_pain, \
    pain_next_morning, rpe, note FROM runs ORDER BY id";
const PAIN: &str = "SELECT id, at, regions, side, pain, context, onset_km, red_flags, note FROM pain_reports ORDER BY id";
const SESSIONS: &str = "SELECT id, at, therapist, subjective, objective, assessment, plan, \
    pressure_ceiling, relaxation, minutes FROM sessions ORDER BY id";
const FINDINGS: &str = "SELECT id, at, trigger_point, side, tenderness, taut_band, reproduces, \
    ppt_kg_cm2, session_id, note FROM findings ORDER BY id";
const TREATMENTS: &str = "SELECT id, at, kind, target, side, pressure, minutes, given_by, session_id, \
    note FROM treatments ORDER BY id";
const ACTIVITIES: &str = "SELECT id, run_id, sport, start, utc_offset_s, source, name, distance_m, \
    elapsed_s, timer_s, ascent_m, avg_hr, max_hr, avg_cadence, max_cadence, laps, stream FROM activities \
    ORDER BY id";
const CHECKINS: &str = "SELECT id, date, morning_pain, stiffness, water_l, potassium, sleep_h, note \
    FROM checkins ORDER BY id";

fn rows<T>(tx: &mut Transaction<'_>, sql: &str, map: fn(&Row) -> Res<T>) -> Res<Vec<T>> {
    tx.query(sql, &[])?.iter().map(map).collect()
}

fn shoe_row(r: &Row) -> Res<Entry<Shoe>> {
    Ok(Entry {
        id: get(r, "id")?,
        item: Shoe {
            name: get(r, "name")?,
            started: parsed(r, "started")?,
            retired: parsed_opt(r, "retired")?,
            initial_km: get(r, "initial_km")?,
            limit_km: get(r, "limit_km")?,
        },
    })
}

fn run_row(r: &Row) -> Res<Entry<Run>> {
    Ok(Entry {
        id: get(r, "id")?,
        item: Run {
            date: parsed(r, "date")?,
            km: km(r, "km")?,
            minutes: get(r, "minutes")?,
            shoe: get(r, "shoe_id")?,
            surface: parsed_opt(r, "surface")?,
            camber: parsed(r, "camber")?,
            pain_onset_km: km_opt(r, "pain_onset_km")?,
            max_pain: nrs_opt(r, "max_pain")?,
            pain_next_morning: nrs_opt(r, "pain_next_morning")?,
            rpe: nrs_opt(r, "rpe")?,
            note: get(r, "note")?,
        },
    })
}

fn pain_row(r: &Row) -> Res<Entry<PainReport>> {
    Ok(Entry {
        id: get(r, "id")?,
        item: PainReport {
            at: parsed(r, "at")?,
            regions: json(r, "regions")?,
            side: parsed(r, "side")?,
            pain: nrs(r, "pain")?,
            context: parsed(r, "context")?,
            onset_km: km_opt(r, "onset_km")?,
            red_flags: json(r, "red_flags")?,
            note: get(r, "note")?,
        },
    })
}

fn session_row(r: &Row) -> Res<Entry<Session>> {
    Ok(Entry {
        id: get(r, "id")?,
        item: Session {
            at: parsed(r, "at")?,
            therapist: get(r, "therapist")?,
            subjective: get(r, "subjective")?,
            objective: get(r, "objective")?,
            assessment: get(r, "assessment")?,
            plan: get(r, "plan")?,
            pressure_ceiling: nrs(r, "pressure_ceiling")?,
            relaxation: nrs_opt(r, "relaxation")?,
            minutes: get(r, "minutes")?,
        },
    })
}

fn finding_row(r: &Row) -> Res<Entry<Finding>> {
    Ok(Entry {
        id: get(r, "id")?,
        item: Finding {
            at: parsed(r, "at")?,
            trigger_point: TriggerPointId(get(r, "trigger_point")?),
            side: parsed(r, "side")?,
            tenderness: nrs(r, "tenderness")?,
            taut_band: get(r, "taut_band")?,
            reproduces: get(r, "reproduces")?,
            ppt_kg_cm2: get(r, "ppt_kg_cm2")?,
            session: get(r, "session_id")?,
            note: get(r, "note")?,
        },
    })
}

fn treatment_row(r: &Row) -> Res<Entry<Treatment>> {
    Ok(Entry {
        id: get(r, "id")?,
        item: Treatment {
            at: parsed(r, "at")?,
            kind: parsed(r, "kind")?,
            target: get(r, "target")?,
            side: parsed(r, "side")?,
            pressure: nrs_opt(r, "pressure")?,
            minutes: get(r, "minutes")?,
            by: parsed(r, "given_by")?,
            session: get(r, "session_id")?,
            note: get(r, "note")?,
        },
    })
}

fn checkin_row(r: &Row) -> Res<Entry<Checkin>> {
    Ok(Entry {
        id: get(r, "id")?,
        item: Checkin {
            date: parsed(r, "date")?,
            morning_pain: nrs_opt(r, "morning_pain")?,
            stiffness: nrs_opt(r, "stiffness")?,
            water_l: get(r, "water_l")?,
            potassium: get(r, "potassium")?,
            sleep_h: get(r, "sleep_h")?,
            note: get(r, "note")?,
        },
    })
}

fn activity_row(r: &Row) -> Res<Entry<Activity>> {
    let laps: i64 = get(r, "laps")?;
    let stream: &[u8] = get(r, "stream")?;
    Ok(Entry {
        id: get(r, "id")?,
        item: Activity {
            run: get(r, "run_id")?,
            sport: get(r, "sport")?,
            start: parsed(r, "start")?,
            utc_offset_s: get(r, "utc_offset_s")?,
            source: get(r, "source")?,
            name: get(r, "name")?,
            distance_m: get(r, "distance_m")?,
            elapsed_s: get(r, "elapsed_s")?,
            timer_s: get(r, "timer_s")?,
            ascent_m: get(r, "ascent_m")?,
            avg_hr: get(r, "avg_hr")?,
            max_hr: get(r, "max_hr")?,
            avg_cadence: get(r, "avg_cadence")?,
            max_cadence: get(r, "max_cadence")?,
            laps: u32::try_from(laps).map_err(|e| bad("laps", e))?,
            stream: decode_stream(stream).map_err(|e| bad("stream", e))?,
        },
    })
}

/// Inserts one row and returns its id: `id` when given (`replace_all` keeps ids), else the next
/// of the table's identity sequence.
fn insert(
    tx: &mut Transaction<'_>,
    table: &str,
    id: Option<i64>,
    columns: &[&str],
    values: &[&(dyn ToSql + Sync)],
) -> Res<i64> {
    let mut names: Vec<&str> = Vec::with_capacity(columns.len() + 1);
    let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(values.len() + 1);
    if let Some(id) = &id {
        names.push("id");
        params.push(id);
    }
    names.extend_from_slice(columns);
    params.extend_from_slice(values);
    let placeholders: Vec<String> = (1..=params.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES ({}) RETURNING id",
        names.join(", "),
        placeholders.join(", ")
    );
    let row = tx.query_one(&sql, &params)?;
    get(&row, "id")
}

fn insert_shoe(tx: &mut Transaction<'_>, id: Option<i64>, s: &Shoe) -> Res<i64> {
    insert(
        tx,
        "shoes",
        id,
        &["name", "started", "retired", "initial_km", "limit_km"],
        &[
            &s.name,
            &s.started.to_string(),
            &text(s.retired),
            &s.initial_km,
            &s.limit_km,
        ],
    )
}

fn insert_run(tx: &mut Transaction<'_>, id: Option<i64>, r: &Run) -> Res<i64> {
    insert(
        tx,
        "runs",
        id,
        &[
            "date",
            "km",
            "minutes",
            "shoe_id",
            "surface",
            "camber",
            "pain_onset_km",
            "max_pain",
            "pain_next_morning",
            "rpe",
            "note",
        ],
        &[
            &r.date.to_string(),
            &r.km.value(),
            &r.minutes,
            &r.shoe,
            &text(r.surface),
            &r.camber.as_str(),
            &dist(r.pain_onset_km),
            &num(r.max_pain),
            &num(r.pain_next_morning),
            &num(r.rpe),
            &r.note,
        ],
    )
}

fn insert_pain(tx: &mut Transaction<'_>, id: Option<i64>, p: &PainReport) -> Res<i64> {
    insert(
        tx,
        "pain_reports",
        id,
        &[
            "at",
            "regions",
            "side",
            "pain",
            "context",
            "onset_km",
            "red_flags",
            "note",
        ],
        &[
            &p.at.to_string(),
            &to_json(&p.regions)?,
            &p.side.as_str(),
            &i32::from(p.pain.value()),
            &p.context.as_str(),
            &dist(p.onset_km),
            &to_json(&p.red_flags)?,
            &p.note,
        ],
    )
}

fn insert_session(tx: &mut Transaction<'_>, id: Option<i64>, s: &Session) -> Res<i64> {
    insert(
        tx,
        "sessions",
        id,
        &[
            "at",
            "therapist",
            "subjective",
            "objective",
            "assessment",
            "plan",
            "pressure_ceiling",
            "relaxation",
            "minutes",
        ],
        &[
            &s.at.to_string(),
            &s.therapist,
            &s.subjective,
            &s.objective,
            &s.assessment,
            &s.plan,
            &i32::from(s.pressure_ceiling.value()),
            &num(s.relaxation),
            &s.minutes,
        ],
    )
}

fn insert_finding(tx: &mut Transaction<'_>, id: Option<i64>, f: &Finding) -> Res<i64> {
    insert(
        tx,
        "findings",
        id,
        &[
            "at",
            "trigger_point",
            "side",
            "tenderness",
            "taut_band",
            "reproduces",
            "ppt_kg_cm2",
            "session_id",
            "note",
        ],
        &[
            &f.at.to_string(),
            &f.trigger_point.as_str(),
            &f.side.as_str(),
            &i32::from(f.tenderness.value()),
            &f.taut_band,
            &f.reproduces,
            &f.ppt_kg_cm2,
            &f.session,
            &f.note,
        ],
    )
}

fn insert_treatment(tx: &mut Transaction<'_>, id: Option<i64>, t: &Treatment) -> Res<i64> {
    insert(
        tx,
        "treatments",
        id,
        &[
            "at",
            "kind",
            "target",
            "side",
            "pressure",
            "minutes",
            "given_by",
            "session_id",
            "note",
        ],
        &[
            &t.at.to_string(),
            &t.kind.as_str(),
            &t.target,
            &t.side.as_str(),
            &num(t.pressure),
            &t.minutes,
            &t.by.as_str(),
            &t.session,
            &t.note,
        ],
    )
}

fn insert_checkin(tx: &mut Transaction<'_>, id: Option<i64>, c: &Checkin) -> Res<i64> {
    insert(
        tx,
        "checkins",
        id,
        &[
            "date",
            "morning_pain",
            "stiffness",
            "water_l",
            "potassium",
            "sleep_h",
            "note",
        ],
        &[
            &c.date.to_string(),
            &num(c.morning_pain),
            &num(c.stiffness),
            &c.water_l,
            &c.potassium,
            &c.sleep_h,
            &c.note,
        ],
    )
}

fn insert_activity(tx: &mut Transaction<'_>, id: Option<i64>, a: &Activity) -> Res<i64> {
    insert(
        tx,
        "activities",
        id,
        &[
            "run_id",
            "sport",
            "start",
            "start_s",
            "utc_offset_s",
            "source",
            "name",
            "distance_m",
            "elapsed_s",
            "timer_s",
            "ascent_m",
            "avg_hr",
            "max_hr",
            "avg_cadence",
            "max_cadence",
            "laps",
            "stream",
        ],
        &[
            &a.run,
            &a.sport,
            &a.start.to_string(),
            &a.start.as_second(),
            &a.utc_offset_s,
            &a.source,
            &a.name,
            &a.distance_m,
            &a.elapsed_s,
            &a.timer_s,
            &a.ascent_m,
            &a.avg_hr,
            &a.max_hr,
            &a.avg_cadence,
            &a.max_cadence,
            &i64::from(a.laps),
            &encode_stream(&a.stream),
        ],
    )
}

fn write_profile(tx: &mut Transaction<'_>, p: &Profile) -> Res<()> {
    tx.execute(
        "INSERT INTO profile (id, leg_length_diff_mm, longer_leg, note) VALUES (1, $1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET leg_length_diff_mm = EXCLUDED.leg_length_diff_mm, \
         longer_leg = EXCLUDED.longer_leg, note = EXCLUDED.note",
        &[&p.leg_length_diff_mm, &text(p.longer_leg), &p.note],
    )?;
    Ok(())
}

/// The stored activity that `a` duplicates: the same sport, a start within the window and a
/// distance within the tolerance (or both without a distance); nearest start first, as in SQLite.
fn duplicate_of(tx: &mut Transaction<'_>, a: &Activity) -> Res<Option<i64>> {
    let s = a.start.as_second();
    let rows = tx.query(
        "SELECT id, distance_m, sport FROM activities WHERE start_s BETWEEN $1 AND $2 \
         ORDER BY abs(start_s - $3), id",
        &[&(s - DUPLICATE_WINDOW_S), &(s + DUPLICATE_WINDOW_S), &s],
    )?;
    for row in &rows {
        let sport: &str = get(row, "sport")?;
        if same_activity(a, sport, get(row, "distance_m")?) {
            return Ok(Some(get(row, "id")?));
        }
    }
    Ok(None)
}

fn shoe_id(tx: &mut Transaction<'_>, name: &str, started: jiff::civil::Date) -> Res<i64> {
    let found = tx.query_opt("SELECT id FROM shoes WHERE name = $1", &[&name])?;
    match found {
        Some(row) => {
            let id: i64 = get(&row, "id")?;
            // ISO dates order as text under byte comparison, as SQLite's `min` compares them.
            tx.execute(
                "UPDATE shoes SET started = LEAST(started, $1 COLLATE \"C\") WHERE id = $2",
                &[&started.to_string(), &id],
            )?;
            Ok(id)
        }
        None => insert_shoe(
            tx,
            None,
            &Shoe {
                name: name.into(),
                started,
                retired: None,
                initial_km: 0.0,
                limit_km: 700.0,
            },
        ),
    }
}

impl Store for PostgresStore {
    fn journal(&self) -> Result<Journal> {
        self.read(|tx| {
            let profile = tx
                .query_opt(
                    "SELECT leg_length_diff_mm, longer_leg, note FROM profile WHERE id = 1",
                    &[],
                )?
                .map(|r| {
                    Ok::<_, Fault>(Profile {
                        leg_length_diff_mm: get(&r, "leg_length_diff_mm")?,
                        longer_leg: parsed_opt(&r, "longer_leg")?,
                        note: get(&r, "note")?,
                    })
                })
                .transpose()?
                .unwrap_or_default();
            Ok(Journal {
                profile,
                shoes: rows(tx, SHOES, shoe_row)?,
                runs: rows(tx, RUNS, run_row)?,
                pain_reports: rows(tx, PAIN, pain_row)?,
                sessions: rows(tx, SESSIONS, session_row)?,
                findings: rows(tx, FINDINGS, finding_row)?,
                treatments: rows(tx, TREATMENTS, treatment_row)?,
                checkins: rows(tx, CHECKINS, checkin_row)?,
                activities: rows(tx, ACTIVITIES, activity_row)?,
            })
        })
    }

    fn findings(&self) -> Result<Vec<Entry<Finding>>> {
        self.read(|tx| rows(tx, FINDINGS, finding_row))
    }

    fn pain_reports(&self) -> Result<Vec<Entry<PainReport>>> {
        self.read(|tx| rows(tx, PAIN, pain_row))
    }

    fn shoes(&self) -> Result<Vec<Entry<Shoe>>> {
        self.read(|tx| rows(tx, SHOES, shoe_row))
    }

    fn is_empty(&self) -> Result<bool> {
        self.read(|tx| {
            for table in TABLES {
                let row = tx.query_one(&format!("SELECT EXISTS (SELECT 1 FROM {table})"), &[])?;
                if get::<bool>(&row, "exists")? {
                    return Ok(false);
                }
            }
            Ok(true)
        })
    }

    fn is_demo(&self) -> Result<bool> {
        self.read(|tx| {
            let row = tx.query_opt("SELECT value FROM meta WHERE key = 'demo'", &[])?;
            match row {
                Some(row) => Ok(get::<&str>(&row, "value")? == "true"),
                None => Ok(false),
            }
        })
    }

    fn add_pain_report(&mut self, report: &PainReport) -> Result<i64> {
        self.write(|tx| insert_pain(tx, None, report))
    }

    fn add_finding(&mut self, finding: &Finding) -> Result<i64> {
        self.write(|tx| insert_finding(tx, None, finding))
    }

    fn add_treatment(&mut self, treatment: &Treatment) -> Result<i64> {
        self.write(|tx| insert_treatment(tx, None, treatment))
    }

    fn add_session(&mut self, record: &SessionRecord) -> Result<i64> {
        self.write(|tx| {
            let id = insert_session(tx, None, &record.session)?;
            for f in &record.findings {
                insert_finding(
                    tx,
                    None,
                    &Finding {
                        session: Some(id),
                        ..f.clone()
                    },
                )?;
            }
            for t in &record.treatments {
                insert_treatment(
                    tx,
                    None,
                    &Treatment {
                        session: Some(id),
                        ..t.clone()
                    },
                )?;
            }
            Ok(id)
        })
    }

    fn add_run(&mut self, run: &Run) -> Result<i64> {
        self.write(|tx| insert_run(tx, None, run))
    }

    fn add_shoe(&mut self, shoe: &Shoe) -> Result<i64> {
        let name = shoe.name.clone();
        self.write(|tx| insert_shoe(tx, None, shoe))
            .map_err(|e| match e {
                Error::Conflict(_) => {
                    Error::Conflict(format!("a shoe named `{name}` already exists"))
                }
                other => other,
            })
    }

    fn retire_shoe(&mut self, id: i64, date: jiff::civil::Date) -> Result<()> {
        let n = self.write(|tx| {
            Ok(tx.execute(
                "UPDATE shoes SET retired = $1 WHERE id = $2",
                &[&date.to_string(), &id],
            )?)
        })?;
        if n == 0 {
            return Err(Error::NotFound {
                kind: "shoe",
                key: id.to_string(),
            });
        }
        Ok(())
    }

    fn put_checkin(&mut self, checkin: &Checkin) -> Result<i64> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM checkins WHERE date = $1",
                &[&checkin.date.to_string()],
            )?;
            insert_checkin(tx, None, checkin)
        })
    }

    fn set_profile(&mut self, profile: &Profile) -> Result<()> {
        self.write(|tx| write_profile(tx, profile))
    }

    fn sync(&mut self) -> Result<()> {
        // Every commit here already waits for the server's WAL flush (a clinic's shared server
        // keeps synchronous commits even for bulk import), so there is nothing left to flush.
        Ok(())
    }

    fn import_file(&mut self, items: &[ImportItem]) -> Result<Vec<Imported>> {
        self.write(|tx| {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                if let Some(activity) = duplicate_of(tx, &item.activity)? {
                    // The same run seen again, e.g. in a Strava export after the watch's files:
                    // the export may name its shoe.
                    if let (Some(name), Some(run)) = (&item.shoe, &item.run) {
                        let shoe = shoe_id(tx, name, run.date)?;
                        tx.execute(
                            "UPDATE runs SET shoe_id = $1 WHERE shoe_id IS NULL AND id = \
                             (SELECT run_id FROM activities WHERE id = $2)",
                            &[&shoe, &activity],
                        )?;
                    }
                    out.push(Imported::Duplicate { activity });
                    continue;
                }
                let run = match &item.run {
                    Some(run) => {
                        let shoe = match &item.shoe {
                            Some(name) => Some(shoe_id(tx, name, run.date)?),
                            None => run.shoe,
                        };
                        Some(insert_run(
                            tx,
                            None,
                            &Run {
                                shoe,
                                ..run.clone()
                            },
                        )?)
                    }
                    None => None,
                };
                let activity = insert_activity(
                    tx,
                    None,
                    &Activity {
                        run,
                        ..item.activity.clone()
                    },
                )?;
                out.push(Imported::Added { activity, run });
            }
            Ok(out)
        })
    }

    fn set_run_pain(
        &mut self,
        run: i64,
        onset_km: Option<Km>,
        max_pain: Option<Nrs>,
        pain_next_morning: Option<Nrs>,
    ) -> Result<()> {
        let n = self.write(|tx| {
            Ok(tx.execute(
                "UPDATE runs SET pain_onset_km = coalesce($1, pain_onset_km), \
                 max_pain = coalesce($2, max_pain), pain_next_morning = coalesce($3, pain_next_morning) \
                 WHERE id = $4",
                &[&dist(onset_km), &num(max_pain), &num(pain_next_morning), &run],
            )?)
        })?;
        if n == 0 {
            return Err(Error::NotFound {
                kind: "run",
                key: run.to_string(),
            });
        }
        Ok(())
    }

    fn replace_all(&mut self, journal: &Journal, demo: bool) -> Result<()> {
        self.write(|tx| {
            for table in TABLES {
                tx.execute(&format!("DELETE FROM {table}"), &[])?;
            }
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('demo', $1) \
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                &[&demo.to_string()],
            )?;
            if journal.profile != Profile::default() {
                write_profile(tx, &journal.profile)?;
            }
            for e in &journal.shoes {
                insert_shoe(tx, Some(e.id), &e.item)?;
            }
            for e in &journal.runs {
                insert_run(tx, Some(e.id), &e.item)?;
            }
            for e in &journal.pain_reports {
                insert_pain(tx, Some(e.id), &e.item)?;
            }
            for e in &journal.sessions {
                insert_session(tx, Some(e.id), &e.item)?;
            }
            for e in &journal.findings {
                insert_finding(tx, Some(e.id), &e.item)?;
            }
            for e in &journal.treatments {
                insert_treatment(tx, Some(e.id), &e.item)?;
            }
            for e in &journal.checkins {
                insert_checkin(tx, Some(e.id), &e.item)?;
            }
            for e in &journal.activities {
                insert_activity(tx, Some(e.id), &e.item)?;
            }
            // Explicit ids do not move the identity sequences: the next new row of each table
            // gets the id after the largest kept one (SQLite's rowid does the same).
            for table in TABLES.iter().filter(|t| **t != "profile") {
                tx.execute(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                         COALESCE(MAX(id), 0) + 1, false) FROM {table}"
                    ),
                    &[],
                )?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{PostgresStore, redact};

    #[test]
    fn the_store_can_be_shared_like_the_sqlite_one() {
        // knots-web keeps its store in a mutex across tasks: `Store + Send + 'static`.
        fn shareable<T: Send + Sync + 'static>() {}
        shareable::<PostgresStore>();
    }

    #[test]
    fn redact_hides_the_password_in_every_form() {
        for (url, shown) in [
            (
                "postgres://knots:s3cret@db.example:5433/journal?sslmode=disable",
                "postgres://knots:***@db.example:5433/journal",
            ),
            (
                "postgresql://knots:s3cr%2Fet@localhost/journal",
                "postgres://knots:***@localhost:5432/journal",
            ),
            (
                "postgres://knots@localhost/journal?password=s3cret",
                "postgres://knots:***@localhost:5432/journal",
            ),
            (
                "host=localhost user=knots password='s3 cret' dbname=journal",
                "postgres://knots:***@localhost/journal",
            ),
            (
                "postgres://localhost/journal",
                "postgres://localhost:5432/journal",
            ),
        ] {
            assert_eq!(redact(url), shown, "{url}");
        }
        assert!(!redact("postgres://knots:s3cret@[::1").contains("s3cret"));
    }
}
