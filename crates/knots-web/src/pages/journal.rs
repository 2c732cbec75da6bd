//! The journal's lists: the timeline (`GET /timeline`, every record in time order) and the runs
//! with the shoes (`GET /runs`), each line with its edit and delete controls.

use super::edit::controls;
use super::layout;
use crate::api::with_journal;
use crate::{AppError, AppState};
use axum::extract::{RawQuery, State};
use jiff::tz::TimeZone;
use knots_app::Open;
use knots_core::change::Kind;
use knots_core::summary;
use knots_core::units;
use knots_view::chart::{self, Chart, Kind as Draw, Series};
use maud::{Markup, html};
use std::sync::Arc;

/// `GET /timeline`: every record in time order, newest first.
pub async fn timeline<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    RawQuery(raw): RawQuery,
) -> Result<Markup, AppError> {
    let saved = crate::form::Fields::parse(raw.unwrap_or_default().as_bytes());
    let (journal, link, held) = with_journal(&state, |s| {
        Ok::<_, knots_store::Error>((s.journal()?, s.sync_link()?, s.home_programs()?))
    })?;
    let lines = summary::timeline(&journal, &TimeZone::system());
    Ok(layout(
        "Timeline",
        &state.csrf,
        html! {
            h1 { "Timeline" }
            (super::sync::line(link.as_ref(), &state.csrf))
            (super::sync::programs(&held, jiff::Zoned::now().date()))
            @if let Some(what) = saved.get("saved") { p.saved role="status" { "✓ Saved " (what) "." } }
            @if lines.is_empty() { p { "Nothing recorded yet." } }
            div.scroll { table #timeline {
                thead { tr { th { "When" } th { "What" } th { "Details" } th { span.sr { "Change" } } } }
                tbody {
                    @for l in lines.iter().rev() {
                        tr {
                            td { (l.when) } td { (l.kind) } td { (units::localize(&l.summary, state.unit)) }
                            td { @if let Ok(kind) = Kind::parse_any(l.kind) { (controls(kind, l.id, "/timeline")) } }
                        }
                    }
                }
            } }
        },
    ))
}

/// `GET /runs`: runs with where the pain began, as a chart and a table; then the shoes.
pub async fn runs<S: Open>(State(state): State<Arc<AppState<S>>>) -> Result<Markup, AppError> {
    let (runs, shoes) = with_journal(&state, |s| {
        Ok::<_, knots_store::Error>((s.runs()?, s.shoes()?))
    })?;
    let unit = state.unit;
    // Distances in the preferred unit.
    let d = |km: knots_core::Km| km.value() / unit.km();
    let plot = match (runs.first(), runs.last()) {
        (Some(first), Some(last)) => {
            let from = first.item.date;
            let x = |d| chart::offset(from, d);
            let max_km = runs.iter().map(|r| d(r.item.km)).fold(1.0, f64::max);
            let ticks = chart::nice_ticks(0.0, max_km);
            Some(chart::render(&Chart {
                title: "Distance of each run; dots: where the pain began".into(),
                y_label: unit.as_str().into(),
                x_range: (-0.5, x(last.item.date) + 0.5),
                y_range: (0.0, ticks.last().copied().unwrap_or(max_km)),
                x_ticks: chart::date_ticks(from, last.item.date),
                y_ticks: ticks,
                series: vec![
                    Series {
                        name: format!("run {unit}"),
                        colour: "#5a7fa5".into(),
                        kind: Draw::Bars,
                        points: runs
                            .iter()
                            .map(|r| (x(r.item.date), Some(d(r.item.km))))
                            .collect(),
                        dash: String::new(),
                    },
                    Series {
                        name: format!("pain began ({unit})"),
                        colour: "#b3261e".into(),
                        kind: Draw::Dots,
                        points: runs
                            .iter()
                            .filter_map(|r| {
                                r.item.pain_onset_km.map(|k| (x(r.item.date), Some(d(k))))
                            })
                            .collect(),
                        dash: String::new(),
                    },
                ],
                markers: Vec::new(),
                bands: Vec::new(),
            }))
        }
        _ => None,
    };
    Ok(layout(
        "Runs",
        &state.csrf,
        html! {
            h1 { "Runs" }
            @match plot {
                Some(p) => { (p) }
                None => { p { "No runs yet." } }
            }
            div.scroll { table #runs {
                thead { tr { th { "Date" } th { (unit) } th { "Pain began at" } th { "Worst pain" } th { "Next morning" } th { "Camber" } th { span.sr { "Change" } } } }
                tbody {
                    @for r in runs.iter().rev() {
                        tr {
                            td { a href=(format!("/runs/{}", r.id)) { (r.item.date) } } td { (units::number(d(r.item.km), 1)) }
                            td { (r.item.pain_onset_km.map(|k| units::format_distance(k.value(), unit)).unwrap_or_else(|| "pain-free".into())) }
                            td { (r.item.max_pain.map(|p| p.to_string()).unwrap_or_default()) }
                            td { (r.item.pain_next_morning.map(|p| p.to_string()).unwrap_or_default()) }
                            td { (r.item.camber) }
                            td { (controls(Kind::Run, r.id, "/runs")) }
                        }
                    }
                }
            } }
            h2 { "Shoes" }
            @if shoes.is_empty() { p { "No shoes recorded." } }
            ul #shoes {
                @for s in &shoes {
                    li {
                        (s.item.name) " — first worn " (s.item.started)
                        @if let Some(r) = s.item.retired { ", retired " (r) }
                        " " (controls(Kind::Shoe, s.id, "/runs"))
                    }
                }
            }
        },
    ))
}
