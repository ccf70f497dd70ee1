//! REFI-QDA, the exchange standard of NVivo, ATLAS.ti, MAXQDA and QualCoder: a project
//! (`project.qde`, XML in `urn:QDA-XML:project:1.0`, zipped with its sources as `.qdpx`) and
//! a codebook alone (`.qdc`, `urn:QDA-XML:codebook:1.0`).
//!
//! This module holds the standard's model as plain data ([`RefiProject`]), how it is read
//! leniently from what real tools write ([`read`]), and how it is written strictly to the
//! published schema ([`write`]). What the model means for a qualkit project is decided in
//! `exchange::project`, not here.

pub mod read;
pub mod write;

/// The archive entry where qualkit keeps what the standard has no place for. Other tools
/// ignore it; when a project comes back without it, the standard's content is used alone.
pub const EXTRAS_ENTRY: &str = "qualkit.json";

/// What `qualkit.json` holds: qualkit's own code ids (by code GUID), Framework summaries and
/// classifications (case attributes a rule derived, with their reasons).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Extras {
    #[serde(default)]
    pub code_ids: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub summaries: Vec<ExtraSummary>,
    #[serde(default)]
    pub classifications: Vec<ExtraClassification>,
}

/// One case's value of a classification.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExtraClassification {
    pub attribute: String,
    pub case: String,
    pub value: String,
    pub reason: String,
    pub author: String,
}

/// A Framework summary; `theme` is the code's GUID.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExtraSummary {
    pub case: String,
    pub theme: String,
    pub text: String,
    pub author: String,
}

pub const PROJECT_NAMESPACE: &str = "urn:QDA-XML:project:1.0";
pub const CODEBOOK_NAMESPACE: &str = "urn:QDA-XML:codebook:1.0";

/// A GUID in canonical form: lowercase, without braces. Files write them in either case and
/// sometimes in braces; they are compared in this form only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Guid(pub String);

impl Guid {
    pub fn parse(raw: &str) -> Guid {
        let trimmed = raw.trim();
        let bare = trimmed
            .strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .unwrap_or(trimmed);
        Guid(bare.to_ascii_lowercase())
    }

    /// A stable GUID for a qualkit object (`kind` and `key`, e.g. `code`, `npt.coherence`),
    /// so that exporting the same project twice gives the same GUIDs. It has the layout of a
    /// version 8 (custom) UUID.
    pub fn derived(kind: &str, key: &str) -> Guid {
        let hash =
            xxhash_rust::xxh3::xxh3_128(format!("qualkit\u{1f}{kind}\u{1f}{key}").as_bytes());
        let mut bytes = hash.to_be_bytes();
        bytes[6] = (bytes[6] & 0x0f) | 0x80;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Guid(format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        ))
    }

    /// Whether it has the 8-4-4-4-12 hexadecimal form the schema asks for.
    pub fn is_well_formed(&self) -> bool {
        let parts: Vec<&str> = self.0.split('-').collect();
        parts.len() == 5
            && parts
                .iter()
                .zip([8, 4, 4, 4, 12])
                .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Guid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Default)]
pub struct RefiProject {
    pub name: String,
    pub origin: Option<String>,
    pub description: Option<String>,
    pub users: Vec<User>,
    pub codes: Vec<RefiCode>,
    pub variables: Vec<Variable>,
    pub cases: Vec<RefiCase>,
    pub sources: Vec<TextSource>,
    /// Sources that are not text (PDF, picture, audio, video): (kind, name, codings in it).
    pub other_sources: Vec<(String, String, usize)>,
    pub notes: Vec<Note>,
    pub links: Vec<Link>,
    pub sets: Vec<RefiSet>,
    pub graphs: usize,
    /// Notes about the project as a whole.
    pub note_refs: Vec<Guid>,
}

#[derive(Debug, Clone, Default)]
pub struct User {
    pub guid: Guid,
    pub name: String,
}

