//! Pain-free distance: per run the distance before pain began (the whole run when none), its
//! trend, the longest pain-free run and milestones ("first pain-free 10K").

use super::days_between;
use crate::journal::{Entry, Run};
use jiff::civil::Date;

/// One run's pain-free distance.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Point {
    /// The run's date.
    pub date: Date,
    /// The distance run.
    pub km: f64,
    /// The distance before pain began (the whole run when none).
    pub pain_free_km: f64,
    /// Whether the whole run was pain-free.
    pub pain_free: bool,
}

/// A first-time achievement.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Milestone {
    /// When.
    pub date: Date,
    /// In words, e.g. "first pain-free 10K".
    pub label: String,
    /// The run's distance.
    pub km: f64,
}

/// The pain-free distance section of the report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PainFreeReport {
    /// Every run up to today, oldest first.
    pub points: Vec<Point>,
    /// The date pain first showed in a run, if it did.
    pub pain_since: Option<Date>,
    /// The longest wholly pain-free run since the pain began (ever, without pain).
    pub longest: Option<Point>,
    /// Least-squares slope of pain-free km over the runs of the last 8 weeks, in km per week.
    pub trend_km_per_week: Option<f64>,
    /// Number of runs behind the trend.
    pub trend_runs: usize,
    /// Milestones since the pain began.
    pub milestones: Vec<Milestone>,
    /// The section in words.
    pub summary: String,
}

/// Least-squares slope of `ys` over `xs`; `None` with fewer than 2 points or no spread in x.
pub fn slope(xs: &[f64], ys: &[f64]) -> Option<f64> {
    let n = xs.len().min(ys.len());
    if n < 2 {
        return None;
    }
    let mx = xs[..n].iter().sum::<f64>() / n as f64;
    let my = ys[..n].iter().sum::<f64>() / n as f64;
    let sxx: f64 = xs[..n].iter().map(|x| (x - mx).powi(2)).sum();
    let sxy: f64 = xs[..n]
        .iter()
        .zip(ys)
        .map(|(x, y)| (x - mx) * (y - my))
        .sum();
    (sxx > 1e-12).then(|| sxy / sxx)
}

/// The milestone distances in km.
const MILESTONES: [(f64, &str); 4] = [
    (5.0, "5K"),
    (10.0, "10K"),
    (21.0975, "half marathon"),
    (42.195, "marathon"),
];

/// GPS tolerance of a milestone: a run within 2% or 200 m of the distance (whichever is more)
/// counts, since GPS watches often measure a course a little short.
///
/// # Examples
/// ```
/// use knots_core::analytics::pain_free::reaches;
/// assert!(reaches(9.98, 10.0) && reaches(9.8, 10.0) && !reaches(9.79, 10.0));
/// assert!(reaches(41.36, 42.195) && !reaches(41.3, 42.195));
/// ```
pub fn reaches(km: f64, target: f64) -> bool {
    km >= target - (0.02 * target).max(0.2) - 1e-9
}

