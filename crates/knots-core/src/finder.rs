//! The finder: from where and when it hurts, rank the muscles whose trigger points commonly refer
//! pain there, and learn from the user's own palpation findings which ones are theirs.
//!
//! Scoring, in one paragraph (also in ARCHITECTURE.md): each trigger point earns
//! [`PRIMARY_POINTS`] for every queried region in its primary referral zone (plus
//! [`AGREEMENT_POINTS`] for each further source that agrees on that zone) and [`SPILLOVER_POINTS`]
//! for every queried region in its spill-over zone (the domain brief: primary is strong evidence,
//! spill-over weak), or [`NEAR_POINTS`] when the queried region only borders its primary zone
//! (people localise referred pain roughly); if a zone matched directly and the pain's context is one in which it typically
//! bothers runners, it earns [`CONTEXT_POINTS`] more. That base is multiplied by a factor from the
//! latest finding for that point on the queried side: a spot that reproduces the symptom gets
//! `4 + 0.2·tenderness` and then [`REPRODUCES_POINTS`] more (recognising the familiar pain is the sign
//! that makes a trigger point active, so it outranks any spot that does not reproduce it), a tender
//! one `1 + 0.1·tenderness`, a taut band adds 0.25 to the factor, and a spot found not tender
//! (0-1/10, not reproducing) gets 0.25 (it sinks).
//! Muscles are ranked by their best trigger point, plus [`MUSCLE_POINTS`] for each further trigger
//! point of the muscle whose primary zone matched; ties go by muscle id, so the order is total.
//! Every term is non-negative and additive over regions, so naming more regions never lowers a score.

use crate::atlas::{Atlas, TriggerPoint, TriggerPointId, View};
use crate::journal::{Context, Entry, Finding, PainReport, Side};
use crate::region::Region;
use crate::safety::{self, RedFlag, RedFlagNotice};
use crate::scale::Km;
use jiff::Timestamp;

/// Points for a queried region in a trigger point's primary zone.
pub const PRIMARY_POINTS: f64 = 3.0;
/// Points added to a primary match for each source beyond the first that gives the same zone
/// (the atlas's `sources`): a zone more experts agree on is firmer evidence; small enough only to
/// order otherwise equal matches.
pub const AGREEMENT_POINTS: f64 = 0.05;
/// Points added to a muscle for each further trigger point of it whose primary zone matched.
pub const MUSCLE_POINTS: f64 = 0.1;
/// Points for a queried region in a trigger point's spill-over zone.
pub const SPILLOVER_POINTS: f64 = 1.0;
/// Points for a queried region that borders (but is not in) a trigger point's referral zones.
pub const NEAR_POINTS: f64 = 0.4;
/// Points when the pain's context is one in which the trigger point typically bothers runners.
pub const CONTEXT_POINTS: f64 = 0.5;
/// Points added (after the factor) for a spot that reproduces the symptom and refers to the query.
pub const REPRODUCES_POINTS: f64 = 6.0;
/// Factor for a spot found not tender (0-1/10) that does not reproduce the symptom.
pub const NOT_TENDER_FACTOR: f64 = 0.25;

/// Where and when it hurts.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// One or more regions.
    pub regions: Vec<Region>,
    /// Which side.
    pub side: Side,
    /// When it hurts.
    pub context: Option<Context>,
    /// The distance into a run at which it starts. Shown with the answer; it does not change the
    /// ranking (the atlas has no distance-dependent referral facts).
    pub onset_km: Option<Km>,
}

/// Why a candidate scored what it did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Reason {
    /// `primary`, `spillover`, `near`, `context`, `finding` or `muscle`.
    pub kind: &'static str,
    /// Points added (for region and context matches).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<f64>,
    /// Factor applied (for findings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
    /// The reason in words.
    pub text: String,
}

/// Another trigger point of the same muscle that also matched.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OtherPoint {
    /// Its id.
    pub trigger_point: TriggerPointId,
    /// Its name.
    pub name: String,
    /// Its score.
    pub score: f64,
}

