//! The body map: a front and a back view of a standing figure, arms by the sides, drawn as authored
//! SVG paths (a silhouette and one addressable outline per region and side), with the finder's
//! trigger points drawn on top as numbered dots.
//!
//! Coordinates follow the atlas convention (`crates/knots-core/atlas/README.md`): 0..1 across and
//! down each view, given for the subject's LEFT side; the right side is mirrored with `1 - x`. In the
//! front view the subject's left is on the viewer's right, and the page says so.
//!
//! The figure is authored once, as a half body: five `Segment`s (head, neck, trunk, arm, and the
//! pelvis with the leg), each a ribbon given by the distance from the midline of its inner and outer
//! edge at a few heights, smoothed between them. A region's outline is a polygon in its segment's
//! frame (`f` across the ribbon, 0 at the inner and 1 at the outer edge; `y` down the view), so
//! neighbouring regions share their edges exactly and follow the body's contour. The front view
//! puts the subject's left at `0.5 + u`, the back view at `0.5 - u` (`u` the distance from the
//! midline); the right side mirrors either.

use knots_core::atlas::TriggerPoint;
use knots_core::atlas::View;
use knots_core::finder::Candidate;
use knots_core::journal::Side;
use knots_core::region::Region;
use maud::{Markup, html};

/// Width and height of a view in SVG units: x = 0..1 spans `W`, y = 0..1 spans `H`. The atlas's
/// proportions (shoulder tip 0.12 from the midline, head about 0.06, hips 0.14) make a human figure
/// at this aspect.
const W: f64 = 300.0;
const H: f64 = 400.0;
/// The part of a view shown: the figure (x 0.29..0.71) with room for the dots around it.
const VIEW_BOX: &str = "82 -8 136 416";
/// Outlines are sampled down each side every `STEP` of the height.
const STEP: f64 = 0.005;
/// Regions narrower or lower than this (SVG units) get a wider invisible hit outline for fingers.
const SMALL: f64 = 14.0;

