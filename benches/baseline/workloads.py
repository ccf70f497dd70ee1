"""The benchmark workloads of benches/corpus.rs, written as a researcher would in Python with
pandas and re: read the transcripts and CSV files, and answer the same questions from
DataFrames. Straightforward code, no deliberate slowness and no heroics.

    python workloads.py --project DIR [--json OUT] [--runs N] [--only a,b]

runs every workload in a fresh child process (its first run is cold; then up to N warm runs
while the workload has taken under 30 s in all) and reports, like the Rust side, cold and median times, peak resident
memory (from wait4) and a check value that must equal qualkit's.
"""

import argparse
import bisect
import glob
import json
import os
import re
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import yaml

WORKLOADS = [
    "ingest",
    "store",
    "open",
    "dictionary",
    "kwic",
    "matrix",
    "framework",
    "cooccurrence",
    "agreement",
]
# Warm runs stop once the workload has taken this long in all.
BUDGET_SECONDS = 30.0

# A speaker label at the start of a line: "Dr Reid: ...".
SPEAKER = re.compile(r"^([A-Z][\w .'’-]{0,60}?)[ \t]*:[ \t]+", re.MULTILINE)
WORD = re.compile(r"[\w'’]+")


# ---------------------------------------------------------------------------------------
# Reading a project


def read_documents(root):
    """Documents (one row per transcript or survey answer) and speaker turns."""
    documents, turns = [], []
    for path in sorted(glob.glob(os.path.join(root, "transcripts", "*.txt"))):
        with open(path, encoding="utf-8") as f:
            raw = f.read()
        _, front, text = raw.split("---\n", 2)
        meta = yaml.safe_load(front)
        roles = {p["speaker"]: p.get("role", "") for p in meta.get("participants") or []}
        document = os.path.splitext(os.path.basename(path))[0]
        documents.append(
            {
                "document": document,
                "case": meta["case"],
                "method": meta.get("method", ""),
                "phase": str(meta.get("phase", "")),
                "text": text,
            }
        )
        labels = [m for m in SPEAKER.finditer(text) if m.group(1).strip() in roles]
        for i, m in enumerate(labels):
            end = labels[i + 1].start() if i + 1 < len(labels) else len(text)
            content = text[m.end() : end].rstrip()
            speaker = m.group(1).strip()
            turns.append(
                {
                    "document": document,
                    "speaker": speaker,
                    "role": roles[speaker],
                    "start": m.end(),
                    "end": m.end() + len(content),
                }
            )
    for path in sorted(glob.glob(os.path.join(root, "transcripts", "*.csv"))):
        stem = os.path.splitext(os.path.basename(path))[0]
        answers = pd.read_csv(path, dtype=str, keep_default_na=False)
        for row in answers.itertuples(index=False):
            document = f"{stem}#{row.id}"
            documents.append(
                {
                    "document": document,
                    "case": row.case,
                    "method": "email_survey",
                    "phase": row.phase,
                    "text": row.answer,
                }
            )
            turns.append(
                {
                    "document": document,
                    "speaker": row.respondent,
                    "role": row.role,
                    "start": 0,
                    "end": len(row.answer),
                }
            )
    return pd.DataFrame(documents), pd.DataFrame(turns)


def read_codings(root):
    files = sorted(glob.glob(os.path.join(root, "codings", "*.csv")))
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)


class Project:
    def __init__(self, root):
        self.root = root
        self.documents, self.turns = read_documents(root)
        self.text = dict(zip(self.documents.document, self.documents.text))
        self.text_bytes = sum(len(t.encode("utf-8")) for t in self.documents.text)

    def with_codings(self):
        codings = read_codings(self.root)
        self.codings = codings[codings.document.isin(self.text.keys())]
        return self

    def turn_lookup(self):
        """Per document: turn starts, ends, speakers and roles, for finding who speaks."""
        lookup = {}
        for document, g in self.turns.groupby("document", sort=False):
            lookup[document] = (
                g.start.tolist(),
                g.end.tolist(),
                g.speaker.tolist(),
                g.role.tolist(),
            )
        return lookup


def speaker_at(lookup, document, position):
    starts, ends, speakers, roles = lookup.get(document, ([], [], [], []))
    i = bisect.bisect_right(starts, position) - 1
    if i >= 0 and position < max(ends[i], starts[i] + 1):
        return speakers[i], roles[i]
    return "(none)", "(none)"


