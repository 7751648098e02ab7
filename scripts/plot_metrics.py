#!/usr/bin/env python3
"""Learning curves of a senti run as a PNG: loss and accuracy per epoch, training and validation,
and the final test accuracy, from the run's metrics.jsonl (one JSON object an epoch, then a test
record; host/run/trainer.cpp writes it).

    python3 scripts/plot_metrics.py runs/x/metrics.jsonl --out curves.png
    python3 scripts/plot_metrics.py a/metrics.jsonl b/metrics.jsonl --label seed --label best --out cmp.png

Several files draw several runs in the same axes (one colour each). Needs matplotlib (the project's
Python has it: .venv/bin/python, made by scripts/setup.sh).
"""
import argparse
import json
import os
import sys


def read_metrics(path):
    """(epoch records, test record or None); a resumed run's repeated epochs keep the last one."""
    epochs, test = {}, None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise SystemExit(f"{path}:{n}: not a JSON line ({e})")
            if "epoch" in rec:
                epochs[int(rec["epoch"])] = rec
            elif "test_acc" in rec:
                test = rec
    if not epochs:
        raise SystemExit(f"{path}: no epoch records (expected senti's metrics.jsonl)")
    return [epochs[e] for e in sorted(epochs)], test


def plot(runs, out, title):
    import matplotlib
    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4.2))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, epochs, test) in enumerate(runs):
        c = colours[i % len(colours)]
        x = [r["epoch"] for r in epochs]
        prefix = f"{label}: " if len(runs) > 1 else ""
        ax_loss.plot(x, [r["loss"] for r in epochs], "-o", color=c, ms=3, label=prefix + "train")
        ax_acc.plot(x, [r["acc"] for r in epochs], "-o", color=c, ms=3, label=prefix + "train")
        if all("val_loss" in r for r in epochs):
            ax_loss.plot(x, [r["val_loss"] for r in epochs], "--s", color=c, ms=3, label=prefix + "validation")
            ax_acc.plot(x, [r["val_acc"] for r in epochs], "--s", color=c, ms=3, label=prefix + "validation")
        if test:
            ax_acc.axhline(test["test_acc"], color=c, lw=0.8, ls=":")
            ax_acc.annotate(f"test {test['test_acc']:.4f} ({test['test_samples']} reviews)",
                            (x[-1], test["test_acc"]), textcoords="offset points", xytext=(-4, -12),
                            ha="right", fontsize=8, color=c)
    for ax, name in ((ax_loss, "binary cross-entropy"), (ax_acc, "accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("metrics", nargs="+", help="metrics.jsonl file(s) of senti train")
    p.add_argument("--out", required=True, help="PNG file to write")
    p.add_argument("--label", action="append", default=[], help="legend name of each run (default: its folder)")
    p.add_argument("--title", default="senti learning curves")
    args = p.parse_args(argv)
    if args.label and len(args.label) != len(args.metrics):
        raise SystemExit(f"--label: {len(args.label)} labels for {len(args.metrics)} files")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise SystemExit("plot_metrics.py needs matplotlib: run it with .venv/bin/python (scripts/setup.sh), or pip install matplotlib")
    runs = []
    for i, path in enumerate(args.metrics):
        epochs, test = read_metrics(path)
        label = args.label[i] if args.label else os.path.basename(os.path.dirname(os.path.abspath(path)))
        runs.append((label, epochs, test))
    plot(runs, args.out, args.title)
    print(f"wrote {args.out} ({len(runs)} run(s), {sum(len(r[1]) for r in runs)} epochs)")


if __name__ == "__main__":
    sys.exit(main())
