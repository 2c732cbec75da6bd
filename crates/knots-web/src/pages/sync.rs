//! Sharing with a practice, as the local app shows it: a "last synced" line and a sync button on
//! the timeline when the journal is linked to a clinic server (`knots share link`), and
//! `POST /sync`, which runs `knots sync` (`knots_app::sync`).

use super::layout;
use crate::api::with_journal;
use crate::security::check_token;
use crate::{AppError, AppState};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use knots_app::Open;
use knots_core::program::Program;
use knots_store::sync::Link;
use maud::{Markup, html};
use std::sync::Arc;

/// The "last synced" line and the sync button, or nothing when the journal is not linked.
pub fn line(link: Option<&Link>, csrf: &str) -> Markup {
    let Some(link) = link else {
        return html! {};
    };
    let when = link.synced_at.map_or_else(
        || "never".to_string(),
        |t| {
            t.to_zoned(jiff::tz::TimeZone::system())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        },
    );
    html! {
        form.sync method="post" action="/sync" {
            input type="hidden" name="csrf" value=(csrf);
            p {
                "Shared with " (link.url) " — last synced: " span #last-synced { (when) } " "
                button type="submit" { "Sync now" }
            }
        }
    }
}

/// The home programs the practice sent (pulled by sync), as today's checklist: each item running
/// `today` with its dose, days a week and dates, ticked or not. Nothing when there are none.
pub fn programs(held: &[(String, Program)], today: jiff::civil::Date) -> Markup {
    if held.is_empty() {
        return html! {};
    }
    html! {
        section #home-program {
            h2 { "Home program" }
            @for (_, p) in held {
                h3 { (p.title) }
                ul {
                    @for i in &p.items {
                        li.done[i.done_on(today)] {
                            @if !i.runs_on(today) { "– " } @else if i.done_on(today) { "✓ " } @else { "☐ " }
                            (i.what)
                            @if !i.dose.is_empty() { ", " (i.dose) }
                            "; " (i.per_week) " days a week, " (i.start) " to " (i.end)
                            @if !i.runs_on(today) { " (not today)" }
                        }
                    }
                }
            }
            p.hint { "Your practice keeps this program; it changes with " code { "knots sync" } "." }
        }
    }
}

/// `POST /sync`: pushes what the journal shares and pulls what the practice wrote, then says
/// how many changes went each way (or why it stopped; nothing unacknowledged is lost).
pub async fn sync<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    body: Bytes,
) -> Result<Response, AppError> {
    check_token(crate::form::Fields::parse(&body).get("csrf"), &state.csrf)?;
    let at = jiff::Timestamp::now();
    let result = with_journal(&state, |s| Ok::<_, AppError>(s.sync_now(at)))?;
    let (status, message) = match result {
        Ok(out) => (
            StatusCode::OK,
            format!(
                "Synced: {} change{} sent, {} fetched.",
                out.pushed,
                if out.pushed == 1 { "" } else { "s" },
                out.pulled
            ),
        ),
        Err(knots_app::sync::Error::Store(e)) => return Err(e.into()),
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()),
    };
    Ok((
        status,
        layout(
            "Sync",
            &state.csrf,
            html! {
                h1 { "Sync" }
                p role="status" { (message) }
                p { a href="/timeline" { "Back to the timeline" } }
            },
        ),
    )
        .into_response())
}
