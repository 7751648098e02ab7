# The GPU stages, in the order they run: cuda_tests, train, bench, memcheck.
# shellcheck shell=bash

gc_util() { "$GC_PY" "$GC_ROOT/scripts/gpu_check/gc_util.py" "$@"; }

# ---- CUDA tests: one process per suite, so a crash or a hang keeps the other suites' results ----
stage_cuda_tests() {
  local dir="$GC_LOGS/cuda_tests" bin name suite n safe rc t0 secs counts fails
  local total=0 passed=0 failed=0 skipped=0 lost=0 nsuites=0 bad_suites=""
  local first=" ${SENTI_CUDA_SUITES_FIRST:-CudnnLstm CudaBackend} "
  mkdir -p "$dir"
  section "## CUDA tests against the CPU twin (one process per suite)" "" \
    "| binary | suite | tests | passed | failed | skipped | result | seconds |" \
    "| --- | --- | --- | --- | --- | --- | --- | --- |"
  for bin in $(result cuda_test_bins); do
    name="$(basename "$bin")"
    if ! bounded 20 "$bin" --gtest_list_tests >"$dir/$name.list" 2>&1; then
      fail "$name --gtest_list_tests failed (see logs/cuda_tests/$name.list)"; continue
    fi
    gc_util suites "$dir/$name.list" >"$dir/$name.suites"
    # The suites named first (first contact points, docs/gpu-check.md), then the rest as listed.
    { grep -E "^($(echo $first | tr ' ' '|')) " "$dir/$name.suites"
      grep -vE "^($(echo $first | tr ' ' '|')) " "$dir/$name.suites"; } >"$dir/$name.order"
    while read -r suite n; do
      safe="${suite//\//_}"; t0=$(now_s)
      bounded "${SENTI_CUDA_SUITE_CAP:-60}" "$bin" --gtest_filter="$suite.*" --gtest_color=no \
        --gtest_output="json:$dir/$name.$safe.json" >"$dir/$name.$safe.log" 2>&1 </dev/null
      rc=$?; secs=$(( $(now_s) - t0 )); nsuites=$((nsuites + 1))
      if [ -s "$dir/$name.$safe.json" ] && counts="$(gc_util gtest "$dir/$name.$safe.json")"; then
        read -r tt tp tf ts <<<"$(head -1 <<<"$counts")"
        total=$((total + tt)); passed=$((passed + tp)); failed=$((failed + tf)); skipped=$((skipped + ts))
        fails="$(tail -n +2 <<<"$counts")"
        local res="ok"
        [ "$tf" -gt 0 ] && res="FAILED"
        [ "$ts" -gt 0 ] && res="$res, $ts SKIPPED"
        [ "$rc" -ne 0 ] && [ "$tf" -eq 0 ] && res="exit $rc"
        section "| $name | $suite | $tt | $tp | $tf | $ts | $res | $secs |"
        [ -n "$fails" ] && while IFS= read -r l; do record "cuda_test_failure.$(uniq_id)" "${l#FAIL }"; done <<<"$fails"
        [ "$res" = ok ] || bad_suites="$bad_suites $suite"
      else
        local why="CRASHED (exit $rc, no report)"
        was_cut "$rc" && why="CUT after $secs s"
        total=$((total + n)); lost=$((lost + n)); bad_suites="$bad_suites $suite"
        section "| $name | $suite | $n | | | | $why: $(grep -v '^\[' "$dir/$name.$safe.log" | tail -1 | cut -c1-120 | sed 's/|/\\|/g') | $secs |"
      fi
      record cuda_tests_total "$total"; record cuda_tests_passed "$passed"; record cuda_tests_failed "$failed"
      record cuda_tests_skipped "$skipped"; record cuda_tests_lost "$lost"
    done <"$dir/$name.order"
  done
  if grep -q '^cuda_test_failure\.' "$GC_RESULTS"; then
    section "" "Failed tests (first message line; whole logs in logs/cuda_tests/):" ""
    grep '^cuda_test_failure\.' "$GC_RESULTS" | cut -d= -f2- | head -30 | sed 's/^/- /' | section_cat
  fi
  record headline_cuda_tests "CUDA tests: $total in $nsuites suites: $passed passed, $failed failed, $skipped skipped," \
    "$lost in crashed or cut suites${bad_suites:+ (not clean:$bad_suites)}"
  [ "$total" -gt 0 ] || fail "no CUDA tests ran (see logs/cuda_tests/)"
  [ "$failed" -eq 0 ] || fail "$failed CUDA tests failed:$bad_suites"
  [ "$skipped" -eq 0 ] || fail "$skipped CUDA tests skipped on a GPU machine"
  [ "$lost" -eq 0 ] || fail "$lost CUDA tests in suites that crashed or were cut:$bad_suites"
}

