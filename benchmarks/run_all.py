#!/usr/bin/env python3
"""senti against every framework baseline on this machine, interleaved, in one table.

    python3 benchmarks/run_all.py --out benchmarks/results/today        # speed: seed and B256
    python3 benchmarks/run_all.py --full --epochs 20 --out DIR            # time to accuracy

Speed mode runs, for each configuration and for R rounds, senti bench, then the PyTorch baseline
(padded and pack_padded_sequence variants; fp32 with TF32 off, and `pytorch-tf32` with PyTorch's
defaults as a second row), then Keras, all on the same device with the same
thread count and the same timing method (benchmarks/baselines/common.py), one process at a time.
Each (configuration, framework) figure is the median over the rounds, so drifting load on the
machine hits every framework alike. Frameworks that are not installed are skipped with a note.

Writes DIR/benchmarks.md (the table, machine, commit, commands) and DIR/benchmarks.json (every raw
record too).
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "baselines"))
sys.path.insert(0, HERE)  # chart.py
import common  # noqa: E402
import runners  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=os.path.join(HERE, "results", datetime.date.today().isoformat()),
                   help="folder for benchmarks.md and benchmarks.json")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="auto: cuda when nvidia-smi sees a GPU, else cpu")
    p.add_argument("--configs", default="seed,b256", help="comma list of: " + ",".join(common.PRESETS))
    p.add_argument("--frameworks",
                   help="comma list of: " + ",".join(runners.FRAMEWORKS) + " (default: senti,pytorch,"
                        "pytorch-packed,keras, plus senti-cudnn and pytorch-tf32 on cuda)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median over them)")
    p.add_argument("--steps", type=int, help="timed steps per run (default: by device and config)")
    p.add_argument("--warmup", type=int, help="warm-up steps per run (default: by device and config)")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                   help="CPU threads for every framework (default: all cores)")
    p.add_argument("--data", metavar="DIR", help="real IMDB (default for speed: synthetic ids)")
    p.add_argument("--senti", help="the senti binary (default: newest build*/senti under the repo)")
    p.add_argument("--python", default=sys.executable, help="python that runs the baselines")
    p.add_argument("--full", action="store_true", help="time to accuracy: the full seed recipe")
    p.add_argument("--epochs", type=int, default=20, help="epochs for --full")
    p.add_argument("--limit", type=int, default=0,
                   help="--full on N training and N test reviews only (0 = all; for smoke runs)")
    p.add_argument("--timeout", type=int, default=3600, help="seconds per single run")
    p.add_argument("--no-chart", action="store_true",
                   help="do not write DIR/ms_per_step.png (benchmarks/chart.py; needs matplotlib)")
    p.add_argument("--omp-wait-policy", choices=["auto", "active", "passive"], default="auto",
                   help="OMP_WAIT_POLICY for every run; auto: PASSIVE when the machine is already "
                        "busy (load average > cores / 2), where spinning OpenMP workers (PyTorch's) "
                        "otherwise lose 5-15x")
    return p.parse_args()


def detect_device(want):
    if want != "auto":
        return want
    smi = shutil.which("nvidia-smi")
    if smi and subprocess.run([smi, "-L"], capture_output=True, text=True).returncode == 0:
        return "cuda"
    return "cpu"


def default_steps(device, preset):
    """Enough timed steps for a stable median, few enough that a CPU round takes minutes."""
    if device == "cuda":
        return (20, 200) if preset == "seed" else (10, 100)
    return (3, 20) if preset == "seed" else (2, 6)


def machine_info(device):
    info = dict(date=datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
                host=platform.node(), python=platform.python_version(), cores=os.cpu_count())
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        info["cpu"] = platform.processor()
    if device == "cuda":
        r = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                           capture_output=True, text=True)
        info["gpu"] = r.stdout.strip()
    r = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    info["commit"] = (r.stdout.strip() or "unknown") + ("+dirty" if dirty else "")
    return info


def summarise(records, frameworks_order):
    """Median ms/step over the rounds for each (config, framework label); ratio to senti's."""
    groups = {}
    for r in records:
        if "error" in r:
            continue
        groups.setdefault((r["config"], r["label"]), []).append(r)
    rows = []
    for (config, label), rs in groups.items():
        ms = statistics.median(r["ms_per_step"] for r in rs)
        b = rs[0]["batch"]
        row = dict(config=config, framework=label, runs=len(rs), ms_per_step=ms,
                   samples_per_s=b * 1e3 / ms, tokens_per_s=b * rs[0]["maxlen"] * 1e3 / ms,
                   device_desc=rs[0]["device_desc"], spread_ms=[min(r["ms_per_step"] for r in rs),
                                                                max(r["ms_per_step"] for r in rs)])
        cpu = [r["cpu_ms_per_step"] for r in rs if r.get("cpu_ms_per_step") is not None]
        row["cpu_ms_per_step"] = statistics.median(cpu) if cpu else None
        for k in ("test_accuracy", "val_accuracy", "train_wall_s", "epochs", "split"):
            if rs[0].get(k) is not None:
                row[k] = statistics.median(r[k] for r in rs) if k != "split" else rs[0][k]
        rows.append(row)
    # The reference row: plain senti, else its first LSTM path (senti cudnn / senti fused).
    senti = {}
    for r in sorted(rows, key=lambda r: r["framework"] != "senti"):
        if r["framework"].split(" ")[0] == "senti":
            senti.setdefault(r["config"], r)
    for r in rows:
        # "senti ×": senti's samples/s over this framework's (> 1: senti is faster); the same from
        # process CPU time, which a loaded shared machine distorts less than wall time.
        s = senti.get(r["config"])
        r["senti_speedup"] = r["ms_per_step"] / s["ms_per_step"] if s else None
        r["senti_speedup_cpu_time"] = (r["cpu_ms_per_step"] / s["cpu_ms_per_step"]
                                       if s and r["cpu_ms_per_step"] and s["cpu_ms_per_step"] else None)
    order = {f: i for i, f in enumerate(frameworks_order)}
    rows.sort(key=lambda r: (r["config"], order.get(r["framework"].split(" ")[0], 99), r["framework"]))
    return rows


