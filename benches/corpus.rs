//! Whole-workload timings on a generated corpus, each workload in a fresh process so that its
//! first run is cold (nothing cached in the process) and its peak memory is its own.
//!
//! ```text
//! cargo bench --bench corpus                          # QUALKIT_BENCH_MB (default 100) MB, temp dir
//! cargo bench --bench corpus -- --project DIR         # a corpus from `qualkit gen-corpus --codings N`
//! cargo bench --bench corpus -- --project DIR --json results.json --runs 5 --only matrix,kwic
//! cargo bench --bench corpus -- --project DIR --only suggest   # run on request only
//! cargo bench --bench corpus --features embeddings -- --project DIR --only embed,embed-suggest
//! ```
//!
//! Each workload runs once cold, then `--runs` times warm (fewer once it has taken 30 s in
//! all); the table shows the cold time, the median of the warm runs, throughput and the
//! child process's peak resident memory (from `wait4`). `benches/compare.sh` runs the same
//! workloads in Python (`benches/baseline/`) on the same files and prints both side by side.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use qualkit::Project;
use qualkit::agreement::spans::{Breakdown, Level, SpanComparison};
use qualkit::analysis::{Analysis, Corpus, Dimension, MatrixColumns, Measure};
use qualkit::coding::autocode::{self, Dictionary, Rule, Scope, Search};

/// The workloads, in the order they run and print.
const WORKLOADS: &[(&str, &str)] = &[
    (
        "ingest",
        "read and parse every document (open, store built)",
    ),
    ("store", "first open: build the store from the record files"),
    (
        "hand",
        "one hand coding by a coder with half the codings, written through to the files",
    ),
    ("open", "open the project and index all its codings"),
    (
        "view",
        "draw the document view (HTML) of the most coded document, as the coding widget does after each action",
    ),
    (
        "reanchor",
        "re-anchor every coding of a 1 MB transcript after 100 scattered edits",
    ),
    (
        "dictionary",
        "dictionary auto-coding, 500 terms over 50 codes",
    ),
    ("kwic", "word search with keyword in context"),
    ("matrix", "matrix coding: cases x 50 codes, coded words"),
    (
        "framework",
        "Framework matrix: cases x 5 themes with quotes",
    ),
    ("cooccurrence", "code co-occurrence, 50 x 50 codes"),
    (
        "agreement",
        "character-level agreement of two coders, 50 codes",
    ),
];

/// Workloads run only when asked for by `--only`: without a baseline in Python, and long.
const ON_REQUEST: &[(&str, &str)] = &[
    (
        "suggest",
        "suggestions of one code learned from one coder: sentences, 5-fold cross-validation, TF-IDF + logistic regression, the 20 best with their nearest coded sentences",
    ),
    (
        "embed",
        "sentence embeddings (feature `embeddings`, the installed model): a fixed sample of 2,000 sentences, every n-th of the corpus, batched, model loaded once",
    ),
    (
        "embed-suggest",
        "hybrid suggestions (TF-IDF + embeddings) of one code on a 0.5 MB corpus from the same generator (seed 42): cold embeds every sentence, warm runs read the cache",
    ),
];

/// Sentences embedded by the `embed` workload: all of a 100 MB corpus would take hours.
#[cfg(feature = "embeddings")]
const EMBED_SAMPLE: usize = 2_000;

/// The corpus the `embed-suggest` workload suggests on, in MB of text.
#[cfg(feature = "embeddings")]
const EMBED_SUGGEST_MB: f64 = 0.5;

/// Warm runs after the first stop once the workload has taken this long in all, cold run
/// included.
const BUDGET: Duration = Duration::from_secs(30);

/// What one workload measured, as the child process reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Measured {
    workload: String,
    /// Bytes of document text in the corpus.
    text_bytes: usize,
    cold_ms: f64,
    median_ms: f64,
    warm_runs: usize,
    /// A count the result must have (hits, coded words...), to compare with the baseline.
    check: u64,
    /// Peak resident memory of the process, filled in by the parent.
    #[serde(default)]
    peak_bytes: u64,
}

struct Options {
    project: Option<PathBuf>,
    json: Option<PathBuf>,
    runs: usize,
    only: Option<Vec<String>>,
    workload: Option<String>,
}

