//! The bundled sample project opens cleanly and holds what its README promises.

use std::path::Path;

use crate::common::copy_dir;

#[test]
fn the_deep_end_sample_builds_its_store_from_the_committed_codings() {
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("deep-end");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("data/deep-end"),
        &copy,
    );
    let p = qualkit::Project::open(&copy).expect("sample opens");
    let s = p.summary().unwrap();
    assert!(s.documents >= 60, "{} documents", s.documents);
    assert!(s.words >= 40_000, "{} words", s.words);
    assert_eq!(p.cases.len(), 7);
    let coders: Vec<&str> = s.codings_by_coder.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(coders, ["ak", "rb"]);
    assert!(s.warnings.is_empty(), "{:#?}", s.warnings);
    for method in ["focus_group", "interview", "email_survey"] {
        assert!(
            s.documents_by_method_phase.keys().any(|(m, _)| m == method),
            "{method}"
        );
    }
    for phase in ["P1", "P2", "P3", "P4"] {
        assert!(
            s.documents_by_method_phase.keys().any(|(_, p)| p == phase),
            "{phase}"
        );
    }
}
