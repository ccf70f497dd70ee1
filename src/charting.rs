//! What analysts write about cases: Framework summaries (one per case and theme) and
//! classifications (a case attribute derived by a rule, with each case's reason). Both live
//! in the store with the audit log; summaries are also kept in `summaries.csv` beside the
//! codebook, so they travel with the project under version control and rebuild a fresh store.

use std::path::Path;

use crate::csv_table::{CsvTable, cell};
use crate::error::{Error, Result};
use crate::project::{Project, check_coder};
use crate::store::{Author, Summary};

pub const SUMMARIES_FILE: &str = "summaries.csv";

impl Project {
    fn known_case(&self, case: &str) -> Result<String> {
        self.cases.get(case).map(|c| c.name.clone()).ok_or_else(|| {
            Error::argument(
                "case",
                format!(
                    "unknown case `{case}`; known: {}",
                    self.cases.names().join(", ")
                ),
            )
        })
    }

    /// Writes the summary of `case` for `theme` (a code; empty text clears it) and saves
    /// summaries.csv.
    pub fn set_summary(&mut self, author: &str, case: &str, theme: &str, text: &str) -> Result<()> {
        check_coder(author)?;
        let case = self.known_case(case)?;
        let theme = self.codebook.resolve(theme)?.id.clone();
        let version = self.codebook.version().to_string();
        self.store_mut().set_summary(
            &Author {
                coder: author,
                codebook_version: &version,
            },
            &case,
            &theme,
            text.trim(),
        )?;
        self.write_summaries()
    }

    pub fn summaries(&self) -> Result<Vec<Summary>> {
        self.store().summaries()
    }

    /// Rewrites summaries.csv from the store: cases in cases.csv order, themes in codebook
    /// order, so that diffs stay small.
    fn write_summaries(&self) -> Result<()> {
        let mut summaries = self.summaries()?;
        let case_order = self.cases.names();
        let code_order: Vec<&str> = self
            .codebook
            .codes()
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        summaries.sort_by_key(|s| {
            (
                case_order.iter().position(|c| *c == s.case),
                code_order.iter().position(|c| *c == s.theme),
            )
        });
        let path = self.root().join(SUMMARIES_FILE);
        let temporary = path.with_extension("csv.tmp");
        let fail = |e: csv::Error| Error::Invalid {
            path: temporary.clone(),
            message: e.to_string(),
        };
        let mut writer = csv::Writer::from_path(&temporary).map_err(fail)?;
        writer
            .write_record(["case", "theme", "summary", "author"])
            .map_err(fail)?;
        for s in &summaries {
            writer
                .write_record([&s.case, &s.theme, &s.text, &s.author])
                .map_err(fail)?;
        }
        writer.flush().map_err(|e| Error::io(&temporary, e))?;
        drop(writer);
        // Replace in one step, so a crash never leaves half a file.
        std::fs::rename(&temporary, &path).map_err(|e| Error::io(&path, e))
    }

    /// Loads summaries.csv into a fresh store. Columns: case, theme, summary, and
    /// optionally author.
    pub(crate) fn import_summaries(&mut self) -> Result<()> {
        let path = self.root().join(SUMMARIES_FILE);
        if !path.exists() {
            return Ok(());
        }
        for (line, case, theme, text, author) in read_summaries(&path)? {
            let located = |e: Error| Error::Csv {
                path: path.clone(),
                line,
                message: e.to_string(),
            };
            let case = self.known_case(&case).map_err(located)?;
            let theme = self.codebook.resolve(&theme).map_err(located)?.id.clone();
            let version = self.codebook.version().to_string();
            self.store_mut().set_summary(
                &Author {
                    coder: &author,
                    codebook_version: &version,
                },
                &case,
                &theme,
                text.trim(),
            )?;
        }
        Ok(())
    }

    /// Stores a case attribute that a rule derived, replacing earlier values: one
    /// `(case, value, reason)` per case. The attribute must not be a cases.csv column.
    pub fn classify(
        &mut self,
        author: &str,
        attribute: &str,
        values: &[(String, String, String)],
    ) -> Result<()> {
        check_coder(author)?;
        if attribute.trim().is_empty() {
            return Err(Error::argument("attribute", "give the attribute a name"));
        }
        let derived: Vec<String> = self
            .store()
            .case_attributes()?
            .into_iter()
            .map(|a| a.attribute)
            .collect();
        if self.cases.columns().iter().any(|(c, _)| c == attribute)
            && !derived.iter().any(|d| d == attribute)
        {
            return Err(Error::argument(
                "attribute",
                format!(
                    "`{attribute}` is a column of cases.csv; name the classification differently"
                ),
            ));
        }
        for (case, _, _) in values {
            self.known_case(case)?;
        }
        let version = self.codebook.version().to_string();
        self.store_mut().set_case_attribute(
            &Author {
                coder: author,
                codebook_version: &version,
            },
            attribute,
            values,
        )?;
        self.apply_classifications()
    }

    /// Adds the stored classifications to the cases' attributes.
    pub(crate) fn apply_classifications(&mut self) -> Result<()> {
        let derived = self.store().case_attributes()?;
        let mut attributes: Vec<&str> = derived.iter().map(|a| a.attribute.as_str()).collect();
        attributes.dedup();
        for attribute in attributes {
            let values: Vec<(String, String)> = derived
                .iter()
                .filter(|a| a.attribute == attribute)
                .map(|a| (a.case.clone(), a.value.clone()))
                .collect();
            self.cases.set_attribute(attribute, &values);
        }
        Ok(())
    }
}

type SummaryRow = (u64, String, String, String, String);

fn read_summaries(path: &Path) -> Result<Vec<SummaryRow>> {
    let file = CsvTable::read(path)?;
    let (case, theme, summary) = (
        file.column("case")?,
        file.column("theme")?,
        file.column("summary")?,
    );
    let author = file.column("author").ok();
    Ok(file
        .rows
        .iter()
        .map(|(line, row)| {
            let who = author
                .map(|i| cell(row, i))
                .filter(|a| !a.trim().is_empty())
                .unwrap_or("summaries.csv");
            (
                *line,
                cell(row, case).to_string(),
                cell(row, theme).to_string(),
                cell(row, summary).to_string(),
                who.to_string(),
            )
        })
        .collect())
}
