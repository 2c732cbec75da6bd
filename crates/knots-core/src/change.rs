//! Corrections: which kind of record an edit or delete is about ([`Kind`]), one record of any kind
//! ([`Record`]), and the change event the journal keeps for every edit and delete ([`Change`]) —
//! the audit trail.
//!
//! An edit is a JSON merge of the fields given over the stored record ([`Record::patched`]), so one
//! rule covers every kind and every entry path (CLI flags, a web form, a `PATCH` body): the patched
//! record must deserialize into its type and then meet the same `validate` rules as a new record.

use crate::journal::{
    Activity, By, Checkin, FieldError, Finding, PainReport, Profile, Reaction, Run, Session, Shoe,
    Treatment,
};
use jiff::Timestamp;

vocabulary! {
    /// The kinds of record that can be edited and deleted. The words are the CLI's command names
    /// and the JSON API's path segments.
    Kind, "record kind" {
        /// A pain report.
        Pain = "pain",
        /// A palpation finding (`knots knot …`).
        Finding = "knot",
        /// A treatment (`knots treat …`).
        Treatment = "treat",
        /// A therapist session (with its findings and treatments).
        Session = "session",
        /// A run.
        Run = "run",
        /// A shoe.
        Shoe = "shoe",
        /// A daily check-in.
        Checkin = "checkin",
        /// An imported activity.
        Activity = "activity",
        /// An adverse reaction after a treatment.
        Reaction = "reaction",
        /// The profile (there is one; its id is 1).
        Profile = "profile",
    }
}

impl Kind {
    /// The kind named by a JSON API path segment or a CLI word, accepting the long forms too
    /// (`finding`, `treatment`, `pain_report`).
    ///
    /// # Errors
    /// An unknown word, with suggestions.
    pub fn parse_any(word: &str) -> Result<Kind, crate::UnknownId> {
        match word {
            "finding" | "findings" => Ok(Kind::Finding),
            "treatment" | "treatments" => Ok(Kind::Treatment),
            "pain_report" | "pain_reports" => Ok(Kind::Pain),
            "reactions" => Ok(Kind::Reaction),
            other => other.parse(),
        }
    }

    /// The name used in messages ("pain report", "finding", …).
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Pain => "pain report",
            Kind::Finding => "finding",
            Kind::Treatment => "treatment",
            Kind::Session => "session",
            Kind::Run => "run",
            Kind::Shoe => "shoe",
            Kind::Checkin => "check-in",
            Kind::Activity => "activity",
            Kind::Reaction => "reaction",
            Kind::Profile => "profile",
        }
    }
}

/// One record of any kind, as stored (without its id).
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A pain report.
    Pain(PainReport),
    /// A finding.
    Finding(Finding),
    /// A treatment.
    Treatment(Treatment),
    /// A session (its findings and treatments are records of their own).
    Session(Session),
    /// A run.
    Run(Run),
    /// A shoe.
    Shoe(Shoe),
    /// A check-in.
    Checkin(Checkin),
    /// An imported activity.
    Activity(Activity),
    /// An adverse reaction.
    Reaction(Reaction),
    /// The profile.
    Profile(Profile),
}

/// Who owns a record, and so who may edit or delete it when a runner and a practice keep one
/// record between them: the practice owns its sessions and what was found and done in them (a
/// finding or treatment of a session, or a treatment given by a therapist); the runner owns
/// everything else — runs, pain reports, self-care, check-ins, shoes, activities, reactions, the
/// profile and the findings of their own palpation. An edit or delete by the other side is
/// refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Owner {
    /// The runner.
    Runner,
    /// The practice (its therapists).
    Practice,
}

impl Owner {
    /// Who this is, for messages ("the runner", "the practice").
    pub fn noun(self) -> &'static str {
        match self {
            Owner::Runner => "the runner",
            Owner::Practice => "the practice",
        }
    }
}

impl Record {
    /// Its kind.
    pub fn kind(&self) -> Kind {
        match self {
            Record::Pain(_) => Kind::Pain,
            Record::Finding(_) => Kind::Finding,
            Record::Treatment(_) => Kind::Treatment,
            Record::Session(_) => Kind::Session,
            Record::Run(_) => Kind::Run,
            Record::Shoe(_) => Kind::Shoe,
            Record::Checkin(_) => Kind::Checkin,
            Record::Activity(_) => Kind::Activity,
            Record::Reaction(_) => Kind::Reaction,
            Record::Profile(_) => Kind::Profile,
        }
    }

