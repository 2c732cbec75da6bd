//! Recording, editing and deleting records: the same checks for every entry path (CLI flags, web
//! forms, the JSON API, session files) and every kind, new or edited — the core's `validate`
//! rules, plausibility, references to shoes and sessions, and a session's pressure ceiling.

use jiff::Timestamp;
use knots_core::Atlas;
use knots_core::change::{Change, Kind, Record};
use knots_core::journal::{Checkin, FieldError, Now, SessionRecord};
use knots_store::{Deleted, Store};

/// Why a use case refused, in terms the edges map to exit codes and HTTP statuses.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value breaks a rule (exit 2, HTTP 422).
    #[error("{0}")]
    Invalid(FieldError),
    /// A value is possible but unusual: stored only when confirmed (`--force`).
    #[error("`{field}`: {reason}: confirm to store it anyway (--force)")]
    Unusual {
        /// The field.
        field: String,
        /// Why it is unusual.
        reason: String,
    },
    /// No record of that kind and id (exit 2, HTTP 404).
    #[error("no {kind} with id {id}")]
    NotFound {
        /// The kind, as a noun.
        kind: &'static str,
        /// The id asked for.
        id: String,
    },
    /// The write conflicts with what is stored: a taken name, a worn shoe (exit 2, HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// The journal could not be read or written (exit 1, HTTP 500/503).
    #[error(transparent)]
    Store(knots_store::Error),
}

impl From<knots_store::Error> for Error {
    fn from(e: knots_store::Error) -> Error {
        match e {
            knots_store::Error::Invalid(f) => Error::Invalid(f),
            knots_store::Error::NotFound { kind, key } => Error::NotFound { kind, id: key },
            knots_store::Error::Conflict(m) => Error::Conflict(m),
            other => Error::Store(other),
        }
    }
}

impl From<FieldError> for Error {
    fn from(e: FieldError) -> Error {
        Error::Invalid(e)
    }
}

/// What the checks need besides the record: the atlas, the clock, and whether the user confirmed
/// an unusual value.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The atlas (trigger point ids).
    pub atlas: &'a Atlas,
    /// Now.
    pub now: Now,
    /// Store an unusual value without asking.
    pub force: bool,
}

/// Checks `record` (new when `id` is `None`, else the edited record `id`) against every rule.
///
/// # Errors
/// [`Error::Invalid`] naming the field, [`Error::Unusual`] for an unconfirmed unusual value,
/// [`Error::NotFound`] for a shoe or session that does not exist.
pub fn check<S: Store>(
    store: &S,
    record: &Record,
    id: Option<i64>,
    cx: Context<'_>,
) -> Result<(), Error> {
    let now = cx.now;
    knots_core::bounds::check_record(&record.to_json())?;
    match record {
        Record::Pain(p) => p.validate(now)?,
        Record::Finding(f) => {
            f.validate(cx.atlas, now)?;
            if let Some(session) = f.session {
                store.record(Kind::Session, session)?;
            }
        }
        Record::Treatment(t) => {
            t.validate(cx.atlas, now)?;
            if let Some(session) = t.session {
                let Record::Session(s) = store.record(Kind::Session, session)? else {
                    return Err(Error::NotFound {
                        kind: "session",
                        id: session.to_string(),
                    });
                };
                if let Some(p) = t.pressure.filter(|p| *p > s.pressure_ceiling) {
                    return Err(Error::Invalid(FieldError::new(
                        "pressure",
                        format!(
                            "{p} is above the session's pressure ceiling of {}",
                            s.pressure_ceiling
                        ),
                    )));
                }
            }
        }
        Record::Session(s) => {
            // An edited session keeps its findings and treatments: they must fit the new ceiling.
            let mut whole = match id {
                Some(id) => store.session_record(id)?,
                None => SessionRecord {
                    session: s.clone(),
                    findings: Vec::new(),
                    treatments: Vec::new(),
                },
            };
            whole.session = s.clone();
            whole.validate(cx.atlas, now)?;
        }
        Record::Run(r) => {
            r.validate(now)?;
            if let Some(shoe) = r.shoe {
                store.record(Kind::Shoe, shoe)?;
            }
            if let Some(reason) = r.unusual().filter(|_| !cx.force) {
                return Err(Error::Unusual {
                    field: "km".into(),
                    reason,
                });
            }
        }
        Record::Reaction(r) => {
            r.validate(now)?;
            if let Some(treatment) = r.treatment {
                let Record::Treatment(t) = store.record(Kind::Treatment, treatment)? else {
                    return Err(Error::NotFound {
                        kind: "treatment",
                        id: treatment.to_string(),
                    });
                };
                r.validate_after(&t)?;
            }
        }
        Record::Shoe(s) => s.validate(now)?,
        Record::Checkin(c) => c.validate(now)?,
        Record::Activity(a) => a.validate(now)?,
        Record::Profile(p) => {
            if p.leg_length_diff_mm
                .is_some_and(|mm| !(0.0..=100.0).contains(&mm))
            {
                return Err(Error::Invalid(FieldError::new(
                    "leg_length_diff_mm",
                    "must be 0-100 mm",
                )));
            }
        }
    }
    Ok(())
}

