//! The store stories, generic over the back end: `story` walks every method of the `Store` trait
//! (`import_story` the activity import), so each back end's test file runs the same story.

#![allow(dead_code, clippy::unwrap_used)] // test code; each test file uses what it needs

use jiff::Timestamp;
use knots_core::change::{Action, Kind, Record};
use knots_core::journal::*;
use knots_core::{Km, Nrs, Region, TriggerPointId};
use knots_store::export::Export;
use knots_store::{Deleted, Error, ImportFile, ImportItem, Imported, Original, Store};

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn nrs(v: u8) -> Nrs {
    Nrs::new(v).unwrap()
}

pub fn story<S: Store>(store: &mut S) {
    assert!(store.is_empty().unwrap());
    assert!(!store.is_demo().unwrap());
    let shoe = Shoe {
        name: "Road".into(),
        started: "2026-01-01".parse().unwrap(),
        retired: None,
        initial_km: 10.0,
        limit_km: 700.0,
    };
    let shoe_id = store.add_shoe(&shoe).unwrap();
    assert!(matches!(store.add_shoe(&shoe), Err(Error::Conflict(m)) if m.contains("Road")));
    let run = Run {
        date: "2026-02-01".parse().unwrap(),
        km: Km::new(5.0).unwrap(),
        minutes: Some(30.0),
        shoe: Some(shoe_id),
        surface: Some(Surface::Road),
        camber: Camber::Left,
        pain_onset_km: Some(Km::new(1.6).unwrap()),
        max_pain: Some(nrs(6)),
        pain_next_morning: None,
        rpe: None,
        note: None,
    };
    store.add_run(&run).unwrap();
    assert!(
        store
            .add_run(&Run {
                shoe: Some(99),
                ..run
            })
            .is_err(),
        "unknown shoe refused"
    );
    store
        .add_pain_report(&PainReport {
            at: at("2026-02-01T18:00:00Z"),
            regions: vec![Region::parse("lateral_knee").unwrap()],
            side: Side::Left,
            pain: nrs(6),
            context: Context::DuringRun,
            onset_km: Some(Km::new(1.6).unwrap()),
            red_flags: vec![knots_core::safety::RedFlag::Worsening],
            note: Some("after a mile".into()),
        })
        .unwrap();
    let finding = Finding {
        at: at("2026-02-03T10:00:00Z"),
        trigger_point: TriggerPointId("vastus_lateralis_distal".into()),
        side: Side::Left,
        tenderness: nrs(9),
        taut_band: true,
        reproduces: true,
        ppt_kg_cm2: Some(2.5),
        session: None,
        note: None,
    };
    store.add_finding(&finding).unwrap();
    let treatment = Treatment {
        at: at("2026-02-03T10:00:00Z"),
        kind: TreatmentKind::DeepTissue,
        target: Some("vastus_lateralis".into()),
        side: Side::Left,
        pressure: Some(nrs(7)),
        minutes: Some(20.0),
        by: By::Therapist,
        session: None,
        note: None,
    };
    store.add_treatment(&treatment).unwrap();
    let session_id = store
        .add_session(&SessionRecord {
            session: Session {
                at: at("2026-02-10T10:00:00Z"),
                therapist: None,
                subjective: "s".into(),
                objective: "o".into(),
                assessment: "a".into(),
                plan: "p".into(),
                pressure_ceiling: nrs(7),
                relaxation: Some(nrs(2)),
                minutes: Some(60.0),
            },
            findings: vec![finding.clone()],
            treatments: vec![treatment.clone()],
        })
        .unwrap();
    // A reaction after the session's deep work; one naming no stored treatment is refused.
    let session_treatment = store.treatments().unwrap().last().unwrap().id;
    let reaction = Reaction {
        at: at("2026-02-11T09:00:00Z"),
        kind: ReactionKind::Bruising,
        severity: nrs(4),
        hours: Some(48.0),
        treatment: Some(session_treatment),
        note: Some("outer thigh bruised".into()),
    };
    store.add_reaction(&reaction).unwrap();
    assert!(
        store
            .add_reaction(&Reaction {
                treatment: Some(999),
                ..reaction.clone()
            })
            .is_err(),
        "unknown treatment refused"
    );
    let checkin = Checkin {
        date: "2026-02-11".parse().unwrap(),
        morning_pain: Some(nrs(3)),
        stiffness: None,
        water_l: Some(2.0),
        potassium: Some(true),
        sleep_h: Some(7.0),
        note: None,
    };
    let checkin_id = store.add_checkin(&checkin).unwrap();
    assert!(
        matches!(store.add_checkin(&checkin), Err(Error::Conflict(_))),
        "one check-in a day"
    );
    let when = at("2026-03-02T08:00:00Z");
    store
        .edit(
            checkin_id,
            &Record::Checkin(Checkin {
                morning_pain: Some(nrs(2)),
                ..checkin.clone()
            }),
            when,
        )
        .unwrap();
    let profile = Profile {
        leg_length_diff_mm: Some(5.0),
        longer_leg: Some(Side::Right),
        note: None,
    };
    // The profile exists (empty) before it is first set.
    store
        .edit(1, &Record::Profile(profile.clone()), when)
        .unwrap();
    let retired = Shoe {
        retired: Some("2026-03-01".parse().unwrap()),
        ..shoe.clone()
    };
    let change = store.edit(shoe_id, &Record::Shoe(retired), when).unwrap();
    assert_eq!(change.action, Action::Edit);
    assert_eq!(
        change.changed_fields(),
        vec!["retired: null -> \"2026-03-01\""]
    );
    assert!(matches!(
        store.edit(42, &Record::Shoe(shoe.clone()), when),
        Err(Error::NotFound { kind: "shoe", .. })
    ));
    assert!(matches!(
        store.record(Kind::Run, 42),
        Err(Error::NotFound { kind: "run", .. })
    ));

    let j = store.journal().unwrap();
    assert_eq!(j.findings.len(), 2);
    assert_eq!(j.findings[1].item.session, Some(session_id));
    assert_eq!(j.treatments[1].item.session, Some(session_id));
    assert_eq!(j.checkins.len(), 1);
    assert_eq!(j.checkins[0].item.morning_pain, Some(nrs(2)));
    assert_eq!(j.reactions.len(), 1);
    assert_eq!(j.reactions[0].item, reaction);
    assert_eq!(j.shoes[0].item.retired, Some("2026-03-01".parse().unwrap()));
    assert_eq!(j.profile, profile);
    assert_eq!(store.findings().unwrap(), j.findings);
    assert_eq!(store.pain_reports().unwrap(), j.pain_reports);
    assert_eq!(store.shoes().unwrap(), j.shoes);
    assert!(!store.is_empty().unwrap());

    // A refused write leaves nothing behind (the session link fails the foreign key).
    let before = store.journal().unwrap();
    assert!(
        store
            .add_finding(&Finding {
                session: Some(999),
                ..finding
            })
            .is_err()
    );
    assert_eq!(store.journal().unwrap(), before);

    assert_eq!(j.changes.len(), 3, "three edits, three change events");
    assert_eq!(store.changes().unwrap(), j.changes);
    assert_eq!(
        store.session_record(session_id).unwrap().findings.len(),
        1,
        "a session reads with its findings"
    );

    store.replace_all(&j, true).unwrap();
    assert!(store.is_demo().unwrap());
    assert_eq!(store.journal().unwrap(), j);
    let text = Export::new(j.clone(), true).to_json().unwrap();
    assert_eq!(Export::parse(&text).unwrap().journal, j);

    delete_story(store, shoe_id, session_id);
}

