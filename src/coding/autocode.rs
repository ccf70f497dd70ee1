//! Rule-based coding over a whole corpus: text search (literal, whole word, regex), speakers
//! and roles, and dictionaries of many terms per code matched in one pass (aho-corasick).
//! Rules produce spans; the project stores them as one bulk transaction.
//!
//! One rule for text, from the command line, scripts and dictionaries alike: a term matches
//! as whole words, case-insensitively: a match neither starts nor ends inside a word, so
//! "truck" does not code "trucks" (list both, or match inside words, which is the option:
//! `--inside-words`, `autocode_text_inside_words`). Every term of a dictionary is looked for at
//! every place, so a longer term that fails there ("water truck" in "water trucks") does not
//! hide a shorter one that fits ("trucks").

use std::collections::BTreeMap;
use std::path::Path;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use rayon::prelude::*;
use regex::{Regex, RegexBuilder};
use serde::Serialize;

use crate::codebook::Codebook;
use crate::error::{Error, Result};
use crate::ingest::Document;

/// How much text around a hit gets coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub enum Scope {
    /// Just the matched text.
    #[default]
    Match,
    /// The sentence holding the match (within its paragraph).
    Sentence,
    /// The paragraph (block between blank lines).
    Paragraph,
    /// The speaker turn; a paragraph where no speaker was detected.
    Turn,
}

impl std::str::FromStr for Scope {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "match" | "hit" => Ok(Scope::Match),
            "sentence" => Ok(Scope::Sentence),
            "paragraph" => Ok(Scope::Paragraph),
            "turn" => Ok(Scope::Turn),
            other => Err(Error::argument(
                "scope",
                format!("`{other}` is not a scope; use match, sentence, paragraph or turn"),
            )),
        }
    }
}

/// What to look for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Search {
    Literal { text: String, case_sensitive: bool },
    Word { text: String, case_sensitive: bool },
    Regex { pattern: String },
}

impl Search {
    /// Text to find by the one rule: as whole words, unless `inside_words`.
    pub fn text(text: String, case_sensitive: bool, inside_words: bool) -> Search {
        if inside_words {
            Search::Literal {
                text,
                case_sensitive,
            }
        } else {
            Search::Word {
                text,
                case_sensitive,
            }
        }
    }

    pub fn compile(&self) -> Result<Regex> {
        let (pattern, case_sensitive) = match self {
            Search::Literal {
                text,
                case_sensitive,
            } => (regex::escape(text), *case_sensitive),
            Search::Word {
                text,
                case_sensitive,
            } => {
                // An edge only where the term has a word character there: "(CLP)" and
                // "N.H.S." are whole words too.
                let edge = |c: Option<char>| {
                    if c.is_some_and(char::is_alphanumeric) {
                        r"\b"
                    } else {
                        ""
                    }
                };
                (
                    format!(
                        "{}{}{}",
                        edge(text.chars().next()),
                        regex::escape(text),
                        edge(text.chars().next_back())
                    ),
                    *case_sensitive,
                )
            }
            Search::Regex { pattern } => (pattern.clone(), true),
        };
        if pattern.is_empty() {
            return Err(Error::argument("search", "the search text is empty"));
        }
        RegexBuilder::new(&pattern)
            .case_insensitive(!case_sensitive)
            .size_limit(1 << 24)
            .build()
            .map_err(|e| Error::Pattern {
                pattern: pattern.clone(),
                message: e.to_string(),
            })
    }
}

/// A list of terms per code, matched together in one pass.
#[derive(Debug, Clone, Default)]
pub struct Dictionary {
    /// (code id, term)
    entries: Vec<(String, String)>,
    pub whole_words: bool,
    pub case_sensitive: bool,
}

impl Dictionary {
    pub fn new(entries: Vec<(String, String)>) -> Self {
        Dictionary {
            entries,
            whole_words: true,
            case_sensitive: false,
        }
    }

