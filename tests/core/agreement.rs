//! Intercoder agreement against reference values from scikit-learn's `cohen_kappa_score` and
//! the `krippendorff` package (tests/fixtures/agreement/reference.py wrote
//! reference.json), against a per-character count done here, and against counts worked out
//! by hand on the reference fixture:
//!
//! Document `m` (Magenta):
//!   coh.diff  ak "The link worker knows what’s out there, that was the attraction."
//!             rb "The link worker knows what’s out there" and "I still think of it as a referral service 🙂"
//!   coh.comm  ak "I still think of it as a referral service 🙂 if I’m honest."
//!   learn     ak "The practice meeting talks about it every month."
//!             rb "practice meeting talks about it" and "We send people to Róisín every week now."
//! Document `c` (Cobalt):
//!   coh.comm  ak and rb "Nobody told us what the links practitioner was for."
//!   ctx.lead  ak "The manager changed twice that year", rb "... that year, so it drifted."
//! Document `q` (Cobalt): learn, ak only "café meetings helped."

use std::path::{Path, PathBuf};

use qualkit::Project;
use qualkit::agreement::{
    Breakdown, Level, MergeRule, Ratings, SpanComparison, cohen_kappa, krippendorff_alpha,
    percent_agreement, percent_agreement_pair,
};
use qualkit::analysis::table::{CellValue, Table};
use qualkit::coding::Span;
use qualkit::script::{Limits, Session};
use serde_json::Value;

use crate::common::{Fixture, qualkit, transcript};

fn reference() -> Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/agreement/reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn labels(value: &Value) -> Vec<Option<String>> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

fn units(value: &Value) -> Vec<Vec<Option<String>>> {
    value.as_array().unwrap().iter().map(labels).collect()
}

fn float(value: &Value) -> f64 {
    value.as_f64().unwrap()
}

/// Equal to 6 decimals.
fn assert_close(ours: f64, reference: f64, what: &str) {
    assert!(
        (ours - reference).abs() < 5e-7,
        "{what}: qualkit {ours:.9}, reference {reference:.9}"
    );
}

fn number(v: CellValue) -> f64 {
    match v {
        CellValue::Number(x) => x,
        CellValue::Integer(i) => i as f64,
        other => panic!("not a number: {other:?}"),
    }
}

fn text(v: CellValue) -> String {
    match v {
        CellValue::Text(s) => s,
        other => panic!("not text: {other:?}"),
    }
}

fn texts(t: &Table, column: &str) -> Vec<String> {
    t.values(column).unwrap().into_iter().map(text).collect()
}

fn integers(t: &Table, column: &str) -> Vec<i64> {
    t.values(column)
        .unwrap()
        .into_iter()
        .map(|v| number(v) as i64)
        .collect()
}

#[test]
fn cohen_kappa_matches_scikit_learn() {
    let reference = reference();
    let cases = reference["kappa"].as_array().unwrap();
    assert!(cases.len() >= 6);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (a, b) = (labels(&case["first"]), labels(&case["second"]));
        let kappa = cohen_kappa(&a, &b).unwrap().expect("defined");
        assert_close(kappa, float(&case["kappa"]), name);
        assert_close(
            percent_agreement_pair(&a, &b).unwrap(),
            float(&case["percent_agreement"]),
            name,
        );
    }
    // One of the cases is below chance: kappa is negative there, as scikit-learn says.
    assert!(cases.iter().any(|c| float(&c["kappa"]) < 0.0));
}

#[test]
fn krippendorff_alpha_matches_the_krippendorff_package() {
    let reference = reference();
    let cases = reference["alpha"].as_array().unwrap();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let units = units(&case["units"]);
        let alpha = krippendorff_alpha(&units).unwrap().expect("defined");
        assert_close(alpha, float(&case["alpha"]), name);
        assert_close(
            percent_agreement(&units).unwrap(),
            float(&case["percent_agreement"]),
            name,
        );
    }
    // Krippendorff's own worked example (2011): four coders, missing values, alpha 0.743.
    let worked = &cases[0];
    assert_eq!(worked["units"][0].as_array().unwrap().len(), 4);
    assert!((float(&worked["alpha"]) - 0.743).abs() < 5e-4);
    // The fixtures cover three and more coders, and missing values.
    assert!(
        cases
            .iter()
            .any(|c| c["units"][0].as_array().unwrap().len() >= 5)
    );
    assert!(
        cases
            .iter()
            .all(|c| c["units"][0].as_array().unwrap().len() >= 2)
    );
}

#[test]
fn units_with_one_label_drop_out_of_alpha_and_undefined_figures_say_so() {
    let l = |v: &[Option<&str>]| v.iter().map(|x| x.map(str::to_string)).collect::<Vec<_>>();
    let base = vec![
        l(&[Some("a"), Some("a")]),
        l(&[Some("a"), Some("b")]),
        l(&[Some("b"), Some("b")]),
    ];
    let mut padded = base.clone();
    padded.push(l(&[Some("b"), None]));
    padded.push(l(&[None, None]));
    assert_eq!(
        krippendorff_alpha(&base).unwrap(),
        krippendorff_alpha(&padded).unwrap()
    );
    // One label throughout: no variation, so neither kappa nor alpha is defined.
    let same = vec![l(&[Some("x"), Some("x")]), l(&[Some("x"), Some("x")])];
    assert_eq!(krippendorff_alpha(&same).unwrap(), None);
    let a = l(&[Some("x"), Some("x")]);
    assert_eq!(cohen_kappa(&a, &a).unwrap(), None);
}

