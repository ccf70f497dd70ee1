//! A qualkit project folder and the operations on it.
//!
//! ```text
//! qualkit.toml        name and settings
//! cases.csv           one row per case, typed attributes
//! codebook.yaml       the code tree
//! transcripts/        .txt/.md with YAML front matter, survey answers as .csv
//! codings/            one CSV per coder: every coding with its id, span, quote and time
//! memos.csv           memos on codings, documents, codes, cases and the project
//! summaries.csv       Framework summaries
//! classifications.csv case attributes derived by rules, with their reasons
//! log.jsonl           the audit log
//! .qualkit/           a cache built from the files above (SQLite); safe to delete
//! ```
//!
//! How the files and the cache stay in step, across crashes and processes: [`sync`].

pub mod cases;
pub mod codebook_edits;
pub mod codings_csv;
mod follow;
pub mod generate;
pub mod history;
#[cfg(feature = "dataframe")]
pub mod info;
pub mod sets;
pub mod summaries;
mod sync;
mod texts;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::codebook::Codebook;
use crate::coding::autocode::{self, Rule};
use crate::coding::{self, Span};
use crate::error::{Error, Result, suggest};
use crate::ingest::{self, Document, SurveyColumns, TurnPatterns};
use crate::project::cases::Cases;
use crate::store::{Author, Coding, DocumentRecord, NewCoding, OnOverlap, Store, WriteReport};

pub const CONFIG_FILE: &str = "qualkit.toml";
pub const CASES_FILE: &str = "cases.csv";
pub const CODEBOOK_FILE: &str = crate::codebook::FILE;
pub const TRANSCRIPTS_DIR: &str = "transcripts";
pub const CODINGS_DIR: &str = crate::record::CODINGS_DIR;

/// `qualkit.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The coder recorded when none is given on the command line or in `QUALKIT_CODER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coder: Option<String>,
    #[serde(default)]
    pub speakers: SpeakerSettings,
    #[serde(default)]
    pub survey: SurveyColumns,
    #[serde(default, skip_serializing_if = "WordSettings::is_default")]
    pub words: WordSettings,
}

/// `[words]` in `qualkit.toml`: how words are counted (see [`ingest::WORD_RULE`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordSettings {
    /// Count transcript markup (`[inaudible]`, `[laughter]`...) and speaker labels as words,
    /// in word counts, coverage and density denominators and word frequencies.
    #[serde(default)]
    pub count_markup: bool,
}

impl WordSettings {
    fn is_default(&self) -> bool {
        *self == WordSettings::default()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeakerSettings {
    /// Regular expressions for speaker labels at line start, each with a group `speaker`
    /// (the label) and optionally `time` (the turn's timestamp). They are tried before the
    /// defaults (`[00:01:12] Name:`, `Name (00:01:02):`, `[Name]`, `Name:`), which stay in
    /// use unless `replace_default_patterns` is true.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patterns: Vec<String>,
    /// Use only `patterns`, not the default label styles.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replace_default_patterns: bool,
}

/// Where the codebook of a new project comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StarterCodebook {
    Empty,
    /// The four NPT constructs and their sixteen sub-constructs.
    Npt,
    /// The same, with the 2022 NPT coding manual's contexts and outcomes beside them.
    NptManual,
}

pub struct Project {
    root: PathBuf,
    pub config: Config,
    pub codebook: Codebook,
    pub cases: Cases,
    documents: Arc<Vec<Document>>,
    by_id: Arc<HashMap<String, usize>>,
    store: Store,
    /// The input files as they were read, to notice that another process changed them.
    inputs: crate::record::Stamps,
    /// What opening the project did that its user should hear of.
    notes: Vec<String>,
    /// Survey rows that are not documents (empty answers, non-answers), by file.
    skipped_answers: Vec<(PathBuf, Vec<ingest::SkippedRow>)>,
}

/// What importing a codings CSV did.
#[derive(Debug, Clone, Serialize)]
pub struct CodingsImport {
    pub file: PathBuf,
    pub coders: BTreeSet<String>,
    pub added: usize,
    pub skipped_overlaps: usize,
}

impl Project {
    /// Scaffolds a project folder. Refuses to overwrite an existing project.
    pub fn create(dir: &Path, name: &str, codebook: StarterCodebook) -> Result<()> {
        if dir.join(CONFIG_FILE).exists() {
            return Err(Error::Invalid {
                path: dir.join(CONFIG_FILE),
                message: "a project already exists here".into(),
            });
        }
        for sub in [TRANSCRIPTS_DIR, CODINGS_DIR] {
            let path = dir.join(sub);
            std::fs::create_dir_all(&path).map_err(|e| Error::io(&path, e))?;
        }
        let config = Config {
            name: name.to_string(),
            description: None,
            coder: None,
            speakers: SpeakerSettings::default(),
            survey: SurveyColumns::default(),
            words: WordSettings::default(),
        };
        let toml = toml::to_string_pretty(&config).expect("config serialises");
        write_new(&dir.join(CONFIG_FILE), &toml)?;
        write_new(&dir.join(CASES_FILE), "case\n")?;
        let codebook = match codebook {
            StarterCodebook::Empty => "codes: []\n".to_string(),
            StarterCodebook::Npt => NPT_CODEBOOK.to_string(),
            StarterCodebook::NptManual => format!("{NPT_CODEBOOK}{NPT_MANUAL_CODES}"),
        };
        write_new(&dir.join(CODEBOOK_FILE), &codebook)?;
        // The cache and a change's scratch files are not part of the record.
        write_new(&dir.join(".gitignore"), ".qualkit/\n.*.qk-*\n")?;
        Ok(())
    }