def fmt_table(rows, full, device):
    head = ["configuration", "framework", "ms/step", "samples/s", "senti ×"]
    cpu_cols = device == "cpu" and not full
    if cpu_cols:
        head += ["CPU-time ms/step", "senti × (CPU time)"]
    if full:
        head += ["epochs", "train wall (s)", "test accuracy"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["config"], r["framework"], f"{r['ms_per_step']:.2f}", f"{r['samples_per_s']:.0f}",
                 "—" if r["senti_speedup"] is None else f"{r['senti_speedup']:.2f}"]
        if cpu_cols:
            cells += ["—" if r["cpu_ms_per_step"] is None else f"{r['cpu_ms_per_step']:.2f}",
                      "—" if r["senti_speedup_cpu_time"] is None else f"{r['senti_speedup_cpu_time']:.2f}"]
        if full:
            cells += [str(r.get("epochs", "")), f"{r.get('train_wall_s', float('nan')):.0f}",
                      f"{r.get('test_accuracy', float('nan')):.4f}"]
        lines.append("| " + " | ".join(cells) + " |")
    for r in rows:  # senti's own split of a CUDA step (CUDA events, extra steps after the timed ones)
        sp = r.get("split")
        if r["framework"].startswith("senti") and sp:
            lines.append(f"\n{r['framework']} {r['config']}, split of a step over {sp['steps']} steps (ms): "
                         f"copy {sp['copy_ms']:.3f}, forward {sp['forward_ms']:.3f}, "
                         f"backward {sp['backward_ms']:.3f}, clip + Adam {sp['optimizer_ms']:.3f}")
    return "\n".join(lines)


def write_bar_chart(rows, info, device, out_dir):
    """DIR/ms_per_step.png, the bar chart of benchmarks/chart.py; a note when matplotlib is missing."""
    try:
        import chart
    except ImportError:
        return
    path = os.path.join(out_dir, "ms_per_step.png")
    try:
        chart.write_chart(rows, info, device, path)
        print(f"wrote {path}")
    except ImportError:
        print("note: matplotlib is not installed: no ms_per_step.png (.venv/bin/python has it)")


