//! A small XML tree for exchange files, read defensively: files come from other tools and
//! from strangers. Document type declarations are refused outright (no entity can be
//! defined, so none can expand), only the five predefined entities and character
//! references are resolved, and nesting is bounded. Text keeps its carriage returns, since
//! positions in REFI-QDA files may count them.
//!
//! Writing is the other half: [`XmlWriter`] escapes every attribute and text and indents
//! structure without touching text content.

use std::borrow::Cow;

use quick_xml::events::Event;

use crate::error::{Error, Result};

const MAX_DEPTH: usize = 256;

/// One element: its local name (namespace prefixes dropped), attributes by local name, child
/// elements and the text directly inside it.
#[derive(Debug, Clone, Default)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
    /// Line of the start tag, for messages.
    pub line: usize,
}

impl Element {
    /// An attribute's value; names are matched exactly first, then ignoring case.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .or_else(|| {
                self.attributes
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
            })
            .map(|(_, v)| v.as_str())
    }

    /// The first child with this name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Children with this name, in order.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Children of the first child called `container` that are called `name`
    /// (`<Users><User/>...</Users>`).
    pub fn listed<'a>(
        &'a self,
        container: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children_named(container)
            .flat_map(move |c| c.children_named(name))
    }

    /// The text of the first child with this name.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

/// Decodes an XML file's bytes: UTF-8 (with or without a byte order mark) or UTF-16 with a
/// byte order mark.
pub fn decode(bytes: &[u8], shown: &str) -> Result<String> {
    let invalid = |message: String| Error::Invalid {
        path: shown.into(),
        message,
    };
    let utf16 = |bytes: &[u8], little: bool| -> Result<String> {
        let units = bytes.chunks_exact(2).map(|p| {
            if little {
                u16::from_le_bytes([p[0], p[1]])
            } else {
                u16::from_be_bytes([p[0], p[1]])
            }
        });
        char::decode_utf16(units)
            .collect::<std::result::Result<String, _>>()
            .map_err(|_| invalid("invalid UTF-16 text".into()))
    };
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false),
        _ => {
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            crate::support::text::decode_utf8(std::path::Path::new(shown), bytes.to_vec())
        }
    }
}

/// Parses `source` into its root element. `shown` names the file in errors.
pub fn parse(source: &str, shown: &str) -> Result<Element> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let mut reader = quick_xml::Reader::from_str(source);
    reader.config_mut().check_end_names = true;
    let mut lines = LineCounter::default();
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| {
            let at = reader.error_position() as usize;
            located(shown, source, &mut lines, at, e.to_string())
        })?;
        let fail = |lines: &mut LineCounter, message: String| {
            located(shown, source, lines, before, message)
        };
        match event {
            Event::DocType(_) => {
                return Err(fail(
                    &mut lines,
                    "document type declarations (<!DOCTYPE>, <!ENTITY>) are not accepted in exchange files"
                        .into(),
                ));
            }
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(fail(
                    &mut lines,
                    "content after the root element has ended".into(),
                ));
            }
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(fail(
                        &mut lines,
                        format!("elements nest deeper than {MAX_DEPTH} levels"),
                    ));
                }
                let line = lines.line_at(source, before);
                stack.push(element(&start, line).map_err(|m| fail(&mut lines, m))?);
            }
            Event::Empty(start) => {
                let line = lines.line_at(source, before);
                let done = element(&start, line).map_err(|m| fail(&mut lines, m))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::End(_) => {
                let done = stack.pop().expect("end names are checked by the reader");
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(text) => {
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&text.into_inner());
                } else if !text.into_inner().trim().is_empty() {
                    return Err(fail(&mut lines, "text outside the root element".into()));
                }
            }
            Event::CData(data) => {
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&data.into_inner());
                }
            }
            Event::GeneralRef(reference) => {
                let resolved =
                    resolve_reference(&reference.into_inner()).map_err(|m| fail(&mut lines, m))?;
                if let Some(open) = stack.last_mut() {
                    open.text.push(resolved);
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(located(
            shown,
            source,
            &mut lines,
            source.len(),
            format!(
                "the file ends inside <{}>",
                stack.last().expect("not empty").name
            ),
        ));
    }
    root.ok_or_else(|| Error::Invalid {
        path: shown.into(),
        message: "no XML element found".into(),
    })
}

