//! A survey workbook in `transcripts/` (one document per answer): `ingest::read_documents`,
//! which reads the first sheet with calamine.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qualkit::ingest::{self, SurveyColumns};

fuzz_target!(|data: &[u8]| {
    let path = qualkit_fuzz::file("x/survey.xlsx", data);
    let root = qualkit_fuzz::scratch();
    let _ = ingest::read_documents(
        root,
        &path,
        qualkit_fuzz::patterns(),
        &SurveyColumns::default(),
    );
});
