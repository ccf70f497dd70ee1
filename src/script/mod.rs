//! The Rhai analysis language: one [`Session`] (engine + variables) shared by `qualkit run`
//! and the REPL. The bindings (`project_api` and the other `*_api` groups) are a thin layer over the library; errors become
//! script errors once, at that boundary, with the script's name, line and column.

mod agreement_api;
mod analysis_api;
mod annotate;
mod base;
pub mod complete;
mod display;
mod help;
mod output;
mod project_api;
mod sized_api;
mod suggest_api;
mod teaching_api;

pub use display::{mime_bundle, render_html, render_text};
pub use help::{AREAS, Example, HelpIndex};
pub use output::{
    ANYWIDGET_VERSION, MimeBundle, Output, OutputSink, Widget, WidgetHandle, model_state,
    terminal_sink,
};
mod exchange_api;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rhai::module_resolvers::{FileModuleResolver, ModuleResolversCollection, StaticModuleResolver};
use rhai::{Dynamic, Engine, EvalAltResult, Position, Scope};

use crate::support::budget::{self, Budget, Exceeded, MAX_MEMORY_VAR};

/// Modules shipped with qualkit, importable by name: `import "npt" as npt;`.
pub const STDLIB: &[(&str, &str)] = &[("npt", include_str!("../../stdlib/npt.rhai"))];

/// Limits that stop a runaway script with a clear message instead of hanging or exhausting
/// memory. `qualkit run`, the REPL and the notebook kernel all start from [`Limits::default`].
///
/// Memory is one budget for everything an evaluation allocates, checked after every
/// operation, rather than Rhai's limits on the size of each string, array and map: those
/// measure a whole array on every `push` (so a loop of pushes slows to a crawl) and miss
/// map keys and most of what many values add up to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub operations: u64,
    /// Bytes one evaluation may allocate on top of what the process held when it began, so
    /// the values a notebook keeps do not count against the next cell.
    pub memory: usize,
    /// How long one evaluation may run.
    pub time: Option<Duration>,
    pub call_depth: usize,
}

/// The operation limit when `QUALKIT_MAX_OPERATIONS` sets none: a tight loop reaches it in a
/// few seconds (half a minute in a debug build).
pub const DEFAULT_MAX_OPERATIONS: u64 = 50_000_000;

/// The environment variable that sets the operation limit of every front end.
pub const MAX_OPERATIONS_VAR: &str = "QUALKIT_MAX_OPERATIONS";

/// The environment variable that sets the time limit of every front end, in seconds.
pub const MAX_SECONDS_VAR: &str = "QUALKIT_MAX_SECONDS";

/// The time limit when `QUALKIT_MAX_SECONDS` sets none: long enough for any analysis of a
/// corpus that fits in memory, short enough that a forgotten run does not spin all day.
pub const DEFAULT_MAX_SECONDS: u64 = 3600;

impl Default for Limits {
    /// The limits of every front end: each is its environment variable when that is set to a
    /// positive whole number, else the default. Memory defaults to a third of what the
    /// machine (or its container) has: the budget is checked between operations, and the one
    /// that goes past it may double a value while the old one is still held.
    fn default() -> Self {
        Limits {
            operations: from_env(MAX_OPERATIONS_VAR, DEFAULT_MAX_OPERATIONS),
            memory: (from_env(MAX_MEMORY_VAR, default_memory_mb()) as usize)
                .saturating_mul(1 << 20),
            time: Some(Duration::from_secs(from_env(
                MAX_SECONDS_VAR,
                DEFAULT_MAX_SECONDS,
            ))),
            call_depth: 64,
        }
    }
}

impl Limits {
    /// These limits with the memory budget set in megabytes (`--max-memory-mb`).
    pub fn with_memory_mb(self, megabytes: u64) -> Limits {
        Limits {
            memory: (megabytes as usize).saturating_mul(1 << 20),
            ..self
        }
    }

    /// These limits with the time limit set in seconds (`--max-seconds`).
    pub fn with_seconds(self, seconds: u64) -> Limits {
        Limits {
            time: Some(Duration::from_secs(seconds)),
            ..self
        }
    }
}

fn from_env(variable: &str, default: u64) -> u64 {
    let Some(value) = std::env::var_os(variable) else {
        return default;
    };
    // Rhai reads an operation limit of 0 as "no limit"; a limit of nothing is refused for
    // every limit alike.
    match value.to_str().and_then(|v| v.trim().parse::<u64>().ok()) {
        Some(n) if n > 0 => n,
        _ => {
            eprintln!(
                "warning: {variable}={} is not a positive whole number; the limit stays {default}",
                value.to_string_lossy()
            );
            default
        }
    }
}

