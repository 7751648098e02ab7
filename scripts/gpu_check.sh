#!/usr/bin/env bash
# The GPU check, one command on a machine with an NVIDIA GPU, CUDA, cmake and python but no package
# registry. Run from the repository root with .device-carry/ present (scripts/prepare_gpu_carry.sh
# makes it on a Debian machine). See docs/gpu-check.md.
#
#   scripts/gpu_check.sh OUT_DIR [STAGE...]        (OUT_DIR defaults to $OUT)
#
# Stages, in order (default: all): deps configure build test sanitize train bench summary
#   deps       dpkg -x every carried .deb into a private prefix ($SENTI_DEPS_PREFIX, /tmp/senti-deps)
#   configure  cmake for this GPU's architecture (nvidia-smi compute_cap), SENTI_CUDA=ON
#   build      everything
#   test       every CPU test (ctest) and every CUDA test (senti_cuda_tests); fails if a CUDA test
#              was skipped
#   sanitize   compute-sanitizer memcheck on senti_cuda_tests
#   train      one epoch of the seed recipe on the real data, --device cuda
#   bench      senti bench --device cuda --json; benchmarks/run_all.py when present
#   summary    OUT_DIR/summary.md: GPU, driver, CUDA, cuDNN, commit, every count and figure
# Stages may run in separate invocations (same OUT_DIR, same build folder): results accumulate in
# OUT_DIR/results.env. Raw logs go to OUT_DIR/logs/ (GPU_CHECK_BUNDLE=1: one OUT_DIR/logs.tar.gz).
# Exit status: non-zero when any stage run in this invocation failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
ROOT="$PWD"

OUT_DIR="${1:-${OUT:-}}"
if [ -z "$OUT_DIR" ]; then
  echo "usage: scripts/gpu_check.sh OUT_DIR [deps configure build test sanitize train bench summary]" >&2
  exit 2