# ---- a short real training that must learn: GPU, then CPU with the same seed ----------------
# The smoke preset (4000 reviews, maxlen 200 pre-padded, 2 epochs) learns in 2 epochs; the seed
# recipe's post padding stays near chance after one.
gc_train_one() {  # DEVICE CAP -> records train_<dev>_*; prints the metrics line
  local dev="$1" cap="$2" out="$GC_WORK/train-$1" m="$GC_LOGS/train_$1.metrics.jsonl" rc
  rm -f "$m"
  # The CUDA backend has no sparse (TensorFlow IndexedSlices) embedding clip norm yet, which the
  # smoke and seed presets use: both devices run the dense rule so they compare like with like.
  bounded "$cap" "$(result senti_bin)" train --device "$dev" --preset smoke --seed 1337 \
    --embedding-clip-norm dense --data "$GC_CARRY/aclImdb_v1_labeled.tar.gz" --out "$out" --metrics "$m" \
    >"$GC_LOGS/train_$dev.log" 2>&1 </dev/null
  rc=$?
  local epochs val ms test secs
  read -r epochs val ms test secs <<<"$(gc_util metrics "$m" 32 2>/dev/null || echo "0 - - - -")"
  record "train_${dev}_exit" "$rc"; record "train_${dev}_epochs" "$epochs"
  record "train_${dev}_val_acc" "$val"; record "train_${dev}_ms_per_step" "$ms"; record "train_${dev}_test_acc" "$test"
  local status="exit $rc"
  was_cut "$rc" && status="CUT at its limit"
  section "| $dev | $status | $epochs | $val | $test | $ms | $secs |"
  [ "$rc" -eq 0 ] || fail "senti train --device $dev: $status (see logs/train_$dev.log)"
}

stage_train() {
  if [ ! -f "$GC_CARRY/aclImdb_v1_labeled.tar.gz" ]; then fail "no $GC_CARRY/aclImdb_v1_labeled.tar.gz"; return; fi
  section "## Training must learn (smoke preset, seed 1337; fresh output folders)" "" \
    "| device | result | epochs | val_acc | test_acc (5000) | ms/step (last epoch) | train s (last epoch) |" \
    "| --- | --- | --- | --- | --- | --- | --- |"
  gc_train_one cuda "${SENTI_TRAIN_GPU_CAP:-45}"
  gc_train_one cpu "${SENTI_TRAIN_CPU_CAP:-60}"
  local gv cv min="${SENTI_LEARN_MIN_ACC:-0.70}" learned
  gv="$(result train_cuda_val_acc)"; cv="$(result train_cpu_val_acc)"
  learned="$("$GC_PY" -c "import sys; v=sys.argv[1]; print('yes' if v not in ('', '-') and float(v) >= float(sys.argv[2]) else 'NO')" "$gv" "$min")"
  record train_learned "$learned"
  [ "$learned" = yes ] || fail "the GPU run did not learn: val_acc ${gv:-none} < $min"
  if [ -n "$cv" ] && [ "$cv" != - ] && [ -n "$gv" ] && [ "$gv" != - ]; then
    local gap; gap="$("$GC_PY" -c "import sys; print(f'{abs(float(sys.argv[1]) - float(sys.argv[2])):.4f}')" "$gv" "$cv")"
    record train_val_acc_gap "$gap"
    "$GC_PY" -c "import sys; sys.exit(float(sys.argv[1]) > 0.03)" "$gap" ||
      note "GPU and CPU val_acc differ by $gap (> 0.03) from the same seed"
  fi
  section "" "Learned (GPU val_acc >= $min): **$learned**. Logs: logs/train_cuda.log, logs/train_cpu.log and their .metrics.jsonl."
  record headline_train "training (smoke, must learn): GPU val_acc ${gv:--} at $(result train_cuda_ms_per_step) ms/step," \
    "CPU val_acc ${cv:--} at $(result train_cpu_ms_per_step) ms/step, same seed; learned: $learned"
}

# ---- senti vs PyTorch, seed configuration, one round; which cuDNN RNN algorithm each uses ----
# senti's rows: one per LSTM path once `senti bench` has --lstm, else the one it has.
gc_senti_frameworks() {
  if "$(result senti_bin)" bench --help 2>/dev/null | grep -q -- '--lstm'; then echo "senti-cudnn,senti-fused"
  else echo "senti"; fi
}

