//! Rhai bindings for intercoder agreement: span agreement of two coders, their
//! disagreements, merging coders into a consensus, and agreement on labelled units. Each
//! `///` comment is the help text users see.

use rhai::plugin::*;
use rhai::{Array, Dynamic, Engine, Map};

use super::base::{Fallible, ProjectRef, fail, strings};
use crate::agreement::{
    Breakdown, Labels, Level, MergeRule, Ratings, SpanComparison, cohen_kappa, krippendorff_alpha,
    percent_agreement, percent_agreement_pair,
};
use crate::analysis::table::Table;

/// Codes given as one code, or a list of codes (or of maps with `id`, as `npt::constructs()`).
fn codes_of(value: &Dynamic, function: &str) -> Fallible<Vec<String>> {
    if let Some(code) = value.read_lock::<rhai::ImmutableString>() {
        return Ok(vec![code.to_string()]);
    }
    if let Some(list) = value.read_lock::<Array>() {
        return strings(&list, function);
    }
    Err(fail(format!(
        "{function}: codes must be a code or a list of codes, found {}",
        value.type_name()
    )))
}

/// What `agreement` was asked for in its options map.
struct Request {
    codes: Option<Vec<String>>,
    by: Breakdown,
    level: Level,
}

fn request(options: &Dynamic) -> Fallible<Request> {
    let Some(map) = options.read_lock::<Map>() else {
        return Ok(Request {
            codes: Some(codes_of(options, "agreement")?),
            by: Breakdown::Code,
            level: Level::Character,
        });
    };
    let text = |key: &str, default: &str| -> Fallible<String> {
        match map.get(key) {
            None => Ok(default.to_string()),
            Some(v) => v
                .clone()
                .into_string()
                .map_err(|t| fail(format!("agreement: `{key}` must be text, found {t}"))),
        }
    };
    for key in map.keys() {
        if !["codes", "by", "unit", "min_overlap"].contains(&key.as_str()) {
            return Err(fail(format!(
                "agreement: unknown option `{key}`; use codes, by, unit, min_overlap"
            )));
        }
    }
    let min_overlap = match map.get("min_overlap") {
        None => 0.0,
        Some(v) => v
            .as_float()
            .or_else(|_| v.as_int().map(|i| i as f64))
            .map_err(|t| {
                fail(format!(
                    "agreement: `min_overlap` must be a number, found {t}"
                ))
            })?,
    };
    Ok(Request {
        codes: map
            .get("codes")
            .map(|c| codes_of(c, "agreement"))
            .transpose()?,
        by: text("by", "code")?.parse().map_err(fail)?,
        level: Level::parse(&text("unit", "character")?, min_overlap).map_err(fail)?,
    })
}

fn compare<T>(
    p: &ProjectRef,
    first: &str,
    second: &str,
    work: impl FnOnce(&SpanComparison) -> crate::error::Result<T>,
) -> Fallible<T> {
    let project = p.project.borrow();
    let comparison = SpanComparison::new(&project, first, second).map_err(fail)?;
    work(&comparison).map_err(fail)
}

/// A label as agreement compares it: its text; `()` is a missing label.
fn label(value: &Dynamic) -> Option<String> {
    (!value.is_unit()).then(|| value.to_string())
}

fn labels(values: &Array) -> Labels {
    values.iter().map(label).collect()
}

/// Units given as a list of lists: one inner list per unit, one label per coder.
fn units_of(units: &Array, function: &str) -> Fallible<Vec<Labels>> {
    units
        .iter()
        .enumerate()
        .map(|(i, unit)| {
            unit.read_lock::<Array>()
                .map(|labels_of_unit| labels(&labels_of_unit))
                .ok_or_else(|| {
                    fail(format!(
                        "{function}: unit {} is {}, not a list of labels (one per coder)",
                        i + 1,
                        unit.type_name()
                    ))
                })
        })
        .collect()
}

fn number_or_unit(value: Option<f64>) -> Dynamic {
    value.map_or(Dynamic::UNIT, Dynamic::from)
}

#[export_module]
pub mod agreement_api {
    use super::*;

    // ---- span coding ----

    /// Character-level agreement of two coders on every code either applied, as NVivo's
    /// coding comparison counts it: per code, the characters both, one or neither coded,
    /// percent agreement and Cohen's kappa, averaged over the documents in which either
    /// applied the code (weighted by length), and an overall row.
    ///
    /// ```rhai
    /// p.agreement("ak", "rb")
    /// ```
    #[rhai_fn(name = "agreement", return_raw, pure)]
    pub fn agreement(p: &mut ProjectRef, first: &str, second: &str) -> Fallible<Table> {
        compare(p, first, second, |c| {
            c.table(&c.codes_applied(), Breakdown::Code, Level::Character)
        })
    }

