//! The document view (`p.show` in notebooks, and the markup the annotation widget codes on):
//! what a researcher reads off it.

use qualkit::coding::Span;
use qualkit::project::MemoTarget;
use qualkit::render::document_view::{DocumentView, ViewFilter};

use crate::common::{Fixture, qualkit, transcript};

fn fixture() -> Fixture {
    let f = Fixture::new();
    f.write(
        "clinic.txt",
        transcript(
            "Magenta",
            &[("Interviewer", "researcher"), ("Ann", "GP")],
            "Interviewer: How did it start?\nAnn: The link worker <b>came</b> in March.\nWe talked every week.\n\nInterviewer: And now?\nAnn: We still talk.\n",
        ),
    );
    f
}

fn quote_span(text: &str) -> Span {
    Span::Quote {
        text: text.into(),
        occurrence: None,
    }
}

#[test]
fn the_html_view_draws_each_coding_as_a_stripe_with_who_and_what() {
    let f = fixture();
    let mut p = f.open();
    let first = p
        .code(
            "ak",
            "clinic",
            "coh.comm",
            &quote_span("The link worker <b>came</b> in March.\nWe talked every week."),
        )
        .unwrap();
    let second = p
        .code("bo", "clinic", "learn", &quote_span("We still talk."))
        .unwrap();
    p.memo(
        "ak",
        &MemoTarget::Coding(first.id.clone()),
        "first month & more",
    )
    .unwrap();

    let view = DocumentView::build(&p, "clinic", &ViewFilter::default()).unwrap();
    let html = view.html();
    // The first coding spans two lines: a stripe on each, one on the last line for the other.
    assert_eq!(
        html.matches(&format!("data-coding=\"{}\"", first.id))
            .count(),
        2
    );
    assert_eq!(
        html.matches(&format!("data-coding=\"{}\"", second.id))
            .count(),
        1
    );
    // Hover text: code path, coder, id and memo (escaped).
    assert!(html.contains(&format!(
        "title=\"Coherence/Communal specification · ak · {}\nmemo: first month &amp; more\"",
        first.id
    )));
    // The codebook's colour (inherited from the parent code) marks the stripe and the legend.
    assert!(html.contains("background:#4c72b0"));
    assert!(html.contains("Coherence/Communal specification (1)"));
    assert!(html.contains("Shared learning (1)"));
    // The text is escaped, speaker labels stand out, and every line says where it starts.
    assert!(html.contains("&lt;b&gt;came&lt;/b&gt;"));
    assert!(!html.contains("<b>came</b>"));
    assert!(html.contains("<b class=\"qk-label\" title=\"Ann\">Ann: </b>The link worker"));
    let doc = p.document("clinic").unwrap();
    for line in &view.lines {
        assert_eq!(
            doc.slice(line.start, line.end),
            Some(line.text.as_str()),
            "line {} starts at its offset",
            line.number
        );
        assert!(html.contains(&format!(
            "data-start=\"{}\" data-end=\"{}\"",
            line.start, line.end
        )));
    }
    // No script: it reads the same in a saved notebook.
    assert!(!html.contains("<script"));

    // Filters by coder and by code (the code and those below it).
    let only_bo = DocumentView::build(
        &p,
        "clinic",
        &ViewFilter {
            coder: Some("bo".into()),
            code: None,
        },
    )
    .unwrap();
    assert_eq!(only_bo.codings.len(), 1);
    assert!(only_bo.html().contains("(only coder bo)"));
    let only_coh = DocumentView::build(
        &p,
        "clinic",
        &ViewFilter {
            code: Some("coh".into()),
            coder: None,
        },
    )
    .unwrap();
    assert_eq!(only_coh.codings.len(), 1);
    assert_eq!(only_coh.codings[0].id, first.id);
}

#[test]
fn scripts_show_the_view_and_a_widget_outside_notebooks_says_why() {
    let f = fixture();
    let root = f.root().to_str().unwrap();
    let script = f.root().join("view.rhai");
    std::fs::write(
        &script,
        format!(
            r#"let p = project("{root}");
p.code("clinic", "learn", "We still talk.");
p.coder = "other";
p.code("clinic", "coh", "How did it start?");
print(`tester's segments: ${{p.coded_by("tester").segments().len()}}, ${{p.coded_by("tester").segments("coh").len()}}`);
print(p.show("clinic", #{{coder: "tester"}}));
print(p.annotate("clinic"));
try {{ p.show("clinic", #{{coders: "x"}}); }} catch (e) {{ print(`refused: ${{e}}`); }}
try {{ p.show("nowhere"); }} catch (e) {{ print(`refused: ${{e}}`); }}
"#
        ),
    )
    .unwrap();
    let (ok, out, err) = qualkit(&["run", script.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("1 codings shown"), "{out}");
    // `coded_by` narrows segments too, as it does every analysis.
    assert!(out.contains("tester's segments: 1, 0"), "{out}");
    assert!(out.contains("learn (tester)"), "{out}");
    assert!(
        out.contains("Coding by selecting text needs a notebook front end with Jupyter widgets"),
        "{out}"
    );
    assert!(out.contains("refused: unknown option `coders`"), "{out}");
    assert!(out.contains("refused:") && out.contains("nowhere"), "{out}");
}
