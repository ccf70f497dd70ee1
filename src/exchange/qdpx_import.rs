//! A REFI-QDA project (`.qdpx`) into a qualkit project folder.
//!
//! Lenient on what real exporters write: `project.qde` under any `*.qde` name, sources under
//! `sources/` in any case or at the top level, `plainTextPath` with or without
//! `internal://`, GUIDs in any case or braces, CRLF counted either way, a byte order mark.
//! Every selection is checked against its text; anything that cannot be carried over is
//! listed in the report. The whole import is planned before the first file is written, and
//! undone if storing it fails.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::merge::{SourceCases, merge_cases, merge_codes, merge_sets, variable_text};
use super::positions::{self, Counted};
use super::qdpx_export::{DATE, METHOD, PARTICIPANTS, PHASE};
use super::refi::*;
use super::{ExchangeReport, ImportOptions};
use crate::error::{Error, Result};
use crate::project::{CASES_FILE, CODEBOOK_FILE, Project, TRANSCRIPTS_DIR};
use crate::store::{Author, DocumentRecord, MemoRecord, NewCoding};
use crate::support::archive::{Archive, Limits};

pub fn import(dir: &Path, file: &Path, options: &ImportOptions) -> Result<ExchangeReport> {
    crate::project::check_coder(&options.coder)?;
    let project = Project::open(dir)?;
    let mut archive = Archive::open(file, Limits::default())?;
    let qde = find_qde(&archive, file)?;
    let shown = format!("{}: {qde}", file.display());
    let bytes = archive.read(&qde)?;
    let xml = crate::support::xml::decode(&bytes, &shown)?;
    let root = crate::support::xml::parse(&xml, &shown)?;
    let mut report = ExchangeReport {
        file: file.to_path_buf(),
        ..Default::default()
    };
    let refi = read::project(&root, &shown, &mut report.warnings)?;
    let extras = match archive.find(EXTRAS_ENTRY).map(str::to_string) {
        Some(name) => {
            let bytes = archive.read(&name)?;
            serde_json::from_slice::<Extras>(&bytes).map_err(|e| Error::Invalid {
                path: file.to_path_buf(),
                message: format!("{name}: {e}"),
            })?
        }
        None => Extras::default(),
    };
    let plan = plan(&project, &refi, &extras, &mut archive, options, &mut report)?;
    drop(project);
    apply(dir, file, plan, options, report)
}

/// The `.qde` entry: `project.qde` as the standard names it, else the only `*.qde`.
fn find_qde(archive: &Archive, file: &Path) -> Result<String> {
    if let Some(name) = archive.find("project.qde") {
        return Ok(name.to_string());
    }
    let qde: Vec<&str> = archive
        .entries()
        .iter()
        .map(|e| e.name.as_str())
        .filter(|n| n.to_ascii_lowercase().ends_with(".qde"))
        .collect();
    match qde.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(Error::Invalid {
            path: file.to_path_buf(),
            message: "no project.qde (or other *.qde) in the archive; is this a REFI-QDA project?"
                .into(),
        }),
        many => Err(Error::Invalid {
            path: file.to_path_buf(),
            message: format!(
                "the archive holds several project files ({}); expected one",
                many.join(", ")
            ),
        }),
    }
}

/// Reads a source's or note's text from where the project says it is.
fn read_text(
    archive: &mut Archive,
    location: &TextLocation,
    what: &str,
) -> std::result::Result<String, String> {
    match location {
        TextLocation::Inline(text) => Ok(text.clone()),
        TextLocation::Path(path) => {
            let bare = path
                .strip_prefix("internal://")
                .or_else(|| path.strip_prefix("relative://"))
                .unwrap_or(path)
                .trim_start_matches(['/', '\\']);
            let file_name = bare.rsplit(['/', '\\']).next().unwrap_or(bare);
            let found = [
                bare.to_string(),
                format!("sources/{file_name}"),
                file_name.to_string(),
            ]
            .iter()
            .find_map(|candidate| archive.find(candidate).map(str::to_string))
            .ok_or_else(|| format!("{what}: its text `{path}` is not in the archive"))?;
            let bytes = archive.read(&found).map_err(|e| e.to_string())?;
            let text =
                crate::support::xml::decode(&bytes, &found).map_err(|e| format!("{what}: {e}"))?;
            // The byte order mark stays: some tools count it as a position, and which ones
            // do is judged from where the selections fall.
            let bom = [&b"\xEF\xBB\xBF"[..], b"\xFF\xFE", b"\xFE\xFF"]
                .iter()
                .any(|mark| bytes.starts_with(mark));
            Ok(if bom { format!("\u{feff}{text}") } else { text })
        }
        TextLocation::Missing { rich_text } => Err(match rich_text {
            Some(rich) => format!(
                "{what}: only a rich-text version (`{rich}`) is given; selections count positions in the plain text, which is missing"
            ),
            None => format!("{what}: it has no text"),
        }),
    }
}

