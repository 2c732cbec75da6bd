//! Sync between a runner's own journal and a clinic server, on the store's side: global ids, the
//! sync log, pages of changes to send ([`Db::changes_after`]), applying the other side's changes
//! ([`Db::apply`]) and the journal's link to its server ([`Link`]). The protocol (HTTP, tokens)
//! lives in `knots_app::sync` and `knots_clinic::sync`; who owns what in `knots_core::sync`.
//!
//! Every synced record (`knots_core::sync::SYNCED`) has a `uid` (UUID v7), an `origin` (NULL when
//! written in this journal, else the side it came from, which alone may change it: edits and
//! deletes of it here are refused) and a `version` (the sequence number of the origin's change
//! last applied). Every insert, edit and delete of a record written here moves that record's one
//! line in `sync_log` to a new, never reused sequence number, in the same transaction; a delete
//! leaves the line as a tombstone. A peer that has everything up to sequence `n` asks for what
//! comes after `n`. Applying skips a change whose sequence is not above the record's `version`,
//! so a page replayed after a cut connection changes nothing.

use crate::db::{corrupt, count, delete_row, insert_with, placeholders, rows, update, with_table};
use crate::records::Table;
use crate::sql::{Engine, Tx, Value};
use crate::{Db, Error, Result};
use jiff::Timestamp;
use knots_core::change::{Kind, Record};
use knots_core::journal::{
    Activity, Checkin, Finding, PainReport, Profile, Reaction, Run, Session, Shoe, Treatment,
};
use knots_core::program::{Program, ProgramChange, ProgramItem, TickChange};
use knots_core::sync::{Share, Side};

pub use knots_core::sync::synced;

/// One change as it travels: the record's kind and global id, its state after the change (the
/// export form, its reference left out) or `None` for a deletion, and the global id of the
/// record it refers to (a run's shoe, a finding's or treatment's session).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Item {
    /// The sender's sequence number of this change.
    pub seq: i64,
    /// The record's kind.
    pub kind: Kind,
    /// Its global id.
    pub uid: String,
    /// The record after the change, in its export form with its reference `null`; `None`: it
    /// was deleted (a tombstone).
    pub record: Option<serde_json::Value>,
    /// The global id of the record it refers to.
    #[serde(default)]
    pub parent: Option<String>,
}

/// A change to apply, checked by the caller (`knots_app::sync::decode`).
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    /// The sender's sequence number.
    pub seq: i64,
    /// The record's global id.
    pub uid: String,
    /// The kind.
    pub kind: Kind,
    /// The record after the change (its reference ignored), or `None` for a deletion.
    pub record: Option<Record>,
    /// The global id of the record it refers to; one this journal lacks becomes no reference.
    pub parent: Option<String>,
}

/// A page of this journal's changes after a cursor.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    /// The changes to send, a referenced record before the record naming it.
    pub items: Vec<Item>,
    /// The highest sequence number the page looked at (the cursor to move to once it is
    /// acknowledged); the cursor given when there was nothing.
    pub last: i64,
    /// Whether there may be more after `last`.
    pub more: bool,
}

/// What [`Db::apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Applied {
    /// Changes written.
    pub applied: usize,
    /// Changes already here (replayed).
    pub already: usize,
    /// Changes to records this side owns or another side wrote: not written.
    pub refused: usize,
}

/// A runner's journal's link to a clinic server.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// The server's base URL.
    pub url: String,
    /// The device token (the server keeps only its hash).
    pub token: String,
    /// The kinds shared.
    pub shares: Vec<Share>,
    /// Every change of this journal up to this sequence number is on the server.
    pub pushed: i64,
    /// Every change of the server up to this sequence number is here.
    pub pulled: i64,
    /// When the last sync completed.
    pub synced_at: Option<Timestamp>,
    /// Every program change of the server up to this sequence number is here (programs have a
    /// log of their own on the server: `knots_clinic::sync::programs`).
    pub programs_pulled: i64,
    /// Every tick made here up to this sequence number is on the server.
    pub ticks_pushed: i64,
}

