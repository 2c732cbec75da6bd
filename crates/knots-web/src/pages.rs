//! Server-rendered pages (maud): the body map and finder, recording forms, the therapist session
//! form, the timeline, runs and one page per knot. Every form works without JavaScript; `app.js`
//! only makes the map clickable and keeps pressure inputs under the session's ceiling.

use crate::api::{now, query_from, run_find, with_journal};
use crate::bodymap;
use crate::form::{Fields, Reader};
use crate::security::check_token;
use crate::{AppError, AppState};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::tz::TimeZone;
use knots_app::Open;
use knots_app::record::{self, Context as Rules};
use knots_core::atlas::View;
use knots_core::change::{Kind, Record};
use knots_core::finder::Answer;
use knots_core::journal::{
    By, Camber, Checkin, Context, FieldError, Finding, PainReport, Run, Session, SessionRecord,
    Shoe, Side, Surface, Treatment, TreatmentKind,
};
use knots_core::region::REGIONS;
use knots_core::safety::{self, RedFlag};
use knots_core::summary;
use knots_core::{Atlas, Nrs, TriggerPointId};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use std::sync::Arc;

const HTMX: &[u8] = include_bytes!("../assets/htmx.min.js");
const APP_JS: &[u8] = include_bytes!("../assets/app.js");
const APP_CSS: &[u8] = include_bytes!("../assets/app.css");

/// `GET /assets/{file}`: the vendored htmx, the page script and the stylesheet.
pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "htmx.min.js" => (HTMX, "text/javascript"),
        "app.js" => (APP_JS, "text/javascript"),
        "app.css" => (APP_CSS, "text/css"),
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

/// The layout every page shares: navigation, assets, the disclaimer.
pub fn layout(title: &str, csrf: &str, body: Markup) -> Markup {
    page(title, csrf, body)
}

