//! The sync client: a runner's journal linked to their practice's clinic server (`knots share
//! link`), pushing the kinds it shares and pulling what the practice wrote (`knots sync`, the
//! web's sync button), and the link revoked (`knots share revoke`). Also [`decode`], the check
//! both sides run on every change they receive.
//!
//! The protocol (JSON over HTTPS; plain `http://` only to a loopback server):
//! - `POST /api/sync/link` `{"email", "password", "code"?, "shares"}` → `{"token", "clinic",
//!   "client"}`: redeems the invitation code (a new runner account) or logs in, and makes a device
//!   token; the server keeps only its hash.
//! - `POST /api/sync/push` (`Authorization: Bearer TOKEN`) `{"items": [Item]}` →
//!   `{"applied", "already", "refused"}`: one transaction; replayed items change nothing.
//! - `GET /api/sync/pull?after=N` → `{"items": [Item], "last", "more"}`.
//! - `POST /api/sync/revoke` `{"delete_request": bool}`.
//!
//! Refusals carry `{"error": "…"}`, which the client shows. The push cursor moves only after the
//! server acknowledged a whole page; a pulled page is applied and its cursor moved in one
//! transaction. So a sync cut anywhere (the client killed, the server gone, a 500) leaves the
//! journal as it was apart from what was acknowledged, and the next sync completes.

use crate::record::{self, Context};
use jiff::Timestamp;
use knots_core::Atlas;
use knots_core::change::{Kind, Record};
use knots_core::journal::Now;
use knots_core::program::{ProgramChange, global_id};
use knots_core::sync::{Share, Side, share_of, share_of_kind};
use knots_store::sql::Engine;
use knots_store::sync::{Incoming, Item, Link};
use knots_store::{Db, Store};
use std::time::Duration;

/// Lines of the sync log per page.
pub const PAGE: usize = 200;
/// A page stops once its items' JSON passes this many bytes (the server takes bodies of up to
/// 256 KiB; one record's text is at most 64 KiB per field).
pub const PAGE_BYTES: usize = 96 * 1024;

/// Why a sync step failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input: a URL, an unlinked journal (exit 2).
    #[error("{0}")]
    Input(String),
    /// The server refused, with its reason (exit 1).
    #[error("the clinic server refused: {0}")]
    Refused(String),
    /// The server could not be reached or broke off (exit 1; sync again).
    #[error("cannot reach the clinic server at {url}: {message} (nothing was lost: sync again)")]
    Network {
        /// The server.
        url: String,
        /// Why.
        message: String,
    },
    /// A change from the other side breaks a rule.
    #[error("a change from the other side ({kind} {uid}) is not valid: {message}")]
    Invalid {
        /// Its kind.
        kind: Kind,
        /// Its global id.
        uid: String,
        /// Why.
        message: String,
    },
    /// A home program from the practice breaks a rule.
    #[error("a home program from the practice ({uid}) is not valid: {message}")]
    InvalidProgram {
        /// Its global id.
        uid: String,
        /// Why.
        message: String,
    },
    /// The journal.
    #[error(transparent)]
    Store(#[from] knots_store::Error),
}

/// What a sync did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Outcome {
    /// Changes the server took that it did not have.
    pub pushed: usize,
    /// Changes of the practice written here.
    pub pulled: usize,
}

/// Checks a change received from the other side and turns it into what the store applies: the
/// record parses as its kind and meets every rule a new record meets, but two that are the
/// owner's: an unusual value was confirmed there, and "not in the future" was checked against the
/// owner's clock (this machine's may be wrong; sync never orders by clocks).
///
/// # Errors
/// [`Error::Invalid`] naming the change and the field.
pub fn decode<S: Store>(store: &S, item: &Item, atlas: &Atlas) -> Result<Incoming, Error> {
    let invalid = |message: String| Error::Invalid {
        kind: item.kind,
        uid: item.uid.chars().take(40).collect(),
        message,
    };
    let id_ok = |u: &str| {
        (1..=64).contains(&u.len()) && u.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
    };
    if !id_ok(&item.uid) || item.parent.as_deref().is_some_and(|p| !id_ok(p)) {
        return Err(invalid("a global id is a UUID".into()));
    }
    if !knots_core::sync::synced(item.kind) {
        return Err(invalid(format!("{} records do not sync", item.kind.noun())));
    }
    let record = match &item.record {
        None => None,
        Some(json) => {
            let record =
                Record::from_json(item.kind, json.clone()).map_err(|e| invalid(e.to_string()))?;
            let cx = Context {
                atlas,
                now: Now {
                    at: Timestamp::MAX,
                    today: jiff::civil::Date::MAX,
                },
                force: true,
            };
            record::check(store, &record, None, cx).map_err(|e| invalid(e.to_string()))?;
            Some(record)
        }
    };
    Ok(Incoming {
        seq: item.seq,
        uid: item.uid.clone(),
        kind: item.kind,
        record,
        parent: item.parent.clone(),
    })
}

