//! Changing the codebook from qualkit: add, rename, move, merge and remove codes. Each edit
//! rewrites codebook.yaml in place (comments and order kept), moves the codings it must, and
//! is one log entry that `qualkit revert` can undo.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::Serialize;

use super::{CODEBOOK_FILE, Project, check_coder};
use crate::codebook::yaml::CodebookText;
use crate::codebook::{Codebook, slug};
use crate::error::{Error, Result};
use crate::store::revert::{CodebookChange, CodingsChange, Recoded, Respanned};
use crate::store::{Author, Coding};

/// One change to the codebook.
#[derive(Debug, Clone)]
pub enum CodebookEdit {
    /// A new code at `path` (`Parent/Child`; its parent must exist).
    Add {
        path: String,
        description: Option<String>,
        color: Option<String>,
    },
    Rename {
        code: String,
        name: String,
    },
    /// Under another parent; `None` makes it a top code.
    Move {
        code: String,
        parent: Option<String>,
    },
    /// Codings of `from` go to `into`; `from` leaves the codebook.
    Merge {
        from: String,
        into: String,
    },
    /// Refused while the code is coded, unless `with_codings`.
    Remove {
        code: String,
        with_codings: bool,
    },
}

/// What an edit did.
#[derive(Debug, Clone, Serialize)]
pub struct CodebookEdited {
    pub entry: String,
    /// The code the edit was about (for an add, the new code's id).
    pub code: String,
    pub codings_recoded: usize,
    pub codings_merged: usize,
    pub codings_removed: usize,
}

impl Project {
    pub fn edit_codebook(&mut self, coder: &str, edit: &CodebookEdit) -> Result<CodebookEdited> {
        check_coder(coder)?;
        let _lock = self.write_locked()?;
        let file = self.root.join(CODEBOOK_FILE);
        let before = crate::support::text::read_text(&file)?;
        let book = self.codebook.clone();
        let mut text = CodebookText::new(&before, &book)?;
        let codings = self.codings()?;
        let mut changes = CodingsChange::default();
        let (action, code) = match edit {
            CodebookEdit::Add {
                path,
                description,
                color,
            } => {
                let path = path.trim().trim_matches('/');
                let (parent, name) = match path.rsplit_once('/') {
                    Some((parent, name)) => (Some(book.resolve(parent)?.id.clone()), name),
                    None => (None, path),
                };
                if let Some(color) = color
                    && !crate::codebook::is_hex_color(color)
                {
                    return Err(Error::argument(
                        "--color",
                        format!("`{color}` is not a colour of the form #rrggbb"),
                    ));
                }
                // The parent's id and the name, as the codebook's own ids are made.
                let base = match &parent {
                    Some(p) => format!("{p}.{}", slug(name)),
                    None => slug(name),
                };
                let mut id = base.clone();
                let mut n = 2;
                while book.get(&id).is_some() {
                    id = format!("{base}-{n}");
                    n += 1;
                }
                text.add(
                    &book,
                    parent.as_deref(),
                    &id,
                    name.trim(),
                    description.as_deref(),
                    color.as_deref(),
                );
                ("codebook add", id)
            }
            CodebookEdit::Rename { code, name } => {
                let id = book.resolve(code)?.id.clone();
                text.rename(&book, &id, name.trim());
                ("codebook rename", id)
            }
            CodebookEdit::Move { code, parent } => {
                let id = book.resolve(code)?.id.clone();
                let parent = match parent {
                    Some(p) => Some(book.resolve(p)?.id.clone()),
                    None => None,
                };
                if let Some(p) = &parent
                    && book.descendants_and_self(&id).iter().any(|c| &c.id == p)
                {
                    return Err(Error::argument(
                        "parent",
                        format!("`{p}` is `{id}` or below it; a code cannot move under itself"),
                    ));
                }
                text = text.move_to(&book, &id, parent.as_deref())?;
                ("codebook move", id)
            }
            CodebookEdit::Merge { from, into } => {
                let from = book.resolve(from)?.id.clone();
                let into = book.resolve(into)?.id.clone();
                if from == into {
                    return Err(Error::argument("into", "a code cannot merge into itself"));
                }
                if !book.get(&from).expect("resolved").children.is_empty() {
                    return Err(Error::argument(
                        "from",
                        format!("`{from}` has codes below it; move or merge them first"),
                    ));
                }
                changes = merge_plan(&codings, &from, &into);
                text.remove(&book, &from);
                ("codebook merge", from)
            }
            CodebookEdit::Remove { code, with_codings } => {
                let id = book.resolve(code)?.id.clone();
                let below = book.ids_below(&id)?;
                let coded: Vec<Coding> = codings
                    .iter()
                    .filter(|c| below.contains(&c.code))
                    .cloned()
                    .collect();
                if !coded.is_empty() && !with_codings {
                    return Err(Error::argument(
                        "code",
                        format!(
                            "`{id}` (or a code below it) has {} codings; merge it into another code, or remove it --with-codings",
                            coded.len()
                        ),
                    ));
                }
                changes.removed = coded;
                text.remove(&book, &id);
                ("codebook remove", id)
            }
        };
        let after = text.text();
        let new_book = Codebook::parse(&file, &after)?;
        check_edit(&book, &new_book, edit, &code)?;
        let change = CodebookChange {
            before,
            after: after.clone(),
        };
        let detail = serde_json::json!({
            "code": code,
            "edit": format!("{edit:?}"),
            "codebook": change,
            "codings": changes,
        });
        let entry = self.store_mut().edit_codebook(
            &Author {
                coder,
                codebook_version: new_book.version(),
            },
            action,
            detail,
            &change,
            new_book.version(),
            &changes,
        )?;
        self.reload()?;
        Ok(CodebookEdited {
            entry,
            code,
            codings_recoded: changes.recoded.len(),
            codings_merged: changes.merged_into.len(),
            codings_removed: changes.removed.len() - changes.merged_into.len(),
        })
    }
}

