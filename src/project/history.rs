//! The project's history as a user reads it (`qualkit log`) and undoes it (`qualkit revert`).

use serde::Serialize;

use super::{Project, check_coder};
use crate::error::{Error, Result};
use crate::store::AuditEntry;
use crate::store::revert::{CodebookChange, CodingsChange, NotesChange, Recoded, Reverted};

/// One log entry as `qualkit log` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct LogLine {
    pub id: String,
    pub at: String,
    pub coder: String,
    pub action: String,
    /// What it did, in a few words with its counts.
    pub summary: String,
    /// The entry as the log keeps it.
    pub detail: serde_json::Value,
}

/// A few words on what an entry did.
pub fn summarise(entry: &AuditEntry) -> String {
    let d = &entry.detail;
    let text = |key: &str| {
        d.get(key)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let number = |key: &str| d.get(key).and_then(|v| v.as_u64()).unwrap_or(0);
    let list_len = |key: &str| d.get(key).and_then(|v| v.as_array()).map_or(0, Vec::len);
    match entry.action.as_str() {
        "code" => format!(
            "coded `{}` in {} at {}..{}",
            text("code"),
            text("document"),
            number("start"),
            number("end")
        ),
        "autocode" => format!(
            "{} spans by rule {} over {} documents",
            number("spans"),
            text("rule"),
            number("documents")
        ),
        "accept suggestions" => format!(
            "{} suggestions of `{}` accepted by {} ({}, cross-validated kappa {})",
            number("spans"),
            text("code"),
            text("accepted_by"),
            text("method"),
            d.pointer("/evaluation/kappa")
                .and_then(|v| v.as_f64())
                .map_or("-".to_string(), |k| format!("{k:.2}"))
        ),
        "uncode" => format!("removed {} codings", list_len("removed")),
        "recode" => format!(
            "coding {} from `{}` to `{}`",
            d.pointer("/coding/id")
                .and_then(|v| v.as_str())
                .unwrap_or(""),
            d.pointer("/coding/code")
                .and_then(|v| v.as_str())
                .unwrap_or(""),
            text("to")
        ),
        "memo" => format!("memo on {} {}", text("kind"), text("target")),
        "summarise" => format!("summary of {} for {}", text("case"), text("theme")),
        "classify" => format!("`{}` for {} cases", text("attribute"), list_len("values")),
        "remove classification" => {
            format!("`{}` from {} cases", text("attribute"), number("cases"))
        }
        "merge coders" => format!(
            "{} codings into {} from {}",
            number("codings"),
            text("into"),
            d.get("coders")
                .and_then(|v| v.as_array())
                .map(|a| a
                    .iter()
                    .filter_map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", "))
                .unwrap_or_default()
        ),
        "re-anchor" => {
            let counts = |k: &str| {
                d.pointer(&format!("/counts/{k}"))
                    .and_then(|v| v.as_u64())
                    .unwrap_or(0)
            };
            format!(
                "{} documents: {} unchanged, {} moved, {} text changed, {} detached",
                list_len("documents"),
                counts("unchanged"),
                counts("moved"),
                counts("text_changed"),
                counts("detached")
            )
        }
        "revert" => format!("reverted {} ({})", text("reverts"), text("action")),
        "import documents" => {
            let files = d
                .get("files")
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|f| f.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            let replaced = list_len("replaced");
            if replaced > 0 {
                format!("{files} ({replaced} replaced)")
            } else {
                files
            }
        }
        action if action.starts_with("codebook") => {
            let changed = |k: &str| {
                d.pointer(&format!("/codings/{k}"))
                    .and_then(|v| v.as_array())
                    .map_or(0, Vec::len)
            };
            let mut s = format!("{}: {}", text("code"), text("edit"));
            if changed("recoded") + changed("removed") > 0 {
                s.push_str(&format!(
                    "; {} codings recoded, {} removed or merged",
                    changed("recoded"),
                    changed("removed")
                ));
            }
            s
        }
        _ if d.get("file").is_some() => {
            let mut parts = vec![text("file")];
            for key in ["rows", "documents", "codings", "memos"] {
                if let Some(n) = d.get(key).and_then(|v| v.as_u64()) {
                    parts.push(format!("{n} {key}"));
                }
            }
            parts.join(", ")
        }
        _ => String::new(),
    }
}

/// The revert of entry `id` that stands (is not itself reverted), if any.
fn standing_revert_of<'l>(log: &'l [AuditEntry], id: &str) -> Option<&'l AuditEntry> {
    log.iter()
        .filter(|e| {
            e.action == "revert" && e.detail.get("reverts").and_then(|v| v.as_str()) == Some(id)
        })
        .find(|e| standing_revert_of(log, &e.id).is_none())
}

impl Project {
    /// The log, oldest first.
    pub fn log(&self) -> Result<Vec<LogLine>> {
        Ok(self
            .store()
            .audit_log()?
            .into_iter()
            .map(|e| LogLine {
                summary: summarise(&e),
                id: e.id,
                at: e.at,
                coder: e.coder,
                action: e.action,
                detail: e.detail,
            })
            .collect())
    }

