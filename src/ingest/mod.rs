//! Reading documents from disk: transcripts with YAML front matter and open-ended survey
//! answers from CSV. What is read here is never changed afterwards: the normalised text of a
//! document is what every stored position refers to.

pub mod captions;
pub mod docx;
mod front_matter;
pub(crate) mod spreadsheet;
mod survey;
mod turns;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::support::text::CharIndex;

pub use survey::{
    DEFAULT_NON_ANSWERS, SkippedRow, SurveyColumns, describe_skipped, read_survey, read_survey_xlsx,
};
pub use turns::{DEFAULT_SPEAKER_PATTERNS, TurnPatterns, place_pattern_error};

/// A person taking part in a conversation, as the front matter lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    #[serde(alias = "name")]
    pub speaker: String,
    #[serde(default)]
    pub role: String,
}

/// One speaker's uninterrupted contribution; positions exclude the speaker label.
///
/// A document's turns share one allocation per speaker and role: a long interview has
/// thousands of turns by three or four people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    pub speaker: Option<Arc<str>>,
    pub role: Option<Arc<str>>,
    pub timestamp: Option<String>,
    pub start: usize,
    pub end: usize,
}

/// A document: its metadata and its normalised text, with turns and paragraphs found once.
#[derive(Debug, Clone)]
pub struct Document {
    /// File stem for transcripts, `stem#id` for survey answers.
    pub id: String,
    /// The file it came from, relative to the project folder.
    pub source: PathBuf,
    pub case: String,
    pub method: String,
    pub phase: String,
    pub date: Option<String>,
    pub title: Option<String>,
    pub participants: Vec<Participant>,
    pub attributes: BTreeMap<String, String>,
    pub text: Arc<str>,
    pub turns: Vec<Turn>,
    /// Line of the source file on which `text` begins (1-based), to report positions as lines.
    pub first_line: usize,
    /// Things worth a look that did not stop the document from loading.
    pub warnings: Vec<String>,
    index: CharIndex,
    /// Where words start, found on first use (queries count words in spans from it instead
    /// of rescanning text): the words people said (markup and speaker labels left out), and
    /// every word of the text.
    word_starts: std::sync::OnceLock<WordStarts>,
    all_word_starts: std::sync::OnceLock<WordStarts>,
    /// Whether the project counts markup and speaker labels as words (`[words]
    /// count_markup` in `qualkit.toml`); see [`WORD_RULE`].
    pub(crate) count_markup: bool,
}

/// How qualkit counts words, everywhere it counts them (word counts, the denominators of
/// coverage and density, word frequencies).
pub const WORD_RULE: &str = "A word is a run of letters, digits and apostrophes that holds at \
least one letter or digit (`don't`, `GP's` and `12` are words; a lone `'` is not). Transcript \
markup (text in square brackets on one line: `[inaudible]`, `[REDACTED]`, `[laughter]`, \
`[crosstalk 00:12:03]`) and speaker labels are not counted, as nobody said them; \
`count_markup = true` under `[words]` in qualkit.toml, or `markup: true` where a function \
takes options, counts them too.";

impl Document {
    pub(crate) fn new(
        id: String,
        source: PathBuf,
        meta: Metadata,
        text: Arc<str>,
        first_line: usize,
        speakers: Speakers,
    ) -> Self {
        let index = CharIndex::new(&text);
        let mut warnings = Vec::new();
        let turns = match speakers {
            Speakers::Respondent(None) => Vec::new(),
            Speakers::Respondent(Some(p)) => vec![Turn {
                speaker: Some(p.speaker.into()),
                role: (!p.role.is_empty()).then(|| p.role.into()),
                timestamp: None,
                start: 0,
                end: index.len_chars(),
            }],
            Speakers::Detect(patterns) => {
                patterns.find_turns(&text, &index, &meta.participants, first_line, &mut warnings)
            }
        };
        Document {
            id,
            source,
            case: meta.case,
            method: meta.method,
            phase: meta.phase,
            date: meta.date,
            title: meta.title,
            participants: meta.participants,
            attributes: meta.attributes,
            text,
            turns,
            first_line,
            warnings,
            index,
            word_starts: std::sync::OnceLock::new(),
            all_word_starts: std::sync::OnceLock::new(),
            count_markup: false,
        }
    }

    /// Length in Unicode code points.
    pub fn len_chars(&self) -> usize {
        self.index.len_chars()
    }