/// The section from `runs` as of `today`.
pub fn report(runs: &[Entry<Run>], today: Date) -> PainFreeReport {
    let mut sorted: Vec<&Entry<Run>> = runs.iter().filter(|r| r.item.date <= today).collect();
    sorted.sort_by(|a, b| a.item.date.cmp(&b.item.date).then(a.id.cmp(&b.id)));
    let points: Vec<Point> = sorted
        .iter()
        .map(|r| Point {
            date: r.item.date,
            km: r.item.km.value(),
            pain_free_km: r.item.pain_free_km(),
            pain_free: r.item.is_pain_free(),
        })
        .collect();
    let pain_since = points.iter().find(|p| !p.pain_free).map(|p| p.date);
    let since = |p: &&Point| pain_since.is_none_or(|d| p.date >= d);
    let longest = points.iter().filter(since).filter(|p| p.pain_free).fold(
        None::<Point>,
        |best, p| match best {
            Some(b) if b.km >= p.km => Some(b),
            _ => Some(*p),
        },
    );
    let mut milestones = Vec::new();
    for (km, name) in MILESTONES {
        if let Some(p) = points
            .iter()
            .filter(since)
            .find(|p| p.pain_free && reaches(p.km, km))
        {
            milestones.push(Milestone {
                date: p.date,
                label: format!(
                    "first pain-free {name}{}",
                    if pain_since.is_some() {
                        " since the pain began"
                    } else {
                        ""
                    }
                ),
                km: p.km,
            });
        }
    }
    let recent: Vec<Point> = points
        .iter()
        .filter(|p| days_between(p.date, today).is_some_and(|d| (0..56).contains(&d)))
        .copied()
        .collect();
    let xs: Vec<f64> = recent
        .iter()
        .filter_map(|p| days_between(today, p.date).map(|d| d as f64 / 7.0))
        .collect();
    let ys: Vec<f64> = recent.iter().map(|p| p.pain_free_km).collect();
    let trend = if recent.len() >= 3 {
        slope(&xs, &ys)
    } else {
        None
    };
    let summary = match (points.is_empty(), trend, longest) {
        (true, _, _) => "no runs recorded yet: add runs with `knots run add`".to_string(),
        (_, None, _) => format!(
            "too little data for a trend: {} run(s) in the last 8 weeks, 3 needed",
            recent.len()
        ),
        (_, Some(t), l) => {
            let dir = if t > 0.05 {
                "growing"
            } else if t < -0.05 {
                "shrinking"
            } else {
                "about steady"
            };
            let longest = l.map_or(String::new(), |p| {
                format!("; longest pain-free run {:.1} km on {}", p.km, p.date)
            });
            format!(
                "pain-free distance is {dir} ({t:+.2} km per week over {} runs){longest}",
                recent.len()
            )
        }
    };
    PainFreeReport {
        points,
        pain_since,
        longest,
        trend_km_per_week: trend,
        trend_runs: recent.len(),
        milestones,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::tests::run;

    #[test]
    fn trend_longest_and_milestones() {
        let runs = vec![
            run(1, "2026-01-01", 12.0, None, 0),
            run(2, "2026-03-03", 4.0, Some(1.6), 6),
            run(3, "2026-03-10", 3.0, None, 0),
            run(4, "2026-03-17", 5.0, None, 0),
            run(5, "2026-03-24", 7.0, None, 0),
        ];
        let r = report(&runs, "2026-03-24".parse().unwrap());
        assert_eq!(r.pain_since, Some("2026-03-03".parse().unwrap()));
        // The 12 km before the pain does not count.
        assert_eq!(r.longest.unwrap().km, 7.0);
        assert_eq!(r.milestones.len(), 1);
        assert_eq!(
            r.milestones[0].label,
            "first pain-free 5K since the pain began"
        );
        // Weeks −3, −2, −1, 0 with 1.6, 3, 5, 7 (x̄ = −1.5, ȳ = 4.15):
        // Σ(x−x̄)(y−ȳ) = 3.825 + 0.575 + 0.425 + 4.275 = 9.1, Σ(x−x̄)² = 5, slope 1.82.
        assert!((r.trend_km_per_week.unwrap() - 1.82).abs() < 1e-9);
        assert!(r.summary.starts_with("pain-free distance is growing"));
    }

    #[test]
    fn milestones_allow_for_gps() {
        // 4.79 km is short of 5K by more than 200 m; 9.98 km is a 10K (20 m short); a half at
        // 20.68 km is within 2% (422 m) of 21.0975 km.
        let runs = vec![
            run(1, "2026-03-01", 4.79, None, 0),
            run(2, "2026-03-03", 9.98, None, 0),
            run(3, "2026-03-05", 20.68, None, 0),
        ];
        let r = report(&runs, "2026-03-05".parse().unwrap());
        let got: Vec<(&str, f64)> = r
            .milestones
            .iter()
            .map(|m| (m.label.as_str(), m.km))
            .collect();
        assert_eq!(
            got,
            vec![
                ("first pain-free 5K", 9.98),
                ("first pain-free 10K", 9.98),
                ("first pain-free half marathon", 20.68)
            ]
        );
    }
}
