//! A survey CSV in `transcripts/` (one document per answer): `ingest::read_documents`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qualkit::ingest::{self, SurveyColumns};

fuzz_target!(|data: &[u8]| {
    let path = qualkit_fuzz::file("s/survey.csv", data);
    let root = qualkit_fuzz::scratch();
    if let Ok((documents, _skipped)) = ingest::read_documents(
        root,
        &path,
        qualkit_fuzz::patterns(),
        &SurveyColumns::default(),
    ) {
        for d in documents {
            let _ = (d.word_count(), d.paragraphs());
        }
    }
});