#[test]
fn categorical_bad_input_gets_clear_errors() {
    let l = |v: &[&str]| v.iter().map(|x| Some(x.to_string())).collect::<Vec<_>>();
    let err = cohen_kappa(&l(&["a", "b", "a"]), &l(&["a", "b"]))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("kappa:") && err.contains("(3 and 2 labels)"),
        "{err}"
    );
    let err = cohen_kappa(&[], &[]).unwrap_err().to_string();
    assert!(err.contains("no units given"), "{err}");
    let err = cohen_kappa(&[Some("a".into()), None], &[None, Some("b".into())])
        .unwrap_err()
        .to_string();
    assert!(err.contains("no unit was labelled by both coders"), "{err}");
    let err = krippendorff_alpha(&[]).unwrap_err().to_string();
    assert!(
        err.starts_with("alpha:") && err.contains("no units given"),
        "{err}"
    );
    let err = krippendorff_alpha(&[l(&["a"]), l(&["b"])])
        .unwrap_err()
        .to_string();
    assert!(err.contains("at least two coders"), "{err}");
    let err = krippendorff_alpha(&[l(&["a", "b"]), l(&["a"])])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unit 2 has 1 labels but unit 1 has 2"),
        "{err}"
    );
    let err = percent_agreement(&[vec![Some("a".into()), None], vec![None, Some("a".into())]])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no two coders labelled the same unit"),
        "{err}"
    );
}

/// The reference fixture as a project, coded through the library.
fn reference_project() -> (Fixture, Value) {
    let reference = reference();
    let fixture = &reference["character"];
    let f = Fixture::new();
    for doc in fixture["documents"].as_array().unwrap() {
        let id = doc["id"].as_str().unwrap();
        f.write(
            &format!("{id}.txt"),
            transcript(
                doc["case"].as_str().unwrap(),
                &[("Ann", "GP"), ("Bea", "CLP"), ("Cat", "PM"), ("Dee", "GP")],
                doc["text"].as_str().unwrap(),
            ),
        );
    }
    let mut p = f.open();
    for doc in fixture["documents"].as_array().unwrap() {
        let id = doc["id"].as_str().unwrap();
        assert_eq!(
            &*p.document(id).unwrap().text,
            doc["text"].as_str().unwrap()
        );
    }
    for c in fixture["codings"].as_array().unwrap() {
        let offsets = Span::Offsets {
            start: c["start"].as_u64().unwrap() as usize,
            end: c["end"].as_u64().unwrap() as usize,
        };
        p.code(
            c["coder"].as_str().unwrap(),
            c["document"].as_str().unwrap(),
            c["code"].as_str().unwrap(),
            &offsets,
        )
        .unwrap();
    }
    (f, reference)
}

/// Kappa from two per-character marks, counted the long way: the test's own oracle.
fn brute_force_kappa(a: &[bool], b: &[bool]) -> (f64, f64) {
    let n = a.len() as f64;
    let agree = a.iter().zip(b).filter(|(x, y)| x == y).count() as f64;
    let pa = a.iter().filter(|&&x| x).count() as f64 / n;
    let pb = b.iter().filter(|&&x| x).count() as f64 / n;
    let p_o = agree / n;
    let p_e = pa * pb + (1.0 - pa) * (1.0 - pb);
    ((p_o - p_e) / (1.0 - p_e), 100.0 * p_o)
}

/// Each character of `document` marked if `coder` coded it with `code` or a code below it.
fn marks(p: &Project, coder: &str, document: &str, code: &str) -> Vec<bool> {
    let len = p.document(document).unwrap().len_chars();
    let mut out = vec![false; len];
    for c in p.codings().unwrap() {
        let under = c.code == code || c.code.starts_with(&format!("{code}."));
        if c.coder == coder && c.document == document && under {
            for m in &mut out[c.start..c.end] {
                *m = true;
            }
        }
    }
    out
}