/// Deletes: a worn shoe is refused unless its runs are detached, a session takes its findings and
/// treatments, every delete leaves a change event, and a missing id is `NotFound`.
fn delete_story<S: Store>(store: &mut S, shoe_id: i64, session_id: i64) {
    let when = at("2026-03-03T08:00:00Z");
    let before = store.journal().unwrap();
    let worn = before
        .runs
        .iter()
        .filter(|r| r.item.shoe == Some(shoe_id))
        .count();
    assert!(worn > 0);
    assert!(matches!(
        store.delete(Kind::Shoe, shoe_id, when, false),
        Err(Error::Conflict(m)) if m.contains(&format!("{worn} run"))
    ));
    assert_eq!(
        store.journal().unwrap(),
        before,
        "a refused delete changes nothing"
    );
    let gone = store.delete(Kind::Shoe, shoe_id, when, true).unwrap();
    assert_eq!(gone.runs_detached, worn);
    let gone = store
        .delete(Kind::Session, session_id, when, false)
        .unwrap();
    assert_eq!(
        gone,
        Deleted {
            findings: 1,
            treatments: 1,
            reactions_detached: 1,
            ..Deleted::default()
        }
    );
    let after = store.journal().unwrap();
    assert!(after.shoes.is_empty());
    assert!(after.runs.iter().all(|r| r.item.shoe.is_none()));
    assert!(after.sessions.is_empty());
    assert_eq!(after.findings.len(), before.findings.len() - 1);
    assert_eq!(after.changes.len(), before.changes.len() + 2);
    let last = &after.changes.last().unwrap().item;
    assert_eq!((last.kind, last.action), (Kind::Session, Action::Delete));
    assert_eq!(last.old["findings"].as_array().unwrap().len(), 1);
    assert!(matches!(
        store.delete(Kind::Session, session_id, when, false),
        Err(Error::NotFound {
            kind: "session",
            ..
        })
    ));
}

