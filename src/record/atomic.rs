//! Writing one file so that it is whole or absent whatever moment the process dies: the bytes
//! go to a temporary file in the same folder, reach the disk, and only then take the file's
//! name (a rename within one folder is atomic), after which the folder entry itself is synced.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Replaces (or creates) `path` with `bytes`, atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let temporary = sibling(path, "new", &super::change::short_id());
    write_synced(&temporary, bytes)?;
    super::crash::point("atomic:before-rename");
    if let Err(e) = std::fs::rename(&temporary, path) {
        let _ = std::fs::remove_file(&temporary);
        return Err(Error::io(path, e));
    }
    sync_parent(path)
}

/// Writes `bytes` to a new file at `path` and syncs it to disk.
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let mut file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(path, e))
}

/// Syncs the folder holding `path`, so that a rename or removal in it survives a crash.
pub(crate) fn sync_parent(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // Folders cannot be opened for syncing on every platform; where they can, it matters.
    match std::fs::File::open(dir) {
        Ok(handle) => match handle.sync_all() {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => Ok(()),
            Err(e) if e.raw_os_error() == Some(21) => Ok(()),
            Err(e) => Err(Error::io(dir, e)),
        },
        Err(_) => Ok(()),
    }
}

/// A hidden file beside `path` for one step of a change: `.<name>.qk-<id>-<role>`.
pub(crate) fn sibling(path: &Path, role: &str, id: &str) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".{name}.qk-{id}-{role}"))
}

/// Whether a file name is one of qualkit's temporary or backup files.
pub(crate) fn is_scratch_name(name: &str) -> bool {
    name.starts_with('.')
        && name.contains(".qk-")
        && (name.ends_with("-new") || name.ends_with("-old") || name.ends_with("-add"))
}
