//! Hand-templated SVG charts for reports: pure functions from numbers to markup, no IO and no
//! plotting crate, so the CLI's HTML report and a future web page draw the same plots.
//!
//! A chart is a [`Chart`] value (axes, series, markers, bands); [`render`] gives one `<svg>` element
//! that scales to its container (`viewBox`, `width="100%"`) and prints in black and white thanks
//! to distinct dash patterns and markers as well as colours.

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
    /// A short label (shown as a tooltip title and, when `show_label`, on the chart).
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

/// Escapes text for XML/HTML content and attributes.
///
/// # Examples
/// ```
/// assert_eq!(knots_core::analytics::svg::escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
/// ```
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
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
/// assert_eq!(knots_core::analytics::svg::nice_ticks(0.0, 9.0), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
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

/// Renders the chart as one `<svg>` element.
pub fn render(c: &Chart) -> String {
    let (x0, x1) = c.x_range;
    let (y0, y1) = c.y_range;
    let xs = |x: f64| LEFT + (x - x0) / (x1 - x0).max(1e-9) * (W - LEFT - RIGHT);
    let ys = |y: f64| TOP + (1.0 - (y - y0) / (y1 - y0).max(1e-9)) * (H - TOP - BOTTOM);
    let rows = {
        let (mut lx, mut rows) = (LEFT, 1.0);
        for se in &c.series {
            let w = 20.0 + 6.0 * se.name.chars().count() as f64;
            if lx > LEFT && lx + w > W - RIGHT {
                lx = LEFT;
                rows += 1.0;
            }
            lx += w;
        }
        rows
    };
    let height = H + (rows - 1.0) * 14.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg viewBox="0 0 {W} {height}" width="100%" role="img" aria-label="{t}" class="chart"><title>{t}</title>"#,
        t = escape(&c.title)
    );
    let _ = write!(
        s,
        r##"<text x="{LEFT}" y="16" font-size="13" font-weight="bold" fill="#222">{}</text>"##,
        escape(&c.title)
    );
    for b in &c.bands {
        let (top, bottom) = (ys(b.high.min(y1)), ys(b.low.max(y0)));
        if (b.high - b.low).abs() < 1e-12 {
            let _ = write!(
                s,
                r#"<line x1="{LEFT}" x2="{:.1}" y1="{top:.1}" y2="{top:.1}" stroke="{}" stroke-dasharray="2 3"/>"#,
                W - RIGHT,
                escape(&b.colour)
            );
        } else {
            let _ = write!(
                s,
                r#"<rect x="{LEFT}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="{}" opacity="0.18"/>"#,
                W - LEFT - RIGHT,
                (bottom - top).max(0.0),
                escape(&b.colour)
            );
        }
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end" fill="{}">{}</text>"#,
            W - RIGHT - 2.0,
            top - 2.0,
            escape(&b.colour),
            escape(&b.label)
        );
    }
    // Axes and grid (ticks outside the y range would be drawn off the plot).
    let (y_lo, y_hi) = (y0.min(y1), y0.max(y1));
    for t in c.y_ticks.iter().filter(|t| (y_lo..=y_hi).contains(*t)) {
        let y = ys(*t);
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end" fill="#444">{}</text>"##,
            W - RIGHT,
            LEFT - 4.0,
            y + 3.0,
            trim(*t)
        );
    }
    let last_tick = c.x_ticks.len().saturating_sub(1);
    for (i, (x, label)) in c.x_ticks.iter().enumerate() {
        let px = xs(*x);
        let anchor = if i == last_tick && i > 0 {
            "end"
        } else {
            "middle"
        };
        let _ = write!(
            s,
            r##"<line x1="{px:.1}" x2="{px:.1}" y1="{:.1}" y2="{:.1}" stroke="#999"/><text x="{px:.1}" y="{:.1}" font-size="10" text-anchor="{anchor}" fill="#444">{}</text>"##,
            H - BOTTOM,
            H - BOTTOM + 4.0,
            H - BOTTOM + 15.0,
            escape(label)
        );
    }
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" x2="{:.1}" y1="{b:.1}" y2="{b:.1}" stroke="#444"/><line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{b:.1}" stroke="#444"/><text x="10" y="{:.1}" font-size="10" fill="#444" transform="rotate(-90 10 {:.1})" text-anchor="middle">{}</text>"##,
        W - RIGHT,
        (TOP + H - BOTTOM) / 2.0,
        (TOP + H - BOTTOM) / 2.0,
        escape(&c.y_label),
        b = H - BOTTOM
    );
    for m in &c.markers {
        let px = xs(m.x);
        let _ = write!(
            s,
            r#"<line x1="{px:.1}" x2="{px:.1}" y1="{TOP}" y2="{:.1}" stroke="{}" stroke-width="1" opacity="0.6"><title>{}</title></line><path d="M{:.1} {:.1} l4 -7 l-8 0 z" fill="{}"><title>{}</title></path>"#,
            H - BOTTOM,
            escape(&m.colour),
            escape(&m.label),
            px + 0.0,
            TOP,
            escape(&m.colour),
            escape(&m.label)
        );
    }
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
    let mut bar_i = 0.0;
    for se in &c.series {
        let colour = escape(&se.colour);
        match se.kind {
            Kind::Bars => {
                for (x, y) in &se.points {
                    if let Some(y) = y {
                        let top = ys(y.max(y0));
                        let _ = write!(
                            s,
                            r#"<rect x="{:.1}" y="{top:.1}" width="{bar_w:.1}" height="{:.1}" fill="{colour}"/>"#,
                            xs(*x) - bar_w * (n_bars as f64 / 2.0) + bar_i * bar_w,
                            (ys(y0.max(0.0)) - top).max(0.0)
                        );
                    }
                }
                bar_i += 1.0;
            }
            Kind::Line | Kind::Dots => {
                if se.kind == Kind::Line {
                    let mut d = String::new();
                    let mut pen = false;
                    for (x, y) in &se.points {
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
                    let _ = write!(
                        s,
                        r#"<path d="{}" fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{}"/>"#,
                        d.trim_end(),
                        escape(&se.dash)
                    );
                }
                let r = if se.kind == Kind::Dots { 3.0 } else { 2.2 };
                if se.points.len() <= 400 || se.kind == Kind::Dots {
                    for (x, y) in &se.points {
                        if let Some(y) = y {
                            let _ = write!(
                                s,
                                r#"<circle cx="{:.1}" cy="{:.1}" r="{r}" fill="{colour}"/>"#,
                                xs(*x),
                                ys(*y)
                            );
                        }
                    }
                }
            }
        }
    }
    // Legend, wrapped into rows below the plot.
    let (mut lx, mut ly) = (LEFT, H - 20.0);
    for se in &c.series {
        let w = 20.0 + 6.0 * se.name.chars().count() as f64;
        if lx > LEFT && lx + w > W - RIGHT {
            lx = LEFT;
            ly += 14.0;
        }
        let _ = write!(
            s,
            r##"<rect x="{lx:.1}" y="{ly:.1}" width="10" height="10" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#222">{}</text>"##,
            escape(&se.colour),
            lx + 13.0,
            ly + 9.0,
            escape(&se.name)
        );
        lx += w;
    }
    s.push_str("</svg>");
    s
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
        let svg = render(&c);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<svg").count(), 1);
        assert!(svg.contains("pain &lt;free&gt; km"));
        assert!(!svg.contains("href"));
    }
}
