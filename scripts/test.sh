#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and runs every test suite with ctest.
# CPU tests always run; so do the kernels on the emulated CUDA device (labels cuda-emu and
# cuda-emu-tsan, docs/testing.md); the real-GPU CUDA tests skip with a reason when no GPU is present.
# The real dataset is read from ../shared/data/imdb (or $SENTI_DATA_DIR).
# Then, when run without ctest arguments (as .ci/run does), the checking build: the CPU suite
# under ASan + UBSan and every fuzz target for 30 s (scripts/test_sanitizers.sh, docs/testing.md).
# SENTI_SKIP_SANITIZERS=1 leaves that out.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build_dir="${SENTI_BUILD_DIR:-build}"
# One token cache for the whole run, so each test process loads it instead of re-tokenizing.
export SENTI_CACHE_DIR="${SENTI_CACHE_DIR:-$PWD/$build_dir/test-cache}"
args=("$@")
# Without a GPU the real-GPU suite (label `cuda`, senti_cuda_tests) could only skip: its kernel and
# backend tests run on the emulated device instead (labels cuda-emu, cuda-emu-tsan); only the
# cuDNN-specific ones have no emulated twin (cuDNN is a library, never emulated) and wait for the
# GPU check (docs/gpu-check.md).
if [ $# -eq 0 ] && ! nvidia-smi -L >/dev/null 2>&1; then
  echo "test.sh: no GPU: the real-GPU suite (label cuda) is not run here; its tests run on the" \
       "emulated CUDA device (labels cuda-emu, cuda-emu-tsan), the cuDNN-only ones on the GPU check"
  args=(-LE '^cuda$')
fi
(cd "$build_dir" && ctest --output-on-failure -j "$(nproc)" "${args[@]}")
if [ $# -eq 0 ] && [ "${SENTI_SKIP_SANITIZERS:-0}" != 1 ]; then
  scripts/test_sanitizers.sh
fi
