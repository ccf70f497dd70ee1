//! Framework charting: a cases x themes matrix whose cells hold the analyst's summary and
//! the coded passages it rests on, so every cell can be traced back to the text.

use std::fmt::Write as _;
use std::ops::Range;
use std::sync::Arc;

use rayon::prelude::*;

use super::{Analysis, Dimension, Passage};
use crate::analysis::table::{Table, Values, escape_html, shorten};
use crate::error::Result;
use crate::ingest::Document;
use crate::store::Summary;

/// A coded passage a cell rests on: where it is and what it says. A matrix over a large
/// corpus holds hundreds of thousands, so the labels are shared with the document's.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub document: Arc<str>,
    pub speaker: Option<Arc<str>>,
    pub role: Option<Arc<str>>,
    pub phase: Arc<str>,
    pub start: usize,
    pub end: usize,
    pub text: Quote,
}

/// The text of a passage, kept as a view of its document's text rather than a copy.
#[derive(Clone)]
pub struct Quote {
    source: Arc<str>,
    bytes: Range<usize>,
}

impl Quote {
    /// Code points `start..end` of `document` (empty if out of range).
    pub fn of(document: &Document, start: usize, end: usize) -> Quote {
        let bytes = match (document.byte_of(start), document.byte_of(end)) {
            (Some(s), Some(e)) if s <= e => s..e,
            _ => 0..0,
        };
        Quote {
            source: document.text.clone(),
            bytes,
        }
    }
}

impl std::ops::Deref for Quote {
    type Target = str;
    fn deref(&self) -> &str {
        &self.source[self.bytes.clone()]
    }
}

impl std::fmt::Debug for Quote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

impl std::fmt::Display for Quote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

impl PartialEq for Quote {
    fn eq(&self, other: &Quote) -> bool {
        **self == **other
    }
}

impl PartialEq<&str> for Quote {
    fn eq(&self, other: &&str) -> bool {
        &**self == *other
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}–{}", self.document, self.start, self.end)?;
        if let Some(speaker) = &self.speaker {
            write!(f, ", {speaker}")?;
        }
        Ok(())
    }
}

/// One case's material for one theme.
#[derive(Debug, Clone, Default)]
pub struct FrameworkCell {
    pub summary: Option<Summary>,
    pub references: Vec<Reference>,
}

/// Cases (rows) by themes (columns).
#[derive(Debug, Clone)]
pub struct FrameworkMatrix {
    pub cases: Vec<String>,
    /// The attribute rows are grouped by, and each case's value.
    pub group: Option<(String, Vec<String>)>,
    /// (code id, name) of each theme.
    pub themes: Vec<(String, String)>,
    /// `cells[case][theme]`.
    pub cells: Vec<Vec<FrameworkCell>>,
}

