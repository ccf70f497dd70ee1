//! Positions counted by other tools, turned into positions in qualkit's normalised text.
//!
//! qualkit keeps text without a byte order mark and with LF line ends, and counts code
//! points. Exporters differ: some count a CRLF as two characters, some as one; some count a
//! leading byte order mark. Each way of counting is a [`Counting`]; [`Recount`] maps
//! positions under one of them to positions in the normalised text, and [`choose`] picks the
//! counting under which a source's selections fit its text best: where their names match the
//! text, and else where their ends fall on word edges (people select words, not halves of
//! them), and says how sure that choice is.

/// One way of counting positions in a text that has CRs or a byte order mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counting {
    pub bom_counted: bool,
    pub crlf_as_two: bool,
    /// UTF-16 code units instead of code points.
    pub utf16: bool,
}

impl Counting {
    /// How an import report describes it, for a text with the features that `raw` has:
    /// words that follow "positions read".
    pub fn describe(self, raw: &str) -> String {
        let unit = if !raw.chars().any(|c| c.len_utf16() == 2) {
            "in code points"
        } else if self.utf16 {
            "in UTF-16 code units (an emoji counts two)"
        } else {
            "in code points (an emoji counts one)"
        };
        let mut parts = Vec::new();
        if raw.contains("\r\n") {
            parts.push(if self.crlf_as_two {
                "CRLF line ends counted as two characters"
            } else {
                "CRLF line ends counted as one character"
            });
        }
        if raw.starts_with('\u{feff}') {
            parts.push(if self.bom_counted {
                "the byte order mark counted as a character"
            } else {
                "the byte order mark not counted"
            });
        }
        if parts.is_empty() {
            unit.to_string()
        } else {
            format!("{unit}, with {}", parts.join(" and "))
        }
    }
}

/// The candidates, most likely first: code points of the text as stored, without the byte
/// order mark (what the standard describes), then the other ways seen in practice.
pub fn countings(raw: &str) -> Vec<Counting> {
    let astral = raw.chars().any(|c| c.len_utf16() == 2);
    let mut out = Vec::new();
    for utf16 in [false, true] {
        if utf16 && !astral {
            continue;
        }
        for (bom_counted, crlf_as_two) in
            [(false, true), (true, true), (false, false), (true, false)]
        {
            out.push(Counting {
                bom_counted,
                crlf_as_two,
                utf16,
            });
        }
    }
    out
}

/// The normalised text and, for one counting, where each counted position lands in it.
pub struct Recount {
    /// `map[p]` is the normalised position of counted position `p`; `map.len()` is one more
    /// than the number of counted positions.
    map: Vec<u32>,
    /// Counted positions, in order, that fall between the two halves of a CRLF or a surrogate
    /// pair: no tool puts a selection there, so landing there says the counting is wrong.
    inside: Vec<u32>,
}

impl Recount {
    /// Counted position -> normalised position, if in range.
    pub fn position(&self, counted: i64) -> Option<usize> {
        usize::try_from(counted)
            .ok()
            .and_then(|p| self.map.get(p))
            .map(|&n| n as usize)
    }

    /// Number of counted positions (the text's length in that counting).
    pub fn len(&self) -> usize {
        self.map.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn splits_a_pair(&self, counted: i64) -> bool {
        u32::try_from(counted).is_ok_and(|p| self.inside.binary_search(&p).is_ok())
    }
}

/// Whether the raw text needs recounting at all.
pub fn needs_recount(raw: &str) -> bool {
    raw.starts_with('\u{feff}') || raw.contains('\r') || raw.chars().any(|c| c.len_utf16() == 2)
}

/// The position map for `raw` under `counting`. A position inside a CRLF pair lands after
/// the line break.
pub fn recount(raw: &str, counting: Counting) -> Recount {
    let mut map: Vec<u32> = Vec::with_capacity(raw.len() + 1);
    let mut inside: Vec<u32> = Vec::new();
    let mut normalised: u32 = 0;
    let mut chars = raw.chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        if first && c == '\u{feff}' {
            first = false;
            if counting.bom_counted {
                map.push(0);
            }
            continue;
        }
        first = false;
        if c == '\r' {
            map.push(normalised);
            if chars.peek() == Some(&'\n') {
                chars.next();
                if counting.crlf_as_two {
                    inside.push(map.len() as u32);
                    map.push(normalised + 1);
                }
            }
            normalised += 1;
        } else {
            map.push(normalised);
            if counting.utf16 && c.len_utf16() == 2 {
                // A position between the two halves of a surrogate pair lands after the character.
                inside.push(map.len() as u32);
                map.push(normalised + 1);
            }
            normalised += 1;
        }
    }
    map.push(normalised);
    Recount { map, inside }
}

/// Whether a selection's `name` (often the start of its text, sometimes shortened with an
/// ellipsis) agrees with the text it points at.
pub fn name_fits(name: &str, text: &str) -> bool {
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let trimmed = name.trim();
    let shortened = trimmed
        .strip_suffix('…')
        .or_else(|| trimmed.strip_suffix("..."))
        .unwrap_or(trimmed);
    let name = squash(shortened);
    !name.is_empty() && squash(text).starts_with(&name)
}

