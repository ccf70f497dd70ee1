//! Word documents (`.docx`), as transcription services deliver them: the paragraphs of
//! `word/document.xml`, each followed by a blank line so that qualkit's paragraphs are
//! Word's paragraphs, and speaker labels at paragraph start (`Interviewer: ...`) become
//! turns as in any transcript. Tables, headers and footnotes are left out. The archive is
//! opened with the same checks as any exchange file.

use std::path::Path;

use crate::error::{Error, Result};
use crate::support::archive::{Archive, Limits};
use crate::support::xml::{self, Element};

/// The plain text of a `.docx` file.
pub fn to_text(path: &Path) -> Result<String> {
    let mut archive = Archive::open(path, Limits::default())?;
    let entry = archive
        .find("word/document.xml")
        .map(str::to_string)
        .ok_or_else(|| Error::Invalid {
            path: path.to_path_buf(),
            message: "no word/document.xml inside; is this a Word (.docx) document?".into(),
        })?;
    let bytes = archive.read(&entry)?;
    let shown = format!("{}: {entry}", path.display());
    let root = xml::parse(&xml::decode(&bytes, &shown)?, &shown)?;
    let body = root.child("body").ok_or_else(|| Error::Invalid {
        path: path.to_path_buf(),
        message: "word/document.xml has no <w:body>".into(),
    })?;
    let mut paragraphs = Vec::new();
    for block in &body.children {
        match block.name.as_str() {
            "p" => paragraphs.push(paragraph_text(block)),
            // Content controls wrap paragraphs; tables are left out.
            "sdt" => {
                if let Some(content) = block.child("sdtContent") {
                    paragraphs.extend(content.children_named("p").map(paragraph_text));
                }
            }
            _ => {}
        }
    }
    let mut text = String::new();
    for paragraph in paragraphs.iter().map(|p| p.trim_end()) {
        if paragraph.trim().is_empty() {
            continue;
        }
        text.push_str(paragraph);
        text.push_str("\n\n");
    }
    if text.ends_with("\n\n") {
        text.pop();
    }
    Ok(text)
}

/// A paragraph's text: its runs in order, `<w:tab/>` as a tab, `<w:br/>` as a line break.
fn paragraph_text(paragraph: &Element) -> String {
    fn walk(element: &Element, out: &mut String) {
        for child in &element.children {
            match child.name.as_str() {
                "t" => out.push_str(&child.text),
                "tab" => out.push('\t'),
                "br" | "cr" => out.push('\n'),
                "noBreakHyphen" => out.push('\u{2011}'),
                // Deleted text of tracked changes is not part of the document.
                "del" | "delText" | "instrText" => {}
                _ => walk(child, out),
            }
        }
    }
    let mut out = String::new();
    walk(paragraph, &mut out);
    out
}
