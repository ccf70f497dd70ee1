//! Text normalisation and positions.
//!
//! Every position qualkit stores or reports is a Unicode code point offset from 0, end
//! exclusive (the REFI-QDA rule). Rust strings are indexed by byte, so [`CharIndex`] converts
//! between the two without a per-character table: it keeps one byte offset every
//! [`CHECKPOINT`] code points and counts the rest.

use std::path::Path;

use crate::error::{Error, Result};

const CHECKPOINT: usize = 64;

/// Decodes `bytes` as UTF-8, naming the line and column of the first invalid byte.
pub fn decode_utf8(path: &Path, bytes: Vec<u8>) -> Result<String> {
    // NUL is valid UTF-8 but never text: a file full of them is UTF-16 without a byte order
    // mark, which read as UTF-8 would be stored as text with a NUL between letters.
    if let Some(first) = bytes.iter().position(|&b| b == 0) {
        let line = bytes[..first].iter().filter(|&&b| b == b'\n').count() + 1;
        let sample = &bytes[..bytes.len().min(4096)];
        let nuls = sample.iter().filter(|&&b| b == 0).count();
        let message = if nuls * 4 >= sample.len() {
            "the file looks like UTF-16 without a byte order mark; save it as UTF-8 (or UTF-16 with a byte order mark)"
        } else {
            "a NUL byte, which text does not hold; is this a text file?"
        };
        return Err(Error::Invalid {
            path: path.to_path_buf(),
            message: format!("line {line}: {message}"),
        });
    }
    String::from_utf8(bytes).map_err(|error| {
        let valid = error.utf8_error().valid_up_to();
        let bytes = error.as_bytes();
        let line_start = bytes[..valid]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let line = bytes[..valid].iter().filter(|&&b| b == b'\n').count() + 1;
        // The prefix is valid UTF-8 by construction, so the column counts characters.
        let column = std::str::from_utf8(&bytes[line_start..valid])
            .map_or(valid - line_start, |s| s.chars().count())
            + 1;
        Error::InvalidUtf8 {
            path: path.to_path_buf(),
            line,
            column,
            byte: valid,
        }
    })
}

/// A CSV reader's error, naming the file as the user knows it and the line.
pub fn csv_error(path: &Path, e: csv::Error) -> Error {
    Error::Csv {
        path: path.to_path_buf(),
        line: e.position().map_or(0, |p| p.line()),
        message: e.to_string(),
    }
}

/// A CSV file's header, each name trimmed of the spaces spreadsheets leave around them.
pub fn csv_header<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
    path: &Path,
) -> Result<Vec<String>> {
    let header = reader.headers().map_err(|e| csv_error(path, e))?;
    Ok(header.iter().map(|h| h.trim().to_string()).collect())
}

/// Checks that every quoted field of a CSV text closes: an unbalanced quote would make the
/// rows after it one cell, silently. The error names the line where the quote opened.
pub fn check_csv_quotes(path: &Path, text: &str) -> Result<()> {
    let mut line = 1;
    let mut opened_at: Option<usize> = None;
    let mut field_start = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (opened_at, c) {
            (Some(_), '"') if chars.peek() == Some(&'"') => {
                chars.next();
            }
            (Some(_), '"') => opened_at = None,
            (None, '"') if field_start => opened_at = Some(line),
            _ => {}
        }
        if c == '\n' {
            line += 1;
        }
        // Only a quote that opens a field quotes it; elsewhere the reader takes it as is.
        field_start = opened_at.is_none() && matches!(c, ',' | '\n' | '\r');
    }
    match opened_at {
        Some(at) => Err(Error::Csv {
            path: path.to_path_buf(),
            line: at as u64,
            message: "a quoted field opens here and never closes, so every row after it would be read as one cell; close the quote (a quote inside a quoted field is written twice)".into(),
        }),
        None => Ok(()),
    }
}