/// A document the import adds, reuses or replaces.
struct PlannedDocument {
    id: String,
    text: String,
    /// Where to write it; `None` when the project already has it with this text.
    file: Option<PlannedFile>,
}

enum PlannedFile {
    Transcript {
        path: PathBuf,
        content: String,
    },
    /// A survey answer (`stem#id`), written as a row of `stem.csv`.
    SurveyRow {
        stem: String,
        row: SurveyRow,
    },
}

#[derive(Clone)]
struct SurveyRow {
    local_id: String,
    meta: DocumentMeta,
    text: String,
}

#[derive(Clone, Default)]
struct DocumentMeta {
    case: String,
    method: Option<String>,
    phase: Option<String>,
    date: Option<String>,
    title: Option<String>,
    participants: Vec<(String, String)>,
    attributes: BTreeMap<String, String>,
}

struct Plan {
    /// A new qualkit.toml, when an empty project takes the file's name and description.
    config: Option<String>,
    documents: Vec<PlannedDocument>,
    codebook: Option<String>,
    cases: Option<String>,
    sets: Option<String>,
    codings: Vec<(String, NewCoding)>,
    memos: Vec<MemoRecord>,
    summaries: Vec<crate::store::Summary>,
    classifications: Vec<crate::exchange::refi::ExtraClassification>,
}

