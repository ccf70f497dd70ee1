//! Reading transcripts and survey answers: formats, speaker patterns, positions, bad input.

use qualkit::coding::Span;

use crate::common::{Fixture, transcript};

fn turns(doc: &qualkit::ingest::Document) -> Vec<(String, String, String)> {
    doc.turns
        .iter()
        .map(|t| {
            (
                t.speaker.as_deref().unwrap_or_default().to_string(),
                t.role.as_deref().unwrap_or_default().to_string(),
                doc.slice(t.start, t.end).unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn colon_labels_make_turns_with_roles_and_continuation_paragraphs() {
    let f = Fixture::new();
    f.write(
        "m1.txt",
        transcript(
            "Magenta",
            &[("Interviewer", "researcher"), ("Dr Reid", "GP")],
            "Interviewer: What changed?\n\nDr Reid: We meet every week now.\n\nIt took a year.\nInterviewer: Thanks.\n",
        ),
    );
    let p = f.open();
    let doc = p.document("m1").unwrap();
    assert_eq!(
        turns(doc),
        vec![
            (
                "Interviewer".into(),
                "researcher".into(),
                "What changed?".into()
            ),
            (
                "Dr Reid".into(),
                "GP".into(),
                "We meet every week now.\n\nIt took a year.".into()
            ),
            ("Interviewer".into(), "researcher".into(), "Thanks.".into()),
        ]
    );
}

#[test]
fn bracket_and_timestamp_labels_are_recognised() {
    let f = Fixture::new();
    f.write(
        "b.md",
        transcript(
            "Cobalt",
            &[("Facilitator", "researcher"), ("Sam", "CLP")],
            "# Focus group\n\n[Facilitator] Hello all.\n[Sam] Hi.\n[laughter] we all laughed\n",
        ),
    );
    f.write(
        "t.txt",
        transcript(
            "Cobalt",
            &[("Interviewer", "researcher"), ("Dr Ali", "GP")],
            "Interviewer (00:00:05): First question.\nDr Ali (00:01:10): Long answer here.\n",
        ),
    );
    let p = f.open();
    let b = p.document("b").unwrap();
    assert_eq!(
        turns(b),
        vec![
            (
                "Facilitator".into(),
                "researcher".into(),
                "Hello all.".into()
            ),
            (
                "Sam".into(),
                "CLP".into(),
                "Hi.\n[laughter] we all laughed".into()
            ),
        ]
    );
    assert!(
        b.warnings.iter().any(|w| w.contains("laughter")),
        "{:?}",
        b.warnings
    );
    let t = p.document("t").unwrap();
    assert_eq!(
        turns(t)[1],
        ("Dr Ali".into(), "GP".into(), "Long answer here.".into())
    );
    assert_eq!(t.turns[1].timestamp.as_deref(), Some("00:01:10"));
}

/// issue 14: one custom pattern in qualkit.toml replaced all the defaults (and so dropped
/// caption timestamps); now custom patterns come first and the defaults stay.
#[test]
fn a_configured_speaker_pattern_adds_to_the_defaults() {
    let f = Fixture::new();
    std::fs::write(
        f.root().join("qualkit.toml"),
        "name = \"x\"\n[speakers]\npatterns = ['^(?P<speaker>[A-Z]+)> ']\n",
    )
    .unwrap();
    f.write(
        "c.txt",
        transcript(
            "Magenta",
            &[],
            "GP> one\nCLP> two\nNurse: three\nSam Reid (00:00:01.500): four\n",
        ),
    );
    let p = f.open();
    let doc = p.document("c").unwrap();
    assert_eq!(
        turns(doc),
        vec![
            ("GP".into(), "".into(), "one".into()),
            ("CLP".into(), "".into(), "two".into()),
            ("Nurse".into(), "".into(), "three".into()),
            ("Sam Reid".into(), "".into(), "four".into()),
        ]
    );
    assert_eq!(doc.turns[3].timestamp.as_deref(), Some("00:00:01.500"));
}

#[test]
fn replace_default_patterns_uses_only_the_configured_ones() {
    let f = Fixture::new();
    std::fs::write(
        f.root().join("qualkit.toml"),
        "name = \"x\"\n[speakers]\npatterns = ['^(?P<speaker>[A-Z]+)> ']\nreplace_default_patterns = true\n",
    )
    .unwrap();
    f.write(
        "c.txt",
        transcript("Magenta", &[], "GP> one\nCLP> two\nNot: a label\n"),
    );
    let p = f.open();
    let doc = p.document("c").unwrap();
    assert_eq!(
        turns(doc),
        vec![
            ("GP".into(), "".into(), "one".into()),
            ("CLP".into(), "".into(), "two\nNot: a label".into())
        ]
    );
}

/// A custom pattern without a `time` group, matching a converted caption's label whole,
/// still keeps the timestamp apart from the speaker.
#[test]
fn a_custom_pattern_without_a_time_group_keeps_caption_timestamps() {
    let f = Fixture::new();
    std::fs::write(
        f.root().join("qualkit.toml"),
        "name = \"x\"\n[speakers]\npatterns = ['^(?P<speaker>[^:]{1,40}):[ ]']\n",
    )
    .unwrap();
    f.write(
        "cap.txt",
        transcript(
            "Magenta",
            &[],
            "Jo Bell (00:00:02.000): Hello.\n[00:00:09] Kim: Hi.\n",
        ),
    );
    let p = f.open();
    let doc = p.document("cap").unwrap();
    let found: Vec<(String, Option<String>)> = doc
        .turns
        .iter()
        .map(|t| {
            (
                t.speaker.as_deref().unwrap().to_string(),
                t.timestamp.clone(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("Jo Bell".into(), Some("00:00:02.000".into())),
            ("Kim".into(), Some("00:00:09".into())),
        ]
    );
}

/// issue 14: `[00:01:12] Practice Manager:` was not a label by default, and joint labels
/// were merged into the turn before even when their speakers were listed.
#[test]
fn timestamp_first_labels_and_joint_labels_start_turns() {
    let f = Fixture::new();
    f.write(
        "j.txt",
        transcript(
            "Magenta",
            &[
                ("Facilitator", "researcher"),
                ("Practice Manager", "PM"),
                ("Interviewee 1", "GP"),
                ("Interviewee 2", "nurse"),
            ],
            "[00:00:05] Facilitator: Shall we start?\n\
             [00:01:12] Practice Manager: Yes, go ahead.\n\
             00:01:30 Interviewee 1: I will.\n\
             Interviewee 1 & Interviewee 2: Both of us.\n\
             Interviewee 1 and Interviewee 2: Again.\n\
             Interviewee 2/Interviewee 1: Once more.\n\
             Interviewee 1 & Somebody Else: Not a joint turn.\n",
        ),
    );
    let p = f.open();
    let doc = p.document("j").unwrap();
    let joint = "Interviewee 1 & Interviewee 2";
    assert_eq!(
        turns(doc),
        vec![
            (
                "Facilitator".into(),
                "researcher".into(),
                "Shall we start?".into()
            ),
            (
                "Practice Manager".into(),
                "PM".into(),
                "Yes, go ahead.".into()
            ),
            ("Interviewee 1".into(), "GP".into(), "I will.".into()),
            (joint.into(), "GP & nurse".into(), "Both of us.".into()),
            (joint.into(), "GP & nurse".into(), "Again.".into()),
            (
                "Interviewee 2 & Interviewee 1".into(),
                "nurse & GP".into(),
                "Once more.\nInterviewee 1 & Somebody Else: Not a joint turn.".into()
            ),
        ]
    );
    let times: Vec<Option<&str>> = doc.turns.iter().map(|t| t.timestamp.as_deref()).collect();
    assert_eq!(
        times,
        vec![
            Some("00:00:05"),
            Some("00:01:12"),
            Some("00:01:30"),
            None,
            None,
            None
        ]
    );
    assert!(
        doc.warnings
            .iter()
            .any(|w| w.contains("Interviewee 1 & Somebody Else")),
        "{:?}",
        doc.warnings
    );
}

#[test]
fn a_speaker_pattern_without_a_speaker_group_is_refused() {
    let f = Fixture::new();
    std::fs::write(
        f.root().join("qualkit.toml"),
        "name = \"x\"\n[speakers]\npatterns = ['^(\\w+):']\n",
    )
    .unwrap();
    let err = qualkit::Project::open(f.root()).err().unwrap();
    assert!(
        err.to_string()
            .ends_with("qualkit.toml: line 3: speaker pattern 1 `^(\\w+):`: a speaker pattern needs a named group `(?P<speaker>...)`"),
        "{err}"
    );
}

/// issue 20: a speaker pattern that does not compile said `error parsing pattern 0`, naming
/// neither qualkit.toml nor the pattern's line.
#[test]
fn a_broken_speaker_pattern_names_qualkit_toml_its_line_and_what_is_wrong() {
    let f = Fixture::new();
    std::fs::write(
        f.root().join("qualkit.toml"),
        "name = \"x\"\n\n[speakers]\npatterns = [\n  '^(?P<speaker>[A-Z][a-z]+):',\n  '^(?P<speaker>[A-Z',\n]\n",
    )
    .unwrap();
    let err = qualkit::Project::open(f.root()).err().unwrap().to_string();
    assert!(
        err.ends_with(
            "qualkit.toml: line 6: speaker pattern 2 `^(?P<speaker>[A-Z`: unclosed character class"
        ),
        "{err}"
    );
}

/// issue 20: errors in what codebook.yaml means (a repeated id, a colour, a `/` in a name,
/// codes nested too deep) named the file but no line; they name the code's line now, and a
/// repeated id or path also the line of the code it repeats.
#[test]
fn codebook_errors_name_the_line_of_the_code() {
    let cases = [
        (
            "# our codes\ncodes:\n  - id: a\n    name: A\n    children:\n      - id: b\n        name: B\n  - id: c\n    name: C\n    children:\n      - name: D\n        id: b\n",
            "line 11: code id `b` is used twice: by `A/B` and by `C/D`; `A/B` is on line 6",
        ),
        (
            "codes:\n  - name: First\n  - name: Second\n    color: '#12'\n",
            "line 3: code `Second`: color `#12` is not of the form #rrggbb",
        ),
        (
            "codes:\n  - id: a\n    name: A\n    children: [{id: x, name: ok}, {id: y, name: 'X/Y'}]\n",
            "line 4: code name `X/Y` under `A` must be non-empty and contain no `/`",
        ),
        (
            "codes:\n  - id: a\n    name: A\n  - id: b\n    name: a\n",
            "line 4: two codes share the path `a`; sibling codes need different names; `A` is on line 2",
        ),
        (
            "codes:\n  - name: Same\n  - name: Other\n  - name: same\n",
            "line 4: code id `same` is used twice: by `Same` and by `same`; `Same` is on line 2",
        ),
    ];
    for (yaml, expected) in cases {
        let f = Fixture::new();
        std::fs::write(f.root().join("codebook.yaml"), yaml).unwrap();
        let err = qualkit::Project::open(f.root()).err().unwrap().to_string();
        assert!(
            err.ends_with(&format!("codebook.yaml: {expected}")),
            "{err}"
        );
    }
    // 51 levels: the deepest code is refused at its line; 50 are read.
    let nested = |levels: usize| {
        let mut yaml = String::from("codes:\n");
        for level in 0..levels {
            let indent = "    ".repeat(level);
            yaml.push_str(&format!("{indent}  - name: L{level}\n"));
            if level + 1 < levels {
                yaml.push_str(&format!("{indent}    children:\n"));
            }
        }
        yaml
    };
    let f = Fixture::new();
    std::fs::write(f.root().join("codebook.yaml"), nested(51)).unwrap();
    let err = qualkit::Project::open(f.root()).err().unwrap().to_string();
    assert!(err.contains("codebook.yaml: line 102: code `L50`"), "{err}");
    assert!(
        err.ends_with("is nested 51 levels deep; a codebook holds at most 50"),
        "{err}"
    );
    std::fs::write(f.root().join("codebook.yaml"), nested(50)).unwrap();
    assert_eq!(f.open().codebook.codes().len(), 50);
}

#[test]
fn non_ascii_positions_are_code_points_and_round_trip() {
    let f = Fixture::new();
    let body =
        "Zoë: Café 😀 social prescribing — 社会処方 works.\nSiobhán: Yes – “shared learning”.\n";
    f.write(
        "u.txt",
        transcript("Magenta", &[("Zoë", "GP"), ("Siobhán", "CLP")], body),
    );
    let mut p = f.open();
    let doc = p.document("u").unwrap();
    let text = doc.text.clone();
    let chars: Vec<char> = text.chars().collect();
    for quote in ["😀 social", "社会処方", "“shared learning”", "Café"] {
        let coding = p
            .code(
                "ak",
                "u",
                "learn",
                &Span::Quote {
                    text: quote.into(),
                    occurrence: None,
                },
            )
            .unwrap();
        let by_chars: String = chars[coding.start..coding.end].iter().collect();
        assert_eq!(by_chars, quote, "positions count code points");
        // The same offsets, given back, address the same text.
        let again = p
            .document("u")
            .unwrap()
            .slice(coding.start, coding.end)
            .unwrap();
        assert_eq!(again, quote);
    }
    let emoji_at = chars.iter().position(|&c| c == '😀').unwrap();
    let coding = p
        .code(
            "rb",
            "u",
            "learn",
            &Span::Offsets {
                start: emoji_at,
                end: emoji_at + 1,
            },
        )
        .unwrap();
    assert_eq!(
        p.document("u").unwrap().slice(coding.start, coding.end),
        Some("😀")
    );
}

#[test]
fn crlf_and_bom_are_normalised_before_positions_are_counted() {
    let f = Fixture::new();
    let lf = transcript(
        "Magenta",
        &[("A", "GP"), ("B", "CLP")],
        "A: first line\nB: second line\n",
    );
    let crlf = format!("\u{feff}{}", lf.replace('\n', "\r\n"));
    f.write("lf.txt", &lf);
    f.write("crlf.txt", crlf.as_bytes());
    let mut p = f.open();
    assert_eq!(
        p.document("lf").unwrap().text,
        p.document("crlf").unwrap().text
    );
    assert!(!p.document("crlf").unwrap().text.contains('\r'));
    let a = p
        .code(
            "ak",
            "lf",
            "learn",
            &Span::Quote {
                text: "second line".into(),
                occurrence: None,
            },
        )
        .unwrap();
    let b = p
        .code(
            "ak",
            "crlf",
            "learn",
            &Span::Quote {
                text: "second line".into(),
                occurrence: None,
            },
        )
        .unwrap();
    assert_eq!((a.start, a.end), (b.start, b.end));
    assert_eq!(turns(p.document("crlf").unwrap())[1].1, "CLP");
}

#[test]
fn survey_answers_become_one_document_each_with_attributes() {
    let f = Fixture::new();
    f.write(
        "survey.csv",
        "id,case,respondent,role,phase,question,answer,site_code\n\
         a1,Magenta,Magenta PM,PM,P2,What helped?,\"Team meetings, mostly.\nAnd the CLP.\",M\n\
         a2,Cobalt,Cobalt GP,GP,P2,What helped?,Not much.,C\n",
    );
    let p = f.open();
    let a1 = p.document("survey#a1").unwrap();
    assert_eq!(&*a1.text, "Team meetings, mostly.\nAnd the CLP.");
    assert_eq!(a1.case, "Magenta");
    assert_eq!(a1.method, "email_survey");
    assert_eq!(
        a1.attributes.get("question").map(String::as_str),
        Some("What helped?")
    );
    assert_eq!(
        a1.attributes.get("site_code").map(String::as_str),
        Some("M")
    );
    assert_eq!(
        turns(a1),
        vec![("Magenta PM".into(), "PM".into(), a1.text.to_string())]
    );
    assert_eq!(
        p.document("survey#a2").unwrap().turns[0].role.as_deref(),
        Some("GP")
    );
}

fn open_error(f: &Fixture) -> String {
    qualkit::Project::open(f.root())
        .err()
        .expect("opening fails")
        .to_string()
}

#[test]
fn invalid_utf8_names_file_line_and_column() {
    let f = Fixture::new();
    let mut bytes = transcript("Magenta", &[], "A: fine\nB: caf").into_bytes();
    bytes.extend([0xff, 0xfe]);
    bytes.extend(b"\n");
    f.write("bad.txt", bytes);
    let msg = open_error(&f);
    assert!(msg.contains("bad.txt:9:7: invalid UTF-8"), "{msg}");
}

#[test]
fn bad_front_matter_names_the_line() {
    let f = Fixture::new();
    f.write(
        "fm.txt",
        "---\ncase: Magenta\nparticipants: [unclosed\n---\nA: hi\n",
    );
    let msg = open_error(&f);
    assert!(
        msg.contains("fm.txt:") && msg.contains("front matter"),
        "{msg}"
    );
    let f = Fixture::new();
    f.write("open.txt", "---\ncase: Magenta\nA: hi\n");
    assert!(open_error(&f).contains("no closing `---`"));
}

#[test]
fn an_unknown_case_is_named_with_the_known_ones() {
    let f = Fixture::new();
    f.write("x.txt", transcript("Magneta", &[], "A: hi\n"));
    let msg = open_error(&f);
    assert!(msg.contains("x.txt:2: unknown case `Magneta`"), "{msg}");
    assert!(msg.contains("Magenta, Cobalt"), "{msg}");
}

#[test]
fn a_document_without_front_matter_says_it_needs_a_case() {
    let f = Fixture::new();
    f.write("plain.txt", "A: hi\n");
    assert!(open_error(&f).contains("no `case:` given"));
}

#[test]
fn a_survey_missing_a_column_names_it_and_the_header() {
    let f = Fixture::new();
    f.write("s.csv", "id,case,response\n1,Magenta,hello\n");
    let msg = open_error(&f);
    assert!(msg.contains("s.csv: missing column `answer`"), "{msg}");
    assert!(msg.contains("id, case, response"), "{msg}");
}

#[test]
fn a_survey_row_with_an_unknown_case_or_short_row_names_its_line() {
    let f = Fixture::new();
    f.write("s.csv", "id,case,answer\n1,Magenta,ok\n2,Nowhere,hmm\n");
    assert!(open_error(&f).contains("s.csv:3: unknown case `Nowhere`"));
    let f = Fixture::new();
    f.write("s.csv", "id,case,answer\n1,Magenta,ok\n2,Magenta\n");
    let msg = open_error(&f);
    assert!(
        msg.contains("s.csv:3:") && msg.contains("2 fields"),
        "{msg}"
    );
}

/// issue 14: a survey row without a case said `front matter: no case` at line 1.
#[test]
fn a_survey_row_without_a_case_names_the_file_line_and_column() {
    let f = Fixture::new();
    f.write(
        "s.csv",
        "id,case,answer\n1,Magenta,ok\n2,\"  \",We met weekly.\n",
    );
    assert_eq!(
        open_error(&f),
        "transcripts/s.csv:3: this answer has no case: column 2 (`case`) is empty"
    );
}

/// issue 14: empty answers and non-answers became documents.
#[test]
fn empty_answers_and_non_answers_are_skipped_and_counted() {
    let f = Fixture::new();
    f.write(
        "s.csv",
        "id,case,answer\n1,Magenta,The CLP helped.\n2,Magenta,\n3,Cobalt,N/A\n4,,Did not answer\n5,Cobalt,  -  \n6,Cobalt,None at all.\n",
    );
    let p = f.open();
    let ids: Vec<&str> = p.documents().iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, vec!["s#1", "s#6"]);
    let skipped = p.skipped_answers();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].0, std::path::Path::new("transcripts/s.csv"));
    let lines: Vec<(u64, &str)> = skipped[0]
        .1
        .iter()
        .map(|r| (r.line, r.reason.as_str()))
        .collect();
    assert_eq!(
        lines,
        vec![
            (3, "empty answer"),
            (4, "non-answer \"N/A\""),
            (5, "non-answer \"Did not answer\""),
            (6, "non-answer \"-\""),
        ]
    );
    let summary = p.summary().unwrap().to_string();
    assert!(
        summary.contains("transcripts/s.csv: 4 rows not read as answers: 1 × empty answer, 1 × non-answer \"N/A\""),
        "{summary}"
    );

    // Non-answers are configurable (the list replaces the default one; a row that is not
    // skipped needs its case), and an option keeps them all.
    std::fs::write(
        f.root().join("qualkit.toml"),
        "name = \"x\"\n[survey]\nnon_answers = [\"none at all.\"]\n",
    )
    .unwrap();
    assert_eq!(
        open_error(&f),
        "transcripts/s.csv:5: this answer has no case: column 2 (`case`) is empty"
    );
    f.write(
        "s.csv",
        "id,case,answer\n1,Magenta,The CLP helped.\n2,Magenta,\n3,Cobalt,N/A\n5,Cobalt,  -  \n6,Cobalt,None at all.\n",
    );
    let p = f.open();
    let ids: Vec<&str> = p.documents().iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, vec!["s#1", "s#3", "s#5"]);
    std::fs::write(
        f.root().join("qualkit.toml"),
        "name = \"x\"\n[survey]\nkeep_non_answers = true\n",
    )
    .unwrap();
    f.write(
        "s.csv",
        "id,case,answer\n1,Magenta,The CLP helped.\n2,Magenta,\n3,Cobalt,N/A\n",
    );
    let p = f.open();
    assert_eq!(p.documents().len(), 3);
    assert!(p.skipped_answers().is_empty());
}

/// A quote that never closes would make every row after it one answer; a file saved as
/// UTF-16 without a byte order mark would be stored with a NUL between letters. Both are
/// refused naming the file and line.
#[test]
fn an_unbalanced_csv_quote_and_utf16_without_a_bom_are_refused_naming_file_and_line() {
    let f = Fixture::new();
    f.write(
        "s.csv",
        "id,case,answer\n1,Magenta,\"It was fine\n2,Magenta,ok\n3,Magenta,good\n",
    );
    let msg = open_error(&f);
    assert!(
        msg.contains("s.csv:2:") && msg.contains("never closes"),
        "{msg}"
    );

    let f = Fixture::new();
    let text = "---\ncase: Magenta\n---\nInterviewer: Hello.\n";
    let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    f.write("u.txt", utf16);
    let msg = open_error(&f);
    assert!(
        msg.contains("u.txt") && msg.contains("line 1") && msg.contains("UTF-16"),
        "{msg}"
    );
}

#[test]
fn cases_csv_without_a_case_column_is_refused() {
    let f = Fixture::new();
    std::fs::write(
        f.root().join("cases.csv"),
        "practice,integration\nMagenta,FIP\n",
    )
    .unwrap();
    let msg = open_error(&f);
    assert!(msg.contains("cases.csv: missing column `case"), "{msg}");
}

#[test]
fn case_attributes_are_typed() {
    let f = Fixture::new();
    let p = f.open();
    let magenta = p.cases.get("Magenta").unwrap();
    use qualkit::project::cases::Value;
    assert_eq!(magenta.attributes["list_size"], Value::Integer(5130));
    assert_eq!(magenta.attributes["training"], Value::Boolean(true));
    assert_eq!(magenta.attributes["integration"], Value::Text("FIP".into()));
}

/// Positions are code points: the index must agree with a character-by-character count at every
/// position, across ASCII runs, multi-byte characters and checkpoint boundaries.
#[test]
fn char_index_agrees_with_counting_characters() {
    let mut text = String::new();
    for i in 0..400 {
        text.push_str(&"a".repeat(i % 70));
        text.push(['é', '’', '😀', 'Z'][i % 4]);
    }
    let index = qualkit::support::text::CharIndex::new(&text);
    let expected: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
    assert_eq!(index.len_chars(), expected.len());
    for (pos, &byte) in expected.iter().enumerate() {
        assert_eq!(index.byte_of(&text, pos), Some(byte), "code point {pos}");
        assert_eq!(index.char_of(&text, byte), pos, "byte {byte}");
    }
    assert_eq!(index.byte_of(&text, expected.len()), Some(text.len()));
}

/// Word counts of spans (matrix coding's "words") must equal counting the words that start in
/// the span, whatever the span's ends, including across 64-character block boundaries.
#[test]
fn words_in_a_span_are_the_words_that_start_in_it() {
    let f = Fixture::new();
    let mut body = String::new();
    for i in 0..60 {
        body.push_str(["Zoë’s café, ", "don't  stop—", "GP's 12 notes. ", "x "][i % 4]);
    }
    f.write(
        "w1.txt",
        transcript("Magenta", &[("Ann", "GP")], &format!("Ann: {body}\n")),
    );
    let p = f.open();
    let doc = p.document("w1").unwrap();
    let chars: Vec<char> = doc.text.chars().collect();
    // The speaker label `Ann: ` is not a word.
    let label = "Ann: ".len();
    let starts_in = |start: usize, end: usize| {
        (start.max(label)..end)
            .filter(|&i| {
                qualkit::ingest::is_word_char(chars[i])
                    && (i == 0 || !qualkit::ingest::is_word_char(chars[i - 1]))
            })
            .count()
    };
    for start in (0..chars.len()).step_by(7) {
        for end in (start..=chars.len()).step_by(5) {
            assert_eq!(
                doc.words_in(start, end),
                starts_in(start, end),
                "{start}..{end}"
            );
        }
    }
    assert_eq!(
        doc.word_count(),
        qualkit::ingest::count_words(&doc.text, false) - 1
    );
    assert_eq!(
        doc.words_in_with(0, doc.len_chars(), true),
        qualkit::ingest::count_words(&doc.text, true)
    );
}

/// issue 14: a lone `'` counted as a word, and transcript markup and speaker labels counted
/// as words in frequencies and coverage denominators. The rule (qualkit::ingest::WORD_RULE):
/// words are runs of letters, digits and apostrophes with a letter or digit; bracketed markup
/// and labels are left out unless the project or the call says to count them.
#[test]
fn markup_labels_and_lone_apostrophes_are_not_words_unless_asked() {
    let body = "Interviewer: So ' what happened [inaudible] then?\n\
                Dr Reid: We [REDACTED] met - ' - weekly [laughter]. It's fine.\n";
    let f = Fixture::new();
    f.write(
        "w.txt",
        transcript(
            "Magenta",
            &[("Interviewer", "researcher"), ("Dr Reid", "GP")],
            body,
        ),
    );
    let mut p = f.open();
    let doc = p.document("w").unwrap();
    // So what happened then / We met weekly It's fine.
    assert_eq!(doc.word_count(), 9);
    // + Interviewer, Dr, Reid, inaudible, REDACTED, laughter.
    assert_eq!(doc.words_in_with(0, doc.len_chars(), true), 15);
    assert_eq!(qualkit::ingest::count_words("' - '' ’", true), 0);
    assert_eq!(
        qualkit::ingest::count_words("GP's [crosstalk] 'tis", false),
        2
    );

    let frequencies = |p: &qualkit::Project, markup: Option<bool>| {
        let options = qualkit::analysis::WordOptions {
            keep_stopwords: true,
            min_length: 1,
            markup,
            ..Default::default()
        };
        let table =
            qualkit::analysis::word_frequencies(&qualkit::analysis::Corpus::of(p), &options)
                .unwrap();
        let words: Vec<String> = table
            .values("word")
            .unwrap()
            .iter()
            .map(|v| v.to_string())
            .collect();
        let per_1000 = table.values("per_1000_words").unwrap()
            [words.iter().position(|w| w == "weekly").unwrap()]
        .to_string();
        (words, per_1000)
    };
    let (words, per_1000) = frequencies(&p, None);
    let mut sorted = words.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec![
            "fine", "happened", "it's", "met", "so", "then", "we", "weekly", "what"
        ]
    );
    assert!(per_1000.starts_with("111.1"), "{per_1000}");
    let (words, per_1000) = frequencies(&p, Some(true));
    for word in ["inaudible", "redacted", "laughter", "interviewer", "reid"] {
        assert!(words.iter().any(|w| w == word), "{word} missing: {words:?}");
    }
    assert!(per_1000.starts_with("66.6"), "{per_1000}");

    // Coverage: 3 words coded ("met - ' - weekly [laughter]. It's" holds met, weekly,
    // It's) of 9 said.
    p.code(
        "ak",
        "w",
        "coh",
        &Span::Quote {
            text: "met - ' - weekly [laughter]. It's".into(),
            occurrence: None,
        },
    )
    .unwrap();
    let coverage = |p: &qualkit::Project| {
        let a = qualkit::analysis::Analysis::new(p, None).unwrap();
        let t = a
            .matrix(
                &qualkit::analysis::Dimension::Case,
                &qualkit::analysis::MatrixColumns::Codes(vec!["coh".into()]),
                qualkit::analysis::Measure::Coverage,
            )
            .unwrap();
        t.values("Coherence").unwrap()[0].to_string()
    };
    assert!(coverage(&p).starts_with("33.3"), "{}", coverage(&p));

    // The project can count markup and labels everywhere.
    std::fs::write(
        f.root().join("qualkit.toml"),
        "name = \"x\"\n[words]\ncount_markup = true\n",
    )
    .unwrap();
    let p = f.open();
    assert_eq!(p.document("w").unwrap().word_count(), 15);
    // met, weekly, laughter, It's of 15.
    assert!(coverage(&p).starts_with("26.6"), "{}", coverage(&p));
    assert!(frequencies(&p, None).1.starts_with("66.6"));
    assert!(frequencies(&p, Some(false)).1.starts_with("111.1"));
}