#[test]
fn character_level_kappa_matches_scikit_learn_and_a_per_character_count() {
    let (f, reference) = reference_project();
    let p = f.open();
    let comparison = SpanComparison::new(&p, "ak", "rb").unwrap();
    for case in reference["character"]["codes"].as_array().unwrap() {
        let code = case["code"].as_str().unwrap().to_string();
        let codes = [code.clone()];
        let rows = comparison
            .table(&codes, Breakdown::Document, Level::Character)
            .unwrap();
        let expected = case["documents"].as_array().unwrap();
        assert_eq!(rows.rows(), expected.len(), "{code}");
        let documents = texts(&rows, "document");
        for e in expected {
            let doc = e["document"].as_str().unwrap();
            let what = format!("{code} in {doc}");
            let i = documents.iter().position(|d| d == doc).expect(&what);
            for column in ["characters", "both", "ak_only", "rb_only"] {
                assert_eq!(
                    number(rows.cell(i, column).unwrap()) as u64,
                    e[column].as_u64().unwrap(),
                    "{what}: {column}"
                );
            }
            let kappa = number(rows.cell(i, "kappa").unwrap());
            let percent = number(rows.cell(i, "percent_agreement").unwrap());
            assert_close(kappa, float(&e["kappa"]), &what);
            assert_close(percent, float(&e["percent_agreement"]), &what);
            let (oracle_kappa, oracle_percent) =
                brute_force_kappa(&marks(&p, "ak", doc, &code), &marks(&p, "rb", doc, &code));
            assert_close(kappa, oracle_kappa, &format!("{what} (per character)"));
            assert_close(percent, oracle_percent, &format!("{what} (per character)"));
        }
        let summary = comparison
            .table(&codes, Breakdown::Code, Level::Character)
            .unwrap();
        assert_eq!(summary.rows(), 1, "one code, no overall row");
        assert_eq!(
            number(summary.cell(0, "documents").unwrap()) as usize,
            expected.len()
        );
        assert_close(
            number(summary.cell(0, "kappa").unwrap()),
            float(&case["kappa"]),
            &format!("{code}, weighted by length"),
        );
        assert_close(
            number(summary.cell(0, "percent_agreement").unwrap()),
            float(&case["percent_agreement"]),
            &format!("{code}, weighted by length"),
        );
    }

    // Every code applied, in codebook order, then the overall row: the length-weighted
    // mean over every code and document.
    let all = comparison
        .table(
            &comparison.codes_applied(),
            Breakdown::Code,
            Level::Character,
        )
        .unwrap();
    assert_eq!(
        texts(&all, "code"),
        ["coh.diff", "coh.comm", "ctx.lead", "learn", "(overall)"]
    );
    let mut weighted = 0.0;
    let mut length = 0.0;
    for case in reference["character"]["codes"].as_array().unwrap() {
        if ["coh", "ctx"].contains(&case["code"].as_str().unwrap()) {
            continue;
        }
        for d in case["documents"].as_array().unwrap() {
            weighted += float(&d["kappa"]) * float(&d["characters"]);
            length += float(&d["characters"]);
        }
    }
    assert_close(
        number(all.cell(4, "kappa").unwrap()),
        weighted / length,
        "overall",
    );
}

#[test]
fn interval_counts_equal_per_character_counts_on_many_random_codings() {
    let f = Fixture::new();
    let body: String = (0..400)
        .map(|i| format!("Ann: word{i} é 🙂 text.\n"))
        .collect();
    f.write("m.txt", transcript("Magenta", &[("Ann", "GP")], &body));
    let mut p = f.open();
    let len = p.document("m").unwrap().len_chars();
    // A fixed pseudo-random sequence: the same codings on every run.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |below: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((seed >> 33) as usize) % below
    };
    for coder in ["ak", "rb"] {
        for code in ["coh.diff", "coh.comm", "learn"] {
            let mut at = next(200);
            while at + 2 < len {
                let end = (at + 1 + next(150)).min(len);
                p.code(coder, "m", code, &Span::Offsets { start: at, end })
                    .unwrap();
                at = end + next(300);
            }
        }
    }
    let comparison = SpanComparison::new(&p, "ak", "rb").unwrap();
    for code in ["coh.diff", "coh.comm", "coh", "learn"] {
        let t = comparison
            .table(&[code.to_string()], Breakdown::Document, Level::Character)
            .unwrap();
        let (a, b) = (marks(&p, "ak", "m", code), marks(&p, "rb", "m", code));
        let count = |f: fn(bool, bool) -> bool| {
            a.iter().zip(&b).filter(|(x, y)| f(**x, **y)).count() as i64
        };
        assert_eq!(integers(&t, "both"), [count(|x, y| x && y)], "{code}");
        assert_eq!(integers(&t, "ak_only"), [count(|x, y| x && !y)], "{code}");
        assert_eq!(integers(&t, "rb_only"), [count(|x, y| !x && y)], "{code}");
        assert_eq!(integers(&t, "neither"), [count(|x, y| !x && !y)], "{code}");
        let (kappa, _) = brute_force_kappa(&a, &b);
        assert_close(number(t.cell(0, "kappa").unwrap()), kappa, code);
    }
}

#[test]
fn a_document_both_coders_coded_from_end_to_end_has_kappa_one() {
    let f = Fixture::new();
    f.write("s.txt", transcript("Cobalt", &[], "All of it.\n"));
    let mut p = f.open();
    for coder in ["ak", "rb"] {
        p.code(coder, "s", "learn", &Span::Offsets { start: 0, end: 11 })
            .unwrap();
    }
    let c = SpanComparison::new(&p, "ak", "rb").unwrap();
    let t = c
        .table(&["learn".into()], Breakdown::Document, Level::Character)
        .unwrap();
    assert_eq!(number(t.cell(0, "kappa").unwrap()), 1.0);
    assert_eq!(number(t.cell(0, "percent_agreement").unwrap()), 100.0);
}

