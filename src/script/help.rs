//! Help for users, read from what is registered: each function's signatures and `///` doc
//! comments (`help("segments")`, `help("npt::explain")`), an overview of every function by
//! area (`help()`), and an area's functions with their first line (`help("coding")`).
//!
//! Each help comes in three forms: plain text for terminals (code examples indented, no
//! Markdown fences), Markdown for notebooks' inspection, and HTML for `help(...)` in a
//! notebook cell. Which area a function belongs to is worked out from where it was
//! registered and the types it takes and returns, with the small [`AREAS`] table naming the
//! areas; no list of functions is kept by hand.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use rhai::Engine;

use crate::analysis::table::escape_html;

/// The areas help groups functions into: key (also a topic for `help("key")`), title and
/// what the area is for.
pub const AREAS: &[(&str, &str, &str)] = &[
    (
        "project",
        "Project",
        "open a project and read its documents, cases, codes and coded segments",
    ),
    (
        "coding",
        "Coding",
        "code and uncode text, edit the codebook, write memos, read and revert the record",
    ),
    (
        "queries",
        "Queries",
        "find segments, search text, count words, matrices and group comparisons",
    ),
    (
        "framework",
        "Framework",
        "Framework matrices: cases by themes, summaries and the quotes behind them",
    ),
    (
        "agreement",
        "Agreement",
        "intercoder agreement: percent agreement, kappa, alpha, consensus",
    ),
    (
        "suggestions",
        "Suggestions",
        "coding suggestions learned from the project's own codings, measured first; similar passages",
    ),
    (
        "exchange",
        "Exchange",
        "import from and export to other QDA tools and files",
    ),
    (
        "teaching",
        "Teaching",
        "NoMAD surveys and NPT coding exercises",
    ),
    (
        "tables",
        "Tables",
        "result tables: select, filter, sort, join, save",
    ),
    ("charts", "Charts", "heatmaps, bars and timelines as SVG"),
    (
        "output",
        "Output and help",
        "show values in notebooks, print, page, help",
    ),
    (
        "language",
        "Language",
        "helpers for arrays, strings and BLOBs",
    ),
];

/// Which registration group each function name came from (`project`, `queries`,
/// `agreement`...): the first group that registered a name keeps it.
#[derive(Debug, Default, Clone)]
pub(super) struct Groups {
    of: HashMap<String, &'static str>,
}

impl Groups {
    /// Runs `register` and records the names it added as `group`.
    pub(super) fn record(
        &mut self,
        engine: &mut Engine,
        group: &'static str,
        register: impl FnOnce(&mut Engine),
    ) {
        let before = names(engine);
        register(engine);
        for name in names(engine).difference(&before) {
            self.of.entry(name.clone()).or_insert(group);
        }
    }
}

/// Names of every function registered so far, Rhai's standard library left out (so a
/// function that overloads one of its names, as `pad` does, counts as new).
fn names(engine: &Engine) -> BTreeSet<String> {
    engine
        .gen_fn_signatures(false)
        .into_iter()
        .filter_map(|s| s.split('(').next().map(plain_name))
        .collect()
}

fn plain_name(name: &str) -> String {
    name.trim_start_matches("get$")
        .trim_start_matches("set$")
        .to_string()
}

/// One signature of a function and its documentation (Markdown, as written in `///`).
#[derive(Debug, Clone)]
struct Overload {
    signature: String,
    /// What help shows: the documentation with the examples' hidden setup lines left out.
    docs: String,
    /// Each ```` ```rhai ```` example whole, hidden setup lines included, as the test suite
    /// runs it.
    examples: Vec<String>,
}

/// One documented example of a function, as the test suite runs it against the sample
/// project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// The function it documents (`segments`, `npt::explain`).
    pub function: String,
    /// The signature it is written under.
    pub signature: String,
    /// The code, hidden setup lines (`# ...` in the comment) included without their mark.
    pub code: String,
}

/// Everything help can show, built once per session from the engine's metadata.
#[derive(Debug, Clone, Default)]
pub struct HelpIndex {
    /// Function name (`segments`, `npt::explain`) -> its overloads.
    functions: BTreeMap<String, Vec<Overload>>,
    /// Area key -> the function names in it.
    areas: BTreeMap<String, BTreeSet<String>>,
}