fn activity(start: &str, sport: &str, distance_m: Option<f64>) -> Activity {
    Activity {
        run: None,
        sport: sport.into(),
        start: at(start),
        utc_offset_s: Some(3600),
        source: "fit".into(),
        name: Some("Morning run".into()),
        distance_m,
        elapsed_s: 1800.25,
        timer_s: Some(1790.0),
        ascent_m: Some(42.5),
        avg_hr: Some(151.3),
        max_hr: Some(172.0),
        avg_cadence: Some(171.5),
        max_cadence: None,
        laps: 5,
        // Values an f32 holds exactly, so the stream reads back equal.
        stream: vec![
            StreamPoint {
                t: 0.0,
                d: Some(0.0),
                hr: Some(120.0),
                cad: None,
                alt: Some(12.5),
            },
            StreamPoint {
                t: 1.0,
                d: Some(3.25),
                hr: None,
                cad: Some(170.0),
                alt: None,
            },
        ],
    }
}

fn run_of(a: &Activity) -> Run {
    Run {
        date: a.start.to_zoned(jiff::tz::TimeZone::UTC).date(),
        km: Km::new(a.distance_m.unwrap_or(0.0) / 1000.0).unwrap(),
        minutes: Some(a.elapsed_s / 60.0),
        shoe: None,
        surface: None,
        camber: Camber::None,
        pain_onset_km: None,
        max_pain: None,
        pain_next_morning: None,
        rpe: None,
        note: None,
    }
}

