//! The fixed body-region vocabulary (the domain brief, section 2). The atlas, the finder, the journal
//! and the web body map all use exactly these ids.

use crate::vocab::UnknownId;
use std::fmt;

/// Facts about one region: its id, the views it is seen on and a plain description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionInfo {
    /// Stable id, e.g. `lateral_knee`.
    pub id: &'static str,
    /// Where it is seen: F front, B back, L lateral, M medial, P plantar, D dorsal.
    pub view: &'static str,
    /// Where it is, in plain words.
    pub label: &'static str,
}

const fn r(id: &'static str, view: &'static str, label: &'static str) -> RegionInfo {
    RegionInfo { id, view, label }
}

/// Every region, head to foot: the upper body's (head, neck, shoulders, upper back, chest,
/// arms; referral zones after Travell & Simons vol. 1), then the domain brief's.
pub const REGIONS: &[RegionInfo] = &[
    r(
        "temple",
        "L",
        "side of the head above and in front of the ear",
    ),
    r("face", "F", "forehead, around the eye, cheek and jaw"),
    r(
        "occiput",
        "B",
        "back of the head down to the base of the skull",
    ),
    r("posterior_neck", "B", "back of the neck"),
    r(
        "lateral_neck",
        "L",
        "side of the neck, between the ear and the collarbone",
    ),
    r(
        "upper_trapezius",
        "B",
        "top of the shoulder between the neck and the shoulder tip (the \"traps\")",
    ),
    r(
        "interscapular",
        "B",
        "upper back between the shoulder blades, along their inner borders",
    ),
    r("scapula", "B", "over the shoulder blade"),
    r("anterior_shoulder", "F", "front of the shoulder"),
    r(
        "lateral_shoulder",
        "L",
        "outer shoulder over the deltoid, below the shoulder tip",
    ),
    r("posterior_shoulder", "B", "back of the shoulder"),
    r("chest", "F", "front of the chest below the collarbone"),
    r("anterior_arm", "F", "front of the upper arm (biceps)"),
    r("lateral_arm", "L", "outer upper arm"),
    r("posterior_arm", "B", "back of the upper arm (triceps)"),
    r("medial_arm", "M", "inner upper arm, armpit side"),
    r("anterior_elbow", "F", "crook of the elbow"),
    r(
        "lateral_elbow",
        "L",
        "outer elbow (where tennis-elbow pain is felt)",
    ),
    r("medial_elbow", "M", "inner elbow"),
    r("forearm", "F/B", "forearm between the elbow and the wrist"),
    r("hand", "D/P", "wrist, hand and fingers"),
    r(
        "low_back",
        "B",
        "lumbar area between lowest ribs and pelvis",
    ),
    r(
        "sacroiliac",
        "B",
        "sacrum and the sacroiliac joints (dimples of the low back)",
    ),
    r("coccyx", "B", "tailbone"),
    r("iliac_crest", "L/B", "upper rim of the pelvis"),
    r(
        "buttock",
        "B",
        "gluteal area including the lower buttock and gluteal fold",
    ),
    r(
        "lateral_hip",
        "L",
        "around the bony point at the outer hip (greater trochanter)",
    ),
    r(
        "anterior_hip",
        "F",
        "front of the hip joint below the front pelvic bone",
    ),
    r(
        "groin",
        "F/M",
        "inguinal crease and upper inner thigh next to the pubic bone",
    ),
    r("lower_abdomen", "F", "lower quadrant of the belly"),
    r("pelvic_floor", "-", "deep inside the pelvis"),
    r("anterior_thigh", "F", "front of the thigh"),
    r("medial_thigh", "M", "inner thigh"),
    r("lateral_thigh", "L", "outer thigh (over the IT band)"),
    r("posterior_thigh", "B", "back of the thigh (hamstrings)"),
    r("anterior_knee", "F", "kneecap and around it"),
    r("medial_knee", "M", "inner knee"),
    r(
        "lateral_knee",
        "L",
        "outer knee (where IT-band pain is felt)",
    ),
    r("posterior_knee", "B", "hollow behind the knee"),
    r(
        "anterior_shin",
        "F",
        "front of the lower leg beside the shin bone",
    ),
    r("medial_shin", "M", "inner border of the shin bone"),
    r("lateral_leg", "L", "outer lower leg (over the fibula)"),
    r("calf", "B", "back of the lower leg, muscle bellies"),
    r("achilles", "B", "Achilles tendon just above the heel"),
    r("anterior_ankle", "F", "front of the ankle"),
    r("medial_ankle", "M", "around the inner ankle bone"),
    r("lateral_ankle", "L", "around the outer ankle bone"),
    r("heel", "P/B", "under and behind the heel bone"),
    r("plantar_arch", "P", "middle of the sole (instep)"),
    r(
        "plantar_forefoot",
        "P",
        "ball of the foot, metatarsal heads",
    ),
    r("medial_foot", "M", "inner border of the foot"),
    r(
        "lateral_foot",
        "L",
        "outer border of the foot, 5th metatarsal",
    ),
    r("dorsum_foot", "D", "top of the foot"),
    r("great_toe", "D/P", "big toe"),
    r("lesser_toes", "D/P", "toes 2-5"),
];

