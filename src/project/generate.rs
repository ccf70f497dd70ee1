//! A deterministic generator of realistic-looking corpora, for benchmarks and scale tests:
//! interview and focus-group transcripts with front matter, speakers and roles across cases
//! and phases; open-ended survey answers as CSV; a dictionary of 500 terms over the 50
//! generated codes; and codings by two coders who mostly agree (about four codings in five
//! match or nearly match). The same spec and seed give the same files.
//!
//! Not a language model: the words are drawn from a small vocabulary, which is enough to
//! exercise every code path at scale but not to test anything about meaning.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use crate::error::{Error, Result};
use crate::support::seeded::SeededNumbers;

const CASES: &[&str] = &[
    "Magenta", "Ochre", "Cyan", "Crimson", "Cobalt", "Olive", "Amber",
];
/// Practitioners who answer; the interviewer asks.
const PEOPLE: &[(&str, &str)] = &[
    ("Dr Reid", "GP"),
    ("Dr Okafor", "GP"),
    ("Ann", "CLP"),
    ("Kirsty", "CLP"),
    ("Mary", "PM"),
    ("Zoë", "nurse"),
    ("José", "receptionist"),
    ("Sam", "community worker"),
];
const INTERVIEWER: (&str, &str) = ("Interviewer", "researcher");
const QUESTIONS: &[&str] = &[
    "What changed for the practice this year",
    "How did the link worker fit in",
    "Who made the referrals",
    "What got in the way",
    "Can you say more about that",
];
const WORDS: &[&str] = &[
    "the",
    "and",
    "we",
    "I",
    "think",
    "patient",
    "patients",
    "practice",
    "link",
    "worker",
    "referral",
    "referrals",
    "team",
    "meeting",
    "time",
    "community",
    "group",
    "housing",
    "benefits",
    "money",
    "advice",
    "foodbank",
    "walking",
    "staff",
    "learning",
    "shared",
    "afternoon",
    "GP",
    "doctor",
    "nurse",
    "reception",
    "appointment",
    "support",
    "really",
    "just",
    "you",
    "know",
    "it",
    "was",
    "is",
    "were",
    "have",
    "had",
    "about",
    "with",
    "for",
    "of",
    "to",
    "in",
    "on",
    "that",
    "programme",
    "leadership",
    "understanding",
    "everyone",
    "nobody",
    "busy",
    "pressure",
    "merger",
    "system",
    "change",
    "café",
    "wellbeing",
    "steering",
    "organisation",
    "befriending",
    "isolation",
    "mental",
    "health",
    "welfare",
    "rights",
];

/// The two coders whose codings are generated, as `codings/<coder>.csv`.
pub const CODERS: [&str; 2] = ["ak", "rb"];
/// The dictionary written beside the project: `code,term` rows.
pub const DICTIONARY_FILE: &str = "dictionary.csv";
/// Terms in the generated dictionary.
pub const DICTIONARY_TERMS: usize = 500;
/// Codes in the generated codebook (leaves `g0.c0` .. `g4.c9` under five groups).
pub const CODES: usize = 50;
/// Mean length of a survey answer, in bytes.
const ANSWER_BYTES: usize = 300;
/// Share of a corpus's text that [`CorpusSpec::of_megabytes`] gives to survey answers.
const SURVEY_SHARE: f64 = 0.1;
/// Codings of the second coder that repeat one of the first coder's (exactly or with a
/// boundary a sentence off), in percent; the rest are of the second coder's own choosing.
const SHARED_CODINGS: usize = 80;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct CorpusSpec {
    /// Interview and focus-group transcripts.
    pub transcripts: usize,
    /// Mean size of a transcript in bytes (focus groups run longer than interviews).
    pub transcript_bytes: usize,
    /// Open-ended survey answers of a few sentences, in one CSV file per survey phase.
    pub survey_answers: usize,
    /// Codings across both coders (about half each); 0 writes none.
    pub codings: usize,
    pub seed: u64,
}