    /// Reads a dictionary: YAML (`code: [term, term]`) or CSV with columns `code,term`.
    /// Codes are resolved against the codebook by id, path or unique name.
    pub fn load(path: &Path, codebook: &Codebook) -> Result<Self> {
        let text = crate::support::text::read_text(path)?;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let mut raw: Vec<(String, String, u64)> = Vec::new();
        if ext == "csv" {
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let header: Vec<String> = reader
                .headers()
                .map_err(|e| crate::support::text::csv_error(path, e))?
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .collect();
            let col = |name: &str| {
                header
                    .iter()
                    .position(|h| h == name)
                    .ok_or_else(|| Error::MissingColumn {
                        path: path.to_path_buf(),
                        column: name.into(),
                        found: header.clone(),
                    })
            };
            let (code_col, term_col) = (col("code")?, col("term")?);
            for record in reader.records() {
                let record = record.map_err(|e| crate::support::text::csv_error(path, e))?;
                let line = record.position().map_or(0, |p| p.line());
                raw.push((
                    record.get(code_col).unwrap_or("").trim().to_string(),
                    record.get(term_col).unwrap_or("").trim().to_string(),
                    line,
                ));
            }
        } else {
            let map: BTreeMap<String, Vec<String>> =
                serde_norway::from_str(&text).map_err(|e| Error::Invalid {
                    path: path.to_path_buf(),
                    message: format!(
                        "expected `code: [term, ...]` entries{}: {e}",
                        e.location()
                            .map(|l| format!(" (line {})", l.line()))
                            .unwrap_or_default()
                    ),
                })?;
            for (code, terms) in map {
                let line = text
                    .lines()
                    .position(|l| l.starts_with(&code))
                    .map_or(0, |i| i as u64 + 1);
                raw.extend(
                    terms
                        .into_iter()
                        .map(|t| (code.clone(), t.trim().to_string(), line)),
                );
            }
        }
        let mut entries = Vec::with_capacity(raw.len());
        for (code, term, line) in raw {
            let resolved = codebook.resolve(&code).map_err(|e| Error::Csv {
                path: path.to_path_buf(),
                line,
                message: e.to_string(),
            })?;
            if term.is_empty() {
                return Err(Error::Csv {
                    path: path.to_path_buf(),
                    line,
                    message: format!("empty term for code `{code}`"),
                });
            }
            entries.push((resolved.id.clone(), term));
        }
        Ok(Dictionary::new(entries))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn automaton(&self) -> Result<AhoCorasick> {
        AhoCorasickBuilder::new()
            // A DFA searches fastest; up to a few thousand terms it stays small.
            .kind((self.entries.len() <= 5_000).then_some(AhoCorasickKind::DFA))
            .ascii_case_insensitive(!self.case_sensitive)
            // Every match of every term, overlapping ones too: with leftmost-longest, a
            // longer term that is then refused as not whole words would hide a shorter one
            // at the same place.
            .match_kind(MatchKind::Standard)
            .build(self.entries.iter().map(|(_, t)| t))
            .map_err(|e| Error::argument("dictionary", e.to_string()))
    }
}

/// A rule applied to every document (or the documents a caller passes).
#[derive(Debug, Clone)]
pub enum Rule {
    Search {
        code: String,
        search: Search,
        scope: Scope,
    },
    Speaker {
        code: String,
        speaker: String,
    },
    Role {
        code: String,
        role: String,
    },
    Dictionary {
        dictionary: Dictionary,
        scope: Scope,
    },
}

/// A span found by a rule: (document index, code id, start, end) in code points.
pub type Hit<'r> = (usize, &'r str, usize, usize);

/// Spans found per document, before they become [`Hit`]s: the codes, and for each document
/// (index into the codes, start, end).
type PerDocument<'r> = (Vec<&'r str>, Vec<Vec<Span32>>);

/// (index into the codes, start, end): positions as `u32` halve the memory a dense rule's
/// millions of matches pass through (documents are checked to fit).
type Span32 = (u32, u32, u32);

/// A match before it is widened to its scope: byte range and code point range.
#[derive(Debug, Clone, Copy)]
struct Found {
    bytes: (u32, u32),
    chars: (u32, u32),
}