/// Regions that border each other on the body (each pair once). A finder match on a neighbour is
/// weak evidence: people localise referred pain only roughly.
const NEIGHBOURS: &[(&str, &str)] = &[
    ("temple", "face"),
    ("temple", "occiput"),
    ("face", "lateral_neck"),
    ("occiput", "posterior_neck"),
    ("posterior_neck", "lateral_neck"),
    ("posterior_neck", "upper_trapezius"),
    ("posterior_neck", "interscapular"),
    ("lateral_neck", "upper_trapezius"),
    ("lateral_neck", "chest"),
    ("upper_trapezius", "interscapular"),
    ("upper_trapezius", "scapula"),
    ("upper_trapezius", "lateral_shoulder"),
    ("interscapular", "scapula"),
    ("scapula", "posterior_shoulder"),
    ("anterior_shoulder", "lateral_shoulder"),
    ("anterior_shoulder", "chest"),
    ("anterior_shoulder", "anterior_arm"),
    ("lateral_shoulder", "posterior_shoulder"),
    ("lateral_shoulder", "lateral_arm"),
    ("posterior_shoulder", "posterior_arm"),
    ("chest", "medial_arm"),
    ("anterior_arm", "lateral_arm"),
    ("anterior_arm", "medial_arm"),
    ("anterior_arm", "anterior_elbow"),
    ("lateral_arm", "posterior_arm"),
    ("lateral_arm", "lateral_elbow"),
    ("posterior_arm", "medial_arm"),
    ("posterior_arm", "lateral_elbow"),
    ("posterior_arm", "medial_elbow"),
    ("medial_arm", "medial_elbow"),
    ("anterior_elbow", "lateral_elbow"),
    ("anterior_elbow", "medial_elbow"),
    ("anterior_elbow", "forearm"),
    ("lateral_elbow", "forearm"),
    ("medial_elbow", "forearm"),
    ("forearm", "hand"),
    ("low_back", "sacroiliac"),
    ("low_back", "iliac_crest"),
    ("sacroiliac", "coccyx"),
    ("sacroiliac", "buttock"),
    ("coccyx", "buttock"),
    ("coccyx", "pelvic_floor"),
    ("iliac_crest", "lateral_hip"),
    ("iliac_crest", "buttock"),
    ("buttock", "lateral_hip"),
    ("buttock", "posterior_thigh"),
    ("lateral_hip", "anterior_hip"),
    ("lateral_hip", "lateral_thigh"),
    ("anterior_hip", "groin"),
    ("anterior_hip", "anterior_thigh"),
    ("anterior_hip", "lower_abdomen"),
    ("groin", "lower_abdomen"),
    ("groin", "medial_thigh"),
    ("groin", "pelvic_floor"),
    ("anterior_thigh", "medial_thigh"),
    ("anterior_thigh", "lateral_thigh"),
    ("anterior_thigh", "anterior_knee"),
    ("medial_thigh", "posterior_thigh"),
    ("medial_thigh", "medial_knee"),
    ("lateral_thigh", "posterior_thigh"),
    ("lateral_thigh", "lateral_knee"),
    ("posterior_thigh", "posterior_knee"),
    ("anterior_knee", "medial_knee"),
    ("anterior_knee", "lateral_knee"),
    ("anterior_knee", "anterior_shin"),
    ("medial_knee", "posterior_knee"),
    ("medial_knee", "medial_shin"),
    ("lateral_knee", "posterior_knee"),
    ("lateral_knee", "lateral_leg"),
    ("posterior_knee", "calf"),
    ("anterior_shin", "medial_shin"),
    ("anterior_shin", "lateral_leg"),
    ("anterior_shin", "anterior_ankle"),
    ("medial_shin", "calf"),
    ("medial_shin", "medial_ankle"),
    ("lateral_leg", "calf"),
    ("lateral_leg", "lateral_ankle"),
    ("calf", "achilles"),
    ("achilles", "heel"),
    ("achilles", "medial_ankle"),
    ("achilles", "lateral_ankle"),
    ("anterior_ankle", "medial_ankle"),
    ("anterior_ankle", "lateral_ankle"),
    ("anterior_ankle", "dorsum_foot"),
    ("medial_ankle", "heel"),
    ("medial_ankle", "medial_foot"),
    ("lateral_ankle", "heel"),
    ("lateral_ankle", "lateral_foot"),
    ("heel", "plantar_arch"),
    ("plantar_arch", "plantar_forefoot"),
    ("plantar_arch", "medial_foot"),
    ("plantar_arch", "lateral_foot"),
    ("plantar_forefoot", "great_toe"),
    ("plantar_forefoot", "lesser_toes"),
    ("medial_foot", "great_toe"),
    ("medial_foot", "dorsum_foot"),
    ("lateral_foot", "dorsum_foot"),
    ("lateral_foot", "lesser_toes"),
    ("dorsum_foot", "great_toe"),
    ("dorsum_foot", "lesser_toes"),
    ("great_toe", "lesser_toes"),
];

