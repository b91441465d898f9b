#!/usr/bin/env bash
# Issue #17's check on the lent GPU machine, from the repo root with .gpu-carry/ carried
# (scripts/gpu-pack.sh): unpacks Node.js and the build, then runs benchmarks/gpu-verify.js (idle
# power, energy counter against integrated power under a load, attribution of three synthetic
# requests, the sampler's cost, thinkcap's /api/gpu and thinkcap_gpu_*). The load is a bf16
# matrix-multiply loop where python3 has PyTorch with CUDA, else CuPy, else none (idle twice:
# said so in the output); GPU_LOAD="<command>" names another. Writes gpu-verify.json and
# gpu-verify.txt to $OUT (the device tool's folder) or the current folder. Arguments go to
# gpu-verify.js (--library, --seconds, --idle-seconds). GPU_CARRY names another folder than
# .gpu-carry.
set -euo pipefail
out="${OUT:-.}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
xz -dc "${GPU_CARRY:-.gpu-carry}/bundle.tar.xz" | tar -C "$work" -xf -
nvidia-smi --query-gpu=name,driver_version,power.draw,power.limit --format=csv 2>&1 | tee "$out/nvidia-smi.txt" || true
load="${GPU_LOAD:-}"
if [[ -z "$load" ]]; then
  if python3 -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    load="python3 -c 'import torch
a = torch.randn(8192, 8192, device=\"cuda\", dtype=torch.bfloat16); b = torch.randn_like(a)
while True:
    a @ b; torch.cuda.synchronize()'"
  elif python3 -c 'import cupy' 2>/dev/null; then
    load="python3 -c 'import cupy
a = cupy.random.rand(8192, 8192, dtype=cupy.float32); b = cupy.random.rand(8192, 8192, dtype=cupy.float32)
while True:
    a @ b; cupy.cuda.Device().synchronize()'"
  fi
fi
args=(--idle-seconds 5 --seconds 20 --json "$out/gpu-verify.json")
[[ -n "$load" ]] && args+=(--load "$load")
"$work/node" "$work/dist/benchmarks/gpu-verify.js" "${args[@]}" "$@" 2>&1 | tee "$out/gpu-verify.txt"
