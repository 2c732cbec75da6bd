//! `knots report`, `knots plan` and `knots export --csv`: the analytics of `knots_core::analytics`
//! as text, JSON, one self-contained HTML file (`knots_view::report`, inline SVG, no network), and
//! CSV files for spreadsheets.

use crate::output::{print, print_json, wrap};
use anyhow::{Context as _, Result};
use clap::Args;
use jiff::Zoned;
use knots_core::analytics::{self, Options, Report, gate::Colour, plan::Plan};
use knots_core::journal::Journal;
use knots_core::units::{self, Unit};
use knots_view::report::{document_in, km_effect_words, load_figures};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the report as one self-contained HTML file (plots inline, no network).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

pub fn report(journal: &Journal, a: &ReportArgs, now: &Zoned) -> Result<()> {
    let r = analytics::report(journal, now, Options::default());
    let unit = crate::config::unit();
    if let Some(file) = &a.html {
        let html = document_in(&r, journal, now, unit).into_string();
        std::fs::write(file, html).with_context(|| format!("writing `{}`", file.display()))?;
        if !a.json {
            eprintln!("wrote the HTML report to `{}`", file.display());
        }
    }
    if a.json {
        return print_json("report", &r);
    }
    print(&text(&r, unit))
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the plan's sessions as calendar events (iCalendar, RFC 5545): one all-day event
    /// per session with its distance, the rules and the disclaimer.
    #[arg(long, value_name = "FILE")]
    pub ics: Option<PathBuf>,
}

/// `knots plan`: the plan as text or JSON, and with `--ics` as calendar events too.
pub fn plan(journal: &Journal, a: &PlanArgs, now: &Zoned) -> Result<()> {
    let r = analytics::report(journal, now, Options::default());
    let unit = crate::config::unit();
    if let Some(file) = &a.ics {
        let ics = crate::ics::calendar(&r.plan, r.disclaimer, unit, now.timestamp());
        std::fs::write(file, ics).with_context(|| format!("writing `{}`", file.display()))?;
        if !a.json {
            let n: usize = r.plan.weeks.iter().map(|w| w.sessions.len()).sum();
            eprintln!("wrote {n} planned session(s) to `{}`", file.display());
        }
    }
    if a.json {
        return print_json(
            "plan",
            &serde_json::json!({
                "as_of": r.as_of,
                "disclaimer": r.disclaimer,
                "warning": r.warning,
                "gate": r.gate,
                "gate_reasons": r.gate_reasons,
                "plan": r.plan,
            }),
        );
    }
    let mut s = String::new();
    if let Some(w) = &r.warning {
        let _ = writeln!(s, "{w}\n");
    }
    let _ = writeln!(s, "{}", plan_text(&r.plan, r.gate, &r.gate_reasons, unit));
    let _ = write!(s, "{}", wrap(r.disclaimer, "", 100));
    print(&s)
}

/// `text` wrapped under a bullet: `first` before the first line, spaces of its width after.
fn bullet(text: &str, first: &str) -> String {
    let pad = " ".repeat(first.chars().count());
    let body = wrap(text, &pad, 100);
    format!("{first}{}", &body[pad.len().min(body.len())..])
}

/// [`bullet`] with the distances in the text turned into `unit`.
fn item(text: &str, first: &str, unit: Unit) -> String {
    bullet(&units::localize(text, unit), first)
}

