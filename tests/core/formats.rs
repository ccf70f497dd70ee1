//! Documents as they arrive (captions from video calls, Word transcripts, survey answers in
//! a workbook) and results as colleagues want them (spreadsheets), from the library, the
//! command line and scripts.

use std::io::{Read, Write};
use std::path::Path;

use qualkit::Project;
use qualkit::analysis::segments::SegmentFilter;
use qualkit::analysis::table::{CellValue, Table, Values};
use qualkit::coding::Span;
use qualkit::project::ImportMetadata;
use qualkit::script::{Limits, Session};

use crate::common::{Fixture, qualkit, transcript};

fn magenta() -> ImportMetadata {
    ImportMetadata {
        case: Some("Magenta".into()),
        method: Some("interview".into()),
        ..Default::default()
    }
}

const VTT: &str = "WEBVTT\n\nNOTE exported from a video call\nwith two lines\n\n1\n00:00:01.000 --> 00:00:04.500\n<v Dr Jones>The link worker started in May.</v>\n\n2\n00:00:04.500 --> 00:00:07.000\n<v Dr Jones>We refer <i>a lot</i> now.\n\n3\n00:01:02.250 --> 00:01:05.000 align:start\n<v.loud Sam Reid>Patients ask for her by name.\n";

#[test]
fn webvtt_captions_become_turns_with_speakers_and_times() {
    let fixture = Fixture::new();
    let file = fixture.root().join("call.vtt");
    std::fs::write(&file, VTT).unwrap();
    let written = fixture
        .open()
        .import_documents(&[file], false, &magenta())
        .unwrap();
    assert!(written[0].ends_with("transcripts/call.txt"));
    let mut project = fixture.open();
    let document = project.document("call").unwrap();
    assert_eq!(document.case, "Magenta");
    assert_eq!(
        &*document.text,
        "Dr Jones (00:00:01.000): The link worker started in May. We refer a lot now.\n\nSam Reid (00:01:02.250): Patients ask for her by name.\n"
    );
    let turns: Vec<_> = document
        .turns
        .iter()
        .map(|t| {
            (
                t.speaker.as_deref().unwrap().to_string(),
                t.timestamp.clone().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        turns,
        [
            ("Dr Jones".to_string(), "00:00:01.000".to_string()),
            ("Sam Reid".to_string(), "00:01:02.250".to_string())
        ]
    );
    project
        .code(
            "ak",
            "call",
            "learn",
            &Span::Quote {
                text: "ask for her by name".into(),
                occurrence: None,
            },
        )
        .unwrap();
    let segments = project.segments(&SegmentFilter::default()).unwrap();
    assert_eq!(segments[0].speaker.as_deref(), Some("Sam Reid"));
    assert_eq!(segments[0].timestamp.as_deref(), Some("00:01:02.250"));
}

#[test]
fn subrip_captions_with_names_in_the_text_are_read_too() {
    let fixture = Fixture::new();
    let file = fixture.root().join("meeting.srt");
    std::fs::write(
        &file,
        "\u{feff}1\r\n00:00:01,000 --> 00:00:03,000\r\nAnn Lee: We met on Tuesday.\r\n\r\n2\r\n00:00:03,000 --> 00:00:05,000\r\nand agreed the rota.\r\n\r\n3\r\n00:00:06,000 --> 00:00:08,000\r\nBen Ode: Good.\r\n",
    )
    .unwrap();
    fixture
        .open()
        .import_documents(&[file], false, &magenta())
        .unwrap();
    let project = fixture.open();
    let document = project.document("meeting").unwrap();
    assert_eq!(
        &*document.text,
        "Ann Lee (00:00:01.000): We met on Tuesday. and agreed the rota.\n\nBen Ode (00:00:06.000): Good.\n"
    );
    assert_eq!(document.turns.len(), 2);

    let broken = fixture.root().join("broken.vtt");
    std::fs::write(&broken, "not captions\n").unwrap();
    let error = fixture
        .open()
        .import_documents(&[broken], false, &magenta())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("broken.vtt") && error.contains("WEBVTT"),
        "{error}"
    );
}

/// A cue whose timing line cannot be read is refused naming the file and line, not dropped
/// with its words; an `.srt` written without blank lines keeps its timing lines out of the
/// speech.
#[test]
fn caption_timing_errors_name_the_line_and_run_on_subrip_cues_are_split() {
    let fixture = Fixture::new();
    let run_on = fixture.root().join("run-on.srt");
    std::fs::write(
        &run_on,
        "1\n00:00:01,000 --> 00:00:03,000\nAnn Lee: We met on Tuesday.\n2\n00:00:03,000 --> 00:00:05,000\nBen Ode: Good.\n",
    )
    .unwrap();
    fixture
        .open()
        .import_documents(&[run_on], false, &magenta())
        .unwrap();
    let project = fixture.open();
    assert_eq!(
        &*project.document("run-on").unwrap().text,
        "Ann Lee (00:00:01.000): We met on Tuesday.\n\nBen Ode (00:00:03.000): Good.\n"
    );

    for (name, timing, line) in [
        ("arrow.vtt", "00:00:03.000 -> 00:00:05.000", "line 6"),
        ("clock.vtt", "00:0x:05.000 --> 00:00:07.000", "line 6"),
    ] {
        let bad = fixture.root().join(name);
        std::fs::write(
            &bad,
            format!("WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nAnn Lee: Fine.\n\n{timing}\nBen Ode: Lost?\n"),
        )
        .unwrap();
        let error = fixture
            .open()
            .import_documents(&[bad], false, &magenta())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(name) && error.contains(line) && error.contains("not a cue timing"),
            "{error}"
        );
    }
}

