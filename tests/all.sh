#!/usr/bin/env bash
# Every test: the Rust tests, then the Jupyter suites (the jupyter_kernel_test conformance
# suite, the kernel driven by jupyter_client, every notebook run by nbclient) in a Python
# venv that this script creates in .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test
cargo build --bin qualkit   # the kernel the Jupyter tests drive: target/debug/qualkit

venv=.venv
if [ ! -x "$venv/bin/pytest" ] || ! cmp -s tests/jupyter/requirements.txt "$venv/requirements.txt"; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -r tests/jupyter/requirements.txt
    cp tests/jupyter/requirements.txt "$venv/requirements.txt"
fi
"$venv/bin/python" -m pytest tests/jupyter -q -p no:cacheprovider
