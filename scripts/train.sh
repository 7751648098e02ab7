#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and trains. With no arguments: the seed recipe on the
# dataset in ../shared/data/imdb (or --data PATH / the official download), on the GPU if one is
# usable, else the CPU. Any arguments are passed to `senti train`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
bin="${SENTI_BUILD_DIR:-build}/senti"
if [ $# -eq 0 ]; then
  set -- --preset seed
  if [ -f ../shared/data/imdb/aclImdb_v1_labeled.tar.gz ]; then
    set -- "$@" --data ../shared/data/imdb/aclImdb_v1_labeled.tar.gz
  fi
fi
exec "$bin" train "$@"