    /// Reads settings, cases, codebook and every document; the store is opened by the caller.
    fn load(dir: &Path) -> Result<Self> {
        let config_path = dir.join(CONFIG_FILE);
        let config_text = crate::support::text::read_text(&config_path)?;
        let config: Config = toml::from_str(&config_text).map_err(|e| Error::Invalid {
            path: config_path.clone(),
            message: match e.span() {
                Some(span) => format!(
                    "line {}: {}",
                    crate::support::text::line_of(&config_text, span.start),
                    e.message()
                ),
                None => e.to_string(),
            },
        })?;
        let cases = Cases::load(&dir.join(CASES_FILE))?;
        let codebook = Codebook::load(&dir.join(CODEBOOK_FILE))?;
        let patterns = speaker_patterns(&config)
            .map_err(|e| ingest::place_pattern_error(e, &config_path, &config_text))?;
        let (mut documents, skipped_answers) = read_corpus(dir, &patterns, &config.survey, &cases)?;
        for document in &mut documents {
            document.count_markup = config.words.count_markup;
        }
        let by_id = documents
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.clone(), i))
            .collect();
        Ok(Project {
            root: dir.to_path_buf(),
            config,
            codebook,
            cases,
            documents: Arc::new(documents),
            by_id: Arc::new(by_id),
            store: Store::in_memory(),
            inputs: Default::default(),
            notes: Vec::new(),
            skipped_answers,
        })
    }

    /// Survey rows left out as empty answers or non-answers (`[survey] non_answers` in
    /// `qualkit.toml`), by file (relative to the project folder).
    pub fn skipped_answers(&self) -> &[(PathBuf, Vec<ingest::SkippedRow>)] {
        &self.skipped_answers
    }

    /// What opening the project did that its user should hear of: an interrupted change
    /// completed or rolled back, the cache rebuilt, codings that no longer fit their text.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Hands over the notes, so that each is shown once.
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    pub fn documents(&self) -> &[Document] {
        &self.documents
    }

    pub fn document(&self, id: &str) -> Result<&Document> {
        self.by_id
            .get(id)
            .map(|&i| &self.documents[i])
            .ok_or_else(|| Error::UnknownDocument {
                id: id.to_string(),
                suggestions: suggest(id, self.documents.iter().map(|d| d.id.as_str())),
            })
    }

    /// Positions in [`Project::documents`] by document id.
    #[cfg(feature = "dataframe")]
    pub(crate) fn document_ids(&self) -> &HashMap<String, usize> {
        &self.by_id
    }

    /// The position of a document in [`Project::documents`].
    pub fn document_index(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The record the store keeps of a document's text, to notice later edits.
    pub(crate) fn document_record(&self, id: &str) -> Result<DocumentRecord> {
        Ok(self.record(self.document(id)?))
    }

    fn record(&self, document: &Document) -> DocumentRecord {
        DocumentRecord {
            id: document.id.clone(),
            source: document.source.to_string_lossy().into_owned(),
            fingerprint: crate::support::text::fingerprint(&document.text),
            chars: document.len_chars(),
        }
    }

    /// Codes one span by hand. Overlapping the coder's own coding of the same code is refused.
    pub fn code(&mut self, coder: &str, document: &str, code: &str, span: &Span) -> Result<Coding> {
        check_coder(coder)?;
        let _lock = self.write_locked()?;
        let doc = self.document(document)?;
        let (start, end) = coding::resolve(doc, span)?;
        let code = self.codebook.resolve(code)?.id.clone();
        let detail =
            serde_json::json!({ "document": doc.id, "code": code, "start": start, "end": end });
        let records = [self.record(doc)];
        let id = crate::record::new_id();
        let new = NewCoding {
            id: Some(id.clone()),
            ..NewCoding::new(doc.id.clone(), code, start, end)
        };
        self.store.add_codings(
            &Author {
                coder,
                codebook_version: self.codebook.version(),
            },
            "code",
            detail,
            vec![new],
            &records,
            OnOverlap::Refuse,
        )?;
        Ok(self
            .store
            .coding(&id)?
            .expect("the coding just stored is there"))
    }

    /// Removes codings by id (or the start of one, at least 4 characters), with the memos
    /// written on them.
    pub fn uncode(&mut self, coder: &str, ids: &[String]) -> Result<Vec<Coding>> {
        check_coder(coder)?;
        let _lock = self.write_locked()?;
        let ids = ids
            .iter()
            .map(|id| self.store.resolve_coding_id(id))
            .collect::<Result<Vec<_>>>()?;
        self.store.remove_codings(
            &Author {
                coder,
                codebook_version: self.codebook.version(),
            },
            &ids,
        )
    }

    /// Moves a coding to another code; it keeps its id.
    pub fn recode(&mut self, coder: &str, id: &str, code: &str) -> Result<Coding> {
        check_coder(coder)?;
        let _lock = self.write_locked()?;
        let id = self.store.resolve_coding_id(id)?;
        let code = self.codebook.resolve(code)?.id.clone();
        self.store.recode(
            &Author {
                coder,
                codebook_version: self.codebook.version(),
            },
            &id,
            &code,
        )
    }

    /// Writes `coder`'s memo on a coding, document, code, case or the project (empty clears it).
    pub fn memo(&mut self, coder: &str, target: &MemoTarget, text: &str) -> Result<()> {
        check_coder(coder)?;
        let _lock = self.write_locked()?;
        let (kind, key) = match target {
            MemoTarget::Coding(id) => ("coding", self.store.resolve_coding_id(id)?),
            MemoTarget::Document(id) => ("document", self.document(id)?.id.clone()),
            MemoTarget::Code(code) => ("code", self.codebook.resolve(code)?.id.clone()),
            MemoTarget::Case(case) => {
                let case = self.cases.get(case).ok_or_else(|| {
                    Error::argument(
                        "case",
                        format!(
                            "unknown case `{case}`; known: {}",
                            self.cases.names().join(", ")
                        ),
                    )
                })?;
                ("case", case.name.clone())
            }
            MemoTarget::Project => ("project", String::new()),
        };
        self.store.set_memo(
            &Author {
                coder,
                codebook_version: self.codebook.version(),
            },
            kind,
            &key,
            text,
        )
    }

    /// Edits memo `id` (or the start of one, at least 4 characters) by `coder`; empty text
    /// removes it. Returns the memo as it was.
    pub fn edit_memo(&mut self, coder: &str, id: &str, text: &str) -> Result<crate::store::Memo> {
        check_coder(coder)?;
        let _lock = self.write_locked()?;
        let memos = self.store.memos(None, None)?;
        let found: Vec<_> = memos
            .into_iter()
            .filter(|m| id.len() >= 4 && m.id.starts_with(id))
            .collect();
        let memo = match found.as_slice() {
            [one] => one.clone(),
            [] => {
                return Err(Error::argument(
                    "id",
                    format!(
                        "no memo `{id}` (give its id, or its first 4 or more characters; `qualkit memos` lists them)"
                    ),
                ));
            }
            _ => {
                return Err(Error::argument(
                    "id",
                    format!("`{id}` starts {} memos' ids; give more of it", found.len()),
                ));
            }
        };
        if memo.coder != coder {
            return Err(Error::argument(
                "id",
                format!(
                    "memo {} is {}'s; a memo is edited by its author (--coder {})",
                    memo.id, memo.coder, memo.coder
                ),
            ));
        }
        self.store.set_memo(
            &Author {
                coder,
                codebook_version: self.codebook.version(),
            },
            &memo.kind,
            &memo.target,
            text,
        )?;
        Ok(memo)
    }

    /// Applies a rule to the whole corpus (or to `only` these documents) as one transaction.
    /// Spans that overlap the coder's existing coding of the same code are skipped and counted.
    pub fn autocode(
        &mut self,
        coder: &str,
        rule: &Rule,
        only: Option<&[String]>,
    ) -> Result<WriteReport> {
        check_coder(coder)?;
        let _lock = self.write_locked()?;
        let rule = self.resolve_rule_codes(rule)?;
        let documents: Vec<&Document> = match only {
            None => self.documents.iter().collect(),
            Some(ids) => ids
                .iter()
                .map(|id| self.document(id))
                .collect::<Result<_>>()?,
        };
        let hits = autocode::find(&rule, &documents)?;
        let touched: BTreeSet<usize> = hits.iter().map(|h| h.0).collect();
        let records: Vec<DocumentRecord> =
            touched.iter().map(|&i| self.record(documents[i])).collect();
        let new: Vec<NewCoding> = hits
            .into_iter()
            .map(|(i, code, start, end)| {
                NewCoding::new(documents[i].id.clone(), code.to_string(), start, end)
            })
            .collect();
        let detail = serde_json::json!({
            "rule": format!("{rule:?}"),
            "documents": documents.len(),
            "spans": new.len(),
        });
        self.store.add_codings(
            &Author {
                coder,
                codebook_version: self.codebook.version(),
            },
            "autocode",
            detail,
            new,
            &records,
            OnOverlap::Skip,
        )
    }

    fn resolve_rule_codes(&self, rule: &Rule) -> Result<Rule> {
        let id = |code: &str| self.codebook.resolve(code).map(|c| c.id.clone());
        Ok(match rule {
            Rule::Search {
                code,
                search,
                scope,
            } => Rule::Search {
                code: id(code)?,
                search: search.clone(),
                scope: *scope,
            },
            Rule::Speaker { code, speaker } => Rule::Speaker {
                code: id(code)?,
                speaker: speaker.clone(),
            },
            Rule::Role { code, role } => Rule::Role {
                code: id(code)?,
                role: role.clone(),
            },
            Rule::Dictionary { .. } => rule.clone(),
        })
    }

    /// Imports codings from a CSV: columns `document`, `code`, and either `quote` or
    /// `start`/`end` (code points; with a quote as well, the quote must be the text there),
    /// optional `coder` (else `default_coder`, else the file name) and `memo`. All rows are
    /// checked before anything is stored; one bad row stores nothing and names its line.
    pub fn import_codings(
        &mut self,
        file: &Path,
        default_coder: Option<&str>,
    ) -> Result<CodingsImport> {
        let _lock = self.write_locked()?;
        let rows = crate::project::codings_csv::read(file, self, default_coder)?;
        let shown = file.strip_prefix(&self.root).unwrap_or(file).to_path_buf();
        let mut report = CodingsImport {
            file: shown.clone(),
            coders: BTreeSet::new(),
            added: 0,
            skipped_overlaps: 0,
        };
        let mut by_coder: HashMap<String, Vec<NewCoding>> = HashMap::new();
        for row in rows {
            by_coder.entry(row.coder).or_default().push(row.coding);
        }
        let mut coders: Vec<_> = by_coder.into_iter().collect();
        coders.sort_by(|a, b| a.0.cmp(&b.0));
        let root = self.root.clone();
        let description = format!("import codings from {}", shown.display());
        crate::record::in_change(&root, &description, || {
            for (coder, codings) in coders {
                // Rows come in runs of one document: most repeats go before the sort.
                let mut touched: Vec<&str> = codings.iter().map(|c| c.document.as_str()).collect();
                touched.dedup();
                touched.sort_unstable();
                touched.dedup();
                let records: Vec<DocumentRecord> = touched
                    .iter()
                    .map(|id| self.record(&self.documents[self.by_id[*id]]))
                    .collect();
                let detail = serde_json::json!({ "file": shown, "rows": codings.len() });
                let written = self.store.add_codings(
                    &Author {
                        coder: &coder,
                        codebook_version: self.codebook.version(),
                    },
                    "import codings",
                    detail,
                    codings,
                    &records,
                    OnOverlap::Skip,
                )?;
                report.added += written.added;
                report.skipped_overlaps += written.skipped_overlaps;
                report.coders.insert(coder);
            }
            Ok(())
        })?;
        Ok(report)
    }

    /// Writes every coder's codings to `dir/<coder>.csv` (document, code, start, end, quote,
    /// memo), the form kept under version control. Returns the files written.
    pub fn export_codings(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        crate::project::codings_csv::write_all(self, dir)
    }

    /// Copies documents into `transcripts/` after checking that they read cleanly against this
    /// project's settings and cases. A transcript without front matter gets front matter from
    /// `metadata` (as a transcription service delivers it: no case, no phase). Nothing is
    /// written if any file fails.
    pub fn import_documents(
        &mut self,
        files: &[PathBuf],
        overwrite: bool,
        metadata: &ImportMetadata,
    ) -> Result<Vec<PathBuf>> {
        Ok(self
            .import_files(files, overwrite, metadata, false)?
            .into_iter()
            .map(|f| f.target)
            .collect())
    }

    /// Like [`Project::import_documents`], saying for each file what it holds: its documents
    /// with the speakers and turns found, and the survey rows skipped. With `dry_run`, every
    /// check is made but nothing is written.
    pub fn import_files(
        &mut self,
        files: &[PathBuf],
        overwrite: bool,
        metadata: &ImportMetadata,
        dry_run: bool,
    ) -> Result<Vec<ImportedFile>> {
        let _lock = self.write_locked()?;
        let patterns = speaker_patterns(&self.config)?;
        let target_dir = self.root.join(TRANSCRIPTS_DIR);
        let mut plan: Vec<(PathBuf, Option<String>, PathBuf)> = Vec::new();
        let mut report: Vec<ImportedFile> = Vec::new();
        // Document ids and target files the batch claims so far, each with the file claiming it.
        let mut batch_ids: HashMap<String, PathBuf> = HashMap::new();
        let mut batch_targets: HashMap<PathBuf, PathBuf> = HashMap::new();
        for file in files {
            let name = file.file_name().ok_or_else(|| {
                Error::argument("file", format!("{} has no file name", file.display()))
            })?;
            let is_table = file
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("xlsx"));
            let convert = ingest::is_convertible_file(file);
            let mut content = None;
            // Converted files are kept as the transcript they became.
            let name = if convert {
                Path::new(name).with_extension("txt").into_os_string()
            } else {
                name.to_os_string()
            };
            // Errors about the transcript a file is converted to are about the file given.
            let about_file = |e| match convert {
                true => ingest::about_original(e, file, Path::new(&name)),
                false => e,
            };
            let (documents, skipped) = if is_table || (!convert && !ingest::is_document_file(file))
            {
                ingest::read_documents(
                    file.parent().unwrap_or(Path::new(".")),
                    file,
                    &patterns,
                    &self.config.survey,
                )?
            } else {
                let text = if convert {
                    ingest::convert_to_transcript(file)?
                } else {
                    crate::support::text::read_text(file)?
                };
                let text = if ingest::has_front_matter(&text) || metadata.case.is_none() {
                    text
                } else {
                    format!("{}{text}", metadata.front_matter())
                };
                let document = ingest::parse_transcript(file, Path::new(&name), &text, &patterns)
                    .map_err(about_file)?;
                content = Some(text);
                (vec![document], Vec::new())
            };
            let target = target_dir.join(&name);
            if let Some(other) = batch_targets.insert(target.clone(), file.clone()) {
                return Err(Error::Invalid {
                    path: file.clone(),
                    message: format!(
                        "{} would also be saved as {}; rename one of them (nothing was imported)",
                        other.display(),
                        target.display()
                    ),
                });
            }
            for document in &documents {
                check_case(&self.cases, document).map_err(about_file)?;
                if let Some(other) = batch_ids.insert(document.id.clone(), file.clone()) {
                    return Err(Error::Invalid {
                        path: file.clone(),
                        message: format!(
                            "{} also makes a document `{}`; document ids come from file names, so rename one of them (nothing was imported)",
                            other.display(),
                            document.id
                        ),
                    });
                }
                if let Some(&i) = self.by_id.get(&document.id) {
                    // The text its codings are placed on, to map them into the new one.
                    if !dry_run {
                        texts::keep(&self.root, &self.documents[i].text);
                    }
                    let existing = self.root.join(&self.documents[i].source);
                    let same_file = existing.file_name() == target.file_name()
                        && existing.parent() == target.parent();
                    if !same_file {
                        return Err(Error::Invalid {
                            path: file.clone(),
                            message: format!(
                                "the project already has a document `{}` from {}; this file would make a second one (rename it, or import it under the same file name with --overwrite)",
                                document.id,
                                self.documents[i].source.display()
                            ),
                        });
                    }
                    if !overwrite {
                        return Err(Error::Invalid {
                            path: file.clone(),
                            message: format!(
                                "the project already has a document `{}`; pass --overwrite to replace it",
                                document.id
                            ),
                        });
                    }
                }
            }
            report.push(ImportedFile {
                file: file.clone(),
                target: target.clone(),
                replaces: target.exists(),
                documents: documents.iter().map(ImportedDocument::of).collect(),
                skipped,
            });
            plan.push((file.clone(), content, target));
        }
        if dry_run {
            return Ok(report);
        }
        std::fs::create_dir_all(&target_dir).map_err(|e| Error::io(&target_dir, e))?;
        let mut files = Vec::with_capacity(plan.len());
        for (from, content, to) in &plan {
            let bytes = match content {
                Some(text) => text.as_bytes().to_vec(),
                None => std::fs::read(from).map_err(|e| Error::io(from, e))?,
            };
            files.push((to.clone(), bytes));
        }
        let shown = |p: &Path| {
            p.strip_prefix(&self.root)
                .unwrap_or(p)
                .display()
                .to_string()
        };
        let detail = serde_json::json!({
            "files": plan.iter().map(|(_, _, to)| shown(to)).collect::<Vec<_>>(),
            "replaced": plan.iter().filter(|(_, _, to)| to.exists()).map(|(_, _, to)| shown(to)).collect::<Vec<_>>(),
        });
        let coder = default_coder(&self.config);
        self.store.write_files(
            &Author {
                coder: &coder,
                codebook_version: self.codebook.version(),
            },
            "import documents",
            detail,
            files,
        )?;
        // Read the project again: a replaced transcript may move codings off their text,
        // which the cache then reports.
        let notes = std::mem::take(&mut self.notes);
        *self = Project::open_exclusive(&self.root)?;
        self.notes.splice(0..0, notes);
        Ok(report)
    }

    /// Reads the project again after a change to its input files (the caller holds the
    /// exclusive lock); notes so far are kept.
    pub(crate) fn reload(&mut self) -> Result<()> {
        let notes = std::mem::take(&mut self.notes);
        *self = Project::open_exclusive(&self.root)?;
        self.notes.splice(0..0, notes);
        Ok(())
    }

    pub fn codings(&self) -> Result<Vec<Coding>> {
        self.store.codings()
    }

    /// Writes every record file anew from the cache (they are kept up to date by every change;
    /// this puts files edited by hand into qualkit's own form). Returns the files written.
    pub fn rewrite_record(&mut self) -> Result<Vec<String>> {
        let _lock = self.write_locked()?;
        self.store.rewrite_record()
    }

    /// Codings of the record that do not fit the project as it is now: kept in `codings/`,
    /// left out of analysis and exports.
    pub fn unplaced_codings(&self) -> Result<Vec<crate::store::UnplacedCoding>> {
        self.store.unplaced_codings()
    }

    /// Refuses an export while some codings do not fit their text: the export would leave
    /// them out without a word. Lists them.
    pub fn check_exportable(&self) -> Result<()> {
        // Detached codings have no place to export: they are counted in the export's report.
        let unplaced: Vec<_> = self
            .unplaced_codings()?
            .into_iter()
            .filter(|c| !c.detached)
            .collect();
        if unplaced.is_empty() {
            return Ok(());
        }
        let mut lines: Vec<String> = unplaced.iter().take(20).map(|c| format!("  {c}")).collect();
        if unplaced.len() > 20 {
            lines.push(format!(
                "  ... and {} more (`qualkit info` lists all)",
                unplaced.len() - 20
            ));
        }
        Err(Error::Invalid {
            path: self.root.join(CODINGS_DIR),
            message: format!(
                "{} codings do not fit their document's current text, so an export would drop or misplace them; nothing was exported. Fix or remove them first:\n{}",
                unplaced.len(),
                lines.join("\n")
            ),
        })
    }
}

