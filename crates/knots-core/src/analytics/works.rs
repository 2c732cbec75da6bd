//! What works, n-of-1: per knot, tenderness before and after each kind of treatment; per kind of
//! treatment and per check-in factor (water, potassium, sleep, the session's relaxation), the
//! pain and pain-free distance of the runs that followed it against untreated runs close in time;
//! effect sizes with a seeded percentile-bootstrap interval and the sample size; and the rebound
//! (tenderness or pain rising two to three days after a deep-tissue session, domain brief 6).
//! Reported adverse reactions (bruising, a burn, soreness) are set next to each kind's effect, and
//! one reported after deep work is part of its rebound: a treatment that helps but bruises says so.
//!
//! **Time.** Pain falls with time anyway, so a treated run is never compared with the runner's
//! runs at large: it is compared with the untreated runs just before and just after it (each within
//! [`MATCH_DAYS`]), their values interpolated to its date, which cancels a steady trend. A treated
//! run without untreated runs on both sides says nothing. A kind used only in the painful early
//! weeks thus finds nothing to compare with, and a real effect alternating with untreated days is
//! still seen.
//!
//! **Honesty rules.** Everything here is association in one person's history, never proof of
//! cause: treatments are not randomised. The wording says so; says "too little data" below
//! [`MIN_N`] comparisons; says "too little variation" when every comparison gave the same number (a
//! zero-width interval is not certainty); and reports together the factors that (almost) always
//! happen on the same days ([`KindEffect::confounded_with`]), since their effects cannot be told
//! apart. Readings taken in a session with relaxation at or below
//! [`GUARDED_RELAXATION`](super::GUARDED_RELAXATION) weigh half (guarding inflates tenderness).

use super::add_days;
use crate::atlas::Atlas;
use crate::journal::{
    Context, Entry, Journal, Reaction, ReactionKind, Side, Treatment, TreatmentKind,
};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use std::collections::{BTreeMap, BTreeSet};

/// Fewest observations before knots says anything about an effect.
pub const MIN_N: usize = 5;
/// Days after a treatment in which a run counts as "following" it: a run follows what was done
/// the day before (the same day's order is unknown: runs carry a date only). A therapist session's
/// relaxation counts for the runs of the 3 days after it.
pub const FOLLOW_DAYS: i64 = 1;
/// How far (days) the untreated runs a treated run is compared with may lie before and after it.
pub const MATCH_DAYS: i64 = 7;
/// Share of comparisons in which two factors agree, or of days they share, from which they are
/// reported together as confounded.
pub const CONFOUNDED: f64 = 0.8;
/// Check-in thresholds: water in litres on the day before a run, sleep in hours the night before.
pub const WATER_L: f64 = 2.0;
/// See [`WATER_L`].
pub const SLEEP_H: f64 = 7.0;
/// Hours after a treatment within which a reaction that names no treatment is taken to have
/// followed it (soreness after deep work lasts 24-72 h, domain brief 6).
pub const REACTION_HOURS: i64 = 72;
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

/// Percentile bootstrap interval for the weighted mean of `xs` (weights `ws`): the same resampling
/// as [`bootstrap_mean`], each resample's mean weighted. Equal weights give [`bootstrap_mean`]'s
/// interval.
///
/// # Examples
/// ```
/// use knots_core::analytics::works::{bootstrap_mean, bootstrap_weighted_mean};
/// let xs = [-2.0, -1.0, -3.0, -2.0, -1.0, -2.0];
/// let even = bootstrap_weighted_mean(&xs, &[1.0; 6], 1000, 0.95, 7);
/// assert_eq!(even, bootstrap_mean(&xs, 1000, 0.95, 7));
/// ```
pub fn bootstrap_weighted_mean(
    xs: &[f64],
    ws: &[f64],
    resamples: usize,
    level: f64,
    seed: u64,
) -> Option<Interval> {
    if xs.is_empty() || xs.len() != ws.len() || resamples == 0 {
        return None;
    }
    let mut rng = Pcg64::seed_from_u64(seed);
    let n = xs.len();
    let stats = (0..resamples)
        .map(|_| {
            let (mut sum, mut wsum) = (0.0, 0.0);
            for _ in 0..n {
                let i = rng.random_range(0..n);
                sum += xs[i] * ws[i];
                wsum += ws[i];
            }
            sum / wsum
        })
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

/// `v` with its sign and one decimal (`+1.2`, `-0.4`), and `0.0` for anything that rounds to
/// zero (never `-0.0`).
fn signed(v: f64) -> String {
    let text = format!("{v:+.1}");
    if text == "+0.0" || text == "-0.0" {
        "0.0".to_string()
    } else {
        text
    }
}

/// What an [`Effect`] compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Basis {
    /// Paired before/after changes.
    BeforeAfter,
    /// Treated runs against the untreated runs close in time.
    Matched,
}

