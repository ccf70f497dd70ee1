//! NoMAD scoring against a hand calculation, and the npt teaching module.

use std::collections::BTreeMap;

use qualkit::nomad::{ITEMS, Survey};
use qualkit::script::{Limits, Session};
use qualkit::table::CellValue;

use crate::common::Fixture;

/// A survey file: each respondent's case, coherence answers (CO1-CO4) and CA2; every other
/// item answers `filler`.
fn survey(rows: &[(&str, [&str; 4], &str)], filler: &str) -> String {
    let mut header = vec![
        "respondent".to_string(),
        "case".to_string(),
        "role".to_string(),
    ];
    header.extend(ITEMS.iter().map(|i| i.column.to_string()));
    header.extend(["G1", "G2", "G3"].map(String::from));
    let mut out = header.join(",") + "\n";
    for (n, (case, coherence, ca2)) in rows.iter().enumerate() {
        let mut cells = vec![format!("r{n}"), case.to_string(), "GP".to_string()];
        for item in ITEMS {
            cells.push(match item.column {
                "CO1" => coherence[0].to_string(),
                "CO2" => coherence[1].to_string(),
                "CO3" => coherence[2].to_string(),
                "CO4" => coherence[3].to_string(),
                "CA2" => ca2.to_string(),
                _ => filler.to_string(),
            });
        }
        cells.extend(["7", "6", "not relevant"].map(String::from));
        out += &(cells.join(",") + "\n");
    }
    out
}

fn write(f: &Fixture, name: &str, text: &str) -> std::path::PathBuf {
    let path = f.root().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn cronbach_alpha_and_construct_scores_match_a_hand_calculation() {
    let f = Fixture::new();
    let rows = [
        ("Magenta", ["4", "4", "3", "5"], "strongly agree"),
        ("Magenta", ["2", "3", "2", "3"], "2"),
        ("Cobalt", ["5", "strongly agree", "agree", "5"], "disagree"),
        (
            "Cobalt",
            ["3", "disagree", "3", "3"],
            "not relevant to my role",
        ),
        ("Cobalt", ["4", "4", "4", "agree"], "4"),
    ];
    let path = write(&f, "nomad.csv", &survey(&rows, "3"));
    let s = Survey::read(&path, &BTreeMap::new()).unwrap();
    // By hand: item variances 1.3 + 1.3 + 0.7 + 1.0 = 4.3; totals 16, 10, 19, 11, 16 have
    // variance 14.3; alpha = 4/3 * (1 - 4.3/14.3) = 40/42.9.
    let (alpha, n) = s.cronbach_alpha("npt.coherence");
    assert_eq!(n, 5);
    assert!((alpha.unwrap() - 40.0 / 42.9).abs() < 1e-9, "{alpha:?}");

    let scores = s.scores().unwrap();
    let coherence = scores.values("coherence").unwrap();
    assert_eq!(coherence[0], CellValue::Number(4.0));
    assert_eq!(coherence[1], CellValue::Number(2.5));
    // CA2 is negatively worded: "strongly agree" scores 1, "disagree" 4; "not relevant" is
    // missing, and the other six collective action items carry the score.
    let ca2 = ITEMS.iter().position(|i| i.column == "CA2").unwrap();
    assert_eq!(s.responses[0].items[ca2], Some(1.0));
    assert_eq!(s.responses[2].items[ca2], Some(4.0));
    assert_eq!(s.responses[3].items[ca2], None);
    let collective = scores.values("collective_action").unwrap();
    assert_eq!(collective[0], CellValue::Number((6.0 * 3.0 + 1.0) / 7.0));
    assert_eq!(collective[3], CellValue::Number(3.0));
    // General items: "not relevant" is missing.
    assert_eq!(scores.values("G3").unwrap()[0], CellValue::Missing);

    // Respondents missing an item drop out of that construct's alpha only.
    let items = s.items().unwrap();
    let missing = items.values("missing").unwrap();
    assert_eq!(missing[ca2], CellValue::Integer(1));
    let reliability = s.reliability().unwrap();
    assert_eq!(
        reliability.values("respondents").unwrap(),
        [5, 5, 4, 5].map(CellValue::Integer)
    );
}

#[test]
fn construct_scores_need_half_the_items_and_bad_answers_name_their_place() {
    let f = Fixture::new();
    let rows = [(
        "Magenta",
        ["not relevant", "not relevant", "not relevant", "4"],
        "2",
    )];
    let path = write(&f, "few.csv", &survey(&rows, "3"));
    let s = Survey::read(&path, &BTreeMap::new()).unwrap();
    assert_eq!(
        s.scores().unwrap().values("coherence").unwrap()[0],
        CellValue::Missing
    );

    let rows = [("Magenta", ["4", "maybe", "3", "4"], "2")];
    let path = write(&f, "bad.csv", &survey(&rows, "3"));
    let err = Survey::read(&path, &BTreeMap::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bad.csv:2") && err.contains("`CO2`") && err.contains("`maybe`"),
        "{err}"
    );

    let path = write(&f, "short.csv", "respondent,case,CO1\nr1,Magenta,4\n");
    let err = Survey::read(&path, &BTreeMap::new())
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing column `CO2`"), "{err}");
}

#[test]
fn nomad_by_case_attribute_from_a_script() {
    let f = Fixture::new();
    let rows = [
        ("Magenta", ["5", "5", "5", "5"], "1"),
        ("Magenta", ["4", "4", "4", "4"], "1"),
        ("Cobalt", ["2", "2", "2", "2"], "5"),
    ];
    write(&f, "nomad.csv", &survey(&rows, "3"));
    let mut s = Session::new(f.root(), Limits::default());
    let code = format!(
        "let p = project({:?}); let n = p.nomad(\"nomad.csv\"); n.by(\"integration\")",
        f.root().display().to_string()
    );
    let value = s.eval(&code, "nomad.rhai").unwrap();
    let table = value.cast::<qualkit::table::Table>();
    assert_eq!(
        table.values("integration").unwrap(),
        [CellValue::Text("FIP".into()), CellValue::Text("PIP".into())]
    );
    assert_eq!(
        table.values("coherence").unwrap(),
        [CellValue::Number(4.5), CellValue::Number(2.0)]
    );
    assert_eq!(
        table.values("respondents").unwrap(),
        [CellValue::Integer(2), CellValue::Integer(1)]
    );
    let err = s
        .eval("n.by(\"colour\")", "nomad.rhai")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("neither a survey column nor a case attribute"),
        "{err}"
    );
}

