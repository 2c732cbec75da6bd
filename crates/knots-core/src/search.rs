//! The guided search: find the mother knot in as few presses as possible.
//!
//! Instead of pressing every spot the [`finder`] lists, the runner presses one spot at a time and
//! answers two questions: how tender, 0-10, and does it bring on the familiar pain. [`Search`] keeps
//! a posterior over "which candidate is the mother knot" (plus "none of them"), picks the next spot
//! to press, and says when to stop. The model, in short (also in ARCHITECTURE.md, "The guided
//! search"):
//!
//! - **Hypotheses.** `m` = the mother knot is candidate `m`, or `none` (the pain has another cause,
//!   or its knot is not in the atlas). Candidates are the trigger points the finder scores above 0.
//! - **Prior.** `P(m) ∝ finder score of m` (referral match, side, context and the user's findings
//!   history, see [`finder::score_all`]), scaled to `1 - P(none)`.
//! - **Spots given the mother.** The mother is active and reproduces the symptom most of the time.
//!   Every other spot `j` is an active *satellite* with probability `link(m, j)`: high in the same
//!   muscle, decaying with the distance between the two spots on the body map (Travell & Simons:
//!   satellites sit in the key point's muscle or nearby), a small background rate otherwise. So one
//!   answer is evidence about its neighbours too.
//! - **Answer likelihood.** Tenderness is a discretised normal per state (mother, satellite,
//!   inactive; the mother's is a mixture, usually clearly above a satellite's since the mother is
//!   the most tender reproducing spot, sometimes like a satellite's) mixed with a uniform floor
//!   (people rate pressure pain noisily, and some tense up and over-report); "reproduces" is a
//!   Bernoulli per state. Given `m`, spots are independent, so `P(m | answers) ∝ P(m) ·
//!   Π_j P(answer_j | m)`, computed exactly.
//! - **Next spot.** The unpressed candidate with the largest expected information gain about `m`
//!   ([`Rule::InformationGain`]), or the cheaper "press the most likely one" ([`Rule::MostLikely`]).
//! - **Stop** when one hypothesis reaches the confidence threshold, when the probe budget is spent,
//!   when no unpressed spot would teach more than a sliver, when no unpressed spot is expected to
//!   raise the chance that the named knot is right by 0.3 points (a one-step look-ahead: the
//!   press is not worth it), or when every candidate was pressed.
//!
//! The parameters are rounded clinical guesses, not fitted values (there is no data set of
//! palpation answers to fit them to); the simulator in `tests/sim/` checks that the search still
//! works when the runners it simulates answer differently from what the model assumes.

use crate::atlas::{Atlas, TriggerPoint, TriggerPointId};
use crate::finder::{self, Query};
use crate::journal::{Entry, Finding};
use crate::scale::Nrs;
use crate::vocab::UnknownId;

/// A discretised normal distribution of the 0-10 tenderness a spot in one state gets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tenderness {
    /// Mean on the 0-10 scale.
    pub mean: f64,
    /// Standard deviation.
    pub sd: f64,
}

/// The likelihood and correlation parameters of the model. [`Model::default`] is what knots uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Tenderness of the mother knot, when it is the most tender spot (the usual case).
    pub mother: Tenderness,
    /// Share of mother knots whose tenderness follows the satellite distribution instead
    /// (pressed a little off the spot, or a quiet day). Keeps `reproduces_mother · this ≥
    /// reproduces_satellite`, so a "yes" never favours the satellite hypotheses.
    pub mother_like_satellite: f64,
    /// Tenderness of an active satellite knot.
    pub satellite: Tenderness,
    /// Tenderness of a spot that is not an active knot (latent knots are often tender too).
    pub inactive: Tenderness,
    /// Share of answers that are noise, spread evenly over 0-10.
    pub floor: f64,
    /// P(reproduces the symptom | mother knot).
    pub reproduces_mother: f64,
    /// P(reproduces the symptom | active satellite).
    pub reproduces_satellite: f64,
    /// P(reproduces the symptom | inactive spot): a false "yes".
    pub reproduces_inactive: f64,
    /// P(another spot of the mother's muscle is an active satellite).
    pub same_muscle: f64,
    /// P(a spot right next to the mother, on the same body-map view, is an active satellite).
    pub near: f64,
    /// Body-map distance (view units, 0-1) over which `near` falls by a factor e.
    pub near_scale: f64,
    /// P(any other spot is an active satellite).
    pub background: f64,
    /// Prior probability that no candidate is the mother knot.
    pub none_prior: f64,
}

