//! Rust notebooks (evcxr): the README's example cells, run as evcxr runs them. Each cell is a
//! function of its own; what one cell makes is moved into the next, and the project handle
//! is dropped last. The results must match the Rhai API's, and every value shows itself as
//! text beside HTML or SVG.

use std::path::{Path, PathBuf};

use qualkit::prelude::*;
use qualkit::script::{Limits, Session};

use crate::common::copy_dir;

/// A copy of the sample laid out as the README's cells expect: `data/deep-end` below the
/// folder the notebook runs in.
fn notebook_folder(tmp: &Path) -> PathBuf {
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("data/deep-end"),
        &tmp.join("data/deep-end"),
    );
    tmp.to_path_buf()
}

/// The MIME types of evcxr's content blocks in what a value printed, with each content.
fn blocks(output: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = output;
    while let Some(start) = rest.find("EVCXR_BEGIN_CONTENT ") {
        let after = &rest[start + "EVCXR_BEGIN_CONTENT ".len()..];
        let (mime, body) = after.split_once('\n').expect("a MIME type line");
        let end = body
            .find("\nEVCXR_END_CONTENT")
            .expect("every block is closed");
        found.push((mime.to_string(), body[..end].to_string()));
        rest = &body[end + "\nEVCXR_END_CONTENT".len()..];
    }
    found
}

fn mime_types(output: &str) -> Vec<String> {
    blocks(output).into_iter().map(|(mime, _)| mime).collect()
}

fn plain_text(output: &str) -> String {
    blocks(output)
        .into_iter()
        .find(|(mime, _)| mime == "text/plain")
        .map(|(_, text)| text)
        .expect("a text/plain block")
}

/// The whole table as text, every row and column.
fn whole(table: &Table) -> String {
    table.render_text(1000, usize::MAX)
}

/// What the Rhai API gives for the same question (`expression`, with the project in `p`),
/// as a whole table.
fn rhai_table(project: &Path, expression: &str) -> String {
    let mut session = Session::new(project, Limits::default());
    let code = format!(
        "let p = project({:?});\n{expression}",
        project.display().to_string()
    );
    let value = session.eval(&code, "<test>").unwrap();
    whole(&value.try_cast::<Table>().expect("a table"))
}

// ---- the README's cells (kept word for word: see `the_readme_shows_the_cells_tested`) ----

fn cell_open(notebook: &Path) -> Result<ProjectHandle, Error> {
    let p = open(notebook.join("data/deep-end"))?;
    Ok(p)
}

fn cell_matrix(p: &ProjectHandle) -> Result<Table, Error> {
    let constructs = p.matrix("case", "npt")?;
    Ok(constructs)
}

fn cell_heatmap(constructs: &Table) -> Result<Chart, Error> {
    constructs.heatmap()
}

fn cell_framework(p: &ProjectHandle) -> Result<FrameworkMatrix, Error> {
    p.framework_grouped("npt", "integration")
}

fn cell_compare(p: &ProjectHandle) -> Result<Chart, Error> {
    p.compare_themes("integration", "npt")?.bars()
}

fn cell_kwic(p: &ProjectHandle) -> Result<Table, Error> {
    p.kwic("waiting list")
}

fn cell_summarise(p: &ProjectHandle) -> Result<(), Error> {
    let summary = "Shared view of the CLP role by P2.";
    p.summarise("Cyan", "npt.coherence", summary)?;
    Ok(())
}

fn cell_timeline(p: &ProjectHandle) -> Result<Chart, Error> {
    let densities =
        p.matrix_across_measure("integration", "phase", "npt.collective-action", "density")?;
    densities.timeline()
}