#[test]
fn segment_level_agreement_counts_coded_stretches() {
    let (f, _) = reference_project();
    let p = f.open();
    let c = SpanComparison::new(&p, "ak", "rb").unwrap();
    let codes: Vec<String> = ["coh.diff", "coh.comm", "coh", "learn", "ctx.lead"]
        .map(String::from)
        .to_vec();
    let t = c
        .table(&codes, Breakdown::Code, Level::Segment { min_overlap: 0.0 })
        .unwrap();
    assert_eq!(
        texts(&t, "code"),
        [
            "coh.diff",
            "coh.comm",
            "coh",
            "learn",
            "ctx.lead",
            "(overall)"
        ]
    );
    assert_eq!(integers(&t, "segments"), [2, 2, 3, 3, 1, 11]);
    assert_eq!(integers(&t, "agreed"), [1, 1, 3, 1, 1, 7]);
    assert_eq!(integers(&t, "ak_only"), [0, 1, 0, 1, 0, 2]);
    assert_eq!(integers(&t, "rb_only"), [1, 0, 0, 1, 0, 2]);
    assert_eq!(integers(&t, "partial"), [0, 0, 0, 0, 0, 0]);
    assert_close(
        number(t.cell(3, "percent_agreement").unwrap()),
        100.0 / 3.0,
        "learn",
    );

    // ak's leadership passage is 35 of the 51 characters rb coded: agreed with any overlap,
    // only partly agreed when 90% must be shared.
    let strict = c
        .table(
            &["ctx.lead".into()],
            Breakdown::Document,
            Level::Segment { min_overlap: 0.9 },
        )
        .unwrap();
    assert_eq!(texts(&strict, "document"), ["c"]);
    assert_eq!(integers(&strict, "agreed"), [0]);
    assert_eq!(integers(&strict, "partial"), [1]);
    assert!(Level::parse("segment", 1.5).is_err());
    assert!(
        Level::parse("word", 0.0)
            .unwrap_err()
            .to_string()
            .contains("character or segment")
    );
}

#[test]
fn disagreements_show_the_text_each_coder_coded() {
    let (f, _) = reference_project();
    let p = f.open();
    let c = SpanComparison::new(&p, "ak", "rb").unwrap();
    let t = c.disagreements(&["coh.diff".into()], None).unwrap();
    assert_eq!(
        t.column_names(),
        [
            "code",
            "document",
            "start",
            "end",
            "characters",
            "coded_by",
            "not_coded_by",
            "text",
            "ak_text",
            "rb_text"
        ]
    );
    assert_eq!(texts(&t, "document"), ["m", "m"]);
    assert_eq!(texts(&t, "coded_by"), ["ak", "rb"]);
    assert_eq!(texts(&t, "not_coded_by"), ["rb", "ak"]);
    assert_eq!(
        texts(&t, "text"),
        [
            ", that was the attraction.",
            "I still think of it as a referral service 🙂"
        ]
    );
    assert_eq!(
        texts(&t, "ak_text"),
        [
            "The link worker knows what’s out there, that was the attraction.",
            ""
        ]
    );
    assert_eq!(
        texts(&t, "rb_text"),
        [
            "The link worker knows what’s out there",
            "I still think of it as a referral service 🙂"
        ]
    );
    // Positions are code points: the stretch's text is what the offsets point at.
    let doc = p.document("m").unwrap();
    for row in 0..t.rows() {
        let (start, end) = (
            number(t.cell(row, "start").unwrap()) as usize,
            number(t.cell(row, "end").unwrap()) as usize,
        );
        assert_eq!(
            doc.slice(start, end).unwrap(),
            text(t.cell(row, "text").unwrap())
        );
        assert_eq!(
            number(t.cell(row, "characters").unwrap()) as usize,
            end - start
        );
    }

    // At the level of Coherence both coded the referral-service sentence, under different
    // sub-codes: only the end of it, which rb left out, is a disagreement.
    let coh = c.disagreements(&["coh".into()], None).unwrap();
    assert_eq!(
        texts(&coh, "text"),
        [", that was the attraction.", " if I’m honest."]
    );
    // Every code applied, in one document.
    let in_c = c.disagreements(&c.codes_applied(), Some("c")).unwrap();
    assert_eq!(texts(&in_c, "code"), ["ctx.lead"]);
    assert_eq!(texts(&in_c, "text"), [", so it drifted."]);
    let err = c
        .disagreements(&c.codes_applied(), Some("nope"))
        .unwrap_err();
    assert!(err.to_string().contains("unknown document `nope`"), "{err}");
}

#[test]
fn span_comparison_refuses_unknown_missing_and_repeated_coders() {
    let (f, _) = reference_project();
    let p = f.open();
    let err = SpanComparison::new(&p, "ak", "zz")
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("unknown coder `zz`") && err.contains("coders with codings: ak, rb"),
        "{err}"
    );
    let err = SpanComparison::new(&p, "ak", "ak")
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("named twice"), "{err}");
    let err = SpanComparison::new(&p, "", "ak").err().unwrap().to_string();
    assert!(err.contains("coder name is empty"), "{err}");
    let c = SpanComparison::new(&p, "ak", "rb").unwrap();
    let err = c
        .resolve_codes(Some(&["cohe".into()]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown code `cohe`"), "{err}");
    let err = c.resolve_codes(Some(&[])).unwrap_err().to_string();
    assert!(err.contains("list of codes is empty"), "{err}");

    // An empty project: nobody has coded anything yet.
    let empty = Fixture::new();
    empty.write("m.txt", transcript("Magenta", &[], "Text.\n"));
    let p = empty.open();
    let err = SpanComparison::new(&p, "ak", "rb")
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("coders with codings: none"), "{err}");
}

