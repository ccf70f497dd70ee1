//! Finding codings again after their document's text changed (a corrected transcript
//! re-imported, or edited on disk).
//!
//! Each coding is placed by the best evidence there is, in this order:
//! 1. the text it was coded on, mapped through a diff of the old and new text (exact wherever
//!    its words survived, whatever changed around them);
//! 2. its stored quote, found again in the new text, nearest its expected place (a moved
//!    paragraph, or no old text to diff against);
//! 3. most of its words, found together near its expected place (a word changed inside it).
//!
//! A coding none of these finds is *detached*: the caller keeps it with its quote and shows
//! it, and never drops or guesses it into place.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;
use similar::{Algorithm, DiffOp, capture_diff_slices_deadline};

use crate::support::text::CharIndex;

/// Where a coding was, and the text it covered there.
#[derive(Debug, Clone, Copy)]
pub struct Anchor<'a> {
    pub start: usize,
    pub end: usize,
    /// The text at `start..end` when it was last written; empty if unknown.
    pub quote: &'a str,
}

/// Where a coding is in the new text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Placement {
    /// Same place, same text.
    Unchanged,
    /// The same text at another place.
    Moved { start: usize, end: usize },
    /// Its text was edited; this is where most of it is now.
    TextChanged { start: usize, end: usize },
    /// Its text is gone.
    Detached,
}

impl Placement {
    /// The span in the new text, for a coding that has one.
    pub fn span(&self, anchor: &Anchor) -> Option<(usize, usize)> {
        match *self {
            Placement::Unchanged => Some((anchor.start, anchor.end)),
            Placement::Moved { start, end } | Placement::TextChanged { start, end } => {
                Some((start, end))
            }
            Placement::Detached => None,
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Placement::Unchanged => "unchanged",
            Placement::Moved { .. } => "moved",
            Placement::TextChanged { .. } => "text changed",
            Placement::Detached => "detached",
        }
    }
}

/// How many codings each kind of placement got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub unchanged: usize,
    pub moved: usize,
    pub text_changed: usize,
    pub detached: usize,
}

impl Counts {
    pub fn of(placements: &[Placement]) -> Counts {
        let mut counts = Counts::default();
        for p in placements {
            match p {
                Placement::Unchanged => counts.unchanged += 1,
                Placement::Moved { .. } => counts.moved += 1,
                Placement::TextChanged { .. } => counts.text_changed += 1,
                Placement::Detached => counts.detached += 1,
            }
        }
        counts
    }

    pub fn add(&mut self, other: Counts) {
        self.unchanged += other.unchanged;
        self.moved += other.moved;
        self.text_changed += other.text_changed;
        self.detached += other.detached;
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} unchanged, {} moved, {} with changed text, {} detached",
            self.unchanged, self.moved, self.text_changed, self.detached
        )
    }
}

/// A diff gives up refining after this long and treats what is left as replaced: the quote
/// search then places what it can.
const DIFF_DEADLINE: Duration = Duration::from_secs(5);

/// How far from its expected place (in code points, either way) the words of an edited
/// coding are looked for.
const WORD_SEARCH_RADIUS: usize = 4000;

/// Places every anchor in `new`. `old` is the text the anchors were made on, if known.
pub fn reanchor(old: Option<&str>, new: &str, anchors: &[Anchor]) -> Vec<Placement> {
    let new_index = CharIndex::new(new);
    let mapping = old.map(|old| (old, CharIndex::new(old), Mapping::between(old, new)));
    let new_text = Text {
        text: new,
        index: &new_index,
    };
    anchors
        .iter()
        .map(|anchor| match &mapping {
            Some((old, old_index, mapping)) => {
                let old_text = Text {
                    text: old,
                    index: old_index,
                };
                place_with_diff(anchor, &old_text, mapping, &new_text)
            }
            None => place_by_quote(anchor, anchor.quote, anchor.start, &new_text),
        })
        .collect()
}

struct Text<'t> {
    text: &'t str,
    index: &'t CharIndex,
}

