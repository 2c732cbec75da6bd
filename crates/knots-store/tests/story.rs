//! One story that walks every method of the `Store` trait, generic over the back end; it runs on a
//! temp SQLite file.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use jiff::Timestamp;
use knots_core::journal::*;
use knots_core::{Km, Nrs, Region, TriggerPointId};
use knots_store::export::Export;
use knots_store::{Error, SqliteStore, Store};

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn nrs(v: u8) -> Nrs {
    Nrs::new(v).unwrap()
}

fn story<S: Store>(store: &mut S) {
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
    let checkin = Checkin {
        date: "2026-02-11".parse().unwrap(),
        morning_pain: Some(nrs(3)),
        stiffness: None,
        water_l: Some(2.0),
        potassium: Some(true),
        sleep_h: Some(7.0),
        note: None,
    };
    store.put_checkin(&checkin).unwrap();
    store
        .put_checkin(&Checkin {
            morning_pain: Some(nrs(2)),
            ..checkin
        })
        .unwrap();
    let profile = Profile {
        leg_length_diff_mm: Some(5.0),
        longer_leg: Some(Side::Right),
        note: None,
    };
    store.set_profile(&profile).unwrap();
    store
        .retire_shoe(shoe_id, "2026-03-01".parse().unwrap())
        .unwrap();
    assert!(matches!(
        store.retire_shoe(42, "2026-03-01".parse().unwrap()),
        Err(Error::NotFound { .. })
    ));

    let j = store.journal().unwrap();
    assert_eq!(j.findings.len(), 2);
    assert_eq!(j.findings[1].item.session, Some(session_id));
    assert_eq!(j.treatments[1].item.session, Some(session_id));
    assert_eq!(j.checkins.len(), 1);
    assert_eq!(j.checkins[0].item.morning_pain, Some(nrs(2)));
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

    store.replace_all(&j, true).unwrap();
    assert!(store.is_demo().unwrap());
    assert_eq!(store.journal().unwrap(), j);
    let text = Export::new(j.clone(), true).to_json().unwrap();
    assert_eq!(Export::parse(&text).unwrap().journal, j);
}

#[test]
fn sqlite_story() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("story.db")).unwrap();
    story(&mut store);
    drop(store);
    let reopened = SqliteStore::open(&dir.path().join("story.db")).unwrap();
    assert!(reopened.is_demo().unwrap(), "reopening keeps everything");
}

#[test]
fn export_parse_names_what_is_wrong() {
    assert!(Export::parse("{").unwrap_err().contains("line 1"));
    let newer = Export::parse("{\"format\": \"knots-journal\", \"version\": 9}").unwrap_err();
    assert!(newer.contains("`version` 9"), "{newer}");
    assert!(Export::parse("[]").unwrap_err().contains("no `format`"));
}