/// The length of an item's JSON.
fn size(item: &Item) -> usize {
    serde_json::to_string(item).map_or(0, |s| s.len())
}

/// A new global id: a UUID v7 (time-ordered, random).
pub(crate) fn new_uid() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The table of a synced kind.
fn table(kind: Kind) -> &'static str {
    with_table!(kind, T => T::TABLE)
}

/// Logs a record just inserted under the new global id `uid` (it has no line to move yet).
pub(crate) fn log_new(tx: &mut dyn Tx, kind: Kind, uid: &str) -> Result<()> {
    append(tx, kind, uid, false)
}

/// Moves `uid`'s line in the sync log to a new sequence number (`deleted`: as a tombstone).
pub(crate) fn log(tx: &mut dyn Tx, kind: Kind, uid: &str, deleted: bool) -> Result<()> {
    tx.execute(
        "DELETE FROM sync_log WHERE kind = ? AND uid = ?",
        &[kind.as_str().into(), uid.into()],
    )?;
    append(tx, kind, uid, deleted)
}

/// Adds `uid`'s line at the end of the sync log.
fn append(tx: &mut dyn Tx, kind: Kind, uid: &str, deleted: bool) -> Result<()> {
    tx.execute(
        "INSERT INTO sync_log (kind, uid, deleted) VALUES (?, ?, ?)",
        &[kind.as_str().into(), uid.into(), deleted.into()],
    )?;
    Ok(())
}

/// The global id and origin of record `id`.
fn uid_of(tx: &mut dyn Tx, kind: Kind, id: i64) -> Result<Option<(String, Option<String>)>> {
    let rows = tx.query(
        &format!("SELECT uid, origin FROM {} WHERE id = ?", table(kind)),
        &[id.into()],
    )?;
    Ok(match rows.first().map(Vec::as_slice) {
        Some([Value::Text(uid), origin]) => Some((
            uid.clone(),
            match origin {
                Value::Text(o) => Some(o.clone()),
                _ => None,
            },
        )),
        _ => None,
    })
}

/// Logs a change of record `id` written here (nothing for a kind that is not synced).
pub(crate) fn log_row(tx: &mut dyn Tx, kind: Kind, id: i64) -> Result<()> {
    if synced(kind)
        && let Some((uid, None)) = uid_of(tx, kind, id)?
    {
        log(tx, kind, &uid, false)?;
    }
    Ok(())
}

/// Logs the deletion of record `id` (a tombstone).
pub(crate) fn log_deleted(tx: &mut dyn Tx, kind: Kind, id: i64) -> Result<()> {
    if synced(kind)
        && let Some((uid, None)) = uid_of(tx, kind, id)?
    {
        log(tx, kind, &uid, true)?;
    }
    Ok(())
}

/// Refuses a change here to record `id` when it came by sync: its owner changes it.
pub(crate) fn owned_here(tx: &mut dyn Tx, kind: Kind, id: i64) -> Result<()> {
    if !synced(kind) {
        return Ok(());
    }
    if let Some((_, Some(origin))) = uid_of(tx, kind, id)? {
        let owner = origin.parse::<Side>().map_or("its owner", Side::noun);
        return Err(Error::Conflict(format!(
            "{} {id} belongs to {owner} (it came by sync): only its owner can change or delete it",
            kind.noun()
        )));
    }
    Ok(())
}

/// The id a record's reference points at (a run's shoe, a finding's or treatment's session).
fn reference(record: &Record) -> Option<i64> {
    match record {
        Record::Run(r) => r.shoe,
        Record::Finding(f) => f.session,
        Record::Treatment(t) => t.session,
        _ => None,
    }
}

/// `record` with its reference set to `id`.
fn with_reference(record: &Record, id: Option<i64>) -> Record {
    match record {
        Record::Run(r) => Record::Run(Run {
            shoe: id,
            ..r.clone()
        }),
        Record::Finding(f) => Record::Finding(Finding {
            session: id,
            ..f.clone()
        }),
        Record::Treatment(t) => Record::Treatment(Treatment {
            session: id,
            ..t.clone()
        }),
        other => other.clone(),
    }
}

