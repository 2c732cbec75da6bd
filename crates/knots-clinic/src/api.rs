//! The clinic's JSON API (documented in the README). Every handler starts by finding the
//! signed-in user (401 without one), scopes its transactions to them (and to the client in the
//! path), and answers 404 for a client they may not see. Mutating requests need the session's
//! CSRF token in `x-csrf-token`.

use crate::cache::{Use, Version};
use crate::{Clinic, Fail, Me, Role, check_csrf, open_record, programs, user, visible_client};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use jiff::Zoned;
use knots_app::record;
use knots_core::analytics::{self, Options};
use knots_core::change::{Change, Owner, Record};
use knots_core::journal::Journal;
use knots_store::Deleted;
use knots_store::Store;
use knots_store::export::Export;
use knots_store::sql::Value;
use knots_web::AppError;
use knots_web::api::{New, parse_edit, parse_new};
use serde_json::{Value as Json_, json};
use std::sync::Arc;

type JsonResult = Result<Json<Json_>, Fail>;

fn header_token(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-csrf-token").and_then(|v| v.to_str().ok())
}

/// `GET /api/me`: `{"user": {"id", "email", "role", "clinic"}}`.
pub async fn me(State(state): State<Arc<Clinic>>, headers: HeaderMap) -> JsonResult {
    let me = user(&state, &headers, false)?;
    Ok(Json(json!({ "user": {
        "id": me.id, "email": me.email, "role": me.role, "clinic": me.clinic_name,
        "client": me.client,
    }})))
}

/// `GET /api/csrf`: `{"csrf": "…", "user": N}`, this session's token and user (the service
/// worker replays a queued form only for the user who made it).
pub async fn csrf(State(state): State<Arc<Clinic>>, headers: HeaderMap) -> JsonResult {
    let me = user(&state, &headers, false)?;
    Ok(Json(json!({ "csrf": me.csrf, "user": me.id })))
}

/// One row of the client list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClientRow {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The last session's instant.
    pub last_session: Option<String>,
    /// The next planned session's date.
    pub next_session: Option<String>,
    /// The pain gate by the latest run's maximum pain (green ≤ 2, amber 3-5, red > 5; the
    /// record's report has the full gate).
    pub gate: Option<&'static str>,
}

/// The clients `me` may see, by name: read in one snapshot with the stamp of the listed records
/// (how many, their highest record version, the sum of their ids), and kept per user until that
/// stamp changes.
///
/// # Errors
/// 503.
pub fn client_rows(state: &Clinic, me: &Me) -> Result<Arc<Vec<ClientRow>>, Fail> {
    let day = Zoned::now().date();
    state.db(Some(me.scope(None, false)), |db| {
        db.read_tx(|tx| {
            let stamp = tx.query(
                "SELECT count(*), coalesce(max(version), 0), coalesce(sum(client_id), 0)::bigint \
                 FROM record_versions",
                &[],
            )?;
            let int = |v: Option<&Value>| if let Some(Value::Int(i)) = v { *i } else { 0 };
            let row = stamp.first();
            let version = Version {
                stamp: [0, 1, 2].map(|i| int(row.and_then(|r| r.get(i)))),
                day,
            };
            if let Some(rows) = state.lists.get(me.id, Use::List, version) {
                return Ok(rows);
            }
            let rows = Arc::new(
                tx.query(
                    "SELECT c.id, c.name, c.next_session, \
                     (SELECT s.at FROM sessions s WHERE s.client_id = c.id \
                      ORDER BY s.at DESC LIMIT 1), \
                     (SELECT r.max_pain FROM runs r WHERE r.client_id = c.id \
                      ORDER BY r.date DESC, r.id DESC LIMIT 1) \
                     FROM clients c ORDER BY c.name, c.id",
                    &[],
                )?
                .into_iter()
                .map(|r| client_row(&r))
                .collect::<Vec<_>>(),
            );
            let bytes = rows.iter().map(|r| 96 + r.name.len()).sum();
            state
                .lists
                .put(me.id, Use::List, version, rows.clone(), bytes);
            Ok::<_, knots_store::Error>(rows)
        })
    })
}

