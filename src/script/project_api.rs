//! Rhai bindings for projects, documents and segments: the `project` group of functions. Each `///` comment is the help text a
//! user sees with `help("name")` in the REPL and in notebooks.

use rhai::plugin::*;
use rhai::{Array, Dynamic, Engine, Map};

use super::base::{DocumentRef, Fallible, ProjectRef, case_map, fail, open_project};

use crate::analysis::segments::{Segment, SegmentFilter};
use crate::coding::Span;
use crate::coding::autocode::{Rule, Scope, Search};
use crate::project::MemoTarget;

fn segments_array(segments: Vec<Segment>) -> Array {
    segments.into_iter().map(Dynamic::from).collect()
}

fn coding_map(c: crate::store::Coding) -> Map {
    let mut m = Map::new();
    m.insert("id".into(), c.id.into());
    m.insert("created".into(), c.created.into());
    m.insert("document".into(), c.document.into());
    m.insert("code".into(), c.code.into());
    m.insert("coder".into(), c.coder.into());
    m.insert("start".into(), Dynamic::from(c.start as i64));
    m.insert("end".into(), Dynamic::from(c.end as i64));
    m
}

/// Applies a codebook edit; returns the code's id.
fn edit_codebook(
    p: &mut ProjectRef,
    edit: crate::project::codebook_edits::CodebookEdit,
) -> Fallible<String> {
    let coder = p.coder.clone();
    p.project
        .borrow_mut()
        .edit_codebook(&coder, &edit)
        .map(|done| done.code)
        .map_err(fail)
}

fn position(n: i64, argument: &str) -> Fallible<usize> {
    usize::try_from(n).map_err(|_| fail(format!("{argument} must not be negative (got {n})")))
}

#[export_module]
pub mod project_api {
    use super::*;
    use crate::project::codebook_edits::CodebookEdit;