fn spans_of(p: &Project, coder: &str) -> Vec<(String, String, String)> {
    p.codings()
        .unwrap()
        .into_iter()
        .filter(|c| c.coder == coder)
        .map(|c| {
            let text = p
                .document(&c.document)
                .unwrap()
                .slice(c.start, c.end)
                .unwrap();
            (c.document.clone(), c.code.clone(), text.to_string())
        })
        .collect()
}

#[test]
fn merging_coders_stores_a_consensus_in_one_audited_transaction() {
    let (f, _) = reference_project();
    let mut p = f.open();
    let coders = ["ak".to_string(), "rb".to_string()];
    let report = p
        .merge_coders("lead", &coders, "consensus", MergeRule::Union, false)
        .unwrap();
    assert_eq!((report.added, report.replaced), (8, 0));
    let mut union = spans_of(&p, "consensus");
    union.sort();
    let s = |d: &str, c: &str, t: &str| (d.to_string(), c.to_string(), t.to_string());
    assert_eq!(
        union,
        [
            s(
                "c",
                "coh.comm",
                "Nobody told us what the links practitioner was for."
            ),
            s(
                "c",
                "ctx.lead",
                "The manager changed twice that year, so it drifted."
            ),
            s(
                "m",
                "coh.comm",
                "I still think of it as a referral service 🙂 if I’m honest."
            ),
            s(
                "m",
                "coh.diff",
                "I still think of it as a referral service 🙂"
            ),
            s(
                "m",
                "coh.diff",
                "The link worker knows what’s out there, that was the attraction."
            ),
            s(
                "m",
                "learn",
                "The practice meeting talks about it every month."
            ),
            s("m", "learn", "We send people to Róisín every week now."),
            s("q", "learn", "café meetings helped."),
        ]
    );
    let log = p.store().audit_log().unwrap();
    let entry = log.last().unwrap();
    assert_eq!(
        (entry.coder.as_str(), entry.action.as_str()),
        ("lead", "merge coders")
    );
    assert_eq!(entry.detail["rule"], "union");
    assert_eq!(entry.detail["into"], "consensus");
    assert_eq!(entry.detail["coders"], serde_json::json!(["ak", "rb"]));
    assert_eq!(entry.detail["codings"], 8);
    assert_eq!(
        p.codings()
            .unwrap()
            .iter()
            .filter(|c| c.entry == entry.id)
            .count(),
        8
    );

    // A second merge into the same coder is refused and changes nothing.
    let before = (p.codings().unwrap(), p.store().audit_log().unwrap().len());
    let err = p
        .merge_coders("lead", &coders, "consensus", MergeRule::Intersection, false)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("coder `consensus` already has 8 codings"),
        "{err}"
    );
    assert_eq!(
        (p.codings().unwrap(), p.store().audit_log().unwrap().len()),
        before
    );

    // Replacing is allowed when asked, and the log keeps what was replaced.
    let report = p
        .merge_coders("lead", &coders, "consensus", MergeRule::Intersection, true)
        .unwrap();
    assert_eq!((report.added, report.replaced), (4, 8));
    let mut intersection = spans_of(&p, "consensus");
    intersection.sort();
    assert_eq!(
        intersection,
        [
            s(
                "c",
                "coh.comm",
                "Nobody told us what the links practitioner was for."
            ),
            s("c", "ctx.lead", "The manager changed twice that year"),
            s("m", "coh.diff", "The link worker knows what’s out there"),
            s("m", "learn", "practice meeting talks about it"),
        ]
    );
    let log = p.store().audit_log().unwrap();
    let replaced = log.last().unwrap().detail["replaced"].as_array().unwrap();
    assert_eq!(replaced.len(), 8);
    assert!(replaced.iter().all(|c| c["coder"] == "consensus"));
    // The coders merged keep their own codings.
    assert_eq!(spans_of(&p, "ak").len(), 6);
    assert_eq!(spans_of(&p, "rb").len(), 6);
    // The consensus is a coder like any other: it can be compared and reopened.
    drop(p);
    let p = f.open();
    let c = SpanComparison::new(&p, "rb", "consensus").unwrap();
    assert_eq!(
        c.codes_applied(),
        ["coh.diff", "coh.comm", "ctx.lead", "learn"]
    );
}

