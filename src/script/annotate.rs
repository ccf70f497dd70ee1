//! `p.show(doc)` and `p.annotate(doc)`: a document with its codings, to read, and to code by
//! selecting text. Coding through the widget takes the same path as `p.code` (the coder, the
//! overlap rules, the plain files, the audit log); the widget only says what the user chose.

use std::cell::RefCell;
use std::rc::Rc;

use rhai::plugin::*;
use rhai::{Engine, Map};
use serde_json::{Value, json};

use super::base::{Fallible, ProjectRef, fail};
use super::output::MimeBundle;
use super::output::{Widget, WidgetHandle};
use crate::coding::Span;
use crate::project::MemoTarget;
use crate::render::document_view::{DocumentView, ShownSuggestion, ViewFilter};
use crate::suggest::{Choice, Evaluation, Nearest, Options, SUGGEST_SUFFIX};

const ESM: &str = include_str!("../render/document_view/annotate.js");
const CSS: &str = include_str!("../render/document_view/annotate.css");

/// Why a front end shows the static view instead of the widget.
pub const NO_WIDGETS: &str = "Coding by selecting text needs a notebook front end with Jupyter widgets \
(JupyterLab, Notebook 7 or VS Code, with anywidget installed); this is the document as it stands.";

/// The widget that codes a document by selecting text.
pub struct Annotator {
    project: ProjectRef,
    document: String,
    filter: ViewFilter,
    coder: String,
    /// Suggestions of one code shown on the text, when asked for.
    suggesting: Option<Suggesting>,
    /// The answer to the front end's last request, numbered so a repeat still shows.
    message: Value,
    answered: u64,
}

/// The suggestions of a code in the widget's document, as the server made them: the front
/// end names one by its id and the server finds its place here, never taking offsets from
/// the front end.
struct Suggesting {
    code: String,
    options: Options,
    /// Suggestions in this document scoring at least `options.min_score`, best first.
    listed: Vec<Listed>,
    /// Dismissed in this view (not a record change: gone when the widget is made again).
    dismissed: std::collections::BTreeSet<String>,
    evaluation: Option<Evaluation>,
    /// Why there are no suggestions now (the code was deleted, too few codings, ...).
    problem: Option<String>,
}

struct Listed {
    id: String,
    start: usize,
    end: usize,
    /// The unit's text when suggested: accepting checks the document still has it there.
    text: String,
    score: f64,
    nearest: Vec<Nearest>,
}

impl Suggesting {
    fn new(code: String, options: Options) -> Suggesting {
        Suggesting {
            code,
            options,
            listed: Vec::new(),
            dismissed: Default::default(),
            evaluation: None,
            problem: None,
        }
    }

    /// The suggestions not dismissed, best first.
    fn shown(&self) -> impl Iterator<Item = &Listed> {
        self.listed
            .iter()
            .filter(|s| !self.dismissed.contains(&s.id))
    }
}

impl Listed {
    /// Why it is suggested: the coded passage most like it.
    fn reason(&self) -> String {
        match self.nearest.first() {
            Some(n) => format!(
                "most like {} {}..{} (similarity {:.2}): “{}”",
                n.document,
                n.start,
                n.end,
                n.similarity,
                crate::analysis::table::shorten(&n.text, 120)
            ),
            None => "no coded passage shares its words".to_string(),
        }
    }
}

