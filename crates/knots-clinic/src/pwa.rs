//! The installable web app of the runner's pages: the manifest, the icons, the service worker
//! (`assets/sw.js`), the IndexedDB queue it shares with the page (`assets/queue.js`) and the page's
//! script (`assets/pwa.js`), all compiled in and public (they hold no health data); and the
//! server's side of the offline queue, request ids that make a replayed tick or run count once.
//!
//! **The queue.** The service worker passes every `POST /today/tick` and `/today/run` through an
//! IndexedDB queue: it gives the form a `request_id` (a random UUID made on the phone), appends it
//! tagged with the signed-in user (the form's `user` field), and sends the queue in order, each
//! entry with a fresh CSRF token from `GET /api/csrf`, stopping at the first network failure. An
//! entry the server refuses (4xx) leaves the queue and is listed as not sent; a 5xx or no network
//! keeps it for the next try (the page's `online` event, the next page load, Background Sync).
//! The page lists what is waiting ("queued — will send when online").
//!
//! **Count once.** A request id seen before for the client is not applied again: [`claim`] in the
//! tick's own transaction; for a run, [`store_once`] sets `knots.request` on the connection around
//! the journal's use case and the trigger of `sql/20261127_0012_replays.sql` claims the id in the
//! run's transaction. Ticks are per item and date already; the id also keeps a late replay of an
//! old tick from undoing a later untick.
//!
//! The PNG icons were drawn once from `knots_view::FAVICON_SVG` by headless Chromium (a page
//! showing the SVG at 192 and 512 px, screenshotted with a transparent background).

use crate::{Clinic, Fail, Me};
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use jiff::Zoned;
use knots_store::PostgresStore;
use knots_store::sql::Tx;
use std::collections::HashMap;

/// The service worker.
const SW_JS: &str = include_str!("../assets/sw.js");
/// The IndexedDB queue, shared by the service worker and the page.
const QUEUE_JS: &str = include_str!("../assets/queue.js");
/// The page's script: registers the worker, lists the queue, asks for a replay when online.
const PWA_JS: &str = include_str!("../assets/pwa.js");
const ICON_192: &[u8] = include_bytes!("../assets/icon-192.png");
const ICON_512: &[u8] = include_bytes!("../assets/icon-512.png");

/// The web app manifest: opens on `/today`, standalone, in the journal's colours.
const MANIFEST: &str = r##"{
  "id": "/today",
  "name": "knots clinic",
  "short_name": "knots",
  "description": "Your home program and runs, for your therapist; works offline.",
  "start_url": "/today",
  "scope": "/",
  "display": "standalone",
  "background_color": "#ffffff",
  "theme_color": "#b3261e",
  "icons": [
    {"src": "/icon.svg", "sizes": "any", "type": "image/svg+xml"},
    {"src": "/icon-192.png", "sizes": "192x192", "type": "image/png"},
    {"src": "/icon-512.png", "sizes": "512x512", "type": "image/png"}
  ]
}
"##;

