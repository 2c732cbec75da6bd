//! The mother knot: the recorded knot that is most tender, reproduces the familiar symptom, and
//! whose tenderness tracks running pain over time (domain brief 1, "Key and satellite TrPs").
//!
//! Each knot (trigger point on a side) scores `peak tenderness / 10` + `1` if it ever reproduced
//! the symptom + `r` (when positive), where `r` is the Pearson correlation between its tenderness
//! and the worst pain of the nearest run within 3 days, computed when there are at least 3 such
//! pairs. Ties go to the trigger point id, so the choice is deterministic.
//!
//! A reading taken in a therapist session where the client guarded (relaxation at or below
//! [`GUARDED_RELAXATION`](super::GUARDED_RELAXATION)) weighs [`GUARDED_WEIGHT`](super::GUARDED_WEIGHT):
//! its tenderness counts at that share towards the peak, and at that weight in the correlation;
//! the evidence names those readings.

use super::days_between;
use crate::journal::{Journal, Side};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::collections::BTreeMap;

/// A knot's case for being the mother knot.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Candidate {
    /// The trigger point.
    pub trigger_point: String,
    /// The side.
    pub side: Side,
    /// The score (see the module docs).
    pub score: f64,
    /// Findings recorded.
    pub findings: usize,
    /// The highest tenderness (as recorded; the score counts guarded readings at their weight).
    pub peak_tenderness: u8,
    /// Readings taken while the client guarded (relaxation ≤ 3), which weigh less.
    pub guarded_readings: usize,
    /// The latest tenderness.
    pub latest_tenderness: u8,
    /// Findings in which it reproduced the symptom.
    pub reproduced: usize,
    /// Correlation of tenderness with running pain, when there are 3 pairs or more.
    pub tracking_r: Option<f64>,
    /// Pairs (finding, nearest run) behind `tracking_r`.
    pub pairs: usize,
    /// The evidence in words.
    pub evidence: Vec<String>,
}

/// Pearson correlation; `None` with fewer than 3 pairs or no spread.
pub fn pearson(xs: &[f64], ys: &[f64]) -> Option<f64> {
    let n = xs.len().min(ys.len());
    weighted_pearson(&xs[..n], &ys[..n], &vec![1.0; n])
}

/// Weighted Pearson correlation (weights `ws`, e.g. less for guarded readings); `None` with
/// fewer than 3 pairs, no spread or no weight.
///
/// # Examples
/// ```
/// use knots_core::analytics::mother::weighted_pearson;
/// let r = weighted_pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0], &[1.0, 0.5, 1.0]);
/// assert!((r.unwrap() - 1.0).abs() < 1e-12);
/// ```
pub fn weighted_pearson(xs: &[f64], ys: &[f64], ws: &[f64]) -> Option<f64> {
    let n = xs.len().min(ys.len()).min(ws.len());
    let wsum: f64 = ws[..n].iter().sum();
    if n < 3 || wsum <= 0.0 {
        return None;
    }
    let mx = (0..n).map(|i| ws[i] * xs[i]).sum::<f64>() / wsum;
    let my = (0..n).map(|i| ws[i] * ys[i]).sum::<f64>() / wsum;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        sxy += ws[i] * (xs[i] - mx) * (ys[i] - my);
        sxx += ws[i] * (xs[i] - mx).powi(2);
        syy += ws[i] * (ys[i] - my).powi(2);
    }
    (sxx > 1e-12 && syy > 1e-12).then(|| sxy / (sxx * syy).sqrt())
}

