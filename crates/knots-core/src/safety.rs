//! Safety: the red-flag questions asked with every pain report, the see-a-clinician warning that goes
//! first in every output giving advice, and the disclaimer (domain brief 4.2 and the opening note).

use crate::journal::{Entry, PainReport};
use jiff::Timestamp;

/// Shown wherever knots gives advice.
pub const DISCLAIMER: &str = "knots is for education and self-tracking, not diagnosis or treatment. \
Trigger-point maps are experts' descriptions of common patterns, not proof of what is wrong with you; \
a tender spot is 'consistent with a trigger point', nothing more. See a clinician for pain that \
persists, worsens or comes with any warning sign.";

vocabulary! {
    /// A warning sign that routes the runner to a clinician (domain brief 4.2).
    RedFlag, "red flag" {
        /// Night pain or pain at rest that no position eases.
        NightPain = "night_pain",
        /// Swelling, redness or heat of a joint or the calf.
        Swelling = "swelling",
        /// Numbness, tingling, weakness or foot drop.
        Numbness = "numbness",
        /// Fever, feeling unwell, unexplained weight loss or a history of cancer.
        Fever = "fever",
        /// A fall, a "pop", or cannot bear weight.
        Trauma = "trauma",
        /// Pain worsening over days despite rest.
        Worsening = "worsening",
        /// Signs of a bone stress injury as clinicians screen for them: focal bony tenderness,
        /// pain on hopping, pain at rest or at night (Warden2014). Pain that builds during a run
        /// and eases with rest is common with muscle and tendon problems (IT-band pain included)
        /// and is not asked here.
        BoneStress = "bone_stress",
        /// The knee locks or gives way.
        KneeLocking = "knee_locking",
        /// Loss of bladder or bowel control, or numbness in the saddle area.
        Saddle = "saddle",
    }
}

impl RedFlag {
    /// The yes/no question asked with every pain report.
    pub fn question(self) -> &'static str {
        match self {
            RedFlag::NightPain => "Do you have pain at night or at rest that no position eases?",
            RedFlag::Swelling => "Is a joint or the calf swollen, red or hot?",
            RedFlag::Numbness => "Do you have numbness, tingling, weakness or a dropping foot?",
            RedFlag::Fever => {
                "Do you have a fever, feel unwell, have lost weight without trying, or had cancer?"
            }
            RedFlag::Trauma => "Did it start with a fall or a 'pop', or can you not bear weight?",
            RedFlag::Worsening => "Has the pain been getting worse over days despite rest?",
            RedFlag::BoneStress => {
                "Does one spot on the bone itself hurt when you press it, does hopping on that leg \
                 hurt, or does it ache at rest or at night?"
            }
            RedFlag::KneeLocking => "Does the knee lock or give way?",
            RedFlag::Saddle => {
                "Have you lost bladder or bowel control, or is the saddle area numb?"
            }
        }
    }

    /// What to do about it.
    pub fn advice(self) -> &'static str {
        match self {
            RedFlag::Saddle => "This can be an emergency: get medical help now.",
            RedFlag::Swelling => {
                "See a clinician promptly (a swollen, hot calf can be a clot); do not massage it."
            }
            RedFlag::BoneStress => {
                "Stop running and see a clinician: this can be a bone stress injury."
            }
            RedFlag::Trauma => "See a clinician before loading it again.",
            _ => "See a clinician before relying on self-treatment.",
        }
    }
}

/// A red flag as shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RedFlagNotice {
    /// The flag id.
    pub id: RedFlag,
    /// The question that was answered yes.
    pub question: &'static str,
    /// What to do.
    pub advice: &'static str,
}

impl From<RedFlag> for RedFlagNotice {
    fn from(id: RedFlag) -> Self {
        RedFlagNotice {
            id,
            question: id.question(),
            advice: id.advice(),
        }
    }
}

/// How far back a pain report's red-flag answers stay active.
pub const RED_FLAG_WINDOW_DAYS: i64 = 14;

