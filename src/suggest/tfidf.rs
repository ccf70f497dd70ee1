//! TF-IDF vectors of passages: words by the project's word rule ([`crate::ingest::WORD_RULE`]),
//! lowercased, and pairs of neighbouring words; sublinear term frequency (1 + ln tf), smoothed
//! inverse document frequency (ln((1 + n) / (1 + df)) + 1) and unit length, as scikit-learn's
//! `TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2))` weighs them.

use std::collections::HashMap;

use rayon::prelude::*;
use xxhash_rust::xxh3::{Xxh3DefaultBuilder, xxh3_64};

use super::units::Unit;
use crate::ingest::Document;

/// A sparse vector: (feature, weight), sorted by feature.
pub type SparseVector = Vec<(u32, f32)>;

/// The terms of every unit, as ids into one dictionary of the whole corpus.
pub struct Corpus {
    /// Per unit: (term id, count), sorted by term id.
    pub units: Vec<Vec<(u32, u32)>>,
    ids: HashMap<u64, u32, Xxh3DefaultBuilder>,
}

fn word_key(word: &str) -> u64 {
    xxh3_64(word.to_lowercase().as_bytes())
}

/// A pair of words, as one key; the order matters.
fn pair_key(first: u64, second: u64) -> u64 {
    let mixed = first.rotate_left(23) ^ second.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    mixed ^ (mixed >> 29)
}

/// The term keys of a text: its words and each pair of neighbouring words.
fn term_keys(text: &str, base: usize, skip: &[std::ops::Range<usize>]) -> Vec<u64> {
    let mut keys = Vec::new();
    let mut previous: Option<u64> = None;
    crate::ingest::for_each_word(text, base, skip, |_, word| {
        let key = word_key(word);
        if let Some(before) = previous {
            keys.push(pair_key(before, key));
        }
        keys.push(key);
        previous = Some(key);
    });
    keys
}

impl Corpus {
    /// Reads the terms of `units` (sorted by document), leaving out speaker labels and markup.
    pub fn of(documents: &[Document], units: &[Unit]) -> Corpus {
        let mut by_document: Vec<&[Unit]> = Vec::new();
        let mut rest = units;
        while let Some(first) = rest.first() {
            let n = rest.partition_point(|u| u.document == first.document);
            by_document.push(&rest[..n]);
            rest = &rest[n..];
        }
        let keys: Vec<Vec<Vec<u64>>> = by_document
            .par_iter()
            .map(|units| {
                let document = &documents[units[0].document];
                let skip = document.not_said();
                units
                    .iter()
                    .map(|u| {
                        let start = document.byte_of(u.start).unwrap_or(0);
                        let end = document.byte_of(u.end).unwrap_or(document.text.len());
                        term_keys(&document.text[start..end], start, &skip)
                    })
                    .collect()
            })
            .collect();
        let mut ids: HashMap<u64, u32, Xxh3DefaultBuilder> = HashMap::default();
        let mut out = Vec::with_capacity(units.len());
        for unit_keys in keys.into_iter().flatten() {
            let mut terms: Vec<u32> = unit_keys
                .into_iter()
                .map(|key| {
                    let next = ids.len() as u32;
                    *ids.entry(key).or_insert(next)
                })
                .collect();
            out.push(counted(&mut terms));
        }
        Corpus { units: out, ids }
    }

    /// How many different terms the corpus holds.
    pub fn term_count(&self) -> usize {
        self.ids.len()
    }

    /// The terms of a text that the corpus knows (others have no weight anyway).
    pub fn terms_of(&self, text: &str) -> Vec<(u32, u32)> {
        let skip = crate::ingest::markup_ranges(text);
        let mut terms: Vec<u32> = term_keys(text, 0, &skip)
            .into_iter()
            .filter_map(|key| self.ids.get(&key).copied())
            .collect();
        counted(&mut terms)
    }
}

fn counted(terms: &mut [u32]) -> Vec<(u32, u32)> {
    terms.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for &term in terms.iter() {
        match out.last_mut() {
            Some((last, n)) if *last == term => *n += 1,
            _ => out.push((term, 1)),
        }
    }
    out
}

/// Which terms count and how much: fitted on some units (the training units of a fold).
pub struct Weighting {
    /// Per term id: its feature number + 1, or 0 where the term is left out.
    feature_of: Vec<u32>,
    idf: Vec<f32>,
}

impl Weighting {
    /// Keeps the terms found in at least `min_df` of the `fitted` units, at most `max_terms`
    /// of them (those in most units; ties by first appearance).
    pub fn fit(corpus: &Corpus, fitted: &[usize], min_df: u32, max_terms: usize) -> Weighting {
        let mut df = vec![0u32; corpus.term_count()];
        for &unit in fitted {
            for &(term, _) in &corpus.units[unit] {
                df[term as usize] += 1;
            }
        }
        let mut kept: Vec<u32> = (0..df.len() as u32)
            .filter(|&t| df[t as usize] >= min_df.max(1))
            .collect();
        if kept.len() > max_terms {
            kept.sort_by_key(|&t| (std::cmp::Reverse(df[t as usize]), t));
            kept.truncate(max_terms);
            kept.sort_unstable();
        }
        let n = fitted.len() as f32;
        let mut feature_of = vec![0u32; df.len()];
        let mut idf = Vec::with_capacity(kept.len());
        for (feature, &term) in kept.iter().enumerate() {
            feature_of[term as usize] = feature as u32 + 1;
            idf.push(((1.0 + n) / (1.0 + df[term as usize] as f32)).ln() + 1.0);
        }
        Weighting { feature_of, idf }
    }

    pub fn features(&self) -> usize {
        self.idf.len()
    }

    /// The unit-length TF-IDF vector of a unit's terms.
    pub fn vector(&self, terms: &[(u32, u32)]) -> SparseVector {
        let mut out: SparseVector = terms
            .iter()
            .filter_map(|&(term, count)| {
                let feature = *self.feature_of.get(term as usize)?;
                (feature > 0).then(|| {
                    let f = feature - 1;
                    (f, (1.0 + (count as f32).ln()) * self.idf[f as usize])
                })
            })
            .collect();
        out.sort_unstable_by_key(|&(f, _)| f);
        let norm = out.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (_, w) in &mut out {
                *w /= norm;
            }
        }
        out
    }
}

/// The dot product of two sparse vectors; their cosine, as both have unit length.
pub fn cosine(a: &[(u32, f32)], b: &[(u32, f32)]) -> f32 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    sum
}
