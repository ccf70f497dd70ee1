//! The store under stress: a killed bulk coding, concurrent writers, a million codings.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use qualkit::store::{Author, NewCoding, OnOverlap, Store};

use crate::common::{Fixture, qualkit, transcript};

/// A project with `docs` documents of `words` words each, all containing "link worker".
fn big_fixture(docs: usize, paragraphs: usize) -> Fixture {
    let f = Fixture::new();
    let turn = "Dr Reid: The link worker helped a patient with housing and benefits, and the team talked about it.\n\n";
    for i in 0..docs {
        let case = if i % 2 == 0 { "Magenta" } else { "Cobalt" };
        f.write(
            &format!("d{i:04}.txt"),
            transcript(case, &[("Dr Reid", "GP")], &turn.repeat(paragraphs)),
        );
    }
    f
}

#[test]
fn killing_a_large_autocoding_leaves_the_store_as_it_was() {
    let f = big_fixture(40, 2500);
    let root = f.root().to_str().unwrap().to_string();
    // Something stored before the bulk run must survive it.
    let (ok, _, err) = qualkit(&[
        "code", &root, "d0000", "learn", "--start", "0", "--end", "5", "--coder", "ak",
    ]);
    assert!(ok, "{err}");
    let expected: usize = f
        .open()
        .documents()
        .iter()
        .map(|d| d.text.matches(['a', 'A']).count())
        .sum();
    let mut killed_mid_write = false;
    for delay_ms in [150u64, 400, 800, 1500] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_qualkit"))
            .args([
                "autocode",
                &root,
                "--code",
                "learn",
                "--literal",
                "a",
                "--inside-words",
                "--coder",
                "bulk",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let finished = child.try_wait().unwrap().is_some();
        child.kill().ok();
        child.wait().unwrap();
        let store = Store::open(&f.store_path()).unwrap().unwrap();
        assert_eq!(store.integrity_check().unwrap(), "ok");
        let bulk = store
            .codings()
            .unwrap()
            .iter()
            .filter(|c| c.coder == "bulk")
            .count();
        let ak = store
            .codings()
            .unwrap()
            .iter()
            .filter(|c| c.coder == "ak")
            .count();
        assert_eq!(ak, 1, "earlier coding survives");
        if finished {
            break;
        }
        // Either nothing of the run was stored, or all of it (if it committed just before the kill).
        assert!(
            bulk == 0 || bulk == expected,
            "partial write: {bulk} of {expected}"
        );
        killed_mid_write |= bulk == 0;
        if bulk > 0 {
            break;
        }
    }
    assert!(
        killed_mid_write,
        "no run was killed before it committed; the corpus is too small"
    );
}

#[test]
fn two_processes_coding_at_once_lose_nothing() {
    let f = big_fixture(4, 50);
    let root = f.root().to_str().unwrap().to_string();
    let spawn = |coder: &str, document: &str| {
        let script = (0..40)
            .map(|i| {
                format!(
                    "{} code {root} {document} learn --start {} --end {} --coder {coder}",
                    env!("CARGO_BIN_EXE_qualkit"),
                    i * 10,
                    i * 10 + 5
                )
            })
            .collect::<Vec<_>>()
            .join(" && ");
        Command::new("sh")
            .args(["-c", &script])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Open once so both writers find an existing store.
    f.open();
    let a = spawn("ak", "d0000");
    let b = spawn("rb", "d0000");
    let c = Command::new(env!("CARGO_BIN_EXE_qualkit"))
        .args([
            "autocode", &root, "--code", "ctx.lead", "--word", "patient", "--coder", "auto",
        ])
        .output()
        .unwrap();
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
    let p = f.open();
    let codings = p.codings().unwrap();
    let count = |coder: &str| codings.iter().filter(|c| c.coder == coder).count();
    assert_eq!((count("ak"), count("rb"), count("auto")), (40, 40, 4 * 50));
    assert_eq!(p.store().audit_log().unwrap().len(), 81);
}

#[test]
fn a_million_codings_are_stored_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("project.db")).unwrap();
    let codings: Vec<NewCoding> = (0..1_000_000usize)
        .map(|i| NewCoding {
            document: format!("doc{:04}", i % 2000),
            code: format!("code{}", i % 50),
            start: (i / 2000) * 10,
            end: (i / 2000) * 10 + 7,
            memo: None,
            id: None,
        })
        .collect();
    let author = Author {
        coder: "gen",
        codebook_version: "v1",
    };
    let started = Instant::now();
    let report = store
        .add_codings(
            &author,
            "generate",
            serde_json::json!({}),
            codings,
            &[],
            OnOverlap::Refuse,
        )
        .unwrap();
    assert_eq!(report.added, 1_000_000);
    drop(store);
    let store = Store::open(&dir.path().join("project.db"))
        .unwrap()
        .unwrap();
    let back = store.codings().unwrap();
    assert_eq!(back.len(), 1_000_000);
    assert_eq!(store.count_codings().unwrap(), 1_000_000);
    let last = back
        .iter()
        .filter(|c| c.document == "doc1999")
        .max_by_key(|c| c.start)
        .unwrap();
    assert_eq!((last.start, last.end), (4990, 4997));
    eprintln!(
        "a million codings stored and read back in {:?}",
        started.elapsed()
    );
}
