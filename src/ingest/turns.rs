//! Speaker turns: lines that open with a speaker label.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, LazyLock};

use regex_automata::meta::Regex as LabelRegex;
use regex_automata::util::captures::Captures;
use regex_automata::{Anchored, Input, PatternID};

use super::{Participant, Turn};
use crate::error::{Error, Result};
use crate::support::text::CharIndex;

/// The label styles recognised by default, tried in order:
/// `[00:01:12] Name: text` (a timestamp, bracketed or not, then the label),
/// `Name (00:01:02): text` (transcription services and converted captions), `[Name] text`,
/// and `Name: text`. Joint labels (`Interviewee 1 & Interviewee 2:`, `A and B:`, `A/B:`)
/// are labels too.
///
/// Each pattern matches at the start of a line and has two named groups: `speaker`, the
/// label (required), and `time`, kept as the turn's timestamp (optional). Everything the
/// pattern matches is the label and is left out of the turn's text. Patterns configured in
/// `qualkit.toml` are tried before these, which stay in use unless
/// `replace_default_patterns = true`.
pub const DEFAULT_SPEAKER_PATTERNS: &[&str] = &[
    r"^\[?(?P<time>\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)\]?[ \t]+(?P<speaker>\p{Lu}[\p{L}\p{M}\d'’.\-&/+ ]{0,80}?)[ \t]*:(?:[ \t]+|$)",
    r"^(?P<speaker>[^\s\[(:][^\[(:]{0,60}?)[ \t]*\((?P<time>\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)\)[ \t]*:?[ \t]*",
    r"^\[(?P<speaker>[^\]\d][^\]]{0,60})\][ \t]*:?[ \t]*",
    r"^(?P<speaker>\p{Lu}[\p{L}\p{M}\d'’.\-&/+ ]{0,80}?)[ \t]*:(?:[ \t]+|$)",
];

/// Compiled speaker-label patterns.
#[derive(Debug, Clone)]
pub struct TurnPatterns {
    patterns: Vec<LabelPattern>,
    /// All patterns in one automaton, so that a line is searched once, not once per pattern;
    /// the first pattern (in order) that matches at the start of the line wins.
    any: LabelRegex,
}

#[derive(Debug, Clone)]
struct LabelPattern {
    regex: LabelRegex,
    /// Capture group indices of `speaker` and of the optional `time`.
    speaker: usize,
    time: Option<usize>,
}

/// The default patterns, compiled once per process: compiling their Unicode classes costs
/// more than reading a small project.
static DEFAULT_PATTERNS: LazyLock<TurnPatterns> = LazyLock::new(|| {
    TurnPatterns::new(DEFAULT_SPEAKER_PATTERNS).expect("default speaker patterns compile")
});

/// What is wrong with a pattern, in one line: the parser's own message ends with it
/// (`error: unclosed character class`), after a copy of the pattern with the place marked.
fn regex_message(error: &regex_automata::meta::BuildError) -> String {
    match error.syntax_error() {
        Some(syntax) => {
            let text = syntax.to_string();
            let last = text.lines().last().unwrap_or_default().trim();
            last.strip_prefix("error: ").unwrap_or(last).to_string()
        }
        None => error.to_string(),
    }
}

/// A speaker pattern's error placed where `qualkit.toml` (at `path`, holding `text`) sets
/// the pattern: the file, the pattern's line and its number in the list. Other errors are
/// returned as they are.
pub fn place_pattern_error(error: Error, path: &Path, text: &str) -> Error {
    let Error::Pattern { pattern, message } = error else {
        return error;
    };
    #[derive(serde::Deserialize, Default)]
    struct Settings {
        #[serde(default)]
        speakers: Speakers,
    }
    #[derive(serde::Deserialize, Default)]
    struct Speakers {
        #[serde(default)]
        patterns: Vec<toml::Spanned<String>>,
    }
    let settings: Settings = toml::from_str(text).unwrap_or_default();
    let place = settings
        .speakers
        .patterns
        .iter()
        .position(|p| p.get_ref() == &pattern)
        .map(|i| {
            let line =
                crate::support::text::line_of(text, settings.speakers.patterns[i].span().start);
            (line, i + 1)
        });
    Error::Invalid {
        path: path.to_path_buf(),
        message: match place {
            Some((line, n)) => {
                format!("line {line}: speaker pattern {n} `{pattern}`: {message}")
            }
            None => format!("[speakers] patterns `{pattern}`: {message}"),
        },
    }
}

impl Default for TurnPatterns {
    fn default() -> Self {
        DEFAULT_PATTERNS.clone()
    }
}

