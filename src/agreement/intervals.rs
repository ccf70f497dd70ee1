//! Sets of character positions kept as sorted, disjoint intervals, and the arithmetic that
//! span agreement needs: lengths, intersections, differences and how many coders cover each
//! stretch. Every operation walks the interval lists once; no position is ever visited one
//! by one, so comparing a million-character corpus costs what comparing its codings costs.

/// Code points `start..end` (end exclusive).
pub type Interval = (usize, usize);

/// A set of code point positions: sorted, disjoint intervals, neither empty nor touching
/// (touching intervals are one stretch of the set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntervalSet(Vec<Interval>);

impl IntervalSet {
    /// The positions covered by any of `spans` (in any order, overlapping or not), cut to
    /// `0..limit`.
    pub fn covering(spans: impl IntoIterator<Item = Interval>, limit: usize) -> IntervalSet {
        let mut spans: Vec<Interval> = spans
            .into_iter()
            .map(|(s, e)| (s.min(limit), e.min(limit)))
            .filter(|(s, e)| s < e)
            .collect();
        spans.sort_unstable();
        let mut out: Vec<Interval> = Vec::with_capacity(spans.len());
        for (start, end) in spans {
            match out.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => out.push((start, end)),
            }
        }
        IntervalSet(out)
    }

    pub fn intervals(&self) -> &[Interval] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many positions the set holds.
    pub fn len(&self) -> usize {
        self.0.iter().map(|(s, e)| e - s).sum()
    }

    /// The positions in both sets.
    pub fn intersection(&self, other: &IntervalSet) -> IntervalSet {
        let (a, b) = (&self.0, &other.0);
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        while i < a.len() && j < b.len() {
            let start = a[i].0.max(b[j].0);
            let end = a[i].1.min(b[j].1);
            if start < end {
                out.push((start, end));
            }
            if a[i].1 < b[j].1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        IntervalSet(out)
    }

    /// The positions in this set and not in `other`.
    pub fn difference(&self, other: &IntervalSet) -> IntervalSet {
        let mut out = Vec::new();
        let b = &other.0;
        let mut j = 0;
        for &(start, end) in &self.0 {
            // Intervals of `other` ending at or before `start` can cut nothing from here on.
            while j < b.len() && b[j].1 <= start {
                j += 1;
            }
            let mut at = start;
            let mut k = j;
            while k < b.len() && b[k].0 < end {
                if b[k].0 > at {
                    out.push((at, b[k].0));
                }
                at = at.max(b[k].1);
                k += 1;
            }
            if at < end {
                out.push((at, end));
            }
        }
        IntervalSet(out)
    }
}

/// The stretches covered by at least `at_least` of the given spans, as maximal runs. Spans
/// that overlap join into one run; where a span ends exactly where another begins and the
/// count would fall below `at_least` without the one ending, the run is cut there, so
/// neighbouring codings stay separate codings.
pub fn covered_by_at_least(spans: &[Interval], at_least: usize) -> Vec<Interval> {
    if at_least == 0 {
        return Vec::new();
    }
    // Ends sort before starts at the same position (-1 < +1): touching spans do not join.
    let mut events: Vec<(usize, i32)> = Vec::with_capacity(spans.len() * 2);
    for &(start, end) in spans.iter().filter(|(s, e)| s < e) {
        events.push((start, 1));
        events.push((end, -1));
    }
    events.sort_unstable();
    let mut out = Vec::new();
    let mut depth: usize = 0;
    let mut run_start = 0;
    for (position, step) in events {
        if step > 0 {
            depth += 1;
            if depth == at_least {
                run_start = position;
            }
        } else {
            if depth == at_least && run_start < position {
                out.push((run_start, position));
            }
            depth -= 1;
        }
    }
    out
}

/// One stretch of text in which two coders' coverage of a code overlaps or stands alone:
/// overlapping stretches of either coder join (touching ones do not, since they are
/// different text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub start: usize,
    pub end: usize,
    /// What the first coder covered inside the unit.
    pub first: Vec<Interval>,
    /// What the second coder covered inside the unit.
    pub second: Vec<Interval>,
}

impl Unit {
    /// Positions both coders covered.
    pub fn shared(&self) -> usize {
        IntervalSet(self.first.clone())
            .intersection(&IntervalSet(self.second.clone()))
            .len()
    }
}

/// The units formed by two coders' coverage: each maximal chain of overlapping stretches.
pub fn units(first: &IntervalSet, second: &IntervalSet) -> Vec<Unit> {
    let mut tagged: Vec<(usize, usize, bool)> = first
        .0
        .iter()
        .map(|&(s, e)| (s, e, true))
        .chain(second.0.iter().map(|&(s, e)| (s, e, false)))
        .collect();
    tagged.sort_unstable();
    let mut out: Vec<Unit> = Vec::new();
    for (start, end, is_first) in tagged {
        let joins = out.last().is_some_and(|u| start < u.end);
        if !joins {
            out.push(Unit {
                start,
                end,
                first: Vec::new(),
                second: Vec::new(),
            });
        }
        let unit = out.last_mut().expect("a unit was just ensured");
        unit.end = unit.end.max(end);
        if is_first {
            unit.first.push((start, end));
        } else {
            unit.second.push((start, end));
        }
    }
    out
}
