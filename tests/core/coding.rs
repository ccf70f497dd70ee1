//! Coding by hand and by rule: quotes, offsets, overlaps, memos, autocoding.

use qualkit::Error;
use qualkit::analysis::segments::SegmentFilter;
use qualkit::coding::Span;
use qualkit::coding::autocode::{Dictionary, Rule, Scope, Search};
use qualkit::project::MemoTarget;

use crate::common::{Fixture, transcript};

fn quote(text: &str) -> Span {
    Span::Quote {
        text: text.into(),
        occurrence: None,
    }
}

fn fixture() -> Fixture {
    let f = Fixture::new();
    f.write(
        "m1.txt",
        transcript(
            "Magenta",
            &[("Interviewer", "researcher"), ("Dr Reid", "GP"), ("Ann", "CLP")],
            "Interviewer: Tell me about shared learning.\n\nDr Reid: The shared learning afternoon changed us. We talk now.\n\nAnn: Shared learning? I run it. The GP leads it with me.\n\nDr Reid: Leadership matters. Shared-learning is key.\n",
        ),
    );
    f.write(
        "c1.txt",
        transcript("Cobalt", &[("Interviewer", "researcher"), ("Kay", "CLP")], "Interviewer: And here?\n\nKay: No shared learning since the merger. The GP is rarely around.\n"),
    );
    f
}

#[test]
fn a_quote_is_found_and_stored_with_coder_and_codebook_version() {
    let f = fixture();
    let mut p = f.open();
    let c = p
        .code(
            "ak",
            "m1",
            "Coherence/Communal specification",
            &quote("We talk now."),
        )
        .unwrap();
    assert_eq!(c.code, "coh.comm");
    assert_eq!(c.coder, "ak");
    assert_eq!(
        p.document("m1").unwrap().slice(c.start, c.end),
        Some("We talk now.")
    );
    let log = p.store().audit_log().unwrap();
    let entry = log.iter().find(|e| e.id == c.entry).unwrap();
    assert_eq!(entry.coder, "ak");
    assert_eq!(entry.action, "code");
    assert_eq!(entry.codebook_version, p.codebook.version());
}

