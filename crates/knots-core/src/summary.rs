//! Summaries of a journal at a glance: each knot's tenderness over time, the longest pain-free run,
//! shoe mileage, and the status page that puts them together.

use crate::Km;
use crate::atlas::TriggerPointId;
use crate::journal::{Entry, Journal, PainReport, Run, Shoe, Side};
use crate::safety::{self, RedFlagNotice};
use crate::units::{self, Unit};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

/// One line of the journal's timeline.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TimelineEntry {
    /// Local time (`YYYY-MM-DD HH:MM`) for events, the date for runs and check-ins.
    pub when: String,
    /// `pain`, `session`, `finding`, `treatment`, `reaction`, `run` or `checkin`.
    pub kind: &'static str,
    /// The record's id.
    pub id: i64,
    /// The record in words.
    pub summary: String,
    #[serde(skip)]
    sort: (Timestamp, u8),
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
}

/// Every record of the journal in time order (runs and check-ins at local noon of their day),
/// distances in km.
pub fn timeline(j: &Journal, tz: &TimeZone) -> Vec<TimelineEntry> {
    timeline_in(j, tz, Unit::Km)
}

/// [`timeline`] with distances and paces in `unit`.
pub fn timeline_in(j: &Journal, tz: &TimeZone, unit: Unit) -> Vec<TimelineEntry> {
    let dist = |km: Km| units::format_distance(km.value(), unit);
    let day = |d: Date| {
        d.at(12, 0, 0, 0)
            .to_zoned(tz.clone())
            .map(|z| z.timestamp())
            .unwrap_or_default()
    };
    let local = |t: Timestamp| {
        t.to_zoned(tz.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    };
    let mut lines = Vec::new();
    for e in &j.pain_reports {
        let p = &e.item;
        let regions: Vec<&str> = p.regions.iter().map(|r| r.id()).collect();
        let mut s = format!(
            "{} {} pain {} ({})",
            p.side,
            regions.join("+"),
            p.pain,
            p.context
        );
        if let Some(km) = p.onset_km {
            s.push_str(&format!(" from {}", dist(km)));
        }
        if !p.red_flags.is_empty() {
            let f: Vec<&str> = p.red_flags.iter().map(|f| f.as_str()).collect();
            s.push_str(&format!(" — RED FLAGS: {}", f.join(", ")));
        }
        lines.push(TimelineEntry {
            when: local(p.at),
            kind: "pain",
            id: e.id,
            summary: s,
            sort: (p.at, 0),
        });
    }
    for e in &j.sessions {
        let s = &e.item;
        let summary = format!(
            "therapist session, pressure ceiling {}, relaxation {}",
            s.pressure_ceiling,
            opt(s.relaxation)
        );
        lines.push(TimelineEntry {
            when: local(s.at),
            kind: "session",
            id: e.id,
            summary,
            sort: (s.at, 1),
        });
    }
    for e in &j.findings {
        let f = &e.item;
        let mut s = format!("{} {} tenderness {}", f.side, f.trigger_point, f.tenderness);
        if f.taut_band {
            s.push_str(", taut band");
        }
        if f.reproduces {
            s.push_str(", reproduces the symptom");
        }
        lines.push(TimelineEntry {
            when: local(f.at),
            kind: "finding",
            id: e.id,
            summary: s,
            sort: (f.at, 2),
        });
    }
    for e in &j.treatments {
        let t = &e.item;
        let mut s = format!(
            "{} {} on {}",
            t.by,
            t.kind,
            t.target.as_deref().unwrap_or("-")
        );
        if let Some(p) = t.pressure {
            s.push_str(&format!(" at pressure {p}"));
        }
        if let Some(m) = t.minutes {
            s.push_str(&format!(", {m} min"));
        }
        lines.push(TimelineEntry {
            when: local(t.at),
            kind: "treatment",
            id: e.id,
            summary: s,
            sort: (t.at, 3),
        });
    }
    for e in &j.reactions {
        let r = &e.item;
        let mut s = format!("reaction: {} {}", r.kind, r.severity);
        if let Some(h) = r.hours {
            s.push_str(&format!(" for {h} h"));
        }
        if let Some(t) = r.treatment {
            s.push_str(&format!(" after treatment {t}"));
        }
        if let Some(note) = &r.note {
            s.push_str(&format!(" — {note}"));
        }
        lines.push(TimelineEntry {
            when: local(r.at),
            kind: "reaction",
            id: e.id,
            summary: s,
            sort: (r.at, 4),
        });
    }
    for e in &j.runs {
        let r = &e.item;
        let mut run = format!("{} run", dist(r.km));
        if let Some(m) = r.minutes {
            run.push_str(&format!(" in {}", units::format_minutes(m)));
            if let Some(pace) = units::format_pace(m, r.km.value(), unit) {
                run.push_str(&format!(" ({pace})"));
            }
        }
        let s = match r.pain_onset_km {
            Some(on) => format!("{run}, pain from {} up to {}", dist(on), opt(r.max_pain)),
            None if r.is_pain_free() => format!("{run}, pain-free"),
            None => format!("{run}, max pain {}", opt(r.max_pain)),
        };
        lines.push(TimelineEntry {
            when: r.date.to_string(),
            kind: "run",
            id: e.id,
            summary: s,
            sort: (day(r.date), 5),
        });
    }
    for e in &j.checkins {
        let c = &e.item;
        // What the check-in recorded, and only that.
        let mut parts: Vec<String> = Vec::new();
        if let Some(p) = c.morning_pain {
            parts.push(format!("morning pain {p}"));
        }
        if let Some(st) = c.stiffness {
            parts.push(format!("stiffness {st}"));
        }
        if let Some(w) = c.water_l {
            parts.push(format!("water {w} l"));
        }
        if let Some(k) = c.potassium {
            parts.push(format!("potassium {}", if k { "yes" } else { "no" }));
        }
        if let Some(h) = c.sleep_h {
            parts.push(format!("sleep {h} h"));
        }
        if let Some(n) = &c.note {
            parts.push(format!("— {n}"));
        }
        let s = if parts.is_empty() {
            "check-in (nothing recorded)".to_string()
        } else {
            format!("check-in: {}", parts.join(", "))
        };
        lines.push(TimelineEntry {
            when: c.date.to_string(),
            kind: "checkin",
            id: e.id,
            summary: s,
            sort: (day(c.date), 6),
        });
    }
    lines.sort_by(|a, b| a.sort.cmp(&b.sort).then(a.id.cmp(&b.id)));
    lines
}

/// One palpation of a knot.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KnotPoint {
    /// When.
    pub at: Timestamp,
    /// Tenderness 0-10.
    pub tenderness: u8,
    /// Whether it reproduced the symptom.
    pub reproduces: bool,
}

