//! Home programs: items with a dose, a frequency (days a week) and a start and end date; the
//! runner's ticks; adherence (done / expected) by item and by week, next to pain and tenderness.
//! All SQL here runs in a transaction scoped to one client, so the policies keep it to them.

use jiff::civil::Date;
use knots_core::journal::Journal;
use knots_core::program::{Program as SyncedProgram, ProgramChange, ProgramItem as SyncedItem};
use knots_store::sql::{Tx, Value};
use knots_web::AppError;

/// One prescribed item as sent (`POST /api/clients/{id}/programs`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// What to do: "foam roll vastus lateralis".
    pub what: String,
    /// How much, in words: "60 s at ≤ 7/10", "3 × 30 s", "2 l".
    #[serde(default)]
    pub dose: String,
    /// Days a week, 1-7 (7: daily).
    pub per_week: i64,
    /// First day.
    pub start: Date,
    /// Last day (inclusive).
    pub end: Date,
}

/// A program as sent.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    /// A title: "Week 1-4 after the first session".
    pub title: String,
    /// The items, at least one.
    pub items: Vec<Item>,
}

impl Program {
    /// Checks the rules, naming the field.
    ///
    /// # Errors
    /// 422 naming `items[i].field`.
    pub fn validate(&self) -> Result<(), AppError> {
        if self.title.trim().is_empty() || self.title.len() > 200 {
            return Err(AppError::field(
                "title",
                "give the program a title (≤ 200 characters)",
            ));
        }
        if self.items.is_empty() || self.items.len() > 50 {
            return Err(AppError::field("items", "a program has 1 to 50 items"));
        }
        for (i, item) in self.items.iter().enumerate() {
            let at = |f: &str| format!("items[{i}].{f}");
            if item.what.trim().is_empty() || item.what.len() > 300 {
                return Err(AppError::field(
                    &at("what"),
                    "say what to do (≤ 300 characters)",
                ));
            }
            if item.dose.len() > 200 {
                return Err(AppError::field(&at("dose"), "at most 200 characters"));
            }
            if !(1..=7).contains(&item.per_week) {
                return Err(AppError::field(&at("per_week"), "1 to 7 days a week"));
            }
            if item.end < item.start {
                return Err(AppError::field(&at("end"), "the end is before the start"));
            }
        }
        Ok(())
    }
}

/// An item as stored, with its adherence so far.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ItemView {
    /// Id.
    pub id: i64,
    /// The item.
    #[serde(flatten)]
    pub item: Item,
    /// Days ticked, up to today.
    pub done: i64,
    /// Days expected up to today (`per_week / 7` of the days it has run).
    pub expected: f64,
    /// Whether today is ticked.
    pub done_today: bool,
}

/// A program as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProgramView {
    /// Id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Items.
    pub items: Vec<ItemView>,
}

/// One week of the adherence chart: what was done of what was expected, and the pain and
/// tenderness recorded that week.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Week {
    /// The Monday.
    pub week: Date,
    /// Done / expected, 0-1 (capped), when anything was expected.
    pub adherence: Option<f64>,
    /// Mean of the runs' maximum pain that week.
    pub run_pain: Option<f64>,
    /// Mean tenderness of that week's findings.
    pub tenderness: Option<f64>,
}

fn backend(m: impl std::fmt::Display) -> knots_store::Error {
    knots_store::Error::Backend(m.to_string())
}

fn int(v: &Value) -> i64 {
    if let Value::Int(i) = v { *i } else { 0 }
}

fn text(v: &Value) -> String {
    if let Value::Text(t) = v {
        t.clone()
    } else {
        String::new()
    }
}