fn client_row(r: &[Value]) -> ClientRow {
    let text = |v: &Value| {
        if let Value::Text(t) = v {
            Some(t.clone())
        } else {
            None
        }
    };
    ClientRow {
        id: if let Value::Int(i) = r[0] { i } else { 0 },
        name: text(&r[1]).unwrap_or_default(),
        next_session: text(&r[2]),
        last_session: text(&r[3]),
        gate: match r[4] {
            Value::Int(p) if p <= 2 => Some("green"),
            Value::Int(p) if p <= 5 => Some("amber"),
            Value::Int(_) => Some("red"),
            _ => None,
        },
    }
}

/// `GET /api/clients`: `{"clients": [{"id", "name", "last_session", "next_session", "gate"}]}`.
pub async fn clients(State(state): State<Arc<Clinic>>, headers: HeaderMap) -> JsonResult {
    let me = user(&state, &headers, false)?;
    Ok(Json(json!({ "clients": &*client_rows(&state, &me)? })))
}

/// Adds a client in `me`'s care (a therapist; an admin adds one to the clinic); returns its id.
///
/// # Errors
/// 403 for a runner, 422 for a bad name.
pub fn new_client(state: &Clinic, me: &Me, name: &str) -> Result<i64, Fail> {
    if !me.staff() {
        return Err(Fail::Forbidden);
    }
    let name = name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(AppError::field("name", "a name of 1 to 200 characters").into());
    }
    let therapist = me.role == Role::Therapist;
    let now = jiff::Timestamp::now().as_second();
    state.db(Some(me.scope(None, false)), |db| {
        db.write_tx(|tx| {
            // The new row is not visible until it is in someone's care, so its id is taken first
            // (INSERT … RETURNING would need to see it).
            let id = match tx
                .query(
                    "SELECT nextval(pg_get_serial_sequence('clients', 'id'))",
                    &[],
                )?
                .first()
                .and_then(|r| r.first())
            {
                Some(Value::Int(id)) => *id,
                other => return Err(knots_store::Error::Backend(format!("nextval: {other:?}"))),
            };
            tx.execute(
                "INSERT INTO clients (id, name, created_s) VALUES (?, ?, ?)",
                &[id.into(), name.into(), now.into()],
            )?;
            if therapist {
                tx.execute(
                    "INSERT INTO care (client_id, therapist_id) VALUES (?, ?)",
                    &[id.into(), me.id.into()],
                )?;
            }
            Ok(id)
        })
    })
}

/// `POST /api/clients {"name": …}` → `{"id": N}`.
pub async fn add_client(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Json(body): Json<Json_>,
) -> JsonResult {
    let me = user(&state, &headers, false)?;
    check_csrf(&me, header_token(&headers))?;
    let name = body.get("name").and_then(Json_::as_str).unwrap_or("");
    Ok(Json(json!({ "id": new_client(&state, &me, name)? })))
}

/// The client's journal, read as `me` (a therapist's read is audited).
///
/// # Errors
/// 404 when not visible, 503.
pub fn journal_of(state: &Clinic, me: &Me, client: i64) -> Result<Journal, Fail> {
    visible_client(state, me, client)?;
    state.db(Some(me.scope(Some(client), me.staff())), |db| db.journal())
}

