//! Keeping a project and its cache in step with the record, whatever other processes do.
//!
//! Opening takes the project lock shared: files are read while no writer is halfway through a
//! change. The cache (`.qualkit/`) is used as it is when it matches the record files (their
//! stamps), the codebook and the text of every coded document; otherwise it is rebuilt from
//! the files under the exclusive lock, by one process while the others wait. Before a change,
//! [`Project::write_locked`] takes the exclusive lock and brings the project up to date first,
//! so a REPL or notebook that has been open for hours never writes over a colleague's work or
//! into a cache another process replaced.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use super::{CASES_FILE, CODEBOOK_FILE, CONFIG_FILE, Project, TRANSCRIPTS_DIR, follow, texts};
use crate::error::{Error, Result};
use crate::ingest::Document;
use crate::record::files::{self, CodingRow, CodingsFile};
use crate::record::{self, Mode, ProjectLock, Stamps, change};
use crate::store::{DocumentRecord, RecordSink, Store, codings_file_name};

/// What the record writer needs from the project: its folder, the documents' text, and the
/// order of cases and codes.
pub(crate) struct ProjectRecord {
    root: PathBuf,
    documents: Arc<Vec<Document>>,
    by_id: Arc<HashMap<String, usize>>,
    case_order: HashMap<String, usize>,
    code_order: HashMap<String, usize>,
}

impl RecordSink for ProjectRecord {
    fn keep_text(&self, document: &str) {
        if let Some(&i) = self.by_id.get(document) {
            texts::keep(&self.root, &self.documents[i].text);
        }
    }

    fn root(&self) -> &Path {
        &self.root
    }

    fn quote(&self, document: &str, start: usize, end: usize) -> Option<&str> {
        let &i = self.by_id.get(document)?;
        self.documents[i].slice(start, end)
    }

    fn case_rank(&self, case: &str) -> usize {
        self.case_order.get(case).copied().unwrap_or(usize::MAX)
    }

    fn code_rank(&self, code: &str) -> usize {
        self.code_order.get(code).copied().unwrap_or(usize::MAX)
    }
}

/// The files a project is read from, in one walk: the stamps of its settings, cases, codebook,
/// sets and transcripts (to notice that they changed under an open project), and the scratch
/// files a process killed in the middle of a single-file write left beside them (the file
/// itself is whole: old or new).
struct Inputs {
    stamps: Stamps,
    scratch: Vec<PathBuf>,
}

fn scan_inputs(root: &Path) -> Result<Inputs> {
    let mut inputs = Inputs {
        stamps: Stamps::new(),
        scratch: Vec::new(),
    };
    for name in [
        CONFIG_FILE,
        CASES_FILE,
        CODEBOOK_FILE,
        crate::project::sets::SETS_FILE,
    ] {
        let path = root.join(name);
        if path.exists() {
            inputs
                .stamps
                .insert(name.to_string(), record::stamp(&path)?);
        }
    }
    for folder in [root.to_path_buf(), root.join(record::CODINGS_DIR)] {
        if let Ok(entries) = std::fs::read_dir(&folder) {
            inputs.scratch.extend(
                entries
                    .flatten()
                    .filter(|e| record::atomic::is_scratch_name(&e.file_name().to_string_lossy()))
                    .map(|e| e.path()),
            );
        }
    }
    scan_transcripts(root, &root.join(TRANSCRIPTS_DIR), &mut inputs)?;
    Ok(inputs)
}

fn scan_transcripts(root: &Path, dir: &Path, inputs: &mut Inputs) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if path.is_dir() {
            scan_transcripts(root, &path, inputs)?;
        } else if record::atomic::is_scratch_name(&name) {
            inputs.scratch.push(path);
        } else if crate::ingest::is_document_file(&path) {
            inputs
                .stamps
                .insert(record::relative_name(root, &path), record::stamp(&path)?);
        }
    }
    Ok(())
}

