#!/usr/bin/env bash
# qualkit against a pandas + re baseline, side by side, at several corpus sizes.
#
#   bash benches/compare.sh             # 10, 50 and 100 MB of text
#   bash benches/compare.sh 100 500 1000
#
# For each size it generates a corpus (`qualkit gen-corpus --mb N`, 10,000 codings per MB by
# two coders), runs every workload of benches/corpus.rs and of benches/baseline/workloads.py
# on it, each workload in a fresh process, and prints one table: workload, size, medians,
# ratio, peak memory, and whether both sides found the same result. RUNS (default 3) sets the
# warm runs per workload; COMPARE_DIR (default target/compare) holds corpora and results.
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10 50 100)
runs=${RUNS:-3}
work=${COMPARE_DIR:-target/compare}
mkdir -p "$work"

venv="$work/venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import pandas, yaml' 2>/dev/null; then
    echo "== Python environment ($venv): pandas, pyyaml"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet pandas pyyaml
fi

echo "== building (release)"
cargo bench --bench corpus --no-run --quiet
qualkit=target/release/qualkit

for mb in "${sizes[@]}"; do
    corpus="$work/corpus-${mb}mb"
    echo "== $mb MB"
    rm -rf "$corpus"
    "$qualkit" gen-corpus --mb "$mb" --codings $((mb * 10000)) "$corpus"
    echo "-- qualkit"
    cargo bench --bench corpus --quiet -- --project "$corpus" --runs "$runs" \
        --json "$work/qualkit-$mb.json"
    echo "-- baseline (Python $("$venv/bin/python" -c 'import platform, pandas; print(platform.python_version(), "pandas", pandas.__version__)'))"
    "$venv/bin/python" benches/baseline/workloads.py --project "$corpus" --runs "$runs" \
        --json "$work/baseline-$mb.json"
done

echo
echo "== $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo); $runs warm runs per workload"
"$venv/bin/python" benches/compare.py "$work" "${sizes[@]}"
