//! Server-rendered pages (maud), one module per feature: [`find`] (the body map and finder),
//! [`record`] (the recording forms), [`session`] (the therapist's form and past sessions),
//! [`journal`] (timeline and runs), [`run`] (one run), [`knot`] (one trigger point), [`edit`] (edit
//! and delete any record), [`report`] (the report and the plan). Every form works without
//! JavaScript; `app.js` only makes the map clickable and keeps pressure inputs under the session's
//! ceiling. This module holds the layout, the assets and the helpers the pages share.

pub mod edit;
pub mod find;
pub mod journal;
pub mod knot;
pub mod record;
pub mod report;
pub mod run;
pub mod session;
pub mod sync;

use crate::api::with_journal;
use crate::form::Reader;
use crate::{AppError, AppState};
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use knots_app::Open;
use knots_app::record::Context as Rules;
use knots_core::journal::FieldError;
use knots_core::region::REGIONS;
use knots_core::units::Unit;
use knots_core::{Atlas, safety};
use maud::{DOCTYPE, Markup, html};

const HTMX: &[u8] = include_bytes!("../../assets/htmx.min.js");
const APP_JS: &[u8] = include_bytes!("../../assets/app.js");
const APP_CSS: &[u8] = include_bytes!("../../assets/app.css");

/// `GET /assets/{file}`: the vendored htmx, the page script, the stylesheet and the icon.
pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "htmx.min.js" => (HTMX, "text/javascript"),
        "app.js" => (APP_JS, "text/javascript"),
        "app.css" => (APP_CSS, "text/css"),
        "bodymap.css" => (crate::bodymap::CSS.as_bytes(), "text/css"),
        "bodymap.js" => (crate::bodymap::JS.as_bytes(), "text/javascript"),
        "favicon.svg" => (knots_view::FAVICON_SVG.as_bytes(), "image/svg+xml"),
        _ => return (StatusCode::NOT_FOUND, "no such asset").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// `GET /favicon.ico`: the icon, for pages that link none (the report) and browsers that ask anyway.
pub async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "max-age=86400"),
        ],
        knots_view::FAVICON_SVG,
    )
        .into_response()
}

/// A text input for a distance: typed with a unit (`6.2mi`, `10k`, `800m`) or as a plain number
/// in `unit`.
pub(crate) fn distance_input(
    name: &str,
    value: Option<&str>,
    unit: Unit,
    required: bool,
) -> Markup {
    html! {
        input type="text" inputmode="decimal" name=(name) value=[value] required[required]
            placeholder=(format!("{unit}, or 6.2mi, 10k, 800m")) autocomplete="off";
    }
}

/// A distance in `unit` as a plain number for an input (kilometres stored, up to 3 decimals).
pub(crate) fn distance_value(km: f64, unit: Unit) -> String {
    let v = format!("{:.3}", km / unit.km());
    v.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The layout every page shares: navigation, assets, the disclaimer.
pub fn layout(title: &str, csrf: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // 422 pages carry the form with its errors: let htmx swap them in like a success.
                meta name="htmx-config" content=r#"{"includeIndicatorStyles":false,"allowEval":false,"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"422","swap":true},{"code":"[45]..","swap":false,"error":true}]}"#;
                title { (title) " — knots" }
                link rel="icon" href="/assets/favicon.svg" type="image/svg+xml";
                link rel="stylesheet" href="/assets/app.css";
                link rel="stylesheet" href="/assets/bodymap.css";
                script src="/assets/htmx.min.js" defer {}
                script src="/assets/app.js" defer {}
                script src="/assets/bodymap.js" defer {}
            }
            body hx-boost="true" hx-headers=(format!(r#"{{"x-csrf-token":"{csrf}"}}"#)) {
                header {
                    nav aria-label="main" {
                        a href="/" { "Find" } " "
                        a href="/record" { "Record" } " "
                        a href="/import" { "Import" } " "
                        a href="/session/new" { "Therapist session" } " "
                        a href="/sessions" { "Past sessions" } " "
                        a href="/timeline" { "Timeline" } " "
                        a href="/runs" { "Runs" } " "
                        a href="/plan" { "Plan" } " "
                        a href="/search" { "Guided search" } " "
                        a href="/report" { "Report" }
                    }
                }
                main { (body) }
                footer { p.disclaimer { (safety::DISCLAIMER) } }
            }
        }
    }
}

fn errors_for<'a>(errors: &'a [FieldError], field: &str) -> Vec<&'a FieldError> {
    errors
        .iter()
        .filter(|e| e.field == field || e.field.starts_with(&format!("{field}.")))
        .collect()
}

pub(crate) fn field_error(errors: &[FieldError], field: &str) -> Markup {
    html! {
        @for e in errors_for(errors, field) {
            span.error role="alert" id=(format!("err-{field}")) { "⚠ " (e.field) ": " (e.message) }
        }
    }
}

pub(crate) fn with_status(status: StatusCode, markup: Markup) -> Response {
    (status, markup).into_response()
}

pub(crate) fn options<T: Copy + PartialEq + std::fmt::Display>(
    all: &[T],
    selected: Option<T>,
) -> Markup {
    html! { @for v in all { option value=(v) selected[Some(*v) == selected] { (v) } } }
}

pub(crate) fn score_options(selected: Option<u8>) -> Markup {
    html! { @for v in 0..=10u8 { option value=(v) selected[Some(v) == selected] { (v) } } }
}

/// The ids a treatment's target may name, offered while typing.
pub(crate) fn targets() -> Markup {
    let atlas = Atlas::shipped();
    html! {
        datalist #targets {
            @for tp in atlas.trigger_points() { option value=(tp.id) {} }
            @for m in atlas.muscles() { option value=(m.id) {} }
            @for r in REGIONS { option value=(r.id) {} }
        }
    }
}

/// Stores a record when the form found no fault and the use case's rules accept it (through
/// [`with_journal`]); otherwise every fault, for the form to show next to its fields. A journal that
/// cannot be reached is the outer error.
pub(crate) fn save<S: Open, T>(
    state: &AppState<S>,
    reader: Reader,
    write: impl FnOnce(&mut S, Rules<'_>) -> Result<T, knots_app::Error>,
) -> Result<Result<T, Vec<FieldError>>, AppError> {
    if !reader.errors.is_empty() {
        return Ok(Err(reader.errors));
    }
    let cx = crate::api::rules();
    with_journal(state, |s| match write(s, cx) {
        Ok(v) => Ok(Ok(v)),
        Err(knots_app::Error::Invalid(f)) => Ok(Err(vec![f])),
        Err(knots_app::Error::Unusual { field, reason }) => {
            Ok(Err(vec![FieldError::new(field, reason)]))
        }
        Err(e @ (knots_app::Error::NotFound { .. } | knots_app::Error::Conflict(_))) => {
            Ok(Err(vec![FieldError::new("record", e)]))
        }
        Err(knots_app::Error::Store(e)) => Err(AppError::from(e)),
    })
}
