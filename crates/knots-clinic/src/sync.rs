//! The server's side of sync with runners' own journals (`knots share link`, `knots sync`,
//! `knots share revoke`; the protocol is described in `knots_app::sync`).
//!
//! Linking redeems an invitation code (a new runner account, as `/register` does) or logs in
//! (as `/login` does, with its lockout), under the same per-address rate limit, and makes a
//! device token whose SHA-256 is kept in `sync_devices`. Every other request is authorised by
//! that token alone: a revoked link or a disabled account is refused with the reason, and the
//! request runs scoped to the token's runner and their client ([`Scope`]), so row-level security
//! keeps a push to their own record and a pull from it. A push is checked change by change
//! (`knots_app::sync::decode`: the rules of a new record; only the runner's kinds that the link
//! shares) and applied in one transaction, audited by the triggers.

use crate::auth::{check_password_strength, random_hex, redeem, sha256, verify};
use crate::{Clinic, Fail};
use axum::Json;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use knots_app::sync::{PAGE, decode, practice_sends, runner_shares};
use knots_core::Atlas;
use knots_core::sync::{Share, Side, parse_shares};
use knots_store::postgres::Scope;
use knots_store::sql::Value;
use knots_store::sync::Item;
use serde_json::json;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// A pull page stops once its items' JSON passes this many bytes.
pub const PULL_BYTES: usize = 1024 * 1024;

/// A refusal: the status and the reason, sent as `{"error": …}`.
#[derive(Debug)]
pub struct Refusal(StatusCode, String);

impl Refusal {
    fn new(status: StatusCode, reason: impl Into<String>) -> Refusal {
        Refusal(status, reason.into())
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut r = (self.0, Json(json!({ "error": self.1 }))).into_response();
        if self.0 == StatusCode::TOO_MANY_REQUESTS {
            r.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("300"));
        }
        r
    }
}

impl From<Fail> for Refusal {
    fn from(f: Fail) -> Refusal {
        match f {
            Fail::TooMany => Refusal::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too many attempts from this address: wait a few minutes",
            ),
            Fail::App(knots_web::AppError::Unavailable(_)) => Refusal::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the clinic's database is busy or unreachable: retry",
            ),
            Fail::App(knots_web::AppError::Invalid(errors)) => Refusal::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Fail::App(knots_web::AppError::Conflict(m)) => Refusal::new(StatusCode::CONFLICT, m),
            other => {
                let status = other.into_response().status();
                Refusal::new(status, "internal error")
            }
        }
    }
}

impl From<knots_store::Error> for Refusal {
    fn from(e: knots_store::Error) -> Refusal {
        Fail::from(e).into()
    }
}

fn now_s() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// A linked device: whom its requests act for and what it shares.
#[derive(Debug, Clone)]
pub struct Device {
    /// The link's id.
    pub id: i64,
    /// The runner's account.
    pub user: i64,
    /// Their clinic.
    pub clinic: i64,
    /// Their client record.
    pub client: i64,
    /// What the link shares.
    pub shares: Vec<Share>,
}

impl Device {
    fn scope(&self) -> Scope {
        Scope {
            user: self.user,
            clinic: self.clinic,
            client: Some(self.client),
            audit_reads: false,
        }
    }
}

