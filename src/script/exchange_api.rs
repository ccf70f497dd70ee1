//! Rhai bindings for moving work in and out: REFI-QDA projects and codebooks, codings as
//! CSV, tables and Framework matrices as spreadsheets. Each `///` comment is the help text a
//! user sees with `help("name")`.

use rhai::plugin::*;
use rhai::{Array, Dynamic, Engine, Map};

use super::base::{Fallible, ProjectRef, fail};
use crate::analysis::FrameworkMatrix;
use crate::analysis::segments::Segment;
use crate::analysis::table::Table;
use crate::exchange::{self, ExchangeReport, ImportOptions};

fn report_map(report: ExchangeReport) -> Map {
    let strings = |v: Vec<String>| -> Array { v.into_iter().map(Dynamic::from).collect() };
    let mut m = Map::new();
    m.insert("summary".into(), report.to_string().into());
    m.insert("file".into(), report.file.display().to_string().into());
    m.insert(
        "documents_added".into(),
        Dynamic::from(strings(report.documents_added)),
    );
    for (key, n) in [
        ("documents_matched", report.documents_matched),
        ("codes_added", report.codes_added),
        ("codes_matched", report.codes_matched),
        ("cases_added", report.cases_added),
        ("codings_added", report.codings_added),
        ("codings_already_stored", report.codings_already_stored),
        ("memos", report.memos),
        ("sets", report.sets),
    ] {
        m.insert(key.into(), Dynamic::from(n as i64));
    }
    m.insert("notes".into(), Dynamic::from(strings(report.notes)));
    m.insert("warnings".into(), Dynamic::from(strings(report.warnings)));
    m
}

/// What a workbook could not hold whole, on standard error where a script's warnings go.
fn warn_all(path: &str, warnings: Vec<String>) {
    for w in warnings {
        eprintln!("warning: {path}: {w}");
    }
}

#[export_module]
pub mod exchange_api {
    use super::*;

    /// Exports the project (`export` is a reserved word in Rhai, hence `export_to`) by the
    /// file's extension: `.qdpx` (a REFI-QDA project for NVivo,
    /// ATLAS.ti, MAXQDA, QualCoder), `.qdc` (the codebook), `.csv` (every coding, one row
    /// each, for version control) or `.xlsx` (codings, documents and cases as sheets).
    /// Returns a report: counts, `notes` and `warnings` (what could not be carried over).
    ///
    /// ```rhai
    /// let r = p.export_to("out/deep-end.qdpx");
    /// print(r.summary);
    /// ```
    #[rhai_fn(name = "export_to", return_raw, pure)]
    pub fn export(p: &mut ProjectRef, path: &str) -> Fallible<Map> {
        let project = p.project.borrow();
        exchange::export(&project, std::path::Path::new(path))
            .map(report_map)
            .map_err(fail)
    }

    /// Imports (`import` is a reserved word in Rhai, hence `import_from`) a REFI-QDA project
    /// (`.qdpx`) or codebook (`.qdc`) into the project, recorded
    /// under the script's coder; the project is reopened afterwards. Nothing is changed if
    /// the file cannot be read. Returns a report whose `warnings` list what could not be
    /// carried over.
    ///
    /// ```rhai
    /// # project_copy("data/deep-end").export_to("from-nvivo.qdpx");
    /// let r = p.import_from("from-nvivo.qdpx");
    /// for w in r.warnings { print(w); }
    /// ```
    #[rhai_fn(name = "import_from", return_raw)]
    pub fn import(p: &mut ProjectRef, path: &str) -> Fallible<Map> {
        let root = p.project.borrow().root().to_path_buf();
        let options = ImportOptions {
            coder: p.coder.clone(),
            ..Default::default()
        };
        let report = exchange::import(&root, std::path::Path::new(path), &options).map_err(fail)?;
        let reopened = crate::project::Project::open(&root).map_err(fail)?;
        *p.project.borrow_mut() = reopened;
        Ok(report_map(report))
    }

    /// Writes the table to an Excel workbook: one sheet, the header bold and frozen, long
    /// text wrapped, numbers as numbers.
    ///
    /// ```rhai
    /// p.matrix("case", "npt").to_xlsx("out/matrix.xlsx");
    /// ```
    #[rhai_fn(name = "to_xlsx", return_raw, pure)]
    pub fn table_to_xlsx(t: &mut Table, path: &str) -> Fallible<()> {
        let name = t.title().unwrap_or("table").to_string();
        let warnings = exchange::xlsx::write_tables(std::path::Path::new(path), &[(&name, t)])
            .map_err(fail)?;
        warn_all(path, warnings);
        Ok(())
    }