#[test]
fn majority_keeps_text_most_coders_coded_and_touching_spans_stay_apart() {
    let f = Fixture::new();
    f.write(
        "m.txt",
        transcript("Magenta", &[], "0123456789abcdefghij\n"),
    );
    let mut p = f.open();
    for (coder, start, end) in [
        ("a", 0, 10),
        ("a", 10, 20),
        ("b", 5, 15),
        ("c", 8, 12),
        ("c", 18, 20),
    ] {
        p.code(coder, "m", "learn", &Span::Offsets { start, end })
            .unwrap();
    }
    let coders: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    p.merge_coders("lead", &coders, "majority", MergeRule::Majority, false)
        .unwrap();
    p.merge_coders("lead", &coders, "all", MergeRule::Intersection, false)
        .unwrap();
    p.merge_coders("lead", &coders, "any", MergeRule::Union, false)
        .unwrap();
    let spans = |coder: &str| {
        p.codings()
            .unwrap()
            .into_iter()
            .filter(|c| c.coder == coder)
            .map(|c| (c.start, c.end))
            .collect::<Vec<_>>()
    };
    // a's two codings meet at 10. All three cover both sides, but at 10 one of a's codings
    // ends and the next begins: the consensus keeps the two apart. Two of three cover 10
    // throughout (b and c), so the majority runs on; b's coding bridges the union.
    assert_eq!(spans("all"), [(8, 10), (10, 12)]);
    assert_eq!(spans("majority"), [(5, 15), (18, 20)]);
    assert_eq!(spans("any"), [(0, 20)]);
}

#[test]
fn merging_refuses_bad_requests_and_leaves_the_store_untouched() {
    let (f, _) = reference_project();
    let mut p = f.open();
    let before = (p.codings().unwrap(), p.store().audit_log().unwrap().len());
    let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let cases: Vec<(Vec<String>, &str, &str)> = vec![
        (
            names(&["ak"]),
            "consensus",
            "give at least 2 coders; got ak",
        ),
        (names(&[]), "consensus", "got none"),
        (names(&["ak", "zz"]), "consensus", "unknown coder `zz`"),
        (names(&["ak", "ak"]), "consensus", "named twice"),
        (names(&["ak", "rb"]), "ak", "one of the coders being merged"),
        (
            names(&["ak", "rb"]),
            " ",
            "name the coder the consensus is stored under",
        ),
    ];
    for (coders, into, message) in cases {
        let err = p
            .merge_coders("lead", &coders, into, MergeRule::Union, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains(message), "{coders:?} into {into}: {err}");
    }
    let err = "both".parse::<MergeRule>().unwrap_err().to_string();
    assert!(err.contains("union, intersection or majority"), "{err}");
    assert_eq!(
        (p.codings().unwrap(), p.store().audit_log().unwrap().len()),
        before
    );
}

fn cli_fixture() -> (Fixture, PathBuf) {
    let (f, _) = reference_project();
    let root = f.root().to_path_buf();
    (f, root)
}

