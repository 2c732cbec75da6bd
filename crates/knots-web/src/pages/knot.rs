//! `GET /knots/{id}`: one trigger point — how to find it, its tenderness over time with the
//! treatments on it marked, and those findings and treatments with their edit and delete
//! controls. It reads that knot's findings and the treatments, not the whole journal.

use super::edit::controls;
use super::layout;
use crate::api::with_journal;
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use jiff::tz::TimeZone;
use knots_app::Open;
use knots_core::Atlas;
use knots_core::change::Kind;
use knots_core::journal::Side;
use knots_view::chart::{self, Chart, Kind as Draw, Marker, Series};
use maud::{Markup, html};
use std::sync::Arc;

/// `GET /knots/{id}`.
pub async fn knot<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    Path(id): Path<String>,
) -> Result<Markup, AppError> {
    let tp = Atlas::shipped()
        .trigger_point(&id)
        .map_err(|e| AppError::NotFound(e.to_string()))?;
    let (findings, treatments) = with_journal(&state, |s| {
        Ok::<_, knots_store::Error>((s.findings_of(tp.id.as_str())?, s.treatments()?))
    })?;
    let treatments: Vec<_> = treatments
        .into_iter()
        .filter(|t| {
            t.item.target.as_deref() == Some(tp.id.as_str())
                || t.item.target.as_deref() == Some(tp.muscle.as_str())
        })
        .collect();
    let tz = TimeZone::system();
    let day = |t: jiff::Timestamp| t.to_zoned(tz.clone()).date();
    let first = findings
        .iter()
        .map(|f| f.item.at)
        .chain(treatments.iter().map(|t| t.item.at))
        .min();
    let last = findings
        .iter()
        .map(|f| f.item.at)
        .chain(treatments.iter().map(|t| t.item.at))
        .max();
    let plot = match (first, last) {
        (Some(first), Some(last)) if !findings.is_empty() => {
            let (from, to) = (day(first), day(last));
            let x = |t: jiff::Timestamp| chart::offset(from, day(t));
            let series = Side::ALL
                .iter()
                .filter_map(|side| {
                    let points: Vec<_> = findings
                        .iter()
                        .filter(|f| f.item.side == *side)
                        .map(|f| (x(f.item.at), Some(f64::from(f.item.tenderness.value()))))
                        .collect();
                    (!points.is_empty()).then(|| Series {
                        name: format!("{side}"),
                        colour: if *side == Side::Right {
                            "#1f77b4"
                        } else {
                            "#b3261e"
                        }
                        .into(),
                        kind: Draw::Line,
                        points,
                        dash: if *side == Side::Right {
                            "5 3".into()
                        } else {
                            String::new()
                        },
                    })
                })
                .collect();
            Some(chart::render(&Chart {
                title: "Tenderness (0-10); marks: treatments".into(),
                y_label: "tenderness".into(),
                x_range: (-0.5, chart::offset(from, to) + 0.5),
                y_range: (0.0, 10.0),
                x_ticks: chart::date_ticks(from, to),
                y_ticks: vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0],
                series,
                markers: treatments
                    .iter()
                    .map(|t| Marker {
                        x: x(t.item.at),
                        label: format!("{} {}", day(t.item.at), t.item.kind),
                        colour: "#1b6e20".into(),
                    })
                    .collect(),
                bands: Vec::new(),
            }))
        }
        _ => None,
    };
    let back = format!("/knots/{}", tp.id);
    let when = |t: jiff::Timestamp| {
        t.to_zoned(tz.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    };
    Ok(layout(
        &tp.name,
        &state.csrf,
        html! {
            h1 { (tp.muscle) " — " (tp.name) }
            p { strong { "Find it: " } (tp.landmark) }
            p { strong { "Try: " } (tp.self_treatment) }
            p { strong { "Stretch: " } (tp.stretch) " " strong { "Strengthen: " } (tp.strengthen) }
            p { "Sources: " (tp.sources.join(", ")) }
            h2 { "Tenderness over time" }
            @match plot {
                Some(p) => { (p) }
                None => { p { "No finding recorded for this spot yet." } }
            }
            @if !findings.is_empty() {
                h3 { "Findings" }
                ul #findings {
                    @for f in findings.iter().rev() {
                        li {
                            (when(f.item.at)) " " (f.item.side) ": tenderness " (f.item.tenderness)
                            @if f.item.taut_band { ", taut band" }
                            @if f.item.reproduces { ", reproduces the symptom" }
                            @if let Some(n) = &f.item.note { " — " (n) }
                            " " (controls(Kind::Finding, f.id, &back))
                        }
                    }
                }
            }
            @if !treatments.is_empty() {
                h3 { "Treatments on this knot or its muscle" }
                ul #treatments {
                    @for t in treatments.iter().rev() {
                        li {
                            (when(t.item.at)) " " (t.item.kind) " " (t.item.side)
                            @if let Some(p) = t.item.pressure { ", pressure " (p) }
                            @if let Some(n) = &t.item.note { " — " (n) }
                            " " (controls(Kind::Treatment, t.id, &back))
                        }
                    }
                }
            }
        },
    ))
}
