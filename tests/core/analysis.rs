//! Queries, matrices, Framework charting and group comparison, against counts worked out by
//! hand on a two-case fixture.
//!
//! Magenta (FIP), document `m`, phase P2, 10 words (speaker labels are not words):
//!   Ann (GP):  one two three four five six.      coh.diff "one two three", coh.comm "three four five"
//!   Bea (CLP): seven eight nine ten.             learn "seven eight" (ak), "seven eight nine" (rb),
//!                                                ctx.lead "nine ten"
//! Cobalt (PIP), document `c` (first in file order), phase P3, 4 words:
//!   Cat (PM):  alpha beta gamma delta.           learn "alpha beta", coh.diff "gamma delta"

use qualkit::analysis::table::{CellValue, Table};
use qualkit::analysis::{
    Analysis, Corpus, Dimension, MatrixColumns, Measure, Query, WordOptions, keyword_in_context,
    word_frequencies,
};
use qualkit::coding::Span;
use qualkit::coding::autocode::Search;
use qualkit::script::{Limits, Session};

use crate::common::{Fixture, transcript};

fn fixture() -> Fixture {
    let f = Fixture::new();
    f.write(
        "m.txt",
        transcript(
            "Magenta",
            &[("Ann", "GP"), ("Bea", "CLP")],
            "Ann: one two three four five six.\nBea: seven eight nine ten.\n",
        ),
    );
    f.write(
        "c.txt",
        "---\ncase: Cobalt\nmethod: interview\nphase: P3\nparticipants:\n  - speaker: Cat\n    role: PM\n---\nCat: alpha beta gamma delta.\n",
    );
    let mut p = f.open();
    let quote = |text: &str| Span::Quote {
        text: text.into(),
        occurrence: None,
    };
    for (coder, doc, code, text) in [
        ("ak", "m", "coh.diff", "one two three"),
        ("ak", "m", "coh.comm", "three four five"),
        ("ak", "m", "learn", "seven eight"),
        ("rb", "m", "learn", "seven eight nine"),
        ("ak", "m", "ctx.lead", "nine ten"),
        ("ak", "c", "learn", "alpha beta"),
        ("ak", "c", "coh.diff", "gamma delta"),
    ] {
        p.code(coder, doc, code, &quote(text)).unwrap();
    }
    f
}

fn column(t: &Table, name: &str) -> Vec<CellValue> {
    t.values(name).unwrap()
}

fn ints(values: &[i64]) -> Vec<CellValue> {
    values.iter().map(|&i| CellValue::Integer(i)).collect()
}

fn texts(values: &[&str]) -> Vec<CellValue> {
    values
        .iter()
        .map(|s| CellValue::Text(s.to_string()))
        .collect()
}

fn number(v: &CellValue) -> f64 {
    match v {
        CellValue::Number(x) => *x,
        other => panic!("not a number: {other:?}"),
    }
}

