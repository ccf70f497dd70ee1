//! NoMAD, the survey instrument built on Normalisation Process Theory: twenty construct items
//! answered on a five-point agreement scale (or "not relevant"), and three general items on
//! how normal the practice feels, scored 0 to 10. Scoring maps items to constructs and
//! sub-constructs, treats "not relevant" as missing, reverses the one negatively worded item,
//! and reports construct scores, Cronbach's alpha and the general items, by any attribute.

use std::collections::BTreeMap;
use std::path::Path;

use crate::analysis::table::{Table, Values};
use crate::error::{Error, Result};

/// One construct item: its column, construct, sub-construct, and whether agreeing means less
/// normalisation (scored in reverse).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    pub column: &'static str,
    pub construct: &'static str,
    pub sub_construct: &'static str,
    pub reversed: bool,
}

const fn item(column: &'static str, construct: &'static str, sub_construct: &'static str) -> Item {
    Item {
        column,
        construct,
        sub_construct,
        reversed: false,
    }
}

/// The twenty construct items in the instrument's order, with the codebook ids of their
/// constructs and sub-constructs.
pub const ITEMS: [Item; 20] = [
    item("CO1", "npt.coherence", "npt.coherence.differentiation"),
    item(
        "CO2",
        "npt.coherence",
        "npt.coherence.communal-specification",
    ),
    item(
        "CO3",
        "npt.coherence",
        "npt.coherence.individual-specification",
    ),
    item("CO4", "npt.coherence", "npt.coherence.internalisation"),
    item(
        "CP1",
        "npt.cognitive-participation",
        "npt.cognitive-participation.initiation",
    ),
    item(
        "CP2",
        "npt.cognitive-participation",
        "npt.cognitive-participation.legitimation",
    ),
    item(
        "CP3",
        "npt.cognitive-participation",
        "npt.cognitive-participation.enrolment",
    ),
    item(
        "CP4",
        "npt.cognitive-participation",
        "npt.cognitive-participation.activation",
    ),
    item(
        "CA1",
        "npt.collective-action",
        "npt.collective-action.interactional-workability",
    ),
    // "It disrupts working relationships": agreeing is the opposite of integration.
    Item {
        column: "CA2",
        construct: "npt.collective-action",
        sub_construct: "npt.collective-action.relational-integration",
        reversed: true,
    },
    item(
        "CA3",
        "npt.collective-action",
        "npt.collective-action.relational-integration",
    ),
    item(
        "CA4",
        "npt.collective-action",
        "npt.collective-action.skill-set-workability",
    ),
    item(
        "CA5",
        "npt.collective-action",
        "npt.collective-action.skill-set-workability",
    ),
    item(
        "CA6",
        "npt.collective-action",
        "npt.collective-action.contextual-integration",
    ),
    item(
        "CA7",
        "npt.collective-action",
        "npt.collective-action.contextual-integration",
    ),
    item(
        "RM1",
        "npt.reflexive-monitoring",
        "npt.reflexive-monitoring.systematisation",
    ),
    item(
        "RM2",
        "npt.reflexive-monitoring",
        "npt.reflexive-monitoring.communal-appraisal",
    ),
    item(
        "RM3",
        "npt.reflexive-monitoring",
        "npt.reflexive-monitoring.individual-appraisal",
    ),
    item(
        "RM4",
        "npt.reflexive-monitoring",
        "npt.reflexive-monitoring.reconfiguration",
    ),
    item(
        "RM5",
        "npt.reflexive-monitoring",
        "npt.reflexive-monitoring.reconfiguration",
    ),
];

/// The general items: how familiar it feels, whether it is normal now, whether it will be.
pub const GENERAL: [&str; 3] = ["G1", "G2", "G3"];

/// The constructs in order, with the short names used as column names.
pub const CONSTRUCTS: [(&str, &str); 4] = [
    ("npt.coherence", "coherence"),
    ("npt.cognitive-participation", "cognitive_participation"),
    ("npt.collective-action", "collective_action"),
    ("npt.reflexive-monitoring", "reflexive_monitoring"),
];

/// One respondent's answers: construct items on 1 (strongly disagree) to 5 (strongly agree)
/// after reversal, general items on 0 to 10; `None` where missing or not relevant.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub respondent: String,
    pub case: String,
    /// Other columns (role, phase...), to group by.
    pub attributes: BTreeMap<String, String>,
    pub items: [Option<f64>; 20],
    pub general: [Option<f64>; 3],
}

/// A scored survey.
#[derive(Debug, Clone)]
pub struct Survey {
    pub responses: Vec<Response>,
}