impl TurnPatterns {
    /// Compiles patterns; each must have a named group `speaker`.
    pub fn new<S: AsRef<str>>(patterns_in: &[S]) -> Result<Self> {
        let patterns = patterns_in
            .iter()
            .map(|p| {
                let p = p.as_ref();
                // Groups are only ever asked for over the label a line opens with, so the
                // bounded backtracker (whose cost grows with the span searched) stays cheap.
                let regex = label_regex_builder().build(p).map_err(|e| Error::Pattern {
                    pattern: p.to_string(),
                    message: regex_message(&e),
                })?;
                let group = |name| regex.group_info().to_index(PatternID::ZERO, name);
                let Some(speaker) = group("speaker") else {
                    return Err(Error::Pattern {
                        pattern: p.to_string(),
                        message: "a speaker pattern needs a named group `(?P<speaker>...)`".into(),
                    });
                };
                Ok(LabelPattern {
                    speaker,
                    time: group("time"),
                    regex,
                })
            })
            .collect::<Result<_>>()?;
        let sources: Vec<&str> = patterns_in.iter().map(AsRef::as_ref).collect();
        let any = label_regex_builder()
            .build_many(&sources)
            .map_err(|e| Error::Pattern {
                pattern: sources.join(" | "),
                message: regex_message(&e),
            })?;
        Ok(TurnPatterns { patterns, any })
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
        let mut cursor =
            crate::support::text::CharCursor::with_ascii(text, index.len_chars() == text.len());
        let close = |open: Option<(usize, Turn)>,
                     end_byte: usize,
                     turns: &mut Vec<Turn>,
                     cursor: &mut crate::support::text::CharCursor| {
            if let Some((content_start, mut turn)) = open {
                let content = text[content_start..end_byte].trim_end();
                turn.end = cursor.char_of(content_start + content.len());
                turns.push(turn);
            }
        };
        let listed: Vec<Speaker> = participants
            .iter()
            .map(|p| {
                let role = (!p.role.is_empty()).then(|| Arc::from(p.role.as_str()));
                (Arc::from(p.speaker.as_str()), role)
            })
            .collect();
        // Joint labels met so far (`A & B`), by label, each with the speaker and role it
        // stands for, so that a document's turns share them.
        let mut joint: Vec<(Box<str>, Option<Speaker>)> = Vec::new();
        // Without a list of participants every label is a speaker, shared the same way.
        let mut unlisted: Vec<Arc<str>> = Vec::new();
        let mut labels = LabelCache::new(self);
        for (line_no, line) in text.split_inclusive('\n').enumerate() {
            if let Some((speaker, time, label_len)) =
                self.label(line.trim_end_matches('\n'), &mut labels)
            {
                let speaker = speaker.trim();
                let known = listed
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(speaker))
                    .cloned()
                    .or_else(|| match joint.iter().find(|(l, _)| &**l == speaker) {
                        Some((_, found)) => found.clone(),
                        None => {
                            let found = joint_speaker(&listed, speaker);
                            joint.push((speaker.into(), found.clone()));
                            found
                        }
                    });
                if known.is_some() || participants.is_empty() {
                    let (speaker, role) = match known {
                        Some(found) => found,
                        None => {
                            let name = match unlisted.iter().find(|n| &***n == speaker) {
                                Some(name) => name.clone(),
                                None => {
                                    unlisted.push(Arc::from(speaker));
                                    unlisted[unlisted.len() - 1].clone()
                                }
                            };
                            (name, None)
                        }
                    };
                    close(open.take(), offset, &mut turns, &mut cursor);
                    let start_byte = offset + label_len;
                    open = Some((
                        start_byte,
                        Turn {
                            speaker: Some(speaker),
                            role,
                            timestamp: time.map(str::to_string),
                            start: cursor.char_of(start_byte),
                            end: 0,
                        },
                    ));
                } else {
                    warnings.push(format!(
                        "line {}: `{}` looks like a speaker label but is not among the participants",
                        first_line + line_no,
                        speaker
                    ));
                }
            }
            offset += line.len();
        }
        close(open, text.len(), &mut turns, &mut cursor);
        turns.shrink_to_fit();
        turns
    }

    /// The speaker, timestamp and length of the label `line` opens with, if any.
    fn label<'l>(
        &self,
        line: &'l str,
        labels: &mut LabelCache,
    ) -> Option<(&'l str, Option<&'l str>, usize)> {
        let head = line.as_bytes().first()?;
        if head.is_ascii_whitespace() {
            return None;
        }
        let input = Input::new(line).anchored(Anchored::Yes);
        let first = self.any.search(&input)?;
        let found = |index: usize, end: usize, labels: &mut LabelCache| {
            let groups = labels.groups(index, &self.patterns[index], &line[..end])?;
            let speaker = &line[groups.speaker.clone()];
            if speaker.trim().is_empty() {
                return None;
            }
            let time = groups.time.map(|t| &line[t]);
            // A pattern without a `time` group still keeps the timestamp of a label such as
            // `Name (00:01:02)` or `[00:01:02] Name`, as captions are converted.
            Some(match time {
                Some(time) => (speaker, Some(time)),
                None => split_timestamp(speaker),
            })
            .map(|(speaker, time)| (speaker, time, end))
        };
        found(first.pattern().as_usize(), first.end(), labels).or_else(|| {
            // The first pattern matched with an empty speaker: try the later ones alone.
            (first.pattern().as_usize() + 1..self.patterns.len()).find_map(|index| {
                let label = self.patterns[index].regex.find(input.clone())?;
                found(index, label.end(), labels)
            })
        })
    }
}