/// The device a request's `Authorization: Bearer …` token names, or the reason it may not sync.
///
/// # Errors
/// 401 without a token or for an unknown one, 403 for a revoked link or a disabled account.
pub fn device(state: &Clinic, headers: &HeaderMap) -> Result<Device, Refusal> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            Refusal::new(
                StatusCode::UNAUTHORIZED,
                "no device token: link this journal with `knots share link` first",
            )
        })?;
    let rows = state.db(None, |db| {
        db.read_tx(|tx| {
            tx.query(
                "SELECT d.id, d.user_id, d.clinic_id, d.client_id, d.shares, d.revoked_s, \
                 u.disabled, u.client_id FROM sync_devices d JOIN users u ON u.id = d.user_id \
                 WHERE d.token_hash = ?",
                &[Value::Blob(sha256(token))],
            )
        })
    })?;
    let Some(r) = rows.into_iter().next() else {
        return Err(Refusal::new(
            StatusCode::UNAUTHORIZED,
            "the server does not know this journal's link: link it again with `knots share link`",
        ));
    };
    let int = |v: &Value| {
        if let Value::Int(i) = v {
            Some(*i)
        } else {
            None
        }
    };
    if let Some(revoked) = int(&r[5]) {
        let when = jiff::Timestamp::from_second(revoked)
            .map(|t| t.strftime("%Y-%m-%d").to_string())
            .unwrap_or_default();
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            format!(
                "sharing with this practice was revoked on {when}: link again with `knots share \
                 link` to share"
            ),
        ));
    }
    if matches!(r[6], Value::Bool(true)) {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "the runner's account at this practice is disabled: ask the practice",
        ));
    }
    if int(&r[7]) != int(&r[3]) {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "this account is no longer linked to the client record it shared with",
        ));
    }
    let shares = match &r[4] {
        Value::Text(t) => parse_shares(t).unwrap_or_default(),
        _ => Vec::new(),
    };
    Ok(Device {
        id: int(&r[0]).unwrap_or(0),
        user: int(&r[1]).unwrap_or(0),
        clinic: int(&r[2]).unwrap_or(0),
        client: int(&r[3]).unwrap_or(0),
        shares,
    })
}

#[derive(Debug, serde::Deserialize)]
struct LinkBody {
    email: String,
    password: String,
    #[serde(default)]
    code: Option<String>,
    shares: Vec<String>,
}

fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Refusal> {
    serde_json::from_slice(bytes).map_err(|e| {
        Refusal::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("the request is not what this server takes: {e}"),
        )
    })
}

/// `POST /api/sync/link` `{"email", "password", "code"?, "shares"}` → `{"token", "clinic",
/// "client"}`. With a code: a new runner account for the invitation's client (the code is used
/// up); without: the runner's existing account. 422 for an unknown, used or expired code (one
/// message for all), 401 for a wrong login, 403 for a staff account, 429 past the per-address
/// limit shared with `/login` and `/register`.
pub async fn link(
    State(state): State<Arc<Clinic>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    bytes: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, Refusal> {
    if !state.limits.allow(peer.ip()) {
        return Err(Fail::TooMany.into());
    }
    let req: LinkBody = body(&bytes)?;
    let shares = parse_shares(&req.shares.join(","))
        .map_err(|e| Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    if shares.is_empty() {
        return Err(Refusal::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "choose what to share: --share runs,pain,self-care,checkins",
        ));
    }
    let email = crate::schema::normal_email(&req.email)
        .map_err(|e| Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    let user = match req.code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => {
            check_password_strength(&req.password)
                .map_err(|m| Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, m))?;
            match redeem(&state, &code.to_uppercase(), &email, req.password.clone()).await? {
                Some(id) => id,
                None => {
                    return Err(Refusal::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "that invitation code is unknown, used or expired, or the email has an \
                         account already (link without --code to log in to it)",
                    ));
                }
            }
        }
        None => verify(&state, &email, &req.password)
            .await?
            .ok_or_else(|| Refusal::new(StatusCode::UNAUTHORIZED, "wrong email or password"))?,
    };
    let token = random_hex(32)?;
    let now = now_s();
    let found = tokio::task::block_in_place(|| {
        state.db(None, |db| {
            db.read_tx(|tx| {
                tx.query(
                    "SELECT u.role, u.clinic_id, u.client_id, c.name FROM users u \
                     JOIN clinics c ON c.id = u.clinic_id WHERE u.id = ?",
                    &[user.into()],
                )
            })
        })
    })?;
    let (clinic, client, name) = match found.first().map(Vec::as_slice) {
        Some(
            [
                Value::Text(role),
                Value::Int(clinic),
                Value::Int(client),
                Value::Text(name),
            ],
        ) if role == "runner" => (*clinic, *client, name.clone()),
        _ => {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                "only a runner's account links a journal (therapists and admins use the web app)",
            ));
        }
    };
    let scope = Scope {
        user,
        clinic,
        client: Some(client),
        audit_reads: false,
    };
    let words: Vec<&str> = shares.iter().map(|s| s.as_str()).collect();
    tokio::task::block_in_place(|| {
        state.db(Some(scope), |db| {
            db.write_tx(|tx| {
                tx.execute(
                    "INSERT INTO sync_devices (token_hash, user_id, clinic_id, client_id, shares, \
                     created_s) VALUES (?, ?, ?, ?, ?, ?)",
                    &[
                        Value::Blob(sha256(&token)),
                        user.into(),
                        clinic.into(),
                        client.into(),
                        words.join(",").into(),
                        now.into(),
                    ],
                )
            })
        })
    })?;
    Ok(Json(
        json!({ "token": token, "clinic": name, "client": client }),
    ))
}

