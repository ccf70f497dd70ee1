//! Correcting work as a researcher does: transcripts corrected after coding, codings looked
//! at and undone, the codebook and memos edited.

use std::path::Path;

use crate::common::{Fixture, qualkit, transcript};

const BODY: &str = "Interviewer: How did the clinic start?\n\n\
Dr Reid: The shared learning afternoon changed us. We talk now, which we never did.\n\n\
Ann: The link worker came in March. Patients liked her at once.\n\n\
Dr Reid: Funding was the worry. Nobody knew if it would last past the pilot year.\n";

fn interview(body: &str) -> String {
    transcript(
        "Magenta",
        &[
            ("Interviewer", "researcher"),
            ("Dr Reid", "GP"),
            ("Ann", "CLP"),
        ],
        body,
    )
}

/// A project with one interview coded three times by `ak`; returns the three coding ids.
fn coded() -> (Fixture, Vec<String>) {
    let f = Fixture::new();
    f.write("clinic.txt", interview(BODY));
    let root = f.root().to_str().unwrap().to_string();
    let mut ids = Vec::new();
    for (code, quote) in [
        ("learn", "The shared learning afternoon changed us."),
        (
            "coh.comm",
            "The link worker came in March. Patients liked her at once.",
        ),
        ("ctx", "Funding was the worry."),
    ] {
        let (ok, out, err) = qualkit(&[
            "code", &root, "clinic", code, "--quote", quote, "--coder", "ak",
        ]);
        assert!(ok, "{err}");
        ids.push(
            out.split_whitespace()
                .nth(1)
                .unwrap()
                .trim_end_matches(':')
                .to_string(),
        );
    }
    (f, ids)
}

