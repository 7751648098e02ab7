# Stages that run only if the budget has time left: racecheck, bench_b256, train_epoch, train_best,
# pretrain, cpu_suite.
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

# The recipe of issue 12 on the GPU: `--preset best` (masked, bucketed BiLSTM, concat pooling,
# dropout, --ngrams 2; 20,000/5,000 split by movie, --epochs 3 --early-stopping 1, so normally two
# epochs and epoch 1's weights restored), then all 25,000 test reviews. On the 2-core CPU it reached
# 0.9078 in 58.8 s wall (docs/benchmarks.md). Below the 0.90 target is a note (the figure is the
# evidence); an error, a cut or no test figure fails.
GC_BEST_BATCH=64         # the preset's --batch (host/cli/cmd_train.cpp): ms/step from samples/s
GC_BEST_TARGET=0.90      # issue 12's test accuracy target
stage_train_best() {
  local out="$GC_WORK/train-best" m="$GC_LOGS/train_best.metrics.jsonl" rc t0 wall
  if [ ! -f "$GC_CARRY/aclImdb_v1_labeled.tar.gz" ]; then fail "no $GC_CARRY/aclImdb_v1_labeled.tar.gz"; return; fi
  rm -f "$m"
  t0="$EPOCHREALTIME"
  bounded 100000 "$(result senti_bin)" train --device cuda --preset best \
    --data "$GC_CARRY/aclImdb_v1_labeled.tar.gz" --out "$out" --metrics "$m" \
    >"$GC_LOGS/train_best.log" 2>&1 </dev/null
  rc=$?
  wall="$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')"
  # The train stage's parsers: the last epoch's figures, then every epoch's val_acc and the restore.
  local epochs val ms test secs vals restored samples met shown status="exit $rc"
  read -r epochs val ms test secs <<<"$(gc_util metrics "$m" "$GC_BEST_BATCH" 2>/dev/null || echo "0 - - - -")"
  read -r vals restored samples <<<"$(gc_util history "$m" 2>/dev/null || echo "- - -")"
  met="$(awk -v t="$test" -v m="$GC_BEST_TARGET" 'BEGIN {print (t != "-" && t + 0 >= m + 0) ? "yes" : "NO"}')"
  was_cut "$rc" && status="CUT at its limit"
  shown="${vals//,/ / }"
  record train_best_exit "$rc"; record train_best_epochs "$epochs"; record train_best_val_accs "$vals"
  record train_best_restored_epoch "$restored"; record train_best_test_acc "$test"
  record train_best_test_samples "$samples"; record train_best_wall_s "$wall"
  record train_best_ms_per_step "$ms"; record train_best_target_met "$met"
  section "## \`--preset best\` on the GPU (issue 12: test accuracy >= $GC_BEST_TARGET)" "" \
    "| result | epochs | val_acc per epoch | epoch restored | test_acc | test reviews | >= $GC_BEST_TARGET | wall s | ms/step (last epoch) |" \
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |" \
    "| $status | $epochs | $shown | $restored | $test | $samples | $met | $wall | $ms |" "" \
    "The 2-core CPU: 0.9078 in 58.8 s wall, epoch 1 of 2 restored (docs/benchmarks.md). ms/step = $GC_BEST_BATCH x 1000 / samples per second of the last epoch. Logs: logs/train_best.log, logs/train_best.metrics.jsonl."
  record headline_train_best "--preset best on the GPU: test_acc $test ($samples reviews; >= $GC_BEST_TARGET: $met)," \
    "val_acc $shown, epoch $restored restored, $wall s wall, $ms ms/step"
  if [ "$rc" -ne 0 ]; then fail "senti train --device cuda --preset best: $status (see logs/train_best.log)"
  elif [ "$test" = - ]; then fail "senti train --preset best wrote no test accuracy (see logs/train_best.metrics.jsonl)"
  else
    [ "$met" = yes ] || note "test accuracy $test < $GC_BEST_TARGET (issue 12's target; the CPU reached 0.9078)"
    [ "$samples" = 25000 ] || note "the test figure covers $samples reviews, not 25,000"
  fi
}

# Issue 24's language model on the GPU: `senti pretrain` (preset lm: masked BiLSTM E 128, H 64,
# sampled softmax of 512, batch 64) for one epoch on the carried archive's 25,000 training reviews
# (--vocab-from train: the carry holds no unlabeled text), validation by the full softmax. Reports
# ms/step, real tokens/s and the validation perplexity. The cost model (docs/benchmarks.md,
# "Learning from unlabeled text") expects ~2-3 ms a step; the 2-core CPU does ~43,000 tokens/s.
GC_LM_BATCH=64  # the lm preset's --batch (host/cli/train_presets.cpp)
stage_pretrain() {
  local out="$GC_WORK/pretrain" m="$GC_LOGS/pretrain.metrics.jsonl" rc t0 wall status
  if [ ! -f "$GC_CARRY/aclImdb_v1_labeled.tar.gz" ]; then fail "no $GC_CARRY/aclImdb_v1_labeled.tar.gz"; return; fi
  rm -f "$m"
  t0="$EPOCHREALTIME"
  bounded 100000 "$(result senti_bin)" pretrain --device cuda --vocab-from train --no-tensorboard \
    --data "$GC_CARRY/aclImdb_v1_labeled.tar.gz" --out "$out" --metrics "$m" \
    >"$GC_LOGS/pretrain.log" 2>&1 </dev/null
  rc=$?
  wall="$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')"
  status="exit $rc"; was_cut "$rc" && status="CUT at its limit"
  local epochs ms tps ppl secs
  read -r epochs ms tps ppl secs <<<"$(gc_util lm "$m" "$GC_LM_BATCH" 2>/dev/null || echo "0 - - - -")"
  record pretrain_exit "$rc"; record pretrain_ms_per_step "$ms"; record pretrain_tokens_per_s "$tps"
  record pretrain_val_perplexity "$ppl"; record pretrain_train_s "$secs"; record pretrain_wall_s "$wall"
  section "## \`senti pretrain\` on the GPU (issue 24: one epoch, 25,000 training reviews)" "" \
    "| result | ms/step | real tokens/s | val perplexity | training s | wall s |" \
    "| --- | --- | --- | --- | --- | --- |" \
    "| $status | $ms | $tps | $ppl | $secs | $wall |" "" \
    "The cost model expects ~2-3 ms/step (docs/benchmarks.md); the 2-core CPU: ~43,000 tokens/s. Logs: logs/pretrain.log, logs/pretrain.metrics.jsonl."
  record headline_pretrain "senti pretrain on the GPU: $ms ms/step, $tps real tokens/s, val perplexity $ppl, $wall s wall"
  if [ "$rc" -ne 0 ]; then fail "senti pretrain --device cuda: $status (see logs/pretrain.log)"
  elif [ "$ppl" = - ]; then fail "senti pretrain wrote no validation perplexity (see logs/pretrain.metrics.jsonl)"
  fi
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
