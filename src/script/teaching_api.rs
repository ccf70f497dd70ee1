//! Rhai bindings for teaching and surveys: NoMAD scoring, and what `npt::explain` needs
//! from the session (the project opened last).

use std::collections::BTreeMap;
use std::path::PathBuf;

use rhai::plugin::*;
use rhai::{Engine, Map};

use super::annotate::AnnotatorRef;
use super::base::{Fallible, ProjectRef, fail};
use crate::analysis::table::Table;
use crate::teaching::exercise::Exercise;
use crate::teaching::nomad::Survey;

/// Answers from a script's map; () and empty answers count as not answered.
fn answers(map: Map) -> BTreeMap<String, String> {
    map.into_iter()
        .filter(|(_, v)| !v.is_unit())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A path as given if it exists from the working folder (or is absolute), else relative to
/// the project folder.
fn locate(project: &crate::project::Project, path: &str) -> PathBuf {
    let given = PathBuf::from(path);
    if given.is_absolute() || given.exists() {
        given
    } else {
        project.root().join(given)
    }
}

fn class_tables(ex: &Exercise, dir: &std::path::Path) -> Fallible<(Table, Option<Table>, Table)> {
    if !dir.exists() {
        return Err(fail(format!(
            "class: no submissions yet: {} does not exist; each student saves with ex.save(answers, \"name\")",
            dir.display()
        )));
    }
    let view = ex.class_view(dir).map_err(fail)?;
    ex.class_tables(&view).map_err(fail)
}

thread_local! {
    /// The coding workspaces opened in this session, by folder: the widget and `coded`
    /// share one open project, so what the widget stores is what `coded` reads.
    static WORKSPACES: std::cell::RefCell<BTreeMap<PathBuf, ProjectRef>> =
        const { std::cell::RefCell::new(BTreeMap::new()) };
}

fn workspace(ex: &Exercise) -> Fallible<ProjectRef> {
    let dir = ex.workspace_dir();
    if let Some(open) = WORKSPACES.with(|w| w.borrow().get(&dir).cloned()) {
        return Ok(open);
    }
    let study = crate::project::Project::open(&ex.root).map_err(fail)?;
    ex.ensure_workspace(&study).map_err(fail)?;
    let project = crate::project::Project::open(&dir).map_err(fail)?;
    let opened = ProjectRef {
        project: std::rc::Rc::new(std::cell::RefCell::new(project)),
        coder: String::new(),
        view: None,
    };
    WORKSPACES.with(|w| w.borrow_mut().insert(dir, opened.clone()));
    Ok(opened)
}

/// Copies a folder's files, leaving out the cache (`.qualkit/`) and a change's scratch files.
fn copy_folder(from: &std::path::Path, to: &std::path::Path) -> crate::Result<()> {
    std::fs::create_dir_all(to).map_err(|e| crate::Error::io(to, e))?;
    for entry in std::fs::read_dir(from).map_err(|e| crate::Error::io(from, e))? {
        let entry = entry.map_err(|e| crate::Error::io(from, e))?;
        let name = entry.file_name();
        let name_text = name.to_string_lossy();
        if name_text == ".qualkit" || name_text.contains(".qk-") {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_folder(&path, &to.join(&name))?;
        } else {
            std::fs::copy(&path, to.join(&name)).map_err(|e| crate::Error::io(&path, e))?;
        }
    }
    Ok(())
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
    ///
    /// ```rhai
    /// p.nomad("nomad.csv").scores().filter(|r| r.role == "receptionist")
    /// ```
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
    ///
    /// ```rhai
    /// p.nomad("nomad.csv").correlations()
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn correlations(n: &mut Nomad) -> Fallible<Table> {
        n.survey.correlations().map_err(fail)
    }

    /// Each item's construct, sub-construct, mean and missing answers.
    ///
    /// ```rhai
    /// p.nomad("nomad.csv").items().sort("missing", true)
    /// ```
    #[rhai_fn(name = "items", return_raw, pure)]
    pub fn nomad_items(n: &mut Nomad) -> Fallible<Table> {
        n.survey.items().map_err(fail)
    }

    /// Mean construct scores and general items by a survey column (`role`), `case`, or an
    /// attribute of the respondents' cases (`integration`).
    ///
    /// ```rhai
    /// let n = p.nomad("nomad.csv");
    /// n.by("role");
    /// n.by("integration").bars()
    /// ```
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

    /// Mean construct scores (1-5) by group, without the general items or respondent counts,
    /// so a chart of it has one scale: `n.scores_by("integration").bars()`.
    ///
    /// ```rhai
    /// p.nomad("nomad.csv").scores_by("integration").bars()
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn scores_by(n: &mut Nomad, attribute: &str) -> Fallible<Table> {
        let mut columns = vec![attribute.to_string()];
        columns.extend(
            crate::teaching::nomad::CONSTRUCTS
                .iter()
                .map(|(_, short)| short.to_string()),
        );
        by(n, attribute)?
            .select(&columns)
            .map(|t| {
                t.with_title(format!(
                    "NoMAD construct scores by {attribute}: mean of each construct's items (1 = strongly disagree, 5 = strongly agree)"
                ))
            })
            .map_err(fail)
    }

    /// Mean general items G1-G3 (0-10) by group: G1 how familiar the practice feels, G2
    /// whether it is a normal part of work now, G3 whether it will become one.
    ///
    /// ```rhai
    /// p.nomad("nomad.csv").general_by("integration").bars()
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn general_by(n: &mut Nomad, attribute: &str) -> Fallible<Table> {
        let mut columns = vec![attribute.to_string()];
        columns.extend(
            crate::teaching::nomad::GENERAL
                .iter()
                .map(|g| g.to_string()),
        );
        by(n, attribute)?
            .select(&columns)
            .map(|t| {
                t.with_title(format!(
                    "NoMAD general items by {attribute}: G1 familiar, G2 normal now, G3 will become normal (0-10)"
                ))
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
    /// description and parent), and opens it.
    ///
    /// ```rhai
    /// let study = new_project("my-study", "My study", npt::codebook());
    /// ```
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
        super::super::base::open_project(&dir.to_string_lossy())
    }

    /// A coding exercise: extracts (a CSV of id, document, quote and context; a path
    /// relative to the project folder or the working folder). A file with `construct` and
    /// `reason` columns carries its key; otherwise give the key with `p.exercise(extracts,
    /// key)`. Without a key students can read, code, save and compare answers, not check them.
    ///
    /// ```rhai
    /// let ex = p.exercise("exercises/npt-extracts.csv");
    /// ex.extracts()
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn exercise(p: &mut ProjectRef, path: &str) -> Fallible<Exercise> {
        let project = p.project.borrow();
        Exercise::load(&project, &locate(&project, path)).map_err(fail)
    }

    /// A coding exercise with its key kept in another file (columns id, construct,
    /// sub_construct, also, reason, note), so the students' folder need not hold it.
    ///
    /// ```rhai
    /// let ex = p.exercise("exercises/npt-extracts.csv", "teaching/keys/npt-extracts-key.csv");
    /// ex.check(#{e01: "coherence"})
    /// ```
    #[rhai_fn(name = "exercise", return_raw, pure)]
    pub fn exercise_with_key(p: &mut ProjectRef, path: &str, key: &str) -> Fallible<Exercise> {
        let project = p.project.borrow();
        Exercise::load(&project, &locate(&project, path))
            .and_then(|ex| ex.with_key(&project, &locate(&project, key)))
            .map_err(fail)
    }

    /// The extracts to code: id, case, phase, speaker, context and quote (never the key).
    ///
    /// ```rhai
    /// # let ex = p.exercise("exercises/npt-extracts.csv", "teaching/keys/npt-extracts-key.csv");
    /// ex.extracts()
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn extracts(ex: &mut Exercise) -> Fallible<Table> {
        ex.table().map_err(fail)
    }

    /// Compares answers (a map from extract id to a construct or sub-construct: a name, an
    /// id, an abbreviation such as CP, or "none" when no construct fits) with the key, item by
    /// item. Per extract: your answer as read, the key (only for extracts you answered), agree,
    /// defensible or differ, the sub-construct, what the sample's coders did where they
    /// differ, and the reason. A typo is read as the nearest name and said so; an answer that
    /// cannot be read gets a note and the others are still scored. Kappa shows from 10 answers.
    ///
    /// ```rhai
    /// # let ex = p.exercise("exercises/npt-extracts.csv", "teaching/keys/npt-extracts-key.csv");
    /// ex.check(#{e01: "coherance", e02: "individual specification", e03: "CP"})
    /// ```
    #[rhai_fn(name = "check", return_raw, pure)]
    pub fn check(ex: &mut Exercise, given: Map) -> Fallible<Table> {
        ex.check(&answers(given)).map(|f| f.extracts).map_err(fail)
    }

    /// The key's constructs (rows) by the constructs you chose (columns).
    ///
    /// ```rhai
    /// # let ex = p.exercise("exercises/npt-extracts.csv", "teaching/keys/npt-extracts-key.csv");
    /// ex.confusion(#{e01: "coherence", e02: "collective action"})
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn confusion(ex: &mut Exercise, given: Map) -> Fallible<Table> {
        ex.check(&answers(given)).map(|f| f.confusion).map_err(fail)
    }

    /// The figures of a check: `#{answered, agreed, defensible, unrecognised, percent,
    /// sub_named, sub_agreed, kappa}`; `kappa` is () below 10 answered extracts.
    ///
    /// ```rhai
    /// # let ex = p.exercise("exercises/npt-extracts.csv", "teaching/keys/npt-extracts-key.csv");
    /// ex.score(#{e01: "coherence"}).agreed
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn score(ex: &mut Exercise, given: Map) -> Fallible<Map> {
        let f = ex.check(&answers(given)).map_err(fail)?;
        let mut m = Map::new();
        for (name, n) in [
            ("answered", f.answered),
            ("agreed", f.agreed),
            ("defensible", f.defensible),
            ("unrecognised", f.unrecognised),
            ("sub_named", f.sub_named),
            ("sub_agreed", f.sub_agreed),
        ] {
            m.insert(name.into(), (n as i64).into());
        }
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

    /// Saves a student's answers for the class view, as
    /// `exercises/submissions/<exercise>/<student>.csv` in the project folder (replacing
    /// that student's earlier answers); returns the file. The answers are kept as written.
    ///
    /// ```rhai
    /// # let ex = p.exercise("exercises/npt-extracts.csv", "teaching/keys/npt-extracts-key.csv");
    /// ex.save(#{e01: "coherence", e02: "CP"}, "Sam")
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn save(ex: &mut Exercise, given: Map, student: &str) -> Fallible<String> {
        ex.save(&answers(given), student)
            .map(|p| p.display().to_string())
            .map_err(fail)
    }

    /// The class view from the saved submissions: per extract, how many answered, the most
    /// common construct and its share, Krippendorff's alpha for the extract (nominal, against
    /// the disagreement expected from the class's use of constructs over all extracts), the
    /// answers given, the key when loaded, and whether the class split. The title gives alpha
    /// over all extracts and the extracts the class split on.
    ///
    /// ```rhai
    /// # let ex = p.exercise("exercises/npt-extracts.csv", "teaching/keys/npt-extracts-key.csv");
    /// # ex.save(#{e01: "coherence", e02: "CP", e03: "coherence"}, "Sam");
    /// # ex.save(#{e01: "coherence", e02: "collective action", e03: "RM"}, "Ali");
    /// ex.class()
    /// ```
    #[rhai_fn(name = "class", return_raw, pure)]
    pub fn class(ex: &mut Exercise) -> Fallible<Table> {
        let dir = ex.submissions_dir();
        class_tables(ex, &dir).map(|t| t.0)
    }

    /// The class view from submissions collected in another folder (one CSV per student,
    /// columns extract and answer).
    ///
    /// ```rhai
    /// # let ex = p.exercise("exercises/npt-extracts.csv", "teaching/keys/npt-extracts-key.csv");
    /// # table([#{extract: "e01", answer: "coherence"}]).to_csv("collected/seminar-2/sam.csv");
    /// # table([#{extract: "e01", answer: "CP"}]).to_csv("collected/seminar-2/ali.csv");
    /// ex.class("collected/seminar-2")
    /// ```
    #[rhai_fn(name = "class", return_raw, pure)]
    pub fn class_from(ex: &mut Exercise, dir: &str) -> Fallible<Table> {
        class_tables(ex, &PathBuf::from(dir)).map(|t| t.0)
    }

    /// The key's constructs (rows) by the class's answers (columns), over every submission.
    ///
    /// ```rhai
    /// # let ex = p.exercise("exercises/npt-extracts.csv", "teaching/keys/npt-extracts-key.csv");
    /// # ex.save(#{e01: "coherence", e02: "CP", e03: "coherence"}, "Sam");
    /// # ex.save(#{e01: "coherence", e02: "collective action", e03: "RM"}, "Ali");
    /// ex.class_confusion()
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn class_confusion(ex: &mut Exercise) -> Fallible<Table> {
        let dir = ex.submissions_dir();
        class_tables(ex, &dir)?
            .1
            .ok_or_else(|| fail("class_confusion: the exercise has no key loaded; load it with p.exercise(extracts, key)"))
    }

    /// The extracts the class split on (the most common answer from fewer than two thirds of
    /// those who answered), with the answers given: the ones to talk through.
    ///
    /// ```rhai
    /// # let ex = p.exercise("exercises/npt-extracts.csv", "teaching/keys/npt-extracts-key.csv");
    /// # ex.save(#{e01: "coherence", e02: "CP", e03: "coherence"}, "Sam");
    /// # ex.save(#{e01: "coherence", e02: "collective action", e03: "RM"}, "Ali");
    /// ex.splits()
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn splits(ex: &mut Exercise) -> Fallible<Table> {
        let dir = ex.submissions_dir();
        class_tables(ex, &dir).map(|t| t.2)
    }

    /// Codes the extracts with the coding widget: select a quote (or the part of it that
    /// carries the work), pick a construct or sub-construct (or "No construct"), press Code.
    /// The codings are stored under `student` in the exercise's own small project
    /// (`exercises/<exercise>-workspace`), never in the study's codings; `ex.coded(student)`
    /// reads them back as answers for `check` and `save`.
    ///
    /// ```rhai
    /// # let ex = p.exercise("exercises/npt-extracts.csv", "teaching/keys/npt-extracts-key.csv");
    /// ex.annotate("Sam")
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn annotate(ex: &mut Exercise, student: &str) -> Fallible<AnnotatorRef> {
        let student = student.trim();
        crate::project::check_coder(student).map_err(fail)?;
        let workspace = workspace(ex)?;
        let mut p = workspace;
        p.coder = student.to_string();
        super::super::annotate::annotator(
            &p,
            crate::teaching::exercise::WORKSPACE_DOCUMENT,
            crate::render::document_view::ViewFilter {
                code: None,
                coder: Some(student.to_string()),
            },
        )
    }

    /// A student's codings from the coding widget, as answers: for each extract they coded,
    /// the code of the coding covering most of it.
    ///
    /// ```rhai
    /// # let ex = p.exercise("exercises/npt-extracts.csv", "teaching/keys/npt-extracts-key.csv");
    /// let mine = ex.coded("Sam");
    /// ex.check(mine)
    /// ```
    #[rhai_fn(return_raw, pure)]
    pub fn coded(ex: &mut Exercise, student: &str) -> Fallible<Map> {
        let workspace = workspace(ex)?;
        let project = workspace.project.borrow();
        Ok(ex
            .coded_answers(&project, student.trim())
            .map_err(fail)?
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect())
    }

    /// What an exercise holds: its name, how many extracts, whether its key is loaded.
    ///
    /// ```rhai
    /// print(p.exercise("exercises/npt-extracts.csv"))
    /// ```
    #[rhai_fn(name = "to_string", name = "to_debug", pure)]
    pub fn exercise_to_string(ex: &mut Exercise) -> String {
        format!(
            "Exercise `{}`: {} extracts{}; .extracts(), .check(answers), .save(answers, name), .class(), .annotate(name)",
            ex.name,
            ex.extracts.len(),
            if ex.has_key() {
                ", with its key"
            } else {
                ", no key loaded"
            }
        )
    }

    /// The project opened last in this session, or () when none is open yet.
    ///
    /// ```rhai
    /// let p = opened_project();
    /// if p != () { print(p.name); }
    /// ```
    pub fn opened_project() -> rhai::Dynamic {
        super::super::base::last_project().map_or(rhai::Dynamic::UNIT, rhai::Dynamic::from)
    }

    /// Copies a project folder (its plain files, not the cache) to a new folder of its own
    /// under the system's temporary folder and opens the copy: a lesson's changes (codings,
    /// classifications, exercise answers) stay in that copy, so notebooks and students do
    /// not see each other's. `npt::lesson_project(path)` calls it.
    ///
    /// ```rhai
    /// let p = project_copy("data/deep-end");
    /// p.name
    /// ```
    #[rhai_fn(return_raw)]
    pub fn project_copy(path: &str) -> Fallible<ProjectRef> {
        let source = PathBuf::from(path);
        if !source.join(crate::project::CONFIG_FILE).exists() {
            return Err(fail(format!(
                "project_copy: {} is not a project folder (it has no {})",
                source.display(),
                crate::project::CONFIG_FILE
            )));
        }
        let stem = source
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
            .unwrap_or_else(|| "project".into());
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "user".into());
        let id = crate::record::new_id();
        let target = std::env::temp_dir()
            .join("qualkit-lessons")
            .join(user)
            .join(format!("{stem}-{}", &id[..8]));
        copy_folder(&source, &target).map_err(fail)?;
        super::super::base::open_project(&target.to_string_lossy())
    }

    /// The project opened last in this session, for stdlib helpers such as `npt::explain`.
    ///
    /// ```rhai
    /// // A function cannot see the script's `p`; it asks for the project instead.
    /// fn passages(code) { current_project().find(code).rows }
    /// print(passages("theme.shared-learning"));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn current_project() -> Fallible<ProjectRef> {
        super::super::base::last_project()
            .ok_or_else(|| fail("no project is open yet; open one with project(\"folder\")"))
    }
}

pub(super) fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<Nomad>("Nomad")
        .register_type_with_name::<Exercise>("Exercise");
    engine.register_global_module(exported_module!(teaching_api).into());
}