    /// Who owns it ([`Owner`]).
    pub fn owner(&self) -> Owner {
        match self {
            Record::Session(_) => Owner::Practice,
            Record::Finding(f) if f.session.is_some() => Owner::Practice,
            Record::Treatment(t) if t.session.is_some() || t.by == By::Therapist => Owner::Practice,
            _ => Owner::Runner,
        }
    }

    /// The record in its export form (a JSON object).
    pub fn to_json(&self) -> serde_json::Value {
        let value = match self {
            Record::Pain(r) => serde_json::to_value(r),
            Record::Finding(r) => serde_json::to_value(r),
            Record::Treatment(r) => serde_json::to_value(r),
            Record::Session(r) => serde_json::to_value(r),
            Record::Run(r) => serde_json::to_value(r),
            Record::Shoe(r) => serde_json::to_value(r),
            Record::Checkin(r) => serde_json::to_value(r),
            Record::Activity(r) => serde_json::to_value(r),
            Record::Reaction(r) => serde_json::to_value(r),
            Record::Profile(r) => serde_json::to_value(r),
        };
        // The journal types serialize to objects of plain values; this cannot fail.
        value.unwrap_or(serde_json::Value::Null)
    }

    /// A record of `kind` from its export form.
    ///
    /// # Errors
    /// The field that does not fit the type, or the whole value when it is not an object.
    pub fn from_json(kind: Kind, value: serde_json::Value) -> Result<Record, FieldError> {
        fn de<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, FieldError> {
            serde_path_to_error::deserialize(v).map_err(|e| {
                let path = e.path().to_string();
                let text = e.inner().to_string();
                // The path to the value that failed (`pain`, `regions[0]`); at the top level,
                // serde names the field in backticks ("missing field `km`").
                let field = if path.is_empty() || path == "." {
                    text.split('`')
                        .nth(1)
                        .filter(|f| !f.contains(' '))
                        .unwrap_or("record")
                        .to_string()
                } else {
                    path
                };
                FieldError::new(field, text)
            })
        }
        Ok(match kind {
            Kind::Pain => Record::Pain(de(value)?),
            Kind::Finding => Record::Finding(de(value)?),
            Kind::Treatment => Record::Treatment(de(value)?),
            Kind::Session => Record::Session(de(value)?),
            Kind::Run => Record::Run(de(value)?),
            Kind::Shoe => Record::Shoe(de(value)?),
            Kind::Checkin => Record::Checkin(de(value)?),
            Kind::Activity => Record::Activity(de(value)?),
            Kind::Reaction => Record::Reaction(de(value)?),
            Kind::Profile => Record::Profile(de(value)?),
        })
    }

    /// This record with the fields of `patch` (a JSON object) replacing its own; `null` clears an
    /// optional field. A field the record does not have is refused by name, so a typo never loses
    /// what was typed.
    ///
    /// # Errors
    /// A patch that is not an object, an unknown field, or a value of the wrong type.
    ///
    /// # Examples
    /// ```
    /// use knots_core::change::Record;
    /// use knots_core::journal::Checkin;
    /// let day = "2026-11-20".parse().unwrap();
    /// let c = Record::Checkin(Checkin { date: day, morning_pain: None, stiffness: None,
    ///     water_l: Some(1.5), potassium: None, sleep_h: None, note: None });
    /// let patched = c.patched(&serde_json::json!({"water_l": 2.0})).unwrap();
    /// assert_eq!(patched.to_json()["water_l"], 2.0);
    /// assert!(c.patched(&serde_json::json!({"watr_l": 2.0})).is_err());
    /// ```
    pub fn patched(&self, patch: &serde_json::Value) -> Result<Record, FieldError> {
        let serde_json::Value::Object(fields) = patch else {
            return Err(FieldError::new(
                "record",
                "an edit must be a JSON object of fields",
            ));
        };
        let mut value = self.to_json();
        let serde_json::Value::Object(current) = &mut value else {
            return Err(FieldError::new(
                "record",
                "the stored record is not an object",
            ));
        };
        for (field, new) in fields {
            match current.get_mut(field) {
                Some(slot) => *slot = new.clone(),
                None => {
                    let known: Vec<&str> = current.keys().map(String::as_str).collect();
                    return Err(FieldError::new(
                        field.as_str(),
                        format!(
                            "a {} has no field `{field}` (fields: {})",
                            self.kind().noun(),
                            known.join(", ")
                        ),
                    ));
                }
            }
        }
        Record::from_json(self.kind(), value)
    }
}