fn page(title: &str, csrf: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // 422 pages carry the form with its errors: let htmx swap them in like a success.
                meta name="htmx-config" content=r#"{"includeIndicatorStyles":false,"allowEval":false,"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"422","swap":true},{"code":"[45]..","swap":false,"error":true}]}"#;
                title { (title) " — knots" }
                link rel="stylesheet" href="/assets/app.css";
                script src="/assets/htmx.min.js" defer {}
                script src="/assets/app.js" defer {}
            }
            body hx-boost="true" hx-headers=(format!(r#"{{"x-csrf-token":"{csrf}"}}"#)) {
                header {
                    nav aria-label="main" {
                        a href="/" { "Find" } " "
                        a href="/record" { "Record" } " "
                        a href="/import" { "Import" } " "
                        a href="/session/new" { "Therapist session" } " "
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

fn field_error(errors: &[FieldError], field: &str) -> Markup {
    html! {
        @for e in errors_for(errors, field) {
            span.error role="alert" id=(format!("err-{field}")) { "⚠ " (e.field) ": " (e.message) }
        }
    }
}

fn with_status(status: StatusCode, markup: Markup) -> Response {
    (status, markup).into_response()
}

fn options<T: Copy + PartialEq + std::fmt::Display>(all: &[T], selected: Option<T>) -> Markup {
    html! { @for v in all { option value=(v) selected[Some(*v) == selected] { (v) } } }
}

fn score_options(selected: Option<u8>) -> Markup {
    html! { @for v in 0..=10u8 { option value=(v) selected[Some(v) == selected] { (v) } } }
}

/// `GET /`: the body map, the finder form and, when regions are chosen, the ranked knots.
pub async fn index<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let fields = Fields::parse(raw.unwrap_or_default().as_bytes());
    if fields.get("region").is_none() && fields.get("side").is_none() {
        return Ok(index_page(&state.csrf, &fields, None, &[]).into_response());
    }
    match query_from(&fields) {
        Ok(query) => {
            let answer = run_find(&state, &query, &[])?;
            Ok(index_page(&state.csrf, &fields, Some(&answer), &[]).into_response())
        }
        Err(AppError::Invalid(errors)) => Ok(with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            index_page(&state.csrf, &fields, None, &errors),
        )),
        Err(other) => Err(other),
    }
}

fn index_page(csrf: &str, f: &Fields, answer: Option<&Answer>, errors: &[FieldError]) -> Markup {
    let selected: Vec<knots_core::Region> = f
        .all("region")
        .iter()
        .filter_map(|r| r.parse().ok())
        .collect();
    let side: Side = f
        .get("side")
        .and_then(|s| s.parse().ok())
        .unwrap_or(Side::Left);
    let context: Option<Context> = f.get("context").and_then(|s| s.parse().ok());
    let dots: Vec<bodymap::Dot> = answer
        .map(|a| {
            a.candidates
                .iter()
                .take(12)
                .map(bodymap::Dot::ranked)
                .collect()
        })
        .unwrap_or_default();
    let back = f.encode(&["csrf", "saved"]);
    page(
        "Where does it hurt?",
        csrf,
        html! {
            @if let Some(a) = answer {
                @if let Some(w) = &a.warning {
                    section.warning role="alert" {
                        h2 { "⚠ " (w) }
                        ul { @for flag in &a.red_flags { li { (flag.question) " " (flag.advice) } } }
                    }
                }
            }
            @if let Some(saved) = f.get("saved") { p.saved role="status" { "✓ Saved " (saved) "." } }
            h1 { "Where does it hurt?" }
            p { "Click where it hurts on the map (or tick the regions below), pick the side, how much and when." }
            div.maps {
                (bodymap::view(View::Front, &selected, side, &dots))
                (bodymap::view(View::Back, &selected, side, &dots))
            }
            form #find method="get" action="/" {
                fieldset #regions {
                    legend { "Regions" }
                    (field_error(errors, "region"))
                    div.regionlist {
                        @for r in REGIONS {
                            label { input type="checkbox" name="region" value=(r.id) checked[selected.iter().any(|s| s.id() == r.id)]; " " (r.id.replace('_', " ")) }
                        }
                    }
                }
                div.row {
                    label { "Side " select name="side" id="side" { (options(Side::ALL, Some(side))) } }
                    (field_error(errors, "side"))
                    label { "When " select name="context" { option value="" { "—" } (options(Context::ALL, context)) } }
                    (field_error(errors, "context"))
                    label { "Starts after (km) " input type="number" name="onset_km" min="0" step="0.1" value=[f.get("onset_km")]; }
                    (field_error(errors, "onset_km"))
                }
                button type="submit" { "Find knots" }
                details.painreport {
                    summary { "Save this as a pain report" }
                    div.row {
                        label { "Pain 0-10 " select name="pain" { (score_options(f.get("pain").and_then(|p| p.parse().ok()))) } }
                        (field_error(errors, "pain"))
                    }
                    fieldset {
                        legend { "Warning signs — tick any that are true" }
                        @for flag in RedFlag::ALL {
                            label.flag { input type="checkbox" name="red_flag" value=(flag); " " (flag.question()) }
                        }
                    }
                    input type="hidden" name="csrf" value=(csrf);
                    button type="submit" formmethod="post" formaction="/pain" { "Save pain report" }
                }
            }
            @if let Some(a) = answer {
                section #results aria-live="polite" {
                    h2 { "Likely knots" }
                    @for c in &a.cautions { p.caution { (c) } }
                    @if a.candidates.is_empty() { p { "No trigger point in the atlas refers pain to these regions." } }
                    ol.candidates {
                        @for c in a.candidates.iter().take(10) {
                            li id=(format!("tp-{}", c.trigger_point)) {
                                h3 { span.rank { "#" (c.rank) } " " (c.muscle_name) " — " (c.name) " " small { "score " (format!("{:.2}", c.score)) } }
                                p { strong { "Find it: " } (c.landmark) }
                                p { strong { "Try: " } (c.self_treatment) }
                                p { strong { "Stretch: " } (c.stretch) " " strong { "Strengthen: " } (c.strengthen) }
                                p.why { "Why: " @for (i, r) in c.reasons.iter().enumerate() { @if i > 0 { "; " } (r.text) } }
                                form.mark method="post" action="/finding" {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="trigger_point" value=(c.trigger_point);
                                    input type="hidden" name="side" value=(if side == Side::Both { Side::Left } else { side });
                                    input type="hidden" name="back" value=(back);
                                    label { "Tenderness " select name="tenderness" aria-label=(format!("tenderness of {}", c.name)) { (score_options(Some(6))) } }
                                    button type="submit" name="mark" value="spot" { "That's the spot" }
                                    button type="submit" name="mark" value="tender" { "Tender" }
                                    button type="submit" name="mark" value="not" { "Not tender" }
                                }
                                a href=(format!("/knots/{}", c.trigger_point)) { "History of this knot" }
                            }
                        }
                    }
                    p.disclaimer { (a.disclaimer) }
                }
            }
        },
    )
}

