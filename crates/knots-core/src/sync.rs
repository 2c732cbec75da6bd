//! Sharing between a runner's own journal and their practice's clinic server: who owns each
//! record ([`owner`]), the kinds a runner chooses to share ([`Share`]), which kinds carry a global
//! id ([`SYNCED`]) and the one reference each of them may hold ([`parent`]).
//!
//! The rule (ARCHITECTURE.md, "Sync"; [`Record::owner`]): a record is owned by its author. The
//! practice owns sessions and what was found and given in them (and a therapist's treatments);
//! the runner owns runs (and the shoes they name), pain reports, self-care and check-ins. Only the
//! owner may edit or delete a record; the other side holds a copy that sync keeps equal. Owner
//! edits are last-writer-wins per record by the change's sequence number, never by a clock.

use crate::change::{Kind, Owner, Record};
use crate::journal::By;

vocabulary! {
    /// Who owns a record.
    Side, "side" {
        /// The runner (their own journal).
        Runner = "runner",
        /// The practice (the clinic server).
        Practice = "practice",
    }
}

impl Side {
    /// The other side.
    pub fn other(self) -> Side {
        match self {
            Side::Runner => Side::Practice,
            Side::Practice => Side::Runner,
        }
    }

    /// "the runner" / "the practice", for messages.
    pub fn noun(self) -> &'static str {
        match self {
            Side::Runner => "the runner's own journal",
            Side::Practice => "the practice",
        }
    }
}

vocabulary! {
    /// What a runner may choose to share with their practice (`--share runs,pain,self-care,checkins`).
    Share, "shared kind" {
        /// Runs, with the shoes they name.
        Runs = "runs",
        /// Pain reports.
        Pain = "pain",
        /// Treatments the runner gave themselves.
        SelfCare = "self-care",
        /// Daily check-ins.
        Checkins = "checkins",
    }
}

/// The kinds of record that carry a global id and can travel by sync, parents before children.
pub const SYNCED: &[Kind] = &[
    Kind::Shoe,
    Kind::Run,
    Kind::Pain,
    Kind::Checkin,
    Kind::Session,
    Kind::Finding,
    Kind::Treatment,
];

/// Whether records of `kind` carry a global id.
pub fn synced(kind: Kind) -> bool {
    SYNCED.contains(&kind)
}

/// The kind a record of `kind` may refer to (a run's shoe, a finding's or treatment's session).
pub fn parent(kind: Kind) -> Option<Kind> {
    match kind {
        Kind::Run => Some(Kind::Shoe),
        Kind::Finding | Kind::Treatment => Some(Kind::Session),
        _ => None,
    }
}

/// Who owns `record`: [`Record::owner`], the one rule of who may change a record (the practice
/// its sessions and what was found and given in them, the runner the rest), as a [`Side`].
pub fn owner(record: &Record) -> Side {
    match record.owner() {
        Owner::Runner => Side::Runner,
        Owner::Practice => Side::Practice,
    }
}

/// The shared kind a runner's record belongs to, or `None` when it is never shared (the
/// practice's kinds, reactions, activities, the profile).
pub fn share_of(record: &Record) -> Option<Share> {
    match record {
        Record::Run(_) | Record::Shoe(_) => Some(Share::Runs),
        Record::Pain(_) => Some(Share::Pain),
        Record::Treatment(t) if t.by == By::SelfCare => Some(Share::SelfCare),
        Record::Checkin(_) => Some(Share::Checkins),
        _ => None,
    }
}

/// Whether a tombstone of `kind` may belong to one of `shares` (a deleted record's fields are
/// gone, so a treatment's tombstone goes with self-care).
pub fn share_of_kind(kind: Kind) -> Option<Share> {
    match kind {
        Kind::Run | Kind::Shoe => Some(Share::Runs),
        Kind::Pain => Some(Share::Pain),
        Kind::Treatment => Some(Share::SelfCare),
        Kind::Checkin => Some(Share::Checkins),
        _ => None,
    }
}

/// Parses a comma-separated list of shared kinds (`runs,pain,self-care,checkins`), in the order
/// of [`Share::ALL`], each once.
///
/// # Errors
/// An unknown word, with suggestions.
pub fn parse_shares(list: &str) -> Result<Vec<Share>, crate::UnknownId> {
    let mut out = Vec::new();
    for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let share: Share = word.parse()?;
        if !out.contains(&share) {
            out.push(share);
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Side as BodySide, Treatment, TreatmentKind};

    fn treatment(by: By) -> Record {
        Record::Treatment(Treatment {
            at: "2026-11-01T10:00:00Z".parse().unwrap_or_default(),
            kind: TreatmentKind::ALL[0],
            target: None,
            side: BodySide::Left,
            pressure: None,
            minutes: None,
            by,
            session: None,
            note: None,
        })
    }

    #[test]
    fn a_treatment_belongs_to_whoever_gave_it() {
        assert_eq!(owner(&treatment(By::Therapist)), Side::Practice);
        assert_eq!(share_of(&treatment(By::Therapist)), None);
        assert_eq!(owner(&treatment(By::SelfCare)), Side::Runner);
        assert_eq!(share_of(&treatment(By::SelfCare)), Some(Share::SelfCare));
    }

    #[test]
    fn shares_parse_once_each_in_order_and_name_an_unknown_word() {
        assert_eq!(
            parse_shares("checkins,runs,runs, pain").ok(),
            Some(vec![Share::Runs, Share::Pain, Share::Checkins])
        );
        let err = parse_shares("runs,sessions").err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("sessions")));
    }

    #[test]
    fn every_shared_kind_is_owned_by_the_runner_and_every_parent_is_synced() {
        for kind in SYNCED {
            if let Some(p) = parent(*kind) {
                assert!(synced(p), "{kind}'s parent {p}");
            }
            if share_of_kind(*kind).is_some() {
                assert_ne!(*kind, Kind::Session);
            }
        }
    }
}