/// Whether the runner's change `record` (`None`: a deletion of `kind`) is among `shares`.
pub fn runner_shares(shares: &[Share], kind: Kind, record: Option<&Record>) -> bool {
    let share = match record {
        Some(r) if knots_core::sync::owner(r) == Side::Runner => share_of(r),
        Some(_) => None,
        None => share_of_kind(kind),
    };
    share.is_some_and(|s| shares.contains(&s))
}

/// Whether the practice's change `record` (`None`: a deletion of `kind`) goes to the runner.
pub fn practice_sends(kind: Kind, record: Option<&Record>) -> bool {
    match record {
        Some(r) => knots_core::sync::owner(r) == Side::Practice,
        None => matches!(kind, Kind::Session | Kind::Finding | Kind::Treatment),
    }
}

/// The server's base URL, checked: `https://…`, or `http://` to a loopback host (tests, a
/// server on this machine).
///
/// # Errors
/// [`Error::Input`] saying why.
pub fn check_url(url: &str) -> Result<String, Error> {
    let url = url.trim().trim_end_matches('/');
    let lower = url.to_ascii_lowercase();
    let rest = if let Some(rest) = lower.strip_prefix("https://") {
        rest
    } else if let Some(rest) = lower.strip_prefix("http://") {
        let host = rest.split('/').next().unwrap_or("");
        let host = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => host.rsplit_once(':').map_or(host, |(h, _)| h),
        };
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !loopback {
            return Err(Error::Input(format!(
                "`{url}`: plain http:// is only for a server on this machine; use https://"
            )));
        }
        rest
    } else {
        return Err(Error::Input(format!(
            "`{url}` is not an https:// URL of a clinic server"
        )));
    };
    if rest.is_empty() || rest.starts_with('/') {
        return Err(Error::Input(format!("`{url}` names no host")));
    }
    Ok(url.to_string())
}

/// The environment variable naming a PEM file of certificates to trust for the practice's
/// server instead of the public certificate authorities: for a server whose certificate the
/// practice made itself (`knots serve --clinic --tls-cert …` with a self-signed certificate).
pub const CA_CERT_ENV: &str = "KNOTS_CA_CERT";

/// The HTTPS client: the public certificate authorities, or only the certificates of the file
/// named by [`CA_CERT_ENV`].
fn agent() -> Result<ureq::Agent, Error> {
    let ca = std::env::var_os(CA_CERT_ENV).filter(|p| !p.is_empty());
    agent_trusting(ca.as_deref().map(std::path::Path::new))
}

/// The HTTPS client trusting only the certificates in the PEM file `ca`, or, with `None`, the
/// public certificate authorities.
fn agent_trusting(ca: Option<&std::path::Path>) -> Result<ureq::Agent, Error> {
    use ureq::tls::{PemItem, RootCerts, TlsConfig, parse_pem};
    let mut config = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(60)))
        .http_status_as_error(false);
    if let Some(path) = ca {
        let named =
            |why: String| Error::Input(format!("{CA_CERT_ENV}=`{}`: {why}", path.display()));
        let pem = std::fs::read(path).map_err(|e| named(e.to_string()))?;
        let certs: Vec<_> = parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(PemItem::Certificate(cert)) => Some(cert),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(named("holds no PEM certificate".into()));
        }
        config = config.tls_config(
            TlsConfig::builder()
                .root_certs(RootCerts::new_with_certs(&certs))
                .build(),
        );
    }
    Ok(config.build().into())
}

