//! Zip archives from other tools (`.qdpx`, `.docx`), opened as untrusted input: every entry
//! name must stay inside the archive's folder, entries and the whole archive are capped in
//! size (checked on the bytes actually inflated, not only on the sizes the archive claims),
//! and nothing is ever unpacked to disk.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;

use crate::error::{Error, Result};

/// Size caps for reading an archive.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_entries: usize,
    /// Largest single entry, uncompressed.
    pub max_entry_bytes: u64,
    /// All entries together, uncompressed.
    pub max_total_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 100_000,
            max_entry_bytes: 256 << 20,
            max_total_bytes: 2 << 30,
        }
    }
}

/// An entry of an archive: its name as stored and its claimed size.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub size: u64,
}

pub struct Archive {
    path: PathBuf,
    zip: zip::ZipArchive<std::fs::File>,
    entries: Vec<Entry>,
    limits: Limits,
    read_so_far: u64,
}

impl Archive {
    /// Opens an archive and checks every entry's name and claimed size before anything is
    /// read.
    pub fn open(path: &Path, limits: Limits) -> Result<Archive> {
        let invalid = |message: String| Error::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut zip = zip::ZipArchive::new(file)
            .map_err(|e| invalid(format!("not a readable zip archive ({e})")))?;
        if zip.len() > limits.max_entries {
            return Err(invalid(format!(
                "the archive has {} entries, more than the {} accepted",
                zip.len(),
                limits.max_entries
            )));
        }
        let mut entries = Vec::with_capacity(zip.len());
        let mut total: u64 = 0;
        for i in 0..zip.len() {
            let entry = zip
                .by_index_raw(i)
                .map_err(|e| invalid(format!("entry {i}: {e}")))?;
            let name = entry
                .name()
                .map_err(|e| invalid(format!("entry {i}: unreadable name ({e})")))?
                .into_owned();
            if let Some(why) = outside(&name) {
                return Err(invalid(format!(
                    "entry `{name}` {why}, which points outside the archive's folder; refusing the archive"
                )));
            }
            if entry.enclosed_name().is_none() {
                return Err(invalid(format!(
                    "entry `{name}` points outside the archive's folder; refusing the archive"
                )));
            }
            if entry.is_symlink() {
                return Err(invalid(format!(
                    "entry `{name}` is a symbolic link; refusing the archive"
                )));
            }
            if entry.encrypted() {
                return Err(invalid(format!(
                    "entry `{name}` is encrypted; export the project again without a password"
                )));
            }
            if entry.size() > limits.max_entry_bytes {
                return Err(invalid(format!(
                    "entry `{name}` unpacks to {} bytes, more than the {} accepted for one entry",
                    entry.size(),
                    limits.max_entry_bytes
                )));
            }
            total = total.saturating_add(entry.size());
            if total > limits.max_total_bytes {
                return Err(invalid(format!(
                    "the archive unpacks to more than the {} bytes accepted",
                    limits.max_total_bytes
                )));
            }
            if !entry.is_dir() {
                entries.push(Entry {
                    name,
                    size: entry.size(),
                });
            }
        }
        Ok(Archive {
            path: path.to_path_buf(),
            zip,
            entries,
            limits,
            read_so_far: 0,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// File entries (folders left out), in archive order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry called `name`, or failing that the one whose name differs only in case or
    /// in `\` for `/`.
    pub fn find(&self, name: &str) -> Option<&str> {
        let wanted = name.replace('\\', "/");
        self.entries
            .iter()
            .find(|e| e.name == wanted)
            .or_else(|| {
                self.entries
                    .iter()
                    .find(|e| e.name.replace('\\', "/").eq_ignore_ascii_case(&wanted))
            })
            .map(|e| e.name.as_str())
    }

    /// Reads one entry whole, stopping as soon as it inflates past the limits.
    pub fn read(&mut self, name: &str) -> Result<Vec<u8>> {
        let path = self.path.clone();
        let invalid = |message: String| Error::Invalid {
            path: path.clone(),
            message,
        };
        let index = self
            .zip
            .index_for_name(name)
            .ok_or_else(|| invalid(format!("no entry `{name}` in the archive")))?;
        let entry = self
            .zip
            .by_index(index)
            .map_err(|e| invalid(format!("entry `{name}`: {e}")))?;
        let cap = self
            .limits
            .max_entry_bytes
            .min(self.limits.max_total_bytes - self.read_so_far.min(self.limits.max_total_bytes));
        let mut bytes = Vec::new();
        entry
            .take(cap + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| invalid(format!("entry `{name}` cannot be unpacked ({e})")))?;
        if bytes.len() as u64 > cap {
            return Err(invalid(format!(
                "entry `{name}` unpacks to more than it claims or than the limit allows ({cap} bytes); refusing the archive"
            )));
        }
        self.read_so_far += bytes.len() as u64;
        Ok(bytes)
    }
}

/// Why an entry name is not a path inside the archive's folder, if it is not: named from
/// the root (`/x`, `\\server\x`), from a drive (`C:x`), or climbing out (`..`). Backslashes
/// are folder separators to Windows tools, so they count as `/` does.
fn outside(name: &str) -> Option<&'static str> {
    if name.starts_with(['/', '\\']) {
        return Some("is an absolute path");
    }
    let mut chars = name.chars();
    if chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.next() == Some(':') {
        return Some("names a drive");
    }
    if name.split(['/', '\\']).any(|part| part == "..") {
        return Some("climbs out with `..`");
    }
    None
}

/// A zip archive of `entries` (deflated), built in memory so that the caller can write it
/// atomically; `path`, where it is going, names it in errors.
pub fn build(path: &Path, entries: &[(String, Vec<u8>)]) -> Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    let fail = |e: zip::result::ZipError| Error::Invalid {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    for (name, bytes) in entries {
        zip.start_file(name.as_str(), options).map_err(fail)?;
        zip.write_all(bytes).map_err(|e| Error::io(path, e))?;
    }
    Ok(zip.finish().map_err(fail)?.into_inner())
}