/// A part of the half body: `(y, inner, outer)` knots, the distances from the midline of its inner
/// and outer edge at height `y` (subject's left), interpolated smoothly (monotone cubic) between.
#[derive(Debug)]
struct Segment(&'static [(f64, f64, f64)]);

const HEAD: Segment = Segment(&[
    (0.0, 0.0, 0.0),
    (0.005, 0.0, 0.023),
    (0.01, 0.0, 0.032),
    (0.02, 0.0, 0.043),
    (0.03, 0.0, 0.05),
    (0.045, 0.0, 0.056),
    (0.06, 0.0, 0.058),
    (0.075, 0.0, 0.056),
    (0.09, 0.0, 0.05),
    (0.10, 0.0, 0.044),
    (0.11, 0.0, 0.034),
    (0.12, 0.0, 0.018),
]);

const NECK: Segment = Segment(&[
    (0.095, 0.0, 0.032),
    (0.105, 0.0, 0.031),
    (0.118, 0.0, 0.031),
    (0.13, 0.0, 0.033),
    (0.14, 0.0, 0.036),
    (0.145, 0.0, 0.04),
]);

const TRUNK: Segment = Segment(&[
    (0.145, 0.0, 0.04),
    (0.15, 0.0, 0.056),
    (0.155, 0.0, 0.07),
    (0.16, 0.0, 0.083),
    (0.165, 0.0, 0.091),
    (0.175, 0.0, 0.093),
    (0.19, 0.0, 0.095),
    (0.21, 0.0, 0.099),
    (0.24, 0.0, 0.103),
    (0.27, 0.0, 0.104),
    (0.30, 0.0, 0.103),
    (0.33, 0.0, 0.098),
    (0.345, 0.0, 0.096),
]);

/// The arm hangs by the side: its inner edge follows the trunk down to the armpit.
const ARM: Segment = Segment(&[
    (0.16, 0.083, 0.096),
    (0.165, 0.091, 0.118),
    (0.175, 0.093, 0.138),
    (0.19, 0.095, 0.157),
    (0.21, 0.099, 0.166),
    (0.24, 0.103, 0.170),
    (0.27, 0.104, 0.171),
    (0.30, 0.107, 0.170),
    (0.33, 0.112, 0.169),
    (0.355, 0.118, 0.171),
    (0.38, 0.124, 0.177),
    (0.41, 0.131, 0.181),
    (0.44, 0.139, 0.183),
    (0.47, 0.148, 0.185),
    (0.48, 0.151, 0.186),
    (0.50, 0.152, 0.195),
    (0.52, 0.153, 0.199),
    (0.54, 0.156, 0.199),
    (0.555, 0.161, 0.196),
    (0.565, 0.168, 0.191),
    (0.57, 0.174, 0.186),
]);

/// From the waist down: the pelvis (inner edge on the midline) and, below the crotch, the leg.
const LOWER: Segment = Segment(&[
    (0.345, 0.0, 0.096),
    (0.36, 0.0, 0.096),
    (0.38, 0.0, 0.101),
    (0.40, 0.0, 0.108),
    (0.42, 0.0, 0.119),
    (0.45, 0.0, 0.133),
    (0.48, 0.0, 0.143),
    (0.485, 0.0, 0.144),
    (0.49, 0.003, 0.145),
    (0.50, 0.006, 0.147),
    (0.52, 0.009, 0.146),
    (0.56, 0.011, 0.141),
    (0.60, 0.012, 0.134),
    (0.64, 0.012, 0.126),
    (0.68, 0.013, 0.118),
    (0.70, 0.013, 0.115),
    (0.72, 0.013, 0.113),
    (0.745, 0.012, 0.111),
    (0.77, 0.010, 0.111),
    (0.80, 0.012, 0.107),
    (0.84, 0.018, 0.097),
    (0.88, 0.023, 0.085),
    (0.91, 0.024, 0.079),
    (0.93, 0.022, 0.077),
    (0.945, 0.019, 0.083),
    (0.96, 0.016, 0.090),
    (0.975, 0.015, 0.094),
    (0.99, 0.017, 0.092),
    (1.0, 0.025, 0.082),
]);

const SEGMENTS: [&Segment; 5] = [&HEAD, &NECK, &TRUNK, &ARM, &LOWER];

impl Segment {
    fn top(&self) -> f64 {
        self.0[0].0
    }

    fn bottom(&self) -> f64 {
        self.0[self.0.len() - 1].0
    }

    /// The inner and outer edge at height `y` (clamped to the segment).
    fn edges(&self, y: f64) -> (f64, f64) {
        (monotone(self.0, y, |k| k.1), monotone(self.0, y, |k| k.2))
    }

    /// Distance from the midline of the point `f` of the way across the ribbon at height `y`.
    fn at(&self, f: f64, y: f64) -> f64 {
        let (inner, outer) = self.edges(y);
        inner + f * (outer - inner)
    }
}

/// Monotone cubic (Fritsch-Carlson) interpolation of one column of the knots: smooth, without
/// overshooting the authored widths.
fn monotone(knots: &[(f64, f64, f64)], y: f64, value: fn(&(f64, f64, f64)) -> f64) -> f64 {
    let n = knots.len();
    if n == 1 || y <= knots[0].0 {
        return value(&knots[0]);
    }
    if y >= knots[n - 1].0 {
        return value(&knots[n - 1]);
    }
    let i = knots.windows(2).position(|w| y <= w[1].0).unwrap_or(n - 2);
    let h = |k: usize| knots[k + 1].0 - knots[k].0;
    let d = |k: usize| (value(&knots[k + 1]) - value(&knots[k])) / h(k);
    let tangent = |k: usize| -> f64 {
        if k == 0 {
            d(0)
        } else if k == n - 1 {
            d(n - 2)
        } else {
            let (d0, d1) = (d(k - 1), d(k));
            if d0 * d1 <= 0.0 {
                0.0
            } else {
                let (h0, h1) = (h(k - 1), h(k));
                3.0 * (h0 + h1) / ((2.0 * h1 + h0) / d0 + (h1 + 2.0 * h0) / d1)
            }
        }
    };
    let (y0, hk) = (knots[i].0, h(i));
    let t = (y - y0) / hk;
    let (t2, t3) = (t * t, t * t * t);
    let (v0, v1) = (value(&knots[i]), value(&knots[i + 1]));
    (2.0 * t3 - 3.0 * t2 + 1.0) * v0
        + (t3 - 2.0 * t2 + t) * hk * tangent(i)
        + (-2.0 * t3 + 3.0 * t2) * v1
        + (t3 - t2) * hk * tangent(i + 1)
}

/// A region's outline in its segment's frame: corners `(f, y)`.
#[derive(Debug, Clone, Copy)]
enum Outline {
    /// The band between `f0` and `f1` across the ribbon, from `y0` down to `y1`.
    Band(f64, f64, f64, f64),
    /// Any polygon.
    Poly(&'static [(f64, f64)]),
}

impl Outline {
    fn corners(self) -> Vec<(f64, f64)> {
        match self {
            Outline::Band(f0, f1, y0, y1) => vec![(f0, y0), (f1, y0), (f1, y1), (f0, y1)],
            Outline::Poly(p) => p.to_vec(),
        }
    }
}

/// One outline of a region on one view. A `mid` shape is drawn once, across the midline (its `f`
/// runs from -x to x); the others are drawn for the left side and mirrored for the right.
#[derive(Debug, Clone, Copy)]
struct Shape {
    region: &'static str,
    view: View,
    segment: &'static Segment,
    mid: bool,
    outline: Outline,
}

use View::{Back as B, Front as F};

const fn band(
    region: &'static str,
    view: View,
    segment: &'static Segment,
    f: (f64, f64),
    y: (f64, f64),
) -> Shape {
    Shape {
        region,
        view,
        segment,
        mid: false,
        outline: Outline::Band(f.0, f.1, y.0, y.1),
    }
}

const fn mid(
    region: &'static str,
    view: View,
    segment: &'static Segment,
    outline: Outline,
) -> Shape {
    Shape {
        region,
        view,
        segment,
        mid: true,
        outline,
    }
}

const fn poly(
    region: &'static str,
    view: View,
    segment: &'static Segment,
    corners: &'static [(f64, f64)],
) -> Shape {
    Shape {
        region,
        view,
        segment,
        mid: false,
        outline: Outline::Poly(corners),
    }
}

/// Every region's outline, head to toe.
const SHAPES: &[Shape] = &[
    // Head: the temples beside the forehead, the face below; the back of the head is the occiput.
    band("temple", F, &HEAD, (0.72, 1.0), (0.03, 0.085)),
    mid(
        "face",
        F,
        &HEAD,
        Outline::Poly(&[
            (-0.72, 0.03),
            (0.72, 0.03),
            (0.72, 0.085),
            (1.0, 0.085),
            (1.0, 0.118),
            (-1.0, 0.118),
            (-1.0, 0.085),
            (-0.72, 0.085),
        ]),
    ),
    mid("occiput", B, &HEAD, Outline::Band(-1.0, 1.0, 0.005, 0.118)),
    // Neck.
    mid(
        "posterior_neck",
        B,
        &NECK,
        Outline::Band(-0.55, 0.55, 0.118, 0.145),
    ),
    band("lateral_neck", F, &NECK, (0.4, 1.0), (0.118, 0.145)),
    band("lateral_neck", B, &NECK, (0.55, 1.0), (0.118, 0.145)),
    // Upper back and chest.
    band("upper_trapezius", B, &TRUNK, (0.3, 1.0), (0.145, 0.18)),
    band("interscapular", B, &TRUNK, (0.04, 0.42), (0.18, 0.30)),
    // The shoulder blade narrows to its lower tip; the chest's lower border rises to the armpit.
    poly(
        "scapula",
        B,
        &TRUNK,
        &[
            (0.42, 0.18),
            (1.0, 0.18),
            (1.0, 0.23),
            (0.72, 0.285),
            (0.42, 0.27),
        ],
    ),
    poly(
        "chest",
        F,
        &TRUNK,
        &[
            (0.06, 0.175),
            (1.0, 0.175),
            (1.0, 0.25),
            (0.6, 0.285),
            (0.06, 0.285),
        ],
    ),
    // Shoulder, arm, elbow, forearm, hand.
    band("anterior_shoulder", F, &ARM, (0.0, 0.55), (0.16, 0.215)),
    band("lateral_shoulder", F, &ARM, (0.55, 1.0), (0.16, 0.215)),
    band("lateral_shoulder", B, &ARM, (0.55, 1.0), (0.16, 0.215)),
    band("posterior_shoulder", B, &ARM, (0.0, 0.55), (0.16, 0.215)),
    band("medial_arm", F, &ARM, (0.0, 0.3), (0.215, 0.335)),
    band("anterior_arm", F, &ARM, (0.3, 0.72), (0.215, 0.335)),
    band("lateral_arm", F, &ARM, (0.72, 1.0), (0.215, 0.335)),
    band("posterior_arm", B, &ARM, (0.0, 0.7), (0.215, 0.335)),
    band("lateral_arm", B, &ARM, (0.7, 1.0), (0.215, 0.335)),
    band("medial_elbow", F, &ARM, (0.0, 0.33), (0.335, 0.38)),
    band("anterior_elbow", F, &ARM, (0.33, 0.72), (0.335, 0.38)),
    band("lateral_elbow", F, &ARM, (0.72, 1.0), (0.335, 0.38)),
    band("medial_elbow", B, &ARM, (0.0, 0.45), (0.335, 0.38)),
    band("lateral_elbow", B, &ARM, (0.45, 1.0), (0.335, 0.38)),
    band("forearm", F, &ARM, (0.0, 1.0), (0.38, 0.48)),
    band("forearm", B, &ARM, (0.0, 1.0), (0.38, 0.48)),
    band("hand", F, &ARM, (0.0, 1.0), (0.48, 0.57)),
    band("hand", B, &ARM, (0.0, 1.0), (0.48, 0.57)),
    // Low back and pelvis, front.
    poly(
        "lower_abdomen",
        F,
        &LOWER,
        &[
            (0.04, 0.345),
            (1.0, 0.345),
            (1.0, 0.385),
            (0.8, 0.385),
            (0.8, 0.425),
            (0.04, 0.425),
        ],
    ),
    band("iliac_crest", F, &LOWER, (0.8, 1.0), (0.385, 0.445)),
    band("groin", F, &LOWER, (0.05, 0.38), (0.425, 0.49)),
    band("anterior_hip", F, &LOWER, (0.38, 0.8), (0.425, 0.49)),
    band("lateral_hip", F, &LOWER, (0.8, 1.0), (0.445, 0.49)),
    mid(
        "pelvic_floor",
        F,
        &LOWER,
        Outline::Band(-0.05, 0.05, 0.45, 0.49),
    ),
    // Low back and pelvis, back.
    band("low_back", B, &LOWER, (0.04, 1.0), (0.345, 0.405)),
    band("sacroiliac", B, &LOWER, (0.04, 0.5), (0.405, 0.45)),
    band("iliac_crest", B, &LOWER, (0.5, 1.0), (0.405, 0.44)),
    mid("coccyx", B, &LOWER, Outline::Band(-0.17, 0.17, 0.45, 0.485)),
    poly(
        "buttock",
        B,
        &LOWER,
        &[
            (0.17, 0.45),
            (0.5, 0.45),
            (0.5, 0.44),
            (0.8, 0.44),
            (0.8, 0.525),
            (0.0, 0.525),
            (0.0, 0.485),
            (0.17, 0.485),
        ],
    ),
    band("lateral_hip", B, &LOWER, (0.8, 1.0), (0.44, 0.525)),
    // Thigh and knee.
    band("medial_thigh", F, &LOWER, (0.0, 0.3), (0.49, 0.685)),
    band("anterior_thigh", F, &LOWER, (0.3, 0.8), (0.49, 0.685)),
    band("lateral_thigh", F, &LOWER, (0.8, 1.0), (0.49, 0.685)),
    band("medial_thigh", B, &LOWER, (0.0, 0.2), (0.525, 0.685)),
    band("posterior_thigh", B, &LOWER, (0.2, 0.85), (0.525, 0.685)),
    band("lateral_thigh", B, &LOWER, (0.85, 1.0), (0.525, 0.685)),
    band("medial_knee", F, &LOWER, (0.0, 0.28), (0.685, 0.745)),
    band("anterior_knee", F, &LOWER, (0.28, 0.72), (0.685, 0.745)),
    band("lateral_knee", F, &LOWER, (0.72, 1.0), (0.685, 0.745)),
    band("posterior_knee", B, &LOWER, (0.0, 1.0), (0.685, 0.745)),
    // Lower leg and ankle.
    band("medial_shin", F, &LOWER, (0.0, 0.25), (0.745, 0.895)),
    band("anterior_shin", F, &LOWER, (0.25, 0.62), (0.745, 0.895)),
    band("lateral_leg", F, &LOWER, (0.62, 1.0), (0.745, 0.895)),
    band("calf", B, &LOWER, (0.0, 1.0), (0.745, 0.86)),
    band("achilles", B, &LOWER, (0.2, 0.75), (0.86, 0.915)),
    band("medial_ankle", F, &LOWER, (0.0, 0.3), (0.895, 0.93)),
    band("anterior_ankle", F, &LOWER, (0.3, 0.72), (0.895, 0.93)),
    band("lateral_ankle", F, &LOWER, (0.72, 1.0), (0.895, 0.93)),
    // Foot: the top of the foot and the toes on the front view, the heel and the sole on the back.
    band("medial_foot", F, &LOWER, (0.0, 0.25), (0.93, 0.965)),
    band("dorsum_foot", F, &LOWER, (0.25, 0.75), (0.93, 0.965)),
    band("lateral_foot", F, &LOWER, (0.75, 1.0), (0.93, 0.965)),
    band("great_toe", F, &LOWER, (0.0, 0.36), (0.965, 1.0)),
    band("lesser_toes", F, &LOWER, (0.36, 1.0), (0.965, 1.0)),
    band("heel", B, &LOWER, (0.1, 0.9), (0.915, 0.955)),
    band("plantar_arch", B, &LOWER, (0.1, 0.9), (0.955, 0.975)),
    band("plantar_forefoot", B, &LOWER, (0.1, 0.9), (0.975, 1.0)),
];

/// A polygon in view coordinates (0..1).
type Polygon = Vec<(f64, f64)>;

/// The outline in view coordinates for `side` (the subject's left, or mirrored for the right):
/// each edge of the corners is sampled every `STEP` of the height, so that a shared edge yields the
/// same points in both neighbours and follows the ribbon's curve.
fn polygon(segment: &Segment, outline: Outline, view: View, side: Side) -> Polygon {
    let corners = outline.corners();
    let mut points = Vec::new();
    for (i, &(f0, y0)) in corners.iter().enumerate() {
        let (f1, y1) = corners[(i + 1) % corners.len()];
        let steps = ((y1 - y0).abs() / STEP).round().max(1.0) as usize;
        for k in 0..steps {
            let t = k as f64 / steps as f64;
            let (f, y) = (f0 + t * (f1 - f0), y0 + t * (y1 - y0));
            let u = segment.at(f, y);
            let x = match view {
                View::Front => 0.5 + u,
                View::Back => 0.5 - u,
            };
            points.push((if side == Side::Right { 1.0 - x } else { x }, y));
        }
    }
    points
}

fn shape_polygon(s: &Shape, side: Side) -> Polygon {
    polygon(s.segment, s.outline, s.view, side)
}

/// Points of an outline may be dropped from the drawing when they lie this close (SVG units) to
/// the straight line that replaces them.
const FLATNESS: f64 = 0.2;

/// An SVG path for polygons in view coordinates, with the points that add nothing visible (on
/// straight stretches) left out.
fn path(polygons: &[Polygon]) -> String {
    let mut d = String::new();
    for p in polygons {
        let p: Vec<(f64, f64)> = p.iter().map(|&(x, y)| (x * W, y * H)).collect();
        for (i, &(x, y)) in simplify(&p).iter().enumerate() {
            d.push(if i == 0 { 'M' } else { 'L' });
            d.push_str(&fmt(x));
            d.push(',');
            d.push_str(&fmt(y));
        }
        d.push('Z');
    }
    d
}

/// Drops each point whose neighbours' chord passes within `FLATNESS` of it and of every point
/// dropped before it (a greedy pass along the closed outline).
fn simplify(p: &[(f64, f64)]) -> Vec<(f64, f64)> {
    if p.len() < 4 {
        return p.to_vec();
    }
    let off = |a: (f64, f64), b: (f64, f64), q: (f64, f64)| {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len = (dx * dx + dy * dy).sqrt();
        if len == 0.0 {
            ((q.0 - a.0).powi(2) + (q.1 - a.1).powi(2)).sqrt()
        } else {
            ((q.0 - a.0) * dy - (q.1 - a.1) * dx).abs() / len
        }
    };
    let mut kept = vec![p[0]];
    let mut last = 0;
    for i in 1..p.len() {
        let next = p[(i + 1) % p.len()];
        let straight = (last + 1..=i).all(|k| off(p[last], next, p[k]) <= FLATNESS);
        if !straight || i + 1 == p.len() && off(p[last], p[0], p[i]) > FLATNESS {
            kept.push(p[i]);
            last = i;
        }
    }
    kept
}

/// The silhouette: every segment's ribbon, both sides (the same outline front and back); the
/// segments on the midline as one outline across it.
fn silhouette() -> String {
    let mut parts = Vec::new();
    for seg in SEGMENTS {
        let (top, bottom) = (seg.top(), seg.bottom());
        if seg.0.iter().all(|k| k.1 == 0.0) {
            parts.push(polygon(
                seg,
                Outline::Band(-1.0, 1.0, top, bottom),
                View::Front,
                Side::Left,
            ));
        } else {
            for side in [Side::Left, Side::Right] {
                parts.push(polygon(
                    seg,
                    Outline::Band(0.0, 1.0, top, bottom),
                    View::Front,
                    side,
                ));
            }
        }
    }
    path(&parts)
}

/// Bounding box size (SVG units) of polygons.
fn extent(polygons: &[Polygon]) -> (f64, f64) {
    let xs = polygons.iter().flatten().map(|p| p.0 * W);
    let ys = polygons.iter().flatten().map(|p| p.1 * H);
    let span = |v: Vec<f64>| {
        v.iter().copied().fold(f64::MIN, f64::max) - v.iter().copied().fold(f64::MAX, f64::min)
    };
    (span(xs.collect()), span(ys.collect()))
}

/// The regions drawn on a view, in head-to-toe order, with the sides they are drawn for (`Both`
/// for a midline shape) and their polygons.
fn drawn(view: View) -> Vec<(&'static str, Side, Vec<Polygon>)> {
    let mut out: Vec<(&'static str, Side, Vec<Polygon>)> = Vec::new();
    for region in Region::all() {
        let shapes: Vec<&Shape> = SHAPES
            .iter()
            .filter(|s| s.view == view && s.region == region.id())
            .collect();
        if shapes.is_empty() {
            continue;
        }
        let sides: &[Side] = if shapes.iter().any(|s| s.mid) {
            &[Side::Both]
        } else {
            &[Side::Left, Side::Right]
        };
        for &side in sides {
            let polys = shapes.iter().map(|s| shape_polygon(s, side)).collect();
            out.push((region.id(), side, polys));
        }
    }
    out
}

fn side_word(side: Side) -> &'static str {
    match side {
        Side::Left => "left",
        Side::Right => "right",
        Side::Both => "both",
    }
}

/// A trigger point drawn on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct Dot {
    /// The trigger point's id (also `data-tp` on the dot).
    pub trigger_point: String,
    /// What a screen reader says.
    pub label: String,
    /// The number drawn in it (a rank), or none for a small plain dot.
    pub number: Option<usize>,
    /// Its view.
    pub view: View,
    /// Position for the subject's left side (mirrored for the right).
    pub x: f64,
    /// Vertical position.
    pub y: f64,
    /// Where activating it leads.
    pub href: String,
    /// Drawn as chosen.
    pub selected: bool,
}

impl Dot {
    /// A finder candidate as a numbered dot that links to its entry in the list.
    pub fn ranked(c: &Candidate) -> Dot {
        Dot {
            trigger_point: c.trigger_point.to_string(),
            label: format!("rank {}: {} ({})", c.rank, c.muscle_name, c.name),
            number: Some(c.rank),
            view: c.view,
            x: c.x,
            y: c.y,
            href: format!("#tp-{}", c.trigger_point),
            selected: false,
        }
    }

    /// A trigger point as a plain dot.
    pub fn plain(tp: &TriggerPoint, href: String, selected: bool) -> Dot {
        Dot {
            trigger_point: tp.id.to_string(),
            label: format!("{} — {}", tp.muscle.replace('_', " "), tp.name),
            number: None,
            view: tp.view,
            x: tp.x,
            y: tp.y,
            href,
            selected,
        }
    }
}

/// The map's stylesheet (served by the single-user app at `/assets/bodymap.css` and by clinic
/// mode at `/bodymap.css`).
pub const CSS: &str = include_str!("../assets/bodymap.css");

/// The session form's map script ([`session_map`]): a click on a dot fills the next finding row
/// (`f{i}_tp`, `f{i}_side`) without a trigger point.
pub const JS: &str = include_str!("../assets/bodymap.js");

/// Both views with every trigger point of the atlas as a plain dot (those in `chosen` marked), for
/// a session form whose finding rows are `f{i}_tp` / `f{i}_side` selects: with [`JS`], a click
/// on a dot puts it in the next empty row.
pub fn session_map(chosen: &[&str]) -> Markup {
    let dots: Vec<Dot> = knots_core::Atlas::shipped()
        .trigger_points()
        .iter()
        .map(|tp| Dot::plain(tp, "#session-map".into(), chosen.contains(&tp.id.as_str())))
        .collect();
    html! {
        div.maps #session-map {
            (view(View::Front, &[], Side::Both, &dots))
            (view(View::Back, &[], Side::Both, &dots))
        }
    }
}