impl Text<'_> {
    fn slice(&self, start: usize, end: usize) -> Option<&str> {
        self.index.slice(self.text, start, end)
    }
}

fn place_with_diff(anchor: &Anchor, old: &Text, mapping: &Mapping, new: &Text) -> Placement {
    let old_quote = old.slice(anchor.start, anchor.end);
    // The stored quote says what was coded; an old text that disagrees with it is not the
    // text the coding was made on, so only the quote can place it.
    let quote = match old_quote {
        Some(q) if anchor.quote.is_empty() || q == anchor.quote => q,
        _ => return place_by_quote(anchor, anchor.quote, anchor.start, new),
    };
    if anchor.end <= anchor.start {
        return Placement::Detached;
    }
    if let Some(start) = mapping.within_equal(anchor.start, anchor.end) {
        let end = start + (anchor.end - anchor.start);
        return at(anchor, start, end, false);
    }
    let expected = mapping.floor(anchor.start);
    let (start, end) = (expected, mapping.ceil(anchor.end).max(expected));
    if let Some(text) = new.slice(start, end)
        && end > start
    {
        if text == quote {
            return at(anchor, start, end, false);
        }
        // An end that survived stays; one inside an edit is trimmed to the coding's words.
        if let Some((s, e)) = most_words_in(quote, new, start, end) {
            let s = if mapping.survives(anchor.start) {
                start
            } else {
                s
            };
            let e = if mapping.survives(anchor.end - 1) {
                end
            } else {
                e
            };
            return at(anchor, s, e, true);
        }
    }
    place_by_quote(anchor, quote, expected, new)
}

fn at(anchor: &Anchor, start: usize, end: usize, text_changed: bool) -> Placement {
    if text_changed {
        Placement::TextChanged { start, end }
    } else if (start, end) == (anchor.start, anchor.end) {
        Placement::Unchanged
    } else {
        Placement::Moved { start, end }
    }
}

/// Places a coding by its quote alone: where it is, nearest `expected`; else where most of
/// its words are, near `expected`.
fn place_by_quote(anchor: &Anchor, quote: &str, expected: usize, new: &Text) -> Placement {
    if quote.is_empty() {
        // Nothing to check the place against: a span that still fits is kept where it is.
        return match new.slice(anchor.start, anchor.end) {
            Some(_) if anchor.end > anchor.start => Placement::Unchanged,
            _ => Placement::Detached,
        };
    }
    if new.slice(anchor.start, anchor.end) == Some(quote) {
        return Placement::Unchanged;
    }
    if let Some(start) = nearest_occurrence(new, quote, expected) {
        let end = start + quote.chars().count();
        return at(anchor, start, end, false);
    }
    let from = expected.saturating_sub(WORD_SEARCH_RADIUS);
    let to = (expected + quote.chars().count() + WORD_SEARCH_RADIUS).min(new.index.len_chars());
    match best_word_window(quote, new, from, to) {
        Some((start, end)) => at(anchor, start, end, true),
        None => Placement::Detached,
    }
}

/// The occurrence of `quote` in the new text whose start is nearest `expected`.
fn nearest_occurrence(new: &Text, quote: &str, expected: usize) -> Option<usize> {
    let expected_byte = new
        .index
        .byte_of(new.text, expected.min(new.index.len_chars()))
        .unwrap_or(new.text.len());
    let mut best: Option<usize> = None;
    // Scan outwards from the expected place: the nearest hit is usually close.
    let mut search_from = 0;
    while let Some(found) = new.text[search_from..].find(quote) {
        let byte = search_from + found;
        let closer = best.is_none_or(|b| byte.abs_diff(expected_byte) < b.abs_diff(expected_byte));
        if closer {
            best = Some(byte);
        } else if byte > expected_byte {
            break;
        }
        search_from = byte + new.text[byte..].chars().next().map_or(1, char::len_utf8);
    }
    best.map(|byte| new.index.char_of(new.text, byte))
}

/// A word of a text: its lower-cased form and its code point span.
struct Word {
    key: String,
    start: usize,
    end: usize,
}