/// `POST /pain`: a pain report from the finder form.
pub async fn add_pain<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    body: Bytes,
) -> Result<Response, AppError> {
    let f = Fields::parse(&body);
    check_token(f.get("csrf"), &state.csrf)?;
    let mut r = Reader::default();
    let regions = r.regions(&f, "region");
    let side = r.required::<Side>(&f, "side");
    let pain = r.nrs(&f, "pain", true);
    let context = r.required::<Context>(&f, "context");
    let onset_km = r.km(&f, "onset_km");
    let red_flags: Vec<RedFlag> = f
        .all("red_flag")
        .iter()
        .filter_map(|v| r.parse("red_flag", v))
        .collect();
    let (Some(side), Some(pain), Some(context), true) = (side, pain, context, r.errors.is_empty())
    else {
        return Ok(with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            index_page(&state.csrf, &f, None, &r.errors),
        ));
    };
    let report = PainReport {
        at: jiff::Timestamp::now(),
        regions,
        side,
        pain,
        context,
        onset_km,
        red_flags,
        note: None,
    };
    if let Err(e) = report.validate(now()) {
        return Ok(with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            index_page(&state.csrf, &f, None, &[e]),
        ));
    }
    with_journal(&state, |s| s.add_pain_report(&report))?;
    Ok(Redirect::to(&format!(
        "/?{}&saved=pain+report#results",
        f.encode(&["csrf", "pain", "red_flag"])
    ))
    .into_response())
}

/// `POST /finding`: one click on "that's the spot", "tender" or "not tender".
pub async fn add_finding<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    body: Bytes,
) -> Result<Response, AppError> {
    let f = Fields::parse(&body);
    check_token(f.get("csrf"), &state.csrf)?;
    let mut r = Reader::default();
    let tp = r.required::<String>(&f, "trigger_point");
    let side = r.required::<Side>(&f, "side");
    let tenderness = r.nrs(&f, "tenderness", true);
    let mark = f.get("mark").unwrap_or("tender");
    let (Some(tp), Some(side), Some(tenderness), true) =
        (tp, side, tenderness, r.errors.is_empty())
    else {
        return Err(AppError::Invalid(r.errors));
    };
    let finding = Finding {
        at: jiff::Timestamp::now(),
        trigger_point: TriggerPointId(tp),
        side,
        tenderness: if mark == "not" { Nrs::ZERO } else { tenderness },
        taut_band: false,
        reproduces: mark == "spot",
        ppt_kg_cm2: None,
        session: None,
        note: None,
    };
    finding.validate(Atlas::shipped(), now())?;
    with_journal(&state, |s| s.add_finding(&finding))?;
    let back = f.get("back").unwrap_or("");
    Ok(Redirect::to(&format!("/?{back}#results")).into_response())
}

/// `GET /record`: forms for treatments, runs, shoes and check-ins.
pub async fn record<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let f = Fields::parse(raw.unwrap_or_default().as_bytes());
    let shoes = with_journal(&state, |s| s.shoes())?;
    Ok(record_page(&state.csrf, &f, &shoes, &[]).into_response())
}