/// A knot (trigger point on a side) with every recorded palpation, oldest first.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KnotHistory {
    /// The trigger point.
    pub trigger_point: TriggerPointId,
    /// The side.
    pub side: Side,
    /// Palpations, oldest first.
    pub points: Vec<KnotPoint>,
}

impl KnotHistory {
    /// The latest tenderness.
    pub fn latest(&self) -> Option<&KnotPoint> {
        self.points.last()
    }

    /// The highest tenderness recorded.
    pub fn peak(&self) -> u8 {
        self.points.iter().map(|p| p.tenderness).max().unwrap_or(0)
    }
}

/// Each recorded knot with its palpations over time, most tender (at its latest) first.
pub fn knots_over_time(journal: &Journal) -> Vec<KnotHistory> {
    let mut knots: Vec<KnotHistory> = Vec::new();
    let mut findings: Vec<_> = journal.findings.iter().collect();
    findings.sort_by(|a, b| a.item.at.cmp(&b.item.at).then(a.id.cmp(&b.id)));
    for f in findings {
        let point = KnotPoint {
            at: f.item.at,
            tenderness: f.item.tenderness.value(),
            reproduces: f.item.reproduces,
        };
        match knots
            .iter_mut()
            .find(|k| k.trigger_point == f.item.trigger_point && k.side == f.item.side)
        {
            Some(k) => k.points.push(point),
            None => knots.push(KnotHistory {
                trigger_point: f.item.trigger_point.clone(),
                side: f.item.side,
                points: vec![point],
            }),
        }
    }
    knots.sort_by(|a, b| {
        b.peak()
            .cmp(&a.peak())
            .then_with(|| a.trigger_point.cmp(&b.trigger_point))
            .then_with(|| a.side.cmp(&b.side))
    });
    knots
}

