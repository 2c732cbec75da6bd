//! What works, n-of-1: per knot, tenderness before and after each kind of treatment; per kind of
//! treatment, the pain and pain-free distance of the runs that followed it against the runner's
//! other runs; effect sizes with a seeded percentile-bootstrap interval and the sample size; and
//! the rebound (tenderness or pain rising two to three days after a deep-tissue session, domain
//! brief 6).
//!
//! Everything here is association in one person's history, never proof of cause: treatments are
//! not randomised and pain falls with time anyway. The wording says so, and says "too little data"
//! below [`MIN_N`] observations.

use super::add_days;
use crate::atlas::Atlas;
use crate::journal::{Context, Journal, Side, TreatmentKind};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use std::collections::{BTreeMap, BTreeSet};

/// Fewest observations before knots says anything about an effect.
pub const MIN_N: usize = 5;
/// Days after a treatment in which a run counts as "following" it.
pub const FOLLOW_DAYS: i64 = 3;
/// Bootstrap resamples used by the report.
pub const RESAMPLES: usize = 1000;
/// How far back the analysis looks: what worked years ago says little about the body now, and
/// the window keeps the bootstrap's cost bounded on long histories.
pub const WINDOW_DAYS: i64 = 365;

/// A confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Interval {
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// Confidence level, e.g. 0.95.
    pub level: f64,
}

impl Interval {
    /// Whether the interval contains `x`.
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

fn sd(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let m = mean(xs);
    (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64).sqrt()
}

fn percentile_interval(mut stats: Vec<f64>, level: f64) -> Option<Interval> {
    if stats.is_empty() {
        return None;
    }
    stats.sort_by(f64::total_cmp);
    let r = stats.len();
    let alpha = (1.0 - level) / 2.0;
    let lo = ((alpha * r as f64).floor() as usize).min(r - 1);
    let hi = (((1.0 - alpha) * r as f64).ceil() as usize)
        .saturating_sub(1)
        .min(r - 1);
    Some(Interval {
        low: stats[lo],
        high: stats[hi],
        level,
    })
}

/// Percentile bootstrap interval for the mean of `xs`: `resamples` resamples with replacement,
/// drawn from a PCG-64 generator seeded with `seed` (the same seed gives the same interval).
/// `None` for an empty sample or no resamples.
///
/// # Examples
/// ```
/// use knots_core::analytics::works::bootstrap_mean;
/// let xs = [-2.0, -1.0, -3.0, -2.0, -1.0, -2.0];
/// let ci = bootstrap_mean(&xs, 1000, 0.95, 7).unwrap();
/// assert!(ci.high < 0.0);
/// assert_eq!(Some(ci), bootstrap_mean(&xs, 1000, 0.95, 7));
/// ```
pub fn bootstrap_mean(xs: &[f64], resamples: usize, level: f64, seed: u64) -> Option<Interval> {
    if xs.is_empty() || resamples == 0 {
        return None;
    }
    let mut rng = Pcg64::seed_from_u64(seed);
    let n = xs.len();
    let stats = (0..resamples)
        .map(|_| (0..n).map(|_| xs[rng.random_range(0..n)]).sum::<f64>() / n as f64)
        .collect();
    percentile_interval(stats, level)
}

/// Percentile bootstrap interval for `mean(a) − mean(b)`, resampling each group on its own.
/// `None` when a group is empty.
pub fn bootstrap_diff(
    a: &[f64],
    b: &[f64],
    resamples: usize,
    level: f64,
    seed: u64,
) -> Option<Interval> {
    if a.is_empty() || b.is_empty() || resamples == 0 {
        return None;
    }
    let mut rng = Pcg64::seed_from_u64(seed);
    let draw = |xs: &[f64], rng: &mut Pcg64| {
        (0..xs.len())
            .map(|_| xs[rng.random_range(0..xs.len())])
            .sum::<f64>()
            / xs.len() as f64
    };
    let stats = (0..resamples)
        .map(|_| draw(a, &mut rng) - draw(b, &mut rng))
        .collect();
    percentile_interval(stats, level)
}

/// An estimated change with how sure it is.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Effect {
    /// Observations with the treatment.
    pub n: usize,
    /// Observations to compare with (0 for a before/after change).
    pub n_baseline: usize,
    /// The change in the measure's unit (after − before, or with − without).
    pub estimate: Option<f64>,
    /// The change in standard deviations (Cohen's d), when defined.
    pub standardized: Option<f64>,
    /// 95% percentile-bootstrap interval, only with at least [`MIN_N`] observations.
    pub ci: Option<Interval>,
    /// The effect in words, never claiming more than the numbers.
    pub words: String,
}