impl CorpusSpec {
    /// `transcripts` transcripts of about `transcript_bytes` each, with survey answers adding
    /// about a tenth as much text again, and no codings.
    pub fn new(transcripts: usize, transcript_bytes: usize, seed: u64) -> Self {
        let survey_bytes = (transcripts * transcript_bytes) as f64 * SURVEY_SHARE;
        CorpusSpec {
            transcripts,
            transcript_bytes,
            survey_answers: (survey_bytes / ANSWER_BYTES as f64).round() as usize,
            codings: 0,
            seed,
        }
    }

    /// About `megabytes` MB of text in 50 kB transcripts and survey answers.
    pub fn of_megabytes(megabytes: f64, seed: u64) -> Self {
        let transcript_bytes = 50_000;
        let transcript_share = megabytes * 1e6 * (1.0 - SURVEY_SHARE);
        let transcripts = (transcript_share / transcript_bytes as f64).ceil().max(1.0) as usize;
        let mut spec = CorpusSpec::new(transcripts, transcript_bytes, seed);
        spec.survey_answers = (megabytes * 1e6 * SURVEY_SHARE / ANSWER_BYTES as f64) as usize;
        spec
    }

    pub fn with_codings(mut self, codings: usize) -> Self {
        self.codings = codings;
        self
    }

    /// Text the spec asks for, in bytes (what is written comes close).
    pub fn expected_bytes(&self) -> usize {
        self.transcripts * self.transcript_bytes + self.survey_answers * ANSWER_BYTES
    }
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeneratedCorpus {
    pub transcripts: usize,
    pub survey_answers: usize,
    /// Bytes of document text (transcript bodies and answers), front matter excluded.
    pub text_bytes: usize,
    /// Codings written per coder, in the order of [`CODERS`].
    pub codings: [usize; 2],
}

/// Writes a project to `dir`, which must not hold a project yet.
pub fn write_corpus(dir: &Path, spec: &CorpusSpec) -> Result<GeneratedCorpus> {
    let config = dir.join(crate::project::CONFIG_FILE);
    if config.exists() {
        return Err(Error::Invalid {
            path: config,
            message: "a project already exists here; generate into a new folder".into(),
        });
    }
    let transcripts = dir.join(crate::project::TRANSCRIPTS_DIR);
    std::fs::create_dir_all(&transcripts).map_err(|e| Error::io(&transcripts, e))?;
    let write = |name: &str, content: &str| {
        let path = dir.join(name);
        std::fs::write(&path, content).map_err(|e| Error::io(&path, e))
    };
    write(crate::project::CONFIG_FILE, "name = \"generated corpus\"\n")?;
    let mut cases = String::from("case,integration,list_size,training\n");
    for (i, case) in CASES.iter().enumerate() {
        let integration = if i < 3 { "FIP" } else { "PIP" };
        let _ = writeln!(
            cases,
            "{case},{integration},{},{}",
            3000 + 700 * i,
            i.is_multiple_of(2)
        );
    }
    write(crate::project::CASES_FILE, &cases)?;
    write(crate::project::CODEBOOK_FILE, &generated_codebook())?;
    let mut dictionary = String::from("code,term\n");
    for (code, term) in generated_dictionary(DICTIONARY_TERMS) {
        let _ = writeln!(dictionary, "{code},{term}");
    }
    write(DICTIONARY_FILE, &dictionary)?;

    let mut numbers = SeededNumbers(spec.seed);
    let per_coder_per_byte = spec.codings as f64 / 2.0 / spec.expected_bytes().max(1) as f64;
    let mut codings = Codings::new(dir, spec.codings > 0)?;
    let mut generated = GeneratedCorpus::default();
    for d in 0..spec.transcripts {
        let id = format!("doc{d:06}");
        let (front, body) = transcript(&mut numbers, d, spec.transcript_bytes);
        let path = transcripts.join(format!("{id}.txt"));
        let mut file = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
        file.write_all(front.as_bytes())
            .and_then(|()| file.write_all(body.text.as_bytes()))
            .map_err(|e| Error::io(&path, e))?;
        codings.code(&mut numbers, &id, &body, per_coder_per_byte)?;
        generated.text_bytes += body.text.len();
        generated.transcripts += 1;
    }
    for (phase, answers) in [
        ("P2", spec.survey_answers.div_ceil(2)),
        ("P4", spec.survey_answers / 2),
    ] {
        if answers == 0 {
            continue;
        }
        let stem = format!("survey_{}", phase.to_ascii_lowercase());
        let path = transcripts.join(format!("{stem}.csv"));
        let fail = |e: csv::Error| Error::Invalid {
            path: path.clone(),
            message: e.to_string(),
        };
        let mut out = csv::Writer::from_path(&path).map_err(fail)?;
        out.write_record([
            "id",
            "case",
            "respondent",
            "role",
            "phase",
            "question",
            "answer",
        ])
        .map_err(fail)?;
        for a in 0..answers {
            let (speaker, role) = PEOPLE[numbers.below(PEOPLE.len())];
            let question = numbers.below(QUESTIONS.len());
            let mut answer = Body::default();
            answer.turn_start();
            let sentences = 1 + numbers.below(4);
            answer.sentences(&mut numbers, sentences, ANSWER_BYTES);
            answer.turn_end();
            let id = (a + 1).to_string();
            out.write_record([
                id.as_str(),
                CASES[numbers.below(CASES.len())],
                speaker,
                role,
                phase,
                &format!("q{}", question + 1),
                &answer.text,
            ])
            .map_err(fail)?;
            codings.code(
                &mut numbers,
                &format!("{stem}#{id}"),
                &answer,
                per_coder_per_byte,
            )?;
            generated.text_bytes += answer.text.len();
            generated.survey_answers += 1;
        }
        out.flush().map_err(|e| Error::io(&path, e))?;
    }
    generated.codings = codings.finish()?;
    Ok(generated)
}

/// Text being generated, with the code point spans of its sentences (for codings).
#[derive(Default)]
struct Body {
    text: String,
    chars: u32,
    /// (start, end) of each sentence a participant said, in code points.
    sentences: Vec<(u32, u32)>,
    /// Index into `sentences` where each participant turn begins and ends.
    turns: Vec<(usize, usize)>,
}

impl Body {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.chars += if s.is_ascii() {
            s.len() as u32
        } else {
            s.chars().count() as u32
        };
    }