    /// Opens the qualkit project in folder `path`.
    ///
    /// ```rhai
    /// let p = project("data/deep-end");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn project(path: &str) -> Fallible<ProjectRef> {
        open_project(path)
    }

    /// The project's name, from qualkit.toml.
    ///
    /// ```rhai
    /// print(p.name);
    /// ```
    #[rhai_fn(get = "name", pure)]
    pub fn name(p: &mut ProjectRef) -> String {
        p.project.borrow().name().to_string()
    }

    /// The coder that codings made from this script are recorded under.
    #[rhai_fn(get = "coder", pure)]
    pub fn coder(p: &mut ProjectRef) -> String {
        p.coder.clone()
    }

    /// Sets the coder recorded for the codings this script makes: `p.coder = "ak";`
    #[rhai_fn(set = "coder")]
    pub fn set_coder(p: &mut ProjectRef, coder: &str) {
        p.coder = coder.to_string();
    }

    /// A summary of the project: cases, documents by method and phase, roles, codings.
    ///
    /// ```rhai
    /// print(p.info());
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn info(p: &mut ProjectRef) -> Fallible<String> {
        p.project
            .borrow()
            .summary()
            .map(|s| s.to_string())
            .map_err(fail)
    }

    /// All documents, in file order.
    ///
    /// ```rhai
    /// for d in p.documents() { print(`${d.id}: ${d.words} words`); }
    /// ```
    #[rhai_fn(pure)]
    pub fn documents(p: &mut ProjectRef) -> Array {
        let n = p.project.borrow().documents().len();
        (0..n)
            .map(|index| {
                Dynamic::from(DocumentRef {
                    project: p.project.clone(),
                    index,
                })
            })
            .collect()
    }

    /// One document by id (its file name without the extension).
    ///
    /// ```rhai
    /// let d = p.document("magenta-p3-interview-gp");
    /// print(`${d.case_name} ${d.method} ${d.phase}: ${d.words} words`);
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn document(p: &mut ProjectRef, id: &str) -> Fallible<DocumentRef> {
        let project = p.project.borrow();
        let target = project.document(id).map_err(fail)?.id.clone();
        let index = project
            .documents()
            .iter()
            .position(|d| d.id == target)
            .expect("found above");
        Ok(DocumentRef {
            project: p.project.clone(),
            index,
        })
    }

    /// Cases with their attributes, as maps: `#{name: "Magenta", integration: "FIP", ...}`.
    ///
    /// ```rhai
    /// for c in p.cases() { print(`${c.name}: ${c.integration}, list size ${c.list_size}`); }
    /// ```
    #[rhai_fn(pure)]
    pub fn cases(p: &mut ProjectRef) -> Array {
        p.project
            .borrow()
            .cases
            .iter()
            .map(|c| case_map(c).into())
            .collect()
    }

    /// Every code of the codebook as a map: id, name, path, description, parent.
    ///
    /// ```rhai
    /// for c in p.codes().filter(|c| c.parent == "npt") { print(`${c.id}: ${c.description}`); }
    /// ```
    #[rhai_fn(pure)]
    pub fn codes(p: &mut ProjectRef) -> Array {
        p.project
            .borrow()
            .codebook
            .codes()
            .iter()
            .map(|c| {
                let mut m = Map::new();
                m.insert("id".into(), c.id.clone().into());
                m.insert("name".into(), c.name.clone().into());
                m.insert("path".into(), c.path.clone().into());
                m.insert("description".into(), c.description.clone().into());
                m.insert(
                    "parent".into(),
                    c.parent.clone().map_or(Dynamic::UNIT, Dynamic::from),
                );
                m.into()
            })
            .collect()
    }

    /// All coded segments, ordered by document and position (one coder's only after
    /// `coded_by`).
    ///
    /// ```rhai
    /// let gp = p.segments().filter(|s| s.role == "GP");
    /// ```
    #[rhai_fn(name = "segments", return_raw, pure)]
    pub fn all_segments(p: &mut ProjectRef) -> Fallible<Array> {
        let filter = SegmentFilter {
            coder: p.view.clone(),
            ..Default::default()
        };
        p.project
            .borrow()
            .segments(&filter)
            .map(segments_array)
            .map_err(fail)
    }

    /// Segments coded with `code` (an id, path or unique name) or any code below it.
    ///
    /// ```rhai
    /// let coherence = p.segments("NPT/Coherence");
    /// ```
    #[rhai_fn(name = "segments", return_raw, pure)]
    pub fn segments_of(p: &mut ProjectRef, code: &str) -> Fallible<Array> {
        let filter = SegmentFilter {
            code: Some(code.to_string()),
            coder: p.view.clone(),
            ..Default::default()
        };
        p.project
            .borrow()
            .segments(&filter)
            .map(segments_array)
            .map_err(fail)
    }

    /// Codes the text `quote` (found in the document; it must occur once) with `code`.
    /// Returns the coding as a map with its id.
    ///
    /// ```rhai
    /// p.code("magenta-p3-interview-gp", "theme.shared-learning", "We still do the learning afternoons");
    /// ```
    #[rhai_fn(name = "code", return_raw, pure)]
    pub fn code_quote(
        p: &mut ProjectRef,
        document: &str,
        code: &str,
        quote: &str,
    ) -> Fallible<Map> {
        let span = Span::Quote {
            text: quote.to_string(),
            occurrence: None,
        };
        let coder = p.coder.clone();
        p.project
            .borrow_mut()
            .code(&coder, document, code, &span)
            .map(coding_map)
            .map_err(fail)
    }

    /// Codes code points `start..end` (from 0, end exclusive) of a document with `code`.
    #[rhai_fn(name = "code", return_raw, pure)]
    pub fn code_offsets(
        p: &mut ProjectRef,
        document: &str,
        code: &str,
        start: i64,
        end: i64,
    ) -> Fallible<Map> {
        let span = Span::Offsets {
            start: position(start, "start")?,
            end: position(end, "end")?,
        };
        let coder = p.coder.clone();
        p.project
            .borrow_mut()
            .code(&coder, document, code, &span)
            .map(coding_map)
            .map_err(fail)
    }

    /// Removes a coding by id, with the memos written on it; `p.revert` brings both back.
    ///
    /// ```rhai
    /// let c = p.code("magenta-p3-interview-gp", "theme.shared-learning", "We still do the learning afternoons");
    /// p.uncode(c.id);
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn uncode(p: &mut ProjectRef, id: &str) -> Fallible<()> {
        let coder = p.coder.clone();
        p.project
            .borrow_mut()
            .uncode(&coder, &[id.to_string()])
            .map(|_| ())
            .map_err(fail)
    }

    /// Moves a coding to another code; it keeps its id. Returns the coding as a map.
    ///
    /// ```rhai
    /// let c = p.code("magenta-p3-interview-gp", "theme.shared-learning", "We still do the learning afternoons");
    /// p.recode(c.id, "npt.cognitive-participation.activation");
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn recode(p: &mut ProjectRef, id: &str, code: &str) -> Fallible<Map> {
        let coder = p.coder.clone();
        p.project
            .borrow_mut()
            .recode(&coder, id, code)
            .map(coding_map)
            .map_err(fail)
    }

    /// The project's history, oldest first: one map per entry with `id`, `at`, `coder`,
    /// `action` and `summary` (what it did, with its counts).
    ///
    /// ```rhai
    /// for e in p.log() { print(`${e.at} ${e.coder} ${e.action}: ${e.summary}`); }
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn log(p: &mut ProjectRef) -> Fallible<Array> {
        let lines = p.project.borrow().log().map_err(fail)?;
        Ok(lines
            .into_iter()
            .map(|l| {
                let mut m = Map::new();
                m.insert("id".into(), l.id.into());
                m.insert("at".into(), l.at.into());
                m.insert("coder".into(), l.coder.into());
                m.insert("action".into(), l.action.into());
                m.insert("summary".into(), l.summary.into());
                Dynamic::from_map(m)
            })
            .collect())
    }

    /// Undoes one log entry, by its id (or its first 4 or more characters), as a new entry.
    /// Refused, changing nothing, where later work would be lost. Returns the counts of what
    /// it undid and the new entry's id.
    ///
    /// ```rhai
    /// let added = p.autocode_text("theme.shared-learning", "room", "match");
    /// let last = p.log()[-1];
    /// let undone = p.revert(last.id);   // the autocode run is gone
    /// print(undone.codings_removed);
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn revert(p: &mut ProjectRef, entry: &str) -> Fallible<Map> {
        let coder = p.coder.clone();
        let done = p.project.borrow_mut().revert(&coder, entry).map_err(fail)?;
        let mut m = Map::new();
        m.insert("entry".into(), done.entry.into());
        m.insert(
            "codings_removed".into(),
            Dynamic::from(done.codings_removed as i64),
        );
        m.insert(
            "codings_restored".into(),
            Dynamic::from(done.codings_restored as i64),
        );
        m.insert(
            "codings_recoded".into(),
            Dynamic::from(done.codings_recoded as i64),
        );
        m.insert(
            "notes_restored".into(),
            Dynamic::from(done.notes_restored as i64),
        );
        Ok(m)
    }

    /// Adds a code at `path` (`"Parent/Name"`, or `"Name"` for a top code); returns its id.
    /// codebook.yaml keeps its comments and order.
    ///
    /// ```rhai
    /// let id = p.add_code("Contextual factors/Funding");
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn add_code(p: &mut ProjectRef, path: &str) -> Fallible<String> {
        edit_codebook(
            p,
            CodebookEdit::Add {
                path: path.to_string(),
                description: None,
                color: None,
            },
        )
    }

    /// Gives a code a new name; its id, and so its codings, stay.
    ///
    /// ```rhai
    /// p.rename_code("theme.shared-learning", "Learning together");
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn rename_code(p: &mut ProjectRef, code: &str, name: &str) -> Fallible<String> {
        edit_codebook(
            p,
            CodebookEdit::Rename {
                code: code.to_string(),
                name: name.to_string(),
            },
        )
    }

    /// Puts a code (with the codes below it) under another parent; `"/"` makes it a top code.
    ///
    /// ```rhai
    /// p.move_code("theme.shared-learning", "npt.coherence");
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn move_code(p: &mut ProjectRef, code: &str, parent: &str) -> Fallible<String> {
        edit_codebook(
            p,
            CodebookEdit::Move {
                code: code.to_string(),
                parent: (parent.trim() != "/").then(|| parent.to_string()),
            },
        )
    }

    /// Moves every coding of `from` to `into` and removes `from`; a coder's overlapping
    /// codings of the two become one, with their memos.
    ///
    /// ```rhai
    /// p.merge_codes("npt.coherence.communal-specification", "npt.coherence.differentiation");
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn merge_codes(p: &mut ProjectRef, from: &str, into: &str) -> Fallible<String> {
        edit_codebook(
            p,
            CodebookEdit::Merge {
                from: from.to_string(),
                into: into.to_string(),
            },
        )
    }

    /// Removes a code that has no codings (see `merge_codes` to keep them elsewhere).
    ///
    /// ```rhai
    /// p.remove_code(p.add_code("Unused"));
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn remove_code(p: &mut ProjectRef, code: &str) -> Fallible<String> {
        edit_codebook(
            p,
            CodebookEdit::Remove {
                code: code.to_string(),
                with_codings: false,
            },
        )
    }

    /// Changes the text of one of your memos, by its id (from `p.memos()`); `""` removes it.
    ///
    /// ```rhai
    /// # p.memo("magenta-p3-interview-gp", "First reading: leadership has spread.");
    /// let me = p.coder;
    /// let m = p.memos().filter(|m| m.coder == me)[0];   // memos are edited by their authors
    /// p.edit_memo(m.id, m.text + " (checked)");
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn edit_memo(p: &mut ProjectRef, id: &str, text: &str) -> Fallible<()> {
        let coder = p.coder.clone();
        p.project
            .borrow_mut()
            .edit_memo(&coder, id, text)
            .map(|_| ())
            .map_err(fail)
    }

    /// Every memo: one map per memo with `id`, `kind` (coding, document, code, case or
    /// project), `target`, `coder`, `text` and `updated`.
    ///
    /// ```rhai
    /// for m in p.memos() { if m.kind == "document" { print(`${m.target}: ${m.text}`); } }
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn memos(p: &mut ProjectRef) -> Fallible<Array> {
        let memos = p.project.borrow().store().memos(None, None).map_err(fail)?;
        Ok(memos
            .into_iter()
            .map(|memo| {
                let mut m = Map::new();
                m.insert("id".into(), memo.id.into());
                m.insert("kind".into(), memo.kind.into());
                m.insert("target".into(), memo.target.into());
                m.insert("coder".into(), memo.coder.into());
                m.insert("text".into(), memo.text.into());
                m.insert("updated".into(), memo.updated.into());
                Dynamic::from_map(m)
            })
            .collect())
    }

    /// Writes a memo on a document, by its id.
    ///
    /// ```rhai
    /// p.memo("magenta-p3-interview-gp", "Learning afternoons now fortnightly: compare with the P2 interview.");
    /// ```
    #[rhai_fn(name = "memo", return_raw, pure)]
    pub fn memo_document(p: &mut ProjectRef, document: &str, text: &str) -> Fallible<()> {
        let coder = p.coder.clone();
        p.project
            .borrow_mut()
            .memo(&coder, &MemoTarget::Document(document.to_string()), text)
            .map_err(fail)
    }

    /// Writes a memo on a coding, by its id (`s.id` of a segment's coding, `c.id` of a coding).
    ///
    /// ```rhai
    /// let s = p.segments("theme.shared-learning")[0];
    /// p.memo_coding(s.id, "Compare with the nurses' view at P3.");
    /// ```
    #[rhai_fn(name = "memo_coding", return_raw, pure)]
    pub fn memo_coding(p: &mut ProjectRef, coding: &str, text: &str) -> Fallible<()> {
        let coder = p.coder.clone();
        p.project
            .borrow_mut()
            .memo(&coder, &MemoTarget::Coding(coding.to_string()), text)
            .map_err(fail)
    }

    /// Codes every match of `text` (case-insensitive, whole words) across the corpus with
    /// `code`; `scope` is "match", "sentence", "paragraph" or "turn". One transaction; spans
    /// the coder already coded are skipped. Returns the number of codings added.
    ///
    /// ```rhai
    /// p.autocode_text("theme.shared-learning", "shared learning", "sentence");
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn autocode_text(p: &mut ProjectRef, code: &str, text: &str, scope: &str) -> Fallible<i64> {
        let rule = Rule::Search {
            code: code.to_string(),
            search: Search::Word {
                text: text.to_string(),
                case_sensitive: false,
            },
            scope: scope.parse::<Scope>().map_err(fail)?,
        };
        run_rule(p, &rule)
    }

    /// Like `autocode_text`, but `text` may match inside words too ("truck" codes "trucks").
    ///
    /// ```rhai
    /// p.autocode_text_inside_words("theme.shared-learning", "learn", "sentence");
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn autocode_text_inside_words(
        p: &mut ProjectRef,
        code: &str,
        text: &str,
        scope: &str,
    ) -> Fallible<i64> {
        let rule = Rule::Search {
            code: code.to_string(),
            search: Search::text(text.to_string(), false, true),
            scope: scope.parse::<Scope>().map_err(fail)?,
        };
        run_rule(p, &rule)
    }

    /// Codes every match of a regular expression across the corpus with `code`, widened to
    /// `scope` ("match", "sentence", "paragraph" or "turn"). Returns the codings added.
    ///
    /// ```rhai
    /// p.autocode_regex("theme.shared-learning", "(?i)learning (afternoon|session)s?", "sentence");
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn autocode_regex(
        p: &mut ProjectRef,
        code: &str,
        pattern: &str,
        scope: &str,
    ) -> Fallible<i64> {
        let rule = Rule::Search {
            code: code.to_string(),
            search: Search::Regex {
                pattern: pattern.to_string(),
            },
            scope: scope.parse::<Scope>().map_err(fail)?,
        };
        run_rule(p, &rule)
    }

    /// Codes every turn spoken by someone with `role` (e.g. "CLP") with `code`. Returns the
    /// codings added.
    ///
    /// ```rhai
    /// p.add_code("Voices");
    /// let reception = p.add_code("Voices/Reception");
    /// p.autocode_role(reception, "receptionist");
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn autocode_role(p: &mut ProjectRef, code: &str, role: &str) -> Fallible<i64> {
        let rule = Rule::Role {
            code: code.to_string(),
            role: role.to_string(),
        };
        run_rule(p, &rule)
    }

    /// Codes every turn of the named speaker with `code`. Returns the codings added.
    ///
    /// ```rhai
    /// p.add_code("Voices");
    /// let clp = p.add_code("Voices/Siobhán Doyle");
    /// p.autocode_speaker(clp, "Siobhán Doyle");
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn autocode_speaker(p: &mut ProjectRef, code: &str, speaker: &str) -> Fallible<i64> {
        let rule = Rule::Speaker {
            code: code.to_string(),
            speaker: speaker.to_string(),
        };
        run_rule(p, &rule)
    }

    // ---- documents ----

    /// The document's id (file name without extension; `file#id` for survey answers).
    #[rhai_fn(get = "id", pure)]
    pub fn doc_id(d: &mut DocumentRef) -> String {
        d.with(|doc| doc.id.clone())
    }

    /// The case the document belongs to (`case` is a reserved word in Rhai).
    ///
    /// ```rhai
    /// let amber = p.documents().filter(|d| d.case_name == "Amber");
    /// ```
    #[rhai_fn(get = "case_name", pure)]
    pub fn doc_case(d: &mut DocumentRef) -> String {
        d.with(|doc| doc.case.clone())
    }

    /// How the data were collected (interview, focus_group, email_survey...).
    ///
    /// ```rhai
    /// let focus_groups = p.documents().filter(|d| d.method == "focus_group");
    /// ```
    #[rhai_fn(get = "method", pure)]
    pub fn doc_method(d: &mut DocumentRef) -> String {
        d.with(|doc| doc.method.clone())
    }

    /// The study phase (P1, P2...).
    ///
    /// ```rhai
    /// let end_of_study = p.documents().filter(|d| d.phase == "P3");
    /// ```
    #[rhai_fn(get = "phase", pure)]
    pub fn doc_phase(d: &mut DocumentRef) -> String {
        d.with(|doc| doc.phase.clone())
    }

    /// The document's text, as positions count it.
    ///
    /// ```rhai
    /// let text = p.document("magenta-p3-interview-gp").text;
    /// print(text.index_of("learning afternoons"));
    /// ```
    #[rhai_fn(get = "text", pure)]
    pub fn doc_text(d: &mut DocumentRef) -> String {
        d.with(|doc| doc.text.to_string())
    }

    /// Number of words: runs of letters, digits and apostrophes with at least one letter or
    /// digit, leaving out transcript markup (`[inaudible]`, `[laughter]`) and speaker labels
    /// unless `[words] count_markup = true` in qualkit.toml (see `d.word_count(#{markup: true})`).
    ///
    /// ```rhai
    /// p.document("magenta-p3-interview-gp").words
    /// ```
    #[rhai_fn(get = "words", pure)]
    pub fn doc_words(d: &mut DocumentRef) -> i64 {
        d.with(|doc| doc.word_count() as i64)
    }

    /// Number of words, choosing whether transcript markup and speaker labels count:
    /// `markup: true` counts them, `false` leaves them out.
    ///
    /// ```rhai
    /// let d = p.document("magenta-p3-interview-gp");
    /// print(`${d.word_count(#{markup: false})} said, ${d.word_count(#{markup: true})} in all`);
    /// ```
    #[rhai_fn(name = "word_count", return_raw, pure)]
    pub fn doc_word_count(d: &mut DocumentRef, options: Map) -> Fallible<i64> {
        let mut markup = None;
        for (key, value) in options {
            match key.as_str() {
                "markup" => {
                    markup = Some(
                        value
                            .as_bool()
                            .map_err(|_| fail("word_count: markup must be true or false"))?,
                    )
                }
                other => {
                    return Err(fail(format!(
                        "word_count: unknown option `{other}`; use markup"
                    )));
                }
            }
        }
        Ok(d.with(|doc| {
            let markup = markup.unwrap_or(doc.counts_markup());
            doc.words_in_with(0, doc.len_chars(), markup) as i64
        }))
    }

    /// Length in characters (Unicode code points): positions in it run from 0 to this.
    ///
    /// ```rhai
    /// p.document("magenta-p3-interview-gp").length
    /// ```
    #[rhai_fn(get = "length", pure)]
    pub fn doc_length(d: &mut DocumentRef) -> i64 {
        d.with(|doc| doc.len_chars() as i64)
    }

    #[rhai_fn(name = "to_string", pure)]
    pub fn doc_to_string(d: &mut DocumentRef) -> String {
        d.with(|doc| {
            format!(
                "{} ({}, {}, {}, {} words)",
                doc.id,
                doc.case,
                doc.method,
                doc.phase,
                doc.word_count()
            )
        })
    }

    #[rhai_fn(name = "to_debug", pure)]
    pub fn doc_to_debug(d: &mut DocumentRef) -> String {
        doc_to_string(d)
    }

    // ---- segments ----

    /// The id of the document a segment comes from.
    ///
    /// ```rhai
    /// let s = p.segments("context.clp-continuity")[0];
    /// let d = p.document(s.document);
    /// ```
    #[rhai_fn(get = "document", pure)]
    pub fn seg_document(s: &mut Segment) -> String {
        s.document.clone()
    }

    /// The segment's case (`case` is a reserved word in Rhai).
    ///
    /// ```rhai
    /// let magenta = p.segments("npt.coherence").filter(|s| s.case_name == "Magenta");
    /// ```
    #[rhai_fn(get = "case_name", pure)]
    pub fn seg_case(s: &mut Segment) -> String {
        s.case.clone()
    }

    /// Who was speaking where the segment starts ("" if unknown).
    ///
    /// ```rhai
    /// for s in p.segments("npt.coherence").filter(|s| s.speaker == "Siobhán Doyle") { print(s.text); }
    /// ```
    #[rhai_fn(get = "speaker", pure)]
    pub fn seg_speaker(s: &mut Segment) -> String {
        s.speaker.clone().unwrap_or_default()
    }

    /// The speaker's role ("" if unknown).
    ///
    /// ```rhai
    /// let reception = p.segments("npt.coherence").filter(|s| s.role == "receptionist");
    /// ```
    #[rhai_fn(get = "role", pure)]
    pub fn seg_role(s: &mut Segment) -> String {
        s.role.clone().unwrap_or_default()
    }

    /// The document's data-collection method.
    ///
    /// ```rhai
    /// let in_groups = p.segments("npt.coherence").filter(|s| s.method == "focus_group");
    /// ```
    #[rhai_fn(get = "method", pure)]
    pub fn seg_method(s: &mut Segment) -> String {
        s.method.clone()
    }

    /// The document's phase.
    ///
    /// ```rhai
    /// let sustained = p.segments("npt.collective-action").filter(|s| s.phase == "P3");
    /// ```
    #[rhai_fn(get = "phase", pure)]
    pub fn seg_phase(s: &mut Segment) -> String {
        s.phase.clone()
    }

    /// Start position (code points from 0).
    ///
    /// ```rhai
    /// let s = p.segments("npt.coherence")[0];
    /// print(`${s.document} ${s.start}..${s.end}`);
    /// ```
    #[rhai_fn(get = "start", pure)]
    pub fn seg_start(s: &mut Segment) -> i64 {
        s.start as i64
    }

    /// End position (code points, exclusive).
    ///
    /// ```rhai
    /// let s = p.segments("npt.coherence")[0];
    /// print(s.end - s.start);   // its length in characters
    /// ```
    #[rhai_fn(get = "end", pure)]
    pub fn seg_end(s: &mut Segment) -> i64 {
        s.end as i64
    }

    /// The coded text.
    ///
    /// ```rhai
    /// p.segments("npt.coherence")[0].text
    /// ```
    #[rhai_fn(get = "text", pure)]
    pub fn seg_text(s: &mut Segment) -> String {
        s.text.clone()
    }

    /// Ids of the codes applied to exactly this span.
    ///
    /// ```rhai
    /// let several_codes = p.segments().filter(|s| s.codes.len() > 1);
    /// ```
    #[rhai_fn(get = "codes", pure)]
    pub fn seg_codes(s: &mut Segment) -> Array {
        s.codes.iter().cloned().map(Dynamic::from).collect()
    }

    /// The coders who coded exactly this span.
    ///
    /// ```rhai
    /// let agreed = p.segments("npt.coherence").filter(|s| s.coders.len() > 1);
    /// ```
    #[rhai_fn(get = "coders", pure)]
    pub fn seg_coders(s: &mut Segment) -> Array {
        s.coders.iter().cloned().map(Dynamic::from).collect()
    }

    /// The id of the segment's coding (the first, when several codings share the span; see
    /// `ids`): the id in `codings/*.csv`, `qualkit segments` and exports, for `uncode`,
    /// `recode` and `memo_coding`.
    ///
    /// ```rhai
    /// let p = project("data/deep-end");
    /// let s = p.segments("npt.coherence")[0];
    /// print(s.id);
    /// ```
    #[rhai_fn(get = "id", pure)]
    pub fn seg_id(s: &mut Segment) -> String {
        s.codings.first().cloned().unwrap_or_default()
    }

    /// The coder of the segment's coding `s.id`.
    ///
    /// ```rhai
    /// let s = p.segments("npt.coherence")[0];
    /// print(`${s.id} by ${s.coder}`);
    /// ```
    #[rhai_fn(get = "coder", pure)]
    pub fn seg_coder(s: &mut Segment) -> String {
        s.coding_coders.first().cloned().unwrap_or_default()
    }

    /// The ids of every coding of exactly this span.
    ///
    /// ```rhai
    /// for id in p.segments("npt.coherence")[0].ids { print(id); }
    /// ```
    #[rhai_fn(get = "ids", pure)]
    pub fn seg_ids(s: &mut Segment) -> Array {
        s.codings.iter().cloned().map(Dynamic::from).collect()
    }

    #[rhai_fn(name = "to_string", pure)]
    pub fn seg_to_string(s: &mut Segment) -> String {
        format!(
            "[{} {} {}..{}] {}: “{}” ({})",
            s.case,
            s.document,
            s.start,
            s.end,
            s.speaker.as_deref().unwrap_or("?"),
            s.text,
            s.codes.join(", ")
        )
    }

    #[rhai_fn(name = "to_debug", pure)]
    pub fn seg_to_debug(s: &mut Segment) -> String {
        seg_to_string(s)
    }

    #[rhai_fn(name = "to_string", pure)]
    pub fn project_to_string(p: &mut ProjectRef) -> String {
        format!(
            "project “{}” (coder {})",
            p.project.borrow().name(),
            p.coder
        )
    }

    #[rhai_fn(name = "to_debug", pure)]
    pub fn project_to_debug(p: &mut ProjectRef) -> String {
        project_to_string(p)
    }
}

fn run_rule(p: &mut ProjectRef, rule: &Rule) -> Fallible<i64> {
    let coder = p.coder.clone();
    p.project
        .borrow_mut()
        .autocode(&coder, rule, None)
        .map(|r| r.added as i64)
        .map_err(fail)
}

pub(super) fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<ProjectRef>("Project")
        .register_type_with_name::<DocumentRef>("Document")
        .register_type_with_name::<Segment>("Segment");
    engine.register_global_module(exported_module!(project_api).into());
}
