//! Speaker turns: lines that open with a speaker label.

use regex::Regex;
use regex_automata::Input;
use regex_automata::meta::Regex as LabelRegex;

use super::{Participant, Turn};
use crate::error::{Error, Result};
use crate::text::CharIndex;

/// The label styles recognised when a project does not configure its own, tried in order:
/// `Name (00:01:02): text` (transcription services), `[Name] text`, and `Name: text`.
/// Each pattern matches at the start of a line and names the label `speaker`; an optional
/// group `time` is kept as the turn's timestamp.
pub const DEFAULT_SPEAKER_PATTERNS: &[&str] = &[
    r"^(?P<speaker>[^\s\[(:][^\[(:]{0,60}?)[ \t]*\((?P<time>\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)\)[ \t]*:?[ \t]*",
    r"^\[(?P<speaker>[^\]\d][^\]]{0,60})\][ \t]*:?[ \t]*",
    r"^(?P<speaker>\p{Lu}[\p{L}\p{M}\d'’.\- ]{0,60}?)[ \t]*:(?:[ \t]+|$)",
];

/// Compiled speaker-label patterns.
#[derive(Debug, Clone)]
pub struct TurnPatterns {
    /// Built without the bounded backtracker, which clears memory in proportion to the whole
    /// line for every line tried: most of the cost of reading a transcript otherwise.
    patterns: Vec<LabelRegex>,
}

impl Default for TurnPatterns {
    fn default() -> Self {
        Self::new(DEFAULT_SPEAKER_PATTERNS).expect("default speaker patterns compile")
    }
}

impl TurnPatterns {
    /// Compiles patterns; each must have a named group `speaker`.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Self> {
        let patterns = patterns
            .iter()
            .map(|p| {
                let p = p.as_ref();
                let regex = Regex::new(p).map_err(|e| Error::Pattern {
                    pattern: p.to_string(),
                    message: e.to_string(),
                })?;
                if !regex.capture_names().any(|n| n == Some("speaker")) {
                    return Err(Error::Pattern {
                        pattern: p.to_string(),
                        message: "a speaker pattern needs a named group `(?P<speaker>...)`".into(),
                    });
                }
                LabelRegex::builder()
                    .configure(
                        LabelRegex::config()
                            .backtrack(false)
                            // Room for the lazy DFA's states over wide Unicode classes, so
                            // that it does not give up and leave lines to the slower PikeVM.
                            .hybrid_cache_capacity(16 << 20),
                    )
                    .build(p)
                    .map_err(|e| Error::Pattern {
                        pattern: p.to_string(),
                        message: e.to_string(),
                    })
            })
            .collect::<Result<_>>()?;
        Ok(TurnPatterns { patterns })
    }

    /// Splits `text` into turns. When the document lists participants, a label that is not one
    /// of them (say `[laughter]`) is not a turn: it stays in the turn it appears in, with a
    /// warning, so that sound annotations do not become speakers.
    pub(super) fn find_turns(
        &self,
        text: &str,
        index: &CharIndex,
        participants: &[Participant],
        first_line: usize,
        warnings: &mut Vec<String>,
    ) -> Vec<Turn> {
        let mut turns: Vec<Turn> = Vec::new();
        let mut open: Option<(usize, Turn)> = None; // (byte start of content, turn)
        let mut offset = 0;
        // Labels come in text order, so positions convert in one pass.
        let mut cursor = crate::text::CharCursor::with_ascii(text, index.len_chars() == text.len());
        let close = |open: Option<(usize, Turn)>,
                     end_byte: usize,
                     turns: &mut Vec<Turn>,
                     cursor: &mut crate::text::CharCursor| {
            if let Some((content_start, mut turn)) = open {
                let content = text[content_start..end_byte].trim_end();
                turn.end = cursor.char_of(content_start + content.len());
                turns.push(turn);
            }
        };
        for (line_no, line) in text.split_inclusive('\n').enumerate() {
            if let Some((speaker, time, label_len)) = self.label(line.trim_end_matches('\n')) {
                let role = participants
                    .iter()
                    .find(|p| p.speaker.eq_ignore_ascii_case(speaker.trim()))
                    .map(|p| p.role.clone());
                if role.is_some() || participants.is_empty() {
                    close(open.take(), offset, &mut turns, &mut cursor);
                    let start_byte = offset + label_len;
                    open = Some((
                        start_byte,
                        Turn {
                            speaker: Some(speaker.trim().to_string()),
                            role: role.filter(|r| !r.is_empty()),
                            timestamp: time,
                            start: cursor.char_of(start_byte),
                            end: 0,
                        },
                    ));
                } else {
                    warnings.push(format!(
                        "line {}: `{}` looks like a speaker label but is not among the participants",
                        first_line + line_no,
                        speaker.trim()
                    ));
                }
            }
            offset += line.len();
        }
        close(open, text.len(), &mut turns, &mut cursor);
        turns
    }

    fn label<'l>(&self, line: &'l str) -> Option<(&'l str, Option<String>, usize)> {
        let head = line.as_bytes().first()?;
        if head.is_ascii_whitespace() {
            return None;
        }
        self.patterns.iter().find_map(|p| {
            // Groups only for a line that has a label, and only over the label.
            let label = p.find(line)?;
            if label.start() != 0 {
                return None;
            }
            let mut caps = p.create_captures();
            p.search_captures(&Input::new(line).span(0..label.end()), &mut caps);
            let whole = caps.get_match()?;
            let group = |name: &str| caps.get_group_by_name(name).map(|s| &line[s.range()]);
            let speaker = group("speaker")?;
            if speaker.trim().is_empty() {
                return None;
            }
            let time = group("time").map(str::to_string);
            Some((speaker, time, whole.end()))
        })
    }
}
