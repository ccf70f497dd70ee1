//! Positions counted by other tools, turned into positions in qualkit's normalised text.
//!
//! qualkit keeps text without a byte order mark and with LF line ends, and counts code
//! points. Exporters differ: some count a CRLF as two characters, some as one; some count a
//! leading byte order mark. Each way of counting is a [`Counting`]; [`Recount`] maps
//! positions under one of them to positions in the normalised text, and [`choose`] picks the
//! counting under which a source's selections fit its text best.

/// One way of counting positions in a text that has CRs or a byte order mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counting {
    pub bom_counted: bool,
    pub crlf_as_two: bool,
    /// UTF-16 code units instead of code points.
    pub utf16: bool,
}

impl Counting {
    /// How an import report describes it, for a text with the features that `raw` has.
    pub fn describe(self, raw: &str) -> String {
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
        if raw.chars().any(|c| c.len_utf16() == 2) {
            parts.push(if self.utf16 {
                "in UTF-16 code units (an emoji counts two)"
            } else {
                "in code points (an emoji counts one)"
            });
        }
        parts.join(", ")
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
}

/// Whether the raw text needs recounting at all.
pub fn needs_recount(raw: &str) -> bool {
    raw.starts_with('\u{feff}') || raw.contains('\r') || raw.chars().any(|c| c.len_utf16() == 2)
}

/// The position map for `raw` under `counting`. A position inside a CRLF pair lands after
/// the line break.
pub fn recount(raw: &str, counting: Counting) -> Recount {
    let mut map: Vec<u32> = Vec::with_capacity(raw.len() + 1);
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
                    map.push(normalised + 1);
                }
            }
            normalised += 1;
        } else {
            map.push(normalised);
            if counting.utf16 && c.len_utf16() == 2 {
                // A position between the two halves of a surrogate pair lands after the character.
                map.push(normalised + 1);
            }
            normalised += 1;
        }
    }
    map.push(normalised);
    Recount { map }
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

/// The counting under which the most selections whose name looks like text agree with the
/// text, none falling outside it; ties go to the earlier of [`countings`].
pub fn choose(raw: &str, normalised: &str, selections: &[Counted]) -> (Counting, Recount) {
    let chars: Vec<(usize, char)> = normalised.char_indices().collect();
    let slice = |start: usize, end: usize| -> &str {
        let byte = |p: usize| chars.get(p).map_or(normalised.len(), |&(b, _)| b);
        &normalised[byte(start)..byte(end)]
    };
    let mut best: Option<(i64, Counting, Recount)> = None;
    for counting in countings(raw) {
        let map = recount(raw, counting);
        let mut score: i64 = 0;
        for s in selections {
            match (map.position(s.start), map.position(s.end)) {
                (Some(start), Some(end)) if start <= end => {
                    if let Some(name) = s.name
                        && name_fits(name, slice(start, end))
                    {
                        score += 1;
                    }
                }
                _ => score -= 1000,
            }
        }
        if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
            best = Some((score, counting, map));
        }
    }
    let (_, counting, map) = best.expect("there are candidate countings");
    (counting, map)
}
