#!/usr/bin/env bash
# Runs every libFuzzer target of a SENTI_FUZZ build for a bounded time, starting from its committed
# seed corpus (tests/fuzz/corpus/<target>/) plus the regression inputs (tests/fuzz/regressions/).
# New interesting inputs go to a scratch corpus in the build folder, never into the source tree.
# A crash stops with exit 1; its input is left in BUILD/fuzz/artifacts/ (make it a regression:
# docs/testing.md, "Fuzzing").
#   tests/fuzz/run.sh BUILD [SECONDS_EACH] [TARGET...]
#   SENTI_FUZZ_JOBS=2 runs that many targets at a time (default: nproc, at most 2).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: tests/fuzz/run.sh BUILD [SECONDS_EACH] [TARGET...]}" && pwd)
seconds=${2:-30}
shift $(( $# >= 2 ? 2 : $# ))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(aclimdb_archive aclimdb_directory tokenizer token_cache
                                      safetensors checkpoint serve_request)
jobs=${SENTI_FUZZ_JOBS:-$(( $(nproc) < 2 ? 1 : 2 ))}
mkdir -p "$build/fuzz/artifacts" "$build/fuzz/logs"

run_one() {
  local t=$1 bin=$build/fuzz/fuzz_$1 work=$build/fuzz/work/$1
  [ -x "$bin" ] || { echo "fuzz: $bin missing (configure with -DSENTI_FUZZ=ON and build target fuzz)"; return 1; }
  mkdir -p "$work"
  local dirs=("$work" "$here/corpus/$t")
  [ -d "$here/regressions/$t" ] && dirs+=("$here/regressions/$t")
  # -rss_limit_mb: a parser that needs more memory than this for a few-KB input has a bug.
  # -timeout: one input taking longer than this counts as a hang.
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$build/fuzz/artifacts/$t-" "${dirs[@]}" >"$build/fuzz/logs/$t.log" 2>&1; then
    local execs cov
    execs=$(awk '/stat::number_of_executed_units:/ {print $2}' "$build/fuzz/logs/$t.log")
    cov=$(grep -o 'cov: [0-9]*' "$build/fuzz/logs/$t.log" | tail -1)
    echo "fuzz: $t: ${execs:-?} runs in ${seconds} s, $cov, no crash"
  else
    echo "fuzz: $t: CRASH (log: $build/fuzz/logs/$t.log)"
    grep -E "ERROR|SUMMARY|runtime error|Test unit written|deadly signal|terminate called" \
      "$build/fuzz/logs/$t.log" | head -8 | sed 's/^/  /'
    return 1
  fi
}

status=0
pids=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
