//! Simulated runners for the guided search, shared by `tests/search_sim.rs` (a small run with
//! assertions) and `benches/search.rs` (the BENCHMARKS.md table).
//!
//! A runner has one true mother knot, drawn from the candidates of a symptom pattern with weights
//! from the referral match (primary 3, spill-over 1, bordering 0.4: the finder's base score
//! without the context bonus), and satellite knots around it. Each spot's answer (tenderness 0-10,
//! reproduces y/n) is drawn once per runner, so every strategy meets the same runner. The
//! simulator's numbers differ from the model's on purpose (narrower mother tenderness, weaker
//! satellite reproduction, more satellites, a different distance scale), and 30% of runners tense
//! up: they add 2-4 to every tenderness and say "yes, that's my pain" three times as often by
//! mistake (the seed story's runner was guarded, relaxation 2/10).
//!
//! Randomness is a SplitMix64 stream seeded per pattern, written out here so the table reproduces
//! bit for bit whatever version of `rand` the workspace uses.

// Shared by a test and a bench that each use a different part of it.
#![allow(dead_code)]

use knots_core::atlas::{Atlas, TriggerPoint, TriggerPointId};
use knots_core::finder::{self, Query};
use knots_core::journal::{Context, Side};
use knots_core::search::{Model, Press, Rule, Search, Settings, Step};
use knots_core::{Nrs, Region};
use std::collections::BTreeMap;

/// SplitMix64 (Steele, Lea & Flood 2014).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Box-Muller.
    pub fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        mean + sd * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// An index drawn with probability proportional to `weights`.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

/// A symptom pattern: where and when it hurts.
pub struct Pattern {
    pub name: &'static str,
    pub regions: &'static [&'static str],
    pub context: Option<Context>,
}

const fn p(
    name: &'static str,
    regions: &'static [&'static str],
    context: Option<Context>,
) -> Pattern {
    Pattern {
        name,
        regions,
        context,
    }
}

/// Twelve common runner complaints.
pub const PATTERNS: &[Pattern] = &[
    p("lateral knee", &["lateral_knee"], Some(Context::DuringRun)),
    p("heel", &["heel"], Some(Context::Morning)),
    p(
        "posterior knee",
        &["posterior_knee"],
        Some(Context::DuringRun),
    ),
    p(
        "anterior knee",
        &["anterior_knee"],
        Some(Context::DuringRun),
    ),
    p("achilles", &["achilles"], Some(Context::DuringRun)),
    p("low back", &["low_back"], Some(Context::AfterRun)),
    p("buttock", &["buttock"], Some(Context::DuringRun)),
    p("shin", &["anterior_shin"], Some(Context::DuringRun)),
    p("lateral hip", &["lateral_hip"], Some(Context::DuringRun)),
    p(
        "plantar forefoot",
        &["plantar_forefoot"],
        Some(Context::DuringRun),
    ),
    p("calf", &["calf"], Some(Context::Night)),
    p(
        "lateral thigh + knee",
        &["lateral_thigh", "lateral_knee"],
        Some(Context::DuringRun),
    ),
];

impl Pattern {
    pub fn query(&self) -> Query {
        Query {
            regions: self
                .regions
                .iter()
                .filter_map(|r| Region::parse(r).ok())
                .collect(),
            side: Side::Left,
            context: self.context,
            onset_km: None,
        }
    }
}

/// How simulated runners answer (deliberately not the model's numbers).
pub struct Truth {
    pub mother: (f64, f64),
    pub satellite: (f64, f64),
    pub inactive: (f64, f64),
    pub reproduces_mother: f64,
    pub reproduces_satellite: f64,
    pub reproduces_inactive: f64,
    pub same_muscle: f64,
    pub near: f64,
    pub near_scale: f64,
    pub background: f64,
    pub tense_share: f64,
    pub tense_false_yes: f64,
}

pub const TRUTH: Truth = Truth {
    mother: (8.0, 1.5),
    satellite: (6.0, 2.0),
    inactive: (2.5, 2.0),
    reproduces_mother: 0.85,
    reproduces_satellite: 0.35,
    reproduces_inactive: 0.05,
    same_muscle: 0.6,
    near: 0.5,
    near_scale: 0.04,
    background: 0.08,
    tense_share: 0.3,
    tense_false_yes: 0.15,
};

