//! Commands that code text and read codings back: by hand (code, uncode, recode, memos), by
//! rule (autocode), listing codings, memos and segments, showing a coded document, and moving
//! codings in and out as CSV.

use std::path::{Path, PathBuf};

use clap::Args;

use qualkit::analysis::segments::SegmentFilter;
use qualkit::coding::Span;
use qualkit::coding::autocode::{Dictionary, Rule, Scope, Search};
use qualkit::project::MemoTarget;
use qualkit::{Error, Project, Result};

use super::{CoderArg, coder_name, open_project, terminal_table};

#[derive(Args)]
pub(super) struct CodeArgs {
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
}

impl CodeArgs {
    pub(super) fn run(self) -> Result<()> {
        let mut project = open_project(&self.dir)?;
        let span = match (self.quote, self.start, self.end) {
            (Some(text), _, _) => Span::Quote {
                text,
                occurrence: self.occurrence,
            },
            (None, Some(start), Some(end)) => Span::Offsets { start, end },
            _ => {
                return Err(Error::Argument {
                    argument: "span".into(),
                    message: "give --quote TEXT or --start N --end N".into(),
                });
            }
        };
        let coder = coder_name(&self.coder, &project);
        let coding = project.code(&coder, &self.document, &self.code, &span)?;
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
            qualkit::analysis::table::shorten(quote, 80)
        );
        Ok(())
    }
}

#[derive(Args)]
pub(super) struct UncodeArgs {
    dir: PathBuf,
    #[arg(required = true)]
    ids: Vec<String>,
    #[command(flatten)]
    coder: CoderArg,
}

impl UncodeArgs {
    pub(super) fn run(self) -> Result<()> {
        let mut project = open_project(&self.dir)?;
        let coder = coder_name(&self.coder, &project);
        for c in project.uncode(&coder, &self.ids)? {
            println!(
                "removed coding {}: {} {}..{} `{}` by {}",
                c.id, c.document, c.start, c.end, c.code, c.coder
            );
        }
        Ok(())
    }
}

#[derive(Args)]
pub(super) struct RecodeArgs {
    dir: PathBuf,
    id: String,
    code: String,
    #[command(flatten)]
    coder: CoderArg,
}

impl RecodeArgs {
    pub(super) fn run(self) -> Result<()> {
        let mut project = open_project(&self.dir)?;
        let coder = coder_name(&self.coder, &project);
        let c = project.recode(&coder, &self.id, &self.code)?;
        println!("coding {} is now `{}`", c.id, c.code);
        Ok(())
    }
}

#[derive(Args)]
pub(super) struct MemoArgs {
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
}

impl MemoArgs {
    pub(super) fn run(self) -> Result<()> {
        let mut project = open_project(&self.dir)?;
        let coder = coder_name(&self.coder, &project);
        let text = self.text;
        if let Some(id) = self.id {
            let memo = project.edit_memo(&coder, &id, &text)?;
            if text.is_empty() {
                println!("memo {} removed", memo.id);
            } else {
                println!("memo {} saved", memo.id);
            }
            return Ok(());
        }
        let target = match (self.coding, self.document, self.code, self.case) {
            (Some(id), ..) => MemoTarget::Coding(id),
            (_, Some(d), ..) => MemoTarget::Document(d),
            (_, _, Some(c), _) => MemoTarget::Code(c),
            (.., Some(c)) => MemoTarget::Case(c),
            _ => MemoTarget::Project,
        };
        project.memo(&coder, &target, &text)?;
        println!("memo saved");
        Ok(())
    }
}

#[derive(Args)]
pub(super) struct MemosArgs {
    dir: PathBuf,
    /// Only memos on a coding, document, code, case or the project.
    #[arg(long)]
    on: Option<String>,
}

impl MemosArgs {
    pub(super) fn run(self) -> Result<()> {
        let project = open_project(&self.dir)?;
        if let Some(kind) = &self.on
            && !["coding", "document", "code", "case", "project"].contains(&kind.as_str())
        {
            return Err(Error::argument(
                "--on",
                format!("`{kind}`: memos are on a coding, document, code, case or project"),
            ));
        }
        let memos = project.store().memos(self.on.as_deref(), None)?;
        let mut table = terminal_table(&["id", "on", "target", "by", "updated", "text"]);
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
        Ok(())
    }
}