/// `GET /api/clients/{id}/journal`: that client's journal, as `knots export`.
pub async fn journal(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> JsonResult {
    let me = user(&state, &headers, false)?;
    let journal = journal_of(&state, &me, id)?;
    let export = serde_json::to_value(Export::new(journal, false))
        .map_err(|e| Fail::Internal(e.to_string()))?;
    Ok(Json(export))
}

/// `GET /api/clients/{id}/report`: the report (`knots report --json`) with the weekly adherence
/// beside pain and tenderness (kept in the cache until the record changes).
pub async fn report(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, Fail> {
    let me = user(&state, &headers, false)?;
    let now = Zoned::now();
    let (_, version) = open_record(&state, &me, id, now.date())?;
    let text = match state.cache.get(id, Use::Report, version) {
        Some(text) => text,
        None => {
            let journal = state.db(Some(me.scope(Some(id), false)), |db| db.journal())?;
            let weeks = state.db(Some(me.scope(Some(id), false)), |db| {
                db.read_tx(|tx| programs::weeks(tx, &journal, now.date()))
            })?;
            let report = analytics::report(&journal, &now, Options::default());
            let text: Arc<str> = json!({ "report": report, "adherence": weeks })
                .to_string()
                .into();
            state
                .cache
                .put(id, Use::Report, version, text.clone(), text.len());
            text
        }
    };
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        axum::body::Bytes::from_owner(Shared(text)),
    )
        .into_response())
}

/// A kept text sent as a response body without copying it.
struct Shared(Arc<str>);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// Stores a `POST /api/clients/{id}/journal/{kind}` body in the client's journal. A runner may
/// not record therapist sessions (403).
///
/// # Errors
/// 404, 403, 422 (the pressure ceiling among them), 503.
pub fn add_record(
    state: &Clinic,
    me: &Me,
    client: i64,
    kind: &str,
    body: &[u8],
    next_session: Option<String>,
) -> Result<i64, Fail> {
    visible_client(state, me, client)?;
    let now = Zoned::now();
    let new = parse_new(kind, body, &now)?;
    if me.role == Role::Runner && matches!(new.new, New::Session(_)) {
        return Err(Fail::Forbidden);
    }
    let next = match &new.new {
        New::Session(_) => next_session
            .filter(|n| !n.trim().is_empty())
            .map(|n| next_session_date(&n, now.date()))
            .transpose()?,
        New::Record(_) => None,
    };
    let id = state.db(Some(me.scope(Some(client), false)), |db| {
        new.store(db, &now)
    })?;
    if let Some(next) = next.map(|d| d.to_string()) {
        state.db(Some(me.scope(Some(client), false)), |db| {
            db.write_tx(|tx| {
                tx.execute(
                    "UPDATE clients SET next_session = ? WHERE id = ?",
                    &[next.into(), client.into()],
                )
            })
        })?;
    }
    Ok(id)
}

/// The next session's date as typed: a date, today or later.
///
/// # Errors
/// 422 naming `next_session` otherwise.
fn next_session_date(typed: &str, today: jiff::civil::Date) -> Result<jiff::civil::Date, Fail> {
    let date: jiff::civil::Date = typed.trim().parse().map_err(|_| {
        AppError::field(
            "next_session",
            format!("`{typed}` is not a date like 2026-12-01"),
        )
    })?;
    if date < today {
        return Err(AppError::field("next_session", format!("{date} is in the past")).into());
    }
    Ok(date)
}

/// `POST /api/clients/{id}/journal/{kind}` with the same bodies as `/api/journal/{kind}` (a
/// session may also carry `"next_session": "YYYY-MM-DD"`, which is not part of the record and
/// is refused by the record parser, so it is read here first) → `{"id": N}`.
pub async fn add(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Path((id, kind)): Path<(i64, String)>,
    body: axum::body::Bytes,
) -> JsonResult {
    let me = user(&state, &headers, false)?;
    check_csrf(&me, header_token(&headers))?;
    let (body, next) = strip_next_session(&body)?;
    Ok(Json(
        json!({ "id": add_record(&state, &me, id, &kind, &body, next)? }),
    ))
}

/// Refuses a change to `record` by `me` when the other side owns it ([`Owner`]): a runner changes
/// their own records, a therapist or an admin the practice's.
///
/// # Errors
/// 403, naming the owner.
fn may_change(me: &Me, record: &Record) -> Result<(), Fail> {
    let side = if me.staff() {
        Owner::Practice
    } else {
        Owner::Runner
    };
    let owner = record.owner();
    if owner == side {
        Ok(())
    } else {
        Err(AppError::NotOwner(format!(
            "this {} belongs to {}: only they may change it",
            record.kind().noun(),
            owner.noun()
        ))
        .into())
    }
}

