//! The guided knot search on the web: `GET /search?region=..&side=..&context=..` asks for one spot
//! at a time on the body map; `POST /search` saves the answer as a palpation finding and shows the
//! next question, the posterior top 3, or the conclusion.
//!
//! The server keeps no search state. The form carries the query, the instant the search started
//! (the prior uses only findings recorded before it, so the answers saved by this search do not
//! count twice) and every answer so far as `answer=<trigger point>:<tenderness>:<0|1>`; each
//! request rebuilds the search from them. [`knots_core::search::Search`] is deterministic, so the
//! same answers always give the same next question.

use crate::api::{query_from, with_journal};
use crate::bodymap;
use crate::form::{Fields, Reader};
use crate::pages::layout;
use crate::security::check_token;
use crate::{AppError, AppState};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use knots_app::Open;
use knots_core::atlas::{TriggerPoint, View};
use knots_core::finder::Query;
use knots_core::journal::{Context, Finding, Side};
use knots_core::region::REGIONS;
use knots_core::search::{Conclusion, Model, Outcome, Press, Search, Settings, Step};
use knots_core::{Atlas, Nrs, TriggerPointId};
use maud::{Markup, html};
use std::sync::Arc;

/// `GET /search`: the start form, or the first question for a query.
pub async fn start<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let f = Fields::parse(raw.unwrap_or_default().as_bytes());
    if f.get("region").is_none() && f.get("side").is_none() {
        return Ok(start_page(&state.csrf, &f, None).into_response());
    }
    let query = match query_from(&f) {
        Ok(q) => q,
        Err(AppError::Invalid(errors)) => {
            let msg = errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ");
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                start_page(&state.csrf, &f, Some(&msg)),
            )
                .into_response());
        }
        Err(other) => return Err(other),
    };
    let started = f
        .get("started")
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .unwrap_or_else(jiff::Timestamp::now);
    let answers = parse_answers(&f)?;
    let search = rebuild(&state, &query, started, &answers)?;
    Ok(step_page(&state.csrf, &query, started, &search).into_response())
}

/// `POST /search`: saves one answer as a finding, then shows what comes next.
pub async fn answer<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    body: Bytes,
) -> Result<Response, AppError> {
    let f = Fields::parse(&body);
    check_token(f.get("csrf"), &state.csrf)?;
    let query = query_from(&f)?;
    let mut r = Reader::default();
    let started = r.required::<jiff::Timestamp>(&f, "started");
    let tp = r.required::<String>(&f, "trigger_point");
    let tenderness = r.nrs(&f, "tenderness", true);
    let reproduces = match f.get("reproduces") {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => {
            r.errors.push(knots_core::journal::FieldError::new(
                "reproduces",
                "answer yes or no",
            ));
            None
        }
    };
    let (Some(started), Some(tp), Some(tenderness), Some(reproduces), true) =
        (started, tp, tenderness, reproduces, r.errors.is_empty())
    else {
        return Err(AppError::Invalid(r.errors));
    };
    let answers = parse_answers(&f)?;
    let mut search = rebuild(&state, &query, started, &answers)?;
    let press = Press {
        trigger_point: TriggerPointId(tp),
        tenderness,
        reproduces,
    };
    // Refuse a spot this search did not ask about, or one already answered, before saving.
    search
        .record(press.clone())
        .map_err(|e| AppError::field("trigger_point", e))?;
    let finding = Finding {
        at: jiff::Timestamp::now(),
        trigger_point: press.trigger_point.clone(),
        side: query.side,
        tenderness,
        taut_band: false,
        reproduces,
        ppt_kg_cm2: None,
        session: None,
        note: Some("guided search".into()),
    };
    let rules = crate::api::rules();
    with_journal(&state, |s| {
        knots_app::record::add(s, &knots_core::change::Record::Finding(finding), rules)
    })?;
    Ok(step_page(&state.csrf, &query, started, &search).into_response())
}

/// The answers so far, from repeated `answer=<id>:<tenderness>:<0|1>` fields.
fn parse_answers(f: &Fields) -> Result<Vec<Press>, AppError> {
    f.all("answer")
        .into_iter()
        .map(|a| {
            let mut parts = a.rsplitn(3, ':');
            let r = parts.next();
            let t = parts.next().and_then(|t| t.parse::<Nrs>().ok());
            let id = parts.next();
            match (id, t, r) {
                (Some(id), Some(t), Some(r @ ("0" | "1"))) => Ok(Press {
                    trigger_point: TriggerPointId(id.to_string()),
                    tenderness: t,
                    reproduces: r == "1",
                }),
                _ => Err(AppError::field("answer", format!("cannot read `{a}`"))),
            }
        })
        .collect()
}

fn encode_answer(p: &Press) -> String {
    format!(
        "{}:{}:{}",
        p.trigger_point,
        p.tenderness.value(),
        u8::from(p.reproduces)
    )
}

/// The search for `query` with the prior from the findings recorded before `started`, and the
/// answers replayed.
fn rebuild<'a, S: Open>(
    state: &AppState<S>,
    query: &Query,
    started: jiff::Timestamp,
    answers: &[Press],
) -> Result<Search<'a>, AppError> {
    let history: Vec<_> = with_journal(state, |s| s.findings())?
        .into_iter()
        .filter(|e| e.item.at < started)
        .collect();
    let mut search = Search::new(
        Atlas::shipped(),
        query,
        &history,
        Model::default(),
        Settings::default(),
    );
    for a in answers {
        search
            .record(a.clone())
            .map_err(|e| AppError::field("answer", e))?;
    }
    Ok(search)
}