fn options() -> Options {
    let mut options = Options {
        project: None,
        json: None,
        runs: 3,
        only: None,
        workload: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| panic!("{name} needs a value"))
        };
        match arg.as_str() {
            "--project" => options.project = Some(value("--project").into()),
            "--json" => options.json = Some(value("--json").into()),
            "--runs" => options.runs = value("--runs").parse().expect("--runs N"),
            "--only" => options.only = Some(value("--only").split(',').map(String::from).collect()),
            "--workload" => options.workload = Some(value("--workload")),
            // cargo passes --bench to harness=false targets.
            "--bench" => {}
            other => panic!("unknown argument `{other}`"),
        }
    }
    options
}

fn main() {
    let options = options();
    if options.workload.as_deref() == Some(PREPARE) {
        let project = options
            .project
            .as_deref()
            .expect("--workload needs --project");
        Project::open(project).expect("project opens");
        return;
    }
    if let Some(workload) = &options.workload {
        let project = options
            .project
            .as_deref()
            .expect("--workload needs --project");
        let measured = run_workload(workload, project, options.runs);
        println!("{}", serde_json::to_string(&measured).expect("serialises"));
        return;
    }
    let generated;
    let project = match &options.project {
        Some(dir) => dir.clone(),
        None => {
            let mb: f64 = std::env::var("QUALKIT_BENCH_MB")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(100.0);
            generated = tempfile::tempdir().expect("temp dir");
            let spec = qualkit::project::generate::CorpusSpec::of_megabytes(mb, 42)
                .with_codings((mb * 10_000.0) as usize);
            let written =
                qualkit::project::generate::write_corpus(generated.path(), &spec).expect("corpus");
            println!(
                "generated {} transcripts, {} survey answers, {:.1} MB, {} codings in {}",
                written.transcripts,
                written.survey_answers,
                written.text_bytes as f64 / 1e6,
                written.codings.iter().sum::<usize>(),
                generated.path().display()
            );
            generated.path().to_path_buf()
        }
    };
    let mut results = Vec::new();
    for (workload, what) in WORKLOADS.iter().chain(ON_REQUEST) {
        let asked = |only: &Vec<String>| only.iter().any(|o| o == workload);
        let on_request = ON_REQUEST.iter().any(|(w, _)| w == workload);
        if options
            .only
            .as_ref()
            .map_or(on_request, |only| !asked(only))
        {
            continue;
        }
        if *workload != "store" {
            // Every other workload reads a built store; build it once, untimed, in a process
            // of its own: Linux counts the memory of the process a child was started from in
            // the child's peak, so this one stays small.
            prepare_in_child(&project);
        }
        let measured = in_child(workload, &project, options.runs);
        print_row(&measured, what);
        results.push(measured);
    }
    if let Some(path) = &options.json {
        std::fs::write(
            path,
            serde_json::to_string_pretty(&results).expect("serialises"),
        )
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
}

fn print_row(m: &Measured, what: &str) {
    let mb = m.text_bytes as f64 / 1e6;
    println!(
        "{:<13} cold {:>9.1} ms  median {:>9.1} ms ({} runs)  {:>8.1} MB/s  peak {:>6.0} MB ({:.1}x text)  check {}  -- {what}",
        m.workload,
        m.cold_ms,
        m.median_ms,
        m.warm_runs,
        mb / (m.median_ms / 1e3),
        m.peak_bytes as f64 / 1e6,
        m.peak_bytes as f64 / m.text_bytes as f64,
        m.check,
    );
}

/// The child's task of opening a project once, so that its store is built.
const PREPARE: &str = "prepare";

fn prepare_in_child(project: &Path) {
    let exe = std::env::current_exe().expect("own path");
    let status = Command::new(exe)
        .args(["--workload", PREPARE, "--project"])
        .arg(project)
        .status()
        .expect("child starts");
    assert!(status.success(), "{} does not open", project.display());
}

/// Runs one workload in a fresh process of this binary and reads its peak memory.
#[allow(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, which also reports its peak memory"
)]
fn in_child(workload: &str, project: &Path, runs: usize) -> Measured {
    let exe = std::env::current_exe().expect("own path");
    let child = Command::new(exe)
        .args(["--workload", workload, "--runs", &runs.to_string()])
        .arg("--project")
        .arg(project)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("child starts");
    let pid = child.id() as libc::pid_t;
    let output = std::io::read_to_string(child.stdout.expect("piped stdout")).expect("reads");
    // SAFETY: `rusage` and `status` are plain C structs the call fills; `pid` is our child,
    // reaped here and nowhere else.
    let (status, rusage) = unsafe {
        let mut status = 0;
        let mut rusage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::wait4(pid, &mut status, 0, &mut rusage), pid);
        (status, rusage)
    };
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "workload {workload} failed"
    );
    let mut measured: Measured = serde_json::from_str(output.trim()).expect("child reports JSON");
    // ru_maxrss is in kilobytes on Linux.
    measured.peak_bytes = rusage.ru_maxrss as u64 * 1024;
    measured
}

