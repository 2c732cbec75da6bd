//! SVG charts in maud: pure functions from numbers to markup, no plotting crate, so the HTML
//! report and the web pages (runs, one run, one knot) draw the same plots, escaped by the
//! template engine.
//!
//! A chart is a [`Chart`] value (axes, series, markers, bands); [`render`] gives one `<svg>` element
//! that scales to its container (`viewBox`, `width="100%"`) and prints in black and white thanks
//! to distinct dash patterns and markers as well as colours.

use jiff::civil::Date;
use maud::{Markup, html};
use std::fmt::Write as _;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A polyline with a dot on each point.
    Line,
    /// Dots only.
    Dots,
    /// Vertical bars from 0.
    Bars,
}

/// A named series of (x, y) points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The legend's name.
    pub name: String,
    /// A CSS colour.
    pub colour: String,
    /// How to draw it.
    pub kind: Kind,
    /// The points; a `None` y breaks a line.
    pub points: Vec<(f64, Option<f64>)>,
    /// An SVG `stroke-dasharray` for lines (empty for solid).
    pub dash: String,
}

/// A vertical marker, e.g. a treatment.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Where on the x axis.
    pub x: f64,
    /// A short label (shown as a tooltip title).
    pub label: String,
    /// A CSS colour.
    pub colour: String,
}

/// A horizontal band, e.g. a "sweet spot", or a line when `low == high`.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Bottom.
    pub low: f64,
    /// Top.
    pub high: f64,
    /// A label drawn at its right end.
    pub label: String,
    /// A CSS colour.
    pub colour: String,
}

/// A chart.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Chart {
    /// The title (also the SVG's accessible name).
    pub title: String,
    /// The y axis's label.
    pub y_label: String,
    /// x range.
    pub x_range: (f64, f64),
    /// y range.
    pub y_range: (f64, f64),
    /// x tick positions and labels.
    pub x_ticks: Vec<(f64, String)>,
    /// y tick positions (labelled with their value).
    pub y_ticks: Vec<f64>,
    /// The series.
    pub series: Vec<Series>,
    /// Vertical markers.
    pub markers: Vec<Marker>,
    /// Horizontal bands.
    pub bands: Vec<Band>,
}

const W: f64 = 640.0;
const H: f64 = 260.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 48.0;

/// Evenly spaced "nice" ticks from 0 (or `low`) to at least `high`.
///
/// # Examples
/// ```
/// assert_eq!(knots_view::chart::nice_ticks(0.0, 9.0), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
/// ```
pub fn nice_ticks(low: f64, high: f64) -> Vec<f64> {
    let span = (high - low).max(1e-9);
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| span / s <= 5.0)
        .unwrap_or(mag * 10.0);
    let start = (low / step).floor() * step;
    let mut ticks = Vec::new();
    let mut t = start;
    while t < high + step - 1e-9 {
        ticks.push((t * 1e6).round() / 1e6);
        t += step;
        if ticks.len() > 12 {
            break;
        }
    }
    ticks
}

/// Days from `from` to `d` (negative before it), as a chart's x.
pub fn offset(from: Date, d: Date) -> f64 {
    from.until(d).map_or(0.0, |s| f64::from(s.get_days()))
}

/// Six date labels from `from` to `to` (`%b %d`, or `%Y-%m` over more than 400 days) at their
/// [`offset`]s.
pub fn date_ticks(from: Date, to: Date) -> Vec<(f64, String)> {
    let span = offset(from, to).max(1.0);
    (0..=5)
        .map(|i| {
            let x = (span * f64::from(i) / 5.0).round();
            let d = from
                .checked_add(jiff::Span::new().days(x as i64))
                .unwrap_or(from);
            let label = if span > 400.0 {
                d.strftime("%Y-%m").to_string()
            } else {
                d.strftime("%b %d").to_string()
            };
            (x, label)
        })
        .collect()
}