/// A response's JSON, or the server's reason for refusing.
fn answer(
    url: &str,
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<serde_json::Value, Error> {
    let network = |e: &dyn std::fmt::Display| Error::Network {
        url: url.to_string(),
        message: e.to_string(),
    };
    let mut response = response.map_err(|e| {
        // rustls' refusal arrives as an IO error of the handshake, named by its message.
        let tls = matches!(e, ureq::Error::Tls(_) | ureq::Error::Rustls(_))
            || e.to_string().contains("certificate");
        if tls {
            network(&format!(
                "{e}: the server's certificate is not trusted here (for a practice server with \
                 a certificate of its own, set {CA_CERT_ENV} to its PEM file)"
            ))
        } else {
            network(&e)
        }
    })?;
    let status = response.status();
    let body = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()
        .map_err(|e| network(&e))?;
    if status.is_success() {
        return serde_json::from_str(&body)
            .map_err(|e| network(&format!("the answer is not JSON ({e})")));
    }
    let reason = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
        .unwrap_or_else(|| body.trim().chars().take(300).collect());
    if status.is_server_error() {
        return Err(network(&format!("{status}: {reason}")));
    }
    Err(Error::Refused(reason))
}

/// What `knots share link` asks for.
#[derive(Debug, Clone)]
pub struct LinkRequest {
    /// The server's base URL.
    pub url: String,
    /// The invitation code (a new runner account), or `None` to log in to an existing one.
    pub code: Option<String>,
    /// The runner's email.
    pub email: String,
    /// Their password.
    pub password: String,
    /// What to share.
    pub shares: Vec<Share>,
}

/// What the server said when linking.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Linked {
    /// The server.
    pub url: String,
    /// The practice's name.
    pub clinic: String,
    /// What is shared.
    pub shares: Vec<Share>,
}

/// Links this journal to a clinic server: redeems the code or logs in, and keeps the device
/// token and the shared kinds in the journal. Nothing is sent or fetched until [`sync`].
///
/// # Errors
/// [`Error::Input`] for a bad URL or a journal already linked; the server's refusal.
pub fn link<E: Engine>(db: &mut Db<E>, req: &LinkRequest) -> Result<Linked, Error> {
    let url = check_url(&req.url)?;
    if let Some(old) = db.link()? {
        return Err(Error::Input(format!(
            "this journal is linked to {} already: `knots share revoke` first",
            old.url
        )));
    }
    let shares: Vec<&str> = req.shares.iter().map(|s| s.as_str()).collect();
    let body = serde_json::json!({
        "email": req.email,
        "password": req.password,
        "code": req.code,
        "shares": shares,
    });
    let endpoint = format!("{url}/api/sync/link");
    let got = answer(&url, agent()?.post(&endpoint).send_json(&body))?;
    let token = got
        .get("token")
        .and_then(|t| t.as_str())
        .ok_or_else(|| Error::Refused("the server sent no token".into()))?;
    db.set_link(Some(&Link {
        url: url.clone(),
        token: token.to_string(),
        shares: req.shares.clone(),
        pushed: 0,
        pulled: 0,
        synced_at: None,
        programs_pulled: 0,
        ticks_pushed: 0,
    }))?;
    Ok(Linked {
        url,
        clinic: got
            .get("clinic")
            .and_then(|c| c.as_str())
            .unwrap_or("")
            .to_string(),
        shares: req.shares.clone(),
    })
}

/// How many changes the server says it applied (`applied`; 0 when missing).
fn applied(got: &serde_json::Value) -> usize {
    got.get("applied")
        .and_then(serde_json::Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0)
}

fn linked<E: Engine>(db: &Db<E>) -> Result<Link, Error> {
    db.link()?.ok_or_else(|| {
        Error::Input(
            "this journal is not linked to a clinic server: `knots share link URL --code …` first"
                .into(),
        )
    })
}

