//! The recording forms (`GET /record`) and their one POST (`POST /record`): treatments, runs,
//! shoes, check-ins, findings, pain on a run, retiring a shoe, the profile.

use super::{
    distance_input, distance_value, field_error, layout, options, save, targets, with_status,
};
use crate::api::with_journal;
use crate::form::{Fields, Reader};
use crate::security::check_token;
use crate::{AppError, AppState};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use knots_app::Open;
use knots_app::record;
use knots_core::change::{Kind, Record};
use knots_core::journal::{
    By, Camber, Checkin, FieldError, Finding, Reaction, ReactionKind, Run, Shoe, Side, Surface,
    Treatment, TreatmentKind,
};
use knots_core::units::Unit;
use knots_core::{Atlas, Nrs, TriggerPointId};
use maud::{Markup, html};
use std::sync::Arc;

/// `GET /record`: forms for treatments, runs, shoes and check-ins.
pub async fn record<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let f = Fields::parse(raw.unwrap_or_default().as_bytes());
    let shoes = with_journal(&state, |s| s.shoes())?;
    Ok(record_page(&state.csrf, state.unit, &f, &shoes, &[]).into_response())
}

fn record_page(
    csrf: &str,
    unit: Unit,
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
    layout(
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
                    label { "Distance (" (unit) ") " (distance_input("km", None, unit, true)) } (err("run", "km"))
                    label { "Time (minutes, mm:ss or h:mm:ss) " input type="text" name="minutes" autocomplete="off"; } (err("run", "minutes"))
                    label { "Shoe " select name="shoe" { option value="" { "—" } @for s in shoes { option value=(s.id) { (s.item.name) } } } }
                    label { "Surface " select name="surface" { option value="" { "—" } (options(Surface::ALL, None)) } }
                    label { "Camber (road falls to) " select name="camber" { (options(Camber::ALL, Some(Camber::None))) } }
                    label { "Pain began after (" (unit) ") " (distance_input("pain_onset_km", None, unit, false)) } (err("run", "pain_onset_km"))
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
                    label { "Distance already on it (" (unit) ") " (distance_input("initial_km", Some("0"), unit, false)) } (err("shoe", "initial_km"))
                    label { "Replace after (" (unit) ") " (distance_input("limit_km", Some(&distance_value(700.0, unit)), unit, false)) } (err("shoe", "limit_km"))
                    button type="submit" { "Save shoe" }
                }
            }
            section {
                h2 { "Reaction after a treatment" }
                p { "Bruising, a burn from ice or heat, soreness for days after deep work: keep it, so the report can weigh it against any benefit." }
                form method="post" action="/record" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="kind" value="reaction";
                    label { "Reaction " select name="reaction_kind" { (options(ReactionKind::ALL, None)) } }
                    label { "How bad 0-10 " input type="number" name="severity" min="0" max="10" required; } (err("reaction", "severity"))
                    label { "Lasted, hours " input type="number" name="hours" min="0" max="720" step="1"; } (err("reaction", "hours"))
                    label { "After treatment id (see Timeline) " input type="number" name="treatment" min="1"; } (err("reaction", "treatment"))
                    label { "Note " input name="note"; } (err("reaction", "note"))
                    button type="submit" { "Save reaction" }
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
                    label { "Pain began after (" (unit) ") " (distance_input("pain_onset_km", None, unit, false)) } (err("run_pain", "pain_onset_km"))
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
    let mut r = Reader::in_unit(state.unit);
    let result: Result<Result<i64, Vec<FieldError>>, AppError> = match kind.as_str() {
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
                km: r.required_km(&f, "km").unwrap_or(knots_core::Km::ZERO),
                minutes: r.minutes(&f, "minutes"),
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
                initial_km: r.km(&f, "initial_km").map_or(0.0, knots_core::Km::value),
                limit_km: r.km(&f, "limit_km").map_or(700.0, knots_core::Km::value),
            };
            save(&state, r, |s, cx| record::add(s, &Record::Shoe(shoe), cx))
        }
        "reaction" => {
            let reaction = Reaction {
                at: jiff::Timestamp::now(),
                kind: r
                    .required(&f, "reaction_kind")
                    .unwrap_or(ReactionKind::Other),
                severity: r.nrs(&f, "severity", true).unwrap_or(Nrs::ZERO),
                hours: r.amount(&f, "hours"),
                treatment: r.optional(&f, "treatment"),
                note: f.get("note").filter(|n| !n.is_empty()).map(String::from),
            };
            save(&state, r, |s, cx| {
                record::add(s, &Record::Reaction(reaction), cx)
            })
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
    match result? {
        Ok(_) => Ok(Redirect::to(&format!("/record?saved={kind}")).into_response()),
        Err(errors) => {
            let shoes = with_journal(&state, |s| s.shoes())?;
            Ok(with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                record_page(&state.csrf, state.unit, &f, &shoes, &errors),
            ))
        }
    }
}
