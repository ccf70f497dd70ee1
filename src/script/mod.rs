//! The Rhai analysis language: one [`Session`] (engine + variables) shared by `qualkit run`
//! and the REPL. The bindings in [`api`] are a thin layer over the library; errors become
//! script errors once, at that boundary, with the script's name, line and column.

mod agreement_api;
mod analysis_api;
mod api;
pub mod complete;
mod output;
mod teaching_api;

pub use output::{
    MimeBundle, Output, OutputSink, mime_bundle, render_html, render_text, terminal_sink,
};
mod exchange_api;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rhai::module_resolvers::{FileModuleResolver, ModuleResolversCollection, StaticModuleResolver};
use rhai::{Dynamic, Engine, EvalAltResult, Position, Scope};

/// Modules shipped with qualkit, importable by name: `import "npt" as npt;`.
pub const STDLIB: &[(&str, &str)] = &[("npt", include_str!("../../stdlib/npt.rhai"))];

/// Limits that stop a runaway script with a clear message instead of hanging or exhausting
/// memory. `qualkit run`, the REPL and the notebook kernel all use [`Limits::default`].
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub operations: u64,
    pub string_size: usize,
    pub array_size: usize,
    pub map_size: usize,
    pub call_depth: usize,
}

/// The operation limit when `QUALKIT_MAX_OPERATIONS` sets none: a tight loop reaches it in a
/// few seconds (half a minute in a debug build).
pub const DEFAULT_MAX_OPERATIONS: u64 = 50_000_000;

/// The environment variable that sets the operation limit of every front end.
pub const MAX_OPERATIONS_VAR: &str = "QUALKIT_MAX_OPERATIONS";

impl Default for Limits {
    /// The limits of every front end; the operation limit is `QUALKIT_MAX_OPERATIONS` when it
    /// is set to a positive whole number, else [`DEFAULT_MAX_OPERATIONS`].
    fn default() -> Self {
        Limits {
            operations: max_operations(),
            string_size: 64 << 20,
            array_size: 5_000_000,
            map_size: 1_000_000,
            call_depth: 64,
        }
    }
}

fn max_operations() -> u64 {
    let Some(value) = std::env::var_os(MAX_OPERATIONS_VAR) else {
        return DEFAULT_MAX_OPERATIONS;
    };
    // Rhai reads 0 as "no limit": a limit of nothing is refused too.
    match value.to_str().and_then(|v| v.trim().parse::<u64>().ok()) {
        Some(n) if n > 0 => n,
        _ => {
            eprintln!(
                "warning: {MAX_OPERATIONS_VAR}={} is not a positive whole number; the operation limit stays {DEFAULT_MAX_OPERATIONS}",
                value.to_string_lossy()
            );
            DEFAULT_MAX_OPERATIONS
        }
    }
}

/// An error from a script, with where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    pub source: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.source, self.message),
            (Some(l), None) => write!(f, "{}:{l}: {}", self.source, self.message),
            _ => write!(f, "{}: {}", self.source, self.message),
        }
    }
}

impl std::error::Error for ScriptError {}

/// A scripting session: the engine and the variables that persist between evaluations.
pub struct Session {
    engine: Engine,
    scope: Scope<'static>,
    /// Functions defined by earlier evaluations, so a REPL line can call them.
    functions: rhai::AST,
    interrupt: Arc<AtomicBool>,
}

/// How complete a piece of input is, for front ends that collect lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completeness {
    Complete,
    /// An open block or expression: wait for more lines.
    Incomplete,
    /// A syntax error that more lines will not fix.
    Invalid,
}

impl Session {
    /// A session whose `import` finds stdlib modules by name and other modules relative to
    /// `base` (the script's folder, or the current folder in the REPL), printing to the
    /// terminal.
    pub fn new(base: &Path, limits: Limits) -> Self {
        Self::with_output(base, limits, terminal_sink())
    }