/// Functions that edit codes or codings rather than read the project: the one hand-kept
/// part of the area map, by prefix or suffix of the name.
fn is_coding(name: &str) -> bool {
    name.starts_with("autocode")
        || name.starts_with("memo")
        || name.ends_with("_code")
        || name.ends_with("_codes")
        || name.ends_with("_memo")
        || matches!(name, "code" | "uncode" | "recode" | "log" | "revert")
}

/// The short name a signature gives a type (`&mut ProjectRef` -> `Project`).
fn short_type(name: &str) -> String {
    let name = name
        .trim()
        .trim_start_matches("&mut ")
        .trim_start_matches('&');
    let name = name.rsplit("::").next().unwrap_or(name);
    match name {
        "ProjectRef" => "Project",
        "DocumentRef" => "Document",
        "FrameworkMatrix" => "Framework",
        other => other,
    }
    .to_string()
}

fn area_of(group: Option<&str>, name: &str, receiver: &str, returns: &str) -> &'static str {
    let is = |ty: &str| receiver == ty || returns.contains(ty);
    match group {
        Some("output") => return "output",
        Some("language") => return "language",
        Some("coding") => return "coding",
        _ => {}
    }
    if is("Chart") {
        "charts"
    } else if is("Framework") {
        "framework"
    } else if matches!(receiver, "Nomad" | "Exercise") {
        "teaching"
    } else if let Some(area @ ("agreement" | "exchange" | "teaching" | "suggestions")) = group {
        AREAS
            .iter()
            .find(|a| a.0 == area)
            .map_or("queries", |a| a.0)
    } else if receiver == "Table" || (receiver != "Project" && returns.contains("Table")) {
        "tables"
    } else if group == Some("queries") || receiver == "Query" {
        "queries"
    } else if is_coding(name) {
        "coding"
    } else {
        "project"
    }
}

impl HelpIndex {
    /// Reads every function registered in `engine` (and its static modules, as
    /// `module::function`), placing each in an area.
    pub(super) fn of(engine: &Engine, groups: &Groups) -> HelpIndex {
        let mut index = HelpIndex::default();
        let Ok(json) = engine.gen_fn_metadata_to_json(false) else {
            return index;
        };
        let metadata: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        index.add(&metadata["functions"], None, groups);
        for (module, m) in metadata["modules"].as_object().into_iter().flatten() {
            index.add(&m["functions"], Some(module), groups);
        }
        index
    }

    fn add(&mut self, functions: &serde_json::Value, module: Option<&str>, groups: &Groups) {
        for f in functions.as_array().into_iter().flatten() {
            let Some(name) = f["name"].as_str() else {
                continue;
            };
            let name = plain_name(name);
            if name.starts_with("anon$")
                || !name.starts_with(|c: char| c.is_alphabetic() || c == '_')
                || matches!(name.as_str(), "to_string" | "to_debug")
            {
                continue;
            }
            let signature = rhai_signature(f["signature"].as_str().unwrap_or(&name));
            let written = doc_text(&f["docComments"]);
            let docs = without_hidden_lines(&written);
            let examples = rhai_examples(&written);
            let full = match module {
                Some(m) => format!("{m}::{name}"),
                None => name.clone(),
            };
            let signature = match module {
                Some(m) => format!("{m}::{signature}"),
                None => signature,
            };
            let receiver = f["params"][0]["type"]
                .as_str()
                .map(short_type)
                .unwrap_or_default();
            let returns = f["returnType"].as_str().unwrap_or_default();
            let area = match module {
                Some(m) => m.to_string(),
                None => area_of(
                    groups.of.get(&name).copied(),
                    &name,
                    &receiver,
                    &short_type(returns),
                )
                .to_string(),
            };
            self.areas.entry(area).or_default().insert(full.clone());
            let overloads = self.functions.entry(full).or_default();
            if !overloads.iter().any(|o| o.signature == signature) {
                overloads.push(Overload {
                    signature,
                    docs,
                    examples,
                });
            }
        }
    }