/// One simulated runner: the true mother knot and the answer every candidate would get.
pub struct Runner {
    pub mother: TriggerPointId,
    pub tense: bool,
    pub answers: BTreeMap<TriggerPointId, (u8, bool)>,
}

impl Runner {
    pub fn press(&self, tp: &TriggerPoint) -> Press {
        let (t, r) = self.answers.get(&tp.id).copied().unwrap_or((0, false));
        Press {
            trigger_point: tp.id.clone(),
            tenderness: Nrs::new(t).unwrap_or(Nrs::ZERO),
            reproduces: r,
        }
    }
}

fn truth_link(mother: &TriggerPoint, j: &TriggerPoint) -> f64 {
    let mut s = TRUTH.background;
    if mother.muscle == j.muscle {
        s = s.max(TRUTH.same_muscle);
    }
    if mother.view == j.view {
        let d = (mother.x - j.x).hypot(mother.y - j.y);
        s = s.max(TRUTH.near * (-d / TRUTH.near_scale).exp());
    }
    s
}

/// Draws a runner whose knots are consistent with the pattern.
pub fn draw_runner(rng: &mut Rng, atlas: &Atlas, pattern: &Pattern) -> Runner {
    let query = Query {
        context: None,
        ..pattern.query()
    };
    let cands: Vec<(&TriggerPoint, f64)> = finder::score_all(atlas, &query, &[])
        .into_iter()
        .filter(|s| s.score > 0.0)
        .map(|s| (s.trigger_point, s.score))
        .collect();
    let weights: Vec<f64> = cands.iter().map(|c| c.1).collect();
    let m = rng.weighted(&weights);
    let mother = cands[m].0;
    let tense = rng.chance(TRUTH.tense_share);
    let bias = if tense {
        2.0 + (rng.next_u64() % 3) as f64
    } else {
        0.0
    };
    let false_yes = if tense {
        TRUTH.tense_false_yes
    } else {
        TRUTH.reproduces_inactive
    };
    let mut answers = BTreeMap::new();
    for (j, (tp, _)) in cands.iter().enumerate() {
        let ((mean, sd), yes) = if j == m {
            (TRUTH.mother, TRUTH.reproduces_mother)
        } else if rng.chance(truth_link(mother, tp)) {
            (TRUTH.satellite, TRUTH.reproduces_satellite.max(false_yes))
        } else {
            (TRUTH.inactive, false_yes)
        };
        let t = (rng.normal(mean, sd) + bias).round().clamp(0.0, 10.0) as u8;
        answers.insert(tp.id.clone(), (t, rng.chance(yes)));
    }
    Runner {
        mother: mother.id.clone(),
        tense,
        answers,
    }
}

/// How the spots are chosen.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Strategy {
    /// The guided search with a rule.
    Guided(Rule),
    /// The finder's static order (score, then id), same posterior and stopping rule.
    Static,
    /// Textbook order: atlas order of primary-zone matches, then spill-over, then bordering;
    /// same posterior and stopping rule.
    Textbook,
    /// The finder's static order, stopping at the first spot that reproduces the symptom (what
    /// a runner does with a printed list); if none does, the most tender spot pressed.
    StaticFirstYes,
    /// The finder's static order with the first version's stopping rule (90% threshold and
    /// budget only, no look-ahead), on the same model.
    StaticThresholdOnly,
    /// Textbook order with that same rule.
    TextbookThresholdOnly,
    /// Not a strategy: the finder's static order stopped exactly when the true mother knot is
    /// pressed (within the budget). No stopping rule can do better on that order; a search that
    /// presses the likeliest spots first cannot find the mother much sooner either.
    OracleStop,
    /// Not a strategy: press every candidate (no budget) and name the most likely spot. The
    /// accuracy ceiling of the model on these runners.
    PressAll,
}