fn words(what: &str, unit: &str, lower_is_better: bool, e: &Effect, basis: Basis) -> String {
    let vs = match basis {
        Basis::BeforeAfter => String::new(),
        Basis::Matched => format!(
            " against {} untreated run(s) within {MATCH_DAYS} days before and after",
            e.n_baseline
        ),
    };
    let (Some(est), Some(ci)) = (e.estimate, e.ci) else {
        let need = match basis {
            Basis::BeforeAfter => format!("n = {}, at least {MIN_N} needed", e.n),
            Basis::Matched => format!(
                "n = {} run(s) with an untreated run within {MATCH_DAYS} days on both sides, at \
                 least {MIN_N} needed",
                e.n
            ),
        };
        return format!("{what}: too little data ({need}); nothing can be said yet");
    };
    if ci.high - ci.low < 1e-9 {
        return format!(
            "{what}: too little variation (every comparison gave {} {unit}, n = {}{vs}); a \
             zero-width interval is not certainty, nothing can be said yet",
            signed(est),
            e.n
        );
    }
    let better = if lower_is_better {
        est < 0.0
    } else {
        est > 0.0
    };
    let range = format!(
        "95% CI {} to {}, n = {}{vs}",
        signed(ci.low),
        signed(ci.high),
        e.n
    );
    if ci.contains(0.0) {
        format!(
            "{what}: no clear change ({} {unit}; {range}); it may help, harm or do nothing",
            signed(est)
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
    change_weighted(deltas, &vec![1.0; deltas.len()], what, unit, seed)
}

/// A before/after change with a weight per delta (readings taken while guarding weigh less).
pub fn change_weighted(
    deltas: &[f64],
    weights: &[f64],
    what: &str,
    unit: &str,
    seed: u64,
) -> Effect {
    let n = deltas.len();
    let enough = n >= MIN_N;
    let wsum: f64 = weights.iter().sum();
    let est = (n > 0 && wsum > 0.0)
        .then(|| deltas.iter().zip(weights).map(|(d, w)| d * w).sum::<f64>() / wsum);
    let s = sd(deltas);
    let mut e = Effect {
        n,
        n_baseline: 0,
        estimate: est,
        standardized: est.filter(|_| s > 0.0).map(|m| m / s),
        ci: if enough {
            bootstrap_weighted_mean(deltas, weights, RESAMPLES, 0.95, seed)
        } else {
            None
        },
        words: String::new(),
    };
    e.words = words(what, unit, true, &e, Basis::BeforeAfter);
    e
}

/// A difference between treated runs and the untreated runs close in time: `diffs` holds, per
/// treated run, its value minus the interpolated value of the untreated runs around it;
/// `controls` is the number of distinct untreated runs used.
pub fn matched(
    diffs: &[f64],
    controls: usize,
    what: &str,
    unit: &str,
    lower_is_better: bool,
    seed: u64,
) -> Effect {
    let n = diffs.len();
    let est = (n > 0).then(|| mean(diffs));
    let s = sd(diffs);
    let mut e = Effect {
        n,
        n_baseline: controls,
        estimate: est,
        standardized: est.filter(|_| s > 0.0).map(|m| m / s),
        ci: if n >= MIN_N {
            bootstrap_mean(diffs, RESAMPLES, 0.95, seed)
        } else {
            None
        },
        words: String::new(),
    };
    e.words = words(what, unit, lower_is_better, &e, Basis::Matched);
    e
}

/// The time-matched comparison of one factor over runs sorted by date: per treated run (exposure
/// `Some(true)`) with an untreated run (`Some(false)`) within [`MATCH_DAYS`] before *and* after
/// it, its value minus the untreated values interpolated linearly to its date. Returns the
/// differences, the treated and untreated run indices used, and the number of distinct controls.
fn compare(dates: &[Date], exposure: &[Option<bool>], ys: &[f64]) -> (Vec<f64>, Vec<usize>, usize) {
    let gap = |a: Date, b: Date| super::days_between(a, b).unwrap_or(i64::MAX);
    let mut diffs = Vec::new();
    let mut used = BTreeSet::new();
    let mut controls = BTreeSet::new();
    for i in (0..dates.len()).filter(|i| exposure[*i] == Some(true)) {
        let before = (0..i)
            .rev()
            .take_while(|j| gap(dates[*j], dates[i]) <= MATCH_DAYS)
            .find(|j| exposure[*j] == Some(false));
        let after = (i + 1..dates.len())
            .take_while(|k| gap(dates[i], dates[*k]) <= MATCH_DAYS)
            .find(|k| exposure[*k] == Some(false));
        let (Some(j), Some(k)) = (before, after) else {
            continue;
        };
        let (dj, dk) = (
            gap(dates[j], dates[i]) as f64,
            gap(dates[i], dates[k]) as f64,
        );
        let base = if dj + dk > 0.0 {
            ys[j] + (ys[k] - ys[j]) * dj / (dj + dk)
        } else {
            (ys[j] + ys[k]) / 2.0
        };
        diffs.push(ys[i] - base);
        used.extend([i, j, k]);
        controls.extend([j, k]);
    }
    (diffs, used.into_iter().collect(), controls.len())
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
    /// Mean tenderness after, less the knot's own trend over the same time (when it has one).
    pub after: f64,
    /// The change (after − before), 0-10 points; pairs with a reading taken while guarding weigh
    /// half.
    pub change: Effect,
    /// Readings behind `change` taken in sessions where the client guarded (relaxation ≤ 3).
    pub guarded_readings: usize,
}

/// What followed one kind of treatment on the next runs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KindEffect {
    /// The kind of treatment.
    pub kind: TreatmentKind,
    /// Days it was done.
    pub days: usize,
    /// Worst pain of runs the day after, against untreated runs close in time (points; lower is
    /// better).
    pub next_run_pain: Effect,
    /// Pain-free km of those runs against untreated runs close in time (higher is better).
    pub pain_free_km: Effect,
    /// The other kinds and factors (by name) that (almost) always happen on the same days: their
    /// effects cannot be told apart from this one's.
    pub confounded_with: Vec<String>,
    /// The adverse reactions reported after it (also named in `next_run_pain`'s words).
    pub reactions: Reactions,
}

/// The adverse reactions reported after one kind of treatment.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Reactions {
    /// How many.
    pub count: usize,
    /// How many of each kind, in vocabulary order.
    pub by_kind: Vec<(ReactionKind, usize)>,
    /// The worst severity, 0-10.
    pub worst: Option<u8>,
}