fn plan(
    project: &Project,
    refi: &RefiProject,
    extras: &Extras,
    archive: &mut Archive,
    options: &ImportOptions,
    report: &mut ExchangeReport,
) -> Result<Plan> {
    let people = People {
        users: users(refi, report),
        default: &options.coder,
    };

    let preferred: HashMap<Guid, String> = extras
        .code_ids
        .iter()
        .map(|(g, id)| (Guid::parse(g), id.clone()))
        .collect();
    let (codebook_text, code_ids) = merge_codes(project.root(), &refi.codes, &preferred, report)?;
    let variables: HashMap<&Guid, &Variable> =
        refi.variables.iter().map(|v| (&v.guid, v)).collect();
    // Texts first: a source whose text cannot be read is not imported, so it must not be
    // counted (or given a case) below.
    let mut texts: Vec<std::result::Result<String, String>> = refi
        .sources
        .iter()
        .map(|source| {
            let what = format!("source `{}` (line {})", source.name, source.line);
            read_text(archive, &source.text, &what)
        })
        .collect();
    let readable: HashSet<Guid> = refi
        .sources
        .iter()
        .zip(&texts)
        .filter(|(_, t)| t.is_ok())
        .map(|(s, _)| s.guid.clone())
        .collect();
    let (cases_text, source_case) =
        merge_cases(project, refi, &variables, &readable, options, report)?;

    let mut notes = NoteBook::read(refi, archive, &people, report);
    let mut memos: Vec<MemoRecord> = Vec::new();

    // Documents.
    let mut taken: HashSet<String> = project.documents().iter().map(|d| d.id.clone()).collect();
    let mut documents = Vec::new();
    let mut codings = Vec::new();
    let mut source_ids: HashMap<Guid, String> = HashMap::new();
    let mut uncoded_selections = 0;
    let mut lost_with_other_sources = 0;
    for (kind, name, coded) in &refi.other_sources {
        lost_with_other_sources += coded;
        report.warnings.push(format!(
            "{kind} `{name}` and its {coded} codings (qualkit reads text sources only)"
        ));
    }
    if refi.other_sources.len() > 1 && lost_with_other_sources > 0 {
        report.warnings.push(format!(
            "{lost_with_other_sources} codings in all with the {} sources that are not text",
            refi.other_sources.len()
        ));
    }
    for (index, source) in refi.sources.iter().enumerate() {
        let raw = match std::mem::replace(&mut texts[index], Ok(String::new())) {
            Ok(raw) => raw,
            Err(message) => {
                let coded = source.codings.len()
                    + source
                        .selections
                        .iter()
                        .map(|s| s.codings.len())
                        .sum::<usize>();
                report
                    .warnings
                    .push(format!("{message}; the source and its {coded} codings"));
                continue;
            }
        };
        let text = crate::support::text::normalise(raw.clone());
        // Tools count positions differently (see `positions`): the counting is judged per
        // source by where its coded selections fall, and the report says how sure that is.
        let coded: Vec<Counted> = source
            .selections
            .iter()
            .filter(|s| !s.codings.is_empty())
            .map(|s| Counted {
                start: s.start,
                end: s.end,
                name: s.name.as_deref(),
            })
            .collect();
        let recount = if coded.is_empty() {
            None
        } else {
            let choice = positions::choose(&raw, &text, &coded);
            if positions::needs_recount(&raw) {
                report.notes.push(format!(
                    "source `{}`: positions read {} ({})",
                    source.name,
                    choice.counting.describe(&raw),
                    choice.confidence()
                ));
            }
            if choice.fits_poorly() {
                report.warnings.push(format!(
                    "source `{}`: no way of counting positions puts its selections on whole words (at best {} of {}); its codings may sit on the wrong words",
                    source.name, choice.fitting, choice.selections
                ));
            } else if choice.ambiguous() {
                report.warnings.push(format!(
                    "source `{}`: two ways of counting positions fit its selections equally well and put them in different places; read {}, check its codings",
                    source.name,
                    choice.counting.describe(&raw)
                ));
            }
            Some(choice.map)
        };
        let len = text.chars().count();
        let position = |p: i64| -> Option<usize> {
            match &recount {
                Some(map) => map.position(p),
                None => usize::try_from(p).ok().filter(|&p| p <= len),
            }
        };

        let meta = document_meta(source, &variables, &source_case, options, report);
        let (id, file) = plan_document(project, source, &text, meta, &mut taken, options, report)?;
        source_ids.insert(source.guid.clone(), id.clone());

        let (from_selections, uncoded) = selection_codings(
            source, &id, &text, &position, &code_ids, &people, &mut notes, report,
        );
        codings.extend(from_selections);
        uncoded_selections += uncoded;
        for coding in &source.codings {
            let Some(code) = code_ids.get(&coding.code) else {
                report.warnings.push(format!(
                    "a coding of the whole of `{id}` refers to code {}, which the codebook does not have",
                    coding.code
                ));
                continue;
            };
            if len == 0 {
                continue;
            }
            let coder = people.name(coding.creating_user.as_ref(), report);
            codings.push((
                coder,
                NewCoding {
                    id: None,
                    document: id.clone(),
                    code: code.clone(),
                    start: 0,
                    end: len,
                    memo: None,
                },
            ));
        }
        for note in &source.note_refs {
            if let Some((text, coder)) = notes.take(note, report) {
                memos.push(MemoRecord {
                    kind: "document".into(),
                    target: id.clone(),
                    coder,
                    text,
                });
            }
        }
        documents.push(PlannedDocument { id, text, file });
    }
    if uncoded_selections > 0 {
        report.warnings.push(format!(
            "{uncoded_selections} selections that carry no coding (qualkit keeps coded spans only)"
        ));
    }

    // Memos on codes, cases and the project.
    for (code, _) in walk_codes(&refi.codes) {
        for note in &code.note_refs {
            if let (Some((text, coder)), Some(id)) =
                (notes.take(note, report), code_ids.get(&code.guid))
            {
                memos.push(MemoRecord {
                    kind: "code".into(),
                    target: id.clone(),
                    coder,
                    text,
                });
            }
        }
    }
    let case_names: HashMap<&Guid, String> = refi
        .cases
        .iter()
        .filter_map(|c| {
            source_case
                .case_names
                .get(&c.guid)
                .map(|n| (&c.guid, n.clone()))
        })
        .collect();
    let mut other_links = 0;
    for link in &refi.links {
        let ends = (link.origin.as_ref(), link.target.as_ref());
        let (case, note) = match ends {
            (Some(a), Some(b)) if case_names.contains_key(a) && notes.has(b) => (a, b),
            (Some(a), Some(b)) if case_names.contains_key(b) && notes.has(a) => (b, a),
            _ => {
                other_links += 1;
                continue;
            }
        };
        if let Some((text, coder)) = notes.take(note, report) {
            memos.push(MemoRecord {
                kind: "case".into(),
                target: case_names[case].clone(),
                coder,
                text,
            });
        }
    }
    if other_links > 0 {
        report.warnings.push(format!(
            "{other_links} links between objects (qualkit has no links other than memos on cases)"
        ));
    }
    if refi.graphs > 0 {
        report.warnings.push(format!("{} graphs", refi.graphs));
    }
    for note in &refi.note_refs {
        if let Some((text, coder)) = notes.take(note, report) {
            memos.push(project_memo(coder, text));
        }
    }
    let sets_text = merge_sets(project.root(), &refi.sets, &code_ids, &source_ids, report)?;
    for (name, text, author) in notes.unused(refi) {
        report.notes.push(format!(
            "note `{name}` is about nothing in particular; kept as a project memo"
        ));
        memos.push(project_memo(author, memo_body(&name, &text)));
    }
    let memos = merge_memos(memos);
    let mut summaries = Vec::new();
    for summary in &extras.summaries {
        match (
            code_ids.get(&Guid::parse(&summary.theme)),
            source_case.case_names.values().any(|c| *c == summary.case)
                || project.cases.get(&summary.case).is_some(),
        ) {
            (Some(theme), true) => summaries.push(crate::store::Summary {
                case: summary.case.clone(),
                theme: theme.clone(),
                text: summary.text.clone(),
                author: summary.author.clone(),
                updated: String::new(),
            }),
            _ => report.warnings.push(format!(
                "the Framework summary of case `{}` for theme {}: the case or theme is not in the project",
                summary.case, summary.theme
            )),
        }
    }
    let config = project.documents().is_empty().then(|| {
        let mut config = project.config.clone();
        if !refi.name.trim().is_empty() {
            config.name = refi.name.trim().to_string();
        }
        if let Some(description) = refi.description.as_deref().filter(|d| !d.trim().is_empty()) {
            config.description = Some(description.trim().to_string());
        }
        toml::to_string_pretty(&config).expect("config serialises")
    });
    let known_case = |case: &str| {
        source_case.case_names.values().any(|c| c == case) || project.cases.get(case).is_some()
    };
    let classifications = extras
        .classifications
        .iter()
        .filter(|c| {
            let known = known_case(&c.case);
            if !known {
                report.warnings.push(format!(
                    "classification `{}` of case `{}`: the case is not in the project",
                    c.attribute, c.case
                ));
            }
            known
        })
        .cloned()
        .collect();
    Ok(Plan {
        config,
        summaries,
        classifications,
        documents,
        codebook: codebook_text,
        cases: cases_text,
        sets: sets_text,
        codings,
        memos,
    })
}