/// Stores `program` for `client`; returns its id.
///
/// # Errors
/// The database's.
pub fn add(tx: &mut dyn Tx, client: i64, program: &Program) -> knots_store::Result<i64> {
    let now = jiff::Timestamp::now().as_second();
    let rows = tx.query(
        "INSERT INTO programs (client_id, title, created_s) VALUES (?, ?, ?) RETURNING id",
        &[client.into(), program.title.trim().into(), now.into()],
    )?;
    let id = rows.first().map_or(0, |r| int(&r[0]));
    for item in &program.items {
        tx.execute(
            "INSERT INTO program_items (client_id, program_id, what, dose, per_week, start_date, \
             end_date) VALUES (?, ?, ?, ?, ?, ?, ?)",
            &[
                client.into(),
                id.into(),
                item.what.trim().into(),
                item.dose.trim().into(),
                item.per_week.into(),
                item.start.to_string().into(),
                item.end.to_string().into(),
            ],
        )?;
    }
    Ok(id)
}

/// Days of `[start, end]` up to `today`, inclusive.
fn days_run(start: Date, end: Date, today: Date) -> i64 {
    let last = end.min(today);
    if last < start {
        return 0;
    }
    i64::from((last - start).get_days()) + 1
}

/// Every program of the scoped client, newest first, with adherence as of `today`.
///
/// # Errors
/// The database's.
pub fn list(tx: &mut dyn Tx, today: Date) -> knots_store::Result<Vec<ProgramView>> {
    let programs = tx.query("SELECT id, title FROM programs ORDER BY id DESC", &[])?;
    let items = tx.query(
        "SELECT i.id, i.program_id, i.what, i.dose, i.per_week, i.start_date, i.end_date, \
         (SELECT count(*) FROM ticks t WHERE t.item_id = i.id AND t.date <= ?), \
         EXISTS (SELECT 1 FROM ticks t WHERE t.item_id = i.id AND t.date = ?) \
         FROM program_items i ORDER BY i.id",
        &[today.to_string().into(), today.to_string().into()],
    )?;
    let mut out = Vec::new();
    for p in programs {
        let id = int(&p[0]);
        let mut views = Vec::new();
        for r in items.iter().filter(|r| int(&r[1]) == id) {
            let start: Date = text(&r[5]).parse().map_err(backend)?;
            let end: Date = text(&r[6]).parse().map_err(backend)?;
            let per_week = int(&r[4]);
            #[allow(clippy::cast_precision_loss)]
            let expected = days_run(start, end, today) as f64 * per_week as f64 / 7.0;
            views.push(ItemView {
                id: int(&r[0]),
                item: Item {
                    what: text(&r[2]),
                    dose: text(&r[3]),
                    per_week,
                    start,
                    end,
                },
                done: int(&r[7]),
                expected,
                done_today: matches!(r[8], Value::Bool(true)),
            });
        }
        out.push(ProgramView {
            id,
            title: text(&p[1]),
            items: views,
        });
    }
    Ok(out)
}

/// Ticks (or unticks) item `item` on `date` for the scoped client. An item that is not theirs,
/// or not running that day: `NotFound`.
///
/// # Errors
/// The database's.
pub fn tick(
    tx: &mut dyn Tx,
    client: i64,
    item: i64,
    date: Date,
    done: bool,
) -> knots_store::Result<()> {
    let day = date.to_string();
    let dates = tx.query(
        "SELECT start_date, end_date FROM program_items WHERE id = ?",
        &[item.into()],
    )?;
    let Some(row) = dates.first() else {
        return Err(knots_store::Error::NotFound {
            kind: "program item",
            key: item.to_string(),
        });
    };
    let (start, end) = (text(&row[0]), text(&row[1]));
    // ISO dates compare as text.
    if day < start || day > end {
        return Err(knots_store::Error::Invalid(
            knots_core::journal::FieldError::new(
                "date",
                format!("{day} is outside the item's days ({start} to {end})"),
            ),
        ));
    }
    if done {
        tx.execute(
            "INSERT INTO ticks (client_id, item_id, date) VALUES (?, ?, ?) \
             ON CONFLICT (item_id, date) DO NOTHING",
            &[client.into(), item.into(), day.into()],
        )?;
    } else {
        tx.execute(
            "DELETE FROM ticks WHERE item_id = ? AND date = ?",
            &[item.into(), day.into()],
        )?;
    }
    Ok(())
}