/// What importing one file does (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct ImportedFile {
    /// The file given.
    pub file: PathBuf,
    /// Where the project keeps it.
    pub target: PathBuf,
    /// Whether it replaces a file of the project.
    pub replaces: bool,
    pub documents: Vec<ImportedDocument>,
    /// Survey rows that did not become documents, and why.
    pub skipped: Vec<ingest::SkippedRow>,
}

/// One document an import makes: its speakers with their turns, in order of first turn.
#[derive(Debug, Clone, Serialize)]
pub struct ImportedDocument {
    pub id: String,
    pub case: String,
    pub speakers: Vec<(String, usize)>,
    pub warnings: Vec<String>,
}

impl ImportedDocument {
    fn of(document: &Document) -> Self {
        let mut speakers: Vec<(String, usize)> = Vec::new();
        for turn in &document.turns {
            let name = turn.speaker.as_deref().unwrap_or("(no speaker)");
            match speakers.iter_mut().find(|(s, _)| s == name) {
                Some((_, n)) => *n += 1,
                None => speakers.push((name.to_string(), 1)),
            }
        }
        ImportedDocument {
            id: document.id.clone(),
            case: document.case.clone(),
            speakers,
            warnings: document.warnings.clone(),
        }
    }
}

/// Front matter for imported transcripts that have none.
#[derive(Debug, Clone, Default)]
pub struct ImportMetadata {
    pub case: Option<String>,
    pub method: Option<String>,
    pub phase: Option<String>,
    pub date: Option<String>,
}

