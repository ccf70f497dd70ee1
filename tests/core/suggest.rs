//! Coding suggestions: units and their labels, cross-validated figures, suggestions that
//! change nothing until accepted, accepting into the record and reverting, similar passages.

use std::collections::BTreeMap;

use qualkit::coding::Span;
use qualkit::script::{Limits, Session};
use qualkit::suggest::{Options, UnitKind, units};

use crate::common::{Fixture, qualkit, record_files, transcript};

const NAMES: [&str; 12] = [
    "Morag", "Euan", "Kirsty", "Fergus", "Aileen", "Neil", "Linda", "Kenny", "Roisin", "Callum",
    "Isla", "Duncan",
];
const DAYS: [&str; 6] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Sentences about leadership (coded `ctx.lead` by ak) and about other things (not coded).
fn leadership(i: usize) -> String {
    let name = NAMES[i % NAMES.len()];
    match i % 3 {
        0 => format!("Leadership from {name} kept the programme going in week {i}."),
        1 => format!("{name} showed real leadership at partners meeting {i}."),
        _ => format!(
            "Without the leadership of {name} the partners would have stopped in month {i}."
        ),
    }
}

fn other(i: usize) -> String {
    let day = DAYS[i % DAYS.len()];
    match i % 4 {
        0 => format!("The waiting room was busy on {day} number {i}."),
        1 => format!("Parking near the surgery is hard on {day} {i}."),
        2 => format!("The weather on {day} {i} was cold and wet."),
        _ => format!("Reception answered the phones all {day} for hour {i}."),
    }
}

/// Four interviews of 6 turns, each turn mixing leadership and other sentences; ak codes
/// every leadership sentence `ctx.lead`. Returns the fixture and the coded sentences.
fn coded_fixture() -> (Fixture, Vec<String>) {
    let f = Fixture::new();
    let mut coded = Vec::new();
    let (mut l, mut o) = (0, 0);
    let mut bodies = Vec::new();
    for _ in 0..4 {
        let mut body = String::new();
        for turn in 0..6 {
            let speaker = if turn % 2 == 0 {
                "Interviewer"
            } else {
                "Dr Reid"
            };
            body.push_str(speaker);
            body.push_str(": ");
            for k in 0..5 {
                if k == 1 || (k == 3 && turn % 2 == 1) {
                    let s = leadership(l);
                    l += 1;
                    coded.push(s.clone());
                    body.push_str(&s);
                } else {
                    body.push_str(&other(o));
                    o += 1;
                }
                body.push(' ');
            }
            body.push_str("\n\n");
        }
        bodies.push(body);
    }
    for (i, body) in bodies.iter().enumerate() {
        f.write(
            &format!("m{i}.txt"),
            transcript(
                if i % 2 == 0 { "Magenta" } else { "Cobalt" },
                &[("Interviewer", "researcher"), ("Dr Reid", "GP")],
                body,
            ),
        );
    }
    let mut p = f.open();
    for (i, body) in bodies.iter().enumerate() {
        for sentence in &coded {
            if body.contains(sentence.as_str()) {
                p.code(
                    "ak",
                    &format!("m{i}"),
                    "ctx.lead",
                    &Span::Quote {
                        text: sentence.clone(),
                        occurrence: None,
                    },
                )
                .unwrap();
            }
        }
    }
    (f, coded)
}

fn without_log(mut files: BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    files.remove("log.jsonl");
    files
}

/// The coding widget on document m1 of a coded fixture at `root`, showing the suggestions of
/// `ctx.lead` (all of them: no minimum score), for coder `tester`; the session keeps it alive.
fn suggesting_widget(root: &str) -> (Session, qualkit::script::WidgetHandle) {
    let mut session = Session::new(std::path::Path::new(root), Limits::default());
    let value = session
        .eval(
            &format!(
                r#"let p = project({root:?}); p.coder = "tester"; p.annotate("m1", #{{suggest: "ctx.lead", min_score: 0.0}})"#
            ),
            "t",
        )
        .unwrap();
    let widget = qualkit::script::mime_bundle(&value).widget.unwrap();
    (session, widget)
}