    /// The text between two code point positions (end exclusive), if both are in range.
    pub fn slice(&self, start: usize, end: usize) -> Option<&str> {
        self.index.slice(&self.text, start, end)
    }

    pub fn byte_of(&self, pos: usize) -> Option<usize> {
        self.index.byte_of(&self.text, pos)
    }

    pub fn char_of(&self, byte: usize) -> usize {
        self.index.char_of(&self.text, byte)
    }

    /// Converts increasing byte offsets of the text to code points in one pass.
    pub fn char_cursor(&self) -> crate::support::text::CharCursor<'_> {
        crate::support::text::CharCursor::with_ascii(
            &self.text,
            self.len_chars() == self.text.len(),
        )
    }

    /// Line of the source file that holds code point `pos`.
    pub fn line_of(&self, pos: usize) -> usize {
        let byte = self.byte_of(pos).unwrap_or(self.text.len());
        self.first_line + crate::support::text::line_of(&self.text, byte) - 1
    }

    /// The turn that contains code point `pos`, if any speaker was detected there.
    pub fn turn_at(&self, pos: usize) -> Option<&Turn> {
        let i = self.turns.partition_point(|t| t.start <= pos);
        self.turns[..i]
            .last()
            .filter(|t| pos < t.end.max(t.start + 1))
    }

    /// Paragraphs (blocks separated by blank lines), as trimmed code point spans.
    pub fn paragraphs(&self) -> Vec<(usize, usize)> {
        let mut spans = Vec::new();
        let mut block_start: Option<usize> = None;
        let mut last_content_end = 0;
        let mut offset = 0;
        for line in self.text.split_inclusive('\n') {
            let content = line.trim_end();
            if content.trim_start().is_empty() {
                if let Some(start) = block_start.take() {
                    spans.push((start, last_content_end));
                }
            } else {
                let lead = content.len() - content.trim_start().len();
                block_start.get_or_insert(offset + lead);
                last_content_end = offset + content.len();
            }
            offset += line.len();
        }
        if let Some(start) = block_start {
            spans.push((start, last_content_end));
        }
        let mut cursor = self.char_cursor();
        spans
            .into_iter()
            .map(|(s, e)| (cursor.char_of(s), cursor.char_of(e)))
            .collect()
    }

    /// Number of words in the text, by the project's rule ([`WORD_RULE`]).
    pub fn word_count(&self) -> usize {
        self.words_in(0, self.len_chars())
    }

    /// Words that start within code points `start..end`, by the project's rule.
    pub fn words_in(&self, start: usize, end: usize) -> usize {
        self.words_in_with(start, end, self.count_markup)
    }

    /// Words that start within code points `start..end`; with `markup`, transcript markup
    /// and speaker labels count too.
    pub fn words_in_with(&self, start: usize, end: usize, markup: bool) -> usize {
        let words = if markup {
            self.all_word_starts
                .get_or_init(|| WordStarts::of(&self.text, &[]))
        } else {
            self.word_starts
                .get_or_init(|| WordStarts::of(&self.text, &self.not_said()))
        };
        words.before(end).saturating_sub(words.before(start))
    }

    /// Whether this document counts markup and speaker labels as words.
    pub fn counts_markup(&self) -> bool {
        self.count_markup
    }

    /// Byte ranges of the text that nobody said: speaker labels and transcript markup, in
    /// order, not overlapping.
    pub fn not_said(&self) -> Vec<std::ops::Range<usize>> {
        let mut ranges = markup_ranges(&self.text);
        for turn in &self.turns {
            let Some(start) = self.byte_of(turn.start) else {
                continue;
            };
            let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
            if line_start < start {
                ranges.push(line_start..start);
            }
        }
        ranges.sort_by_key(|r| (r.start, r.end));
        let mut merged: Vec<std::ops::Range<usize>> = Vec::with_capacity(ranges.len());
        for range in ranges {
            match merged.last_mut() {
                Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
                _ => merged.push(range),
            }
        }
        merged
    }
}

/// Transcript markup: byte ranges of square brackets closed on the same line, at most 200
/// bytes apart (`[inaudible]`, `[REDACTED]`, `[laughter]`, `[00:01:12]`).
pub fn markup_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let mut ranges = Vec::new();
    let mut at = 0;
    while let Some(open) = memchr_byte(b'[', &bytes[at..]).map(|i| at + i) {
        let rest = &bytes[open + 1..(open + 201).min(bytes.len())];
        match rest
            .iter()
            .position(|&b| b == b']' || b == b'[' || b == b'\n')
        {
            Some(i) if rest[i] == b']' => {
                ranges.push(open..open + i + 2);
                at = open + i + 2;
            }
            _ => at = open + 1,
        }
    }
    ranges
}