impl Reactions {
    /// The tally in words, e.g. "2 reactions reported after it: bruising ×1, soreness ×1
    /// (worst 6/10)"; `None` when there were none.
    pub fn words(&self) -> Option<String> {
        if self.count == 0 {
            return None;
        }
        let kinds: Vec<String> = self
            .by_kind
            .iter()
            .map(|(k, n)| format!("{k} ×{n}"))
            .collect();
        Some(format!(
            "{} reaction{} reported after it: {} (worst {}/10)",
            self.count,
            if self.count == 1 { "" } else { "s" },
            kinds.join(", "),
            self.worst.unwrap_or(0)
        ))
    }
}

/// The treatment a reaction followed: the one it names, else the latest treatment at most
/// [`REACTION_HOURS`] before it (ties to the higher id).
pub fn followed<'a>(journal: &'a Journal, reaction: &Reaction) -> Option<&'a Entry<Treatment>> {
    match reaction.treatment {
        Some(id) => journal.treatments.iter().find(|t| t.id == id),
        None => journal
            .treatments
            .iter()
            .filter(|t| {
                let dt = reaction.at.as_second() - t.item.at.as_second();
                (0..=REACTION_HOURS * 3600).contains(&dt)
            })
            .max_by(|a, b| a.item.at.cmp(&b.item.at).then(a.id.cmp(&b.id))),
    }
}

/// What followed a check-in or session factor on the next runs, under the same rules as
/// [`KindEffect`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FactorEffect {
    /// The factor's name: `water`, `potassium`, `sleep` or `relaxation`.
    pub factor: &'static str,
    /// What counts as "with" it, in words (e.g. "2 L of water or more the day before").
    pub with: String,
    /// Days it was present.
    pub days: usize,
    /// Worst pain of runs with it, against runs without it close in time (lower is better).
    pub next_run_pain: Effect,
    /// Pain-free km of those runs against runs without it close in time (higher is better).
    pub pain_free_km: Effect,
    /// The kinds and factors that (almost) always happen on the same days.
    pub confounded_with: Vec<String>,
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
    /// Per check-in or session factor (water, potassium, sleep, relaxation).
    pub factors: Vec<FactorEffect>,
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

/// The daily worst pain of two kinds that are never mixed: pain during or after runs, and pain
/// on getting up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DailyPain {
    /// Worst run pain per day: runs' worst pain and during/after-run pain reports.
    pub run: BTreeMap<Date, u8>,
    /// Worst morning pain per day: check-ins, runs' next-morning pain (on the next day) and
    /// morning pain reports.
    pub morning: BTreeMap<Date, u8>,
}

/// The daily worst run pain and morning pain from runs, check-ins and pain reports.
pub fn daily_pain(journal: &Journal, tz: &TimeZone) -> DailyPain {
    let mut out = DailyPain::default();
    let put = |m: &mut BTreeMap<Date, u8>, d: Date, v: u8| {
        let e = m.entry(d).or_insert(v);
        *e = (*e).max(v);
    };
    for r in &journal.runs {
        if let Some(p) = r.item.max_pain {
            put(&mut out.run, r.item.date, p.value());
        }
        if let Some(p) = r.item.pain_next_morning {
            put(&mut out.morning, add_days(r.item.date, 1), p.value());
        }
    }
    for c in &journal.checkins {
        if let Some(p) = c.item.morning_pain {
            put(&mut out.morning, c.item.date, p.value());
        }
    }
    for p in &journal.pain_reports {
        let d = p.item.at.to_zoned(tz.clone()).date();
        match p.item.context {
            Context::DuringRun | Context::AfterRun => put(&mut out.run, d, p.item.pain.value()),
            Context::Morning => put(&mut out.morning, d, p.item.pain.value()),
            Context::Rest | Context::Night => {}
        }
    }
    out
}

/// One candidate factor: its name, the days it was present and, per analysed run, whether the run
/// followed it (`None`: unknown, e.g. no check-in that day).
struct Candidate {
    name: String,
    days: BTreeSet<Date>,
    exposure: Vec<Option<bool>>,
}

/// Jaccard overlap of two day sets.
fn shared_days(a: &BTreeSet<Date>, b: &BTreeSet<Date>) -> f64 {
    let both = a.intersection(b).count();
    let either = a.len() + b.len() - both;
    if either == 0 {
        0.0
    } else {
        both as f64 / either as f64
    }
}