/// One view of the map with its region outlines, selected regions marked, and trigger-point dots
/// on the `side` asked (both sides for `Both`).
pub fn view(view: View, selected: &[Region], side: Side, dots: &[Dot]) -> Markup {
    let (title, note) = match view {
        View::Front => ("Front", "your left is on the right of this picture"),
        View::Back => ("Back", "your left is on the left of this picture"),
    };
    let id = match view {
        View::Front => "map-front",
        View::Back => "map-back",
    };
    let body = silhouette();
    html! {
        figure.map {
            figcaption { strong { (title) } " — " (note) }
            svg id=(id) viewBox=(VIEW_BOX) role="group" aria-label=(format!("{title} body map")) {
                path.silhouette d=(body) {}
                @for (region, s, polys) in drawn(view) {
                    @let on = selected.iter().any(|r| r.id() == region) && side_matches(side, s);
                    @let what = Region::parse(region).map(|r| r.info().label).unwrap_or(region);
                    @let label = if s == Side::Both { what.to_string() } else { format!("{} {}", side_word(s), what) };
                    @let d = path(&polys);
                    @let (w, h) = extent(&polys);
                    g.region.selected[on] tabindex="0" role="button" aria-pressed=(on) data-region=(region) data-side=(side_word(s)) aria-label=(label) {
                        title { (label) " (" (region) ")" }
                        @if w.min(h) < SMALL {
                            path.hit d=(d) {}
                        }
                        path.shape d=(d) {}
                    }
                }
                @for d in dots.iter().filter(|d| d.view == view) {
                    @for s in dot_sides(side) {
                        @let cx = if s == Side::Right { 1.0 - d.x } else { d.x };
                        a.dot.plain[d.number.is_none()].chosen[d.selected] href=(d.href) data-tp=(d.trigger_point) data-side=(side_word(s)) aria-label=(format!("{}, {}", d.label, side_word(s))) {
                            title { (d.label) ", " (side_word(s)) }
                            @if let Some(n) = d.number {
                                circle cx=(fmt(cx * W)) cy=(fmt(d.y * H)) r="6" {}
                                text x=(fmt(cx * W)) y=(fmt(d.y * H + 3.0)) text-anchor="middle" { (n) }
                            } @else {
                                circle cx=(fmt(cx * W)) cy=(fmt(d.y * H)) r="3.5" {}
                            }
                        }
                    }
                }
            }
        }
    }
}

