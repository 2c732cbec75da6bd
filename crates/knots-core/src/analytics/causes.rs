//! Possible causes: shoe mileage against each shoe's limit, surface and camber against pain onset,
//! a leg-length difference, and load spikes before pain episodes. Each is a factor to look at,
//! not a diagnosis (domain brief 4 and 6, "Perpetuating factors").

use super::days_between;
use super::load;
use crate::journal::{Camber, Journal, Run, Surface};
use crate::summary;
use jiff::civil::Date;
use std::collections::BTreeMap;

/// Pain above this during a run counts as "a run with pain" here (0-2 is the model's safe band).
pub const PAIN_ABOVE: u8 = 2;
/// Days without a painful run after which the next painful run starts a new episode.
pub const EPISODE_GAP_DAYS: i64 = 14;

/// A shoe against its limit.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ShoeCause {
    /// The shoe's name.
    pub name: String,
    /// Distance so far.
    pub km: f64,
    /// Its limit.
    pub limit_km: f64,
    /// Past the limit.
    pub past_limit: bool,
    /// Runs in it, and how many hurt.
    pub runs: usize,
    /// Runs in it with pain above 2/10.
    pub painful_runs: usize,
    /// The shoe's distance when its first painful run began, if one did.
    pub km_at_first_pain: Option<f64>,
}

/// Runs grouped by a condition (a surface or a camber).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Group {
    /// The condition, e.g. `road` or `camber left`.
    pub label: String,
    /// Runs.
    pub runs: usize,
    /// Runs with pain above 2/10.
    pub painful_runs: usize,
    /// Mean pain onset, km, over the runs that hurt and recorded one.
    pub mean_onset_km: Option<f64>,
}

/// A pain episode with the load before it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Episode {
    /// The first painful run of the episode.
    pub start: Date,
    /// The highest EWMA ratio in the 14 days before.
    pub max_ratio_before: Option<f64>,
    /// The highest week-on-week change in the 14 days before.
    pub max_weekly_change_before: Option<f64>,
    /// Whether a spike (ratio ≥ 1.5 or a week up > 30%) came before.
    pub spike_before: bool,
}

/// The causes section.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Causes {
    /// Shoes.
    pub shoes: Vec<ShoeCause>,
    /// Runs by surface.
    pub surfaces: Vec<Group>,
    /// Runs by camber.
    pub cambers: Vec<Group>,
    /// The leg-length note, when a difference is recorded.
    pub leg_length: Option<String>,
    /// Pain episodes and the load before them.
    pub episodes: Vec<Episode>,
    /// The findings in words.
    pub notes: Vec<String>,
}

fn painful(r: &Run) -> bool {
    r.max_pain.is_some_and(|p| p.value() > PAIN_ABOVE)
}

fn group(label: String, runs: &[&Run]) -> Group {
    let hurt: Vec<&&Run> = runs.iter().filter(|r| painful(r)).collect();
    let onsets: Vec<f64> = hurt
        .iter()
        .filter_map(|r| r.pain_onset_km.map(|k| k.value()))
        .collect();
    Group {
        label,
        runs: runs.len(),
        painful_runs: hurt.len(),
        mean_onset_km: (!onsets.is_empty())
            .then(|| onsets.iter().sum::<f64>() / onsets.len() as f64),
    }
}

fn rate(g: &Group) -> f64 {
    g.painful_runs as f64 / g.runs.max(1) as f64
}

