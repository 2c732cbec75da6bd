//! The return-to-run plan: the next 2-4 weeks of walk-run or run sessions with distances, from the
//! current state (the longest recent pain-free run), the gate and the load ratio.
//!
//! The ladder starts with the walk-run phases of a standard programme (Trials2023) (domain brief
//! 5.3; miles converted to km: 1.0 mi = 1.6 km, 1.5 mi = 2.4 km, 2.0 mi = 3.2 km) and continues
//! with continuous runs. Sessions fall every other day (a rest day between runs), three a week, so
//! each step is done at least twice before the next; a step up is taken only while the gate stays
//! green and the load ratio is not above 1.3.

use super::gate::{Colour, Gate};
use super::{add_days, days_between};
use crate::journal::{Entry, Run};
use jiff::civil::Date;

/// One rung of the ladder.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Step {
    /// Minutes walking per block (0 for a continuous run).
    pub walk_min: u8,
    /// Minutes running per block (0 for a continuous run).
    pub run_min: u8,
    /// The session's distance.
    pub km: f64,
    /// The target effort, CR-10.
    pub rpe: u8,
}

impl Step {
    /// Whether the step is walk-run.
    pub fn is_walk_run(&self) -> bool {
        self.walk_min > 0
    }

    /// The step in words.
    pub fn describe(&self) -> String {
        if self.is_walk_run() {
            format!(
                "walk {} min / run {} min to {:.1} km at RPE {}",
                self.walk_min, self.run_min, self.km, self.rpe
            )
        } else {
            format!("run {:.1} km continuously at RPE {}", self.km, self.rpe)
        }
    }
}

const fn step(walk_min: u8, run_min: u8, km: f64, rpe: u8) -> Step {
    Step {
        walk_min,
        run_min,
        km,
        rpe,
    }
}

/// The ladder, easiest first.
pub const LADDER: [Step; 15] = [
    step(2, 3, 1.6, 3),
    step(2, 3, 2.4, 3),
    step(2, 4, 2.4, 4),
    step(2, 4, 3.2, 4),
    step(1, 4, 3.2, 5),
    step(0, 0, 3.2, 5),
    step(0, 0, 4.0, 5),
    step(0, 0, 5.0, 5),
    step(0, 0, 6.0, 5),
    step(0, 0, 7.0, 5),
    step(0, 0, 8.0, 5),
    step(0, 0, 10.0, 5),
    step(0, 0, 12.0, 5),
    step(0, 0, 14.0, 5),
    step(0, 0, 16.0, 5),
];

/// A planned session.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Session {
    /// The day.
    pub date: Date,
    /// "walk-run" or "run".
    pub kind: &'static str,
    /// The distance.
    pub km: f64,
    /// Walk minutes per block (walk-run only).
    pub walk_min: Option<u8>,
    /// Run minutes per block (walk-run only).
    pub run_min: Option<u8>,
    /// Target effort, CR-10.
    pub rpe: u8,
    /// In words.
    pub text: String,
}

/// A week of the plan.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Week {
    /// 1-based.
    pub number: usize,
    /// The ladder step (index into [`LADDER`]).
    pub step: usize,
    /// The sessions.
    pub sessions: Vec<Session>,
    /// The condition for doing this week as planned.
    pub condition: String,
}

/// The plan with its reasons.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Plan {
    /// The step the runner is on now (index into [`LADDER`]).
    pub current_step: usize,
    /// The weeks.
    pub weeks: Vec<Week>,
    /// Why it looks like this.
    pub why: Vec<String>,
    /// Rules that apply to every session.
    pub rules: Vec<String>,
}

/// The step matching the runner's state: the highest continuous step no longer than the longest
/// run of the last 14 days that stayed at 0-2 pain, or one below the pain onset of the runs that
/// hurt; the first walk-run step without recent runs.
pub fn current_step(runs: &[Entry<Run>], today: Date) -> (usize, String) {
    let recent: Vec<&Run> = runs
        .iter()
        .map(|r| &r.item)
        .filter(|r| days_between(r.date, today).is_some_and(|d| (0..14).contains(&d)))
        .collect();
    if recent.is_empty() {
        return (
            0,
            "no run in the last 14 days: start at the first walk-run step".into(),
        );
    }
    let ok = |r: &&&Run| r.max_pain.is_none_or(|p| p.value() <= 2);
    let best = recent
        .iter()
        .filter(ok)
        .map(|r| r.km.value())
        .fold(0.0, f64::max);
    let at_or_below = |km: f64| {
        LADDER
            .iter()
            .rposition(|s| s.km <= km + 1e-9 && (!s.is_walk_run() || km < 3.2))
    };
    if best > 0.0 {
        let i = at_or_below(best).unwrap_or(0);
        return (
            i,
            format!(
                "longest run at 0-2/10 pain in the last 14 days: {best:.1} km → step {}: {}",
                i + 1,
                LADDER[i].describe()
            ),
        );
    }
    let onset = recent.iter().map(|r| r.pain_free_km()).fold(0.0, f64::max);
    let i = at_or_below(onset).unwrap_or(0).saturating_sub(1);
    (
        i,
        format!(
            "every run of the last 14 days went above 2/10; pain began after {onset:.1} km at best \
             → one step below that: step {}: {}",
            i + 1,
            LADDER[i].describe()
        ),
    )
}

