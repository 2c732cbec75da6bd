//! The store's side of sync, on two SQLite journals standing for a runner and their practice:
//! global ids and the sync log, pages with a referenced record first, applying idempotently,
//! last-writer-wins by sequence number (not by clock), tombstones, and the ownership rule.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use knots_core::change::{Kind, Record};
use knots_core::journal::{By, Finding, Run, Session, SessionRecord, Shoe, Side, Treatment};
use knots_core::sync::{Side as Owner, owner};
use knots_core::{Km, Nrs, TriggerPointId};
use knots_store::sync::{Incoming, Item};
use knots_store::{SqliteStore, Store};

fn journal(dir: &tempfile::TempDir, name: &str) -> SqliteStore {
    SqliteStore::open(&dir.path().join(name)).unwrap()
}

fn at(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

fn run(km: f64, shoe: Option<i64>) -> Run {
    Run {
        date: "2026-11-01".parse().unwrap(),
        km: Km::new(km).unwrap(),
        minutes: None,
        shoe,
        surface: None,
        camber: "none".parse().unwrap(),
        pain_onset_km: None,
        max_pain: None,
        pain_next_morning: None,
        rpe: None,
        note: None,
    }
}

fn session() -> SessionRecord {
    let when = at("2026-11-02T10:00:00Z");
    SessionRecord {
        session: Session {
            at: when,
            therapist: None,
            subjective: "s".into(),
            objective: String::new(),
            assessment: String::new(),
            plan: "p".into(),
            pressure_ceiling: Nrs::new(6).unwrap(),
            relaxation: None,
            minutes: None,
        },
        findings: vec![Finding {
            at: when,
            trigger_point: TriggerPointId("soleus_1".into()),
            side: Side::Left,
            tenderness: Nrs::new(5).unwrap(),
            taut_band: false,
            reproduces: false,
            ppt_kg_cm2: None,
            session: None,
            note: None,
        }],
        treatments: vec![Treatment {
            at: when,
            kind: "deep_tissue".parse().unwrap(),
            target: None,
            side: Side::Left,
            pressure: Some(Nrs::new(4).unwrap()),
            minutes: None,
            by: By::Therapist,
            session: None,
            note: None,
        }],
    }
}

/// What the receiving side's store takes: the items parsed (the app layer also checks rules).
fn incoming(items: &[Item]) -> Vec<Incoming> {
    items
        .iter()
        .map(|i| Incoming {
            seq: i.seq,
            uid: i.uid.clone(),
            kind: i.kind,
            record: i
                .record
                .clone()
                .map(|r| Record::from_json(i.kind, r).unwrap()),
            parent: i.parent.clone(),
        })
        .collect()
}

fn everything(_: Kind, _: Option<&Record>) -> bool {
    true
}

/// Pushes everything `from` wrote after `after` into `to` as `side`'s changes; the new cursor.
fn send(from: &SqliteStore, to: &mut SqliteStore, side: Owner, after: i64) -> i64 {
    let page = from
        .changes_after(after, 1000, usize::MAX, everything)
        .unwrap();
    to.apply(side, &incoming(&page.items), None).unwrap();
    page.last
}

fn mine(db: &SqliteStore, origin: Option<Owner>) -> Vec<Item> {
    db.synced_records()
        .unwrap()
        .into_iter()
        .filter(|(o, _)| *o == origin)
        .map(|(_, i)| i)
        .collect()
}

#[test]
fn a_page_replayed_changes_nothing_and_references_travel_as_global_ids() {
    let dir = tempfile::tempdir().unwrap();
    let mut runner = journal(&dir, "runner.db");
    let mut practice = journal(&dir, "practice.db");
    let shoe = runner
        .add_shoe(&Shoe {
            name: "Daily".into(),
            started: "2026-01-01".parse().unwrap(),
            retired: None,
            initial_km: 0.0,
            limit_km: 700.0,
        })
        .unwrap();
    runner.add_run(&run(8.0, Some(shoe))).unwrap();
    // The shoe changes after the run: a page from the run's line sends the shoe first.
    let mut renamed = match runner.record(Kind::Shoe, shoe).unwrap() {
        Record::Shoe(s) => s,
        _ => unreachable!(),
    };
    renamed.name = "Daily 2".into();
    runner
        .edit(shoe, &Record::Shoe(renamed), at("2026-11-03T08:00:00Z"))
        .unwrap();
    let page = runner
        .changes_after(1, 1000, usize::MAX, everything)
        .unwrap();
    let kinds: Vec<Kind> = page.items.iter().map(|i| i.kind).collect();
    assert_eq!(kinds, [Kind::Shoe, Kind::Run, Kind::Shoe]);
    assert_eq!(
        page.items[0].seq, page.items[2].seq,
        "the shoe keeps its own sequence"
    );
    let first = practice
        .apply(Owner::Runner, &incoming(&page.items), None)
        .unwrap();
    assert_eq!((first.applied, first.already), (2, 1));
    let again = practice
        .apply(Owner::Runner, &incoming(&page.items), None)
        .unwrap();
    assert_eq!(
        (again.applied, again.already),
        (0, 3),
        "a replay changes nothing"
    );
    let got = practice.journal().unwrap();
    assert_eq!(got.shoes.len(), 1);
    assert_eq!(got.shoes[0].item.name, "Daily 2");
    assert_eq!(
        got.runs[0].item.shoe,
        Some(got.shoes[0].id),
        "the run names its shoe"
    );
    assert_eq!(mine(&runner, None), mine(&practice, Some(Owner::Runner)));
    // Nothing the practice applied is logged as its own change.
    assert!(
        practice
            .changes_after(0, 1000, usize::MAX, everything)
            .unwrap()
            .items
            .is_empty()
    );
}

#[test]
fn the_owner_wins_by_sequence_deletes_travel_and_the_other_side_may_not_change_a_copy() {
    let dir = tempfile::tempdir().unwrap();
    let mut runner = journal(&dir, "runner.db");
    let mut practice = journal(&dir, "practice.db");
    let session_id = practice.add_session(&session()).unwrap();
    let pulled = send(&practice, &mut runner, Owner::Practice, 0);
    assert_eq!(runner.journal().unwrap().findings.len(), 1);
    let copy = runner.journal().unwrap().sessions[0].id;
    assert!(
        runner.journal().unwrap().findings[0].item.session == Some(copy),
        "the finding names the session here too"
    );
    // The runner may not change the practice's session.
    let record = runner.record(Kind::Session, copy).unwrap();
    assert_eq!(owner(&record), Owner::Practice);
    let err = runner
        .edit(copy, &record, at("2026-11-03T08:00:00Z"))
        .unwrap_err();
    assert!(err.to_string().contains("belongs to the practice"), "{err}");
    let err = runner
        .delete(Kind::Session, copy, at("2026-11-03T08:00:00Z"), false)
        .unwrap_err();
    assert!(err.to_string().contains("belongs to the practice"), "{err}");

    // Two edits by the owner, the second stamped earlier by a wrong clock: the later change
    // (higher sequence) wins, whatever the clocks said, and an old page replayed late is skipped.
    let edit = |db: &mut SqliteStore, plan: &str, when: &str| {
        let mut s = match db.record(Kind::Session, session_id).unwrap() {
            Record::Session(s) => s,
            _ => unreachable!(),
        };
        s.plan = plan.into();
        db.edit(session_id, &Record::Session(s), at(when)).unwrap();
    };
    edit(&mut practice, "first", "2026-11-05T08:00:00Z");
    let stale = practice
        .changes_after(pulled, 1000, usize::MAX, everything)
        .unwrap();
    edit(&mut practice, "second", "2020-01-01T00:00:00Z");
    let pulled = send(&practice, &mut runner, Owner::Practice, pulled);
    runner
        .apply(Owner::Practice, &incoming(&stale.items), None)
        .unwrap();
    match runner.record(Kind::Session, copy).unwrap() {
        Record::Session(s) => assert_eq!(s.plan, "second"),
        _ => unreachable!(),
    }

    // A change claiming the runner's side for the practice's record is refused.
    let mut forged = stale.items.clone();
    forged[0].seq = i64::MAX;
    let refused = runner
        .apply(Owner::Runner, &incoming(&forged), None)
        .unwrap();
    assert_eq!(refused.refused, 1);

    // The practice deletes the session: tombstones for it, its finding and its treatment.
    practice
        .delete(Kind::Session, session_id, at("2026-11-06T08:00:00Z"), false)
        .unwrap();
    let page = practice
        .changes_after(pulled, 1000, usize::MAX, everything)
        .unwrap();
    assert_eq!(page.items.len(), 3);
    assert!(page.items.iter().all(|i| i.record.is_none()));
    runner
        .apply(Owner::Practice, &incoming(&page.items), None)
        .unwrap();
    let left = runner.journal().unwrap();
    assert!(left.sessions.is_empty() && left.findings.is_empty() && left.treatments.is_empty());
    assert_eq!(mine(&runner, Some(Owner::Practice)), mine(&practice, None));
}

#[test]
fn pages_are_bounded_in_lines_and_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut runner = journal(&dir, "runner.db");
    for i in 0..25 {
        runner.add_run(&run(5.0 + f64::from(i), None)).unwrap();
    }
    let mut after = 0;
    let mut pages = 0;
    let mut seen = 0;
    loop {
        let page = runner.changes_after(after, 10, 1000, everything).unwrap();
        assert!(page.items.len() <= 10);
        seen += page.items.len();
        after = page.last;
        pages += 1;
        if !page.more {
            break;
        }
    }
    assert_eq!(seen, 25);
    assert!(pages >= 3, "{pages} pages");
    assert_eq!(runner.sync_log_len().unwrap(), 25);
}