/// One ranked muscle, represented by its best-scoring trigger point.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Candidate {
    /// 1 = most likely.
    pub rank: usize,
    /// The best-scoring trigger point of the muscle.
    pub trigger_point: TriggerPointId,
    /// The muscle id.
    pub muscle: String,
    /// The muscle's name.
    pub muscle_name: String,
    /// The trigger point's name.
    pub name: String,
    /// The score (rounded to 2 decimals).
    pub score: f64,
    /// Why.
    pub reasons: Vec<Reason>,
    /// How to find it by touch.
    pub landmark: String,
    /// What to try: roller or ball.
    pub self_treatment: String,
    /// What to try: an isolated stretch.
    pub stretch: String,
    /// What to try: strengthening.
    pub strengthen: String,
    /// Sources.
    pub sources: Vec<String>,
    /// The body-map view.
    pub view: View,
    /// Position on the view for the subject's left side (mirror with `1 - x` for the right).
    pub x: f64,
    /// Vertical position on the view.
    pub y: f64,
    /// Other matching trigger points of the same muscle, best first.
    pub other_trigger_points: Vec<OtherPoint>,
}

/// The finder's whole answer: warnings first, then the ranking, then the disclaimer.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Answer {
    /// The see-a-clinician warning, when a red flag is active.
    pub warning: Option<String>,
    /// Active red flags (answered yes recently or with this query).
    pub red_flags: Vec<RedFlagNotice>,
    /// Ranked muscles.
    pub candidates: Vec<Candidate>,
    /// Cautions about the query itself (e.g. pain at rest or at night).
    pub cautions: Vec<String>,
    /// The disclaimer.
    pub disclaimer: &'static str,
}

/// A trigger point's score and reasons.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored<'a> {
    /// The trigger point.
    pub trigger_point: &'a TriggerPoint,
    /// Its score (0 when nothing matched).
    pub score: f64,
    /// Why.
    pub reasons: Vec<Reason>,
}

/// Scores every trigger point of the atlas, in atlas order.
pub fn score_all<'a>(
    atlas: &'a Atlas,
    query: &Query,
    findings: &[Entry<Finding>],
) -> Vec<Scored<'a>> {
    let mut regions = query.regions.clone();
    regions.sort();
    regions.dedup();
    atlas
        .trigger_points()
        .iter()
        .map(|tp| score_one(tp, &regions, query, findings))
        .collect()
}

fn score_one<'a>(
    tp: &'a TriggerPoint,
    regions: &[Region],
    query: &Query,
    findings: &[Entry<Finding>],
) -> Scored<'a> {
    let mut base = 0.0;
    let mut direct = false;
    let mut reasons = Vec::new();
    for &region in regions {
        if tp.primary.contains(&region) {
            let agreeing = tp.sources.len().saturating_sub(1) as f64;
            let points = PRIMARY_POINTS + AGREEMENT_POINTS * agreeing;
            base += points;
            direct = true;
            reasons.push(Reason {
                kind: "primary",
                points: Some(points),
                factor: None,
                text: format!(
                    "`{region}` is in its primary referral zone ({} source{} agree: {})",
                    tp.sources.len(),
                    if tp.sources.len() == 1 { "" } else { "s" },
                    tp.sources.join(", ")
                ),
            });
        } else if tp.spillover.contains(&region) {
            base += SPILLOVER_POINTS;
            direct = true;
            reasons.push(Reason {
                kind: "spillover",
                points: Some(SPILLOVER_POINTS),
                factor: None,
                text: format!("`{region}` is in its spill-over zone"),
            });
        } else if let Some(near) = tp.primary.iter().find(|p| p.borders(region)) {
            base += NEAR_POINTS;
            reasons.push(Reason {
                kind: "near",
                points: Some(NEAR_POINTS),
                factor: None,
                text: format!("`{region}` borders `{near}`, in its primary zone"),
            });
        }
    }
    if let Some(context) = query.context.filter(|c| direct && tp.contexts.contains(c)) {
        base += CONTEXT_POINTS;
        reasons.push(Reason {
            kind: "context",
            points: Some(CONTEXT_POINTS),
            factor: None,
            text: format!("it typically bothers runners {}", context_words(context)),
        });
    }
    let latest = findings
        .iter()
        .filter(|f| f.item.trigger_point == tp.id && f.item.side.applies_to(query.side))
        .max_by(|a, b| a.item.at.cmp(&b.item.at).then(a.id.cmp(&b.id)));
    let mut score = base;
    if let Some(f) = latest {
        let factor = finding_factor(&f.item);
        score *= factor;
        if f.item.reproduces && base > 0.0 {
            score += REPRODUCES_POINTS;
        }
        reasons.push(Reason {
            kind: "finding",
            points: None,
            factor: Some(factor),
            text: finding_words(&f.item, factor),
        });
    }
    Scored {
        trigger_point: tp,
        score,
        reasons,
    }
}