fn record_page(
    csrf: &str,
    f: &Fields,
    shoes: &[knots_core::journal::Entry<Shoe>],
    errors: &[FieldError],
) -> Markup {
    let kind = f.get("kind").unwrap_or("");
    let err = |k: &str, field: &str| {
        if kind == k {
            field_error(errors, field)
        } else {
            html! {}
        }
    };
    page(
        "Record",
        csrf,
        html! {
            h1 { "Record" }
            @if let Some(saved) = f.get("saved") { p.saved role="status" { "✓ Saved " (saved) "." } }
            @if !errors.is_empty() { p.error role="alert" { "Nothing was saved: fix the fields marked ⚠." } }
            section {
                h2 { "Treatment" }
                form method="post" action="/record" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="kind" value="treatment";
                    label { "Kind " select name="treatment_kind" { (options(TreatmentKind::ALL, None)) } }
                    label { "Target (trigger point, muscle or region) " input name="target" list="targets"; } (err("treatment", "target"))
                    label { "Side " select name="side" { (options(Side::ALL, Some(Side::Left))) } }
                    label { "Pressure 0-10 " input type="number" name="pressure" min="0" max="10"; } (err("treatment", "pressure"))
                    label { "Minutes " input type="number" name="minutes" min="0" step="1"; } (err("treatment", "minutes"))
                    label { "By " select name="by" { (options(By::ALL, Some(By::SelfCare))) } }
                    button type="submit" { "Save treatment" }
                }
            }
            section {
                h2 { "Run" }
                form method="post" action="/record" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="kind" value="run";
                    label { "Date " input type="date" name="date"; } (err("run", "date"))
                    label { "Distance km " input type="number" name="km" min="0" step="0.01" required; } (err("run", "km"))
                    label { "Minutes " input type="number" name="minutes" min="0" step="0.1"; } (err("run", "minutes"))
                    label { "Shoe " select name="shoe" { option value="" { "—" } @for s in shoes { option value=(s.id) { (s.item.name) } } } }
                    label { "Surface " select name="surface" { option value="" { "—" } (options(Surface::ALL, None)) } }
                    label { "Camber (road falls to) " select name="camber" { (options(Camber::ALL, Some(Camber::None))) } }
                    label { "Pain began at km " input type="number" name="pain_onset_km" min="0" step="0.1"; } (err("run", "pain_onset_km"))
                    label { "Worst pain 0-10 " input type="number" name="max_pain" min="0" max="10"; } (err("run", "max_pain"))
                    label { "Pain next morning 0-10 " input type="number" name="pain_next_morning" min="0" max="10"; } (err("run", "pain_next_morning"))
                    label { "RPE 0-10 " input type="number" name="rpe" min="0" max="10"; } (err("run", "rpe"))
                    button type="submit" { "Save run" }
                }
            }
            section {
                h2 { "Shoe" }
                form method="post" action="/record" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="kind" value="shoe";
                    label { "Name " input name="name" required; } (err("shoe", "name")) (err("shoe", "record"))
                    label { "First worn " input type="date" name="started"; } (err("shoe", "started"))
                    label { "Distance already on it, km " input type="number" name="initial_km" min="0" step="1" value="0"; }
                    label { "Replace after, km " input type="number" name="limit_km" min="1" step="1" value="700"; } (err("shoe", "limit_km"))
                    button type="submit" { "Save shoe" }
                }
            }
            section {
                h2 { "Daily check-in" }
                form method="post" action="/record" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="kind" value="checkin";
                    label { "Date " input type="date" name="date"; } (err("checkin", "date"))
                    label { "Morning pain 0-10 " input type="number" name="morning_pain" min="0" max="10"; } (err("checkin", "morning_pain"))
                    label { "Stiffness 0-10 " input type="number" name="stiffness" min="0" max="10"; } (err("checkin", "stiffness"))
                    label { "Water, litres " input type="number" name="water_l" min="0" step="0.1"; } (err("checkin", "water_l"))
                    label { input type="checkbox" name="potassium"; " Potassium-rich food" }
                    label { "Sleep, hours " input type="number" name="sleep_h" min="0" max="24" step="0.5"; } (err("checkin", "sleep_h"))
                    button type="submit" { "Save check-in" }
                }
            }
            section {
                h2 { "Palpation finding" }
                form method="post" action="/record" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="kind" value="finding";
                    label { "Trigger point " select name="trigger_point" { @for tp in Atlas::shipped().trigger_points() { option value=(tp.id) { (tp.id) } } } } (err("finding", "trigger_point"))
                    label { "Side " select name="side" { (options(Side::ALL, Some(Side::Left))) } }
                    label { "Tenderness 0-10 " input type="number" name="tenderness" min="0" max="10" required; } (err("finding", "tenderness"))
                    label { input type="checkbox" name="taut_band"; " taut band" }
                    label { input type="checkbox" name="reproduces"; " reproduces the symptom" }
                    label { "Pressure-pain threshold kg/cm² " input type="number" name="ppt_kg_cm2" min="0" step="0.1"; } (err("finding", "ppt_kg_cm2"))
                    button type="submit" { "Save finding" }
                }
            }
            section {
                h2 { "Pain on a run" }
                form method="post" action="/record" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="kind" value="run_pain";
                    label { "Run id (see Runs) " input type="number" name="run" min="1" required; } (err("run_pain", "run"))
                    label { "Pain began at km " input type="number" name="pain_onset_km" min="0" step="0.1"; } (err("run_pain", "pain_onset_km"))
                    label { "Worst pain 0-10 " input type="number" name="max_pain" min="0" max="10"; } (err("run_pain", "max_pain"))
                    label { "Pain next morning 0-10 " input type="number" name="pain_next_morning" min="0" max="10"; } (err("run_pain", "pain_next_morning"))
                    button type="submit" { "Mark the run" }
                }
            }
            section {
                h2 { "Retire a shoe" }
                form method="post" action="/record" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="kind" value="shoe_retire";
                    label { "Shoe " select name="shoe" { @for s in shoes.iter().filter(|s| s.item.retired.is_none()) { option value=(s.id) { (s.item.name) } } } } (err("shoe_retire", "shoe"))
                    label { "Retired on " input type="date" name="date"; } (err("shoe_retire", "retired"))
                    button type="submit" { "Retire" }
                }
            }
            section {
                h2 { "Profile" }
                form method="post" action="/record" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="kind" value="profile";
                    label { "Leg-length difference, mm " input type="number" name="leg_length_diff_mm" min="0" max="100" step="0.5"; } (err("profile", "leg_length_diff_mm"))
                    label { "Longer leg " select name="longer_leg" { option value="" { "—" } option value="left" { "left" } option value="right" { "right" } } }
                    button type="submit" { "Save profile" }
                }
            }
            (targets())
        },
    )
}

