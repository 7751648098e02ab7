#!/usr/bin/env bash
# Fails when nvcc fuses the Adam update into fused multiply-adds: compiles kernels/adam.cu to PTX and
# looks for fma.rn.f32 in adam_kernel. The update must round like the CPU twin, one IEEE operation
# at a time (kernels/common/math/optim.h; docs/testing.md, "Exact where a test demands exact").
# Needs nvcc, no GPU; ctest runs it as adam_ptx_has_no_fma where the build has CUDA.
#
#   scripts/check_adam_ptx.sh [NVCC] [ARCH]        (defaults: nvcc on PATH, sm_90)
set -euo pipefail
cd "$(dirname "$0")/.."
NVCC="${1:-nvcc}"
ARCH="${2:-sm_90}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$NVCC" -std=c++17 -arch="$ARCH" --expt-relaxed-constexpr -ptx -I. kernels/adam.cu -o "$work/adam.ptx"
# adam_kernel's body: from its .entry line to the first closing brace at the start of a line.
awk '/\.entry .*adam_kernel/ {on = 1} on {print} on && /^}/ {exit}' "$work/adam.ptx" >"$work/body.ptx"
count() { grep -cE "^[[:space:]]*$1[[:space:]]" "$work/body.ptx" || true; }
fma=$(count 'fma\.rn\.f32')
mul=$(count 'mul\.rn\.f32')
sqrt=$(count 'sqrt\.rn\.f32')
echo "adam_kernel ($ARCH): fma.rn.f32 $fma, mul.rn.f32 $mul, sqrt.rn.f32 $sqrt"
if [ "$sqrt" -eq 0 ]; then
  echo "FAIL: adam_kernel's update not found in the PTX (renamed kernel?)" >&2
  exit 1
fi
if [ "$fma" -ne 0 ]; then
  echo "FAIL: adam_kernel fuses multiply-adds; the CPU twin rounds each operation:" >&2
  grep -nE "fma\.rn\.f32" "$work/body.ptx" | head -5 >&2
  exit 1
fi
echo "OK: no fma.rn.f32 in adam_kernel"