    /// Writes several tables to one workbook, a sheet each, named by the map's keys.
    ///
    /// ```rhai
    /// let by_case = p.matrix("case", "npt");
    /// let by_phase = p.matrix("phase", "npt");
    /// to_xlsx("out/tables.xlsx", #{ "by case": by_case, "by phase": by_phase });
    /// ```
    #[rhai_fn(name = "to_xlsx", return_raw)]
    pub fn tables_to_xlsx(path: &str, tables: Map) -> Fallible<()> {
        let mut named: Vec<(String, Table)> = Vec::new();
        for (name, value) in tables {
            let table = value
                .try_cast::<Table>()
                .ok_or_else(|| fail(format!("`{name}` is not a table")))?;
            named.push((name.to_string(), table));
        }
        let refs: Vec<(&str, &Table)> = named.iter().map(|(n, t)| (n.as_str(), t)).collect();
        let warnings =
            exchange::xlsx::write_tables(std::path::Path::new(path), &refs).map_err(fail)?;
        warn_all(path, warnings);
        Ok(())
    }

    /// Writes the Framework matrix to an Excel workbook: the matrix (a row per case, a
    /// column per theme, summaries in the cells) and a sheet with every quote and where it is.
    ///
    /// ```rhai
    /// p.framework(["npt.coherence", "npt.collective-action"]).to_xlsx("out/framework.xlsx");
    /// ```
    #[rhai_fn(name = "to_xlsx", return_raw, pure)]
    pub fn framework_to_xlsx(m: &mut FrameworkMatrix, path: &str) -> Fallible<()> {
        let warnings =
            exchange::xlsx::write_framework(std::path::Path::new(path), m).map_err(fail)?;
        warn_all(path, warnings);
        Ok(())
    }

    /// Writes the Framework matrix (one row per cell, quotes included) to a Parquet file.
    ///
    /// ```rhai
    /// p.framework(npt::constructs()).to_parquet("out/framework.parquet");
    /// ```
    #[rhai_fn(name = "to_parquet", return_raw, pure)]
    pub fn framework_to_parquet(m: &mut FrameworkMatrix, path: &str) -> Fallible<()> {
        m.to_table()
            .and_then(|t| t.write_parquet(std::path::Path::new(path)))
            .map_err(fail)
    }

    /// The project's sets (`sets.yaml`): named groups of codes and documents, as other tools
    /// keep them. Each is a map with `name`, `description`, `codes` (ids) and `documents`.
    ///
    /// ```rhai
    /// for s in p.sets() { print(`${s.name}: ${s.documents.len()} documents`); }
    /// ```
    #[rhai_fn(name = "sets", return_raw, pure)]
    pub fn sets(p: &mut ProjectRef) -> Fallible<Array> {
        let root = p.project.borrow().root().to_path_buf();
        let strings = |v: Vec<String>| -> Dynamic {
            Dynamic::from(v.into_iter().map(Dynamic::from).collect::<Array>())
        };
        Ok(crate::project::sets::load(&root)
            .map_err(fail)?
            .into_iter()
            .map(|s| {
                let mut m = Map::new();
                m.insert("name".into(), s.name.into());
                m.insert("description".into(), s.description.into());
                m.insert("codes".into(), strings(s.codes));
                m.insert("documents".into(), strings(s.documents));
                Dynamic::from(m)
            })
            .collect())
    }

    /// When the segment's turn began ("" if the transcript gives no time), as captions and
    /// transcription services write it: `00:01:02.500`.
    ///
    /// ```rhai
    /// for s in p.segments("context.clp-continuity").filter(|s| s.timestamp != "") {
    ///     print(`${s.document} ${s.timestamp}: ${s.text}`);
    /// }
    /// ```
    #[rhai_fn(get = "timestamp", pure)]
    pub fn seg_timestamp(s: &mut Segment) -> String {
        s.timestamp.clone().unwrap_or_default()
    }
}

pub(super) fn register(engine: &mut Engine) {
    engine.register_global_module(exported_module!(exchange_api).into());
}
