//! Showing results: documents with their codings (terminal text, static HTML and the coding
//! widget's view), and SVG charts. Tables render themselves
//! (`analysis::table`); nothing here changes a project.

#[cfg(feature = "dataframe")]
pub mod chart;
pub mod document_view;