/// Runners' words accepted for a region wherever one is parsed, with the region they mean. An
/// alias names where a structure lies; where its pain is usually felt is noted beside it.
/// Matching ignores case, spaces and punctuation (`IT-band`, `it band`, `ITBand` are one word).
///
/// | alias | region | why |
/// |---|---|---|
/// | IT band, ITB, iliotibial band | `lateral_thigh` | the band runs down the outer thigh (IT-band *pain* is felt at `lateral_knee`) |
/// | ITBS, IT band syndrome | `lateral_knee` | the syndrome's pain, at the outer knee |
/// | quad(s), quadriceps | `anterior_thigh` | the front of the thigh |
/// | calves | `calf` | |
/// | runner's knee | `anterior_knee` | patellofemoral pain, around and behind the kneecap |
/// | shin splints | `medial_shin` | the classic medial tibial stress line |
/// | hamstring(s) | `posterior_thigh` | the back of the thigh |
/// | glute(s) | `buttock` | the gluteal muscles |
/// | hip flexor(s) | `anterior_hip` | front of the hip below the pelvic bone |
/// | plantar fascia | `plantar_arch` | the fascia spans the sole (its heel end's pain is `heel`) |
/// | neck | `posterior_neck` | where a stiff neck is felt |
/// | trap(s), traps | `upper_trapezius` | the top of the shoulder that tenses while running |
/// | shoulder | `lateral_shoulder` | the rounded outer shoulder (deltoid), where shoulder pain is usually shown |
/// | shoulder blade(s) | `scapula` | over the blade |
/// | upper back, between the shoulder blades | `interscapular` | the upper back's middle |
/// | pec(s) | `chest` | the pectoral muscles |
/// | biceps / triceps | `anterior_arm` / `posterior_arm` | the upper arm's muscles |
/// | tennis elbow / golfer's elbow | `lateral_elbow` / `medial_elbow` | the epicondyles |
/// | back of the head | `occiput` | the skull's base |
/// | wrist | `hand` | the region includes the wrist |
pub const ALIASES: &[(&str, &str)] = &[
    ("neck", "posterior_neck"),
    ("trap", "upper_trapezius"),
    ("traps", "upper_trapezius"),
    ("shoulder", "lateral_shoulder"),
    ("shoulder blade", "scapula"),
    ("shoulder blades", "scapula"),
    ("upper back", "interscapular"),
    ("between the shoulder blades", "interscapular"),
    ("pec", "chest"),
    ("pecs", "chest"),
    ("biceps", "anterior_arm"),
    ("triceps", "posterior_arm"),
    ("tennis elbow", "lateral_elbow"),
    ("golfer's elbow", "medial_elbow"),
    ("back of the head", "occiput"),
    ("wrist", "hand"),
    ("IT band", "lateral_thigh"),
    ("runner's knee", "anterior_knee"),
    ("shin splints", "medial_shin"),
    ("hamstring", "posterior_thigh"),
    ("hamstrings", "posterior_thigh"),
    ("glute", "buttock"),
    ("glutes", "buttock"),
    ("hip flexor", "anterior_hip"),
    ("hip flexors", "anterior_hip"),
    ("plantar fascia", "plantar_arch"),
    ("ITB", "lateral_thigh"),
    ("iliotibial band", "lateral_thigh"),
    ("ITBS", "lateral_knee"),
    ("IT band syndrome", "lateral_knee"),
    ("quad", "anterior_thigh"),
    ("quads", "anterior_thigh"),
    ("quadriceps", "anterior_thigh"),
    ("calves", "calf"),
];

