//! Round trips through a small FIT writer: random activities written with the wire format's
//! variations (byte order, compressed-timestamp headers, developer fields, chained files, a
//! missing session) must read back with the values written.

use knots_import::{Outcome, parse_fit};
use proptest::prelude::*;

/// The FIT SDK's CRC, four bits at a time (independent of the crate's table version).
fn crc(data: &[u8]) -> u16 {
    const T: [u16; 16] = [
        0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401, 0xA001, 0x6C00, 0x7800,
        0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
    ];
    let mut crc = 0u16;
    for &b in data {
        let mut tmp = T[(crc & 0xF) as usize];
        crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ T[(b & 0xF) as usize];
        tmp = T[(crc & 0xF) as usize];
        crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ T[((b >> 4) & 0xF) as usize];
    }
    crc
}

const UINT8: u8 = 0x02;
const ENUM: u8 = 0x00;
const UINT16: u8 = 0x84;
const UINT32: u8 = 0x86;

/// Writes one FIT file.
struct Writer {
    data: Vec<u8>,
    big: bool,
}

impl Writer {
    fn new(big: bool) -> Self {
        Writer {
            data: Vec::new(),
            big,
        }
    }

    fn definition(
        &mut self,
        local: u8,
        global: u16,
        fields: &[(u8, u8, u8)],
        dev: &[(u8, u8, u8)],
    ) {
        let dev_flag = if dev.is_empty() { 0 } else { 0x20 };
        self.data.push(0x40 | dev_flag | local);
        self.data.push(0);
        self.data.push(u8::from(self.big));
        let g = if self.big {
            global.to_be_bytes()
        } else {
            global.to_le_bytes()
        };
        self.data.extend_from_slice(&g);
        self.data.push(fields.len() as u8);
        for &(num, size, base) in fields {
            self.data.extend_from_slice(&[num, size, base]);
        }
        if !dev.is_empty() {
            self.data.push(dev.len() as u8);
            for &(num, size, index) in dev {
                self.data.extend_from_slice(&[num, size, index]);
            }
        }
    }

    fn header(&mut self, h: u8) {
        self.data.push(h);
    }

    fn u8(&mut self, v: u8) {
        self.data.push(v);
    }

    fn u16(&mut self, v: u16) {
        let b = if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.data.extend_from_slice(&b);
    }

    fn u32(&mut self, v: u32) {
        let b = if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.data.extend_from_slice(&b);
    }

    fn bytes(&mut self, n: usize) {
        self.data.extend(std::iter::repeat_n(0xAB, n));
    }

    fn finish(self) -> Vec<u8> {
        let mut out = vec![14u8, 0x20];
        out.extend_from_slice(&2132u16.to_le_bytes());
        out.extend_from_slice(&(self.data.len() as u32).to_le_bytes());
        out.extend_from_slice(b".FIT");
        let hcrc = crc(&out);
        out.extend_from_slice(&hcrc.to_le_bytes());
        out.extend_from_slice(&self.data);
        let fcrc = crc(&out);
        out.extend_from_slice(&fcrc.to_le_bytes());
        out
    }
}

const FIT_EPOCH: i64 = 631_065_600;

#[derive(Debug, Clone)]
struct Run {
    start: u32,
    /// (seconds since the previous record, metres since the previous record, heart rate)
    steps: Vec<(u32, u32, u8)>,
    big: bool,
    compressed: bool,
    dev_sizes: Vec<u8>,
    with_session: bool,
    sport: u8,
}

fn run() -> impl Strategy<Value = Run> {
    (
        0x3000_0000u32..0x4000_0000,
        proptest::collection::vec((1u32..40, 0u32..20_000, 60u8..200), 1..1500),
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec(1u8..6, 0..3),
        any::<bool>(),
        prop_oneof![Just(1u8), Just(2), Just(5), Just(11)],
    )
        .prop_map(
            |(start, steps, big, compressed, dev_sizes, with_session, sport)| Run {
                start,
                steps,
                big,
                compressed,
                dev_sizes,
                with_session,
                sport,
            },
        )
}

impl Run {
    fn end(&self) -> u32 {
        self.start + self.steps.iter().map(|s| s.0).sum::<u32>()
    }

    /// Total distance in centimetres.
    fn distance_cm(&self) -> u32 {
        self.steps.iter().map(|s| s.1).sum()
    }

