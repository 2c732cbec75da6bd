//! The self-contained HTML report (`knots report --html`, and the web app's `/report` page): one
//! document, inline CSS, inline SVG charts from [`crate::chart`], no script, no link
//! out. Written in maud, so every text is escaped by the template.

use crate::chart::{self, Band, Chart, Kind, Marker, Series, date_ticks, offset};
use jiff::Zoned;
use jiff::civil::Date;
use knots_core::analytics::{Report, plan::Plan, works::Effect};
use knots_core::journal::{Journal, TreatmentKind};
use knots_core::summary;
use knots_core::units::{self, Unit};
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// The load section's headline figures as (name, value), for the text and the HTML report.
pub fn load_figures(l: &knots_core::analytics::load::LoadReport) -> Vec<(&'static str, String)> {
    vec![
        ("this week", format!("{:.0} {}", l.this_week, l.unit)),
        ("last week", format!("{:.0} {}", l.last_week, l.unit)),
        ("change", l.weekly_change.map_or("–".into(), pct)),
        ("ACWR rolling", fixed(l.rolling.and_then(|x| x.ratio), 2)),
        (
            "ACWR uncoupled",
            fixed(l.rolling_uncoupled.and_then(|x| x.ratio), 2),
        ),
        ("ACWR EWMA", fixed(l.ewma.and_then(|x| x.ratio), 2)),
        ("monotony", fixed(l.monotony, 2)),
        ("strain", fixed(l.strain, 0)),
    ]
}

/// The words of an effect measured in km (pain-free distance) with its distances in `unit`: the
/// interval is written without a unit, so it is converted from the effect's own numbers.
pub fn km_effect_words(e: &Effect, unit: Unit) -> String {
    let mut words = e.words.clone();
    if let (Some(ci), Unit::Mi) = (e.ci, unit) {
        let km = format!("95% CI {:+.1} to {:+.1}", ci.low, ci.high);
        let mi = format!(
            "95% CI {:+.1} to {:+.1}",
            ci.low / unit.km(),
            ci.high / unit.km()
        );
        words = words.replacen(&km, &mi, 1);
    }
    units::localize(&words, unit)
}

/// A change as a signed percentage, e.g. `+12%`.
fn pct(x: f64) -> String {
    format!("{:+.0}%", x * 100.0)
}

