//! The Rhai language: saved scripts, errors, limits, closures, imports, the REPL.

use std::io::Write;
use std::process::{Command, Stdio};

use qualkit::script::{Limits, Session};

use crate::common::{Fixture, transcript};

fn session(dir: &std::path::Path) -> Session {
    Session::new(dir, Limits::default())
}

#[test]
fn the_deep_end_script_runs_and_reports_the_groups() {
    // In a copy: the script classifies the cases, which writes to the project when a figure
    // differs from the committed one, and the bundled sample must stay as committed.
    let copy = tempfile::tempdir().unwrap();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for folder in ["data/deep-end", "scripts", "stdlib"] {
        copy_tree(&repo.join(folder), &copy.path().join(folder));
    }
    let out = Command::new(env!("CARGO_BIN_EXE_qualkit"))
        .args(["run", "scripts/deep_end.rhai"])
        .current_dir(copy.path())
        .env("QUALKIT_CODER", "tester")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The rule reproduces the study's grouping: three fully, four partially integrated.
    let line = |case: &str, group: &str| format!("│ {case:<7} ┆ {group} ");
    for case in ["Magenta", "Ochre", "Cyan"] {
        assert!(stdout.contains(&line(case, "FIP")), "{case}\n{stdout}");
    }
    for case in ["Crimson", "Cobalt", "Olive", "Amber"] {
        assert!(stdout.contains(&line(case, "PIP")), "{case}\n{stdout}");
    }
    assert!(
        stdout.contains("│ FIP         ┆ 3   ┆ 0   ┆ 3     │"),
        "{stdout}"
    );
    assert!(
        stdout.contains("│ PIP         ┆ 0   ┆ 4   ┆ 4     │"),
        "{stdout}"
    );
    // Table 3: every construct has evidence in every practice of both groups.
    let coherence = stdout
        .lines()
        .find(|l| l.starts_with("│ Coherence "))
        .expect("a coherence row");
    assert!(
        coherence.contains("3/3") && coherence.contains("4/4"),
        "{coherence}"
    );
    for heading in [
        "Framework matrix: 7 cases × 4 themes",
        "Comparison by integration",
        "Coded passages of Shared learning by case and phase",
        "Continuity of CLP",
        "Character-level agreement of ak and rb",
        "│ (overall) ",
    ] {
        assert!(stdout.contains(heading), "{heading}\n{stdout}");
    }
}

#[test]
fn script_errors_name_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.rhai");
    std::fs::write(&path, "let a = 1;\nlet b = 2;\nlet c = a +* b;\n").unwrap();
    let err = session(dir.path()).run_file(&path).unwrap_err();
    assert_eq!((err.line, err.column), (Some(3), Some(12)), "{err}");
    assert!(
        err.to_string()
            .starts_with(&format!("{}:3:12:", path.display())),
        "{err}"
    );
    // A runtime error in a library call keeps the call's position and the library's message.
    let f = Fixture::new();
    f.write("m.txt", transcript("Magenta", &[], "A: hello\n"));
    let code = format!(
        "let p = project({:?});\n\np.code(\"m\", \"learn\", \"goodbye\");",
        f.root().display().to_string()
    );
    let err = session(dir.path())
        .eval(&code, "analysis.rhai")
        .unwrap_err();
    assert_eq!(err.line, Some(3), "{err}");
    assert!(err.message.contains("quote not found in `m`"), "{err}");
}

#[test]
fn an_endless_loop_stops_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Session::new(
        dir.path(),
        Limits {
            operations: 200_000,
            ..Limits::default().with_memory_mb(64)
        },
    );
    let err = s
        .eval("let x = 0;\nloop { x += 1; }", "loop.rhai")
        .unwrap_err();
    assert!(err.message.contains("operation limit"), "{err}");
    assert_eq!(err.line, Some(2));
    // The session survives and keeps earlier variables.
    assert_eq!(s.eval("x > 0", "next").unwrap().as_bool(), Ok(true));
    let err = s
        .eval("let s = \"ab\"; loop { s += s; }", "grow")
        .unwrap_err();
    assert!(err.message.contains("memory budget of 64 MB"), "{err}");
}

#[test]
fn a_running_script_can_be_interrupted_and_keeps_its_variables() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Session::new(
        dir.path(),
        Limits {
            operations: u64::MAX,
            ..Limits::default()
        },
    );
    let _ = s.eval("let kept = 41;", "a").unwrap();
    let flag = s.interrupter();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        flag.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let err = s.eval("loop { }", "b").unwrap_err();
    stopper.join().unwrap();
    assert_eq!(err.message, "interrupted");
    assert_eq!(s.eval("kept + 1", "c").unwrap().as_int(), Ok(42));
}