    /// Agreement on chosen codes, or with options. The third argument is a code, a list of
    /// codes (each counts with the codes below it), or a map of options:
    /// `codes`, `by` ("code" or "document": one row per code and document), `unit`
    /// ("character" or "segment": coded stretches, agreed when both coders coded part of
    /// them) and `min_overlap` (0-1: the share of a segment both must have coded).
    ///
    /// ```rhai
    /// p.agreement("ak", "rb", "npt.coherence");
    /// p.agreement("ak", "rb", npt::constructs());
    /// p.agreement("ak", "rb", #{codes: "npt.coherence", by: "document", unit: "segment"});
    /// ```
    #[rhai_fn(name = "agreement", return_raw, pure)]
    pub fn agreement_with(
        p: &mut ProjectRef,
        first: &str,
        second: &str,
        options: Dynamic,
    ) -> Fallible<Table> {
        let request = request(&options)?;
        compare(p, first, second, |c| {
            let codes = c.resolve_codes(request.codes.as_deref())?;
            c.table(&codes, request.by, request.level)
        })
    }

    /// The stretches two coders disagree on, for every code either applied: code,
    /// document, start, end, characters, who coded it and who did not, its text, and what
    /// each coder coded around it, so a team can discuss and settle them.
    ///
    /// ```rhai
    /// p.disagreements("ak", "rb").to_csv("disagreements.csv");
    /// ```
    #[rhai_fn(name = "disagreements", return_raw, pure)]
    pub fn disagreements(p: &mut ProjectRef, first: &str, second: &str) -> Fallible<Table> {
        compare(p, first, second, |c| {
            c.disagreements(&c.codes_applied(), None)
        })
    }

    /// Disagreements on a code (with the codes below it) or a list of codes.
    ///
    /// ```rhai
    /// p.disagreements("ak", "rb", "npt.coherence")
    /// ```
    #[rhai_fn(name = "disagreements", return_raw, pure)]
    pub fn disagreements_on(
        p: &mut ProjectRef,
        first: &str,
        second: &str,
        codes: Dynamic,
    ) -> Fallible<Table> {
        let codes = codes_of(&codes, "disagreements")?;
        compare(p, first, second, |c| {
            let codes = c.resolve_codes(Some(&codes))?;
            c.disagreements(&codes, None)
        })
    }

    /// Disagreements on codes in one document.
    ///
    /// ```rhai
    /// p.disagreements("ak", "rb", "npt.coherence", "amber-p1-focus-group")
    /// ```
    #[rhai_fn(name = "disagreements", return_raw, pure)]
    pub fn disagreements_in(
        p: &mut ProjectRef,
        first: &str,
        second: &str,
        codes: Dynamic,
        document: &str,
    ) -> Fallible<Table> {
        let codes = codes_of(&codes, "disagreements")?;
        compare(p, first, second, |c| {
            let codes = c.resolve_codes(Some(&codes))?;
            c.disagreements(&codes, Some(document))
        })
    }

    /// Merges coders' codings into one consensus coder, code by code: `"union"` keeps text
    /// any of them coded, `"intersection"` text all coded, `"majority"` text more than half
    /// coded. One transaction, logged under `p.coder`. Refuses if the consensus coder
    /// already has codings. Returns `#{added, replaced, audit}`.
    ///
    /// ```rhai
    /// p.merge_coders(["ak", "rb"], "consensus", "union")
    /// ```
    #[rhai_fn(name = "merge_coders", return_raw, pure)]
    pub fn merge_coders(
        p: &mut ProjectRef,
        coders: Array,
        into: &str,
        rule: &str,
    ) -> Fallible<Map> {
        merge(p, coders, into, rule, false)
    }

    /// Merges coders into a consensus coder; with `replace` true, the consensus coder's
    /// earlier codings are replaced (the audit log keeps them).
    ///
    /// ```rhai
    /// p.merge_coders(["ak", "rb"], "consensus", "intersection", true)
    /// ```
    #[rhai_fn(name = "merge_coders", return_raw, pure)]
    pub fn merge_coders_replacing(
        p: &mut ProjectRef,
        coders: Array,
        into: &str,
        rule: &str,
        replace: bool,
    ) -> Fallible<Map> {
        merge(p, coders, into, rule, replace)
    }

    // ---- labelled units ----

    /// Cohen's kappa of two coders' labels, one per unit (`()` for none; units either left
    /// blank are left out). `()` when kappa is undefined: both used one label throughout.
    ///
    /// ```rhai
    /// kappa(["yes", "no", "yes", "yes"], ["yes", "no", "no", "yes"])  // 0.5
    /// ```
    #[rhai_fn(return_raw)]
    pub fn kappa(first: Array, second: Array) -> Fallible<Dynamic> {
        cohen_kappa(&labels(&first), &labels(&second))
            .map(number_or_unit)
            .map_err(fail)
    }