    fn turn_start(&mut self) {
        self.turns
            .push((self.sentences.len(), self.sentences.len()));
    }

    fn turn_end(&mut self) {
        if let Some(turn) = self.turns.last_mut() {
            turn.1 = self.sentences.len();
        }
    }

    /// Appends `count` sentences (at least one, and no more than needed to pass `bytes`).
    fn sentences(&mut self, numbers: &mut SeededNumbers, count: usize, bytes: usize) {
        let limit = self.text.len().saturating_add(bytes);
        for sentence in 0..count.max(1) {
            if sentence > 0 {
                if self.text.len() >= limit {
                    break;
                }
                self.push(" ");
            }
            let start = self.chars;
            let words = 4 + numbers.below(16);
            for w in 0..words {
                let word = WORDS[numbers.below(WORDS.len())];
                if w == 0 {
                    let mut chars = word.chars();
                    if let Some(first) = chars.next() {
                        let mut upper = [0; 4];
                        for c in first.to_uppercase() {
                            self.push(c.encode_utf8(&mut upper));
                        }
                        self.push(chars.as_str());
                    }
                } else {
                    self.push(" ");
                    self.push(word);
                }
            }
            self.push([".", ".", ".", "?", "!"][numbers.below(5)]);
            self.sentences.push((start, self.chars));
        }
    }
}

