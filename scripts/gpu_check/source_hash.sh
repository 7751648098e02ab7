#!/usr/bin/env bash
# Prints one hash of every file that goes into the senti and CUDA test binaries (sources, headers,
# CMake files), by content and relative path, so the carried prebuilt binaries can be matched to the
# working tree on a machine without git. scripts/prepare_gpu_carry.sh stores it in
# .device-carry/prebuilt/BUILD_INFO; scripts/gpu_check.sh compares.
#   scripts/gpu_check/source_hash.sh [REPO_ROOT]
set -euo pipefail
cd "${1:-$(dirname "$0")/../..}"
find CMakeLists.txt engine host kernels tests benchmarks/CMakeLists.txt -type f \
  \( -name '*.cpp' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' -o -name 'CMakeLists.txt' \
     -o -name '*.cmake' \) -not -path 'tests/gpu_check/*' -print0 2>/dev/null |
  LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16
