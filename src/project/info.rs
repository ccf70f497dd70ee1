//! `qualkit info`: what a project holds, at a glance.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;

use crate::error::Result;
use crate::project::Project;

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub name: String,
    pub cases: Vec<(String, Vec<(String, String)>)>,
    pub documents: usize,
    pub words: usize,
    /// (method, phase) -> documents
    pub documents_by_method_phase: BTreeMap<(String, String), usize>,
    /// role -> distinct participants (speaker within case)
    pub participants_by_role: BTreeMap<String, usize>,
    pub codes: usize,
    pub codes_used: usize,
    pub codebook_version: String,
    pub codings_by_coder: Vec<(String, usize)>,
    pub memos: usize,
    pub audit_entries: usize,
    pub warnings: Vec<String>,
}

impl Project {
    pub fn summary(&self) -> Result<Summary> {
        let mut documents_by_method_phase = BTreeMap::new();
        let mut participants: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
        let mut warnings = Vec::new();
        let mut words = 0;
        for doc in self.documents() {
            *documents_by_method_phase
                .entry((or_unspecified(&doc.method), or_unspecified(&doc.phase)))
                .or_insert(0) += 1;
            for p in &doc.participants {
                participants
                    .entry(or_unspecified(&p.role))
                    .or_default()
                    .insert((doc.case.clone(), p.speaker.clone()));
            }
            words += doc.word_count();
            warnings.extend(
                doc.warnings
                    .iter()
                    .map(|w| format!("{}: {w}", doc.source.display())),
            );
        }
        for (file, skipped) in self.skipped_answers() {
            warnings.push(format!(
                "{}: {} row{} not read as answers: {} (`[survey] keep_non_answers = true` in qualkit.toml keeps them)",
                file.display(),
                skipped.len(),
                if skipped.len() == 1 { "" } else { "s" },
                crate::ingest::describe_skipped(skipped)
            ));
        }
        let unplaced = self.unplaced_codings()?;
        for c in &unplaced {
            warnings.push(format!(
                "{c}; it is kept in codings/{} and left out of analysis and exports",
                crate::store::codings_file_name(&c.coder)
            ));
        }
        let codings = self.codings()?;
        let known: BTreeSet<&str> = codings
            .iter()
            .map(|c| c.id.as_str())
            .chain(unplaced.iter().map(|c| c.id.as_str()))
            .collect();
        for memo in self.store().memos(Some("coding"), None)? {
            if !known.contains(memo.target.as_str()) {
                warnings.push(format!(
                    "memo {} by {} is on coding {}, which is not in the project (kept in memos.csv)",
                    memo.id, memo.coder, memo.target
                ));
            }
        }
        let used: BTreeSet<&str> = codings.iter().map(|c| c.code.as_str()).collect();
        for code in &used {
            if self.codebook.get(code).is_none() {
                warnings.push(format!(
                    "codings use `{code}`, which is no longer in the codebook"
                ));
            }
        }
        Ok(Summary {
            name: self.name().to_string(),
            cases: self
                .cases
                .iter()
                .map(|c| {
                    (
                        c.name.clone(),
                        c.attributes
                            .iter()
                            .map(|(k, v)| (k.clone(), v.to_string()))
                            .collect(),
                    )
                })
                .collect(),
            documents: self.documents().len(),
            words,
            documents_by_method_phase,
            participants_by_role: participants
                .into_iter()
                .map(|(role, set)| (role, set.len()))
                .collect(),
            codes: self.codebook.codes().len(),
            codes_used: used
                .iter()
                .filter(|c| self.codebook.get(c).is_some())
                .count(),
            codebook_version: self.codebook.version().to_string(),
            codings_by_coder: self.store().codings_by_coder()?,
            memos: self.store().memos(None, None)?.len(),
            audit_entries: self.store().audit_log()?.len(),
            warnings,
        })
    }
}

fn or_unspecified(s: &str) -> String {
    if s.is_empty() {
        "(unspecified)".into()
    } else {
        s.to_string()
    }
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_header(header.to_vec());
    t
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Project: {}", self.name)?;
        writeln!(
            f,
            "{} documents, {} words; codebook {} codes ({} used), version {}",
            self.documents, self.words, self.codes, self.codes_used, self.codebook_version
        )?;

        let columns: Vec<String> = self
            .cases
            .first()
            .map(|(_, attrs)| attrs.iter().map(|(k, _)| k.clone()).collect())
            .unwrap_or_default();
        let mut cases = table(
            &std::iter::once("case")
                .chain(columns.iter().map(String::as_str))
                .collect::<Vec<_>>(),
        );
        for (name, attrs) in &self.cases {
            cases.add_row(
                std::iter::once(name.clone())
                    .chain(attrs.iter().map(|(_, v)| v.clone()))
                    .collect::<Vec<_>>(),
            );
        }
        writeln!(f, "\nCases ({})\n{cases}", self.cases.len())?;

        let phases: BTreeSet<&String> = self
            .documents_by_method_phase
            .keys()
            .map(|(_, p)| p)
            .collect();
        let methods: BTreeSet<&String> = self
            .documents_by_method_phase
            .keys()
            .map(|(m, _)| m)
            .collect();
        let mut docs = table(
            &std::iter::once("method")
                .chain(phases.iter().map(|p| p.as_str()))
                .chain(["total"])
                .collect::<Vec<_>>(),
        );
        for method in methods {
            let counts: Vec<usize> = phases
                .iter()
                .map(|p| {
                    *self
                        .documents_by_method_phase
                        .get(&(method.clone(), (*p).clone()))
                        .unwrap_or(&0)
                })
                .collect();
            let total: usize = counts.iter().sum();
            docs.add_row(
                std::iter::once(method.clone())
                    .chain(counts.iter().map(|c| {
                        if *c == 0 {
                            String::new()
                        } else {
                            c.to_string()
                        }
                    }))
                    .chain([total.to_string()])
                    .collect::<Vec<_>>(),
            );
        }
        writeln!(f, "\nDocuments by method and phase\n{docs}")?;

        let mut roles = table(&["role", "participants"]);
        for (role, n) in &self.participants_by_role {
            roles.add_row(vec![role.clone(), n.to_string()]);
        }
        writeln!(f, "\nParticipants by role\n{roles}")?;

        let mut coders = table(&["coder", "codings"]);
        for (coder, n) in &self.codings_by_coder {
            coders.add_row(vec![coder.clone(), n.to_string()]);
        }
        writeln!(f, "\nCodings by coder\n{coders}")?;
        writeln!(
            f,
            "{} memos, {} audit log entries",
            self.memos, self.audit_entries
        )?;
        if !self.warnings.is_empty() {
            writeln!(f, "\nWarnings ({})", self.warnings.len())?;
            for w in &self.warnings {
                writeln!(f, "- {w}")?;
            }
        }
        Ok(())
    }
}
