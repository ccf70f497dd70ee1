//! A Word document turned into a transcript on import: `ingest::convert_to_transcript`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qualkit::ingest;

fuzz_target!(|data: &[u8]| {
    let path = qualkit_fuzz::file("d/x.docx", data);
    let _ = ingest::convert_to_transcript(&path);
});