#[test]
fn notebook_cells_keep_a_project_and_its_results_across_cells() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = notebook_folder(tmp.path());
    let sample = dir.join("data/deep-end");

    // Cell 1 opens; the handle is all that is kept.
    let p = cell_open(&dir).unwrap();
    assert_eq!(p.name(), qualkit::Project::open(&sample).unwrap().name());
    assert_eq!(p.root(), std::fs::canonicalize(&sample).unwrap());
    let shown = p.evcxr_output();
    assert_eq!(mime_types(&shown), ["text/plain"]);
    assert!(plain_text(&shown).contains(p.name()), "{shown}");

    let constructs = cell_matrix(&p).unwrap();
    assert_eq!(
        whole(&constructs),
        rhai_table(&sample, r#"p.matrix("case", "npt")"#),
        "the prelude's matrix is the Rhai API's"
    );
    assert_eq!(
        constructs.column_names(),
        [
            "case",
            "Coherence",
            "Cognitive participation",
            "Collective action",
            "Reflexive monitoring"
        ]
    );
    assert_eq!(constructs.rows(), 7, "one row per practice");
    let shown = constructs.evcxr_output();
    assert_eq!(mime_types(&shown), ["text/plain", "text/html"]);
    assert!(plain_text(&shown).contains("Magenta"), "{shown}");

    // A value made in one cell is used in a later one.
    let chart = cell_heatmap(&constructs).unwrap();
    let shown = chart.evcxr_output();
    assert_eq!(mime_types(&shown), ["text/plain", "image/svg+xml"]);
    assert!(blocks(&shown)[1].1.starts_with("<svg"), "{shown}");

    let framework = cell_framework(&p).unwrap();
    let magenta = framework.cell("Magenta", "npt.coherence").unwrap();
    assert!(
        magenta
            .summary
            .as_ref()
            .unwrap()
            .text
            .starts_with("Whole-team meeting at the start (P1)"),
        "the summary from summaries.csv"
    );
    assert!(!magenta.references.is_empty(), "quotes under the summary");
    let shown = framework.evcxr_output();
    assert_eq!(mime_types(&shown), ["text/plain", "text/html"]);

    let bars = cell_compare(&p).unwrap();
    assert!(bars.svg().contains("FIP") && bars.svg().contains("PIP"));

    let kwic = cell_kwic(&p).unwrap();
    assert!(kwic.rows() > 0, "the sample speaks of waiting lists");
    assert_eq!(
        whole(&kwic),
        rhai_table(&sample, r#"p.kwic("waiting list")"#)
    );

    // A write goes through the record, and the next cell sees it.
    cell_summarise(&p).unwrap();
    let summaries = std::fs::read_to_string(sample.join("summaries.csv")).unwrap();
    assert!(summaries.contains("Shared view of the CLP role by P2."));
    let log = std::fs::read_to_string(sample.join("log.jsonl")).unwrap();
    let last = log.lines().last().unwrap();
    assert!(
        last.contains(&format!("\"{}\"", p.coder())) && last.contains("Cyan"),
        "the summary is logged under its coder: {last}"
    );
    let mut as_rb = p.clone();
    as_rb.set_coder("rb");
    as_rb
        .summarise(
            "Cyan",
            "npt.coherence",
            "Shared view of the CLP role by P2 (rb).",
        )
        .unwrap();
    let log = std::fs::read_to_string(sample.join("log.jsonl")).unwrap();
    assert!(log.lines().last().unwrap().contains("\"rb\""));
    as_rb
        .summarise(
            "Cyan",
            "npt.coherence",
            "Shared view of the CLP role by P2.",
        )
        .unwrap();
    let framework = p.framework("npt").unwrap();
    let cyan = framework.cell("Cyan", "npt.coherence").unwrap();
    assert_eq!(
        cyan.summary.as_ref().unwrap().text,
        "Shared view of the CLP role by P2."
    );

    let timeline = cell_timeline(&p).unwrap();
    assert!(timeline.svg().starts_with("<svg"));

    // Results outlive the handle; the handle goes last.
    drop(p);
    assert!(constructs.evcxr_output().contains("Magenta"));
    assert!(chart.svg().starts_with("<svg"));
    assert!(framework.cell("Magenta", "npt.coherence").is_some());
}

#[test]
fn a_result_at_the_end_of_a_cell_shows_its_value_or_its_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = notebook_folder(tmp.path());
    let p = open(dir.join("data/deep-end")).unwrap();

    let shown = p.matrix("case", "npt").evcxr_output();
    assert_eq!(mime_types(&shown), ["text/plain", "text/html"]);
    assert!(plain_text(&shown).contains("Coherence"), "{shown}");

    let shown = p.matrix("case", "npt.no-such-code").evcxr_output();
    assert_eq!(mime_types(&shown), ["text/plain"]);
    let text = plain_text(&shown);
    assert!(
        text.starts_with("error: ") && text.contains("npt.no-such-code"),
        "{text}"
    );
    assert!(!text.contains("Err("), "not the Debug form: {text}");

    let shown = p.framework("npt").evcxr_output();
    assert_eq!(mime_types(&shown), ["text/plain", "text/html"]);
    let shown = p
        .matrix("case", "npt")
        .and_then(|t| t.heatmap())
        .evcxr_output();
    assert_eq!(mime_types(&shown), ["text/plain", "image/svg+xml"]);
}

