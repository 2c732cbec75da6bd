//! Understanding the history: training load, pain-free distance, the pain-monitoring gate, the
//! return-to-run plan, what works (n-of-1), the mother knot and possible causes, put together by
//! [`report`] into one [`Report`].
//!
//! Pure functions over journal values: time comes in as `now`, randomness as a seed in
//! [`Options`]. Thin data is never an error: every section says what is missing or carries its
//! caveats next to its numbers. Formulas are documented on each function (domain brief 5.1-5.3).
//! Presentation (the HTML report, the charts) lives in the `knots-view` crate.

pub mod causes;
pub mod gate;
pub mod load;
pub mod mother;
pub mod pain_free;
pub mod plan;
pub mod therapist;
pub mod works;

use crate::atlas::Atlas;
use crate::journal::Journal;
use crate::safety::{self, RedFlagNotice};
use jiff::Zoned;
use jiff::civil::Date;

/// `date` moved by `days` (saturating at jiff's date range).
pub(crate) fn add_days(date: Date, days: i64) -> Date {
    date.checked_add(jiff::Span::new().days(days))
        .unwrap_or(date)
}

/// Whole days from `a` to `b` (negative when `b` is earlier).
pub(crate) fn days_between(a: Date, b: Date) -> Option<i64> {
    a.until(b).ok().map(|s| i64::from(s.get_days()))
}

/// Relaxation (0-10) at or below which a therapist session's readings count as taken while the
/// client guarded: tensing against the pressure inflates tenderness (domain brief 6).
pub const GUARDED_RELAXATION: u8 = 3;
/// The weight of a reading taken while guarding (others weigh 1).
pub const GUARDED_WEIGHT: f64 = 0.5;

/// The relaxation of `session` when it was at or below [`GUARDED_RELAXATION`].
pub(crate) fn guarded(journal: &Journal, session: Option<i64>) -> Option<u8> {
    let id = session?;
    let s = journal.sessions.iter().find(|s| s.id == id)?;
    s.item
        .relaxation
        .map(|r| r.value())
        .filter(|r| *r <= GUARDED_RELAXATION)
}

/// How the report is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// The seed of every bootstrap resample (the same seed gives the same intervals).
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options { seed: 0x6b6e_6f74 }
    }
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Report {
    /// The day it is computed for.
    pub as_of: Date,
    /// The disclaimer, shown first.
    pub disclaimer: &'static str,
    /// The see-a-clinician warning, when a red flag is active (shown before anything else).
    pub warning: Option<String>,
    /// Active red flags.
    pub red_flags: Vec<RedFlagNotice>,
    /// What is missing for a fuller report, in words.
    pub missing: Vec<String>,
    /// The mother knot's trigger point id, when any knot was recorded.
    pub mother_knot: Option<String>,
    /// The mother knot's evidence, and the other knots' cases, best first.
    pub mother_knot_candidates: Vec<mother::Candidate>,
    /// The gate colour: `green`, `amber` or `red`.
    pub gate: gate::Colour,
    /// Why the gate has that colour.
    pub gate_reasons: Vec<String>,
    /// What the gate looked at.
    pub gate_inputs: gate::Inputs,
    /// Training load.
    pub load: load::LoadReport,
    /// Pain-free distance.
    pub pain_free: pain_free::PainFreeReport,
    /// The next weeks.
    pub plan: plan::Plan,
    /// What works.
    pub what_works: works::WhatWorks,
    /// Possible causes.
    pub causes: causes::Causes,
    /// The therapist's side: the first deep-tissue session flagged, the latest home plan.
    pub therapist: therapist::TherapistNotes,
}

