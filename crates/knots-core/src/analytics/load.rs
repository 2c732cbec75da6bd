//! Training load: a daily series from runs, the acute:chronic workload ratio (rolling and EWMA),
//! week-on-week change, and Foster's monotony and strain (domain brief 5.1).
//!
//! Every function here takes daily loads oldest first, the last element being "today"; days
//! without a run count as 0. Results that need a caveat carry it alongside the value.
//!
//! Every run counts. When the report measures session-RPE, a run without an RPE is estimated at
//! its minutes × the runner's own median RPE (without minutes: its km at the runner's median pace),
//! and so is another sport's activity; when it measures minutes, a run without minutes is
//! estimated at the runner's median pace. The report counts these estimates and says so
//! ([`estimate_missing_srpe`], [`estimate_missing_minutes`]). A week with runs therefore never
//! has load 0 (a run's RPE is 1-10: 0 on CR-10 is rest).

use super::{add_days, days_between};
use crate::journal::{Entry, Run};
use jiff::civil::Date;

/// Days of history before any ratio is shown (domain brief 5.1: undefined until 28 days).
pub const MIN_DAYS: usize = 28;
/// Week-on-week increase above which knots flags a spike (Nielsen2014).
pub const WEEKLY_SPIKE: f64 = 0.30;
/// Upper end of the ratio's "sweet spot" 0.8-1.3 (Gabbett2016).
pub const SWEET_SPOT_HIGH: f64 = 1.3;
/// The ratio's "danger zone" (Gabbett2016).
pub const DANGER: f64 = 1.5;
/// Foster's common warning level for monotony (Foster1998).
pub const MONOTONY_WARNING: f64 = 2.0;

/// What a day's load is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Foster session-RPE: RPE (CR-10) × minutes, in arbitrary units (Foster2001).
    SessionRpe,
    /// Minutes of training: runs plus other sports' activities (cross-training is load too).
    Minutes,
    /// Kilometres run.
    Km,
}

impl Measure {
    /// The unit shown next to a value.
    pub fn unit(self) -> &'static str {
        match self {
            Measure::SessionRpe => "AU",
            Measure::Minutes => "min",
            Measure::Km => "km",
        }
    }
}

/// One day of load.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Day {
    /// The local date.
    pub date: Date,
    /// Kilometres run that day.
    pub km: f64,
    /// Minutes run that day (runs without a duration add nothing).
    pub minutes: f64,
    /// Session-RPE × minutes (AU) of the runs that have both an RPE and a duration, plus the
    /// estimates of [`estimate_missing_srpe`] when it was applied.
    pub srpe: f64,
    /// The estimated part of `srpe` (runs without an RPE or a duration, other sports).
    pub srpe_estimated: f64,
    /// Minutes of other sports that day (imported non-running activities).
    pub cross_minutes: f64,
}

impl Day {
    /// The day's load in `measure`.
    pub fn load(&self, measure: Measure) -> f64 {
        match measure {
            Measure::SessionRpe => self.srpe,
            Measure::Minutes => self.minutes + self.cross_minutes,
            Measure::Km => self.km,
        }
    }
}

/// The daily series from `start` to `end` inclusive (empty when `end < start`); runs outside are
/// ignored.
///
/// # Examples
/// ```
/// use knots_core::analytics::load::daily_series;
/// let d = |s: &str| s.parse().unwrap();
/// assert_eq!(daily_series(&[], d("2026-01-01"), d("2026-01-07")).len(), 7);
/// ```
pub fn daily_series(runs: &[Entry<Run>], start: Date, end: Date) -> Vec<Day> {
    let Some(len) = days_between(start, end).and_then(|d| usize::try_from(d + 1).ok()) else {
        return Vec::new();
    };
    let mut days: Vec<Day> = (0..len)
        .map(|i| Day {
            date: add_days(start, i as i64),
            km: 0.0,
            minutes: 0.0,
            srpe: 0.0,
            srpe_estimated: 0.0,
            cross_minutes: 0.0,
        })
        .collect();
    for r in runs {
        let Some(i) = days_between(start, r.item.date)
            .and_then(|d| usize::try_from(d).ok())
            .filter(|i| *i < len)
        else {
            continue;
        };
        let day = &mut days[i];
        day.km += r.item.km.value();
        if let Some(m) = r.item.minutes {
            day.minutes += m;
            if let Some(rpe) = session_rpe(&r.item) {
                day.srpe += rpe * m;
            }
        }
    }
    days
}