    /// Every ```` ```rhai ```` example in the documentation, in function order: what the
    /// test suite runs so that no example in help is wrong.
    pub fn examples(&self) -> Vec<Example> {
        let mut examples = Vec::new();
        for (function, overloads) in &self.functions {
            for overload in overloads {
                for code in &overload.examples {
                    examples.push(Example {
                        function: function.clone(),
                        signature: overload.signature.clone(),
                        code: code.clone(),
                    });
                }
            }
        }
        examples
    }

    /// Functions none of whose signatures has an example: help on them shows no way to
    /// call them.
    pub fn without_examples(&self) -> Vec<String> {
        self.functions
            .iter()
            .filter(|(_, overloads)| overloads.iter().all(|o| o.examples.is_empty()))
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// The function `name` names: `npt::explain`, or `explain` when one module has it.
    fn find(&self, name: &str) -> Option<(&str, &[Overload])> {
        let name = name.trim();
        if let Some((key, overloads)) = self.functions.get_key_value(name) {
            return Some((key, overloads));
        }
        let mut in_modules = self
            .functions
            .iter()
            .filter(|(k, _)| k.rsplit_once("::").is_some_and(|(_, n)| n == name));
        match (in_modules.next(), in_modules.next()) {
            (Some((key, overloads)), None) => Some((key, overloads)),
            _ => None,
        }
    }

    fn area(&self, key: &str) -> Option<(String, String, &BTreeSet<String>)> {
        let functions = self.areas.get(key)?;
        let (title, about) = AREAS
            .iter()
            .find(|a| a.0 == key)
            .map(|a| (a.1.to_string(), a.2.to_string()))
            .unwrap_or_else(|| {
                (
                    format!("Module {key}::"),
                    format!("functions of the `{key}` module"),
                )
            });
        Some((title, about, functions))
    }

    /// Area keys in the order of [`AREAS`], then modules.
    fn area_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = AREAS
            .iter()
            .map(|a| a.0.to_string())
            .filter(|k| self.areas.contains_key(k))
            .collect();
        keys.extend(
            self.areas
                .keys()
                .filter(|k| !AREAS.iter().any(|a| a.0 == k.as_str()))
                .cloned(),
        );
        keys
    }

    /// Help on `name` as Markdown: a function's signatures (in `rhai` fences) and
    /// documentation, or an area's functions with their first line; with no name, every
    /// area. `None` when `name` is neither a function nor an area.
    pub fn markdown(&self, name: &str) -> Option<String> {
        let name = name.trim();
        if name.is_empty() {
            return Some(self.overview_markdown());
        }
        let function = self.find(name).map(|(_, overloads)| {
            overloads
                .iter()
                .map(|o| {
                    let mut entry = format!("```rhai\n{}\n```", o.signature);
                    if !o.docs.is_empty() {
                        let _ = write!(entry, "\n\n{}", o.docs);
                    }
                    entry
                })
                .collect::<Vec<_>>()
                .join("\n\n")
        });
        join(function, self.area_markdown(name), "\n\n---\n\n")
    }

    /// Help on `name` as plain text for terminals: signatures first, examples indented,
    /// no Markdown fences.
    pub fn text(&self, name: &str) -> Option<String> {
        let name = name.trim();
        if name.is_empty() {
            return Some(self.overview_text());
        }
        let function = self.find(name).map(|(_, overloads)| {
            overloads
                .iter()
                .map(|o| {
                    if o.docs.is_empty() {
                        o.signature.clone()
                    } else {
                        format!("{}\n{}", o.signature, plain(&o.docs))
                    }
                })
                .collect::<Vec<_>>()
                .join("\n\n")
        });
        let area = self.area_markdown(name).map(|m| plain(&m));
        join(function, area, &format!("\n\n{}\n", "-".repeat(40)))
    }

    fn area_markdown(&self, key: &str) -> Option<String> {
        let (title, about, functions) = self.area(key)?;
        let mut out = format!("**{title}**: {about}.\n");
        for f in functions {
            let first = self
                .functions
                .get(f)
                .and_then(|o| {
                    o.iter()
                        .map(|o| first_sentence(&o.docs))
                        .find(|s| !s.is_empty())
                })
                .unwrap_or_default();
            let _ = write!(out, "\n- `{f}`: {first}");
        }
        Some(out)
    }

