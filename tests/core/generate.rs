//! The generated corpus behind the benchmarks: it opens as a project, its codings by two
//! coders load without clashes and mostly agree, and the same seed gives the same files.

use qualkit::Project;
use qualkit::analysis::Analysis;

use crate::common::qualkit;

fn generate(dir: &std::path::Path, seed: &str) {
    let (ok, out, err) = qualkit(&[
        "gen-corpus",
        "--docs",
        "6",
        "--doc-bytes",
        "20000",
        "--codings",
        "1200",
        "--seed",
        seed,
        dir.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("wrote 6 transcripts"), "{out}");
}

#[test]
fn gen_corpus_writes_a_project_coded_by_two_coders_who_mostly_agree() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("corpus");
    generate(&root, "7");
    let project = Project::open(&root).expect("the generated project opens");
    let transcripts = project
        .documents()
        .iter()
        .filter(|d| d.method != "email_survey")
        .count();
    assert_eq!(transcripts, 6);
    assert!(
        project.documents().len() > 6,
        "survey answers are documents too"
    );
    assert!(
        project.documents().iter().all(|d| !d.turns.is_empty()),
        "every document has speakers"
    );

    // Every generated coding was stored: none overlapped its coder's own of the same code.
    let by_coder = project.store().codings_by_coder().unwrap();
    let rows = |coder: &str| {
        std::fs::read_to_string(root.join("codings").join(format!("{coder}.csv")))
            .unwrap()
            .lines()
            .count()
            - 1
    };
    assert_eq!(
        by_coder,
        [
            ("ak".to_string(), rows("ak")),
            ("rb".to_string(), rows("rb"))
        ]
    );
    let total: usize = by_coder.iter().map(|(_, n)| n).sum();
    assert!(
        (1000..=1400).contains(&total),
        "about 1200 codings: {total}"
    );

    // Most of the second coder's codings overlap the first coder's of the same code.
    let codings = project.codings().unwrap();
    let (ak, rb): (Vec<_>, Vec<_>) = codings.iter().partition(|c| c.coder == "ak");
    let shared = rb
        .iter()
        .filter(|b| {
            ak.iter().any(|a| {
                a.document == b.document && a.code == b.code && a.start < b.end && b.start < a.end
            })
        })
        .count();
    let share = shared as f64 / rb.len() as f64;
    assert!(
        (0.7..0.9).contains(&share),
        "{shared} of {} shared",
        rb.len()
    );
    let analysis = Analysis::new(&project, None).unwrap();
    assert_eq!(analysis.coding_count(), codings.len());

    // The dictionary beside the project: 500 distinct terms over the 50 codes.
    let dictionary = std::fs::read_to_string(root.join("dictionary.csv")).unwrap();
    let terms: std::collections::HashSet<&str> = dictionary
        .lines()
        .skip(1)
        .map(|l| l.split_once(',').unwrap().1)
        .collect();
    assert_eq!(terms.len(), 500);
}

#[test]
fn gen_corpus_is_deterministic_and_refuses_an_existing_project() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    generate(&a, "3");
    generate(&b, "3");
    for file in [
        "transcripts/doc000004.txt",
        "transcripts/survey_p2.csv",
        "codings/rb.csv",
    ] {
        assert_eq!(
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
            "{file}"
        );
    }
    let (ok, _, err) = qualkit(&["gen-corpus", "--docs", "1", a.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("a project already exists here"), "{err}");
}

/// A store of over 100,000 codings is read in parallel parts; the index must hold exactly
/// what one pass over every coding gives, coders and all.
#[test]
fn a_large_store_read_in_parts_indexes_every_coding_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("corpus");
    let (ok, _, err) = qualkit(&[
        "gen-corpus",
        "--docs",
        "40",
        "--doc-bytes",
        "50000",
        "--codings",
        "110000",
        root.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    // A third coder stored first, so that the parts see the coders in different orders.
    std::fs::write(
        root.join("codings").join("a-third.csv"),
        "coder,document,code,start,end\nzz,doc000000,g0.c0,0,40\nzz,doc000001,g2.c5,10,90\n",
    )
    .unwrap();
    let project = Project::open(&root).unwrap();
    let codings = project.codings().unwrap();
    assert!(codings.len() > 100_000, "{} codings", codings.len());
    let in_parts = Analysis::new(&project, None).unwrap();
    let in_one = Analysis::from_codings(&project, &codings, None);
    assert_eq!(in_parts.coding_count(), codings.len());
    let mut coders = in_parts.coders().to_vec();
    coders.sort();
    assert_eq!(coders, ["ak", "rb", "zz"]);
    for code in ["g0.c0", "g2.c5", "g4.c9", "g3"] {
        let named = |a: &Analysis, p: &qualkit::analysis::Passage| {
            let mut names: Vec<String> = a
                .coders()
                .iter()
                .enumerate()
                .filter(|(i, _)| p.coders & (1 << i) != 0)
                .map(|(_, c)| c.clone())
                .collect();
            names.sort();
            (p.doc, p.start, p.end, names)
        };
        let parts: Vec<_> = in_parts
            .passages(code)
            .unwrap()
            .iter()
            .map(|p| named(&in_parts, p))
            .collect();
        let one: Vec<_> = in_one
            .passages(code)
            .unwrap()
            .iter()
            .map(|p| named(&in_one, p))
            .collect();
        assert!(!one.is_empty());
        assert_eq!(parts, one, "passages of {code}");
    }
}