/// `s` lowercased with everything but letters and digits removed.
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A body region: a validated index into [`REGIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(u8);

impl Region {
    /// Looks up a region id or one of the runners' words in [`ALIASES`], ignoring case, spaces
    /// and punctuation.
    ///
    /// # Errors
    /// [`UnknownId`] with the closest valid ids or aliases when `id` is neither.
    ///
    /// # Examples
    /// ```
    /// use knots_core::Region;
    /// assert_eq!(Region::parse("lateral_knee").unwrap().id(), "lateral_knee");
    /// assert_eq!(Region::parse("Shin splints").unwrap().id(), "medial_shin");
    /// assert!(Region::parse("lateral_kne").unwrap_err().to_string().contains("lateral_knee"));
    /// ```
    pub fn parse(id: &str) -> Result<Region, UnknownId> {
        let index = |region: &str| REGIONS.iter().position(|r| r.id == region);
        let key = squash(id);
        index(id)
            .or_else(|| REGIONS.iter().position(|r| squash(r.id) == key))
            .or_else(|| {
                ALIASES
                    .iter()
                    .find(|(alias, _)| squash(alias) == key)
                    .and_then(|(_, region)| index(region))
            })
            .and_then(|i| u8::try_from(i).ok())
            .map(Region)
            .ok_or_else(|| {
                let valid = REGIONS
                    .iter()
                    .map(|r| r.id)
                    .chain(ALIASES.iter().map(|a| a.0));
                let mut unknown = UnknownId::new("region", id, valid);
                // A bare part of the body ("knee", "shin") names several regions: offer those.
                let parts: Vec<String> = REGIONS
                    .iter()
                    .filter(|r| r.id.split('_').any(|part| !key.is_empty() && part == key))
                    .map(|r| r.id.to_string())
                    .collect();
                if !parts.is_empty() {
                    unknown.suggestions = parts;
                    unknown.is_full_list = false;
                }
                unknown
            })
    }

    /// Every region, head to foot.
    pub fn all() -> impl Iterator<Item = Region> {
        (0..REGIONS.len())
            .filter_map(|i| u8::try_from(i).ok())
            .map(Region)
    }

    /// The stable id.
    pub fn id(self) -> &'static str {
        self.info().id
    }

    /// Whether `other` borders this region.
    ///
    /// # Examples
    /// ```
    /// use knots_core::Region;
    /// let knee = Region::parse("lateral_knee").unwrap();
    /// assert!(knee.borders(Region::parse("lateral_thigh").unwrap()));
    /// assert!(!knee.borders(knee));
    /// ```
    pub fn borders(self, other: Region) -> bool {
        let (a, b) = (self.id(), other.id());
        NEIGHBOURS
            .iter()
            .any(|&(x, y)| (x == a && y == b) || (x == b && y == a))
    }

    /// The region's facts.
    pub fn info(self) -> &'static RegionInfo {
        &REGIONS[usize::from(self.0)]
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl std::str::FromStr for Region {
    type Err = UnknownId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Region::parse(s)
    }
}