/// A number with `digits` decimals, or "–".
fn fixed(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "–".to_string(), |v| format!("{v:.digits$}"))
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#222;\
background:#fff;line-height:1.45}main{max-width:860px;margin:0 auto;padding:12px 16px}\
h1{font-size:1.5em;margin:.4em 0}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.4em}\
.warning{background:#b00020;color:#fff;padding:10px 12px;border-radius:6px;font-weight:bold}\
.disclaimer{background:#f4f4f4;border-left:4px solid #888;padding:8px 12px;font-size:.9em}\
.gate{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;font-weight:bold}\
.green{background:#1b7f3b}.amber{background:#b36b00}.red{background:#b00020}\
.missing{background:#fff6e0;border-left:4px solid #b36b00;padding:8px 12px}\
table{border-collapse:collapse;width:100%;font-size:.9em}td,th{border-bottom:1px solid #ddd;\
padding:4px 6px;text-align:left}.scroll{overflow-x:auto}\
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(7.5em,1fr));gap:4px 12px;margin:8px 0}\
.figures div{border-bottom:1px solid #ddd;padding:2px 0}.figures dt{font-size:.8em;color:#555}\
.figures dd{margin:0;font-weight:bold}svg.chart{max-width:100%;height:auto;display:block;margin:8px 0}\
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{flex:1 1 240px;border:1px solid #ddd;\
border-radius:6px;padding:8px 12px}small{color:#555}\
@media print{main{max-width:none}h2{break-after:avoid}svg.chart,table{break-inside:avoid}\
.warning{border:3px solid #b00020;color:#b00020;background:none}}";

const PALETTE: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
];

fn list(items: &[String]) -> Markup {
    html! { ul { @for i in items { li { (i) } } } }
}

fn pain_free_chart(r: &Report, from: Date, unit: Unit) -> Option<Markup> {
    let u = unit.km();
    let pts: Vec<_> = r
        .pain_free
        .points
        .iter()
        .filter(|p| p.date >= from)
        .collect();
    if pts.is_empty() {
        return None;
    }
    let to = r.as_of;
    let ymax = pts.iter().map(|p| p.km / u).fold(1.0, f64::max);
    let ticks = chart::nice_ticks(0.0, ymax);
    Some(chart::render(&Chart {
        title: format!("Pain-free distance per run ({unit})"),
        y_label: unit.as_str().into(),
        x_range: (0.0, offset(from, to).max(1.0)),
        y_range: (0.0, ticks.last().copied().unwrap_or(ymax)),
        x_ticks: date_ticks(from, to),
        y_ticks: ticks,
        series: vec![
            Series {
                name: "run distance".into(),
                colour: "#c7c7c7".into(),
                kind: Kind::Bars,
                points: pts
                    .iter()
                    .map(|p| (offset(from, p.date), Some(p.km / u)))
                    .collect(),
                dash: String::new(),
            },
            Series {
                name: format!("{unit} before pain began"),
                colour: "#1b7f3b".into(),
                kind: Kind::Line,
                points: pts
                    .iter()
                    .map(|p| (offset(from, p.date), Some(p.pain_free_km / u)))
                    .collect(),
                dash: String::new(),
            },
        ],
        markers: Vec::new(),
        bands: r
            .pain_free
            .milestones
            .iter()
            .filter(|m| m.km / u <= ymax)
            .take(1)
            .map(|m| Band {
                low: m.km / u,
                high: m.km / u,
                label: m.label.clone(),
                colour: "#1b7f3b".into(),
            })
            .collect(),
    }))
}

fn knots_chart(journal: &Journal, r: &Report, now: &Zoned, from: Date) -> Option<Markup> {
    let tz = now.time_zone();
    let knots = summary::knots_over_time(journal);
    if knots.is_empty() {
        return None;
    }
    let to = r.as_of;
    let day = |t: jiff::Timestamp| {
        let z = t.to_zoned(tz.clone());
        offset(from, z.date()) + f64::from(z.hour()) / 24.0
    };
    let mut series = Vec::new();
    for (i, k) in knots.iter().take(6).enumerate() {
        let pts: Vec<(f64, Option<f64>)> = k
            .points
            .iter()
            .filter(|p| p.at.to_zoned(tz.clone()).date() >= from)
            .map(|p| (day(p.at), Some(f64::from(p.tenderness))))
            .collect();
        if pts.is_empty() {
            continue;
        }
        let mother = r.mother_knot.as_deref() == Some(k.trigger_point.as_str());
        series.push(Series {
            name: format!(
                "{}{} ({})",
                k.trigger_point.as_str(),
                if mother { " ★" } else { "" },
                k.side
            ),
            colour: PALETTE[i % PALETTE.len()].into(),
            kind: Kind::Line,
            points: pts,
            dash: if i % 2 == 1 {
                "5 3".into()
            } else {
                String::new()
            },
        });
    }
    if series.is_empty() {
        return None;
    }
    // Mark therapist and deep-tissue work; self-care is too frequent to mark one by one.
    let mut markers: Vec<Marker> = Vec::new();
    for t in &journal.treatments {
        let strong = t.item.kind == TreatmentKind::DeepTissue || t.item.session.is_some();
        if !strong || t.item.at.to_zoned(tz.clone()).date() < from {
            continue;
        }
        let x = day(t.item.at);
        let label = format!(
            "{} {} on {}",
            t.item.at.to_zoned(tz.clone()).date(),
            t.item.kind,
            t.item.target.as_deref().unwrap_or("-")
        );
        match markers.iter_mut().find(|m| (m.x - x).abs() < 0.5) {
            Some(m) => {
                m.label.push_str("; ");
                m.label.push_str(&label);
            }
            None => markers.push(Marker {
                x,
                label,
                colour: "#b00020".into(),
            }),
        }
    }
    Some(chart::render(&Chart {
        title: "Tenderness per knot (0-10); red marks: therapist / deep-tissue work".into(),
        y_label: "tenderness".into(),
        x_range: (0.0, offset(from, to).max(1.0)),
        y_range: (0.0, 10.0),
        x_ticks: date_ticks(from, to),
        y_ticks: vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0],
        series,
        markers,
        bands: Vec::new(),
    }))
}

fn load_charts(r: &Report) -> Option<Markup> {
    let days = &r.load.recent;
    let (first, last) = (days.first()?, days.last()?);
    let from = first.date;
    let ymax = days.iter().map(|d| d.load).fold(1.0, f64::max);
    let ticks = chart::nice_ticks(0.0, ymax);
    let bars = chart::render(&Chart {
        title: format!("Daily load ({}), last {} days", r.load.unit, days.len()),
        y_label: r.load.unit.into(),
        x_range: (-0.5, offset(from, last.date) + 0.5),
        y_range: (0.0, ticks.last().copied().unwrap_or(ymax)),
        x_ticks: date_ticks(from, last.date),
        y_ticks: ticks,
        series: vec![Series {
            name: format!("load ({})", r.load.unit),
            colour: "#1f77b4".into(),
            kind: Kind::Bars,
            points: days
                .iter()
                .map(|d| (offset(from, d.date), Some(d.load)))
                .collect(),
            dash: String::new(),
        }],
        markers: Vec::new(),
        bands: Vec::new(),
    });
    let rmax = days
        .iter()
        .flat_map(|d| [d.rolling, d.ewma])
        .flatten()
        .fold(2.0, f64::max)
        .min(4.0);
    let ratio = chart::render(&Chart {
        title: "Acute:chronic workload ratio (a spike flag, not a risk)".into(),
        y_label: "ratio".into(),
        x_range: (-0.5, offset(from, last.date) + 0.5),
        y_range: (0.0, rmax),
        x_ticks: date_ticks(from, last.date),
        y_ticks: chart::nice_ticks(0.0, rmax),
        series: vec![
            Series {
                name: "rolling 7/28-day".into(),
                colour: "#9467bd".into(),
                kind: Kind::Line,
                points: days
                    .iter()
                    .map(|d| (offset(from, d.date), d.rolling.map(|x| x.min(rmax))))
                    .collect(),
                dash: String::new(),
            },
            Series {
                name: "EWMA 7/28".into(),
                colour: "#ff7f0e".into(),
                kind: Kind::Line,
                points: days
                    .iter()
                    .map(|d| (offset(from, d.date), d.ewma.map(|x| x.min(rmax))))
                    .collect(),
                dash: "5 3".into(),
            },
        ],
        markers: Vec::new(),
        bands: vec![
            Band {
                low: 0.8,
                high: 1.3,
                label: "0.8-1.3".into(),
                colour: "#1b7f3b".into(),
            },
            Band {
                low: 1.5,
                high: 1.5,
                label: "1.5 spike".into(),
                colour: "#b00020".into(),
            },
        ],
    });
    Some(html! { (bars) (ratio) })
}

fn plan_chart(p: &Plan, today: Date, unit: Unit) -> Option<Markup> {
    let u = unit.km();
    let last = p.weeks.last()?.sessions.last()?.date;
    let sessions: Vec<_> = p.weeks.iter().flat_map(|w| &w.sessions).collect();
    let ymax = sessions.iter().map(|s| s.km / u).fold(1.0, f64::max);
    let ticks = chart::nice_ticks(0.0, ymax);
    let mk = |walk: bool| Series {
        name: format!("{} {unit}", if walk { "walk-run" } else { "run" }),
        colour: if walk { "#ff7f0e" } else { "#1f77b4" }.into(),
        kind: Kind::Bars,
        points: sessions
            .iter()
            .filter(|s| (s.kind == "walk-run") == walk)
            .map(|s| (offset(today, s.date), Some(s.km / u)))
            .collect(),
        dash: String::new(),
    };
    Some(chart::render(&Chart {
        title: "The plan: session distances".into(),
        y_label: unit.as_str().into(),
        x_range: (0.0, offset(today, last) + 1.0),
        y_range: (0.0, ticks.last().copied().unwrap_or(ymax)),
        x_ticks: date_ticks(today, last),
        y_ticks: ticks,
        series: vec![mk(true), mk(false)]
            .into_iter()
            .filter(|s| !s.points.is_empty())
            .collect(),
        markers: Vec::new(),
        bands: Vec::new(),
    }))
}

/// The report as one self-contained HTML document, distances in kilometres.
pub fn document(r: &Report, journal: &Journal, now: &Zoned) -> Markup {
    document_in(r, journal, now, Unit::Km)
}

/// The report as one self-contained HTML document, distances and paces in `unit`.
pub fn document_in(r: &Report, journal: &Journal, now: &Zoned, unit: Unit) -> Markup {
    let loc = |t: &str| units::localize(t, unit);
    let locs = |ts: &[String]| ts.iter().map(|t| loc(t)).collect::<Vec<_>>();
    let dist = |km: f64| units::format_distance(km, unit);
    let from = r
        .pain_free
        .points
        .first()
        .map(|p| p.date)
        .unwrap_or(r.as_of)
        .max(
            r.as_of
                .checked_sub(jiff::Span::new().days(365))
                .unwrap_or(r.as_of),
        );
    let l = &r.load;
    let w = &r.what_works;
    let mut works: Vec<String> = w.knots.iter().map(|k| k.change.words.clone()).collect();
    for k in &w.kinds {
        works.push(k.next_run_pain.words.clone());
        works.push(km_effect_words(&k.pain_free_km, unit));
    }
    for f in &w.factors {
        works.push(f.next_run_pain.words.clone());
        works.push(km_effect_words(&f.pain_free_km, unit));
    }
    let mut works = locs(&works);
    if works.is_empty() {
        works.push("too little data: no treatments with findings or runs around them".into());
    }
    let mut therapist = vec![r.therapist.first_deep_tissue.words.clone()];
    if let Some((date, plan)) = &r.therapist.home_plan {
        therapist.push(format!("home plan of {date}: {plan}"));
    }
    let gate = r.gate.as_str();
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "knots report " (r.as_of) }
                style { (PreEscaped(CSS)) }
            }
            body { main {
                @if let Some(warning) = &r.warning {
                    p.warning role="alert" { (warning) }
                    ul { @for f in &r.red_flags { li { (f.question) " " (f.advice) } } }
                }
                p.disclaimer { (r.disclaimer) }
                h1 { "knots report" }
                p { small { "as of " (r.as_of) } }
                @if !r.missing.is_empty() {
                    div.missing { strong { "Missing for a fuller report" } (list(&r.missing)) }
                }
                div.cards {
                    div.card {
                        h3 { "Next step: " span class=(format!("gate {gate}")) { (gate.to_uppercase()) } }
                        (list(&locs(&r.gate_reasons)))
                    }
                    @match r.mother_knot_candidates.first() {
                        Some(c) => { div.card { h3 { "Mother knot: " (c.trigger_point) " (" (c.side) ")" } (list(&c.evidence)) } }
                        None => { div.card { h3 { "Mother knot" } p { "None yet: no knots recorded." } } }
                    }
                }
                h2 { "Pain-free distance" }
                p { (loc(&r.pain_free.summary)) }
                @match pain_free_chart(r, from, unit) {
                    Some(c) => { (c) }
                    None => { p { "No runs yet: nothing to plot." } }
                }
                @if !r.pain_free.milestones.is_empty() {
                    ul { @for m in &r.pain_free.milestones { li { (m.date) ": " (m.label) " (" (dist(m.km)) ")" } } }
                }
                h2 { "Knots over time" }
                @match knots_chart(journal, r, now, from) {
                    Some(c) => { (c) }
                    None if journal.findings.is_empty() => { p { "No palpation findings yet: nothing to plot." } }
                    None => { p { (journal.findings.len()) " palpation finding(s) recorded, none in the plotted period." } }
                }
                h2 { "Training load" }
                // A wrapping grid, not a table row: eight figures fit a phone's width this way.
                dl.figures { @for (name, value) in load_figures(l) { div { dt { (name) } dd { (loc(&value)) } } } }
                @match load_charts(r) {
                    Some(c) => { (c) }
                    None => { p { "No runs yet: nothing to plot." } }
                }
                @if !l.flags.is_empty() { (list(&locs(&l.flags))) }
                p { small { (loc(&l.caveats.join(" · "))) } }
                h2 { "The plan" }
                (list(&locs(&r.plan.why)))
                @if let Some(c) = plan_chart(&r.plan, r.as_of, unit) { (c) }
                @if r.plan.weeks.is_empty() {
                    p { "No running planned: see why above." }
                } @else {
                    div.scroll { table {
                        tr { th { "week" } th { "date" } th { "session" } }
                        @for week in &r.plan.weeks {
                            @for x in &week.sessions { tr { td { (week.number) } td { (x.date) } td { (loc(&x.text)) } } }
                            tr { td {} td colspan="2" { small { (week.condition) } } }
                        }
                    } }
                }
                (list(&locs(&r.plan.rules)))
                h2 { "From the therapist" }
                (list(&therapist))
                h2 { "What works (your own history)" }
                (list(&works))
                @if !w.rebounds.is_empty() {
                    h3 { "Rebound after deep work" }
                    ul { @for b in &w.rebounds { li { (b.date) ": " (loc(&b.what)) } } }
                }
                p { small { (w.caveats.join(" · ")) } }
                h2 { "Possible causes" }
                @if r.causes.notes.is_empty() { p { "Nothing stands out." } } @else { (list(&locs(&r.causes.notes))) }
                @if !r.causes.shoes.is_empty() {
                    div.scroll { table {
                        tr { th { "shoe" } th { (unit) } th { "limit" } th { "runs (with pain)" } }
                        @for sh in &r.causes.shoes {
                            tr { td { (sh.name) } td { (units::number(sh.km / unit.km(), 0)) } td { (units::number(sh.limit_km / unit.km(), 0)) } td { (sh.runs) " (" (sh.painful_runs) ")" } }
                        }
                    } }
                }
                p { small {
                    "Sources: Foster 1998/2001 (session-RPE, monotony, strain); Williams 2017 (EWMA); \
                     Gabbett 2016, Lolli 2019, Impellizzeri 2020 (ratio and its critiques); Nielsen 2014, Buist \
                     2008 (weekly change); Silbernagel 2007, Thomeé 1997 (pain monitoring); walk-run phases after \
                     a standard return-to-run programme (Trials 2023). Made by knots on this machine; nothing was \
                     sent anywhere."
                } }
            } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::TimeZone;
    use knots_core::analytics::{Options, report};
    use knots_core::journal::Entry;

    const HOSTILE: &str = "<script>alert(\"x\")</script>'\"><img src=x onerror=alert(1)>";

    #[test]
    fn the_demo_report_is_one_document_with_charts_and_hostile_text_escaped() {
        let now: Zoned = "2026-06-01T12:00[UTC]".parse().expect("a zoned time");
        let mut journal = knots_core::demo::journal(now.date(), TimeZone::UTC);
        for shoe in &mut journal.shoes {
            shoe.item.name = format!("{HOSTILE} {}", shoe.id);
        }
        for session in &mut journal.sessions {
            session.item.plan = HOSTILE.into();
        }
        let id = journal.runs.len() as i64 + 1;
        journal.runs.push(Entry {
            id,
            item: journal.runs[0].item.clone(),
        });
        let r = report(&journal, &now, Options::default());
        let html = document(&r, &journal, &now).into_string();
        assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>"));
        assert!(html.matches("<svg").count() >= 3, "charts inline");
        assert!(
            !html.contains("<script") && !html.contains("<img"),
            "no markup from the journal"
        );
        assert!(
            html.contains("&lt;script&gt;"),
            "the hostile text is shown as text"
        );
        assert!(
            html.contains(r#"<dl class="figures">"#),
            "load figures wrap on a phone"
        );
    }

    #[test]
    fn the_report_in_miles_shows_miles() {
        let now: Zoned = "2026-06-01T12:00[UTC]".parse().expect("a zoned time");
        let journal = knots_core::demo::journal(now.date(), TimeZone::UTC);
        let r = report(&journal, &now, Options::default());
        let km = document(&r, &journal, &now).into_string();
        let mi = document_in(&r, &journal, &now, Unit::Mi).into_string();
        assert!(km.contains(" km") && km.contains("Pain-free distance per run (km)"));
        assert!(mi.contains("Pain-free distance per run (mi)"));
        assert!(mi.contains("(6.2 mi)"), "the 10K milestone in miles");
        // Every distance followed by "km" became miles (word uses such as "km before" are gone too).
        assert!(
            !mi.contains(" km"),
            "{}",
            &mi[mi.find(" km").unwrap_or(0)..][..80.min(mi.len())]
        );
    }
}
