//! Merging what a file brings into the project's own files: its code tree into
//! `codebook.yaml` (a code is the project's code with the same GUID, else the one at the
//! same path, else a new one), its cases and their variables into `cases.csv`, its sets into
//! `sets.yaml`. Each returns the new file text, checked, or nothing when the file stays as
//! it is; nothing is written here.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use super::ExchangeReport;
use super::ImportOptions;
use super::refi::*;
use crate::codebook::{CodeSpec, Codebook, MAX_LEVELS, slug};
use crate::error::{Error, Result};
use crate::project::cases::Cases;
use crate::project::{CASES_FILE, CODEBOOK_FILE, Project};

/// Merges a code tree into the codebook: a code is the project's code with the same GUID,
/// else the one at the same path, else a new code (with the id `preferred` gives it, if
/// free). Returns the new codebook.yaml (if it changes) and code GUID -> code id.
pub(crate) fn merge_codes(
    root: &Path,
    codes: &[RefiCode],
    preferred: &HashMap<Guid, String>,
    report: &mut ExchangeReport,
) -> Result<(Option<String>, HashMap<Guid, String>)> {
    let path = root.join(CODEBOOK_FILE);
    let original = crate::support::text::read_text(&path)?;
    let existing = Codebook::parse(&path, &original)?;
    let mut specs = SpecTree::new(existing.to_specs());
    let mut ids: HashMap<Guid, String> = HashMap::new();
    let mut by_guid: HashMap<Guid, String> = HashMap::new();
    for code in existing.codes() {
        by_guid.insert(super::qdpx_export::code_guid(code), code.id.clone());
    }
    let mut taken_ids: HashSet<String> = existing.codes().iter().map(|c| c.id.clone()).collect();
    // path (lowercase) -> id, for the project's codes and those this import adds.
    let mut paths: HashMap<String, String> = existing
        .codes()
        .iter()
        .map(|c| (c.path.to_lowercase(), c.id.clone()))
        .collect();
    let mut added_paths: HashSet<String> = HashSet::new();
    let mut not_codable = 0;
    let mut changed = false;

    let mut stack: Vec<(&RefiCode, Option<String>, String)> = codes
        .iter()
        .rev()
        .map(|c| (c, None, String::new()))
        .collect();
    while let Some((code, parent_id, parent_path)) = stack.pop() {
        if !code.codable {
            not_codable += 1;
        }
        let id = if let Some(id) = by_guid.get(&code.guid) {
            if ids.contains_key(&code.guid) {
                report.notes.push(format!(
                    "code `{}` repeats the GUID {} of another code in the file; both are `{id}`",
                    code.name, code.guid
                ));
            } else {
                report.codes_matched += 1;
            }
            id.clone()
        } else {
            let mut name = code.name.trim().to_string();
            if name.is_empty() {
                name = "unnamed code".into();
                report
                    .notes
                    .push(format!("code {} has no name; called `{name}`", code.guid));
            }
            if name.contains('/') {
                let fixed = name.replace('/', "／");
                report.notes.push(format!(
                    "code `{name}`: `/` separates levels in qualkit's code paths; renamed `{fixed}`"
                ));
                name = fixed;
            }
            let level = parent_id.as_deref().map_or(0, |p| specs.level(p)) + 1;
            if level > MAX_LEVELS {
                let top = parent_path.split('/').next().unwrap_or_default();
                return Err(Error::Invalid {
                    path: report.file.clone(),
                    message: format!(
                        "code `{name}` (under `{top}`) is nested {level} levels deep; a qualkit codebook holds at most {MAX_LEVELS}, so nothing was imported"
                    ),
                });
            }
            let mut path = join_path(&parent_path, &name);
            if let Some(id) = paths
                .get(&path.to_lowercase())
                .filter(|_| !added_paths.contains(&path.to_lowercase()))
            {
                report.codes_matched += 1;
                id.clone()
            } else {
                let base = name.clone();
                let mut n = 2;
                while paths.contains_key(&path.to_lowercase()) {
                    name = format!("{base} ({n})");
                    path = join_path(&parent_path, &name);
                    n += 1;
                }
                if name != base {
                    report.notes.push(format!(
                        "two codes are called `{}` under the same parent; the second is `{name}`",
                        join_path(&parent_path, &base)
                    ));
                }
                let mut id = preferred
                    .get(&code.guid)
                    .filter(|id| !taken_ids.contains(*id) && !id.trim().is_empty())
                    .cloned()
                    .unwrap_or_else(|| slug(&path));
                let mut n = 2;
                while taken_ids.contains(&id) {
                    id = format!("{}-{n}", slug(&path));
                    n += 1;
                }
                taken_ids.insert(id.clone());
                paths.insert(path.to_lowercase(), id.clone());
                if !code.guid.0.is_empty() {
                    by_guid.insert(code.guid.clone(), id.clone());
                }
                added_paths.insert(path.to_lowercase());
                let color = code.color.as_deref().and_then(|c| {
                    let fixed = hex_color(c);
                    if fixed.is_none() {
                        report.notes.push(format!(
                            "code `{path}`: colour `{c}` is not #rrggbb; left out"
                        ));
                    }
                    fixed
                });
                let guid = (Guid::derived("code", &id) != code.guid && !code.guid.0.is_empty())
                    .then(|| code.guid.0.clone());
                specs.add(
                    parent_id.as_deref(),
                    CodeSpec {
                        id: Some(id.clone()),
                        name,
                        description: code
                            .description
                            .clone()
                            .unwrap_or_default()
                            .trim()
                            .to_string(),
                        color,
                        guid,
                        children: Vec::new(),
                    },
                );
                changed = true;
                report.codes_added += 1;
                id
            }
        };
        ids.insert(code.guid.clone(), id.clone());
        let own_path = specs.path(&id).unwrap_or_default().to_string();
        for child in code.children.iter().rev() {
            stack.push((child, Some(id.clone()), own_path.clone()));
        }
    }
    if not_codable > 0 {
        report.notes.push(format!(
            "{not_codable} codes are marked not codable in the file; qualkit lets every code be coded"
        ));
    }
    if !changed {
        return Ok((None, ids));
    }
    let header: String = original
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    let text = Codebook::specs_to_yaml(&header, &specs.into_specs());
    // Checked before it is written: what is wrong is in the file being imported.
    Codebook::parse(&path, &text).map_err(|e| Error::Invalid {
        path: report.file.clone(),
        message: format!(
            "the codebook this import would make is not valid, so nothing was imported: {e}"
        ),
    })?;
    Ok((Some(text), ids))
}