impl ImportMetadata {
    fn front_matter(&self) -> String {
        let mut s = String::from("---\n");
        for (key, value) in [
            ("case", &self.case),
            ("method", &self.method),
            ("phase", &self.phase),
            ("date", &self.date),
        ] {
            if let Some(v) = value {
                // Quoted as JSON, which YAML reads as a plain string whatever it contains.
                s.push_str(&format!(
                    "{key}: {}\n",
                    serde_json::Value::String(v.clone())
                ));
            }
        }
        s.push_str("---\n");
        s
    }
}

/// What a memo is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemoTarget {
    /// A coding's id, or the start of one.
    Coding(String),
    Document(String),
    Code(String),
    Case(String),
    Project,
}

/// Who is working when no coder is named: `$QUALKIT_CODER`, then `coder` in qualkit.toml,
/// then `$USER`, then the name of the account the process runs as (containers and CI often
/// set no `$USER`).
pub fn default_coder(config: &Config) -> String {
    let env = |name: &str| std::env::var(name).ok().filter(|s| !s.trim().is_empty());
    env("QUALKIT_CODER")
        .or_else(|| config.coder.clone().filter(|c| !c.trim().is_empty()))
        .or_else(|| env("USER"))
        .or_else(account_name)
        .unwrap_or_else(|| "unknown".to_string())
}

