//! Codings following an edited text: the placement of each coding, with and without the old
//! text to diff against.

use qualkit::coding::reanchor::{Anchor, Placement, reanchor};

const OLD: &str = "Interviewer: How did the clinic start?\n\n\
Dr Reid: The shared learning afternoon changed us. We talk now, which we never did.\n\n\
Ann: The link worker came in March. Patients liked her at once.\n\n\
Dr Reid: Funding was the worry. Nobody knew if it would last past the pilot year.\n";

/// An anchor on the first occurrence of `quote` in `text`.
fn anchor_on<'a>(text: &str, quote: &'a str) -> Anchor<'a> {
    let byte = text
        .find(quote)
        .unwrap_or_else(|| panic!("`{quote}` in text"));
    let start = text[..byte].chars().count();
    Anchor {
        start,
        end: start + quote.chars().count(),
        quote,
    }
}

fn slice(text: &str, start: usize, end: usize) -> String {
    text.chars().skip(start).take(end - start).collect()
}

/// The coded text after re-anchoring, by both methods; checks they agree on the kind.
fn place(new: &str, quote: &str) -> (Placement, Option<String>) {
    let anchor = anchor_on(OLD, quote);
    let with_diff = reanchor(Some(OLD), new, &[anchor])[0];
    let by_quote = reanchor(None, new, &[anchor])[0];
    assert_eq!(
        with_diff.label(),
        by_quote.label(),
        "diff and quote disagree on `{quote}`: {with_diff:?} vs {by_quote:?}"
    );
    let text = with_diff.span(&anchor).map(|(s, e)| slice(new, s, e));
    (with_diff, text)
}

#[test]
fn an_unchanged_text_leaves_every_coding_where_it_was() {
    let anchors = [
        anchor_on(OLD, "shared learning afternoon"),
        anchor_on(OLD, "Funding was the worry."),
    ];
    assert_eq!(
        reanchor(Some(OLD), OLD, &anchors),
        vec![Placement::Unchanged; 2]
    );
}

#[test]
fn words_added_at_the_start_move_codings_by_their_length() {
    let new = format!("[Recorded on site.] {OLD}");
    let (placement, text) = place(&new, "The link worker came in March.");
    assert!(
        matches!(placement, Placement::Moved { .. }),
        "{placement:?}"
    );
    assert_eq!(text.as_deref(), Some("The link worker came in March."));
    let anchor = anchor_on(OLD, "The link worker came in March.");
    assert_eq!(
        placement,
        Placement::Moved {
            start: anchor.start + 20,
            end: anchor.end + 20
        }
    );
}

#[test]
fn an_edit_in_the_middle_moves_only_the_codings_after_it() {
    let new = OLD.replace("came in March", "came in early March");
    let (before, _) = place(&new, "shared learning afternoon");
    assert_eq!(before, Placement::Unchanged);
    let (after, text) = place(&new, "Funding was the worry.");
    assert!(matches!(after, Placement::Moved { .. }));
    assert_eq!(text.as_deref(), Some("Funding was the worry."));
}

#[test]
fn an_edit_at_the_end_changes_nothing_before_it() {
    let new = format!("{OLD}\nInterviewer: Thank you.\n");
    for quote in ["How did the clinic start?", "past the pilot year."] {
        assert_eq!(place(&new, quote).0, Placement::Unchanged, "{quote}");
    }
}

#[test]
fn a_word_changed_inside_a_coding_keeps_it_on_the_edited_words() {
    let new = OLD.replace("Patients liked her at once", "Patients trusted her at once");
    let quote = "The link worker came in March. Patients liked her at once.";
    let anchor = anchor_on(OLD, quote);
    let (placement, text) = place(&new, quote);
    assert!(
        matches!(placement, Placement::TextChanged { .. }),
        "{placement:?}"
    );
    assert_eq!(
        text.as_deref(),
        Some("The link worker came in March. Patients trusted her at once.")
    );
    // Without the old text, the words are found; the end is the last word.
    let Placement::TextChanged { start, end } = reanchor(None, &new, &[anchor])[0] else {
        panic!("found by its words")
    };
    assert_eq!(
        slice(&new, start, end),
        "The link worker came in March. Patients trusted her at once"
    );
}

#[test]
fn a_deleted_passage_detaches_its_codings_and_nothing_else() {
    let new = OLD.replace(
        "Ann: The link worker came in March. Patients liked her at once.\n\n",
        "",
    );
    assert_eq!(
        place(&new, "The link worker came in March.").0,
        Placement::Detached
    );
    let (after, text) = place(&new, "Nobody knew if it would last");
    assert!(matches!(after, Placement::Moved { .. }));
    assert_eq!(text.as_deref(), Some("Nobody knew if it would last"));
}

#[test]
fn a_moved_paragraph_takes_its_codings_with_it() {
    let paragraph = "Ann: The link worker came in March. Patients liked her at once.\n\n";
    let new = format!("{}{paragraph}", OLD.replace(paragraph, ""));
    let (placement, text) = place(&new, "Patients liked her at once.");
    assert!(
        matches!(placement, Placement::Moved { .. }),
        "{placement:?}"
    );
    assert_eq!(text.as_deref(), Some("Patients liked her at once."));
    let Placement::Moved { start, .. } = placement else {
        unreachable!()
    };
    assert!(start > anchor_on(OLD, "past the pilot year.").start - 70);
}

#[test]
fn a_repeated_quote_is_found_at_the_occurrence_nearest_its_place() {
    let old = "We talk now. Then a long stretch of other words. We talk now. And the end.\n";
    let second = old.rfind("We talk now.").unwrap();
    let anchor = Anchor {
        start: second,
        end: second + 12,
        quote: "We talk now.",
    };
    let new = format!("Intro. {old}");
    for placement in [
        reanchor(Some(old), &new, &[anchor])[0],
        reanchor(None, &new, &[anchor])[0],
    ] {
        assert_eq!(
            placement,
            Placement::Moved {
                start: second + 7,
                end: second + 19
            }
        );
    }
}

#[test]
fn positions_are_code_points_in_texts_with_emoji_and_accents() {
    let old = "Zoë said 👍 then: the café closed early. 🙂 Fin.\n";
    let anchor = anchor_on(old, "the café closed early.");
    let new = format!("🎙️ {old}");
    let shift = "🎙️ ".chars().count();
    let placement = reanchor(Some(old), &new, &[anchor])[0];
    assert_eq!(
        placement,
        Placement::Moved {
            start: anchor.start + shift,
            end: anchor.end + shift
        }
    );
    assert_eq!(reanchor(None, &new, &[anchor])[0], placement);
}

#[test]
fn a_short_quote_whose_words_changed_is_detached_not_guessed() {
    let old = "Yes. No. Maybe so.\n";
    let anchor = anchor_on(old, "Maybe so.");
    let new = "Yes. No. Perhaps.\n";
    assert_eq!(reanchor(Some(old), new, &[anchor])[0], Placement::Detached);
    assert_eq!(reanchor(None, new, &[anchor])[0], Placement::Detached);
}
