//! The one error type of the library. Every variant names the file and position, or the
//! function argument, that the user has to look at, and says what to do where that helps.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path}:{line}:{column}: invalid UTF-8 (byte offset {byte}); save the file as UTF-8")]
    InvalidUtf8 {
        path: PathBuf,
        line: usize,
        column: usize,
        byte: usize,
    },

    #[error("{path}:{line}: front matter: {message}")]
    FrontMatter {
        path: PathBuf,
        line: usize,
        message: String,
    },

    #[error("{path}:{line}: {message}")]
    Csv {
        path: PathBuf,
        line: u64,
        message: String,
    },

    #[error("{path}: missing column `{column}` (the header has: {})", found.join(", "))]
    MissingColumn {
        path: PathBuf,
        column: String,
        found: Vec<String>,
    },

    #[error("{path}:{line}: unknown case `{case}`; cases.csv lists: {}", known.join(", "))]
    UnknownCase {
        path: PathBuf,
        line: usize,
        case: String,
        known: Vec<String>,
    },

    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },

    #[error("unknown document `{id}`{}", did_you_mean(suggestions))]
    UnknownDocument {
        id: String,
        suggestions: Vec<String>,
    },

    #[error("unknown code `{code}`{}", did_you_mean(suggestions))]
    UnknownCode {
        code: String,
        suggestions: Vec<String>,
    },

    #[error("no coding with id `{0}` (ids are listed by `qualkit segments` and in codings/*.csv)")]
    UnknownCoding(String),

    #[error(
        "span {start}..{end} is outside document `{document}`, which has {length} characters \
         (positions are Unicode code points from 0, end exclusive)"
    )]
    SpanOutOfRange {
        document: String,
        start: usize,
        end: usize,
        length: usize,
    },

    #[error("span {start}..{end} in `{document}` is empty or reversed: end must be after start")]
    EmptySpan {
        document: String,
        start: usize,
        end: usize,
    },

    #[error(
        "span {start}..{end} in `{document}` overlaps coding {existing} ({existing_start}..{existing_end}) \
         of `{code}` by {coder}; uncode or recode that one first"
    )]
    Overlap {
        document: String,
        code: String,
        coder: String,
        start: usize,
        end: usize,
        /// The id of the coding it overlaps (boxed: it keeps every error small).
        existing: Box<str>,
        existing_start: usize,
        existing_end: usize,
    },

    #[error("quote not found in `{document}`: \"{quote}\"{hint}")]
    QuoteNotFound {
        document: String,
        quote: String,
        hint: String,
    },

    #[error(
        "quote occurs {} times in `{document}`: \"{quote}\"; pick one by occurrence (1-based) or by offsets:\n{}",
        candidates.len(),
        candidates.join("\n")
    )]
    QuoteAmbiguous {
        document: String,
        quote: String,
        candidates: Vec<String>,
    },

    #[error("invalid pattern `{pattern}`: {message}")]
    Pattern { pattern: String, message: String },

    #[error("{argument}: {message}")]
    Argument { argument: String, message: String },

    #[error("project store {path}: {source}")]
    Store {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
}

fn did_you_mean(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!("; did you mean: {}?", suggestions.join(", "))
    }
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub fn argument(argument: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Argument {
            argument: argument.into(),
            message: message.into(),
        }
    }
}

/// Names close to `wanted` among `candidates`, for "did you mean" hints.
pub(crate) fn suggest<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let wanted_lower = wanted.to_lowercase();
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|candidate| {
            let lower = candidate.to_lowercase();
            if lower.contains(&wanted_lower) || wanted_lower.contains(&lower) {
                return Some((0, candidate));
            }
            let distance = strsim::levenshtein(&wanted_lower, &lower);
            (distance <= 2.max(wanted.chars().count() / 4)).then_some((distance, candidate))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(5)
        .map(|(_, c)| c.to_string())
        .collect()
}
