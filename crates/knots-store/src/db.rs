//! The store's use cases, written once over an [`Engine`]: [`Db`] implements [`Store`] for SQLite
//! and PostgreSQL alike, so the two cannot drift. Only the SQL text an engine needs to differ in
//! (placeholders, identity sequences, locking) lives in the engine modules.

use crate::records::{CHANGE_COLUMNS, Row, Table, change_values, read_change};
use crate::shared::{TABLES, same_activity};
use crate::sql::{Engine, Tx, Value};
use crate::sync;
use crate::{
    DUPLICATE_WINDOW_S, Deleted, Error, ImportFile, ImportItem, Imported, Original, OriginalInfo,
    Result, Store,
};
use jiff::Timestamp;
use knots_core::change::{Action, Change, Kind, Record};
use knots_core::journal::{
    Activity, Checkin, Entry, Finding, Journal, PainReport, Profile, Reaction, Run, Session,
    SessionRecord, Shoe, Treatment,
};

/// A journal on an engine: the one implementation of [`Store`].
#[derive(Debug)]
pub struct Db<E> {
    pub(crate) engine: E,
}

/// Runs `$body` with `$t` the record type of `$kind`.
macro_rules! with_table {
    ($kind:expr, $t:ident => $body:expr) => {
        match $kind {
            Kind::Pain => {
                type $t = PainReport;
                $body
            }
            Kind::Finding => {
                type $t = Finding;
                $body
            }
            Kind::Treatment => {
                type $t = Treatment;
                $body
            }
            Kind::Session => {
                type $t = Session;
                $body
            }
            Kind::Run => {
                type $t = Run;
                $body
            }
            Kind::Shoe => {
                type $t = Shoe;
                $body
            }
            Kind::Checkin => {
                type $t = Checkin;
                $body
            }
            Kind::Activity => {
                type $t = Activity;
                $body
            }
            Kind::Reaction => {
                type $t = Reaction;
                $body
            }
            Kind::Profile => {
                type $t = Profile;
                $body
            }
        }
    };
}

pub(crate) use with_table;

pub(crate) fn corrupt(tx: &dyn Tx, message: String) -> Error {
    Error::Corrupt {
        path: tx.shown().to_string(),
        message,
    }
}

fn not_found(kind: Kind, id: i64) -> Error {
    Error::NotFound {
        kind: kind.noun(),
        key: id.to_string(),
    }
}

/// Rows of `T` matching `filter` (a `WHERE …` clause or empty), in id order.
pub(crate) fn rows<T: Table>(
    tx: &mut dyn Tx,
    filter: &str,
    params: &[Value],
) -> Result<Vec<Entry<T>>> {
    let sql = format!(
        "SELECT id, {} FROM {} {filter} ORDER BY id",
        T::COLUMNS.join(", "),
        T::TABLE
    );
    let raw = tx.query(&sql, params)?;
    raw.iter()
        .map(|values| {
            let id = match values.first() {
                Some(Value::Int(id)) => *id,
                other => return Err(corrupt(tx, format!("{}: id {other:?}", T::TABLE))),
            };
            let mut row = Row::new(&values[1..], T::COLUMNS);
            let item = T::read(&mut row).map_err(|m| corrupt(tx, format!("{}: {m}", T::TABLE)))?;
            Ok(Entry { id, item })
        })
        .collect()
}

fn one<T: Table>(tx: &mut dyn Tx, id: i64) -> Result<Option<T>> {
    Ok(rows::<T>(tx, "WHERE id = ?", &[id.into()])?
        .pop()
        .map(|e| e.item))
}

pub(crate) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Inserts a record and returns its id: `id` when given (a restore keeps ids), else a new one. A
/// record of a synced kind gets a new global id and a line in the sync log.
fn insert<T: Table>(tx: &mut dyn Tx, id: Option<i64>, record: &T) -> Result<i64> {
    if !sync::synced(T::KIND) {
        return insert_with(tx, id, record, &[]);
    }
    let uid = sync::new_uid();
    let id = insert_with(tx, id, record, &[("uid", uid.as_str().into())])?;
    sync::log_new(tx, T::KIND, &uid)?;
    Ok(id)
}

