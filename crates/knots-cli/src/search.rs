//! `knots search`: the guided knot search. Asks for one spot at a time on the terminal (or replays
//! answers from a JSON file), saves every answer as a palpation finding, and prints each step and
//! the conclusion. The model lives in `knots_core::search`; this file is glue.

use crate::output::{InputError, print, print_json, wrap};
use anyhow::{Context as _, Result, bail};
use clap::Args;
use jiff::Zoned;
use knots_core::atlas::{Atlas, TriggerPoint, TriggerPointId};
use knots_core::finder::Query;
use knots_core::journal::{Context, Finding, Side};
use knots_core::safety;
use knots_core::search::{Belief, Conclusion, Model, Press, Search, Settings, Step};
use knots_core::{Nrs, Region, UnknownId};
use knots_store::Store;
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// Arguments of `knots search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Where it hurts (repeat for several regions).
    #[arg(long = "region", required = true, value_parser = region)]
    pub regions: Vec<Region>,
    /// Which side.
    #[arg(long, value_parser = side)]
    pub side: Side,
    /// When it hurts.
    #[arg(long, value_parser = context)]
    pub context: Option<Context>,
    /// Replay answers from this JSON file instead of asking (see README, "Guided search").
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// When the spots were pressed (catching up on history): the findings are dated by it and
    /// only findings recorded before it inform the search. Default: now.
    #[command(flatten)]
    pub when: crate::args::When,
    /// Press at most this many spots.
    #[arg(long, default_value_t = Settings::default().budget)]
    pub budget: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

fn region(s: &str) -> Result<Region, UnknownId> {
    Region::parse(s)
}
fn side(s: &str) -> Result<Side, UnknownId> {
    s.parse()
}
fn context(s: &str) -> Result<Context, UnknownId> {
    s.parse()
}

/// One answer in an answers file.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAnswer {
    tenderness: Nrs,
    reproduces: bool,
}

/// An answers file: a list of `{trigger_point, tenderness, reproduces}` or an object keyed by
/// trigger point. Either way the search asks its own questions and looks each answer up.
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
enum AnswersFile {
    List(Vec<Press>),
    Keyed(BTreeMap<String, FileAnswer>),
}

/// One press, as printed.
#[derive(Debug, serde::Serialize)]
struct StepOut {
    step: usize,
    trigger_point: TriggerPointId,
    muscle: String,
    name: String,
    landmark: String,
    tenderness: Nrs,
    reproduces: bool,
    finding_id: i64,
    top: Vec<Belief>,
    none_probability: f64,
}

/// A spot the search asked about but got no answer for.
#[derive(Debug, serde::Serialize)]
struct Asked {
    trigger_point: TriggerPointId,
    name: String,
    landmark: String,
}

#[derive(Debug, serde::Serialize)]
struct Report {
    warning: Option<String>,
    candidates: usize,
    steps: Vec<StepOut>,
    /// Set when the answers ran out before the search ended: the question it would ask next.
    next: Option<Asked>,
    conclusion: Option<Conclusion>,
    disclaimer: &'static str,
}

