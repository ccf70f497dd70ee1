//! A deterministic generator of realistic-looking corpora, for benchmarks and scale tests:
//! transcripts with front matter, speakers and roles across cases and phases. The same seed and
//! size give the same files.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::{Error, Result};

const CASES: &[&str] = &[
    "Magenta", "Ochre", "Cyan", "Crimson", "Cobalt", "Olive", "Amber",
];
const PHASES: &[&str] = &["P1", "P2", "P3"];
const ROLES: &[(&str, &str)] = &[
    ("Dr Reid", "GP"),
    ("Ann", "CLP"),
    ("Mary", "PM"),
    ("Zoë", "nurse"),
    ("José", "receptionist"),
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

/// Deterministic pseudo-random numbers (SplitMix64): enough for varied text, no dependency.
struct Numbers(u64);

impl Numbers {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Writes a project with `documents` transcripts of about `bytes_per_document` bytes each.
pub fn write_corpus(
    dir: &Path,
    documents: usize,
    bytes_per_document: usize,
    seed: u64,
) -> Result<()> {
    let transcripts = dir.join("transcripts");
    std::fs::create_dir_all(&transcripts).map_err(|e| Error::io(&transcripts, e))?;
    let write = |name: &str, content: &str| {
        let path = dir.join(name);
        std::fs::write(&path, content).map_err(|e| Error::io(&path, e))
    };
    write("qualkit.toml", "name = \"generated corpus\"\n")?;
    let mut cases = String::from("case,integration\n");
    for (i, case) in CASES.iter().enumerate() {
        let _ = writeln!(cases, "{case},{}", if i < 3 { "FIP" } else { "PIP" });
    }
    write("cases.csv", &cases)?;
    write("codebook.yaml", &generated_codebook())?;
    let mut numbers = Numbers(seed);
    for d in 0..documents {
        let text = document(&mut numbers, d, bytes_per_document);
        let path = transcripts.join(format!("doc{d:06}.txt"));
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}

fn document(numbers: &mut Numbers, index: usize, bytes: usize) -> String {
    let case = CASES[index % CASES.len()];
    let phase = PHASES[(index / CASES.len()) % PHASES.len()];
    let mut s = format!("---\ncase: {case}\nmethod: interview\nphase: {phase}\nparticipants:\n");
    for (speaker, role) in ROLES {
        let _ = writeln!(s, "  - speaker: {speaker}\n    role: {role}");
    }
    s.push_str("---\n");
    while s.len() < bytes {
        let (speaker, _) = ROLES[numbers.below(ROLES.len())];
        let _ = write!(s, "{speaker}: ");
        for sentence in 0..1 + numbers.below(6) {
            if sentence > 0 {
                s.push(' ');
            }
            let words = 4 + numbers.below(16);
            for w in 0..words {
                let word = WORDS[numbers.below(WORDS.len())];
                if w == 0 {
                    let mut chars = word.chars();
                    if let Some(first) = chars.next() {
                        s.extend(first.to_uppercase());
                        s.push_str(chars.as_str());
                    }
                } else {
                    s.push(' ');
                    s.push_str(word);
                }
            }
            s.push(['.', '.', '.', '?', '!'][numbers.below(5)]);
        }
        s.push_str("\n\n");
    }
    s
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

/// A dictionary of `terms` terms spread over the 50 generated codes, as a researcher's term
/// list would be: content words and two-word phrases, no function words.
pub fn generated_dictionary(terms: usize) -> Vec<(String, String)> {
    let content: Vec<&str> = WORDS.iter().copied().filter(|w| w.len() > 4).collect();
    let mut numbers = Numbers(7);
    (0..terms)
        .map(|i| {
            let code = format!("g{}.c{}", (i / 10) % 5, i % 10);
            let term = if i < content.len() / 2 {
                content[i * 2].to_string()
            } else {
                format!(
                    "{} {}",
                    content[numbers.below(content.len())],
                    content[numbers.below(content.len())]
                )
            };
            (code, term)
        })
        .collect()
}
