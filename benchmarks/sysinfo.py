"""What run_all.py states about the machine and the kernels under each result: the CPU (model, the
SIMD flags that decide kernel choice, cores), the commit, and senti's BLAS as the dynamic loader
resolves it (OpenBLAS's version and the kernel core its DYNAMIC_ARCH dispatch picks here).

The baselines report their own kernels in their records (pytorch_lstm.py: torch's BLAS, CPU
capability and oneDNN; keras_lstm.py: the backend; fasttext_imdb.py: no BLAS); kernel_line()
renders any of them as one line of the report.
"""
import datetime
import json
import os
import platform
import re
import subprocess
import sys

SIMD_FLAGS = ("avx2", "avx512f")

# Run in a child python with run_all's environment, so OPENBLAS_CORETYPE (OpenBLAS's override of its
# CPU detection) counts exactly as it does for senti, and run_all itself starts no BLAS threads.
_OPENBLAS_PROBE = r"""
import ctypes, json, sys
lib = ctypes.CDLL(sys.argv[1])
out = {}
for name in ("openblas_get_corename", "openblas_get_config"):
    f = getattr(lib, name)
    f.restype = ctypes.c_char_p
    out[name] = f().decode()
out["parallel"] = {0: "sequential", 1: "pthreads", 2: "OpenMP"}.get(lib.openblas_get_parallel(), "?")
print(json.dumps(out))
"""


def cpu_info(cpuinfo="/proc/cpuinfo"):
    """Model name, the SIMD flags in SIMD_FLAGS (True/False) and the core count."""
    model, flags = None, set()
    try:
        with open(cpuinfo) as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and model is None:
                    model = value.strip()
                elif key.strip() == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    return dict(cpu=model or platform.processor(), cpu_flags={f: f in flags for f in SIMD_FLAGS}, cores=os.cpu_count())


def machine_info(device, root):
    info = dict(date=datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
                host=platform.node(), python=platform.python_version(), **cpu_info())
    if device == "cuda":
        r = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                           capture_output=True, text=True)
        info["gpu"] = r.stdout.strip()
    r = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    info["commit"] = (r.stdout.strip() or "unknown") + ("+dirty" if dirty else "")
    return info


def linked_openblas(binary):
    """The libopenblas the loader gives `binary` (ldd), or None."""
    try:
        r = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"libopenblas\S*\s+=>\s+(\S+)", r.stdout)
    return m.group(1) if m else None


# Environment variables that change which kernels senti's libraries pick (its own describe string,
# in each record's device_desc, names any small-GEMM library and its target besides OpenBLAS).
SENTI_KERNEL_ENV = ("OPENBLAS_NUM_THREADS", "LIBXSMM_TARGET")  # OPENBLAS_CORETYPE: a field of its own


def senti_blas(binary, env=None):
    """senti's BLAS: library path, OpenBLAS version and config, the kernel core it chose, its
    threading, and OPENBLAS_CORETYPE when set (else the choice is OpenBLAS's own CPU detection)."""
    env = os.environ if env is None else env
    coretype = env.get("OPENBLAS_CORETYPE")
    lib = linked_openblas(binary)
    overrides = {k: env[k] for k in SENTI_KERNEL_ENV if k in env}
    if lib is None:
        return dict(library="no libopenblas in ldd (a static or another BLAS)", openblas_coretype=coretype,
                    env=overrides)
    try:
        r = subprocess.run([sys.executable, "-c", _OPENBLAS_PROBE, lib], capture_output=True, text=True,
                           timeout=60, env=dict(env))
        probe = json.loads(r.stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return dict(library=lib, corename="unknown (probe failed)", openblas_coretype=coretype, env=overrides)
    config = probe["openblas_get_config"]
    version = re.match(r"OpenBLAS (\S+)", config)
    return dict(library=os.path.realpath(lib), openblas=version.group(1) if version else None, config=config,
                corename=probe["openblas_get_corename"], parallel=probe["parallel"],
                openblas_coretype=coretype, env=overrides)


def kernel_line(rec):
    """One line of the report on the kernels behind a record (its `blas`), with its thread count."""
    b = rec.get("blas") or {}
    threads = rec.get("threads")
    tail = f"; {threads} threads" if threads else ""
    env = "".join(f", {k}={v}" for k, v in (b.get("env") or {}).items())
    if rec.get("framework") == "senti":  # what it says of itself, then the OpenBLAS the loader gives it
        chosen = (f"OPENBLAS_CORETYPE={b['openblas_coretype']}" if b.get("openblas_coretype")
                  else "auto-detected")
        blas = (f"OpenBLAS {b.get('openblas')} ({b.get('parallel')}), kernel core {b['corename']} ({chosen})"
                if "corename" in b else b.get("library", "BLAS not probed"))
        return f"{rec.get('device_desc')}; linked {blas}{env}{tail}"
    if "cpu_capability" in b:  # PyTorch
        return (f"BLAS {b.get('library')} ({b.get('detail') or '?'}), CPU capability {b['cpu_capability']}, "
                f"oneDNN {b.get('onednn') or ''} {'on' if b.get('mkldnn') else 'off'}, parallel backend {b.get('parallel')}{env}{tail}")
    return (b.get("library") or "not reported") + tail
