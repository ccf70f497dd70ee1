//! Rhai bindings for analysis: tables, coding queries, matrices, Framework charting, group
//! comparison and classification. Each `///` comment is the help text users see.

use rhai::plugin::*;
use rhai::{Array, Dynamic, Engine, FnPtr, Map, NativeCallContext};

use super::base::{Fallible, ProjectRef, case_map, fail, strings};
use crate::analysis::table::{Aggregate, CellValue, Table, Values};
use crate::analysis::{
    Analysis, Dimension, FrameworkMatrix, MatrixColumns, Measure, Query, WordOptions,
};
use crate::coding::autocode::Search;
use crate::render::chart::Chart;

fn with_analysis<T>(
    p: &ProjectRef,
    work: impl FnOnce(&Analysis) -> crate::error::Result<T>,
) -> Fallible<T> {
    let project = p.project.borrow();
    let analysis = Analysis::new(&project, p.view.as_deref()).map_err(fail)?;
    work(&analysis).map_err(fail)
}

fn dimension(p: &ProjectRef, name: &str) -> Fallible<Dimension> {
    Dimension::parse(&crate::analysis::Corpus::of(&p.project.borrow()), name).map_err(fail)
}

fn cell_dynamic(value: CellValue) -> Dynamic {
    match value {
        CellValue::Missing => Dynamic::UNIT,
        CellValue::Text(s) => s.into(),
        CellValue::Integer(i) => i.into(),
        CellValue::Number(x) => x.into(),
        CellValue::Boolean(b) => b.into(),
    }
}

/// A code's children, or the code itself when it has none: the columns `matrix` and
/// `compare` use for a single code.
fn children_or_self(p: &ProjectRef, code: &str) -> Fallible<Vec<String>> {
    p.project
        .borrow()
        .codebook
        .children_or_self(code)
        .map_err(fail)
}

/// Themes to compare when none are given (see `Codebook::default_themes`).
fn default_themes(p: &ProjectRef) -> Vec<String> {
    p.project.borrow().codebook.default_themes()
}

fn query_of(value: &Dynamic) -> Fallible<Query> {
    if let Some(q) = value.read_lock::<Query>() {
        return Ok(q.clone());
    }
    if let Some(code) = value.read_lock::<rhai::ImmutableString>() {
        return Ok(Query::code(code.as_str()));
    }
    Err(fail(format!(
        "expected a code or a query, found {}",
        value.type_name()
    )))
}

/// A table from rows given as maps, with a column for every key.
fn table_from_maps(rows: &Array) -> Fallible<Table> {
    let mut names: Vec<String> = Vec::new();
    let maps: Vec<Map> = rows
        .iter()
        .map(|r| {
            r.read_lock::<Map>().map(|m| m.clone()).ok_or_else(|| {
                fail(format!(
                    "table: each row must be a map, found {}",
                    r.type_name()
                ))
            })
        })
        .collect::<Fallible<_>>()?;
    for m in &maps {
        for k in m.keys() {
            if !names.iter().any(|n| n == k.as_str()) {
                names.push(k.to_string());
            }
        }
    }
    let columns = names
        .into_iter()
        .map(|name| {
            let cells: Vec<Option<&Dynamic>> = maps
                .iter()
                .map(|m| m.get(name.as_str()).filter(|v| !v.is_unit()))
                .collect();
            let present = || cells.iter().flatten();
            let values = if present().all(|v| v.is_int()) {
                Values::Integer(
                    cells
                        .iter()
                        .map(|v| v.map(|v| v.as_int().unwrap_or_default()))
                        .collect(),
                )
            } else if present().all(|v| v.is_int() || v.is_float()) {
                Values::Number(
                    cells
                        .iter()
                        .map(|v| {
                            v.map(|v| {
                                v.as_float()
                                    .unwrap_or_else(|_| v.as_int().unwrap_or_default() as f64)
                            })
                        })
                        .collect(),
                )
            } else if present().all(|v| v.is_bool()) {
                Values::Boolean(
                    cells
                        .iter()
                        .map(|v| v.map(|v| v.as_bool().unwrap_or_default()))
                        .collect(),
                )
            } else {
                Values::Text(cells.iter().map(|v| v.map(|v| v.to_string())).collect())
            };
            (name, values)
        })
        .collect();
    Table::new(columns).map_err(fail)
}

#[export_module]
pub mod analysis_api {
    use super::*;

    // ---- tables ----

    /// A table from an array of maps, one map per row with a column for every key, or from
    /// coded segments, one row each (as they show in a notebook).
    ///
    /// ```rhai
    /// let t = table([#{practice: "Amber", n: 2}, #{practice: "Cobalt", n: 5}]);
    /// let coherence = table(p.segments("npt.coherence"));
    /// ```
    #[rhai_fn(name = "table", return_raw)]
    pub fn table_of(rows: Array) -> Fallible<Table> {
        match super::super::base::as_table(&Dynamic::from_array(rows.clone())) {
            Some(segments) => Ok(segments),
            None => table_from_maps(&rows),
        }
    }

