//! Where a session's output goes: the terminal for `qualkit run` and the REPL, iopub
//! messages for the Jupyter kernel. Values render as a bundle of forms (plain text, HTML,
//! SVG) and each front end shows the richest it can.

use std::rc::Rc;

use rhai::Dynamic;

/// Something a running script shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// `print`.
    Stdout(String),
    /// `debug`, and warnings.
    Stderr(String),
    /// `display(value)`: a value shown in its richest form.
    Display(MimeBundle),
    /// `clear_output()`: clears what the cell showed so far (for progress in long cells).
    Clear { wait: bool },
    /// `page(text)`: long text for a notebook's pager.
    Page(String),
}

/// A value's forms: always plain text, and HTML or SVG for values that have them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MimeBundle {
    pub text: String,
    pub html: Option<String>,
    pub svg: Option<String>,
    /// A live widget, for front ends that have them (the others show `text` and `html`).
    pub widget: Option<super::widget::WidgetHandle>,
}

/// Receives everything a session shows.
pub type OutputSink = Rc<dyn Fn(Output)>;

/// Prints to the terminal: text forms only.
pub fn terminal_sink() -> OutputSink {
    Rc::new(|output| match output {
        Output::Stdout(text) => println!("{text}"),
        Output::Stderr(text) => eprintln!("{text}"),
        Output::Display(bundle) => println!("{}", bundle.text),
        Output::Clear { .. } => {}
        Output::Page(text) => println!("{text}"),
    })
}

/// How a value shows as text: tables, matrices, projects and segments as terminal tables,
/// everything else as Rhai prints it.
pub fn render_text(value: &Dynamic) -> String {
    if let Some(table) = value.read_lock::<crate::analysis::table::Table>() {
        return table.to_string();
    }
    if let Some(matrix) = value.read_lock::<crate::analysis::FrameworkMatrix>() {
        return matrix.to_string();
    }
    if let Some(query) = value.read_lock::<crate::analysis::Query>() {
        return query.to_string();
    }
    if let Some(chart) = value.read_lock::<crate::render::chart::Chart>() {
        return chart.to_string();
    }
    if let Some(view) = value.read_lock::<crate::render::document_view::DocumentView>() {
        return view.terminal();
    }
    if let Some(widget) = value.read_lock::<super::annotate::AnnotatorRef>() {
        return widget.fallback().text;
    }
    if let Some(table) = super::api::as_table(value) {
        return table.to_string();
    }
    if let Some(exercise) = value.read_lock::<crate::teaching::exercise::Exercise>() {
        return exercise.to_string();
    }
    value.to_string()
}

/// The HTML form of values that have one (tables, Framework matrices, projects, segments),
/// for notebooks.
pub fn render_html(value: &Dynamic) -> Option<String> {
    if let Some(table) = value.read_lock::<crate::analysis::table::Table>() {
        return Some(table.render_html(crate::analysis::table::SHOWN_ROWS));
    }
    if let Some(matrix) = value.read_lock::<crate::analysis::FrameworkMatrix>() {
        return Some(matrix.render_html());
    }
    if let Some(view) = value.read_lock::<crate::render::document_view::DocumentView>() {
        return Some(view.html());
    }
    if let Some(widget) = value.read_lock::<super::annotate::AnnotatorRef>() {
        return widget.fallback().html;
    }
    super::api::as_table(value).map(|table| table.render_html(crate::analysis::table::SHOWN_ROWS))
}

/// Every form of a value.
pub fn mime_bundle(value: &Dynamic) -> MimeBundle {
    MimeBundle {
        text: render_text(value),
        html: render_html(value),
        svg: value
            .read_lock::<crate::render::chart::Chart>()
            .map(|chart| chart.svg().to_string()),
        widget: value
            .read_lock::<super::annotate::AnnotatorRef>()
            .map(|widget| widget.widget()),
    }
}
