//! Writing REFI-QDA XML strictly: elements in the order the published schema's sequences
//! give, required attributes always present, empty containers left out (the schema asks for
//! at least one member in each), GUIDs lowercase.

use super::*;
use crate::support::xml::XmlWriter;

/// `project.qde` for a project.
pub fn project(project: &RefiProject) -> String {
    let mut w = XmlWriter::new();
    let mut root = vec![
        ("xmlns", PROJECT_NAMESPACE),
        ("name", project.name.as_str()),
    ];
    if let Some(origin) = &project.origin {
        root.push(("origin", origin));
    }
    w.open("Project", &root);
    if !project.users.is_empty() {
        w.open("Users", &[]);
        for user in &project.users {
            w.empty(
                "User",
                &[("guid", user.guid.as_str()), ("name", &user.name)],
            );
        }
        w.close("Users");
    }
    if !project.codes.is_empty() {
        w.open("CodeBook", &[]);
        codes(&mut w, &project.codes);
        w.close("CodeBook");
    }
    if !project.variables.is_empty() {
        w.open("Variables", &[]);
        for v in &project.variables {
            let attributes = [
                ("guid", v.guid.as_str()),
                ("name", v.name.as_str()),
                ("typeOfVariable", v.kind.as_str()),
            ];
            match &v.description {
                Some(d) => {
                    w.open("Variable", &attributes);
                    w.text("Description", &[], d);
                    w.close("Variable");
                }
                None => w.empty("Variable", &attributes),
            }
        }
        w.close("Variables");
    }
    if !project.cases.is_empty() {
        w.open("Cases", &[]);
        for case in &project.cases {
            w.open(
                "Case",
                &[("guid", case.guid.as_str()), ("name", &case.name)],
            );
            if let Some(d) = &case.description {
                w.text("Description", &[], d);
            }
            values(&mut w, &case.values);
            for source in &case.sources {
                w.empty("SourceRef", &[("targetGUID", source.as_str())]);
            }
            for selection in &case.selections {
                w.empty("SelectionRef", &[("targetGUID", selection.as_str())]);
            }
            w.close("Case");
        }
        w.close("Cases");
    }
    if !project.sources.is_empty() {
        w.open("Sources", &[]);
        for source in &project.sources {
            text_source(&mut w, "TextSource", source);
        }
        w.close("Sources");
    }
    if !project.notes.is_empty() {
        w.open("Notes", &[]);
        for note in &project.notes {
            let mut attributes = vec![("guid", note.guid.as_str()), ("name", note.name.as_str())];
            if let Some(user) = &note.creating_user {
                attributes.push(("creatingUser", user.as_str()));
            }
            if let Some(at) = &note.created {
                attributes.push(("creationDateTime", at));
            }
            w.open("Note", &attributes);
            if let TextLocation::Inline(text) = &note.text {
                w.text("PlainTextContent", &[], text);
            }
            w.close("Note");
        }
        w.close("Notes");
    }
    if !project.links.is_empty() {
        w.open("Links", &[]);
        for link in &project.links {
            let mut attributes = vec![("guid", link.guid.as_str())];
            if let Some(name) = &link.name {
                attributes.push(("name", name));
            }
            attributes.push(("direction", "OneWay"));
            if let Some(origin) = &link.origin {
                attributes.push(("originGUID", origin.as_str()));
            }
            if let Some(target) = &link.target {
                attributes.push(("targetGUID", target.as_str()));
            }
            w.empty("Link", &attributes);
        }
        w.close("Links");
    }
    sets(&mut w, &project.sets, "targetGUID");
    if let Some(d) = &project.description {
        w.text("Description", &[], d);
    }
    for note in &project.note_refs {
        w.empty("NoteRef", &[("targetGUID", note.as_str())]);
    }
    w.close("Project");
    w.finish()
}

/// A `.qdc` codebook.
pub fn codebook(origin: &str, code_tree: &[RefiCode], code_sets: &[RefiSet]) -> String {
    let mut w = XmlWriter::new();
    w.open(
        "CodeBook",
        &[("xmlns", CODEBOOK_NAMESPACE), ("origin", origin)],
    );
    codes(&mut w, code_tree);
    // The codebook schema names a member by `guid`, where the project schema says
    // `targetGUID`.
    sets(&mut w, code_sets, "guid");
    w.close("CodeBook");
    w.finish()
}