/// Pushes this journal's changes of the shared kinds since the last acknowledged one, then pulls
/// the practice's since the last pulled, page by page. Afterwards both sides hold the same
/// shared records.
///
/// # Errors
/// [`Error::Input`] when not linked; the server's refusal (a revoked link says so); a network
/// error (sync again: nothing unacknowledged was recorded); a pulled change that breaks a rule.
pub fn sync<E: Engine>(db: &mut Db<E>, atlas: &Atlas, at: Timestamp) -> Result<Outcome, Error> {
    let mut link = linked(db)?;
    let agent = agent()?;
    let bearer = format!("Bearer {}", link.token);
    let mut out = Outcome::default();
    let url = link.url.clone();
    // One page of the server's changes after `after`, from `/api/sync/{path}`.
    let get_page = |path: &str, after: i64| {
        answer(
            &url,
            agent
                .get(format!("{url}/api/sync/{path}"))
                .query("after", after.to_string())
                .header("authorization", &bearer)
                .call(),
        )
    };
    loop {
        let shares = link.shares.clone();
        let page = db.changes_after(link.pushed, PAGE, PAGE_BYTES, |kind, record| {
            runner_shares(&shares, kind, record)
        })?;
        if !page.items.is_empty() {
            let got = answer(
                &link.url,
                agent
                    .post(format!("{}/api/sync/push", link.url))
                    .header("authorization", &bearer)
                    .send_json(serde_json::json!({ "items": page.items })),
            )?;
            out.pushed += applied(&got);
        }
        if page.last > link.pushed {
            db.set_pushed(page.last)?;
            link.pushed = page.last;
        }
        if !page.more {
            break;
        }
    }
    loop {
        let got = get_page("pull", link.pulled)?;
        let (items, last, more) = page::<Item>(&link.url, &got, "items")?;
        let incoming = items
            .iter()
            .map(|i| decode(db, i, atlas))
            .collect::<Result<Vec<_>, _>>()?;
        if last > link.pulled || !incoming.is_empty() {
            let applied = db.apply(Side::Practice, &incoming, Some(last.max(link.pulled)))?;
            out.pulled += applied.applied;
            link.pulled = last.max(link.pulled);
        }
        if !more {
            break;
        }
    }
    // The runner's ticks, before the programs are pulled (which then bring the server's state).
    loop {
        let (ticks, last, more) = db.ticks_after(link.ticks_pushed, PAGE)?;
        if !ticks.is_empty() {
            let got = answer(
                &link.url,
                agent
                    .post(format!("{}/api/sync/ticks", link.url))
                    .header("authorization", &bearer)
                    .send_json(serde_json::json!({ "ticks": ticks })),
            )?;
            out.pushed += applied(&got);
        }
        if last > link.ticks_pushed {
            db.set_ticks_pushed(last)?;
            link.ticks_pushed = last;
        }
        if !more {
            break;
        }
    }
    loop {
        let got = get_page("programs", link.programs_pulled)?;
        let (changes, last, more) = program_page(&link.url, &got)?;
        if last > link.programs_pulled || !changes.is_empty() {
            let pulled = last.max(link.programs_pulled);
            let applied = db.apply_programs(&changes, Some(pulled))?;
            out.pulled += applied.applied;
            link.programs_pulled = pulled;
        }
        if !more {
            break;
        }
    }
    db.set_synced_at(at)?;
    Ok(out)
}

/// A page the server answered: its list under `field`, the sequence it reaches (`last`) and
/// whether more follow (`more`).
///
/// # Errors
/// [`Error::Network`] naming the field that is missing or malformed.
fn page<T: serde::de::DeserializeOwned>(
    url: &str,
    got: &serde_json::Value,
    field: &str,
) -> Result<(Vec<T>, i64, bool), Error> {
    let protocol = |what: &str| Error::Network {
        url: url.to_string(),
        message: format!("the server's page has no valid `{what}`"),
    };
    let list = got
        .get(field)
        .cloned()
        .map(serde_json::from_value)
        .transpose()
        .map_err(|_| protocol(field))?
        .unwrap_or_default();
    let last = got
        .get("last")
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| protocol("last"))?;
    let more = got
        .get("more")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    Ok((list, last, more))
}

/// A page of the server's program changes, each checked ([`Program::validate`]).
///
/// # Errors
/// [`Error::Network`] for a page that is not one; [`Error::Invalid`] for a program breaking a
/// rule.
fn program_page(
    url: &str,
    got: &serde_json::Value,
) -> Result<(Vec<ProgramChange>, i64, bool), Error> {
    let (changes, last, more) = page::<ProgramChange>(url, got, "programs")?;
    for c in &changes {
        let invalid = |message: String| Error::InvalidProgram {
            uid: c.uid.chars().take(40).collect(),
            message,
        };
        if !global_id(&c.uid) {
            return Err(invalid("a global id is a UUID".into()));
        }
        if let Some(p) = &c.program {
            p.validate().map_err(|e| invalid(e.to_string()))?;
        }
    }
    Ok((changes, last, more))
}

