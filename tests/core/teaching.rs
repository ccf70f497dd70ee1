//! NoMAD scoring against a hand calculation, and the npt teaching module.

use std::collections::BTreeMap;

use qualkit::analysis::table::CellValue;
use qualkit::script::{Limits, Session};
use qualkit::teaching::nomad::{ITEMS, Survey};

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
    let table = value.cast::<qualkit::analysis::table::Table>();
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
    // A file carrying its own key, on a codebook without NPT: the key's codes are the
    // constructs.
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
    let check = out[0].clone().cast::<qualkit::analysis::table::Table>();
    assert_eq!(
        check.values("result").unwrap(),
        ["agree", "differ", "agree", "agree", "not answered yet"]
            .map(|v| CellValue::Text(v.into()))
    );
    assert_eq!(
        check.values("reason").unwrap()[1],
        CellValue::Text("Still understanding.".into())
    );
    // The key is shown for answered extracts only.
    assert_eq!(check.values("key").unwrap()[4], CellValue::Missing);
    let title = check.title().unwrap();
    assert!(title.contains("3 of 4 answered extracts (75%)"), "{title}");
    // Four answers cannot carry a kappa, and the feedback says why instead of a word for it.
    assert!(
        title.contains("No kappa yet") && !title.contains("moderate"),
        "{title}"
    );
    let score = out[1].clone().cast::<rhai::Map>();
    assert!(score["kappa"].is_unit());
    let confusion = out[2].clone().cast::<qualkit::analysis::table::Table>();
    assert_eq!(
        confusion.values("Shared learning").unwrap()[0],
        CellValue::Integer(1)
    );

    // An answer that is no construct gets a note on its row; the call still succeeds.
    let check = s
        .eval(
            "ex.check(#{x1: \"astrology\", x2: \"coh\"})",
            "exercise.rhai",
        )
        .unwrap()
        .cast::<qualkit::analysis::table::Table>();
    assert_eq!(
        check.values("result").unwrap()[0],
        CellValue::Text("not recognised".into())
    );
    assert_eq!(
        check.values("result").unwrap()[1],
        CellValue::Text("agree".into())
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

/// A copy of the bundled sample, with the teaching key's path.
fn sample_copy() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap();
            if name == ".qualkit" {
                continue;
            }
            if path.is_dir() {
                copy(&path, &to.join(name));
            } else {
                std::fs::copy(&path, to.join(name)).unwrap();
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let copy_root = tmp.path().join("deep-end");
    copy(&root.join("data/deep-end"), &copy_root);
    (
        tmp,
        copy_root,
        root.join("teaching/keys/npt-extracts-key.csv"),
    )
}

fn text(t: &qualkit::analysis::table::Table, row: usize, column: &str) -> String {
    match t.cell(row, column).unwrap() {
        CellValue::Text(s) => s,
        CellValue::Missing => String::new(),
        other => panic!("{column} row {row}: {other:?}"),
    }
}

/// Cohen's kappa from (key, answer) pairs, by its definition.
fn kappa_by_hand(pairs: &[(&str, &str)]) -> f64 {
    let n = pairs.len() as f64;
    let observed = pairs.iter().filter(|(a, b)| a == b).count() as f64 / n;
    let mut labels: Vec<&str> = pairs.iter().flat_map(|(a, b)| [*a, *b]).collect();
    labels.sort();
    labels.dedup();
    let expected: f64 = labels
        .iter()
        .map(|l| {
            let first = pairs.iter().filter(|(a, _)| a == l).count() as f64 / n;
            let second = pairs.iter().filter(|(_, b)| b == l).count() as f64 / n;
            first * second
        })
        .sum();
    (observed - expected) / (1.0 - expected)
}

#[test]
fn check_reads_every_kind_of_student_mistake_and_scores_the_rest() {
    use qualkit::teaching::exercise::Exercise;
    let (_tmp, root, key) = sample_copy();
    let project = qualkit::Project::open(&root).unwrap();
    let ex = Exercise::load(&project, &root.join("exercises/npt-extracts.csv")).unwrap();
    // Without the key a student can read the extracts, but checking says where the key is.
    let table = ex.table().unwrap();
    assert_eq!(table.rows(), 16);
    assert!(
        !table
            .column_names()
            .iter()
            .any(|c| c == "key" || c == "construct" || c == "reason")
    );
    let err = ex.check(&BTreeMap::new()).unwrap_err().to_string();
    assert!(
        err.contains("no key loaded") && err.contains("ex.save"),
        "{err}"
    );

    let ex = ex.with_key(&project, &key).unwrap();
    let answers: BTreeMap<String, String> = [
        ("e01", "coherance"),                                // a typo
        ("e02", "initiation"),                               // a sub-construct's name
        ("e03", "CA"),                                       // an abbreviation, the defensible one
        ("e04", "coherence-building"),                       // the 2022 manual's term (differs)
        ("e05", "npt.reflexive-monitoring.systematisation"), // an id, right construct, other sub
        ("e06", "astrology"),                                // not a construct
        ("e07", "Colective action"),                         // a typo in two words
        ("e08", "   "),                                      // blank
        ("e09", "Individual Specification"),                 // case
        ("e10", "cp"),                                       // lower-case abbreviation
        ("e11", "rm"),                                       // the other defensible reading
        ("e12", "cognitive"),                                // the start of a name (differs)
        ("e13", "reflexive monitoring: systematization"),    // construct: sub, US spelling
        ("e14", "none"),                                     // a distractor
        ("e15", "No construct"),
        ("e16", "C"), // short for coherence (differs)
        ("e1", "CP"), // an extract that does not exist
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let f = ex.check(&answers).unwrap();
    let t = &f.extracts;
    let results: Vec<String> = (0..t.rows()).map(|r| text(t, r, "result")).collect();
    assert_eq!(
        results,
        [
            "agree",
            "agree",
            "defensible",
            "differ",
            "agree",
            "not recognised",
            "agree",
            "not answered yet",
            "agree",
            "agree",
            "defensible",
            "differ",
            "agree",
            "agree",
            "agree",
            "differ",
            "no such extract"
        ]
    );
    assert_eq!(
        (f.answered, f.agreed, f.defensible, f.unrecognised),
        (14, 9, 2, 2)
    );
    assert_eq!((f.sub_named, f.sub_agreed), (4, 3));
    assert!(text(t, 0, "note").contains("did you mean Coherence?"));
    assert_eq!(text(t, 3, "yours"), "Coherence");
    assert_eq!(text(t, 4, "sub_construct"), "the key has Reconfiguration");
    assert_eq!(text(t, 1, "sub_construct"), "Initiation: agrees");
    assert!(text(t, 5, "note").contains("not a construct"));
    assert!(text(t, 5, "note").contains("Reflexive monitoring"));
    assert_eq!(text(t, 11, "yours"), "Cognitive participation");
    assert!(text(t, 16, "note").contains("did you mean e01?"));
    // The key, its reason and the sample's coders show only where an answer was read.
    for row in [5, 7] {
        for column in ["key", "reason", "sample_coders"] {
            assert_eq!(text(t, row, column), "", "row {row} {column}");
        }
    }
    assert!(text(t, 2, "key").contains("also defensible: Collective action"));
    // Both sample coders' codes where they differ (e07, e11); none where they agree with the key.
    assert_eq!(
        text(t, 6, "sample_coders"),
        "ak: Collective action (Interactional workability); rb: Coherence (Internalisation)"
    );
    assert!(text(t, 10, "sample_coders").contains("ak: Reflexive monitoring (Reconfiguration)"));
    assert_eq!(text(t, 0, "sample_coders"), "");
    assert!(text(t, 10, "note").starts_with("Contested"));
    // Fourteen answers: kappa is shown, and is the textbook figure over the pairs.
    let pairs = [
        ("coh", "coh"),
        ("cp", "cp"),
        ("cp", "ca"),
        ("ca", "coh"),
        ("rm", "rm"),
        ("ca", "ca"),
        ("coh", "coh"),
        ("cp", "cp"),
        ("ca", "rm"),
        ("coh", "cp"),
        ("rm", "rm"),
        ("none", "none"),
        ("none", "none"),
        ("none", "coh"),
    ];
    let expected = kappa_by_hand(&pairs);
    assert!(
        (f.kappa.unwrap() - expected).abs() < 1e-12,
        "{:?} vs {expected}",
        f.kappa
    );
    assert!(
        t.title()
            .unwrap()
            .contains(&format!("Cohen's kappa {expected:.2}"))
    );
    // The confusion table counts the key (rows) against the answers (columns).
    let c = &f.confusion;
    assert_eq!(c.cell(2, "Coherence").unwrap(), CellValue::Integer(1)); // e04
    assert_eq!(c.cell(4, "No construct").unwrap(), CellValue::Integer(2));
}

#[test]
fn the_class_view_matches_agreement_computed_by_hand() {
    use qualkit::teaching::exercise::Exercise;
    let (_tmp, root, key) = sample_copy();
    let project = qualkit::Project::open(&root).unwrap();
    let ex = Exercise::load(&project, &root.join("exercises/npt-extracts.csv"))
        .unwrap()
        .with_key(&project, &key)
        .unwrap();
    // Four made-up students on five extracts; one answer is unreadable and counts as missing.
    let class: [(&str, [(&str, &str); 5]); 4] = [
        (
            "ana",
            [
                ("e01", "coherence"),
                ("e02", "CP"),
                ("e03", "CP"),
                ("e07", "CA"),
                ("e14", "none"),
            ],
        ),
        (
            "ben",
            [
                ("e01", "communal specification"),
                ("e02", "initiation"),
                ("e03", "CA"),
                ("e07", "coherence"),
                ("e14", "none"),
            ],
        ),
        (
            "cat",
            [
                ("e01", "coherence"),
                ("e02", "CP"),
                ("e03", "CP"),
                ("e07", "none"),
                ("e14", "CA"),
            ],
        ),
        (
            "dev",
            [
                ("e01", "coherence"),
                ("e02", "Coherence"),
                ("e03", "astrology"),
                ("e07", "RM"),
                ("e14", "none"),
            ],
        ),
    ];
    for (student, answers) in &class {
        let answers: BTreeMap<String, String> = answers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ex.save(&answers, student).unwrap();
    }
    let saved = ex.submissions_dir();
    assert!(saved.join("ana.csv").exists());
    let view = ex.class_view(&saved).unwrap();
    assert_eq!(view.students, ["ana", "ben", "cat", "dev"]);

    // By hand: the constructs each student's answers mean, per extract.
    let units: Vec<(&str, Vec<&str>)> = vec![
        ("e01", vec!["coh", "coh", "coh", "coh"]),
        ("e02", vec!["cp", "cp", "cp", "coh"]),
        ("e03", vec!["cp", "ca", "cp"]),
        ("e07", vec!["ca", "coh", "none", "rm"]),
        ("e14", vec!["none", "none", "ca", "none"]),
    ];
    // Expected disagreement over all pairable answers; observed per extract, as shares of
    // ordered pairs of answers that differ.
    let all: Vec<&str> = units.iter().flat_map(|(_, u)| u.iter().copied()).collect();
    let n = all.len() as f64;
    let mut differing = 0.0;
    for (i, a) in all.iter().enumerate() {
        for (j, b) in all.iter().enumerate() {
            if i != j && a != b {
                differing += 1.0;
            }
        }
    }
    let expected = differing / (n * (n - 1.0));
    let mut observed_total = 0.0;
    for (id, unit) in &units {
        let m = unit.len() as f64;
        let mut differ = 0.0;
        for (i, a) in unit.iter().enumerate() {
            for (j, b) in unit.iter().enumerate() {
                if i != j && a != b {
                    differ += 1.0;
                }
            }
        }
        let observed = differ / (m * (m - 1.0));
        observed_total += observed * m / n;
        let row = view.rows.iter().find(|r| r.id == *id).unwrap();
        assert_eq!(row.answered, unit.len(), "{id}");
        let alpha = row.alpha.unwrap();
        assert!(
            (alpha - (1.0 - observed / expected)).abs() < 1e-12,
            "{id}: {alpha}"
        );
    }
    let alpha_overall = 1.0 - observed_total / expected;
    assert!((view.alpha.unwrap() - alpha_overall).abs() < 1e-12);
    // Extracts nobody answered have no alpha; the class split where the most common answer
    // came from fewer than two thirds: e07 (1 of 4); e03 has 2 of 3 (not split).
    assert!(
        view.rows
            .iter()
            .find(|r| r.id == "e05")
            .unwrap()
            .alpha
            .is_none()
    );
    assert_eq!(view.split_ids(), ["e07"]);

    let (table, confusion, splits) = ex.class_tables(&view).unwrap();
    assert!(
        table
            .title()
            .unwrap()
            .contains(&format!("alpha over all extracts {alpha_overall:.2}"))
    );
    assert_eq!(splits.rows(), 1);
    assert_eq!(text(&splits, 0, "id"), "e07");
    // Confusion: key Collective action (e07) got one of each; key No construct (e14) got
    // three "none" and one Collective action.
    let confusion = confusion.unwrap();
    assert_eq!(
        confusion.cell(2, "Reflexive monitoring").unwrap(),
        CellValue::Integer(1)
    );
    assert_eq!(
        confusion.cell(4, "No construct").unwrap(),
        CellValue::Integer(3)
    );
    assert_eq!(
        confusion.cell(4, "Collective action").unwrap(),
        CellValue::Integer(1)
    );
    // Saving again replaces a student's answers; an unknown extract saves nothing.
    let err = ex
        .save(&[("e99".to_string(), "CP".to_string())].into(), "ana")
        .unwrap_err()
        .to_string();
    assert!(err.contains("no extract `e99`"), "{err}");
    assert_eq!(ex.class_view(&saved).unwrap().rows[0].answered, 4);
}

#[test]
fn classification_rules_fail_loudly_and_classifications_can_be_removed_and_restored() {
    let f = fixture_with_transcripts();
    let mut s = Session::new(f.root(), Limits::default());
    let _ = s
        .eval(
            &format!("let p = project({:?});", f.root().display().to_string()),
            "t",
        )
        .unwrap();
    let fails = |s: &mut Session, rule: &str| {
        s.eval(&format!("p.classify(\"r\", {rule})"), "t")
            .unwrap_err()
            .to_string()
    };
    let err = fails(&mut s, "|c| c.evidence[\"ctx.leed\"] > 0");
    assert!(
        err.contains("no code `ctx.leed`")
            && err.contains("did you mean ctx.lead?")
            && err.contains("coh.diff"),
        "{err}"
    );
    let err = fails(&mut s, "|c| c.evidence_by_phase[\"P9\"][\"coh\"]");
    assert!(err.contains("no phase `P9`") && err.contains("P2"), "{err}");
    let err = fails(&mut s, "|c| c.integraton");
    assert!(
        err.contains("no attribute `integraton`") && err.contains("did you mean integration?"),
        "{err}"
    );
    let err = fails(&mut s, "|c| if c.words > 1000000 { \"long\" }");
    assert!(err.contains("returned nothing"), "{err}");
    let err = fails(&mut s, "|c| #{value: (), reason: \"why\"}");
    assert!(err.contains("empty `value`"), "{err}");
    // None of the failed rules stored anything.
    let classified = |f: &Fixture| {
        std::fs::read_to_string(f.root().join("classifications.csv")).unwrap_or_default()
    };
    assert!(!classified(&f).contains(",r,") && !classified(&f).starts_with("r,"));

    // Known names still read as before, and `in` asks without failing.
    let out = s
        .eval(
            "p.classify(\"size\", |c| if \"coh\" in c.evidence && c.evidence[\"coh\"] >= 0 && c.integration != \"\" { #{value: \"some\", reason: `${c.words} words`} } else { \"none\" });\n\
             let removed = p.remove_classification(\"size\");\n\
             let gone = (\"size\" in p.cases()[0]);\n\
             let entry = p.log()[-1];\n\
             p.revert(entry.id);\n\
             [removed, gone, entry.action, (\"size\" in p.cases()[0])]",
            "t",
        )
        .unwrap()
        .cast::<rhai::Array>();
    assert_eq!(out[0].as_int().unwrap(), 2);
    assert!(!out[1].as_bool().unwrap());
    assert_eq!(
        out[2].clone().into_string().unwrap(),
        "remove classification"
    );
    assert!(
        out[3].as_bool().unwrap(),
        "reverting the removal brings it back"
    );
    assert!(classified(&f).contains("size"));
    let err = s
        .eval("p.remove_classification(\"nothing\")", "t")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no classification `nothing`") && err.contains("size"),
        "{err}"
    );
}

#[test]
fn reliability_asks_which_column_holds_the_units() {
    use crate::common::qualkit;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("class.csv");
    std::fs::write(
        &file,
        "extract,ana,ben\ne01,coh,coh\ne02,cp,ca\ne03,rm,rm\n",
    )
    .unwrap();
    let (ok, _, err) = qualkit(&["reliability", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("which column holds the units?")
            && err.contains("`extract`")
            && err.contains("extract, ana, ben")
            && err.contains("--unit-column extract"),
        "{err}"
    );
    // Ids that look like ids under another name are caught too.
    std::fs::write(&file, "item_no,ana,ben\nq1,coh,coh\nq2,cp,ca\nq3,rm,rm\n").unwrap();
    let (ok, _, err) = qualkit(&["reliability", file.to_str().unwrap()]);
    assert!(!ok && err.contains("`item_no`"), "{err}");
    let (ok, out, err) = qualkit(&[
        "reliability",
        file.to_str().unwrap(),
        "--unit-column",
        "item_no",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("Agreement of 2 coders on 3 units"), "{out}");
    // Every column a coder, when the user says so.
    std::fs::write(&file, "a,b,c\nx1,x1,x2\ny1,y2,y1\nz3,z3,z3\n").unwrap();
    let (ok, _, err) = qualkit(&["reliability", file.to_str().unwrap()]);
    assert!(!ok && err.contains("`a`"), "{err}");
    let (ok, out, err) = qualkit(&["reliability", file.to_str().unwrap(), "--all-coders"]);
    assert!(ok && out.contains("Agreement of 3 coders"), "{err}{out}");
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
    // Explaining needs no project: the definition and question, and a word on examples.
    let _ = s.eval("npt::explain(\"coherence\")", "t").unwrap();
    let before = printed.borrow().join("\n");
    assert!(
        before.starts_with("Coherence: The sense-making work"),
        "{before}"
    );
    assert!(before.contains("Open a project"), "{before}");
    printed.borrow_mut().clear();
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
    let table = qualkit::analysis::table::Table::read_csv(&csv).unwrap();
    let xlsx = f.root().join("nomad.xlsx");
    qualkit::exchange::xlsx::write_tables(&xlsx, &[("answers", &table)]).unwrap();
    let from_csv = Survey::read(&csv, &BTreeMap::new()).unwrap();
    let from_xlsx = Survey::read(&xlsx, &BTreeMap::new()).unwrap();
    assert_eq!(from_xlsx.responses, from_csv.responses);
    assert_eq!(from_xlsx.responses[1].items[1], Some(2.0));
}
