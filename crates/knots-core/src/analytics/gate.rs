//! The pain-monitoring gate for the next step: green (progress), amber (repeat the step) or red
//! (step back), after the Silbernagel 2007 / Thomeé 1997 pain-monitoring model (domain brief 5.2).
//!
//! The model: pain 0-2 is safe, 2-5 acceptable, above 5 high risk; pain during activity may reach
//! 5/10; pain after it may reach 5/10 but must settle by the next morning; pain and stiffness must
//! not increase week to week. Our gate on top of it (domain brief 5.2, "suggested knots gate"),
//! with the exact boundaries used here:
//!
//! - **red**: a red flag is active; or the worst pain during runs in the last 7 days is above 5;
//!   or the latest next-morning pain is above 2 *and* higher than the morning before it; or the
//!   week got worse (the mean of the daily worst pain rose by 1 point or more on the week before,
//!   a whole point because the scale is whole numbers).
//! - **amber**: run pain 3-5; or the latest next-morning pain is above 0 (not fully settled); or no
//!   run in the last 7 days to judge by.
//! - **green**: otherwise (run pain 0-2, mornings settled, the week not worse).

use super::{add_days, days_between};
use crate::journal::{Context, Journal};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::collections::BTreeMap;

/// A gate colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    /// All rules met: may progress.
    Green,
    /// Pain 3-5 or the morning not fully settled: repeat the step.
    Amber,
    /// Pain above 5, mornings getting worse, a worse week or a red flag: step back.
    Red,
}

impl Colour {
    /// The colour's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Colour::Green => "green",
            Colour::Amber => "amber",
            Colour::Red => "red",
        }
    }

    /// What it means for the next step.
    pub fn action(self) -> &'static str {
        match self {
            Colour::Green => "may progress to the next step",
            Colour::Amber => "repeat the current step",
            Colour::Red => "step back",
        }
    }
}

/// What the gate looks at, already gathered from the journal.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Inputs {
    /// A red flag is active.
    pub red_flag: bool,
    /// The number of runs in the last 7 days.
    pub runs_7d: usize,
    /// The worst pain during runs in the last 7 days (a run without a pain score counts as 0).
    pub run_pain: Option<u8>,
    /// Whether any run or pain report of the last 7 days gave a pain score during or after a
    /// run (else `run_pain` rests on runs recorded without one).
    pub run_pain_recorded: bool,
    /// The latest next-morning pain in the last 7 days.
    pub morning: Option<u8>,
    /// The next-morning pain recorded before that one (within 14 days).
    pub morning_before: Option<u8>,
    /// Mean of the daily worst pain over the last 7 days (days with a record).
    pub week_mean: Option<f64>,
    /// The same over the 7 days before.
    pub prev_week_mean: Option<f64>,
}

/// The gate with its reasons.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Gate {
    /// The colour.
    pub colour: Colour,
    /// Why, one sentence per rule that decided or was checked.
    pub reasons: Vec<String>,
    /// What it looked at.
    pub inputs: Inputs,
}

