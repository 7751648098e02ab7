# Stages that run only if the budget has time left: racecheck, bench_b256, train_epoch, cpu_suite.
# shellcheck shell=bash

# The kernels that reduce through shared memory (kernels/block_sum.cuh: clip norms, dense + BCE).
stage_racecheck() {
  gc_sanitize racecheck "${SENTI_RACECHECK_GROUPS:-shared_memory_kernels=*DenseBce.*:*ClipAndAdam.*}" \
    "${SENTI_SANITIZE_GROUP_CAP:-60}"
}

stage_bench_b256() {
  section "## senti vs PyTorch at B256 (T500 E128 H64, one round)" ""
  gc_run_all b256 "$(gc_senti_frameworks),pytorch" "${SENTI_BENCH_RUN_ALL_CAP:-75}"
  record headline_bench_b256 "senti vs PyTorch, B256 T500, ms/step: $(result bench_b256_line)"
}

# One full epoch of the seed recipe (20,000 training reviews, T500 post padding): throughput, not
# learning (one such epoch stays near chance).
stage_train_epoch() {
  local out="$GC_WORK/train-epoch" m="$GC_LOGS/train_epoch.metrics.jsonl" rc
  bounded 100000 "$(result senti_bin)" train --device cuda --preset seed --epochs 1 --test-limit 0 \
    --embedding-clip-norm dense --data "$GC_CARRY/aclImdb_v1_labeled.tar.gz" --out "$out" --metrics "$m" \
    >"$GC_LOGS/train_epoch.log" 2>&1 </dev/null
  rc=$?
  local epochs val ms test secs
  read -r epochs val ms test secs <<<"$(gc_util metrics "$m" 32 2>/dev/null || echo "0 - - - -")"
  record train_epoch_ms_per_step "$ms"; record train_epoch_seconds "$secs"; record train_epoch_val_acc "$val"
  section "## One seed epoch on the GPU (throughput)" "" \
    "exit $rc; $ms ms/step over the epoch, ${secs} s of training, val_acc $val (post padding: near chance after one epoch is expected)."
  record headline_train_epoch "one seed epoch on the GPU: $ms ms/step, $secs s (val_acc $val)"
  [ "$rc" -eq 0 ] || fail "senti train --preset seed --epochs 1: exit $rc (see logs/train_epoch.log)"
}

stage_cpu_suite() {
  if [ ! -f "$GC_BUILD/CMakeCache.txt" ]; then
    gc_configure "$GC_LOGS/cpu_suite_configure.log" || return
  fi
  if ! bounded 100000 cmake --build "$GC_BUILD" -j "$GC_JOBS" --target senti senti_tests \
      >"$GC_LOGS/cpu_suite_build.log" 2>&1; then
    fail "building senti_tests (see logs/cpu_suite_build.log)"; return
  fi
  local left; left=$(( $(stage_left) - 2 ))
  (cd "$GC_BUILD" && bounded 100000 ctest -LE 'cuda|gpu-check' --output-on-failure -j "$GC_JOBS" \
    --timeout "$(( left < 120 ? left : 120 ))") >"$GC_LOGS/cpu_suite.log" 2>&1
  local rc=$? line
  line="$(grep -E 'tests passed|tests failed' "$GC_LOGS/cpu_suite.log" | tail -1)"
  record cpu_suite "${line:-no summary line (exit $rc)}"
  section "## CPU suite (ctest -LE 'cuda|gpu-check')" "" "${line:-no summary line} (exit $rc)" \
    "$(grep -E '^\s+[0-9]+ - .*(Failed|Timeout|Not Run)' "$GC_LOGS/cpu_suite.log" | head -20 | sed 's/^/    /')"
  record headline_cpu_suite "CPU suite: ${line:-exit $rc}"
  [ $rc -eq 0 ] || fail "CPU suite: ${line:-ctest exit $rc} (see logs/cpu_suite.log)"
}
