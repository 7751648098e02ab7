#!/usr/bin/env bash
# Installs what senti needs to build and test on a fresh Debian/Ubuntu machine, makes the project's
# Python (.venv/, scripts/python_env.sh), then configures and builds it into build/. Idempotent:
# packages already installed are not fetched again, a current .venv is kept.
#   scripts/setup.sh            # deps + build
#   SENTI_CUDA=OFF scripts/setup.sh   # skip the CUDA backend even when nvcc is present
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config git
  python3 python3-venv   # the base of the project's Python, .venv/ (scripts/python_env.sh)
  libcli11-dev nlohmann-json3-dev libicu-dev libcsv-dev libarchive-dev libopenblas-dev libxsmm-dev libgtest-dev
  libcpp-httplib-dev libssl-dev libxxhash-dev zlib1g-dev curl
  libprotobuf-dev protobuf-compiler   # TensorBoard event files, ONNX export
  libboost-context-dev  # fibers of the emulated CUDA device (tests/emu)
  openmpi-bin libopenmpi-dev  # data-parallel training: mpirun and MPI (docs/distributed.md)
)
# Headless Chromium drives the web demo's browser test (skipped with a reason when absent).
if [ "${SENTI_SKIP_BROWSER:-0}" != 1 ]; then packages+=(chromium); fi
# clang with its sanitizer and libFuzzer runtimes, and llvm-symbolizer for readable reports: the
# checking build of scripts/test_sanitizers.sh.
if [ "${SENTI_SKIP_SANITIZERS:-0}" != 1 ]; then packages+=(clang libclang-rt-14-dev llvm-14); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# nvcc is usually not on PATH by default.
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi

# The one interpreter of the Python tests and tools, with the pinned packages (numpy, matplotlib):
# given to CMake on every run, so a build folder configured with another python is switched to it.
python="$(scripts/python_env.sh)"

build_dir="${SENTI_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSENTI_CUDA="${SENTI_CUDA:-AUTO}" \
  -DPython3_EXECUTABLE="$python" ${CMAKE_ARGS:-} >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
