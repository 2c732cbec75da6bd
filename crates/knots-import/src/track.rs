//! Summaries over a sequence of track points, shared by the GPX, TCX and FIT readers.

use crate::activity::{Climb, Sample, Stat, downsample, finite, geodesic_m};

/// One track point. Missing values are NaN; time is seconds since the Unix epoch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Point {
    pub(crate) time: f64,
    pub(crate) lat: f64,
    pub(crate) lon: f64,
    pub(crate) altitude: f64,
    pub(crate) hr: f64,
    pub(crate) cadence: f64,
    /// The device's cumulative distance, in metres.
    pub(crate) distance: f64,
}

impl Default for Point {
    fn default() -> Self {
        Point {
            time: f64::NAN,
            lat: f64::NAN,
            lon: f64::NAN,
            altitude: f64::NAN,
            hr: f64::NAN,
            cadence: f64::NAN,
            distance: f64::NAN,
        }
    }
}

impl Point {
    fn position(&self) -> Option<(f64, f64)> {
        (self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon))
        .then_some((self.lat, self.lon))
    }
}

/// The most track points kept per activity: 24 days at one a second. Points past it are left
/// out (the parsers warn), so a file of millions of tiny points costs at most this many.
pub(crate) const MAX_TRACK_POINTS: usize = 1 << 21;

/// Accumulates points one at a time (a streaming parser pushes as it reads).
///
/// Geodesic distances are computed only when asked for ([`TrackBuilder::geodesic_m`]): a FIT
/// file carries the device's distance, and Karney's algorithm is the costliest step per point.
#[derive(Debug)]
pub(crate) struct TrackBuilder {
    points: Vec<Point>,
    /// Indices of points that start a new segment (no distance from the point before).
    breaks: Vec<usize>,
    pending_break: bool,
    /// Geodesic distance from the first point to each point, once measured.
    along: Option<(Vec<f64>, f64)>,
    pub(crate) climb: Climb,
    pub(crate) hr: Stat,
    pub(crate) cadence: Stat,
    min_time: f64,
    max_time: f64,
    timed: usize,
    max_distance: Option<f64>,
    min_distance: Option<f64>,
    positions: usize,
    /// Points left out past [`MAX_TRACK_POINTS`].
    pub(crate) dropped: usize,
}

impl TrackBuilder {
    pub(crate) fn new() -> Self {
        TrackBuilder {
            points: Vec::new(),
            breaks: Vec::new(),
            pending_break: false,
            along: None,
            climb: Climb::default(),
            hr: Stat::default(),
            cadence: Stat::default(),
            min_time: f64::INFINITY,
            max_time: f64::NEG_INFINITY,
            timed: 0,
            max_distance: None,
            min_distance: None,
            positions: 0,
            dropped: 0,
        }
    }

    pub(crate) fn push(&mut self, p: Point) {
        if self.points.len() >= MAX_TRACK_POINTS {
            self.dropped += 1;
            return;
        }
        if p.position().is_some() {
            self.positions += 1;
        }
        self.climb.push(p.altitude);
        self.hr.push(p.hr);
        self.cadence.push(p.cadence);
        if p.time.is_finite() {
            self.timed += 1;
            self.min_time = self.min_time.min(p.time);
            self.max_time = self.max_time.max(p.time);
        }
        if p.distance.is_finite() && p.distance >= 0.0 {
            self.max_distance = Some(self.max_distance.map_or(p.distance, |d| d.max(p.distance)));
            self.min_distance = Some(self.min_distance.map_or(p.distance, |d| d.min(p.distance)));
        }
        if self.pending_break {
            self.breaks.push(self.points.len());
            self.pending_break = false;
        }
        self.points.push(p);
        self.along = None;
    }

    /// Starts a new segment: the gap to the next point is not part of the distance (GPX
    /// `<trkseg>` and `<trk>`, TCX `<Track>`: a pause or a lost signal, not ground covered).
    pub(crate) fn break_segment(&mut self) {
        self.pending_break = true;
    }