/// What `p.annotate(doc, #{suggest: ...})` asks for.
pub(super) struct SuggestRequest {
    code: String,
    options: Options,
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

const VIEW_OPTIONS: [&str; 6] = [
    "code",
    "coder",
    "suggest",
    "min_score",
    "unit",
    "learn_from",
];

/// The view's filter and, with `suggest`, which suggestions to mark, from a script's options.
fn options_from(p: &ProjectRef, options: &Map) -> Fallible<(ViewFilter, Option<SuggestRequest>)> {
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
        if !VIEW_OPTIONS.contains(&key.as_str()) {
            return Err(fail(format!(
                "unknown option `{key}`; the options are {}",
                VIEW_OPTIONS.map(|o| format!("`{o}`")).join(", ")
            )));
        }
    }
    let filter = ViewFilter {
        code: text("code")?,
        coder: text("coder")?,
    };
    let Some(code) = text("suggest")? else {
        for key in ["min_score", "unit", "learn_from"] {
            if options.contains_key(key) {
                return Err(fail(format!(
                    "option `{key}` is for suggestions: give `suggest` (a code) too"
                )));
            }
        }
        return Ok((filter, None));
    };
    let mut suggest = Options {
        coder: p.view.clone(),
        ..Options::default()
    };
    if let Some(unit) = text("unit")? {
        suggest.unit = unit.parse().map_err(fail)?;
    }
    if let Some(coder) = text("learn_from")? {
        suggest.coder = Some(coder);
    }
    if let Some(score) = options.get("min_score") {
        let score = score
            .as_float()
            .or_else(|_| score.as_int().map(|i| i as f64))
            .map_err(|t| fail(format!("option `min_score` must be a number, got {t}")))?;
        if !(0.0..=1.0).contains(&score) {
            return Err(fail(format!(
                "option `min_score` is a score from 0 to 1, not {score}"
            )));
        }
        suggest.min_score = score;
    }
    Ok((
        filter,
        Some(SuggestRequest {
            code,
            options: suggest,
        }),
    ))
}

fn filter_from(p: &ProjectRef, options: &Map) -> Fallible<ViewFilter> {
    let (filter, suggest) = options_from(p, options)?;
    if suggest.is_some() {
        return Err(fail(
            "`p.show` marks no suggestions; use `p.annotate(doc, #{suggest: code})`",
        ));
    }
    Ok(filter)
}

/// The first eight characters of an id, for messages.
fn short(id: &str) -> &str {
    &id[..id.char_indices().nth(8).map_or(id.len(), |(b, _)| b)]
}

impl Annotator {
    /// The document view, with the suggestions not dismissed marked on it.
    fn view(&self) -> crate::Result<DocumentView> {
        let project = self.project.project.borrow();
        let mut view = DocumentView::build(&project, &self.document, &self.filter)?;
        if let Some(suggesting) = &self.suggesting {
            let (path, color) = self.code_look(&suggesting.code);
            // The colour the view gives the code's stripes (the codebook may set none).
            let color = view
                .legend
                .iter()
                .find(|e| e.code == suggesting.code)
                .map_or(color, |e| e.color.clone());
            view.suggestions = suggesting
                .shown()
                .map(|s| ShownSuggestion {
                    id: s.id.clone(),
                    code: suggesting.code.clone(),
                    code_path: path.clone(),
                    color: color.clone(),
                    start: s.start,
                    end: s.end,
                    score: s.score,
                    reason: s.reason(),
                })
                .collect();
        }
        Ok(view)
    }

    /// A code's path and colour in the codebook (its id and grey when it has gone).
    fn code_look(&self, code: &str) -> (String, String) {
        let project = self.project.project.borrow();
        project.codebook.get(code).map_or_else(
            || (code.to_string(), "#999999".to_string()),
            |c| {
                (
                    c.path.clone(),
                    c.color.clone().unwrap_or_else(|| "#999999".into()),
                )
            },
        )
    }

    /// Makes the suggestions again from the record as it is now (after any coding, so
    /// what was just coded or accepted is no longer suggested). A failure is kept as the
    /// reason there are none, for the widget to say.
    fn refresh_suggestions(&mut self) {
        let Some(suggesting) = &mut self.suggesting else {
            return;
        };
        let project = self.project.project.borrow();
        match project.suggest(&suggesting.code, &suggesting.options) {
            Ok(made) => {
                suggesting.code = made.code.clone();
                suggesting.listed = made
                    .suggestions
                    .into_iter()
                    .filter(|s| s.document == self.document)
                    .map(|s| Listed {
                        id: format!("s{}-{}", s.start, s.end),
                        start: s.start,
                        end: s.end,
                        text: s.text,
                        score: s.score,
                        nearest: s.nearest,
                    })
                    .collect();
                suggesting.evaluation = Some(made.evaluation);
                suggesting.problem = None;
            }
            Err(e) => {
                suggesting.listed.clear();
                suggesting.evaluation = None;
                suggesting.problem = Some(e.to_string());
            }
        }
    }

