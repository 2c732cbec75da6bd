//! The demo journal: the story knots grew from, dated to end on the day it is built.
//!
//! A runner training for a marathon on cambered roads gets outer-knee pain on the left that starts
//! after about 1.6 km. Weeks of foam rolling the IT band itself do not help. A deep-tissue session,
//! kept under a pressure ceiling of 7 with ice and heat, finds the "mother knot" in vastus
//! lateralis: the most tender spot, right where the running pain starts. A home plan follows (ball on
//! the right spots, one stretch at a time, hip strength, water and potassium), the knots soften (with
//! the usual rebound two days after the deep work), and the runs get longer until a pain-free 10K.

use crate::atlas::TriggerPointId;
use crate::journal::{
    By, Camber, Checkin, Context, Entry, Finding, Journal, PainReport, Profile, Run, Session, Shoe,
    Side, Surface, Treatment, TreatmentKind,
};
use crate::region::Region;
use crate::scale::{Km, Nrs};
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

/// The trigger point the demo's therapist finds to be the mother knot.
pub const MOTHER_KNOT: &str = "vastus_lateralis_distal";
/// Days before the demo's last day on which the first therapist session happens.
pub const FIRST_SESSION_DAYS_AGO: i64 = 42;

struct Builder {
    today: Date,
    tz: TimeZone,
    journal: Journal,
}

fn nrs(v: u8) -> Nrs {
    Nrs::new(v).unwrap_or(Nrs::ZERO)
}

fn km(v: f64) -> Km {
    Km::new(v.max(0.0)).unwrap_or(Km::ZERO)
}

impl Builder {
    fn day(&self, days_ago: i64) -> Date {
        self.today
            .checked_sub(Span::new().days(days_ago))
            .unwrap_or(self.today)
    }