fn fixture_with_transcripts() -> Fixture {
    let f = Fixture::new();
    f.write(
        "m.txt",
        crate::common::transcript(
            "Magenta",
            &[("Ann", "GP"), ("Bea", "CLP")],
            "Ann: one two three four five six.\nBea: seven eight nine ten.\n",
        ),
    );
    f
}

#[test]
fn exercises_compare_answers_with_the_reference_and_explain_differences() {
    let f = fixture_with_transcripts();
    let extracts = "id,document,quote,construct,reason\n\
        x1,m,one two,coh,About understanding.\n\
        x2,m,three four,coh,Still understanding.\n\
        x3,m,seven eight,learn,Learning together.\n\
        x4,m,nine ten,ctx.lead,Someone leads.\n\
        x5,m,five six,learn,Not answered by the student.\n";
    write(&f, "extracts.csv", extracts);
    let mut s = Session::new(f.root(), Limits::default());
    let code = format!(
        r#"let p = project({:?});
        let ex = p.exercise("extracts.csv");
        let answers = #{{x1: "coherence", x2: "Shared learning", x3: "learn", x4: "leadership"}};
        [ex.check(answers), ex.score(answers), ex.confusion(answers)]"#,
        f.root().display().to_string()
    );
    let out = s
        .eval(&code, "exercise.rhai")
        .unwrap()
        .cast::<rhai::Array>();
    let check = out[0].clone().cast::<qualkit::table::Table>();
    assert_eq!(
        check.values("result").unwrap(),
        ["agree", "differ", "agree", "agree", "not answered yet"]
            .map(|v| CellValue::Text(v.into()))
    );
    assert_eq!(
        check.values("reason").unwrap()[1],
        CellValue::Text("Still understanding.".into())
    );
    // By hand over the four answered: observed 3/4; expected 0.5*0.25 + 0.25*0.5 + 0.25*0.25
    // = 0.3125; kappa = (0.75 - 0.3125) / 0.6875 = 7/11.
    assert!(
        check.title().unwrap().contains("3 of 4 extracts (75%)"),
        "{:?}",
        check.title()
    );
    let score = out[1].clone().cast::<rhai::Map>();
    assert!((score["kappa"].as_float().unwrap() - 7.0 / 11.0).abs() < 1e-12);
    let confusion = out[2].clone().cast::<qualkit::table::Table>();
    assert_eq!(
        confusion.values("Shared learning").unwrap()[0],
        CellValue::Integer(1)
    );

    let err = s
        .eval("ex.check(#{x1: \"astrology\"})", "exercise.rhai")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`astrology` (for x1) is not one of the constructs"),
        "{err}"
    );
    write(
        &f,
        "broken.csv",
        "id,document,quote,construct,reason\nx1,m,eleven twelve,coh,r\n",
    );
    let err = s
        .eval("p.exercise(\"broken.csv\")", "exercise.rhai")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("broken.csv:2") && err.contains("quote not found"),
        "{err}"
    );
}

