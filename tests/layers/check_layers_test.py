#!/usr/bin/env python3
"""The layer check (scripts/check_layers.py) passes on the real tree and fails, naming file and
line, on each kind of planted upward include in a scratch tree."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "scripts", "check_layers.py")


def run(root):
    p = subprocess.run([sys.executable, SCRIPT, "--root", root], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def tree(files):
    root = tempfile.mkdtemp(prefix="layers-")
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return root


failures = []
cases = 0


def expect(name, files, ok, needle=None):
    global cases
    cases += 1
    rc, out = run(tree(files))
    if ok and rc != 0:
        failures.append(f"{name}: expected to pass, got rc {rc}: {out}")
    if not ok and (rc == 0 or (needle and needle not in out)):
        failures.append(f"{name}: expected a failure naming '{needle}', got rc {rc}: {out}")


rc, out = run(os.path.join(HERE, "..", ".."))
if rc != 0:
    failures.append(f"real tree: {out}")

good = {
    "host/cli/cmd.cpp": '#include "host/run/trainer.h"\n#include "engine/backend.h"\n#include "kernels/common/error.h"\n',
    "host/run/trainer.cpp": '#include "host/stream/batch_stream.h"\n#include "host/data/dataset.h"\n',
    "host/data/reader.cpp": '#include "host/text/tokenizer.h"\n#include "engine/params.h"\n',
    "engine/backend.cpp": '#include "engine/cpu/cpu_backend.h"\n#include "engine/cuda/cuda_backend.h"\n',
    "engine/cuda/stand_in.cpp": '#include "engine/cpu/lstm_cpu.h"\n#include "kernels/adam.cuh"\n',
    "kernels/adam.cu": '#include "kernels/common/error.h"\n#include "kernels/adam.cuh"\n',
    "kernels/common/math/optim.h": '#include "kernels/common/math/hd.h"\n',
}
expect("allowed includes", good, ok=True)
expect("kernel includes engine", {"kernels/adam.cu": '\n#include "engine/params.h"\n'}, False,
       "kernels/adam.cu:2")
expect("common includes kernels", {"kernels/common/error.h": '#include "kernels/adam.cuh"\n'}, False,
       "kernels/common/error.h:1")
expect("engine includes host", {"engine/params.cpp": '#include "host/data/dataset.h"\n'}, False,
       "engine/params.cpp:1")
expect("data includes run", {"host/data/x.cpp": '#include "host/run/trainer.h"\n'}, False,
       "host/data/x.cpp:1")
expect("run includes cli", {"host/run/x.cpp": '#include "host/cli/commands.h"\n'}, False,
       "host/run/x.cpp:1")
expect("shared engine reaches into a backend", {"engine/optimizer.cpp": '#include "engine/cpu/adam_simd.h"\n'},
       False, "engine/optimizer.cpp:1")
expect("cpu backend includes cuda backend", {"engine/cpu/x.cpp": '#include "engine/cuda/stream.h"\n'},
       False, "engine/cpu/x.cpp:1")
expect("a folder in no layer", {"host/newthing/x.cpp": '#include "engine/params.h"\n'}, False,
       "host/newthing/x.cpp: this folder is in no layer")

for f in failures:
    print("FAIL", f)
print(f"check_layers_test: real tree + {cases} planted cases, {len(failures)} failed")
sys.exit(1 if failures else 0)