gc_run_all() {  # CONFIG FRAMEWORKS CAP -> section table, records bench_<config>_<label>
  local config="$1" fws="$2" cap="$3" out="$GC_LOGS/run_all_$1" rc
  bounded "$cap" "$GC_PY" "$GC_ROOT/benchmarks/run_all.py" --device cuda --configs "$config" --rounds 1 \
    --frameworks "$fws" --senti "$(result senti_bin)" --timeout "${SENTI_RUN_ALL_RUN_TIMEOUT:-60}" \
    --out "$out" >"$GC_LOGS/run_all_$config.log" 2>&1 </dev/null
  rc=$?
  if [ -f "$out/benchmarks.md" ]; then
    section "$(sed -n '/^| configuration/,$p' "$out/benchmarks.md")" "" \
      "$(grep '^- note:\|^- [a-z].*(.*): ' "$out/benchmarks.md" | head -8)"
    local c label ms line=""
    while IFS=$'\t' read -r c label ms; do
      [ "$c" = error ] && { note "run_all $config: $label: $ms"; continue; }
      record "bench_${c}_${label// /_}_ms" "$ms"; line="$line${line:+ · }$label $ms"
    done < <(gc_util run_all "$out/benchmarks.json" 2>/dev/null)
    record "bench_${config}_line" "$line"
  else
    section "run_all.py wrote no table (exit $rc):" "" "$(md_tail "$GC_LOGS/run_all_$config.log" 10)"
  fi
  if was_cut "$rc"; then fail "run_all $config cut at its limit"
  elif [ "$rc" -ne 0 ]; then fail "benchmarks/run_all.py $config: exit $rc (see logs/run_all_$config.log)"; fi
}

# Which cuDNN RNN algorithm: from cuDNN's own API log (the descriptor's algo field), for PyTorch
# and for senti; PyTorch's kernel names from its profiler (persistent kernels say "persist").
gc_with_cudnn_log() {  # LOGFILE CMD...: CMD with cuDNN's API log (cuDNN 9 names; the older ones too)
  local log="$1"; shift
  ( export CUDNN_LOGLEVEL_DBG=3 CUDNN_LOGINFO_DBG=1 CUDNN_LOGDEST_DBG="$log"; "$@" )
}
gc_algos_in() { grep -o 'CUDNN_RNN_ALGO_[A-Z_]*' "$1" 2>/dev/null | sort | uniq -c | sort -rn | awk '{print $2 " (" $1 "x)"}' | tr '\n' ' '; }

stage_bench() {
  section "## senti vs PyTorch (seed: B32 T500 E128 H64 V10000, synthetic ids, one round)" "" \
    "pytorch = fp32 with TF32 off (cudnn.allow_tf32 = matmul.allow_tf32 = False; senti uses CUDNN_FMA_MATH);" \
    "pytorch tf32-default = PyTorch's defaults (cuDNN may use TF32)." ""
  gc_run_all seed "$(gc_senti_frameworks),pytorch,pytorch-tf32" "${SENTI_BENCH_RUN_ALL_CAP:-75}"
  local tlog="$GC_LOGS/cudnn_api_pytorch.log" slog="$GC_LOGS/cudnn_api_senti.log" talgo salgo persist=""
  rm -f "$tlog" "$slog"
  gc_with_cudnn_log "$tlog" bounded 40 "$GC_PY" "$GC_ROOT/benchmarks/baselines/cudnn_rnn_kernels.py" \
    --out "$GC_LOGS/pytorch_rnn_kernels.md" >"$GC_LOGS/pytorch_rnn_kernels.log" 2>&1 </dev/null ||
    note "PyTorch RNN kernel probe: $(tail -1 "$GC_LOGS/pytorch_rnn_kernels.log" | cut -c1-160)"
  gc_with_cudnn_log "$slog" bounded 30 "$(result senti_bin)" bench --device cuda --steps 2 --warmup 1 \
    --split-steps 0 --json >"$GC_LOGS/senti_bench_cudnn_log.log" 2>&1 </dev/null ||
    note "senti bench under the cuDNN API log failed (see logs/senti_bench_cudnn_log.log)"
  talgo="$(gc_algos_in "$tlog")"; salgo="$(gc_algos_in "$slog")"
  # What senti's source asks for, beside what cuDNN's log saw.
  salgo="${salgo:-not seen in the log} (source: $(grep -ho 'CUDNN_RNN_ALGO_[A-Z_]*' "$GC_ROOT"/engine/cuda/*.cpp 2>/dev/null |
    sort -u | tr '\n' ' ' | sed 's/ $//'))"
  grep -qi 'persist' "$GC_LOGS/pytorch_rnn_kernels.md" 2>/dev/null && persist=" (profiler: persistent kernels)"
  record pytorch_rnn_algo "${talgo:-not seen}$persist"; record senti_rnn_algo "$salgo"
  section "" "cuDNN RNN algorithm from cuDNN's API log: PyTorch ${talgo:-not seen}$persist; senti $salgo." ""
  [ -s "$GC_LOGS/pytorch_rnn_kernels.md" ] && section_cat <"$GC_LOGS/pytorch_rnn_kernels.md"
  for f in "$tlog" "$slog"; do  # keep the lines that say which algorithm, not the whole API trace
    [ -f "$f" ] && { grep -n -B2 -A2 'CUDNN_RNN_ALGO_' "$f" | head -200 >"$f.algo"; mv -f "$f.algo" "$f"; }
  done
  gc_graph_pair
  record headline_bench "senti vs PyTorch, seed B32 T500, ms/step: $(result bench_seed_line);" \
    "cuDNN RNN algorithm: PyTorch ${talgo:-not seen}$persist, senti $salgo;" \
    "CUDA graph on/off: $(result bench_graph_on_ms)/$(result bench_graph_off_ms) ms/step"
}