/// Adds other sports' minutes, given as (local date, minutes), to the days they fall on.
///
/// # Examples
/// ```
/// use knots_core::analytics::load::{add_cross_training, daily_series, Measure};
/// let d = |s: &str| s.parse().unwrap();
/// let mut days = daily_series(&[], d("2026-01-01"), d("2026-01-02"));
/// add_cross_training(&mut days, &[(d("2026-01-02"), 60.0), (d("2025-12-31"), 30.0)]);
/// assert_eq!(days[1].load(Measure::Minutes), 60.0);
/// assert_eq!(days[1].load(Measure::Km), 0.0);
/// ```
pub fn add_cross_training(days: &mut [Day], other: &[(Date, f64)]) {
    for (date, minutes) in other {
        if let Some(day) = day_of(days, *date) {
            day.cross_minutes += minutes;
        }
    }
}

/// The day of `days` (consecutive, oldest first) that falls on `date`, if the series holds it.
fn day_of(days: &mut [Day], date: Date) -> Option<&mut Day> {
    let start = days.first()?.date;
    let i = usize::try_from(days_between(start, date)?).ok()?;
    days.get_mut(i)
}

/// A run's session RPE for the load: 1-10. An RPE of 0 (rest, on CR-10) is no run's effort and
/// is taken as not given, so the run's load is estimated rather than 0.
fn session_rpe(run: &Run) -> Option<f64> {
    run.rpe.map(|p| p.value()).filter(|v| *v > 0).map(f64::from)
}

/// The median pace in minutes per km over the timed runs among `runs` (those with minutes and a
/// distance); `None` when there is none.
pub(crate) fn median_pace<'a>(runs: impl IntoIterator<Item = &'a Run>) -> Option<f64> {
    median(
        runs.into_iter()
            .filter(|r| r.km.value() > 0.0)
            .filter_map(|r| r.minutes.filter(|m| *m > 0.0).map(|m| m / r.km.value()))
            .collect(),
    )
}

/// The median of `xs` (the mean of the middle two for an even count); `None` when empty.
fn median(mut xs: Vec<f64>) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    Some(if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    })
}

/// What the session-RPE estimates were made from, and how many there were.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Estimates {
    /// The runner's median RPE over the runs that have one.
    pub median_rpe: Option<f64>,
    /// The runner's median pace in minutes per km over the runs with a duration.
    pub median_pace_min_km: Option<f64>,
    /// Runs whose load was estimated (no RPE, or no duration).
    pub runs: usize,
    /// Other sports' activities whose load was estimated (they carry no RPE).
    pub activities: usize,
}

/// Adds session-RPE estimates to `days` for every run that lacks an RPE or a duration, and for
/// other sports' activities (`other`: local date, minutes), so that every run counts: load =
/// minutes × the runner's median RPE, where a run without minutes gets km × the runner's median
/// pace; a run with its own RPE but no minutes keeps its RPE. Runs and activities outside `days`
/// are ignored. Without any RPE in `runs` nothing can be estimated (the counts stay 0).
///
/// # Examples
/// ```
/// use knots_core::analytics::load::{daily_series, estimate_missing_srpe};
/// let d = "2026-01-01".parse().unwrap();
/// let mut days = daily_series(&[], d, d);
/// let e = estimate_missing_srpe(&mut days, &[], &[]);
/// assert_eq!((e.runs, e.median_rpe), (0, None));
/// ```
pub fn estimate_missing_srpe(
    days: &mut [Day],
    runs: &[Entry<Run>],
    other: &[(Date, f64)],
) -> Estimates {
    let median_rpe = median(runs.iter().filter_map(|r| session_rpe(&r.item)).collect());
    let median_pace_min_km = median_pace(runs.iter().map(|r| &r.item));
    let mut e = Estimates {
        median_rpe,
        median_pace_min_km,
        ..Estimates::default()
    };
    let Some(rpe) = median_rpe else {
        return e;
    };
    for r in runs {
        if session_rpe(&r.item).is_some() && r.item.minutes.is_some() {
            continue;
        }
        let minutes = r
            .item
            .minutes
            .or_else(|| median_pace_min_km.map(|p| r.item.km.value() * p));
        let (Some(day), Some(minutes)) = (day_of(days, r.item.date), minutes) else {
            continue;
        };
        let load = minutes * session_rpe(&r.item).unwrap_or(rpe);
        day.srpe += load;
        day.srpe_estimated += load;
        e.runs += 1;
    }
    for (date, minutes) in other {
        if let Some(day) = day_of(days, *date) {
            day.srpe += minutes * rpe;
            day.srpe_estimated += minutes * rpe;
            e.activities += 1;
        }
    }
    e
}

