//! The codebook: a tree of codes kept in `codebook.yaml`. Codes are keyed by a stable id;
//! names may repeat under different parents, so a code is found by id, by its path
//! (`NPT/Coherence/Communal specification`) or by a name that is unique in the tree.
//!
//! Errors in what the file means (a repeated id, a colour, a name) name the line of the code
//! they are about, as syntax errors do.

pub mod yaml;

/// The codebook's file in a project folder.
pub const FILE: &str = "codebook.yaml";

use std::cell::Cell;
use std::collections::HashMap;
use std::path::Path;

use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, suggest};

/// The deepest a code may sit: a top-level code is at level 1. (Reading YAML stops at 63.)
pub const MAX_LEVELS: usize = 50;

/// A code as `codebook.yaml` writes it: the tree form, used to read the file and to write a
/// changed codebook back.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// The GUID the code has in REFI-QDA exchange files, kept when it came from another tool
    /// so that the code keeps its identity there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<CodeSpec>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CodebookFile {
    #[serde(default)]
    codes: Vec<CodeSpec>,
}

/// One code of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    pub id: String,
    pub name: String,
    pub description: String,
    /// `#rrggbb`, inherited from the nearest ancestor that sets one.
    pub color: Option<String>,
    /// Names from the root down, joined by `/`.
    pub path: String,
    /// The REFI-QDA GUID recorded for the code, if it came from another tool.
    pub guid: Option<String>,
    pub parent: Option<String>,
    pub children: Vec<String>,
    pub depth: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Codebook {
    /// Depth-first, in file order.
    codes: Vec<Code>,
    by_id: HashMap<String, usize>,
    /// Paths and names, ASCII lower case, to the codes that have them: lookups and the
    /// duplicate check stay constant-time in a codebook of 100,000 codes.
    by_path: HashMap<String, usize>,
    by_name: HashMap<String, Vec<usize>>,
    /// A fingerprint of the file's content, recorded with every change in the audit log.
    version: String,
}