impl serde::Serialize for Region {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> serde::Deserialize<'de> for Region {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Region::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_round_trip() {
        for region in Region::all() {
            assert_eq!(Region::parse(region.id()), Ok(region));
        }
        assert_eq!(Region::all().count(), 55);
    }

    #[test]
    fn every_region_has_neighbours_and_every_neighbour_exists() {
        for (a, b) in NEIGHBOURS {
            assert!(
                Region::parse(a).is_ok() && Region::parse(b).is_ok(),
                "{a} {b}"
            );
        }
        for r in Region::all() {
            assert!(Region::all().any(|o| r.borders(o)), "{r} has no neighbour");
        }
    }

    #[test]
    fn runners_words_are_aliases() {
        let check = |given: &str, expected: &str| {
            assert_eq!(
                Region::parse(given).map(Region::id),
                Ok(expected),
                "{given}"
            );
            assert_eq!(
                given.parse::<Region>().map(Region::id),
                Ok(expected),
                "{given}"
            );
        };
        check("IT band", "lateral_thigh");
        check("it-band", "lateral_thigh");
        check("ITBand", "lateral_thigh");
        check("Runner's knee", "anterior_knee");
        check("runners knee", "anterior_knee");
        check("SHIN SPLINTS", "medial_shin");
        check("hamstring", "posterior_thigh");
        check("Hamstrings", "posterior_thigh");
        check("glutes", "buttock");
        check("ITBS", "lateral_knee");
        check("iliotibial band", "lateral_thigh");
        check("quads", "anterior_thigh");
        let knee = Region::parse("knee").unwrap_err();
        let expected = [
            "anterior_knee",
            "medial_knee",
            "lateral_knee",
            "posterior_knee",
        ];
        assert_eq!(knee.suggestions, expected);
        check("hip-flexor", "anterior_hip");
        check("plantar fascia", "plantar_arch");
        check("Lateral Knee", "lateral_knee");
        check("neck", "posterior_neck");
        check("Shoulder blade", "scapula");
        check("traps", "upper_trapezius");
        check("upper back", "interscapular");
        check("Between the shoulder blades", "interscapular");
        check("tennis elbow", "lateral_elbow");
        check("shoulder", "lateral_shoulder");
        for (_, region) in ALIASES {
            assert!(Region::parse(region).is_ok(), "{region}");
        }
        // The rest: did you mean.
        let err = Region::parse("hamstrng").unwrap_err();
        assert_eq!(
            err.suggestions.first().map(String::as_str),
            Some("hamstring")
        );
    }

    #[test]
    fn unknown_region_suggests_the_closest() {
        let err = Region::parse("lateral_kne").unwrap_err();
        assert_eq!(
            err.suggestions.first().map(String::as_str),
            Some("lateral_knee")
        );
        assert_eq!(
            err.to_string(),
            "unknown region `lateral_kne` (did you mean `lateral_knee` or `lateral_neck` or `lateral_ankle`?)"
        );
    }
}
