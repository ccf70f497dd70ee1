//! Cases and their attributes, from `cases.csv`: one row per case, first column `case`.
//! Attribute types are inferred per column (integer, number, boolean, else text) so that
//! comparisons and groupings treat `5130` as a number and `true` as a boolean.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Integer(i64),
    Number(f64),
    Boolean(bool),
    Text(String),
    Missing,
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Integer(i) => write!(f, "{i}"),
            Value::Number(x) => write!(f, "{x}"),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::Text(s) => f.write_str(s),
            Value::Missing => Ok(()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    Integer,
    Number,
    Boolean,
    Text,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub attributes: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default)]
pub struct Cases {
    cases: Vec<Case>,
    /// Attribute names in file order, with their inferred types.
    columns: Vec<(String, ValueType)>,
}

impl Cases {
    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::support::text::read_text(path)?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        crate::support::text::check_csv_quotes(path, text)?;
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let csv_error = |e| crate::support::text::csv_error(path, e);
        let header = crate::support::text::csv_header(&mut reader, path)?;
        if !header
            .first()
            .is_some_and(|h| h.eq_ignore_ascii_case("case"))
        {
            return Err(Error::MissingColumn {
                path: path.to_path_buf(),
                column: "case (as the first column)".into(),
                found: header,
            });
        }
        let mut rows: Vec<(u64, Vec<String>)> = Vec::new();
        for record in reader.records() {
            let record = record.map_err(csv_error)?;
            let line = record.position().map_or(0, |p| p.line());
            rows.push((line, record.iter().map(|s| s.trim().to_string()).collect()));
        }
        let columns: Vec<(String, ValueType)> = header[1..]
            .iter()
            .enumerate()
            .map(|(i, name)| {
                (
                    name.clone(),
                    infer(rows.iter().map(|(_, r)| r[i + 1].as_str())),
                )
            })
            .collect();
        let mut cases: Vec<Case> = Vec::new();
        for (line, row) in rows {
            let name = row[0].clone();
            if name.is_empty() {
                return Err(Error::Csv {
                    path: path.to_path_buf(),
                    line,
                    message: "empty case name".into(),
                });
            }
            if cases.iter().any(|c| c.name == name) {
                return Err(Error::Csv {
                    path: path.to_path_buf(),
                    line,
                    message: format!("case `{name}` is listed twice"),
                });
            }
            let attributes = columns
                .iter()
                .zip(&row[1..])
                .map(|((column, ty), raw)| (column.clone(), parse_value(raw, *ty)))
                .collect();
            cases.push(Case { name, attributes });
        }
        Ok(Cases { cases, columns })
    }

    pub fn iter(&self) -> impl Iterator<Item = &Case> {
        self.cases.iter()
    }

    pub fn len(&self) -> usize {
        self.cases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<&Case> {
        self.cases.iter().find(|c| c.name == name)
    }

    pub fn names(&self) -> Vec<String> {
        self.cases.iter().map(|c| c.name.clone()).collect()
    }

    pub fn columns(&self) -> &[(String, ValueType)] {
        &self.columns
    }

    /// Removes an attribute a classification added, from every case.
    pub fn remove_attribute(&mut self, attribute: &str) {
        self.columns.retain(|(name, _)| name != attribute);
        for case in &mut self.cases {
            case.attributes.remove(attribute);
        }
    }

    /// Sets an attribute for every case at once (a classification), replacing any earlier
    /// values; cases not listed get no value. The type is inferred as for cases.csv.
    pub fn set_attribute(&mut self, attribute: &str, values: &[(String, String)]) {
        let ty = infer(values.iter().map(|(_, v)| v.as_str()));
        self.columns.retain(|(name, _)| name != attribute);
        self.columns.push((attribute.to_string(), ty));
        for case in &mut self.cases {
            let value = values
                .iter()
                .find(|(name, _)| *name == case.name)
                .map_or(Value::Missing, |(_, raw)| parse_value(raw, ty));
            case.attributes.insert(attribute.to_string(), value);
        }
    }
}

fn infer<'a>(values: impl Iterator<Item = &'a str> + Clone) -> ValueType {
    let present = values.filter(|v| !v.is_empty());
    if present.clone().all(|v| v.parse::<i64>().is_ok()) {
        ValueType::Integer
    } else if present.clone().all(|v| v.parse::<f64>().is_ok()) {
        ValueType::Number
    } else if present.clone().all(|v| parse_bool(v).is_some()) {
        ValueType::Boolean
    } else {
        ValueType::Text
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" => Some(true),
        "false" | "no" => Some(false),
        _ => None,
    }
}

fn parse_value(raw: &str, ty: ValueType) -> Value {
    if raw.is_empty() {
        return Value::Missing;
    }
    match ty {
        ValueType::Integer => raw.parse().map_or(Value::Missing, Value::Integer),
        ValueType::Number => raw.parse().map_or(Value::Missing, Value::Number),
        ValueType::Boolean => parse_bool(raw).map_or(Value::Missing, Value::Boolean),
        ValueType::Text => Value::Text(raw.to_string()),
    }
}
