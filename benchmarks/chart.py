#!/usr/bin/env python3
"""Bar chart of ms/step per framework and configuration from run_all.py's benchmarks.json: one
panel a configuration, one bar a framework (median over the rounds, the min..max of the rounds as
an error bar), each labelled with its ms/step and how many times faster senti is.

    python3 benchmarks/chart.py benchmarks/results/cpu-after-speedup-t2/benchmarks.json --out chart.png

run_all.py calls write_chart() itself (DIR/ms_per_step.png) when matplotlib is installed.
"""
import argparse
import json
import sys

ORDER = ["senti", "pytorch", "pytorch packed", "pytorch keras-adam", "keras"]


def write_chart(summary, machine, device, out):
    """summary: run_all.summarise()'s rows; writes the PNG to `out`."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    configs = sorted({r["config"] for r in summary}, key=lambda c: (c != "seed", c))
    fig, axes = plt.subplots(1, len(configs), figsize=(4.6 * len(configs), 3.8), squeeze=False)
    colours = {"senti": "#2a62c9"}
    for ax, config in zip(axes[0], configs):
        rows = sorted((r for r in summary if r["config"] == config),
                      key=lambda r: (ORDER.index(r["framework"]) if r["framework"] in ORDER else 99, r["framework"]))
        names = [r["framework"] for r in rows]
        ms = [r["ms_per_step"] for r in rows]
        lo = [r["ms_per_step"] - r["spread_ms"][0] for r in rows]
        hi = [r["spread_ms"][1] - r["ms_per_step"] for r in rows]
        bars = ax.bar(names, ms, yerr=[lo, hi], capsize=3,
                      color=[colours.get(n, "#9aa5b1") for n in names])
        for bar, r in zip(bars, rows):
            x = r.get("senti_speedup")
            text = f"{r['ms_per_step']:.1f}" + ("" if r["framework"] == "senti" or not x else f"\n(senti {x:.1f}×)")
            top = max(bar.get_height(), r["spread_ms"][1])  # above the error bar
            ax.annotate(text, (bar.get_x() + bar.get_width() / 2, top), ha="center",
                        va="bottom", fontsize=8, xytext=(0, 3), textcoords="offset points")
        batch = rows[0].get("batch") if rows else None
        ax.set_title(f"{config}" + (f" (batch {batch})" if batch else ""))
        ax.set_ylabel("ms per training step (lower is better)")
        ax.set_ylim(0, max(ms) * 1.3)
        ax.grid(axis="y", alpha=0.3)
        ax.tick_params(axis="x", labelsize=8)
    fig.suptitle(f"{device}: {machine.get('cpu', '')}, {machine.get('cores', '?')} cores"
                 f"{', GPU ' + machine['gpu'] if machine.get('gpu') else ''} — commit {machine.get('commit', '?')}, "
                 f"{machine.get('date', '')[:10]}", fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("results", help="a benchmarks.json written by benchmarks/run_all.py")
    p.add_argument("--out", required=True, help="PNG file to write")
    args = p.parse_args(argv)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise SystemExit("chart.py needs matplotlib: run it with .venv/bin/python (scripts/setup.sh), or pip install matplotlib")
    with open(args.results, encoding="utf-8") as f:
        data = json.load(f)
    if not data.get("summary"):
        raise SystemExit(f"{args.results}: no summary rows (expected run_all.py's benchmarks.json)")
    batches = {}
    for rec in data.get("records", []):
        if "batch" in rec:
            batches.setdefault(rec["config"], rec["batch"])
    for r in data["summary"]:
        r.setdefault("batch", batches.get(r["config"]))
    write_chart(data["summary"], data.get("machine", {}), data.get("device", "?"), args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    sys.exit(main())