fn memchr_byte(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

/// Calls `found` with each word of `text` (apostrophes trimmed from its ends) and the byte
/// offset it starts at, leaving out the byte ranges in `skip` (sorted, not overlapping,
/// counted from `base`, the offset of `text` in the document).
pub fn for_each_word(
    text: &str,
    base: usize,
    skip: &[std::ops::Range<usize>],
    mut found: impl FnMut(usize, &str),
) {
    let mut skip = skip.iter().skip_while(|r| r.end <= base).peekable();
    let mut run: Option<usize> = None;
    let mut emit = |from: usize, to: usize| {
        let word = &text[from..to];
        let trimmed = word.trim_start_matches(['\'', '’']);
        let lead = word.len() - trimmed.len();
        let trimmed = trimmed.trim_end_matches(['\'', '’']);
        if trimmed.chars().any(char::is_alphanumeric) {
            found(base + from + lead, trimmed);
        }
    };
    for (i, c) in text.char_indices() {
        let at = base + i;
        while skip.peek().is_some_and(|r| r.end <= at) {
            skip.next();
        }
        let skipped = skip.peek().is_some_and(|r| r.start <= at);
        if is_word_char(c) && !skipped {
            run.get_or_insert(i);
        } else if let Some(from) = run.take() {
            emit(from, i);
        }
    }
    if let Some(from) = run {
        emit(from, text.len());
    }
}

/// Where a text's words start, as one bit per code point: for each block of 64 code points a
/// mask of the positions that start a word and the count of words before the block. Counting
/// the words in a span is then two lookups and two population counts, and the index takes an
/// eighth of the memory of a list of word positions.
#[derive(Debug, Clone, Default)]
struct WordStarts {
    masks: Vec<u64>,
    before_block: Vec<u32>,
}

impl WordStarts {
    /// The word starts of `text`, leaving out the byte ranges in `skip` (sorted).
    fn of(text: &str, skip: &[std::ops::Range<usize>]) -> WordStarts {
        // Byte offset of each word's first letter or digit, in order.
        let mut starts = Vec::new();
        for_each_word(text, 0, skip, |at, _| starts.push(at));
        let mut starts = starts.into_iter().peekable();
        let mut masks = Vec::new();
        let mut before_block = Vec::new();
        let (mut mask, mut count) = (0u64, 0u32);
        for (pos, (byte, _)) in text.char_indices().enumerate() {
            if pos % 64 == 0 && pos > 0 {
                masks.push(mask);
                before_block.push(count);
                count += mask.count_ones();
                mask = 0;
            }
            if starts.peek() == Some(&byte) {
                starts.next();
                mask |= 1 << (pos % 64);
            }
        }
        masks.push(mask);
        before_block.push(count);
        WordStarts {
            masks,
            before_block,
        }
    }

    /// Words that start before code point `pos`.
    fn before(&self, pos: usize) -> usize {
        let block = pos / 64;
        match self.masks.get(block) {
            Some(mask) => {
                let below = mask & ((1u64 << (pos % 64)) - 1);
                (self.before_block[block] + below.count_ones()) as usize
            }
            None => self.before_block.last().map_or(0, |&before| {
                (before + self.masks.last().map_or(0, |m| m.count_ones())) as usize
            }),
        }
    }
}

/// Letters, digits and apostrophes inside words ("don't", "GP's").
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '\'' || c == '’'
}

/// Words in `text` by [`WORD_RULE`]; with `markup`, bracketed markup counts too. (A bare text
/// has no turns, so speaker labels are words here: [`Document::word_count`] leaves them out.)
pub fn count_words(text: &str, markup: bool) -> usize {
    let skip = if markup {
        Vec::new()
    } else {
        markup_ranges(text)
    };
    let mut words = 0;
    for_each_word(text, 0, &skip, |_, _| words += 1);
    words
}

/// Where a document's turns come from.
pub(crate) enum Speakers<'p> {
    /// Speaker labels at line starts.
    Detect(&'p TurnPatterns),
    /// One respondent for the whole text (a survey answer), if known.
    Respondent(Option<Participant>),
}