impl Project {
    /// Opens a project: reads settings, cases, codebook and every document, and opens the
    /// cache, building it from the record files when it is missing or out of date. An
    /// interrupted change is completed or rolled back first; [`Project::notes`] says what
    /// was done.
    pub fn open(dir: &Path) -> Result<Self> {
        if !dir.join(CONFIG_FILE).exists() {
            return Err(Error::Invalid {
                path: dir.to_path_buf(),
                message: format!(
                    "not a qualkit project (no {CONFIG_FILE}); create one with `qualkit new`"
                ),
            });
        }
        {
            let _shared = ProjectLock::acquire(dir, Mode::Shared)?;
            let inputs = scan_inputs(dir)?;
            let here = change::in_progress_here(dir);
            if here || (!change::interrupted(dir) && inputs.scratch.is_empty()) {
                let mut project = Project::load(dir)?;
                project.inputs = inputs.stamps;
                if project.use_current_store()? {
                    return Ok(project);
                }
            }
        }
        let _exclusive = ProjectLock::acquire(dir, Mode::Exclusive)?;
        Project::open_exclusive(dir)
    }

    /// Opens the project while holding its exclusive lock: recovers an interrupted change,
    /// reads the files, and uses or rebuilds the cache.
    pub(super) fn open_exclusive(dir: &Path) -> Result<Self> {
        let mut notes = Vec::new();
        let here = change::in_progress_here(dir);
        if !here {
            notes.extend(change::recover(dir)?);
        }
        let inputs = scan_inputs(dir)?;
        if !here {
            // No write is in progress: the caller holds the exclusive lock.
            for scratch in &inputs.scratch {
                let _ = std::fs::remove_file(scratch);
            }
        }
        let mut project = Project::load(dir)?;
        project.inputs = inputs.stamps;
        project.notes = notes;
        if !project.use_current_store()? {
            project.rebuild_store()?;
        }
        Ok(project)
    }

    /// Takes the project's exclusive lock for a change, and first brings the project up to
    /// date with the files: another process may have changed them since this one read them.
    pub(crate) fn write_locked(&mut self) -> Result<ProjectLock> {
        let lock = ProjectLock::acquire(&self.root, Mode::Exclusive)?;
        // Inside a change this thread is making, or while the cache is being built, the
        // project is as this thread left it.
        if change::in_progress_here(&self.root) || self.store.is_building() {
            return Ok(lock);
        }
        let stale = change::interrupted(&self.root)
            || scan_inputs(&self.root)?.stamps != self.inputs
            || Store::current(&self.root.join(record::CACHE_DIR)).as_deref()
                != Some(self.store.path())
            || self.store.stamps()? != record::stamps(&self.root)?;
        if stale {
            let notes = std::mem::take(&mut self.notes);
            *self = Project::open_exclusive(&self.root)?;
            self.notes.splice(0..0, notes);
        }
        Ok(lock)
    }

    /// Uses the cache in `.qualkit/` if it matches the record files, the codebook and every
    /// coded document's text. Returns whether it did.
    fn use_current_store(&mut self) -> Result<bool> {
        let cache = self.root.join(record::CACHE_DIR);
        let Some(path) = Store::current(&cache) else {
            return Ok(false);
        };
        let Some(store) = Store::open(&path)? else {
            return Ok(false);
        };
        if store.stamps()? != record::stamps(&self.root)?
            || store.codebook_version()?.as_deref() != Some(self.codebook.version())
        {
            return Ok(false);
        }
        for record in store.documents()? {
            let same = self.by_id.get(&record.id).is_some_and(|&i| {
                record.fingerprint == crate::support::text::fingerprint(&self.documents[i].text)
            });
            if !same {
                return Ok(false);
            }
        }
        self.store = store;
        self.attach_record();
        self.apply_classifications()?;
        Ok(true)
    }

    fn attach_record(&mut self) {
        let sink = ProjectRecord {
            root: self.root.clone(),
            documents: self.documents.clone(),
            by_id: self.by_id.clone(),
            case_order: self
                .cases
                .names()
                .into_iter()
                .enumerate()
                .map(|(i, c)| (c, i))
                .collect(),
            code_order: self
                .codebook
                .codes()
                .iter()
                .enumerate()
                .map(|(i, c)| (c.id.clone(), i))
                .collect(),
        };
        self.store.attach(Arc::new(sink));
    }

