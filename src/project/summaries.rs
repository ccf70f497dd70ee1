//! What analysts write about cases: Framework summaries (one per case and theme) and
//! classifications (a case attribute derived by a rule, with each case's reason). Both are
//! part of the record (`summaries.csv`, `classifications.csv`, with the audit log), so they
//! travel with the project under version control and rebuild a fresh cache.

use crate::error::{Error, Result};
use crate::project::{Project, check_coder};
use crate::store::{Author, Summary};

pub const SUMMARIES_FILE: &str = crate::record::SUMMARIES_FILE;

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
        let _lock = self.write_locked()?;
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
        )
    }

    pub fn summaries(&self) -> Result<Vec<Summary>> {
        self.store().summaries()
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
        let _lock = self.write_locked()?;
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

    /// Removes a classification from every case (the audit log keeps its values, and
    /// reverting the entry restores them); returns how many cases had it.
    pub fn remove_classification(&mut self, author: &str, attribute: &str) -> Result<usize> {
        check_coder(author)?;
        let _lock = self.write_locked()?;
        let stored = self.store().case_attributes()?;
        let mut known: Vec<String> = stored.iter().map(|a| a.attribute.clone()).collect();
        known.dedup();
        if !known.iter().any(|k| k == attribute) {
            return Err(Error::argument(
                "name",
                format!(
                    "there is no classification `{attribute}`; the classifications are: {}",
                    if known.is_empty() {
                        "none yet".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            ));
        }
        let version = self.codebook.version().to_string();
        let removed = self.store_mut().remove_case_attribute(
            &Author {
                coder: author,
                codebook_version: &version,
            },
            attribute,
        )?;
        self.cases.remove_attribute(attribute);
        self.apply_classifications()?;
        Ok(removed)
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