/// What a document says about itself.
#[derive(Debug, Clone, Default)]
pub(crate) struct Metadata {
    pub case: String,
    pub method: String,
    pub phase: String,
    pub date: Option<String>,
    pub title: Option<String>,
    pub participants: Vec<Participant>,
    pub attributes: BTreeMap<String, String>,
}

/// File kinds qualkit reads as documents. Hidden files and the lock files office programs
/// leave beside an open file (`~$answers.xlsx`) are not documents.
pub fn is_document_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if name.starts_with("~$") || name.starts_with('.') {
        return false;
    }
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("txt" | "md" | "markdown" | "csv" | "xlsx")
    )
}

/// File kinds that are turned into a transcript when imported: Word documents and caption
/// files. The project keeps the transcript, not the original.
pub fn is_convertible_file(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("docx" | "vtt" | "srt")
    )
}

/// The transcript text of a `.docx`, `.vtt` or `.srt` file.
pub fn convert_to_transcript(path: &Path) -> Result<String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("docx") => docx::to_text(path),
        Some("vtt" | "srt") => {
            captions::to_transcript(path, &crate::support::text::read_text(path)?)
        }
        _ => Err(Error::Invalid {
            path: path.to_path_buf(),
            message: "not a file qualkit converts (use .docx, .vtt or .srt)".into(),
        }),
    }
}

/// An error about the transcript a converted file (`.vtt`, `.srt`, `.docx`) becomes, told
/// about the file the user gave: the transcript does not exist yet, and its lines are not
/// the original's, so the message names `original` and no line. Errors about other files
/// are returned as they are.
pub fn about_original(error: Error, original: &Path, transcript: &Path) -> Error {
    let message = match error {
        Error::FrontMatter { path, message, .. } if path == transcript => {
            if message.starts_with("no `case:`") {
                "no case given: pass --case (and --method, --phase) to say whose conversation it is"
                    .to_string()
            } else {
                format!("front matter: {message}")
            }
        }
        Error::UnknownCase {
            path, case, known, ..
        } if path == transcript => {
            format!(
                "unknown case `{case}`; cases.csv lists: {}",
                known.join(", ")
            )
        }
        Error::Invalid { path, message } if path == transcript => message,
        other => return other,
    };
    Error::Invalid {
        path: original.to_path_buf(),
        message,
    }
}

/// Reads one file into documents (one for a transcript, one per answer for a survey CSV),
/// with the survey rows skipped as non-answers. `root` is the project folder that `path` is
/// reported relative to.
pub fn read_documents(
    root: &Path,
    path: &Path,
    patterns: &TurnPatterns,
    survey: &SurveyColumns,
) -> Result<(Vec<Document>, Vec<SkippedRow>)> {
    let relative = path.strip_prefix(root).unwrap_or(path).to_path_buf();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("csv") => read_survey(path, &relative, survey),
        Some("xlsx") => read_survey_xlsx(path, &relative, survey),
        Some("txt" | "md" | "markdown") => {
            let text = crate::support::text::read_text(path)?;
            Ok((
                vec![parse_transcript(path, &relative, &text, patterns)?],
                Vec::new(),
            ))
        }
        _ => Err(Error::Invalid {
            path: path.to_path_buf(),
            message: "not a document qualkit can read (use .txt, .md, .csv or .xlsx; .docx, .vtt and .srt are converted by `qualkit import`)".into(),
        }),
    }
}

/// Reads a transcript from its (normalised) text; `path` gives the document id.
pub fn parse_transcript(
    path: &Path,
    relative: &Path,
    text: &str,
    patterns: &TurnPatterns,
) -> Result<Document> {
    let id = document_id(path)?;
    let (meta, body, first_line) = front_matter::split(relative, text)?;
    Ok(Document::new(
        id,
        relative.to_path_buf(),
        meta,
        Arc::from(body),
        first_line,
        Speakers::Detect(patterns),
    ))
}

/// Whether a transcript's text opens with front matter.
pub fn has_front_matter(text: &str) -> bool {
    text.starts_with("---\n")
}

fn document_id(path: &Path) -> Result<String> {
    path.file_stem()
        .and_then(|s| s.to_str())
        .map(str::to_string)
        .ok_or_else(|| Error::Invalid {
            path: path.to_path_buf(),
            message: "file name is not valid UTF-8".into(),
        })
}