fn codes(w: &mut XmlWriter, tree: &[RefiCode]) {
    fn code(w: &mut XmlWriter, c: &RefiCode) {
        let mut attributes = vec![
            ("guid", c.guid.as_str()),
            ("name", c.name.as_str()),
            ("isCodable", if c.codable { "true" } else { "false" }),
        ];
        if let Some(color) = &c.color {
            attributes.push(("color", color));
        }
        if c.description.is_none() && c.note_refs.is_empty() && c.children.is_empty() {
            w.empty("Code", &attributes);
            return;
        }
        w.open("Code", &attributes);
        if let Some(d) = &c.description {
            w.text("Description", &[], d);
        }
        for note in &c.note_refs {
            w.empty("NoteRef", &[("targetGUID", note.as_str())]);
        }
        for child in &c.children {
            code(w, child);
        }
        w.close("Code");
    }
    if tree.is_empty() {
        return;
    }
    w.open("Codes", &[]);
    for c in tree {
        code(w, c);
    }
    w.close("Codes");
}

fn values(w: &mut XmlWriter, values: &[VariableValue]) {
    for v in values {
        w.open("VariableValue", &[]);
        w.empty("VariableRef", &[("targetGUID", v.variable.as_str())]);
        w.text(v.kind.value_element(), &[], &v.value);
        w.close("VariableValue");
    }
}

fn coding(w: &mut XmlWriter, c: &RefiCoding) {
    let mut attributes = vec![("guid", c.guid.as_str())];
    if let Some(user) = &c.creating_user {
        attributes.push(("creatingUser", user.as_str()));
    }
    if let Some(at) = &c.created {
        attributes.push(("creationDateTime", at));
    }
    w.open("Coding", &attributes);
    w.empty("CodeRef", &[("targetGUID", c.code.as_str())]);
    for note in &c.note_refs {
        w.empty("NoteRef", &[("targetGUID", note.as_str())]);
    }
    w.close("Coding");
}

fn text_source(w: &mut XmlWriter, element: &str, s: &TextSource) {
    let mut attributes = vec![("guid", s.guid.as_str()), ("name", s.name.as_str())];
    if let TextLocation::Path(path) = &s.text {
        attributes.push(("plainTextPath", path));
    }
    if let Some(user) = &s.creating_user {
        attributes.push(("creatingUser", user.as_str()));
    }
    w.open(element, &attributes);
    if let Some(d) = &s.description {
        w.text("Description", &[], d);
    }
    if let TextLocation::Inline(text) = &s.text {
        w.text("PlainTextContent", &[], text);
    }
    for selection in &s.selections {
        let start = selection.start.to_string();
        let end = selection.end.to_string();
        let mut attributes = vec![("guid", selection.guid.as_str())];
        if let Some(name) = &selection.name {
            attributes.push(("name", name));
        }
        attributes.push(("startPosition", &start));
        attributes.push(("endPosition", &end));
        if let Some(user) = &selection.creating_user {
            attributes.push(("creatingUser", user.as_str()));
        }
        if let Some(at) = &selection.created {
            attributes.push(("creationDateTime", at));
        }
        w.open("PlainTextSelection", &attributes);
        if let Some(d) = &selection.description {
            w.text("Description", &[], d);
        }
        for c in &selection.codings {
            coding(w, c);
        }
        for note in &selection.note_refs {
            w.empty("NoteRef", &[("targetGUID", note.as_str())]);
        }
        w.close("PlainTextSelection");
    }
    for c in &s.codings {
        coding(w, c);
    }
    for note in &s.note_refs {
        w.empty("NoteRef", &[("targetGUID", note.as_str())]);
    }
    values(w, &s.values);
    w.close(element);
}

fn sets(w: &mut XmlWriter, sets: &[RefiSet], member_code: &str) {
    if sets.is_empty() {
        return;
    }
    w.open("Sets", &[]);
    for set in sets {
        w.open("Set", &[("guid", set.guid.as_str()), ("name", &set.name)]);
        if let Some(d) = &set.description {
            w.text("Description", &[], d);
        }
        for code in &set.codes {
            w.empty("MemberCode", &[(member_code, code.as_str())]);
        }
        for source in &set.sources {
            w.empty("MemberSource", &[("targetGUID", source.as_str())]);
        }
        for note in &set.notes {
            w.empty("MemberNote", &[("targetGUID", note.as_str())]);
        }
        w.close("Set");
    }
    w.close("Sets");
}
