//! The return-to-run plan: the next 2-4 weeks of walk-run or run sessions with distances, from the
//! current state (the longest recent pain-free run), the gate and the load ratio.
//!
//! The ladder starts with the walk-run phases of a standard programme (Trials2023) (domain brief
//! 5.3; miles converted to km: 1.0 mi = 1.6 km, 1.5 mi = 2.4 km, 2.0 mi = 3.2 km) and continues
//! with continuous runs. Sessions fall every other day (a rest day between runs), three a week, so
//! each step is done at least twice before the next; a step up is taken only while the gate stays
//! green and the load ratio is not above 1.3.
//!
//! Every planned session is then fitted to the plan's rules, which the plan states in
//! [`Plan::rules`] with the runner's own numbers:
//!
//! - **week cap**: no planned week more than 30% above the runner's recent running, the higher of
//!   the last 7 days' km and the mean week of the last 28 days (Nielsen2014 linked > 30% increases
//!   to more injuries); each later week at most 30% above the planned week before it. From zero
//!   (no km in the last 28 days) the plan starts at the first walk-run step instead.
//! - **long-run cap**: no planned run longer than 110% of the longest run of the last 14 days at
//!   pain 0-2 (the plan is redrawn from the runs actually done, so the cap rises as they are).
//! - **amber** repeats the current volume (the last 7 days' km; the mean week of the last 28 days
//!   when the last 7 days had no run).
//! - **red** steps back: no continuous run longer than where the pain began in the latest painful
//!   run of the last 28 days — a walk-run's run bouts too, at the runner's own pace (no running at
//!   all when the pain began within the first minute) — and no week above the last 7 days' km.
//! - **no pain-free run**: when no run of the last 14 days stayed at pain 0-2, no planned run
//!   reaches where the pain began in the latest painful run.
//! - **a red flag** (see [`crate::safety`]) plans no running at all: a clinician first.
//! - **easy** is RPE 2-3 on the CR-10 scale (3 moderate, 5 hard); knots plans nothing harder (the
//!   programme's RPE 4-5 in its later walk-run phases is capped at 3 here).
//!
//! Fitting keeps the long run and shortens the easy runs first; when the week cap leaves less than
//! [`MIN_SESSION_KM`] for each easy run, the three sessions become equal; sessions under 1 km are
//! dropped. Distances are rounded *down* to 0.1 km, so a rounded plan never breaks a cap.

use super::gate::{Colour, Gate};
use super::load::WEEKLY_SPIKE;
use super::{add_days, days_between};
use crate::journal::{Entry, Run};
use jiff::civil::Date;

/// How much longer than the longest recent run at pain 0-2 a planned run may be (+10%).
pub const LONG_RUN_GROWTH: f64 = 0.10;
/// The shortest easy run kept beside a long run (the first walk-run step's distance).
pub const MIN_SESSION_KM: f64 = 1.6;
/// The easy effort band on the CR-10 scale (Foster's CR-10: 3 moderate, 5 hard).
pub const EASY_RPE: (u8, u8) = (2, 3);
/// The pace assumed for a runner with no timed run, in minutes per km: a brisk one, so that a
/// run bout kept short of a distance is short enough for most runners.
pub const ASSUMED_PACE_MIN_PER_KM: f64 = 5.0;

/// One rung of the ladder.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Step {
    /// Minutes walking per block (0 for a continuous run).
    pub walk_min: u8,
    /// Minutes running per block (0 for a continuous run).
    pub run_min: u8,
    /// The session's distance.
    pub km: f64,
    /// The target effort, CR-10 (the top of the easy band).
    pub rpe: u8,
}

impl Step {
    /// Whether the step is walk-run.
    pub fn is_walk_run(&self) -> bool {
        self.walk_min > 0
    }

    /// The step in words.
    ///
    /// # Examples
    /// ```
    /// use knots_core::analytics::plan::LADDER;
    /// assert_eq!(LADDER[0].describe(), "walk 2 min / run 3 min to 1.6 km, easy (RPE 2-3)");
    /// assert_eq!(LADDER[11].describe(), "run 10.0 km continuously, easy (RPE 2-3)");
    /// ```
    pub fn describe(&self) -> String {
        session_text(self, self.km)
    }
}

/// A session of `step`'s kind over `km`, in words: the distance said is the distance planned.
fn session_text(step: &Step, km: f64) -> String {
    let (lo, hi) = EASY_RPE;
    if step.is_walk_run() {
        format!(
            "walk {} min / run {} min to {km:.1} km, easy (RPE {lo}-{hi})",
            step.walk_min, step.run_min
        )
    } else {
        format!("run {km:.1} km continuously, easy (RPE {lo}-{hi})")
    }
}

const fn step(walk_min: u8, run_min: u8, km: f64) -> Step {
    Step {
        walk_min,
        run_min,
        km,
        rpe: EASY_RPE.1,
    }
}