/// Every recorded knot scored, best first; the first is the mother knot.
pub fn candidates(journal: &Journal, tz: &TimeZone) -> Vec<Candidate> {
    let mut runs: Vec<(Date, f64)> = journal
        .runs
        .iter()
        .map(|r| {
            (
                r.item.date,
                f64::from(r.item.max_pain.map_or(0, |p| p.value())),
            )
        })
        .collect();
    runs.sort_by_key(|r| r.0);
    let nearest_run = |d: Date| -> Option<f64> {
        let i = runs.partition_point(|r| r.0 < d);
        [i.checked_sub(1), Some(i)]
            .into_iter()
            .flatten()
            .filter_map(|i| runs.get(i))
            .filter_map(|r| days_between(r.0, d).map(|g| (g.abs(), r.1)))
            .filter(|(g, _)| *g <= 3)
            .min_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, p)| p)
    };
    // (when, id, tenderness, reproduces, relaxation when guarded) per knot.
    type Palpations = Vec<(jiff::Timestamp, i64, u8, bool, Option<u8>)>;
    let mut by_knot: BTreeMap<(String, Side), Palpations> = BTreeMap::new();
    for f in &journal.findings {
        by_knot
            .entry((f.item.trigger_point.as_str().to_string(), f.item.side))
            .or_default()
            .push((
                f.item.at,
                f.id,
                f.item.tenderness.value(),
                f.item.reproduces,
                super::guarded(journal, f.item.session),
            ));
    }
    let mut out: Vec<Candidate> = by_knot
        .into_iter()
        .map(|((tp, side), mut fs)| {
            fs.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
            let weight = |f: &(jiff::Timestamp, i64, u8, bool, Option<u8>)| {
                if f.4.is_some() {
                    super::GUARDED_WEIGHT
                } else {
                    1.0
                }
            };
            let peak = fs.iter().map(|f| f.2).max().unwrap_or(0);
            let weighted_peak = fs
                .iter()
                .map(|f| weight(f) * f64::from(f.2))
                .fold(0.0, f64::max);
            let latest = fs.last().map_or(0, |f| f.2);
            let reproduced = fs.iter().filter(|f| f.3).count();
            let (mut xs, mut ys, mut ws) = (Vec::new(), Vec::new(), Vec::new());
            for f in &fs {
                if let Some(p) = nearest_run(f.0.to_zoned(tz.clone()).date()) {
                    xs.push(f64::from(f.2));
                    ys.push(p);
                    ws.push(weight(f));
                }
            }
            let r = weighted_pearson(&xs, &ys, &ws);
            let score = weighted_peak / 10.0
                + if reproduced > 0 { 1.0 } else { 0.0 }
                + r.map_or(0.0, |r| r.max(0.0));
            let mut evidence = vec![format!(
                "peak tenderness {peak}/10, latest {latest}/10 over {} finding(s)",
                fs.len()
            )];
            evidence.push(if reproduced > 0 {
                format!(
                    "reproduced the familiar pain in {reproduced} of {} findings",
                    fs.len()
                )
            } else {
                "never reproduced the familiar pain".into()
            });
            evidence.push(match r {
                Some(r) => format!(
                    "tenderness {} running pain (r = {r:.2} over {} finding/run pairs)",
                    if r >= 0.5 {
                        "tracks"
                    } else if r > 0.0 {
                        "loosely follows"
                    } else {
                        "does not track"
                    },
                    xs.len()
                ),
                None => format!(
                    "too little data to see whether tenderness tracks running pain ({} pair(s) \
                     with a run within 3 days, 3 needed)",
                    xs.len()
                ),
            });
            for f in fs.iter().filter(|f| f.4.is_some()) {
                evidence.push(format!(
                    "{}/10 on {} was taken while guarding (relaxation {}/10): guarding inflates \
                     tenderness, so it counts half",
                    f.2,
                    f.0.to_zoned(tz.clone()).date(),
                    f.4.unwrap_or(0)
                ));
            }
            Candidate {
                trigger_point: tp,
                side,
                score,
                findings: fs.len(),
                peak_tenderness: peak,
                guarded_readings: fs.iter().filter(|f| f.4.is_some()).count(),
                latest_tenderness: latest,
                reproduced,
                tracking_r: r,
                pairs: xs.len(),
                evidence,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.trigger_point.cmp(&b.trigger_point))
            .then_with(|| a.side.cmp(&b.side))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::tests::{finding, run};

    #[test]
    fn the_mother_knot_is_tender_reproducing_and_tracking() {
        // Knot A: peak 8, reproduces, tenderness 8, 6, 4 as run pain goes 6, 4, 2 (r = 1).
        // Knot B: peak 9 (more tender), never reproduces, tenderness flat at 9 (r undefined).
        // Scores: A = 0.8 + 1 + 1 = 2.8; B = 0.9 + 0 + 0 = 0.9.
        let j = Journal {
            runs: vec![
                run(1, "2026-02-01", 5.0, Some(1.0), 6),
                run(2, "2026-02-08", 5.0, Some(2.0), 4),
                run(3, "2026-02-15", 5.0, Some(3.0), 2),
            ],
            findings: vec![
                finding(1, "2026-02-02T10:00:00Z", "tensor_fasciae_latae", 8, true),
                finding(2, "2026-02-09T10:00:00Z", "tensor_fasciae_latae", 6, true),
                finding(3, "2026-02-16T10:00:00Z", "tensor_fasciae_latae", 4, false),
                finding(4, "2026-02-02T10:00:00Z", "gluteus_medius_middle", 9, false),
                finding(5, "2026-02-09T10:00:00Z", "gluteus_medius_middle", 9, false),
                finding(6, "2026-02-16T10:00:00Z", "gluteus_medius_middle", 9, false),
            ],
            ..Journal::default()
        };
        let c = candidates(&j, &TimeZone::UTC);
        assert_eq!(c[0].trigger_point, "tensor_fasciae_latae");
        assert!((c[0].tracking_r.unwrap() - 1.0).abs() < 1e-9);
        assert!((c[0].score - 2.8).abs() < 1e-9);
        assert!((c[1].score - 0.9).abs() < 1e-9);
        assert!(c[0].evidence[2].starts_with("tenderness tracks"));
    }

    #[test]
    fn guarded_readings_weigh_half_and_are_named() {
        // Knot B's 9 was taken in a session with relaxation 2: it counts as 4.5, so B scores
        // 0.45 (and is named in the evidence) while A, peak 6 unguarded, scores 0.6.
        let mut j = Journal {
            findings: vec![
                finding(1, "2026-02-02T10:00:00Z", "tensor_fasciae_latae", 6, false),
                finding(2, "2026-02-02T10:00:00Z", "gluteus_medius_middle", 9, false),
            ],
            sessions: vec![crate::journal::Entry {
                id: 7,
                item: crate::journal::Session {
                    at: "2026-02-02T10:00:00Z".parse().unwrap(),
                    therapist: None,
                    subjective: String::new(),
                    objective: String::new(),
                    assessment: String::new(),
                    plan: String::new(),
                    pressure_ceiling: crate::Nrs::new(7).unwrap(),
                    relaxation: Some(crate::Nrs::new(2).unwrap()),
                    minutes: None,
                },
            }],
            ..Journal::default()
        };
        j.findings[1].item.session = Some(7);
        let c = candidates(&j, &TimeZone::UTC);
        assert_eq!(c[0].trigger_point, "tensor_fasciae_latae");
        assert!((c[0].score - 0.6).abs() < 1e-9);
        assert!((c[1].score - 0.45).abs() < 1e-9);
        assert_eq!((c[1].peak_tenderness, c[1].guarded_readings), (9, 1));
        assert_eq!(
            c[1].evidence[3],
            "9/10 on 2026-02-02 was taken while guarding (relaxation 2/10): guarding inflates \
             tenderness, so it counts half"
        );
        // Relaxed (4/10): full weight again.
        j.sessions[0].item.relaxation = crate::Nrs::new(4).ok();
        assert_eq!(
            candidates(&j, &TimeZone::UTC)[0].trigger_point,
            "gluteus_medius_middle"
        );
    }
}