fn join_path(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}

/// A code tree being added to, held flat so that finding a code's place and path takes the
/// same time in a tree of ten codes as in one of 100,000.
struct SpecTree {
    nodes: Vec<SpecNode>,
    roots: Vec<usize>,
    by_id: HashMap<String, usize>,
}

/// A spec without its children, its path and level (1 at the top), and its children.
struct SpecNode {
    spec: CodeSpec,
    path: String,
    level: usize,
    children: Vec<usize>,
}

impl SpecTree {
    fn new(specs: Vec<CodeSpec>) -> SpecTree {
        let mut tree = SpecTree {
            nodes: Vec::new(),
            roots: Vec::new(),
            by_id: HashMap::new(),
        };
        // Depth-first in file order, each spec after its parent.
        let mut stack: Vec<(CodeSpec, Option<usize>)> =
            specs.into_iter().rev().map(|s| (s, None)).collect();
        while let Some((mut spec, parent)) = stack.pop() {
            let children = std::mem::take(&mut spec.children);
            let index = tree.push(parent, spec);
            stack.extend(children.into_iter().rev().map(|c| (c, Some(index))));
        }
        tree
    }

    fn push(&mut self, parent: Option<usize>, spec: CodeSpec) -> usize {
        let index = self.nodes.len();
        let (path, level) = match parent {
            Some(p) => (
                join_path(&self.nodes[p].path, &spec.name),
                self.nodes[p].level + 1,
            ),
            None => (spec.name.clone(), 1),
        };
        if let Some(id) = &spec.id {
            self.by_id.entry(id.clone()).or_insert(index);
        }
        match parent {
            Some(p) => self.nodes[p].children.push(index),
            None => self.roots.push(index),
        }
        self.nodes.push(SpecNode {
            spec,
            path,
            level,
            children: Vec::new(),
        });
        index
    }

    /// Adds `spec` as the last child of the code `parent`, or at the top when there is none.
    fn add(&mut self, parent: Option<&str>, spec: CodeSpec) {
        let parent = parent.and_then(|p| self.by_id.get(p).copied());
        self.push(parent, spec);
    }

    /// The path of the code with this id.
    fn path(&self, id: &str) -> Option<&str> {
        self.by_id.get(id).map(|&i| self.nodes[i].path.as_str())
    }

