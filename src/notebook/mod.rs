//! Rust notebooks (evcxr): a project handle whose values can be kept from one cell to the
//! next, with the analysis methods the Rhai API has, under the same names. Brought in by
//! `use qualkit::prelude::*;`.
//!
//! Why a handle and not a [`Project`]: evcxr builds each cell as a library of its own, linked
//! with its own copy of every dependency, SQLite's C code included. A `Project` holds a SQLite
//! connection made by the copy of the cell that opened it; used or dropped by a later cell's
//! code, it meets a copy of SQLite that never set up that connection (queries fail, then the
//! kernel aborts). A [`ProjectHandle`] holds only the project's folder and two names: each call
//! opens the project, works, and closes it before returning, all in the calling cell's copy.
//! What the calls return (a [`Table`], a [`FrameworkMatrix`], segments) is plain owned data.
//!
//! Reading the files on each call keeps a notebook in step with other processes' changes
//! (another coder's codings, a script's summaries) at the cost of reading the project's
//! documents again; the cache in `.qualkit/` is reused while it matches the files.
//!
//! | Rhai                                    | Rust (`let p = open("data/deep-end")?;`)          |
//! |-----------------------------------------|---------------------------------------------------|
//! | `p.matrix("case", "npt")`               | `p.matrix("case", "npt")?`                        |
//! | `p.matrix("case", ["a", "b"], "density")`| `p.matrix_measure("case", ["a", "b"], "density")?`|
//! | `p.matrix("case", "phase", "code")`     | `p.matrix_across("case", "phase", "code")?`       |
//! | `p.framework(npt::constructs())`        | `p.framework("npt")?` (the codes below `npt`)     |
//! | `p.framework(themes, "integration")`    | `p.framework_grouped(themes, "integration")?`     |
//! | `p.compare("integration")`              | `p.compare("integration")?`                       |
//! | `p.compare("integration", themes)`      | `p.compare_themes("integration", themes)?`        |
//! | `p.kwic("waiting list")`                | `p.kwic("waiting list")?`                         |
//! | `p.find(coded("a").same_turn("b"))`     | `p.find(coded("a").same_turn(coded("b")))?`       |
//! | `p.agreement("ak", "rb", themes)`       | `p.agreement_on("ak", "rb", themes)?`             |
//! | `p.coded_by("ak")`                      | `p.coded_by("ak")`                                |
//! | `t.heatmap()`, `t.bars()`, `t.timeline()` | `t.heatmap()?`, `t.bars()?`, `t.timeline()?`    |

pub mod evcxr;
pub mod prelude;

use std::path::{Path, PathBuf};

use crate::agreement::{Breakdown, Level, SpanComparison};
use crate::analysis::segments::{Segment, SegmentFilter};
use crate::analysis::table::Table;
use crate::analysis::{
    Analysis, Corpus, Dimension, FrameworkMatrix, MatrixColumns, Measure, Query, WordOptions,
};
use crate::coding::autocode::Search;
use crate::error::{Error, Result};
use crate::project::{Project, default_coder};

/// Opens the project in `dir` (reading its files and bringing its cache up to date) and
/// returns a handle to keep in a notebook variable.
///
/// ```no_run
/// use qualkit::prelude::*;
/// let p = open("data/deep-end")?;
/// let constructs = p.matrix("case", "npt")?;
/// # Ok::<(), qualkit::Error>(())
/// ```
pub fn open(dir: impl AsRef<Path>) -> Result<ProjectHandle> {
    let dir = dir.as_ref();
    let mut project = Project::open(dir)?;
    show_notes(&mut project);
    let root = std::fs::canonicalize(dir).map_err(|e| Error::io(dir, e))?;
    Ok(ProjectHandle {
        root,
        name: project.name().to_string(),
        coder: default_coder(&project.config),
        view: None,
    })
}

/// A query that finds the passages coded with `code` or any code below it, to combine with
/// `.and`, `.or`, `.except`, `.near`, `.overlapping` and `.same_turn`.
pub fn coded(code: impl Into<String>) -> Query {
    Query::code(code)
}

impl From<&str> for Query {
    fn from(code: &str) -> Query {
        Query::code(code)
    }
}