# The train step as a CUDA graph against eager launches (docs/performance.md): two short senti
# bench runs at the seed shape, a few seconds each, once `senti bench --help` shows --cuda-graph.
gc_graph_pair() {
  "$(result senti_bin)" bench --help 2>/dev/null | grep -q -- '--cuda-graph' || return 0
  local g ms line=""
  for g in on off; do
    bounded 20 "$(result senti_bin)" bench --device cuda --steps 40 --warmup 5 --split-steps 0 \
      --cuda-graph "$g" --json >"$GC_LOGS/senti_bench_graph_$g.log" 2>&1 </dev/null ||
      note "senti bench --cuda-graph $g failed (see logs/senti_bench_graph_$g.log)"
    ms="$("$GC_PY" -c 'import json, sys
rows = [l for l in open(sys.argv[1]) if l.startswith("{")]
print("%.3f" % json.loads(rows[-1])["ms_per_step"])' "$GC_LOGS/senti_bench_graph_$g.log" 2>/dev/null)"
    record "bench_graph_${g}_ms" "${ms:--}"; line="$line${line:+, }$g ${ms:--} ms/step"
  done
  section "" "senti bench seed, 40 steps, CUDA graph: $line (logs/senti_bench_graph_on|off.log)." ""
}

# ---- compute-sanitizer: custom kernels, one cuDNN LSTM test, one backend test ----------------
GC_MEMCHECK_GROUPS_DEFAULT="kernels=*EmbeddingKernels.*:*DenseBce.*:*ClipAndAdam.*:*WeightMapKernels.* \
cudnn_lstm=CudnnLstm.ForwardAndBackwardMatchCpuTwin backend=CudaBackend.OneStepLossAndEveryGradientMatchCpu"

gc_sanitize() {  # TOOL GROUPS CAP_PER_GROUP
  local tool="$1" groups="$2" cap="$3" bin g name filter rc log summary errors tests line="" unsupported=0
  bin="$(result cuda_test_bins | awk '{print $1}')"
  if ! command -v compute-sanitizer >/dev/null; then fail "compute-sanitizer not found"; return; fi
  section "## compute-sanitizer --tool $tool" "" "| group | filter | tests passed | errors | exit | seconds |" "| --- | --- | --- | --- | --- | --- |"
  for g in $groups; do
    name="${g%%=*}"; filter="${g#*=}"; log="$GC_LOGS/${tool}_$name.log"; local t0; t0=$(now_s)
    bounded "$cap" compute-sanitizer --tool "$tool" --error-exitcode 86 --print-limit 50 \
      "$bin" --gtest_filter="$filter" --gtest_color=no >"$log" 2>&1 </dev/null
    rc=$?
    summary="$(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$log" | tail -1)"
    errors="$(sed -n 's/.*SUMMARY: \([0-9]*\) .*/\1/p' <<<"$summary")"
    tests="$(sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)"
    if grep -q 'Device not supported' "$log"; then unsupported=1; errors="unsupported here"; fi
    was_cut "$rc" && errors="${errors:-?}, CUT at ${cap} s"
    section "| $name | \`$filter\` | ${tests:-0} | ${errors:-no summary} | $rc | $(( $(now_s) - t0 )) |"
    record "${tool}_$name" "${errors:-no summary}, ${tests:-0} tests passed, exit $rc"
    line="$line${line:+, }$name ${errors:-?} errors (${tests:-0} tests)"
    if [ "$unsupported" = 1 ]; then note "compute-sanitizer does not support this device/runtime (see logs/${tool}_$name.log)"
    elif [ "$rc" -ne 0 ]; then fail "$tool $name: exit $rc, ${summary:-no summary} (see logs/${tool}_$name.log)"; fi
  done
  record "headline_$GC_STAGE" "$tool: $line"
}

stage_memcheck() { gc_sanitize memcheck "${SENTI_MEMCHECK_GROUPS:-$GC_MEMCHECK_GROUPS_DEFAULT}" "${SENTI_SANITIZE_GROUP_CAP:-60}"; }