#[derive(Args)]
pub(super) struct AutocodeArgs {
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

impl AutocodeArgs {
    pub(super) fn run(self) -> Result<()> {
        let mut project = Project::open(&self.dir)?;
        let coder = coder_name(&self.coder, &project);
        let scope: Scope = self.scope.parse()?;
        let code = self.code.clone().unwrap_or_default();
        let case_sensitive = self.case_sensitive;
        let rule = if let Some(text) = self.literal {
            Rule::Search {
                code,
                search: Search::text(text, case_sensitive, self.inside_words),
                scope,
            }
        } else if let Some(text) = self.word {
            Rule::Search {
                code,
                search: Search::Word {
                    text,
                    case_sensitive,
                },
                scope,
            }
        } else if let Some(pattern) = self.regex {
            Rule::Search {
                code,
                search: Search::Regex { pattern },
                scope,
            }
        } else if let Some(speaker) = self.speaker {
            Rule::Speaker { code, speaker }
        } else if let Some(role) = self.role {
            Rule::Role { code, role }
        } else if let Some(path) = self.dictionary {
            let mut dictionary = Dictionary::load(&path, &project.codebook)?;
            dictionary.case_sensitive = case_sensitive;
            dictionary.whole_words = !self.inside_words;
            Rule::Dictionary { dictionary, scope }
        } else {
            return Err(Error::Argument {
                argument: "rule".into(),
                message: "give one of --literal, --word, --regex, --speaker, --role, --dictionary"
                    .into(),
            });
        };
        let only = (!self.documents.is_empty()).then_some(self.documents.as_slice());
        let report = project.autocode(&coder, &rule, only)?;
        println!(
            "added {} codings by {coder} ({} skipped: they overlap codings already stored)",
            report.added, report.skipped_overlaps
        );
        Ok(())
    }
}

#[derive(Args)]
pub(super) struct CodingsArgs {
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
}

impl CodingsArgs {
    pub(super) fn run(self) -> Result<()> {
        let project = open_project(&self.dir)?;
        let codes = self
            .code
            .as_deref()
            .map(|c| project.codebook.ids_below(c))
            .transpose()?;
        let keep = |doc: &str, code: &str, who: &str| {
            self.document.as_deref().is_none_or(|d| d == doc)
                && codes.as_ref().is_none_or(|cs| cs.contains(code))
                && self.coder.as_deref().is_none_or(|c| c == who)
        };
        let mut memos: std::collections::HashMap<String, Vec<String>> = Default::default();
        for m in project.store().memos(Some("coding"), None)? {
            memos
                .entry(m.target)
                .or_default()
                .push(format!("{}: {}", m.coder, m.text));
        }
        let mut table = terminal_table(&[
            "id", "document", "code", "coder", "span", "line", "quote", "memo",
        ]);
        let mut shown = 0;
        if !self.detached {
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
                    qualkit::analysis::table::shorten(
                        doc.slice(c.start, c.end).unwrap_or_default(),
                        80,
                    ),
                    memos.get(&c.id).map(|m| m.join("\n")).unwrap_or_default(),
                ]);
                shown += 1;
            }
        }
        for c in project.unplaced_codings()? {
            if !keep(&c.document, &c.code, &c.coder) || (self.detached && !c.detached) {
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
                qualkit::analysis::table::shorten(&c.quote, 80),
                memos.get(&c.id).map(|m| m.join("\n")).unwrap_or_default(),
            ]);
            shown += 1;
        }
        println!("{table}\n{shown} codings");
        Ok(())
    }
}

#[derive(Args)]
pub(super) struct ShowArgs {
    dir: PathBuf,
    document: String,
    /// Only codings of this code (with the codes below it).
    #[arg(long)]
    code: Option<String>,
    /// Only this coder's codings.
    #[arg(long)]
    coder: Option<String>,
}

impl ShowArgs {
    pub(super) fn run(self) -> Result<()> {
        let project = open_project(&self.dir)?;
        let filter = qualkit::render::document_view::ViewFilter {
            code: self.code,
            coder: self.coder,
        };
        print!(
            "{}",
            qualkit::render::document_view::terminal(&project, &self.document, &filter)?
        );
        Ok(())
    }
}

#[derive(Args)]
pub(super) struct SegmentsArgs {
    dir: PathBuf,
    #[arg(long)]
    code: Option<String>,
    #[arg(long = "by")]
    coder: Option<String>,
    #[arg(long)]
    document: Option<String>,
    #[arg(long)]
    case: Option<String>,
}

impl SegmentsArgs {
    pub(super) fn run(self) -> Result<()> {
        let project = open_project(&self.dir)?;
        let segments = project.segments(&SegmentFilter {
            code: self.code,
            coder: self.coder,
            document: self.document,
            case: self.case,
        })?;
        let mut table = terminal_table(&[
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
        Ok(())
    }
}

#[derive(Args)]
pub(super) struct ImportCodingsArgs {
    dir: PathBuf,
    file: PathBuf,
    #[command(flatten)]
    coder: CoderArg,
}

impl ImportCodingsArgs {
    pub(super) fn run(self) -> Result<()> {
        let mut project = open_project(&self.dir)?;
        let report = project.import_codings(&self.file, self.coder.coder.as_deref())?;
        println!(
            "imported {} codings by {} from {} ({} skipped: they overlap codings already stored)",
            report.added,
            report.coders.iter().cloned().collect::<Vec<_>>().join(", "),
            report.file.display(),
            report.skipped_overlaps
        );
        Ok(())
    }
}

#[derive(Args)]
pub(super) struct ExportCodingsArgs {
    dir: PathBuf,
    #[arg(long)]
    out: Option<PathBuf>,
}

impl ExportCodingsArgs {
    pub(super) fn run(self) -> Result<()> {
        let mut project = open_project(&self.dir)?;
        let own = self.dir.join(qualkit::project::CODINGS_DIR);
        let out = self.out.unwrap_or_else(|| own.clone());
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
        Ok(())
    }
}
