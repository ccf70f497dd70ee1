//! The project lock: one file, `.qualkit/lock`, locked with the operating system's advisory
//! locks. Opening a project takes it shared (many readers at once); changing the record or
//! building the store takes it exclusively, so writers queue and nobody reads half a change.
//! The lock dies with its process, so a crashed writer never blocks the others.
//!
//! Locks are counted per thread and project: code that already holds the exclusive lock may
//! open the project again (a `.qdpx` import reads back what it wrote) without deadlocking on
//! itself, while two threads of one process exclude each other as two processes do (each
//! thread locks through its own open file).

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Shared,
    Exclusive,
}

struct Held {
    file: File,
    mode: Mode,
    count: usize,
}

type Key = (PathBuf, std::thread::ThreadId);

fn held() -> &'static Mutex<HashMap<Key, Held>> {
    static HELD: OnceLock<Mutex<HashMap<Key, Held>>> = OnceLock::new();
    HELD.get_or_init(Default::default)
}

/// A hold on a project's lock; released when dropped.
pub struct ProjectLock {
    key: Key,
}

impl ProjectLock {
    /// Waits for the lock of the project in `root`.
    pub fn acquire(root: &Path, mode: Mode) -> Result<ProjectLock> {
        let cache = root.join(super::CACHE_DIR);
        std::fs::create_dir_all(&cache).map_err(|e| Error::io(&cache, e))?;
        let path = cache.join("lock");
        let key = (
            std::fs::canonicalize(&cache).unwrap_or(cache).join("lock"),
            std::thread::current().id(),
        );
        {
            let mut table = held().lock().unwrap_or_else(|e| e.into_inner());
            if let Some(h) = table.get_mut(&key) {
                if h.mode == Mode::Exclusive || mode == Mode::Shared {
                    h.count += 1;
                    return Ok(ProjectLock { key });
                }
                return Err(Error::Invalid {
                    path,
                    message: "this process holds the project open for reading while asking to change it; this is a bug in qualkit".into(),
                });
            }
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        match mode {
            Mode::Shared => file.lock_shared(),
            Mode::Exclusive => file.lock(),
        }
        .map_err(|e| Error::io(&path, e))?;
        let mut table = held().lock().unwrap_or_else(|e| e.into_inner());
        table.insert(
            key.clone(),
            Held {
                file,
                mode,
                count: 1,
            },
        );
        Ok(ProjectLock { key })
    }
}

impl Drop for ProjectLock {
    fn drop(&mut self) {
        let mut table = held().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(h) = table.get_mut(&self.key) {
            h.count -= 1;
            if h.count == 0 {
                let h = table.remove(&self.key).expect("present");
                let _ = h.file.unlock();
            }
        }
    }
}