    /// The suggestions panel's state: the code, the evaluation figures beside them, and
    /// each suggestion not dismissed with its score and reason.
    fn suggestions_state(&self) -> Value {
        let Some(suggesting) = &self.suggesting else {
            return Value::Null;
        };
        let (path, color) = self.code_look(&suggesting.code);
        let evaluation = suggesting.evaluation.as_ref().map(|e| {
            json!({
                "coders": e.coders, "unit": e.unit.name(), "units": e.units,
                "examples": e.examples, "folds": e.folds, "precision": e.precision,
                "recall": e.recall, "kappa": e.kappa, "warning": e.warning,
                "summary": e.summary(),
            })
        });
        let listed: Vec<Value> = suggesting
            .shown()
            .map(|s| {
                json!({
                    "id": s.id, "start": s.start, "end": s.end, "score": s.score,
                    "text": crate::analysis::table::shorten(&s.text, 300),
                    "nearest": s.nearest.iter().map(|n| json!({
                        "document": n.document, "start": n.start, "end": n.end,
                        "text": crate::analysis::table::shorten(&n.text, 200), "similarity": n.similarity,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "code": suggesting.code, "code_path": path, "color": color,
            "min_score": suggesting.options.min_score, "unit": suggesting.options.unit.name(),
            "evaluation": evaluation, "problem": suggesting.problem,
            "dismissed": suggesting.dismissed.len(), "suggestions": listed,
        })
    }

    /// The suggestions as a list under the static view (text and HTML): the evaluation
    /// figures, then each with its score, place and reason, and how to accept from a script.
    fn suggestions_listing(&self) -> (String, String) {
        use crate::analysis::table::escape_html as escape;
        let Some(suggesting) = &self.suggesting else {
            return (String::new(), String::new());
        };
        let (path, _) = self.code_look(&suggesting.code);
        let figures = match (&suggesting.evaluation, &suggesting.problem) {
            (_, Some(problem)) => format!("No suggestions of {path}: {problem}"),
            (Some(e), None) => format!("Suggestions of {path}, measured first: {}", e.summary()),
            (None, None) => format!("Suggestions of {path}"),
        };
        // The same options make the same suggestions, so the places listed here are accepted.
        let mut options = Vec::new();
        if let Some(coder) = &suggesting.options.coder {
            options.push(format!("coder: {coder:?}"));
        }
        if suggesting.options.unit != Options::default().unit {
            options.push(format!("unit: {:?}", suggesting.options.unit.name()));
        }
        let how = format!(
            "Accept from a script with p.accept_suggestions(\"{}\", [[\"{}\", start, end]]{}).",
            suggesting.code,
            self.document,
            if options.is_empty() {
                String::new()
            } else {
                format!(", #{{{}}}", options.join(", "))
            }
        );
        let mut text = format!("\n{figures}\n");
        let mut html = format!(
            "<div class=\"qk-suggestion-list\" style=\"margin-top:6px\"><div class=\"qk-evaluation\" style=\"margin-bottom:4px\">{}</div><ol style=\"margin:0;padding-left:2em\">",
            escape(&figures)
        );
        for s in suggesting.shown() {
            text.push_str(&format!(
                "  {} {}..{} score {:.2}: “{}”\n      {}\n",
                s.id,
                s.start,
                s.end,
                s.score,
                crate::analysis::table::shorten(&s.text, 100),
                s.reason()
            ));
            html.push_str(&format!(
                "<li data-suggestion=\"{}\">{}..{} · score <b>{:.2}</b> · “{}”<br><small style=\"color:#555\">{}</small></li>",
                escape(&s.id),
                s.start,
                s.end,
                s.score,
                escape(&crate::analysis::table::shorten(&s.text, 200)),
                escape(&s.reason())
            ));
        }
        text.push_str(&how);
        text.push('\n');
        html.push_str(&format!("</ol><div>{}</div></div>", escape(&how)));
        (text, html)
    }

    /// The suggestion the front end names, as the server made it, checked against the
    /// document as it is now.
    fn suggestion(&self, id: &str) -> crate::Result<&Listed> {
        let suggesting = self.suggesting.as_ref().ok_or_else(|| {
            crate::Error::argument("id", "this view shows no suggestions; nothing was stored")
        })?;
        let listed = suggesting
            .listed
            .iter()
            .find(|s| s.id == id)
            .ok_or_else(|| {
                crate::Error::argument(
                    "id",
                    format!(
                        "`{id}` is not a suggestion of {} in this view now (already accepted or coded, or the record changed); nothing was stored",
                        suggesting.code
                    ),
                )
            })?;
        if suggesting.dismissed.contains(id) {
            return Err(crate::Error::argument(
                "id",
                format!("suggestion {id} was dismissed in this view; nothing was stored"),
            ));
        }
        self.check_unchanged(listed)?;
        Ok(listed)
    }

    /// Refuses a suggestion whose text is no longer where it was (the document was
    /// replaced since the suggestions were made).
    fn check_unchanged(&self, listed: &Listed) -> crate::Result<()> {
        // Another process (a terminal, another notebook) may have replaced the document:
        // read the project again if its files changed, as every change to the record does.
        drop(self.project.project.borrow_mut().write_locked()?);
        let project = self.project.project.borrow();
        let doc = project.document(&self.document)?;
        if doc.slice(listed.start, listed.end) != Some(listed.text.as_str()) {
            return Err(crate::Error::argument(
                "id",
                format!(
                    "`{}` changed since suggestion {} was made ({}..{} no longer holds its text); the suggestions are made again, nothing was stored",
                    self.document, listed.id, listed.start, listed.end
                ),
            ));
        }
        Ok(())
    }

    /// Accepts places of this document through the record's accept path (one log entry).
    fn accept(
        &mut self,
        places: Vec<(usize, usize)>,
    ) -> crate::Result<(crate::suggest::Accepted, String)> {
        let suggesting = self.suggesting.as_ref().ok_or_else(|| {
            crate::Error::argument("id", "this view shows no suggestions; nothing was stored")
        })?;
        let choice = Choice::Spans(
            places
                .iter()
                .map(|&(start, end)| (self.document.clone(), start, end))
                .collect(),
        );
        let code = suggesting.code.clone();
        let options = suggesting.options.clone();
        let accepted = self.project.project.borrow_mut().accept_suggestions(
            &self.coder,
            &code,
            &options,
            &choice,
        )?;
        Ok((accepted, code))
    }

    fn accept_one(&mut self, id: &str) -> crate::Result<String> {
        let (start, end) = {
            let listed = self.suggestion(id)?;
            (listed.start, listed.end)
        };
        let (accepted, code) = self.accept(vec![(start, end)])?;
        let project = self.project.project.borrow();
        let coding = project
            .store()
            .codings_in(&self.document)?
            .into_iter()
            .find(|c| {
                c.coder == accepted.coder && c.code == code && c.start == start && c.end == end
            });
        let path = project
            .codebook
            .get(&code)
            .map_or(code.clone(), |c| c.path.clone());
        let quote = project
            .document(&self.document)?
            .slice(start, end)
            .map(|q| crate::analysis::table::shorten(q, 60))
            .unwrap_or_default();
        Ok(match coding {
            Some(c) => format!(
                "Accepted {start}..{end} “{quote}” as {path} (coding {}, coder {}; log entry {}, revertable).",
                short(&c.id),
                accepted.coder,
                short(&accepted.entry)
            ),
            None => format!(
                "Nothing stored for {start}..{end}: it overlaps a coding of {path} by {} (log entry {}).",
                accepted.coder,
                short(&accepted.entry)
            ),
        })
    }

    fn accept_above(&mut self, score: f64) -> crate::Result<String> {
        if !(0.0..=1.0).contains(&score) {
            return Err(crate::Error::argument(
                "score",
                format!("a score is from 0 to 1, not {score}; nothing was stored"),
            ));
        }
        let suggesting = self.suggesting.as_ref().ok_or_else(|| {
            crate::Error::argument(
                "score",
                "this view shows no suggestions; nothing was stored",
            )
        })?;
        let chosen: Vec<&Listed> = suggesting.shown().filter(|s| s.score >= score).collect();
        if chosen.is_empty() {
            return Err(crate::Error::argument(
                "score",
                format!("no suggestion shown here scores {score:.2} or more; nothing was stored"),
            ));
        }
        for listed in &chosen {
            self.check_unchanged(listed)?;
        }
        let places = chosen.iter().map(|s| (s.start, s.end)).collect();
        let (accepted, code) = self.accept(places)?;
        let path = self.code_look(&code).0;
        let mut message = format!(
            "Accepted {} suggestion{} scoring {score:.2} or more as {path} (coder {}; one log entry {}, revertable).",
            accepted.added,
            if accepted.added == 1 { "" } else { "s" },
            accepted.coder,
            short(&accepted.entry)
        );
        if accepted.skipped_overlaps > 0 {
            message.push_str(&format!(
                " {} overlapped codings of the same code and were not stored.",
                accepted.skipped_overlaps
            ));
        }
        Ok(message)
    }

    fn dismiss(&mut self, id: &str) -> crate::Result<String> {
        let (start, end) = {
            let listed = self.suggestion(id)?;
            (listed.start, listed.end)
        };
        if let Some(suggesting) = &mut self.suggesting {
            suggesting.dismissed.insert(id.to_string());
        }
        Ok(format!(
            "Dismissed the suggestion at {start}..{end} in this view (nothing is stored)."
        ))
    }

    /// Shows the suggestions of `code` (with the options of those shown now, if any).
    fn suggest(&mut self, code: &str) -> crate::Result<String> {
        let options = match &self.suggesting {
            Some(s) => s.options.clone(),
            None => Options {
                coder: self.project.view.clone(),
                ..Options::default()
            },
        };
        let before = self
            .suggesting
            .replace(Suggesting::new(code.to_string(), options));
        self.refresh_suggestions();
        if let Some(problem) = self.suggesting.as_ref().and_then(|s| s.problem.clone()) {
            // A code that cannot be suggested leaves the view as it was.
            self.suggesting = before;
            return Err(crate::Error::argument("code", problem));
        }
        let suggesting = self.suggesting.as_ref().map_or(0, |s| s.listed.len());
        Ok(format!(
            "{suggesting} suggestion{} of {} in this document (not codings until accepted).",
            if suggesting == 1 { "" } else { "s" },
            self.code_look(self.suggesting.as_ref().map_or(code, |s| s.code.as_str()))
                .0
        ))
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
                            .map(|q| crate::analysis::table::shorten(q, 400))
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
                    crate::analysis::table::escape_html(&e.to_string())
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
            .map(|q| crate::analysis::table::shorten(q, 60))
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
            "accept" => self.accept_one(&text("id")?),
            "dismiss" => self.dismiss(&text("id")?),
            "accept_above" => {
                let score = content["score"].as_f64().ok_or_else(|| {
                    crate::Error::argument("score", "the request has no number `score`")
                })?;
                self.accept_above(score)
            }
            "suggest" => self.suggest(&text("code")?),
            "coder" => {
                let coder = text("coder")?.trim().to_string();
                crate::project::check_coder(&coder)?;
                if self.suggesting.is_some() && coder.ends_with(SUGGEST_SUFFIX) {
                    return Err(crate::Error::argument(
                        "coder",
                        format!("suggestions are accepted by a person, not by `{coder}`"),
                    ));
                }
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
        // anywidget loads `_css` only for a widget that names itself; every annotation
        // widget shares one style sheet under this name.
        state.insert("_anywidget_id".into(), "qualkit.annotate".into());
        state.insert("document".into(), self.document.clone().into());
        state.insert("coder".into(), self.coder.clone().into());
        state.insert("codes".into(), self.codes());
        state.insert("html".into(), html.into());
        state.insert("codings".into(), codings);
        state.insert("suggesting".into(), self.suggestions_state());
        state.insert("message".into(), self.message.clone());
        state
    }

    fn fallback(&self) -> MimeBundle {
        match self.view() {
            Ok(view) => {
                let (text, html) = self.suggestions_listing();
                MimeBundle {
                    text: format!("{}{text}\n{NO_WIDGETS}", view.terminal()),
                    html: Some(format!("{}{html}", view.html_with_note(NO_WIDGETS))),
                    ..Default::default()
                }
            }
            Err(e) => MimeBundle {
                text: e.to_string(),
                ..Default::default()
            },
        }
    }

    fn on_message(&mut self, content: &Value) -> serde_json::Map<String, Value> {
        let result = self.act(content);
        self.answer(result);
        // After a request that touches codings (done, or refused perhaps because the record
        // changed meanwhile) the suggestions are made again from the record as it is, so none
        // is shown that is coded now or out of date. The others keep the list: making it
        // takes seconds on a large project.
        let action = content["action"].as_str().unwrap_or_default();
        if matches!(
            action,
            "code" | "uncode" | "recode" | "accept" | "accept_above"
        ) {
            self.refresh_suggestions();
        }
        let (html, codings) = self.drawn();
        let mut changed = serde_json::Map::new();
        changed.insert("html".into(), html.into());
        changed.insert("codings".into(), codings);
        changed.insert("suggesting".into(), self.suggestions_state());
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
        let filter = filter_from(p, &options)?;
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

    /// The annotation widget showing only some codings (`code`, `coder`), as `p.show`;
    /// with `suggest` (a code), it also marks that code's suggestions in this document as
    /// dashed boxes in the code's colour, provisional until accepted, each with its score
    /// and the coded passage most like it, beside the cross-validated precision, recall and
    /// kappa and the number of examples learned from (as `p.suggest` measures them). Accept
    /// one, dismiss one (for this view only: nothing is stored), or accept every one here at
    /// or above a score: accepted suggestions are stored as `p.accept_suggestions` stores
    /// them (coder `<p.coder>+suggest`, one revertable log entry per accept with how they
    /// were made). `min_score` (0.5), `unit` ("sentence") and `learn_from` (a coder; every
    /// coder by default) choose the suggestions. The "Suggest" button shows the suggestions
    /// of the code in the picker instead. Outside a notebook it prints the view with the
    /// suggestions marked and listed.
    ///
    /// ```rhai
    /// p.annotate("cobalt-p2-interview-gp", #{coder: "ana"});
    /// p.annotate("cobalt-p2-interview-gp", #{suggest: "npt.coherence", min_score: 0.3})
    /// ```
    #[rhai_fn(name = "annotate", return_raw, pure)]
    pub fn annotate_filtered(
        p: &mut ProjectRef,
        document: &str,
        options: Map,
    ) -> Fallible<AnnotatorRef> {
        let (filter, suggest) = options_from(p, &options)?;
        let widget = annotator(p, document, filter)?;
        if let Some(request) = suggest {
            let mut annotator = widget.0.borrow_mut();
            annotator.suggesting = Some(Suggesting::new(request.code, request.options));
            annotator.refresh_suggestions();
            if let Some(problem) = annotator
                .suggesting
                .as_ref()
                .and_then(|s| s.problem.clone())
            {
                return Err(fail(format!("annotate: no suggestions: {problem}")));
            }
        }
        Ok(widget)
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
        suggesting: None,
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
