//! Reading REFI-QDA XML leniently: element names without regard to namespace prefixes,
//! GUIDs in any case and in braces, missing optional parts. What the reader cannot use is
//! noted in `warnings` for the import report instead of being dropped silently.

use super::*;
use crate::error::{Error, Result};
use crate::support::xml::Element;

/// Reads a `<Project>` element.
pub fn project(root: &Element, shown: &str, warnings: &mut Vec<String>) -> Result<RefiProject> {
    if root.name != "Project" {
        return Err(Error::Invalid {
            path: shown.into(),
            message: format!(
                "line {}: the root element is <{}>, not a REFI-QDA <Project>",
                root.line, root.name
            ),
        });
    }
    if let Some(ns) = root.attr("xmlns")
        && ns != PROJECT_NAMESPACE
    {
        warnings.push(format!(
            "the project declares namespace `{ns}`, not `{PROJECT_NAMESPACE}`; read as a REFI-QDA project anyway"
        ));
    }
    let mut project = RefiProject {
        name: root.attr("name").unwrap_or_default().to_string(),
        origin: root.attr("origin").map(str::to_string),
        description: root.child_text("Description").map(str::to_string),
        users: root
            .listed("Users", "User")
            .map(|u| User {
                guid: guid(u, "guid"),
                name: u
                    .attr("name")
                    .filter(|n| !n.trim().is_empty())
                    .or(u.attr("id"))
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            })
            .collect(),
        codes: root
            .children_named("CodeBook")
            .flat_map(|b| b.listed("Codes", "Code"))
            .map(code)
            .collect(),
        variables: root
            .listed("Variables", "Variable")
            .map(|v| variable(v, warnings))
            .collect(),
        cases: root.listed("Cases", "Case").map(case).collect(),
        note_refs: refs(root, "NoteRef"),
        ..Default::default()
    };
    for sources in root.children_named("Sources") {
        for source in &sources.children {
            match source.name.as_str() {
                "TextSource" => project.sources.push(text_source(source, warnings)),
                other => project.other_sources.push((
                    other.to_string(),
                    source.attr("name").unwrap_or_default().to_string(),
                    count_codings(source),
                )),
            }
        }
    }
    for note in root.listed("Notes", "Note") {
        project.notes.push(Note {
            guid: guid(note, "guid"),
            name: note.attr("name").unwrap_or_default().to_string(),
            text: text_location(note),
            creating_user: note.attr("creatingUser").map(Guid::parse),
            created: note.attr("creationDateTime").map(str::to_string),
            has_selections: note.child("PlainTextSelection").is_some(),
        });
    }
    project.links = root
        .listed("Links", "Link")
        .map(|l| Link {
            guid: guid(l, "guid"),
            name: l.attr("name").map(str::to_string),
            origin: l.attr("originGUID").map(Guid::parse),
            target: l.attr("targetGUID").map(Guid::parse),
        })
        .collect();
    project.sets = root.listed("Sets", "Set").map(set).collect();
    project.graphs = root.listed("Graphs", "Graph").count();
    Ok(project)
}

/// Reads a `.qdc` `<CodeBook>` element: its codes and its sets of codes.
pub fn codebook(
    root: &Element,
    shown: &str,
    warnings: &mut Vec<String>,
) -> Result<(Vec<RefiCode>, Vec<RefiSet>)> {
    if root.name != "CodeBook" {
        return Err(Error::Invalid {
            path: shown.into(),
            message: format!(
                "line {}: the root element is <{}>, not a REFI-QDA <CodeBook>",
                root.line, root.name
            ),
        });
    }
    if let Some(ns) = root.attr("xmlns")
        && ns != CODEBOOK_NAMESPACE
    {
        warnings.push(format!(
            "the codebook declares namespace `{ns}`, not `{CODEBOOK_NAMESPACE}`; read as a REFI-QDA codebook anyway"
        ));
    }
    Ok((
        root.listed("Codes", "Code").map(code).collect(),
        root.listed("Sets", "Set").map(set).collect(),
    ))
}

/// Codings anywhere inside an element (on the source or on its selections of any kind).
fn count_codings(element: &Element) -> usize {
    element
        .children
        .iter()
        .map(|c| usize::from(c.name == "Coding") + count_codings(c))
        .sum()
}

fn guid(element: &Element, attribute: &str) -> Guid {
    Guid::parse(element.attr(attribute).unwrap_or_default())
}

/// References to other objects: `targetGUID` as the project schema has it, or `guid` as the
/// codebook schema has it for the members of a set.
fn refs(element: &Element, name: &str) -> Vec<Guid> {
    element
        .children_named(name)
        .map(|r| match r.attr("targetGUID") {
            Some(target) => Guid::parse(target),
            None => guid(r, "guid"),
        })
        .collect()
}

