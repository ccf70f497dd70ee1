//! Moving work between qualkit and the tools researchers already use: REFI-QDA projects
//! (`.qdpx`) and codebooks (`.qdc`) in both directions, tables to spreadsheets, and the file
//! kinds transcripts arrive in. [`import`] and [`export`] choose by file extension; the
//! command line and scripts call only these two.
//!
//! Imports are planned whole before anything is written, and what is written is undone if a
//! later step fails, so a broken or hostile file leaves the project as it was.

mod merge;
pub mod positions;
pub mod qdc;
pub mod qdpx_export;
pub mod qdpx_import;
pub mod refi;
#[cfg(feature = "dataframe")]
pub mod xlsx;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::project::{ImportMetadata, Project};

/// How an import runs.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Who runs the import: recorded in the audit log, and the coder of codings whose file
    /// names no coder.
    pub coder: String,
    /// Replace documents that exist with a different text.
    pub overwrite: bool,
    /// Defaults for documents that come without case, method, phase or date.
    pub metadata: ImportMetadata,
}

/// What an import or export did, and what it could not carry over.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExchangeReport {
    pub file: PathBuf,
    /// Whether this reports an export (counts are what the file holds) or an import.
    pub exported: bool,
    pub documents_added: Vec<String>,
    /// Documents already in the project with the same text; their codings were added to them.
    pub documents_matched: usize,
    pub codes_added: usize,
    pub codes_matched: usize,
    pub cases_added: usize,
    pub codings_added: usize,
    /// Codings the project already had (importing the same file twice adds nothing).
    pub codings_already_stored: usize,
    pub memos: usize,
    pub summaries: usize,
    pub sets: usize,
    /// Files written (exports) or added to the project folder (imports).
    pub written: Vec<PathBuf>,
    /// How the file was read, where that took a decision (line-end counting...).
    pub notes: Vec<String>,
    /// What could not be carried over, or was changed on the way.
    pub warnings: Vec<String>,
}

impl std::fmt::Display for ExchangeReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        let exported = self.exported;
        let mut count = |n: usize, what: &str| {
            if n > 0 {
                let what = if exported {
                    what.trim_end_matches(" added")
                } else {
                    what
                };
                parts.push(format!("{n} {what}"));
            }
        };
        count(self.documents_added.len(), "documents added");
        count(self.documents_matched, "documents already present");
        count(self.codes_added, "codes added");
        count(self.codes_matched, "codes matched");
        count(self.cases_added, "cases added");
        count(self.codings_added, "codings added");
        count(self.codings_already_stored, "codings already stored");
        count(self.memos, "memos");
        count(self.summaries, "Framework summaries");
        count(self.sets, "sets");
        if parts.is_empty() {
            writeln!(f, "{}", self.file.display())?;
        } else {
            writeln!(f, "{}: {}", self.file.display(), parts.join(", "))?;
        }
        const SHOWN: usize = 5;
        for path in self.written.iter().take(SHOWN) {
            writeln!(f, "  wrote {}", path.display())?;
        }
        if self.written.len() > SHOWN {
            writeln!(f, "  ... and {} more files", self.written.len() - SHOWN)?;
        }
        for note in &self.notes {
            writeln!(f, "  note: {note}")?;
        }
        for warning in &self.warnings {
            writeln!(f, "  not carried over: {warning}")?;
        }
        Ok(())
    }
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Whether `import` reads this file as an exchange file rather than as documents.
pub fn is_exchange_file(path: &Path) -> bool {
    matches!(extension(path).as_str(), "qdpx" | "qdc")
}

/// Imports a REFI-QDA project (`.qdpx`) or codebook (`.qdc`) into the project in `dir`.
///
/// The import is one change of the project: it holds the project's exclusive lock from reading
/// to writing, and every file it writes (transcripts, codebook, cases, sets, codings, memos,
/// the log) is kept only if all of it succeeds, even if the process dies midway.
pub fn import(dir: &Path, file: &Path, options: &ImportOptions) -> Result<ExchangeReport> {
    if !is_exchange_file(file) {
        return Err(Error::Invalid {
            path: file.to_path_buf(),
            message: format!(
                "`.{}` is not an exchange format; use .qdpx or .qdc (documents are imported with `qualkit import` too)",
                extension(file)
            ),
        });
    }
    let _lock = crate::record::ProjectLock::acquire(dir, crate::record::Mode::Exclusive)?;
    let recovered = crate::record::change::recover(dir)?;
    let description = format!("import of {}", file.display());
    let mut report =
        crate::record::in_change(dir, &description, || match extension(file).as_str() {
            "qdpx" => qdpx_import::import(dir, file, options),
            _ => qdc::import(dir, file, options),
        })?;
    report.notes.extend(recovered);
    Ok(report)
}

/// Exports the project: `.qdpx` (the whole project), `.qdc` (the codebook), `.csv` (codings,
/// one row per coding, for version control) or `.xlsx` (codings and cases as sheets).
pub fn export(project: &Project, out: &Path) -> Result<ExchangeReport> {
    let mut report = export_as(project, out)?;
    let detached = project
        .unplaced_codings()?
        .iter()
        .filter(|c| c.detached)
        .count();
    if detached > 0 {
        report.warnings.push(format!(
            "{detached} detached codings (their text is gone from their document; `qualkit codings --detached` lists them)"
        ));
    }
    Ok(report)
}

fn export_as(project: &Project, out: &Path) -> Result<ExchangeReport> {
    match extension(out).as_str() {
        "qdpx" => qdpx_export::export(project, out),
        "qdc" => qdc::export(project, out),
        "csv" => {
            crate::project::codings_csv::write_one(project, out)?;
            Ok(ExchangeReport {
                file: out.to_path_buf(),
                exported: true,
                codings_added: project.store().count_codings()?,
                written: vec![out.to_path_buf()],
                ..Default::default()
            })
        }
        #[cfg(feature = "dataframe")]
        "xlsx" => xlsx::export_project(project, out),
        #[cfg(not(feature = "dataframe"))]
        "xlsx" => Err(Error::Invalid {
            path: out.to_path_buf(),
            message: "this qualkit was built without the `dataframe` feature, which writes .xlsx"
                .to_string(),
        }),
        other => Err(Error::Invalid {
            path: out.to_path_buf(),
            message: format!("cannot export to `.{other}`; use .qdpx, .qdc, .csv or .xlsx"),
        }),
    }
}
