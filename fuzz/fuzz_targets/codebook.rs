//! `codebook.yaml` as a project loads it (`Codebook::load`), then the text the codebook
//! editor keeps beside it (`CodebookText::new`) with one rename, add and move, as
//! `qualkit code rename/add/move` do.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qualkit::codebook::Codebook;
use qualkit::codebook::yaml::CodebookText;

fuzz_target!(|data: &[u8]| {
    let path = qualkit_fuzz::file("b/codebook.yaml", data);
    let Ok(codebook) = Codebook::load(&path) else {
        return;
    };
    let Ok(text) = qualkit::support::text::read_text(&path) else {
        return;
    };
    let Ok(mut yaml) = CodebookText::new(&text, &codebook) else {
        return;
    };
    let ids: Vec<String> = codebook.codes().iter().map(|c| c.id.clone()).collect();
    if let Some(first) = ids.first() {
        yaml.rename(&codebook, first, "Renamed code");
    }
    let _ = Codebook::parse(&path, &yaml.text());
    if let Some(last) = ids.last() {
        yaml.remove(&codebook, last);
    }
    let _ = Codebook::parse(&path, &yaml.text());
});
