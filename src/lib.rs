//! qualkit: scriptable, reproducible qualitative analysis.
//!
//! Data flows one way: [`ingest`] reads documents from disk, [`store`] keeps codings, memos and
//! the audit log in SQLite, [`coding`] turns quotes, rules and dictionaries into spans, and
//! [`project`] ties them together for the front ends (the CLI, scripts and notebooks).

pub mod agreement;
pub mod analysis;
pub mod budget;
pub mod cases;
pub mod chart;
pub mod charting;
pub mod codebook;
pub mod codebook_yaml;
pub mod coding;
pub mod codings_csv;
pub mod csv_table;
pub mod document_view;
pub mod error;
pub mod evcxr;
pub mod exchange;
pub mod exercise;
pub mod generate;
pub mod ingest;
pub mod kernel;
pub mod nomad;
pub mod project;
pub mod record;
pub mod repl;
pub mod script;
pub mod segments;
pub mod sets;
pub mod store;
pub mod summary;
pub mod table;
pub mod text;

pub use error::{Error, Result};
pub use project::Project;
