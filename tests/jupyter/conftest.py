"""Registers the freshly built qualkit kernel where Jupyter will find it, for every test."""

import os
import pathlib
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
QUALKIT = os.environ.get("QUALKIT_BIN", str(ROOT / "target" / "debug" / "qualkit"))

_prefix = tempfile.mkdtemp(prefix="qualkit-kernelspec-")
subprocess.run([QUALKIT, "kernel", "install", "--prefix", _prefix], check=True, capture_output=True)
# Jupyter looks in JUPYTER_PATH before anything installed system-wide.
os.environ["JUPYTER_PATH"] = os.path.join(_prefix, "share", "jupyter")
# Kernels start in the repository, so notebooks and cells find data/deep-end.
os.chdir(ROOT)