    /// Undoes log entry `id` (or the first characters of one, at least 4) as a new entry by
    /// `coder`. Refused, with nothing changed, where what it did was changed since.
    pub fn revert(&mut self, coder: &str, id: &str) -> Result<Reverted> {
        check_coder(coder)?;
        let _lock = self.write_locked()?;
        let log = self.store().audit_log()?;
        let matching: Vec<&AuditEntry> = log
            .iter()
            .filter(|e| id.len() >= 4 && e.id.starts_with(id))
            .collect();
        let entry = match matching.as_slice() {
            [one] => *one,
            [] => {
                return Err(Error::argument(
                    "entry",
                    format!(
                        "no log entry `{id}` (give its id, or its first 4 or more characters; `qualkit log` lists them)"
                    ),
                ));
            }
            _ => {
                return Err(Error::argument(
                    "entry",
                    format!(
                        "`{id}` starts {} entries' ids; give more of it",
                        matching.len()
                    ),
                ));
            }
        };
        if let Some(by) = standing_revert_of(&log, &entry.id) {
            return Err(Error::argument(
                "entry",
                format!(
                    "entry {} was reverted already, by entry {} (revert that one to have it back)",
                    entry.id, by.id
                ),
            ));
        }
        let detail = &entry.detail;
        let codings: CodingsChange = match entry.action.as_str() {
            "import documents" => {
                return Err(Error::argument(
                    "entry",
                    "an import of documents is undone by removing the files from transcripts/ (or re-importing the earlier version with --overwrite); their codings are then kept as not fitting, or re-anchored",
                ));
            }
            "re-anchor" => {
                return Err(Error::argument(
                    "entry",
                    "a re-anchoring follows a changed transcript; to move codings back, bring back the earlier text (re-import it with --overwrite)",
                ));
            }
            // Reverts and codebook edits keep what they did to codings in the entry.
            _ if detail.get("codings").is_some_and(|c| c.is_object()) => {
                serde_json::from_value(detail.get("codings").cloned().unwrap_or_default())
                    .unwrap_or_default()
            }
            "uncode" => CodingsChange {
                removed: serde_json::from_value(detail.get("removed").cloned().unwrap_or_default())
                    .unwrap_or_default(),
                ..Default::default()
            },
            "recode" => {
                let field = |p: &str| {
                    detail
                        .pointer(p)
                        .and_then(|v| v.as_str())
                        .unwrap_or("")
                        .to_string()
                };
                CodingsChange {
                    recoded: vec![Recoded {
                        id: field("/coding/id"),
                        from: field("/coding/code"),
                        to: field("/to"),
                    }],
                    ..Default::default()
                }
            }
            _ => CodingsChange {
                added: self.store().codings_made_by(&entry.id)?,
                removed: serde_json::from_value(detail.get("removed").cloned().unwrap_or_default())
                    .unwrap_or_default(),
                ..Default::default()
            },
        };
        let notes: NotesChange = detail
            .get("notes")
            .cloned()
            .and_then(|n| serde_json::from_value(n).ok())
            .unwrap_or_default();
        let codebook: Option<CodebookChange> = detail
            .get("codebook")
            .cloned()
            .and_then(|c| serde_json::from_value(c).ok());
        let mut before_version = String::new();
        if let Some(change) = &codebook {
            let file = self.root.join(super::CODEBOOK_FILE);
            let now = crate::support::text::read_text(&file)?;
            if now != change.after {
                return Err(Error::argument(
                    "entry",
                    format!(
                        "{} was changed after entry {}; revert the later changes first. Nothing was changed",
                        super::CODEBOOK_FILE,
                        entry.id
                    ),
                ));
            }
            before_version = crate::codebook::Codebook::parse(&file, &change.before)?
                .version()
                .to_string();
        }
        if codings.added.is_empty()
            && codings.removed.is_empty()
            && codings.recoded.is_empty()
            && codings.respanned.is_empty()
            && notes.is_empty()
            && codebook.is_none()
        {
            return Err(Error::argument(
                "entry",
                format!(
                    "entry {} ({}) left nothing in the project to undo",
                    entry.id, entry.action
                ),
            ));
        }
        let version = self.codebook.version().to_string();
        let entry = entry.clone();
        let derived_before: Vec<String> = self
            .store()
            .case_attributes()?
            .into_iter()
            .map(|a| a.attribute)
            .collect();
        let done = self.store_mut().revert(
            &crate::store::Author {
                coder,
                codebook_version: &version,
            },
            &entry,
            &codings,
            &notes,
            codebook.as_ref().map(|c| (c, before_version.as_str())),
        )?;
        if codebook.is_some() {
            self.reload()?;
        }
        // The cases see the classifications as they now are: one the revert removed goes,
        // one it restored comes back.
        let derived_after: Vec<String> = self
            .store()
            .case_attributes()?
            .into_iter()
            .map(|a| a.attribute)
            .collect();
        for gone in derived_before.iter().filter(|a| !derived_after.contains(a)) {
            self.cases.remove_attribute(gone);
        }
        self.apply_classifications()?;
        Ok(done)
    }
}
