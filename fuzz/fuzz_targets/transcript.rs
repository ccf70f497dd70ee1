//! A transcript (`.txt`/`.md`, front matter and speaker turns) as the project reads it:
//! `ingest::read_documents`, then the positions queries use.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qualkit::ingest::{self, SurveyColumns};

fuzz_target!(|data: &[u8]| {
    let name = if data.first() == Some(&b'#') {
        "t/x.md"
    } else {
        "t/x.txt"
    };
    let path = qualkit_fuzz::file(name, data);
    let root = qualkit_fuzz::scratch();
    let patterns = qualkit_fuzz::patterns();
    if let Ok((documents, _skipped)) =
        ingest::read_documents(root, &path, patterns, &SurveyColumns::default())
    {
        for d in documents {
            let n = d.len_chars();
            let _ = (
                d.paragraphs(),
                d.word_count(),
                d.words_in(n / 3, n),
                d.line_of(n),
            );
            let _ = (d.turn_at(n / 2), d.slice(n / 4, n / 2), d.byte_of(n));
        }
    }
});