fn int(v: Option<&Value>) -> Option<i64> {
    match v {
        Some(Value::Int(i)) => Some(*i),
        _ => None,
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::Text(t)) => Some(t.clone()),
        _ => None,
    }
}

/// The record of `kind` with global id `uid` written here, with its id.
fn local_record(tx: &mut dyn Tx, kind: Kind, uid: &str) -> Result<Option<(i64, Record)>> {
    with_table!(kind, T => Ok(rows::<T>(tx, "WHERE uid = ? AND origin IS NULL", &[uid.into()])?
        .pop()
        .map(|e| (e.id, e.item.into_record()))))
}

/// A referenced record written here: its log sequence, kind and global id.
type Parent = (i64, Kind, String);

/// The item for record `record` (logged at `seq`), its reference as a global id.
fn to_item(
    tx: &mut dyn Tx,
    seq: i64,
    kind: Kind,
    uid: &str,
    record: &Record,
) -> Result<(Item, Option<Parent>)> {
    let mut parent = None;
    let mut parent_uid = None;
    if let (Some(id), Some(pkind)) = (reference(record), knots_core::sync::parent(kind)) {
        let found = tx.query(
            &format!(
                "SELECT p.uid, l.seq FROM {} p LEFT JOIN sync_log l ON l.kind = ? AND l.uid = p.uid \
                 WHERE p.id = ?",
                table(pkind)
            ),
            &[pkind.as_str().into(), id.into()],
        )?;
        if let Some(row) = found.first() {
            parent_uid = text(row.first());
            if let (Some(puid), Some(pseq)) = (parent_uid.clone(), int(row.get(1))) {
                parent = Some((pseq, pkind, puid));
            }
        }
    }
    Ok((
        Item {
            seq,
            kind,
            uid: uid.to_string(),
            record: Some(with_reference(record, None).to_json()),
            parent: parent_uid,
        },
        parent,
    ))
}

impl<E: Engine> Db<E> {
    /// Up to `limit` lines of this journal's sync log after sequence `after`, and no more once the
    /// items' JSON passes `max_bytes` (a page always holds the first), as the changes to send: the records written here that `keep` accepts (`keep(kind, None)` for a deletion). A
    /// record referred to by one of them and changed later than it goes first, with its own
    /// sequence number (the receiver then skips it when its turn comes).
    ///
    /// # Errors
    /// The engine's; [`Error::Corrupt`] for a log line of an unknown kind.
    pub fn changes_after(
        &self,
        after: i64,
        limit: usize,
        max_bytes: usize,
        keep: impl Fn(Kind, Option<&Record>) -> bool,
    ) -> Result<Page> {
        self.engine.read(|tx| {
            let lines = tx.query(
                "SELECT seq, kind, uid, deleted FROM sync_log WHERE seq > ? ORDER BY seq LIMIT ?",
                &[
                    after.into(),
                    i64::try_from(limit).unwrap_or(i64::MAX).into(),
                ],
            )?;
            let mut page = Page {
                items: Vec::new(),
                last: after,
                more: lines.len() >= limit,
            };
            let mut bytes = 0;
            for line in &lines {
                if bytes > max_bytes {
                    page.more = true;
                    break;
                }
                let (Some(seq), Some(kind), Some(uid)) =
                    (int(line.first()), text(line.get(1)), text(line.get(2)))
                else {
                    return Err(corrupt(tx, format!("sync_log: {line:?}")));
                };
                page.last = seq;
                let kind: Kind = kind
                    .parse()
                    .map_err(|e| corrupt(tx, format!("sync_log: {e}")))?;
                let deleted = matches!(line.get(3), Some(Value::Bool(true) | Value::Int(1)));
                if deleted {
                    if keep(kind, None) {
                        bytes += uid.len() + 64;
                        page.items.push(Item {
                            seq,
                            kind,
                            uid,
                            record: None,
                            parent: None,
                        });
                    }
                    continue;
                }
                let Some((_, record)) = local_record(tx, kind, &uid)? else {
                    continue;
                };
                if !keep(kind, Some(&record)) {
                    continue;
                }
                let (mut item, parent) = to_item(tx, seq, kind, &uid, &record)?;
                // A reference to a record written here travels only when that record does (else
                // the other side would hold an id it can never resolve); one to a record from
                // the other side always does.
                if let Some((pseq, pkind, puid)) = parent {
                    match local_record(tx, pkind, &puid)? {
                        Some((_, precord)) if keep(pkind, Some(&precord)) => {
                            if pseq > seq && !page.items.iter().any(|i| i.uid == puid) {
                                let early = to_item(tx, pseq, pkind, &puid, &precord)?.0;
                                bytes += size(&early);
                                page.items.push(early);
                            }
                        }
                        _ => item.parent = None,
                    }
                }
                bytes += size(&item);
                page.items.push(item);
            }
            Ok(page)
        })
    }

