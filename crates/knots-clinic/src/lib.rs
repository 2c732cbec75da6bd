//! Clinic mode (`knots serve --clinic --db postgres://…`): a practice's therapists and their
//! clients on one PostgreSQL server.
//!
//! Tenants are kept apart in the database, not only in the handlers: every clinical table carries
//! the clinic and the client, row-level security is forced on each (`sql/`), and the server acts
//! as a role (`knots_app`) that owns no table and cannot bypass it. Each transaction runs with the
//! signed-in user, their clinic and (for a record) the client set by `SET LOCAL`
//! ([`knots_store::postgres::Scope`]), so a `Db<Postgres>` scoped to one client is that client's
//! journal and the journal's use cases (`knots_app::record`) run on it unchanged. Inserts, edits
//! and deletes of clinical rows, and a therapist's reads of a record, write audit rows in the same
//! transaction (triggers and `knots_audit_read()`).
//!
//! Start at [`routes`] (every route with its access rule), then `auth.rs`, `api.rs`, `pages.rs`;
//! the operator's commands are in [`schema`].
#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod cache;
pub mod pages;
pub mod programs;
pub mod pwa;
pub mod schema;
pub mod sync;
pub mod tls;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use knots_store::PostgresStore;
use knots_store::postgres::Scope;
use knots_web::AppError;
use std::collections::HashMap;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;

pub use schema::{Operator, Role};
pub use tls::{Tls, serve_tls};

/// Connections kept by the server.
const POOL_SIZE: u32 = 8;

/// The most bytes of record pages and reports the server keeps ([`cache::Cache`]).
const CACHE_BYTES: usize = 256 << 20;

/// The most bytes of client lists the server keeps.
const LIST_BYTES: usize = 32 << 20;

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct Me {
    /// User id.
    pub id: i64,
    /// Email.
    pub email: String,
    /// Role.
    pub role: Role,
    /// Clinic id.
    pub clinic: i64,
    /// Clinic name.
    pub clinic_name: String,
    /// A runner's own client id.
    pub client: Option<i64>,
    /// The CSRF token of this session.
    pub csrf: String,
    /// The stored hash of the session id.
    pub session_hash: Vec<u8>,
}

impl Me {
    /// The database scope of this user, on `client` (or none: lists).
    pub fn scope(&self, client: Option<i64>, audit_reads: bool) -> Scope {
        Scope {
            user: self.id,
            clinic: self.clinic,
            client,
            audit_reads,
        }
    }

    /// Whether this user treats clients (a therapist or an admin).
    pub fn staff(&self) -> bool {
        matches!(self.role, Role::Therapist | Role::Admin)
    }
}

/// What can go wrong in a clinic request.
#[derive(Debug)]
pub enum Fail {
    /// No valid session: 401 for the API, a redirect to `/login` for a page.
    Unauthorized {
        /// A page (redirect) rather than the API (401).
        page: bool,
    },
    /// Not there, or not this user's (the two are not told apart): 404.
    NotFound,
    /// This user's role may not do it, on a record they may see: 403.
    Forbidden,
    /// Too many attempts from this address: 429.
    TooMany,
    /// The journal's errors (422 with fields, 409, 503 …).
    App(AppError),
    /// An internal fault: 500.
    Internal(String),
}

impl From<AppError> for Fail {
    fn from(e: AppError) -> Fail {
        Fail::App(e)
    }
}

impl From<knots_store::Error> for Fail {
    fn from(e: knots_store::Error) -> Fail {
        Fail::App(e.into())
    }
}

impl From<knots_app::Error> for Fail {
    fn from(e: knots_app::Error) -> Fail {
        Fail::App(e.into())
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        match self {
            Fail::Unauthorized { page: true } => Redirect::to("/login").into_response(),
            Fail::Unauthorized { page: false } => {
                (StatusCode::UNAUTHORIZED, "sign in first").into_response()
            }
            Fail::NotFound => (StatusCode::NOT_FOUND, "not found").into_response(),
            Fail::Forbidden => (StatusCode::FORBIDDEN, "not allowed for your role").into_response(),
            Fail::TooMany => (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, "300")],
                "too many attempts: wait a few minutes",
            )
                .into_response(),
            Fail::App(e) => e.into_response(),
            Fail::Internal(cause) => AppError::Internal(cause).into_response(),
        }
    }
}

