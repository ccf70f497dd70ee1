//! Jupyter comms as the widget protocol (version 2) uses them: the kernel opens a comm per
//! widget (target `jupyter.widget`) with the widget's whole state, the front end's view
//! sends what the user did as `custom` messages, and the kernel answers with `update`s of
//! the state that changed. Comms the front end opens to other targets are closed at once,
//! as ipykernel does, since the kernel has nothing listening there.

use serde_json::{Map, Value, json};

use crate::script::{WidgetHandle, model_state};

pub const WIDGET_TARGET: &str = "jupyter.widget";
/// The widget message protocol spoken (`metadata.version` of a widget comm).
pub const WIDGET_PROTOCOL: &str = "2.1.0";
pub const WIDGET_VIEW_MIME: &str = "application/vnd.jupyter.widget-view+json";

/// The kernel's open widget comms, oldest first.
#[derive(Default)]
pub struct Comms {
    open: Vec<(String, WidgetHandle)>,
}

/// What a comm message asks of the kernel, and what goes back on iopub.
pub enum Answer {
    /// Nothing to send.
    Nothing,
    /// `comm_msg` with this content.
    Message(Value),
    /// `comm_close` with this content.
    Close(Value),
}

impl Comms {
    /// The comm of a widget already shown, or `None` for a widget to open.
    pub fn find(&self, widget: &WidgetHandle) -> Option<&str> {
        self.open
            .iter()
            .find(|(_, w)| w.same(widget))
            .map(|(id, _)| id.as_str())
    }

    /// Opens a comm for `widget`: the content of the `comm_open` to publish, and its id.
    pub fn open(&mut self, widget: &WidgetHandle) -> (String, Value) {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let state = model_state(&*widget.0.borrow());
        self.open.push((id.clone(), widget.clone()));
        let content = json!({
            "comm_id": id,
            "target_name": WIDGET_TARGET,
            "data": { "state": state, "buffer_paths": [] },
            "metadata": { "version": WIDGET_PROTOCOL },
        });
        (id, content)
    }

    /// The content of a `comm_info_reply`: the open comms, of `target` only when given.
    pub fn info(&self, target: Option<&str>) -> Value {
        let comms: Map<String, Value> = self
            .open
            .iter()
            .filter(|_| target.is_none_or(|t| t == WIDGET_TARGET))
            .map(|(id, _)| (id.clone(), json!({ "target_name": WIDGET_TARGET })))
            .collect();
        json!({ "status": "ok", "comms": comms })
    }

    /// Handles a `comm_open`, `comm_msg` or `comm_close` from the front end.
    pub fn receive(&mut self, msg_type: &str, content: &Value) -> Answer {
        let id = content["comm_id"].as_str().unwrap_or_default().to_string();
        match msg_type {
            "comm_open" => {
                eprintln!(
                    "qualkit kernel: no comm target `{}`; closing comm {id}",
                    content["target_name"].as_str().unwrap_or_default()
                );
                Answer::Close(json!({ "comm_id": id, "data": {} }))
            }
            "comm_close" => {
                self.open.retain(|(open, _)| *open != id);
                Answer::Nothing
            }
            "comm_msg" => {
                let Some((_, widget)) = self.open.iter().find(|(open, _)| *open == id) else {
                    eprintln!("qualkit kernel: a message for comm {id}, which is not open");
                    return Answer::Nothing;
                };
                let data = &content["data"];
                let state = match data["method"].as_str().unwrap_or_default() {
                    "custom" => widget.0.borrow_mut().on_message(&data["content"]),
                    "request_state" => model_state(&*widget.0.borrow()),
                    // The widgets keep their state in the kernel: what a view sets is
                    // replaced by the kernel's answer to the request that follows.
                    "update" => return Answer::Nothing,
                    other => {
                        eprintln!("qualkit kernel: comm {id}: method `{other}` is not supported");
                        return Answer::Nothing;
                    }
                };
                Answer::Message(json!({
                    "comm_id": id,
                    "data": { "method": "update", "state": state, "buffer_paths": [] },
                }))
            }
            _ => Answer::Nothing,
        }
    }
}
