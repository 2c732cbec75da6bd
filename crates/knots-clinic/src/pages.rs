//! The clinic's pages (server-rendered, usable at 375 px): login and registration, the client
//! list, a client's record with the report summary, the session and program forms, the printable
//! handout, the runner's checklist and the admin's audit page. Forms carry the session's CSRF
//! token in the field `csrf`.

use crate::api;
use crate::cache::{CONTROLS, Use};
use crate::{
    Clinic, Fail, Me, Role, check_csrf, form, form_all, open_record, programs, user, visible_client,
};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Zoned;
use knots_core::Atlas;
use knots_core::analytics::{self, Options};
use knots_core::journal::{Journal, TreatmentKind};
use knots_store::Store;
use knots_web::bodymap;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde_json::{Value as J, json};
use std::collections::BTreeMap;
use std::sync::Arc;

const CSS: &str = "body{font:16px/1.4 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:.5rem}\
nav{display:flex;gap:.75rem;flex-wrap:wrap;align-items:center;border-bottom:1px solid #ccc;padding:.3rem 0}\
input,select,textarea,button{font:inherit;max-width:100%;box-sizing:border-box}\
input[type=text],input[type=email],input[type=password],textarea{width:100%}\
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.25rem;text-align:left}\
fieldset{margin:.5rem 0;min-width:0}.row{display:flex;flex-wrap:wrap;gap:.4rem}.row>*{min-width:0;max-width:100%}.err{color:#a00}\
.green{color:#070}.amber{color:#a60}.red{color:#b00}.flag{background:#fee;padding:.3rem}\
.scroll{overflow-x:auto}button{padding:.4rem .8rem}\
button.queued{border-style:dashed}button.queued::after{content:\" (queued)\"}\
@media print{nav,form,.noprint{display:none}}";

/// `GET /clinic.css`.
pub async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css")], CSS).into_response()
}

/// `GET /bodymap.css`: the body map's stylesheet (the session form's map).
pub async fn bodymap_css() -> Response {
    ([(header::CONTENT_TYPE, "text/css")], bodymap::CSS).into_response()
}

/// `GET /bodymap.js`: the session form's map script.
pub async fn bodymap_js() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript")], bodymap::JS).into_response()
}

fn layout(title: &str, me: Option<&Me>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · knots clinic" }
                link rel="stylesheet" href="/clinic.css";
                link rel="icon" href="/icon.svg" type="image/svg+xml";
                // The runner's pages are an installable app that works offline (pwa.rs): the
                // manifest, and the script that registers the service worker and shows its queue.
                @if let Some(me) = me.filter(|me| me.role == Role::Runner) {
                    link rel="manifest" href="/manifest.webmanifest";
                    meta name="theme-color" content="#b3261e";
                    script src="/queue.js" defer {}
                    script src="/pwa.js" defer data-user=(me.id) {}
                }
            }
            body {
                @if let Some(me) = me {
                    nav {
                        strong { (me.clinic_name) }
                        @if me.staff() { a href="/clients" { "Clients" } }
                        @if me.role == Role::Runner { a href="/today" { "Today" } }
                        @if me.role == Role::Admin { a href="/audit" { "Audit" } }
                        span { (me.email) }
                        form method="post" action="/logout" { button { "Log out" } }
                    }
                }
                main { h1 { (title) } (body) }
                p { small { "Education and tracking, not a diagnosis." } }
            }
        }
    }
}

/// The login form, with a message after a failed attempt.
pub fn login_page(error: Option<&str>) -> Markup {
    layout(
        "Log in",
        None,
        html! {
            @if let Some(e) = error { p.err role="alert" { (e) } }
            form method="post" action="/login" {
                label { "Email" input type="email" name="email" autocomplete="username" required; }
                label { "Password" input type="password" name="password" autocomplete="current-password" required; }
                p { button type="submit" { "Log in" } }
            }
            p { a href="/register" { "I have an invitation code" } }
        },
    )
}

/// The registration form (invitation code, email, password).
pub fn register_page(error: Option<&str>) -> Markup {
    layout(
        "Join with your code",
        None,
        html! {
            @if let Some(e) = error { p.err role="alert" { (e) } }
            form method="post" action="/register" {
                label { "Invitation code" input type="text" name="code" autocomplete="off" required; }
                label { "Email" input type="email" name="email" autocomplete="username" required; }
                label { "Password (10 characters or more)" input type="password" name="password" autocomplete="new-password" required; }
                p { button type="submit" { "Create my account" } }
            }
        },
    )
}

/// `GET /login`.
pub async fn login() -> Markup {
    login_page(None)
}

/// `GET /register`.
pub async fn register() -> Markup {
    register_page(None)
}