fn words(text: &str, base: usize) -> Vec<Word> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    let mut pos = base;
    for c in text.chars() {
        if crate::ingest::is_word_char(c) {
            match &mut current {
                Some((_, key)) => key.extend(c.to_lowercase()),
                None => current = Some((pos, c.to_lowercase().collect())),
            }
        } else if let Some((start, key)) = current.take() {
            out.push(Word {
                key,
                start,
                end: pos,
            });
        }
        pos += 1;
    }
    if let Some((start, key)) = current {
        out.push(Word {
            key,
            start,
            end: pos,
        });
    }
    out
}

/// The words of a quote, counted.
fn word_bag(quote: &str) -> (HashMap<String, usize>, usize) {
    let mut bag = HashMap::new();
    let list = words(quote, 0);
    for w in &list {
        *bag.entry(w.key.clone()).or_insert(0) += 1;
    }
    (bag, list.len())
}

/// Whether `found` of a quote's `total` words are "most of its words", in a stretch of
/// `span_words` words: more than half, in a stretch not much longer than the quote. Quotes
/// of one or two words must be found whole: by the quote search, not here.
fn is_most(found: usize, total: usize, span_words: usize) -> bool {
    total >= 3 && found * 2 > total && span_words <= total + total / 2 + 2
}

/// Within `start..end` of the new text, the stretch from the first to the last of the
/// quote's words, if it holds most of them.
fn most_words_in(quote: &str, new: &Text, start: usize, end: usize) -> Option<(usize, usize)> {
    let (mut bag, total) = word_bag(quote);
    let text = new.slice(start, end)?;
    let found: Vec<Word> = words(text, start)
        .into_iter()
        .filter(|w| match bag.get_mut(&w.key) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        })
        .collect();
    let (first, last) = (found.first()?, found.last()?);
    let span_words = words(new.slice(first.start, last.end)?, 0).len();
    is_most(found.len(), total, span_words).then_some((first.start, last.end))
}

/// The window of the quote's length in words, within `from..to` of the new text, that holds
/// the most of the quote's words, trimmed to the first and last of them; if it holds most.
fn best_word_window(quote: &str, new: &Text, from: usize, to: usize) -> Option<(usize, usize)> {
    let (bag, total) = word_bag(quote);
    if total < 3 {
        return None;
    }
    let region = words(new.slice(from, to)?, from);
    let width = total.min(region.len());
    if width == 0 {
        return None;
    }
    // Counts of the quote's words in the sliding window, capped by how often the quote has
    // each: `matched` is the size of the multiset intersection.
    let mut in_window: HashMap<&str, usize> = HashMap::new();
    let mut matched = 0usize;
    let mut best: Option<(usize, usize)> = None; // (matched, window start)
    for i in 0..region.len() {
        let key = region[i].key.as_str();
        if let Some(&want) = bag.get(key) {
            let n = in_window.entry(key).or_insert(0);
            *n += 1;
            if *n <= want {
                matched += 1;
            }
        }
        if i >= width {
            let gone = region[i - width].key.as_str();
            if let Some(&want) = bag.get(gone) {
                let n = in_window.get_mut(gone).expect("counted when it entered");
                if *n <= want {
                    matched -= 1;
                }
                *n -= 1;
            }
        }
        if i + 1 >= width && best.is_none_or(|(m, _)| matched > m) {
            best = Some((matched, i + 1 - width));
        }
    }
    let (found, first) = best?;
    let window = &region[first..first + width];
    let first_hit = window.iter().position(|w| bag.contains_key(&w.key))?;
    let last_hit = window.iter().rposition(|w| bag.contains_key(&w.key))?;
    is_most(found, total, last_hit - first_hit + 1)
        .then(|| (window[first_hit].start, window[last_hit].end))
}

/// Where each stretch of the old text that survived unchanged is in the new text.
struct Mapping {
    /// `(old start, new start, length)` in code points, in increasing order of both starts.
    equal: Vec<(usize, usize, usize)>,
    new_len: usize,
}

