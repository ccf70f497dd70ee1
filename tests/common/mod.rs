//! Fixture projects written to real folders.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

pub const CODEBOOK: &str = "codes:
  - id: coh
    name: Coherence
    color: \"#4c72b0\"
    children:
      - id: coh.diff
        name: Differentiation
      - id: coh.comm
        name: Communal specification
  - id: ctx
    name: Context
    children:
      - id: ctx.lead
        name: Leadership
      - id: ctx.other
        name: Differentiation
  - id: learn
    name: Shared learning
";

pub const CASES: &str =
    "case,integration,list_size,training\nMagenta,FIP,5130,true\nCobalt,PIP,4382,false\n";

/// A small project on disk; documents are added by the test.
pub struct Fixture {
    pub dir: TempDir,
}

impl Fixture {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        std::fs::write(root.join("qualkit.toml"), "name = \"fixture\"\n").unwrap();
        std::fs::write(root.join("cases.csv"), CASES).unwrap();
        std::fs::write(root.join("codebook.yaml"), CODEBOOK).unwrap();
        std::fs::create_dir_all(root.join("transcripts")).unwrap();
        Fixture { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a transcript (raw bytes, so tests can use CRLF, a BOM or broken UTF-8).
    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.root().join("transcripts").join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    pub fn open(&self) -> qualkit::Project {
        qualkit::Project::open(self.root()).expect("fixture opens")
    }

    /// The cache's SQLite file in use.
    pub fn store_path(&self) -> PathBuf {
        qualkit::store::Store::current(&self.root().join(".qualkit")).expect("a store is in use")
    }

    /// The names of the store files in `.qualkit/` (none before the first open).
    pub fn cache_files(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.root().join(".qualkit")) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("project"))
            .collect();
        names.sort();
        names
    }
}

pub fn transcript(case: &str, participants: &[(&str, &str)], body: &str) -> String {
    let mut s = format!(
        "---\ncase: {case}\nmethod: interview\nphase: P2\ndate: 2015-03-01\nparticipants:\n"
    );
    for (speaker, role) in participants {
        s.push_str(&format!("  - speaker: {speaker}\n    role: {role}\n"));
    }
    s.push_str("---\n");
    s.push_str(body);
    s
}

/// Runs the qualkit binary; returns (success, stdout, stderr).
pub fn qualkit(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_qualkit"))
        .args(args)
        .env("QUALKIT_CODER", "tester")
        // No installed sentence model: suggestions use TF-IDF whatever this machine has.
        .env("QUALKIT_MODELS", "/nonexistent/qualkit-test-models")
        .output()
        .expect("qualkit runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Copies a project folder without its `.qualkit` cache: the working store may be in use by
/// another test, and the copy builds its own.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() == ".qualkit" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file of a project folder outside its cache (`.qualkit/`), by path relative to the
/// folder, with its bytes: equal before and after means the record is untouched, byte for byte.
pub fn record_files(root: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable folder").flatten() {
            let path = entry.path();
            let name = path
                .strip_prefix(root)
                .expect("below the root")
                .to_string_lossy()
                .into_owned();
            if name == ".qualkit" {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(name, std::fs::read(&path).expect("readable file"));
            }
        }
    }
    out
}