    fn write(&self) -> Vec<u8> {
        let mut w = Writer::new(self.big);
        // file_id: type activity.
        w.definition(0, 0, &[(0, 1, ENUM)], &[]);
        w.header(0);
        w.u8(4);
        // record definitions: 1 with a timestamp, 2 without (for compressed headers).
        let dev: Vec<(u8, u8, u8)> = self
            .dev_sizes
            .iter()
            .enumerate()
            .map(|(i, &s)| (i as u8, s, 0))
            .collect();
        w.definition(
            1,
            20,
            &[(253, 4, UINT32), (5, 4, UINT32), (3, 1, UINT8)],
            &dev,
        );
        w.definition(2, 20, &[(5, 4, UINT32), (3, 1, UINT8)], &dev);
        let mut t = self.start;
        let mut d = 0u32;
        let mut last_full = t;
        let mut first = true;
        for &(dt, dd, hr) in std::iter::once(&(0, 0, 100)).chain(self.steps.iter()) {
            t += dt;
            d += dd;
            // A compressed header can say at most 31 s after the last full timestamp.
            if self.compressed && !first && t - last_full < 32 {
                w.header(0x80 | (2 << 5) | (t & 0x1F) as u8);
            } else {
                w.header(1);
                w.u32(t);
                last_full = t;
            }
            first = false;
            w.u32(d);
            w.u8(hr);
            for &s in &self.dev_sizes {
                w.bytes(usize::from(s));
            }
        }
        if self.with_session {
            w.definition(
                3,
                18,
                &[
                    (253, 4, UINT32),
                    (2, 4, UINT32),
                    (5, 1, ENUM),
                    (7, 4, UINT32),
                    (8, 4, UINT32),
                    (9, 4, UINT32),
                    (16, 1, UINT8),
                    (22, 2, UINT16),
                ],
                &[],
            );
            w.header(3);
            w.u32(self.end());
            w.u32(self.start);
            w.u8(self.sport);
            w.u32((self.end() - self.start) * 1000);
            w.u32((self.end() - self.start) * 1000 - 500);
            w.u32(self.distance_cm());
            w.u8(150);
            w.u16(123);
        }
        w.finish()
    }
}

/// The activities and the decoding warnings. The generator draws speeds at random, so the
/// importer's plausibility warning ("too fast for the sport") is a separate rule and left out here.
fn activity_of(bytes: &[u8]) -> (Vec<knots_import::Activity>, Vec<String>) {
    match parse_fit(bytes) {
        Ok(Outcome::Parsed(p)) => {
            let decoding = p
                .warnings
                .into_iter()
                .filter(|w| !w.contains("too fast for the sport"));
            (p.activities, decoding.collect())
        }
        other => panic!("expected activities, got {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn written_activities_read_back(r in run()) {
        let bytes = r.write();
        let (acts, warnings) = activity_of(&bytes);
        prop_assert_eq!(acts.len(), 1);
        let a = &acts[0];
        prop_assert_eq!(a.start.as_second(), i64::from(r.start) + FIT_EPOCH);
        prop_assert_eq!(a.elapsed_s, f64::from(r.end() - r.start));
        prop_assert_eq!(a.track_points, r.steps.len() + 1);
        prop_assert!(a.samples.len() <= knots_import::MAX_SAMPLES);
        let last = a.samples.last().expect("samples");
        prop_assert_eq!(last.offset_s, f64::from(r.end() - r.start));
        let d = a.distance_m.expect("distance");
        prop_assert!((d - f64::from(r.distance_cm()) / 100.0).abs() < 1e-6, "{} vs {}", d, r.distance_cm());
        if r.with_session {
            prop_assert!(warnings.is_empty(), "{:?}", warnings);
            prop_assert_eq!(a.avg_hr, Some(150.0));
            prop_assert_eq!(a.ascent_m, Some(123.0));
            prop_assert_eq!(a.timer_s, Some(f64::from(r.end() - r.start) - 0.5));
            let sport = match r.sport { 1 => "running", 2 => "cycling", 5 => "swimming", _ => "walking" };
            prop_assert_eq!(a.sport.as_str(), sport);
        } else {
            prop_assert!(warnings.iter().any(|w| w.contains("no session")), "{:?}", warnings);
            prop_assert_eq!(a.sport.as_str(), "generic");
        }
    }

    #[test]
    fn chained_files_give_every_session(a in run(), b in run()) {
        let (a, mut b) = (Run { with_session: true, ..a }, Run { with_session: true, ..b });
        b.start = a.end() + 3600;
        let mut bytes = a.write();
        bytes.extend(b.write());
        let (acts, warnings) = activity_of(&bytes);
        prop_assert!(warnings.is_empty(), "{:?}", warnings);
        prop_assert_eq!(acts.len(), 2);
        prop_assert_eq!(acts[1].start.as_second(), i64::from(b.start) + FIT_EPOCH);
        prop_assert_eq!(acts[1].track_points, b.steps.len() + 1);
    }

    #[test]
    fn a_wrong_crc_or_a_cut_keeps_the_whole_messages(r in run(), cut in 1usize..40) {
        let r = Run { with_session: true, ..r };
        let mut bytes = r.write();
        let n = bytes.len();
        bytes[n - 1] ^= 0x55;
        // A stored CRC of 0 means "not computed" (the decoder then checks nothing): the flip must
        // not produce one.
        prop_assume!(u16::from_le_bytes([bytes[n - 2], bytes[n - 1]]) != 0);
        let (acts, warnings) = activity_of(&bytes);
        prop_assert_eq!(acts.len(), 1);
        prop_assert!(warnings.iter().any(|w| w.contains("crc")), "{:?}", warnings);
        // Cut off inside the session message: the records remain.
        bytes.truncate(n - 2 - cut.min(20));
        let (acts, warnings) = activity_of(&bytes);
        prop_assert_eq!(acts.len(), 1);
        prop_assert!(!warnings.is_empty());
    }
}
