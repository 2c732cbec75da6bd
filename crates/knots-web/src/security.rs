//! Security checks on every request, even on localhost:
//! - **Host allow-list** (DNS rebinding): the Host header must be `localhost`, a loopback address or
//!   the bound address, with the bound port (digits only); anything else is 403. A request with no,
//!   several or a malformed Host header is 400.
//! - **Cross-origin writes**: a mutating request (not GET/HEAD/OPTIONS) is refused when its
//!   `Sec-Fetch-Site` is present and not `same-origin`/`none`, or when its `Origin` is present and is
//!   not this server's origin (the approach of Go 1.25's CrossOriginProtection).
//! - **CSRF token**: mutating handlers also require the per-process token (form field `csrf` or header
//!   `x-csrf-token`); scripts get it from `GET /api/csrf`, which a cross-site page cannot read.
//!
//! tower-http's csrf layer covers only the second check; the Host allow-list and the token are ours,
//! so all three live here together.

use crate::{AppError, AppState};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use knots_app::Open;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Whether `host` (a Host header value) names this server.
pub fn is_allowed_host(host: &str, addr: SocketAddr) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        // A bare IPv6 address without brackets has colons but no port.
        Some((n, _)) if !n.ends_with(']') && n.contains(':') => (host, None),
        // Digits only: `u16::from_str` would also take `+7878`.
        Some((n, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            (n, Some(p.parse::<u16>().unwrap_or(0)))
        }
        Some(_) => return false,
        None => (host, None),
    };
    let port_ok = match port {
        Some(p) => p == addr.port(),
        None => addr.port() == 80,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    let name_ok = name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip == addr.ip());
    port_ok && name_ok
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether a mutating request's fetch metadata and origin say it comes from this server's pages.
pub fn is_same_origin(headers: &HeaderMap, host: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site")
        && !matches!(site.to_str(), Ok("same-origin" | "none"))
    {
        return false;
    }
    match headers.get(header::ORIGIN) {
        None => true,
        Some(origin) => origin.to_str().is_ok_and(|o| o == format!("http://{host}")),
    }
}

/// The middleware: Host allow-list for every request, cross-origin checks for mutating ones.
pub async fn guard<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    request: Request,
    next: Next,
) -> Response {
    let mut hosts = request.headers().get_all(header::HOST).iter();
    let (Some(first), None) = (hosts.next(), hosts.next()) else {
        return AppError::BadRequest("one Host header, please").into_response();
    };
    let Some(host) = first
        .to_str()
        .ok()
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
    else {
        return AppError::BadRequest("a malformed Host header").into_response();
    };
    if !is_allowed_host(host, state.addr) {
        return AppError::Forbidden(
            "forbidden host: open knots at http://127.0.0.1 or http://localhost",
        )
        .into_response();
    }
    if !is_safe(request.method()) && !is_same_origin(request.headers(), host) {
        return AppError::Forbidden("cross-origin request refused").into_response();
    }
    next.run(request).await
}

/// Checks the CSRF token given with a mutating request.
///
/// # Errors
/// 403 when it is missing or wrong.
pub fn check_token(given: Option<&str>, expected: &str) -> Result<(), AppError> {
    match given {
        Some(t) if constant_time_eq(t.as_bytes(), expected.as_bytes()) => Ok(()),
        _ => Err(AppError::Forbidden(
            "missing or wrong CSRF token: reload the page",
        )),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        for ok in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST:8080",
            "[::1]:8080",
            "127.0.0.2:8080",
        ] {
            assert!(is_allowed_host(ok, addr), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:8080",
            "127.0.0.1:8081",
            "localhost",
            "",
            "localhost.evil.com:8080",
            "10.0.0.1:8080",
        ] {
            assert!(!is_allowed_host(bad, addr), "{bad}");
        }
    }

    #[test]
    fn tokens() {
        assert!(check_token(Some("abc"), "abc").is_ok());
        assert!(check_token(Some("abd"), "abc").is_err());
        assert!(check_token(None, "abc").is_err());
    }
}