/// Runs `knots search`. Each answer is saved at once, in its own transaction, so an interrupted
/// search keeps what was answered.
pub fn run(store: &mut impl Store, a: SearchArgs, now: &Zoned) -> Result<()> {
    let atlas = Atlas::shipped();
    let replay = match &a.answers {
        Some(path) => Some(read_answers(atlas, path)?),
        None => None,
    };
    if a.budget == 0 {
        bail!(InputError("`--budget` must be at least 1".into()));
    }
    let query = Query {
        regions: a.regions,
        side: a.side,
        context: a.context,
        onset_km: None,
    };
    let warning = safety::clinician_warning(&safety::active_red_flags(
        &store.pain_reports()?,
        now.timestamp(),
        &[],
    ));
    let at = a.when.at.unwrap_or_else(|| now.timestamp());
    knots_core::journal::check_instant("at", at, crate::commands::rules(now, false).now)?;
    // The prior is what was known before these presses, as on the web (`started`).
    let before: Vec<_> = store
        .findings()?
        .into_iter()
        .filter(|e| e.item.at < at)
        .collect();
    let settings = Settings {
        budget: a.budget,
        ..Settings::default()
    };
    let mut search = Search::new(atlas, &query, &before, Model::default(), settings);
    let interactive = replay.is_none();
    if interactive {
        if let Some(w) = &warning {
            eprintln!("!! {w}\n");
        }
        eprintln!(
            "Guided search: press each spot firmly for 5-10 s, at no more than 7/10. {} candidates.",
            search.candidates().len()
        );
    }
    let mut steps = Vec::new();
    let mut next = None;
    let conclusion = loop {
        let tp = match search.next() {
            Step::Stop(c) => break Some(c),
            Step::Press(tp) => tp,
        };
        let answer = match &replay {
            Some(answers) => answers.get(&tp.id).copied(),
            None => ask(atlas, tp, query.side, steps.len() + 1)?,
        };
        let Some((tenderness, reproduces)) = answer else {
            next = Some(Asked {
                trigger_point: tp.id.clone(),
                name: tp.name.clone(),
                landmark: tp.landmark.clone(),
            });
            break None;
        };
        let finding = Finding {
            at,
            trigger_point: tp.id.clone(),
            side: query.side,
            tenderness,
            taut_band: false,
            reproduces,
            ppt_kg_cm2: None,
            session: None,
            note: Some("guided search".into()),
        };
        let finding_id = knots_app::record::add(
            store,
            &knots_core::change::Record::Finding(finding),
            crate::commands::rules(now, false),
        )?;
        search.record(Press {
            trigger_point: tp.id.clone(),
            tenderness,
            reproduces,
        })?;
        let step = StepOut {
            step: steps.len() + 1,
            trigger_point: tp.id.clone(),
            muscle: muscle_name(atlas, tp),
            name: tp.name.clone(),
            landmark: tp.landmark.clone(),
            tenderness,
            reproduces,
            finding_id,
            top: search.posterior().into_iter().take(3).collect(),
            none_probability: search.none_probability(),
        };
        if interactive {
            eprintln!("  {}", top_words(atlas, &step.top));
        }
        steps.push(step);
    };
    let report = Report {
        warning,
        candidates: search.candidates().len(),
        steps,
        next,
        conclusion,
        disclaimer: safety::DISCLAIMER,
    };
    if a.json {
        return print_json("search", &report);
    }
    print(&report_text(atlas, &report, interactive))
}

fn read_answers(atlas: &Atlas, path: &Path) -> Result<BTreeMap<TriggerPointId, (Nrs, bool)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading `{}`", path.display()))?;
    let file: AnswersFile = serde_json::from_str(&text).map_err(|e| {
        InputError(format!(
            "`{}`: expected a list of {{\"trigger_point\", \"tenderness\", \"reproduces\"}} or an \
             object keyed by trigger point: {e}",
            path.display()
        ))
    })?;
    let pairs: Vec<(String, Nrs, bool)> = match file {
        AnswersFile::List(list) => list
            .into_iter()
            .map(|p| (p.trigger_point.0, p.tenderness, p.reproduces))
            .collect(),
        AnswersFile::Keyed(map) => map
            .into_iter()
            .map(|(k, v)| (k, v.tenderness, v.reproduces))
            .collect(),
    };
    let mut answers = BTreeMap::new();
    for (id, t, r) in pairs {
        let tp = atlas
            .trigger_point(&id)
            .with_context(|| format!("in `{}`", path.display()))?;
        if answers.insert(tp.id.clone(), (t, r)).is_some() {
            bail!(InputError(format!(
                "`{}`: two answers for `{id}`",
                path.display()
            )));
        }
    }
    Ok(answers)
}

/// Asks about one spot on stderr/stdin; `None` at the end of input (the search stops there).
fn ask(atlas: &Atlas, tp: &TriggerPoint, side: Side, step: usize) -> Result<Option<(Nrs, bool)>> {
    eprintln!(
        "\n{step}. {} — {} ({side} side)",
        muscle_name(atlas, tp),
        tp.name
    );
    eprintln!(
        "{}",
        wrap(&format!("press here: {}", tp.landmark), "   ", 100)
    );
    let tenderness = loop {
        let Some(line) = prompt("   how tender, 0-10? ")? else {
            return Ok(None);
        };
        match line.parse::<Nrs>() {
            Ok(t) => break t,
            Err(e) => eprintln!("   {e}"),
        }
    };
    let reproduces = loop {
        let Some(line) = prompt("   does it bring on your pain? y/n ")? else {
            return Ok(None);
        };
        match line.to_ascii_lowercase().as_str() {
            "y" | "yes" => break true,
            "n" | "no" => break false,
            _ => eprintln!("   answer y or n"),
        }
    };
    Ok(Some((tenderness, reproduces)))
}