/// An agreement answer as 1..=5, `Ok(None)` for "not relevant" or blank.
fn agreement(raw: &str) -> std::result::Result<Option<f64>, String> {
    let answer = raw.trim().to_lowercase();
    if answer.is_empty() || answer.starts_with("not relevant") || answer == "na" || answer == "n/a"
    {
        return Ok(None);
    }
    let score = match answer.as_str() {
        "strongly agree" => 5.0,
        "agree" => 4.0,
        "neither agree nor disagree" | "neither" | "neutral" => 3.0,
        "disagree" => 2.0,
        "strongly disagree" => 1.0,
        number => match number.parse::<f64>() {
            Ok(n) if (1.0..=5.0).contains(&n) && n.fract() == 0.0 => n,
            _ => {
                return Err(format!(
                    "`{raw}` is not an answer on the agreement scale (1-5, \"strongly disagree\" to \"strongly agree\", or \"not relevant...\")"
                ));
            }
        },
    };
    Ok(Some(score))
}

fn general(raw: &str) -> std::result::Result<Option<f64>, String> {
    let answer = raw.trim();
    if answer.is_empty() || answer.to_lowercase().starts_with("not relevant") {
        return Ok(None);
    }
    match answer.parse::<f64>() {
        Ok(n) if (0.0..=10.0).contains(&n) => Ok(Some(n)),
        _ => Err(format!("`{raw}` is not a score from 0 to 10")),
    }
}

impl Survey {
    /// Reads responses from a CSV or Excel (.xlsx, first sheet) file with a header row:
    /// `respondent` (optional), `case`, the items CO1-CO4, CP1-CP4, CA1-CA7, RM1-RM5 and the
    /// general items G1-G3; other columns become attributes. `columns` renames: item name ->
    /// the file's column.
    pub fn read(path: &Path, columns: &BTreeMap<String, String>) -> Result<Survey> {
        let is_xlsx = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
        let (header, rows) = if is_xlsx {
            crate::ingest::spreadsheet::first_sheet(path, path)?
        } else {
            let file = crate::support::csv_table::CsvTable::read(path)?;
            (file.header, file.rows)
        };
        Self::from_rows(path, header, rows, columns)
    }

    fn from_rows(
        path: &Path,
        header: Vec<String>,
        rows: crate::ingest::spreadsheet::Rows,
        columns: &BTreeMap<String, String>,
    ) -> Result<Survey> {
        let column_of = |name: &str| -> Result<usize> {
            let wanted = columns.get(name).map_or(name, String::as_str);
            header
                .iter()
                .position(|h| h.eq_ignore_ascii_case(wanted))
                .ok_or_else(|| Error::MissingColumn {
                    path: path.to_path_buf(),
                    column: wanted.to_string(),
                    found: header.clone(),
                })
        };
        let case = column_of("case")?;
        let respondent = column_of("respondent").ok();
        let item_columns = ITEMS
            .iter()
            .map(|i| column_of(i.column))
            .collect::<Result<Vec<_>>>()?;
        let general_columns = GENERAL
            .iter()
            .map(|g| column_of(g))
            .collect::<Result<Vec<_>>>()?;
        let used: Vec<usize> = item_columns
            .iter()
            .chain(&general_columns)
            .copied()
            .chain([case])
            .chain(respondent)
            .collect();
        let mut responses = Vec::new();
        for (n, (line, record)) in rows.iter().enumerate() {
            let cell = |i: usize| record.get(i).map_or("", String::as_str);
            let located = |column: usize, message: String| Error::Csv {
                path: path.to_path_buf(),
                line: *line,
                message: format!("column `{}`: {message}", header[column]),
            };
            let mut items = [None; 20];
            for (k, (&column, spec)) in item_columns.iter().zip(ITEMS.iter()).enumerate() {
                let score = agreement(cell(column)).map_err(|m| located(column, m))?;
                items[k] = score.map(|s| if spec.reversed { 6.0 - s } else { s });
            }
            let mut general_scores = [None; 3];
            for (k, &column) in general_columns.iter().enumerate() {
                general_scores[k] = general(cell(column)).map_err(|m| located(column, m))?;
            }
            let attributes = header
                .iter()
                .enumerate()
                .filter(|(i, _)| !used.contains(i))
                .map(|(i, h)| (h.clone(), cell(i).to_string()))
                .collect();
            responses.push(Response {
                respondent: respondent
                    .map_or_else(|| format!("{}", n + 1), |i| cell(i).to_string()),
                case: cell(case).to_string(),
                attributes,
                items,
                general: general_scores,
            });
        }
        Ok(Survey { responses })
    }

    fn construct_items(construct: &str) -> Vec<usize> {
        ITEMS
            .iter()
            .enumerate()
            .filter(|(_, i)| i.construct == construct)
            .map(|(k, _)| k)
            .collect()
    }