fn element(start: &quick_xml::events::BytesStart, line: usize) -> Result<Element, String> {
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| e.to_string())?;
        let key = attribute.key.local_name().into_inner().to_string();
        if attribute.key.as_ref().starts_with("xmlns") {
            attributes.push((
                attribute.key.as_ref().to_string(),
                attribute.value.to_string(),
            ));
            continue;
        }
        let value = unescape(&attribute.value)?;
        attributes.push((key, value.into_owned()));
    }
    Ok(Element {
        name: start.local_name().into_inner().to_string(),
        attributes,
        children: Vec::new(),
        text: String::new(),
        line,
    })
}

/// Resolves `&...;` in an attribute value: the predefined entities and character references.
fn unescape(raw: &str) -> Result<Cow<'_, str>, String> {
    if !raw.contains('&') {
        return Ok(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after
            .find(';')
            .ok_or_else(|| "an `&` in an attribute value is not escaped as `&amp;`".to_string())?;
        out.push(resolve_reference(&after[..end])?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

fn resolve_reference(name: &str) -> Result<char, String> {
    match name {
        "amp" => Ok('&'),
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "quot" => Ok('"'),
        "apos" => Ok('\''),
        _ => {
            let number = name.strip_prefix('#').ok_or_else(|| {
                format!("undefined entity `&{name};` (only XML's predefined entities are accepted)")
            })?;
            let code = match number
                .strip_prefix('x')
                .or_else(|| number.strip_prefix('X'))
            {
                Some(hex) => u32::from_str_radix(hex, 16),
                None => number.parse(),
            }
            .map_err(|_| format!("invalid character reference `&{name};`"))?;
            char::from_u32(code)
                .filter(|&c| c != '\0')
                .ok_or_else(|| format!("invalid character reference `&{name};`"))
        }
    }
}

/// Counts lines up to a byte offset, moving forward only, so that a whole file costs one pass.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    line: usize,
}

impl LineCounter {
    fn line_at(&mut self, source: &str, at: usize) -> usize {
        let at = at.min(source.len());
        if at < self.offset {
            self.offset = 0;
            self.line = 0;
        }
        self.line += source.as_bytes()[self.offset..at]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.offset = at;
        self.line + 1
    }
}

fn located(
    shown: &str,
    source: &str,
    lines: &mut LineCounter,
    at: usize,
    message: String,
) -> Error {
    let line = lines.line_at(source, at);
    Error::Invalid {
        path: shown.into(),
        message: format!("line {line}: {message}"),
    }
}

/// Writes indented XML. Elements with text are written on one line, their text untouched.
pub struct XmlWriter {
    out: String,
    depth: usize,
}

impl XmlWriter {
    pub fn new() -> Self {
        XmlWriter {
            out: String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"),
            depth: 0,
        }
    }

    fn start_tag(&mut self, name: &str, attributes: &[(&str, &str)]) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attributes {
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            escape_into(&mut self.out, value, true);
            self.out.push('"');
        }
    }

    /// `<name attr="...">` on its own line; close it with [`XmlWriter::close`].
    pub fn open(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.start_tag(name, attributes);
        self.out.push_str(">\n");
        self.depth += 1;
    }

    pub fn close(&mut self, name: &str) {
        self.depth -= 1;
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    /// `<name attr="..."/>`.
    pub fn empty(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.start_tag(name, attributes);
        self.out.push_str("/>\n");
    }

    /// `<name>text</name>`.
    pub fn text(&mut self, name: &str, attributes: &[(&str, &str)], text: &str) {
        self.start_tag(name, attributes);
        self.out.push('>');
        escape_into(&mut self.out, text, false);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    pub fn finish(self) -> String {
        self.out
    }
}

impl Default for XmlWriter {
    fn default() -> Self {
        Self::new()
    }
}

/// Escapes markup characters; in attributes also line breaks and tabs, which XML would
/// otherwise turn into spaces. Characters XML 1.0 cannot carry at all are dropped.
fn escape_into(out: &mut String, text: &str, attribute: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
}

/// Characters XML 1.0 allows in a document.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}
