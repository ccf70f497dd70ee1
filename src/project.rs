//! A qualkit project folder and the operations on it.
//!
//! ```text
//! qualkit.toml        name and settings
//! cases.csv           one row per case, typed attributes
//! codebook.yaml       the code tree
//! transcripts/        .txt/.md with YAML front matter, survey answers as .csv
//! codings/            codings as CSV, for version control; a new store is built from them
//! .qualkit/project.db the working store (SQLite): codings, memos, coders, audit log
//! ```

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cases::Cases;
use crate::codebook::Codebook;
use crate::coding::autocode::{self, Rule};
use crate::coding::{self, Span};
use crate::error::{Error, Result, suggest};
use crate::ingest::{self, Document, SurveyColumns, TurnPatterns};
use crate::store::{Author, Coding, DocumentRecord, NewCoding, OnOverlap, Store, WriteReport};

pub const CONFIG_FILE: &str = "qualkit.toml";
pub const CASES_FILE: &str = "cases.csv";
pub const CODEBOOK_FILE: &str = "codebook.yaml";
pub const TRANSCRIPTS_DIR: &str = "transcripts";
pub const CODINGS_DIR: &str = "codings";
pub const STORE_FILE: &str = ".qualkit/project.db";

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
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeakerSettings {
    /// Regular expressions for speaker labels at line start, each with a `speaker` group.
    /// Empty means the defaults (`Name:`, `[Name]`, `Name (00:01:02):`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patterns: Vec<String>,
}

/// Where the codebook of a new project comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StarterCodebook {
    Empty,
    /// The four NPT constructs and their sixteen sub-constructs.
    Npt,
}