/// Times `work` once cold and then warm, up to `runs` times within [`BUDGET`].
fn measure(
    workload: &str,
    text_bytes: usize,
    runs: usize,
    mut work: impl FnMut() -> u64,
) -> Measured {
    let started = Instant::now();
    let check = work();
    let cold = started.elapsed();
    let mut warm: Vec<Duration> = Vec::new();
    // At least one warm run: what a cache saves (the vectors of `embed-suggest`, SQLite's
    // pages) shows only there, however long the cold run took.
    while warm.len() < runs && (warm.is_empty() || cold + warm.iter().sum::<Duration>() < BUDGET) {
        let started = Instant::now();
        let again = work();
        warm.push(started.elapsed());
        assert_eq!(again, check, "{workload} gives the same result every run");
    }
    warm.sort();
    Measured {
        workload: workload.to_string(),
        text_bytes,
        cold_ms: cold.as_secs_f64() * 1e3,
        // With `--runs 0`, the cold run stands for the median.
        median_ms: warm.get(warm.len() / 2).unwrap_or(&cold).as_secs_f64() * 1e3,
        warm_runs: warm.len(),
        check,
        peak_bytes: 0,
    }
}

fn text_bytes(project: &Project) -> usize {
    project.documents().iter().map(|d| d.text.len()).sum()
}

fn leaf_codes() -> Vec<String> {
    (0..qualkit::project::generate::CODES)
        .map(|c| format!("g{}.c{}", c / 10, c % 10))
        .collect()
}

