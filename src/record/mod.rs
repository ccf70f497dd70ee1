//! The project's record: the plain files that are the whole of a project's work, and the
//! rules for changing them safely. Everything a researcher does (codings, memos, Framework
//! summaries, classifications, the audit log) is written to these files before the call that
//! did it returns; `.qualkit/` holds only a cache built from them.
//!
//! ```text
//! codings/<coder>.csv   one row per coding: id, coder, document, code, start, end, quote, created, entry
//! memos.csv             id, kind, target, author, updated, text
//! summaries.csv         case, theme, summary, author, updated
//! classifications.csv   attribute, case, value, reason, author, updated
//! log.jsonl             the audit log, one JSON object a line, append-only
//! ```
//!
//! This module owns the file formats ([`files`]), whole-or-absent writes ([`atomic`],
//! [`change`]), the project lock ([`lock`]), the crash points tests use ([`crash`]), and the
//! fingerprints by which the cache knows whether it still matches the files ([`stamps`]).
//! It knows nothing of SQLite or of document text.

pub mod atomic;
pub mod change;
pub mod crash;
pub mod files;
pub mod lock;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub use change::{append, in_change, remove, write};
pub use lock::{Mode, ProjectLock};

/// The cache folder: deleted, it is rebuilt from the record.
pub const CACHE_DIR: &str = ".qualkit";
pub const CODINGS_DIR: &str = "codings";
pub const MEMOS_FILE: &str = "memos.csv";
pub const SUMMARIES_FILE: &str = "summaries.csv";
pub const CLASSIFICATIONS_FILE: &str = "classifications.csv";
pub const LOG_FILE: &str = "log.jsonl";

/// A new id for a coding, memo or log entry: a GUID, as REFI-QDA uses, so ids made in two
/// copies of a project never meet.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An id made from `key`, in the form of a GUID (a version 8 UUID): the same key always gives
/// the same id. For generated data, which must come out the same from the same seed.
pub fn derived_id(key: &str) -> String {
    let mut bytes = xxhash_rust::xxh3::xxh3_128(key.as_bytes()).to_be_bytes();
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(bytes).to_string()
}

/// The codings files of the project in `root`, sorted.
pub fn codings_files(root: &Path) -> Result<Vec<PathBuf>> {
    let dir = root.join(CODINGS_DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&dir, e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::io(&dir, e))?.path();
        let visible = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| !n.starts_with('.'));
        if visible
            && path.is_file()
            && path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Every record file that exists, relative to `root`.
pub fn record_files(root: &Path) -> Result<Vec<PathBuf>> {
    let mut files = codings_files(root)?;
    for name in [MEMOS_FILE, SUMMARIES_FILE, CLASSIFICATIONS_FILE, LOG_FILE] {
        let path = root.join(name);
        if path.is_file() {
            files.push(path);
        }
    }
    Ok(files)
}

/// What the record files look like on disk, without reading them: for each, its inode, size
/// and modification time (as git's index does). A cache built from the files keeps these, and
/// is rebuilt when they differ.
pub type Stamps = BTreeMap<String, String>;

pub fn stamps(root: &Path) -> Result<Stamps> {
    let mut out = Stamps::new();
    for path in record_files(root)? {
        out.insert(relative_name(root, &path), stamp(&path)?);
    }
    Ok(out)
}

/// The stamp of one file.
pub fn stamp(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0u64;
    Ok(format!("{inode}:{}:{modified}", meta.len()))
}

/// A path as the record names it: relative to the project, with `/`.
pub fn relative_name(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
