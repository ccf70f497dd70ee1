//! Commands on a project as a whole: create one, bring documents and projects in and out, see
//! what it holds and its history, undo a change, edit the codebook, write a synthetic one.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use qualkit::project::{ImportMetadata, StarterCodebook};
use qualkit::{Error, Project, Result};

use super::{CoderArg, coder_name, open_project, show_notes, terminal_table};

#[derive(Args)]
pub(super) struct NewArgs {
    dir: PathBuf,
    /// Project name (default: the folder name).
    #[arg(long)]
    name: Option<String>,
    /// Start the codebook empty (`empty`), with NPT's 4 constructs and 16 sub-constructs
    /// (`npt`), or with those and the 2022 NPT coding manual's contexts and outcomes
    /// (`npt-manual`).
    #[arg(long, default_value = "empty")]
    codebook: String,
}

impl NewArgs {
    pub(super) fn run(self) -> Result<()> {
        let starter = match self.codebook.as_str() {
            "npt" => StarterCodebook::Npt,
            "npt-manual" => StarterCodebook::NptManual,
            "empty" => StarterCodebook::Empty,
            other => {
                return Err(Error::Argument {
                    argument: "--codebook".into(),
                    message: format!(
                        "`{other}` is not a starter codebook; use npt, npt-manual or empty"
                    ),
                });
            }
        };
        let name = self.name.unwrap_or_else(|| folder_name(&self.dir));
        Project::create(&self.dir, &name, starter)?;
        println!("Created project `{name}` in {}", self.dir.display());
        Ok(())
    }
}

/// The name of the folder `dir` (which need not exist yet).
fn folder_name(dir: &Path) -> String {
    dir.canonicalize()
        .or_else(|_| std::path::absolute(dir))
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "qualkit project".into())
}

#[derive(Args)]
pub(super) struct ImportArgs {
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
}

impl ImportArgs {
    pub(super) fn run(self) -> Result<()> {
        let Self {
            dir,
            files,
            overwrite,
            dry_run,
            coder,
            case,
            method,
            phase,
            date,
        } = self;
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
        // The exchange import opens the project itself, and writes to it.
        drop(project);
        for file in exchange {
            print!("{}", qualkit::exchange::import(&dir, &file, &options)?);
        }
        Ok(())
    }
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

#[derive(Args)]
pub(super) struct ExportArgs {
    dir: PathBuf,
    out: PathBuf,
}

impl ExportArgs {
    pub(super) fn run(self) -> Result<()> {
        let project = open_project(&self.dir)?;
        print!("{}", qualkit::exchange::export(&project, &self.out)?);
        Ok(())
    }
}

#[derive(Args)]
pub(super) struct InfoArgs {
    dir: PathBuf,
}

impl InfoArgs {
    pub(super) fn run(self) -> Result<()> {
        print!("{}", open_project(&self.dir)?.summary()?);
        Ok(())
    }
}

#[derive(Args)]
pub(super) struct LogArgs {
    dir: PathBuf,
    /// One JSON object per line, as log.jsonl keeps them.
    #[arg(long)]
    json: bool,
}

impl LogArgs {
    pub(super) fn run(self) -> Result<()> {
        let project = open_project(&self.dir)?;
        let log = project.log()?;
        if self.json {
            for line in &log {
                println!(
                    "{}",
                    serde_json::to_string(line).expect("log lines serialise")
                );
            }
        } else {
            let mut table = terminal_table(&["id", "when", "who", "what", "details"]);
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
        Ok(())
    }
}

#[derive(Args)]
pub(super) struct RevertArgs {
    dir: PathBuf,
    /// The entry's id, or its first 4 or more characters (see `qualkit log`).
    entry: String,
    #[command(flatten)]
    coder: CoderArg,
}

impl RevertArgs {
    pub(super) fn run(self) -> Result<()> {
        let mut project = open_project(&self.dir)?;
        let coder = coder_name(&self.coder, &project);
        let entry = self.entry;
        let done = project.revert(&coder, &entry)?;
        println!(
            "reverted {entry} as entry {}: {} codings removed, {} restored, {} recoded back, {} memos, summaries or classifications restored",
            done.entry,
            done.codings_removed,
            done.codings_restored,
            done.codings_recoded,
            done.notes_restored
        );
        Ok(())
    }
}

#[derive(Args)]
pub(super) struct CodebookArgs {
    dir: PathBuf,
    #[command(subcommand)]
    action: CodebookAction,
    /// Who is making the change (default: $QUALKIT_CODER, then `coder` in qualkit.toml,
    /// then $USER).
    #[arg(long, global = true)]
    coder: Option<String>,
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

impl CodebookArgs {
    pub(super) fn run(self) -> Result<()> {
        use qualkit::project::codebook_edits::CodebookEdit;
        let mut project = open_project(&self.dir)?;
        let edit = match self.action {
            CodebookAction::Show => {
                show_codebook(&project)?;
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
        let coder = coder_name(&CoderArg { coder: self.coder }, &project);
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
}

/// The codebook as an indented tree, with each code's own codings and those of its subtree.
fn show_codebook(project: &Project) -> Result<()> {
    let mut own: std::collections::HashMap<String, usize> = Default::default();
    for c in project.codings()? {
        *own.entry(c.code).or_default() += 1;
    }
    let mut table = terminal_table(&["code", "id", "codings", "with codes below"]);
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
    Ok(())
}

#[derive(Args)]
pub(super) struct GenCorpusArgs {
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

impl GenCorpusArgs {
    pub(super) fn run(self) -> Result<()> {
        use qualkit::project::generate::{CODERS, CorpusSpec, write_corpus};
        let spec = match (self.docs, self.mb) {
            (Some(docs), _) => CorpusSpec::new(docs, self.doc_bytes, self.seed),
            (None, Some(mb)) if mb > 0.0 => CorpusSpec::of_megabytes(mb, self.seed),
            _ => {
                return Err(Error::Argument {
                    argument: "--mb".into(),
                    message: "give a size above 0, or --docs N".into(),
                });
            }
        }
        .with_codings(self.codings);
        let written = write_corpus(&self.dir, &spec)?;
        println!(
            "wrote {} transcripts and {} survey answers ({:.1} MB of text) to {}",
            written.transcripts,
            written.survey_answers,
            written.text_bytes as f64 / 1e6,
            self.dir.display()
        );
        if self.codings > 0 {
            println!(
                "codings: {} by {}, {} by {}",
                written.codings[0], CODERS[0], written.codings[1], CODERS[1]
            );
        }
        Ok(())
    }
}