/// Front matter and body of transcript `index`. Every sixth is a focus group (phase P1, four
/// or five participants, twice as long); the others are interviews in phase P2 or P3.
fn transcript(numbers: &mut SeededNumbers, index: usize, mean_bytes: usize) -> (String, Body) {
    let case = CASES[index % CASES.len()];
    let focus_group = index.is_multiple_of(6);
    let (method, phase, bytes, participants) = if focus_group {
        ("focus_group", "P1", mean_bytes * 2, 4 + numbers.below(2))
    } else {
        let phase = if index.is_multiple_of(2) { "P2" } else { "P3" };
        // Interviews vary in length: 40% to 120% of the mean keeps the mean overall.
        let bytes = mean_bytes * (40 + numbers.below(81)) / 100;
        ("interview", phase, bytes, 1)
    };
    let first = numbers.below(PEOPLE.len());
    let people: Vec<(&str, &str)> = (0..participants)
        .map(|i| PEOPLE[(first + i) % PEOPLE.len()])
        .collect();
    let mut front = format!(
        "---\ncase: {case}\nmethod: {method}\nphase: {phase}\ndate: 2015-{:02}-{:02}\nparticipants:\n",
        1 + index % 12,
        1 + index % 28
    );
    for (speaker, role) in std::iter::once(&INTERVIEWER).chain(&people) {
        let _ = writeln!(front, "  - speaker: {speaker}\n    role: {role}");
    }
    front.push_str("---\n");
    let mut body = Body::default();
    while body.text.len() < bytes {
        let question = QUESTIONS[numbers.below(QUESTIONS.len())];
        body.push(INTERVIEWER.0);
        body.push(": ");
        body.push(question);
        body.push("?\n\n");
        // In a focus group several people answer one question.
        for _ in 0..1 + numbers.below(participants.min(3)) {
            let (speaker, _) = people[numbers.below(people.len())];
            body.push(speaker);
            body.push(": ");
            body.turn_start();
            let sentences = 1 + numbers.below(6);
            body.sentences(numbers, sentences, usize::MAX);
            body.turn_end();
            body.push("\n\n");
        }
    }
    (front, body)
}

/// When the generated codings say they were made.
const GENERATED_AT: &str = "2026-01-01T00:00:00.000Z";

/// The codings files being written, one per coder.
struct Codings {
    files: Option<[(std::path::PathBuf, std::io::BufWriter<std::fs::File>); 2]>,
    written: [usize; 2],
}

/// (code, first sentence, last sentence) of a coding, by sentence index.
type SentenceCoding = (usize, usize, usize);

impl Codings {
    fn new(dir: &Path, wanted: bool) -> Result<Self> {
        if !wanted {
            return Ok(Codings {
                files: None,
                written: [0; 2],
            });
        }
        let folder = dir.join(crate::project::CODINGS_DIR);
        std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
        let open = |coder: &str| -> Result<_> {
            let path = folder.join(format!("{coder}.csv"));
            let mut file = std::io::BufWriter::new(
                std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?,
            );
            file.write_all(b"id,coder,document,code,start,end,quote,created,entry\n")
                .map_err(|e| Error::io(&path, e))?;
            Ok((path, file))
        };
        Ok(Codings {
            files: Some([open(CODERS[0])?, open(CODERS[1])?]),
            written: [0; 2],
        })
    }

