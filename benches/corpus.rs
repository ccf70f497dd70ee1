//! Whole-workload timings on a generated corpus: ingest, auto-coding, intercoder agreement,
//! the store.
//! Run: `cargo bench --bench corpus` (QUALKIT_BENCH_MB sets the corpus size, default 100).
//! Each workload runs several times; the median is reported with throughput.

use std::time::{Duration, Instant};

use qualkit::Project;
use qualkit::agreement::{Breakdown, Level, MergeRule, SpanComparison};
use qualkit::coding::autocode::{self, Dictionary, Rule, Scope, Search};
use qualkit::store::{Author, NewCoding, OnOverlap, Store};

const RUNS: usize = 3;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn time<T>(mut work: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..RUNS {
        let started = Instant::now();
        last = Some(work());
        times.push(started.elapsed());
    }
    (median(times), last.expect("at least one run"))
}

fn report(workload: &str, elapsed: Duration, megabytes: f64, extra: &str) {
    println!(
        "{workload:<44} median {:>9.1} ms  {:>8.1} MB/s  {extra}",
        elapsed.as_secs_f64() * 1e3,
        megabytes / elapsed.as_secs_f64()
    );
}

fn main() {
    // `cargo test --benches` runs bench targets with `--bench`; keep that quick.
    let mb: usize = std::env::var("QUALKIT_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let dir = tempfile::tempdir().expect("temp dir");
    let per_doc = 200_000;
    let documents = (mb * 1_000_000).div_ceil(per_doc);
    qualkit::generate::write_corpus(dir.path(), documents, per_doc, 42).expect("corpus");
    println!(
        "corpus: {documents} documents, ~{mb} MB, in {}",
        dir.path().display()
    );

    let (elapsed, project) = time(|| {
        let _ = std::fs::remove_dir_all(dir.path().join(".qualkit"));
        Project::open(dir.path()).expect("opens")
    });
    let bytes: usize = project.documents().iter().map(|d| d.text.len()).sum();
    let megabytes = bytes as f64 / 1e6;
    report("ingest (open project, cold store)", elapsed, megabytes, "");

    let documents: Vec<_> = project.documents().iter().collect();
    let dictionary = Dictionary::new(qualkit::generate::generated_dictionary(500));
    let rule = Rule::Dictionary {
        dictionary,
        scope: Scope::Match,
    };
    let (elapsed, hits) = time(|| autocode::find(&rule, &documents).expect("dictionary"));
    report(
        "dictionary matching, 500 terms / 50 codes",
        elapsed,
        megabytes,
        &format!("{} spans", hits.len()),
    );

    let literal = Rule::Search {
        code: "g0.c1".into(),
        search: Search::Literal {
            text: "shared learning".into(),
            case_sensitive: false,
        },
        scope: Scope::Sentence,
    };
    let (elapsed, hits) = time(|| autocode::find(&literal, &documents).expect("search"));
    report(
        "literal search, sentence scope",
        elapsed,
        megabytes,
        &format!("{} spans", hits.len()),
    );

    let mut project = project;
    let mut run = 0;
    let (elapsed, report_) = time(|| {
        run += 1;
        project
            .autocode(&format!("bench{run}"), &literal, None)
            .expect("autocode")
    });
    report(
        "autocode literal, stored (one transaction)",
        elapsed,
        megabytes,
        &format!("{} codings", report_.added),
    );

    agreement(&mut project, megabytes);

    let store_dir = tempfile::tempdir().expect("temp dir");
    let codings: Vec<NewCoding> = (0..1_000_000usize)
        .map(|i| NewCoding {
            document: format!("doc{:06}", i % 2000),
            code: format!("g{}.c{}", i % 5, i % 10),
            start: (i / 2000) * 10,
            end: (i / 2000) * 10 + 7,
            memo: None,
        })
        .collect();
    let mut run = 0;
    let (elapsed, _) = time(|| {
        run += 1;
        let mut store = Store::open(&store_dir.path().join(format!("s{run}.db"))).expect("store");
        let author = Author {
            coder: "gen",
            codebook_version: "v1",
        };
        store
            .add_codings(
                &author,
                "generate",
                serde_json::json!({}),
                codings.clone(),
                &[],
                OnOverlap::Refuse,
            )
            .expect("insert")
    });
    println!(
        "{:<44} median {:>9.1} ms",
        "store 1,000,000 codings",
        elapsed.as_secs_f64() * 1e3
    );
    let store = Store::open(&store_dir.path().join("s1.db")).expect("store");
    let (elapsed, back) = time(|| store.codings().expect("read"));
    println!(
        "{:<44} median {:>9.1} ms  ({} rows)",
        "read back 1,000,000 codings",
        elapsed.as_secs_f64() * 1e3,
        back.len()
    );
}

/// Two coders' dictionary coding of the whole corpus (one codes the matches, the other the
/// sentences around them), compared code by code and merged.
fn agreement(project: &mut Project, megabytes: f64) {
    let dictionary = Dictionary::new(qualkit::generate::generated_dictionary(500));
    for (coder, scope) in [("ak", Scope::Match), ("rb", Scope::Sentence)] {
        let rule = Rule::Dictionary {
            dictionary: dictionary.clone(),
            scope,
        };
        project.autocode(coder, &rule, None).expect("autocode");
    }
    let codings = project.store().count_codings().expect("count");
    let (elapsed, table) = time(|| {
        let c = SpanComparison::new(project, "ak", "rb").expect("coders");
        c.table(&c.codes_applied(), Breakdown::Code, Level::Character)
            .expect("agreement")
    });
    report(
        "agreement, character level, every code",
        elapsed,
        megabytes,
        &format!("{} codes, {codings} codings in the store", table.rows() - 1),
    );
    let (elapsed, table) = time(|| {
        let c = SpanComparison::new(project, "ak", "rb").expect("coders");
        c.table(
            &c.codes_applied(),
            Breakdown::Code,
            Level::Segment { min_overlap: 0.0 },
        )
        .expect("agreement")
    });
    report(
        "agreement, segment level, every code",
        elapsed,
        megabytes,
        &format!("{} codes", table.rows() - 1),
    );
    let (elapsed, table) = time(|| {
        let c = SpanComparison::new(project, "ak", "rb").expect("coders");
        c.disagreements(&c.codes_applied(), None)
            .expect("disagreements")
    });
    report(
        "disagreements with text, every code",
        elapsed,
        megabytes,
        &format!("{} stretches", table.rows()),
    );
    let coders = ["ak".to_string(), "rb".to_string()];
    let (elapsed, merged) = time(|| {
        project
            .merge_coders("bench", &coders, "consensus", MergeRule::Union, true)
            .expect("merge")
    });
    report(
        "merge two coders (union, one transaction)",
        elapsed,
        megabytes,
        &format!("{} codings", merged.added),
    );
}