fn muscle_name(tp: &TriggerPoint) -> String {
    Atlas::shipped()
        .muscle(&tp.muscle)
        .map_or_else(|_| tp.muscle.clone(), |m| m.name.clone())
}

/// The next spot as a one-dot candidate for the body map.
fn tp_words(id: &TriggerPointId) -> String {
    match Atlas::shipped().trigger_point(id.as_str()) {
        Ok(tp) => format!("{} — {}", muscle_name(tp), tp.name),
        Err(_) => id.to_string(),
    }
}

fn percent(p: f64) -> String {
    format!("{:.0}%", 100.0 * p)
}

/// The hidden fields that carry the query, the start and the answers so far.
fn carried(query: &Query, started: jiff::Timestamp, search: &Search<'_>) -> Markup {
    html! {
        @for r in &query.regions { input type="hidden" name="region" value=(r.id()); }
        input type="hidden" name="side" value=(query.side);
        @if let Some(c) = query.context { input type="hidden" name="context" value=(c); }
        input type="hidden" name="started" value=(started);
        @for p in search.presses() { input type="hidden" name="answer" value=(encode_answer(p)); }
    }
}

fn step_page(csrf: &str, query: &Query, started: jiff::Timestamp, search: &Search<'_>) -> Markup {
    let step = search.next();
    let (next, conclusion): (Option<&TriggerPoint>, Option<Conclusion>) = match step {
        Step::Press(tp) => (Some(tp), None),
        Step::Stop(c) => (None, Some(c)),
    };
    let dots: Vec<bodymap::Dot> = next
        .map(|tp| bodymap::Dot::plain(tp, "#next".into(), true))
        .into_iter()
        .collect();
    let top: Vec<_> = search.posterior().into_iter().take(3).collect();
    layout(
        "Guided search",
        csrf,
        html! {
            h1 { "Guided search" }
            p { (search.candidates().len()) " candidate spots; "
                (search.presses().len()) " pressed so far. Press each spot firmly for 5-10 s, at no more than 7/10." }
            div.maps {
                (bodymap::view(View::Front, &query.regions, query.side, &dots))
                (bodymap::view(View::Back, &query.regions, query.side, &dots))
            }
            @if let Some(tp) = next {
                section #next {
                    h2 { "Press here: " (muscle_name(tp)) " — " (tp.name) }
                    p.landmark { (tp.landmark) }
                    form method="post" action="/search" {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="trigger_point" value=(tp.id);
                        (carried(query, started, search))
                        label { "How tender, 0-10? "
                            select name="tenderness" required {
                                @for v in 0..=10u8 { option value=(v) { (v) } }
                            }
                        }
                        fieldset {
                            legend { "Does it bring on your pain?" }
                            label { input type="radio" name="reproduces" value="yes" required; " yes" } " "
                            label { input type="radio" name="reproduces" value="no"; " no" }
                        }
                        button type="submit" { "Save and continue" }
                    }
                }
            }
            @if let Some(c) = &conclusion {
                section #conclusion {
                    h2 { "Conclusion" }
                    p role="status" {
                        @match (c.outcome, &c.trigger_point) {
                            (Outcome::Found, Some(id)) => { "Most likely mother knot: " strong { (tp_words(id)) } " (" (percent(c.probability)) ")." }
                            (Outcome::NoneFound, _) => { "None of the candidate spots looks like the source (" (percent(c.none_probability)) ")." }
                            (_, Some(id)) => { "Not sure; best guess: " strong { (tp_words(id)) } " (" (percent(c.probability)) ")." }
                            (_, None) => { "No conclusion." }
                        }
                        " After " (c.presses) (if c.presses == 1 { " press." } else { " presses." })
                    }
                    @if !c.also_reproduced.is_empty() {
                        p { "Also brought on the pain (likely satellites): "
                            @for (i, id) in c.also_reproduced.iter().enumerate() { @if i > 0 { ", " } (tp_words(id)) } }
                    }
                }
            }
            section #posterior {
                h2 { "Most likely so far" }
                ol {
                    @for b in &top { li { (tp_words(&b.trigger_point)) " — " (percent(b.probability)) } }
                }
                p { "None of these: " (percent(search.none_probability())) }
            }
            @if !search.presses().is_empty() {
                section #answers {
                    h2 { "Your answers" }
                    ol {
                        @for p in search.presses() {
                            li { (tp_words(&p.trigger_point)) ": " (p.tenderness.value()) "/10"
                                @if p.reproduces { ", brings on the pain" } }
                        }
                    }
                }
            }
        },
    )
}

fn start_page(csrf: &str, f: &Fields, error: Option<&str>) -> Markup {
    let regions = f.all("region");
    layout(
        "Guided search",
        csrf,
        html! {
            h1 { "Guided search" }
            p { "knots asks for one spot at a time and stops when it is confident which knot brings on your pain." }
            @if let Some(e) = error { p.error role="alert" { "⚠ " (e) } }
            form method="get" action="/search" {
                fieldset {
                    legend { "Where does it hurt?" }
                    div.regionlist {
                        @for r in REGIONS {
                            label { input type="checkbox" name="region" value=(r.id) checked[regions.contains(&r.id)]; " " (r.id.replace('_', " ")) }
                        }
                    }
                }
                label { "Side " select name="side" { @for s in Side::ALL { option value=(s) { (s) } } } }
                label { "When " select name="context" { option value="" { "—" } @for c in Context::ALL { option value=(c) { (c) } } } }
                button type="submit" { "Start" }
            }
        },
    )
}