vocabulary! {
    /// What a change event did.
    Action, "change action" {
        /// Fields of a record were changed.
        Edit = "edit",
        /// A record was deleted.
        Delete = "delete",
    }
}

/// A change event: one edit or delete, with the record before and after (the audit trail).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Change {
    /// When the change was made.
    pub at: Timestamp,
    /// The kind of record.
    pub kind: Kind,
    /// The record's id.
    pub record: i64,
    /// Edit or delete.
    pub action: Action,
    /// The record before (a session's delete also lists its findings and treatments).
    pub old: serde_json::Value,
    /// The record after an edit; `null` after a delete.
    pub new: serde_json::Value,
}

impl Change {
    /// The fields an edit changed, as `field: old -> new` lines (empty for a delete).
    pub fn changed_fields(&self) -> Vec<String> {
        let (serde_json::Value::Object(old), serde_json::Value::Object(new)) =
            (&self.old, &self.new)
        else {
            return Vec::new();
        };
        new.iter()
            .filter(|(k, v)| old.get(*k) != Some(*v))
            .map(|(k, v)| {
                let before = old.get(k).unwrap_or(&serde_json::Value::Null);
                format!("{k}: {} -> {}", shown(before), shown(v))
            })
            .collect()
    }
}

/// A value as an edit's summary shows it: decimals to at most three places (a distance
/// converted from miles is 9.9779328 km, not 9.977932800000001), the rest as JSON.
fn shown(v: &serde_json::Value) -> String {
    match v.as_f64() {
        Some(x) if v.is_f64() => {
            // At least one decimal (5.0), at most three (9.978); never -0.0.
            let text = format!("{x:.3}");
            let text = text.trim_end_matches('0');
            let text = if text.ends_with('.') {
                format!("{text}0")
            } else {
                text.to_string()
            };
            if text == "-0.0" {
                "0.0".to_string()
            } else {
                text
            }
        }
        _ => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Km;
    use crate::journal::Camber;

    fn run() -> Record {
        Record::Run(Run {
            date: "2026-11-01".parse().unwrap(),
            km: Km::new(5.0).unwrap(),
            minutes: Some(30.0),
            shoe: None,
            surface: None,
            camber: Camber::None,
            pain_onset_km: None,
            max_pain: None,
            pain_next_morning: None,
            rpe: None,
            note: None,
        })
    }

    #[test]
    fn an_edit_summary_rounds_numbers() {
        let c = Change {
            at: "2026-11-28T08:00:00Z".parse().unwrap(),
            kind: Kind::Run,
            record: 1,
            action: Action::Edit,
            old: serde_json::json!({"km": 10.0, "minutes": 30, "note": "a"}),
            new: serde_json::json!({"km": 9.977_932_800_000_001, "minutes": 31, "note": "a"}),
        };
        assert_eq!(
            c.changed_fields(),
            ["km: 10.0 -> 9.978", "minutes: 30 -> 31"]
        );
    }

    #[test]
    fn a_bad_value_names_its_field() {
        let field = |kind, v: serde_json::Value| Record::from_json(kind, v).unwrap_err().field;
        let pain = |extra: serde_json::Value| {
            let mut v = serde_json::json!({"at": "2026-11-01T08:00:00Z", "regions": ["lateral_knee"],
                "side": "left", "pain": 4, "context": "rest", "red_flags": []});
            for (k, x) in extra.as_object().unwrap() {
                v[k] = x.clone();
            }
            v
        };
        assert!(Record::from_json(Kind::Pain, pain(serde_json::json!({}))).is_ok());
        assert_eq!(
            field(Kind::Pain, pain(serde_json::json!({"pain": 11}))),
            "pain"
        );
        assert_eq!(
            field(Kind::Pain, pain(serde_json::json!({"pain": "high"}))),
            "pain"
        );
        assert_eq!(
            field(Kind::Pain, pain(serde_json::json!({"at": "2026-02-30"}))),
            "at"
        );
        assert_eq!(
            field(
                Kind::Pain,
                pain(serde_json::json!({"regions": ["lateral_kne"]}))
            ),
            "regions[0]"
        );
        let mut r = run().to_json();
        r["km"] = serde_json::json!(-1);
        assert_eq!(field(Kind::Run, r.clone()), "km");
        r["km"] = serde_json::json!("abc");
        assert_eq!(field(Kind::Run, r.clone()), "km");
        r["km"] = serde_json::json!(5);
        r["date"] = serde_json::json!("2026-13-45");
        assert_eq!(field(Kind::Run, r.clone()), "date");
        r.as_object_mut().unwrap().remove("date");
        assert_eq!(field(Kind::Run, r), "date");
    }

    #[test]
    fn the_practice_owns_its_sessions_and_what_was_done_in_them() {
        assert_eq!(run().owner(), Owner::Runner);
        let treatment = |by, session| {
            Record::Treatment(Treatment {
                at: "2026-11-01T10:00:00Z".parse().unwrap(),
                kind: crate::journal::TreatmentKind::FoamRoll,
                target: None,
                side: crate::journal::Side::Left,
                pressure: None,
                minutes: None,
                by,
                session,
                note: None,
            })
        };
        assert_eq!(treatment(By::SelfCare, None).owner(), Owner::Runner);
        assert_eq!(treatment(By::Therapist, None).owner(), Owner::Practice);
        assert_eq!(treatment(By::SelfCare, Some(3)).owner(), Owner::Practice);
    }

    #[test]
    fn a_patch_replaces_only_the_fields_given() {
        let patched = run()
            .patched(&serde_json::json!({"km": 7.5, "note": "felt fine"}))
            .unwrap();
        let Record::Run(r) = patched else {
            panic!("kind changed")
        };
        assert_eq!(r.km.value(), 7.5);
        assert_eq!(r.note.as_deref(), Some("felt fine"));
        assert_eq!(r.minutes, Some(30.0));
    }

    #[test]
    fn a_patch_names_the_unknown_or_ill_typed_field() {
        let err = run().patched(&serde_json::json!({"kms": 7})).unwrap_err();
        assert_eq!(err.field, "kms");
        let err = run()
            .patched(&serde_json::json!({"camber": "uphill"}))
            .unwrap_err();
        assert!(err.message.contains("uphill"), "{err}");
        let err = run().patched(&serde_json::json!([1])).unwrap_err();
        assert_eq!(err.field, "record");
    }

    #[test]
    fn null_clears_an_optional_field() {
        let Record::Run(r) = run()
            .patched(&serde_json::json!({"minutes": null}))
            .unwrap()
        else {
            panic!("kind changed")
        };
        assert_eq!(r.minutes, None);
    }

    #[test]
    fn changed_fields_lists_old_and_new() {
        let old = run();
        let new = old.patched(&serde_json::json!({"km": 6.0})).unwrap();
        let change = Change {
            at: Timestamp::UNIX_EPOCH,
            kind: Kind::Run,
            record: 1,
            action: Action::Edit,
            old: old.to_json(),
            new: new.to_json(),
        };
        assert_eq!(change.changed_fields(), vec!["km: 5.0 -> 6.0".to_string()]);
    }

    #[test]
    fn kinds_parse_in_short_and_long_form() {
        assert_eq!(Kind::parse_any("finding").unwrap(), Kind::Finding);
        assert_eq!(Kind::parse_any("knot").unwrap(), Kind::Finding);
        assert_eq!(Kind::parse_any("pain").unwrap(), Kind::Pain);
        assert_eq!(Kind::parse_any("reaction").unwrap(), Kind::Reaction);
        assert_eq!(Kind::parse_any("reactions").unwrap(), Kind::Reaction);
        assert!(Kind::parse_any("runs").is_err());
    }
}