/// `codings/ak.csv` as rows of fields.
fn rows(root: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_path(root.join("codings/ak.csv")).unwrap();
    reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// The row of coding `id`: (start, end, quote), start and end empty when detached.
fn row_of(root: &Path, id: &str) -> (String, String, String) {
    let row = rows(root)
        .into_iter()
        .find(|r| r[0] == id)
        .unwrap_or_else(|| panic!("coding {id} is in codings/ak.csv"));
    (row[4].clone(), row[5].clone(), row[6].clone())
}

/// The text at code points `start..end` of the project's copy of the transcript's body.
fn text_at(root: &Path, start: &str, end: &str) -> String {
    let project = qualkit::Project::open(root).unwrap();
    let doc = project.document("clinic").unwrap();
    doc.slice(start.parse().unwrap(), end.parse().unwrap())
        .unwrap()
        .to_string()
}

#[test]
fn reimporting_a_corrected_transcript_moves_codings_with_their_words_and_says_so() {
    let (f, ids) = coded();
    let root = f.root().to_str().unwrap();
    let corrected = f.root().join("clinic.txt");
    std::fs::write(
        &corrected,
        interview(&BODY.replace(
            "How did the clinic start?",
            "How did the clinic start, and who started it?",
        )),
    )
    .unwrap();
    let (ok, out, err) = qualkit(&["import", root, corrected.to_str().unwrap(), "--overwrite"]);
    assert!(ok, "{err}");
    assert!(out.contains("imported"), "{out}");
    assert!(
        err.contains(
            "codings were re-anchored: 0 unchanged, 3 moved, 0 with changed text, 0 detached"
        ),
        "{err}"
    );
    for id in &ids {
        assert!(err.contains(id.as_str()), "{id} listed in\n{err}");
    }
    let (start, end, quote) = row_of(f.root(), &ids[1]);
    assert_eq!(
        quote,
        "The link worker came in March. Patients liked her at once."
    );
    assert_eq!(text_at(f.root(), &start, &end), quote);
    let (ok, out, _) = qualkit(&["log", root]);
    assert!(ok && out.contains("re-anchor"), "{out}");
    // Opening again finds nothing more to do.
    let (ok, _, err) = qualkit(&["info", root]);
    assert!(ok && !err.contains("re-anchored"), "{err}");
}

#[test]
fn a_transcript_edited_on_disk_is_followed_when_the_project_is_next_opened() {
    let (f, ids) = coded();
    let root = f.root().to_str().unwrap();
    let file = f.root().join("transcripts/clinic.txt");
    let edited = std::fs::read_to_string(&file)
        .unwrap()
        .replace("Patients liked her at once", "Patients trusted her at once")
        .replace(
            "Dr Reid: The shared learning afternoon changed us. We talk now, which we never did.\n\n",
            "",
        );
    std::fs::write(&file, edited).unwrap();
    let (ok, out, err) = qualkit(&["info", root]);
    assert!(ok, "{err}");
    assert!(
        err.contains("0 unchanged, 1 moved, 1 with changed text, 1 detached"),
        "{err}"
    );
    // The detached coding is kept, with its quote, and shown.
    let (start, end, quote) = row_of(f.root(), &ids[0]);
    assert_eq!((start.as_str(), end.as_str()), ("", ""));
    assert_eq!(quote, "The shared learning afternoon changed us.");
    assert!(out.contains(&ids[0]) && out.contains("detached"), "{out}");
    // The edited one covers the edited words.
    let (start, end, quote) = row_of(f.root(), &ids[1]);
    assert_eq!(
        quote,
        "The link worker came in March. Patients trusted her at once."
    );
    assert_eq!(text_at(f.root(), &start, &end), quote);
    // Deleting the cache changes none of it.
    let before = std::fs::read(f.root().join("codings/ak.csv")).unwrap();
    std::fs::remove_dir_all(f.root().join(".qualkit")).unwrap();
    let (ok, out, err) = qualkit(&["info", root]);
    assert!(ok && out.contains("detached"), "{err}");
    assert_eq!(
        std::fs::read(f.root().join("codings/ak.csv")).unwrap(),
        before
    );
    // Putting the passage back brings the detached coding back to it.
    let restored = std::fs::read_to_string(&file).unwrap().replace(
        "Ann: The link worker",
        "Dr Reid: The shared learning afternoon changed us. We talk now, which we never did.\n\nAnn: The link worker",
    );
    std::fs::write(&file, restored).unwrap();
    let (ok, _, err) = qualkit(&["info", root]);
    assert!(ok, "{err}");
    let (start, end, _) = row_of(f.root(), &ids[0]);
    assert_eq!(
        text_at(f.root(), &start, &end),
        "The shared learning afternoon changed us."
    );
}

#[test]
fn detached_codings_do_not_block_exports_and_are_counted_by_info() {
    let (f, _) = coded();
    let root = f.root().to_str().unwrap();
    let file = f.root().join("transcripts/clinic.txt");
    let edited = std::fs::read_to_string(&file)
        .unwrap()
        .replace("Funding was the worry. ", "");
    std::fs::write(&file, edited).unwrap();
    let out_file = f.root().join("all.csv");
    let (ok, out, err) = qualkit(&["export", root, out_file.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("1 detached"), "{out}");
    let exported = std::fs::read_to_string(out_file).unwrap();
    assert!(!exported.contains("Funding was the worry"));
}

/// Every record file but the log, byte for byte.
fn record_bytes(root: &Path) -> std::collections::BTreeMap<String, String> {
    let mut files = std::collections::BTreeMap::new();
    for name in [
        "codebook.yaml",
        "memos.csv",
        "summaries.csv",
        "classifications.csv",
    ] {
        if let Ok(bytes) = std::fs::read(root.join(name)) {
            files.insert(name.to_string(), String::from_utf8(bytes).unwrap());
        }
    }
    if let Ok(entries) = std::fs::read_dir(root.join("codings")) {
        for entry in entries.flatten() {
            let name = format!("codings/{}", entry.file_name().to_string_lossy());
            files.insert(name, std::fs::read_to_string(entry.path()).unwrap());
        }
    }
    files
}

/// The id of the last log entry.
fn last_entry(root: &str) -> String {
    let (ok, out, err) = qualkit(&["log", root, "--json"]);
    assert!(ok, "{err}");
    let last: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    last["id"].as_str().unwrap().to_string()
}

/// Runs a command, then reverts its entry, and checks the record files are as before, byte
/// for byte; then reverts the revert and checks they are as after the command.
fn undone_exactly(root: &str, what: &str, args: &[&str]) {
    let dir = Path::new(root);
    let before = record_bytes(dir);
    let (ok, _, err) = qualkit(args);
    assert!(ok, "{what}: {err}");
    let after = record_bytes(dir);
    assert_ne!(before, after, "{what} changes the record");
    let entry = last_entry(root);
    let (ok, out, err) = qualkit(&["revert", root, &entry[..8], "--coder", "ak"]);
    assert!(ok, "{what}: revert: {err}");
    assert!(out.contains("reverted"), "{out}");
    assert_eq!(record_bytes(dir), before, "{what}: reverted");
    let (ok, _, err) = qualkit(&["revert", root, &entry, "--coder", "ak"]);
    assert!(!ok && err.contains("reverted already"), "{what}: {err}");
    let redo = last_entry(root);
    let (ok, _, err) = qualkit(&["revert", root, &redo, "--coder", "ak"]);
    assert!(ok, "{what}: revert of the revert: {err}");
    assert_eq!(record_bytes(dir), after, "{what}: redone");
    // The cache agrees: rebuilt from the files it gives the same.
    std::fs::remove_dir_all(dir.join(".qualkit")).unwrap();
    let (ok, _, err) = qualkit(&["info", root]);
    assert!(ok && !err.contains("re-anchored"), "{err}");
    assert_eq!(record_bytes(dir), after, "{what}: after a rebuild");
}

#[test]
fn reverting_any_entry_gives_back_the_files_as_they_were() {
    let (f, ids) = coded();
    let root = f.root().to_str().unwrap();
    let codings = f.root().join("more.csv");
    std::fs::write(
        &codings,
        "coder,document,code,quote,memo\nrb,clinic,learn,We talk now,rb saw this too\nrb,clinic,ctx,Funding was the worry.,\n",
    )
    .unwrap();
    let memo_args = [
        "memo",
        root,
        "--coding",
        &ids[0],
        "--coder",
        "ak",
        "a turning point",
    ];
    let steps: Vec<(&str, Vec<&str>)> = vec![
        (
            "a hand coding",
            vec![
                "code",
                root,
                "clinic",
                "ctx.lead",
                "--quote",
                "Nobody knew",
                "--coder",
                "ak",
            ],
        ),
        (
            "an autocode run",
            vec![
                "autocode", root, "--code", "coh.diff", "--word", "talk", "--coder", "ak",
            ],
        ),
        (
            "an import of codings",
            vec!["import-codings", root, codings.to_str().unwrap()],
        ),
        ("a memo", memo_args.to_vec()),
        (
            "a recode",
            vec!["recode", root, &ids[2], "ctx.other", "--coder", "ak"],
        ),
        ("an uncode", vec!["uncode", root, &ids[0], "--coder", "ak"]),
        (
            "a merge of coders",
            vec![
                "merge-coders",
                root,
                "--coders",
                "ak,rb",
                "--into",
                "team",
                "--rule",
                "union",
                "--coder",
                "ak",
            ],
        ),
    ];
    for (what, args) in steps {
        undone_exactly(root, what, &args);
    }
    // An uncode takes the coding's memo with it; reverting brings back both.
    let (ok, _, err) = qualkit(&[
        "memo",
        root,
        "--coding",
        &ids[1],
        "--coder",
        "ak",
        "worth a quote",
    ]);
    assert!(ok, "{err}");
    undone_exactly(
        root,
        "an uncode of a coding with a memo",
        &["uncode", root, &ids[1], "--coder", "ak"],
    );
}

#[test]
fn a_revert_that_would_lose_later_work_is_refused_and_changes_nothing() {
    let (f, ids) = coded();
    let root = f.root().to_str().unwrap();
    let (ok, _, err) = qualkit(&["recode", root, &ids[2], "ctx.other", "--coder", "ak"]);
    assert!(ok, "{err}");
    let recode = last_entry(root);
    let (ok, _, err) = qualkit(&["recode", root, &ids[2], "ctx.lead", "--coder", "ak"]);
    assert!(ok, "{err}");
    let before = record_bytes(f.root());
    let (ok, _, err) = qualkit(&["revert", root, &recode, "--coder", "ak"]);
    assert!(!ok, "refused");
    assert!(
        err.contains("changed after the entry being reverted"),
        "{err}"
    );
    assert_eq!(record_bytes(f.root()), before);
    let (ok, _, err) = qualkit(&["revert", root, "zzzz", "--coder", "ak"]);
    assert!(!ok && err.contains("no log entry `zzzz`"), "{err}");
    // The log reads as a table, and as JSON.
    let (ok, out, _) = qualkit(&["log", root]);
    assert!(
        ok && out.contains("recode") && out.contains("from `ctx.other` to `ctx.lead`"),
        "{out}"
    );
}

#[test]
fn codings_memos_and_a_document_can_be_seen_with_their_ids_and_offsets() {
    let (f, ids) = coded();
    let root = f.root().to_str().unwrap();
    let (ok, _, err) = qualkit(&[
        "memo",
        root,
        "--coding",
        &ids[1],
        "--coder",
        "ak",
        "her first month",
    ]);
    assert!(ok, "{err}");
    let (ok, out, err) = qualkit(&["codings", root, "--code", "coh"]);
    assert!(ok, "{err}");
    assert!(out.contains(&ids[1]) && !out.contains(&ids[0]), "{out}");
    assert!(
        out.contains("The link worker came in March.") && out.contains("ak: her first month"),
        "{out}"
    );
    assert!(out.contains("1 codings"), "{out}");
    let (ok, out, _) = qualkit(&["memos", root, "--on", "coding"]);
    assert!(
        ok && out.contains(&ids[1]) && out.contains("her first month"),
        "{out}"
    );
    // A memo is edited and removed by its id, by its author.
    let memo_id = qualkit::Project::open(f.root())
        .unwrap()
        .store()
        .memos(None, None)
        .unwrap()[0]
        .id
        .clone();
    let (ok, _, err) = qualkit(&[
        "memo",
        root,
        "--id",
        &memo_id[..6],
        "--coder",
        "rb",
        "mine now",
    ]);
    assert!(!ok && err.contains("is ak's"), "{err}");
    let (ok, out, err) = qualkit(&[
        "memo",
        root,
        "--id",
        &memo_id[..6],
        "--coder",
        "ak",
        "her first month, March",
    ]);
    assert!(ok && out.contains(&memo_id), "{err}");
    let (ok, out, _) = qualkit(&["memos", root]);
    assert!(
        ok && out.contains("her first month, March") && out.contains(&memo_id),
        "{out}"
    );
    let (ok, _, err) = qualkit(&["memo", root, "--id", &memo_id, "--coder", "ak", ""]);
    assert!(ok, "{err}");
    let (ok, out, _) = qualkit(&["memos", root]);
    assert!(ok && out.contains("0 memos"), "{out}");
    let (ok, _, err) = qualkit(&[
        "memo",
        root,
        "--coding",
        &ids[1],
        "--coder",
        "ak",
        "her first month",
    ]);
    assert!(ok, "{err}");
    let (ok, _, err) = qualkit(&["memos", root, "--on", "paragraph"]);
    assert!(
        !ok && err.contains("coding, document, code, case or project"),
        "{err}"
    );
    // `show`: each line's offset is where it starts, so a coding's offsets can be read off.
    let (ok, out, err) = qualkit(&["show", root, "clinic", "--coder", "ak"]);
    assert!(ok, "{err}");
    let line = out
        .lines()
        .find(|l| l.contains("Ann: The link worker"))
        .unwrap_or_else(|| panic!("{out}"));
    let offset: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    let project = qualkit::Project::open(f.root()).unwrap();
    let doc = project.document("clinic").unwrap();
    assert_eq!(doc.slice(offset, offset + 5), Some("Ann: "));
    assert!(
        line.contains(&ids[1][..8]) && line.contains("coh.comm (ak)"),
        "{line}"
    );
    // Rhai sees the same: log, revert, memos and show.
    let script = f.root().join("check.rhai");
    std::fs::write(
        &script,
        format!(
            r#"let p = project("{root}");
let n = p.log().len();
p.autocode_text("coh.diff", "talk", "match");
let entry = p.log()[-1];
if entry.action != "autocode" {{ throw "last entry is " + entry.action; }}
let undone = p.revert(entry.id);
if undone.codings_removed != 1 {{ throw "removed " + undone.codings_removed; }}
if p.log().len() != n + 2 {{ throw "log has " + p.log().len(); }}
if p.memos()[0].text != "her first month" {{ throw "memo " + p.memos()[0].text; }}
if !p.show("clinic").to_string().contains("coh.comm") {{ throw "show"; }}
let s = p.segments("coh")[0];
if s.coder != "ak" || s.id != "{coding}" {{ throw `segment ${{s.id}} by ${{s.coder}}`; }}
print("all seen");
"#,
            coding = ids[1]
        ),
    )
    .unwrap();
    let (ok, out, err) = qualkit(&["run", script.to_str().unwrap()]);
    assert!(ok && out.contains("all seen"), "{out}{err}");
}

const COMMENTED_CODEBOOK: &str = "# Our codebook. Ids never change; names may.
codes:
  # The theory first.
  - id: coh
    name: Coherence
    color: \"#4c72b0\"
    children:
      - id: coh.diff
        name: Differentiation   # as in the manual
      - id: coh.comm
        name: Communal specification
  - id: ctx
    name: Context
    children:
      - id: ctx.lead
        name: Leadership
      - id: ctx.other
        name: Differentiation
  # Inductive themes.
  - id: learn
    name: Shared learning
";

#[test]
fn codebook_edits_keep_comments_and_order_and_can_be_reverted() {
    let (f, ids) = coded();
    std::fs::write(f.root().join("codebook.yaml"), COMMENTED_CODEBOOK).unwrap();
    let root = f.root().to_str().unwrap();
    let start = record_bytes(f.root());
    let edit = |args: &[&str]| {
        let mut all = vec!["codebook", root];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--coder", "ak"]);
        let (ok, out, err) = qualkit(&all);
        assert!(ok, "{args:?}: {err}");
        out
    };
    edit(&["rename", "coh.comm", "Shared sense of purpose"]);
    edit(&[
        "add",
        "Context/Funding",
        "--description",
        "Money: where it comes from, how long it lasts.",
        "--color",
        "#aa3377",
    ]);
    edit(&["move", "learn", "Coherence"]);
    let text = std::fs::read_to_string(f.root().join("codebook.yaml")).unwrap();
    for comment in [
        "# Our codebook.",
        "# The theory first.",
        "# as in the manual",
        "# Inductive themes.",
    ] {
        assert!(text.contains(comment), "{comment} kept in\n{text}");
    }
    let p = qualkit::Project::open(f.root()).unwrap();
    let book = &p.codebook;
    assert_eq!(
        book.get("coh.comm").unwrap().path,
        "Coherence/Shared sense of purpose"
    );
    assert_eq!(book.get("ctx.funding").unwrap().path, "Context/Funding");
    assert_eq!(book.get("learn").unwrap().path, "Coherence/Shared learning");
    // Codings keep their code ids, so they follow renames and moves.
    let learn = p
        .codings()
        .unwrap()
        .into_iter()
        .find(|c| c.id == ids[0])
        .unwrap();
    assert_eq!(learn.code, "learn");
    drop(p);
    // A code with codings is not removed unless asked, and then its codings go too.
    let (ok, _, err) = qualkit(&["codebook", root, "remove", "ctx", "--coder", "ak"]);
    assert!(!ok && err.contains("--with-codings"), "{err}");
    let out = edit(&["remove", "ctx", "--with-codings"]);
    assert!(out.contains("1 removed"), "{out}");
    let (ok, out, _) = qualkit(&["codebook", root, "show"]);
    assert!(
        ok && !out.contains("Context") && out.contains("Shared sense of purpose"),
        "{out}"
    );
    // Each edit reverts, newest first, back to the files as they were, comments and all.
    let (_, log, _) = qualkit(&["log", root, "--json"]);
    let entries: Vec<String> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["action"].as_str().unwrap().starts_with("codebook"))
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(entries.len(), 4);
    for entry in entries.iter().rev() {
        let (ok, _, err) = qualkit(&["revert", root, entry, "--coder", "ak"]);
        assert!(ok, "{err}");
    }
    assert_eq!(record_bytes(f.root()), start);
}

#[test]
fn merging_codes_joins_a_coders_overlapping_codings_and_keeps_their_memos() {
    let (f, ids) = coded();
    let root = f.root().to_str().unwrap();
    // ak's `ctx.other` coding overlaps their `ctx.lead` coding; rb's is rb's own.
    for (coder, code, quote) in [
        ("ak", "ctx.other", "Funding was the worry."),
        ("ak", "ctx.lead", "the worry. Nobody knew"),
        ("rb", "ctx.lead", "Funding was the worry."),
    ] {
        let (ok, _, err) = qualkit(&[
            "code", root, "clinic", code, "--quote", quote, "--coder", coder,
        ]);
        assert!(ok, "{err}");
    }
    let p = qualkit::Project::open(f.root()).unwrap();
    let other = p
        .codings()
        .unwrap()
        .into_iter()
        .find(|c| c.code == "ctx.other")
        .unwrap()
        .id;
    drop(p);
    let (ok, _, err) = qualkit(&[
        "memo",
        root,
        "--coding",
        &other,
        "--coder",
        "ak",
        "money again",
    ]);
    assert!(ok, "{err}");
    let before = record_bytes(f.root());
    let (ok, out, err) = qualkit(&[
        "codebook",
        root,
        "merge",
        "ctx.other",
        "ctx.lead",
        "--coder",
        "ak",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("1 merged"), "{out}");
    let p = qualkit::Project::open(f.root()).unwrap();
    let ak: Vec<_> = p
        .codings()
        .unwrap()
        .into_iter()
        .filter(|c| c.coder == "ak" && c.code == "ctx.lead")
        .collect();
    assert_eq!(ak.len(), 1, "{ak:?}");
    let doc = p.document("clinic").unwrap();
    assert_eq!(
        doc.slice(ak[0].start, ak[0].end),
        Some("Funding was the worry. Nobody knew")
    );
    let memos = p.store().memos(Some("coding"), Some(&ak[0].id)).unwrap();
    assert_eq!(memos.len(), 1);
    assert_eq!(memos[0].text, "money again");
    assert!(p.codebook.get("ctx.other").is_none());
    assert_eq!(ids.len(), 3);
    drop(p);
    let entry = last_entry(root);
    let (ok, _, err) = qualkit(&["revert", root, &entry, "--coder", "ak"]);
    assert!(ok, "{err}");
    assert_eq!(record_bytes(f.root()), before);
}

#[test]
fn scripts_edit_the_codebook_too() {
    let (f, _) = coded();
    let root = f.root().to_str().unwrap();
    let script = f.root().join("codebook.rhai");
    std::fs::write(
        &script,
        format!(
            r#"let p = project("{root}");
let id = p.add_code("Context/Funding");
p.rename_code(id, "Money");
p.move_code(id, "/");
p.merge_codes("ctx.other", "ctx.lead");
p.remove_code(p.add_code("Unused"));
print(id);
"#
        ),
    )
    .unwrap();
    let (ok, out, err) = qualkit(&["run", script.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "ctx.funding");
    let p = qualkit::Project::open(f.root()).unwrap();
    assert_eq!(p.codebook.get("ctx.funding").unwrap().path, "Money");
    assert!(p.codebook.get("ctx.other").is_none());
    assert!(p.codebook.resolve("Unused").is_err());
    let actions: Vec<String> = p.log().unwrap().into_iter().map(|l| l.action).collect();
    assert_eq!(
        actions[actions.len() - 6..],
        [
            "codebook add",
            "codebook rename",
            "codebook move",
            "codebook merge",
            "codebook add",
            "codebook remove"
        ]
    );
}

#[test]
fn the_workbook_export_has_coding_ids_memos_the_codebook_and_summaries() {
    use calamine::Reader;
    let (f, ids) = coded();
    let root = f.root().to_str().unwrap();
    let (ok, _, err) = qualkit(&[
        "memo",
        root,
        "--coding",
        &ids[1],
        "--coder",
        "ak",
        "her first month",
    ]);
    assert!(ok, "{err}");
    let mut p = f.open();
    p.set_summary("ak", "Magenta", "coh", "They share a view of the role.")
        .unwrap();
    drop(p);
    let out = f.root().join("project.xlsx");
    let (ok, _, err) = qualkit(&["export", root, out.to_str().unwrap()]);
    assert!(ok, "{err}");
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&out).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            "codings",
            "documents",
            "cases",
            "memos",
            "codebook",
            "summaries"
        ]
    );
    let cells = |book: &mut calamine::Xlsx<_>, sheet: &str| -> Vec<Vec<String>> {
        book.worksheet_range(sheet)
            .unwrap()
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    };
    let codings = cells(&mut book, "codings");
    assert_eq!(codings[0][0], "id");
    let mut exported: Vec<String> = codings[1..].iter().map(|r| r[0].clone()).collect();
    let mut expected = ids.clone();
    exported.sort();
    expected.sort();
    assert_eq!(exported, expected);
    let memos = cells(&mut book, "memos");
    assert!(
        memos
            .iter()
            .any(|r| r.contains(&ids[1]) && r.contains(&"her first month".to_string()))
    );
    let codebook = cells(&mut book, "codebook");
    let learn = codebook.iter().find(|r| r[0] == "learn").unwrap();
    assert_eq!(learn[1], "Shared learning");
    assert_eq!(learn.last().unwrap(), "1");
    let summaries = cells(&mut book, "summaries");
    assert_eq!(
        summaries[1][..3],
        ["Magenta", "coh", "They share a view of the role."]
    );
}

