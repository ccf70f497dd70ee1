//! The command line as a user types it.

use crate::common::{Fixture, qualkit, record_files, transcript};

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

/// issue 14: `import` says which speakers and turns it found in each document, and
/// `--dry-run` shows the same (and the survey rows it would skip) without writing anything.
#[test]
fn import_shows_speakers_and_turns_and_a_dry_run_writes_nothing() {
    let f = Fixture::new();
    let d = f.root().to_str().unwrap();
    let src = f.root().join("fg.txt");
    std::fs::write(
        &src,
        transcript(
            "Magenta",
            &[("Facilitator", "researcher"), ("Ann", "GP"), ("Bo", "PM")],
            "[00:00:05] Facilitator: Welcome.\n[00:00:09] Ann: Thanks.\nAnn & Bo: Hello.\nFacilitator: Shall we?\n",
        ),
    )
    .unwrap();
    let survey = f.root().join("answers.csv");
    std::fs::write(
        &survey,
        "id,case,respondent,answer\n1,Magenta,Ann,Weekly huddles.\n2,Cobalt,Cy,N/A\n3,Cobalt,Di,\n",
    )
    .unwrap();
    // A project with a document in it already, so that the cache and record exist.
    f.write("m0.txt", transcript("Magenta", &[], "Ann: Earlier.\n"));
    let (ok, _, err) = qualkit(&["info", d]);
    assert!(ok, "{err}");
    let before = record_files(f.root());

    let (ok, out, err) = qualkit(&[
        "import",
        d,
        src.to_str().unwrap(),
        survey.to_str().unwrap(),
        "--dry-run",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("fg (case Magenta): Facilitator (2 turns), Ann (1 turn), Ann & Bo (1 turn)"),
        "{out}"
    );
    assert!(out.contains("would import"), "{out}");
    assert!(out.contains("1 answer (1 with a respondent named"), "{out}");
    assert!(
        out.contains("skipped 2 rows without an answer: 1 × non-answer \"N/A\", 1 × empty answer (lines 3, 4;"),
        "{out}"
    );
    assert!(out.contains("dry run: nothing was written"), "{out}");
    assert_eq!(
        record_files(f.root()),
        before,
        "a dry run changed the project"
    );

    let (ok, out, err) = qualkit(&["import", d, src.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(
        out.contains("imported ")
            && out.contains("Facilitator (2 turns), Ann (1 turn), Ann & Bo (1 turn)"),
        "{out}"
    );
    assert!(f.root().join("transcripts/fg.txt").exists());
}

/// issue 14: `--codebook npt` wrote the sample study's index (link worker, CLP).
#[test]
fn new_with_the_npt_codebook_is_generic_npt_with_optional_manual_contexts() {
    let tmp = tempfile::tempdir().unwrap();
    let npt = tmp.path().join("npt");
    let (ok, _, err) = qualkit(&["new", npt.to_str().unwrap(), "--codebook", "npt"]);
    assert!(ok, "{err}");
    let text = std::fs::read_to_string(npt.join("codebook.yaml")).unwrap();
    for word in ["link worker", "CLP", "programme", "patient.", "level."] {
        assert!(!text.contains(word), "the generic codebook mentions {word}");
    }
    let (ok, out, err) = qualkit(&["info", npt.to_str().unwrap()]);
    assert!(ok && out.contains("codebook 21 codes"), "{out}{err}");
    let p = qualkit::Project::open(&npt).unwrap();
    let constructs = [
        "coherence",
        "cognitive-participation",
        "collective-action",
        "reflexive-monitoring",
    ];
    for construct in constructs {
        let code = p.codebook.get(&format!("npt.{construct}")).unwrap();
        assert_eq!(code.children.len(), 4, "{construct}");
        assert_eq!(code.parent.as_deref(), Some("npt"));
    }
    // Every id the teaching material uses (the npt module, the exercises) is in it.
    let stdlib = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("stdlib/npt.rhai"),
    )
    .unwrap();
    let ids: Vec<&str> = stdlib
        .split("id: \"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|id| id.starts_with("npt"))
        .collect();
    assert_eq!(ids.len(), 21, "{ids:?}");
    for id in ids {
        assert!(
            p.codebook.resolve(id).is_ok(),
            "{id} is not in the codebook"
        );
    }
    drop(p);

    let manual = tmp.path().join("manual");
    let (ok, _, err) = qualkit(&["new", manual.to_str().unwrap(), "--codebook", "npt-manual"]);
    assert!(ok, "{err}");
    let p = qualkit::Project::open(&manual).unwrap();
    assert_eq!(p.codebook.codes().len(), 31);
    for id in [
        "npt-context.strategic-intentions",
        "npt-context.adaptive-execution",
        "npt-context.negotiating-capability",
        "npt-context.reframing-organisational-logics",
        "npt-outcome.intervention-mobilisation",
        "npt-outcome.normative-restructuring",
        "npt-outcome.relational-restructuring",
        "npt-outcome.sustainment",
    ] {
        assert!(p.codebook.resolve(id).is_ok(), "{id}");
    }
    let (ok, _, err) = qualkit(&[
        "new",
        tmp.path().join("x").to_str().unwrap(),
        "--codebook",
        "nptt",
    ]);
    assert!(!ok && err.contains("npt, npt-manual or empty"), "{err}");
}