fn plan_text(p: &Plan, gate: Colour, reasons: &[String], unit: Unit) -> String {
    let dist = |km: f64| units::format_distance(km, unit);
    let mut s = format!("Gate: {}\n", gate.as_str().to_uppercase());
    for r in reasons {
        let _ = writeln!(s, "{}", item(r, "  - ", unit));
    }
    if p.weeks.is_empty() {
        let _ = writeln!(s, "\nPlan: no running planned (why below)");
    } else {
        let _ = writeln!(s, "\nPlan, next {} weeks:", p.weeks.len());
    }
    for w in &p.why {
        let _ = writeln!(s, "{}", item(w, "  why: ", unit));
    }
    for w in &p.weeks {
        let cap = w.cap_km.map_or_else(
            || "no cap: the first walk-run week from zero".to_string(),
            |c| format!("cap {}", dist(c)),
        );
        let _ = writeln!(s, "  week {}: {} planned, {cap}", w.number, dist(w.km));
        let _ = writeln!(s, "{}", bullet(&w.condition, "    "));
        for x in &w.sessions {
            let _ = writeln!(s, "    {}  {}", x.date, units::localize(&x.text, unit));
        }
    }
    let _ = writeln!(s, "  rules:");
    for r in &p.rules {
        let _ = writeln!(s, "{}", item(r, "    - ", unit));
    }
    s
}

fn text(r: &Report, unit: Unit) -> String {
    let mut s = String::new();
    if let Some(w) = &r.warning {
        let _ = writeln!(s, "{}\n", wrap(w, "", 100));
    }
    let _ = writeln!(s, "knots report, as of {}\n", r.as_of);
    if !r.missing.is_empty() {
        let _ = writeln!(s, "Missing for a fuller report:");
        for m in &r.missing {
            let _ = writeln!(s, "{}", item(m, "  - ", unit));
        }
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "Mother knot: {}",
        r.mother_knot
            .as_deref()
            .unwrap_or("none yet (no knots recorded)")
    );
    if let Some(c) = r.mother_knot_candidates.first() {
        for e in &c.evidence {
            let _ = writeln!(s, "  - {e}");
        }
    }
    let _ = writeln!(s);
    let l = &r.load;
    let measure = if l.unit == "km" {
        unit.as_str()
    } else {
        l.unit
    };
    let _ = writeln!(s, "Load ({measure}):");
    let mut figures: Vec<String> = load_figures(l)
        .into_iter()
        .map(|(name, value)| format!("{name} {}", units::localize(&value, unit)))
        .collect();
    // Estimated loads are named among the figures; the caveat below says how they were made.
    if l.estimated_runs > 0 {
        figures.push(format!("estimated runs {}", l.estimated_runs));
    }
    if l.estimated_activities > 0 {
        figures.push(format!("estimated activities {}", l.estimated_activities));
    }
    let _ = writeln!(s, "{}", bullet(&figures.join(", "), "  "));
    for f in &l.flags {
        let _ = writeln!(s, "{}", item(f, "  ! ", unit));
    }
    for c in &l.caveats {
        let _ = writeln!(s, "{}", item(c, "  note: ", unit));
    }
    let _ = writeln!(
        s,
        "\nPain-free distance:\n{}",
        wrap(&units::localize(&r.pain_free.summary, unit), "  ", 100)
    );
    for m in &r.pain_free.milestones {
        let _ = writeln!(
            s,
            "  * {} ({}, {})",
            m.label,
            units::format_distance(m.km, unit),
            m.date
        );
    }
    let _ = writeln!(s, "\n{}", plan_text(&r.plan, r.gate, &r.gate_reasons, unit));
    let t = &r.therapist;
    let _ = writeln!(s, "From the therapist:");
    let _ = writeln!(s, "{}", bullet(&t.first_deep_tissue.words, "  - "));
    match &t.home_plan {
        Some((date, plan)) => {
            let _ = writeln!(
                s,
                "{}",
                bullet(&format!("home plan of {date}: {plan}"), "  - ")
            );
        }
        None => {
            let _ = writeln!(s, "  - no home plan recorded in a session yet");
        }
    }
    let _ = writeln!(s, "\nWhat works:");
    let w = &r.what_works;
    if w.knots.is_empty() && w.kinds.is_empty() {
        let _ = writeln!(
            s,
            "  too little data: no treatments with findings or runs around them"
        );
    }
    for k in &w.knots {
        let _ = writeln!(s, "{}", item(&k.change.words, "  - ", unit));
    }
    for k in &w.kinds {
        let _ = writeln!(s, "{}", item(&k.next_run_pain.words, "  - ", unit));
        let _ = writeln!(
            s,
            "{}",
            bullet(&km_effect_words(&k.pain_free_km, unit), "  - ")
        );
    }
    let reactions: Vec<_> = w
        .kinds
        .iter()
        .filter_map(|k| k.reactions.words().map(|words| (k.kind, words)))
        .collect();
    if !reactions.is_empty() {
        let _ = writeln!(s, "Reactions after treatments:");
        for (kind, words) in reactions {
            let _ = writeln!(s, "{}", bullet(&format!("{kind}: {words}"), "  ! "));
        }
    }
    if !w.factors.is_empty() {
        let _ = writeln!(s, "Factors (check-ins and sessions):");
    }
    for f in &w.factors {
        let _ = writeln!(
            s,
            "{}",
            bullet(
                &format!("{}: {} ({} day(s))", f.factor, f.with, f.days),
                "  * "
            )
        );
        let _ = writeln!(s, "{}", item(&f.next_run_pain.words, "    - ", unit));
        let _ = writeln!(
            s,
            "{}",
            bullet(&km_effect_words(&f.pain_free_km, unit), "    - ")
        );
    }
    for b in &w.rebounds {
        let _ = writeln!(
            s,
            "{}",
            item(&format!("{}: {}", b.date, b.what), "  ! ", unit)
        );
    }
    for c in &w.caveats {
        let _ = writeln!(s, "{}", item(c, "  note: ", unit));
    }
    let _ = writeln!(s, "\nPossible causes:");
    if r.causes.notes.is_empty() {
        let _ = writeln!(s, "  nothing stands out");
    }
    for n in &r.causes.notes {
        let _ = writeln!(s, "{}", item(n, "  - ", unit));
    }
    let _ = write!(s, "\n{}", wrap(r.disclaimer, "", 100));
    s
}

