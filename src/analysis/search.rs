//! Text search with keyword-in-context, and word frequencies by any dimension.

use std::collections::{BTreeMap, HashMap, HashSet};

use rayon::prelude::*;

use super::Corpus;
use super::{Dimension, sections};
use crate::analysis::table::{Table, Values};
use crate::coding::autocode::Search;
use crate::error::Result;
use crate::ingest::for_each_word;

/// Common English function words, left out of word frequencies unless asked for.
pub const STOPWORDS: &[&str] = &[
    "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at",
    "be", "because", "been", "before", "being", "but", "by", "can", "could", "did", "do", "does",
    "doing", "don't", "down", "each", "even", "few", "for", "from", "get", "got", "had", "has",
    "have", "having", "he", "her", "here", "hers", "him", "his", "how", "i", "i'm", "if", "in",
    "into", "is", "it", "it's", "its", "just", "know", "like", "me", "mean", "more", "most", "my",
    "no", "nor", "not", "now", "of", "off", "oh", "ok", "okay", "on", "once", "one", "only", "or",
    "other", "our", "ours", "out", "over", "own", "quite", "really", "right", "said", "same",
    "say", "she", "should", "so", "some", "such", "than", "that", "that's", "the", "their",
    "theirs", "them", "then", "there", "there's", "these", "they", "they're", "thing", "things",
    "think", "this", "those", "through", "to", "too", "um", "under", "until", "up", "us", "very",
    "was", "we", "we're", "well", "were", "what", "when", "where", "which", "while", "who", "whom",
    "why", "will", "with", "would", "yeah", "yes", "you", "you're", "your", "yours", "i'd", "i've",
    "i'll", "we've", "we'd", "we'll", "you've", "you'd", "they've", "they'd", "he's", "she's",
    "didn't", "doesn't", "wasn't", "isn't", "aren't", "can't", "couldn't", "wouldn't", "won't",
    "haven't", "hasn't", "let's", "what's",
];

/// Options for [`word_frequencies`].
#[derive(Debug, Clone)]
pub struct WordOptions {
    /// Group counts by this dimension (a case attribute, phase, role...).
    pub by: Option<Dimension>,
    pub keep_stopwords: bool,
    /// Words shorter than this (in characters) are left out.
    pub min_length: usize,
    /// Keep only the most frequent words of each group.
    pub top: Option<usize>,
    /// Count transcript markup and speaker labels as words; `None` follows the project
    /// (`[words] count_markup`). See [`crate::ingest::WORD_RULE`].
    pub markup: Option<bool>,
}

impl Default for WordOptions {
    fn default() -> Self {
        WordOptions {
            by: None,
            keep_stopwords: false,
            min_length: 2,
            top: None,
            markup: None,
        }
    }
}

