//! knots' presentation: the self-contained HTML report ([`report`]) and the SVG charts
//! ([`chart`]) that the report and the web pages draw, all written in maud so that every text
//! from the journal is escaped by the template, never by hand.
//!
//! Pure: values in, markup out; no IO, no clock (time comes in as arguments). The numbers come
//! from `knots_core::analytics`; this crate only lays them out. Both edges use it — `knots report
//! --html` in the CLI and the pages of `knots-web` — so neither reaches into the other. Start at
//! [`report::document`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod chart;
pub mod report;

/// The app's icon (an SVG file). The web app serves it at `/favicon.ico` and `/assets/favicon.svg`,
/// so the `/report` page, which links nothing, gets it too.
pub const FAVICON_SVG: &str = include_str!("../assets/favicon.svg");