/// Opens the server's connections: as the URL's login (which migrates), then `SET ROLE knots_app`.
#[derive(Debug)]
pub struct Connections {
    url: String,
}

impl r2d2::ManageConnection for Connections {
    type Connection = PostgresStore;
    type Error = knots_store::Error;

    fn connect(&self) -> Result<PostgresStore, knots_store::Error> {
        let mut db = PostgresStore::open(&self.url)?;
        db.set_role(schema::APP_ROLE)?;
        Ok(db)
    }

    fn is_valid(&self, db: &mut PostgresStore) -> Result<(), knots_store::Error> {
        // A server restarted since the connection was made fails this, and the pool reconnects.
        // It also clears the request id of the offline queue (`pwa::set_request`), in case a
        // request ended between setting and clearing it.
        db.set_scope(None);
        pwa::set_request(db, "")
    }

    fn has_broken(&self, _: &mut PostgresStore) -> bool {
        false
    }
}

/// The clinic server's state.
#[derive(Debug)]
pub struct Clinic {
    pool: r2d2::Pool<Connections>,
    /// Login and registration attempts per address.
    pub limits: auth::RateLimit,
    /// Whether cookies carry `Secure` (served over TLS).
    pub secure_cookies: bool,
    /// Record pages and reports computed from whole records, kept until the record changes.
    pub cache: cache::Cache<Arc<str>>,
    /// Users' client lists, kept until a listed record changes.
    pub lists: cache::Cache<Arc<Vec<api::ClientRow>>>,
}

impl Clinic {
    /// State for a server on the clinic database at `url` (its schema made by
    /// `knots clinic create`).
    ///
    /// # Errors
    /// When the database cannot be reached or has no clinic schema.
    pub fn new(url: &str, secure_cookies: bool) -> Result<Arc<Clinic>, String> {
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(knots_web::POOL_WAIT)
            .build(Connections { url: url.into() })
            .map_err(|e| {
                format!("{e}: is this a clinic database (`knots clinic create` makes one)?")
            })?;
        auth::prepare();
        Ok(Arc::new(Clinic {
            pool,
            limits: auth::RateLimit::default(),
            secure_cookies,
            cache: cache::Cache::new(CACHE_BYTES),
            lists: cache::Cache::new(LIST_BYTES),
        }))
    }

    /// Runs `f` on a pooled connection scoped to `scope`, off the async workers. No free
    /// connection in time, or the server down: 503.
    ///
    /// # Errors
    /// `f`'s.
    pub fn db<T, E>(
        &self,
        scope: Option<Scope>,
        f: impl FnOnce(&mut PostgresStore) -> Result<T, E>,
    ) -> Result<T, Fail>
    where
        Fail: From<E>,
    {
        tokio::task::block_in_place(|| {
            let mut conn = self
                .pool
                .get()
                .map_err(|e| Fail::App(AppError::Unavailable(e.to_string())))?;
            conn.set_scope(scope);
            let out = f(&mut conn).map_err(Fail::from);
            conn.set_scope(None);
            out
        })
    }
}

