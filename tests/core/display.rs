//! What a user sees (issue 15): charts that can be read, help in every front end, projects
//! and segments as tables, KWIC context inside its turn, a REPL that keeps its history and
//! saves the session as a script.

use std::io::Write;
use std::process::{Command, Stdio};

use qualkit::analysis::table::{Table, Values};
use qualkit::render::chart::Chart;
use qualkit::script::{Limits, Session, render_html, render_text};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/deep-end");

fn session() -> Session {
    Session::new(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
        Limits::default(),
    )
}

/// The text of each column label of a heatmap: its lines (tspans) joined.
fn column_labels(svg: &str) -> Vec<String> {
    svg.split("rotate(")
        .skip(1)
        .map(|label| {
            let label = &label[..label.find("</text>").unwrap()];
            label
                .split("<tspan")
                .skip(1)
                .map(|t| t[t.find('>').unwrap() + 1..t.find("</tspan>").unwrap()].to_string())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[test]
fn a_heatmap_has_a_colour_scale_whole_labels_and_text_that_contrasts_with_its_cell() {
    let long = "Continuity of CLP support across the whole evaluation period";
    let table = Table::new(vec![
        (
            "case".to_string(),
            Values::Text(vec![Some("Magenta".into()), Some("Amber".into())]),
        ),
        (long.to_string(), Values::Integer(vec![Some(0), Some(10)])),
        (
            "Reflexive monitoring".to_string(),
            Values::Integer(vec![Some(2), Some(7)]),
        ),
    ])
    .unwrap()
    .with_title("Coded passages by case and contextual factor");
    let svg = Chart::heatmap(&table).unwrap().svg().to_string();
    // Every column label whole, never cut with an ellipsis.
    assert_eq!(column_labels(&svg), [long, "Reflexive monitoring"], "{svg}");
    assert!(!svg.contains('…'), "{svg}");
    // A colour scale from 0 to the largest value.
    assert!(svg.contains("class=\"scale\""), "{svg}");
    assert!(svg.contains("colour scale: 0 to 10"), "{svg}");
    assert!(
        svg.contains(">5</text>") && svg.contains(">0</text>"),
        "{svg}"
    );
    // The darkest cell (10) is labelled in white, the lightest (0) in near black.
    let cell = |row: &str, column: &str| {
        let start = svg.find(&format!("<title>{row}, {column}: ")).unwrap();
        svg[start..start + svg[start..].find("</g>").unwrap()].to_string()
    };
    assert!(
        cell("Amber", long).contains("fill=\"white\">10</text>"),
        "{svg}"
    );
    assert!(
        cell("Magenta", long).contains("fill=\"#1a1a1a\">0</text>"),
        "{svg}"
    );
    // The chart says what it draws.
    assert!(svg.contains("<title>Coded passages by case and contextual factor</title>"));
}

#[test]
fn matrix_charts_say_what_they_count_and_timelines_have_axis_ticks() {
    let mut s = session();
    let heatmap = s
        .eval(
            &format!("let p = project({SAMPLE:?}); p.matrix(\"case\", \"npt\").heatmap()"),
            "t",
        )
        .unwrap();
    let svg = heatmap.read_lock::<Chart>().unwrap().svg().to_string();
    assert!(
        svg.contains("<title>Coded passages by case and NPT code</title>"),
        "{svg}"
    );
    assert_eq!(
        column_labels(&svg),
        [
            "Coherence",
            "Cognitive participation",
            "Collective action",
            "Reflexive monitoring"
        ]
    );
    let timeline = s
        .eval(
            "p.matrix(\"case\", \"phase\", \"theme.shared-learning\").timeline()",
            "t",
        )
        .unwrap();
    let svg = timeline.read_lock::<Chart>().unwrap().svg().to_string();
    assert!(
        svg.contains("Coded passages of Shared learning by case and phase"),
        "{svg}"
    );
    // Round steps on the y axis (the largest count is 8), a tick under each phase.
    for value in ["0", "2", "4", "6", "8"] {
        assert!(
            svg.contains(&format!("text-anchor=\"end\">{value}</text>")),
            "{value}\n{svg}"
        );
    }
    for phase in ["P1", "P2", "P3", "P4"] {
        assert!(
            svg.contains(&format!("text-anchor=\"middle\">{phase}</text>")),
            "{svg}"
        );
    }
}

#[test]
fn html_table_headers_align_with_their_columns() {
    let table = Table::new(vec![
        ("word".to_string(), Values::Text(vec![Some("link".into())])),
        ("count".to_string(), Values::Integer(vec![Some(3)])),
    ])
    .unwrap();
    let html = table.render_html(10);
    assert!(
        html.contains(
            "<th style=\"text-align:left\">word</th><th style=\"text-align:right\">count</th>"
        ),
        "{html}"
    );
}

#[test]
fn kwic_context_stays_inside_the_speaker_turn() {
    let mut s = session();
    let value = s
        .eval(
            &format!("let p = project({SAMPLE:?}); p.kwic(\"practice\", 200)"),
            "t",
        )
        .unwrap();
    let table = value.read_lock::<Table>().unwrap().clone();
    let speakers = table.values("speaker").unwrap();
    let (left, right) = (
        table.values("left").unwrap(),
        table.values("right").unwrap(),
    );
    assert!(table.rows() > 50, "{}", table.rows());
    let labels: std::collections::BTreeSet<String> = speakers
        .iter()
        .map(|s| format!("{s}:"))
        .filter(|s| s != "(none):")
        .collect();
    for row in 0..table.rows() {
        for context in [left[row].to_string(), right[row].to_string()] {
            for label in &labels {
                assert!(
                    !context.contains(label.as_str()),
                    "row {row}: `{context}` shows the label `{label}`"
                );
            }
        }
    }
    // The interviewer's question, without the "Interviewer:" label or the answer before it.
    let value = s.eval("p.kwic(\"makes the link\", 60)", "t").unwrap();
    let table = value.read_lock::<Table>().unwrap().clone();
    assert_eq!(
        table.values("left").unwrap()[0].to_string(),
        "What do you think"
    );
    assert_eq!(
        table.values("right").unwrap()[0].to_string(),
        "with a practice work well?"
    );
}

#[test]
fn projects_and_segments_show_as_tables() {
    let mut s = session();
    let segment = s
        .eval(
            &format!("let p = project({SAMPLE:?}); p.segments(\"npt.coherence\")[0]"),
            "t",
        )
        .unwrap();
    let text = render_text(&segment);
    assert!(text.starts_with("1 segment\n"), "{text}");
    assert!(text.contains("│ case  ┆ document"), "{text}");
    assert!(text.contains("Dr Fergus Drummond"), "{text}");
    let segments = s.eval("p.segments(\"npt.coherence\")", "t").unwrap();
    let html = render_html(&segments).expect("segments have an HTML form");
    assert!(html.contains("<caption>102 segments</caption>"), "{html}");
    assert!(!render_text(&segments).contains("qualkit::"));
    let project = s.eval("p", "t").unwrap();
    let text = render_text(&project);
    for row in ["│ documents", "│ codings by ak", "Magenta, Ochre, Cyan"] {
        assert!(text.contains(row), "{row}\n{text}");
    }
    assert!(render_html(&project).unwrap().contains("<td"));
}

#[test]
fn help_prints_in_scripts_and_lists_functions_by_area() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("help.rhai");
    std::fs::write(&script, "help(\"kwic\");\nhelp();\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_qualkit"))
        .arg("run")
        .arg(&script)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("kwic(p: Project, text: String) -> Table\nKeyword in context"),
        "{stdout}"
    );
    // The example, indented as code, without Markdown fences.
    assert!(
        stdout.contains("\n    p.kwic(\"social prescribing\")"),
        "{stdout}"
    );
    assert!(!stdout.contains("```"), "{stdout}");
    for area in [
        "Project (help(\"project\"))",
        "Coding (help(\"coding\"))",
        "Queries (help(\"queries\"))",
        "Framework (help(\"framework\"))",
        "Agreement (help(\"agreement\"))",
        "Exchange (help(\"exchange\"))",
        "Teaching (help(\"teaching\"))",
        "Tables (help(\"tables\"))",
        "Charts (help(\"charts\"))",
        "Module npt:: (help(\"npt\"))",
    ] {
        assert!(stdout.contains(area), "{area}\n{stdout}");
    }
    let s = session();
    let coding = s.help("coding").unwrap();
    assert!(
        coding.contains("- `autocode_text`: Codes every match"),
        "{coding}"
    );
    assert!(s.help("heatmap").is_some() && s.help("no_such_thing").is_none());
    let charts = s.help("charts").unwrap();
    assert!(
        charts.contains("`heatmap`") && !charts.contains("`kwic`"),
        "{charts}"
    );
}

