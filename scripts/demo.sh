#!/usr/bin/env bash
# One command for a fresh machine: install what is missing, build, run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d node_modules ]] || npm ci --no-audit --no-fund
bash scripts/install-envoy.sh >/dev/null
npm run --silent build
node dist/scripts/demo.js