#[derive(Debug, Clone, Default)]
pub struct RefiCode {
    pub guid: Guid,
    pub name: String,
    pub codable: bool,
    pub color: Option<String>,
    pub description: Option<String>,
    pub note_refs: Vec<Guid>,
    pub children: Vec<RefiCode>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariableKind {
    Text,
    Boolean,
    Integer,
    Float,
    Date,
    DateTime,
}

impl VariableKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VariableKind::Text => "Text",
            VariableKind::Boolean => "Boolean",
            VariableKind::Integer => "Integer",
            VariableKind::Float => "Float",
            VariableKind::Date => "Date",
            VariableKind::DateTime => "DateTime",
        }
    }

    /// The element that carries a value of this kind.
    pub fn value_element(self) -> &'static str {
        match self {
            VariableKind::Text => "TextValue",
            VariableKind::Boolean => "BooleanValue",
            VariableKind::Integer => "IntegerValue",
            VariableKind::Float => "FloatValue",
            VariableKind::Date => "DateValue",
            VariableKind::DateTime => "DateTimeValue",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Variable {
    pub guid: Guid,
    pub name: String,
    pub kind: VariableKind,
    pub description: Option<String>,
}

/// A variable's value as written (`TextValue`, `IntegerValue`...): the element's kind and text.
#[derive(Debug, Clone, PartialEq)]
pub struct VariableValue {
    pub variable: Guid,
    pub kind: VariableKind,
    pub value: String,
}

#[derive(Debug, Clone, Default)]
pub struct RefiCase {
    pub guid: Guid,
    pub name: String,
    pub description: Option<String>,
    pub values: Vec<VariableValue>,
    pub sources: Vec<Guid>,
    pub selections: Vec<Guid>,
    pub line: usize,
}

/// Where a text source's text is: inline, or a file in the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextLocation {
    Inline(String),
    /// `plainTextPath` as written (`internal://x.txt`, `x.txt`, `sources/x.txt`...).
    Path(String),
    /// Only a rich-text version (`richTextPath`), or nothing at all.
    Missing {
        rich_text: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct TextSource {
    pub guid: Guid,
    pub name: String,
    pub description: Option<String>,
    pub text: TextLocation,
    pub selections: Vec<Selection>,
    /// Codings of the whole source.
    pub codings: Vec<RefiCoding>,
    pub note_refs: Vec<Guid>,
    pub values: Vec<VariableValue>,
    pub creating_user: Option<Guid>,
    pub line: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub guid: Guid,
    pub name: Option<String>,
    pub start: i64,
    pub end: i64,
    pub creating_user: Option<Guid>,
    pub created: Option<String>,
    pub description: Option<String>,
    pub codings: Vec<RefiCoding>,
    pub note_refs: Vec<Guid>,
    pub line: usize,
}

#[derive(Debug, Clone, Default)]
pub struct RefiCoding {
    pub guid: Guid,
    pub code: Guid,
    pub creating_user: Option<Guid>,
    pub created: Option<String>,
    pub note_refs: Vec<Guid>,
}

/// A note (memo): a text of its own that objects point to with `NoteRef`.
#[derive(Debug, Clone)]
pub struct Note {
    pub guid: Guid,
    pub name: String,
    pub text: TextLocation,
    pub creating_user: Option<Guid>,
    pub created: Option<String>,
    pub has_selections: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Link {
    pub guid: Guid,
    pub name: Option<String>,
    pub origin: Option<Guid>,
    pub target: Option<Guid>,
}

#[derive(Debug, Clone, Default)]
pub struct RefiSet {
    pub guid: Guid,
    pub name: String,
    pub description: Option<String>,
    pub codes: Vec<Guid>,
    pub sources: Vec<Guid>,
    pub notes: Vec<Guid>,
}

/// All codes of a tree, depth first, with their parent.
pub fn walk_codes(codes: &[RefiCode]) -> Vec<(&RefiCode, Option<&RefiCode>)> {
    fn go<'a>(
        codes: &'a [RefiCode],
        parent: Option<&'a RefiCode>,
        out: &mut Vec<(&'a RefiCode, Option<&'a RefiCode>)>,
    ) {
        for code in codes {
            out.push((code, parent));
            go(&code.children, Some(code), out);
        }
    }
    let mut out = Vec::new();
    go(codes, None, &mut out);
    out
}