pub const STRATEGIES: &[Strategy] = &[
    Strategy::Guided(Rule::InformationGain),
    Strategy::Guided(Rule::MostLikely),
    Strategy::Static,
    Strategy::Textbook,
    Strategy::StaticFirstYes,
    Strategy::StaticThresholdOnly,
    Strategy::TextbookThresholdOnly,
    Strategy::OracleStop,
    Strategy::PressAll,
];

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Guided(Rule::InformationGain) => "guided (information gain)",
            Strategy::Guided(Rule::MostLikely) => "guided (most likely)",
            Strategy::Static => "finder's static order",
            Strategy::Textbook => "textbook order",
            Strategy::StaticFirstYes => "static order, stop at first yes",
            Strategy::StaticThresholdOnly => "finder's static order, 90% threshold only",
            Strategy::TextbookThresholdOnly => "textbook order, 90% threshold only",
            Strategy::OracleStop => "(bound) static order, stop when the mother is pressed",
            Strategy::PressAll => "(ceiling) press every candidate",
        }
    }
}

/// The textbook order of a search's candidates (see [`Strategy::Textbook`]).
pub fn textbook_order(atlas: &Atlas, query: &Query, search: &Search) -> Vec<TriggerPointId> {
    let tier = |tp: &TriggerPoint| {
        if query.regions.iter().any(|r| tp.primary.contains(r)) {
            0
        } else if query.regions.iter().any(|r| tp.spillover.contains(r)) {
            1
        } else {
            2
        }
    };
    let mut order: Vec<(usize, usize, TriggerPointId)> = atlas
        .trigger_points()
        .iter()
        .enumerate()
        .filter(|(_, tp)| search.candidates().iter().any(|c| c.id == tp.id))
        .map(|(i, tp)| (tier(tp), i, tp.id.clone()))
        .collect();
    order.sort();
    order.into_iter().map(|(_, _, id)| id).collect()
}

/// Plays one strategy against one runner: (presses, the knot named at the end).
pub fn play(
    strategy: Strategy,
    start: &Search,
    order: &[TriggerPointId],
    runner: &Runner,
) -> (usize, Option<TriggerPointId>) {
    let mut s = start.clone();
    match strategy {
        Strategy::Guided(_) => loop {
            match s.next() {
                Step::Press(tp) => {
                    let _ = s.record(runner.press(tp));
                }
                Step::Stop(c) => return (c.presses, c.trigger_point),
            }
        },
        Strategy::Static
        | Strategy::Textbook
        | Strategy::StaticThresholdOnly
        | Strategy::TextbookThresholdOnly => {
            for id in order {
                if let Some(reason) = s.stop_reason() {
                    let c = s.conclusion(reason);
                    return (c.presses, c.trigger_point);
                }
                if let Some(tp) = s.candidates().iter().find(|t| &t.id == id) {
                    let _ = s.record(runner.press(tp));
                }
            }
            let reason = s
                .stop_reason()
                .unwrap_or(knots_core::search::StopReason::AllPressed);
            let c = s.conclusion(reason);
            (c.presses, c.trigger_point)
        }
        Strategy::OracleStop => {
            let budget = s.settings().budget;
            match order
                .iter()
                .take(budget)
                .position(|id| id == &runner.mother)
            {
                Some(k) => (k + 1, Some(runner.mother.clone())),
                None => (order.len().min(budget), None),
            }
        }
        Strategy::PressAll => {
            for id in order {
                if let Some(tp) = s.candidates().iter().find(|t| &t.id == id) {
                    let _ = s.record(runner.press(tp));
                }
            }
            let c = s.conclusion(knots_core::search::StopReason::AllPressed);
            (c.presses, c.trigger_point)
        }
        Strategy::StaticFirstYes => {
            let budget = s.settings().budget;
            let mut best: Option<(u8, TriggerPointId)> = None;
            for (k, tp) in s.candidates().iter().enumerate().take(budget) {
                let p = runner.press(tp);
                if p.reproduces {
                    return (k + 1, Some(tp.id.clone()));
                }
                if best.as_ref().is_none_or(|b| p.tenderness.value() > b.0) {
                    best = Some((p.tenderness.value(), tp.id.clone()));
                }
            }
            (s.candidates().len().min(budget), best.map(|b| b.1))
        }
    }
}

