//! Rhai bindings for coding suggestions: suggest, evaluate, accept, and find similar passages.
//! Each `///` comment is the help text users see.

use rhai::plugin::*;
use rhai::{Array, Dynamic, Engine, Map};

use super::base::{Fallible, ProjectRef, fail, strings};
use crate::analysis::segments::Segment;
use crate::analysis::table::{CellValue, Table};
use crate::suggest::{Choice, Options, Query, evaluation_table, similar_found_table};

const OPTION_NAMES: [&str; 9] = [
    "unit",
    "coder",
    "against",
    "folds",
    "seed",
    "min_score",
    "limit",
    "features",
    "model",
];

/// What `similar` takes.
const SIMILAR_OPTION_NAMES: [&str; 3] = ["unit", "features", "model"];

/// Options from a map (`unit`, `coder`, `against`, `folds`, `seed`, `min_score`, `limit`,
/// `features`, `model`); the coder learned from is the project's view (`coded_by`) unless
/// one is given.
fn options_of(p: &ProjectRef, map: &Map, function: &str) -> Fallible<Options> {
    options_named(p, map, function, &OPTION_NAMES)
}

fn options_named(p: &ProjectRef, map: &Map, function: &str, names: &[&str]) -> Fallible<Options> {
    for key in map.keys() {
        if !names.contains(&key.as_str()) {
            return Err(fail(format!(
                "{function}: unknown option `{key}`; use {}",
                names.join(", ")
            )));
        }
    }
    let text = |key: &str| -> Fallible<Option<String>> {
        map.get(key)
            .map(|v| {
                v.clone()
                    .into_string()
                    .map_err(|t| fail(format!("{function}: `{key}` must be text, found {t}")))
            })
            .transpose()
    };
    let count = |key: &str| -> Fallible<Option<usize>> {
        map.get(key)
            .map(|v| match v.as_int() {
                Ok(n) if n >= 0 => Ok(n as usize),
                _ => Err(fail(format!(
                    "{function}: `{key}` must be a whole number 0 or more, found {v}"
                ))),
            })
            .transpose()
    };
    let mut options = Options {
        coder: p.view.clone(),
        ..Options::default()
    };
    if let Some(unit) = text("unit")? {
        options.unit = unit.parse().map_err(fail)?;
    }
    if let Some(coder) = text("coder")? {
        options.coder = Some(coder);
    }
    options.against = text("against")?;
    if let Some(folds) = count("folds")? {
        if folds < 2 {
            return Err(fail(format!("{function}: `folds` must be 2 or more")));
        }
        options.folds = folds;
    }
    if let Some(seed) = count("seed")? {
        options.seed = seed as u64;
    }
    options.limit = count("limit")?;
    if let Some(features) = text("features")? {
        options.features = Some(features.parse().map_err(fail)?);
    }
    options.model = text("model")?;
    if let Some(score) = map.get("min_score") {
        options.min_score = score
            .as_float()
            .or_else(|_| score.as_int().map(|i| i as f64))
            .map_err(|t| {
                fail(format!(
                    "{function}: `min_score` must be a number, found {t}"
                ))
            })?;
    }
    Ok(options)
}

fn codes_of(value: &Dynamic) -> Fallible<Vec<String>> {
    if let Some(code) = value.read_lock::<rhai::ImmutableString>() {
        return Ok(vec![code.to_string()]);
    }
    if let Some(list) = value.read_lock::<Array>() {
        return strings(&list, "evaluate_suggestions");
    }
    Err(fail(format!(
        "evaluate_suggestions: give a code or a list of codes, not {}",
        value.type_name()
    )))
}

fn whole(value: &Dynamic, what: &str) -> Fallible<usize> {
    match value.as_int() {
        Ok(n) if n >= 0 => Ok(n as usize),
        _ => Err(fail(format!(
            "accept_suggestions: {what} must be a whole number 0 or more, found {value}"
        ))),
    }
}

/// A place as `[document, start, end]` or a map with those keys.
fn place(value: &Dynamic) -> Fallible<(String, usize, usize)> {
    if let Some(list) = value.read_lock::<Array>()
        && let [document, start, end] = list.as_slice()
    {
        return Ok((
            document.to_string(),
            whole(start, "start")?,
            whole(end, "end")?,
        ));
    }
    if let Some(map) = value.read_lock::<Map>()
        && let (Some(document), Some(start), Some(end)) =
            (map.get("document"), map.get("start"), map.get("end"))
    {
        return Ok((
            document.to_string(),
            whole(start, "start")?,
            whole(end, "end")?,
        ));
    }
    Err(fail(format!(
        "accept_suggestions: a place is [document, start, end] or #{{document, start, end}}, not {value}"
    )))
}