#[derive(Debug, serde::Deserialize)]
struct PushBody {
    items: Vec<Item>,
}

/// `POST /api/sync/push` `{"items": [Item]}` → `{"applied", "already", "refused"}`: the runner's
/// changes, checked and applied in one transaction (replayed ones change nothing). 403 for a
/// change of a kind the link does not share or the runner does not own, 422 for one that breaks
/// a rule.
pub async fn push(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, Refusal> {
    let dev = tokio::task::block_in_place(|| device(&state, &headers))?;
    let req: PushBody = body(&bytes)?;
    let atlas = Atlas::shipped();
    let applied = tokio::task::block_in_place(|| {
        state.db(Some(dev.scope()), |db| {
            let mut incoming = Vec::with_capacity(req.items.len());
            for item in &req.items {
                let it = match decode(db, item, atlas) {
                    Ok(it) => it,
                    Err(e) => {
                        return Ok(Err(Refusal::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            e.to_string(),
                        )));
                    }
                };
                if !runner_shares(&dev.shares, it.kind, it.record.as_ref()) {
                    return Ok(Err(Refusal::new(
                        StatusCode::FORBIDDEN,
                        format!(
                            "{} {} is not among what this link shares, or not the runner's",
                            it.kind.noun(),
                            it.uid
                        ),
                    )));
                }
                incoming.push(it);
            }
            db.apply(Side::Runner, &incoming, None).map(Ok)
        })
    })??;
    Ok(Json(json!({
        "applied": applied.applied,
        "already": applied.already,
        "refused": applied.refused,
    })))
}

/// The `after` query parameter of a pull (0 when absent).
///
/// # Errors
/// 422 when it is not a sequence number.
fn cursor(q: &HashMap<String, String>) -> Result<i64, Refusal> {
    q.get("after").map_or(Ok(0), |a| {
        a.parse::<i64>().map_err(|_| {
            Refusal::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "`after`: a sequence number",
            )
        })
    })
}

