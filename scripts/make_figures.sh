#!/usr/bin/env bash
# Regenerates the figures docs/benchmarks.md shows, from the results committed in the repository:
#   docs/img/bench-cpu.png        benchmarks/results/cpu-after-speedup-t2/benchmarks.json (run_all.py)
#   docs/img/learning-curves.png  benchmarks/results/cpu-learning-curve/metrics.jsonl (senti train)
# Needs matplotlib (python3-matplotlib, installed by scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 benchmarks/chart.py benchmarks/results/cpu-after-speedup-t2/benchmarks.json \
  --out docs/img/bench-cpu.png
python3 scripts/plot_metrics.py benchmarks/results/cpu-learning-curve/metrics.jsonl \
  --out docs/img/learning-curves.png \
  --title "senti train --device cpu --limit 10000 --maxlen 200 --padding pre --epochs 8"