// ---- HTML ----

/// A cell made safe for spreadsheets: text starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return would be run as a formula by Excel or LibreOffice (CSV injection), so it gets a leading
/// `'`. Numbers (such as `-0.5`) are left alone.
fn guard(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().is_err() {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

fn o<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// Writes one CSV file through the `csv` crate (RFC 4180 quoting), every cell through [`guard`],
/// with a UTF-8 byte-order mark first when `bom` (Excel then reads the text as UTF-8).
fn write_csv(
    dir: &Path,
    bom: bool,
    name: &str,
    header: &str,
    rows: Vec<Vec<String>>,
) -> Result<()> {
    let path = dir.join(name);
    let write = || -> Result<()> {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
        if bom {
            std::io::Write::write_all(&mut file, "\u{feff}".as_bytes())?;
        }
        let mut w = csv::Writer::from_writer(file);
        w.write_record(header.split(','))?;
        for row in rows {
            w.write_record(row.iter().map(|c| guard(c).into_owned()))?;
        }
        w.flush()?;
        Ok(())
    };
    write().with_context(|| format!("writing `{}`", path.display()))
}

/// Writes `runs.csv`, `pain_reports.csv`, `findings.csv`, `treatments.csv`, `sessions.csv`,
/// `activities.csv`, `shoes.csv` and `checkins.csv` into `dir` (created if missing), with a
/// byte-order mark when `bom`. The columns are documented in the README.
pub fn export_csv(j: &Journal, dir: &Path, bom: bool) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating `{}`", dir.display()))?;
    let shoe = |id: Option<i64>| {
        id.and_then(|id| j.shoes.iter().find(|s| s.id == id))
            .map(|s| s.item.name.clone())
            .unwrap_or_default()
    };
    let nrs = |n: Option<knots_core::Nrs>| o(n.map(|n| n.value()));
    write_csv(
        dir,
        bom,
        "runs.csv",
        "id,date,km,minutes,shoe,surface,camber,pain_onset_km,max_pain,pain_next_morning,rpe,pain_free_km,note",
        j.runs
            .iter()
            .map(|r| {
                let x = &r.item;
                vec![
                    r.id.to_string(),
                    x.date.to_string(),
                    x.km.value().to_string(),
                    o(x.minutes),
                    shoe(x.shoe),
                    o(x.surface),
                    x.camber.to_string(),
                    o(x.pain_onset_km.map(|k| k.value())),
                    nrs(x.max_pain),
                    nrs(x.pain_next_morning),
                    nrs(x.rpe),
                    x.pain_free_km().to_string(),
                    o(x.note.clone()),
                ]
            })
            .collect(),
    )?;
    write_csv(
        dir,
        bom,
        "pain_reports.csv",
        "id,at,regions,side,pain,context,onset_km,red_flags,note",
        j.pain_reports
            .iter()
            .map(|p| {
                let x = &p.item;
                vec![
                    p.id.to_string(),
                    x.at.to_string(),
                    x.regions
                        .iter()
                        .map(|r| r.id())
                        .collect::<Vec<_>>()
                        .join(";"),
                    x.side.to_string(),
                    x.pain.value().to_string(),
                    x.context.to_string(),
                    o(x.onset_km.map(|k| k.value())),
                    x.red_flags
                        .iter()
                        .map(|f| f.as_str())
                        .collect::<Vec<_>>()
                        .join(";"),
                    o(x.note.clone()),
                ]
            })
            .collect(),
    )?;
    write_csv(
        dir,
        bom,
        "findings.csv",
        "id,at,trigger_point,side,tenderness,taut_band,reproduces,ppt_kg_cm2,session,note",
        j.findings
            .iter()
            .map(|f| {
                let x = &f.item;
                vec![
                    f.id.to_string(),
                    x.at.to_string(),
                    x.trigger_point.as_str().to_string(),
                    x.side.to_string(),
                    x.tenderness.value().to_string(),
                    x.taut_band.to_string(),
                    x.reproduces.to_string(),
                    o(x.ppt_kg_cm2),
                    o(x.session),
                    o(x.note.clone()),
                ]
            })
            .collect(),
    )?;
    write_csv(
        dir,
        bom,
        "treatments.csv",
        "id,at,kind,target,side,pressure,minutes,by,session,note",
        j.treatments
            .iter()
            .map(|t| {
                let x = &t.item;
                vec![
                    t.id.to_string(),
                    x.at.to_string(),
                    x.kind.to_string(),
                    o(x.target.clone()),
                    x.side.to_string(),
                    nrs(x.pressure),
                    o(x.minutes),
                    x.by.to_string(),
                    o(x.session),
                    o(x.note.clone()),
                ]
            })
            .collect(),
    )?;
    write_csv(
        dir,
        bom,
        "sessions.csv",
        "id,at,therapist,pressure_ceiling,relaxation,minutes,subjective,objective,assessment,plan",
        j.sessions
            .iter()
            .map(|s| {
                let x = &s.item;
                vec![
                    s.id.to_string(),
                    x.at.to_string(),
                    o(x.therapist.clone()),
                    x.pressure_ceiling.value().to_string(),
                    nrs(x.relaxation),
                    o(x.minutes),
                    x.subjective.clone(),
                    x.objective.clone(),
                    x.assessment.clone(),
                    x.plan.clone(),
                ]
            })
            .collect(),
    )?;
    write_csv(
        dir,
        bom,
        "activities.csv",
        "id,run,sport,start,utc_offset_s,name,distance_m,elapsed_s,timer_s,ascent_m,avg_hr,max_hr,avg_cadence,max_cadence,laps,source",
        j.activities
            .iter()
            .map(|a| {
                let x = &a.item;
                vec![
                    a.id.to_string(),
                    o(x.run),
                    x.sport.clone(),
                    x.start.to_string(),
                    o(x.utc_offset_s),
                    o(x.name.clone()),
                    o(x.distance_m),
                    x.elapsed_s.to_string(),
                    o(x.timer_s),
                    o(x.ascent_m),
                    o(x.avg_hr),
                    o(x.max_hr),
                    o(x.avg_cadence),
                    o(x.max_cadence),
                    x.laps.to_string(),
                    x.source.clone(),
                ]
            })
            .collect(),
    )?;
    write_csv(
        dir,
        bom,
        "shoes.csv",
        "id,name,started,retired,initial_km,limit_km",
        j.shoes
            .iter()
            .map(|s| {
                let x = &s.item;
                vec![
                    s.id.to_string(),
                    x.name.clone(),
                    x.started.to_string(),
                    o(x.retired),
                    x.initial_km.to_string(),
                    x.limit_km.to_string(),
                ]
            })
            .collect(),
    )?;
    write_csv(
        dir,
        bom,
        "checkins.csv",
        "id,date,morning_pain,stiffness,water_l,potassium,sleep_h,note",
        j.checkins
            .iter()
            .map(|c| {
                let x = &c.item;
                vec![
                    c.id.to_string(),
                    x.date.to_string(),
                    nrs(x.morning_pain),
                    nrs(x.stiffness),
                    o(x.water_l),
                    o(x.potassium),
                    o(x.sleep_h),
                    o(x.note.clone()),
                ]
            })
            .collect(),
    )?;
    print(&format!(
        "wrote runs.csv, pain_reports.csv, findings.csv, treatments.csv, sessions.csv, activities.csv, shoes.csv and checkins.csv to `{}`",
        dir.display()
    ))
}

/// One day of `export --wellness`.
#[derive(Default)]
struct WellnessDay {
    /// The day's worst pain, 0-10: pain reports, runs' worst pain, the morning check-in.
    pain: Option<u8>,
    /// The check-in's stiffness, 0-10.
    stiffness: Option<u8>,
    /// Hours slept.
    sleep_h: Option<f64>,
}

/// intervals.icu's 1-4 scale for a 0-10 value (1 = none/low … 4 = extreme/injured).
fn one_to_four(v: u8) -> u8 {
    match v {
        0 => 1,
        1..=3 => 2,
        4..=6 => 3,
        _ => 4,
    }
}

/// Writes `export --wellness FILE`: one row per day with a pain report, a run or a check-in, in
/// intervals.icu's wellness column names (README, "Wellness CSV"): `date`, `soreness` (1-4, from
/// the check-in's stiffness), `sleepSecs`, `injury` (1 none, 2 niggle, 3 poor, 4 injured, from the
/// day's worst pain) and `comments` (the worst pain as 0-10, which has no column of its own there).
pub fn export_wellness(j: &Journal, file: &Path, now: &Zoned, bom: bool) -> Result<()> {
    let mut days: std::collections::BTreeMap<jiff::civil::Date, WellnessDay> =
        std::collections::BTreeMap::new();
    let worse = |slot: &mut Option<u8>, v: u8| *slot = Some(slot.map_or(v, |p| p.max(v)));
    for p in &j.pain_reports {
        let day = p.item.at.to_zoned(now.time_zone().clone()).date();
        worse(&mut days.entry(day).or_default().pain, p.item.pain.value());
    }
    for r in &j.runs {
        let d = days.entry(r.item.date).or_default();
        if let Some(p) = r.item.max_pain {
            worse(&mut d.pain, p.value());
        }
    }
    for c in &j.checkins {
        let d = days.entry(c.item.date).or_default();
        if let Some(p) = c.item.morning_pain {
            worse(&mut d.pain, p.value());
        }
        d.stiffness = c.item.stiffness.map(|s| s.value());
        d.sleep_h = c.item.sleep_h;
    }
    let rows = days
        .iter()
        .map(|(date, d)| {
            vec![
                date.to_string(),
                o(d.stiffness.map(one_to_four)),
                o(d.sleep_h.map(|h| (h * 3600.0).round() as i64)),
                o(d.pain.map(one_to_four)),
                d.pain
                    .map(|p| format!("worst pain {p}/10 (knots)"))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = file
        .file_name()
        .context("--wellness needs a file name")?
        .to_string_lossy()
        .into_owned();
    write_csv(
        dir,
        bom,
        &name,
        "date,soreness,sleepSecs,injury,comments",
        rows,
    )?;
    eprintln!(
        "wrote {} days of wellness to `{}`",
        days.len(),
        file.display()
    );
    Ok(())
}
