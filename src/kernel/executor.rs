//! The thread that owns the kernel's Rhai session. Rhai values (projects, tables) stay on
//! this thread; requests arrive as jobs and answers go back as JSON. What a cell prints or
//! displays goes straight to iopub, under the request that is running.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use jupyter_protocol::JupyterMessage;
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;

use super::comms::{Answer, Comms, WIDGET_VIEW_MIME};
use super::serve::{message, publish};
use crate::error::Result;
use crate::script::{Completeness, Limits, MimeBundle, Output, Session, mime_bundle, render_text};

/// The session number reported in history entries (one session per kernel process).
const SESSION_NUMBER: i64 = 1;

enum Job {
    Execute {
        parent: Box<JupyterMessage>,
        content: Value,
        done: oneshot::Sender<Value>,
    },
    Complete {
        content: Value,
        done: oneshot::Sender<Value>,
    },
    Inspect {
        content: Value,
        done: oneshot::Sender<Value>,
    },
    IsComplete {
        content: Value,
        done: oneshot::Sender<Value>,
    },
    History {
        content: Value,
        done: oneshot::Sender<Value>,
    },
    /// `comm_open`, `comm_msg` or `comm_close` from the front end; answers go to iopub.
    Comm {
        parent: Box<JupyterMessage>,
        content: Value,
        done: oneshot::Sender<Value>,
    },
    CommInfo {
        content: Value,
        done: oneshot::Sender<Value>,
    },
}

/// A handle to the session thread.
pub struct Executor {
    jobs: std::sync::mpsc::Sender<Job>,
    interrupt: Arc<AtomicBool>,
}

impl Executor {
    pub fn start(iopub: UnboundedSender<JupyterMessage>, limits: Limits) -> Result<Executor> {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let (ready, started) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("qualkit-session".into())
            .spawn(move || {
                let mut state = State::new(iopub, limits);
                let _ = ready.send(state.session.interrupter());
                for job in queue {
                    state.handle(job);
                }
            })
            .map_err(|e| super::serve::kernel_error("starting the session thread", e))?;
        let interrupt = started
            .recv()
            .map_err(|e| super::serve::kernel_error("starting the session", e))?;
        Ok(Executor { jobs, interrupt })
    }

    /// Setting this flag stops the running cell; the session keeps its variables.
    pub fn interrupter(&self) -> Arc<AtomicBool> {
        self.interrupt.clone()
    }

    async fn ask(&self, job: impl FnOnce(oneshot::Sender<Value>) -> Job) -> Value {
        let (done, answer) = oneshot::channel();
        if self.jobs.send(job(done)).is_err() {
            return json!({ "status": "error", "ename": "KernelError", "evalue": "the session has stopped", "traceback": [] });
        }
        answer.await.unwrap_or_else(|_| {
            json!({ "status": "error", "ename": "KernelError", "evalue": "the session has stopped", "traceback": [] })
        })
    }

    pub async fn execute(&self, parent: &JupyterMessage, content: &Value) -> Value {
        self.ask(|done| Job::Execute {
            parent: Box::new(parent.clone()),
            content: content.clone(),
            done,
        })
        .await
    }

    pub async fn complete(&self, content: &Value) -> Value {
        self.ask(|done| Job::Complete {
            content: content.clone(),
            done,
        })
        .await
    }

    pub async fn inspect(&self, content: &Value) -> Value {
        self.ask(|done| Job::Inspect {
            content: content.clone(),
            done,
        })
        .await
    }

    pub async fn is_complete(&self, content: &Value) -> Value {
        self.ask(|done| Job::IsComplete {
            content: content.clone(),
            done,
        })
        .await
    }

    /// Delivers a comm message from the front end to the widget it is for.
    pub async fn comm(&self, parent: &JupyterMessage, content: &Value) {
        self.ask(|done| Job::Comm {
            parent: Box::new(parent.clone()),
            content: content.clone(),
            done,
        })
        .await;
    }

    pub async fn comm_info(&self, content: &Value) -> Value {
        self.ask(|done| Job::CommInfo {
            content: content.clone(),
            done,
        })
        .await
    }

    pub async fn history(&self, content: &Value) -> Value {
        self.ask(|done| Job::History {
            content: content.clone(),
            done,
        })
        .await
    }
}

/// One executed cell: its number, code and the text of its result.
struct Entry {
    line: i64,
    input: String,
    output: String,
}