/// issue 20: importing captions without a case, or with one cases.csv does not list, blamed
/// `call.txt:1`, the transcript they would have become; the error names the file given.
#[test]
fn errors_about_converted_captions_name_the_caption_file() {
    let fixture = Fixture::new();
    let file = fixture.root().join("call.vtt");
    std::fs::write(&file, VTT).unwrap();
    let import = |metadata: &ImportMetadata| {
        fixture
            .open()
            .import_documents(std::slice::from_ref(&file), false, metadata)
            .unwrap_err()
            .to_string()
    };
    let error = import(&ImportMetadata::default());
    assert!(
        error.ends_with("call.vtt: no case given: pass --case (and --method, --phase) to say whose conversation it is"),
        "{error}"
    );
    let error = import(&ImportMetadata {
        case: Some("Teal".into()),
        ..Default::default()
    });
    assert!(
        error.ends_with("call.vtt: unknown case `Teal`; cases.csv lists: Cobalt, Magenta")
            || error.ends_with("call.vtt: unknown case `Teal`; cases.csv lists: Magenta, Cobalt"),
        "{error}"
    );
    assert!(!error.contains("call.txt"), "{error}");
    // A transcript given as text keeps its own name and line.
    let text = fixture.root().join("notes.txt");
    std::fs::write(&text, transcript("Teal", &[], "A: hi\n")).unwrap();
    let error = fixture
        .open()
        .import_documents(&[text], false, &ImportMetadata::default())
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("notes.txt:2: unknown case `Teal`"),
        "{error}"
    );
}

fn docx(path: &Path, body: &str) {
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:sectPr/></w:body></w:document>"#
    );
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("[Content_Types].xml", options).unwrap();
    zip.write_all(b"<Types/>").unwrap();
    zip.start_file("word/document.xml", options).unwrap();
    zip.write_all(document.as_bytes()).unwrap();
    zip.finish().unwrap();
}