/// What to accept: a score, a list of row numbers or places, or a table of suggestions.
fn choice_of(value: &Dynamic) -> Fallible<Choice> {
    if let Ok(score) = value.as_float() {
        return Ok(Choice::AtLeast(score));
    }
    if let Some(table) = value.read_lock::<Table>() {
        let cells = |column: &str| {
            table.values(column).map_err(|_| {
                fail(format!(
                    "accept_suggestions: the table has no `{column}` column; give a table of suggestions (from p.suggest)"
                ))
            })
        };
        let (documents, starts, ends) = (cells("document")?, cells("start")?, cells("end")?);
        let number = |cell: &CellValue| match cell {
            CellValue::Integer(n) if *n >= 0 => Ok(*n as usize),
            other => Err(fail(format!(
                "accept_suggestions: `{other}` is not a position"
            ))),
        };
        return documents
            .iter()
            .zip(&starts)
            .zip(&ends)
            .map(|((d, s), e)| Ok((d.to_string(), number(s)?, number(e)?)))
            .collect::<Fallible<_>>()
            .map(Choice::Spans);
    }
    if let Some(list) = value.read_lock::<Array>() {
        if list.iter().all(|v| v.is_int()) {
            return list
                .iter()
                .map(|v| whole(v, "a row"))
                .collect::<Fallible<_>>()
                .map(Choice::Ranks);
        }
        return list
            .iter()
            .map(place)
            .collect::<Fallible<_>>()
            .map(Choice::Spans);
    }
    Err(fail(format!(
        "accept_suggestions: choose by a score (0.8), rows ([0, 3]), places ([[document, start, end]]) or a table of suggestions, not {}",
        value.type_name()
    )))
}

fn accept(p: &mut ProjectRef, code: &str, choice: Dynamic, options: &Options) -> Fallible<Map> {
    let choice = choice_of(&choice)?;
    let accepted = p
        .project
        .borrow_mut()
        .accept_suggestions(&p.coder, code, options, &choice)
        .map_err(fail)?;
    let mut out = Map::new();
    out.insert("added".into(), (accepted.added as i64).into());
    out.insert("skipped".into(), (accepted.skipped_overlaps as i64).into());
    out.insert("coder".into(), accepted.coder.into());
    out.insert("audit".into(), accepted.entry.into());
    Ok(out)
}

fn similar(p: &ProjectRef, query: Query, n: i64, options: Map) -> Fallible<Table> {
    if n < 1 {
        return Err(fail("similar: n must be 1 or more"));
    }
    let options = options_named(p, &options, "similar", &SIMILAR_OPTION_NAMES)?;
    let project = p.project.borrow();
    let found = project
        .similar_with(&query, n as usize, &options)
        .map_err(fail)?;
    similar_found_table(&found).map_err(fail)
}

fn unit_map(unit: &str) -> Map {
    let mut map = Map::new();
    map.insert("unit".into(), unit.into());
    map
}

fn segment_query(s: &Segment) -> Query {
    Query::Passage {
        document: s.document.clone(),
        start: s.start,
        end: s.end,
    }
}

#[export_module]
pub mod suggest_api {
    use super::*;

    /// Suggestions of a code, learned from the project's own codings of it: every sentence not
    /// yet coded with it that scores 0.5 or more, best first, with `row` (to accept it by),
    /// document, start, end, text, score (0-1) and `nearest`, the coded passages most like
    /// it. The title gives the cross-validated precision, recall and kappa of the same
    /// models. Nothing is stored until `accept_suggestions`.
    ///
    /// ```rhai
    /// p.suggest("npt.coherence")
    /// ```
    #[rhai_fn(name = "suggest", return_raw, pure)]
    pub fn suggest(p: &mut ProjectRef, code: &str) -> Fallible<Table> {
        suggest_with(p, code, Map::new())
    }