/// The results of one strategy on one pattern.
#[derive(Default, Clone)]
pub struct Tally {
    /// Presses used, per runner.
    pub presses: Vec<usize>,
    /// Whether the knot named at the end was the true mother knot, per runner.
    pub correct: Vec<bool>,
    /// Whether the runner tensed up, per runner.
    pub tense: Vec<bool>,
}

impl Tally {
    pub fn add(&mut self, other: &Tally) {
        self.presses.extend(&other.presses);
        self.correct.extend(&other.correct);
        self.tense.extend(&other.tense);
    }

    pub fn only(&self, tense: bool) -> Tally {
        let mut t = Tally::default();
        for i in 0..self.presses.len() {
            if self.tense[i] == tense {
                t.presses.push(self.presses[i]);
                t.correct.push(self.correct[i]);
                t.tense.push(tense);
            }
        }
        t
    }

    /// Median presses to identify the true mother knot; a runner whose search named the wrong
    /// knot never identified it (counts as infinite). `None` when that median is infinite.
    pub fn median_to_identify(&self) -> Option<usize> {
        let mut v: Vec<usize> = self
            .presses
            .iter()
            .zip(&self.correct)
            .map(|(&p, &c)| if c { p } else { usize::MAX })
            .collect();
        v.sort_unstable();
        v.get(v.len() / 2).copied().filter(|&m| m != usize::MAX)
    }

    pub fn mean_presses(&self) -> f64 {
        self.presses.iter().sum::<usize>() as f64 / self.presses.len().max(1) as f64
    }

    pub fn within(&self, k: usize) -> f64 {
        let n = self
            .presses
            .iter()
            .zip(&self.correct)
            .filter(|&(&p, &c)| c && p <= k)
            .count();
        n as f64 / self.presses.len().max(1) as f64
    }

    pub fn accuracy(&self) -> f64 {
        self.correct.iter().filter(|&&c| c).count() as f64 / self.correct.len().max(1) as f64
    }
}

/// Runs every strategy on `runners` simulated runners of one pattern.
pub fn evaluate(
    atlas: &Atlas,
    pattern: &Pattern,
    runners: usize,
    seed: u64,
    settings: Settings,
) -> Vec<Tally> {
    let query = pattern.query();
    let start = Search::new(atlas, &query, &[], Model::default(), settings);
    let static_order: Vec<TriggerPointId> =
        start.candidates().iter().map(|t| t.id.clone()).collect();
    let textbook = textbook_order(atlas, &query, &start);
    let guided_ml = Search::new(
        atlas,
        &query,
        &[],
        Model::default(),
        Settings {
            rule: Rule::MostLikely,
            ..settings
        },
    );
    // The first version's stopping rule, for the baselines that keep it.
    let threshold_only = Search::new(
        atlas,
        &query,
        &[],
        Model::default(),
        Settings {
            min_accuracy_gain: 0.0,
            ..settings
        },
    );
    let mut rng = Rng::new(seed);
    let mut tallies = vec![Tally::default(); STRATEGIES.len()];
    for _ in 0..runners {
        let runner = draw_runner(&mut rng, atlas, pattern);
        for (k, &strategy) in STRATEGIES.iter().enumerate() {
            let (s, order) = match strategy {
                Strategy::Guided(Rule::MostLikely) => (&guided_ml, &static_order),
                Strategy::Textbook => (&start, &textbook),
                Strategy::StaticThresholdOnly => (&threshold_only, &static_order),
                Strategy::TextbookThresholdOnly => (&threshold_only, &textbook),
                _ => (&start, &static_order),
            };
            let (presses, named) = play(strategy, s, order, &runner);
            tallies[k].presses.push(presses);
            tallies[k]
                .correct
                .push(named.as_ref() == Some(&runner.mother));
            tallies[k].tense.push(runner.tense);
        }
    }
    tallies
}

/// A seed per pattern, so each pattern's runners reproduce on their own.
pub fn pattern_seed(seed: u64, index: usize) -> u64 {
    Rng::new(seed ^ (index as u64).wrapping_mul(0xA24B_AED4_963E_E407)).next_u64()
}
