# Sourced by scripts/gpu_check.sh and by every stage process (scripts/gpu_check/run_stage.sh):
# paths, the toolchain environment, results and time helpers. No side effects beyond variables.
# shellcheck shell=bash

GC_MULTIARCH=x86_64-linux-gnu
# The Python of the check's helpers (gc_util.py, the probes) and of benchmarks/run_all.py and the
# PyTorch baselines: $SENTI_PYTHON when set (the gpu-check tests give the project's .venv, which has
# numpy but no torch), else the python3 on PATH: on the GPU machine the image's, which has torch.
GC_PY="${SENTI_PYTHON:-python3}"

# ---- results: KEY=VALUE lines in $GC_RESULTS, later lines win --------------------------------
# No process per call where bash can do it: the summary is rewritten after every stage.
record() {  # record KEY VALUE...   (one line; newlines become spaces)
  local key="$1"; shift
  local v="$*"; v="${v//$'\n'/ }"; v="${v//$'\r'/ }"
  printf '%s=%s\n' "$key" "$v" >>"$GC_RESULTS"
}
result() { awk -v k="$1=" 'index($0, k) == 1 {v = substr($0, length(k) + 1)} END {print v}' "$GC_RESULTS" 2>/dev/null; }
uniq_id() { local t="${EPOCHREALTIME:-$(date +%s.%N)}"; echo "${t/./}$RANDOM"; }
say() { echo "gpu_check: $*" >>"$GC_LOGS/gpu_check.log"; echo "gpu_check: $*" >&2; }
# A stage's notes and failures, shown in its row of the summary and under "Failures".
# Keys note.STAGE.N / failure.STAGE.N: the dots keep "train" apart from "train_epoch".
note() { record "note.${GC_STAGE:-main}.$(uniq_id)" "${GC_STAGE:-main}: $*"; say "${GC_STAGE:-main}: $*"; }
fail() { record "failure.${GC_STAGE:-main}.$(uniq_id)" "${GC_STAGE:-main}: $*"; say "${GC_STAGE:-main}: FAILED: $*"; GC_STAGE_FAILED=1; }

now_s() { echo "${EPOCHSECONDS:-$(date +%s)}"; }
# Seconds left before the stage's own deadline (the stage process was given min(cap, budget left)).
stage_left() { echo $(( ${GC_STAGE_DEADLINE:-$(( $(now_s) + 3600 ))} - $(now_s) )); }

# bounded CAP CMD...: runs CMD under `timeout` with min(CAP, what the stage has left - 1 s), so one
# hanging command is cut while the rest of the stage still reports. Exit 124/137: cut.
bounded() {
  local cap="$1"; shift
  local left; left=$(( $(stage_left) - 1 ))
  [ "$left" -lt "$cap" ] && cap="$left"
  if [ "$cap" -lt 1 ]; then echo "gpu_check: no time left for: $*" >&2; return 124; fi
  timeout -k 2 "$cap" "$@"
}
# Was this exit status a cut by `timeout`?
was_cut() { [ "$1" -eq 124 ] || [ "$1" -eq 137 ]; }

# md_code FILE [LINES]: the tail of a log as a fenced block (for the summary).
md_tail() {
  local f="$1" n="${2:-15}"
  [ -s "$f" ] || return 0
  echo '```'
  tail -n "$n" "$f" | cut -c1-300
  echo '```'
}

