//! The atlas: the muscles and trigger points knots knows, as data compiled into the binary from the
//! TOML files in `crates/knots-core/atlas/` (schema in that folder's README). [`Atlas::parse`] is also
//! the validator behind `knots atlas check`: it reports every fault with the file and entry at fault.

use crate::journal::Context;
use crate::region::Region;
use crate::vocab::UnknownId;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::OnceLock;

/// The atlas files shipped in the binary: (path relative to the crate, contents).
pub const SHIPPED_FILES: &[(&str, &str)] = &[
    ("atlas/trunk.toml", include_str!("../atlas/trunk.toml")),
    ("atlas/hip.toml", include_str!("../atlas/hip.toml")),
    ("atlas/thigh.toml", include_str!("../atlas/thigh.toml")),
    ("atlas/leg.toml", include_str!("../atlas/leg.toml")),
    ("atlas/foot.toml", include_str!("../atlas/foot.toml")),
    ("atlas/upper.toml", include_str!("../atlas/upper.toml")),
];

/// The id of a trigger point in the atlas, e.g. `vastus_lateralis_distal`.
///
/// Ids read from files or typed by users are checked with [`Atlas::trigger_point`] at the edge.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct TriggerPointId(pub String);

impl TriggerPointId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TriggerPointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

vocabulary! {
    /// The body-map view a trigger point is drawn on.
    View, "view" {
        /// Seen from the front.
        Front = "front",
        /// Seen from the back.
        Back = "back",
    }
}

/// A muscle of the atlas.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Muscle {
    /// Fixed muscle id from the domain brief, e.g. `vastus_lateralis`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Body area: neck, shoulder, upper_back, chest, arm, trunk, hip, thigh, leg or foot.
    pub area: String,
    /// An optional sentence a runner should know.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A trigger point: where it is, where it refers pain, and what to try.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TriggerPoint {
    /// Unique id.
    pub id: TriggerPointId,
    /// The muscle id it belongs to.
    pub muscle: String,
    /// Short display name.
    pub name: String,
    /// The body-map view it is drawn on.
    pub view: View,
    /// Horizontal position 0..1 on that view, for the subject's left side.
    pub x: f64,
    /// Vertical position 0..1 (head to soles).
    pub y: f64,
    /// How to find it by touch.
    pub landmark: String,
    /// Regions of the essential (primary) referral zone.
    pub primary: Vec<Region>,
    /// Regions of the spill-over zone.
    pub spillover: Vec<Region>,
    /// When it typically bothers a runner.
    pub contexts: Vec<Context>,
    /// Roller or ball placement.
    pub self_treatment: String,
    /// One isolated stretch.
    pub stretch: String,
    /// One strengthening exercise.
    pub strengthen: String,
    /// Source keys from the domain brief.
    pub sources: Vec<String>,
}