#[test]
fn the_prelude_reads_as_the_rhai_api() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = notebook_folder(tmp.path());
    let sample = dir.join("data/deep-end");
    let p = open(&sample).unwrap();
    let pairs: Vec<(Table, &str)> = vec![
        (
            p.matrix_measure(
                "case",
                ["npt.coherence", "npt.collective-action"],
                "density",
            )
            .unwrap(),
            r#"p.matrix("case", ["npt.coherence", "npt.collective-action"], "density")"#,
        ),
        (
            p.matrix_across("case", "phase", "theme.shared-learning")
                .unwrap(),
            r#"p.matrix("case", "phase", "theme.shared-learning")"#,
        ),
        (
            p.compare("integration").unwrap(),
            r#"p.compare("integration")"#,
        ),
        (
            p.crosstab("integration", "training_practice").unwrap(),
            r#"p.crosstab("integration", "training_practice")"#,
        ),
        (
            p.coded_by("rb").matrix("phase", "npt").unwrap(),
            r#"p.coded_by("rb").matrix("phase", "npt")"#,
        ),
        (
            p.find(coded("theme.shared-learning").same_turn(coded("context.leadership")))
                .unwrap(),
            r#"p.find(coded("theme.shared-learning").same_turn("context.leadership"))"#,
        ),
        (
            p.agreement_on("ak", "rb", "npt").unwrap(),
            r#"p.agreement("ak", "rb", "npt")"#,
        ),
        (
            p.agreement_on("ak", "rb", ["npt.coherence", "npt.collective-action"])
                .unwrap(),
            r#"p.agreement("ak", "rb", ["npt.coherence", "npt.collective-action"])"#,
        ),
    ];
    for (rust, rhai) in pairs {
        assert_eq!(whole(&rust), rhai_table(&sample, rhai), "{rhai}");
    }

    let err = p.matrix("nowhere", "npt").unwrap_err().to_string();
    assert!(
        err.contains("nowhere") && err.contains("integration"),
        "{err}"
    );
    let err = p
        .matrix_measure("case", "npt", "loudness")
        .unwrap_err()
        .to_string();
    assert!(err.contains("loudness"), "{err}");
}

#[test]
fn the_readme_shows_the_cells_tested() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let test = std::fs::read_to_string(root.join("tests/core/notebook.rs")).unwrap();
    let section = readme
        .split("### Rust notebooks (evcxr)")
        .nth(1)
        .expect("the README has a Rust notebooks section")
        .split("\n## ")
        .next()
        .unwrap();
    let cells: Vec<&str> = section
        .split("```rust\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap())
        .collect();
    assert!(cells.len() >= 5, "{} cells", cells.len());
    let test_lines: Vec<&str> = test.lines().map(str::trim).collect();
    for cell in cells {
        // Each line of the cell is in the test, in the same order; a cell's last expression
        // is what the test function returns (inside `Ok(...)` where it ends in `?`), and the
        // notebook's folder is the test's temporary one.
        let mut at = 0;
        for line in cell.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let line = &line.replace(
                r#"open("data/deep-end")"#,
                r#"open(notebook.join("data/deep-end"))"#,
            );
            if line.starts_with("use qualkit::prelude") || line.starts_with("drop(p)") {
                assert!(test.contains(line), "{line}");
                continue;
            }
            let found = test_lines[at..]
                .iter()
                .position(|t| t.contains(line.trim_end_matches(';')))
                .unwrap_or_else(|| panic!("README cell line not in the test: {line}"));
            at += found + 1;
        }
    }
}