/// Adds minutes to `days` for every run without a duration, at the runner's median pace over
/// the runs that have one, so that every run counts in the minutes measure. Runs outside `days`
/// are ignored; without a timed run nothing can be estimated (the count stays 0).
///
/// # Examples
/// ```
/// use knots_core::analytics::load::{daily_series, estimate_missing_minutes};
/// let d = "2026-01-01".parse().unwrap();
/// let mut days = daily_series(&[], d, d);
/// let e = estimate_missing_minutes(&mut days, &[]);
/// assert_eq!((e.runs, e.median_pace_min_km), (0, None));
/// ```
pub fn estimate_missing_minutes(days: &mut [Day], runs: &[Entry<Run>]) -> Estimates {
    let median_pace_min_km = median_pace(runs.iter().map(|r| &r.item));
    let mut e = Estimates {
        median_pace_min_km,
        ..Estimates::default()
    };
    let Some(pace) = median_pace_min_km else {
        return e;
    };
    for r in runs.iter().filter(|r| r.item.minutes.is_none()) {
        if let Some(day) = day_of(days, r.item.date) {
            day.minutes += r.item.km.value() * pace;
            e.runs += 1;
        }
    }
    e
}

/// The measure a set of runs supports best: session-RPE when at least 80% of runs have an RPE and
/// a duration, else minutes when 80% have a duration, else kilometres.
pub fn best_measure(runs: &[Entry<Run>]) -> Measure {
    let n = runs.len().max(1) as f64;
    let timed = runs.iter().filter(|r| r.item.minutes.is_some()).count() as f64;
    let rated = runs
        .iter()
        .filter(|r| r.item.minutes.is_some() && session_rpe(&r.item).is_some())
        .count() as f64;
    if runs.is_empty() {
        Measure::Km
    } else if rated / n >= 0.8 {
        Measure::SessionRpe
    } else if timed / n >= 0.8 {
        Measure::Minutes
    } else {
        Measure::Km
    }
}

/// An acute:chronic workload ratio with its two parts.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Ratio {
    /// Acute load (rolling: the sum of the last 7 days; EWMA: the 7-day average).
    pub acute: f64,
    /// Chronic load (rolling: the 28-day sum / 4; EWMA: the 28-day average).
    pub chronic: f64,
    /// acute / chronic; `None` when the chronic load is 0.
    pub ratio: Option<f64>,
}

/// Rolling, coupled ACWR at the last day: acute = sum of the last 7 days, chronic = sum of the
/// last 28 days / 4 (the acute week is inside the 28 days: "coupled" (Windt2018)).
/// `None` with fewer than 28 days.
///
/// # Examples
/// ```
/// use knots_core::analytics::load::rolling_acwr;
/// let loads = [10.0; 28];
/// assert_eq!(rolling_acwr(&loads).unwrap().ratio, Some(1.0));
/// assert!(rolling_acwr(&loads[..27]).is_none());
/// ```
pub fn rolling_acwr(loads: &[f64]) -> Option<Ratio> {
    if loads.len() < MIN_DAYS {
        return None;
    }
    let n = loads.len();
    let acute: f64 = loads[n - 7..].iter().sum();
    let chronic: f64 = loads[n - 28..].iter().sum::<f64>() / 4.0;
    Some(Ratio {
        acute,
        chronic,
        ratio: (chronic > 0.0).then(|| acute / chronic),
    })
}

/// Rolling, *uncoupled* ACWR at the last day: acute = sum of the last 7 days, chronic = sum of
/// days 8-35 before today / 4, so the acute week is not part of the chronic load (Windt2018).
/// `None` with fewer than 35 days.
///
/// # Examples
/// ```
/// use knots_core::analytics::load::uncoupled_acwr;
/// let mut loads = vec![10.0; 28];
/// loads.extend([20.0; 7]);
/// let r = uncoupled_acwr(&loads).unwrap();
/// assert_eq!((r.acute, r.chronic, r.ratio), (140.0, 70.0, Some(2.0)));
/// assert!(uncoupled_acwr(&loads[..34]).is_none());
/// ```
pub fn uncoupled_acwr(loads: &[f64]) -> Option<Ratio> {
    if loads.len() < MIN_DAYS + 7 {
        return None;
    }
    let n = loads.len();
    let acute: f64 = loads[n - 7..].iter().sum();
    let chronic: f64 = loads[n - 35..n - 7].iter().sum::<f64>() / 4.0;
    Some(Ratio {
        acute,
        chronic,
        ratio: (chronic > 0.0).then(|| acute / chronic),
    })
}