/// Runs a rule over documents in parallel. Spans of one code in one document are merged where
/// they overlap, so a rule never produces overlapping codings of its own. Hits come by
/// document, then code, then position.
pub fn find<'r>(rule: &'r Rule, documents: &[&Document]) -> Result<Vec<Hit<'r>>> {
    if let Some(huge) = documents.iter().find(|d| d.text.len() > u32::MAX as usize) {
        return Err(Error::argument(
            "documents",
            format!("`{}` is over 4 GiB; split it to code it by rule", huge.id),
        ));
    }
    // Per document: (index into `codes`, start, end), kept small until the end.
    let (codes, per_document): PerDocument = match rule {
        Rule::Search {
            code,
            search,
            scope,
        } => {
            let regex = search.compile()?;
            let spans = documents
                .par_iter()
                .map(|doc| {
                    let mut cursor = doc.char_cursor();
                    let hits: Vec<Found> = regex
                        .find_iter(&doc.text)
                        .filter(|m| !m.is_empty())
                        .map(|m| Found {
                            bytes: (m.start() as u32, m.end() as u32),
                            chars: (
                                cursor.char_of(m.start()) as u32,
                                cursor.char_of(m.end()) as u32,
                            ),
                        })
                        .collect();
                    let mut spans = Vec::with_capacity(hits.len());
                    Scoped::new(doc, *scope).add_spans(&hits, 0, &mut spans);
                    spans
                })
                .collect();
            (vec![code.as_str()], spans)
        }
        Rule::Speaker { code, speaker } => by_turn(documents, code, |t| {
            t.speaker
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(speaker))
        }),
        Rule::Role { code, role } => by_turn(documents, code, |t| {
            t.role
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(role))
        }),
        Rule::Dictionary { dictionary, scope } => {
            let automaton = dictionary.automaton()?;
            // Codes in the order hits are listed, and where each term's code is in it.
            let mut codes: Vec<&str> = dictionary.entries.iter().map(|(c, _)| c.as_str()).collect();
            codes.sort_unstable();
            codes.dedup();
            let code_of_term: Vec<u32> = dictionary
                .entries
                .iter()
                .map(|(c, _)| codes.binary_search(&c.as_str()).unwrap_or_default() as u32)
                .collect();
            let spans = documents
                .par_iter()
                // Each thread keeps one list of matches per code, reused document after
                // document.
                .map_init(
                    || vec![Vec::<Found>::new(); codes.len()],
                    |by_code, doc| {
                        by_code.iter_mut().for_each(Vec::clear);
                        let text = &doc.text;
                        let mut cursor = doc.char_cursor();
                        for m in automaton.find_overlapping_iter(&**text) {
                            if dictionary.whole_words && !is_whole_word(text, m.start(), m.end()) {
                                continue;
                            }
                            let chars = (
                                cursor.char_of(m.start()) as u32,
                                cursor.char_of(m.end()) as u32,
                            );
                            by_code[code_of_term[m.pattern().as_usize()] as usize].push(Found {
                                bytes: (m.start() as u32, m.end() as u32),
                                chars,
                            });
                        }
                        let scoped = Scoped::new(doc, *scope);
                        let mut spans = Vec::with_capacity(by_code.iter().map(Vec::len).sum());
                        for (code, found) in by_code.iter().enumerate() {
                            scoped.add_spans(found, code as u32, &mut spans);
                        }
                        spans
                    },
                )
                .collect();
            (codes, spans)
        }
    };
    let mut hits = Vec::with_capacity(per_document.iter().map(Vec::len).sum());
    for (i, spans) in per_document.into_iter().enumerate() {
        hits.extend(
            spans
                .into_iter()
                .map(|(code, s, e)| (i, codes[code as usize], s as usize, e as usize)),
        );
    }
    Ok(hits)
}

