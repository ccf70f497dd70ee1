#!/usr/bin/env bash
# Kernel start-up and cell round trip, qualkit beside ipykernel:
#   bash benches/kernel.sh [starts=10] [cells=300]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin qualkit
venv=.venv-bench
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet jupyter_client ipykernel
fi
prefix=$(mktemp -d)
target/release/qualkit kernel install --prefix "$prefix" > /dev/null
"$venv/bin/python" -m ipykernel install --prefix "$prefix" > /dev/null
JUPYTER_PATH="$prefix/share/jupyter" "$venv/bin/python" benches/kernel_roundtrip.py "$@"
rm -rf "$prefix"