    /// The level of the code with this id (1 at the top), 0 for none.
    fn level(&self, id: &str) -> usize {
        self.by_id.get(id).map_or(0, |&i| self.nodes[i].level)
    }

    /// The tree of specs again, children in the order they were added.
    fn into_specs(self) -> Vec<CodeSpec> {
        let mut built: Vec<Option<CodeSpec>> = Vec::with_capacity(self.nodes.len());
        let mut children: Vec<Vec<usize>> = Vec::with_capacity(self.nodes.len());
        for node in self.nodes {
            built.push(Some(node.spec));
            children.push(node.children);
        }
        // Children always come after their parent, so the last node is complete first.
        for index in (0..built.len()).rev() {
            let below: Vec<CodeSpec> = children[index]
                .iter()
                .filter_map(|&c| built[c].take())
                .collect();
            if let Some(spec) = built[index].as_mut() {
                spec.children = below;
            }
        }
        self.roots.iter().filter_map(|&r| built[r].take()).collect()
    }
}

/// `#rrggbb` from `#rrggbb` or `#rgb`, lowercased.
fn hex_color(c: &str) -> Option<String> {
    let hex = c.trim().strip_prefix('#')?;
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    match hex.len() {
        6 => Some(format!("#{}", hex.to_ascii_lowercase())),
        3 => Some(format!(
            "#{}",
            hex.chars()
                .flat_map(|c| [c, c])
                .collect::<String>()
                .to_ascii_lowercase()
        )),
        _ => None,
    }
}

/// Which case each source belongs to, and each REFI case's name in the project.
pub(crate) struct SourceCases {
    pub by_source: HashMap<Guid, String>,
    pub case_names: HashMap<Guid, String>,
}