/// The Monday of `d`'s week.
fn monday(d: Date) -> Date {
    let back = i64::from(d.weekday().to_monday_zero_offset());
    d.checked_sub(jiff::Span::new().days(back)).unwrap_or(d)
}

/// Adherence by week since the first program started, up to `today`, beside the journal's run
/// pain and finding tenderness of each week.
///
/// # Errors
/// The database's.
pub fn weeks(tx: &mut dyn Tx, journal: &Journal, today: Date) -> knots_store::Result<Vec<Week>> {
    let programs = list(tx, today)?;
    let ticks = tx.query(
        "SELECT date FROM ticks WHERE date <= ?",
        &[today.to_string().into()],
    )?;
    let items: Vec<&ItemView> = programs.iter().flat_map(|p| &p.items).collect();
    let Some(first) = items.iter().map(|i| i.item.start).min() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut week = monday(first);
    while week <= today {
        let sunday = week.checked_add(jiff::Span::new().days(6)).unwrap_or(week);
        let in_week = |d: Date| d >= week && d <= sunday;
        #[allow(clippy::cast_precision_loss)]
        let expected: f64 = items
            .iter()
            .map(|i| {
                let s = i.item.start.max(week);
                let e = i.item.end.min(sunday);
                days_run(s, e, today) as f64 * i.item.per_week as f64 / 7.0
            })
            .sum();
        #[allow(clippy::cast_precision_loss)]
        let done = ticks
            .iter()
            .filter(|r| text(&r[0]).parse::<Date>().is_ok_and(in_week))
            .count() as f64;
        let mean = |v: Vec<f64>| {
            #[allow(clippy::cast_precision_loss)]
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        };
        let tz = jiff::tz::TimeZone::UTC;
        out.push(Week {
            week,
            adherence: (expected > 0.0).then(|| (done / expected).min(1.0)),
            run_pain: mean(
                journal
                    .runs
                    .iter()
                    .filter(|r| in_week(r.item.date))
                    .filter_map(|r| r.item.max_pain.map(|p| f64::from(p.value())))
                    .collect(),
            ),
            tenderness: mean(
                journal
                    .findings
                    .iter()
                    .filter(|f| in_week(f.item.at.to_zoned(tz.clone()).date()))
                    .map(|f| f64::from(f.item.tenderness.value()))
                    .collect(),
            ),
        });
        week = week
            .checked_add(jiff::Span::new().days(7))
            .unwrap_or(today.tomorrow().unwrap_or(today));
        if week == monday(today) && week > today {
            break;
        }
    }
    Ok(out)
}

/// Replaces program `id` of the scoped client with `program`: its title, and its items in order
/// (the first stored items take the new values in turn, keeping their ids, global ids and ticks;
/// extra new items are added; stored items beyond the new list are deleted, with their ticks).
/// An id the scope does not see: `NotFound`.
///
/// # Errors
/// The database's.
pub fn update(tx: &mut dyn Tx, client: i64, id: i64, program: &Program) -> knots_store::Result<()> {
    let found = tx.query(
        "UPDATE programs SET title = ? WHERE id = ? AND client_id = ? RETURNING id",
        &[program.title.trim().into(), id.into(), client.into()],
    )?;
    if found.is_empty() {
        return Err(knots_store::Error::NotFound {
            kind: "program",
            key: id.to_string(),
        });
    }
    let stored = tx.query(
        "SELECT id FROM program_items WHERE program_id = ? ORDER BY id",
        &[id.into()],
    )?;
    for (i, item) in program.items.iter().enumerate() {
        let values = [
            item.what.trim().into(),
            item.dose.trim().into(),
            item.per_week.into(),
            item.start.to_string().into(),
            item.end.to_string().into(),
        ];
        if let Some(row) = stored.get(i) {
            let mut args = values.to_vec();
            args.push(row[0].clone());
            tx.execute(
                "UPDATE program_items SET what = ?, dose = ?, per_week = ?, start_date = ?, \
                 end_date = ? WHERE id = ?",
                &args,
            )?;
        } else {
            let mut args = vec![client.into(), id.into()];
            args.extend(values);
            tx.execute(
                "INSERT INTO program_items (client_id, program_id, what, dose, per_week, \
                 start_date, end_date) VALUES (?, ?, ?, ?, ?, ?, ?)",
                &args,
            )?;
        }
    }
    for row in stored.iter().skip(program.items.len()) {
        tx.execute("DELETE FROM program_items WHERE id = ?", &[row[0].clone()])?;
    }
    Ok(())
}

