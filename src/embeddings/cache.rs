//! Vectors already computed, kept in the project's cache (`.qualkit/embeddings.sqlite`), keyed
//! by the model's hash and the SHA-256 of the text: only text not seen before by that model is
//! run through it. Like all of `.qualkit/`, it is not part of the record: deleting it only
//! means the vectors are computed again. SQLite (WAL, a busy timeout, one transaction per
//! batch of new vectors, `INSERT OR IGNORE`) lets several processes fill it at once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, params};

use super::encoder::Encoder;
use super::models::{Installed, sha256_hex};
use crate::error::{Error, Result};

pub const CACHE_FILE: &str = "embeddings.sqlite";

/// Texts embedded per transaction: a process that dies loses at most one batch of work.
const CHUNK: usize = 256;

/// Vectors of texts, and where they came from.
pub struct Embedded {
    pub vectors: Vec<Vec<f32>>,
    /// Distinct texts run through the model now.
    pub embedded: usize,
    /// Texts whose vectors were in the cache already.
    pub cached: usize,
    /// Texts cut at the model's maximum length (now or when first embedded).
    pub truncated: usize,
}

struct Cache {
    path: PathBuf,
    conn: Connection,
}

impl Cache {
    fn open(project_root: &Path) -> Result<Cache> {
        let dir = project_root.join(crate::record::CACHE_DIR);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let path = dir.join(CACHE_FILE);
        let fail = |source| Error::Store {
            path: path.clone(),
            source,
        };
        let conn = Connection::open(&path).map_err(fail)?;
        conn.busy_timeout(Duration::from_secs(60)).map_err(fail)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(fail)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(fail)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS vectors (
                model TEXT NOT NULL,
                text_sha256 TEXT NOT NULL,
                truncated INTEGER NOT NULL,
                vector BLOB NOT NULL,
                PRIMARY KEY (model, text_sha256)
            ) WITHOUT ROWID;",
        )
        .map_err(fail)?;
        Ok(Cache { path, conn })
    }

    fn fail(&self, source: rusqlite::Error) -> Error {
        Error::Store {
            path: self.path.clone(),
            source,
        }
    }
}

fn to_blob(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn from_blob(blob: &[u8]) -> Vec<f32> {
    blob.chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Vectors of `texts` by the installed `model`, from the cache of the project at
/// `project_root` where it has them, computed (and kept) where it does not. The model is
/// loaded only when some text is new.
pub fn embed(project_root: &Path, model: &Installed, texts: &[&str]) -> Result<Embedded> {
    let cache = Cache::open(project_root)?;
    let hash = &model.manifest.hash;
    let dimensions = super::models::dimensions(&model.dir)?;
    let keys: Vec<String> = texts.iter().map(|t| sha256_hex(t.as_bytes())).collect();
    let mut found: HashMap<String, (Vec<f32>, bool)> = HashMap::new();
    {
        let mut select = cache
            .conn
            .prepare("SELECT vector, truncated FROM vectors WHERE model = ?1 AND text_sha256 = ?2")
            .map_err(|e| cache.fail(e))?;
        for key in &keys {
            if found.contains_key(key) {
                continue;
            }
            let row = select.query_row(params![hash, key], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)? != 0))
            });
            match row {
                Ok((blob, truncated)) => {
                    let vector = from_blob(&blob);
                    // A vector of another length is damage: compute it again.
                    if vector.len() == dimensions {
                        found.insert(key.clone(), (vector, truncated));
                    }
                }
                Err(rusqlite::Error::QueryReturnedNoRows) => {}
                Err(e) => return Err(cache.fail(e)),
            }
        }
    }
    let cached_units = keys.iter().filter(|k| found.contains_key(*k)).count();
    // Each new text once, however often it occurs.
    let mut missing: Vec<usize> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, key) in keys.iter().enumerate() {
        if !found.contains_key(key) && seen.insert(key.as_str()) {
            missing.push(i);
        }
    }
    let encoder = if missing.is_empty() {
        None
    } else {
        Some(Encoder::load(&model.dir, hash)?)
    };
    for chunk in missing.chunks(CHUNK) {
        let encoder = encoder.as_ref().expect("loaded when some text is new");
        let inputs: Vec<&str> = chunk.iter().map(|&i| texts[i]).collect();
        let encoded = encoder.encode(&inputs)?;
        let conn = cache
            .conn
            .unchecked_transaction()
            .map_err(|e| cache.fail(e))?;
        {
            let mut insert = conn
                .prepare(
                    "INSERT OR IGNORE INTO vectors (model, text_sha256, truncated, vector) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(|e| cache.fail(e))?;
            for ((&i, vector), truncated) in
                chunk.iter().zip(&encoded.vectors).zip(&encoded.truncated)
            {
                insert
                    .execute(params![hash, keys[i], *truncated as i64, to_blob(vector)])
                    .map_err(|e| cache.fail(e))?;
            }
        }
        conn.commit().map_err(|e| cache.fail(e))?;
        for ((&i, vector), truncated) in chunk.iter().zip(encoded.vectors).zip(encoded.truncated) {
            found.insert(keys[i].clone(), (vector, truncated));
        }
    }
    let mut truncated_texts = 0;
    let vectors = keys
        .iter()
        .map(|k| {
            let (vector, truncated) = &found[k];
            truncated_texts += *truncated as usize;
            vector.clone()
        })
        .collect();
    Ok(Embedded {
        vectors,
        embedded: missing.len(),
        cached: cached_units,
        truncated: truncated_texts,
    })
}
