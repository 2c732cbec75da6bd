//! The JSON API (documented in the README): the finder, the CSRF token for scripts, the journal,
//! and one POST per record kind. Validation and errors are the CLI's: 422 with field names.

use crate::form::{Fields, Reader};
use crate::security::check_token;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use jiff::Zoned;
use knots_app::Open;
use knots_app::record::{self, Context as Rules};
use knots_core::change::{Kind, Record};
use knots_core::finder::{self, Answer, Query};
use knots_core::journal::{Context, FieldError, Now, SessionRecord, Side};
use knots_core::safety::RedFlag;
use knots_core::{Atlas, Km, Region};
use knots_store::export::Export;
use std::sync::Arc;

/// Runs `f` on a connection from the journal's pool, off the async workers: store calls block
/// (SQLite's file locks, PostgreSQL's network), so the worker hands its other tasks over while
/// they run and static assets keep answering. No free connection within
/// [`crate::POOL_WAIT`]: 503.
pub fn with_journal<S: Open, T, E>(
    state: &AppState<S>,
    f: impl FnOnce(&mut S) -> Result<T, E>,
) -> Result<T, AppError>
where
    AppError: From<E>,
{
    tokio::task::block_in_place(|| {
        let mut conn = state
            .pool
            .get()
            .map_err(|e| AppError::Unavailable(e.to_string()))?;
        f(&mut conn).map_err(AppError::from)
    })
}

/// Runs the finder for a query against the journal.
pub fn run_find<S: Open>(
    state: &AppState<S>,
    query: &Query,
    flags: &[RedFlag],
) -> Result<Answer, AppError> {
    let (findings, pain) = with_journal(state, |s| {
        Ok::<_, knots_store::Error>((s.findings()?, s.pain_reports()?))
    })?;
    Ok(finder::answer(
        Atlas::shipped(),
        query,
        &findings,
        &pain,
        jiff::Timestamp::now(),
        flags,
    ))
}

/// Reads a finder query from form or query fields (`region` repeated, `side`, `context`, `onset_km`).
pub fn query_from(f: &Fields) -> Result<Query, AppError> {
    query_in(f, knots_core::units::Unit::Km)
}

/// [`query_from`] with a plain `onset_km` number in `unit` (the pages' preference).
pub fn query_in(f: &Fields, unit: knots_core::units::Unit) -> Result<Query, AppError> {
    let mut r = Reader::in_unit(unit);
    let regions = r.regions(f, "region");
    let side = r.required::<Side>(f, "side");
    let context = r.optional::<Context>(f, "context");
    let onset_km = r.km(f, "onset_km");
    match side {
        Some(side) if r.errors.is_empty() => Ok(Query {
            regions,
            side,
            context,
            onset_km,
        }),
        _ => Err(AppError::Invalid(r.errors)),
    }
}

/// `GET /api/find?region=…&side=…&context=…`.
pub async fn find_get<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Answer>, AppError> {
    let fields = Fields::parse(raw.unwrap_or_default().as_bytes());
    let query = query_from(&fields)?;
    Ok(Json(run_find(&state, &query, &[])?))
}

/// The JSON body of `POST /api/find`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindBody {
    regions: Vec<String>,
    side: String,
    context: Option<String>,
    onset_km: Option<f64>,
    #[serde(default)]
    red_flags: Vec<String>,
}

/// `POST /api/find` with a JSON body (read-only: needs no CSRF token).
pub async fn find_post<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    body: axum::body::Bytes,
) -> Result<Json<Answer>, AppError> {
    let b: FindBody = serde_json::from_slice(&body).map_err(|e| AppError::field("body", e))?;
    let mut errors = Vec::new();
    let mut regions = Vec::new();
    for r in &b.regions {
        match Region::parse(r) {
            Ok(r) => regions.push(r),
            Err(e) => errors.push(FieldError::new("regions", e)),
        }
    }
    if b.regions.is_empty() {
        errors.push(FieldError::new("regions", "pick at least one region"));
    }
    let side = b
        .side
        .parse::<Side>()
        .map_err(|e| errors.push(FieldError::new("side", e)))
        .ok();
    let context = b
        .context
        .as_deref()
        .map(str::parse::<Context>)
        .transpose()
        .map_err(|e| errors.push(FieldError::new("context", e)))
        .ok()
        .flatten();
    let onset_km = b
        .onset_km
        .map(Km::new)
        .transpose()
        .map_err(|e| errors.push(FieldError::new("onset_km", e)))
        .ok()
        .flatten();
    let flags: Vec<RedFlag> = b
        .red_flags
        .iter()
        .filter_map(|f| {
            f.parse()
                .map_err(|e| errors.push(FieldError::new("red_flags", e)))
                .ok()
        })
        .collect();
    match side {
        Some(side) if errors.is_empty() => Ok(Json(run_find(
            &state,
            &Query {
                regions,
                side,
                context,
                onset_km,
            },
            &flags,
        )?)),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// `GET /api/csrf`: the token for scripts (a cross-site page cannot read this response).
pub async fn csrf<S: Open>(State(state): State<Arc<AppState<S>>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "csrf": state.csrf }))
}

