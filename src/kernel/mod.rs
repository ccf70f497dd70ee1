//! The Jupyter kernel: qualkit's Rhai in notebooks, over the Jupyter messaging protocol
//! (v5.3) on ZeroMQ. Sockets and message signing come from `jupyter-zmq-client`; message
//! contents are read leniently as JSON (clients differ in which optional fields they send)
//! and written as JSON built here, so that no optional field goes out as `null`.
//!
//! A signed message is executed at most once: the signatures of the last
//! [`SIGNATURE_HISTORY`] messages are kept ([`wire`]) and a repeat is dropped, as ipykernel does, so a
//! message captured on the wire cannot be replayed.
//!
//! The kernel ends when the client that started it has gone ([`parent`]).
//!
//! Values that are widgets (`p.annotate`) open a comm to the front end ([`comms`]); what the
//! user does there comes back as comm messages on the shell channel.
//!
//! Shell requests run one at a time, each wrapped in busy/idle on iopub; after a cell fails
//! with `stop_on_error`, the execute requests already queued behind it are aborted. The Rhai session
//! lives on its own thread ([`executor`]); the control channel stays responsive while a cell
//! runs, so an interrupt stops the cell and keeps the session's variables.

#[cfg(feature = "kernel")]
mod comms;
#[cfg(feature = "kernel")]
mod executor;
#[cfg(feature = "kernel")]
pub mod install;
#[cfg(feature = "kernel")]
mod parent;
#[cfg(feature = "kernel")]
mod serve;
pub mod wire;

#[cfg(feature = "kernel")]
pub use serve::run;
pub use wire::SIGNATURE_HISTORY;

pub const PROTOCOL_VERSION: &str = "5.3";
