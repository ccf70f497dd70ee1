//! Serving a kernel: binding the five sockets and answering requests (see [`super`]).

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use jupyter_protocol::{ConnectionInfo, JupyterMessage, UnknownMessage};
use jupyter_zmq_client::{
    Connection, SubscriptionEvent, create_kernel_control_connection,
    create_kernel_heartbeat_connection, create_kernel_iopub_xpub_connection,
    create_kernel_shell_connection, create_kernel_stdin_connection,
};
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedSender;

use crate::error::{Error, Result};
use crate::script::Limits;

use super::PROTOCOL_VERSION;
use super::executor::Executor;
use super::parent;
use super::wire::{self, Request, Signatures};

/// How long a kernel whose client has gone waits for its running cell to stop.
const ORPHAN_GRACE: Duration = Duration::from_secs(5);

pub(super) fn kernel_error(context: &str, e: impl std::fmt::Display) -> Error {
    Error::argument("kernel", format!("{context}: {e}"))
}

/// Runs the kernel for the connection file a Jupyter front end wrote, until shut down; every
/// cell runs within `limits`.
pub fn run(connection_file: &Path, limits: Limits) -> Result<()> {
    let text = crate::support::text::read_text(connection_file)?;
    let info: ConnectionInfo = serde_json::from_str(&text).map_err(|e| Error::Invalid {
        path: connection_file.to_path_buf(),
        message: format!("not a Jupyter connection file: {e}"),
    })?;
    if !info.key.is_empty() && info.signature_scheme != "hmac-sha256" {
        return Err(Error::Invalid {
            path: connection_file.to_path_buf(),
            message: format!(
                "signature scheme `{}` is not supported; use hmac-sha256",
                info.signature_scheme
            ),
        });
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| kernel_error("starting the runtime", e))?;
    runtime.block_on(serve(info, limits))
}

/// A reply or broadcast to `parent`, with `content` exactly as given.
pub(super) fn message(parent: &JupyterMessage, msg_type: &str, content: Value) -> JupyterMessage {
    let mut out = JupyterMessage::new(
        UnknownMessage {
            msg_type: msg_type.to_string(),
            content,
        },
        Some(parent),
    );
    out.header.username = "qualkit".to_string();
    out
}

/// Publishes on iopub: the message goes out under a topic naming the kernel and type.
pub(super) fn publish(iopub: &UnboundedSender<JupyterMessage>, mut message: JupyterMessage) {
    message.zmq_identities = vec![Bytes::from(format!("kernel.{}", message.header.msg_type))];
    // The iopub task only stops when the kernel does.
    let _ = iopub.send(message);
}

fn status(iopub: &UnboundedSender<JupyterMessage>, parent: &JupyterMessage, state: &str) {
    publish(
        iopub,
        message(parent, "status", json!({ "execution_state": state })),
    );
}

/// Reads one request; what [`wire::receive`] refuses is logged and dropped.
async fn read<S: zeromq::SocketRecv>(
    connection: &mut Connection<S>,
    channel: &str,
    signatures: &Signatures,
) -> Option<Request> {
    let raw = match connection.socket.recv().await {
        Ok(raw) => raw,
        Err(e) => {
            eprintln!("qualkit kernel: {channel}: receive failed: {e}");
            tokio::time::sleep(Duration::from_millis(50)).await;
            return None;
        }
    };
    wire::receive(raw, &connection.mac, signatures)
        .inspect_err(|dropped| eprintln!("qualkit kernel: {channel}: {dropped}"))
        .ok()
}

fn kernel_info() -> Value {
    json!({
        "status": "ok",
        "protocol_version": PROTOCOL_VERSION,
        "implementation": "qualkit",
        "implementation_version": env!("CARGO_PKG_VERSION"),
        "language_info": {
            "name": "rhai",
            "version": "1",
            "mimetype": "text/x-rhai",
            "file_extension": ".rhai",
            // Rhai reads like JavaScript: its mode colours backtick templates and `${}` as
            // strings, which the Rust mode does not.
            "pygments_lexer": "javascript",
            "codemirror_mode": "javascript",
            "nbconvert_exporter": "script"
        },
        "banner": format!(
            "qualkit {} (Rhai): scriptable qualitative analysis. help() lists every function by area.",
            env!("CARGO_PKG_VERSION")
        ),
        "help_links": [
            { "text": "Rhai language", "url": "https://rhai.rs/book/" }
        ],
        "debugger": false
    })
}

