//! `p.show(doc)` and `p.annotate(doc)`: a document with its codings, to read, and to code by
//! selecting text. Coding through the widget takes the same path as `p.code` (the coder, the
//! overlap rules, the plain files, the audit log); the widget only says what the user chose.

use std::cell::RefCell;
use std::rc::Rc;

use rhai::plugin::*;
use rhai::{Engine, Map};
use serde_json::{Value, json};

use super::api::{Fallible, ProjectRef, fail};
use super::output::MimeBundle;
use super::widget::{Widget, WidgetHandle};
use crate::coding::Span;
use crate::document_view::{DocumentView, ViewFilter};
use crate::project::MemoTarget;

const ESM: &str = include_str!("../document_view/annotate.js");
const CSS: &str = include_str!("../document_view/annotate.css");

/// Why a front end shows the static view instead of the widget.
pub const NO_WIDGETS: &str = "Coding by selecting text needs a notebook front end with Jupyter widgets \
(JupyterLab, Notebook 7 or VS Code, with anywidget installed); this is the document as it stands.";

/// The widget that codes a document by selecting text.
pub struct Annotator {
    project: ProjectRef,
    document: String,
    filter: ViewFilter,
    coder: String,
    /// The answer to the front end's last request, numbered so a repeat still shows.
    message: Value,
    answered: u64,
}

/// A script's handle on an annotation widget (the kernel shares the widget behind it).
#[derive(Clone)]
pub struct AnnotatorRef(Rc<RefCell<Annotator>>);

impl AnnotatorRef {
    pub fn widget(&self) -> WidgetHandle {
        WidgetHandle(self.0.clone())
    }

    pub fn fallback(&self) -> MimeBundle {
        self.0.borrow().fallback()
    }
}

fn filter_from(options: &Map) -> Fallible<ViewFilter> {
    let text = |key: &str| -> Fallible<Option<String>> {
        match options.get(key) {
            None => Ok(None),
            Some(v) if v.is_unit() => Ok(None),
            Some(v) => v.clone().into_string().map(Some).map_err(|t| {
                fail(format!(
                    "option `{key}` must be a string (a code id or path, or a coder); got {t}"
                ))
            }),
        }
    };
    for key in options.keys() {
        if !matches!(key.as_str(), "code" | "coder") {
            return Err(fail(format!(
                "unknown option `{key}`; the options are `code` and `coder`"
            )));
        }
    }
    Ok(ViewFilter {
        code: text("code")?,
        coder: text("coder")?,
    })
}

impl Annotator {
    fn view(&self) -> crate::Result<DocumentView> {
        DocumentView::build(&self.project.project.borrow(), &self.document, &self.filter)
    }

    fn codes(&self) -> Value {
        let project = self.project.project.borrow();
        Value::Array(
            project
                .codebook
                .codes()
                .iter()
                .map(|c| {
                    json!({
                        "id": c.id, "path": c.path, "depth": c.depth,
                        "color": c.color.clone().unwrap_or_else(|| "#999999".into()),
                    })
                })
                .collect(),
        )
    }

    /// The view's HTML and codings (with their quotes, for the coding panel), or the error
    /// that stopped the view being drawn.
    fn drawn(&self) -> (String, Value) {
        match self.view() {
            Ok(view) => {
                let project = self.project.project.borrow();
                let doc = project.document(&self.document).ok();
                let codings = view
                    .codings
                    .iter()
                    .map(|c| {
                        let quote = doc
                            .and_then(|d| d.slice(c.start, c.end))
                            .map(|q| crate::table::shorten(q, 400))
                            .unwrap_or_default();
                        json!({
                            "id": c.id, "code": c.code, "code_path": c.code_path,
                            "coder": c.coder, "start": c.start, "end": c.end,
                            "memo": c.memo, "quote": quote,
                        })
                    })
                    .collect();
                (view.html(), Value::Array(codings))
            }
            Err(e) => (
                format!(
                    "<div class=\"qk-doc\">{}</div>",
                    crate::table::escape_html(&e.to_string())
                ),
                Value::Array(Vec::new()),
            ),
        }
    }

    fn answer(&mut self, result: crate::Result<String>) {
        self.answered += 1;
        self.message = match result {
            Ok(text) => json!({ "seq": self.answered, "kind": "ok", "text": text }),
            Err(e) => json!({ "seq": self.answered, "kind": "error", "text": e.to_string() }),
        };
    }

