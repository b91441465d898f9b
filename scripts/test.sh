#!/usr/bin/env bash
# One command for a fresh machine: install what the tests need (npm packages, the pinned
# Envoy, redis-server, chromium, llama.cpp's llama-server with a small real model, the image's
# Node.js), build, run every test on that Node.js.
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
# The suite runs on the Node.js the container image ships (cached outside the clone), not
# on whatever node the machine has: vitest, its workers and every process a test starts.
node_bin="$(bash scripts/install-node.sh | sed -n 's/^NODE_BIN=//p')"
[[ -x "$node_bin" ]] || { echo "scripts/install-node.sh gave no node binary" >&2; exit 1; }
echo "tests run on Node.js $("$node_bin" --version) ($node_bin)"
npm run --silent build
mkdir -p test-artifacts
status=0
THINKCAP_TEST_NODE="$node_bin" PATH="$(dirname "$node_bin"):$PATH" npx vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json "$@" || status=$?
# A plain closing line CI can read: "tests: N passed, N failed".
node -e '
  const r = JSON.parse(require("fs").readFileSync("test-artifacts/vitest.json", "utf8"));
  // A file whose beforeAll fails fails no test (its tests are skipped): say so.
  const files = r.testResults.filter((f) => f.status === "failed" && f.assertionResults.every((a) => a.status !== "failed")).length;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : "") + (files ? `, ${files} file(s) failed outside any test` : ""));
' || true
exit $status