/// How the codings of `from` become codings of `into`: recoded, and where a coder's coding of
/// `from` overlaps their coding of `into`, merged into one coding over both spans (the
/// earliest made keeps its id).
fn merge_plan(codings: &[Coding], from: &str, into: &str) -> CodingsChange {
    let mut plan = CodingsChange::default();
    let mut groups: BTreeMap<(&str, &str), Vec<&Coding>> = BTreeMap::new();
    for c in codings.iter().filter(|c| c.code == from || c.code == into) {
        groups.entry((&c.coder, &c.document)).or_default().push(c);
    }
    for (_, mut group) in groups {
        group.sort_by_key(|c| (c.start, c.end));
        let mut clusters: Vec<Vec<&Coding>> = Vec::new();
        let mut reach = 0;
        for c in group {
            match clusters.last_mut() {
                Some(cluster) if c.start < reach => {
                    reach = reach.max(c.end);
                    cluster.push(c);
                }
                _ => {
                    reach = c.end;
                    clusters.push(vec![c]);
                }
            }
        }
        for cluster in clusters {
            let survivor = *cluster
                .iter()
                .min_by_key(|c| (c.code != into, c.created.clone(), c.id.clone()))
                .expect("a cluster has codings");
            let start = cluster.iter().map(|c| c.start).min().expect("codings");
            let end = cluster.iter().map(|c| c.end).max().expect("codings");
            if survivor.code == from {
                plan.recoded.push(Recoded {
                    id: survivor.id.clone(),
                    from: from.to_string(),
                    to: into.to_string(),
                });
            }
            if (start, end) != (survivor.start, survivor.end) {
                plan.respanned.push(Respanned {
                    id: survivor.id.clone(),
                    from: (survivor.start, survivor.end),
                    to: (start, end),
                });
            }
            for c in cluster.iter().filter(|c| c.id != survivor.id) {
                plan.removed.push((*c).clone());
                plan.merged_into.push((c.id.clone(), survivor.id.clone()));
            }
        }
    }
    plan
}

/// Checks that the edited file holds exactly the codebook the edit should make.
fn check_edit(old: &Codebook, new: &Codebook, edit: &CodebookEdit, code: &str) -> Result<()> {
    let ids =
        |b: &Codebook| -> HashSet<String> { b.codes().iter().map(|c| c.id.clone()).collect() };
    let mut expected = ids(old);
    match edit {
        CodebookEdit::Add { .. } => {
            expected.insert(code.to_string());
        }
        CodebookEdit::Merge { .. } => {
            expected.remove(code);
        }
        CodebookEdit::Remove { .. } => {
            for c in old.descendants_and_self(code) {
                expected.remove(&c.id);
            }
        }
        _ => {}
    }
    let mut ok = ids(new) == expected;
    for c in new.codes() {
        let Some(was) = old.get(&c.id) else { continue };
        let moved = matches!(edit, CodebookEdit::Move { .. }) && c.id == code;
        let renamed = matches!(edit, CodebookEdit::Rename { .. }) && c.id == code;
        ok &= c.description == was.description;
        ok &= renamed || c.name == was.name;
        ok &= moved || c.parent == was.parent;
    }
    match edit {
        CodebookEdit::Rename { name, .. } => {
            ok &= new.get(code).is_some_and(|c| c.name == name.trim())
        }
        CodebookEdit::Move { parent, .. } => {
            ok &= new.get(code).is_some_and(|c| {
                c.parent.as_deref()
                    == parent
                        .as_deref()
                        .map(|p| old.resolve(p).map(|p| p.id.as_str()).unwrap_or(""))
            })
        }
        _ => {}
    }
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid {
            path: Path::new(CODEBOOK_FILE).to_path_buf(),
            message: "its layout is not one qualkit can edit in place (the edit would have changed other codes); nothing was changed: edit it by hand".into(),
        })
    }
}