    /// Help on `name` as HTML, for notebooks.
    pub fn html(&self, name: &str) -> Option<String> {
        self.markdown(name)
            .map(|m| format!("<div class=\"qualkit-help\">{}</div>", markdown_html(&m)))
    }

    fn overview_markdown(&self) -> String {
        let mut out = String::from(
            "**qualkit help.** `help(\"name\")` shows a function (`help(\"npt::explain\")` one \
             of a module); `help(\"coding\")` shows an area with a line on each function.\n",
        );
        for key in self.area_keys() {
            let Some((title, about, functions)) = self.area(&key) else {
                continue;
            };
            let names: Vec<String> = functions.iter().map(|f| format!("`{f}`")).collect();
            let _ = write!(
                out,
                "\n**{title}** (`help(\"{key}\")`): {about}.  \n{}\n",
                names.join(", ")
            );
        }
        out
    }

    fn overview_text(&self) -> String {
        let mut out = String::from(
            "qualkit help. help(\"name\") shows a function (help(\"npt::explain\") one of a\n\
             module); help(\"coding\") shows an area with a line on each function.\n",
        );
        for key in self.area_keys() {
            let Some((title, about, functions)) = self.area(&key) else {
                continue;
            };
            let _ = writeln!(out, "\n{title} (help(\"{key}\")): {about}.");
            let mut line = String::from("   ");
            for (i, f) in functions.iter().enumerate() {
                let word = if i + 1 < functions.len() {
                    format!(" {f},")
                } else {
                    format!(" {f}")
                };
                if line.chars().count() + word.chars().count() > 90 {
                    let _ = writeln!(out, "{line}");
                    line = String::from("   ");
                }
                line.push_str(&word);
            }
            let _ = writeln!(out, "{line}");
        }
        out.trim_end().to_string()
    }
}

/// A function's doc comments as Markdown: `///` markers and one leading space removed.
fn doc_text(comments: &serde_json::Value) -> String {
    let lines: Vec<String> = comments
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|block| block.as_str())
        .flat_map(|block| {
            block
                .lines()
                .map(|l| {
                    let l = l.trim().trim_start_matches("///");
                    l.strip_prefix(' ').unwrap_or(l).to_string()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    lines.join("\n").trim().to_string()
}

/// A hidden line in an example (as in rustdoc): `#` alone or `# ` then code. It sets the
/// example up for the test suite without cluttering help; Rhai's map literals (`#{`) are
/// not hidden.
fn hidden_line(line: &str) -> Option<&str> {
    let trimmed = line.trim_start();
    if trimmed == "#" {
        Some("")
    } else {
        trimmed.strip_prefix("# ")
    }
}

fn is_fence(line: &str) -> bool {
    line.trim_start().starts_with("```")
}

/// Documentation as help shows it: hidden lines inside code fences left out.
fn without_hidden_lines(docs: &str) -> String {
    let mut in_code = false;
    let mut out = Vec::new();
    for line in docs.lines() {
        if is_fence(line) {
            in_code = !in_code;
        } else if in_code && hidden_line(line).is_some() {
            continue;
        }
        out.push(line);
    }
    out.join("\n")
}

/// The code of each ```` ```rhai ```` fence, hidden lines unmarked.
fn rhai_examples(docs: &str) -> Vec<String> {
    let mut examples = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in docs.lines() {
        if is_fence(line) {
            match current.take() {
                Some(lines) => examples.push(lines.join("\n")),
                None if line.trim_start().trim_start_matches('`').trim() == "rhai" => {
                    current = Some(Vec::new());
                }
                None => current = None,
            }
            continue;
        }
        if let Some(lines) = current.as_mut() {
            lines.push(hidden_line(line).unwrap_or(line));
        }
    }
    examples
}

fn join(a: Option<String>, b: Option<String>, between: &str) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(format!("{a}{between}{b}")),
        (a, b) => a.or(b),
    }
}

/// The first sentence of documentation, on one line.
fn first_sentence(docs: &str) -> String {
    let paragraph = docs.split("\n\n").next().unwrap_or_default();
    if paragraph.trim_start().starts_with("```") {
        return String::new();
    }
    let line = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    // A sentence ends at a full stop before a capital ("e.g. `x`" does not end one).
    let end = line
        .match_indices(". ")
        .map(|(i, _)| i)
        .find(|&i| line[i + 2..].starts_with(char::is_uppercase));
    match end {
        Some(end) => line[..=end].to_string(),
        None => line,
    }
}

/// Markdown as plain text: fenced code indented by four spaces, fences and bold marks
/// left out.
pub fn plain(markdown: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            out.push_str("    ");
            out.push_str(line);
        } else {
            out.push_str(line.replace("**", "").trim_end());
        }
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// The Markdown help is written in (paragraphs, fenced code, `code`, **bold**, lists,
/// rules) as HTML.
fn markdown_html(markdown: &str) -> String {
    let mut out = String::new();
    let mut paragraph: Vec<String> = Vec::new();
    let mut list: Vec<String> = Vec::new();
    let mut code: Option<Vec<String>> = None;
    let flush = |out: &mut String, paragraph: &mut Vec<String>, list: &mut Vec<String>| {
        if !paragraph.is_empty() {
            let _ = write!(out, "<p>{}</p>", inline_html(&paragraph.join("\n")));
            paragraph.clear();
        }
        if !list.is_empty() {
            out.push_str("<ul>");
            for item in list.drain(..) {
                let _ = write!(out, "<li>{}</li>", inline_html(&item));
            }
            out.push_str("</ul>");
        }
    };
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            match code.take() {
                Some(lines) => {
                    let _ = write!(
                        out,
                        "<pre><code class=\"language-rhai\">{}</code></pre>",
                        escape_html(&lines.join("\n"))
                    );
                }
                None => {
                    flush(&mut out, &mut paragraph, &mut list);
                    code = Some(Vec::new());
                }
            }
        } else if let Some(lines) = code.as_mut() {
            lines.push(line.to_string());
        } else if line.trim().is_empty() {
            flush(&mut out, &mut paragraph, &mut list);
        } else if line.trim() == "---" {
            flush(&mut out, &mut paragraph, &mut list);
            out.push_str("<hr>");
        } else if let Some(item) = line.strip_prefix("- ") {
            if !paragraph.is_empty() {
                flush(&mut out, &mut paragraph, &mut list);
            }
            list.push(item.to_string());
        } else {
            paragraph.push(line.trim_end().to_string());
        }
    }
    if let Some(lines) = code {
        let _ = write!(
            out,
            "<pre><code>{}</code></pre>",
            escape_html(&lines.join("\n"))
        );
    }
    flush(&mut out, &mut paragraph, &mut list);
    out
}

