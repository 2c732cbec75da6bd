//! Accounts: Argon2id password hashes, server-side login sessions (a random 128-bit id whose
//! SHA-256 is stored, idle and absolute expiry, a CSRF token bound to each), login with lockout
//! after repeated failures, a per-address rate limit, and registration by invitation code.

use crate::{Clinic, Fail, Me};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use knots_store::sql::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The session cookie's name.
pub const COOKIE: &str = "knots_session";
/// A session unused this long ends.
pub const IDLE_S: i64 = 2 * 3600;
/// A session ends this long after login, used or not.
pub const ABSOLUTE_S: i64 = 12 * 3600;
/// Failed logins of one account before each further one locks it for a doubling time.
pub const FREE_FAILURES: i32 = 5;
/// Login and registration attempts allowed per address per [`RATE_WINDOW`].
pub const RATE_LIMIT: u32 = 30;
/// See [`RATE_LIMIT`].
pub const RATE_WINDOW: Duration = Duration::from_secs(300);
/// How long an invitation code stays valid.
pub const INVITE_S: i64 = 7 * 24 * 3600;

fn argon() -> Argon2<'static> {
    // OWASP's minimum for Argon2id: 19 MiB, 2 passes, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A password's PHC string (Argon2id, m = 19 MiB, t = 2, p = 1, a random 16-byte salt).
///
/// # Errors
/// When the random source fails.
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    argon()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches the PHC string `hash`.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| argon().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash no password matches, verified against when the email is unknown so that every failed
/// login costs the same time.
static DUMMY: LazyLock<String> =
    LazyLock::new(|| hash_password("not a password of anyone's").unwrap_or_default());

/// Makes the hash verified against for an unknown email now, so that the first such login does
/// not pay for it.
pub fn prepare() {
    LazyLock::force(&DUMMY);
}

/// The password rule: at least 10 characters.
///
/// # Errors
/// The rule in words.
pub fn check_password_strength(password: &str) -> Result<(), String> {
    if password.chars().count() < 10 {
        return Err("a password needs at least 10 characters".into());
    }
    Ok(())
}