    /// Reads a CSV file (with a header row) into a table.
    ///
    /// ```rhai
    /// let cases = read_csv("data/deep-end/cases.csv");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn read_csv(path: &str) -> Fallible<Table> {
        Table::read_csv(std::path::Path::new(path)).map_err(fail)
    }

    /// Reads a Parquet file into a table.
    ///
    /// ```rhai
    /// # p.matrix("case", "npt").to_parquet("out/case-by-construct.parquet");
    /// let m = read_parquet("out/case-by-construct.parquet");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn read_parquet(path: &str) -> Fallible<Table> {
        Table::read_parquet(std::path::Path::new(path)).map_err(fail)
    }

    /// Number of rows.
    ///
    /// ```rhai
    /// p.find("theme.staff-wellbeing").rows
    /// ```
    #[rhai_fn(get = "rows", pure)]
    pub fn table_rows(t: &mut Table) -> i64 {
        t.rows() as i64
    }

    /// Number of rows, as `t.rows`.
    ///
    /// ```rhai
    /// p.find("theme.staff-wellbeing").len()
    /// ```
    #[rhai_fn(name = "len", pure)]
    pub fn table_len(t: &mut Table) -> i64 {
        t.rows() as i64
    }

    /// Column names.
    ///
    /// ```rhai
    /// p.compare("integration").columns
    /// ```
    #[rhai_fn(get = "columns", pure)]
    pub fn table_columns(t: &mut Table) -> Array {
        t.column_names().into_iter().map(Dynamic::from).collect()
    }

    /// Every value of a column, top to bottom.
    ///
    /// ```rhai
    /// let t = p.matrix("case", "npt");
    /// let coherence = t.column("Coherence");
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn column(t: &mut Table, name: &str) -> Fallible<Array> {
        Ok(t.values(name)
            .map_err(fail)?
            .into_iter()
            .map(cell_dynamic)
            .collect())
    }

    /// One row as a map (rows count from 0). `case` is a reserved word in Rhai: write
    /// `r["case"]`.
    ///
    /// ```rhai
    /// let t = p.matrix("case", "npt");
    /// let r = t.row(0);
    /// print(`${r["case"]}: ${r.Coherence}`);
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn row(t: &mut Table, index: i64) -> Fallible<Map> {
        let index =
            usize::try_from(index).map_err(|_| fail("row: the index must not be negative"))?;
        Ok(t.row(index)
            .map_err(fail)?
            .into_iter()
            .map(|(k, v)| (k.into(), cell_dynamic(v)))
            .collect())
    }

    /// All rows as maps, to loop over.
    ///
    /// ```rhai
    /// for r in p.matrix("case", "npt").records() { print(`${r["case"]}: ${r.Coherence}`); }
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn records(t: &mut Table) -> Fallible<Array> {
        // Measured: a map costs about half a kilobyte (a tree node with room for 11 entries)
        // and each entry a key and a value beyond that; text is copied out of the table.
        let columns = t.column_names().len();
        crate::support::budget::ensure_room(
            "records",
            &format!(
                "a table of {} rows and {columns} columns becomes as many maps",
                t.rows()
            ),
            t.rows()
                .saturating_mul(512 + 48 * columns)
                .saturating_add(t.frame().estimated_size()),
            "select fewer columns or filter the rows first",
        )
        .map_err(fail)?;
        (0..t.rows())
            .map(|i| row(t, i as i64).map(Dynamic::from))
            .collect()
    }

    /// The value in one cell, by row (from 0) and column.
    ///
    /// ```rhai
    /// p.matrix("case", "npt").cell(0, "Coherence")
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn cell(t: &mut Table, index: i64, column: &str) -> Fallible<Dynamic> {
        let index =
            usize::try_from(index).map_err(|_| fail("cell: the row must not be negative"))?;
        if index >= t.rows() {
            return Err(fail(format!(
                "cell: row {index} is past the end; the table has {} rows",
                t.rows()
            )));
        }
        t.cell(index, column).map(cell_dynamic).map_err(fail)
    }

    /// Sorted by a column, smallest first.
    ///
    /// ```rhai
    /// p.matrix("case", "npt").sort("case")
    /// ```
    #[rhai_fn(name = "sort", return_raw, pure)]
    pub fn sort_by(t: &mut Table, column: &str) -> Fallible<Table> {
        t.sort(&[column.to_string()], false).map_err(fail)
    }

    /// Sorted by a column; `descending` puts the largest first.
    ///
    /// ```rhai
    /// p.matrix("case", "npt", "density").sort("Reflexive monitoring", true)
    /// ```
    #[rhai_fn(name = "sort", return_raw, pure)]
    pub fn sort_by_order(t: &mut Table, column: &str, descending: bool) -> Fallible<Table> {
        t.sort(&[column.to_string()], descending).map_err(fail)
    }

    /// Sorted by several columns in turn.
    ///
    /// ```rhai
    /// p.find("npt.coherence").sort(["case", "phase"])
    /// ```
    #[rhai_fn(name = "sort", return_raw, pure)]
    pub fn sort_by_many(t: &mut Table, columns: Array) -> Fallible<Table> {
        t.sort(&strings(&columns, "sort")?, false).map_err(fail)
    }

    /// Sorted by several columns in turn, largest first when `descending`.
    ///
    /// ```rhai
    /// p.find("npt.coherence").sort(["coders", "words"], true)   // agreed and long first
    /// ```
    #[rhai_fn(name = "sort", return_raw, pure)]
    pub fn sort_by_many_order(t: &mut Table, columns: Array, descending: bool) -> Fallible<Table> {
        t.sort(&strings(&columns, "sort")?, descending)
            .map_err(fail)
    }

    /// The first `n` rows.
    ///
    /// ```rhai
    /// p.word_frequencies().head(20)
    /// ```
    #[rhai_fn(pure)]
    pub fn head(t: &mut Table, n: i64) -> Table {
        t.head(n.max(0) as usize)
    }

    /// Only these columns, in this order.
    ///
    /// ```rhai
    /// p.find("npt.coherence").select(["case", "role", "text"])
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn select(t: &mut Table, columns: Array) -> Fallible<Table> {
        t.select(&strings(&columns, "select")?).map_err(fail)
    }

    /// The rows for which a function of the row (a map) returns true.
    ///
    /// ```rhai
    /// p.find("npt.coherence").filter(|r| r.role == "GP" && r.phase == "P3")
    /// ```
    #[rhai_fn(name = "filter", return_raw, pure)]
    pub fn filter_rows(ctx: NativeCallContext, t: &mut Table, keep: FnPtr) -> Fallible<Table> {
        let mut mask = Vec::with_capacity(t.rows());
        for i in 0..t.rows() {
            let r = row(t, i as i64)?;
            let verdict: Dynamic = keep.call_within_context(&ctx, (r,))?;
            mask.push(verdict.as_bool().map_err(|found| {
                fail(format!(
                    "filter: the function must return true or false, not {found}"
                ))
            })?);
        }
        t.filter(&mask).map_err(fail)
    }

    /// Groups rows by key columns and aggregates others. `aggregates` maps a column to
    /// count, sum, mean, min, max, first or unique (distinct values); `count` counts rows.
    ///
    /// ```rhai
    /// let segs = table(p.segments("npt"));
    /// segs.group_by(["case"], #{text: "count", document: "unique"})
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn group_by(t: &mut Table, keys: Array, aggregates: Map) -> Fallible<Table> {
        let keys = strings(&keys, "group_by")?;
        let aggregates = aggregates
            .into_iter()
            .map(|(column, how)| {
                let how: Aggregate = how.to_string().parse().map_err(fail)?;
                Ok((column.to_string(), how))
            })
            .collect::<Fallible<Vec<_>>>()?;
        t.group_by(&keys, &aggregates).map_err(fail)
    }

    /// Joins another table on columns both have; `how` is "inner", "left" or "full". A join
    /// that pairs up more rows than the memory budget holds is refused.
    ///
    /// ```rhai
    /// let density = p.matrix("case", "npt", "density");
    /// let cases = read_csv("data/deep-end/cases.csv").select(["case", "integration", "list_size"]);
    /// density.join(cases, ["case"], "left")
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn join(t: &mut Table, other: Table, on: Array, how: &str) -> Fallible<Table> {
        t.join(&other, &strings(&on, "join")?, how).map_err(fail)
    }

    /// Writes the table to a CSV file (its folder is made if missing).
    ///
    /// ```rhai
    /// p.matrix("case", "npt").to_csv("out/case-by-construct.csv");
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn to_csv(t: &mut Table, path: &str) -> Fallible<()> {
        t.write_csv(std::path::Path::new(path)).map_err(fail)
    }

    /// Writes the table to a Parquet file (its folder is made if missing).
    ///
    /// ```rhai
    /// p.find("npt.coherence").to_parquet("out/coherence.parquet");
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn to_parquet(t: &mut Table, path: &str) -> Fallible<()> {
        t.write_parquet(std::path::Path::new(path)).map_err(fail)
    }

    /// The table as text, as `print` shows it.
    #[rhai_fn(name = "to_string", pure)]
    pub fn table_to_string(t: &mut Table) -> String {
        t.to_string()
    }

    #[rhai_fn(name = "to_debug", pure)]
    pub fn table_to_debug(t: &mut Table) -> String {
        t.to_string()
    }

    /// The table as HTML, as a notebook shows it.
    ///
    /// ```rhai
    /// let html = p.matrix("case", "npt").to_html();
    /// ```
    #[rhai_fn(name = "to_html", pure)]
    pub fn table_to_html(t: &mut Table) -> String {
        t.render_html(crate::analysis::table::SHOWN_ROWS)
    }

    // ---- charts ----

    /// A heatmap of a matrix (first text column: row labels; numeric columns: cells),
    /// shown as SVG in notebooks.
    ///
    /// ```rhai
    /// p.matrix("case", "npt", "density").heatmap()
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn heatmap(t: &mut Table) -> Fallible<Chart> {
        Chart::heatmap(t).map_err(fail)
    }

    /// Grouped bars, one group per row and one bar per numeric column, e.g. densities from
    /// `p.compare("integration")`.
    ///
    /// ```rhai
    /// p.compare("integration").bars()
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn bars(t: &mut Table) -> Fallible<Chart> {
        Chart::bars(t).map_err(fail)
    }

    /// A timeline, the numeric columns as phases in order and one line per row.
    ///
    /// ```rhai
    /// p.matrix("integration", "phase", "theme.shared-learning", "density").timeline()
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn timeline(t: &mut Table) -> Fallible<Chart> {
        Chart::timeline(t).map_err(fail)
    }

    /// Writes the chart as an SVG file.
    #[rhai_fn(name = "save", return_raw, pure)]
    pub fn save_chart(c: &mut Chart, path: &str) -> Fallible<()> {
        c.save(std::path::Path::new(path)).map_err(fail)
    }

    /// The chart's SVG text.
    ///
    /// ```rhai
    /// let svg = p.matrix("case", "npt").heatmap().svg;
    /// ```
    #[rhai_fn(get = "svg", pure)]
    pub fn chart_svg(c: &mut Chart) -> String {
        c.svg().to_string()
    }

    #[rhai_fn(name = "to_string", pure)]
    pub fn chart_to_string(c: &mut Chart) -> String {
        c.to_string()
    }

    #[rhai_fn(name = "to_debug", pure)]
    pub fn chart_to_debug(c: &mut Chart) -> String {
        c.to_string()
    }

    // ---- coding queries ----

    /// A coding query for text coded with `code` (or any code below it). Combine queries
    /// with `&` (both), `|` (either), `-` (the first but not the second) or the methods
    /// `near`, `overlapping` and `same_turn`, then run with `p.find(q)`.
    ///
    /// ```rhai
    /// p.find(coded("npt.coherence") & coded("level.patient"))
    /// ```
    pub fn coded(code: &str) -> Query {
        Query::code(code)
    }

    /// Text coded with both queries (their overlap).
    #[rhai_fn(name = "&")]
    pub fn and(a: Query, b: Query) -> Query {
        a.and(b)
    }

    /// Text coded with either query.
    #[rhai_fn(name = "|")]
    pub fn or(a: Query, b: Query) -> Query {
        a.or(b)
    }

    /// Text of the first query that the second does not cover.
    #[rhai_fn(name = "-")]
    pub fn except(a: Query, b: Query) -> Query {
        a.except(b)
    }

    /// Text coded with both queries (their overlap); the other may be a code.
    ///
    /// ```rhai
    /// p.find(coded("theme.shared-learning").and("level.practice"))
    /// ```
    #[rhai_fn(name = "and", return_raw)]
    pub fn and_method(a: &mut Query, b: Dynamic) -> Fallible<Query> {
        Ok(a.clone().and(query_of(&b)?))
    }

    /// Text coded with either query; the other may be a code.
    ///
    /// ```rhai
    /// p.find(coded("context.leadership").or("npt.cognitive-participation.initiation"))
    /// ```
    #[rhai_fn(name = "or", return_raw)]
    pub fn or_method(a: &mut Query, b: Dynamic) -> Fallible<Query> {
        Ok(a.clone().or(query_of(&b)?))
    }

    /// Text of this query that the other does not cover (NOT); the other may be a code.
    ///
    /// ```rhai
    /// p.find(coded("theme.shared-learning").except("level.practice"))
    /// ```
    #[rhai_fn(name = "except", return_raw)]
    pub fn except_method(a: &mut Query, b: Dynamic) -> Fallible<Query> {
        Ok(a.clone().except(query_of(&b)?))
    }

    /// Passages of this query within `words` words of a passage of the other (NEAR).
    ///
    /// ```rhai
    /// p.find(coded("theme.shared-learning").near("context.leadership", 30))
    /// ```
    #[rhai_fn(return_raw)]
    pub fn near(a: &mut Query, b: Dynamic, words: i64) -> Fallible<Query> {
        let words = usize::try_from(words).map_err(|_| fail("near: words must not be negative"))?;
        Ok(a.clone().near(query_of(&b)?, words))
    }

    /// Passages of this query that overlap a passage of the other, kept whole.
    ///
    /// ```rhai
    /// p.find(coded("npt.cognitive-participation").overlapping("context.leadership"))
    /// ```
    #[rhai_fn(return_raw)]
    pub fn overlapping(a: &mut Query, b: Dynamic) -> Fallible<Query> {
        Ok(a.clone().overlapping(query_of(&b)?))
    }

    /// Passages of this query in a speaker's turn that also holds the other.
    ///
    /// ```rhai
    /// p.find(coded("theme.shared-learning").same_turn("level.practice"))
    /// ```
    #[rhai_fn(return_raw)]
    pub fn same_turn(a: &mut Query, b: Dynamic) -> Fallible<Query> {
        Ok(a.clone().same_turn(query_of(&b)?))
    }

    #[rhai_fn(name = "to_string", pure)]
    pub fn query_to_string(q: &mut Query) -> String {
        q.to_string()
    }

    #[rhai_fn(name = "to_debug", pure)]
    pub fn query_to_debug(q: &mut Query) -> String {
        q.to_string()
    }

    /// The passages a query (or a code) finds: document, case, phase, speaker, role,
    /// position, words, how many coders, and the text.
    ///
    /// ```rhai
    /// p.find(coded("theme.shared-learning").same_turn("context.leadership"))
    /// ```
    #[rhai_fn(name = "find", return_raw, pure)]
    pub fn find(p: &mut ProjectRef, query: Dynamic) -> Fallible<Table> {
        find_with_context(p, query, 0)
    }

    /// As `find`, with `context` characters of text before and after each passage.
    #[rhai_fn(name = "find", return_raw, pure)]
    pub fn find_with_context(p: &mut ProjectRef, query: Dynamic, context: i64) -> Fallible<Table> {
        let query = query_of(&query)?;
        let context =
            usize::try_from(context).map_err(|_| fail("find: context must not be negative"))?;
        with_analysis(p, |a| {
            let passages = a.find(&query)?;
            Ok(a.passages_table(&passages, context)?
                .with_title(format!("{query}: {} passages", passages.len())))
        })
    }

    // ---- text ----

    /// Keyword in context: every occurrence of a word or phrase (whole words, any case),
    /// with 40 characters either side.
    ///
    /// ```rhai
    /// p.kwic("social prescribing")
    /// ```
    #[rhai_fn(name = "kwic", return_raw, pure)]
    pub fn kwic(p: &mut ProjectRef, text: &str) -> Fallible<Table> {
        kwic_width(p, text, 40)
    }

    /// Keyword in context with `width` characters either side.
    #[rhai_fn(name = "kwic", return_raw, pure)]
    pub fn kwic_width(p: &mut ProjectRef, text: &str, width: i64) -> Fallible<Table> {
        let search = Search::Word {
            text: text.to_string(),
            case_sensitive: false,
        };
        let project = p.project.borrow();
        crate::analysis::keyword_in_context(
            &crate::analysis::Corpus::of(&project),
            &search,
            width.max(0) as usize,
        )
        .map_err(fail)
    }

    /// Keyword in context for a regular expression, `width` characters either side.
    ///
    /// ```rhai
    /// p.kwic_regex("(?i)learning (afternoon|session)s?", 30)
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn kwic_regex(p: &mut ProjectRef, pattern: &str, width: i64) -> Fallible<Table> {
        let search = Search::Regex {
            pattern: pattern.to_string(),
        };
        let project = p.project.borrow();
        crate::analysis::keyword_in_context(
            &crate::analysis::Corpus::of(&project),
            &search,
            width.max(0) as usize,
        )
        .map_err(fail)
    }

    /// Word frequencies over the whole project, common function words, transcript markup
    /// (`[inaudible]`) and speaker labels left out.
    ///
    /// ```rhai
    /// p.word_frequencies()
    /// ```
    #[rhai_fn(name = "word_frequencies", return_raw, pure)]
    pub fn word_frequencies(p: &mut ProjectRef) -> Fallible<Table> {
        word_frequencies_with(p, Map::new())
    }

    /// Word frequencies with options: `by` (a case attribute, phase, role...), `top` (words
    /// per group), `min_length`, `stopwords: true` to keep function words, `markup: true` to
    /// count transcript markup and speaker labels too (`false` leaves them out whatever
    /// `[words] count_markup` in qualkit.toml says).
    ///
    /// A word is a run of letters, digits and apostrophes with at least one letter or digit
    /// (a lone `'` is not a word). By default text in square brackets on one line
    /// (`[inaudible]`, `[REDACTED]`, `[laughter]`) and speaker labels are neither listed nor
    /// counted in the per-1,000-words denominators.
    ///
    /// ```rhai
    /// p.word_frequencies(#{by: "integration", top: 10});
    /// p.word_frequencies(#{markup: true, stopwords: true});  // count [laughter] and labels too
    /// ```
    #[rhai_fn(name = "word_frequencies", return_raw, pure)]
    pub fn word_frequencies_with(p: &mut ProjectRef, options: Map) -> Fallible<Table> {
        let mut o = WordOptions::default();
        for (key, value) in options {
            match key.as_str() {
                "by" => o.by = Some(dimension(p, &value.to_string())?),
                "top" => {
                    o.top = Some(
                        value
                            .as_int()
                            .map_err(|_| fail("word_frequencies: top must be a number"))?
                            .max(0) as usize,
                    )
                }
                "min_length" => {
                    o.min_length = value
                        .as_int()
                        .map_err(|_| fail("word_frequencies: min_length must be a number"))?
                        .max(1) as usize
                }
                "stopwords" => {
                    o.keep_stopwords = value
                        .as_bool()
                        .map_err(|_| fail("word_frequencies: stopwords must be true or false"))?
                }
                "markup" => {
                    o.markup = Some(
                        value
                            .as_bool()
                            .map_err(|_| fail("word_frequencies: markup must be true or false"))?,
                    )
                }
                other => {
                    return Err(fail(format!(
                        "word_frequencies: unknown option `{other}`; use by, top, min_length, stopwords or markup"
                    )));
                }
            }
        }
        let project = p.project.borrow();
        crate::analysis::word_frequencies(&crate::analysis::Corpus::of(&project), &o).map_err(fail)
    }

    // ---- matrices ----

    /// Matrix coding: rows by a dimension (case, phase, role, document, method, speaker or
    /// a case attribute), one column per code below `code` (or per code in a list); cells
    /// count coded passages.
    ///
    /// ```rhai
    /// p.matrix("case", "npt");                       // cases x the four constructs
    /// p.matrix("integration", npt::constructs());
    /// ```
    #[rhai_fn(name = "matrix", return_raw, pure)]
    pub fn matrix_of_code(p: &mut ProjectRef, rows: &str, code: &str) -> Fallible<Table> {
        let codes = children_or_self(p, code)?;
        matrix_run(p, rows, MatrixColumns::Codes(codes), Measure::Segments)
    }

    /// Matrix coding with one column per code of a list.
    #[rhai_fn(name = "matrix", return_raw, pure)]
    pub fn matrix_of_codes(p: &mut ProjectRef, rows: &str, codes: Array) -> Fallible<Table> {
        let codes = strings(&codes, "matrix")?;
        matrix_run(p, rows, MatrixColumns::Codes(codes), Measure::Segments)
    }

    /// Matrix coding with a measure: "segments", "cases" (with evidence), "words" (coded),
    /// "coverage" (% of words coded) or "density" (passages per 1,000 words). Words leave
    /// out transcript markup (`[inaudible]`) and speaker labels unless `[words]
    /// count_markup = true` in qualkit.toml.
    #[rhai_fn(name = "matrix", return_raw, pure)]
    pub fn matrix_of_codes_measure(
        p: &mut ProjectRef,
        rows: &str,
        codes: Array,
        measure: &str,
    ) -> Fallible<Table> {
        let codes = strings(&codes, "matrix")?;
        let measure = measure.parse().map_err(fail)?;
        matrix_run(p, rows, MatrixColumns::Codes(codes), measure)
    }

    /// One code across two dimensions: `p.matrix("case", "phase", "theme.shared-learning")`
    /// shows who kept doing it over time. With a code and a measure instead,
    /// `p.matrix("case", "npt", "density")`, the columns are the codes below it.
    #[rhai_fn(name = "matrix", return_raw, pure)]
    pub fn matrix_by_dimension(
        p: &mut ProjectRef,
        rows: &str,
        columns: &str,
        code: &str,
    ) -> Fallible<Table> {
        if let Ok(measure) = code.parse::<Measure>() {
            let codes = children_or_self(p, columns)?;
            return matrix_run(p, rows, MatrixColumns::Codes(codes), measure);
        }
        let columns = dimension(p, columns)?;
        matrix_run(
            p,
            rows,
            MatrixColumns::Dimension(columns, code.to_string()),
            Measure::Segments,
        )
    }

    /// One code across two dimensions, with a measure (see `matrix`).
    #[rhai_fn(name = "matrix", return_raw, pure)]
    pub fn matrix_by_dimension_measure(
        p: &mut ProjectRef,
        rows: &str,
        columns: &str,
        code: &str,
        measure: &str,
    ) -> Fallible<Table> {
        let columns = dimension(p, columns)?;
        let measure = measure.parse().map_err(fail)?;
        matrix_run(
            p,
            rows,
            MatrixColumns::Dimension(columns, code.to_string()),
            measure,
        )
    }

    /// How often codes overlap one another (the diagonal: each code's passages).
    ///
    /// ```rhai
    /// p.cooccurrence(["level.patient", "level.practice", "level.community", "theme.shared-learning"])
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn cooccurrence(p: &mut ProjectRef, codes: Array) -> Fallible<Table> {
        let codes = strings(&codes, "cooccurrence")?;
        with_analysis(p, |a| a.cooccurrence(&codes))
    }

    /// Counts of cases (or documents, or turns) by two attributes.
    ///
    /// ```rhai
    /// p.crosstab("integration", "training_practice")
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn crosstab(p: &mut ProjectRef, rows: &str, columns: &str) -> Fallible<Table> {
        let rows = dimension(p, rows)?;
        let columns = dimension(p, columns)?;
        with_analysis(p, |a| a.crosstab(&rows, &columns))
    }

    /// The same project, with analyses seeing only one coder's codings.
    ///
    /// ```rhai
    /// p.coded_by("ak").matrix("case", "npt")
    /// ```
    #[rhai_fn(pure)]
    pub fn coded_by(p: &mut ProjectRef, coder: &str) -> ProjectRef {
        ProjectRef {
            view: Some(coder.to_string()),
            ..p.clone()
        }
    }

    // ---- Framework ----

    /// A Framework matrix: cases x themes, each cell the analyst's summary and the coded
    /// passages it rests on. `themes` is a list of codes (or maps with `id`, as
    /// `npt::constructs()` gives).
    ///
    /// ```rhai
    /// let m = p.framework(npt::constructs());
    /// ```
    #[rhai_fn(name = "framework", return_raw, pure)]
    pub fn framework(p: &mut ProjectRef, themes: Array) -> Fallible<FrameworkMatrix> {
        let themes = strings(&themes, "framework")?;
        let summaries = p.project.borrow().summaries().map_err(fail)?;
        with_analysis(p, |a| a.framework(&themes, None, &summaries))
    }

    /// A Framework matrix with rows grouped by a case attribute: `p.framework(themes, "integration")`.
    #[rhai_fn(name = "framework", return_raw, pure)]
    pub fn framework_grouped(
        p: &mut ProjectRef,
        themes: Array,
        group: &str,
    ) -> Fallible<FrameworkMatrix> {
        let themes = strings(&themes, "framework")?;
        let group = dimension(p, group)?;
        let summaries = p.project.borrow().summaries().map_err(fail)?;
        with_analysis(p, |a| a.framework(&themes, Some(&group), &summaries))
    }

    /// Writes (or, with "", clears) the summary of a case for a theme, stored in the project
    /// with the audit log and in summaries.csv.
    ///
    /// ```rhai
    /// p.summarise("Amber", "npt.coherence", "Seen as a referral service at P1; a shared view of the role only by P3.");
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn summarise(p: &mut ProjectRef, case_name: &str, theme: &str, text: &str) -> Fallible<()> {
        let coder = p.coder.clone();
        p.project
            .borrow_mut()
            .set_summary(&coder, case_name, theme, text)
            .map_err(fail)
    }

    /// One cell: `#{summary, author, references: [#{document, speaker, role, phase, start, end, text}]}`.
    ///
    /// ```rhai
    /// let c = p.framework(npt::constructs()).cell("Magenta", "npt.coherence");
    /// print(c.summary);
    /// for r in c.references { print(`  ${r.role} (${r.phase}): ${r.text}`); }
    /// ```
    #[rhai_fn(name = "cell", return_raw, pure)]
    pub fn framework_cell(m: &mut FrameworkMatrix, case_name: &str, theme: &str) -> Fallible<Map> {
        let cell = m.cell(case_name, theme).ok_or_else(|| {
            fail(format!(
                "cell: no case `{case_name}` and theme `{theme}` in this matrix (cases: {}; themes: {})",
                m.cases.join(", "),
                m.themes.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>().join(", ")
            ))
        })?;
        let mut out = Map::new();
        out.insert(
            "summary".into(),
            cell.summary
                .as_ref()
                .map_or(Dynamic::UNIT, |s| s.text.clone().into()),
        );
        out.insert(
            "author".into(),
            cell.summary
                .as_ref()
                .map_or(Dynamic::UNIT, |s| s.author.clone().into()),
        );
        let refs: Array = cell
            .references
            .iter()
            .map(|r| {
                let mut m = Map::new();
                m.insert("document".into(), r.document.as_ref().into());
                m.insert(
                    "speaker".into(),
                    r.speaker.as_deref().map_or(Dynamic::UNIT, |s| s.into()),
                );
                m.insert(
                    "role".into(),
                    r.role.as_deref().map_or(Dynamic::UNIT, |s| s.into()),
                );
                m.insert("phase".into(), r.phase.as_ref().into());
                m.insert("start".into(), (r.start as i64).into());
                m.insert("end".into(), (r.end as i64).into());
                m.insert("text".into(), (&*r.text).into());
                Dynamic::from(m)
            })
            .collect();
        out.insert("references".into(), refs.into());
        Ok(out)
    }

    /// The matrix as a table, one row per cell, with the quotes each rests on.
    ///
    /// ```rhai
    /// p.framework(npt::constructs()).to_table().filter(|r| r.summary == ())
    /// ```
    #[rhai_fn(name = "to_table", return_raw, pure)]
    pub fn framework_table(m: &mut FrameworkMatrix) -> Fallible<Table> {
        m.to_table().map_err(fail)
    }

    /// Writes the matrix (one row per cell, quotes included) to a CSV file.
    ///
    /// ```rhai
    /// p.framework(npt::constructs(), "integration").to_csv("out/framework.csv");
    /// ```
    #[rhai_fn(name = "to_csv", return_raw, pure)]
    pub fn framework_csv(m: &mut FrameworkMatrix, path: &str) -> Fallible<()> {
        m.to_table()
            .and_then(|t| t.write_csv(std::path::Path::new(path)))
            .map_err(fail)
    }

    #[rhai_fn(name = "to_string", pure)]
    pub fn framework_to_string(m: &mut FrameworkMatrix) -> String {
        m.to_string()
    }

    #[rhai_fn(name = "to_debug", pure)]
    pub fn framework_to_debug(m: &mut FrameworkMatrix) -> String {
        m.to_string()
    }

    /// The matrix as HTML, quotes folded under each summary.
    ///
    /// ```rhai
    /// let html = p.framework(npt::constructs()).to_html();
    /// ```
    #[rhai_fn(name = "to_html", pure)]
    pub fn framework_to_html(m: &mut FrameworkMatrix) -> String {
        m.render_html()
    }

    // ---- groups ----

    /// Compares groups of cases split by a case attribute, theme by theme (the codes one
    /// level below each top-level code): cases with evidence, coded passages per 1,000
    /// words, and an exemplar quote per group.
    ///
    /// ```rhai
    /// p.compare("integration")
    /// ```
    #[rhai_fn(name = "compare", return_raw, pure)]
    pub fn compare(p: &mut ProjectRef, attribute: &str) -> Fallible<Table> {
        let themes = default_themes(p);
        let attribute = dimension(p, attribute)?;
        with_analysis(p, |a| a.compare(&attribute, &themes))
    }

    /// Compares groups on the given themes: `p.compare("integration", npt::constructs())`.
    #[rhai_fn(name = "compare", return_raw, pure)]
    pub fn compare_themes(p: &mut ProjectRef, attribute: &str, themes: Array) -> Fallible<Table> {
        let themes = strings(&themes, "compare")?;
        let attribute = dimension(p, attribute)?;
        with_analysis(p, |a| a.compare(&attribute, &themes))
    }

    /// The `n` passages per group that best illustrate a code (most coders agreeing, a
    /// readable length).
    ///
    /// ```rhai
    /// p.exemplars("integration", "npt.coherence", 2)
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn exemplars(p: &mut ProjectRef, attribute: &str, code: &str, n: i64) -> Fallible<Table> {
        let attribute = dimension(p, attribute)?;
        with_analysis(p, |a| a.exemplars(&attribute, code, n.max(0) as usize))
    }

    /// Classifies cases by a rule and stores the result as a case attribute. The rule gets
    /// each case as a map (its attributes, `evidence`: coded passages per code id and per
    /// phase as `evidence_by_phase[phase][code]`, and `words`) and returns a value, or
    /// `#{value: ..., reason: "..."}`. Returns a table of case, value and reason; the
    /// reasons are kept with the attribute and in the audit log.
    ///
    /// ```rhai
    /// p.classify("sustained", |c| if c.evidence_by_phase["P3"]["npt.collective-action"] > 2
    ///     { #{value: "yes", reason: "collective action still coded at P3"} } else { "no" });
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn classify(
        ctx: NativeCallContext,
        p: &mut ProjectRef,
        attribute: &str,
        rule: FnPtr,
    ) -> Fallible<Table> {
        let inputs = case_inputs(p)?;
        let mut results = Vec::new();
        for (name, input) in inputs {
            let verdict: Dynamic = rule.call_within_context(&ctx, (input,))?;
            let nothing = |what: &str| {
                fail(format!(
                    "classify: for case `{name}` the rule returned {what}; return a value, or #{{value: ..., reason: \"...\"}}, for every case (an `if` without an `else` returns nothing)"
                ))
            };
            let (value, reason) = match verdict.read_lock::<Map>() {
                Some(map) => {
                    let value = map.get("value").ok_or_else(|| {
                        fail(format!(
                            "classify: for case `{name}` the rule returned a map without `value`"
                        ))
                    })?;
                    if value.is_unit() || value.to_string().trim().is_empty() {
                        return Err(nothing("an empty `value`"));
                    }
                    (
                        value.to_string(),
                        map.get("reason").map(|r| r.to_string()).unwrap_or_default(),
                    )
                }
                None if verdict.is_unit() => return Err(nothing("nothing")),
                None if verdict.to_string().trim().is_empty() => {
                    return Err(nothing("an empty value"));
                }
                None => (verdict.to_string(), String::new()),
            };
            results.push((name, value, reason));
        }
        let coder = p.coder.clone();
        p.project
            .borrow_mut()
            .classify(&coder, attribute, &results)
            .map_err(fail)?;
        Table::new(vec![
            (
                "case".into(),
                Values::Text(results.iter().map(|r| Some(r.0.clone())).collect()),
            ),
            (
                attribute.to_string(),
                Values::Text(results.iter().map(|r| Some(r.1.clone())).collect()),
            ),
            (
                "reason".into(),
                Values::Text(results.iter().map(|r| Some(r.2.clone())).collect()),
            ),
        ])
        .map(|t| t.with_title(format!("Classification `{attribute}`")))
        .map_err(fail)
    }

    /// Removes a classification from every case. The audit log keeps its values, and
    /// `p.revert(entry)` brings them back, as for any change. Returns how many cases had it.
    ///
    /// ```rhai
    /// p.classify("my_rule", |c| if c.words > 20000 { "long" } else { "short" });
    /// p.remove_classification("my_rule")
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn remove_classification(p: &mut ProjectRef, name: &str) -> Fallible<i64> {
        let coder = p.coder.clone();
        p.project
            .borrow_mut()
            .remove_classification(&coder, name)
            .map(|n| n as i64)
            .map_err(fail)
    }
}