/// Computes the report of `journal` as of `now` (local dates in `now`'s time zone).
///
/// # Examples
/// ```
/// use knots_core::analytics::{report, Options};
/// let now: jiff::Zoned = "2026-11-25T20:00[UTC]".parse().unwrap();
/// let r = report(&knots_core::journal::Journal::default(), &now, Options::default());
/// assert!(r.mother_knot.is_none());
/// assert!(!r.missing.is_empty());
/// ```
pub fn report(journal: &Journal, now: &Zoned, options: Options) -> Report {
    let today = now.date();
    let tz = now.time_zone();
    let atlas = Atlas::shipped();
    let red_flags = safety::active_red_flags(&journal.pain_reports, now.timestamp(), &[]);
    let warning = safety::clinician_warning(&red_flags);
    // Other sports are training load too (minutes measure): imported non-running activities.
    let cross: Vec<(Date, f64)> = journal
        .activities
        .iter()
        .filter(|a| !a.item.is_running())
        .map(|a| {
            let minutes = a
                .item
                .timer_s
                .filter(|t| *t > 0.0)
                .unwrap_or(a.item.elapsed_s)
                / 60.0;
            (a.item.start.to_zoned(tz.clone()).date(), minutes)
        })
        .collect();
    let load = load::report(&journal.runs, &cross, today);
    let gate = gate::decide(&gate::inputs(journal, today, tz, !red_flags.is_empty()));
    let ratio = load.ewma.and_then(|r| r.ratio);
    let plan = plan::plan(&journal.runs, today, &gate, ratio);
    let candidates = mother::candidates(journal, tz);
    let mut missing = Vec::new();
    if journal.runs.is_empty() {
        missing.push(
            "no runs: add runs (`knots run add`) for load, pain-free distance and the plan".into(),
        );
    } else if load.days_of_history < load::MIN_DAYS {
        missing.push(format!(
            "{} days of runs: {} needed before the load ratio means anything",
            load.days_of_history,
            load::MIN_DAYS
        ));
    }
    if journal.findings.is_empty() {
        missing.push(
            "no palpation findings: record knots (`knots knot add`) to find the mother knot".into(),
        );
    }
    if journal.pain_reports.is_empty()
        && journal
            .runs
            .iter()
            .all(|r| r.item.max_pain.is_none() && r.item.pain_onset_km.is_none())
    {
        missing.push("no pain recorded: the gate has nothing to judge by".into());
    }
    if journal.treatments.is_empty() {
        missing.push("no treatments: nothing to say about what works".into());
    }
    if !journal.runs.is_empty()
        && journal
            .runs
            .iter()
            .all(|r| r.item.rpe.is_none() || r.item.minutes.is_none())
    {
        missing.push("no run has an RPE and a duration: load falls back to km or minutes".into());
    }
    Report {
        as_of: today,
        disclaimer: safety::DISCLAIMER,
        warning,
        red_flags,
        missing,
        mother_knot: candidates.first().map(|c| c.trigger_point.clone()),
        mother_knot_candidates: candidates,
        gate: gate.colour,
        gate_reasons: gate.reasons,
        gate_inputs: gate.inputs,
        what_works: works::report(journal, today, tz, atlas, options.seed),
        causes: causes::report(journal, today),
        therapist: therapist::notes(journal, tz),
        pain_free: pain_free::report(&journal.runs, today),
        load,
        plan,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::atlas::TriggerPointId;
    use crate::journal::{By, Camber, Entry, Finding, Run, Side, Treatment, TreatmentKind};
    use crate::scale::{Km, Nrs};

    /// A run on `date` of `km`, with pain starting at `onset` and reaching `max_pain`.
    pub fn run(id: i64, date: &str, km: f64, onset: Option<f64>, max_pain: u8) -> Entry<Run> {
        Entry {
            id,
            item: Run {
                date: date.parse().unwrap(),
                km: Km::new(km).unwrap(),
                minutes: Some(km * 6.0),
                shoe: None,
                surface: None,
                camber: Camber::None,
                pain_onset_km: onset.map(|o| Km::new(o).unwrap()),
                max_pain: Some(Nrs::new(max_pain).unwrap()),
                pain_next_morning: None,
                rpe: None,
                note: None,
            },
        }
    }

    /// A finding on the left side.
    pub fn finding(
        id: i64,
        at: &str,
        tp: &str,
        tenderness: u8,
        reproduces: bool,
    ) -> Entry<Finding> {
        Entry {
            id,
            item: Finding {
                at: at.parse().unwrap(),
                trigger_point: TriggerPointId(tp.into()),
                side: Side::Left,
                tenderness: Nrs::new(tenderness).unwrap(),
                taut_band: true,
                reproduces,
                ppt_kg_cm2: None,
                session: None,
                note: None,
            },
        }
    }

    /// A treatment on the left side.
    pub fn treatment(id: i64, at: &str, kind: TreatmentKind, target: &str) -> Entry<Treatment> {
        Entry {
            id,
            item: Treatment {
                at: at.parse().unwrap(),
                kind,
                target: Some(target.into()),
                side: Side::Left,
                pressure: Some(Nrs::new(6).unwrap()),
                minutes: Some(10.0),
                by: By::Therapist,
                session: None,
                note: None,
            },
        }
    }

    #[test]
    fn the_demo_names_its_mother_knot_and_lets_the_runner_go_on() {
        let now: Zoned = "2026-11-25T20:00[Europe/Berlin]".parse().unwrap();
        let j = crate::demo::journal(now.date(), now.time_zone().clone());
        let r = report(&j, &now, Options::default());
        assert_eq!(r.mother_knot.as_deref(), Some(crate::demo::MOTHER_KNOT));
        assert!(
            matches!(r.gate, gate::Colour::Green | gate::Colour::Amber),
            "{:?}",
            r.gate_reasons
        );
        assert!(r.warning.is_none());
        assert!(r.load.rolling.is_some() && r.load.ewma.is_some());
        assert!(
            r.pain_free
                .milestones
                .iter()
                .any(|m| m.label.starts_with("first pain-free 10K"))
        );
        assert!(!r.plan.weeks.is_empty());
        // The spike before the pain and the cambered road are both noticed.
        assert!(r.causes.episodes.first().is_some_and(|e| e.spike_before));
        assert!(r.causes.notes.iter().any(|n| n.contains("cambered left")));
        // Same seed, same report.
        assert_eq!(r, report(&j, &now, Options::default()));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["mother_knot"], "vastus_lateralis_distal");
        assert!(matches!(json["gate"].as_str(), Some("green" | "amber")));
    }

    #[test]
    fn the_demo_plan_keeps_the_thirty_percent_rule_and_the_ball_is_not_claimed() {
        let now: Zoned = "2026-11-25T20:00[Europe/Berlin]".parse().unwrap();
        let j = crate::demo::journal(now.date(), now.time_zone().clone());
        let r = report(&j, &now, Options::default());
        // The 30% rule: week 1 against the recent running, each later week against the one before.
        let mut before = r.plan.basis.recent_week_km;
        assert!(before > 0.0);
        for w in &r.plan.weeks {
            assert!(
                w.km <= before * 1.3 + 1e-9,
                "week {}: {} after {before}",
                w.number,
                w.km
            );
            before = w.km;
        }
        // The ball (every other evening while pain was falling anyway) is not claimed from the
        // time trend: against the untreated runs around each run, no clear change.
        let ball = r
            .what_works
            .kinds
            .iter()
            .find(|k| k.kind == crate::journal::TreatmentKind::Ball)
            .unwrap();
        for e in [&ball.next_run_pain, &ball.pain_free_km] {
            assert!(
                !e.words.contains("better by") && !e.words.contains("worse by"),
                "{}",
                e.words
            );
        }
        // Nor its knot's softening, which goes on anyway.
        for k in r
            .what_works
            .knots
            .iter()
            .filter(|k| k.kind == crate::journal::TreatmentKind::Ball)
        {
            assert!(!k.change.words.contains("better by"), "{}", k.change.words);
        }
        // Done on the same evenings as foam rolling: reported together.
        assert!(ball.confounded_with.contains(&"foam_roll".to_string()));
    }

    #[test]
    fn an_empty_journal_says_what_is_missing() {
        let now: Zoned = "2026-11-25T20:00[UTC]".parse().unwrap();
        let r = report(&Journal::default(), &now, Options::default());
        assert!(r.missing.len() >= 3, "{:?}", r.missing);
        assert_eq!(r.gate, gate::Colour::Amber);
        assert_eq!(r.plan.current_step, 0);
        assert!(r.load.rolling.is_none());
    }
}
