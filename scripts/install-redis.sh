#!/usr/bin/env bash
# Installs Debian's redis-server for the tests (they start their own on free loopback ports), and
# openssl, which makes the throwaway certificates of the TLS tests (devkit/tls.ts).
set -euo pipefail
if command -v redis-server >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1; then
  echo "using $(redis-server --version | head -1)"
  exit 0
fi
SUDO=""
if [[ "$(id -u)" != "0" ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends redis-server openssl >/dev/null 2>&1 || {
  $SUDO apt-get update >/dev/null
  $SUDO apt-get install -y --no-install-recommends redis-server openssl >/dev/null
}
# The package starts a system instance on 6379; the tests never use it.
redis-server --version | head -1