/// Exponentially weighted moving average with λ = 2 / (N + 1) (Williams2017):
/// `EWMA_t = λ·load_t + (1 − λ)·EWMA_{t−1}`, starting from 0 before the first day (no load
/// before the history begins). One value per day.
///
/// # Examples
/// ```
/// use knots_core::analytics::load::ewma;
/// // N = 7: λ = 0.25.
/// assert_eq!(ewma(&[100.0, 0.0], 7), vec![25.0, 18.75]);
/// ```
pub fn ewma(loads: &[f64], n: u32) -> Vec<f64> {
    let lambda = 2.0 / (f64::from(n) + 1.0);
    let mut acc = 0.0;
    loads
        .iter()
        .map(|l| {
            acc = lambda * l + (1.0 - lambda) * acc;
            acc
        })
        .collect()
}

/// EWMA ACWR at the last day: EWMA(N = 7) / EWMA(N = 28). `None` with fewer than 28 days.
pub fn ewma_acwr(loads: &[f64]) -> Option<Ratio> {
    if loads.len() < MIN_DAYS {
        return None;
    }
    let acute = *ewma(loads, 7).last()?;
    let chronic = *ewma(loads, 28).last()?;
    Some(Ratio {
        acute,
        chronic,
        ratio: (chronic > 0.0).then(|| acute / chronic),
    })
}

/// Both ratios for every day (the rolling one from day 28 on), for plotting.
pub fn ratio_series(loads: &[f64]) -> (Vec<Option<f64>>, Vec<Option<f64>>) {
    let mut prefix = Vec::with_capacity(loads.len() + 1);
    prefix.push(0.0);
    for l in loads {
        prefix.push(prefix[prefix.len() - 1] + l);
    }
    let rolling = (0..loads.len())
        .map(|i| {
            let end = i + 1;
            (end >= MIN_DAYS).then_some(())?;
            let acute = prefix[end] - prefix[end - 7];
            let chronic = (prefix[end] - prefix[end - 28]) / 4.0;
            (chronic > 0.0).then(|| acute / chronic)
        })
        .collect();
    let a = ewma(loads, 7);
    let c = ewma(loads, 28);
    let exp = a
        .iter()
        .zip(&c)
        .enumerate()
        .map(|(i, (a, c))| (i + 1 >= MIN_DAYS && *c > 0.0).then(|| a / c))
        .collect();
    (rolling, exp)
}

/// Foster's monotony of a week: mean daily load / standard deviation of the daily loads (rest days
/// count as 0; population SD, dividing by the number of days). `None` when every day is equal
/// (SD 0: undefined) or the week is empty.
///
/// # Examples
/// ```
/// use knots_core::analytics::load::monotony;
/// // Mean 2, SD 1.
/// assert_eq!(monotony(&[1.0, 3.0, 1.0, 3.0]), Some(2.0));
/// ```
pub fn monotony(week: &[f64]) -> Option<f64> {
    if week.is_empty() {
        return None;
    }
    let n = week.len() as f64;
    let mean = week.iter().sum::<f64>() / n;
    let var = week.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let sd = var.sqrt();
    (sd > 1e-12).then(|| mean / sd)
}

/// Foster's strain of a week: weekly load × monotony.
pub fn strain(week: &[f64]) -> Option<f64> {
    monotony(week).map(|m| week.iter().sum::<f64>() * m)
}

/// The relative change of the last 7 days' total over the 7 days before, e.g. 0.35 for +35%.
/// `None` with fewer than 14 days or an empty week before.
pub fn weekly_change(loads: &[f64]) -> Option<f64> {
    let n = loads.len();
    if n < 14 {
        return None;
    }
    let this: f64 = loads[n - 7..].iter().sum();
    let before: f64 = loads[n - 14..n - 7].iter().sum();
    (before > 0.0).then(|| (this - before) / before)
}

/// One day of the load plot.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PlotDay {
    /// The date.
    pub date: Date,
    /// The day's load in the report's measure.
    pub load: f64,
    /// Rolling ACWR on that day, from day 28.
    pub rolling: Option<f64>,
    /// EWMA ACWR on that day, from day 28.
    pub ewma: Option<f64>,
}

