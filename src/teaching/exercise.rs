//! Coding exercises for teaching: students code a set of extracts to constructs and get
//! feedback, item by item, against a key kept apart from the extracts: whether the construct
//! agrees, is another defensible answer, or differs; the sub-construct; what the sample's own
//! coders did; and agreement figures once there are enough answers for them to mean something.
//! A class saves its answers to a submissions folder and compares them (Krippendorff's alpha
//! per extract, a confusion table, the extracts the class split on).
//!
//! Answers are read forgivingly: construct or sub-construct names and ids in any case, the
//! usual abbreviations (C/CO, CP, CA, RM), the 2022 coding manual's terms, and small typos,
//! which are read as the nearest name and said so. What cannot be read is reported on its
//! row, with the nearest names, and the other answers are still scored.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::analysis::table::{Table, Values};
use crate::coding::{Span, resolve};
use crate::error::{Error, Result};
use crate::project::Project;
use crate::support::csv_table::{CsvTable, cell};

/// Below this many answered extracts no kappa is shown: one extract more or less moves it by
/// more than a tenth, so a figure would say more than the answers can.
pub const MIN_ANSWERS_FOR_KAPPA: usize = 10;

/// The class's most common answer for an extract must be given by at least this share of
/// those who answered it; below it the class split.
pub const SPLIT_BELOW: f64 = 2.0 / 3.0;

/// What an answer is read as when no construct fits.
pub const NO_CONSTRUCT: &str = "none";
const NO_CONSTRUCT_NAME: &str = "No construct";

/// One extract: where it comes from, what surrounds it, and its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Extract {
    pub id: String,
    pub document: String,
    pub case: String,
    pub phase: String,
    pub speaker: String,
    /// Two or three sentences on the setting, written for the exercise.
    pub context: String,
    pub quote: String,
    /// Where the quote is in its document (code points, end exclusive).
    pub start: usize,
    pub end: usize,
}

/// The key's answer for one extract.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// Code id of the construct, or [`NO_CONSTRUCT`].
    pub construct: String,
    /// Code id of the sub-construct, when the key names one.
    pub sub_construct: Option<String>,
    /// Other constructs (ids, or [`NO_CONSTRUCT`]) that can be defended.
    pub also: Vec<String>,
    pub reason: String,
    /// Why the extract is contested, for the instructor and for a student who answered it.
    pub note: String,
}

/// A construct an answer may name, with its sub-constructs (id, name).
#[derive(Debug, Clone)]
struct Construct {
    id: String,
    name: String,
    subs: Vec<(String, String)>,
}

/// A name an answer may use, in the form answers are compared in, with what it means: the
/// construct id and the sub-construct id.
type Name = (String, String, Option<String>);

/// How one answer was read.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// A construct (id or [`NO_CONSTRUCT`]), with the sub-construct named, if any, and a note
    /// when the answer was read as the nearest name.
    Construct {
        construct: String,
        sub_construct: Option<String>,
        note: Option<String>,
    },
    /// Not a construct; the nearest names, if any are close.
    Unknown { nearest: Vec<String> },
}

/// A set of extracts, the constructs they are coded to, and (when given) the key.
#[derive(Debug, Clone)]
pub struct Exercise {
    /// The extracts file's stem: names the submissions folder and the coding workspace.
    pub name: String,
    pub extracts: Vec<Extract>,
    key: Option<BTreeMap<String, Reference>>,
    constructs: Vec<Construct>,
    /// Per extract, each coder of the project with the codes they put on the quote.
    coded: BTreeMap<String, Vec<(String, Vec<String>)>>,
    /// The project folder.
    pub root: PathBuf,
}

/// How a student's answers compare with the key.
#[derive(Debug, Clone)]
pub struct Feedback {
    /// Per extract: the answer as read, the key's construct, the result, the sub-construct,
    /// the sample's coders and the reason; the key shows only where an answer was given.
    pub extracts: Table,
    /// Key constructs (rows) by the student's (columns).
    pub confusion: Table,
    pub answered: usize,
    /// Answers that could not be read as a construct.
    pub unrecognised: usize,
    /// Answers whose construct is the key's.
    pub agreed: usize,
    /// Answers whose construct is another the key accepts.
    pub defensible: usize,
    /// Answers naming a sub-construct, and those agreeing with the key's sub-construct.
    pub sub_named: usize,
    pub sub_agreed: usize,
    /// Cohen's kappa against the key, once [`MIN_ANSWERS_FOR_KAPPA`] extracts are answered.
    pub kappa: Option<f64>,
}

/// Landis and Koch's words for a kappa, as students will meet them in papers.
fn strength(kappa: f64) -> &'static str {
    match kappa {
        k if k < 0.0 => "poor",
        k if k <= 0.20 => "slight",
        k if k <= 0.40 => "fair",
        k if k <= 0.60 => "moderate",
        k if k <= 0.80 => "substantial",
        _ => "almost perfect",
    }
}