/// What a classification rule reads: a case (its attributes, `evidence`, `evidence_by_phase`,
/// `words`), its evidence per code, or its evidence in one phase. Reading a name that is not
/// there is an error that lists the names that are, so a typo cannot quietly count as zero.
#[derive(Clone)]
pub struct Facts {
    /// What the names are (`attribute`, `code`, `phase`), for the error.
    what: &'static str,
    /// Whose they are (`case Amber`, `case Amber's evidence`), for the error.
    of: String,
    entries: std::collections::BTreeMap<String, Dynamic>,
}

impl Facts {
    fn get(&self, name: &str) -> Fallible<Dynamic> {
        self.entries.get(name).cloned().ok_or_else(|| {
            let mut known: Vec<&str> = self.entries.keys().map(String::as_str).collect();
            let near: Vec<&str> = known
                .iter()
                .copied()
                .filter(|k| {
                    crate::teaching::exercise::edit_distance(k, name) <= 2 || k.starts_with(name)
                })
                .collect();
            let hint = match near.as_slice() {
                [] => String::new(),
                near => format!(" (did you mean {}?)", near.join(" or ")),
            };
            known.sort();
            fail(format!(
                "classify: {} has no {} `{name}`{hint}; the {}s are: {}",
                self.of,
                self.what,
                self.what,
                known.join(", ")
            ))
        })
    }
}

