//! A qualkit project as a REFI-QDA project (`.qdpx`): coders as users, the codebook, case
//! attributes and document metadata as variables, documents as plain-text sources under
//! `sources/`, codings as selections with one coding per code and coder, memos as notes, and
//! sets. GUIDs are derived from qualkit's ids, so exporting the same project twice gives the
//! same file apart from times.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use super::ExchangeReport;
use super::refi::*;
use crate::error::Result;
use crate::project::cases::{Cases, Value, ValueType};
use crate::project::{CASES_FILE, Project};

/// Names of the source variables that carry qualkit's document metadata.
pub const METHOD: &str = "method";
pub const PHASE: &str = "phase";
pub const DATE: &str = "date";
pub const PARTICIPANTS: &str = "participants";

pub fn export(project: &Project, out: &Path) -> Result<ExchangeReport> {
    project.check_exportable()?;
    let (refi, texts, mut report) = build(project)?;
    let mut entries = vec![(
        "project.qde".to_string(),
        write::project(&refi).into_bytes(),
    )];
    let extras = Extras {
        code_ids: project
            .codebook
            .codes()
            .iter()
            .map(|c| (code_guid(c).0, c.id.clone()))
            .collect(),
        summaries: project
            .store()
            .summaries()?
            .into_iter()
            .filter_map(|s| {
                Some(ExtraSummary {
                    theme: code_guid(project.codebook.get(&s.theme)?).0,
                    case: s.case,
                    text: s.text,
                    author: s.author,
                })
            })
            .collect(),
        classifications: project
            .store()
            .case_attributes()?
            .into_iter()
            .map(|a| crate::exchange::refi::ExtraClassification {
                attribute: a.attribute,
                case: a.case,
                value: a.value,
                reason: a.reason,
                author: a.author,
            })
            .collect(),
    };
    entries.push((
        EXTRAS_ENTRY.to_string(),
        serde_json::to_vec_pretty(&extras).expect("extras serialise"),
    ));
    for (guid, text) in texts {
        entries.push((format!("sources/{guid}.txt"), text.into_bytes()));
    }
    // Whole or absent: a failed export never leaves half a file under the wanted name.
    let bytes = crate::support::archive::build(out, &entries)?;
    crate::record::atomic::write_atomic(out, &bytes)?;
    report.file = out.to_path_buf();
    report.written.push(out.to_path_buf());
    Ok(report)
}

pub fn user_guid(name: &str) -> Guid {
    Guid::derived("user", name)
}

/// The GUID a code has in exchange files: the one it came with, else one derived from its id.
pub fn code_guid(code: &crate::codebook::Code) -> Guid {
    code.guid
        .as_deref()
        .map(Guid::parse)
        .unwrap_or_else(|| Guid::derived("code", &code.id))
}

pub fn document_guid(id: &str) -> Guid {
    Guid::derived("document", id)
}

/// The codebook as REFI codes, with `notes` (code id -> note GUIDs) attached.
pub fn code_tree(
    codebook: &crate::codebook::Codebook,
    notes: &HashMap<String, Vec<Guid>>,
) -> Vec<RefiCode> {
    fn build(
        book: &crate::codebook::Codebook,
        code: &crate::codebook::Code,
        notes: &HashMap<String, Vec<Guid>>,
    ) -> RefiCode {
        RefiCode {
            guid: code_guid(code),
            name: code.name.clone(),
            codable: true,
            color: code.color.clone(),
            description: Some(code.description.clone()).filter(|d| !d.is_empty()),
            note_refs: notes.get(&code.id).cloned().unwrap_or_default(),
            children: code
                .children
                .iter()
                .filter_map(|c| book.get(c))
                .map(|c| build(book, c, notes))
                .collect(),
        }
    }
    codebook
        .codes()
        .iter()
        .filter(|c| c.parent.is_none())
        .map(|c| build(codebook, c, notes))
        .collect()
}

/// An xsd:decimal for a float, or `None` for values the type cannot hold.
fn decimal(x: f64) -> Option<String> {
    x.is_finite().then(|| {
        let plain = format!("{x}");
        if plain.contains('e') {
            format!("{x:.12}")
        } else {
            plain
        }
    })
}

fn is_xsd_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

type Build = (RefiProject, Vec<(Guid, String)>, ExchangeReport);

/// The GUID of a record object in the file: its own id when that is a GUID (as qualkit makes
/// them), so that a coding is named alike in codings/*.csv and in the `.qdpx`.
fn record_guid(kind: &str, id: &str) -> Guid {
    let guid = Guid::parse(id);
    if guid.is_well_formed() {
        guid
    } else {
        Guid::derived(kind, id)
    }
}