/// Inserts a record with `extra` columns besides its own (a global id, an origin, a version).
pub(crate) fn insert_with<T: Table>(
    tx: &mut dyn Tx,
    id: Option<i64>,
    record: &T,
    extra: &[(&str, Value)],
) -> Result<i64> {
    let mut values = record.values();
    let mut columns = T::COLUMNS.join(", ");
    if let Some(id) = id {
        values.insert(0, id.into());
        columns = format!("id, {columns}");
    }
    for (column, value) in extra {
        columns = format!("{columns}, {column}");
        values.push(value.clone());
    }
    let sql = format!(
        "INSERT INTO {} ({columns}) VALUES ({}) RETURNING id",
        T::TABLE,
        placeholders(values.len())
    );
    let rows = tx.query(&sql, &values)?;
    match rows.first().and_then(|r| r.first()) {
        Some(Value::Int(id)) => Ok(*id),
        other => Err(Error::Backend(format!(
            "insert into {} returned {other:?}",
            T::TABLE
        ))),
    }
}

pub(crate) fn update<T: Table>(tx: &mut dyn Tx, id: i64, record: &T) -> Result<u64> {
    let set: Vec<String> = T::COLUMNS.iter().map(|c| format!("{c} = ?")).collect();
    let mut values = record.values();
    values.push(id.into());
    let sql = format!("UPDATE {} SET {} WHERE id = ?", T::TABLE, set.join(", "));
    tx.execute(&sql, &values)
}

pub(crate) fn delete_row(tx: &mut dyn Tx, table: &str, id: i64) -> Result<u64> {
    tx.execute(&format!("DELETE FROM {table} WHERE id = ?"), &[id.into()])
}

fn insert_change(tx: &mut dyn Tx, id: Option<i64>, change: &Change) -> Result<()> {
    let mut values = change_values(change);
    let mut columns = CHANGE_COLUMNS.join(", ");
    if let Some(id) = id {
        values.insert(0, id.into());
        columns = format!("id, {columns}");
    }
    let sql = format!(
        "INSERT INTO changes ({columns}) VALUES ({})",
        placeholders(values.len())
    );
    tx.execute(&sql, &values)?;
    Ok(())
}

fn changes(tx: &mut dyn Tx) -> Result<Vec<Entry<Change>>> {
    let sql = format!(
        "SELECT id, {} FROM changes ORDER BY id",
        CHANGE_COLUMNS.join(", ")
    );
    let raw = tx.query(&sql, &[])?;
    raw.iter()
        .map(|values| {
            let id = match values.first() {
                Some(Value::Int(id)) => *id,
                other => return Err(corrupt(tx, format!("changes: id {other:?}"))),
            };
            let item = read_change(&mut Row::new(&values[1..], CHANGE_COLUMNS))
                .map_err(|m| corrupt(tx, format!("changes: {m}")))?;
            Ok(Entry { id, item })
        })
        .collect()
}

fn profile(tx: &mut dyn Tx) -> Result<Option<Profile>> {
    one::<Profile>(tx, 1)
}

pub(crate) fn count(tx: &mut dyn Tx, sql: &str, params: &[Value]) -> Result<i64> {
    match tx.query(sql, params)?.first().and_then(|r| r.first()) {
        Some(Value::Int(n)) => Ok(*n),
        other => Err(Error::Backend(format!("count returned {other:?}"))),
    }
}

/// The stored activity that `a` duplicates: the same sport, a start within the window and a
/// distance within the tolerance (or both without a distance).
fn duplicate_of(tx: &mut dyn Tx, a: &Activity) -> Result<Option<i64>> {
    let s = a.start.as_second();
    let found = tx.query(
        "SELECT id, distance_m, sport FROM activities WHERE start_s BETWEEN ? AND ? \
         ORDER BY abs(start_s - ?), id",
        &[
            (s - DUPLICATE_WINDOW_S).into(),
            (s + DUPLICATE_WINDOW_S).into(),
            s.into(),
        ],
    )?;
    for row in &found {
        let (Some(Value::Int(id)), Some(distance), Some(Value::Text(sport))) =
            (row.first(), row.get(1), row.get(2))
        else {
            return Err(corrupt(tx, format!("activities: {row:?}")));
        };
        let distance = match distance {
            Value::Real(d) => Some(*d),
            _ => None,
        };
        if same_activity(a, sport, distance) {
            return Ok(Some(*id));
        }
    }
    Ok(None)
}

