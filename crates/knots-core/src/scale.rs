//! Validated numbers: the 0-10 numeric rating scale and distances.

use std::fmt;

/// A value on the 0-10 numeric rating scale (NRS): pain, tenderness, pressure, relaxation, RPE.
/// 0 = none, 10 = worst imaginable (domain brief 1, "Tenderness scale").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Nrs(u8);

/// A number outside its allowed range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("must be {expected}, got {got}")]
pub struct OutOfRange {
    /// What was expected, e.g. `an integer 0-10`.
    pub expected: &'static str,
    /// What was given.
    pub got: String,
}

impl Nrs {
    /// No pain (0/10).
    pub const ZERO: Nrs = Nrs(0);

    /// Checks that `v` is 0-10.
    ///
    /// # Errors
    /// [`OutOfRange`] above 10.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(knots_core::Nrs::new(7).unwrap().value(), 7);
    /// assert!(knots_core::Nrs::new(11).is_err());
    /// ```
    pub fn new(v: u8) -> Result<Nrs, OutOfRange> {
        if v <= 10 {
            Ok(Nrs(v))
        } else {
            Err(OutOfRange {
                expected: "an integer 0-10",
                got: v.to_string(),
            })
        }
    }

    /// The integer value 0-10.
    pub fn value(self) -> u8 {
        self.0
    }
}

impl std::str::FromStr for Nrs {
    type Err = OutOfRange;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || OutOfRange {
            expected: "an integer 0-10",
            got: s.to_string(),
        };
        s.trim()
            .parse::<u8>()
            .map_err(|_| bad())
            .and_then(|v| Nrs::new(v).map_err(|_| bad()))
    }
}

impl fmt::Display for Nrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/10", self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Nrs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = u8::deserialize(d)?;
        Nrs::new(v).map_err(serde::de::Error::custom)
    }
}

/// A non-negative, finite distance in kilometres.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, serde::Serialize)]
#[serde(transparent)]
pub struct Km(f64);

impl Km {
    /// Zero distance.
    pub const ZERO: Km = Km(0.0);

    /// Checks that `v` is finite and not negative.
    ///
    /// # Errors
    /// [`OutOfRange`] for a negative, infinite or NaN value.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(knots_core::Km::new(1.6).unwrap().value(), 1.6);
    /// assert!(knots_core::Km::new(-1.0).is_err());
    /// ```
    pub fn new(v: f64) -> Result<Km, OutOfRange> {
        if v.is_finite() && v >= 0.0 {
            Ok(Km(v))
        } else {
            Err(OutOfRange {
                expected: "a distance of 0 km or more",
                got: v.to_string(),
            })
        }
    }

    /// The distance in km.
    pub fn value(self) -> f64 {
        self.0
    }
}

impl std::str::FromStr for Km {
    type Err = OutOfRange;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let v: f64 = s.trim().parse().map_err(|_| OutOfRange {
            expected: "a distance of 0 km or more",
            got: s.to_string(),
        })?;
        Km::new(v)
    }
}

impl fmt::Display for Km {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1} km", self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Km {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        Km::new(v).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nrs_accepts_0_to_10_only() {
        for v in 0..=10 {
            assert_eq!(Nrs::new(v).map(Nrs::value), Ok(v));
        }
        assert_eq!(
            Nrs::new(11).unwrap_err().to_string(),
            "must be an integer 0-10, got 11"
        );
        assert!("-1".parse::<Nrs>().is_err());
        assert!("7.5".parse::<Nrs>().is_err());
    }

    #[test]
    fn km_refuses_negative_and_nan() {
        assert!(Km::new(-0.1).is_err());
        assert!(Km::new(f64::NAN).is_err());
        assert!(Km::new(f64::INFINITY).is_err());
        assert_eq!("10".parse::<Km>().map(Km::value), Ok(10.0));
    }
}