/// `GET /api/journal`: the whole journal as the versioned export.
pub async fn journal<S: Open>(State(state): State<Arc<AppState<S>>>) -> Result<Response, AppError> {
    let export = with_journal(&state, |s| {
        Ok::<_, knots_store::Error>(Export::new(s.journal()?, s.is_demo()?))
    })?;
    Ok(Json(export).into_response())
}

/// A record of `kind` from a JSON body as a person would send it: the fields the CLI defaults
/// may be left out (`at`/`date` now, `camber` none, `by` self, a shoe's `started` today and
/// limit 700 km), `null` means "not given", and a field the record does not have is refused by
/// name (a typo never loses data).
fn record_from_body(
    kind: Kind,
    body: &serde_json::Map<String, serde_json::Value>,
    now: &Zoned,
) -> Result<Record, AppError> {
    let today = now.date().to_string();
    let at = now.timestamp().to_string();
    let mut value = match kind {
        Kind::Pain => serde_json::json!({"at": at, "red_flags": []}),
        Kind::Finding => serde_json::json!({"at": at, "taut_band": false, "reproduces": false}),
        Kind::Treatment => serde_json::json!({"at": at, "by": "self"}),
        Kind::Run => serde_json::json!({"date": today, "camber": "none"}),
        Kind::Shoe => serde_json::json!({"started": today, "initial_km": 0.0, "limit_km": 700.0}),
        Kind::Checkin => serde_json::json!({"date": today}),
        Kind::Reaction => serde_json::json!({"at": at}),
        Kind::Session => serde_json::json!({
            "at": at, "subjective": "", "objective": "", "assessment": "", "plan": ""
        }),
        Kind::Activity | Kind::Profile => serde_json::json!({}),
    };
    if let serde_json::Value::Object(fields) = &mut value {
        for (k, v) in body {
            if !v.is_null() || !fields.contains_key(k) {
                fields.insert(k.clone(), v.clone());
            }
        }
    }
    let record = Record::from_json(kind, value)?;
    let known = record.to_json();
    if let Some(unknown) = body.keys().find(|k| known.get(k.as_str()).is_none()) {
        return Err(AppError::field(
            unknown,
            format!("a {} has no field `{unknown}`", kind.noun()),
        ));
    }
    Ok(record)
}

fn object(body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, AppError> {
    match serde_json::from_slice(body) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(AppError::field("body", "expected a JSON object")),
        Err(e) => Err(AppError::field("body", e)),
    }
}

/// Takes `"force": true` (store an unusual value) out of a body.
fn take_force(body: &mut serde_json::Map<String, serde_json::Value>) -> bool {
    matches!(body.remove("force"), Some(serde_json::Value::Bool(true)))
}

/// The rules' context for a form or API request made now, without `force`.
pub(crate) fn rules() -> Rules<'static> {
    rules_at(&Zoned::now(), false)
}

/// The rules' context for a request made `now`.
fn rules_at(now: &Zoned, force: bool) -> Rules<'static> {
    Rules {
        atlas: Atlas::shipped(),
        now: Now {
            at: now.timestamp(),
            today: now.date(),
        },
        force,
    }
}

/// The record kind a path segment names.
///
/// # Errors
/// 404 for an unknown word.
pub fn kind_of(word: &str) -> Result<Kind, AppError> {
    Kind::parse_any(word).map_err(|_| AppError::NotFound(format!("no record kind `{word}`")))
}

fn token<S: Open>(state: &AppState<S>, headers: &HeaderMap) -> Result<(), AppError> {
    check_token(
        headers.get("x-csrf-token").and_then(|v| v.to_str().ok()),
        &state.csrf,
    )
}

/// A new record read from a `POST /api/journal/{kind}` body ([`parse_new`]); clinic mode
/// (`knots-clinic`) stores the same bodies in a client's journal.
#[derive(Debug, Clone)]
pub struct NewRecord {
    /// The record, or a session with its findings and treatments.
    pub new: New,
    /// `"force": true`: store an unusual value.
    pub force: bool,
}

/// What a [`NewRecord`] holds.
#[derive(Debug, Clone)]
pub enum New {
    /// A session with its findings and treatments.
    Session(SessionRecord),
    /// Any other record.
    Record(Record),
}