/// The ids a treatment's target may name, offered while typing.
fn targets() -> Markup {
    let atlas = Atlas::shipped();
    html! {
        datalist #targets {
            @for tp in atlas.trigger_points() { option value=(tp.id) {} }
            @for m in atlas.muscles() { option value=(m.id) {} }
            @for r in REGIONS { option value=(r.id) {} }
        }
    }
}

fn today() -> jiff::civil::Date {
    jiff::Zoned::now().date()
}

/// `POST /record`: saves the treatment, run, shoe or check-in of one of the record forms.
pub async fn add_record<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    body: Bytes,
) -> Result<Response, AppError> {
    let f = Fields::parse(&body);
    check_token(f.get("csrf"), &state.csrf)?;
    let kind = f.get("kind").unwrap_or("").to_string();
    let mut r = Reader::default();
    let result: Result<i64, Vec<FieldError>> = match kind.as_str() {
        "treatment" => {
            let t = Treatment {
                at: jiff::Timestamp::now(),
                kind: r
                    .required(&f, "treatment_kind")
                    .unwrap_or(TreatmentKind::Other),
                target: f.get("target").map(String::from),
                side: r.required(&f, "side").unwrap_or(Side::Left),
                pressure: r.nrs(&f, "pressure", false),
                minutes: r.amount(&f, "minutes"),
                by: r.required(&f, "by").unwrap_or(By::SelfCare),
                session: None,
                note: None,
            };
            save(&state, r, |s, cx| record::add(s, &Record::Treatment(t), cx))
        }
        "run" => {
            let run = Run {
                date: r.optional(&f, "date").unwrap_or_else(today),
                km: r.required(&f, "km").unwrap_or(knots_core::Km::ZERO),
                minutes: r.amount(&f, "minutes"),
                shoe: r.optional(&f, "shoe"),
                surface: r.optional(&f, "surface"),
                camber: r.optional(&f, "camber").unwrap_or(Camber::None),
                pain_onset_km: r.km(&f, "pain_onset_km"),
                max_pain: r.nrs(&f, "max_pain", false),
                pain_next_morning: r.nrs(&f, "pain_next_morning", false),
                rpe: r.nrs(&f, "rpe", false),
                note: None,
            };
            save(&state, r, |s, cx| record::add(s, &Record::Run(run), cx))
        }
        "shoe" => {
            let shoe = Shoe {
                name: r.required(&f, "name").unwrap_or_default(),
                started: r.optional(&f, "started").unwrap_or_else(today),
                retired: None,
                initial_km: r.amount(&f, "initial_km").unwrap_or(0.0),
                limit_km: r.amount(&f, "limit_km").unwrap_or(700.0),
            };
            save(&state, r, |s, cx| record::add(s, &Record::Shoe(shoe), cx))
        }
        "checkin" => {
            let c = Checkin {
                date: r.optional(&f, "date").unwrap_or_else(today),
                morning_pain: r.nrs(&f, "morning_pain", false),
                stiffness: r.nrs(&f, "stiffness", false),
                water_l: r.amount(&f, "water_l"),
                potassium: Some(f.flag("potassium")),
                sleep_h: r.amount(&f, "sleep_h"),
                note: None,
            };
            save(&state, r, |s, cx| record::checkin(s, &c, cx))
        }
        "finding" => {
            let finding = Finding {
                at: jiff::Timestamp::now(),
                trigger_point: TriggerPointId(r.required(&f, "trigger_point").unwrap_or_default()),
                side: r.required(&f, "side").unwrap_or(Side::Left),
                tenderness: r.nrs(&f, "tenderness", true).unwrap_or(Nrs::ZERO),
                taut_band: f.flag("taut_band"),
                reproduces: f.flag("reproduces"),
                ppt_kg_cm2: r.amount(&f, "ppt_kg_cm2"),
                session: None,
                note: None,
            };
            save(&state, r, |s, cx| {
                record::add(s, &Record::Finding(finding), cx)
            })
        }
        "run_pain" => {
            let id: Option<i64> = r.required(&f, "run");
            let mut patch = serde_json::Map::new();
            for (field, value) in [
                (
                    "pain_onset_km",
                    r.km(&f, "pain_onset_km").map(|k| k.value().into()),
                ),
                (
                    "max_pain",
                    r.nrs(&f, "max_pain", false).map(|n| n.value().into()),
                ),
                (
                    "pain_next_morning",
                    r.nrs(&f, "pain_next_morning", false)
                        .map(|n| n.value().into()),
                ),
            ] {
                if let Some(v) = value {
                    patch.insert(field.into(), v);
                }
            }
            let patch = serde_json::Value::Object(patch);
            save(&state, r, |s, cx| {
                let id = id.unwrap_or(0);
                record::edit(s, Kind::Run, id, &patch, cx).map(|_| id)
            })
        }
        "shoe_retire" => {
            let id: Option<i64> = r.required(&f, "shoe");
            let date: jiff::civil::Date = r.optional(&f, "date").unwrap_or_else(today);
            let patch = serde_json::json!({ "retired": date.to_string() });
            save(&state, r, |s, cx| {
                let id = id.unwrap_or(0);
                record::edit(s, Kind::Shoe, id, &patch, cx).map(|_| id)
            })
        }
        "profile" => {
            let profile = knots_core::journal::Profile {
                leg_length_diff_mm: r.amount(&f, "leg_length_diff_mm"),
                longer_leg: r.optional::<Side>(&f, "longer_leg"),
                note: None,
            };
            let patch = Record::Profile(profile).to_json();
            save(&state, r, |s, cx| {
                record::edit(s, Kind::Profile, 1, &patch, cx).map(|_| 1)
            })
        }
        other => {
            return Err(AppError::field(
                "kind",
                format!("unknown record kind `{other}`"),
            ));
        }
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/record?saved={kind}")).into_response()),
        Err(errors) => {
            let shoes = with_journal(&state, |s| s.shoes())?;
            Ok(with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                record_page(&state.csrf, &f, &shoes, &errors),
            ))
        }
    }
}