/// The login name of the account this process runs as.
#[cfg(unix)]
fn account_name() -> Option<String> {
    // SAFETY: `passwd` is plain data (integers and pointers); all zeroes is a valid value.
    let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buffer = vec![0 as libc::c_char; 4096];
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: getpwuid_r writes only into `entry` and `buffer`, whose sizes it is given, and
    // sets `found` to `&entry` or null; the name is read before either goes out of scope.
    let status = unsafe {
        libc::getpwuid_r(
            libc::getuid(),
            &mut entry,
            buffer.as_mut_ptr(),
            buffer.len(),
            &mut found,
        )
    };
    if status != 0 || found.is_null() || entry.pw_name.is_null() {
        return None;
    }
    // SAFETY: on success `pw_name` points at a NUL-terminated string inside `buffer`.
    let name = unsafe { std::ffi::CStr::from_ptr(entry.pw_name) };
    Some(name.to_string_lossy().into_owned()).filter(|n| !n.is_empty())
}

#[cfg(not(unix))]
fn account_name() -> Option<String> {
    std::env::var("USERNAME").ok().filter(|n| !n.is_empty())
}

pub(crate) fn check_coder(coder: &str) -> Result<()> {
    if coder.trim().is_empty() {
        return Err(Error::argument(
            "coder",
            "give a coder name (--coder or QUALKIT_CODER)",
        ));
    }
    Ok(())
}