    /// A session whose output goes to `sink` (the Jupyter kernel sends it to the notebook).
    pub fn with_output(base: &Path, limits: Limits, sink: OutputSink) -> Self {
        NOTES_OUT.with(|out| *out.borrow_mut() = Some(sink.clone()));
        let mut engine = Engine::new();
        engine
            .set_max_operations(limits.operations)
            .set_max_string_size(limits.string_size)
            .set_max_array_size(limits.array_size)
            .set_max_map_size(limits.map_size)
            .set_max_call_levels(limits.call_depth)
            .set_max_expr_depths(256, 256);
        api::register(&mut engine);
        register_display(&mut engine, &sink);
        // `help` reads the doc comments of everything registered so far, stdlib included.
        let help_engine_docs = api::help_index(&engine);
        rhai::FuncRegistration::new("help")
            .with_comments([
                "/// Shows the signatures and documentation of a function: `help(\"segments\")`.",
            ])
            .with_params_info(["name: &str", "String"])
            .register_into_engine(&mut engine, move |name: &str| -> String {
                help_engine_docs.get(name).cloned().unwrap_or_else(|| {
                    format!("no function called `{name}`; try help(\"project\")")
                })
            });

        let mut stdlib = StaticModuleResolver::new();
        for (name, source) in STDLIB {
            let ast = engine.compile(*source).expect("stdlib modules compile");
            let module = rhai::Module::eval_ast_as_new(Scope::new(), &ast, &engine)
                .expect("stdlib modules evaluate");
            // Always reachable as `npt::...`, with or without an `import`.
            engine.register_static_module(*name, module.clone().into());
            stdlib.insert(*name, module);
        }
        let mut resolvers = ModuleResolversCollection::new();
        resolvers.push(stdlib);
        resolvers.push(FileModuleResolver::new_with_path(base));
        engine.set_module_resolver(resolvers);

        let interrupt = Arc::new(AtomicBool::new(false));
        let flag = interrupt.clone();
        engine.on_progress(move |_| {
            flag.swap(false, Ordering::Relaxed)
                .then(|| Dynamic::from("interrupted".to_string()))
        });
        let out = sink.clone();
        engine.on_print(move |s| out(Output::Stdout(s.to_string())));
        let out = sink;
        engine.on_debug(move |s, _, _| out(Output::Stderr(s.to_string())));
        Session {
            engine,
            scope: Scope::new(),
            functions: rhai::AST::empty(),
            interrupt,
        }
    }

    /// A flag that stops the running evaluation when set (Ctrl-C, a kernel interrupt).
    pub fn interrupter(&self) -> Arc<AtomicBool> {
        self.interrupt.clone()
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Names that projects in scope know (codes, documents, cases), to complete strings.
    pub fn project_names(&self) -> Vec<String> {
        self.scope
            .iter()
            .filter_map(|(_, _, value)| api::project_names(&value))
            .flatten()
            .collect()
    }

    /// Names of the variables in scope.
    /// Each variable in scope with the type name of its value.
    pub fn variable_types(&self) -> Vec<(String, String)> {
        self.scope
            .iter()
            .map(|(name, _, value)| (name.to_string(), value.type_name().to_string()))
            .collect()
    }

    pub fn variables(&self) -> Vec<String> {
        self.scope
            .iter()
            .map(|(name, _, _)| name.to_string())
            .collect()
    }

    /// Evaluates `code`, keeping its variables for the next evaluation. `source` names the
    /// code in error messages (a file name, `<repl>`).
    pub fn eval(&mut self, code: &str, source: &str) -> Result<Dynamic, ScriptError> {
        self.interrupt.store(false, Ordering::Relaxed);
        let ast = self
            .engine
            .compile_with_scope(&self.scope, code)
            .map_err(|e| located(source, e.1, e.0.to_string()))?;
        let program = self.functions.merge(&ast);
        let result = self
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut self.scope, &program);
        self.functions = self.functions.merge(&ast.clone_functions_only());
        if result.is_ok() {
            self.keep_imports(code);
        }
        result.map_err(|e| {
            let hint = match &*e {
                EvalAltResult::ErrorFunctionNotFound(signature, _) => self.did_you_mean(signature),
                _ => String::new(),
            };
            let mut error = script_error(source, *e, self.engine.max_operations());
            error.message.push_str(&hint);
            error
        })
    }

    /// An `import` lasts for one evaluation in Rhai; a REPL line or notebook cell expects the
    /// module to stay, as a variable does. So each module imported is registered under its
    /// alias for the evaluations that follow.
    fn keep_imports(&mut self, code: &str) {
        static IMPORT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(r#"(?m)^\s*import\s+"([^"]+)"\s+as\s+([A-Za-z_][A-Za-z0-9_]*)\s*;"#)
                .expect("a valid pattern")
        });
        for import in IMPORT.captures_iter(code) {
            let resolved = self.engine.module_resolver().resolve(
                &self.engine,
                None,
                &import[1],
                Position::NONE,
            );
            if let Ok(module) = resolved {
                self.engine.register_static_module(&import[2], module);
            }
        }
    }

    /// For a call to a function that does not exist, the closest names that do.
    fn did_you_mean(&self, signature: &str) -> String {
        let name = signature.split([' ', '(']).next().unwrap_or(signature);
        let names = self.function_names();
        // Very short names (E, PI) would match as substrings of anything.
        let close = crate::error::suggest(
            name,
            names.iter().filter(|n| n.len() > 2).map(String::as_str),
        );
        match close.as_slice() {
            [] => String::new(),
            some => format!(
                "; did you mean {}?",
                some.iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        }
    }

    /// Runs a script file.
    pub fn run_file(&mut self, path: &Path) -> Result<Dynamic, ScriptError> {
        let code = crate::text::read_text(path).map_err(|e| ScriptError {
            source: path.display().to_string(),
            line: None,
            column: None,
            message: e.to_string(),
        })?;
        self.eval(&code, &path.display().to_string())
    }

    /// Whether `code` is a complete input, or an open block waiting for more lines.
    pub fn is_complete(&self, code: &str) -> bool {
        self.completeness(code) != Completeness::Incomplete
    }

    pub fn completeness(&self, code: &str) -> Completeness {
        match self.engine.compile_with_scope(&self.scope, code) {
            Ok(_) => Completeness::Complete,
            Err(e) => match e.err_type() {
                rhai::ParseErrorType::MissingToken(..) | rhai::ParseErrorType::UnexpectedEOF => {
                    Completeness::Incomplete
                }
                _ => Completeness::Invalid,
            },
        }
    }

    /// The help text for a function: its signatures and doc comments.
    pub fn help(&self, name: &str) -> Option<String> {
        api::help_index(&self.engine).remove(name)
    }

    /// Function and method names, for completion.
    pub fn function_names(&self) -> Vec<String> {
        api::function_names(&self.engine)
    }
}