/// A selection as counted by the file: positions and the name it carries.
pub struct Counted<'a> {
    pub start: i64,
    pub end: i64,
    pub name: Option<&'a str>,
}

/// The counting chosen for a source, and how sure the choice is.
pub struct Choice {
    pub counting: Counting,
    pub map: Recount,
    /// Selections that fit the text this way: their names match it, or (without names) both
    /// ends fall on word edges.
    pub fitting: usize,
    pub selections: usize,
    /// The most selections that fit under a counting that puts some of them elsewhere, and
    /// whether that counting scored as well as the chosen one; `None` when every counting
    /// puts every selection in the same place.
    pub other: Option<(usize, bool)>,
}

impl Choice {
    /// "sure", "fairly sure" or "unsure", with the evidence, for the import report.
    pub fn confidence(&self) -> String {
        let n = self.selections;
        let fit = self.fitting;
        match self.other {
            None => format!(
                "sure: every way of counting puts the {n} selections in the same place, {fit} of them on word edges"
            ),
            Some((_, true)) => format!(
                "unsure: another way of counting fits the selections as well ({fit} of {n} fit this way)"
            ),
            Some((other, false)) => {
                let word = if fit * 5 >= n * 4 && fit > other {
                    "sure"
                } else {
                    "fairly sure"
                };
                format!(
                    "{word}: {fit} of {n} selections fall on word edges or match their names this way, at most {other} another way"
                )
            }
        }
    }

    /// Whether no counting fits: fewer than half of the selections fit the chosen one.
    pub fn fits_poorly(&self) -> bool {
        self.selections > 0 && self.fitting * 2 < self.selections
    }

    /// Whether another counting is as good and puts selections elsewhere.
    pub fn ambiguous(&self) -> bool {
        matches!(self.other, Some((_, true)))
    }
}

/// How a selection's ends sit in the text under one counting: a score (higher is likelier:
/// 10 for a name that matches, else up to 3 for each end) and whether it fits.
fn judge(map: &Recount, text: &[char], s: &Counted) -> Option<(i64, bool)> {
    let (start, end) = match (map.position(s.start), map.position(s.end)) {
        (Some(a), Some(b)) if a <= b => (a, b),
        _ => return None,
    };
    let name = s.name.map(str::trim).filter(|n| !n.is_empty());
    if let Some(name) = name {
        let there: String = text[start..end].iter().collect();
        if name_fits(name, &there) {
            return Some((10, true));
        }
    }
    let word = |p: usize| text.get(p).is_some_and(|c| c.is_alphanumeric());
    let space = |p: usize| text.get(p).is_some_and(|c| c.is_whitespace());
    // 3: at a word's start after a space; 2: another word edge; 1: on a space; 0: mid-word.
    let start_score = if map.splits_a_pair(s.start) {
        0
    } else if start >= text.len() || space(start) {
        1
    } else if start == 0 || space(start - 1) {
        3
    } else if !(word(start - 1) && word(start)) {
        2
    } else {
        0
    };
    let end_score = if map.splits_a_pair(s.end) {
        0
    } else if end == 0 || space(end - 1) {
        1
    } else if end >= text.len() || space(end) {
        3
    } else if !(word(end - 1) && word(end)) {
        2
    } else {
        0
    };
    let fits = start_score > 0 && end_score > 0 && name.is_none_or(|n| n.chars().count() < 12);
    Some((start_score + end_score, fits))
}

/// The counting under which the selections fit the text best (see [`judge`]), none falling
/// outside it; ties go to the earlier of [`countings`].
pub fn choose(raw: &str, normalised: &str, selections: &[Counted]) -> Choice {
    let text: Vec<char> = normalised.chars().collect();
    // (score, fitting, where each selection lands, counting, map)
    type Tried = (i64, usize, Vec<Option<(usize, usize)>>, Counting, Recount);
    let mut tried: Vec<Tried> = Vec::new();
    for counting in countings(raw) {
        let map = recount(raw, counting);
        let mut score: i64 = 0;
        let mut fitting = 0;
        let mut places = Vec::with_capacity(selections.len());
        for s in selections {
            places.push(map.position(s.start).zip(map.position(s.end)));
            match judge(&map, &text, s) {
                Some((points, fits)) => {
                    score += points;
                    fitting += usize::from(fits);
                }
                None => score -= 1000,
            }
        }
        tried.push((score, fitting, places, counting, map));
    }
    let best = (0..tried.len())
        .rev()
        .max_by_key(|&i| tried[i].0)
        .expect("there are candidate countings");
    let other = tried
        .iter()
        .enumerate()
        .filter(|(i, t)| *i != best && t.2 != tried[best].2)
        .map(|(_, t)| (t.1, t.0 >= tried[best].0))
        .reduce(|a, b| (a.0.max(b.0), a.1 || b.1));
    let (_, fitting, _, counting, map) = tried.swap_remove(best);
    Choice {
        counting,
        map,
        fitting,
        selections: selections.len(),
        other,
    }
}
