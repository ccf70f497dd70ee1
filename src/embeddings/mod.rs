//! Sentence embeddings on this machine (cargo feature `embeddings`): installed models
//! ([`models`]), running one ([`encoder`]), and the project's cache of vectors ([`cache`]).
//! Suggestions use them as features beside TF-IDF ([`crate::suggest`]); nothing here writes to
//! a project's record.

pub mod cache;
pub mod encoder;
pub mod models;

pub use cache::Embedded;
pub use encoder::Encoder;
pub use models::{Installed, models_dir};