/// Lower case, `-` `_` and runs of white space as one space, quotes and full stops at the
/// ends left out: the form answers and names are compared in.
fn normal(text: &str) -> String {
    let trimmed = text
        .trim()
        .trim_matches(|c: char| matches!(c, '"' | '\'' | '“' | '”' | '‘' | '’' | '.' | '!' | '?'));
    trimmed
        .to_lowercase()
        .replace(['-', '_', '–'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Levenshtein distance in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Other names for the NPT constructs: the usual abbreviations, the kind of work each is,
/// and the 2022 coding manual's terms.
fn construct_aliases(id: &str) -> &'static [&'static str] {
    match id {
        "npt.coherence" => &[
            "c",
            "co",
            "coh",
            "coherence building",
            "coherence work",
            "sense making",
            "sensemaking",
            "sense making work",
        ],
        "npt.cognitive-participation" => &[
            "cp",
            "cognitive participation work",
            "relational work",
            "engagement",
            "legitimation work",
        ],
        "npt.collective-action" => &[
            "ca",
            "collective action work",
            "operational work",
            "enactment",
            "enacting",
        ],
        "npt.reflexive-monitoring" => &[
            "rm",
            "reflexive monitoring work",
            "appraisal",
            "appraisal work",
            "reflexive appraisal",
        ],
        _ => &[],
    }
}

/// Spellings of sub-construct names students meet in papers (American spellings, the 2022
/// manual's "skill set").
fn sub_aliases(name: &str) -> Vec<String> {
    let name = normal(name);
    let mut out = Vec::new();
    for (from, to) in [
        ("isation", "ization"),
        ("enrolment", "enrollment"),
        ("skill set", "skillset"),
    ] {
        if name.contains(from) {
            out.push(name.replace(from, to));
        }
    }
    out
}

const NO_CONSTRUCT_ALIASES: &[&str] = &[
    "none",
    "no construct",
    "no npt construct",
    "not npt",
    "nothing",
    "none of them",
    "none of these",
    "n/a",
    "na",
    "no fit",
    "doesn't fit",
    "does not fit",
];

/// Quotes a CSV field when it needs it.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn text_column(values: impl IntoIterator<Item = Option<String>>) -> Values {
    Values::Text(values.into_iter().collect())
}

impl Exercise {
    /// Reads extracts (columns `id, document, quote`, and optionally `context`) and checks
    /// that every quote is in its document. A file that also has `construct` and `reason`
    /// carries its own key; otherwise load one with [`Exercise::with_key`].
    pub fn load(project: &Project, path: &Path) -> Result<Exercise> {
        let file = CsvTable::read(path)?;
        let [id, document, quote] = ["id", "document", "quote"].map(|c| file.column(c));
        let (id, document, quote) = (id?, document?, quote?);
        let context = file.column("context").ok();
        let mut extracts = Vec::new();
        for (line, record) in &file.rows {
            let line = *line;
            let located = |e: Error| Error::Csv {
                path: path.to_path_buf(),
                line,
                message: e.to_string(),
            };
            let get = |i: usize| cell(record, i).trim().to_string();
            if get(id).is_empty() {
                return Err(located(Error::argument("id", "the extract has no id")));
            }
            if extracts.iter().any(|e: &Extract| e.id == get(id)) {
                return Err(located(Error::argument(
                    "id",
                    format!("`{}` is used by an earlier extract", get(id)),
                )));
            }
            let doc = project.document(&get(document)).map_err(located)?;
            let (start, end) = resolve(
                doc,
                &Span::Quote {
                    text: cell(record, quote).to_string(),
                    occurrence: None,
                },
            )
            .map_err(located)?;
            extracts.push(Extract {
                id: get(id),
                document: doc.id.clone(),
                case: doc.case.clone(),
                phase: doc.phase.clone(),
                speaker: doc
                    .turn_at(start)
                    .and_then(|t| t.role.as_deref().or(t.speaker.as_deref()))
                    .map(str::to_string)
                    .unwrap_or_default(),
                context: context.map(get).unwrap_or_default(),
                quote: cell(record, quote).to_string(),
                start,
                end,
            });
        }
        let mut coded: BTreeMap<String, Vec<(String, Vec<String>)>> = BTreeMap::new();
        let codings = project.codings()?;
        for e in &extracts {
            let mut by_coder: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for c in codings
                .iter()
                .filter(|c| c.document == e.document && c.start < e.end && c.end > e.start)
            {
                let codes = by_coder.entry(c.coder.clone()).or_default();
                if !codes.contains(&c.code) {
                    codes.push(c.code.clone());
                }
            }
            coded.insert(e.id.clone(), by_coder.into_iter().collect());
        }
        let mut exercise = Exercise {
            name: path
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_else(|| "exercise".into()),
            extracts,
            key: None,
            constructs: Vec::new(),
            coded,
            root: project.root().to_path_buf(),
        };
        if file.column("construct").is_ok() {
            exercise.read_key(project, path)?;
        } else {
            exercise.constructs = Self::constructs_of(project, &[]);
        }
        Ok(exercise)
    }

    /// The same extracts with the key read from `path` (columns `id, construct`, and
    /// optionally `sub_construct`, `also` (other defensible constructs, separated by `;`),
    /// `reason` and `note`).
    pub fn with_key(mut self, project: &Project, path: &Path) -> Result<Exercise> {
        self.read_key(project, path)?;
        Ok(self)
    }

    /// Whether a key is loaded.
    pub fn has_key(&self) -> bool {
        self.key.is_some()
    }

    /// The constructs answers are read against: the codes below `npt` when the codebook has
    /// them, otherwise the constructs the key names, each with the codes below it.
    fn constructs_of(project: &Project, named: &[String]) -> Vec<Construct> {
        let book = &project.codebook;
        let tops: Vec<String> = match book.get("npt") {
            Some(npt) if !npt.children.is_empty() => npt.children.clone(),
            _ => {
                let mut ids: Vec<String> = Vec::new();
                for id in named {
                    if id != NO_CONSTRUCT && !ids.contains(id) {
                        ids.push(id.clone());
                    }
                }
                let order: Vec<&str> = book.codes().iter().map(|c| c.id.as_str()).collect();
                ids.sort_by_key(|id| order.iter().position(|o| o == id));
                ids
            }
        };
        tops.iter()
            .filter_map(|id| book.get(id))
            .map(|c| Construct {
                id: c.id.clone(),
                name: c.name.clone(),
                subs: book
                    .descendants_and_self(&c.id)
                    .into_iter()
                    .filter(|d| d.id != c.id)
                    .map(|d| (d.id.clone(), d.name.clone()))
                    .collect(),
            })
            .collect()
    }

    fn read_key(&mut self, project: &Project, path: &Path) -> Result<()> {
        let file = CsvTable::read(path)?;
        let id = file.column("id")?;
        let construct = file.column("construct")?;
        let optional = |name: &str| file.column(name).ok();
        let (sub, also, reason, note) = (
            optional("sub_construct"),
            optional("also"),
            optional("reason"),
            optional("note"),
        );
        let resolve_code = |text: &str| -> Result<String> {
            let text = text.trim();
            if text.is_empty() || normal(text) == NO_CONSTRUCT {
                Ok(NO_CONSTRUCT.to_string())
            } else {
                Ok(project.codebook.resolve(text)?.id.clone())
            }
        };
        let mut key = BTreeMap::new();
        for (line, record) in &file.rows {
            let located = |e: Error| Error::Csv {
                path: path.to_path_buf(),
                line: *line,
                message: e.to_string(),
            };
            let get = |i: Option<usize>| i.map(|i| cell(record, i).trim().to_string());
            let extract = cell(record, id).trim().to_string();
            if !self.extracts.iter().any(|e| e.id == extract) {
                return Err(located(Error::argument(
                    "id",
                    format!(
                        "the key names `{extract}`, which is not an extract; the extracts are {}",
                        self.ids().join(", ")
                    ),
                )));
            }
            let sub_construct = match get(sub).filter(|s| !s.is_empty()) {
                Some(s) => Some(resolve_code(&s).map_err(located)?),
                None => None,
            };
            let also = get(also)
                .unwrap_or_default()
                .split(';')
                .filter(|s| !s.trim().is_empty())
                .map(resolve_code)
                .collect::<Result<Vec<_>>>()
                .map_err(located)?;
            key.insert(
                extract,
                Reference {
                    construct: resolve_code(cell(record, construct)).map_err(located)?,
                    sub_construct,
                    also,
                    reason: get(reason).unwrap_or_default(),
                    note: get(note).unwrap_or_default(),
                },
            );
        }
        let named: Vec<String> = key
            .values()
            .flat_map(|r: &Reference| std::iter::once(r.construct.clone()).chain(r.also.clone()))
            .collect();
        self.constructs = Self::constructs_of(project, &named);
        // The key's constructs are read as answers are, so a sub-construct in the
        // `construct` column counts as its construct.
        let mut checked = BTreeMap::new();
        for (id, mut reference) in key {
            if reference.construct != NO_CONSTRUCT {
                let (construct, sub) = self.construct_of_code(&reference.construct).ok_or_else(|| {
                    Error::Invalid {
                        path: path.to_path_buf(),
                        message: format!(
                            "the key codes {id} as `{}`, which is not one of the constructs or below one",
                            reference.construct
                        ),
                    }
                })?;
                reference.construct = construct;
                if reference.sub_construct.is_none() {
                    reference.sub_construct = sub;
                }
            }
            checked.insert(id, reference);
        }
        self.key = Some(checked);
        Ok(())
    }

    /// The construct a code id is or is below, with the sub-construct when it is below.
    fn construct_of_code(&self, code: &str) -> Option<(String, Option<String>)> {
        self.constructs.iter().find_map(|c| {
            if c.id == code {
                Some((c.id.clone(), None))
            } else {
                c.subs
                    .iter()
                    .any(|(id, _)| id == code)
                    .then(|| (c.id.clone(), Some(code.to_string())))
            }
        })
    }

    /// A construct's or sub-construct's name, "No construct" for [`NO_CONSTRUCT`], or the id.
    pub fn name_of(&self, id: &str) -> String {
        if id == NO_CONSTRUCT {
            return NO_CONSTRUCT_NAME.to_string();
        }
        self.constructs
            .iter()
            .find_map(|c| {
                if c.id == id {
                    Some(c.name.clone())
                } else {
                    c.subs.iter().find(|(s, _)| s == id).map(|(_, n)| n.clone())
                }
            })
            .unwrap_or_else(|| id.to_string())
    }

    /// Every name an answer may use, in the form answers are compared in, with what it means:
    /// (construct id, sub-construct id).
    fn names(&self) -> Vec<Name> {
        let mut names = Vec::new();
        for alias in NO_CONSTRUCT_ALIASES {
            names.push((normal(alias), NO_CONSTRUCT.to_string(), None));
        }
        for c in &self.constructs {
            let mut own = vec![
                normal(&c.id),
                normal(c.id.rsplit('.').next().unwrap_or(&c.id)),
                normal(&c.name),
            ];
            own.extend(construct_aliases(&c.id).iter().map(|a| normal(a)));
            for n in own {
                names.push((n, c.id.clone(), None));
            }
            for (sub, sub_name) in &c.subs {
                let mut own = vec![
                    normal(sub),
                    normal(sub.rsplit('.').next().unwrap_or(sub)),
                    normal(sub_name),
                ];
                own.extend(sub_aliases(sub_name));
                for n in own {
                    names.push((n, c.id.clone(), Some(sub.clone())));
                }
            }
        }
        names
    }

    /// Reads an answer as a construct (and sub-construct), forgiving case, hyphens, the
    /// construct before a sub-construct ("coherence: differentiation") and small typos.
    pub fn read_answer(&self, answer: &str) -> Reading {
        let names = self.names();
        let exact = |text: &str| {
            names
                .iter()
                .find(|(n, _, _)| n == text)
                .map(|(_, c, s)| (c.clone(), s.clone()))
        };
        let given = normal(answer);
        let last_part = given
            .rsplit([':', '/', '>', '(', ','])
            .map(|s| s.trim().trim_end_matches(')').trim())
            .find(|s| !s.is_empty())
            .unwrap_or("")
            .to_string();
        for text in [given.as_str(), last_part.as_str()] {
            if let Some((construct, sub_construct)) = exact(text) {
                return Reading::Construct {
                    construct,
                    sub_construct,
                    note: None,
                };
            }
        }
        // The start of one name only ("cognitive", "reflexive"): read as that name.
        if last_part.chars().count() >= 4 {
            let mut starting: Vec<(String, Option<String>)> = names
                .iter()
                .filter(|(n, _, _)| n.starts_with(&last_part) && n.contains(' '))
                .map(|(_, c, s)| (c.clone(), s.clone()))
                .collect();
            starting.sort();
            starting.dedup();
            if let [(construct, sub_construct)] = starting.as_slice() {
                let read_as = self.name_of(sub_construct.as_deref().unwrap_or(construct));
                return Reading::Construct {
                    construct: construct.clone(),
                    sub_construct: sub_construct.clone(),
                    note: Some(format!("read “{}” as {read_as}", answer.trim())),
                };
            }
        }
        // The nearest names by edit distance; abbreviations are too short to guess from.
        let mut scored: Vec<(usize, &Name)> = names
            .iter()
            .filter(|(n, _, _)| n.chars().count() >= 4)
            .map(|entry| (edit_distance(&last_part, &entry.0), entry))
            .collect();
        scored.sort_by_key(|(d, e)| (*d, e.0.clone()));
        let Some(&(best, _)) = scored.first() else {
            return Reading::Unknown {
                nearest: Vec::new(),
            };
        };
        let meaning = |e: &Name| (e.1.clone(), e.2.clone());
        let closest: Vec<_> = scored.iter().filter(|(d, _)| *d == best).collect();
        let same_meaning = closest
            .iter()
            .all(|(_, e)| meaning(e) == meaning(closest[0].1));
        let length = last_part.chars().count();
        let label = |e: &Name| {
            e.2.as_deref()
                .map_or_else(|| self.name_of(&e.1), |s| self.name_of(s))
        };
        if same_meaning && best <= 2 && length >= 6 {
            let (construct, sub_construct) = meaning(closest[0].1);
            let read_as = label(closest[0].1);
            return Reading::Construct {
                construct,
                sub_construct,
                note: Some(format!(
                    "read “{}” as {read_as} (did you mean {read_as}?)",
                    answer.trim()
                )),
            };
        }
        let mut nearest: Vec<String> = Vec::new();
        for (d, e) in &scored {
            if *d > best + 1 || *d > (length / 2).max(3) || nearest.len() == 3 {
                break;
            }
            let l = label(e);
            if !nearest.contains(&l) {
                nearest.push(l);
            }
        }
        Reading::Unknown { nearest }
    }

    /// The names of the constructs, in order, for messages.
    fn construct_names(&self) -> String {
        self.constructs
            .iter()
            .map(|c| c.name.as_str())
            .chain([NO_CONSTRUCT_NAME])
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The extracts to code: id, case, phase, speaker, context and quote (never the key).
    pub fn table(&self) -> Result<Table> {
        let column =
            |f: &dyn Fn(&Extract) -> String| text_column(self.extracts.iter().map(|e| Some(f(e))));
        Ok(Table::new(vec![
            ("id".into(), column(&|e| e.id.clone())),
            ("case".into(), column(&|e| e.case.clone())),
            ("phase".into(), column(&|e| e.phase.clone())),
            ("speaker".into(), column(&|e| e.speaker.clone())),
            ("context".into(), column(&|e| e.context.clone())),
            ("quote".into(), column(&|e| e.quote.clone())),
        ])?
        .with_title(format!(
            "{} extracts to code as one of: {} (a sub-construct earns its construct)",
            self.extracts.len(),
            self.construct_names()
        )))
    }

    fn key(&self) -> Result<&BTreeMap<String, Reference>> {
        self.key.as_ref().ok_or_else(|| {
            Error::argument(
                "key",
                format!(
                    "the exercise `{}` has no key loaded, so answers cannot be checked yet; \
                     load it with p.exercise(extracts, key) (your teacher has it), and meanwhile \
                     keep your answers with ex.save(answers, \"your name\")",
                    self.name
                ),
            )
        })
    }

    /// What the sample's coders put on an extract, construct by construct, when they differ
    /// from each other or from the key; "" when they all agree with it.
    fn coders_on(&self, extract: &str, reference: &Reference) -> String {
        let Some(coders) = self.coded.get(extract) else {
            return String::new();
        };
        let describe = |codes: &[String]| -> (BTreeSet<String>, String) {
            let mut constructs = BTreeSet::new();
            let mut words = Vec::new();
            for code in codes {
                match self.construct_of_code(code) {
                    Some((c, sub)) => {
                        constructs.insert(c.clone());
                        words.push(match sub {
                            Some(s) => format!("{} ({})", self.name_of(&c), self.name_of(&s)),
                            None => self.name_of(&c),
                        });
                    }
                    None => words.push(code.clone()),
                }
            }
            if constructs.is_empty() {
                constructs.insert(NO_CONSTRUCT.to_string());
            }
            (constructs, words.join(" + "))
        };
        let described: Vec<(String, BTreeSet<String>, String)> = coders
            .iter()
            .map(|(coder, codes)| {
                let (set, words) = describe(codes);
                (coder.clone(), set, words)
            })
            .collect();
        // Shown where the coders differ from each other (to the sub-construct) or from the key.
        let codes_of = |codes: &Vec<String>| codes.iter().cloned().collect::<BTreeSet<String>>();
        let same_codes = coders
            .windows(2)
            .all(|w| codes_of(&w[0].1) == codes_of(&w[1].1));
        let all_agree = same_codes
            && described
                .iter()
                .all(|(_, set, _)| set.len() == 1 && set.contains(&reference.construct));
        if described.is_empty() || all_agree {
            return String::new();
        }
        described
            .iter()
            .map(|(coder, _, words)| format!("{coder}: {words}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Compares answers (extract id -> construct, sub-construct, id or abbreviation) with
    /// the key, item by item: an answer that cannot be read, or an extract that does not
    /// exist, is reported on its own row and the rest are scored. Extracts without an answer
    /// are not counted as wrong, and their key is not shown.
    pub fn check(&self, answers: &BTreeMap<String, String>) -> Result<Feedback> {
        let key = self.key()?;
        let mut rows: Vec<[Option<String>; 9]> = Vec::new();
        let mut pairs: Vec<(String, String)> = Vec::new();
        let (mut unrecognised, mut agreed, mut defensible, mut sub_named, mut sub_agreed) =
            (0, 0, 0, 0, 0);
        for e in &self.extracts {
            let answer = answers
                .get(&e.id)
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty());
            let quote = Some(crate::support::text::shorten(&e.quote, 90));
            let Some(answer) = answer else {
                rows.push([
                    Some(e.id.clone()),
                    quote,
                    None,
                    None,
                    Some("not answered yet".into()),
                    None,
                    None,
                    None,
                    None,
                ]);
                continue;
            };
            let reference = key.get(&e.id);
            match self.read_answer(&answer) {
                Reading::Unknown { nearest } => {
                    unrecognised += 1;
                    let hint = if nearest.is_empty() {
                        format!("answer one of: {}", self.construct_names())
                    } else {
                        format!("did you mean {}?", nearest.join(" or "))
                    };
                    rows.push([
                        Some(e.id.clone()),
                        quote,
                        Some(answer.clone()),
                        None,
                        Some("not recognised".into()),
                        None,
                        None,
                        None,
                        Some(format!("“{answer}” is not a construct: {hint}")),
                    ]);
                }
                Reading::Construct {
                    construct,
                    sub_construct,
                    note,
                } => {
                    let yours = match &sub_construct {
                        Some(s) => format!("{} ({})", self.name_of(&construct), self.name_of(s)),
                        None => self.name_of(&construct),
                    };
                    let Some(reference) = reference else {
                        rows.push([
                            Some(e.id.clone()),
                            quote,
                            Some(yours),
                            None,
                            Some("not in the key".into()),
                            None,
                            None,
                            None,
                            note,
                        ]);
                        continue;
                    };
                    let result = if construct == reference.construct {
                        agreed += 1;
                        "agree"
                    } else if reference.also.contains(&construct) {
                        defensible += 1;
                        "defensible"
                    } else {
                        "differ"
                    };
                    pairs.push((reference.construct.clone(), construct.clone()));
                    let sub_feedback = match (&sub_construct, &reference.sub_construct) {
                        (Some(yours), Some(key_sub)) => {
                            sub_named += 1;
                            if yours == key_sub {
                                sub_agreed += 1;
                                Some(format!("{}: agrees", self.name_of(key_sub)))
                            } else {
                                Some(format!("the key has {}", self.name_of(key_sub)))
                            }
                        }
                        (Some(_), None) => {
                            sub_named += 1;
                            Some("the key names no sub-construct".into())
                        }
                        (None, Some(key_sub)) => {
                            Some(format!("the key has {}", self.name_of(key_sub)))
                        }
                        (None, None) => None,
                    };
                    let mut reference_text = self.name_of(&reference.construct);
                    if !reference.also.is_empty() {
                        reference_text += &format!(
                            " (also defensible: {})",
                            reference
                                .also
                                .iter()
                                .map(|a| self.name_of(a))
                                .collect::<Vec<_>>()
                                .join(", ")
                        );
                    }
                    let mut notes: Vec<String> = note.into_iter().collect();
                    if !reference.note.is_empty() {
                        notes.push(reference.note.clone());
                    }
                    let coders = self.coders_on(&e.id, reference);
                    rows.push([
                        Some(e.id.clone()),
                        quote,
                        Some(yours),
                        Some(reference_text),
                        Some(result.into()),
                        sub_feedback,
                        (!coders.is_empty()).then_some(coders),
                        Some(reference.reason.clone()),
                        (!notes.is_empty()).then(|| notes.join(" ")),
                    ]);
                }
            }
        }
        // Answers for extracts that do not exist get a row of their own.
        for (id, answer) in answers {
            if self.extracts.iter().any(|e| e.id == *id) {
                continue;
            }
            unrecognised += 1;
            let nearest = self
                .ids()
                .into_iter()
                .min_by_key(|known| edit_distance(&id.to_lowercase(), known))
                .filter(|known| edit_distance(&id.to_lowercase(), known) <= 2);
            rows.push([
                Some(id.clone()),
                None,
                Some(answer.clone()),
                None,
                Some("no such extract".into()),
                None,
                None,
                None,
                Some(match nearest {
                    Some(n) => format!("there is no extract `{id}`: did you mean {n}?"),
                    None => format!(
                        "there is no extract `{id}`; the extracts are {}",
                        self.ids().join(", ")
                    ),
                }),
            ]);
        }
        let answered = pairs.len();
        let kappa = if answered >= MIN_ANSWERS_FOR_KAPPA {
            let (key_side, yours): (Vec<Option<String>>, Vec<Option<String>>) = pairs
                .iter()
                .map(|(k, y)| (Some(k.clone()), Some(y.clone())))
                .unzip();
            crate::agreement::categorical::cohen_kappa(&key_side, &yours)?
        } else {
            None
        };
        let mut summary = if answered == 0 && unrecognised == 0 {
            "No answers yet: code each extract, then check again.".to_string()
        } else if answered == 0 {
            "None of the answers could be read as a construct yet: see the notes.".to_string()
        } else {
            let mut s = format!(
                "Your construct agrees with the key on {agreed} of {answered} answered extracts ({:.0}%)",
                agreed as f64 * 100.0 / answered as f64
            );
            if defensible > 0 {
                s += &format!(", and {defensible} more are another defensible reading");
            }
            if sub_named > 0 {
                s += &format!("; sub-constructs: {sub_agreed} of {sub_named} you named agree");
            }
            match kappa {
                Some(k) => {
                    s += &format!(
                        "; Cohen's kappa {k:.2} ({} agreement on Landis and Koch's scale, over {answered} extracts)",
                        strength(k)
                    )
                }
                None if answered >= MIN_ANSWERS_FOR_KAPPA => {
                    s += "; Cohen's kappa is undefined here (the key, or you, used one construct only)"
                }
                None => {
                    s += &format!(
                        ". No kappa yet: over {answered} extract{} one answer more or less moves it by more than a tenth; it is shown from {MIN_ANSWERS_FOR_KAPPA} answered extracts",
                        if answered == 1 { "" } else { "s" }
                    )
                }
            }
            s += ".";
            s
        };
        if unrecognised > 0 {
            summary += &format!(
                " {unrecognised} answer{} could not be read: see the note column.",
                if unrecognised == 1 { "" } else { "s" }
            );
        }
        if agreed + defensible < answered {
            summary += " Where you differ, read the reason: both codings can often be argued, and talking them through is how coders converge.";
        }
        let headers = [
            "id",
            "quote",
            "yours",
            "key",
            "result",
            "sub_construct",
            "sample_coders",
            "reason",
            "note",
        ];
        let columns = headers
            .iter()
            .enumerate()
            .map(|(i, h)| {
                (
                    h.to_string(),
                    text_column(rows.iter().map(|r| r[i].clone())),
                )
            })
            .collect();
        let extracts = Table::new(columns)?.with_title(summary);
        Ok(Feedback {
            extracts,
            confusion: self.confusion_table(
                &pairs,
                "Key constructs (rows) by yours (columns)",
                "key \\ yours",
            )?,
            answered,
            unrecognised,
            agreed,
            defensible,
            sub_named,
            sub_agreed,
            kappa,
        })
    }

    /// Counts of (row construct, column construct) pairs, over the constructs and "No
    /// construct".
    fn confusion_table(
        &self,
        pairs: &[(String, String)],
        title: &str,
        corner: &str,
    ) -> Result<Table> {
        let ids: Vec<String> = self
            .constructs
            .iter()
            .map(|c| c.id.clone())
            .chain([NO_CONSTRUCT.to_string()])
            .collect();
        let mut columns = vec![(
            corner.to_string(),
            text_column(ids.iter().map(|id| Some(self.name_of(id)))),
        )];
        for column in &ids {
            columns.push((
                self.name_of(column),
                Values::Integer(
                    ids.iter()
                        .map(|row| {
                            Some(
                                pairs
                                    .iter()
                                    .filter(|(r, c)| r == row && c == column)
                                    .count() as i64,
                            )
                        })
                        .collect(),
                ),
            ));
        }
        Ok(Table::new(columns)?.with_title(title))
    }

    pub fn ids(&self) -> Vec<String> {
        self.extracts.iter().map(|e| e.id.clone()).collect()
    }

    // ---- the class ----

    /// The folder a class's answers to this exercise are saved in.
    pub fn submissions_dir(&self) -> PathBuf {
        self.root
            .join("exercises")
            .join("submissions")
            .join(&self.name)
    }

    /// Saves a student's answers as `<submissions>/<student>.csv` (extract, answer),
    /// replacing their earlier answers; returns the file. Answers are kept as written, so
    /// the class view reads them as `check` does.
    pub fn save(&self, answers: &BTreeMap<String, String>, student: &str) -> Result<PathBuf> {
        let student = student.trim();
        if student.is_empty() {
            return Err(Error::argument("student", "give the student's name"));
        }
        let file_name: String = student
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        for id in answers.keys() {
            if !self.extracts.iter().any(|e| e.id == *id) {
                return Err(Error::argument(
                    "answers",
                    format!(
                        "there is no extract `{id}`, so nothing was saved; the extracts are {}",
                        self.ids().join(", ")
                    ),
                ));
            }
        }
        let dir = self.submissions_dir();
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        // The student is named by the file, so the file stays a plain two-column CSV.
        let mut text = String::from("extract,answer\n");
        for e in &self.extracts {
            if let Some(answer) = answers.get(&e.id).filter(|a| !a.trim().is_empty()) {
                text += &format!("{},{}\n", csv_field(&e.id), csv_field(answer.trim()));
            }
        }
        let path = dir.join(format!("{file_name}.csv"));
        crate::record::write(&path, text.as_bytes())?;
        Ok(path)
    }

    /// Every saved submission in `dir`: (student, answers), by student name.
    pub fn submissions(&self, dir: &Path) -> Result<Vec<(String, BTreeMap<String, String>)>> {
        let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        let mut out = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| Error::io(dir, e))?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("csv") {
                continue;
            }
            let file = CsvTable::read(&path)?;
            let (extract, answer) = (file.column("extract")?, file.column("answer")?);
            let answers = file
                .rows
                .iter()
                .map(|(_, r)| {
                    (
                        cell(r, extract).trim().to_string(),
                        cell(r, answer).to_string(),
                    )
                })
                .collect();
            let student = path
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            out.push((student, answers));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// The class's answers read as constructs: per extract, one label per student (`None`
    /// where they gave none or it could not be read).
    fn class_labels(
        &self,
        submissions: &[(String, BTreeMap<String, String>)],
    ) -> Vec<Vec<Option<String>>> {
        self.extracts
            .iter()
            .map(|e| {
                submissions
                    .iter()
                    .map(
                        |(_, answers)| match answers.get(&e.id).map(|a| self.read_answer(a)) {
                            Some(Reading::Construct { construct, .. }) => Some(construct),
                            _ => None,
                        },
                    )
                    .collect()
            })
            .collect()
    }

    /// The class view: per extract, how many answered, the most common construct and its
    /// share, Krippendorff's alpha for the extract, the key's construct (when loaded), and
    /// whether the class split. The title gives alpha over all extracts.
    ///
    /// An extract's alpha is 1 - D_o(u) / D_e: the share of disagreeing pairs of answers on
    /// that extract, over the disagreement expected from how often the class used each
    /// construct across all extracts. Alpha over all extracts is the mean of these, weighted
    /// by the answers on each.
    pub fn class_view(&self, dir: &Path) -> Result<ClassView> {
        let submissions = self.submissions(dir)?;
        let labels = self.class_labels(&submissions);
        let overall = if submissions.len() >= 2 {
            crate::agreement::categorical::krippendorff_alpha(&labels)?
        } else {
            None
        };
        // Category totals over pairable extracts, for the expected disagreement.
        let mut totals: BTreeMap<&str, f64> = BTreeMap::new();
        for unit in &labels {
            let given: Vec<&str> = unit.iter().flatten().map(String::as_str).collect();
            if given.len() >= 2 {
                for g in given {
                    *totals.entry(g).or_default() += 1.0;
                }
            }
        }
        let n: f64 = totals.values().sum();
        let expected = if n > 1.0 {
            (n * n - totals.values().map(|t| t * t).sum::<f64>()) / (n * (n - 1.0))
        } else {
            0.0
        };
        let mut rows = Vec::new();
        for (e, unit) in self.extracts.iter().zip(&labels) {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for g in unit.iter().flatten() {
                *counts.entry(g.as_str()).or_default() += 1;
            }
            let m: usize = counts.values().sum();
            let most = counts
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(c, k)| (c.to_string(), *k));
            let alpha = if m >= 2 && expected > 0.0 {
                let m = m as f64;
                let observed = (m * m - counts.values().map(|&k| (k * k) as f64).sum::<f64>())
                    / (m * (m - 1.0));
                Some(1.0 - observed / expected)
            } else {
                None
            };
            let share = most.as_ref().map(|(_, k)| *k as f64 / m as f64);
            let split = m >= 2 && share.is_some_and(|s| s < SPLIT_BELOW);
            let spread = counts
                .iter()
                .map(|(c, k)| format!("{} {k}", self.name_of(c)))
                .collect::<Vec<_>>()
                .join(", ");
            rows.push(ClassRow {
                id: e.id.clone(),
                answered: m,
                most_common: most.map(|(c, _)| c),
                share,
                alpha,
                key: self
                    .key
                    .as_ref()
                    .and_then(|k| k.get(&e.id))
                    .map(|r| r.construct.clone()),
                split,
                spread,
            });
        }
        let pairs: Vec<(String, String)> = match &self.key {
            Some(key) => self
                .extracts
                .iter()
                .zip(&labels)
                .filter_map(|(e, unit)| key.get(&e.id).map(|r| (r, unit)))
                .flat_map(|(r, unit)| {
                    unit.iter()
                        .flatten()
                        .map(move |g| (r.construct.clone(), g.clone()))
                })
                .collect(),
            None => Vec::new(),
        };
        Ok(ClassView {
            students: submissions.into_iter().map(|(s, _)| s).collect(),
            alpha: overall,
            rows,
            pairs,
        })
    }

    /// The class view as tables: per extract, the confusion table, and the splits.
    pub fn class_tables(&self, view: &ClassView) -> Result<(Table, Option<Table>, Table)> {
        let rows = &view.rows;
        let title = match (view.students.len(), view.alpha) {
            (0, _) => format!(
                "No submissions yet in {}: each student runs ex.save(answers, \"name\")",
                self.submissions_dir().display()
            ),
            (1, _) => "One submission: agreement needs at least two students".to_string(),
            (n, Some(a)) => format!(
                "{n} students; Krippendorff's alpha over all extracts {a:.2} (nominal). Split on: {}",
                view.split_ids().join(", ").if_empty("none")
            ),
            (n, None) => format!(
                "{n} students; alpha is undefined: every answer given was the same construct. Split on: {}",
                view.split_ids().join(", ").if_empty("none")
            ),
        };
        let mut columns = vec![
            (
                "id".to_string(),
                text_column(rows.iter().map(|r| Some(r.id.clone()))),
            ),
            (
                "answered".to_string(),
                Values::Integer(rows.iter().map(|r| Some(r.answered as i64)).collect()),
            ),
            (
                "most_common".to_string(),
                text_column(
                    rows.iter()
                        .map(|r| r.most_common.as_ref().map(|c| self.name_of(c))),
                ),
            ),
            (
                "share".to_string(),
                Values::Number(
                    rows.iter()
                        .map(|r| r.share.map(|s| (s * 100.0).round() / 100.0))
                        .collect(),
                ),
            ),
            (
                "alpha".to_string(),
                Values::Number(
                    rows.iter()
                        .map(|r| r.alpha.map(|a| (a * 100.0).round() / 100.0))
                        .collect(),
                ),
            ),
            (
                "answers".to_string(),
                text_column(rows.iter().map(|r| Some(r.spread.clone()))),
            ),
        ];
        if self.key.is_some() {
            columns.push((
                "key".to_string(),
                text_column(rows.iter().map(|r| r.key.as_ref().map(|k| self.name_of(k)))),
            ));
        }
        columns.push((
            "split".to_string(),
            text_column(
                rows.iter()
                    .map(|r| Some(if r.split { "split" } else { "" }.to_string())),
            ),
        ));
        let table = Table::new(columns)?.with_title(title);
        let confusion = if self.key.is_some() {
            Some(self.confusion_table(
                &view.pairs,
                "The key's constructs (rows) by the class's answers (columns)",
                "key \\ class",
            )?)
        } else {
            None
        };
        let split: Vec<&ClassRow> = rows.iter().filter(|r| r.split).collect();
        let splits = Table::new(vec![
            ("id".to_string(), text_column(split.iter().map(|r| Some(r.id.clone())))),
            (
                "quote".to_string(),
                text_column(split.iter().map(|r| {
                    self.extracts
                        .iter()
                        .find(|e| e.id == r.id)
                        .map(|e| crate::support::text::shorten(&e.quote, 90))
                })),
            ),
            ("answers".to_string(), text_column(split.iter().map(|r| Some(r.spread.clone())))),
        ])?
        .with_title(format!(
            "Extracts the class split on (the most common answer from fewer than {:.0}% of those who answered): talk these through",
            SPLIT_BELOW * 100.0
        ));
        Ok((table, confusion, splits))
    }
}

impl std::fmt::Display for Exercise {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Exercise `{}`: {} extracts, {}; .extracts(), .check(answers), .save(answers, name), .class(), .annotate(name)",
            self.name,
            self.extracts.len(),
            if self.has_key() {
                "with its key"
            } else {
                "no key loaded"
            }
        )
    }
}

trait IfEmpty {
    fn if_empty(self, fallback: &str) -> String;
}

impl IfEmpty for String {
    fn if_empty(self, fallback: &str) -> String {
        if self.is_empty() {
            fallback.to_string()
        } else {
            self
        }
    }
}

/// One extract in the class view.
#[derive(Debug, Clone)]
pub struct ClassRow {
    pub id: String,
    pub answered: usize,
    pub most_common: Option<String>,
    pub share: Option<f64>,
    pub alpha: Option<f64>,
    pub key: Option<String>,
    pub split: bool,
    /// Each construct given, with how many gave it.
    pub spread: String,
}

/// The class's answers compared.
#[derive(Debug, Clone)]
pub struct ClassView {
    pub students: Vec<String>,
    /// Krippendorff's alpha over all extracts (nominal), with two students or more.
    pub alpha: Option<f64>,
    pub rows: Vec<ClassRow>,
    /// (key construct, a student's construct) for every answer read.
    pub pairs: Vec<(String, String)>,
}

impl ClassView {
    pub fn split_ids(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| r.split)
            .map(|r| r.id.clone())
            .collect()
    }
}