/// Stores a record when the form found no fault and the use case's rules accept it; otherwise
/// returns every fault.
fn save<S: Open>(
    state: &AppState<S>,
    reader: Reader,
    write: impl FnOnce(&mut S, Rules<'_>) -> Result<i64, knots_app::Error>,
) -> Result<i64, Vec<FieldError>> {
    if !reader.errors.is_empty() {
        return Err(reader.errors);
    }
    let cx = Rules {
        atlas: Atlas::shipped(),
        now: now(),
        force: false,
    };
    tokio::task::block_in_place(|| {
        let mut store = state
            .pool
            .get()
            .map_err(|_| vec![FieldError::new("record", "the journal is busy: retry")])?;
        write(&mut store, cx).map_err(|e| match e {
            knots_app::Error::Invalid(f) => vec![f],
            knots_app::Error::Unusual { field, reason } => vec![FieldError::new(field, reason)],
            other => vec![FieldError::new("record", other)],
        })
    })
}

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
    page(
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
                    div.maps #session-map {
                        (bodymap::view(View::Front, &[], Side::Both, &session_dots(f)))
                        (bodymap::view(View::Back, &[], Side::Both, &session_dots(f)))
                    }
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

/// Every trigger point of the atlas as a small dot, those chosen in the finding rows marked.
fn session_dots(f: &Fields) -> Vec<bodymap::Dot> {
    let chosen: Vec<&str> = (0..ROWS)
        .filter_map(|i| f.get(&format!("f{i}_tp")))
        .collect();
    Atlas::shipped()
        .trigger_points()
        .iter()
        .map(|tp| bodymap::Dot::plain(tp, "#session".into(), chosen.contains(&tp.id.as_str())))
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
    match save(&state, r, |s, cx| record::add_session(s, &record, cx)) {
        Ok(_) => Ok(Redirect::to("/timeline?saved=session").into_response()),
        Err(errors) => Ok(with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            session_page(&state.csrf, &f, &errors),
        )),
    }
}