impl Mapping {
    /// Diffs by lines first, so that a long transcript costs little, then by characters
    /// within each changed block of lines.
    fn between(old: &str, new: &str) -> Mapping {
        let deadline = Instant::now() + DIFF_DEADLINE;
        let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
        let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
        let chars = |lines: &[&str]| -> Vec<usize> {
            let mut starts = Vec::with_capacity(lines.len() + 1);
            let mut at = 0;
            starts.push(0);
            for line in lines {
                at += line.chars().count();
                starts.push(at);
            }
            starts
        };
        let old_starts = chars(&old_lines);
        let new_starts = chars(&new_lines);
        let ops =
            capture_diff_slices_deadline(Algorithm::Myers, &old_lines, &new_lines, Some(deadline));
        let mut equal = Vec::new();
        let mut changed: Option<(std::ops::Range<usize>, std::ops::Range<usize>)> = None;
        let flush = |changed: &mut Option<(std::ops::Range<usize>, std::ops::Range<usize>)>,
                     equal: &mut Vec<(usize, usize, usize)>| {
            if let Some((o, n)) = changed.take()
                && !o.is_empty()
                && !n.is_empty()
            {
                let old_chars: Vec<char> = old_lines[o.clone()].concat().chars().collect();
                let new_chars: Vec<char> = new_lines[n.clone()].concat().chars().collect();
                let (ob, nb) = (old_starts[o.start], new_starts[n.start]);
                for op in capture_diff_slices_deadline(
                    Algorithm::Myers,
                    &old_chars,
                    &new_chars,
                    Some(deadline),
                ) {
                    if let DiffOp::Equal {
                        old_index,
                        new_index,
                        len,
                    } = op
                    {
                        equal.push((ob + old_index, nb + new_index, len));
                    }
                }
            }
        };
        for op in ops {
            let (tag, o, n) = op.as_tag_tuple();
            if tag == similar::DiffTag::Equal {
                flush(&mut changed, &mut equal);
                let len = old_starts[o.end] - old_starts[o.start];
                equal.push((old_starts[o.start], new_starts[n.start], len));
            } else {
                changed = Some(match changed.take() {
                    Some((co, cn)) => (co.start.min(o.start)..co.end.max(o.end), {
                        // An insertion has an empty range at its place: keep the block whole.
                        cn.start.min(n.start)..cn.end.max(n.end)
                    }),
                    None => (o, n),
                });
            }
        }
        flush(&mut changed, &mut equal);
        equal.retain(|e| e.2 > 0);
        Mapping {
            equal,
            new_len: *new_starts.last().unwrap_or(&0),
        }
    }

    /// The stretch that holds old code point `pos`, if it survived.
    fn segment_of(&self, pos: usize) -> Option<&(usize, usize, usize)> {
        let i = self.equal.partition_point(|e| e.0 <= pos);
        self.equal[..i].last().filter(|e| pos < e.0 + e.2)
    }

    fn survives(&self, pos: usize) -> bool {
        self.segment_of(pos).is_some()
    }

    /// If old `start..end` survived whole, in one piece: its new start.
    fn within_equal(&self, start: usize, end: usize) -> Option<usize> {
        let e = self.segment_of(start)?;
        (end <= e.0 + e.2).then(|| e.1 + (start - e.0))
    }

    /// New position of old `pos` if it survived; else the start of what replaced it.
    fn floor(&self, pos: usize) -> usize {
        let i = self.equal.partition_point(|e| e.0 <= pos);
        match self.equal[..i].last() {
            Some(e) if pos < e.0 + e.2 => e.1 + (pos - e.0),
            Some(e) => e.1 + e.2,
            None => 0,
        }
    }

    /// New position of old exclusive end `pos` if the code point before it survived; else
    /// the end of what replaced it.
    fn ceil(&self, pos: usize) -> usize {
        if pos == 0 {
            return 0;
        }
        let last = pos - 1;
        let i = self.equal.partition_point(|e| e.0 <= last);
        match self.equal[..i].last() {
            Some(e) if last < e.0 + e.2 => e.1 + (last - e.0) + 1,
            _ => self.equal.get(i).map_or(self.new_len, |e| e.1),
        }
    }
}
