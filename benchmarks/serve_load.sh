#!/usr/bin/env bash
# Loopback load test of `senti serve` with wrk (Debian package `wrk`): requests/s and latency
# percentiles at several connection counts, with keep-alive and with a fresh connection per request.
# The figures in docs/serving.md ("Load") come from this script.
#
#   benchmarks/serve_load.sh CHECKPOINT [SENTI_BIN]
#   SERVE_LOAD_SECONDS=10 SERVE_LOAD_CONNECTIONS="16 64 256" SERVE_LOAD_ENDPOINTS="predict healthz"
#
# Starts its own server on a free loopback port (--device cpu), prints one table row a run and
# stops the server at the end. Needs wrk on PATH.
set -euo pipefail
checkpoint=${1:?usage: benchmarks/serve_load.sh CHECKPOINT [SENTI_BIN]}
bin=${2:-build/senti}
seconds=${SERVE_LOAD_SECONDS:-10}
connections=${SERVE_LOAD_CONNECTIONS:-16 64 256}
endpoints=${SERVE_LOAD_ENDPOINTS:-predict}
threads=${SERVE_LOAD_WRK_THREADS:-2}
command -v wrk >/dev/null || { echo "serve_load: wrk not found (apt-get install wrk)" >&2; exit 2; }

work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" serve --device cpu --checkpoint "$checkpoint" --port 0 ${SERVE_LOAD_FLAGS:-} >"$work/log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 200); do
  port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$work/log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "serve_load: server did not start:" >&2; cat "$work/log" >&2; exit 1; }

# One short review a request (the demo page's use); the body is sent by a wrk Lua script.
cat >"$work/predict.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"texts": ["A warm, funny film with a wonderful cast."]}'
wrk.headers["Content-Type"] = "application/json"
EOF
: >"$work/healthz.lua"

echo "nproc $(nproc), load before: $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
echo "| endpoint | connections | keep-alive | requests/s | p50 | p99 | errors (connect/read/write/timeout, non-2xx) |"
echo "|---|---|---|---|---|---|---|"
for endpoint in $endpoints; do
  path=/v1/predict
  [ "$endpoint" = healthz ] && path=/healthz
  for c in $connections; do
    for keep in yes no; do
      extra=()
      [ "$keep" = no ] && extra=(-H "Connection: close")
      sleep 2  # let the previous run's closed connections drain from the server's queue
      out=$(wrk -t"$threads" -c"$c" -d"${seconds}s" --timeout 10s --latency -s "$work/$endpoint.lua" \
              "${extra[@]}" "http://127.0.0.1:$port$path" 2>&1)
      rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
      p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
      p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
      errs=$(awk '/Socket errors:/ {gsub(",", ""); print $4"/"$6"/"$8"/"$10}' <<<"$out")
      non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
      echo "| $endpoint | $c | $keep | ${rps:-?} | ${p50:-?} | ${p99:-?} | ${errs:-0/0/0/0}, ${non2xx:-0} |"
    done
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