/// The codes a matrix, a Framework or a comparison is about: one code stands for the codes
/// below it (or itself when it has none), a list for exactly the codes in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Codes {
    Below(String),
    List(Vec<String>),
}

impl From<&str> for Codes {
    fn from(code: &str) -> Codes {
        Codes::Below(code.to_string())
    }
}

impl From<String> for Codes {
    fn from(code: String) -> Codes {
        Codes::Below(code)
    }
}

impl From<&[&str]> for Codes {
    fn from(codes: &[&str]) -> Codes {
        Codes::List(codes.iter().map(|c| c.to_string()).collect())
    }
}

impl<const N: usize> From<[&str; N]> for Codes {
    fn from(codes: [&str; N]) -> Codes {
        Codes::List(codes.iter().map(|c| c.to_string()).collect())
    }
}

impl From<Vec<&str>> for Codes {
    fn from(codes: Vec<&str>) -> Codes {
        Codes::List(codes.into_iter().map(String::from).collect())
    }
}

impl From<Vec<String>> for Codes {
    fn from(codes: Vec<String>) -> Codes {
        Codes::List(codes)
    }
}

impl From<&Vec<String>> for Codes {
    fn from(codes: &Vec<String>) -> Codes {
        Codes::List(codes.clone())
    }
}

impl Codes {
    /// The code ids meant, in order.
    fn ids(&self, project: &Project) -> Result<Vec<String>> {
        match self {
            Codes::Below(code) => project.codebook.children_or_self(code),
            Codes::List(codes) => Ok(codes.clone()),
        }
    }
}

/// A project kept across notebook cells: its folder, the coder its writes are recorded
/// under, and whose codings its analyses see. Each method opens the project, works and
/// closes it (see the module's documentation for why); results are owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectHandle {
    root: PathBuf,
    name: String,
    coder: String,
    /// Analyses see only this coder's codings; all coders' when `None`.
    view: Option<String>,
}

impl ProjectHandle {
    /// The project's folder (absolute).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The project's name, from `qualkit.toml`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The coder that writes (`summarise`) are recorded under: `QUALKIT_CODER`, `coder` in
    /// `qualkit.toml`, or the login name, until [`ProjectHandle::set_coder`].
    pub fn coder(&self) -> &str {
        &self.coder
    }

    pub fn set_coder(&mut self, coder: &str) {
        self.coder = coder.to_string();
    }

    /// The same project, with analyses seeing only one coder's codings:
    /// `p.coded_by("ak").matrix("case", "npt")?`.
    pub fn coded_by(&self, coder: &str) -> ProjectHandle {
        ProjectHandle {
            view: Some(coder.to_string()),
            ..self.clone()
        }
    }

    /// Opens the project for the full Rust API ([`Project`]). The `Project` holds a SQLite
    /// connection: use it and let it go within one cell, never keep it in a variable that
    /// outlives the cell.
    pub fn open_project(&self) -> Result<Project> {
        let mut project = Project::open(&self.root)?;
        show_notes(&mut project);
        Ok(project)
    }

    fn with_analysis<T>(&self, work: impl FnOnce(&Project, &Analysis) -> Result<T>) -> Result<T> {
        let project = self.open_project()?;
        let analysis = Analysis::new(&project, self.view.as_deref())?;
        work(&project, &analysis)
    }

    /// Matrix coding: rows by a dimension (case, phase, role, document, method, speaker or
    /// a case attribute), one column per code below `codes` (or per code of a list); cells
    /// count coded passages.
    ///
    /// ```no_run
    /// # let p = qualkit::prelude::open("data/deep-end")?;
    /// let by_case = p.matrix("case", "npt")?;                       // cases x the constructs
    /// let two = p.matrix("integration", ["npt.coherence", "npt.collective-action"])?;
    /// # Ok::<(), qualkit::Error>(())
    /// ```
    pub fn matrix(&self, rows: &str, codes: impl Into<Codes>) -> Result<Table> {
        self.matrix_measure(rows, codes, "segments")
    }