fn run_workload(workload: &str, dir: &Path, runs: usize) -> Measured {
    let open = || Project::open(dir).expect("project opens");
    match workload {
        "ingest" | "store" | "open" => {
            let bytes = text_bytes(&open());
            let mut project = None;
            measure(workload, bytes, runs, || {
                drop(project.take());
                if workload == "store" {
                    let store = dir.join(".qualkit");
                    std::fs::remove_dir_all(&store).expect("store removed");
                }
                let opened = project.insert(open());
                match workload {
                    "ingest" => opened.documents().len() as u64,
                    "store" => opened.store().count_codings().expect("counts") as u64,
                    _ => {
                        let analysis = Analysis::new(opened, None).expect("codings indexed");
                        analysis.coding_count() as u64
                    }
                }
            })
        }
        "view" => {
            let project = open();
            let mut per_document: std::collections::HashMap<String, usize> = Default::default();
            project
                .store()
                .scan_codings(|document, _, _, _, _| {
                    *per_document.entry(document.to_string()).or_default() += 1;
                })
                .expect("codings scanned");
            let (document, _) = per_document
                .into_iter()
                .max_by_key(|(d, n)| (*n, d.clone()))
                .expect("a coded document");
            let bytes = project.document(&document).expect("document").text.len();
            measure(workload, bytes, runs, || {
                let view = qualkit::render::document_view::DocumentView::build(
                    &project,
                    &document,
                    &Default::default(),
                )
                .expect("view");
                view.html().len() as u64
            })
        }
        "hand" => {
            let mut project = open();
            let document = project
                .documents()
                .iter()
                .find(|d| d.len_chars() > 4_000 && !d.id.contains('#'))
                .expect("a long transcript")
                .id
                .clone();
            let bytes = text_bytes(&project);
            // Past the spans an earlier run of this workload coded.
            let mut next = project
                .codings()
                .expect("codings")
                .iter()
                .filter(|c| c.coder == "ak" && c.code == "g0" && c.document == document)
                .map(|c| c.end / 10 + 1)
                .max()
                .unwrap_or(0);
            // The parent code `g0` is never coded by the generator: no overlaps, and each
            // run codes a new span, so that every run is a real change.
            measure(workload, bytes, runs, || {
                let span = qualkit::coding::Span::Offsets {
                    start: next * 10,
                    end: next * 10 + 5,
                };
                next += 1;
                project
                    .code("ak", &document, "g0", &span)
                    .expect("hand coding");
                1
            })
        }
        "reanchor" => {
            use qualkit::coding::reanchor::{Anchor, Placement, reanchor};
            let project = open();
            // One long transcript: the corpus's documents end to end, to 1 MB.
            let mut old = String::new();
            for d in project.documents() {
                if old.len() >= 1 << 20 {
                    break;
                }
                old.push_str(&d.text);
                old.push('\n');
            }
            let chars: Vec<char> = old.chars().collect();
            // A coding of 80 code points every 400.
            let quotes: Vec<(usize, usize, String)> = (0..chars.len().saturating_sub(80))
                .step_by(400)
                .map(|s| (s, s + 80, chars[s..s + 80].iter().collect()))
                .collect();
            let anchors: Vec<Anchor> = quotes
                .iter()
                .map(|(start, end, quote)| Anchor {
                    start: *start,
                    end: *end,
                    quote,
                })
                .collect();
            // 100 edits spread through the text: words added, cut and replaced.
            let mut new: Vec<char> = chars.clone();
            let step = chars.len() / 101;
            for k in (1..=100).rev() {
                let at = k * step;
                let (cut, put) = match k % 3 {
                    0 => (0, " (inaudible)"),
                    1 => (12, ""),
                    _ => (5, "mhm"),
                };
                let end = (at + cut).min(new.len());
                new.splice(at..end, put.chars());
            }
            let new: String = new.into_iter().collect();
            let counts =
                qualkit::coding::reanchor::Counts::of(&reanchor(Some(&old), &new, &anchors));
            eprintln!("reanchor: {} codings: {counts}", anchors.len());
            measure(workload, old.len(), runs, || {
                reanchor(Some(&old), &new, &anchors)
                    .iter()
                    .filter(|p| **p != Placement::Detached)
                    .count() as u64
            })
        }
        "dictionary" => {
            let project = open();
            let dictionary = Dictionary::load(
                &dir.join(qualkit::project::generate::DICTIONARY_FILE),
                &project.codebook,
            )
            .expect("dictionary loads");
            let rule = Rule::Dictionary {
                dictionary,
                scope: Scope::Match,
            };
            let documents: Vec<_> = project.documents().iter().collect();
            measure(workload, text_bytes(&project), runs, || {
                autocode::find(&rule, &documents).expect("dictionary").len() as u64
            })
        }
        "kwic" => {
            let project = open();
            let search = Search::Word {
                text: "housing".into(),
                case_sensitive: false,
            };
            measure(workload, text_bytes(&project), runs, || {
                qualkit::analysis::keyword_in_context(&Corpus::of(&project), &search, 40)
                    .expect("kwic")
                    .rows() as u64
            })
        }
        "matrix" | "framework" | "cooccurrence" => {
            let project = open();
            let analysis = Analysis::new(&project, None).expect("codings indexed");
            let codes = leaf_codes();
            let themes: Vec<String> = (0..5).map(|g| format!("g{g}")).collect();
            let group = Dimension::CaseAttribute("integration".into());
            let summaries = project.store().summaries().expect("summaries");
            measure(workload, text_bytes(&project), runs, || match workload {
                "matrix" => {
                    let table = analysis
                        .matrix(
                            &Dimension::Case,
                            &MatrixColumns::Codes(codes.clone()),
                            Measure::Words,
                        )
                        .expect("matrix");
                    sum_integers(&table, &codes.len())
                }
                "framework" => {
                    let matrix = analysis
                        .framework(&themes, Some(&group), &summaries)
                        .expect("framework");
                    let table = matrix.to_table().expect("table");
                    integer_column(&table, "references")
                }
                _ => {
                    let table = analysis.cooccurrence(&codes).expect("co-occurrence");
                    sum_integers(&table, &codes.len())
                }
            })
        }
        "agreement" => {
            let project = open();
            let codes = leaf_codes();
            measure(workload, text_bytes(&project), runs, || {
                let comparison = SpanComparison::new(&project, "ak", "rb").expect("two coders");
                let table = comparison
                    .table(&codes, Breakdown::Code, Level::Character)
                    .expect("agreement");
                // The overall row's characters coded by both coders.
                match table.values("both").expect("column").last() {
                    Some(qualkit::analysis::table::CellValue::Integer(both)) => *both as u64,
                    other => panic!("overall `both` is {other:?}"),
                }
            })
        }
        "suggest" => {
            let project = open();
            let options = qualkit::suggest::Options {
                coder: Some("ak".into()),
                limit: Some(20),
                ..Default::default()
            };
            measure(workload, text_bytes(&project), runs, || {
                let made = project.suggest("g0.c0", &options).expect("suggestions");
                eprintln!("suggest: {}", made.evaluation.summary());
                made.scored as u64
            })
        }
        "embed" | "embed-suggest" => embeddings_workload(workload, dir, runs),
        other => panic!("unknown workload `{other}`"),
    }
}

