//! The therapist's session form (`GET`/`POST /session/new`: SOAP, pressure ceiling, relaxation,
//! findings and treatments, saved in one transaction) and the past sessions (`GET /sessions`),
//! each with its findings and treatments and their edit and delete controls.

use super::edit::controls;
use super::{field_error, layout, options, save, targets, with_status};
use crate::api::with_journal;
use crate::bodymap;
use crate::form::{Fields, Reader};
use crate::security::check_token;
use crate::{AppError, AppState};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::tz::TimeZone;
use knots_app::Open;
use knots_app::record;
use knots_core::change::Kind;
use knots_core::journal::{
    By, FieldError, Finding, Session, SessionRecord, Side, Treatment, TreatmentKind,
};
use knots_core::{Atlas, Nrs, TriggerPointId};
use maud::{Markup, html};
use std::sync::Arc;

const ROWS: usize = 3;

/// `GET /session/new`: the therapist's session form.
pub async fn session_form<S: Open>(State(state): State<Arc<AppState<S>>>) -> Markup {
    session_page(&state.csrf, &Fields::default(), &[])
}

fn session_page(csrf: &str, f: &Fields, errors: &[FieldError]) -> Markup {
    let ceiling: u8 = f
        .get("pressure_ceiling")
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let atlas = Atlas::shipped();
    layout(
        "Therapist session",
        csrf,
        html! {
            h1 { "Therapist session (SOAP)" }
            @if !errors.is_empty() {
                div.error role="alert" { p { "Nothing was saved:" } ul { @for e in errors { li { (e.field) ": " (e.message) } } } }
            }
            form #session method="post" action="/session/new" {
                input type="hidden" name="csrf" value=(csrf);
                label { "Subjective (client's report) " textarea name="subjective" rows="2" { (f.get("subjective").unwrap_or("")) } }
                label { "Objective (findings, relaxation, range of motion) " textarea name="objective" rows="2" { (f.get("objective").unwrap_or("")) } }
                label { "Assessment (interpretation — not a diagnosis) " textarea name="assessment" rows="2" { (f.get("assessment").unwrap_or("")) } }
                label { "Plan (home programme, next visit) " textarea name="plan" rows="2" { (f.get("plan").unwrap_or("")) } }
                div.row {
                    label { "Pressure ceiling 0-10 " input #ceiling type="number" name="pressure_ceiling" min="0" max="10" value=(ceiling) required; }
                    (field_error(errors, "pressure_ceiling"))
                    label { "Client relaxed 0-10 " input type="number" name="relaxation" min="0" max="10" value=[f.get("relaxation")]; }
                    (field_error(errors, "relaxation"))
                    label { "Minutes " input type="number" name="minutes" min="0" value=[f.get("minutes")]; }
                }
                fieldset {
                    legend { "Findings (palpated trigger points)" }
                    p { "Click a spot on the map to put it in the next empty row (or choose it in the list)." }
                    (bodymap::session_map(&chosen(f)))
                    @for i in 0..ROWS {
                        div.row {
                            label { "Trigger point " select name=(format!("f{i}_tp")) { option value="" { "—" } @for tp in atlas.trigger_points() { option value=(tp.id) selected[f.get(&format!("f{i}_tp")) == Some(tp.id.as_str())] { (tp.id) } } } }
                            label { "Side " select name=(format!("f{i}_side")) { (options(Side::ALL, Some(f.get(&format!("f{i}_side")).and_then(|v| v.parse().ok()).unwrap_or(Side::Left)))) } }
                            label { "Tenderness " input type="number" name=(format!("f{i}_tenderness")) min="0" max="10" value=[f.get(&format!("f{i}_tenderness"))]; }
                            label { input type="checkbox" name=(format!("f{i}_taut")) checked[f.flag(&format!("f{i}_taut"))]; " taut band" }
                            label { input type="checkbox" name=(format!("f{i}_reproduces")) checked[f.flag(&format!("f{i}_reproduces"))]; " reproduces the symptom" }
                            (field_error(errors, &format!("findings[{i}]")))
                        }
                    }
                }
                fieldset {
                    legend { "Treatments (pressure may not exceed the ceiling)" }
                    @for i in 0..ROWS {
                        div.row {
                            label { "Kind " select name=(format!("t{i}_kind")) { option value="" { "—" } (options(TreatmentKind::ALL, f.get(&format!("t{i}_kind")).and_then(|k| k.parse().ok()))) } }
                            label { "Target " input name=(format!("t{i}_target")) list="targets" value=[f.get(&format!("t{i}_target"))]; }
                            label { "Side " select name=(format!("t{i}_side")) { (options(Side::ALL, Some(f.get(&format!("t{i}_side")).and_then(|v| v.parse().ok()).unwrap_or(Side::Left)))) } }
                            label { "Pressure " input.pressure type="number" name=(format!("t{i}_pressure")) min="0" max=(ceiling) value=[f.get(&format!("t{i}_pressure"))]; }
                            label { "Minutes " input type="number" name=(format!("t{i}_minutes")) min="0" value=[f.get(&format!("t{i}_minutes"))]; }
                            (field_error(errors, &format!("treatments[{i}]")))
                        }
                    }
                }
                button type="submit" { "Save session" }
            }
            (targets())
        },
    )
}

/// The trigger points chosen in the finding rows.
fn chosen(f: &Fields) -> Vec<&str> {
    (0..ROWS)
        .filter_map(|i| f.get(&format!("f{i}_tp")))
        .collect()
}