    /// Matrix coding with a measure: "segments", "cases" (with evidence), "words" (coded),
    /// "coverage" (% of words coded) or "density" (passages per 1,000 words).
    pub fn matrix_measure(
        &self,
        rows: &str,
        codes: impl Into<Codes>,
        measure: &str,
    ) -> Result<Table> {
        let codes = codes.into();
        let measure: Measure = measure.parse()?;
        self.with_analysis(|project, analysis| {
            let rows = Dimension::parse(&Corpus::of(project), rows)?;
            let columns = MatrixColumns::Codes(codes.ids(project)?);
            analysis.matrix(&rows, &columns, measure)
        })
    }

    /// One code across two dimensions: `p.matrix_across("case", "phase", "theme.shared-learning")?`
    /// shows who kept doing it over time.
    pub fn matrix_across(&self, rows: &str, columns: &str, code: &str) -> Result<Table> {
        self.matrix_across_measure(rows, columns, code, "segments")
    }

    /// One code across two dimensions, with a measure (see [`ProjectHandle::matrix_measure`]).
    pub fn matrix_across_measure(
        &self,
        rows: &str,
        columns: &str,
        code: &str,
        measure: &str,
    ) -> Result<Table> {
        let measure: Measure = measure.parse()?;
        self.with_analysis(|project, analysis| {
            let corpus = Corpus::of(project);
            let rows = Dimension::parse(&corpus, rows)?;
            let columns =
                MatrixColumns::Dimension(Dimension::parse(&corpus, columns)?, code.to_string());
            analysis.matrix(&rows, &columns, measure)
        })
    }

    /// How often codes overlap one another (the diagonal: each code's passages).
    pub fn cooccurrence(&self, codes: impl Into<Codes>) -> Result<Table> {
        let codes = codes.into();
        self.with_analysis(|project, analysis| analysis.cooccurrence(&codes.ids(project)?))
    }

    /// Counts of cases (or documents, or turns) by two attributes:
    /// `p.crosstab("integration", "training_practice")?`.
    pub fn crosstab(&self, rows: &str, columns: &str) -> Result<Table> {
        self.with_analysis(|project, analysis| {
            let corpus = Corpus::of(project);
            analysis.crosstab(
                &Dimension::parse(&corpus, rows)?,
                &Dimension::parse(&corpus, columns)?,
            )
        })
    }

    /// A Framework matrix: cases x themes, each cell the analyst's summary and the coded
    /// passages it rests on. `p.framework("npt")?` charts the four constructs.
    pub fn framework(&self, themes: impl Into<Codes>) -> Result<FrameworkMatrix> {
        let themes = themes.into();
        self.with_analysis(|project, analysis| {
            let summaries = project.summaries()?;
            analysis.framework(&themes.ids(project)?, None, &summaries)
        })
    }

    /// A Framework matrix with rows grouped by a case attribute:
    /// `p.framework_grouped("npt", "integration")?`.
    pub fn framework_grouped(
        &self,
        themes: impl Into<Codes>,
        group: &str,
    ) -> Result<FrameworkMatrix> {
        let themes = themes.into();
        self.with_analysis(|project, analysis| {
            let group = Dimension::parse(&Corpus::of(project), group)?;
            let summaries = project.summaries()?;
            analysis.framework(&themes.ids(project)?, Some(&group), &summaries)
        })
    }

    /// Writes (or, with "", clears) the summary of a case for a theme, recorded under
    /// [`ProjectHandle::coder`] in summaries.csv and the audit log.
    pub fn summarise(&self, case: &str, theme: &str, text: &str) -> Result<()> {
        self.open_project()?
            .set_summary(&self.coder, case, theme, text)
    }

    /// Compares groups of cases split by a case attribute, theme by theme (the codes one
    /// level below each top-level code): cases with evidence, coded passages per 1,000
    /// words, and an exemplar quote per group.
    pub fn compare(&self, attribute: &str) -> Result<Table> {
        self.with_analysis(|project, analysis| {
            let attribute = Dimension::parse(&Corpus::of(project), attribute)?;
            analysis.compare(&attribute, &project.codebook.default_themes())
        })
    }