#[export_module]
pub mod facts_functions {
    use super::Facts;
    use rhai::{Array, Dynamic};

    /// A case's attribute, evidence for a code, or evidence in a phase; an unknown name is
    /// an error listing the known ones.
    ///
    /// ```rhai
    /// p.classify("monitored", |c| if c.evidence["npt.reflexive-monitoring"] > 5 { "yes" } else { "no" })
    /// ```
    #[rhai_fn(index_get, return_raw)]
    pub fn get(facts: &mut Facts, name: &str) -> Result<Dynamic, Box<rhai::EvalAltResult>> {
        facts.get(name)
    }

    /// Whether a name is there: `"npt.coherence" in c.evidence`.
    ///
    /// ```rhai
    /// p.classify("has_phase_3", |c| if "P3" in c.evidence_by_phase { "yes" } else { "no" })
    /// ```
    #[rhai_fn(pure)]
    pub fn contains(facts: &mut Facts, name: &str) -> bool {
        facts.entries.contains_key(name)
    }

    /// The names there are: codes, phases or attributes.
    ///
    /// ```rhai
    /// p.classify("phases", |c| c.evidence_by_phase.keys().len())
    /// ```
    #[rhai_fn(pure)]
    pub fn keys(facts: &mut Facts) -> Array {
        facts
            .entries
            .keys()
            .map(|k| Dynamic::from(k.clone()))
            .collect()
    }