/// Who did what: user GUIDs to coder names; work without a user is the importer's.
struct People<'a> {
    users: HashMap<Guid, String>,
    default: &'a str,
}

impl People<'_> {
    fn name(&self, guid: Option<&Guid>, report: &mut ExchangeReport) -> String {
        match guid {
            None => self.default.to_string(),
            Some(g) => self.users.get(g).cloned().unwrap_or_else(|| {
                let name = format!("user-{}", &g.0.chars().take(8).collect::<String>());
                if !report.notes.iter().any(|n| n.contains(&name)) {
                    report.notes.push(format!(
                        "user {g} is not among the project's users; their work is recorded as `{name}`"
                    ));
                }
                name
            }),
        }
    }
}

/// The file's notes (name, text, author by GUID), and which of them became memos so far.
struct NoteBook {
    notes: HashMap<Guid, (String, String, String)>,
    used: HashSet<Guid>,
}

impl NoteBook {
    fn read(
        refi: &RefiProject,
        archive: &mut Archive,
        people: &People,
        report: &mut ExchangeReport,
    ) -> NoteBook {
        let mut notes = HashMap::new();
        for note in &refi.notes {
            match read_text(archive, &note.text, &format!("note `{}`", note.name)) {
                Ok(text) => {
                    if note.has_selections {
                        report.warnings.push(format!(
                            "codings inside note `{}` (qualkit codes documents, not memos)",
                            note.name
                        ));
                    }
                    let author = people.name(note.creating_user.as_ref(), report);
                    notes.insert(
                        note.guid.clone(),
                        (
                            note.name.clone(),
                            crate::support::text::normalise(text),
                            author,
                        ),
                    );
                }
                Err(message) => report.warnings.push(message),
            }
        }
        NoteBook {
            notes,
            used: HashSet::new(),
        }
    }

    fn has(&self, guid: &Guid) -> bool {
        self.notes.contains_key(guid)
    }

    /// A note as a memo (text, author), marked as used.
    fn take(&mut self, guid: &Guid, report: &mut ExchangeReport) -> Option<(String, String)> {
        self.used.insert(guid.clone());
        let found = self.notes.get(guid);
        if found.is_none() {
            report.warnings.push(format!(
                "a reference to note {guid}, which the project does not have"
            ));
        }
        found.map(|(name, text, author)| (memo_body(name, text), author.clone()))
    }

