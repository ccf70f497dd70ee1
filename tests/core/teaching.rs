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
    let s = Survey::read_csv(&path, &BTreeMap::new()).unwrap();
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
    let s = Survey::read_csv(&path, &BTreeMap::new()).unwrap();
    assert_eq!(
        s.scores().unwrap().values("coherence").unwrap()[0],
        CellValue::Missing
    );

    let rows = [("Magenta", ["4", "maybe", "3", "4"], "2")];
    let path = write(&f, "bad.csv", &survey(&rows, "3"));
    let err = Survey::read_csv(&path, &BTreeMap::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bad.csv:2") && err.contains("`CO2`") && err.contains("`maybe`"),
        "{err}"
    );

    let path = write(&f, "short.csv", "respondent,case,CO1\nr1,Magenta,4\n");
    let err = Survey::read_csv(&path, &BTreeMap::new())
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
