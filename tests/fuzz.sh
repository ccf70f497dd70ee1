#!/usr/bin/env bash
# Every fuzz target (fuzz/, README "Fuzzing") for FUZZ_SECONDS seconds each (default 5) from
# its seed corpus fuzz/seeds/<target>, under nightly. Built for CI's clock: unoptimised (the
# regex and parsing crates optimised, fuzz/Cargo.toml) and without AddressSanitizer, which
# takes the cold build from over 20 minutes to about 4 on 2 cores; qualkit's parsers are safe
# Rust, so what a short run looks for (panics, aborts, memory, hangs) needs no sanitizer.
# Longer runs use the optimised ASan build (README). A panic, an abort,
# more than 2 GB of memory or an input that runs over 30 s fails the run; libFuzzer keeps the
# input in fuzz/artifacts/<target>/. Inputs found along the way go to fuzz/corpus/ (ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-5}

if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

# One build for all targets: the parsers (qualkit without default features) and the kernel's
# wire (feature `jupyter`: the zeromq codec and kernel::wire), still without polars.
cargo +nightly fuzz build --dev --sanitizer none --features jupyter

for target in transcript captions docx xlsx survey_csv codebook codings_csv qdpx qdc zmtp_frames kernel_message; do
    case $target in
        qdpx | qdc | docx | xlsx) max_len=32768 ;;
        zmtp_frames | kernel_message) max_len=8192 ;;
        *) max_len=16384 ;;
    esac
    mkdir -p "fuzz/corpus/$target"
    echo "fuzz: $target for ${seconds}s"
    log=$(mktemp)
    status=0
    cargo +nightly fuzz run --dev --sanitizer none --features jupyter "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -max_len="$max_len" -timeout=30 \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log" || true
    if [ "$status" -ne 0 ]; then
        tail -n 60 "$log" >&2
        echo "fuzz: $target failed (exit $status); the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    rm -f "$log"
done