    /// The warning about points left out at [`MAX_TRACK_POINTS`], if any were.
    pub(crate) fn warn_dropped(&self, warnings: &mut Vec<String>) {
        if self.dropped > 0 {
            warnings.push(format!(
                "the track has {} points: kept the first {MAX_TRACK_POINTS} and left out {}",
                self.len() + self.dropped,
                self.dropped
            ));
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.points.len()
    }

    /// Number of points with a time.
    pub(crate) fn timed(&self) -> usize {
        self.timed
    }

    /// Number of points with a position.
    pub(crate) fn positions(&self) -> usize {
        self.positions
    }

    /// Earliest and latest time, when any point has one.
    pub(crate) fn time_span(&self) -> Option<(f64, f64)> {
        (self.timed > 0).then_some((self.min_time, self.max_time))
    }

    /// The device's distance covered (last cumulative value minus the first).
    pub(crate) fn device_distance(&self) -> Option<f64> {
        match (self.min_distance, self.max_distance) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        }
    }

    fn measure(&mut self) -> &(Vec<f64>, f64) {
        self.along.get_or_insert_with(|| {
            let mut along = Vec::with_capacity(self.points.len());
            let mut total = 0.0;
            let mut last: Option<(f64, f64)> = None;
            let mut breaks = self.breaks.iter().peekable();
            for (i, p) in self.points.iter().enumerate() {
                if breaks.next_if_eq(&&i).is_some() {
                    last = None;
                }
                if let Some(pos) = p.position() {
                    if let Some(prev) = last {
                        total += geodesic_m(prev, pos);
                    }
                    last = Some(pos);
                }
                along.push(total);
            }
            (along, total)
        })
    }

    /// Sum of geodesic distances between consecutive positions within each segment, in metres.
    pub(crate) fn geodesic_m(&mut self) -> f64 {
        self.measure().1
    }

    /// The downsampled stream, with offsets from `start` (seconds since the Unix epoch).
    ///
    /// Distance is the device's when it has one, else measured along the track. Points
    /// without a time are left out: a plot over time cannot place them.
    pub(crate) fn samples(&mut self, start: f64) -> Vec<Sample> {
        let use_device = self.max_distance.is_some();
        let base_distance = self.min_distance.unwrap_or(0.0);
        let has_positions = self.positions > 0;
        if !use_device && has_positions {
            self.measure();
        }
        let along = self
            .along
            .as_ref()
            .map(|(a, _)| a.as_slice())
            .unwrap_or(&[]);
        let mut out = Vec::with_capacity(self.timed.min(self.points.len()));
        for (i, p) in self.points.iter().enumerate() {
            if !p.time.is_finite() {
                continue;
            }
            let distance = if use_device {
                finite(p.distance - base_distance)
            } else {
                along.get(i).copied()
            };
            out.push(Sample {
                offset_s: p.time - start,
                distance_m: distance,
                hr: finite(p.hr).filter(|v| *v > 0.0),
                cadence: finite(p.cadence),
                altitude_m: finite(p.altitude),
            });
        }
        downsample(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(lat: f64, time: f64) -> Point {
        Point {
            lat,
            lon: 14.0,
            time,
            ..Point::default()
        }
    }

    #[test]
    fn segments_leave_out_the_gap_between_them() {
        let mut t = TrackBuilder::new();
        t.push(at(45.0, 0.0));
        t.push(at(45.001, 10.0));
        t.break_segment();
        t.push(at(46.0, 20.0));
        t.push(at(46.001, 30.0));
        let d = t.geodesic_m();
        assert!((d - 222.3).abs() < 0.5, "{d}");
        let s = t.samples(0.0);
        assert_eq!(s.len(), 4);
        assert_eq!(
            s[2].distance_m, s[1].distance_m,
            "no distance across the break"
        );
        assert_eq!(t.time_span(), Some((0.0, 30.0)));
    }
}
