//! The source is laid out by layer (`src/README.md`): each module uses only those listed
//! before it, so a newcomer can read the crate from the bottom up and no change to a lower
//! layer has to know about a higher one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The modules in the order `src/README.md` lists them (its table's first column).
fn layers(root: &Path) -> Vec<String> {
    let readme = std::fs::read_to_string(root.join("src/README.md")).unwrap();
    readme
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .map(|name| {
            name.trim_end_matches('/')
                .trim_end_matches(".rs")
                .to_string()
        })
        .collect()
}

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap().flatten() {
            rust_files(&entry.path(), out);
        }
    } else if path.is_file() && path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

/// The crate's modules a source file names (`crate::name`), comments left out.
fn used_modules(source: &str) -> Vec<String> {
    let mut used = Vec::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() {
                used.push(name);
            }
        }
    }
    used
}

#[test]
fn no_module_uses_one_listed_after_it_in_the_source_readme() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let layers = layers(root);
    assert!(
        layers.len() > 15,
        "src/README.md lists the layers: {layers:?}"
    );
    let rank: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .map(|(i, name)| (name.as_str(), i))
        .collect();
    let mut listed = Vec::new();
    for entry in std::fs::read_dir(root.join("src")).unwrap().flatten() {
        let name = entry
            .file_name()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if !["lib", "main", "README.md"].contains(&name.as_str()) {
            listed.push(name);
        }
    }
    let unlisted: Vec<&String> = listed
        .iter()
        .filter(|n| !rank.contains_key(n.as_str()))
        .collect();
    assert!(
        unlisted.is_empty(),
        "src/README.md does not list {unlisted:?}"
    );

    let mut upward = Vec::new();
    for (layer, name) in layers.iter().enumerate() {
        let mut files = Vec::new();
        rust_files(&root.join("src").join(name), &mut files);
        rust_files(&root.join("src").join(format!("{name}.rs")), &mut files);
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            for used in used_modules(&source) {
                if rank.get(used.as_str()).is_some_and(|&r| r > layer) {
                    upward.push(format!("{} uses crate::{used}", file.display()));
                }
            }
        }
    }
    upward.sort();
    upward.dedup();
    assert!(
        upward.is_empty(),
        "modules using a layer above them:\n{}",
        upward.join("\n")
    );
}
