//! The SQLite back end: one file, WAL mode, migrations applied on open, one transaction per call.

use crate::shared::{TABLES, decode_stream, encode_stream, same_activity};
use crate::{DUPLICATE_WINDOW_S, Error, ImportItem, Imported, Result, Store};
use knots_core::journal::{
    Activity, Checkin, Entry, Finding, Journal, PainReport, Profile, Run, Session, SessionRecord,
    Shoe, Treatment,
};
use knots_core::{Km, Nrs, TriggerPointId};
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};
use rusqlite_migration::{M, Migrations};
use std::path::Path;
use std::str::FromStr;

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/sqlite/20261125_0001_init.sql"),
    include_str!("../migrations/sqlite/20261125_0002_activities.sql"),
];

/// A journal in one SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    path: String,
}

impl SqliteStore {
    /// Opens (creating if missing) the journal at `path` and brings its schema up to date.
    ///
    /// # Errors
    /// [`Error::Open`] when the file cannot be opened or created, [`Error::Corrupt`] when it is not
    /// a SQLite database or was written by a newer knots.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        let shown = path.display().to_string();
        let open_err = |e: rusqlite::Error| Error::Open {
            path: shown.clone(),
            message: e.to_string(),
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        let corrupt = |e: rusqlite::Error| classify(&shown, e);
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_err)?;
        // WAL keeps committed transactions across a crash; foreign keys guard session and shoe ids.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(corrupt)?;
        // Every ordinary write waits for the disk; bulk import relaxes this per call (see
        // `import_file`).
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(corrupt)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(corrupt)?;
        let migrations = Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect());
        migrations.to_latest(&mut conn).map_err(|e| match e {
            rusqlite_migration::Error::RusqliteError { err, .. } => classify(&shown, err),
            other => Error::Corrupt {
                path: shown.clone(),
                message: other.to_string(),
            },
        })?;
        Ok(SqliteStore { conn, path: shown })
    }

    fn write<T>(&mut self, f: impl FnOnce(&Transaction) -> rusqlite::Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| classify(&self.path, e))?;
        let out = f(&tx).map_err(|e| classify(&self.path, e))?;
        tx.commit().map_err(|e| classify(&self.path, e))?;
        Ok(out)
    }

    fn read<T>(&self, sql: &str, map: impl Fn(&Row) -> rusqlite::Result<T>) -> Result<Vec<T>> {
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(|e| classify(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| map(r))
            .map_err(|e| classify(&self.path, e))?;
        rows.collect::<rusqlite::Result<Vec<T>>>()
            .map_err(|e| classify(&self.path, e))
    }
}

fn classify(path: &str, e: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => Error::Corrupt {
            path: path.into(),
            message: e.to_string(),
        },
        Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly | ErrorCode::PermissionDenied) => {
            Error::Open {
                path: path.into(),
                message: e.to_string(),
            }
        }
        Some(ErrorCode::ConstraintViolation) => Error::Conflict(e.to_string()),
        _ => match e {
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..) => Error::Corrupt {
                path: path.into(),
                message: e.to_string(),
            },
            other => Error::Backend(other.to_string()),
        },
    }
}

fn bad(col: usize, msg: impl ToString) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, Type::Text, msg.to_string().into())
}

fn parsed<T: FromStr>(row: &Row, col: usize) -> rusqlite::Result<T>
where
    T::Err: ToString,
{
    let text: String = row.get(col)?;
    text.parse().map_err(|e: T::Err| bad(col, e))
}

fn parsed_opt<T: FromStr>(row: &Row, col: usize) -> rusqlite::Result<Option<T>>
where
    T::Err: ToString,
{
    let text: Option<String> = row.get(col)?;
    text.map(|t| t.parse().map_err(|e: T::Err| bad(col, e)))
        .transpose()
}

fn nrs(row: &Row, col: usize) -> rusqlite::Result<Nrs> {
    let v: i64 = row.get(col)?;
    u8::try_from(v)
        .ok()
        .and_then(|v| Nrs::new(v).ok())
        .ok_or_else(|| bad(col, format!("{v} is not 0-10")))
}