    /// Notes nothing points at, in file order.
    fn unused(&self, refi: &RefiProject) -> Vec<(String, String, String)> {
        refi.notes
            .iter()
            .filter(|n| !self.used.contains(&n.guid))
            .filter_map(|n| self.notes.get(&n.guid).cloned())
            .collect()
    }
}

/// The codings a source's selections carry, at positions in the normalised text, each
/// selection checked against the text; and how many selections carry no coding.
#[allow(clippy::too_many_arguments)]
fn selection_codings(
    source: &TextSource,
    id: &str,
    text: &str,
    position: &dyn Fn(i64) -> Option<usize>,
    code_ids: &HashMap<Guid, String>,
    people: &People,
    notes: &mut NoteBook,
    report: &mut ExchangeReport,
) -> (Vec<(String, NewCoding)>, usize) {
    let index = crate::support::text::CharIndex::new(text);
    let len = index.len_chars();
    let mut codings = Vec::new();
    let mut uncoded = 0;
    for selection in &source.selections {
        if selection.codings.is_empty() {
            uncoded += 1;
            continue;
        }
        let label = selection
            .name
            .as_deref()
            .map(|n| format!("`{}`", crate::support::text::shorten(n, 40)))
            .unwrap_or_else(|| selection.guid.to_string());
        let (start, end) = match (position(selection.start), position(selection.end)) {
            (Some(s), Some(e)) if s < e => (s, e),
            (Some(s), Some(e)) if s > e => {
                report.notes.push(format!(
                    "selection {label} in `{id}` has its start after its end (line {}); read as {e}..{s}",
                    selection.line
                ));
                (e, s)
            }
            (Some(_), Some(_)) => {
                report.warnings.push(format!(
                    "selection {label} in `{id}` (line {}) is empty ({}..{}); its {} codings",
                    selection.line,
                    selection.start,
                    selection.end,
                    selection.codings.len()
                ));
                continue;
            }
            _ => {
                report.warnings.push(format!(
                    "selection {label} in `{id}` (line {}) at {}..{} lies outside the text ({len} characters); its {} codings",
                    selection.line,
                    selection.start,
                    selection.end,
                    selection.codings.len()
                ));
                continue;
            }
        };
        if let Some(name) = selection
            .name
            .as_deref()
            .filter(|n| n.trim().chars().count() >= 12)
            && let Some(there) = index.slice(text, start, end)
            && !positions::name_fits(name, there)
        {
            report.notes.push(format!(
                "selection {label} in `{id}` (line {}): its name is not the text at {start}..{end} (\"{}\"); the positions were kept",
                selection.line,
                crate::support::text::shorten(there, 40)
            ));
        }
        let selection_memo: Vec<(String, String)> = selection
            .note_refs
            .iter()
            .filter_map(|n| notes.take(n, report))
            .collect();
        for coding in &selection.codings {
            let Some(code) = code_ids.get(&coding.code) else {
                report.warnings.push(format!(
                    "a coding of selection {label} in `{id}` (line {}) refers to code {}, which the codebook does not have",
                    selection.line, coding.code
                ));
                continue;
            };
            let coder = people.name(
                coding
                    .creating_user
                    .as_ref()
                    .or(selection.creating_user.as_ref()),
                report,
            );
            let mut memo: Vec<String> = coding
                .note_refs
                .iter()
                .filter_map(|n| notes.take(n, report))
                .map(|(text, _)| text)
                .collect();
            memo.extend(selection_memo.iter().map(|(text, _)| text.clone()));
            codings.push((
                coder,
                NewCoding {
                    // The file's own id for the coding, so that it keeps one id across tools.
                    id: Some(coding.guid.0.clone()).filter(|_| coding.guid.is_well_formed()),
                    document: id.to_string(),
                    code: code.clone(),
                    start,
                    end,
                    memo: (!memo.is_empty()).then(|| memo.join("\n\n")),
                },
            ));
        }
    }
    (codings, uncoded)
}

fn project_memo(coder: String, text: String) -> MemoRecord {
    MemoRecord {
        kind: "project".into(),
        target: String::new(),
        coder,
        text,
    }
}

/// A note's text, headed by its name unless the text already opens with it.
fn memo_body(name: &str, text: &str) -> String {
    let title = name.trim().trim_end_matches('…').trim();
    if title.is_empty() || text.trim_start().starts_with(title) {
        text.to_string()
    } else {
        format!("{}\n\n{text}", name.trim())
    }
}