/// The reply to a shell request, if it has one.
async fn answer(
    request: &Request,
    executor: &Executor,
    shutdown: &UnboundedSender<()>,
) -> Option<(&'static str, Value)> {
    match request.msg_type() {
        "kernel_info_request" => Some(("kernel_info_reply", kernel_info())),
        "execute_request" => Some((
            "execute_reply",
            executor.execute(&request.message, &request.content).await,
        )),
        "complete_request" => Some(("complete_reply", executor.complete(&request.content).await)),
        "inspect_request" => Some(("inspect_reply", executor.inspect(&request.content).await)),
        "is_complete_request" => Some((
            "is_complete_reply",
            executor.is_complete(&request.content).await,
        )),
        "history_request" => Some(("history_reply", executor.history(&request.content).await)),
        "comm_info_request" => Some((
            "comm_info_reply",
            executor.comm_info(&request.content).await,
        )),
        "comm_open" | "comm_msg" | "comm_close" => {
            executor.comm(&request.message, &request.content).await;
            None
        }
        "shutdown_request" => {
            let restart = request.content["restart"].as_bool().unwrap_or(false);
            let _ = shutdown.send(());
            Some((
                "shutdown_reply",
                json!({ "status": "ok", "restart": restart }),
            ))
        }
        other => {
            eprintln!("qualkit kernel: shell: `{other}` is not supported");
            None
        }
    }
}