/// The red flags answered yes in pain reports of the last [`RED_FLAG_WINDOW_DAYS`] days, plus any
/// given now, deduplicated and in the fixed order of [`RedFlag::ALL`].
///
/// # Examples
/// ```
/// use knots_core::safety::{active_red_flags, RedFlag};
/// let now = "2026-11-25T12:00:00Z".parse().unwrap();
/// let flags = active_red_flags(&[], now, &[RedFlag::Swelling]);
/// assert_eq!(flags[0].id, RedFlag::Swelling);
/// ```
pub fn active_red_flags(
    reports: &[Entry<PainReport>],
    now: Timestamp,
    given: &[RedFlag],
) -> Vec<RedFlagNotice> {
    let since = now.as_second() - RED_FLAG_WINDOW_DAYS * 86_400;
    let recent = reports
        .iter()
        .filter(|r| r.item.at.as_second() >= since && r.item.at.as_second() <= now.as_second())
        .flat_map(|r| r.item.red_flags.iter().copied());
    let yes: std::collections::BTreeSet<RedFlag> = recent.chain(given.iter().copied()).collect();
    RedFlag::ALL
        .iter()
        .filter(|f| yes.contains(f))
        .map(|f| RedFlagNotice::from(*f))
        .collect()
}

/// The warning that goes first when any red flag is active, or `None`.
pub fn clinician_warning(flags: &[RedFlagNotice]) -> Option<String> {
    if flags.is_empty() {
        return None;
    }
    let emergency = flags.iter().any(|f| f.id == RedFlag::Saddle);
    let lead = if emergency {
        "EMERGENCY WARNING: get medical help now."
    } else {
        "SEE A CLINICIAN: you answered yes to a warning sign."
    };
    let list: Vec<&str> = flags.iter().map(|f| f.id.as_str()).collect();
    Some(format!(
        "{lead} ({}). Self-treatment advice below is no substitute for an examination.",
        list.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Context, Side};
    use crate::region::Region;
    use crate::scale::Nrs;

    fn report(at: &str, flags: Vec<RedFlag>) -> Entry<PainReport> {
        Entry {
            id: 1,
            item: PainReport {
                at: at.parse().unwrap(),
                regions: vec![Region::parse("calf").unwrap()],
                side: Side::Left,
                pain: Nrs::new(4).unwrap(),
                context: Context::Rest,
                onset_km: None,
                red_flags: flags,
                note: None,
            },
        }
    }

    #[test]
    fn recent_flags_are_active_and_old_ones_expire() {
        let now: Timestamp = "2026-11-25T12:00:00Z".parse().unwrap();
        let reports = vec![
            report("2026-11-20T08:00:00Z", vec![RedFlag::Swelling]),
            report("2026-10-01T08:00:00Z", vec![RedFlag::Fever]),
        ];
        let flags = active_red_flags(&reports, now, &[RedFlag::NightPain, RedFlag::Swelling]);
        let ids: Vec<RedFlag> = flags.iter().map(|f| f.id).collect();
        assert_eq!(ids, vec![RedFlag::NightPain, RedFlag::Swelling]);
        assert!(
            clinician_warning(&flags)
                .unwrap()
                .starts_with("SEE A CLINICIAN")
        );
        assert_eq!(clinician_warning(&[]), None);
    }

    #[test]
    fn the_bone_stress_question_asks_what_clinicians_screen_for() {
        let q = RedFlag::BoneStress.question();
        for sign in ["spot on the bone", "hopping", "at rest or at night"] {
            assert!(q.contains(sign), "{q}");
        }
        // Pain building during a run is ordinary IT-band pain, not a bone-stress sign.
        assert!(!q.contains("run"), "{q}");
        assert_eq!(RedFlag::BoneStress.as_str(), "bone_stress");
    }

    #[test]
    fn saddle_numbness_is_an_emergency() {
        let flags = vec![RedFlagNotice::from(RedFlag::Saddle)];
        assert!(clinician_warning(&flags).unwrap().starts_with("EMERGENCY"));
    }
}