/// The activities of one file, in the open transaction (see [`Store::import_file`]).
fn import_in(
    tx: &mut dyn Tx,
    items: &[ImportItem],
    original: Option<&Original>,
) -> Result<Vec<Imported>> {
    let mut original = original;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if let Some(activity) = duplicate_of(tx, &item.activity)? {
            // The same run seen again, e.g. in a Strava export after the watch's files:
            // the export may name its shoe.
            if let (Some(name), Some(run)) = (&item.shoe, &item.run) {
                let shoe = shoe_id(tx, name, run.date)?;
                let shod = tx.query(
                    "UPDATE runs SET shoe_id = ? WHERE shoe_id IS NULL AND id = \
                     (SELECT run_id FROM activities WHERE id = ?) RETURNING id",
                    &[shoe.into(), activity.into()],
                )?;
                if let Some(Some(Value::Int(run))) = shod.first().map(|r| r.first()) {
                    sync::log_row(tx, Kind::Run, *run)?;
                }
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
                let run = Run {
                    shoe,
                    ..run.clone()
                };
                Some(insert(tx, None, &run)?)
            }
            None => None,
        };
        let activity = Activity {
            run,
            ..item.activity.clone()
        };
        let activity = insert(tx, None, &activity)?;
        if let Some(o) = original.take() {
            insert_original(tx, activity, o)?;
        }
        out.push(Imported::Added { activity, run });
    }
    Ok(out)
}

/// Keeps a file's original bytes with the activity it added.
fn insert_original(tx: &mut dyn Tx, activity: i64, o: &Original) -> Result<()> {
    tx.execute(
        "INSERT INTO originals (activity_id, name, codec, size, crc32, data) \
         VALUES (?, ?, ?, ?, ?, ?)",
        &[
            activity.into(),
            o.name.as_str().into(),
            o.codec.as_str().into(),
            i64::try_from(o.size).unwrap_or(i64::MAX).into(),
            i64::from(o.crc32).into(),
            Value::Blob(o.data.clone()),
        ],
    )?;
    Ok(())
}

