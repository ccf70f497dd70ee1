//! Registering the kernel with Jupyter: a `kernel.json` in a kernels folder that Jupyter
//! searches, pointing at this executable.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::error::{Error, Result};

/// The kernel's name in Jupyter (`--kernel qualkit`).
pub const KERNEL_NAME: &str = "qualkit";

/// Where to register the kernel, as Jupyter's own tools offer.
#[derive(Debug, Clone)]
pub enum Location {
    /// The user's Jupyter data folder.
    User,
    /// `PREFIX/share/jupyter`.
    Prefix(PathBuf),
    /// The active Python environment (a venv or conda env).
    SysPrefix,
}

fn python_prefix() -> Result<PathBuf> {
    for variable in ["VIRTUAL_ENV", "CONDA_PREFIX"] {
        if let Some(prefix) = std::env::var_os(variable).filter(|p| !p.is_empty()) {
            return Ok(PathBuf::from(prefix));
        }
    }
    let output = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.prefix)"])
        .output()
        .map_err(|e| {
            Error::argument(
                "--sys-prefix",
                format!(
                    "no active Python environment and python3 could not be run ({e}); use --prefix"
                ),
            )
        })?;
    Ok(PathBuf::from(
        String::from_utf8_lossy(&output.stdout).trim(),
    ))
}

/// The kernels folder for a location.
pub fn kernels_dir(location: &Location) -> Result<PathBuf> {
    let data = match location {
        Location::User => jupyter_zmq_client::dirs::user_data_dir()
            .map_err(|e| Error::argument("--user", format!("no user Jupyter folder: {e}")))?,
        Location::Prefix(prefix) => prefix.join("share").join("jupyter"),
        Location::SysPrefix => python_prefix()?.join("share").join("jupyter"),
    };
    Ok(data.join("kernels"))
}

/// Writes the kernel spec for `executable`; returns the folder written.
pub fn install(location: &Location, executable: &Path) -> Result<PathBuf> {
    let dir = kernels_dir(location)?.join(KERNEL_NAME);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let spec = json!({
        "argv": [executable.to_string_lossy(), "kernel", "--connection-file", "{connection_file}"],
        "display_name": "qualkit (Rhai)",
        "language": "rhai",
        // Without this, an interrupt is a signal, which would end the process.
        "interrupt_mode": "message",
        "metadata": { "debugger": false }
    });
    let path = dir.join("kernel.json");
    let text = serde_json::to_string_pretty(&spec).expect("a JSON value serialises");
    std::fs::write(&path, text + "\n").map_err(|e| Error::io(&path, e))?;
    Ok(dir)
}
