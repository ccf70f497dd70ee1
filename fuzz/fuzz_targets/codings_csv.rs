//! A codings CSV imported into the sample project (`Project::import_codings`, as
//! `qualkit import-codings`): rows name documents and codes of `data/deep-end`.
#![no_main]

use std::sync::Mutex;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use qualkit::Project;

fn project() -> &'static Mutex<Project> {
    static PROJECT: OnceLock<Mutex<Project>> = OnceLock::new();
    PROJECT.get_or_init(|| {
        Mutex::new(Project::open(qualkit_fuzz::sample_project()).expect("the sample project opens"))
    })
}

fuzz_target!(|data: &[u8]| {
    let path = qualkit_fuzz::file("k/codings.csv", data);
    let mut project = project().lock().unwrap_or_else(|p| p.into_inner());
    let _ = project.import_codings(&path, Some("fuzz"));
});