fn nrs_opt(row: &Row, col: usize) -> rusqlite::Result<Option<Nrs>> {
    match row.get::<_, Option<i64>>(col)? {
        None => Ok(None),
        Some(_) => nrs(row, col).map(Some),
    }
}

fn km(row: &Row, col: usize) -> rusqlite::Result<Km> {
    let v: f64 = row.get(col)?;
    Km::new(v).map_err(|e| bad(col, e))
}

fn km_opt(row: &Row, col: usize) -> rusqlite::Result<Option<Km>> {
    match row.get::<_, Option<f64>>(col)? {
        None => Ok(None),
        Some(_) => km(row, col).map(Some),
    }
}

fn json<T: serde::de::DeserializeOwned>(row: &Row, col: usize) -> rusqlite::Result<T> {
    let text: String = row.get(col)?;
    serde_json::from_str(&text).map_err(|e| bad(col, e))
}

fn to_json<T: serde::Serialize>(v: &T) -> rusqlite::Result<String> {
    serde_json::to_string(v).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn text<T: ToString>(v: Option<T>) -> Option<String> {
    v.map(|v| v.to_string())
}

fn num(v: Option<Nrs>) -> Option<u8> {
    v.map(Nrs::value)
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

fn shoe_row(r: &Row) -> rusqlite::Result<Entry<Shoe>> {
    Ok(Entry {
        id: r.get(0)?,
        item: Shoe {
            name: r.get(1)?,
            started: parsed(r, 2)?,
            retired: parsed_opt(r, 3)?,
            initial_km: r.get(4)?,
            limit_km: r.get(5)?,
        },
    })
}

fn run_row(r: &Row) -> rusqlite::Result<Entry<Run>> {
    Ok(Entry {
        id: r.get(0)?,
        item: Run {
            date: parsed(r, 1)?,
            km: km(r, 2)?,
            minutes: r.get(3)?,
            shoe: r.get(4)?,
            surface: parsed_opt(r, 5)?,
            camber: parsed(r, 6)?,
            pain_onset_km: km_opt(r, 7)?,
            max_pain: nrs_opt(r, 8)?,
            pain_next_morning: nrs_opt(r, 9)?,
            rpe: nrs_opt(r, 10)?,
            note: r.get(11)?,
        },
    })
}

fn pain_row(r: &Row) -> rusqlite::Result<Entry<PainReport>> {
    Ok(Entry {
        id: r.get(0)?,
        item: PainReport {
            at: parsed(r, 1)?,
            regions: json(r, 2)?,
            side: parsed(r, 3)?,
            pain: nrs(r, 4)?,
            context: parsed(r, 5)?,
            onset_km: km_opt(r, 6)?,
            red_flags: json(r, 7)?,
            note: r.get(8)?,
        },
    })
}

fn session_row(r: &Row) -> rusqlite::Result<Entry<Session>> {
    Ok(Entry {
        id: r.get(0)?,
        item: Session {
            at: parsed(r, 1)?,
            therapist: r.get(2)?,
            subjective: r.get(3)?,
            objective: r.get(4)?,
            assessment: r.get(5)?,
            plan: r.get(6)?,
            pressure_ceiling: nrs(r, 7)?,
            relaxation: nrs_opt(r, 8)?,
            minutes: r.get(9)?,
        },
    })
}

fn finding_row(r: &Row) -> rusqlite::Result<Entry<Finding>> {
    Ok(Entry {
        id: r.get(0)?,
        item: Finding {
            at: parsed(r, 1)?,
            trigger_point: TriggerPointId(r.get(2)?),
            side: parsed(r, 3)?,
            tenderness: nrs(r, 4)?,
            taut_band: r.get(5)?,
            reproduces: r.get(6)?,
            ppt_kg_cm2: r.get(7)?,
            session: r.get(8)?,
            note: r.get(9)?,
        },
    })
}

fn treatment_row(r: &Row) -> rusqlite::Result<Entry<Treatment>> {
    Ok(Entry {
        id: r.get(0)?,
        item: Treatment {
            at: parsed(r, 1)?,
            kind: parsed(r, 2)?,
            target: r.get(3)?,
            side: parsed(r, 4)?,
            pressure: nrs_opt(r, 5)?,
            minutes: r.get(6)?,
            by: parsed(r, 7)?,
            session: r.get(8)?,
            note: r.get(9)?,
        },
    })
}

fn checkin_row(r: &Row) -> rusqlite::Result<Entry<Checkin>> {
    Ok(Entry {
        id: r.get(0)?,
        item: Checkin {
            date: parsed(r, 1)?,
            morning_pain: nrs_opt(r, 2)?,
            stiffness: nrs_opt(r, 3)?,
            water_l: r.get(4)?,
            potassium: r.get(5)?,
            sleep_h: r.get(6)?,
            note: r.get(7)?,
        },
    })
}

fn activity_row(r: &Row) -> rusqlite::Result<Entry<Activity>> {
    let stream: Vec<u8> = r.get(16)?;
    Ok(Entry {
        id: r.get(0)?,
        item: Activity {
            run: r.get(1)?,
            sport: r.get(2)?,
            start: parsed(r, 3)?,
            utc_offset_s: r.get(4)?,
            source: r.get(5)?,
            name: r.get(6)?,
            distance_m: r.get(7)?,
            elapsed_s: r.get(8)?,
            timer_s: r.get(9)?,
            ascent_m: r.get(10)?,
            avg_hr: r.get(11)?,
            max_hr: r.get(12)?,
            avg_cadence: r.get(13)?,
            max_cadence: r.get(14)?,
            laps: r.get(15)?,
            stream: decode_stream(&stream).map_err(|e| bad(16, e))?,
        },
    })
}

fn insert_activity(tx: &Transaction, id: Option<i64>, a: &Activity) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO activities (id, run_id, sport, start, start_s, utc_offset_s, source, name, \
         distance_m, elapsed_s, timer_s, ascent_m, avg_hr, max_hr, avg_cadence, max_cadence, laps, stream) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        params![
            id,
            a.run,
            a.sport,
            a.start.to_string(),
            a.start.as_second(),
            a.utc_offset_s,
            a.source,
            a.name,
            a.distance_m,
            a.elapsed_s,
            a.timer_s,
            a.ascent_m,
            a.avg_hr,
            a.max_hr,
            a.avg_cadence,
            a.max_cadence,
            a.laps,
            encode_stream(&a.stream)
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// The stored activity that `a` duplicates: the same sport, a start within the window and a
/// distance within the tolerance (or both without a distance).
fn duplicate_of(tx: &Transaction, a: &Activity) -> rusqlite::Result<Option<i64>> {
    let s = a.start.as_second();
    let mut stmt = tx.prepare_cached(
        "SELECT id, distance_m, sport FROM activities WHERE start_s BETWEEN ?1 AND ?2 \
         ORDER BY abs(start_s - ?3), id",
    )?;
    let rows = stmt.query_map(
        params![s - DUPLICATE_WINDOW_S, s + DUPLICATE_WINDOW_S, s],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<f64>>(1)?,
                r.get::<_, String>(2)?,
            ))
        },
    )?;
    for row in rows {
        let (id, d, sport) = row?;
        if same_activity(a, &sport, d) {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

fn shoe_id(tx: &Transaction, name: &str, started: jiff::civil::Date) -> rusqlite::Result<i64> {
    let found: Option<i64> = tx
        .query_row("SELECT id FROM shoes WHERE name = ?1", params![name], |r| {
            r.get(0)
        })
        .optional()?;
    match found {
        Some(id) => {
            tx.execute(
                "UPDATE shoes SET started = min(started, ?1) WHERE id = ?2",
                params![started.to_string(), id],
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

fn insert_shoe(tx: &Transaction, id: Option<i64>, s: &Shoe) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO shoes (id, name, started, retired, initial_km, limit_km) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, s.name, s.started.to_string(), text(s.retired), s.initial_km, s.limit_km],
    )?;
    Ok(tx.last_insert_rowid())
}

fn insert_run(tx: &Transaction, id: Option<i64>, r: &Run) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO runs (id, date, km, minutes, shoe_id, surface, camber, pain_onset_km, max_pain, \
         pain_next_morning, rpe, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            id,
            r.date.to_string(),
            r.km.value(),
            r.minutes,
            r.shoe,
            text(r.surface),
            r.camber.as_str(),
            dist(r.pain_onset_km),
            num(r.max_pain),
            num(r.pain_next_morning),
            num(r.rpe),
            r.note
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

fn insert_pain(tx: &Transaction, id: Option<i64>, p: &PainReport) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO pain_reports (id, at, regions, side, pain, context, onset_km, red_flags, note) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            id,
            p.at.to_string(),
            to_json(&p.regions)?,
            p.side.as_str(),
            p.pain.value(),
            p.context.as_str(),
            dist(p.onset_km),
            to_json(&p.red_flags)?,
            p.note
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

fn insert_session(tx: &Transaction, id: Option<i64>, s: &Session) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO sessions (id, at, therapist, subjective, objective, assessment, plan, \
         pressure_ceiling, relaxation, minutes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            id,
            s.at.to_string(),
            s.therapist,
            s.subjective,
            s.objective,
            s.assessment,
            s.plan,
            s.pressure_ceiling.value(),
            num(s.relaxation),
            s.minutes
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

fn insert_finding(tx: &Transaction, id: Option<i64>, f: &Finding) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO findings (id, at, trigger_point, side, tenderness, taut_band, reproduces, \
         ppt_kg_cm2, session_id, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            id,
            f.at.to_string(),
            f.trigger_point.as_str(),
            f.side.as_str(),
            f.tenderness.value(),
            f.taut_band,
            f.reproduces,
            f.ppt_kg_cm2,
            f.session,
            f.note
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

fn insert_treatment(tx: &Transaction, id: Option<i64>, t: &Treatment) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO treatments (id, at, kind, target, side, pressure, minutes, given_by, session_id, \
         note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            id,
            t.at.to_string(),
            t.kind.as_str(),
            t.target,
            t.side.as_str(),
            num(t.pressure),
            t.minutes,
            t.by.as_str(),
            t.session,
            t.note
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

fn insert_checkin(tx: &Transaction, id: Option<i64>, c: &Checkin) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO checkins (id, date, morning_pain, stiffness, water_l, potassium, sleep_h, note) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            id,
            c.date.to_string(),
            num(c.morning_pain),
            num(c.stiffness),
            c.water_l,
            c.potassium,
            c.sleep_h,
            c.note
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

fn write_profile(tx: &Transaction, p: &Profile) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO profile (id, leg_length_diff_mm, longer_leg, note) VALUES (1, ?1, ?2, ?3) \
         ON CONFLICT (id) DO UPDATE SET leg_length_diff_mm = ?1, longer_leg = ?2, note = ?3",
        params![p.leg_length_diff_mm, text(p.longer_leg), p.note],
    )?;
    Ok(())
}

impl Store for SqliteStore {
    fn journal(&self) -> Result<Journal> {
        let profile = self
            .conn
            .query_row(
                "SELECT leg_length_diff_mm, longer_leg, note FROM profile WHERE id = 1",
                [],
                |r| {
                    Ok(Profile {
                        leg_length_diff_mm: r.get(0)?,
                        longer_leg: parsed_opt(r, 1)?,
                        note: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(|e| classify(&self.path, e))?
            .unwrap_or_default();
        Ok(Journal {
            profile,
            shoes: self.shoes()?,
            runs: self.read(RUNS, run_row)?,
            pain_reports: self.pain_reports()?,
            sessions: self.read(SESSIONS, session_row)?,
            findings: self.findings()?,
            treatments: self.read(TREATMENTS, treatment_row)?,
            checkins: self.read(CHECKINS, checkin_row)?,
            activities: self.read(ACTIVITIES, activity_row)?,
        })
    }

    fn findings(&self) -> Result<Vec<Entry<Finding>>> {
        self.read(FINDINGS, finding_row)
    }

    fn pain_reports(&self) -> Result<Vec<Entry<PainReport>>> {
        self.read(PAIN, pain_row)
    }

    fn shoes(&self) -> Result<Vec<Entry<Shoe>>> {
        self.read(SHOES, shoe_row)
    }

    fn is_empty(&self) -> Result<bool> {
        for table in TABLES {
            let n: i64 = self
                .conn
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                .map_err(|e| classify(&self.path, e))?;
            if n > 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn is_demo(&self) -> Result<bool> {
        let v: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'demo'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| classify(&self.path, e))?;
        Ok(v.as_deref() == Some("true"))
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
            tx.execute(
                "UPDATE shoes SET retired = ?1 WHERE id = ?2",
                params![date.to_string(), id],
            )
        })?;
        if n == 0 {
            return Err(Error::NotFound {
                kind: "shoe",
                key: id.to_string(),
            });
        }
        Ok(())
    }

    fn import_file(&mut self, items: &[ImportItem]) -> Result<Vec<Imported>> {
        // WAL with synchronous=NORMAL: the commit is atomic and survives a crash or kill of the
        // program, but does not wait for an fsync; waiting once per file made a 2-core import
        // disk-bound (1.4 cores busy instead of 1.8). `sync` makes the batch durable at its end.
        self.conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| classify(&self.path, e))?;
        let result = self.write(|tx| {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                if let Some(activity) = duplicate_of(tx, &item.activity)? {
                    // The same run seen again, e.g. in a Strava export after the watch's files:
                    // the export may name its shoe.
                    if let (Some(name), Some(run)) = (&item.shoe, &item.run) {
                        let shoe = shoe_id(tx, name, run.date)?;
                        tx.execute(
                            "UPDATE runs SET shoe_id = ?1 WHERE shoe_id IS NULL AND id = \
                             (SELECT run_id FROM activities WHERE id = ?2)",
                            params![shoe, activity],
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
        });
        self.conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(|e| classify(&self.path, e))?;
        result
    }

    fn sync(&mut self) -> Result<()> {
        // A full checkpoint copies the WAL into the database file and fsyncs it.
        self.conn
            .query_row("PRAGMA wal_checkpoint(FULL)", [], |_| Ok(()))
            .map_err(|e| classify(&self.path, e))
    }

    fn set_run_pain(
        &mut self,
        run: i64,
        onset_km: Option<Km>,
        max_pain: Option<Nrs>,
        pain_next_morning: Option<Nrs>,
    ) -> Result<()> {
        let n = self.write(|tx| {
            tx.execute(
                "UPDATE runs SET pain_onset_km = coalesce(?1, pain_onset_km), \
                 max_pain = coalesce(?2, max_pain), pain_next_morning = coalesce(?3, pain_next_morning) \
                 WHERE id = ?4",
                params![dist(onset_km), num(max_pain), num(pain_next_morning), run],
            )
        })?;
        if n == 0 {
            return Err(Error::NotFound {
                kind: "run",
                key: run.to_string(),
            });
        }
        Ok(())
    }

    fn put_checkin(&mut self, checkin: &Checkin) -> Result<i64> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM checkins WHERE date = ?1",
                params![checkin.date.to_string()],
            )?;
            insert_checkin(tx, None, checkin)
        })
    }

    fn set_profile(&mut self, profile: &Profile) -> Result<()> {
        self.write(|tx| write_profile(tx, profile))
    }

    fn replace_all(&mut self, journal: &Journal, demo: bool) -> Result<()> {
        self.write(|tx| {
            for table in TABLES {
                tx.execute(&format!("DELETE FROM {table}"), [])?;
            }
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('demo', ?1) \
                 ON CONFLICT (key) DO UPDATE SET value = ?1",
                params![demo.to_string()],
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
            Ok(())
        })
    }
}