/// Reads a JSON record of the kind named `kind` (the export's shape without `id`; optional fields
/// may be left out). A session may carry `findings` and `treatments` lists; `"force": true` stores
/// an unusual run.
///
/// # Errors
/// 404 for an unknown kind, 422 naming the field for a bad body.
pub fn parse_new(kind: &str, body: &[u8], now: &Zoned) -> Result<NewRecord, AppError> {
    let kind = kind_of(kind)?;
    let mut body = object(body)?;
    let force = take_force(&mut body);
    if kind != Kind::Session {
        return Ok(NewRecord {
            new: New::Record(record_from_body(kind, &body, now)?),
            force,
        });
    }
    let mut parts = |name: &str, part: Kind| -> Result<Vec<Record>, AppError> {
        match body.remove(name) {
            None | Some(serde_json::Value::Null) => Ok(Vec::new()),
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    serde_json::Value::Object(fields) => record_from_body(part, fields, now)
                        .map_err(|e| match e {
                            AppError::Invalid(errs) => AppError::Invalid(
                                errs.into_iter()
                                    .map(|f| f.within(&format!("{name}[{i}]")))
                                    .collect(),
                            ),
                            other => other,
                        }),
                    _ => Err(AppError::field(name, "expected a list of objects")),
                })
                .collect(),
            Some(_) => Err(AppError::field(name, "expected a list")),
        }
    };
    let findings = parts("findings", Kind::Finding)?;
    let treatments = parts("treatments", Kind::Treatment)?;
    let Record::Session(session) = record_from_body(kind, &body, now)? else {
        return Err(AppError::Internal("not a session".into()));
    };
    Ok(NewRecord {
        new: New::Session(SessionRecord {
            session,
            findings: findings
                .into_iter()
                .filter_map(|r| match r {
                    Record::Finding(f) => Some(f),
                    _ => None,
                })
                .collect(),
            treatments: treatments
                .into_iter()
                .filter_map(|r| match r {
                    Record::Treatment(t) => Some(t),
                    _ => None,
                })
                .collect(),
        }),
        force,
    })
}

impl NewRecord {
    /// Checks and stores the record through `knots_app::record` (the session's pressure ceiling
    /// included); returns its id.
    ///
    /// # Errors
    /// The use case's.
    pub fn store<S: knots_store::Store>(
        &self,
        store: &mut S,
        now: &Zoned,
    ) -> Result<i64, knots_app::Error> {
        let rules = rules_at(now, self.force);
        match &self.new {
            New::Session(record) => record::add_session(store, record, rules),
            New::Record(Record::Checkin(c)) => record::checkin(store, c, rules),
            New::Record(other) => record::add(store, other, rules),
        }
    }
}

/// `POST /api/journal/{kind}` with a JSON record ([`parse_new`]); header `x-csrf-token`
/// required. Answers `{"id": N}`.
pub async fn add<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, AppError> {
    token(&state, &headers)?;
    let now = Zoned::now();
    let new = parse_new(&kind, &body, &now)?;
    let id = with_journal(&state, |s| new.store(s, &now))?;
    Ok(Json(serde_json::json!({ "id": id })))
}

/// An edit read from a `PATCH /api/journal/{kind}/{id}` body ([`parse_edit`]); clinic mode
/// applies the same bodies to a client's journal.
#[derive(Debug)]
pub struct Edit {
    /// The kind named by the path.
    pub kind: Kind,
    /// The fields to change, as a JSON merge patch (without `force`).
    pub patch: serde_json::Value,
    /// The rules' context (`force` from the body).
    pub rules: Rules<'static>,
}

/// Reads a `PATCH` body for a record of `kind`: a JSON object of the fields to change (`null`
/// clears one; `"force": true` stores an unusual value).
///
/// # Errors
/// 404 for an unknown kind, 422 for a body that is not a JSON object.
pub fn parse_edit(kind: &str, body: &[u8], now: &Zoned) -> Result<Edit, AppError> {
    let kind = kind_of(kind)?;
    let mut patch = object(body)?;
    let rules = rules_at(now, take_force(&mut patch));
    Ok(Edit {
        kind,
        patch: serde_json::Value::Object(patch),
        rules,
    })
}

/// `PATCH /api/journal/{kind}/{id}` with a JSON object of the fields to change (`null` clears
/// one; `"force": true` stores an unusual value): the change event as JSON.
pub async fn edit<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    Path((kind, id)): Path<(String, i64)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, AppError> {
    token(&state, &headers)?;
    let edit = parse_edit(&kind, &body, &Zoned::now())?;
    let change = with_journal(&state, |s| {
        record::edit(s, edit.kind, id, &edit.patch, edit.rules)
    })?;
    Ok(Json(serde_json::json!({ "change": change })))
}

/// `DELETE /api/journal/{kind}/{id}[?detach=true]`: what went with it, as JSON. A shoe that runs
/// still wear answers 409 unless `detach=true`.
pub async fn delete<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    Path((kind, id)): Path<(String, i64)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, AppError> {
    token(&state, &headers)?;
    let kind = kind_of(&kind)?;
    let detach = Fields::parse(raw.unwrap_or_default().as_bytes()).get("detach") == Some("true");
    let at = jiff::Timestamp::now();
    let deleted = with_journal(&state, |s| record::delete(s, kind, id, at, detach))?;
    Ok(Json(serde_json::json!({ "deleted": deleted })))
}
