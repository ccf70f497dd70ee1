//! The research record: a project's plain files hold the whole of its work, ids are kept for
//! life, and no crash, kill or crowd of processes loses, moves or half-writes anything.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use qualkit::project::MemoTarget;
use qualkit::{Error, Project};

use crate::common::{Fixture, qualkit, transcript};

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_qualkit"));
    command.env("QUALKIT_CODER", "tester");
    command
}

/// A small coded project: two transcripts, codings by two coders, memos, a summary.
fn coded_project() -> Fixture {
    let f = Fixture::new();
    f.write(
        "m1.txt",
        transcript(
            "Magenta",
            &[("Ann", "GP"), ("Bo", "CLP")],
            "Ann: We talk now. Everyone knows what the link worker does.\nBo: I run the learning afternoons. Reception plan them with me.\n",
        ),
    );
    f.write(
        "c1.txt",
        transcript(
            "Cobalt",
            &[("Cy", "GP")],
            "Cy: The GP is rarely around. Referrals come when someone remembers.\n",
        ),
    );
    let root = f.root().to_str().unwrap().to_string();
    for (coder, doc, code, quote) in [
        ("ak", "m1", "coh.comm", "We talk now."),
        ("ak", "m1", "learn", "I run the learning afternoons."),
        ("rb", "m1", "learn", "Reception plan them with me."),
        ("rb", "c1", "ctx.lead", "The GP is rarely around."),
    ] {
        let (ok, _, err) = qualkit(&["code", &root, doc, code, "--quote", quote, "--coder", coder]);
        assert!(ok, "{err}");
    }
    let mut p = f.open();
    let first = p.codings().unwrap()[0].id.clone();
    p.memo("ak", &MemoTarget::Coding(first), "turning point")
        .unwrap();
    p.memo("ak", &MemoTarget::Document("m1".into()), "good interview")
        .unwrap();
    p.set_summary("ak", "Magenta", "coh", "Shared view of the role.")
        .unwrap();
    f
}

/// What the project's files say, read with the csv crate and serde_json rather than through
/// qualkit, without the ids and times a second run of a command makes anew: transcripts,
/// codebook and cases by content; codings by coder, place and quote; memos by what they are
/// on; summaries; classifications; the log as (coder, action).
#[derive(Debug, Clone, PartialEq, Eq)]
struct RecordView {
    inputs: BTreeMap<String, Vec<u8>>,
    codings: BTreeSet<(String, String, String, usize, usize, String)>,
    memos: BTreeSet<(String, String, String, String)>,
    summaries: BTreeSet<(String, String, String)>,
    classifications: BTreeSet<(String, String, String)>,
    log: Vec<(String, String)>,
}

fn csv_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let Ok(mut reader) = csv::Reader::from_path(path) else {
        return Vec::new();
    };
    let header = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                files_under(&path, out);
            } else {
                out.push(path);
            }
        }
    }
}