#[test]
fn word_transcripts_keep_their_paragraphs_and_speaker_turns() {
    let fixture = Fixture::new();
    let file = fixture.root().join("Interview 3.docx");
    docx(
        &file,
        r#"<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>Interviewer:</w:t></w:r><w:r><w:t xml:space="preserve"> How did it go?</w:t></w:r></w:p>
<w:p/>
<w:p><w:r><w:t>Magenta GP: Well.</w:t></w:r><w:r><w:tab/><w:t>Really</w:t><w:br/><w:t>well &amp; quickly.</w:t></w:r><w:del><w:r><w:delText>not shown</w:delText></w:r></w:del></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>table text</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"#,
    );
    fixture
        .open()
        .import_documents(&[file], false, &magenta())
        .unwrap();
    let project = fixture.open();
    let document = project.document("Interview 3").unwrap();
    assert_eq!(
        &*document.text,
        "Interviewer: How did it go?\n\nMagenta GP: Well.\tReally\nwell & quickly.\n"
    );
    let speakers: Vec<_> = document
        .turns
        .iter()
        .filter_map(|t| t.speaker.as_deref())
        .collect();
    assert_eq!(speakers, ["Interviewer", "Magenta GP"]);
    assert_eq!(document.paragraphs().len(), 2);

    let not_word = fixture.root().join("fake.docx");
    std::fs::write(&not_word, b"plain text pretending").unwrap();
    let error = fixture
        .open()
        .import_documents(&[not_word], false, &magenta())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("fake.docx") && error.contains("zip"),
        "{error}"
    );
}

#[test]
fn survey_answers_are_read_from_a_workbook_as_from_csv() {
    let fixture = Fixture::new();
    let file = fixture.root().join("p4-survey.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let header = [
        "id",
        "case",
        "respondent",
        "role",
        "date",
        "years",
        "answer",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2016, 3, 1).unwrap();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (r, (id, case, who, answer)) in [
        ("r1", "Magenta", "Magenta GP", "It works.\nMostly."),
        ("r2", "Cobalt", "Cobalt PM", "Too early to say."),
    ]
    .into_iter()
    .enumerate()
    {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, id).unwrap();
        sheet.write_string(r, 1, case).unwrap();
        sheet.write_string(r, 2, who).unwrap();
        sheet.write_string(r, 3, "GP").unwrap();
        sheet
            .write_datetime_with_format(r, 4, &date, &date_format)
            .unwrap();
        sheet.write_number(r, 5, 12.0).unwrap();
        sheet.write_string(r, 6, answer).unwrap();
    }
    workbook.save(&file).unwrap();
    // The lock file Excel leaves while the workbook is open is no document.
    std::fs::write(fixture.root().join("transcripts/~$p4-survey.xlsx"), b"lock").unwrap();
    fixture
        .open()
        .import_documents(&[file], false, &ImportMetadata::default())
        .unwrap();
    let project = fixture.open();
    let answer = project.document("p4-survey#r1").unwrap();
    assert_eq!(&*answer.text, "It works.\nMostly.");
    assert_eq!(answer.case, "Magenta");
    assert_eq!(answer.date.as_deref(), Some("2016-03-01"));
    assert_eq!(answer.attributes["years"], "12");
    assert_eq!(answer.turns[0].speaker.as_deref(), Some("Magenta GP"));
    assert_eq!(answer.method, "email_survey");
    assert_eq!(project.document("p4-survey#r2").unwrap().case, "Cobalt");
}

