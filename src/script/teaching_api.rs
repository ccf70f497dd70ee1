//! Rhai bindings for teaching and surveys: NoMAD scoring, and what `npt::explain` needs
//! from the session (the project opened last).

use std::collections::BTreeMap;
use std::path::PathBuf;

use rhai::plugin::*;
use rhai::{Engine, Map};

use super::api::{Fallible, ProjectRef, fail};
use crate::exercise::Exercise;
use crate::nomad::Survey;
use crate::table::Table;

fn answers(map: Map) -> BTreeMap<String, String> {
    map.into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A codebook.yaml text from a flat list of code maps (id, name, description, parent),
/// nested by parent, keys in the order people read them.
fn codebook_yaml(codes: &rhai::Array) -> Fallible<String> {
    use serde_norway::{Mapping, Value};
    struct Code {
        id: String,
        name: String,
        description: Option<String>,
        parent: Option<String>,
    }
    let mut flat = Vec::new();
    for code in codes {
        let map = code
            .read_lock::<Map>()
            .ok_or_else(|| fail("new_project: each code must be a map with id and name"))?;
        let get = |k: &str| map.get(k).filter(|v| !v.is_unit()).map(|v| v.to_string());
        let id = get("id").ok_or_else(|| fail("new_project: a code has no `id`"))?;
        flat.push(Code {
            name: get("name").unwrap_or_else(|| id.clone()),
            description: get("description").or_else(|| get("definition")),
            parent: get("parent"),
            id,
        });
    }
    fn nodes(flat: &[Code], parent: Option<&str>) -> Vec<Value> {
        flat.iter()
            .filter(|c| c.parent.as_deref() == parent)
            .map(|c| {
                let mut node = Mapping::new();
                node.insert("id".into(), c.id.clone().into());
                node.insert("name".into(), c.name.clone().into());
                if let Some(description) = &c.description {
                    node.insert("description".into(), description.clone().into());
                }
                let below = nodes(flat, Some(&c.id));
                if !below.is_empty() {
                    node.insert("children".into(), Value::Sequence(below));
                }
                Value::Mapping(node)
            })
            .collect()
    }
    let mut root = Mapping::new();
    root.insert("codes".into(), Value::Sequence(nodes(&flat, None)));
    serde_norway::to_string(&Value::Mapping(root)).map_err(fail)
}

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
    Survey::read(&path, &columns).map_err(fail)
}

#[export_module]
pub mod teaching_api {
    use super::*;

    /// Reads NoMAD survey responses from a CSV or .xlsx file (a path relative to the project folder
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

    /// Pearson's r between each construct score and each general item (G1 familiar, G2
    /// normal now, G3 will become normal).
    #[rhai_fn(return_raw, pure)]
    pub fn correlations(n: &mut Nomad) -> Fallible<Table> {
        n.survey.correlations().map_err(fail)
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
            "NoMAD survey: {} respondents; .scores(), .reliability(), .correlations(), .items(), .by(attribute)",
            n.survey.responses.len()
        )
    }

    /// Creates a project folder with a codebook from a list of codes (maps with id, name,
    /// description and parent), and opens it: `new_project("my-study", "My study", npt::codebook())`.
    #[rhai_fn(return_raw)]
    pub fn new_project(dir: &str, name: &str, codes: rhai::Array) -> Fallible<ProjectRef> {
        let yaml = codebook_yaml(&codes)?;
        let dir = std::path::Path::new(dir);
        let path = dir.join(crate::project::CODEBOOK_FILE);
        if path.exists() {
            return Err(fail(format!(
                "new_project: {} already exists; open the folder with project() instead",
                path.display()
            )));
        }
        crate::project::Project::create(dir, name, crate::project::StarterCodebook::Empty)
            .map_err(fail)?;
        crate::record::write(&path, yaml.as_bytes()).map_err(fail)?;
        super::super::api::project_api::project(&dir.to_string_lossy())
    }

    /// A coding exercise: extracts (a CSV of id, document, quote, construct, reason; a path
    /// relative to the project folder) with a reference coding.
    ///
    /// ```rhai
    /// let ex = p.exercise("exercises/npt-extracts.csv");
    /// ex.extracts()
    /// ex.check(#{e01: "coherence", e02: "collective action"})
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn exercise(p: &mut ProjectRef, path: &str) -> Fallible<Exercise> {
        let given = PathBuf::from(path);
        let project = p.project.borrow();
        let path = if given.is_absolute() || given.exists() {
            given
        } else {
            project.root().join(given)
        };
        Exercise::load(&project, &path).map_err(fail)
    }

    /// The extracts to code: id, case, speaker and quote.
    #[rhai_fn(return_raw, pure)]
    pub fn extracts(ex: &mut Exercise) -> Fallible<Table> {
        ex.table().map_err(fail)
    }

    /// Compares answers (a map from extract id to construct name or id) with the reference:
    /// a table of each extract (yours, the reference, agree or differ, the reason) headed by
    /// the agreement and Cohen's kappa. Extracts not yet answered are not counted as wrong.
    #[rhai_fn(name = "check", return_raw, pure)]
    pub fn check(ex: &mut Exercise, given: Map) -> Fallible<Table> {
        ex.check(&answers(given)).map(|f| f.extracts).map_err(fail)
    }

    /// Reference constructs (rows) by the constructs you chose (columns).
    #[rhai_fn(return_raw, pure)]
    pub fn confusion(ex: &mut Exercise, given: Map) -> Fallible<Table> {
        ex.check(&answers(given)).map(|f| f.confusion).map_err(fail)
    }

    /// The figures of a check: `#{answered, agreed, percent, kappa}`.
    #[rhai_fn(return_raw, pure)]
    pub fn score(ex: &mut Exercise, given: Map) -> Fallible<Map> {
        let f = ex.check(&answers(given)).map_err(fail)?;
        let mut m = Map::new();
        m.insert("answered".into(), (f.answered as i64).into());
        m.insert("agreed".into(), (f.agreed as i64).into());
        m.insert(
            "percent".into(),
            if f.answered == 0 {
                rhai::Dynamic::UNIT
            } else {
                (f.agreed as f64 * 100.0 / f.answered as f64).into()
            },
        );
        m.insert(
            "kappa".into(),
            f.kappa.map_or(rhai::Dynamic::UNIT, rhai::Dynamic::from),
        );
        Ok(m)
    }

    /// The project opened last in this session, for stdlib helpers such as `npt::explain`.
    #[rhai_fn(return_raw)]
    pub fn current_project() -> Fallible<ProjectRef> {
        super::super::api::last_project()
            .ok_or_else(|| fail("no project is open yet; open one with project(\"folder\")"))
    }
}

pub(super) fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<Nomad>("Nomad")
        .register_type_with_name::<Exercise>("Exercise");
    engine.register_global_module(exported_module!(teaching_api).into());
}