/// Deletes program `id` of the scoped client, with its items and their ticks. An id the scope
/// does not see: `NotFound`.
///
/// # Errors
/// The database's.
pub fn remove(tx: &mut dyn Tx, client: i64, id: i64) -> knots_store::Result<()> {
    let gone = tx.query(
        "DELETE FROM programs WHERE id = ? AND client_id = ? RETURNING id",
        &[id.into(), client.into()],
    )?;
    if gone.is_empty() {
        return Err(knots_store::Error::NotFound {
            kind: "program",
            key: id.to_string(),
        });
    }
    Ok(())
}

/// A page of the scoped client's program changes after sequence `after`: at most `limit` lines
/// of `program_log`, and no more once the programs' JSON passes `max_bytes` (a page holds at
/// least one). Each change carries the program as it is now (its items in order, each with its
/// ticks), or none for a deleted one. Returns the changes, the highest sequence looked at (or
/// `after`) and whether there may be more.
///
/// # Errors
/// The database's.
pub fn changes_after(
    tx: &mut dyn Tx,
    client: i64,
    after: i64,
    limit: usize,
    max_bytes: usize,
) -> knots_store::Result<(Vec<ProgramChange>, i64, bool)> {
    let lines = tx.query(
        "SELECT seq, uid, program_id, deleted FROM program_log WHERE client_id = ? AND seq > ? \
         ORDER BY seq LIMIT ?",
        &[
            client.into(),
            after.into(),
            i64::try_from(limit).unwrap_or(i64::MAX).into(),
        ],
    )?;
    let mut more = lines.len() >= limit;
    let mut last = after;
    let mut bytes = 0;
    let mut out = Vec::new();
    for line in &lines {
        if bytes > max_bytes {
            more = true;
            break;
        }
        let seq = int(&line[0]);
        last = seq;
        let uid = text(&line[1]);
        let program = if matches!(line[3], Value::Bool(true)) {
            None
        } else {
            whole(tx, int(&line[2]))?
        };
        let change = ProgramChange { seq, uid, program };
        bytes += serde_json::to_string(&change).map_or(0, |s| s.len());
        out.push(change);
    }
    Ok((out, last, more))
}

/// Program `id` as it travels, or `None` when it is gone.
fn whole(tx: &mut dyn Tx, id: i64) -> knots_store::Result<Option<SyncedProgram>> {
    let Some(p) = tx
        .query("SELECT title FROM programs WHERE id = ?", &[id.into()])?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let items = tx.query(
        "SELECT id, uid, what, dose, per_week, start_date, end_date FROM program_items \
         WHERE program_id = ? ORDER BY id",
        &[id.into()],
    )?;
    let ticks = tx.query(
        "SELECT t.item_id, t.date FROM ticks t JOIN program_items i ON i.id = t.item_id \
         WHERE i.program_id = ? ORDER BY t.item_id, t.date",
        &[id.into()],
    )?;
    let mut list = Vec::with_capacity(items.len());
    for r in &items {
        let item = int(&r[0]);
        let mut days = Vec::new();
        for t in ticks.iter().filter(|t| int(&t[0]) == item) {
            days.push(text(&t[1]).parse().map_err(backend)?);
        }
        list.push(SyncedItem {
            uid: text(&r[1]),
            what: text(&r[2]),
            dose: text(&r[3]),
            per_week: u8::try_from(int(&r[4])).map_err(backend)?,
            start: text(&r[5]).parse().map_err(backend)?,
            end: text(&r[6]).parse().map_err(backend)?,
            ticks: days,
        });
    }
    Ok(Some(SyncedProgram {
        title: text(&p[0]),
        items: list,
    }))
}