fn asset(content_type: &'static str, body: impl IntoResponse) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// `GET /manifest.webmanifest`.
pub async fn manifest() -> Response {
    asset("application/manifest+json", MANIFEST)
}

/// `GET /sw.js`: the service worker, for the whole site (`Service-Worker-Allowed: /`), checked
/// with the server on every update (`Cache-Control: no-cache`).
pub async fn service_worker() -> Response {
    let mut r = asset("text/javascript; charset=utf-8", SW_JS);
    let h = r.headers_mut();
    h.insert(
        HeaderName::from_static("service-worker-allowed"),
        HeaderValue::from_static("/"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// `GET /queue.js`.
pub async fn queue_script() -> Response {
    asset("text/javascript; charset=utf-8", QUEUE_JS)
}

/// `GET /pwa.js`.
pub async fn page_script() -> Response {
    asset("text/javascript; charset=utf-8", PWA_JS)
}

/// `GET /icon.svg`.
pub async fn icon_svg() -> Response {
    asset("image/svg+xml", knots_view::FAVICON_SVG)
}

/// `GET /icon-192.png`.
pub async fn icon_192() -> Response {
    asset("image/png", ICON_192)
}

/// `GET /icon-512.png`.
pub async fn icon_512() -> Response {
    asset("image/png", ICON_512)
}

/// The form's `request_id`: `None` when absent (a form sent without the service worker), else
/// 8 to 64 letters, digits and dashes.
///
/// # Errors
/// 422 naming `request_id` for anything else.
pub fn request_id(form: &HashMap<String, String>) -> Result<Option<String>, Fail> {
    match form.get("request_id").map(|s| s.trim()) {
        None | Some("") => Ok(None),
        Some(id)
            if (8..=64).contains(&id.len())
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            Ok(Some(id.to_string()))
        }
        Some(_) => Err(knots_web::AppError::field(
            "request_id",
            "8 to 64 letters, digits and dashes (the service worker makes a UUID)",
        )
        .into()),
    }
}

/// Claims `request` for `client` in the caller's transaction: true the first time, false for a
/// repeat (which the caller then skips). `tbl` and `row` say what it was for.
///
/// # Errors
/// The database's.
pub fn claim(
    tx: &mut dyn Tx,
    client: i64,
    request: &str,
    tbl: &str,
    row: i64,
) -> knots_store::Result<bool> {
    let rows = tx.query(
        "INSERT INTO replays (client_id, request_id, tbl, row_id) VALUES (?, ?, ?, ?) \
         ON CONFLICT (client_id, request_id) DO NOTHING RETURNING 1",
        &[client.into(), request.into(), tbl.into(), row.into()],
    )?;
    Ok(!rows.is_empty())
}

/// Whether `request` was claimed for `client`.
fn claimed(db: &PostgresStore, client: i64, request: &str) -> knots_store::Result<bool> {
    let rows = db.read_tx(|tx| {
        tx.query(
            "SELECT 1 FROM replays WHERE client_id = ? AND request_id = ?",
            &[client.into(), request.into()],
        )
    })?;
    Ok(!rows.is_empty())
}

/// Sets (or with `""` clears) `knots.request` for the rest of the connection's session: the
/// run trigger of `sql/20261127_0012_replays.sql` reads it. A read transaction commits, so the
/// setting stays; the pool's check on checkout clears it too ([`crate::Connections`]).
///
/// # Errors
/// The database's.
pub fn set_request(db: &PostgresStore, request: &str) -> knots_store::Result<()> {
    db.read_tx(|tx| {
        tx.query(
            "SELECT set_config('knots.request', ?, false)",
            &[request.into()],
        )
    })
    .map(|_| ())
}

/// Stores a runner's run (the body of `POST /api/clients/{id}/journal/run`) once per `request`:
/// a request id already claimed for `client` stores nothing. The claim is made in the run's own
/// transaction by the trigger, so a run is stored with its claim or not at all; two replays
/// racing end with one run (the second's claim violates the key and rolls its run back, and is
/// then recognised as a repeat).
///
/// # Errors
/// 404, 422 (the run's rules), 503.
pub fn store_once(
    state: &Clinic,
    me: &Me,
    client: i64,
    body: &[u8],
    request: &str,
) -> Result<(), Fail> {
    crate::visible_client(state, me, client)?;
    let now = Zoned::now();
    let new = knots_web::api::parse_new("run", body, &now)?;
    state.db(
        Some(me.scope(Some(client), false)),
        |db| -> Result<(), Fail> {
            if claimed(db, client, request)? {
                return Ok(());
            }
            set_request(db, request)?;
            let stored = new.store(db, &now);
            set_request(db, "")?;
            match stored {
                Ok(_) => Ok(()),
                Err(_) if claimed(db, client, request)? => Ok(()),
                Err(e) => Err(e.into()),
            }
        },
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test code: a panic is the failure report
mod tests {
    use super::*;
    use axum::http::Method;

    fn form(id: &str) -> HashMap<String, String> {
        HashMap::from([("request_id".to_string(), id.to_string())])
    }

    fn get_routes() -> Vec<&'static str> {
        crate::routes()
            .into_iter()
            .filter(|(m, _, _)| m == Method::GET)
            .map(|(_, p, _)| p)
            .collect()
    }

    #[test]
    fn a_request_id_is_a_uuid_or_like_it() {
        assert_eq!(request_id(&HashMap::new()).unwrap(), None);
        assert_eq!(request_id(&form("")).unwrap(), None);
        let uuid = "0190f5b2-7c3e-7a1d-9e4b-2f6a8c0d1e23";
        assert_eq!(request_id(&form(uuid)).unwrap().as_deref(), Some(uuid));
        for bad in [
            "short",
            &"a".repeat(65),
            "has spaces in",
            "semi;colon1",
            "ünïcödé-id",
        ] {
            assert!(
                matches!(request_id(&form(bad)), Err(Fail::App(_))),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn the_manifest_opens_today_standalone_with_icons_that_are_served_at_their_size() {
        let m: serde_json::Value = serde_json::from_str(MANIFEST).unwrap();
        assert_eq!(m["start_url"], "/today");
        assert_eq!(m["display"], "standalone");
        let routes = get_routes();
        let icons = m["icons"].as_array().unwrap();
        assert!(icons.iter().any(|i| i["sizes"] == "192x192"));
        assert!(icons.iter().any(|i| i["sizes"] == "512x512"));
        for icon in icons {
            let src = icon["src"].as_str().unwrap();
            assert!(routes.contains(&src), "{src} is not served");
            let png = match src {
                "/icon-192.png" => ICON_192,
                "/icon-512.png" => ICON_512,
                _ => continue,
            };
            // A PNG's IHDR holds the width and height, big-endian, at bytes 16 and 20.
            assert_eq!(&png[1..4], b"PNG", "{src}");
            let side = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
            assert_eq!(
                format!("{}x{}", side(16), side(20)),
                icon["sizes"].as_str().unwrap(),
                "{src}"
            );
        }
    }

    #[test]
    fn what_the_worker_keeps_and_queues_are_routes() {
        let routes = get_routes();
        let list = |name: &str| -> Vec<String> {
            let line = SW_JS
                .lines()
                .find(|l| l.starts_with(&format!("const {name} = ")))
                .unwrap_or_else(|| panic!("no {name} in sw.js"));
            line.split('"')
                .skip(1)
                .step_by(2)
                .map(String::from)
                .collect()
        };
        let assets = list("ASSETS");
        assert!(assets.contains(&"/clinic.css".to_string()));
        for path in assets.iter().chain(&list("PAGE")) {
            assert!(
                routes.contains(&path.as_str()),
                "sw.js keeps {path}: no route"
            );
        }
        let posts: Vec<&str> = crate::routes()
            .into_iter()
            .filter(|(m, _, _)| m == Method::POST)
            .map(|(_, p, _)| p)
            .collect();
        for path in list("QUEUED") {
            assert!(
                posts.contains(&path.as_str()),
                "sw.js queues {path}: no route"
            );
        }
    }
}