/// `n` random bytes as lower-case hex.
///
/// # Errors
/// When the random source fails.
pub fn random_hex(n: usize) -> Result<String, Fail> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| Fail::Internal(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// SHA-256 of `text`.
pub fn sha256(text: &str) -> Vec<u8> {
    Sha256::digest(text.as_bytes()).to_vec()
}

/// Attempts per address, in fixed windows.
#[derive(Debug, Default)]
pub struct RateLimit {
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimit {
    /// Counts an attempt from `ip`; false when it is over the limit.
    pub fn allow(&self, ip: IpAddr) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if seen.len() > 10_000 {
            seen.retain(|_, (start, _)| now.duration_since(*start) < RATE_WINDOW);
        }
        let entry = seen.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= RATE_WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= RATE_LIMIT
    }
}

fn now_s() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// The session id in the request's cookie.
fn cookie_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
        .filter(|v| v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The signed-in user of a request, or `None` (no cookie, an unknown, expired or forged id, a
/// disabled account). Refreshes the session's idle clock.
///
/// # Errors
/// 503 when the database is unreachable.
pub fn signed_in(state: &Clinic, headers: &HeaderMap) -> Result<Option<Me>, Fail> {
    let Some(id) = cookie_id(headers) else {
        return Ok(None);
    };
    let hash = sha256(&id);
    let now = now_s();
    // A read: the session is found without the write lock; the rare write (an expired session
    // removed, `seen_s` moved on at most once a minute) is a transaction of its own.
    let found = state.db(None, |db| {
        db.read_tx(|tx| {
            let rows = tx.query(
                "SELECT u.id, u.email, u.role, u.clinic_id, c.name, u.client_id, s.csrf, \
                 s.created_s, s.seen_s FROM login_sessions s JOIN users u ON u.id = s.user_id \
                 JOIN clinics c ON c.id = u.clinic_id WHERE s.id_hash = ? AND NOT u.disabled",
                &[Value::Blob(hash.clone())],
            )?;
            Ok::<_, knots_store::Error>(rows.into_iter().next())
        })
    })?;
    let Some(r) = found else {
        return Ok(None);
    };
    let int = |v: &Value| {
        if let Value::Int(i) = v {
            Some(*i)
        } else {
            None
        }
    };
    let text = |v: &Value| {
        if let Value::Text(t) = v {
            t.clone()
        } else {
            String::new()
        }
    };
    let (created, seen) = (int(&r[7]).unwrap_or(0), int(&r[8]).unwrap_or(0));
    let expired = now - seen > IDLE_S || now - created > ABSOLUTE_S;
    if expired || now - seen > 60 {
        state.db(None, |db| {
            db.write_tx(|tx| {
                if expired {
                    tx.execute(
                        "DELETE FROM login_sessions WHERE id_hash = ?",
                        &[Value::Blob(hash.clone())],
                    )
                } else {
                    tx.execute(
                        "UPDATE login_sessions SET seen_s = ? WHERE id_hash = ?",
                        &[now.into(), Value::Blob(hash.clone())],
                    )
                }
            })
        })?;
    }
    if expired {
        return Ok(None);
    }
    let Ok(role) = crate::Role::parse(&text(&r[2])) else {
        return Ok(None);
    };
    Ok(Some(Me {
        id: int(&r[0]).unwrap_or(0),
        email: text(&r[1]),
        role,
        clinic: int(&r[3]).unwrap_or(0),
        clinic_name: text(&r[4]),
        client: int(&r[5]),
        csrf: text(&r[6]),
        session_hash: hash,
    }))
}

/// Starts a session for `user`: the `Set-Cookie` header value.
fn start_session(state: &Clinic, user: i64) -> Result<String, Fail> {
    let id = random_hex(16)?;
    let csrf = random_hex(24)?;
    let now = now_s();
    state.db(None, |db| {
        db.write_tx(|tx| {
            tx.execute(
                "INSERT INTO login_sessions (id_hash, user_id, csrf, created_s, seen_s) \
                 VALUES (?, ?, ?, ?, ?)",
                &[
                    Value::Blob(sha256(&id)),
                    user.into(),
                    csrf.into(),
                    now.into(),
                    now.into(),
                ],
            )
        })
    })?;
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    Ok(format!(
        "{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={ABSOLUTE_S}{secure}"
    ))
}

fn see_other(to: &str, cookie: Option<String>) -> Response {
    let mut r = Redirect::to(to).into_response();
    if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        r.headers_mut().insert(header::SET_COOKIE, c);
    }
    r
}

/// `POST /login` (form `email`, `password`): 303 to `/` with the session cookie, or 401 and the
/// form again — the same answer, after the same Argon2 work, for a wrong password, an unknown
/// email, a disabled or a locked account. 429 past the per-address limit.
pub async fn login(
    State(state): State<Arc<Clinic>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: axum::body::Bytes,
) -> Result<Response, Fail> {
    if !state.limits.allow(peer.ip()) {
        return Err(Fail::TooMany);
    }
    let form = crate::form(&body);
    let email = form.get("email").map_or("", String::as_str);
    let password = form.get("password").map_or("", String::as_str);
    let Some(user) = verify(&state, email, password).await? else {
        return Ok(login_failed());
    };
    let cookie = tokio::task::block_in_place(|| start_session(&state, user))?;
    Ok(see_other("/", Some(cookie)))
}

/// The account `email` with `password` when it may log in: the same Argon2 work and the same
/// `None` for a wrong password, an unknown email, a disabled and a locked account (a failure
/// counts towards the account's lock). Shared by `POST /login` and `knots share link`.
///
/// # Errors
/// 503 when the database is unreachable.
pub async fn verify(state: &Clinic, email: &str, password: &str) -> Result<Option<i64>, Fail> {
    let email = email.trim().to_lowercase();
    let now = now_s();
    let found = tokio::task::block_in_place(|| {
        state.db(None, |db| {
            db.read_tx(|tx| {
                tx.query(
                    "SELECT id, password_hash, disabled, failed, locked_until FROM users \
                     WHERE email = ?",
                    &[email.clone().into()],
                )
            })
        })
    })?;
    let row = found.into_iter().next();
    let hash = match row.as_ref().map(|r| &r[1]) {
        Some(Value::Text(h)) => h.clone(),
        _ => DUMMY.clone(),
    };
    let password = password.to_string();
    let matches = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
        .await
        .map_err(|e| Fail::Internal(e.to_string()))?;
    let int = |v: &Value| if let Value::Int(i) = v { *i } else { 0 };
    let usable = row.as_ref().filter(|r| {
        let disabled = matches!(r[2], Value::Bool(true));
        let locked = int(&r[4]) > now;
        matches && !disabled && !locked
    });
    let Some(user) = usable.map(|r| int(&r[0])) else {
        // The same statement for an unknown email, a wrong password, a disabled and a locked
        // account: it counts the failure where there is an account to count it on (past the
        // free failures each one locks the account for 30 s, doubling, at most 1 h) and matches
        // no row otherwise, so every failure costs the same work and gets the same answer.
        tokio::task::block_in_place(|| {
            state.db(None, |db| {
                db.write_tx(|tx| {
                    tx.execute(
                        "UPDATE users SET failed = failed + 1, locked_until = CASE \
                         WHEN failed + 1 >= ? THEN ? + LEAST(3600, 30 << LEAST(failed + 1 - ?, 7)::int) \
                         ELSE 0 END WHERE email = ? AND NOT disabled AND locked_until <= ?",
                        &[
                            i64::from(FREE_FAILURES).into(),
                            now.into(),
                            i64::from(FREE_FAILURES).into(),
                            email.clone().into(),
                            now.into(),
                        ],
                    )
                })
            })
        })?;
        return Ok(None);
    };
    tokio::task::block_in_place(|| {
        state.db(None, |db| {
            db.write_tx(|tx| {
                tx.execute(
                    "UPDATE users SET failed = 0, locked_until = 0 WHERE id = ?",
                    &[user.into()],
                )
            })
        })
    })?;
    Ok(Some(user))
}

fn login_failed() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        crate::pages::login_page(Some("Wrong email or password.")),
    )
        .into_response()
}

