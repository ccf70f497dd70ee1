//! Group comparison: cases split by an attribute (fully vs partially integrated, say), and
//! for each theme how many cases of each group show evidence, how densely it is coded, and
//! a quote that exemplifies it.

use std::collections::{HashMap, HashSet};

use super::{Analysis, Dimension, Passage, words_by};
use crate::analysis::table::{Table, Values, shorten};
use crate::error::{Error, Result};

/// A passage chosen to illustrate a theme in one group.
#[derive(Debug, Clone)]
pub struct Exemplar {
    pub group: String,
    pub case: String,
    pub passage: Passage,
}

/// One group's columns: cases with evidence, density, exemplar; a value per theme.
type GroupColumns = (Vec<Option<String>>, Vec<Option<f64>>, Vec<Option<String>>);

/// Passages with this many words read best as exemplars: long enough to say something.
const IDEAL_WORDS: usize = 35;

impl Analysis<'_> {
    fn groups(&self, attribute: &Dimension) -> Result<(Vec<String>, HashMap<String, String>)> {
        if !attribute.per_case() {
            return Err(Error::argument(
                "attribute",
                format!(
                    "`{}` varies within a case; compare groups of cases by a case attribute",
                    attribute.label()
                ),
            ));
        }
        let corpus = &self.corpus;
        let group_of: HashMap<String, String> = corpus
            .cases
            .iter()
            .map(|c| {
                let value = match attribute {
                    Dimension::Case => c.name.clone(),
                    other => super::case_value(corpus, &c.name, other.label()),
                };
                (c.name.clone(), value)
            })
            .collect();
        Ok((attribute.values(corpus), group_of))
    }

    /// For each code: per group, cases with evidence out of the group's cases, passages per
    /// 1,000 words of the group's text, and an exemplar quote.
    pub fn compare(&self, attribute: &Dimension, codes: &[String]) -> Result<Table> {
        let corpus = &self.corpus;
        let (groups, group_of) = self.groups(attribute)?;
        let labels = self.code_labels(codes)?;
        let words = words_by(corpus, &[attribute]);
        let mut columns = vec![(
            "theme".to_string(),
            Values::Text(labels.iter().cloned().map(Some).collect()),
        )];
        let mut per_group: Vec<GroupColumns> = vec![Default::default(); groups.len()];
        for code in codes {
            let passages = self.passages(code)?;
            for (g, group) in groups.iter().enumerate() {
                let members: Vec<&Passage> = passages
                    .iter()
                    .filter(|p| group_of.get(&self.document(p).case) == Some(group))
                    .collect();
                let with_evidence: HashSet<&str> = members
                    .iter()
                    .map(|p| self.document(p).case.as_str())
                    .collect();
                let size = group_of.values().filter(|v| *v == group).count();
                let total_words = words.get(&vec![group.clone()]).copied().unwrap_or(0);
                let (cases, density, exemplar) = &mut per_group[g];
                cases.push(Some(format!("{}/{size}", with_evidence.len())));
                density.push(
                    (total_words > 0).then(|| members.len() as f64 * 1000.0 / total_words as f64),
                );
                exemplar.push(self.best(&members, 1).first().map(|p| self.quote(p)));
            }
        }
        // Numbers first, side by side, then the quotes: the figures stay in view on screen.
        let mut exemplars = Vec::new();
        let mut densities = Vec::new();
        for (group, (cases, density, exemplar)) in groups.iter().zip(per_group) {
            columns.push((format!("{group} cases"), Values::Text(cases)));
            densities.push((format!("{group} per 1,000 words"), Values::Number(density)));
            exemplars.push((format!("{group} exemplar"), Values::Text(exemplar)));
        }
        columns.extend(densities);
        columns.extend(exemplars);
        Ok(Table::new(columns)?.with_title(format!(
            "Comparison by {}: cases with evidence, coded passages per 1,000 words, an exemplar",
            attribute.label()
        )))
    }

    /// The `n` passages of each group that best illustrate `code`: coded by the most coders,
    /// then closest to a readable length, then in document order.
    pub fn exemplars(&self, attribute: &Dimension, code: &str, n: usize) -> Result<Table> {
        let (groups, group_of) = self.groups(attribute)?;
        let passages = self.passages(code)?;
        let mut chosen: Vec<(String, Passage)> = Vec::new();
        for group in &groups {
            let members: Vec<&Passage> = passages
                .iter()
                .filter(|p| group_of.get(&self.document(p).case) == Some(group))
                .collect();
            chosen.extend(
                self.best(&members, n)
                    .into_iter()
                    .map(|p| (group.clone(), p)),
            );
        }
        let only: Vec<Passage> = chosen.iter().map(|(_, p)| *p).collect();
        let table = self.passages_table(&only, 0)?;
        let groups_column = Table::new(vec![(
            attribute.label().to_string(),
            Values::Text(chosen.iter().map(|(g, _)| Some(g.clone())).collect()),
        )])?;
        let mut frame = groups_column.frame().clone();
        frame
            .hstack_mut(table.frame().columns())
            .map_err(|e| Error::argument("exemplars", e.to_string()))?;
        Ok(Table::from_frame(frame)
            .with_title(format!("Exemplars of {code} by {}", attribute.label())))
    }

    fn best(&self, passages: &[&Passage], n: usize) -> Vec<Passage> {
        let mut ranked: Vec<(u32, usize, &Passage)> = passages
            .iter()
            .map(|p| (p.coder_count(), self.words(p).abs_diff(IDEAL_WORDS), *p))
            .collect();
        ranked.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then(a.1.cmp(&b.1))
                .then((a.2.doc, a.2.start).cmp(&(b.2.doc, b.2.start)))
        });
        ranked.into_iter().take(n).map(|(_, _, p)| *p).collect()
    }

    /// A quote with its source: “text” (case, speaker, phase).
    fn quote(&self, p: &Passage) -> String {
        let r = self.reference(p);
        let doc = self.document(p);
        let who = r
            .role
            .or(r.speaker)
            .unwrap_or_else(|| doc.method.as_str().into());
        format!(
            "“{}” ({} {who}, {})",
            shorten(&super::matrix::one_line(&r.text), 220),
            doc.case,
            r.phase
        )
    }
}
