//! Commands comparing coders: agreement figures and disagreements of two coders' span coding,
//! a consensus merged from several coders, and reliability of labelled units from a CSV.

use std::path::PathBuf;

use clap::Args;

use qualkit::agreement::{Breakdown, Level, MergeRule, Ratings, SpanComparison};
use qualkit::{Error, Project, Result};

use super::{CoderArg, coder_name, show};

#[derive(Args)]
pub(super) struct AgreementArgs {
    dir: PathBuf,
    /// The two coders to compare, separated by a comma: `--coders ak,rb`.
    #[arg(long, value_delimiter = ',', required = true)]
    coders: Vec<String>,
    /// Compare this code (with the codes below it); repeat for several. Default: every code
    /// either coder applied.
    #[arg(long = "code")]
    codes: Vec<String>,
    /// One row per `code` (documents averaged, weighted by length) or per code and `document`.
    #[arg(long, default_value = "code")]
    by: String,
    /// Count agreement per `character` (NVivo's coding comparison) or per coded `segment`.
    #[arg(long, default_value = "character")]
    unit: String,
    /// With --unit segment: the share (0-1) of a segment both coders must have coded for it
    /// to count as agreed; 0 means any overlap.
    #[arg(long, default_value_t = 0.0)]
    min_overlap: f64,
    /// Also write the table to this file (.csv, or .parquet).
    #[arg(long)]
    out: Option<PathBuf>,
}

impl AgreementArgs {
    pub(super) fn run(self) -> Result<()> {
        let project = Project::open(&self.dir)?;
        let comparison = two_coders(&project, &self.coders)?;
        let codes =
            comparison.resolve_codes((!self.codes.is_empty()).then_some(&self.codes[..]))?;
        let by: Breakdown = self.by.parse()?;
        let level = Level::parse(&self.unit, self.min_overlap)?;
        show(&comparison.table(&codes, by, level)?, self.out.as_deref())
    }
}

#[derive(Args)]
pub(super) struct DisagreementsArgs {
    dir: PathBuf,
    /// The two coders to compare, separated by a comma: `--coders ak,rb`.
    #[arg(long, value_delimiter = ',', required = true)]
    coders: Vec<String>,
    /// Only this code (with the codes below it); repeat for several.
    #[arg(long = "code")]
    codes: Vec<String>,
    /// Only this document.
    #[arg(long)]
    document: Option<String>,
    /// Also write the table to this file (.csv, or .parquet).
    #[arg(long)]
    out: Option<PathBuf>,
}

impl DisagreementsArgs {
    pub(super) fn run(self) -> Result<()> {
        let project = Project::open(&self.dir)?;
        let comparison = two_coders(&project, &self.coders)?;
        let codes =
            comparison.resolve_codes((!self.codes.is_empty()).then_some(&self.codes[..]))?;
        let table = comparison.disagreements(&codes, self.document.as_deref())?;
        show(&table, self.out.as_deref())
    }
}

fn two_coders<'p>(project: &'p Project, coders: &[String]) -> Result<SpanComparison<'p>> {
    match coders {
        [first, second] => SpanComparison::new(project, first, second),
        other => Err(Error::Argument {
            argument: "--coders".into(),
            message: format!(
                "give exactly two coders to compare, as --coders ak,rb (got {})",
                other.len()
            ),
        }),
    }
}

#[derive(Args)]
pub(super) struct MergeCodersArgs {
    dir: PathBuf,
    /// The coders to merge, separated by commas: `--coders ak,rb`.
    #[arg(long, value_delimiter = ',', required = true)]
    coders: Vec<String>,
    /// The coder the consensus is stored under.
    #[arg(long)]
    into: String,
    /// Keep text any coder coded (`union`), all coded (`intersection`) or more than half
    /// coded (`majority`).
    #[arg(long)]
    rule: String,
    /// Replace the consensus coder's existing codings (the audit log keeps them).
    #[arg(long)]
    replace: bool,
    #[command(flatten)]
    coder: CoderArg,
}

impl MergeCodersArgs {
    pub(super) fn run(self) -> Result<()> {
        let mut project = Project::open(&self.dir)?;
        let author = coder_name(&self.coder, &project);
        let rule: MergeRule = self.rule.parse()?;
        let report = project.merge_coders(&author, &self.coders, &self.into, rule, self.replace)?;
        println!(
            "merged {} into {}: {} codings stored ({} replaced), audit entry #{}",
            self.coders.join(", "),
            self.into,
            report.added,
            report.replaced,
            report.entry
        );
        Ok(())
    }
}

#[derive(Args)]
pub(super) struct ReliabilityArgs {
    /// CSV with a header row: one column per coder, one row per unit; empty cells are missing.
    file: PathBuf,
    /// The column naming the units (default: a column called `unit`; when another column
    /// looks like it names units, the command asks instead of guessing).
    #[arg(long, conflicts_with = "all_coders")]
    unit_column: Option<String>,
    /// Every column is a coder (no column names the units).
    #[arg(long)]
    all_coders: bool,
    /// A cell text meaning "no label" besides an empty cell (e.g. NA); repeat for several.
    #[arg(long)]
    missing: Vec<String>,
    /// Also write the table to this file (.csv, or .parquet).
    #[arg(long)]
    out: Option<PathBuf>,
}

impl ReliabilityArgs {
    pub(super) fn run(self) -> Result<()> {
        // An empty column name tells the reader that every column is a coder.
        let unit_column = if self.all_coders {
            Some("")
        } else {
            self.unit_column.as_deref()
        };
        let ratings = Ratings::read_csv(&self.file, unit_column, &self.missing)?;
        show(&ratings.report()?, self.out.as_deref())
    }
}