#[test]
fn sentences_are_cut_at_their_ends_within_turns_in_code_points_without_speaker_labels() {
    let f = Fixture::new();
    f.write(
        "m.txt",
        transcript(
            "Magenta",
            &[("Interviewer", "researcher"), ("Dr Reid", "GP")],
            "Interviewer: Róisín left. Who took over?\n\nDr Reid: Nobody… [laughs] Really nobody! It was “hard.” Then it stopped\n",
        ),
    );
    let p = f.open();
    let document = &p.documents()[0];
    let texts = |kind| {
        p.units(kind)
            .iter()
            .map(|u| document.slice(u.start, u.end).unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        texts(UnitKind::Sentence),
        [
            "Róisín left.",
            "Who took over?",
            "Nobody…",
            "[laughs] Really nobody!",
            "It was “hard.”",
            "Then it stopped"
        ]
    );
    assert_eq!(
        texts(UnitKind::Turn),
        [
            "Róisín left. Who took over?",
            "Nobody… [laughs] Really nobody! It was “hard.” Then it stopped"
        ]
    );
    let first = p.units(UnitKind::Sentence)[0];
    // Code points, not bytes: "Interviewer: " is 13 characters from the text's start.
    assert_eq!((first.start, first.end), (13, 25));
    assert_eq!(texts(UnitKind::Answer).len(), 1);
}

#[test]
fn a_unit_is_coded_when_codings_cover_half_of_it_or_one_lies_half_inside_it() {
    // Half of the unit covered, by one coding or by two together.
    assert_eq!(units::label((0, 100), &[(0, 50)]), (true, true));
    assert_eq!(units::label((0, 100), &[(0, 30), (60, 80)]), (true, true));
    // A short coding inside a long sentence marks it.
    assert_eq!(units::label((0, 100), &[(40, 45)]), (true, true));
    // A long coding that only clips the unit's edge does not, but touches it.
    assert_eq!(units::label((0, 100), &[(90, 300)]), (false, true));
    assert_eq!(units::label((0, 100), &[(100, 300)]), (false, false));
}

#[test]
fn cross_validated_kappa_is_the_kappa_of_the_held_out_predictions_and_the_coding() {
    let (f, coded) = coded_fixture();
    let p = f.open();
    let options = Options {
        coder: Some("ak".into()),
        ..Options::default()
    };
    let scored = p.cross_validated("ctx.lead", &options).unwrap();
    // The labels are the sentences ak coded, and only those.
    let document_text = |id: &str| p.document(id).unwrap().text.to_string();
    let labelled: Vec<String> = scored
        .iter()
        .filter(|s| s.coded)
        .map(|s| {
            document_text(&s.document)
                .chars()
                .skip(s.start)
                .take(s.end - s.start)
                .collect()
        })
        .collect();
    let mut expected = coded.clone();
    expected.sort();
    let mut labelled_sorted = labelled.clone();
    labelled_sorted.sort();
    assert_eq!(labelled_sorted, expected);
    assert_eq!(scored.len(), 4 * 6 * 5);

    // Kappa, precision and recall counted here from the held-out scores.
    let n = scored.len() as f64;
    let count = |coded: bool, predicted: bool| {
        scored
            .iter()
            .filter(|s| s.coded == coded && (s.score >= 0.5) == predicted)
            .count() as f64
    };
    let (tp, fp, fneg, tn) = (
        count(true, true),
        count(false, true),
        count(true, false),
        count(false, false),
    );
    let observed = (tp + tn) / n;
    let chance = ((tp + fp) * (tp + fneg) + (fneg + tn) * (fp + tn)) / (n * n);
    let kappa = (observed - chance) / (1.0 - chance);

    let evaluation = p.evaluate_suggestions("ctx.lead", &options).unwrap();
    assert_eq!(evaluation.examples, coded.len());
    assert_eq!(evaluation.units, scored.len());
    assert_eq!(evaluation.folds, 5);
    assert!((evaluation.kappa.unwrap() - kappa).abs() < 1e-12);
    assert!((evaluation.precision.unwrap() - tp / (tp + fp)).abs() < 1e-12);
    assert!((evaluation.recall.unwrap() - tp / (tp + fneg)).abs() < 1e-12);
    // The leadership sentences share their words; held out, they are still found.
    assert!(kappa > 0.8, "kappa {kappa}");
    assert!(evaluation.warning.is_none(), "{:?}", evaluation.warning);

    // The same seed gives the same figures; fewer examples than the minimum warn.
    let again = p.evaluate_suggestions("ctx.lead", &options).unwrap();
    assert_eq!(again.kappa, evaluation.kappa);
    drop(p);
    let mut p = f.open();
    for i in [0, 4, 8] {
        let quote = Span::Quote {
            text: other(i),
            occurrence: None,
        };
        p.code("ak", "m0", "learn", &quote).unwrap();
    }
    let few = p.evaluate_suggestions("learn", &options).unwrap();
    assert_eq!((few.examples, few.folds), (3, 3));
    assert!(few.warning.unwrap().contains("fewer than 30"));
}

#[test]
fn suggestions_are_uncoded_units_and_nothing_is_written_until_they_are_accepted() {
    let (f, _) = coded_fixture();
    let root = f.root().to_str().unwrap().to_string();
    let before = record_files(f.root());
    let (ok, out, err) = qualkit(&["suggest", &root, "--code", "ctx.lead", "--coder", "ak"]);
    assert!(ok, "{err}");
    assert!(out.contains("kappa"), "{out}");
    assert!(out.contains("not codings until accepted"), "{out}");
    let (ok, out, err) = qualkit(&["suggest", &root, "--evaluate", "--coder", "ak"]);
    assert!(ok, "{err}");
    assert!(out.contains("ctx.lead"), "{out}");
    let script = format!(
        r#"let p = project({root:?});
           let t = p.suggest("ctx.lead", #{{coder: "ak", min_score: 0.0}});
           let e = p.evaluate_suggestions(["ctx.lead"], #{{coder: "ak"}});
           let s = p.similar("leadership from the partners", 3);
           [t.len(), e.len(), s.len()]"#
    );
    let out = Session::new(f.root(), Limits::default())
        .eval(&script, "t")
        .unwrap()
        .into_array()
        .unwrap();
    assert!(out[0].as_int().unwrap() > 0);
    assert_eq!(out[1].as_int(), Ok(1));
    assert_eq!(out[2].as_int(), Ok(3));
    assert_eq!(
        record_files(f.root()),
        before,
        "nothing written before accepting"
    );
}

#[test]
fn accepting_stores_codings_with_their_provenance_and_reverting_restores_the_files() {
    let (f, _) = coded_fixture();
    let root = f.root().to_str().unwrap().to_string();
    let before = without_log(record_files(f.root()));
    let p = f.open();
    let suggestions = p
        .suggest(
            "ctx.lead",
            &Options {
                coder: Some("ak".into()),
                min_score: 0.0,
                ..Options::default()
            },
        )
        .unwrap();
    let chosen = &suggestions.suggestions[..2];
    drop(p);
    let (ok, out, err) = qualkit(&[
        "suggest",
        &root,
        "--code",
        "ctx.lead",
        "--coder",
        "ak",
        "--accept-rows",
        "0,1",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("accepted 2 suggestions"), "{out}");
    let p = f.open();
    let stored: Vec<_> = p
        .codings()
        .unwrap()
        .into_iter()
        .filter(|c| c.coder == "tester+suggest")
        .collect();
    let mut places: Vec<_> = stored
        .iter()
        .map(|c| (c.document.clone(), c.start, c.end, c.code.clone()))
        .collect();
    places.sort();
    let mut wanted: Vec<_> = chosen
        .iter()
        .map(|s| (s.document.clone(), s.start, s.end, "ctx.lead".to_string()))
        .collect();
    wanted.sort();
    assert_eq!(places, wanted);
    let log = p.log().unwrap();
    let entry = log.last().unwrap();
    assert_eq!(entry.action, "accept suggestions");
    assert_eq!(entry.coder, "tester+suggest");
    assert_eq!(entry.detail["accepted_by"], "tester");
    assert_eq!(entry.detail["method"], "tfidf-logreg");
    assert_eq!(entry.detail["training"]["coders"][0], "ak");
    assert_eq!(entry.detail["training"]["hash"].as_str().unwrap().len(), 16);
    assert_eq!(entry.detail["parameters"]["folds"], 5);
    assert!(entry.detail["evaluation"]["kappa"].is_number());
    assert!(
        entry
            .summary
            .contains("2 suggestions of `ctx.lead` accepted by tester")
    );
    let id = entry.id.clone();
    drop(p);
    // Suggestions already accepted are not suggested again.
    let p = f.open();
    let again = p
        .suggest(
            "ctx.lead",
            &Options {
                coder: Some("ak".into()),
                min_score: 0.0,
                ..Options::default()
            },
        )
        .unwrap();
    assert!(again.suggestions.iter().all(|s| {
        !chosen
            .iter()
            .any(|c| c.document == s.document && c.start == s.start)
    }));
    drop(p);
    // A place that is not a suggestion is refused, with nothing stored.
    let after = record_files(f.root());
    let (ok, _, err) = qualkit(&[
        "suggest",
        &root,
        "--code",
        "ctx.lead",
        "--coder",
        "ak",
        "--accept-span",
        "m0:0-5",
    ]);
    assert!(!ok && err.contains("not a suggestion"), "{err}");
    assert_eq!(record_files(f.root()), after);

    let (ok, _, err) = qualkit(&["revert", &root, &id]);
    assert!(ok, "{err}");
    assert_eq!(
        without_log(record_files(f.root())),
        before,
        "reverted byte for byte"
    );
}

#[test]
fn similar_passages_rank_by_shared_words_and_say_which_codes_mark_them() {
    let (f, _) = coded_fixture();
    let p = f.open();
    let query = qualkit::suggest::Query::Text("parking near the surgery".into());
    let found = p.similar(&query, 3, UnitKind::Sentence).unwrap();
    assert_eq!(found.len(), 3);
    for s in &found {
        assert!(s.text.starts_with("Parking near the surgery"), "{}", s.text);
        assert!(s.codes.is_empty());
    }
    assert!(found[0].similarity >= found[2].similarity);
    let segment = &p.segments(&Default::default()).unwrap()[0];
    let like = qualkit::suggest::Query::Passage {
        document: segment.document.clone(),
        start: segment.start,
        end: segment.end,
    };
    let found = p.similar(&like, 5, UnitKind::Sentence).unwrap();
    assert!(found.iter().all(|s| s.text != segment.text));
    assert!(found.iter().all(|s| s.codes == ["ctx.lead"]), "{found:?}");
}

#[test]
fn a_script_accepts_the_rows_of_a_filtered_suggestion_table() {
    let (f, _) = coded_fixture();
    let script = format!(
        r#"let p = project({:?});
           p.coder = "rb";
           let t = p.suggest("ctx.lead", #{{coder: "ak", min_score: 0.0}});
           let r = p.accept_suggestions("ctx.lead", t.filter(|r| r.row < 3), #{{coder: "ak"}});
           [r.added, r.coder, t.len()]"#,
        f.root().display().to_string()
    );
    let out = Session::new(f.root(), Limits::default())
        .eval(&script, "t")
        .unwrap()
        .into_array()
        .unwrap();
    assert_eq!(out[0].as_int(), Ok(3));
    assert_eq!(out[1].clone().into_string().unwrap(), "rb+suggest");
    let coded = f.open().codings().unwrap();
    assert_eq!(coded.iter().filter(|c| c.coder == "rb+suggest").count(), 3);
    assert!(f.root().join("codings/rb_suggest.csv").exists());
}

/// The annotation widget with a code's suggestions, driven by the messages its front end
/// sends: the front end names suggestions by the widget's ids, and nothing it sends can store
/// a coding the widget did not suggest.
#[test]
fn the_widget_marks_suggestions_and_accepts_dismisses_and_refuses_through_the_record() {
    use serde_json::{Value, json};

    let (f, _) = coded_fixture();
    let root = f.root().to_str().unwrap().to_string();
    let before = without_log(record_files(f.root()));
    let (mut session, widget) = suggesting_widget(&root);
    let state = || Value::Object(widget.0.borrow().state());
    let ask = |content: Value| Value::Object(widget.0.borrow_mut().on_message(&content));
    let listed = |state: &Value| -> Vec<Value> {
        state["suggesting"]["suggestions"]
            .as_array()
            .unwrap()
            .clone()
    };

    let first = state();
    let shown = listed(&first);
    assert!(shown.len() >= 3, "{first}");
    assert_eq!(first["suggesting"]["code"], "ctx.lead");
    let evaluation = &first["suggesting"]["evaluation"];
    assert!(evaluation["kappa"].is_number() && evaluation["examples"].as_u64() > Some(0));
    assert!(
        shown[0]["nearest"][0]["text"].is_string(),
        "each has its reason"
    );
    let html = first["html"].as_str().unwrap();
    assert!(html.contains("class=\"qk-suggested\"") && html.contains("border:1px dashed"));
    assert!(html.contains(&format!(
        "data-suggestion=\"{}\"",
        shown[0]["id"].as_str().unwrap()
    )));
    assert!(html.contains("not codings until accepted"));
    assert_eq!(
        without_log(record_files(f.root())),
        before,
        "marks are not codings"
    );

    // Hostile or mistaken requests: an error in the status line, nothing changed.
    let untouched = record_files(f.root());
    let (start, end) = (shown[0]["start"].clone(), shown[0]["end"].clone());
    for bad in [
        json!({"action": "accept"}),
        json!({"action": "accept", "id": 7}),
        json!({"action": "accept", "id": "s0-3"}),
        json!({"action": "accept", "start": start, "end": end}),
        json!({"action": "accept", "id": null, "start": start, "end": end}),
        json!({"action": "dismiss", "id": "nobody"}),
        json!({"action": "accept_above", "score": "0.5"}),
        json!({"action": "accept_above", "score": 2.0}),
        json!({"action": "accept_above", "score": -1}),
        json!({"action": "accept_above"}),
        json!({"action": "suggest", "code": "no.such.code"}),
        json!({"action": "suggest"}),
    ] {
        let answer = ask(bad.clone());
        assert_eq!(answer["message"]["kind"], "error", "{bad}: {answer}");
        assert_eq!(
            record_files(f.root()),
            untouched,
            "{bad} changed the record"
        );
    }
    assert_eq!(listed(&state()).len(), shown.len(), "the list is as it was");

    // Dismiss: gone from this view, nothing stored.
    let dismissed = shown[0]["id"].as_str().unwrap();
    let answer = ask(json!({"action": "dismiss", "id": dismissed}));
    assert_eq!(answer["message"]["kind"], "ok", "{answer}");
    assert!(listed(&answer).iter().all(|s| s["id"] != dismissed));
    assert!(
        !answer["html"]
            .as_str()
            .unwrap()
            .contains(&format!("\"{dismissed}\""))
    );
    assert_eq!(
        record_files(f.root()),
        untouched,
        "a dismissal is no record change"
    );
    assert_eq!(
        ask(json!({"action": "accept", "id": dismissed}))["message"]["kind"],
        "error"
    );

    // Accept one: a coding of tester+suggest at the suggested place, one log entry, drawn.
    let chosen = &shown[1];
    let answer = ask(json!({"action": "accept", "id": chosen["id"]}));
    assert_eq!(answer["message"]["kind"], "ok", "{answer}");
    let message = answer["message"]["text"].as_str().unwrap();
    let (s, e) = (
        chosen["start"].as_u64().unwrap() as usize,
        chosen["end"].as_u64().unwrap() as usize,
    );
    assert!(
        message.contains(&format!("{s}..{e}")) && message.contains("tester+suggest"),
        "{message}"
    );
    let p = f.open();
    let stored: Vec<_> = p
        .codings()
        .unwrap()
        .into_iter()
        .filter(|c| c.coder == "tester+suggest")
        .collect();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].document.as_str(), stored[0].start, stored[0].end),
        ("m1", s, e)
    );
    assert_eq!(stored[0].code, "ctx.lead");
    let log = p.log().unwrap();
    let one = log.last().unwrap().clone();
    assert_eq!(one.action, "accept suggestions");
    assert_eq!(one.detail["accepted_by"], "tester");
    assert_eq!(one.detail["method"], "tfidf-logreg");
    assert!(message.contains(&stored[0].id[..8]), "{message}");
    assert!(
        answer["html"].as_str().unwrap().contains(&stored[0].id),
        "the stripe is drawn"
    );
    assert!(
        listed(&answer).iter().all(|s| s["id"] != chosen["id"]),
        "no longer suggested"
    );
    drop(p);

    // Accept all at or above a score, in this document only, in one log entry.
    let remaining = listed(&answer);
    let threshold = remaining[remaining.len() / 2]["score"].as_f64().unwrap();
    let wanted = remaining
        .iter()
        .filter(|s| s["score"].as_f64().unwrap() >= threshold)
        .count();
    let answer = ask(json!({"action": "accept_above", "score": threshold}));
    assert_eq!(answer["message"]["kind"], "ok", "{answer}");
    let p = f.open();
    let stored: Vec<_> = p
        .codings()
        .unwrap()
        .into_iter()
        .filter(|c| c.coder == "tester+suggest")
        .collect();
    assert_eq!(stored.len(), 1 + wanted);
    assert!(stored.iter().all(|c| c.document == "m1"));
    let log = p.log().unwrap();
    let all = log.last().unwrap().clone();
    assert_eq!(
        log.len(),
        before_len(&log, &one) + 1,
        "one entry for the lot"
    );
    drop(p);

    // A suggestion coded meanwhile by other means is stale: refused, nothing stored.
    let stale = listed(&answer)[0].clone();
    let _ = session
        .eval(
            &format!(
                r#"p.coder = "rb"; p.code("m1", "ctx.lead", {}, {}); p.coder = "tester";"#,
                stale["start"], stale["end"]
            ),
            "t",
        )
        .unwrap();
    let untouched = record_files(f.root());
    let answer = ask(json!({"action": "accept", "id": stale["id"]}));
    assert_eq!(answer["message"]["kind"], "error", "{answer}");
    assert!(
        answer["message"]["text"]
            .as_str()
            .unwrap()
            .contains("nothing was stored")
    );
    assert_eq!(record_files(f.root()), untouched);
    // The code gone (merged away): refused, and the widget says why it shows none.
    let _ = session
        .eval(r#"p.merge_codes("ctx.lead", "learn");"#, "t")
        .unwrap();
    let untouched = record_files(f.root());
    let gone = listed(&answer)[0].clone();
    let answer = ask(json!({"action": "accept", "id": gone["id"]}));
    assert_eq!(answer["message"]["kind"], "error", "{answer}");
    assert_eq!(record_files(f.root()), untouched);
    assert!(answer["suggesting"]["problem"].is_string(), "{answer}");
    assert!(listed(&answer).is_empty());

    // Reverting the merge, the code, then both accepts restores the files byte for byte.
    let _ = session
        .eval(
            &format!(
                r#"let later = [p.log()[-1].id, p.log()[-2].id]; for id in later {{ p.revert(id); }} p.revert({:?}); p.revert({:?});"#,
                all.id, one.id
            ),
            "t",
        )
        .unwrap();
    assert_eq!(
        without_log(record_files(f.root())),
        before,
        "reverted byte for byte"
    );
}

/// How many entries the log had up to and including `entry`.
fn before_len(
    log: &[qualkit::project::history::LogLine],
    entry: &qualkit::project::history::LogLine,
) -> usize {
    log.iter().position(|e| e.id == entry.id).unwrap() + 1
}

/// A suggestion made before its document was replaced is refused: its place no longer holds
/// its text, and the widget never trusts a place it did not check.
#[test]
fn the_widget_refuses_a_suggestion_whose_document_changed_since() {
    use serde_json::{Value, json};

    let (f, _) = coded_fixture();
    let root = f.root().to_str().unwrap().to_string();
    let original = std::fs::read_to_string(f.root().join("transcripts/m1.txt")).unwrap();
    let edited = original.replace("waiting room was busy", "waiting area was full");
    assert_ne!(edited, original);
    let (_session, widget) = suggesting_widget(&root);
    let state = Value::Object(widget.0.borrow().state());
    let changed = state["suggesting"]["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["text"]
                .as_str()
                .unwrap()
                .contains("waiting room was busy")
        })
        .cloned()
        .expect("a suggestion in the first text");

    // Another process replaces the document while the widget is open.
    let elsewhere = tempfile::tempdir().unwrap();
    let replacement = elsewhere.path().join("m1.txt");
    std::fs::write(&replacement, &edited).unwrap();
    let (ok, _, err) = qualkit(&[
        "import",
        &root,
        replacement.to_str().unwrap(),
        "--overwrite",
        "--coder",
        "tester",
    ]);
    assert!(ok, "{err}");

    let untouched = record_files(f.root());
    let answer = Value::Object(
        widget
            .0
            .borrow_mut()
            .on_message(&json!({"action": "accept", "id": changed["id"]})),
    );
    assert_eq!(answer["message"]["kind"], "error", "{answer}");
    let text = answer["message"]["text"].as_str().unwrap();
    assert!(
        text.contains("changed") && text.contains("nothing was stored"),
        "{text}"
    );
    assert_eq!(record_files(f.root()), untouched);
    // The suggestions are made again from the document as it is now.
    assert!(
        answer["suggesting"]["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| !s["text"]
                .as_str()
                .unwrap()
                .contains("waiting room was busy"))
    );
}