/// The factor a finding applies to a trigger point's base score (see the module docs).
///
/// # Examples
/// ```
/// use knots_core::finder::finding_factor;
/// # let at = "2026-11-20T10:00:00Z".parse().unwrap();
/// let mut f = knots_core::journal::Finding {
///     at, trigger_point: knots_core::TriggerPointId("x".into()),
///     side: knots_core::journal::Side::Left, tenderness: knots_core::Nrs::new(8).unwrap(),
///     taut_band: false, reproduces: true, ppt_kg_cm2: None, session: None, note: None,
/// };
/// assert_eq!(finding_factor(&f), 5.6);
/// f.reproduces = false;
/// f.tenderness = knots_core::Nrs::new(0).unwrap();
/// assert_eq!(finding_factor(&f), 0.25);
/// ```
pub fn finding_factor(f: &Finding) -> f64 {
    let t = f64::from(f.tenderness.value());
    let taut = if f.taut_band { 0.25 } else { 0.0 };
    if f.reproduces {
        4.0 + 0.2 * t + taut
    } else if t <= 1.0 {
        NOT_TENDER_FACTOR
    } else {
        1.0 + 0.1 * t + taut
    }
}

fn finding_words(f: &Finding, factor: f64) -> String {
    let mut parts = vec![format!("tenderness {}", f.tenderness)];
    if f.taut_band {
        parts.push("taut band".into());
    }
    if f.reproduces {
        parts.push("reproduces the symptom".into());
    }
    let effect = if factor > 1.0 {
        "raised"
    } else if factor < 1.0 {
        "lowered"
    } else {
        "unchanged"
    };
    format!(
        "your finding of {} ({}): {}; score {effect} x{factor:.2}",
        f.at.strftime("%Y-%m-%d"),
        f.side,
        parts.join(", ")
    )
}

fn context_words(c: Context) -> &'static str {
    match c {
        Context::Rest => "at rest",
        Context::DuringRun => "during runs",
        Context::AfterRun => "after runs",
        Context::Morning => "in the morning",
        Context::Night => "at night",
    }
}