    /// Applies the other side's changes in one transaction, as `from` wrote them: a new global
    /// id is inserted (origin `from`, version its sequence), a known one of that origin is
    /// replaced or deleted when the change is newer than its version, and a change to a record
    /// written here or by a third side is refused (counted, not written). `pulled`: also moves
    /// the link's pull cursor, in the same transaction.
    ///
    /// # Errors
    /// The engine's; a record breaking a constraint (a taken shoe name) fails the whole call.
    pub fn apply(
        &mut self,
        from: Side,
        items: &[Incoming],
        pulled: Option<i64>,
    ) -> Result<Applied> {
        self.engine.write(|tx| {
            let mut out = Applied::default();
            for it in items {
                if !synced(it.kind) {
                    out.refused += 1;
                    continue;
                }
                let found = tx.query(
                    &format!(
                        "SELECT id, origin, version FROM {} WHERE uid = ?",
                        table(it.kind)
                    ),
                    &[it.uid.as_str().into()],
                )?;
                let existing = found
                    .first()
                    .map(|r| (int(r.first()), text(r.get(1)), int(r.get(2))));
                match (existing, &it.record) {
                    (Some((Some(id), origin, version)), record) => {
                        if origin.as_deref() != Some(from.as_str()) {
                            out.refused += 1;
                        } else if version.is_some_and(|v| v >= it.seq) {
                            out.already += 1;
                        } else if let Some(record) = record {
                            let record = resolve(tx, it, record)?;
                            with_table!(it.kind, T => {
                                if let Some(r) = T::from_record(&record) {
                                    update::<T>(tx, id, r)?;
                                }
                            });
                            tx.execute(
                                &format!("UPDATE {} SET version = ? WHERE id = ?", table(it.kind)),
                                &[it.seq.into(), id.into()],
                            )?;
                            out.applied += 1;
                        } else {
                            remove(tx, it.kind, id)?;
                            out.applied += 1;
                        }
                    }
                    (_, Some(record)) => {
                        let record = resolve(tx, it, record)?;
                        let extra = [
                            ("uid", it.uid.as_str().into()),
                            ("origin", from.as_str().into()),
                            ("version", it.seq.into()),
                        ];
                        with_table!(it.kind, T => {
                            if let Some(r) = T::from_record(&record) {
                                insert_with::<T>(tx, None, r, &extra)?;
                            }
                        });
                        out.applied += 1;
                    }
                    (_, None) => out.already += 1,
                }
            }
            if let Some(pulled) = pulled {
                tx.execute("UPDATE sync_link SET pulled = ?", &[pulled.into()])?;
            }
            Ok(out)
        })
    }