/// `GET /api/sync/pull?after=N` → `{"items": [Item], "last", "more"}`: the practice's changes
/// to this runner's record after sequence `N`, a page at a time.
pub async fn pull(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, Refusal> {
    let dev = tokio::task::block_in_place(|| device(&state, &headers))?;
    let after = cursor(&q)?;
    let page = tokio::task::block_in_place(|| {
        state.db(Some(dev.scope()), |db| {
            db.changes_after(after, PAGE, PULL_BYTES, practice_sends)
        })
    })?;
    Ok(Json(json!({
        "items": page.items,
        "last": page.last,
        "more": page.more,
    })))
}

/// `GET /api/sync/programs?after=N` → `{"programs": [ProgramChange], "last", "more"}`: the
/// changes to this runner's home programs after sequence `N` of `program_log`, each program
/// whole as it is now (its items and their ticks) or a tombstone, a page at a time.
pub async fn programs(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, Refusal> {
    let dev = tokio::task::block_in_place(|| device(&state, &headers))?;
    let after = cursor(&q)?;
    let (changes, last, more) = tokio::task::block_in_place(|| {
        state.db(Some(dev.scope()), |db| {
            db.read_tx(|tx| crate::programs::changes_after(tx, dev.client, after, PAGE, PULL_BYTES))
        })
    })?;
    Ok(Json(json!({
        "programs": changes,
        "last": last,
        "more": more,
    })))
}

#[derive(Debug, serde::Deserialize)]
struct TicksBody {
    ticks: Vec<knots_core::program::TickChange>,
}

/// `POST /api/sync/ticks` `{"ticks": [{"item", "date", "done"}]}` → `{"applied", "refused"}`
/// (`applied`: the ticks that changed something):
/// ticks made in the runner's own journal, applied in order in one transaction (a tick already
/// there, or an untick of a day not ticked, changes nothing; audited as the runner's). A tick
/// for an item this runner may not see, or on a day it does not run, is refused (counted, not
/// written).
pub async fn ticks(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, Refusal> {
    let dev = tokio::task::block_in_place(|| device(&state, &headers))?;
    let req: TicksBody = body(&bytes)?;
    if req.ticks.len() > PAGE {
        return Err(Refusal::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("at most {PAGE} ticks a request"),
        ));
    }
    let (applied, refused) = tokio::task::block_in_place(|| {
        state.db(Some(dev.scope()), |db| {
            db.write_tx(|tx| {
                let (mut applied, mut refused) = (0, 0);
                for t in &req.ticks {
                    let found = tx.query(
                        "SELECT id FROM program_items WHERE uid = ? AND client_id = ?",
                        &[t.item.as_str().into(), dev.client.into()],
                    )?;
                    let Some(Value::Int(item)) = found.first().and_then(|r| r.first()).cloned()
                    else {
                        refused += 1;
                        continue;
                    };
                    let there = !tx
                        .query(
                            "SELECT 1 FROM ticks WHERE item_id = ? AND date = ?",
                            &[item.into(), t.date.to_string().into()],
                        )?
                        .is_empty();
                    match crate::programs::tick(tx, dev.client, item, t.date, t.done) {
                        Ok(()) if there != t.done => applied += 1,
                        Ok(()) => {}
                        // An item gone, or a day outside the item's dates: refused, counted.
                        Err(
                            knots_store::Error::NotFound { .. } | knots_store::Error::Invalid(_),
                        ) => refused += 1,
                        Err(e) => return Err(e),
                    }
                }
                Ok((applied, refused))
            })
        })
    })?;
    Ok(Json(json!({ "applied": applied, "refused": refused })))
}

#[derive(Debug, Default, serde::Deserialize)]
struct RevokeBody {
    #[serde(default)]
    delete_request: bool,
}

/// `POST /api/sync/revoke` `{"delete_request": bool}` → `{"revoked": true}`: the link stops
/// working; what was shared stays the practice's clinical record (audited), and a deletion
/// request is kept on the link for the admin (it shows on the audit trail).
pub async fn revoke(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, Refusal> {
    let dev = tokio::task::block_in_place(|| device(&state, &headers))?;
    let req: RevokeBody = if bytes.is_empty() {
        RevokeBody::default()
    } else {
        body(&bytes)?
    };
    tokio::task::block_in_place(|| {
        state.db(Some(dev.scope()), |db| {
            db.write_tx(|tx| {
                tx.execute(
                    "UPDATE sync_devices SET revoked_s = ?, delete_requested = ? WHERE id = ?",
                    &[now_s().into(), req.delete_request.into(), dev.id.into()],
                )
            })
        })
    })?;
    Ok(Json(json!({ "revoked": true })))
}