/// Ranks muscles for a query: each muscle is represented by its best-scoring trigger point;
/// muscles with no match are left out.
pub fn rank(atlas: &Atlas, query: &Query, findings: &[Entry<Finding>]) -> Vec<Candidate> {
    let scored = score_all(atlas, query, findings);
    let mut best: Vec<&Scored> = Vec::new();
    for s in scored.iter().filter(|s| s.score > 0.0) {
        match best
            .iter_mut()
            .find(|b| b.trigger_point.muscle == s.trigger_point.muscle)
        {
            Some(b) if better(s, b) => *b = s,
            Some(_) => {}
            None => best.push(s),
        }
    }
    // A muscle several of whose trigger points refer here (primary zone) gets a little more.
    let is_primary = |s: &Scored| s.reasons.iter().any(|r| r.kind == "primary");
    let muscle_bonus = |b: &Scored| {
        let more = scored
            .iter()
            .filter(|o| o.trigger_point.muscle == b.trigger_point.muscle)
            .filter(|o| o.trigger_point.id != b.trigger_point.id && is_primary(o))
            .count();
        (more, MUSCLE_POINTS * more as f64)
    };
    let mut ranked: Vec<(&Scored, usize, f64)> = best
        .into_iter()
        .map(|b| {
            let (more, bonus) = muscle_bonus(b);
            (b, more, b.score + bonus)
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.2.total_cmp(&a.2)
            .then_with(|| a.0.trigger_point.muscle.cmp(&b.0.trigger_point.muscle))
    });
    ranked
        .iter()
        .enumerate()
        .map(|(i, &(s, more, total))| {
            let tp = s.trigger_point;
            let mut others: Vec<&Scored> = scored
                .iter()
                .filter(|o| {
                    o.score > 0.0
                        && o.trigger_point.muscle == tp.muscle
                        && o.trigger_point.id != tp.id
                })
                .collect();
            others.sort_by(|a, b| better_order(a, b));
            let mut reasons = s.reasons.clone();
            if more > 0 {
                reasons.push(Reason {
                    kind: "muscle",
                    points: Some(MUSCLE_POINTS * more as f64),
                    factor: None,
                    text: format!("{more} more of its trigger points refer here (primary zone)"),
                });
            }
            Candidate {
                rank: i + 1,
                trigger_point: tp.id.clone(),
                muscle: tp.muscle.clone(),
                muscle_name: atlas
                    .muscle(&tp.muscle)
                    .map(|m| m.name.clone())
                    .unwrap_or_default(),
                name: tp.name.clone(),
                score: round2(total),
                reasons,
                landmark: tp.landmark.clone(),
                self_treatment: tp.self_treatment.clone(),
                stretch: tp.stretch.clone(),
                strengthen: tp.strengthen.clone(),
                sources: tp.sources.clone(),
                view: tp.view,
                x: tp.x,
                y: tp.y,
                other_trigger_points: others
                    .iter()
                    .map(|o| OtherPoint {
                        trigger_point: o.trigger_point.id.clone(),
                        name: o.trigger_point.name.clone(),
                        score: round2(o.score),
                    })
                    .collect(),
            }
        })
        .collect()
}

fn better_order(a: &Scored, b: &Scored) -> std::cmp::Ordering {
    b.score
        .total_cmp(&a.score)
        .then_with(|| a.trigger_point.id.cmp(&b.trigger_point.id))
}