impl Default for Model {
    fn default() -> Model {
        // Rounded guesses. Tenderness: the mother is by definition the most tender spot that
        // reproduces the symptom (domain brief 1, "mother knot"), so it is modelled as clearly
        // more tender than a satellite (9 against 6) most of the time, and like a satellite the
        // rest of the time; latent knots are tender but less so. The standard deviations are wide
        // on purpose: tenderness is reliable between examiners but a runner's own 0-10 is coarse.
        // "Reproduces" is the most reliable sign (Lucas 2009). Chosen so that a "yes, that's my
        // pain" answer is always likelier under "this spot is the mother" than under any other
        // hypothesis: see `confirming_answers_favour_the_spot`.
        Model {
            mother: Tenderness { mean: 9.0, sd: 1.5 },
            mother_like_satellite: 0.45,
            satellite: Tenderness { mean: 6.0, sd: 2.5 },
            inactive: Tenderness { mean: 2.5, sd: 2.5 },
            floor: 0.15,
            reproduces_mother: 0.9,
            reproduces_satellite: 0.4,
            reproduces_inactive: 0.05,
            same_muscle: 0.5,
            near: 0.4,
            near_scale: 0.05,
            background: 0.05,
            none_prior: 0.05,
        }
    }
}

/// How the next spot is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The unpressed spot with the largest expected information gain about the mother knot.
    InformationGain,
    /// The unpressed spot most likely to be the mother knot (cheaper; no look-ahead).
    MostLikely,
}

/// When to stop and how to choose.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Stop when one hypothesis (a spot, or "none") reaches this posterior probability.
    pub threshold: f64,
    /// Stop after this many presses.
    pub budget: usize,
    /// How the next spot is chosen.
    pub rule: Rule,
    /// With [`Rule::InformationGain`], stop when no spot would teach more than this, in bits.
    pub min_gain_bits: f64,
    /// Stop when no unpressed spot is expected to raise the probability that the knot named at
    /// the end is the right one by more than this (a one-step look-ahead: one more press costs
    /// the runner more than it is worth). 0 turns this rule off.
    pub min_accuracy_gain: f64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            threshold: 0.9,
            budget: 10,
            rule: Rule::InformationGain,
            min_gain_bits: 0.01,
            min_accuracy_gain: 0.003,
        }
    }
}

/// One answer: a spot was pressed and this is what the runner said.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Press {
    /// The spot pressed.
    pub trigger_point: TriggerPointId,
    /// How tender, 0-10.
    pub tenderness: Nrs,
    /// Whether pressing it brought on the familiar pain.
    pub reproduces: bool,
}

/// Why a search stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// One hypothesis reached the confidence threshold.
    Confident,
    /// The probe budget is spent.
    Budget,
    /// No unpressed spot would teach enough to be worth pressing: too little information
    /// ([`Settings::min_gain_bits`]) or too little expected gain in accuracy
    /// ([`Settings::min_accuracy_gain`]).
    NoUsefulSpot,
    /// Every candidate was pressed.
    AllPressed,
    /// The finder has no candidate for these regions.
    NoCandidates,
}

/// What a search concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Confident that this spot is the mother knot.
    Found,
    /// Confident that none of the candidates is.
    NoneFound,
    /// Stopped before being confident: the best guess is given.
    Unsure,
}

/// The end of a search.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Conclusion {
    /// Found, none found, or unsure.
    pub outcome: Outcome,
    /// Why it stopped.
    pub reason: StopReason,
    /// The most likely mother knot (the found one, or the best guess).
    pub trigger_point: Option<TriggerPointId>,
    /// Its posterior probability.
    pub probability: f64,
    /// The posterior probability that no candidate is the mother knot.
    pub none_probability: f64,
    /// Other pressed spots that also reproduced the symptom (likely satellites), in press order.
    pub also_reproduced: Vec<TriggerPointId>,
    /// How many spots were pressed.
    pub presses: usize,
}

