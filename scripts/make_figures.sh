#!/usr/bin/env bash
# Regenerates the figures docs/benchmarks.md shows, from the results committed in the repository:
#   docs/img/bench-cpu.png        benchmarks/results/cpu-after-speedup-t2/benchmarks.json (run_all.py)
#   docs/img/learning-curves.png  benchmarks/results/cpu-learning-curve/metrics.jsonl (senti train)
# Needs matplotlib: runs on $SENTI_PYTHON when set, else on the project's Python (.venv, made by
# scripts/setup.sh from scripts/requirements-test.txt), else on the python3 on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
py="${SENTI_PYTHON:-}"
if [ -z "$py" ]; then py=python3; [ -x .venv/bin/python ] && py=.venv/bin/python; fi
"$py" benchmarks/chart.py benchmarks/results/cpu-after-speedup-t2/benchmarks.json \
  --out docs/img/bench-cpu.png
"$py" scripts/plot_metrics.py benchmarks/results/cpu-learning-curve/metrics.jsonl \
  --out docs/img/learning-curves.png \
  --title "senti train --device cpu --limit 10000 --maxlen 200 --padding pre --epochs 8"