fn better(a: &Scored, b: &Scored) -> bool {
    better_order(a, b) == std::cmp::Ordering::Less
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The finder's complete answer: red flags from recent pain reports and from `given`, the
/// see-a-clinician warning, the ranking, cautions and the disclaimer.
pub fn answer(
    atlas: &Atlas,
    query: &Query,
    findings: &[Entry<Finding>],
    reports: &[Entry<PainReport>],
    now: Timestamp,
    given: &[RedFlag],
) -> Answer {
    let red_flags = safety::active_red_flags(reports, now, given);
    let mut cautions = Vec::new();
    if matches!(query.context, Some(Context::Rest | Context::Night)) {
        cautions.push(
            "Pain at rest or at night that no position eases is a warning sign: answer the \
             red-flag questions (knots pain add) and see a clinician if it is yes."
                .to_string(),
        );
    }
    Answer {
        warning: safety::clinician_warning(&red_flags),
        red_flags,
        candidates: rank(atlas, query, findings),
        cautions,
        disclaimer: safety::DISCLAIMER,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scale::Nrs;
    use proptest::prelude::*;

    fn query(regions: &[&str], side: Side, context: Option<Context>) -> Query {
        Query {
            regions: regions.iter().map(|r| Region::parse(r).unwrap()).collect(),
            side,
            context,
            onset_km: None,
        }
    }

    fn finding(tp: &str, side: Side, tenderness: u8, reproduces: bool) -> Entry<Finding> {
        Entry {
            id: 1,
            item: Finding {
                at: "2026-11-20T10:00:00Z".parse().unwrap(),
                trigger_point: TriggerPointId(tp.into()),
                side,
                tenderness: Nrs::new(tenderness).unwrap(),
                taut_band: false,
                reproduces,
                ppt_kg_cm2: None,
                session: None,
                note: None,
            },
        }
    }

    fn muscles(c: &[Candidate], n: usize) -> Vec<&str> {
        c.iter().take(n).map(|c| c.muscle.as_str()).collect()
    }

    /// Textbook referral cases from the domain brief's notes for the finder.
    #[test]
    fn textbook_cases_rank_the_textbook_muscles_high() {
        let atlas = Atlas::shipped();
        let check = |regions: &[&str], n: usize, expected: &[&str]| {
            let c = rank(
                atlas,
                &query(regions, Side::Left, Some(Context::DuringRun)),
                &[],
            );
            let top = muscles(&c, n);
            for m in expected {
                assert!(top.contains(m), "{regions:?}: {m} not in top {n}: {top:?}");
            }
        };
        check(
            &["lateral_knee"],
            5,
            &[
                "tensor_fasciae_latae",
                "vastus_lateralis",
                "gluteus_minimus",
            ],
        );
        check(
            &["heel"],
            5,
            &["soleus", "quadratus_plantae", "abductor_hallucis"],
        );
        check(
            &["posterior_knee"],
            6,
            &["gastrocnemius", "popliteus", "biceps_femoris", "plantaris"],
        );
        check(
            &["anterior_ankle"],
            5,
            &["tibialis_anterior", "extensor_digitorum_longus"],
        );
        check(
            &["achilles"],
            5,
            &["soleus", "tibialis_posterior", "gastrocnemius"],
        );
        check(
            &["sacroiliac"],
            5,
            &[
                "gluteus_maximus",
                "gluteus_medius",
                "quadratus_lumborum",
                "piriformis",
            ],
        );
        check(
            &["buttock"],
            5,
            &[
                "gluteus_maximus",
                "gluteus_medius",
                "gluteus_minimus",
                "piriformis",
            ],
        );
        check(
            &["low_back"],
            4,
            &[
                "quadratus_lumborum",
                "iliopsoas",
                "lumbar_multifidus",
                "iliocostalis_lumborum",
            ],
        );
        check(
            &["groin"],
            4,
            &["adductor_longus", "pectineus", "iliopsoas"],
        );
        check(
            &["anterior_knee"],
            2,
            &["rectus_femoris", "vastus_medialis"],
        );
        check(
            &["plantar_forefoot"],
            5,
            &[
                "flexor_digitorum_brevis",
                "adductor_hallucis",
                "flexor_digitorum_longus",
            ],
        );
        check(
            &["lateral_ankle"],
            2,
            &["peroneus_longus", "peroneus_brevis"],
        );
        check(
            &["great_toe"],
            3,
            &[
                "extensor_hallucis_longus",
                "flexor_hallucis_longus",
                "tibialis_anterior",
            ],
        );
        // The upper body (Travell & Simons vol. 1): tension headache at the temple, the stiff
        // neck, the sore front of the shoulder referred from the back of the shoulder blade, the
        // outer shoulder, between the shoulder blades, the chest, the face, tennis elbow.
        check(&["temple"], 2, &["upper_trapezius", "sternocleidomastoid"]);
        check(
            &["posterior_neck"],
            2,
            &["upper_trapezius", "levator_scapulae"],
        );
        check(&["upper_trapezius"], 1, &["levator_scapulae"]);
        check(
            &["anterior_shoulder"],
            5,
            &[
                "infraspinatus",
                "pectoralis_major",
                "pectoralis_minor",
                "deltoid",
                "biceps_brachii",
            ],
        );
        check(&["lateral_shoulder"], 2, &["supraspinatus", "deltoid"]);
        check(&["interscapular"], 2, &["rhomboids", "scalenes"]);
        check(
            &["chest"],
            3,
            &["pectoralis_major", "pectoralis_minor", "scalenes"],
        );
        check(&["face"], 1, &["sternocleidomastoid"]);
        check(
            &["lateral_elbow"],
            2,
            &["forearm_extensors", "triceps_brachii"],
        );
    }

    #[test]
    fn a_tender_reproducing_spot_rises_first_and_a_not_tender_one_sinks() {
        let atlas = Atlas::shipped();
        let q = query(&["lateral_knee"], Side::Left, Some(Context::DuringRun));
        let before = rank(atlas, &q, &[]);
        let vl = before
            .iter()
            .find(|c| c.muscle == "vastus_lateralis")
            .unwrap();
        let after = rank(
            atlas,
            &q,
            &[finding(vl.trigger_point.as_str(), Side::Left, 8, true)],
        );
        assert_eq!(after[0].trigger_point, vl.trigger_point);
        assert!(after[0].reasons.iter().any(|r| r.kind == "finding"));
        // The primary zone's reason names the sources it rests on.
        let primary = vl.reasons.iter().find(|r| r.kind == "primary").unwrap();
        let tp = atlas.trigger_point(vl.trigger_point.as_str()).unwrap();
        assert!(
            primary
                .text
                .ends_with(&format!("{})", tp.sources.join(", "))),
            "{}",
            primary.text
        );

        let top = &before[0];
        let sunk = rank(
            atlas,
            &q,
            &[finding(top.trigger_point.as_str(), Side::Left, 0, false)],
        );
        let pos = sunk
            .iter()
            .position(|c| c.trigger_point == top.trigger_point)
            .map_or(usize::MAX, |p| p + 1);
        assert!(pos > top.rank, "not-tender top candidate stayed at {pos}");
    }

    #[test]
    fn findings_on_the_other_side_do_not_count() {
        let atlas = Atlas::shipped();
        let q = query(&["lateral_knee"], Side::Left, None);
        let before = rank(atlas, &q, &[]);
        let tp = before[2].trigger_point.as_str().to_string();
        let after = rank(atlas, &q, &[finding(&tp, Side::Right, 9, true)]);
        assert_eq!(before, after);
    }

    fn region_subset() -> impl Strategy<Value = Vec<Region>> {
        proptest::sample::subsequence(Region::all().collect::<Vec<_>>(), 0..6)
    }

    proptest! {
        #[test]
        fn more_regions_never_lower_a_score(regions in region_subset(), extra in proptest::sample::select(Region::all().collect::<Vec<_>>()), ctx in proptest::option::of(proptest::sample::select(Context::ALL.to_vec()))) {
            let atlas = Atlas::shipped();
            let q = Query { regions: regions.clone(), side: Side::Left, context: ctx, onset_km: None };
            let mut more = regions;
            more.push(extra);
            let q2 = Query { regions: more, ..q.clone() };
            for (a, b) in score_all(atlas, &q, &[]).iter().zip(score_all(atlas, &q2, &[])) {
                prop_assert!(b.score >= a.score, "{} fell from {} to {}", a.trigger_point.id, a.score, b.score);
            }
        }

        #[test]
        fn the_same_input_gives_the_same_output(regions in region_subset(), t in 0u8..=10, rep: bool) {
            let atlas = Atlas::shipped();
            let q = Query { regions, side: Side::Both, context: Some(Context::DuringRun), onset_km: None };
            let f = vec![finding("tensor_fasciae_latae", Side::Left, t, rep)];
            prop_assert_eq!(rank(atlas, &q, &f), rank(atlas, &q, &f));
        }

        #[test]
        fn reproducing_findings_never_lower_and_not_tender_never_raise(regions in region_subset(), t in 0u8..=10, idx in 0usize..40) {
            let atlas = Atlas::shipped();
            let tp = atlas.trigger_points()[idx % atlas.trigger_points().len()].id.as_str().to_string();
            let q = Query { regions, side: Side::Left, context: None, onset_km: None };
            let base = score_all(atlas, &q, &[]);
            let up = score_all(atlas, &q, &[finding(&tp, Side::Left, t, true)]);
            let down = score_all(atlas, &q, &[finding(&tp, Side::Left, t.min(1), false)]);
            for ((b, u), d) in base.iter().zip(&up).zip(&down) {
                prop_assert!(u.score >= b.score);
                prop_assert!(d.score <= b.score);
            }
        }
    }
}