    /// Krippendorff's alpha (nominal) of any number of coders: one list per unit, one label
    /// per coder, `()` where a coder gave none. Units with fewer than two labels drop out.
    /// `()` when alpha is undefined: every label given is the same.
    ///
    /// ```rhai
    /// alpha([["a", "a", ()], ["b", "b", "b"], ["a", "b", "a"]])
    /// ```
    #[rhai_fn(return_raw)]
    pub fn alpha(units: Array) -> Fallible<Dynamic> {
        krippendorff_alpha(&units_of(&units, "alpha")?)
            .map(number_or_unit)
            .map_err(fail)
    }

    /// Percent (0-100) of units on which two coders gave the same label, among units both
    /// labelled.
    ///
    /// ```rhai
    /// percent_agreement(["yes", "no", "yes"], ["yes", "no", "no"])  // 66.67
    /// ```
    #[rhai_fn(name = "percent_agreement", return_raw)]
    pub fn percent_agreement_of_two(first: Array, second: Array) -> Fallible<f64> {
        percent_agreement_pair(&labels(&first), &labels(&second)).map_err(fail)
    }

    /// Percent agreement of any number of coders (one list per unit, one label per coder):
    /// the mean of every pair's percent agreement.
    ///
    /// ```rhai
    /// percent_agreement([["a", "a", "b"], ["b", "b", "b"]])
    /// ```
    #[rhai_fn(name = "percent_agreement", return_raw)]
    pub fn percent_agreement_of_units(units: Array) -> Fallible<f64> {
        percent_agreement(&units_of(&units, "percent_agreement")?).map_err(fail)
    }

    /// Every agreement figure for labelled units, as a table: percent agreement and Cohen's
    /// kappa per pair of coders, Krippendorff's alpha over all. Give a CSV file (one row per
    /// unit, one column per coder, an optional `unit` column, empty cells missing) or a list
    /// of units.
    ///
    /// ```rhai
    /// # table([#{unit: "u1", ak: "yes", rb: "yes"}, #{unit: "u2", ak: "no", rb: "yes"},
    /// #     #{unit: "u3", ak: "no", rb: "no"}]).to_csv("ratings.csv");
    /// reliability("ratings.csv")
    /// ```
    #[rhai_fn(name = "reliability", return_raw)]
    pub fn reliability(source: Dynamic) -> Fallible<Table> {
        let ratings = if let Some(path) = source.read_lock::<rhai::ImmutableString>() {
            Ratings::read_csv(std::path::Path::new(path.as_str()), None, &[]).map_err(fail)?
        } else if let Some(units) = source.read_lock::<Array>() {
            Ratings::from_units(units_of(&units, "reliability")?).map_err(fail)?
        } else {
            return Err(fail(format!(
                "reliability: give a CSV file name or a list of units, not {}",
                source.type_name()
            )));
        };
        ratings.report().map_err(fail)
    }

    /// Agreement figures from a CSV file whose units are named by `unit_column`; `""` when
    /// every column is a coder.
    ///
    /// ```rhai
    /// # table([#{extract: "e01", sam: "coherence", ali: "coherence", jo: "reflexive monitoring"},
    /// #     #{extract: "e02", sam: "cognitive participation", ali: "collective action", jo: ""}])
    /// #     .to_csv("class-answers.csv");
    /// reliability("class-answers.csv", "extract")
    /// ```
    #[rhai_fn(name = "reliability", return_raw)]
    pub fn reliability_with_units(path: &str, unit_column: &str) -> Fallible<Table> {
        Ratings::read_csv(std::path::Path::new(path), Some(unit_column), &[])
            .and_then(|r| r.report())
            .map_err(fail)
    }
}

fn merge(p: &ProjectRef, coders: Array, into: &str, rule: &str, replace: bool) -> Fallible<Map> {
    let coders = strings(&coders, "merge_coders")?;
    let rule: MergeRule = rule.parse().map_err(fail)?;
    let report = p
        .project
        .borrow_mut()
        .merge_coders(&p.coder, &coders, into, rule, replace)
        .map_err(fail)?;
    let mut out = Map::new();
    out.insert("added".into(), (report.added as i64).into());
    out.insert("replaced".into(), (report.replaced as i64).into());
    out.insert("audit".into(), report.entry.clone().into());
    Ok(out)
}

pub(super) fn register(engine: &mut Engine) {
    engine.register_global_module(exported_module!(agreement_api).into());
}