/// The longest pain-free run on or after `since` (all runs when `None`; ties: the earliest).
pub fn longest_pain_free_run(runs: &[Entry<Run>], since: Option<Date>) -> Option<&Entry<Run>> {
    let after = |r: &&Entry<Run>| since.is_none_or(|d| r.item.date >= d);
    runs.iter()
        .filter(after)
        .filter(|r| r.item.is_pain_free())
        .fold(None, |best, r| match best {
            Some(b) if b.item.km.value() >= r.item.km.value() => Some(b),
            _ => Some(r),
        })
}

/// A shoe with its distance so far.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ShoeMileage {
    /// The shoe's id.
    pub id: i64,
    /// The shoe.
    #[serde(flatten)]
    pub shoe: Shoe,
    /// Initial distance plus every run in it.
    pub km: f64,
    /// Whether `km` has reached the shoe's limit.
    pub past_limit: bool,
}

/// Every shoe with its mileage, in id order.
pub fn shoe_mileage(journal: &Journal) -> Vec<ShoeMileage> {
    journal
        .shoes
        .iter()
        .map(|s| {
            let run_km: f64 = journal
                .runs
                .iter()
                .filter(|r| r.item.shoe == Some(s.id))
                .map(|r| r.item.km.value())
                .sum();
            let km = s.item.initial_km + run_km;
            ShoeMileage {
                id: s.id,
                shoe: s.item.clone(),
                km,
                past_limit: km >= s.item.limit_km,
            }
        })
        .collect()
}

/// The journal at a glance.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Status {
    /// The see-a-clinician warning, when a red flag is active.
    pub warning: Option<String>,
    /// Active red flags.
    pub red_flags: Vec<RedFlagNotice>,
    /// The latest pain report.
    pub latest_pain: Option<Entry<PainReport>>,
    /// Knots, most tender first.
    pub knots: Vec<KnotHistory>,
    /// Runs and distance in the last 28 days.
    pub runs_28d: usize,
    /// Kilometres in the last 28 days.
    pub km_28d: f64,
    /// The date of the first pain report, when there is one.
    pub pain_since: Option<Date>,
    /// The longest pain-free run since the first pain report (or ever, without one).
    pub longest_pain_free_run: Option<Entry<Run>>,
    /// Shoes with mileage.
    pub shoes: Vec<ShoeMileage>,
    /// Number of records of each kind.
    pub counts: Counts,
}

/// Number of records of each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Pain reports.
    pub pain_reports: usize,
    /// Findings.
    pub findings: usize,
    /// Treatments.
    pub treatments: usize,
    /// Sessions.
    pub sessions: usize,
    /// Runs.
    pub runs: usize,
    /// Shoes.
    pub shoes: usize,
    /// Check-ins.
    pub checkins: usize,
}

/// The local date of the first pain report.
pub fn first_pain_date(journal: &Journal, tz: &TimeZone) -> Option<Date> {
    journal
        .pain_reports
        .iter()
        .map(|p| p.item.at)
        .min()
        .map(|at| at.to_zoned(tz.clone()).date())
}

