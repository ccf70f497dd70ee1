//! The frames of one Jupyter message as a kernel socket received them, checked and parsed by
//! `kernel::wire::receive` (delimiter, HMAC signature, replay, header JSON, content), exactly
//! as the kernel does for every message on every channel.
//!
//! Input: one mode byte, then the frames separated by NUL bytes. Mode bit 0: the session has
//! a key; bit 1: the harness signs the message with it (so that inputs reach the parsing past
//! the signature check). A message accepted with a key must be refused when sent again.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use qualkit::kernel::wire::{self, Dropped, Signatures};

const KEY: &str = "a0436f6c-1916-498b-8eb9-e81ab9368e84";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    let key = wire::key(if mode & 1 == 1 { KEY } else { "" });
    let mut frames: Vec<Bytes> = data
        .split(|&b| b == 0)
        .map(Bytes::copy_from_slice)
        .collect();
    if mode & 2 == 2
        && let Some(delimiter) = frames.iter().position(|f| &f[..] == b"<IDS|MSG>")
        && frames.len() >= delimiter + 6
    {
        let signing = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, KEY.as_bytes());
        let mut context = ring::hmac::Context::with_key(&signing);
        for part in &frames[delimiter + 2..delimiter + 6] {
            context.update(part);
        }
        let tag = context.sign();
        let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        frames[delimiter + 1] = Bytes::from(hex);
    }
    let Ok(message) = zeromq::ZmqMessage::try_from(frames) else {
        return;
    };
    let signatures = Signatures::default();
    let first = wire::receive(message.clone(), &key, &signatures);
    if let Ok(request) = &first {
        let _ = request.msg_type();
    }
    let again = wire::receive(message, &key, &signatures);
    if key.is_some() && first.is_ok() {
        assert!(
            matches!(again, Err(Dropped::Replayed)),
            "a replayed message was accepted"
        );
    }
});