/// The document of a coding workspace: every extract under a heading line `id · case,
/// speaker, phase`, its context, then the quote to code.
pub const WORKSPACE_DOCUMENT: &str = "extracts";

/// JSON string syntax is YAML too: a safe way to quote any text in the codebook written here.
fn yaml_string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

impl Exercise {
    /// Where students code the extracts with the coding widget: a small project of its own
    /// (one document, the constructs as codes), one codings file per student.
    pub fn workspace_dir(&self) -> PathBuf {
        self.root
            .join("exercises")
            .join(format!("{}-workspace", self.name))
    }

    fn heading(e: &Extract) -> String {
        let mut about = vec![e.case.clone()];
        if !e.speaker.is_empty() {
            about.push(e.speaker.clone());
        }
        if !e.phase.is_empty() {
            about.push(format!("phase {}", e.phase.trim_start_matches('P')));
        }
        format!("{} · {}", e.id, about.join(", "))
    }

    /// Creates the coding workspace unless it exists, and returns its folder. Its codebook
    /// holds the constructs, their sub-constructs (with the project's colours) and "No
    /// construct"; its one document holds the extracts.
    pub fn ensure_workspace(&self, project: &Project) -> Result<PathBuf> {
        let dir = self.workspace_dir();
        if dir.join(crate::project::CONFIG_FILE).exists() {
            return Ok(dir);
        }
        Project::create(
            &dir,
            &format!("Coding exercise: {}", self.name),
            crate::project::StarterCodebook::Empty,
        )?;
        let mut yaml = String::from(
            "# The constructs to code the extracts to; code a distractor as `none`.\ncodes:\n",
        );
        let color = |id: &str| {
            project
                .codebook
                .get(id)
                .and_then(|c| c.color.clone())
                .map(|c| format!("    color: {}\n", yaml_string(&c)))
                .unwrap_or_default()
        };
        for c in &self.constructs {
            let description = project
                .codebook
                .get(&c.id)
                .map(|c| c.description.clone())
                .unwrap_or_default();
            yaml += &format!(
                "  - id: {}\n    name: {}\n    description: {}\n{}",
                yaml_string(&c.id),
                yaml_string(&c.name),
                yaml_string(&description),
                color(&c.id)
            );
            if !c.subs.is_empty() {
                yaml += "    children:\n";
                for (id, name) in &c.subs {
                    let description = project
                        .codebook
                        .get(id)
                        .map(|c| c.description.clone())
                        .unwrap_or_default();
                    yaml += &format!(
                        "      - id: {}\n        name: {}\n        description: {}\n",
                        yaml_string(id),
                        yaml_string(name),
                        yaml_string(&description)
                    );
                }
            }
        }
        yaml += &format!(
            "  - id: {NO_CONSTRUCT}\n    name: {NO_CONSTRUCT_NAME}\n    description: {}\n    color: \"#999999\"\n",
            yaml_string("The extract fits no construct well: it is about something else.")
        );
        crate::record::write(&dir.join(crate::project::CODEBOOK_FILE), yaml.as_bytes())?;
        crate::record::write(&dir.join(crate::project::CASES_FILE), b"case\nExercise\n")?;
        let mut text = format!(
            "---\ncase: Exercise\ntitle: {}\n---\n",
            yaml_string(&format!(
                "Select each quote (or the part that carries the work) and code it to one construct or sub-construct: {}",
                self.name
            ))
        );
        for e in &self.extracts {
            text += &format!("{}\n", Self::heading(e));
            if !e.context.is_empty() {
                text += &format!("{}\n", e.context);
            }
            text += &format!("“{}”\n\n", e.quote.trim());
        }
        crate::record::write(
            &dir.join(crate::project::TRANSCRIPTS_DIR)
                .join(format!("{WORKSPACE_DOCUMENT}.txt")),
            text.as_bytes(),
        )?;
        Ok(dir)
    }

