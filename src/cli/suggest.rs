//! `qualkit suggest`: codings suggested by a model learned from the project's own codings, its
//! cross-validated figures, and storing the suggestions a user accepts.

use std::path::PathBuf;

use clap::Args;

use qualkit::{Error, Result};

use super::{CoderArg, coder_name, open_project, show};

#[derive(Args)]
pub(super) struct SuggestArgs {
    dir: PathBuf,
    /// The code to suggest (with the codes below it). With --evaluate: repeat for several,
    /// or leave out for every code the coders applied.
    #[arg(long = "code")]
    codes: Vec<String>,
    /// The passages scored: sentence, paragraph, turn or answer (a whole survey answer).
    #[arg(long, default_value = "sentence")]
    unit: String,
    /// Learn from this coder's codings (default: every coder's, leaving out accepted
    /// suggestions).
    #[arg(long)]
    coder: Option<String>,
    /// Also compare the predictions with this coder's codings.
    #[arg(long)]
    against: Option<String>,
    /// Only the figures: cross-validated precision, recall and kappa per code.
    #[arg(long)]
    evaluate: bool,
    /// Folds of the cross-validation.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(2..))]
    folds: u64,
    /// Seed of the assignment of units to folds.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// List suggestions scoring at least this (0-1).
    #[arg(long, default_value_t = 0.5)]
    min_score: f64,
    /// List at most this many suggestions.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Store every suggestion scoring at least this as a coding.
    #[arg(long, value_name = "SCORE", group = "accept")]
    accept_above: Option<f64>,
    /// Store these suggestions (by `row`), separated by commas: `--accept-rows 0,3,4`.
    #[arg(long, value_delimiter = ',', value_name = "ROWS", group = "accept")]
    accept_rows: Vec<usize>,
    /// Store the suggestion at this place, `DOCUMENT:START-END`; repeat for several.
    #[arg(long = "accept-span", value_name = "PLACE", group = "accept")]
    accept_spans: Vec<String>,
    /// Who accepts (default: $QUALKIT_CODER, then `coder` in qualkit.toml, then $USER); the
    /// codings are stored as `<who>+suggest`.
    #[arg(long = "by")]
    by: Option<String>,
    /// What to learn from: tfidf, embeddings or hybrid (default: hybrid when a sentence
    /// model is installed, tfidf otherwise; see `qualkit model`).
    #[arg(long)]
    features: Option<String>,
    /// The installed model to use, by the start of its hash (when several are installed).
    #[arg(long)]
    model: Option<String>,
    /// Also write the table to this file (.csv, or .parquet).
    #[arg(long)]
    out: Option<PathBuf>,
}

impl SuggestArgs {
    pub(super) fn run(self) -> Result<()> {
        use qualkit::suggest::{Choice, Options};
        let mut project = open_project(&self.dir)?;
        let options = Options {
            unit: self.unit.parse()?,
            coder: self.coder.clone(),
            against: self.against.clone(),
            folds: self.folds as usize,
            seed: self.seed,
            min_score: self.min_score,
            limit: Some(self.limit),
            features: self.features.as_deref().map(str::parse).transpose()?,
            model: self.model.clone(),
            ..Options::default()
        };
        if self.evaluate {
            let codes = (!self.codes.is_empty()).then_some(&self.codes[..]);
            let evaluations = project.evaluate_codes(codes, &options)?;
            return show(
                &qualkit::suggest::evaluation_table(&evaluations)?,
                self.out.as_deref(),
            );
        }
        let code = match self.codes.as_slice() {
            [one] => one.clone(),
            other => {
                return Err(Error::Argument {
                    argument: "--code".into(),
                    message: format!(
                        "give one code to suggest (got {}); --evaluate takes several",
                        other.len()
                    ),
                });
            }
        };
        let choice = if let Some(score) = self.accept_above {
            Some(Choice::AtLeast(score))
        } else if !self.accept_rows.is_empty() {
            Some(Choice::Ranks(self.accept_rows.clone()))
        } else if !self.accept_spans.is_empty() {
            let places = self
                .accept_spans
                .iter()
                .map(|place| parse_place(place))
                .collect::<Result<Vec<_>>>()?;
            Some(Choice::Spans(places))
        } else {
            None
        };
        match choice {
            None => show(
                &project.suggest(&code, &options)?.table()?,
                self.out.as_deref(),
            ),
            Some(choice) => {
                let by = coder_name(&CoderArg { coder: self.by }, &project);
                let accepted = project.accept_suggestions(&by, &code, &options, &choice)?;
                println!(
                    "accepted {} suggestions as codings of {} (log entry {}; `qualkit revert` undoes it){}",
                    accepted.added,
                    accepted.coder,
                    accepted.entry,
                    if accepted.skipped_overlaps > 0 {
                        format!(
                            "; {} skipped: they overlap codings already stored",
                            accepted.skipped_overlaps
                        )
                    } else {
                        String::new()
                    }
                );
                Ok(())
            }
        }
    }
}

/// `DOCUMENT:START-END`.
fn parse_place(place: &str) -> Result<(String, usize, usize)> {
    let bad = || Error::Argument {
        argument: "--accept-span".into(),
        message: format!(
            "`{place}` is not a place; write DOCUMENT:START-END, as `amber-p1-focus-group:530-640`"
        ),
    };
    let (document, span) = place.rsplit_once(':').ok_or_else(bad)?;
    let (start, end) = span.split_once('-').ok_or_else(bad)?;
    Ok((
        document.to_string(),
        start.trim().parse().map_err(|_| bad())?,
        end.trim().parse().map_err(|_| bad())?,
    ))
}