    /// Codes whole sentences of what participants said: the first coder about
    /// `per_byte * text length` codings of one to three sentences within a turn, the second
    /// coder mostly the same passages, some with a boundary one sentence off, and some of
    /// their own. Neither coder's codings of one code overlap.
    fn code(
        &mut self,
        numbers: &mut SeededNumbers,
        document: &str,
        body: &Body,
        per_byte: f64,
    ) -> Result<()> {
        let Some(files) = &mut self.files else {
            return Ok(());
        };
        if body.sentences.is_empty() {
            return Ok(());
        }
        let index = crate::support::text::CharIndex::new(&body.text);
        // Turn of each sentence, to keep codings within one turn.
        let mut turn_of = vec![0usize; body.sentences.len()];
        for (t, &(from, to)) in body.turns.iter().enumerate() {
            turn_of[from..to].fill(t);
        }
        let random_run = |numbers: &mut SeededNumbers| {
            let first = numbers.below(body.sentences.len());
            let last_in_turn = body.turns[turn_of[first]].1 - 1;
            (first, (first + numbers.below(3)).min(last_in_turn))
        };
        let mut first: Vec<SentenceCoding> = Vec::new();
        let mut taken: [Vec<Vec<(usize, usize)>>; 2] =
            [vec![Vec::new(); CODES], vec![Vec::new(); CODES]];
        for _ in 0..numbers.round(per_byte * body.text.len() as f64) {
            let (from, to) = random_run(numbers);
            if let Some(code) = place(&mut taken[0], numbers.below(CODES), from, to, true) {
                first.push((code, from, to));
            }
        }
        let mut second: Vec<SentenceCoding> = Vec::new();
        for &(code, from, to) in &first {
            let turn = body.turns[turn_of[from]];
            let roll = numbers.below(100);
            let (code, from, to, other_codes) = if roll < SHARED_CODINGS / 2 {
                (code, from, to, false)
            } else if roll < SHARED_CODINGS * 3 / 4 {
                // One sentence more or less at the end.
                let to = if to + 1 < turn.1 && numbers.below(2) == 0 {
                    to + 1
                } else {
                    to.saturating_sub(1).max(from)
                };
                (code, from, to, false)
            } else if roll < SHARED_CODINGS {
                // One sentence more or less at the start.
                let from = if from > turn.0 && numbers.below(2) == 0 {
                    from - 1
                } else {
                    (from + 1).min(to)
                };
                (code, from, to, false)
            } else {
                let (from, to) = random_run(numbers);
                (numbers.below(CODES), from, to, true)
            };
            if let Some(code) = place(&mut taken[1], code, from, to, other_codes) {
                second.push((code, from, to));
            }
        }
        for (c, codings) in [first, second].into_iter().enumerate() {
            let mut spans: Vec<(u32, u32, usize)> = codings
                .into_iter()
                .map(|(code, from, to)| (body.sentences[from].0, body.sentences[to].1, code))
                .collect();
            spans.sort_unstable();
            let (path, file) = &mut files[c];
            for (start, end, code) in spans {
                let quote = index
                    .slice(&body.text, start as usize, end as usize)
                    .unwrap_or_default();
                // Ids derived from the coding, so that a seed gives the same corpus every time.
                let id = crate::record::derived_id(&format!(
                    "{}\u{1f}{document}\u{1f}{code}\u{1f}{start}",
                    CODERS[c]
                ));
                writeln!(
                    file,
                    "{id},{},{document},g{}.c{},{start},{end},\"{}\",{GENERATED_AT},",
                    CODERS[c],
                    code / 10,
                    code % 10,
                    quote.replace('"', "\"\"")
                )
                .map_err(|e| Error::io(&*path, e))?;
                self.written[c] += 1;
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<[usize; 2]> {
        if let Some(files) = self.files {
            for (path, mut file) in files {
                file.flush().map_err(|e| Error::io(&path, e))?;
            }
        }
        Ok(self.written)
    }
}

/// Claims sentences `from..=to` for `code` unless that code already covers one of them;
/// with `other_codes`, tries the following codes in turn. Returns the code claimed.
fn place(
    taken: &mut [Vec<(usize, usize)>],
    code: usize,
    from: usize,
    to: usize,
    other_codes: bool,
) -> Option<usize> {
    let tries = if other_codes { CODES } else { 1 };
    (0..tries).map(|i| (code + i) % CODES).find(|&c| {
        let spans = &mut taken[c];
        let clash = spans.iter().any(|&(f, t)| f <= to && from <= t);
        if !clash {
            spans.push((from, to));
        }
        !clash
    })
}

/// 50 codes under 5 parents: `g0.c0` .. `g4.c9`.
pub fn generated_codebook() -> String {
    let mut s = String::from("codes:\n");
    for g in 0..5 {
        let _ = writeln!(s, "  - id: g{g}\n    name: Group {g}\n    children:");
        for c in 0..10 {
            let _ = writeln!(s, "      - id: g{g}.c{c}\n        name: Code {g}.{c}");
        }
    }
    s
}

/// A dictionary of `terms` distinct terms spread over the 50 generated codes, as a
/// researcher's term list would be: content words and two-word phrases, no function words.
pub fn generated_dictionary(terms: usize) -> Vec<(String, String)> {
    let content: Vec<&str> = WORDS.iter().copied().filter(|w| w.len() > 4).collect();
    let mut numbers = SeededNumbers(7);
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(terms);
    // Single words first, then phrases; a repeated phrase is drawn again.
    let mut singles = content.iter().step_by(2);
    let limit = terms.min(content.len() / 2 + content.len() * content.len());
    while out.len() < limit {
        let i = out.len();
        let term = match singles.next() {
            Some(word) if i < content.len() / 2 => word.to_string(),
            _ => format!(
                "{} {}",
                content[numbers.below(content.len())],
                content[numbers.below(content.len())]
            ),
        };
        if seen.insert(term.to_lowercase()) {
            out.push((format!("g{}.c{}", (i / 10) % 5, i % 10), term));
        }
    }
    out
}
