//! The command line as a user types it.

use crate::common::{Fixture, qualkit, transcript};

#[test]
fn new_import_code_info_and_log() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("study");
    let d = dir.to_str().unwrap();
    let (ok, out, err) = qualkit(&["new", d, "--codebook", "npt", "--name", "My study"]);
    assert!(ok, "{err}");
    assert!(out.contains("Created project `My study`"));
    std::fs::write(dir.join("cases.csv"), "case,integration\nMagenta,FIP\n").unwrap();
    let src = tmp.path().join("interview.txt");
    std::fs::write(
        &src,
        transcript(
            "Magenta",
            &[("Dr Reid", "GP")],
            "Dr Reid: We all understand what the link worker is for.\n",
        ),
    )
    .unwrap();
    let (ok, out, err) = qualkit(&["import", d, src.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("imported"));
    let (ok, _, err) = qualkit(&["import", d, src.to_str().unwrap()]);
    assert!(!ok && err.contains("--overwrite"), "{err}");
    let (ok, out, err) = qualkit(&[
        "code",
        d,
        "interview",
        "NPT/Coherence/Communal specification",
        "--quote",
        "We all understand",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("by tester"), "{out}");
    let (ok, out, _) = qualkit(&["info", d]);
    assert!(ok);
    for expected in ["My study", "1 documents", "interview", "GP", "tester"] {
        assert!(out.contains(expected), "missing {expected} in\n{out}");
    }
    let (ok, out, _) = qualkit(&["log", d]);
    assert!(ok && out.contains("code") && out.contains("tester"));
    let (ok, out, _) = qualkit(&["segments", d, "--code", "NPT"]);
    assert!(
        ok && out.contains("We all understand") && out.contains("1 segments"),
        "{out}"
    );
}

#[test]
fn importing_a_file_with_an_unknown_case_copies_nothing() {
    let f = Fixture::new();
    let good = f.root().join("good.txt");
    let bad = f.root().join("bad.txt");
    std::fs::write(&good, transcript("Magenta", &[], "A: hi\n")).unwrap();
    std::fs::write(&bad, transcript("Teal", &[], "A: hi\n")).unwrap();
    let (ok, _, err) = qualkit(&[
        "import",
        f.root().to_str().unwrap(),
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("unknown case `Teal`"), "{err}");
    assert!(!f.root().join("transcripts/good.txt").exists());
}

#[test]
fn errors_are_one_clear_line_not_a_panic() {
    let f = Fixture::new();
    f.write("m.txt", transcript("Magenta", &[], "A: hello there\n"));
    let root = f.root().to_str().unwrap();
    let (ok, _, err) = qualkit(&["code", root, "m", "learn", "--quote", "goodbye"]);
    assert!(!ok);
    assert!(err.starts_with("error: quote not found in `m`"), "{err}");
    assert!(!err.contains("panicked"));
    let (ok, _, err) = qualkit(&["info", "/nonexistent/place"]);
    assert!(!ok && err.contains("not a qualkit project"), "{err}");
}

#[test]
fn a_transcript_without_front_matter_is_imported_with_metadata_from_flags() {
    let f = Fixture::new();
    let raw = f.root().join("otter-export.txt");
    std::fs::write(
        &raw,
        "Dr Reid (00:00:03): It has changed how we work.\r\nAnn (00:00:09): It has.\r\n",
    )
    .unwrap();
    let root = f.root().to_str().unwrap();
    let (ok, _, err) = qualkit(&["import", root, raw.to_str().unwrap()]);
    assert!(!ok && err.contains("no `case:` given"), "{err}");
    let (ok, _, err) = qualkit(&[
        "import",
        root,
        raw.to_str().unwrap(),
        "--case",
        "Cobalt",
        "--method",
        "interview",
        "--phase",
        "P3",
    ]);
    assert!(ok, "{err}");
    let p = f.open();
    let doc = p.document("otter-export").unwrap();
    assert_eq!(
        (doc.case.as_str(), doc.method.as_str(), doc.phase.as_str()),
        ("Cobalt", "interview", "P3")
    );
    assert_eq!(doc.turns.len(), 2);
    assert_eq!(doc.turns[1].timestamp.as_deref(), Some("00:00:09"));
    assert_eq!(
        doc.slice(doc.turns[0].start, doc.turns[0].end),
        Some("It has changed how we work.")
    );
}

#[test]
fn kernel_install_writes_a_kernel_spec_jupyter_can_start() {
    let prefix = tempfile::tempdir().unwrap();
    let (ok, stdout, stderr) = qualkit(&[
        "kernel",
        "install",
        "--prefix",
        prefix.path().to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let dir = prefix.path().join("share/jupyter/kernels/qualkit");
    assert!(stdout.contains(&dir.display().to_string()), "{stdout}");
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("kernel.json")).unwrap()).unwrap();
    assert_eq!(spec["display_name"], "qualkit (Rhai)");
    assert_eq!(spec["language"], "rhai");
    // Without message-mode interrupts, Jupyter would signal the process and end it.
    assert_eq!(spec["interrupt_mode"], "message");
    let argv: Vec<&str> = spec["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(argv[0], env!("CARGO_BIN_EXE_qualkit"));
    assert_eq!(
        argv[1..],
        ["kernel", "--connection-file", "{connection_file}"]
    );

    let (ok, _, stderr) = qualkit(&["kernel"]);
    assert!(!ok && stderr.contains("--connection-file"), "{stderr}");
    let broken = prefix.path().join("connection.json");
    std::fs::write(&broken, "{ not json").unwrap();
    let (ok, _, stderr) = qualkit(&["kernel", "--connection-file", broken.to_str().unwrap()]);
    assert!(
        !ok && stderr.contains("not a Jupyter connection file"),
        "{stderr}"
    );
}

#[test]
fn new_keeps_a_cases_file_that_is_already_there() {
    let dir = tempfile::tempdir().unwrap();
    let study = dir.path().join("study");
    std::fs::create_dir_all(&study).unwrap();
    std::fs::write(study.join("cases.csv"), "case,integration\nMagenta,FIP\n").unwrap();
    let (ok, _, stderr) = qualkit(&["new", study.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert_eq!(
        std::fs::read_to_string(study.join("cases.csv")).unwrap(),
        "case,integration\nMagenta,FIP\n"
    );
}

/// `qualkit new DIR` names the project after its folder, and with no coder named anywhere
/// (no `$USER`, as in containers and CI) work is recorded under the account's name.
#[test]
fn a_new_project_is_named_by_its_folder_and_an_unnamed_coder_is_the_account() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("deep-end-study");
    let d = dir.to_str().unwrap();
    let (ok, _, err) = qualkit(&["new", d]);
    assert!(ok, "{err}");
    let config = std::fs::read_to_string(dir.join("qualkit.toml")).unwrap();
    assert!(config.contains("name = \"deep-end-study\""), "{config}");
    std::fs::write(dir.join("cases.csv"), "case,integration\nMagenta,FIP\n").unwrap();
    let src = tmp.path().join("i.txt");
    std::fs::write(&src, transcript("Magenta", &[], "A: We all talk now.\n")).unwrap();
    let (ok, _, err) = qualkit(&["import", d, src.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (ok, _, err) = qualkit(&["codebook", d, "add", "Talk"]);
    assert!(ok, "{err}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_qualkit"))
        .args(["code", d, "i", "Talk", "--quote", "We all talk"])
        .env_remove("QUALKIT_CODER")
        .env_remove("USER")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The account the tests run as (root in CI containers, a person elsewhere).
    let account = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    let account = String::from_utf8_lossy(&account.stdout).trim().to_string();
    assert!(stdout.contains(&format!("by {account}")), "{stdout}");
}