impl Analysis<'_> {
    /// Charts `themes` (codes; each gathers the codes below it) for every case, rows
    /// grouped by a case attribute when given.
    pub fn framework(
        &self,
        themes: &[String],
        group: Option<&Dimension>,
        summaries: &[Summary],
    ) -> Result<FrameworkMatrix> {
        let corpus = &self.corpus;
        let labels = self.code_labels(themes)?;
        let ids: Vec<String> = themes
            .iter()
            .map(|t| corpus.codebook.resolve(t).map(|c| c.id.clone()))
            .collect::<Result<_>>()?;
        let mut cases = corpus.cases.names();
        let group_values = group.map(|dimension| {
            let value = |case: &String| match dimension {
                Dimension::Case => case.clone(),
                other => super::case_value(corpus, case, other.label()),
            };
            let order = dimension.values(corpus);
            cases.sort_by_key(|c| order.iter().position(|v| *v == value(c)));
            (
                dimension.label().to_string(),
                cases.iter().map(value).collect::<Vec<_>>(),
            )
        });
        // Document ids and phases, allocated once and shared by every reference.
        let (document_ids, phases): (Vec<Arc<str>>, Vec<Arc<str>>) = corpus
            .documents
            .iter()
            .map(|d| (Arc::from(d.id.as_str()), Arc::from(d.phase.as_str())))
            .unzip();
        // Each theme's references by case row, themes in parallel.
        let references = ids
            .par_iter()
            .map(|id| {
                let mut by_case: Vec<Vec<Reference>> = vec![Vec::new(); cases.len()];
                let passages = self.passages(id)?;
                for run in passages.chunk_by(|a, b| a.doc == b.doc) {
                    let doc = self.document(&run[0]);
                    if let Some(row) = cases.iter().position(|c| *c == doc.case) {
                        by_case[row].extend(run.iter().map(|p| {
                            let doc = p.doc as usize;
                            self.reference_labelled(
                                p,
                                document_ids[doc].clone(),
                                phases[doc].clone(),
                            )
                        }));
                    }
                }
                Ok(by_case)
            })
            .collect::<Result<Vec<_>>>()?;
        let mut cells = vec![vec![FrameworkCell::default(); ids.len()]; cases.len()];
        for (t, by_case) in references.into_iter().enumerate() {
            for (row, found) in by_case.into_iter().enumerate() {
                cells[row][t].references = found;
            }
        }
        for (t, id) in ids.iter().enumerate() {
            for s in summaries.iter().filter(|s| s.theme == *id) {
                if let Some(row) = cases.iter().position(|c| *c == s.case) {
                    cells[row][t].summary = Some(s.clone());
                }
            }
        }
        Ok(FrameworkMatrix {
            cases,
            group: group_values,
            themes: ids.into_iter().zip(labels).collect(),
            cells,
        })
    }

    pub(crate) fn reference(&self, p: &Passage) -> Reference {
        let doc = self.document(p);
        self.reference_labelled(p, doc.id.as_str().into(), doc.phase.as_str().into())
    }

    /// A reference to `p`, given its document's id and phase as labels to share.
    fn reference_labelled(&self, p: &Passage, document: Arc<str>, phase: Arc<str>) -> Reference {
        let turn = self.document(p).turn_at(p.start as usize);
        Reference {
            document,
            speaker: turn.and_then(|t| t.speaker.clone()),
            role: turn.and_then(|t| t.role.clone()),
            phase,
            start: p.start as usize,
            end: p.end as usize,
            text: Quote::of(self.document(p), p.start as usize, p.end as usize),
        }
    }
}

/// Characters of a summary shown in a terminal cell.
const SHOWN_SUMMARY: usize = 240;
/// Quotes listed per cell in HTML.
const SHOWN_QUOTES: usize = 8;

impl FrameworkMatrix {
    pub fn cell(&self, case: &str, theme: &str) -> Option<&FrameworkCell> {
        let row = self.cases.iter().position(|c| c == case)?;
        let column = self
            .themes
            .iter()
            .position(|(id, name)| id == theme || name == theme)?;
        Some(&self.cells[row][column])
    }

    /// The matrix in long form, one row per cell: case, group, theme, summary, the number
    /// of references and the quotes with where they are, for export and for filtering.
    pub fn to_table(&self) -> Result<Table> {
        let mut case = Vec::new();
        let mut group = Vec::new();
        let mut theme = Vec::new();
        let mut summary = Vec::new();
        let mut references = Vec::new();
        for (r, name) in self.cases.iter().enumerate() {
            for (t, (id, _)) in self.themes.iter().enumerate() {
                let cell = &self.cells[r][t];
                case.push(Some(name.clone()));
                group.push(self.group.as_ref().map(|(_, values)| values[r].clone()));
                theme.push(Some(id.clone()));
                summary.push(cell.summary.as_ref().map(|s| s.text.clone()));
                references.push(Some(cell.references.len() as i64));
            }
        }
        // The quotes are most of the work: each cell's are joined in parallel.
        let cells: Vec<&FrameworkCell> = self.cells.iter().flatten().collect();
        let quotes: Vec<Option<String>> = cells
            .par_iter()
            .map(|cell| {
                let mut joined = String::new();
                for (i, q) in cell.references.iter().enumerate() {
                    if i > 0 {
                        joined.push('\n');
                    }
                    let _ = write!(
                        joined,
                        "“{}” ({q})",
                        crate::analysis::matrix::one_line(&q.text)
                    );
                }
                Some(joined)
            })
            .collect();
        let mut columns = vec![("case".to_string(), Values::Text(case))];
        if let Some((attribute, _)) = &self.group {
            columns.push((attribute.clone(), Values::Text(group)));
        }
        columns.extend([
            ("theme".to_string(), Values::Text(theme)),
            ("summary".to_string(), Values::Text(summary)),
            ("references".to_string(), Values::Integer(references)),
            ("quotes".to_string(), Values::Text(quotes)),
        ]);
        Ok(Table::new(columns)?.with_title("Framework matrix"))
    }

