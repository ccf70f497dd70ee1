//! What every group of Rhai functions shares: the project a script holds and its documents,
//! errors as scripts see them, arguments read from Rhai values, the notes a project has for
//! its user, and the values that show as tables. The groups (`*_api.rs`, `annotate.rs`) build
//! on this module; the session (`mod.rs`) sits above them.

use std::cell::RefCell;
use std::rc::Rc;

use rhai::{Array, Dynamic, EvalAltResult, Map};

use super::output::{Output, OutputSink};
use crate::analysis::segments::Segment;
use crate::project::Project;

/// A project opened from a script, and the coder its changes are recorded under.
#[derive(Clone)]
pub struct ProjectRef {
    pub(super) project: Rc<RefCell<Project>>,
    pub(super) coder: String,
    /// Analyses see only this coder's codings (see `coded_by`); all coders when `None`.
    pub(super) view: Option<String>,
}

/// One document of a project, as scripts see it.
#[derive(Clone)]
pub struct DocumentRef {
    pub(super) project: Rc<RefCell<Project>>,
    pub(super) index: usize,
}

impl DocumentRef {
    pub(super) fn with<T>(&self, read: impl FnOnce(&crate::ingest::Document) -> T) -> T {
        read(&self.project.borrow().documents()[self.index])
    }
}

thread_local! {
    /// The project a session opened last: what `npt::explain` draws its examples from.
    static LAST_PROJECT: RefCell<Option<ProjectRef>> = const { RefCell::new(None) };
}

pub(super) fn last_project() -> Option<ProjectRef> {
    LAST_PROJECT.with(|last| last.borrow().clone())
}

pub(super) type Fallible<T> = Result<T, Box<EvalAltResult>>;

pub(super) fn fail(error: impl std::fmt::Display) -> Box<EvalAltResult> {
    error.to_string().into()
}

pub(super) fn default_coder(project: &Project) -> String {
    crate::project::default_coder(&project.config)
}

/// A case as a map: its name and attributes.
pub(super) fn case_map(case: &crate::project::cases::Case) -> Map {
    use crate::project::cases::Value;
    let mut m = Map::new();
    m.insert("name".into(), case.name.clone().into());
    for (k, v) in &case.attributes {
        let value: Dynamic = match v {
            Value::Integer(i) => (*i).into(),
            Value::Number(x) => (*x).into(),
            Value::Boolean(b) => (*b).into(),
            Value::Text(s) => s.clone().into(),
            Value::Missing => Dynamic::UNIT,
        };
        m.insert(k.as_str().into(), value);
    }
    m
}

/// Opens the project in folder `path` for a script: tells the user what opening did (codings
/// re-anchored on edited text) and remembers it as the session's last project.
pub(super) fn open_project(path: &str) -> Fallible<ProjectRef> {
    let mut project = Project::open(std::path::Path::new(path)).map_err(fail)?;
    show_notes(project.take_notes());
    let coder = default_coder(&project);
    let opened = ProjectRef {
        project: Rc::new(RefCell::new(project)),
        coder,
        view: None,
    };
    LAST_PROJECT.with(|last| *last.borrow_mut() = Some(opened.clone()));
    Ok(opened)
}

thread_local! {
    /// Where notes go that a project has for its user (codings re-anchored on opening): the
    /// output of the session on this thread, which is the one running the script.
    static NOTES_OUT: std::cell::RefCell<Option<OutputSink>> = const { std::cell::RefCell::new(None) };
}

/// Tells the user what opening or changing a project did, as `qualkit` does on the command
/// line: each note on standard error (in a notebook, the cell's stderr stream).
pub(super) fn show_notes(notes: Vec<String>) {
    NOTES_OUT.with(|out| {
        if let Some(out) = out.borrow().as_ref() {
            for note in notes {
                out(Output::Stderr(format!("note: {note}")));
            }
        }
    });
}

/// Sends the notes of projects opened on this thread to `sink` (the session running there).
pub(super) fn send_notes_to(sink: OutputSink) {
    NOTES_OUT.with(|out| *out.borrow_mut() = Some(sink));
}

/// A list of codes or names from a script: text, or maps from the stdlib standing for their `id`.
pub(super) fn strings(values: &Array, argument: &str) -> Fallible<Vec<String>> {
    values
        .iter()
        .map(|v| {
            if let Some(map) = v.read_lock::<Map>() {
                // Maps from the stdlib (npt::constructs()) stand for their `id`.
                return map
                    .get("id")
                    .map(|id| id.to_string())
                    .ok_or_else(|| fail(format!("{argument}: a map in the list has no `id`")));
            }
            v.clone()
                .into_string()
                .map_err(|t| fail(format!("{argument}: expected text, found {t}")))
        })
        .collect()
}

/// A value as a table, for values that show as one: a project (what it holds), a segment
/// and a list of segments (one row each).
pub(super) fn as_table(value: &Dynamic) -> Option<crate::analysis::table::Table> {
    if let Some(segment) = value.read_lock::<Segment>() {
        return crate::analysis::segments::segments_table(std::slice::from_ref(&*segment)).ok();
    }
    if let Some(array) = value.read_lock::<Array>() {
        if array.is_empty() || !array.iter().all(|v| v.is::<Segment>()) {
            return None;
        }
        let segments: Vec<Segment> = array.iter().map(|v| v.clone_cast::<Segment>()).collect();
        return crate::analysis::segments::segments_table(&segments).ok();
    }
    let p = value.read_lock::<ProjectRef>()?;
    project_table(&p)
}

/// A project as a table of what it holds: documents, cases, codes, codings by coder.
fn project_table(p: &ProjectRef) -> Option<crate::analysis::table::Table> {
    use crate::analysis::table::{Table, Values};
    let project = p.project.borrow();
    let summary = project.summary().ok()?;
    let mut rows: Vec<(String, String)> = vec![
        ("folder".into(), project.root().display().to_string()),
        ("coder".into(), p.coder.clone()),
        (
            "documents".into(),
            format!("{} ({} words)", summary.documents, summary.words),
        ),
        (
            "cases".into(),
            format!(
                "{}: {}",
                summary.cases.len(),
                summary
                    .cases
                    .iter()
                    .map(|(name, _)| name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        (
            "codes".into(),
            format!(
                "{} ({} used), codebook version {}",
                summary.codes, summary.codes_used, summary.codebook_version
            ),
        ),
    ];
    for (coder, n) in &summary.codings_by_coder {
        rows.push((format!("codings by {coder}"), n.to_string()));
    }
    rows.push(("memos".into(), summary.memos.to_string()));
    if let Some(view) = &p.view {
        rows.push(("analyses see".into(), format!("codings by {view} only")));
    }
    Table::new(vec![
        (
            "project".to_string(),
            Values::Text(rows.iter().map(|r| Some(r.0.clone())).collect()),
        ),
        (
            summary.name.clone(),
            Values::Text(rows.iter().map(|r| Some(r.1.clone())).collect()),
        ),
    ])
    .ok()
}

/// The names a project knows (code ids and paths, documents, cases, case attributes), for
/// completing text inside strings.
pub(super) fn project_names(value: &Dynamic) -> Option<Vec<String>> {
    let p = value.read_lock::<ProjectRef>()?;
    let project = p.project.borrow();
    let mut names: Vec<String> = project
        .codebook
        .codes()
        .iter()
        .flat_map(|c| [c.id.clone(), c.path.clone()])
        .collect();
    names.extend(project.documents().iter().map(|d| d.id.clone()));
    names.extend(project.cases.names());
    names.extend(project.cases.columns().iter().map(|(c, _)| c.clone()));
    Some(names)
}
