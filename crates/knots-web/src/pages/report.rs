//! The report (`GET /report`, the same document as `knots report --html`, from `knots-view`) and
//! the plan (`GET /plan`).

use super::layout;
use crate::api::with_journal;
use crate::{AppError, AppState};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use knots_app::Open;
use maud::{Markup, html};
use std::sync::Arc;

const REPORT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// `GET /report`: the same self-contained HTML report as `knots report --html`.
pub async fn report<S: Open>(State(state): State<Arc<AppState<S>>>) -> Result<Response, AppError> {
    let journal = with_journal(&state, |s| s.journal())?;
    let now = jiff::Zoned::now();
    let r =
        knots_core::analytics::report(&journal, &now, knots_core::analytics::Options::default());
    let html = knots_view::report::document_in(&r, &journal, &now, state.unit);
    Ok((
        [
            (header::CONTENT_SECURITY_POLICY, REPORT_CSP),
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        ],
        html.into_string(),
    )
        .into_response())
}

/// `GET /plan`: the pain-gated plan for the next weeks, and why.
pub async fn plan<S: Open>(State(state): State<Arc<AppState<S>>>) -> Result<Markup, AppError> {
    let journal = with_journal(&state, |s| s.journal())?;
    let now = jiff::Zoned::now();
    let r =
        knots_core::analytics::report(&journal, &now, knots_core::analytics::Options::default());
    let loc = |t: &str| knots_core::units::localize(t, state.unit);
    Ok(layout(
        "Plan",
        &state.csrf,
        html! {
            @if let Some(w) = &r.warning { section.warning role="alert" { h2 { "⚠ " (w) } } }
            h1 { "The next weeks" }
            p { strong { "Gate: " (r.gate.as_str()) } " — " @for (i, why) in r.gate_reasons.iter().enumerate() { @if i > 0 { "; " } (loc(why)) } }
            h2 { "Why this plan" }
            ul { @for w in &r.plan.why { li { (loc(w)) } } }
            @if r.plan.weeks.is_empty() { p { "No running planned: see why above." } }
            @for week in &r.plan.weeks {
                h3 { "Week " (week.number) " — " (loc(&week.condition)) }
                ul { @for s in &week.sessions { li { (s.date) ": " (loc(&s.text)) } } }
            }
            h2 { "Rules" }
            ul { @for rule in &r.plan.rules { li { (loc(rule)) } } }
        },
    ))
}