/// Checks and stores a new record; returns its id.
///
/// # Errors
/// Those of [`check`], and the store's (a taken shoe name is [`Error::Conflict`]).
pub fn add<S: Store>(store: &mut S, record: &Record, cx: Context<'_>) -> Result<i64, Error> {
    check(store, record, None, cx)?;
    let id = match record {
        Record::Pain(p) => store.add_pain_report(p)?,
        Record::Finding(f) => store.add_finding(f)?,
        Record::Treatment(t) => store.add_treatment(t)?,
        Record::Session(s) => store.add_session(&SessionRecord {
            session: s.clone(),
            findings: Vec::new(),
            treatments: Vec::new(),
        })?,
        Record::Run(r) => store.add_run(r)?,
        Record::Shoe(s) => store.add_shoe(s)?,
        Record::Checkin(c) => store.add_checkin(c)?,
        Record::Reaction(r) => store.add_reaction(r)?,
        Record::Activity(_) => {
            return Err(Error::Invalid(FieldError::new(
                "kind",
                "activities come from imported files (`knots import`)",
            )));
        }
        Record::Profile(_) => {
            store.edit(1, record, cx.now.at)?;
            1
        }
    };
    Ok(id)
}

/// Checks and stores a therapist session with its findings and treatments, in one transaction.
///
/// # Errors
/// The first broken rule, naming the field (`treatments[1].pressure`).
pub fn add_session<S: Store>(
    store: &mut S,
    record: &SessionRecord,
    cx: Context<'_>,
) -> Result<i64, Error> {
    record.validate(cx.atlas, cx.now)?;
    knots_core::bounds::check_record(&Record::Session(record.session.clone()).to_json())?;
    for (i, f) in record.findings.iter().enumerate() {
        knots_core::bounds::check_record(&Record::Finding(f.clone()).to_json())
            .map_err(|e| e.within(&format!("findings[{i}]")))?;
    }
    for (i, t) in record.treatments.iter().enumerate() {
        knots_core::bounds::check_record(&Record::Treatment(t.clone()).to_json())
            .map_err(|e| e.within(&format!("treatments[{i}]")))?;
    }
    Ok(store.add_session(record)?)
}

/// Edits record `id` of `kind`: the fields of `patch` (a JSON object, `null` clears) replace the
/// stored ones, the result is checked like a new record, stored, and a change event is written in
/// the same transaction.
///
/// # Errors
/// [`Error::NotFound`], an unknown field or a broken rule ([`Error::Invalid`]), an unconfirmed
/// unusual value.
pub fn edit<S: Store>(
    store: &mut S,
    kind: Kind,
    id: i64,
    patch: &serde_json::Value,
    cx: Context<'_>,
) -> Result<Change, Error> {
    let id = if kind == Kind::Profile { 1 } else { id };
    let old = match store.record(kind, id) {
        Err(knots_store::Error::NotFound { .. }) if kind == Kind::Profile => {
            Record::Profile(Default::default())
        }
        other => other?,
    };
    let new = old.patched(patch)?;
    check(store, &new, Some(id), cx)?;
    Ok(store.edit(id, &new, cx.now.at)?)
}