    fn at(&self, days_ago: i64, hour: i8) -> Timestamp {
        let time = Time::new(hour, 0, 0, 0).unwrap_or(Time::midnight());
        self.day(days_ago)
            .to_datetime(time)
            .to_zoned(self.tz.clone())
            .map(|z| z.timestamp())
            .unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn next_id<T>(list: &[Entry<T>]) -> i64 {
        list.len() as i64 + 1
    }

    #[allow(clippy::too_many_arguments)]
    fn run(
        &mut self,
        days_ago: i64,
        distance: f64,
        minutes: f64,
        shoe: i64,
        surface: Surface,
        camber: Camber,
        onset: Option<f64>,
        max_pain: u8,
        next_morning: u8,
    ) {
        let item = Run {
            date: self.day(days_ago),
            km: km(distance),
            minutes: Some(minutes),
            shoe: Some(shoe),
            surface: Some(surface),
            camber,
            pain_onset_km: onset.map(km),
            max_pain: Some(nrs(max_pain)),
            pain_next_morning: Some(nrs(next_morning)),
            rpe: Some(nrs(if distance >= 10.0 { 6 } else { 4 })),
            note: None,
        };
        let id = Self::next_id(&self.journal.runs);
        self.journal.runs.push(Entry { id, item });
    }

    fn pain(&mut self, days_ago: i64, pain: u8, onset: f64, note: &str) {
        let item = PainReport {
            at: self.at(days_ago, 19),
            regions: Region::parse("lateral_knee").into_iter().collect(),
            side: Side::Left,
            pain: nrs(pain),
            context: Context::DuringRun,
            onset_km: Some(km(onset)),
            red_flags: Vec::new(),
            note: Some(note.into()),
        };
        let id = Self::next_id(&self.journal.pain_reports);
        self.journal.pain_reports.push(Entry { id, item });
    }

    fn finding(
        &mut self,
        days_ago: i64,
        tp: &str,
        tenderness: u8,
        taut: bool,
        reproduces: bool,
        session: Option<i64>,
    ) {
        let item = Finding {
            at: self.at(days_ago, if session.is_some() { 10 } else { 20 }),
            trigger_point: TriggerPointId(tp.into()),
            side: Side::Left,
            tenderness: nrs(tenderness),
            taut_band: taut,
            reproduces,
            ppt_kg_cm2: None,
            session,
            note: None,
        };
        let id = Self::next_id(&self.journal.findings);
        self.journal.findings.push(Entry { id, item });
    }

    #[allow(clippy::too_many_arguments)]
    fn treat(
        &mut self,
        days_ago: i64,
        kind: TreatmentKind,
        target: &str,
        pressure: Option<u8>,
        minutes: f64,
        by: By,
        session: Option<i64>,
        note: Option<&str>,
    ) {
        let item = Treatment {
            at: self.at(days_ago, if session.is_some() { 10 } else { 20 }),
            kind,
            target: Some(target.into()),
            side: Side::Left,
            pressure: pressure.map(nrs),
            minutes: Some(minutes),
            by,
            session,
            note: note.map(Into::into),
        };
        let id = Self::next_id(&self.journal.treatments);
        self.journal.treatments.push(Entry { id, item });
    }

    fn session(
        &mut self,
        days_ago: i64,
        relaxation: u8,
        s: &str,
        o: &str,
        a: &str,
        p: &str,
    ) -> i64 {
        let item = Session {
            at: self.at(days_ago, 10),
            therapist: None,
            subjective: s.into(),
            objective: o.into(),
            assessment: a.into(),
            plan: p.into(),
            pressure_ceiling: nrs(7),
            relaxation: Some(nrs(relaxation)),
            minutes: Some(60.0),
        };
        let id = Self::next_id(&self.journal.sessions);
        self.journal.sessions.push(Entry { id, item });
        id
    }
}

/// Builds the demo journal ending on `today`, with local times in `tz`.
///
/// # Examples
/// ```
/// let j = knots_core::demo::journal("2026-11-25".parse().unwrap(), jiff::tz::TimeZone::UTC);
/// assert!(j.runs.iter().any(|r| r.item.km.value() >= 10.0 && r.item.is_pain_free()));
/// ```
pub fn journal(today: Date, tz: TimeZone) -> Journal {
    let mut b = Builder {
        today,
        tz,
        journal: Journal::default(),
    };
    b.journal.profile = Profile {
        leg_length_diff_mm: Some(5.0),
        longer_leg: Some(Side::Right),
        note: Some("measured standing, by a physiotherapist".into()),
    };
    b.journal.shoes = vec![
        Entry {
            id: 1,
            item: Shoe {
                name: "Old trainers".into(),
                started: b.day(520),
                retired: Some(b.day(110)),
                initial_km: 0.0,
                limit_km: 700.0,
            },
        },
        Entry {
            id: 2,
            item: Shoe {
                name: "Road trainers".into(),
                started: b.day(110),
                retired: None,
                initial_km: 0.0,
                limit_km: 700.0,
            },
        },
    ];
    // Marathon build-up on a cambered road (falling away to the left), with a load spike.
    let build = [
        (84, 6.0),
        (82, 8.0),
        (80, 6.0),
        (78, 14.0),
        (77, 6.0),
        (75, 8.0),
        (73, 6.0),
        (71, 16.0),
        (69, 8.0),
        (68, 10.0),
        (66, 8.0),
        (65, 12.0),
        (64, 22.0),
        (62, 10.0),
    ];
    for (d, dist) in build {
        b.run(
            d,
            dist,
            (dist * 58.0).round() / 10.0,
            2,
            Surface::Road,
            Camber::Left,
            None,
            0,
            0,
        );
    }
    b.run(
        60,
        12.0,
        72.0,
        2,
        Surface::Road,
        Camber::Left,
        Some(6.0),
        5,
        2,
    );
    b.run(
        58,
        8.0,
        50.0,
        2,
        Surface::Road,
        Camber::Left,
        Some(3.0),
        6,
        3,
    );
    b.run(
        56,
        4.0,
        26.0,
        2,
        Surface::Road,
        Camber::Left,
        Some(1.6),
        6,
        3,
    );
    b.pain(
        56,
        6,
        1.6,
        "sharp outer-knee pain after about a mile; had to stop and walk home",
    );
    // Foam rolling the IT band itself, for weeks: the wrong spot.
    for d in (43..=55).step_by(2) {
        b.treat(
            d,
            TreatmentKind::FoamRoll,
            "lateral_thigh",
            Some(8),
            10.0,
            By::SelfCare,
            None,
            Some("rolled the IT band itself"),
        );
    }
    b.run(
        52,
        2.0,
        12.0,
        2,
        Surface::Road,
        Camber::Left,
        Some(1.6),
        6,
        3,
    );
    b.run(
        46,
        1.8,
        11.0,
        2,
        Surface::Road,
        Camber::Left,
        Some(1.5),
        7,
        3,
    );
    b.pain(
        46,
        7,
        1.5,
        "foam rolling stopped helping; same spot, same distance",
    );
    // The deep-tissue session that finds the mother knot.
    let s1 = b.session(
        FIRST_SESSION_DAYS_AGO,
        2,
        "Left outer-knee pain from about 1.6 km into every run, 6-7/10, stops her; weeks of rolling the IT band without change. Goal: run a pain-free 10K.",
        "Many taut bands along the left lateral thigh. Most tender spot just above and outside the kneecap in vastus lateralis, 9/10, reproduces her running pain. TFL and anterior gluteus minimus tender. Client guarded throughout, relaxation 2/10; pressure kept at or below the agreed 7.",
        "Findings consistent with trigger points in vastus lateralis (most tender, reproducing the familiar pain), TFL and gluteus minimus. Cambered roads, a recent jump in mileage and a 5 mm leg-length difference noted.",
        "Ball on the vastus lateralis spot 60 s daily at no more than 7/10; roll the outer thigh muscle, not the band; one isolated stretch at a time; side-lying hip abduction; water and potassium-rich food; flat routes; walk-run return. Lighter session in three weeks.",
    );
    b.finding(FIRST_SESSION_DAYS_AGO, MOTHER_KNOT, 9, true, true, Some(s1));
    b.finding(
        FIRST_SESSION_DAYS_AGO,
        "vastus_lateralis_mid",
        7,
        true,
        false,
        Some(s1),
    );
    b.finding(
        FIRST_SESSION_DAYS_AGO,
        "tensor_fasciae_latae",
        6,
        true,
        false,
        Some(s1),
    );
    b.finding(
        FIRST_SESSION_DAYS_AGO,
        "gluteus_minimus_anterior",
        5,
        false,
        false,
        Some(s1),
    );
    b.finding(
        FIRST_SESSION_DAYS_AGO,
        "gluteus_medius_middle",
        2,
        false,
        false,
        Some(s1),
    );
    b.treat(
        FIRST_SESSION_DAYS_AGO,
        TreatmentKind::DeepTissue,
        MOTHER_KNOT,
        Some(7),
        20.0,
        By::Therapist,
        Some(s1),
        None,
    );
    b.treat(
        FIRST_SESSION_DAYS_AGO,
        TreatmentKind::DeepTissue,
        "tensor_fasciae_latae",
        Some(6),
        10.0,
        By::Therapist,
        Some(s1),
        None,
    );
    b.treat(
        FIRST_SESSION_DAYS_AGO,
        TreatmentKind::Ice,
        "lateral_thigh",
        None,
        8.0,
        By::Therapist,
        Some(s1),
        Some("the ice burned"),
    );
    b.treat(
        FIRST_SESSION_DAYS_AGO,
        TreatmentKind::HotStone,
        "lateral_thigh",
        None,
        15.0,
        By::Therapist,
        Some(s1),
        None,
    );
    // Home plan, and the knots over time. Day 19 is the rebound the seed's commenters warn about:
    // two days after the second deep session (4/10 on day 21) the spot is more tender again.
    let mother = [
        (40, 9, true),
        (35, 7, true),
        (28, 5, true),
        (19, 5, false),
        (14, 3, false),
        (7, 2, false),
        (1, 1, false),
    ];
    for (d, t, rep) in mother {
        b.finding(d, MOTHER_KNOT, t, t >= 5, rep, None);
    }
    for (d, t) in [(35, 5), (28, 4), (14, 2), (1, 1)] {
        b.finding(d, "tensor_fasciae_latae", t, t >= 4, false, None);
    }
    for (d, t) in [(35, 4), (21, 2), (7, 1)] {
        b.finding(d, "gluteus_minimus_anterior", t, false, false, None);
    }
    for (d, t) in [(35, 6), (21, 3), (7, 2)] {
        b.finding(d, "vastus_lateralis_mid", t, t >= 4, false, None);
    }
    for d in (2..=41).rev() {
        if d % 2 == 1 {
            b.treat(
                d,
                TreatmentKind::Ball,
                MOTHER_KNOT,
                Some(6),
                2.0,
                By::SelfCare,
                None,
                None,
            );
            b.treat(
                d,
                TreatmentKind::FoamRoll,
                "vastus_lateralis",
                Some(5),
                3.0,
                By::SelfCare,
                None,
                None,
            );
        } else {
            b.treat(
                d,
                TreatmentKind::Stretch,
                "tensor_fasciae_latae",
                None,
                2.0,
                By::SelfCare,
                None,
                Some("one muscle at a time, 8-10 reps of 2 s"),
            );
            b.treat(
                d,
                TreatmentKind::Strength,
                "gluteus_medius",
                None,
                10.0,
                By::SelfCare,
                None,
                Some("side-lying hip abduction 3x15"),
            );
        }
        if d % 7 == 0 {
            b.treat(
                d,
                TreatmentKind::Somatic,
                "vastus_lateralis",
                None,
                10.0,
                By::SelfCare,
                None,
                Some("pandiculation: contract, lengthen slowly, rest"),
            );
        }
    }
    let s2 = b.session(
        21,
        5,
        "Walk-runs up to 5 km; pain now starts later or not at all. Knee sore for two days after the last session.",
        "Vastus lateralis spot 4/10, no longer reproduces the running pain; TFL 3/10. Relaxed much better, 5/10.",
        "Tenderness falling with the home programme; progressing well.",
        "Keep the ball work every other day; add step-downs; keep progressing runs by pain rules.",
    );
    b.finding(21, MOTHER_KNOT, 4, false, false, Some(s2));
    b.finding(21, "tensor_fasciae_latae", 3, false, false, Some(s2));
    b.treat(
        21,
        TreatmentKind::DeepTissue,
        MOTHER_KNOT,
        Some(6),
        15.0,
        By::Therapist,
        Some(s2),
        None,
    );
    b.treat(
        21,
        TreatmentKind::Heat,
        "lateral_thigh",
        None,
        10.0,
        By::Therapist,
        Some(s2),
        None,
    );
    // Back to running, slowly, on flat routes: pain starts later until it no longer comes.
    let back = [
        (38, 1.6, Some(1.5), 3, 1),
        (36, 2.0, Some(1.8), 3, 1),
        (33, 2.4, Some(2.2), 2, 0),
        (30, 3.0, None, 0, 0),
        (27, 3.2, Some(3.0), 2, 0),
        (24, 4.0, None, 0, 0),
        (21, 5.0, None, 0, 0),
        (18, 5.0, None, 0, 0),
        (15, 6.0, None, 0, 0),
        (12, 7.0, Some(6.5), 2, 0),
        (9, 7.0, None, 0, 0),
        (6, 8.0, None, 0, 0),
        (3, 5.0, None, 0, 0),
        (1, 10.0, None, 0, 0),
    ];
    for (d, dist, onset, max, morning) in back {
        b.run(
            d,
            dist,
            (dist * 64.0).round() / 10.0,
            2,
            Surface::Trail,
            Camber::None,
            onset,
            max,
            morning,
        );
    }
    b.pain(
        38,
        3,
        1.5,
        "walk-run: a twinge at the usual spot, settled by morning",
    );
    b.pain(27, 2, 3.0, "much later than before, mild");
    for d in (0..=42).rev() {
        let morning = match d {
            36.. => 3,
            24..=35 => 2,
            12..=23 => 1,
            _ => 0,
        };
        let item = Checkin {
            date: b.day(d),
            morning_pain: Some(nrs(morning)),
            stiffness: Some(nrs(morning + 1)),
            water_l: Some(if d % 3 == 0 { 1.8 } else { 2.4 }),
            potassium: Some(d % 4 != 0),
            sleep_h: Some(if d % 5 == 0 { 6.5 } else { 7.5 }),
            note: None,
        };
        let id = Builder::next_id(&b.journal.checkins);
        b.journal.checkins.push(Entry { id, item });
    }
    b.journal
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Atlas;
    use crate::journal::Now;

    #[test]
    fn the_demo_is_valid_and_tells_the_story() {
        let today: Date = "2026-11-25".parse().unwrap();
        let j = journal(today, TimeZone::UTC);
        let now = Now {
            at: "2026-11-25T23:00:00Z".parse().unwrap(),
            today,
        };
        j.validate(Atlas::shipped(), now).unwrap();
        let first = j
            .runs
            .iter()
            .find(|r| r.item.pain_onset_km.is_some())
            .unwrap();
        assert!(first.item.date < today);
        assert!(
            j.pain_reports
                .iter()
                .any(|p| p.item.onset_km.map(Km::value) == Some(1.6))
        );
        assert!(
            j.sessions
                .iter()
                .all(|s| s.item.pressure_ceiling.value() == 7)
        );
        let since = crate::summary::first_pain_date(&j, &TimeZone::UTC);
        let longest = crate::summary::longest_pain_free_run(&j.runs, since).unwrap();
        assert_eq!(longest.item.km.value(), 10.0);
    }
}
