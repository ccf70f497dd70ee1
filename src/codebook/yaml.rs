//! Editing `codebook.yaml` in place, line by line, so that a researcher's comments, order and
//! layout survive `qualkit codebook add/rename/move/remove`. Every edit is checked by parsing
//! the result: the caller compares it with what the edit should have made, and refuses rather
//! than write a codebook that differs in any other way.

use crate::codebook::Codebook;
use crate::error::{Error, Result};

/// One code's item in the file: the lines from its `- ` line to the last line of its block.
#[derive(Debug, Clone, Copy)]
struct Item {
    start: usize,
    end: usize,
    /// Column of the item's `-`.
    indent: usize,
}

impl Item {
    /// Column of the item's keys (`name:`, `children:`...).
    fn key_indent(&self) -> usize {
        self.indent + 2
    }
}

pub struct CodebookText {
    lines: Vec<String>,
    /// In file order, which is the codebook's depth-first order.
    items: Vec<Item>,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_significant(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

fn is_item_start(line: &str) -> bool {
    let t = line.trim_start_matches(' ');
    ["- id:", "- name:"].iter().any(|p| t.starts_with(p))
}

/// Where the block of the item starting at line `start` (its `-` at column `indent`) ends:
/// at the next line as far left, less the comments just above that line, which are the next
/// item's.
fn block_end(lines: &[String], start: usize, indent: usize) -> usize {
    let mut end = (start + 1..lines.len())
        .find(|&j| is_significant(&lines[j]) && indent_of(&lines[j]) <= indent)
        .unwrap_or(lines.len());
    while end > start + 1 && lines[end - 1].trim_start().starts_with('#') {
        end -= 1;
    }
    end
}

/// A YAML scalar for `value`, quoted where YAML needs it.
fn scalar(value: &str) -> String {
    serde_norway::to_string(value)
        .expect("a string serialises")
        .trim_end()
        .to_string()
}

impl CodebookText {
    /// Reads the file's items, and checks that they are the codebook's codes, one to one.
    pub fn new(text: &str, codebook: &Codebook) -> Result<CodebookText> {
        let lines: Vec<String> = text.lines().map(String::from).collect();
        let mut items = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            if is_item_start(line) {
                let indent = indent_of(line);
                items.push(Item {
                    start: i,
                    end: block_end(&lines, i, indent),
                    indent,
                });
            }
        }
        if items.len() != codebook.codes().len() {
            return Err(Error::Invalid {
                path: super::FILE.into(),
                message: format!(
                    "its layout is not one qualkit can edit in place ({} code items found for {} codes); edit it by hand",
                    items.len(),
                    codebook.codes().len()
                ),
            });
        }
        Ok(CodebookText { lines, items })
    }

    pub fn text(&self) -> String {
        let mut out = self.lines.join("\n");
        out.push('\n');
        out
    }

    fn item(&self, codebook: &Codebook, id: &str) -> Item {
        let index = codebook
            .codes()
            .iter()
            .position(|c| c.id == id)
            .expect("a code of the codebook");
        self.items[index]
    }

    /// The line of key `key` directly in `item` (not in its children), if any.
    fn key_line(&self, item: Item, key: &str) -> Option<usize> {
        let first = self.lines[item.start].trim_start_matches(' ');
        if first
            .strip_prefix("- ")
            .is_some_and(|k| k.starts_with(&format!("{key}:")))
        {
            return Some(item.start);
        }
        (item.start + 1..item.end).find(|&i| {
            let line = &self.lines[i];
            indent_of(line) == item.key_indent()
                && line.trim_start().starts_with(&format!("{key}:"))
        })
    }

    /// Gives the code a new name; an item without an explicit id gets its old id written, so
    /// that the id stays the same.
    pub fn rename(&mut self, codebook: &Codebook, id: &str, name: &str) {
        let item = self.item(codebook, id);
        let pad = " ".repeat(item.key_indent());
        let name_line = self.key_line(item, "name").expect("every code has a name");
        let has_id = self.key_line(item, "id").is_some();
        if name_line == item.start {
            let dash = " ".repeat(item.indent);
            if has_id {
                self.lines[name_line] = format!("{dash}- name: {}", scalar(name));
            } else {
                self.lines[name_line] = format!("{dash}- id: {}", scalar(id));
                self.lines
                    .insert(name_line + 1, format!("{pad}name: {}", scalar(name)));
            }
        } else {
            self.lines[name_line] = format!("{pad}name: {}", scalar(name));
            if !has_id {
                self.lines
                    .insert(item.start + 1, format!("{pad}id: {}", scalar(id)));
            }
        }
    }

    /// Adds `block` (item lines indented from column 0) as the last child of `parent`, or at
    /// the end of the top-level codes.
    fn insert(&mut self, codebook: &Codebook, parent: Option<&str>, block: &[String]) {
        let shifted = |by: usize| -> Vec<String> {
            block
                .iter()
                .map(|l| {
                    if l.trim().is_empty() {
                        String::new()
                    } else {
                        format!("{}{l}", " ".repeat(by))
                    }
                })
                .collect()
        };
        match parent {
            Some(parent) => {
                let item = self.item(codebook, parent);
                let child_indent = match self.key_line(item, "children") {
                    Some(line) => {
                        let first_child =
                            (line + 1..item.end).find(|&i| is_item_start(&self.lines[i]));
                        first_child.map_or(item.key_indent() + 2, |i| indent_of(&self.lines[i]))
                    }
                    None => {
                        self.lines.insert(
                            item.end,
                            format!("{}children:", " ".repeat(item.key_indent())),
                        );
                        item.key_indent() + 2
                    }
                };
                let at = self.item_end_after_insert(codebook, parent);
                for (k, line) in shifted(child_indent).into_iter().enumerate() {
                    self.lines.insert(at + k, line);
                }
            }
            None => {
                let roots: Vec<Item> = codebook
                    .codes()
                    .iter()
                    .zip(&self.items)
                    .filter(|(c, _)| c.parent.is_none())
                    .map(|(_, i)| *i)
                    .collect();
                let (at, indent) = match roots.last() {
                    Some(last) => (last.end, last.indent),
                    None => {
                        // `codes: []` or no `codes:` at all.
                        match self
                            .lines
                            .iter()
                            .position(|l| l.trim_start().starts_with("codes:"))
                        {
                            Some(i) => {
                                self.lines[i] = "codes:".to_string();
                                (i + 1, 2)
                            }
                            None => {
                                self.lines.push("codes:".to_string());
                                (self.lines.len(), 2)
                            }
                        }
                    }
                };
                for (k, line) in shifted(indent).into_iter().enumerate() {
                    self.lines.insert(at + k, line);
                }
            }
        }
    }

    /// The end of `id`'s block, found again after lines were inserted into it.
    fn item_end_after_insert(&self, codebook: &Codebook, id: &str) -> usize {
        let item = self.item(codebook, id);
        block_end(&self.lines, item.start, item.indent)
    }

    /// Adds a new code under `parent` (or at the top).
    pub fn add(
        &mut self,
        codebook: &Codebook,
        parent: Option<&str>,
        id: &str,
        name: &str,
        description: Option<&str>,
        color: Option<&str>,
    ) {
        let mut block = vec![
            format!("- id: {}", scalar(id)),
            format!("  name: {}", scalar(name)),
        ];
        if let Some(d) = description.filter(|d| !d.trim().is_empty()) {
            block.push(format!("  description: {}", scalar(d)));
        }
        if let Some(c) = color {
            block.push(format!("  color: {}", scalar(c)));
        }
        self.insert(codebook, parent, &block);
    }

    /// Takes a code's block (with its children) out of the file, as lines indented from
    /// column 0.
    fn cut(&mut self, codebook: &Codebook, id: &str) -> Vec<String> {
        let item = self.item(codebook, id);
        let block: Vec<String> = self.lines.drain(item.start..item.end).collect();
        // A parent left with no children loses its `children:` key.
        if let Some(parent) = codebook.get(id).and_then(|c| c.parent.as_deref())
            && codebook.get(parent).is_some_and(|p| p.children.len() == 1)
        {
            let p = self.item(codebook, parent);
            if let Some(line) = (p.start + 1..item.start.min(self.lines.len()))
                .rev()
                .find(|&i| {
                    indent_of(&self.lines[i]) == p.key_indent()
                        && self.lines[i].trim() == "children:"
                })
            {
                self.lines.remove(line);
            }
        }
        block
            .into_iter()
            .map(|l| {
                if l.trim().is_empty() {
                    String::new()
                } else {
                    l.chars().skip(item.indent.min(indent_of(&l))).collect()
                }
            })
            .collect()
    }

    /// Removes a code (with anything below it).
    pub fn remove(&mut self, codebook: &Codebook, id: &str) {
        self.cut(codebook, id);
    }

    /// Moves a code (with its children) to be the last child of `parent` (or a top code).
    /// The file is read again between cutting and inserting, as lines have shifted.
    pub fn move_to(
        self,
        codebook: &Codebook,
        id: &str,
        parent: Option<&str>,
    ) -> Result<CodebookText> {
        let mut this = self;
        let block = this.cut(codebook, id);
        let text = this.text();
        let without = Codebook::parse(std::path::Path::new(super::FILE), &text)?;
        let mut again = CodebookText::new(&text, &without)?;
        again.insert(&without, parent, &block);
        Ok(again)
    }
}
