//! The knots local web app: a clickable body map with the finder's dots, forms for everything the
//! CLI records, the journal pages, and a JSON API behind them.
//!
//! Only this crate knows HTTP. It talks to the journal through `knots_store::Store` and to the rules
//! through `knots-core`; it never writes SQL or scores anything itself. Security even on localhost:
//! a Host allow-list against DNS rebinding, cross-origin checks and a CSRF token on every mutating
//! request, a strict Content-Security-Policy and request size limits (see [`security`]). Start at
//! [`app`], then `pages/` (one module per feature) and `api.rs`.
#![forbid(unsafe_code)]

pub mod api;
pub mod bodymap;
mod error;
mod form;
mod pages;
mod search;
pub mod security;
mod upload;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use knots_app::{Open, Target};
use knots_core::units::Unit;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

pub use error::AppError;

/// The largest request body accepted, in bytes (forms and JSON are small).
pub const MAX_BODY: usize = 256 * 1024;

/// The Content-Security-Policy on every response: nothing but this server.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Shared state: the journal's connection pool, the address the server answers to, and the CSRF
/// token.
#[derive(Debug)]
pub struct AppState<S: Open> {
    /// Connections to the journal (SQLite files or PostgreSQL connections). Store calls block, so
    /// handlers make them through `api::with_journal`, off the async workers.
    pub pool: r2d2::Pool<Connections<S>>,
    /// The address the server is bound to (its port is part of the Host check).
    pub addr: SocketAddr,
    /// The CSRF token every mutating request must carry (form field `csrf` or header `x-csrf-token`).
    pub csrf: String,
    /// The unit pages show distances and paces in, and a plain number in a form means (the
    /// runner's preference; the JSON API and the journal stay metric).
    pub unit: Unit,
}

/// Opens connections to one journal for the pool.
#[derive(Debug)]
pub struct Connections<S> {
    target: Target,
    store: PhantomData<fn() -> S>,
}

impl<S: Open> r2d2::ManageConnection for Connections<S> {
    type Connection = S;
    type Error = knots_store::Error;

    fn connect(&self) -> Result<S, knots_store::Error> {
        S::open(&self.target)
    }

    fn is_valid(&self, conn: &mut S) -> Result<(), knots_store::Error> {
        // A cheap read: a PostgreSQL server restarted since the connection was made fails it,
        // and the pool opens a new connection instead.
        conn.is_demo().map(|_| ())
    }

    fn has_broken(&self, _: &mut S) -> bool {
        false
    }
}

/// How many connections the pool keeps (reads run in parallel; writes queue in the database).
const POOL_SIZE: u32 = 4;
/// How long a request waits for a free connection before it answers 503.
pub const POOL_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl<S: Open> AppState<S> {
    /// State for a server on the journal at `target`, bound to `addr`, showing distances in
    /// `unit`, with a fresh random CSRF token.
    ///
    /// # Errors
    /// When the journal cannot be opened or the operating system's random source fails.
    pub fn new(target: Target, addr: SocketAddr, unit: Unit) -> Result<Arc<AppState<S>>, String> {
        let mut bytes = [0u8; 24];
        getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
        let csrf = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(POOL_WAIT)
            .build(Connections {
                target,
                store: PhantomData,
            })
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(AppState {
            pool,
            addr,
            csrf,
            unit,
        }))
    }
}

