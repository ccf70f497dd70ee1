//! A change of several files that happens whole or not at all.
//!
//! Before a file is touched, the change's manifest (`.qualkit-change.json` in the project
//! folder) lists it, with whether it existed; the old file is kept as a hard link beside it
//! (`.<name>.qk-<id>-old`) while the new one is written to a temporary file and renamed over
//! it. Appends (the log) record the length they started from. When every file is in place the
//! manifest is marked committed, and only then are the backups removed. If the process dies:
//! an open manifest is rolled back (backups renamed over the new files, new files removed,
//! appends truncated), a committed one is completed (backups removed); [`recover`] does this
//! on the next open and says which. The manifest lives in the project folder, not in the
//! `.qualkit/` cache, because it is part of the record until the change is done.
//!
//! Code that changes the record runs inside [`in_change`]: every [`write`] and [`append`]
//! made on that thread under the same project joins the one change, so a `.qdpx` import
//! (transcripts, codebook, cases, then codings, memos and the log) commits as one.

use std::cell::RefCell;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::atomic::{sibling, sync_parent, write_atomic, write_synced};
use super::crash;
use crate::error::{Error, Result};

pub const MANIFEST_FILE: &str = ".qualkit-change.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    id: String,
    description: String,
    committed: bool,
    steps: Vec<Step>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Step {
    /// `path` (relative to the project) replaced; `existed` says whether there was a file.
    Replace { path: PathBuf, existed: bool },
    /// Bytes appended to `path`, which was `length` bytes long (absent if `existed` is false).
    Append {
        path: PathBuf,
        existed: bool,
        length: u64,
    },
    /// `path` removed (kept as the backup until commit).
    Remove { path: PathBuf },
}

/// A change in progress. See the module documentation.
pub struct Change {
    root: PathBuf,
    manifest: Manifest,
}

thread_local! {
    static CURRENT: RefCell<Option<Change>> = const { RefCell::new(None) };
}

/// A short random id for a change's scratch files.
pub(crate) fn short_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

/// Runs `work` as one change of the project in `root`: every file it writes through
/// [`write`], [`append`] or [`remove`] is kept only if it returns `Ok`; on an error the files
/// are put back as they were. Nested calls join the outer change.
pub fn in_change<T>(root: &Path, description: &str, work: impl FnOnce() -> Result<T>) -> Result<T> {
    let nested = CURRENT.with(|c| c.borrow().is_some());
    if nested {
        return work();
    }
    CURRENT.with(|c| {
        *c.borrow_mut() = Some(Change {
            root: root.to_path_buf(),
            manifest: Manifest {
                id: short_id(),
                description: description.to_string(),
                committed: false,
                steps: Vec::new(),
            },
        })
    });
    let outcome = work();
    let change = CURRENT
        .with(|c| c.borrow_mut().take())
        .expect("the change is still current");
    match outcome {
        Ok(value) => {
            change.commit()?;
            Ok(value)
        }
        Err(e) => {
            if let Err(undo) = change.roll_back() {
                return Err(Error::Invalid {
                    path: root.join(MANIFEST_FILE),
                    message: format!(
                        "{e}; putting the files back failed too ({undo}); the next open finishes it"
                    ),
                });
            }
            Err(e)
        }
    }
}

/// Replaces `path` with `bytes`: inside [`in_change`] as part of the change, else atomically
/// on its own.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let joined = CURRENT.with(|c| {
        let mut current = c.borrow_mut();
        match current.as_mut() {
            Some(change) if path.starts_with(&change.root) => Some(change.replace(path, bytes)),
            _ => None,
        }
    });
    match joined {
        Some(result) => result,
        None => write_atomic(path, bytes),
    }
}

/// Appends `bytes` to `path` as part of the current change (or as a change of its own).
pub fn append(root: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
    in_change(root, "append", || {
        CURRENT.with(|c| {
            c.borrow_mut()
                .as_mut()
                .expect("inside a change")
                .append(path, bytes)
        })
    })
}

/// Removes `path` as part of the current change (or as a change of its own).
pub fn remove(root: &Path, path: &Path) -> Result<()> {
    in_change(root, "remove", || {
        CURRENT.with(|c| {
            c.borrow_mut()
                .as_mut()
                .expect("inside a change")
                .remove(path)
        })
    })
}