/// The load section of the report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LoadReport {
    /// What the loads are measured in.
    pub measure: Measure,
    /// Its unit.
    pub unit: &'static str,
    /// Days from the first run to today.
    pub days_of_history: usize,
    /// Rolling coupled ACWR today (`None` before 28 days).
    pub rolling: Option<Ratio>,
    /// Rolling uncoupled ACWR today: chronic from days 8-35 (`None` before 35 days).
    pub rolling_uncoupled: Option<Ratio>,
    /// EWMA ACWR today (`None` before 28 days).
    pub ewma: Option<Ratio>,
    /// Load of the last 7 days.
    pub this_week: f64,
    /// Load of the 7 days before.
    pub last_week: f64,
    /// Relative change week on week (0.35 = +35%).
    pub weekly_change: Option<f64>,
    /// Monotony of the last 7 days.
    pub monotony: Option<f64>,
    /// Strain of the last 7 days.
    pub strain: Option<f64>,
    /// Spike and warning flags, in words.
    pub flags: Vec<String>,
    /// Caveats about the numbers (too little data, estimated loads, what the ratio can and cannot
    /// say).
    pub caveats: Vec<String>,
    /// Runs whose load was estimated: session-RPE without an RPE or a duration, minutes without
    /// a duration (0 in kilometres).
    pub estimated_runs: usize,
    /// Other sports' activities whose session-RPE load was estimated (0 in other measures).
    pub estimated_activities: usize,
    /// The last 12 weeks, for plotting.
    pub recent: Vec<PlotDay>,
}

