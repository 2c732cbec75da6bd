//! `knots <kind> edit ID --field value…`, `knots <kind> delete ID`, and `knots log --changes`:
//! flags to a JSON patch, then the use cases of `knots_app::record`.

use crate::args::{DeleteArgs, EditArgs};
use crate::output::{InputError, print, print_json};
use anyhow::{Result, bail};
use jiff::Zoned;
use knots_app::record::{self, Context};
use knots_core::Atlas;
use knots_core::change::{Action, Change, Kind, Record};
use knots_core::journal::{Entry, Now};
use knots_core::units::{self, Unit};
use knots_store::Store;
use std::io::IsTerminal;

/// Fields whose values are always text, even when they look like numbers ("note 42").
const TEXT_FIELDS: &[&str] = &[
    "note",
    "name",
    "therapist",
    "subjective",
    "objective",
    "assessment",
    "plan",
    "target",
    "sport",
    "source",
    "trigger_point",
    "side",
    "context",
    "kind",
    "by",
    "camber",
    "surface",
    "date",
    "at",
    "started",
    "retired",
    "longer_leg",
    "start",
];

/// Fields holding a distance in kilometres: typed with a unit (`6.2mi`, `800m`, `10k`) or as a
/// plain number in the preferred unit, as in the add commands.
const DISTANCE_FIELDS: &[&str] = &["km", "pain_onset_km", "onset_km", "initial_km", "limit_km"];

/// The flag names the add commands use where the record's field is named otherwise.
fn field_name(kind: Kind, flag: &str) -> String {
    let name = flag.replace('-', "_");
    match (kind, name.as_str()) {
        (Kind::Finding, "ppt") => "ppt_kg_cm2".into(),
        (Kind::Pain, "region") => "regions".into(),
        (Kind::Pain, "red_flag") => "red_flags".into(),
        (Kind::Run, "onset_km") => "pain_onset_km".into(),
        (Kind::Run, "max") => "max_pain".into(),
        (Kind::Run, "next_morning") => "pain_next_morning".into(),
        _ => name,
    }
}

/// What `edit`'s trailing words say: the patch, and the `--force` / `--json` switches.
#[derive(Debug, PartialEq)]
pub struct Patch {
    /// The fields, as a JSON object.
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// Store an unusual value without asking.
    pub force: bool,
    /// Print JSON.
    pub json: bool,
}

