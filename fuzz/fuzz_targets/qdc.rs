//! A REFI-QDA codebook imported into a project (`exchange::import`, as `qualkit import x.qdc`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use qualkit::exchange::{self, ImportOptions};

fuzz_target!(|data: &[u8]| {
    let file = qualkit_fuzz::file("q/x.qdc", data);
    let dir = qualkit_fuzz::empty_project(false);
    let options = ImportOptions {
        coder: "fuzz".into(),
        ..Default::default()
    };
    if exchange::import(&dir, &file, &options).is_ok() {
        qualkit_fuzz::empty_project(true);
    }
});
