//! Teaching NPT: coding exercises with their keys and feedback, and NoMAD surveys.

pub mod exercise;
pub mod nomad;
