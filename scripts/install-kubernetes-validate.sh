#!/usr/bin/env bash
# Installs the pinned kubernetes-validate (PyPI) into the ignored .tools/ folder, for the test that
# validates deploy/k8s against Kubernetes' own schemas. Idempotent.
set -euo pipefail
VERSION="${KUBERNETES_VALIDATE_VERSION:-1.37.0}"
cd "$(dirname "$0")/.."
DIR=.tools/kubernetes-validate
if [[ -f "$DIR/.version" && "$(cat "$DIR/.version")" == "$VERSION" ]]; then
  echo "kubernetes-validate $VERSION already in $DIR"
  exit 0
fi
PY="$(command -v python3 || command -v python)"
rm -rf "$DIR"
"$PY" -m pip install --quiet --disable-pip-version-check --target "$DIR" "kubernetes-validate==$VERSION"
echo "$VERSION" > "$DIR/.version"
echo "kubernetes-validate $VERSION installed in $DIR"
