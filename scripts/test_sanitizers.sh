#!/usr/bin/env bash
# The checking part of scripts/test.sh (docs/testing.md, "Sanitizers" and "Fuzzing"): one clang
# build in build-asan with AddressSanitizer + UndefinedBehaviorSanitizer (any undefined behaviour
# stops the process) and the libFuzzer targets, CPU only. Runs the CPU test suite there, minus
# the slowest tests (below), then every fuzz target for SENTI_FUZZ_SECONDS (default 30) seconds.
#   scripts/test_sanitizers.sh            # what CI runs
#   SENTI_FUZZ_SECONDS=600 scripts/test_sanitizers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build=${SENTI_ASAN_BUILD_DIR:-build-asan}
seconds=${SENTI_FUZZ_SECONDS:-30}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

# Not run under the sanitizers, for time (about 2 of the suite's 4 CPU-minutes there; the plain
# build runs them): the trainings and the cache rebuild on the real dataset, and the skew check
# over real reviews. Their code runs here in the smaller tests of the same paths (train, resume
# and checkpoints on synthetic data, the RealData tokenizer and reader tests on the real data).
slow='TrainCli\.LearnsOnRealData|TrainCli\.ResumeMatchesUninterrupted|TrainCli\.ExistingRunIsNever'
slow+='|PrepareCli\.RealData|PredictSkew\.|Python\.'

t0=$(date +%s)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ \
  -DSENTI_CUDA=OFF -DSENTI_FUZZ=ON "${launcher[@]}" ${SENTI_ASAN_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$(nproc)" --target senti senti_tests fuzz
t1=$(date +%s)

# abort_on_error: a report fails the test even where a caller ignores exit codes; leaks count.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then
  for s in llvm-symbolizer /usr/lib/llvm-14/bin/llvm-symbolizer; do
    if command -v "$s" >/dev/null; then export ASAN_SYMBOLIZER_PATH=$(command -v "$s"); break; fi
  done
fi
(cd "$build" && SENTI_CACHE_DIR="${SENTI_CACHE_DIR:-$PWD/test-cache}" ctest --output-on-failure -j "$(nproc)" -L cpu -E "$slow")
t2=$(date +%s)
tests/fuzz/run.sh "$build" "$seconds"
t3=$(date +%s)
echo "sanitizers: build $((t1 - t0)) s, ASan+UBSan tests $((t2 - t1)) s, fuzzing $((t3 - t2)) s"
