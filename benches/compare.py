"""Prints qualkit's and the Python baseline's timings side by side, from the JSON files that
benches/compare.sh collects (qualkit-<MB>.json and baseline-<MB>.json for each size), then how
each side's cost grows with corpus size and which targets were met."""

import json
import math
import os
import sys

WORKLOADS = {
    "ingest": "ingest corpus",
    "store": "store codings (first open)",
    "open": "open project + index codings",
    "dictionary": "dictionary autocode 500 terms",
    "kwic": "word search + KWIC",
    "matrix": "matrix coding (words)",
    "framework": "Framework matrix + quotes",
    "cooccurrence": "co-occurrence 50x50",
    "agreement": "character-level agreement, 2 coders",
}
THROUGHPUT = {"ingest", "dictionary", "kwic"}


def load(directory, side, size):
    path = os.path.join(directory, f"{side}-{size}.json")
    with open(path) as f:
        return {m["workload"]: m for m in json.load(f)}


def ms(value):
    return f"{value / 1e3:.2f} s" if value >= 10_000 else f"{value:.1f} ms"


def ratio(r):
    """How many times faster qualkit is: whole numbers from 10 up, else one decimal."""
    return f"{r:.0f}x" if r >= 10 else f"{r:.1f}x"


def main():
    directory, sizes = sys.argv[1], sys.argv[2:]
    qualkit = {s: load(directory, "qualkit", s) for s in sizes}
    baseline = {s: load(directory, "baseline", s) for s in sizes}
    print(
        "| workload | size | qualkit median | qualkit cold | baseline median | ratio "
        "| qualkit peak (x text) | baseline peak | results agree |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for w, label in WORKLOADS.items():
        for s in sizes:
            q, b = qualkit[s].get(w), baseline[s].get(w)
            if q is None or b is None:
                continue
            mb = q["text_bytes"] / 1e6
            speed = f" ({mb / (q['median_ms'] / 1e3):.0f} MB/s)" if w in THROUGHPUT else ""
            agree = "yes" if q["check"] == b["check"] else f"no: {q['check']} vs {b['check']}"
            print(
                f"| {label} | {mb:.0f} MB | {ms(q['median_ms'])}{speed} | {ms(q['cold_ms'])} "
                f"| {ms(b['median_ms'])} | {ratio(b['median_ms'] / q['median_ms'])} "
                f"| {q['peak_bytes'] / 1e6:.0f} MB ({q['peak_bytes'] / q['text_bytes']:.1f}x) "
                f"| {b['peak_bytes'] / 1e6:.0f} MB | {agree} |"
            )
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        print(
            f"\nGrowth from {small} to {large} MB: exponent k in time ~ size^k "
            "(1.0 is linear), and the time per MB at each size.\n"
        )
        print("| workload | qualkit k | baseline k | qualkit ms/MB | baseline ms/MB |")
        print("|---|---|---|---|---|")
        for w, label in WORKLOADS.items():
            rows = [(qualkit[s].get(w), baseline[s].get(w)) for s in sizes]
            if any(q is None or b is None for q, b in rows):
                continue

            def k(side):
                first, last = rows[0][side], rows[-1][side]
                return math.log(last["median_ms"] / first["median_ms"]) / math.log(
                    last["text_bytes"] / first["text_bytes"]
                )

            def per_mb(side):
                return " / ".join(
                    f"{r[side]['median_ms'] / (r[side]['text_bytes'] / 1e6):.2f}" for r in rows
                )

            print(f"| {label} | {k(0):.2f} | {k(1):.2f} | {per_mb(0)} | {per_mb(1)} |")


if __name__ == "__main__":
    main()