    /// Every name and value a rule can read, to see what is there.
    ///
    /// ```rhai
    /// p.classify("seen", |c| { print(c.evidence_by_phase); "ok" })
    /// ```
    #[rhai_fn(name = "to_string", name = "to_debug", pure)]
    pub fn facts_to_string(facts: &mut Facts) -> String {
        format!(
            "{}: {}",
            facts.of,
            facts
                .entries
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

fn facts(what: &'static str, of: String, map: Map) -> Facts {
    Facts {
        what,
        of,
        entries: map.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    }
}

/// Each case as the map a classification rule receives.
fn case_inputs(p: &ProjectRef) -> Fallible<Vec<(String, Facts)>> {
    let project = p.project.borrow();
    let analysis = Analysis::new(&project, p.view.as_deref()).map_err(fail)?;
    let corpus = analysis.corpus();
    let phases = Dimension::Phase.values(&corpus);
    let mut inputs = Vec::new();
    for case in project.cases.iter() {
        let mut map = case_map(case);
        let mut evidence = Map::new();
        let mut by_phase: std::collections::BTreeMap<String, Map> =
            phases.iter().map(|ph| (ph.clone(), Map::new())).collect();
        for code in project.codebook.codes() {
            let passages = analysis.passages(&code.id).map_err(fail)?;
            let mine: Vec<_> = passages
                .iter()
                .filter(|ps| project.documents()[ps.doc as usize].case == case.name)
                .collect();
            evidence.insert(code.id.as_str().into(), (mine.len() as i64).into());
            for (phase, counts) in by_phase.iter_mut() {
                let n = mine
                    .iter()
                    .filter(|ps| project.documents()[ps.doc as usize].phase == *phase)
                    .count();
                counts.insert(code.id.as_str().into(), (n as i64).into());
            }
        }
        let words: usize = project
            .documents()
            .iter()
            .filter(|d| d.case == case.name)
            .map(|d| d.word_count())
            .sum();
        let of = format!("case {}", case.name);
        map.insert(
            "evidence".into(),
            Dynamic::from(facts("code", format!("{of}'s evidence"), evidence)),
        );
        map.insert(
            "evidence_by_phase".into(),
            Dynamic::from(facts(
                "phase",
                format!("{of}'s evidence_by_phase"),
                by_phase
                    .into_iter()
                    .map(|(k, v)| {
                        let counts = facts("code", format!("{of}'s evidence in {k}"), v);
                        (k.into(), Dynamic::from(counts))
                    })
                    .collect::<Map>(),
            )),
        );
        map.insert("words".into(), (words as i64).into());
        inputs.push((case.name.clone(), facts("attribute", of, map)));
    }
    Ok(inputs)
}

fn matrix_run(
    p: &ProjectRef,
    rows: &str,
    columns: MatrixColumns,
    measure: Measure,
) -> Fallible<Table> {
    let rows = dimension(p, rows)?;
    with_analysis(p, |a| a.matrix(&rows, &columns, measure))
}

pub(super) fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<Table>("Table")
        .register_type_with_name::<Query>("Query")
        .register_type_with_name::<FrameworkMatrix>("Framework")
        .register_type_with_name::<Chart>("Chart")
        .register_type_with_name::<Facts>("CaseFacts");
    engine.register_global_module(exported_module!(facts_functions).into());
    engine.register_global_module(exported_module!(analysis_api).into());
}
