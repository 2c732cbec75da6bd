//! The mother knot: the recorded knot that is most tender, reproduces the familiar symptom, and
//! whose tenderness tracks running pain over time (domain brief 1, "Key and satellite TrPs").
//!
//! Each knot (trigger point on a side) scores `peak tenderness / 10` + `1` if it ever reproduced
//! the symptom + `r` (when positive), where `r` is the Pearson correlation between its tenderness
//! and the worst pain of the nearest run within 3 days, computed when there are at least 3 such
//! pairs. Ties go to the trigger point id, so the choice is deterministic.

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
    /// The highest tenderness.
    pub peak_tenderness: u8,
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
    if n < 3 {
        return None;
    }
    let mx = xs[..n].iter().sum::<f64>() / n as f64;
    let my = ys[..n].iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs[..n].iter().zip(&ys[..n]) {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx).powi(2);
        syy += (y - my).powi(2);
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
    // (when, id, tenderness, reproduces) per knot.
    type Palpations = Vec<(jiff::Timestamp, i64, u8, bool)>;
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
            ));
    }
    let mut out: Vec<Candidate> = by_knot
        .into_iter()
        .map(|((tp, side), mut fs)| {
            fs.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
            let peak = fs.iter().map(|f| f.2).max().unwrap_or(0);
            let latest = fs.last().map_or(0, |f| f.2);
            let reproduced = fs.iter().filter(|f| f.3).count();
            let (mut xs, mut ys) = (Vec::new(), Vec::new());
            for f in &fs {
                if let Some(p) = nearest_run(f.0.to_zoned(tz.clone()).date()) {
                    xs.push(f64::from(f.2));
                    ys.push(p);
                }
            }
            let r = pearson(&xs, &ys);
            let score = f64::from(peak) / 10.0
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
            Candidate {
                trigger_point: tp,
                side,
                score,
                findings: fs.len(),
                peak_tenderness: peak,
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
}