fi
shift
STAGES=("$@")
[ ${#STAGES[@]} -eq 0 ] && STAGES=(deps configure build test sanitize train bench summary)
mkdir -p "$OUT_DIR/logs" || exit 2
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
LOGS="$OUT_DIR/logs"
RESULTS="$OUT_DIR/results.env"
touch "$RESULTS"

CARRY="${SENTI_CARRY:-$ROOT/.device-carry}"
PREFIX="${SENTI_DEPS_PREFIX:-/tmp/senti-deps}"
BUILD="${SENTI_GPU_BUILD_DIR:-$ROOT/build-gpu}"
MULTIARCH=x86_64-linux-gnu
LIBDIR="$PREFIX/usr/lib/$MULTIARCH"
JOBS="$(nproc 2>/dev/null || echo 4)"
FAILED=0

say() { echo "gpu_check: $*" | tee -a "$LOGS/gpu_check.log"; }
record() { echo "$1=$2" >>"$RESULTS"; }           # later lines win
result() { grep "^$1=" "$RESULTS" | tail -1 | cut -d= -f2-; }
fail() { say "FAILED: $*"; record "failure_$(date +%s%N)" "$*"; FAILED=1; }

# ---- environment shared by every stage -------------------------------------------------------
[ -d /usr/local/cuda/bin ] && export PATH="/usr/local/cuda/bin:$PATH"
export CMAKE_PREFIX_PATH="$PREFIX/usr:$PREFIX${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
export CPATH="$PREFIX/usr/include${CPATH:+:$CPATH}"
export LIBRARY_PATH="$LIBDIR:$LIBDIR/openblas-pthread:$PREFIX/lib/$MULTIARCH${LIBRARY_PATH:+:$LIBRARY_PATH}"
# Only the carried libraries this system lacks (see stage deps), so system tools keep theirs.
export LD_LIBRARY_PATH="$PREFIX/runtime-lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# pkg-config sees only the prefix; the .pc files say prefix=/usr, the sysroot maps that into it.
export PKG_CONFIG_LIBDIR="$LIBDIR/pkgconfig:$PREFIX/usr/share/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$PREFIX"
export SENTI_DATA_DIR="$CARRY"              # the test suites' real dataset
export SENTI_CACHE_DIR="$BUILD/senti-cache"  # token cache shared by tests and training
export PYTHONUNBUFFERED=1

# cuDNN: the toolkit's, the system's, or the one in python's nvidia-cudnn wheel.
CUDNN_INC="${CUDNN_INCLUDE_DIR:-}"
CUDNN_LIB="${CUDNN_LIBRARY:-}"
if [ -z "$CUDNN_INC" ]; then
  for d in /usr/local/cuda/include /usr/local/cuda/targets/x86_64-linux/include /usr/include \
           /usr/include/$MULTIARCH; do
    [ -f "$d/cudnn.h" ] && CUDNN_INC="$d" && break
  done
fi
if [ -z "$CUDNN_LIB" ] && [ -n "$CUDNN_INC" ]; then
  for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/lib/$MULTIARCH; do
    for f in "$d/libcudnn.so" "$d/libcudnn.so.9"; do
      [ -e "$f" ] && CUDNN_LIB="$f" && break 2
    done
  done
fi
if [ -z "$CUDNN_INC" ] || [ -z "$CUDNN_LIB" ]; then
  wheel="$(python3 -c 'import nvidia.cudnn as m; print(list(m.__path__)[0])' 2>/dev/null || true)"
  if [ -n "$wheel" ] && [ -f "$wheel/include/cudnn.h" ]; then
    CUDNN_INC="$wheel/include"
    CUDNN_LIB="$(ls "$wheel"/lib/libcudnn.so* 2>/dev/null | head -1)"
  fi
fi
[ -n "$CUDNN_LIB" ] && export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$(dirname "$CUDNN_LIB")"

gpu_query() { nvidia-smi --query-gpu="$1" --format=csv,noheader 2>/dev/null | head -1 | sed 's/^ *//;s/ *$//'; }

# ---- stages ----------------------------------------------------------------------------------
stage_deps() {
  if ! ls "$CARRY"/debs/*.deb >/dev/null 2>&1; then
    fail "no $CARRY/debs/*.deb: run scripts/prepare_gpu_carry.sh on a Debian machine, carry .device-carry"
    return
  fi
  rm -rf "$PREFIX" && mkdir -p "$PREFIX/runtime-lib"
  local n=0 d
  for d in "$CARRY"/debs/*.deb; do
    if command -v dpkg-deb >/dev/null; then
      dpkg-deb -x "$d" "$PREFIX" || { fail "dpkg-deb -x $d"; return; }
    else  # no dpkg: a .deb is an ar archive holding data.tar.*
      (cd "$PREFIX" && ar p "$d" "$(ar t "$d" | grep '^data.tar')" | tar -xJ) || { fail "extract $d"; return; }
    fi
    n=$((n + 1))
  done
  # Absolute symlinks (libz.so -> /lib/...) must point into the prefix.
  find "$PREFIX" -type l | while read -r l; do
    t="$(readlink "$l")"
    case "$t" in /*) [ -e "$PREFIX$t" ] && ln -sfn "$PREFIX$t" "$l" ;; esac
  done
  # Debian selects the OpenBLAS variant with update-alternatives, which dpkg -x does not run.
  ln -sfn openblas-pthread/libopenblas.so "$LIBDIR/libopenblas.so"
  ln -sfn openblas-pthread/libopenblas.so.0 "$LIBDIR/libopenblas.so.0"
  # Runtime: expose only the shared libraries whose soname this system does not already provide.
  local have missing=0 f soname
  have="$(ldconfig -p 2>/dev/null | awk '{print $1}')"
  for f in $(find "$PREFIX" -type f -name '*.so*' ! -path '*/runtime-lib/*'); do
    soname="$(readelf -d "$f" 2>/dev/null | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')"
    [ -n "$soname" ] || continue
    if ! grep -qxF "$soname" <<<"$have"; then
      ln -sfn "$f" "$PREFIX/runtime-lib/$soname"
      missing=$((missing + 1))
    fi
  done
  say "deps: $n packages extracted into $PREFIX; $missing runtime libraries not on this system"
  record deps_packages "$n"
  record deps_runtime_missing "$missing"
}

stage_configure() {
  local arch="${SENTI_GPU_ARCH:-}"
  [ -n "$arch" ] || arch="$(gpu_query compute_cap | tr -d '.')"
  if [ -z "$arch" ]; then fail "configure: no GPU architecture (nvidia-smi failed; set SENTI_GPU_ARCH)"; return; fi
  if [ -z "$CUDNN_INC" ] || [ -z "$CUDNN_LIB" ]; then fail "configure: cuDNN not found (set CUDNN_INCLUDE_DIR and CUDNN_LIBRARY)"; return; fi
  local gen="Unix Makefiles" extra=()
  command -v ninja >/dev/null && gen=Ninja
  if ! command -v pkg-config >/dev/null && [ -x "$PREFIX/usr/bin/pkgconf" ]; then
    extra+=("-DPKG_CONFIG_EXECUTABLE=$PREFIX/usr/bin/pkgconf")
  fi
  say "configure: sm_$arch, cuDNN $CUDNN_INC, generator $gen"
  if ! cmake -S "$ROOT" -B "$BUILD" -G "$gen" -DCMAKE_BUILD_TYPE=Release -DSENTI_CUDA=ON \
      -DCMAKE_CUDA_ARCHITECTURES="$arch" -DCUDNN_INCLUDE_DIR="$CUDNN_INC" \
      -DCUDNN_LIBRARY="$CUDNN_LIB" "${extra[@]}" >"$LOGS/configure.log" 2>&1; then
    fail "configure (see logs/configure.log)"; tail -20 "$LOGS/configure.log"; return
  fi
  grep -q '^CPPHTTPLIB_FOUND:INTERNAL=1' "$BUILD/CMakeCache.txt" ||
    say "configure: warning: cpp-httplib's pkg-config file was not found; senti serve may not link"
  record cuda_arch "sm_$arch"
}

stage_build() {
  local t0=$SECONDS
  if ! cmake --build "$BUILD" -j "$JOBS" >"$LOGS/build.log" 2>&1; then
    fail "build (see logs/build.log)"; grep -E 'error|FAILED' "$LOGS/build.log" | head -20; return
  fi
  record build_seconds "$((SECONDS - t0))"
  say "build: done in $((SECONDS - t0)) s"
}

stage_test() {
  # CPU suite through ctest (the CUDA suite is run directly below, for its JSON report).
  (cd "$BUILD" && ctest -LE cuda --output-on-failure -j "$JOBS" --timeout 1200) >"$LOGS/ctest_cpu.log" 2>&1
  local rc=$?
  local line; line="$(grep -E 'tests passed|tests failed' "$LOGS/ctest_cpu.log" | tail -1)"
  record ctest_cpu "${line:-no summary line}"
  [ $rc -eq 0 ] || fail "CPU tests: ${line:-ctest exit $rc} (see logs/ctest_cpu.log)"
  local json="$LOGS/cuda_tests.json"
  "$BUILD/tests/senti_cuda_tests" --gtest_output="json:$json" >"$LOGS/cuda_tests.log" 2>&1
  rc=$?
  local counts
  counts="$(python3 - "$json" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print("0 0 0 0"); sys.exit()
run = skipped = failed = total = 0
for suite in d.get("testsuites", []):
    for t in suite.get("testsuite", []):
        total += 1
        if t.get("result") == "SKIPPED" or t.get("status") == "NOTRUN":
            skipped += 1
        else:
            run += 1
            if t.get("failures"):
                failed += 1
print(total, run, skipped, failed)
PY
)"
  read -r total run skipped failed <<<"$counts"
  record cuda_tests_total "$total"; record cuda_tests_run "$run"
  record cuda_tests_skipped "$skipped"; record cuda_tests_failed "$failed"
  say "test: CUDA tests: $total total, $run ran, $skipped skipped, $failed failed (exit $rc)"
  [ "$total" -gt 0 ] || fail "CUDA tests: none found (see logs/cuda_tests.log)"
  [ "$skipped" -eq 0 ] || fail "CUDA tests: $skipped skipped on a GPU machine (see logs/cuda_tests.log)"
  [ $rc -eq 0 ] && [ "$failed" -eq 0 ] || fail "CUDA tests: $failed failed (see logs/cuda_tests.log)"
}

stage_sanitize() {
  if ! command -v compute-sanitizer >/dev/null; then fail "sanitize: compute-sanitizer not found"; return; fi
  local t0=$SECONDS
  compute-sanitizer --tool memcheck --error-exitcode 86 --print-limit 50 \
    "$BUILD/tests/senti_cuda_tests" --gtest_filter="${SENTI_MEMCHECK_FILTER:-*}" \
    >"$LOGS/memcheck.log" 2>&1
  local rc=$?
  local summary; summary="$(grep -E 'ERROR SUMMARY' "$LOGS/memcheck.log" | tail -1)"
  record memcheck "${summary:-no summary} (exit $rc, $((SECONDS - t0)) s)"
  say "sanitize: ${summary:-no ERROR SUMMARY line} (exit $rc)"
  [ $rc -eq 0 ] || fail "memcheck: exit $rc, ${summary:-see logs/memcheck.log}"
}

stage_train() {
  local metrics="$OUT_DIR/train_metrics.jsonl" t0=$SECONDS
  rm -f "$metrics"
  "$BUILD/senti" train --device cuda --preset seed --epochs 1 \
    --data "$CARRY/aclImdb_v1_labeled.tar.gz" --metrics "$metrics" --out "$BUILD/train-run" \
    --log-every 100 >"$LOGS/train.log" 2>&1
  local rc=$?
  record train_seconds "$((SECONDS - t0))"
  record train_exit "$rc"
  record train_last_metrics "$(tail -1 "$metrics" 2>/dev/null | tr -d '\n')"
  say "train: exit $rc after $((SECONDS - t0)) s"
  [ $rc -eq 0 ] || fail "train: exit $rc (see logs/train.log)"
}

stage_bench() {
  "$BUILD/senti" bench --device cuda --json >"$OUT_DIR/bench.json" 2>"$LOGS/bench.log"
  local rc=$?
  record bench_exit "$rc"
  [ $rc -eq 0 ] || fail "senti bench: exit $rc (see logs/bench.log)"
  if [ -f "$ROOT/benchmarks/run_all.py" ]; then
    # shellcheck disable=SC2086
    python3 "$ROOT/benchmarks/run_all.py" --device cuda --senti "$BUILD/senti" \
      --out "$OUT_DIR/run_all" ${SENTI_RUN_ALL_ARGS:-} >"$LOGS/run_all.log" 2>&1
    rc=$?
    record run_all_exit "$rc"
    [ $rc -eq 0 ] || fail "benchmarks/run_all.py: exit $rc (see logs/run_all.log)"
  else
    record run_all_exit "absent"
  fi
}

stage_summary() {
  local s="$OUT_DIR/summary.md" commit cudnn_v
  commit="$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || true)"
  [ -n "$commit" ] || commit="$(sed -n 's/^commit //p' "$CARRY/MANIFEST" 2>/dev/null) (from the carry's MANIFEST)"
  cudnn_v="$(awk '/#define CUDNN_MAJOR|#define CUDNN_MINOR|#define CUDNN_PATCHLEVEL/{printf "%s%s", sep, $3; sep="."}' \
    "$CUDNN_INC/cudnn_version.h" 2>/dev/null)"
  {
    echo "# senti GPU check"
    echo
    echo "| | |"
    echo "| --- | --- |"
    echo "| date (UTC) | $(date -u +%Y-%m-%dT%H:%M:%SZ) |"
    echo "| GPU | $(gpu_query name) ($(gpu_query memory.total), compute capability $(gpu_query compute_cap)) |"
    echo "| driver | $(gpu_query driver_version) |"
    echo "| CUDA (nvcc) | $(nvcc --version 2>/dev/null | sed -n 's/.*release \([0-9.]*\).*/\1/p') |"
    echo "| cuDNN | ${cudnn_v:-?} ($CUDNN_LIB) |"
    echo "| commit | $commit |"
    echo "| host | $(uname -srm), $JOBS CPUs |"
    echo "| built for | $(result cuda_arch) in $(result build_seconds) s |"
    echo "| carried packages | $(result deps_packages) extracted, $(result deps_runtime_missing) runtime libraries used from the carry |"
    echo
    echo "## Tests"
    echo
    echo "- CPU suite (ctest -LE cuda): $(result ctest_cpu)"
    echo "- CUDA suite (senti_cuda_tests): $(result cuda_tests_total) tests, $(result cuda_tests_run) ran," \
         "$(result cuda_tests_skipped) skipped, $(result cuda_tests_failed) failed"
    echo "- compute-sanitizer memcheck on senti_cuda_tests: $(result memcheck)"
    echo
    echo "## One epoch of the seed recipe (--device cuda)"
    echo
    echo "- exit $(result train_exit), $(result train_seconds) s wall (including data loading)"
    echo "- last metrics record: \`$(result train_last_metrics)\`"
    [ -f "$LOGS/train.log" ] && { echo; echo '```'; tail -15 "$LOGS/train.log"; echo '```'; }
    echo
    echo "## senti bench --device cuda --json"
    echo
    if [ -s "$OUT_DIR/bench.json" ]; then echo '```json'; cat "$OUT_DIR/bench.json"; echo '```'; else echo "(no output)"; fi
    echo
    echo "## benchmarks/run_all.py"
    echo
    if [ -f "$OUT_DIR/run_all/benchmarks.md" ]; then cat "$OUT_DIR/run_all/benchmarks.md"; else echo "exit: $(result run_all_exit)"; fi
    echo
    echo "## Failures"
    echo
    if grep -q '^failure_' "$RESULTS"; then grep '^failure_' "$RESULTS" | cut -d= -f2- | sed 's/^/- /'; else echo "none"; fi
    echo
    echo "Raw logs: logs/ (configure, build, ctest_cpu, cuda_tests + .json, memcheck, train, bench, run_all)."
  } >"$s"
  say "summary: $s"
  if [ "${GPU_CHECK_BUNDLE:-0}" = 1 ]; then
    tar -czf "$OUT_DIR/logs.tar.gz" -C "$OUT_DIR" logs && rm -rf "$LOGS" && mkdir -p "$LOGS"
  fi
}

for stage in "${STAGES[@]}"; do
  case "$stage" in
    deps|configure|build|test|sanitize|train|bench|summary)
      say "== $stage"
      "stage_$stage" ;;
    *) echo "gpu_check: unknown stage '$stage'" >&2; exit 2 ;;
  esac
done
exit $FAILED