def passages(codings, by):
    """Codings merged into passages: spans of the same `by` in one document that overlap
    (by either coder) become one; touching spans stay apart."""
    c = codings.sort_values(["document", by, "start", "end"]).reset_index(drop=True)
    keys = [c.document, c[by]]
    previous_end = c.groupby(keys)["end"].cummax().groupby(keys).shift()
    c["passage"] = (previous_end.isna() | (c.start >= previous_end)).cumsum()
    return c.groupby("passage").agg(
        document=("document", "first"),
        **{by: (by, "first")},
        start=("start", "min"),
        end=("end", "max"),
    )


def one_line(text):
    return " ".join(text.split())


# ---------------------------------------------------------------------------------------
# The workloads: each returns a check value (a count the result must have).


def ingest(root):
    return len(Project(root).documents)


def store(root):
    codings = read_codings(root)
    path = os.path.join(root, "baseline-codings.db")
    if os.path.exists(path):
        os.remove(path)
    with sqlite3.connect(path) as con:
        codings.to_sql("codings", con, index=False)
        con.execute("CREATE INDEX codings_by_place ON codings(document, code, coder, start)")
    return len(codings)


def open_project(root):
    return len(Project(root).with_codings().codings)


def dictionary(project):
    terms = pd.read_csv(os.path.join(project.root, "dictionary.csv"))
    code_of = {t.lower(): c for c, t in zip(terms.code, terms.term)}
    # Longest first, so that a phrase wins over the word it starts with; a match that runs
    # into a longer word is then dropped (qualkit's rule: the longest match must be a whole
    # word, a shorter term at the same place does not stand in for it).
    alternatives = sorted(code_of, key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, alternatives)) + ")", re.IGNORECASE)
    rows = []
    for document, text in project.text.items():
        for m in pattern.finditer(text):
            s, e = m.span()
            if e < len(text) and text[e].isalnum():
                continue
            rows.append((document, code_of[m.group(0).lower()], s, e))
    hits = pd.DataFrame(rows, columns=["document", "code", "start", "end"])
    return len(hits)


def kwic(project, lookup, word="housing", width=40):
    pattern = re.compile(r"\b" + re.escape(word) + r"\b", re.IGNORECASE)
    case = dict(zip(project.documents.document, project.documents.case))
    phase = dict(zip(project.documents.document, project.documents.phase))
    rows = []
    for document, text in project.text.items():
        for m in pattern.finditer(text):
            speaker, role = speaker_at(lookup, document, m.start())
            rows.append(
                {
                    "document": document,
                    "case": case[document],
                    "phase": phase[document],
                    "speaker": speaker,
                    "role": role,
                    "start": m.start(),
                    "end": m.end(),
                    "left": one_line(text[max(0, m.start() - width) : m.start()]),
                    "match": m.group(0),
                    "right": one_line(text[m.end() : m.end() + width]),
                }
            )
    return len(pd.DataFrame(rows))


def matrix(project):
    p = passages(project.codings, "code")
    p["words"] = [
        len(WORD.findall(project.text[d][s:e])) for d, s, e in zip(p.document, p.start, p.end)
    ]
    p = p.merge(project.documents[["document", "case"]], on="document")
    table = p.pivot_table(index="case", columns="code", values="words", aggfunc="sum", fill_value=0)
    return int(table.to_numpy().sum())


def framework(project, lookup):
    c = project.codings.assign(theme=project.codings.code.str.split(".").str[0])
    p = passages(c, "theme")
    p = p.merge(project.documents[["document", "case", "phase"]], on="document")
    p["quote"] = [
        "“{}” ({} {}–{}, {})".format(
            one_line(project.text[d][s:e]), d, s, e, speaker_at(lookup, d, s)[0]
        )
        for d, s, e in zip(p.document, p.start, p.end)
    ]
    cells = p.groupby(["case", "theme"]).agg(
        references=("quote", "size"), quotes=("quote", "\n".join)
    )
    cases = pd.read_csv(os.path.join(project.root, "cases.csv"))
    grid = pd.MultiIndex.from_product([cases.case, sorted(c.theme.unique())], names=["case", "theme"])
    table = cells.reindex(grid).fillna({"references": 0, "quotes": ""}).reset_index()
    table = table.merge(cases[["case", "integration"]], on="case").sort_values(
        ["integration", "case", "theme"]
    )
    return int(table.references.sum())


def cooccurrence(project):
    p = passages(project.codings, "code").reset_index()
    counts = {}
    for _, g in p.groupby("document", sort=False):
        pairs = g.merge(g, how="cross")
        pairs = pairs[(pairs.start_x < pairs.end_y) & (pairs.start_y < pairs.end_x)]
        pairs = pairs.drop_duplicates(["passage_x", "code_y"])
        for key, n in pairs.groupby(["code_x", "code_y"]).size().items():
            counts[key] = counts.get(key, 0) + n
    codes = sorted(p.code.unique())
    table = pd.DataFrame(
        [[counts.get((a, b), 0) for b in codes] for a in codes], index=codes, columns=codes
    )
    return int(table.to_numpy().sum())