/// The ladder, easiest first.
pub const LADDER: [Step; 15] = [
    step(2, 3, 1.6),
    step(2, 3, 2.4),
    step(2, 4, 2.4),
    step(2, 4, 3.2),
    step(1, 4, 3.2),
    step(0, 0, 3.2),
    step(0, 0, 4.0),
    step(0, 0, 5.0),
    step(0, 0, 6.0),
    step(0, 0, 7.0),
    step(0, 0, 8.0),
    step(0, 0, 10.0),
    step(0, 0, 12.0),
    step(0, 0, 14.0),
    step(0, 0, 16.0),
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
    /// Target effort, CR-10 (the top of the easy band, [`EASY_RPE`]).
    pub rpe: u8,
    /// In words (the distance in the words is `km`).
    pub text: String,
}

/// A week of the plan.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Week {
    /// 1-based.
    pub number: usize,
    /// The ladder step: an index into [`LADDER`], from 0 (the words say "step N" from 1: N is
    /// this + 1).
    pub step: usize,
    /// The sessions.
    pub sessions: Vec<Session>,
    /// The week's planned distance (the sum of its sessions).
    pub km: f64,
    /// The most this week may hold under the week cap (`None`: the first walk-run week from zero).
    pub cap_km: Option<f64>,
    /// The condition for doing this week as planned.
    pub condition: String,
}

/// The runner's recent running that the plan's caps are computed from.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Basis {
    /// Km run in the last 7 days (today included).
    pub km_7d: f64,
    /// The mean week of the last 28 days: their km / 4.
    pub mean_week_28d: f64,
    /// The recent running: the higher of the two.
    pub recent_week_km: f64,
    /// The longest run of the last 14 days at pain 0-2.
    pub longest_ok_km: Option<f64>,
    /// Where the pain began in the latest painful run of the last 28 days (the whole run when no
    /// onset was recorded).
    pub pain_onset_km: Option<f64>,
    /// Whether that run recorded where its pain began (else `pain_onset_km` is its length).
    pub pain_onset_recorded: bool,
    /// The runner's median pace over the timed runs of the last 28 days (of all runs when none
    /// is that recent), minutes per km.
    pub pace_min_per_km: Option<f64>,
}

impl Basis {
    /// Gathers the basis from `runs` as of `today`.
    ///
    /// # Examples
    /// ```
    /// use knots_core::analytics::plan::Basis;
    /// let b = Basis::from_runs(&[], "2026-05-20".parse().unwrap());
    /// assert_eq!((b.recent_week_km, b.longest_ok_km), (0.0, None));
    /// ```
    pub fn from_runs(runs: &[Entry<Run>], today: Date) -> Basis {
        let ago = |r: &Run| days_between(r.date, today).filter(|d| *d >= 0);
        let within = |n: i64| {
            runs.iter()
                .map(|r| &r.item)
                .filter(move |r| ago(r).is_some_and(|d| d < n))
        };
        // `+ 0.0`: an empty float sum is -0.0, which would print as "-0.0 km".
        let km_7d: f64 = within(7).map(|r| r.km.value()).sum::<f64>() + 0.0;
        let mean_week_28d = within(28).map(|r| r.km.value()).sum::<f64>() / 4.0 + 0.0;
        let longest_ok_km = within(14)
            .filter(|r| r.max_pain.is_none_or(|p| p.value() <= 2))
            .map(|r| r.km.value())
            .fold(None, |m: Option<f64>, k| Some(m.map_or(k, |m| m.max(k))));
        let latest_painful = within(28)
            .filter(|r| !r.is_pain_free())
            .max_by_key(|r| r.date);
        let pace_min_per_km = super::load::median_pace(within(28))
            .or_else(|| super::load::median_pace(runs.iter().map(|r| &r.item)));
        Basis {
            km_7d,
            mean_week_28d,
            recent_week_km: km_7d.max(mean_week_28d),
            longest_ok_km,
            pain_onset_km: latest_painful.map(Run::pain_free_km),
            pain_onset_recorded: latest_painful.is_some_and(|r| r.pain_onset_km.is_some()),
            pace_min_per_km,
        }
    }

    /// The longest run the plan may hold: 110% of the longest recent run at pain 0-2; without
    /// one, short of where the pain began in the latest painful run (0.1 km short of it).
    pub fn long_run_cap(&self) -> Option<f64> {
        self.pain_free_cap()
            .or_else(|| self.pain_onset_km.map(|o| (floor_tenth(o) - 0.1).max(0.0)))
    }

    /// 110% of the longest recent run at pain 0-2, when there is one: the cap on a walk-run's
    /// distance too (its walking is not running, so the onset does not cap it).
    pub fn pain_free_cap(&self) -> Option<f64> {
        self.longest_ok_km.map(|k| k * (1.0 + LONG_RUN_GROWTH))
    }

    /// Where the latest painful run's pain began, in words for the plan's reasons.
    fn onset_words(&self, onset: f64) -> String {
        if self.pain_onset_recorded {
            format!("where the pain began in the latest painful run ({onset:.1} km)")
        } else {
            format!(
                "the length of the latest painful run ({onset:.1} km; where its pain began was                  not recorded)"
            )
        }
    }
}

