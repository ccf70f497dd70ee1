//! Copies of the texts codings were placed on, kept in the cache (`.qualkit/texts/`), so that
//! when a transcript is edited its codings can be mapped through a diff of the old and new
//! text (see [`crate::coding::reanchor`]). Each copy is named by its text's fingerprint and
//! checked against it when read: a missing or damaged copy only means codings are placed by
//! their quotes instead.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::record::CACHE_DIR;

const TEXTS_DIR: &str = "texts";

fn path_of(root: &Path, fingerprint: &str) -> PathBuf {
    root.join(CACHE_DIR)
        .join(TEXTS_DIR)
        .join(format!("{fingerprint}.txt"))
}

/// Keeps a copy of `text` unless one is kept already. A copy that cannot be written is only
/// a lost convenience, so failures are ignored.
pub(crate) fn keep(root: &Path, text: &str) {
    let path = path_of(root, &crate::support::text::fingerprint(text));
    if !path.exists() {
        let _ = crate::record::atomic::write_atomic(&path, text.as_bytes());
    }
}

/// The kept text with this fingerprint, if there is one and it is whole.
pub(crate) fn read(root: &Path, fingerprint: &str) -> Option<String> {
    let text = std::fs::read_to_string(path_of(root, fingerprint)).ok()?;
    (crate::support::text::fingerprint(&text) == fingerprint).then_some(text)
}

/// Removes kept texts no coded document has any more.
pub(crate) fn prune(root: &Path, wanted: &HashSet<String>) {
    let Ok(entries) = std::fs::read_dir(root.join(CACHE_DIR).join(TEXTS_DIR)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let fingerprint = name.strip_suffix(".txt").unwrap_or(&name);
        if !wanted.contains(fingerprint) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
