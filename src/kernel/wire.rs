//! Reading one Jupyter message off the wire: the frames a socket received are checked (the
//! `<IDS|MSG>` delimiter, the HMAC signature with the session key, a signature not seen
//! before) and parsed (the header as JSON; parent header, metadata and content leniently).
//! What fails is dropped, never executed. Everything here is synchronous and needs no socket,
//! so the fuzz target `kernel_message` drives exactly what the kernel runs on every message.
//!
//! Not here: receiving from sockets and answering (the kernel, [`super`]).

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use jupyter_protocol::{Header, JupyterMessage, UnknownMessage};
use jupyter_zmq_client::RawMessage;
use serde_json::{Value, json};

/// The session key as the kernel's connections hold it: `None` when the connection file has
/// no key (messages are then not signed).
pub type Key = Option<ring::hmac::Key>;

/// The key for a connection file's `key` (HMAC-SHA256; an empty key signs nothing).
pub fn key(key: &str) -> Key {
    (!key.is_empty()).then(|| ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key.as_bytes()))
}

/// How many signatures of messages already received are remembered (ipykernel keeps 2^16).
pub const SIGNATURE_HISTORY: usize = 1 << 16;

/// The signatures of the last [`SIGNATURE_HISTORY`] signed messages, on every channel: a
/// message whose signature is among them is a replay. The oldest is forgotten first.
#[derive(Default)]
struct SeenSignatures {
    order: VecDeque<Bytes>,
    seen: HashSet<Bytes>,
}

impl SeenSignatures {
    /// Remembers `signature`; false when it was already there.
    fn first_time(&mut self, signature: &Bytes) -> bool {
        if !self.seen.insert(signature.clone()) {
            return false;
        }
        self.order.push_back(signature.clone());
        if self.order.len() > SIGNATURE_HISTORY
            && let Some(oldest) = self.order.pop_front()
        {
            self.seen.remove(&oldest);
        }
        true
    }
}

/// The signatures seen so far, shared by every channel of one kernel.
#[derive(Clone, Default)]
pub struct Signatures(Arc<Mutex<SeenSignatures>>);

/// A request as read from a socket: the message (to reply to) and its content as JSON.
pub struct Request {
    pub message: JupyterMessage,
    pub content: Value,
}

impl Request {
    pub fn msg_type(&self) -> &str {
        &self.message.header.msg_type
    }
}

/// Why a message was dropped; the text is what the kernel logs.
#[derive(Debug)]
pub enum Dropped {
    /// No delimiter, too few parts, or a signature that does not match.
    FailedCheck(String),
    /// A signed message whose signature was already received.
    Replayed,
    /// The header is not a Jupyter header.
    UnreadableHeader(String),
}

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dropped::FailedCheck(e) => write!(f, "dropped a message that failed its check: {e}"),
            Dropped::Replayed => f.write_str("dropped a replayed message (duplicate signature)"),
            Dropped::UnreadableHeader(e) => {
                write!(f, "dropped a message with an unreadable header: {e}")
            }
        }
    }
}

/// The signature of a multipart Jupyter message: the frame after the `<IDS|MSG>` delimiter.
fn signature(multipart: &zeromq::ZmqMessage) -> Option<Bytes> {
    let frames: Vec<&Bytes> = multipart.iter().collect();
    let delimiter = frames.iter().position(|f| &f[..] == b"<IDS|MSG>")?;
    frames.get(delimiter + 1).map(|f| (*f).clone())
}

/// Checks and parses the frames of one received message. Messages that are not signed with
/// `key`, are not Jupyter messages at all, or repeat a signed message already received, are
/// refused: they are never executed.
pub fn receive(
    raw: zeromq::ZmqMessage,
    key: &Key,
    signatures: &Signatures,
) -> Result<Request, Dropped> {
    let signature = signature(&raw);
    let raw =
        RawMessage::from_multipart(raw, key).map_err(|e| Dropped::FailedCheck(e.to_string()))?;
    // Only a verified signature is remembered, so forged messages cannot fill the history.
    if key.is_some()
        && let Some(signature) = signature
        && !signatures
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .first_time(&signature)
    {
        return Err(Dropped::Replayed);
    }
    let header: Header = serde_json::from_slice(&raw.jparts[0])
        .map_err(|e| Dropped::UnreadableHeader(e.to_string()))?;
    let content: Value = serde_json::from_slice(&raw.jparts[3]).unwrap_or_else(|_| json!({}));
    let message = JupyterMessage {
        zmq_identities: raw.zmq_identities.clone(),
        parent_header: serde_json::from_slice(&raw.jparts[1]).ok(),
        metadata: serde_json::from_slice(&raw.jparts[2]).unwrap_or_else(|_| json!({})),
        content: UnknownMessage {
            msg_type: header.msg_type.clone(),
            content: content.clone(),
        }
        .into(),
        buffers: raw.jparts[4..].to_vec(),
        header,
        channel: None,
    };
    Ok(Request { message, content })
}