    /// A respondent's score on a construct: the mean of the items answered, if at least
    /// half of them were.
    pub fn construct_score(response: &Response, construct: &str) -> Option<f64> {
        let items = Self::construct_items(construct);
        let answered: Vec<f64> = items.iter().filter_map(|&k| response.items[k]).collect();
        (answered.len() * 2 >= items.len())
            .then(|| answered.iter().sum::<f64>() / answered.len() as f64)
    }

    /// Cronbach's alpha of a construct's items over the respondents who answered all of
    /// them, and how many those were.
    pub fn cronbach_alpha(&self, construct: &str) -> (Option<f64>, usize) {
        let items = Self::construct_items(construct);
        let complete: Vec<Vec<f64>> = self
            .responses
            .iter()
            .filter_map(|r| {
                items
                    .iter()
                    .map(|&k| r.items[k])
                    .collect::<Option<Vec<f64>>>()
            })
            .collect();
        let k = items.len() as f64;
        let n = complete.len();
        if n < 2 || items.len() < 2 {
            return (None, n);
        }
        let variance = |values: &[f64]| {
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64
        };
        let item_variances: f64 = (0..items.len())
            .map(|j| variance(&complete.iter().map(|row| row[j]).collect::<Vec<_>>()))
            .sum();
        let totals: Vec<f64> = complete.iter().map(|row| row.iter().sum()).collect();
        let total_variance = variance(&totals);
        if total_variance == 0.0 {
            return (None, n);
        }
        (
            Some(k / (k - 1.0) * (1.0 - item_variances / total_variance)),
            n,
        )
    }

    /// One row per respondent: case, attributes, the four construct scores and the general
    /// items.
    pub fn scores(&self) -> Result<Table> {
        let text = |f: &dyn Fn(&Response) -> String| {
            Values::Text(self.responses.iter().map(|r| Some(f(r))).collect())
        };
        let mut columns = vec![
            ("respondent".to_string(), text(&|r| r.respondent.clone())),
            ("case".to_string(), text(&|r| r.case.clone())),
        ];
        let attribute_names: Vec<String> = self
            .responses
            .first()
            .map(|r| r.attributes.keys().cloned().collect())
            .unwrap_or_default();
        for name in attribute_names {
            columns.push((
                name.clone(),
                text(&|r| r.attributes.get(&name).cloned().unwrap_or_default()),
            ));
        }
        for (id, short) in CONSTRUCTS {
            columns.push((
                short.to_string(),
                Values::Number(
                    self.responses
                        .iter()
                        .map(|r| Self::construct_score(r, id))
                        .collect(),
                ),
            ));
        }
        for (k, name) in GENERAL.iter().enumerate() {
            columns.push((
                name.to_string(),
                Values::Number(self.responses.iter().map(|r| r.general[k]).collect()),
            ));
        }
        Ok(Table::new(columns)?
            .with_title("NoMAD scores by respondent (constructs 1-5, general items 0-10)"))
    }

