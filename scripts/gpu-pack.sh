#!/usr/bin/env bash
# Packs what issue #17's check needs on the lent GPU machine, which has no Node.js: the pinned
# Node.js (scripts/install-node.sh), the build, and the production dependencies, as one xz
# archive in the ignored folder .gpu-carry/ (about 40 MB; the device tool carries at most 64 MiB).
# Then, with the device tool: carry [".gpu-carry"], command "bash scripts/gpu-run.sh".
# Before carrying it, try it here: bash scripts/gpu-run.sh --library <a libnvidia-ml> (the tests
# do, against test/fixtures/nvml/fake-nvml.c).
# Options: --no-build (use dist/ as it is), --out DIR (instead of .gpu-carry).
set -euo pipefail
cd "$(dirname "$0")/.."
build=1
dest=.gpu-carry
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-build) build=0; shift ;;
    --out) dest="$2"; shift 2 ;;
    *) echo "gpu-pack.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
NODE_BIN="$(bash scripts/install-node.sh | tail -n 1)"
NODE_BIN="${NODE_BIN#NODE_BIN=}"
[[ $build == 1 ]] && npm run --silent build
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp -r dist protos assets package.json package-lock.json "$stage"/
(cd "$stage" && npm ci --omit=dev --no-audit --no-fund --loglevel=error >/dev/null)
cp "$NODE_BIN" "$stage/node"
rm -rf "$dest"
mkdir -p "$dest"
tar -C "$stage" -cf - node dist protos assets node_modules package.json | xz -T0 -6 > "$dest/bundle.tar.xz"
echo "packed $dest/bundle.tar.xz ($(du -h "$dest/bundle.tar.xz" | cut -f1)) with $("$NODE_BIN" --version)"
