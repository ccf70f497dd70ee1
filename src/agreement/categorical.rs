//! Agreement on labelled units: every coder gives each unit one category (or none). Percent
//! agreement, Cohen's kappa for two coders and Krippendorff's alpha (nominal) for any number
//! of coders with missing values, plus reading such data from a CSV file.
//!
//! Labels are compared as text: `"1"` and `"1"` agree, `"1"` and `"1.0"` do not.

use std::collections::HashMap;
use std::path::Path;

use crate::analysis::table::{Table, Values};
use crate::error::{Error, Result};

/// One unit's labels, one per coder; `None` where a coder gave none.
pub type Labels = Vec<Option<String>>;

/// Labelled units: `units[u][c]` is coder `c`'s label for unit `u`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ratings {
    pub coders: Vec<String>,
    pub unit_names: Vec<String>,
    pub units: Vec<Labels>,
}

/// Share of units (in percent, 0-100) on which two coders gave the same label, counting the
/// units both labelled.
pub fn percent_agreement_pair(first: &[Option<String>], second: &[Option<String>]) -> Result<f64> {
    let pairs = paired("percent_agreement", first, second)?;
    let agree = pairs.iter().filter(|(a, b)| a == b).count();
    Ok(100.0 * agree as f64 / pairs.len() as f64)
}

/// Percent agreement (0-100) among any number of coders: the mean, over pairs of coders who
/// share at least one unit, of their pairwise percent agreement (units either left blank do
/// not count for that pair).
pub fn percent_agreement(units: &[Labels]) -> Result<f64> {
    let coders = check_units("percent_agreement", units)?;
    let mut sum = 0.0;
    let mut pairs = 0;
    for first in 0..coders {
        for second in first + 1..coders {
            let column = |c: usize| units.iter().map(|u| u[c].clone()).collect::<Labels>();
            if let Ok(p) = percent_agreement_pair(&column(first), &column(second)) {
                sum += p;
                pairs += 1;
            }
        }
    }
    if pairs == 0 {
        return Err(Error::argument(
            "percent_agreement",
            "no two coders labelled the same unit, so there is nothing to compare",
        ));
    }
    Ok(sum / pairs as f64)
}

/// Cohen's kappa of two coders: (p_o - p_e) / (1 - p_e), with p_e from each coder's own
/// label proportions. Units either coder left blank are left out. `None` when kappa is
/// undefined: both coders used one and the same label for every unit.
pub fn cohen_kappa(first: &[Option<String>], second: &[Option<String>]) -> Result<Option<f64>> {
    let pairs = paired("kappa", first, second)?;
    let mut first_counts: HashMap<&str, u64> = HashMap::new();
    let mut second_counts: HashMap<&str, u64> = HashMap::new();
    let mut agree = 0u64;
    for (a, b) in &pairs {
        *first_counts.entry(a).or_default() += 1;
        *second_counts.entry(b).or_default() += 1;
        agree += u64::from(a == b);
    }
    let products: u64 = first_counts
        .iter()
        .map(|(label, n)| n * second_counts.get(label).copied().unwrap_or(0))
        .sum();
    Ok(kappa_from_counts(
        agree as f64,
        pairs.len() as f64,
        products as f64,
    ))
}

/// Kappa from `agree` matching units out of `n`, where `products` is the sum over labels of
/// (units the first coder gave it) x (units the second coder gave it): p_e = products / n².
pub(crate) fn kappa_from_counts(agree: f64, n: f64, products: f64) -> Option<f64> {
    let denominator = n * n - products;
    (denominator > 0.0).then(|| (agree * n - products) / denominator)
}

