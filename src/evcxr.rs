//! Rich display in evcxr (Rust) notebooks: evcxr calls a value's `evcxr_display` method and
//! shows what it prints between its content markers as the given MIME type.

use crate::analysis::FrameworkMatrix;
use crate::chart::Chart;
use crate::table::{SHOWN_ROWS, Table};

/// Wraps content in evcxr's markers for one MIME type.
pub fn evcxr_content(mime: &str, content: &str) -> String {
    format!("EVCXR_BEGIN_CONTENT {mime}\n{content}\nEVCXR_END_CONTENT")
}

impl Table {
    /// Shows the table as HTML in an evcxr notebook: `table.evcxr_display()`, or just end a
    /// cell with the table.
    pub fn evcxr_display(&self) {
        println!(
            "{}",
            evcxr_content("text/html", &self.render_html(SHOWN_ROWS))
        );
    }
}

impl FrameworkMatrix {
    /// Shows the matrix as HTML in an evcxr notebook, quotes folded under each summary.
    pub fn evcxr_display(&self) {
        println!("{}", evcxr_content("text/html", &self.render_html()));
    }
}

impl Chart {
    /// Shows the chart as SVG in an evcxr notebook.
    pub fn evcxr_display(&self) {
        println!("{}", evcxr_content("image/svg+xml", self.svg()));
    }
}