/// A workbook written by hand, entry by entry: one sheet called `Answers` with `sheet_data`
/// (the rows of `<sheetData>`), and `shared_strings` when given.
fn handmade_workbook(path: &Path, sheet_data: &str, shared_strings: Option<&str>) {
    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const RELS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
    const DOC: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let mut entries = vec![
        (
            "[Content_Types].xml".to_string(),
            r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string(),
        ),
        (
            "_rels/.rels".to_string(),
            format!(r#"<?xml version="1.0"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
        ),
        (
            "xl/workbook.xml".to_string(),
            format!(r#"<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{DOC}"><sheets><sheet name="Answers" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
        ),
        (
            "xl/_rels/workbook.xml.rels".to_string(),
            format!(
                r#"<?xml version="1.0"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/worksheet" Target="worksheets/sheet1.xml"/>{}</Relationships>"#,
                if shared_strings.is_some() {
                    format!(r#"<Relationship Id="rId2" Type="{DOC}/sharedStrings" Target="sharedStrings.xml"/>"#)
                } else {
                    String::new()
                }
            ),
        ),
        (
            "xl/worksheets/sheet1.xml".to_string(),
            format!(r#"<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>{sheet_data}</sheetData></worksheet>"#),
        ),
    ];
    if let Some(strings) = shared_strings {
        entries.push((
            "xl/sharedStrings.xml".to_string(),
            format!(r#"<?xml version="1.0"?>{strings}"#),
        ));
    }
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, text) in entries {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

fn inline(cell: &str, text: &str) -> String {
    format!(r#"<c r="{cell}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

/// issue 20: a workbook with one cell at XFD1048576 (a dense sheet of 550 GB) or a
/// sharedStrings `uniqueCount` of 4e15 aborted every command once it was in transcripts/,
/// `qualkit info` included. Both are refused naming the file, the sheet and the cell; the
/// other documents are untouched and read again once the file is gone.
#[test]
fn crafted_workbooks_are_refused_naming_the_file_not_allocated() {
    let fixture = Fixture::new();
    let root = fixture.root().to_str().unwrap().to_string();
    let header = format!(
        r#"<row r="1">{}{}</row>"#,
        inline("A1", "case"),
        inline("B1", "answer")
    );
    handmade_workbook(
        &fixture.root().join("transcripts/good.xlsx"),
        &format!(
            r#"{header}<row r="2">{}{}</row>"#,
            inline("A2", "Magenta"),
            inline("B2", "It works.")
        ),
        None,
    );
    fixture.write(
        "interview.txt",
        crate::common::transcript("Cobalt", &[], "A: hello\n"),
    );
    let (ok, out, err) = qualkit(&["info", &root]);
    assert!(ok, "{err}");
    assert!(out.contains("2 documents"), "{out}");

    let far = fixture.root().join("far.xlsx");
    handmade_workbook(
        &far,
        &format!(r#"{header}<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#),
        None,
    );
    let strings = fixture.root().join("strings.xlsx");
    handmade_workbook(
        &strings,
        r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#,
        Some(
            r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="4000000000000000"><si><t>case</t></si></sst>"#,
        ),
    );
    let expected = [
        (&far, "worksheet `Answers`: cell XFD1048576"),
        (
            &strings,
            "`xl/sharedStrings.xml` declares 4000000000000000 shared strings",
        ),
    ];
    for (file, message) in expected {
        let name = file.file_name().unwrap().to_str().unwrap();
        // Imported: refused, and nothing is copied into the project.
        let (ok, _, err) = qualkit(&["import", &root, file.to_str().unwrap()]);
        assert!(!ok);
        assert!(err.contains(name) && err.contains(message), "{err}");
        assert!(!err.contains("memory allocation"), "{err}");
        assert!(!fixture.root().join("transcripts").join(name).exists());
        // Put in transcripts/ by hand: every command says which file, and nothing aborts.
        let placed = fixture.root().join("transcripts").join(name);
        std::fs::copy(file, &placed).unwrap();
        let (ok, _, err) = qualkit(&["info", &root]);
        assert!(!ok);
        assert!(
            err.contains(&format!("transcripts/{name}")) && err.contains(message),
            "{err}"
        );
        std::fs::remove_file(&placed).unwrap();
        let (ok, out, err) = qualkit(&["info", &root]);
        assert!(ok, "{err}");
        assert!(out.contains("2 documents"), "{out}");
    }
    let project = fixture.open();
    assert_eq!(&*project.document("good#1").unwrap().text, "It works.");
}

fn workbook_entry(path: &Path, entry: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    zip.by_name(entry)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn tables_become_workbooks_with_a_styled_header_and_wrapped_text() {
    use calamine::Reader;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("tables.xlsx");
    let quotes = Table::new(vec![
        (
            "case".into(),
            Values::Text(vec![Some("Magenta".into()), Some("Cobalt".into())]),
        ),
        ("codings".into(), Values::Integer(vec![Some(12), None])),
        ("share".into(), Values::Number(vec![Some(0.25), Some(0.5)])),
        (
            "quote".into(),
            Values::Text(vec![Some("“We met.”\n“Weekly.”".into()), None]),
        ),
    ])
    .unwrap();
    let flags = Table::new(vec![("fip".into(), Values::Boolean(vec![Some(true)]))]).unwrap();
    qualkit::exchange::xlsx::write_tables(&path, &[("by case", &quotes), ("by case", &flags)])
        .unwrap();
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
    assert_eq!(workbook.sheet_names(), ["by case", "by case (2)"]);
    let range = workbook.worksheet_range("by case").unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[0], ["case", "codings", "share", "quote"]);
    assert_eq!(rows[1], ["Magenta", "12", "0.25", "“We met.”\n“Weekly.”"]);
    assert_eq!(rows[2], ["Cobalt", "", "0.5", ""]);
    let styles = workbook_entry(&path, "xl/styles.xml");
    assert!(
        styles.contains("<b/>") && styles.contains(r#"wrapText="1""#),
        "{styles}"
    );
    let sheet = workbook_entry(&path, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains(r#"state="frozen""#), "{sheet}");
    assert_eq!(
        quotes.cell(0, "codings").unwrap(),
        CellValue::Integer(12),
        "writing leaves the table as it was"
    );
}

#[test]
fn scripts_export_import_and_write_framework_matrices_to_workbooks() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = copy_of(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("data/deep-end"),
        tmp.path(),
    );
    let target = tmp.path().join("copy");
    let (ok, _, err) = qualkit(&["new", target.to_str().unwrap()]);
    assert!(ok, "{err}");
    let out = tmp.path();
    let script = format!(
        r#"
        let p = project("{sample}");
        let r = p.export_to("{out}/all.qdpx");
        if r.codings_added == 0 {{ throw "nothing exported"; }}
        p.export_to("{out}/codings.csv");
        let m = p.framework(["npt.coherence", "npt.collective-action"], "integration");
        m.to_xlsx("{out}/framework.xlsx");
        m.to_parquet("{out}/framework.parquet");
        let t = m.to_table();
        to_xlsx("{out}/two.xlsx", #{{ "cells": t, "first rows": t.head(3) }});
        t.to_xlsx("{out}/one.xlsx");
        let q = project("{target}");
        q.coder = "importer";
        let report = q.import_from("{out}/all.qdpx");
        print(report.summary);
        q.documents().len()
        "#,
        sample = sample.display(),
        out = out.display(),
        target = target.display(),
    );
    let mut session = Session::new(out, Limits::default());
    let documents = session.eval(&script, "exchange.rhai").unwrap();
    let expected = Project::open(&sample).unwrap();
    assert_eq!(
        documents.as_int().unwrap() as usize,
        expected.documents().len()
    );
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook(out.join("framework.xlsx")).unwrap();
    assert_eq!(workbook.sheet_names(), ["Framework matrix", "cells"]);
    let matrix = workbook.worksheet_range("Framework matrix").unwrap();
    let header: Vec<String> = matrix
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        header,
        ["case", "integration", "Coherence", "Collective action"]
    );
    assert_eq!(matrix.rows().count(), expected.cases.len() + 1);
    assert_eq!(
        Table::read_parquet(&out.join("framework.parquet"))
            .unwrap()
            .rows(),
        expected.cases.len() * 2
    );
    let two: calamine::Xlsx<_> = calamine::open_workbook(out.join("two.xlsx")).unwrap();
    assert_eq!(two.sheet_names(), ["cells", "first rows"]);
    let help = session.help("to_xlsx").unwrap();
    assert!(help.contains("Excel"), "{help}");
}

/// The sample without its store, so opening it does not touch the committed folder.
fn copy_of(sample: &Path, tmp: &Path) -> std::path::PathBuf {
    let to = tmp.join("sample-copy");
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(sample)
        .arg(&to)
        .status()
        .unwrap();
    assert!(status.success());
    let _ = std::fs::remove_dir_all(to.join(".qualkit"));
    to
}