/// `GET /`: the client list for staff, today's checklist for a runner.
pub async fn home(State(state): State<Arc<Clinic>>, headers: HeaderMap) -> Result<Redirect, Fail> {
    let me = user(&state, &headers, true)?;
    Ok(Redirect::to(if me.staff() { "/clients" } else { "/today" }))
}

fn staff(state: &Clinic, headers: &HeaderMap) -> Result<Me, Fail> {
    let me = user(state, headers, true)?;
    if me.staff() {
        Ok(me)
    } else {
        Err(Fail::NotFound)
    }
}

fn csrf_field(me: &Me) -> Markup {
    html! { input type="hidden" name="csrf" value=(me.csrf); }
}

fn gate_class(gate: Option<&str>) -> Markup {
    match gate {
        Some(g) => html! { span class=(g) { (g) } },
        None => html! { "–" },
    }
}

/// `GET /clients`: the list (last session, next planned session, pain gate) and the add form.
pub async fn clients(State(state): State<Arc<Clinic>>, headers: HeaderMap) -> Result<Markup, Fail> {
    let me = staff(&state, &headers)?;
    let rows = api::client_rows(&state, &me)?;
    Ok(layout(
        "Clients",
        Some(&me),
        html! {
            form method="post" action="/clients" class="row" {
                (csrf_field(&me))
                label { "New client " input type="text" name="name" required; }
                button type="submit" { "Add client" }
            }
            div.scroll { table {
                thead { tr { th { "Client" } th { "Last session" } th { "Next" } th { "Gate" } } }
                tbody { @for c in rows.iter() { tr {
                    td { a href={ "/clients/" (c.id) } { (c.name) } }
                    td { (c.last_session.as_deref().map_or("–", |s| s.get(..10).unwrap_or(s))) }
                    td { (c.next_session.as_deref().unwrap_or("–")) }
                    td { (gate_class(c.gate)) }
                } } }
            } }
        },
    ))
}