/// The load section from `runs` and other sports' minutes (`other`: local date, minutes) as of
/// `today`. Other sports count in the minutes measure only (they have no RPE, and their kilometres
/// are not running kilometres).
pub fn report(runs: &[Entry<Run>], other: &[(Date, f64)], today: Date) -> LoadReport {
    let measure = best_measure(runs);
    let first = runs
        .iter()
        .map(|r| r.item.date)
        .filter(|d| *d <= today)
        .min();
    let Some(first) = first else {
        return LoadReport {
            measure,
            unit: measure.unit(),
            days_of_history: 0,
            rolling: None,
            rolling_uncoupled: None,
            ewma: None,
            this_week: 0.0,
            last_week: 0.0,
            weekly_change: None,
            monotony: None,
            strain: None,
            flags: Vec::new(),
            caveats: vec!["too little data: no runs recorded yet".into()],
            estimated_runs: 0,
            estimated_activities: 0,
            recent: Vec::new(),
        };
    };
    let mut days = daily_series(runs, first, today);
    add_cross_training(&mut days, other);
    let estimates = match measure {
        Measure::SessionRpe => estimate_missing_srpe(&mut days, runs, other),
        Measure::Minutes => estimate_missing_minutes(&mut days, runs),
        Measure::Km => Estimates::default(),
    };
    let loads: Vec<f64> = days.iter().map(|d| d.load(measure)).collect();
    let n = loads.len();
    let sum = |from: usize, to: usize| loads[from.min(n)..to.min(n)].iter().sum::<f64>();
    let this_week = sum(n.saturating_sub(7), n);
    let last_week = sum(n.saturating_sub(14), n.saturating_sub(7));
    let week = &loads[n.saturating_sub(7)..];
    let rolling = rolling_acwr(&loads);
    let uncoupled = uncoupled_acwr(&loads);
    let exp = ewma_acwr(&loads);
    let change = weekly_change(&loads);
    let mono = if n >= 7 { monotony(week) } else { None };
    let strn = if n >= 7 { strain(week) } else { None };
    let mut flags = Vec::new();
    let mut caveats = Vec::new();
    if n < MIN_DAYS {
        caveats.push(format!(
            "too little data for a workload ratio: {n} days of history, {MIN_DAYS} needed"
        ));
    }
    if measure != Measure::SessionRpe {
        let rated = runs
            .iter()
            .filter(|r| r.item.minutes.is_some() && session_rpe(&r.item).is_some())
            .count();
        caveats.push(format!(
            "load is measured in {} because fewer than 80% of runs have both an RPE and a \
             duration ({rated} of {}); add --rpe and --minutes for session-RPE (Foster)",
            measure.unit(),
            runs.len()
        ));
    }
    if measure == Measure::Minutes && estimates.runs > 0 {
        caveats.push(format!(
            "{} run(s) without a duration are estimated, not measured: their distance at your median \
             pace {:.1} min/km",
            estimates.runs,
            estimates.median_pace_min_km.unwrap_or(0.0)
        ));
    }
    if measure == Measure::SessionRpe && estimates.runs > 0 {
        caveats.push(format!(
            "{} run(s) without an RPE or a duration are estimated, not measured: minutes × your \
             median RPE {:.1} (a run without minutes at your median pace {:.1} min/km)",
            estimates.runs,
            estimates.median_rpe.unwrap_or(0.0),
            estimates.median_pace_min_km.unwrap_or(0.0)
        ));
    }
    if !other.is_empty() {
        caveats.push(match measure {
            Measure::Minutes => format!(
                "{} activities of other sports count as training load in minutes",
                other.len()
            ),
            Measure::SessionRpe => format!(
                "{} activities of other sports count as training load, estimated at their minutes \
                 × your median RPE {:.1} (they carry no RPE)",
                other.len(),
                estimates.median_rpe.unwrap_or(0.0)
            ),
            Measure::Km => format!(
                "{} activities of other sports count as training load in minutes only, not in \
                 this measure",
                other.len()
            ),
        });
    }
    caveats.push(
        "the acute:chronic ratio is a spike flag, not a risk probability: its 0.8-1.3 'sweet spot' \
         comes from team sports and the ratio is criticised as mathematically coupled (Lolli 2019, \
         Impellizzeri 2020)"
            .into(),
    );
    for (name, r) in [("rolling 7/28-day", rolling), ("EWMA", exp)] {
        if let Some(ratio) = r.and_then(|r| r.ratio) {
            if ratio >= DANGER {
                flags.push(format!(
                    "{name} ratio {ratio:.2} is at or above {DANGER}: a load spike"
                ));
            } else if ratio > SWEET_SPOT_HIGH {
                flags.push(format!(
                    "{name} ratio {ratio:.2} is above the 0.8-{SWEET_SPOT_HIGH} range"
                ));
            }
        }
    }
    if let Some(c) = change.filter(|c| *c > WEEKLY_SPIKE) {
        flags.push(format!(
            "this week's load is {:+.0}% on last week: above the 30% linked to more running \
             injuries in novices (Nielsen 2014); the '10% rule' itself is folklore without strong \
             evidence (Buist 2008)",
            c * 100.0
        ));
    }
    if let Some(m) = mono.filter(|m| *m > MONOTONY_WARNING) {
        flags.push(format!(
            "monotony {m:.1} is above {MONOTONY_WARNING}: the days are too alike (Foster 1998)"
        ));
    }
    let (rs, es) = ratio_series(&loads);
    let from = n.saturating_sub(84);
    let recent = (from..n)
        .map(|i| PlotDay {
            date: days[i].date,
            load: loads[i],
            rolling: rs[i],
            ewma: es[i],
        })
        .collect();
    LoadReport {
        measure,
        unit: measure.unit(),
        days_of_history: n,
        rolling,
        rolling_uncoupled: uncoupled,
        ewma: exp,
        this_week,
        last_week,
        weekly_change: change,
        monotony: mono,
        strain: strn,
        flags,
        caveats,
        estimated_runs: estimates.runs,
        estimated_activities: estimates.activities,
        recent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    #[test]
    fn rolling_acwr_by_hand() {
        // 21 days of 10, then a week of 20: acute = 140, chronic = (210 + 140) / 4 = 87.5.
        let mut loads = vec![10.0; 21];
        loads.extend([20.0; 7]);
        let r = rolling_acwr(&loads).unwrap();
        close(r.acute, 140.0);
        close(r.chronic, 87.5);
        close(r.ratio.unwrap(), 1.6);
        // Only the last 28 days count.
        let mut longer = vec![1000.0; 5];
        longer.extend(&loads);
        close(rolling_acwr(&longer).unwrap().ratio.unwrap(), 1.6);
        // Too little data and zero chronic load.
        assert!(rolling_acwr(&loads[1..]).is_none());
        assert_eq!(rolling_acwr(&[0.0; 28]).unwrap().ratio, None);
    }

    #[test]
    fn in_minutes_a_run_without_a_duration_counts_at_the_median_pace() {
        // Nine runs of 5 km in 30 min (6:00/km), then this week 8 km and 5 km without minutes:
        // eleven runs of which nine timed (82%): minutes. The two untimed runs count
        // (8 + 5) × 6 = 78 min, estimated; the week is not 0.
        let today: Date = "2026-05-20".parse().unwrap();
        let mut runs: Vec<Entry<Run>> = (0..9)
            .map(|i| crate::analytics::tests::run(i, "2026-05-01", 5.0, None, 0))
            .map(|mut r| {
                r.item.date = add_days(r.item.date, r.id);
                r.item.minutes = Some(30.0);
                r
            })
            .collect();
        for (id, date, km) in [(20, "2026-05-17", 8.0), (21, "2026-05-19", 5.0)] {
            let mut r = crate::analytics::tests::run(id, date, km, None, 0);
            r.item.minutes = None;
            runs.push(r);
        }
        let r = report(&runs, &[], today);
        assert_eq!(r.measure, Measure::Minutes);
        assert_eq!(r.estimated_runs, 2);
        close(r.this_week, 78.0);
        assert!(
            r.caveats
                .iter()
                .any(|c| c.contains("2 run(s) without a duration")),
            "{:?}",
            r.caveats
        );
        assert!(
            r.caveats.iter().any(|c| c.contains("(0 of 11)")),
            "{:?}",
            r.caveats
        );
    }

    #[test]
    fn an_rpe_of_zero_is_estimated_not_zero_load() {
        // Five runs of 30 min at RPE 5 and, this week, one of 30 min at RPE 0 (rest on CR-10):
        // five of six rated (83%): session-RPE. The RPE-0 run counts 30 × median 5 = 150 AU,
        // estimated.
        let today: Date = "2026-05-20".parse().unwrap();
        let mut runs: Vec<Entry<Run>> = (0..6)
            .map(|i| {
                let mut r = crate::analytics::tests::run(i, "2026-05-01", 5.0, None, 0);
                r.item.date = add_days(r.item.date, 3 * i);
                r.item.minutes = Some(30.0);
                r.item.rpe = Some(crate::Nrs::new(5).unwrap());
                r
            })
            .collect();
        runs[5].item.date = "2026-05-19".parse().unwrap();
        runs[5].item.rpe = Some(crate::Nrs::new(0).unwrap());
        let r = report(&runs, &[], today);
        assert_eq!(r.measure, Measure::SessionRpe);
        assert_eq!(r.estimated_runs, 1);
        close(r.this_week, 150.0);
    }

    #[test]
    fn other_sports_count_as_minutes_only() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        let run = |date: &str, minutes: f64| Entry {
            id: 1,
            item: Run {
                date: d(date),
                km: crate::Km::new(5.0).unwrap(),
                minutes: Some(minutes),
                shoe: None,
                surface: None,
                camber: crate::journal::Camber::None,
                pain_onset_km: None,
                max_pain: None,
                pain_next_morning: None,
                rpe: None,
                note: None,
            },
        };
        let runs = vec![run("2026-01-01", 30.0), run("2026-01-02", 30.0)];
        let ride = [(d("2026-01-02"), 60.0)];
        let r = report(&runs, &ride, d("2026-01-02"));
        assert_eq!(r.measure, Measure::Minutes);
        // This week: 30 + 30 + 60 minutes.
        close(r.this_week, 120.0);
        let mut days = daily_series(&runs, d("2026-01-01"), d("2026-01-02"));
        add_cross_training(&mut days, &ride);
        close(days[1].load(Measure::Km), 5.0);
        close(days[1].load(Measure::Minutes), 90.0);
    }

    fn timed(date: &str, km: f64, minutes: Option<f64>, rpe: Option<u8>) -> Entry<Run> {
        Entry {
            id: 1,
            item: Run {
                date: date.parse().unwrap(),
                km: crate::Km::new(km).unwrap(),
                minutes,
                shoe: None,
                surface: None,
                camber: crate::journal::Camber::None,
                pain_onset_km: None,
                max_pain: None,
                pain_next_morning: None,
                rpe: rpe.map(|r| crate::Nrs::new(r).unwrap()),
                note: None,
            },
        }
    }

    #[test]
    fn every_run_counts_in_session_rpe() {
        // Five rated runs: 5 km in 30 min at RPE 4, 5 and 6 (twice 4): median RPE 4, pace 6 min/km.
        let d = |s: &str| s.parse::<Date>().unwrap();
        let mut runs = vec![
            timed("2026-01-01", 5.0, Some(30.0), Some(4)),
            timed("2026-01-02", 5.0, Some(30.0), Some(4)),
            timed("2026-01-03", 5.0, Some(30.0), Some(5)),
            timed("2026-01-04", 5.0, Some(30.0), Some(6)),
            timed("2026-01-05", 5.0, Some(30.0), Some(4)),
        ];
        // Measured: 30 × (4 + 4 + 5 + 6 + 4) = 690 AU.
        let all_rated = report(&runs, &[], d("2026-01-07"));
        assert_eq!(all_rated.measure, Measure::SessionRpe);
        close(all_rated.this_week, 690.0);
        assert_eq!(all_rated.estimated_runs, 0);
        // A 10 km, 60 min run without RPE: 60 × 4 = 240 AU more, marked as estimated.
        runs.push(timed("2026-01-06", 10.0, Some(60.0), None));
        let r = report(&runs, &[], d("2026-01-07"));
        assert_eq!(r.measure, Measure::SessionRpe);
        close(r.this_week, 930.0);
        assert_eq!(r.estimated_runs, 1);
        assert!(
            r.caveats
                .iter()
                .any(|c| c.starts_with("1 run(s) without an RPE"))
        );
        // Without minutes either: 10 km × 6 min/km × 4 = 240 AU (median pace of the timed runs).
        runs[5] = timed("2026-01-06", 10.0, None, None);
        close(report(&runs, &[], d("2026-01-07")).this_week, 930.0);
        // An hour's ride counts too: 60 × 4 = 240 AU.
        let r = report(&runs, &[(d("2026-01-07"), 60.0)], d("2026-01-07"));
        close(r.this_week, 1170.0);
        assert_eq!(r.estimated_activities, 1);
        // A week of runs without RPE is never 0.
        let mut days = daily_series(&runs, d("2026-01-06"), d("2026-01-06"));
        assert_eq!(days[0].load(Measure::SessionRpe), 0.0);
        estimate_missing_srpe(&mut days, &runs, &[]);
        close(days[0].load(Measure::SessionRpe), 240.0);
        close(days[0].srpe_estimated, 240.0);
    }

    #[test]
    fn uncoupled_acwr_keeps_the_acute_week_out_of_the_chronic_load() {
        // 28 days of 10 (days 8-35 back), then a week of 20: acute = 140, chronic = 280 / 4 = 70,
        // ratio 2.0; the coupled ratio of the same days is 140 / ((210 + 140) / 4) = 1.6.
        let mut loads = vec![10.0; 28];
        loads.extend([20.0; 7]);
        let r = uncoupled_acwr(&loads).unwrap();
        close(r.acute, 140.0);
        close(r.chronic, 70.0);
        close(r.ratio.unwrap(), 2.0);
        close(rolling_acwr(&loads).unwrap().ratio.unwrap(), 1.6);
        // Days before the 35 do not count; 34 days are too few.
        let mut longer = vec![1000.0; 3];
        longer.extend(&loads);
        close(uncoupled_acwr(&longer).unwrap().ratio.unwrap(), 2.0);
        assert!(uncoupled_acwr(&loads[1..]).is_none());
    }

    #[test]
    fn ewma_acwr_by_hand() {
        // Constant load: both averages approach it; after 28 days at 10, starting from 0:
        // EWMA_t = 10·(1 − (1 − λ)^t).
        let loads = vec![10.0; 28];
        let r = ewma_acwr(&loads).unwrap();
        let acute = 10.0 * (1.0 - 0.75f64.powi(28));
        let l28: f64 = 2.0 / 29.0;
        let chronic = 10.0 * (1.0 - (1.0 - l28).powi(28));
        close(r.acute, acute);
        close(r.chronic, chronic);
        close(r.ratio.unwrap(), acute / chronic);
        // A single step by hand: λ7 = 0.25.
        let e = ewma(&[40.0, 0.0, 8.0], 7);
        close(e[0], 10.0);
        close(e[1], 7.5);
        close(e[2], 0.25 * 8.0 + 0.75 * 7.5);
        assert!(ewma_acwr(&loads[1..]).is_none());
    }

    #[test]
    fn monotony_and_strain_by_hand() {
        // Week: 60, 0, 60, 0, 60, 0, 60 → total 240, mean 240/7,
        // population variance = (4·(60 − m)² + 3·m²) / 7.
        let week = [60.0, 0.0, 60.0, 0.0, 60.0, 0.0, 60.0];
        let m = 240.0 / 7.0;
        let sd = ((4.0 * (60.0 - m) * (60.0 - m) + 3.0 * m * m) / 7.0_f64).sqrt();
        close(monotony(&week).unwrap(), m / sd);
        close(strain(&week).unwrap(), 240.0 * m / sd);
        // Every day equal: undefined, not infinite.
        assert_eq!(monotony(&[30.0; 7]), None);
    }

    #[test]
    fn weekly_change_flags_above_thirty_percent() {
        let mut loads = vec![10.0; 7];
        loads.extend([13.0; 7]);
        close(weekly_change(&loads).unwrap(), 0.3);
        loads[13] = 14.0;
        let runs: Vec<Entry<Run>> = Vec::new();
        assert!(weekly_change(&loads).unwrap() > WEEKLY_SPIKE);
        let r = report(&runs, &[], "2026-01-01".parse().unwrap());
        assert!(r.caveats[0].starts_with("too little data"));
    }
}
