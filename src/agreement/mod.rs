//! Intercoder agreement, as researchers report it.
//!
//! - [`categorical`]: units each given one label per coder: percent agreement, Cohen's kappa
//!   (two coders) and Krippendorff's alpha (nominal; any number of coders, missing labels).
//! - [`spans`]: two coders' span coding of a project compared per code and document at the
//!   character level (NVivo's coding comparison) or the segment level, and the stretches
//!   they disagree on, with the text.
//! - [`consensus`]: several coders' codings merged into one consensus coder.
//!
//! Span arithmetic lives in [`intervals`]: sorted interval lists, never per-character arrays.

pub mod categorical;
pub mod consensus;
pub mod intervals;
pub mod spans;

pub use categorical::{
    Labels, Ratings, cohen_kappa, krippendorff_alpha, percent_agreement, percent_agreement_pair,
};
pub use consensus::{MergeReport, MergeRule};
pub use spans::{Breakdown, CharacterCounts, Level, SegmentCounts, SpanComparison};