    /// Codes `start..end` (code points) with `code`, leaving out white space at either end
    /// of the selection.
    fn code(&mut self, start: usize, end: usize, code: &str) -> crate::Result<String> {
        let (start, end) = {
            let project = self.project.project.borrow();
            let doc = project.document(&self.document)?;
            let selected = doc.slice(start, end).ok_or_else(|| {
                crate::Error::argument(
                    "selection",
                    format!(
                        "{start}..{end} is not inside `{}` ({} code points)",
                        doc.id,
                        doc.len_chars()
                    ),
                )
            })?;
            let lead = selected.chars().take_while(|c| c.is_whitespace()).count();
            let trail = selected
                .chars()
                .rev()
                .take_while(|c| c.is_whitespace())
                .count();
            if lead == selected.chars().count() {
                return Err(crate::Error::argument(
                    "selection",
                    "only white space is selected",
                ));
            }
            (start + lead, end - trail)
        };
        let coding = self.project.project.borrow_mut().code(
            &self.coder,
            &self.document,
            code,
            &Span::Offsets { start, end },
        )?;
        let project = self.project.project.borrow();
        let path = project
            .codebook
            .get(&coding.code)
            .map_or(coding.code.clone(), |c| c.path.clone());
        let quote = project
            .document(&self.document)?
            .slice(coding.start, coding.end)
            .map(|q| crate::table::shorten(q, 60))
            .unwrap_or_default();
        Ok(format!(
            "Coded {}..{} “{}” as {} (coding {}, coder {}).",
            coding.start,
            coding.end,
            quote,
            path,
            &coding.id[..coding.id.len().min(8)],
            coding.coder
        ))
    }

    fn act(&mut self, content: &Value) -> crate::Result<String> {
        let text = |key: &str| -> crate::Result<String> {
            content[key].as_str().map(str::to_string).ok_or_else(|| {
                crate::Error::argument(key, format!("the request has no text `{key}`"))
            })
        };
        let position = |key: &str| -> crate::Result<usize> {
            content[key]
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| {
                    crate::Error::argument(key, format!("the request has no position `{key}`"))
                })
        };
        match content["action"].as_str().unwrap_or_default() {
            "code" => self.code(position("start")?, position("end")?, &text("code")?),
            "uncode" => {
                let id = text("id")?;
                self.project
                    .project
                    .borrow_mut()
                    .uncode(&self.coder, std::slice::from_ref(&id))?;
                Ok(format!("Uncoded coding {}.", &id[..id.len().min(8)]))
            }
            "recode" => {
                let coding = self.project.project.borrow_mut().recode(
                    &self.coder,
                    &text("id")?,
                    &text("code")?,
                )?;
                Ok(format!(
                    "Recoded coding {} as {}.",
                    &coding.id[..coding.id.len().min(8)],
                    coding.code
                ))
            }
            "memo" => {
                let id = text("id")?;
                let memo = text("text")?;
                self.project.project.borrow_mut().memo(
                    &self.coder,
                    &MemoTarget::Coding(id.clone()),
                    &memo,
                )?;
                Ok(if memo.is_empty() {
                    format!("Removed the memo on coding {}.", &id[..id.len().min(8)])
                } else {
                    format!("Saved the memo on coding {}.", &id[..id.len().min(8)])
                })
            }
            "coder" => {
                let coder = text("coder")?.trim().to_string();
                crate::project::check_coder(&coder)?;
                self.coder = coder;
                Ok(format!("Coding as {}.", self.coder))
            }
            other => Err(crate::Error::argument(
                "action",
                format!("the widget asked for `{other}`, which it does not do"),
            )),
        }
    }
}

impl Widget for Annotator {
    fn state(&self) -> serde_json::Map<String, Value> {
        let (html, codings) = self.drawn();
        let mut state = serde_json::Map::new();
        state.insert("_esm".into(), ESM.into());
        state.insert("_css".into(), CSS.into());
        state.insert("document".into(), self.document.clone().into());
        state.insert("coder".into(), self.coder.clone().into());
        state.insert("codes".into(), self.codes());
        state.insert("html".into(), html.into());
        state.insert("codings".into(), codings);
        state.insert("message".into(), self.message.clone());
        state
    }