/// `import_file` (duplicates, runs, shoes by name), `set_run_pain`, and `replace_all` over
/// imported activities, keeping ids and handing out new ones after them. Starts on an empty store.
pub fn import_story<S: Store>(store: &mut S) {
    let first = activity("2026-03-01T07:00:00Z", "running", Some(10_000.0));
    let ride = activity("2026-03-02T07:00:00Z", "cycling", None);
    let items = vec![
        ImportItem {
            activity: first.clone(),
            run: Some(run_of(&first)),
            shoe: None,
        },
        ImportItem {
            activity: ride.clone(),
            run: None,
            shoe: None,
        },
        // The same run again in the same file, 90 s later and 2 % longer.
        ImportItem {
            activity: Activity {
                start: at("2026-03-01T07:01:30Z"),
                distance_m: Some(10_200.0),
                ..first.clone()
            },
            run: Some(run_of(&first)),
            shoe: None,
        },
    ];
    let out = store.import_file(&items, None).unwrap();
    store.sync().unwrap();
    let (run_id, first_id) = match out[0] {
        Imported::Added {
            activity,
            run: Some(run),
        } => (run, activity),
        other => panic!("{other:?}"),
    };
    assert!(matches!(out[1], Imported::Added { run: None, .. }));
    assert_eq!(out[2], Imported::Duplicate { activity: first_id });

    // A Strava export names the shoe of a run already imported; a new sport is not a duplicate,
    // a "generic" file is; a run 5 % longer is not the same run.
    let strava = ImportItem {
        activity: Activity {
            source: "strava".into(),
            ..first.clone()
        },
        run: Some(run_of(&first)),
        shoe: Some("Trail".into()),
    };
    let out = store
        .import_file(
            &[
                strava,
                ImportItem {
                    activity: Activity {
                        sport: "generic".into(),
                        ..ride.clone()
                    },
                    run: None,
                    shoe: None,
                },
                ImportItem {
                    activity: Activity {
                        sport: "swimming".into(),
                        ..ride.clone()
                    },
                    run: None,
                    shoe: None,
                },
                ImportItem {
                    activity: Activity {
                        distance_m: Some(10_500.0),
                        ..first.clone()
                    },
                    run: Some(run_of(&first)),
                    shoe: None,
                },
            ],
            None,
        )
        .unwrap();
    assert_eq!(out[0], Imported::Duplicate { activity: first_id });
    assert!(matches!(out[1], Imported::Duplicate { .. }));
    assert!(matches!(out[2], Imported::Added { run: None, .. }));
    assert!(matches!(out[3], Imported::Added { run: Some(_), .. }));
    let shoes = store.shoes().unwrap();
    assert_eq!(shoes.len(), 1);
    assert_eq!(shoes[0].item.name, "Trail");
    assert_eq!(shoes[0].item.started, run_of(&first).date);

    let Record::Run(run) = store.record(Kind::Run, run_id).unwrap() else {
        panic!("not a run")
    };
    let painful = Run {
        pain_onset_km: Some(Km::new(4.2).unwrap()),
        max_pain: Some(nrs(5)),
        pain_next_morning: Some(nrs(3)),
        ..run
    };
    let when = at("2026-04-02T08:00:00Z");
    store
        .edit(run_id, &Record::Run(painful.clone()), when)
        .unwrap();
    assert!(matches!(
        store.edit(9999, &Record::Run(painful), when),
        Err(Error::NotFound { kind: "run", .. })
    ));

    let j = store.journal().unwrap();
    assert_eq!(j.activities.len(), 4);
    let run = &j.runs.iter().find(|r| r.id == run_id).unwrap().item;
    assert_eq!(run.shoe, Some(shoes[0].id), "the export's shoe was set");
    assert_eq!(run.pain_onset_km, Some(Km::new(4.2).unwrap()));
    assert_eq!(run.max_pain, Some(nrs(5)));
    assert_eq!(run.pain_next_morning, Some(nrs(3)));
    let stored = &j.activities.iter().find(|a| a.id == first_id).unwrap().item;
    assert_eq!(
        stored,
        &Activity {
            run: Some(run_id),
            ..first.clone()
        },
        "an activity reads back as it was written"
    );

    // Replacing a journal with imported activities: everything goes, ids are kept, and new rows
    // get ids after the kept ones.
    let mut kept = j.clone();
    for (i, a) in kept.activities.iter_mut().enumerate() {
        a.id = 100 + i64::try_from(i).unwrap();
    }
    store.replace_all(&kept, false).unwrap();
    assert_eq!(store.journal().unwrap(), kept);
    let next = store
        .import_file(
            &[ImportItem {
                activity: activity("2026-04-01T07:00:00Z", "running", Some(5_000.0)),
                run: None,
                shoe: None,
            }],
            None,
        )
        .unwrap();
    assert!(matches!(next[0], Imported::Added { activity, .. } if activity > 103));
    let shoe = store
        .add_shoe(&Shoe {
            name: "Road".into(),
            started: "2026-04-01".parse().unwrap(),
            retired: None,
            initial_km: 0.0,
            limit_km: 600.0,
        })
        .unwrap();
    assert!(shoe > shoes[0].id);
    store.replace_all(&Journal::default(), false).unwrap();
    assert!(
        store.is_empty().unwrap(),
        "imported activities count as records"
    );
}

/// Imports one running activity with a stream (the activity fields of the export snapshot).
pub fn import_story_first<S: Store>(store: &mut S) {
    let first = activity("2026-03-01T07:00:00Z", "running", Some(10_000.0));
    store
        .import_file(
            &[ImportItem {
                activity: first.clone(),
                run: Some(run_of(&first)),
                shoe: None,
            }],
            None,
        )
        .unwrap();
}