#[test]
fn closures_filter_segments_by_their_attributes() {
    let f = Fixture::new();
    f.write(
        "m.txt",
        transcript(
            "Magenta",
            &[("Dr Reid", "GP"), ("Ann", "CLP")],
            "Dr Reid: We learn together.\nAnn: I link people up.\n",
        ),
    );
    let code = format!(
        r#"let p = project({:?});
           p.coder = "ak";
           p.autocode_role("learn", "GP");
           p.autocode_role("coh.comm", "CLP");
           let gp = p.segments().filter(|s| s.role == "GP");
           [gp.len(), gp[0].text, gp[0].case_name, p.segments("Coherence")[0].speaker]"#,
        f.root().display().to_string()
    );
    let out = session(f.root())
        .eval(&code, "t")
        .unwrap()
        .into_array()
        .unwrap();
    assert_eq!(out[0].as_int(), Ok(1));
    assert_eq!(out[1].clone().into_string().unwrap(), "We learn together.");
    assert_eq!(out[2].clone().into_string().unwrap(), "Magenta");
    assert_eq!(out[3].clone().into_string().unwrap(), "Ann");
    assert_eq!(f.open().codings().unwrap()[0].coder, "ak");
}

#[test]
fn modules_import_from_the_stdlib_and_from_the_project_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("helpers.rhai"),
        "/// Twice x.\nfn double(x) { x * 2 }\n",
    )
    .unwrap();
    let mut s = session(dir.path());
    let v = s
        .eval(r#"import "npt" as npt; import "helpers" as h; [npt::constructs().len(), npt::sub_constructs().len(), npt::construct("enrolment").id, h::double(21)]"#, "t")
        .unwrap()
        .into_array()
        .unwrap();
    assert_eq!(v[0].as_int(), Ok(4));
    assert_eq!(v[1].as_int(), Ok(16));
    assert_eq!(
        v[2].clone().into_string().unwrap(),
        "npt.cognitive-participation.enrolment"
    );
    assert_eq!(v[3].as_int(), Ok(42));
    let err = s.eval(r#"import "nowhere" as n;"#, "t").unwrap_err();
    assert!(err.message.contains("nowhere"), "{err}");
}

#[test]
fn help_shows_doc_comments() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(dir.path());
    let text = s.help("segments").unwrap();
    assert!(text.contains("Segments coded with `code`"), "{text}");
    let from_script = s
        .eval(r#"help_text("autocode_text")"#, "t")
        .unwrap()
        .into_string()
        .unwrap();
    assert!(
        from_script.contains("Codes every match of `text`"),
        "{from_script}"
    );
    assert!(s.function_names().contains(&"autocode_role".to_string()));
}

#[test]
fn the_repl_reads_piped_input_and_survives_errors() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qualkit"))
        .env("HOME", tempfile::tempdir().unwrap().path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"let x = 20;\nundefined_thing(1)\nfn twice(v) {\n  v * 2\n}\ntwice(x) + 2\n:help project\ntable([#{word: \"hello\", n: x}])\ntabel([])\n:quit\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.lines().any(|l| l.trim().ends_with("42")), "{stdout}");
    assert!(
        stderr.contains("<repl>:1:1: Function not found: undefined_thing"),
        "{stderr}"
    );
    assert!(stdout.contains("Opens the qualkit project"), "{stdout}");
    // A table shows as a table, with its size.
    assert!(
        stdout.contains("│ n  ┆ word  │") && stdout.contains("1 row × 2 columns"),
        "{stdout}"
    );
    assert!(
        stderr.contains("tabel (array); did you mean `table`"),
        "{stderr}"
    );
}

/// issue 20: the kernel ran `loop {}` for minutes; every front end now stops a runaway script
/// at the same operation limit, which `QUALKIT_MAX_OPERATIONS` sets (the kernel's test is in
/// tests/jupyter/test_kernel.py).
#[test]
fn run_and_the_repl_stop_a_runaway_script_at_the_limit_the_environment_sets() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("spin.rhai");
    std::fs::write(&script, "let n = 0;\nloop { n += 1; }\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_qualkit"))
        .args(["run", script.to_str().unwrap()])
        .env("QUALKIT_MAX_OPERATIONS", "100000")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("operation limit of 100000"), "{stderr}");
    assert!(stderr.contains("spin.rhai:2:"), "{stderr}");

    let mut child = Command::new(env!("CARGO_BIN_EXE_qualkit"))
        .env("HOME", dir.path())
        .env("QUALKIT_MAX_OPERATIONS", "100000")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"let n = 0;\nloop { n += 1; }\nn > 0\n:quit\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("operation limit of 100000"), "{stderr}");
    assert!(
        stdout.lines().any(|l| l.trim().ends_with("true")),
        "{stdout}"
    );

    // 0 would mean no limit at all to Rhai: it is refused, and the default stays.
    let quick = dir.path().join("quick.rhai");
    std::fs::write(&quick, "print(40 + 2);\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_qualkit"))
        .args(["run", quick.to_str().unwrap()])
        .env("QUALKIT_MAX_OPERATIONS", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("QUALKIT_MAX_OPERATIONS=0 is not a positive whole number"),
        "{stderr}"
    );
}