    /// Cronbach's alpha per construct, with the number of items and complete respondents.
    pub fn reliability(&self) -> Result<Table> {
        // (construct, items, (alpha, complete respondents))
        type Row<'a> = (&'a str, usize, (Option<f64>, usize));
        let rows: Vec<Row> = CONSTRUCTS
            .iter()
            .map(|(id, short)| {
                (
                    *short,
                    Self::construct_items(id).len(),
                    self.cronbach_alpha(id),
                )
            })
            .collect();
        Table::new(vec![
            (
                "construct".into(),
                Values::Text(rows.iter().map(|r| Some(r.0.to_string())).collect()),
            ),
            (
                "items".into(),
                Values::Integer(rows.iter().map(|r| Some(r.1 as i64)).collect()),
            ),
            (
                "respondents".into(),
                Values::Integer(rows.iter().map(|r| Some(r.2.1 as i64)).collect()),
            ),
            (
                "alpha".into(),
                Values::Number(rows.iter().map(|r| r.2.0).collect()),
            ),
        ])
        .map(|t| {
            t.with_title("Cronbach's alpha (respondents who answered every item of the construct)")
        })
    }

    /// Mean construct scores and general items per group of respondents; `group_of` gives a
    /// respondent's group (a case attribute, a column of the survey).
    pub fn by_group(&self, label: &str, group_of: impl Fn(&Response) -> String) -> Result<Table> {
        let mut groups: Vec<String> = Vec::new();
        for r in &self.responses {
            let g = group_of(r);
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
        let members = |g: &String| -> Vec<&Response> {
            self.responses
                .iter()
                .filter(|r| group_of(r) == *g)
                .collect()
        };
        let mean = |values: Vec<f64>| {
            (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
        };
        let mut columns = vec![
            (
                label.to_string(),
                Values::Text(groups.iter().cloned().map(Some).collect()),
            ),
            (
                "respondents".to_string(),
                Values::Integer(
                    groups
                        .iter()
                        .map(|g| Some(members(g).len() as i64))
                        .collect(),
                ),
            ),
        ];
        for (id, short) in CONSTRUCTS {
            columns.push((
                short.to_string(),
                Values::Number(
                    groups
                        .iter()
                        .map(|g| {
                            mean(
                                members(g)
                                    .iter()
                                    .filter_map(|r| Self::construct_score(r, id))
                                    .collect(),
                            )
                        })
                        .collect(),
                ),
            ));
        }
        for (k, name) in GENERAL.iter().enumerate() {
            columns.push((
                name.to_string(),
                Values::Number(
                    groups
                        .iter()
                        .map(|g| mean(members(g).iter().filter_map(|r| r.general[k]).collect()))
                        .collect(),
                ),
            ));
        }
        Ok(Table::new(columns)?.with_title(format!(
            "NoMAD by {label}: mean construct scores (1-5) and general items (0-10)"
        )))
    }

    /// Pearson's correlation of each construct score with each general item, over the
    /// respondents who have both: do those who score a construct higher also feel the
    /// practice is more normal?
    pub fn correlations(&self) -> Result<Table> {
        let pearson = |pairs: &[(f64, f64)]| -> Option<f64> {
            let n = pairs.len() as f64;
            if pairs.len() < 3 {
                return None;
            }
            let (mx, my) = (
                pairs.iter().map(|p| p.0).sum::<f64>() / n,
                pairs.iter().map(|p| p.1).sum::<f64>() / n,
            );
            let sxy: f64 = pairs.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
            let sxx: f64 = pairs.iter().map(|(x, _)| (x - mx).powi(2)).sum();
            let syy: f64 = pairs.iter().map(|(_, y)| (y - my).powi(2)).sum();
            (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
        };
        let mut columns = vec![(
            "construct".to_string(),
            Values::Text(
                CONSTRUCTS
                    .iter()
                    .map(|(_, short)| Some(short.to_string()))
                    .collect(),
            ),
        )];
        for (k, name) in GENERAL.iter().enumerate() {
            columns.push((
                name.to_string(),
                Values::Number(
                    CONSTRUCTS
                        .iter()
                        .map(|(id, _)| {
                            let pairs: Vec<(f64, f64)> = self
                                .responses
                                .iter()
                                .filter_map(|r| {
                                    Some((Self::construct_score(r, id)?, r.general[k]?))
                                })
                                .collect();
                            pearson(&pairs)
                        })
                        .collect(),
                ),
            ));
        }
        Ok(Table::new(columns)?.with_title(
            "Correlation (Pearson's r) of construct scores with the general items: G1 familiar, G2 normal now, G3 will become normal",
        ))
    }

    /// Per item: construct, sub-construct, mean (after reversal), answers and "not relevant"
    /// or blank answers.
    pub fn items(&self) -> Result<Table> {
        let column = |f: &dyn Fn(usize, &Item) -> Option<String>| {
            Values::Text(ITEMS.iter().enumerate().map(|(k, i)| f(k, i)).collect())
        };
        let answered = |k: usize| {
            self.responses
                .iter()
                .filter_map(|r| r.items[k])
                .collect::<Vec<_>>()
        };
        Table::new(vec![
            ("item".into(), column(&|_, i| Some(i.column.to_string()))),
            (
                "construct".into(),
                column(&|_, i| Some(i.construct.to_string())),
            ),
            (
                "sub_construct".into(),
                column(&|_, i| Some(i.sub_construct.to_string())),
            ),
            (
                "reversed".into(),
                Values::Boolean(ITEMS.iter().map(|i| Some(i.reversed)).collect()),
            ),
            (
                "mean".into(),
                Values::Number(
                    (0..ITEMS.len())
                        .map(|k| {
                            let a = answered(k);
                            (!a.is_empty()).then(|| a.iter().sum::<f64>() / a.len() as f64)
                        })
                        .collect(),
                ),
            ),
            (
                "answers".into(),
                Values::Integer(
                    (0..ITEMS.len())
                        .map(|k| Some(answered(k).len() as i64))
                        .collect(),
                ),
            ),
            (
                "missing".into(),
                Values::Integer(
                    (0..ITEMS.len())
                        .map(|k| Some((self.responses.len() - answered(k).len()) as i64))
                        .collect(),
                ),
            ),
        ])
        .map(|t| t.with_title("NoMAD items (the negatively worded item reversed)"))
    }
}