/// One memo per target and coder: several notes on the same thing are joined.
fn merge_memos(memos: Vec<MemoRecord>) -> Vec<MemoRecord> {
    let mut merged: Vec<MemoRecord> = Vec::new();
    for memo in memos {
        match merged
            .iter_mut()
            .find(|m| m.kind == memo.kind && m.target == memo.target && m.coder == memo.coder)
        {
            Some(m) if !m.text.contains(memo.text.as_str()) => {
                m.text = format!("{}\n\n{}", m.text, memo.text)
            }
            Some(_) => {}
            None => merged.push(memo),
        }
    }
    merged
}

/// A name for a user or case of an exchange file that no other of its kind has taken (and now
/// taken): its own, `user-1a2b3c4d` from its GUID when it has none, `Name (2)` for the second
/// of a name, with a note saying so.
pub(super) fn unique_name(
    kind: &str,
    name: &str,
    guid: &Guid,
    used: &mut HashSet<String>,
    report: &mut ExchangeReport,
) -> String {
    let base = if name.is_empty() {
        format!("{kind}-{}", guid.0.chars().take(8).collect::<String>())
    } else {
        name.to_string()
    };
    let mut unique = base.clone();
    let mut n = 2;
    while !used.insert(unique.clone()) {
        unique = format!("{base} ({n})");
        n += 1;
    }
    if unique != base {
        report.notes.push(format!(
            "two {kind}s are called `{base}`; the second is `{unique}`"
        ));
    }
    unique
}

/// User GUID -> a coder name, unique and non-empty.
fn users(refi: &RefiProject, report: &mut ExchangeReport) -> HashMap<Guid, String> {
    let mut names: HashMap<Guid, String> = HashMap::new();
    let mut used: HashSet<String> = HashSet::new();
    for user in &refi.users {
        let name = unique_name("user", &user.name, &user.guid, &mut used, report);
        names.insert(user.guid.clone(), name);
    }
    names
}

fn document_meta(
    source: &TextSource,
    variables: &HashMap<&Guid, &Variable>,
    cases: &SourceCases,
    options: &ImportOptions,
    report: &mut ExchangeReport,
) -> DocumentMeta {
    let defaults = &options.metadata;
    let mut meta = DocumentMeta {
        case: cases
            .by_source
            .get(&source.guid)
            .cloned()
            .unwrap_or_default(),
        title: source.description.clone(),
        ..Default::default()
    };
    for value in &source.values {
        let Some(variable) = variables.get(&value.variable) else {
            report.warnings.push(format!(
                "a value of source `{}` refers to variable {}, which the project does not declare",
                source.name, value.variable
            ));
            continue;
        };
        let text = variable_text(value);
        match variable.name.as_str() {
            METHOD => meta.method = Some(text),
            PHASE => meta.phase = Some(text),
            DATE => meta.date = Some(text),
            PARTICIPANTS => {
                meta.participants = text
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| match l.split_once(": ") {
                        Some((speaker, role)) => {
                            (speaker.trim().to_string(), role.trim().to_string())
                        }
                        None => (l.trim_end_matches(':').trim().to_string(), String::new()),
                    })
                    .collect()
            }
            name if ["case", "title"].contains(&name) || name.trim().is_empty() => {
                report.warnings.push(format!(
                    "source `{}`: variable `{name}` (the name is reserved for document metadata)",
                    source.name
                ))
            }
            name => {
                meta.attributes.insert(name.to_string(), text);
            }
        }
    }
    meta.method = meta.method.or_else(|| defaults.method.clone());
    meta.phase = meta.phase.or_else(|| defaults.phase.clone());
    meta.date = meta.date.or_else(|| defaults.date.clone());
    meta
}

fn front_matter(meta: &DocumentMeta) -> String {
    use serde_norway::{Mapping, Value};
    let mut map = Mapping::new();
    let mut put = |key: &str, value: &Option<String>| {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            map.insert(Value::String(key.into()), Value::String(v.into()));
        }
    };
    put("case", &Some(meta.case.clone()));
    put("method", &meta.method);
    put("phase", &meta.phase);
    put("date", &meta.date);
    put("title", &meta.title);
    if !meta.participants.is_empty() {
        let people = meta
            .participants
            .iter()
            .map(|(speaker, role)| {
                let mut p = Mapping::new();
                p.insert(
                    Value::String("speaker".into()),
                    Value::String(speaker.clone()),
                );
                p.insert(Value::String("role".into()), Value::String(role.clone()));
                Value::Mapping(p)
            })
            .collect();
        map.insert(
            Value::String("participants".into()),
            Value::Sequence(people),
        );
    }
    for (key, value) in &meta.attributes {
        map.insert(Value::String(key.clone()), Value::String(value.clone()));
    }
    let yaml = serde_norway::to_string(&Value::Mapping(map)).expect("front matter serialises");
    format!("---\n{yaml}---\n")
}