/// Reads `--field value` (or `--field=value`) pairs. A value is JSON when it parses as a number,
/// `true`, `false` or `null`, text otherwise (always text for [`TEXT_FIELDS`]); lists
/// (`regions`, `red_flags`) are comma-separated (`--red-flags none` clears the red flags); `at`
/// takes what `add --at` takes. Distances ([`DISTANCE_FIELDS`]) are read by
/// `units::parse_distance` (a plain number in `unit`) and `minutes` by `units::parse_minutes`
/// (`42`, `42:30`, `1:05:00`), both stored in kilometres and minutes.
///
/// # Errors
/// A word that is not a flag, a flag without a value, a distance or duration that does not parse,
/// no field at all.
pub fn parse_patch(kind: Kind, words: &[String], unit: Unit) -> Result<Patch, InputError> {
    let mut patch = Patch {
        fields: serde_json::Map::new(),
        force: false,
        json: false,
    };
    let mut i = 0;
    while i < words.len() {
        let word = &words[i];
        i += 1;
        let Some(flag) = word.strip_prefix("--") else {
            return Err(InputError(format!(
                "`{word}`: expected a field flag such as `--km 7`"
            )));
        };
        match flag {
            "force" => {
                patch.force = true;
                continue;
            }
            "json" => {
                patch.json = true;
                continue;
            }
            _ => {}
        }
        let (flag, value) = match flag.split_once('=') {
            Some((f, v)) => (f, v.to_string()),
            None => {
                let Some(v) = words.get(i) else {
                    return Err(InputError(format!("`--{flag}` needs a value")));
                };
                i += 1;
                (flag, v.clone())
            }
        };
        let field = field_name(kind, flag);
        let json = if field == "red_flags"
            && matches!(
                value.trim().to_ascii_lowercase().as_str(),
                "" | "none" | "null"
            ) {
            // No red flag: the answer corrected to "no" (a list, so `null` means empty).
            serde_json::Value::Array(Vec::new())
        } else if field == "regions" || field == "red_flags" {
            serde_json::Value::Array(
                value
                    .split(',')
                    .map(|s| serde_json::Value::String(s.trim().to_string()))
                    .collect(),
            )
        } else if value == "null" {
            serde_json::Value::Null
        } else if DISTANCE_FIELDS.contains(&field.as_str()) {
            let km = units::parse_distance(&value, unit)
                .map_err(|e| InputError(format!("--{flag}: {e}")))?;
            serde_json::json!(km.value())
        } else if field == "at" {
            // The forms `add --at` takes: RFC 3339, local `YYYY-MM-DDTHH:MM`, a date, today.
            let at =
                crate::args::timestamp(&value).map_err(|e| InputError(format!("--{flag}: {e}")))?;
            serde_json::json!(at.to_string())
        } else if field == "minutes" {
            let minutes =
                units::parse_minutes(&value).map_err(|e| InputError(format!("--{flag}: {e}")))?;
            serde_json::json!(minutes)
        } else if TEXT_FIELDS.contains(&field.as_str()) {
            serde_json::Value::String(value)
        } else {
            serde_json::from_str::<serde_json::Value>(&value)
                .ok()
                .filter(|v| v.is_number() || v.is_boolean())
                .unwrap_or(serde_json::Value::String(value))
        };
        patch.fields.insert(field, json);
    }
    if patch.fields.is_empty() {
        return Err(InputError(format!(
            "name at least one field to change, e.g. `knots {kind} edit ID --note \"…\"`"
        )));
    }
    Ok(patch)
}

fn now_of(now: &Zoned) -> Now {
    Now {
        at: now.timestamp(),
        today: now.date(),
    }
}

/// `knots <kind> edit ID --field value…`.
pub fn edit<S: Store>(store: &mut S, kind: Kind, a: EditArgs, now: &Zoned) -> Result<()> {
    let mut patch = parse_patch(kind, &a.fields, crate::config::unit())?;
    // A run's shoe is typed by name, as in `run add --shoe`.
    if kind == Kind::Run
        && let Some(serde_json::Value::String(name)) = patch.fields.get("shoe").cloned()
    {
        let shoes = store.shoes()?;
        let Some(shoe) = shoes.iter().find(|s| s.item.name == name) else {
            return Err(knots_core::UnknownId::new(
                "shoe",
                &name,
                shoes.iter().map(|s| s.item.name.as_str()),
            )
            .into());
        };
        patch.fields.insert("shoe".into(), shoe.id.into());
    }
    let cx = Context {
        atlas: Atlas::shipped(),
        now: now_of(now),
        force: patch.force,
    };
    let change = record::edit(
        store,
        kind,
        a.id,
        &serde_json::Value::Object(patch.fields),
        cx,
    )?;
    if patch.json {
        return print_json("change", &change);
    }
    let fields = change.changed_fields();
    if fields.is_empty() {
        return print(&format!("{} {}: nothing changed", kind.noun(), a.id));
    }
    print(&format!(
        "edited {} {}: {}",
        kind.noun(),
        change.record,
        fields.join(", ")
    ))
}

fn describe(record: &Record) -> String {
    match record {
        Record::Run(r) => format!("{} on {}", r.km, r.date),
        Record::Pain(p) => format!("pain {} at {}", p.pain, p.at),
        Record::Finding(f) => format!("{} tenderness {}", f.trigger_point.as_str(), f.tenderness),
        Record::Treatment(t) => format!("{} at {}", t.kind, t.at),
        Record::Session(s) => format!("at {}", s.at),
        Record::Shoe(s) => format!("`{}`", s.name),
        Record::Checkin(c) => format!("of {}", c.date),
        Record::Activity(a) => format!("{} at {}", a.sport, a.start),
        Record::Reaction(r) => format!("{} {} at {}", r.kind, r.severity, r.at),
        Record::Profile(_) => String::new(),
    }
}