/// The plan with its reasons.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Plan {
    /// The step the runner is on now: an index into [`LADDER`], from 0 (the words' "step N" is
    /// this + 1).
    pub current_step: usize,
    /// The weeks.
    pub weeks: Vec<Week>,
    /// Why it looks like this.
    pub why: Vec<String>,
    /// The rules every week keeps, with the runner's numbers, and the rules for every session.
    pub rules: Vec<String>,
    /// The recent running the caps come from.
    pub basis: Basis,
}

impl Plan {
    /// A plan that schedules no running: `why` says why, and `rule` is its one rule.
    fn no_running(current_step: usize, why: Vec<String>, rule: &str, basis: Basis) -> Plan {
        Plan {
            current_step,
            weeks: Vec::new(),
            why,
            rules: vec![rule.to_string()],
            basis,
        }
    }
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
    if best > 0.0 {
        let i = step_at_or_below(best).unwrap_or(0);
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
    let i = step_at_or_below(onset).unwrap_or(0).saturating_sub(1);
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

/// The highest step no longer than `km` (walk-run steps only below the first continuous 3.2 km).
fn step_at_or_below(km: f64) -> Option<usize> {
    LADDER
        .iter()
        .rposition(|s| s.km <= km + 1e-9 && (!s.is_walk_run() || km < 3.2))
}

/// `km` rounded down to 0.1 km (with a hair of slack for binary fractions such as 0.7 × 10).
fn floor_tenth(km: f64) -> f64 {
    ((km * 10.0) + 1e-6).floor() / 10.0
}

/// A week of `step`'s three sessions fitted to the caps (see the module docs): the long run at
/// most `long_cap`, the week at most `week_cap`.
fn fit(step: &Step, long_cap: Option<f64>, week_cap: Option<f64>) -> Vec<f64> {
    let long = step.km.min(long_cap.unwrap_or(f64::INFINITY));
    let easy = if step.is_walk_run() {
        long
    } else {
        (((step.km * 0.7) * 2.0).round() / 2.0).min(long)
    };
    let mut kms = [easy, easy, long];
    if let Some(cap) = week_cap
        && kms.iter().sum::<f64>() > cap
    {
        let room = (cap - long) / 2.0;
        kms = if room >= MIN_SESSION_KM {
            [room, room, long]
        } else {
            let each = long.min(cap / 3.0);
            [each; 3]
        };
    }
    kms.iter()
        .map(|k| floor_tenth(*k))
        .filter(|k| *k >= 1.0)
        .collect()
}

/// The longest whole number of minutes a run bout may last to stay short of `onset_km` at
/// `pace` minutes per km (0: not even one minute).
fn bout_minutes_below(onset_km: f64, pace: f64) -> u8 {
    let minutes_to_onset = onset_km * pace;
    let whole = (minutes_to_onset - 1e-9).floor().max(0.0);
    if whole >= f64::from(u8::MAX) {
        u8::MAX
    } else {
        whole as u8
    }
}

/// Builds the plan starting the day after `today`.
///
/// `ratio` is the EWMA acute:chronic ratio when known.
pub fn plan(runs: &[Entry<Run>], today: Date, gate: &Gate, ratio: Option<f64>) -> Plan {
    let basis = Basis::from_runs(runs, today);
    let (now, state) = current_step(runs, today);
    let mut why = vec![state];
    if gate.inputs.red_flag {
        why.push(
            "a red flag is active: no running plan until a clinician has seen you".to_string(),
        );
        return Plan::no_running(
            now,
            why,
            "a red flag is active (see the warning): no running until a clinician has seen it; \
             walk and go about the day as comfort allows",
            basis,
        );
    }
    let high_ratio = ratio.is_some_and(|r| r > super::load::SWEET_SPOT_HIGH);
    let growth = 1.0 + WEEKLY_SPIKE;
    let from_zero = basis.recent_week_km <= 0.0;
    // Amber repeats the current volume: the last 7 days, or the mean week when they had no run.
    let current_volume = if basis.km_7d > 0.0 {
        basis.km_7d
    } else {
        basis.mean_week_28d
    };
    let repeat = |why: &mut Vec<String>| {
        why.push(format!(
            "this week repeats the current volume: at most {current_volume:.1} km"
        ));
        Some(current_volume)
    };
    let (weeks, first, climb, first_cap) = match gate.colour {
        Colour::Red => {
            let onset = basis.pain_onset_km.or(basis.longest_ok_km).unwrap_or(0.0);
            let back = step_at_or_below(onset).unwrap_or(0).saturating_sub(1);
            let first = back.min(now.saturating_sub(1));
            why.push(format!(
                "gate red: step back to step {} ({}) and hold it for two weeks before trying again",
                first + 1,
                if LADDER[first].is_walk_run() {
                    "walk-run"
                } else {
                    "continuous runs"
                }
            ));
            why.push(match basis.pain_onset_km {
                Some(onset) => format!(
                    "no continuous running as far as {}; no week above the last 7 days' {:.1} km",
                    basis.onset_words(onset),
                    basis.km_7d
                ),
                None => format!("no week above the last 7 days' {:.1} km", basis.km_7d),
            });
            (2, first, false, Some(basis.km_7d))
        }
        _ if from_zero => {
            why.push(
                "no running in the last 28 days: start from zero with the first walk-run step"
                    .into(),
            );
            (4, 0, gate.colour == Colour::Green && !high_ratio, None)
        }
        Colour::Amber => {
            why.push(
                "gate amber: repeat the current step this week; step up only once the gate is green"
                    .into(),
            );
            let cap = repeat(&mut why);
            (3, now, !high_ratio, cap)
        }
        Colour::Green if high_ratio => {
            why.push(
                "gate green, but the load ratio is above 1.3: hold this week, then step up".into(),
            );
            let cap = repeat(&mut why);
            (4, now, true, cap)
        }
        Colour::Green if now + 1 >= LADDER.len() => {
            why.push(format!(
                "gate green, at the top of the ladder ({}): hold it",
                LADDER[now].describe()
            ));
            (4, now, false, Some(basis.recent_week_km * growth))
        }
        Colour::Green => {
            why.push("gate green: one step up a week while it stays green".into());
            (4, now + 1, true, Some(basis.recent_week_km * growth))
        }
    };
    // A walk-run's run bouts stay short of where the pain began: in red, and whenever no run of
    // the last 14 days stayed at pain 0-2.
    let bout_onset = basis
        .pain_onset_km
        .filter(|_| gate.colour == Colour::Red || basis.longest_ok_km.is_none());
    let mut bout_cap: Option<u8> = None;
    if let Some(onset) = bout_onset
        && LADDER[first].is_walk_run()
    {
        let (pace, whose) = basis
            .pace_min_per_km
            .map_or((ASSUMED_PACE_MIN_PER_KM, "a brisk runner's"), |p| {
                (p, "your")
            });
        let minutes = bout_minutes_below(onset, pace);
        if minutes == 0 {
            why.push(format!(
                "at {whose} pace ({pace:.1} min/km) the pain began within the first minute of \
                 running: no running at all for now, walk only, and see a clinician if it does \
                 not settle"
            ));
            return Plan::no_running(
                now,
                why,
                "the pain began within the first minute of running: walk, no running, until it \
                 settles",
                basis,
            );
        }
        if minutes < LADDER[first].run_min {
            why.push(format!(
                "run bouts of {minutes} min: about {:.2} km at {whose} pace ({pace:.1} min/km), \
                 short of the {onset:.1} km",
                f64::from(minutes) / pace
            ));
        }
        bout_cap = Some(minutes);
    }
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
    let long_cap = basis.long_run_cap();
    match (long_cap, basis.longest_ok_km, basis.pain_onset_km) {
        (Some(cap), Some(longest), _) => why.push(format!(
            "no run longer than {:.1} km: 110% of your longest run at pain 0-2 in the last 14 \
             days ({longest:.1} km); the plan is redrawn from the runs you do, so this rises as \
             you run further without pain",
            floor_tenth(cap)
        )),
        (Some(cap), None, Some(onset)) => why.push(format!(
            "no run of the last 14 days stayed at pain 0-2: no planned continuous run reaches {}: \
             at most {cap:.1} km",
            basis.onset_words(onset)
        )),
        _ => {}
    }
    let mut out: Vec<Week> = Vec::new();
    let mut s = first;
    for w in 0..weeks {
        if w > 0 && climb {
            s = (s + 1).min(LADDER.len() - 1);
        }
        let mut st = LADDER[s];
        if let Some(m) = bout_cap.filter(|_| st.is_walk_run()) {
            st.run_min = st.run_min.min(m);
        }
        let cap = match out.last() {
            None => first_cap,
            // Each later week: at most 30% above the planned week before (and, red, still at most
            // the last 7 days).
            Some(prev) => {
                let next = prev.km * growth;
                Some(first_cap.map_or(next, |c| if climb { next } else { c.min(next) }))
            }
        };
        // A walk-run's distance counts its walking: only the cap from a pain-free run applies to
        // it (its run bouts are capped above).
        let session_cap = if st.is_walk_run() {
            basis.pain_free_cap()
        } else {
            long_cap
        };
        let kms = fit(&st, session_cap, cap);
        let sessions: Vec<Session> = kms
            .iter()
            .zip([1, 3, 5])
            .map(|(km, off)| Session {
                date: add_days(today, (w * 7 + off) as i64),
                kind: if st.is_walk_run() { "walk-run" } else { "run" },
                km: *km,
                walk_min: st.is_walk_run().then_some(st.walk_min),
                run_min: st.is_walk_run().then_some(st.run_min),
                rpe: st.rpe,
                text: session_text(&st, *km),
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
            km: floor_tenth(kms.iter().sum()),
            cap_km: cap,
            sessions,
            condition,
        });
    }
    let empty: Vec<String> = out
        .iter()
        .filter(|w| w.sessions.is_empty())
        .map(|w| w.number.to_string())
        .collect();
    let red_and_idle = gate.colour == Colour::Red && basis.km_7d <= 0.0;
    if let Some((last, rest)) = empty.split_last()
        && !red_and_idle
    {
        let which = if rest.is_empty() {
            format!("week {last} holds")
        } else {
            format!("weeks {} and {last} hold", rest.join(", "))
        };
        why.push(format!(
            "{which} no running: the caps leave less than 1 km a session; walk instead, and see \
             a clinician if the pain does not settle"
        ));
    }
    let (lo, hi) = EASY_RPE;
    let mut rules: Vec<String> = vec![
        format!(
            "no week more than 30% above your recent running: the higher of the last 7 days \
             ({:.1} km) and the mean week of the last 28 days ({:.1} km) is {:.1} km, so at most \
             {:.1} km{}",
            basis.km_7d,
            basis.mean_week_28d,
            basis.recent_week_km,
            floor_tenth(basis.recent_week_km * growth),
            if from_zero {
                "; from zero, walk-run first (4.8 km in the first week)"
            } else {
                ""
            }
        ),
        "each later week at most 30% above the week before it".into(),
        match (long_cap, basis.longest_ok_km) {
            (Some(c), Some(_)) => format!(
                "no run longer than 110% of your longest run at pain 0-2 in the last 14 days: \
                 {:.1} km",
                floor_tenth(c)
            ),
            (Some(c), None) => format!(
                "no run at pain 0-2 in the last 14 days: walk-run or runs short of where the pain \
                 began: at most {:.1} km",
                floor_tenth(c)
            ),
            (None, _) => "no run at pain 0-2 in the last 14 days: walk-run first".into(),
        },
        "gate amber: repeat the current volume; gate red: step back (no continuous running past \
         where the pain began, run bouts included; no week above the last 7 days)"
            .into(),
        format!("easy means RPE {lo}-{hi} on the CR-10 scale (3 moderate, 5 hard)"),
        "a rest day between runs (cross-train on the days between if you like)".into(),
        "pain during a run may reach 5/10 at most; stop the session above that".into(),
        "pain must settle by the next morning, and must not grow week to week".into(),
        "flat ground, no cambered roads, while returning".into(),
    ];
    if red_and_idle {
        rules.insert(
            0,
            "no run in the last 7 days and the gate is red: no running until it settles; walk, \
             and see a clinician if it does not"
                .into(),
        );
    }
    Plan {
        current_step: now,
        weeks: out,
        why,
        rules,
        basis,
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

    fn today() -> Date {
        "2026-05-20".parse().unwrap()
    }

    /// Checks the rules every plan keeps, and returns the weeks' km and longest sessions.
    fn kept(p: &Plan) -> (Vec<f64>, Vec<f64>) {
        let mut prev: Option<f64> = None;
        for w in &p.weeks {
            let sum: f64 = w.sessions.iter().map(|s| s.km).sum();
            assert!((sum - w.km).abs() < 1e-9, "{w:?}");
            if let Some(cap) = w.cap_km {
                assert!(w.km <= cap + 1e-9, "week {} {} > cap {cap}", w.number, w.km);
            }
            if let Some(prev) = prev {
                assert!(w.km <= prev * 1.3 + 1e-9, "week {} grew > 30%", w.number);
            }
            prev = Some(w.km);
            for s in &w.sessions {
                let cap = if s.kind == "walk-run" {
                    p.basis.longest_ok_km.map(|k| k * 1.1)
                } else {
                    p.basis.long_run_cap()
                };
                if let Some(c) = cap {
                    assert!(s.km <= c + 1e-9, "{s:?} above the long-run cap {c}");
                }
                assert!(s.rpe <= 3);
                assert!(s.text.contains(&format!("{:.1} km", s.km)), "{s:?}");
                assert!(s.text.contains("easy (RPE 2-3)"));
            }
        }
        let longest = |w: &Week| w.sessions.iter().map(|s| s.km).fold(0.0, f64::max);
        (
            p.weeks.iter().map(|w| w.km).collect(),
            p.weeks.iter().map(longest).collect(),
        )
    }

    #[test]
    fn the_plan_follows_the_gate() {
        let runs = vec![run(1, "2026-05-18", 5.0, None, 0)];
        let green = plan(&runs, today(), &gate(0), Some(1.0));
        assert_eq!(LADDER[green.current_step].km, 5.0);
        assert_eq!(green.weeks.len(), 4);
        assert_eq!(LADDER[green.weeks[0].step].km, 6.0);
        assert_eq!(LADDER[green.weeks[3].step].km, 10.0);
        assert_eq!(
            green.weeks[0].sessions[0].date,
            "2026-05-21".parse().unwrap()
        );
        kept(&green);
        let amber = plan(&runs, today(), &gate(4), Some(1.0));
        assert_eq!(amber.weeks[0].step, amber.current_step);
        kept(&amber);
        let red = plan(&runs, today(), &gate(7), Some(1.0));
        assert_eq!(red.weeks.len(), 2);
        assert!(red.weeks.iter().all(|w| w.step + 1 == red.current_step));
        kept(&red);
        let spiky = plan(&runs, today(), &gate(0), Some(1.6));
        assert_eq!(spiky.weeks[0].step, spiky.current_step);
        kept(&spiky);
        // Nothing recent: the first walk-run step.
        let fresh = plan(&[], today(), &gate(0), None);
        assert_eq!(fresh.current_step, 0);
        assert_eq!(fresh.weeks[0].sessions[0].kind, "walk-run");
    }

    #[test]
    fn green_keeps_the_week_and_long_run_caps() {
        // Last 7 days: 10 + 5 + 5 = 20 km; the 28 days add 12 km: mean week 32 / 4 = 8 km.
        // Recent running = max(20, 8) = 20 → week 1 at most 26 km. Longest run at pain ≤ 2 in
        // 14 days: 10 km → no run above 11 km.
        let runs = vec![
            run(1, "2026-04-30", 12.0, None, 0),
            run(2, "2026-05-14", 5.0, None, 1),
            run(3, "2026-05-16", 5.0, None, 0),
            run(4, "2026-05-18", 10.0, None, 0),
        ];
        let p = plan(&runs, today(), &gate(0), Some(1.0));
        assert_eq!(
            (p.basis.km_7d, p.basis.mean_week_28d, p.basis.longest_ok_km),
            (20.0, 8.0, Some(10.0))
        );
        // Week 1, step 12 km: easy 8.5, long min(12, 11) = 11 → 28 > 26, so the easy runs shrink
        // to (26 − 11) / 2 = 7.5: exactly 26 km, +30%.
        // Week 2, step 14 km: easy 10, long 11 → 31 ≤ 1.3 × 26 = 33.8.
        // Weeks 3-4, step 16 km: easy 11 (not above the long run), long 11 → 33 ≤ 40.3.
        let (weeks, longest) = kept(&p);
        assert_eq!(weeks, vec![26.0, 31.0, 33.0, 33.0]);
        assert_eq!(longest, vec![11.0; 4]);
        let kms: Vec<f64> = p.weeks[0].sessions.iter().map(|s| s.km).collect();
        assert_eq!(kms, vec![7.5, 7.5, 11.0]);
        assert_eq!(
            p.weeks[0].sessions[2].text,
            "run 11.0 km continuously, easy (RPE 2-3)"
        );
        assert_eq!(p.weeks[0].cap_km, Some(26.0));
        assert!(p.rules[0].contains("at most 26.0 km"), "{}", p.rules[0]);
        assert!(p.rules.iter().any(|r| r.ends_with("14 days: 11.0 km")));
    }

    #[test]
    fn after_a_taper_week_the_mean_week_sets_the_cap() {
        // Last 7 days: 5 km. The 28 days: 5 + 12 + 8 + 10 + 10 = 45 → mean week 11.25 km, so the
        // cap is 1.3 × 11.25 = 14.625 km (not 1.3 × 5 = 6.5). Longest at pain ≤ 2 in 14 days:
        // 12 km → long-run cap 13.2. Step 14 km: [10, 10, 13.2] = 33.2 > 14.625 and
        // (14.625 − 13.2) / 2 < 1.6, so three equal sessions of 14.625 / 3 = 4.875 → 4.8 km.
        let runs = vec![
            run(1, "2026-04-25", 10.0, None, 0),
            run(2, "2026-05-02", 10.0, None, 0),
            run(3, "2026-05-09", 8.0, None, 0),
            run(4, "2026-05-11", 12.0, None, 0),
            run(5, "2026-05-18", 5.0, None, 0),
        ];
        let p = plan(&runs, today(), &gate(0), Some(1.0));
        assert_eq!(p.basis.recent_week_km, 11.25);
        let (weeks, _) = kept(&p);
        assert_eq!(p.weeks[0].cap_km, Some(14.625));
        assert_eq!(weeks[0], 14.4);
        assert!(p.weeks[0].sessions.iter().all(|s| s.km == 4.8));
    }

    #[test]
    fn amber_repeats_the_current_volume() {
        // Last 7 days: 4 + 4 = 8 km; longest at pain ≤ 2: 4 km → step 4 km, cap 4.4.
        // Step 4 km: [3, 3, 4] = 10 > 8, so the easy runs shrink to (8 − 4) / 2 = 2: exactly 8 km.
        let runs = vec![
            run(1, "2026-05-17", 4.0, None, 1),
            run(2, "2026-05-19", 4.0, Some(3.0), 3),
        ];
        let p = plan(&runs, today(), &gate(3), None);
        assert_eq!(p.weeks[0].step, p.current_step);
        let (weeks, longest) = kept(&p);
        assert_eq!(weeks[0], 8.0);
        let kms: Vec<f64> = p.weeks[0].sessions.iter().map(|s| s.km).collect();
        assert_eq!(kms, vec![2.0, 2.0, 4.0]);
        // Week 2 steps up to 5 km, held at 4.4 by the long-run cap: 3.5 + 3.5 + 4.4 = 11.4 is
        // above 1.3 × 8 = 10.4, so the easy runs shrink to (10.4 − 4.4) / 2 = 3.0 → 10.4 km.
        assert_eq!(longest[1], 4.4);
        assert_eq!(weeks[1], 10.4);
    }

    #[test]
    fn red_steps_back_below_the_pain_onset_and_the_last_week() {
        // The pain began at 3 km in the latest painful run: the step at or below 3 km is the
        // 2.4 km walk-run, one back is walk 2 / run 3 to 2.4 km; no continuous run at all.
        let runs = vec![
            run(1, "2026-05-14", 4.0, None, 0),
            run(2, "2026-05-16", 5.0, None, 2),
            run(3, "2026-05-19", 8.0, Some(3.0), 7),
        ];
        let p = plan(&runs, today(), &gate(7), None);
        assert_eq!(p.basis.pain_onset_km, Some(3.0));
        let (weeks, _) = kept(&p);
        assert!(
            p.weeks
                .iter()
                .flat_map(|w| &w.sessions)
                .all(|s| s.kind == "walk-run" && s.km == 2.4)
        );
        assert_eq!(weeks, vec![7.2, 7.2]);
        // Pain began at 6 km: the step below is a continuous 5 km, and the week may not pass the
        // last 7 days' 10 km: [3.5, 3.5, 5] = 12 → easy runs (10 − 5) / 2 = 2.5 → 10 km.
        let runs = vec![
            run(1, "2026-05-12", 10.0, None, 0),
            run(2, "2026-05-19", 10.0, Some(6.0), 6),
        ];
        let p = plan(&runs, today(), &gate(7), None);
        let (weeks, longest) = kept(&p);
        assert_eq!(weeks, vec![10.0, 10.0]);
        assert_eq!(longest, vec![5.0, 5.0]);
        assert!(p.weeks.iter().all(|w| w.cap_km == Some(10.0)));
        // Red with no run in the last 7 days: nothing to run.
        let runs = vec![run(1, "2026-05-08", 6.0, Some(2.0), 6)];
        let p = plan(&runs, today(), &gate(7), None);
        assert!(p.weeks.iter().all(|w| w.sessions.is_empty()));
        assert!(p.rules[0].starts_with("no run in the last 7 days"));
    }

    #[test]
    fn from_zero_starts_with_walk_run_and_grows_at_most_thirty_percent() {
        // No km in 28 days: week 1 is the first walk-run step, 3 × 1.6 = 4.8 km (no 30% cap from
        // zero). A green gate climbs to 2.4 km walk-runs in week 2, capped at 1.3 × 4.8 = 6.24:
        // easy (6.24 − 2.4) / 2 = 1.92 → 1.9; 1.9 + 1.9 + 2.4 = 6.2.
        let p = plan(&[], today(), &gate(0), None);
        let (weeks, _) = kept(&p);
        assert_eq!(p.weeks[0].cap_km, None);
        assert_eq!(weeks[0], 4.8);
        assert_eq!(weeks[1], 6.2);
        assert!(p.weeks[0].sessions.iter().all(|s| s.kind == "walk-run"));
        assert_eq!(
            p.weeks[0].sessions[0].text,
            "walk 2 min / run 3 min to 1.6 km, easy (RPE 2-3)"
        );
    }

    /// A run with a chosen pace (minutes per km).
    fn paced(id: i64, date: &str, km: f64, onset: Option<f64>, pain: u8, pace: f64) -> Entry<Run> {
        let mut r = run(id, date, km, onset, pain);
        r.item.minutes = Some(km * pace);
        r
    }

    #[test]
    fn a_red_flag_plans_no_running() {
        let runs = vec![run(1, "2026-05-18", 7.0, Some(2.0), 5)];
        let flagged = decide(&Inputs {
            red_flag: true,
            runs_7d: 1,
            run_pain: Some(5),
            ..Inputs::default()
        });
        let p = plan(&runs, today(), &flagged, None);
        assert!(p.weeks.is_empty());
        assert_eq!(p.rules.len(), 1);
        assert!(
            p.rules[0].starts_with("a red flag is active"),
            "{:?}",
            p.rules
        );
    }

    #[test]
    fn red_run_bouts_stay_short_of_the_pain_onset_at_the_runners_pace() {
        // Pain from 0.3 km at 5:00/km: 1.5 minutes to the onset, so bouts of 1 minute
        // (0.2 km), not the ladder's 3.
        let runs = vec![
            paced(1, "2026-05-14", 3.0, None, 0, 5.0),
            paced(2, "2026-05-19", 2.0, Some(0.3), 6, 5.0),
        ];
        let p = plan(&runs, today(), &gate(7), None);
        assert_eq!(p.basis.pace_min_per_km, Some(5.0));
        kept(&p);
        let sessions: Vec<&Session> = p.weeks.iter().flat_map(|w| &w.sessions).collect();
        assert!(!sessions.is_empty());
        for s in &sessions {
            assert_eq!((s.kind, s.run_min), ("walk-run", Some(1)), "{s:?}");
            assert!(s.text.starts_with("walk 2 min / run 1 min"), "{}", s.text);
        }
        assert!(
            p.why.iter().any(|w| w.contains("run bouts of 1 min")),
            "{:?}",
            p.why
        );
        // Pain from 0.1 km: half a minute at 5:00/km, so no running at all.
        let runs = vec![
            paced(1, "2026-05-14", 3.0, None, 0, 5.0),
            paced(2, "2026-05-19", 1.0, Some(0.1), 6, 5.0),
        ];
        let p = plan(&runs, today(), &gate(7), None);
        assert!(p.weeks.is_empty());
        assert!(
            p.why.iter().any(|w| w.contains("within the first minute")),
            "{:?}",
            p.why
        );
    }

    #[test]
    fn without_a_pain_free_run_no_run_reaches_the_latest_onset() {
        // Every run of the last 14 days hurt (3/10): the best got to 8 km before the pain, the
        // latest to 4 km. No planned run may reach 4 km: at most 3.9 km.
        let runs = vec![
            run(1, "2026-05-12", 10.0, Some(8.0), 3),
            run(2, "2026-05-15", 8.0, Some(6.0), 3),
            run(3, "2026-05-19", 6.0, Some(4.0), 3),
        ];
        let p = plan(&runs, today(), &gate(3), None);
        assert_eq!(p.basis.longest_ok_km, None);
        assert_eq!(p.basis.long_run_cap(), Some(3.9));
        let (_, longest) = kept(&p);
        assert!(longest.iter().all(|k| *k <= 3.9), "{longest:?}");
        assert!(p.rules[2].ends_with("at most 3.9 km"), "{}", p.rules[2]);
    }

    #[test]
    fn a_plan_with_no_session_says_why() {
        // Red, the last 7 days hold 1 km, pain from 0.4 km at 6:00/km (bouts of 2 min): the
        // week may hold 1 km, a third of it a session, under 1 km: nothing is planned.
        let runs = vec![run(1, "2026-05-19", 1.0, Some(0.4), 6)];
        let p = plan(&runs, today(), &gate(7), None);
        assert!(p.weeks.iter().all(|w| w.sessions.is_empty() && w.km == 0.0));
        assert!(
            p.why
                .iter()
                .any(|w| w.starts_with("weeks 1 and 2 hold no running")),
            "{:?}",
            p.why
        );
    }

    #[test]
    fn numbers_from_zero_are_not_negative_and_the_top_step_holds() {
        let p = plan(&[], today(), &gate(0), None);
        assert!(p.basis.km_7d.is_sign_positive() && p.basis.mean_week_28d.is_sign_positive());
        assert!(!p.rules[0].contains("-0.0"), "{}", p.rules[0]);
        // A pain-free 16 km run: the top of the ladder, held rather than "stepped up".
        let runs = vec![run(1, "2026-05-18", 16.0, None, 0)];
        let p = plan(&runs, today(), &gate(0), Some(1.0));
        assert_eq!(p.current_step, LADDER.len() - 1);
        assert!(p.weeks.iter().all(|w| w.step == LADDER.len() - 1));
        assert!(
            p.why.iter().any(|w| w.contains("top of the ladder")),
            "{:?}",
            p.why
        );
        kept(&p);
    }

    #[test]
    fn without_a_pain_free_run_walk_run_bouts_stay_short_of_the_onset_too() {
        // Amber, three 2 km runs this week, each hurting (3/10) from 0.4 km, at 6:00/km: 2.4 min
        // to the onset, so bouts of 2 min (0.33 km) instead of the ladder's 3. The walk-run
        // sessions keep their 1.6 km (their walking is not running).
        let runs = vec![
            run(1, "2026-05-15", 2.0, Some(0.4), 3),
            run(2, "2026-05-17", 2.0, Some(0.4), 3),
            run(3, "2026-05-19", 2.0, Some(0.4), 3),
        ];
        let p = plan(&runs, today(), &gate(3), None);
        assert_eq!(p.basis.pace_min_per_km, Some(6.0));
        kept(&p);
        let first = &p.weeks[0].sessions;
        assert_eq!(first.len(), 3);
        for s in first {
            assert_eq!(
                (s.kind, s.km, s.run_min),
                ("walk-run", 1.6, Some(2)),
                "{s:?}"
            );
        }
        assert!(
            p.why.iter().any(|w| w.contains("run bouts of 2 min")),
            "{:?}",
            p.why
        );
    }

    #[test]
    fn red_without_a_painful_run_says_nothing_of_an_onset() {
        // Red from the mornings alone, with no run at all: no onset to speak of, no running
        // this week (the last 7 days hold 0 km), and no claim that the pain began anywhere.
        let red = decide(&Inputs {
            morning: Some(4),
            morning_before: Some(2),
            ..Inputs::default()
        });
        assert_eq!(red.colour, crate::analytics::gate::Colour::Red);
        let p = plan(&[], today(), &red, None);
        assert!(p.weeks.iter().all(|w| w.sessions.is_empty()));
        assert!(
            p.rules[0].starts_with("no run in the last 7 days"),
            "{:?}",
            p.rules
        );
        assert!(
            p.why
                .iter()
                .all(|w| !w.contains("began") && !w.contains("first minute")),
            "{:?}",
            p.why
        );
    }

    #[test]
    fn the_bout_reason_reads_in_miles_too() {
        let runs = vec![
            paced(1, "2026-05-14", 3.0, None, 0, 5.0),
            paced(2, "2026-05-19", 2.0, Some(0.3), 6, 5.0),
        ];
        let p = plan(&runs, today(), &gate(7), None);
        let why = p.why.iter().find(|w| w.contains("run bouts")).unwrap();
        let miles = crate::units::localize(why, crate::units::Unit::Mi);
        assert!(
            miles.contains("(8.0 min/mi)") && !miles.contains("km"),
            "{miles}"
        );
    }
}