fn code(element: &Element) -> RefiCode {
    RefiCode {
        guid: guid(element, "guid"),
        name: element.attr("name").unwrap_or_default().to_string(),
        codable: element
            .attr("isCodable")
            .is_none_or(|v| !matches!(v.trim(), "false" | "0")),
        color: element.attr("color").map(|c| c.trim().to_string()),
        description: element
            .child_text("Description")
            .map(str::to_string)
            .filter(|d| !d.trim().is_empty()),
        note_refs: refs(element, "NoteRef"),
        children: element.children_named("Code").map(code).collect(),
    }
}

fn variable(element: &Element, warnings: &mut Vec<String>) -> Variable {
    let name = element.attr("name").unwrap_or_default().to_string();
    let kind = match element.attr("typeOfVariable").map(str::trim) {
        Some("Boolean") => VariableKind::Boolean,
        Some("Integer") => VariableKind::Integer,
        Some("Float") => VariableKind::Float,
        Some("Date") => VariableKind::Date,
        Some("DateTime") => VariableKind::DateTime,
        Some("Text") | None => VariableKind::Text,
        Some(other) => {
            warnings.push(format!(
                "line {}: variable `{name}` has unknown type `{other}`; read as text",
                element.line
            ));
            VariableKind::Text
        }
    };
    Variable {
        guid: guid(element, "guid"),
        name,
        kind,
        description: element.child_text("Description").map(str::to_string),
    }
}

fn values(element: &Element) -> Vec<VariableValue> {
    element
        .children_named("VariableValue")
        .filter_map(|v| {
            let variable = guid(v.child("VariableRef")?, "targetGUID");
            let (kind, text) = [
                VariableKind::Text,
                VariableKind::Boolean,
                VariableKind::Integer,
                VariableKind::Float,
                VariableKind::Date,
                VariableKind::DateTime,
            ]
            .into_iter()
            .find_map(|k| v.child(k.value_element()).map(|e| (k, e.text.clone())))?;
            Some(VariableValue {
                variable,
                kind,
                value: text,
            })
        })
        .collect()
}

fn case(element: &Element) -> RefiCase {
    RefiCase {
        guid: guid(element, "guid"),
        name: element.attr("name").unwrap_or_default().trim().to_string(),
        description: element.child_text("Description").map(str::to_string),
        values: values(element),
        sources: refs(element, "SourceRef"),
        selections: refs(element, "SelectionRef"),
        line: element.line,
    }
}

fn text_location(element: &Element) -> TextLocation {
    if let Some(content) = element.child("PlainTextContent") {
        return TextLocation::Inline(content.text.clone());
    }
    match element
        .attr("plainTextPath")
        .filter(|p| !p.trim().is_empty())
    {
        Some(path) => TextLocation::Path(path.trim().to_string()),
        None => TextLocation::Missing {
            rich_text: element.attr("richTextPath").map(str::to_string),
        },
    }
}

fn coding(element: &Element) -> RefiCoding {
    RefiCoding {
        guid: guid(element, "guid"),
        code: element
            .child("CodeRef")
            .map(|r| guid(r, "targetGUID"))
            .unwrap_or_default(),
        creating_user: element.attr("creatingUser").map(Guid::parse),
        created: element.attr("creationDateTime").map(str::to_string),
        note_refs: refs(element, "NoteRef"),
    }
}

fn text_source(element: &Element, warnings: &mut Vec<String>) -> TextSource {
    let name = element.attr("name").unwrap_or_default().to_string();
    let selections = element
        .children_named("PlainTextSelection")
        .filter_map(|s| {
            let position = |attribute: &str| {
                s.attr(attribute)
                    .and_then(|v| v.trim().parse::<i64>().ok())
            };
            let (Some(start), Some(end)) = (position("startPosition"), position("endPosition"))
            else {
                warnings.push(format!(
                    "line {}: a selection in source `{name}` has no readable startPosition/endPosition; its codings are not carried over",
                    s.line
                ));
                return None;
            };
            Some(Selection {
                guid: guid(s, "guid"),
                name: s.attr("name").map(str::to_string),
                start,
                end,
                creating_user: s.attr("creatingUser").map(Guid::parse),
                created: s.attr("creationDateTime").map(str::to_string),
                description: s.child_text("Description").map(str::to_string),
                codings: s.children_named("Coding").map(coding).collect(),
                note_refs: refs(s, "NoteRef"),
                line: s.line,
            })
        })
        .collect();
    TextSource {
        guid: guid(element, "guid"),
        description: element
            .child_text("Description")
            .map(str::to_string)
            .filter(|d| !d.trim().is_empty()),
        text: text_location(element),
        selections,
        codings: element.children_named("Coding").map(coding).collect(),
        note_refs: refs(element, "NoteRef"),
        values: values(element),
        creating_user: element.attr("creatingUser").map(Guid::parse),
        line: element.line,
        name,
    }
}

fn set(element: &Element) -> RefiSet {
    RefiSet {
        guid: guid(element, "guid"),
        name: element.attr("name").unwrap_or_default().to_string(),
        description: element.child_text("Description").map(str::to_string),
        codes: refs(element, "MemberCode"),
        sources: refs(element, "MemberSource"),
        notes: refs(element, "MemberNote"),
    }
}
