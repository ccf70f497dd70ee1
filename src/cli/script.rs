//! Running Rhai outside the prompt: `qualkit run` for a saved script, and the Jupyter kernel.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use qualkit::{Error, Result};

use super::LimitArgs;

#[derive(Args)]
pub(super) struct RunArgs {
    script: PathBuf,
    #[command(flatten)]
    limits: LimitArgs,
}

impl RunArgs {
    /// Runs the script to its end, or until Ctrl-C stops it between two steps.
    pub(super) fn run(self) -> std::result::Result<(), qualkit::script::ScriptError> {
        let mut session = qualkit::script::Session::new(
            &qualkit::script::script_base(&self.script),
            self.limits.limits(),
        );
        let interrupt = session.interrupter();
        let _ =
            ctrlc::set_handler(move || interrupt.store(true, std::sync::atomic::Ordering::Relaxed));
        session.run_file(&self.script).map(|_| ())
    }
}

#[derive(Args)]
pub(super) struct KernelArgs {
    #[command(subcommand)]
    action: Option<KernelAction>,
    /// The connection file Jupyter writes (ports and key).
    #[arg(long)]
    connection_file: Option<PathBuf>,
    /// The limits of every cell.
    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(Subcommand)]
enum KernelAction {
    /// Register the "qualkit (Rhai)" kernel with Jupyter.
    Install {
        /// In the user's Jupyter folder.
        #[arg(long, conflicts_with_all = ["prefix", "sys_prefix"])]
        user: bool,
        /// Under PREFIX/share/jupyter.
        #[arg(long)]
        prefix: Option<PathBuf>,
        /// In the active Python environment (a venv or conda env).
        #[arg(long, conflicts_with = "prefix")]
        sys_prefix: bool,
    },
}

impl KernelArgs {
    pub(super) fn run(self) -> Result<()> {
        match (self.action, self.connection_file) {
            (
                Some(KernelAction::Install {
                    user,
                    prefix,
                    sys_prefix,
                }),
                _,
            ) => {
                use qualkit::kernel::install::{Location, install};
                let location = match (prefix, sys_prefix) {
                    (Some(prefix), _) => Location::Prefix(prefix),
                    (None, true) => Location::SysPrefix,
                    (None, false) => {
                        let _ = user; // the default, as with other kernels
                        Location::User
                    }
                };
                let executable = std::env::current_exe().map_err(|e| Error::io("qualkit", e))?;
                let dir = install(&location, &executable)?;
                println!("installed the qualkit (Rhai) kernel in {}", dir.display());
                Ok(())
            }
            (None, Some(file)) => qualkit::kernel::run(&file, self.limits.limits()),
            (None, None) => Err(Error::argument(
                "kernel",
                "give --connection-file FILE (Jupyter does this), or use `qualkit kernel install`",
            )),
        }
    }
}