/// Builds the plan starting the day after `today`.
///
/// `ratio` is the EWMA acute:chronic ratio when known.
pub fn plan(runs: &[Entry<Run>], today: Date, gate: &Gate, ratio: Option<f64>) -> Plan {
    let (now, state) = current_step(runs, today);
    let mut why = vec![state];
    let high_ratio = ratio.is_some_and(|r| r > super::load::SWEET_SPOT_HIGH);
    let (weeks, first, climb) = match gate.colour {
        Colour::Red => {
            why.push(
                "gate red: step back one step and hold it for two weeks before trying again".into(),
            );
            (2, now.saturating_sub(1), false)
        }
        Colour::Amber => {
            why.push(
                "gate amber: repeat the current step this week; step up only once the gate is green"
                    .into(),
            );
            (3, now, !high_ratio)
        }
        Colour::Green if high_ratio => {
            why.push(
                "gate green, but the load ratio is above 1.3: hold this week, then step up".into(),
            );
            (4, now, true)
        }
        Colour::Green => {
            why.push("gate green: one step up a week while it stays green".into());
            (4, (now + 1).min(LADDER.len() - 1), true)
        }
    };
    if let Some(r) = ratio {
        why.push(format!(
            "EWMA load ratio {r:.2} ({})",
            if high_ratio {
                "above 1.3: no extra step"
            } else {
                "not above 1.3"
            }
        ));
    }
    let mut out = Vec::new();
    let mut s = first;
    for w in 0..weeks {
        if w > 0 && climb {
            s = (s + 1).min(LADDER.len() - 1);
        }
        let st = LADDER[s];
        let sessions = [1, 3, 5]
            .iter()
            .enumerate()
            .map(|(k, off)| {
                // Continuous steps: two easier runs and one at the step's distance.
                let km = if st.is_walk_run() || k == 2 {
                    st.km
                } else {
                    ((st.km * 0.7) * 2.0).round() / 2.0
                };
                let date = add_days(today, (w * 7 + off) as i64);
                Session {
                    date,
                    kind: if st.is_walk_run() { "walk-run" } else { "run" },
                    km,
                    walk_min: st.is_walk_run().then_some(st.walk_min),
                    run_min: st.is_walk_run().then_some(st.run_min),
                    rpe: st.rpe,
                    text: if st.is_walk_run() {
                        st.describe()
                    } else {
                        format!("run {km:.1} km easy at RPE {}", st.rpe)
                    },
                }
            })
            .collect();
        let condition = if w == 0 {
            "as planned if today's gate holds".to_string()
        } else {
            "only if the gate was green at the end of the week before; else repeat that week"
                .to_string()
        };
        out.push(Week {
            number: w + 1,
            step: s,
            sessions,
            condition,
        });
    }
    Plan {
        current_step: now,
        weeks: out,
        why,
        rules: vec![
            "a rest day between runs (cross-train on the days between if you like)".into(),
            "pain during a run may reach 5/10 at most; stop the session above that".into(),
            "pain must settle by the next morning, and must not grow week to week".into(),
            "flat ground, no cambered roads, while returning".into(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::gate::{Inputs, decide};
    use crate::analytics::tests::run;

    fn gate(run_pain: u8) -> Gate {
        decide(&Inputs {
            runs_7d: 2,
            run_pain: Some(run_pain),
            morning: Some(0),
            ..Inputs::default()
        })
    }

    #[test]
    fn the_plan_follows_the_gate() {
        let today: Date = "2026-05-20".parse().unwrap();
        let runs = vec![run(1, "2026-05-18", 5.0, None, 0)];
        let green = plan(&runs, today, &gate(0), Some(1.0));
        assert_eq!(LADDER[green.current_step].km, 5.0);
        assert_eq!(green.weeks.len(), 4);
        assert_eq!(LADDER[green.weeks[0].step].km, 6.0);
        assert_eq!(LADDER[green.weeks[3].step].km, 10.0);
        assert_eq!(
            green.weeks[0].sessions[0].date,
            "2026-05-21".parse().unwrap()
        );
        let amber = plan(&runs, today, &gate(4), Some(1.0));
        assert_eq!(amber.weeks[0].step, amber.current_step);
        let red = plan(&runs, today, &gate(7), Some(1.0));
        assert_eq!(red.weeks.len(), 2);
        assert!(red.weeks.iter().all(|w| w.step + 1 == red.current_step));
        let spiky = plan(&runs, today, &gate(0), Some(1.6));
        assert_eq!(spiky.weeks[0].step, spiky.current_step);
        // Nothing recent: the first walk-run step.
        let fresh = plan(&[], today, &gate(0), None);
        assert_eq!(fresh.current_step, 0);
        assert_eq!(fresh.weeks[0].sessions[0].kind, "walk-run");
    }
}
