//! A caption file (`.vtt` when it starts with `WEBVTT`, else `.srt`) turned into a transcript
//! on import: `ingest::convert_to_transcript`, then the transcript read back as a document.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qualkit::ingest::{self, SurveyColumns};

fuzz_target!(|data: &[u8]| {
    let name = if data.starts_with(b"WEBVTT") {
        "c/x.vtt"
    } else {
        "c/x.srt"
    };
    let path = qualkit_fuzz::file(name, data);
    if let Ok(text) = ingest::convert_to_transcript(&path) {
        let transcript = qualkit_fuzz::file("c/x.txt", text.as_bytes());
        let root = qualkit_fuzz::scratch();
        let _ = ingest::read_documents(
            root,
            &transcript,
            qualkit_fuzz::patterns(),
            &SurveyColumns::default(),
        );
    }
});