#[test]
fn help_signatures_use_the_names_scripts_see() {
    let dir = tempfile::tempdir().unwrap();
    let text = session(dir.path()).help("code").unwrap();
    assert!(
        text.contains("code(p: Project, document: String, code: String, quote: String) -> Map"),
        "{text}"
    );
    assert!(
        !text.contains("Fallible") && !text.contains("&mut"),
        "{text}"
    );
}

/// Runs `code` as a saved script with the given options and environment; returns whether it
/// succeeded, its standard output and error, and how long it took.
fn run_limited(
    code: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (bool, String, String, std::time::Duration) {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("limited.rhai");
    std::fs::write(&script, code).unwrap();
    let started = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_qualkit"))
        .arg("run")
        .args(args)
        .arg(&script)
        .envs(env.iter().copied())
        .current_dir(dir.path())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

/// issue 20: each push measured the whole array (Rhai's per-value size limits), so a loop of
/// pushes slowed quadratically and was not stopped within a minute. The time limit ends this
/// test if that comes back.
#[test]
fn a_loop_of_pushes_takes_linear_time_and_stops_at_the_memory_budget() {
    let (ok, stdout, stderr, took) = run_limited(
        "let a = [];\nfor i in 0..200000 { a.push(i); }\nprint(a.len());\n",
        &["--max-seconds", "60"],
        &[],
    );
    assert!(ok, "{stderr}");
    assert_eq!(stdout.trim(), "200000");
    assert!(took.as_secs() < 30, "200,000 pushes took {took:?}");

    let (ok, _, stderr, took) = run_limited(
        "let a = [];\nlet n = 0;\nloop { a.push([n, n, n, n]); n += 1; }\n",
        &["--max-memory-mb", "8", "--max-seconds", "60"],
        &[],
    );
    assert!(!ok);
    assert!(
        stderr.contains("limited.rhai:3:") && stderr.contains("memory budget of 8 MB"),
        "{stderr}"
    );
    assert!(took.as_secs() < 30, "stopping took {took:?}");
}

/// issue 20: map keys were not counted at all, and values only one at a time, so a map of
/// long keys or of many large values grew until the process was killed.
#[test]
fn map_keys_and_values_count_against_the_memory_budget() {
    for (what, code) in [
        (
            "long keys",
            "let m = #{};\nlet i = 0;\nloop { let k = \"k\"; k.pad(1000, \"k\"); m[k + i] = i; i += 1; }\n",
        ),
        (
            "large values",
            "let m = #{};\nlet v = \"v\"; v.pad(1000000, \"v\");\nlet i = 0;\nloop { m[`${i}`] = v + i; i += 1; }\n",
        ),
    ] {
        // The time limit is only a safety net: the memory budget must stop these, and a debug
        // build on a loaded machine takes tens of seconds to fill 32 MB a key at a time.
        let (ok, _, stderr, _) = run_limited(
            code,
            &["--max-seconds", "600"],
            &[("QUALKIT_MAX_MEMORY_MB", "32")],
        );
        assert!(!ok, "{what}");
        assert!(
            stderr.contains("memory budget of 32 MB")
                && stderr.contains("QUALKIT_MAX_MEMORY_MB or --max-memory-mb"),
            "{what}: {stderr}"
        );
    }
}

/// issue 20: joining a table to itself on a column with one value built every pair of rows
/// (gigabytes) and the process aborted; the join is now counted first and refused.
#[test]
fn a_join_larger_than_the_memory_budget_is_refused_before_it_is_built() {
    let dir = tempfile::tempdir().unwrap();
    let rows: String = (0..3000).map(|i| format!("A,{i}\n")).collect();
    std::fs::write(dir.path().join("rows.csv"), format!("case,i\n{rows}")).unwrap();
    let script = dir.path().join("join.rhai");
    std::fs::write(
        &script,
        r#"let small = table([#{k: "x", v: 1}, #{k: "x", v: 2}, #{k: "y", v: 3}]);
let other = table([#{k: "x", w: 10}, #{k: "z", w: 30}]);
print(`${small.join(other, ["k"], "inner").rows} ${small.join(other, ["k"], "left").rows} ${small.join(other, ["k"], "full").rows}`);
let t = read_csv("rows.csv");
t.join(t, ["case"], "inner")
"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_qualkit"))
        .args(["run", "--max-memory-mb", "64", script.to_str().unwrap()])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    // Joins that fit are untouched.
    assert_eq!(stdout.trim(), "2 3 4");
    assert!(
        stderr.contains("join.rhai:5:")
            && stderr.contains("join: `on` [\"case\"] pairs up 9000000 rows")
            && stderr.contains("64 MB budget"),
        "{stderr}"
    );
}

/// Turning a table into maps multiplies its size; a table too large for that is refused.
#[test]
fn records_of_a_table_too_large_for_the_memory_budget_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let rows: String = (0..200_000).map(|i| format!("A,{i}\n")).collect();
    std::fs::write(dir.path().join("rows.csv"), format!("case,i\n{rows}")).unwrap();
    let script = dir.path().join("records.rhai");
    std::fs::write(
        &script,
        "let t = read_csv(\"rows.csv\");\nprint(t.head(10).records().len());\nt.records()\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_qualkit"))
        .args(["run", "--max-memory-mb", "16", script.to_str().unwrap()])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "10");
    assert!(
        stderr.contains("records.rhai:3:")
            && stderr.contains("records: a table of 200000 rows and 2 columns")
            && stderr.contains("16 MB budget"),
        "{stderr}"
    );
}