    /// The link to a clinic server, if this journal has one.
    ///
    /// # Errors
    /// The engine's; [`Error::Corrupt`] for a damaged link row.
    pub fn link(&self) -> Result<Option<Link>> {
        self.engine.read(|tx| {
            let rows = tx.query(
                "SELECT url, token, shares, pushed, pulled, synced_at, programs_pulled, ticks_pushed \
                 FROM sync_link WHERE id = 1",
                &[],
            )?;
            let Some(r) = rows.first() else {
                return Ok(None);
            };
            let bad = |tx: &dyn Tx, what: &str| corrupt(tx, format!("sync_link: {what}"));
            let shares = knots_core::sync::parse_shares(&text(r.get(2)).unwrap_or_default())
                .map_err(|e| bad(tx, &e.to_string()))?;
            Ok(Some(Link {
                url: text(r.first()).ok_or_else(|| bad(tx, "url"))?,
                token: text(r.get(1)).ok_or_else(|| bad(tx, "token"))?,
                shares,
                pushed: int(r.get(3)).ok_or_else(|| bad(tx, "pushed"))?,
                pulled: int(r.get(4)).ok_or_else(|| bad(tx, "pulled"))?,
                synced_at: text(r.get(5))
                    .map(|t| t.parse())
                    .transpose()
                    .map_err(|e: jiff::Error| bad(tx, &e.to_string()))?,
                programs_pulled: int(r.get(6)).ok_or_else(|| bad(tx, "programs_pulled"))?,
                ticks_pushed: int(r.get(7)).ok_or_else(|| bad(tx, "ticks_pushed"))?,
            }))
        })
    }

    /// Stores `link` as this journal's link (replacing one), or forgets it (`None`).
    ///
    /// # Errors
    /// The engine's.
    pub fn set_link(&mut self, link: Option<&Link>) -> Result<()> {
        self.engine.write(|tx| {
            tx.execute("DELETE FROM sync_link", &[])?;
            if let Some(l) = link {
                let shares: Vec<&str> = l.shares.iter().map(|s| s.as_str()).collect();
                tx.execute(
                    &format!(
                        "INSERT INTO sync_link (id, url, token, shares, pushed, pulled, synced_at, \
                         programs_pulled, ticks_pushed) VALUES ({})",
                        placeholders(9)
                    ),
                    &[
                        1.into(),
                        l.url.as_str().into(),
                        l.token.as_str().into(),
                        shares.join(",").into(),
                        l.pushed.into(),
                        l.pulled.into(),
                        l.synced_at.map(|t| t.to_string()).into(),
                        l.programs_pulled.into(),
                        l.ticks_pushed.into(),
                    ],
                )?;
            }
            Ok(())
        })
    }

    /// Records that the server acknowledged every change up to `seq`.
    ///
    /// # Errors
    /// The engine's.
    pub fn set_pushed(&mut self, seq: i64) -> Result<()> {
        self.engine.write(|tx| {
            tx.execute("UPDATE sync_link SET pushed = ?", &[seq.into()])?;
            Ok(())
        })
    }

    /// Records when a sync completed.
    ///
    /// # Errors
    /// The engine's.
    pub fn set_synced_at(&mut self, at: Timestamp) -> Result<()> {
        self.engine.write(|tx| {
            tx.execute(
                "UPDATE sync_link SET synced_at = ?",
                &[at.to_string().into()],
            )?;
            Ok(())
        })
    }

    /// Every synced record of this journal as an item (sequence 0) with its origin (`None`:
    /// written here), by kind and global id: what two sides compare.
    ///
    /// # Errors
    /// The engine's.
    pub fn synced_records(&self) -> Result<Vec<(Option<Side>, Item)>> {
        self.engine.read(|tx| {
            let mut out = Vec::new();
            for kind in knots_core::sync::SYNCED {
                let meta = tx.query(
                    &format!("SELECT id, uid, origin FROM {} ORDER BY id", table(*kind)),
                    &[],
                )?;
                for r in meta {
                    let (Some(id), Some(uid)) = (int(r.first()), text(r.get(1))) else {
                        continue;
                    };
                    let origin = text(r.get(2)).and_then(|o| o.parse().ok());
                    let record = with_table!(*kind, T => rows::<T>(tx, "WHERE id = ?", &[id.into()])?
                        .pop()
                        .map(|e| e.item.into_record()));
                    if let Some(record) = record {
                        let (mut it, _) = to_item(tx, 0, *kind, &uid, &record)?;
                        it.seq = 0;
                        out.push((origin, it));
                    }
                }
            }
            out.sort_by(|a, b| (a.1.kind, &a.1.uid).cmp(&(b.1.kind, &b.1.uid)));
            Ok(out)
        })
    }

