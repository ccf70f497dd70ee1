//! Sets: named groups of codes and documents (`sets.yaml`), as other tools keep them
//! ("Phase 1 interviews", "Codes for the first paper"). qualkit reads them for exchange and
//! for scripts; analyses take their members like any other list of codes or documents.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub const SETS_FILE: &str = "sets.yaml";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Set {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Code ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<String>,
    /// Document ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetsFile {
    #[serde(default)]
    sets: Vec<Set>,
}

/// The sets of the project in `dir`; none when it has no `sets.yaml`.
pub fn load(dir: &Path) -> Result<Vec<Set>> {
    let path = dir.join(SETS_FILE);
    if !path.exists() {
        return Ok(Vec::new());
    }
    parse(&path, &crate::support::text::read_text(&path)?)
}

pub fn parse(path: &Path, text: &str) -> Result<Vec<Set>> {
    let file: SetsFile = serde_norway::from_str(text).map_err(|e| Error::Invalid {
        path: path.to_path_buf(),
        message: match e.location() {
            Some(l) => format!("line {}: {e}", l.line()),
            None => e.to_string(),
        },
    })?;
    let mut seen = std::collections::HashSet::new();
    for set in &file.sets {
        if set.name.trim().is_empty() || !seen.insert(set.name.clone()) {
            return Err(Error::Invalid {
                path: path.to_path_buf(),
                message: format!("set names must be non-empty and distinct (`{}`)", set.name),
            });
        }
    }
    Ok(file.sets)
}

/// `sets.yaml` text.
pub fn to_yaml(sets: &[Set]) -> String {
    serde_norway::to_string(&SetsFile {
        sets: sets.to_vec(),
    })
    .expect("sets serialise")
}