/// One fault in an atlas file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtlasError {
    /// The file at fault.
    pub file: String,
    /// The entry at fault (`muscle `id`` or `trigger_point `id``), when known.
    pub entry: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for AtlasError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.entry {
            Some(entry) => write!(f, "{}: {}: {}", self.file, entry, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// The validated atlas.
#[derive(Debug, Clone, PartialEq)]
pub struct Atlas {
    muscles: Vec<Muscle>,
    trigger_points: Vec<TriggerPoint>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMuscle {
    id: String,
    name: String,
    area: String,
    note: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTriggerPoint {
    id: String,
    muscle: String,
    name: String,
    view: String,
    x: f64,
    y: f64,
    landmark: String,
    primary: Vec<String>,
    spillover: Vec<String>,
    contexts: Vec<String>,
    self_treatment: String,
    stretch: String,
    strengthen: String,
    sources: Vec<String>,
}

const AREAS: &[&str] = &[
    "neck",
    "shoulder",
    "upper_back",
    "chest",
    "arm",
    "trunk",
    "hip",
    "thigh",
    "leg",
    "foot",
];

impl Atlas {
    /// The atlas compiled into this binary.
    ///
    /// # Panics
    /// Never in a tested build: the test `shipped_atlas_is_valid` proves the shipped files parse.
    pub fn shipped() -> &'static Atlas {
        static ATLAS: OnceLock<Atlas> = OnceLock::new();
        ATLAS.get_or_init(|| {
            #[allow(clippy::expect_used)]
            Atlas::parse(SHIPPED_FILES).expect("the shipped atlas is validated by its tests")
        })
    }

    /// Parses and validates atlas files given as (file name, TOML text).
    ///
    /// # Errors
    /// Every fault found, each naming its file and entry: TOML syntax, missing or unknown fields,
    /// unknown region or context ids, coordinates out of range or on the wrong side, duplicate ids,
    /// trigger points of unknown muscles, muscles without trigger points, empty texts.
    ///
    /// # Examples
    /// ```
    /// let errors = knots_core::Atlas::parse(&[("a.toml", "[[muscle]]\nid = 'x'")]).unwrap_err();
    /// assert!(errors[0].to_string().starts_with("a.toml: muscle `x`"));
    /// ```
    pub fn parse(files: &[(&str, &str)]) -> Result<Atlas, Vec<AtlasError>> {
        let mut errors = Vec::new();
        let mut muscles = Vec::new();
        let mut tps: Vec<(String, TriggerPoint)> = Vec::new();
        let mut raw_tps = Vec::new();
        // A muscle named by a faulty trigger point still has one: report the fault once.
        let mut named = BTreeSet::new();
        for (file, text) in files {
            let err = |entry: Option<String>, message: String| AtlasError {
                file: (*file).to_string(),
                entry,
                message,
            };
            let table: toml::Table = match toml::from_str(text) {
                Ok(t) => t,
                Err(e) => {
                    errors.push(err(None, e.to_string().trim().replace('\n', " ")));
                    continue;
                }
            };
            for key in table.keys() {
                if key != "muscle" && key != "trigger_point" {
                    errors.push(err(None, format!("unknown table `{key}`")));
                }
            }
            for (i, value) in entries(&table, "muscle").into_iter().enumerate() {
                let entry = entry_name("muscle", value, i);
                match value.clone().try_into::<RawMuscle>() {
                    Ok(m) => {
                        if m.id.trim().is_empty() || m.name.trim().is_empty() {
                            errors.push(err(Some(entry), "empty `id` or `name`".into()));
                        } else if !AREAS.contains(&m.area.as_str()) {
                            errors.push(err(
                                Some(entry),
                                format!("unknown area `{}`, expected one of {AREAS:?}", m.area),
                            ));
                        } else {
                            muscles.push(((*file).to_string(), m));
                        }
                    }
                    Err(e) => errors.push(err(Some(entry), e.message().to_string())),
                }
            }
            for (i, value) in entries(&table, "trigger_point").into_iter().enumerate() {
                let entry = entry_name("trigger_point", value, i);
                if let Some(m) = value.get("muscle").and_then(toml::Value::as_str) {
                    named.insert(m.to_string());
                }
                match value.clone().try_into::<RawTriggerPoint>() {
                    Ok(raw) => raw_tps.push(((*file).to_string(), entry, raw)),
                    Err(e) => errors.push(err(Some(entry), e.message().to_string())),
                }
            }
        }
        let mut muscle_ids = BTreeSet::new();
        let mut checked_muscles = Vec::new();
        for (file, m) in muscles {
            if !muscle_ids.insert(m.id.clone()) {
                errors.push(AtlasError {
                    file,
                    entry: Some(format!("muscle `{}`", m.id)),
                    message: "duplicate muscle id".into(),
                });
                continue;
            }
            checked_muscles.push(Muscle {
                id: m.id,
                name: m.name,
                area: m.area,
                note: m.note,
            });
        }
        let mut tp_ids = BTreeSet::new();
        for (file, entry, raw) in raw_tps {
            let mut fault = |message: String| {
                errors.push(AtlasError {
                    file: file.clone(),
                    entry: Some(entry.clone()),
                    message,
                })
            };
            if !tp_ids.insert(raw.id.clone()) {
                fault("duplicate trigger point id".into());
                continue;
            }
            match check_trigger_point(raw, &muscle_ids) {
                Ok(tp) => tps.push((file.clone(), tp)),
                Err(faults) => faults.into_iter().for_each(&mut fault),
            }
        }
        for m in &checked_muscles {
            if !named.contains(&m.id) {
                errors.push(AtlasError {
                    file: "atlas".into(),
                    entry: Some(format!("muscle `{}`", m.id)),
                    message: "has no trigger point".into(),
                });
            }
        }
        if errors.is_empty() {
            Ok(Atlas {
                muscles: checked_muscles,
                trigger_points: tps.into_iter().map(|(_, t)| t).collect(),
            })
        } else {
            Err(errors)
        }
    }

    /// All muscles, in file order.
    pub fn muscles(&self) -> &[Muscle] {
        &self.muscles
    }

    /// All trigger points, in file order.
    pub fn trigger_points(&self) -> &[TriggerPoint] {
        &self.trigger_points
    }

    /// Looks up a trigger point.
    ///
    /// # Errors
    /// [`UnknownId`] with the closest ids when there is none with that id.
    pub fn trigger_point(&self, id: &str) -> Result<&TriggerPoint, UnknownId> {
        self.trigger_points
            .iter()
            .find(|t| t.id.as_str() == id)
            .ok_or_else(|| {
                UnknownId::new(
                    "trigger point",
                    id,
                    self.trigger_points.iter().map(|t| t.id.as_str()),
                )
            })
    }

    /// Looks up a muscle.
    ///
    /// # Errors
    /// [`UnknownId`] with the closest ids when there is none with that id.
    pub fn muscle(&self, id: &str) -> Result<&Muscle, UnknownId> {
        self.muscles
            .iter()
            .find(|m| m.id == id)
            .ok_or_else(|| UnknownId::new("muscle", id, self.muscles.iter().map(|m| m.id.as_str())))
    }

    /// The trigger points of one muscle.
    pub fn trigger_points_of<'a>(
        &'a self,
        muscle: &'a str,
    ) -> impl Iterator<Item = &'a TriggerPoint> {
        self.trigger_points
            .iter()
            .filter(move |t| t.muscle == muscle)
    }

    /// Checks that `target` names a trigger point, a muscle or a region, and returns it unchanged.
    ///
    /// # Errors
    /// [`UnknownId`] listing the closest ids of all three kinds.
    pub fn check_target(&self, target: &str) -> Result<(), UnknownId> {
        if self.trigger_point(target).is_ok()
            || self.muscle(target).is_ok()
            || Region::parse(target).is_ok()
        {
            return Ok(());
        }
        let all = self
            .trigger_points
            .iter()
            .map(|t| t.id.as_str())
            .chain(self.muscles.iter().map(|m| m.id.as_str()))
            .chain(crate::region::REGIONS.iter().map(|r| r.id));
        Err(UnknownId::new(
            "treatment target (trigger point, muscle or region)",
            target,
            all,
        ))
    }

    /// The trigger points grouped by muscle id, for listings.
    pub fn by_muscle(&self) -> BTreeMap<&str, Vec<&TriggerPoint>> {
        let mut map: BTreeMap<&str, Vec<&TriggerPoint>> = BTreeMap::new();
        for tp in &self.trigger_points {
            map.entry(tp.muscle.as_str()).or_default().push(tp);
        }
        map
    }
}

fn entries<'a>(table: &'a toml::Table, key: &str) -> Vec<&'a toml::Value> {
    match table.get(key) {
        Some(toml::Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => Vec::new(),
    }
}

