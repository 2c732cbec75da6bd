//! Closed vocabularies (side, context, treatment kind, …) and the "did you mean" error shared by all
//! lookups of ids typed by a user.

use std::fmt;

/// A word or id that is not in a closed vocabulary, with the closest valid ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownId {
    /// What kind of id was looked up (`region`, `trigger point`, `side`, …).
    pub kind: &'static str,
    /// What the user gave.
    pub given: String,
    /// Up to three valid ids closest to `given`, best first; or, for a small vocabulary with no
    /// close match, every valid id (then `is_full_list` is true).
    pub suggestions: Vec<String>,
    /// Whether `suggestions` is the whole vocabulary rather than the closest matches.
    pub is_full_list: bool,
}

impl UnknownId {
    /// Builds the error, ranking `valid` by similarity to `given`.
    ///
    /// # Examples
    /// ```
    /// let e = knots_core::UnknownId::new("region", "lateral_kne", ["lateral_knee", "calf"]);
    /// assert_eq!(e.suggestions[0], "lateral_knee");
    /// ```
    pub fn new<'a>(
        kind: &'static str,
        given: &str,
        valid: impl IntoIterator<Item = &'a str>,
    ) -> UnknownId {
        let valid: Vec<&str> = valid.into_iter().collect();
        let mut scored: Vec<(f64, &str)> = valid
            .iter()
            .map(|v| (strsim::jaro_winkler(given, v), *v))
            .filter(|(s, _)| *s > 0.7)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        let is_full_list = scored.is_empty() && valid.len() <= 12;
        let suggestions = if is_full_list {
            valid.iter().map(|v| v.to_string()).collect()
        } else {
            scored
                .into_iter()
                .take(3)
                .map(|(_, v)| v.to_string())
                .collect()
        };
        UnknownId {
            kind,
            given: given.to_string(),
            suggestions,
            is_full_list,
        }
    }
}

impl fmt::Display for UnknownId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} `{}`", self.kind, self.given)?;
        if self.is_full_list {
            return write!(f, " (expected one of: {})", self.suggestions.join(", "));
        }
        match self.suggestions.as_slice() {
            [] => Ok(()),
            [one] => write!(f, " (did you mean `{one}`?)"),
            many => {
                let list: Vec<String> = many.iter().map(|s| format!("`{s}`")).collect();
                write!(f, " (did you mean {}?)", list.join(" or "))
            }
        }
    }
}

impl std::error::Error for UnknownId {}

/// Defines a closed vocabulary as an enum whose serialised form is a fixed snake_case word.
macro_rules! vocabulary {
    ($(#[$m:meta])* $name:ident, $kind:literal { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable word used in files, the database and on the command line.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::vocab::UnknownId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::vocab::UnknownId::new($kind, s, [$($text),+])),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
