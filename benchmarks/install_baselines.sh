#!/usr/bin/env bash
# Installs the framework baselines that benchmarks/run_all.py compares senti with.
# Not needed to build or test senti; CI never runs this.
#
#   bash benchmarks/install_baselines.sh           # torch + tensorflow-cpu (Keras 3) + fasttext from PyPI
#   bash benchmarks/install_baselines.sh --gpu     # keep an existing torch/jax; add keras and fasttext
#   WHEELS=dir bash benchmarks/install_baselines.sh --gpu   # offline: wheels brought along in dir
#                                  (made elsewhere with `pip download keras -d dir`)
#
# PyPI's torch wheel for Linux x86_64 is the CUDA build (~3 GB with its nvidia-* wheels); it runs on
# a CPU-only machine too. On a GPU box whose python already has torch and jax, `--gpu` only adds
# keras (Keras 3 runs on JAX with KERAS_BACKEND=jax, which run_all.py sets) and fasttext (a CPU
# baseline for `run_all.py --full`; PyPI's fasttext builds from source where no wheel fits).
set -euo pipefail
PY=${PYTHON:-python3}
PIP=("$PY" -m pip install --disable-pip-version-check --default-timeout=600)
if [[ -n "${WHEELS:-}" ]]; then PIP+=(--no-index --find-links "$WHEELS"); fi
start=$(date +%s)
if [[ "${1:-}" == "--gpu" ]]; then
  "$PY" -c "import torch" 2>/dev/null || "${PIP[@]}" torch
  "$PY" -c "import keras" 2>/dev/null || "${PIP[@]}" keras
  "$PY" -c "import fasttext" 2>/dev/null || "${PIP[@]}" fasttext
else
  "${PIP[@]}" numpy
  "$PY" -c "import torch" 2>/dev/null || "${PIP[@]}" torch
  "$PY" -c "import tensorflow" 2>/dev/null || "${PIP[@]}" tensorflow-cpu
  "$PY" -c "import fasttext" 2>/dev/null || "${PIP[@]}" fasttext
fi
end=$(date +%s)
"$PY" - <<'PYEOF'
import importlib
from importlib import metadata
for name in ("numpy", "torch", "tensorflow", "keras", "jax", "fasttext"):
    try:
        m = importlib.import_module(name)
        # fasttext's module has no __version__; its distribution's metadata does
        print(f"  {name:<11} {getattr(m, '__version__', None) or metadata.version(name)}")
    except Exception as e:  # report what is missing, do not fail
        print(f"  {name:<11} not installed ({type(e).__name__})")
PYEOF
echo "install_baselines: done in $((end - start)) s"
