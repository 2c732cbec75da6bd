#![allow(clippy::unwrap_used)]
//! The full report (`knots_core::analytics::report`) over ten years of daily runs, each with pain
//! numbers, plus a daily pain report, daily self-treatment, a weekly finding on four knots and a
//! monthly deep-tissue session. The bar: under 100 ms of compute.
//!
//! `cargo bench -p knots-core --bench report`

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::civil::Date;
use jiff::{Span, Zoned};
use knots_core::analytics::{Options, report};
use knots_core::atlas::TriggerPointId;
use knots_core::journal::{
    By, Camber, Checkin, Context, Entry, Finding, Journal, PainReport, Run, Side, Surface,
    Treatment, TreatmentKind,
};
use knots_core::{Km, Nrs, Region};
use std::hint::black_box;

fn nrs(v: u64) -> Nrs {
    Nrs::new((v % 11) as u8).unwrap_or(Nrs::ZERO)
}

/// A deterministic ten-year journal ending on `today`.
fn ten_years(today: Date) -> Journal {
    let days = 3650;
    let start = today.checked_sub(Span::new().days(days - 1)).unwrap();
    let tz = jiff::tz::TimeZone::UTC;
    let mut j = Journal::default();
    let knots = [
        "vastus_lateralis_distal",
        "vastus_lateralis_mid",
        "tensor_fasciae_latae",
        "gluteus_minimus_anterior",
    ];
    // A cheap deterministic pseudo-random sequence (an LCG) so the history is not too regular.
    let mut x: u64 = 42;
    let mut next = || {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        x >> 33
    };
    for d in 0..days {
        let date = start.checked_add(Span::new().days(d)).unwrap();
        let at = |h: i8| {
            date.at(h, 0, 0, 0)
                .to_zoned(tz.clone())
                .unwrap()
                .timestamp()
        };
        let id = d + 1;
        let km = 4.0 + (next() % 120) as f64 / 10.0;
        let pain = next() % 7;
        j.runs.push(Entry {
            id,
            item: Run {
                date,
                km: Km::new(km).unwrap(),
                minutes: Some(km * 5.8),
                shoe: None,
                surface: Some(if d % 3 == 0 {
                    Surface::Trail
                } else {
                    Surface::Road
                }),
                camber: if d % 4 == 0 {
                    Camber::Left
                } else {
                    Camber::None
                },
                pain_onset_km: (pain > 2).then(|| Km::new(km / 2.0).unwrap()),
                max_pain: Some(nrs(pain)),
                pain_next_morning: Some(nrs(pain / 3)),
                rpe: Some(nrs(3 + next() % 5)),
                note: None,
            },
        });
        j.pain_reports.push(Entry {
            id,
            item: PainReport {
                at: at(19),
                regions: vec![Region::parse("lateral_knee").unwrap()],
                side: Side::Left,
                pain: nrs(pain),
                context: Context::DuringRun,
                onset_km: Some(Km::new(km / 2.0).unwrap()),
                red_flags: Vec::new(),
                note: None,
            },
        });
        let kinds = [
            TreatmentKind::Ball,
            TreatmentKind::FoamRoll,
            TreatmentKind::Stretch,
            TreatmentKind::Strength,
        ];
        j.treatments.push(Entry {
            id: j.treatments.len() as i64 + 1,
            item: Treatment {
                at: at(20),
                kind: kinds[(d % 4) as usize],
                target: Some(knots[(d % 4) as usize].into()),
                side: Side::Left,
                pressure: Some(nrs(5)),
                minutes: Some(3.0),
                by: By::SelfCare,
                session: None,
                note: None,
            },
        });
        if d % 30 == 0 {
            j.treatments.push(Entry {
                id: j.treatments.len() as i64 + 1,
                item: Treatment {
                    at: at(10),
                    kind: TreatmentKind::DeepTissue,
                    target: Some(knots[0].into()),
                    side: Side::Left,
                    pressure: Some(nrs(6)),
                    minutes: Some(20.0),
                    by: By::Therapist,
                    session: None,
                    note: None,
                },
            });
        }
        if d % 7 == 0 {
            for (k, tp) in knots.iter().enumerate() {
                j.findings.push(Entry {
                    id: j.findings.len() as i64 + 1,
                    item: Finding {
                        at: at(21),
                        trigger_point: TriggerPointId((*tp).into()),
                        side: Side::Left,
                        tenderness: nrs(pain + 3 - k as u64),
                        taut_band: true,
                        reproduces: k == 0,
                        ppt_kg_cm2: None,
                        session: None,
                        note: None,
                    },
                });
            }
        }
        j.checkins.push(Entry {
            id,
            item: Checkin {
                date,
                morning_pain: Some(nrs(pain / 2)),
                stiffness: None,
                water_l: None,
                potassium: None,
                sleep_h: None,
                note: None,
            },
        });
    }
    j
}

fn bench(c: &mut Criterion) {
    let now: Zoned = "2026-11-25T20:00[UTC]".parse().unwrap();
    let journal = ten_years(now.date());
    c.bench_function("report_10y_daily", |b| {
        b.iter(|| report(black_box(&journal), &now, Options::default()))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
