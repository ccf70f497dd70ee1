//! Completion that knows types, shared by the REPL and the Jupyter kernel: after `p.` the
//! methods of what `p` holds (a Project, a Table...), after `npt::` the module's functions,
//! inside a string the names the open projects know, elsewhere functions, variables and
//! keywords.

use std::collections::{BTreeSet, HashMap};

use super::Session;

const KEYWORDS: &[&str] = &[
    "as", "break", "catch", "const", "continue", "do", "else", "export", "false", "fn", "for",
    "if", "import", "in", "let", "loop", "return", "switch", "this", "throw", "true", "try",
    "until", "while",
];

/// What can be offered, read from a session once.
pub struct Completions {
    /// Type name (as Rhai's function signatures write it) -> methods and properties.
    methods: HashMap<String, BTreeSet<String>>,
    /// Every method and property, for a receiver whose type is not known before it runs.
    any_method: BTreeSet<String>,
    /// Module -> its functions.
    modules: HashMap<String, BTreeSet<String>>,
    globals: BTreeSet<String>,
    /// Variable -> the type of its value.
    variables: HashMap<String, String>,
    /// Names the open projects know (codes, documents, cases), for strings.
    strings: Vec<String>,
}

/// The short type name Rhai's signatures use for a value's type.
fn short_type(name: &str) -> String {
    let name = name.trim().trim_start_matches("&mut ").trim();
    name.rsplit("::").next().unwrap_or(name).to_string()
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The name `text` ends with (empty if it ends otherwise).
fn trailing_name(text: &str) -> &str {
    let start = text
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_name_char(c))
        .last()
        .map_or(text.len(), |(i, _)| i);
    &text[start..]
}

impl Completions {
    pub fn of(session: &Session) -> Completions {
        let mut out = Completions {
            methods: HashMap::new(),
            any_method: BTreeSet::new(),
            modules: HashMap::new(),
            globals: KEYWORDS.iter().map(|k| k.to_string()).collect(),
            variables: HashMap::new(),
            strings: session.project_names(),
        };
        for signature in session.engine().gen_fn_signatures(true) {
            let Some((head, rest)) = signature.split_once('(') else {
                continue;
            };
            // Operators (`+`, `==`...) are functions too, but nobody types them by name.
            let plain = head
                .trim_start_matches("get$")
                .trim_start_matches("set$")
                .rsplit("::")
                .next()
                .and_then(|n| n.chars().next())
                .is_some_and(|c| c.is_alphabetic() || c == '_');
            if head.starts_with("anon$") || !plain {
                continue;
            }
            if let Some((module, name)) = head.rsplit_once("::") {
                out.modules
                    .entry(module.to_string())
                    .or_default()
                    .insert(name.to_string());
                continue;
            }
            let property = head.starts_with("get$") || head.starts_with("set$");
            let name = head.trim_start_matches("get$").trim_start_matches("set$");
            let params = rest.split(')').next().unwrap_or_default();
            let first = params
                .split(',')
                .next()
                .and_then(|p| p.split_once(':'))
                .map(|(_, ty)| short_type(ty));
            if let Some(ty) = first {
                out.methods.entry(ty).or_default().insert(name.to_string());
                out.any_method.insert(name.to_string());
            }
            if !property {
                out.globals.insert(name.to_string());
            }
        }
        for (name, type_name) in session.variable_types() {
            out.globals.insert(name.clone());
            out.variables.insert(name, short_type(&type_name));
        }
        out
    }

    /// Candidates for the text before `cursor` (in code points), and where the completed
    /// text starts.
    pub fn complete(&self, code: &[char], cursor: usize) -> (usize, Vec<String>) {
        let cursor = cursor.min(code.len());
        let mut start = cursor;
        while start > 0 && is_name_char(code[start - 1]) {
            start -= 1;
        }
        let token: String = code[start..cursor].iter().collect();
        let line_start = code[..start]
            .iter()
            .rposition(|&c| c == '\n')
            .map_or(0, |i| i + 1);
        let in_string = code[line_start..start]
            .iter()
            .filter(|&&c| c == '"')
            .count()
            % 2
            == 1;
        let pick = |names: &mut dyn Iterator<Item = &String>, token: &str| -> Vec<String> {
            let mut out: Vec<String> = names.filter(|n| n.starts_with(token)).cloned().collect();
            out.sort();
            out.dedup();
            out
        };
        if in_string {
            let mut string_start = start;
            while string_start > line_start && code[string_start - 1] != '"' {
                string_start -= 1;
            }
            let token: String = code[string_start..cursor].iter().collect();
            return (string_start, pick(&mut self.strings.iter(), &token));
        }
        let before: String = code[..start].iter().collect();
        if let Some(module) = before.strip_suffix("::") {
            let name = trailing_name(module);
            let functions = self.modules.get(name).into_iter().flatten();
            return (start, pick(&mut functions.into_iter(), &token));
        }
        if let Some(receiver) = before.strip_suffix('.') {
            let name = trailing_name(receiver);
            let plain_variable =
                !name.is_empty() && !receiver[..receiver.len() - name.len()].ends_with(['.', ':']);
            let known = plain_variable
                .then(|| self.variables.get(name))
                .flatten()
                .and_then(|ty| self.methods.get(ty));
            return match known {
                Some(methods) => (start, pick(&mut methods.iter(), &token)),
                None => (start, pick(&mut self.any_method.iter(), &token)),
            };
        }
        (start, pick(&mut self.globals.iter(), &token))
    }
}