thread_local! {
    /// Where notes go that a project has for its user (codings re-anchored on opening): the
    /// output of the session on this thread, which is the one running the script.
    static NOTES_OUT: std::cell::RefCell<Option<OutputSink>> = const { std::cell::RefCell::new(None) };
}

/// Tells the user what opening or changing a project did, as `qualkit` does on the command
/// line: each note on standard error (in a notebook, the cell's stderr stream).
pub(crate) fn show_notes(notes: Vec<String>) {
    NOTES_OUT.with(|out| {
        if let Some(out) = out.borrow().as_ref() {
            for note in notes {
                out(Output::Stderr(format!("note: {note}")));
            }
        }
    });
}

/// `display(value)` and `clear_output()`, for notebooks (in a terminal, `display` prints).
fn register_display(engine: &mut Engine, sink: &OutputSink) {
    let out = sink.clone();
    rhai::FuncRegistration::new("display")
        .with_comments([
            "/// Shows a value in its richest form now (a table as HTML in a notebook), without\n/// waiting for the end of the cell: `display(p.matrix(\"case\", \"npt\"))`.",
        ])
        .with_params_info(["value: Dynamic", "()"])
        .register_into_engine(engine, move |value: Dynamic| {
            out(Output::Display(mime_bundle(&value)));
        });
    let out = sink.clone();
    rhai::FuncRegistration::new("eprint")
        .with_comments([
            "/// Prints to standard error (warnings, progress): `eprint(\"3 files skipped\")`.",
        ])
        .with_params_info(["text: Dynamic", "()"])
        .register_into_engine(engine, move |text: Dynamic| {
            out(Output::Stderr(render_text(&text)))
        });
    let out = sink.clone();
    rhai::FuncRegistration::new("page")
        .with_comments([
            "/// Shows long text in the notebook's pager (printed in a terminal):\n/// `page(help(\"matrix\"))`.",
        ])
        .with_params_info(["text: Dynamic", "()"])
        .register_into_engine(engine, move |text: Dynamic| out(Output::Page(render_text(&text))));
    let out = sink.clone();
    rhai::FuncRegistration::new("clear_output")
        .with_comments([
            "/// Clears what the notebook cell has shown so far, for progress messages in long cells.",
        ])
        .with_params_info(["()"])
        .register_into_engine(engine, move || out(Output::Clear { wait: false }));
    let out = sink.clone();
    rhai::FuncRegistration::new("clear_output")
        .with_comments([
            "/// Clears the cell's output; with `true`, only when the next output arrives (no flicker).",
        ])
        .with_params_info(["wait: bool", "()"])
        .register_into_engine(engine, move |wait: bool| out(Output::Clear { wait }));
}

fn located(source: &str, position: Position, message: String) -> ScriptError {
    ScriptError {
        source: source.to_string(),
        line: position.line(),
        column: position.position(),
        message,
    }
}

fn script_error(source: &str, error: EvalAltResult, max_operations: u64) -> ScriptError {
    let position = error.position();
    let message = match &error {
        EvalAltResult::ErrorTooManyOperations(_) => format!(
            "the script ran too long and was stopped (operation limit of {max_operations} reached; is there an endless loop? {MAX_OPERATIONS_VAR} sets the limit)"
        ),
        EvalAltResult::ErrorTerminated(..) => "interrupted".into(),
        EvalAltResult::ErrorDataTooLarge(what, _) => {
            format!("{what} is too large; the limit stops runaway scripts")
        }
        EvalAltResult::ErrorStackOverflow(_) => {
            "too many nested calls (is a function calling itself without end?)".into()
        }
        EvalAltResult::ErrorInFunctionCall(name, _, inner, _) if name.is_empty() => {
            inner.to_string()
        }
        other => other.to_string(),
    };
    // Errors inside imported modules or functions carry the outer call's position too.
    let message = message
        .split(" (line ")
        .next()
        .unwrap_or(&message)
        .to_string();
    located(source, position, message)
}

/// Where a script's relative imports are found.
pub fn script_base(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}