/// Krippendorff's alpha for nominal data: 1 - D_o / D_e from the coincidence matrix. Units
/// with fewer than two labels cannot be paired and drop out. `None` when alpha is undefined:
/// every label given is the same.
pub fn krippendorff_alpha(units: &[Labels]) -> Result<Option<f64>> {
    check_units("alpha", units)?;
    let mut index: HashMap<&str, usize> = HashMap::new();
    // Coincidences within a category (o_cc) and each category's total (n_c).
    let mut within: Vec<f64> = Vec::new();
    let mut totals: Vec<f64> = Vec::new();
    let mut pairable = 0usize;
    for unit in units {
        let values: Vec<&str> = unit.iter().flatten().map(String::as_str).collect();
        let m = values.len();
        if m < 2 {
            continue;
        }
        pairable += 1;
        let mut counts: HashMap<usize, f64> = HashMap::new();
        for v in values {
            let next = index.len();
            let c = *index.entry(v).or_insert(next);
            if c == within.len() {
                within.push(0.0);
                totals.push(0.0);
            }
            *counts.entry(c).or_default() += 1.0;
        }
        let weight = (m - 1) as f64;
        for (c, n_uc) in counts {
            within[c] += n_uc * (n_uc - 1.0) / weight;
            totals[c] += n_uc;
        }
    }
    if pairable == 0 {
        return Err(Error::argument(
            "alpha",
            "no unit has labels from two coders, so there is nothing to compare",
        ));
    }
    let n: f64 = totals.iter().sum();
    let observed_disagreement = n - within.iter().sum::<f64>();
    let expected_disagreement = n * n - totals.iter().map(|t| t * t).sum::<f64>();
    Ok((expected_disagreement > 0.0)
        .then(|| 1.0 - (n - 1.0) * observed_disagreement / expected_disagreement))
}

/// The two coders' labels on the units both labelled, after checking the lists match.
fn paired<'a>(
    function: &str,
    first: &'a [Option<String>],
    second: &'a [Option<String>],
) -> Result<Vec<(&'a str, &'a str)>> {
    if first.len() != second.len() {
        return Err(Error::argument(
            function,
            format!(
                "the two coders' lists differ in length ({} and {} labels); give one label (or a blank) per unit for each coder",
                first.len(),
                second.len()
            ),
        ));
    }
    if first.is_empty() {
        return Err(Error::argument(
            function,
            "no units given; pass one label per unit for each coder",
        ));
    }
    let pairs: Vec<(&str, &str)> = first
        .iter()
        .zip(second)
        .filter_map(|(a, b)| Some((a.as_deref()?, b.as_deref()?)))
        .collect();
    if pairs.is_empty() {
        return Err(Error::argument(
            function,
            "no unit was labelled by both coders, so there is nothing to compare",
        ));
    }
    Ok(pairs)
}

/// Checks that units form a table: at least one unit, every unit with the same number of
/// coders, at least two coders. Returns the number of coders.
fn check_units(function: &str, units: &[Labels]) -> Result<usize> {
    let Some(first) = units.first() else {
        return Err(Error::argument(
            function,
            "no units given; pass one list of labels (one per coder) for each unit",
        ));
    };
    let coders = first.len();
    if let Some((i, unit)) = units.iter().enumerate().find(|(_, u)| u.len() != coders) {
        return Err(Error::argument(
            function,
            format!(
                "unit {} has {} labels but unit 1 has {coders}; give every unit one label (or a blank) per coder",
                i + 1,
                unit.len()
            ),
        ));
    }
    if coders < 2 {
        return Err(Error::argument(
            function,
            format!("agreement needs at least two coders; each unit has {coders} label(s)"),
        ));
    }
    Ok(coders)
}

impl Ratings {
    /// Ratings from units given as rows of labels, coders named `coder 1`, `coder 2`...
    pub fn from_units(units: Vec<Labels>) -> Result<Ratings> {
        let coders = check_units("ratings", &units)?;
        Ok(Ratings {
            coders: (1..=coders).map(|c| format!("coder {c}")).collect(),
            unit_names: (1..=units.len()).map(|u| u.to_string()).collect(),
            units,
        })
    }