    /// Applies the practice's program changes in one transaction: a program not held yet is
    /// stored, a held one is replaced whole (title, items, ticks) when the change's sequence is
    /// above its `version`, and removed by a tombstone; an older or replayed change is skipped.
    /// `pulled`: also moves the link's program cursor, in the same transaction.
    ///
    /// # Errors
    /// The engine's (a change breaking a constraint fails the whole call).
    pub fn apply_programs(
        &mut self,
        changes: &[ProgramChange],
        pulled: Option<i64>,
    ) -> Result<Applied> {
        self.engine.write(|tx| {
            let mut out = Applied::default();
            for c in changes {
                let found = tx.query(
                    "SELECT id, version FROM home_programs WHERE uid = ?",
                    &[c.uid.as_str().into()],
                )?;
                let held = found.first().map(|r| (int(r.first()), int(r.get(1))));
                if held.is_some_and(|(_, v)| v.is_some_and(|v| v >= c.seq)) {
                    out.already += 1;
                    continue;
                }
                let id = held.and_then(|(id, _)| id);
                if let Some(id) = id {
                    clear_program(tx, id)?;
                }
                let Some(p) = &c.program else {
                    if let Some(id) = id {
                        tx.execute("DELETE FROM home_programs WHERE id = ?", &[id.into()])?;
                        out.applied += 1;
                    } else {
                        out.already += 1;
                    }
                    continue;
                };
                let id = if let Some(id) = id {
                    tx.execute(
                        "UPDATE home_programs SET title = ?, version = ? WHERE id = ?",
                        &[p.title.as_str().into(), c.seq.into(), id.into()],
                    )?;
                    id
                } else {
                    let rows = tx.query(
                        "INSERT INTO home_programs (uid, title, version) VALUES (?, ?, ?) \
                         RETURNING id",
                        &[c.uid.as_str().into(), p.title.as_str().into(), c.seq.into()],
                    )?;
                    int(rows.first().and_then(|r| r.first()))
                        .ok_or_else(|| Error::Backend("home_programs: no id returned".into()))?
                };
                for (position, item) in p.items.iter().enumerate() {
                    let rows = tx.query(
                        &format!(
                            "INSERT INTO home_program_items (program_id, uid, position, what, \
                             dose, per_week, start_date, end_date) VALUES ({}) RETURNING id",
                            placeholders(8)
                        ),
                        &[
                            id.into(),
                            item.uid.as_str().into(),
                            i64::try_from(position).unwrap_or(i64::MAX).into(),
                            item.what.as_str().into(),
                            item.dose.as_str().into(),
                            i64::from(item.per_week).into(),
                            item.start.to_string().into(),
                            item.end.to_string().into(),
                        ],
                    )?;
                    let item_id = int(rows.first().and_then(|r| r.first())).ok_or_else(|| {
                        Error::Backend("home_program_items: no id returned".into())
                    })?;
                    for day in &item.ticks {
                        tx.execute(
                            "INSERT INTO home_program_ticks (item_id, date) VALUES (?, ?) \
                             ON CONFLICT (item_id, date) DO NOTHING",
                            &[item_id.into(), day.to_string().into()],
                        )?;
                    }
                }
                out.applied += 1;
            }
            if let Some(pulled) = pulled {
                tx.execute("UPDATE sync_link SET programs_pulled = ?", &[pulled.into()])?;
            }
            Ok(out)
        })
    }