/// Decides a source's document id and how it is written: as it is, if the project has the
/// same document; as a survey row for `stem#id` names; else as a transcript.
fn plan_document(
    project: &Project,
    source: &TextSource,
    text: &str,
    meta: DocumentMeta,
    taken: &mut HashSet<String>,
    options: &ImportOptions,
    report: &mut ExchangeReport,
) -> Result<(String, Option<PlannedFile>)> {
    let wanted = file_safe(if source.name.trim().is_empty() {
        source.guid.as_str()
    } else {
        source.name.trim()
    });
    if let Ok(existing) = project.document(&wanted) {
        if *existing.text == *text {
            report.documents_matched += 1;
            if existing.case != meta.case {
                report.notes.push(format!(
                    "`{wanted}` is in case `{}` in the file but `{}` in the project; the project's case is kept",
                    meta.case, existing.case
                ));
            }
            return Ok((wanted, None));
        }
        let is_transcript = existing.source.extension().is_some_and(|e| e != "csv");
        if !options.overwrite || !is_transcript {
            return Err(Error::Invalid {
                path: project.root().join(&existing.source),
                message: format!(
                    "the project already has a document `{wanted}` with a different text; {}",
                    if is_transcript {
                        "pass --overwrite to replace it"
                    } else {
                        "it is a survey answer and cannot be replaced by an import"
                    }
                ),
            });
        }
        report
            .notes
            .push(format!("`{wanted}` was replaced by the file's text"));
        return Ok((
            wanted,
            Some(PlannedFile::Transcript {
                path: project.root().join(&existing.source),
                content: format!("{}{text}", front_matter(&meta)),
            }),
        ));
    }
    let mut id = wanted.clone();
    let mut n = 2;
    while taken.contains(&id) {
        id = format!("{wanted}-{n}");
        n += 1;
    }
    taken.insert(id.clone());
    if id != wanted {
        report.notes.push(format!(
            "source `{}` is imported as `{id}`: the name is used twice",
            source.name
        ));
    }
    report.documents_added.push(id.clone());
    let survey = id.split_once('#').filter(|(stem, local)| {
        !stem.is_empty()
            && !local.is_empty()
            && !local.contains('#')
            && meta.participants.len() <= 1
            && !project
                .root()
                .join(TRANSCRIPTS_DIR)
                .join(format!("{stem}.csv"))
                .exists()
    });
    if let Some((stem, local)) = survey {
        return Ok((
            id.clone(),
            Some(PlannedFile::SurveyRow {
                stem: stem.to_string(),
                row: SurveyRow {
                    local_id: local.to_string(),
                    meta,
                    text: text.to_string(),
                },
            }),
        ));
    }
    Ok((
        id.clone(),
        Some(PlannedFile::Transcript {
            path: project
                .root()
                .join(TRANSCRIPTS_DIR)
                .join(format!("{id}.txt")),
            content: format!("{}{text}", front_matter(&meta)),
        }),
    ))
}

/// A name usable as a file stem: no folder separators, no control characters, no leading dot.
fn file_safe(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c == ':' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.').trim().to_string();
    if cleaned.is_empty() {
        "source".into()
    } else {
        cleaned
    }
}

/// The survey CSV for answers imported as `stem#id`, in the project's survey columns.
fn survey_csv(project: &Project, rows: &[SurveyRow]) -> Result<String> {
    let columns = &project.config.survey;
    let attributes: BTreeSet<&String> =
        rows.iter().flat_map(|r| r.meta.attributes.keys()).collect();
    let mut header: Vec<&str> = vec![
        &columns.id,
        &columns.case,
        &columns.method,
        &columns.phase,
        &columns.date,
        &columns.respondent,
        &columns.role,
        &columns.text,
    ];
    header.extend(attributes.iter().map(|a| a.as_str()));
    let mut out = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Error::argument("survey", e.to_string());
    out.write_record(&header).map_err(fail)?;
    for row in rows {
        let (respondent, role) = row.meta.participants.first().cloned().unwrap_or_default();
        let mut record: Vec<String> = vec![
            row.local_id.clone(),
            row.meta.case.clone(),
            row.meta.method.clone().unwrap_or_default(),
            row.meta.phase.clone().unwrap_or_default(),
            row.meta.date.clone().unwrap_or_default(),
            respondent,
            role,
            row.text.clone(),
        ];
        record.extend(
            attributes
                .iter()
                .map(|a| row.meta.attributes.get(*a).cloned().unwrap_or_default()),
        );
        out.write_record(&record).map_err(fail)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| Error::argument("survey", e.to_string()))?;
    Ok(String::from_utf8(bytes).expect("CSV of strings is UTF-8"))
}