/// A speaker's name and role, shared by the turns of a document.
type Speaker = (Arc<str>, Option<Arc<str>>);

/// The listed participants a joint label names (`A & B`, `A and B`, `A/B`, `A + B`), as one
/// speaker (their listed names joined by ` & `) with their roles (distinct ones, joined the
/// same way); `None` unless every part is a listed participant.
fn joint_speaker(listed: &[Speaker], label: &str) -> Option<Speaker> {
    let mut parts = Vec::new();
    for piece in label.split(['&', '/', '+']) {
        let mut rest = piece;
        // ASCII lower-casing keeps byte offsets.
        while let Some(i) = rest.to_ascii_lowercase().find(" and ") {
            parts.push(rest[..i].trim());
            rest = &rest[i + " and ".len()..];
        }
        parts.push(rest.trim());
    }
    if parts.len() < 2 {
        return None;
    }
    let mut names: Vec<&str> = Vec::new();
    let mut roles: Vec<&str> = Vec::new();
    for part in parts {
        let (name, role) = listed
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(part))?;
        names.push(name);
        if let Some(role) = role
            && !roles.contains(&&**role)
        {
            roles.push(role);
        }
    }
    let role = (!roles.is_empty()).then(|| Arc::from(roles.join(" & ")));
    Some((Arc::from(names.join(" & ")), role))
}

/// A label's timestamp when the pattern that found it has no `time` group: `Name (01:02)`,
/// `Name [01:02]` or `[01:02] Name`. Anything else is returned whole, without a time.
fn split_timestamp(label: &str) -> (&str, Option<&str>) {
    let label = label.trim();
    for (open, close) in [('(', ')'), ('[', ']')] {
        if let Some(inner) = label.strip_suffix(close)
            && let Some(at) = inner.rfind(open)
            && is_clock(&inner[at + 1..])
            && !inner[..at].trim().is_empty()
        {
            return (inner[..at].trim(), Some(&inner[at + 1..]));
        }
    }
    if let Some(inner) = label.strip_prefix('[')
        && let Some(at) = inner.find(']')
        && is_clock(&inner[..at])
        && !inner[at + 1..].trim().is_empty()
    {
        return (inner[at + 1..].trim(), Some(&inner[..at]));
    }
    (label, None)
}

/// `01:02`, `00:01:02` or `00:01:02.500`.
fn is_clock(text: &str) -> bool {
    let (clock, fraction) = match text.split_once(['.', ',']) {
        Some((clock, fraction)) => (clock, Some(fraction)),
        None => (text, None),
    };
    let fields: Vec<&str> = clock.split(':').collect();
    (2..=3).contains(&fields.len())
        && fields
            .iter()
            .all(|f| (1..=2).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()))
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

fn label_regex_builder() -> regex_automata::meta::Builder {
    let mut builder = LabelRegex::builder();
    builder.configure(
        LabelRegex::config()
            // Room for the lazy DFA's states over wide Unicode classes, so that it does not
            // give up and leave lines to a slower engine.
            .hybrid_cache_capacity(16 << 20),
    );
    builder
}

/// Where the groups of one label lie, relative to the start of its line.
#[derive(Debug, Clone)]
struct LabelGroups {
    speaker: Range<usize>,
    time: Option<Range<usize>>,
}

/// The groups of labels already seen in one document. A transcript repeats the same few
/// labels thousands of times, and finding groups (unlike finding the label) needs a slower
/// engine than the lazy DFA.
struct LabelCache {
    captures: Vec<Captures>,
    /// Per pattern, by label text.
    seen: Vec<HashMap<Box<str>, Option<LabelGroups>>>,
}

impl LabelCache {
    fn new(patterns: &TurnPatterns) -> Self {
        LabelCache {
            captures: patterns
                .patterns
                .iter()
                .map(|p| p.regex.create_captures())
                .collect(),
            seen: vec![HashMap::new(); patterns.patterns.len()],
        }
    }

    fn groups(&mut self, index: usize, pattern: &LabelPattern, label: &str) -> Option<LabelGroups> {
        if let Some(groups) = self.seen[index].get(label) {
            return groups.clone();
        }
        let caps = &mut self.captures[index];
        pattern.regex.search_captures(&Input::new(label), caps);
        let groups = caps.get_group(pattern.speaker).map(|speaker| LabelGroups {
            speaker: speaker.range(),
            time: pattern
                .time
                .and_then(|t| caps.get_group(t))
                .map(|t| t.range()),
        });
        // Timestamped labels never repeat, so they are not worth keeping.
        if groups.as_ref().is_none_or(|g| g.time.is_none()) {
            self.seen[index].insert(label.into(), groups.clone());
        }
        groups
    }
}