    fn cell_text(cell: &FrameworkCell) -> String {
        let refs = match cell.references.len() {
            1 => "1 reference".to_string(),
            n => format!("{n} references"),
        };
        match &cell.summary {
            Some(s) => format!("{}\n[{refs}]", shorten(&s.text, SHOWN_SUMMARY)),
            None if cell.references.is_empty() => "—".to_string(),
            None => format!("(not yet summarised)\n[{refs}]"),
        }
    }

    /// The matrix for a terminal: one row per case, summaries wrapped, reference counts.
    pub fn render_text(&self, width: u16) -> String {
        let mut table = comfy_table::Table::new();
        let mut header = vec!["case".to_string()];
        header.extend(self.themes.iter().map(|(_, name)| name.clone()));
        table
            .load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
            .set_width(width)
            .set_header(header);
        for (r, case) in self.cases.iter().enumerate() {
            let label = match &self.group {
                Some((_, values)) => format!("{case}\n({})", values[r]),
                None => case.clone(),
            };
            let mut row = vec![label];
            row.extend(self.cells[r].iter().map(Self::cell_text));
            table.add_row(row);
        }
        format!(
            "Framework matrix: {} cases × {} themes\n{table}",
            self.cases.len(),
            self.themes.len()
        )
    }

    /// The matrix as HTML: summaries, and under each the quotes it rests on.
    pub fn render_html(&self) -> String {
        let mut out = String::from(
            "<div class=\"qualkit-framework\"><table><caption>Framework matrix</caption><thead><tr><th style=\"text-align:left\">case</th>",
        );
        for (_, name) in &self.themes {
            let _ = write!(
                out,
                "<th style=\"text-align:left\">{}</th>",
                escape_html(name)
            );
        }
        out.push_str("</tr></thead><tbody>");
        for (r, case) in self.cases.iter().enumerate() {
            let _ = write!(
                out,
                "<tr><th style=\"text-align:left\">{}",
                escape_html(case)
            );
            if let Some((_, values)) = &self.group {
                let _ = write!(out, "<br><small>{}</small>", escape_html(&values[r]));
            }
            out.push_str("</th>");
            for cell in &self.cells[r] {
                out.push_str("<td style=\"text-align:left;vertical-align:top\">");
                match &cell.summary {
                    Some(s) => {
                        let _ = write!(out, "<p>{}</p>", escape_html(&s.text));
                    }
                    None if cell.references.is_empty() => out.push_str("<p>—</p>"),
                    None => out.push_str("<p><i>not yet summarised</i></p>"),
                }
                if !cell.references.is_empty() {
                    let _ = write!(
                        out,
                        "<details><summary>{} references</summary><ol>",
                        cell.references.len()
                    );
                    for q in cell.references.iter().take(SHOWN_QUOTES) {
                        let _ = write!(
                            out,
                            "<li>“{}” <small>({})</small></li>",
                            escape_html(&shorten(&q.text, 300)),
                            escape_html(&q.to_string())
                        );
                    }
                    if cell.references.len() > SHOWN_QUOTES {
                        let _ = write!(
                            out,
                            "<li>and {} more</li>",
                            cell.references.len() - SHOWN_QUOTES
                        );
                    }
                    out.push_str("</ol></details>");
                }
                out.push_str("</td>");
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table></div>");
        out
    }
}

impl std::fmt::Display for FrameworkMatrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render_text(crate::analysis::table::terminal_width()))
    }
}