/// The next step of a search.
#[derive(Debug, Clone, PartialEq)]
pub enum Step<'a> {
    /// Press this spot and record the answer with [`Search::record`].
    Press(&'a TriggerPoint),
    /// The search is over.
    Stop(Conclusion),
}

/// A candidate's posterior probability.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Belief {
    /// The spot.
    pub trigger_point: TriggerPointId,
    /// P(it is the mother knot | answers so far).
    pub probability: f64,
}

/// An answer the search cannot use.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SearchError {
    /// The spot is not one of this search's candidates.
    #[error("`{0}` is not a candidate of this search")]
    NotACandidate(TriggerPointId),
    /// The spot was already pressed in this search.
    #[error("`{0}` was already pressed in this search")]
    AlreadyPressed(TriggerPointId),
}

const MOTHER: usize = 0;
const SATELLITE: usize = 1;
const INACTIVE: usize = 2;

/// A guided search in progress. Deterministic: the same answers always give the same questions.
#[derive(Debug, Clone)]
pub struct Search<'a> {
    settings: Settings,
    /// Candidates in the finder's order (score, then id).
    spots: Vec<&'a TriggerPoint>,
    /// `link[m * n + j]` = P(spot j is an active satellite | mother m), for m < n; row n is "none".
    link: Vec<f64>,
    /// `lik[state][tenderness][reproduces]`.
    lik: [[[f64; 2]; 11]; 3],
    /// Posterior over the n spots, then "none".
    post: Vec<f64>,
    pressed: Vec<bool>,
    presses: Vec<Press>,
}