/// The project's speaker patterns: its own, then the defaults unless it replaces them.
fn speaker_patterns(config: &Config) -> Result<TurnPatterns> {
    let own = &config.speakers.patterns;
    if config.speakers.replace_default_patterns {
        TurnPatterns::new(own)
    } else if own.is_empty() {
        Ok(TurnPatterns::default())
    } else {
        let all: Vec<&str> = own
            .iter()
            .map(String::as_str)
            .chain(ingest::DEFAULT_SPEAKER_PATTERNS.iter().copied())
            .collect();
        TurnPatterns::new(&all)
    }
}

fn check_case(cases: &Cases, document: &Document) -> Result<()> {
    if document.case.is_empty() {
        return Err(Error::FrontMatter {
            path: document.source.clone(),
            line: 1,
            message: "no `case:` given; start the file with front matter naming its case".into(),
        });
    }
    if cases.get(&document.case).is_none() {
        let line = if document.source.extension().is_some_and(|e| e == "csv") {
            document.first_line
        } else {
            2
        };
        return Err(Error::UnknownCase {
            path: document.source.clone(),
            line,
            case: document.case.clone(),
            known: cases.names(),
        });
    }
    Ok(())
}

type Corpus = (Vec<Document>, Vec<(PathBuf, Vec<ingest::SkippedRow>)>);