#[cfg(not(feature = "embeddings"))]
fn embeddings_workload(workload: &str, _dir: &Path, _runs: usize) -> Measured {
    panic!(
        "`{workload}` needs the build with sentence embeddings: cargo bench --bench corpus --features embeddings"
    )
}

#[cfg(feature = "embeddings")]
fn embeddings_workload(workload: &str, dir: &Path, runs: usize) -> Measured {
    use qualkit::embeddings::{Encoder, models};
    let models_dir = models::models_dir().expect("a models folder");
    let model = models::choose(&models_dir, None)
        .expect("installed models")
        .unwrap_or_else(|| {
            panic!(
                "no sentence model in {}: {}",
                models_dir.display(),
                qualkit::suggest::features::HOW_TO_GET_A_MODEL
            )
        });
    if workload == "embed" {
        let project = Project::open(dir).expect("project opens");
        let units = project.units(qualkit::suggest::UnitKind::Sentence);
        let step = (units.len() / EMBED_SAMPLE).max(1);
        let documents = project.documents();
        let texts: Vec<&str> = units
            .iter()
            .step_by(step)
            .take(EMBED_SAMPLE)
            .map(|u| documents[u.document].slice(u.start, u.end).unwrap_or(""))
            .collect();
        let bytes = texts.iter().map(|t| t.len()).sum();
        let encoder = Encoder::load(&model.dir, &model.manifest.hash).expect("the model loads");
        let mut truncated = 0;
        let measured = measure(workload, bytes, runs, || {
            let encoded = encoder.encode(&texts).expect("embedded");
            truncated = encoded.truncated.iter().filter(|t| **t).count();
            encoded.vectors.len() as u64
        });
        eprintln!(
            "embed: {} sentences (every {step}th of {}, {:.1} characters on average, {truncated} cut at the model's length), model {}: {:.0} sentences/s, {:.2} ms per sentence (median run)",
            texts.len(),
            units.len(),
            bytes as f64 / texts.len().max(1) as f64,
            &model.manifest.hash[..12],
            texts.len() as f64 / (measured.median_ms / 1000.0),
            measured.median_ms / texts.len().max(1) as f64,
        );
        return measured;
    }
    let sample = tempfile::tempdir().expect("temp dir");
    let spec = qualkit::project::generate::CorpusSpec::of_megabytes(EMBED_SUGGEST_MB, 42)
        .with_codings((EMBED_SUGGEST_MB * 10_000.0) as usize);
    qualkit::project::generate::write_corpus(sample.path(), &spec).expect("corpus");
    let project = Project::open(sample.path()).expect("project opens");
    let options = qualkit::suggest::Options {
        coder: Some("ak".into()),
        limit: Some(20),
        features: Some(qualkit::suggest::Features::Hybrid),
        ..Default::default()
    };
    let mut units = 0;
    let measured = measure(workload, text_bytes(&project), runs, || {
        let made = project.suggest("g0.c0", &options).expect("suggestions");
        eprintln!("embed-suggest: {}", made.evaluation.summary());
        units = made.evaluation.units;
        made.scored as u64
    });
    eprintln!(
        "embed-suggest: {units} sentences: cold (embedding all) {:.2} ms per sentence, warm (vectors cached) {:.3} ms per sentence",
        measured.cold_ms / units.max(1) as f64,
        measured.median_ms / units.max(1) as f64
    );
    measured
}

/// The sum of every integer cell of a table's last `columns` columns.
fn sum_integers(table: &qualkit::analysis::table::Table, columns: &usize) -> u64 {
    let names = table.column_names();
    names[names.len() - columns..]
        .iter()
        .map(|name| integer_column(table, name))
        .sum()
}

fn integer_column(table: &qualkit::analysis::table::Table, name: &str) -> u64 {
    table
        .values(name)
        .expect("column")
        .into_iter()
        .map(|v| match v {
            qualkit::analysis::table::CellValue::Integer(i) => i as u64,
            other => panic!("`{name}` holds {other:?}, not integers"),
        })
        .sum()
}