/// Renders the chart as one `<svg>` element.
///
/// # Examples
/// ```
/// use knots_view::chart::{Chart, render};
/// let svg = render(&Chart { title: "km <per> run".into(), ..Chart::default() }).into_string();
/// assert!(svg.starts_with("<svg") && svg.contains("km &lt;per&gt; run"));
/// ```
pub fn render(c: &Chart) -> Markup {
    let (x0, x1) = c.x_range;
    let (y0, y1) = c.y_range;
    let xs = |x: f64| LEFT + (x - x0) / (x1 - x0).max(1e-9) * (W - LEFT - RIGHT);
    let ys = |y: f64| TOP + (1.0 - (y - y0) / (y1 - y0).max(1e-9)) * (H - TOP - BOTTOM);
    let legend = legend(&c.series);
    let rows = legend.last().map_or(0.0, |(_, y)| (y - (H - 20.0)) / 14.0) + 1.0;
    let height = H + (rows - 1.0) * 14.0;
    // Ticks outside the y range would be drawn off the plot.
    let (y_lo, y_hi) = (y0.min(y1), y0.max(y1));
    let y_ticks = c.y_ticks.iter().filter(|t| (y_lo..=y_hi).contains(*t));
    let last_tick = c.x_ticks.len().saturating_sub(1);
    let n_bars = c.series.iter().filter(|se| se.kind == Kind::Bars).count();
    let bar_w = {
        let pts = c
            .series
            .iter()
            .filter(|se| se.kind == Kind::Bars)
            .map(|se| se.points.len())
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        ((W - LEFT - RIGHT) / pts * 0.7 / n_bars.max(1) as f64).clamp(1.0, 24.0)
    };
    let bottom = H - BOTTOM;
    let middle = (TOP + bottom) / 2.0;
    html! {
        svg.chart viewBox=(format!("0 0 {W} {height}")) width="100%" role="img" aria-label=(c.title) {
            title { (c.title) }
            text x=(LEFT) y="16" font-size="13" font-weight="bold" fill="#222" { (c.title) }
            @for b in &c.bands {
                @let (top, low) = (ys(b.high.min(y1)), ys(b.low.max(y0)));
                @if (b.high - b.low).abs() < 1e-12 {
                    line x1=(LEFT) x2=(W - RIGHT) y1=(f1(top)) y2=(f1(top)) stroke=(b.colour) stroke-dasharray="2 3" {}
                } @else {
                    rect x=(LEFT) y=(f1(top)) width=(f1(W - LEFT - RIGHT)) height=(f1((low - top).max(0.0))) fill=(b.colour) opacity="0.18" {}
                }
                text x=(f1(W - RIGHT - 2.0)) y=(f1(top - 2.0)) font-size="10" text-anchor="end" fill=(b.colour) { (b.label) }
            }
            @for t in y_ticks {
                @let y = ys(*t);
                line x1=(LEFT) x2=(W - RIGHT) y1=(f1(y)) y2=(f1(y)) stroke="#ddd" {}
                text x=(LEFT - 4.0) y=(f1(y + 3.0)) font-size="10" text-anchor="end" fill="#444" { (trim(*t)) }
            }
            @for (i, (x, label)) in c.x_ticks.iter().enumerate() {
                @let px = f1(xs(*x));
                line x1=(px) x2=(px) y1=(bottom) y2=(bottom + 4.0) stroke="#999" {}
                text x=(px) y=(bottom + 15.0) font-size="10" text-anchor=(if i == last_tick && i > 0 { "end" } else { "middle" }) fill="#444" { (label) }
            }
            line x1=(LEFT) x2=(W - RIGHT) y1=(bottom) y2=(bottom) stroke="#444" {}
            line x1=(LEFT) x2=(LEFT) y1=(TOP) y2=(bottom) stroke="#444" {}
            text x="10" y=(middle) font-size="10" fill="#444" transform=(format!("rotate(-90 10 {middle})")) text-anchor="middle" { (c.y_label) }
            @for m in &c.markers {
                @let px = xs(m.x);
                line x1=(f1(px)) x2=(f1(px)) y1=(TOP) y2=(bottom) stroke=(m.colour) stroke-width="1" opacity="0.6" { title { (m.label) } }
                path d=(format!("M{px:.1} {TOP:.1} l4 -7 l-8 0 z")) fill=(m.colour) { title { (m.label) } }
            }
            @for (bar_i, se) in c.series.iter().filter(|se| se.kind == Kind::Bars).enumerate() {
                @for (x, y) in &se.points {
                    @if let Some(y) = y {
                        @let top = ys(y.max(y0));
                        rect x=(f1(xs(*x) - bar_w * (n_bars as f64 / 2.0) + bar_i as f64 * bar_w)) y=(f1(top)) width=(f1(bar_w)) height=(f1((ys(y0.max(0.0)) - top).max(0.0))) fill=(se.colour) {}
                    }
                }
            }
            @for se in c.series.iter().filter(|se| se.kind != Kind::Bars) {
                @if se.kind == Kind::Line {
                    path d=(line_path(&se.points, &xs, &ys)) fill="none" stroke=(se.colour) stroke-width="2" stroke-dasharray=(se.dash) {}
                }
                @if se.points.len() <= 400 || se.kind == Kind::Dots {
                    @for (x, y) in &se.points {
                        @if let Some(y) = y {
                            circle cx=(f1(xs(*x))) cy=(f1(ys(*y))) r=(if se.kind == Kind::Dots { "3" } else { "2.2" }) fill=(se.colour) {}
                        }
                    }
                }
            }
            @for (se, (lx, ly)) in c.series.iter().zip(&legend) {
                rect x=(f1(*lx)) y=(f1(*ly)) width="10" height="10" fill=(se.colour) {}
                text x=(f1(lx + 13.0)) y=(f1(ly + 9.0)) font-size="10" fill="#222" { (se.name) }
            }
        }
    }
}

