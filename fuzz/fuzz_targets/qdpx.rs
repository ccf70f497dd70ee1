//! A REFI-QDA project imported into an empty project (`exchange::import`, as
//! `qualkit import x.qdpx`): the zip archive, the `.qde` XML, sources and codings.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qualkit::exchange::{self, ImportOptions};

fuzz_target!(|data: &[u8]| {
    let file = qualkit_fuzz::file("q/x.qdpx", data);
    let dir = qualkit_fuzz::empty_project(false);
    let options = ImportOptions {
        coder: "fuzz".into(),
        ..Default::default()
    };
    if exchange::import(&dir, &file, &options).is_ok() {
        // The next input starts from an empty project again.
        qualkit_fuzz::empty_project(true);
    }
});
