//! A document as a terminal shows it (`qualkit show`, Rhai `p.show(doc)`): each line with its
//! number and the code point offset it starts at, so that offsets can be read off, and each
//! coding as a bracket in the margin with its id and code.

use crate::error::Result;
use crate::project::Project;

/// Which codings to show.
#[derive(Debug, Clone, Default)]
pub struct ViewFilter {
    /// Only this code and the codes below it.
    pub code: Option<String>,
    pub coder: Option<String>,
}

/// The document's text with line numbers, offsets and coding brackets.
pub fn terminal(project: &Project, document: &str, filter: &ViewFilter) -> Result<String> {
    let doc = project.document(document)?;
    let codes = filter
        .code
        .as_deref()
        .map(|c| project.codebook.ids_below(c))
        .transpose()?;
    let mut codings: Vec<_> = project
        .codings()?
        .into_iter()
        .filter(|c| c.document == doc.id)
        .filter(|c| codes.as_ref().is_none_or(|cs| cs.contains(&c.code)))
        .filter(|c| filter.coder.as_deref().is_none_or(|who| who == c.coder))
        .collect();
    codings.sort_by_key(|c| (c.start, std::cmp::Reverse(c.end)));
    // Lines as code point spans.
    let mut lines = Vec::new();
    let mut at = 0;
    for line in doc.text.split_inclusive('\n') {
        let len = line.chars().count();
        lines.push((at, at + len, line.trim_end_matches(['\n', '\r'])));
        at += len;
    }
    let line_of = |pos: usize| {
        lines
            .partition_point(|l| l.1 <= pos)
            .min(lines.len().saturating_sub(1))
    };
    // Each coding gets a lane in the margin, free again after its last line.
    let mut lane_free_after: Vec<usize> = Vec::new();
    let mut lanes = Vec::with_capacity(codings.len());
    for c in &codings {
        let (first, last) = (
            line_of(c.start),
            line_of(c.end.saturating_sub(1).max(c.start)),
        );
        let lane = match lane_free_after.iter().position(|&l| l < first) {
            Some(i) => {
                lane_free_after[i] = last;
                i
            }
            None => {
                lane_free_after.push(last);
                lane_free_after.len() - 1
            }
        };
        lanes.push((lane, first, last));
    }
    let width = lane_free_after.len();
    let number_width = (doc.first_line + lines.len()).to_string().len().max(4);
    let offset_width = at.to_string().len().max(6);
    let mut out = format!(
        "{} ({}, case {}): {} code points, {} codings shown\n{:>number_width$} {:>offset_width$}  {}\n",
        doc.id,
        doc.source.display(),
        doc.case,
        doc.len_chars(),
        codings.len(),
        "line",
        "offset",
        " ".repeat(width),
    );
    for (i, (start, _, text)) in lines.iter().enumerate() {
        let mut margin = vec![' '; width];
        let mut labels = Vec::new();
        for (c, &(lane, first, last)) in codings.iter().zip(&lanes) {
            if i < first || i > last {
                continue;
            }
            margin[lane] = match (i == first, i == last) {
                (true, true) => '▪',
                (true, false) => '┌',
                (false, true) => '└',
                (false, false) => '│',
            };
            if i == first {
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
        out.push_str(&format!(
            "{:>number_width$} {:>offset_width$} {margin} {text}",
            doc.first_line + i,
            start
        ));
        if !labels.is_empty() {
            out.push_str(&format!("   ◂ {}", labels.join("; ")));
        }
        out.push('\n');
    }
    Ok(out)
}
