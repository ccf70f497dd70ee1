//! Rhai bindings for teaching and surveys: NoMAD scoring, and what `npt::explain` needs
//! from the session (the project opened last).

use std::collections::BTreeMap;
use std::path::PathBuf;

use rhai::plugin::*;
use rhai::{Engine, Map};

use super::api::{Fallible, ProjectRef, fail};
use crate::nomad::Survey;
use crate::table::Table;

/// A NoMAD survey, with the project whose cases the respondents belong to (if any).
#[derive(Clone)]
pub struct Nomad {
    survey: std::rc::Rc<Survey>,
    project: Option<ProjectRef>,
}

fn read(path: PathBuf, columns: Map) -> Fallible<Survey> {
    let columns: BTreeMap<String, String> = columns
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Survey::read_csv(&path, &columns).map_err(fail)
}

#[export_module]
pub mod teaching_api {
    use super::*;

    /// Reads NoMAD survey responses from a CSV file (a path relative to the project folder
    /// or absolute): one row per respondent with `case`, the items CO1-CO4, CP1-CP4,
    /// CA1-CA7, RM1-RM5 and G1-G3. Answers may be 1-5 or words ("strongly agree"...);
    /// "not relevant..." counts as missing; CA2 is reversed.
    ///
    /// ```rhai
    /// let n = p.nomad("nomad.csv");
    /// n.by("integration")
    /// ```
    #[rhai_fn(name = "nomad", return_raw, pure)]
    pub fn project_nomad(p: &mut ProjectRef, path: &str) -> Fallible<Nomad> {
        project_nomad_columns(p, path, Map::new())
    }

    /// As `nomad`, with columns named differently in the file: `#{CO1: "q1", case: "practice"}`.
    #[rhai_fn(name = "nomad", return_raw, pure)]
    pub fn project_nomad_columns(p: &mut ProjectRef, path: &str, columns: Map) -> Fallible<Nomad> {
        let given = PathBuf::from(path);
        let path = if given.is_absolute() || given.exists() {
            given
        } else {
            p.project.borrow().root().join(given)
        };
        Ok(Nomad {
            survey: std::rc::Rc::new(read(path, columns)?),
            project: Some(p.clone()),
        })
    }

    /// Reads NoMAD responses without a project (group them by the survey's own columns).
    #[rhai_fn(name = "nomad", return_raw)]
    pub fn nomad_file(path: &str) -> Fallible<Nomad> {
        Ok(Nomad {
            survey: std::rc::Rc::new(read(PathBuf::from(path), Map::new())?),
            project: None,
        })
    }

    /// Construct scores (mean of the items answered, 1-5) and general items per respondent.
    #[rhai_fn(return_raw, pure)]
    pub fn scores(n: &mut Nomad) -> Fallible<Table> {
        n.survey.scores().map_err(fail)
    }

    /// Cronbach's alpha of each construct's items.
    #[rhai_fn(return_raw, pure)]
    pub fn reliability(n: &mut Nomad) -> Fallible<Table> {
        n.survey.reliability().map_err(fail)
    }

    /// Each item's construct, sub-construct, mean and missing answers.
    #[rhai_fn(name = "items", return_raw, pure)]
    pub fn nomad_items(n: &mut Nomad) -> Fallible<Table> {
        n.survey.items().map_err(fail)
    }

    /// Mean construct scores and general items by a survey column (`role`), `case`, or an
    /// attribute of the respondents' cases (`integration`): `n.by("integration").bars()`.
    #[rhai_fn(return_raw, pure)]
    pub fn by(n: &mut Nomad, attribute: &str) -> Fallible<Table> {
        let survey = n.survey.clone();
        let in_survey = attribute == "case"
            || survey
                .responses
                .first()
                .is_some_and(|r| r.attributes.contains_key(attribute));
        if in_survey {
            return survey
                .by_group(attribute, |r| {
                    if attribute == "case" {
                        r.case.clone()
                    } else {
                        r.attributes.get(attribute).cloned().unwrap_or_default()
                    }
                })
                .map_err(fail);
        }
        let Some(p) = &n.project else {
            return Err(fail(format!("by: the survey has no column `{attribute}`")));
        };
        let project = p.project.borrow();
        if !project.cases.columns().iter().any(|(c, _)| c == attribute) {
            return Err(fail(format!(
                "by: `{attribute}` is neither a survey column nor a case attribute (cases.csv has: {})",
                project
                    .cases
                    .columns()
                    .iter()
                    .map(|(c, _)| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        survey
            .by_group(attribute, |r| {
                project
                    .cases
                    .get(&r.case)
                    .and_then(|c| c.attributes.get(attribute))
                    .map_or_else(|| crate::analysis::NONE.to_string(), |v| v.to_string())
            })
            .map_err(fail)
    }

    #[rhai_fn(name = "to_string", pure)]
    pub fn nomad_to_string(n: &mut Nomad) -> String {
        format!(
            "NoMAD survey: {} respondents; .scores(), .reliability(), .items(), .by(attribute)",
            n.survey.responses.len()
        )
    }

    /// The project opened last in this session, for stdlib helpers such as `npt::explain`.
    #[rhai_fn(return_raw)]
    pub fn current_project() -> Fallible<ProjectRef> {
        super::super::api::last_project()
            .ok_or_else(|| fail("no project is open yet; open one with project(\"folder\")"))
    }
}

pub(super) fn register(engine: &mut Engine) {
    engine.register_type_with_name::<Nomad>("Nomad");
    engine.register_global_module(exported_module!(teaching_api).into());
}