/// Original files: kept with the first activity a file adds (not with a duplicate), listed
/// without their bytes, read back whole, deleted with their activity, dropped by `replace_all`.
/// Starts on an empty store.
pub fn originals_story<S: Store>(store: &mut S) {
    let original = |name: &str, data: &[u8]| Original {
        name: name.into(),
        codec: "none".into(),
        size: data.len() as u64,
        crc32: 7,
        data: data.to_vec(),
    };
    let first = activity("2026-03-01T07:00:00Z", "running", Some(10_000.0));
    let item = |a: &Activity| ImportItem {
        activity: a.clone(),
        run: None,
        shoe: None,
    };
    let a = original("runs/a.fit", &[0, 1, 2, 255]);
    let out = store.import_file(&[item(&first)], Some(&a)).unwrap();
    let Imported::Added {
        activity: first_id, ..
    } = out[0]
    else {
        panic!("{out:?}")
    };
    assert_eq!(store.original(first_id).unwrap(), Some(a.clone()));
    // The same activity again (a second copy of the file) keeps no second copy; in a file of a
    // duplicate and a new activity, the new one keeps the file.
    let ride = activity("2026-03-02T07:00:00Z", "cycling", None);
    let b = original("export.zip!b.gpx", b"<gpx/>");
    let out = store
        .import_file(&[item(&first), item(&ride)], Some(&b))
        .unwrap();
    assert_eq!(out[0], Imported::Duplicate { activity: first_id });
    let Imported::Added {
        activity: ride_id, ..
    } = out[1]
    else {
        panic!("{out:?}")
    };
    let out = store.import_file(&[item(&ride)], Some(&a)).unwrap();
    assert!(matches!(out[0], Imported::Duplicate { .. }));
    let listed = store.originals().unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|o| (o.activity, o.name.as_str(), o.size, o.stored))
            .collect::<Vec<_>>(),
        vec![
            (first_id, "runs/a.fit", 4, 4),
            (ride_id, "export.zip!b.gpx", 6, 6)
        ]
    );
    assert_eq!(store.original(ride_id).unwrap(), Some(b));
    assert_eq!(store.original(9999).unwrap(), None);
    // Deleting an activity deletes its original.
    store
        .delete(Kind::Activity, ride_id, at("2026-04-01T00:00:00Z"), false)
        .unwrap();
    assert_eq!(store.original(ride_id).unwrap(), None);
    assert_eq!(store.originals().unwrap().len(), 1);
    // A restore replaces the journal: the JSON carries no originals, so none stay.
    let j = store.journal().unwrap();
    store.replace_all(&j, false).unwrap();
    assert!(store.originals().unwrap().is_empty());
    assert_eq!(store.journal().unwrap().activities, j.activities);
}

/// `import_files`: a group of files in one transaction, each whole or not at all: a file that
/// fails half way (its second activity names a shoe that does not exist) leaves nothing of itself
/// (neither its first activity nor its original), and the files around it are stored.
pub fn import_files_story<S: Store>(store: &mut S) {
    let item = |start: &str, shoe: Option<i64>| {
        let a = activity(start, "running", Some(5_000.0));
        ImportItem {
            run: Some(Run { shoe, ..run_of(&a) }),
            activity: a,
            shoe: None,
        }
    };
    let original = |name: &str| Original {
        name: name.into(),
        codec: "none".into(),
        size: 1,
        crc32: 0,
        data: vec![1],
    };
    let a = [item("2026-05-01T07:00:00Z", None)];
    let b = [
        item("2026-05-02T07:00:00Z", None),
        item("2026-05-03T07:00:00Z", Some(9999)),
    ];
    let c = [item("2026-05-04T07:00:00Z", None)];
    let (oa, ob, oc) = (original("a.fit"), original("b.fit"), original("c.fit"));
    let out = store
        .import_files(&[
            ImportFile {
                items: &a,
                original: Some(&oa),
            },
            ImportFile {
                items: &b,
                original: Some(&ob),
            },
            ImportFile {
                items: &c,
                original: Some(&oc),
            },
        ])
        .unwrap();
    assert!(
        matches!(out[0].as_deref(), Ok([Imported::Added { .. }])),
        "{out:?}"
    );
    assert!(out[1].is_err(), "{out:?}");
    assert!(
        matches!(out[2].as_deref(), Ok([Imported::Added { .. }])),
        "{out:?}"
    );
    store.sync().unwrap();
    let j = store.journal().unwrap();
    let starts: Vec<String> = j
        .activities
        .iter()
        .map(|a| a.item.start.to_string())
        .collect();
    assert_eq!(starts, ["2026-05-01T07:00:00Z", "2026-05-04T07:00:00Z"]);
    assert_eq!(j.runs.len(), 2);
    let names: Vec<String> = store
        .originals()
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(names, ["a.fit", "c.fit"]);
    // The failed file again, fixed: stored now.
    let fixed = [b[0].clone(), item("2026-05-03T07:00:00Z", None)];
    let out = store
        .import_files(&[ImportFile {
            items: &fixed,
            original: Some(&ob),
        }])
        .unwrap();
    assert!(matches!(
        out[0].as_deref(),
        Ok([Imported::Added { .. }, Imported::Added { .. }])
    ));
    assert_eq!(store.journal().unwrap().activities.len(), 4);
}
