# Sourced by scripts/gpu_check.sh: writes the output folder. After every stage (and before it
# starts, marked "running"), summary.md, results.env and logs.tar.gz are rewritten, each through a
# temporary file and a rename in the same folder, so a cut at any moment leaves complete files
# (at most 3, plus 1 temporary: never more than 8).
# shellcheck shell=bash

GC_LOG_KEEP_BYTES=$((4 * 1024 * 1024))  # a raw log above this keeps its head and tail

# One pass over results.env into R (later lines win) and the stages' notes into NOTES; the summary
# is rendered from those, without a process per value (it is rewritten after every stage).
gc_load_results() {
  declare -gA R=() NOTES=()
  local k v st
  while IFS='=' read -r k v; do
    R[$k]=$v
    if [[ $k == note.* ]]; then
      st="${k#note.}"; st="${st%%.*}"
      NOTES[$st]="${NOTES[$st]:+${NOTES[$st]}; }${v#"$st: "}"
    fi
  done <"$GC_RESULTS"
}

gc_render_summary() {
  local verdict used commit
  gc_load_results
  used=$(( $(now_s) - GC_START ))
  verdict="${R[verdict]:-}"
  [ -n "$verdict" ] || verdict="INCOMPLETE (the check was cut or is still running)"
  commit="${R[commit]:-}"
  echo "# senti GPU check: ${R[gpu_name_short]:-} — $verdict"
  echo
  echo "Started $(date -u -d "@$GC_START" +%Y-%m-%dT%H:%M:%SZ), budget ${GC_BUDGET} s, ${used} s used" \
       "when this was written; commit ${commit:-unknown}, source hash ${R[source_hash]:-}." \
       "Command: \`$GC_COMMAND\`"
  echo
  echo "## Headline"
  echo
  local s line any=0
  for s in "${GC_PLAN[@]}"; do
    line="${R[headline_$s]:-}"
    [ -n "$line" ] && { echo "- $line"; any=1; }
  done
  [ $any = 1 ] || echo "- (no stage has finished yet)"
  echo
  echo "## Stages"
  echo
  echo "| # | stage | status | seconds | limit s | what it shows | notes |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  local i=0 status secs limit notes
  for s in "${GC_PLAN[@]}"; do
    i=$((i + 1)); notes="${NOTES[$s]:-}"
    status="${R[stage_${s}_status]:-}"; secs="${R[stage_${s}_seconds]:-}"
    limit="${R[stage_${s}_limit]:-}"
    echo "| $i | $s | ${status:-not reached} | ${secs:-} | ${limit:-} | ${GC_WHAT[$s]:-} | ${notes//|/\\|} |"
  done
  echo
  local f
  for f in "$GC_WORK"/sections/*.md; do
    [ -s "$f" ] || continue
    cat "$f"
    echo
  done
  echo "## Failures"
  echo
  if grep -q '^failure\.' "$GC_RESULTS"; then
    grep '^failure\.' "$GC_RESULTS" | cut -d= -f2- | sed 's/^/- /'
  else
    echo "none so far"
  fi
  echo
  echo "Raw logs: logs.tar.gz (logs/<stage>*.log, the CUDA tests' JSON, training metrics, run_all's" \
       "benchmarks.md/.json); every figure above is also in results.env."
}

# Big logs keep their first 1 MiB and last 3 MiB so the bundle stays far below 16 MiB.
gc_trim_logs() {
  local f size
  while IFS= read -r -d '' f; do
    size=$(stat -c %s "$f" 2>/dev/null || echo 0)
    if [ "$size" -gt "$GC_LOG_KEEP_BYTES" ]; then
      { head -c 1048576 "$f"; printf '\n[... %s bytes cut by gpu_check ...]\n' "$size"; tail -c 3145728 "$f"; } \
        >"$f.trim" && mv -f "$f.trim" "$f"
    fi
  done < <(find "$GC_LOGS" -type f -print0 2>/dev/null)
}

gc_publish() {  # [nologs]: the logs did not change since the last call (no stage ran)
  mkdir -p "$GC_OUT"
  gc_render_summary >"$GC_OUT/.summary.md.tmp" 2>/dev/null && mv -f "$GC_OUT/.summary.md.tmp" "$GC_OUT/summary.md"
  cp "$GC_RESULTS" "$GC_OUT/.results.env.tmp" && mv -f "$GC_OUT/.results.env.tmp" "$GC_OUT/results.env"
  [ "${1:-}" = nologs ] && [ -f "$GC_OUT/logs.tar.gz" ] && return 0
  gc_trim_logs
  tar -czf "$GC_OUT/.logs.tar.gz.tmp" -C "$GC_WORK" logs 2>/dev/null
  [ -s "$GC_OUT/.logs.tar.gz.tmp" ] && mv -f "$GC_OUT/.logs.tar.gz.tmp" "$GC_OUT/logs.tar.gz"
  rm -f "$GC_OUT/.logs.tar.gz.tmp"
}
