#!/usr/bin/env bash
# ctest: the checkers reject broken manifests, compose files and Dockerfiles (checker_selftest.py).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT
bash "$here/render_overlays.sh" "$SALESOS_SOURCE_DIR" "$out"
/usr/bin/python3 "$here/checker_selftest.py" "$out/dev.yaml" "$out/prod.yaml"