fn read_corpus(
    dir: &Path,
    patterns: &TurnPatterns,
    survey: &SurveyColumns,
    cases: &Cases,
) -> Result<Corpus> {
    let folder = dir.join(TRANSCRIPTS_DIR);
    let mut files = Vec::new();
    if folder.exists() {
        collect_files(&folder, &mut files)?;
    }
    files.sort();
    // Files are read and parsed in parallel; checks and errors then go in file order, so
    // the error reported is the first a reader going through the files would meet.
    let read: Vec<Result<(Vec<Document>, Vec<ingest::SkippedRow>)>> = files
        .par_iter()
        .map(|file| ingest::read_documents(dir, file, patterns, survey))
        .collect();
    let count = read
        .iter()
        .map(|r| r.as_ref().map_or(0, |r| r.0.len()))
        .sum();
    let mut documents: Vec<Document> = Vec::with_capacity(count);
    let mut skipped_answers = Vec::new();
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    for (file, file_read) in files.iter().zip(read) {
        let (file_documents, skipped) = file_read?;
        if !skipped.is_empty() {
            let relative = file.strip_prefix(dir).unwrap_or(file).to_path_buf();
            skipped_answers.push((relative, skipped));
        }
        for document in file_documents {
            check_case(cases, &document)?;
            if let Some(other) = seen.insert(document.id.clone(), document.source.clone()) {
                return Err(Error::Invalid {
                    path: document.source.clone(),
                    message: format!(
                        "document id `{}` is also used by {}; rename one file",
                        document.id,
                        other.display()
                    ),
                });
            }
            documents.push(document);
        }
    }
    Ok((documents, skipped_answers))
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if path.is_dir() {
            collect_files(&path, out)?;
        } else if ingest::is_document_file(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// Writes a starter file, keeping one that is already there (a cases.csv the user made
/// before running `new` must not be lost).
fn write_new(path: &Path, content: &str) -> Result<()> {
    use std::io::Write;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(mut file) => file
            .write_all(content.as_bytes())
            .map_err(|e| Error::io(path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// The NPT starter codebook offered by `qualkit new --codebook npt`.
/// The generic NPT codebook of `qualkit new --codebook npt`.
const NPT_CODEBOOK: &str = include_str!("../../data/starter/npt.yaml");
/// The coding manual's contexts and outcomes, top-level codes to follow [`NPT_CODEBOOK`].
const NPT_MANUAL_CODES: &str = include_str!("../../data/starter/npt-manual.yaml");
