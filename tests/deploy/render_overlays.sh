#!/usr/bin/env bash
# Renders k8s/base and both overlays with `kubectl kustomize` into <out dir>/{base,dev,prod}.yaml.
# Where kubectl is missing it installs Debian's kubernetes-client; a kubectl whose kustomize is too
# old for components (Debian 12's 1.20 client) fails here with a message saying so.
# Usage: render_overlays.sh <source dir> <out dir>
set -euo pipefail
src="$1" out="$2"
mkdir -p "$out"
if ! command -v kubectl >/dev/null; then
  echo "kubectl is missing: installing Debian's kubernetes-client" >&2
  as_root=(); [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null
fi
for target in base overlays/dev overlays/prod; do
  name="$(basename "$target")"
  if ! kubectl kustomize "$src/k8s/$target" > "$out/$name.yaml" 2> "$out/$name.err"; then
    cat "$out/$name.err" >&2
    echo "kubectl kustomize could not render k8s/$target with $(kubectl version --client 2>/dev/null | tr '\n' ' ')." >&2
    echo "The manifests use kustomize components (kustomize v4+, kubectl 1.21+); install a newer kubectl from https://kubernetes.io/docs/tasks/tools/ (Debian 12's kubernetes-client is 1.20)." >&2
    exit 1
  fi
done
