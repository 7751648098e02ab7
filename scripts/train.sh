#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and trains: the seed recipe on the dataset in
# ../shared/data/imdb when it is there (else $SENTI_DATA or the official download), on the GPU if one
# is usable, else the CPU. Arguments are passed to `senti train` after these defaults: they add to
# them (scripts/train.sh --epochs 2) or replace them (--preset smoke, --data PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
bin="${SENTI_BUILD_DIR:-build}/senti"

given() {  # is flag $1 among the arguments (as "--flag value" or "--flag=value")?
  local flag=$1 arg
  shift
  for arg in "$@"; do
    case "$arg" in "$flag" | "$flag"=*) return 0 ;; esac
  done
  return 1
}

defaults=()
given --preset "$@" || defaults+=(--preset seed)
local_data=../shared/data/imdb/aclImdb_v1_labeled.tar.gz
if ! given --data "$@" && [ -z "${SENTI_DATA:-}" ] && [ -f "$local_data" ]; then
  defaults+=(--data "$local_data")
fi
exec "$bin" train "${defaults[@]}" "$@"
