//! qualkit: scriptable, reproducible qualitative analysis.
//!
//! Data flows one way: [`ingest`] reads documents from disk, [`store`] keeps codings, memos and
//! the audit log in SQLite, [`coding`] turns quotes, rules and dictionaries into spans, and
//! [`project`] ties them together for the front ends (the CLI, scripts and notebooks).
//! In a Rust notebook (evcxr), `use qualkit::prelude::*;` (see [`notebook`]).

#[cfg(feature = "dataframe")]
pub mod agreement;
#[cfg(feature = "dataframe")]
pub mod analysis;
pub mod budget;
pub mod cases;
#[cfg(feature = "dataframe")]
pub mod chart;
pub mod charting;
pub mod codebook;
pub mod codebook_yaml;
pub mod coding;
pub mod codings_csv;
pub mod csv_table;
pub mod document_view;
#[cfg(feature = "embeddings")]
pub mod embeddings;
pub mod error;
#[cfg(feature = "dataframe")]
pub mod evcxr;
pub mod exchange;
#[cfg(feature = "dataframe")]
pub mod exercise;
pub mod generate;
pub mod ingest;
#[cfg(feature = "jupyter")]
pub mod kernel;
#[cfg(feature = "dataframe")]
pub mod nomad;
#[cfg(feature = "dataframe")]
pub mod notebook;
#[cfg(feature = "dataframe")]
pub mod prelude;
pub mod project;
pub mod record;
#[cfg(feature = "repl")]
pub mod repl;
#[cfg(feature = "script")]
pub mod script;
mod seeded;
pub mod segments;
pub mod sets;
pub mod store;
#[cfg(feature = "dataframe")]
pub mod suggest;
#[cfg(feature = "dataframe")]
pub mod summary;
#[cfg(feature = "dataframe")]
pub mod table;
pub mod text;

pub use error::{Error, Result};
pub use project::Project;