impl<'a> Search<'a> {
    /// Starts a search for a query: the candidates and prior come from [`finder::score_all`] with
    /// the user's findings history.
    ///
    /// # Examples
    /// ```
    /// use knots_core::search::{Model, Search, Settings, Step};
    /// use knots_core::{Atlas, Region, journal::Side, finder::Query};
    /// let q = Query { regions: vec![Region::parse("lateral_knee").unwrap()], side: Side::Left,
    ///                 context: None, onset_km: None };
    /// let search = Search::new(Atlas::shipped(), &q, &[], Model::default(), Settings::default());
    /// assert!(matches!(search.next(), Step::Press(_)));
    /// ```
    pub fn new(
        atlas: &'a Atlas,
        query: &Query,
        findings: &[Entry<Finding>],
        model: Model,
        settings: Settings,
    ) -> Search<'a> {
        let scored = finder::score_all(atlas, query, findings);
        let spots = scored
            .into_iter()
            .filter(|s| s.score > 0.0)
            .map(|s| (s.trigger_point, s.score))
            .collect();
        Search::with_prior(spots, model, settings)
    }

    /// Starts a search over given candidates with unnormalised prior weights (> 0). The order of
    /// `spots` does not matter: they are sorted by weight, then id, as the finder sorts.
    pub fn with_prior(
        mut spots: Vec<(&'a TriggerPoint, f64)>,
        model: Model,
        settings: Settings,
    ) -> Search<'a> {
        spots.retain(|(_, w)| w.is_finite() && *w > 0.0);
        spots.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.id.cmp(&b.0.id)));
        let n = spots.len();
        let total: f64 = spots.iter().map(|(_, w)| w).sum();
        let none = if n == 0 { 1.0 } else { model.none_prior };
        let mut post: Vec<f64> = spots
            .iter()
            .map(|(_, w)| (1.0 - none) * w / total)
            .collect();
        post.push(none);
        let spots: Vec<&TriggerPoint> = spots.into_iter().map(|(t, _)| t).collect();
        let mut link = Vec::with_capacity((n + 1) * n);
        for m in 0..=n {
            for j in 0..n {
                link.push(match spots.get(m) {
                    Some(mother) if m != j => satellite_probability(&model, mother, spots[j]),
                    Some(_) => 1.0,
                    None => model.background,
                });
            }
        }
        Search {
            settings,
            lik: likelihood_table(&model),
            spots,
            link,
            post,
            pressed: vec![false; n],
            presses: Vec::new(),
        }
    }

    /// The candidates, in the finder's order.
    pub fn candidates(&self) -> &[&'a TriggerPoint] {
        &self.spots
    }

    /// The answers recorded so far, in order.
    pub fn presses(&self) -> &[Press] {
        &self.presses
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// P(this spot is the mother knot | answers), or `None` if it is not a candidate.
    pub fn probability(&self, id: &TriggerPointId) -> Option<f64> {
        self.index(id).map(|i| self.post[i])
    }

    /// P(no candidate is the mother knot | answers).
    pub fn none_probability(&self) -> f64 {
        self.post[self.spots.len()]
    }

    /// Whether this spot was pressed in this search.
    pub fn is_pressed(&self, id: &TriggerPointId) -> bool {
        self.index(id).is_some_and(|i| self.pressed[i])
    }

    /// The posterior over the candidates, most likely first (ties in the finder's order).
    pub fn posterior(&self) -> Vec<Belief> {
        let mut order: Vec<usize> = (0..self.spots.len()).collect();
        order.sort_by(|&a, &b| self.post[b].total_cmp(&self.post[a]).then(a.cmp(&b)));
        order
            .into_iter()
            .map(|i| Belief {
                trigger_point: self.spots[i].id.clone(),
                probability: self.post[i],
            })
            .collect()
    }

    /// What to do next: press a spot, or stop with a conclusion.
    pub fn next(&self) -> Step<'a> {
        if let Some(reason) = self.stop_reason() {
            return Step::Stop(self.conclusion(reason));
        }
        let choice = match self.settings.rule {
            Rule::MostLikely => self
                .unpressed()
                .max_by(|&a, &b| self.post[a].total_cmp(&self.post[b]).then(b.cmp(&a))),
            Rule::InformationGain => {
                let best = self
                    .unpressed()
                    .map(|j| (j, self.gain_nats(j)))
                    .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
                match best {
                    Some((_, g)) if g / std::f64::consts::LN_2 < self.settings.min_gain_bits => {
                        return Step::Stop(self.conclusion(StopReason::NoUsefulSpot));
                    }
                    other => other.map(|(j, _)| j),
                }
            }
        };
        match choice {
            Some(j) => Step::Press(self.spots[j]),
            None => Step::Stop(self.conclusion(StopReason::AllPressed)),
        }
    }

    /// Why the search must stop now regardless of the rule (confident, budget spent, nothing
    /// left to press), or `None`. Baselines that press in a fixed order use this same rule.
    pub fn stop_reason(&self) -> Option<StopReason> {
        let n = self.spots.len();
        if n == 0 {
            return Some(StopReason::NoCandidates);
        }
        if self.post.iter().any(|&p| p >= self.settings.threshold) {
            return Some(StopReason::Confident);
        }
        if self.presses.len() >= self.settings.budget {
            return Some(StopReason::Budget);
        }
        if self.pressed.iter().all(|&p| p) {
            return Some(StopReason::AllPressed);
        }
        if self.settings.min_accuracy_gain > 0.0 {
            let best = self
                .unpressed()
                .map(|j| self.accuracy_gain(j))
                .fold(0.0, f64::max);
            if best < self.settings.min_accuracy_gain {
                return Some(StopReason::NoUsefulSpot);
            }
        }
        None
    }

    /// `E_answer[max_m P(m | answer)] − max_m P(m)`: how much pressing spot `j` is expected to
    /// raise the probability that the knot named at the end is the right one.
    fn accuracy_gain(&self, j: usize) -> f64 {
        let now = self.post.iter().copied().fold(0.0, f64::max);
        let mut expected = 0.0;
        for t in 0..=10 {
            for r in 0..2 {
                let mut best: f64 = 0.0;
                for (m, &p) in self.post.iter().enumerate() {
                    best = best.max(p * self.answer_likelihood(m, j, t, r));
                }
                expected += best;
            }
        }
        expected - now
    }

    /// The expected information gain about the mother knot from pressing this spot, in bits, or
    /// `None` if it is not a candidate.
    pub fn expected_gain_bits(&self, id: &TriggerPointId) -> Option<f64> {
        self.index(id)
            .map(|j| self.gain_nats(j) / std::f64::consts::LN_2)
    }

    /// Records an answer and updates the posterior (Bayes' rule).
    ///
    /// # Errors
    /// [`SearchError`] when the spot is not a candidate or was already pressed; nothing changes.
    pub fn record(&mut self, press: Press) -> Result<(), SearchError> {
        let j = self
            .index(&press.trigger_point)
            .ok_or_else(|| SearchError::NotACandidate(press.trigger_point.clone()))?;
        if self.pressed[j] {
            return Err(SearchError::AlreadyPressed(press.trigger_point));
        }
        let t = usize::from(press.tenderness.value());
        let r = usize::from(press.reproduces);
        let mut z = 0.0;
        for m in 0..self.post.len() {
            self.post[m] *= self.answer_likelihood(m, j, t, r);
            z += self.post[m];
        }
        // z > 0: every likelihood is at least floor/11 times a positive Bernoulli term.
        for p in &mut self.post {
            *p /= z;
        }
        self.pressed[j] = true;
        self.presses.push(press);
        Ok(())
    }

    /// The conclusion if the search stopped now for `reason`.
    pub fn conclusion(&self, reason: StopReason) -> Conclusion {
        let best = self
            .posterior()
            .into_iter()
            .next()
            .map(|b| (b.trigger_point, b.probability));
        let none = self.none_probability();
        let threshold = self.settings.threshold;
        let outcome = match &best {
            Some((_, p)) if *p >= threshold => Outcome::Found,
            _ if none >= threshold => Outcome::NoneFound,
            _ => Outcome::Unsure,
        };
        let (trigger_point, probability) = match best {
            Some((id, p)) if outcome != Outcome::NoneFound => (Some(id), p),
            _ => (None, 0.0),
        };
        Conclusion {
            outcome,
            reason,
            also_reproduced: self
                .presses
                .iter()
                .filter(|p| p.reproduces && Some(&p.trigger_point) != trigger_point.as_ref())
                .map(|p| p.trigger_point.clone())
                .collect(),
            trigger_point,
            probability,
            none_probability: none,
            presses: self.presses.len(),
        }
    }

    fn index(&self, id: &TriggerPointId) -> Option<usize> {
        self.spots.iter().position(|t| &t.id == id)
    }

    fn unpressed(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.spots.len()).filter(|&j| !self.pressed[j])
    }

    /// P(tenderness t, reproduces r at spot j | hypothesis m).
    fn answer_likelihood(&self, m: usize, j: usize, t: usize, r: usize) -> f64 {
        if m == j {
            return self.lik[MOTHER][t][r];
        }
        let s = self.link[m * self.spots.len() + j];
        s * self.lik[SATELLITE][t][r] + (1.0 - s) * self.lik[INACTIVE][t][r]
    }

    /// Expected information gain in nats: H(posterior) - E_answer[H(posterior | answer)].
    fn gain_nats(&self, j: usize) -> f64 {
        let h0 = -self.post.iter().map(|&p| xlnx(p)).sum::<f64>();
        // E[H(post | o)] = Σ_o [ z_o ln z_o - Σ_m w_mo ln w_mo ], w_mo = post_m · L(o | m).
        let mut expected = 0.0;
        for t in 0..=10 {
            for r in 0..2 {
                let mut z = 0.0;
                let mut wlnw = 0.0;
                for m in 0..self.post.len() {
                    let w = self.post[m] * self.answer_likelihood(m, j, t, r);
                    z += w;
                    wlnw += xlnx(w);
                }
                expected += xlnx(z) - wlnw;
            }
        }
        h0 - expected
    }
}