#[test]
fn a_missing_quote_is_an_error_showing_where_its_start_does_occur() {
    let f = fixture();
    let mut p = f.open();
    let err = p
        .code(
            "ak",
            "m1",
            "coh.comm",
            &quote("The shared learning afternoon changed everything for us"),
        )
        .unwrap_err();
    assert!(matches!(err, Error::QuoteNotFound { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("quote not found in `m1`"), "{msg}");
    assert!(msg.contains("first 5 words occur at line"), "{msg}");
    assert_eq!(p.codings().unwrap().len(), 0);
}

#[test]
fn an_ambiguous_quote_lists_every_candidate_and_occurrence_picks_one() {
    let f = fixture();
    let mut p = f.open();
    let err = p
        .code("ak", "m1", "learn", &quote("shared learning"))
        .unwrap_err();
    let Error::QuoteAmbiguous { candidates, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(
        candidates.len(),
        2,
        "case-sensitive exact matches: {candidates:?}"
    );
    assert!(err.to_string().contains("line"), "{err}");
    let second = p
        .code(
            "ak",
            "m1",
            "learn",
            &Span::Quote {
                text: "shared learning".into(),
                occurrence: Some(2),
            },
        )
        .unwrap();
    let text = &p.document("m1").unwrap().text;
    let byte = text.match_indices("shared learning").nth(1).unwrap().0;
    assert_eq!(second.start, text[..byte].chars().count());
}

#[test]
fn a_quote_with_different_whitespace_or_quote_marks_still_matches_the_document_text() {
    let f = Fixture::new();
    f.write(
        "q.txt",
        transcript(
            "Magenta",
            &[("A", "GP")],
            "A: It’s the “links”\nworker – really.\n",
        ),
    );
    let mut p = f.open();
    let c = p
        .code(
            "ak",
            "q",
            "learn",
            &quote("It's the \"links\" worker - really."),
        )
        .unwrap();
    assert_eq!(
        p.document("q").unwrap().slice(c.start, c.end),
        Some("It’s the “links”\nworker – really.")
    );
}

#[test]
fn out_of_range_empty_and_overlapping_spans_are_refused_and_store_nothing() {
    let f = fixture();
    let mut p = f.open();
    let len = p.document("c1").unwrap().len_chars();
    let err = p
        .code(
            "ak",
            "c1",
            "learn",
            &Span::Offsets {
                start: len - 2,
                end: len + 5,
            },
        )
        .unwrap_err();
    assert!(
        err.to_string().contains(&format!("has {len} characters")),
        "{err}"
    );
    let err = p
        .code("ak", "c1", "learn", &Span::Offsets { start: 5, end: 5 })
        .unwrap_err();
    assert!(matches!(err, Error::EmptySpan { .. }), "{err}");
    let first = p
        .code("ak", "c1", "learn", &Span::Offsets { start: 10, end: 20 })
        .unwrap();
    let err = p
        .code("ak", "c1", "learn", &Span::Offsets { start: 15, end: 25 })
        .unwrap_err();
    assert!(
        matches!(&err, Error::Overlap { existing, .. } if **existing == *first.id),
        "{err}"
    );
    // Another coder, or another code, may overlap.
    p.code("rb", "c1", "learn", &Span::Offsets { start: 15, end: 25 })
        .unwrap();
    p.code(
        "ak",
        "c1",
        "coh.diff",
        &Span::Offsets { start: 15, end: 25 },
    )
    .unwrap();
    // Adjacent is not overlapping.
    p.code("ak", "c1", "learn", &Span::Offsets { start: 20, end: 25 })
        .unwrap();
    assert_eq!(p.codings().unwrap().len(), 4);
}

#[test]
fn unknown_codes_and_documents_suggest_near_names() {
    let f = fixture();
    let mut p = f.open();
    let err = p
        .code("ak", "m1", "Leadershp", &quote("We talk now."))
        .unwrap_err();
    assert!(err.to_string().contains("did you mean"), "{err}");
    let err = p
        .code("ak", "m2", "learn", &quote("We talk now."))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown document `m2`; did you mean: m1"),
        "{err}"
    );
    // `Differentiation` names two codes under different parents: the path picks one.
    let err = p
        .code("ak", "m1", "Differentiation", &quote("We talk now."))
        .unwrap_err();
    assert!(
        err.to_string().contains("Coherence/Differentiation"),
        "{err}"
    );
    let c = p
        .code(
            "ak",
            "m1",
            "Context/Differentiation",
            &quote("We talk now."),
        )
        .unwrap();
    assert_eq!(c.code, "ctx.other");
}

#[test]
fn uncode_recode_and_memos_are_kept_and_audited() {
    let f = fixture();
    let mut p = f.open();
    let a = p.code("ak", "m1", "learn", &quote("We talk now.")).unwrap();
    let b = p.code("ak", "m1", "coh.comm", &quote("I run it.")).unwrap();
    let moved = p.recode("ak", &b.id, "ctx.lead").unwrap();
    assert_eq!(moved.code, "ctx.lead");
    p.memo("ak", &MemoTarget::Coding(a.id.clone()), "the turning point")
        .unwrap();
    p.memo("ak", &MemoTarget::Document("m1".into()), "good interview")
        .unwrap();
    p.memo(
        "rb",
        &MemoTarget::Case("Magenta".into()),
        "fully integrated?",
    )
    .unwrap();
    assert!(p.memo("rb", &MemoTarget::Case("Pink".into()), "x").is_err());
    p.uncode("ak", std::slice::from_ref(&a.id)).unwrap();
    assert!(matches!(
        p.uncode("ak", std::slice::from_ref(&a.id)),
        Err(Error::UnknownCoding(_))
    ));
    let codings = p.codings().unwrap();
    assert_eq!(codings.len(), 1);
    assert_eq!(codings[0].code, "ctx.lead");
    // The memo on the removed coding went with it (kept in the log entry), never to another.
    assert_eq!(p.store().memos(None, None).unwrap().len(), 2);
    assert!(p.store().memos(Some("coding"), None).unwrap().is_empty());
    let actions: Vec<String> = p
        .store()
        .audit_log()
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        ["code", "code", "recode", "memo", "memo", "memo", "uncode"]
    );
    let removed = &p.store().audit_log().unwrap()[6].detail;
    assert_eq!(removed["removed"][0]["code"], "learn");
    assert_eq!(removed["memos"][0]["text"], "the turning point");
}

#[test]
fn the_audit_log_cannot_be_rewritten() {
    let f = fixture();
    let mut p = f.open();
    p.code("ak", "m1", "learn", &quote("We talk now.")).unwrap();
    let conn = rusqlite::Connection::open(f.store_path()).unwrap();
    let err = conn.execute("DELETE FROM audit", []).unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    assert!(conn.execute("UPDATE audit SET coder = 'x'", []).is_err());
}

#[test]
fn autocode_literal_word_regex_with_scopes() {
    let f = fixture();
    let mut p = f.open();
    let literal = Rule::Search {
        code: "learn".into(),
        search: Search::Literal {
            text: "shared learning".into(),
            case_sensitive: false,
        },
        scope: Scope::Match,
    };
    let report = p.autocode("auto", &literal, None).unwrap();
    // m1: "shared learning" x2, "Shared learning" x1 ("Shared-learning" differs); c1: x1.
    assert_eq!(report.added, 4);
    // Running the rule again adds nothing: every span overlaps its earlier self.
    let again = p.autocode("auto", &literal, None).unwrap();
    assert_eq!((again.added, again.skipped_overlaps), (0, 4));

    let word = Rule::Search {
        code: "ctx.lead".into(),
        search: Search::Word {
            text: "GP".into(),
            case_sensitive: true,
        },
        scope: Scope::Turn,
    };
    p.autocode("auto", &word, None).unwrap();
    let segs = p
        .segments(&SegmentFilter {
            code: Some("ctx.lead".into()),
            ..Default::default()
        })
        .unwrap();
    let texts: Vec<&str> = segs.iter().map(|s| s.text.as_str()).collect();
    // Documents in file order: c1 before m1.
    assert_eq!(
        texts,
        [
            "No shared learning since the merger. The GP is rarely around.",
            "Shared learning? I run it. The GP leads it with me."
        ]
    );
    assert_eq!(segs[1].role.as_deref(), Some("CLP"));

    let regex = Rule::Search {
        code: "coh.diff".into(),
        search: Search::Regex {
            pattern: r"(?i)\bmerger\b".into(),
        },
        scope: Scope::Sentence,
    };
    p.autocode("auto", &regex, None).unwrap();
    let segs = p
        .segments(&SegmentFilter {
            code: Some("coh.diff".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(segs.len(), 1);
    assert_eq!(segs[0].text, "No shared learning since the merger.");

    let bad = Rule::Search {
        code: "learn".into(),
        search: Search::Regex {
            pattern: "(unclosed".into(),
        },
        scope: Scope::Match,
    };
    assert!(matches!(
        p.autocode("auto", &bad, None),
        Err(Error::Pattern { .. })
    ));
}

#[test]
fn autocode_by_speaker_role_and_paragraph() {
    let f = fixture();
    let mut p = f.open();
    p.autocode(
        "auto",
        &Rule::Role {
            code: "ctx.lead".into(),
            role: "gp".into(),
        },
        None,
    )
    .unwrap();
    let segs = p
        .segments(&SegmentFilter {
            code: Some("ctx.lead".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(segs.len(), 2);
    assert!(segs.iter().all(|s| s.speaker.as_deref() == Some("Dr Reid")));
    p.autocode(
        "auto",
        &Rule::Speaker {
            code: "coh.comm".into(),
            speaker: "Kay".into(),
        },
        None,
    )
    .unwrap();
    let segs = p
        .segments(&SegmentFilter {
            code: Some("coh.comm".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(segs.len(), 1);
    assert_eq!(segs[0].case, "Cobalt");
    let para = Rule::Search {
        code: "learn".into(),
        search: Search::Literal {
            text: "talk".into(),
            case_sensitive: false,
        },
        scope: Scope::Paragraph,
    };
    p.autocode("auto", &para, None).unwrap();
    let segs = p
        .segments(&SegmentFilter {
            code: Some("learn".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        segs[0].text,
        "The shared learning afternoon changed us. We talk now."
    );
}

#[test]
fn dictionary_autocoding_matches_whole_words_per_code() {
    let f = fixture();
    let dict = f.root().join("dict.yaml");
    std::fs::write(
        &dict,
        "learn: [shared learning, shared-learning]\nctx.lead: [leads, leadership, GP]\n",
    )
    .unwrap();
    let mut p = f.open();
    let dictionary = Dictionary::load(&dict, &p.codebook).unwrap();
    assert_eq!(dictionary.len(), 5);
    let report = p
        .autocode(
            "auto",
            &Rule::Dictionary {
                dictionary,
                scope: Scope::Match,
            },
            None,
        )
        .unwrap();
    let segs = p.segments(&SegmentFilter::default()).unwrap();
    let learn = segs.iter().filter(|s| s.codes == ["learn"]).count();
    let lead = segs.iter().filter(|s| s.codes == ["ctx.lead"]).count();
    assert_eq!(learn, 5, "{segs:#?}");
    assert_eq!(lead, 4, "GP x2, leads, Leadership: {segs:#?}");
    assert_eq!(report.added, 9);

    let dict = f.root().join("dict.csv");
    std::fs::write(&dict, "code,term\nlearn,team\nnot.a.code,x\n").unwrap();
    let err = Dictionary::load(&dict, &p.codebook)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("dict.csv:3: unknown code `not.a.code`"),
        "{err}"
    );
}

#[test]
fn segments_gather_codes_and_coders_of_one_span() {
    let f = fixture();
    let mut p = f.open();
    p.code("ak", "m1", "learn", &quote("We talk now.")).unwrap();
    p.code("rb", "m1", "learn", &quote("We talk now.")).unwrap();
    p.code("rb", "m1", "coh.comm", &quote("We talk now."))
        .unwrap();
    let segs = p.segments(&SegmentFilter::default()).unwrap();
    assert_eq!(segs.len(), 1);
    let s = &segs[0];
    assert_eq!(
        (s.case.as_str(), s.method.as_str(), s.phase.as_str()),
        ("Magenta", "interview", "P2")
    );
    assert_eq!(s.codes, ["coh.comm", "learn"]);
    assert_eq!(s.coders, ["ak", "rb"]);
    assert_eq!(s.speaker.as_deref(), Some("Dr Reid"));
    // Filtering by a parent code includes its children.
    let under = p
        .segments(&SegmentFilter {
            code: Some("coh".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(under.len(), 1);
}

#[test]
fn codings_round_trip_through_csv() {
    let f = fixture();
    let mut p = f.open();
    let a = p.code("ak", "m1", "learn", &quote("We talk now.")).unwrap();
    p.memo(
        "ak",
        &MemoTarget::Coding(a.id.clone()),
        "key moment, with, commas",
    )
    .unwrap();
    p.code("rb", "c1", "ctx.lead", &quote("The GP is rarely around."))
        .unwrap();
    let out = f.root().join("exported");
    let files = p.export_codings(&out).unwrap();
    assert_eq!(files.len(), 2);
    let fresh = crate::common::Fixture::new();
    for name in ["m1.txt", "c1.txt"] {
        std::fs::copy(
            f.root().join("transcripts").join(name),
            fresh.root().join("transcripts").join(name),
        )
        .unwrap();
    }
    std::fs::create_dir_all(fresh.root().join("codings")).unwrap();
    for file in &files {
        std::fs::copy(
            file,
            fresh.root().join("codings").join(file.file_name().unwrap()),
        )
        .unwrap();
    }
    // A new store is built from codings/.
    let q = fresh.open();
    let strip = |cs: Vec<qualkit::store::Coding>| {
        cs.into_iter()
            .map(|c| (c.document, c.code, c.coder, c.start, c.end))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(q.codings().unwrap()), strip(p.codings().unwrap()));
    let memos = q.store().memos(Some("coding"), None).unwrap();
    assert_eq!(memos[0].text, "key moment, with, commas");
}

#[test]
fn a_bad_row_in_a_codings_csv_names_its_line_and_stores_nothing() {
    let f = fixture();
    let mut p = f.open();
    p.code("ak", "m1", "learn", &quote("We talk now.")).unwrap();
    let csv = f.root().join("in.csv");
    std::fs::write(
        &csv,
        "coder,document,code,quote\nrb,m1,learn,We talk now.\nrb,m1,learn,Not in the text at all\n",
    )
    .unwrap();
    let err = p.import_codings(&csv, None).unwrap_err().to_string();
    assert!(err.contains("in.csv:3: quote not found in `m1`"), "{err}");
    assert_eq!(p.codings().unwrap().len(), 1);
    std::fs::write(&csv, "coder,doc,code,quote\n").unwrap();
    let err = p.import_codings(&csv, None).unwrap_err().to_string();
    assert!(err.contains("missing column `document`"), "{err}");
    std::fs::write(&csv, "document,code,start,end,quote\nm1,learn,0,4,Nope\n").unwrap();
    let err = p.import_codings(&csv, None).unwrap_err().to_string();
    assert!(
        err.contains("in.csv:2: the quote is not the text at 0..4"),
        "{err}"
    );
}

#[test]
fn dictionary_sentences_in_accented_text_are_merged_per_code_at_code_point_offsets() {
    let f = Fixture::new();
    f.write(
        "z1.txt",
        transcript(
            "Magenta",
            &[("Zoë", "nurse"), ("José", "receptionist")],
            "Zoë: The café helps. Café and housing, housing again!\n\nJosé: Housing is hard.\n",
        ),
    );
    let dict = f.root().join("dict.csv");
    std::fs::write(&dict, "code,term\nlearn,café\nctx.lead,housing\n").unwrap();
    let mut p = f.open();
    let dictionary = Dictionary::load(&dict, &p.codebook).unwrap();
    let rule = Rule::Dictionary {
        dictionary,
        scope: Scope::Sentence,
    };
    let report = p.autocode("auto", &rule, None).unwrap();
    assert_eq!(report.added, 4);
    let spans = |code: &str| -> Vec<(usize, usize, String)> {
        p.segments(&SegmentFilter {
            code: Some(code.into()),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|s| (s.start, s.end, s.text))
        .collect()
    };
    // Each café in its own sentence; the two housings of one sentence make one coding.
    assert_eq!(
        spans("learn"),
        [
            (5, 20, "The café helps.".to_string()),
            (21, 53, "Café and housing, housing again!".to_string())
        ]
    );
    assert_eq!(
        spans("ctx.lead"),
        [
            (21, 53, "Café and housing, housing again!".to_string()),
            (61, 77, "Housing is hard.".to_string())
        ]
    );
}

/// A store is built from `codings/` in one go: a bad row in any file leaves no store behind
/// (a later open would otherwise take a half-built store for the whole), and once the file is
/// fixed the store holds every coder's codings and refuses overlaps as usual.
#[test]
fn a_store_built_from_codings_files_is_whole_or_absent() {
    let f = fixture();
    let codings = f.root().join("codings");
    std::fs::create_dir_all(&codings).unwrap();
    std::fs::write(
        codings.join("ak.csv"),
        "coder,document,code,quote\nak,m1,learn,We talk now.\n",
    )
    .unwrap();
    std::fs::write(
        codings.join("rb.csv"),
        "coder,document,code,quote\nrb,m1,learn,We talk now.\nrb,m1,learn,Not in the text\n",
    )
    .unwrap();
    let err = qualkit::Project::open(f.root()).err().unwrap().to_string();
    assert!(err.contains("rb.csv:3: quote not found in `m1`"), "{err}");
    assert!(f.cache_files().is_empty(), "{:?}", f.cache_files());

    std::fs::write(
        codings.join("rb.csv"),
        "coder,document,code,quote\nrb,m1,learn,We talk now.\n",
    )
    .unwrap();
    let mut p = f.open();
    let coders: Vec<String> = p.codings().unwrap().into_iter().map(|c| c.coder).collect();
    assert_eq!(coders, ["ak", "rb"]);
    let overlap = p.code("ak", "m1", "learn", &quote("talk"));
    assert!(overlap.is_err(), "the built store checks overlaps");
    assert!(!f.cache_files().iter().any(|n| n.ends_with(".building")));
}

/// While a store is built from several files, a coder's codings in a later file are still
/// checked against that coder's codings from an earlier one.
#[test]
fn a_coder_split_over_two_codings_files_keeps_one_of_two_overlapping_codings() {
    let f = fixture();
    let codings = f.root().join("codings");
    std::fs::create_dir_all(&codings).unwrap();
    std::fs::write(
        codings.join("a-first.csv"),
        "coder,document,code,quote\nak,m1,learn,We talk now.\n",
    )
    .unwrap();
    std::fs::write(
        codings.join("b-second.csv"),
        "coder,document,code,quote\nak,m1,learn,talk now\nrb,m1,learn,talk now\n",
    )
    .unwrap();
    let p = f.open();
    let kept: Vec<(String, String)> = p
        .codings()
        .unwrap()
        .into_iter()
        .map(|c| {
            (
                c.coder,
                p.document("m1")
                    .unwrap()
                    .slice(c.start, c.end)
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        kept,
        [
            ("ak".to_string(), "We talk now.".to_string()),
            ("rb".to_string(), "talk now".to_string())
        ]
    );
}

fn trucks() -> Fixture {
    let f = Fixture::new();
    f.write(
        "h1.txt",
        transcript(
            "Cobalt",
            &[("Kay", "CLP")],
            "Kay: Then smaller water trucks came. A water truck, then more trucks.\n",
        ),
    );
    f
}

fn coded_texts(p: &qualkit::Project) -> Vec<String> {
    let mut texts: Vec<String> = p
        .segments(&SegmentFilter::default())
        .unwrap()
        .into_iter()
        .map(|s| s.text)
        .collect();
    texts.sort();
    texts
}

/// A longer term refused as not whole words ("water truck" in "water trucks") no longer
/// hides a shorter term of the same code at the same place ("trucks").
#[test]
fn dictionary_terms_starting_at_the_same_place_are_all_tried() {
    let f = trucks();
    let dict = f.root().join("dict.yaml");
    std::fs::write(&dict, "learn: [trucks, water truck]\n").unwrap();
    let mut p = f.open();
    let dictionary = Dictionary::load(&dict, &p.codebook).unwrap();
    p.autocode(
        "auto",
        &Rule::Dictionary {
            dictionary,
            scope: Scope::Match,
        },
        None,
    )
    .unwrap();
    assert_eq!(coded_texts(&p), ["trucks", "trucks", "water truck"]);
}

/// The command line's `--literal`, a dictionary and the script's `autocode_text` follow one
/// rule: whole words; `--inside-words` and `autocode_text_inside_words` match inside words.
#[test]
fn text_autocoding_matches_whole_words_everywhere_unless_asked_otherwise() {
    let run = |extra: &[&str]| {
        let f = trucks();
        let root = f.root().display().to_string();
        let mut args = vec!["autocode", &root, "--code", "learn", "--literal", "truck"];
        args.extend_from_slice(extra);
        let (ok, out, err) = crate::common::qualkit(&args);
        assert!(ok, "{out}{err}");
        coded_texts(&f.open())
    };
    assert_eq!(run(&[]), ["truck"]);
    assert_eq!(run(&["--inside-words"]), ["truck", "truck", "truck"]);

    let script = |function: &str| {
        let f = trucks();
        let code = format!(
            r#"let p = project({:?}); p.coder = "ak"; p.{function}("learn", "truck", "match")"#,
            f.root().display().to_string()
        );
        qualkit::script::Session::new(f.root(), qualkit::script::Limits::default())
            .eval(&code, "t")
            .unwrap()
            .as_int()
            .unwrap()
    };
    assert_eq!(script("autocode_text"), 1);
    assert_eq!(script("autocode_text_inside_words"), 3);

    let f = trucks();
    let dict = f.root().join("dict.yaml");
    std::fs::write(&dict, "learn: [truck]\n").unwrap();
    let mut p = f.open();
    let dictionary = Dictionary::load(&dict, &p.codebook).unwrap();
    p.autocode(
        "auto",
        &Rule::Dictionary {
            dictionary,
            scope: Scope::Match,
        },
        None,
    )
    .unwrap();
    assert_eq!(coded_texts(&p), ["truck"]);
}