    /// The practice's home programs held here, in the order they arrived, each with its global
    /// id.
    ///
    /// # Errors
    /// The engine's; [`Error::Corrupt`] for a date that does not parse.
    pub fn home_programs(&self) -> Result<Vec<(String, Program)>> {
        self.engine.read(|tx| {
            let programs = tx.query("SELECT id, uid, title FROM home_programs ORDER BY id", &[])?;
            let items = tx.query(
                "SELECT id, program_id, uid, what, dose, per_week, start_date, end_date \
                 FROM home_program_items ORDER BY program_id, position",
                &[],
            )?;
            let ticks = tx.query(
                "SELECT item_id, date FROM home_program_ticks ORDER BY item_id, date",
                &[],
            )?;
            let date = |tx: &dyn Tx, v: Option<&Value>| -> Result<jiff::civil::Date> {
                text(v)
                    .unwrap_or_default()
                    .parse()
                    .map_err(|e: jiff::Error| corrupt(tx, format!("home_program_items: {e}")))
            };
            let mut out = Vec::with_capacity(programs.len());
            for p in &programs {
                let pid = int(p.first());
                let mut list = Vec::new();
                for i in items.iter().filter(|i| int(i.get(1)) == pid) {
                    let iid = int(i.first());
                    let mut days = Vec::new();
                    for t in ticks.iter().filter(|t| int(t.first()) == iid) {
                        days.push(date(tx, t.get(1))?);
                    }
                    list.push(ProgramItem {
                        uid: text(i.get(2)).unwrap_or_default(),
                        what: text(i.get(3)).unwrap_or_default(),
                        dose: text(i.get(4)).unwrap_or_default(),
                        per_week: int(i.get(5))
                            .and_then(|n| u8::try_from(n).ok())
                            .ok_or_else(|| corrupt(tx, "home_program_items: per_week".into()))?,
                        start: date(tx, i.get(6))?,
                        end: date(tx, i.get(7))?,
                        ticks: days,
                    });
                }
                out.push((
                    text(p.get(1)).unwrap_or_default(),
                    Program {
                        title: text(p.get(2)).unwrap_or_default(),
                        items: list,
                    },
                ));
            }
            Ok(out)
        })
    }

    /// Ticks (or, `done` false, unticks) item `item` (a global id) of a held program on `day`,
    /// here and in the log of ticks the next sync sends, in one transaction.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an item not held; [`Error::Invalid`] for a day outside its dates.
    pub fn tick_item(&mut self, item: &str, day: jiff::civil::Date, done: bool) -> Result<()> {
        self.engine.write(|tx| {
            let rows = tx.query(
                "SELECT id, start_date, end_date FROM home_program_items WHERE uid = ?",
                &[item.into()],
            )?;
            let Some(r) = rows.first() else {
                return Err(Error::NotFound {
                    kind: "program item",
                    key: item.to_string(),
                });
            };
            let id = int(r.first()).unwrap_or(0);
            let (start, end) = (
                text(r.get(1)).unwrap_or_default(),
                text(r.get(2)).unwrap_or_default(),
            );
            let d = day.to_string();
            if d < start || d > end {
                return Err(Error::Invalid(knots_core::journal::FieldError::new(
                    "date",
                    format!("the item runs from {start} to {end}"),
                )));
            }
            if done {
                tx.execute(
                    "INSERT INTO home_program_ticks (item_id, date) VALUES (?, ?) \
                     ON CONFLICT (item_id, date) DO NOTHING",
                    &[id.into(), d.as_str().into()],
                )?;
            } else {
                tx.execute(
                    "DELETE FROM home_program_ticks WHERE item_id = ? AND date = ?",
                    &[id.into(), d.as_str().into()],
                )?;
            }
            tx.execute(
                "INSERT INTO home_program_tick_log (item_uid, date, done) VALUES (?, ?, ?)",
                &[item.into(), d.into(), done.into()],
            )?;
            Ok(())
        })
    }