/// `POST /logout`: ends the session (its row is deleted) and clears the cookie.
pub async fn logout(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    if let Some(id) = cookie_id(&headers) {
        tokio::task::block_in_place(|| {
            state.db(None, |db| {
                db.write_tx(|tx| {
                    tx.execute(
                        "DELETE FROM login_sessions WHERE id_hash = ?",
                        &[Value::Blob(sha256(&id))],
                    )
                })
            })
        })?;
    }
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    Ok(see_other(
        "/login",
        Some(format!(
            "{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}"
        )),
    ))
}

/// `POST /register` (form `code`, `email`, `password`): a runner account for the invitation's
/// client, signed in (303 to `/`); 422 for an unknown, used or expired code or a taken email
/// (one message for all), 429 past the per-address limit.
pub async fn register(
    State(state): State<Arc<Clinic>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: axum::body::Bytes,
) -> Result<Response, Fail> {
    if !state.limits.allow(peer.ip()) {
        return Err(Fail::TooMany);
    }
    let form = crate::form(&body);
    let code = form
        .get("code")
        .map_or("", String::as_str)
        .trim()
        .to_uppercase();
    let password = form.get("password").cloned().unwrap_or_default();
    let refuse = |message: &str| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            crate::pages::register_page(Some(message)),
        )
            .into_response()
    };
    let Ok(email) = crate::schema::normal_email(form.get("email").map_or("", String::as_str))
    else {
        return Ok(refuse("That is not an email address."));
    };
    if let Err(message) = check_password_strength(&password) {
        return Ok(refuse(&message));
    }
    match redeem(&state, &code, &email, password).await? {
        Some(id) => {
            let cookie = tokio::task::block_in_place(|| start_session(&state, id))?;
            Ok(see_other("/", Some(cookie)))
        }
        _ => Ok(refuse(
            "That code is unknown, used or expired, or the email has an account.",
        )),
    }
}

/// Redeems invitation `code` (as typed, upper-cased) for a runner account `email` with
/// `password`, hashed off the async workers: the new user's id, or `None` when the code is
/// unknown, used or expired or the email has an account (the database tells them apart to no one).
///
/// # Errors
/// 503, or an internal fault of the hash.
pub async fn redeem(
    state: &Clinic,
    code: &str,
    email: &str,
    password: String,
) -> Result<Option<i64>, Fail> {
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| Fail::Internal(e.to_string()))?
        .map_err(Fail::Internal)?;
    let rows = tokio::task::block_in_place(|| {
        state.db(None, |db| {
            db.write_tx(|tx| {
                tx.query(
                    "SELECT knots_redeem(?, ?, ?, ?)",
                    &[
                        Value::Blob(sha256(code)),
                        email.into(),
                        hash.into(),
                        now_s().into(),
                    ],
                )
            })
        })
    })?;
    Ok(match rows.first().and_then(|r| r.first()) {
        Some(Value::Int(id)) => Some(*id),
        _ => None,
    })
}

/// A new invitation code for `client` (one use, [`INVITE_S`] valid): 12 letters and digits in
/// groups of four. Only its SHA-256 is stored.
///
/// # Errors
/// The database's; 404 when the client is not visible to `me`.
pub fn invite(state: &Clinic, me: &Me, client: i64) -> Result<String, Fail> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| Fail::Internal(e.to_string()))?;
    let letters: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    let code = format!("{}-{}-{}", &letters[0..4], &letters[4..8], &letters[8..12]);
    state.db(Some(me.scope(Some(client), false)), |db| {
        db.write_tx(|tx| {
            tx.execute(
                "INSERT INTO invites (code_hash, client_id, expires_s) VALUES (?, ?, ?)",
                &[
                    Value::Blob(sha256(&code)),
                    client.into(),
                    (now_s() + INVITE_S).into(),
                ],
            )
        })
    })?;
    Ok(code)
}