fn program(title: &str, items: &[(&str, &str)]) -> knots_core::program::Program {
    knots_core::program::Program {
        title: title.into(),
        items: items
            .iter()
            .map(|(uid, what)| knots_core::program::ProgramItem {
                uid: (*uid).into(),
                what: (*what).into(),
                dose: "60 s".into(),
                per_week: 7,
                start: "2026-11-01".parse().unwrap(),
                end: "2026-11-30".parse().unwrap(),
                ticks: vec!["2026-11-02".parse().unwrap()],
            })
            .collect(),
    }
}

#[test]
fn a_held_program_is_replaced_by_a_newer_change_only_and_a_tombstone_removes_it() {
    use knots_core::program::ProgramChange;
    let dir = tempfile::tempdir().unwrap();
    let mut j = journal(&dir, "runner.db");
    let change = |seq, p: Option<knots_core::program::Program>| ProgramChange {
        seq,
        uid: "0190a1b2-0000-4000-8000-0000000000aa".into(),
        program: p,
    };
    let v1 = program("Weeks 1-4", &[("a1", "foam roll"), ("a2", "calf raises")]);
    let got = j
        .apply_programs(&[change(5, Some(v1.clone()))], None)
        .unwrap();
    assert_eq!(got.applied, 1);
    let held = j.home_programs().unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(
        held[0].1, v1,
        "stored as sent: items in order, with their ticks"
    );
    // Replayed, or older than what is held: nothing changes.
    let v0 = program("Older", &[("a1", "stretch")]);
    let got = j
        .apply_programs(&[change(5, Some(v1.clone())), change(3, Some(v0))], None)
        .unwrap();
    assert_eq!((got.applied, got.already), (0, 2));
    assert_eq!(j.home_programs().unwrap()[0].1, v1);
    // Newer: replaced whole (an item dropped, one renamed), under the same global id.
    let v2 = program("Weeks 1-6", &[("a1", "foam roll, slower")]);
    assert_eq!(
        j.apply_programs(&[change(9, Some(v2.clone()))], None)
            .unwrap()
            .applied,
        1
    );
    assert_eq!(j.home_programs().unwrap(), vec![(change(0, None).uid, v2)]);
    // A stale tombstone is skipped; a newer one removes the program, its items and ticks.
    assert_eq!(
        j.apply_programs(&[change(8, None)], None).unwrap().already,
        1
    );
    assert_eq!(
        j.apply_programs(&[change(12, None)], None).unwrap().applied,
        1
    );
    assert!(j.home_programs().unwrap().is_empty());
    // A tombstone for a program never held changes nothing; the same program's item uids may
    // arrive again under a new program once the old one is gone.
    assert_eq!(
        j.apply_programs(&[change(12, None)], None).unwrap().already,
        1
    );
    let other = ProgramChange {
        seq: 13,
        uid: "0190a1b2-0000-4000-8000-0000000000bb".into(),
        program: Some(program("Hydration", &[("a1", "water")])),
    };
    assert_eq!(j.apply_programs(&[other], None).unwrap().applied, 1);
    assert_eq!(j.home_programs().unwrap().len(), 1);
}