#[test]
fn help_as_markdown_fences_signatures_and_examples_for_notebooks() {
    let s = session();
    let markdown = s.help_markdown("kwic").unwrap();
    assert!(
        markdown.starts_with(
            "```rhai\nkwic(p: Project, text: String) -> Table\n```\n\nKeyword in context"
        ),
        "{markdown}"
    );
    assert!(
        markdown.contains("```rhai\np.kwic(\"social prescribing\")\n```"),
        "{markdown}"
    );
    let module = s.help_markdown("npt::explain").unwrap();
    assert!(
        module.starts_with("```rhai\nnpt::explain(name)\n```"),
        "{module}"
    );
    assert!(module.contains("Explains a construct"), "{module}");
    // A module function is found by its own name too, and the plain form has no fences.
    assert_eq!(s.help("explain"), s.help("npt::explain"));
    assert!(!s.help("npt::explain").unwrap().contains("```"));
    let html = s.help_html("kwic").unwrap();
    assert!(
        html.contains("<pre><code class=\"language-rhai\">p.kwic("),
        "{html}"
    );
}

#[test]
fn the_repl_keeps_its_history_and_saves_the_session_as_a_script() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_qualkit"))
        .current_dir(dir.path())
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            b"let x = 20;\nnot_a_function(x)\nfn twice(v) {\n  v * 2\n}\ntwice(x) + 2\n:save session.rhai\n:quit\n",
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("saved 3 inputs to session.rhai"),
        "{stdout}"
    );
    let history = std::fs::read_to_string(dir.path().join("state/qualkit/history")).unwrap();
    assert!(history.contains("let x = 20;") && history.contains("not_a_function(x)"));
    // The input that failed is left out; the one that showed a value shows it again.
    let script = std::fs::read_to_string(dir.path().join("session.rhai")).unwrap();
    assert!(!script.contains("not_a_function"), "{script}");
    let run = Command::new(env!("CARGO_BIN_EXE_qualkit"))
        .current_dir(dir.path())
        .args(["run", "session.rhai"])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), "42");
}
