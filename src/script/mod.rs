//! The Rhai analysis language: one [`Session`] (engine + variables) shared by `qualkit run`
//! and the REPL. The bindings in [`api`] are a thin layer over the library; errors become
//! script errors once, at that boundary, with the script's name, line and column.

mod analysis_api;
mod api;
mod exchange_api;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rhai::module_resolvers::{FileModuleResolver, ModuleResolversCollection, StaticModuleResolver};
use rhai::{Dynamic, Engine, EvalAltResult, Position, Scope};

/// Modules shipped with qualkit, importable by name: `import "npt" as npt;`.
pub const STDLIB: &[(&str, &str)] = &[("npt", include_str!("../../stdlib/npt.rhai"))];

/// Limits that stop a runaway script with a clear message instead of hanging or exhausting
/// memory.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub operations: u64,
    pub string_size: usize,
    pub array_size: usize,
    pub map_size: usize,
    pub call_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            operations: 50_000_000,
            string_size: 64 << 20,
            array_size: 5_000_000,
            map_size: 1_000_000,
            call_depth: 64,
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

impl Session {
    /// A session whose `import` finds stdlib modules by name and other modules relative to
    /// `base` (the script's folder, or the current folder in the REPL).
    pub fn new(base: &Path, limits: Limits) -> Self {
        let mut engine = Engine::new();
        engine
            .set_max_operations(limits.operations)
            .set_max_string_size(limits.string_size)
            .set_max_array_size(limits.array_size)
            .set_max_map_size(limits.map_size)
            .set_max_call_levels(limits.call_depth)
            .set_max_expr_depths(256, 256);
        api::register(&mut engine);
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
        engine.on_print(|s| println!("{s}"));
        engine.on_debug(|s, _, _| eprintln!("{s}"));
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

    /// Names of the variables in scope.
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
            .eval_ast_with_scope::<Dynamic>(&mut self.scope, &program)
            .map_err(|e| script_error(source, *e));
        self.functions = self.functions.merge(&ast.clone_functions_only());
        result
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
        match self.engine.compile_with_scope(&self.scope, code) {
            Ok(_) => true,
            Err(e) => !matches!(
                e.err_type(),
                rhai::ParseErrorType::MissingToken(..) | rhai::ParseErrorType::UnexpectedEOF
            ),
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

fn located(source: &str, position: Position, message: String) -> ScriptError {
    ScriptError {
        source: source.to_string(),
        line: position.line(),
        column: position.position(),
        message,
    }
}

fn script_error(source: &str, error: EvalAltResult) -> ScriptError {
    let position = error.position();
    let message = match &error {
        EvalAltResult::ErrorTooManyOperations(_) => {
            "the script ran too long and was stopped (operation limit reached; is there an endless loop?)".into()
        }
        EvalAltResult::ErrorTerminated(..) => "interrupted".into(),
        EvalAltResult::ErrorDataTooLarge(what, _) => format!("{what} is too large; the limit stops runaway scripts"),
        EvalAltResult::ErrorStackOverflow(_) => "too many nested calls (is a function calling itself without end?)".into(),
        EvalAltResult::ErrorInFunctionCall(name, _, inner, _) if name.is_empty() => inner.to_string(),
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

/// How a value shows in the REPL (and as a notebook's plain-text output): tables and
/// matrices as terminal tables, everything else as Rhai prints it.
pub fn render_text(value: &Dynamic) -> String {
    if let Some(table) = value.read_lock::<crate::table::Table>() {
        return table.to_string();
    }
    if let Some(matrix) = value.read_lock::<crate::analysis::FrameworkMatrix>() {
        return matrix.to_string();
    }
    if let Some(query) = value.read_lock::<crate::analysis::Query>() {
        return query.to_string();
    }
    value.to_string()
}

/// The HTML form of values that have one (tables, Framework matrices), for notebooks.
pub fn render_html(value: &Dynamic) -> Option<String> {
    if let Some(table) = value.read_lock::<crate::table::Table>() {
        return Some(table.render_html(crate::table::SHOWN_ROWS));
    }
    if let Some(matrix) = value.read_lock::<crate::analysis::FrameworkMatrix>() {
        return Some(matrix.render_html());
    }
    None
}