async fn serve(info: ConnectionInfo, limits: Limits) -> Result<()> {
    let session_id = uuid::Uuid::new_v4().to_string();
    let bind =
        |what: &'static str| move |e: jupyter_zmq_client::RuntimeError| kernel_error(what, e);
    let mut iopub = create_kernel_iopub_xpub_connection(&info, &session_id)
        .await
        .map_err(bind("binding iopub"))?;
    let shell = create_kernel_shell_connection(&info, &session_id)
        .await
        .map_err(bind("binding shell"))?;
    let control = create_kernel_control_connection(&info, &session_id)
        .await
        .map_err(bind("binding control"))?;
    // Nothing reads from stdin (scripts do not ask for input), but clients expect it bound.
    let _stdin = create_kernel_stdin_connection(&info, &session_id)
        .await
        .map_err(bind("binding stdin"))?;
    let mut heartbeat = create_kernel_heartbeat_connection(&info)
        .await
        .map_err(bind("binding heartbeat"))?;

    let (iopub_tx, mut iopub_rx) = tokio::sync::mpsc::unbounded_channel::<JupyterMessage>();
    // iopub is an XPUB socket: it sees subscriptions, and greets each subscriber with
    // `iopub_welcome` (JEP 65) so clients know when broadcasts will reach them.
    let iopub_task = tokio::spawn(async move {
        enum Event {
            Publish(Option<Box<JupyterMessage>>),
            Subscription(jupyter_zmq_client::Result<SubscriptionEvent>),
        }
        loop {
            let event = tokio::select! {
                message = iopub_rx.recv() => Event::Publish(message.map(Box::new)),
                subscription = iopub.recv_subscription() => Event::Subscription(subscription),
            };
            let outgoing = match event {
                Event::Publish(None) => break,
                Event::Publish(Some(message)) => *message,
                Event::Subscription(Ok(SubscriptionEvent::Subscribe(topic))) => {
                    let mut welcome = JupyterMessage::new(
                        UnknownMessage {
                            msg_type: "iopub_welcome".into(),
                            content: json!({ "subscription": topic }),
                        },
                        None,
                    );
                    welcome.zmq_identities = vec![Bytes::from(topic)];
                    welcome
                }
                Event::Subscription(Ok(_)) => continue,
                Event::Subscription(Err(e)) => {
                    eprintln!("qualkit kernel: iopub: {e}");
                    continue;
                }
            };
            if let Err(e) = iopub.send(outgoing).await {
                eprintln!("qualkit kernel: iopub: {e}");
            }
        }
    });
    tokio::spawn(async move {
        loop {
            if let Err(e) = heartbeat.single_heartbeat().await {
                eprintln!("qualkit kernel: heartbeat: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    });

    let executor = Executor::start(iopub_tx.clone(), limits)?;
    let signatures = Signatures::default();
    let (shutdown_tx, mut shutdown_rx) = tokio::sync::mpsc::unbounded_channel::<()>();

    let orphan_interrupt = executor.interrupter();
    let orphan_shutdown = shutdown_tx.clone();
    parent::watch(move |pid| {
        eprintln!(
            "qualkit kernel: the client that started the kernel (process {pid}) has gone; shutting down"
        );
        // A running cell stops at its next step and the kernel shuts down as if asked to; a
        // cell busy outside the script engine gets a few seconds before the process ends.
        orphan_interrupt.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = orphan_shutdown.send(());
        std::thread::sleep(ORPHAN_GRACE);
        eprintln!("qualkit kernel: the running cell did not stop; exiting");
        std::process::exit(1);
    });

    let control_iopub = iopub_tx.clone();
    let interrupt = executor.interrupter();
    let control_shutdown = shutdown_tx.clone();
    let control_signatures = signatures.clone();
    tokio::spawn(async move {
        let (mut send, mut recv) = control.split();
        loop {
            let Some(request) = read(&mut recv, "control", &control_signatures).await else {
                continue;
            };
            status(&control_iopub, &request.message, "busy");
            let reply = match request.msg_type() {
                "kernel_info_request" => Some(("kernel_info_reply", kernel_info())),
                "interrupt_request" => {
                    interrupt.store(true, std::sync::atomic::Ordering::Relaxed);
                    Some(("interrupt_reply", json!({ "status": "ok" })))
                }
                "shutdown_request" => {
                    let restart = request.content["restart"].as_bool().unwrap_or(false);
                    Some((
                        "shutdown_reply",
                        json!({ "status": "ok", "restart": restart }),
                    ))
                }
                other => {
                    eprintln!("qualkit kernel: control: `{other}` is not supported");
                    None
                }
            };
            if let Some((kind, content)) = reply
                && let Err(e) = send.send(message(&request.message, kind, content)).await
            {
                eprintln!("qualkit kernel: control: {e}");
            }
            status(&control_iopub, &request.message, "idle");
            if request.msg_type() == "shutdown_request" {
                let _ = control_shutdown.send(());
            }
        }
    });

    let (mut shell_send, mut shell_recv) = shell.split();
    // Requests already waiting behind a cell that fails with `stop_on_error` (Run All sends
    // every cell at once) are aborted, not run; what the client sends once it has the error
    // runs as usual.
    let mut aborting = false;
    loop {
        let request = if aborting {
            tokio::select! {
                biased;
                request = read(&mut shell_recv, "shell", &signatures) => request,
                _ = std::future::ready(()) => {
                    aborting = false;
                    continue;
                }
            }
        } else {
            tokio::select! {
                request = read(&mut shell_recv, "shell", &signatures) => request,
                _ = shutdown_rx.recv() => break,
            }
        };
        let Some(request) = request else { continue };
        status(&iopub_tx, &request.message, "busy");
        let reply = if aborting && request.msg_type() == "execute_request" {
            Some(("execute_reply", json!({ "status": "aborted" })))
        } else {
            answer(&request, &executor, &shutdown_tx).await
        };
        if let Some((kind, content)) = &reply
            && *kind == "execute_reply"
            && content["status"] == "error"
            && request.content["stop_on_error"].as_bool().unwrap_or(true)
            && !request.content["silent"].as_bool().unwrap_or(false)
        {
            aborting = true;
        }
        if let Some((kind, content)) = reply
            && let Err(e) = shell_send
                .send(message(&request.message, kind, content))
                .await
        {
            eprintln!("qualkit kernel: shell: {e}");
        }
        status(&iopub_tx, &request.message, "idle");
    }
    // Let iopub deliver the last status messages before the process ends.
    drop(iopub_tx);
    drop(executor);
    let _ = tokio::time::timeout(Duration::from_millis(500), iopub_task).await;
    Ok(())
}
