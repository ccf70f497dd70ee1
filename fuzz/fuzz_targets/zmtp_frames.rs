//! ZMTP 3 bytes as a peer sends them to a kernel socket, through the frame decoder of the
//! vendored zeromq (`ZmqCodec`, with its 64 MiB message cap), in reads of varying size as
//! they arrive from TCP. The first byte sets the read size.
#![no_main]

use asynchronous_codec::Decoder;
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use zeromq::__bench::ZmqCodec;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, data)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let mut codec = ZmqCodec::new();
    let mut buffer = BytesMut::new();
    for read in data.chunks(chunk) {
        buffer.extend_from_slice(read);
        loop {
            match codec.decode(&mut buffer) {
                Ok(Some(_message)) => continue,
                Ok(None) => break,
                // The socket drops the peer on a decode error.
                Err(_) => return,
            }
        }
    }
});