fn words(what: &str, unit: &str, lower_is_better: bool, e: &Effect) -> String {
    let vs = if e.n_baseline > 0 {
        format!(" against {} other runs", e.n_baseline)
    } else {
        String::new()
    };
    let (Some(est), Some(ci)) = (e.estimate, e.ci) else {
        let need = if e.n < MIN_N {
            format!("n = {}, at least {MIN_N} needed", e.n)
        } else {
            format!("n = {}, but nothing to compare with", e.n)
        };
        return format!("{what}: too little data ({need}); nothing can be said yet");
    };
    let better = if lower_is_better {
        est < 0.0
    } else {
        est > 0.0
    };
    let range = format!("95% CI {:+.1} to {:+.1}, n = {}{vs}", ci.low, ci.high, e.n);
    if ci.contains(0.0) {
        format!(
            "{what}: no clear change ({est:+.1} {unit}; {range}); it may help, harm or do nothing"
        )
    } else {
        format!(
            "{what}: {} by {:.1} {unit} ({range}); this is what followed in your own history, \
             not proof it caused it",
            if better { "better" } else { "worse" },
            est.abs()
        )
    }
}

/// A before/after change (paired deltas), e.g. tenderness after − before.
pub fn change(deltas: &[f64], what: &str, unit: &str, seed: u64) -> Effect {
    let n = deltas.len();
    let enough = n >= MIN_N;
    let est = (n > 0).then(|| mean(deltas));
    let s = sd(deltas);
    let mut e = Effect {
        n,
        n_baseline: 0,
        estimate: est,
        standardized: est.filter(|_| s > 0.0).map(|m| m / s),
        ci: if enough {
            bootstrap_mean(deltas, RESAMPLES, 0.95, seed)
        } else {
            None
        },
        words: String::new(),
    };
    e.words = words(what, unit, true, &e);
    e
}

/// A difference between runs after a treatment and the runner's other runs.
pub fn difference(
    with: &[f64],
    without: &[f64],
    what: &str,
    unit: &str,
    lower_is_better: bool,
    seed: u64,
) -> Effect {
    let enough = with.len() >= MIN_N && without.len() >= MIN_N;
    let est = (!with.is_empty() && !without.is_empty()).then(|| mean(with) - mean(without));
    let pooled = {
        let (na, nb) = (with.len() as f64, without.len() as f64);
        let v =
            ((na - 1.0) * sd(with).powi(2) + (nb - 1.0) * sd(without).powi(2)) / (na + nb - 2.0);
        v.sqrt()
    };
    let mut e = Effect {
        n: with.len(),
        n_baseline: without.len(),
        estimate: est,
        standardized: est.filter(|_| pooled > 0.0).map(|d| d / pooled),
        ci: if enough {
            bootstrap_diff(with, without, RESAMPLES, 0.95, seed)
        } else {
            None
        },
        words: String::new(),
    };
    e.words = words(what, unit, lower_is_better, &e);
    e
}

/// Tenderness of one knot before and after one kind of treatment.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KnotEffect {
    /// The trigger point.
    pub trigger_point: String,
    /// The side.
    pub side: Side,
    /// The kind of treatment.
    pub kind: TreatmentKind,
    /// Mean tenderness before.
    pub before: f64,
    /// Mean tenderness after.
    pub after: f64,
    /// The change (after − before), 0-10 points.
    pub change: Effect,
}

/// What followed one kind of treatment on the next runs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KindEffect {
    /// The kind of treatment.
    pub kind: TreatmentKind,
    /// Days it was done.
    pub days: usize,
    /// Worst pain of runs within 3 days after, against other runs (points; lower is better).
    pub next_run_pain: Effect,
    /// Pain-free km of those runs against other runs (higher is better).
    pub pain_free_km: Effect,
}

/// Tenderness or pain rising two to three days after a deep-tissue session.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Rebound {
    /// The session's date.
    pub date: Date,
    /// What was treated.
    pub target: String,
    /// What rose, in words.
    pub what: String,
}

/// The what-works section.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WhatWorks {
    /// Per knot and kind of treatment.
    pub knots: Vec<KnotEffect>,
    /// Per kind of treatment.
    pub kinds: Vec<KindEffect>,
    /// Rebounds after deep work.
    pub rebounds: Vec<Rebound>,
    /// What the numbers can and cannot say.
    pub caveats: Vec<String>,
}

