#!/usr/bin/env bash
# ctest: render k8s/ and check the rendered objects (check_manifests.py).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT
bash "$here/render_overlays.sh" "$SALESOS_SOURCE_DIR" "$out"
/usr/bin/python3 "$here/check_manifests.py" base "$out/base.yaml" dev "$out/dev.yaml" prod "$out/prod.yaml"