    /// Suggestions with options: `unit` ("sentence", "paragraph", "turn" or "answer"),
    /// `coder` (learn from one coder; default every coder, or the `coded_by` view), `against`
    /// (also compare with this coder), `folds` (5), `seed` (1), `min_score` (0.5), `limit`,
    /// `features` ("tfidf", "embeddings" or "hybrid"; default hybrid when a sentence model is
    /// installed, tfidf otherwise) and `model` (the start of an installed model's hash, when
    /// several are installed; `qualkit model list`). The title names the features and the
    /// model that made the suggestions.
    ///
    /// ```rhai
    /// let p = project("data/deep-end");
    /// p.suggest("npt.coherence", #{unit: "paragraph", coder: "ak", min_score: 0.7, limit: 20});
    /// p.suggest("npt.coherence", #{coder: "ak", features: "tfidf"})
    /// ```
    #[rhai_fn(name = "suggest", return_raw, pure)]
    pub fn suggest_with(p: &mut ProjectRef, code: &str, options: Map) -> Fallible<Table> {
        let options = options_of(p, &options, "suggest")?;
        let project = p.project.borrow();
        let made = project.suggest(code, &options).map_err(fail)?;
        made.table().map_err(fail)
    }

    /// How far suggestions of a code (or each of a list of codes) agree with the human coding,
    /// by 5-fold cross-validation: units, coded examples, precision, recall and Cohen's kappa
    /// per code, with a warning where there are fewer than 30 coded examples.
    ///
    /// ```rhai
    /// p.evaluate_suggestions(["npt.coherence", "context.leadership"])
    /// ```
    #[rhai_fn(name = "evaluate_suggestions", return_raw, pure)]
    pub fn evaluate_suggestions(p: &mut ProjectRef, codes: Dynamic) -> Fallible<Table> {
        evaluate_suggestions_with(p, codes, Map::new())
    }

    /// The evaluation with options (as `suggest`, `features` and `model` included); with
    /// `against`, the predictions are also compared with another coder, beside the two
    /// coders' own kappa. `()` for codes evaluates every code the coders applied. The
    /// `features` and `model` columns say what made the figures.
    ///
    /// ```rhai
    /// let p = project("data/deep-end");
    /// p.evaluate_suggestions((), #{coder: "ak", against: "rb"});
    /// p.evaluate_suggestions((), #{coder: "ak", against: "rb", features: "tfidf"})
    /// ```
    #[rhai_fn(name = "evaluate_suggestions", return_raw, pure)]
    pub fn evaluate_suggestions_with(
        p: &mut ProjectRef,
        codes: Dynamic,
        options: Map,
    ) -> Fallible<Table> {
        let options = options_of(p, &options, "evaluate_suggestions")?;
        let codes = if codes.is_unit() {
            None
        } else {
            Some(codes_of(&codes)?)
        };
        let project = p.project.borrow();
        let evaluations = project
            .evaluate_codes(codes.as_deref(), &options)
            .map_err(fail)?;
        evaluation_table(&evaluations).map_err(fail)
    }

    /// Stores chosen suggestions of a code as codings of `<p.coder>+suggest`, in one log
    /// entry (revertable whole) that records the method, its parameters, the codings learned
    /// from (by hash) and who accepted. Choose by a score (every suggestion at least that), a
    /// list of rows (`row` of `suggest`), a list of places `[document, start, end]`, or a
    /// table of suggestions (filtered as you like). Returns `#{added, skipped, coder, audit}`.
    ///
    /// Every suggestion scoring 0.8 or more:
    ///
    /// ```rhai
    /// p.accept_suggestions("npt.coherence", 0.8);
    /// ```
    ///
    /// Rows 0 and 2 of `p.suggest("npt.coherence")`, or the rows a filter keeps:
    ///
    /// ```rhai
    /// p.accept_suggestions("npt.coherence", [0, 2]);
    /// let t = p.suggest("npt.coherence");
    /// p.accept_suggestions("npt.coherence", t.filter(|r| r.score > 0.5));
    /// ```
    #[rhai_fn(name = "accept_suggestions", return_raw)]
    pub fn accept_suggestions(p: &mut ProjectRef, code: &str, choice: Dynamic) -> Fallible<Map> {
        let options = options_of(p, &Map::new(), "accept_suggestions")?;
        accept(p, code, choice, &options)
    }

