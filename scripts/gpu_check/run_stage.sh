#!/usr/bin/env bash
# One stage of the GPU check in its own process (scripts/gpu_check.sh runs it under `timeout`).
# Exit 0: ok, 1: failed, 77: skipped (the stage said why with `note`).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"
for f in "$here"/stages_*.sh; do . "$f"; done
gc_setup_env
GC_STAGE_FAILED=0
GC_STAGE_SKIPPED=0
section() { printf '%s\n' "$@" >>"$GC_SECTION"; }          # append lines to this stage's section
section_cat() { cat >>"$GC_SECTION"; }
skip_stage() { note "$*"; GC_STAGE_SKIPPED=1; }
"stage_$1"
if [ "$GC_STAGE_FAILED" = 1 ]; then exit 1; fi
if [ "$GC_STAGE_SKIPPED" = 1 ]; then exit 77; fi
exit 0
