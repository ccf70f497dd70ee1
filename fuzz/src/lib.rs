//! What the fuzz targets share: a scratch folder per process (in memory when `/dev/shm` is
//! there), files written into it for the parsers that read from a path, as qualkit does, and
//! throwaway projects for the imports.
//!
//! Every target calls the entry point qualkit itself uses for the file kind; errors are
//! expected, a panic or an abort is a finding.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use qualkit::Project;
use qualkit::project::StarterCodebook;

/// The default speaker patterns, compiled once per process (compiling them is most of the
/// cost of a small input).
pub fn patterns() -> &'static qualkit::ingest::TurnPatterns {
    static PATTERNS: OnceLock<qualkit::ingest::TurnPatterns> = OnceLock::new();
    PATTERNS.get_or_init(qualkit::ingest::TurnPatterns::default)
}

/// This process's scratch folder, emptied when the process starts.
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = Path::new("/dev/shm");
        let base = if base.is_dir() {
            base.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("qualkit-fuzz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch folder");
        dir
    })
}

/// Writes `bytes` as `name` in the scratch folder (creating subfolders) and returns its path.
pub fn file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch().join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("scratch subfolder");
    }
    std::fs::write(&path, bytes).expect("scratch file");
    path
}

/// An empty project (`qualkit new`) in the scratch folder, made again when `fresh` (after an
/// import changed it).
pub fn empty_project(fresh: bool) -> PathBuf {
    let dir = scratch().join("project");
    if fresh || !dir.join("qualkit.toml").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        Project::create(&dir, "fuzz", StarterCodebook::Npt).expect("a new project");
        Project::open(&dir).expect("the new project opens");
    }
    dir
}

/// A copy of the sample project `data/deep-end` (documents, codebook, cases) in the scratch
/// folder, made once per process.
pub fn sample_project() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/deep-end");
        let to = scratch().join("deep-end");
        copy_dir(&from, &to);
        to
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("copy of the sample project");
    for entry in std::fs::read_dir(from).expect("data/deep-end") {
        let entry = entry.expect("data/deep-end entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy of a sample file");
        }
    }
}