#[test]
fn summaries_and_classifications_revert_byte_for_byte() {
    let (f, _) = coded();
    let root = f.root().to_str().unwrap();
    let mut p = f.open();
    p.set_summary("ak", "Magenta", "coh", "A shared view.")
        .unwrap();
    drop(p);
    type Change = fn(&mut qualkit::Project);
    let kinds: [(&str, Change); 3] = [
        ("a new summary", |p| {
            p.set_summary("ak", "Cobalt", "coh", "No shared view yet.")
                .unwrap()
        }),
        ("a changed summary", |p| {
            p.set_summary("rb", "Magenta", "coh", "A shared view, mostly.")
                .unwrap()
        }),
        ("a classification", |p| {
            p.classify(
                "ak",
                "integration_by_rule",
                &[
                    ("Magenta".into(), "FIP".into(), "4 constructs".into()),
                    ("Cobalt".into(), "PIP".into(), "1 construct".into()),
                ],
            )
            .unwrap()
        }),
    ];
    for (what, change) in kinds {
        let before = record_bytes(f.root());
        let mut p = f.open();
        change(&mut p);
        drop(p);
        assert_ne!(record_bytes(f.root()), before, "{what}");
        let entry = last_entry(root);
        let (ok, _, err) = qualkit(&["revert", root, &entry, "--coder", "ak"]);
        assert!(ok, "{what}: {err}");
        assert_eq!(record_bytes(f.root()), before, "{what}");
    }
}

