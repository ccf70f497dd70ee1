//! A document with its codings, as a researcher reads it: in a terminal (`qualkit show`,
//! `print(p.show(doc))`), as static HTML in notebooks (`p.show(doc)`: it survives in a saved
//! notebook), and as the widget that codes by selecting text (`p.annotate(doc)`).
//!
//! All three draw one [`DocumentView`]: the text cut into lines, each line with its number
//! and the code point offset it starts at, and each coding as a stripe in a margin lane.

mod html;

use std::collections::HashMap;

use crate::error::Result;
use crate::project::Project;

/// Which codings to show.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ViewFilter {
    /// Only this code and the codes below it.
    pub code: Option<String>,
    pub coder: Option<String>,
}

/// One line of the text: code points `start..end` (line break excluded) and the speaker
/// label it opens, when a turn starts on it.
#[derive(Debug, Clone)]
pub struct Line {
    /// The line number in the source file.
    pub number: usize,
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// Code points of the line (from its start) that are a speaker label, and the speaker.
    pub label: Option<(usize, String)>,
}

/// A coding as the view draws it.
#[derive(Debug, Clone)]
pub struct ShownCoding {
    pub id: String,
    pub code: String,
    /// The code's path in the codebook (`Parent/Name`), or its id when the codebook lacks it.
    pub code_path: String,
    pub color: String,
    pub coder: String,
    pub start: usize,
    pub end: usize,
    pub memo: Option<String>,
    /// The margin lane and the first and last line (indices into [`DocumentView::lines`]).
    pub lane: usize,
    pub first_line: usize,
    pub last_line: usize,
}

/// A suggested unit, drawn as a provisional mark (not a coding until someone accepts it).
#[derive(Debug, Clone)]
pub struct ShownSuggestion {
    /// The widget's name for it (it accepts or dismisses by this, never by offsets).
    pub id: String,
    pub code: String,
    pub code_path: String,
    pub color: String,
    pub start: usize,
    pub end: usize,
    /// The model's score (0-1).
    pub score: f64,
    /// Why: the coded passage most like it.
    pub reason: String,
}

/// A code in the legend, with how many of the shown codings it has.
#[derive(Debug, Clone)]
pub struct LegendEntry {
    pub code: String,
    pub path: String,
    pub color: String,
    pub count: usize,
}

/// A document with the codings a filter lets through, laid out in lines and lanes.
#[derive(Debug, Clone)]
pub struct DocumentView {
    pub document: String,
    pub source: String,
    pub case: String,
    pub length: usize,
    pub filter: ViewFilter,
    pub lines: Vec<Line>,
    pub codings: Vec<ShownCoding>,
    pub lanes: usize,
    pub legend: Vec<LegendEntry>,
    /// Suggested units marked on the text (none unless a caller adds them).
    pub suggestions: Vec<ShownSuggestion>,
}

/// Colours for codes whose codebook entry sets none (distinct at a glance, readable on white).
const PALETTE: [&str; 10] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22",
];

impl DocumentView {
    /// Lays out `document` with the codings `filter` lets through.
    pub fn build(project: &Project, document: &str, filter: &ViewFilter) -> Result<DocumentView> {
        let doc = project.document(document)?;
        let codes = filter
            .code
            .as_deref()
            .map(|c| project.codebook.ids_below(c))
            .transpose()?;
        let mut codings: Vec<_> = project
            .store()
            .codings_in(&doc.id)?
            .into_iter()
            .filter(|c| codes.as_ref().is_none_or(|cs| cs.contains(&c.code)))
            .filter(|c| filter.coder.as_deref().is_none_or(|who| who == c.coder))
            .collect();
        codings.sort_by_key(|c| (c.start, std::cmp::Reverse(c.end)));
        let memos: HashMap<String, String> = project
            .store()
            .memos(Some("coding"), None)?
            .into_iter()
            .map(|m| (m.target, m.text))
            .collect();

        let mut lines = Vec::new();
        let mut at = 0;
        let mut turns = doc.turns.iter().filter(|t| t.speaker.is_some()).peekable();
        for (i, line) in doc.text.split_inclusive('\n').enumerate() {
            let text = line.trim_end_matches(['\n', '\r']);
            let len = text.chars().count();
            let mut label = None;
            // A turn's start is where its speech begins, after the label on its first line.
            while let Some(turn) = turns.peek() {
                if turn.start > at + len {
                    break;
                }
                if turn.start > at
                    && let Some(speaker) = &turn.speaker
                {
                    label = Some((turn.start - at, speaker.to_string()));
                }
                turns.next();
            }
            lines.push(Line {
                number: doc.first_line + i,
                start: at,
                end: at + len,
                text: text.to_string(),
                label,
            });
            at += line.chars().count();
        }
        let line_of = |pos: usize| {
            lines
                .partition_point(|l| l.end < pos)
                .min(lines.len().saturating_sub(1))
        };

        let mut colors: HashMap<String, String> = HashMap::new();
        let mut legend: Vec<LegendEntry> = Vec::new();
        // Each coding gets a lane in the margin, free again after its last line.
        let mut lane_free_after: Vec<usize> = Vec::new();
        let mut shown = Vec::with_capacity(codings.len());
        for c in codings {
            let (first_line, last_line) = (
                line_of(c.start),
                line_of(c.end.saturating_sub(1).max(c.start)),
            );
            let lane = match lane_free_after.iter().position(|&l| l < first_line) {
                Some(i) => {
                    lane_free_after[i] = last_line;
                    i
                }
                None => {
                    lane_free_after.push(last_line);
                    lane_free_after.len() - 1
                }
            };
            let code = project.codebook.get(&c.code);
            let path = code.map_or_else(|| c.code.clone(), |code| code.path.clone());
            let next = colors.len();
            let color = colors
                .entry(c.code.clone())
                .or_insert_with(|| {
                    code.and_then(|code| code.color.clone())
                        .unwrap_or_else(|| PALETTE[next % PALETTE.len()].to_string())
                })
                .clone();
            match legend.iter_mut().find(|e| e.code == c.code) {
                Some(entry) => entry.count += 1,
                None => legend.push(LegendEntry {
                    code: c.code.clone(),
                    path: path.clone(),
                    color: color.clone(),
                    count: 1,
                }),
            }
            shown.push(ShownCoding {
                memo: memos.get(&c.id).cloned(),
                id: c.id,
                code: c.code,
                code_path: path,
                color,
                coder: c.coder,
                start: c.start,
                end: c.end,
                lane,
                first_line,
                last_line,
            });
        }
        legend.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(DocumentView {
            document: doc.id.clone(),
            source: doc.source.display().to_string(),
            case: doc.case.clone(),
            length: doc.len_chars(),
            filter: filter.clone(),
            lines,
            codings: shown,
            lanes: lane_free_after.len(),
            legend,
            suggestions: Vec::new(),
        })
    }