    /// A student's codings in the workspace read as answers: for each extract, the code of
    /// the coding that covers most of it (an id, which `check` reads as its construct).
    pub fn coded_answers(
        &self,
        workspace: &Project,
        student: &str,
    ) -> Result<BTreeMap<String, String>> {
        let doc = workspace.document(WORKSPACE_DOCUMENT)?;
        let text: Vec<char> = doc.text.chars().collect();
        let whole: String = text.iter().collect();
        // Each extract's block runs from its heading to the next heading.
        let mut starts = Vec::new();
        for e in &self.extracts {
            let heading = format!("{} · ", e.id);
            let at = whole
                .match_indices(&heading)
                .find(|(i, _)| *i == 0 || whole[..*i].ends_with('\n'))
                .map(|(i, _)| whole[..i].chars().count())
                .ok_or_else(|| Error::Invalid {
                    path: self.workspace_dir().join(crate::project::TRANSCRIPTS_DIR),
                    message: format!("the workspace document has no heading for {}", e.id),
                })?;
            starts.push((e.id.clone(), at));
        }
        let mut order = starts.clone();
        order.sort_by_key(|(_, at)| *at);
        let codings: Vec<_> = workspace
            .codings()?
            .into_iter()
            .filter(|c| c.document == doc.id && c.coder == student)
            .collect();
        let mut answers = BTreeMap::new();
        for (i, (id, start)) in order.iter().enumerate() {
            let end = order.get(i + 1).map_or(text.len(), |(_, s)| *s);
            let best = codings
                .iter()
                .map(|c| (c.end.min(end).saturating_sub(c.start.max(*start)), c))
                .filter(|(overlap, _)| *overlap > 0)
                .max_by(|a, b| a.0.cmp(&b.0).then(b.1.start.cmp(&a.1.start)));
            if let Some((_, coding)) = best {
                answers.insert(id.clone(), coding.code.clone());
            }
        }
        Ok(answers)
    }
}