/// Stops sharing: the server marks the link revoked (the practice keeps what was shared, as its
/// clinical record; `delete_request` asks the practice to delete it), and this journal forgets
/// the token. A server that no longer knows the token counts as revoked.
///
/// # Errors
/// [`Error::Input`] when not linked; the network (the link is kept: revoke again).
pub fn revoke<E: Engine>(db: &mut Db<E>, delete_request: bool) -> Result<String, Error> {
    let link = linked(db)?;
    let sent = answer(
        &link.url,
        agent()?
            .post(format!("{}/api/sync/revoke", link.url))
            .header("authorization", format!("Bearer {}", link.token))
            .send_json(serde_json::json!({ "delete_request": delete_request })),
    );
    match sent {
        Ok(_) | Err(Error::Refused(_)) => {
            db.set_link(None)?;
            Ok(link.url)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use knots_store::SqliteStore;

    /// A practice server on 127.0.0.1 with a self-signed certificate, answering `{"ok":true}` to
    /// each of `connections` connections (or dropping those whose handshake fails).
    fn self_signed_server(connections: usize) -> (String, String) {
        use std::io::{Read as _, Write as _};
        let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
        let config = std::sync::Arc::new(
            rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![made.cert.der().clone()], key)
            .unwrap(),
        );
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for tcp in listener.incoming().take(connections) {
                let Ok(mut tcp) = tcp else { continue };
                let mut conn = rustls::ServerConnection::new(config.clone()).unwrap();
                let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
                let (mut head, mut buf) = (Vec::new(), [0u8; 4096]);
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                if !head.is_empty() {
                    let body = r#"{"ok":true}"#;
                    let _ = write!(
                        tls,
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = tls.flush();
                }
            }
        });
        (url, made.cert.pem())
    }

    #[test]
    fn a_practice_certificate_named_in_knots_ca_cert_is_trusted_and_unknown_ones_are_not() {
        let (url, pem) = self_signed_server(2);
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("practice.pem");
        std::fs::write(&ca, &pem).unwrap();
        let get = |agent: ureq::Agent| answer(&url, agent.get(format!("{url}/")).call());
        // The public authorities do not know the practice's own certificate: refused, saying
        // what to do.
        let err = get(agent_trusting(None).unwrap()).unwrap_err().to_string();
        assert!(err.contains(CA_CERT_ENV), "{err}");
        // Trusting the practice's certificate: the answer comes through.
        let ok = get(agent_trusting(Some(&ca)).unwrap()).unwrap();
        assert_eq!(ok, serde_json::json!({"ok": true}));
        // A file that is missing or holds no certificate is named, before anything is sent.
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate").unwrap();
        for bad in [dir.path().join("missing.pem"), empty] {
            let err = agent_trusting(Some(&bad)).unwrap_err().to_string();
            assert!(err.contains(&bad.display().to_string()), "{err}");
        }
    }

    fn item(record: serde_json::Value) -> Item {
        Item {
            seq: 7,
            kind: Kind::Run,
            uid: "0190a1b2-0000-7000-8000-000000000001".into(),
            record: Some(record),
            parent: None,
        }
    }

    #[test]
    fn a_change_from_the_other_side_meets_the_rules_but_not_this_machines_clock() {
        let store = SqliteStore::open(std::path::Path::new(":memory:")).unwrap_or_else(|e| {
            panic!("{e}");
        });
        let run = |date: &str, pain: i64| {
            serde_json::json!({"date": date, "km": 5.0, "minutes": 30.0, "shoe": null,
                "surface": null, "camber": "none", "pain_onset_km": null, "max_pain": pain,
                "pain_next_morning": null, "rpe": null, "note": null})
        };
        // Dated after this machine's today (its clock may be behind the owner's): taken.
        let later = decode(&store, &item(run("2099-01-01", 2)), Atlas::shipped());
        assert!(later.is_ok_and(|i| i.seq == 7 && i.record.is_some()));
        // A value out of range is refused, naming the change and the field.
        let bad = decode(&store, &item(run("2026-01-01", 11)), Atlas::shipped())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            bad.contains("0-10") && bad.contains("run 0190a1b2"),
            "{bad}"
        );
        // A global id that is not one is refused before anything is parsed.
        let mut odd = item(run("2026-01-01", 2));
        odd.uid = "1; DROP TABLE runs".into();
        assert!(decode(&store, &odd, Atlas::shipped()).is_err());
    }
}