/// issue 20: a script is stopped by the clock too, whatever the operation limit.
#[test]
fn a_script_that_runs_past_its_time_limit_is_stopped() {
    let (ok, _, stderr, took) = run_limited(
        "let n = 0;\nloop { n += 1; }\n",
        &["--max-seconds", "1"],
        &[("QUALKIT_MAX_OPERATIONS", "1000000000000")],
    );
    assert!(!ok);
    assert!(
        stderr.contains("limited.rhai:2:") && stderr.contains("time limit of 1 s"),
        "{stderr}"
    );
    assert!(took.as_secs() < 10, "stopping took {took:?}");

    let (ok, _, stderr, _) = run_limited("print(1);\n", &[], &[("QUALKIT_MAX_SECONDS", "soon")]);
    assert!(ok);
    assert!(
        stderr.contains("QUALKIT_MAX_SECONDS=soon is not a positive whole number"),
        "{stderr}"
    );
}

/// Rhai's `pad` and `blob` build what the script asks for in one step; a length past the
/// budget is refused rather than allocated.
#[test]
fn a_pad_or_blob_past_the_memory_budget_is_refused() {
    for code in [
        "let a = [];\na.pad(100000000000, 0);\n",
        "let s = \"\";\ns.pad(100000000000, \"ab\");\n",
        "let s = \"\";\ns.pad(100000000000, 'x');\n",
        "let b = [];\nb = blob(100000000000);\n",
    ] {
        let (ok, _, stderr, _) = run_limited(code, &["--max-memory-mb", "64"], &[]);
        assert!(!ok, "{code}");
        assert!(
            stderr.contains("limited.rhai:2:")
                && stderr.contains("`len` 100000000000 adds")
                && stderr.contains("64 MB budget"),
            "{code}: {stderr}"
        );
    }
    let (ok, stdout, stderr, _) = run_limited(
        "let a = [1]; a.pad(3, 0); let s = \"7\"; s.pad(3, '0'); let t = \"ab\"; t.pad(5, \"xy\");\nprint(`${a} ${s} ${t} ${blob(2, 0x41)}`);\n",
        &[],
        &[],
    );
    assert!(ok, "{stderr}");
    assert_eq!(stdout.trim(), "[1, 0, 0] 700 abxyx [4141]");
}

/// Copies a folder, leaving out caches (`.qualkit/`).
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let name = entry.file_name();
        if name == ".qualkit" {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}