def main():
    args = parse_args()
    device = detect_device(args.device)
    configs = [c for c in args.configs.split(",") if c]
    for c in configs:
        if c not in common.PRESETS:
            raise SystemExit(f"--configs: unknown configuration '{c}' (known: {', '.join(common.PRESETS)})")
    if args.full and not args.data:
        args.data = os.path.join(os.path.dirname(ROOT), "shared", "data", "imdb")
    policy = args.omp_wait_policy
    if policy == "auto":
        policy = "passive" if os.getloadavg()[0] > (os.cpu_count() or 1) / 2 else "active"
    os.environ["OMP_WAIT_POLICY"] = policy.upper()  # inherited by every run
    env = runners.Env(root=ROOT, python=args.python, senti=args.senti or runners.find_senti(ROOT),
                      device=device, threads=args.threads, data=args.data, timeout=args.timeout)
    if args.frameworks is None:  # TF32 exists only on the GPU: PyTorch's defaults as a second row there
        # senti runs its fused LSTM by default; senti-cudnn is the cuDNN path of the same binary.
        args.frameworks = ("senti" + (",senti-cudnn,pytorch,pytorch-tf32" if device == "cuda" else ",pytorch")
                           + ",pytorch-packed,keras")
    wanted = [f for f in args.frameworks.split(",") if f]
    available, notes = runners.available(env, wanted)
    for n in notes:
        print(f"note: {n}", flush=True)
    if not available:
        raise SystemExit("no framework available to run")
    info = machine_info(device)
    info["omp_wait_policy"] = policy
    print(f"run_all: {device}, {args.threads} threads, OMP_WAIT_POLICY {policy.upper()}, "
          f"frameworks: {', '.join(available)}; "
          f"commit {info['commit']}", flush=True)

    records = []
    for config in configs:
        warmup, steps = default_steps(device, config)
        warmup = args.warmup if args.warmup is not None else warmup
        steps = args.steps if args.steps is not None else steps
        rounds = 1 if args.full else args.rounds
        for rnd in range(rounds):
            for fw in available:  # interleaved: one run of each framework per round
                rec = runners.run(env, fw, config, warmup, steps, full=args.full, epochs=args.epochs,
                                  limit=args.limit)
                rec.update(config=config, round=rnd + 1, load_before=os.getloadavg()[0])
                records.append(rec)
                shown = (f"error: {rec['error']}" if "error" in rec
                         else f"{rec['ms_per_step']:.2f} ms/step, {rec['samples_per_s']:.0f} samples/s")
                print(f"  [{config} round {rnd + 1}/{rounds}] {rec['label']}: {shown}", flush=True)

    rows = summarise(records, runners.FRAMEWORKS)
    loads = [r["load_before"] for r in records]
    table = fmt_table(rows, args.full, device)
    print("\n" + table)
    os.makedirs(args.out, exist_ok=True)
    mode = f"full seed recipe, {args.epochs} epochs" if args.full else f"{args.rounds} interleaved rounds"
    header = (f"# senti vs framework baselines ({device})\n\n"
              f"- date: {info['date']}\n- machine: {info['host']}, {info['cpu']}, {info['cores']} cores"
              + (f", GPU {info['gpu']}" if "gpu" in info else "") + "\n"
              f"- commit: {info['commit']}\n- mode: {mode}; threads {args.threads}; "
              f"OMP_WAIT_POLICY {policy.upper()}; data "
              f"{'imdb' if args.data else 'synthetic'}\n- command: `{' '.join(sys.argv)}`\n"
              "- senti × = senti's samples/s ÷ the framework's (median ms/step over the rounds); "
              "CPU time = the process's user + sys time per step, all threads\n"
              f"- load average during the runs: {min(loads):.1f} .. {max(loads):.1f}\n")
    notes_md = "".join(f"- note: {n}\n" for n in notes)
    errors_md = "".join(f"- {r['label']} ({r['config']}): {r['error']}\n" for r in records if "error" in r)
    with open(os.path.join(args.out, "benchmarks.md"), "w") as f:
        f.write(header + notes_md + errors_md + "\n" + table + "\n")
    with open(os.path.join(args.out, "benchmarks.json"), "w") as f:
        json.dump(dict(machine=info, device=device, args=vars(args), notes=notes, summary=rows,
                       records=records), f, indent=1)
    print(f"\nwrote {os.path.join(args.out, 'benchmarks.md')} and benchmarks.json")
    if not args.no_chart:
        write_bar_chart(rows, info, device, args.out)
    return 1 if any("error" in r for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
