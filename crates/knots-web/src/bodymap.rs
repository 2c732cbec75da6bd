//! The body map: a front and a back view, authored here as simple SVG shapes (a silhouette and one
//! addressable shape per region and side), with the finder's trigger points drawn as numbered dots.
//!
//! Coordinates follow the atlas convention (`crates/knots-core/atlas/README.md`): 0..1 across and
//! down each view, given for the subject's LEFT side; the right side is mirrored with `1 - x`. In the
//! front view the subject's left is on the viewer's right, and the page says so.

use knots_core::atlas::TriggerPoint;
use knots_core::atlas::View;
use knots_core::finder::Candidate;
use knots_core::journal::Side;
use knots_core::region::Region;
use maud::{Markup, html};

const W: f64 = 200.0;
const H: f64 = 400.0;

/// A region's shape on one view, for the subject's left side: (region id, x, y, width, height).
type Shape = (&'static str, f64, f64, f64, f64);

const FRONT: &[Shape] = &[
    ("lower_abdomen", 0.505, 0.36, 0.09, 0.07),
    ("iliac_crest", 0.60, 0.405, 0.05, 0.03),
    ("anterior_hip", 0.555, 0.44, 0.065, 0.04),
    ("lateral_hip", 0.625, 0.445, 0.035, 0.07),
    ("groin", 0.505, 0.46, 0.05, 0.04),
    ("medial_thigh", 0.51, 0.51, 0.04, 0.17),
    ("anterior_thigh", 0.55, 0.51, 0.07, 0.17),
    ("lateral_thigh", 0.62, 0.52, 0.035, 0.16),
    ("medial_knee", 0.515, 0.69, 0.03, 0.05),
    ("anterior_knee", 0.545, 0.69, 0.05, 0.05),
    ("lateral_knee", 0.595, 0.69, 0.035, 0.05),
    ("medial_shin", 0.515, 0.745, 0.025, 0.155),
    ("anterior_shin", 0.54, 0.745, 0.035, 0.155),
    ("lateral_leg", 0.575, 0.745, 0.03, 0.155),
    ("medial_ankle", 0.515, 0.905, 0.02, 0.025),
    ("anterior_ankle", 0.535, 0.905, 0.04, 0.025),
    ("lateral_ankle", 0.575, 0.905, 0.025, 0.025),
    ("medial_foot", 0.515, 0.932, 0.02, 0.035),
    ("dorsum_foot", 0.535, 0.932, 0.045, 0.035),
    ("lateral_foot", 0.58, 0.932, 0.02, 0.035),
    ("great_toe", 0.515, 0.968, 0.025, 0.028),
    ("lesser_toes", 0.54, 0.968, 0.045, 0.028),
];

const BACK: &[Shape] = &[
    ("low_back", 0.40, 0.355, 0.10, 0.06),
    ("iliac_crest", 0.35, 0.405, 0.05, 0.03),
    ("sacroiliac", 0.44, 0.415, 0.06, 0.035),
    ("lateral_hip", 0.34, 0.45, 0.035, 0.06),
    ("buttock", 0.375, 0.45, 0.10, 0.065),
    ("posterior_thigh", 0.37, 0.52, 0.11, 0.165),
    ("posterior_knee", 0.39, 0.69, 0.08, 0.05),
    ("calf", 0.395, 0.745, 0.075, 0.115),
    ("achilles", 0.42, 0.865, 0.03, 0.045),
    ("heel", 0.415, 0.915, 0.04, 0.028),
    ("plantar_arch", 0.415, 0.946, 0.045, 0.022),
    ("plantar_forefoot", 0.415, 0.97, 0.045, 0.025),
];

/// Midline regions, drawn once: (view, region id, x, y, width, height) in viewer coordinates.
const MIDLINE: &[(View, &str, f64, f64, f64, f64)] = &[
    (View::Back, "coccyx", 0.485, 0.455, 0.03, 0.03),
    (View::Front, "pelvic_floor", 0.49, 0.5, 0.02, 0.02),
];

/// The silhouette of a standing figure (viewer coordinates, 0..1).
const BODY: &str = "M82,48 L118,48 L150,64 L160,150 L150,160 L146,110 L138,150 \
L134,190 L130,280 L124,370 L126,398 L104,398 L106,370 L102,280 L100,200 L98,280 L94,370 L96,398 L74,398 \
L76,370 L70,280 L66,190 L62,150 L54,110 L50,160 L40,150 L50,64 Z";

fn side_word(side: Side) -> &'static str {
    match side {
        Side::Left => "left",
        Side::Right => "right",
        Side::Both => "both",
    }
}