/// Deletes record `id` of `kind` (a session with its findings and treatments; a worn shoe only
/// with `detach`), writing a change event in the same transaction.
///
/// # Errors
/// [`Error::NotFound`], [`Error::Conflict`] for a worn shoe without `detach`.
pub fn delete<S: Store>(
    store: &mut S,
    kind: Kind,
    id: i64,
    at: Timestamp,
    detach: bool,
) -> Result<Deleted, Error> {
    Ok(store.delete(kind, id, at, detach)?)
}

/// The day's check-in: a new one, or — when the day has one — those of its fields that `given`
/// sets (a JSON object of check-in fields) merged into it. Returns the check-in's id.
///
/// # Errors
/// A broken rule or an unknown field.
pub fn checkin<S: Store>(store: &mut S, given: &Checkin, cx: Context<'_>) -> Result<i64, Error> {
    let existing = store
        .journal()?
        .checkins
        .into_iter()
        .find(|c| c.item.date == given.date);
    match existing {
        Some(day) => {
            let mut patch = serde_json::Map::new();
            if let serde_json::Value::Object(fields) = Record::Checkin(given.clone()).to_json() {
                for (k, v) in fields {
                    if !v.is_null() {
                        patch.insert(k, v);
                    }
                }
            }
            edit(
                store,
                Kind::Checkin,
                day.id,
                &serde_json::Value::Object(patch),
                cx,
            )?;
            Ok(day.id)
        }
        None => add(store, &Record::Checkin(given.clone()), cx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use knots_core::Km;
    use knots_core::journal::{Camber, Run};
    use knots_store::SqliteStore;

    fn cx(atlas: &Atlas) -> Context<'_> {
        Context {
            atlas,
            now: Now {
                at: "2026-11-27T12:00:00Z".parse().unwrap(),
                today: "2026-11-27".parse().unwrap(),
            },
            force: false,
        }
    }

    fn run(km: f64, minutes: f64) -> Record {
        Record::Run(Run {
            date: "2026-11-20".parse().unwrap(),
            km: Km::new(km).unwrap(),
            minutes: Some(minutes),
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
    fn an_implausible_run_is_refused_and_an_unusual_one_needs_force() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("j.db")).unwrap();
        let atlas = Atlas::shipped();
        let err = add(&mut store, &run(500.0, 10.0), cx(atlas)).unwrap_err();
        assert!(
            matches!(&err, Error::Invalid(f) if f.field == "km"),
            "{err}"
        );
        let err = add(&mut store, &run(42.0, 0.0001), cx(atlas)).unwrap_err();
        assert!(
            matches!(&err, Error::Invalid(f) if f.field == "minutes"),
            "{err}"
        );
        let err = add(&mut store, &run(120.0, 900.0), cx(atlas)).unwrap_err();
        assert!(matches!(err, Error::Unusual { .. }));
        let forced = Context {
            force: true,
            ..cx(atlas)
        };
        add(&mut store, &run(120.0, 900.0), forced).unwrap();
        assert_eq!(
            store.journal().unwrap().runs.len(),
            1,
            "only the forced run"
        );
    }

    #[test]
    fn an_edit_is_checked_like_a_new_record_and_leaves_a_change_event() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("j.db")).unwrap();
        let atlas = Atlas::shipped();
        let id = add(&mut store, &run(5.0, 30.0), cx(atlas)).unwrap();
        let err = edit(
            &mut store,
            Kind::Run,
            id,
            &serde_json::json!({"date": "2099-01-01"}),
            cx(atlas),
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::Invalid(f) if f.field == "date"),
            "{err}"
        );
        let change = edit(
            &mut store,
            Kind::Run,
            id,
            &serde_json::json!({"km": 6.0}),
            cx(atlas),
        )
        .unwrap();
        assert_eq!(change.changed_fields(), vec!["km: 5.0 -> 6.0"]);
        assert_eq!(
            store.changes().unwrap().len(),
            1,
            "the refused edit left none"
        );
        let err = edit(
            &mut store,
            Kind::Run,
            id + 1,
            &serde_json::json!({"km": 6.0}),
            cx(atlas),
        )
        .unwrap_err();
        assert!(matches!(err, Error::NotFound { kind: "run", .. }));
    }

    #[test]
    fn a_second_checkin_the_same_day_merges_the_fields_given() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("j.db")).unwrap();
        let atlas = Atlas::shipped();
        let day = Checkin {
            date: "2026-11-20".parse().unwrap(),
            morning_pain: Some(knots_core::Nrs::new(3).unwrap()),
            stiffness: None,
            water_l: Some(2.0),
            potassium: None,
            sleep_h: None,
            note: None,
        };
        let id = checkin(&mut store, &day, cx(atlas)).unwrap();
        let later = Checkin {
            morning_pain: None,
            water_l: None,
            sleep_h: Some(7.5),
            ..day.clone()
        };
        assert_eq!(checkin(&mut store, &later, cx(atlas)).unwrap(), id);
        let stored = &store.journal().unwrap().checkins[0].item;
        assert_eq!(stored.morning_pain, day.morning_pain, "kept");
        assert_eq!(stored.water_l, Some(2.0), "kept");
        assert_eq!(stored.sleep_h, Some(7.5), "added");
    }

    #[test]
    fn text_is_held_to_the_same_rules_everywhere() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("j.db")).unwrap();
        let atlas = Atlas::shipped();
        let Record::Run(mut r) = run(5.0, 30.0) else {
            unreachable!()
        };
        r.note = Some("before\0after".into());
        let err = add(&mut store, &Record::Run(r), cx(atlas)).unwrap_err();
        assert!(
            matches!(&err, Error::Invalid(f) if f.field == "note"),
            "{err}"
        );
        let shoe = knots_core::journal::Shoe {
            name: "\u{200B}".into(),
            started: "2026-01-01".parse().unwrap(),
            retired: None,
            initial_km: 0.0,
            limit_km: 700.0,
        };
        let err = add(&mut store, &Record::Shoe(shoe), cx(atlas)).unwrap_err();
        assert!(
            matches!(&err, Error::Invalid(f) if f.field == "name"),
            "{err}"
        );
        assert!(store.is_empty().unwrap());
    }

    #[test]
    fn a_reaction_names_a_real_earlier_treatment_and_outlives_it() {
        use knots_core::journal::{By, Reaction, ReactionKind, Side, Treatment, TreatmentKind};
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("j.db")).unwrap();
        let atlas = Atlas::shipped();
        let ice = Record::Treatment(Treatment {
            at: "2026-11-20T18:00:00Z".parse().unwrap(),
            kind: TreatmentKind::Ice,
            target: Some("calf".into()),
            side: Side::Left,
            pressure: None,
            minutes: Some(20.0),
            by: By::SelfCare,
            session: None,
            note: None,
        });
        let t = add(&mut store, &ice, cx(atlas)).unwrap();
        let burn = Reaction {
            at: "2026-11-20T18:25:00Z".parse().unwrap(),
            kind: ReactionKind::Burn,
            severity: knots_core::Nrs::new(3).unwrap(),
            hours: Some(24.0),
            treatment: Some(t + 1),
            note: Some("ice straight on the skin".into()),
        };
        let err = add(&mut store, &Record::Reaction(burn.clone()), cx(atlas)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::NotFound {
                    kind: "treatment",
                    ..
                }
            ),
            "{err}"
        );
        let early = Reaction {
            at: "2026-11-20T17:00:00Z".parse().unwrap(),
            treatment: Some(t),
            ..burn.clone()
        };
        let err = add(&mut store, &Record::Reaction(early), cx(atlas)).unwrap_err();
        assert!(
            matches!(&err, Error::Invalid(f) if f.field == "at"),
            "{err}"
        );
        let linked = Reaction {
            treatment: Some(t),
            ..burn
        };
        let id = add(&mut store, &Record::Reaction(linked), cx(atlas)).unwrap();
        let err = edit(
            &mut store,
            Kind::Reaction,
            id,
            &serde_json::json!({"hours": 1000}),
            cx(atlas),
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::Invalid(f) if f.field == "hours"),
            "{err}"
        );
        let change = edit(
            &mut store,
            Kind::Reaction,
            id,
            &serde_json::json!({"severity": 4}),
            cx(atlas),
        )
        .unwrap();
        assert_eq!(change.changed_fields(), vec!["severity: 3 -> 4"]);
        let gone = delete(&mut store, Kind::Treatment, t, cx(atlas).now.at, false).unwrap();
        assert_eq!(gone.reactions_detached, 1);
        let kept = &store.journal().unwrap().reactions[0].item;
        assert_eq!((kept.treatment, kept.severity.value()), (None, 4));
    }
}
