//! REFI-QDA codebooks (`.qdc`): the code tree with colours and descriptions, and sets of
//! codes, alone — how a team shares a coding frame before anyone codes.

use std::collections::HashMap;
use std::path::Path;

use super::refi::{self, Guid, RefiSet};
use super::{ExchangeReport, ImportOptions};
use crate::error::{Error, Result};
use crate::project::{CODEBOOK_FILE, Project};

/// Reads a `.qdc` file (a plain XML file, not an archive) and merges its codes into the
/// project's codebook the way a project import does: by GUID, then by path.
/// A codebook import records no coding, so it needs none of the options.
pub fn import(dir: &Path, file: &Path, _options: &ImportOptions) -> Result<ExchangeReport> {
    Project::open(dir)?;
    let metadata = std::fs::metadata(file).map_err(|e| Error::io(file, e))?;
    let limit = crate::support::archive::Limits::default().max_entry_bytes;
    if metadata.len() > limit {
        return Err(Error::Invalid {
            path: file.to_path_buf(),
            message: format!(
                "the codebook is {} bytes, more than the {limit} accepted",
                metadata.len()
            ),
        });
    }
    let bytes = std::fs::read(file).map_err(|e| Error::io(file, e))?;
    let shown = file.display().to_string();
    let xml = crate::support::xml::decode(&bytes, &shown)?;
    let root = crate::support::xml::parse(&xml, &shown)?;
    let mut report = ExchangeReport {
        file: file.to_path_buf(),
        ..Default::default()
    };
    let (codes, sets) = refi::read::codebook(&root, &shown, &mut report.warnings)?;
    let (codebook, ids) = super::merge::merge_codes(dir, &codes, &HashMap::new(), &mut report)?;
    let sets = super::merge::merge_sets(dir, &sets, &ids, &HashMap::new(), &mut report)?;
    // Inside the import's change (see `exchange::import`): an error puts the files back.
    if let Some(text) = codebook {
        let path = dir.join(CODEBOOK_FILE);
        crate::record::write(&path, text.as_bytes())?;
        report.written.push(path);
    }
    if let Some(text) = sets {
        let path = dir.join(crate::project::sets::SETS_FILE);
        crate::record::write(&path, text.as_bytes())?;
        report.written.push(path);
    }
    Project::open(dir)?;
    Ok(report)
}

/// Writes the project's codebook, and its sets' codes, as a `.qdc` file.
pub fn export(project: &Project, out: &Path) -> Result<ExchangeReport> {
    let tree = super::qdpx_export::code_tree(&project.codebook, &HashMap::new());
    let sets: Vec<RefiSet> = crate::project::sets::load(project.root())?
        .into_iter()
        .filter(|s| !s.codes.is_empty())
        .map(|s| RefiSet {
            guid: Guid::derived("set", &s.name),
            name: s.name.clone(),
            description: Some(s.description.clone()).filter(|d| !d.is_empty()),
            codes: s
                .codes
                .iter()
                .filter_map(|c| project.codebook.get(c))
                .map(super::qdpx_export::code_guid)
                .collect(),
            sources: Vec::new(),
            notes: Vec::new(),
        })
        .collect();
    let xml = refi::write::codebook(
        &format!("qualkit {}", env!("CARGO_PKG_VERSION")),
        &tree,
        &sets,
    );
    crate::record::atomic::write_atomic(out, xml.as_bytes())?;
    Ok(ExchangeReport {
        file: out.to_path_buf(),
        exported: true,
        codes_added: project.codebook.codes().len(),
        sets: sets.len(),
        written: vec![out.to_path_buf()],
        ..Default::default()
    })
}