/// Every match of a search, with `width` characters of context either side.
pub fn keyword_in_context(corpus: &Corpus, search: &Search, width: usize) -> Result<Table> {
    let regex = search.compile()?;
    // (document, start, end) in code points and in bytes: context is cut by walking from
    // the match's bytes, not by converting code points back to bytes.
    type Hit = (usize, usize, usize, usize, usize);
    let hits: Vec<Hit> = corpus
        .documents
        .par_iter()
        .enumerate()
        .flat_map_iter(|(d, doc)| {
            let mut cursor = doc.char_cursor();
            regex
                .find_iter(&doc.text)
                .filter(|m| !m.is_empty())
                .map(|m| {
                    let (start, end) = (cursor.char_of(m.start()), cursor.char_of(m.end()));
                    (d, start, end, m.start(), m.end())
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let docs = corpus.documents;
    let text = |f: &(dyn Fn(&Hit) -> String + Sync)| {
        Values::Text(hits.par_iter().map(|h| Some(f(h))).collect())
    };
    // Each hit's turn, looked up once for both its speaker and its role.
    let turns: Vec<Option<&crate::ingest::Turn>> =
        hits.par_iter().map(|h| docs[h.0].turn_at(h.1)).collect();
    let of_turn = |label: fn(&crate::ingest::Turn) -> Option<&str>| {
        Values::Text(
            turns
                .par_iter()
                .map(|t| Some(t.and_then(label).unwrap_or(super::NONE).to_string()))
                .collect(),
        )
    };
    // Context stops at the edges of the match's speaker turn, so it never shows the next
    // speaker's label or timestamp; where the document has no turns, at a blank line.
    let bounds = |h: &Hit| -> (usize, usize) {
        let doc = &docs[h.0];
        match doc.turn_at(h.1) {
            Some(turn) => (
                doc.byte_of(turn.start).unwrap_or(0).min(h.3),
                doc.byte_of(turn.end).unwrap_or(doc.text.len()).max(h.4),
            ),
            None => (0, doc.text.len()),
        }
    };
    let paragraph_start = |before: &str| before.rfind("\n\n").map_or(0, |i| i + 2);
    let paragraph_end = |after: &str| after.find("\n\n").unwrap_or(after.len());
    let columns = vec![
        ("document".to_string(), text(&|h| docs[h.0].id.clone())),
        ("case".to_string(), text(&|h| docs[h.0].case.clone())),
        ("phase".to_string(), text(&|h| docs[h.0].phase.clone())),
        ("speaker".to_string(), of_turn(|t| t.speaker.as_deref())),
        ("role".to_string(), of_turn(|t| t.role.as_deref())),
        (
            "start".to_string(),
            Values::Integer(hits.iter().map(|h| Some(h.1 as i64)).collect()),
        ),
        (
            "end".to_string(),
            Values::Integer(hits.iter().map(|h| Some(h.2 as i64)).collect()),
        ),
        (
            "left".to_string(),
            text(&|h| {
                let (from, _) = bounds(h);
                let before = &docs[h.0].text[from..h.3];
                let from = before
                    .char_indices()
                    .rev()
                    .take(width)
                    .last()
                    .map_or(before.len(), |(b, _)| b);
                let before = &before[from..];
                super::matrix::one_line(&before[paragraph_start(before)..])
            }),
        ),
        (
            "match".to_string(),
            text(&|h| docs[h.0].text[h.3..h.4].to_string()),
        ),
        (
            "right".to_string(),
            text(&|h| {
                let (_, to) = bounds(h);
                let after = &docs[h.0].text[h.4..to];
                let to = after
                    .char_indices()
                    .nth(width)
                    .map_or(after.len(), |(b, _)| b);
                let after = &after[..to];
                super::matrix::one_line(&after[..paragraph_end(after)])
            }),
        ),
    ];
    Ok(Table::new(columns)?.with_title(format!("{} matches", hits.len())))
}

/// How often each word occurs (lower-cased), overall or per group: count, documents it
/// occurs in, and occurrences per 1,000 words of the group's text. Words are counted by
/// [`crate::ingest::WORD_RULE`]: by default speaker labels and bracketed markup
/// (`[inaudible]`) are neither listed nor counted in the denominators.
pub fn word_frequencies(corpus: &Corpus, options: &WordOptions) -> Result<Table> {
    let stop: HashSet<&str> = if options.keep_stopwords {
        HashSet::new()
    } else {
        STOPWORDS.iter().copied().collect()
    };
    type Counts = HashMap<String, HashMap<String, (usize, HashSet<usize>)>>;
    let per_document: Vec<(Counts, HashMap<String, usize>)> = corpus
        .documents
        .par_iter()
        .enumerate()
        .map(|(d, doc)| {
            let mut counts: Counts = HashMap::new();
            let mut totals: HashMap<String, usize> = HashMap::new();
            let markup = options.markup.unwrap_or(doc.counts_markup());
            let skip = if markup { Vec::new() } else { doc.not_said() };
            for (start, end, inside) in sections(doc) {
                let group = match &options.by {
                    Some(dim) => dim.value(corpus, doc, inside),
                    None => String::new(),
                };
                let (Some(from), Some(to)) = (doc.byte_of(start), doc.byte_of(end)) else {
                    continue;
                };
                let group_counts = counts.entry(group.clone()).or_default();
                let mut words = 0;
                for_each_word(&doc.text[from..to], from, &skip, |_, word| {
                    words += 1;
                    let lower = word.to_lowercase().replace('’', "'");
                    if lower.chars().count() < options.min_length
                        || stop.contains(lower.as_str())
                        || lower.chars().all(|c| c.is_numeric())
                    {
                        return;
                    }
                    let entry = group_counts.entry(lower).or_default();
                    entry.0 += 1;
                    entry.1.insert(d);
                });
                *totals.entry(group).or_default() += words;
            }
            (counts, totals)
        })
        .collect();
    let mut counts: BTreeMap<String, HashMap<String, (usize, HashSet<usize>)>> = BTreeMap::new();
    let mut totals: HashMap<String, usize> = HashMap::new();
    for (doc_counts, doc_totals) in per_document {
        for (group, words) in doc_counts {
            let merged = counts.entry(group).or_default();
            for (word, (n, docs)) in words {
                let entry = merged.entry(word).or_default();
                entry.0 += n;
                entry.1.extend(docs);
            }
        }
        for (group, n) in doc_totals {
            *totals.entry(group).or_default() += n;
        }
    }
    let group_order: Vec<String> = match &options.by {
        Some(dim) => dim.values(corpus),
        None => vec![String::new()],
    };
    let mut rows: Vec<(String, String, usize, usize, f64)> = Vec::new();
    for group in group_order {
        let Some(words) = counts.remove(&group) else {
            continue;
        };
        let total = totals.get(&group).copied().unwrap_or(0).max(1);
        let mut list: Vec<(String, usize, usize)> = words
            .into_iter()
            .map(|(w, (n, docs))| (w, n, docs.len()))
            .collect();
        list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        if let Some(top) = options.top {
            list.truncate(top);
        }
        for (word, n, docs) in list {
            rows.push((
                group.clone(),
                word,
                n,
                docs,
                n as f64 * 1000.0 / total as f64,
            ));
        }
    }
    let mut columns = Vec::new();
    if let Some(dim) = &options.by {
        columns.push((
            dim.label().to_string(),
            Values::Text(rows.iter().map(|r| Some(r.0.clone())).collect()),
        ));
    }
    columns.extend([
        (
            "word".to_string(),
            Values::Text(rows.iter().map(|r| Some(r.1.clone())).collect()),
        ),
        (
            "count".to_string(),
            Values::Integer(rows.iter().map(|r| Some(r.2 as i64)).collect()),
        ),
        (
            "documents".to_string(),
            Values::Integer(rows.iter().map(|r| Some(r.3 as i64)).collect()),
        ),
        (
            "per_1000_words".to_string(),
            Values::Number(rows.iter().map(|r| Some(r.4)).collect()),
        ),
    ]);
    Table::new(columns)
}
