//! The therapist's side of the report: the first deep-tissue session is lighter (a practice
//! convention, domain brief 6: start 1-2 points below the usual ceiling to see how the tissue
//! responds), and the latest session's home plan.

use crate::journal::{Journal, TreatmentKind};
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// The usual pressure ceiling when no session records one (domain brief 6: often 7/10).
pub const USUAL_CEILING: u8 = 7;

/// The first deep-tissue session, flagged.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FirstSession {
    /// When it was (`None`: none yet; the suggestion is for the one to come).
    pub date: Option<Date>,
    /// The usual ceiling: the most common ceiling of the client's sessions.
    pub usual_ceiling: u8,
    /// The suggested ceiling for the first session, lowest and highest (1-2 points below).
    pub suggested: (u8, u8),
    /// The highest deep-tissue pressure recorded in it.
    pub max_pressure: Option<u8>,
    /// In words, with the reason.
    pub words: String,
}

/// The therapist section.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TherapistNotes {
    /// The first deep-tissue session, flagged with a lighter ceiling.
    pub first_deep_tissue: FirstSession,
    /// The latest session's home plan (its `plan` text) and date.
    pub home_plan: Option<(Date, String)>,
}

/// The therapist section of `journal` (dates in `tz`).
pub fn notes(journal: &Journal, tz: &TimeZone) -> TherapistNotes {
    let date = |t: jiff::Timestamp| t.to_zoned(tz.clone()).date();
    let mut ceilings: Vec<u8> = journal
        .sessions
        .iter()
        .map(|s| s.item.pressure_ceiling.value())
        .collect();
    ceilings.sort_unstable();
    // The most common ceiling (the highest among equals).
    let usual = ceilings
        .iter()
        .map(|c| (ceilings.iter().filter(|x| *x == c).count(), *c))
        .max()
        .map_or(USUAL_CEILING, |(_, c)| c);
    let suggested = (usual.saturating_sub(2), usual.saturating_sub(1));
    let first = journal
        .treatments
        .iter()
        .filter(|t| t.item.kind == TreatmentKind::DeepTissue)
        .min_by_key(|t| t.item.at);
    let first_date = first.map(|t| date(t.item.at));
    let max_pressure = first_date.and_then(|d| {
        journal
            .treatments
            .iter()
            .filter(|t| t.item.kind == TreatmentKind::DeepTissue && date(t.item.at) == d)
            .filter_map(|t| t.item.pressure.map(|p| p.value()))
            .max()
    });
    let reason = "a lighter first session shows how the tissue responds; soreness for 24-72 h is \
                  common after deep work, so re-check tenderness 2-3 days later";
    let words = match (first_date, max_pressure) {
        (None, _) => format!(
            "first deep-tissue session: keep it at {}-{}/10, 1-2 points below the usual {usual}: \
             {reason}",
            suggested.0, suggested.1
        ),
        (Some(d), p) => format!(
            "first deep-tissue session on {d}{}: a ceiling of {}-{}/10, 1-2 points below the \
             usual {usual}, was suggested: {reason}",
            p.map_or(String::new(), |p| format!(" (pressure up to {p}/10)")),
            suggested.0,
            suggested.1
        ),
    };
    let home_plan = journal
        .sessions
        .iter()
        .filter(|s| !s.item.plan.trim().is_empty())
        .max_by_key(|s| s.item.at)
        .map(|s| (date(s.item.at), s.item.plan.clone()));
    TherapistNotes {
        first_deep_tissue: FirstSession {
            date: first_date,
            usual_ceiling: usual,
            suggested,
            max_pressure,
            words,
        },
        home_plan,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_flags_its_first_deep_session_and_shows_the_home_plan() {
        let today: Date = "2026-11-25".parse().unwrap();
        let j = crate::demo::journal(today, TimeZone::UTC);
        let n = notes(&j, &TimeZone::UTC);
        // Both demo sessions agree on a ceiling of 7: suggest 5-6. The first deep work was 42
        // days ago at up to 7/10.
        let f = &n.first_deep_tissue;
        assert_eq!((f.usual_ceiling, f.suggested), (7, (5, 6)));
        assert_eq!(f.date, Some("2026-10-14".parse().unwrap()));
        assert_eq!(f.max_pressure, Some(7));
        assert!(
            f.words.contains("5-6/10, 1-2 points below the usual 7"),
            "{}",
            f.words
        );
        assert!(f.words.contains("lighter first session"));
        let (date, plan) = n.home_plan.unwrap();
        assert_eq!(date, "2026-11-04".parse().unwrap());
        assert!(plan.starts_with("Keep the ball work"));
        // No sessions at all: the suggestion is for the first one, from the usual 7.
        let empty = notes(&Journal::default(), &TimeZone::UTC);
        assert_eq!(empty.first_deep_tissue.suggested, (5, 6));
        assert!(
            empty
                .first_deep_tissue
                .words
                .starts_with("first deep-tissue session: keep it at 5-6/10")
        );
        assert!(empty.home_plan.is_none());
    }
}
