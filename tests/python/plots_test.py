#!/usr/bin/env python3
"""scripts/plot_metrics.py draws a PNG from a metrics.jsonl (resumed epochs counted once, the test
record marked, bad input refused with a message), and benchmarks/chart.py draws the ms/step bar
chart from a committed benchmarks.json. Exits 77 (ctest: skipped) without matplotlib.

    plots_test.py SENTI_BIN DATA_ARCHIVE SCRATCH_DIR   (only SCRATCH_DIR is used)
"""
import json
import os
import struct
import subprocess
import sys

try:
    import matplotlib  # noqa: F401
except ImportError:
    # The project's Python (.venv, scripts/requirements-test.txt) has it: under ctest this never skips.
    print(f"SKIPPED: matplotlib is not installed in {sys.executable} (scripts/setup.sh makes .venv with it)")
    sys.exit(77)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
scratch = os.path.join(sys.argv[3], "plots")
os.makedirs(scratch, exist_ok=True)
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import plot_metrics  # noqa: E402


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


metrics = os.path.join(scratch, "metrics.jsonl")
with open(metrics, "w") as f:
    for e, (loss, acc) in enumerate([(0.69, 0.52), (0.55, 0.74), (0.41, 0.83)], 1):
        f.write(json.dumps(dict(epoch=e, loss=loss, acc=acc, val_loss=loss + 0.05, val_acc=acc - 0.03,
                                seconds=1.0, samples_per_s=900)) + "\n")
    f.write(json.dumps(dict(epoch=3, loss=0.40, acc=0.84, val_loss=0.44, val_acc=0.81)) + "\n")  # resumed
    f.write(json.dumps(dict(test_loss=0.45, test_acc=0.80, test_samples=1000)) + "\n")
epochs, test = plot_metrics.read_metrics(metrics)
assert [r["epoch"] for r in epochs] == [1, 2, 3] and epochs[-1]["loss"] == 0.40, epochs
assert test["test_acc"] == 0.80, test

out = os.path.join(scratch, "curves.png")
r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "plot_metrics.py"), metrics, "--out", out],
                   capture_output=True, text=True)
assert r.returncode == 0, r.stdout + r.stderr
w, h = png_size(out)
assert w > 800 and h > 300, (w, h)
print(f"ok   plot_metrics.py: {out} {w}x{h}")

bad = os.path.join(scratch, "bad.jsonl")
with open(bad, "w") as f:
    f.write('{"test_acc": 0.5}\nnot json\n')
r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "plot_metrics.py"), bad, "--out", out],
                   capture_output=True, text=True)
assert r.returncode != 0 and "bad.jsonl:2: not a JSON line" in r.stderr, r.stderr
print("ok   plot_metrics.py refuses a broken file, naming the line")

chart = os.path.join(scratch, "bench.png")
results = os.path.join(ROOT, "benchmarks", "results", "cpu-after-speedup-t2", "benchmarks.json")
r = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "chart.py"), results, "--out", chart],
                   capture_output=True, text=True)
assert r.returncode == 0, r.stdout + r.stderr
w, h = png_size(chart)
assert w > 800 and h > 300, (w, h)
print(f"ok   chart.py: {chart} {w}x{h}")
print("PASSED")