/// Decides the gate from its inputs (the boundaries are in the module docs).
///
/// # Examples
/// ```
/// use knots_core::analytics::gate::{decide, Colour, Inputs};
/// let quiet = Inputs { runs_7d: 2, run_pain: Some(2), morning: Some(0), ..Inputs::default() };
/// assert_eq!(decide(&quiet).colour, Colour::Green);
/// let sore = Inputs { run_pain: Some(6), ..quiet.clone() };
/// assert_eq!(decide(&sore).colour, Colour::Red);
/// ```
pub fn decide(i: &Inputs) -> Gate {
    let mut red = Vec::new();
    let mut amber = Vec::new();
    if i.red_flag {
        red.push("a red flag is active: see a clinician before progressing".to_string());
    }
    match i.run_pain {
        Some(p) if p > 5 => red.push(format!(
            "pain during runs reached {p}/10 this week, above the 5/10 the model allows"
        )),
        Some(p) if p >= 3 => amber.push(format!(
            "pain during runs reached {p}/10 this week: acceptable (up to 5), not yet safe (0-2)"
        )),
        _ => {}
    }
    match (i.morning, i.morning_before) {
        (Some(m), Some(b)) if m > 2 && m > b => red.push(format!(
            "next-morning pain rose to {m}/10 from {b}/10: it did not settle"
        )),
        (Some(m), _) if m > 0 => amber.push(format!(
            "next-morning pain was {m}/10: not fully settled by the morning"
        )),
        _ => {}
    }
    match (i.week_mean, i.prev_week_mean) {
        (Some(w), Some(p)) if w >= p + 1.0 => red.push(format!(
            "this week was worse: mean daily worst pain {w:.1}/10 against {p:.1}/10 the week before"
        )),
        _ => {}
    }
    if i.runs_7d == 0 {
        amber
            .push("no run in the last 7 days to judge by: repeat the last step you managed".into());
    }
    let colour = if !red.is_empty() {
        Colour::Red
    } else if !amber.is_empty() {
        Colour::Amber
    } else {
        Colour::Green
    };
    let mut reasons: Vec<String> = red.into_iter().chain(amber).collect();
    if colour == Colour::Green {
        let during = if i.run_pain_recorded {
            format!(
                "pain during runs this week at most {}/10 (0-2 is safe)",
                i.run_pain.unwrap_or(0)
            )
        } else {
            "no pain score recorded for this week's runs (a run without one counts as pain-free)"
                .to_string()
        };
        let morning = if i.morning.is_some() {
            "next-morning pain settled"
        } else {
            "no next-morning pain recorded"
        };
        reasons.push(format!(
            "{during}, {morning}, and the week not worse than the one before"
        ));
    }
    reasons.push(format!("{}: {}", colour.as_str(), colour.action()));
    Gate {
        colour,
        reasons,
        inputs: i.clone(),
    }
}