fn record_view(root: &Path) -> RecordView {
    let mut inputs = BTreeMap::new();
    for name in ["qualkit.toml", "cases.csv", "codebook.yaml", "sets.yaml"] {
        if let Ok(bytes) = std::fs::read(root.join(name)) {
            inputs.insert(name.to_string(), bytes);
        }
    }
    let mut transcripts = Vec::new();
    files_under(&root.join("transcripts"), &mut transcripts);
    for path in transcripts {
        let name = path.strip_prefix(root).unwrap().display().to_string();
        inputs.insert(name, std::fs::read(&path).unwrap());
    }
    let mut codings = BTreeSet::new();
    let mut places: HashMap<String, String> = HashMap::new();
    let mut codings_files = Vec::new();
    files_under(&root.join("codings"), &mut codings_files);
    for path in codings_files {
        if path.extension().is_none_or(|e| e != "csv") {
            continue;
        }
        for row in csv_rows(&path) {
            // Detached codings have no place: their start and end are empty.
            let (start, end) = (
                row["start"].parse().unwrap_or(usize::MAX),
                row["end"].parse().unwrap_or(usize::MAX),
            );
            places.insert(
                row["id"].clone(),
                format!("{} {} {}..{}", row["document"], row["code"], start, end),
            );
            codings.insert((
                row["coder"].clone(),
                row["document"].clone(),
                row["code"].clone(),
                start,
                end,
                row["quote"].clone(),
            ));
        }
    }
    let memos = csv_rows(&root.join("memos.csv"))
        .into_iter()
        .map(|m| {
            let target = match m["kind"].as_str() {
                "coding" => places
                    .get(&m["target"])
                    .cloned()
                    .unwrap_or_else(|| format!("missing coding {}", m["target"])),
                _ => m["target"].clone(),
            };
            (
                m["kind"].clone(),
                target,
                m["author"].clone(),
                m["text"].clone(),
            )
        })
        .collect();
    let summaries = csv_rows(&root.join("summaries.csv"))
        .into_iter()
        .map(|s| (s["case"].clone(), s["theme"].clone(), s["summary"].clone()))
        .collect();
    let classifications = csv_rows(&root.join("classifications.csv"))
        .into_iter()
        .map(|c| {
            (
                c["attribute"].clone(),
                c["case"].clone(),
                c["value"].clone(),
            )
        })
        .collect();
    let log = std::fs::read_to_string(root.join("log.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|line| {
            let entry: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("log.jsonl holds a broken line ({e}): {line}"));
            (
                entry["coder"].as_str().unwrap().to_string(),
                entry["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    RecordView {
        inputs,
        codings,
        memos,
        summaries,
        classifications,
        log,
    }
}

/// The same, as the project opened through qualkit (its cache) sees it.
fn store_view(root: &Path) -> RecordView {
    let p = Project::open(root).unwrap_or_else(|e| panic!("the project opens: {e}"));
    let mut files = record_view(root);
    let codings = p.codings().unwrap();
    let places: HashMap<String, String> = codings
        .iter()
        .map(|c| {
            (
                c.id.clone(),
                format!("{} {} {}..{}", c.document, c.code, c.start, c.end),
            )
        })
        .collect();
    files.codings = codings
        .iter()
        .map(|c| {
            let quote = p
                .document(&c.document)
                .unwrap()
                .slice(c.start, c.end)
                .unwrap();
            (
                c.coder.clone(),
                c.document.clone(),
                c.code.clone(),
                c.start,
                c.end,
                quote.to_string(),
            )
        })
        .chain(
            p.unplaced_codings()
                .unwrap()
                .into_iter()
                .map(|c| (c.coder, c.document, c.code, c.start, c.end, c.quote)),
        )
        .collect();
    files.memos = p
        .store()
        .memos(None, None)
        .unwrap()
        .into_iter()
        .map(|m| {
            let target = match m.kind.as_str() {
                "coding" => places
                    .get(&m.target)
                    .cloned()
                    .unwrap_or_else(|| format!("missing coding {}", m.target)),
                _ => m.target.clone(),
            };
            (m.kind, target, m.coder, m.text)
        })
        .collect();
    files.summaries = p
        .summaries()
        .unwrap()
        .into_iter()
        .map(|s| (s.case, s.theme, s.text))
        .collect();
    files.classifications = p
        .store()
        .case_attributes()
        .unwrap()
        .into_iter()
        .map(|c| (c.attribute, c.case, c.value))
        .collect();
    files.log = p
        .store()
        .audit_log()
        .unwrap()
        .into_iter()
        .map(|e| (e.coder, e.action))
        .collect();
    files
}

/// Files a change leaves only while it runs: scratch files and the change manifest.
fn leftovers(root: &Path) -> Vec<String> {
    let mut all = Vec::new();
    files_under(root, &mut all);
    all.into_iter()
        .filter(|p| !p.starts_with(root.join(".qualkit")))
        .map(|p| p.strip_prefix(root).unwrap().display().to_string())
        .filter(|name| name.contains(".qk-") || name.ends_with(".qualkit-change.json"))
        .collect()
}

fn copy_project(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .args(["-a", &format!("{}/.", from.display()), to.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Runs `args` (with `{dir}` standing for the project) once to the end to learn the result,
/// then again and again from the same start, aborting the process at its 1st, 2nd, 3rd...
/// crash point, until a run reaches the end. After every crash the next command (`info`)
/// must find the project whole as it was before or whole as it is after, the cache must agree
/// with the files, and nothing half-written may be left. Where it is as before, running the
/// command again must give the whole result. Returns how many crash points were tried.
fn crash_at_every_step(name: &str, start: &Path, args: &[&str]) -> usize {
    let run = |dir: &Path, crash: Option<usize>| {
        let d = dir.to_str().unwrap();
        let args: Vec<String> = args.iter().map(|a| a.replace("{dir}", d)).collect();
        let mut command = binary();
        command.args(&args);
        if let Some(n) = crash {
            command.env("QUALKIT_CRASH_AT", format!("#{n}"));
        }
        command.output().unwrap()
    };
    let before = record_view(start);
    let finished = tempfile::tempdir().unwrap();
    copy_project(start, finished.path());
    let out = run(finished.path(), None);
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = record_view(finished.path());
    assert_ne!(before, after, "{name} changes the project");
    let mut crashed = 0;
    for n in 1..400 {
        let dir = tempfile::tempdir().unwrap();
        copy_project(start, dir.path());
        let out = run(dir.path(), Some(n));
        if out.status.success() {
            assert_eq!(record_view(dir.path()), after, "{name}");
            break;
        }
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(
            out.status.signal(),
            Some(6),
            "{name}: a failure that is not the crash asked for: {stderr}"
        );
        let point = stderr
            .lines()
            .find(|l| l.contains("crashing on purpose"))
            .unwrap_or_default()
            .to_string();
        crashed += 1;
        let d = dir.path().to_str().unwrap();
        let (ok, _, err) = qualkit(&["info", d]);
        assert!(ok, "{name}, after {point}: the project opens again: {err}");
        let now = record_view(dir.path());
        assert!(
            now == before || now == after,
            "{name}, after {point}: the project is neither as before nor as after:\n{now:#?}"
        );
        assert_eq!(store_view(dir.path()), now, "{name}, after {point}");
        assert!(
            leftovers(dir.path()).is_empty(),
            "{name}, after {point}: {:?}",
            leftovers(dir.path())
        );
        if now == before {
            let out = run(dir.path(), None);
            assert!(
                out.status.success(),
                "{name}, after {point}: running it again works: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                record_view(dir.path()),
                after,
                "{name}, after {point}, again"
            );
        }
    }
    assert!(crashed >= 3, "{name}: only {crashed} crash points");
    crashed
}

#[test]
fn a_coding_id_is_never_reused_and_a_memo_never_moves_to_another_coding() {
    let f = coded_project();
    let mut p = f.open();
    let first = p
        .code(
            "zz",
            "c1",
            "learn",
            &qualkit::coding::Span::Offsets { start: 4, end: 30 },
        )
        .unwrap();
    p.memo(
        "zz",
        &MemoTarget::Coding(first.id.clone()),
        "about the first",
    )
    .unwrap();
    p.uncode("zz", std::slice::from_ref(&first.id)).unwrap();
    let second = p
        .code(
            "zz",
            "c1",
            "learn",
            &qualkit::coding::Span::Offsets { start: 4, end: 30 },
        )
        .unwrap();
    assert_ne!(first.id, second.id);
    assert!(
        p.store()
            .memos(Some("coding"), Some(&second.id))
            .unwrap()
            .is_empty()
    );
    // The same in the file the project is committed with.
    let zz = std::fs::read_to_string(f.root().join("codings/zz.csv")).unwrap();
    assert!(zz.contains(&second.id) && !zz.contains(&first.id), "{zz}");
    let memos = std::fs::read_to_string(f.root().join("memos.csv")).unwrap();
    assert!(!memos.contains("about the first"), "{memos}");
    // The log keeps what was removed, memo included.
    let log = std::fs::read_to_string(f.root().join("log.jsonl")).unwrap();
    assert!(log.contains(&first.id) && log.contains("about the first"));
    // An id is refused once gone, and a short id finds its coding.
    assert!(matches!(
        p.uncode("zz", std::slice::from_ref(&first.id)),
        Err(Error::UnknownCoding(_))
    ));
    let moved = p.recode("zz", &second.id[..8], "coh").unwrap();
    assert_eq!(
        (moved.id.as_str(), moved.code.as_str()),
        (second.id.as_str(), "coh")
    );
}

/// A script touches every kind of record; the cache is deleted (as in a fresh clone); the
/// project opens to the same codings with the same ids and times, memos, summaries,
/// classifications and log.
#[test]
fn deleting_the_cache_loses_nothing() {
    let f = coded_project();
    let root = f.root();
    std::fs::write(
        root.join("more.csv"),
        "coder,document,code,quote,memo\ncd,c1,learn,Referrals come when someone remembers.,ad hoc\n",
    )
    .unwrap();
    std::fs::write(
        root.join("all.rhai"),
        format!(
            r#"
            let p = project("{dir}");
            p.coder = "ak";
            let c = p.code("c1", "coh.comm", "someone remembers");
            p.memo_coding(c.id, "memo on a coding");
            p.memo("m1", "memo on a document");
            p.autocode_text("learn", "afternoons", "sentence");
            p.summarise("Cobalt", "ctx.lead", "GP absent.");
            p.classify("leads", |c| if c.evidence["ctx.lead"] > 0 {{ #{{value: "weak", reason: "leadership coded"}} }} else {{ "strong" }});
            let gone = p.segments("coh.comm")[0].id;
            p.uncode(gone);
            "#,
            dir = root.display()
        ),
    )
    .unwrap();
    let (ok, _, err) = qualkit(&["run", root.join("all.rhai").to_str().unwrap()]);
    assert!(ok, "{err}");
    let (ok, _, err) = qualkit(&[
        "import-codings",
        root.to_str().unwrap(),
        root.join("more.csv").to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let (ok, _, err) = qualkit(&[
        "memo",
        root.to_str().unwrap(),
        "memo on the project",
        "--coder",
        "rb",
    ]);
    assert!(ok, "{err}");
    let (ok, _, err) = qualkit(&[
        "memo",
        root.to_str().unwrap(),
        "memo on a case",
        "--case",
        "Cobalt",
    ]);
    assert!(ok, "{err}");
    let (ok, _, err) = qualkit(&[
        "memo",
        root.to_str().unwrap(),
        "memo on a code",
        "--on-code",
        "learn",
    ]);
    assert!(ok, "{err}");

    let snapshot = |root: &Path| {
        let p = Project::open(root).unwrap();
        let codings = p.codings().unwrap();
        let memos: Vec<_> = p
            .store()
            .memos(None, None)
            .unwrap()
            .into_iter()
            .map(|m| (m.id, m.kind, m.target, m.coder, m.text, m.updated))
            .collect();
        let summaries: Vec<_> = p
            .summaries()
            .unwrap()
            .into_iter()
            .map(|s| (s.case, s.theme, s.text, s.author, s.updated))
            .collect();
        let classifications = p.store().case_attributes().unwrap();
        let log: Vec<_> = p
            .store()
            .audit_log()
            .unwrap()
            .into_iter()
            .map(|e| {
                (
                    e.seq,
                    e.id,
                    e.at,
                    e.coder,
                    e.action,
                    e.detail,
                    e.codebook_version,
                )
            })
            .collect();
        let leads = p.cases.get("Magenta").unwrap().attributes["leads"].to_string();
        (codings, memos, summaries, classifications, log, leads)
    };
    let before = snapshot(root);
    // Seven written; the one on the coding the script removed went with it, and the second
    // memo by ak on m1 replaced the first.
    assert_eq!(before.1.len(), 6, "memos of every kind: {:?}", before.1);
    for kind in ["coding", "document", "code", "case", "project"] {
        assert!(before.1.iter().any(|m| m.1 == kind), "{kind}");
    }
    assert!(before.1.iter().any(|m| m.1 == "project"));
    assert_eq!(before.3.len(), 2);
    assert!(
        before
            .0
            .iter()
            .all(|c| !c.created.is_empty() && !c.entry.is_empty())
    );
    std::fs::remove_dir_all(root.join(".qualkit")).unwrap();
    let after = snapshot(root);
    assert_eq!(before.0, after.0, "codings, ids and times");
    assert_eq!(before.1, after.1, "memos");
    assert_eq!(before.2, after.2, "summaries");
    assert_eq!(before.3, after.3, "classifications");
    assert_eq!(before.4, after.4, "the audit log");
    assert_eq!(before.5, after.5, "a classification splits cases again");
}

#[test]
fn one_import_batch_cannot_make_two_documents_of_one_id() {
    let f = coded_project();
    let tmp = tempfile::tempdir().unwrap();
    let text = transcript("Magenta", &[], "Some words.\n");
    std::fs::write(tmp.path().join("dup.txt"), &text).unwrap();
    std::fs::write(tmp.path().join("dup.md"), &text).unwrap();
    std::fs::create_dir_all(tmp.path().join("a")).unwrap();
    std::fs::create_dir_all(tmp.path().join("b")).unwrap();
    std::fs::write(tmp.path().join("a/same.txt"), &text).unwrap();
    std::fs::write(tmp.path().join("b/same.txt"), &text).unwrap();
    let before = record_view(f.root());
    let d = f.root().to_str().unwrap();
    let path = |name: &str| tmp.path().join(name).to_str().unwrap().to_string();
    let (ok, _, err) = qualkit(&["import", d, &path("dup.txt"), &path("dup.md")]);
    assert!(
        !ok && err.contains("dup.txt") && err.contains("dup.md"),
        "{err}"
    );
    let (ok, _, err) = qualkit(&["import", d, &path("a/same.txt"), &path("b/same.txt")]);
    assert!(
        !ok && err.contains("a/same.txt") && err.contains("b/same.txt"),
        "{err}"
    );
    // A file whose name makes the id of a document already there, from another file.
    let (ok, _, err) = qualkit(&["import", d, &path("dup.txt")]);
    assert!(ok, "{err}");
    let (ok, _, err) = qualkit(&["import", d, &path("dup.md"), "--overwrite"]);
    assert!(!ok && err.contains("dup.txt"), "{err}");
    let mut expected = before.clone();
    expected
        .inputs
        .insert("transcripts/dup.txt".into(), text.as_bytes().to_vec());
    expected
        .log
        .push(("tester".into(), "import documents".into()));
    assert_eq!(record_view(f.root()), expected);
    qualkit::Project::open(f.root()).unwrap();
}

/// A coded transcript is cut short: the codings whose words are gone are detached (kept in
/// codings/ with their quotes, listed by `info`, counted by exports); a coding whose row was
/// edited by hand to a span that is not its quote is kept out, and exports refuse to write it
/// at the wrong place; a fresh clone still opens.
#[test]
fn codings_that_no_longer_fit_are_kept_listed_and_never_exported() {
    let f = coded_project();
    let d = f.root().to_str().unwrap();
    let ids = |path: &Path| {
        let mut ids: Vec<String> = csv_rows(path)
            .into_iter()
            .map(|r| r["id"].clone())
            .collect();
        ids.sort();
        ids
    };
    let ids_before = ids(&f.root().join("codings/ak.csv"));
    f.write(
        "m1.txt",
        transcript("Magenta", &[("Ann", "GP")], "Ann: We talk now.\n"),
    );
    let (ok, out, err) = qualkit(&["info", d]);
    assert!(ok, "{err}");
    assert!(
        err.contains("1 unchanged, 0 moved, 0 with changed text, 2 detached"),
        "{err}"
    );
    assert!(
        out.contains("I run the learning afternoons.") && out.contains("is detached"),
        "{out}"
    );
    let out_dir = tempfile::tempdir().unwrap();
    let file = out_dir.path().join("codings.csv");
    let (ok, out, err) = qualkit(&["export", d, file.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("2 detached codings"), "{out}");
    assert!(
        !std::fs::read_to_string(&file)
            .unwrap()
            .contains("Reception plan")
    );
    // Nothing was dropped from the record.
    let rows = csv_rows(&f.root().join("codings/ak.csv"));
    assert_eq!(ids(&f.root().join("codings/ak.csv")), ids_before);
    let detached = rows
        .iter()
        .find(|r| r["quote"] == "I run the learning afternoons.");
    assert!(detached.is_some_and(|r| r["start"].is_empty() && r["end"].is_empty()));
    // A row moved by hand onto text that is not its quote: exports refuse to misplace it.
    let path = f.root().join("codings/rb.csv");
    let edited = std::fs::read_to_string(&path).unwrap().replace(
        ",4,28,The GP is rarely around.,",
        ",5,29,The GP is rarely around.,",
    );
    assert!(edited.contains(",5,29,"), "{edited}");
    std::fs::write(&path, edited).unwrap();
    for target in ["codings.csv", "project.qdpx"] {
        let file = out_dir.path().join(format!("again-{target}"));
        let (ok, _, err) = qualkit(&["export", d, file.to_str().unwrap()]);
        assert!(!ok && err.contains("nothing was exported"), "{err}");
        assert!(err.contains("edited by hand"), "{err}");
        assert!(!file.exists());
    }
    let (ok, _, err) = qualkit(&[
        "export-codings",
        d,
        "--out",
        out_dir.path().to_str().unwrap(),
    ]);
    assert!(!ok && err.contains("do not fit"), "{err}");
    // Without the cache, nothing says the text was not edited: the quote puts the row back
    // where its words are, and says so.
    std::fs::remove_dir_all(f.root().join(".qualkit")).unwrap();
    let mut p = f.open();
    assert_eq!(p.codings().unwrap().len(), 2);
    assert_eq!(p.unplaced_codings().unwrap().len(), 2);
    assert!(p.take_notes().iter().any(|n| n.contains("5..29 -> 4..28")));
}

#[test]
fn a_crash_at_any_step_of_coding_leaves_the_project_whole() {
    let f = coded_project();
    let d = "{dir}";
    crash_at_every_step(
        "code",
        f.root(),
        &[
            "code",
            d,
            "c1",
            "learn",
            "--quote",
            "someone remembers",
            "--coder",
            "ak",
        ],
    );
    crash_at_every_step(
        "autocode",
        f.root(),
        &[
            "autocode",
            d,
            "--code",
            "coh",
            "--literal",
            "the",
            "--scope",
            "sentence",
        ],
    );
    let more = f.root().join("more.csv");
    std::fs::write(
        &more,
        "coder,document,code,quote,memo\ncd,c1,learn,Referrals come,first\nef,m1,coh,Everyone knows,second\n",
    )
    .unwrap();
    crash_at_every_step(
        "import-codings",
        f.root(),
        &["import-codings", d, more.to_str().unwrap()],
    );
    let id = f.open().codings().unwrap()[0].id.clone();
    crash_at_every_step("uncode", f.root(), &["uncode", d, &id, "--coder", "ak"]);
}

#[test]
fn a_crash_at_any_step_of_an_import_leaves_the_project_whole() {
    let f = coded_project();
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("new-a.txt");
    let b = tmp.path().join("c1.txt");
    std::fs::write(&a, transcript("Cobalt", &[], "A new interview.\n")).unwrap();
    std::fs::write(
        &b,
        transcript(
            "Cobalt",
            &[("Cy", "GP")],
            "Cy: The GP is rarely around. It changed.\n",
        ),
    )
    .unwrap();
    crash_at_every_step(
        "import of two transcripts, one replacing a coded one",
        f.root(),
        &[
            "import",
            "{dir}",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--overwrite",
        ],
    );

    // A whole project from a .qdpx into a new one: transcripts, codebook, cases, codings,
    // memos, summaries and the log, or none of it.
    let qdpx = tmp.path().join("study.qdpx");
    let (ok, _, err) = qualkit(&["export", f.root().to_str().unwrap(), qdpx.to_str().unwrap()]);
    assert!(ok, "{err}");
    let fresh = tmp.path().join("fresh");
    let (ok, _, err) = qualkit(&["new", fresh.to_str().unwrap()]);
    assert!(ok, "{err}");
    crash_at_every_step(
        ".qdpx import",
        &fresh,
        &["import", "{dir}", qdpx.to_str().unwrap(), "--coder", "ak"],
    );

    // A codebook change alone (.qdc).
    let qdc = tmp.path().join("codes.qdc");
    std::fs::write(
        &qdc,
        r#"<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="test"><Codes>
<Code guid="0b3b06ac-b831-8242-bbb2-dd4ee9002405" name="Barriers" isCodable="true"/>
</Codes></CodeBook>"#,
    )
    .unwrap();
    crash_at_every_step(
        "codebook import",
        f.root(),
        &["import", "{dir}", qdc.to_str().unwrap()],
    );
}

/// The first open of a fresh clone builds the cache; a crash at any step of that leaves a
/// project that the next command opens, with every coding.
#[test]
fn a_crash_while_the_cache_is_built_leaves_nothing_half_built() {
    let f = coded_project();
    std::fs::remove_dir_all(f.root().join(".qualkit")).unwrap();
    let expected = store_view(f.root());
    std::fs::remove_dir_all(f.root().join(".qualkit")).unwrap();
    for n in 1..20 {
        let out = binary()
            .args(["info", f.root().to_str().unwrap()])
            .env("QUALKIT_CRASH_AT", format!("#{n}"))
            .output()
            .unwrap();
        if out.status.success() {
            break;
        }
        assert_eq!(out.status.signal(), Some(6));
        assert_eq!(store_view(f.root()), expected, "after crash point #{n}");
        std::fs::remove_dir_all(f.root().join(".qualkit")).unwrap();
    }
}

/// A real `kill -9` at random moments of a large import: the transcript is whole or absent
/// (never a shorter file), and the project opens.
#[test]
fn kill_9_during_an_import_leaves_the_file_whole_or_absent() {
    let f = coded_project();
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("long-interview.txt");
    let mut body = String::from("Ann: ");
    while body.len() < 12_000_000 {
        body.push_str("We meet every week and the link worker comes along to every meeting. ");
    }
    body.push('\n');
    let text = transcript("Magenta", &[("Ann", "GP")], &body);
    std::fs::write(&big, &text).unwrap();
    let qdpx = tmp.path().join("study.qdpx");
    let (ok, _, err) = qualkit(&["export", f.root().to_str().unwrap(), qdpx.to_str().unwrap()]);
    assert!(ok, "{err}");
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut random_ms = |limit: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % limit
    };
    let mut outcomes = BTreeMap::new();
    for round in 0..8 {
        let dir = tempfile::tempdir().unwrap();
        copy_project(f.root(), dir.path());
        let before = record_view(dir.path());
        let mut child = binary()
            .args([
                "import",
                dir.path().to_str().unwrap(),
                big.to_str().unwrap(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(random_ms(900)));
        child.kill().ok();
        child.wait().unwrap();
        let (ok, _, err) = qualkit(&["info", dir.path().to_str().unwrap()]);
        assert!(ok, "round {round}: {err}");
        let now = record_view(dir.path());
        match std::fs::read(dir.path().join("transcripts/long-interview.txt")) {
            Ok(bytes) => {
                assert!(
                    bytes == text.as_bytes(),
                    "round {round}: the transcript is whole"
                );
                *outcomes.entry("after").or_insert(0) += 1;
            }
            Err(_) => {
                assert_eq!(now, before, "round {round}");
                *outcomes.entry("before").or_insert(0) += 1;
            }
        }
        assert!(leftovers(dir.path()).is_empty(), "round {round}");

        // The same for a .qdpx import into a new project.
        let fresh = dir.path().join("fresh");
        let (ok, _, err) = qualkit(&["new", fresh.to_str().unwrap()]);
        assert!(ok, "{err}");
        let before = record_view(&fresh);
        let mut child = binary()
            .args([
                "import",
                fresh.to_str().unwrap(),
                qdpx.to_str().unwrap(),
                "--coder",
                "ak",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(random_ms(400)));
        child.kill().ok();
        child.wait().unwrap();
        let (ok, _, err) = qualkit(&["info", fresh.to_str().unwrap()]);
        assert!(ok, "round {round}: {err}");
        let now = record_view(&fresh);
        if now == before {
            let (ok, _, err) = qualkit(&[
                "import",
                fresh.to_str().unwrap(),
                qdpx.to_str().unwrap(),
                "--coder",
                "ak",
            ]);
            assert!(ok, "round {round}: a second import works: {err}");
        } else {
            assert_eq!(now.codings.len(), 4, "round {round}: all of it or none");
            assert_eq!(now.summaries.len(), 1, "round {round}");
        }
        assert_eq!(store_view(&fresh), record_view(&fresh), "round {round}");
    }
    assert!(!outcomes.is_empty());
}

/// Several processes open a fresh clone of a 100,000-coding project at once, again and
/// again: one builds the cache while the others wait, and every one sees every coding. Then
/// four writers code at once for a while: every coding each made is in the files and in the
/// cache, once, and a rebuilt cache agrees.
#[test]
fn many_processes_share_one_project() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("corpus");
    let d = dir.to_str().unwrap();
    let (ok, _, err) = qualkit(&[
        "gen-corpus",
        d,
        "--mb",
        "6",
        "--codings",
        "100000",
        "--seed",
        "7",
    ]);
    assert!(ok, "{err}");
    let expected: usize = qualkit::record::codings_files(&dir)
        .unwrap()
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap().lines().count() - 1)
        .sum();
    assert!(expected > 90_000, "{expected}");
    let total = |out: &str| -> usize {
        out.lines()
            .filter_map(|l| {
                let cells: Vec<&str> = l
                    .split('┆')
                    .map(|c| c.trim_matches(|c: char| c == '│' || c.is_whitespace()))
                    .collect();
                (cells.len() == 2 && ["ak", "rb"].contains(&cells[0]))
                    .then(|| cells[1].parse::<usize>().ok())
                    .flatten()
            })
            .sum()
    };
    for round in 0..3 {
        let _ = std::fs::remove_dir_all(dir.join(".qualkit"));
        let children: Vec<_> = (0..5)
            .map(|_| {
                binary()
                    .args(["info", d])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "round {round}: {stderr}");
            assert!(!stderr.contains("database is locked") && !stderr.contains("I/O error"));
            assert_eq!(
                total(&String::from_utf8_lossy(&out.stdout)),
                expected,
                "round {round}"
            );
        }
    }

    let p = Project::open(&dir).unwrap();
    let documents: Vec<(String, usize)> = p
        .documents()
        .iter()
        .filter(|doc| doc.len_chars() > 400 && !doc.id.contains('#'))
        .take(4)
        .map(|doc| (doc.id.clone(), doc.len_chars()))
        .collect();
    assert_eq!(documents.len(), 4);
    drop(p);
    let writers: Vec<_> = documents
        .iter()
        .enumerate()
        .map(|(w, (doc, _))| {
            let (doc, d) = (doc.clone(), d.to_string());
            std::thread::spawn(move || {
                let mut made = Vec::new();
                for k in 0..4 {
                    let (start, end) = (k * 50, k * 50 + 20);
                    let coder = format!("writer{w}");
                    let out = binary()
                        .args([
                            "code",
                            &d,
                            &doc,
                            "g0.c1",
                            "--start",
                            &start.to_string(),
                            "--end",
                            &end.to_string(),
                            "--coder",
                            &coder,
                        ])
                        .output()
                        .unwrap();
                    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
                    assert!(out.status.success(), "{stderr}");
                    let id = String::from_utf8_lossy(&out.stdout)
                        .split_whitespace()
                        .nth(1)
                        .unwrap()
                        .trim_end_matches(':')
                        .to_string();
                    made.push((id, coder, doc.clone(), start, end));
                }
                made
            })
        })
        .collect();
    let made: Vec<_> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert_eq!(made.len(), 16);
    let check = |dir: &Path| {
        let p = Project::open(dir).unwrap();
        let codings = p.codings().unwrap();
        assert_eq!(codings.len(), expected + 16);
        for (id, coder, doc, start, end) in &made {
            let c = p
                .store()
                .coding(id)
                .unwrap()
                .expect("every coding made is stored");
            assert_eq!(
                (&c.coder, &c.document, c.start, c.end),
                (coder, doc, *start, *end)
            );
            let file =
                std::fs::read_to_string(dir.join("codings").join(format!("{coder}.csv"))).unwrap();
            assert_eq!(file.matches(id.as_str()).count(), 1);
        }
    };
    check(&dir);
    std::fs::remove_dir_all(dir.join(".qualkit")).unwrap();
    check(&dir);
}

/// The files are the record: a row added to a codings file by hand, or a code changed there,
/// is in the project at the next command; a row without an id gets one, written back.
#[test]
fn codings_edited_by_hand_are_taken_up() {
    let f = coded_project();
    let path = f.root().join("codings/ak.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replacen(",coh.comm,", ",coh.diff,", 1)
        + ",ak,c1,learn,4,28,The GP is rarely around.,,\n";
    std::fs::write(&path, edited).unwrap();
    let mut p = f.open();
    let notes = p.take_notes();
    assert!(
        notes.iter().any(|n| n.contains("without an id (lines 4)")),
        "{notes:?}"
    );
    let ak: Vec<_> = p
        .codings()
        .unwrap()
        .into_iter()
        .filter(|c| c.coder == "ak")
        .collect();
    assert_eq!(ak.len(), 3);
    assert!(ak.iter().any(|c| c.code == "coh.diff"));
    let added = ak.iter().find(|c| c.document == "c1").unwrap();
    assert_eq!(added.id.len(), 36);
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.contains(&added.id), "{written}");
    // Taken up once: the next open has nothing to say.
    drop(p);
    assert!(f.open().take_notes().is_empty());
}