    fn fallback(&self) -> MimeBundle {
        match self.view() {
            Ok(view) => MimeBundle {
                text: format!("{}\n{NO_WIDGETS}", view.terminal()),
                html: Some(view.html_with_note(NO_WIDGETS)),
                ..Default::default()
            },
            Err(e) => MimeBundle {
                text: e.to_string(),
                ..Default::default()
            },
        }
    }

    fn on_message(&mut self, content: &Value) -> serde_json::Map<String, Value> {
        let result = self.act(content);
        self.answer(result);
        let (html, codings) = self.drawn();
        let mut changed = serde_json::Map::new();
        changed.insert("html".into(), html.into());
        changed.insert("codings".into(), codings);
        changed.insert("coder".into(), self.coder.clone().into());
        changed.insert("message".into(), self.message.clone());
        changed
    }
}

#[export_module]
pub mod annotate_functions {
    use super::*;

    /// A document with its codings: line numbers, speaker turns, and each coding as a
    /// stripe in the margin coloured by its code (hover for code, coder, id and memo), with
    /// a legend. In a notebook it shows as HTML that stays in the saved notebook; `print`
    /// gives the terminal form, with the code point offset each line starts at.
    ///
    /// ```rhai
    /// p.show("cobalt-p2-interview-gp")
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn show(p: &mut ProjectRef, document: &str) -> Fallible<DocumentView> {
        DocumentView::build(&p.project.borrow(), document, &ViewFilter::default()).map_err(fail)
    }

    /// The document view with only some codings: `code` (that code and the codes below it)
    /// and/or `coder`.
    ///
    /// ```rhai
    /// p.show("cobalt-p2-interview-gp", #{code: "npt.coherence", coder: "ana"})
    /// ```
    #[rhai_fn(name = "show", return_raw, pure)]
    pub fn show_filtered(
        p: &mut ProjectRef,
        document: &str,
        options: Map,
    ) -> Fallible<DocumentView> {
        let filter = filter_from(&options)?;
        DocumentView::build(&p.project.borrow(), document, &filter).map_err(fail)
    }

    /// Codes a document by selecting text, in a notebook: select a passage, pick a code
    /// (type to search the codebook), press Code. Click a stripe to uncode or recode that
    /// coding or write its memo; change the coder in the box at the top. Every coding is
    /// stored as `p.code` stores it, under this project's coder. Outside a notebook with
    /// Jupyter widgets it shows the document as `p.show` does and says why.
    ///
    /// ```rhai
    /// p.annotate("cobalt-p2-interview-gp")
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn annotate(p: &mut ProjectRef, document: &str) -> Fallible<AnnotatorRef> {
        annotator(p, document, ViewFilter::default())
    }

    /// The annotation widget showing only some codings (`code`, `coder`), as `p.show`.
    ///
    /// ```rhai
    /// p.annotate("cobalt-p2-interview-gp", #{coder: "ana"})
    /// ```
    #[rhai_fn(name = "annotate", return_raw, pure)]
    pub fn annotate_filtered(
        p: &mut ProjectRef,
        document: &str,
        options: Map,
    ) -> Fallible<AnnotatorRef> {
        let filter = filter_from(&options)?;
        annotator(p, document, filter)
    }

    /// The terminal form of a document view.
    #[rhai_fn(name = "to_string", pure)]
    pub fn view_to_string(view: &mut DocumentView) -> String {
        view.terminal()
    }

    /// The terminal form of an annotation widget (the document view and a note).
    #[rhai_fn(name = "to_string", pure)]
    pub fn annotator_to_string(widget: &mut AnnotatorRef) -> String {
        widget.fallback().text
    }
}

pub(super) fn annotator(
    p: &ProjectRef,
    document: &str,
    filter: ViewFilter,
) -> Fallible<AnnotatorRef> {
    // The document and filter are checked now, so a mistake shows in the cell that made it.
    let view = DocumentView::build(&p.project.borrow(), document, &filter).map_err(fail)?;
    Ok(AnnotatorRef(Rc::new(RefCell::new(Annotator {
        project: p.clone(),
        document: view.document,
        filter,
        coder: p.coder.clone(),
        message: json!({ "seq": 0, "kind": "info", "text": "" }),
        answered: 0,
    }))))
}

pub(super) fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<DocumentView>("DocumentView")
        .register_type_with_name::<AnnotatorRef>("Annotator");
    engine.register_global_module(rhai::exported_module!(annotate_functions).into());
}