/// `GET /timeline`: every record in time order.
pub async fn timeline<S: Open>(State(state): State<Arc<AppState<S>>>) -> Result<Markup, AppError> {
    let journal = with_journal(&state, |s| s.journal())?;
    let lines = summary::timeline(&journal, &TimeZone::system());
    Ok(page(
        "Timeline",
        &state.csrf,
        html! {
            h1 { "Timeline" }
            @if lines.is_empty() { p { "Nothing recorded yet." } }
            table {
                thead { tr { th { "When" } th { "What" } th { "Details" } } }
                tbody { @for l in lines.iter().rev() { tr { td { (l.when) } td { (l.kind) } td { (l.summary) } } } }
            }
        },
    ))
}

/// `GET /runs`: runs with where the pain began, as a plot and a table.
pub async fn runs<S: Open>(State(state): State<Arc<AppState<S>>>) -> Result<Markup, AppError> {
    let journal = with_journal(&state, |s| s.journal())?;
    let runs = &journal.runs;
    let max_km = runs.iter().map(|r| r.item.km.value()).fold(1.0, f64::max);
    let (w, h, pad) = (600.0, 200.0, 30.0);
    let step = if runs.is_empty() {
        0.0
    } else {
        (w - 2.0 * pad) / runs.len() as f64
    };
    let y = |km: f64| h - pad - km / max_km * (h - 2.0 * pad);
    Ok(page(
        "Runs",
        &state.csrf,
        html! {
            h1 { "Runs" }
            p { "Bars: distance. A × marks where the pain began; a bar without one was pain-free." }
            svg.plot viewBox=(format!("0 0 {w} {h}")) role="img" aria-label="distance of each run with the pain onset marked" {
                line x1=(pad) y1=(h - pad) x2=(w - pad) y2=(h - pad) stroke="#555" {}
                text x=(pad) y=(pad - 10.0) { (format!("{max_km:.0} km")) }
                @for (i, r) in runs.iter().enumerate() {
                    @let x = pad + i as f64 * step;
                    rect.bar x=(format!("{x:.1}")) y=(format!("{:.1}", y(r.item.km.value()))) width=(format!("{:.1}", (step * 0.8).max(1.0))) height=(format!("{:.1}", h - pad - y(r.item.km.value()))) {}
                    @if let Some(on) = r.item.pain_onset_km {
                        text.onset x=(format!("{:.1}", x + step * 0.4)) y=(format!("{:.1}", y(on.value()) + 4.0)) text-anchor="middle" { "×" }
                    }
                }
            }
            table {
                thead { tr { th { "Date" } th { "km" } th { "Pain began at" } th { "Worst pain" } th { "Next morning" } th { "Camber" } } }
                tbody {
                    @for r in runs.iter().rev() {
                        tr {
                            td { a href=(format!("/runs/{}", r.id)) { (r.item.date) } } td { (format!("{:.1}", r.item.km.value())) }
                            td { (r.item.pain_onset_km.map(|k| k.to_string()).unwrap_or_else(|| "pain-free".into())) }
                            td { (r.item.max_pain.map(|p| p.to_string()).unwrap_or_default()) }
                            td { (r.item.pain_next_morning.map(|p| p.to_string()).unwrap_or_default()) }
                            td { (r.item.camber) }
                        }
                    }
                }
            }
        },
    ))
}