    /// The view as HTML for notebooks: inline styles only, so a saved notebook shows it as
    /// it was, with no script needed.
    pub fn html(&self) -> String {
        html::render(self, None)
    }

    /// The HTML the annotation widget draws: the same view with a note on top.
    pub fn html_with_note(&self, note: &str) -> String {
        html::render(self, Some(note))
    }

    /// The view as terminal text: line numbers, offsets, and codings as brackets in the
    /// margin labelled with their id and code.
    pub fn terminal(&self) -> String {
        let number_width = self
            .lines
            .last()
            .map_or(0, |l| l.number)
            .to_string()
            .len()
            .max(4);
        let offset_width = self.length.to_string().len().max(6);
        let mut out = format!(
            "{} ({}, case {}): {} code points, {} codings shown{}\n{:>number_width$} {:>offset_width$}  {}\n",
            self.document,
            self.source,
            self.case,
            self.length,
            self.codings.len(),
            if self.suggestions.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} suggestions marked ┆ (not codings until accepted)",
                    self.suggestions.len()
                )
            },
            "line",
            "offset",
            " ".repeat(self.lanes),
        );
        for (i, line) in self.lines.iter().enumerate() {
            let mut margin = vec![' '; self.lanes];
            let mut labels = Vec::new();
            for c in &self.codings {
                if i < c.first_line || i > c.last_line {
                    continue;
                }
                margin[c.lane] = match (i == c.first_line, i == c.last_line) {
                    (true, true) => '▪',
                    (true, false) => '┌',
                    (false, true) => '└',
                    (false, false) => '│',
                };
                if i == c.first_line {
                    labels.push(format!(
                        "{} {} ({}) {}..{}",
                        &c.id[..c.id.len().min(8)],
                        c.code,
                        c.coder,
                        c.start,
                        c.end
                    ));
                }
            }
            let margin: String = margin.into_iter().collect();
            // Suggestions get their own margin column, dotted: provisional, not codings.
            let suggested = if self.suggestions.is_empty() {
                ""
            } else if self
                .suggestions
                .iter()
                .any(|s| s.start < line.end.max(line.start + 1) && s.end > line.start)
            {
                "┆"
            } else {
                " "
            };
            for s in &self.suggestions {
                if s.start >= line.start && (s.start < line.end || s.start == line.start) {
                    labels.push(format!(
                        "suggested {} {:.2} {}..{} ({})",
                        s.code, s.score, s.start, s.end, s.id
                    ));
                }
            }
            out.push_str(&format!(
                "{:>number_width$} {:>offset_width$} {margin}{suggested} {}",
                line.number, line.start, line.text
            ));
            if !labels.is_empty() {
                out.push_str(&format!("   ◂ {}", labels.join("; ")));
            }
            out.push('\n');
        }
        out
    }
}

impl std::fmt::Display for DocumentView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.terminal())
    }
}

/// The document's text with line numbers, offsets and coding brackets.
pub fn terminal(project: &Project, document: &str, filter: &ViewFilter) -> Result<String> {
    Ok(DocumentView::build(project, document, filter)?.terminal())
}