/// A form body's fields (the last value of a repeated name wins; [`form_all`] keeps them all).
pub fn form(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// A form body's fields in order, repeats kept.
pub fn form_all(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// The signed-in user, or 401 (`page`: a redirect to `/login`).
///
/// # Errors
/// [`Fail::Unauthorized`], or 503.
pub fn user(state: &Clinic, headers: &HeaderMap, page: bool) -> Result<Me, Fail> {
    auth::signed_in(state, headers)?.ok_or(Fail::Unauthorized { page })
}

/// Checks the CSRF token (header `x-csrf-token`, or form field `csrf`) against the session's.
///
/// # Errors
/// 403 when it is missing or wrong.
pub fn check_csrf(me: &Me, given: Option<&str>) -> Result<(), Fail> {
    knots_web::security::check_token(given, &me.csrf).map_err(Fail::App)
}

/// The client `id` when `me` may see it, else 404 (whether it exists or not).
///
/// # Errors
/// [`Fail::NotFound`], or 503.
pub fn visible_client(state: &Clinic, me: &Me, id: i64) -> Result<String, Fail> {
    let rows = state.db(Some(me.scope(Some(id), false)), |db| {
        db.read_tx(|tx| tx.query("SELECT name FROM clients WHERE id = ?", &[id.into()]))
    })?;
    match rows.into_iter().next().and_then(|r| r.into_iter().next()) {
        Some(knots_store::sql::Value::Text(name)) => Ok(name),
        _ => Err(Fail::NotFound),
    }
}

/// Opens client `id`'s record for `me`: its name and record version, read in one transaction
/// that also writes the audit row of a therapist's or admin's read; 404 when `me` may not see it
/// (whether it exists or not).
///
/// # Errors
/// [`Fail::NotFound`], or 503.
pub fn open_record(
    state: &Clinic,
    me: &Me,
    id: i64,
    day: jiff::civil::Date,
) -> Result<(String, cache::Version), Fail> {
    let rows = state.db(Some(me.scope(Some(id), me.staff())), |db| {
        db.read_tx(|tx| {
            tx.query(
                "SELECT c.name, coalesce(v.version, 0) FROM clients c \
                 LEFT JOIN record_versions v ON v.client_id = c.id WHERE c.id = ?",
                &[id.into()],
            )
        })
    })?;
    match rows.into_iter().next().as_deref() {
        Some(
            [
                knots_store::sql::Value::Text(name),
                knots_store::sql::Value::Int(record),
            ],
        ) => Ok((name.clone(), cache::Version::record(*record, day))),
        _ => Err(Fail::NotFound),
    }
}

/// Every route of the clinic server: method, path and handler. The router is built from this
/// list, and the route × role test walks it, so a new route without an expected answer for
/// every role fails that test. Access rules live in the handlers (deny by default: each starts
/// with [`user`]) and in the database's policies.
pub fn routes() -> Vec<(Method, &'static str, MethodRouter<Arc<Clinic>>)> {
    vec![
        (Method::GET, "/login", get(pages::login)),
        (Method::POST, "/login", post(auth::login)),
        (Method::POST, "/logout", post(auth::logout)),
        (Method::GET, "/register", get(pages::register)),
        (Method::POST, "/register", post(auth::register)),
        (Method::GET, "/clinic.css", get(pages::css)),
        (Method::GET, "/bodymap.css", get(pages::bodymap_css)),
        (Method::GET, "/bodymap.js", get(pages::bodymap_js)),
        (Method::GET, "/manifest.webmanifest", get(pwa::manifest)),
        (Method::GET, "/sw.js", get(pwa::service_worker)),
        (Method::GET, "/queue.js", get(pwa::queue_script)),
        (Method::GET, "/pwa.js", get(pwa::page_script)),
        (Method::GET, "/icon.svg", get(pwa::icon_svg)),
        (Method::GET, "/icon-192.png", get(pwa::icon_192)),
        (Method::GET, "/icon-512.png", get(pwa::icon_512)),
        (Method::GET, "/", get(pages::home)),
        (Method::GET, "/clients", get(pages::clients)),
        (Method::POST, "/clients", post(pages::add_client)),
        (Method::GET, "/clients/{id}", get(pages::record)),
        (
            Method::GET,
            "/clients/{id}/session",
            get(pages::session_form),
        ),
        (
            Method::POST,
            "/clients/{id}/session",
            post(pages::add_session),
        ),
        (
            Method::GET,
            "/clients/{id}/program",
            get(pages::program_form),
        ),
        (
            Method::POST,
            "/clients/{id}/program",
            post(pages::add_program),
        ),
        (Method::POST, "/clients/{id}/invite", post(pages::invite)),
        (Method::GET, "/clients/{id}/handout", get(pages::handout)),
        (Method::GET, "/today", get(pages::today)),
        (Method::POST, "/today/tick", post(pages::tick)),
        (Method::POST, "/today/run", post(pages::log_run)),
        (Method::GET, "/audit", get(pages::audit)),
        (Method::GET, "/api/me", get(api::me)),
        (Method::GET, "/api/csrf", get(api::csrf)),
        (Method::GET, "/api/clients", get(api::clients)),
        (Method::POST, "/api/clients", post(api::add_client)),
        (Method::GET, "/api/clients/{id}/journal", get(api::journal)),
        (
            Method::POST,
            "/api/clients/{id}/journal/{kind}",
            post(api::add),
        ),
        (
            Method::PATCH,
            "/api/clients/{id}/journal/{kind}/{rid}",
            patch(api::edit),
        ),
        (
            Method::DELETE,
            "/api/clients/{id}/journal/{kind}/{rid}",
            delete(api::delete),
        ),
        (Method::GET, "/api/clients/{id}/report", get(api::report)),
        (Method::POST, "/api/clients/{id}/invite", post(api::invite)),
        (
            Method::GET,
            "/api/clients/{id}/programs",
            get(api::programs),
        ),
        (
            Method::POST,
            "/api/clients/{id}/programs",
            post(api::add_program),
        ),
        (Method::GET, "/api/clients/{id}/today", get(api::today)),
        (Method::POST, "/api/clients/{id}/ticks", post(api::tick)),
        (
            Method::GET,
            "/api/clients/{id}/adherence",
            get(api::adherence),
        ),
        // After the routes that use the program's item: the route × role test deletes it.
        (
            Method::PUT,
            "/api/clients/{id}/programs/{pid}",
            put(api::edit_program),
        ),
        (
            Method::DELETE,
            "/api/clients/{id}/programs/{pid}",
            delete(api::delete_program),
        ),
        (Method::GET, "/api/audit", get(api::audit)),
        (Method::POST, "/api/sync/link", post(sync::link)),
        (Method::POST, "/api/sync/push", post(sync::push)),
        (Method::GET, "/api/sync/pull", get(sync::pull)),
        (Method::GET, "/api/sync/programs", get(sync::programs)),
        (Method::POST, "/api/sync/ticks", post(sync::ticks)),
        (Method::POST, "/api/sync/revoke", post(sync::revoke)),
    ]
}

/// The clinic router: [`routes`], security headers, a body limit, a cross-origin write check, and
/// `Cache-Control: no-store` unless a handler set its own (the service worker: `no-cache`).
pub fn app(state: Arc<Clinic>) -> Router {
    let mut router = Router::new();
    for (_, path, handler) in routes() {
        router = router.route(path, handler);
    }
    knots_web::hardened(router.layer(axum::middleware::from_fn(same_origin)))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .with_state(state)
}

/// Refuses a write whose `Origin` names another host than the request's, or that the browser
/// marks cross-site.
async fn same_origin(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let h = req.headers();
        // HTTP/2 names the host in the URI (`:authority`), HTTP/1.1 in `Host`.
        let host = h
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| {
                req.uri()
                    .authority()
                    .map(axum::http::uri::Authority::as_str)
            });
        let origin_host = h
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .map(|o| o.split_once("://").map_or(o, |(_, rest)| rest));
        let cross_site = h
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes() == b"cross-site");
        if cross_site || origin_host.is_some_and(|o| Some(o) != host) {
            return (StatusCode::FORBIDDEN, "cross-origin request refused").into_response();
        }
    }
    next.run(req).await
}

/// Serves the clinic app on `listener` until `shutdown` completes.
///
/// # Errors
/// IO errors of the listener.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<Clinic>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