fn prompt(question: &str) -> Result<Option<String>> {
    eprint!("{question}");
    std::io::stderr().flush()?;
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line)? == 0 {
        eprintln!();
        return Ok(None);
    }
    Ok(Some(line.trim().to_string()))
}

fn muscle_name(atlas: &Atlas, tp: &TriggerPoint) -> String {
    atlas
        .muscle(&tp.muscle)
        .map_or_else(|_| tp.muscle.clone(), |m| m.name.clone())
}

fn top_words(atlas: &Atlas, top: &[Belief]) -> String {
    let parts: Vec<String> = top
        .iter()
        .map(|b| {
            let name = atlas
                .trigger_point(b.trigger_point.as_str())
                .map_or_else(|_| b.trigger_point.to_string(), |t| muscle_name(atlas, t));
            format!("{name} [{}] {:.0}%", b.trigger_point, 100.0 * b.probability)
        })
        .collect();
    format!("most likely now: {}", parts.join(", "))
}

fn report_text(atlas: &Atlas, r: &Report, interactive: bool) -> String {
    let mut out = Vec::new();
    if !interactive {
        if let Some(w) = &r.warning {
            out.push(format!("!! {w}"));
            out.push(String::new());
        }
        for s in &r.steps {
            out.push(format!(
                "{}. pressed {} — {} [{}]: tenderness {}, {}",
                s.step,
                s.muscle,
                s.name,
                s.trigger_point,
                s.tenderness,
                if s.reproduces {
                    "brings on the pain"
                } else {
                    "does not bring on the pain"
                }
            ));
            out.push(format!("   {}", top_words(atlas, &s.top)));
        }
        out.push(String::new());
    }
    if let Some(n) = &r.next {
        out.push(format!(
            "No answer for the next spot, {} [{}]: the search stops here.",
            n.name, n.trigger_point
        ));
    }
    if let Some(c) = &r.conclusion {
        out.push(conclusion_words(atlas, c));
        if !c.also_reproduced.is_empty() {
            let ids: Vec<&str> = c.also_reproduced.iter().map(|t| t.as_str()).collect();
            out.push(format!(
                "Also brought on the pain (likely satellites): {}",
                ids.join(", ")
            ));
        }
    }
    out.push(format!("{} answer(s) saved as findings.", r.steps.len()));
    out.push(wrap(r.disclaimer, "", 100));
    out.join("\n")
}

fn conclusion_words(atlas: &Atlas, c: &Conclusion) -> String {
    use knots_core::search::Outcome;
    let name = |id: &TriggerPointId| {
        atlas.trigger_point(id.as_str()).map_or_else(
            |_| id.to_string(),
            |t| format!("{} — {} [{}]", muscle_name(atlas, t), t.name, t.id),
        )
    };
    let after = format!("after {} press(es)", c.presses);
    match (c.outcome, &c.trigger_point) {
        (Outcome::Found, Some(id)) => format!(
            "Most likely mother knot: {} ({:.0}% sure, {after}). Try its self-treatment: knots atlas show {id}",
            name(id),
            100.0 * c.probability
        ),
        (Outcome::NoneFound, _) => format!(
            "None of the candidate spots seems to cause this pain ({:.0}% sure, {after}): see a clinician if it persists.",
            100.0 * c.none_probability
        ),
        (_, Some(id)) => format!(
            "Not sure yet ({after}, stopped: {}): best guess {} at {:.0}%.",
            reason_words(c),
            name(id),
            100.0 * c.probability
        ),
        (_, None) => format!("No candidate spots for these regions ({after})."),
    }
}

fn reason_words(c: &Conclusion) -> &'static str {
    use knots_core::search::StopReason;
    match c.reason {
        StopReason::Confident => "confident",
        StopReason::Budget => "press budget spent",
        StopReason::NoUsefulSpot => "no spot left that would tell more",
        StopReason::AllPressed => "every candidate pressed",
        StopReason::NoCandidates => "no candidates",
    }
}