    /// Reads labelled units from a CSV file with a header row: one row per unit, one column
    /// per coder. A column called `unit` (or `unit_column`) names the units instead of being
    /// a coder. Empty cells, and cells equal to one of `missing`, are missing labels.
    pub fn read_csv(path: &Path, unit_column: Option<&str>, missing: &[String]) -> Result<Ratings> {
        let text = crate::support::text::read_text(path)?;
        let invalid = |message: String| Error::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let csv_error = |e: csv::Error| Error::Csv {
            path: path.to_path_buf(),
            line: e.position().map_or(1, |p| p.line()),
            message: e.to_string(),
        };
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .map_err(csv_error)?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        if header.iter().all(String::is_empty) {
            return Err(invalid(
                "the file is empty; the first line must name the coders (one column each)".into(),
            ));
        }
        let unit_at = match unit_column {
            // An empty name: every column is a coder.
            Some("") => None,
            Some(name) => {
                Some(
                    header
                        .iter()
                        .position(|h| h == name)
                        .ok_or_else(|| Error::MissingColumn {
                            path: path.to_path_buf(),
                            column: name.to_string(),
                            found: header.clone(),
                        })?,
                )
            }
            None => match header.iter().position(|h| h.eq_ignore_ascii_case("unit")) {
                Some(i) => Some(i),
                None => {
                    if let Some(column) = unit_like_column(&header, &text) {
                        return Err(invalid(format!(
                            "which column holds the units? `{column}` looks like it names them rather than a coder (the columns are: {}); \
                                 name it with --unit-column {column} (in a script: reliability(path, \"{column}\")), \
                                 or say that every column is a coder with --all-coders (reliability(path, \"\"))",
                            header.join(", ")
                        )));
                    }
                    None
                }
            },
        };
        let coder_columns: Vec<usize> = (0..header.len()).filter(|&i| Some(i) != unit_at).collect();
        let coders: Vec<String> = coder_columns.iter().map(|&i| header[i].clone()).collect();
        if coders.len() < 2 {
            return Err(invalid(format!(
                "agreement needs at least two coder columns; the header has: {}",
                header.join(", ")
            )));
        }
        for (i, name) in coders.iter().enumerate() {
            if name.is_empty() {
                return Err(invalid(format!(
                    "column {} of the header has no name; name every coder",
                    coder_columns[i] + 1
                )));
            }
            if coders[..i].contains(name) {
                return Err(invalid(format!(
                    "the header names coder `{name}` twice; give each coder one column"
                )));
            }
        }
        let mut unit_names = Vec::new();
        let mut units = Vec::new();
        let mut seen: HashMap<String, u64> = HashMap::new();
        for record in reader.records() {
            let record = record.map_err(csv_error)?;
            let line = record.position().map_or(0, |p| p.line());
            let name = match unit_at {
                Some(i) => record.get(i).unwrap_or_default().trim().to_string(),
                None => (units.len() + 1).to_string(),
            };
            if let Some(earlier) = seen.insert(name.clone(), line) {
                return Err(Error::Csv {
                    path: path.to_path_buf(),
                    line,
                    message: format!("unit `{name}` also appears on line {earlier}"),
                });
            }
            let labels: Labels = coder_columns
                .iter()
                .map(|&i| {
                    let cell = record.get(i).unwrap_or_default().trim();
                    (!cell.is_empty() && !missing.iter().any(|m| m == cell))
                        .then(|| cell.to_string())
                })
                .collect();
            unit_names.push(name);
            units.push(labels);
        }
        if units.is_empty() {
            return Err(invalid(
                "the file has a header but no units; add one row per unit".into(),
            ));
        }
        Ok(Ratings {
            coders,
            unit_names,
            units,
        })
    }

    fn column(&self, coder: usize) -> Labels {
        self.units.iter().map(|u| u[coder].clone()).collect()
    }