/// `GET /knots/{id}`: one trigger point, how to find it, and its tenderness over time.
pub async fn knot<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    Path(id): Path<String>,
) -> Result<Markup, AppError> {
    let tp = Atlas::shipped()
        .trigger_point(&id)
        .map_err(|e| AppError::NotFound(e.to_string()))?;
    let journal = with_journal(&state, |s| s.journal())?;
    let histories: Vec<_> = summary::knots_over_time(&journal)
        .into_iter()
        .filter(|k| k.trigger_point == tp.id)
        .collect();
    let treatments: Vec<_> = journal
        .treatments
        .iter()
        .filter(|t| {
            t.item.target.as_deref() == Some(tp.id.as_str())
                || t.item.target.as_deref() == Some(tp.muscle.as_str())
        })
        .collect();
    let all_times: Vec<i64> = histories
        .iter()
        .flat_map(|k| k.points.iter().map(|p| p.at.as_second()))
        .chain(treatments.iter().map(|t| t.item.at.as_second()))
        .collect();
    let (t0, t1) = (
        all_times.iter().min().copied().unwrap_or(0),
        all_times.iter().max().copied().unwrap_or(1).max(1),
    );
    let (w, h, pad) = (600.0, 200.0, 30.0);
    let x = |t: i64| pad + (t - t0) as f64 / ((t1 - t0).max(1)) as f64 * (w - 2.0 * pad);
    let y = |v: u8| h - pad - f64::from(v) / 10.0 * (h - 2.0 * pad);
    Ok(page(
        &tp.name,
        &state.csrf,
        html! {
            h1 { (tp.muscle) " — " (tp.name) }
            p { strong { "Find it: " } (tp.landmark) }
            p { strong { "Try: " } (tp.self_treatment) }
            p { strong { "Stretch: " } (tp.stretch) " " strong { "Strengthen: " } (tp.strengthen) }
            p { "Sources: " (tp.sources.join(", ")) }
            h2 { "Tenderness over time" }
            @if histories.is_empty() { p { "No finding recorded for this spot yet." } }
            svg.plot viewBox=(format!("0 0 {w} {h}")) role="img" aria-label="tenderness 0-10 over time; triangles mark treatments" {
                line x1=(pad) y1=(h - pad) x2=(w - pad) y2=(h - pad) stroke="#555" {}
                line x1=(pad) y1=(pad) x2=(pad) y2=(h - pad) stroke="#555" {}
                text x="2" y=(pad) { "10" } text x="8" y=(h - pad) { "0" }
                @for t in &treatments { text.treat x=(format!("{:.1}", x(t.item.at.as_second()))) y=(h - 8.0) text-anchor="middle" { "▲" title { (t.item.kind) } } }
                @for k in &histories {
                    polyline.series points=(k.points.iter().map(|p| format!("{:.1},{:.1}", x(p.at.as_second()), y(p.tenderness))).collect::<Vec<_>>().join(" ")) {}
                    @for p in &k.points { circle.point cx=(format!("{:.1}", x(p.at.as_second()))) cy=(format!("{:.1}", y(p.tenderness))) r="3" { title { (p.tenderness) "/10" @if p.reproduces { ", reproduces" } } } }
                }
            }
            ul { @for k in &histories { li { (k.side) ": " (k.points.iter().map(|p| p.tenderness.to_string()).collect::<Vec<_>>().join(" → ")) } } }
            p { (PreEscaped("&nbsp;")) }
        },
    ))
}

/// The report page's own policy: the report is one self-contained document with an inline
/// stylesheet and inline SVG, and no script at all.
const REPORT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// `GET /report`: the same self-contained HTML report as `knots report --html`.
pub async fn report<S: Open>(State(state): State<Arc<AppState<S>>>) -> Result<Response, AppError> {
    let journal = with_journal(&state, |s| s.journal())?;
    let now = jiff::Zoned::now();
    let r =
        knots_core::analytics::report(&journal, &now, knots_core::analytics::Options::default());
    let html = knots_view::report::document(&r, &journal, &now);
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
    Ok(page(
        "Plan",
        &state.csrf,
        html! {
            @if let Some(w) = &r.warning { section.warning role="alert" { h2 { "⚠ " (w) } } }
            h1 { "The next weeks" }
            p { strong { "Gate: " (r.gate.as_str()) } " — " @for (i, why) in r.gate_reasons.iter().enumerate() { @if i > 0 { "; " } (why) } }
            h2 { "Why this plan" }
            ul { @for w in &r.plan.why { li { (w) } } }
            @for week in &r.plan.weeks {
                h3 { "Week " (week.number) " — " (week.condition) }
                ul { @for s in &week.sessions { li { (s.date) ": " (s.text) } } }
            }
            h2 { "Rules" }
            ul { @for rule in &r.plan.rules { li { (rule) } } }
        },
    ))
}
