#!/usr/bin/env bash
# One command for a fresh machine: install what the tests need (npm packages, the pinned
# Envoy, redis-server), build, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d node_modules ]] || npm ci --no-audit --no-fund
bash scripts/install-envoy.sh
bash scripts/install-redis.sh
bash scripts/install-chromium.sh
npm run --silent build
npx vitest run "$@"