/// For each candidate, the others it cannot be told apart from: they share at least
/// [`CONFOUNDED`] of their days, or agree on at least that share of the runs in one of the two
/// comparisons (`used`: the runs each comparison used). Symmetric.
fn confounding(cands: &[Candidate], used: &[Vec<usize>]) -> Vec<Vec<String>> {
    let agrees = |a: usize, b: usize| {
        let runs = &used[a];
        let same = runs
            .iter()
            .filter(|i| {
                cands[b].exposure[**i].is_some() && cands[b].exposure[**i] == cands[a].exposure[**i]
            })
            .count();
        runs.len() >= 2 && same as f64 >= CONFOUNDED * runs.len() as f64
    };
    (0..cands.len())
        .map(|a| {
            (0..cands.len())
                .filter(|b| *b != a)
                .filter(|b| {
                    shared_days(&cands[a].days, &cands[*b].days) >= CONFOUNDED
                        || agrees(a, *b)
                        || agrees(*b, a)
                })
                .map(|b| cands[b].name.clone())
                .collect()
        })
        .collect()
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
    // Findings per knot, oldest first, with their weight (guarded readings weigh less).
    let mut knots: KnotFindings = BTreeMap::new();
    for f in &journal.findings {
        let w = if super::guarded(journal, f.item.session).is_some() {
            super::GUARDED_WEIGHT
        } else {
            1.0
        };
        knots
            .entry((f.item.trigger_point.as_str().to_string(), f.item.side))
            .or_default()
            .push((f.item.at, f.id, f64::from(f.item.tenderness.value()), w));
    }
    for v in knots.values_mut() {
        v.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    }
    // Each knot's own trend (points per day) over its readings, when there are at least 3 spanning
    // a week: a before/after change counts only beyond it, so a knot softening anyway is not
    // credited to what was done in between.
    let days_of = |t: jiff::Timestamp| t.as_second() as f64 / 86_400.0;
    let trends: BTreeMap<(String, Side), f64> = knots
        .iter()
        .filter_map(|(k, fs)| {
            let xs: Vec<f64> = fs.iter().map(|f| days_of(f.0)).collect();
            let ys: Vec<f64> = fs.iter().map(|f| f.2).collect();
            let span = xs.last()? - xs.first()?;
            (fs.len() >= 3 && span >= 7.0)
                .then(|| super::pain_free::slope(&xs, &ys))
                .flatten()
                .map(|s| (k.clone(), s))
        })
        .collect();
    let since = add_days(today, -WINDOW_DAYS);
    let week = 7 * 86_400;
    let mut pairs: BTreeMap<(String, Side, TreatmentKind), BTreeSet<(i64, i64)>> = BTreeMap::new();
    let mut values: BTreeMap<(i64, i64), (f64, f64, f64, usize)> = BTreeMap::new();
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
                let guarded = usize::from(b.3 < 1.0) + usize::from(a.3 < 1.0);
                let drift = trends
                    .get(&(tp.clone(), *side))
                    .map_or(0.0, |s| s * (days_of(a.0) - days_of(b.0)));
                values.insert((b.1, a.1), (b.2, a.2 - drift, b.3.min(a.3), guarded));
            }
        }
    }
    let mut knot_effects = Vec::new();
    for (k, ((tp, side, kind), set)) in pairs.into_iter().enumerate() {
        let bv: Vec<_> = set.iter().filter_map(|p| values.get(p).copied()).collect();
        let deltas: Vec<f64> = bv.iter().map(|(b, a, _, _)| a - b).collect();
        let weights: Vec<f64> = bv.iter().map(|x| x.2).collect();
        let wsum: f64 = weights.iter().sum();
        let wmean = |f: fn(&(f64, f64, f64, usize)) -> f64| {
            bv.iter().map(|x| f(x) * x.2).sum::<f64>() / wsum
        };
        let guarded_readings = bv.iter().map(|x| x.3).sum();
        let mut what = format!("{tp} ({side}) tenderness after {kind}");
        if let Some(t) = trends.get(&(tp.clone(), side)) {
            what.push_str(&format!(
                " beyond the knot's own trend ({} points a week)",
                signed(t * 7.0)
            ));
        }
        if guarded_readings > 0 {
            what.push_str(&format!(
                " ({guarded_readings} reading(s) taken while guarding, relaxation ≤ {}/10, count \
                 half)",
                super::GUARDED_RELAXATION
            ));
        }
        knot_effects.push(KnotEffect {
            before: wmean(|x| x.0),
            after: wmean(|x| x.1),
            change: change_weighted(&deltas, &weights, &what, "points", seed_for(seed, k as u64)),
            guarded_readings,
            trigger_point: tp,
            side,
            kind,
        });
    }
    // Runs from the first painful one (before it, every run is pain-free and says nothing), by
    // date.
    let pain_start = journal
        .runs
        .iter()
        .filter(|r| !r.item.is_pain_free())
        .map(|r| r.item.date)
        .min();
    let mut runs: Vec<_> = journal
        .runs
        .iter()
        .map(|r| &r.item)
        .filter(|r| r.date <= today && r.date >= since && pain_start.is_some_and(|s| r.date >= s))
        .collect();
    runs.sort_by_key(|r| r.date);
    let dates: Vec<Date> = runs.iter().map(|r| r.date).collect();
    let pain: Vec<f64> = runs
        .iter()
        .map(|r| f64::from(r.max_pain.map_or(0, |p| p.value())))
        .collect();
    let km: Vec<f64> = runs.iter().map(|r| r.pain_free_km()).collect();
    let day_before = |d: Date| add_days(d, -FOLLOW_DAYS);
    // The candidates: every kind of treatment, then the check-in and session factors.
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
    let mut cands: Vec<Candidate> = days_by_kind
        .iter()
        .map(|(kind, days)| Candidate {
            name: kind.as_str().to_string(),
            exposure: dates
                .iter()
                .map(|d| Some(days.contains(&day_before(*d))))
                .collect(),
            days: days.clone(),
        })
        .collect();
    let kinds_n = cands.len();
    let checkins: BTreeMap<Date, &crate::journal::Checkin> = journal
        .checkins
        .iter()
        .map(|c| (c.item.date, &c.item))
        .collect();
    type Rule = fn(&crate::journal::Checkin) -> Option<bool>;
    let checkin_factors: [(&'static str, String, i64, Rule); 3] = [
        (
            "water",
            format!("{WATER_L} L of water or more the day before"),
            FOLLOW_DAYS,
            |c| c.water_l.map(|w| w >= WATER_L),
        ),
        (
            "potassium",
            "potassium-rich food the day before".into(),
            FOLLOW_DAYS,
            |c| c.potassium,
        ),
        (
            "sleep",
            format!("{SLEEP_H} h of sleep or more the night before (that day's check-in)"),
            0,
            |c| c.sleep_h.map(|h| h >= SLEEP_H),
        ),
    ];
    let mut factor_meta = Vec::new();
    for (name, with, lag, rule) in checkin_factors {
        cands.push(Candidate {
            name: name.to_string(),
            days: checkins
                .iter()
                .filter(|(d, c)| *d >= &since && rule(c) == Some(true))
                .map(|(d, _)| *d)
                .collect(),
            exposure: dates
                .iter()
                .map(|d| checkins.get(&add_days(*d, -lag)).and_then(|c| rule(c)))
                .collect(),
        });
        factor_meta.push((name, with));
    }
    // Relaxation: the latest therapist session within 3 days before the run, relaxed (above the
    // guarding level) or not.
    let sessions: BTreeMap<Date, u8> = journal
        .sessions
        .iter()
        .filter_map(|s| Some((date_of(s.item.at), s.item.relaxation?.value())))
        .collect();
    cands.push(Candidate {
        name: "relaxation".into(),
        days: sessions
            .iter()
            .filter(|(d, r)| **d >= since && **r > super::GUARDED_RELAXATION)
            .map(|(d, _)| *d)
            .collect(),
        exposure: dates
            .iter()
            .map(|d| {
                sessions
                    .range(add_days(*d, -3)..*d)
                    .next_back()
                    .map(|(_, r)| *r > super::GUARDED_RELAXATION)
            })
            .collect(),
    });
    factor_meta.push((
        "relaxation",
        format!(
            "a therapist session within 3 days before in which the client relaxed (above {}/10)",
            super::GUARDED_RELAXATION
        ),
    ));
    let compared: Vec<_> = cands
        .iter()
        .map(|c| {
            (
                compare(&dates, &c.exposure, &pain),
                compare(&dates, &c.exposure, &km),
            )
        })
        .collect();
    let used: Vec<Vec<usize>> = compared.iter().map(|(p, _)| p.1.clone()).collect();
    let together = confounding(&cands, &used);
    let mut effects = cands
        .iter()
        .zip(&compared)
        .zip(together)
        .enumerate()
        .map(|(k, ((c, (p, d)), others))| {
            let s = seed_for(seed, 1000 + 2 * k as u64);
            let runs = match k.checked_sub(kinds_n) {
                None => format!("runs after {}", c.name),
                Some(f) => format!("runs with {}", factor_meta[f].1),
            };
            let mut pain = matched(&p.0, p.2, &format!("pain on {runs}"), "points", true, s);
            let mut km = matched(
                &d.0,
                d.2,
                &format!("pain-free distance on {runs}"),
                "km",
                false,
                s.wrapping_add(1),
            );
            if !others.is_empty() {
                let note = format!(
                    " [reported together with {}: they (almost) always happen on the same days, \
                     so their effects cannot be told apart]",
                    others.join(", ")
                );
                pain.words.push_str(&note);
                km.words.push_str(&note);
            }
            (c.days.len(), pain, km, others)
        })
        .collect::<Vec<_>>()
        .into_iter();
    let mut tallies: BTreeMap<TreatmentKind, BTreeMap<ReactionKind, (usize, u8)>> = BTreeMap::new();
    for r in journal
        .reactions
        .iter()
        .filter(|r| date_of(r.item.at) >= since)
    {
        if let Some(t) = followed(journal, &r.item) {
            let slot = tallies
                .entry(t.item.kind)
                .or_default()
                .entry(r.item.kind)
                .or_default();
            slot.0 += 1;
            slot.1 = slot.1.max(r.item.severity.value());
        }
    }
    let kinds = days_by_kind
        .keys()
        .zip(effects.by_ref())
        .map(
            |(kind, (days, mut next_run_pain, pain_free_km, confounded_with))| {
                let tally = tallies.get(kind);
                let reactions = Reactions {
                    count: tally.map_or(0, |t| t.values().map(|v| v.0).sum()),
                    by_kind: tally
                        .map(|t| t.iter().map(|(k, v)| (*k, v.0)).collect())
                        .unwrap_or_default(),
                    worst: tally.and_then(|t| t.values().map(|v| v.1).max()),
                };
                if let Some(words) = reactions.words() {
                    next_run_pain.words.push_str(&format!(
                        " [{kind}: {words}; weigh them against any benefit]"
                    ));
                }
                KindEffect {
                    kind: *kind,
                    days,
                    next_run_pain,
                    pain_free_km,
                    confounded_with,
                    reactions,
                }
            },
        )
        .collect();
    let factors = factor_meta
        .into_iter()
        .zip(effects)
        .map(
            |((factor, with), (days, next_run_pain, pain_free_km, confounded_with))| FactorEffect {
                factor,
                with,
                days,
                next_run_pain,
                pain_free_km,
                confounded_with,
            },
        )
        .collect();
    let rebounds = rebounds(journal, tz, atlas, &knots);
    WhatWorks {
        knots: knot_effects,
        kinds,
        factors,
        rebounds,
        caveats: vec![
            "n-of-1: treatments were not randomised; a change after a treatment is an \
             association, not proof it worked"
                .into(),
            format!(
                "pain often falls with time anyway: each run after a treatment is compared with \
                 the untreated runs within {MATCH_DAYS} days before and after it, so a steady \
                 trend cancels; a treatment used only while pain was falling has nothing to be \
                 compared with"
            ),
            format!(
                "intervals are 95% percentile-bootstrap intervals ({RESAMPLES} resamples, fixed \
                 seed); shown only with at least {MIN_N} comparisons; the last {WINDOW_DAYS} \
                 days count"
            ),
            "tenderness often drops after pressure work (a raised pressure-pain threshold); that \
             alone does not mean the running pain will"
                .into(),
            format!(
                "readings taken while the client guarded (relaxation ≤ {}/10) count half: \
                 guarding inflates tenderness",
                super::GUARDED_RELAXATION
            ),
        ],
    }
}