/// Applies a `PATCH` body (as `PATCH /api/journal/{kind}/{id}`) to record `id` of `client`'s
/// journal, as `me`, checked like a new record; returns the change event.
///
/// # Errors
/// 404 when the client or the record is not visible, 403 when the other side owns the record,
/// 422 for a broken rule, 503.
pub fn edit_record(
    state: &Clinic,
    me: &Me,
    client: i64,
    kind: &str,
    id: i64,
    body: &[u8],
) -> Result<Change, Fail> {
    visible_client(state, me, client)?;
    let edit = parse_edit(kind, body, &Zoned::now())?;
    state.db(Some(me.scope(Some(client), false)), |db| {
        may_change(me, &db.record(edit.kind, id)?)?;
        Ok::<_, Fail>(record::edit(db, edit.kind, id, &edit.patch, edit.rules)?)
    })
}

/// Deletes record `id` of `client`'s journal, as `me` (a session with its findings and
/// treatments; a worn shoe only with `detach`).
///
/// # Errors
/// As [`edit_record`]; 409 for a worn shoe without `detach`.
pub fn delete_record(
    state: &Clinic,
    me: &Me,
    client: i64,
    kind: &str,
    id: i64,
    detach: bool,
) -> Result<Deleted, Fail> {
    visible_client(state, me, client)?;
    let kind = knots_web::api::kind_of(kind)?;
    state.db(Some(me.scope(Some(client), false)), |db| {
        may_change(me, &db.record(kind, id)?)?;
        Ok::<_, Fail>(record::delete(
            db,
            kind,
            id,
            jiff::Timestamp::now(),
            detach,
        )?)
    })
}

/// `PATCH /api/clients/{id}/journal/{kind}/{rid}`: the body and the answer of `PATCH
/// /api/journal/{kind}/{id}` (`{"change": …}`), on that client's journal.
pub async fn edit(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Path((id, kind, rid)): Path<(i64, String, i64)>,
    body: axum::body::Bytes,
) -> JsonResult {
    let me = user(&state, &headers, false)?;
    check_csrf(&me, header_token(&headers))?;
    let change = edit_record(&state, &me, id, &kind, rid, &body)?;
    Ok(Json(json!({ "change": change })))
}