fn by_turn<'r>(
    documents: &[&Document],
    code: &'r str,
    wanted: impl Fn(&crate::ingest::Turn) -> bool + Sync,
) -> PerDocument<'r> {
    let spans = documents
        .par_iter()
        .map(|doc| {
            doc.turns
                .iter()
                .filter(|t| t.end > t.start && wanted(t))
                .map(|t| (0, t.start as u32, t.end as u32))
                .collect()
        })
        .collect();
    (vec![code], spans)
}

fn is_whole_word(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

/// Widens matches of one document to a scope; the paragraphs are found once per document.
struct Scoped<'d> {
    doc: &'d Document,
    scope: Scope,
    paragraphs: Vec<(usize, usize)>,
}

impl<'d> Scoped<'d> {
    fn new(doc: &'d Document, scope: Scope) -> Self {
        let paragraphs = match scope {
            Scope::Match => Vec::new(),
            _ => doc.paragraphs(),
        };
        Scoped {
            doc,
            scope,
            paragraphs,
        }
    }

    /// Adds the matches of one code, widened to the scope, sorted and with overlaps merged
    /// (in code points), to `out` as `(code, start, end)`.
    fn add_spans(&self, hits: &[Found], code: u32, out: &mut Vec<Span32>) {
        let doc = self.doc;
        let from = out.len();
        out.extend(hits.iter().filter(|f| f.bytes.1 > f.bytes.0).map(|f| {
            let (start, end) = (f.chars.0 as usize, f.chars.1 as usize);
            // A paragraph that opens a turn starts after the speaker label.
            let paragraph = || {
                let i = self.paragraphs.partition_point(|p| p.0 <= start);
                let (p_start, p_end) = self.paragraphs[..i]
                    .last()
                    .copied()
                    .filter(|p| start < p.1)
                    .unwrap_or((start, end));
                let turn_start = doc.turn_at(start).map_or(p_start, |t| t.start);
                (p_start.max(turn_start.min(start)), p_end)
            };
            let (s, e) = match self.scope {
                Scope::Match => (start, end),
                Scope::Paragraph => paragraph(),
                Scope::Turn => doc
                    .turn_at(start)
                    .filter(|t| t.end > t.start)
                    .map(|t| (t.start, t.end))
                    .unwrap_or_else(paragraph),
                Scope::Sentence => {
                    sentence(doc, paragraph(), f.bytes.0 as usize, f.bytes.1 as usize)
                }
            };
            (code, s as u32, e as u32)
        }));
        out[from..].sort_unstable();
        // Merge in place: `kept` spans are final, each next one joins the last if they overlap.
        let mut kept = from;
        for i in from..out.len() {
            let span = out[i];
            match kept.checked_sub(1).filter(|&last| last >= from) {
                Some(last) if span.1 < out[last].2 => out[last].2 = out[last].2.max(span.2),
                _ => {
                    out[kept] = span;
                    kept += 1;
                }
            }
        }
        out.truncate(kept);
    }
}

/// The sentence around byte range `hit_start..hit_end`, bounded by its paragraph (in code
/// points). A sentence ends at `.`, `!` or `?` followed by whitespace.
fn sentence(
    doc: &Document,
    paragraph: (usize, usize),
    hit_start: usize,
    hit_end: usize,
) -> (usize, usize) {
    let (Some(p_start), Some(p_end)) = (doc.byte_of(paragraph.0), doc.byte_of(paragraph.1)) else {
        return (doc.char_of(hit_start), doc.char_of(hit_end));
    };
    let text = &doc.text;
    let is_end = |i: usize| {
        matches!(text.as_bytes()[i], b'.' | b'!' | b'?')
            && text
                .as_bytes()
                .get(i + 1)
                .is_some_and(u8::is_ascii_whitespace)
    };
    let mut start = hit_start.clamp(p_start, p_end);
    while start > p_start && !is_end(start - 1) {
        start -= 1;
    }
    while start < hit_start && text.as_bytes()[start].is_ascii_whitespace() {
        start += 1;
    }
    let mut end = hit_end.clamp(p_start, p_end);
    while end < p_end && !(end > 0 && is_end(end - 1)) {
        end += 1;
    }
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    (doc.char_of(start), doc.char_of(end))
}
