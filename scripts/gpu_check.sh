#!/usr/bin/env bash
# The GPU check: one command, a fixed time budget, the most valuable evidence first, and an output
# folder that is complete after a cut at any moment. See docs/gpu-check.md.
#
#   scripts/gpu_check.sh [--budget S] [--dry-run] OUT_DIR [STAGE...]     (OUT_DIR defaults to $OUT)
#
# Every stage runs in its own process under `timeout` with min(its cap, budget left); a stage that
# does not fit is skipped and listed. After every stage OUT_DIR holds exactly summary.md,
# results.env and logs.tar.gz (rewritten atomically). Raw logs and training runs go to a fresh work
# folder per run, so every stage can be rerun in a warm build folder.
#
# Environment: SENTI_GPU_CHECK_BUDGET (390), SENTI_GPU_CHECK_CAPS / _MINS ("stage=seconds ..."
# overrides), SENTI_CARRY (.device-carry), SENTI_DEPS_PREFIX (/tmp/senti-deps), SENTI_GPU_BUILD_DIR
# (build-gpu), SENTI_GPU_ARCH (from nvidia-smi), SENTI_CUDA_TEST_BINARIES (senti_cuda_tests),
# SENTI_GPU_CHECK_WORK (folder for the per-run work folders, default $TMPDIR or /tmp).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
GC_ROOT="$PWD"
GC_COMMAND="scripts/gpu_check.sh $*"

# ---- the stages, most valuable evidence first -------------------------------------------------
# cap: the most seconds the stage may take; min: fewer seconds left than this (or than its cap) and
# it is skipped; needs: gpu (a GPU seen by the probe and a working senti), build (the carried
# binaries cannot be used: stage binaries said so), - (nothing); kind: core
# (skipping it for time makes the check INCOMPLETE) or extra (runs only if time is left).
# A new stage: one line here, one stage_<name> function in scripts/gpu_check/stages_*.sh.
GC_STAGE_TABLE="
probe        20   2  -    core   GPU, driver, CUDA, cuDNN, compute-sanitizer, cmake, compiler, glibc, torch
deps         60   5  -    core   carried .debs extracted into a private prefix
binaries     30   2  -    core   carried prebuilt senti + CUDA tests: same sources, load, --version
configure    90  15  build core   cmake for this GPU (only when the prebuilt binaries cannot be used)
build       240  30  build core   senti and the CUDA test binaries only (only when not prebuilt)
cuda_tests  150  20  gpu  core   CUDA tests against the CPU twin, one process per suite
train        90  25  gpu  core   smoke training must learn: GPU, then CPU with the same seed
bench       120  30  gpu  core   senti vs PyTorch ms/step, seed configuration, one round; cuDNN RNN algorithms
memcheck    100  25  gpu  core   compute-sanitizer memcheck: custom kernels, one cuDNN LSTM test, one backend test
racecheck    60  45  gpu  extra  racecheck on the kernels that reduce through shared memory
bench_b256   60  40  gpu  extra  senti vs PyTorch at B256
train_epoch 120  40  gpu  extra  one full seed epoch on the GPU (throughput)
train_best  120  60  gpu  extra  --preset best on the GPU: test accuracy (25,000) >= 0.90 (issue 12), val_acc per epoch, ms/step
pretrain     60  30  gpu  extra  senti pretrain (issue 24) one epoch on the GPU: tokens/s, ms/step, perplexity
cpu_suite   240 150  -    extra  the CPU test suite (ctest -LE 'cuda|gpu-check')
"
GC_DRY_STAGES="probe deps binaries configure build"  # --dry-run: what a machine without a GPU can do

usage() { sed -n '4,5p' "$0" | sed 's/^# *//' >&2; exit 2; }
GC_BUDGET="${SENTI_GPU_CHECK_BUDGET:-390}"
GC_DRY_RUN=0
while [ $# -gt 0 ]; do
  case "$1" in
    --budget) GC_BUDGET="${2:-}"; shift 2 ;;
    --budget=*) GC_BUDGET="${1#--budget=}"; shift ;;
    --dry-run) GC_DRY_RUN=1; shift ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) echo "gpu_check: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
