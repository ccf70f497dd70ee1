//! The forms a script's value shows in: tables, matrices, charts, document views and widgets
//! in their own forms, everything else as Rhai prints it.

use rhai::Dynamic;

use super::annotate::AnnotatorRef;
use super::base::as_table;
use super::output::MimeBundle;

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
    if let Some(widget) = value.read_lock::<AnnotatorRef>() {
        return widget.fallback().text;
    }
    if let Some(table) = as_table(value) {
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
    if let Some(widget) = value.read_lock::<AnnotatorRef>() {
        return widget.fallback().html;
    }
    as_table(value).map(|table| table.render_html(crate::analysis::table::SHOWN_ROWS))
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
            .read_lock::<AnnotatorRef>()
            .map(|widget| widget.widget()),
    }
}