    /// Up to `limit` ticks made here after sequence `after`, in order, with the highest
    /// sequence looked at (or `after`) and whether there may be more.
    ///
    /// # Errors
    /// The engine's; [`Error::Corrupt`] for a damaged line.
    pub fn ticks_after(&self, after: i64, limit: usize) -> Result<(Vec<TickChange>, i64, bool)> {
        self.engine.read(|tx| {
            let rows = tx.query(
                "SELECT seq, item_uid, date, done FROM home_program_tick_log WHERE seq > ? \
                 ORDER BY seq LIMIT ?",
                &[
                    after.into(),
                    i64::try_from(limit).unwrap_or(i64::MAX).into(),
                ],
            )?;
            let more = rows.len() >= limit;
            let mut last = after;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                last = int(r.first()).unwrap_or(last);
                out.push(TickChange {
                    item: text(r.get(1)).unwrap_or_default(),
                    date: text(r.get(2)).unwrap_or_default().parse().map_err(
                        |e: jiff::Error| corrupt(tx, format!("home_program_tick_log: {e}")),
                    )?,
                    done: matches!(r.get(3), Some(Value::Bool(true) | Value::Int(1))),
                });
            }
            Ok((out, last, more))
        })
    }

    /// Records that the server has every tick made here up to `seq`.
    ///
    /// # Errors
    /// The engine's.
    pub fn set_ticks_pushed(&mut self, seq: i64) -> Result<()> {
        self.engine.write(|tx| {
            tx.execute("UPDATE sync_link SET ticks_pushed = ?", &[seq.into()])?;
            Ok(())
        })
    }

    /// How many lines the sync log holds (tests: one per record ever written here).
    ///
    /// # Errors
    /// The engine's.
    pub fn sync_log_len(&self) -> Result<i64> {
        self.engine
            .read(|tx| count(tx, "SELECT count(*) FROM sync_log", &[]))
    }
}

/// Removes the items and ticks of held program `id` (the program's row stays).
fn clear_program(tx: &mut dyn Tx, id: i64) -> Result<()> {
    tx.execute(
        "DELETE FROM home_program_ticks WHERE item_id IN \
         (SELECT id FROM home_program_items WHERE program_id = ?)",
        &[id.into()],
    )?;
    tx.execute(
        "DELETE FROM home_program_items WHERE program_id = ?",
        &[id.into()],
    )?;
    Ok(())
}

/// Forgets every home program held here (a restore: they came under a link that is gone).
pub(crate) fn forget_programs(tx: &mut dyn Tx) -> Result<()> {
    tx.execute("DELETE FROM home_program_tick_log", &[])?;
    tx.execute("DELETE FROM home_program_ticks", &[])?;
    tx.execute("DELETE FROM home_program_items", &[])?;
    tx.execute("DELETE FROM home_programs", &[])?;
    Ok(())
}

/// `record` with its reference resolved: the parent's global id to this journal's id, none when
/// this journal lacks it.
fn resolve(tx: &mut dyn Tx, it: &Incoming, record: &Record) -> Result<Record> {
    let parent = match (&it.parent, knots_core::sync::parent(it.kind)) {
        (Some(puid), Some(pkind)) => int(tx
            .query(
                &format!("SELECT id FROM {} WHERE uid = ?", table(pkind)),
                &[puid.as_str().into()],
            )?
            .first()
            .and_then(|r| r.first())),
        _ => None,
    };
    Ok(with_reference(record, parent))
}

/// Deletes record `id` that came by sync; what refers to it here stays, without the reference
/// (the other side sends the deletion of what it deleted with it).
fn remove(tx: &mut dyn Tx, kind: Kind, id: i64) -> Result<()> {
    let detach: &[(&str, &str)] = match kind {
        Kind::Session => &[("findings", "session_id"), ("treatments", "session_id")],
        Kind::Shoe => &[("runs", "shoe_id")],
        Kind::Run => &[("activities", "run_id")],
        Kind::Treatment => &[("reactions", "treatment_id")],
        _ => &[],
    };
    for (t, column) in detach {
        tx.execute(
            &format!("UPDATE {t} SET {column} = NULL WHERE {column} = ?"),
            &[id.into()],
        )?;
    }
    delete_row(tx, table(kind), id)?;
    Ok(())
}