/// Computes the status of `journal` as of `now` (local dates in `now`'s time zone).
pub fn status(journal: &Journal, now: &Zoned) -> Status {
    let today = now.date();
    let red_flags = safety::active_red_flags(&journal.pain_reports, now.timestamp(), &[]);
    let since = today
        .checked_sub(jiff::Span::new().days(27))
        .unwrap_or(today);
    let recent: Vec<&Entry<Run>> = journal
        .runs
        .iter()
        .filter(|r| r.item.date >= since && r.item.date <= today)
        .collect();
    let pain_since = first_pain_date(journal, now.time_zone());
    Status {
        pain_since,
        warning: safety::clinician_warning(&red_flags),
        red_flags,
        latest_pain: journal
            .pain_reports
            .iter()
            .max_by(|a, b| a.item.at.cmp(&b.item.at).then(a.id.cmp(&b.id)))
            .cloned(),
        knots: knots_over_time(journal),
        runs_28d: recent.len(),
        km_28d: recent.iter().map(|r| r.item.km.value()).sum(),
        longest_pain_free_run: longest_pain_free_run(&journal.runs, pain_since).cloned(),
        shoes: shoe_mileage(journal),
        counts: Counts {
            pain_reports: journal.pain_reports.len(),
            findings: journal.findings.len(),
            treatments: journal.treatments.len(),
            sessions: journal.sessions.len(),
            runs: journal.runs.len(),
            shoes: journal.shoes.len(),
            checkins: journal.checkins.len(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Camber;
    use crate::scale::{Km, Nrs};

    fn run(id: i64, date: &str, km: f64, onset: Option<f64>, shoe: Option<i64>) -> Entry<Run> {
        Entry {
            id,
            item: Run {
                date: date.parse().unwrap(),
                km: Km::new(km).unwrap(),
                minutes: None,
                shoe,
                surface: None,
                camber: Camber::None,
                pain_onset_km: onset.map(|o| Km::new(o).unwrap()),
                max_pain: onset.map(|_| Nrs::new(5).unwrap()),
                pain_next_morning: None,
                rpe: None,
                note: None,
            },
        }
    }

    #[test]
    fn longest_pain_free_run_ignores_runs_with_pain() {
        let runs = vec![
            run(1, "2026-10-01", 12.0, Some(1.6), None),
            run(2, "2026-10-03", 5.0, None, None),
            run(3, "2026-10-05", 10.0, None, None),
            run(4, "2026-10-07", 10.0, None, None),
        ];
        assert_eq!(longest_pain_free_run(&runs, None).map(|r| r.id), Some(3));
        let since = Some("2026-10-06".parse().unwrap());
        assert_eq!(longest_pain_free_run(&runs, since).map(|r| r.id), Some(4));
        assert_eq!(runs[0].item.pain_free_km(), 1.6);
    }

    #[test]
    fn shoe_mileage_adds_runs_to_the_initial_distance() {
        let journal = Journal {
            shoes: vec![Entry {
                id: 7,
                item: Shoe {
                    name: "road".into(),
                    started: "2026-01-01".parse().unwrap(),
                    retired: None,
                    initial_km: 690.0,
                    limit_km: 700.0,
                },
            }],
            runs: vec![
                run(1, "2026-10-01", 6.0, None, Some(7)),
                run(2, "2026-10-02", 6.0, None, None),
            ],
            ..Journal::default()
        };
        let m = shoe_mileage(&journal);
        assert_eq!(m[0].km, 696.0);
        assert!(!m[0].past_limit);
    }

    #[test]
    fn a_check_in_line_says_what_was_recorded_and_only_that() {
        use crate::journal::Checkin;
        let c = |stiffness: Option<u8>, potassium: Option<bool>, water_l: Option<f64>| Entry {
            id: 1,
            item: Checkin {
                date: "2026-11-20".parse().unwrap(),
                morning_pain: None,
                stiffness: stiffness.map(|v| Nrs::new(v).unwrap()),
                water_l,
                potassium,
                sleep_h: None,
                note: None,
            },
        };
        let line = |e: Entry<Checkin>| {
            let j = Journal {
                checkins: vec![e],
                ..Journal::default()
            };
            timeline(&j, &TimeZone::UTC)[0].summary.clone()
        };
        assert_eq!(
            line(c(Some(3), Some(true), Some(1.5))),
            "check-in: stiffness 3/10, water 1.5 l, potassium yes"
        );
        assert_eq!(line(c(None, None, None)), "check-in (nothing recorded)");
    }

    #[test]
    fn the_timeline_shows_a_reaction_with_its_note_after_its_treatment() {
        use crate::journal::{Reaction, ReactionKind};
        let journal = Journal {
            treatments: vec![crate::analytics::tests::treatment(
                3,
                "2026-11-20T17:00:00Z",
                crate::journal::TreatmentKind::Ice,
                "calf",
            )],
            reactions: vec![Entry {
                id: 1,
                item: Reaction {
                    at: "2026-11-20T17:30:00Z".parse().unwrap(),
                    kind: ReactionKind::Burn,
                    severity: Nrs::new(4).unwrap(),
                    hours: Some(24.0),
                    treatment: Some(3),
                    note: Some("ice pack straight on the skin".into()),
                },
            }],
            ..Journal::default()
        };
        let lines = timeline(&journal, &TimeZone::UTC);
        let kinds: Vec<&str> = lines.iter().map(|l| l.kind).collect();
        assert_eq!(kinds, ["treatment", "reaction"]);
        assert_eq!(lines[1].when, "2026-11-20 17:30");
        assert_eq!(
            lines[1].summary,
            "reaction: burn 4/10 for 24 h after treatment 3 — ice pack straight on the skin"
        );
    }
}