pub(crate) fn merge_cases(
    project: &Project,
    refi: &RefiProject,
    variables: &HashMap<&Guid, &Variable>,
    imported: &HashSet<Guid>,
    options: &ImportOptions,
    report: &mut ExchangeReport,
) -> Result<(Option<String>, SourceCases)> {
    let path = project.root().join(CASES_FILE);
    let cases = Cases::load(&path)?;
    let mut header: Vec<String> = std::iter::once("case".to_string())
        .chain(cases.columns().iter().map(|(c, _)| c.clone()))
        .collect();
    let mut rows: Vec<BTreeMap<String, String>> = cases
        .iter()
        .map(|c| {
            let mut row: BTreeMap<String, String> = c
                .attributes
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect();
            row.insert("case".into(), c.name.clone());
            row
        })
        .collect();
    let mut changed = false;
    let mut names: HashMap<Guid, String> = HashMap::new();
    let mut used: HashSet<String> = HashSet::new();
    let mut by_source: HashMap<Guid, String> = HashMap::new();
    for case in &refi.cases {
        let name =
            super::qdpx_import::unique_name("case", &case.name, &case.guid, &mut used, report);
        names.insert(case.guid.clone(), name.clone());
        let index = match rows.iter().position(|r| r["case"] == name) {
            Some(i) => i,
            None => {
                rows.push(BTreeMap::from([("case".to_string(), name.clone())]));
                report.cases_added += 1;
                changed = true;
                rows.len() - 1
            }
        };
        for value in &case.values {
            let Some(variable) = variables.get(&value.variable) else {
                report.warnings.push(format!(
                    "a value of case `{name}` refers to variable {}, which the project does not declare",
                    value.variable
                ));
                continue;
            };
            let column = variable.name.trim().to_string();
            if column.is_empty() || column.eq_ignore_ascii_case("case") {
                report.warnings.push(format!(
                    "case `{name}`: a variable called `{column}` (not usable as a column name)"
                ));
                continue;
            }
            let text = variable_text(value);
            if !header.contains(&column) {
                header.push(column.clone());
            }
            match rows[index].get(&column).filter(|v| !v.is_empty()) {
                Some(old) if *old != text => report.warnings.push(format!(
                    "case `{name}`: `{column}` is `{text}` in the file but `{old}` in the project; the project's value is kept"
                )),
                Some(_) => {}
                None => {
                    rows[index].insert(column, text);
                    changed = true;
                }
            }
        }
        for source in &case.sources {
            if let Some(first) = by_source.get(source) {
                if *first != name {
                    report.warnings.push(format!(
                        "source {source} also belongs to case `{name}`; qualkit gives a document one case, `{first}`"
                    ));
                }
            } else {
                by_source.insert(source.clone(), name.clone());
            }
        }
        if !case.selections.is_empty() {
            report.warnings.push(format!(
                "case `{name}` includes {} selections of sources (qualkit assigns cases to whole documents)",
                case.selections.len()
            ));
        }
    }
    // Sources in no case go to the case given for the import, or to `unassigned`; only
    // those that are imported count (a source without text makes no document).
    let fallback = options
        .metadata
        .case
        .clone()
        .unwrap_or_else(|| "unassigned".into());
    let homeless = refi
        .sources
        .iter()
        .filter(|s| imported.contains(&s.guid) && !by_source.contains_key(&s.guid))
        .count();
    if homeless > 0 {
        if !rows.iter().any(|r| r["case"] == fallback) {
            rows.push(BTreeMap::from([("case".to_string(), fallback.clone())]));
            report.cases_added += 1;
            changed = true;
        }
        report.notes.push(format!(
            "{homeless} sources belong to no case; they were put in case `{fallback}`"
        ));
        for s in &refi.sources {
            by_source
                .entry(s.guid.clone())
                .or_insert_with(|| fallback.clone());
        }
    }
    let text = if changed {
        let mut out = csv::Writer::from_writer(Vec::new());
        let fail = |e: csv::Error| Error::Invalid {
            path: path.clone(),
            message: e.to_string(),
        };
        out.write_record(&header).map_err(fail)?;
        for row in &rows {
            out.write_record(
                header
                    .iter()
                    .map(|h| row.get(h).map(String::as_str).unwrap_or("")),
            )
            .map_err(fail)?;
        }
        let bytes = out.into_inner().map_err(|e| Error::Invalid {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let text = String::from_utf8(bytes).expect("CSV of strings is UTF-8");
        Cases::parse(&path, &text)?;
        Some(text)
    } else {
        None
    };
    Ok((
        text,
        SourceCases {
            by_source,
            case_names: names,
        },
    ))
}

pub(crate) fn variable_text(value: &VariableValue) -> String {
    let text = value.value.trim();
    match value.kind {
        VariableKind::Boolean => match text {
            "1" | "true" | "True" | "TRUE" => "true".into(),
            "0" | "false" | "False" | "FALSE" => "false".into(),
            other => other.to_string(),
        },
        _ => text.to_string(),
    }
}

pub(crate) fn merge_sets(
    root: &Path,
    incoming: &[RefiSet],
    code_ids: &HashMap<Guid, String>,
    source_ids: &HashMap<Guid, String>,
    report: &mut ExchangeReport,
) -> Result<Option<String>> {
    if incoming.is_empty() {
        return Ok(None);
    }
    let mut sets = crate::project::sets::load(root)?;
    for set in incoming {
        let name = if set.name.trim().is_empty() {
            format!("set-{}", &set.guid.0.chars().take(8).collect::<String>())
        } else {
            set.name.trim().to_string()
        };
        if !set.notes.is_empty() {
            report.warnings.push(format!(
                "set `{name}`: {} member notes (qualkit's sets hold codes and documents)",
                set.notes.len()
            ));
        }
        let missing = set
            .codes
            .iter()
            .filter(|c| !code_ids.contains_key(c))
            .count()
            + set
                .sources
                .iter()
                .filter(|s| !source_ids.contains_key(s))
                .count();
        if missing > 0 {
            report.warnings.push(format!(
                "set `{name}`: {missing} members that are not codes or text sources of the project"
            ));
        }
        let codes: Vec<String> = set
            .codes
            .iter()
            .filter_map(|c| code_ids.get(c).cloned())
            .collect();
        let documents: Vec<String> = set
            .sources
            .iter()
            .filter_map(|s| source_ids.get(s).cloned())
            .collect();
        match sets.iter_mut().find(|s| s.name == name) {
            Some(existing) => {
                for c in codes {
                    if !existing.codes.contains(&c) {
                        existing.codes.push(c);
                    }
                }
                for d in documents {
                    if !existing.documents.contains(&d) {
                        existing.documents.push(d);
                    }
                }
            }
            None => sets.push(crate::project::sets::Set {
                name,
                description: set.description.clone().unwrap_or_default(),
                codes,
                documents,
            }),
        }
        report.sets += 1;
    }
    Ok(Some(crate::project::sets::to_yaml(&sets)))
}