/// Where each series' legend entry goes: rows below the plot, wrapped at the chart's width.
fn legend(series: &[Series]) -> Vec<(f64, f64)> {
    let (mut lx, mut ly) = (LEFT, H - 20.0);
    let mut out = Vec::with_capacity(series.len());
    for se in series {
        let w = 20.0 + 6.0 * se.name.chars().count() as f64;
        if lx > LEFT && lx + w > W - RIGHT {
            lx = LEFT;
            ly += 14.0;
        }
        out.push((lx, ly));
        lx += w;
    }
    out
}

/// An SVG path through the points; a `None` lifts the pen.
fn line_path(
    points: &[(f64, Option<f64>)],
    xs: &impl Fn(f64) -> f64,
    ys: &impl Fn(f64) -> f64,
) -> String {
    let mut d = String::new();
    let mut pen = false;
    for (x, y) in points {
        match y {
            Some(y) => {
                let _ = write!(
                    d,
                    "{}{:.1} {:.1} ",
                    if pen { "L" } else { "M" },
                    xs(*x),
                    ys(*y)
                );
                pen = true;
            }
            None => pen = false,
        }
    }
    d.trim_end().to_string()
}

/// A coordinate with one decimal.
fn f1(v: f64) -> String {
    format!("{v:.1}")
}

fn trim(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_one_escaped_svg_element() {
        let c = Chart {
            title: "pain <free> km".into(),
            y_label: "km".into(),
            x_range: (0.0, 10.0),
            y_range: (0.0, 10.0),
            x_ticks: vec![(0.0, "start".into())],
            y_ticks: nice_ticks(0.0, 10.0),
            series: vec![Series {
                name: "km".into(),
                colour: "#1f77b4".into(),
                kind: Kind::Line,
                points: vec![(0.0, Some(1.0)), (5.0, None), (10.0, Some(9.0))],
                dash: String::new(),
            }],
            markers: vec![Marker {
                x: 3.0,
                label: "deep_tissue".into(),
                colour: "red".into(),
            }],
            bands: vec![],
        };
        let svg = render(&c).into_string();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<svg").count(), 1);
        assert!(svg.contains("pain &lt;free&gt; km"));
        assert!(!svg.contains("href"));
        // The line lifts its pen at the gap, and the marker carries its label.
        assert!(svg.contains(r#"d="M44.0 "#) && svg.matches(" M").count() == 1);
        assert!(svg.contains("<title>deep_tissue</title>"));
    }

    #[test]
    fn hostile_names_stay_text() {
        let c = Chart {
            title: "t".into(),
            series: vec![Series {
                name: "<script>alert(1)</script>\"'".into(),
                colour: "red\" onload=\"x".into(),
                kind: Kind::Bars,
                points: vec![(0.0, Some(1.0))],
                dash: String::new(),
            }],
            ..Chart::default()
        };
        let svg = render(&c).into_string();
        assert!(!svg.contains("<script>") && !svg.contains("\" onload"));
        assert!(svg.contains("&lt;script&gt;"));
    }
}