case "$GC_BUDGET" in ''|*[!0-9]*) echo "gpu_check: --budget: expected whole seconds, got '$GC_BUDGET'" >&2; exit 2 ;; esac
GC_OUT="${1:-${OUT:-}}"
[ -n "$GC_OUT" ] || usage
[ $# -gt 0 ] && shift

declare -A GC_CAP GC_MIN GC_NEEDS GC_KIND GC_WHAT
GC_ALL=()
while read -r name cap min needs kind what; do
  [ -n "$name" ] || continue
  GC_ALL+=("$name"); GC_CAP[$name]=$cap; GC_MIN[$name]=$min; GC_NEEDS[$name]=$needs
  GC_KIND[$name]=$kind; GC_WHAT[$name]=$what
done <<<"$GC_STAGE_TABLE"
for kv in ${SENTI_GPU_CHECK_CAPS:-}; do GC_CAP[${kv%%=*}]=${kv#*=}; done
for kv in ${SENTI_GPU_CHECK_MINS:-}; do GC_MIN[${kv%%=*}]=${kv#*=}; done
for s in "${GC_ALL[@]}"; do  # as shown in the summary's stage table
  [ "${GC_KIND[$s]}" = extra ] && GC_WHAT[$s]="if time is left: ${GC_WHAT[$s]}"
done

GC_PLAN=()
if [ $# -gt 0 ]; then
  for s in "$@"; do
    [ -n "${GC_CAP[$s]:-}" ] || { echo "gpu_check: unknown stage '$s' (known: ${GC_ALL[*]})" >&2; exit 2; }
  done
  for s in "${GC_ALL[@]}"; do [[ " $* " == *" $s "* ]] && GC_PLAN+=("$s"); done
elif [ "$GC_DRY_RUN" = 1 ]; then
  read -r -a GC_PLAN <<<"$GC_DRY_STAGES"
else
  GC_PLAN=("${GC_ALL[@]}")
fi

# ---- folders: the output folder holds only what this check writes ----------------------------
mkdir -p "$GC_OUT" || exit 2
GC_OUT="$(cd "$GC_OUT" && pwd)"
for f in "$GC_OUT"/* "$GC_OUT"/.[!.]*; do
  [ -e "$f" ] || continue
  case "$(basename "$f")" in
    summary.md|results.env|logs.tar.gz|.summary.md.tmp|.results.env.tmp|.logs.tar.gz.tmp) rm -f "$f" ;;
    *) echo "gpu_check: OUT_DIR $GC_OUT holds $(basename "$f"); give an empty folder (nothing was changed)" >&2; exit 2 ;;
  esac
done
GC_CARRY="${SENTI_CARRY:-$GC_ROOT/.device-carry}"
GC_PREFIX="${SENTI_DEPS_PREFIX:-/tmp/senti-deps}"
GC_BUILD="${SENTI_GPU_BUILD_DIR:-$GC_ROOT/build-gpu}"
mkdir -p "${SENTI_GPU_CHECK_WORK:-${TMPDIR:-/tmp}}" || exit 2
GC_WORK="$(mktemp -d "${SENTI_GPU_CHECK_WORK:-${TMPDIR:-/tmp}}/senti-gpu-check.XXXXXX")" || exit 2
GC_LOGS="$GC_WORK/logs"
GC_RESULTS="$GC_WORK/results.env"
mkdir -p "$GC_LOGS" "$GC_WORK/sections"
: >"$GC_RESULTS"
GC_JOBS="$(nproc 2>/dev/null || echo 4)"
GC_START=$(date +%s)
GC_DEADLINE=$((GC_START + GC_BUDGET))
GC_RESERVE=4  # seconds kept back for the last rewrite of the output folder
export GC_ROOT GC_OUT GC_CARRY GC_PREFIX GC_BUILD GC_WORK GC_LOGS GC_RESULTS GC_JOBS GC_DRY_RUN GC_DEADLINE

# shellcheck source=gpu_check/common.sh
. "$GC_ROOT/scripts/gpu_check/common.sh"
# shellcheck source=gpu_check/report.sh
. "$GC_ROOT/scripts/gpu_check/report.sh"
gc_setup_env
mkdir -p "$SENTI_CACHE_DIR" 2>/dev/null  # the token cache the tests and training share

record budget_s "$GC_BUDGET"
record work_dir "$GC_WORK"
record commit "$(git -C "$GC_ROOT" rev-parse --short HEAD 2>/dev/null ||
  { sed -n 's/^commit //p' "$GC_CARRY/MANIFEST" 2>/dev/null | head -1 | sed 's/$/ (from the carry MANIFEST)/'; })"
record source_hash "$("$GC_ROOT/scripts/gpu_check/source_hash.sh" "$GC_ROOT" 2>/dev/null)"
record plan "${GC_PLAN[*]}"

GC_CURRENT=""; GC_CHILD=""; GC_ANY_FAILED=0
on_signal() {
  local sig="$1"
  trap - TERM INT HUP
  [ -n "$GC_CHILD" ] && kill -TERM "$GC_CHILD" 2>/dev/null
  if [ -n "$GC_CURRENT" ]; then
    record "stage_${GC_CURRENT}_status" "CUT (SIG$sig to the check after $(( $(now_s) - GC_STAGE_T0 )) s)"
    record "stage_${GC_CURRENT}_seconds" "$(( $(now_s) - GC_STAGE_T0 ))"
  fi
  record verdict "CUT by SIG$sig after $(( $(now_s) - GC_START )) s"
  gc_publish
  exit 143
}
trap 'on_signal TERM' TERM
trap 'on_signal INT' INT
trap 'on_signal HUP' HUP

GC_INCOMPLETE=0
skip() {  # skip STAGE REASON
  record "stage_$1_status" "skipped"
  record "note.$1.$(uniq_id)" "$1: $2"
  say "== $1: skipped: $2"
}

for s in "${GC_PLAN[@]}"; do
  left=$(( GC_DEADLINE - GC_RESERVE - $(now_s) ))
  limit=${GC_CAP[$s]}
  [ "$left" -lt "$limit" ] && limit=$left
  if [ "${GC_NEEDS[$s]}" = build ] && [ "$(result need_build)" = 0 ] && [ "${SENTI_GPU_CHECK_BUILD:-0}" != 1 ]; then
    skip "$s" "the carried prebuilt binaries load: nothing to do"; gc_publish nologs; continue
  fi
  need=${GC_MIN[$s]}; [ "$need" -gt "${GC_CAP[$s]}" ] && need=${GC_CAP[$s]}
  if [ "$limit" -lt "$need" ]; then
    skip "$s" "$(( left < 0 ? 0 : left )) s of the budget left, needs at least $need s"
    [ "${GC_KIND[$s]}" = core ] && GC_INCOMPLETE=$((GC_INCOMPLETE + 1))
    gc_publish nologs; continue
  fi
  case "${GC_NEEDS[$s]}" in
    gpu)
      if [ "$GC_DRY_RUN" = 1 ]; then skip "$s" "dry run"; gc_publish nologs; continue; fi
      if [ "$(result gpu_present)" != 1 ]; then skip "$s" "no GPU (see probe)"; gc_publish nologs; continue; fi
      if [ -z "$(result senti_bin)" ]; then skip "$s" "no working senti binary (see binaries, build)"; gc_publish nologs; continue; fi ;;
  esac
  GC_CURRENT="$s"; GC_STAGE_T0=$(now_s)
  idx=0; for a in "${GC_ALL[@]}"; do idx=$((idx + 1)); [ "$a" = "$s" ] && break; done
  idx=$(printf '%02d' "$idx")
  record "stage_${s}_status" "running (started at +$((GC_STAGE_T0 - GC_START)) s; if this remains, the check was cut here)"
  record "stage_${s}_limit" "$limit"
  gc_publish nologs
  say "== $s (limit $limit s)"
  GC_STAGE_DEADLINE=$((GC_STAGE_T0 + limit)) GC_STAGE="$s" GC_SECTION="$GC_WORK/sections/$idx-$s.md" \
    timeout -k 3 "$limit" bash "$GC_ROOT/scripts/gpu_check/run_stage.sh" "$s" \
    >>"$GC_LOGS/$s.log" 2>&1 &
  GC_CHILD=$!
  wait "$GC_CHILD"; rc=$?
  GC_CHILD=""
  secs=$(( $(now_s) - GC_STAGE_T0 ))
  record "stage_${s}_seconds" "$secs"
  case $rc in
    0) record "stage_${s}_status" "ok" ;;
    77) record "stage_${s}_status" "skipped" ;;
    124|137)
      record "stage_${s}_status" "CUT at its $limit s limit"
      record "failure.${s}.$(uniq_id)" "$s: cut at its $limit s limit (log: logs/$s.log)"
      {
        echo "## $s: cut at its $limit s limit"; echo
        echo "The last lines of logs/$s.log:"; echo
        md_tail "$GC_LOGS/$s.log" 20
      } >"$GC_WORK/sections/$idx-$s.cut.md"
      GC_ANY_FAILED=1 ;;
    *) record "stage_${s}_status" "FAILED (exit $rc)"; GC_ANY_FAILED=1 ;;
  esac
  GC_CURRENT=""
  gc_publish
done

if [ "$GC_ANY_FAILED" = 1 ] || grep -q '^failure\.' "$GC_RESULTS"; then
  record verdict "FAILED ($(grep -c '^failure\.' "$GC_RESULTS") failures$( [ "$GC_INCOMPLETE" -gt 0 ] &&
    echo ", $GC_INCOMPLETE core stages did not fit the budget"))"; rc=1
elif [ "$GC_INCOMPLETE" -gt 0 ]; then
  record verdict "INCOMPLETE ($GC_INCOMPLETE core stages did not fit the budget)"; rc=3
else
  record verdict "PASSED"; rc=0
fi
record total_seconds "$(( $(now_s) - GC_START ))"
gc_publish
say "done: $(result verdict); $GC_OUT/summary.md (work folder $GC_WORK)"
exit $rc
