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
use knots_core::finder::{self, Answer, Query};
use knots_core::journal::{
    Checkin, Context, FieldError, Finding, Now, PainReport, Run, Session, SessionRecord, Shoe,
    Side, Treatment,
};
use knots_core::safety::RedFlag;
use knots_core::{Atlas, Km, Region};
use knots_store::Store;
use knots_store::export::Export;
use std::sync::Arc;

/// Locks the journal; a poisoned lock (a panic in another request) is an internal error.
pub fn lock<S>(state: &AppState<S>) -> Result<std::sync::MutexGuard<'_, S>, AppError> {
    state
        .store
        .lock()
        .map_err(|_| AppError::Internal("journal lock poisoned".into()))
}

/// "Now" for validation.
pub fn now() -> Now {
    let z = Zoned::now();
    Now {
        at: z.timestamp(),
        today: z.date(),
    }
}

/// Runs the finder for a query against the journal.
pub fn run_find<S: Store>(
    state: &AppState<S>,
    query: &Query,
    flags: &[RedFlag],
) -> Result<Answer, AppError> {
    let store = lock(state)?;
    Ok(finder::answer(
        Atlas::shipped(),
        query,
        &store.findings()?,
        &store.pain_reports()?,
        jiff::Timestamp::now(),
        flags,
    ))
}

/// Reads a finder query from form or query fields (`region` repeated, `side`, `context`, `onset_km`).
pub fn query_from(f: &Fields) -> Result<Query, AppError> {
    let mut r = Reader::default();
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
pub async fn find_get<S: Store + Send + 'static>(
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
pub async fn find_post<S: Store + Send + 'static>(
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
pub async fn csrf<S: Send + 'static>(
    State(state): State<Arc<AppState<S>>>,
) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "csrf": state.csrf }))
}

/// `GET /api/journal`: the whole journal as the versioned export.
pub async fn journal<S: Store + Send + 'static>(
    State(state): State<Arc<AppState<S>>>,
) -> Result<Response, AppError> {
    let store = lock(&state)?;
    let export = Export::new(store.journal()?, store.is_demo()?);
    Ok(Json(export).into_response())
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    serde_json::from_slice(body).map_err(|e| AppError::field("body", e))
}

/// `POST /api/journal/{pain|finding|treatment|run|shoe|checkin|session}` with a JSON record (the
/// export's shape without `id`); header `x-csrf-token` required. Answers `{"id": N}`.
pub async fn add<S: Store + Send + 'static>(
    State(state): State<Arc<AppState<S>>>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, AppError> {
    check_token(
        headers.get("x-csrf-token").and_then(|v| v.to_str().ok()),
        &state.csrf,
    )?;
    let atlas = Atlas::shipped();
    let now = now();
    let id = match kind.as_str() {
        "pain" => {
            let r: PainReport = parse(&body)?;
            r.validate(now)?;
            lock(&state)?.add_pain_report(&r)?
        }
        "finding" => {
            let r: Finding = parse(&body)?;
            r.validate(atlas, now)?;
            lock(&state)?.add_finding(&r)?
        }
        "treatment" => {
            let r: Treatment = parse(&body)?;
            r.validate(atlas, now)?;
            lock(&state)?.add_treatment(&r)?
        }
        "run" => {
            let r: Run = parse(&body)?;
            r.validate(now)?;
            lock(&state)?.add_run(&r)?
        }
        "shoe" => {
            let r: Shoe = parse(&body)?;
            r.validate(now)?;
            lock(&state)?.add_shoe(&r)?
        }
        "checkin" => {
            let r: Checkin = parse(&body)?;
            r.validate(now)?;
            lock(&state)?.put_checkin(&r)?
        }
        "session" => {
            #[derive(serde::Deserialize)]
            struct Body {
                #[serde(flatten)]
                session: Session,
                #[serde(default)]
                findings: Vec<Finding>,
                #[serde(default)]
                treatments: Vec<Treatment>,
            }
            let b: Body = parse(&body)?;
            let record = SessionRecord {
                session: b.session,
                findings: b.findings,
                treatments: b.treatments,
            };
            record.validate(atlas, now)?;
            lock(&state)?.add_session(&record)?
        }
        other => return Err(AppError::NotFound(format!("no record kind `{other}`"))),
    };
    Ok(Json(serde_json::json!({ "id": id })))
}