    /// Accepts suggestions made with the same options as `suggest` (unit, coder, folds, seed,
    /// features, model): rows and scores refer to those suggestions. The log entry records the
    /// features and, when they include embeddings, the model's hash.
    ///
    /// ```rhai
    /// let p = project("data/deep-end");
    /// p.accept_suggestions("npt.coherence", [0, 1], #{unit: "paragraph", coder: "ak", features: "tfidf"})
    /// ```
    #[rhai_fn(name = "accept_suggestions", return_raw)]
    pub fn accept_suggestions_with(
        p: &mut ProjectRef,
        code: &str,
        choice: Dynamic,
        options: Map,
    ) -> Fallible<Map> {
        let options = options_of(p, &options, "accept_suggestions")?;
        accept(p, code, choice, &options)
    }

    /// The `n` sentences most like a text: by meaning (the cosine of sentence vectors) when a
    /// sentence model is installed, by TF-IDF cosine otherwise; document, start, end, text,
    /// similarity and the codes on each, for exploring and checking a code's consistency. The
    /// title says which.
    ///
    /// ```rhai
    /// p.similar("nobody knew who to refer to the link worker", 10)
    /// ```
    #[rhai_fn(name = "similar", return_raw, pure)]
    pub fn similar_text(p: &mut ProjectRef, text: &str, n: i64) -> Fallible<Table> {
        similar(p, Query::Text(text.to_string()), n, Map::new())
    }

    /// The `n` passages most like a text, cut into `unit`s ("sentence", "paragraph", "turn"
    /// or "answer").
    ///
    /// ```rhai
    /// p.similar("waiting lists", 5, "paragraph")
    /// ```
    #[rhai_fn(name = "similar", return_raw, pure)]
    pub fn similar_text_in(p: &mut ProjectRef, text: &str, n: i64, unit: &str) -> Fallible<Table> {
        similar(p, Query::Text(text.to_string()), n, unit_map(unit))
    }

    /// The `n` sentences most like a coded segment (the segment itself left out), by meaning
    /// when a sentence model is installed, by TF-IDF otherwise.
    ///
    /// ```rhai
    /// let s = p.segments("npt.coherence")[0];
    /// p.similar(s, 10)
    /// ```
    #[rhai_fn(name = "similar", return_raw, pure)]
    pub fn similar_segment(p: &mut ProjectRef, segment: Segment, n: i64) -> Fallible<Table> {
        similar(p, segment_query(&segment), n, Map::new())
    }

    /// The `n` passages most like a coded segment, cut into `unit`s.
    ///
    /// ```rhai
    /// let s = p.segments("npt.coherence")[0];
    /// p.similar(s, 10, "paragraph")
    /// ```
    #[rhai_fn(name = "similar", return_raw, pure)]
    pub fn similar_segment_in(
        p: &mut ProjectRef,
        segment: Segment,
        n: i64,
        unit: &str,
    ) -> Fallible<Table> {
        similar(p, segment_query(&segment), n, unit_map(unit))
    }

    /// The `n` passages most like a text, with options: `unit` ("sentence", "paragraph",
    /// "turn" or "answer"), `features` ("tfidf" ranks by words; "embeddings" or "hybrid" by
    /// the cosine of sentence vectors; default: by meaning when a model is installed) and
    /// `model` (the start of an installed model's hash).
    ///
    /// ```rhai
    /// let p = project("data/deep-end");
    /// p.similar("nobody knew who to refer to the link worker", 10, #{features: "tfidf"})
    /// ```
    #[rhai_fn(name = "similar", return_raw, pure)]
    pub fn similar_text_with(
        p: &mut ProjectRef,
        text: &str,
        n: i64,
        options: Map,
    ) -> Fallible<Table> {
        similar(p, Query::Text(text.to_string()), n, options)
    }

    /// The `n` passages most like a coded segment, with options as for a text.
    ///
    /// ```rhai
    /// let p = project("data/deep-end");
    /// let s = p.segments("npt.coherence")[0];
    /// p.similar(s, 10, #{unit: "paragraph", features: "tfidf"})
    /// ```
    #[rhai_fn(name = "similar", return_raw, pure)]
    pub fn similar_segment_with(
        p: &mut ProjectRef,
        segment: Segment,
        n: i64,
        options: Map,
    ) -> Fallible<Table> {
        similar(p, segment_query(&segment), n, options)
    }
}

pub(super) fn register(engine: &mut Engine) {
    engine.register_global_module(exported_module!(suggest_api).into());
}