/// `DELETE /api/clients/{id}/journal/{kind}/{rid}[?detach=true]` → `{"deleted": …}`.
pub async fn delete(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Path((id, kind, rid)): Path<(i64, String, i64)>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> JsonResult {
    let me = user(&state, &headers, false)?;
    check_csrf(&me, header_token(&headers))?;
    let detach = query.get("detach").map(String::as_str) == Some("true");
    let deleted = delete_record(&state, &me, id, &kind, rid, detach)?;
    Ok(Json(json!({ "deleted": deleted })))
}

/// The body without `next_session`, and its value: the record parser refuses unknown fields.
fn strip_next_session(body: &[u8]) -> Result<(Vec<u8>, Option<String>), Fail> {
    match serde_json::from_slice::<Json_>(body) {
        Ok(Json_::Object(mut map)) => {
            let next = match map.remove("next_session") {
                None | Some(Json_::Null) => None,
                Some(Json_::String(s)) => Some(s),
                Some(other) => {
                    return Err(AppError::field(
                        "next_session",
                        format!("expected a date like \"2026-12-01\", found {other}"),
                    )
                    .into());
                }
            };
            Ok((Json_::Object(map).to_string().into_bytes(), next))
        }
        _ => Ok((body.to_vec(), None)),
    }
}

/// `POST /api/clients/{id}/invite` → `{"code": "…"}` (therapists and admins).
pub async fn invite(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> JsonResult {
    let me = user(&state, &headers, false)?;
    check_csrf(&me, header_token(&headers))?;
    visible_client(&state, &me, id)?;
    if !me.staff() {
        return Err(Fail::Forbidden);
    }
    Ok(Json(
        json!({ "code": crate::auth::invite(&state, &me, id)? }),
    ))
}

/// `GET /api/clients/{id}/programs`: `{"programs": [{"id", "title", "items": [{"id", "what",
/// "dose", "per_week", "start", "end", "done", "expected", "done_today"}]}]}`.
pub async fn programs(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> JsonResult {
    let me = user(&state, &headers, false)?;
    visible_client(&state, &me, id)?;
    let today = Zoned::now().date();
    let list = state.db(Some(me.scope(Some(id), me.staff())), |db| {
        db.read_tx(|tx| programs::list(tx, today))
    })?;
    Ok(Json(json!({ "programs": list })))
}

/// Stores a program for `client` (therapists and admins).
///
/// # Errors
/// 404, 403, 422, 503.
pub fn new_program(
    state: &Clinic,
    me: &Me,
    client: i64,
    program: &programs::Program,
) -> Result<i64, Fail> {
    visible_client(state, me, client)?;
    if !me.staff() {
        return Err(Fail::Forbidden);
    }
    program.validate()?;
    state.db(Some(me.scope(Some(client), false)), |db| {
        db.write_tx(|tx| programs::add(tx, client, program))
    })
}

/// `POST /api/clients/{id}/programs {"title", "items": [{"what", "dose", "per_week", "start",
/// "end"}]}` → `{"id": N}`.
pub async fn add_program(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> JsonResult {
    let me = user(&state, &headers, false)?;
    check_csrf(&me, header_token(&headers))?;
    let program: programs::Program =
        serde_json::from_slice(&body).map_err(|e| AppError::field("body", e))?;
    Ok(Json(
        json!({ "id": new_program(&state, &me, id, &program)? }),
    ))
}

/// `PUT /api/clients/{id}/programs/{pid}` `{"title", "items": […]}` (as `POST`) → `{"id": pid}`:
/// the program replaced, its stored items taking the new ones in order (therapists and admins).
/// Runners' journals that hold it get the new version at their next sync.
pub async fn edit_program(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Path((id, pid)): Path<(i64, i64)>,
    body: axum::body::Bytes,
) -> JsonResult {
    let me = user(&state, &headers, false)?;
    check_csrf(&me, header_token(&headers))?;
    let program: programs::Program =
        serde_json::from_slice(&body).map_err(|e| AppError::field("body", e))?;
    visible_client(&state, &me, id)?;
    if !me.staff() {
        return Err(Fail::Forbidden);
    }
    program.validate()?;
    state.db(Some(me.scope(Some(id), false)), |db| {
        db.write_tx(|tx| programs::update(tx, id, pid, &program))
    })?;
    Ok(Json(json!({ "id": pid })))
}

/// `DELETE /api/clients/{id}/programs/{pid}` → `{"deleted": pid}`: the program, its items and
/// their ticks (therapists and admins). Runners' journals drop their copy at their next sync.
pub async fn delete_program(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Path((id, pid)): Path<(i64, i64)>,
) -> JsonResult {
    let me = user(&state, &headers, false)?;
    check_csrf(&me, header_token(&headers))?;
    visible_client(&state, &me, id)?;
    if !me.staff() {
        return Err(Fail::Forbidden);
    }
    state.db(Some(me.scope(Some(id), false)), |db| {
        db.write_tx(|tx| programs::remove(tx, id, pid))
    })?;
    Ok(Json(json!({ "deleted": pid })))
}

/// The `date` query parameter.
#[derive(Debug, serde::Deserialize)]
pub struct On {
    date: Option<jiff::civil::Date>,
}

/// `GET /api/clients/{id}/today[?date=]`: the items running that day, with `done_today`.
pub async fn today(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(on): Query<On>,
) -> JsonResult {
    let me = user(&state, &headers, false)?;
    visible_client(&state, &me, id)?;
    let day = on.date.unwrap_or_else(|| Zoned::now().date());
    let list = state.db(Some(me.scope(Some(id), me.staff())), |db| {
        db.read_tx(|tx| programs::list(tx, day))
    })?;
    let items: Vec<&programs::ItemView> = list
        .iter()
        .flat_map(|p| &p.items)
        .filter(|i| i.item.start <= day && day <= i.item.end)
        .collect();
    Ok(Json(json!({ "date": day, "items": items })))
}

/// The body of `POST /api/clients/{id}/ticks`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TickBody {
    item: i64,
    date: Option<jiff::civil::Date>,
    #[serde(default = "yes")]
    done: bool,
}

fn yes() -> bool {
    true
}

/// `POST /api/clients/{id}/ticks {"item": N, "date"?: "YYYY-MM-DD", "done"?: bool}` →
/// `{"ok": true}`.
pub async fn tick(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> JsonResult {
    let me = user(&state, &headers, false)?;
    check_csrf(&me, header_token(&headers))?;
    visible_client(&state, &me, id)?;
    let b: TickBody = serde_json::from_slice(&body).map_err(|e| AppError::field("body", e))?;
    let today = Zoned::now().date();
    let day = b.date.unwrap_or(today);
    if day > today {
        return Err(AppError::field("date", format!("{day} is after today")).into());
    }
    state.db(Some(me.scope(Some(id), false)), |db| {
        db.write_tx(|tx| programs::tick(tx, id, b.item, day, b.done))
    })?;
    Ok(Json(json!({ "ok": true })))
}

/// `GET /api/clients/{id}/adherence`: `{"weeks": [{"week", "adherence", "run_pain",
/// "tenderness"}]}`.
pub async fn adherence(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> JsonResult {
    let me = user(&state, &headers, false)?;
    let journal = journal_of(&state, &me, id)?;
    let today = Zoned::now().date();
    let weeks = state.db(Some(me.scope(Some(id), false)), |db| {
        db.read_tx(|tx| programs::weeks(tx, &journal, today))
    })?;
    Ok(Json(json!({ "weeks": weeks })))
}

/// The `client` query parameter.
#[derive(Debug, serde::Deserialize)]
pub struct OfClient {
    client: i64,
}

/// `GET /api/audit?client=ID` (admins): the client's audit trail, oldest first.
pub async fn audit(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Query(of): Query<OfClient>,
) -> JsonResult {
    let me = user(&state, &headers, false)?;
    if me.role != Role::Admin {
        return Err(Fail::NotFound);
    }
    visible_client(&state, &me, of.client)?;
    let rows = audit_rows(&state, &me, of.client)?;
    Ok(Json(json!({ "audit": rows })))
}

/// The audit rows of `client`, as the admin `me` sees them through the policies.
///
/// # Errors
/// 503.
pub fn audit_rows(state: &Clinic, me: &Me, client: i64) -> Result<Vec<Json_>, Fail> {
    let rows = state.db(Some(me.scope(Some(client), false)), |db| {
        db.read_tx(|tx| {
            tx.query(
                "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), \
                 user_id, action, tbl, row_id, old::text, new::text FROM audit \
                 WHERE client_id = ? ORDER BY id",
                &[client.into()],
            )
        })
    })?;
    let v = |x: &Value| match x {
        Value::Int(i) => json!(i),
        Value::Text(t) => json!(t),
        _ => Json_::Null,
    };
    let parsed = |x: &Value| match x {
        Value::Text(t) => serde_json::from_str(t).unwrap_or(Json_::Null),
        _ => Json_::Null,
    };
    Ok(rows
        .iter()
        .map(|r| {
            let (before, after) = (parsed(&r[6]), parsed(&r[7]));
            let note = audit_note(&v(&r[4]), &before, &after);
            json!({"id": v(&r[0]), "at": v(&r[1]), "user": v(&r[2]), "action": v(&r[3]),
                   "table": v(&r[4]), "row": v(&r[5]), "before": before, "after": after,
                   "note": note})
        })
        .collect())
}

/// What an audit row means, where its table and values say more than "update": a runner's
/// revoked link, and their request that what they shared be deleted.
fn audit_note(table: &Json_, before: &Json_, after: &Json_) -> Json_ {
    if table != "sync_devices" {
        return Json_::Null;
    }
    let set = |v: &Json_, k: &str| v.get(k).is_some_and(|x| !x.is_null() && x != false);
    if set(after, "delete_requested") && !set(before, "delete_requested") {
        json!("the runner revoked the link and asked for what they shared to be deleted")
    } else if set(after, "revoked_s") && !set(before, "revoked_s") {
        json!("the runner revoked the link")
    } else {
        Json_::Null
    }
}

/// The fields an audited change altered, as `field: before → after` (an insert or a delete
/// lists its values; hashes of secrets are left out), for the audit page.
pub fn audit_change(before: &Json_, after: &Json_) -> String {
    let show = |v: Option<&Json_>| v.map_or_else(|| "–".to_string(), Json_::to_string);
    let keys: std::collections::BTreeSet<&String> = [before, after]
        .iter()
        .filter_map(|v| v.as_object())
        .flat_map(|o| o.keys())
        .collect();
    keys.into_iter()
        // Secrets' hashes stay out of the page (they are in the trail, for the record).
        .filter(|k| !k.contains("hash") && !k.contains("token"))
        .filter(|k| before.get(k.as_str()) != after.get(k.as_str()))
        .map(|k| {
            format!(
                "{k}: {} → {}",
                show(before.get(k.as_str())),
                show(after.get(k.as_str()))
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(f: Fail) -> String {
        match f {
            Fail::App(AppError::Invalid(errs)) => errs[0].field.clone(),
            other => panic!("not a field error: {other:?}"),
        }
    }

    #[test]
    fn an_audit_row_says_what_changed_and_names_a_deletion_request() {
        let before = json!({"revoked_s": null, "delete_requested": false, "token_hash": "a1"});
        let after =
            json!({"revoked_s": 1_764_300_000, "delete_requested": true, "token_hash": "b2"});
        assert_eq!(
            audit_change(&before, &after),
            "delete_requested: false → true; revoked_s: null → 1764300000"
        );
        assert_eq!(
            audit_note(&json!("sync_devices"), &before, &after),
            json!("the runner revoked the link and asked for what they shared to be deleted")
        );
        let revoked = json!({"revoked_s": 1_764_300_000, "delete_requested": false});
        assert_eq!(
            audit_note(&json!("sync_devices"), &before, &revoked),
            json!("the runner revoked the link")
        );
        assert_eq!(audit_note(&json!("runs"), &before, &after), Json_::Null);
        // An insert lists its values.
        assert_eq!(audit_change(&Json_::Null, &json!({"km": 5})), "km: – → 5");
    }

    #[test]
    fn the_next_session_is_a_date_from_today_on() {
        let today: jiff::civil::Date = "2026-11-28".parse().expect("date");
        assert_eq!(
            next_session_date(" 2026-12-03 ", today)
                .expect("a date")
                .to_string(),
            "2026-12-03"
        );
        assert!(next_session_date("2026-11-28", today).is_ok());
        for bad in ["2026-11-27", "garbage", "2026-02-30"] {
            let err = next_session_date(bad, today).expect_err(bad);
            assert_eq!(field_of(err), "next_session", "{bad}");
        }
        // A number where a date goes is refused by name, not dropped.
        let err = strip_next_session(br#"{"pressure_ceiling": 5, "next_session": 42}"#)
            .expect_err("a number");
        assert_eq!(field_of(err), "next_session");
        let (body, next) =
            strip_next_session(br#"{"pressure_ceiling": 5, "next_session": "2026-12-03"}"#)
                .expect("a date");
        assert_eq!(next.as_deref(), Some("2026-12-03"));
        assert!(
            !String::from_utf8(body)
                .expect("utf-8")
                .contains("next_session")
        );
    }
}
