//! The interactive prompt: history, multi-line input, tab completion and `:help`, over the
//! same [`Session`] that runs saved scripts. An error is printed and the session goes on.

use std::borrow::Cow;
use std::sync::atomic::Ordering;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};

use crate::script::{Limits, Session};

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

/// Runs the prompt until end of input or `:quit`.
pub fn run() -> rustyline::Result<()> {
    let mut session = Session::new(std::path::Path::new("."), Limits::default());
    let interrupt = session.interrupter();
    // Ctrl-C while a cell runs stops it; at the prompt rustyline handles it.
    let _ = ctrlc::set_handler(move || interrupt.store(true, Ordering::Relaxed));
    let mut editor: Editor<Completion, rustyline::history::DefaultHistory> = Editor::new()?;
    let history =
        std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".qualkit_history"));
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    println!(
        "qualkit {} (Rhai). :help NAME for help, :quit to leave.",
        env!("CARGO_PKG_VERSION")
    );
    let mut buffer = String::new();
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
                match session.help(if name.is_empty() { "project" } else { name }) {
                    Some(text) => println!("{text}"),
                    None => println!("no function called `{name}`"),
                }
                let _ = editor.add_history_entry(trimmed);
                continue;
            }
        }
        buffer.push_str(&line);
        buffer.push('\n');
        if !session.is_complete(&buffer) {
            continue;
        }
        let _ = editor.add_history_entry(buffer.trim_end());
        match session.eval(&buffer, "<repl>") {
            Ok(value) if value.is_unit() => {}
            Ok(value) => println!("{}", crate::script::render_text(&value)),
            Err(error) => eprintln!("error: {error}"),
        }
        buffer.clear();
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    Ok(())
}