fn confirm(question: &str) -> Result<bool> {
    eprint!("{question} [y/N] ");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(matches!(line.trim().to_lowercase().as_str(), "y" | "yes"))
}

/// `knots <kind> delete ID [--yes] [--detach]`.
pub fn delete<S: Store>(store: &mut S, kind: Kind, a: DeleteArgs, now: &Zoned) -> Result<()> {
    let record = store.record(kind, a.id)?;
    let mut what = format!("{} {} ({})", kind.noun(), a.id, describe(&record));
    if kind == Kind::Session {
        let whole = store.session_record(a.id)?;
        what.push_str(&format!(
            " with its {} finding(s) and {} treatment(s)",
            whole.findings.len(),
            whole.treatments.len()
        ));
    }
    let mut detach = a.detach;
    if !a.yes {
        if !std::io::stdin().is_terminal() {
            bail!(InputError(format!(
                "deleting {what} needs a terminal to confirm, or `--yes`"
            )));
        }
        if kind == Kind::Shoe && !detach {
            let worn = store
                .runs()?
                .iter()
                .filter(|r| r.item.shoe == Some(a.id))
                .count();
            if worn > 0 {
                detach = confirm(&format!(
                    "{what} is worn on {worn} run(s). Delete it and leave them without a shoe?"
                ))?;
                if !detach {
                    return print("nothing deleted");
                }
            }
        }
        if !detach && !confirm(&format!("Delete {what}?"))? {
            return print("nothing deleted");
        }
    }
    let deleted = record::delete(store, kind, a.id, now.timestamp(), detach)?;
    if a.json {
        return print_json(
            "delete",
            &serde_json::json!({
                "kind": kind,
                "id": a.id,
                "deleted": deleted,
            }),
        );
    }
    let mut text = format!("deleted {what}");
    if deleted.runs_detached > 0 {
        text.push_str(&format!(
            "; {} run(s) now have no shoe",
            deleted.runs_detached
        ));
    }
    if deleted.activities_detached > 0 {
        text.push_str("; its imported activity is kept");
    }
    if deleted.reactions_detached > 0 {
        text.push_str(&format!(
            "; {} reaction(s) kept without a treatment",
            deleted.reactions_detached
        ));
    }
    print(&text)
}

