//! `GET /runs/{id}`: one run — its numbers, where the pain began, and (for an imported run) its
//! heart rate, pace and altitude along the distance from the stored stream, drawn with the same
//! chart templates as the report. It reads that run, its activity and its shoe, not the whole
//! journal.

use super::edit::{controls, controls_to};
use super::layout;
use crate::api::with_journal;
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use knots_app::Open;
use knots_core::change::{Kind as Record, Record as Stored};
use knots_core::journal::{Activity, Run};
use knots_core::units::{self, Unit};
use knots_view::chart::{self as svg, Chart, Kind, Marker, Series};
use maud::{Markup, html};
use std::sync::Arc;

/// Pace between stream points at least this far apart (shorter gaps are noise).
const PACE_STEP_M: f64 = 200.0;

/// One chart along the distance; `points`, `max` and `onset` are in `unit`.
fn chart(
    title: &str,
    y_label: &str,
    points: Vec<(f64, Option<f64>)>,
    max: f64,
    onset: Option<f64>,
    unit: Unit,
) -> Option<Markup> {
    let ys: Vec<f64> = points.iter().filter_map(|p| p.1).collect();
    if ys.len() < 2 {
        return None;
    }
    let (lo, hi) = ys
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), y| (a.min(*y), b.max(*y)));
    let pad = ((hi - lo) * 0.1).max(1.0);
    let x_ticks = svg::nice_ticks(0.0, max)
        .into_iter()
        .map(|t| (t, format!("{t} {unit}")))
        .collect();
    Some(svg::render(&Chart {
        title: title.into(),
        y_label: y_label.into(),
        x_range: (0.0, max.max(0.1)),
        y_range: (lo - pad, hi + pad),
        x_ticks,
        y_ticks: svg::nice_ticks(lo - pad, hi + pad),
        series: vec![Series {
            name: title.into(),
            colour: "#b3261e".into(),
            kind: Kind::Line,
            points,
            dash: String::new(),
        }],
        markers: onset
            .map(|x| Marker {
                x,
                label: format!("pain began at {x:.1} {unit}"),
                colour: "#000".into(),
            })
            .into_iter()
            .collect(),
        bands: Vec::new(),
    }))
}

/// Pace in minutes per `unit` along the distance (in `unit`).
fn pace(a: &Activity, unit: Unit) -> Vec<(f64, Option<f64>)> {
    let per = unit.km();
    let mut out = Vec::new();
    let mut last: Option<(f64, f64)> = None;
    for p in &a.stream {
        let Some(d) = p.d else { continue };
        match last {
            Some((d0, t0)) if d - d0 >= PACE_STEP_M && p.t > t0 => {
                let units = (d - d0) / 1000.0 / per;
                out.push((d / 1000.0 / per, Some((p.t - t0) / 60.0 / units)));
                last = Some((d, p.t));
            }
            None => last = Some((d, p.t)),
            _ => {}
        }
    }
    out
}

fn charts(run: &Run, a: &Activity, unit: Unit) -> Vec<Markup> {
    let per = unit.km();
    let km = |p: &knots_core::journal::StreamPoint| p.d.map(|d| d / 1000.0 / per);
    let max_km = a.distance_m.map_or(run.km.value(), |d| d / 1000.0) / per;
    let onset = run.pain_onset_km.map(|k| k.value() / per);
    let hr: Vec<_> = a
        .stream
        .iter()
        .filter_map(|p| km(p).map(|x| (x, p.hr)))
        .collect();
    let alt: Vec<_> = a
        .stream
        .iter()
        .filter_map(|p| km(p).map(|x| (x, p.alt)))
        .collect();
    [
        chart("Heart rate (bpm)", "bpm", hr, max_km, onset, unit),
        chart(
            &format!("Pace (min/{unit})"),
            &format!("min/{unit}"),
            pace(a, unit),
            max_km,
            onset,
            unit,
        ),
        chart("Altitude (m)", "m", alt, max_km, onset, unit),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// `GET /runs/{id}`.
pub async fn page<S: Open>(
    State(state): State<Arc<AppState<S>>>,
    Path(id): Path<i64>,
) -> Result<Markup, AppError> {
    let (run, activity, shoe) = with_journal(&state, |s| {
        let Stored::Run(run) = s.record(Record::Run, id)? else {
            return Err(AppError::Internal(format!("run {id} is not a run")));
        };
        let shoe = match run.shoe {
            Some(shoe) => match s.record(Record::Shoe, shoe)? {
                Stored::Shoe(shoe) => Some(shoe),
                _ => None,
            },
            None => None,
        };
        Ok((run, s.activity_of_run(id)?, shoe))
    })?;
    let r = &run;
    let unit = state.unit;
    let dist = |km: f64| units::format_distance(km, unit);
    let back = format!("/runs/{id}");
    Ok(layout(
        &format!("Run {id}"),
        &state.csrf,
        html! {
            h1 { "Run of " (r.date) ": " (units::number(r.km.value() / unit.km(), 2)) " " (unit) }
            ul {
                @if let Some(m) = r.minutes {
                    li { "Time: " (units::format_minutes(m))
                        @if let Some(p) = units::format_pace(m, r.km.value(), unit) { " (" (p) ")" } }
                }
                li { "Pain: " @match r.pain_onset_km { Some(on) => { "began at " (dist(on.value())) } None => { "none recorded" } }
                    @if let Some(p) = r.max_pain { ", worst " (p) } @if let Some(p) = r.pain_next_morning { ", next morning " (p) } }
                @if let Some(s) = r.surface { li { "Surface: " (s) } }
                li { "Camber: " (r.camber) }
                @if let Some(s) = &shoe { li { "Shoe: " (s.name) } }
                @if let Some(a) = &activity {
                    li { "Imported from " code { (a.item.source) } " (" (a.item.sport) ")" }
                    @if let Some(hr) = a.item.avg_hr { li { "Heart rate: average " (format!("{hr:.0}")) @if let Some(m) = a.item.max_hr { ", max " (format!("{m:.0}")) } } }
                    @if let Some(c) = a.item.avg_cadence { li { "Cadence (device units): average " (format!("{c:.0}")) } }
                    @if let Some(up) = a.item.ascent_m { li { "Ascent: " (format!("{up:.0}")) " m" } }
                }
            }
            p { "This run: " (controls_to(Record::Run, id, &back, "/runs")) }
            @if let Some(a) = &activity {
                p { "Its imported activity" @if let Some(n) = &a.item.name { " “" (n) "”" } ": " (controls(Record::Activity, a.id, &back)) }
            }
            @match &activity {
                Some(a) => { @for c in charts(r, &a.item, unit) { div.chart { (c) } } }
                None => { p { "Entered by hand: no recorded stream to plot." } }
            }
        },
    ))
}
