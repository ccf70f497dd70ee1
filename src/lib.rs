//! qualkit: scriptable, reproducible qualitative analysis.
//!
//! Data flows one way, each layer using only those before it (`src/README.md` says what each
//! folder owns): [`support`] (text files, CSV, memory budgets) -> [`ingest`] reads documents
//! -> [`codebook`] the code tree -> [`coding`] turns quotes, rules and dictionaries into spans
//! -> [`record`] writes the plain files that are the whole record and [`store`] caches them in
//! SQLite -> [`project`] ties them together (cases, codings, sets, summaries, history) ->
//! [`analysis`], [`agreement`], [`suggest`] (with `embeddings`, the sentence models, in the
//! build that has them), [`exchange`] and [`teaching`] -> [`render`] (tables, charts, document
//! views) -> the front ends: [`script`] (Rhai), [`repl`], [`kernel`] (Jupyter) and
//! [`notebook`] (Rust notebooks: `use qualkit::prelude::*;`).

#[cfg(feature = "dataframe")]
pub mod agreement;
#[cfg(feature = "dataframe")]
pub mod analysis;
pub mod codebook;
pub mod coding;
#[cfg(feature = "embeddings")]
pub mod embeddings;
pub mod error;
pub mod exchange;
pub mod ingest;
#[cfg(feature = "jupyter")]
pub mod kernel;
#[cfg(feature = "dataframe")]
pub mod notebook;
pub mod project;
pub mod record;
pub mod render;
#[cfg(feature = "repl")]
pub mod repl;
#[cfg(feature = "script")]
pub mod script;
pub mod store;
#[cfg(feature = "dataframe")]
pub mod suggest;
pub mod support;
#[cfg(feature = "dataframe")]
pub mod teaching;

pub use error::{Error, Result};
#[cfg(feature = "dataframe")]
pub use notebook::prelude;
pub use project::Project;