/// The text as qualkit keeps it: without a byte order mark, with LF line endings (a lone CR,
/// as old Mac exports write, also becomes LF). Positions are counted after this step, once.
pub fn normalise(text: String) -> String {
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    if !text.contains('\r') {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads a file as normalised UTF-8 text.
pub fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    Ok(normalise(decode_utf8(path, bytes)?))
}

/// How many bytes `bytes` starts with that are ASCII, a block at a time.
fn ascii_prefix(bytes: &[u8]) -> usize {
    const BLOCK: usize = 32;
    let blocks = bytes
        .chunks_exact(BLOCK)
        .take_while(|block| block.is_ascii())
        .count();
    let rest = &bytes[blocks * BLOCK..];
    blocks * BLOCK
        + rest
            .iter()
            .position(|b| !b.is_ascii())
            .unwrap_or(rest.len())
}

/// The length in bytes of the UTF-8 sequence that `lead` begins.
fn utf8_width(lead: u8) -> usize {
    match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

/// Converts between code point and byte offsets of one text.
#[derive(Debug, Clone, Default)]
pub struct CharIndex {
    /// Byte offset of code point `i * CHECKPOINT`; empty when the text is ASCII.
    checkpoints: Vec<usize>,
    chars: usize,
    bytes: usize,
}

impl CharIndex {
    pub fn new(text: &str) -> Self {
        if text.is_ascii() {
            return CharIndex {
                checkpoints: Vec::new(),
                chars: text.len(),
                bytes: text.len(),
            };
        }
        let bytes = text.as_bytes();
        let mut checkpoints = Vec::with_capacity(text.len() / CHECKPOINT + 1);
        let mut chars: usize = 0;
        let mut byte = 0;
        // Prose is mostly ASCII: within a run of ASCII bytes every byte is a character, so the
        // checkpoints in it are found by arithmetic; only the other characters are decoded.
        while byte < bytes.len() {
            let run = ascii_prefix(&bytes[byte..]);
            let mut next = chars.next_multiple_of(CHECKPOINT);
            while next < chars + run {
                checkpoints.push(byte + (next - chars));
                next += CHECKPOINT;
            }
            chars += run;
            byte += run;
            if byte < bytes.len() {
                if chars.is_multiple_of(CHECKPOINT) {
                    checkpoints.push(byte);
                }
                chars += 1;
                byte += utf8_width(bytes[byte]);
            }
        }
        CharIndex {
            checkpoints,
            chars,
            bytes: text.len(),
        }
    }

    /// Length of the text in code points.
    pub fn len_chars(&self) -> usize {
        self.chars
    }

    fn is_ascii(&self) -> bool {
        self.chars == self.bytes
    }

    /// Byte offset of code point `pos`; `pos == len_chars()` gives the text's byte length.
    pub fn byte_of(&self, text: &str, pos: usize) -> Option<usize> {
        if pos > self.chars {
            return None;
        }
        if self.is_ascii() {
            return Some(pos);
        }
        if pos == self.chars {
            return Some(self.bytes);
        }
        let base = self.checkpoints[pos / CHECKPOINT];
        let skip = pos % CHECKPOINT;
        text[base..].char_indices().nth(skip).map(|(b, _)| base + b)
    }

    /// Code point offset of byte offset `byte`, which must lie on a character boundary.
    pub fn char_of(&self, text: &str, byte: usize) -> usize {
        if self.is_ascii() {
            return byte;
        }
        let slot = self.checkpoints.partition_point(|&b| b <= byte) - 1;
        slot * CHECKPOINT + text[self.checkpoints[slot]..byte].chars().count()
    }

    /// The substring between two code point offsets.
    pub fn slice<'t>(&self, text: &'t str, start: usize, end: usize) -> Option<&'t str> {
        let from = self.byte_of(text, start)?;
        let to = self.byte_of(text, end)?;
        text.get(from..to)
    }
}

/// Converts byte offsets to code point offsets when they come mostly in increasing order (the
/// matches of a search, say): each step counts only the text between the last offset and
/// the next, so a whole document costs one pass, with no table of positions.
#[derive(Debug, Clone)]
pub struct CharCursor<'t> {
    text: &'t str,
    byte: usize,
    char: usize,
    ascii: bool,
}

impl<'t> CharCursor<'t> {
    pub fn new(text: &'t str) -> Self {
        Self::with_ascii(text, text.is_ascii())
    }

    /// For a caller that already knows whether `text` is all ASCII.
    pub fn with_ascii(text: &'t str, ascii: bool) -> Self {
        CharCursor {
            text,
            byte: 0,
            char: 0,
            ascii,
        }
    }

    /// Code point offset of `byte`, which must lie on a character boundary.
    pub fn char_of(&mut self, byte: usize) -> usize {
        if self.ascii {
            return byte;
        }
        if byte >= self.byte {
            self.char += count_chars(&self.text.as_bytes()[self.byte..byte]);
        } else {
            self.char -= count_chars(&self.text.as_bytes()[byte..self.byte]);
        }
        self.byte = byte;
        self.char
    }
}

/// Code points in UTF-8 `bytes`: every byte that does not continue a character starts one.
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

/// 1-based line number of byte offset `byte` in `text`.
pub fn line_of(text: &str, byte: usize) -> usize {
    text.as_bytes()[..byte.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// A short, single-line excerpt around a byte range, for error messages and listings.
pub fn excerpt(text: &str, from: usize, to: usize, context: usize) -> String {
    let start = floor_boundary(text, from.saturating_sub(context));
    let end = ceil_boundary(text, (to + context).min(text.len()));
    let mut s = String::new();
    if start > 0 {
        s.push('…');
    }
    s.push_str(&text[start..end].replace('\n', " "));
    if end < text.len() {
        s.push('…');
    }
    s
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// A stable fingerprint of a text, to notice a transcript edited after it was coded.
pub fn fingerprint(text: &str) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}

/// At most `max` characters, with an ellipsis when cut.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
        None => text.to_string(),
    }
}

/// `text` with the five HTML special characters escaped.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