fn build(project: &Project) -> Result<Build> {
    let mut report = ExchangeReport::default();
    let store = project.store();
    let codings = project.codings()?;
    let memos = store.memos(None, None)?;

    // Users are the people whose work the file carries (not, say, whoever last imported).
    let mut coders: BTreeSet<String> = codings.iter().map(|c| c.coder.clone()).collect();
    coders.extend(memos.iter().map(|m| m.coder.clone()));
    let users = coders
        .iter()
        .map(|name| User {
            guid: user_guid(name),
            name: name.clone(),
        })
        .collect();

    // Memos become notes; what they are about points at them.
    let mut notes = Vec::new();
    let mut project_notes = Vec::new();
    let mut document_notes: HashMap<String, Vec<Guid>> = HashMap::new();
    let mut code_notes: HashMap<String, Vec<Guid>> = HashMap::new();
    let mut coding_notes: HashMap<&str, Vec<Guid>> = HashMap::new();
    let mut links = Vec::new();
    for memo in &memos {
        // A memo is one per coder and target, so its note is named by those: a round trip
        // through another copy of the project gives the same file.
        let guid = Guid::derived(
            "memo",
            &format!("{}\u{1f}{}\u{1f}{}", memo.kind, memo.target, memo.coder),
        );
        let first_line = memo.text.lines().next().unwrap_or_default().trim();
        notes.push(Note {
            guid: guid.clone(),
            name: crate::support::text::shorten(first_line, 60),
            text: TextLocation::Inline(memo.text.clone()),
            creating_user: Some(user_guid(&memo.coder)),
            created: Some(memo.updated.clone()),
            has_selections: false,
        });
        match memo.kind.as_str() {
            "project" => project_notes.push(guid),
            "document" => document_notes
                .entry(memo.target.clone())
                .or_default()
                .push(guid),
            "code" => code_notes
                .entry(memo.target.clone())
                .or_default()
                .push(guid),
            "coding" => match codings.iter().find(|c| c.id == memo.target) {
                Some(c) => coding_notes.entry(c.id.as_str()).or_default().push(guid),
                None => project_notes.push(guid),
            },
            "case" => links.push(Link {
                guid: Guid::derived("memo-link", guid.as_str()),
                name: Some("memo".into()),
                origin: Some(Guid::derived("case", &memo.target)),
                target: Some(guid),
            }),
            _ => project_notes.push(guid),
        }
    }

    // Case attributes from cases.csv (attributes a rule derived are analysis, not data).
    let cases_file = Cases::load(&project.root().join(CASES_FILE))?;
    let mut variables = Vec::new();
    let mut case_variable: HashMap<String, (Guid, VariableKind)> = HashMap::new();
    for (name, ty) in cases_file.columns() {
        let kind = match ty {
            ValueType::Integer => VariableKind::Integer,
            ValueType::Number => VariableKind::Float,
            ValueType::Boolean => VariableKind::Boolean,
            ValueType::Text => VariableKind::Text,
        };
        let guid = Guid::derived("case-variable", name);
        variables.push(Variable {
            guid: guid.clone(),
            name: name.clone(),
            kind,
            description: None,
        });
        case_variable.insert(name.clone(), (guid, kind));
    }

    // Document metadata as source variables.
    let documents = project.documents();
    let mut document_variables: BTreeMap<String, VariableKind> = BTreeMap::new();
    let dates_are_dates = documents
        .iter()
        .filter_map(|d| d.date.as_deref())
        .all(is_xsd_date);
    for d in documents {
        if !d.method.is_empty() {
            document_variables.insert(METHOD.into(), VariableKind::Text);
        }
        if !d.phase.is_empty() {
            document_variables.insert(PHASE.into(), VariableKind::Text);
        }
        if d.date.is_some() {
            let kind = if dates_are_dates {
                VariableKind::Date
            } else {
                VariableKind::Text
            };
            document_variables.insert(DATE.into(), kind);
        }
        if !d.participants.is_empty() {
            document_variables.insert(PARTICIPANTS.into(), VariableKind::Text);
        }
        for key in d.attributes.keys() {
            document_variables.insert(key.clone(), VariableKind::Text);
        }
    }
    for (name, kind) in &document_variables {
        variables.push(Variable {
            guid: Guid::derived("document-variable", name),
            name: name.clone(),
            kind: *kind,
            description: None,
        });
    }
    let document_value = |name: &str, value: &str| VariableValue {
        variable: Guid::derived("document-variable", name),
        kind: document_variables[name],
        value: value.to_string(),
    };

    let cases = cases_file
        .iter()
        .map(|case| RefiCase {
            guid: Guid::derived("case", &case.name),
            name: case.name.clone(),
            description: None,
            values: cases_file
                .columns()
                .iter()
                .filter_map(|(column, _)| {
                    let (guid, kind) = &case_variable[column];
                    let value = match case.attributes.get(column)? {
                        Value::Missing => return None,
                        Value::Integer(i) => i.to_string(),
                        Value::Number(x) => decimal(*x)?,
                        Value::Boolean(b) => b.to_string(),
                        Value::Text(s) => s.clone(),
                    };
                    Some(VariableValue {
                        variable: guid.clone(),
                        kind: *kind,
                        value,
                    })
                })
                .collect(),
            sources: documents
                .iter()
                .filter(|d| d.case == case.name)
                .map(|d| document_guid(&d.id))
                .collect(),
            selections: Vec::new(),
            line: 0,
        })
        .collect();

    // Codings grouped into one selection per span.
    let mut by_span: BTreeMap<(&str, usize, usize), Vec<&crate::store::Coding>> = BTreeMap::new();
    for coding in &codings {
        by_span
            .entry((coding.document.as_str(), coding.start, coding.end))
            .or_default()
            .push(coding);
    }
    let mut selections: HashMap<&str, Vec<Selection>> = HashMap::new();
    let mut unknown_codes = BTreeSet::new();
    for ((document, start, end), group) in by_span {
        let quote = project
            .document(document)
            .ok()
            .and_then(|d| d.slice(start, end))
            .unwrap_or_default();
        let first = group[0];
        let span_key = format!("{document}\u{1f}{start}\u{1f}{end}");
        let coding_elements = group
            .iter()
            .filter_map(|c| {
                let Some(code) = project.codebook.get(&c.code) else {
                    unknown_codes.insert(c.code.clone());
                    return None;
                };
                Some(RefiCoding {
                    guid: record_guid("coding", &c.id),
                    code: code_guid(code),
                    creating_user: Some(user_guid(&c.coder)),
                    created: Some(c.created.clone()).filter(|t| !t.is_empty()),
                    note_refs: coding_notes.get(c.id.as_str()).cloned().unwrap_or_default(),
                })
            })
            .collect();
        selections.entry(document).or_default().push(Selection {
            guid: Guid::derived("selection", &span_key),
            name: Some(crate::support::text::shorten(quote, 200)),
            start: start as i64,
            end: end as i64,
            creating_user: Some(user_guid(&first.coder)),
            created: Some(first.created.clone()).filter(|t| !t.is_empty()),
            description: None,
            codings: coding_elements,
            note_refs: Vec::new(),
            line: 0,
        });
    }
    for code in unknown_codes {
        report.warnings.push(format!(
            "codings of `{code}`, which the codebook no longer has, are left out"
        ));
    }

    let mut texts = Vec::new();
    let mut sources = Vec::new();
    for d in documents {
        let guid = document_guid(&d.id);
        let mut values = Vec::new();
        if !d.method.is_empty() {
            values.push(document_value(METHOD, &d.method));
        }
        if !d.phase.is_empty() {
            values.push(document_value(PHASE, &d.phase));
        }
        if let Some(date) = &d.date {
            values.push(document_value(DATE, date));
        }
        if !d.participants.is_empty() {
            let listed: Vec<String> = d
                .participants
                .iter()
                .map(|p| format!("{}: {}", p.speaker, p.role))
                .collect();
            values.push(document_value(PARTICIPANTS, &listed.join("\n")));
        }
        for (key, value) in &d.attributes {
            values.push(document_value(key, value));
        }
        sources.push(TextSource {
            guid: guid.clone(),
            name: d.id.clone(),
            description: d.title.clone(),
            text: TextLocation::Path(format!("internal://{guid}.txt")),
            selections: selections.remove(d.id.as_str()).unwrap_or_default(),
            codings: Vec::new(),
            note_refs: document_notes.remove(&d.id).unwrap_or_default(),
            values,
            creating_user: None,
            line: 0,
        });
        texts.push((guid, d.text.to_string()));
    }
    for (document, notes) in document_notes {
        report.warnings.push(format!(
            "memos on `{document}`, which the project no longer has, are exported as project memos"
        ));
        project_notes.extend(notes);
    }

    let sets = crate::project::sets::load(project.root())?
        .into_iter()
        .map(|set| RefiSet {
            guid: Guid::derived("set", &set.name),
            name: set.name.clone(),
            description: Some(set.description.clone()).filter(|d| !d.is_empty()),
            codes: set
                .codes
                .iter()
                .filter_map(|c| project.codebook.get(c).map(code_guid))
                .collect(),
            sources: set
                .documents
                .iter()
                .filter(|d| project.document_index(d).is_some())
                .map(|d| document_guid(d))
                .collect(),
            notes: Vec::new(),
        })
        .collect::<Vec<_>>();
    report.sets = sets.len();

    let summaries = store.summaries()?.len();
    report.summaries = summaries;
    if summaries > 0 {
        report.notes.push(format!(
            "{summaries} Framework summaries travel in {EXTRAS_ENTRY}, which only qualkit reads; for other tools export the matrix with `.to_xlsx()`"
        ));
    }
    report.exported = true;
    report.codings_added = codings.len();
    report.codes_added = project.codebook.codes().len();
    report.cases_added = cases_file.len();
    report.memos = memos.len();
    let refi = RefiProject {
        name: project.name().to_string(),
        origin: Some(format!("qualkit {}", env!("CARGO_PKG_VERSION"))),
        description: project.config.description.clone(),
        users,
        codes: code_tree(&project.codebook, &code_notes),
        variables,
        cases,
        sources,
        other_sources: Vec::new(),
        notes,
        links,
        sets,
        graphs: 0,
        note_refs: project_notes,
    };
    Ok((refi, texts, report))
}