impl Codebook {
    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::support::text::read_text(path)?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let file: CodebookFile = serde_norway::from_str(text).map_err(|e| Error::Invalid {
            path: path.to_path_buf(),
            message: match e.location() {
                Some(l) => format!("line {}, column {}: {e}", l.line(), l.column()),
                None => e.to_string(),
            },
        })?;
        let mut book = Codebook {
            version: crate::support::text::fingerprint(text)[..12].to_string(),
            ..Default::default()
        };
        for spec in &file.codes {
            // The code being added when it fails is the next in file order: its line is found
            // by reading the file again as far as that code.
            book.add(spec, None, "", None, 0).map_err(|refusal| {
                let mut message = refusal.message;
                if let Some(earlier) = refusal.earlier
                    && let Some(line) = code_line(text, earlier)
                {
                    message.push_str(&format!(
                        "; `{}` is on line {line}",
                        book.codes[earlier].path
                    ));
                }
                if let Some(line) = code_line(text, book.codes.len()) {
                    message = format!("line {line}: {message}");
                }
                Error::Invalid {
                    path: path.to_path_buf(),
                    message,
                }
            })?;
        }
        Ok(book)
    }

    /// Adds `spec` and its children. A refusal is about the code that would have been added
    /// next.
    fn add(
        &mut self,
        spec: &CodeSpec,
        parent: Option<usize>,
        parent_path: &str,
        inherited_color: Option<&str>,
        depth: usize,
    ) -> std::result::Result<(), Refusal> {
        let invalid = |message: String| Refusal {
            message,
            earlier: None,
        };
        let name = spec.name.trim();
        if name.is_empty() || name.contains('/') {
            return Err(invalid(format!(
                "code name `{}` under `{parent_path}` must be non-empty and contain no `/`",
                spec.name
            )));
        }
        if depth >= MAX_LEVELS {
            return Err(invalid(format!(
                "code `{name}` under `{parent_path}` is nested {} levels deep; a codebook holds at most {MAX_LEVELS}",
                depth + 1
            )));
        }
        let code_path = if parent_path.is_empty() {
            name.to_string()
        } else {
            format!("{parent_path}/{name}")
        };
        let id = match &spec.id {
            Some(id) if !id.trim().is_empty() => id.trim().to_string(),
            _ => slug(&code_path),
        };
        if let Some(&other) = self.by_id.get(&id) {
            return Err(Refusal {
                message: format!(
                    "code id `{id}` is used twice: by `{}` and by `{code_path}`",
                    self.codes[other].path
                ),
                earlier: Some(other),
            });
        }
        let path_key = code_path.to_ascii_lowercase();
        if let Some(&other) = self.by_path.get(&path_key) {
            return Err(Refusal {
                message: format!(
                    "two codes share the path `{code_path}`; sibling codes need different names"
                ),
                earlier: Some(other),
            });
        }
        if let Some(color) = &spec.color
            && !is_hex_color(color)
        {
            return Err(invalid(format!(
                "code `{code_path}`: color `{color}` is not of the form #rrggbb"
            )));
        }
        let color = spec
            .color
            .as_deref()
            .or(inherited_color)
            .map(str::to_string);
        let index = self.codes.len();
        self.codes.push(Code {
            id: id.clone(),
            name: name.to_string(),
            description: spec.description.trim().to_string(),
            color: color.clone(),
            path: code_path.clone(),
            guid: spec.guid.clone(),
            parent: parent.map(|p| self.codes[p].id.clone()),
            children: Vec::new(),
            depth,
        });
        self.by_id.insert(id.clone(), index);
        self.by_path.insert(path_key, index);
        self.by_name
            .entry(name.to_ascii_lowercase())
            .or_default()
            .push(index);
        if let Some(p) = parent {
            self.codes[p].children.push(id);
        }
        for child in &spec.children {
            self.add(child, Some(index), &code_path, color.as_deref(), depth + 1)?;
        }
        Ok(())
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    /// All codes, depth-first in file order.
    pub fn codes(&self) -> &[Code] {
        &self.codes
    }

    pub fn get(&self, id: &str) -> Option<&Code> {
        self.by_id.get(id).map(|&i| &self.codes[i])
    }

    /// Finds a code by id, by path (case-insensitive) or by a name unique in the tree.
    pub fn resolve(&self, key: &str) -> Result<&Code> {
        let key = key.trim();
        if let Some(code) = self.get(key) {
            return Ok(code);
        }
        let key_path = key.trim_matches('/');
        if let Some(&i) = self.by_path.get(&key_path.to_ascii_lowercase()) {
            return Ok(&self.codes[i]);
        }
        let named: Vec<&Code> = self
            .by_name
            .get(&key.to_ascii_lowercase())
            .map(|found| found.iter().map(|&i| &self.codes[i]).collect())
            .unwrap_or_default();
        match named.as_slice() {
            [one] => Ok(one),
            [] => Err(Error::UnknownCode {
                code: key.to_string(),
                suggestions: suggest(
                    key,
                    self.codes
                        .iter()
                        .flat_map(|c| [c.id.as_str(), c.path.as_str(), c.name.as_str()]),
                ),
            }),
            many => Err(Error::UnknownCode {
                code: format!("{key}` is a name shared by several codes; give its id or path `"),
                suggestions: many.iter().map(|c| c.path.clone()).collect(),
            }),
        }
    }

    /// The ids of the code named `key` (id, path or unique name) and of every code below it:
    /// what a filter "by code" keeps.
    pub fn ids_below(&self, key: &str) -> Result<std::collections::HashSet<String>> {
        let id = &self.resolve(key)?.id;
        Ok(self
            .descendants_and_self(id)
            .into_iter()
            .map(|c| c.id.clone())
            .collect())
    }

    /// The ids of a code's children, or the code's own id when it has none: the columns a
    /// matrix shows for one code (`matrix("case", "npt")`: the four constructs).
    pub fn children_or_self(&self, key: &str) -> Result<Vec<String>> {
        let parent = self.resolve(key)?;
        let children: Vec<String> = self
            .codes
            .iter()
            .filter(|c| c.parent.as_deref() == Some(parent.id.as_str()))
            .map(|c| c.id.clone())
            .collect();
        Ok(if children.is_empty() {
            vec![parent.id.clone()]
        } else {
            children
        })
    }

    /// The themes a comparison shows when none are named: the codes one level below each
    /// top-level code, and top-level codes that have no children.
    pub fn default_themes(&self) -> Vec<String> {
        let mut themes = Vec::new();
        for root in self.codes.iter().filter(|c| c.parent.is_none()) {
            let children: Vec<String> = self
                .codes
                .iter()
                .filter(|c| c.parent.as_deref() == Some(root.id.as_str()))
                .map(|c| c.id.clone())
                .collect();
            if children.is_empty() {
                themes.push(root.id.clone());
            } else {
                themes.extend(children);
            }
        }
        themes
    }

    /// The code and everything below it.
    pub fn descendants_and_self(&self, id: &str) -> Vec<&Code> {
        let mut out = Vec::new();
        let mut stack = vec![id];
        while let Some(next) = stack.pop() {
            if let Some(code) = self.get(next) {
                out.push(code);
                stack.extend(code.children.iter().rev().map(String::as_str));
            }
        }
        out
    }

    /// The codebook as a tree of specs, as `codebook.yaml` would hold it. A colour equal to the
    /// parent's is left to inheritance.
    pub fn to_specs(&self) -> Vec<CodeSpec> {
        fn spec(book: &Codebook, code: &Code) -> CodeSpec {
            let parent_color = code
                .parent
                .as_deref()
                .and_then(|p| book.get(p))
                .and_then(|p| p.color.as_deref());
            CodeSpec {
                id: Some(code.id.clone()),
                name: code.name.clone(),
                description: code.description.clone(),
                color: code
                    .color
                    .clone()
                    .filter(|c| Some(c.as_str()) != parent_color),
                guid: code.guid.clone(),
                children: code
                    .children
                    .iter()
                    .filter_map(|c| book.get(c))
                    .map(|c| spec(book, c))
                    .collect(),
            }
        }
        self.codes
            .iter()
            .filter(|c| c.parent.is_none())
            .map(|c| spec(self, c))
            .collect()
    }

    /// `codebook.yaml` text for a tree of specs, after `header` (comment lines kept from the
    /// file being replaced).
    pub fn specs_to_yaml(header: &str, codes: &[CodeSpec]) -> String {
        #[derive(Serialize)]
        struct File<'a> {
            codes: &'a [CodeSpec],
        }
        let body = serde_norway::to_string(&File { codes }).expect("a codebook serialises");
        format!("{header}{body}")
    }

    /// Codes without children: the ones coders apply.
    pub fn leaves(&self) -> impl Iterator<Item = &Code> {
        self.codes.iter().filter(|c| c.children.is_empty())
    }
}