# ---- the toolchain environment (computed once by the main script, inherited by stages) --------
gc_setup_env() {
  [ "${GC_ENV_READY:-0}" = 1 ] && return 0
  local prefix="$GC_PREFIX" libdir="$GC_PREFIX/usr/lib/$GC_MULTIARCH"
  # The toolkit's bin goes last: stand-ins and whatever the machine put first on PATH win.
  if ! command -v nvcc >/dev/null && [ -d "${CUDA_HOME:-/usr/local/cuda}/bin" ]; then
    export PATH="$PATH:${CUDA_HOME:-/usr/local/cuda}/bin"
  fi
  export CMAKE_PREFIX_PATH="$prefix/usr:$prefix${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
  export CPATH="$prefix/usr/include${CPATH:+:$CPATH}"
  export LIBRARY_PATH="$libdir:$libdir/openblas-pthread:$prefix/usr/lib:$prefix/lib/$GC_MULTIARCH${LIBRARY_PATH:+:$LIBRARY_PATH}"
  # pkg-config sees only the prefix; the .pc files say prefix=/usr, the sysroot maps that into it.
  # (libxsmm-dev puts its .pc and libxsmm.a in /usr/lib, not the multiarch folder.)
  export PKG_CONFIG_LIBDIR="$libdir/pkgconfig:$prefix/usr/lib/pkgconfig:$prefix/usr/share/pkgconfig"
  export PKG_CONFIG_SYSROOT_DIR="$prefix"

  # cuDNN: the toolkit's, the system's, or the one in python's nvidia-cudnn wheel (the GPU image's
  # nvidia-cudnn-cu13, which PyTorch uses too).
  CUDNN_INC="${CUDNN_INCLUDE_DIR:-}"
  CUDNN_LIB="${CUDNN_LIBRARY:-}"
  CUDNN_FROM="CUDNN_INCLUDE_DIR/CUDNN_LIBRARY"
  local d f wheel
  if [ -z "$CUDNN_INC" ]; then
    for d in /usr/local/cuda/include /usr/local/cuda/targets/x86_64-linux/include /usr/include \
             "/usr/include/$GC_MULTIARCH"; do
      [ -f "$d/cudnn.h" ] && CUDNN_INC="$d" && CUDNN_FROM="system" && break
    done
  fi
  if [ -z "$CUDNN_LIB" ] && [ -n "$CUDNN_INC" ]; then
    for d in /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/local/cuda/targets/x86_64-linux/lib \
             "/usr/lib/$GC_MULTIARCH"; do
      for f in "$d/libcudnn.so" "$d/libcudnn.so.9"; do
        [ -e "$f" ] && CUDNN_LIB="$f" && break 2
      done
    done
  fi
  if [ -z "$CUDNN_INC" ] || [ -z "$CUDNN_LIB" ]; then
    wheel="$("$GC_PY" -c 'import nvidia.cudnn as m; print(list(m.__path__)[0])' 2>/dev/null || true)"
    if [ -n "$wheel" ] && ls "$wheel"/lib/libcudnn.so* >/dev/null 2>&1; then
      # The wheel's library serves at run time even where its headers are missing (then only
      # the prebuilt binaries can use it; a build needs CUDNN_INCLUDE_DIR).
      CUDNN_LIB="$(ls "$wheel"/lib/libcudnn.so* | head -1)"
      CUDNN_INC=""
      [ -f "$wheel/include/cudnn.h" ] && CUDNN_INC="$wheel/include"
      CUDNN_FROM="python wheel nvidia-cudnn ($wheel)"
    fi
  fi
  export CUDNN_INC CUDNN_LIB CUDNN_FROM
  # Run time: the carried libraries this system lacks (stage deps), cuDNN, the toolkit's cudart and
  # cuBLAS. Not RPATH: see docs/gpu-check.md.
  local ld="$prefix/runtime-lib"
  [ -n "$CUDNN_LIB" ] && ld="$ld:$(dirname "$CUDNN_LIB")"
  for d in "${CUDA_HOME:-/usr/local/cuda}/lib64" "${CUDA_HOME:-/usr/local/cuda}/targets/x86_64-linux/lib"; do
    if [ -d "$d" ]; then [[ ":$ld:" == *":$d:"* ]] || ld="$ld:$d"; break; fi
  done
  export LD_LIBRARY_PATH="$ld${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export SENTI_DATA_DIR="$GC_CARRY"              # the test suites' real dataset
  export SENTI_CACHE_DIR="$GC_BUILD/senti-cache"  # token cache shared by tests and training
  export PYTHONUNBUFFERED=1
  export GC_ENV_READY=1
}

gpu_query() { nvidia-smi --query-gpu="$1" --format=csv,noheader 2>/dev/null | head -1 | sed 's/^ *//;s/ *$//'; }

# "9.19.0" from a cudnn_version.h folder (empty when unknown).
cudnn_header_version() {
  awk '/#define CUDNN_MAJOR |#define CUDNN_MINOR |#define CUDNN_PATCHLEVEL /{printf "%s%s", sep, $3; sep="."}' \
    "$1/cudnn_version.h" 2>/dev/null
}
