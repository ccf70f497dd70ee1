//! Rich display in evcxr (Rust) notebooks: evcxr calls a value's `evcxr_display` method and
//! shows what it prints between its content markers, one block per MIME type. Every value
//! gives `text/plain` (what evcxr's REPL prints, and what a front end without HTML shows)
//! beside its HTML or SVG.
//!
//! A cell that ends with an expression is shown by calling `evcxr_display` on it. The
//! [`EvcxrDisplay`] trait (in `qualkit::prelude`) gives that method to a `Result` of a
//! displayable value too, so a cell ending in `p.matrix("case", "npt")` shows the table, or
//! the error's message, rather than the `Debug` text of the `Result`.

use crate::analysis::FrameworkMatrix;
use crate::analysis::table::{SHOWN_ROWS, Table, terminal_width};
use crate::notebook::ProjectHandle;
use crate::render::chart::Chart;

/// Wraps content in evcxr's markers for one MIME type.
pub fn evcxr_content(mime: &str, content: &str) -> String {
    format!("EVCXR_BEGIN_CONTENT {mime}\n{content}\nEVCXR_END_CONTENT")
}

/// A value's forms, one block per MIME type, as one text: evcxr gathers the blocks a cell
/// prints into one display.
fn blocks(forms: &[(&str, &str)]) -> String {
    forms
        .iter()
        .map(|(mime, content)| evcxr_content(mime, content))
        .collect::<Vec<_>>()
        .join("\n")
}

/// How a value shows itself at the end of an evcxr cell.
pub trait EvcxrDisplay {
    /// What [`EvcxrDisplay::evcxr_display`] prints: the value's forms in evcxr's markers.
    fn evcxr_output(&self) -> String;

    fn evcxr_display(&self) {
        println!("{}", self.evcxr_output());
    }
}

impl EvcxrDisplay for Table {
    fn evcxr_output(&self) -> String {
        blocks(&[
            (
                "text/plain",
                &self.render_text(terminal_width(), SHOWN_ROWS),
            ),
            ("text/html", &self.render_html(SHOWN_ROWS)),
        ])
    }
}

impl EvcxrDisplay for FrameworkMatrix {
    fn evcxr_output(&self) -> String {
        blocks(&[
            ("text/plain", &self.render_text(terminal_width())),
            ("text/html", &self.render_html()),
        ])
    }
}

impl EvcxrDisplay for Chart {
    fn evcxr_output(&self) -> String {
        blocks(&[
            ("text/plain", &self.to_string()),
            ("image/svg+xml", self.svg()),
        ])
    }
}

impl EvcxrDisplay for ProjectHandle {
    fn evcxr_output(&self) -> String {
        blocks(&[("text/plain", &self.to_string())])
    }
}

impl<T: EvcxrDisplay> EvcxrDisplay for crate::Result<T> {
    /// The value as it shows itself, or the error's message as text.
    fn evcxr_output(&self) -> String {
        match self {
            Ok(value) => value.evcxr_output(),
            Err(error) => blocks(&[("text/plain", &format!("error: {error}"))]),
        }
    }
}

// The same method without the trait in scope, for code that does not use the prelude.

impl Table {
    /// Shows the table in an evcxr notebook, as HTML and as the terminal table:
    /// `table.evcxr_display()`, or just end a cell with the table.
    pub fn evcxr_display(&self) {
        EvcxrDisplay::evcxr_display(self)
    }
}

impl FrameworkMatrix {
    /// Shows the matrix in an evcxr notebook: HTML with quotes folded under each summary,
    /// and the terminal form.
    pub fn evcxr_display(&self) {
        EvcxrDisplay::evcxr_display(self)
    }
}

impl Chart {
    /// Shows the chart as SVG in an evcxr notebook, with its title as text.
    pub fn evcxr_display(&self) {
        EvcxrDisplay::evcxr_display(self)
    }
}

impl ProjectHandle {
    /// Shows the project's name and folder.
    pub fn evcxr_display(&self) {
        EvcxrDisplay::evcxr_display(self)
    }
}