#[test]
fn reverting_a_run_takes_the_memos_written_on_its_codings_since_and_a_redo_brings_them_back() {
    let (f, _) = coded();
    let root = f.root().to_str().unwrap();
    let (ok, _, err) = qualkit(&[
        "autocode", root, "--code", "coh.diff", "--word", "talk", "--coder", "ak",
    ]);
    assert!(ok, "{err}");
    let run = last_entry(root);
    let before_memo = record_bytes(f.root());
    let p = qualkit::Project::open(f.root()).unwrap();
    let made = p.store().codings_made_by(&run).unwrap();
    drop(p);
    let (ok, _, err) = qualkit(&[
        "memo",
        root,
        "--coding",
        &made[0],
        "--coder",
        "rb",
        "talk is cheap",
    ]);
    assert!(ok, "{err}");
    let with_memo = record_bytes(f.root());
    let (ok, out, err) = qualkit(&["revert", root, &run, "--coder", "ak"]);
    assert!(ok, "{err}");
    assert!(out.contains("1 codings removed"), "{out}");
    let (ok, out, _) = qualkit(&["memos", root]);
    assert!(ok && !out.contains("talk is cheap"), "{out}");
    assert_ne!(record_bytes(f.root()), before_memo);
    let (ok, _, err) = qualkit(&["revert", root, &last_entry(root), "--coder", "ak"]);
    assert!(ok, "{err}");
    assert_eq!(record_bytes(f.root()), with_memo);
}

#[test]
fn a_script_that_opens_an_edited_project_is_told_what_moved() {
    let (f, ids) = coded();
    let root = f.root().to_str().unwrap();
    let file = f.root().join("transcripts/clinic.txt");
    let edited = std::fs::read_to_string(&file)
        .unwrap()
        .replace("How did the clinic start?", "How did it start?");
    std::fs::write(&file, edited).unwrap();
    let script = f.root().join("open.rhai");
    std::fs::write(
        &script,
        format!("let p = project(\"{root}\");\nprint(\"opened\");\n"),
    )
    .unwrap();
    let (ok, out, err) = qualkit(&["run", script.to_str().unwrap()]);
    assert!(ok && out.contains("opened"), "{err}");
    assert!(
        err.contains("note: transcripts/clinic.txt changed"),
        "{err}"
    );
    assert!(err.contains(&ids[2]) && err.contains("3 moved"), "{err}");
}