    /// Builds the cache from the record files. The caller holds the exclusive lock.
    fn rebuild_store(&mut self) -> Result<()> {
        let root = self.root.clone();
        let stamps = record::stamps(&root)?;
        // The texts the codings were placed on, as the cache being replaced knew them.
        let placed_on = placed_on(&root);
        self.store = Store::create_bulk(&root.join(record::CACHE_DIR))?;

        let log_path = root.join(record::LOG_FILE);
        let log = files::read_log(&log_path, Path::new(record::LOG_FILE))?;
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, entry) in log.iter().enumerate() {
            if let Some(first) = seen.insert(entry.id.as_str(), i) {
                return Err(Error::Invalid {
                    path: log_path,
                    message: format!(
                        "entries {} and {} have the same id `{}`; give one of them a new id",
                        first + 1,
                        i + 1,
                        entry.id
                    ),
                });
            }
        }
        self.store.restore_log(&log)?;
        drop(seen);

        let codings_files = record::codings_files(&root)?;
        let read: Vec<(PathBuf, PathBuf, Result<CodingsFile>)> = codings_files
            .par_iter()
            .map(|path| {
                let shown = path.strip_prefix(&root).unwrap_or(path).to_path_buf();
                let read = files::read_codings(path, &shown);
                (path.clone(), shown, read)
            })
            .collect();
        let mut rows_by_file: Vec<(PathBuf, Vec<CodingRow>)> = Vec::new();
        // Memos in a codings file's `memo` column (an export put back in codings/).
        let mut column_memos: Vec<files::MemoRow> = Vec::new();
        let mut import_files = Vec::new();
        let mut rewrite = Vec::new();
        for (path, shown, read) in read {
            match read? {
                CodingsFile::Record { mut rows, memos } => {
                    let fresh: Vec<u64> = rows
                        .iter_mut()
                        .filter_map(|r| {
                            let id = r.id.strip_prefix(files::NEW_ID_PREFIX)?.to_string();
                            r.id = id;
                            Some(r.line)
                        })
                        .collect();
                    if !fresh.is_empty() {
                        rewrite.push(format!(
                            "{} had rows without an id (lines {}); they were given ids",
                            shown.display(),
                            fresh
                                .iter()
                                .map(u64::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                    if !memos.is_empty() {
                        rewrite.push(format!(
                            "the memos in {}'s memo column went to {}",
                            shown.display(),
                            record::MEMOS_FILE
                        ));
                        column_memos.extend(memos);
                    }
                    let name = path.file_name().unwrap_or_default().to_string_lossy();
                    if rows.iter().any(|r| codings_file_name(&r.coder) != name) {
                        rewrite.push(format!(
                            "{} holds codings of coders other than its name says; they go to each coder's own file",
                            shown.display()
                        ));
                    }
                    rows_by_file.push((shown, rows));
                }
                CodingsFile::Import => import_files.push((path, shown)),
            }
        }
        let total: usize = rows_by_file.iter().map(|(_, rows)| rows.len()).sum();
        let mut ids: HashMap<&str, (&Path, u64), xxhash_rust::xxh3::Xxh3DefaultBuilder> =
            HashMap::with_capacity_and_hasher(total, Default::default());
        for (shown, rows) in &rows_by_file {
            for row in rows {
                if let Some((other, line)) =
                    ids.insert(row.id.as_str(), (shown.as_path(), row.line))
                {
                    return Err(Error::Csv {
                        path: shown.clone(),
                        line: row.line,
                        message: format!(
                            "coding id `{}` is also used at {}:{line}; a coding id names one coding (give one of them a new id, e.g. from `uuidgen`)",
                            row.id,
                            other.display()
                        ),
                    });
                }
            }
        }
        drop(ids);
        // Whether each document the old cache knew changed since: one hash per document,
        // not one per coding.
        let changed: HashMap<&str, bool> = self
            .documents
            .par_iter()
            .filter_map(|d| {
                let before = placed_on.get(&d.id)?;
                Some((
                    d.id.as_str(),
                    *before != crate::support::text::fingerprint(&d.text),
                ))
            })
            .collect();
        let fit = Fit {
            documents: &self.documents,
            by_id: &self.by_id,
            codebook: &self.codebook,
            changed: &changed,
        };
        let checked: Vec<(&CodingRow, Check)> = rows_by_file
            .par_iter()
            .flat_map_iter(|(_, rows)| rows.iter().map(|row| (row, fit.check(row))))
            .collect();
        let mut groups: HashMap<&str, (follow::TextState, Vec<&CodingRow>)> = HashMap::new();
        for (row, check) in &checked {
            if matches!(check, Check::Follow) {
                let document = &self.documents[self.by_id[&row.document]];
                groups
                    .entry(document.id.as_str())
                    .or_insert_with(|| {
                        let state = follow::TextState {
                            document,
                            previous: placed_on.get(&document.id).map(String::as_str),
                        };
                        (state, Vec::new())
                    })
                    .1
                    .push(row);
            }
        }
        let followed = follow::follow_all(&root, &groups);
        drop(groups);
        let mut placed: Vec<&CodingRow> = checked
            .iter()
            .filter(|(_, check)| matches!(check, Check::Fits))
            .map(|(row, _)| *row)
            .chain(
                followed
                    .iter()
                    .flat_map(|(rows, _)| rows.iter().filter(|r| !r.detached)),
            )
            .collect();
        // In the order of the codings index, which is then built from sorted rows.
        placed.par_sort_unstable_by(|a, b| {
            (&a.coder, &a.document, &a.code, a.start).cmp(&(
                &b.coder,
                &b.document,
                &b.code,
                b.start,
            ))
        });
        let mut coded: HashSet<String> = placed.iter().map(|r| r.document.clone()).collect();
        let unplaced: Vec<(&CodingRow, String)> = checked
            .iter()
            .filter_map(|(row, check)| match check {
                Check::Misfit(reason) => Some((*row, reason.clone())),
                _ => None,
            })
            .chain(followed.iter().flat_map(|(rows, report)| {
                rows.iter()
                    .filter(|r| r.detached)
                    .map(|r| (r, format!("its text is no longer in {}", report.source)))
            }))
            .collect();
        self.store.restore_codings(&placed)?;
        self.store.restore_unplaced(&unplaced)?;
        let all_count = placed.len() + unplaced.len();
        let unplaced_count = unplaced.iter().filter(|(r, _)| !r.detached).count();
        let followed_coders: BTreeSet<String> = followed
            .iter()
            .filter(|(_, report)| !report.codings.is_empty())
            .flat_map(|(rows, _)| rows.iter().map(|r| r.coder.clone()))
            .collect();
        let reports: Vec<follow::DocumentFollowed> = followed
            .into_iter()
            .map(|(_, report)| report)
            .filter(|report| report.diffed || !report.codings.is_empty())
            .collect();
        drop(checked);
        drop(rows_by_file);

        for (path, shown) in &import_files {
            let report = self.import_codings(path, None)?;
            let mut note = format!(
                "{} had no id column: its {} codings were given ids",
                shown.display(),
                report.added
            );
            if report.skipped_overlaps > 0 {
                // Those rows are not in the rewritten file: keep the file as it was beside it.
                let backup = path.with_extension("csv.bak");
                let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
                record::write(&backup, &bytes)?;
                note.push_str(&format!(
                    " ({} rows overlapped another coding of the same coder and code and were left out; the file as it was is kept as {})",
                    report.skipped_overlaps,
                    backup.display()
                ));
            }
            rewrite.push(note);
        }

        let memos = files::read_rows::<files::MemoRow>(
            &root.join(record::MEMOS_FILE),
            Path::new(record::MEMOS_FILE),
        )?;
        let summaries = files::read_rows::<files::SummaryRow>(
            &root.join(record::SUMMARIES_FILE),
            Path::new(record::SUMMARIES_FILE),
        )?;
        let classifications = files::read_rows::<files::ClassificationRow>(
            &root.join(record::CLASSIFICATIONS_FILE),
            Path::new(record::CLASSIFICATIONS_FILE),
        )?;
        let mut memo_ids = HashSet::new();
        let mut memos: Vec<files::MemoRow> = memos.into_iter().map(|(_, m)| m).collect();
        for memo in column_memos {
            let known = memos
                .iter()
                .any(|m| m.kind == memo.kind && m.target == memo.target && m.author == memo.author);
            if !known {
                memos.push(memo);
            }
        }
        for memo in &mut memos {
            // A memo added by hand may come without an id: it gets one when written back.
            if memo.id.trim().is_empty() || !memo_ids.insert(memo.id.clone()) {
                memo.id = record::new_id();
                rewrite.push(format!(
                    "{} had a memo without an id of its own",
                    record::MEMOS_FILE
                ));
            }
        }
        let summaries: Vec<files::SummaryRow> = summaries
            .into_iter()
            .map(|(_, mut s)| {
                s.summary = s.summary.trim().to_string();
                if s.author.trim().is_empty() {
                    s.author = record::SUMMARIES_FILE.to_string();
                }
                s
            })
            .collect();
        let classifications: Vec<files::ClassificationRow> =
            classifications.into_iter().map(|(_, c)| c).collect();
        if !import_files.is_empty() {
            // Codings the import-form files added, too.
            coded.extend(self.store.coded_documents()?);
        }
        // A re-anchored document is recorded with the text its codings were placed on until
        // the re-anchoring is written to the record: a crash before then leaves a cache that
        // does not match, and the next open re-anchors again.
        let followed_documents: HashSet<&str> = reports
            .iter()
            .filter(|r| !r.codings.is_empty())
            .map(|r| r.document.as_str())
            .collect();
        let documents: Vec<DocumentRecord> = self
            .documents
            .iter()
            .filter(|d| coded.contains(&d.id))
            .map(|d| {
                let mut record = self.record(d);
                if followed_documents.contains(d.id.as_str()) {
                    record.fingerprint = placed_on.get(&d.id).cloned().unwrap_or_default();
                }
                record
            })
            .collect();
        drop(followed_documents);
        drop(coded);
        self.store
            .restore_notes(&memos, &summaries, &classifications, &documents)?;
        self.store.set_stamps(&stamps)?;
        self.store.set_codebook_version(self.codebook.version())?;
        self.store.finish_bulk()?;
        self.attach_record();
        if !rewrite.is_empty() {
            rewrite.dedup();
            self.store.rewrite_record()?;
            self.notes.push(format!(
                "rewrote the record in its current form: {}",
                rewrite.join("; ")
            ));
        }
        if !reports.is_empty() {
            self.record_following(reports, followed_coders)?;
        }
        self.keep_texts();
        if unplaced_count > 0 {
            self.notes.push(format!(
                "{unplaced_count} of {} codings do not fit the project as it is now (their text changed, or their document or code is gone); they are kept in codings/ but left out of analysis and exports until fixed; `qualkit info` lists them",
                all_count
            ));
        }
        self.apply_classifications()?;
        Ok(())
    }
}

impl Project {
    /// Logs a re-anchoring and writes the re-anchored codings to their coders' files; tells
    /// the user what moved.
    fn record_following(
        &mut self,
        reports: Vec<follow::DocumentFollowed>,
        coders: BTreeSet<String>,
    ) -> Result<()> {
        let mut total = crate::coding::reanchor::Counts::default();
        for report in &reports {
            total.add(report.counts);
            self.notes.push(report.describe(20));
        }
        // Codings that all stayed where they were change nothing in the record.
        let reports: Vec<follow::DocumentFollowed> = reports
            .into_iter()
            .filter(|r| !r.codings.is_empty())
            .collect();
        if reports.is_empty() {
            return Ok(());
        }
        let detail = serde_json::json!({
            "counts": total,
            "documents": reports,
        });
        let coder = super::default_coder(&self.config);
        let documents: Vec<DocumentRecord> = reports
            .iter()
            .filter_map(|r| self.document(&r.document).ok())
            .map(|d| self.record(d))
            .collect();
        self.store.record_rewrite(
            &crate::store::Author {
                coder: &coder,
                codebook_version: self.codebook.version(),
            },
            "re-anchor",
            detail,
            coders,
            &documents,
        )?;
        Ok(())
    }

    /// Keeps a copy of every coded document's text in the cache, for the next re-anchoring,
    /// and drops copies no document has any more.
    fn keep_texts(&self) {
        let Ok(coded) = self.store.coded_documents() else {
            return;
        };
        let root = &self.root;
        let kept: HashSet<String> = self
            .documents
            .par_iter()
            .filter(|d| coded.contains(&d.id))
            .map(|d| {
                texts::keep(root, &d.text);
                crate::support::text::fingerprint(&d.text)
            })
            .collect();
        texts::prune(&self.root, &kept);
    }
}

/// What a coding of the record must fit: the project's documents and codebook, and the
/// text its document had when its codings were placed.
struct Fit<'p> {
    documents: &'p [Document],
    by_id: &'p HashMap<String, usize>,
    codebook: &'p crate::codebook::Codebook,
    /// Document id -> whether its text changed since its codings were placed, for the
    /// documents the cache being replaced knew.
    changed: &'p HashMap<&'p str, bool>,
}

/// What becomes of a coding of the record when the cache is built.
enum Check {
    Fits,
    /// Placed again in its document's changed text.
    Follow,
    /// Kept out of analysis, for this reason.
    Misfit(String),
}

impl Fit<'_> {
    fn check(&self, row: &CodingRow) -> Check {
        let Some(&i) = self.by_id.get(&row.document) else {
            return Check::Misfit(format!("document `{}` is not in the project", row.document));
        };
        if self.codebook.get(&row.code).is_none() {
            return Check::Misfit(format!("code `{}` is not in the codebook", row.code));
        }
        let document = &self.documents[i];
        // Whether the text changed since the codings were placed: unknown without the cache.
        let changed = self.changed.get(document.id.as_str()).copied();
        if row.detached {
            return match changed {
                Some(false) => Check::Misfit(format!(
                    "its text was not found in `{}` when the text last changed",
                    row.document
                )),
                _ => Check::Follow,
            };
        }
        if changed == Some(true) {
            return Check::Follow;
        }
        if row.end <= row.start {
            return Check::Misfit(format!(
                "span {}..{} is empty or reversed",
                row.start, row.end
            ));
        }
        let text = document.slice(row.start, row.end);
        match (text, changed) {
            (Some(text), _) if row.quote.is_empty() || text == row.quote => Check::Fits,
            // The text changed, and no cache says from what: its quote finds it.
            (_, None) => Check::Follow,
            // The text did not change: the row was edited by hand, and is the user's to settle.
            (Some(_), Some(_)) => Check::Misfit(format!(
                "the text at {}..{} is not its quote (edited by hand?)",
                row.start, row.end
            )),
            (None, Some(_)) => Check::Misfit(format!(
                "span {}..{} is past the end of the text ({} characters)",
                row.start,
                row.end,
                document.len_chars()
            )),
        }
    }
}

/// Fingerprints of the texts the current cache's codings were placed on, by document.
fn placed_on(root: &Path) -> HashMap<String, String> {
    let cache = root.join(record::CACHE_DIR);
    let Some(path) = Store::current(&cache) else {
        return HashMap::new();
    };
    match Store::open(&path) {
        Ok(Some(store)) => store
            .documents()
            .map(|records| records.into_iter().map(|d| (d.id, d.fingerprint)).collect())
            .unwrap_or_default(),
        _ => HashMap::new(),
    }
}
