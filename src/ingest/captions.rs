//! Captions from video calls and transcription services: WebVTT (`.vtt`, as Zoom, Teams and
//! Meet save them) and SubRip (`.srt`). A caption file becomes a transcript in the
//! transcription-service style qualkit already reads, `Speaker (00:01:02.500): text`: one
//! turn per change of speaker, stamped with the time its first cue starts, so speakers and
//! times reach segments through the ordinary turn detection.

use std::path::Path;

use crate::error::{Error, Result};

/// One caption cue: when it starts, who speaks (if the file says) and what is said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    pub start: String,
    pub speaker: Option<String>,
    pub text: String,
}

/// Reads the cues of a `.vtt` or `.srt` file's text.
pub fn cues(path: &Path, text: &str) -> Result<Vec<Cue>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let webvtt = text.starts_with("WEBVTT");
    let is_vtt_file = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("vtt"));
    if is_vtt_file && !webvtt {
        return Err(Error::Invalid {
            path: path.to_path_buf(),
            message: "line 1: a WebVTT file starts with `WEBVTT`".into(),
        });
    }
    let mut cues = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        let Some((start, _end)) = timing(line) else {
            // A cue whose timing cannot be read would be lost with its words: say where.
            if line.contains("-->") || looks_like_timing(line) {
                return Err(bad_timing(path, i, line));
            }
            // Headers, NOTE/STYLE/REGION blocks, cue numbers and ids: skipped up to a timing line.
            if line.starts_with("NOTE") || line.starts_with("STYLE") || line.starts_with("REGION") {
                while i < lines.len() && !lines[i].trim().is_empty() {
                    i += 1;
                }
            }
            i += 1;
            continue;
        };
        i += 1;
        let mut said: Vec<String> = Vec::new();
        let mut speaker: Option<String> = None;
        // A cue ends at a blank line, or (files written without blank lines) where the next
        // cue's timing line, or its number before one, begins.
        let next_cue = |j: usize| {
            let line = lines[j].trim();
            line.contains("-->")
                || (!line.is_empty()
                    && line.chars().all(|c| c.is_ascii_digit())
                    && lines.get(j + 1).is_some_and(|l| timing(l.trim()).is_some()))
        };
        while i < lines.len() && !lines[i].trim().is_empty() && !next_cue(i) {
            let (voice, content) = strip_tags(lines[i].trim());
            if speaker.is_none() {
                speaker = voice;
            }
            said.push(content);
            i += 1;
        }
        let mut text = said.join(" ").trim().to_string();
        // "Name: text" inside the cue (Teams, transcription services) names the speaker too.
        if speaker.is_none()
            && let Some((name, rest)) = text.split_once(": ")
            && looks_like_name(name)
        {
            speaker = Some(name.trim().to_string());
            text = rest.trim().to_string();
        }
        if !text.is_empty() {
            cues.push(Cue {
                start,
                speaker,
                text,
            });
        }
    }
    if cues.is_empty() && !text.trim().is_empty() && text.trim() != "WEBVTT" {
        return Err(Error::Invalid {
            path: path.to_path_buf(),
            message: "no caption cues found (lines like `00:00:01.000 --> 00:00:04.000`)".into(),
        });
    }
    Ok(cues)
}

/// A line that starts with a time and holds another, like a mistyped timing line
/// (`00:00:03.000 -> 00:00:05.000`).
fn looks_like_timing(line: &str) -> bool {
    let times = line
        .split(|c: char| c.is_whitespace() || c == '>' || c == '-')
        .filter(|t| t.contains(':') && normalise_time(t).is_some())
        .count();
    line.split_whitespace()
        .next()
        .is_some_and(|t| normalise_time(t).is_some() && t.contains(':'))
        && times >= 2
}

fn bad_timing(path: &Path, index: usize, line: &str) -> Error {
    Error::Invalid {
        path: path.to_path_buf(),
        message: format!(
            "line {}: `{line}` is not a cue timing (expected `00:00:01.000 --> 00:00:04.000`); the cue would be lost",
            index + 1
        ),
    }
}

/// The start of a timing line `00:01:02.500 --> 00:01:05.000` (SubRip writes `,` for `.`);
/// hours may be left out.
fn timing(line: &str) -> Option<(String, String)> {
    let (start, rest) = line.split_once("-->")?;
    let end = rest.split_whitespace().next()?;
    let start = normalise_time(start.trim())?;
    let end = normalise_time(end.trim())?;
    Some((start, end))
}

fn normalise_time(time: &str) -> Option<String> {
    let time = time.replace(',', ".");
    let (clock, fraction) = time.split_once('.').unwrap_or((&time, ""));
    let parts: Vec<&str> = clock.split(':').collect();
    if !(2..=3).contains(&parts.len())
        || !parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        || !fraction.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let (h, m, s) = match parts.as_slice() {
        [m, s] => ("00", *m, *s),
        [h, m, s] => (*h, *m, *s),
        _ => return None,
    };
    let clock = format!("{h:0>2}:{m:0>2}:{s:0>2}");
    Some(if fraction.is_empty() {
        clock
    } else {
        format!("{clock}.{fraction}")
    })
}

/// Removes WebVTT markup (`<v Name>`, `<i>`, `<c.x>`, timestamps) and returns the voice
/// named by a `<v>` tag, if any. Entities are decoded.
fn strip_tags(line: &str) -> (Option<String>, String) {
    let mut voice = None;
    let mut out = String::new();
    let mut rest = line;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let tag = &rest[open + 1..open + close];
        if tag.starts_with("v ") || tag.starts_with("v.") {
            // `<v Name>` or `<v.class Name>`: the name is everything after the first space.
            voice = tag.split_once(' ').map(|(_, name)| name.trim().to_string());
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    (voice.filter(|v| !v.is_empty()), decoded)
}

fn looks_like_name(name: &str) -> bool {
    let name = name.trim();
    !name.is_empty()
        && name.chars().count() <= 60
        && name.chars().next().is_some_and(|c| c.is_uppercase())
        && !name.contains(['.', '?', '!', '(', ')', '[', ']'])
}

/// The transcript text for a caption file: a paragraph per turn, `Speaker (time): text`.
/// Cues without a speaker continue the turn before them.
pub fn to_transcript(path: &Path, text: &str) -> Result<String> {
    let mut out = String::new();
    let mut current: Option<String> = None;
    for cue in cues(path, text)? {
        match (&cue.speaker, &current) {
            (Some(speaker), Some(now)) if speaker == now => {
                out.push(' ');
                out.push_str(&cue.text);
            }
            (Some(speaker), _) => {
                if !out.is_empty() {
                    out.push_str("\n\n");
                }
                // Characters that end a speaker label would cut the name short.
                let label: String = speaker
                    .chars()
                    .map(|c| if "()[]:".contains(c) { ' ' } else { c })
                    .collect();
                out.push_str(&format!("{} ({}): {}", label.trim(), cue.start, cue.text));
                current = Some(speaker.clone());
            }
            (None, Some(_)) => {
                out.push(' ');
                out.push_str(&cue.text);
            }
            (None, None) => {
                if !out.is_empty() {
                    out.push_str("\n\n");
                }
                out.push_str(&cue.text);
            }
        }
    }
    out.push('\n');
    Ok(out)
}