fn targets(target: &str, tp: &str, atlas: &Atlas) -> bool {
    target == tp
        || atlas
            .trigger_point(tp)
            .is_ok_and(|t| t.muscle.as_str() == target)
}

fn seed_for(seed: u64, k: u64) -> u64 {
    seed ^ k.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The daily worst pain from runs, check-ins and pain reports.
pub fn daily_pain(journal: &Journal, tz: &TimeZone) -> BTreeMap<Date, u8> {
    let mut m: BTreeMap<Date, u8> = BTreeMap::new();
    let mut put = |d: Date, v: u8| {
        let e = m.entry(d).or_insert(v);
        *e = (*e).max(v);
    };
    for r in &journal.runs {
        if let Some(p) = r.item.max_pain {
            put(r.item.date, p.value());
        }
        if let Some(p) = r.item.pain_next_morning {
            put(add_days(r.item.date, 1), p.value());
        }
    }
    for c in &journal.checkins {
        if let Some(p) = c.item.morning_pain {
            put(c.item.date, p.value());
        }
    }
    for p in &journal.pain_reports {
        if p.item.context != Context::Night {
            put(p.item.at.to_zoned(tz.clone()).date(), p.item.pain.value());
        }
    }
    m
}

/// The what-works section from `journal` as of `today` (local dates in `tz`), resampling with
/// `seed`.
pub fn report(
    journal: &Journal,
    today: Date,
    tz: &TimeZone,
    atlas: &Atlas,
    seed: u64,
) -> WhatWorks {
    let date_of = |t: jiff::Timestamp| t.to_zoned(tz.clone()).date();
    // Findings per knot, oldest first.
    let mut knots: KnotFindings = BTreeMap::new();
    for f in &journal.findings {
        knots
            .entry((f.item.trigger_point.as_str().to_string(), f.item.side))
            .or_default()
            .push((f.item.at, f.id, f64::from(f.item.tenderness.value())));
    }
    for v in knots.values_mut() {
        v.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    }
    let since = add_days(today, -WINDOW_DAYS);
    let week = 7 * 86_400;
    let mut pairs: BTreeMap<(String, Side, TreatmentKind), BTreeSet<(i64, i64)>> = BTreeMap::new();
    let mut values: BTreeMap<(i64, i64), (f64, f64)> = BTreeMap::new();
    for t in &journal.treatments {
        let Some(target) = &t.item.target else {
            continue;
        };
        if date_of(t.item.at) < since {
            continue;
        }
        for ((tp, side), fs) in &knots {
            if !targets(target, tp, atlas) || !t.item.side.applies_to(*side) {
                continue;
            }
            let at = t.item.at;
            let split = fs.partition_point(|f| f.0 <= at);
            let before = split.checked_sub(1).map(|i| fs[i]);
            let after = fs.get(split);
            if let (Some(b), Some(a)) = (before, after)
                && at.as_second() - b.0.as_second() <= week
                && a.0.as_second() - at.as_second() <= week
            {
                pairs
                    .entry((tp.clone(), *side, t.item.kind))
                    .or_default()
                    .insert((b.1, a.1));
                values.insert((b.1, a.1), (b.2, a.2));
            }
        }
    }
    let mut knot_effects = Vec::new();
    for (k, ((tp, side, kind), set)) in pairs.into_iter().enumerate() {
        let bv: Vec<(f64, f64)> = set.iter().filter_map(|p| values.get(p).copied()).collect();
        let deltas: Vec<f64> = bv.iter().map(|(b, a)| a - b).collect();
        let what = format!("{tp} ({side}) tenderness after {kind}");
        knot_effects.push(KnotEffect {
            before: mean(&bv.iter().map(|x| x.0).collect::<Vec<_>>()),
            after: mean(&bv.iter().map(|x| x.1).collect::<Vec<_>>()),
            change: change(&deltas, &what, "points", seed_for(seed, k as u64)),
            trigger_point: tp,
            side,
            kind,
        });
    }
    // Per kind: runs within FOLLOW_DAYS after a treatment day against the other runs, counted from
    // the first painful run (before it, every run is pain-free and says nothing).
    let mut days_by_kind: BTreeMap<TreatmentKind, BTreeSet<Date>> = BTreeMap::new();
    for t in journal
        .treatments
        .iter()
        .filter(|t| date_of(t.item.at) >= since)
    {
        days_by_kind
            .entry(t.item.kind)
            .or_default()
            .insert(date_of(t.item.at));
    }
    let pain_start = journal
        .runs
        .iter()
        .filter(|r| !r.item.is_pain_free())
        .map(|r| r.item.date)
        .min();
    let runs: Vec<_> = journal
        .runs
        .iter()
        .map(|r| &r.item)
        .filter(|r| r.date <= today && r.date >= since && pain_start.is_some_and(|s| r.date >= s))
        .collect();
    let mut kinds = Vec::new();
    for (k, (kind, days)) in days_by_kind.iter().enumerate() {
        let (mut pw, mut po, mut kw, mut ko) = (vec![], vec![], vec![], vec![]);
        for r in &runs {
            let after = days
                .range(add_days(r.date, -FOLLOW_DAYS)..r.date)
                .next()
                .is_some();
            let pain = f64::from(r.max_pain.map_or(0, |p| p.value()));
            let km = r.pain_free_km();
            if after {
                pw.push(pain);
                kw.push(km);
            } else {
                po.push(pain);
                ko.push(km);
            }
        }
        let s = seed_for(seed, 1000 + 2 * k as u64);
        kinds.push(KindEffect {
            kind: *kind,
            days: days.len(),
            next_run_pain: difference(
                &pw,
                &po,
                &format!("pain on runs after {kind}"),
                "points",
                true,
                s,
            ),
            pain_free_km: difference(
                &kw,
                &ko,
                &format!("pain-free distance after {kind}"),
                "km",
                false,
                s.wrapping_add(1),
            ),
        });
    }
    let rebounds = rebounds(journal, tz, atlas, &knots);
    WhatWorks {
        knots: knot_effects,
        kinds,
        rebounds,
        caveats: vec![
            "n-of-1: treatments were not randomised and pain often falls with time anyway; a \
             change after a treatment is an association, not proof it worked"
                .into(),
            format!(
                "intervals are 95% percentile-bootstrap intervals ({RESAMPLES} resamples, fixed \
                 seed); shown only with at least {MIN_N} observations; the last {WINDOW_DAYS} \
                 days count"
            ),
            "tenderness often drops after pressure work (a raised pressure-pain threshold); that \
             alone does not mean the running pain will"
                .into(),
        ],
    }
}

type KnotFindings = BTreeMap<(String, Side), Vec<(jiff::Timestamp, i64, f64)>>;

fn rebounds(journal: &Journal, tz: &TimeZone, atlas: &Atlas, knots: &KnotFindings) -> Vec<Rebound> {
    let pain = daily_pain(journal, tz);
    let mut out = Vec::new();
    let mut seen_days = BTreeSet::new();
    for t in journal
        .treatments
        .iter()
        .filter(|t| t.item.kind == TreatmentKind::DeepTissue)
    {
        let at = t.item.at;
        let day = at.to_zoned(tz.clone()).date();
        let target = t.item.target.clone().unwrap_or_default();
        for ((tp, side), fs) in knots {
            if !targets(&target, tp, atlas) || !t.item.side.applies_to(*side) {
                continue;
            }
            let reference = fs
                .iter()
                .rev()
                .find(|f| f.0 <= at && at.as_second() - f.0.as_second() <= 86_400)
                .map(|f| f.2);
            let later = fs
                .iter()
                .filter(|f| {
                    let dt = f.0.as_second() - at.as_second();
                    (36 * 3600..=96 * 3600).contains(&dt)
                })
                .map(|f| f.2)
                .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
            if let (Some(r), Some(l)) = (reference, later)
                && l > r
            {
                out.push(Rebound {
                    date: day,
                    target: tp.clone(),
                    what: format!(
                        "{tp} ({side}) tenderness rose from {r:.0}/10 to {l:.0}/10 two to \
                             three days after deep-tissue work: the common rebound (24-72 h \
                             soreness); re-check before judging the session"
                    ),
                });
            }
        }
        // Pain: the worst of days +2..+3 against the day before and the day of the session.
        if seen_days.insert(day) {
            let worst = |from: i64, to: i64| {
                pain.range(add_days(day, from)..=add_days(day, to))
                    .map(|(_, v)| *v)
                    .max()
            };
            if let (Some(r), Some(l)) = (worst(-1, 0), worst(2, 3))
                && l > r
            {
                out.push(Rebound {
                    date: day,
                    target,
                    what: format!(
                        "pain rose from {r}/10 to {l}/10 two to three days after deep-tissue \
                             work: the common rebound; judge the session after it settles"
                    ),
                });
            }
        }
    }
    out.sort_by(|a, b| a.date.cmp(&b.date).then(a.what.cmp(&b.what)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::tests::{finding, treatment};

    fn normal(rng: &mut Pcg64) -> f64 {
        // Box-Muller.
        let u1: f64 = rng.random_range(1e-12..1.0);
        let u2: f64 = rng.random_range(0.0..1.0);
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    #[test]
    fn bootstrap_is_reproducible_and_covers_a_known_effect() {
        // 200 simulated histories of 30 before/after changes with a true mean of −1.5 points and
        // SD 1: a 95% interval should contain −1.5 in about 95% of them (the percentile bootstrap
        // runs a little narrow at n = 30, so accept 88-99%).
        let mut sim = Pcg64::seed_from_u64(2024);
        let trials = 200;
        let mut covered = 0;
        for t in 0..trials {
            let xs: Vec<f64> = (0..30).map(|_| -1.5 + normal(&mut sim)).collect();
            let ci = bootstrap_mean(&xs, 1000, 0.95, t).unwrap();
            assert_eq!(Some(ci), bootstrap_mean(&xs, 1000, 0.95, t));
            if ci.contains(-1.5) {
                covered += 1;
            }
        }
        let rate = f64::from(covered) / f64::from(trials as u32);
        assert!((0.88..=0.99).contains(&rate), "coverage {rate}");
        // The difference of two means too: true difference −1.
        let mut covered = 0;
        for t in 0..100u64 {
            let a: Vec<f64> = (0..30).map(|_| 2.0 + normal(&mut sim)).collect();
            let b: Vec<f64> = (0..40).map(|_| 3.0 + normal(&mut sim)).collect();
            if bootstrap_diff(&a, &b, 1000, 0.95, t)
                .unwrap()
                .contains(-1.0)
            {
                covered += 1;
            }
        }
        assert!((86..=100).contains(&covered), "coverage {covered}/100");
    }

    #[test]
    fn wording_never_overclaims() {
        let few = change(&[-3.0, -2.0], "x", "points", 1);
        assert!(few.words.contains("too little data"), "{}", few.words);
        assert!(few.ci.is_none());
        let flat = change(&[-1.0, 1.0, 0.0, 1.0, -1.0, 0.0], "x", "points", 1);
        assert!(flat.words.contains("no clear change"), "{}", flat.words);
        let clear = change(&[-2.0, -3.0, -2.0, -1.0, -2.0, -3.0], "x", "points", 1);
        assert!(clear.words.contains("better by 2.2"), "{}", clear.words);
        assert!(clear.words.contains("not proof"));
    }

    #[test]
    fn the_rebound_two_days_after_deep_work_is_caught() {
        // Deep session on day 0 with tenderness 6 before; 4 right after... then 7 on day 2.
        let j = Journal {
            findings: vec![
                finding(
                    1,
                    "2026-04-01T10:00:00Z",
                    "vastus_lateralis_distal",
                    6,
                    true,
                ),
                finding(
                    2,
                    "2026-04-03T18:00:00Z",
                    "vastus_lateralis_distal",
                    7,
                    true,
                ),
                finding(
                    3,
                    "2026-04-06T18:00:00Z",
                    "vastus_lateralis_distal",
                    3,
                    false,
                ),
            ],
            treatments: vec![treatment(
                1,
                "2026-04-01T10:30:00Z",
                TreatmentKind::DeepTissue,
                "vastus_lateralis_distal",
            )],
            ..Journal::default()
        };
        let today = "2026-04-12".parse().unwrap();
        let w = report(&j, today, &TimeZone::UTC, Atlas::shipped(), 1);
        assert_eq!(w.rebounds.len(), 1);
        assert!(w.rebounds[0].what.contains("from 6/10 to 7/10"));
        // The same session without the day-2 rise: no rebound.
        let mut calm = j.clone();
        calm.findings.remove(1);
        let w = report(&calm, today, &TimeZone::UTC, Atlas::shipped(), 1);
        assert!(w.rebounds.is_empty());
        // A muscle target counts for its trigger points: one pair, too little data.
        let mut by_muscle = calm.clone();
        by_muscle.treatments[0].item.target = Some("vastus_lateralis".into());
        let w = report(&by_muscle, today, &TimeZone::UTC, Atlas::shipped(), 1);
        assert_eq!(w.knots.len(), 1);
        assert_eq!(w.knots[0].change.estimate, Some(-3.0));
        assert!(w.knots[0].change.words.contains("too little data"));
    }
}