fn xlnx(x: f64) -> f64 {
    if x > 0.0 { x * x.ln() } else { 0.0 }
}

/// P(spot `j` is an active satellite | `mother` is the mother knot): the largest of the
/// same-muscle, body-map-distance and background terms.
pub fn satellite_probability(model: &Model, mother: &TriggerPoint, j: &TriggerPoint) -> f64 {
    let mut s = model.background;
    if mother.muscle == j.muscle {
        s = s.max(model.same_muscle);
    }
    // Coordinates are only comparable on the same view.
    if mother.view == j.view {
        let d = (mother.x - j.x).hypot(mother.y - j.y);
        s = s.max(model.near * (-d / model.near_scale).exp());
    }
    s
}

/// `lik[state][t][r]` for the states mother, satellite, inactive.
fn likelihood_table(model: &Model) -> [[[f64; 2]; 11]; 3] {
    let mut lik = [[[0.0; 2]; 11]; 3];
    for (state, (tender, rep)) in [
        (model.mother, model.reproduces_mother),
        (model.satellite, model.reproduces_satellite),
        (model.inactive, model.reproduces_inactive),
    ]
    .into_iter()
    .enumerate()
    {
        let mut p = tenderness_distribution(tender, model.floor);
        if state == MOTHER {
            let w = model.mother_like_satellite;
            let q = tenderness_distribution(model.satellite, model.floor);
            for (pt, qt) in p.iter_mut().zip(q) {
                *pt = (1.0 - w) * *pt + w * qt;
            }
        }
        for t in 0..=10 {
            lik[state][t][0] = p[t] * (1.0 - rep);
            lik[state][t][1] = p[t] * rep;
        }
    }
    lik
}