/// Gathers the inputs from `journal` as of `today` (pain reports dated in `tz`).
pub fn inputs(journal: &Journal, today: Date, tz: &TimeZone, red_flag: bool) -> Inputs {
    let week_start = add_days(today, -6);
    let in_days = |d: Date, from: i64, to: i64| {
        days_between(d, today).is_some_and(|ago| ago >= from && ago <= to)
    };
    // Daily worst pain during runs, and next-morning pain by the morning's date.
    let mut run_pain: BTreeMap<Date, u8> = BTreeMap::new();
    let mut morning: BTreeMap<Date, u8> = BTreeMap::new();
    fn bump(m: &mut BTreeMap<Date, u8>, d: Date, v: u8) {
        let e = m.entry(d).or_insert(v);
        *e = (*e).max(v);
    }
    let in_week = |d: Date| d >= week_start && d <= today;
    let mut runs_7d = 0;
    let mut run_pain_recorded = false;
    for r in &journal.runs {
        let d = r.item.date;
        if in_week(d) {
            runs_7d += 1;
            run_pain_recorded |= r.item.max_pain.is_some();
        }
        bump(&mut run_pain, d, r.item.max_pain.map_or(0, |p| p.value()));
        if let Some(m) = r.item.pain_next_morning {
            bump(&mut morning, add_days(d, 1), m.value());
        }
    }
    for c in &journal.checkins {
        if let Some(m) = c.item.morning_pain {
            bump(&mut morning, c.item.date, m.value());
        }
    }
    for p in &journal.pain_reports {
        let d = p.item.at.to_zoned(tz.clone()).date();
        match p.item.context {
            Context::DuringRun | Context::AfterRun => {
                run_pain_recorded |= in_week(d);
                bump(&mut run_pain, d, p.item.pain.value());
            }
            Context::Morning => bump(&mut morning, d, p.item.pain.value()),
            Context::Rest | Context::Night => {}
        }
    }
    let worst_run = run_pain.range(week_start..=today).map(|(_, v)| *v).max();
    let mut mornings = morning.range(add_days(today, -13)..=today).rev();
    let latest = mornings.next().filter(|(d, _)| **d >= week_start);
    let before = latest.and_then(|_| mornings.next()).map(|(_, v)| *v);
    let week_mean = |from: i64, to: i64| {
        let mut daily: BTreeMap<Date, u8> = BTreeMap::new();
        for (d, v) in run_pain.iter().chain(morning.iter()) {
            if in_days(*d, from, to) {
                let e = daily.entry(*d).or_insert(*v);
                *e = (*e).max(*v);
            }
        }
        (!daily.is_empty())
            .then(|| daily.values().map(|v| f64::from(*v)).sum::<f64>() / daily.len() as f64)
    };
    Inputs {
        red_flag,
        runs_7d,
        run_pain: worst_run,
        run_pain_recorded,
        morning: latest.map(|(_, v)| *v),
        morning_before: before,
        week_mean: week_mean(0, 6),
        prev_week_mean: week_mean(7, 13),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(i: Inputs, expected: Colour) {
        let g = decide(&i);
        assert_eq!(g.colour, expected, "{i:?} → {:?}", g.reasons);
        assert!(!g.reasons.is_empty());
    }

    fn base() -> Inputs {
        Inputs {
            runs_7d: 3,
            run_pain: Some(0),
            morning: Some(0),
            morning_before: Some(0),
            week_mean: Some(1.0),
            prev_week_mean: Some(1.0),
            red_flag: false,
            run_pain_recorded: true,
        }
    }

    #[test]
    fn a_pain_score_counts_as_recorded_only_when_given() {
        let today: Date = "2026-05-20".parse().unwrap();
        let mut j = Journal::default();
        let mut unscored = crate::analytics::tests::run(1, "2026-05-18", 5.0, None, 0);
        unscored.item.max_pain = None;
        j.runs.push(unscored);
        let i = inputs(&j, today, &TimeZone::UTC, false);
        assert_eq!(
            (i.runs_7d, i.run_pain, i.run_pain_recorded),
            (1, Some(0), false)
        );
        j.runs
            .push(crate::analytics::tests::run(2, "2026-05-19", 5.0, None, 1));
        let i = inputs(&j, today, &TimeZone::UTC, false);
        assert_eq!((i.run_pain, i.run_pain_recorded), (Some(1), true));
    }

    #[test]
    fn green_says_what_was_not_recorded() {
        let said = |i: Inputs| decide(&i).reasons.join(" | ");
        let recorded = said(base());
        assert!(
            recorded.contains("at most 0/10") && recorded.contains("settled"),
            "{recorded}"
        );
        let silent = said(Inputs {
            run_pain_recorded: false,
            morning: None,
            morning_before: None,
            ..base()
        });
        assert!(silent.contains("no pain score recorded"), "{silent}");
        assert!(silent.contains("no next-morning pain recorded"), "{silent}");
        assert!(
            !silent.contains("at most 0/10") && !silent.contains("settled"),
            "{silent}"
        );
    }

    #[test]
    fn run_pain_boundaries() {
        for (p, c) in [
            (0, Colour::Green),
            (2, Colour::Green),
            (3, Colour::Amber),
            (5, Colour::Amber),
            (6, Colour::Red),
        ] {
            check(
                Inputs {
                    run_pain: Some(p),
                    ..base()
                },
                c,
            );
        }
    }

    #[test]
    fn morning_boundaries() {
        let m = |morning, before| Inputs {
            morning: Some(morning),
            morning_before: before,
            ..base()
        };
        check(m(0, Some(0)), Colour::Green);
        check(m(1, Some(0)), Colour::Amber); // not settled, but low
        check(m(2, Some(0)), Colour::Amber);
        check(m(3, Some(2)), Colour::Red); // above 2 and higher than before
        check(m(3, Some(3)), Colour::Amber); // not higher than before
        check(m(3, None), Colour::Amber);
    }

    #[test]
    fn week_and_flags_boundaries() {
        let w = |now: f64, before: f64| Inputs {
            week_mean: Some(now),
            prev_week_mean: Some(before),
            ..base()
        };
        check(w(1.9, 1.0), Colour::Green);
        check(w(2.0, 1.0), Colour::Red);
        check(
            Inputs {
                red_flag: true,
                ..base()
            },
            Colour::Red,
        );
        check(
            Inputs {
                runs_7d: 0,
                run_pain: None,
                ..base()
            },
            Colour::Amber,
        );
    }
}