/// Per knot: (when, finding id, tenderness, weight), oldest first.
type KnotFindings = BTreeMap<(String, Side), Vec<(jiff::Timestamp, i64, f64, f64)>>;

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
        // A reaction the runner reported after this session is a rebound they felt, whatever the
        // numbers show.
        for r in journal
            .reactions
            .iter()
            .filter(|r| followed(journal, &r.item).is_some_and(|f| f.id == t.id))
        {
            let r = &r.item;
            let lasted = r.hours.map(|h| format!(" for {h} h")).unwrap_or_default();
            out.push(Rebound {
                date: day,
                target: target.clone(),
                what: format!(
                    "reported {} {}{lasted} after deep-tissue work: soreness and bruising for \
                     24-72 h are common after deep work; tell the therapist before the next \
                     session (lighter pressure may avoid it)",
                    r.kind, r.severity
                ),
            });
        }
        // Pain: the worst of days +2..+3 against the day before and the day of the session, run
        // pain with run pain and morning pain with morning pain (never one against the other).
        if seen_days.insert(day) {
            for (series, name) in [(&pain.run, "run pain"), (&pain.morning, "morning pain")] {
                let worst = |from: i64, to: i64| {
                    series
                        .range(add_days(day, from)..=add_days(day, to))
                        .map(|(_, v)| *v)
                        .max()
                };
                if let (Some(r), Some(l)) = (worst(-1, 0), worst(2, 3))
                    && l > r
                {
                    out.push(Rebound {
                        date: day,
                        target: target.clone(),
                        what: format!(
                            "{name} rose from {r}/10 to {l}/10 two to three days after \
                             deep-tissue work: the common rebound; judge the session after it \
                             settles"
                        ),
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| a.date.cmp(&b.date).then(a.what.cmp(&b.what)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::tests::{finding, run, treatment};

    fn normal(rng: &mut Pcg64) -> f64 {
        // Box-Muller.
        let u1: f64 = rng.random_range(1e-12..1.0);
        let u2: f64 = rng.random_range(0.0..1.0);
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    #[test]
    fn signed_numbers_never_show_minus_zero() {
        assert_eq!(signed(-0.0), "0.0");
        assert_eq!(signed(-0.04), "0.0");
        assert_eq!(signed(0.04), "0.0");
        assert_eq!(signed(-0.06), "-0.1");
        assert_eq!(signed(1.25), "+1.2");
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

    /// `days` daily runs from 2026-01-01 with the worst pain `pain(t)` on day `t`, and `kinds`
    /// done at 20:00 on the days `on(t)`.
    fn history(
        days: i64,
        pain: impl Fn(i64) -> i64,
        kinds: &[TreatmentKind],
        on: impl Fn(i64) -> bool,
    ) -> Journal {
        let start: Date = "2026-01-01".parse().unwrap();
        let mut j = Journal::default();
        for t in 0..days {
            let d = add_days(start, t).to_string();
            j.runs
                .push(run(t, &d, 5.0, None, pain(t).clamp(0, 10) as u8));
            if on(t) {
                for kind in kinds {
                    let id = j.treatments.len() as i64;
                    j.treatments
                        .push(treatment(id, &format!("{d}T20:00:00Z"), *kind, "calf"));
                }
            }
        }
        j
    }

    fn kind(w: &WhatWorks, k: TreatmentKind) -> &KindEffect {
        w.kinds.iter().find(|e| e.kind == k).unwrap()
    }

    #[test]
    fn a_real_effect_alternating_with_untreated_days_is_found() {
        // Pain falls from 8 to 3 over 60 days (8 − t/10), with noise −1, 0, +1; the ball, done on
        // even days, takes 2 points off the next day's run. Each treated (odd-day) run is compared
        // with the untreated runs the day before and after: the trend cancels, the −2 remains.
        let j = history(
            60,
            |t| 8 - t / 10 + (t * 7) % 3 - 1 - if t % 2 == 1 { 2 } else { 0 },
            &[TreatmentKind::Ball],
            |t| t % 2 == 0,
        );
        let today = "2026-03-01".parse().unwrap();
        let w = report(&j, today, &TimeZone::UTC, Atlas::shipped(), 3);
        let e = &kind(&w, TreatmentKind::Ball).next_run_pain;
        // Runs 1, 3, …, 57 have an untreated run on both sides (59 has none after): 29.
        assert_eq!(e.n, 29);
        let ci = e.ci.unwrap();
        assert!(ci.high < 0.0, "{}", e.words);
        assert!((e.estimate.unwrap() + 2.0).abs() < 0.5, "{}", e.words);
        assert!(e.words.contains("better by"), "{}", e.words);
        assert!(e.words.contains("not proof"));
    }

    #[test]
    fn a_falling_pain_curve_alone_is_no_effect() {
        // Pain falls from 8 to 1 (8 − t/8); ice is done every day of the first 25 days only. The
        // runs after it were the painful early ones, so comparing them with all other runs would
        // call ice harmful; without untreated runs close in time on both sides, nothing is claimed.
        let j = history(60, |t| 8 - t / 8, &[TreatmentKind::Ice], |t| t < 25);
        let today = "2026-03-01".parse().unwrap();
        let w = report(&j, today, &TimeZone::UTC, Atlas::shipped(), 3);
        let ice = kind(&w, TreatmentKind::Ice);
        for e in [&ice.next_run_pain, &ice.pain_free_km] {
            assert!(e.ci.is_none(), "{}", e.words);
            assert!(e.words.contains("too little data"), "{}", e.words);
            assert!(!e.words.contains("better") && !e.words.contains("worse"));
        }
        // Used every other day while pain falls a point every 5 days, without effect: the trend
        // cancels, no claim. (Whole-point steps make single comparisons ±0.5 where a step falls
        // between a run and its neighbours; steps on odd and even days alike average out.)
        let j = history(
            60,
            |t| 8 - t / 5,
            &[TreatmentKind::Ice],
            |t| t < 40 && t % 2 == 0,
        );
        let w = report(&j, today, &TimeZone::UTC, Atlas::shipped(), 3);
        let e = &kind(&w, TreatmentKind::Ice).next_run_pain;
        assert!(e.n >= MIN_N, "{}", e.words);
        assert!(
            !e.words.contains("better") && !e.words.contains("worse"),
            "{}",
            e.words
        );
    }

    #[test]
    fn kinds_done_on_the_same_days_are_reported_together() {
        let j = history(
            40,
            |t| 6 - t / 10 + (t * 7) % 3 - 1,
            &[TreatmentKind::FoamRoll, TreatmentKind::Stretch],
            |t| t % 2 == 0,
        );
        let today = "2026-02-10".parse().unwrap();
        let w = report(&j, today, &TimeZone::UTC, Atlas::shipped(), 3);
        let (roll, stretch) = (
            kind(&w, TreatmentKind::FoamRoll),
            kind(&w, TreatmentKind::Stretch),
        );
        assert_eq!(roll.confounded_with, vec!["stretch".to_string()]);
        assert_eq!(stretch.confounded_with, vec!["foam_roll".to_string()]);
        assert_eq!(roll.next_run_pain.estimate, stretch.next_run_pain.estimate);
        assert!(
            roll.next_run_pain
                .words
                .contains("reported together with stretch")
        );
    }

    #[test]
    fn a_zero_width_interval_is_too_little_variation() {
        let same = matched(&[-1.0; 6], 4, "x", "points", true, 1);
        assert_eq!(same.ci.map(|c| (c.low, c.high)), Some((-1.0, -1.0)));
        assert!(
            same.words.contains("too little variation"),
            "{}",
            same.words
        );
        assert!(!same.words.contains("better"));
        let paired = change(&[2.0; 5], "y", "points", 1);
        assert!(
            paired.words.starts_with("y: too little variation"),
            "{}",
            paired.words
        );
    }

    #[test]
    fn check_in_factors_are_candidates() {
        // Water alternates 1.5 L / 2.5 L; runs after a 2.5 L day hurt 2 points less.
        let mut j = history(
            40,
            |t| 6 - if t % 2 == 1 { 2 } else { 0 } + (t * 7) % 3 - 1,
            &[],
            |_| false,
        );
        let start: Date = "2026-01-01".parse().unwrap();
        for t in 0..40 {
            j.checkins.push(crate::journal::Entry {
                id: t,
                item: crate::journal::Checkin {
                    date: add_days(start, t),
                    morning_pain: None,
                    stiffness: None,
                    water_l: Some(if t % 2 == 0 { 2.5 } else { 1.5 }),
                    potassium: None,
                    sleep_h: Some(8.0),
                    note: None,
                },
            });
        }
        let today = "2026-02-10".parse().unwrap();
        let w = report(&j, today, &TimeZone::UTC, Atlas::shipped(), 3);
        let names: Vec<&str> = w.factors.iter().map(|f| f.factor).collect();
        assert_eq!(names, vec!["water", "potassium", "sleep", "relaxation"]);
        let water = &w.factors[0].next_run_pain;
        assert!(water.ci.unwrap().high < 0.0, "{}", water.words);
        assert!(
            water
                .words
                .starts_with("pain on runs with 2 L of water or more")
        );
        // Always 8 h of sleep: nothing to compare with; no potassium recorded: nothing.
        assert!(w.factors[2].next_run_pain.words.contains("too little data"));
        assert_eq!(w.factors[1].days, 0);
    }

    #[test]
    fn readings_taken_while_guarding_weigh_half() {
        // Pair 1: 8 (in a session with relaxation 2) → 4; pair 2: 6 → 5, both unguarded.
        // Weighted change: (−4 × 0.5 + −1 × 1) / 1.5 = −2. (Readings span 5 days: no trend.)
        let mut j = Journal {
            findings: vec![
                finding(
                    1,
                    "2026-04-01T10:00:00Z",
                    "vastus_lateralis_distal",
                    8,
                    true,
                ),
                finding(
                    2,
                    "2026-04-03T10:00:00Z",
                    "vastus_lateralis_distal",
                    4,
                    true,
                ),
                finding(
                    3,
                    "2026-04-05T10:00:00Z",
                    "vastus_lateralis_distal",
                    6,
                    true,
                ),
                finding(
                    4,
                    "2026-04-06T10:00:00Z",
                    "vastus_lateralis_distal",
                    5,
                    true,
                ),
            ],
            treatments: vec![
                treatment(
                    1,
                    "2026-04-01T10:30:00Z",
                    TreatmentKind::Ball,
                    "vastus_lateralis",
                ),
                treatment(
                    2,
                    "2026-04-05T10:30:00Z",
                    TreatmentKind::Ball,
                    "vastus_lateralis",
                ),
            ],
            sessions: vec![crate::journal::Entry {
                id: 1,
                item: crate::journal::Session {
                    at: "2026-04-01T10:00:00Z".parse().unwrap(),
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
        j.findings[0].item.session = Some(1);
        let today = "2026-04-12".parse().unwrap();
        let w = report(&j, today, &TimeZone::UTC, Atlas::shipped(), 1);
        let k = &w.knots[0];
        assert_eq!(k.guarded_readings, 1);
        assert!((k.change.estimate.unwrap() + 2.0).abs() < 1e-9);
        assert!((k.before - 10.0 / 1.5).abs() < 1e-9);
        assert!(k.change.words.contains("count half"), "{}", k.change.words);
    }

    #[test]
    fn the_rebound_compares_like_with_like() {
        // Deep work on 04-02. Run pain 3 the day before; morning pain 4 on 04-04: a morning is not
        // compared with a run, so no rebound. Then morning pain 1 on the session's day: 1 → 4 is.
        let mut j = Journal {
            runs: vec![run(1, "2026-04-01", 5.0, Some(2.0), 3)],
            treatments: vec![treatment(
                1,
                "2026-04-02T10:00:00Z",
                TreatmentKind::DeepTissue,
                "calf",
            )],
            checkins: vec![checkin(1, "2026-04-04", 4)],
            ..Journal::default()
        };
        let today = "2026-04-12".parse().unwrap();
        let w = report(&j, today, &TimeZone::UTC, Atlas::shipped(), 1);
        assert!(w.rebounds.is_empty(), "{:?}", w.rebounds);
        j.checkins.push(checkin(2, "2026-04-02", 1));
        let w = report(&j, today, &TimeZone::UTC, Atlas::shipped(), 1);
        assert_eq!(w.rebounds.len(), 1);
        assert!(
            w.rebounds[0]
                .what
                .starts_with("morning pain rose from 1/10 to 4/10")
        );
    }

    fn checkin(id: i64, date: &str, morning: u8) -> crate::journal::Entry<crate::journal::Checkin> {
        crate::journal::Entry {
            id,
            item: crate::journal::Checkin {
                date: date.parse().unwrap(),
                morning_pain: Some(crate::Nrs::new(morning).unwrap()),
                stiffness: None,
                water_l: None,
                potassium: None,
                sleep_h: None,
                note: None,
            },
        }
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

    fn reaction(
        id: i64,
        at: &str,
        kind: ReactionKind,
        severity: u8,
        hours: Option<f64>,
        treatment: Option<i64>,
    ) -> Entry<Reaction> {
        Entry {
            id,
            item: Reaction {
                at: at.parse().unwrap(),
                kind,
                severity: crate::Nrs::new(severity).unwrap(),
                hours,
                treatment,
                note: None,
            },
        }
    }

    #[test]
    fn reactions_stand_next_to_the_kind_they_followed_and_deep_work_rebounds() {
        let j = Journal {
            treatments: vec![
                treatment(
                    1,
                    "2026-04-01T10:30:00Z",
                    TreatmentKind::DeepTissue,
                    "vastus_lateralis_distal",
                ),
                treatment(2, "2026-04-05T18:00:00Z", TreatmentKind::Ice, "calf"),
            ],
            reactions: vec![
                // Unlinked, 21.5 h after the deep work: it followed the deep work.
                reaction(
                    1,
                    "2026-04-02T08:00:00Z",
                    ReactionKind::Bruising,
                    4,
                    None,
                    None,
                ),
                // Linked by id.
                reaction(
                    2,
                    "2026-04-03T08:00:00Z",
                    ReactionKind::Soreness,
                    6,
                    Some(48.0),
                    Some(1),
                ),
                // Unlinked, 20 min after the ice (the deep work is 4 days back): the ice.
                reaction(3, "2026-04-05T18:20:00Z", ReactionKind::Burn, 3, None, None),
                // Nothing within 72 h before it: attributed to no treatment.
                reaction(4, "2026-04-10T08:00:00Z", ReactionKind::Skin, 2, None, None),
            ],
            ..Journal::default()
        };
        let w = report(
            &j,
            "2026-04-12".parse().unwrap(),
            &TimeZone::UTC,
            Atlas::shipped(),
            1,
        );
        let deep = kind(&w, TreatmentKind::DeepTissue);
        assert_eq!(
            deep.reactions,
            Reactions {
                count: 2,
                by_kind: vec![(ReactionKind::Soreness, 1), (ReactionKind::Bruising, 1)],
                worst: Some(6),
            }
        );
        assert!(
            deep.next_run_pain.words.ends_with(
                "[deep_tissue: 2 reactions reported after it: soreness ×1, bruising ×1 \
                 (worst 6/10); weigh them against any benefit]"
            ),
            "{}",
            deep.next_run_pain.words
        );
        let ice = kind(&w, TreatmentKind::Ice);
        assert_eq!(ice.reactions.count, 1);
        assert_eq!(ice.reactions.by_kind, vec![(ReactionKind::Burn, 1)]);
        assert_eq!(ice.reactions.worst, Some(3));
        let rebounds: Vec<&str> = w.rebounds.iter().map(|r| r.what.as_str()).collect();
        assert_eq!(rebounds.len(), 2, "{rebounds:?}");
        assert!(rebounds[0].starts_with("reported bruising 4/10 after deep-tissue work"));
        assert!(rebounds[1].starts_with("reported soreness 6/10 for 48 h after deep-tissue work"));
        assert!(
            w.rebounds
                .iter()
                .all(|r| r.date.to_string() == "2026-04-01")
        );
    }
}