fn entry_name(kind: &str, value: &toml::Value, index: usize) -> String {
    match value.get("id").and_then(toml::Value::as_str) {
        Some(id) => format!("{kind} `{id}`"),
        None => format!("{kind} #{} (no id)", index + 1),
    }
}

fn check_trigger_point(
    raw: RawTriggerPoint,
    muscles: &BTreeSet<String>,
) -> Result<TriggerPoint, Vec<String>> {
    let mut faults = Vec::new();
    if !muscles.contains(&raw.muscle) {
        faults.push(
            UnknownId::new("muscle", &raw.muscle, muscles.iter().map(String::as_str)).to_string(),
        );
    }
    for (field, text) in [
        ("id", &raw.id),
        ("name", &raw.name),
        ("landmark", &raw.landmark),
        ("self_treatment", &raw.self_treatment),
        ("stretch", &raw.stretch),
        ("strengthen", &raw.strengthen),
    ] {
        if text.trim().is_empty() {
            faults.push(format!("`{field}` is empty"));
        }
    }
    let view = raw
        .view
        .parse::<View>()
        .map_err(|e| faults.push(format!("`view`: {e}")))
        .ok();
    for (field, v) in [("x", raw.x), ("y", raw.y)] {
        if !(0.0..=1.0).contains(&v) {
            faults.push(format!("`{field}` = {v} is outside 0..1"));
        }
    }
    // Coordinates are for the subject's left side: the viewer's right in the front view, the
    // viewer's left in the back view. A small tolerance allows points on the midline.
    match view {
        Some(View::Front) if raw.x < 0.48 => {
            faults.push(format!("`x` = {} is on the subject's right in the front view (expected >= 0.48 for the left side)", raw.x))
        }
        Some(View::Back) if raw.x > 0.52 => {
            faults.push(format!("`x` = {} is on the subject's right in the back view (expected <= 0.52 for the left side)", raw.x))
        }
        _ => {}
    }
    let mut regions = |field: &str, ids: &[String]| -> Vec<Region> {
        ids.iter()
            .filter_map(|id| {
                Region::parse(id)
                    .map_err(|e| faults.push(format!("`{field}`: {e}")))
                    .ok()
            })
            .collect()
    };
    let primary = regions("primary", &raw.primary);
    let spillover = regions("spillover", &raw.spillover);
    if raw.primary.is_empty() {
        faults.push("`primary` is empty".into());
    }
    if let Some(r) = primary.iter().find(|r| spillover.contains(r)) {
        faults.push(format!("region `{r}` is in both `primary` and `spillover`"));
    }
    let contexts: Vec<Context> = raw
        .contexts
        .iter()
        .filter_map(|c| {
            c.parse()
                .map_err(|e| faults.push(format!("`contexts`: {e}")))
                .ok()
        })
        .collect();
    if raw.sources.is_empty() || raw.sources.iter().any(|s| s.trim().is_empty()) {
        faults.push("`sources` is empty".into());
    }
    match view {
        Some(view) if faults.is_empty() => Ok(TriggerPoint {
            id: TriggerPointId(raw.id),
            muscle: raw.muscle,
            name: raw.name,
            view,
            x: raw.x,
            y: raw.y,
            landmark: raw.landmark,
            primary,
            spillover,
            contexts,
            self_treatment: raw.self_treatment,
            stretch: raw.stretch,
            strengthen: raw.strengthen,
            sources: raw.sources,
        }),
        _ => Err(faults),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_atlas_is_valid() {
        let atlas = match Atlas::parse(SHIPPED_FILES) {
            Ok(a) => a,
            Err(errors) => panic!(
                "shipped atlas has faults:\n{}",
                errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        };
        assert!(
            atlas.muscles().len() >= 30,
            "{} muscles",
            atlas.muscles().len()
        );
        assert!(
            atlas.trigger_points().len() >= 40,
            "{} trigger points",
            atlas.trigger_points().len()
        );
    }

    const GOOD_TP: &str = r#"
[[muscle]]
id = "m"
name = "M"
area = "hip"

[[trigger_point]]
id = "m_1"
muscle = "m"
name = "n"
view = "front"
x = 0.6
y = 0.5
landmark = "l"
primary = ["lateral_knee"]
spillover = []
contexts = ["during_run"]
self_treatment = "s"
stretch = "s"
strengthen = "s"
sources = ["TS"]
"#;

    fn check(text: &str, expected: &[&str]) {
        let got = match Atlas::parse(&[("t.toml", text)]) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        };
        assert_eq!(got, expected);
    }

    #[test]
    fn a_good_entry_passes() {
        check(GOOD_TP, &[]);
    }

    #[test]
    fn faults_name_the_file_and_entry() {
        check(
            &GOOD_TP.replace("\"lateral_knee\"", "\"lateral_kne\""),
            &[
                "t.toml: trigger_point `m_1`: `primary`: unknown region `lateral_kne` (did you mean `lateral_knee` or `lateral_neck` or `lateral_ankle`?)",
            ],
        );
        check(
            &GOOD_TP.replace("x = 0.6", "x = 1.6"),
            &["t.toml: trigger_point `m_1`: `x` = 1.6 is outside 0..1"],
        );
        check(
            &GOOD_TP.replace("x = 0.6", "x = 0.2"),
            &[
                "t.toml: trigger_point `m_1`: `x` = 0.2 is on the subject's right in the front view (expected >= 0.48 for the left side)",
            ],
        );
        check(
            &GOOD_TP.replace("landmark = \"l\"\n", ""),
            &["t.toml: trigger_point `m_1`: missing field `landmark`"],
        );
        check(
            &GOOD_TP.replace("muscle = \"m\"", "muscle = \"q\""),
            &[
                "t.toml: trigger_point `m_1`: unknown muscle `q` (expected one of: m)",
                "atlas: muscle `m`: has no trigger point",
            ],
        );
        check(
            &GOOD_TP.replace("id = \"m_1\"\n", ""),
            &["t.toml: trigger_point #1 (no id): missing field `id`"],
        );
        check(
            &GOOD_TP.replace("\"during_run\"", "\"runs\""),
            &[
                "t.toml: trigger_point `m_1`: `contexts`: unknown context `runs` (expected one of: rest, during_run, after_run, morning, night)",
            ],
        );
    }
}
