//! Running a sentence model: the tokenizer from `tokenizer.json`, a BERT encoder from
//! `model.safetensors` (candle, on the CPU), then the pooling sentence-transformers' files
//! name (`modules.json`, `1_Pooling/config.json`): the mean of the token vectors the attention
//! mask keeps, then L2 normalisation when the model has a Normalize module. Texts longer than
//! the model's maximum length (`sentence_bert_config.json`, else the position embeddings') are
//! cut there, as sentence-transformers cuts them, and counted.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use crate::error::{Error, Result};

/// Texts run through the model together: long enough to keep the matrix products busy, short
/// enough that padding (to the longest in the batch) wastes little once texts are sorted by
/// length.
const BATCH: usize = 32;

/// A loaded sentence model.
pub struct Encoder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
    normalize: bool,
    /// Tokens a text is cut to, with `[CLS]` and `[SEP]`.
    pub max_tokens: usize,
    pub dimensions: usize,
    /// The model's hash (see [`super::models`]).
    pub hash: String,
}

/// Vectors of texts, in their order, and how many of the texts were cut.
pub struct Encoded {
    pub vectors: Vec<Vec<f32>>,
    pub truncated: Vec<bool>,
}

fn read_json(path: &Path) -> Result<Option<serde_json::Value>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::Invalid {
                path: path.to_path_buf(),
                message: format!("not valid JSON ({e})"),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

impl Encoder {
    /// Loads the model in `dir` (an installed model's folder).
    pub fn load(dir: &Path, hash: &str) -> Result<Encoder> {
        let invalid = |path: &Path, message: String| Error::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let config_path = dir.join("config.json");
        let config_bytes = std::fs::read(&config_path).map_err(|e| Error::io(&config_path, e))?;
        let config: Config = serde_json::from_slice(&config_bytes).map_err(|e| {
            invalid(
                &config_path,
                format!("not a BERT configuration this build can run ({e})"),
            )
        })?;
        let raw: serde_json::Value = serde_json::from_slice(&config_bytes)
            .map_err(|e| invalid(&config_path, e.to_string()))?;
        let dimensions = raw["hidden_size"].as_u64().unwrap_or(0) as usize;
        let positions = raw["max_position_embeddings"].as_u64().unwrap_or(512) as usize;

        // The pooling sentence-transformers would use: only mean pooling is supported.
        let pooling_path = dir.join("1_Pooling/config.json");
        if let Some(pooling) = read_json(&pooling_path)? {
            let on = |key: &str| pooling[key].as_bool().unwrap_or(false);
            let others = [
                "pooling_mode_cls_token",
                "pooling_mode_max_tokens",
                "pooling_mode_mean_sqrt_len_tokens",
                "pooling_mode_weightedmean_tokens",
                "pooling_mode_lasttoken",
            ];
            if !on("pooling_mode_mean_tokens") || others.iter().any(|k| on(k)) {
                return Err(invalid(
                    &pooling_path,
                    "only mean pooling (pooling_mode_mean_tokens alone) is supported".into(),
                ));
            }
        }
        // Without modules.json (a bare folder), vectors are normalised as for
        // all-MiniLM-L6-v2; with it, only when it lists a Normalize module.
        let normalize = match read_json(&dir.join("modules.json"))? {
            Some(modules) => modules.as_array().into_iter().flatten().any(|m| {
                m["type"]
                    .as_str()
                    .is_some_and(|t| t.ends_with(".Normalize"))
            }),
            None => true,
        };
        let max_tokens = read_json(&dir.join("sentence_bert_config.json"))?
            .and_then(|c| c["max_seq_length"].as_u64())
            .map_or(positions, |n| n as usize)
            .min(positions);

        let tokenizer_path = dir.join("tokenizer.json");
        let mut tokenizer = Tokenizer::from_file(&tokenizer_path)
            .map_err(|e| invalid(&tokenizer_path, format!("not a readable tokenizer ({e})")))?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                ..TruncationParams::default()
            }))
            .map_err(|e| invalid(&tokenizer_path, e.to_string()))?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..PaddingParams::default()
        }));

        let device = Device::Cpu;
        let weights_path = dir.join("model.safetensors");
        let weights = std::fs::read(&weights_path).map_err(|e| Error::io(&weights_path, e))?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device)
            .map_err(|e| invalid(&weights_path, format!("not readable safetensors ({e})")))?;
        let model = BertModel::load(vb, &config).map_err(|e| {
            invalid(
                &weights_path,
                format!("the weights do not fit a BERT of this configuration ({e})"),
            )
        })?;
        Ok(Encoder {
            model,
            tokenizer,
            device,
            normalize,
            max_tokens,
            dimensions,
            hash: hash.to_string(),
        })
    }

    /// Vectors of `texts`, in their order.
    pub fn encode(&self, texts: &[&str]) -> Result<Encoded> {
        let mut order: Vec<usize> = (0..texts.len()).collect();
        // Similar lengths in one batch: little padding.
        order.sort_by_key(|&i| (texts[i].len(), i));
        let mut vectors = vec![Vec::new(); texts.len()];
        let mut truncated = vec![false; texts.len()];
        for batch in order.chunks(BATCH) {
            let inputs: Vec<&str> = batch.iter().map(|&i| texts[i]).collect();
            let (batch_vectors, batch_truncated) = self.encode_batch(&inputs)?;
            for ((&i, v), t) in batch.iter().zip(batch_vectors).zip(batch_truncated) {
                vectors[i] = v;
                truncated[i] = t;
            }
        }
        Ok(Encoded { vectors, truncated })
    }

    fn encode_batch(&self, texts: &[&str]) -> Result<(Vec<Vec<f32>>, Vec<bool>)> {
        let failed = |what: &str, e: &dyn std::fmt::Display| {
            Error::argument("embeddings", format!("{what} failed: {e}"))
        };
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| failed("tokenizing", &e))?;
        let truncated: Vec<bool> = encodings
            .iter()
            .map(|e| !e.get_overflowing().is_empty())
            .collect();
        let rows = encodings.len();
        let width = encodings.first().map_or(0, |e| e.get_ids().len());
        let flat = |f: &dyn Fn(&tokenizers::Encoding) -> &[u32]| -> Vec<u32> {
            encodings.iter().flat_map(|e| f(e).to_vec()).collect()
        };
        let tensor = |values: Vec<u32>| {
            Tensor::from_vec(values, (rows, width), &self.device)
                .map_err(|e| failed("building the batch", &e))
        };
        let ids = tensor(flat(&|e| e.get_ids()))?;
        let types = tensor(flat(&|e| e.get_type_ids()))?;
        let mask = tensor(flat(&|e| e.get_attention_mask()))?;
        let pooled = (|| -> candle_core::Result<Vec<Vec<f32>>> {
            let hidden = self.model.forward(&ids, &types, Some(&mask))?;
            // Mean over the tokens the mask keeps.
            let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
            let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
            let counts = mask.sum(1)?.clamp(1e-9f32, f32::MAX)?;
            let mut mean = summed.broadcast_div(&counts)?;
            if self.normalize {
                let norms = mean
                    .sqr()?
                    .sum_keepdim(1)?
                    .sqrt()?
                    .clamp(1e-12f32, f32::MAX)?;
                mean = mean.broadcast_div(&norms)?;
            }
            mean.to_vec2::<f32>()
        })()
        .map_err(|e| failed("running the model", &e))?;
        Ok((pooled, truncated))
    }
}