    /// Compares groups on the given themes: `p.compare_themes("integration", "npt")?`.
    pub fn compare_themes(&self, attribute: &str, themes: impl Into<Codes>) -> Result<Table> {
        let themes = themes.into();
        self.with_analysis(|project, analysis| {
            let attribute = Dimension::parse(&Corpus::of(project), attribute)?;
            analysis.compare(&attribute, &themes.ids(project)?)
        })
    }

    /// The `n` passages per group that best illustrate a code (most coders agreeing, a
    /// readable length): `p.exemplars("integration", "npt.coherence", 2)?`.
    pub fn exemplars(&self, attribute: &str, code: &str, n: usize) -> Result<Table> {
        self.with_analysis(|project, analysis| {
            let attribute = Dimension::parse(&Corpus::of(project), attribute)?;
            analysis.exemplars(&attribute, code, n)
        })
    }

    /// The passages a query (or a code) finds: document, case, phase, speaker, role,
    /// position, words, how many coders, and the text.
    pub fn find(&self, query: impl Into<Query>) -> Result<Table> {
        let query = query.into();
        self.with_analysis(|_, analysis| {
            let passages = analysis.find(&query)?;
            Ok(analysis
                .passages_table(&passages, 0)?
                .with_title(format!("{query}: {} passages", passages.len())))
        })
    }

    /// Keyword in context: every occurrence of a word or phrase (whole words, any case),
    /// with 40 characters either side.
    pub fn kwic(&self, text: &str) -> Result<Table> {
        self.kwic_width(text, 40)
    }

    /// Keyword in context with `width` characters either side.
    pub fn kwic_width(&self, text: &str, width: usize) -> Result<Table> {
        let search = Search::Word {
            text: text.to_string(),
            case_sensitive: false,
        };
        let project = self.open_project()?;
        crate::analysis::keyword_in_context(&Corpus::of(&project), &search, width)
    }

    /// Word frequencies over the whole project, common function words, transcript markup
    /// and speaker labels left out.
    pub fn word_frequencies(&self) -> Result<Table> {
        let project = self.open_project()?;
        crate::analysis::word_frequencies(&Corpus::of(&project), &WordOptions::default())
    }

    /// Segments coded with `code` (an id, path or unique name) or any code below it, by
    /// document and position; [`crate::analysis::segments::segments_table`] shows them as a table.
    pub fn segments(&self, code: &str) -> Result<Vec<Segment>> {
        self.open_project()?.segments(&SegmentFilter {
            code: Some(code.to_string()),
            coder: self.view.clone(),
            ..Default::default()
        })
    }

    /// Agreement between two coders on every code either applied, as NVivo's coding
    /// comparison reports it (character level, documents averaged by length).
    pub fn agreement(&self, first: &str, second: &str) -> Result<Table> {
        let project = self.open_project()?;
        let comparison = SpanComparison::new(&project, first, second)?;
        comparison.table(
            &comparison.codes_applied(),
            Breakdown::Code,
            Level::Character,
        )
    }

    /// Agreement between two coders on a code or a list of codes, each counting with the
    /// codes below it, as the Rhai `agreement` takes them: `p.agreement_on("ak", "rb", "npt")?`
    /// is one row for all of NPT, `["npt.coherence", "npt.collective-action"]` a row each.
    pub fn agreement_on(
        &self,
        first: &str,
        second: &str,
        codes: impl Into<Codes>,
    ) -> Result<Table> {
        let codes = match codes.into() {
            Codes::Below(code) => vec![code],
            Codes::List(codes) => codes,
        };
        let project = self.open_project()?;
        let comparison = SpanComparison::new(&project, first, second)?;
        let codes = comparison.resolve_codes(Some(&codes))?;
        comparison.table(&codes, Breakdown::Code, Level::Character)
    }
}

impl std::fmt::Display for ProjectHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "project {} ({})", self.name, self.root.display())?;
        if let Some(coder) = &self.view {
            write!(f, ", codings of {coder}")?;
        }
        Ok(())
    }
}

/// What opening did that the user should hear of (a cache rebuilt, an interrupted change
/// completed), on stderr as the command line says it.
fn show_notes(project: &mut Project) {
    for note in project.take_notes() {
        eprintln!("note: {note}");
    }
}
