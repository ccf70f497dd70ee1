//! Turning what a user says ("this quote", "these offsets", "every turn of the CLP") into
//! checked spans of a document. Nothing here writes: the project stores what this returns.

pub mod autocode;
pub mod reanchor;

use crate::error::{Error, Result};
use crate::ingest::Document;
use crate::support::text::excerpt;

/// Where to code, as a user gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Span {
    /// Code point offsets from 0, end exclusive.
    Offsets { start: usize, end: usize },
    /// Text to find in the document; `occurrence` (1-based) picks one of several matches.
    Quote {
        text: String,
        occurrence: Option<usize>,
    },
}

/// Checks a span against the document and returns it as code point offsets.
pub fn resolve(document: &Document, span: &Span) -> Result<(usize, usize)> {
    match span {
        Span::Offsets { start, end } => check_offsets(document, *start, *end),
        Span::Quote { text, occurrence } => find_quote(document, text, *occurrence),
    }
}

pub fn check_offsets(document: &Document, start: usize, end: usize) -> Result<(usize, usize)> {
    if end <= start {
        return Err(Error::EmptySpan {
            document: document.id.clone(),
            start,
            end,
        });
    }
    if end > document.len_chars() {
        return Err(Error::SpanOutOfRange {
            document: document.id.clone(),
            start,
            end,
            length: document.len_chars(),
        });
    }
    Ok((start, end))
}

/// Finds `quote` in the document. An exact match wins; failing that, a match that differs only
/// in runs of whitespace, straight versus curly quotes or the kind of dash (the usual damage of
/// copying from a word processor). The span returned is always of the document's own text.
pub fn find_quote(
    document: &Document,
    quote: &str,
    occurrence: Option<usize>,
) -> Result<(usize, usize)> {
    let quote = quote.trim();
    if quote.is_empty() {
        return Err(Error::argument("quote", "the quote is empty"));
    }
    let text = &document.text;
    let mut matches: Vec<(usize, usize)> = text
        .match_indices(quote)
        .map(|(b, m)| (b, b + m.len()))
        .collect();
    if matches.is_empty() {
        let loose = regex::Regex::new(&loose_pattern(quote))
            .map_err(|e| Error::argument("quote", e.to_string()))?;
        matches = loose
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .collect();
    }
    let chosen = match (matches.as_slice(), occurrence) {
        ([], _) => {
            return Err(Error::QuoteNotFound {
                document: document.id.clone(),
                quote: shorten(quote, 80),
                hint: closest_hint(document, quote),
            });
        }
        (found, Some(n)) => *found.get(n.wrapping_sub(1)).ok_or_else(|| {
            Error::argument(
                "occurrence",
                format!(
                    "asked for occurrence {n} of the quote in `{}`, which has {}",
                    document.id,
                    found.len()
                ),
            )
        })?,
        ([one], None) => *one,
        (many, None) => {
            return Err(Error::QuoteAmbiguous {
                document: document.id.clone(),
                quote: shorten(quote, 80),
                candidates: many
                    .iter()
                    .enumerate()
                    .map(|(i, &(b, e))| {
                        let (s, t) = (document.char_of(b), document.char_of(e));
                        format!(
                            "  {}. line {}, offsets {s}..{t}: {}",
                            i + 1,
                            document.line_of(s),
                            excerpt(text, b, e, 30)
                        )
                    })
                    .collect(),
            });
        }
    };
    Ok((document.char_of(chosen.0), document.char_of(chosen.1)))
}

fn loose_pattern(quote: &str) -> String {
    let mut pattern = String::new();
    let mut in_space = false;
    for c in quote.chars() {
        if c.is_whitespace() {
            if !in_space {
                pattern.push_str(r"\s+");
            }
            in_space = true;
            continue;
        }
        in_space = false;
        match c {
            '\'' | '‘' | '’' => pattern.push_str("['‘’]"),
            '"' | '“' | '”' => pattern.push_str("[\"“”]"),
            '-' | '–' | '—' => pattern.push_str("[-–—]"),
            _ => pattern.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
        }
    }
    pattern
}

/// Where the longest leading part of a missing quote does occur, to show what differs.
fn closest_hint(document: &Document, quote: &str) -> String {
    let words: Vec<&str> = quote.split_whitespace().collect();
    for n in (3..words.len()).rev() {
        let prefix = words[..n].join(" ");
        let pattern = loose_pattern(&prefix);
        let Ok(regex) = regex::Regex::new(&pattern) else {
            continue;
        };
        if let Some(m) = regex.find(&document.text) {
            let at = document.char_of(m.start());
            return format!(
                "; its first {n} words occur at line {} (offset {at}), where the text goes on: {}",
                document.line_of(at),
                excerpt(&document.text, m.start(), m.end(), 40)
            );
        }
    }
    String::new()
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}
