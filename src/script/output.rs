//! Where a session's output goes: the terminal for `qualkit run` and the REPL, iopub
//! messages for the Jupyter kernel. A value shows as a bundle of forms (plain text, HTML,
//! SVG, a live widget) and each front end shows the richest it can.
//!
//! Widgets follow the Jupyter widget protocol 2, with anywidget as the front end that runs a
//! widget's own ES module. A widget owns its state; the kernel carries it to the front end over
//! a comm and brings back what the user did. Front ends without widgets, and the terminal,
//! show [`Widget::fallback`] instead.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::{Map, Value, json};

/// Something a running script shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// `print`.
    Stdout(String),
    /// `debug`, and warnings.
    Stderr(String),
    /// `display(value)`: a value shown in its richest form.
    Display(MimeBundle),
    /// `clear_output()`: clears what the cell showed so far (for progress in long cells).
    Clear { wait: bool },
    /// `page(text)`: long text for a notebook's pager.
    Page(String),
}

/// A value's forms: always plain text, and HTML or SVG for values that have them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MimeBundle {
    pub text: String,
    pub html: Option<String>,
    pub svg: Option<String>,
    /// A live widget, for front ends that have them (the others show `text` and `html`).
    pub widget: Option<WidgetHandle>,
}

/// Receives everything a session shows.
pub type OutputSink = Rc<dyn Fn(Output)>;

/// Prints to the terminal: text forms only.
pub fn terminal_sink() -> OutputSink {
    Rc::new(|output| match output {
        Output::Stdout(text) => println!("{text}"),
        Output::Stderr(text) => eprintln!("{text}"),
        Output::Display(bundle) => println!("{}", bundle.text),
        Output::Clear { .. } => {}
        Output::Page(text) => println!("{text}"),
    })
}

/// The version range of anywidget's front end the widgets are written for (its module API
/// has been stable since 0.9).
pub const ANYWIDGET_VERSION: &str = ">=0.9.0";

pub trait Widget {
    /// The state the front end's model starts from: the widget's ES module (`_esm`), its
    /// style sheet (`_css`) and its own fields; [`model_state`] adds anywidget's names.
    fn state(&self) -> Map<String, Value>;
    /// What a front end without widgets shows, saying why it is not the widget.
    fn fallback(&self) -> MimeBundle;
    /// A message from the front end (anywidget's `model.send`): does what it asks and
    /// returns the state that changed, for the front end.
    fn on_message(&mut self, content: &Value) -> Map<String, Value>;
}

/// A widget shared between the value a script holds and the kernel's open comm.
#[derive(Clone)]
pub struct WidgetHandle(pub Rc<RefCell<dyn Widget>>);

impl WidgetHandle {
    pub fn same(&self, other: &WidgetHandle) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for WidgetHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WidgetHandle")
    }
}

impl PartialEq for WidgetHandle {
    fn eq(&self, other: &WidgetHandle) -> bool {
        self.same(other)
    }
}

/// A widget's full model state: anywidget's model and view names, then the widget's own.
pub fn model_state(widget: &dyn Widget) -> Map<String, Value> {
    let mut state = match json!({
        "_model_name": "AnyModel",
        "_model_module": "anywidget",
        "_model_module_version": ANYWIDGET_VERSION,
        "_view_name": "AnyView",
        "_view_module": "anywidget",
        "_view_module_version": ANYWIDGET_VERSION,
        "_view_count": null,
        "_dom_classes": [],
        "tabbable": null,
        "tooltip": null,
    }) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    state.extend(widget.state());
    state
}