fn codes(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn matrix_coding_counts_passages_words_cases_coverage_and_density() {
    let f = fixture();
    let p = f.open();
    let a = Analysis::new(&p, None).unwrap();
    let columns = MatrixColumns::Codes(codes(&["coh", "learn", "ctx.lead"]));
    let segments = a
        .matrix(&Dimension::Case, &columns, Measure::Segments)
        .unwrap();
    assert_eq!(column(&segments, "case"), texts(&["Magenta", "Cobalt"]));
    // coh gathers both sub-codes; their overlapping codings make one passage.
    assert_eq!(column(&segments, "Coherence"), ints(&[1, 1]));
    assert_eq!(column(&segments, "Shared learning"), ints(&[1, 1]));
    assert_eq!(column(&segments, "Leadership"), ints(&[1, 0]));

    let words = a
        .matrix(&Dimension::Case, &columns, Measure::Words)
        .unwrap();
    assert_eq!(column(&words, "Coherence"), ints(&[5, 2]));
    // Two coders' overlapping codings of learn merge into "seven eight nine".
    assert_eq!(column(&words, "Shared learning"), ints(&[3, 2]));

    let coverage = a
        .matrix(&Dimension::Case, &columns, Measure::Coverage)
        .unwrap();
    let c = column(&coverage, "Coherence");
    assert!((number(&c[0]) - 50.0).abs() < 1e-9, "{c:?}");
    assert!((number(&c[1]) - 50.0).abs() < 1e-9, "{c:?}");

    let density = a
        .matrix(&Dimension::Case, &columns, Measure::Density)
        .unwrap();
    let d = column(&density, "Shared learning");
    assert!((number(&d[0]) - 100.0).abs() < 1e-9, "{d:?}");
    assert!((number(&d[1]) - 250.0).abs() < 1e-9, "{d:?}");

    let integration = Dimension::parse(&Corpus::of(&p), "integration").unwrap();
    let cases = a.matrix(&integration, &columns, Measure::Cases).unwrap();
    assert_eq!(column(&cases, "integration"), texts(&["FIP", "PIP"]));
    assert_eq!(column(&cases, "Leadership"), ints(&[1, 0]));

    // Rows by role: a passage counts for the speaker of the turn it starts in.
    let roles = a
        .matrix(
            &Dimension::Role,
            &MatrixColumns::Codes(codes(&["learn"])),
            Measure::Segments,
        )
        .unwrap()
        .sort(&["role".to_string()], false)
        .unwrap();
    assert_eq!(column(&roles, "role"), texts(&["CLP", "GP", "PM"]));
    assert_eq!(column(&roles, "Shared learning"), ints(&[1, 0, 1]));

    // One code across two dimensions.
    let phases = a
        .matrix(
            &Dimension::Case,
            &MatrixColumns::Dimension(Dimension::Phase, "learn".into()),
            Measure::Segments,
        )
        .unwrap();
    assert_eq!(column(&phases, "P2"), ints(&[1, 0]));
    assert_eq!(column(&phases, "P3"), ints(&[0, 1]));

    // Only one coder's view: rb never coded Cobalt.
    let rb = Analysis::new(&p, Some("rb")).unwrap();
    let learn = rb
        .matrix(
            &Dimension::Case,
            &MatrixColumns::Codes(codes(&["learn"])),
            Measure::Segments,
        )
        .unwrap();
    assert_eq!(column(&learn, "Shared learning"), ints(&[1, 0]));
}

#[test]
fn coding_queries_combine_codes_by_text() {
    let f = fixture();
    let p = f.open();
    let a = Analysis::new(&p, None).unwrap();
    let text = |q: Query| -> Vec<String> {
        a.find(&q)
            .unwrap()
            .iter()
            .map(|passage| a.text(passage).to_string())
            .collect()
    };
    let learn = || Query::code("learn");
    let lead = || Query::code("ctx.lead");
    assert_eq!(text(learn().and(lead())), ["nine"]);
    assert_eq!(
        text(learn().or(lead())),
        ["alpha beta", "seven eight nine ten"]
    );
    assert_eq!(text(learn().except(lead())), ["alpha beta", "seven eight "]);
    assert_eq!(text(learn().overlapping(lead())), ["seven eight nine"]);
    // "six" and "Bea" lie between coherence and learning in Magenta; nothing in Cobalt.
    assert_eq!(text(Query::code("coh").near(learn(), 0)), ["gamma delta"]);
    assert_eq!(
        text(Query::code("coh").near(learn(), 2)),
        ["gamma delta", "one two three four five"]
    );
    assert_eq!(text(Query::code("coh").same_turn(learn())), ["gamma delta"]);

    let table = a.passages_table(&a.find(&learn()).unwrap(), 6).unwrap();
    assert_eq!(column(&table, "speaker"), texts(&["Cat", "Bea"]));
    assert_eq!(column(&table, "coders"), ints(&[1, 2]));
    assert_eq!(column(&table, "after"), texts(&["gamma", "ten."]));
}

#[test]
fn cooccurrence_and_crosstabs() {
    let f = fixture();
    let p = f.open();
    let a = Analysis::new(&p, None).unwrap();
    let t = a
        .cooccurrence(&codes(&["coh", "learn", "ctx.lead"]))
        .unwrap();
    assert_eq!(column(&t, "Coherence"), ints(&[2, 0, 0]));
    assert_eq!(column(&t, "Shared learning"), ints(&[0, 2, 1]));
    assert_eq!(column(&t, "Leadership"), ints(&[0, 1, 1]));

    let corpus = Corpus::of(&p);
    let integration = Dimension::parse(&corpus, "integration").unwrap();
    let training = Dimension::parse(&corpus, "training").unwrap();
    let cases = a.crosstab(&integration, &training).unwrap();
    assert_eq!(cases.title(), Some("cases by integration and training"));
    assert_eq!(column(&cases, "true"), ints(&[1, 0]));
    assert_eq!(column(&cases, "false"), ints(&[0, 1]));
    let documents = a.crosstab(&Dimension::Phase, &Dimension::Case).unwrap();
    assert_eq!(column(&documents, "phase"), texts(&["P2", "P3"]));
    assert_eq!(column(&documents, "Magenta"), ints(&[1, 0]));
    assert_eq!(column(&documents, "total"), ints(&[1, 1]));

    let err = Dimension::parse(&corpus, "colour").unwrap_err().to_string();
    assert!(
        err.contains("`colour`") && err.contains("integration"),
        "{err}"
    );
}

#[test]
fn keyword_in_context_and_word_frequencies() {
    let f = fixture();
    let p = f.open();
    let corpus = Corpus::of(&p);
    let search = Search::Word {
        text: "EIGHT".into(),
        case_sensitive: false,
    };
    let kwic = keyword_in_context(&corpus, &search, 10).unwrap();
    assert_eq!(column(&kwic, "match"), texts(&["eight"]));
    // Context stops at the start of Bea's turn: her label is not part of it.
    assert_eq!(column(&kwic, "left"), texts(&["seven"]));
    assert_eq!(column(&kwic, "right"), texts(&["nine ten."]));
    assert_eq!(column(&kwic, "role"), texts(&["CLP"]));
    // Code points, not bytes: the match starts after "Ann: one ... six.\nBea: seven ".
    let start = "Ann: one two three four five six.\nBea: seven "
        .chars()
        .count() as i64;
    assert_eq!(column(&kwic, "start"), ints(&[start]));

    let options = WordOptions {
        by: Some(Dimension::parse(&corpus, "integration").unwrap()),
        ..WordOptions::default()
    };
    let words = word_frequencies(&corpus, &options).unwrap();
    let fip: Vec<_> = (0..words.rows())
        .filter(|&i| words.cell(i, "integration").unwrap() == CellValue::Text("FIP".into()))
        .collect();
    // Ten words spoken in Magenta; "one" is a stopword; speaker labels are not counted.
    assert_eq!(fip.len(), 9);
    assert!(
        column(&words, "word")
            .iter()
            .all(|w| *w != CellValue::Text("ann".into()))
    );
    assert_eq!(
        number(&words.cell(fip[0], "per_1000_words").unwrap()),
        100.0
    );
}

#[test]
fn framework_cells_trace_to_quotes_and_summaries_survive_a_fresh_store() {
    let f = fixture();
    let mut p = f.open();
    p.set_summary("ak", "Magenta", "coh", "Staff share a view of the role.")
        .unwrap();
    let err = p
        .set_summary("ak", "Teal", "coh", "x")
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown case `Teal`"), "{err}");
    let a = Analysis::new(&p, None).unwrap();
    let integration = Dimension::parse(&Corpus::of(&p), "integration").unwrap();
    let m = a
        .framework(
            &codes(&["coh", "learn"]),
            Some(&integration),
            &p.summaries().unwrap(),
        )
        .unwrap();
    let cell = m.cell("Magenta", "coh").unwrap();
    assert_eq!(
        cell.summary.as_ref().unwrap().text,
        "Staff share a view of the role."
    );
    assert_eq!(cell.references.len(), 1);
    let r = &cell.references[0];
    assert_eq!((&*r.document, r.speaker.as_deref()), ("m", Some("Ann")));
    assert_eq!(r.text, "one two three four five");
    assert_eq!(
        p.document("m").unwrap().slice(r.start, r.end).unwrap(),
        &*r.text
    );
    assert!(m.cell("Cobalt", "coh").unwrap().summary.is_none());
    let text = m.to_string();
    assert!(
        text.contains("Staff share a view") && text.contains("(not yet summarised)"),
        "{text}"
    );
    let html = m.render_html();
    assert!(html.contains("“one two three four five”"), "{html}");
    let table = m.to_table().unwrap();
    assert_eq!(table.rows(), 4);

    // summaries.csv is written beside the codebook and rebuilds a fresh store.
    let csv = std::fs::read_to_string(f.root().join("summaries.csv")).unwrap();
    assert!(
        csv.starts_with("case,theme,summary,author,updated\nMagenta,coh,"),
        "{csv}"
    );
    drop(p);
    std::fs::remove_dir_all(f.root().join(".qualkit")).unwrap();
    let p = f.open();
    assert_eq!(
        p.summaries().unwrap()[0].text,
        "Staff share a view of the role."
    );
}

#[test]
fn group_comparison_counts_cases_density_and_picks_agreed_exemplars() {
    let f = fixture();
    let p = f.open();
    let a = Analysis::new(&p, None).unwrap();
    let integration = Dimension::parse(&Corpus::of(&p), "integration").unwrap();
    let t = a
        .compare(&integration, &codes(&["coh", "ctx.lead"]))
        .unwrap();
    assert_eq!(column(&t, "theme"), texts(&["Coherence", "Leadership"]));
    assert_eq!(column(&t, "FIP cases"), texts(&["1/1", "1/1"]));
    assert_eq!(column(&t, "PIP cases"), texts(&["1/1", "0/1"]));
    let density = column(&t, "PIP per 1,000 words");
    assert!((number(&density[0]) - 250.0).abs() < 1e-9);
    let exemplar = column(&t, "FIP exemplar");
    assert_eq!(
        exemplar[0],
        CellValue::Text("“one two three four five” (Magenta GP, P2)".into())
    );

    let e = a.exemplars(&integration, "learn", 1).unwrap();
    assert_eq!(
        column(&e, "text"),
        texts(&["seven eight nine", "alpha beta"])
    );
    assert!(a.compare(&Dimension::Role, &codes(&["coh"])).is_err());
}

fn script(f: &Fixture, code: &str) -> Result<String, String> {
    let mut s = Session::new(f.root(), Limits::default());
    let code = format!(
        "let p = project({:?});\n{code}",
        f.root().display().to_string()
    );
    s.eval(&code, "test.rhai")
        .map(|v| qualkit::script::render_text(&v))
        .map_err(|e| e.to_string())
}

#[test]
fn scripts_filter_sort_group_join_and_save_tables() {
    let f = fixture();
    let out = f.root().join("out");
    let code = format!(
        r#"
        let t = p.find("learn", 5);
        let clp = t.filter(|r| r.role == "CLP");
        if clp.rows != 1 {{ throw "filter"; }}
        let by_case = p.find(coded("coh") | coded("learn")).group_by(["case"], #{{words: "sum", document: "count"}});
        if by_case.column("words") != [4, 8] {{ throw `group_by ${{by_case.column("words")}}`; }}
        let sizes = table([#{{"case": "Magenta", size: 5130}}, #{{"case": "Cobalt", size: 4382}}]);
        let joined = by_case.join(sizes, ["case"], "left").sort("size", true);
        if joined.row(0)["case"] != "Magenta" {{ throw "join"; }}
        joined.to_csv({csv:?});
        joined.to_parquet({parquet:?});
        let back = read_parquet({parquet:?});
        if back.column("size") != [5130, 4382] {{ throw "parquet"; }}
        read_csv({csv:?})
        "#,
        csv = out.join("joined.csv").display().to_string(),
        parquet = out.join("joined.parquet").display().to_string(),
    );
    let shown = script(&f, &code).unwrap();
    assert!(shown.contains("2 rows × 4 columns"), "{shown}");
    let csv = std::fs::read_to_string(out.join("joined.csv")).unwrap();
    assert_eq!(csv.lines().next(), Some("case,document,words,size"));

    let err = script(&f, "p.find(\"learn\").sort(\"colour\")").unwrap_err();
    assert!(
        err.contains("no column `colour`") && err.contains("test.rhai:2:"),
        "{err}"
    );
    let err = script(&f, "p.matrix(\"case\", [\"learn\"], \"volume\")").unwrap_err();
    assert!(err.contains("`volume` is not a measure"), "{err}");
}

#[test]
fn classification_by_a_rule_becomes_a_case_attribute_with_reasons() {
    let f = fixture();
    let code = r#"
        let t = p.classify("leads", |c| if c.evidence["ctx.lead"] > 0 {
            #{value: "strong", reason: `leadership coded ${c.evidence["ctx.lead"]} times`}
        } else { "weak" });
        print(t);
        p.crosstab("integration", "leads")
    "#;
    let shown = script(&f, code).unwrap();
    assert!(shown.contains("cases by integration and leads"), "{shown}");
    let p = f.open();
    let magenta = p.cases.get("Magenta").unwrap();
    assert_eq!(magenta.attributes["leads"].to_string(), "strong");
    let stored = p.store().case_attributes().unwrap();
    assert_eq!(stored[1].reason, "leadership coded 1 times");
    assert!(
        p.store()
            .audit_log()
            .unwrap()
            .iter()
            .any(|e| e.action == "classify")
    );

    let err = script(&f, "p.classify(\"integration\", |c| \"x\")").unwrap_err();
    assert!(err.contains("column of cases.csv"), "{err}");
}

#[test]
fn tables_render_for_terminals_and_notebooks() {
    use qualkit::analysis::table::Values;
    let long = "a quote that goes on ".repeat(10);
    let rows = 50;
    let mut columns = vec![(
        "quote".to_string(),
        Values::Text((0..rows).map(|i| Some(format!("{i}: {long}"))).collect()),
    )];
    for c in 0..12 {
        columns.push((
            format!("measure {c}"),
            Values::Integer((0..rows).map(|i| Some(i * 1000 + c)).collect()),
        ));
    }
    let t = Table::new(columns).unwrap().with_title("Wide <table>");
    let text = t.render_text(80, 40);
    assert!(text.starts_with("Wide <table>\n"), "{text}");
    assert!(
        text.contains("50 rows × 13 columns (first 40 shown)"),
        "{text}"
    );
    assert!(text.contains("not shown for width: "), "{text}");
    assert!(
        !text.contains("49: a quote"),
        "row 49 is past the shown rows"
    );
    // The quote column stays and wraps within the width.
    assert!(text.contains("0: a quote"), "{text}");
    let drawn = text.lines().filter(|l| l.starts_with(['│', '┌', '└', '╞']));
    assert!(drawn.clone().count() > 40);
    assert!(drawn.into_iter().all(|l| l.chars().count() <= 80), "{text}");

    let html = t.render_html(40);
    assert!(
        html.contains("<caption>Wide &lt;table&gt;</caption>"),
        "{html}"
    );
    assert_eq!(html.matches("<tr>").count(), 41, "header and 40 rows");
    assert!(html.contains("50 rows × 13 columns (first 40 shown)"));
}

#[test]
fn values_render_for_evcxr_notebooks() {
    use qualkit::notebook::evcxr::evcxr_content;
    let f = fixture();
    let p = f.open();
    let a = Analysis::new(&p, None).unwrap();
    let t = a
        .matrix(
            &Dimension::Case,
            &MatrixColumns::Codes(codes(&["coh", "learn"])),
            Measure::Segments,
        )
        .unwrap();
    let shown = evcxr_content("text/html", &t.render_html(40));
    assert!(shown.starts_with("EVCXR_BEGIN_CONTENT text/html\n<div class=\"qualkit-table\">"));
    assert!(shown.ends_with("</div>\nEVCXR_END_CONTENT"));
    let chart = qualkit::render::chart::Chart::heatmap(&t).unwrap();
    assert!(chart.svg().starts_with("<svg") && chart.svg().ends_with("</svg>"));
    assert!(chart.svg().contains(">Magenta</text>"));
    // Every value of the matrix is written in its cell.
    assert_eq!(chart.svg().matches(">1</text></g>").count(), 4);
}

#[test]
fn a_store_without_summaries_takes_them_from_the_file() {
    let f = fixture();
    // The store exists already (the fixture coded into it); summaries.csv arrives later.
    std::fs::write(
        f.root().join("summaries.csv"),
        "case,theme,summary\nCobalt,learn,Learning sessions lapsed.\n",
    )
    .unwrap();
    let p = f.open();
    let summaries = p.summaries().unwrap();
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].text, "Learning sessions lapsed.");
    assert_eq!(summaries[0].theme, "learn");
    // Opening again does not import twice.
    drop(p);
    assert_eq!(f.open().summaries().unwrap().len(), 1);
}