/// The id of the shoe named `name`, added when missing; a run on an earlier date moves its first
/// day back.
fn shoe_id(tx: &mut dyn Tx, name: &str, started: jiff::civil::Date) -> Result<i64> {
    match rows::<Shoe>(tx, "WHERE name = ?", &[name.into()])?.pop() {
        Some(found) => {
            if started < found.item.started {
                tx.execute(
                    "UPDATE shoes SET started = ? WHERE id = ?",
                    &[started.to_string().into(), found.id.into()],
                )?;
                sync::log_row(tx, Kind::Shoe, found.id)?;
            }
            Ok(found.id)
        }
        None => insert(
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

fn edit_in<T: Table>(tx: &mut dyn Tx, id: i64, new: &Record, at: Timestamp) -> Result<Change> {
    let record = T::from_record(new).ok_or_else(|| {
        Error::Backend(format!("a {} where a {} was edited", new.kind(), T::KIND))
    })?;
    let old = match one::<T>(tx, id)? {
        Some(old) => old.into_record().to_json(),
        // The profile exists before it is first set.
        None if T::KIND == Kind::Profile && id == 1 => {
            insert(tx, Some(1), &Profile::default())?;
            Record::Profile(Profile::default()).to_json()
        }
        None => return Err(not_found(T::KIND, id)),
    };
    sync::owned_here(tx, T::KIND, id)?;
    update(tx, id, record)?;
    sync::log_row(tx, T::KIND, id)?;
    let change = Change {
        at,
        kind: T::KIND,
        record: id,
        action: Action::Edit,
        old,
        new: new.to_json(),
    };
    insert_change(tx, None, &change)?;
    Ok(change)
}

fn delete_in<T: Table>(tx: &mut dyn Tx, id: i64, at: Timestamp, detach: bool) -> Result<Deleted> {
    let old = one::<T>(tx, id)?.ok_or_else(|| not_found(T::KIND, id))?;
    let mut old = old.into_record().to_json();
    sync::owned_here(tx, T::KIND, id)?;
    sync::log_deleted(tx, T::KIND, id)?;
    let mut deleted = Deleted::default();
    match T::KIND {
        Kind::Session => {
            // What the other side wrote against this session (a runner's self-care during it)
            // is theirs: it stays, without the session.
            for table in ["findings", "treatments"] {
                tx.execute(
                    &format!(
                        "UPDATE {table} SET session_id = NULL \
                         WHERE session_id = ? AND origin IS NOT NULL"
                    ),
                    &[id.into()],
                )?;
            }
            let by_session = "WHERE session_id = ?";
            let findings = rows::<Finding>(tx, by_session, &[id.into()])?;
            let treatments = rows::<Treatment>(tx, by_session, &[id.into()])?;
            for f in &findings {
                sync::log_deleted(tx, Kind::Finding, f.id)?;
            }
            for t in &treatments {
                sync::log_deleted(tx, Kind::Treatment, t.id)?;
            }
            tx.execute("DELETE FROM findings WHERE session_id = ?", &[id.into()])?;
            let detached = tx.execute(
                "UPDATE reactions SET treatment_id = NULL WHERE treatment_id IN \
                 (SELECT id FROM treatments WHERE session_id = ?)",
                &[id.into()],
            )?;
            deleted.reactions_detached = usize::try_from(detached).unwrap_or(usize::MAX);
            tx.execute("DELETE FROM treatments WHERE session_id = ?", &[id.into()])?;
            deleted.findings = findings.len();
            deleted.treatments = treatments.len();
            old = serde_json::json!({
                "session": old,
                "findings": findings,
                "treatments": treatments,
            });
        }
        Kind::Shoe => {
            let runs = count(
                tx,
                "SELECT count(*) FROM runs WHERE shoe_id = ?",
                &[id.into()],
            )?;
            if runs > 0 && !detach {
                let name = old.get("name").and_then(|n| n.as_str()).unwrap_or("?");
                return Err(Error::Conflict(format!(
                    "shoe `{name}` is worn on {runs} run{}: detach them to delete it (`--detach`)",
                    if runs == 1 { "" } else { "s" }
                )));
            }
            let worn = rows::<Run>(tx, "WHERE shoe_id = ?", &[id.into()])?;
            let detached = tx.execute(
                "UPDATE runs SET shoe_id = NULL WHERE shoe_id = ?",
                &[id.into()],
            )?;
            for run in &worn {
                sync::log_row(tx, Kind::Run, run.id)?;
            }
            deleted.runs_detached = usize::try_from(detached).unwrap_or(usize::MAX);
        }
        Kind::Treatment => {
            let detached = tx.execute(
                "UPDATE reactions SET treatment_id = NULL WHERE treatment_id = ?",
                &[id.into()],
            )?;
            deleted.reactions_detached = usize::try_from(detached).unwrap_or(usize::MAX);
        }
        Kind::Run => {
            let detached = tx.execute(
                "UPDATE activities SET run_id = NULL WHERE run_id = ?",
                &[id.into()],
            )?;
            deleted.activities_detached = usize::try_from(detached).unwrap_or(usize::MAX);
        }
        _ => {}
    }
    delete_row(tx, T::TABLE, id)?;
    insert_change(
        tx,
        None,
        &Change {
            at,
            kind: T::KIND,
            record: id,
            action: Action::Delete,
            old,
            new: serde_json::Value::Null,
        },
    )?;
    Ok(deleted)
}

impl<E: Engine> Store for Db<E> {
    fn journal(&self) -> Result<Journal> {
        self.engine.read(|tx| {
            Ok(Journal {
                profile: profile(tx)?.unwrap_or_default(),
                shoes: rows(tx, "", &[])?,
                runs: rows(tx, "", &[])?,
                pain_reports: rows(tx, "", &[])?,
                sessions: rows(tx, "", &[])?,
                findings: rows(tx, "", &[])?,
                treatments: rows(tx, "", &[])?,
                checkins: rows(tx, "", &[])?,
                activities: rows(tx, "", &[])?,
                reactions: rows(tx, "", &[])?,
                changes: changes(tx)?,
            })
        })
    }

    fn findings(&self) -> Result<Vec<Entry<Finding>>> {
        self.engine.read(|tx| rows(tx, "", &[]))
    }

    fn pain_reports(&self) -> Result<Vec<Entry<PainReport>>> {
        self.engine.read(|tx| rows(tx, "", &[]))
    }

    fn shoes(&self) -> Result<Vec<Entry<Shoe>>> {
        self.engine.read(|tx| rows(tx, "", &[]))
    }

    fn runs(&self) -> Result<Vec<Entry<Run>>> {
        self.engine.read(|tx| rows(tx, "", &[]))
    }

    fn activity_of_run(&self, run: i64) -> Result<Option<Entry<Activity>>> {
        self.engine
            .read(|tx| Ok(rows(tx, "WHERE run_id = ?", &[run.into()])?.pop()))
    }

    fn findings_of(&self, trigger_point: &str) -> Result<Vec<Entry<Finding>>> {
        self.engine
            .read(|tx| rows(tx, "WHERE trigger_point = ?", &[trigger_point.into()]))
    }

    fn treatments(&self) -> Result<Vec<Entry<Treatment>>> {
        self.engine.read(|tx| rows(tx, "", &[]))
    }

    fn record(&self, kind: Kind, id: i64) -> Result<Record> {
        self.engine.read(|tx| {
            with_table!(kind, T => one::<T>(tx, id)?.map(T::into_record))
                .ok_or_else(|| not_found(kind, id))
        })
    }

    fn session_record(&self, id: i64) -> Result<SessionRecord> {
        self.engine.read(|tx| {
            let session = one::<Session>(tx, id)?.ok_or_else(|| not_found(Kind::Session, id))?;
            let by_session = "WHERE session_id = ?";
            Ok(SessionRecord {
                session,
                findings: rows::<Finding>(tx, by_session, &[id.into()])?
                    .into_iter()
                    .map(|e| e.item)
                    .collect(),
                treatments: rows::<Treatment>(tx, by_session, &[id.into()])?
                    .into_iter()
                    .map(|e| e.item)
                    .collect(),
            })
        })
    }

    fn changes(&self) -> Result<Vec<Entry<Change>>> {
        self.engine.read(changes)
    }

    fn is_empty(&self) -> Result<bool> {
        self.engine.read(|tx| {
            for table in TABLES {
                if count(tx, &format!("SELECT count(*) FROM {table}"), &[])? > 0 {
                    return Ok(false);
                }
            }
            Ok(true)
        })
    }

    fn is_demo(&self) -> Result<bool> {
        self.engine.read(|tx| {
            let rows = tx.query("SELECT value FROM meta WHERE key = 'demo'", &[])?;
            Ok(matches!(rows.first().and_then(|r| r.first()), Some(Value::Text(v)) if v == "true"))
        })
    }

    fn add_pain_report(&mut self, report: &PainReport) -> Result<i64> {
        self.engine.write(|tx| insert(tx, None, report))
    }

    fn add_finding(&mut self, finding: &Finding) -> Result<i64> {
        self.engine.write(|tx| insert(tx, None, finding))
    }

    fn add_treatment(&mut self, treatment: &Treatment) -> Result<i64> {
        self.engine.write(|tx| insert(tx, None, treatment))
    }

    fn add_session(&mut self, record: &SessionRecord) -> Result<i64> {
        self.engine.write(|tx| {
            let id = insert(tx, None, &record.session)?;
            for f in &record.findings {
                let linked = Finding {
                    session: Some(id),
                    ..f.clone()
                };
                insert(tx, None, &linked)?;
            }
            for t in &record.treatments {
                let linked = Treatment {
                    session: Some(id),
                    ..t.clone()
                };
                insert(tx, None, &linked)?;
            }
            Ok(id)
        })
    }

    fn add_reaction(&mut self, reaction: &Reaction) -> Result<i64> {
        self.engine.write(|tx| insert(tx, None, reaction))
    }

    fn add_run(&mut self, run: &Run) -> Result<i64> {
        self.engine.write(|tx| insert(tx, None, run))
    }

    fn add_shoe(&mut self, shoe: &Shoe) -> Result<i64> {
        self.engine
            .write(|tx| insert(tx, None, shoe))
            .map_err(|e| match e {
                Error::Conflict(_) => {
                    Error::Conflict(format!("a shoe named `{}` already exists", shoe.name))
                }
                other => other,
            })
    }

    fn add_checkin(&mut self, checkin: &Checkin) -> Result<i64> {
        self.engine
            .write(|tx| insert(tx, None, checkin))
            .map_err(|e| match e {
                Error::Conflict(_) => Error::Conflict(format!(
                    "there is a check-in for {} already: edit it",
                    checkin.date
                )),
                other => other,
            })
    }

    fn edit(&mut self, id: i64, new: &Record, at: Timestamp) -> Result<Change> {
        let kind = new.kind();
        self.engine
            .write(|tx| with_table!(kind, T => edit_in::<T>(tx, id, new, at)))
            .map_err(|e| match (kind, e) {
                (Kind::Shoe, Error::Conflict(_)) => {
                    Error::Conflict("another shoe has that name".into())
                }
                (_, e) => e,
            })
    }

    fn delete(&mut self, kind: Kind, id: i64, at: Timestamp, detach: bool) -> Result<Deleted> {
        self.engine
            .write(|tx| with_table!(kind, T => delete_in::<T>(tx, id, at, detach)))
    }

    fn import_files(&mut self, files: &[ImportFile<'_>]) -> Result<Vec<Result<Vec<Imported>>>> {
        // Usually every file goes in: the group in one transaction, without savepoints (each
        // savepoint copies every page its file changes to a statement journal).
        let all = self.engine.write_bulk(|tx| {
            files
                .iter()
                .map(|file| import_in(tx, file.items, file.original))
                .collect::<Result<Vec<_>>>()
        });
        if let Ok(done) = all {
            return Ok(done.into_iter().map(Ok).collect());
        }
        // A file was refused (the transaction rolled back): again, each file in a savepoint of
        // its own, so the others go in and the refused one is reported.
        self.engine.write_bulk(|tx| {
            let mut out = Vec::with_capacity(files.len());
            for file in files {
                tx.execute("SAVEPOINT import_file", &[])?;
                match import_in(tx, file.items, file.original) {
                    Ok(done) => {
                        tx.execute("RELEASE import_file", &[])?;
                        out.push(Ok(done));
                    }
                    Err(e) => {
                        tx.execute("ROLLBACK TO import_file", &[])?;
                        tx.execute("RELEASE import_file", &[])?;
                        out.push(Err(e));
                    }
                }
            }
            Ok(out)
        })
    }

    fn originals(&self) -> Result<Vec<OriginalInfo>> {
        self.engine.read(|tx| {
            let rows = tx.query(
                "SELECT activity_id, name, size, length(data) FROM originals ORDER BY activity_id",
                &[],
            )?;
            rows.iter()
                .map(|row| match row.as_slice() {
                    [
                        Value::Int(activity),
                        Value::Text(name),
                        Value::Int(size),
                        Value::Int(stored),
                    ] => Ok(OriginalInfo {
                        activity: *activity,
                        name: name.clone(),
                        size: u64::try_from(*size).unwrap_or(0),
                        stored: u64::try_from(*stored).unwrap_or(0),
                    }),
                    other => Err(corrupt(tx, format!("originals: {other:?}"))),
                })
                .collect()
        })
    }

    fn original(&self, activity: i64) -> Result<Option<Original>> {
        self.engine.read(|tx| {
            let mut rows = tx.query(
                "SELECT name, codec, size, crc32, data FROM originals WHERE activity_id = ?",
                &[activity.into()],
            )?;
            let Some(row) = rows.pop() else {
                return Ok(None);
            };
            match <[Value; 5]>::try_from(row) {
                Ok(
                    [
                        Value::Text(name),
                        Value::Text(codec),
                        Value::Int(size),
                        Value::Int(crc32),
                        Value::Blob(data),
                    ],
                ) => Ok(Some(Original {
                    name,
                    codec,
                    size: u64::try_from(size).unwrap_or(0),
                    crc32: u32::try_from(crc32).unwrap_or(0),
                    data,
                })),
                other => Err(corrupt(
                    tx,
                    format!("originals: activity {activity}: {:?}", other.err()),
                )),
            }
        })
    }

    fn sync(&mut self) -> Result<()> {
        self.engine.sync()
    }

    fn replace_all(&mut self, journal: &Journal, demo: bool) -> Result<()> {
        fn put<T: Table>(tx: &mut dyn Tx, entries: &[Entry<T>]) -> Result<()> {
            for e in entries {
                insert(tx, Some(e.id), &e.item)?;
            }
            Ok(())
        }
        self.engine.write(|tx| {
            for table in TABLES {
                tx.execute(&format!("DELETE FROM {table}"), &[])?;
            }
            // A restored journal is another history: its records get new global ids, and a link
            // to a clinic server is made again (`knots share link`).
            tx.execute("DELETE FROM sync_log", &[])?;
            tx.execute("DELETE FROM sync_link", &[])?;
            // The practice's home programs came under that link; linking again pulls them.
            crate::sync::forget_programs(tx)?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('demo', ?) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[demo.to_string().into()],
            )?;
            if journal.profile != Profile::default() {
                insert(tx, Some(1), &journal.profile)?;
            }
            put(tx, &journal.shoes)?;
            put(tx, &journal.runs)?;
            put(tx, &journal.pain_reports)?;
            put(tx, &journal.sessions)?;
            put(tx, &journal.findings)?;
            put(tx, &journal.treatments)?;
            put(tx, &journal.checkins)?;
            put(tx, &journal.activities)?;
            put(tx, &journal.reactions)?;
            for c in &journal.changes {
                insert_change(tx, Some(c.id), &c.item)?;
            }
            for table in TABLES {
                E::after_explicit_ids(tx, table)?;
            }
            Ok(())
        })
    }
}