    /// Every figure researchers report, as a table (measure, coders, units, value, note):
    /// percent agreement and Krippendorff's alpha over all coders, and Cohen's kappa (with
    /// percent agreement, when there are more than two coders) for each pair.
    pub fn report(&self) -> Result<Table> {
        let mut rows: Vec<(String, String, usize, Option<f64>, String)> = Vec::new();
        let pairable = |min: usize| {
            self.units
                .iter()
                .filter(|u| u.iter().flatten().count() >= min)
                .count()
        };
        let all = self.coders.join(", ");
        let undefined = |what: &str| format!("undefined: {what} used a single label throughout");
        if self.coders.len() > 2 {
            rows.push((
                "percent agreement (mean over pairs)".into(),
                all.clone(),
                pairable(2),
                Some(percent_agreement(&self.units)?),
                String::new(),
            ));
        }
        for first in 0..self.coders.len() {
            for second in first + 1..self.coders.len() {
                let (a, b) = (self.column(first), self.column(second));
                let pair = format!("{}, {}", self.coders[first], self.coders[second]);
                let both = a.iter().zip(&b).filter(|(x, y)| x.is_some() && y.is_some());
                let units = both.count();
                if units == 0 {
                    rows.push((
                        "Cohen's kappa".into(),
                        pair,
                        0,
                        None,
                        "no unit labelled by both".into(),
                    ));
                    continue;
                }
                rows.push((
                    "percent agreement".into(),
                    pair.clone(),
                    units,
                    Some(percent_agreement_pair(&a, &b)?),
                    String::new(),
                ));
                let kappa = cohen_kappa(&a, &b)?;
                let note = if kappa.is_none() {
                    undefined("both coders")
                } else {
                    String::new()
                };
                rows.push(("Cohen's kappa".into(), pair, units, kappa, note));
            }
        }
        let alpha = krippendorff_alpha(&self.units)?;
        let note = if alpha.is_none() {
            undefined("all coders")
        } else {
            String::new()
        };
        rows.push((
            "Krippendorff's alpha (nominal)".into(),
            all,
            pairable(2),
            alpha,
            note,
        ));
        Table::new(vec![
            (
                "measure".into(),
                Values::Text(rows.iter().map(|r| Some(r.0.clone())).collect()),
            ),
            (
                "coders".into(),
                Values::Text(rows.iter().map(|r| Some(r.1.clone())).collect()),
            ),
            (
                "units".into(),
                Values::Integer(rows.iter().map(|r| Some(r.2 as i64)).collect()),
            ),
            (
                "value".into(),
                Values::Number(rows.iter().map(|r| r.3).collect()),
            ),
            (
                "note".into(),
                Values::Text(rows.iter().map(|r| Some(r.4.clone())).collect()),
            ),
        ])
        .map(|t| {
            t.with_title(format!(
                "Agreement of {} coders on {} units",
                self.coders.len(),
                self.units.len()
            ))
        })
    }
}

/// A column that looks like it names units rather than holding a coder's labels: a name
/// such as `id`, `item` or `extract`, or values that are all different and look like ids
/// (letters and digits, as `e01`).
fn unit_like_column(header: &[String], text: &str) -> Option<String> {
    const NAMES: &[&str] = &[
        "id",
        "ids",
        "item",
        "items",
        "extract",
        "extracts",
        "segment",
        "passage",
        "case",
        "document",
        "row",
        "question",
        "respondent",
        "participant",
        "unit_id",
        "unit id",
        "units",
        "key",
    ];
    let named = header.iter().find(|h| {
        let h = h.to_lowercase();
        NAMES.contains(&h.as_str()) || h.ends_with("_id") || h.ends_with(" id")
    });
    if let Some(name) = named {
        return Some(name.clone());
    }
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().filter_map(|r| r.ok()).collect();
    if rows.len() < 3 {
        return None;
    }
    header.iter().enumerate().find_map(|(i, name)| {
        let values: Vec<&str> = rows
            .iter()
            .map(|r| r.get(i).unwrap_or_default().trim())
            .collect();
        let distinct: std::collections::HashSet<&&str> = values.iter().collect();
        let id_like = values
            .iter()
            .all(|v| v.chars().any(|c| c.is_ascii_digit()) && v.chars().any(|c| c.is_alphabetic()));
        (distinct.len() == values.len() && id_like).then(|| name.clone())
    })
}