/// `code` and **bold** inside a line, the rest escaped; a line ending in two spaces breaks.
fn inline_html(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", escape_html(part));
        } else {
            let escaped = escape_html(part).replace("  \n", "<br>");
            let mut bold = false;
            for (j, piece) in escaped.split("**").enumerate() {
                if j > 0 {
                    out.push_str(if bold { "</b>" } else { "<b>" });
                    bold = !bold;
                }
                out.push_str(piece);
            }
            if bold {
                out.push_str("</b>");
            }
        }
    }
    out
}

/// A signature in the names scripts use, not the Rust types behind them.
fn rhai_signature(signature: &str) -> String {
    let mut s = signature
        .replace("get$", "")
        .replace("set$", "")
        .replace("&mut ", "")
        .replace("&str", "String")
        .replace("DocumentRef", "Document")
        .replace("ProjectRef", "Project")
        .replace("FrameworkMatrix", "Framework")
        .replace("ctx: NativeCallContext, ", "")
        .replace("FnPtr", "Fn");
    if let Some(start) = s.find("Fallible<") {
        let inner = &s[start + "Fallible<".len()..];
        let inner = inner.strip_suffix('>').unwrap_or(inner).to_string();
        s = format!("{}{inner}", &s[..start]);
    }
    s
}

/// Names of all functions, for completion.
pub(super) fn function_names(engine: &Engine) -> Vec<String> {
    let mut names: Vec<String> = engine
        .gen_fn_signatures(true)
        .into_iter()
        .filter_map(|s| {
            s.split('(').next().map(|n| {
                n.trim_start_matches("get$")
                    .trim_start_matches("set$")
                    .to_string()
            })
        })
        .filter(|n| !n.starts_with("anon$") && !n.is_empty())
        .collect();
    names.sort();
    names.dedup();
    names
}
