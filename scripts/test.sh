#!/usr/bin/env bash
# One command for a fresh machine: install what the tests need (npm packages, the pinned
# Envoy, redis-server, chromium, llama.cpp's llama-server with a small real model), build, run
# every test.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d node_modules ]] || npm ci --no-audit --no-fund
bash scripts/install-envoy.sh
bash scripts/install-redis.sh
bash scripts/install-chromium.sh
# Real engine: llama-server + SmolLM2 GGUF, cached outside the clone (first run builds: ~7 min).
bash scripts/install-llama.sh
# Kubernetes' own schemas for the manifests in deploy/k8s.
bash scripts/install-kubernetes-validate.sh
npm run --silent build
mkdir -p test-artifacts
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json "$@" || status=$?
# A plain closing line CI can read: "tests: N passed, N failed".
node -e '
  const r = JSON.parse(require("fs").readFileSync("test-artifacts/vitest.json", "utf8"));
  // A file whose beforeAll fails fails no test (its tests are skipped): say so.
  const files = r.testResults.filter((f) => f.status === "failed" && f.assertionResults.every((a) => a.status !== "failed")).length;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : "") + (files ? `, ${files} file(s) failed outside any test` : ""));
' || true
exit $status