/// Why a code cannot be added: what is wrong, and the earlier code it clashes with.
struct Refusal {
    message: String,
    earlier: Option<usize>,
}

/// The line where the code at `index` (in file order, depth first) starts: the file is read
/// again, counting codes, and stopped with an error at that code, which carries its place.
fn code_line(text: &str, index: usize) -> Option<usize> {
    const FOUND: &str = "qualkit: the code looked for";
    struct Codes<'a> {
        seen: &'a Cell<usize>,
        wanted: usize,
    }
    struct File<'a>(Codes<'a>);
    impl<'de> DeserializeSeed<'de> for File<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> Visitor<'de> for File<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a codebook")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<String>()? {
                if key == "codes" {
                    map.next_value_seed(Codes { ..self.0 })?;
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(())
        }
    }
    impl<'de> DeserializeSeed<'de> for Codes<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }
    impl<'de> Visitor<'de> for Codes<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of codes")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq
                .next_element_seed(Code {
                    seen: self.seen,
                    wanted: self.wanted,
                })?
                .is_some()
            {}
            Ok(())
        }
    }
    struct Code<'a> {
        seen: &'a Cell<usize>,
        wanted: usize,
    }
    impl<'de> DeserializeSeed<'de> for Code<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> Visitor<'de> for Code<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a code")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let n = self.seen.get();
            if n == self.wanted {
                // Raised inside this code's mapping, so the error carries where it starts.
                return Err(A::Error::custom(FOUND));
            }
            self.seen.set(n + 1);
            while let Some(key) = map.next_key::<String>()? {
                if key == "children" {
                    map.next_value_seed(Codes {
                        seen: self.seen,
                        wanted: self.wanted,
                    })?;
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(())
        }
    }
    let seen = Cell::new(0);
    let found = File(Codes {
        seen: &seen,
        wanted: index,
    })
    .deserialize(serde_norway::Deserializer::from_str(text))
    .err()?;
    found
        .to_string()
        .contains(FOUND)
        .then(|| found.location().map(|l| l.line()))
        .flatten()
}

pub(crate) fn is_hex_color(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit())
}

/// `NPT/Coherence/Communal specification` -> `npt.coherence.communal-specification`.
pub fn slug(path: &str) -> String {
    path.split('/')
        .map(|part| {
            part.to_lowercase()
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect::<Vec<_>>()
        .join(".")
}