fn mirrored(x: f64, w: f64, side: Side) -> f64 {
    match side {
        Side::Right => 1.0 - x - w,
        _ => x,
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

/// One view of the map with its region shapes, selected regions marked, and trigger-point dots on
/// the `side` asked (both sides for `Both`).
pub fn view(view: View, selected: &[Region], side: Side, dots: &[Dot]) -> Markup {
    let (shapes, title, note) = match view {
        View::Front => (FRONT, "Front", "your left is on the right of this picture"),
        View::Back => (BACK, "Back", "your left is on the left of this picture"),
    };
    let id = match view {
        View::Front => "map-front",
        View::Back => "map-back",
    };
    html! {
        figure.map {
            figcaption { strong { (title) } " — " (note) }
            svg id=(id) viewBox=(format!("0 0 {W} {H}")) role="group" aria-label=(format!("{title} body map")) {
                circle.body cx="100" cy="26" r="19" {}
                path.body d=(BODY) {}
                @for s in [Side::Left, Side::Right] {
                    @for &(region, x, y, w, h) in shapes {
                        @let on = selected.iter().any(|r| r.id() == region) && side_matches(side, s);
                        @let label = format!("{} {}", side_word(s), Region::parse(region).map(|r| r.info().label).unwrap_or(region));
                        g.region.selected[on] tabindex="0" role="button" aria-pressed=(on) data-region=(region) data-side=(side_word(s)) aria-label=(label) {
                            title { (label) " (" (region) ")" }
                            rect x=(fmt(mirrored(x, w, s) * W)) y=(fmt(y * H)) width=(fmt(w * W)) height=(fmt(h * H)) rx="3" {}
                        }
                    }
                }
                @for &(v, region, x, y, w, h) in MIDLINE {
                    @if v == view {
                        @let on = selected.iter().any(|r| r.id() == region);
                        g.region.selected[on] tabindex="0" role="button" aria-pressed=(on) data-region=(region) data-side="both" aria-label=(region) {
                            title { (region) }
                            rect x=(fmt(x * W)) y=(fmt(y * H)) width=(fmt(w * W)) height=(fmt(h * H)) rx="3" {}
                        }
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
    asked == Side::Both || asked == shape
}

fn dot_sides(side: Side) -> Vec<Side> {
    match side {
        Side::Both => vec![Side::Left, Side::Right],
        s => vec![s],
    }
}

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_region_has_a_shape_on_some_view() {
        for region in Region::all() {
            let drawn = FRONT.iter().chain(BACK).any(|s| s.0 == region.id())
                || MIDLINE.iter().any(|m| m.1 == region.id());
            assert!(drawn, "{region} is not on the map");
        }
    }

    #[test]
    fn shapes_are_inside_the_view_and_on_the_left_side() {
        for &(id, x, y, w, h) in FRONT {
            assert!(x >= 0.5 && x + w <= 1.0 && y + h <= 1.0, "front {id}");
        }
        for &(id, x, y, w, h) in BACK {
            assert!(x >= 0.0 && x + w <= 0.5 && y + h <= 1.0, "back {id}");
        }
    }

    #[test]
    fn the_right_side_is_mirrored() {
        assert_eq!(mirrored(0.6, 0.1, Side::Right), 1.0 - 0.6 - 0.1);
        assert_eq!(mirrored(0.6, 0.1, Side::Left), 0.6);
    }
}