pub struct Project {
    root: PathBuf,
    pub config: Config,
    pub codebook: Codebook,
    pub cases: Cases,
    documents: Vec<Document>,
    by_id: HashMap<String, usize>,
    store: Store,
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
        };
        let toml = toml::to_string_pretty(&config).expect("config serialises");
        write_new(&dir.join(CONFIG_FILE), &toml)?;
        write_new(&dir.join(CASES_FILE), "case\n")?;
        let codebook = match codebook {
            StarterCodebook::Empty => "codes: []\n",
            StarterCodebook::Npt => NPT_CODEBOOK,
        };
        write_new(&dir.join(CODEBOOK_FILE), codebook)?;
        Ok(())
    }

    /// Opens a project: reads settings, cases, codebook and every document, and opens the
    /// store. A new store is built from the CSV files in `codings/`.
    pub fn open(dir: &Path) -> Result<Self> {
        let config_path = dir.join(CONFIG_FILE);
        if !config_path.exists() {
            return Err(Error::Invalid {
                path: dir.to_path_buf(),
                message: format!(
                    "not a qualkit project (no {CONFIG_FILE}); create one with `qualkit new`"
                ),
            });
        }
        let config_text = crate::text::read_text(&config_path)?;
        let config: Config = toml::from_str(&config_text).map_err(|e| Error::Invalid {
            path: config_path.clone(),
            message: match e.span() {
                Some(span) => format!(
                    "line {}: {}",
                    crate::text::line_of(&config_text, span.start),
                    e.message()
                ),
                None => e.to_string(),
            },
        })?;
        let cases = Cases::load(&dir.join(CASES_FILE))?;
        let codebook = Codebook::load(&dir.join(CODEBOOK_FILE))?;
        let patterns = speaker_patterns(&config)?;
        let documents = read_corpus(dir, &patterns, &config.survey, &cases)?;
        let by_id = documents
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.clone(), i))
            .collect();
        let store_path = dir.join(STORE_FILE);
        let fresh = !store_path.exists();
        let store = if fresh {
            Store::create_bulk(&store_path)?
        } else {
            Store::open(&store_path)?
        };
        let mut project = Project {
            root: dir.to_path_buf(),
            config,
            codebook,
            cases,
            documents,
            by_id,
            store,
        };
        if fresh {
            project.build_store_from_codings()?;
            project.store.finish_bulk(&store_path)?;
        }
        // Summaries may arrive after the store was made (a summaries.csv pulled from a
        // colleague): a store without any takes them from the file.
        if project.store.summaries()?.is_empty() {
            project.import_summaries()?;
        }
        project.apply_classifications()?;
        Ok(project)
    }

    fn build_store_from_codings(&mut self) -> Result<()> {
        let dir = self.root.join(CODINGS_DIR);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(());
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
            .collect();
        files.sort();
        for file in files {
            self.import_codings(&file, None)?;
        }
        Ok(())
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
            fingerprint: crate::text::fingerprint(&document.text),
            chars: document.len_chars(),
        }
    }

    /// Codes one span by hand. Overlapping the coder's own coding of the same code is refused.
    pub fn code(&mut self, coder: &str, document: &str, code: &str, span: &Span) -> Result<Coding> {
        check_coder(coder)?;
        let doc = self.document(document)?;
        let (start, end) = coding::resolve(doc, span)?;
        let code = self.codebook.resolve(code)?.id.clone();
        let detail =
            serde_json::json!({ "document": doc.id, "code": code, "start": start, "end": end });
        let records = [self.record(doc)];
        let new = NewCoding {
            document: doc.id.clone(),
            code,
            start,
            end,
            memo: None,
        };
        let report = self.store.add_codings(
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
        let coding = self
            .store
            .codings_of_document(document)?
            .into_iter()
            .find(|c| c.created == report.audit_seq)
            .expect("the coding just stored is there");
        Ok(coding)
    }

    /// Removes codings by id.
    pub fn uncode(&mut self, coder: &str, ids: &[i64]) -> Result<Vec<Coding>> {
        check_coder(coder)?;
        self.store.remove_codings(
            &Author {
                coder,
                codebook_version: self.codebook.version(),
            },
            ids,
        )
    }

    /// Moves a coding to another code.
    pub fn recode(&mut self, coder: &str, id: i64, code: &str) -> Result<Coding> {
        check_coder(coder)?;
        let code = self.codebook.resolve(code)?.id.clone();
        self.store.recode(
            &Author {
                coder,
                codebook_version: self.codebook.version(),
            },
            id,
            &code,
        )
    }

    /// Writes `coder`'s memo on a coding, document, code, case or the project (empty clears it).
    pub fn memo(&mut self, coder: &str, target: &MemoTarget, text: &str) -> Result<()> {
        check_coder(coder)?;
        let (kind, key) = match target {
            MemoTarget::Coding(id) => {
                self.store.coding(*id)?.ok_or(Error::UnknownCoding(*id))?;
                ("coding", id.to_string())
            }
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

    /// Applies a rule to the whole corpus (or to `only` these documents) as one transaction.
    /// Spans that overlap the coder's existing coding of the same code are skipped and counted.
    pub fn autocode(
        &mut self,
        coder: &str,
        rule: &Rule,
        only: Option<&[String]>,
    ) -> Result<WriteReport> {
        check_coder(coder)?;
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
            .map(|(i, code, start, end)| NewCoding {
                document: documents[i].id.clone(),
                code: code.to_string(),
                start,
                end,
                memo: None,
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
        let rows = crate::codings_csv::read(file, self, default_coder)?;
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
        Ok(report)
    }

    /// Writes every coder's codings to `dir/<coder>.csv` (document, code, start, end, quote,
    /// memo), the form kept under version control. Returns the files written.
    pub fn export_codings(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        crate::codings_csv::write_all(self, dir)
    }

    /// Copies documents into `transcripts/` after checking that they read cleanly against this
    /// project's settings and cases. A transcript without front matter gets front matter from
    /// `metadata` (as a transcription service delivers it: no case, no phase). Nothing is
    /// written if any file fails.
    pub fn import_documents(
        &self,
        files: &[PathBuf],
        overwrite: bool,
        metadata: &ImportMetadata,
    ) -> Result<Vec<PathBuf>> {
        let patterns = speaker_patterns(&self.config)?;
        let target_dir = self.root.join(TRANSCRIPTS_DIR);
        let mut plan: Vec<(PathBuf, Option<String>, PathBuf)> = Vec::new();
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
            let documents = if is_table || (!convert && !ingest::is_document_file(file)) {
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
                    crate::text::read_text(file)?
                };
                let text = if ingest::has_front_matter(&text) || metadata.case.is_none() {
                    text
                } else {
                    format!("{}{text}", metadata.front_matter())
                };
                let document = ingest::parse_transcript(file, Path::new(&name), &text, &patterns)?;
                content = Some(text);
                vec![document]
            };
            for document in &documents {
                check_case(&self.cases, document)?;
                if self.by_id.contains_key(&document.id) && !overwrite {
                    return Err(Error::Invalid {
                        path: file.clone(),
                        message: format!(
                            "the project already has a document `{}`; pass --overwrite to replace it",
                            document.id
                        ),
                    });
                }
            }
            plan.push((file.clone(), content, target_dir.join(&name)));
        }
        std::fs::create_dir_all(&target_dir).map_err(|e| Error::io(&target_dir, e))?;
        for (from, content, to) in &plan {
            match content {
                Some(text) => std::fs::write(to, text).map_err(|e| Error::io(to, e))?,
                None => std::fs::copy(from, to)
                    .map(|_| ())
                    .map_err(|e| Error::io(to, e))?,
            }
        }
        Ok(plan.into_iter().map(|(_, _, to)| to).collect())
    }

    pub fn codings(&self) -> Result<Vec<Coding>> {
        self.store.codings()
    }

    /// Documents whose text changed since they were first coded, and coded documents that
    /// are gone: their codings may point at the wrong text.
    pub fn stale_documents(&self) -> Result<Vec<String>> {
        let mut stale = Vec::new();
        for record in self.store.documents()? {
            match self.by_id.get(&record.id) {
                None => stale.push(format!(
                    "`{}` ({}) is coded but no longer in the project",
                    record.id, record.source
                )),
                Some(&i)
                    if crate::text::fingerprint(&self.documents[i].text) != record.fingerprint =>
                {
                    stale.push(format!(
                        "`{}` ({}) changed after it was first coded; check its codings",
                        record.id, record.source
                    ))
                }
                Some(_) => {}
            }
        }
        Ok(stale)
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
    Coding(i64),
    Document(String),
    Code(String),
    Case(String),
    Project,
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

fn speaker_patterns(config: &Config) -> Result<TurnPatterns> {
    if config.speakers.patterns.is_empty() {
        Ok(TurnPatterns::default())
    } else {
        TurnPatterns::new(&config.speakers.patterns)
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

fn read_corpus(
    dir: &Path,
    patterns: &TurnPatterns,
    survey: &SurveyColumns,
    cases: &Cases,
) -> Result<Vec<Document>> {
    let folder = dir.join(TRANSCRIPTS_DIR);
    let mut files = Vec::new();
    if folder.exists() {
        collect_files(&folder, &mut files)?;
    }
    files.sort();
    // Files are read and parsed in parallel; checks and errors then go in file order, so
    // the error reported is the first a reader going through the files would meet.
    let read: Vec<Result<Vec<Document>>> = files
        .par_iter()
        .map(|file| ingest::read_documents(dir, file, patterns, survey))
        .collect();
    let count = read.iter().map(|r| r.as_ref().map_or(0, Vec::len)).sum();
    let mut documents: Vec<Document> = Vec::with_capacity(count);
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    for file_documents in read {
        for document in file_documents? {
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
    Ok(documents)
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
const NPT_CODEBOOK: &str = include_str!("../data/deep-end/codebook.yaml");