/// `POST /session/new`: saves the session with its findings and treatments in one transaction.
pub async fn add_session<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    body: Bytes,
) -> Result<Response, AppError> {
    let f = Fields::parse(&body);
    check_token(f.get("csrf"), &state.csrf)?;
    let mut r = Reader::default();
    let at = jiff::Timestamp::now();
    let ceiling = r.nrs(&f, "pressure_ceiling", true);
    let session = Session {
        at,
        therapist: None,
        subjective: f.get("subjective").unwrap_or("").into(),
        objective: f.get("objective").unwrap_or("").into(),
        assessment: f.get("assessment").unwrap_or("").into(),
        plan: f.get("plan").unwrap_or("").into(),
        pressure_ceiling: ceiling.unwrap_or(Nrs::ZERO),
        relaxation: r.nrs(&f, "relaxation", false),
        minutes: r.amount(&f, "minutes"),
    };
    let mut findings = Vec::new();
    let mut treatments = Vec::new();
    for i in 0..ROWS {
        if let Some(tp) = f.get(&format!("f{i}_tp")) {
            findings.push(Finding {
                at,
                trigger_point: TriggerPointId(tp.into()),
                side: r.required(&f, &format!("f{i}_side")).unwrap_or(Side::Left),
                tenderness: r
                    .nrs(&f, &format!("f{i}_tenderness"), true)
                    .unwrap_or(Nrs::ZERO),
                taut_band: f.flag(&format!("f{i}_taut")),
                reproduces: f.flag(&format!("f{i}_reproduces")),
                ppt_kg_cm2: None,
                session: None,
                note: None,
            });
        }
        if let Some(kind) = r.optional::<TreatmentKind>(&f, &format!("t{i}_kind")) {
            treatments.push(Treatment {
                at,
                kind,
                target: f.get(&format!("t{i}_target")).map(String::from),
                side: r.required(&f, &format!("t{i}_side")).unwrap_or(Side::Left),
                pressure: r.nrs(&f, &format!("t{i}_pressure"), false),
                minutes: r.amount(&f, &format!("t{i}_minutes")),
                by: By::Therapist,
                session: None,
                note: None,
            });
        }
    }
    let record = SessionRecord {
        session,
        findings,
        treatments,
    };
    match save(&state, r, |s, cx| record::add_session(s, &record, cx))? {
        Ok(_) => Ok(Redirect::to("/timeline?saved=session").into_response()),
        Err(errors) => Ok(with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            session_page(&state.csrf, &f, &errors),
        )),
    }
}

/// `GET /sessions`: past therapist sessions, newest first, each with its SOAP notes, findings and
/// treatments, and their edit and delete controls.
pub async fn sessions<S: Open>(State(state): State<Arc<AppState<S>>>) -> Result<Markup, AppError> {
    let journal = with_journal(&state, |s| s.journal())?;
    let tz = TimeZone::system();
    let when = |t: jiff::Timestamp| {
        t.to_zoned(tz.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    };
    let back = "/sessions";
    Ok(layout(
        "Past sessions",
        &state.csrf,
        html! {
            h1 { "Past therapist sessions" }
            @if journal.sessions.is_empty() { p { "No session recorded yet. " a href="/session/new" { "Record one" } "." } }
            @for e in journal.sessions.iter().rev() {
                @let s = &e.item;
                article.session id=(format!("session-{}", e.id)) {
                    h2 { (when(s.at)) @if let Some(t) = &s.therapist { " — " (t) } }
                    p { "Pressure ceiling " (s.pressure_ceiling)
                        @if let Some(r) = s.relaxation { ", client relaxed " (r) }
                        @if let Some(m) = s.minutes { ", " (m) " min" }
                        " " (controls(Kind::Session, e.id, back)) }
                    dl.soap {
                        @for (name, text) in [("Subjective", &s.subjective), ("Objective", &s.objective), ("Assessment", &s.assessment), ("Plan", &s.plan)] {
                            @if !text.is_empty() { dt { (name) } dd { (text) } }
                        }
                    }
                    @let findings: Vec<_> = journal.findings.iter().filter(|f| f.item.session == Some(e.id)).collect();
                    @let treatments: Vec<_> = journal.treatments.iter().filter(|t| t.item.session == Some(e.id)).collect();
                    @if !findings.is_empty() {
                        h3 { "Findings" }
                        ul { @for f in findings {
                            li { a href=(format!("/knots/{}", f.item.trigger_point)) { (f.item.trigger_point) } " " (f.item.side) ": tenderness " (f.item.tenderness)
                                @if f.item.taut_band { ", taut band" } @if f.item.reproduces { ", reproduces the symptom" }
                                @if let Some(n) = &f.item.note { " — " (n) }
                                " " (controls(Kind::Finding, f.id, back)) }
                        } }
                    }
                    @if !treatments.is_empty() {
                        h3 { "Treatments" }
                        ul { @for t in treatments {
                            li { (t.item.kind) " " (t.item.target.as_deref().unwrap_or("-")) " " (t.item.side)
                                @if let Some(p) = t.item.pressure { ", pressure " (p) }
                                @if let Some(m) = t.item.minutes { ", " (m) " min" }
                                @if let Some(n) = &t.item.note { " — " (n) }
                                " " (controls(Kind::Treatment, t.id, back)) }
                        } }
                    }
                }
            }
        },
    ))
}