/// The app's router.
pub fn app<S: Open>(state: Arc<AppState<S>>) -> Router {
    let routes = Router::new()
        .route("/", get(pages::find::index::<S>))
        .route("/pain", post(pages::find::add_pain::<S>))
        .route("/finding", post(pages::find::add_finding::<S>))
        .route(
            "/record",
            get(pages::record::record::<S>).post(pages::record::add_record::<S>),
        )
        .route(
            "/session/new",
            get(pages::session::session_form::<S>).post(pages::session::add_session::<S>),
        )
        .route("/sessions", get(pages::session::sessions::<S>))
        .route("/timeline", get(pages::journal::timeline::<S>))
        .route("/sync", post(pages::sync::sync::<S>))
        .route("/runs", get(pages::journal::runs::<S>))
        .route("/runs/{id}", get(pages::run::page::<S>))
        .route("/knots/{id}", get(pages::knot::knot::<S>))
        .route(
            "/journal/{kind}/{id}/edit",
            get(pages::edit::edit_form::<S>).post(pages::edit::edit::<S>),
        )
        .route(
            "/journal/{kind}/{id}/delete",
            get(pages::edit::delete_form::<S>).post(pages::edit::delete::<S>),
        )
        .route("/report", get(pages::report::report::<S>))
        .route("/plan", get(pages::report::plan::<S>))
        .route("/search", get(search::start::<S>))
        .route("/search", post(search::answer::<S>))
        .route(
            "/import",
            get(upload::page::<S>)
                .post(upload::upload::<S>)
                .layer(upload_limits()),
        )
        .route(
            "/api/import",
            post(upload::upload_json::<S>).layer(upload_limits()),
        )
        .route("/assets/{file}", get(pages::asset))
        .route("/favicon.ico", get(pages::favicon))
        .route(
            "/api/find",
            get(api::find_get::<S>).post(api::find_post::<S>),
        )
        .route("/api/csrf", get(api::csrf::<S>))
        .route("/api/journal", get(api::journal::<S>))
        .route("/api/journal/{kind}", post(api::add::<S>))
        .route(
            "/api/journal/{kind}/{id}",
            axum::routing::patch(api::edit::<S>).delete(api::delete::<S>),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::guard::<S>,
        ));
    hardened(routes).with_state(state)
}

/// The body limit and the response headers every knots router sets (this app and clinic mode):
/// [`MAX_BODY`], the [`CSP`] unless a page set its own, `nosniff`, `same-origin` referrers, no
/// framing.
pub fn hardened<T: Clone + Send + Sync + 'static>(router: Router<T>) -> Router<T> {
    router
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
}

/// Uploads may be large, but one whose Content-Length is over [`upload::MAX_UPLOAD`] is refused
/// with 413 before any of it is read.
fn upload_limits() -> (RequestBodyLimitLayer, DefaultBodyLimit) {
    (
        RequestBodyLimitLayer::new(upload::MAX_UPLOAD),
        DefaultBodyLimit::max(upload::MAX_UPLOAD),
    )
}

/// How long a client may take to send a request's headers, and a whole request, before the
/// connection is closed: half-open connections cannot pile up.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// From the connection's first byte (or the previous response) to the end of the headers.
    pub header_read: std::time::Duration,
    /// For a whole request, body and answer included (uploads are large: minutes).
    pub request: std::time::Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            header_read: std::time::Duration::from_secs(10),
            request: std::time::Duration::from_secs(600),
        }
    }
}

/// Serves the app on `listener` until `shutdown` completes, with the default [`Timeouts`].
///
/// # Errors
/// IO errors of the listener.
pub async fn serve<S: Open>(
    listener: tokio::net::TcpListener,
    state: Arc<AppState<S>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, shutdown, Timeouts::default()).await
}

/// Serves the app on `listener` until `shutdown` completes: HTTP/1.1 connections, each with a
/// header-read timeout and a request timeout; on shutdown, connections finish their requests.
///
/// # Errors
/// IO errors of the listener other than a failed accept (too many open files, a reset before
/// accept), which are waited out.
pub async fn serve_with<S: Open>(
    listener: tokio::net::TcpListener,
    state: Arc<AppState<S>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    timeouts: Timeouts,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;
    let app = app(state).layer(tower_http::timeout::TimeoutLayer::with_status_code(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        timeouts.request,
    ));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(timeouts.header_read);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        // Out of file descriptors or a connection reset before accept: wait a
                        // little instead of spinning.
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let service = TowerToHyperService::new(app.clone());
                let conn = http.serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    // A client that goes away or times out ends its own connection only.
                    let _ = conn.await;
                });
            }
            () = &mut shutdown => break,
        }
    }
    graceful.shutdown().await;
    Ok(())
}