impl Change {
    fn relative(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.root).unwrap_or(path).to_path_buf()
    }

    fn save_manifest(&self) -> Result<()> {
        let json = serde_json::to_vec_pretty(&self.manifest).expect("manifest serialises");
        write_atomic(&self.root.join(MANIFEST_FILE), &json)
    }

    fn backup(&self, path: &Path) -> PathBuf {
        sibling(path, "old", &self.manifest.id)
    }

    /// Keeps the file at `path` as this change's backup, once per file.
    fn keep_backup(&self, path: &Path) -> Result<()> {
        let backup = self.backup(path);
        if backup.exists() {
            return Ok(());
        }
        std::fs::hard_link(path, &backup).map_err(|e| Error::io(&backup, e))?;
        sync_parent(&backup)
    }

    fn already_listed(&self, relative: &Path) -> bool {
        self.manifest.steps.iter().any(|s| match s {
            Step::Replace { path, .. } | Step::Append { path, .. } | Step::Remove { path } => {
                path == relative
            }
        })
    }

    fn replace(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        let relative = self.relative(path);
        let existed = path.exists();
        if !self.already_listed(&relative) {
            self.manifest.steps.push(Step::Replace {
                path: relative.clone(),
                existed,
            });
            self.save_manifest()?;
            crash::point("change:listed");
            if existed {
                self.keep_backup(path)?;
                crash::point("change:backed-up");
            }
        }
        let temporary = sibling(path, "new", &self.manifest.id);
        write_synced(&temporary, bytes)?;
        crash::point("change:written");
        std::fs::rename(&temporary, path).map_err(|e| Error::io(path, e))?;
        sync_parent(path)?;
        crash::point("change:renamed");
        Ok(())
    }

    fn append(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        let relative = self.relative(path);
        if !self.already_listed(&relative) {
            let length = std::fs::metadata(path).map(|m| m.len()).ok();
            self.manifest.steps.push(Step::Append {
                path: relative,
                existed: length.is_some(),
                length: length.unwrap_or(0),
            });
            self.save_manifest()?;
            crash::point("change:listed");
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io(path, e))?;
        sync_parent(path)?;
        crash::point("change:appended");
        Ok(())
    }

    fn remove(&mut self, path: &Path) -> Result<()> {
        if !path.exists() {
            return Ok(());
        }
        let relative = self.relative(path);
        if !self.already_listed(&relative) {
            self.manifest.steps.push(Step::Remove { path: relative });
            self.save_manifest()?;
            self.keep_backup(path)?;
        }
        std::fs::remove_file(path).map_err(|e| Error::io(path, e))?;
        sync_parent(path)?;
        crash::point("change:removed");
        Ok(())
    }

    fn commit(mut self) -> Result<()> {
        if self.manifest.steps.is_empty() {
            return Ok(());
        }
        crash::point("change:before-commit");
        self.manifest.committed = true;
        self.save_manifest()?;
        crash::point("change:committed");
        finish(&self.root, &self.manifest)
    }

    fn roll_back(self) -> Result<()> {
        if self.manifest.steps.is_empty() {
            return Ok(());
        }
        undo(&self.root, &self.manifest)
    }
}

/// Removes the backups of a committed change, then its manifest.
fn finish(root: &Path, manifest: &Manifest) -> Result<()> {
    for step in &manifest.steps {
        let path = match step {
            Step::Replace { path, .. } | Step::Append { path, .. } | Step::Remove { path } => {
                root.join(path)
            }
        };
        for role in ["old", "new"] {
            remove_if_there(&sibling(&path, role, &manifest.id))?;
        }
    }
    crash::point("change:cleaned");
    let file = root.join(MANIFEST_FILE);
    remove_if_there(&file)?;
    sync_parent(&file)
}

/// Puts every file of an unfinished change back as it was, last step first.
fn undo(root: &Path, manifest: &Manifest) -> Result<()> {
    for step in manifest.steps.iter().rev() {
        match step {
            Step::Replace { path, existed } => {
                let path = root.join(path);
                let backup = sibling(&path, "old", &manifest.id);
                if backup.exists() {
                    std::fs::rename(&backup, &path).map_err(|e| Error::io(&path, e))?;
                } else if !existed {
                    remove_if_there(&path)?;
                }
                remove_if_there(&sibling(&path, "new", &manifest.id))?;
                sync_parent(&path)?;
            }
            Step::Append {
                path,
                existed,
                length,
            } => {
                let path = root.join(path);
                if !existed {
                    remove_if_there(&path)?;
                } else if let Ok(file) = std::fs::OpenOptions::new().write(true).open(&path) {
                    file.set_len(*length)
                        .and_then(|()| file.sync_all())
                        .map_err(|e| Error::io(&path, e))?;
                }
                sync_parent(&path)?;
            }
            Step::Remove { path } => {
                let path = root.join(path);
                let backup = sibling(&path, "old", &manifest.id);
                if backup.exists() {
                    std::fs::rename(&backup, &path).map_err(|e| Error::io(&path, e))?;
                    sync_parent(&path)?;
                }
            }
        }
    }
    let file = root.join(MANIFEST_FILE);
    remove_if_there(&file)?;
    sync_parent(&file)
}

fn remove_if_there(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Whether this thread is in the middle of a change of the project in `root` (its manifest
/// is then this change's own, not a crashed one's).
pub fn in_progress_here(root: &Path) -> bool {
    CURRENT.with(|c| {
        c.borrow()
            .as_ref()
            .is_some_and(|change| change.root == root)
    })
}

/// Whether a change was interrupted in the project in `root` (cheap: one `stat`).
pub fn interrupted(root: &Path) -> bool {
    root.join(MANIFEST_FILE).exists()
}

/// Finishes or rolls back a change that a process did not live to finish, and says which.
/// The caller holds the project's exclusive lock.
pub fn recover(root: &Path) -> Result<Option<String>> {
    let file = root.join(MANIFEST_FILE);
    let bytes = match std::fs::read(&file) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&file, e)),
    };
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| Error::Invalid {
        path: file.clone(),
        message: format!(
            "an interrupted change left this file, but it cannot be read ({e}); look at the files it names, then delete it"
        ),
    })?;
    if manifest.steps.iter().any(|s| match s {
        Step::Replace { path, .. } | Step::Append { path, .. } | Step::Remove { path } => {
            path.is_absolute()
                || path
                    .components()
                    .any(|c| matches!(c, std::path::Component::ParentDir))
        }
    }) {
        return Err(Error::Invalid {
            path: file,
            message: "names a file outside the project; delete it by hand".into(),
        });
    }
    let files: Vec<String> = manifest
        .steps
        .iter()
        .map(|s| match s {
            Step::Replace { path, .. } | Step::Append { path, .. } | Step::Remove { path } => {
                path.display().to_string()
            }
        })
        .collect();
    if manifest.committed {
        finish(root, &manifest)?;
        Ok(Some(format!(
            "completed an interrupted change ({}): {}",
            manifest.description,
            files.join(", ")
        )))
    } else {
        undo(root, &manifest)?;
        Ok(Some(format!(
            "rolled back an interrupted change ({}); these files are as they were before it: {}",
            manifest.description,
            files.join(", ")
        )))
    }
}