#[test]
fn the_cli_prints_agreement_and_disagreements_and_merges_coders() {
    let (_f, root) = cli_fixture();
    let dir = root.to_str().unwrap();
    let (ok, out, err) = qualkit(&["agreement", dir, "--coders", "ak,rb"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("Character-level agreement of ak and rb"),
        "{out}"
    );
    assert!(out.contains("(overall)"), "{out}");
    let csv = root.join("agreement.csv");
    let (ok, _, err) = qualkit(&[
        "agreement",
        dir,
        "--coders",
        "ak,rb",
        "--code",
        "coh",
        "--by",
        "document",
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let t = Table::read_csv(&csv).unwrap();
    assert_eq!(texts(&t, "document"), ["c", "m"]);
    let (ok, out, err) = qualkit(&[
        "agreement",
        dir,
        "--coders",
        "ak,rb",
        "--unit",
        "segment",
        "--code",
        "learn",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("Segment-level agreement"), "{out}");

    let (ok, out, err) = qualkit(&[
        "disagreements",
        dir,
        "--coders",
        "ak,rb",
        "--code",
        "ctx.lead",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("drifted.") && out.contains("1 row × 10 columns"),
        "{out}"
    );

    for (args, message) in [
        (vec!["--coders", "ak"], "give exactly two coders"),
        (vec!["--coders", "ak,zz"], "unknown coder `zz`"),
        (
            vec!["--coders", "ak,rb", "--by", "case"],
            "use code or document",
        ),
        (
            vec!["--coders", "ak,rb", "--code", "nope"],
            "unknown code `nope`",
        ),
    ] {
        let mut full = vec!["agreement", dir];
        full.extend(args);
        let (ok, _, err) = qualkit(&full);
        assert!(!ok && err.contains(message), "{full:?}: {err}");
    }

    let merge = |rule: &str, extra: &[&str]| {
        let mut args = vec![
            "merge-coders",
            dir,
            "--coders",
            "ak,rb",
            "--into",
            "consensus",
            "--rule",
            rule,
        ];
        args.extend(extra);
        qualkit(&args)
    };
    let (ok, _, err) = merge("both", &[]);
    assert!(!ok && err.contains("not a merge rule"), "{err}");
    let (ok, out, err) = merge("union", &[]);
    assert!(ok, "{err}");
    assert!(out.contains("8 codings stored (0 replaced)"), "{out}");
    let (ok, _, err) = merge("union", &[]);
    assert!(!ok && err.contains("already has 8 codings"), "{err}");
    let (ok, out, err) = merge("intersection", &["--replace"]);
    assert!(ok, "{err}");
    assert!(out.contains("4 codings stored (8 replaced)"), "{out}");
    let (ok, out, _) = qualkit(&["log", dir]);
    assert!(ok);
    assert!(
        out.contains("tester") && out.contains("merge coders"),
        "{out}"
    );
}

const KRIPPENDORFF_CSV: &str = "unit,A,B,C,D
1,1,1,,1
2,2,2,3,2
3,3,3,3,3
4,3,3,3,3
5,2,2,2,2
6,1,2,3,4
7,4,4,4,4
8,1,1,2,1
9,2,2,2,2
10,,5,5,5
11,,,1,1
12,,3,,
";

#[test]
fn reliability_reads_labelled_units_from_csv() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ratings.csv");
    std::fs::write(&file, KRIPPENDORFF_CSV).unwrap();
    let ratings = Ratings::read_csv(&file, None, &[]).unwrap();
    assert_eq!(ratings.coders, ["A", "B", "C", "D"]);
    assert_eq!(ratings.units.len(), 12);
    let reference = reference();
    let worked = &reference["alpha"][0];
    let t = ratings.report().unwrap();
    let measures = texts(&t, "measure");
    let alpha_row = measures
        .iter()
        .position(|m| m.starts_with("Krippendorff"))
        .unwrap();
    assert_close(
        number(t.cell(alpha_row, "value").unwrap()),
        float(&worked["alpha"]),
        "alpha from CSV",
    );
    assert_eq!(number(t.cell(alpha_row, "units").unwrap()), 11.0);
    // Six pairs of coders, each with percent agreement and kappa.
    assert_eq!(measures.iter().filter(|m| *m == "Cohen's kappa").count(), 6);

    let out = dir.path().join("report.csv");
    let (ok, shown, err) = qualkit(&[
        "reliability",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(
        shown.contains("Agreement of 4 coders on 12 units"),
        "{shown}"
    );
    assert!(shown.contains("0.74"), "{shown}");
    assert!(out.exists());

    // `NA` as missing, with a named unit column.
    std::fs::write(&file, "id,x,y\na,yes,yes\nb,no,NA\nc,no,no\nd,yes,no\n").unwrap();
    let r = Ratings::read_csv(&file, Some("id"), &["NA".to_string()]).unwrap();
    assert_eq!(r.unit_names, ["a", "b", "c", "d"]);
    assert_eq!(r.units[1], [Some("no".to_string()), None]);
}

#[test]
fn broken_ratings_files_get_errors_naming_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ratings.csv");
    let cases: Vec<(&[u8], &str)> = vec![
        (b"", "the file is empty"),
        (b"unit,a\n1,x\n", "at least two coder columns"),
        (b"a,b\n", "no units"),
        (b"a,a\nx,y\n", "names coder `a` twice"),
        (b"a,,b\nx,y,z\n", "column 2 of the header has no name"),
        (b"a,b\nx,y\nx,y,z\n", ":3:"),
        (
            b"unit,a,b\n1,x,y\n1,y,y\n",
            "unit `1` also appears on line 2",
        ),
        (b"a,b\nx,\xff\n", "invalid UTF-8"),
    ];
    for (content, message) in cases {
        std::fs::write(&file, content).unwrap();
        let err = Ratings::read_csv(&file, None, &[]).unwrap_err().to_string();
        assert!(
            err.contains(message) && err.contains("ratings.csv"),
            "{:?}: {err}",
            String::from_utf8_lossy(content)
        );
    }
    std::fs::write(&file, "a,b\nx,y\n").unwrap();
    let err = Ratings::read_csv(&file, Some("unit"), &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing column `unit`"), "{err}");
    let (ok, _, err) = qualkit(&["reliability", dir.path().join("none.csv").to_str().unwrap()]);
    assert!(!ok && err.contains("none.csv"), "{err}");
}

fn script(root: &Path, code: &str) -> Result<String, String> {
    let mut s = Session::new(root, Limits::default());
    let code = format!("let p = project({:?});\n{code}", root.display().to_string());
    s.eval(&code, "test.rhai")
        .map(|v| qualkit::script::render_text(&v))
        .map_err(|e| e.to_string())
}

#[test]
fn scripts_reach_every_agreement_function() {
    let (f, reference) = reference_project();
    let root = f.root();
    let case = &reference["kappa"][0];
    let code = format!(
        r#"
        let k = kappa({a}, {b});
        if (k - {kappa}).abs() > 0.0000005 {{ throw `kappa ${{k}}`; }}
        let pa = percent_agreement({a}, {b});
        if (pa - {percent}).abs() > 0.0000005 {{ throw `percent ${{pa}}`; }}
        if kappa(["x", "x"], ["x", "x"]) != () {{ throw "undefined kappa"; }}
        let units = [["1", "1", (), "1"], ["2", "2", "3", "2"], ["3", "3", "3", "3"], ["3", "3", "3", "3"],
                     ["2", "2", "2", "2"], ["1", "2", "3", "4"], ["4", "4", "4", "4"], ["1", "1", "2", "1"],
                     ["2", "2", "2", "2"], [(), "5", "5", "5"], [(), (), "1", "1"], [(), "3", (), ()]];
        let a = alpha(units);
        if (a - {alpha}).abs() > 0.0000005 {{ throw `alpha ${{a}}`; }}
        let numbers = alpha([[1, 1], [2, 2], [1, 2]]);
        if reliability(units).rows != 14 {{ throw "reliability"; }}
        percent_agreement(units);

        let t = p.agreement("ak", "rb");
        if t.column("code") != ["coh.diff", "coh.comm", "ctx.lead", "learn", "(overall)"] {{ throw "codes"; }}
        let coh = p.agreement("ak", "rb", "coh");
        if (coh.cell(0, "kappa") - {coh_kappa}).abs() > 0.0000005 {{ throw `coh ${{coh.cell(0, "kappa")}}`; }}
        let by_doc = p.agreement("ak", "rb", #{{codes: ["coh", "learn"], by: "document"}});
        if by_doc.rows != 4 {{ throw `by document ${{by_doc.rows}}`; }}
        let seg = p.agreement("ak", "rb", #{{codes: "ctx.lead", unit: "segment", min_overlap: 0.9}});
        if seg.cell(0, "partial") != 1 {{ throw "segment"; }}
        let d = p.disagreements("ak", "rb", "coh.diff");
        if d.column("text")[0] != ", that was the attraction." {{ throw "disagreements"; }}
        if p.disagreements("ak", "rb", ["ctx.lead"], "c").rows != 1 {{ throw "in document"; }}
        if p.disagreements("ak", "rb").rows < 4 {{ throw "all disagreements"; }}
        p.coder = "lead";
        let merged = p.merge_coders(["ak", "rb"], "consensus", "union");
        if merged.added != 8 {{ throw `merged ${{merged}}`; }}
        let again = p.merge_coders(["ak", "rb"], "consensus", "majority", true);
        if again.replaced != 8 || again.added != 4 {{ throw `again ${{again}}`; }}
        numbers
        "#,
        a = case["first"],
        b = case["second"],
        kappa = case["kappa"],
        percent = case["percent_agreement"],
        alpha = reference["alpha"][0]["alpha"],
        coh_kappa = reference["character"]["codes"][2]["kappa"],
    );
    let shown = script(root, &code).unwrap();
    assert!(!shown.is_empty());
    assert_eq!(reference["character"]["codes"][2]["code"], "coh");
    let p = f.open();
    let last = p.store().audit_log().unwrap().pop().unwrap();
    assert_eq!(
        (last.coder.as_str(), last.action.as_str()),
        ("lead", "merge coders")
    );

    for (call, message) in [
        ("kappa([\"a\"], [\"a\", \"b\"])", "differ in length"),
        ("alpha([[\"a\"], [\"b\"]])", "at least two coders"),
        (
            "alpha([\"a\", \"b\"])",
            "unit 1 is string, not a list of labels",
        ),
        ("percent_agreement([], [])", "no units given"),
        ("p.agreement(\"ak\", \"zz\")", "unknown coder `zz`"),
        (
            "p.agreement(\"ak\", \"rb\", #{colour: 1})",
            "unknown option `colour`",
        ),
        (
            "p.agreement(\"ak\", \"rb\", 3)",
            "codes must be a code or a list of codes",
        ),
        (
            "p.merge_coders([\"ak\"], \"x\", \"union\")",
            "at least 2 coders",
        ),
        ("reliability(3)", "give a CSV file name or a list of units"),
    ] {
        let err = script(root, call).unwrap_err();
        assert!(
            err.contains(message) && err.contains("test.rhai:2:"),
            "{call}: {err}"
        );
    }
    let help = Session::new(root, Limits::default())
        .help("merge_coders")
        .unwrap();
    assert!(help.contains("consensus"), "{help}");
}

#[test]
fn codings_of_edited_or_removed_documents_do_not_break_agreement() {
    let f = Fixture::new();
    f.write(
        "m.txt",
        transcript("Magenta", &[], "One two three four five six seven.\n"),
    );
    f.write("c.txt", transcript("Cobalt", &[], "Alpha beta gamma.\n"));
    let mut p = f.open();
    for (coder, doc, start, end) in [("ak", "m", 0, 30), ("rb", "m", 4, 34), ("ak", "c", 0, 10)] {
        p.code(coder, doc, "learn", &Span::Offsets { start, end })
            .unwrap();
    }
    drop(p);
    // The transcript is cut short after coding, and the other one removed.
    f.write("m.txt", transcript("Magenta", &[], "One two three.\n"));
    std::fs::remove_file(f.root().join("transcripts/c.txt")).unwrap();
    let mut p = f.open();
    // None of the three has a place any more: the words under m's codings are gone (they
    // are detached) and c is gone. They are kept and reported, and agreement leaves them out
    // instead of comparing whatever words now sit at their old offsets.
    assert_eq!(p.unplaced_codings().unwrap().len(), 3);
    let notes = p.take_notes();
    assert!(notes.iter().any(|n| n.contains("2 detached")), "{notes:?}");
    assert!(
        notes
            .iter()
            .any(|n| n.contains("1 of 3 codings do not fit")),
        "{notes:?}"
    );
    let err = SpanComparison::new(&p, "ak", "rb")
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("no codings by them"), "{err}");
    let kept = std::fs::read_to_string(f.root().join("codings/ak.csv")).unwrap();
    assert_eq!(kept.lines().count(), 3, "{kept}");
}
