//! The interactive prompt: history, multi-line input, tab completion, `:help` and `:save`,
//! over the same [`Session`] that runs saved scripts. An error is printed and the session
//! goes on.
//!
//! History is written after every input, so a crash or a closed terminal loses nothing, to
//! `$XDG_STATE_HOME/qualkit/history` (`~/.local/state/qualkit/history`): the REPL starts
//! in any folder, often before a project is opened, and a project folder is shared with
//! colleagues and kept under version control, where one person's typing does not belong.

use std::borrow::Cow;
use std::sync::atomic::Ordering;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};

use std::path::{Path, PathBuf};

use crate::script::{Completeness, Limits, Session};

struct Completion {
    completions: crate::script::complete::Completions,
}

impl Completer for Completion {
    type Candidate = Pair;
    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        // rustyline counts bytes, completion code points.
        let chars: Vec<char> = line.chars().collect();
        let cursor = line[..pos].chars().count();
        let (start, words) = self.completions.complete(&chars, cursor);
        let start_byte = line
            .char_indices()
            .nth(start)
            .map_or(line.len(), |(b, _)| b);
        let candidates = words
            .into_iter()
            .map(|w| Pair {
                display: w.clone(),
                replacement: w,
            })
            .collect();
        Ok((start_byte, candidates))
    }
}

impl Hinter for Completion {
    type Hint = String;
}
impl Highlighter for Completion {
    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(&'s self, prompt: &'p str, _: bool) -> Cow<'b, str> {
        Cow::Borrowed(prompt)
    }
}
impl Validator for Completion {}
impl Helper for Completion {}

/// Where history is kept: `$XDG_STATE_HOME/qualkit/history`, else
/// `~/.local/state/qualkit/history`; `None` with neither variable set.
pub fn history_path() -> Option<PathBuf> {
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(state.join("qualkit").join("history"))
}

/// The inputs of a session that ran without error, as a script `qualkit run` can run: an
/// input that showed a value displays it, so the script shows what the session showed.
fn session_script(session: &Session, inputs: &[(String, bool)]) -> String {
    let mut script = String::from(
        "// Saved from the qualkit REPL with :save: the inputs that ran without error.\n",
    );
    for (input, showed_value) in inputs {
        let input = input.trim();
        let expression = input.trim_end_matches(';').trim_end();
        let shown = format!("display({expression});");
        if *showed_value && session.completeness(&shown) == Completeness::Complete {
            script.push_str(&shown);
        } else {
            script.push_str(input);
            if !input.ends_with([';', '}']) {
                script.push(';');
            }
        }
        script.push('\n');
    }
    script
}

/// Runs the prompt until end of input or `:quit`.
pub fn run() -> rustyline::Result<()> {
    let mut session = Session::new(std::path::Path::new("."), Limits::default());
    let interrupt = session.interrupter();
    // Ctrl-C while a cell runs stops it; at the prompt rustyline handles it.
    let _ = ctrlc::set_handler(move || interrupt.store(true, Ordering::Relaxed));
    let mut editor: Editor<Completion, rustyline::history::DefaultHistory> = Editor::new()?;
    let history = history_path();
    if let Some(h) = &history {
        let _ = editor.load_history(h);
        if let Some(folder) = h.parent() {
            let _ = std::fs::create_dir_all(folder);
        }
    }
    println!(
        "qualkit {} (Rhai). help() lists functions, :help NAME explains one, :save FILE keeps \
         the session as a script, :quit leaves.",
        env!("CARGO_PKG_VERSION")
    );
    let mut buffer = String::new();
    // Inputs that ran without error, and whether each showed a value.
    let mut inputs: Vec<(String, bool)> = Vec::new();
    let remember = |editor: &mut Editor<Completion, _>, entry: &str| {
        let _ = editor.add_history_entry(entry);
        if let Some(h) = &history {
            let _ = editor.append_history(h);
        }
    };
    loop {
        editor.set_helper(Some(Completion {
            completions: crate::script::complete::Completions::of(&session),
        }));
        let prompt = if buffer.is_empty() {
            "qualkit> "
        } else {
            "   ...> "
        };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e),
        };
        let trimmed = line.trim();
        if buffer.is_empty() {
            if trimmed == ":quit" || trimmed == ":q" {
                break;
            }
            if let Some(name) = trimmed.strip_prefix(":help") {
                let name = name.trim();
                match session.help(name) {
                    Some(text) => println!("{text}"),
                    None => println!("no function or area called `{name}`; :help lists them"),
                }
                remember(&mut editor, trimmed);
                continue;
            }
            if let Some(file) = trimmed.strip_prefix(":save") {
                let file = file.trim();
                remember(&mut editor, trimmed);
                if file.is_empty() {
                    eprintln!("error: :save needs a file name, e.g. :save analysis.rhai");
                    continue;
                }
                let script = session_script(&session, &inputs);
                match crate::record::atomic::write_atomic(Path::new(file), script.as_bytes()) {
                    Ok(()) => println!(
                        "saved {} inputs to {file}; run it with: qualkit run {file}",
                        inputs.len()
                    ),
                    Err(e) => eprintln!("error: {e}"),
                }
                continue;
            }
        }
        buffer.push_str(&line);
        buffer.push('\n');
        if !session.is_complete(&buffer) {
            continue;
        }
        remember(&mut editor, buffer.trim_end());
        match session.eval(&buffer, "<repl>") {
            Ok(value) if value.is_unit() => inputs.push((buffer.clone(), false)),
            Ok(value) => {
                println!("{}", crate::script::render_text(&value));
                inputs.push((buffer.clone(), true));
            }
            Err(error) => eprintln!("error: {error}"),
        }
        buffer.clear();
    }
    Ok(())
}