struct State {
    session: Session,
    iopub: UnboundedSender<JupyterMessage>,
    /// The request whose cell is running: outputs are sent as its children.
    running: Rc<RefCell<Option<JupyterMessage>>>,
    /// Pager text the running cell asked for, returned with its reply.
    pages: Rc<RefCell<Vec<String>>>,
    execution_count: i64,
    history: Vec<Entry>,
    comms: Rc<RefCell<Comms>>,
}

/// A value's forms as a display's `data`. A widget is opened as a comm first (once per
/// widget), and its view goes beside the text and HTML that front ends without widgets show.
fn bundle_json(
    bundle: &MimeBundle,
    parent: &JupyterMessage,
    iopub: &UnboundedSender<JupyterMessage>,
    comms: &RefCell<Comms>,
) -> Value {
    let mut data = serde_json::Map::new();
    if let Some(widget) = &bundle.widget {
        let known = comms.borrow().find(widget).map(str::to_string);
        let id = match known {
            Some(id) => id,
            None => {
                let (id, content) = comms.borrow_mut().open(widget);
                let mut open = message(parent, "comm_open", content);
                // Widget front ends read the protocol version from the message's metadata.
                open.metadata = json!({ "version": super::comms::WIDGET_PROTOCOL });
                publish(iopub, open);
                id
            }
        };
        data.insert(
            WIDGET_VIEW_MIME.into(),
            json!({ "model_id": id, "version_major": 2, "version_minor": 1 }),
        );
    }
    data.insert("text/plain".into(), bundle.text.clone().into());
    if let Some(html) = &bundle.html {
        data.insert("text/html".into(), html.clone().into());
    }
    if let Some(svg) = &bundle.svg {
        data.insert("image/svg+xml".into(), svg.clone().into());
    }
    Value::Object(data)
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The names Shift+Tab may be asking about, best first: the name under the cursor (with its
/// module, as in `npt::explain`), then the function whose call's parentheses hold the cursor.
fn inspected_names(code: &[char], cursor: usize) -> Vec<String> {
    let part = |c: char| is_name_char(c) || c == ':';
    let name_around = |at: usize| -> Option<String> {
        let mut start = at;
        while start > 0 && part(code[start - 1]) {
            start -= 1;
        }
        let mut end = at;
        while end < code.len() && part(code[end]) {
            end += 1;
        }
        let name: String = code[start..end].iter().collect();
        let name = name.trim_matches(':').to_string();
        (!name.is_empty()).then_some(name)
    };
    let mut names = Vec::new();
    if let Some(name) = name_around(cursor) {
        names.push(name);
    }
    // The innermost call still open before the cursor, skipping strings.
    let mut depth = 0usize;
    let mut in_string: Option<char> = None;
    let mut opens = Vec::new();
    for (i, &c) in code[..cursor].iter().enumerate() {
        match (in_string, c) {
            (Some(q), c) if c == q => in_string = None,
            (Some(_), _) => {}
            (None, '"' | '`') => in_string = Some(c),
            (None, '(') => {
                opens.push(i);
                depth += 1;
            }
            (None, ')') if depth > 0 => {
                opens.pop();
                depth -= 1;
            }
            _ => {}
        }
    }
    for &open in opens.iter().rev() {
        let mut end = open;
        while end > 0 && code[end - 1] == ' ' {
            end -= 1;
        }
        if end > 0
            && is_name_char(code[end - 1])
            && let Some(name) = name_around(end)
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    names
}

impl State {
    fn new(iopub: UnboundedSender<JupyterMessage>, limits: Limits) -> State {
        let running: Rc<RefCell<Option<JupyterMessage>>> = Rc::new(RefCell::new(None));
        let pages: Rc<RefCell<Vec<String>>> = Rc::new(RefCell::new(Vec::new()));
        let comms: Rc<RefCell<Comms>> = Rc::default();
        let sink = {
            let running = running.clone();
            let pages = pages.clone();
            let iopub = iopub.clone();
            let comms = comms.clone();
            Rc::new(move |output: Output| {
                let Some(parent) = running.borrow().clone() else {
                    return;
                };
                if let Output::Page(text) = output {
                    pages.borrow_mut().push(text);
                    return;
                }
                let out = match output {
                    Output::Stdout(text) => message(
                        &parent,
                        "stream",
                        json!({ "name": "stdout", "text": format!("{text}\n") }),
                    ),
                    Output::Stderr(text) => message(
                        &parent,
                        "stream",
                        json!({ "name": "stderr", "text": format!("{text}\n") }),
                    ),
                    Output::Display(bundle) => message(
                        &parent,
                        "display_data",
                        json!({ "data": bundle_json(&bundle, &parent, &iopub, &comms), "metadata": {} }),
                    ),
                    Output::Clear { wait } => {
                        message(&parent, "clear_output", json!({ "wait": wait }))
                    }
                    Output::Page(_) => unreachable!("pages are kept for the reply"),
                };
                publish(&iopub, out);
            })
        };
        let base = std::env::current_dir().unwrap_or_default();
        // The limits of `qualkit run` and the REPL, for each cell: a runaway cell stops on its
        // own, and an interrupt stops it sooner.
        State {
            session: Session::with_output(&base, limits, sink),
            iopub,
            running,
            pages,
            execution_count: 0,
            history: Vec::new(),
            comms,
        }
    }

    fn handle(&mut self, job: Job) {
        match job {
            Job::Execute {
                parent,
                content,
                done,
            } => {
                let _ = done.send(self.execute(&parent, &content));
            }
            Job::Complete { content, done } => {
                let _ = done.send(self.complete(&content));
            }
            Job::Inspect { content, done } => {
                let _ = done.send(self.inspect(&content));
            }
            Job::IsComplete { content, done } => {
                let _ = done.send(self.is_complete(&content));
            }
            Job::History { content, done } => {
                let _ = done.send(self.history(&content));
            }
            Job::Comm {
                parent,
                content,
                done,
            } => {
                self.comm(&parent, &content);
                let _ = done.send(Value::Null);
            }
            Job::CommInfo { content, done } => {
                let target = content["target_name"].as_str();
                let _ = done.send(self.comms.borrow().info(target));
            }
        }
    }

    fn execute(&mut self, parent: &JupyterMessage, content: &Value) -> Value {
        let code = content["code"].as_str().unwrap_or_default().to_string();
        let silent = content["silent"].as_bool().unwrap_or(false);
        let store_history = content["store_history"].as_bool().unwrap_or(!silent) && !silent;
        if store_history {
            self.execution_count += 1;
        }
        let count = self.execution_count.max(1);
        if !silent {
            publish(
                &self.iopub,
                message(
                    parent,
                    "execute_input",
                    json!({ "code": code, "execution_count": count }),
                ),
            );
            *self.running.borrow_mut() = Some(parent.clone());
        }
        let source = format!("In[{count}]");
        let result = self.session.eval(&code, &source);
        *self.running.borrow_mut() = None;
        let payload: Vec<Value> = self
            .pages
            .borrow_mut()
            .drain(..)
            .map(|text| json!({ "source": "page", "data": { "text/plain": text }, "start": 0 }))
            .collect();
        match result {
            Ok(value) => {
                let mut output = String::new();
                if !value.is_unit() {
                    output = render_text(&value);
                    if !silent {
                        let bundle = mime_bundle(&value);
                        publish(
                            &self.iopub,
                            message(
                                parent,
                                "execute_result",
                                json!({ "execution_count": count, "data": bundle_json(&bundle, parent, &self.iopub, &self.comms), "metadata": {} }),
                            ),
                        );
                    }
                }
                if store_history {
                    self.history.push(Entry {
                        line: count,
                        input: code,
                        output,
                    });
                }
                json!({ "status": "ok", "execution_count": count, "payload": payload, "user_expressions": {} })
            }
            Err(error) => {
                let ename = if error.message == "interrupted" {
                    "Interrupted"
                } else {
                    "ScriptError"
                };
                let mut traceback = vec![error.to_string()];
                if let Some(line) = error.line
                    && let Some(text) = code.lines().nth(line.saturating_sub(1))
                {
                    traceback.push(format!("{line:>4} | {text}"));
                    if let Some(column) = error.column {
                        traceback.push(format!("     | {}^", " ".repeat(column.saturating_sub(1))));
                    }
                }
                if !silent {
                    publish(
                        &self.iopub,
                        message(
                            parent,
                            "error",
                            json!({ "ename": ename, "evalue": error.message, "traceback": traceback }),
                        ),
                    );
                }
                if store_history {
                    self.history.push(Entry {
                        line: count,
                        input: code,
                        output: String::new(),
                    });
                }
                json!({
                    "status": "error", "execution_count": count,
                    "ename": ename, "evalue": error.message, "traceback": traceback
                })
            }
        }
    }

    fn comm(&mut self, parent: &JupyterMessage, content: &Value) {
        // What a widget does may print (a warning from the project, say): under this request.
        *self.running.borrow_mut() = Some(parent.clone());
        let answer = self
            .comms
            .borrow_mut()
            .receive(&parent.header.msg_type, content);
        *self.running.borrow_mut() = None;
        match answer {
            Answer::Nothing => {}
            Answer::Message(content) => publish(&self.iopub, message(parent, "comm_msg", content)),
            Answer::Close(content) => publish(&self.iopub, message(parent, "comm_close", content)),
        }
    }

    /// The code as characters and the cursor within it (Jupyter counts code points).
    fn cursor(content: &Value) -> (Vec<char>, usize) {
        let code: Vec<char> = content["code"]
            .as_str()
            .unwrap_or_default()
            .chars()
            .collect();
        let cursor = content["cursor_pos"]
            .as_u64()
            .map_or(code.len(), |c| c as usize)
            .min(code.len());
        (code, cursor)
    }

    fn complete(&self, content: &Value) -> Value {
        let (code, cursor) = Self::cursor(content);
        let (start, matches) =
            crate::script::complete::Completions::of(&self.session).complete(&code, cursor);
        json!({
            "status": "ok", "matches": matches,
            "cursor_start": start, "cursor_end": cursor, "metadata": {}
        })
    }

    fn inspect(&self, content: &Value) -> Value {
        let (code, cursor) = Self::cursor(content);
        let name = inspected_names(&code, cursor)
            .into_iter()
            .find(|name| self.session.help(name).is_some());
        let help = name.and_then(|name| {
            Some((
                self.session.help(&name)?,
                self.session.help_markdown(&name)?,
            ))
        });
        match help {
            Some((text, markdown)) => json!({
                "status": "ok", "found": true,
                "data": { "text/plain": text, "text/markdown": markdown }, "metadata": {}
            }),
            None => json!({ "status": "ok", "found": false, "data": {}, "metadata": {} }),
        }
    }

    fn is_complete(&self, content: &Value) -> Value {
        let code = content["code"].as_str().unwrap_or_default();
        match self.session.completeness(code) {
            Completeness::Complete => json!({ "status": "complete" }),
            Completeness::Incomplete => json!({ "status": "incomplete", "indent": "    " }),
            Completeness::Invalid => json!({ "status": "invalid" }),
        }
    }

    /// History requests: `tail` (the last n cells), `range` (cells start..stop) and `search`
    /// (a glob pattern, optionally unique, the last n). Fields a client leaves out take
    /// their defaults.
    fn history(&self, content: &Value) -> Value {
        let output = content["output"].as_bool().unwrap_or(false);
        let n = content["n"].as_u64().map(|n| n as usize);
        let selected: Vec<&Entry> = match content["hist_access_type"].as_str().unwrap_or("tail") {
            "range" => {
                let start = content["start"].as_i64().unwrap_or(1);
                let stop = content["stop"].as_i64().unwrap_or(i64::MAX);
                self.history
                    .iter()
                    .filter(|e| e.line >= start && e.line < stop)
                    .collect()
            }
            "search" => {
                let pattern = glob(content["pattern"].as_str().unwrap_or("*"));
                let mut found: Vec<&Entry> = self
                    .history
                    .iter()
                    .filter(|e| pattern.as_ref().is_some_and(|p| p.is_match(&e.input)))
                    .collect();
                if content["unique"].as_bool().unwrap_or(false) {
                    let mut seen = std::collections::HashSet::new();
                    found.reverse();
                    found.retain(|e| seen.insert(e.input.clone()));
                    found.reverse();
                }
                last(found, n)
            }
            _ => last(self.history.iter().collect(), n.or(Some(10))),
        };
        let entries: Vec<Value> = selected
            .into_iter()
            .map(|e| {
                if output {
                    json!([SESSION_NUMBER, e.line, [e.input, e.output]])
                } else {
                    json!([SESSION_NUMBER, e.line, e.input])
                }
            })
            .collect();
        json!({ "status": "ok", "history": entries })
    }
}

fn last(mut entries: Vec<&Entry>, n: Option<usize>) -> Vec<&Entry> {
    if let Some(n) = n
        && entries.len() > n
    {
        entries.drain(..entries.len() - n);
    }
    entries
}

/// A glob (`*` any text, `?` one character) as a regular expression over the whole input.
fn glob(pattern: &str) -> Option<regex::Regex> {
    let mut re = String::from("(?s)^");
    for c in pattern.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).ok()
}