def agreement(project, coders=("ak", "rb")):
    """Character-level agreement per code, as NVivo reports it: for each code and document
    either coder used it in, mark each coder's characters, count those both, one or neither
    coded, and weigh documents by length; kappa per code and overall."""
    c = project.codings[project.codings.coder.isin(coders)]
    rows = []
    for (code, document), g in c.groupby(["code", "document"]):
        n = len(project.text[document])
        marks = {coder: np.zeros(n, dtype=bool) for coder in coders}
        for coder, s, e in zip(g.coder, g.start, g.end):
            marks[coder][s:e] = True
        a, b = marks[coders[0]], marks[coders[1]]
        both = int((a & b).sum())
        first_only = int((a & ~b).sum())
        second_only = int((~a & b).sum())
        rows.append((code, n, both, first_only, second_only, n - both - first_only - second_only))
    counts = pd.DataFrame(
        rows, columns=["code", "characters", "both", "first_only", "second_only", "neither"]
    )
    n = counts.characters
    observed = (counts.both + counts.neither) / n
    first = (counts.both + counts.first_only) / n
    second = (counts.both + counts.second_only) / n
    expected = first * second + (1 - first) * (1 - second)
    # Kappa is 1 where both coders coded nothing or everything (no room for chance).
    counts["kappa"] = ((observed - expected) / (1 - expected)).where(expected < 1, 1.0)
    counts["weighted_kappa"] = counts.kappa * n
    per_code = counts.groupby("code")[
        ["characters", "both", "first_only", "second_only", "neither", "weighted_kappa"]
    ].sum()
    per_code.loc["(overall)"] = per_code.sum()
    per_code["kappa"] = per_code.weighted_kappa / per_code.characters
    return int(per_code.loc["(overall)", "both"])


# ---------------------------------------------------------------------------------------
# Timing


def measure(workload, text_bytes, runs, work):
    started = time.perf_counter()
    check = work()
    cold = time.perf_counter() - started
    warm = []
    while len(warm) < runs and cold + sum(warm) < BUDGET_SECONDS:
        started = time.perf_counter()
        again = work()
        warm.append(time.perf_counter() - started)
        assert again == check, f"{workload} gives the same result every run"
    warm.sort()
    return {
        "workload": workload,
        "text_bytes": text_bytes,
        "cold_ms": cold * 1e3,
        # A workload too slow for a warm run within the budget reports its cold run.
        "median_ms": (warm[len(warm) // 2] if warm else cold) * 1e3,
        "warm_runs": len(warm),
        "check": check,
    }


def run_workload(workload, root, runs):
    if workload in ("ingest", "store", "open"):
        text_bytes = Project(root).text_bytes
        work = {"ingest": ingest, "store": store, "open": open_project}[workload]
        return measure(workload, text_bytes, runs, lambda: work(root))
    project = Project(root)
    if workload == "dictionary":
        return measure(workload, project.text_bytes, runs, lambda: dictionary(project))
    lookup = project.turn_lookup()
    if workload == "kwic":
        return measure(workload, project.text_bytes, runs, lambda: kwic(project, lookup))
    project.with_codings()
    work = {
        "matrix": lambda: matrix(project),
        "framework": lambda: framework(project, lookup),
        "cooccurrence": lambda: cooccurrence(project),
        "agreement": lambda: agreement(project),
    }[workload]
    return measure(workload, project.text_bytes, runs, work)


def in_child(workload, root, runs):
    child = subprocess.Popen(
        [sys.executable, __file__, "--workload", workload, "--project", root, "--runs", str(runs)],
        stdout=subprocess.PIPE,
    )
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"workload {workload} failed")
    measured = json.loads(output)
    measured["peak_bytes"] = usage.ru_maxrss * 1024  # kilobytes on Linux
    return measured


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", required=True)
    parser.add_argument("--json")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only")
    parser.add_argument("--workload")
    args = parser.parse_args()
    if args.workload:
        print(json.dumps(run_workload(args.workload, args.project, args.runs)))
        return
    only = args.only.split(",") if args.only else WORKLOADS
    results = []
    for workload in WORKLOADS:
        if workload not in only:
            continue
        m = in_child(workload, args.project, args.runs)
        print(
            f"{workload:<13} cold {m['cold_ms']:>9.1f} ms  median {m['median_ms']:>9.1f} ms "
            f"({m['warm_runs']} runs)  peak {m['peak_bytes'] / 1e6:>6.0f} MB  check {m['check']}",
            flush=True,
        )
        results.append(m)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