/// P(tenderness = t) for t in 0..=10: a normal rounded to the nearest integer, the tails folded
/// onto 0 and 10, mixed with a uniform floor.
pub fn tenderness_distribution(t: Tenderness, floor: f64) -> [f64; 11] {
    let cdf = |x: f64| normal_cdf((x - t.mean) / t.sd);
    let mut p = [0.0; 11];
    for (k, pk) in p.iter_mut().enumerate() {
        let k = k as f64;
        let lo = if k == 0.0 { 0.0 } else { cdf(k - 0.5) };
        let hi = if k == 10.0 { 1.0 } else { cdf(k + 0.5) };
        *pk = (1.0 - floor) * (hi - lo) + floor / 11.0;
    }
    p
}

/// The standard normal CDF (Abramowitz & Stegun 7.1.26 for erf; error below 1.5e-7).
fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// Looks up a candidate by id for a caller that holds text (e.g. an answers file).
///
/// # Errors
/// [`UnknownId`] listing the closest candidate ids.
pub fn candidate<'a>(search: &Search<'a>, id: &str) -> Result<&'a TriggerPoint, UnknownId> {
    search
        .candidates()
        .iter()
        .find(|t| t.id.as_str() == id)
        .copied()
        .ok_or_else(|| {
            UnknownId::new(
                "search candidate",
                id,
                search.candidates().iter().map(|t| t.id.as_str()),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Side;
    use crate::region::Region;
    use proptest::prelude::*;

    fn query(regions: &[&str]) -> Query {
        Query {
            regions: regions.iter().map(|r| Region::parse(r).unwrap()).collect(),
            side: Side::Left,
            context: Some(crate::journal::Context::DuringRun),
            onset_km: None,
        }
    }

    fn search(regions: &[&str], settings: Settings) -> Search<'static> {
        Search::new(
            Atlas::shipped(),
            &query(regions),
            &[],
            Model::default(),
            settings,
        )
    }

    fn press(id: &TriggerPointId, t: u8, reproduces: bool) -> Press {
        Press {
            trigger_point: id.clone(),
            tenderness: Nrs::new(t).unwrap(),
            reproduces,
        }
    }

    /// Plays a search to its end with answers from `answer`, returning the questions asked.
    fn play(
        mut s: Search<'_>,
        answer: impl Fn(&TriggerPoint) -> (u8, bool),
    ) -> (Vec<TriggerPointId>, Conclusion) {
        let mut asked = Vec::new();
        loop {
            match s.next() {
                Step::Press(tp) => {
                    let (t, r) = answer(tp);
                    asked.push(tp.id.clone());
                    s.record(press(&tp.id, t, r)).unwrap();
                }
                Step::Stop(c) => return (asked, c),
            }
        }
    }

    #[test]
    fn the_prior_follows_the_finder_and_sums_to_one() {
        let s = search(&["lateral_knee"], Settings::default());
        let total: f64 =
            s.posterior().iter().map(|b| b.probability).sum::<f64>() + s.none_probability();
        assert!((total - 1.0).abs() < 1e-12);
        assert!((s.none_probability() - Model::default().none_prior).abs() < 1e-12);
        let scored = finder::score_all(Atlas::shipped(), &query(&["lateral_knee"]), &[]);
        let best = scored
            .iter()
            .max_by(|a, b| {
                a.score
                    .total_cmp(&b.score)
                    .then(b.trigger_point.id.cmp(&a.trigger_point.id))
            })
            .unwrap();
        assert_eq!(s.candidates()[0].id, best.trigger_point.id);
        assert_eq!(s.posterior()[0].trigger_point, best.trigger_point.id);
    }

    #[test]
    fn tenderness_distributions_sum_to_one() {
        let m = Model::default();
        for t in [m.mother, m.satellite, m.inactive] {
            let sum: f64 = tenderness_distribution(t, m.floor).iter().sum();
            assert!((sum - 1.0).abs() < 1e-6, "{sum}");
        }
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.96) - 0.975).abs() < 1e-4);
    }

    /// The condition behind the property test below: for every tenderness, a "reproduces" answer
    /// is likelier from the mother than from a satellite or an inactive spot, so it is likelier
    /// under "this spot is the mother" than under any mixture the other hypotheses give it.
    #[test]
    fn confirming_answers_favour_the_spot() {
        let lik = likelihood_table(&Model::default());
        for (t, mother) in lik[MOTHER].iter().enumerate() {
            assert!(mother[1] > lik[SATELLITE][t][1], "t={t}");
            assert!(mother[1] > lik[INACTIVE][t][1], "t={t}");
        }
    }

    #[test]
    fn a_tender_reproducing_spot_is_found_and_neighbours_share_evidence() {
        let s = search(&["lateral_knee"], Settings::default());
        let vl = TriggerPointId("vastus_lateralis_distal".into());
        let (asked, c) = play(
            s.clone(),
            |tp| {
                if tp.id == vl { (9, true) } else { (2, false) }
            },
        );
        // Found at 90%, or named as the best guess once no press is worth it any more.
        assert!(
            c.outcome == Outcome::Found
                || (c.reason == StopReason::NoUsefulSpot && c.probability > 0.8),
            "{c:?} after {asked:?}"
        );
        assert_eq!(c.trigger_point, Some(vl.clone()));
        assert!(c.presses <= 6, "{asked:?}");
        // Without the look-ahead stop it keeps pressing until it is 90% sure.
        let threshold_only = Settings {
            min_accuracy_gain: 0.0,
            ..Settings::default()
        };
        let (asked, c) = play(search(&["lateral_knee"], threshold_only), |tp| {
            if tp.id == vl { (9, true) } else { (2, false) }
        });
        assert_eq!(c.outcome, Outcome::Found, "{c:?} after {asked:?}");
        assert_eq!(c.trigger_point, Some(vl.clone()));

        // A not-tender answer lowers the spot and, less, its near neighbours in the same muscle.
        let mut s2 = s.clone();
        let sibling = TriggerPointId("vastus_lateralis_mid".into());
        let far = TriggerPointId("gluteus_minimus_anterior".into());
        let before = (
            s2.probability(&sibling).unwrap(),
            s2.probability(&far).unwrap(),
        );
        s2.record(press(&vl, 0, false)).unwrap();
        let after = (
            s2.probability(&sibling).unwrap(),
            s2.probability(&far).unwrap(),
        );
        assert!(
            after.0 / before.0 < after.1 / before.1,
            "{before:?} {after:?}"
        );
    }

    #[test]
    fn nothing_reproducing_ends_without_a_false_find() {
        let (asked, c) = play(search(&["heel"], Settings::default()), |_| (1, false));
        assert_ne!(c.outcome, Outcome::Found, "{asked:?}");
        assert!(c.none_probability > Model::default().none_prior);
    }

    #[test]
    fn bad_answers_are_refused_and_change_nothing() {
        let mut s = search(&["heel"], Settings::default());
        let first = s.candidates()[0].id.clone();
        let not = TriggerPointId("tensor_fasciae_latae".into());
        assert_eq!(
            s.record(press(&not, 5, true)),
            Err(SearchError::NotACandidate(not.clone()))
        );
        s.record(press(&first, 5, false)).unwrap();
        let before = s.posterior();
        assert_eq!(
            s.record(press(&first, 9, true)),
            Err(SearchError::AlreadyPressed(first.clone()))
        );
        assert_eq!(before, s.posterior());
        assert!(candidate(&s, "tensor_fasciae_late").is_err());
    }

    #[test]
    fn the_budget_and_empty_candidate_lists_stop_the_search() {
        let settings = Settings {
            budget: 2,
            ..Settings::default()
        };
        let (asked, c) = play(search(&["lateral_knee"], settings), |_| (5, false));
        assert_eq!(asked.len(), 2);
        assert_eq!(c.reason, StopReason::Budget);
        let empty = Search::with_prior(Vec::new(), Model::default(), Settings::default());
        match empty.next() {
            Step::Stop(c) => assert_eq!(c.reason, StopReason::NoCandidates),
            Step::Press(tp) => panic!("pressed {}", tp.id),
        }
    }

    #[test]
    fn information_gain_is_non_negative_and_most_likely_rule_presses_the_top() {
        let s = search(&["posterior_knee"], Settings::default());
        for tp in s.candidates() {
            assert!(s.expected_gain_bits(&tp.id).unwrap() >= -1e-9);
        }
        let ml = search(
            &["posterior_knee"],
            Settings {
                rule: Rule::MostLikely,
                ..Settings::default()
            },
        );
        match ml.next() {
            Step::Press(tp) => assert_eq!(tp.id, ml.posterior()[0].trigger_point),
            Step::Stop(c) => panic!("{c:?}"),
        }
    }

    const PATTERNS: &[&[&str]] = &[
        &["lateral_knee"],
        &["heel"],
        &["posterior_knee"],
        &["low_back", "buttock"],
        &["plantar_forefoot"],
    ];

    fn answers() -> impl Strategy<Value = Vec<(usize, u8, bool)>> {
        proptest::collection::vec((0usize..64, 0u8..=10, any::<bool>()), 0..8)
    }

    proptest! {
        /// A "yes, that brings on my pain" answer never lowers the posterior of the spot pressed,
        /// whatever was answered before and however tender it was.
        #[test]
        fn confirming_a_spot_never_lowers_its_posterior(
            pattern in 0usize..PATTERNS.len(),
            history in answers(),
            pick in 0usize..64,
            t in 0u8..=10,
        ) {
            let mut s = search(PATTERNS[pattern], Settings::default());
            let n = s.candidates().len();
            for (i, ht, hr) in history {
                let id = s.candidates()[i % n].id.clone();
                let _ = s.record(press(&id, ht, hr)); // repeats are refused; fine here
            }
            let unpressed: Vec<TriggerPointId> = s.candidates().iter()
                .map(|t| t.id.clone()).filter(|id| !s.is_pressed(id)).collect();
            prop_assume!(!unpressed.is_empty());
            let id = unpressed[pick % unpressed.len()].clone();
            let before = s.probability(&id).unwrap();
            s.record(press(&id, t, true)).unwrap();
            let after = s.probability(&id).unwrap();
            prop_assert!(after >= before * (1.0 - 1e-12), "{id}: {before} -> {after}");
        }

        /// The same answers give the same questions and the same conclusion.
        #[test]
        fn the_same_answers_give_the_same_questions(
            pattern in 0usize..PATTERNS.len(),
            seed in any::<u64>(),
            most_likely: bool,
        ) {
            let settings = Settings {
                rule: if most_likely { Rule::MostLikely } else { Rule::InformationGain },
                ..Settings::default()
            };
            // A deterministic answer per spot, from the seed and the spot's id.
            let answer = |tp: &TriggerPoint| {
                let h = tp.id.as_str().bytes().fold(seed, |h, b| {
                    (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
                });
                ((h % 11) as u8, (h >> 8) % 4 == 0)
            };
            let a = play(search(PATTERNS[pattern], settings), answer);
            let b = play(search(PATTERNS[pattern], settings), answer);
            prop_assert_eq!(a, b);
        }
    }
}
