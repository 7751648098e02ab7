#!/usr/bin/env python3
"""Fails when a project include points up the layer map of docs/architecture.md.

Every `#include "..."` of a source file under kernels/, engine/ or host/ is checked against the
layers below (top to bottom). A file may include its own layer and any layer below it, plus the
exceptions listed in EXTRA. Prints `file:line: ...` for each upward include and exits 1.

    scripts/check_layers.py [--root DIR]
"""
import argparse
import os
import re
import sys

# Top to bottom: (name, rank, path prefixes). A file may include its own layer and lower ones.
LAYERS = [
    ("cli", 8, ["host/cli/"]),                      # the senti binary's subcommands
    ("interop", 7, ["host/tensorboard/", "host/onnx/"]),  # TensorBoard logs, ONNX export
    ("run", 6, ["host/run/"]),                      # trainer, predictor, checkpoints, progress
    ("stream", 5, ["host/stream/"]),                # batch streaming thread
    ("data", 4, ["host/data/", "host/text/"]),      # aclImdb reader, tokenizer, vocabulary, cache
    ("backends", 3, ["engine/cpu/", "engine/cuda/"]),  # the two Backend implementations
    ("engine", 2, ["engine/"]),                     # model, params, optimizer rules, safetensors
    ("common", 0, ["kernels/common/"]),             # errors, NVTX, __host__ __device__ math
    ("kernels", 1, ["kernels/"]),                   # CUDA ops (checked after kernels/common/)
]
RANK = {name: rank for name, rank, _ in LAYERS}

# Allowed includes that are not "same or lower layer": (including layer, included prefix, why).
EXTRA = [
    # The backend factory is the one engine file that creates the backends.
    ("engine/backend.cpp", "engine/cpu/", "the backend factory creates the CPU backend"),
    ("engine/backend.cpp", "engine/cuda/", "the backend factory creates the CUDA backend"),
]
# Forbidden although both sides are one layer: the CPU backend (the oracle) never depends on the
# CUDA backend. The other direction is allowed: the CUDA backend's CPU stand-ins (emulated device)
# run the CPU twin.
SIBLING_RULES = [
    ("engine/cpu/", "engine/cuda/"),
]

SOURCE_EXT = (".h", ".hpp", ".cpp", ".cc", ".cu", ".cuh")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layer_of(path):
    for name, _, prefixes in LAYERS:
        for p in prefixes:
            if path.startswith(p):
                return name
    return None


def check_file(rel, text):
    errors = []
    own = layer_of(rel)
    if own is None:
        if rel.count("/") > 1 or rel.startswith(("engine/", "kernels/")):
            return [f"{rel}: this folder is in no layer of scripts/check_layers.py; add it there and "
                    f"to docs/architecture.md"]
        return errors
    for lineno, line in enumerate(text.splitlines(), 1):
        m = INCLUDE_RE.match(line)
        if not m:
            continue
        inc = m.group(1)
        target = layer_of(inc)
        if target is None:
            continue  # a header next to the file or a third-party one
        if own == "engine" and target == "backends":
            if any(rel == f and inc.startswith(p) for f, p, _ in EXTRA):
                continue
            errors.append(f"{rel}:{lineno}: '{inc}' reaches into a backend from the shared engine "
                          f"(only engine/backend.cpp, the factory, may)")
            continue
        if any(rel.startswith(a) and inc.startswith(b) for a, b in SIBLING_RULES):
            errors.append(f"{rel}:{lineno}: '{inc}': the CPU backend does not include the CUDA "
                          f"backend")
            continue
        if RANK[target] > RANK[own]:
            errors.append(f"{rel}:{lineno}: upward include of '{inc}' (layer '{target}') from "
                          f"layer '{own}'; see docs/architecture.md")
    return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."))
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    errors, checked = [], 0
    for top in ("kernels", "engine", "host"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if not f.endswith(SOURCE_EXT):
                    continue
                full = os.path.join(dirpath, f)
                rel = os.path.relpath(full, root).replace(os.sep, "/")
                with open(full, encoding="utf-8", errors="replace") as fh:
                    errors += check_file(rel, fh.read())
                checked += 1
    for e in errors:
        print(e)
    if errors:
        print(f"check_layers: {len(errors)} upward include(s) in {checked} files", file=sys.stderr)
        return 1
    print(f"check_layers: {checked} files, every include points down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
