//! Every example in help runs: each ```` ```rhai ```` block in the `///` comments of the
//! functions scripts can call is run by the real binary against its own copy of the sample
//! project, with `p` already open on it, as a reader of `help("name")` would try it. A wrong
//! example (arguments reversed, a function renamed, a code that is not in the sample) fails
//! here with the function it documents and the error.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use qualkit::script::{Example, Limits, Session};

use crate::common::copy_dir;

/// What every example may take as given: `p`, the sample project, as in help's own
/// examples.
const PREAMBLE: &str = "let p = project(\"data/deep-end\");\n";

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs one example in a fresh folder laid out as the repository is (`data/`, `teaching/`),
/// as a reader at its root would; `Err` says what went wrong.
fn run(example: &Example, index: usize) -> Result<(), String> {
    let folder = tempfile::tempdir().map_err(|e| e.to_string())?;
    for part in ["data", "teaching"] {
        copy_dir(&repository().join(part), &folder.path().join(part));
    }
    let script = folder.path().join(format!("example-{index}.rhai"));
    std::fs::write(&script, format!("{PREAMBLE}{}\n", example.code)).map_err(|e| e.to_string())?;
    let output = Command::new(env!("CARGO_BIN_EXE_qualkit"))
        .args(["run", "--max-seconds", "120"])
        .arg(&script)
        .current_dir(folder.path())
        .env("QUALKIT_CODER", "tester")
        .output()
        .map_err(|e| e.to_string())?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_string())
    }
}

fn examples() -> Vec<Example> {
    Session::new(Path::new("."), Limits::default()).help_examples()
}

#[test]
fn every_example_in_help_runs_against_the_sample_project() {
    let examples = examples();
    // Every function scripts can call is documented with an example; far fewer would mean
    // the examples were not found at all.
    assert!(
        examples.len() >= 90,
        "only {} examples found",
        examples.len()
    );
    let next = Mutex::new(0usize);
    let failures = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let index = {
                        let mut next = next.lock().unwrap();
                        *next += 1;
                        *next - 1
                    };
                    let Some(example) = examples.get(index) else {
                        break;
                    };
                    if let Err(error) = run(example, index) {
                        failures.lock().unwrap().push(format!(
                            "help(\"{}\"), under `{}`:\n{}\n  -> {}",
                            example.function,
                            example.signature,
                            example.code.replace('\n', "\n     "),
                            error
                        ));
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    assert!(
        failures.is_empty(),
        "{} of {} help examples fail:\n\n{}",
        failures.len(),
        examples.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_function_scripts_can_call_has_an_example() {
    let session = Session::new(Path::new("."), Limits::default());
    let missing = session.functions_without_examples();
    assert!(
        missing.is_empty(),
        "{} functions have no ```rhai example in their `///` comment: {}",
        missing.len(),
        missing.join(", ")
    );
}

#[test]
fn hidden_setup_lines_run_in_tests_but_stay_out_of_help() {
    let session = Session::new(Path::new("."), Limits::default());
    // `p.import_from` needs a file to import; its example makes one on lines help hides.
    let import = session
        .help_examples()
        .into_iter()
        .find(|e| e.function == "import_from")
        .expect("import_from has an example");
    let help = session.help("import_from").expect("help on import_from");
    let hidden: Vec<&str> = import
        .code
        .lines()
        .filter(|line| !help.contains(line.trim()))
        .collect();
    assert!(
        !hidden.is_empty(),
        "the example's setup shows in help:\n{help}"
    );
    assert!(help.contains("p.import_from("), "{help}");
    // Map literals start with `#` too and are never hidden.
    assert!(
        session.help("suggest").is_some_and(|h| h.contains("#{")),
        "a map literal was taken for a hidden line"
    );
}