/// `knots log --changes`: every edit and delete, oldest first.
pub fn changes(changes: &[Entry<Change>], json: bool) -> Result<()> {
    if json {
        return print_json(
            "changes",
            &serde_json::json!({
                "changes": changes,
            }),
        );
    }
    if changes.is_empty() {
        return print("no edits or deletes yet");
    }
    let lines: Vec<String> = changes
        .iter()
        .map(|c| {
            let c = &c.item;
            let detail = match c.action {
                Action::Edit => c.changed_fields().join(", "),
                Action::Delete => "deleted".into(),
            };
            format!(
                "{}  {} {} {}: {detail}",
                c.at.strftime("%Y-%m-%d %H:%M"),
                c.action,
                c.kind.noun(),
                c.record
            )
        })
        .collect();
    print(&lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn flags_become_a_typed_patch() {
        let p = parse_patch(
            Kind::Run,
            &words("--km 7 --note 42 --onset-km=1.5 --force"),
            Unit::Km,
        )
        .unwrap();
        assert_eq!(p.fields["km"], serde_json::json!(7.0));
        assert_eq!(p.fields["note"], serde_json::json!("42"));
        assert_eq!(p.fields["pain_onset_km"], serde_json::json!(1.5));
        assert!(p.force && !p.json);
        let p = parse_patch(
            Kind::Pain,
            &words("--region lateral_knee,lateral_thigh --json"),
            Unit::Km,
        )
        .unwrap();
        assert_eq!(
            p.fields["regions"],
            serde_json::json!(["lateral_knee", "lateral_thigh"])
        );
        assert!(p.json);
        let p = parse_patch(Kind::Run, &words("--minutes null --camber none"), Unit::Km).unwrap();
        assert_eq!(p.fields["minutes"], serde_json::Value::Null);
        assert_eq!(p.fields["camber"], serde_json::json!("none"));
    }

    #[test]
    fn bad_flags_are_named() {
        assert!(parse_patch(Kind::Run, &words("km 7"), Unit::Km).is_err());
        assert!(parse_patch(Kind::Run, &words("--km"), Unit::Km).is_err());
        assert!(parse_patch(Kind::Run, &words("--json"), Unit::Km).is_err());
        let e = parse_patch(Kind::Run, &words("--km 6furlongs"), Unit::Km).unwrap_err();
        assert!(e.0.contains("--km") && e.0.contains("6furlongs"), "{}", e.0);
        assert!(parse_patch(Kind::Run, &words("--minutes 4:75"), Unit::Km).is_err());
    }

    #[test]
    fn distances_and_durations_take_units() {
        let km = |p: &Patch, f: &str| p.fields[f].as_f64().unwrap();
        let p = parse_patch(
            Kind::Run,
            &words("--km 6.2mi --onset-km 800m --minutes 42:30"),
            Unit::Km,
        )
        .unwrap();
        assert!((km(&p, "km") - 6.2 * units::KM_PER_MILE).abs() < 1e-9);
        assert!((km(&p, "pain_onset_km") - 0.8).abs() < 1e-9);
        assert_eq!(km(&p, "minutes"), 42.5);
        // A plain number is in the preferred unit.
        let p = parse_patch(
            Kind::Shoe,
            &words("--limit-km 500 --initial-km 10k"),
            Unit::Mi,
        )
        .unwrap();
        assert!((km(&p, "limit_km") - 500.0 * units::KM_PER_MILE).abs() < 1e-9);
        assert_eq!(km(&p, "initial_km"), 10.0);
        let p = parse_patch(Kind::Pain, &words("--onset-km 1mi"), Unit::Km).unwrap();
        assert!((km(&p, "onset_km") - units::KM_PER_MILE).abs() < 1e-9);
    }

    #[test]
    fn at_takes_what_add_takes_and_red_flags_can_be_cleared() {
        let p = parse_patch(Kind::Pain, &words("--red-flags none"), Unit::Km).unwrap();
        assert_eq!(p.fields["red_flags"], serde_json::json!([]));
        let p = parse_patch(Kind::Pain, &words("--red-flags=null"), Unit::Km).unwrap();
        assert_eq!(p.fields["red_flags"], serde_json::json!([]));
        let p = parse_patch(Kind::Pain, &words("--red-flags bone_stress"), Unit::Km).unwrap();
        assert_eq!(p.fields["red_flags"], serde_json::json!(["bone_stress"]));
        // A local time keeps its time; RFC 3339 is itself.
        let at = |w: &str| {
            let p = parse_patch(Kind::Pain, &words(w), Unit::Km).unwrap();
            p.fields["at"]
                .as_str()
                .unwrap()
                .parse::<jiff::Timestamp>()
                .unwrap()
        };
        let local = at("--at 2026-11-20T08:00");
        let expected = "2026-11-20T08:00"
            .parse::<jiff::civil::DateTime>()
            .unwrap()
            .to_zoned(jiff::tz::TimeZone::system())
            .unwrap()
            .timestamp();
        assert_eq!(local, expected);
        assert_eq!(
            at("--at 2026-11-20T08:00:00Z").to_string(),
            "2026-11-20T08:00:00Z"
        );
        let e = parse_patch(Kind::Pain, &words("--at someday"), Unit::Km).unwrap_err();
        assert!(e.0.contains("--at") && e.0.contains("someday"), "{}", e.0);
    }
}