#[test]
fn the_npt_module_explains_constructs_with_the_projects_own_examples() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let f = fixture_with_transcripts();
    let printed = Rc::new(RefCell::new(Vec::<String>::new()));
    let sink = {
        let printed = printed.clone();
        Rc::new(move |o: qualkit::script::Output| {
            if let qualkit::script::Output::Stdout(t) = o {
                printed.borrow_mut().push(t)
            }
        })
    };
    let mut s = Session::with_output(f.root(), Limits::default(), sink);
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("study");
    let code = format!(
        "let p = new_project({:?}, \"Study\", npt::codebook());\n\
         p.code(\"m\", \"npt.coherence.differentiation\", \"one two three\");\n\
         npt::explain(\"coherence\");\n\
         [npt::coding_manual().contexts.len(), npt::coding_manual().outcomes.len(), p.codes().len()]",
        study.display().to_string()
    );
    std::fs::copy(f.root().join("transcripts/m.txt"), {
        std::fs::create_dir_all(study.join("transcripts")).unwrap();
        std::fs::write(study.join("cases.csv"), "case\nMagenta\n").unwrap();
        study.join("transcripts/m.txt")
    })
    .unwrap();
    let err = s
        .eval("npt::explain(\"coherence\")", "t")
        .unwrap_err()
        .to_string();
    assert!(err.contains("no project is open yet"), "{err}");
    let counts = s.eval(&code, "teach.rhai").unwrap().cast::<rhai::Array>();
    let counts: Vec<i64> = counts.into_iter().map(|v| v.as_int().unwrap()).collect();
    assert_eq!(counts, [4, 4, 21]);
    let text = printed.borrow().join("\n");
    assert!(
        text.starts_with("Coherence: The sense-making work"),
        "{text}"
    );
    assert!(
        text.contains("Sub-constructs: Differentiation, Communal specification"),
        "{text}"
    );
    assert!(text.contains("“one two three” (Magenta GP, P2)"), "{text}");
    let err = s
        .eval("npt::explain(\"astrology\")", "t")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no construct or sub-construct called \"astrology\""),
        "{err}"
    );
}

#[test]
fn construct_scores_correlate_with_the_general_items() {
    let f = Fixture::new();
    let mut text = String::from("case,");
    text += &ITEMS.iter().map(|i| i.column).collect::<Vec<_>>().join(",");
    text += ",G1,G2,G3\n";
    // Coherence 1..4 (every item the same), G1 rising with it, G2 falling, G3 flat.
    for (score, g1, g2) in [(1, 2, 8), (2, 4, 6), (3, 6, 4), (4, 8, 2)] {
        let items: Vec<String> = ITEMS
            .iter()
            .map(|i| {
                if i.construct == "npt.coherence" {
                    score.to_string()
                } else {
                    "3".into()
                }
            })
            .collect();
        text += &format!("Magenta,{},{g1},{g2},5\n", items.join(","));
    }
    let path = write(&f, "nomad.csv", &text);
    let s = Survey::read(&path, &BTreeMap::new()).unwrap();
    let r = s.correlations().unwrap();
    let close =
        |v: &CellValue, want: f64| matches!(v, CellValue::Number(x) if (x - want).abs() < 1e-12);
    assert!(close(&r.values("G1").unwrap()[0], 1.0));
    assert!(close(&r.values("G2").unwrap()[0], -1.0));
    // No variation, no correlation: G3 is constant, and so is every other construct.
    assert_eq!(r.values("G3").unwrap()[0], CellValue::Missing);
    assert_eq!(r.values("G1").unwrap()[1], CellValue::Missing);
}

#[test]
fn nomad_reads_the_same_answers_from_an_excel_workbook() {
    let f = Fixture::new();
    let rows = [
        ("Magenta", ["4", "4", "3", "5"], "strongly agree"),
        ("Cobalt", ["2", "disagree", "2", "3"], "2"),
        ("Cobalt", ["5", "5", "4", "5"], "not relevant to my role"),
    ];
    let csv = write(&f, "nomad.csv", &survey(&rows, "3"));
    // The same answers as a workbook, numbers stored as numbers.
    let table = qualkit::table::Table::read_csv(&csv).unwrap();
    let xlsx = f.root().join("nomad.xlsx");
    qualkit::exchange::xlsx::write_tables(&xlsx, &[("answers", &table)]).unwrap();
    let from_csv = Survey::read(&csv, &BTreeMap::new()).unwrap();
    let from_xlsx = Survey::read(&xlsx, &BTreeMap::new()).unwrap();
    assert_eq!(from_xlsx.responses, from_csv.responses);
    assert_eq!(from_xlsx.responses[1].items[1], Some(2.0));
}
