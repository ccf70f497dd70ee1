//! The passages suggestions are made for: a document cut into sentences, paragraphs, turns or
//! whole answers, each a code point span, and each labelled by the human codings of a code.

use crate::error::{Error, Result};
use crate::ingest::Document;

/// How documents are cut into the passages that are scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    /// Sentences within a paragraph: ending at `.`, `!`, `?` or `…` followed by whitespace.
    Sentence,
    /// Blocks of text separated by blank lines, within one speaker's turn.
    Paragraph,
    /// A speaker's turn (a paragraph where no speakers were found).
    Turn,
    /// The whole document: a survey answer.
    Answer,
}

impl UnitKind {
    pub fn name(self) -> &'static str {
        match self {
            UnitKind::Sentence => "sentence",
            UnitKind::Paragraph => "paragraph",
            UnitKind::Turn => "turn",
            UnitKind::Answer => "answer",
        }
    }
}

impl std::str::FromStr for UnitKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "sentence" => Ok(UnitKind::Sentence),
            "paragraph" => Ok(UnitKind::Paragraph),
            "turn" => Ok(UnitKind::Turn),
            "answer" | "document" => Ok(UnitKind::Answer),
            other => Err(Error::argument(
                "unit",
                format!("`{other}` is not a unit; use sentence, paragraph, turn or answer"),
            )),
        }
    }
}

/// One passage: a document (by its index in the project) and a code point span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unit {
    pub document: usize,
    pub start: usize,
    pub end: usize,
}

/// The units of one document, in order, not overlapping, trimmed of whitespace; a unit holds
/// at least one word (speaker labels and markup such as `[laughs]` do not count).
pub fn units_of(document: &Document, index: usize, kind: UnitKind) -> Vec<Unit> {
    let text: &str = &document.text;
    let mut spans: Vec<(usize, usize)> = Vec::new();
    match kind {
        UnitKind::Answer => spans.push((0, text.len())),
        UnitKind::Turn => spans.extend(regions(document)),
        UnitKind::Paragraph => {
            for region in regions(document) {
                blocks(text, region, &mut spans);
            }
        }
        UnitKind::Sentence => {
            let mut paragraphs = Vec::new();
            for region in regions(document) {
                blocks(text, region, &mut paragraphs);
            }
            for paragraph in paragraphs {
                sentences(text, paragraph, &mut spans);
            }
        }
    }
    let not_said = document.not_said();
    let mut cursor = document.char_cursor();
    let mut units = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        let Some((start, end)) = trimmed(text, start, end) else {
            continue;
        };
        let mut words = 0;
        crate::ingest::for_each_word(&text[start..end], start, &not_said, |_, _| words += 1);
        if words == 0 {
            continue;
        }
        units.push(Unit {
            document: index,
            start: cursor.char_of(start),
            end: cursor.char_of(end),
        });
    }
    units
}

/// Byte spans of what speakers said: each turn from after its label to the next label, and
/// the paragraphs before the first turn. Without turns, the whole text.
fn regions(document: &Document) -> Vec<(usize, usize)> {
    let text: &str = &document.text;
    let turns: Vec<(usize, usize)> = document
        .turns
        .iter()
        .filter(|t| t.end > t.start)
        .filter_map(|t| Some((document.byte_of(t.start)?, document.byte_of(t.end)?)))
        .collect();
    let Some(first) = turns.first() else {
        return vec![(0, text.len())];
    };
    // Text before the first label (a note, a heading) is a region of its own; the label line
    // itself is not.
    let before = text[..first.0].rfind('\n').map_or(0, |i| i + 1);
    let mut out = Vec::with_capacity(turns.len() + 1);
    if before > 0 {
        out.push((0, before));
    }
    for (i, &(start, end)) in turns.iter().enumerate() {
        // A turn ends where the next label's line starts.
        let end = match turns.get(i + 1) {
            Some(next) => text[..next.0].rfind('\n').map_or(end, |nl| nl.min(end)),
            None => end,
        };
        out.push((start, end.max(start)));
    }
    out
}

/// Splits a byte span at blank lines.
fn blocks(text: &str, (start, end): (usize, usize), out: &mut Vec<(usize, usize)>) {
    let mut block_start = start;
    let mut offset = start;
    for line in text[start..end].split_inclusive('\n') {
        if line.trim().is_empty() {
            if offset > block_start {
                out.push((block_start, offset));
            }
            block_start = offset + line.len();
        }
        offset += line.len();
    }
    if end > block_start {
        out.push((block_start, end));
    }
}

/// Splits a byte span into sentences: after `.`, `!`, `?` or `…` (and any closing quotes or
/// brackets) followed by whitespace.
fn sentences(text: &str, (start, end): (usize, usize), out: &mut Vec<(usize, usize)>) {
    let part = &text[start..end];
    let mut sentence_start = 0;
    let mut chars = part.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !matches!(c, '.' | '!' | '?' | '…') {
            continue;
        }
        let mut after = i + c.len_utf8();
        while let Some(&(j, next)) = chars.peek() {
            if matches!(
                next,
                '.' | '!' | '?' | '…' | '"' | '\'' | '’' | '”' | ')' | ']'
            ) {
                after = j + next.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        if chars.peek().is_some_and(|&(_, next)| next.is_whitespace()) {
            out.push((start + sentence_start, start + after));
            sentence_start = after;
        }
    }
    if sentence_start < part.len() {
        out.push((start + sentence_start, end));
    }
}

fn trimmed(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let slice = &text[start..end];
    let lead = slice.len() - slice.trim_start().len();
    let trail = slice.len() - slice.trim_end().len();
    (lead + trail < slice.len()).then(|| (start + lead, end - trail))
}

/// How much of a span is covered: code point length of the overlap of two spans.
pub fn overlap(a: (usize, usize), b: (usize, usize)) -> usize {
    a.1.min(b.1).saturating_sub(a.0.max(b.0))
}

/// Whether codings (sorted by start, of one document) mark a unit as coded, by the rule of
/// [`super::POSITIVE_RULE`]: together they cover at least half of the unit, or one of them
/// lies at least half inside it. Returns (positive, touched: any overlap at all).
pub fn label(unit: (usize, usize), codings: &[(usize, usize)]) -> (bool, bool) {
    let last = codings.partition_point(|c| c.0 < unit.1);
    let mut covered = 0;
    let mut touched = false;
    let mut mostly_inside = false;
    // Covered characters, counting overlapping codings once.
    let mut reach = unit.0;
    for &coding in codings[..last].iter().filter(|c| c.1 > unit.0) {
        let shared = overlap(unit, coding);
        if shared == 0 {
            continue;
        }
        touched = true;
        let length = coding.1 - coding.0;
        if 2 * shared >= length {
            mostly_inside = true;
        }
        let from = coding.0.max(reach);
        let to = coding.1.min(unit.1);
        if to > from {
            covered += to - from;
            reach = to;
        }
    }
    let length = unit.1 - unit.0;
    (touched && (mostly_inside || 2 * covered >= length), touched)
}
