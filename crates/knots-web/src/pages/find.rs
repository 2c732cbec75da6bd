//! The body map and the finder (`GET /`), and the two writes made from it: a pain report
//! (`POST /pain`) and one click on a ranked knot (`POST /finding`).

use super::{distance_input, field_error, layout, options, score_options, with_status};
use crate::api::{query_in, run_find, with_journal};
use crate::bodymap;
use crate::form::{Fields, Reader};
use crate::security::check_token;
use crate::{AppError, AppState};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use knots_app::Open;
use knots_core::atlas::View;
use knots_core::finder::Answer;
use knots_core::journal::{Context, FieldError, Finding, PainReport, Side};
use knots_core::region::REGIONS;
use knots_core::safety::RedFlag;
use knots_core::units::Unit;
use knots_core::{Nrs, TriggerPointId};
use maud::{Markup, html};
use std::sync::Arc;

/// `GET /`: the body map, the finder form and, when regions are chosen, the ranked knots.
pub async fn index<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let fields = Fields::parse(raw.unwrap_or_default().as_bytes());
    if fields.get("region").is_none() && fields.get("side").is_none() {
        return Ok(index_page(&state.csrf, state.unit, &fields, None, &[]).into_response());
    }
    match query_in(&fields, state.unit) {
        Ok(query) => {
            let answer = run_find(&state, &query, &[])?;
            Ok(index_page(&state.csrf, state.unit, &fields, Some(&answer), &[]).into_response())
        }
        Err(AppError::Invalid(errors)) => Ok(with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            index_page(&state.csrf, state.unit, &fields, None, &errors),
        )),
        Err(other) => Err(other),
    }
}

fn index_page(
    csrf: &str,
    unit: Unit,
    f: &Fields,
    answer: Option<&Answer>,
    errors: &[FieldError],
) -> Markup {
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
    layout(
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
                    label { "Starts after (" (unit) ") " (distance_input("onset_km", f.get("onset_km"), unit, false)) }
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
    let mut r = Reader::in_unit(state.unit);
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
            index_page(&state.csrf, state.unit, &f, None, &r.errors),
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
    let rules = crate::api::rules();
    let saved = with_journal(&state, |s| {
        Ok::<_, AppError>(knots_app::record::add(
            s,
            &knots_core::change::Record::Pain(report),
            rules,
        ))
    })?;
    match saved {
        Ok(_) => {}
        Err(knots_app::Error::Invalid(e)) => {
            return Ok(with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                index_page(&state.csrf, state.unit, &f, None, &[e]),
            ));
        }
        Err(other) => return Err(other.into()),
    }
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
    // Where to go back to goes into a Location header: checked before anything is written.
    let back = f.get("back").unwrap_or("");
    if !back.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::field("back", "not a query string"));
    }
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
    let rules = crate::api::rules();
    with_journal(&state, |s| {
        knots_app::record::add(s, &knots_core::change::Record::Finding(finding), rules)
    })?;
    Ok(Redirect::to(&format!("/?{back}#results")).into_response())
}