/// Writes the plan: files first (each one undoable), then the project is reopened (which
/// checks every document against its case and the codebook), then codings and memos are
/// stored in one transaction. Any failure puts the files back.
/// One case's value of a classification, with the reason: (case, value, reason).
type CaseValue = (String, String, String);

fn apply(
    dir: &Path,
    file: &Path,
    plan: Plan,
    options: &ImportOptions,
    mut report: ExchangeReport,
) -> Result<ExchangeReport> {
    // Inside the import's change (see `exchange::import`): an error, or the process dying,
    // puts every file back.
    let result = (|| -> Result<()> {
        let project = Project::open(dir)?;
        let mut surveys: BTreeMap<String, Vec<SurveyRow>> = BTreeMap::new();
        for document in &plan.documents {
            match &document.file {
                Some(PlannedFile::Transcript { path, content }) => {
                    crate::record::write(path, content.as_bytes())?;
                    report.written.push(path.clone());
                }
                Some(PlannedFile::SurveyRow { stem, row }) => {
                    surveys.entry(stem.clone()).or_default().push(row.clone())
                }
                None => {}
            }
        }
        for (stem, rows) in &surveys {
            let path = dir.join(TRANSCRIPTS_DIR).join(format!("{stem}.csv"));
            crate::record::write(&path, survey_csv(&project, rows)?.as_bytes())?;
            report.written.push(path);
        }
        drop(project);
        for (name, text) in [
            (crate::project::CONFIG_FILE, &plan.config),
            (CODEBOOK_FILE, &plan.codebook),
            (CASES_FILE, &plan.cases),
            (crate::project::sets::SETS_FILE, &plan.sets),
        ] {
            if let Some(text) = text {
                let path = dir.join(name);
                crate::record::write(&path, text.as_bytes())?;
                report.written.push(path);
            }
        }
        let mut project = Project::open(dir)?;
        for document in &plan.documents {
            let stored = project.document(&document.id)?;
            if *stored.text != *document.text {
                return Err(Error::Invalid {
                    path: file.to_path_buf(),
                    message: format!(
                        "document `{}` reads back differently from the file's text; nothing was imported",
                        document.id
                    ),
                });
            }
        }
        let touched: BTreeSet<&str> = plan
            .codings
            .iter()
            .map(|(_, c)| c.document.as_str())
            .collect();
        let records: Vec<DocumentRecord> = touched
            .iter()
            .map(|id| project.document_record(id))
            .collect::<Result<_>>()?;
        let version = project.codebook.version().to_string();
        let detail = serde_json::json!({
            "file": file.display().to_string(),
            "documents": plan.documents.len(),
            "codings": plan.codings.len(),
            "memos": plan.memos.len(),
        });
        let written = project.store_mut().import_batch(
            &Author {
                coder: &options.coder,
                codebook_version: &version,
            },
            "import qdpx",
            detail,
            plan.codings,
            plan.memos,
            &plan.summaries,
            &records,
        )?;
        report.codings_added = written.added;
        report.codings_already_stored = written.already_stored;
        report.memos = written.memos;
        report.summaries = written.summaries;
        // Classifications the project does not have yet, as a rule derived them there.
        let existing: BTreeSet<String> = project
            .store()
            .case_attributes()?
            .into_iter()
            .map(|a| a.attribute)
            .collect();
        let mut by_attribute: BTreeMap<(String, String), Vec<CaseValue>> = BTreeMap::new();
        for c in &plan.classifications {
            if !existing.contains(&c.attribute) {
                by_attribute
                    .entry((c.attribute.clone(), c.author.clone()))
                    .or_default()
                    .push((c.case.clone(), c.value.clone(), c.reason.clone()));
            }
        }
        for ((attribute, author), values) in by_attribute {
            project.classify(&author, &attribute, &values)?;
        }
        for s in written.skipped {
            report.warnings.push(format!(
                "coding of `{}` by {} at {}..{} in `{}` overlaps their coding {}..{} of the same code (qualkit keeps one coder's codings of a code apart)",
                s.code, s.coder, s.start, s.end, s.document, s.existing.0, s.existing.1
            ));
        }
        Ok(())
    })();
    result.map(|()| report)
}