fn side_matches(asked: Side, shape: Side) -> bool {
    asked == Side::Both || shape == Side::Both || asked == shape
}

fn dot_sides(side: Side) -> Vec<Side> {
    match side {
        Side::Both => vec![Side::Left, Side::Right],
        s => vec![s],
    }
}

/// One decimal, without a trailing `.0`.
fn fmt(v: f64) -> String {
    let s = format!("{v:.1}");
    match s.strip_suffix(".0") {
        Some(whole) if whole != "-0" => whole.to_string(),
        Some(_) => "0".to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use knots_core::atlas::Atlas;

    /// A trigger point must lie within this distance (a fraction of the figure's height, about 5 cm
    /// on a runner) of an outline of one of its primary regions on its view.
    const NEAR: f64 = 0.03;

    /// Trigger points whose essential referral zone lies away from the knot itself (or only on the
    /// other view), so no primary region is drawn within `NEAR` of the dot: the knot refers pain
    /// elsewhere. The test checks that each really is farther, so this list stays exact.
    const REFERS_AWAY: &[&str] = &[
        // Head and neck: refer to the head, the side of the neck, the shoulder, the chest.
        "upper_trapezius_2",
        "scalenes",
        "infraspinatus",
        "biceps_brachii",
        // Hip and thigh.
        "iliopsoas_iliacus",
        "rectus_femoris",
        "adductor_magnus_2",
        "vastus_medialis_2",
        "biceps_femoris",
        // Lower leg: refer to the ankle, the foot and the toes.
        "tibialis_anterior",
        "peroneus_longus",
        "peroneus_brevis",
        "extensor_digitorum_longus",
        "extensor_hallucis_longus",
        "soleus_3",
        "tibialis_posterior",
        "flexor_digitorum_longus",
        "flexor_hallucis_longus",
    ];

    /// In units of the figure's height (x scaled by the view's aspect).
    fn scaled(p: (f64, f64)) -> (f64, f64) {
        (p.0 * W / H, p.1)
    }

    fn inside(p: (f64, f64), poly: &[(f64, f64)]) -> bool {
        let mut c = false;
        for i in 0..poly.len() {
            let (a, b) = (poly[i], poly[(i + 1) % poly.len()]);
            if (a.1 > p.1) != (b.1 > p.1) && p.0 < a.0 + (p.1 - a.1) * (b.0 - a.0) / (b.1 - a.1) {
                c = !c;
            }
        }
        c
    }

    fn distance(p: (f64, f64), poly: &[(f64, f64)]) -> f64 {
        if inside(p, poly) {
            return 0.0;
        }
        let p = scaled(p);
        let mut best = f64::MAX;
        for i in 0..poly.len() {
            let (a, b) = (scaled(poly[i]), scaled(poly[(i + 1) % poly.len()]));
            let (dx, dy) = (b.0 - a.0, b.1 - a.1);
            let len = dx * dx + dy * dy;
            let t = if len == 0.0 {
                0.0
            } else {
                (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len).clamp(0.0, 1.0)
            };
            best = best.min(((p.0 - a.0 - t * dx).powi(2) + (p.1 - a.1 - t * dy).powi(2)).sqrt());
        }
        best
    }

    fn area(poly: &[(f64, f64)]) -> f64 {
        let mut a = 0.0;
        for i in 0..poly.len() {
            let (p, q) = (scaled(poly[i]), scaled(poly[(i + 1) % poly.len()]));
            a += p.0 * q.1 - q.0 * p.1;
        }
        (a / 2.0).abs()
    }

    fn centroid(poly: &[(f64, f64)]) -> (f64, f64) {
        let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
        for i in 0..poly.len() {
            let (p, q) = (poly[i], poly[(i + 1) % poly.len()]);
            let cross = p.0 * q.1 - q.0 * p.1;
            a += cross;
            cx += (p.0 + q.0) * cross;
            cy += (p.1 + q.1) * cross;
        }
        (cx / (3.0 * a), cy / (3.0 * a))
    }

    fn views() -> [View; 2] {
        [View::Front, View::Back]
    }

    #[test]
    fn every_region_has_a_shape_on_some_view() {
        for region in Region::all() {
            let drawn = SHAPES.iter().any(|s| s.region == region.id());
            assert!(drawn, "{region} is not on the map");
        }
        for s in SHAPES {
            assert!(
                Region::parse(s.region).is_ok(),
                "{} is not a region",
                s.region
            );
        }
    }

    #[test]
    fn every_shape_is_inside_the_figure_and_on_its_side() {
        for s in SHAPES {
            let (lo, hi) = if s.mid { (-1.0, 1.0) } else { (0.0, 1.0) };
            let corners = s.outline.corners();
            for &(f, y) in &corners {
                assert!(
                    (lo..=hi).contains(&f),
                    "{}: f {f} leaves its segment",
                    s.region
                );
                assert!(
                    y >= s.segment.top() && y <= s.segment.bottom(),
                    "{}: y {y} leaves its segment",
                    s.region
                );
                if s.mid {
                    let mirror = corners
                        .iter()
                        .any(|&(g, z)| (g + f).abs() < 1e-9 && (z - y).abs() < 1e-9);
                    assert!(mirror, "{}: a midline shape must be symmetric", s.region);
                }
            }
            for &(x, y) in &shape_polygon(s, Side::Left) {
                assert!(
                    (0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y),
                    "{} leaves the view",
                    s.region
                );
                let u = match s.view {
                    View::Front => x - 0.5,
                    View::Back => 0.5 - x,
                };
                if !s.mid {
                    assert!(
                        u >= -1e-9,
                        "{} on {:?} is not on the subject's left",
                        s.region,
                        s.view
                    );
                }
                // Inside the silhouette: within its segment's ribbon at that height.
                let (inner, outer) = s.segment.edges(y);
                let inner = if s.mid { -outer } else { inner };
                assert!(
                    u >= inner - 1e-9 && u <= outer + 1e-9,
                    "{} leaves the silhouette at y {y}",
                    s.region
                );
            }
        }
    }

    #[test]
    fn segments_are_ribbons_and_the_arm_hangs_free_of_the_hip() {
        for seg in SEGMENTS {
            assert!(seg.0.windows(2).all(|w| w[0].0 < w[1].0), "knots go down");
            let mut y = seg.top();
            while y <= seg.bottom() {
                let (inner, outer) = seg.edges(y);
                assert!(inner >= 0.0 && inner <= outer, "edges cross at {y}");
                y += STEP / 2.0;
            }
        }
        // Below the armpit the arm does not overlap the trunk or the hip.
        let mut y = 0.30;
        while y <= ARM.bottom() {
            let body = if y <= TRUNK.bottom() {
                TRUNK.edges(y).1
            } else {
                LOWER.edges(y).1
            };
            assert!(ARM.edges(y).0 > body, "the arm overlaps the body at {y}");
            y += STEP / 2.0;
        }
    }

    #[test]
    fn paths_leave_out_points_on_straight_stretches() {
        assert_eq!(fmt(150.0), "150");
        assert_eq!(fmt(-0.04), "0");
        assert_eq!(fmt(12.345), "12.3");
        // A band across the trunk's straight midline keeps its corners and its curved side.
        let p = polygon(
            &TRUNK,
            Outline::Band(0.0, 1.0, 0.2, 0.3),
            View::Front,
            Side::Left,
        );
        let d = path(std::slice::from_ref(&p));
        let drawn = d.matches('L').count() + 1;
        assert!(
            drawn < p.len() && drawn >= 4,
            "{drawn} of {} points drawn",
            p.len()
        );
        assert!(d.starts_with("M150,80L") && d.ends_with('Z'), "{d}");
    }

    #[test]
    fn the_right_side_is_mirrored() {
        for s in SHAPES.iter().filter(|s| !s.mid) {
            let left = shape_polygon(s, Side::Left);
            let right = shape_polygon(s, Side::Right);
            for (l, r) in left.iter().zip(&right) {
                assert!(
                    (l.0 - (1.0 - r.0)).abs() < 1e-12 && l.1 == r.1,
                    "{}",
                    s.region
                );
            }
        }
    }

    /// Bounding box: (x0, y0, x1, y1).
    fn bbox(poly: &[(f64, f64)]) -> (f64, f64, f64, f64) {
        poly.iter()
            .fold((f64::MAX, f64::MAX, f64::MIN, f64::MIN), |b, p| {
                (b.0.min(p.0), b.1.min(p.1), b.2.max(p.0), b.3.max(p.1))
            })
    }

    #[test]
    fn regions_of_one_view_do_not_overlap() {
        for view in views() {
            let regions = drawn(view);
            let shapes: Vec<(String, &Polygon)> = regions
                .iter()
                .flat_map(|(region, side, polys)| {
                    polys.iter().map(move |p| (format!("{region} {side:?}"), p))
                })
                .collect();
            for (i, (name, poly)) in shapes.iter().enumerate() {
                let c = centroid(poly);
                assert!(inside(c, poly), "{view:?} {name}: its centre is outside it");
                for (other, o) in shapes.iter().skip(i + 1) {
                    if other == name {
                        continue;
                    }
                    assert!(
                        !inside(c, o),
                        "{view:?}: the centre of {name} is inside {other}"
                    );
                    assert!(
                        !inside(centroid(o), poly),
                        "{view:?}: the centre of {other} is inside {name}"
                    );
                    // Shared edges are fine; a real overlap is not: sample where the boxes meet
                    // and allow under 2 % of the smaller shape's area in common.
                    let (a, b) = (bbox(poly), bbox(o));
                    let (x0, y0, x1, y1) = (a.0.max(b.0), a.1.max(b.1), a.2.min(b.2), a.3.min(b.3));
                    if x0 >= x1 || y0 >= y1 {
                        continue;
                    }
                    let n = 24;
                    let mut both = 0;
                    for i in 0..n {
                        for j in 0..n {
                            let p = (
                                x0 + (x1 - x0) * (i as f64 + 0.5) / n as f64,
                                y0 + (y1 - y0) * (j as f64 + 0.5) / n as f64,
                            );
                            if inside(p, poly) && inside(p, o) {
                                both += 1;
                            }
                        }
                    }
                    let common = both as f64 / (n * n) as f64 * (x1 - x0) * (y1 - y0) * W / H;
                    let smaller = area(poly).min(area(o));
                    assert!(
                        common < 0.02 * smaller,
                        "{view:?}: {name} overlaps {other} ({:.1} %)",
                        100.0 * common / smaller
                    );
                }
            }
        }
    }

    #[test]
    fn every_trigger_point_lies_on_the_figure_next_to_a_primary_region() {
        let mut far = Vec::new();
        for tp in Atlas::shipped().trigger_points() {
            let shapes = drawn(tp.view);
            let left = |region: &'static str| {
                shapes
                    .iter()
                    .filter(move |s| s.0 == region && s.1 != Side::Right)
                    .flat_map(|s| s.2.iter())
            };
            let p = (tp.x, tp.y);
            let on_body = shapes
                .iter()
                .filter(|s| s.1 != Side::Right)
                .flat_map(|s| s.2.iter())
                .map(|poly| distance(p, poly))
                .fold(f64::MAX, f64::min);
            assert!(
                on_body <= 0.01,
                "{} ({:?} {p:?}) is off the figure by {on_body:.3}",
                tp.id.as_str(),
                tp.view
            );
            let near = tp
                .primary
                .iter()
                .flat_map(|r| left(r.id()))
                .map(|poly| distance(p, poly))
                .fold(f64::MAX, f64::min);
            let away = REFERS_AWAY.contains(&tp.id.as_str());
            if near > NEAR && !away {
                far.push(format!(
                    "{} ({:?} {p:?}): {near:.3} from {:?}",
                    tp.id.as_str(),
                    tp.view,
                    tp.primary.iter().map(|r| r.id()).collect::<Vec<_>>()
                ));
            }
            if away && near <= NEAR {
                far.push(format!(
                    "{} is listed in REFERS_AWAY but lies {near:.3} from a primary region",
                    tp.id.as_str()
                ));
            }
        }
        assert!(
            far.is_empty(),
            "trigger points away from their primary regions:\n{}",
            far.join("\n")
        );
        for id in REFERS_AWAY {
            assert!(
                Atlas::shipped().trigger_point(id).is_ok(),
                "{id} is not in the atlas"
            );
        }
    }

    #[test]
    fn the_page_has_labelled_keyboard_regions_and_a_silhouette() {
        let html = view(
            View::Back,
            &[Region::parse("upper_trapezius").unwrap()],
            Side::Left,
            &[],
        )
        .into_string();
        assert!(html.contains(r#"class="silhouette""#));
        assert!(html.contains(r#"<g class="region selected" tabindex="0" role="button" aria-pressed="true" data-region="upper_trapezius" data-side="left""#));
        assert!(html.contains(r#"data-region="upper_trapezius" data-side="right" aria-label="right top of the shoulder"#));
        assert!(html.contains(r#"data-region="occiput" data-side="both""#));
        assert!(!html.contains("<rect"));
        // Small regions get an invisible hit outline; large ones do not.
        let front = view(View::Front, &[], Side::Both, &[]).into_string();
        let toe = front.split(r#"data-region="great_toe""#).nth(1).unwrap();
        assert!(toe[..toe.find("</g>").unwrap()].contains(r#"class="hit""#));
        let thigh = front
            .split(r#"data-region="anterior_thigh""#)
            .nth(1)
            .unwrap();
        assert!(!thigh[..thigh.find("</g>").unwrap()].contains(r#"class="hit""#));
    }
}
