//! Coding queries: which text is coded with this AND that, this OR that, this but NOT
//! that, this NEAR that, this overlapping that, this in the same turn as that. Every
//! operation works on sorted passages, document by document, in one pass.

use std::collections::HashSet;

use super::{Analysis, Passage};
use crate::error::Result;

/// A coding query, built from codes with the operations below.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// Text coded with a code or any code below it.
    Code(String),
    /// Text coded by both: the overlap of the two.
    And(Box<Query>, Box<Query>),
    /// Text coded by either.
    Or(Box<Query>, Box<Query>),
    /// Text of the first that the second does not cover.
    Except(Box<Query>, Box<Query>),
    /// Passages of the first within `words` words of a passage of the second.
    Near(Box<Query>, Box<Query>, usize),
    /// Passages of the first that overlap a passage of the second, kept whole.
    Overlapping(Box<Query>, Box<Query>),
    /// Passages of the first spoken in a turn where the second also occurs.
    SameTurn(Box<Query>, Box<Query>),
}

impl Query {
    pub fn code(code: impl Into<String>) -> Query {
        Query::Code(code.into())
    }

    pub fn and(self, other: Query) -> Query {
        Query::And(Box::new(self), Box::new(other))
    }

    pub fn or(self, other: Query) -> Query {
        Query::Or(Box::new(self), Box::new(other))
    }

    pub fn except(self, other: Query) -> Query {
        Query::Except(Box::new(self), Box::new(other))
    }

    pub fn near(self, other: Query, words: usize) -> Query {
        Query::Near(Box::new(self), Box::new(other), words)
    }

    pub fn overlapping(self, other: Query) -> Query {
        Query::Overlapping(Box::new(self), Box::new(other))
    }

    pub fn same_turn(self, other: Query) -> Query {
        Query::SameTurn(Box::new(self), Box::new(other))
    }
}

impl std::fmt::Display for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Query::Code(c) => write!(f, "{c}"),
            Query::And(a, b) => write!(f, "({a} AND {b})"),
            Query::Or(a, b) => write!(f, "({a} OR {b})"),
            Query::Except(a, b) => write!(f, "({a} NOT {b})"),
            Query::Near(a, b, n) => write!(f, "({a} NEAR/{n} {b})"),
            Query::Overlapping(a, b) => write!(f, "({a} OVERLAPPING {b})"),
            Query::SameTurn(a, b) => write!(f, "({a} SAME TURN {b})"),
        }
    }
}

impl Analysis<'_> {
    /// The passages a query finds, by document and position.
    pub fn find(&self, query: &Query) -> Result<Vec<Passage>> {
        Ok(match query {
            Query::Code(code) => self.passages(code)?,
            Query::And(a, b) => intersect(&self.find(a)?, &self.find(b)?),
            Query::Or(a, b) => {
                let mut all = self.find(a)?;
                all.extend(self.find(b)?);
                all.sort_unstable_by_key(|p| (p.doc, p.start, p.end));
                super::merge(all.into_iter().map(|p| (p.doc, p.start, p.end, p.coders)))
            }
            Query::Except(a, b) => subtract(&self.find(a)?, &self.find(b)?),
            Query::Overlapping(a, b) => {
                let b = self.find(b)?;
                self.find(a)?
                    .into_iter()
                    .filter(|p| overlaps_any(&b, p))
                    .collect()
            }
            Query::Near(a, b, words) => {
                let b = self.find(b)?;
                self.find(a)?
                    .into_iter()
                    .filter(|p| self.near_any(&b, p, *words))
                    .collect()
            }
            Query::SameTurn(a, b) => {
                let turns: HashSet<(u32, usize)> = self
                    .find(b)?
                    .iter()
                    .filter_map(|p| self.turn_index(p).map(|t| (p.doc, t)))
                    .collect();
                self.find(a)?
                    .into_iter()
                    .filter(|p| {
                        self.turn_index(p)
                            .is_some_and(|t| turns.contains(&(p.doc, t)))
                    })
                    .collect()
            }
        })
    }

    fn turn_index(&self, p: &Passage) -> Option<usize> {
        let doc = &self.corpus.documents[p.doc as usize];
        let i = doc.turns.partition_point(|t| t.start <= p.start as usize);
        (i > 0 && (p.start as usize) < doc.turns[i - 1].end).then(|| i - 1)
    }

    /// Whether some passage of `others` lies within `words` words of `p` (0: touching or
    /// overlapping). The gap is counted in words that start between the two.
    fn near_any(&self, others: &[Passage], p: &Passage, words: usize) -> bool {
        let doc = &self.corpus.documents[p.doc as usize];
        let (from, to) = doc_range(others, p.doc);
        others[from..to].iter().any(|o| {
            let gap = if o.end <= p.start {
                doc.words_in(o.end as usize, p.start as usize)
            } else if p.end <= o.start {
                doc.words_in(p.end as usize, o.start as usize)
            } else {
                0
            };
            gap <= words
        })
    }
}

/// The index range of passages of document `doc` in a sorted list.
fn doc_range(passages: &[Passage], doc: u32) -> (usize, usize) {
    let from = passages.partition_point(|p| p.doc < doc);
    let to = passages.partition_point(|p| p.doc <= doc);
    (from, to)
}

fn overlaps_any(sorted: &[Passage], p: &Passage) -> bool {
    let (from, to) = doc_range(sorted, p.doc);
    let candidates = &sorted[from..to];
    // Passages are disjoint and sorted, so only the last one starting before p.end can overlap.
    let i = candidates.partition_point(|o| o.start < p.end);
    i > 0 && candidates[i - 1].end > p.start
}

/// The text covered by both lists.
fn intersect(a: &[Passage], b: &[Passage]) -> Vec<Passage> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (&a[i], &b[j]);
        if (x.doc, x.end) <= (y.doc, y.start) {
            i += 1;
            continue;
        }
        if (y.doc, y.end) <= (x.doc, x.start) {
            j += 1;
            continue;
        }
        let start = x.start.max(y.start);
        let end = x.end.min(y.end);
        if start < end {
            out.push(Passage {
                doc: x.doc,
                start,
                end,
                coders: x.coders | y.coders,
            });
        }
        if x.end <= y.end {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// The text of `a` that `b` does not cover.
fn subtract(a: &[Passage], b: &[Passage]) -> Vec<Passage> {
    let mut out = Vec::new();
    for x in a {
        let (from, to) = doc_range(b, x.doc);
        let mut start = x.start;
        for y in &b[from..to] {
            if y.end <= start {
                continue;
            }
            if y.start >= x.end {
                break;
            }
            if y.start > start {
                out.push(Passage {
                    start,
                    end: y.start,
                    ..*x
                });
            }
            start = start.max(y.end);
        }
        if start < x.end {
            out.push(Passage { start, ..*x });
        }
    }
    out
}
