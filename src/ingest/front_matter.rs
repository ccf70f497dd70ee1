//! YAML front matter between `---` lines at the top of a transcript.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_norway::Value;

use super::{Metadata, Participant};
use crate::error::{Error, Result};

#[derive(Deserialize)]
struct FrontMatter {
    case: Option<Value>,
    method: Option<Value>,
    phase: Option<Value>,
    date: Option<Value>,
    title: Option<Value>,
    #[serde(default)]
    participants: Vec<Participant>,
    #[serde(flatten)]
    attributes: BTreeMap<String, Value>,
}

/// Splits front matter from body. Returns the metadata, the body and the body's first line.
/// A file without front matter is all body with empty metadata.
pub(super) fn split<'t>(relative: &Path, text: &'t str) -> Result<(Metadata, &'t str, usize)> {
    let Some(rest) = text.strip_prefix("---\n") else {
        return Ok((Metadata::default(), text, 1));
    };
    let mut offset = 0;
    let mut closing = None;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" || line.trim_end() == "..." {
            closing = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let Some((yaml_end, body_start)) = closing else {
        return Err(Error::FrontMatter {
            path: relative.to_path_buf(),
            line: 1,
            message: "the opening `---` has no closing `---` line".into(),
        });
    };
    let yaml = &rest[..yaml_end];
    let fail = |line: usize, message: String| Error::FrontMatter {
        path: relative.to_path_buf(),
        line,
        message,
    };
    let parsed: FrontMatter = if yaml.trim().is_empty() {
        return Err(fail(
            1,
            "empty front matter; it needs at least `case:`".into(),
        ));
    } else {
        serde_norway::from_str(yaml).map_err(|e| {
            // +1 for the opening `---` line.
            let line = e.location().map_or(1, |l| l.line() + 1);
            fail(line, e.to_string())
        })?
    };
    let first_line = crate::support::text::line_of(text, 4 + body_start);
    let scalar = |field: &str, value: Option<Value>| -> Result<Option<String>> {
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(v) => scalar_string(&v).map(Some).ok_or_else(|| {
                fail(
                    field_line(yaml, field),
                    format!("`{field}` must be a single value"),
                )
            }),
        }
    };
    let mut attributes = BTreeMap::new();
    for (key, value) in parsed.attributes {
        let line = field_line(yaml, &key);
        let value = scalar_string(&value).ok_or_else(|| {
            fail(
                line,
                format!("attribute `{key}` must be a single value, not a list or map"),
            )
        })?;
        attributes.insert(key, value);
    }
    for p in &parsed.participants {
        if p.speaker.trim().is_empty() {
            return Err(fail(
                field_line(yaml, "participants"),
                "a participant has an empty speaker".into(),
            ));
        }
    }
    let meta = Metadata {
        case: scalar("case", parsed.case)?.unwrap_or_default(),
        method: scalar("method", parsed.method)?.unwrap_or_default(),
        phase: scalar("phase", parsed.phase)?.unwrap_or_default(),
        date: scalar("date", parsed.date)?,
        title: scalar("title", parsed.title)?,
        participants: parsed.participants,
        attributes,
    };
    Ok((meta, &rest[body_start..], first_line))
}

fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Line (in the file) of the front matter key `field`, for error messages.
fn field_line(yaml: &str, field: &str) -> usize {
    yaml.lines()
        .position(|l| l.trim_start().starts_with(&format!("{field}:")))
        .map_or(2, |i| i + 2)
}
