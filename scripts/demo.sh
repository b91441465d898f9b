#!/usr/bin/env bash
# One command for a fresh machine: install what is missing, build, run the demo on the Node.js
# the container image ships (scripts/install-node.sh; the machine's node on another OS or CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d node_modules ]] || npm ci --no-audit --no-fund
bash scripts/install-envoy.sh >/dev/null
node_bin="$(bash scripts/install-node.sh | sed -n 's/^NODE_BIN=//p')"
[[ -x "$node_bin" ]] || { echo "scripts/install-node.sh gave no node binary" >&2; exit 1; }
npm run --silent build
"$node_bin" dist/scripts/demo.js
