//! The bundled sample project opens cleanly and holds what its README promises.

use std::path::Path;

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

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        // The working store may be in use by another test; the copy builds its own.
        if entry.file_name() == ".qualkit" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