/// The causes section from `journal` as of `today`.
pub fn report(journal: &Journal, today: Date) -> Causes {
    let mut notes = Vec::new();
    let mut runs: Vec<&Run> = journal
        .runs
        .iter()
        .map(|r| &r.item)
        .filter(|r| r.date <= today)
        .collect();
    runs.sort_by_key(|r| r.date);
    // Shoes.
    let mut shoes = Vec::new();
    for m in summary::shoe_mileage(journal) {
        let worn: Vec<&Run> = runs
            .iter()
            .copied()
            .filter(|r| r.shoe == Some(m.id))
            .collect();
        let mut km = m.shoe.initial_km;
        let mut at_first = None;
        for r in &worn {
            if painful(r) && at_first.is_none() {
                at_first = Some(km);
            }
            km += r.km.value();
        }
        if m.past_limit && m.shoe.retired.is_none() {
            notes.push(format!(
                "shoe `{}` has {:.0} km, past its {:.0} km limit (a convention, not evidence): \
                 consider replacing it",
                m.shoe.name, m.km, m.shoe.limit_km
            ));
        }
        if let Some(k) = at_first.filter(|k| *k >= m.shoe.limit_km) {
            notes.push(format!(
                "the pain began in shoe `{}` at {k:.0} km, past its limit",
                m.shoe.name
            ));
        }
        shoes.push(ShoeCause {
            name: m.shoe.name.clone(),
            km: m.km,
            limit_km: m.shoe.limit_km,
            past_limit: m.past_limit,
            runs: worn.len(),
            painful_runs: worn.iter().filter(|r| painful(r)).count(),
            km_at_first_pain: at_first,
        });
    }
    // Surfaces and cambers.
    let mut by_surface: BTreeMap<Surface, Vec<&Run>> = BTreeMap::new();
    let mut by_camber: BTreeMap<Camber, Vec<&Run>> = BTreeMap::new();
    for r in &runs {
        if let Some(s) = r.surface {
            by_surface.entry(s).or_default().push(r);
        }
        by_camber.entry(r.camber).or_default().push(r);
    }
    let surfaces: Vec<Group> = by_surface
        .iter()
        .map(|(s, rs)| group(s.to_string(), rs))
        .collect();
    let cambers: Vec<Group> = by_camber
        .iter()
        .map(|(c, rs)| group(format!("camber {c}"), rs))
        .collect();
    let flat = cambers.iter().find(|g| g.label == "camber none");
    for g in cambers.iter().filter(|g| g.label != "camber none") {
        if g.painful_runs > 0 && flat.is_none_or(|f| rate(g) > rate(f)) {
            notes.push(format!(
                "{} of {} runs on a road cambered {} hurt{}, against {}: camber makes the legs \
                 work unevenly (weak evidence, Camber 2002)",
                g.painful_runs,
                g.runs,
                g.label.trim_start_matches("camber "),
                g.mean_onset_km.map_or(String::new(), |k| format!(
                    " (pain from {k:.1} km on average)"
                )),
                flat.map_or("no flat runs to compare with".to_string(), |f| format!(
                    "{} of {} flat runs",
                    f.painful_runs, f.runs
                )),
            ));
        }
    }
    let leg_length = journal.profile.leg_length_diff_mm.map(|mm| {
        format!(
            "leg-length difference of {mm} mm{} recorded: a mechanical perpetuating factor in \
             Travell & Simons, weak evidence for running pain",
            journal
                .profile
                .longer_leg
                .map_or(String::new(), |s| format!(" ({s} leg longer)"))
        )
    });
    if let Some(l) = &leg_length {
        notes.push(l.clone());
    }
    // Episodes and the load before them.
    let mut episodes = Vec::new();
    if let Some(first) = runs.first().map(|r| r.date) {
        let days = load::daily_series(&journal.runs, first, today);
        let measure = load::best_measure(&journal.runs);
        let loads: Vec<f64> = days.iter().map(|d| d.load(measure)).collect();
        let (_, ewma) = load::ratio_series(&loads);
        let mut last_pain: Option<Date> = None;
        for r in runs.iter().filter(|r| painful(r)) {
            let new = last_pain
                .is_none_or(|p| days_between(p, r.date).is_some_and(|g| g > EPISODE_GAP_DAYS));
            last_pain = Some(r.date);
            if !new {
                continue;
            }
            let Some(end) = days_between(first, r.date).and_then(|d| usize::try_from(d).ok())
            else {
                continue;
            };
            let from = end.saturating_sub(14);
            let max_ratio = ewma[from..end.min(ewma.len())]
                .iter()
                .flatten()
                .copied()
                .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
            let max_change = (from..end)
                .filter_map(|i| load::weekly_change(&loads[..=i]))
                .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
            let spike = max_ratio.is_some_and(|r| r >= load::DANGER)
                || max_change.is_some_and(|c| c > load::WEEKLY_SPIKE);
            if spike {
                let what: Vec<String> = [
                    max_ratio.map(|x| format!("EWMA ratio up to {x:.2}")),
                    max_change.map(|c| format!("a week up {:.0}% on the one before", c * 100.0)),
                ]
                .into_iter()
                .flatten()
                .collect();
                notes.push(format!(
                    "a load spike came before the pain that began on {}: {} in the 14 days before",
                    r.date,
                    what.join(", ")
                ));
            }
            episodes.push(Episode {
                start: r.date,
                max_ratio_before: max_ratio,
                max_weekly_change_before: max_change,
                spike_before: spike,
            });
        }
    }
    Causes {
        shoes,
        surfaces,
        cambers,
        leg_length,
        episodes,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::add_days;
    use crate::analytics::tests::run;

    #[test]
    fn a_spike_before_the_pain_and_the_camber_are_noted() {
        // Four weeks of 5 km every other day, then a week of 10 km every day, then pain.
        let mut runs = Vec::new();
        let start: Date = "2026-01-01".parse().unwrap();
        let mut id = 0;
        for d in (0..28).step_by(2) {
            id += 1;
            runs.push(run(id, &add_days(start, d).to_string(), 5.0, None, 0));
        }
        for d in 28..35 {
            id += 1;
            runs.push(run(id, &add_days(start, d).to_string(), 10.0, None, 0));
        }
        id += 1;
        let mut hurt = run(id, &add_days(start, 35).to_string(), 4.0, Some(1.6), 6);
        hurt.item.camber = Camber::Left;
        runs.push(hurt);
        let j = Journal {
            runs,
            ..Journal::default()
        };
        let c = report(&j, add_days(start, 35));
        assert_eq!(c.episodes.len(), 1);
        assert!(c.episodes[0].spike_before);
        // Week 28-34: 70 km; week 21-27: 5 km on days 22, 24, 26 = 15 km → +367%.
        let change = c.episodes[0].max_weekly_change_before.unwrap();
        assert!((change - 55.0 / 15.0).abs() < 1e-9, "{change}");
        assert!(c.notes.iter().any(|n| n.contains("cambered left")));
    }
}