/// `POST /clients` (form `name`): 303 to the new client's record.
pub async fn add_client(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Redirect, Fail> {
    let me = staff(&state, &headers)?;
    let f = form(&body);
    check_csrf(&me, f.get("csrf").map(String::as_str))?;
    let id = api::new_client(&state, &me, f.get("name").map_or("", String::as_str))?;
    Ok(Redirect::to(&format!("/clients/{id}")))
}

/// `GET /clients/{id}`: the record — report summary (gate, first deep-tissue session flagged),
/// adherence beside pain and tenderness, the program, sessions, knots over time and runs.
pub async fn record(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Markup, Fail> {
    let me = user(&state, &headers, true)?;
    let now = Zoned::now();
    let (name, version) = open_record(&state, &me, id, now.date())?;
    let body = match state.cache.get(id, Use::Page, version) {
        Some(body) => body,
        None => {
            let journal = state.db(Some(me.scope(Some(id), false)), |db| db.journal())?;
            let (list, weeks) = state.db(Some(me.scope(Some(id), false)), |db| {
                db.read_tx(|tx| {
                    Ok::<_, knots_store::Error>((
                        programs::list(tx, now.date())?,
                        programs::weeks(tx, &journal, now.date())?,
                    ))
                })
            })?;
            let body: Arc<str> = record_body(&journal, &list, &weeks, &now)
                .into_string()
                .into();
            state
                .cache
                .put(id, Use::Page, version, body.clone(), body.len());
            body
        }
    };
    let controls = html! {
        @if me.staff() {
            div.row.noprint {
                a href={ "/clients/" (id) "/session" } { "Record a session" }
                a href={ "/clients/" (id) "/program" } { "Prescribe a program" }
                a href={ "/clients/" (id) "/handout" } { "Printable handout" }
                form method="post" action={ "/clients/" (id) "/invite" } {
                    (csrf_field(&me)) button type="submit" { "Invitation code" }
                }
            }
        }
    };
    Ok(layout(
        &name,
        Some(&me),
        PreEscaped(body.replacen(CONTROLS, &controls.into_string(), 1)),
    ))
}

/// The record page's body, the same for everyone who may see the client ([`CONTROLS`] marks
/// where the viewer's controls go), computed from the whole record and kept in the cache.
fn record_body(
    journal: &Journal,
    list: &[programs::ProgramView],
    weeks: &[programs::Week],
    now: &Zoned,
) -> Markup {
    let report = analytics::report(journal, now, Options::default());
    let therapist = serde_json::to_value(&report.therapist).unwrap_or(J::Null);
    let gate = serde_json::to_value(report.gate).unwrap_or(J::Null);
    let mut knots: BTreeMap<String, Vec<(String, u8)>> = BTreeMap::new();
    for f in &journal.findings {
        knots
            .entry(format!(
                "{} ({})",
                f.item.trigger_point.0,
                f.item.side.as_str()
            ))
            .or_default()
            .push((
                f.item.at.to_string().get(..10).unwrap_or("").into(),
                f.item.tenderness.value(),
            ));
    }
    html! {
        @if let Some(w) = &report.warning { p.flag role="alert" { (w) } }
        p { "Pain gate: " (gate_class(gate.as_str())) }
        @for r in &report.gate_reasons { p { small { (r) } } }
        @if let Some(first) = therapist.get("first_deep_tissue").filter(|v| !v.is_null()) {
            p.flag { "First deep-tissue session: " (first.get("at").and_then(J::as_str).unwrap_or("")) " — go lighter; expect soreness for 1-2 days." }
        }
        (PreEscaped(CONTROLS))
        h2 { "Adherence, pain and tenderness by week" }
        div.scroll { table {
            thead { tr { th { "Week" } th { "Adherence" } th { "Run pain" } th { "Tenderness" } } }
            tbody { @for w in weeks { tr {
                td { (w.week) }
                td { (w.adherence.map_or("–".into(), |a| format!("{:.0} %", a * 100.0))) }
                td { (w.run_pain.map_or("–".into(), |p| format!("{p:.1}"))) }
                td { (w.tenderness.map_or("–".into(), |t| format!("{t:.1}"))) }
            } } }
        } }
        h2 { "Home program" }
        @for p in list {
            h3 { (p.title) }
            ul { @for i in &p.items {
                li { (i.item.what) " — " (i.item.dose) ", " (i.item.per_week) "×/week, " (i.item.start) "–" (i.item.end)
                     " · done " (i.done) " of " (format!("{:.0}", i.expected)) }
            } }
        }
        h2 { "Sessions" }
        @for s in journal.sessions.iter().rev() {
            details {
                summary { (s.item.at.to_string().get(..10).unwrap_or("")) " · ceiling " (s.item.pressure_ceiling.value()) "/10" }
                p { b { "S " } (s.item.subjective) } p { b { "O " } (s.item.objective) }
                p { b { "A " } (s.item.assessment) } p { b { "P " } (s.item.plan) }
            }
        }
        h2 { "Knots over time" }
        ul { @for (k, seen) in &knots {
            li { (k) ": " @for (d, t) in seen { (d) " " (t) "/10; " } }
        } }
        h2 { "Runs" }
        div.scroll { table {
            thead { tr { th { "Date" } th { "km" } th { "Max pain" } } }
            tbody { @for r in journal.runs.iter().rev().take(30) { tr {
                td { (r.item.date) } td { (format!("{:.1}", r.item.km.value())) }
                td { (r.item.max_pain.map_or("–".into(), |p| p.value().to_string())) }
            } } }
        } }
    }
}

const FINDING_ROWS: usize = 8;
const TREATMENT_ROWS: usize = 5;
/// The most finding or treatment rows read from one posted session form.
const MAX_POSTED_ROWS: usize = 200;

/// `GET /clients/{id}/session`: SOAP, date, pressure ceiling, relaxation, up to 8 findings and 5
/// treatments (empty rows are ignored; more can be sent through the API).
pub async fn session_form(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Markup, Fail> {
    let me = staff(&state, &headers)?;
    let name = visible_client(&state, &me, id)?;
    Ok(session_page(&me, id, &name, &BTreeMap::new(), &[]))
}

/// What a refused form says above it: each field and why.
fn refusal(errors: &[knots_core::journal::FieldError]) -> Markup {
    html! {
        @if !errors.is_empty() {
            section.warning role="alert" {
                h2 { "Not saved" }
                p { "Correct what is named below; what you typed is still in the form." }
                ul { @for e in errors { li { code { (e.field) } ": " (e.message) } } }
            }
        }
    }
}

/// The session form, filled with `typed` (empty: the defaults) and headed by `errors`.
fn session_page(
    me: &Me,
    id: i64,
    name: &str,
    typed: &BTreeMap<String, String>,
    errors: &[knots_core::journal::FieldError],
) -> Markup {
    let now = Zoned::now();
    let points = Atlas::shipped().trigger_points();
    let today = now.date().to_string();
    let v = |k: &str, default: &str| typed.get(k).map_or(default, String::as_str).to_string();
    let picked = |k: String, option: &str| typed.get(&k).is_some_and(|x| x == option);
    let ticked = |k: String| typed.contains_key(&k);
    layout(
        &format!("Session · {name}"),
        Some(me),
        html! {
            (refusal(errors))
            form method="post" action={ "/clients/" (id) "/session" } {
                (csrf_field(me))
                div.row {
                    label { "Date " input type="date" name="date" value=(v("date", &today)) required; }
                    label { "Pressure ceiling " input type="number" name="pressure_ceiling" min="0" max="10" value=(v("pressure_ceiling", "6")) required; }
                    label { "Relaxation " input type="number" name="relaxation" min="0" max="10" value=(v("relaxation", "")); }
                    label { "Minutes " input type="number" name="minutes" min="0" step="any" value=(v("minutes", "")); }
                    label { "Next session " input type="date" name="next_session" value=(v("next_session", "")); }
                }
                @for (f, l) in [("subjective", "S — subjective"), ("objective", "O — objective"), ("assessment", "A — assessment"), ("plan", "P — plan")] {
                    label { (l) textarea name=(f) rows="2" { (v(f, "")) } }
                }
                h2 { "Findings" }
                p { "Click a spot on the map to put it in the next empty row (or choose it in the list)." }
                link rel="stylesheet" href="/bodymap.css";
                script src="/bodymap.js" defer {}
                (bodymap::session_map(&[]))
                @for i in 0..FINDING_ROWS {
                    fieldset.row {
                        select name={ "f" (i) "_tp" } aria-label="trigger point" {
                            option value="" { "— trigger point —" }
                            @for p in points { option value=(p.id.0) selected[picked(format!("f{i}_tp"), p.id.0.as_str())] { (p.name) } }
                        }
                        select name={ "f" (i) "_side" } aria-label="side" {
                            @for side in ["left", "right", "both"] { option selected[picked(format!("f{i}_side"), side)] { (side) } }
                        }
                        input type="number" name={ "f" (i) "_tenderness" } min="0" max="10" placeholder="tender 0-10" aria-label="tenderness" value=(v(&format!("f{i}_tenderness"), ""));
                        label { input type="checkbox" name={ "f" (i) "_reproduces" } value="true" checked[ticked(format!("f{i}_reproduces"))]; " reproduces" }
                        label { input type="checkbox" name={ "f" (i) "_taut" } value="true" checked[ticked(format!("f{i}_taut"))]; " taut band" }
                    }
                }
                h2 { "Treatments" }
                @for i in 0..TREATMENT_ROWS {
                    fieldset.row {
                        select name={ "t" (i) "_kind" } aria-label="treatment" {
                            option value="" { "— treatment —" }
                            @for k in TreatmentKind::ALL { option selected[picked(format!("t{i}_kind"), k.as_str())] { (k.as_str()) } }
                        }
                        input type="text" name={ "t" (i) "_target" } placeholder="muscle" aria-label="target" value=(v(&format!("t{i}_target"), ""));
                        select name={ "t" (i) "_side" } aria-label="side" {
                            @for side in ["left", "right", "both"] { option selected[picked(format!("t{i}_side"), side)] { (side) } }
                        }
                        input type="number" name={ "t" (i) "_pressure" } min="0" max="10" placeholder="pressure" aria-label="pressure" value=(v(&format!("t{i}_pressure"), ""));
                        input type="number" name={ "t" (i) "_minutes" } min="0" step="any" placeholder="min" aria-label="minutes" value=(v(&format!("t{i}_minutes"), ""));
                    }
                }
                p { button type="submit" { "Save session" } }
            }
        },
    )
}

fn num(s: Option<&String>) -> Option<J> {
    s.filter(|v| !v.trim().is_empty()).map(|v| {
        v.trim().parse::<i64>().map_or_else(
            |_| {
                v.trim()
                    .parse::<f64>()
                    .map_or_else(|_| json!(v), |f| json!(f))
            },
            |i| json!(i),
        )
    })
}

/// The session form as the API's JSON body. The session's instant is its date's noon in the
/// server's time zone (now, when the date is today and noon has not come); a date that does not
/// read as one is passed on as it is, for the API to refuse with the field's name.
///
/// # Errors
/// 422 naming a row that has values but no trigger point (finding) or treatment.
fn session_body(f: &BTreeMap<String, String>, now: jiff::Timestamp) -> Result<J, Fail> {
    let at = f
        .get("date")
        .map(|d| {
            d.trim().parse::<jiff::civil::Date>().map_or_else(
                |_| d.clone(),
                |date| {
                    knots_core::journal::instant_of_date(date, &jiff::tz::TimeZone::system(), now)
                        .to_string()
                },
            )
        })
        .unwrap_or_default();
    let findings = form_rows(
        f,
        ('f', "tp"),
        ("findings", "trigger_point"),
        ("finding", "trigger point"),
        |tp, row| {
            let g = |k: &str| row.get(k).copied();
            json!({
                "at": at, "trigger_point": tp, "side": g("side").map_or("left", |s| s.as_str()),
                "tenderness": num(g("tenderness")).unwrap_or(json!(null)),
                "reproduces": g("reproduces").is_some(), "taut_band": g("taut").is_some(),
            })
        },
    )?;
    let treatments = form_rows(
        f,
        ('t', "kind"),
        ("treatments", "kind"),
        ("treatment", "treatment"),
        |kind, row| {
            let g = |k: &str| row.get(k).copied();
            json!({
                "at": at, "kind": kind, "by": "therapist",
                "target": g("target").filter(|t| !t.is_empty()),
                "side": g("side").map_or("both", |s| s.as_str()),
                "pressure": num(g("pressure")), "minutes": num(g("minutes")),
            })
        },
    )?;
    Ok(json!({
        "at": at,
        "subjective": f.get("subjective").cloned().unwrap_or_default(),
        "objective": f.get("objective").cloned().unwrap_or_default(),
        "assessment": f.get("assessment").cloned().unwrap_or_default(),
        "plan": f.get("plan").cloned().unwrap_or_default(),
        "pressure_ceiling": num(f.get("pressure_ceiling")),
        "relaxation": num(f.get("relaxation")),
        "minutes": num(f.get("minutes")),
        "findings": findings,
        "treatments": treatments,
    }))
}

/// The rows a session form posted under `prefix` (`f0_…`, `f1_…`: every row, not only the ones
/// the page shows, up to [`MAX_POSTED_ROWS`]): each row whose `key` field is chosen becomes
/// `build(key's value, the row's fields)`. A row with values but no `key` is refused as
/// `list[i].field` (the `what` row has no `needs`) rather than dropped; its `side` alone, which
/// the form always sends, is no value.
///
/// # Errors
/// 422 naming the first such row.
fn form_rows(
    f: &BTreeMap<String, String>,
    (prefix, key): (char, &str),
    (list, field): (&str, &str),
    (what, needs): (&str, &str),
    build: impl Fn(&str, &BTreeMap<&str, &String>) -> J,
) -> Result<Vec<J>, Fail> {
    let mut out = Vec::new();
    for i in 0..MAX_POSTED_ROWS {
        let start = format!("{prefix}{i}_");
        let row: BTreeMap<&str, &String> = f
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(&start).map(|rest| (rest, v)))
            .collect();
        if row.is_empty() {
            break;
        }
        match row.get(key).filter(|v| !v.is_empty()) {
            Some(value) => out.push(build(value, &row)),
            None if row
                .iter()
                .any(|(k, v)| *k != key && *k != "side" && !v.trim().is_empty()) =>
            {
                return Err(knots_web::AppError::field(
                    &format!("{list}[{i}].{field}"),
                    format!("{what} row {} has values but no {needs}", i + 1),
                )
                .into());
            }
            None => {}
        }
    }
    Ok(out)
}

/// `POST /clients/{id}/session`: stores the session (the pressure ceiling is checked: 422
/// naming the treatment), then 303 to the record.
pub async fn add_session(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Response, Fail> {
    let me = staff(&state, &headers)?;
    let f: BTreeMap<String, String> = form_all(&body).into_iter().collect();
    check_csrf(&me, f.get("csrf").map(String::as_str))?;
    let saved = session_body(&f, jiff::Timestamp::now()).and_then(|json| {
        let next = f.get("next_session").filter(|n| !n.is_empty()).cloned();
        api::add_record(
            &state,
            &me,
            id,
            "session",
            json.to_string().as_bytes(),
            next,
        )
    });
    answer_form(saved, id, |errors| {
        let name = visible_client(&state, &me, id)?;
        Ok(session_page(&me, id, &name, &f, errors))
    })
}

/// A form's answer: 303 to the client's record when it was saved; when the values broke a rule,
/// the form again (422) with what was typed, headed by each field and why: a page for a person at
/// a browser rather than JSON.
fn answer_form<T>(
    saved: Result<T, Fail>,
    client: i64,
    again: impl FnOnce(&[knots_core::journal::FieldError]) -> Result<Markup, Fail>,
) -> Result<Response, Fail> {
    match saved {
        Ok(_) => Ok(Redirect::to(&format!("/clients/{client}")).into_response()),
        Err(Fail::App(knots_web::AppError::Invalid(errors))) => Ok((
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            again(&errors)?,
        )
            .into_response()),
        Err(other) => Err(other),
    }
}

const ITEM_ROWS: usize = 6;

/// `GET /clients/{id}/program`: a title and up to 6 items (what, dose, days a week, dates).
pub async fn program_form(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Markup, Fail> {
    let me = staff(&state, &headers)?;
    let name = visible_client(&state, &me, id)?;
    Ok(program_page(&me, id, &name, &BTreeMap::new(), &[]))
}

/// The program form, filled with `typed` (empty: the defaults) and headed by `errors`.
fn program_page(
    me: &Me,
    id: i64,
    name: &str,
    typed: &BTreeMap<String, String>,
    errors: &[knots_core::journal::FieldError],
) -> Markup {
    let today = Zoned::now().date();
    let end = today
        .checked_add(jiff::Span::new().days(27))
        .unwrap_or(today);
    let v = |k: String, default: String| typed.get(&k).cloned().unwrap_or(default);
    layout(
        &format!("Home program · {name}"),
        Some(me),
        html! {
            (refusal(errors))
            form method="post" action={ "/clients/" (id) "/program" } {
                (csrf_field(me))
                label { "Title " input type="text" name="title" value=(v("title".into(), "Home program".into())) required; }
                @for i in 0..ITEM_ROWS {
                    fieldset.row {
                        input type="text" name={ "i" (i) "_what" } placeholder="what (e.g. foam roll vastus lateralis)" aria-label="what" value=(v(format!("i{i}_what"), String::new()));
                        input type="text" name={ "i" (i) "_dose" } placeholder="dose (e.g. 60 s at ≤ 7/10)" aria-label="dose" value=(v(format!("i{i}_dose"), String::new()));
                        label { "days/week " input type="number" name={ "i" (i) "_per_week" } min="1" max="7" value=(v(format!("i{i}_per_week"), "7".into())); }
                        label { "from " input type="date" name={ "i" (i) "_start" } value=(v(format!("i{i}_start"), today.to_string())); }
                        label { "to " input type="date" name={ "i" (i) "_end" } value=(v(format!("i{i}_end"), end.to_string())); }
                    }
                }
                p { button type="submit" { "Prescribe" } }
            }
        },
    )
}

/// `POST /clients/{id}/program`: 303 to the record.
pub async fn add_program(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Response, Fail> {
    let me = staff(&state, &headers)?;
    let f = form(&body);
    check_csrf(&me, f.get("csrf").map(String::as_str))?;
    let program = || -> Result<programs::Program, Fail> {
        let mut items = Vec::new();
        for i in 0..ITEM_ROWS {
            let g = |k: &str| f.get(&format!("i{i}_{k}")).map_or("", String::as_str);
            if g("what").trim().is_empty() {
                continue;
            }
            let date = |k: &str| {
                g(k).parse::<jiff::civil::Date>()
                    .map_err(|_| knots_web::AppError::field(&format!("items[{i}].{k}"), "a date"))
            };
            items.push(programs::Item {
                what: g("what").into(),
                dose: g("dose").into(),
                per_week: g("per_week").parse().unwrap_or(0),
                start: date("start")?,
                end: date("end")?,
            });
        }
        Ok(programs::Program {
            title: f.get("title").cloned().unwrap_or_default(),
            items,
        })
    };
    let saved = program().and_then(|p| api::new_program(&state, &me, id, &p));
    answer_form(saved, id, |errors| {
        let name = visible_client(&state, &me, id)?;
        let typed: BTreeMap<String, String> = f.clone().into_iter().collect();
        Ok(program_page(&me, id, &name, &typed, errors))
    })
}

/// `POST /clients/{id}/invite`: a page with a new invitation code.
pub async fn invite(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Markup, Fail> {
    let me = staff(&state, &headers)?;
    check_csrf(&me, form(&body).get("csrf").map(String::as_str))?;
    let name = visible_client(&state, &me, id)?;
    let code = crate::auth::invite(&state, &me, id)?;
    Ok(layout(
        &format!("Invitation · {name}"),
        Some(&me),
        html! {
            p { "Give this code to the client. It works once, for 7 days, at /register or with `knots share link`." }
            p { output id="code" { strong { (code) } } }
            p { a href={ "/clients/" (id) } { "Back to the record" } }
        },
    ))
}

/// `GET /clients/{id}/handout`: the current program on one printable page, for a client with or
/// without an account.
pub async fn handout(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Markup, Fail> {
    let me = staff(&state, &headers)?;
    let name = visible_client(&state, &me, id)?;
    let today = Zoned::now().date();
    let list = state.db(Some(me.scope(Some(id), me.staff())), |db| {
        db.read_tx(|tx| programs::list(tx, today))
    })?;
    Ok(layout(
        &format!("Home program for {name}"),
        None,
        html! {
            @for p in list.iter().take(1) {
                h2 { (p.title) }
                table {
                    thead { tr { th { "What" } th { "Dose" } th { "How often" } th { "From – to" } th { "Done" } } }
                    tbody { @for i in &p.items { tr {
                        td { (i.item.what) } td { (i.item.dose) }
                        td { @if i.item.per_week == 7 { "daily" } @else { (i.item.per_week) " days a week" } }
                        td { (i.item.start) " – " (i.item.end) } td { "☐ ☐ ☐ ☐ ☐ ☐ ☐" }
                    } } }
                }
            }
            p { "Stop and tell your therapist if pain goes above 5/10 or anything feels wrong." }
        },
    ))
}

fn runner(state: &Clinic, headers: &HeaderMap) -> Result<(Me, i64), Fail> {
    let me = user(state, headers, true)?;
    match (me.role, me.client) {
        (Role::Runner, Some(c)) => Ok((me, c)),
        _ => Err(Fail::NotFound),
    }
}

/// The field the service worker tags a queued form with (its user: a queue is replayed only by
/// that user's session) and drops before sending; the server ignores it.
fn queue_fields(me: &Me) -> Markup {
    html! { input type="hidden" name="user" value=(me.id); }
}

/// `GET /today`: the runner's checklist for today, and a form to log a run. Offline, the service
/// worker shows the copy it kept and lists in `#queue` what waits to be sent.
pub async fn today(State(state): State<Arc<Clinic>>, headers: HeaderMap) -> Result<Markup, Fail> {
    let (me, client) = runner(&state, &headers)?;
    let day = Zoned::now().date();
    let list = state.db(Some(me.scope(Some(client), false)), |db| {
        db.read_tx(|tx| programs::list(tx, day))
    })?;
    Ok(layout(
        "Today",
        Some(&me),
        html! {
            ul.checklist { @for p in &list { @for i in &p.items {
                @if i.item.start <= day && day <= i.item.end {
                    li { form method="post" action="/today/tick" class="row" {
                        (csrf_field(&me))
                        (queue_fields(&me))
                        input type="hidden" name="date" value=(day);
                        input type="hidden" name="item" value=(i.id);
                        input type="hidden" name="done" value=(if i.done_today { "false" } else { "true" });
                        button type="submit" aria-pressed=(i.done_today) {
                            (if i.done_today { "☑ " } else { "☐ " }) (i.item.what) " — " (i.item.dose)
                        }
                    } }
                }
            } } }
            div #queue aria-live="polite" {}
            h2 { "Log a run" }
            form method="post" action="/today/run" class="row" {
                (csrf_field(&me))
                (queue_fields(&me))
                label { "Date " input type="date" name="date" value=(day) required; }
                label { "km " input type="number" name="km" min="0" step="any" required; }
                label { "Minutes " input type="number" name="minutes" min="0" step="any"; }
                label { "Max pain 0-10 " input type="number" name="max_pain" min="0" max="10"; }
                button type="submit" { "Save run" }
            }
            p { a href={ "/clients/" (client) } { "My report" } }
        },
    ))
}

/// `POST /today/tick` (form `item`, `done`, `date` — the day of the checklist ticked, not after
/// today; today when absent — and from the service worker `request_id`: a repeat of an id is
/// ignored): 303 to `/today`.
pub async fn tick(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Redirect, Fail> {
    let (me, client) = runner(&state, &headers)?;
    let f = form(&body);
    check_csrf(&me, f.get("csrf").map(String::as_str))?;
    let item: i64 = f
        .get("item")
        .and_then(|i| i.parse().ok())
        .ok_or(Fail::NotFound)?;
    let done = f.get("done").is_none_or(|d| d != "false");
    let today = Zoned::now().date();
    let day = match f.get("date").map(|d| d.trim()).filter(|d| !d.is_empty()) {
        None => today,
        Some(d) => match d.parse::<jiff::civil::Date>() {
            Ok(d) if d <= today => d,
            _ => {
                return Err(knots_web::AppError::field("date", "a date, not after today").into());
            }
        },
    };
    let request = crate::pwa::request_id(&f)?;
    state.db(Some(me.scope(Some(client), false)), |db| {
        db.write_tx(|tx| {
            if let Some(id) = &request
                && !crate::pwa::claim(tx, client, id, "ticks", item)?
            {
                return Ok(());
            }
            programs::tick(tx, client, item, day, done)
        })
    })?;
    Ok(Redirect::to("/today"))
}

/// `POST /today/run` (form `date`, `km`, `minutes`, `max_pain`, and from the service worker
/// `request_id`: a repeat of an id stores nothing): 303 to `/today`.
pub async fn log_run(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Redirect, Fail> {
    let (me, client) = runner(&state, &headers)?;
    let f = form(&body);
    check_csrf(&me, f.get("csrf").map(String::as_str))?;
    let run = json!({
        "date": f.get("date"), "km": num(f.get("km")),
        "minutes": num(f.get("minutes")), "max_pain": num(f.get("max_pain")),
    });
    match crate::pwa::request_id(&f)? {
        Some(id) => crate::pwa::store_once(&state, &me, client, run.to_string().as_bytes(), &id)?,
        None => {
            api::add_record(&state, &me, client, "run", run.to_string().as_bytes(), None)?;
        }
    }
    Ok(Redirect::to("/today"))
}

/// The `client` query parameter of the audit page.
#[derive(Debug, serde::Deserialize)]
pub struct AuditOf {
    client: Option<i64>,
}

/// `GET /audit[?client=ID]` (admins): a client's audit trail.
pub async fn audit(
    State(state): State<Arc<Clinic>>,
    headers: HeaderMap,
    Query(of): Query<AuditOf>,
) -> Result<Markup, Fail> {
    let me = user(&state, &headers, true)?;
    if me.role != Role::Admin {
        return Err(Fail::NotFound);
    }
    let rows = match of.client {
        Some(c) => {
            visible_client(&state, &me, c)?;
            api::audit_rows(&state, &me, c)?
        }
        None => Vec::new(),
    };
    let clients = api::client_rows(&state, &me)?;
    Ok(layout(
        "Audit trail",
        Some(&me),
        html! {
            form method="get" action="/audit" class="row" {
                select name="client" aria-label="client" { @for c in clients.iter() {
                    option value=(c.id) selected[of.client == Some(c.id)] { (c.name) }
                } }
                button type="submit" { "Show" }
            }
            @let requests: Vec<&J> = rows.iter().filter(|r| r["note"].as_str().is_some_and(|n| n.contains("deleted"))).collect();
            @if !requests.is_empty() {
                section.warning role="alert" {
                    h2 { "Deletion requested" }
                    @for r in &requests {
                        p { (r["at"].as_str().unwrap_or("")) ": " (r["note"].as_str().unwrap_or("")) }
                    }
                }
            }
            div.scroll { table {
                thead { tr { th { "#" } th { "When" } th { "Who" } th { "What" } th { "Table" } th { "Row" } th { "Change" } } }
                tbody { @for r in &rows { tr {
                    @for k in ["id", "at", "user", "action", "table", "row"] {
                        td { (r.get(k).map_or(String::new(), |v| v.to_string().trim_matches('"').to_string())) }
                    }
                    td { @if let Some(n) = r["note"].as_str() { strong { (n) } br; } (api::audit_change(&r["before"], &r["after"])) }
                } } }
            } }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A session entered in the morning for today is dated now, not at a noon still to come;
    /// an earlier date is its noon; a date that is not one goes on as typed (the API names it).
    #[test]
    fn a_session_dated_today_in_the_morning_is_not_in_the_future() {
        let now: jiff::Timestamp = "2026-11-28T08:15:00Z".parse().expect("instant");
        let today = now.to_zoned(jiff::tz::TimeZone::system()).date();
        let form = |date: String| BTreeMap::from([("date".to_string(), date)]);
        let at = |date: String| session_body(&form(date), now).expect("a body")["at"].clone();
        let today_at: jiff::Timestamp = at(today.to_string())
            .as_str()
            .expect("text")
            .parse()
            .expect("instant");
        assert!(today_at <= now, "{today_at} after {now}");
        let yesterday = today.yesterday().expect("a date");
        let noon =
            knots_core::journal::instant_of_date(yesterday, &jiff::tz::TimeZone::system(), now);
        assert_eq!(at(yesterday.to_string()), json!(noon.to_string()));
        assert_eq!(at("next tuesday".into()), json!("next tuesday"));
    }

    /// Every posted row is read, past the rows the page shows; a row with values but no trigger
    /// point or treatment is refused by name.
    #[test]
    fn the_session_form_reads_every_row_and_names_a_half_filled_one() {
        let now: jiff::Timestamp = "2026-11-28T15:00:00Z".parse().expect("instant");
        let mut f = BTreeMap::from([("date".to_string(), "2026-11-27".to_string())]);
        for i in 0..12 {
            f.insert(format!("f{i}_tp"), "vastus_lateralis_mid".into());
            f.insert(format!("f{i}_side"), "left".into());
            f.insert(format!("f{i}_tenderness"), "5".into());
        }
        for i in 0..7 {
            f.insert(format!("t{i}_kind"), "massage".into());
            f.insert(format!("t{i}_side"), "left".into());
        }
        let body = session_body(&f, now).expect("a body");
        assert_eq!(body["findings"].as_array().map(Vec::len), Some(12));
        assert_eq!(body["treatments"].as_array().map(Vec::len), Some(7));
        // An empty row (only its side, which the form always sends) is no row.
        f.insert("f12_tp".into(), String::new());
        f.insert("f12_side".into(), "left".into());
        assert!(session_body(&f, now).is_ok());
        f.insert("f12_tenderness".into(), "7".into());
        let field = match session_body(&f, now) {
            Err(Fail::App(knots_web::AppError::Invalid(errs))) => errs[0].field.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(field, "findings[12].trigger_point");
    }
}