/// A third of the memory of the machine, or of the container when that has less; 2 GB where
/// neither can be read.
fn default_memory_mb() -> u64 {
    let machine = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kilobytes * 1024)
        });
    // "max" when the container sets no limit.
    let container = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|limit| limit.trim().parse::<u64>().ok());
    let total = match (machine, container) {
        (Some(m), Some(c)) => Some(m.min(c)),
        (m, c) => m.or(c),
    };
    total.map_or(2048, |bytes| (bytes / 3) >> 20).max(1)
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
    limits: Limits,
    /// What `help` shows, read from the engine; read again when a module is imported.
    help: Rc<RefCell<HelpIndex>>,
    /// Where each function was registered, for help's areas.
    groups: help::Groups,
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
        base::send_notes_to(sink.clone());
        let mut engine = Engine::new();
        engine
            .set_max_operations(limits.operations)
            .set_max_call_levels(limits.call_depth)
            .set_max_expr_depths(256, 256);
        // Each group of bindings is recorded, so help can list functions by area.
        let mut groups = help::Groups::default();
        groups.record(&mut engine, "project", project_api::register);
        groups.record(&mut engine, "queries", analysis_api::register);
        groups.record(&mut engine, "teaching", teaching_api::register);
        groups.record(&mut engine, "agreement", agreement_api::register);
        groups.record(&mut engine, "exchange", exchange_api::register);
        groups.record(&mut engine, "coding", annotate::register);
        groups.record(&mut engine, "language", sized_api::register);
        groups.record(&mut engine, "suggestions", suggest_api::register);
        let help = Rc::new(RefCell::new(HelpIndex::default()));
        groups.record(&mut engine, "output", |engine| {
            register_display(engine, &sink);
            register_help(engine, &sink, &help);
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

        // Read once everything is registered, stdlib modules included.
        *help.borrow_mut() = HelpIndex::of(&engine, &groups);

        let interrupt = Arc::new(AtomicBool::new(false));
        let flag = interrupt.clone();
        // Called after every operation, so it must cost little: the clock is read once in 16
        // operations (a loop of calls that take a second each overshoots by 16 seconds at most).
        engine.on_progress(move |operations| {
            if flag.swap(false, Ordering::Relaxed) {
                return Some(Dynamic::from(INTERRUPTED));
            }
            let look_at_clock = operations % 16 == 0;
            budget::current()?.exceeded(look_at_clock).map(|limit| {
                Dynamic::from(match limit {
                    Exceeded::Memory => OUT_OF_MEMORY,
                    Exceeded::Time => OUT_OF_TIME,
                })
            })
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
            limits,
            help,
            groups,
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
            .filter_map(|(_, _, value)| base::project_names(&value))
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
        let _budget = budget::enter(Budget::starting_now(self.limits.memory, self.limits.time));
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
            let mut error = script_error(source, *e, &self.limits);
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
                *self.help.borrow_mut() = HelpIndex::of(&self.engine, &self.groups);
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
        let code = crate::support::text::read_text(path).map_err(|e| ScriptError {
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

    /// Help as plain text for a terminal or `text/plain`: a function's signatures and doc
    /// comments (examples indented, no Markdown fences), an area's functions (`"coding"`),
    /// or with an empty name every function by area. `None` for a name that is neither.
    pub fn help(&self, name: &str) -> Option<String> {
        self.help.borrow().text(name)
    }

    /// The same help as Markdown, for notebooks (`text/markdown`): each signature and
    /// example in a ```` ```rhai ```` fence. `name` may be a module function, `npt::explain`.
    pub fn help_markdown(&self, name: &str) -> Option<String> {
        self.help.borrow().markdown(name)
    }

    /// The same help as HTML (what `help("name")` displays in a notebook cell).
    pub fn help_html(&self, name: &str) -> Option<String> {
        self.help.borrow().html(name)
    }

    /// Every example in help, hidden setup lines included: the test suite runs each one
    /// against the sample project.
    pub fn help_examples(&self) -> Vec<Example> {
        self.help.borrow().examples()
    }

    /// Functions scripts can call whose help has no example.
    pub fn functions_without_examples(&self) -> Vec<String> {
        self.help.borrow().without_examples()
    }

    /// Function and method names, for completion.
    pub fn function_names(&self) -> Vec<String> {
        help::function_names(&self.engine)
    }
}

/// `display(value)` and `clear_output()`, for notebooks (in a terminal, `display` prints).
fn register_display(engine: &mut Engine, sink: &OutputSink) {
    let out = sink.clone();
    rhai::FuncRegistration::new("display")
        .with_comments([
            "/// Shows a value in its richest form now (a table as HTML in a notebook), without\n/// waiting for the end of the cell.\n///\n/// ```rhai\n/// display(p.matrix(\"case\", \"npt\"));\n/// display(p.matrix(\"case\", \"npt\").heatmap());\n/// ```",
        ])
        .with_params_info(["value: Dynamic", "()"])
        .register_into_engine(engine, move |value: Dynamic| {
            out(Output::Display(mime_bundle(&value)));
        });
    let out = sink.clone();
    rhai::FuncRegistration::new("eprint")
        .with_comments([
            "/// Prints to standard error (warnings, progress), apart from the results.\n///\n/// ```rhai\n/// let empty = p.documents().filter(|d| d.words == 0);\n/// if empty.len() > 0 { eprint(`${empty.len()} documents have no words`); }\n/// ```",
        ])
        .with_params_info(["text: Dynamic", "()"])
        .register_into_engine(engine, move |text: Dynamic| {
            out(Output::Stderr(render_text(&text)))
        });
    let out = sink.clone();
    rhai::FuncRegistration::new("page")
        .with_comments([
            "/// Shows long text in the notebook's pager (printed in a terminal).\n///\n/// ```rhai\n/// page(help_text(\"matrix\"));\n/// page(p.document(\"magenta-p3-interview-gp\").text);\n/// ```",
        ])
        .with_params_info(["text: Dynamic", "()"])
        .register_into_engine(engine, move |text: Dynamic| out(Output::Page(render_text(&text))));
    let out = sink.clone();
    rhai::FuncRegistration::new("clear_output")
        .with_comments([
            "/// Clears what the notebook cell has shown so far, for progress messages in long cells.\n///\n/// ```rhai\n/// for d in p.documents() {\n///     clear_output();\n///     print(`counting ${d.id}`);\n/// }\n/// clear_output();\n/// ```",
        ])
        .with_params_info(["()"])
        .register_into_engine(engine, move || out(Output::Clear { wait: false }));
    let out = sink.clone();
    rhai::FuncRegistration::new("clear_output")
        .with_comments([
            "/// Clears the cell's output; with `true`, only when the next output arrives (no flicker).\n///\n/// ```rhai\n/// for code in npt::construct_ids() {\n///     clear_output(true);\n///     display(p.matrix(\"case\", code));\n/// }\n/// ```",
        ])
        .with_params_info(["wait: bool", "()"])
        .register_into_engine(engine, move |wait: bool| out(Output::Clear { wait }));
}

/// `help()`, `help("name")` and `help_text("name")`. Help is shown as it is called, as
/// `print` is, so it appears in scripts (`qualkit run`) as well as the REPL and notebooks.
fn register_help(engine: &mut Engine, sink: &OutputSink, index: &Rc<RefCell<HelpIndex>>) {
    let show = |index: &Rc<RefCell<HelpIndex>>, sink: &OutputSink, name: &str| {
        let index = index.borrow();
        let bundle = match index.text(name) {
            Some(text) => MimeBundle {
                text,
                html: index.html(name),
                ..MimeBundle::default()
            },
            None => MimeBundle {
                text: not_found(name),
                ..MimeBundle::default()
            },
        };
        sink(Output::Display(bundle));
    };
    let (out, help) = (sink.clone(), index.clone());
    rhai::FuncRegistration::new("help")
        .with_comments([
            "/// Lists every function by area (project, coding, queries, Framework, agreement...).\n///\n/// ```rhai\n/// help()\n/// ```",
        ])
        .with_params_info(["()"])
        .register_into_engine(engine, move || show(&help, &out, ""));
    let (out, help) = (sink.clone(), index.clone());
    rhai::FuncRegistration::new("help")
        .with_comments([
            "/// Shows the signatures and documentation of a function, or the functions of an\n/// area (`help(\"coding\")`), in scripts as in the REPL and notebooks.\n///\n/// ```rhai\n/// help(\"segments\");\n/// help(\"npt::explain\");\n/// ```",
        ])
        .with_params_info(["name: &str", "()"])
        .register_into_engine(engine, move |name: &str| show(&help, &out, name));
    let help = index.clone();
    rhai::FuncRegistration::new("help_text")
        .with_comments([
            "/// The help of a function or area as text, to keep, search or page.\n///\n/// ```rhai\n/// page(help_text(\"matrix\"))\n/// ```",
        ])
        .with_params_info(["name: &str", "String"])
        .register_into_engine(engine, move |name: &str| -> String {
            help.borrow().text(name).unwrap_or_else(|| not_found(name))
        });
}

fn not_found(name: &str) -> String {
    format!("no function or area called `{name}`; help() lists them all")
}

fn located(source: &str, position: Position, message: String) -> ScriptError {
    ScriptError {
        source: source.to_string(),
        line: position.line(),
        column: position.position(),
        message,
    }
}

/// Why the engine was told to stop, as `on_progress` reports it.
const INTERRUPTED: &str = "interrupted";
const OUT_OF_MEMORY: &str = "memory";
const OUT_OF_TIME: &str = "time";

fn script_error(source: &str, error: EvalAltResult, limits: &Limits) -> ScriptError {
    let position = error.position();
    let message = match &error {
        EvalAltResult::ErrorTooManyOperations(_) => format!(
            "the script ran too long and was stopped (operation limit of {} reached; is there an endless loop? {MAX_OPERATIONS_VAR} sets the limit)",
            limits.operations
        ),
        EvalAltResult::ErrorTerminated(why, _) => match why.clone().into_string().as_deref() {
            Ok(OUT_OF_MEMORY) => format!(
                "the script went past its memory budget of {} and was stopped ({MAX_MEMORY_VAR} or --max-memory-mb sets the budget)",
                budget::megabytes(limits.memory)
            ),
            Ok(OUT_OF_TIME) => format!(
                "the script ran past its time limit of {} s and was stopped ({MAX_SECONDS_VAR} or --max-seconds sets the limit)",
                limits.time.unwrap_or_default().as_secs()
            ),
            _ => INTERRUPTED.into(),
        },
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
